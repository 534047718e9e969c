/*
 * metrics.c: request counters and latency histograms per route, kept in atomics that the
 * request path bumps without a lock, and the Prometheus text rendering of /metrics
 * (requests by route and status, latency histograms, events ingested, queue depth,
 * snapshot version, live streams).
 */
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

static const unsigned status_codes[HTTP_STATUS_SLOTS] = {
    0 /* other */, 200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503};

/* Upper bounds of the latency buckets, in microseconds (0.5 ms .. 10 s). */
static const int64_t latency_bounds_us[HTTP_LATENCY_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 2500000, 10000000};

void http_metrics_init(struct http_metrics *m)
{
    memset(m, 0, sizeof(*m));
    m->routes = xcalloc(http_routes_count + 1, sizeof(*m->routes));
}

void http_metrics_free(struct http_metrics *m)
{
    free(m->routes);
    m->routes = NULL;
}

static unsigned status_slot(unsigned status)
{
    for (unsigned i = 1; i < HTTP_STATUS_SLOTS; i++)
        if (status_codes[i] == status)
            return i;
    return 0;
}

void http_metrics_observe(struct http_metrics *m, size_t route_index, unsigned status,
                          int64_t duration_us, bool stream)
{
    struct http_route_metrics *rm = &m->routes[route_index];
    unsigned b = 0;
    atomic_fetch_add_explicit(&rm->by_status[status_slot(status)], 1, memory_order_relaxed);
    if (stream)
        return;
    while (b < HTTP_LATENCY_BUCKETS && duration_us > latency_bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&rm->latency[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rm->latency_sum_us,
                              (uint_fast64_t)(duration_us > 0 ? duration_us : 0),
                              memory_order_relaxed);
}

static uint64_t load(atomic_uint_fast64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

/* The label pair for a route: route="GET /api/v1/doors/{id}". */
static void route_label(size_t i, char *buf, size_t len)
{
    if (i == http_routes_count)
        gh_strlcpy(buf, "unmatched", len);
    else
        gh_snprintf(buf, len, "%s %s", http_routes[i].method, http_routes[i].pattern);
}

int http_metrics_render(struct http_server *srv, struct gh_buf *out)
{
    struct http_metrics *m = &srv->metrics;
    struct ingest_stats is;
    char label[HTTP_PATH_MAX];
    int64_t version;
    int r = 0;

    r |= gh_buf_printf(out, "# HELP gatehouse_http_requests_total HTTP requests by route and "
                            "status.\n# TYPE gatehouse_http_requests_total counter\n");
    for (size_t i = 0; i <= http_routes_count; i++) {
        route_label(i, label, sizeof(label));
        for (unsigned s = 0; s < HTTP_STATUS_SLOTS; s++) {
            uint64_t n = load(&m->routes[i].by_status[s]);
            if (n == 0)
                continue;
            if (s == 0)
                r |= gh_buf_printf(out,
                                   "gatehouse_http_requests_total{route=\"%s\",status=\"other\"} "
                                   "%llu\n",
                                   label, (unsigned long long)n);
            else
                r |= gh_buf_printf(out,
                                   "gatehouse_http_requests_total{route=\"%s\",status=\"%u\"} "
                                   "%llu\n",
                                   label, status_codes[s], (unsigned long long)n);
        }
    }
    r |= gh_buf_printf(out, "# HELP gatehouse_http_request_duration_seconds Time to answer a "
                            "request (live streams excluded).\n"
                            "# TYPE gatehouse_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= http_routes_count; i++) {
        struct http_route_metrics *rm = &m->routes[i];
        uint64_t cum = 0;
        uint64_t total = 0;
        for (unsigned b = 0; b <= HTTP_LATENCY_BUCKETS; b++)
            total += load(&rm->latency[b]);
        if (total == 0)
            continue;
        route_label(i, label, sizeof(label));
        for (unsigned b = 0; b < HTTP_LATENCY_BUCKETS; b++) {
            cum += load(&rm->latency[b]);
            r |= gh_buf_printf(out,
                               "gatehouse_http_request_duration_seconds_bucket{route=\"%s\","
                               "le=\"%g\"} %llu\n",
                               label, (double)latency_bounds_us[b] / 1e6, (unsigned long long)cum);
        }
        r |= gh_buf_printf(out,
                           "gatehouse_http_request_duration_seconds_bucket{route=\"%s\","
                           "le=\"+Inf\"} %llu\n"
                           "gatehouse_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                           "gatehouse_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                           label, (unsigned long long)total, label,
                           (double)load(&rm->latency_sum_us) / 1e6, label,
                           (unsigned long long)total);
    }
    ingest_stats(srv->ing, &is);
    pthread_mutex_lock(&srv->policy_mu);
    version = srv->snapshot_version;
    pthread_mutex_unlock(&srv->policy_mu);
    r |= gh_buf_printf(
        out,
        "# HELP gatehouse_events_ingested_total Events committed by the event writer.\n"
        "# TYPE gatehouse_events_ingested_total counter\n"
        "gatehouse_events_ingested_total %llu\n"
        "# HELP gatehouse_events_failed_total Events lost in batches whose commit failed.\n"
        "# TYPE gatehouse_events_failed_total counter\n"
        "gatehouse_events_failed_total %llu\n"
        "# HELP gatehouse_ingest_queue_depth Events submitted and not yet committed.\n"
        "# TYPE gatehouse_ingest_queue_depth gauge\n"
        "gatehouse_ingest_queue_depth %llu\n"
        "# HELP gatehouse_event_last_offset Highest committed event offset seen by the writer.\n"
        "# TYPE gatehouse_event_last_offset gauge\n"
        "gatehouse_event_last_offset %lld\n"
        "# HELP gatehouse_snapshot_version Policy version of the published decision snapshot "
        "(-1: none yet).\n"
        "# TYPE gatehouse_snapshot_version gauge\n"
        "gatehouse_snapshot_version %lld\n"
        "# HELP gatehouse_sse_clients Live event streams open.\n"
        "# TYPE gatehouse_sse_clients gauge\n"
        "gatehouse_sse_clients %llu\n"
        "# HELP gatehouse_sse_events_sent_total Events sent on live streams.\n"
        "# TYPE gatehouse_sse_events_sent_total counter\n"
        "gatehouse_sse_events_sent_total %llu\n"
        "# HELP gatehouse_exports_running Exports being streamed.\n"
        "# TYPE gatehouse_exports_running gauge\n"
        "gatehouse_exports_running %llu\n"
        "# HELP gatehouse_uptime_seconds Seconds since the server started.\n"
        "# TYPE gatehouse_uptime_seconds gauge\n"
        "gatehouse_uptime_seconds %lld\n",
        (unsigned long long)is.committed, (unsigned long long)is.failed,
        (unsigned long long)(is.submitted - is.committed - is.failed), (long long)is.last_offset,
        (long long)version, (unsigned long long)load(&m->sse_clients),
        (unsigned long long)load(&m->sse_sent), (unsigned long long)load(&m->exports_running),
        (long long)((gh_now_us() - srv->started_us) / GH_USEC_PER_SEC));
    if (srv->forwarder != NULL) {
        struct audit_forwarder_stats fs;
        audit_forwarder_stats(srv->forwarder, &fs);
        r |= gh_buf_printf(
            out,
            "# HELP gatehouse_siem_connected Whether the SIEM receiver is connected.\n"
            "# TYPE gatehouse_siem_connected gauge\n"
            "gatehouse_siem_connected %d\n"
            "# HELP gatehouse_siem_messages_sent_total Messages written to the SIEM receiver "
            "(resent ones included).\n"
            "# TYPE gatehouse_siem_messages_sent_total counter\n"
            "gatehouse_siem_messages_sent_total %llu\n"
            "# HELP gatehouse_siem_reconnects_total Connections to the SIEM receiver after the "
            "first.\n"
            "# TYPE gatehouse_siem_reconnects_total counter\n"
            "gatehouse_siem_reconnects_total %llu\n"
            "# HELP gatehouse_siem_event_cursor Last event offset known delivered (saved).\n"
            "# TYPE gatehouse_siem_event_cursor gauge\n"
            "gatehouse_siem_event_cursor %lld\n"
            "# HELP gatehouse_siem_audit_cursor Next audit index to deliver (saved).\n"
            "# TYPE gatehouse_siem_audit_cursor gauge\n"
            "gatehouse_siem_audit_cursor %lld\n",
            fs.connected ? 1 : 0, (unsigned long long)fs.sent, (unsigned long long)fs.reconnects,
            (long long)fs.event_cursor, (long long)fs.audit_cursor);
    }
    if (srv->runner != NULL) {
        struct incident_runner_stats rs;
        incident_runner_stats(srv->runner, &rs);
        r |= gh_buf_printf(
            out,
            "# HELP gatehouse_rules_events_total Events the detectors judged.\n"
            "# TYPE gatehouse_rules_events_total counter\n"
            "gatehouse_rules_events_total %llu\n"
            "# HELP gatehouse_rules_alarms_total New alarms raised.\n"
            "# TYPE gatehouse_rules_alarms_total counter\n"
            "gatehouse_rules_alarms_total %llu\n"
            "# HELP gatehouse_rules_repeats_total Alarms raised again within the window (folded "
            "into an open alarm).\n"
            "# TYPE gatehouse_rules_repeats_total counter\n"
            "gatehouse_rules_repeats_total %llu\n"
            "# HELP gatehouse_rules_incidents_total Incidents opened by alarms.\n"
            "# TYPE gatehouse_rules_incidents_total counter\n"
            "gatehouse_rules_incidents_total %llu\n"
            "# HELP gatehouse_rules_errors_total Alarms that could not be recorded (logged).\n"
            "# TYPE gatehouse_rules_errors_total counter\n"
            "gatehouse_rules_errors_total %llu\n"
            "# HELP gatehouse_rules_cursor The last event offset the detectors judged.\n"
            "# TYPE gatehouse_rules_cursor gauge\n"
            "gatehouse_rules_cursor %lld\n",
            (unsigned long long)rs.events, (unsigned long long)rs.alarms,
            (unsigned long long)rs.repeats, (unsigned long long)rs.incidents,
            (unsigned long long)rs.errors, (long long)rs.offset);
    }
    if (srv->notifier != NULL) {
        struct incident_notifier_stats ns;
        incident_notifier_stats(srv->notifier, &ns);
        r |= gh_buf_printf(out,
                           "# HELP gatehouse_notifications_sent_total E-mails and webhooks "
                           "delivered.\n"
                           "# TYPE gatehouse_notifications_sent_total counter\n"
                           "gatehouse_notifications_sent_total %llu\n"
                           "# HELP gatehouse_notifications_failed_total Messages given up.\n"
                           "# TYPE gatehouse_notifications_failed_total counter\n"
                           "gatehouse_notifications_failed_total %llu\n"
                           "# HELP gatehouse_notifications_retries_total Failed attempts that "
                           "will be tried again.\n"
                           "# TYPE gatehouse_notifications_retries_total counter\n"
                           "gatehouse_notifications_retries_total %llu\n",
                           (unsigned long long)ns.sent, (unsigned long long)ns.failed,
                           (unsigned long long)ns.retries);
    }
    return r < 0 ? -ENOSPC : 0;
}
