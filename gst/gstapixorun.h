/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_RUN_H__
#define __GST_APIXO_RUN_H__

#include <gst/gst.h>

#include "gstapixomodels.h"
#include "gstapixosettings.h"

G_BEGIN_DECLS

/**
 * GstApixoRunConfig:
 * @settings: the snapshot of the shared properties (settings.api_key is
 *   NULL: the key is @api_key)
 * @spec: the request, derived and validated (as given when resuming); its
 *   local input URIs are not resolved
 * @api_key: the API key of the run: the api-key property, else the
 *   APIXO_API_KEY environment variable
 * @first_poll: seconds after submission of the first regular poll
 *   (poll-delay, or the model page's advice)
 * @poll_interval: seconds between polls (poll-interval, or the page's)
 * @typical_time: the page's typical generation time for this request
 *
 * Everything a run of an element knows before it sends anything, built
 * once in start() and immutable from then on: shared by reference (ref
 * and unref from any thread) by the task, the API client and the spool,
 * and read without locks.
 */
typedef struct {
  GstApixoSettings settings;
  GstApixoRequestSpec *spec;
  gchar *api_key;
  gdouble first_poll;
  gdouble poll_interval;
  gdouble typical_time;

  /*< private >*/
  gint refcount;
} GstApixoRunConfig;

/* Any thread (start()).  Takes the contents of @settings (the struct is
 * cleared) and @spec (from gst_apixo_settings_finish_spec()), resolves the
 * API key and derives the poll schedule.  NULL + a
 * GST_RESOURCE_ERROR_NOT_AUTHORIZED error when there is no key (api-key);
 * both stay the caller's then. */
GstApixoRunConfig *gst_apixo_run_config_new (GstApixoSettings *settings,
                                             GstApixoRequestSpec *spec,
                                             GError **error);
GstApixoRunConfig *gst_apixo_run_config_ref (GstApixoRunConfig *config);
/* The last reference wipes the key. */
void gst_apixo_run_config_unref (GstApixoRunConfig *config);

G_END_DECLS

#endif /* __GST_APIXO_RUN_H__ */
