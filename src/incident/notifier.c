/*
 * notifier.c: the thread that sends the queued messages (the notifications table): e-mail
 * over SMTP and webhooks over HTTP(S), both with libcurl. Each outcome is recorded on the
 * row and on the incident's timeline, in one transaction with an incident event. A failed
 * send is tried again after a backoff (2, 4, 8 ... s, at most backoff_max_s) until
 * max_attempts, then given up and said so on the timeline.
 *
 * A webhook is a JSON POST signed with HMAC-SHA256 under the data dir's webhook key
 * (keys/webhook.key, 32 random bytes, 0600, made once): X-Gatehouse-Timestamp: T (Unix
 * seconds) and X-Gatehouse-Signature: sha256=HEX of HMAC(key, "T." + body). A receiver
 * recomputes it and refuses old timestamps. Any 2xx answer counts as delivered;
 * redirects are not followed.
 */
#include "incident/incident_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_US   (250 * 1000) /* a look at the queue at least this often */
#define BATCH     16
#define REPLY_MAX 4096

void incident_notifier_config_init(struct incident_notifier_config *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_s = 10;
    c->max_attempts = 8;
    c->backoff_max_s = 300;
}

struct incident_notifier {
    struct incident_notifier_config cfg;
    incident_notify_fn notify;
    void *notify_ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    atomic_bool stopping;
    struct incident_notifier_stats stats; /* under mu */
    struct store *st;
    uint8_t key[32];
    char password[256];
};

/* ---- sending ------------------------------------------------------------------------------ */

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
    struct upload *u = ctx;
    size_t k = size * n < u->left ? size * n : u->left;
    memcpy(buf, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

static size_t on_reply(char *data, size_t size, size_t n, void *ctx)
{
    struct gh_buf *b = ctx;
    size_t k = size * n;
    if (b->len + k <= REPLY_MAX)
        gh_buf_append(b, data, k);
    return k; /* the rest is read and dropped */
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct incident_notifier *nt = ctx;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return atomic_load(&nt->stopping) ? 1 : 0; /* a stop aborts a slow send */
}

static void common(struct incident_notifier *nt, CURL *h, const char *url)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)nt->cfg.timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)nt->cfg.timeout_s);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, nt);
    if (nt->cfg.ca_file[0])
        curl_easy_setopt(h, CURLOPT_CAINFO, nt->cfg.ca_file);
}

/* A subject (at most 255 bytes): as it is when plain printable ASCII, else one RFC 2047
 * encoded word. */
#define SUBJECT_OUT (12 + sodium_base64_ENCODED_LEN(255, sodium_base64_VARIANT_ORIGINAL))
static void header_text(const char *s, char out[SUBJECT_OUT])
{
    bool plain = true;
    size_t n = strlen(s) < 255 ? strlen(s) : 255;
    for (size_t i = 0; i < n; i++)
        plain = plain && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
    if (plain) {
        memcpy(out, s, n);
        out[n] = '\0';
        return;
    }
    memcpy(out, "=?UTF-8?B?", 10);
    sodium_bin2base64(out + 10, SUBJECT_OUT - 12, (const unsigned char *)s, n,
                      sodium_base64_VARIANT_ORIGINAL);
    memcpy(out + strlen(out), "?=", 3);
}

