/* gst-apixo: unit tests of the API answer parsers and the limiter.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No network here: the parsers take the bytes an HTTP answer would carry
 * (end-to-end behaviour against apixo-sim is in apixosrc.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "gstapixoclient.h"
#include "gstapixohttp.h"
#include "gstapixolimiter.h"
#include "gstapixoworker.h"

#define KEY "sk-test-0123456789"

static GstApixoClient *
new_client (void)
{
  GstApixoSettings settings;
  GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();
  GstApixoRunConfig *config;
  GstApixoClient *made;

  gst_apixo_settings_init (&settings);
  g_free (settings.base_url);
  settings.base_url = g_strdup ("http://127.0.0.1:1/api/v1/");
  g_clear_pointer (&settings.http.proxy, g_free);
  settings.api_key = g_strdup (KEY);
  spec->model = g_strdup ("veo-3-1");
  config = gst_apixo_run_config_new (&settings, spec, NULL);
  made = gst_apixo_client_new (config);
  gst_apixo_run_config_unref (config);
  return made;
}

/* ---- answer parsers: each test gets a client and an empty error --------- */

static GstApixoClient *client;
static GstApixoApiError err;

static void
parser_setup (void)
{
  client = new_client ();
  memset (&err, 0, sizeof (err));
}

static void
parser_teardown (void)
{
  gst_apixo_api_error_clear (&err);
  g_clear_pointer (&client, gst_apixo_client_free);
}

/* The client's reading of a submit answer; its error (cleared first) in
 * err. */
static gchar *
submit (guint status, const gchar *body)
{
  GBytes *bytes = g_bytes_new (body, strlen (body));
  gchar *id;

  gst_apixo_api_error_clear (&err);
  id = gst_apixo_client_parse_submit (client, status, bytes, &err);
  g_bytes_unref (bytes);
  return id;
}

/* The same for a status answer of task_12345678. */
static GstApixoTaskStatus *
status_of (guint status, const gchar *body)
{
  GBytes *bytes = g_bytes_new (body, strlen (body));
  GstApixoTaskStatus *st;

  gst_apixo_api_error_clear (&err);
  st = gst_apixo_client_parse_status (client, "task_12345678", status, bytes,
                                      &err);
  g_bytes_unref (bytes);
  return st;
}

GST_START_TEST (test_submit_success)
{
  gchar *id;

  id = submit (200, "{\"code\":200,\"message\":\"success\","
                    "\"data\":{\"taskId\":\"task_12345678\"}}");
  fail_unless_equals_string (id, "task_12345678");
  fail_unless (err.error == NULL);
  g_free (id);
}

GST_END_TEST;

/* status, body, expected code, transient, not_processed */
typedef struct {
  guint status;
  const gchar *body;
  GstResourceError code;
  gboolean transient;
  gboolean not_processed;
} SubmitFailure;

static const SubmitFailure submit_failures[] = {
  /* the pages' error example: HTTP 200, envelope code 400 */
  { 200, "{\"code\":400,\"message\":\"Insufficient credits\",\"data\":null}",
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE },
  { 402, "{\"code\":402,\"message\":\"Insufficient balance\",\"data\":null}",
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE },
  { 400,
    "{\"code\":400,\"message\":\"Invalid parameters\",\"data\":{\"error\":"
    "\"Missing required field: input.prompt\"}}",
    GST_RESOURCE_ERROR_SETTINGS, FALSE, TRUE },
  { 200,
    "{\"code\":400,\"message\":\"Content violates provider policy, "
    "please adjust the prompt\",\"data\":null}",
    GST_RESOURCE_ERROR_SETTINGS, FALSE, TRUE },
  { 401, "{\"code\":401,\"message\":\"Invalid API key\",\"data\":null}",
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE },
  { 403, "", GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE },
  { 404, "not json", GST_RESOURCE_ERROR_NOT_FOUND, FALSE, TRUE },
  { 429, "{\"code\":429,\"message\":\"Rate limit\",\"data\":null}",
    GST_RESOURCE_ERROR_BUSY, TRUE, TRUE },
  { 503, "", GST_RESOURCE_ERROR_BUSY, TRUE, TRUE },
  /* the service may have created the task: never resent */
  { 500, "", GST_RESOURCE_ERROR_FAILED, TRUE, FALSE },
  { 502, "", GST_RESOURCE_ERROR_FAILED, TRUE, FALSE },
  { 504, "", GST_RESOURCE_ERROR_FAILED, TRUE, FALSE },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":{\"taskI",
    GST_RESOURCE_ERROR_READ, TRUE, FALSE },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":{}}",
    GST_RESOURCE_ERROR_READ, TRUE, FALSE },
  { 200, "{\"code\":200,\"data\":{\"taskId\":\"../../etc/passwd\"}}",
    GST_RESOURCE_ERROR_READ, TRUE, FALSE },
  { 200, "{\"code\":200,\"data\":{\"taskId\":42}}", GST_RESOURCE_ERROR_READ,
    TRUE, FALSE },
  { 200, "[]", GST_RESOURCE_ERROR_READ, TRUE, FALSE },
  { 200, "{\"message\":\"no code\"}", GST_RESOURCE_ERROR_READ, TRUE, FALSE },
  /* code 200 without a data member (it crashed the task) */
  { 200, "{\"code\":200,\"message\":\"ok\"}", GST_RESOURCE_ERROR_READ, TRUE,
    FALSE },
  { 418, "", GST_RESOURCE_ERROR_FAILED, FALSE, FALSE },
};

