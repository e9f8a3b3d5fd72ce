/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The run configuration, built once in start() from a settings snapshot.
 *
 * Thread safety notes
 * -------------------
 * - A GstApixoRunConfig is immutable once gst_apixo_run_config_new()
 *   returns: any thread reads it without a lock.  Its refcount is atomic.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixorun.h"

#include <string.h>

/* @key holds a control character: libsoup would drop the Authorization
 * header it is in (a line break) with a critical, or send it as is. */
static gboolean
key_has_control (const gchar *key)
{
  for (const guchar *p = (const guchar *)key; *p != '\0'; p++)
    if (*p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* The key of the run: the property, else the environment.  Never shown. */
static gchar *
resolve_api_key (GstApixoSettings *s, GError **error)
{
  const gchar *env = g_getenv ("APIXO_API_KEY");
  gboolean from_env = s->api_key == NULL || *s->api_key == '\0';
  const gchar *key = from_env ? env : s->api_key;

  if (key == NULL || *key == '\0') {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
                 "No APIXO API key: set the api-key property or the "
                 "APIXO_API_KEY environment variable (keys are on the APIXO "
                 "dashboard)");
    return NULL;
  }
  if (key_has_control (key)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
                 "The APIXO API key (%s) holds a line break or another "
                 "control character, maybe a key file's last newline "
                 "(allowed: the key's printable characters alone)",
                 from_env ? "the APIXO_API_KEY environment variable"
                          : "the api-key property");
    return NULL;
  }
  return from_env ? g_strdup (env) : g_steal_pointer (&s->api_key);
}

GstApixoRunConfig *
gst_apixo_run_config_new (GstApixoSettings *settings, GstApixoRequestSpec *spec,
                          GError **error)
{
  GstApixoRunConfig *config;
  gchar *api_key = resolve_api_key (settings, error);
  gdouble first, interval;

  if (api_key == NULL)
    return NULL;
  config = g_new0 (GstApixoRunConfig, 1);
  config->refcount = 1;
  config->settings = *settings;
  memset (settings, 0, sizeof (*settings));
  gst_apixo_secret_clear (&config->settings.api_key);
  config->api_key = api_key;
  config->spec = spec;
  gst_apixo_request_spec_poll_advice (spec, &first, &interval);
  config->first_poll =
      config->settings.poll_delay >= 0 ? config->settings.poll_delay : first;
  config->poll_interval = config->settings.poll_interval > 0
                              ? config->settings.poll_interval
                              : interval;
  config->typical_time = gst_apixo_request_spec_typical_time (spec);
  return config;
}

GstApixoRunConfig *
gst_apixo_run_config_ref (GstApixoRunConfig *config)
{
  g_atomic_int_inc (&config->refcount);
  return config;
}

void
gst_apixo_run_config_unref (GstApixoRunConfig *config)
{
  if (!g_atomic_int_dec_and_test (&config->refcount))
    return;
  gst_apixo_settings_clear (&config->settings);
  gst_apixo_request_spec_free (config->spec);
  gst_apixo_secret_clear (&config->api_key);
  g_free (config);
}
