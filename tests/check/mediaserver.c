/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The embedded media server (gst/gstapixomediaserver.c) and the publisher
 * (gst/gstapixopublisher.c), over real HTTP on loopback: a libsoup client
 * in the test thread talks to the server on the shared worker thread.
 *
 * Files are generated in a temporary directory per test (patterns, sparse
 * files, a PNG rendered with videotestsrc ! pngenc).  Synchronisation is
 * by HTTP replies and bus messages, never by sleeping.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "apixotest.h"
#include "gstapixoinput.h"
#include "gstapixomediaserver.h"
#include "gstapixopublisher.h"
#include "gstapixoworker.h"
#include "testdir.h"

#define PATTERN_SIZE 100000
#define TOKEN_CHARS 43

/* ---- fixtures and helpers ----------------------------------------------- */

APIXO_TEST_DIR_FIXTURE (tmpdir, "apixo-mediaserver")

static gboolean
under_valgrind (void)
{
  return g_getenv ("APIXO_UNDER_VALGRIND") != NULL;
}

static guint8
pattern_byte (guint64 i)
{
  return (guint8)((i * 7 + i / 251) & 0xff);
}

static gchar *
write_pattern (const gchar *name, gsize size)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = pattern_byte (i);
  fail_unless (g_file_set_contents (path, (gchar *)data, size, NULL));
  g_free (data);
  return path;
}

static SoupSession *
client_new (void)
{
  /* No proxy from the environment: the server is on loopback. */
  GProxyResolver *direct = g_simple_proxy_resolver_new (NULL, NULL);
  SoupSession *session = soup_session_new_with_options (
      "proxy-resolver", direct, "max-conns-per-host", 16, "timeout", 60, NULL);

  g_object_unref (direct);
  return session;
}

typedef struct {
  guint status;
  GBytes *body;
  SoupMessage *msg; /* for the response headers */
} Reply;

static void
reply_free (Reply *r)
{
  g_bytes_unref (r->body);
  g_object_unref (r->msg);
  g_free (r);
}

static const gchar *
reply_header (Reply *r, const gchar *name)
{
  return soup_message_headers_get_one (
      soup_message_get_response_headers (r->msg), name);
}

/* One request; @header/@value: an optional request header. */
static Reply *
request (SoupSession *session, const gchar *method, const gchar *url,
         const gchar *header, const gchar *value)
{
  Reply *r = g_new0 (Reply, 1);
  GError *error = NULL;

  r->msg = soup_message_new (method, url);
  fail_unless (r->msg != NULL, "bad url %s", url);
  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (r->msg),
                                  header, value);
  r->body = soup_session_send_and_read (session, r->msg, NULL, &error);
  fail_unless (error == NULL, "%s %s: %s", method, url,
               error ? error->message : "");
  r->status = soup_message_get_status (r->msg);
  return r;
}

static guint
status_of (SoupSession *session, const gchar *method, const gchar *url)
{
  Reply *r = request (session, method, url, NULL, NULL);
  guint status = r->status;

  reply_free (r);
  return status;
}

static gchar *
url_for (GstApixoMediaServer *server, const gchar *path)
{
  gchar *base = gst_apixo_media_server_get_local_url (server);
  gchar *url = g_strconcat (base, path, NULL);

  g_free (base);
  return url;
}

static GstApixoMediaServer *
acquire_loopback (void)
{
  GError *error = NULL;
  GstApixoMediaServer *server =
      gst_apixo_media_server_acquire ("127.0.0.1", 0, NULL, &error);

  fail_unless (server != NULL, "%s", error ? error->message : "");
  fail_unless (gst_apixo_media_server_get_port (server) > 0);
  return server;
}

static gchar *
publish (GstApixoMediaServer *server, const gchar *file, const gchar *type)
{
  GError *error = NULL;
  gchar *path = gst_apixo_media_server_publish (server, file, type, &error);

  fail_unless (path != NULL, "%s", error ? error->message : "");
  return path;
}

static void
assert_pattern (GBytes *body, guint64 start, gsize len)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (body, &size);

  fail_unless_equals_uint64 (size, len);
  for (gsize i = 0; i < len; i++) {
    if (data[i] != pattern_byte (start + i))
      fail ("byte %" G_GUINT64_FORMAT " differs", start + i);
  }
}

static gboolean
path_has_token_shape (const gchar *path, const gchar *ext)
{
  gchar *re = g_strdup_printf ("^/m/[A-Za-z0-9_-]{%d}\\.%s$", TOKEN_CHARS, ext);
  gboolean ok = g_regex_match_simple (re, path, 0, 0);

  g_free (re);
  return ok;
}

/* Renders a small PNG with GStreamer into @name; fails the test unless it
 * reaches EOS within a minute. */
static gchar *
render_png (const gchar *name, gint width, gint height)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);
  gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=1 ! video/x-raw,width=%d,height=%d ! pngenc "
      "! filesink location=\"%s\"",
      width, height, path);

  apixo_test_play (desc, 60);
  g_free (desc);
  return path;
}

/* A file published on a loopback server, and a client to fetch it. */
typedef struct {
  GstApixoMediaServer *server;
  SoupSession *session;
  gchar *file, *path, *url;
} Served;

/* Acquires a loopback server and publishes @file (taken) as @type. */
static void
served_open (Served *s, gchar *file, const gchar *type)
{
  s->server = acquire_loopback ();
  s->session = client_new ();
  s->file = file;
  s->path = publish (s->server, s->file, type);
  s->url = url_for (s->server, s->path);
}

/* Frees what served_open() made and releases the server (unless the test
 * released it already and cleared it). */
static void
served_close (Served *s)
{
  if (s->server != NULL)
    gst_apixo_media_server_release (s->server);
  g_clear_object (&s->session);
  g_clear_pointer (&s->url, g_free);
  g_clear_pointer (&s->path, g_free);
  g_clear_pointer (&s->file, g_free);
}

/* ---- receivers ------------------------------------------------------------ */

typedef struct {
  gint received;
  gint freed;
} Deliveries;

static void
on_received (gpointer data)
{
  g_atomic_int_inc (&((Deliveries *)data)->received);
}

static void
on_receiver_freed (gpointer data)
{
  g_atomic_int_inc (&((Deliveries *)data)->freed);
}

/* POSTs @size bytes to @url (@size < 0: a chunked body of 10 bytes). */
static guint
post_bytes (SoupSession *session, const gchar *url, gssize size)
{
  SoupMessage *msg = soup_message_new ("POST", url);
  gchar *data = g_malloc0 (MAX (size, 10));
  GBytes *answer;
  guint status;

  if (size >= 0) {
    GBytes *body = g_bytes_new_take (data, size);

    soup_message_set_request_body_from_bytes (msg, "application/json", body);
    g_bytes_unref (body);
  } else {
    GInputStream *stream =
        g_memory_input_stream_new_from_data (data, 10, g_free);

    soup_message_set_request_body (msg, "application/json", stream, -1);
    g_object_unref (stream);
  }
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  status = soup_message_get_status (msg);
  g_clear_pointer (&answer, g_bytes_unref);
  g_object_unref (msg);
  return status;
}

