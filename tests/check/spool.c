/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * GstApixoSpool against a real HTTP server on loopback: a SoupServer running
 * in its own thread and GMainContext (so the test thread can block in
 * gst_apixo_spool_read()), serving a generated file with Content-Length,
 * ETag and Range, and able to hold bodies at a gate the test opens, drop a
 * connection mid-body, answer errors, ignore Range and change the ETag.
 *
 * Synchronisation is by condition variables on server state and spool
 * callbacks, never by sleeping.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gstapixospool.h"
#include "testdir.h"

#define SERVER_CHUNK (16 * 1024)
#define TEST_USER_AGENT "gst-apixo-test/1.0"
#define TEST_ETAG "\"etag-one\""
#define TEST_SECRET "Bearer SECRET-API-KEY"

/* ---- the test server ---------------------------------------------------- */

typedef struct {
  gchar *range;
  gchar *if_range;
  gchar *user_agent;
  gboolean authorization;
  guint status;
} ServerRequest;

typedef struct {
  /* set before the spool starts */
  const gchar *etag_later; /* ETag from the second request on */
  gboolean chunked;        /* no Content-Length on 200 answers */
  guint fail_count;        /* the first N requests answer fail_status */
  guint fail_status;
  const gchar *retry_after;
  guint64 drop_first_at; /* first body: connection dropped there (0: no) */
  gboolean ignore_range;
  guint64 announce_length;    /* Content-Length sent instead of the real one */
  gboolean no_validators;     /* no ETag (nor Last-Modified) */
  const gchar *content_range; /* sent instead of the real one on 206 */
  /* changed by the test at any time (server_set_gate) */
  guint64 gate; /* 200 bodies stop at this offset */
} ServerConfig;

typedef struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  gchar *uri;
  GBytes *data;
  gboolean ready;

  /* lock */
  ServerConfig cfg;
  GPtrArray *requests; /* ServerRequest */
  guint gate_hits;     /* times a body stopped at the gate */
  guint drops;

  /* server thread only */
  GList *bodies;
  GHashTable *sockets; /* accepted connections (no reference) */
} TestServer;

typedef struct {
  TestServer *ts;
  SoupServerMessage *msg;
  guint64 pos, end;
  guint64 drop_at;
  gboolean gated;
  gboolean waiting;
  gboolean dropped;
} ServerBody;

static TestServer *ts;
static GstApixoWorker *worker;

static void
server_request_free (ServerRequest *r)
{
  g_free (r->range);
  g_free (r->if_range);
  g_free (r->user_agent);
  g_free (r);
}

static void
server_body_free (ServerBody *b)
{
  g_signal_handlers_disconnect_by_data (b->msg, b);
  g_object_unref (b->msg);
  g_free (b);
}

/* Server thread.  Appends the next chunk the configuration allows; returns
 * TRUE if it did. */
static gboolean
server_feed (ServerBody *b)
{
  SoupMessageBody *body = soup_server_message_get_response_body (b->msg);
  const guint8 *data = g_bytes_get_data (ts->data, NULL);
  guint64 limit = b->end;
  gboolean appended = FALSE;

  g_mutex_lock (&ts->lock);
  if (b->gated)
    limit = MIN (limit, ts->cfg.gate);
  if (b->drop_at > 0)
    limit = MIN (limit, b->drop_at);
  if (b->pos < limit) {
    gsize n = MIN (SERVER_CHUNK, limit - b->pos);

    soup_message_body_append (body, SOUP_MEMORY_COPY, data + b->pos, n);
    b->pos += n;
    b->waiting = FALSE;
    appended = TRUE;
    if (b->pos == b->end)
      soup_message_body_complete (body);
  } else if (b->drop_at > 0 && b->pos >= b->drop_at) {
    if (!b->dropped) {
      b->dropped = TRUE;
      ts->drops++;
      g_socket_shutdown (soup_server_message_get_socket (b->msg), TRUE, TRUE,
                         NULL);
    }
  } else if (b->pos < b->end && !b->waiting) {
    b->waiting = TRUE;
    ts->gate_hits++;
  }
  g_cond_broadcast (&ts->cond);
  g_mutex_unlock (&ts->lock);
  return appended;
}

static void
server_wrote_chunk (SoupServerMessage *msg, ServerBody *b)
{
  server_feed (b);
}

static void
server_finished (SoupServerMessage *msg, ServerBody *b)
{
  ts->bodies = g_list_remove (ts->bodies, b);
  server_body_free (b);
}

static void
server_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  ServerRequest *r = g_new0 (ServerRequest, 1);
  guint64 size = g_bytes_get_size (ts->data), start = 0, end = size;
  guint status = SOUP_STATUS_OK;
  const gchar *etag = TEST_ETAG;
  ServerBody *b;
  guint index;

  r->range = g_strdup (soup_message_headers_get_one (req, "Range"));
  r->if_range = g_strdup (soup_message_headers_get_one (req, "If-Range"));
  r->user_agent = g_strdup (soup_message_headers_get_one (req, "User-Agent"));
  r->authorization =
      soup_message_headers_get_one (req, "Authorization") != NULL;

  g_mutex_lock (&ts->lock);
  index = ts->requests->len;
  g_ptr_array_add (ts->requests, r);
  if (index > 0 && ts->cfg.etag_later != NULL)
    etag = ts->cfg.etag_later;

  if (index < ts->cfg.fail_count) {
    r->status = ts->cfg.fail_status;
    soup_server_message_set_status (msg, r->status, NULL);
    if (ts->cfg.retry_after != NULL)
      soup_message_headers_append (resp, "Retry-After", ts->cfg.retry_after);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                      "no", 2);
    g_cond_broadcast (&ts->cond);
    g_mutex_unlock (&ts->lock);
    return;
  }

  if (r->range != NULL && !ts->cfg.ignore_range &&
      (r->if_range == NULL || strcmp (r->if_range, etag) == 0)) {
    SoupRange *ranges;
    int n;

    fail_unless (soup_message_headers_get_ranges (req, size, &ranges, &n));
    fail_unless_equals_int (n, 1);
    start = ranges[0].start;
    end = ranges[0].end + 1;
    soup_message_headers_free_ranges (req, ranges);
    status = SOUP_STATUS_PARTIAL_CONTENT;
    soup_message_headers_set_content_range (resp, start, end - 1, size);
    if (ts->cfg.content_range != NULL)
      soup_message_headers_replace (resp, "Content-Range",
                                    ts->cfg.content_range);
  }
  r->status = status;
  soup_server_message_set_status (msg, status, NULL);
  if (!ts->cfg.no_validators)
    soup_message_headers_replace (resp, "ETag", etag);
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_replace (resp, "Content-Type", "video/mp4");
  if (ts->cfg.chunked && status == SOUP_STATUS_OK)
    soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (
        resp, ts->cfg.announce_length ? ts->cfg.announce_length : end - start);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg),
                                    FALSE);

  b = g_new0 (ServerBody, 1);
  b->ts = ts;
  b->msg = g_object_ref (msg);
  b->pos = start;
  b->end = end;
  b->gated = status == SOUP_STATUS_OK;
  b->drop_at = index == 0 ? ts->cfg.drop_first_at : 0;
  g_cond_broadcast (&ts->cond);
  g_mutex_unlock (&ts->lock);

  ts->bodies = g_list_prepend (ts->bodies, b);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (server_wrote_chunk), b);
  g_signal_connect (msg, "finished", G_CALLBACK (server_finished), b);
  server_feed (b);
}

