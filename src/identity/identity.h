/*
 * identity.h: who is calling and what they may do. The permission table (one source of
 * truth for permission names), the role table, users and their passwords (policy,
 * Argon2id), TOTP MFA, sessions and sign-in throttling, LDAP and OpenID Connect sign-in,
 * the first administrator's setup token, and API tokens (stored only as a hash). Every
 * HTTP handler sees one struct identity_caller: a token or a signed-in user, with a
 * permission set.
 *
 * Ownership: callers and tokens are plain values. Thread-safety: every function is
 * thread-safe given a store used by one thread at a time (store.h).
 */
#ifndef GH_IDENTITY_H
#define GH_IDENTITY_H

#include "store/store.h"
#include <jansson.h>

/* API and setup tokens: a 4-character prefix + 43 base64url characters of 32 random bytes
 * + NUL */
#define IDENTITY_TOKEN_PREFIX "ghk_"
#define IDENTITY_TOKEN_LEN    48
/* Session cookies and OIDC states: 43 base64url characters of 32 random bytes + NUL */
#define IDENTITY_COOKIE_LEN 44

/* ---- permissions ------------------------------------------------------------------------ */

/* Never renumber: a caller's permissions are a bit set of these. The name table in perm.c
 * is the one source of their external spelling ("doors.read"). */
enum perm {
    PERM_NONE = 0,      /* routes open to anyone (health) */
    PERM_AUTHENTICATED, /* any authenticated caller (whoami); not grantable */
    PERM_CONTROLLER,    /* a door controller's signed request (/edge/v1/); not grantable */
    PERM_SITES_READ,    /* the first grantable permission */
    PERM_SITES_WRITE,
    PERM_DOORS_READ,
    PERM_DOORS_WRITE,
    PERM_DOORS_CONTROL,
    PERM_SCHEDULES_READ,
    PERM_SCHEDULES_WRITE,
    PERM_LEVELS_READ,
    PERM_LEVELS_WRITE,
    PERM_PEOPLE_READ,
    PERM_PEOPLE_WRITE,
    PERM_CREDENTIALS_READ,
    PERM_CREDENTIALS_WRITE,
    PERM_CREDENTIALS_REVOKE,
    PERM_ASSIGNMENTS_WRITE,
    PERM_EVENTS_READ,
    PERM_EVENTS_EXPORT,
    PERM_DECISIONS_RUN,
    PERM_IMPORTS_RUN,
    PERM_METRICS_READ,
    PERM_USERS_READ,
    PERM_USERS_ADMIN,
    PERM_TOKENS_ADMIN,
    PERM_AUDIT_READ,
    PERM_ALARMS_READ,
    PERM_ALARMS_HANDLE,
    PERM_INCIDENTS_READ,
    PERM_INCIDENTS_WRITE,
    PERM_INCIDENTS_ADMIN,
    PERM_DIRECTORY_READ,
    PERM_DIRECTORY_WRITE,
    PERM_NOTIFY_SEND,
    PERM_DRILLS_RUN,
    PERM_COUNT
};
#define PERM_FIRST PERM_SITES_READ
typedef uint64_t perm_set;
#define PERM_BIT(p) ((perm_set)1 << (p))
/* Every grantable permission. */
#define PERM_ALL (PERM_BIT(PERM_COUNT) - PERM_BIT(PERM_FIRST))

const char *perm_name(enum perm p);
/* One sentence saying what the permission allows. */
const char *perm_summary(enum perm p);
int perm_parse(const char *s, enum perm *out);
/* Whether an authenticated caller holding `set` passes `p` (PERM_NONE and
 * PERM_AUTHENTICATED always do; the router checks authentication itself). */
static inline bool perm_has(perm_set set, enum perm p)
{
    return p < PERM_FIRST || (set & PERM_BIT(p)) != 0;
}

/* Parses a scope list: names separated by commas or spaces; "*" is every permission,
 * "read" every *.read permission, "events.*" every permission of a group. -EINVAL with the
 * bad word and the accepted names in err. An empty list is refused. */
