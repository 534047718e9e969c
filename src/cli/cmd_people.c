/*
 * cmd_people.c: commands for people, credentials and access-level assignments, the HR
 * roster import and the access-log export.
 *
 * PINs are read from standard input with --pin-stdin so they never appear in a process
 * list; --pin PIN exists for scripts that accept that. A PIN is stored only as a keyed
 * hash (access_pin_hash with the data dir's site key).
 */
#include "cli/cli.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int commit_or_fail(struct cli *c, int status)
{
    if (status == 0)
        status = cli_check_policy(c);
    if (status == 0)
        status = cli_commit(c);
    if (status != 0)
        store_rollback(c->st);
    return status;
}

static int begin(struct cli *c)
{
    int status = cli_open_store(c);
    if (status == 0 && store_begin_write(c->st) < 0)
        status = cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    return status;
}

/* ---- people ------------------------------------------------------------------------------ */

struct person_opts {
    const char *first, *last, *email, *dept, *title, *manager, *kind, *status, *from, *until;
};

static int person_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct person_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'f': o->first = arg; break;
    case 'l': o->last = arg; break;
    case 'e': o->email = arg; break;
    case 'D': o->dept = arg; break;
    case 't': o->title = arg; break;
    case 'm': o->manager = arg; break;
    case 'k': o->kind = arg; break;
    case 's': o->status = arg; break;
    case 'F': o->from = arg; break;
    case 'U': o->until = arg; break;
    default: break;
    }
    return 0;
}

static const struct option person_options[] = {{"first", required_argument, NULL, 'f'},
                                               {"last", required_argument, NULL, 'l'},
                                               {"email", required_argument, NULL, 'e'},
                                               {"department", required_argument, NULL, 'D'},
                                               {"title", required_argument, NULL, 't'},
                                               {"manager", required_argument, NULL, 'm'},
                                               {"kind", required_argument, NULL, 'k'},
                                               {"status", required_argument, NULL, 's'},
                                               {"from", required_argument, NULL, 'F'},
                                               {"until", required_argument, NULL, 'U'},
                                               {"help", no_argument, NULL, 'h'},
                                               {0}};

/* Copies a checked text option into a field. */
static int set_text(struct cli *c, const char *opt, const char *v, char *dst, size_t len,
                    bool name)
{
    struct gh_err err = {{0}};
    if (v == NULL)
        return 0;
    if (v[0] != '\0' && (name ? model_check_name(opt, v, &err) : model_check_email(opt, v, &err)) < 0)
        return cli_usage_error(c, "%s", err.msg);
    gh_strlcpy(dst, v, len);
    return 0;
}

static int person_apply(struct cli *c, const struct person_opts *o, struct person *p)
{
    struct gh_err err = {{0}};
    int status;
    if ((status = set_text(c, "--first", o->first, p->first_name, sizeof(p->first_name), true)) ||
        (status = set_text(c, "--last", o->last, p->last_name, sizeof(p->last_name), true)) ||
        (status = set_text(c, "--email", o->email, p->email, sizeof(p->email), false)) ||
        (status = set_text(c, "--title", o->title, p->title, sizeof(p->title), true)))
        return status;
    if (o->dept != NULL) {
        p->department_id = 0;
        if (o->dept[0] != '\0') {
            if (model_check_name("--department", o->dept, &err) < 0)
                return cli_usage_error(c, "%s", err.msg);
            if (store_department_ensure(c->st, o->dept, &p->department_id, &err) < 0)
                return cli_error(c, "%s", err.msg);
        }
    }
    if (o->manager != NULL) {
        p->manager_id = 0;
        if (o->manager[0] != '\0' &&
            (status = cli_person_ref(c, "--manager", o->manager, &p->manager_id)) != 0)
            return status;
        if (p->manager_id != 0 && p->manager_id == p->id)
            return cli_usage_error(c, "--manager: a person cannot manage themself");
    }
    if (o->kind && person_kind_parse(o->kind, &p->kind, &err) < 0)
        return cli_usage_error(c, "--kind: %s", err.msg);
    if (o->status && person_status_parse(o->status, &p->status, &err) < 0)
        return cli_usage_error(c, "--status: %s", err.msg);
    if (o->from && (status = cli_time_parse(c, "--from", o->from, &p->valid_from)) != 0)
        return status;
    if (o->until && (status = cli_time_parse(c, "--until", o->until, &p->valid_until)) != 0)
        return status;
    if (p->valid_from != GH_TIME_MIN && p->valid_until != GH_TIME_MAX &&
        p->valid_until <= p->valid_from)
        return cli_usage_error(c, "--until must be after --from");
    return 0;
}

