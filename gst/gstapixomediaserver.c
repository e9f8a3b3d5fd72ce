/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The embedded media server: local inputs served to the service over HTTP.
 *
 * Thread safety notes
 * -------------------
 * - servers_lock (static GMutex) guards the servers table (bind key ->
 *   server), every server's refcount and bound_key.
 * - server->lock guards server->entries (token -> Entry),
 *   server->receivers (token -> Receiver) and the start/stop hand-over (phase, start_error); server->cond is signalled when the phase
 *   changes or a wait is cancelled.  address and port are written once by
 *   the worker before the phase becomes RUNNING, read-only afterwards.
 * - server->soup and every Response live on the worker thread only (libsoup
 *   objects belong to the thread whose context they were created in).
 * - Entries are immutable once published and refcounted atomically: a
 *   response under way keeps its entry (and the open file) after withdraw.
 *   Receivers likewise: a delivery being reported keeps its receiver, whose
 *   notify runs when the last reference goes (on the worker, or in
 *   remove_receiver()); their func is called without any lock held.
 * - Lock order: servers_lock, then server->lock.  Neither is held while
 *   calling libsoup, while waiting for the worker (the waits use
 *   server->cond), nor around g_cancellable_connect/disconnect.
 * - server->conns (the open connections, their timers) lives on the worker
 *   thread only, like server->soup.
 * - Streaming threads never wait for the worker except in acquire()
 *   (interruptible by the cancellable) and in the last release() (the
 *   worker only closes sockets, which does not block).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixomediaserver.h"
#include "gstapixodebug.h"
#include "gstapixoworker.h"

#include <libsoup/soup.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (apixo_media_server_debug);
#define GST_CAT_DEFAULT apixo_media_server_debug

/* Bytes read from the file per response chunk: the memory a response
 * holds, whatever the file size. */
#define CHUNK_SIZE (64 * 1024)
/* Random bytes per path token: 256 bits, 43 base64url characters. */
#define TOKEN_BYTES 32
#define TOKEN_CHARS 43
#define PATH_PREFIX "/m/"
/* Receivers (webhooks): "/w/<token>", bodies of at most RECEIVE_MAX bytes
 * (a delivery is a status envelope of a few hundred bytes; it is only a
 * wake-up, so nothing in it is needed). */
#define RECEIVER_PREFIX "/w/"
#define RECEIVE_MAX (64 * 1024)
/* How long accepting pauses after accept() failed (e.g. no file
 * descriptor left). */
#define ACCEPT_PAUSE_MS 250
/* A connection that sends no complete request headers for this long (idle
 * between requests, or sending them slowly), or whose response makes no
 * progress for this long, is closed: each one holds a descriptor.  Tests
 * shorten it with APIXO_MEDIA_SERVER_IDLE_TIMEOUT_MS (read when a server
 * is made, on the thread that asks for it). */
#define DEFAULT_IDLE_TIMEOUT_MS (30 * 1000)
/* Connections open at once per server; further ones are closed at once
 * (APIXO_MEDIA_SERVER_MAX_CONNECTIONS, for tests). */
#define DEFAULT_MAX_CONNECTIONS 256
/* Characters of a token shown in logs: enough to tell paths apart, far
 * too few to fetch one. */
#define TOKEN_LOG_CHARS 4

typedef enum {
  PHASE_STARTING,
  PHASE_RUNNING,
  PHASE_FAILED,
  PHASE_STOPPED,
} Phase;

struct _GstApixoMediaServer {
  gint refcount; /* servers_lock */
  gchar *key;    /* the requested bind, "address:port" */
  gchar *bound_key;
  gchar *address;
  guint port;
  GstApixoWorker *worker;
  SoupServer *soup;       /* worker thread */
  GSocket *listen_socket; /* worker thread */
  GSource *listen_source; /* worker thread; NULL while accepting pauses */
  GSource *resume_source; /* worker thread: the end of that pause */

  GHashTable *conns;     /* worker thread: remote address -> Conn */
  guint idle_timeout_ms; /* set in server_new() */
  guint max_connections;

  GMutex lock;
  GCond cond;
  Phase phase;
  GError *start_error;
  GHashTable *entries;   /* token -> Entry */
  GHashTable *receivers; /* token -> Receiver */
};

/* An open connection (worker thread). */
typedef struct {
  GstApixoMediaServer *server;
  GSocket *socket;      /* weak: alive while libsoup uses the connection */
  gchar *remote;        /* the client's address and port: its key */
  GSource *timer;       /* the idle/slow-header/stalled response limit */
  gint64 last_activity; /* monotonic: idle since, or last bytes written */
  gboolean busy;        /* a request is read, its response under way */
} Conn;

typedef struct {
  gint refcount;
  int fd;
  guint64 size;
  gchar *content_type;
  const gchar *extension;
  gchar *etag;
} Entry;

typedef struct {
  gint refcount;
  GstApixoMediaServerReceiveFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} Receiver;

/* One GET response being streamed (worker thread). */
typedef struct {
  Entry *entry;
  guint64 offset, end; /* bytes [offset, end) still to send */
} Response;

static GMutex servers_lock;
static GHashTable *servers; /* key -> server (not a reference) */
static gint n_streaming;
static gint n_connections;

