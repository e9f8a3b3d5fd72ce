/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_STATS_H__
#define __SIM_STATS_H__

#include <json-glib/json-glib.h>

#include "sim-app.h"

G_BEGIN_DECLS

/*
 * Request counters for GET /__sim/stats and /__sim/wait.  "total" counts
 * requests received (at arrival); per-status counts are added when the
 * answer is decided.  Status 0 means no HTTP answer (dropped connection,
 * or a callback receiver that did not answer).
 */

SimStats *sim_stats_new (SimApp *app);
void sim_stats_free (SimStats *stats);

void sim_stats_received (SimStats *stats, SimRoute route);
void sim_stats_answered (SimStats *stats, SimRoute route, guint status);
void sim_stats_result_complete (SimStats *stats);
void sim_stats_result_authorization (SimStats *stats);

guint64 sim_stats_total (SimStats *stats, SimRoute route);
guint64 sim_stats_result_complete_count (SimStats *stats);

JsonNode *sim_stats_to_json (SimStats *stats);

G_END_DECLS

#endif /* __SIM_STATS_H__ */
