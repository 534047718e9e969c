/*
 * handlers.h: private to src/http: every route handler, one file per resource under
 * src/http/handlers/, each declared here for the route table (routes.c).
 */
#ifndef GH_HTTP_HANDLERS_H
#define GH_HTTP_HANDLERS_H

#include "http/http_int.h"

HTTP_HANDLER(h_healthz);
HTTP_HANDLER(h_readyz);
HTTP_HANDLER(h_metrics);
HTTP_HANDLER(h_whoami);
HTTP_HANDLER(h_login);
HTTP_HANDLER(h_logout);
HTTP_HANDLER(h_session);
HTTP_HANDLER(h_mfa_enroll);
HTTP_HANDLER(h_mfa_confirm);
HTTP_HANDLER(h_password_change);
HTTP_HANDLER(h_setup);
HTTP_HANDLER(h_token_list);
HTTP_HANDLER(h_token_create);
HTTP_HANDLER(h_token_revoke);
HTTP_HANDLER(h_site_list);
HTTP_HANDLER(h_site_create);
HTTP_HANDLER(h_site_get);
HTTP_HANDLER(h_site_update);
HTTP_HANDLER(h_site_delete);
HTTP_HANDLER(h_area_list);
HTTP_HANDLER(h_area_create);
HTTP_HANDLER(h_area_get);
HTTP_HANDLER(h_area_update);
HTTP_HANDLER(h_area_delete);
HTTP_HANDLER(h_area_lockdown);
HTTP_HANDLER(h_area_release);
HTTP_HANDLER(h_door_list);
HTTP_HANDLER(h_door_create);
HTTP_HANDLER(h_door_get);
HTTP_HANDLER(h_door_update);
HTTP_HANDLER(h_door_delete);
HTTP_HANDLER(h_schedule_list);
HTTP_HANDLER(h_schedule_create);
HTTP_HANDLER(h_schedule_get);
HTTP_HANDLER(h_schedule_update);
HTTP_HANDLER(h_schedule_delete);
HTTP_HANDLER(h_calendar_list);
HTTP_HANDLER(h_calendar_create);
HTTP_HANDLER(h_calendar_get);
HTTP_HANDLER(h_calendar_update);
HTTP_HANDLER(h_calendar_delete);
HTTP_HANDLER(h_holiday_list);
HTTP_HANDLER(h_holiday_create);
HTTP_HANDLER(h_holiday_delete);
HTTP_HANDLER(h_level_list);
HTTP_HANDLER(h_level_create);
HTTP_HANDLER(h_level_get);
HTTP_HANDLER(h_level_update);
HTTP_HANDLER(h_level_delete);
HTTP_HANDLER(h_level_door_list);
HTTP_HANDLER(h_level_door_put);
HTTP_HANDLER(h_level_door_delete);
HTTP_HANDLER(h_department_list);
HTTP_HANDLER(h_department_create);
HTTP_HANDLER(h_department_get);
HTTP_HANDLER(h_department_update);
HTTP_HANDLER(h_department_delete);
HTTP_HANDLER(h_person_list);
HTTP_HANDLER(h_person_create);
HTTP_HANDLER(h_person_get);
HTTP_HANDLER(h_person_update);
HTTP_HANDLER(h_person_delete);
HTTP_HANDLER(h_person_credentials);
HTTP_HANDLER(h_assignment_put);
HTTP_HANDLER(h_assignment_delete);
HTTP_HANDLER(h_assignment_list);
HTTP_HANDLER(h_credential_list);
HTTP_HANDLER(h_credential_create);
HTTP_HANDLER(h_credential_get);
HTTP_HANDLER(h_credential_update);
HTTP_HANDLER(h_credential_delete);
HTTP_HANDLER(h_credential_revoke);
HTTP_HANDLER(h_event_list);
HTTP_HANDLER(h_event_stream);
HTTP_HANDLER(h_decision_create);
HTTP_HANDLER(h_import_roster);
HTTP_HANDLER(h_export_events);

#endif
