/* gst-apixo: progress a person can follow (issue 13).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - The estimate (gstapixoprogress.c): 90 % at the model's typical
 *   generation time, then slowly towards 99 %, 100 % only at success; the
 *   time left while the typical time is not reached, none after it or
 *   where the page documents no time; the catalogue's typical times are
 *   the pages' figures.
 * - A run against apixo-sim: the "state" events never go back, stay below
 *   100 % until the success, which is 100 %; between polls further apart
 *   than progress-interval, the heartbeat reports at least every interval
 *   (gaps measured by the messages' own timestamps), and costs no request.
 * - Held back: the heartbeat says why, with waiting-for "task-slot"
 *   (sora-2-pro's ten tasks held by another pipeline), "rate-limit" (its
 *   60 requests a minute spent by a fast-polling run) and "retry" (a 429
 *   with a long Retry-After).
 *
 * Synchronisation: bus messages and the sim's own records, never sleeps.
 * progress-interval is short here so that no test takes real minutes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "apixotest.h"
#include "gstapixomodels.h"
#include "gstapixoprogress.h"

/* The heartbeat of the runs below, and the longest gap allowed between two
 * reports: the interval plus what a loaded machine (or valgrind) may add
 * to a timer.  The polls are further apart than that, so only the
 * heartbeat can keep the gaps within it. */
#define INTERVAL 0.25
#define MAX_GAP (INTERVAL + 1.0)
#define POLL_S 3.0

/* wan-2-5-video 480p: 40-120 s documented, 1.2-3.6 s at this scale. */
APIXO_TEST_FIXTURE (0.03, NULL)

#define WAN_RUN                                                                \
  "apixosrc @SIM@ model=wan-2-5-video resolution=480p duration=5 seed=1 "      \
  "journal=false prompt=\"progress [sim:duration=1]\" early-poll=0 "           \
  "progress-interval=0.25 "

/* sora-2-pro: 10 concurrent tasks and 60 requests a minute per key; tasks
 * that run for as long as a test may need them. */
#define SORA_LONG                                                              \
  "apixosrc @SIM@ model=sora-2-pro duration=4 journal=false early-poll=0 "     \
  "prompt=\"progress [sim:delay=3000] [sim:duration=0.25]\" "

/* ---- the estimate -------------------------------------------------------- */

static GstApixoProgress
progress_at (gdouble elapsed, gdouble typical, gboolean documented)
{
  GstApixoProgress p = { "task_1",
                         "processing",
                         elapsed,
                         3,
                         typical,
                         documented,
                         GST_APIXO_WAITING_GENERATION,
                         NULL };

  return p;
}

GST_START_TEST (test_estimate_curve)
{
  GstApixoProgress p = progress_at (0, 100, TRUE);
  gint last = 0;

  fail_unless_equals_int (gst_apixo_progress_percent (&p), 0);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), 100);
  p.elapsed = 50;
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 45);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), 50);
  /* the typical time reached: 90 %, and no more time left to promise */
  p.elapsed = 100;
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 90);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), -1);
  p.elapsed = 200;
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 96);
  p.elapsed = 300;
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 98);
  p.elapsed = 1e7;
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 99);

  /* never back, never 100 before success */
  for (p.elapsed = 0; p.elapsed < 2000; p.elapsed += 0.5) {
    gint percent = gst_apixo_progress_percent (&p);

    fail_unless (percent >= last && percent <= 99, "%d at %g s", percent,
                 p.elapsed);
    last = percent;
  }
  p.state = "success";
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 100);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), -1);
}

GST_END_TEST;

GST_START_TEST (test_estimate_unknowns)
{
  GstApixoProgress p = progress_at (30, 600, FALSE);

  /* no documented time: the bar moves, no time left is claimed */
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 4);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), -1);
  /* not submitted yet: nothing generates */
  p = progress_at (30, 100, TRUE);
  p.task_id = NULL;
  p.state = "queued";
  fail_unless_equals_int (gst_apixo_progress_percent (&p), 0);
  fail_unless_equals_float (gst_apixo_progress_eta (&p), -1);
}

GST_END_TEST;