GST_START_TEST (test_submit_failures)
{
  const SubmitFailure *f = &submit_failures[__i__];
  gchar *id;

  id = submit (f->status, f->body);
  fail_unless (id == NULL, "case %d accepted", __i__);
  fail_unless (err.error != NULL);
  fail_unless (err.error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err.error->code, f->code);
  fail_unless_equals_int (err.transient, f->transient);
  fail_unless_equals_int (err.not_processed, f->not_processed);
  fail_unless_equals_int (err.http_status, f->status);
}

GST_END_TEST;

/* The envelope's message and its data.error often say the same: the error
 * says it once; different texts are both kept. */
GST_START_TEST (test_error_detail_said_once)
{
  const gchar *same = "Invalid value for input.resolution: '999p'";
  gchar *body, *id;
  const gchar *said;

  body = g_strdup_printf (
      "{\"code\":400,\"message\":\"%s\",\"data\":{\"error\":\"%s\"}}", same,
      same);
  id = submit (400, body);
  fail_unless (id == NULL && err.error != NULL);
  said = strstr (err.error->message, same);
  fail_unless (said != NULL, "%s", err.error->message);
  fail_unless (strstr (said + 1, same) == NULL, "%s", err.error->message);
  g_free (body);

  id = submit (400, "{\"code\":400,\"message\":\"Invalid parameters\",\"data\":"
                    "{\"error\":\"Missing required field: input.prompt\"}}");
  fail_unless (id == NULL && err.error != NULL);
  fail_unless (strstr (err.error->message,
                       "Invalid parameters: Missing "
                       "required field: input.prompt") != NULL,
               "%s", err.error->message);
}

GST_END_TEST;

GST_START_TEST (test_status_states)
{
  GstApixoTaskStatus *st;

  st = status_of (200, "{\"code\":200,\"message\":\"success\",\"data\":"
                       "{\"taskId\":\"task_12345678\",\"state\":\"processing\","
                       "\"createTime\":1767965610929}}");
  fail_unless (st != NULL);
  fail_unless_equals_string (st->state, "processing");
  fail_unless_equals_int64 (st->create_time, 1767965610929);
  fail_unless_equals_int64 (st->complete_time, -1);
  fail_unless (st->result_uris == NULL);
  gst_apixo_task_status_free (st);

  st = status_of (
      200, "{\"code\":200,\"message\":\"success\",\"data\":"
           "{\"taskId\":\"task_12345678\",\"state\":\"success\",\"resultJson\":"
           "\"{\\\"resultUrls\\\":[\\\"https://r2.apixo.ai/video.mp4\\\"]}\","
           "\"createTime\":1767965610929,\"completeTime\":1767965652317,"
           "\"costTime\":41388}}");
  fail_unless (st != NULL);
  fail_unless_equals_string (st->result_uris[0],
                             "https://r2.apixo.ai/video.mp4");
  fail_unless (st->result_uris[1] == NULL);
  fail_unless_equals_int64 (st->cost_time, 41388);
  gst_apixo_task_status_free (st);

  /* failed, with control characters and the key echoed in the message */
  st = status_of (
      200,
      "{\"code\":200,\"message\":\"success\",\"data\":"
      "{\"taskId\":\"task_12345678\",\"state\":\"failed\",\"failCode\":"
      "\"CONTENT_VIOLATION\",\"failMsg\":\"bad\\u001b[31m prompt for key " KEY
      "\"}}");
  fail_unless (st != NULL);
  fail_unless_equals_string (st->fail_code, "CONTENT_VIOLATION");
  fail_unless (strchr (st->fail_msg, 0x1b) == NULL);
  fail_unless (strstr (st->fail_msg, KEY) == NULL);
  fail_unless (strstr (st->fail_msg, "***") != NULL);
  gst_apixo_task_status_free (st);

  /* a state this version does not know is passed on as given */
  st = status_of (200, "{\"code\":200,\"data\":{\"taskId\":"
                       "\"task_12345678\",\"state\":\"queued-somewhere\"}}");
  fail_unless (st != NULL);
  fail_unless_equals_string (st->state, "queued-somewhere");
  gst_apixo_task_status_free (st);
}