static guint
limit_from_env (const gchar *name, guint fallback)
{
  const gchar *value = g_getenv (name);
  guint64 n;

  if (value == NULL ||
      !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &n, NULL))
    return fallback;
  return (guint)n;
}

static void
media_server_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_media_server_debug,
                                      "apixomediaserver", 0,
                                      "APIXO embedded media server");
}

/* ---- entries ------------------------------------------------------------- */

static const struct {
  const gchar *content_type;
  const gchar *extension;
} EXTENSIONS[] = {
  { "image/jpeg", "jpg" },      { "image/png", "png" },
  { "image/webp", "webp" },     { "image/bmp", "bmp" },
  { "video/mp4", "mp4" },       { "video/quicktime", "mov" },
  { "video/webm", "webm" },     { "video/x-matroska", "mkv" },
  { "video/x-msvideo", "avi" }, { "video/3gpp", "3gp" },
  { "audio/mpeg", "mp3" },      { "audio/wav", "wav" },
  { "audio/x-wav", "wav" },     { "audio/mp4", "m4a" },
  { "audio/aac", "aac" },       { "audio/ogg", "ogg" },
  { "audio/flac", "flac" },
};

const gchar *
gst_apixo_media_server_extension (const gchar *content_type)
{
  for (guint i = 0; content_type && i < G_N_ELEMENTS (EXTENSIONS); i++) {
    if (g_ascii_strcasecmp (content_type, EXTENSIONS[i].content_type) == 0)
      return EXTENSIONS[i].extension;
  }
  return "bin";
}

static Entry *
entry_ref (Entry *entry)
{
  g_atomic_int_inc (&entry->refcount);
  return entry;
}

static void
entry_unref (Entry *entry)
{
  if (!g_atomic_int_dec_and_test (&entry->refcount))
    return;
  close (entry->fd);
  g_free (entry->content_type);
  g_free (entry->etag);
  g_free (entry);
}

static void
receiver_unref (Receiver *receiver)
{
  if (!g_atomic_int_dec_and_test (&receiver->refcount))
    return;
  if (receiver->notify != NULL)
    receiver->notify (receiver->user_data);
  g_free (receiver);
}

/* 256 bits from the kernel CSPRNG, base64url without padding.  Never falls
 * back to a weaker generator: the token is all that protects the file. */
static gchar *
new_token (GError **error)
{
  guint8 bytes[TOKEN_BYTES];
  gsize got = 0;
  gchar *token;

  while (got < sizeof (bytes)) {
    ssize_t n = getrandom (bytes + got, sizeof (bytes) - got, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                   "No random bytes from the kernel (getrandom: %s): cannot "
                   "make an unguessable media path",
                   g_strerror (errno));
      return NULL;
    }
    got += n;
  }
  token = g_base64_encode (bytes, sizeof (bytes));
  memset (bytes, 0, sizeof (bytes));
  g_strdelimit (token, "+", '-');
  g_strdelimit (token, "/", '_');
  token[TOKEN_CHARS] = '\0'; /* the '=' pad */
  return token;
}

/* "/m/<token>.<ext>" -> "<token>" (NULL if the path has not that shape);
 * *@extension points into @path. */
static gchar *
token_from_path (const gchar *path, const gchar **extension)
{
  const gchar *t;

  if (path == NULL || !g_str_has_prefix (path, PATH_PREFIX))
    return NULL;
  t = path + strlen (PATH_PREFIX);
  if (strlen (t) < TOKEN_CHARS + 2 || t[TOKEN_CHARS] != '.')
    return NULL;
  *extension = t + TOKEN_CHARS + 1;
  return g_strndup (t, TOKEN_CHARS);
}

gchar *
gst_apixo_media_server_path_for_log (const gchar *text)
{
  const gchar *at = text ? g_strrstr (text, PATH_PREFIX) : NULL;
  const gchar *end;

  /* a receiver's path is a secret of the same kind (same prefix length) */
  G_STATIC_ASSERT (sizeof (PATH_PREFIX) == sizeof (RECEIVER_PREFIX));
  if (at == NULL && text != NULL)
    at = g_strrstr (text, RECEIVER_PREFIX);
  if (at == NULL)
    return g_strdup (text);
  at += strlen (PATH_PREFIX);
  for (end = at; *end != '\0' && *end != '.' && *end != '/' && *end != '?';
       end++)
    ;
  return g_strdup_printf ("%.*s%.*s...%s", (gint)(at - text), text,
                          (gint)MIN (end - at, TOKEN_LOG_CHARS), at, end);
}

/* The path is the only protection of a published file: never logged
 * whole, at any level. */
static void
debug_path (const gchar *event, const gchar *path, const gchar *detail)
{
  gchar *shown;

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_DEBUG)
    return;
  shown = gst_apixo_media_server_path_for_log (path);
  GST_DEBUG ("%s %s: %s", event, GST_STR_NULL (shown), detail);
  g_free (shown);
}

/* ---- byte ranges --------------------------------------------------------- */

typedef enum {
  RANGE_NONE, /* no usable Range: the whole file */
  RANGE_OK,   /* [start, end] */
  RANGE_UNSATISFIABLE,
} RangeResult;

