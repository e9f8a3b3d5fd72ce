/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The result download of apixosrc against a hostile result host (issue 15,
 * points 1 and 3): a small API (generateTask, statusTask) and a result
 * route on a loopback libsoup server in its own thread, whose result body
 * the test chooses: a real MP4, random bytes, an MP4 cut with a matching
 * Content-Length, a deflate body, a body ended by closing the connection,
 * a trickle, an endless chunked body.  Each bound ends in its error (reason,
 * property), keeps the task id, and leaves nothing at save-location nor in
 * the cache; a result that is not a whole MP4 file never reaches EOS.
 *
 * Synchronisation is by bus messages and server counts, never by sleeping
 * (the trickle's timer is the server's pace, not a wait of the test).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "apixotest.h"
#include "gstapixoerror.h"
#include "testdir.h"

#define TASK_ID "task-download-1"
#define GENERATE "api/v1/generateTask/veo-3-1"
#define STATUS "api/v1/statusTask/veo-3-1"
#define RESULT "results/clip.mp4"
#define RESULT_ETAG "\"clip-1\""
#define ENDLESS_CHUNK (64 * 1024)

typedef enum {
  BODY_WHOLE,   /* the data, with Content-Length (announce: another length) */
  BODY_DEFLATE, /* the data deflated, Content-Encoding: deflate */
  BODY_CLOSE,   /* no length: the data (cut at cut_at for the first
                 * cut_times answers), then the connection closes */
  BODY_TRICKLE, /* Content-Length of the data, one byte every 100 ms */
  BODY_ENDLESS, /* chunked, without end, as fast as it goes */
} BodyMode;

typedef struct {
  GMutex lock;
  BodyMode mode;
  GBytes *data;
  guint64 announce;
  guint64 cut_at;
  guint cut_times;
  guint answers; /* result answers so far */
} ResultConfig;

static ApixoTestServer *server;
static ResultConfig result;
static gchar *tmpdir;
static GBytes *good_mp4;
static GBytes *faststart_mp4; /* moov first: a cut one still plays */

/* ---- the API and the result host ---------------------------------------- */

static void
answer_json (SoupServerMessage *msg, gchar *json)
{
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    json, strlen (json));
}

static void
generate_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer data)
{
  answer_json (msg, g_strdup ("{\"code\":200,\"message\":\"success\","
                              "\"data\":{\"taskId\":\"" TASK_ID "\"}}"));
}

static void
status_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer data)
{
  answer_json (
      msg, g_strdup_printf ("{\"code\":200,\"message\":\"success\",\"data\":{"
                            "\"taskId\":\"" TASK_ID "\",\"state\":\"success\","
                            "\"resultJson\":\"{\\\"resultUrls\\\":[\\\"http://"
                            "127.0.0.1:%u/" RESULT "\\\"]}\",\"costTime\":1}}",
                            apixo_test_server_port (server)));
}

/* A body sent over time, on the server's thread. */
typedef struct {
  SoupServerMessage *msg;
  GBytes *data;
  guint64 pos, end;
  GSource *timer;
  gboolean endless;
} Body;

static void
body_finished (SoupServerMessage *msg, Body *b)
{
  if (b->timer != NULL) {
    g_source_destroy (b->timer);
    g_source_unref (b->timer);
  }
  g_signal_handlers_disconnect_by_data (msg, b);
  g_bytes_unref (b->data);
  g_object_unref (b->msg);
  g_free (b);
}

/* One byte of the trickle. */
static gboolean
body_trickle (gpointer data)
{
  Body *b = data;
  SoupMessageBody *body = soup_server_message_get_response_body (b->msg);

  soup_message_body_append (
      body, SOUP_MEMORY_COPY,
      (const guint8 *)g_bytes_get_data (b->data, NULL) + b->pos, 1);
  if (++b->pos == b->end) {
    soup_message_body_complete (body);
    g_clear_pointer (&b->timer, g_source_unref);
    soup_server_message_unpause (b->msg);
    return G_SOURCE_REMOVE;
  }
  soup_server_message_unpause (b->msg);
  return G_SOURCE_CONTINUE;
}

/* The endless body: another chunk each time one was written. */
static void
body_more (SoupServerMessage *msg, Body *b)
{
  const gchar *data = g_bytes_get_data (b->data, NULL);

  soup_message_body_append (soup_server_message_get_response_body (msg),
                            SOUP_MEMORY_COPY, data, ENDLESS_CHUNK);
}