GST_END_TEST;

static const gchar *bad_status_bodies[] = {
  "",
  "null",
  "{\"code\":200,\"data\":null}",
  "{\"code\":200,\"message\":\"ok\"}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\"}}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":7}}",
  "{\"code\":200,\"data\":{\"taskId\":\"other_task\",\"state\":\"success\"}}",
  /* success without a usable result URL */
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\"}}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":\"not json\"}}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":\"{\\\"resultUrls\\\":[]}\"}}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":\"{\\\"resultUrls\\\":[\\\"file:///etc/"
  "passwd\\\"]}\"}}",
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":{\"resultUrls\":[\"https://a/b.mp4\"]}}}",
  /* a result URL without a host (it reached libsoup and crashed) */
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":\"{\\\"resultUrls\\\":[\\\"http:///"
  "v.mp4\\\"]}\"}}",
  /* or with white space in the host */
  "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
  "\"success\",\"resultJson\":\"{\\\"resultUrls\\\":[\\\"http://a "
  "b/v.mp4\\\"]}\"}}",
};

GST_START_TEST (test_status_malformed)
{
  GstApixoTaskStatus *st;

  st = status_of (200, bad_status_bodies[__i__]);
  fail_unless (st == NULL, "body %d accepted", __i__);
  fail_unless (err.error != NULL);
  fail_unless (err.error->domain == GST_RESOURCE_ERROR);
}

GST_END_TEST;

/* Nesting deep enough to exhaust a thread's stack in a recursive parser
 * (1 MiB of '[', the size bound of an answer; and in resultJson): refused
 * as malformed, no crash.  Brackets inside strings do not count. */
GST_START_TEST (test_deep_nesting)
{
  GstApixoTaskStatus *st;
  gsize n = 1024 * 1024;
  gchar *deep = g_strnfill (n, '[');
  gchar *inner = g_strnfill (100000, '[');
  gchar *body;
  gchar *id;

  id = submit (200, deep);
  fail_unless (id == NULL && err.error != NULL);
  fail_unless_equals_int (err.error->code, GST_RESOURCE_ERROR_READ);
  st = status_of (200, deep);
  fail_unless (st == NULL && err.error != NULL);

  body = g_strdup_printf (
      "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
      "\"success\",\"resultJson\":\"%s\"}}",
      inner);
  st = status_of (200, body);
  fail_unless (st == NULL && err.error != NULL);
  g_free (body);

  /* brackets in strings are text */
  body = g_strdup_printf (
      "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
      "\"failed\",\"failCode\":\"X\",\"failMsg\":\"%.200s \\\" %.200s\"}}",
      inner, inner);
  st = status_of (200, body);
  fail_unless (st != NULL && st->fail_msg != NULL);
  fail_unless (g_str_has_prefix (st->fail_msg, "[[[["));
  gst_apixo_task_status_free (st);
  g_free (body);

  g_free (inner);
  g_free (deep);
}

GST_END_TEST;

static gdouble
retry_after_of (const gchar *value)
{
  SoupMessage *msg = soup_message_new ("GET", "http://127.0.0.1/");
  gdouble seconds;

  soup_message_headers_replace (soup_message_get_response_headers (msg),
                                "Retry-After", value);
  seconds = gst_apixo_http_retry_after (msg);
  g_object_unref (msg);
  return seconds;
}