static gboolean
parse_u64 (const gchar *s, const gchar *end, guint64 *value)
{
  guint64 v = 0;

  if (s == end)
    return FALSE;
  for (; s < end; s++) {
    if (!g_ascii_isdigit (*s) || v > (G_MAXUINT64 - 9) / 10)
      return FALSE;
    v = v * 10 + (*s - '0');
  }
  *value = v;
  return TRUE;
}

/* One "bytes=a-b" / "bytes=a-" / "bytes=-n" range.  Several ranges or a
 * syntax error: RANGE_NONE (RFC 9110 lets a server ignore Range). */
static RangeResult
parse_range (const gchar *header, guint64 size, guint64 *start, guint64 *end)
{
  const gchar *spec, *dash, *stop;
  guint64 a, b;

  if (header == NULL)
    return RANGE_NONE;
  while (g_ascii_isspace (*header))
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0 ||
      strchr (header, ',') != NULL)
    return RANGE_NONE;
  spec = header + 6;
  stop = spec + strlen (spec);
  while (stop > spec && g_ascii_isspace (stop[-1]))
    stop--;
  dash = memchr (spec, '-', stop - spec);
  if (dash == NULL)
    return RANGE_NONE;

  if (dash == spec) { /* suffix: the last n bytes */
    if (!parse_u64 (dash + 1, stop, &b))
      return RANGE_NONE;
    if (b == 0 || size == 0)
      return RANGE_UNSATISFIABLE;
    *start = b >= size ? 0 : size - b;
    *end = size - 1;
    return RANGE_OK;
  }
  if (!parse_u64 (spec, dash, &a))
    return RANGE_NONE;
  if (dash + 1 == stop) {
    b = G_MAXUINT64;
  } else if (!parse_u64 (dash + 1, stop, &b) || b < a) {
    return RANGE_NONE;
  }
  if (a >= size)
    return RANGE_UNSATISFIABLE;
  *start = a;
  *end = MIN (b, size - 1);
  return RANGE_OK;
}

/* If-None-Match / If-Range hold @etag (or "*" for If-None-Match). */
static gboolean
etag_listed (const gchar *header, const gchar *etag, gboolean star)
{
  gchar **items;
  gboolean found = FALSE;

  if (header == NULL)
    return FALSE;
  items = g_strsplit (header, ",", -1);
  for (guint i = 0; items[i] != NULL && !found; i++) {
    const gchar *item = g_strstrip (items[i]);

    found = (star && strcmp (item, "*") == 0) || strcmp (item, etag) == 0;
  }
  g_strfreev (items);
  return found;
}

/* ---- responses (worker thread) ------------------------------------------- */

static void
response_free (gpointer data)
{
  Response *r = data;

  entry_unref (r->entry);
  g_free (r);
  g_atomic_int_add (&n_streaming, -1);
}

/* Appends the next chunk of the file, or completes the body.  A read error
 * (the file shrank under us) cuts the connection: the client must see a
 * short body, not a wrong one. */
static void
response_next_chunk (SoupServerMessage *msg, Response *r)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize len = (gsize)MIN ((guint64)CHUNK_SIZE, r->end - r->offset);
  guint8 *data;
  gsize got = 0;

  if (len == 0) {
    soup_message_body_complete (body);
    return;
  }
  data = g_malloc (len);
  while (got < len) {
    ssize_t n = pread (r->entry->fd, data + got, len - got, r->offset + got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += n;
  }
  if (got < len) {
    GSocket *socket = soup_server_message_get_socket (msg);

    GST_WARNING ("media file read failed at %" G_GUINT64_FORMAT
                 " (truncated?): closing the connection",
                 r->offset + got);
    g_free (data);
    r->offset = r->end;
    if (socket != NULL)
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
    soup_message_body_complete (body);
    return;
  }
  r->offset += len;
  soup_message_body_append_take (body, data, len);
}

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  response_next_chunk (msg, user_data);
}

static void
respond_error (SoupServerMessage *msg, guint status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                    soup_status_get_phrase (status),
                                    strlen (soup_status_get_phrase (status)));
}

static void
respond_entry (SoupServerMessage *msg, Entry *entry, gboolean head)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const gchar *if_range = soup_message_headers_get_one (req, "If-Range");
  guint64 start = 0, end = entry->size ? entry->size - 1 : 0;
  RangeResult range = RANGE_NONE;
  Response *r;

  soup_message_headers_replace (resp, "ETag", entry->etag);
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  /* The URL is a secret: no proxy or tunnel should keep a copy. */
  soup_message_headers_replace (resp, "Cache-Control", "private, no-store");

  if (etag_listed (soup_message_headers_get_one (req, "If-None-Match"),
                   entry->etag, TRUE)) {
    soup_message_headers_set_encoding (resp, SOUP_ENCODING_NONE);
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
    return;
  }
  soup_message_headers_replace (resp, "Content-Type", entry->content_type);
  if (!head && (if_range == NULL || strcmp (if_range, entry->etag) == 0))
    range = parse_range (soup_message_headers_get_one (req, "Range"),
                         entry->size, &start, &end);

  if (range == RANGE_UNSATISFIABLE) {
    gchar *cr = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, entry->size);

    soup_message_headers_replace (resp, "Content-Range", cr);
    g_free (cr);
    respond_error (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
    return;
  }
  if (range == RANGE_OK) {
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
    soup_message_headers_set_content_range (resp, start, end, entry->size);
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  }
  soup_message_headers_set_content_length (resp,
                                           entry->size ? end - start + 1 : 0);
  if (head || entry->size == 0) {
    soup_message_body_complete (body);
    return;
  }

  /* Streamed: one chunk appended each time the previous one is written,
   * and not kept once written. */
  r = g_new0 (Response, 1);
  r->entry = entry_ref (entry);
  r->offset = start;
  r->end = end + 1;
  g_atomic_int_inc (&n_streaming);
  g_object_set_data_full (G_OBJECT (msg), "apixo-response", r, response_free);
  soup_message_body_set_accumulate (body, FALSE);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), r);
  response_next_chunk (msg, r);
}