static int send_email(struct incident_notifier *nt, const struct notification *n, char *why,
                      size_t why_len)
{
    CURL *h;
    struct curl_slist *rcpt = NULL;
    struct gh_buf msg;
    struct upload up;
    char date[64], subject[SUBJECT_OUT], from[MODEL_EMAIL_MAX + 4], to[sizeof(n->target) + 4];
    uint8_t rnd[8];
    char rhex[17];
    time_t now = time(NULL);
    struct tm tm;
    CURLcode cc;
    int r = 0;
    if (nt->cfg.smtp_url[0] == '\0') {
        snprintf(why, why_len, "no mail server configured ([notify] smtp_url)");
        return -EINVAL;
    }
    if ((h = curl_easy_init()) == NULL) {
        snprintf(why, why_len, "cannot make a mail client");
        return -ENOMEM;
    }
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    header_text(n->subject, subject);
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(rhex, sizeof(rhex), rnd, sizeof(rnd));
    gh_buf_init(&msg, 64u << 10);
    gh_buf_printf(&msg,
                  "Date: %s\r\nFrom: gatehouse <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
                  "Message-ID: <gatehouse.%lld.%s@%s>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: 8bit\r\nX-Gatehouse-Incident: %lld\r\n\r\n",
                  date, nt->cfg.smtp_from, n->target, subject, (long long)n->id, rhex,
                  strchr(nt->cfg.smtp_from, '@') ? strchr(nt->cfg.smtp_from, '@') + 1 : "gatehouse",
                  (long long)n->incident_id);
    for (const char *p = n->body; *p; p++) { /* lines end in CRLF */
        if (*p == '\n' && (p == n->body || p[-1] != '\r'))
            gh_buf_append(&msg, "\r", 1);
        gh_buf_append(&msg, p, 1);
    }
    snprintf(from, sizeof(from), "<%s>", nt->cfg.smtp_from);
    snprintf(to, sizeof(to), "<%s>", n->target);
    rcpt = curl_slist_append(NULL, to);
    up.p = msg.data;
    up.left = msg.len;
    common(nt, h, nt->cfg.smtp_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    if (nt->cfg.smtp_starttls)
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (nt->cfg.smtp_user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, nt->cfg.smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, nt->password);
    }
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        snprintf(why, why_len, "%s%s%ld", curl_easy_strerror(cc), code ? ": SMTP " : "", code);
        if (!code)
            why[strlen(why) - 1] = '\0'; /* no code: drop the "0" */
        r = -EIO;
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    gh_buf_free(&msg);
    return r;
}

static int send_webhook(struct incident_notifier *nt, struct store *st,
                        const struct notification *n, char *why, size_t why_len)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL, *tmp;
    struct incident x;
    struct gh_buf reply;
    json_t *doc, *inc = json_null();
    char *body, ts[24], line[128], sig_hex[65];
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state hs;
    char when[GH_ISO_LEN];
    long status = 0;
    CURLcode cc;
    int r = 0;
    if (h == NULL) {
        snprintf(why, why_len, "cannot make an HTTP client");
        return -ENOMEM;
    }
    if (n->incident_id != 0 && store_incident_get(st, n->incident_id, &x) == 0)
        inc = json_pack("{s:I, s:s, s:i, s:s, s:s}", "id", (json_int_t)x.id, "title", x.title,
                        "severity", x.severity, "status", incident_status_name(x.status), "type",
                        x.type);
    gh_format_iso(gh_now_us(), when);
    doc = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s}", "delivery", (json_int_t)n->id, "template",
                    n->template_name, "subject", n->subject, "body", n->body, "incident", inc,
                    "sent", when);
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (body == NULL) {
        curl_easy_cleanup(h);
        snprintf(why, why_len, "cannot make the message");
        return -ENOMEM;
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    crypto_auth_hmacsha256_init(&hs, nt->key, sizeof(nt->key));
    crypto_auth_hmacsha256_update(&hs, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&hs, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&hs, (const uint8_t *)body, strlen(body));
    crypto_auth_hmacsha256_final(&hs, mac);
    sodium_bin2hex(sig_hex, sizeof(sig_hex), mac, sizeof(mac));
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    snprintf(line, sizeof(line), "X-Gatehouse-Timestamp: %s", ts);
    if ((tmp = curl_slist_append(hdr, line)) != NULL)
        hdr = tmp;
    snprintf(line, sizeof(line), "X-Gatehouse-Signature: sha256=%s", sig_hex);
    if ((tmp = curl_slist_append(hdr, line)) != NULL)
        hdr = tmp;
    snprintf(line, sizeof(line), "X-Gatehouse-Delivery: %lld", (long long)n->id);
    if ((tmp = curl_slist_append(hdr, line)) != NULL)
        hdr = tmp;
    gh_buf_init(&reply, REPLY_MAX + 1);
    common(nt, h, n->target);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "gatehouse/" GH_VERSION_STRING);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK) {
        snprintf(why, why_len, "%s", curl_easy_strerror(cc));
        r = -EIO;
    } else if (status < 200 || status > 299) {
        snprintf(why, why_len, "HTTP %ld", status);
        r = -EIO;
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    gh_buf_free(&reply);
    free(body);
    return r;
}