/* Retry-After: delay-seconds (digits only, capped at an hour) or an HTTP
 * date; anything else (a NaN, a sign, an exponent) is ignored. */
GST_START_TEST (test_retry_after_values)
{
  fail_unless_equals_float (retry_after_of ("2"), 2.0);
  fail_unless_equals_float (retry_after_of ("0"), 0.0);
  fail_unless_equals_float (retry_after_of ("99999999999999999999"), 3600.0);
  fail_unless_equals_float (retry_after_of ("7200"), 3600.0);
  fail_unless_equals_float (retry_after_of ("nan"), -1.0);
  fail_unless_equals_float (retry_after_of ("NaN"), -1.0);
  fail_unless_equals_float (retry_after_of ("inf"), -1.0);
  fail_unless_equals_float (retry_after_of ("-5"), -1.0);
  fail_unless_equals_float (retry_after_of ("1e3"), -1.0);
  fail_unless_equals_float (retry_after_of ("0x10"), -1.0);
  fail_unless_equals_float (retry_after_of ("Wed, 21 Oct 2015 07:28:00 GMT"),
                            0.0);
}

GST_END_TEST;

/* Two threads starting and stopping elements (acquire/release the shared
 * worker) at once: a new worker never starts while the last one's thread
 * is still running (both would touch what is "worker thread only"). */
static gpointer
cycle_worker (gpointer data)
{
  guint *max_threads = data;

  for (guint i = 0; i < 200; i++) {
    GstApixoWorker *w = gst_apixo_worker_acquire ();
    guint n = gst_apixo_worker_count_threads ();

    if (n > *max_threads)
      *max_threads = n;
    gst_apixo_worker_release (w);
  }
  return NULL;
}

GST_START_TEST (test_one_worker_thread_at_a_time)
{
  guint max_a = 0, max_b = 0;
  GThread *a = g_thread_new ("cycle-a", cycle_worker, &max_a);
  GThread *b = g_thread_new ("cycle-b", cycle_worker, &max_b);

  g_thread_join (a);
  g_thread_join (b);
  fail_unless_equals_int (MAX (max_a, max_b), 1);
  fail_unless_equals_int (gst_apixo_worker_count_threads (), 0);
}

GST_END_TEST;

/* A key echoed where the text is cut to its size bound: no part of it
 * survives the cut (redacted before it is truncated). */
GST_START_TEST (test_key_at_the_size_bound)
{
  GstApixoTaskStatus *st;
  gchar *pad = g_strnfill (1024 - 6, 'x');
  gchar *body = g_strdup_printf (
      "{\"code\":200,\"data\":{\"taskId\":\"task_12345678\",\"state\":"
      "\"failed\",\"failCode\":\"X\",\"failMsg\":\"%s%s\"}}",
      pad, KEY);

  st = status_of (200, body);
  fail_unless (st != NULL && st->fail_msg != NULL);
  fail_unless (g_str_has_prefix (st->fail_msg, pad));
  fail_unless (strstr (st->fail_msg, "sk-") == NULL, "%s",
               st->fail_msg + strlen (pad));
  fail_unless (strlen (st->fail_msg) <= 1024);

  gst_apixo_task_status_free (st);
  g_free (body);
  g_free (pad);
}

GST_END_TEST;