static Body *
body_new (SoupServerMessage *msg, GBytes *data, guint64 start)
{
  Body *b = g_new0 (Body, 1);

  b->msg = g_object_ref (msg);
  b->data = g_bytes_ref (data);
  b->pos = start;
  b->end = g_bytes_get_size (data);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg),
                                    FALSE);
  g_signal_connect (msg, "finished", G_CALLBACK (body_finished), b);
  return b;
}

/* Content-Length of the trickle, from the Range a resume asks for. */
static void
start_trickle (SoupServerMessage *msg, GBytes *data)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  guint64 size = g_bytes_get_size (data), start = 0;
  SoupRange *ranges;
  int n;
  Body *b;

  soup_message_headers_replace (resp, "ETag", RESULT_ETAG);
  if (soup_message_headers_get_ranges (req, size, &ranges, &n)) {
    start = ranges[0].start;
    soup_message_headers_free_ranges (req, ranges);
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
    soup_message_headers_set_content_range (resp, start, size - 1, size);
  }
  soup_message_headers_set_content_length (resp, size - start);
  b = body_new (msg, data, start);
  b->timer = g_timeout_source_new (100);
  g_source_set_callback (b->timer, body_trickle, b, NULL);
  g_source_attach (b->timer, g_main_context_get_thread_default ());
}

static void
start_endless (SoupServerMessage *msg, GBytes *data)
{
  Body *b;

  soup_message_headers_set_encoding (
      soup_server_message_get_response_headers (msg), SOUP_ENCODING_CHUNKED);
  b = body_new (msg, data, 0);
  b->endless = TRUE;
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (body_more), b);
  body_more (msg, b);
}

static GBytes *
deflate (GBytes *data)
{
  GConverter *zlib =
      G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, -1));
  GOutputStream *mem = g_memory_output_stream_new_resizable ();
  GOutputStream *out = g_converter_output_stream_new (mem, zlib);
  gsize written;
  GBytes *deflated;

  fail_unless (g_output_stream_write_all (out, g_bytes_get_data (data, NULL),
                                          g_bytes_get_size (data), &written,
                                          NULL, NULL));
  fail_unless (g_output_stream_close (out, NULL, NULL));
  deflated =
      g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
  g_object_unref (out);
  g_object_unref (mem);
  g_object_unref (zlib);
  return deflated;
}

static void
answer_whole (SoupServerMessage *msg, GBytes *data, guint64 length)
{
  soup_server_message_set_response (msg, "video/mp4", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (data, NULL),
                                    MIN (length, g_bytes_get_size (data)));
}

/* HTTP/1.0 style: the end of the body is the connection closing. */
static void
close_after_body (SoupServerMessage *msg, gpointer unused)
{
  g_socket_shutdown (soup_server_message_get_socket (msg), FALSE, TRUE, NULL);
}

static void
result_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer unused)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  GBytes *data, *deflated;
  BodyMode mode;
  guint64 announce, cut;

  g_mutex_lock (&result.lock);
  mode = result.mode;
  data = g_bytes_ref (result.data);
  announce = result.announce;
  cut = result.answers++ < result.cut_times ? result.cut_at : G_MAXUINT64;
  g_mutex_unlock (&result.lock);

  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (resp, "Content-Type", "video/mp4");
  switch (mode) {
    case BODY_WHOLE:
      if (announce > 0) {
        /* headers only: the announced length is refused before the body */
        soup_message_headers_set_content_length (resp, announce);
        body_new (msg, data, 0);
        break;
      }
      answer_whole (msg, data, G_MAXUINT64);
      break;
    case BODY_DEFLATE:
      deflated = deflate (data);
      answer_whole (msg, deflated, G_MAXUINT64);
      soup_message_headers_replace (resp, "Content-Encoding", "deflate");
      g_bytes_unref (deflated);
      break;
    case BODY_CLOSE:
      answer_whole (msg, data, cut);
      /* the end of the body is written only once it is complete */
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      soup_message_headers_set_encoding (resp, SOUP_ENCODING_EOF);
      soup_message_headers_replace (resp, "Connection", "close");
      g_signal_connect (msg, "wrote-body", G_CALLBACK (close_after_body), NULL);
      break;
    case BODY_TRICKLE:
      start_trickle (msg, data);
      break;
    case BODY_ENDLESS:
      start_endless (msg, data);
      break;
  }
  g_bytes_unref (data);
}