int perm_scope_parse(const char *s, perm_set *out, struct gh_err *err);
/* The canonical space-separated names of a set (for storage and display). */
int perm_scope_format(perm_set set, char *buf, size_t len);

/* ---- roles -------------------------------------------------------------------------------- */

/* A user holds one or more roles; a role grants a fixed set of permissions. The table in
 * role.c is the only place that says which: routes name permissions, never roles. Never
 * renumber (role sets are stored by name, but tests and bit sets use these values). */
enum role {
    ROLE_ADMIN = 0,         /* everything */
    ROLE_SECURITY_OPERATOR, /* the control room: monitor, investigate, lock down, revoke */
    ROLE_SECURITY_VIEWER,   /* what an operator sees, read-only */
    ROLE_IT_ADMIN,          /* users, roles, tokens, server health */
    ROLE_HR,                /* people, credentials, access levels of people, roster imports */
    ROLE_FACILITIES,        /* sites, areas, doors, schedules */
    ROLE_LEGAL,             /* investigations and exports for legal holds, the audit log */
    ROLE_FINANCE,           /* people and access records for cost and time questions */
    ROLE_COMMUNICATIONS,    /* where things are and what happens (notifications later) */
    ROLE_AUDITOR,           /* reads everything, including the audit log; changes nothing */
    ROLE_COUNT
};
typedef uint32_t role_set;
#define ROLE_BIT(r) ((role_set)1 << (r))

const char *role_name(enum role r);
/* One sentence saying what the role is for. */
const char *role_summary(enum role r);
/* The permissions role r grants. */
perm_set role_perms(enum role r);
/* The union of the permissions of every role in set. */
perm_set role_set_perms(role_set set);
/* Parses role names separated by commas or spaces ("hr, facilities"); an empty list is the
 * empty set. -EINVAL naming the bad word and the accepted names. */
int role_set_parse(const char *s, role_set *out, struct gh_err *err);
/* The canonical space-separated names (storage and display); -ENOSPC if len is too small. */
int role_set_format(role_set set, char *buf, size_t len);

/* ---- passwords ------------------------------------------------------------------------- */

/* NIST SP 800-63B: length counts characters (code points), any characters are allowed, no
 * composition rules; weak and known passwords are refused. */
#define IDENTITY_PASSWORD_MIN        12  /* characters, for accounts with MFA */
#define IDENTITY_PASSWORD_MIN_NO_MFA 15  /* characters, for accounts without MFA */
#define IDENTITY_PASSWORD_MAX        256 /* characters */
/* The least strength accepted: log2 of the guesses zxcvbn estimates (10^10 guesses). */
#define IDENTITY_PASSWORD_MIN_BITS 33.2
/* Argon2id (libsodium crypto_pwhash_str, RFC 9106): 3 passes over 64 MiB, one lane. */
#define IDENTITY_ARGON2_OPSLIMIT 3
#define IDENTITY_ARGON2_MEMLIMIT (64u << 20)
#define IDENTITY_HASH_MAX        128 /* crypto_pwhash_STRBYTES */

/* Checks a new password against the policy: valid UTF-8 without NUL, IDENTITY_PASSWORD_MIN
 * (with MFA) or _MIN_NO_MFA to _MAX characters, and at least IDENTITY_PASSWORD_MIN_BITS of
 * estimated strength, counting `words` (NULL-terminated: the user's name, e-mail ...; may
 * be NULL) as known to an attacker. 0, or -EINVAL with a reason a person can act on. */
int identity_password_policy(const char *pw, bool mfa, const char *const *words,
                             struct gh_err *err);
/* Hashes pw (Argon2id, a fresh salt) into out. Slow on purpose (~0.1 s, 64 MiB): never on
 * an HTTP thread. -ENOMEM when the memory cannot be had. */
int identity_password_hash(const char *pw, char out[IDENTITY_HASH_MAX], struct gh_err *err);
/* 0 when pw matches hash (*rehash set when its parameters are older than the current
 * ones), -EACCES when not or when hash is not a hash. As slow as hashing. */
