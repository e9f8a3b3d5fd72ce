/* gst-apixo: apixosrc error reporting end to end against apixo-sim.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every way a generation can fail ends in exactly one error message on the
 * bus, posted by apixosrc (never GstBaseSrc's generic "Internal data stream
 * error"; the runs are in push mode, see test_error_in_pull_mode), with the GstResourceError code the failure calls for and an
 * "apixo-error" details structure applications can read without parsing
 * text.  The tests assert domain, code and details; text only where the
 * issue asks for it (failCode and failMsg, the certificate problem, the
 * resume hint).
 *
 * Synchronisation: bus messages and the sim's own records, never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "apixotest.h"

/* The element of every run; the prompts that succeed add [sim:duration=1]
 * (one small render, cached by the sim across runs: same prompt, seed). */
#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p duration=5 "    \
  "seed=1 retry-backoff-factor=0.01 "

APIXO_TEST_FIXTURE (0.005, NULL)

/* ---- helpers ------------------------------------------------------------- */

/* Runs "@src ! fakesink" (@src: an apixosrc named "src") and checks what
 * every failure must give: exactly one error, from apixosrc, in the
 * resource domain, with details; no EOS. */
static ApixoRun *
run_failing_src (SimFixture *on, const gchar *src)
{
  gchar *launch = g_strdup_printf ("%s ! fakesink", src);
  ApixoRun *run = apixo_test_run_launch (on, launch, 60);
  GList *l;

  fail_unless (run->error != NULL, "no error for '%s'", launch);
  fail_if (run->eos);
  /* one error: ours, not followed (or replaced) by basesrc's generic one */
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless_equals_string (run->error_source, "src");
  for (l = run->messages; l != NULL; l = l->next) {
    GError *error = NULL;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_ERROR)
      continue;
    gst_message_parse_error (l->data, &error, NULL);
    fail_if (error->domain == GST_STREAM_ERROR, "generic error: %s",
             error->message);
    g_error_free (error);
  }
  fail_unless (run->error_details != NULL, "no details: %s",
               run->error->message);
  fail_unless (gst_structure_has_name (run->error_details, "apixo-error"));
  g_free (launch);
  return run;
}

/* run_failing_src() of SRC_FMT @props. */
static ApixoRun *
run_failing_on (SimFixture *on, const gchar *props)
{
  gchar *src = g_strdup_printf (SRC_FMT "%s", props);
  ApixoRun *run = run_failing_src (on, src);

  g_free (src);
  return run;
}

static ApixoRun *
run_failing (const gchar *props)
{
  return run_failing_on (sim, props);
}

static void
assert_code (ApixoRun *run, GstResourceError code)
{
  fail_unless (run->error->domain == GST_RESOURCE_ERROR, "%s: %s",
               g_quark_to_string (run->error->domain), run->error->message);
  fail_unless (run->error->code == (gint)code, "code %d, expected %d: %s",
               run->error->code, code, run->error->message);
}

static const gchar *
detail_string (ApixoRun *run, const gchar *field)
{
  return gst_structure_get_string (run->error_details, field);
}

static guint
detail_http_status (ApixoRun *run)
{
  guint status = 0;

  fail_unless (
      gst_structure_get_uint (run->error_details, "http-status", &status));
  return status;
}

static gint
detail_api_code (ApixoRun *run)
{
  gint code = 0;

  fail_unless (gst_structure_get_int (run->error_details, "api-code", &code));
  return code;
}

static gboolean
contains_nocase (const gchar *text, const gchar *word)
{
  gchar *a = g_ascii_strdown (text, -1), *b = g_ascii_strdown (word, -1);
  gboolean ret = strstr (a, b) != NULL;

  g_free (a);
  g_free (b);
  return ret;
}

/* The sim answered every submission, @n of them, with HTTP @status and
 * created no task. */
static void
assert_submissions_refused (guint n, gint status)
{
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", status),
                          n);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), n);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
}

/* ---- failed tasks -------------------------------------------------------- */

/* The fail codes of the pages and service-facts.md, the second vocabulary
 * one page uses, and a code this version does not know, with the code
 * fail_code_to_error() (gstapixotask.c) maps them to. */