static void
set_result (BodyMode mode, GBytes *data)
{
  g_mutex_lock (&result.lock);
  result.mode = mode;
  g_clear_pointer (&result.data, g_bytes_unref);
  result.data = g_bytes_ref (data);
  result.announce = 0;
  result.cut_times = 0;
  g_mutex_unlock (&result.lock);
}

/* @size (a multiple of 4) bytes of noise, the same each time. */
static GBytes *
random_bytes (gsize size)
{
  guint32 *words = g_new (guint32, size / 4);
  GRand *rand = g_rand_new_with_seed (15);

  for (gsize i = 0; i < size / 4; i++)
    words[i] = g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (words, size);
}

/* 24 frames, moov before mdat: qtdemux plays what there is of a cut one. */
static GBytes *
make_faststart_mp4 (void)
{
  gchar *dir = apixo_test_dir_new ("apixo-faststart");
  gchar *path = g_build_filename (dir, "faststart.mp4", NULL);
  gchar *launch = g_strdup_printf (
      "videotestsrc num-buffers=24 pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=24/1 ! "
      "x264enc speed-preset=ultrafast ! mp4mux faststart=true ! "
      "filesink location=%s",
      path);
  gchar *contents;
  gsize size;

  apixo_test_play (launch, 60);
  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  g_free (launch);
  g_free (path);
  apixo_test_dir_clear (&dir);
  return g_bytes_new_take (contents, size);
}

/* ---- runs --------------------------------------------------------------- */

static void
setup (void)
{
  if (good_mp4 == NULL)
    good_mp4 = apixo_test_make_mp4 (1.0, 160, 120);
  if (faststart_mp4 == NULL)
    faststart_mp4 = make_faststart_mp4 ();
  g_mutex_init (&result.lock);
  set_result (BODY_WHOLE, good_mp4);
  result.answers = 0;
  tmpdir = apixo_test_dir_new ("apixo-download");
  server = apixo_test_server_start ();
  g_free (
      apixo_test_server_add_handler (server, GENERATE, generate_handler, NULL));
  g_free (apixo_test_server_add_handler (server, STATUS, status_handler, NULL));
  g_free (apixo_test_server_add_handler (server, RESULT, result_handler, NULL));
}

static void
teardown (void)
{
  apixo_test_server_stop (server);
  server = NULL;
  g_clear_pointer (&result.data, g_bytes_unref);
  g_mutex_clear (&result.lock);
  apixo_test_dir_clear (&tmpdir);
}

static gchar *
save_location (void)
{
  return g_build_filename (tmpdir, "clip.mp4", NULL);
}

/* apixosrc against the test server with @props, into @sink (a fakesink by
 * default: push mode), keeping the result at save_location(). */
static ApixoRun *
run_with_sink (const gchar *props, const gchar *sink)
{
  gchar *keep = save_location ();
  gchar *cache = g_build_filename (tmpdir, "cache", NULL);
  gchar *launch = g_strdup_printf (
      "apixosrc name=src base-url=http://127.0.0.1:%u/api/v1 "
      "api-key=test-key model=veo-3-1 prompt=lake early-poll=0.05 "
      "poll-delay=0.1 poll-interval=0.05 retries=1 "
      "retry-backoff-factor=0.05 cache-directory=%s save-location=%s %s ! "
      "%s",
      apixo_test_server_port (server), cache, keep, props, sink);
  ApixoRun *run = apixo_test_run_launch (NULL, launch, 60);

  g_free (launch);
  g_free (cache);
  g_free (keep);
  return run;
}

static ApixoRun *
run (const gchar *props)
{
  return run_with_sink (props, "fakesink");
}

/* Nothing of the result is left at save-location: no file, no .part. */
static void
assert_nothing_kept (void)
{
  gchar *keep = save_location ();
  gchar *part = g_strconcat (keep, ".part", NULL);

  fail_if (g_file_test (keep, G_FILE_TEST_EXISTS), "%s was kept", keep);
  fail_if (g_file_test (part, G_FILE_TEST_EXISTS), "%s was left", part);
  g_free (part);
  g_free (keep);
}

/* The run ended in the error apixosrc posted, GST_RESOURCE_ERROR_READ with
 * @reason, @property (NULL: none) and the task id; no EOS. */