/* A receiver answers 200 to a bounded POST on its own secret path and
 * tells its function before the answer leaves; anything else is refused
 * and not told.  Removed: 404, and its data freed. */
GST_START_TEST (test_receivers)
{
  GstApixoMediaServer *server = acquire_loopback ();
  SoupSession *session = client_new ();
  Deliveries d = { 0, 0 };
  gchar *path, *url, *guess;
  Reply *r;

  path = gst_apixo_media_server_add_receiver (server, on_received, &d,
                                              on_receiver_freed, NULL);
  fail_unless (path != NULL && g_str_has_prefix (path, "/w/"));
  fail_unless_equals_int (strlen (path), 3 + TOKEN_CHARS);
  url = url_for (server, path);
  guess = url_for (server, "/w/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

  fail_unless_equals_int (post_bytes (session, url, 100), 200);
  fail_unless_equals_int (g_atomic_int_get (&d.received), 1);
  fail_unless_equals_int (post_bytes (session, url, 64 * 1024), 200);
  fail_unless_equals_int (g_atomic_int_get (&d.received), 2);

  fail_unless_equals_int (post_bytes (session, url, 64 * 1024 + 1), 413);
  fail_unless_equals_int (post_bytes (session, url, -1), 411);
  r = request (session, "GET", url, NULL, NULL);
  fail_unless_equals_int (r->status, 405);
  fail_unless_equals_string (reply_header (r, "Allow"), "POST");
  reply_free (r);
  fail_unless_equals_int (post_bytes (session, guess, 10), 404);
  fail_unless_equals_int (g_atomic_int_get (&d.received), 2);
  fail_unless_equals_int (g_atomic_int_get (&d.freed), 0);

  fail_unless (gst_apixo_media_server_remove_receiver (server, path));
  fail_unless_equals_int (g_atomic_int_get (&d.freed), 1);
  fail_unless_equals_int (post_bytes (session, url, 10), 404);
  fail_if (gst_apixo_media_server_remove_receiver (server, path));
  fail_unless_equals_int (g_atomic_int_get (&d.received), 2);

  gst_apixo_media_server_release (server);
  g_object_unref (session);
  g_free (guess);
  g_free (url);
  g_free (path);
}

GST_END_TEST;

/* ---- serving ------------------------------------------------------------ */

GST_START_TEST (test_serve_file)
{
  Served s;
  Reply *r;

  served_open (&s, write_pattern ("input.bin", PATTERN_SIZE), "image/png");
  fail_unless (path_has_token_shape (s.path, "png"), "path shape: %s", s.path);
  fail_unless_equals_int (gst_apixo_media_server_count_published (s.server), 1);

  r = request (s.session, "GET", s.url, NULL, NULL);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (reply_header (r, "Content-Type"), "image/png");
  fail_unless_equals_string (reply_header (r, "Content-Length"), "100000");
  fail_unless_equals_string (reply_header (r, "Accept-Ranges"), "bytes");
  fail_unless (reply_header (r, "ETag") != NULL);
  fail_unless (g_str_has_prefix (reply_header (r, "ETag"), "\""));
  fail_unless (strstr (reply_header (r, "Cache-Control"), "no-store"));
  assert_pattern (r->body, 0, PATTERN_SIZE);
  reply_free (r);

  /* The same answer twice (keep-alive), with the same ETag. */
  r = request (s.session, "GET", s.url, NULL, NULL);
  fail_unless_equals_int (r->status, 200);
  assert_pattern (r->body, 0, PATTERN_SIZE);
  reply_free (r);

  /* Renaming the file does not stop the service: it was opened. */
  {
    gchar *moved = g_strconcat (s.file, ".moved", NULL);

    fail_unless (g_rename (s.file, moved) == 0);
    fail_unless_equals_int (status_of (s.session, "GET", s.url), 200);
    g_rename (moved, s.file);
    g_free (moved);
  }

  fail_unless (gst_apixo_media_server_withdraw (s.server, s.path));
  served_close (&s);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
}
GST_END_TEST;

GST_START_TEST (test_content_types)
{
  static const struct {
    const gchar *type, *ext;
  } types[] = {
    { "image/jpeg", "jpg" },
    { "image/webp", "webp" },
    { "video/mp4", "mp4" },
    { "video/quicktime", "mov" },
    { "audio/mpeg", "mp3" },
    { "audio/wav", "wav" },
    { "application/x-unknown", "bin" },
  };
  GstApixoMediaServer *server = acquire_loopback ();
  SoupSession *session = client_new ();
  gchar *file = write_pattern ("input.bin", 1000);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    gchar *path = publish (server, file, types[i].type);
    gchar *url = url_for (server, path);
    Reply *r = request (session, "GET", url, NULL, NULL);

    fail_unless (path_has_token_shape (path, types[i].ext), "%s", path);
    fail_unless_equals_int (r->status, 200);
    fail_unless_equals_string (reply_header (r, "Content-Type"), types[i].type);
    reply_free (r);
    g_free (url);
    g_free (path);
  }
  g_free (file);
  g_object_unref (session);
  gst_apixo_media_server_release (server);
}
GST_END_TEST;

static void
check_range (SoupSession *session, const gchar *url, const gchar *range,
             guint64 start, guint64 end)
{
  Reply *r = request (session, "GET", url, "Range", range);
  gchar *expected =
      g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%d",
                       start, end, PATTERN_SIZE);

  fail_unless_equals_int (r->status, 206);
  fail_unless_equals_string (reply_header (r, "Content-Range"), expected);
  assert_pattern (r->body, start, end - start + 1);
  reply_free (r);
  g_free (expected);
}

static void
check_full (SoupSession *session, const gchar *url, const gchar *header,
            const gchar *value)
{
  Reply *r = request (session, "GET", url, header, value);

  fail_unless_equals_int (r->status, 200);
  fail_unless (reply_header (r, "Content-Range") == NULL);
  assert_pattern (r->body, 0, PATTERN_SIZE);
  reply_free (r);
}

static void
check_unsatisfiable (SoupSession *session, const gchar *url, const gchar *range)
{
  Reply *r = request (session, "GET", url, "Range", range);

  fail_unless_equals_int (r->status, 416);
  fail_unless_equals_string (reply_header (r, "Content-Range"),
                             "bytes */100000");
  reply_free (r);
}

