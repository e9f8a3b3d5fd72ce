/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_PUBLISHER_H__
#define __GST_APIXO_PUBLISHER_H__

#include <gst/gst.h>
#include <gio/gio.h>

#include "gstapixoinput.h"

G_BEGIN_DECLS

/**
 * GstApixoUploadFunc:
 * @data: the input's bytes (the file mapped read-only, not copied)
 * @content_type: its MIME type ("image/png", "video/mp4", ...)
 * @cancellable: cancelled by the element's unlock(); a long upload should
 *   watch it
 * @user_data: as given
 * @error: set when returning NULL
 *
 * The application's upload hook (mode 2): stores @data somewhere the
 * service can fetch it and returns its http(s) URL (free with g_free()),
 * or NULL + @error.  Called on a streaming thread.
 */
typedef gchar *(*GstApixoUploadFunc) (GBytes *data, const gchar *content_type,
                                      GCancellable *cancellable,
                                      gpointer user_data, GError **error);

/**
 * GstApixoPublisherConfig:
 * @public_url: mode 1: the public http(s) base URL that reaches the
 *   embedded media server (a tunnel or reverse proxy); URLs are this base
 *   + the secret path.  NULL: mode 1 off.
 * @server_address: where the media server binds (NULL: 127.0.0.1)
 * @server_port: its port (0: any free port)
 * @upload: mode 2 (wins over mode 1 when both are set); NULL: off
 * @upload_data: for @upload
 *
 * The element's settings for publishing local inputs (a snapshot: the
 * publisher copies the strings).
 */
typedef struct {
  const gchar *public_url;
  const gchar *server_address;
  guint server_port;
  GstApixoUploadFunc upload;
  gpointer upload_data;
} GstApixoPublisherConfig;

/**
 * GstApixoPublisher:
 *
 * Turns the local inputs of one element run into URLs the service can
 * fetch: through the embedded #GstApixoMediaServer and the user's
 * public-url, or through the application's upload hook.  The media server
 * is acquired on the first publish (a run without local inputs binds no
 * port) and released by free().
 */
typedef struct _GstApixoPublisher GstApixoPublisher;

/* Any thread.  Checks a public-url value: NULL/empty, or an absolute
 * http(s) URL without query or fragment.  FALSE + SETTINGS error naming
 * the property otherwise. */
gboolean gst_apixo_publisher_check_public_url (const gchar *public_url,
                                               GError **error);

GstApixoPublisher *
gst_apixo_publisher_new (const GstApixoPublisherConfig *config);

/* Streaming thread.  The URL of @input, which must be probed (its content
 * type is served).  Mode 1: publishes its file on the media server
 * (binding it first: interruptible by @cancellable) and returns public-url
 * + the secret path.  Mode 2: calls the upload hook with the mapped bytes
 * and returns its URL (which must be http or https).  Neither configured:
 * GST_RESOURCE_ERROR_SETTINGS explaining both options.  Free with
 * g_free(); the URL is a secret: do not log it above DEBUG. */
gchar *gst_apixo_publisher_publish (GstApixoPublisher *publisher,
                                    GstApixoInput *input,
                                    GCancellable *cancellable, GError **error);

/* Any thread, the worker's included; never blocks.  Stops serving what
 * this publisher published (uploads are the application's to delete). */
void gst_apixo_publisher_withdraw_all (GstApixoPublisher *publisher);

/* Port the media server listens on (0 before the first mode-1 publish). */
guint gst_apixo_publisher_get_server_port (GstApixoPublisher *publisher);

/* Any thread but the worker's.  Withdraws everything and releases the
 * media server. */
void gst_apixo_publisher_free (GstApixoPublisher *publisher);

G_END_DECLS

#endif /* __GST_APIXO_PUBLISHER_H__ */
