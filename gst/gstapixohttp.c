/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * HTTP helpers shared by the API client and the spool.
 *
 * Thread safety notes
 * -------------------
 * Settings helpers are plain data functions.  gst_apixo_http_send_bounded_*
 * run on the worker thread only; their state (BoundedSend) is owned by one
 * GTask and touched only from the worker context, except the chained
 * cancellable handler, which only calls g_cancellable_cancel() (thread
 * safe).  No locks.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixohttp.h"
#include "gstapixonetpolicy.h"
#include "gstapixodebug.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_http_debug);
#define GST_CAT_DEFAULT apixo_http_debug

#define READ_CHUNK 16384

static void
http_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_http_debug, "apixohttp", 0,
                                      "APIXO HTTP helpers");
}

void
gst_apixo_http_settings_init (GstApixoHttpSettings *s)
{
  memset (s, 0, sizeof (*s));
  s->user_agent = g_strdup (GST_APIXO_HTTP_DEFAULT_USER_AGENT);
  s->timeout = GST_APIXO_HTTP_DEFAULT_TIMEOUT;
  s->retries = GST_APIXO_HTTP_DEFAULT_RETRIES;
  s->retry_backoff_factor = GST_APIXO_HTTP_DEFAULT_BACKOFF_FACTOR;
  s->retry_backoff_max = GST_APIXO_HTTP_DEFAULT_BACKOFF_MAX;
  s->ssl_strict = TRUE;
}

void
gst_apixo_http_settings_copy (GstApixoHttpSettings *dst,
                              const GstApixoHttpSettings *src)
{
  *dst = *src;
  dst->user_agent = g_strdup (src->user_agent);
  dst->proxy = g_strdup (src->proxy);
  dst->ssl_ca_file = g_strdup (src->ssl_ca_file);
  dst->tls_database =
      src->tls_database ? g_object_ref (src->tls_database) : NULL;
  dst->extra_headers =
      src->extra_headers ? gst_structure_copy (src->extra_headers) : NULL;
}

void
gst_apixo_http_settings_clear (GstApixoHttpSettings *s)
{
  g_clear_pointer (&s->user_agent, g_free);
  g_clear_pointer (&s->proxy, g_free);
  g_clear_pointer (&s->ssl_ca_file, g_free);
  g_clear_object (&s->tls_database);
  g_clear_pointer (&s->extra_headers, gst_structure_free);
}

/* Keyed by the file's path, size and change time: a changed file gets a
 * new database (the old one stays with the sessions that use it). */
static gchar *
ca_file_key (const gchar *path, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0) {
    gint err = errno;

    g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (err),
                         g_strerror (err));
    return NULL;
  }
  return g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT, path,
                          (gint64)st.st_size, (gint64)st.st_mtime);
}

static GTlsDatabase *
ca_file_database_new (const gchar *path, GError **error)
{
  GList *certs = g_tls_certificate_list_new_from_file (path, error);

  if (certs == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                           "no PEM certificate in it");
    return NULL;
  }
  g_list_free_full (certs, g_object_unref);
  return g_tls_file_database_new (path, error);
}

gboolean
gst_apixo_http_settings_load_ca_file (GstApixoHttpSettings *s, GError **error)
{
  static GMutex lock;
  static GHashTable *databases; /* key -> GTlsDatabase, for the process */
  gchar *path, *key;
  GTlsDatabase *db;

  if (s->ssl_ca_file == NULL || s->tls_database != NULL)
    return TRUE;
  path = g_canonicalize_filename (s->ssl_ca_file, NULL);
  key = ca_file_key (path, error);
  if (key == NULL) {
    g_free (path);
    return FALSE;
  }
  g_mutex_lock (&lock);
  if (databases == NULL)
    databases =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  db = g_hash_table_lookup (databases, key);
  if (db == NULL && (db = ca_file_database_new (path, error)) != NULL)
    g_hash_table_insert (databases, g_strdup (key), db);
  if (db != NULL)
    s->tls_database = g_object_ref (db);
  g_mutex_unlock (&lock);
  g_free (key);
  g_free (path);
  return db != NULL;
}

SoupSession *
gst_apixo_http_get_session (GstApixoWorker *worker,
                            const GstApixoHttpSettings *s)
{
  return gst_apixo_worker_get_session (worker, s->proxy, s->tls_database);
}