int identity_password_verify(const char *hash, const char *pw, bool *rehash);
/* Costs what a verification costs, for users that do not exist (so that the time of a
 * reply does not tell whether a user name is known). */
void identity_password_verify_dummy(const char *pw);

/* ---- users ----------------------------------------------------------------------------- */

/* Sign-in names: 1..64 bytes of letters, digits and . _ @ - (e-mail-like names work),
 * starting with a letter or digit; unique regardless of case. */
int identity_user_name_check(const char *name, struct gh_err *err);
/* Creates u (name, display_name, email, source as given) with the roles listed in `roles`
 * (role_set_parse) and, for a local user, optionally a password (policy checked against
 * the user's own words, then hashed: slow). In the caller's transaction. -EINVAL naming
 * the field, -EEXIST when the name is taken. */
int identity_user_create(struct store *st, struct user *u, const char *roles, const char *password,
                         struct gh_err *err);
/* Replaces the password of u (policy, hash, password_changed_us) and saves u. */
int identity_user_set_password(struct store *st, struct user *u, const char *password,
                               struct gh_err *err);
/* The roles of u as a set (0 when its stored list does not parse: fail closed). */
role_set identity_user_roles(const struct user *u);

/* ---- LDAP / Active Directory sign-in ------------------------------------------------------ */

#define IDENTITY_LDAP_MAPS 32

/* A directory to check passwords against: a service account finds the user (one entry
 * under user_base matching user_filter, %s the escaped name), a bind as that entry checks
 * the password, and the groups it is a member of (group_filter under group_base, %s the
 * escaped user DN) give the roles through the maps. Empty url: no LDAP. */
struct identity_ldap_config {
    char url[256];     /* ldap://host:389 (with starttls) or ldaps://host:636 */
    bool starttls;     /* required for ldap:// unless the host is loopback */
    char ca_file[512]; /* trust for the directory's certificate ("": the system's) */
    char bind_dn[256]; /* the service account */
    char bind_password[256];
    char user_base[256];
    char user_filter[128]; /* default (uid=%s); Active Directory: (sAMAccountName=%s) */
    char group_base[256];
    char group_filter[128]; /* default (member=%s) */
    unsigned timeout_s;     /* per operation (default 5) */
    struct {
        char group_dn[256];
        enum role role;
    } maps[IDENTITY_LDAP_MAPS];
    int n_maps;
};

/* What the directory says of a user who gave the right password. */
struct identity_ldap_user {
    char dn[512];
    char display_name[MODEL_NAME_MAX];
    char email[MODEL_EMAIL_MAX + 1];
    role_set roles; /* from the group maps */
};

/* Checks name and password against the directory. 0 and *out; -EACCES when the name is
 * unknown, ambiguous or the password wrong (reason in err, for logs); -EIO when the
 * directory cannot be reached or refuses the service account. Blocking network I/O with
 * timeouts: call it on a worker. */
int identity_ldap_authenticate(const struct identity_ldap_config *c, const char *name,
                               const char *password, struct identity_ldap_user *out,
                               struct gh_err *err);
/* Every entry matching user_filter (with * for the name) under user_base, with its sign-in
 * name (the attribute user_filter compares, e.g. uid) and mapped roles, for a sync. cb
 * returns non-zero to stop. -EIO when the directory cannot be read. */
typedef int (*identity_ldap_cb)(void *ctx, const char *name, const struct identity_ldap_user *u);
int identity_ldap_list(const struct identity_ldap_config *c, identity_ldap_cb cb, void *ctx,
                       struct gh_err *err);

/* ---- OpenID Connect sign-in ---------------------------------------------------------------- */