/* ---- the loop ----------------------------------------------------------------------------- */

struct batch {
    struct notification v[BATCH];
    int n;
};

static int collect(void *ctx, const struct notification *n)
{
    struct batch *b = ctx;
    b->v[b->n++] = *n;
    return b->n == BATCH;
}

/* Records one send's outcome: the row, and the incident's timeline with its event. */
static void record(struct incident_notifier *nt, struct notification *n, int rc, const char *why)
{
    struct gh_err err = {{0}};
    struct incident x;
    char text[800];
    const char *chan = strcmp(n->channel, "email") == 0 ? "e-mail" : "webhook";
    int64_t now = gh_now_us();
    bool tell = true;
    n->attempts++;
    if (rc == 0) {
        n->status = NOTE_SENT;
        n->sent_us = now;
        n->last_error[0] = '\0';
        snprintf(text, sizeof(text), "%s sent to %s (%s)", chan, n->target, n->template_name);
    } else if ((unsigned)n->attempts >= nt->cfg.max_attempts || rc == -EINVAL) {
        /* -EINVAL: it cannot be sent as things are (no mail server): no use trying again */
        n->status = NOTE_FAILED;
        gh_strlcpy(n->last_error, why, sizeof(n->last_error));
        if (rc == -EINVAL)
            snprintf(text, sizeof(text), "%s to %s cannot be sent: %s", chan, n->target, why);
        else
            snprintf(text, sizeof(text), "%s to %s failed %d times, given up: %s", chan, n->target,
                     n->attempts, why);
    } else {
        int64_t wait_s = (int64_t)1 << (n->attempts < 20 ? n->attempts : 20);
        if (wait_s > (int64_t)nt->cfg.backoff_max_s)
            wait_s = nt->cfg.backoff_max_s;
        n->next_us = now + wait_s * GH_USEC_PER_SEC;
        gh_strlcpy(n->last_error, why, sizeof(n->last_error));
        tell = n->attempts == 1; /* the first failure is said; the retries are counted */
        snprintf(text, sizeof(text), "%s to %s failed (%s); trying again", chan, n->target, why);
    }
    gh_utf8_mend(text);
    if (store_begin_write(nt->st) < 0) {
        log_error("notifier: %s", store_errmsg(nt->st));
        return;
    }
    rc = store_notification_update(nt->st, n, &err);
    if (rc == 0 && tell && n->incident_id != 0 &&
        store_incident_get(nt->st, n->incident_id, &x) == 0)
        rc = incident_record(nt->st, &x, "notify", "notifier", now, text, &err);
    if (rc == 0 && (rc = store_commit(nt->st)) < 0)
        gh_fail(&err, rc, "commit: %s", store_errmsg(nt->st));
    if (rc < 0) {
        store_rollback(nt->st);
        log_error("notifier: notification %lld: %s", (long long)n->id, err.msg);
        return;
    }
    pthread_mutex_lock(&nt->mu);
    nt->stats.sent += n->status == NOTE_SENT;
    nt->stats.failed += n->status == NOTE_FAILED;
    nt->stats.retries += n->status == NOTE_PENDING;
    pthread_mutex_unlock(&nt->mu);
    if (n->status != NOTE_SENT)
        log_warn("notifier: %s", text);
    if (tell && nt->notify != NULL)
        nt->notify(nt->notify_ctx, store_event_last_offset(nt->st));
}

