/*
 * cmd_audit.c: `gatehouse audit head` (the latest signed tree head as JSON, to keep) and
 * `gatehouse audit verify` (recompute the whole log, check every signature, and with a
 * head kept earlier, prove the log still extends it). Every problem is printed with the
 * index it concerns; the exit status is 1 when there is one.
 */
#include "audit/audit.h"
#include "cli/cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct audit_opts {
    const char *since;
    const char *public_key;
    bool sign;
};

static int audit_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct audit_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 's':
        o->since = arg;
        return 0;
    case 'k':
        o->public_key = arg;
        return 0;
    case 'S':
        o->sign = true;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

/* The server's public key: given (--public-key, base64), else from the data dir's key. */
static int server_pk(struct cli *c, const struct audit_opts *o, uint8_t pk[32], uint8_t sk[64],
                     bool need_sk)
{
    char dir[4096];
    struct gh_err err = {{0}};
    bool made = false;
    size_t n = 0;
    if (o->public_key != NULL && !need_sk) {
        if (sodium_base642bin(pk, 32, o->public_key, strlen(o->public_key), NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != 32)
            return cli_usage_error(c, "--public-key: an Ed25519 public key, 32 bytes in base64");
        return 0;
    }
    gh_snprintf(dir, sizeof(dir), "%s/keys", c->data_dir);
    if (!need_sk) { /* verifying makes no key: without one, there is nothing to check with */
        char file[4200];
        gh_snprintf(file, sizeof(file), "%s/server.key", dir);
        if (access(file, F_OK) != 0)
            return cli_error(c,
                             "%s: no server key to check the tree heads with; give the "
                             "server's public key with --public-key",
                             file);
    }
    if (gh_sign_key_load_or_create(dir, "server.key", pk, sk, &made, &err) < 0)
        return cli_error(c, "%s", err.msg);
    if (made)
        fprintf(stderr, "%s: made the server's signing key %s/server.key\n", c->prog, dir);
    return 0;
}

static int cmd_audit_head(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"sign", no_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct audit_opts o = {0};
    struct store_audit_head row;
    struct audit_sth h;
    struct gh_err err = {{0}};
    uint8_t pk[32], sk[64];
    char json[AUDIT_STH_JSON_MAX], pkb[64];
    int status, r;

    if (cli_parse(c, argc, argv, opts, audit_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if ((status = cli_open_store(c)) != 0 || (status = server_pk(c, &o, pk, sk, true)) != 0)
        return status;
    /* reading the log is audited; a head signed now covers that entry */
    if ((status = cli_audit_read(c, NULL)) != 0) {
        sodium_memzero(sk, sizeof(sk));
        return status;
    }
    if (o.sign) {
        if (store_begin_write(c->st) < 0)
            r = -EIO;
        else if ((r = audit_log_sign_head(c->st, sk, gh_now_us(), &h, &err)) == 0)
            r = store_commit(c->st);
        if (r < 0) {
            store_rollback(c->st);
            sodium_memzero(sk, sizeof(sk));
            return cli_error(c, "%s", err.msg[0] ? err.msg : store_errmsg(c->st));
        }
    }
    sodium_memzero(sk, sizeof(sk));
    if ((r = store_audit_head_latest(c->st, &row)) == -ENOENT)
        return cli_error(c, "no tree head has been signed yet (--sign signs one now)");
    if (r < 0)
        return cli_error(c, "cannot read the tree heads: %s", store_errmsg(c->st));
    h.size = (uint64_t)row.size;
    h.time_us = row.time_us;
    memcpy(h.root, row.root, 32);
    memcpy(h.signature, row.signature, 64);
    audit_sth_to_json(&h, json, sizeof(json));
    sodium_bin2base64(pkb, sizeof(pkb), pk, 32, sodium_base64_VARIANT_ORIGINAL);
    /* the head alone on stdout (save it to a file); the key to check it with on stderr */
    printf("%s\n", json);
    fprintf(stderr, "signed by the server key %s (--public-key for audit verify elsewhere)\n", pkb);
    return 0;
}

static void print_problem(void *ctx, uint64_t index, const char *what)
{
    (void)ctx;
    printf("index %llu: %s\n", (unsigned long long)index, what);
}

static int cmd_audit_verify(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"since-sth", required_argument, NULL, 's'},
                                         {"public-key", required_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct audit_opts o = {0};
    struct audit_sth since;
    struct audit_verify_stats stats;
    struct gh_err err = {{0}};
    uint8_t pk[32], sk[64];
    char *text = NULL, outcome[160];
    size_t len = 0;
    int status, r;

    if (cli_parse(c, argc, argv, opts, audit_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.since != NULL) {
        if (gh_read_file(o.since, AUDIT_STH_JSON_MAX + 2, &text, &len, &err) < 0)
            return cli_error(c, "--since-sth: %s", err.msg);
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        r = audit_sth_parse(text, len, &since, &err);
        free(text);
        if (r < 0)
            return cli_error(c, "--since-sth %s: %s", o.since, err.msg);
    }
    if ((status = cli_open_store(c)) != 0 || (status = server_pk(c, &o, pk, sk, false)) != 0)
        return status;
    sodium_memzero(sk, sizeof(sk));
    r = audit_log_verify(c->st, pk, o.since ? &since : NULL, print_problem, NULL, &stats, &err);
    if (r < 0)
        return cli_error(c, "%s", err.msg);
    if (r == 0)
        gh_snprintf(outcome, sizeof(outcome), "verified: %llu entries, %llu signed tree heads%s",
                    (unsigned long long)stats.entries, (unsigned long long)stats.heads,
                    o.since ? ", extends the saved head" : "");
    else
        gh_snprintf(outcome, sizeof(outcome), "does not verify: %llu problem(s)",
                    (unsigned long long)stats.problems);
    /* the verification is itself audited, after it (its entry is not part of what it saw);
     * a data dir that cannot be written to still gets its answer */
    if (cli_audit_read(c, outcome) != 0)
        fprintf(stderr, "gatehouse: audit verify: (this verification is not in the audit log)\n");
    if (r == 0) {
        printf("the audit log verifies: %llu entries, %llu signed tree heads%s\n",
               (unsigned long long)stats.entries, (unsigned long long)stats.heads,
               o.since ? ", and it extends the saved tree head" : "");
        return 0;
    }
    printf("the audit log does NOT verify: %llu problem(s), first index above\n",
           (unsigned long long)stats.problems);
    return 1;
}

const struct cli_command cli_audit_commands[] = {
    {"audit", "head", cmd_audit_head,
     "Print the latest signed tree head of the audit log as JSON (keep it to check later).",
     "[--sign (sign a head for the log as it is now first)]"},
    {"audit", "verify", cmd_audit_verify,
     "Verify the audit log: every entry, every signed tree head, and that it extends a saved "
     "head.",
     "[--since-sth FILE (a head printed by audit head)] [--public-key BASE64 (the server's key;\n"
     "default: the data dir's)]\n"
     "Exit status 1 when the log does not verify; each problem names its index."},
    {NULL, NULL, NULL, NULL, NULL}};