#define IDENTITY_OIDC_MAPS       32
#define IDENTITY_OIDC_COOKIE     "__Host-gh_oidc" /* a sign-in's state, bound to its browser */
#define IDENTITY_OIDC_STATE_TTL  (10 * 60)        /* seconds a sign-in may take */
#define IDENTITY_OIDC_RETURN_MAX 512              /* return_to, with its NUL */
#define IDENTITY_OIDC_COOKIE_MAX 860              /* the sealed cookie value, with its NUL */

/* One provider, authorization code flow with PKCE (S256), state and nonce, a confidential
 * client (client_secret_basic, or client_secret_post). Only the ID token is read (no
 * userinfo): username_claim names the user, roles_claim (a string or an array of strings)
 * gives the roles through the maps, amr tells whether the provider checked a second
 * factor. Empty issuer: no OIDC. */
struct identity_oidc_config {
    char issuer[256]; /* https://..., exactly the "iss" of the provider's tokens */
    char client_id[256];
    char client_secret[256]; /* from client_secret_file (0600) */
    char redirect_uri[512];  /* https://THIS-SERVER/api/v1/auth/oidc/callback */
    char scopes[256];        /* default "openid profile email"; openid is always sent */
    char ca_file[512];       /* trust for the provider's certificate ("": the system's) */
    char label[64];          /* what the sign-in button says (default "Single sign-on") */
    char username_claim[64]; /* default preferred_username */
    char roles_claim[64];    /* default groups */
    char mfa_amr[128];       /* amr values that alone count as MFA (default below) */
    char algorithms[64];     /* accepted ID token algorithms (default "RS256 ES256 PS256") */
    bool client_secret_post; /* send the secret in the body instead of HTTP Basic */
    unsigned timeout_s;      /* per request to the provider (default 10; connecting: 3) */
    unsigned
        max_concurrent; /* sign-ins talking to the provider at once (the server: workers - 1) */
    struct {
        char value[256];
        enum role role;
    } maps[IDENTITY_OIDC_MAPS];
    int n_maps;
};
#define IDENTITY_OIDC_DEFAULT_AMR "mfa" /* and always: methods of two different factors */
#define IDENTITY_OIDC_DEFAULT_ALG "RS256 ES256 PS256"

/* Fills the defaults of the fields left empty, and checks the whole (https URLs, a
 * client, known algorithms). Errors name the key. */
int identity_oidc_config_check(struct identity_oidc_config *c, struct gh_err *err);

/* What a provider says of a user, once its ID token passed every check. */
struct identity_oidc_user {
    char sub[STORE_EXTERNAL_ID_MAX];
    char name[MODEL_NAME_MAX]; /* from username_claim */
    char display_name[MODEL_NAME_MAX];
    char email[MODEL_EMAIL_MAX + 1];
    role_set roles; /* from roles_claim through the maps */
    bool mfa;       /* amr holds one of mfa_amr */
};

/* A provider in use: the configuration, and its discovery document and keys (JWKS) once
 * fetched, kept for an hour (keys fetched again at once for an unknown kid, at most once
 * a minute). At most max_concurrent calls talk to it at once (others: -EBUSY at once);
 * after it failed (-EIO), calls fail at once for 30 s. Thread-safe; blocking network I/O
 * with timeouts: call from a worker. */
struct identity_oidc;
int identity_oidc_new(const struct identity_oidc_config *c, struct identity_oidc **out,
                      struct gh_err *err);
void identity_oidc_free(struct identity_oidc *o);
const struct identity_oidc_config *identity_oidc_config(const struct identity_oidc *o);

/* Begins a sign-in: a fresh state (43 characters: for the browser's cookie and the
 * provider), and the provider's authorization URL with it, the nonce and the PKCE
 * challenge (both derived from the state with the site key, so nothing secret is stored).
 * *url is malloc'd (caller frees). -EIO when the provider cannot be discovered. */
int identity_oidc_begin(struct identity_oidc *o, const uint8_t site_key[32],
                        char state[IDENTITY_COOKIE_LEN], char **url, struct gh_err *err);