/* ---- receivers (worker thread) ------------------------------------------- */

/* "/w/<token>" -> "<token>" (NULL if the path has not that shape). */
static gchar *
receiver_token (const gchar *path)
{
  const gchar *t;

  if (path == NULL || !g_str_has_prefix (path, RECEIVER_PREFIX))
    return NULL;
  t = path + strlen (RECEIVER_PREFIX);
  if (strlen (t) != TOKEN_CHARS)
    return NULL;
  return g_strdup (t);
}

static Receiver *
lookup_receiver (GstApixoMediaServer *server, const gchar *path)
{
  gchar *token = receiver_token (path);
  Receiver *receiver = NULL;

  if (token == NULL)
    return NULL;
  g_mutex_lock (&server->lock);
  receiver = g_hash_table_lookup (server->receivers, token);
  if (receiver != NULL) /* a delivery being reported keeps it */
    g_atomic_int_inc (&receiver->refcount);
  g_mutex_unlock (&server->lock);
  g_free (token);
  return receiver;
}

/* Before a receiver's body is read: only a bounded one is (libsoup reads
 * a chunked body whole, so it is refused: a delivery has a length). */
static void
early_request (SoupServer *soup, SoupServerMessage *msg, const char *path,
               GHashTable *query, gpointer user_data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (req);
  guint status = 0;

  if (!g_str_has_prefix (path, RECEIVER_PREFIX))
    return;
  if (encoding == SOUP_ENCODING_CHUNKED)
    status = SOUP_STATUS_LENGTH_REQUIRED;
  else if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length (req) > RECEIVE_MAX)
    status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  if (status == 0)
    return;
  /* the unread body must not be taken for the next request */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  respond_error (msg, status);
}

/* A POST on a receiver's path: 200 at once (the service retries what is
 * not answered 200 within 30 s), then the receiver is told. */
static void
handle_receiver (GstApixoMediaServer *server, SoupServerMessage *msg,
                 const char *path, const gchar *method)
{
  Receiver *receiver = lookup_receiver (server, path);

  debug_path (method, path, receiver ? "receiver" : "not found");
  if (receiver == NULL) {
    respond_error (msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  if (method != SOUP_METHOD_POST) {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "Allow", "POST");
    respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
  } else {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "Cache-Control",
        "no-store");
    respond_error (msg, SOUP_STATUS_OK);
    receiver->func (receiver->user_data);
  }
  receiver_unref (receiver);
}

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  GstApixoMediaServer *server = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *extension = NULL;
  gboolean head = method == SOUP_METHOD_HEAD;
  Entry *entry = NULL;
  gchar *token;

  if (g_str_has_prefix (path, RECEIVER_PREFIX)) {
    handle_receiver (server, msg, path, method);
    return;
  }
  if (method != SOUP_METHOD_GET && !head) {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
    respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    return;
  }
  token = token_from_path (path, &extension);
  if (token != NULL) {
    g_mutex_lock (&server->lock);
    entry = g_hash_table_lookup (server->entries, token);
    if (entry != NULL && strcmp (extension, entry->extension) == 0)
      entry_ref (entry);
    else
      entry = NULL;
    g_mutex_unlock (&server->lock);
    g_free (token);
  }
  debug_path (method, path, entry ? "published" : "not found");
  if (entry == NULL) {
    respond_error (msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  respond_entry (msg, entry, head);
  entry_unref (entry);
}

/* ---- connections (worker thread) ----------------------------------------- */

static void conn_arm (Conn *c, guint ms);
static void conn_gone (gpointer data, GObject *where_the_object_was);

static void
conn_free (Conn *c)
{
  if (c->socket != NULL)
    g_object_weak_unref (G_OBJECT (c->socket), conn_gone, c);
  if (c->timer != NULL)
    g_source_destroy (c->timer);
  g_clear_pointer (&c->timer, g_source_unref);
  g_free (c->remote);
  g_free (c);
  GST_LOG ("connection closed, %d open in the process",
           g_atomic_int_add (&n_connections, -1) - 1);
}

/* libsoup let go of the connection (closed by either side): its streams,
 * which hold the socket, are gone. */
static void
conn_gone (gpointer data, GObject *where_the_object_was)
{
  Conn *c = data;

  c->socket = NULL;
  g_hash_table_remove (c->server->conns, c->remote);
}

/* The limit, checked lazily: activity only notes the time, and the timer,
 * when it fires, moves itself to that time + the timeout. */
static gboolean
conn_timer_fired (gpointer data)
{
  Conn *c = data;
  gint64 quiet_ms = (g_get_monotonic_time () - c->last_activity) / 1000;

  g_clear_pointer (&c->timer, g_source_unref);
  if (quiet_ms < c->server->idle_timeout_ms) {
    conn_arm (c, c->server->idle_timeout_ms - (guint)quiet_ms);
    return G_SOURCE_REMOVE;
  }
  GST_DEBUG ("closing a connection %s for %u ms",
             c->busy ? "whose response is stalled" : "without a request",
             c->server->idle_timeout_ms);
  /* libsoup sees the end of the stream and closes its side. */
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
conn_arm (Conn *c, guint ms)
{
  c->timer = gst_apixo_worker_add_timeout (c->server->worker, MAX (ms, 1),
                                           conn_timer_fired, c, NULL);
}

/* A connection just accepted; FALSE when there are too many already. */
/* (libsoup 3.2 gives no socket for a message of a connection handed to
 * it as a stream: connections are known by their remote address.) */
static gboolean
conn_add (GstApixoMediaServer *server, GSocket *socket, GSocketAddress *remote)
{
  Conn *c;

  if (g_hash_table_size (server->conns) >= server->max_connections) {
    GST_DEBUG ("%u connections open already: closing a new one",
               server->max_connections);
    return FALSE;
  }
  c = g_new0 (Conn, 1);
  c->server = server;
  c->socket = socket;
  c->remote = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote));
  g_object_weak_ref (G_OBJECT (socket), conn_gone, c);
  c->last_activity = g_get_monotonic_time ();
  g_atomic_int_inc (&n_connections);
  g_hash_table_replace (server->conns, c->remote, c);
  conn_arm (c, server->idle_timeout_ms);
  return TRUE;
}