static gboolean
accept_any_certificate (SoupMessage *msg, GTlsCertificate *cert,
                        GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

SoupMessage *
gst_apixo_http_new_message (const gchar *method, const gchar *uri,
                            const GstApixoHttpSettings *s, GError **error)
{
  GUri *parsed;
  SoupMessage *msg;

  http_init_debug ();
  parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, error);
  if (parsed == NULL)
    return NULL;
  if ((g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (parsed), "https") != 0) ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not an http:// or https:// URI with a host");
    g_uri_unref (parsed);
    return NULL;
  }
  /* (URLs from the network, e.g. result URLs, end up here too: anything
   * libsoup refuses is an error, never a NULL message.) */
  msg = soup_message_new_from_uri (method, parsed);
  g_uri_unref (parsed);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not a usable http(s) URI");
    return NULL;
  }

  if (s->user_agent != NULL && *s->user_agent != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "User-Agent", s->user_agent);
  if (!s->ssl_strict)
    g_signal_connect (msg, "accept-certificate",
                      G_CALLBACK (accept_any_certificate), NULL);
  return msg;
}

static gboolean
add_one_header (GQuark field_id, const GValue *value, gpointer user_data)
{
  SoupMessage *msg = user_data;
  const gchar *name = g_quark_to_string (field_id);
  gchar *str;

  if (G_VALUE_HOLDS_STRING (value))
    str = g_value_dup_string (value);
  else
    str = gst_value_serialize (value);
  if (str != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), name,
                                 str);
  g_free (str);
  return TRUE;
}

void
gst_apixo_http_add_extra_headers (SoupMessage *msg,
                                  const GstApixoHttpSettings *s)
{
  if (s->extra_headers != NULL)
    gst_structure_foreach (s->extra_headers, add_one_header, msg);
}

/* ---- size-bounded request with an I/O timeout ---------------------------- */

typedef struct {
  GCancellable *inner; /* cancelled on caller cancel or timeout */
  GCancellable *outer; /* the caller's, may be NULL */
  gulong outer_handler;
  GSource *timer;
  guint timeout;
  gboolean timed_out;
  gsize max_bytes;
  GByteArray *body;
  GInputStream *stream;
  SoupMessage *msg;
  gulong wrote_handler;
} BoundedSend;

G_DEFINE_QUARK (gst - apixo - http - error - quark, gst_apixo_http_error)

static void
bounded_send_free (BoundedSend *b)
{
  if (b->timer != NULL) {
    g_source_destroy (b->timer);
    g_source_unref (b->timer);
  }
  if (b->outer != NULL) {
    g_cancellable_disconnect (b->outer, b->outer_handler);
    g_object_unref (b->outer);
  }
  g_clear_object (&b->inner);
  g_clear_object (&b->stream);
  if (b->msg != NULL)
    g_signal_handler_disconnect (b->msg, b->wrote_handler);
  g_clear_object (&b->msg);
  if (b->body != NULL)
    g_byte_array_unref (b->body);
  g_free (b);
}

static void
bounded_outer_cancelled (GCancellable *outer, gpointer data)
{
  GCancellable *inner = data;

  g_cancellable_cancel (inner);
}

static gboolean
bounded_timer_fired (gpointer data)
{
  GTask *task = data;
  BoundedSend *b = g_task_get_task_data (task);

  b->timed_out = TRUE;
  g_cancellable_cancel (b->inner);
  return G_SOURCE_REMOVE;
}

static void
bounded_arm_timer (GTask *task)
{
  BoundedSend *b = g_task_get_task_data (task);

  if (b->timer != NULL) {
    g_source_destroy (b->timer);
    g_clear_pointer (&b->timer, g_source_unref);
  }
  if (b->timeout == 0)
    return;
  b->timer = g_timeout_source_new_seconds (b->timeout);
  /* The task outlives the timer: bounded_send_free() destroys it. */
  g_source_set_callback (b->timer, bounded_timer_fired, task, NULL);
  g_source_attach (b->timer, g_main_context_get_thread_default ());
}

