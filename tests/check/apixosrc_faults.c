/* gst-apixo: apixosrc under every fault kind of apixo-sim.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For each route (generate, status, result) and each fault the sim can
 * inject (402, 403, 429, 500, 502, 503, 504, reset-before, reset-after,
 * slow, truncate, malformed-json), the outcome the issue requires, and in
 * every run at most one task created by the sim:
 *  - status polls and result downloads are retried: the run succeeds, the
 *    decoded result is complete, the kept file is byte-identical to the
 *    sim's, and the sim's counters show the faulty requests;
 *  - a submission is resent only when the task certainly was not created
 *    (429, 503); after any other fault the outcome is unknown: it is NOT
 *    resent (a user never pays twice) and the error says so;
 *  - 402 and 403 are never retried on any route ("do not retry
 *    400/401/402/403/404 before fixing the request"): one request, an
 *    error with the status (402 from the API: insufficient-balance),
 *    nothing kept (issue 15's fault matrix).
 * Plus Retry-After, and a result dropped mid-body resumed with Range.
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
#include "testdir.h"

/* A small cached render (1 s, 24 frames at 624x624), decoded frame by
 * frame through qtdemux (pull mode). */
#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p "               \
  "aspect-ratio=1:1 duration=5 seed=1 retry-backoff-factor=0.01 "              \
  "prompt=\"faults [sim:duration=1]\" "
#define DECODE                                                                 \
  " ! qtdemux name=d d.video_0 ! h264parse ! avdec_h264 ! "                    \
  "fakesink name=vsink"
#define N_FRAMES 24

APIXO_TEST_FIXTURE (0.005, "apixo-faults")

/* ---- helpers ------------------------------------------------------------- */

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (*(guint *)data)++;
  return GST_PAD_PROBE_OK;
}

typedef struct {
  ApixoRun *run;
  guint frames;
  gchar *kept; /* save-location */
} Decoded;

/* Runs SRC_FMT @props with save-location ! DECODE, counting the decoded
 * frames; with @decode FALSE, into a fakesink (push mode). */
static void
run_decoded (const gchar *props, gboolean decode, Decoded *out)
{
  gchar *launch;
  GstElement *pipeline, *sink;
  GstPad *pad;

  out->frames = 0;
  out->kept = g_build_filename (tmpdir, "kept.mp4", NULL);
  launch = g_strdup_printf (SRC_FMT "%s save-location=%s%s", props, out->kept,
                            decode ? DECODE : " ! fakesink name=vsink");
  pipeline = apixo_test_parse (sim, launch);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "vsink");
  pad = gst_element_get_static_pad (sink, "sink");
  if (decode)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers,
                       &out->frames, NULL);
  out->run = apixo_test_run (pipeline, 90);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (launch);
}

static void
decoded_clear (Decoded *d)
{
  g_unlink (d->kept);
  g_free (d->kept);
  apixo_run_free (d->run);
}

/* GET @uri with a private session (the sim's result, as anyone gets it). */
static GBytes *
fetch (const gchar *uri)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", uri);
  GError *error = NULL;
  GBytes *body;

  body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (body != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  g_object_unref (msg);
  g_object_unref (session);
  return body;
}

static guint
pending_faults (void)
{
  JsonNode *node = sim_fixture_request (sim, "GET", "/__sim/faults", NULL);
  guint n = json_array_get_length (
      json_object_get_array_member (json_node_get_object (node), "faults"));

  json_node_unref (node);
  return n;
}

/* What every successful run must give: EOS, no error, every frame, the
 * kept file identical to the sim's result, one task. */
static void
check_complete (Decoded *d)
{
  ApixoRun *run = d->run;
  const GstStructure *success;
  GBytes *served;
  gchar *kept = NULL;
  gsize kept_size = 0;

  fail_unless (run->error == NULL, "error: %s",
               run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (d->frames, N_FRAMES);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless_equals_int (pending_faults (), 0);

  success = apixo_run_task_event (run, "success");
  fail_unless (success != NULL);
  served = fetch (gst_structure_get_string (success, "result-uri"));
  fail_unless (g_file_get_contents (d->kept, &kept, &kept_size, NULL));
  fail_unless_equals_uint64 (kept_size, g_bytes_get_size (served));
  fail_unless (memcmp (kept, g_bytes_get_data (served, NULL), kept_size) == 0,
               "the kept file differs from the sim's result");
  g_free (kept);
  g_bytes_unref (served);
}

/* Every error on the bus, for failure messages. */
static gchar *
describe_errors (ApixoRun *run)
{
  GString *out = g_string_new (NULL);
  GList *l;

  for (l = run->messages; l != NULL; l = l->next) {
    GError *error = NULL;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_ERROR)
      continue;
    gst_message_parse_error (l->data, &error, NULL);
    g_string_append_printf (out, "\n  %s: %s", GST_MESSAGE_SRC_NAME (l->data),
                            error->message);
    g_error_free (error);
  }
  return g_string_free (out, FALSE);
}

