/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The local inputs of one element run, resolved into public URLs.
 *
 * Thread safety notes
 * -------------------
 * - No lock of its own.  resolve() runs on the streaming thread (again
 *   after a cancelled call), always before the task is started: it alone
 *   creates the publisher, opens the inputs and sets billed_seconds.  The task is started after it returns
 *   (gst_apixo_task_start() posts to the worker, which orders the writes
 *   before the worker's reads), so describe() and withdraw(), called from
 *   task callbacks on the worker thread, see them complete.
 * - withdraw() relies on the publisher's own lock (it is thread-safe).
 * - The configuration is copied at creation and read-only afterwards.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixolocalinputs.h"
#include "gstapixodebug.h"
#include "gstapixomediaserver.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_local_inputs_debug);
#define GST_CAT_DEFAULT apixo_local_inputs_debug

struct _GstApixoLocalInputs {
  gchar *public_url;
  gchar *server_address;
  guint server_port;
  const gchar *image_property; /* static strings of the element class */
  const gchar *video_property;
  GstApixoUploadFunc upload;
  gpointer upload_data;
  GstApixoPadInputFunc get_pad_input;
  gpointer pad_data;

  GstApixoPublisher *publisher; /* created on the first publish */
  GPtrArray *inputs;            /* GstApixoInput from file:// URIs (owned) */
  GHashTable *digests;          /* local URI -> "sha256:HEX" of its data */
  gdouble billed_seconds;       /* expected billed input seconds; -1: n/a */
};

gboolean
gst_apixo_local_inputs_check (const GstApixoLocalInputsConfig *config,
                              const GstApixoRequestSpec *spec,
                              gboolean resuming, GError **error)
{
  if (!gst_apixo_publisher_check_public_url (config->public_url, error))
    return FALSE;
  if (resuming || !gst_apixo_request_spec_has_local_inputs (spec) ||
      config->public_url != NULL || config->upload != NULL)
    return TRUE;
  g_set_error (
      error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Local inputs (file:// URIs or sink pad data) must be published for "
      "the APIXO service to fetch them, and nothing is set up to do it. "
      "Either set public-url to a public http(s) base URL that reaches "
      "this element's media server (server-address %s, server-port %u%s), "
      "e.g. through a tunnel or reverse proxy; or connect to the 'upload' "
      "signal to store inputs yourself (e.g. on object storage) and return "
      "their URLs.",
      config->server_address, config->server_port,
      config->server_port ? "" : ": any free port, set one for a tunnel");
  return FALSE;
}

GstApixoLocalInputs *
gst_apixo_local_inputs_new (const GstApixoLocalInputsConfig *config)
{
  GstApixoLocalInputs *inputs = g_new0 (GstApixoLocalInputs, 1);

  /* Idempotent: the same category every time. */
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (
      apixo_local_inputs_debug, "apixolocalinputs", 0, "APIXO local inputs");
  inputs->public_url = g_strdup (config->public_url);
  inputs->server_address = g_strdup (config->server_address);
  inputs->server_port = config->server_port;
  inputs->image_property = config->image_property;
  inputs->video_property = config->video_property;
  inputs->upload = config->upload;
  inputs->upload_data = config->upload_data;
  inputs->get_pad_input = config->get_pad_input;
  inputs->pad_data = config->pad_data;
  inputs->inputs =
      g_ptr_array_new_with_free_func ((GDestroyNotify)gst_apixo_input_free);
  inputs->billed_seconds = -1;
  inputs->digests =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return inputs;
}

static GstApixoPublisher *
ensure_publisher (GstApixoLocalInputs *inputs)
{
  GstApixoPublisherConfig config = { inputs->public_url, inputs->server_address,
                                     inputs->server_port, inputs->upload,
                                     inputs->upload_data };

  if (inputs->publisher == NULL)
    inputs->publisher = gst_apixo_publisher_new (&config);
  return inputs->publisher;
}

/* The input behind a local URI of the spec ("apixo-pad:NAME": the
 * element's; file://: ours). */
static GstApixoInput *
open_local_input (GstApixoLocalInputs *inputs, GstApixoMediaKind kind,
                  const gchar *property, const gchar *uri, GError **error)
{
  GstApixoInput *input;

  if (g_str_has_prefix (uri, GST_APIXO_PAD_URI_PREFIX)) {
    const gchar *name = uri + strlen (GST_APIXO_PAD_URI_PREFIX);
    input = inputs->get_pad_input
                ? inputs->get_pad_input (name, inputs->pad_data)
                : NULL;
    if (input == NULL)
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "No data for the %s pad", name);
    return input;
  }
  input = gst_apixo_input_new_for_uri (kind, property, uri, error);
  if (input != NULL)
    g_ptr_array_add (inputs->inputs, input);
  return input;
}

/* Notes the SHA-256 of @input's data under @uri: part of the run's
 * identity (gstapixoidentity.h), which its published URL cannot be. */
static gboolean
add_digest (GstApixoLocalInputs *inputs, const gchar *uri, GstApixoInput *input,
            GError **error)
{
  GMappedFile *mapped;
  GBytes *bytes;
  gchar *sum;

  mapped =
      g_mapped_file_new (gst_apixo_input_get_filename (input), FALSE, error);
  if (mapped == NULL)
    return FALSE;
  bytes = g_mapped_file_get_bytes (mapped);
  sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  g_hash_table_replace (inputs->digests, g_strdup (uri),
                        g_strconcat ("sha256:", sum, NULL));
  g_free (sum);
  g_bytes_unref (bytes);
  g_mapped_file_unref (mapped);
  return TRUE;
}

/* Waits for one local input, checks it against the model's documented
 * limits (format found from the data), publishes it and puts its URL in
 * *@slot. */
static gboolean
publish_one (GstApixoLocalInputs *inputs, const gchar *model,
             GstApixoMediaKind kind, const gchar *property, gchar **slot,
             GCancellable *cancellable, GError **error)
{
  GstApixoInput *input;
  GstClockTime duration;
  gchar *url;

  input = open_local_input (inputs, kind, property, *slot, error);
  if (input == NULL || !gst_apixo_input_wait (input, cancellable, error) ||
      !gst_apixo_input_probe (input, gst_apixo_model_media_limits (model, kind),
                              cancellable, error))
    return FALSE;

  if (!add_digest (inputs, *slot, input, error))
    return FALSE;
  duration = gst_apixo_input_get_duration (input);
  if (kind == GST_APIXO_MEDIA_VIDEO && GST_CLOCK_TIME_IS_VALID (duration))
    inputs->billed_seconds =
        gst_apixo_model_billed_seconds (model, duration / (gdouble)GST_SECOND);

  url = gst_apixo_publisher_publish (ensure_publisher (inputs), input,
                                     cancellable, error);
  if (url == NULL)
    return FALSE;
  /* The URL is a secret while published: never logged whole. */
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG) {
    gchar *shown = gst_apixo_media_server_path_for_log (url);

    GST_DEBUG ("%s (%s) published as %s", property,
               gst_apixo_input_get_content_type (input), shown);
    g_free (shown);
  }
  g_free (*slot);
  *slot = url;
  return TRUE;
}