static Conn *
conn_of (GstApixoMediaServer *server, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  gchar *key;
  Conn *c;

  if (remote == NULL)
    return NULL;
  key = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote));
  c = g_hash_table_lookup (server->conns, key);
  g_free (key);
  return c;
}

/* Notes activity on @msg's connection: @busy, its response is under way
 * (bytes written, or complete headers read); else idle from now on. */
static Conn *
conn_mark (GstApixoMediaServer *server, SoupServerMessage *msg, gboolean busy)
{
  Conn *c = conn_of (server, msg);

  if (c != NULL) {
    c->busy = busy;
    c->last_activity = g_get_monotonic_time ();
  }
  return c;
}

static void
on_wrote_body_data (SoupServerMessage *msg, guint size, gpointer data)
{
  conn_mark (data, msg, TRUE);
}

/* Complete headers (and body) read: the response is under way. */
static void
on_request_read (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  if (conn_mark (data, msg, TRUE) != NULL)
    g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data),
                      data);
}

/* The response is over: idle until the next request's headers. */
static void
on_request_done (SoupServer *soup, SoupServerMessage *msg, gpointer data)
{
  conn_mark (data, msg, FALSE);
}

/* ---- start / stop (worker thread) ---------------------------------------- */

static void
server_set_phase (GstApixoMediaServer *server, Phase phase, GError *error)
{
  g_mutex_lock (&server->lock);
  server->phase = phase;
  server->start_error = error;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* A new client: handed to the SoupServer as a stream.  We accept
 * ourselves rather than soup_server_listen(): libsoup 3.2's listener leaks
 * a reference to every accepted GSocket (fixed in 3.4, commit b545d5f0),
 * which a long-running process serving many tasks would accumulate. */
static gboolean on_incoming (GSocket *listen_socket, GIOCondition condition,
                             gpointer data);

/* Worker.  Watches the listening socket for connections. */
static void
listen_watch (GstApixoMediaServer *server)
{
  server->listen_source =
      g_socket_create_source (server->listen_socket, G_IO_IN, NULL);
  g_source_set_callback (server->listen_source, G_SOURCE_FUNC (on_incoming),
                         server, NULL);
  g_source_attach (server->listen_source,
                   gst_apixo_worker_get_context (server->worker));
}

static gboolean
listen_resume (gpointer data)
{
  GstApixoMediaServer *server = data;

  g_clear_pointer (&server->resume_source, g_source_unref);
  listen_watch (server);
  return G_SOURCE_REMOVE;
}

/* Worker.  accept() failed for a reason that does not go away by itself
 * at once (no file descriptors left: EMFILE/ENFILE; no memory): the
 * pending connection keeps the socket readable, so watching it would spin
 * the shared worker.  Stop watching for a moment. */
static void
listen_pause (GstApixoMediaServer *server)
{
  g_source_destroy (server->listen_source);
  g_clear_pointer (&server->listen_source, g_source_unref);
  server->resume_source = gst_apixo_worker_add_timeout (
      server->worker, ACCEPT_PAUSE_MS, listen_resume, server, NULL);
}

static gboolean
on_incoming (GSocket *listen_socket, GIOCondition condition, gpointer data)
{
  GstApixoMediaServer *server = data;
  GSocketConnection *conn;
  GSocketAddress *local, *remote;
  GError *error = NULL;
  GSocket *socket = g_socket_accept (listen_socket, NULL, &error);
  gboolean served;

  if (socket == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (error);
      return G_SOURCE_CONTINUE;
    }
    GST_WARNING ("accept failed: %s; accepting again in %u ms", error->message,
                 ACCEPT_PAUSE_MS);
    g_error_free (error);
    listen_pause (server);
    return G_SOURCE_REMOVE;
  }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  conn = g_socket_connection_factory_create_connection (socket);
  local = g_socket_get_local_address (socket, NULL);
  remote = g_socket_get_remote_address (socket, NULL);
  /* (one too many: closed at once) */
  served = local != NULL && remote != NULL && conn_add (server, socket, remote);
  if (served && !soup_server_accept_iostream (server->soup, G_IO_STREAM (conn),
                                              local, remote, &error)) {
    GST_WARNING ("cannot serve a connection: %s", error->message);
    g_clear_error (&error);
    served = FALSE;
  }
  if (!served)
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_clear_object (&local);
  g_clear_object (&remote);
  g_object_unref (conn);
  g_object_unref (socket);
  return G_SOURCE_CONTINUE;
}

