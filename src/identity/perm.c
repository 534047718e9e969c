/*
 * perm.c: the permission table: every permission's name and meaning, in enum order, and
 * the parsing of scope lists ("events.read, doors.*", "read", "*").
 */
#include "identity/identity_int.h"

#include <string.h>

static const struct {
    const char *name;
    const char *summary;
} perm_table[PERM_COUNT] = {
    [PERM_NONE] = {"none", "open to anyone"},
    [PERM_AUTHENTICATED] = {"authenticated", "any authenticated caller"},
    [PERM_CONTROLLER] = {"controller", "an enrolled door controller's signed request"},
    [PERM_SITES_READ] = {"sites.read", "read sites and areas"},
    [PERM_SITES_WRITE] = {"sites.write", "create, change and remove sites and areas"},
    [PERM_DOORS_READ] = {"doors.read", "read doors"},
    [PERM_DOORS_WRITE] = {"doors.write", "create, change and remove doors"},
    [PERM_DOORS_CONTROL] = {"doors.control", "lock down and release areas"},
    [PERM_SCHEDULES_READ] = {"schedules.read", "read schedules, holiday calendars and holidays"},
    [PERM_SCHEDULES_WRITE] = {"schedules.write",
                              "create, change and remove schedules, calendars and holidays"},
    [PERM_LEVELS_READ] = {"levels.read", "read access levels and their doors"},
    [PERM_LEVELS_WRITE] = {"levels.write", "create, change and remove access levels"},
    [PERM_PEOPLE_READ] = {"people.read", "read people and departments"},
    [PERM_PEOPLE_WRITE] = {"people.write", "create, change and remove people and departments"},
    [PERM_CREDENTIALS_READ] = {"credentials.read", "read credentials (never PINs)"},
    [PERM_CREDENTIALS_WRITE] = {"credentials.write", "issue and change credentials"},
    [PERM_CREDENTIALS_REVOKE] = {"credentials.revoke",
                                 "suspend, report lost and revoke credentials"},
    [PERM_ASSIGNMENTS_WRITE] = {"assignments.write", "grant and remove access levels of people"},
    [PERM_EVENTS_READ] = {"events.read", "query and stream events"},
    [PERM_EVENTS_EXPORT] = {"events.export", "export events as CSV or JSON lines"},
    [PERM_DECISIONS_RUN] = {"decisions.run", "ask what-if access decisions"},
    [PERM_IMPORTS_RUN] = {"imports.run", "import HR rosters"},
    [PERM_METRICS_READ] = {"metrics.read", "read server metrics"},
    [PERM_USERS_READ] = {"users.read", "list users, their roles and sign-in state"},
    [PERM_USERS_ADMIN] = {"users.admin",
                          "create, change and disable users, grant roles, end sessions"},
    [PERM_TOKENS_ADMIN] = {"tokens.admin", "list and revoke every API token"},
    [PERM_AUDIT_READ] = {"audit.read", "read and verify the audit log"},
    [PERM_ALARMS_READ] = {"alarms.read", "see alarms"},
    [PERM_ALARMS_HANDLE] = {"alarms.handle", "acknowledge and clear alarms"},
    [PERM_INCIDENTS_READ] = {"incidents.read", "see incidents, their timelines and reports"},
    [PERM_INCIDENTS_WRITE] = {"incidents.write",
                              "open and work incidents: status, notes, steps, assignees, links"},
    [PERM_INCIDENTS_ADMIN] = {"incidents.admin",
                              "define incident types, their procedures and alarm mapping"},
    [PERM_DIRECTORY_READ] = {"directory.read", "read the who-to-call directory and templates"},
    [PERM_DIRECTORY_WRITE] = {"directory.write",
                              "change contacts, escalation delays and message templates"},
    [PERM_NOTIFY_SEND] = {"notify.send", "send messages from templates to a group"},
    [PERM_DRILLS_RUN] = {"drills.run", "run drills and read their reports"},
};

const char *perm_name(enum perm p)
{
    return (unsigned)p < PERM_COUNT ? perm_table[p].name : "?";
}

const char *perm_summary(enum perm p)
{
    return (unsigned)p < PERM_COUNT ? perm_table[p].summary : "?";
}

int perm_parse(const char *s, enum perm *out)
{
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        if (strcmp(s, perm_table[p].name) == 0) {
            *out = (enum perm)p;
            return 0;
        }
    }
    return -EINVAL;
}

/* Permissions whose name starts with `group.` (group of length n), or end with `.read`. */
static perm_set match_group(const char *group, size_t n)
{
    perm_set set = 0;
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        const char *name = perm_table[p].name;
        if (strncmp(name, group, n) == 0 && name[n] == '.')
            set |= PERM_BIT(p);
    }
    return set;
}

static perm_set match_reads(void)
{
    perm_set set = 0;
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        const char *dot = strrchr(perm_table[p].name, '.');
        if (dot && strcmp(dot, ".read") == 0)
            set |= PERM_BIT(p);
    }
    return set;
}

static perm_set match_word(const char *w, size_t n)
{
    enum perm p;
    char name[64];
    if (n == 1 && w[0] == '*')
        return PERM_ALL;
    if (n == 4 && memcmp(w, "read", 4) == 0)
        return match_reads();
    if (n > 2 && w[n - 1] == '*' && w[n - 2] == '.')
        return match_group(w, n - 2);
    if (n >= sizeof(name))
        return 0;
    memcpy(name, w, n);
    name[n] = '\0';
    return perm_parse(name, &p) == 0 ? PERM_BIT(p) : 0;
}

int perm_scope_parse(const char *s, perm_set *out, struct gh_err *err)
{
    perm_set set = 0;
    const char *p = s, *w;
    size_t n;
    while ((w = id_list_word(&p, &n)) != NULL) {
        perm_set m = match_word(w, n);
        if (m == 0) {
            char names[1024];
            (void)perm_scope_format(PERM_ALL, names, sizeof(names));
            return gh_fail(err, -EINVAL,
                           "unknown permission '%.*s' (use *, read, GROUP.* or one of: %s)",
                           (int)(n > 64 ? 64 : n), w, names);
        }
        set |= m;
    }
    if (set == 0)
        return gh_fail(err, -EINVAL, "the scope names no permission");
    *out = set;
    return 0;
}

static const char *perm_name_i(int p)
{
    return perm_table[p].name;
}

int perm_scope_format(perm_set set, char *buf, size_t len)
{
    return id_list_format(set, PERM_FIRST, PERM_COUNT, perm_name_i, buf, len);
}

const char *id_list_word(const char **p, size_t *n)
{
    const char *w = *p;
    while (*w == ',' || *w == ' ')
        w++;
    *n = strcspn(w, ", ");
    *p = w + *n;
    return *n > 0 ? w : NULL;
}

int id_list_format(uint64_t set, int first, int count, const char *(*name)(int), char *buf,
                   size_t len)
{
    size_t used = 0;
    if (len == 0)
        return -ENOSPC;
    buf[0] = '\0';
    for (int i = first; i < count; i++) {
        if (!(set & ((uint64_t)1 << i)))
            continue;
        if (gh_snprintf(buf + used, len - used, "%s%s", used ? " " : "", name(i)) < 0) {
            buf[used] = '\0'; /* no cut name */
            return -ENOSPC;
        }
        used += strlen(buf + used);
    }
    return 0;
}