/* Mutations of valid answers never crash and never leak the key. */
GST_START_TEST (test_parsers_fuzz)
{
  static const gchar *seeds[] = {
    "{\"code\":200,\"message\":\"success\",\"data\":{\"taskId\":\"task_1\","
    "\"state\":\"success\",\"resultJson\":\"{\\\"resultUrls\\\":"
    "[\\\"https://r2.apixo.ai/video.mp4\\\"]}\",\"costTime\":1}}",
    "{\"code\":400,\"message\":\"" KEY "\",\"data\":{\"error\":\"" KEY "\"}}",
    "{\"code\":200,\"data\":{\"taskId\":\"task_1\",\"state\":\"failed\","
    "\"failCode\":\"X\",\"failMsg\":\"" KEY "\"}}",
  };
  GRand *rand = g_rand_new_with_seed (4242);
  guint i, j;

  for (i = 0; i < 20000; i++) {
    const gchar *seed = seeds[i % G_N_ELEMENTS (seeds)];
    gsize len = strlen (seed);
    guint8 *data = g_memdup2 (seed, len);
    GBytes *bytes;
    gchar *id;
    GstApixoTaskStatus *st;

    for (j = 0; j < 1 + i % 4; j++)
      data[g_rand_int_range (rand, 0, len)] = g_rand_int_range (rand, 0, 256);
    bytes = g_bytes_new_take (data, g_rand_int_range (rand, 0, len + 1));

    id = gst_apixo_client_parse_submit (client, 200, bytes, &err);
    g_free (id);
    if (err.error != NULL)
      fail_unless (strstr (err.error->message, KEY) == NULL);
    gst_apixo_api_error_clear (&err);
    st = gst_apixo_client_parse_status (client, "task_1", 200, bytes, &err);
    if (st != NULL && st->fail_msg != NULL)
      fail_unless (strstr (st->fail_msg, KEY) == NULL);
    gst_apixo_task_status_free (st);
    gst_apixo_api_error_clear (&err);
    g_bytes_unref (bytes);
  }
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_task_id_and_redact)
{
  gchar *r;

  fail_unless (gst_apixo_task_id_is_valid ("task_12345678"));
  fail_unless (gst_apixo_task_id_is_valid ("a-b.c:d"));
  fail_if (gst_apixo_task_id_is_valid (""));
  fail_if (gst_apixo_task_id_is_valid (NULL));
  fail_if (gst_apixo_task_id_is_valid ("a/b"));
  fail_if (gst_apixo_task_id_is_valid ("a b"));
  fail_if (gst_apixo_task_id_is_valid ("x&taskId=y"));

  r = gst_apixo_redact ("key=abc and abcabc", "abc");
  fail_unless_equals_string (r, "key=*** and ******");
  g_free (r);
}

GST_END_TEST;

/* What a server echoes of a URL is cut to its scheme, host and port. */
static const struct {
  const gchar *text, *expect;
} URL_ECHOES[] = {
  { "no URL here", "no URL here" },
  { "https://r2.apixo.ai", "https://r2.apixo.ai" },
  { "see https://r2.apixo.ai/.", "see https://r2.apixo.ai/." },
  { "image_urls[0] (http://u:p@127.0.0.1:8080/in/a.png?sig=S#f): 404",
    "image_urls[0] (http://***@127.0.0.1:8080/***): 404" },
  { "HTTPS://CDN.example/t0k3n/a.png, and http://[::1]:9/x?y",
    "HTTPS://CDN.example/***, and http://[::1]:9/***" },
  { "\"https://h/a_(b)?s=1\"", "\"https://h/***\"" },
  { "at https://h/p?q=1).", "at https://h/***)." },
  { "http://user:p@ss@h/x", "http://***@h/***" },
  { "https://h?token=T", "https://h/***" },
  { "https://", "https://" },
  { "ftp://u:p@h/x?y", "ftp://u:p@h/x?y" },
};

GST_START_TEST (test_redact_url_secrets)
{
  const gchar *text = URL_ECHOES[__i__].text;
  gchar *r = gst_apixo_redact_url_secrets (text);

  fail_unless_equals_string (r, URL_ECHOES[__i__].expect);
  g_free (r);
}

GST_END_TEST;

/* ---- limiter (runs on this thread's default context) --------------------- */

static void
count_grant (gpointer data)
{
  (*(guint *)data)++;
}

static void
iterate_until_idle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

GST_START_TEST (test_limiter_requests)
{
  GstApixoLimiter *limiter;
  GstApixoLimiterWait *waits[5];
  guint granted = 0, i;

  limiter = gst_apixo_limiter_get ("key-requests", "sora-2-pro", 3, 0);
  for (i = 0; i < 5; i++)
    waits[i] =
        gst_apixo_limiter_acquire_request (limiter, count_grant, &granted);
  /* never granted synchronously */
  fail_unless_equals_int (granted, 0);
  iterate_until_idle ();
  /* three in the window, two wait for it to move on */
  fail_unless_equals_int (granted, 3);
  fail_unless_equals_int (gst_apixo_limiter_queued (limiter), 2);
  gst_apixo_limiter_cancel (waits[4]);
  gst_apixo_limiter_cancel (waits[3]);
  fail_unless_equals_int (gst_apixo_limiter_queued (limiter), 0);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 3);

  /* the same key and model share the window across users */
  gst_apixo_limiter_unref (limiter);
  limiter = gst_apixo_limiter_get ("key-requests", "sora-2-pro", 3, 0);
  waits[0] = gst_apixo_limiter_acquire_request (limiter, count_grant, &granted);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 3);
  gst_apixo_limiter_cancel (waits[0]);
  gst_apixo_limiter_unref (limiter);
}