/* Binds and listens; the real port in server->port. */
static gboolean
server_listen (GstApixoMediaServer *server, GError **error)
{
  GInetAddress *inet = g_inet_address_new_from_string (server->address);
  GSocketAddress *addr = g_inet_socket_address_new (inet, server->port);
  GSocketAddress *local = NULL;
  GSocket *socket;
  gboolean ok;

  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  /* allow_reuse: a fixed port can be bound again at once after a stop
   * (TIME_WAIT); Linux still refuses a port another socket listens on. */
  ok = socket != NULL && g_socket_bind (socket, addr, TRUE, error) &&
       g_socket_listen (socket, error) &&
       (local = g_socket_get_local_address (socket, error)) != NULL;
  g_object_unref (addr);
  g_object_unref (inet);
  if (!ok) {
    g_clear_object (&socket);
    return FALSE;
  }
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  /* accept() must never wait on the worker (a wake-up without a
   * connection, or one already gone). */
  g_socket_set_blocking (socket, FALSE);
  server->listen_socket = socket;
  listen_watch (server);
  return TRUE;
}

static void
register_bound_key (GstApixoMediaServer *server)
{
  gchar *bound_key = g_strdup_printf ("%s:%u", server->address, server->port);

  g_mutex_lock (&servers_lock);
  server->bound_key = bound_key;
  /* A server released before it started (its stop is queued behind this
   * callback) stays out of the table: it is about to be freed. */
  if (server->refcount > 0 && !g_hash_table_contains (servers, bound_key))
    g_hash_table_insert (servers, g_strdup (bound_key), server);
  g_mutex_unlock (&servers_lock);
}

static void
unregister_key (GstApixoMediaServer *server, const gchar *key)
{
  if (key != NULL && g_hash_table_lookup (servers, key) == server)
    g_hash_table_remove (servers, key);
}

static gboolean
server_start_cb (gpointer data)
{
  GstApixoMediaServer *server = data;
  GError *error = NULL;

  server->soup = soup_server_new ("server-header", "gst-apixo", NULL);
  g_signal_connect (server->soup, "request-read", G_CALLBACK (on_request_read),
                    server);
  g_signal_connect (server->soup, "request-finished",
                    G_CALLBACK (on_request_done), server);
  g_signal_connect (server->soup, "request-aborted",
                    G_CALLBACK (on_request_done), server);
  soup_server_add_early_handler (server->soup, NULL, early_request, server,
                                 NULL);
  soup_server_add_handler (server->soup, NULL, handle_request, server, NULL);
  server_listen (server, &error);
  if (error != NULL) {
    GError *gst_error =
        g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                     "The media server cannot listen on %s:%u (server-address, "
                     "server-port): %s",
                     server->address, server->port, error->message);

    GST_WARNING ("%s", gst_error->message);
    g_clear_error (&error);
    g_clear_object (&server->soup);
    /* Later acquirers try again rather than inherit this failure. */
    g_mutex_lock (&servers_lock);
    unregister_key (server, server->key);
    g_mutex_unlock (&servers_lock);
    server_set_phase (server, PHASE_FAILED, gst_error);
    return G_SOURCE_REMOVE;
  }
  register_bound_key (server);
  GST_INFO ("media server listening on %s:%u", server->address, server->port);
  server_set_phase (server, PHASE_RUNNING, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
server_stop_cb (gpointer data)
{
  GstApixoMediaServer *server = data;

  if (server->soup != NULL) {
    if (server->listen_source != NULL)
      g_source_destroy (server->listen_source);
    g_clear_pointer (&server->listen_source, g_source_unref);
    if (server->resume_source != NULL)
      g_source_destroy (server->resume_source);
    g_clear_pointer (&server->resume_source, g_source_unref);
    g_socket_close (server->listen_socket, NULL);
    g_clear_object (&server->listen_socket);
    /* Closes every connection: responses under way end (their state is
     * freed with their message).  Their timers first. */
    g_hash_table_remove_all (server->conns);
    soup_server_disconnect (server->soup);
    g_clear_object (&server->soup);
    GST_INFO ("media server on %s:%u stopped", server->address, server->port);
  }
  g_mutex_lock (&server->lock);
  server->phase = PHASE_STOPPED;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  return G_SOURCE_REMOVE;
}

/* ---- acquire / release --------------------------------------------------- */

/* The normalized address ("127.0.0.1", "::1"), or NULL + error. */
static gchar *
normalize_address (const gchar *address, GError **error)
{
  GInetAddress *inet;
  gchar *normalized;

  if (address == NULL || *address == '\0')
    address = GST_APIXO_MEDIA_SERVER_DEFAULT_ADDRESS;
  if (g_ascii_strcasecmp (address, "localhost") == 0)
    address = "127.0.0.1";
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "server-address '%s' is not an IP address (allowed: an IPv4 "
                 "or IPv6 literal such as 127.0.0.1, ::1, 0.0.0.0, or "
                 "localhost)",
                 address);
    return NULL;
  }
  normalized = g_inet_address_to_string (inet);
  g_object_unref (inet);
  return normalized;
}

