/*
 * incident_int.h: private to src/incident: what its files share.
 */
#ifndef GH_INCIDENT_INT_H
#define GH_INCIDENT_INT_H

#include "incident/incident.h"

/* Saves x (updated_us moves to now), writes a timeline entry of kind `action` by who, and
 * appends the matching incident event, in the caller's transaction. */
int incident_record(struct store *st, struct incident *x, const char *action, const char *who,
                    int64_t now_us, const char *text, struct gh_err *err);

#endif