GST_START_TEST (test_ranges)
{
  Served s;
  gchar *etag;
  Reply *r;

  served_open (&s, write_pattern ("input.bin", PATTERN_SIZE), "video/mp4");
  check_range (s.session, s.url, "bytes=10-19", 10, 19);
  check_range (s.session, s.url, "bytes=0-0", 0, 0);
  check_range (s.session, s.url, "bytes=99990-", 99990, 99999);
  check_range (s.session, s.url, "bytes=-5", 99995, 99999);
  check_range (s.session, s.url, "bytes=-200000", 0, 99999);
  check_range (s.session, s.url, "bytes=50000-999999", 50000, 99999);
  check_range (s.session, s.url, "bytes=70000-", 70000, 99999);

  check_unsatisfiable (s.session, s.url, "bytes=100000-");
  check_unsatisfiable (s.session, s.url, "bytes=100000-100010");
  check_unsatisfiable (s.session, s.url, "bytes=-0");

  /* Several ranges or nonsense: ignored, the whole file. */
  check_full (s.session, s.url, "Range", "bytes=0-1,5-6");
  check_full (s.session, s.url, "Range", "bytes=abc");
  check_full (s.session, s.url, "Range", "bytes=9-3");
  check_full (s.session, s.url, "Range", "items=0-5");

  /* If-Range / If-None-Match against the ETag. */
  r = request (s.session, "GET", s.url, NULL, NULL);
  etag = g_strdup (reply_header (r, "ETag"));
  reply_free (r);
  {
    SoupMessage *msg = soup_message_new ("GET", s.url);
    SoupMessageHeaders *h = soup_message_get_request_headers (msg);
    GBytes *body;

    soup_message_headers_replace (h, "Range", "bytes=0-9");
    soup_message_headers_replace (h, "If-Range", "\"other\"");
    body = soup_session_send_and_read (s.session, msg, NULL, NULL);
    fail_unless_equals_int (soup_message_get_status (msg), 200);
    assert_pattern (body, 0, PATTERN_SIZE);
    g_bytes_unref (body);
    g_object_unref (msg);

    msg = soup_message_new ("GET", s.url);
    h = soup_message_get_request_headers (msg);
    soup_message_headers_replace (h, "Range", "bytes=0-9");
    soup_message_headers_replace (h, "If-Range", etag);
    body = soup_session_send_and_read (s.session, msg, NULL, NULL);
    fail_unless_equals_int (soup_message_get_status (msg), 206);
    assert_pattern (body, 0, 10);
    g_bytes_unref (body);
    g_object_unref (msg);
  }
  r = request (s.session, "GET", s.url, "If-None-Match", etag);
  fail_unless_equals_int (r->status, 304);
  fail_unless_equals_int (g_bytes_get_size (r->body), 0);
  reply_free (r);
  check_full (s.session, s.url, "If-None-Match", "\"stale\"");

  g_free (etag);
  served_close (&s);
}
GST_END_TEST;

GST_START_TEST (test_head)
{
  Served s;
  Reply *r, *get;

  served_open (&s, write_pattern ("input.bin", PATTERN_SIZE), "image/webp");
  r = request (s.session, "HEAD", s.url, NULL, NULL);
  get = request (s.session, "GET", s.url, NULL, NULL);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (reply_header (r, "Content-Type"), "image/webp");
  fail_unless_equals_string (reply_header (r, "Content-Length"), "100000");
  fail_unless_equals_string (reply_header (r, "ETag"),
                             reply_header (get, "ETag"));
  fail_unless_equals_int (g_bytes_get_size (r->body), 0);
  reply_free (r);
  reply_free (get);

  /* An empty file: 200, no body; any range is unsatisfiable. */
  {
    gchar *empty = write_pattern ("empty.bin", 0);
    gchar *epath = publish (s.server, empty, "image/png");
    gchar *eurl = url_for (s.server, epath);

    r = request (s.session, "GET", eurl, NULL, NULL);
    fail_unless_equals_int (r->status, 200);
    fail_unless_equals_string (reply_header (r, "Content-Length"), "0");
    reply_free (r);
    r = request (s.session, "GET", eurl, "Range", "bytes=0-");
    fail_unless_equals_int (r->status, 416);
    reply_free (r);
    g_free (eurl);
    g_free (epath);
    g_free (empty);
  }

  served_close (&s);
}
GST_END_TEST;

GST_START_TEST (test_not_found_and_withdraw)
{
  Served s;
  gchar *other, *other_url;
  gchar *wrong_ext, *guess, *prefix;
  Reply *r;

  served_open (&s, write_pattern ("input.bin", 1000), "image/png");
  other = publish (s.server, s.file, "image/png");
  other_url = url_for (s.server, other);

  /* Unknown paths. */
  prefix = url_for (s.server, "/m/");
  guess =
      url_for (s.server, "/m/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png");
  wrong_ext = g_strdup (s.url);
  memcpy (wrong_ext + strlen (wrong_ext) - 3, "jpg", 3);
  fail_unless_equals_int (status_of (s.session, "GET", guess), 404);
  fail_unless_equals_int (status_of (s.session, "GET", prefix), 404);
  fail_unless_equals_int (status_of (s.session, "GET", wrong_ext), 404);
  {
    gchar *root = url_for (s.server, "/");

    fail_unless_equals_int (status_of (s.session, "GET", root), 404);
    g_free (root);
  }

  /* Only GET and HEAD. */
  r = request (s.session, "POST", s.url, NULL, NULL);
  fail_unless_equals_int (r->status, 405);
  fail_unless_equals_string (reply_header (r, "Allow"), "GET, HEAD");
  reply_free (r);
  fail_unless_equals_int (status_of (s.session, "PUT", s.url), 405);
  fail_unless_equals_int (status_of (s.session, "DELETE", s.url), 405);
  fail_unless_equals_int (status_of (s.session, "GET", s.url), 200);

  /* Withdrawn: 404 at once, for GET and HEAD; the other path still served. */
  fail_unless (gst_apixo_media_server_withdraw (s.server, s.path));
  fail_unless_equals_int (status_of (s.session, "GET", s.url), 404);
  fail_unless_equals_int (status_of (s.session, "HEAD", s.url), 404);
  fail_unless_equals_int (status_of (s.session, "GET", other_url), 200);
  fail_if (gst_apixo_media_server_withdraw (s.server, s.path));
  fail_if (gst_apixo_media_server_withdraw (s.server, "/m/nothing"));
  fail_if (gst_apixo_media_server_withdraw (s.server, NULL));
  fail_unless_equals_int (gst_apixo_media_server_count_published (s.server), 1);
  fail_unless (gst_apixo_media_server_withdraw (s.server, other));
  fail_unless_equals_int (status_of (s.session, "GET", other_url), 404);
  fail_unless_equals_int (gst_apixo_media_server_count_published (s.server), 0);

  g_free (prefix);
  g_free (guess);
  g_free (wrong_ext);
  g_free (other_url);
  g_free (other);
  served_close (&s);
}
GST_END_TEST;

static guint
count_bits (const guint8 *data, gsize len)
{
  guint n = 0;

  for (gsize i = 0; i < len; i++)
    n += __builtin_popcount (data[i]);
  return n;
}

