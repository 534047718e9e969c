/*
 * incident.h: alarms and incidents (issue 8, R-EVT-3, R-INC-1..6).
 *
 * An alarm is what a detector raised (src/rules). The alarm store folds the same condition
 * (the alarm's key) within a de-duplication window into one alarm that counts its repeats.
 * A new alarm whose type an incident type lists opens an incident of that type: owned by
 * its department, with a copy of its standard operating procedure (an ordered checklist)
 * and an escalation deadline. Incidents move new -> acknowledged -> investigating ->
 * resolved -> closed (incident_transition says which moves are allowed), and cannot be
 * resolved while a required step is open. Every change is written to the incident's
 * timeline and appended as an event (EV_ALARM, EV_INCIDENT) in the same transaction, so
 * the live stream, the SIEM feed and the console see it once it is durable.
 *
 * Every function here works inside the caller's write transaction on st (it neither
 * begins nor commits); on an error the caller rolls back, so nothing is half applied.
 * Thread-safety: none of its own; a struct store is used by one thread at a time.
 */
#ifndef GH_INCIDENT_H
#define GH_INCIDENT_H

#include "interop/interop.h"
#include "rules/rules.h"

/* Error codes beyond the store's, for the API's problem types. */
#define INCIDENT_E_TRANSITION (-1001) /* that status change is not allowed */
#define INCIDENT_E_STEPS      (-1002) /* resolve refused: required steps are open */

struct incident_config {
    unsigned dedup_window_s; /* the same key within this long updates one alarm (3600) */
    char console_url[256];   /* the console's address, for links in messages ("": none) */
};
void incident_config_init(struct incident_config *c);

/* What raised an alarm, beyond what the detector says. */
struct incident_raise {
    int64_t controller_id; /* the device it concerns (0: none) */
    int64_t drill_id;      /* raised by a drill's injected scenario (0: none) */
};

struct incident_raised {
    int64_t alarm_id;
    bool repeated;       /* an open alarm with its key was updated */
    int64_t incident_id; /* opened for it (0: none) */
};

/* Records an alarm at now_us: a new one, or a repeat of the open alarm with its key within
 * the window (its count, last time and event move on; its severity is the higher). A new
 * alarm whose type an incident type lists opens an incident (incident_open_for_alarm). */
int incident_alarm_raise(struct store *st, const struct incident_config *cfg,
                         const struct rules_alarm *a, const struct incident_raise *how,
                         int64_t now_us, struct incident_raised *out, struct gh_err *err);
/* Acknowledges (ack true) or clears an alarm in the name of who. Acknowledging the alarm of
 * a new incident acknowledges the incident too. -EINVAL when the alarm is cleared already
 * (or acknowledged, for ack). */
int incident_alarm_handle(struct store *st, int64_t alarm_id, bool ack, const char *who,
                          int64_t now_us, struct gh_err *err);

/* Opens an incident (status new) of type_name (an incident type's name: its title,
 * severity, department and procedure), or of no type when type_name is NULL (title,
 * severity and department from x). x->id is filled in. Its department's liaison (level 0
 * of the directory) is notified with the "incident" template; detail (may be NULL) says
 * what happened. */
int incident_open(struct store *st, const struct incident_config *cfg, const char *type_name,
                  struct incident *x, const char *detail, const char *who, int64_t now_us,
                  struct gh_err *err);

/* Whether an incident may go from one status to another. */
bool incident_transition_allowed(enum incident_status from, enum incident_status to);
/* The statuses allowed from `from`, as "a, b" (for messages). */
void incident_transitions_from(enum incident_status from, char *buf, size_t len);
/* Moves an incident to a new status. INCIDENT_E_TRANSITION when not allowed, with err
 * saying which are; INCIDENT_E_STEPS when resolving with required steps open (err names
 * them). Acknowledging stops the escalation. note (may be NULL) goes on the timeline. */
int incident_transition(struct store *st, int64_t id, enum incident_status to, const char *note,
                        const char *who, int64_t now_us, struct gh_err *err);
/* A note on the timeline (1..INCIDENT_TEXT_MAX-1 bytes). */
int incident_note(struct store *st, int64_t id, const char *text, const char *who, int64_t now_us,
                  struct gh_err *err);
/* Marks step idx done, skipped (with a reason) or open again. */
int incident_step_set(struct store *st, int64_t id, int idx, enum step_state state,
                      const char *reason, const char *who, int64_t now_us, struct gh_err *err);
