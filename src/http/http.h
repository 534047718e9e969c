/*
 * http.h: the server (`gatehouse serve`). libmicrohttpd with its internal epoll thread pool
 * and GnuTLS; a route table that names each route's handler, permission and schemas; JSON
 * in and out with problem+json (RFC 9457) errors; a live event stream (Server-Sent Events);
 * health, readiness and Prometheus metrics.
 *
 * Ownership: http_server_start() returns a server the caller stops and frees with
 * http_server_stop(). Thread-safety: http_server_stop() may be called from any thread once;
 * configuration functions are not thread-safe (use them before starting).
 */
#ifndef GH_HTTP_H
#define GH_HTTP_H

#include "audit/audit.h"
#include "identity/identity.h"
#include "incident/incident.h"
#include "interop/interop.h"

#include <limits.h>

/* ---- configuration ---------------------------------------------------------------------- */

#define HTTP_PATH_MAX 512

/* [dump]: the daily access dump (R-HR-2) */
struct http_dump_config {
    char dir[HTTP_PATH_MAX]; /* "": no dumps */
    unsigned at_minute;      /* local minute of the day (default 02:00) */
    char timezone[64];       /* IANA zone of at and of the days (default UTC) */
    unsigned backfill_days;  /* missing dumps of the days before yesterday made too (3) */
};

struct http_config {
    char data_dir[HTTP_PATH_MAX];
    char listen_addr[64]; /* numeric IPv4 or IPv6 address */
    unsigned port;
    char tls_cert[HTTP_PATH_MAX];     /* default: DATA/tls/cert.pem */
    char tls_key[HTTP_PATH_MAX];      /* default: DATA/tls/key.pem */
    bool plain_http;                  /* refused unless listen_addr is a loopback address */
    unsigned threads;                 /* HTTP worker threads (default: number of CPUs) */
    size_t max_body;                  /* bytes of a JSON request body (default 1 MiB) */
    size_t max_upload;                /* bytes of a roster upload (default 64 MiB) */
    unsigned max_json_depth;          /* nesting of a JSON body (default 32) */
    size_t max_header;                /* bytes of the request line and headers (default 16 KiB) */
    unsigned request_timeout_s;       /* idle seconds before a connection is closed (default 30) */
    unsigned max_connections;         /* at once (default 1024) */
    unsigned max_sse_clients;         /* live streams at once (default 256) */
    unsigned sse_heartbeat_s;         /* comment line sent on idle streams (default 15) */
    unsigned max_exports;             /* exports running at once (default 4) */
    unsigned workers;                 /* threads for slow work: password hashing (default 2) */
    unsigned max_queue;               /* slow requests waiting for a worker (default 64) */
    unsigned session_idle_s;          /* a session unused this long ends (default 1800) */
    unsigned session_lifetime_s;      /* a session ends this long after sign-in (default 43200) */
    role_set mfa_roles;               /* [mfa] required_roles (default: admin, security, IT) */
    struct identity_ldap_config ldap; /* [ldap]: url "" when not used */
    struct identity_oidc_config oidc; /* [oidc]: issuer "" when not used */
    struct audit_siem_config siem;    /* [siem]: target "" when not used */
    struct http_dump_config dump;     /* [dump]: dir "" when not used */
    struct incident_runner_config rules; /* [rules]: the detectors and the alarm store */
    struct incident_notifier_config notify; /* [notify]: e-mail and webhooks */
};

void http_config_init(struct http_config *c);
/* Wipes the secrets a configuration holds (the LDAP service password, the OIDC client
 * secret): call when done with a copy. */
void http_config_wipe(struct http_config *c);
/* Reads an ini file (sections [server], [tls], [limits], [sessions], [mfa], [ldap],
 * [oidc], [siem], [dump], [rules], [notify]); unknown keys and bad values are
 * errors naming file:line and the key; c changes only when the whole file is valid. Lines
 * longer than inih's buffer are refused, not cut. Flags are applied after (http_config_set). */
int http_config_load(const char *path, struct http_config *c, struct gh_err *err);
/* Sets one key ("server.listen", "limits.max_body", ...) from text, as the file would. */
int http_config_set(struct http_config *c, const char *section, const char *key, const char *value,
                    struct gh_err *err);
/* Fills defaults that depend on others (TLS paths under the data dir) and checks the
 * whole: a valid address, plain HTTP only on loopback, TLS files readable and a matching
 * pair, limits in range, an initialized data dir. */
int http_config_check(struct http_config *c, struct gh_err *err);

/* ---- the server --------------------------------------------------------------------------- */

struct http_server;

int http_server_start(const struct http_config *c, struct http_server **out, struct gh_err *err);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
/* Stops accepting, ends live streams, finishes in-flight requests, flushes the event
 * writer, frees everything. */
void http_server_stop(struct http_server *srv);

/* ---- the route table, for tools and the contract test --------------------------------- */

struct http_route_info {
    const char *method;
    const char *pattern;  /* "/api/v1/doors/{id}" */
    const char *perm;     /* permission name, "none" for open routes */
    const char *request;  /* schema name of the body, or NULL */
    const char *response; /* schema name of a success body, or NULL */
    const char *summary;
};
size_t http_route_count(void);
void http_route_get(size_t i, struct http_route_info *out);

/* ---- TLS ----------------------------------------------------------------------------------- */

/* Makes a self-signed certificate (ECDSA P-256, 10 years, CN and SAN `hostname`, plus
 * localhost, 127.0.0.1 and ::1) and writes cert (0644 less the umask; init uses 077) and
 * key (0600). */
int http_tls_generate(const char *cert_path, const char *key_path, const char *hostname,
                      struct gh_err *err);

#endif
