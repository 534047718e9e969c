/*
 * model.h: the domain of access control: sites, areas, doors, schedules, holidays, access
 * levels, departments, people, credentials, assignments and events, with the enumerations
 * they use, their names, and their validation. No I/O.
 *
 * Ownership: structs here hold fixed-size strings (no pointers), so they can be copied and
 * stack-allocated freely; the exception is struct schedule, whose interval array is inline
 * and bounded (SCHEDULE_MAX_INTERVALS).
 *
 * Thread-safety: all functions are pure and thread-safe.
 */
#ifndef GH_MODEL_H
#define GH_MODEL_H

#include "base/base.h"

/* ---- limits ------------------------------------------------------------------------- */

#define MODEL_NAME_MAX         128 /* bytes incl. NUL: names of sites, doors, people ... */
#define MODEL_ID_MAX           64  /* external identifiers such as employee ids */
#define MODEL_EMAIL_MAX        254
#define MODEL_TZ_MAX           64
#define SCHEDULE_MAX_INTERVALS 32

/* ---- enumerations (each with a name table; names are the external spelling) --------- */

enum person_kind { PERSON_EMPLOYEE = 0, PERSON_CONTRACTOR, PERSON_VISITOR, PERSON_KIND_COUNT };
enum person_status {
    PERSON_ACTIVE = 0,
    PERSON_ON_LEAVE,
    PERSON_SUSPENDED,
    PERSON_TERMINATED,
    PERSON_STATUS_COUNT
};
enum cred_status {
    CRED_ACTIVE = 0,
    CRED_SUSPENDED,
    CRED_LOST,
    CRED_STOLEN,
    CRED_EXPIRED,
    CRED_REVOKED,
    CRED_STATUS_COUNT
};
/* Card formats. The numbers are stored; never renumber. */
enum cred_format {
    CRED_FMT_H10301 = 0, /* HID 26-bit: 8-bit facility, 16-bit card */
    CRED_FMT_H10306,     /* HID 34-bit: 16-bit facility, 16-bit card */
    CRED_FMT_C1000_35,   /* HID Corporate 1000 35-bit: 12-bit company, 20-bit card */
    CRED_FMT_H10304,     /* HID 37-bit: 16-bit facility, 19-bit card */
    CRED_FORMAT_COUNT
};
enum door_mode {
    DOOR_CARD = 0,          /* card only */
    DOOR_CARD_PIN,          /* card and PIN */
    DOOR_UNLOCKED_SCHEDULE, /* unlocked while its unlock schedule is active, else card */
    DOOR_LOCKED_DOWN,       /* every card read denied */
    DOOR_MODE_COUNT
};
enum door_fail { DOOR_FAIL_SECURE = 0, DOOR_FAIL_SAFE, DOOR_FAIL_COUNT };
enum apb_mode { APB_NONE = 0, APB_SOFT, APB_HARD, APB_MODE_COUNT };
enum direction { DIR_ENTRY = 0, DIR_EXIT, DIR_COUNT };
/* Alarms and incidents (issue 8). The numbers are stored; never renumber. */
enum alarm_status { ALARM_OPEN = 0, ALARM_ACKNOWLEDGED, ALARM_CLEARED, ALARM_STATUS_COUNT };
enum incident_status {
    INC_NEW = 0,
    INC_ACKNOWLEDGED,
    INC_INVESTIGATING,
    INC_RESOLVED,
    INC_CLOSED,
    INC_STATUS_COUNT
};
enum step_state { STEP_OPEN = 0, STEP_DONE, STEP_SKIPPED, STEP_STATE_COUNT };

const char *person_kind_name(enum person_kind v);
const char *person_status_name(enum person_status v);
const char *cred_status_name(enum cred_status v);
const char *cred_format_name(enum cred_format v);
const char *door_mode_name(enum door_mode v);
const char *door_fail_name(enum door_fail v);
const char *apb_mode_name(enum apb_mode v);
const char *direction_name(enum direction v);
const char *alarm_status_name(enum alarm_status v);
const char *incident_status_name(enum incident_status v);
const char *step_state_name(enum step_state v);