static const struct {
  const gchar *fail_code;
  GstResourceError error;
} fail_codes[] = {
  { "CONTENT_VIOLATION", GST_RESOURCE_ERROR_SETTINGS },
  { "NSFW_DETECTED", GST_RESOURCE_ERROR_SETTINGS },
  { "PROMPT_TOO_LONG", GST_RESOURCE_ERROR_SETTINGS },
  { "INVALID_PROMPT", GST_RESOURCE_ERROR_SETTINGS },
  { "INVALID_IMAGE_URL", GST_RESOURCE_ERROR_OPEN_READ },
  { "IMAGE_TOO_LARGE", GST_RESOURCE_ERROR_SETTINGS },
  { "UNSUPPORTED_FORMAT", GST_RESOURCE_ERROR_SETTINGS },
  { "IMAGE_DOWNLOAD_FAILED", GST_RESOURCE_ERROR_OPEN_READ },
  { "INVALID_PARAMETER", GST_RESOURCE_ERROR_SETTINGS },
  { "INSUFFICIENT_BALANCE", GST_RESOURCE_ERROR_NOT_AUTHORIZED },
  { "INSUFFICIENT_CREDITS", GST_RESOURCE_ERROR_NOT_AUTHORIZED },
  { "TIMEOUT", GST_RESOURCE_ERROR_FAILED },
  { "PROCESSING_TIMEOUT", GST_RESOURCE_ERROR_FAILED },
  { "MODEL_UNAVAILABLE", GST_RESOURCE_ERROR_FAILED },
  { "GENERATION_FAILED", GST_RESOURCE_ERROR_FAILED },
  { "SensitiveContentDetected", GST_RESOURCE_ERROR_SETTINGS },
  { "NSFW", GST_RESOURCE_ERROR_SETTINGS },
  { "BRAND_NEW_FAIL_CODE_42", GST_RESOURCE_ERROR_FAILED },
};

/* @text with @url, which it holds, as "scheme://host:port/" then three
 * asterisks: how a URL the service echoes is shown. */
static gchar *
url_cut_to_host (const gchar *text, const gchar *url)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  gchar *shown = g_strdup_printf ("%s://%s:%d/***", g_uri_get_scheme (uri),
                                  g_uri_get_host (uri), g_uri_get_port (uri));
  const gchar *at = strstr (text, url);
  gchar *out;

  fail_unless (at != NULL, "'%s' does not name %s", text, url);
  out = g_strdup_printf ("%.*s%s%s", (gint)(at - text), text, shown,
                         at + strlen (url));
  g_uri_unref (uri);
  g_free (shown);
  return out;
}

/* Checks a "failed" task's error against the sim's record of the task,
 * whose failMsg names @echoed_url if not NULL (cut to its host in what the
 * element shows: its path or query may be a secret). */
static void
check_failed_task (ApixoRun *run, const gchar *fail_code, GstResourceError code,
                   const gchar *echoed_url)
{
  gchar *task_id = apixo_test_only_task_id (sim);
  JsonObject *task = sim_fixture_get_task (sim, task_id);
  const gchar *said = json_object_get_string_member (task, "failMsg");
  gchar *fail_msg =
      echoed_url ? url_cut_to_host (said, echoed_url) : g_strdup (said);

  fail_unless_equals_string (json_object_get_string_member (task, "state"),
                             "failed");
  fail_unless_equals_string (json_object_get_string_member (task, "failCode"),
                             fail_code);
  assert_code (run, code);
  fail_unless_equals_string (detail_string (run, "reason"), "failed");
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  fail_unless_equals_string (detail_string (run, "fail-code"), fail_code);
  fail_unless_equals_string (detail_string (run, "fail-msg"), fail_msg);
  /* what a user reads first carries the service's own words */
  fail_unless (strstr (run->error->message, fail_code) != NULL, "%s",
               run->error->message);
  fail_unless (strstr (run->error->message, fail_msg) != NULL, "%s",
               run->error->message);
  /* not submitted twice */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  json_object_unref (task);
  g_free (fail_msg);
  g_free (task_id);
}

GST_START_TEST (test_fail_code)
{
  const gchar *fail_code = fail_codes[__i__].fail_code;
  gchar *props = g_strdup_printf ("prompt=\"errors [sim:fail=%s]\"", fail_code);
  ApixoRun *run = run_failing (props);

  check_failed_task (run, fail_code, fail_codes[__i__].error, NULL);
  apixo_run_free (run);
  g_free (props);
}

GST_END_TEST;