static void
server_request_started (SoupServer *server, SoupServerMessage *msg,
                        gpointer user_data)
{
  g_hash_table_add (ts->sockets, soup_server_message_get_socket (msg));
}

/* libsoup before 3.4 leaks a reference to every accepted socket (upstream
 * commit b545d5f0 "soup-listener: Plug a leak"): drop it once the server is
 * gone, so that valgrind reports what the code under test does. */
static void
server_unref_leaked_sockets (void)
{
  GHashTableIter iter;
  gpointer sock;

  if (!soup_check_version (3, 4, 0)) {
    g_hash_table_iter_init (&iter, ts->sockets);
    while (g_hash_table_iter_next (&iter, &sock, NULL))
      g_object_unref (sock);
  }
  g_hash_table_unref (ts->sockets);
}

static gpointer
server_thread (gpointer data)
{
  GError *error = NULL;
  GInetAddress *loopback;
  GSocketAddress *addr;
  GSocket *sock;

  g_main_context_push_thread_default (ts->context);
  ts->sockets = g_hash_table_new (NULL, NULL);
  ts->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (ts->server, NULL, server_handler, NULL, NULL);
  g_signal_connect (ts->server, "request-started",
                    G_CALLBACK (server_request_started), NULL);
  /* Our own listening socket: soup_server_listen_local() and
   * soup_server_get_uris() leak its address in libsoup 3.2. */
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (loopback, 0);
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  fail_unless (sock != NULL);
  fail_unless (g_socket_bind (sock, addr, TRUE, &error));
  fail_unless (g_socket_listen (sock, &error));
  fail_unless (soup_server_listen_socket (ts->server, sock, 0, &error), "%s",
               error ? error->message : "");
  g_object_unref (addr);
  g_object_unref (loopback);
  addr = g_socket_get_local_address (sock, &error);
  fail_unless (addr != NULL);
  g_object_unref (sock);

  g_mutex_lock (&ts->lock);
  /* A query string like the signed URLs of result hosts. */
  ts->uri = g_strdup_printf (
      "http://127.0.0.1:%u/results/video.mp4?token=s3",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
  ts->ready = TRUE;
  g_cond_broadcast (&ts->cond);
  g_mutex_unlock (&ts->lock);
  g_object_unref (addr);

  g_main_loop_run (ts->loop);

  soup_server_disconnect (ts->server);
  while (g_main_context_iteration (ts->context, FALSE))
    ;
  g_clear_object (&ts->server);
  while (g_main_context_iteration (ts->context, FALSE))
    ;
  g_list_free_full (ts->bodies, (GDestroyNotify)server_body_free);
  ts->bodies = NULL;
  while (g_main_context_iteration (ts->context, FALSE))
    ;
  server_unref_leaked_sockets ();
  g_main_context_pop_thread_default (ts->context);
  return NULL;
}

static GBytes *
make_data (gsize size)
{
  guint8 *data = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (size);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  return g_bytes_new_take (data, size);
}

static void
server_start (gsize size, const ServerConfig *cfg)
{
  ts = g_new0 (TestServer, 1);
  g_mutex_init (&ts->lock);
  g_cond_init (&ts->cond);
  ts->cfg = *cfg;
  if (ts->cfg.gate == 0)
    ts->cfg.gate = G_MAXUINT64;
  ts->data = make_data (size);
  ts->requests =
      g_ptr_array_new_with_free_func ((GDestroyNotify)server_request_free);
  ts->context = g_main_context_new ();
  ts->loop = g_main_loop_new (ts->context, FALSE);
  ts->thread = g_thread_new ("test-server", server_thread, NULL);

  g_mutex_lock (&ts->lock);
  while (!ts->ready)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
}

static gboolean
server_quit (gpointer data)
{
  g_main_loop_quit (ts->loop);
  return G_SOURCE_REMOVE;
}

static void
server_stop (void)
{
  guint i;

  if (ts == NULL)
    return;
  /* Whatever else happened: the API key never reached the result host. */
  for (i = 0; i < ts->requests->len; i++) {
    ServerRequest *r = g_ptr_array_index (ts->requests, i);

    fail_if (r->authorization, "request %u carried Authorization", i);
    fail_unless_equals_string (r->user_agent, TEST_USER_AGENT);
  }
  g_main_context_invoke (ts->context, server_quit, NULL);
  g_thread_join (ts->thread);
  g_main_loop_unref (ts->loop);
  g_main_context_unref (ts->context);
  g_ptr_array_unref (ts->requests);
  g_bytes_unref (ts->data);
  g_free (ts->uri);
  g_mutex_clear (&ts->lock);
  g_cond_clear (&ts->cond);
  g_clear_pointer (&ts, g_free);
}

static gboolean
server_pump (gpointer data)
{
  GList *l;

  for (l = ts->bodies; l != NULL; l = l->next) {
    ServerBody *b = l->data;

    if (b->waiting && server_feed (b))
      soup_server_message_unpause (b->msg);
  }
  return G_SOURCE_REMOVE;
}

/* Any thread.  Lets 200 bodies run up to @gate (G_MAXUINT64: open). */
static void
server_set_gate (guint64 gate)
{
  g_mutex_lock (&ts->lock);
  ts->cfg.gate = gate;
  g_mutex_unlock (&ts->lock);
  g_main_context_invoke (ts->context, server_pump, NULL);
}

static void
server_wait_gate_hits (guint n)
{
  g_mutex_lock (&ts->lock);
  while (ts->gate_hits < n)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
}

static void
server_wait_requests (guint n)
{
  g_mutex_lock (&ts->lock);
  while (ts->requests->len < n)
    g_cond_wait (&ts->cond, &ts->lock);
  g_mutex_unlock (&ts->lock);
}

static guint
server_n_requests (void)
{
  guint n;

  g_mutex_lock (&ts->lock);
  n = ts->requests->len;
  g_mutex_unlock (&ts->lock);
  return n;
}

/* Copy of request @i (free with server_request_free). */
static ServerRequest *
server_get_request (guint i)
{
  ServerRequest *r = g_new0 (ServerRequest, 1), *src;

  g_mutex_lock (&ts->lock);
  fail_unless (i < ts->requests->len);
  src = g_ptr_array_index (ts->requests, i);
  r->range = g_strdup (src->range);
  r->if_range = g_strdup (src->if_range);
  r->user_agent = g_strdup (src->user_agent);
  r->authorization = src->authorization;
  r->status = src->status;
  g_mutex_unlock (&ts->lock);
  return r;
}

/* ---- spool side --------------------------------------------------------- */

typedef struct {
  GMutex lock;
  GCond cond;
  guint n_progress;
  guint n_finished;
  gboolean off_worker; /* a callback ran on another thread */
  gint64 total;
  guint64 received;
  GError *error;
} Events;

static Events ev;

static void
on_progress (GstApixoSpool *spool, guint64 received, gint64 total,
             gpointer user_data)
{
  g_mutex_lock (&ev.lock);
  ev.n_progress++;
  ev.received = received;
  ev.total = total;
  if (!gst_apixo_worker_is_current (worker))
    ev.off_worker = TRUE;
  g_mutex_unlock (&ev.lock);
}

static void
on_finished (GstApixoSpool *spool, const GError *error, gpointer user_data)
{
  g_mutex_lock (&ev.lock);
  ev.n_finished++;
  if (error != NULL && ev.error == NULL)
    ev.error = g_error_copy (error);
  if (!gst_apixo_worker_is_current (worker))
    ev.off_worker = TRUE;
  g_cond_broadcast (&ev.cond);
  g_mutex_unlock (&ev.lock);
}

static const GstApixoSpoolCallbacks callbacks = { on_progress, on_finished };

static void
wait_finished (void)
{
  g_mutex_lock (&ev.lock);
  while (ev.n_finished == 0)
    g_cond_wait (&ev.cond, &ev.lock);
  g_mutex_unlock (&ev.lock);
}

static void
test_http_settings (GstApixoHttpSettings *http)
{
  gst_apixo_http_settings_init (http);
  g_free (http->user_agent);
  http->user_agent = g_strdup (TEST_USER_AGENT);
  /* Fast retries; no test relies on the stall timer but the one about it. */
  http->retry_backoff_factor = 0.01;
  http->retry_backoff_max = 0.05;
  http->timeout = 60;
  /* API-only headers: must never reach the result host. */
  http->extra_headers = gst_structure_new ("headers", "Authorization",
                                           G_TYPE_STRING, TEST_SECRET, NULL);
}

/* A run of @http's settings, spooling into @dir, keeping at @keep. */
static GstApixoRunConfig *
run_config_new (const GstApixoHttpSettings *http, const gchar *dir,
                const gchar *keep)
{
  GstApixoSettings s;
  GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();

  gst_apixo_settings_init (&s);
  gst_apixo_http_settings_clear (&s.http);
  gst_apixo_http_settings_copy (&s.http, http);
  s.spool_directory = g_strdup (dir);
  s.save_location = g_strdup (keep);
  s.api_key = g_strdup ("never-sent-to-result-hosts");
  /* The service of these runs is on loopback, like their result hosts:
   * results on loopback may be fetched (gstapixonetpolicy). */
  g_free (s.base_url);
  s.base_url = g_strdup ("http://127.0.0.1/api/v1");
  spec->model = g_strdup ("veo-3-1");
  return gst_apixo_run_config_new (&s, spec, NULL);
}

static GstApixoSpool *
spool_new_full (const GstApixoHttpSettings *http, const gchar *dir,
                const gchar *keep, const GstApixoSpoolCallbacks *cbs,
                GError **error)
{
  GstApixoRunConfig *config = run_config_new (http, dir, keep);
  GstApixoSpool *spool;

  spool = gst_apixo_spool_new (worker, config, cbs, NULL, error);
  gst_apixo_run_config_unref (config);
  return spool;
}

static GstApixoSpool *
spool_new_with (const GstApixoHttpSettings *http, const gchar *keep)
{
  GError *error = NULL;
  GstApixoSpool *spool;

  spool = spool_new_full (http, NULL, keep, &callbacks, &error);
  fail_unless (spool != NULL, "%s", error ? error->message : "");
  return spool;
}

/* A spool with the test's HTTP settings, kept at @keep (NULL: a temp
 * spool). */
static GstApixoSpool *
spool_new_keeping (const gchar *keep)
{
  GstApixoHttpSettings http;
  GstApixoSpool *spool;

  test_http_settings (&http);
  spool = spool_new_with (&http, keep);
  gst_apixo_http_settings_clear (&http);
  return spool;
}

static GstApixoSpool *
spool_new_default (void)
{
  return spool_new_keeping (NULL);
}

static void
check_bytes (GstBuffer *buf, guint64 offset, gsize size)
{
  const guint8 *data = g_bytes_get_data (ts->data, NULL);
  GstMapInfo map;

  fail_unless (buf != NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, size);
  fail_unless (memcmp (map.data, data + offset, size) == 0,
               "wrong bytes at %" G_GUINT64_FORMAT, offset);
  gst_buffer_unmap (buf, &map);
}

static void
read_expect (GstApixoSpool *spool, guint64 offset, guint size, gsize expected)
{
  GstBuffer *buf = NULL;
  GError *error = NULL;
  GstFlowReturn ret;

  ret = gst_apixo_spool_read (spool, offset, size, NULL, &buf, &error);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  check_bytes (buf, offset, expected);
  gst_buffer_unref (buf);
}

/* Reads the whole file in uneven blocks until EOS; returns the last flow
 * (EOS on success) and checks every byte. */
static GstFlowReturn
read_to_end (GstApixoSpool *spool, GError **error)
{
  guint64 offset = 0, size = g_bytes_get_size (ts->data);
  GstFlowReturn ret;

  for (;;) {
    GstBuffer *buf = NULL;
    guint want = 65536 + 1000;

    ret = gst_apixo_spool_read (spool, offset, want, NULL, &buf, error);
    if (ret != GST_FLOW_OK)
      break;
    check_bytes (buf, offset, MIN (want, size - offset));
    offset += gst_buffer_get_size (buf);
    gst_buffer_unref (buf);
  }
  if (ret == GST_FLOW_EOS)
    fail_unless_equals_uint64 (offset, size);
  return ret;
}

/* read_to_end() of a download that must succeed: EOS, then the spool
 * finishes without an error. */
static void
read_all_then_finished (GstApixoSpool *spool)
{
  fail_unless_equals_int (read_to_end (spool, NULL), GST_FLOW_EOS);
  wait_finished ();
  fail_unless (ev.error == NULL);
}

/* read_to_end() of a download that must fail: the read's error, a
 * GST_RESOURCE_ERROR @code, is returned for more checks. */
static GError *
read_to_end_error (GstApixoSpool *spool, gint code)
{
  GError *error = NULL;

  fail_unless_equals_int (read_to_end (spool, &error), GST_FLOW_ERROR);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR, code));
  return error;
}

