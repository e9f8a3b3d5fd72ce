/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_LOCAL_INPUTS_H__
#define __GST_APIXO_LOCAL_INPUTS_H__

#include <gst/gst.h>
#include <gio/gio.h>

#include "gstapixoinput.h"
#include "gstapixomodels.h"
#include "gstapixopublisher.h"

G_BEGIN_DECLS

/**
 * GstApixoPadInputFunc:
 * @name: the NAME of an "apixo-pad:NAME" URI
 * @user_data: as given
 *
 * The input collected on the element's sink pad @name, or NULL if it has
 * no such pad.  Owned by the element, alive until the local inputs are
 * freed.  Called on a streaming thread.
 */
typedef GstApixoInput *(*GstApixoPadInputFunc) (const gchar *name,
                                                gpointer user_data);

/**
 * GstApixoLocalInputsConfig:
 * @public_url: public-url (NULL: none)
 * @server_address: server-address of the media server
 * @server_port: server-port of the media server (0: any free port)
 * @image_property: property name of the image URIs, for messages (a
 *   static string: not copied)
 * @video_property: property name of the video URIs, for messages (static)
 * @upload: the element's upload hook (its 'upload' signal), NULL when
 *   nothing is connected to it
 * @upload_data: for @upload
 * @get_pad_input: the element's pad inputs (NULL: it has no sink pads)
 * @pad_data: for @get_pad_input
 *
 * What the element says about publishing its local inputs (a snapshot:
 * the settings' strings are copied).
 */
typedef struct {
  const gchar *public_url;
  const gchar *server_address;
  guint server_port;
  const gchar *image_property;
  const gchar *video_property;
  GstApixoUploadFunc upload;
  gpointer upload_data;
  GstApixoPadInputFunc get_pad_input;
  gpointer pad_data;
} GstApixoLocalInputsConfig;

/**
 * GstApixoLocalInputs:
 *
 * The local inputs of one element run ("file://" URIs and "apixo-pad:NAME"
 * pad data): opened, waited for, probed against the model's media limits,
 * published (media server + public-url, or the upload hook) and withdrawn
 * when the task ends.  A plain struct, created and freed by the element.
 */
typedef struct _GstApixoLocalInputs GstApixoLocalInputs;

/* Any thread (start()).  Local inputs need a way to reach the service:
 * checks public-url and, unless @resuming, that @spec's local inputs can
 * be published.  FALSE + a GST_RESOURCE_ERROR_SETTINGS error otherwise. */
gboolean gst_apixo_local_inputs_check (const GstApixoLocalInputsConfig *config,
                                       const GstApixoRequestSpec *spec,
                                       gboolean resuming, GError **error);

GstApixoLocalInputs *
gst_apixo_local_inputs_new (const GstApixoLocalInputsConfig *config);

/* Streaming thread, before submission.  Replaces every local URI of @spec
 * by the public URL of its input, after waiting for it (pad data),
 * checking it against the documented limits of @spec's model and
 * publishing it.  Waits only on @cancellable.  FALSE + @error otherwise
 * (G_IO_ERROR_CANCELLED when cancelled: a later call goes on with the URIs
 * still local). */
gboolean gst_apixo_local_inputs_resolve (GstApixoLocalInputs *inputs,
                                         GstApixoRequestSpec *spec,
                                         GCancellable *cancellable,
                                         GError **error);

/* Any thread, the worker's included; never blocks.  Stops serving what was
 * published (the service fetched it, or never will). */
void gst_apixo_local_inputs_withdraw (GstApixoLocalInputs *inputs);

/* Any thread, after resolve().  Adds to an "apixo-task" @message what the
 * inputs tell the user: "billed-seconds" (double) for an input-priced
 * model (wan-2-2-animate), "server-port" (uint) when the media server
 * publishing them is bound (where a tunnel must point). */
void gst_apixo_local_inputs_describe (GstApixoLocalInputs *inputs,
                                      GstStructure *message);

/* Any thread, after resolve().  The seconds an input-priced model
 * (wan-2-2-animate) bills for the probed inputs; -1: not billed by input,
 * or not known. */
gdouble gst_apixo_local_inputs_get_billed_seconds (GstApixoLocalInputs *inputs);

/* Streaming thread, after a successful resolve(): each local URI of the
 * request -> "sha256:HEX" of its data (owned by @inputs), for the run's
 * identity. */
GHashTable *gst_apixo_local_inputs_get_digests (GstApixoLocalInputs *inputs);

/* Any thread but the worker's (not NULL).  Withdraws everything, releases
 * the media server and frees the inputs opened from files. */
void gst_apixo_local_inputs_free (GstApixoLocalInputs *inputs);

G_END_DECLS

#endif /* __GST_APIXO_LOCAL_INPUTS_H__ */