/* The browser's cookie of a begun sign-in: the state, and sealed with a key derived from
 * the site key (XSalsa20-Poly1305) where to go afterwards (return_to, a path shorter than
 * IDENTITY_OIDC_RETURN_MAX) and until when (IDENTITY_OIDC_STATE_TTL). Nothing is stored. */
int identity_oidc_state_seal(const uint8_t site_key[32], const char *state, const char *return_to,
                             int64_t now_us, char cookie[IDENTITY_OIDC_COOKIE_MAX],
                             struct gh_err *err);
/* Takes a state back from the provider: it must be the one of the browser's cookie, the
 * cookie must open and be in time, and the state unused; it is then marked used in st (the
 * caller's transaction), so it works once. return_to gets where to go. -EACCES with the
 * reason. */
int identity_oidc_state_open(struct store *st, const uint8_t site_key[32], const char *cookie,
                             const char *state, int64_t now_us, char *return_to, size_t len,
                             struct gh_err *err);
/* Finishes a sign-in: exchanges code (with the PKCE verifier of state) at the token
 * endpoint and checks the ID token (below). -EACCES when refused, -EIO when the provider
 * cannot be reached or replies nonsense; the reason in err. */
int identity_oidc_finish(struct identity_oidc *o, const uint8_t site_key[32], const char *state,
                         const char *code, int64_t now_us, struct identity_oidc_user *out,
                         struct gh_err *err);
/* Checks an ID token against a JWKS document: a JWS with an accepted algorithm (never
 * "none" nor HMAC) and a valid signature by a key of the set (kid, type and curve
 * matching; RSA of at least 2048 bits), iss equal to the issuer, aud holding client_id
 * (azp equal to it when present), exp and iat within 60 s of leeway, iat at most
 * IDENTITY_OIDC_STATE_TTL old, nbf if present, nonce equal, a sub, and the user name
 * claim. -EACCES with the reason; -ENOKEY when no key of the set has the token's kid. */
int identity_oidc_check_id_token(const struct identity_oidc_config *c, const char *jwks,
                                 size_t jwks_len, const char *token, size_t len, const char *nonce,
                                 int64_t now_us, struct identity_oidc_user *out,
                                 struct gh_err *err);
/* Finds or creates the local record of a provider's user (matched by sub, never by name;
 * a new user's name must be free; the name stays as first given), refreshing its display
 * name, e-mail and roles, in the caller's
 * transaction. *roles_changed tells the caller to end the user's other sessions.
 * -EACCES when the user may not sign in (disabled, no mapped role, a second factor needed
 * and not reported): a known user then loses their roles (commit it, end their sessions);
 * -EEXIST when a new user's name is taken; the reason in err. */
int identity_oidc_user_sync(struct store *st, const struct identity_oidc_user *ou, int64_t now_us,
                            struct user *u, bool *roles_changed, struct gh_err *err);

/* ---- the first administrator -------------------------------------------------------------- */

#define IDENTITY_SETUP_PREFIX "ghs_"
#define IDENTITY_SETUP_TTL_US (24 * 3600 * INT64_C(1000000))

/* Makes a one-time setup token (printed by `gatehouse init`, stored hashed, valid 24 h). */
int identity_setup_token_create(struct store *st, int64_t now_us, char out[IDENTITY_TOKEN_LEN],
                                struct gh_err *err);
/* Whether some enabled user holds the admin role. */
bool identity_admin_exists(struct store *st);
/* Creates the first administrator with the setup token: valid, unused, unexpired, and no
 * administrator yet. In the caller's transaction; the token is used up. -EACCES when the
 * token does not allow it (the reason in err), or identity_user_create's errors. */
int identity_setup_admin(struct store *st, const char *token, struct user *u, const char *password,
                         int64_t now_us, struct gh_err *err);

/* ---- two-factor sign-in (TOTP, RFC 6238) ------------------------------------------------ */

