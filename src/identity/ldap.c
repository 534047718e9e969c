/*
 * ldap.c: password sign-in against LDAP or Active Directory (OpenLDAP's libldap): TLS
 * always (ldaps://, or StartTLS on ldap://) with the server's certificate checked, a
 * service account that finds the user's entry, a bind as that entry to check the password
 * (an empty password is refused first: an empty simple bind would "succeed"
 * unauthenticated), and group membership mapped to roles. Every value put into a filter
 * is escaped (RFC 4515).
 */
#include "identity/identity_int.h"

#define LDAP_DEPRECATED 0
#include <ctype.h>
#include <ldap.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A connection with TLS in place, bound as the service account. */
static int open_bound(const struct identity_ldap_config *c, LDAP **out, struct gh_err *err)
{
    LDAP *ld = NULL;
    int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;
    struct timeval tv = {(time_t)(c->timeout_s ? c->timeout_s : 5), 0};
    struct berval cred;
    if ((rc = ldap_initialize(&ld, c->url)) != LDAP_SUCCESS)
        return gh_fail(err, -EINVAL, "ldap.url '%s': %s", c->url, ldap_err2string(rc));
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (c->ca_file[0])
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file);
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    if (c->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
        gh_fail(err, -EIO, "ldap: StartTLS with %s failed: %s", c->url, ldap_err2string(rc));
        goto fail;
    }
    cred.bv_val = (char *)c->bind_password;
    cred.bv_len = strlen(c->bind_password);
    rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        gh_fail(err, -EIO, "ldap: the service account %s cannot bind: %s", c->bind_dn,
                ldap_err2string(rc));
        goto fail;
    }
    *out = ld;
    return 0;
fail:
    ldap_unbind_ext_s(ld, NULL, NULL);
    return -EIO;
}

/* filter_fmt with its one %s replaced by value, escaped. */
static int make_filter(const char *fmt, const char *value, char *out, size_t len)
{
    struct berval in = {strlen(value), (char *)value}, esc = {0, NULL};
    const char *p = strstr(fmt, "%s");
    int r = -EINVAL;
    if (p == NULL || strstr(p + 2, "%") != NULL)
        return -EINVAL;
    if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
        return -ENOMEM;
    if (gh_snprintf(out, len, "%.*s%s%s", (int)(p - fmt), fmt, esc.bv_val, p + 2) == 0)
        r = 0;
    ber_memfree(esc.bv_val);
    return r;
}

static void first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out, size_t len)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    out[0] = '\0';
    if (v != NULL && v[0] != NULL) {
        size_t n = v[0]->bv_len < len - 1 ? v[0]->bv_len : len - 1;
        memcpy(out, v[0]->bv_val, n);
        out[n] = '\0';
        gh_utf8_mend(out);
    }
    ldap_value_free_len(v);
}

/* The roles that the groups of the entry dn map to (none without group_base). */
static int user_groups(LDAP *ld, const struct identity_ldap_config *c, const char *dn,
                       role_set *roles, struct gh_err *err)
{
    static char *no_attrs[] = {"1.1", NULL};
    struct timeval tv = {(time_t)(c->timeout_s ? c->timeout_s : 5), 0};
    LDAPMessage *res = NULL, *e;
    char filter[1024];
    int rc;
    *roles = 0;
    if (!c->group_base[0])
        return 0;
    if (make_filter(c->group_filter[0] ? c->group_filter : "(member=%s)", dn, filter,
                    sizeof(filter)) < 0)
        return gh_fail(err, -EINVAL, "ldap.group_filter must hold one %%s");
    rc = ldap_search_ext_s(ld, c->group_base, LDAP_SCOPE_SUBTREE, filter, no_attrs, 0, NULL, NULL,
                           &tv, 1000, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        ldap_msgfree(res);
        return gh_fail(err, -EIO, "ldap: searching groups: %s", ldap_err2string(rc));
    }
    for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
        char *gdn = ldap_get_dn(ld, e);
        for (int i = 0; gdn != NULL && i < c->n_maps; i++)
            if (strcasecmp(gdn, c->maps[i].group_dn) == 0)
                *roles |= ROLE_BIT(c->maps[i].role);
        ldap_memfree(gdn);
    }
    ldap_msgfree(res);
    return 0;
}

int identity_ldap_authenticate(const struct identity_ldap_config *c, const char *name,
                               const char *password, struct identity_ldap_user *out,
                               struct gh_err *err)
{
    static char *attrs[] = {"cn", "displayName", "mail", NULL};
    struct timeval tv = {(time_t)(c->timeout_s ? c->timeout_s : 5), 0};
    LDAP *ld = NULL;
    LDAPMessage *res = NULL, *e;
    char filter[1024], *dn = NULL;
    struct berval cred;
    int rc, r = -EACCES;