GST_END_TEST;

GST_START_TEST (test_limiter_tasks)
{
  GstApixoLimiter *limiter, *other;
  guint granted = 0, other_granted = 0;

  limiter = gst_apixo_limiter_get ("key-tasks", "sora-2-pro", 0, 2);
  gst_apixo_limiter_acquire_task (limiter, count_grant, &granted);
  gst_apixo_limiter_acquire_task (limiter, count_grant, &granted);
  gst_apixo_limiter_acquire_task (limiter, count_grant, &granted);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 2);
  fail_unless (gst_apixo_limiter_tasks_full (limiter));

  /* another key has its own slots */
  other = gst_apixo_limiter_get ("another-key", "sora-2-pro", 0, 2);
  gst_apixo_limiter_acquire_task (other, count_grant, &other_granted);
  iterate_until_idle ();
  fail_unless_equals_int (other_granted, 1);

  gst_apixo_limiter_release_task (limiter);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 3);
  gst_apixo_limiter_release_task (limiter);
  gst_apixo_limiter_release_task (limiter);
  gst_apixo_limiter_release_task (other);
  fail_if (gst_apixo_limiter_tasks_full (limiter));
  gst_apixo_limiter_unref (limiter);
  gst_apixo_limiter_unref (other);
}

GST_END_TEST;

/* apikeys/current-balance: data is the remaining USD, a number >= 0;
 * anything else is malformed (retried, like a status answer). */
typedef struct {
  guint status;
  const gchar *body;
  gdouble usd;           /* when read */
  GstResourceError code; /* else */
  gboolean transient;
} BalanceAnswer;

static const BalanceAnswer balance_answers[] = {
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":74.87}", 74.87 },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":0}", 0 },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":12}", 12 },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":-0.5}", -1,
    GST_RESOURCE_ERROR_READ, TRUE },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":\"74.87\"}", -1,
    GST_RESOURCE_ERROR_READ, TRUE },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":null}", -1,
    GST_RESOURCE_ERROR_READ, TRUE },
  { 200, "{\"code\":200,\"message\":\"success\",\"data\":{}}", -1,
    GST_RESOURCE_ERROR_READ, TRUE },
  { 200, "{\"code\":200,\"message\":\"success\"}", -1, GST_RESOURCE_ERROR_READ,
    TRUE },
  { 401, "{\"code\":401,\"message\":\"Invalid API key\",\"data\":null}", -1,
    GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE },
  { 404, "", -1, GST_RESOURCE_ERROR_NOT_FOUND, FALSE },
  { 500, "", -1, GST_RESOURCE_ERROR_FAILED, TRUE },
};

GST_START_TEST (test_balance_answers)
{
  const BalanceAnswer *a = &balance_answers[__i__];
  GBytes *bytes = g_bytes_new (a->body, strlen (a->body));
  gdouble usd = -1;
  gboolean read;

  read = gst_apixo_client_parse_balance (client, a->status, bytes, &usd, &err);
  g_bytes_unref (bytes);
  if (a->usd >= 0) {
    fail_unless (read, "%s: %s", a->body, err.error ? err.error->message : "");
    fail_unless (G_APPROX_VALUE (usd, a->usd, 1e-9), "%s: %f", a->body, usd);
    fail_unless (err.error == NULL);
    return;
  }
  fail_if (read, "%s read as %f", a->body, usd);
  fail_unless (err.error != NULL && err.error->code == (gint)a->code, "%s: %s",
               a->body, err.error ? err.error->message : "no error");
  fail_unless_equals_int (err.transient, a->transient);
  /* what failed is said (a refused key is about the key) */
  fail_unless (a->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED ||
                   strstr (err.error->message, "balance") != NULL,
               "%s", err.error->message);
}