#define IDENTITY_TOTP_KEY_LEN   20 /* bytes (160 bits, RFC 4226's recommendation) */
#define IDENTITY_TOTP_STEP_S    30
#define IDENTITY_TOTP_DIGITS    6
#define IDENTITY_RECOVERY_CODES 10
#define IDENTITY_RECOVERY_LEN   16 /* "xxxx-xxxx-xxxx" + NUL: 12 of 31 letters, 59 bits */
#define IDENTITY_OTPAUTH_MAX    512

/* Which roles require MFA: by default admin, the security roles and it_admin ([mfa]
 * required_roles). Set it before starting threads; read anywhere. */
#define IDENTITY_MFA_DEFAULT_ROLES                                                                 \
    (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_SECURITY_OPERATOR) | ROLE_BIT(ROLE_SECURITY_VIEWER) |    \
     ROLE_BIT(ROLE_IT_ADMIN))
void identity_mfa_policy_set(role_set roles);
role_set identity_mfa_policy(void);
/* Whether holding these roles requires MFA under the policy. */
bool identity_mfa_required(role_set roles);
/* Every role as JSON, by name: {"hr": {"summary": ..., "mfa_required": ..., "permissions":
 * [...]}, ...} under the current MFA policy (`gatehouse roles --json`, GET /api/v1/roles).
 * The caller owns the object. */
json_t *identity_roles_json(void);
/* Whether u needs MFA and has none yet: a local or LDAP user whose roles require it and
 * who has not enrolled TOTP (their sessions may only enroll). OIDC users never: the
 * provider's report of a second factor is checked at each sign-in instead. */
bool identity_mfa_missing(const struct user *u);
/* Starts enrollment: a fresh key sealed into u->totp_pending (the caller saves u), and for
 * the user's authenticator app its otpauth:// URI and a QR code of it as SVG (*svg:
 * malloc'd, caller frees). site_key seals the key at rest. */
int identity_mfa_begin(struct user *u, const uint8_t site_key[32], char uri[IDENTITY_OTPAUTH_MAX],
                       char **svg, struct gh_err *err);
/* Finishes enrollment with a code of the pending key: it becomes the user's key, and
 * IDENTITY_RECOVERY_CODES single-use recovery codes are made (returned once in codes,
 * stored hashed). Saves u, in the caller's transaction. -EACCES for a wrong code. */
int identity_mfa_confirm(struct store *st, struct user *u, const uint8_t site_key[32],
                         const char *code, int64_t now_us,
                         char codes[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN],
                         struct gh_err *err);
/* Checks a code of the user's key: ±1 time step, and never a step at or before the last
 * one accepted (a code works once). Saves the step. -EACCES when wrong or replayed. */
int identity_mfa_check(struct store *st, struct user *u, const uint8_t site_key[32],
                       const char *code, int64_t now_us);
/* Uses one of the user's recovery codes (each works once). -EACCES when it is not one. */
int identity_mfa_recovery(struct store *st, struct user *u, const uint8_t site_key[32],
                          const char *code, int64_t now_us);
/* Removes the user's MFA (key, pending key, recovery codes); saves u. */
int identity_mfa_reset(struct store *st, struct user *u, struct gh_err *err);

/* ---- sessions and sign-in throttling ---------------------------------------------------- */

#define IDENTITY_SESSION_COOKIE "__Host-gh_session" /* __Host-: Secure, Path=/, no Domain */

struct identity_caller;

/* Starts a session for u (from address): a fresh random id goes to cookie (shown to the
 * client once, stored only hashed) and a CSRF token to row->csrf. In the caller's
 * transaction. */
int identity_session_create(struct store *st, const struct user *u, const char *address,
                            int64_t now_us, int64_t lifetime_us, char cookie[IDENTITY_COOKIE_LEN],
                            struct session *row, struct gh_err *err);
/* Checks a cookie value: a live session, used within idle_us, before its absolute end, of
 * an enabled user. Fills caller (CALLER_USER, the permissions of the user's roles) and *s.
 * Records use at most once a minute (a small write, outside any transaction of the
 * caller's). -EACCES with the reason in err (for logs; clients are told only to sign in). */
