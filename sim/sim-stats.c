/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Request counters.  Main context only (see sim-app.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-stats.h"

struct _SimStats {
  SimApp *app;
  guint64 total[SIM_N_ROUTES];
  GHashTable *by_status[SIM_N_ROUTES]; /* status -> count */
  guint64 result_complete;
  guint64 result_authorization;
};

SimStats *
sim_stats_new (SimApp *app)
{
  SimStats *stats = g_new0 (SimStats, 1);

  stats->app = app;
  for (guint i = 0; i < SIM_N_ROUTES; i++)
    stats->by_status[i] = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return stats;
}

void
sim_stats_free (SimStats *stats)
{
  if (stats == NULL)
    return;
  for (guint i = 0; i < SIM_N_ROUTES; i++)
    g_hash_table_unref (stats->by_status[i]);
  g_free (stats);
}

void
sim_stats_received (SimStats *stats, SimRoute route)
{
  if (route >= SIM_N_ROUTES)
    return;
  stats->total[route]++;
  sim_app_changed (stats->app);
}

void
sim_stats_answered (SimStats *stats, SimRoute route, guint status)
{
  guint64 *count;

  if (route >= SIM_N_ROUTES)
    return;
  count =
      g_hash_table_lookup (stats->by_status[route], GUINT_TO_POINTER (status));
  if (count == NULL) {
    count = g_new0 (guint64, 1);
    g_hash_table_insert (stats->by_status[route], GUINT_TO_POINTER (status),
                         count);
  }
  (*count)++;
}

void
sim_stats_result_complete (SimStats *stats)
{
  stats->result_complete++;
  sim_app_changed (stats->app);
}

void
sim_stats_result_authorization (SimStats *stats)
{
  stats->result_authorization++;
}

guint64
sim_stats_total (SimStats *stats, SimRoute route)
{
  return route < SIM_N_ROUTES ? stats->total[route] : 0;
}

guint64
sim_stats_result_complete_count (SimStats *stats)
{
  return stats->result_complete;
}

JsonNode *
sim_stats_to_json (SimStats *stats)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "requests");
  json_builder_begin_object (b);
  for (guint i = 0; i < SIM_N_ROUTES; i++) {
    GHashTableIter iter;
    gpointer key, value;

    json_builder_set_member_name (b, sim_route_name (i));
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "total");
    json_builder_add_int_value (b, stats->total[i]);
    g_hash_table_iter_init (&iter, stats->by_status[i]);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      gchar name[16];
      g_snprintf (name, sizeof (name), "%u", GPOINTER_TO_UINT (key));
      json_builder_set_member_name (b, name);
      json_builder_add_int_value (b, *(guint64 *)value);
    }
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "result-complete");
  json_builder_add_int_value (b, stats->result_complete);
  json_builder_set_member_name (b, "result-authorization");
  json_builder_add_int_value (b, stats->result_authorization);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
