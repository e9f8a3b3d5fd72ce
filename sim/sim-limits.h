/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_LIMITS_H__
#define __SIM_LIMITS_H__

#include <json-glib/json-glib.h>

#include "sim-app.h"
#include "sim-models.h"

G_BEGIN_DECLS

/*
 * Rate limits per API key and model: a sliding 60 s window (sim clock)
 * over admitted generate + status requests, and the number of tasks
 * pending or processing.  Keys are identified by their hash only.
 */

SimLimits *sim_limits_new (void);
void sim_limits_free (SimLimits *limits);

/* POST /__sim/limits; SIM_REQUEST_ERROR 400 on a bad body. */
gboolean sim_limits_set_json (SimLimits *limits, JsonNode *body,
                              GError **error);
JsonNode *sim_limits_to_json (SimLimits *limits);

/* Admits one request (and records it) or refuses it, giving the seconds
 * until the window has room in @retry_after. */
gboolean sim_limits_admit (SimLimits *limits, const gchar *key_hash,
                           const SimModel *model, gint64 now_us,
                           guint *retry_after);

/* Concurrency: TRUE when one more task may start. */
gboolean sim_limits_can_start (SimLimits *limits, const gchar *key_hash,
                               const SimModel *model);
void sim_limits_task_started (SimLimits *limits, const gchar *key_hash,
                              const SimModel *model);
void sim_limits_task_finished (SimLimits *limits, const gchar *key_hash,
                               const SimModel *model);

G_END_DECLS

#endif /* __SIM_LIMITS_H__ */