static void *notifier_main(void *arg)
{
    struct incident_notifier *nt = arg;
    while (!atomic_load(&nt->stopping)) {
        struct batch b;
        struct timespec until;
        b.n = 0;
        if (store_notification_due(nt->st, gh_now_us(), BATCH, collect, &b) < 0)
            log_error("notifier: reading the queue: %s", store_errmsg(nt->st));
        for (int i = 0; i < b.n && !atomic_load(&nt->stopping); i++) {
            struct notification *n = &b.v[i];
            char why[256] = "";
            int rc = strcmp(n->channel, "email") == 0
                         ? send_email(nt, n, why, sizeof(why))
                         : send_webhook(nt, nt->st, n, why, sizeof(why));
            if (atomic_load(&nt->stopping) && rc < 0)
                break; /* cut short by the stop: tried again at the next start */
            record(nt, n, rc, why);
        }
        if (b.n == BATCH)
            continue;
        pthread_mutex_lock(&nt->mu);
        if (!atomic_load(&nt->stopping)) {
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += POLL_US * 1000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&nt->cond, &nt->mu, &until);
        }
        pthread_mutex_unlock(&nt->mu);
    }
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_status;

static void curl_start(void)
{
    curl_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void notifier_free(struct incident_notifier *nt)
{
    store_close(nt->st);
    sodium_memzero(nt->key, sizeof(nt->key));
    sodium_memzero(nt->password, sizeof(nt->password));
    pthread_cond_destroy(&nt->cond);
    pthread_mutex_destroy(&nt->mu);
    free(nt);
}

int incident_notifier_start(const char *db_path, const struct incident_notifier_config *cfg,
                            incident_notify_fn notify, void *ctx, struct incident_notifier **out,
                            struct gh_err *err)
{
    struct incident_notifier *nt;
    bool created;
    int rc;
    pthread_once(&curl_once, curl_start);
    if (curl_status != CURLE_OK)
        return gh_fail(err, -EIO, "notifier: libcurl: %s", curl_easy_strerror(curl_status));
    nt = xcalloc(1, sizeof(*nt));
    nt->cfg = *cfg;
    nt->notify = notify;
    nt->notify_ctx = ctx;
    pthread_mutex_init(&nt->mu, NULL);
    pthread_cond_init(&nt->cond, NULL);
    atomic_init(&nt->stopping, false);
    if ((rc = gh_secret_load_or_create(cfg->key_dir, "webhook.key", nt->key, sizeof(nt->key),
                                       &created, err)) < 0)
        goto fail;
    if (cfg->smtp_password_file[0]) {
        char *text = NULL;
        size_t len = 0;
        if ((rc = gh_read_file(cfg->smtp_password_file, sizeof(nt->password) - 1, &text, &len,
                               err)) < 0)
            goto fail;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            len--;
        memcpy(nt->password, text, len);
        nt->password[len] = '\0';
        sodium_memzero(text, len);
        free(text);
    }
    if ((rc = store_open(db_path, STORE_DURABLE, &nt->st, err)) < 0)
        goto fail;
    if (pthread_create(&nt->thread, NULL, notifier_main, nt) != 0) {
        rc = gh_fail(err, -EAGAIN, "cannot start the notifier thread");
        goto fail;
    }
    *out = nt;
    return 0;
fail:
    notifier_free(nt);
    return rc;
}

void incident_notifier_wake(struct incident_notifier *nt)
{
    if (nt == NULL)
        return;
    pthread_mutex_lock(&nt->mu);
    pthread_cond_signal(&nt->cond);
    pthread_mutex_unlock(&nt->mu);
}

void incident_notifier_stats(struct incident_notifier *nt, struct incident_notifier_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (nt == NULL)
        return;
    pthread_mutex_lock(&nt->mu);
    *out = nt->stats;
    pthread_mutex_unlock(&nt->mu);
}

void incident_notifier_stop(struct incident_notifier *nt)
{
    if (nt == NULL)
        return;
    atomic_store(&nt->stopping, true);
    incident_notifier_wake(nt);
    pthread_join(nt->thread, NULL);
    notifier_free(nt);
}