static void
check_invalid_image_url (const gchar *uri)
{
  gchar *props = g_strdup_printf (
      "prompt=\"animate this picture\" image-uris=\"<\\\"%s\\\">\"", uri);
  ApixoRun *run = run_failing (props);
  JsonObject *task;
  gchar *task_id = apixo_test_only_task_id (sim);

  /* image-to-video was requested, the sim tried the URL and gave up */
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_string (
      json_object_get_string_member (
          json_object_get_object_member (
              json_object_get_object_member (task, "request"), "input"),
          "mode"),
      "image-to-video");
  check_failed_task (run, "INVALID_IMAGE_URL", GST_RESOURCE_ERROR_OPEN_READ,
                     uri);
  json_object_unref (task);
  g_free (task_id);
  apixo_run_free (run);
  g_free (props);
}

/* A real INVALID_IMAGE_URL: the sim cannot fetch the image. */
GST_START_TEST (test_image_url_closed_port)
{
  gchar *uri = g_strdup_printf ("http://127.0.0.1:%u/first.png",
                                apixo_test_free_port ());

  check_invalid_image_url (uri);
  g_free (uri);
}

GST_END_TEST;

GST_START_TEST (test_image_url_not_found)
{
  ApixoTestServer *server = apixo_test_server_start ();
  GBytes *png = apixo_test_make_image (320, 320, "png", 0x336699);
  gchar *there = apixo_test_server_add (server, "there.png", png, "image/png");
  gchar *missing = g_strdup (there);

  /* same server, a name it does not serve: 404 */
  memcpy (strstr (missing, "there.png"), "where", 5);
  check_invalid_image_url (missing);
  fail_unless_equals_int (apixo_test_server_requests (server, "there.png"), 0);
  g_free (missing);
  g_free (there);
  g_bytes_unref (png);
  apixo_test_server_stop (server);
}

GST_END_TEST;

/* ---- HTTP answers -------------------------------------------------------- */

