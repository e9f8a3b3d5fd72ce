/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_MEDIA_SERVER_H__
#define __GST_APIXO_MEDIA_SERVER_H__

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GstApixoMediaServer:
 *
 * The embedded HTTP media server that makes local inputs (sink pad data,
 * file:// URIs) fetchable by the service: a #SoupServer living on the shared
 * worker's #GMainContext (no HTTP thread of its own), bound to an address
 * and port, shared by every element of the process that asks for the same
 * bind (refcounted).
 *
 * Each published file is served at an unguessable path ("/m/<token>.<ext>",
 * the token 256 bits from the kernel CSPRNG) with its Content-Type,
 * Content-Length, a strong ETag, single byte ranges (206/416), HEAD and
 * If-None-Match/If-Range; it is streamed from the file in fixed-size chunks
 * as the client consumes them (memory does not grow with the file size).
 * Unknown or withdrawn paths answer 404, methods other than GET/HEAD 405.
 * The path is a secret while published: it is never logged whole (see
 * gst_apixo_media_server_path_for_log()).
 *
 * Connections are bounded: one that sends no complete request headers
 * within 30 s (idle between requests, or sending them slowly), or whose
 * response makes no progress for 30 s, is closed; beyond 256 connections
 * at once per server, new ones are closed at once.  For tests, the
 * environment variables APIXO_MEDIA_SERVER_IDLE_TIMEOUT_MS and
 * APIXO_MEDIA_SERVER_MAX_CONNECTIONS (read when a server is made) change
 * these.
 * Receivers (webhooks) live at secret paths too ("/w/<token>"): POST only,
 * answered 200 at once (see gst_apixo_media_server_add_receiver()).
 */
typedef struct _GstApixoMediaServer GstApixoMediaServer;

#define GST_APIXO_MEDIA_SERVER_DEFAULT_ADDRESS "127.0.0.1"
#define GST_APIXO_MEDIA_SERVER_DEFAULT_PORT 0

/* Any thread but the worker's.  The server bound to @address (an IPv4/IPv6
 * literal, or "localhost" = 127.0.0.1; NULL: the default) and @port (0: the
 * system picks one; see get_port()).  Elements asking for the same bind
 * share one server; asking for the port a port-0 server got returns that
 * server too.  Binding runs on the worker thread; the wait for it is
 * interruptible by @cancellable (G_IO_ERROR_CANCELLED).  Errors:
 * GST_RESOURCE_ERROR_SETTINGS for a bad address, GST_RESOURCE_ERROR_OPEN_READ
 * when the bind fails (port in use, address not local).  Returns a
 * reference: drop it with gst_apixo_media_server_release(). */
GstApixoMediaServer *gst_apixo_media_server_acquire (const gchar *address,
                                                     guint port,
                                                     GCancellable *cancellable,
                                                     GError **error);

/* Any thread but the worker's (it waits briefly for the worker to close
 * the listening socket and the connections when the last reference goes). */
void gst_apixo_media_server_release (GstApixoMediaServer *server);

/* The bound address and port (the real one when 0 was asked for). */
const gchar *gst_apixo_media_server_get_address (GstApixoMediaServer *server);
guint gst_apixo_media_server_get_port (GstApixoMediaServer *server);

/* "http://127.0.0.1:40123" / "http://[::1]:40123": the server as seen from
 * this host (for tests and messages).  Free with g_free(). */
gchar *gst_apixo_media_server_get_local_url (GstApixoMediaServer *server);

/* Any thread.  Serves the regular file @filename (opened now: renaming or
 * unlinking it later does not stop the service; its size is fixed now) as
 * @content_type.  Returns the secret path ("/m/<43 chars>.<ext>", @ext from
 * the content type) to append to a base URL; free with g_free().  Fails with
 * GST_RESOURCE_ERROR_OPEN_READ if the file cannot be opened, or if no
 * random bytes can be had from the kernel. */
gchar *gst_apixo_media_server_publish (GstApixoMediaServer *server,
                                       const gchar *filename,
                                       const gchar *content_type,
                                       GError **error);

/* Any thread.  Stops serving @path at once (requests answer 404 from now
 * on; responses under way may finish).  FALSE if it was not published. */
gboolean gst_apixo_media_server_withdraw (GstApixoMediaServer *server,
                                          const gchar *path);

/**
 * GstApixoMediaServerReceiveFunc:
 * @user_data: as given to gst_apixo_media_server_add_receiver()
 *
 * A POST reached a receiver's path (worker thread).  The server has
 * answered it 200 already; the body is not passed on: a receiver only
 * learns that something arrived.
 */
typedef void (*GstApixoMediaServerReceiveFunc) (gpointer user_data);

/* Any thread.  Registers a receiver (a webhook): POSTs to the returned
 * secret path ("/w/<43 chars>", the token 256 bits from the kernel) with a
 * body of at most 64 KiB and a Content-Length are answered 200 at once and
 * reported to @func on the worker thread; larger bodies 413, chunked ones
 * 411, other methods 405.  @notify frees @user_data once the receiver is
 * removed and no call of @func runs any more (it may run on the worker).
 * Free the path with g_free(); it is a secret: DEBUG logs only.  Fails
 * with GST_RESOURCE_ERROR_OPEN_READ when the kernel gives no random
 * bytes (@notify is not called then). */
gchar *gst_apixo_media_server_add_receiver (GstApixoMediaServer *server,
                                            GstApixoMediaServerReceiveFunc func,
                                            gpointer user_data,
                                            GDestroyNotify notify,
                                            GError **error);

/* Any thread.  Stops receiving on @path at once (404 from now on).  FALSE
 * if it was not registered. */
gboolean gst_apixo_media_server_remove_receiver (GstApixoMediaServer *server,
                                                 const gchar *path);

/* For tests: how many paths are published, and how many responses are being
 * streamed right now (all servers of the process). */
guint gst_apixo_media_server_count_published (GstApixoMediaServer *server);
guint gst_apixo_media_server_count_streaming (void);

/* @text (a published path, or a URL ending in one) as it may be logged:
 * the token cut to its first characters ("/m/AbC1....png").  Free with
 * g_free(). */
gchar *gst_apixo_media_server_path_for_log (const gchar *text);

/* For tests: the connections open right now (all servers of the process;
 * any thread). */
guint gst_apixo_media_server_count_connections (void);

/* The file name extension used for @content_type ("png", "jpg", "mp4",
 * ...; "bin" when unknown).  Static string. */
const gchar *gst_apixo_media_server_extension (const gchar *content_type);

G_END_DECLS

#endif /* __GST_APIXO_MEDIA_SERVER_H__ */
