/* gst-apixo: random state changes under load (issue 15).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs apixosrc ! qtdemux ! decoder ! fakesink sync=true against apixo-sim
 * again and again, and stops each run at a random moment: during the
 * submission, a status poll, the result download or the playback, to
 * READY or straight to NULL.  Each stop must reach its state within 1 s
 * (10 s under valgrind), post no error (a cancellation is no error; the
 * warning that a task goes on running is expected), and leave no worker
 * thread; at the end the process has no more descriptors (/proc/self/fd)
 * and threads (/proc/self/task) than before the first run.
 *
 * Size: APIXO_STRESS_RUNS runs (default: what CI affords, STRESS_CI_RUNS;
 * the full probe is 400: docs/testing.md), phases and targets drawn from
 * a GRand seeded with APIXO_STRESS_SEED (default: random; the seed is
 * printed, so a failure can be replayed).
 *
 * Synchronisation: the sim's request counters (long polls on the sim) and
 * bus messages, never sleeps.  The one wait on /proc (a thread of GLib's
 * pool leaves the process a moment after its work was joined) polls a
 * condition with a deadline.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <stdlib.h>

#include "apixotest.h"

/* A small cached render (1 s, 24 frames at 624x624); a new task for every
 * run (no journal, no cache), played in real time. */
#define STRESS_FMT                                                             \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p "               \
  "aspect-ratio=1:1 duration=5 seed=1 retry-backoff-factor=0.01 "              \
  "journal=false cache=false prompt=\"stress [sim:duration=1]\" ! "            \
  "qtdemux name=d d.video_0 ! h264parse ! avdec_h264 ! "                       \
  "fakesink name=vsink sync=true"
#define STRESS_CI_RUNS 100
#define STRESS_CI_RUNS_VALGRIND 6
#define WAIT_S 60

APIXO_TEST_FIXTURE (0.005, NULL)

typedef enum {
  PHASE_SUBMIT,
  PHASE_POLL,
  PHASE_DOWNLOAD,
  PHASE_PLAYBACK,
  N_PHASES
} Phase;

static const gchar *const phase_names[] = { "submit", "poll", "download",
                                            "playback" };
/* the sim's route whose next request marks the phase */
static const gchar *const phase_routes[] = { "generate", "status", "result",
                                             NULL };

static gboolean
under_valgrind (void)
{
  return g_getenv ("APIXO_UNDER_VALGRIND") != NULL;
}

static guint
count_dir (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL, "%s", path);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* Waits (up to 5 s) until /proc/self/@what has at most @max entries;
 * returns the last count. */
static guint
wait_count_at_most (const gchar *path, guint max)
{
  gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  guint n;

  while ((n = count_dir (path)) > max && g_get_monotonic_time () < end)
    g_usleep (G_USEC_PER_SEC / 1000);
  return n;
}