/* 401: the sim only accepts another key.  Nothing is retried. */
GST_START_TEST (test_http_401)
{
  SimFixture *strict =
      sim_fixture_start (0.005, "--api-key", "the-real-key", NULL);
  ApixoRun *run = run_failing_on (strict, "prompt=\"errors\"");

  assert_code (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  fail_unless_equals_int (detail_http_status (run), 401);
  fail_unless_equals_string (detail_string (run, "reason"), "http");
  fail_if (gst_structure_has_field (run->error_details, "task-id"));
  /* the key that was refused is not repeated to the user */
  fail_if (strstr (run->error->message, "test-key") != NULL);
  fail_if (strstr (run->error_debug, "test-key") != NULL);
  fail_unless_equals_int (sim_fixture_count_requests (strict, "generate", 401),
                          1);
  fail_unless_equals_int (sim_fixture_count_requests (strict, "generate", -1),
                          1);
  fail_unless_equals_int (sim_fixture_count_tasks (strict), 0);
  apixo_run_free (run);
  sim_fixture_stop (strict);
}

GST_END_TEST;

/* 403, "key or account cannot access the model": NOT_AUTHORIZED, with
 * the status in the details, and never retried ("Do not retry
 * 400/401/402/403/404 before fixing the request"). */
GST_START_TEST (test_forbidden_http_403)
{
  ApixoRun *run;

  sim_fixture_add_fault (sim, "generate", "403", 1);
  run = run_failing ("prompt=\"forbidden\"");
  assert_code (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  fail_unless_equals_int (detail_http_status (run), 403);
  fail_unless (strstr (run->error->message, "403") != NULL, "%s",
               run->error->message);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
  apixo_run_free (run);
}

GST_END_TEST;

/* wan-2-5-video documents HTTP 402 for an empty account. */
GST_START_TEST (test_balance_http_402)
{
  ApixoRun *run;

  sim_fixture_set_balance (sim, 0);
  run = run_failing ("prompt=\"errors\"");
  assert_code (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  fail_unless_equals_int (detail_http_status (run), 402);
  fail_unless (contains_nocase (run->error->message, "balance"), "%s",
               run->error->message);
  assert_submissions_refused (1, 402);
  apixo_run_free (run);
}

GST_END_TEST;

/* The other pages: HTTP 200 with {"code": 400, "message": "Insufficient
 * credits"}. */
GST_START_TEST (test_balance_body_400)
{
  g_autoptr (ApixoRun) run = NULL;
  GstElement *pipeline;

  sim_fixture_set_balance (sim, 0);
  pipeline = apixo_test_parse (sim, "apixosrc @SIM@ name=src model=veo-3-1 "
                                    "prompt=\"errors\" ! fakesink");
  run = apixo_test_run (pipeline, 60);
  gst_object_unref (pipeline);
  fail_unless (run->error != NULL);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless (run->error_details != NULL);
  assert_code (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  fail_unless_equals_int (detail_http_status (run), 200);
  fail_unless_equals_int (detail_api_code (run), 400);
  fail_unless (contains_nocase (run->error->message, "balance"), "%s",
               run->error->message);
  assert_submissions_refused (1, 200);
}

GST_END_TEST;

/* A request the service rejects (here: a prompt marker the sim does not
 * know, which the element cannot check) -> SETTINGS with its message. */
GST_START_TEST (test_http_400)
{
  ApixoRun *run = run_failing ("prompt=\"errors [sim:no-such-marker]\"");

  assert_code (run, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless_equals_int (detail_http_status (run), 400);
  fail_unless_equals_int (detail_api_code (run), 400);
  fail_unless (strstr (run->error->message, "no-such-marker") != NULL, "%s",
               run->error->message);
  assert_submissions_refused (1, 400);
  apixo_run_free (run);
}

GST_END_TEST;

/* A model id the service does not know: passed through (with a warning),
 * answered 404 -> NOT_FOUND. */
GST_START_TEST (test_http_404_unknown_model)
{
  g_autoptr (ApixoRun) run = NULL;
  GstElement *pipeline;

  pipeline = apixo_test_parse (sim, "apixosrc @SIM@ name=src model=wan-9-9 "
                                    "mode=text-to-video prompt=\"errors\" ! "
                                    "fakesink");
  run = apixo_test_run (pipeline, 60);
  gst_object_unref (pipeline);
  fail_unless (run->error != NULL);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless (run->error_details != NULL);
  assert_code (run, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless_equals_int (detail_http_status (run), 404);
  fail_unless_equals_string (detail_string (run, "model"), "wan-9-9");
  assert_submissions_refused (1, 404);
}

GST_END_TEST;

/* 429 on submit is retried (the task certainly was not created), within
 * the budget: retries=1 and two 429s -> BUSY. */
GST_START_TEST (test_http_429_beyond_budget)
{
  ApixoRun *run;

  sim_fixture_add_fault (sim, "generate", "429", 2);
  run = run_failing ("retries=1 prompt=\"errors\"");
  assert_code (run, GST_RESOURCE_ERROR_BUSY);
  fail_unless_equals_int (detail_http_status (run), 429);
  assert_submissions_refused (2, 429);
  apixo_run_free (run);
}

GST_END_TEST;

/* 500/502/504 on status polls, more of them than retries=1 allows. */
static const gint status_5xx[] = { 500, 502, 504 };

GST_START_TEST (test_status_5xx_beyond_budget)
{
  gint status = status_5xx[__i__];
  gchar *fault = g_strdup_printf ("%d", status);
  gchar *task_id;
  ApixoRun *run;

  sim_fixture_add_fault (sim, "status", fault, 2);
  run = run_failing ("retries=1 prompt=\"errors [sim:delay=3000]\"");
  task_id = apixo_test_only_task_id (sim);
  assert_code (run, GST_RESOURCE_ERROR_FAILED);
  fail_unless_equals_int (detail_http_status (run), status);
  fail_unless_equals_string (detail_string (run, "reason"), "http");
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  /* the task goes on without us: the user is told how to pick it up */
  fail_unless (strstr (run->error->message, task_id) != NULL);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", status),
                          2);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 2);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  g_free (task_id);
  g_free (fault);
  apixo_run_free (run);
}

GST_END_TEST;

/* The result download fails more often than retries=1 allows: the error
 * names the task (its result can still be fetched by resuming it) and the
 * HTTP status. */
GST_START_TEST (test_result_5xx_beyond_budget)
{
  ApixoRun *run;
  gchar *task_id;

  sim_fixture_add_fault (sim, "result", "500", 2);
  run = run_failing ("retries=1 prompt=\"errors [sim:duration=1]\"");
  task_id = apixo_test_only_task_id (sim);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_string (detail_string (run, "reason"), "download");
  fail_unless_equals_int (detail_http_status (run), 500);
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "result", 500), 2);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "result", -1), 2);
  g_free (task_id);
  apixo_run_free (run);
}