int identity_session_authenticate(struct store *st, const char *cookie, int64_t now_us,
                                  int64_t idle_us, struct identity_caller *caller,
                                  struct session *s, struct gh_err *err);

/* Failed sign-ins are counted per key ("user:NAME", "addr:ADDRESS"): the first
 * IDENTITY_THROTTLE_FREE cost nothing, then each one doubles the wait before the next try,
 * up to IDENTITY_THROTTLE_MAX_S. A key with no failure for IDENTITY_THROTTLE_FORGET_S
 * starts again from zero. */
#define IDENTITY_THROTTLE_FREE     5
#define IDENTITY_THROTTLE_MAX_S    900
#define IDENTITY_THROTTLE_FORGET_S 900
/* Seconds key must still wait (0: it may try now). */
int64_t identity_throttle_wait(struct store *st, const char *key, int64_t now_us);
int identity_throttle_fail(struct store *st, const char *key, int64_t now_us);

/* ---- callers ---------------------------------------------------------------------------- */

enum caller_kind {
    CALLER_ANONYMOUS = 0,
    CALLER_TOKEN,
    CALLER_LOCAL, /* CLI, demo */
    CALLER_USER   /* a signed-in user (session cookie) */
};

struct identity_caller {
    enum caller_kind kind;
    int64_t id;                     /* token id or user id; 0 when anonymous */
    int64_t session_id;             /* CALLER_USER: the session */
    bool mfa_enroll_only;           /* CALLER_USER whose roles need MFA and who has none yet: no
                                       permissions until enrolled */
    char name[MODEL_NAME_MAX + 16]; /* "token:ci-export" (a whole token name), for logs, events */
    perm_set perms;
};

/* ---- API tokens --------------------------------------------------------------------------- */

/* Creates a token in the caller's transaction (or alone): name unique, scope as in
 * perm_scope_parse, expires_us GH_TIME_MAX for never. The secret goes to out (len >=
 * IDENTITY_TOKEN_LEN) and nowhere else; the caller shows it once and wipes it. */
int identity_token_create(struct store *st, const char *name, const char *scope, int64_t expires_us,
                          char *out, size_t len, struct api_token *row, struct gh_err *err);
/* The same for a token owned by user u: the scope must be within u's permissions now
 * (-EINVAL naming the first that is not), and on every use the token carries at most what
 * u holds then; it stops working when u is disabled. */
int identity_token_create_for(struct store *st, const struct user *u, const char *name,
                              const char *scope, int64_t expires_us, char *out, size_t len,
                              struct api_token *row, struct gh_err *err);
/* The permissions a user holds now (roles, none while MFA is required and missing, none
 * when disabled). */
perm_set identity_user_perms(const struct user *u);

/* Checks an "Authorization" header value ("Bearer ghk_..."). 0 and *caller filled when it
 * names a live token; -EACCES with a reason in err otherwise (missing, malformed, unknown,
 * expired, revoked: the reason is for logs; tell clients only "invalid token"). */
int identity_authenticate(struct store *st, const char *authorization, int64_t now_us,
                          struct identity_caller *caller, struct gh_err *err);

/* A small per-thread cache of recently verified tokens, so that a busy client does not cost
 * a database read per request for its token. An entry is trusted for at most
 * IDENTITY_CACHE_TTL_US after it was read (so revoking a token takes effect within that
 * time); expiry is checked on every use. Not thread-safe: one cache per thread. */
#define IDENTITY_CACHE_SLOTS  16
#define IDENTITY_CACHE_TTL_US 1000000
struct identity_token_cache {
    struct {
        uint8_t hash[32];
        int64_t checked_us; /* 0: empty */
        int64_t expires_us;
        struct identity_caller caller;
    } slot[IDENTITY_CACHE_SLOTS];
    unsigned next;
};
/* identity_authenticate through the cache (cache may be NULL: no caching). */
int identity_authenticate_cached(struct identity_token_cache *cache, struct store *st,
                                 const char *authorization, int64_t now_us,
                                 struct identity_caller *caller, struct gh_err *err);

#endif
