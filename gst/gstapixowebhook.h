/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_WEBHOOK_H__
#define __GST_APIXO_WEBHOOK_H__

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GstApixoWebhook:
 *
 * The receiver of one task's webhook deliveries (request-type=callback
 * with public-url and no callback-url): a secret path on the embedded
 * media server (the server and public-url of local inputs), registered
 * before the submission leaves, so that a delivery that comes before the
 * submission's answer is kept.  A delivery is answered 200 at once and is
 * only a wake-up: deliveries are unsigned (anyone who learns the URL can
 * post anything), so the task confirms with a status request and trusts
 * only that.
 */
typedef struct _GstApixoWebhook GstApixoWebhook;

/* Worker thread: a delivery arrived. */
typedef void (*GstApixoWebhookWakeFunc) (gpointer user_data);

/* Any thread but the worker's (a streaming thread, before submission).
 * Binds the media server at @server_address:@server_port if no element
 * did yet (interruptible by @cancellable: G_IO_ERROR_CANCELLED) and
 * registers a receiver on a new secret path.  The errors of
 * gst_apixo_media_server_acquire() and _add_receiver(). */
GstApixoWebhook *gst_apixo_webhook_new (const gchar *public_url,
                                        const gchar *server_address,
                                        guint server_port,
                                        GCancellable *cancellable,
                                        GError **error);

/* The callback URL to send: public-url + "/w/<token>".  A secret while
 * the webhook lives: never log it. */
const gchar *gst_apixo_webhook_get_url (GstApixoWebhook *webhook);

/* The port of the media server it is on (where a tunnel behind public-url
 * must point). */
guint gst_apixo_webhook_get_port (GstApixoWebhook *webhook);

/* Worker thread.  Deliveries wake @func from now on; returns how many came
 * before (they are wake-ups too).  detach(): no call of @func after it
 * returns (later deliveries are answered and ignored). */
guint gst_apixo_webhook_attach (GstApixoWebhook *webhook,
                                GstApixoWebhookWakeFunc func,
                                gpointer user_data);
void gst_apixo_webhook_detach (GstApixoWebhook *webhook);

/* Any thread: a reference for a user other than the owner (the task). */
GstApixoWebhook *gst_apixo_webhook_ref (GstApixoWebhook *webhook);
void gst_apixo_webhook_unref (GstApixoWebhook *webhook);

/* Any thread: deliveries received so far. */
guint gst_apixo_webhook_count_deliveries (GstApixoWebhook *webhook);

/* Any thread but the worker's (the owner, once the task is freed).  Stops
 * receiving (the path answers 404 from now on), releases the media server
 * and drops the owner's reference. */
void gst_apixo_webhook_free (GstApixoWebhook *webhook);

G_END_DECLS

#endif /* __GST_APIXO_WEBHOOK_H__ */