GST_START_TEST (test_paths_unguessable)
{
  GstApixoMediaServer *server = acquire_loopback ();
  gchar *file = write_pattern ("input.bin", 10);
  GHashTable *seen =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint ones = 0, bits = 0;
  const guint n = 64;

  for (guint i = 0; i < n; i++) {
    gchar *path = publish (server, file, "image/png");
    gchar *token = g_strndup (path + 3, TOKEN_CHARS);
    gchar *b64 = g_strconcat (token, "=", NULL);
    guint8 *raw;
    gsize len;

    fail_unless (path_has_token_shape (path, "png"), "%s", path);
    fail_if (g_hash_table_contains (seen, token), "token repeated");
    /* base64url back to the 32 random bytes (>= 128 bits required). */
    g_strdelimit (b64, "-", '+');
    g_strdelimit (b64, "_", '/');
    raw = g_base64_decode (b64, &len);
    fail_unless_equals_int (len, 32);
    ones += count_bits (raw, len);
    bits += len * 8;
    g_hash_table_add (seen, token);
    g_free (raw);
    g_free (b64);
    g_free (path);
  }
  /* 16384 bits from a CSPRNG: the share of ones is 0.5 +- 0.004 (1 sigma);
   * a constant, a counter or a clock would be far off. */
  fail_unless (ones > bits * 0.45 && ones < bits * 0.55, "%u of %u bits set",
               ones, bits);
  fail_unless_equals_int (gst_apixo_media_server_count_published (server), n);

  g_hash_table_unref (seen);
  g_free (file);
  gst_apixo_media_server_release (server);
}
GST_END_TEST;

/* ---- memory, concurrency ------------------------------------------------ */

static guint64
rss_bytes (void)
{
  gchar *status = NULL;
  const gchar *line;
  guint64 kib = 0;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  fail_unless (line != NULL);
  kib = g_ascii_strtoull (line + 6, NULL, 10);
  g_free (status);
  return kib * 1024;
}

/* A sparse file (no disk, no page cache to speak of) with markers. */
static gchar *
write_sparse (const gchar *name, guint64 size)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  guint64 at[] = { 0, size / 2, size - 4096 };

  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, size) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (at); i++) {
    guint8 block[4096];

    for (guint j = 0; j < sizeof (block); j++)
      block[j] = pattern_byte (at[i] + j) | 1; /* never 0 */
    fail_unless (pwrite (fd, block, sizeof (block), at[i]) == sizeof (block));
  }
  close (fd);
  return path;
}

static gboolean
is_marked (guint64 offset, guint64 size)
{
  guint64 at[] = { 0, size / 2, size - 4096 };

  for (guint i = 0; i < G_N_ELEMENTS (at); i++) {
    if (offset >= at[i] && offset < at[i] + 4096)
      return TRUE;
  }
  return FALSE;
}

GST_START_TEST (test_large_file_streamed)
{
  const guint64 size = (under_valgrind () ? 20 : 200) * G_GUINT64_CONSTANT (1)
                       << 20;
  Served s;
  SoupMessage *msg;
  guint8 *buf = g_malloc (64 * 1024);
  guint64 total = 0, baseline, peak;
  GInputStream *in;
  GError *error = NULL;

  served_open (&s, write_sparse ("large.mp4", size), "video/mp4");
  msg = soup_message_new ("GET", s.url);
  baseline = peak = rss_bytes ();
  in = soup_session_send (s.session, msg, NULL, &error);
  fail_unless (in != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_int64 (soup_message_headers_get_content_length (
                                soup_message_get_response_headers (msg)),
                            size);
  for (;;) {
    gssize n = g_input_stream_read (in, buf, 64 * 1024, NULL, &error);

    fail_unless (n >= 0, "%s", error ? error->message : "");
    if (n == 0)
      break;
    for (gssize i = 0; i < n; i++) {
      guint64 o = total + i;
      guint8 want = is_marked (o, size) ? (pattern_byte (o) | 1) : 0;

      if (buf[i] != want)
        fail ("byte %" G_GUINT64_FORMAT " differs", o);
    }
    /* Mid-transfer: one response being streamed, from a bounded buffer. */
    if (total < size / 2 && total + n >= size / 2)
      fail_unless_equals_int (gst_apixo_media_server_count_streaming (), 1);
    total += n;
    if ((total & ((8 << 20) - 1)) < (guint64)n)
      peak = MAX (peak, rss_bytes ());
  }
  peak = MAX (peak, rss_bytes ());
  fail_unless_equals_uint64 (total, size);
  /* Loading the file would add its size; streaming adds a few chunks. */
  fail_unless (peak - baseline < 32 * 1024 * 1024,
               "RSS grew by %" G_GUINT64_FORMAT
               " bytes for a %" G_GUINT64_FORMAT " byte file",
               peak - baseline, size);

  g_input_stream_close (in, NULL, NULL);
  g_object_unref (in);
  g_object_unref (msg);
  g_free (buf);
  served_close (&s);
}
GST_END_TEST;

typedef struct {
  guint64 start, len; /* expected body */
  guint done;
  gboolean ok;
} Concurrent;

static void
concurrent_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent *c = user_data;
  SoupMessage *msg =
      soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GBytes *body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  gsize size = 0;
  const guint8 *data = body ? g_bytes_get_data (body, &size) : NULL;

  c->ok = body != NULL && size == c->len &&
          soup_message_get_status (msg) ==
              (c->start || c->len < PATTERN_SIZE ? 206 : 200);
  for (gsize i = 0; c->ok && i < size; i++)
    c->ok = data[i] == pattern_byte (c->start + i);
  c->done = 1;
  if (body)
    g_bytes_unref (body);
  g_main_context_wakeup (NULL);
}

GST_START_TEST (test_concurrent_clients)
{
  const guint n = 12;
  Served s;
  Concurrent *c = g_new0 (Concurrent, n);
  guint finished = 0;

  served_open (&s, write_pattern ("input.bin", PATTERN_SIZE), "video/mp4");
  for (guint i = 0; i < n; i++) {
    SoupMessage *msg = soup_message_new ("GET", s.url);

    if (i % 3 == 0) {
      c[i].start = 0;
      c[i].len = PATTERN_SIZE;
    } else {
      gchar *range;

      c[i].start = i * 5000;
      c[i].len = 20000 + i;
      range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                               c[i].start, c[i].start + c[i].len - 1);
      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Range", range);
      g_free (range);
    }
    soup_session_send_and_read_async (s.session, msg, G_PRIORITY_DEFAULT, NULL,
                                      concurrent_done, &c[i]);
    g_object_unref (msg);
  }
  while (finished < n) {
    g_main_context_iteration (NULL, TRUE);
    finished = 0;
    for (guint i = 0; i < n; i++)
      finished += c[i].done;
  }
  for (guint i = 0; i < n; i++)
    fail_unless (c[i].ok, "request %u", i);

  g_free (c);
  served_close (&s);
}
GST_END_TEST;

/* A response under way finishes after withdraw; a new request gets 404.
 * Releasing the server in the middle of a response cuts it cleanly. */