GST_END_TEST;

/* The refusals for want of balance are marked, so that the task can say
 * the balance; other refusals are not. */
GST_START_TEST (test_insufficient_balance_marked)
{
  g_free (submit (402, "{\"code\":402,\"message\":\"Insufficient balance\","
                       "\"data\":null}"));
  fail_unless (err.insufficient_balance);
  g_free (submit (200, "{\"code\":400,\"message\":\"Insufficient credits\","
                       "\"data\":null}"));
  fail_unless (err.insufficient_balance);
  g_free (submit (403, ""));
  fail_if (err.insufficient_balance);
  g_free (submit (400, "{\"code\":400,\"message\":\"Invalid parameters\"}"));
  fail_if (err.insufficient_balance);
}

GST_END_TEST;

/* What holds a wait back, for the progress reports: a task wait behind
 * the last free slot, a request wait behind a full window; nothing for a
 * wait about to be granted. */
GST_START_TEST (test_limiter_hold)
{
  GstApixoLimiter *limiter = gst_apixo_limiter_get ("key-hold", "m", 2, 1);
  GstApixoLimiterWait *slot_a, *slot_b, *request;
  guint granted = 0;

  slot_a = gst_apixo_limiter_acquire_task (limiter, count_grant, &granted);
  slot_b = gst_apixo_limiter_acquire_task (limiter, count_grant, &granted);
  fail_unless_equals_int (gst_apixo_limiter_wait_hold (slot_a),
                          GST_APIXO_LIMITER_HOLD_NONE);
  fail_unless_equals_int (gst_apixo_limiter_wait_hold (slot_b),
                          GST_APIXO_LIMITER_HOLD_TASK_SLOT);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 1);
  fail_unless_equals_int (gst_apixo_limiter_wait_hold (slot_b),
                          GST_APIXO_LIMITER_HOLD_TASK_SLOT);

  gst_apixo_limiter_acquire_request (limiter, count_grant, &granted);
  request = gst_apixo_limiter_acquire_request (limiter, count_grant, &granted);
  fail_unless_equals_int (gst_apixo_limiter_wait_hold (request),
                          GST_APIXO_LIMITER_HOLD_NONE);
  iterate_until_idle ();
  fail_unless_equals_int (granted, 3);
  request = gst_apixo_limiter_acquire_request (limiter, count_grant, &granted);
  fail_unless_equals_int (gst_apixo_limiter_wait_hold (request),
                          GST_APIXO_LIMITER_HOLD_RATE);

  gst_apixo_limiter_cancel (request);
  gst_apixo_limiter_cancel (slot_b);
  gst_apixo_limiter_release_task (limiter);
  gst_apixo_limiter_unref (limiter);
}

GST_END_TEST;

static Suite *
client_suite (void)
{
  Suite *s = suite_create ("apixo-client");
  TCase *tp = tcase_create ("parsers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tp);
  tcase_add_checked_fixture (tp, parser_setup, parser_teardown);
  tcase_add_loop_test (tp, test_submit_failures, 0,
                       G_N_ELEMENTS (submit_failures));
  tcase_add_test (tp, test_submit_success);
  tcase_add_loop_test (tp, test_balance_answers, 0,
                       G_N_ELEMENTS (balance_answers));
  tcase_add_test (tp, test_insufficient_balance_marked);
  tcase_add_test (tp, test_error_detail_said_once);
  tcase_add_test (tp, test_status_states);
  tcase_add_test (tp, test_parsers_fuzz);
  tcase_add_test (tp, test_key_at_the_size_bound);
  tcase_add_test (tp, test_deep_nesting);
  tcase_add_loop_test (tp, test_status_malformed, 0,
                       G_N_ELEMENTS (bad_status_bodies));

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_retry_after_values);
  tcase_add_test (tc, test_one_worker_thread_at_a_time);
  tcase_add_test (tc, test_task_id_and_redact);
  tcase_add_loop_test (tc, test_redact_url_secrets, 0,
                       G_N_ELEMENTS (URL_ECHOES));
  tcase_add_test (tc, test_limiter_requests);
  tcase_add_test (tc, test_limiter_tasks);
  tcase_add_test (tc, test_limiter_hold);
  return s;
}

GST_CHECK_MAIN (client);