static gboolean
publish_list (GstApixoLocalInputs *inputs, const gchar *model,
              GstApixoMediaKind kind, const gchar *property, gchar **uris,
              GCancellable *cancellable, GError **error)
{
  guint i;

  for (i = 0; uris != NULL && uris[i] != NULL; i++)
    if (gst_apixo_uri_is_local (uris[i]) &&
        !publish_one (inputs, model, kind, property, &uris[i], cancellable,
                      error))
      return FALSE;
  return TRUE;
}

gboolean
gst_apixo_local_inputs_resolve (GstApixoLocalInputs *inputs,
                                GstApixoRequestSpec *spec,
                                GCancellable *cancellable, GError **error)
{
  return publish_list (inputs, spec->model, GST_APIXO_MEDIA_IMAGE,
                       inputs->image_property, spec->image_uris, cancellable,
                       error) &&
         publish_list (inputs, spec->model, GST_APIXO_MEDIA_VIDEO,
                       inputs->video_property, spec->video_uris, cancellable,
                       error) &&
         (!gst_apixo_uri_is_local (spec->audio_uri) ||
          publish_one (inputs, spec->model, GST_APIXO_MEDIA_AUDIO, "audio-uri",
                       &spec->audio_uri, cancellable, error));
}

void
gst_apixo_local_inputs_withdraw (GstApixoLocalInputs *inputs)
{
  if (inputs->publisher != NULL)
    gst_apixo_publisher_withdraw_all (inputs->publisher);
}

void
gst_apixo_local_inputs_describe (GstApixoLocalInputs *inputs,
                                 GstStructure *message)
{
  guint port = inputs->publisher != NULL
                   ? gst_apixo_publisher_get_server_port (inputs->publisher)
                   : 0;

  /* what an input-priced model (wan-2-2-animate) will bill */
  if (inputs->billed_seconds >= 0)
    gst_structure_set (message, "billed-seconds", G_TYPE_DOUBLE,
                       inputs->billed_seconds, NULL);
  /* where a tunnel must point to reach the published inputs */
  if (port > 0)
    gst_structure_set (message, "server-port", G_TYPE_UINT, port, NULL);
}

gdouble
gst_apixo_local_inputs_get_billed_seconds (GstApixoLocalInputs *inputs)
{
  return inputs->billed_seconds;
}

GHashTable *
gst_apixo_local_inputs_get_digests (GstApixoLocalInputs *inputs)
{
  return inputs->digests;
}

void
gst_apixo_local_inputs_free (GstApixoLocalInputs *inputs)
{
  g_clear_pointer (&inputs->publisher, gst_apixo_publisher_free);
  g_ptr_array_unref (inputs->inputs);
  g_hash_table_unref (inputs->digests);
  g_free (inputs->public_url);
  g_free (inputs->server_address);
  g_free (inputs);
}
