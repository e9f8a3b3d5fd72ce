/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The values of the properties every apixo element shares.
 *
 * Thread safety notes
 * -------------------
 * - GstApixoSettings has no lock: its owner guards it (the element's
 *   object lock for the property values; a snapshot belongs to the thread
 *   building the run).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixosettings.h"

#include <string.h>

void
gst_apixo_secret_clear (gchar **secret)
{
  if (*secret != NULL)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

/* ---- settings ------------------------------------------------------------ */

void
gst_apixo_settings_init (GstApixoSettings *s)
{
  const gchar *env;

  memset (s, 0, sizeof (*s));
  env = g_getenv ("APIXO_BASE_URL");
  s->base_url = g_strdup (env && *env ? env : GST_APIXO_DEFAULT_BASE_URL);
  s->early_poll = GST_APIXO_DEFAULT_EARLY_POLL;
  s->poll_delay = GST_APIXO_DEFAULT_POLL_DELAY;
  s->poll_interval = GST_APIXO_DEFAULT_POLL_INTERVAL;
  s->deadline = GST_APIXO_DEFAULT_DEADLINE;
  gst_apixo_http_settings_init (&s->http);
  s->server_address = g_strdup (GST_APIXO_DEFAULT_SERVER_ADDRESS);
  /* Like souphttpsrc: the proxy defaults to $http_proxy. */
  env = g_getenv ("http_proxy");
  s->http.proxy = g_strdup (env && *env ? env : NULL);
}

void
gst_apixo_settings_clear (GstApixoSettings *s)
{
  gst_apixo_secret_clear (&s->api_key);
  g_clear_pointer (&s->base_url, g_free);
  g_clear_pointer (&s->task_id, g_free);
  g_clear_pointer (&s->save_location, g_free);
  g_clear_pointer (&s->spool_directory, g_free);
  g_clear_pointer (&s->public_url, g_free);
  g_clear_pointer (&s->server_address, g_free);
  g_clear_pointer (&s->callback_url, g_free);
  g_clear_pointer (&s->extra_input, gst_structure_free);
  gst_apixo_http_settings_clear (&s->http);
}

void
gst_apixo_settings_copy (GstApixoSettings *dst, const GstApixoSettings *src)
{
  *dst = *src;
  dst->api_key = g_strdup (src->api_key);
  dst->base_url = g_strdup (src->base_url);
  dst->task_id = g_strdup (src->task_id);
  dst->save_location = g_strdup (src->save_location);
  dst->spool_directory = g_strdup (src->spool_directory);
  dst->public_url = g_strdup (src->public_url);
  dst->server_address = g_strdup (src->server_address);
  dst->callback_url = g_strdup (src->callback_url);
  dst->extra_input =
      src->extra_input ? gst_structure_copy (src->extra_input) : NULL;
  gst_apixo_http_settings_copy (&dst->http, &src->http);
}

static gboolean
check_base_url (const gchar *url, GError **error)
{
  /* GUri takes white space in a host name: refuse it first */
  GUri *uri = url && !strpbrk (url, " \t\r\n\v\f")
                  ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL)
                  : NULL;
  gboolean ok = uri != NULL &&
                (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
                 g_strcmp0 (g_uri_get_scheme (uri), "https") == 0) &&
                g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';

  g_clear_pointer (&uri, g_uri_unref);
  if (ok)
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "base-url '%s' is not valid: an http:// or https:// URL with a "
               "host is required (default %s)",
               GST_STR_NULL (url), GST_APIXO_DEFAULT_BASE_URL);
  return FALSE;
}

static gboolean
check_ssl_ca_file (GstApixoHttpSettings *http, GError **error)
{
  GError *load_error = NULL;

  if (gst_apixo_http_settings_load_ca_file (http, &load_error))
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "ssl-ca-file '%s': %s (allowed: a readable file of PEM "
               "CA certificates)",
               http->ssl_ca_file, load_error->message);
  g_error_free (load_error);
  return FALSE;
}

/* The ranges the numeric properties document (they take any value of
 * their type, so that GLib never drops one with a mere warning). */
static gboolean
check_numeric_settings (const GstApixoSettings *s, const gchar **property,
                        GError **error)
{
  const struct {
    const gchar *name;
    gdouble value, min, max;
    const gchar *allowed;
  } limits[] = {
    { "early-poll", s->early_poll, 0, 3600, "0 to 3600 seconds, 0 = none" },
    { "poll-delay", s->poll_delay, -1, 86400,
      "-1 to 86400 seconds, -1 = the model page's advice" },
    { "poll-interval", s->poll_interval, -1, 3600,
      "-1 to 3600 seconds, -1 = the model page's advice" },
    { "timeout", s->http.timeout, 0, 3600, "0 to 3600 seconds, 0 = none" },
    { "retries", s->http.retries, -1, G_MAXINT,
      "-1 = no limit, or 0 to 2147483647" },
    { "retry-backoff-factor", s->http.retry_backoff_factor, 0, 3600,
      "0 to 3600 seconds" },
    { "retry-backoff-max", s->http.retry_backoff_max, 0, 3600,
      "0 to 3600 seconds" },
    { "server-port", s->server_port, 0, 65535,
      "0 = any free port, or 1 to 65535" },
  };
  gchar shown[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++) {
    /* NaN fails both comparisons */
    if (limits[i].value >= limits[i].min && limits[i].value <= limits[i].max)
      continue;
    g_ascii_formatd (shown, sizeof (shown), "%.15g", limits[i].value);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s %s is out of range (allowed: %s)", limits[i].name, shown,
                 limits[i].allowed);
    *property = limits[i].name;
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_apixo_settings_check (GstApixoSettings *s, const gchar **property,
                          GError **error)
{
  if (!check_base_url (s->base_url, error)) {
    *property = "base-url";
    return FALSE;
  }
  if (!check_numeric_settings (s, property, error))
    return FALSE;
  if (!check_ssl_ca_file (&s->http, error)) {
    *property = "ssl-ca-file";
    return FALSE;
  }
  return TRUE;
}

/* The fields of the request every model shares, from the settings. */
static void
add_request_fields (const GstApixoSettings *s, GstApixoRequestSpec *spec)
{
  spec->provider = s->provider;
  spec->provider_set = s->provider_set;
  spec->request_type = s->request_type;
  g_free (spec->callback_url);
  spec->callback_url = g_strdup (s->callback_url);
  g_clear_pointer (&spec->extra_input, gst_structure_free);
  spec->extra_input =
      s->extra_input ? gst_structure_copy (s->extra_input) : NULL;
}

GstApixoRequestSpec *
gst_apixo_settings_finish_spec (const GstApixoSettings *s,
                                GstApixoRequestSpec *spec, gchar **warning,
                                GError **error)
{
  if (warning != NULL)
    *warning = NULL;
  add_request_fields (s, spec);
  if (s->task_id == NULL) {
    gst_apixo_request_spec_derive (spec);
    if (!gst_apixo_request_spec_validate (spec, warning, error))
      g_clear_pointer (&spec, gst_apixo_request_spec_free);
  } else if (spec->model == NULL) {
    g_set_error (
        error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "model is not set: resuming task-id needs the model of the task");
    g_clear_pointer (&spec, gst_apixo_request_spec_free);
  }
  return spec;
}