GST_END_TEST;

/* Resuming a task the service does not know: NOT_FOUND, nothing
 * submitted. */
GST_START_TEST (test_resume_unknown_task)
{
  ApixoRun *run =
      run_failing_src (sim, "apixosrc @SIM@ name=src model=wan-2-5-video "
                            "task-id=task_000000000000000000000000");

  assert_code (run, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless_equals_int (detail_http_status (run), 404);
  fail_unless_equals_string (detail_string (run, "task-id"),
                             "task_000000000000000000000000");
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", 404), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  apixo_run_free (run);
}

GST_END_TEST;

/* Resuming a task with another model than its own: the service does not
 * find it under that model (404).  The error names the model it was asked
 * with and says to check both; it does not suggest the same settings
 * again ("set task-id=... to resume it"), which would fail the same way. */
GST_START_TEST (test_resume_with_the_wrong_model)
{
  ApixoRun *done = apixo_test_run_launch (
      sim, SRC_FMT "prompt=\"a kite [sim:duration=1]\" ! fakesink", 60);
  gchar *task_id = apixo_test_only_task_id (sim);
  gchar *src = g_strdup_printf ("apixosrc @SIM@ name=src model=veo-3-1 "
                                "task-id=%s",
                                task_id);
  gchar *same =
      g_strdup_printf ("task-id=%s (model=veo-3-1) to resume", task_id);
  ApixoRun *run;

  fail_unless (done->eos && done->error == NULL);
  run = run_failing_src (sim, src);
  assert_code (run, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless_equals_int (detail_http_status (run), 404);
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  fail_unless (strstr (run->error->message, "model=veo-3-1") != NULL, "%s",
               run->error->message);
  fail_unless (strstr (run->error->message, "check that task-id and model") !=
                   NULL,
               "%s", run->error->message);
  fail_unless (strstr (run->error->message, same) == NULL, "%s",
               run->error->message);
  fail_unless (strstr (run->error->message, "to resume it") == NULL, "%s",
               run->error->message);
  /* only the one task, submitted once */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  apixo_run_free (run);
  apixo_run_free (done);
  g_free (same);
  g_free (src);
  g_free (task_id);
}

GST_END_TEST;

/* A state this version does not know: reported as given (a warning naming
 * it), and the element keeps waiting until the task ends. */
GST_START_TEST (test_unknown_state)
{
  g_autoptr (ApixoRun) run = NULL;
  GList *l;
  guint warnings = 0;
  const GstStructure *s;

  run = apixo_test_run_launch (
      sim,
      SRC_FMT "prompt=\"errors [sim:state=weird] [sim:duration=1]\" ! "
              "fakesink",
      60);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  for (l = run->messages; l != NULL; l = l->next) {
    GError *error = NULL;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (l->data, &error, NULL);
    if (strstr (error->message, "'weird'") != NULL) {
      const GstStructure *details = NULL;

      warnings++;
      fail_unless (error->domain == GST_RESOURCE_ERROR);
      gst_message_parse_warning_details (l->data, &details);
      fail_unless (details != NULL);
      fail_unless (gst_structure_has_name (details, "apixo-error"));
      fail_unless_equals_string (gst_structure_get_string (details, "reason"),
                                 "unknown-state");
      fail_unless (gst_structure_get_string (details, "task-id") != NULL);
    }
    g_error_free (error);
  }
  /* once, not at every poll */
  fail_unless_equals_int (warnings, 1);
  s = apixo_run_task_event (run, "state");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "state"), "weird");
  fail_unless (apixo_run_task_event (run, "success") != NULL);
  fail_unless (apixo_run_task_event (run, "downloaded") != NULL);
}

GST_END_TEST;

/* ---- network failures ---------------------------------------------------- */