static void
setup (void)
{
  memset (&ev, 0, sizeof (ev));
  g_mutex_init (&ev.lock);
  g_cond_init (&ev.cond);
  worker = gst_apixo_worker_acquire ();
}

static void
teardown (void)
{
  server_stop ();
  gst_apixo_worker_release (worker);
  worker = NULL;
  g_clear_error (&ev.error);
  g_mutex_clear (&ev.lock);
  g_cond_clear (&ev.cond);
}

static void
start_server (gsize size, const ServerConfig *cfg)
{
  static const ServerConfig none = { 0 };

  server_start (size, cfg ? cfg : &none);
}

/* A server of @size bytes set up by @cfg, and a default spool already
 * downloading from it. */
static GstApixoSpool *
spool_started (gsize size, const ServerConfig *cfg)
{
  GstApixoSpool *spool;

  start_server (size, cfg);
  spool = spool_new_default ();
  gst_apixo_spool_start (spool, ts->uri);
  return spool;
}

typedef struct {
  GstApixoSpool *spool;
  GCancellable *cancellable;
  guint64 offset;
  guint size;
  GstFlowReturn ret;
  GstBuffer *buf;
} ReaderData;

static gpointer
reader_thread (gpointer data)
{
  ReaderData *rd = data;

  rd->ret =
      gst_apixo_spool_read (rd->spool, rd->offset, rd->size ? rd->size : 4096,
                            rd->cancellable, &rd->buf, NULL);
  return NULL;
}

