/*
 * role.c: the role table, the one place that says which permissions each role grants
 * (routes name permissions; the router checks the caller's set), and the parsing of role
 * lists ("hr, facilities").
 */
#include "identity/identity_int.h"

#include <string.h>

#define P(x) PERM_BIT(PERM_##x)

/* What the control room sees: every read an operator needs, and what-if decisions. */
#define MONITOR                                                                                    \
    (P(SITES_READ) | P(DOORS_READ) | P(SCHEDULES_READ) | P(LEVELS_READ) | P(PEOPLE_READ) |         \
     P(CREDENTIALS_READ) | P(EVENTS_READ) | P(DECISIONS_RUN) | P(ALARMS_READ) |                    \
     P(INCIDENTS_READ) | P(DIRECTORY_READ))
/* A department that takes its share of incidents: sees them and works them. */
#define RESPONDER (P(INCIDENTS_READ) | P(INCIDENTS_WRITE) | P(DIRECTORY_READ))

static const struct {
    const char *name;
    const char *summary;
    perm_set perms;
} role_table[ROLE_COUNT] = {
    [ROLE_ADMIN] = {"admin", "everything, including users and roles", PERM_ALL},
    [ROLE_SECURITY_OPERATOR] = {"security_operator",
                                "monitor and investigate, lock down areas, revoke credentials, "
                                "handle alarms and incidents, keep the procedures and the "
                                "directory, run drills",
                                MONITOR | P(DOORS_CONTROL) | P(CREDENTIALS_REVOKE) |
                                    P(EVENTS_EXPORT) | P(ALARMS_HANDLE) | RESPONDER |
                                    P(INCIDENTS_ADMIN) | P(DIRECTORY_WRITE) | P(NOTIFY_SEND) |
                                    P(DRILLS_RUN)},
    [ROLE_SECURITY_VIEWER] = {"security_viewer", "what a security operator sees, read-only",
                              MONITOR | P(EVENTS_EXPORT)},
    [ROLE_IT_ADMIN] = {"it_admin", "users, roles, API tokens and server health; IT's incidents",
                       P(USERS_READ) | P(USERS_ADMIN) | P(TOKENS_ADMIN) | P(METRICS_READ) |
                           P(SITES_READ) | P(DOORS_READ) | RESPONDER | P(ALARMS_READ)},
    [ROLE_HR] = {"hr",
                 "people, their credentials and access levels, roster imports; HR's incidents",
                 P(PEOPLE_READ) | P(PEOPLE_WRITE) | P(CREDENTIALS_READ) | P(CREDENTIALS_WRITE) |
                     P(CREDENTIALS_REVOKE) | P(ASSIGNMENTS_WRITE) | P(LEVELS_READ) |
                     P(IMPORTS_RUN) | P(SITES_READ) | RESPONDER},
    [ROLE_FACILITIES] = {"facilities",
                         "sites, areas, doors, schedules and access levels; Facilities' incidents",
                         P(SITES_READ) | P(SITES_WRITE) | P(DOORS_READ) | P(DOORS_WRITE) |
                             P(SCHEDULES_READ) | P(SCHEDULES_WRITE) | P(LEVELS_READ) |
                             P(LEVELS_WRITE) | P(EVENTS_READ) | RESPONDER | P(ALARMS_READ)},
    [ROLE_LEGAL] = {"legal", "investigations and exports for legal holds; incident reports",
                    P(SITES_READ) | P(DOORS_READ) | P(PEOPLE_READ) | P(CREDENTIALS_READ) |
                        P(EVENTS_READ) | P(EVENTS_EXPORT) | P(INCIDENTS_READ)},
    [ROLE_FINANCE] = {"finance", "people and access records for cost and time questions",
                      P(SITES_READ) | P(PEOPLE_READ) | P(EVENTS_READ) | P(EVENTS_EXPORT)},
    [ROLE_COMMUNICATIONS] = {"communications",
                             "sites, doors and what happens at them; incidents, the directory "
                             "and mass notification",
                             P(SITES_READ) | P(DOORS_READ) | P(EVENTS_READ) | P(INCIDENTS_READ) |
                                 P(DIRECTORY_READ) | P(NOTIFY_SEND)},
    [ROLE_AUDITOR] = {"auditor", "reads everything, including the audit log; changes nothing",
                      0 /* every .read permission and exports: filled in by role_perms */},
};

const char *role_name(enum role r)
{
    return (unsigned)r < ROLE_COUNT ? role_table[r].name : "?";
}

const char *role_summary(enum role r)
{
    return (unsigned)r < ROLE_COUNT ? role_table[r].summary : "?";
}

perm_set role_perms(enum role r)
{
    perm_set reads = 0;
    if ((unsigned)r >= ROLE_COUNT)
        return 0;
    if (r != ROLE_AUDITOR)
        return role_table[r].perms;
    /* so that a read permission added later is the auditor's without touching this table */
    (void)perm_scope_parse("read", &reads, NULL);
    return reads | P(EVENTS_EXPORT) | P(AUDIT_READ);
}

perm_set role_set_perms(role_set set)
{
    perm_set perms = 0;
    for (int r = 0; r < ROLE_COUNT; r++)
        if (set & ROLE_BIT(r))
            perms |= role_perms((enum role)r);
    return perms;
}

int role_set_parse(const char *s, role_set *out, struct gh_err *err)
{
    role_set set = 0;
    const char *p = s, *w;
    size_t n;
    while ((w = id_list_word(&p, &n)) != NULL) {
        int r = 0;
        while (r < ROLE_COUNT &&
               !(strlen(role_table[r].name) == n && memcmp(role_table[r].name, w, n) == 0))
            r++;
        if (r == ROLE_COUNT) {
            char names[512];
            (void)role_set_format(ROLE_BIT(ROLE_COUNT) - 1, names, sizeof(names));
            return gh_fail(err, -EINVAL, "unknown role '%.*s' (one of: %s)", (int)(n > 64 ? 64 : n),
                           w, names);
        }
        set |= ROLE_BIT(r);
    }
    *out = set;
    return 0;
}

static const char *role_name_i(int r)
{
    return role_table[r].name;
}

int role_set_format(role_set set, char *buf, size_t len)
{
    return id_list_format(set, 0, ROLE_COUNT, role_name_i, buf, len);
}

json_t *identity_roles_json(void)
{
    json_t *all = json_object();
    for (int r = 0; r < ROLE_COUNT; r++) {
        json_t *list = json_array();
        perm_set set = role_perms((enum role)r);
        for (int p = PERM_FIRST; p < PERM_COUNT; p++)
            if (set & PERM_BIT(p))
                json_array_append_new(list, json_string(perm_name((enum perm)p)));
        json_object_set_new(all, role_name((enum role)r),
                            json_pack("{s:s, s:b, s:o}", "summary", role_summary((enum role)r),
                                      "mfa_required", identity_mfa_required(ROLE_BIT(r)),
                                      "permissions", list));
    }
    return all;
}