GST_START_TEST (test_withdraw_and_release_during_response)
{
  const gsize size = 32 << 20;
  Served s;
  guint8 *buf = g_malloc (64 * 1024);
  SoupMessage *msg;
  GInputStream *in;
  gsize total = 0;
  gssize n;

  served_open (&s, write_sparse ("big.mp4", size), "video/mp4");
  msg = soup_message_new ("GET", s.url);
  in = soup_session_send (s.session, msg, NULL, NULL);
  fail_unless (in != NULL);
  fail_unless (
      g_input_stream_read_all (in, buf, 64 * 1024, &total, NULL, NULL));
  fail_unless (gst_apixo_media_server_withdraw (s.server, s.path));
  {
    /* A second connection: the path is gone. */
    SoupSession *other = client_new ();

    fail_unless_equals_int (status_of (other, "GET", s.url), 404);
    g_object_unref (other);
  }
  while ((n = g_input_stream_read (in, buf, 64 * 1024, NULL, NULL)) > 0)
    total += n;
  fail_unless_equals_uint64 (total, size);
  g_object_unref (in);
  g_object_unref (msg);

  /* Release while a response is under way. */
  g_free (s.path);
  s.path = publish (s.server, s.file, "video/mp4");
  g_free (s.url);
  s.url = url_for (s.server, s.path);
  msg = soup_message_new ("GET", s.url);
  in = soup_session_send (s.session, msg, NULL, NULL);
  fail_unless (in != NULL);
  fail_unless (
      g_input_stream_read_all (in, buf, 64 * 1024, &total, NULL, NULL));
  gst_apixo_media_server_release (s.server);
  s.server = NULL;
  total = 0;
  while ((n = g_input_stream_read (in, buf, 64 * 1024, NULL, NULL)) > 0)
    total += n;
  fail_unless (total < size, "the whole body arrived after the release");
  fail_unless_equals_int (gst_apixo_media_server_count_streaming (), 0);
  g_object_unref (in);
  g_object_unref (msg);

  g_free (buf);
  served_close (&s);
}
GST_END_TEST;

/* ---- sharing, binding --------------------------------------------------- */

GST_START_TEST (test_shared_per_bind)
{
  GstApixoMediaServer *a = acquire_loopback ();
  GstApixoMediaServer *b = acquire_loopback ();
  guint port = gst_apixo_media_server_get_port (a);
  GstApixoMediaServer *c, *d;
  SoupSession *session = client_new ();
  gchar *file = write_pattern ("input.bin", 1000);
  gchar *path, *url;
  GError *error = NULL;

  fail_unless (a == b);
  c = gst_apixo_media_server_acquire ("127.0.0.1", port, NULL, &error);
  d = gst_apixo_media_server_acquire ("localhost", port, NULL, &error);
  fail_unless (c == a && d == a);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 1);

  /* Published through one, served by all: one server, one socket. */
  path = publish (b, file, "image/png");
  url = url_for (c, path);
  fail_unless_equals_int (status_of (session, "GET", url), 200);

  gst_apixo_media_server_release (a);
  gst_apixo_media_server_release (b);
  gst_apixo_media_server_release (c);
  /* Still one reference: still serving. */
  fail_unless_equals_int (status_of (session, "GET", url), 200);
  gst_apixo_media_server_release (d);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);

  /* The last release closed the socket. */
  {
    SoupSession *fresh = client_new ();
    SoupMessage *msg = soup_message_new ("GET", url);
    GBytes *body = soup_session_send_and_read (fresh, msg, NULL, &error);

    fail_unless (body == NULL);
    fail_unless (error != NULL);
    g_clear_error (&error);
    g_object_unref (msg);
    g_object_unref (fresh);
  }

  g_free (url);
  g_free (path);
  g_free (file);
  g_object_unref (session);
}
GST_END_TEST;