static void
assert_text (const GstApixoProgress *p, const gchar *want)
{
  gchar *text = gst_apixo_progress_describe (p);

  fail_unless_equals_string (text, want);
  g_free (text);
}

GST_START_TEST (test_describe)
{
  GstApixoProgress p = progress_at (80, 120, TRUE);

  assert_text (&p, "Task task_1: processing, 60 %, about 40 s left");
  p.elapsed = 130;
  assert_text (&p, "Task task_1: processing, 91 %, taking longer than usual "
                   "(130 s; typically done within 120 s)");
  p.typical_documented = FALSE;
  assert_text (&p, "Task task_1: processing, 91 %, 130 s so far");
  p.state = "success";
  assert_text (&p, "Task task_1: success, 100 %");

  p = progress_at (80, 120, TRUE);
  p.waiting_for = GST_APIXO_WAITING_RETRY;
  p.why = "HTTP 429; attempt 2 in 3 s";
  assert_text (&p, "Task task_1: processing, 60 %, about 40 s left; waiting "
                   "to retry (HTTP 429; attempt 2 in 3 s)");
  p.task_id = NULL;
  p.state = "queued";
  p.waiting_for = GST_APIXO_WAITING_TASK_SLOT;
  p.why = "10 at once";
  assert_text (&p, "Not submitted yet; waiting for a free task slot (10 at "
                   "once)");
  p.waiting_for = GST_APIXO_WAITING_RATE_LIMIT;
  p.why = NULL;
  assert_text (&p, "Not submitted yet; waiting for the request rate limit");
  p.state = "submitting";
  p.waiting_for = GST_APIXO_WAITING_GENERATION;
  assert_text (&p, "Submitting the generation task");
}

GST_END_TEST;

GST_START_TEST (test_state_event)
{
  GstApixoProgress p = progress_at (30, 120, TRUE);
  GstStructure *s = gst_apixo_progress_new_state_event (&p);
  gint percent = -1;
  gdouble eta = -1;
  guint polls = 0;

  fail_unless (gst_structure_has_name (s, "apixo-task"));
  fail_unless_equals_string (gst_structure_get_string (s, "event"), "state");
  fail_unless_equals_string (gst_structure_get_string (s, "task-id"), "task_1");
  fail_unless_equals_string (gst_structure_get_string (s, "state"),
                             "processing");
  fail_unless (gst_structure_get_uint (s, "poll-count", &polls));
  fail_unless_equals_int (polls, 3);
  fail_unless (gst_structure_get_int (s, "percent", &percent));
  fail_unless_equals_int (percent, 22);
  fail_unless (gst_structure_get_double (s, "eta", &eta));
  fail_unless_equals_float (eta, 90);
  fail_unless_equals_string (gst_structure_get_string (s, "waiting-for"),
                             "generation");
  gst_structure_free (s);

  /* unknown: absent */
  p.task_id = NULL;
  p.state = "queued";
  p.waiting_for = GST_APIXO_WAITING_TASK_SLOT;
  s = gst_apixo_progress_new_state_event (&p);
  fail_if (gst_structure_has_field (s, "task-id"));
  fail_if (gst_structure_has_field (s, "eta"));
  fail_unless_equals_string (gst_structure_get_string (s, "waiting-for"),
                             "task-slot");
  gst_structure_free (s);
  fail_unless_equals_string (
      gst_apixo_waiting_for_nick (GST_APIXO_WAITING_RATE_LIMIT), "rate-limit");
  fail_unless_equals_string (
      gst_apixo_waiting_for_nick (GST_APIXO_WAITING_RETRY), "retry");
}

GST_END_TEST;

/* The figures progress is estimated from are the pages': the upper end of
 * each documented range (wan-2-5: 720p ~50-70 s, 1080p ~70-90 s;
 * wan-2-5-video: 40-120, 60-180, 90-250 s), the average plus a minute
 * where a page gives only an average (veo-3-1 ~2 min, sora-2-pro ~3 min),
 * and no documented time for wan-2-2-animate or an unknown model. */