/* The sim's answers with @status on @route (0: dropped connections). */
static guint
answered (const gchar *route, gint status)
{
  return sim_fixture_count_requests (sim, route, status);
}

/* ---- the fault table ----------------------------------------------------- */

typedef enum {
  RETRIED,         /* the run succeeds */
  OUTCOME_UNKNOWN, /* submit not resent; error reason=outcome-unknown */
  REFUSED,         /* not retried; error with the HTTP status */
} Outcome;

typedef struct {
  const gchar *route;
  const gchar *fault;
  guint count;
  Outcome outcome;
  /* the status the sim records for a faulty request (-1: that of a normal
   * answer, e.g. truncate and malformed-json: 200; slow: not a failure) */
  gint recorded;
  /* OUTCOME_UNKNOWN, REFUSED: tasks the sim created (0 when it answered
   * the fault without processing the request) */
  guint tasks;
  /* REFUSED: the GstResourceError code of the error, and its reason */
  gint code;
  const gchar *reason;
} FaultCase;

static const FaultCase cases[] = {
  /* submit: resent only when the task certainly was not created */
  { "generate", "429", 2, RETRIED, 429, 1 },
  { "generate", "503", 1, RETRIED, 503, 1 },
  { "generate", "500", 1, OUTCOME_UNKNOWN, 500, 0 },
  { "generate", "502", 1, OUTCOME_UNKNOWN, 502, 0 },
  { "generate", "504", 1, OUTCOME_UNKNOWN, 504, 0 },
  /* from the client, a reset before processing looks exactly like one
   * after it: the request was sent and no answer came */
  { "generate", "reset-before", 1, OUTCOME_UNKNOWN, 0, 0 },
  { "generate", "reset-after", 1, OUTCOME_UNKNOWN, 0, 1 },
  { "generate", "slow", 1, RETRIED, -1, 1 },
  { "generate", "truncate", 1, OUTCOME_UNKNOWN, -1, 1 },
  { "generate", "malformed-json", 1, OUTCOME_UNKNOWN, -1, 1 },
  /* balance and permission: the sim refuses before creating anything */
  { "generate", "402", 1, REFUSED, 402, 0, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
    "insufficient-balance" },
  { "generate", "403", 1, REFUSED, 403, 0, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
    "http" },
  /* status polls: always retried */
  { "status", "429", 1, RETRIED, 429, 1 },
  { "status", "500", 2, RETRIED, 500, 1 },
  { "status", "502", 2, RETRIED, 502, 1 },
  { "status", "503", 1, RETRIED, 503, 1 },
  { "status", "504", 2, RETRIED, 504, 1 },
  { "status", "reset-before", 2, RETRIED, 0, 1 },
  { "status", "reset-after", 2, RETRIED, 0, 1 },
  { "status", "slow", 1, RETRIED, -1, 1 },
  { "status", "truncate", 2, RETRIED, -1, 1 },
  { "status", "malformed-json", 2, RETRIED, -1, 1 },
  { "status", "402", 1, REFUSED, 402, 1, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
    "insufficient-balance" },
  { "status", "403", 1, REFUSED, 403, 1, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
    "http" },
  /* result downloads: always retried (or resumed) */
  { "result", "429", 1, RETRIED, 429, 1 },
  { "result", "500", 2, RETRIED, 500, 1 },
  { "result", "502", 2, RETRIED, 502, 1 },
  { "result", "503", 1, RETRIED, 503, 1 },
  { "result", "504", 2, RETRIED, 504, 1 },
  { "result", "reset-before", 2, RETRIED, 0, 1 },
  { "result", "reset-after", 2, RETRIED, 0, 1 },
  { "result", "slow", 1, RETRIED, -1, 1 },
  { "result", "truncate", 2, RETRIED, -1, 1 },
  { "result", "402", 1, REFUSED, 402, 1, GST_RESOURCE_ERROR_READ, "download" },
  { "result", "403", 1, REFUSED, 403, 1, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
    "download" },
  /* ("result", "malformed-json"): test_result_malformed_json, below */
};