    memset(out, 0, sizeof(*out));
    if (password[0] == '\0')
        return gh_fail(err, -EACCES, "ldap: empty password");
    if ((r = open_bound(c, &ld, err)) < 0)
        return r;
    r = -EACCES;
    if (make_filter(c->user_filter[0] ? c->user_filter : "(uid=%s)", name, filter, sizeof(filter)) <
        0) {
        r = gh_fail(err, -EINVAL, "ldap.user_filter must hold one %%s");
        goto out;
    }
    rc = ldap_search_ext_s(ld, c->user_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &tv,
                           2, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        r = gh_fail(err, -EIO, "ldap: searching %s for %s: %s", c->user_base, filter,
                    ldap_err2string(rc));
        goto out;
    }
    if (ldap_count_entries(ld, res) != 1) {
        gh_fail(err, -EACCES, "ldap: %d entries match %s", ldap_count_entries(ld, res), filter);
        goto out;
    }
    e = ldap_first_entry(ld, res);
    dn = ldap_get_dn(ld, e);
    if (dn == NULL || gh_strlcpy(out->dn, dn, sizeof(out->dn)) >= sizeof(out->dn)) {
        gh_fail(err, -EACCES, "ldap: the entry of %s has no usable DN", name);
        goto out;
    }
    first_value(ld, e, "displayName", out->display_name, sizeof(out->display_name));
    if (out->display_name[0] == '\0')
        first_value(ld, e, "cn", out->display_name, sizeof(out->display_name));
    first_value(ld, e, "mail", out->email, sizeof(out->email));
    ldap_msgfree(res);
    res = NULL;

    /* the password: a bind as the user's own entry */
    cred.bv_val = (char *)password;
    cred.bv_len = strlen(password);
    rc = ldap_sasl_bind_s(ld, out->dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        gh_fail(err, -EACCES, "ldap: bind as %s refused: %s", out->dn, ldap_err2string(rc));
        goto out;
    }
    /* groups, read as the service account again */
    ldap_unbind_ext_s(ld, NULL, NULL);
    ld = NULL;
    if ((r = open_bound(c, &ld, err)) < 0)
        goto out;
    r = -EACCES;
    if ((r = user_groups(ld, c, out->dn, &out->roles, err)) < 0)
        goto out;
    r = 0;
out:
    if (dn)
        ldap_memfree(dn);
    if (res)
        ldap_msgfree(res);
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    return r;
}

/* The attribute compared with the name in a user filter: "(uid=%s)" gives uid. */
static int name_attribute(const char *fmt, char *out, size_t len)
{
    const char *p = strstr(fmt, "=%s"), *a;
    if (p == NULL)
        return -EINVAL;
    for (a = p; a > fmt && (isalnum((unsigned char)a[-1]) || a[-1] == '-'); a--) {
    }
    if (a == p || (size_t)(p - a) >= len)
        return -EINVAL;
    memcpy(out, a, (size_t)(p - a));
    out[p - a] = '\0';
    return 0;
}

int identity_ldap_list(const struct identity_ldap_config *c, identity_ldap_cb cb, void *ctx,
                       struct gh_err *err)
{
    const char *fmt = c->user_filter[0] ? c->user_filter : "(uid=%s)";
    const char *p = strstr(fmt, "%s");
    struct timeval tv = {(time_t)(c->timeout_s ? c->timeout_s : 5) * 6, 0};
    char filter[512], attr[64];
    char *attrs[] = {attr, "cn", "displayName", "mail", NULL};
    LDAP *ld = NULL;
    LDAPMessage *res = NULL, *e;
    int rc, r;
    if (p == NULL || name_attribute(fmt, attr, sizeof(attr)) < 0 ||
        gh_snprintf(filter, sizeof(filter), "%.*s*%s", (int)(p - fmt), fmt, p + 2) < 0)
        return gh_fail(err, -EINVAL, "ldap.user_filter must compare one attribute with %%s");
    if ((r = open_bound(c, &ld, err)) < 0)
        return r;
    rc = ldap_search_ext_s(ld, c->user_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &tv,
                           100000, &res);
    if (rc != LDAP_SUCCESS) {
        r = gh_fail(err, -EIO, "ldap: listing %s with %s: %s", c->user_base, filter,
                    ldap_err2string(rc));
        goto out;
    }
    r = 0;
    for (e = ldap_first_entry(ld, res); e != NULL && r == 0; e = ldap_next_entry(ld, e)) {
        struct identity_ldap_user u;
        char name[MODEL_NAME_MAX], *dn = ldap_get_dn(ld, e);
        memset(&u, 0, sizeof(u));
        first_value(ld, e, attr, name, sizeof(name));
        if (dn == NULL || name[0] == '\0' || gh_strlcpy(u.dn, dn, sizeof(u.dn)) >= sizeof(u.dn)) {
            ldap_memfree(dn);
            continue; /* an entry without a usable name or DN cannot sign in either */
        }
        ldap_memfree(dn);
        first_value(ld, e, "displayName", u.display_name, sizeof(u.display_name));
        if (u.display_name[0] == '\0')
            first_value(ld, e, "cn", u.display_name, sizeof(u.display_name));
        first_value(ld, e, "mail", u.email, sizeof(u.email));
        if ((r = user_groups(ld, c, u.dn, &u.roles, err)) < 0)
            break;
        r = cb(ctx, name, &u);
    }
    if (r > 0)
        r = 0;
out:
    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return r;
}