GST_START_TEST (test_connection_refused)
{
  gchar *launch = g_strdup_printf (
      "apixosrc name=src base-url=http://127.0.0.1:%u/api/v1 api-key=k "
      "model=wan-2-5-video prompt=errors retries=1 "
      "retry-backoff-factor=0.01 ! fakesink",
      apixo_test_free_port ());
  g_autoptr (ApixoRun) run = apixo_test_run_launch (NULL, launch, 60);

  fail_unless (run->error != NULL);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless (run->error_details != NULL);
  assert_code (run, GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless_equals_string (detail_string (run, "reason"), "network");
  fail_unless_equals_int (detail_http_status (run), 0);
  g_free (launch);
}

GST_END_TEST;

#define DNS_HOST "apixo-test-host.invalid"

static void
resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  GList *addresses;

  addresses =
      g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, error);
  if (addresses != NULL) {
    g_resolver_free_addresses (addresses);
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "resolved");
  }
}

/* TRUE if DNS_HOST fails to resolve (NOT_FOUND) within 5 s here. */
static gboolean
dns_fails_fast (void)
{
  GMainContext *context = g_main_context_new ();
  GResolver *resolver;
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean ret;

  g_main_context_push_thread_default (context);
  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, DNS_HOST, NULL, resolved, &error);
  while (error == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, FALSE);
  ret = g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_object_unref (resolver);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return ret;
}

GST_START_TEST (test_dns_failure)
{
  g_autoptr (ApixoRun) run = NULL;

  if (!dns_fails_fast ()) {
    g_printerr ("test_dns_failure: SKIPPED: name resolution of " DNS_HOST
                " does not fail fast here\n");
    return;
  }
  run = apixo_test_run_launch (
      NULL,
      "apixosrc name=src base-url=http://" DNS_HOST "/api/v1 api-key=k "
      "allow-insecure-http=true "
      "model=wan-2-5-video prompt=errors retries=0 ! fakesink",
      60);
  fail_unless (run->error != NULL);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless (run->error_details != NULL);
  assert_code (run, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless_equals_string (detail_string (run, "reason"), "network");
}

GST_END_TEST;

/* HTTPS with a certificate the element does not trust (the sim over TLS
 * with tests/data's self-signed one, and no tls-database): an error that
 * names the certificate problem and what to do; nothing is sent. */
GST_START_TEST (test_tls_unknown_ca)
{
  SimFixture *tls_sim = sim_fixture_start_tls (0.005);
  gchar *launch = g_strdup_printf (
      "apixosrc name=src base-url=%s api-key=k model=wan-2-5-video "
      "prompt=errors ! fakesink",
      sim_fixture_base_url (tls_sim));
  ApixoRun *run;

  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
               "no TLS backend: install glib-networking");
  run = apixo_test_run_launch (NULL, launch, 60);
  fail_unless (run->error != NULL);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless (run->error_details != NULL);
  assert_code (run, GST_RESOURCE_ERROR_OPEN_READ);
  /* names the problem and what to do about it */
  fail_unless (strstr (run->error->message, "certificate") != NULL, "%s",
               run->error->message);
  fail_unless (strstr (run->error->message, "tls-database") != NULL, "%s",
               run->error->message);
  /* refused at the handshake: no request reached the service, and none was
   * retried into it */
  fail_unless_equals_int (sim_fixture_count_requests (tls_sim, "generate", -1),
                          0);
  fail_unless_equals_int (sim_fixture_count_tasks (tls_sim), 0);
  apixo_run_free (run);
  g_free (launch);
  sim_fixture_stop (tls_sim);
}

GST_END_TEST;

/* No answer within timeout=1 (the sim holds the status answer 5 s) ->
 * READ, naming the task. */
GST_START_TEST (test_io_timeout)
{
  ApixoRun *run;
  gchar *task_id;

  sim_fixture_add_fault_full (sim, "status", "slow", 1, 5, NULL);
  run = run_failing ("timeout=1 retries=0 prompt=\"errors [sim:delay=3000]\"");
  task_id = apixo_test_only_task_id (sim);
  assert_code (run, GST_RESOURCE_ERROR_READ);
  fail_unless_equals_string (detail_string (run, "reason"), "network");
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
  g_free (task_id);
  apixo_run_free (run);
}

GST_END_TEST;

/* The total deadline: the task is still running (and billed); the error
 * says which one and how to resume it. */
