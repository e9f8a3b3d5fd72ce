/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The sidecar of a kept result (see gstapixosidecar.h).
 *
 * Its "request" is the body the service was sent, without callback_url (a
 * webhook URL may carry a token of its own; the API key is never in the
 * body).  Times are ISO 8601 UTC with milliseconds; a member that is not
 * known is null, never left out, so readers can rely on every member.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixosidecar.h"
#include "gstapixodurable.h"
#include "gstapixojson.h"

#include <string.h>

static void
add_null (JsonBuilder *b, const gchar *name)
{
  json_builder_set_member_name (b, name);
  json_builder_add_null_value (b);
}

static void
add_string_or_null (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value != NULL)
    gst_apixo_json_add_string (b, name, value);
  else
    add_null (b, name);
}

/* @time_us (Unix µs) as "2026-12-07T05:42:06.123Z"; null when unknown. */
static void
add_time (JsonBuilder *b, const gchar *name, gint64 time_us)
{
  GDateTime *t = time_us > 0
                     ? g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC)
                     : NULL;
  gchar *date = t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%S") : NULL;
  gchar *text = date ? g_strdup_printf ("%s.%03dZ", date,
                                        (gint)(time_us % G_USEC_PER_SEC / 1000))
                     : NULL;

  add_string_or_null (b, name, text);
  g_free (text);
  g_free (date);
  if (t != NULL)
    g_date_time_unref (t);
}

static void
add_request (JsonBuilder *b, const GstApixoRequestSpec *spec)
{
  JsonNode *body = gst_apixo_request_spec_to_json (spec);

  json_object_remove_member (json_node_get_object (body), "callback_url");
  json_builder_set_member_name (b, "request");
  json_builder_add_value (b, body);
}

gchar *
gst_apixo_sidecar_to_json (const GstApixoSidecarInfo *info)
{
  const GstApixoRequestSpec *spec = info->spec;
  JsonBuilder *b = gst_apixo_json_object_begin ();
  gsize length;

  gst_apixo_json_add_int (b, "version", GST_APIXO_SIDECAR_VERSION);
  gst_apixo_json_add_string (b, "model", spec->model);
  add_string_or_null (b, "prompt", spec->prompt);
  if (spec->seed_set)
    gst_apixo_json_add_int (b, "seed", spec->seed);
  else
    add_null (b, "seed"); /* the service chose one and did not say */
  add_string_or_null (b, "task-id", info->task_id);
  add_time (b, "submit-time", info->submit_time);
  add_time (b, "complete-time", info->complete_time);
  json_builder_set_member_name (b, "estimated-cost");
  if (info->estimated_cost >= 0)
    json_builder_add_double_value (b, info->estimated_cost);
  else
    json_builder_add_null_value (b);
  add_string_or_null (b, "request-key", info->request_key);
  add_request (b, spec);
  return gst_apixo_json_object_end (b, TRUE, &length);
}

gchar *
gst_apixo_sidecar_path (const gchar *media_path)
{
  return g_strconcat (media_path, GST_APIXO_SIDECAR_SUFFIX, NULL);
}

gboolean
gst_apixo_sidecar_write (const gchar *media_path, const gchar *json,
                         GError **error)
{
  gchar *path = gst_apixo_sidecar_path (media_path);
  gboolean ok = gst_apixo_durable_replace (path, json, strlen (json), error);

  g_free (path);
  return ok;
}
