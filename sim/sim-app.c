/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The ground floor of the service: the sim clock, the API key hash, the
 * route names and the change hook.  Every other service file may call
 * these; this file calls nothing of the sim but sim-util.
 *
 * Threading: main context only (see sim-app.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-app.h"
#include "sim-util.h"

static const gchar *const route_names[SIM_N_ROUTES] = {
  "generate", "status", "result", "balance", "callback",
};

const gchar *
sim_route_name (SimRoute route)
{
  if (route < SIM_N_ROUTES)
    return route_names[route];
  return route == SIM_ROUTE_CONTROL ? "control" : "other";
}

gboolean
sim_route_from_name (const gchar *name, SimRoute *route)
{
  for (guint i = 0; i < SIM_N_ROUTES; i++) {
    if (g_strcmp0 (route_names[i], name) == 0) {
      *route = i;
      return TRUE;
    }
  }
  return FALSE;
}

gint64
sim_app_clock_us (SimApp *app)
{
  return g_get_monotonic_time () + app->clock_offset_us;
}

gint64
sim_app_wall_ms (SimApp *app)
{
  return sim_unix_ms () + app->clock_offset_us / 1000;
}

guint
sim_app_scaled_ms (SimApp *app, gdouble seconds)
{
  gdouble ms = seconds * app->time_scale * 1000.0;

  if (!(ms > 0))
    return 0;
  return ms > G_MAXUINT ? G_MAXUINT : (guint)ms;
}

void
sim_app_set_changed_func (SimApp *app, SimAppChangedFunc func,
                          gpointer user_data)
{
  app->changed_func = func;
  app->changed_data = user_data;
}

void
sim_app_changed (SimApp *app)
{
  /* Lower files report changes here; whoever waits on them (sim-control's
   * long polls) registered itself, so no lower file calls up into it. */
  if (app->changed_func)
    app->changed_func (app, app->changed_data);
}

gchar *
sim_app_hash_key (const gchar *key)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}