GST_START_TEST (test_typical_times)
{
  static const struct {
    const gchar *model, *resolution;
    gdouble typical;
    gboolean documented;
  } cases[] = {
    { "wan-2-5", "720p", 70, TRUE },
    { "wan-2-5", "1080p", 90, TRUE },
    { "wan-2-5", NULL, 90, TRUE },
    { "wan-2-5-video", "480p", 120, TRUE },
    { "wan-2-5-video", "720p", 180, TRUE },
    { "wan-2-5-video", "1080p", 250, TRUE },
    { "wan-2-5-video", NULL, 250, TRUE }, /* the documented default */
    { "veo-3-1", NULL, 180, TRUE },
    { "sora-2-pro", "1080p", 240, TRUE },
    { "wan-2-2-animate", "720p", 600, FALSE },
    { "foo-9", NULL, 600, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();

    spec->model = g_strdup (cases[i].model);
    spec->resolution = g_strdup (cases[i].resolution);
    fail_unless_equals_float (gst_apixo_request_spec_typical_time (spec),
                              cases[i].typical);
    fail_unless (gst_apixo_request_spec_typical_documented (spec) ==
                     cases[i].documented,
                 "%s %s", cases[i].model, GST_STR_NULL (cases[i].resolution));
    gst_apixo_request_spec_free (spec);
  }
}

GST_END_TEST;

/* ---- helpers ------------------------------------------------------------- */

static gboolean
is_state_event (GstMessage *msg)
{
  return GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
         gst_message_has_name (msg, "apixo-task") &&
         g_strcmp0 (gst_structure_get_string (gst_message_get_structure (msg),
                                              "event"),
                    "state") == 0;
}

static const gchar *
field (GstMessage *msg, const gchar *name)
{
  return gst_structure_get_string (gst_message_get_structure (msg), name);
}

static gint
percent_of (GstMessage *msg)
{
  gint percent = -1;

  fail_unless (gst_structure_get_int (gst_message_get_structure (msg),
                                      "percent", &percent));
  return percent;
}

static gdouble
seconds_between (GstMessage *a, GstMessage *b)
{
  return (GST_MESSAGE_TIMESTAMP (b) - GST_MESSAGE_TIMESTAMP (a)) /
         (gdouble)GST_SECOND;
}

/* Every two consecutive messages of @states came within MAX_GAP. */
static void
assert_gaps (GList *states)
{
  for (GList *l = states; l != NULL && l->next != NULL; l = l->next) {
    gdouble gap = seconds_between (l->data, l->next->data);

    fail_unless (gap <= MAX_GAP, "%.3f s between two state events", gap);
  }
}

/* Pops @pipeline's bus until @n state events with waiting-for @waiting_for
 * came (within @timeout s); returns those events (refs), in order, and
 * *@text the text of a GST_MESSAGE_PROGRESS that came with them. */
static GList *
wait_states (GstElement *pipeline, guint n, const gchar *waiting_for,
             gdouble timeout, gchar **text)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 end = g_get_monotonic_time () + timeout * G_USEC_PER_SEC;
  GList *states = NULL;
  GstMessage *msg;

  *text = NULL;
  while (g_list_length (states) < n) {
    gint64 left = end - g_get_monotonic_time ();

    fail_unless (left > 0, "%u of %u state events waiting for %s",
                 g_list_length (states), n, waiting_for);
    msg = gst_bus_timed_pop_filtered (
        bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_PROGRESS | GST_MESSAGE_ERROR);
    if (msg == NULL)
      continue;
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_PROGRESS && states != NULL &&
        *text == NULL)
      gst_message_parse_progress (msg, NULL, NULL, text);
    if (is_state_event (msg) &&
        g_strcmp0 (field (msg, "waiting-for"), waiting_for) == 0)
      states = g_list_append (states, gst_message_ref (msg));
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return states;
}