/* Adds or removes an assignee (a user id); who names the change on the timeline. */
int incident_assign(struct store *st, int64_t id, int64_t user_id, const char *user_name, bool add,
                    const char *who, int64_t now_us, struct gh_err *err);
/* Links (or unlinks) an event, person, door, controller, alarm or clip. */
int incident_link(struct store *st, int64_t id, const char *kind, const char *ref, bool add,
                  const char *who, int64_t now_us, struct gh_err *err);
/* Attaches a file (a photo, a statement) of at most INCIDENT_ATTACHMENT_MAX bytes: name is
 * 1 to 127 bytes of printable UTF-8 without a slash; mime a type/subtype (NULL or "":
 * application/octet-stream). row gets the attachment (its SHA-256). */
#define INCIDENT_ATTACHMENT_MAX (16u << 20)
int incident_attach(struct store *st, int64_t id, const char *name, const char *mime,
                    const void *data, size_t len, const char *who, int64_t now_us,
                    struct attachment *row, struct gh_err *err);
/* Changes title, severity or department (fields of x that differ from the stored row). */
int incident_update(struct store *st, const struct incident *x, const char *who, int64_t now_us,
                    struct gh_err *err);

/* ---- the post-incident report (report.c) ----------------------------------------------------- */

/* The incident's report for the debrief (its facts, the people involved, alarms, the
 * procedure, the messages, the timeline) as Markdown, or as a standalone HTML page, into b. */
int incident_report(struct store *st, int64_t id, bool html, struct gh_buf *b, struct gh_err *err);

/* ---- drills (drill.c) ---------------------------------------------------------------------- */

enum incident_drill {
    DRILL_BADGE_CLONING = 0,
    DRILL_TERMINATED,
    DRILL_FORCED_DOOR,
    DRILL_AFTER_HOURS,
    DRILL_COUNT
};
const char *incident_drill_name(enum incident_drill d); /* "badge-cloning" ... */
int incident_drill_parse(const char *s, enum incident_drill *out);
/* Starts a drill: records it and injects its marked events (door_name: where, for the
 * scenarios of one door; NULL: the first door). *drill_id gets its id. In the caller's
 * transaction; the rules thread does the rest. -EINVAL (err says why) when the site cannot
 * stage it (no doors; for badge cloning, no two doors far enough apart). */
int incident_drill_run(struct store *st, enum incident_drill d, const char *door_name,
                       const char *who, int64_t now_us, int64_t *drill_id, struct gh_err *err);
/* The drill's report (reference returned): the drill, and per department its incidents
 * with the seconds from the injection to the alarm, to the acknowledgement and to the
 * resolution (null when not yet). */
int incident_drill_report(struct store *st, int64_t drill_id, json_t **out, struct gh_err *err);

/* ---- the rules thread (runner.c) ----------------------------------------------------------- */

struct incident_runner_config {
    bool disabled;
    struct rules_config rules;    /* the detectors' settings (its walks: the table below) */
    struct rules_walk walks[256]; /* the walking-time table ([rules] walks) */
    size_t n_walks;
    char scripts_dir[512];     /* custom Lua rules ("": none) */
    struct rules_scripts_config scripts; /* their limits (dir: scripts_dir) */
    struct incident_config inc;
    unsigned warmup_s; /* detectors relearn from this much history at start (7 days) */
    unsigned tick_ms;  /* the clock-driven detectors run this often (1000) */
};
void incident_runner_config_init(struct incident_runner_config *c);

/* Called on the rules thread after alarms were committed (last: the newest event offset). */
typedef void (*incident_notify_fn)(void *ctx, int64_t last_offset);

struct incident_runner_stats {
    uint64_t events;    /* judged */
    uint64_t alarms;    /* new alarms */
    uint64_t repeats;   /* raised again within the window (folded into an open alarm) */
    uint64_t incidents; /* opened by alarms */
    uint64_t errors;    /* alarms not recorded (logged) */
    int64_t offset;     /* the cursor: events up to here are judged */
};

/* Starts the rules thread on its own connection to db_path (see runner.c). Ownership: the
 * caller stops and frees it with incident_runner_stop. Thread-safety: wake and stats may
 * be called from any thread. */