static void
bounded_fail (GTask *task, GError *error)
{
  BoundedSend *b = g_task_get_task_data (task);

  if (b->timed_out &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_error (&error);
    /* Queued behind busy connections, the request never left: saying so
     * lets a submission be retried instead of being taken for one whose
     * answer was lost (which would refuse to submit it ever again). */
    if (!gst_apixo_http_message_written (b->msg))
      error = g_error_new (GST_APIXO_HTTP_ERROR, GST_APIXO_HTTP_ERROR_NOT_SENT,
                           "no connection within %u s (the request was "
                           "never sent)",
                           b->timeout);
    else
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "no answer within %u s", b->timeout);
  }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void bounded_read_more (GTask *task);

static void
bounded_read_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  BoundedSend *b = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *chunk;
  gsize size;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                            &error);
  if (chunk == NULL) {
    bounded_fail (task, error);
    return;
  }
  size = g_bytes_get_size (chunk);
  if (size == 0) {
    g_bytes_unref (chunk);
    g_task_return_pointer (task, g_byte_array_free_to_bytes (b->body),
                           (GDestroyNotify)g_bytes_unref);
    b->body = NULL;
    g_object_unref (task);
    return;
  }
  if (b->body->len + size > b->max_bytes) {
    g_bytes_unref (chunk);
    bounded_fail (task,
                  g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "answer larger than %" G_GSIZE_FORMAT " bytes",
                               b->max_bytes));
    return;
  }
  g_byte_array_append (b->body, g_bytes_get_data (chunk, NULL), size);
  g_bytes_unref (chunk);
  bounded_arm_timer (task);
  bounded_read_more (task);
}

static void
bounded_read_more (GTask *task)
{
  BoundedSend *b = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (b->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   b->inner, bounded_read_done, task);
}

static void
bounded_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  BoundedSend *b = g_task_get_task_data (task);
  GError *error = NULL;
  goffset length;

  b->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (b->stream == NULL) {
    bounded_fail (task, error);
    return;
  }
  length = soup_message_headers_get_content_length (
      soup_message_get_response_headers (b->msg));
  if (length > 0 && (gsize)length > b->max_bytes) {
    bounded_fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                     "answer of %" G_GINT64_FORMAT
                                     " bytes is larger than %" G_GSIZE_FORMAT,
                                     (gint64)length, b->max_bytes));
    return;
  }
  bounded_arm_timer (task);
  bounded_read_more (task);
}

/* set on a message whose request headers were written */
static GQuark
written_quark (void)
{
  return g_quark_from_static_string ("gst-apixo-http-written");
}

static void
bounded_wrote_headers (SoupMessage *msg, gpointer data)
{
  g_object_set_qdata (G_OBJECT (msg), written_quark (), GINT_TO_POINTER (1));
}

gboolean
gst_apixo_http_message_written (SoupMessage *msg)
{
  return g_object_get_qdata (G_OBJECT (msg), written_quark ()) != NULL;
}

void
gst_apixo_http_send_bounded_async (SoupSession *session, SoupMessage *msg,
                                   gsize max_bytes, guint timeout,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  GTask *task;
  BoundedSend *b = g_new0 (BoundedSend, 1);

  http_init_debug ();
  b->inner = g_cancellable_new ();
  b->timeout = timeout;
  b->max_bytes = max_bytes;
  b->body = g_byte_array_new ();
  if (cancellable != NULL) {
    b->outer = g_object_ref (cancellable);
    b->outer_handler = g_cancellable_connect (
        cancellable, G_CALLBACK (bounded_outer_cancelled), b->inner, NULL);
  }

  task = g_task_new (session, cancellable, callback, user_data);
  g_task_set_source_tag (task, gst_apixo_http_send_bounded_async);
  /* No return-on-cancel: the operation always completes through its own
   * callbacks so that nothing is left pending on the worker context. */
  g_task_set_task_data (task, b, (GDestroyNotify)bounded_send_free);
  b->msg = g_object_ref (msg);
  b->wrote_handler = g_signal_connect (msg, "wrote-headers",
                                       G_CALLBACK (bounded_wrote_headers), b);

  bounded_arm_timer (task);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, b->inner,
                           bounded_sent, task);
}

GBytes *
gst_apixo_http_send_bounded_finish (SoupSession *session, GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- retry policy -------------------------------------------------------- */

gboolean
gst_apixo_http_status_is_transient (guint status)
{
  switch (status) {
    case 429: /* Too Many Requests (no libsoup 3.2 constant) */
    case SOUP_STATUS_INTERNAL_SERVER_ERROR:
    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      return TRUE;
    default:
      return FALSE;
  }
}

/* A SOCKS proxy's refusal, during its handshake (before the request):
 * it wants credentials, refused them, or refuses the destination.  Asking
 * again gets the same answer. */
static gboolean
proxy_refused (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_NEED_AUTH) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_AUTH_FAILED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_NOT_ALLOWED);
}