GST_START_TEST (test_bind_errors)
{
  GError *error = NULL;
  GSocket *socket;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound;
  GstApixoMediaServer *server;
  guint port;

  server = gst_apixo_media_server_acquire ("not-an-address", 0, NULL, &error);
  fail_unless (server == NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  fail_unless (strstr (error->message, "server-address") != NULL);
  g_clear_error (&error);

  /* A port another socket listens on. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_bind (socket, any, FALSE, NULL));
  fail_unless (g_socket_listen (socket, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  server = gst_apixo_media_server_acquire ("127.0.0.1", port, NULL, &error);
  fail_unless (server == NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_OPEN_READ));
  fail_unless (strstr (error->message, "server-port") != NULL);
  g_clear_error (&error);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);

  /* Free again: the failure was not cached. */
  g_socket_close (socket, NULL);
  server = gst_apixo_media_server_acquire ("127.0.0.1", port, NULL, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (gst_apixo_media_server_get_port (server), port);
  gst_apixo_media_server_release (server);

  /* IPv6 loopback when the host has it. */
  server = gst_apixo_media_server_acquire ("::1", 0, NULL, &error);
  if (server != NULL) {
    gchar *url = gst_apixo_media_server_get_local_url (server);

    fail_unless (g_str_has_prefix (url, "http://[::1]:"));
    g_free (url);
    gst_apixo_media_server_release (server);
  } else {
    g_clear_error (&error);
  }

  g_object_unref (bound);
  g_object_unref (socket);
  g_object_unref (any);
  g_object_unref (loopback);
}
GST_END_TEST;

GST_START_TEST (test_acquire_cancelled)
{
  GCancellable *cancellable = g_cancellable_new ();
  GError *error = NULL;
  GstApixoMediaServer *server;

  g_cancellable_cancel (cancellable);
  server = gst_apixo_media_server_acquire (NULL, 0, cancellable, &error);
  /* The bind may have been quicker than the check; either way no leak,
   * no server left behind. */
  if (server == NULL) {
    fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    g_clear_error (&error);
  } else {
    gst_apixo_media_server_release (server);
  }
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
  g_object_unref (cancellable);
}
GST_END_TEST;

/* A server on a fixed port released before it started (a cancelled
 * acquire) must not stay in the table of servers: the next acquire of that
 * port gets a new, working server (it used to get the freed one). */
GST_START_TEST (test_fixed_port_cancelled_then_acquired)
{
  GstApixoMediaServer *probe = acquire_loopback ();
  guint port = gst_apixo_media_server_get_port (probe);
  GCancellable *cancellable = g_cancellable_new ();
  SoupSession *session = client_new ();
  gchar *file = write_pattern ("input.bin", 1000);
  GstApixoMediaServer *server;
  GError *error = NULL;
  gchar *path, *url;

  gst_apixo_media_server_release (probe);
  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < 3; i++) {
    server =
        gst_apixo_media_server_acquire ("127.0.0.1", port, cancellable, &error);
    if (server == NULL) {
      fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      g_clear_error (&error);
    } else {
      gst_apixo_media_server_release (server);
    }
  }

  server = gst_apixo_media_server_acquire ("127.0.0.1", port, NULL, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (gst_apixo_media_server_get_port (server), port);
  path = publish (server, file, "image/png");
  url = url_for (server, path);
  fail_unless_equals_int (status_of (session, "GET", url), 200);
  gst_apixo_media_server_release (server);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);

  g_free (url);
  g_free (path);
  g_free (file);
  g_object_unref (session);
  g_object_unref (cancellable);
}
GST_END_TEST;

/* ---- running out of file descriptors ------------------------------------ */

/* Counts the log lines holding @text (at @level; 0: any level), to wait
 * for what the server did. */
typedef struct {
  GMutex lock;
  GCond cond;
  GstDebugLevel level;
  const gchar *text;
  guint count;
} LineWatch;

static void
watch_lines (GstDebugCategory *category, GstDebugLevel level, const gchar *file,
             const gchar *function, gint line, GObject *object,
             GstDebugMessage *message, gpointer user_data)
{
  LineWatch *w = user_data;

  if ((w->level != 0 && level != w->level) ||
      strstr (gst_debug_message_get (message), w->text) == NULL)
    return;
  g_mutex_lock (&w->lock);
  w->count++;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

/* No file descriptor left when a connection comes (EMFILE): the server
 * stops watching for a moment instead of spinning on the worker, and
 * serves the connection once descriptors are free again. */
GST_START_TEST (test_accept_without_descriptors)
{
  /* memcheck emulates RLIMIT_NOFILE itself: descriptors already open above
   * a lowered limit become invalid for every syscall, which a real kernel
   * does not do.  (The rest of this suite runs under memcheck.) */
  if (under_valgrind ())
    return;

  LineWatch w = { .level = GST_LEVEL_WARNING, .text = "accept failed" };
  GstApixoMediaServer *server = acquire_loopback ();
  gchar *file = write_pattern ("input.bin", 1000);
  gchar *path = publish (server, file, "image/png");
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr =
      g_inet_socket_address_new (lo, gst_apixo_media_server_get_port (server));
  GSocket *client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);
  gchar *request = g_strdup_printf (
      "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
  gint64 end = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  struct rlimit saved, low;
  gchar answer[64] = { 0 };
  gint free_fd;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("apixomediaserver", GST_LEVEL_WARNING);
  gst_debug_add_log_function (watch_lines, &w, NULL);

  /* every descriptor number from the lowest free one up is refused */
  fail_unless (getrlimit (RLIMIT_NOFILE, &saved) == 0);
  free_fd = dup (0);
  fail_unless (free_fd >= 0);
  close (free_fd);
  low = saved;
  low.rlim_cur = free_fd;
  fail_unless (setrlimit (RLIMIT_NOFILE, &low) == 0);

  g_socket_set_timeout (client, 30);
  fail_unless (g_socket_connect (client, addr, NULL, NULL));
  fail_unless (g_socket_send (client, request, strlen (request), NULL, NULL) ==
               (gssize)strlen (request));
  g_mutex_lock (&w.lock);
  while (w.count == 0 && g_cond_wait_until (&w.cond, &w.lock, end))
    ;
  g_mutex_unlock (&w.lock);
  fail_unless (setrlimit (RLIMIT_NOFILE, &saved) == 0);
  fail_unless (w.count > 0, "accept() never failed");

  /* descriptors again: the waiting connection is served */
  fail_unless (
      g_socket_receive (client, answer, sizeof (answer) - 1, NULL, NULL) > 0);
  fail_unless (g_str_has_prefix (answer, "HTTP/1.1 200"), "%s", answer);

  gst_debug_remove_log_function (watch_lines);
  gst_debug_unset_threshold_for_name ("apixomediaserver");
  g_object_unref (client);
  g_object_unref (addr);
  g_object_unref (lo);
  gst_apixo_media_server_release (server);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  g_free (request);
  g_free (path);
  g_free (file);
}
GST_END_TEST;

/* ---- secrecy of paths in logs ------------------------------------------- */

typedef struct {
  GMutex lock;
  GString *info; /* INFO and above */
  GString *debug;
} LogCapture;

static void
capture_log (GstDebugCategory *category, GstDebugLevel level, const gchar *file,
             const gchar *function, gint line, GObject *object,
             GstDebugMessage *message, gpointer user_data)
{
  LogCapture *cap = user_data;
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&cap->lock);
  g_string_append_printf (level <= GST_LEVEL_INFO ? cap->info : cap->debug,
                          "%s: %s\n", gst_debug_category_get_name (category),
                          text);
  g_mutex_unlock (&cap->lock);
}

GST_START_TEST (test_paths_never_logged)
{
  LogCapture cap = { 0 };
  GstApixoMediaServer *server;
  SoupSession *session = client_new ();
  gchar *file = write_pattern ("input.bin", 1000);
  gchar *path, *url, *token, *shown;

  g_mutex_init (&cap.lock);
  cap.info = g_string_new (NULL);
  cap.debug = g_string_new (NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("apixo*", GST_LEVEL_LOG);
  gst_debug_add_log_function (capture_log, &cap, NULL);

  server = acquire_loopback ();
  path = publish (server, file, "image/png");
  url = url_for (server, path);
  fail_unless_equals_int (status_of (session, "GET", url), 200);
  fail_unless (gst_apixo_media_server_withdraw (server, path));
  fail_unless_equals_int (status_of (session, "GET", url), 404);
  gst_apixo_media_server_release (server);

  gst_debug_remove_log_function (capture_log);
  gst_debug_unset_threshold_for_name ("apixo*");
  token = g_strndup (path + 3, TOKEN_CHARS);
  /* The capture works (publishing is logged at INFO, the path cut to its
   * first characters at DEBUG)... */
  fail_unless (strstr (cap.info->str, "publishing") != NULL);
  shown = g_strdup_printf ("/m/%.4s...", token);
  fail_unless (strstr (cap.debug->str, shown) != NULL);
  /* ...and no line at any level holds the token or a large piece of it
   * (the path is the only protection of a published file; issue 15). */
  fail_unless (strstr (cap.info->str, token) == NULL);
  fail_unless (strstr (cap.debug->str, token) == NULL);
  token[12] = '\0';
  fail_unless (strstr (cap.info->str, token) == NULL);
  fail_unless (strstr (cap.debug->str, token) == NULL);
  g_free (shown);

  g_string_free (cap.info, TRUE);
  g_string_free (cap.debug, TRUE);
  g_mutex_clear (&cap.lock);
  g_free (token);
  g_free (url);
  g_free (path);
  g_free (file);
  g_object_unref (session);
}
GST_END_TEST;

/* ---- connection hygiene ------------------------------------------------- */

/* Open descriptors of this process. */
static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* A client connected to @server, waiting at most 10 s for any answer. */
static GSocket *
connect_client (GstApixoMediaServer *server)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr =
      g_inet_socket_address_new (lo, gst_apixo_media_server_get_port (server));
  GSocket *client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);

  g_socket_set_timeout (client, 10);
  fail_unless (g_socket_connect (client, addr, NULL, NULL));
  g_object_unref (addr);
  g_object_unref (lo);
  return client;
}

static void
client_send (GSocket *client, const gchar *text)
{
  fail_unless (g_socket_send (client, text, strlen (text), NULL, NULL) ==
               (gssize)strlen (text));
}

/* The server closed @client's connection (end of stream, no answer). */
static void
assert_closed_by_server (GSocket *client)
{
  gchar buf[64];
  GError *error = NULL;
  gssize n = g_socket_receive (client, buf, sizeof (buf), NULL, &error);

  fail_unless (n == 0, "not closed by the server: %s",
               n < 0 ? error->message : "it answered");
}

/* Watches for the server letting go of connections. */
static void
close_watch_start (LineWatch *w)
{
  w->text = "connection closed";
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("apixomediaserver", GST_LEVEL_LOG);
  gst_debug_add_log_function (watch_lines, w, NULL);
}