static void
stop_pipeline (GstElement *pipeline)
{
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

/* ---- a run --------------------------------------------------------------- */

/* The PROGRESS messages of the task carry its percent in their own
 * "percent" field and say it in their text. */
static void
assert_progress_percent (ApixoRun *run)
{
  guint n = 0;

  for (GList *l = run->messages; l != NULL; l = l->next) {
    GstProgressType type;
    gchar *text, *said;
    gint percent;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_PROGRESS)
      continue;
    gst_message_parse_progress (l->data, &type, NULL, &text);
    if (type == GST_PROGRESS_TYPE_CONTINUE &&
        g_str_has_prefix (text, "Task ") && strstr (text, " %") != NULL) {
      percent = percent_of (l->data);
      said = g_strdup_printf (", %d %%", percent);
      fail_unless (strstr (text, said) != NULL, "'%s' (%d)", text, percent);
      g_free (said);
      n++;
    }
    g_free (text);
  }
  fail_unless (n >= 3);
}

GST_START_TEST (test_run_reports)
{
  GstElement *pipeline =
      apixo_test_parse (sim, WAN_RUN "poll-delay=3 poll-interval=3 ! fakesink");
  g_autoptr (ApixoRun) run = apixo_test_run (pipeline, 90);
  GList *states = NULL, *l;
  GstMessage *submitted = NULL, *last;
  guint heartbeats = 0, polls = 0;
  gint previous = 0;
  gdouble eta;

  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  /* the reports from the submission on (a heartbeat may come before it,
   * while the submission is under way) */
  for (l = run->messages; l != NULL; l = l->next) {
    if (submitted != NULL && is_state_event (l->data))
      states = g_list_append (states, l->data);
    else if (is_state_event (l->data))
      fail_unless (field (l->data, "task-id") == NULL &&
                   percent_of (l->data) == 0);
    else if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_ELEMENT &&
             g_strcmp0 (field (l->data, "event"), "submitted") == 0)
      submitted = l->data;
  }
  fail_unless (submitted != NULL && states != NULL);

  /* reports from the submission to the success, never further apart than
   * the interval allows, though polls are POLL_S apart */
  fail_unless (seconds_between (submitted, states->data) <= MAX_GAP);
  assert_gaps (states);
  for (l = states; l != NULL; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);

    fail_unless (gst_structure_get_uint (s, "poll-count", &polls));
    if (polls == 0)
      heartbeats++;
    fail_unless_equals_string (field (l->data, "waiting-for"), "generation");
    fail_unless (percent_of (l->data) >= previous);
    previous = percent_of (l->data);
    if (l->next == NULL)
      break;
    /* not done yet: below 100, and a time left (480p: up to 120 s) */
    fail_unless (previous < 100);
    fail_if (g_strcmp0 (field (l->data, "state"), "success") == 0);
    fail_unless (gst_structure_get_double (s, "eta", &eta));
    fail_unless (eta > 0 && eta <= 120, "eta %g", eta);
  }
  fail_unless (heartbeats >= 3, "%u heartbeats before the first poll",
               heartbeats);

  /* the last report is the success, at 100 %: the heartbeat stopped */
  last = l->data;
  fail_unless_equals_string (field (last, "state"), "success");
  fail_unless_equals_int (percent_of (last), 100);
  fail_if (gst_structure_has_field (gst_message_get_structure (last), "eta"));

  /* heartbeats cost nothing: every status request is a poll reported */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1),
                          polls);
  assert_progress_percent (run);
  g_list_free (states);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- held back ----------------------------------------------------------- */

/* The process holds sora-2-pro's ten task slots (another pipeline): the
 * eleventh task reports, every interval, that it waits for a slot, and
 * why; it sends nothing. */
GST_START_TEST (test_heartbeat_task_slot)
{
  GString *launch = g_string_new (NULL);
  GstElement *holders, *pipeline;
  GList *states;
  gchar *text;

  for (guint i = 0; i < 10; i++)
    g_string_append (launch, SORA_LONG "poll-delay=60 ! fakesink ");
  holders = apixo_test_start (sim, launch->str);
  g_string_free (launch, TRUE);
  fail_unless (sim_fixture_wait_tasks (sim, 10, 60));

  pipeline =
      apixo_test_start (sim, SORA_LONG "poll-delay=60 progress-interval=0.25 ! "
                                       "fakesink");
  states = wait_states (pipeline, 3, "task-slot", 60, &text);
  assert_gaps (states);
  for (GList *l = states; l != NULL; l = l->next) {
    fail_unless_equals_string (field (l->data, "state"), "queued");
    fail_if (gst_structure_has_field (gst_message_get_structure (l->data),
                                      "task-id"));
    fail_if (
        gst_structure_has_field (gst_message_get_structure (l->data), "eta"));
    fail_unless_equals_int (percent_of (l->data), 0);
  }
  fail_unless (text != NULL && strstr (text, "waiting for a free task slot") &&
                   strstr (text, "sora-2-pro allows 10 unfinished tasks"),
               "%s", GST_STR_NULL (text));
  g_free (text);
  g_list_free_full (states, (GDestroyNotify)gst_message_unref);
  stop_pipeline (pipeline);
  stop_pipeline (holders);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 10);
}