/* ---- tests -------------------------------------------------------------- */

GST_START_TEST (test_sequential_read)
{
  gsize size = 3 * 1024 * 1024 + 321;
  GstApixoSpool *spool;
  GstBuffer *buf = NULL;
  GError *error = NULL;
  ServerRequest *r;
  guint64 total = 0;

  start_server (size, NULL);
  spool = spool_new_default ();
  fail_unless (gst_apixo_spool_get_path (spool) == NULL); /* no name */
  gst_apixo_spool_start (spool, ts->uri);
  gst_apixo_spool_start (spool, ts->uri); /* once */

  fail_unless_equals_int (read_to_end (spool, NULL), GST_FLOW_EOS);
  fail_unless (gst_apixo_spool_get_size (spool, &total));
  fail_unless_equals_uint64 (total, size);

  /* short read at the end, EOS past it */
  read_expect (spool, size - 10, 100, 10);
  fail_unless_equals_int (
      gst_apixo_spool_read (spool, size, 10, NULL, &buf, &error), GST_FLOW_EOS);
  fail_unless (buf == NULL);

  wait_finished ();
  fail_unless (ev.error == NULL);
  fail_unless (gst_apixo_spool_is_complete (spool));
  fail_unless_equals_uint64 (ev.received, size);
  fail_unless_equals_int64 (ev.total, size);
  /* per MiB, not per chunk */
  fail_unless (ev.n_progress >= 2 && ev.n_progress <= 6, "%u", ev.n_progress);
  fail_if (ev.off_worker);
  fail_unless_equals_int (ev.n_finished, 1);

  fail_unless_equals_int (server_n_requests (), 1);
  r = server_get_request (0);
  fail_unless (r->range == NULL);
  server_request_free (r);

  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_first_read_before_complete)
{
  ServerConfig cfg = { 0 };
  gsize size = 4 * 1024 * 1024;
  GstApixoSpool *spool;

  cfg.gate = 64 * 1024;
  spool = spool_started (size, &cfg);

  /* served while the server holds everything past 64 KiB */
  read_expect (spool, 0, 4096, 4096);
  read_expect (spool, 4096, 60 * 1024, 60 * 1024);
  fail_if (gst_apixo_spool_is_complete (spool));

  server_set_gate (G_MAXUINT64);
  read_all_then_finished (spool);
  fail_unless_equals_int (server_n_requests (), 1);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_far_ahead_range)
{
  ServerConfig cfg = { 0 };
  gsize size = 4 * 1024 * 1024 + 321;
  guint64 off = size - 300000;
  GstApixoSpool *spool;
  GstBuffer *buf = NULL;
  ServerRequest *r;
  gchar *expected;

  cfg.gate = 128 * 1024;
  spool = spool_started (size, &cfg);

  /* the moov at the end, while the sequential download is held */
  read_expect (spool, off, 100000, 100000);
  fail_unless_equals_int (server_n_requests (), 2);
  r = server_get_request (1);
  expected = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT,
                              off, size - 1);
  fail_unless_equals_string (r->range, expected);
  fail_unless_equals_string (r->if_range, TEST_ETAG);
  fail_unless_equals_int (r->status, SOUP_STATUS_PARTIAL_CONTENT);
  g_free (expected);
  server_request_free (r);

  /* same region: no second request; EOS at the end */
  read_expect (spool, off + 200000, 100000, 100000);
  read_expect (spool, size - 5, 4096, 5);
  fail_unless_equals_int (
      gst_apixo_spool_read (spool, size, 4096, NULL, &buf, NULL), GST_FLOW_EOS);
  fail_unless_equals_int (server_n_requests (), 2);
  fail_if (gst_apixo_spool_is_complete (spool));

  /* the sequential download completes, over the ranged bytes */
  server_set_gate (G_MAXUINT64);
  wait_finished ();
  fail_unless (ev.error == NULL);
  fail_unless_equals_int (read_to_end (spool, NULL), GST_FLOW_EOS);
  fail_unless_equals_int (server_n_requests (), 2);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

/* When a read far ahead gets a range of its own: 2 MiB ahead at least, and
 * further where the download would bring the bytes sooner than a range's
 * answer (its rate measured over at least that answer's time).  The
 * requests themselves: test_far_ahead_range and the readers' tests. */