/* Waits (up to 30 s) until the server let go of @n connections. */
static void
close_watch_wait (LineWatch *w, guint n)
{
  gint64 end = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&w->lock);
  while (w->count < n && g_cond_wait_until (&w->cond, &w->lock, end))
    ;
  fail_unless (w->count >= n, "%u of %u connections closed", w->count, n);
  g_mutex_unlock (&w->lock);
}

static void
close_watch_stop (LineWatch *w)
{
  gst_debug_remove_log_function (watch_lines);
  gst_debug_unset_threshold_for_name ("apixomediaserver");
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
}

#define IDLE_CLIENTS 40

/* Connections that never send a request, and connections that send
 * headers without their end (a slow client, slowloris), are closed after
 * the idle timeout (shortened here), and their descriptors with them; the
 * server still serves.  (1000 such connections once stayed open.) */
GST_START_TEST (test_idle_connections_closed)
{
  GstApixoMediaServer *server;
  SoupSession *session = client_new ();
  gchar *file = write_pattern ("input.bin", 1000);
  GSocket *clients[2 * IDLE_CLIENTS];
  LineWatch w = { 0 };
  gchar *path, *url;
  guint fds, i;

  g_setenv ("APIXO_MEDIA_SERVER_IDLE_TIMEOUT_MS", "300", TRUE);
  server = acquire_loopback ();
  g_unsetenv ("APIXO_MEDIA_SERVER_IDLE_TIMEOUT_MS");
  path = publish (server, file, "image/png");
  url = url_for (server, path);
  close_watch_start (&w);
  fds = count_fds ();

  for (i = 0; i < 2 * IDLE_CLIENTS; i++) {
    clients[i] = connect_client (server);
    if (i % 2 == 1)
      client_send (clients[i], "GET /m/x.png HTTP/1.1\r\nHost: x\r\n");
  }
  for (i = 0; i < 2 * IDLE_CLIENTS; i++)
    assert_closed_by_server (clients[i]);
  close_watch_wait (&w, 2 * IDLE_CLIENTS);
  for (i = 0; i < 2 * IDLE_CLIENTS; i++)
    g_object_unref (clients[i]);
  fail_unless_equals_int (count_fds (), fds);

  fail_unless_equals_int (status_of (session, "GET", url), 200);
  close_watch_stop (&w);
  g_object_unref (session);
  gst_apixo_media_server_release (server);
  g_free (url);
  g_free (path);
  g_free (file);
}
GST_END_TEST;

/* At most MAX_CONNECTIONS at once: a further connection is closed at
 * once, and those already open are still served. */
GST_START_TEST (test_connections_bounded)
{
  GstApixoMediaServer *server;
  gchar *file = write_pattern ("input.bin", 1000);
  GSocket *clients[8], *extra;
  gchar *path, *request;
  gchar answer[64] = { 0 };
  guint i;

  g_setenv ("APIXO_MEDIA_SERVER_MAX_CONNECTIONS", "8", TRUE);
  server = acquire_loopback ();
  g_unsetenv ("APIXO_MEDIA_SERVER_MAX_CONNECTIONS");
  path = publish (server, file, "image/png");
  request = g_strdup_printf (
      "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);

  /* (the server accepts them in the order they connect: the ninth is the
   * one too many) */
  for (i = 0; i < G_N_ELEMENTS (clients); i++)
    clients[i] = connect_client (server);
  extra = connect_client (server);
  assert_closed_by_server (extra);

  client_send (clients[0], request);
  fail_unless (g_socket_receive (clients[0], answer, sizeof (answer) - 1, NULL,
                                 NULL) > 0);
  fail_unless (g_str_has_prefix (answer, "HTTP/1.1 200"), "%s", answer);

  g_object_unref (extra);
  for (i = 0; i < G_N_ELEMENTS (clients); i++)
    g_object_unref (clients[i]);
  gst_apixo_media_server_release (server);
  g_free (request);
  g_free (path);
  g_free (file);
}
GST_END_TEST;

/* ---- the publisher ------------------------------------------------------ */

static GstApixoInput *
probed_png (void)
{
  gchar *file = render_png ("character.png", 320, 240);
  gchar *uri = g_filename_to_uri (file, NULL, NULL);
  GError *error = NULL;
  GstApixoInput *input = gst_apixo_input_new_for_uri (GST_APIXO_MEDIA_IMAGE,
                                                      "image-uri", uri, &error);

  fail_unless (input != NULL, "%s", error ? error->message : "");
  fail_unless (
      gst_apixo_input_probe (input,
                             gst_apixo_model_media_limits (
                                 "wan-2-2-animate", GST_APIXO_MEDIA_IMAGE),
                             NULL, &error),
      "%s", error ? error->message : "");
  g_free (uri);
  g_free (file);
  return input;
}

GST_START_TEST (test_publisher_media_server)
{
  GstApixoInput *input = probed_png ();
  /* The "tunnel": here the server itself, reached on its port; a trailing
   * slash on public-url does not double. */
  GstApixoMediaServer *server = acquire_loopback ();
  gchar *base = gst_apixo_media_server_get_local_url (server);
  gchar *public_url = g_strconcat (base, "/", NULL);
  GstApixoPublisherConfig config = {
    .public_url = public_url,
    .server_address = "127.0.0.1",
    .server_port = gst_apixo_media_server_get_port (server),
  };
  GstApixoPublisher *pub = gst_apixo_publisher_new (&config);
  SoupSession *session = client_new ();
  GError *error = NULL;
  gchar *url, *url2, *contents;
  gsize len;
  Reply *r;

  fail_unless_equals_int (gst_apixo_publisher_get_server_port (pub), 0);
  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url != NULL, "%s", error ? error->message : "");
  fail_unless (g_str_has_prefix (url, base));
  fail_unless (path_has_token_shape (url + strlen (base), "png"), "%s", url);
  fail_unless_equals_int (gst_apixo_publisher_get_server_port (pub),
                          gst_apixo_media_server_get_port (server));
  url2 = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url2 != NULL && strcmp (url, url2) != 0);

  r = request (session, "GET", url, NULL, NULL);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_string (reply_header (r, "Content-Type"), "image/png");
  fail_unless (g_file_get_contents (gst_apixo_input_get_filename (input),
                                    &contents, &len, NULL));
  fail_unless (g_bytes_get_size (r->body) == len &&
               memcmp (g_bytes_get_data (r->body, NULL), contents, len) == 0);
  g_free (contents);
  reply_free (r);

  /* The task ended: nothing of this run is served any more. */
  gst_apixo_publisher_withdraw_all (pub);
  fail_unless_equals_int (status_of (session, "GET", url), 404);
  fail_unless_equals_int (status_of (session, "GET", url2), 404);
  gst_apixo_publisher_free (pub);
  /* Our own reference keeps the server. */
  fail_unless_equals_int (gst_apixo_media_server_count_published (server), 0);
  gst_apixo_media_server_release (server);

  g_free (url);
  g_free (url2);
  g_free (base);
  g_free (public_url);
  g_object_unref (session);
  gst_apixo_input_free (input);
}
GST_END_TEST;