gboolean
gst_apixo_http_error_is_before_send (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == G_RESOLVER_ERROR ||
      g_error_matches (error, GST_APIXO_HTTP_ERROR,
                       GST_APIXO_HTTP_ERROR_NOT_SENT))
    return TRUE;
  /* The server certificate is checked during the handshake, before any
   * byte of the request is sent; so is the TLS backend's presence and the
   * server speaking TLS at all.  Other TLS errors (an unexpected EOF, a
   * renegotiation) can come after the request: not proven unsent. */
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) ||
      g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
      g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE))
    return TRUE;
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_FAILED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND) ||
         proxy_refused (error);
}

gboolean
gst_apixo_http_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;
  /* A certificate problem or a proxy's refusal does not go away by asking
   * again. */
  if (error->domain == G_TLS_ERROR || proxy_refused (error))
    return FALSE;
  if (gst_apixo_http_error_is_before_send (error))
    return TRUE;
  if (error->domain == G_IO_ERROR) {
    switch (error->code) {
      case G_IO_ERROR_CANCELLED:
      case G_IO_ERROR_MESSAGE_TOO_LARGE:
      case G_IO_ERROR_INVALID_ARGUMENT:
      case G_IO_ERROR_NOT_SUPPORTED:
        return FALSE;
      default:
        /* reset, broken pipe, timed out, closed, partial input ... */
        return TRUE;
    }
  }
  /* libsoup's own errors: premature end of body, bad response parse. */
  return error->domain == SOUP_SESSION_ERROR;
}

gdouble
gst_apixo_http_retry_after (SoupMessage *msg)
{
  const gchar *value;
  gchar *end = NULL;
  gdouble seconds;
  GDateTime *date, *now;

  value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                        "Retry-After");
  if (value == NULL)
    return -1;
  /* delay-seconds is 1*DIGIT (RFC 9110): no sign, exponent, "nan" or
   * "inf" (g_ascii_strtod would take those, and a NaN delay is 0 ms). */
  if (g_ascii_isdigit (*value)) {
    guint64 n = g_ascii_strtoull (value, &end, 10);

    if (*end == '\0')
      return (gdouble)MIN (n, 3600);
    return -1;
  }
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  seconds = g_date_time_difference (date, now) / (gdouble)G_TIME_SPAN_SECOND;
  g_date_time_unref (date);
  g_date_time_unref (now);
  return CLAMP (seconds, 0, 3600);
}

gdouble
gst_apixo_http_backoff_delay (const GstApixoHttpSettings *s, guint attempt,
                              gdouble retry_after)
{
  gdouble delay = s->retry_backoff_factor;
  guint i;

  for (i = 1; i < attempt && delay < s->retry_backoff_max; i++)
    delay *= 2;
  delay = MIN (delay, s->retry_backoff_max);
  delay *= g_random_double_range (0.75, 1.25);
  return MAX (delay, retry_after);
}

/* ---- errors -------------------------------------------------------------- */

static const gchar *
tls_flags_to_string (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return "the server certificate is signed by an unknown certificate "
           "authority (set tls-database to trust it, or ssl-strict=false to "
           "skip the check)";
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return "the server certificate does not match the host name";
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return "the server certificate is not valid yet";
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return "the server certificate has expired";
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return "the server certificate has been revoked";
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return "the server certificate uses an insecure algorithm";
  return "the server certificate could not be verified";
}

static gboolean
tls_backend_missing (const GError *error)
{
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE))
    return TRUE;
  return !g_tls_backend_supports_tls (g_tls_backend_get_default ()) &&
         (error->domain == G_TLS_ERROR ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
}

/* " (through the proxy HOST:PORT)" when @session reaches @msg's URL
 * through the proxy property's proxy, else "".  Only a GSimpleProxyResolver
 * (the property's) is asked: its answer takes no I/O, unlike a system one
 * (PAC). */