GST_START_TEST (test_deadline)
{
  ApixoRun *run;
  gchar *task_id, *hint;
  JsonObject *task;
  const gchar *state;

  run = run_failing ("deadline=1 prompt=\"errors [sim:delay=3000]\"");
  task_id = apixo_test_only_task_id (sim);
  assert_code (run, GST_RESOURCE_ERROR_READ);
  fail_unless_equals_string (detail_string (run, "reason"), "deadline");
  fail_unless_equals_string (detail_string (run, "task-id"), task_id);
  hint = g_strdup_printf ("task-id=%s", task_id);
  fail_unless (strstr (run->error->message, hint) != NULL, "%s",
               run->error->message);
  /* given up on, not failed: the service is still working on it */
  task = sim_fixture_get_task (sim, task_id);
  state = json_object_get_string_member (task, "state");
  fail_unless (g_str_equal (state, "pending") ||
                   g_str_equal (state, "processing"),
               "%s", state);
  json_object_unref (task);
  g_free (hint);
  g_free (task_id);
  apixo_run_free (run);
}

GST_END_TEST;

/* The deadline passes while the submission is sent but unanswered (the sim
 * created the task and holds the answer): the task may exist and be
 * billed, so the error is the "outcome unknown" one, not "nothing was
 * billed". */
GST_START_TEST (test_deadline_during_submit)
{
  ApixoRun *run;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, 3600, NULL);
  run = run_failing ("deadline=1 prompt=\"errors\"");
  assert_code (run, GST_RESOURCE_ERROR_FAILED);
  fail_unless_equals_string (detail_string (run, "reason"), "outcome-unknown");
  fail_if (gst_structure_has_field (run->error_details, "task-id"));
  fail_if (strstr (run->error->message, "nothing was billed") != NULL, "%s",
           run->error->message);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  apixo_run_free (run);
}

GST_END_TEST;

/* Before anything was sent (waiting for a task slot: sora-2-pro's ten are
 * taken by another pipeline of this process), the deadline costs nothing:
 * BUSY, and the task is never submitted.  Eleven tasks of one request:
 * without the journal, which would make them share one. */
#define SORA_LONG                                                              \
  "model=sora-2-pro duration=4 early-poll=0 poll-delay=60 journal=false "      \
  "prompt=\"errors [sim:delay=3000] [sim:duration=0.25]\" "

GST_START_TEST (test_deadline_before_submit)
{
  GString *launch = g_string_new (NULL);
  GstElement *holders;
  ApixoRun *run;
  guint i;

  /* ten long tasks hold the slots */
  for (i = 0; i < 10; i++)
    g_string_append_printf (launch, "apixosrc @SIM@ " SORA_LONG " ! fakesink ");
  holders = apixo_test_parse (sim, launch->str);
  g_string_free (launch, TRUE);
  fail_unless_equals_int (gst_element_set_state (holders, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  fail_unless (sim_fixture_wait_tasks (sim, 10, 60));

  /* the eleventh waits for a slot and gives up */
  run =
      run_failing_src (sim, "apixosrc @SIM@ name=src " SORA_LONG "deadline=1");
  assert_code (run, GST_RESOURCE_ERROR_BUSY);
  fail_unless_equals_string (detail_string (run, "reason"), "deadline");
  fail_if (gst_structure_has_field (run->error_details, "task-id"));
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 10);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 10);
  apixo_run_free (run);

  fail_unless_equals_int (gst_element_set_state (holders, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (holders);
}

GST_END_TEST;

/* With a demuxer pulling from apixosrc (qtdemux, decodebin: every real
 * pipeline), a failure ends in one error, ours: once it is posted the
 * source answers GST_FLOW_FLUSHING in pull mode, so the demuxer pauses
 * without adding "Internal data stream error" / "no playable streams"
 * (which also raced the application's state change). */
GST_START_TEST (test_error_in_pull_mode)
{
  g_autoptr (ApixoRun) run = apixo_test_run_launch (
      sim,
      SRC_FMT "prompt=\"errors [sim:fail=GENERATION_FAILED]\" ! qtdemux ! "
              "fakesink",
      60);

  fail_unless (run->error != NULL);
  fail_unless_equals_string (run->error_source, "src");
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
}

GST_END_TEST;

/* save-location's directory vanishes while the task runs (it was checked
 * at start): the error says the task succeeded and how to fetch its
 * result again, with the task id in the details. */
GST_START_TEST (test_save_location_gone_after_success)
{
  gchar *dir = g_dir_make_tmp ("apixo-gone-XXXXXX", NULL);
  gchar *save = g_build_filename (dir, "out.mp4", NULL);
  gchar *launch = g_strdup_printf (
      SRC_FMT "prompt=\"gone [sim:delay=400]\" save-location=%s ! fakesink",
      save);
  GstElement *pipeline = apixo_test_parse (sim, launch);
  GstMessage *msg = NULL;
  const GstStructure *details = NULL;
  gchar *task_id = NULL;
  GError *error = NULL;
  gchar *hint;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  /* submitted: the task exists (and takes 2 s more) */
  while (task_id == NULL) {
    const GstStructure *s;

    msg = apixo_test_wait_message (pipeline, GST_MESSAGE_ELEMENT, 30);
    fail_unless (msg != NULL);
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "apixo-task") &&
        g_strcmp0 (gst_structure_get_string (s, "event"), "submitted") == 0)
      task_id = g_strdup (gst_structure_get_string (s, "task-id"));
    gst_message_unref (msg);
  }
  fail_unless (g_rmdir (dir) == 0);

  msg = apixo_test_wait_message (pipeline, GST_MESSAGE_ERROR, 30);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &error, NULL);
  gst_message_parse_error_details (msg, &details);
  fail_unless (error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (error->code, GST_RESOURCE_ERROR_OPEN_WRITE);
  hint = g_strdup_printf ("task-id=%s", task_id);
  fail_unless (strstr (error->message, hint) != NULL, "%s", error->message);
  fail_unless (strstr (error->message, "save-location") != NULL);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "task-id"),
                             task_id);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  /* one task, paid once */
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);

  g_clear_error (&error);
  g_free (hint);
  g_free (task_id);
  gst_object_unref (pipeline);
  g_free (launch);
  g_free (save);
  g_free (dir);
}