static void
assert_download_error (ApixoRun *r, const gchar *reason, const gchar *property)
{
  const gchar *got_property;

  fail_if (r->eos);
  fail_unless (r->error != NULL);
  fail_unless (
      g_error_matches (r->error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ),
      "%s", r->error->message);
  fail_unless_equals_string (r->error_source, "src");
  fail_unless (r->error_details != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (r->error_details, GST_APIXO_ERROR_FIELD_REASON),
      reason);
  fail_unless_equals_string (
      gst_structure_get_string (r->error_details,
                                GST_APIXO_ERROR_FIELD_TASK_ID),
      TASK_ID);
  got_property = gst_structure_get_string (r->error_details,
                                           GST_APIXO_ERROR_FIELD_PROPERTY);
  fail_unless_equals_string (got_property, property);
  fail_unless_equals_int (apixo_test_server_requests (server, GENERATE), 1);
  assert_nothing_kept ();
}

static void
assert_delivered (ApixoRun *r)
{
  gchar *keep = save_location ();
  ApixoMediaInfo info;

  fail_unless (r->eos, "%s", r->error ? r->error->message : "no EOS");
  fail_unless (apixo_test_probe_file (keep, &info));
  fail_unless_equals_int (info.n_frames, 24);
  g_free (keep);
}

/* ---- tests -------------------------------------------------------------- */

GST_START_TEST (test_whole_mp4_delivered)
{
  ApixoRun *r = run ("");

  assert_delivered (r);
  fail_unless_equals_int (apixo_test_server_requests (server, RESULT), 1);
  apixo_run_free (r);
}

GST_END_TEST;

/* What a result host sends, and what must come of it: an error of
 * apixosrc with @reason and @property after @requests result requests. */
typedef enum {
  DATA_GOOD,     /* the test's MP4 (moov at the end) */
  DATA_CUT,      /* its first 60 % */
  DATA_FAST_CUT, /* the first 60 % of a moov-first MP4 */
  DATA_JUNK,     /* 1 MiB of random bytes */
} Data;

typedef struct {
  const gchar *what;
  BodyMode mode;
  Data data;
  guint64 announce;
  guint cut_times;           /* BODY_CLOSE: answers cut in half */
  const gchar *props, *sink; /* of the run */
  const gchar *reason, *property;
  guint requests; /* result requests made */
} Refused;

static const Refused refused[] = {
  /* not a video, and asking again gives the same bytes */
  { "random bytes as video/mp4", BODY_WHOLE, DATA_JUNK, 0, 0, "", "fakesink",
    GST_APIXO_REASON_INVALID_RESULT, NULL, 1 },
  /* the transfer looks complete, the file is not */
  { "an MP4 cut, with a matching Content-Length", BODY_WHOLE, DATA_CUT, 0, 0,
    "", "fakesink", GST_APIXO_REASON_INVALID_RESULT, NULL, 1 },
  /* qtdemux played such a file silently truncated */
  { "a moov-first MP4 cut, in pull mode", BODY_WHOLE, DATA_FAST_CUT, 0, 0, "",
    "qtdemux ! fakesink", GST_APIXO_REASON_INVALID_RESULT, NULL, 1 },
  { "a deflate body despite Accept-Encoding: identity", BODY_DEFLATE, DATA_GOOD,
    0, 0, "", "fakesink", GST_APIXO_REASON_INVALID_RESULT, NULL, 1 },
  /* asked again (retries=1), cut again */
  { "every body closed early, without a length", BODY_CLOSE, DATA_GOOD, 0,
    G_MAXUINT, "", "fakesink", GST_APIXO_REASON_INVALID_RESULT, NULL, 2 },
  /* 10 bytes a second: resumed with Range once (retries=1); the I/O
   * timeout never fires while bytes trickle */
  { "a trickle below min-speed", BODY_TRICKLE, DATA_GOOD, 0, 0,
    "min-speed=1024 min-speed-time=2", "fakesink", GST_APIXO_REASON_DOWNLOAD,
    "min-speed", 2 },
  { "a trickle past download-deadline", BODY_TRICKLE, DATA_GOOD, 0, 0,
    "min-speed=0 download-deadline=2", "fakesink", GST_APIXO_REASON_DOWNLOAD,
    "download-deadline", 1 },
  /* cut at the bound, not retried */
  { "an endless chunked body", BODY_ENDLESS, DATA_JUNK, 0, 0,
    "max-result-size=1048576", "fakesink", GST_APIXO_REASON_DOWNLOAD,
    "max-result-size", 1 },
  /* refused on the headers */
  { "a Content-Length over max-result-size", BODY_WHOLE, DATA_GOOD,
    2 * 1024 * 1024, 0, "max-result-size=1048576", "fakesink",
    GST_APIXO_REASON_DOWNLOAD, "max-result-size", 1 },
};

