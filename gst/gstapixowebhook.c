/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * One task's webhook receiver on the embedded media server.
 *
 * Thread safety notes
 * -------------------
 * - No lock of its own.  server, path and url are set by new() and
 *   read-only until free() (the owner's thread, once the task is freed).
 * - func, user_data and pending are used on the worker thread only: the
 *   media server reports deliveries there, and the task attaches and
 *   detaches there.
 * - The reference count (an atomic rc box) and deliveries are atomic.
 *   References: the owner's (dropped
 *   by free()), the media server's receiver (dropped when it is removed and
 *   no delivery is being reported), the task's.  The media server is
 *   released by free(), never by the last unref (which may run on the
 *   worker, inside the server's own handler).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixowebhook.h"
#include "gstapixodebug.h"
#include "gstapixomediaserver.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_webhook_debug);
#define GST_CAT_DEFAULT apixo_webhook_debug

/* A GLib atomic reference-counted box (g_atomic_rc_box_*). */
struct _GstApixoWebhook {
  GstApixoMediaServer *server;
  gchar *path; /* on server, a secret */
  gchar *url;  /* public-url + path, a secret */
  gint deliveries;

  /* worker thread */
  GstApixoWebhookWakeFunc func;
  gpointer user_data;
  guint pending; /* deliveries before attach() */
};

GstApixoWebhook *
gst_apixo_webhook_ref (GstApixoWebhook *webhook)
{
  return g_atomic_rc_box_acquire (webhook);
}

static void
webhook_clear (gpointer data)
{
  GstApixoWebhook *webhook = data;

  g_free (webhook->path);
  g_free (webhook->url);
}

void
gst_apixo_webhook_unref (GstApixoWebhook *webhook)
{
  if (webhook != NULL)
    g_atomic_rc_box_release_full (webhook, webhook_clear);
}

/* Worker thread (the media server's handler): answered 200 already. */
static void
webhook_received (gpointer data)
{
  GstApixoWebhook *webhook = data;

  g_atomic_int_inc (&webhook->deliveries);
  if (webhook->func == NULL) {
    webhook->pending++;
    GST_DEBUG ("delivery with no task listening: kept (%u)", webhook->pending);
    return;
  }
  GST_DEBUG ("delivery: waking the task");
  webhook->func (webhook->user_data);
}

static void
receiver_gone (gpointer data)
{
  gst_apixo_webhook_unref (data);
}

/* public-url without its trailing '/' + @path */
static gchar *
join_url (const gchar *public_url, const gchar *path)
{
  gsize len = strlen (public_url);

  while (len > 0 && public_url[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (gint)len, public_url, path);
}

GstApixoWebhook *
gst_apixo_webhook_new (const gchar *public_url, const gchar *server_address,
                       guint server_port, GCancellable *cancellable,
                       GError **error)
{
  GstApixoWebhook *webhook;
  GstApixoMediaServer *server;

  g_return_val_if_fail (public_url != NULL, NULL);
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_webhook_debug, "apixowebhook", 0,
                                      "APIXO webhook receiver");

  server = gst_apixo_media_server_acquire (server_address, server_port,
                                           cancellable, error);
  if (server == NULL)
    return NULL;
  webhook = g_atomic_rc_box_new0 (GstApixoWebhook); /* the owner's */
  webhook->server = server;
  webhook->path = gst_apixo_media_server_add_receiver (
      server, webhook_received, gst_apixo_webhook_ref (webhook), receiver_gone,
      error);
  if (webhook->path == NULL) {
    gst_apixo_media_server_release (server);
    g_atomic_rc_box_release (webhook);
    g_atomic_rc_box_release (webhook);
    return NULL;
  }
  webhook->url = join_url (public_url, webhook->path);
  GST_INFO ("webhook receiver on the media server at %s:%u",
            gst_apixo_media_server_get_address (server),
            gst_apixo_media_server_get_port (server));
  return webhook;
}

guint
gst_apixo_webhook_get_port (GstApixoWebhook *webhook)
{
  return gst_apixo_media_server_get_port (webhook->server);
}

const gchar *
gst_apixo_webhook_get_url (GstApixoWebhook *webhook)
{
  return webhook->url;
}

guint
gst_apixo_webhook_attach (GstApixoWebhook *webhook,
                          GstApixoWebhookWakeFunc func, gpointer user_data)
{
  guint pending = webhook->pending;

  webhook->func = func;
  webhook->user_data = user_data;
  webhook->pending = 0;
  return pending;
}

void
gst_apixo_webhook_detach (GstApixoWebhook *webhook)
{
  webhook->func = NULL;
  webhook->user_data = NULL;
}

guint
gst_apixo_webhook_count_deliveries (GstApixoWebhook *webhook)
{
  return g_atomic_int_get (&webhook->deliveries);
}

void
gst_apixo_webhook_free (GstApixoWebhook *webhook)
{
  GstApixoMediaServer *server;

  if (webhook == NULL)
    return;
  server = g_steal_pointer (&webhook->server);
  GST_INFO ("webhook receiver closed after %u deliveries",
            gst_apixo_webhook_count_deliveries (webhook));
  gst_apixo_media_server_remove_receiver (server, webhook->path);
  gst_apixo_media_server_release (server);
  gst_apixo_webhook_unref (webhook);
}