GST_START_TEST (test_far_ahead_rule)
{
  const guint64 MIB = 1024 * 1024;

  /* nothing measured yet */
  fail_unless_equals_uint64 (gst_apixo_spool_far_ahead (0, 1000, 500), 2 * MIB);
  fail_unless_equals_uint64 (gst_apixo_spool_far_ahead (MIB, 0, 500), 2 * MIB);
  fail_unless_equals_uint64 (gst_apixo_spool_far_ahead (MIB, 1000, 0), 2 * MIB);
  /* a burst at the start, shorter than the answer took: not a rate */
  fail_unless_equals_uint64 (gst_apixo_spool_far_ahead (3 * MIB, 100, 5000),
                             2 * MIB);
  /* a slow link: 12.5 MB/s, answers of 100 ms: 1.25 MB, so 2 MiB */
  fail_unless_equals_uint64 (
      gst_apixo_spool_far_ahead (12500000, G_USEC_PER_SEC, 100000), 2 * MIB);
  /* a fast one: 1.3 GB/s, answers of 5 ms: 6.5 MB */
  fail_unless_equals_uint64 (
      gst_apixo_spool_far_ahead (130000000, 100000, 5000), 6500000);
  /* a stalled download's rate falls with the time since its answer */
  fail_unless_equals_uint64 (
      gst_apixo_spool_far_ahead (130000000, 10 * G_USEC_PER_SEC, 5000),
      2 * MIB);
  /* at most what it brought: no overflow */
  fail_unless_equals_uint64 (
      gst_apixo_spool_far_ahead (G_MAXUINT64 / 2, G_MAXINT64, G_MAXINT64),
      G_MAXUINT64 / 2);
}

GST_END_TEST;

GST_START_TEST (test_far_ahead_range_ignored)
{
  ServerConfig cfg = { 0 };
  gsize size = 4 * 1024 * 1024;
  ReaderData rd = { 0 };
  GThread *thread;
  ServerRequest *r;

  /* the far-ahead request gets a 200: dropped, and never asked again; the
   * read is served by the sequential download */
  cfg.gate = 128 * 1024;
  cfg.ignore_range = TRUE;
  rd.spool = spool_started (size, &cfg);
  rd.offset = size - 300000;
  rd.size = 100000;
  thread = g_thread_new ("reader", reader_thread, &rd);
  server_wait_requests (2);
  r = server_get_request (1);
  fail_unless (r->range != NULL);
  fail_unless_equals_int (r->status, SOUP_STATUS_OK);
  server_request_free (r);

  server_set_gate (G_MAXUINT64);
  g_thread_join (thread);
  fail_unless_equals_int (rd.ret, GST_FLOW_OK);
  check_bytes (rd.buf, rd.offset, rd.size);
  gst_buffer_unref (rd.buf);
  wait_finished ();
  fail_unless (ev.error == NULL);
  fail_unless_equals_int (read_to_end (rd.spool, NULL), GST_FLOW_EOS);
  fail_unless_equals_int (server_n_requests (), 2);
  gst_apixo_spool_free (rd.spool);
}

GST_END_TEST;