/* Parse an external name (case-insensitive); -EINVAL with the accepted names in err. */
int person_kind_parse(const char *s, enum person_kind *out, struct gh_err *err);
int person_status_parse(const char *s, enum person_status *out, struct gh_err *err);
int cred_status_parse(const char *s, enum cred_status *out, struct gh_err *err);
int cred_format_parse(const char *s, enum cred_format *out, struct gh_err *err);
int door_mode_parse(const char *s, enum door_mode *out, struct gh_err *err);
int door_fail_parse(const char *s, enum door_fail *out, struct gh_err *err);
int apb_mode_parse(const char *s, enum apb_mode *out, struct gh_err *err);
int direction_parse(const char *s, enum direction *out, struct gh_err *err);
int alarm_status_parse(const char *s, enum alarm_status *out, struct gh_err *err);
int incident_status_parse(const char *s, enum incident_status *out, struct gh_err *err);
int step_state_parse(const char *s, enum step_state *out, struct gh_err *err);

/* The same tables, generically (for code that handles any enum by its table, such as the
 * HTTP form reader): what the values are called in messages, their names, their count. */
struct model_enum {
    const char *what;
    const char *const *names;
    int count;
};
extern const struct model_enum model_enum_person_kind, model_enum_person_status,
    model_enum_cred_status, model_enum_cred_format, model_enum_door_mode, model_enum_door_fail,
    model_enum_apb_mode, model_enum_direction, model_enum_event_type, model_enum_alarm_status,
    model_enum_incident_status, model_enum_step_state;
int model_enum_parse(const struct model_enum *e, const char *s, int *out, struct gh_err *err);
const char *model_enum_name(const struct model_enum *e, int v);

/* Facility-code and card-number ranges of each format (max inclusive). */
uint32_t cred_format_facility_max(enum cred_format f);
uint64_t cred_format_number_max(enum cred_format f);
unsigned cred_format_bits(enum cred_format f);

/* ---- entities ----------------------------------------------------------------------- */

/* Row ids are int64 > 0; 0 means "none" in optional references. */

struct site {
    int64_t id;
    char name[MODEL_NAME_MAX];
    char timezone[MODEL_TZ_MAX]; /* IANA name, e.g. Europe/Berlin */
};

struct area {
    int64_t id;
    int64_t site_id;
    int64_t parent_id; /* 0: top-level area of the site */
    char name[MODEL_NAME_MAX];
    enum apb_mode apb;
    bool locked_down;
};

struct door {
    int64_t id;
    int64_t site_id;
    char name[MODEL_NAME_MAX];
    int64_t from_area_id; /* the entry reader moves people from -> to */
    int64_t to_area_id;
    enum door_mode mode;
    int64_t unlock_schedule_id; /* for DOOR_UNLOCKED_SCHEDULE, else 0 */
    int32_t unlock_ms;          /* how long a grant unlocks the strike */
    int32_t held_open_s;        /* open longer than this raises "held open" */
    enum door_fail fail;
    bool escort_required; /* visitors need an escort's badge here */
    bool has_entry_reader;
    bool has_exit_reader;
    bool has_position; /* placed on the site's plan: x_m, y_m in metres */
    int32_t x_m, y_m;
};
#define DOOR_POSITION_MAX 1000000 /* metres either way from the site's origin */

/* Days bits: bit 0 = Monday ... bit 6 = Sunday; bit 7 = holiday. */
#define SCHED_DAY_HOLIDAY (1u << 7)
#define SCHED_DAYS_ALL    0x7fu

/* A weekly interval in site-local wall-clock minutes. end <= start means the interval
 * crosses midnight: it runs from start on its day until end on the following day. It
 * belongs to the day it starts on (a Friday 22:00-06:00 shift is a Friday interval). */
struct sched_interval {
    uint8_t days;
    uint16_t start_min; /* 0..1439 */
    uint16_t end_min;   /* 1..1440; 1440 = end of day */
};

struct schedule {
    int64_t id;
    char name[MODEL_NAME_MAX];
    int64_t calendar_id; /* holiday calendar, 0 for none */
    int n_intervals;
    struct sched_interval intervals[SCHEDULE_MAX_INTERVALS];
};