static GBytes *
data_of (Data data)
{
  GBytes *mp4 = data == DATA_FAST_CUT ? faststart_mp4 : good_mp4;

  switch (data) {
    case DATA_CUT:
    case DATA_FAST_CUT:
      return g_bytes_new_from_bytes (mp4, 0, g_bytes_get_size (mp4) * 6 / 10);
    case DATA_JUNK:
      return random_bytes (1024 * 1024);
    default:
      return g_bytes_ref (good_mp4);
  }
}

GST_START_TEST (test_refused)
{
  const Refused *c = &refused[__i__];
  GBytes *data = data_of (c->data);
  ApixoRun *r;

  GST_INFO ("%s", c->what);
  set_result (c->mode, data);
  result.announce = c->announce;
  result.cut_at = g_bytes_get_size (data) / 2;
  result.cut_times = c->cut_times;
  r = run_with_sink (c->props, c->sink);
  assert_download_error (r, c->reason, c->property);
  fail_unless_equals_int (apixo_test_server_requests (server, RESULT),
                          c->requests);
  apixo_run_free (r);
  g_bytes_unref (data);
}

GST_END_TEST;

/* A body without a length that the connection closed early: the check
 * catches the cut and asking again helps. */
GST_START_TEST (test_closed_early_retried)
{
  ApixoRun *r;

  set_result (BODY_CLOSE, good_mp4);
  result.cut_at = g_bytes_get_size (good_mp4) / 2;
  result.cut_times = 1;
  r = run ("");
  assert_delivered (r);
  fail_unless_equals_int (apixo_test_server_requests (server, RESULT), 2);
  apixo_run_free (r);
}

GST_END_TEST;

static guint
count_mp4_files (const gchar *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      n += count_mp4_files (path);
    else if (g_str_has_suffix (name, ".mp4"))
      n++;
    g_free (path);
  }
  if (d != NULL)
    g_dir_close (d);
  return n;
}

/* With the cache: an invalid result is not stored, and its task stays
 * open in the journal: the next run fetches the result again without
 * paying (no second generateTask), and that one is stored. */
GST_START_TEST (test_invalid_result_not_cached_task_kept)
{
  GBytes *junk = random_bytes (256 * 1024);
  gchar *cache = g_build_filename (tmpdir, "cache", NULL);
  ApixoRun *r;

  set_result (BODY_WHOLE, junk);
  r = run ("cache=true");
  assert_download_error (r, GST_APIXO_REASON_INVALID_RESULT, NULL);
  fail_unless_equals_int (count_mp4_files (cache), 0);
  apixo_run_free (r);

  set_result (BODY_WHOLE, good_mp4);
  r = run ("cache=true");
  assert_delivered (r);
  fail_unless_equals_int (apixo_test_server_requests (server, GENERATE), 1);
  fail_unless_equals_int (apixo_test_server_requests (server, RESULT), 2);
  fail_unless_equals_int (count_mp4_files (cache), 1);
  apixo_run_free (r);
  g_free (cache);
  g_bytes_unref (junk);
}

GST_END_TEST;

/* min-speed-time outside 1..3600: refused before anything is sent. */
GST_START_TEST (test_min_speed_time_checked)
{
  ApixoRun *r = run ("min-speed-time=0");

  fail_unless (r->error != NULL);
  fail_unless (g_error_matches (r->error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_SETTINGS));
  fail_unless_equals_string (
      gst_structure_get_string (r->error_details,
                                GST_APIXO_ERROR_FIELD_PROPERTY),
      "min-speed-time");
  fail_unless_equals_int (apixo_test_server_requests (server, GENERATE), 0);
  apixo_run_free (r);
}

GST_END_TEST;

static Suite *
apixo_download_suite (void)
{
  Suite *s = suite_create ("apixo_download");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_whole_mp4_delivered);
  tcase_add_loop_test (tc, test_refused, 0, G_N_ELEMENTS (refused));
  tcase_add_test (tc, test_closed_early_retried);
  tcase_add_test (tc, test_invalid_result_not_cached_task_kept);
  tcase_add_test (tc, test_min_speed_time_checked);
  return s;
}

GST_CHECK_MAIN (apixo_download);