GST_START_TEST (test_resume_after_drop)
{
  ServerConfig cfg = { 0 };
  gsize size = 3 * 1024 * 1024 + 321;
  GstApixoSpool *spool;
  ServerRequest *r;
  gchar *expected;

  cfg.drop_first_at = 1024 * 1024 + 777;
  spool = spool_started (size, &cfg);

  read_all_then_finished (spool);
  fail_unless_equals_int (ts->drops, 1);
  fail_unless_equals_int (server_n_requests (), 2);
  r = server_get_request (1);
  expected =
      g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", cfg.drop_first_at);
  fail_unless_equals_string (r->range, expected);
  fail_unless_equals_string (r->if_range, TEST_ETAG);
  fail_unless_equals_int (r->status, SOUP_STATUS_PARTIAL_CONTENT);
  g_free (expected);
  server_request_free (r);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_range_ignored_restarts)
{
  ServerConfig cfg = { 0 };
  gsize size = 2 * 1024 * 1024 + 5;
  GstApixoSpool *spool;
  ServerRequest *r;

  cfg.drop_first_at = 700000;
  cfg.ignore_range = TRUE;
  spool = spool_started (size, &cfg);

  read_all_then_finished (spool);
  fail_unless_equals_int (server_n_requests (), 2);
  r = server_get_request (1);
  fail_unless (r->range != NULL);
  fail_unless_equals_int (r->status, SOUP_STATUS_OK);
  server_request_free (r);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

/* No ETag nor Last-Modified: a broken-off transfer is not resumed (a
 * changed file would be spliced onto what was served); a clear error, no
 * second request. */
GST_START_TEST (test_no_validator_no_resume)
{
  ServerConfig cfg = { 0 };
  gsize size = 2 * 1024 * 1024;
  GstApixoSpool *spool;
  GError *error = NULL;

  cfg.drop_first_at = 700000;
  cfg.no_validators = TRUE;
  spool = spool_started (size, &cfg);

  read_expect (spool, 0, 600000, 600000);
  error = read_to_end_error (spool, GST_RESOURCE_ERROR_READ);
  fail_unless (strstr (error->message, "ETag") != NULL, "%s", error->message);
  g_clear_error (&error);
  wait_finished ();
  fail_unless_equals_int (server_n_requests (), 1);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

/* A resumed answer whose Content-Range is reversed or claims an empty file
 * is refused (it once set the size to 0: readers got EOS at once). */
static const gchar *const BAD_CONTENT_RANGES[] = {
  "bytes 700000-18446744073709551615/0",
  "bytes 700000-699999/2097152",
  "bytes 700000-2097151/0",
};

GST_START_TEST (test_bad_content_range_refused)
{
  ServerConfig cfg = { 0 };
  gsize size = 2 * 1024 * 1024;
  GstApixoSpool *spool;
  GError *error = NULL;
  guint64 total = 0;

  cfg.drop_first_at = 700000;
  cfg.content_range = BAD_CONTENT_RANGES[__i__];
  spool = spool_started (size, &cfg);

  error = read_to_end_error (spool, GST_RESOURCE_ERROR_READ);
  g_clear_error (&error);
  wait_finished ();
  fail_unless (gst_apixo_spool_get_size (spool, &total));
  fail_unless_equals_uint64 (total, size);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_etag_changed_fails)
{
  ServerConfig cfg = { 0 };
  gsize size = 2 * 1024 * 1024;
  GstApixoSpool *spool;
  GError *error = NULL;

  cfg.drop_first_at = 700000;
  cfg.etag_later = "\"etag-two\"";
  spool = spool_started (size, &cfg);

  /* what arrived before the change is served; then the error */
  read_expect (spool, 0, 600000, 600000);
  error = read_to_end_error (spool, GST_RESOURCE_ERROR_READ);
  g_clear_error (&error);
  wait_finished ();
  fail_unless (
      g_error_matches (ev.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
  fail_unless_equals_int (server_n_requests (), 2);
  fail_if (gst_apixo_spool_is_complete (spool));
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_not_found)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  GstBuffer *buf = NULL;
  GError *error = NULL;

  cfg.fail_count = G_MAXUINT;
  cfg.fail_status = SOUP_STATUS_NOT_FOUND;
  spool = spool_started (1000, &cfg);

  fail_unless_equals_int (
      gst_apixo_spool_read (spool, 0, 4096, NULL, &buf, &error),
      GST_FLOW_ERROR);
  fail_unless (buf == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_NOT_FOUND));
  fail_unless (strstr (error->message, "404") != NULL, "%s", error->message);
  /* never the signed query string */
  fail_if (strstr (error->message, "token") != NULL, "%s", error->message);
  g_clear_error (&error);
  wait_finished ();
  fail_unless (g_error_matches (ev.error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_NOT_FOUND));
  fail_unless_equals_int (gst_apixo_spool_get_http_status (spool), 404);
  /* not retried */
  fail_unless_equals_int (server_n_requests (), 1);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_too_large)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  GstBuffer *buf = NULL;
  GError *error = NULL;

  /* 9 GiB announced: refused on the headers, before any byte is written */
  cfg.announce_length = G_GUINT64_CONSTANT (9) << 30;
  cfg.gate = 1;
  spool = spool_started (1000, &cfg);

  fail_unless_equals_int (
      gst_apixo_spool_read (spool, 0, 4096, NULL, &buf, &error),
      GST_FLOW_ERROR);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
  g_clear_error (&error);
  fail_unless (!gst_apixo_spool_get_size (spool, NULL));
  fail_unless_equals_int (server_n_requests (), 1);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_transient_retried)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;

  cfg.fail_count = 2;
  cfg.fail_status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  cfg.retry_after = "0";
  spool = spool_started (300000, &cfg);

  read_all_then_finished (spool);
  fail_unless_equals_int (server_n_requests (), 3);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_transient_exhausted)
{
  ServerConfig cfg = { 0 };
  GstApixoHttpSettings http;
  GstApixoSpool *spool;
  GstBuffer *buf = NULL;
  GError *error = NULL;

  cfg.fail_count = G_MAXUINT;
  cfg.fail_status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  start_server (1000, &cfg);
  test_http_settings (&http);
  http.retries = 2;
  spool = spool_new_with (&http, NULL);
  gst_apixo_http_settings_clear (&http);
  gst_apixo_spool_start (spool, ts->uri);

  fail_unless_equals_int (
      gst_apixo_spool_read (spool, 0, 4096, NULL, &buf, &error),
      GST_FLOW_ERROR);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
  fail_unless (strstr (error->message, "503") != NULL, "%s", error->message);
  g_clear_error (&error);
  wait_finished ();
  fail_unless_equals_int (gst_apixo_spool_get_http_status (spool), 503);
  /* the first request and two retries */
  fail_unless_equals_int (server_n_requests (), 3);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_cancel_read)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  GCancellable *cancellable = g_cancellable_new ();
  GstBuffer *buf = NULL;
  ReaderData rd = { 0 };
  GThread *thread;
  gint i;

  cfg.gate = 1; /* headers and one byte, then nothing */
  spool = spool_started (1024 * 1024, &cfg);
  server_wait_gate_hits (1);

  /* cancelled before the read: sticks */
  g_cancellable_cancel (cancellable);
  fail_unless_equals_int (
      gst_apixo_spool_read (spool, 0, 4096, cancellable, &buf, NULL),
      GST_FLOW_FLUSHING);
  fail_unless (buf == NULL);
  /* even for bytes that are there */
  fail_unless_equals_int (
      gst_apixo_spool_read (spool, 0, 1, cancellable, &buf, NULL),
      GST_FLOW_FLUSHING);

  /* cancelled while waiting (or just before: both must end the read) */
  rd.spool = spool;
  rd.cancellable = cancellable;
  for (i = 0; i < 3; i++) {
    g_cancellable_reset (cancellable);
    rd.ret = GST_FLOW_OK;
    thread = g_thread_new ("reader", reader_thread, &rd);
    g_cancellable_cancel (cancellable);
    g_thread_join (thread);
    fail_unless_equals_int (rd.ret, GST_FLOW_FLUSHING);
    fail_unless (rd.buf == NULL);
  }

  /* after reset, reads work again */
  g_cancellable_reset (cancellable);
  read_expect (spool, 0, 1, 1);
  fail_unless_equals_int (server_n_requests (), 1);

  gst_apixo_spool_free (spool);
  g_object_unref (cancellable);
}

GST_END_TEST;

static GThread *
reader_start (ReaderData *rd, GstApixoSpool *spool, guint64 offset, guint size)
{
  rd->spool = spool;
  rd->offset = offset;
  rd->size = size;
  return g_thread_new ("reader", reader_thread, rd);
}

static void
reader_join (GThread *thread, ReaderData *rd)
{
  g_thread_join (thread);
  fail_unless_equals_int (rd->ret, GST_FLOW_OK);
  check_bytes (rd->buf, rd->offset, rd->size);
  gst_clear_buffer (&rd->buf);
}