struct incident_runner;
int incident_runner_start(const char *db_path, const struct incident_runner_config *cfg,
                          incident_notify_fn notify, void *ctx, struct incident_runner **out,
                          struct gh_err *err);
/* New events were committed: look now rather than at the next tick. NULL is a no-op. */
void incident_runner_wake(struct incident_runner *r);
void incident_runner_stats(struct incident_runner *r, struct incident_runner_stats *out);
void incident_runner_stop(struct incident_runner *r);

/* ---- notifications (notify.c) --------------------------------------------------------------- */

/* Fills a template's {{name}} from vars (strings and numbers; an unknown name is left
 * empty) into out, cut at len - 1 bytes on a character boundary. */
void incident_render(const char *tmpl, json_t *vars, char *out, size_t len);
/* The variables of an incident's messages: id, title, severity, severity_name, status,
 * department, opened, detail, url, level (reference returned; the caller frees it). */
json_t *incident_vars(struct store *st, const struct incident_config *cfg, const struct incident *x,
                      const char *detail, int level);
/* Queues one message per channel (e-mail, webhook) of each contact of x's department at
 * the first level >= level that has contacts, from the template; *used gets that level (-1
 * when there was none). The queueing is on the timeline. */
int incident_notify_level(struct store *st, const struct incident_config *cfg,
                          const struct incident *x, int level, const char *template_name,
                          const char *detail, int64_t now_us, int *used, struct gh_err *err);
/* A mass notification: the template, filled from the incident (when incident_id != 0)
 * and then from vars (site, message ...; reference kept by the caller), to every contact
 * of the departments given (all departments when n_departments is 0), at every level.
 * *queued gets how many messages were queued; on an incident it is on the timeline. */
int incident_notify_group(struct store *st, const struct incident_config *cfg,
                          const char *template_name, const int64_t *departments,
                          size_t n_departments, json_t *vars, int64_t incident_id, const char *who,
                          int64_t now_us, int *queued, struct gh_err *err);
/* Escalates every incident whose deadline has passed: the next level of its department's
 * directory is notified with the "escalation" template and the deadline moves on; with no
 * one left, escalation stops. *n gets how many escalated. */
int incident_escalate_due(struct store *st, const struct incident_config *cfg, int64_t now_us,
                          int *n, struct gh_err *err);

/* ---- the notifier thread (notifier.c) ------------------------------------------------------- */

struct incident_notifier_config {
    char smtp_url[256];                  /* smtp://HOST:PORT or smtps://...; "": no e-mail */
    char smtp_from[MODEL_EMAIL_MAX + 1]; /* the sender's address */
    char smtp_user[128];                 /* "": no authentication */
    char smtp_password_file[512];        /* the password, alone in a 0600 file */
    bool smtp_starttls;                  /* smtp:// must switch to TLS (STARTTLS) */
    char ca_file[512];                   /* trusted CAs for SMTP TLS and https webhooks */
    char key_dir[512];                   /* holds webhook.key (made once) */
    unsigned timeout_s;                  /* a send may take this long (10) */
    unsigned max_attempts;               /* then it is given up (8) */
    unsigned backoff_max_s;              /* the longest wait between attempts (300) */
};
void incident_notifier_config_init(struct incident_notifier_config *c);

struct incident_notifier_stats {
    uint64_t sent, failed, retries;
};

/* Starts the thread that sends the queued messages (see notifier.c) on its own connection
 * to db_path; notify is called after each outcome recorded on an incident. Ownership: the
 * caller stops and frees it with incident_notifier_stop. Thread-safety: wake and stats may
 * be called from any thread. */
struct incident_notifier;
int incident_notifier_start(const char *db_path, const struct incident_notifier_config *cfg,
                            incident_notify_fn notify, void *ctx, struct incident_notifier **out,
                            struct gh_err *err);
void incident_notifier_wake(struct incident_notifier *nt);
void incident_notifier_stats(struct incident_notifier *nt, struct incident_notifier_stats *out);
void incident_notifier_stop(struct incident_notifier *nt);

/* Whether incidents of type t are opened by alarms of alarm_type (its alarm_types list). */
bool incident_type_opens(const struct incident_type *t, const char *alarm_type);

/* Checks an incident type's procedure text: a JSON array of 0..64 {"text": non-empty
 * string, "required": bool} objects. err names the step. */
int incident_steps_check(const char *steps, struct gh_err *err);

#endif