GST_END_TEST;

/* A field sent unchecked through extra-input that the service refuses: a
 * SETTINGS error with the service's text said once (the envelope's message
 * and its data.error say the same), and nothing else sent. */
GST_START_TEST (test_extra_input_rejected)
{
  ApixoRun *run = run_failing (
      "prompt=\"errors\" extra-input=\"x,resolution=(string)999p\"");
  const gchar *text = "input.resolution";
  const gchar *said;

  assert_code (run, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless_equals_int (detail_http_status (run), 400);
  fail_unless_equals_string (detail_string (run, "reason"), "http");
  said = strstr (run->error->message, text);
  fail_unless (said != NULL, "%s", run->error->message);
  fail_unless (strstr (said + strlen (text), text) == NULL, "said twice: %s",
               run->error->message);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
  apixo_run_free (run);
}

GST_END_TEST;

static Suite *
apixosrc_errors_suite (void)
{
  Suite *s = suite_create ("apixosrc_errors");
  TCase *tc = tcase_create ("errors");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_fail_code, 0, G_N_ELEMENTS (fail_codes));
  tcase_add_test (tc, test_image_url_closed_port);
  tcase_add_test (tc, test_resume_with_the_wrong_model);
  tcase_add_test (tc, test_image_url_not_found);
  tcase_add_test (tc, test_http_401);
  tcase_add_test (tc, test_balance_http_402);
  tcase_add_test (tc, test_forbidden_http_403);
  tcase_add_test (tc, test_balance_body_400);
  tcase_add_test (tc, test_http_400);
  tcase_add_test (tc, test_http_404_unknown_model);
  tcase_add_test (tc, test_http_429_beyond_budget);
  tcase_add_loop_test (tc, test_status_5xx_beyond_budget, 0,
                       G_N_ELEMENTS (status_5xx));
  tcase_add_test (tc, test_result_5xx_beyond_budget);
  tcase_add_test (tc, test_resume_unknown_task);
  tcase_add_test (tc, test_unknown_state);
  tcase_add_test (tc, test_connection_refused);
  tcase_add_test (tc, test_dns_failure);
  tcase_add_test (tc, test_tls_unknown_ca);
  tcase_add_test (tc, test_io_timeout);
  tcase_add_test (tc, test_deadline);
  tcase_add_test (tc, test_deadline_during_submit);
  tcase_add_test (tc, test_deadline_before_submit);
  tcase_add_test (tc, test_error_in_pull_mode);
  tcase_add_test (tc, test_save_location_gone_after_success);
  tcase_add_test (tc, test_extra_input_rejected);
  return s;
}

GST_CHECK_MAIN (apixosrc_errors);