GST_END_TEST;

/* A run polling every 50 ms spends sora-2-pro's 60 requests a minute in
 * about three seconds (its own key: the window outlives the test); then
 * the limiter holds its next poll for the rest of the minute, and the
 * heartbeat says so.  Nothing beyond the limit reached the sim. */
GST_START_TEST (test_heartbeat_rate_limit)
{
  GstElement *pipeline = apixo_test_start (
      sim,
      SORA_LONG "api-key=progress-rate-key poll-delay=0.05 poll-interval=0.05 "
                "progress-interval=0.25 ! fakesink");
  GList *states;
  gchar *text;

  states = wait_states (pipeline, 3, "rate-limit", 60, &text);
  assert_gaps (states);
  for (GList *l = states; l != NULL; l = l->next) {
    fail_unless (field (l->data, "task-id") != NULL);
    fail_unless (percent_of (l->data) < 100);
  }
  fail_unless (text != NULL &&
                   strstr (text, "waiting for the request rate limit") &&
                   strstr (text, "sora-2-pro allows 60 requests a minute"),
               "%s", GST_STR_NULL (text));
  g_free (text);
  g_list_free_full (states, (GDestroyNotify)gst_message_unref);
  stop_pipeline (pipeline);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1) +
                              sim_fixture_count_requests (sim, "status", -1),
                          60);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", 429), 0);
}

GST_END_TEST;

/* A poll answered 429 with Retry-After: 3600: the task backs off, and the
 * heartbeat says it waits to retry, after what. */
GST_START_TEST (test_heartbeat_retry)
{
  JsonNode *fault = json_from_string ("{\"route\": \"status\", \"fault\": 429, "
                                      "\"retry_after\": 3600}",
                                      NULL);
  GstElement *pipeline;
  GList *states;
  gchar *text;

  json_node_unref (sim_fixture_request (sim, "POST", "/__sim/faults", fault));
  json_node_unref (fault);
  pipeline = apixo_test_start (sim, WAN_RUN "poll-delay=0.1 ! fakesink");
  states = wait_states (pipeline, 3, "retry", 60, &text);
  assert_gaps (states);
  fail_unless (text != NULL && strstr (text, "waiting to retry") &&
                   strstr (text, "HTTP 429") && strstr (text, "attempt 2 in"),
               "%s", GST_STR_NULL (text));
  g_free (text);
  g_list_free_full (states, (GDestroyNotify)gst_message_unref);
  stop_pipeline (pipeline);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
}

GST_END_TEST;

static Suite *
apixo_progress_suite (void)
{
  Suite *s = suite_create ("apixo-progress");
  /* the estimate's pure functions, then runs, each with a sim of its own */
  TCase *estimate = tcase_create ("estimate"), *runs = tcase_create ("runs");

  tcase_add_test (estimate, test_estimate_curve);
  tcase_add_test (estimate, test_estimate_unknowns);
  tcase_add_test (estimate, test_describe);
  tcase_add_test (estimate, test_state_event);
  tcase_add_test (estimate, test_typical_times);
  suite_add_tcase (s, estimate);

  tcase_add_checked_fixture (runs, setup, teardown);
  tcase_add_test (runs, test_run_reports);
  tcase_add_test (runs, test_heartbeat_task_slot);
  tcase_add_test (runs, test_heartbeat_rate_limit);
  tcase_add_test (runs, test_heartbeat_retry);
  suite_add_tcase (s, runs);
  return s;
}

GST_CHECK_MAIN (apixo_progress);