static gchar *
proxy_note (SoupSession *session, SoupMessage *msg)
{
  GProxyResolver *resolver =
      session ? soup_session_get_proxy_resolver (session) : NULL;
  gchar *url, *via = NULL, *note = NULL;
  GUri *proxy = NULL;

  if (msg == NULL || !G_IS_SIMPLE_PROXY_RESOLVER (resolver))
    return g_strdup ("");
  url = g_uri_to_string (soup_message_get_uri (msg));
  via = gst_apixo_net_proxy_lookup (resolver, url);
  g_free (url);
  if (via != NULL)
    proxy = g_uri_parse (via, G_URI_FLAGS_NONE, NULL);
  if (proxy != NULL && g_uri_get_host (proxy) != NULL) {
    note =
        g_uri_get_port (proxy) > 0
            ? g_strdup_printf (" (through the proxy %s:%d)",
                               g_uri_get_host (proxy), g_uri_get_port (proxy))
            : g_strdup_printf (" (through the proxy %s)",
                               g_uri_get_host (proxy));
  }
  g_clear_pointer (&proxy, g_uri_unref);
  g_free (via);
  return note ? note : g_strdup ("");
}

GError *
gst_apixo_http_error_to_gst (const GError *error, SoupSession *session,
                             SoupMessage *msg, const gchar *what)
{
  gchar *via = NULL;
  GstResourceError code = GST_RESOURCE_ERROR_READ;
  gchar *reason;
  GError *out;

  if (tls_backend_missing (error)) {
    code = GST_RESOURCE_ERROR_OPEN_READ;
    reason = g_strdup ("HTTPS is not available: no TLS backend is installed "
                       "(install glib-networking)");
  } else if (error->domain == G_TLS_ERROR) {
    GTlsCertificateFlags flags =
        msg ? soup_message_get_tls_peer_certificate_errors (msg) : 0;
    code = GST_RESOURCE_ERROR_OPEN_READ;
    if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) ||
        flags != 0)
      reason = g_strdup_printf ("TLS error: %s", tls_flags_to_string (flags));
    else
      reason = g_strdup_printf ("TLS error: %s", error->message);
  } else if (error->domain == G_RESOLVER_ERROR ||
             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)) {
    code = GST_RESOURCE_ERROR_NOT_FOUND;
    reason = g_strdup_printf ("host not found: %s", error->message);
  } else if (g_error_matches (error, GST_APIXO_HTTP_ERROR,
                              GST_APIXO_HTTP_ERROR_NOT_SENT)) {
    code = GST_RESOURCE_ERROR_OPEN_READ;
    via = proxy_note (session, msg);
    reason = g_strdup_printf ("could not connect%s: %s", via, error->message);
  } else if (proxy_refused (error)) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    via = proxy_note (session, msg);
    reason = g_strdup_printf ("the proxy refused%s: %s", via, error->message);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    code = GST_RESOURCE_ERROR_READ;
    reason = g_strdup_printf ("timed out: %s", error->message);
  } else if (g_error_matches (error, G_IO_ERROR,
                              G_IO_ERROR_CONNECTION_REFUSED) ||
             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
             g_error_matches (error, G_IO_ERROR,
                              G_IO_ERROR_NETWORK_UNREACHABLE) ||
             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_FAILED)) {
    code = GST_RESOURCE_ERROR_OPEN_READ;
    via = proxy_note (session, msg);
    reason = g_strdup_printf ("could not connect%s: %s", via, error->message);
  } else if (g_error_matches (error, G_IO_ERROR,
                              G_IO_ERROR_MESSAGE_TOO_LARGE)) {
    code = GST_RESOURCE_ERROR_READ;
    reason = g_strdup_printf ("the server sent too much: %s", error->message);
  } else {
    reason = g_strdup_printf ("network error: %s", error->message);
  }

  out = g_error_new (GST_RESOURCE_ERROR, code, "Failed %s: %s", what, reason);
  g_free (reason);
  g_free (via);
  return out;
}

gchar *
gst_apixo_http_uri_host (const gchar *uri)
{
  GUri *parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, NULL);
  gchar *host;

  if (parsed == NULL)
    return g_strdup ("(invalid URI)");
  if (g_uri_get_port (parsed) > 0)
    host = g_strdup_printf ("%s:%d", g_uri_get_host (parsed),
                            g_uri_get_port (parsed));
  else
    host = g_strdup (g_uri_get_host (parsed));
  g_uri_unref (parsed);
  return host;
}