GST_START_TEST (test_readers_wait_for_their_bytes)
{
  ServerConfig cfg = { 0 };
  gsize size = 4 * 1024 * 1024 + 321;
  ReaderData rd[5] = { { 0 } };
  GThread *th[5];
  GstApixoSpool *spool;

  /* Readers waiting at once for different places: each is woken when its
   * bytes are there, whatever the others wait for (readers are woken only
   * when the download reaches what one of them needs). */
  cfg.gate = 64 * 1024;
  spool = spool_started (size, &cfg);
  read_expect (spool, 0, 64 * 1024, 64 * 1024);

  th[0] = reader_start (&rd[0], spool, 100 * 1024, 4096);
  th[1] = reader_start (&rd[1], spool, 1024 * 1024 - 10, 20);
  th[2] = reader_start (&rd[2], spool, 1536 * 1024, 700 * 1024);
  /* far ahead: its own range, served while the rest waits */
  th[3] = reader_start (&rd[3], spool, size - 300000, 100000);
  reader_join (th[3], &rd[3]);
  fail_unless_equals_int (server_n_requests (), 2);

  server_set_gate (512 * 1024);
  reader_join (th[0], &rd[0]);
  server_set_gate (2560 * 1024);
  reader_join (th[1], &rd[1]);
  reader_join (th[2], &rd[2]);

  /* Near enough for no range: the hole before the ranged bytes is filled
   * by the sequential download, which must wake this reader once it gets
   * to them (the gate stops it short of the read's end). */
  read_expect (spool, 2560 * 1024 - 4096, 4096, 4096);
  th[4] = reader_start (&rd[4], spool, size - 301000, 2000);
  server_set_gate (size - 299500);
  reader_join (th[4], &rd[4]);
  fail_if (gst_apixo_spool_is_complete (spool));
  server_set_gate (G_MAXUINT64);

  wait_finished ();
  fail_unless (ev.error == NULL);
  fail_unless_equals_int (read_to_end (spool, NULL), GST_FLOW_EOS);
  fail_unless_equals_int (server_n_requests (), 2);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

/* Whether @dir's file system allocates with fallocate(). */
static gboolean
can_preallocate (const gchar *dir)
{
#ifdef __linux__
  gchar *path = g_build_filename (dir, "apixo-spool-probe-XXXXXX", NULL);
  gint fd = g_mkstemp (path);
  gboolean ok;

  fail_unless (fd >= 0);
  ok = fallocate (fd, 0, 0, 4096) == 0;
  close (fd);
  g_unlink (path);
  g_free (path);
  return ok;
#else
  return FALSE;
#endif
}

GST_START_TEST (test_preallocated)
{
  ServerConfig cfg = { 0 };
  gsize size = 3 * 1024 * 1024 + 5;
  GstApixoSpool *spool;
  gchar *dir, *keep;
  GStatBuf st;

  /* Where the file system can, the announced size is reserved at the
   * headers (elsewhere the file just grows).  A keep location, so that the
   * file has a name to look at (the same writes as a temp spool's). */
  dir = apixo_test_dir_new ("apixo-spool-test");
  keep = g_build_filename (dir, "result.mp4", NULL);
  if (!can_preallocate (dir))
    goto out;
  cfg.gate = 64 * 1024;
  start_server (size, &cfg);
  spool = spool_new_keeping (keep);
  gst_apixo_spool_start (spool, ts->uri);
  read_expect (spool, 0, 4096, 4096);
  fail_unless_equals_int (g_stat (gst_apixo_spool_get_path (spool), &st), 0);
  fail_unless_equals_uint64 (st.st_size, size);
  fail_unless ((guint64)st.st_blocks * 512 >= size);

  server_set_gate (G_MAXUINT64);
  read_all_then_finished (spool);
  fail_unless_equals_int (g_stat (gst_apixo_spool_get_path (spool), &st), 0);
  fail_unless_equals_uint64 (st.st_size, size);
  gst_apixo_spool_free (spool);
out:
  apixo_test_dir_remove (dir);
  g_free (keep);
  g_free (dir);
}

GST_END_TEST;

static gint64
free_timed (GstApixoSpool *spool)
{
  gint64 start = g_get_monotonic_time ();

  gst_apixo_spool_free (spool);
  return (g_get_monotonic_time () - start) / 1000;
}

GST_START_TEST (test_free_stalled)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  gint64 ms;

  cfg.gate = 100 * 1024;
  spool = spool_started (4 * 1024 * 1024, &cfg);
  server_wait_gate_hits (1);
  read_expect (spool, 0, 100 * 1024, 100 * 1024);
  /* and a far-ahead range in flight or done */
  read_expect (spool, 3 * 1024 * 1024, 1000, 1000);

  /* the I/O timeout is 60 s: returning now means cancelled, not timed out */
  ms = free_timed (spool);
  fail_unless (ms < 5000, "free took %" G_GINT64_FORMAT " ms", ms);
  fail_unless_equals_int (ev.n_finished, 0);
}

GST_END_TEST;

GST_START_TEST (test_free_during_backoff)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  gint64 ms;

  cfg.fail_count = G_MAXUINT;
  cfg.fail_status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  cfg.retry_after = "30";
  spool = spool_started (1000, &cfg);
  server_wait_requests (1);

  ms = free_timed (spool);
  fail_unless (ms < 5000, "free took %" G_GINT64_FORMAT " ms", ms);
  fail_unless_equals_int (server_n_requests (), 1);
}

GST_END_TEST;

/* Descriptors of this process open on files in @dir (Linux: what
 * /proc/self/fd links to; -1 elsewhere). */
static gint
fds_into (const gchar *dir)
{
#ifdef __linux__
  GDir *fds = g_dir_open ("/proc/self/fd", 0, NULL);
  gchar *prefix = g_strconcat (dir, G_DIR_SEPARATOR_S, NULL);
  const gchar *name;
  gint n = 0;

  fail_unless (fds != NULL);
  while ((name = g_dir_read_name (fds)) != NULL) {
    gchar *link = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (link, NULL);

    if (target != NULL && g_str_has_prefix (target, prefix))
      n++;
    g_free (target);
    g_free (link);
  }
  g_dir_close (fds);
  g_free (prefix);
  return n;
#else
  return -1;
#endif
}

static GstApixoSpool *
spool_new_in (const gchar *dir)
{
  GstApixoHttpSettings http;
  GError *error = NULL;
  GstApixoSpool *spool;

  test_http_settings (&http);
  spool = spool_new_full (&http, dir, NULL, &callbacks, &error);
  fail_unless (spool != NULL, "%s", error ? error->message : "");
  gst_apixo_http_settings_clear (&http);
  return spool;
}

/* A temp spool has no name in its directory from the start (nothing is left
 * there if the process dies), is served all the same, and its space goes
 * with free(). */