struct holiday_calendar {
    int64_t id;
    char name[MODEL_NAME_MAX];
};

struct holiday {
    int64_t calendar_id;
    int64_t day; /* local date, days since 1970-01-01 */
    char name[MODEL_NAME_MAX];
};

struct access_level {
    int64_t id;
    char name[MODEL_NAME_MAX];
};

/* One door of an access level, usable while its schedule is active. */
struct level_door {
    int64_t level_id;
    int64_t door_id;
    int64_t schedule_id;
};

struct department {
    int64_t id;
    char name[MODEL_NAME_MAX];
};

struct person {
    int64_t id;
    char employee_id[MODEL_ID_MAX];
    char first_name[MODEL_NAME_MAX];
    char last_name[MODEL_NAME_MAX];
    char email[MODEL_EMAIL_MAX + 1];
    int64_t department_id; /* 0: none */
    char title[MODEL_NAME_MAX];
    int64_t manager_id; /* person id, 0: none */
    enum person_kind kind;
    enum person_status status;
    int64_t valid_from;  /* us; GH_TIME_MIN: no start */
    int64_t valid_until; /* us; GH_TIME_MAX: no end */
};

struct credential {
    int64_t id;
    int64_t person_id;
    enum cred_format format;
    uint32_t facility;
    uint64_t number;
    enum cred_status status;
    int64_t valid_from;
    int64_t valid_until;
    bool has_pin;
    uint8_t pin_hash[32]; /* keyed BLAKE2b of the PIN, see access_pin_hash() */
};

struct assignment {
    int64_t id;
    int64_t person_id;
    int64_t level_id;
    int64_t expires; /* us; GH_TIME_MAX: never */
};

/* ---- events ------------------------------------------------------------------------- */

/* Event types. The numbers are stored; never renumber, only append. The name table in
 * model.c is the one source of truth for their external spelling. */
enum event_type {
    EV_ACCESS_DECISION = 0, /* a card read and its decision */
    EV_DOOR_FORCED,         /* door opened without grant or REX */
    EV_DOOR_HELD,           /* door open longer than its held-open time */
    EV_DOOR_REX,            /* request to exit */
    EV_DOOR_TAMPER,         /* reader or door tamper */
    EV_DOOR_STATE,          /* door opened / closed / locked / unlocked */
    EV_ALARM,               /* an alarm raised, repeated, acknowledged or cleared */
    EV_OPERATOR_ACTION,     /* lockdown, release, momentary unlock ... */
    EV_ROSTER_IMPORT,       /* summary of an HR roster import */
    EV_CREDENTIAL_REVOKED,  /* a credential revoked (termination, import) */
    EV_ACCESS_REVIEW,       /* an access review opened (department change) */
    EV_SIGN_IN,             /* a user signed in (payload: user, address, session) */
    EV_SIGN_IN_FAILED,      /* a sign-in was refused (payload: name as typed, address, why) */
    EV_SIGN_OUT,            /* a user signed out */
    EV_EDGE_ENROLLED,       /* a door controller enrolled its key */
    EV_EDGE_REFUSED,        /* a controller's request, or a snapshot at a controller, refused */
    EV_EDGE_OVERFLOW,       /* a controller's journal was full: events counted, not kept */
    EV_INCIDENT,            /* an incident opened or changed (payload: incident, what, text) */
    EV_RULE_SCRIPT,         /* a custom rule loaded, refused or disabled (payload: script, state) */
    EV_TYPE_COUNT
};
const char *event_type_name(enum event_type v);
int event_type_parse(const char *s, enum event_type *out, struct gh_err *err);

#define EVENT_PAYLOAD_MAX 1024

/* One event. Offsets are assigned by the store when the event is committed: a global,
 * gap-free-in-order, strictly increasing sequence. */
struct event {
    int64_t offset;     /* 0 until stored */
    int64_t source;     /* a controller key's id (controller_keys) when it uploaded it, else 0 */
    int64_t source_seq; /* the controller's journal sequence */
    int64_t time_us;    /* UTC microseconds */
    enum event_type type;
    int64_t door_id;                 /* 0: none */
    int64_t person_id;               /* 0: none */
    int64_t credential_id;           /* 0: none */
    int decision;                    /* 1 granted, 0 denied, -1 not a decision */
    int reason;                      /* enum access_reason when a decision, else -1 */
    char payload[EVENT_PAYLOAD_MAX]; /* JSON object text, "" for none */
};