static void
check_retried (const FaultCase *c, Decoded *d)
{
  check_complete (d);
  /* the faulty requests were made, and followed by good ones */
  if (c->recorded >= 0)
    fail_unless_equals_int (answered (c->route, c->recorded), c->count);
  if (g_str_equal (c->route, "generate")) {
    /* resent exactly as often as refused (slow: answered, not refused) */
    fail_unless_equals_int (answered ("generate", -1),
                            c->recorded >= 0 ? c->count + 1 : 1);
    fail_unless_equals_int (answered ("generate", 200), 1);
  } else {
    fail_unless (answered (c->route, -1) >= c->count + 1);
    fail_unless_equals_int (answered ("generate", -1), 1);
  }
}

static void
check_outcome_unknown (const FaultCase *c, Decoded *d)
{
  ApixoRun *run = d->run;
  const gchar *reason;
  gchar *errors;

  fail_unless (run->error != NULL);
  fail_if (run->eos);
  errors = describe_errors (run);
  fail_unless (apixo_run_count (run, GST_MESSAGE_ERROR) == 1, "errors:%s",
               errors);
  g_free (errors);
  fail_unless_equals_string (run->error_source, "src");
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_FAILED);
  fail_unless (run->error_details != NULL);
  reason = gst_structure_get_string (run->error_details, "reason");
  fail_unless_equals_string (reason, "outcome-unknown");
  /* never sent twice: at most the one task the sim made of it */
  fail_unless_equals_int (answered ("generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), c->tasks);
  fail_unless_equals_int (answered ("status", -1), 0);
  fail_unless_equals_int (pending_faults (), 0);
}

/* 402/403: one request on the route, an error naming the status, no
 * second submission, nothing kept. */
static void
check_refused (const FaultCase *c, Decoded *d)
{
  ApixoRun *run = d->run;
  const gchar *reason;
  guint http_status = 0;
  gchar *part;

  fail_unless (run->error != NULL);
  fail_if (run->eos);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless_equals_string (run->error_source, "src");
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, c->code);
  fail_unless (run->error_details != NULL);
  reason = gst_structure_get_string (run->error_details, "reason");
  fail_unless_equals_string (reason, c->reason);
  fail_unless (
      gst_structure_get_uint (run->error_details, "http-status", &http_status));
  fail_unless_equals_int (http_status, c->recorded);
  /* not retried */
  fail_unless_equals_int (answered (c->route, -1), 1);
  fail_unless_equals_int (answered (c->route, c->recorded), 1);
  fail_unless_equals_int (answered ("generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), c->tasks);
  if (!g_str_equal (c->route, "result"))
    fail_unless_equals_int (answered ("result", -1), 0);
  fail_unless_equals_int (pending_faults (), 0);
  fail_if (g_file_test (d->kept, G_FILE_TEST_EXISTS));
  part = g_strconcat (d->kept, ".part", NULL);
  fail_if (g_file_test (part, G_FILE_TEST_EXISTS));
  g_free (part);
}

GST_START_TEST (test_fault)
{
  const FaultCase *c = &cases[__i__];
  Decoded d;

  GST_INFO ("route %s, fault %s x%u", c->route, c->fault, c->count);
  /* slow: well within the I/O timeout, answered late but whole */
  sim_fixture_add_fault_full (sim, c->route, c->fault, c->count,
                              g_str_equal (c->fault, "slow") ? 0.5 : 0, NULL);
  /* a failure needs no decoder: push mode, where the only error on the bus
   * is ours (see apixosrc_errors.c, test_error_in_pull_mode) */
  run_decoded ("", c->outcome == RETRIED, &d);
  if (c->outcome == RETRIED)
    check_retried (c, &d);
  else if (c->outcome == REFUSED)
    check_refused (c, &d);
  else
    check_outcome_unknown (c, &d);
  /* whatever the fault: never more than one task (one payment) per run */
  fail_unless (sim_fixture_count_tasks (sim) <= 1);
  decoded_clear (&d);
}

GST_END_TEST;

/* Asked for the result, the sim answers 200 with Content-Type
 * application/json and a broken JSON body (as an API gateway, proxy or
 * captive portal may answer with an error page): the spool retries that
 * request instead of serving or keeping those bytes, and the run
 * succeeds. */
static const FaultCase result_malformed = { "result", "malformed-json",
                                            2,        RETRIED,
                                            -1,       1 };

GST_START_TEST (test_result_malformed_json)
{
  Decoded d;

  sim_fixture_add_fault (sim, result_malformed.route, result_malformed.fault,
                         result_malformed.count);
  run_decoded ("", TRUE, &d);
  check_retried (&result_malformed, &d);
  decoded_clear (&d);
}

GST_END_TEST;

/* A submission answered later than the I/O timeout: the sim created the
 * task, the element gave up on the answer; not resent. */
GST_START_TEST (test_slow_submit_times_out)
{
  static const FaultCase slow_submit = { "generate",      "slow", 1,
                                         OUTCOME_UNKNOWN, -1,     1 };
  Decoded d;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, 5, NULL);
  run_decoded ("timeout=1", FALSE, &d);
  check_outcome_unknown (&slow_submit, &d);
  decoded_clear (&d);
}

GST_END_TEST;

/* ---- Retry-After --------------------------------------------------------- */

static void
add_fault_retry_after (const gchar *route, gint status, guint retry_after)
{
  JsonObject *obj = json_object_new ();
  JsonNode *body = json_node_init_object (json_node_alloc (), obj);

  json_object_set_string_member (obj, "route", route);
  json_object_set_int_member (obj, "fault", status);
  json_object_set_int_member (obj, "count", 1);
  json_object_set_int_member (obj, "retry_after", retry_after);
  json_node_unref (sim_fixture_request (sim, "POST", "/__sim/faults", body));
  json_node_unref (body);
  json_object_unref (obj);
}

/* The status poll after a 429 with Retry-After: 2 is not sent earlier than
 * 2 s later (the backoff alone would wait 10 ms).  The sim keeps no request
 * times, so the element's own clock tells: the first poll goes out 1 s
 * after the submission was answered (poll-delay) and meets the 429; the
 * first "state" message comes from the answer to the next poll, and its
 * elapsed (from the same submission answer) is then at least 1 + 2 s. */
GST_START_TEST (test_retry_after_honoured)
{
  g_autoptr (ApixoRun) run = NULL;
  const GstStructure *state;
  gdouble elapsed = 0;

  add_fault_retry_after ("status", 429, 2);
  run = apixo_test_run_launch (
      sim, SRC_FMT "early-poll=0 poll-delay=1 ! fakesink", 60);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (answered ("status", 429), 1);
  state = apixo_run_task_event (run, "state");
  fail_unless (state != NULL);
  fail_unless (gst_structure_get_double (state, "elapsed", &elapsed));
  fail_unless_equals_int (
      g_value_get_uint (gst_structure_get_value (state, "poll-count")), 1);
  fail_unless (elapsed >= 1.0 + 2.0,
               "the poll after the 429 was answered %.3f s after submission "
               "(first poll at 1 s, Retry-After: 2)",
               elapsed);
}

GST_END_TEST;

/* ---- resume -------------------------------------------------------------- */

/* A bigger result (about 2.5 MB) dropped halfway: the download resumes
 * with a Range request where it stopped, and what the pipeline got and
 * what was kept is byte-identical to the sim's file. */
GST_START_TEST (test_truncated_result_resumes)
{
  gchar *kept = g_build_filename (tmpdir, "big.mp4", NULL);
  gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p "
      "aspect-ratio=1:1 duration=5 seed=1 retry-backoff-factor=0.01 "
      "prompt=\"faults [sim:duration=2] [sim:noise] [sim:bitrate=10000]\" "
      "save-location=%s" DECODE,
      kept);
  GstElement *pipeline = apixo_test_parse (sim, launch);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "vsink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  const GstStructure *success;
  guint frames = 0;
  GBytes *served;
  gchar *data;
  gsize size;
  ApixoRun *run;

  sim_fixture_add_fault (sim, "result", "truncate", 1);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &frames,
                     NULL);
  run = apixo_test_run (pipeline, 90);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (frames, 2 * N_FRAMES);
  /* the first answer was cut; then ranges, never the whole file again */
  fail_unless_equals_int (answered ("result", 200), 1);
  fail_unless (answered ("result", 206) >= 1);
  fail_unless_equals_int (pending_faults (), 0);

  success = apixo_run_task_event (run, "success");
  served = fetch (gst_structure_get_string (success, "result-uri"));
  fail_unless (g_bytes_get_size (served) > 2 * 1024 * 1024);
  fail_unless (g_file_get_contents (kept, &data, &size, NULL));
  fail_unless_equals_uint64 (size, g_bytes_get_size (served));
  fail_unless (memcmp (data, g_bytes_get_data (served, NULL), size) == 0);

  g_free (data);
  g_bytes_unref (served);
  apixo_run_free (run);
  g_unlink (kept);
  g_free (kept);
  g_free (launch);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
apixosrc_faults_suite (void)
{
  Suite *s = suite_create ("apixosrc_faults");
  TCase *tc = tcase_create ("faults");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_fault, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_slow_submit_times_out);
  tcase_add_test (tc, test_retry_after_honoured);
  tcase_add_test (tc, test_truncated_result_resumes);
  tcase_add_test (tc, test_result_malformed_json);
  return s;
}

GST_CHECK_MAIN (apixosrc_faults);
