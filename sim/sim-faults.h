/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_FAULTS_H__
#define __SIM_FAULTS_H__

#include <json-glib/json-glib.h>

#include "sim-app.h"

G_BEGIN_DECLS

/*
 * Fault injection (POST /__sim/faults): each fault applies to the next
 * `count` requests of its route (and model, if given), oldest fault first.
 */
typedef enum {
  SIM_FAULT_NONE,
  SIM_FAULT_STATUS,       /* 429/500/502/503/504 with the envelope */
  SIM_FAULT_RESET_BEFORE, /* dropped before processing */
  SIM_FAULT_RESET_AFTER,  /* processed, then dropped before the answer */
  SIM_FAULT_SLOW,         /* processed, answered after `delay` */
  SIM_FAULT_TRUNCATE,     /* full Content-Length promised, half sent */
  SIM_FAULT_MALFORMED,    /* processed, answer body not valid JSON */
} SimFaultKind;

#define SIM_FAULT_DEFAULT_DELAY 5.0
#define SIM_FAULT_DEFAULT_RETRY_AFTER 1

typedef struct {
  SimFaultKind kind;
  guint status;      /* SIM_FAULT_STATUS */
  gdouble delay;     /* SIM_FAULT_SLOW: real seconds (not scaled) */
  guint retry_after; /* 429/503: Retry-After seconds */
} SimFault;

SimFaults *sim_faults_new (void);
void sim_faults_free (SimFaults *faults);

/* Adds from the JSON of POST /__sim/faults (SIM_REQUEST_ERROR 400). */
gboolean sim_faults_add_json (SimFaults *faults, JsonNode *body,
                              GError **error);
void sim_faults_clear (SimFaults *faults);
JsonNode *sim_faults_to_json (SimFaults *faults);

/* Takes one use of the first fault matching @route and @model (may be
 * NULL); FALSE (and kind NONE) when none applies. */
gboolean sim_faults_take (SimFaults *faults, SimRoute route, const gchar *model,
                          SimFault *fault);

const gchar *sim_fault_kind_name (const SimFault *fault);

G_END_DECLS

#endif /* __SIM_FAULTS_H__ */
