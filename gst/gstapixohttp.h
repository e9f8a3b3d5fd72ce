/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_HTTP_H__
#define __GST_APIXO_HTTP_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

#include "gstapixoworker.h"

G_BEGIN_DECLS

/*
 * HTTP plumbing shared by the API client and the result spool: the HTTP
 * knobs of an element (souphttpsrc's names and meanings), message set-up,
 * size-bounded requests with an I/O timeout, retry/backoff policy and the
 * mapping of transport errors to GStreamer errors.
 */

#define GST_APIXO_HTTP_DEFAULT_TIMEOUT 15
#define GST_APIXO_HTTP_DEFAULT_RETRIES 3
#define GST_APIXO_HTTP_DEFAULT_BACKOFF_FACTOR 0.5
#define GST_APIXO_HTTP_DEFAULT_BACKOFF_MAX 60.0
#define GST_APIXO_HTTP_DEFAULT_USER_AGENT "gst-apixo/" PACKAGE_VERSION

/* A snapshot of an element's HTTP settings (plain data, copied at start). */
typedef struct {
  gchar *user_agent;
  guint timeout;                /* s without progress; 0 = none */
  gint retries;                 /* transient failures retried; -1 = no limit */
  gdouble retry_backoff_factor; /* s, first delay; doubles per attempt */
  gdouble retry_backoff_max;    /* s, cap of one delay */
  gchar *proxy;                 /* NULL = system settings */
  gboolean ssl_strict;
  gchar *ssl_ca_file;          /* NULL = none; see _load_ca_file() */
  GTlsDatabase *tls_database;  /* NULL = system (or ssl_ca_file's) */
  GstStructure *extra_headers; /* API requests only */
} GstApixoHttpSettings;

void gst_apixo_http_settings_init (GstApixoHttpSettings *s);
void gst_apixo_http_settings_copy (GstApixoHttpSettings *dst,
                                   const GstApixoHttpSettings *src);
void gst_apixo_http_settings_clear (GstApixoHttpSettings *s);

/* Any thread (a settings check: reads a small file).  With ssl_ca_file set
 * and no tls_database, makes tls_database trust that file's certificates
 * (one database per file and process, so that elements naming the same
 * file share the worker's session).  FALSE + @error (G_TLS_ERROR or a file
 * error) if the file cannot be read or holds no PEM certificate. */
gboolean gst_apixo_http_settings_load_ca_file (GstApixoHttpSettings *s,
                                               GError **error);

/* Worker thread.  The session these settings use. */
SoupSession *gst_apixo_http_get_session (GstApixoWorker *worker,
                                         const GstApixoHttpSettings *s);

/* Any thread.  A message with User-Agent and the TLS policy applied
 * (ssl-strict=false accepts any certificate).  NULL + @error if @uri does
 * not parse. */
SoupMessage *gst_apixo_http_new_message (const gchar *method, const gchar *uri,
                                         const GstApixoHttpSettings *s,
                                         GError **error);

/* Adds the element's extra-headers (API requests only). */
void gst_apixo_http_add_extra_headers (SoupMessage *msg,
                                       const GstApixoHttpSettings *s);

/* Worker thread.  Sends @msg on @session and reads the whole body, failing
 * with G_IO_ERROR_MESSAGE_TOO_LARGE past @max_bytes and with
 * G_IO_ERROR_TIMED_OUT when no progress is made for @timeout seconds (0: no
 * limit), or GST_APIXO_HTTP_ERROR_NOT_SENT when those seconds passed before
 * the request was written.  Cancelling @cancellable fails with
 * G_IO_ERROR_CANCELLED. */
void gst_apixo_http_send_bounded_async (SoupSession *session, SoupMessage *msg,
                                        gsize max_bytes, guint timeout,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
GBytes *gst_apixo_http_send_bounded_finish (SoupSession *session,
                                            GAsyncResult *result,
                                            GError **error);
/* Worker thread.  Whether the headers of @msg, sent with
 * gst_apixo_http_send_bounded_async(), were written to its connection:
 * until they are, the server cannot have the request (its body comes
 * after them), and once the send is cancelled on the worker thread they
 * never will be. */
gboolean gst_apixo_http_message_written (SoupMessage *msg);

/* TRUE for statuses the service documents as worth retrying
 * (429, 500, 502, 503, 504). */
gboolean gst_apixo_http_status_is_transient (guint status);

/* TRUE for transport errors worth retrying (reset, timeout, refused,
 * unreachable, premature end of body). */
gboolean gst_apixo_http_error_is_transient (const GError *error);

/* Errors of gst_apixo_http_send_bounded_async() of its own. */
#define GST_APIXO_HTTP_ERROR (gst_apixo_http_error_quark ())
GQuark gst_apixo_http_error_quark (void);

typedef enum {
  /* The timeout passed before the request's headers were written (it
   * waited for a connection: the session's connections were all busy). */
  GST_APIXO_HTTP_ERROR_NOT_SENT,
} GstApixoHttpError;

/* TRUE when the error proves the request never reached the server
 * (connection refused, DNS failure, unreachable, GST_APIXO_HTTP_ERROR_NOT_SENT):
 * a submit can be retried without risking a second task. */
gboolean gst_apixo_http_error_is_before_send (const GError *error);

/* Retry-After header in seconds (delta-seconds or HTTP date); -1 if none. */
gdouble gst_apixo_http_retry_after (SoupMessage *msg);

/* Delay before retry @attempt (1-based): factor * 2^(attempt-1), capped at
 * max, with +-25% jitter, and never below @retry_after. Seconds. */
gdouble gst_apixo_http_backoff_delay (const GstApixoHttpSettings *s,
                                      guint attempt, gdouble retry_after);

/* Maps a transport error (GIO, resolver, TLS) to a GST_RESOURCE_ERROR with
 * a message that says what went wrong, e.g. DNS -> NOT_FOUND, TLS ->
 * OPEN_READ naming the certificate problem or the missing TLS backend,
 * timeout -> READ; a connection that failed through the proxy property's
 * proxy names it (host and port).  @what names the request ("submitting
 * the task", "downloading the result").  @session (the one @msg went
 * through) and @msg may be NULL. */
GError *gst_apixo_http_error_to_gst (const GError *error, SoupSession *session,
                                     SoupMessage *msg, const gchar *what);

/* The host of @uri ("api.apixo.ai:443"), for messages and logs: never the
 * full URI with its query. Free with g_free(). */
gchar *gst_apixo_http_uri_host (const gchar *uri);

G_END_DECLS

#endif /* __GST_APIXO_HTTP_H__ */