/* ---- alarms and incidents ----------------------------------------------------------- */

#define ALARM_TYPE_MAX     48
#define ALARM_KEY_MAX      96
#define ALARM_DETAIL_MAX   256
#define INCIDENT_TITLE_MAX 160
#define INCIDENT_TEXT_MAX  2000 /* a note, a step, a skip reason */

struct alarm {
    int64_t id;
    char type[ALARM_TYPE_MAX];
    char key[ALARM_KEY_MAX];
    int severity; /* 1 (low) .. 5 (critical) */
    enum alarm_status status;
    char detail[ALARM_DETAIL_MAX];
    int64_t door_id, person_id, credential_id, controller_id; /* 0: none */
    int64_t first_us, last_us, count;  /* the times of the events that raised it */
    int64_t raised_us;                 /* when it was recorded */
    int64_t first_offset, last_offset; /* 0: raised by a clock, not an event */
    int64_t acked_us, cleared_us;      /* 0: not yet */
    char acked_by[MODEL_NAME_MAX], cleared_by[MODEL_NAME_MAX];
    int64_t incident_id, drill_id; /* 0: none */
};

struct incident_type {
    int64_t id;
    char name[ALARM_TYPE_MAX]; /* a slug: badge_cloning */
    char title[INCIDENT_TITLE_MAX];
    int64_t department_id; /* 0: none */
    int severity;
    char alarm_types[512]; /* space-separated */
    char *steps;           /* JSON array of {"text", "required"}; owned, free() it */
};

struct incident {
    int64_t id;
    int64_t type_id; /* 0: none (opened by hand, or its type was removed) */
    char type[ALARM_TYPE_MAX];
    char title[INCIDENT_TITLE_MAX];
    int severity;
    enum incident_status status;
    int64_t department_id;
    int64_t opened_us, updated_us, acked_us, resolved_us, closed_us; /* 0: not yet */
    int escalation_level;
    int64_t escalate_at_us; /* 0: no escalation pending */
    int64_t drill_id;
};

struct incident_step {
    int64_t incident_id;
    int idx;
    char text[INCIDENT_TEXT_MAX];
    bool required;
    enum step_state state;
    char reason[INCIDENT_TEXT_MAX];
    char by[MODEL_NAME_MAX];
    int64_t time_us;
};

struct contact {
    int64_t id;
    int64_t department_id;
    int level; /* 0: the liaison; 1, 2 ...: on call, in escalation order */
    char name[MODEL_NAME_MAX];
    char role[MODEL_NAME_MAX];
    char email[MODEL_EMAIL_MAX + 1];
    char webhook[512]; /* https:// or http:// URL, "" for none */
    char phone[40];    /* as text: shown, never dialled */
};

/* ---- validation: each returns 0 or -EINVAL with the field named in err ---------------- */

/* A display name: 1..MODEL_NAME_MAX-1 bytes of printable UTF-8, no leading/trailing space. */
int model_check_name(const char *field, const char *s, struct gh_err *err);
/* An external id: 1..MODEL_ID_MAX-1 bytes of [A-Za-z0-9._:-]. */
int model_check_ext_id(const char *field, const char *s, struct gh_err *err);
/* Empty, or one @ with text on both sides, printable, <= MODEL_EMAIL_MAX. */
int model_check_email(const char *field, const char *s, struct gh_err *err);
int model_check_card(enum cred_format f, uint32_t facility, uint64_t number, struct gh_err *err);
int model_check_schedule(const struct schedule *s, struct gh_err *err);

/* Parses "mon-fri 08:00-18:00", "sat,sun,hol 10:00-14:00", "daily 22:00-06:00",
 * "mon 00:00-24:00" into one interval. */
int sched_interval_parse(const char *s, struct sched_interval *out, struct gh_err *err);
/* Formats an interval back to that syntax. buf >= 64 bytes. */
void sched_interval_format(const struct sched_interval *iv, char *buf, size_t len);

#endif