GST_START_TEST (test_temp_spool_has_no_name)
{
  ServerConfig cfg = { 0 };
  gsize size = 2 * 1024 * 1024 + 17;
  gchar *dir = apixo_test_dir_new ("apixo-spool-test");
  GstApixoSpool *spool;

  cfg.gate = 256 * 1024;
  start_server (size, &cfg);
  spool = spool_new_in (dir);
  fail_unless (gst_apixo_spool_get_path (spool) == NULL);
  fail_unless (apixo_test_dir_count (dir) == 0);
  if (fds_into (dir) >= 0)
    fail_unless_equals_int (fds_into (dir), 1);

  gst_apixo_spool_start (spool, ts->uri);
  read_expect (spool, 0, 4096, 4096); /* downloading, held at the gate */
  fail_unless (apixo_test_dir_count (dir) == 0);
  server_set_gate (G_MAXUINT64);
  read_all_then_finished (spool);
  fail_unless (apixo_test_dir_count (dir) == 0);

  gst_apixo_spool_free (spool);
  if (fds_into (dir) >= 0)
    fail_unless_equals_int (fds_into (dir), 0);
  fail_unless_equals_int (g_rmdir (dir), 0);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_free_unstarted)
{
  gchar *dir = apixo_test_dir_new ("apixo-spool-test");
  GstApixoHttpSettings http;
  GError *error = NULL;
  GstApixoSpool *spool;

  spool = spool_new_in (dir);
  fail_unless (!gst_apixo_spool_get_size (spool, NULL));
  gst_apixo_spool_free (spool);
  if (fds_into (dir) >= 0)
    fail_unless_equals_int (fds_into (dir), 0);
  fail_unless_equals_int (g_rmdir (dir), 0);

  /* a directory that does not exist: a clear error, no spool */
  test_http_settings (&http);
  fail_unless (
      spool_new_full (&http, "/nonexistent/apixo", NULL, NULL, &error) == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_OPEN_WRITE));
  g_clear_error (&error);
  gst_apixo_http_settings_clear (&http);
  g_free (dir);
}

GST_END_TEST;

static gchar *
read_file (const gchar *path, gsize *len)
{
  gchar *contents = NULL;

  fail_unless (g_file_get_contents (path, &contents, len, NULL));
  return contents;
}

GST_START_TEST (test_keep_location)
{
  gsize size = 1024 * 1024 + 99, len = 0;
  GstApixoSpool *spool;
  gchar *dir, *keep, *part, *contents;

  start_server (size, NULL);
  dir = apixo_test_dir_new ("apixo-spool-test");
  keep = g_build_filename (dir, "result.mp4", NULL);
  part = g_strconcat (keep, ".part", NULL);
  spool = spool_new_keeping (keep);
  fail_unless_equals_string (gst_apixo_spool_get_path (spool), part);

  gst_apixo_spool_start (spool, ts->uri);
  wait_finished ();
  fail_unless (ev.error == NULL);
  fail_unless_equals_string (gst_apixo_spool_get_path (spool), keep);
  /* still served after the rename */
  fail_unless_equals_int (read_to_end (spool, NULL), GST_FLOW_EOS);
  gst_apixo_spool_free (spool);

  fail_if (g_file_test (part, G_FILE_TEST_EXISTS));
  contents = read_file (keep, &len);
  fail_unless_equals_uint64 (len, size);
  fail_unless (memcmp (contents, g_bytes_get_data (ts->data, NULL), size) == 0);
  g_free (contents);
  fail_unless_equals_int (g_unlink (keep), 0);
  fail_unless_equals_int (g_rmdir (dir), 0);
  g_free (part);
  g_free (keep);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_keep_location_incomplete)
{
  ServerConfig cfg = { 0 };
  GstApixoSpool *spool;
  gchar *dir, *keep, *part;

  cfg.gate = 64 * 1024;
  start_server (1024 * 1024, &cfg);
  dir = apixo_test_dir_new ("apixo-spool-test");
  keep = g_build_filename (dir, "result.mp4", NULL);
  part = g_strconcat (keep, ".part", NULL);
  spool = spool_new_keeping (keep);
  gst_apixo_spool_start (spool, ts->uri);
  read_expect (spool, 0, 4096, 4096);
  fail_unless (g_file_test (part, G_FILE_TEST_EXISTS));

  gst_apixo_spool_free (spool);
  fail_if (g_file_test (part, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (keep, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (g_rmdir (dir), 0);
  g_free (part);
  g_free (keep);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_stall_timeout_resumes)
{
  ServerConfig cfg = { 0 };
  GstApixoHttpSettings http;
  GstApixoSpool *spool;
  ServerRequest *r;

  /* the first (200) body stalls for good at 300000; the resume (206) is not
   * held */
  cfg.gate = 300000;
  start_server (1024 * 1024, &cfg);
  test_http_settings (&http);
  http.timeout = 1;
  spool = spool_new_with (&http, NULL);
  gst_apixo_http_settings_clear (&http);
  gst_apixo_spool_start (spool, ts->uri);

  read_all_then_finished (spool);
  fail_unless_equals_int (server_n_requests (), 2);
  r = server_get_request (1);
  fail_unless_equals_string (r->range, "bytes=300000-");
  fail_unless_equals_string (r->if_range, TEST_ETAG);
  server_request_free (r);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_chunked_unknown_size)
{
  ServerConfig cfg = { 0 };
  gsize size = 1024 * 1024 + 5;
  GstApixoSpool *spool;
  guint64 total = 0;

  cfg.chunked = TRUE;
  spool = spool_started (size, &cfg);

  read_all_then_finished (spool);
  fail_unless (gst_apixo_spool_get_size (spool, &total));
  fail_unless_equals_uint64 (total, size);
  gst_apixo_spool_free (spool);
}

GST_END_TEST;

static Suite *
spool_suite (void)
{
  Suite *s = suite_create ("apixospool");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sequential_read);
  tcase_add_test (tc, test_first_read_before_complete);
  tcase_add_test (tc, test_far_ahead_range);
  tcase_add_test (tc, test_far_ahead_range_ignored);
  tcase_add_test (tc, test_far_ahead_rule);
  tcase_add_test (tc, test_resume_after_drop);
  tcase_add_test (tc, test_range_ignored_restarts);
  tcase_add_test (tc, test_etag_changed_fails);
  tcase_add_test (tc, test_no_validator_no_resume);
  tcase_add_loop_test (tc, test_bad_content_range_refused, 0,
                       G_N_ELEMENTS (BAD_CONTENT_RANGES));
  tcase_add_test (tc, test_not_found);
  tcase_add_test (tc, test_too_large);
  tcase_add_test (tc, test_transient_retried);
  tcase_add_test (tc, test_transient_exhausted);
  tcase_add_test (tc, test_cancel_read);
  tcase_add_test (tc, test_readers_wait_for_their_bytes);
  tcase_add_test (tc, test_preallocated);
  tcase_add_test (tc, test_free_stalled);
  tcase_add_test (tc, test_free_during_backoff);
  tcase_add_test (tc, test_free_unstarted);
  tcase_add_test (tc, test_temp_spool_has_no_name);
  tcase_add_test (tc, test_keep_location);
  tcase_add_test (tc, test_keep_location_incomplete);
  tcase_add_test (tc, test_stall_timeout_resumes);
  tcase_add_test (tc, test_chunked_unknown_size);
  return s;
}

int
main (int argc, char **argv)
{
  /* Loopback only: never route through (or ask libproxy about) the
   * system's proxy settings. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (spool_suite (), "spool", __FILE__);
}