static int cmd_person_add(struct cli *c, int argc, char **argv)
{
    struct person_opts o = {0};
    struct person p;
    struct gh_err err = {{0}};
    int status;
    if (cli_parse(c, argc, argv, person_options, person_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one EMPLOYEE_ID");
    if (model_check_ext_id("EMPLOYEE_ID", argv[optind], &err) < 0)
        return cli_usage_error(c, "%s", err.msg);
    if (o.first == NULL || o.last == NULL)
        return cli_usage_error(c, "--first and --last are required");
    if ((status = begin(c)) != 0)
        return status;
    memset(&p, 0, sizeof(p));
    gh_strlcpy(p.employee_id, argv[optind], sizeof(p.employee_id));
    p.valid_from = GH_TIME_MIN;
    p.valid_until = GH_TIME_MAX;
    status = person_apply(c, &o, &p);
    if (status == 0 && store_person_insert(c->st, &p, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (status == 0)
        printf("person %lld %s (%s %s)\n", (long long)p.id, p.employee_id, p.first_name,
               p.last_name);
    return commit_or_fail(c, status);
}

static int cmd_person_set(struct cli *c, int argc, char **argv)
{
    struct person_opts o = {0};
    struct person p;
    struct gh_err err = {{0}};
    int64_t id;
    int status;
    enum person_status before;
    if (cli_parse(c, argc, argv, person_options, person_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one EMPLOYEE_ID");
    if ((status = begin(c)) != 0)
        return status;
    if ((status = cli_person_ref(c, "EMPLOYEE_ID", argv[optind], &id)) != 0)
        return commit_or_fail(c, status);
    if (store_person_get(c->st, id, &p) < 0)
        return commit_or_fail(c, cli_error(c, "reading person '%s': %s", argv[optind],
                                           store_errmsg(c->st)));
    before = p.status;
    status = person_apply(c, &o, &p);
    if (status == 0 && store_person_update(c->st, &p, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (status == 0 && p.status != before)
        status = cli_log_event(c, EV_OPERATOR_ACTION, p.id, 0,
                               json_pack("{s:s, s:s, s:s, s:s}", "action", "person.status",
                                         "employee_id", p.employee_id, "from",
                                         person_status_name(before), "to",
                                         person_status_name(p.status)));
    if (status == 0 && p.status == PERSON_TERMINATED && before != PERSON_TERMINATED) {
        int changed = 0;
        if (store_credential_revoke_person(c->st, p.id, CRED_REVOKED, &changed) < 0)
            status = cli_error(c, "revoking credentials: %s", store_errmsg(c->st));
        else
            printf("terminated: %d credential%s revoked\n", changed, changed == 1 ? "" : "s");
        if (status == 0 && changed > 0)
            status = cli_log_event(c, EV_CREDENTIAL_REVOKED, p.id, 0,
                                   json_pack("{s:s, s:s, s:i}", "employee_id", p.employee_id,
                                             "why", "terminated by an operator",
                                             "credentials", changed));
    }
    if (status == 0)
        printf("person %s updated\n", p.employee_id);
    return commit_or_fail(c, status);
}

static void fmt_time(int64_t t, char *buf)
{
    if (t == GH_TIME_MIN || t == GH_TIME_MAX)
        gh_strlcpy(buf, "-", GH_ISO_LEN);
    else
        gh_format_iso(t, buf);
}

static int print_person(void *ctx, const struct person *p)
{
    char from[GH_ISO_LEN], until[GH_ISO_LEN];
    (void)ctx;
    fmt_time(p->valid_from, from);
    fmt_time(p->valid_until, until);
    printf("%lld\t%s\t%s\t%s\t%lld\t%s\t%s\t%s\t%s\n", (long long)p->id, p->employee_id,
           p->first_name, p->last_name, (long long)p->department_id,
           person_kind_name(p->kind), person_status_name(p->status), from, until);
    return 0;
}

static int cmd_person_list(struct cli *c, int argc, char **argv)
{
    int status;
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    if (cli_parse(c, argc, argv, opts, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\temployee_id\tfirst\tlast\tdepartment\tkind\tstatus\tfrom\tuntil\n");
    return store_person_list(c->st, print_person, NULL) < 0 ? cli_error(c, "listing failed")
                                                            : 0;
}

/* ---- credentials -------------------------------------------------------------------------- */

struct cred_opts {
    const char *person, *card, *status, *from, *until, *pin;
    bool pin_stdin;
};

static int cred_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct cred_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'p': o->person = arg; break;
    case 'c': o->card = arg; break;
    case 's': o->status = arg; break;
    case 'F': o->from = arg; break;
    case 'U': o->until = arg; break;
    case 'P': o->pin = arg; break;
    case 'I': o->pin_stdin = true; break;
    default: break;
    }
    return 0;
}

static const struct option cred_options[] = {{"person", required_argument, NULL, 'p'},
                                             {"card", required_argument, NULL, 'c'},
                                             {"status", required_argument, NULL, 's'},
                                             {"from", required_argument, NULL, 'F'},
                                             {"until", required_argument, NULL, 'U'},
                                             {"pin", required_argument, NULL, 'P'},
                                             {"pin-stdin", no_argument, NULL, 'I'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};

/* Reads one line (the PIN) from stdin into buf. */
static int read_pin_stdin(struct cli *c, char *buf, size_t len)
{
    size_t n;
    if (fgets(buf, (int)len, stdin) == NULL)
        return cli_error(c, "--pin-stdin: no PIN on standard input");
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return 0;
}

static int cred_apply(struct cli *c, struct cred_opts *o, struct credential *cr)
{
    struct gh_err err = {{0}};
    int status;
    if (o->status && cred_status_parse(o->status, &cr->status, &err) < 0)
        return cli_usage_error(c, "--status: %s", err.msg);
    if (o->from && (status = cli_time_parse(c, "--from", o->from, &cr->valid_from)) != 0)
        return status;
    if (o->until && (status = cli_time_parse(c, "--until", o->until, &cr->valid_until)) != 0)
        return status;
    if (o->pin || o->pin_stdin) {
        uint8_t key[ACCESS_SITE_KEY_LEN];
        char pin[32];
        if (o->pin_stdin) {
            if ((status = read_pin_stdin(c, pin, sizeof(pin))) != 0)
                return status;
        } else {
            gh_strlcpy(pin, o->pin, sizeof(pin));
        }
        if (access_pin_check_format(pin, &err) < 0) {
            sodium_memzero(pin, sizeof(pin));
            return cli_usage_error(c, "%s", err.msg);
        }
        if ((status = cli_load_site_key(c, key)) != 0) {
            sodium_memzero(pin, sizeof(pin));
            return status;
        }
        access_pin_hash(key, cr->id, pin, cr->pin_hash);
        cr->has_pin = true;
        sodium_memzero(key, sizeof(key));
        sodium_memzero(pin, sizeof(pin));
    }
    return 0;
}

static int cmd_credential_add(struct cli *c, int argc, char **argv)
{
    struct cred_opts o = {0};
    struct credential cr;
    struct wiegand_card card;
    struct gh_err err = {{0}};
    int status;
    if (cli_parse(c, argc, argv, cred_options, cred_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.person == NULL || o.card == NULL)
        return cli_usage_error(c, "--person EMPLOYEE_ID and --card FORMAT:FACILITY:NUMBER "
                                  "are required");
    if ((status = cli_card_parse(c, "--card", o.card, &card)) != 0)
        return status;
    if ((status = begin(c)) != 0)
        return status;
    memset(&cr, 0, sizeof(cr));
    cr.format = card.format;
    cr.facility = card.facility;
    cr.number = card.number;
    cr.status = CRED_ACTIVE;
    cr.valid_from = GH_TIME_MIN;
    cr.valid_until = GH_TIME_MAX;
    if ((status = cli_person_ref(c, "--person", o.person, &cr.person_id)) != 0)
        return commit_or_fail(c, status);
    /* The PIN hash binds the credential id, so insert first, then set the PIN. */
    if (store_credential_insert(c->st, &cr, &err) < 0)
        return commit_or_fail(c, cli_error(c, "%s", err.msg));
    status = cred_apply(c, &o, &cr);
    if (status == 0 && store_credential_update(c->st, &cr, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (status == 0)
        printf("credential %lld %s:%u:%llu for %s%s\n", (long long)cr.id,
               cred_format_name(cr.format), cr.facility, (unsigned long long)cr.number,
               o.person, cr.has_pin ? " (with PIN)" : "");
    return commit_or_fail(c, status);
}

static int cmd_credential_set(struct cli *c, int argc, char **argv)
{
    struct cred_opts o = {0};
    enum cred_status before;
    struct credential cr;
    struct wiegand_card card;
    struct gh_err err = {{0}};
    int status;
    if (cli_parse(c, argc, argv, cred_options, cred_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one card FORMAT:FACILITY:NUMBER");
    if ((status = cli_card_parse(c, "CARD", argv[optind], &card)) != 0)
        return status;
    if ((status = begin(c)) != 0)
        return status;
    if (store_credential_find(c->st, card.format, card.facility, card.number, &cr) < 0)
        return commit_or_fail(c, cli_error(c, "no credential %s", argv[optind]));
    if (o.person && (status = cli_person_ref(c, "--person", o.person, &cr.person_id)) != 0)
        return commit_or_fail(c, status);
    before = cr.status;
    status = cred_apply(c, &o, &cr);
    if (status == 0 && cr.status != before)
        status = cli_log_event(c, cr.status == CRED_REVOKED ? EV_CREDENTIAL_REVOKED
                                                            : EV_OPERATOR_ACTION,
                               cr.person_id, cr.id,
                               json_pack("{s:s, s:s, s:s, s:s}", "action",
                                         "credential.status", "card", argv[optind], "from",
                                         cred_status_name(before),
                                         "to", cred_status_name(cr.status)));
    if (status == 0 && store_credential_update(c->st, &cr, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (status == 0)
        printf("credential %s: %s\n", argv[optind], cred_status_name(cr.status));
    return commit_or_fail(c, status);
}

static int print_credential(void *ctx, const struct credential *cr)
{
    char from[GH_ISO_LEN], until[GH_ISO_LEN];
    (void)ctx;
    fmt_time(cr->valid_from, from);
    fmt_time(cr->valid_until, until);
    printf("%lld\t%lld\t%s:%u:%llu\t%s\t%s\t%s\t%s\n", (long long)cr->id,
           (long long)cr->person_id, cred_format_name(cr->format), cr->facility,
           (unsigned long long)cr->number, cred_status_name(cr->status), from, until,
           cr->has_pin ? "pin" : "");
    return 0;
}

static int cmd_credential_list(struct cli *c, int argc, char **argv)
{
    struct cred_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, cred_options, cred_opt, &o, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tperson\tcard\tstatus\tfrom\tuntil\tpin\n");
    if (o.person) {
        int64_t id;
        if ((status = cli_person_ref(c, "--person", o.person, &id)) != 0)
            return status;
        return store_credential_list_person(c->st, id, print_credential, NULL) < 0
                   ? cli_error(c, "listing failed")
                   : 0;
    }
    return store_credential_list(c->st, print_credential, NULL) < 0
               ? cli_error(c, "listing failed")
               : 0;
}

/* ---- assignments ------------------------------------------------------------------------- */

struct assign_opts {
    const char *until;
    bool remove;
};

static int assign_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct assign_opts *o = ctx;
    (void)c;
    if (opt == 'U')
        o->until = arg;
    else if (opt == 'r')
        o->remove = true;
    return 0;
}

static int cmd_assign(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"until", required_argument, NULL, 'U'},
                                         {"remove", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct assign_opts o = {0};
    struct assignment a = {0};
    struct gh_err err = {{0}};
    int status;
    if (cli_parse(c, argc, argv, opts, assign_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 2)
        return cli_usage_error(c, "expected EMPLOYEE_ID LEVEL");
    a.expires = GH_TIME_MAX;
    if (o.until && (status = cli_time_parse(c, "--until", o.until, &a.expires)) != 0)
        return status;
    if ((status = begin(c)) != 0)
        return status;
    if ((status = cli_person_ref(c, "EMPLOYEE_ID", argv[optind], &a.person_id)) != 0 ||
        (status = cli_level_ref(c, "LEVEL", argv[optind + 1], &a.level_id)) != 0)
        return commit_or_fail(c, status);
    if (o.remove) {
        if (store_assignment_remove(c->st, a.person_id, a.level_id) < 0)
            status = cli_error(c, "%s does not hold level %s", argv[optind], argv[optind + 1]);
        else
            printf("removed level %s from %s\n", argv[optind + 1], argv[optind]);
    } else if (store_assignment_set(c->st, &a, &err) < 0) {
        status = cli_error(c, "%s", err.msg);
    } else {
        printf("assigned level %s to %s%s%s\n", argv[optind + 1], argv[optind],
               o.until ? " until " : "", o.until ? o.until : "");
    }
    return commit_or_fail(c, status);
}

/* ---- import ----------------------------------------------------------------------------- */

struct import_opts {
    struct roster_apply_opts apply;
    const char *columns, *mapping;
};

static int import_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct import_opts *o = ctx;
    switch (opt) {
    case 'f': o->apply.full = true; break;
    case 'n': o->apply.dry_run = true; break;
    case 'c': o->columns = arg; break;
    case 'm': o->mapping = arg; break;
    case 'M': return cli_int_parse(c, "--max-terminations", arg, 0, INT64_MAX,
                                   &o->apply.max_terminations);
    default: break;
    }
    return 0;
}

static void progress_bar(void *ctx, size_t done, size_t total)
{
    int width = 40, filled = total ? (int)((double)done / (double)total * width) : width;
    (void)ctx;
    fprintf(stderr, "\rimporting [%.*s%*s] %zu/%zu", filled,
            "########################################", width - filled, "", done, total);
    if (done == total)
        fputc('\n', stderr);
}

/* The import's transaction ends with its audit entry. */
static int import_commit(void *ctx, struct store *st)
{
    (void)st;
    return cli_commit(ctx) == 0 ? 0 : -EIO;
}

static int cmd_import_people(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"full", no_argument, NULL, 'f'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"columns", required_argument, NULL, 'c'},
                                         {"mapping", required_argument, NULL, 'm'},
                                         {"max-terminations", required_argument, NULL, 'M'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct import_opts o = {.apply = {.max_terminations = -1, .commit = import_commit, .commit_ctx = c}};
    struct roster_mapping map;
    struct roster *ro = NULL;
    struct roster_summary sum;
    struct gh_err err = {{0}};
    char *data = NULL;
    size_t len = 0;
    const char *file;
    int status, r;

    if (cli_parse(c, argc, argv, opts, import_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one FILE.csv");
    if (o.columns && o.mapping)
        return cli_usage_error(c, "use --columns or --mapping, not both");
    file = argv[optind];
    roster_mapping_init(&map);
    if (o.columns && roster_mapping_parse(o.columns, &map, &err) < 0) {
        status = cli_usage_error(c, "--columns: %s", err.msg);
        goto out;
    }
    if (o.mapping && roster_mapping_load(o.mapping, &map, &err) < 0) {
        status = cli_error(c, "--mapping: %s", err.msg);
        goto out;
    }
    if ((status = cli_open_store(c)) != 0)
        goto out;
    if (gh_read_file(file, ROSTER_MAX_BYTES, &data, &len, &err) < 0) {
        status = cli_error(c, "%s", err.msg);
        goto out;
    }
    r = roster_parse(data, len, &map, &ro, &err);
    if (r < 0) {
        status = cli_error(c, "%s: %s; nothing was imported", file, err.msg);
        goto out;
    }
    for (size_t i = 0; i < ro->n_unknown; i++)
        fprintf(stderr, "gatehouse: import people: %s: note: column '%s' is not used\n", file,
                ro->unknown_columns[i]);
    if (ro->n_errors > 0) {
        for (size_t i = 0; i < ro->n_errors && i < ROSTER_MAX_ERRORS; i++)
            fprintf(stderr, "%s:%u:%u: %s\n", file, ro->errors[i].line, ro->errors[i].column,
                    ro->errors[i].msg);
        if (ro->n_errors > ROSTER_MAX_ERRORS)
            fprintf(stderr, "... and %zu more errors\n", ro->n_errors - ROSTER_MAX_ERRORS);
        status = cli_error(c, "%s: %zu errors; nothing was imported", file, ro->n_errors);
        goto out;
    }
    r = roster_apply(c->st, ro, &o.apply, gh_now_us(), &sum,
                     isatty(STDERR_FILENO) && ro->n_rows >= 5000 ? progress_bar : NULL, NULL,
                     &err);
    if (r < 0) {
        /* row errors start with line:column, so they read as file:line:column: ... */
        bool located = err.msg[0] >= '0' && err.msg[0] <= '9';
        status = cli_error(c, "%s:%s%s; nothing was imported", file, located ? "" : " ",
                           err.msg);
        goto out;
    }
    printf("%s %s: %zu rows: %zu created, %zu updated, %zu unchanged, %zu terminated "
           "(%zu absent from the file), %zu credentials revoked, %zu access reviews opened%s\n",
           o.apply.dry_run ? "dry run of" : "imported", file, sum.rows, sum.created, sum.updated,
           sum.unchanged, sum.terminated, sum.absent, sum.credentials_revoked,
           sum.reviews_opened, o.apply.dry_run ? " (nothing was changed)" : "");
out:
    roster_free(ro);
    roster_mapping_free(&map);
    free(data);
    return status;
}

/* ---- export ---------------------------------------------------------------------------- */

struct export_opts {
    const char *from, *to, *output, *person, *door;
    enum export_format fmt;
    bool all;
};

static int export_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct export_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'F': o->from = arg; break;
    case 'T': o->to = arg; break;
    case 'o': o->output = arg; break;
    case 'p': o->person = arg; break;
    case 'D': o->door = arg; break;
    case 'c': o->fmt = EXPORT_CSV; break;
    case 'j': o->fmt = EXPORT_JSONL; break;
    case 'a': o->all = true; break;
    default: break;
    }
    return 0;
}

static int cmd_export_events(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"person", required_argument, NULL, 'p'},
                                         {"door", required_argument, NULL, 'D'},
                                         {"csv", no_argument, NULL, 'c'},
                                         {"jsonl", no_argument, NULL, 'j'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct export_opts o = {.fmt = EXPORT_CSV};
    struct store_event_filter f;
    struct gh_err err = {{0}};
    int64_t count = 0;
    int status, fd = STDOUT_FILENO;

    if (cli_parse(c, argc, argv, opts, export_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    store_event_filter_init(&f);
    if (o.from && (status = cli_time_parse(c, "--from", o.from, &f.from_us)) != 0)
        return status;
    if (o.to && (status = cli_time_parse(c, "--to", o.to, &f.to_us)) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    if (o.person && (status = cli_person_ref(c, "--person", o.person, &f.person_id)) != 0)
        return status;
    if (o.door && (status = cli_door_ref(c, "--door", o.door, &f.door_id)) != 0)
        return status;
    if (o.output) {
        fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return cli_error(c, "--output: %s: %s", o.output, strerror(errno));
        if (fchmod(fd, 0600) != 0) { /* an existing file keeps its mode otherwise */
            close(fd);
            return cli_error(c, "--output: %s: %s", o.output, strerror(errno));
        }
    }
    fflush(stdout);
    if ((status = cli_audit_read(c, NULL)) != 0) { /* an export is audited before it starts */
        if (o.output)
            close(fd);
        return status;
    }
    if (export_events(c->st, &f, o.fmt, o.all, fd, &count, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (o.output) {
        if (close(fd) != 0 && status == 0)
            status = cli_error(c, "--output: %s: %s", o.output, strerror(errno));
        if (status == 0)
            fprintf(stderr, "exported %lld event%s to %s\n", (long long)count,
                    count == 1 ? "" : "s", o.output);
    }
    return status;
}

struct dump_opts {
    const char *dir, *day, *tz;
};

static int dump_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct dump_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'd': o->dir = arg; break;
    case 'D': o->day = arg; break;
    case 'z': o->tz = arg; break;
    default: break;
    }
    return 0;
}

/* The daily access dump by hand (the server makes it on schedule with [dump]). */
static int cmd_export_dump(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"day", required_argument, NULL, 'D'},
                                         {"tz", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct dump_opts o = {NULL, NULL, "UTC"};
    struct export_dump_result res;
    struct gh_err err = {{0}};
    struct gh_tz *tz = NULL;
    char outcome[sizeof(res.path) + 128];
    int64_t day;
    int status;

    if (cli_parse(c, argc, argv, opts, dump_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.dir == NULL)
        return cli_usage_error(c, "--dir DIR is required");
    if (tz_load(o.tz, &tz, &err) < 0)
        return cli_usage_error(c, "--tz: %s", err.msg);
    if (o.day != NULL && gh_parse_date(o.day, &day, &err) < 0) {
        tz_free(tz);
        return cli_usage_error(c, "--day: %s", err.msg);
    }
    if (o.day == NULL) { /* yesterday, there */
        struct gh_local now;
        tz_local(tz, gh_now_us(), &now);
        day = now.days - 1;
    }
    if ((status = cli_open_store(c)) != 0) {
        tz_free(tz);
        return status;
    }
    if (export_dump_day(c->st, o.dir, tz, day, &res, &err) < 0) {
        tz_free(tz);
        return cli_error(c, "%s", err.msg);
    }
    tz_free(tz);
    gh_snprintf(outcome, sizeof(outcome), "%s: %lld rows, sha256 %s", res.path,
                (long long)res.rows, res.sha256);
    if ((status = cli_audit_read(c, outcome)) != 0) /* an export: audited */
        return status;
    printf("%s\n", outcome);
    return 0;
}

const struct cli_command cli_people_commands[] = {
    {"person", "add", cmd_person_add, "Add a person.",
     "EMPLOYEE_ID --first NAME --last NAME [--email ADDR] [--department NAME] [--title T]\n"
     "  [--manager EMPLOYEE_ID] [--kind employee|contractor|visitor]\n"
     "  [--status active|on_leave|suspended|terminated] [--from TIME] [--until TIME]"},
    {"person", "set", cmd_person_set,
     "Change a person (same options as person add); terminating revokes their credentials.",
     "EMPLOYEE_ID [person add options]"},
    {"person", "list", cmd_person_list, "List people.", ""},
    {"credential", "add", cmd_credential_add, "Enroll a card for a person.",
     "--person EMPLOYEE_ID --card FORMAT:FACILITY:NUMBER [--pin-stdin | --pin PIN]\n"
     "  [--status STATUS] [--from TIME] [--until TIME]\n"
     "Formats: h10301 (26-bit), h10306 (34-bit), c1000 (35-bit), h10304 (37-bit)."},
    {"credential", "set", cmd_credential_set,
     "Change a card: status (active, suspended, lost, stolen, expired, revoked), PIN, window.",
     "FORMAT:FACILITY:NUMBER [--status S] [--pin-stdin | --pin PIN] [--from T] [--until T]"},
    {"credential", "list", cmd_credential_list, "List credentials.", "[--person EMPLOYEE_ID]"},
    {"assign", NULL, cmd_assign, "Assign an access level to a person (optionally until a time).",
     "EMPLOYEE_ID LEVEL [--until TIME] | EMPLOYEE_ID LEVEL --remove"},
    {"import", "people", cmd_import_people,
     "Import an HR roster CSV: upsert by employee_id, all or nothing.",
     "FILE.csv [--full [--max-terminations N]] [--dry-run]\n"
     "  [--columns 'employee_id=Employee ID,...' | --mapping FILE]\n"
     "Columns: employee_id, first_name, last_name (required); email, department, title,\n"
     "  manager_id, status, start_date, end_date, kind. Columns the file lacks are left\n"
     "  as they are in gatehouse.\n"
     "--full: people not in the file are terminated and their credentials revoked; refused\n"
     "  when that is more than max(5, 10% of active people) unless --max-terminations allows.\n"
     "--dry-run: do the whole import, print what it would do, change nothing."},
    {"export", "events", cmd_export_events, "Export the access log (CSV or JSON lines).",
     "[--from TIME] [--to TIME] [--person EMPLOYEE_ID] [--door DOOR] [--csv | --jsonl]\n"
     "  [--all (every event type)] [--output FILE]\n"
     "CSV header: " EXPORT_CSV_HEADER},
    {"export", "dump", cmd_export_dump,
     "Write a day's access dump (CSV and its SHA-256 manifest) into a directory.",
     "--dir DIR [--day YYYY-MM-DD (yesterday)] [--tz ZONE (UTC)]\n"
     "Writes DIR/access-YYYY-MM-DD.csv then DIR/access-YYYY-MM-DD.csv.sha256 (sha256sum -c),\n"
     "each atomically; the server does this every day with [dump] (docs/operations.md)."},
    {NULL, NULL, NULL, NULL, NULL}};