GST_START_TEST (test_publisher_binds_lazily)
{
  GstApixoPublisherConfig config = {
    .public_url = "https://tunnel.example.com/media",
  };
  GstApixoPublisher *pub = gst_apixo_publisher_new (&config);
  GstApixoInput *input = probed_png ();
  GError *error = NULL;
  gchar *url;

  /* Nothing bound until something is published. */
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url != NULL, "%s", error ? error->message : "");
  fail_unless (g_str_has_prefix (url, "https://tunnel.example.com/media/m/"));
  fail_unless (gst_apixo_publisher_get_server_port (pub) > 0);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 1);
  gst_apixo_publisher_free (pub);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
  g_free (url);
  gst_apixo_input_free (input);
}
GST_END_TEST;

typedef struct {
  gchar *content_type;
  GBytes *data;
  const gchar *answer;
  gboolean fail;
} Upload;

static gchar *
upload_hook (GBytes *data, const gchar *content_type, GCancellable *cancellable,
             gpointer user_data, GError **error)
{
  Upload *u = user_data;

  g_free (u->content_type);
  u->content_type = g_strdup (content_type);
  g_clear_pointer (&u->data, g_bytes_unref);
  u->data =
      g_bytes_new (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  if (u->fail) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                 "bucket is read-only");
    return NULL;
  }
  return g_strdup (u->answer);
}

GST_START_TEST (test_publisher_upload)
{
  GstApixoInput *input = probed_png ();
  Upload u = { .answer = "https://bucket.example.com/x.png?sig=abc" };
  GstApixoPublisherConfig config = {
    .public_url = "https://tunnel.example.com", /* the hook wins */
    .upload = upload_hook,
    .upload_data = &u,
  };
  GstApixoPublisher *pub = gst_apixo_publisher_new (&config);
  GError *error = NULL;
  gchar *url, *contents;
  gsize len;

  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless_equals_string (url, u.answer);
  fail_unless_equals_string (u.content_type, "image/png");
  fail_unless (g_file_get_contents (gst_apixo_input_get_filename (input),
                                    &contents, &len, NULL));
  fail_unless (g_bytes_get_size (u.data) == len &&
               memcmp (g_bytes_get_data (u.data, NULL), contents, len) == 0);
  /* No media server was needed. */
  fail_unless_equals_int (gst_apixo_publisher_get_server_port (pub), 0);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
  g_free (contents);
  g_free (url);

  /* The hook fails: its reason is in the error. */
  u.fail = TRUE;
  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url == NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE));
  fail_unless (strstr (error->message, "read-only") != NULL);
  g_clear_error (&error);

  /* Something the service cannot fetch, or nothing. */
  u.fail = FALSE;
  u.answer = "file:///tmp/x.png";
  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url == NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  g_clear_error (&error);
  u.answer = NULL;
  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url == NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE));
  g_clear_error (&error);

  /* Cancelled before: the hook is not called. */
  {
    GCancellable *cancellable = g_cancellable_new ();

    g_clear_pointer (&u.content_type, g_free);
    g_cancellable_cancel (cancellable);
    url = gst_apixo_publisher_publish (pub, input, cancellable, &error);
    fail_unless (url == NULL);
    fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    fail_unless (u.content_type == NULL);
    g_clear_error (&error);
    g_object_unref (cancellable);
  }

  gst_apixo_publisher_free (pub);
  g_free (u.content_type);
  g_bytes_unref (u.data);
  gst_apixo_input_free (input);
}
GST_END_TEST;

GST_START_TEST (test_publisher_no_mode)
{
  GstApixoPublisherConfig config = { .server_port = 8990 };
  GstApixoPublisher *pub = gst_apixo_publisher_new (&config);
  GstApixoInput *input = probed_png ();
  GError *error = NULL;
  gchar *url;

  url = gst_apixo_publisher_publish (pub, input, NULL, &error);
  fail_unless (url == NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
  /* Both ways out are explained, with the input and the bind named. */
  fail_unless (strstr (error->message, "image-uri") != NULL);
  fail_unless (strstr (error->message, "public-url") != NULL);
  fail_unless (strstr (error->message, "upload") != NULL);
  fail_unless (strstr (error->message, "127.0.0.1:8990") != NULL);
  g_clear_error (&error);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
  gst_apixo_publisher_free (pub);
  gst_apixo_input_free (input);
}
GST_END_TEST;

GST_START_TEST (test_publisher_check_public_url)
{
  const gchar *good[] = { NULL, "", "http://127.0.0.1:8990",
                          "https://abc.trycloudflare.com/",
                          "https://media.example.com/apixo/in" };
  const gchar *bad[] = { "tunnel.example.com",
                         "ftp://x.example.com/",
                         "https://x.example.com/?a=b",
                         "https://x.example.com/#frag",
                         "file:///tmp",
                         "http://" };
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    fail_unless (gst_apixo_publisher_check_public_url (good[i], NULL), "%s",
                 good[i]);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (gst_apixo_publisher_check_public_url (bad[i], &error), "%s",
             bad[i]);
    fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                                  GST_RESOURCE_ERROR_SETTINGS));
    fail_unless (strstr (error->message, "public-url") != NULL);
    g_clear_error (&error);
  }
}
GST_END_TEST;

static Suite *
mediaserver_suite (void)
{
  Suite *s = suite_create ("apixo-mediaserver");
  TCase *tc = tcase_create ("server");
  TCase *tp = tcase_create ("publisher");

  tcase_add_checked_fixture (tc, setup_tmpdir, teardown_tmpdir);
  tcase_add_test (tc, test_serve_file);
  tcase_add_test (tc, test_content_types);
  tcase_add_test (tc, test_ranges);
  tcase_add_test (tc, test_head);
  tcase_add_test (tc, test_not_found_and_withdraw);
  tcase_add_test (tc, test_receivers);
  tcase_add_test (tc, test_paths_unguessable);
  tcase_add_test (tc, test_large_file_streamed);
  tcase_add_test (tc, test_concurrent_clients);
  tcase_add_test (tc, test_withdraw_and_release_during_response);
  tcase_add_test (tc, test_shared_per_bind);
  tcase_add_test (tc, test_bind_errors);
  tcase_add_test (tc, test_acquire_cancelled);
  tcase_add_test (tc, test_fixed_port_cancelled_then_acquired);
  tcase_add_test (tc, test_accept_without_descriptors);
  tcase_add_test (tc, test_paths_never_logged);
  tcase_add_test (tc, test_idle_connections_closed);
  tcase_add_test (tc, test_connections_bounded);
  suite_add_tcase (s, tc);

  tcase_add_checked_fixture (tp, setup_tmpdir, teardown_tmpdir);
  tcase_add_test (tp, test_publisher_media_server);
  tcase_add_test (tp, test_publisher_binds_lazily);
  tcase_add_test (tp, test_publisher_upload);
  tcase_add_test (tp, test_publisher_no_mode);
  tcase_add_test (tp, test_publisher_check_public_url);
  suite_add_tcase (s, tp);
  return s;
}

GST_CHECK_MAIN (mediaserver);