static void
server_free (GstApixoMediaServer *server)
{
  g_hash_table_unref (server->entries);
  g_hash_table_unref (server->conns);
  g_hash_table_unref (server->receivers);
  g_clear_error (&server->start_error);
  g_free (server->key);
  g_free (server->bound_key);
  g_free (server->address);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server);
}

static GstApixoMediaServer *
server_new (const gchar *key, const gchar *address, guint port)
{
  GstApixoMediaServer *server = g_new0 (GstApixoMediaServer, 1);

  server->refcount = 1;
  server->key = g_strdup (key);
  server->address = g_strdup (address);
  server->port = port;
  server->phase = PHASE_STARTING;
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)entry_unref);
  server->conns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)conn_free);
  server->idle_timeout_ms = limit_from_env (
      "APIXO_MEDIA_SERVER_IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT_MS);
  server->max_connections = limit_from_env (
      "APIXO_MEDIA_SERVER_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS);
  server->receivers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)receiver_unref);
  server->worker = gst_apixo_worker_acquire ();
  return server;
}

static void
wake_server (GCancellable *cancellable, gpointer data)
{
  GstApixoMediaServer *server = data;

  g_mutex_lock (&server->lock);
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* Waits until the server runs or failed; FALSE + error otherwise. */
static gboolean
wait_started (GstApixoMediaServer *server, GCancellable *cancellable,
              GError **error)
{
  gulong id = 0;
  gboolean ok;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (wake_server), server,
                                NULL);
  g_mutex_lock (&server->lock);
  while (server->phase == PHASE_STARTING &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&server->cond, &server->lock);
  ok = server->phase == PHASE_RUNNING;
  if (server->phase == PHASE_FAILED)
    g_propagate_error (error, g_error_copy (server->start_error));
  else if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "Cancelled while starting the media server");
  g_mutex_unlock (&server->lock);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, id);
  return ok;
}

GstApixoMediaServer *
gst_apixo_media_server_acquire (const gchar *address, guint port,
                                GCancellable *cancellable, GError **error)
{
  GstApixoMediaServer *server;
  gchar *normalized, *key;

  g_return_val_if_fail (port <= G_MAXUINT16, NULL);
  media_server_init_debug ();
  normalized = normalize_address (address, error);
  if (normalized == NULL)
    return NULL;
  key = g_strdup_printf ("%s:%u", normalized, port);

  g_mutex_lock (&servers_lock);
  if (servers == NULL)
    servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server = g_hash_table_lookup (servers, key);
  if (server != NULL) {
    server->refcount++;
  } else {
    server = server_new (key, normalized, port);
    g_hash_table_insert (servers, g_strdup (key), server);
    gst_apixo_worker_invoke (server->worker, server_start_cb, server, NULL);
  }
  g_mutex_unlock (&servers_lock);
  g_free (key);
  g_free (normalized);

  if (!wait_started (server, cancellable, error)) {
    gst_apixo_media_server_release (server);
    return NULL;
  }
  return server;
}

void
gst_apixo_media_server_release (GstApixoMediaServer *server)
{
  gboolean last;

  g_return_if_fail (server != NULL);

  g_mutex_lock (&servers_lock);
  last = --server->refcount == 0;
  if (last) {
    unregister_key (server, server->key);
    unregister_key (server, server->bound_key);
    /* Queued under servers_lock: a new server for the same address queues
     * its start after this stop, so it finds the port free.  The stop
     * runs after this server's start callback (idle sources of one
     * priority run in order): there is always something definite to
     * stop. */
    if (!gst_apixo_worker_is_current (server->worker))
      gst_apixo_worker_invoke (server->worker, server_stop_cb, server, NULL);
  }
  g_mutex_unlock (&servers_lock);
  if (!last)
    return;

  if (gst_apixo_worker_is_current (server->worker)) {
    server_stop_cb (server);
  } else {
    g_mutex_lock (&server->lock);
    while (server->phase != PHASE_STOPPED)
      g_cond_wait (&server->cond, &server->lock);
    g_mutex_unlock (&server->lock);
  }
  gst_apixo_worker_release (server->worker);
  server_free (server);
}

const gchar *
gst_apixo_media_server_get_address (GstApixoMediaServer *server)
{
  return server->address;
}

guint
gst_apixo_media_server_get_port (GstApixoMediaServer *server)
{
  return server->port;
}