/* The text of @msg if it is an error (to free), else NULL. */
static gchar *
error_text (GstMessage *msg)
{
  GError *error = NULL;
  gchar *text;

  if (msg == NULL || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return NULL;
  gst_message_parse_error (msg, &error, NULL);
  text = g_strdup (error->message);
  g_error_free (error);
  return text;
}

/* Plays until the phase: the sim got more than @seen requests on the
 * phase's route, or (the playback) the pipeline prerolled a decoded frame.
 * An error on the way fails the test. */
static void
wait_phase (GstElement *pipeline, Phase phase, guint seen)
{
  const gchar *route = phase_routes[phase];
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = NULL;
  gboolean reached;
  gchar *error;

  if (route != NULL) {
    reached = sim_fixture_wait_requests (sim, route, seen + 1, WAIT_S);
    if (!reached)
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  } else {
    msg = gst_bus_timed_pop_filtered (
        bus, WAIT_S * GST_SECOND, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);
    reached = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ASYNC_DONE;
  }
  error = error_text (msg);
  fail_unless (reached, "%s not reached within %d s (error: %s)",
               phase_names[phase], WAIT_S, error ? error : "none");
  g_free (error);
  if (msg != NULL)
    gst_message_unref (msg);
  gst_object_unref (bus);
}

/* Sets @pipeline to @state; it must get there within the bound. */
static void
change_state (GstElement *pipeline, GstState state)
{
  gint64 bound = (under_valgrind () ? 10 : 1) * G_TIME_SPAN_SECOND;
  gint64 start = g_get_monotonic_time ();
  GstStateChangeReturn ret;
  gint64 took;

  gst_element_set_state (pipeline, state);
  ret = gst_element_get_state (pipeline, NULL, NULL, bound * GST_USECOND);
  took = g_get_monotonic_time () - start;
  fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless (took <= bound, "%s took %" G_GINT64_FORMAT " ms",
               gst_element_state_get_name (state), took / 1000);
}

/* No error on the bus but a cancellation. */
static void
check_bus (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) != NULL) {
    const GstStructure *details = NULL;
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    gst_message_parse_error_details (msg, &details);
    fail_unless (details != NULL &&
                     g_strcmp0 (gst_structure_get_string (details, "reason"),
                                "cancelled") == 0,
                 "error on stop: %s", error->message);
    g_error_free (error);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

static void
stop_once (Phase phase, gboolean via_ready, guint i)
{
  GstElement *pipeline = apixo_test_parse (sim, STRESS_FMT);
  /* counted before the run starts: its first request may come at once */
  guint seen = phase_routes[phase] != NULL
                   ? sim_fixture_count_requests (sim, phase_routes[phase], -1)
                   : 0;

  GST_INFO ("run %u: stop during %s to %s", i, phase_names[phase],
            via_ready ? "READY" : "NULL");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  wait_phase (pipeline, phase, seen);
  if (via_ready)
    change_state (pipeline, GST_STATE_READY);
  change_state (pipeline, GST_STATE_NULL);
  check_bus (pipeline);
  gst_object_unref (pipeline);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
}

static guint
stress_runs (void)
{
  const gchar *runs_env = g_getenv ("APIXO_STRESS_RUNS");

  if (runs_env != NULL)
    return (guint)atoi (runs_env);
  return under_valgrind () ? STRESS_CI_RUNS_VALGRIND : STRESS_CI_RUNS;
}

GST_START_TEST (test_random_stops)
{
  const gchar *seed_env = g_getenv ("APIXO_STRESS_SEED");
  guint runs = stress_runs ();
  guint32 seed =
      seed_env ? (guint32)strtoul (seed_env, NULL, 10) : g_random_int ();
  GRand *rand = g_rand_new_with_seed (seed);
  guint fds, threads, i;

  g_print ("apixosrc_stress: %u runs, APIXO_STRESS_SEED=%u\n", runs, seed);
  /* every run pays for a task: more than the sim's default balance */
  sim_fixture_set_balance (sim, 1e6);
  /* GLib keeps finished pool threads for reuse: none, so that a thread
   * left behind is one too many */
  g_thread_pool_set_max_unused_threads (0);
  /* one run into its playback first: what the first run loads for good
   * (plugins, types, GLib's own threads) is not a leak */
  stop_once (PHASE_PLAYBACK, FALSE, 0);
  fds = wait_count_at_most ("/proc/self/fd", G_MAXUINT);
  threads = wait_count_at_most ("/proc/self/task", G_MAXUINT);

  for (i = 1; i <= runs; i++) {
    Phase phase = g_rand_int_range (rand, 0, N_PHASES);

    stop_once (phase, g_rand_boolean (rand), i);
  }

  fail_unless (wait_count_at_most ("/proc/self/fd", fds) <= fds,
               "%u descriptors left open (seed %u)",
               count_dir ("/proc/self/fd") - fds, seed);
  fail_unless (wait_count_at_most ("/proc/self/task", threads) <= threads,
               "%u threads left (seed %u)",
               count_dir ("/proc/self/task") - threads, seed);
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
apixosrc_stress_suite (void)
{
  Suite *s = suite_create ("apixosrc_stress");
  TCase *tc = tcase_create ("stress");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  /* the full size (400 runs) takes minutes: a bound per run */
  tcase_set_timeout (tc, 60 + stress_runs () * (under_valgrind () ? 60 : 5));
  tcase_add_test (tc, test_random_stops);
  return s;
}

GST_CHECK_MAIN (apixosrc_stress);