gchar *
gst_apixo_media_server_get_local_url (GstApixoMediaServer *server)
{
  const gchar *host = server->address;

  /* A wildcard bind is reached through loopback from this host. */
  if (strcmp (host, "0.0.0.0") == 0)
    host = "127.0.0.1";
  else if (strcmp (host, "::") == 0)
    host = "::1";
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", host, server->port);
  return g_strdup_printf ("http://%s:%u", host, server->port);
}

/* ---- publish / withdraw -------------------------------------------------- */

static Entry *
entry_open (const gchar *filename, const gchar *content_type, GError **error)
{
  struct stat st;
  Entry *entry;
  int fd = open (filename, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    int err = fd < 0 ? errno : EINVAL;

    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "Cannot publish %s: %s", filename,
                 fd >= 0 && err == EINVAL ? "not a regular file"
                                          : g_strerror (err));
    if (fd >= 0)
      close (fd);
    return NULL;
  }
  entry = g_new0 (Entry, 1);
  entry->refcount = 1;
  entry->fd = fd;
  entry->size = st.st_size;
  entry->content_type =
      g_strdup (content_type ? content_type : "application/octet-stream");
  entry->extension = gst_apixo_media_server_extension (entry->content_type);
  entry->etag = g_strdup_printf (
      "\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-%lx\"",
      (guint64)st.st_size, (guint64)st.st_mtim.tv_sec,
      (unsigned long)st.st_mtim.tv_nsec);
  return entry;
}

gchar *
gst_apixo_media_server_publish (GstApixoMediaServer *server,
                                const gchar *filename,
                                const gchar *content_type, GError **error)
{
  Entry *entry;
  gchar *token, *path;

  g_return_val_if_fail (server != NULL && filename != NULL, NULL);

  entry = entry_open (filename, content_type, error);
  if (entry == NULL)
    return NULL;
  token = new_token (error);
  if (token == NULL) {
    entry_unref (entry);
    return NULL;
  }
  path = g_strconcat (PATH_PREFIX, token, ".", entry->extension, NULL);
  GST_INFO ("publishing %" G_GUINT64_FORMAT " bytes of %s on %s:%u",
            entry->size, entry->content_type, server->address, server->port);
  debug_path ("published", path, filename);

  g_mutex_lock (&server->lock);
  g_hash_table_insert (server->entries, token, entry);
  g_mutex_unlock (&server->lock);
  return path;
}

gboolean
gst_apixo_media_server_withdraw (GstApixoMediaServer *server, const gchar *path)
{
  const gchar *extension;
  gchar *token;
  gboolean removed = FALSE;

  g_return_val_if_fail (server != NULL, FALSE);

  token = token_from_path (path, &extension);
  if (token != NULL) {
    g_mutex_lock (&server->lock);
    removed = g_hash_table_remove (server->entries, token);
    g_mutex_unlock (&server->lock);
    g_free (token);
  }
  debug_path ("withdrew", path, removed ? "done" : "was not published");
  if (removed)
    GST_INFO ("withdrew a published input from %s:%u", server->address,
              server->port);
  return removed;
}

gchar *
gst_apixo_media_server_add_receiver (GstApixoMediaServer *server,
                                     GstApixoMediaServerReceiveFunc func,
                                     gpointer user_data, GDestroyNotify notify,
                                     GError **error)
{
  Receiver *receiver;
  gchar *token, *path;

  g_return_val_if_fail (server != NULL && func != NULL, NULL);

  token = new_token (error);
  if (token == NULL)
    return NULL;
  receiver = g_new0 (Receiver, 1);
  receiver->refcount = 1;
  receiver->func = func;
  receiver->user_data = user_data;
  receiver->notify = notify;
  path = g_strconcat (RECEIVER_PREFIX, token, NULL);
  GST_INFO ("receiving deliveries on %s:%u", server->address, server->port);
  debug_path ("receiver", path, "added");
  g_mutex_lock (&server->lock);
  g_hash_table_insert (server->receivers, token, receiver);
  g_mutex_unlock (&server->lock);
  return path;
}

gboolean
gst_apixo_media_server_remove_receiver (GstApixoMediaServer *server,
                                        const gchar *path)
{
  gchar *token = receiver_token (path);
  gpointer key = NULL, receiver = NULL;

  g_return_val_if_fail (server != NULL, FALSE);

  if (token != NULL) {
    /* unref'd outside the lock: its notify may do anything */
    g_mutex_lock (&server->lock);
    g_hash_table_steal_extended (server->receivers, token, &key, &receiver);
    g_mutex_unlock (&server->lock);
    g_free (key);
    g_free (token);
  }
  debug_path ("receiver", path, receiver ? "removed" : "was not registered");
  if (receiver == NULL)
    return FALSE;
  receiver_unref (receiver);
  return TRUE;
}

guint
gst_apixo_media_server_count_published (GstApixoMediaServer *server)
{
  guint n;

  g_mutex_lock (&server->lock);
  n = g_hash_table_size (server->entries);
  g_mutex_unlock (&server->lock);
  return n;
}

guint
gst_apixo_media_server_count_connections (void)
{
  return (guint)g_atomic_int_get (&n_connections);
}

guint
gst_apixo_media_server_count_streaming (void)
{
  return g_atomic_int_get (&n_streaming);
}
