/* gst-apixo: apixosrc's lifecycle end to end against apixo-sim.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * State changes at any moment (submitting, polling, downloading, before
 * any request), quick start/stop cycles, a paused pipeline whose download
 * still completes, resuming a task by id, 50 elements at once on the one
 * worker, and the process-wide concurrency limiter.
 *
 * "Returns promptly" is asserted the only honest way without timing: the
 * request the element waits for is held by the sim for an hour, so a state
 * change that waited for it would hit the test's timeout.
 *
 * Synchronisation: bus messages and the sim's own records, never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "apixotest.h"
#include "testdir.h"

/* A small cached render: 1 s, 24 frames at 832x480. */
#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p duration=5 "    \
  "seed=1 retry-backoff-factor=0.01 "
#define PROMPT "prompt=\"lifecycle [sim:duration=1]\" "
#define N_FRAMES 24
#define DECODE                                                                 \
  " ! qtdemux name=d d.video_0 ! h264parse ! avdec_h264 ! "                    \
  "fakesink name=vsink"
/* A held request: long enough that waiting for it would time the test
 * out. */
#define HOLD_S 3600

APIXO_TEST_FIXTURE (0.005, "apixo-lifecycle")

/* ---- helpers ------------------------------------------------------------- */

static gchar *
tmp_path (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (*(guint *)data)++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  *(guint64 *)data += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* Counts buffers (@bytes FALSE: a guint) or bytes (a guint64) into
 * @counter. */
static void
probe_sink (GstElement *pipeline, const gchar *name, gboolean bytes,
            gpointer counter)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
                     bytes ? count_bytes : count_buffers, counter, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

/* Video frames decoded from the MP4 at @path (every frame: pull mode).
 * Not apixo_test_probe_file(): its colour measurement reads the decoder's
 * pixels, which valgrind reports as uninitialised (libav), and this file
 * runs under valgrind. */
static guint
decoded_frames (const gchar *path)
{
  gchar *launch = g_strdup_printf (
      "filesrc location=%s ! qtdemux name=d d.video_0 ! h264parse ! "
      "avdec_h264 ! fakesink name=vsink",
      path);
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  guint frames = 0;
  ApixoRun *run;

  fail_unless (pipeline != NULL);
  gst_object_ref_sink (pipeline);
  probe_sink (pipeline, "vsink", FALSE, &frames);
  run = apixo_test_run (pipeline, 120);
  fail_unless (run->error == NULL, "%s: %s", path,
               run->error ? run->error->message : "");
  fail_unless (run->eos);
  apixo_run_free (run);
  gst_object_unref (pipeline);
  g_free (launch);
  return frames;
}

/* Everything on the bus now (the pipeline in READY: nothing is flushed). */
static GList *
drain_bus (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GList *messages = NULL;
  GstMessage *msg;

  while ((msg = gst_bus_pop (bus)) != NULL)
    messages = g_list_append (messages, msg);
  gst_object_unref (bus);
  return messages;
}

static void
free_messages (GList *messages)
{
  g_list_free_full (messages, (GDestroyNotify)gst_message_unref);
}

static guint
count_type (GList *messages, GstMessageType type)
{
  guint n = 0;

  for (; messages != NULL; messages = messages->next)
    if (GST_MESSAGE_TYPE (messages->data) == type)
      n++;
  return n;
}

static guint
count_progress (GList *messages, GstProgressType type)
{
  guint n = 0;

  for (; messages != NULL; messages = messages->next) {
    GstProgressType t;

    if (GST_MESSAGE_TYPE (messages->data) != GST_MESSAGE_PROGRESS)
      continue;
    gst_message_parse_progress (messages->data, &t, NULL, NULL);
    if (t == type)
      n++;
  }
  return n;
}

/* Warnings whose details name @task_id. */
static guint
count_task_warnings (GList *messages, const gchar *task_id)
{
  guint n = 0;

  for (; messages != NULL; messages = messages->next) {
    const GstStructure *details = NULL;

    if (GST_MESSAGE_TYPE (messages->data) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning_details (messages->data, &details);
    if (details != NULL &&
        g_strcmp0 (gst_structure_get_string (details, "task-id"), task_id) == 0)
      n++;
  }
  return n;
}

/* READY (what stopping posts stays on the bus), then NULL; both at once. */
static GList *
stop_pipeline (GstElement *pipeline)
{
  GList *messages;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  messages = drain_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  return messages;
}

static GstElement *
start_pipeline (const gchar *launch)
{
  return apixo_test_start (sim, launch);
}

/* ---- stopping at any moment ---------------------------------------------- */

/* Runs SRC_FMT PROMPT @tail, stops it once the sim got a request on @route
 * (within @timeout s) and returns what the stop posted: it posted no error
 * and left no worker thread. */
static GList *
stop_at_request (const gchar *tail, const gchar *route, gdouble timeout)
{
  gchar *launch = g_strconcat (SRC_FMT PROMPT, tail, NULL);
  GstElement *pipeline = start_pipeline (launch);
  GList *messages;

  fail_unless (sim_fixture_wait_requests (sim, route, 1, timeout));
  messages = stop_pipeline (pipeline);
  fail_unless_equals_int (count_type (messages, GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  gst_object_unref (pipeline);
  g_free (launch);
  return messages;
}

/* One warning of @messages names the sim's only task (which may still be
 * billed, so that it can be resumed). */
static void
assert_task_warning (GList *messages)
{
  gchar *task_id = apixo_test_only_task_id (sim);

  fail_unless_equals_int (count_task_warnings (messages, task_id), 1);
  g_free (task_id);
}

/* stop_at_request() of a run into fakesink, at the first request on
 * @route: the generation was cut short (one CANCELED progress). */
static GList *
stop_cancelled_at (const gchar *route)
{
  GList *messages = stop_at_request ("! fakesink", route, 30);

  fail_unless_equals_int (count_progress (messages, GST_PROGRESS_TYPE_CANCELED),
                          1);
  return messages;
}

/* The submission is in flight (the sim created the task and holds the
 * answer). */
GST_START_TEST (test_stop_during_submit)
{
  GList *messages;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, HOLD_S, NULL);
  messages = stop_cancelled_at ("generate");
  /* sent once, never again */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  free_messages (messages);
}

GST_END_TEST;

/* Stopped while the submission is in flight: the request was sent and the
 * service may have created (and billed) the task, so the element must not
 * claim "nothing was billed": it warns that the outcome is unknown. */
GST_START_TEST (test_stop_during_submit_warns)
{
  GstElement *pipeline;
  GList *messages, *l;
  GstProgressType type;
  gchar *text;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, HOLD_S, NULL);
  pipeline = start_pipeline (SRC_FMT PROMPT "! fakesink");
  fail_unless (sim_fixture_wait_requests (sim, "generate", 1, 30));
  messages = stop_pipeline (pipeline);
  fail_unless (sim_fixture_wait_tasks (sim, 1, 30));
  for (l = messages; l != NULL; l = l->next) {
    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_PROGRESS)
      continue;
    gst_message_parse_progress (l->data, &type, NULL, &text);
    fail_if (strstr (text, "nothing was billed") != NULL, "%s", text);
    g_free (text);
  }
  fail_unless_equals_int (count_type (messages, GST_MESSAGE_WARNING), 1);
  free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A status request is in flight (held by the sim). */
GST_START_TEST (test_stop_during_poll)
{
  GList *messages;

  sim_fixture_add_fault_full (sim, "status", "slow", 1, HOLD_S, NULL);
  messages = stop_cancelled_at ("status");
  assert_task_warning (messages);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
  free_messages (messages);
}

GST_END_TEST;

/* Between polls, in a retry backoff of an hour (429 with Retry-After:
 * 3600): every wait is interruptible. */
GST_START_TEST (test_stop_during_backoff)
{
  JsonNode *fault = json_from_string ("{\"route\": \"status\", \"fault\": 429, "
                                      "\"retry_after\": 3600}",
                                      NULL);
  GList *messages;

  json_node_unref (sim_fixture_request (sim, "POST", "/__sim/faults", fault));
  json_node_unref (fault);
  messages = stop_cancelled_at ("status");
  assert_task_warning (messages);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", 429), 1);
  free_messages (messages);
}

GST_END_TEST;

/* Waiting for a task slot in the process-wide limiter (sora-2-pro's ten
 * are held by another pipeline): the stop returns, nothing was sent, and
 * the progress says nothing was billed (true here).  Eleven tasks of one
 * request: without the journal, which would make them share one. */
#define SORA_LONG                                                              \
  "model=sora-2-pro duration=4 early-poll=0 poll-delay=60 journal=false "      \
  "prompt=\"lifecycle [sim:delay=3000] [sim:duration=0.25]\" "

GST_START_TEST (test_stop_while_queued)
{
  GString *launch = g_string_new (NULL);
  GstElement *holders, *pipeline;
  GstMessage *queued;
  GList *messages;
  guint i;

  for (i = 0; i < 10; i++)
    g_string_append (launch, "apixosrc @SIM@ " SORA_LONG "! fakesink ");
  holders = start_pipeline (launch->str);
  g_string_free (launch, TRUE);
  fail_unless (sim_fixture_wait_tasks (sim, 10, 60));

  pipeline = start_pipeline ("apixosrc @SIM@ " SORA_LONG "! fakesink");
  queued = apixo_test_wait_message (pipeline, GST_MESSAGE_ELEMENT, 30);
  fail_unless (queued != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (gst_message_get_structure (queued), "event"),
      "queued");
  gst_message_unref (queued);
  messages = stop_pipeline (pipeline);
  fail_unless_equals_int (count_progress (messages, GST_PROGRESS_TYPE_CANCELED),
                          1);
  fail_unless_equals_int (count_type (messages, GST_MESSAGE_WARNING), 0);
  fail_unless_equals_int (count_type (messages, GST_MESSAGE_ERROR), 0);
  free_messages (messages);
  gst_object_unref (pipeline);

  free_messages (stop_pipeline (holders));
  gst_object_unref (holders);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 10);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 10);
}

GST_END_TEST;

/* The task succeeded; the result request is held by the sim, the streaming
 * thread waits in the spool for bytes. */
GST_START_TEST (test_stop_during_download)
{
  GList *messages;

  sim_fixture_add_fault_full (sim, "result", "slow", 1, HOLD_S, NULL);
  messages = stop_at_request (DECODE, "result", 60);
  /* the generation's progress was complete; what the stop left behind (a
   * result not fully downloaded) is named with its task */
  fail_unless_equals_int (count_progress (messages, GST_PROGRESS_TYPE_COMPLETE),
                          1);
  assert_task_warning (messages);
  free_messages (messages);
}

GST_END_TEST;

/* NULL -> PLAYING -> NULL, 20 times, stopping at once, after the sim got
 * the submission, or after it got a status poll.  Without the journal: a
 * stop between sending a submission and its answer would make the next
 * cycles refuse to submit (apixosrc_payonce.c tests that). */
GST_START_TEST (test_quick_cycles)
{
  GstElement *pipeline =
      apixo_test_parse (sim, SRC_FMT "journal=false " PROMPT "! fakesink");
  guint i;

  for (i = 0; i < 20; i++) {
    guint generated = sim_fixture_count_requests (sim, "generate", -1);
    guint polled = sim_fixture_count_requests (sim, "status", -1);

    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                            GST_STATE_CHANGE_ASYNC);
    if (i % 3 == 1)
      fail_unless (
          sim_fixture_wait_requests (sim, "generate", generated + 1, 30));
    else if (i % 3 == 2)
      fail_unless (sim_fixture_wait_requests (sim, "status", polled + 1, 30));
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                            GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  /* one submission per cycle at most */
  fail_unless (sim_fixture_count_requests (sim, "generate", -1) <= 20);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- unlock before any request ------------------------------------------- */

/* A flushing seek right after PLAYING (unlock + unlock_stop before the
 * task is submitted, or while it is): the run goes on, with one task, and
 * the stream is the whole file once. */
GST_START_TEST (test_flushing_seek_first)
{
  gchar *kept = tmp_path ("seek.mp4");
  gchar *launch = g_strdup_printf (
      SRC_FMT PROMPT "save-location=%s ! fakesink name=sink", kept);
  GstElement *pipeline = apixo_test_parse (sim, launch);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  guint64 bytes = 0;
  ApixoRun *run;
  GStatBuf st;

  probe_sink (pipeline, "sink", TRUE, &bytes);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  fail_unless (gst_element_send_event (
      src, gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH,
                               GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1)));
  run = apixo_test_run (pipeline, 60);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless_equals_int (decoded_frames (kept), N_FRAMES);
  /* the file went out once */
  fail_unless (g_stat (kept, &st) == 0);
  fail_unless_equals_uint64 (bytes, st.st_size);
  apixo_run_free (run);
  g_unlink (kept);
  g_free (kept);
  g_free (launch);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* READY right after PLAYING: whatever was or was not sent by then, the
 * state change returns, nothing is left running, and nothing is sent
 * later. */
GST_START_TEST (test_ready_right_after_playing)
{
  GstElement *pipeline = start_pipeline (SRC_FMT PROMPT "! fakesink");
  GList *messages = stop_pipeline (pipeline);

  fail_unless_equals_int (count_type (messages, GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  fail_unless (sim_fixture_count_requests (sim, "generate", -1) <= 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 0);
  free_messages (messages);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- a paused pipeline --------------------------------------------------- */

/* A big result (about 12 MB: 5 s of incompressible picture at 20 Mbit/s)
 * downloads completely while the pipeline stays PAUSED (the sink holds the
 * preroll buffer, so nothing downstream pulls), then plays to the end. */
GST_START_TEST (test_paused_download_completes)
{
  GstElement *pipeline = apixo_test_parse (
      sim, SRC_FMT "prompt=\"lifecycle [sim:duration=5] [sim:noise] "
                   "[sim:bitrate=20000]\"" DECODE);
  GstState state, pending;
  guint frames = 0;
  ApixoRun *run;
  const GstStructure *downloaded;
  GList *l;
  guint64 total = 0;

  probe_sink (pipeline, "vsink", FALSE, &frames);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_ASYNC);
  /* prerolled: the sink holds the first frame and blocks the stream */
  fail_unless_equals_int (
      gst_element_get_state (pipeline, &state, &pending, 120 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PAUSED);
  fail_unless (sim_fixture_wait_requests (sim, "result-complete", 1, 120));
  /* every byte arrived while downstream took one frame */
  fail_unless (frames <= 1, "%u frames", frames);
  fail_unless_equals_int (gst_element_get_state (pipeline, &state, &pending, 0),
                          GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PAUSED);

  run = apixo_test_run (pipeline, 120);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (frames, 5 * N_FRAMES);
  downloaded = apixo_run_task_event (run, "downloaded");
  fail_unless (downloaded != NULL);
  /* it was big, and downloaded once */
  for (l = apixo_run_element_messages (run, "apixo-task"); l != NULL;
       l = g_list_delete_link (l, l)) {
    const GstStructure *s = gst_message_get_structure (l->data);
    gint64 t;

    if (gst_structure_get_int64 (s, "total", &t))
      total = t;
    /* every download event says whose result it is */
    if (g_strcmp0 (gst_structure_get_string (s, "event"), "download") == 0)
      fail_unless_equals_string (
          gst_structure_get_string (s, "task-id"),
          gst_structure_get_string (downloaded, "task-id"));
  }
  fail_unless (total > 8 * 1024 * 1024, "%" G_GUINT64_FORMAT " bytes", total);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "result", -1), 1);
  apixo_run_free (run);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- resume -------------------------------------------------------------- */

GST_START_TEST (test_resume_by_task_id)
{
  gchar *path_a = tmp_path ("first.mp4"), *path_b = tmp_path ("second.mp4");
  gchar *launch =
      g_strdup_printf (SRC_FMT PROMPT "save-location=%s ! fakesink", path_a);
  ApixoRun *run = apixo_test_run_launch (sim, launch, 60);
  const GstStructure *submitted;
  gchar *task_id, *a, *b;
  gsize a_size, b_size;

  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  submitted = apixo_run_task_event (run, "submitted");
  fail_unless (submitted != NULL);
  task_id = g_strdup (gst_structure_get_string (submitted, "task-id"));
  apixo_run_free (run);
  g_free (launch);

  /* only the model and the task: nothing to submit */
  launch = g_strdup_printf ("apixosrc @SIM@ name=src model=wan-2-5-video "
                            "task-id=%s save-location=%s ! fakesink",
                            task_id, path_b);
  run = apixo_test_run_launch (sim, launch, 60);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_string (
      gst_structure_get_string (apixo_run_task_event (run, "success"),
                                "task-id"),
      task_id);
  /* announced as resumed: this run submitted nothing */
  fail_unless (apixo_run_task_event (run, "submitted") == NULL);
  fail_unless_equals_string (
      gst_structure_get_string (apixo_run_task_event (run, "resumed"),
                                "task-id"),
      task_id);

  /* the same result, one task, one submission */
  fail_unless (g_file_get_contents (path_a, &a, &a_size, NULL));
  fail_unless (g_file_get_contents (path_b, &b, &b_size, NULL));
  fail_unless_equals_uint64 (a_size, b_size);
  fail_unless (memcmp (a, b, a_size) == 0);
  fail_unless_equals_int (decoded_frames (path_b), N_FRAMES);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);

  g_free (a);
  g_free (b);
  g_unlink (path_a);
  g_unlink (path_b);
  g_free (path_a);
  g_free (path_b);
  g_free (task_id);
  g_free (launch);
  apixo_run_free (run);
}

GST_END_TEST;

/* ---- many elements ------------------------------------------------------- */

/* @n branches "apixosrc @props name=s<i> ! fakesink" in one pipeline: @n
 * tasks of one request, so without the journal, which would make them
 * share one (apixosrc_payonce.c tests that). */
static GstElement *
parse_branches (guint n, const gchar *props)
{
  GString *launch = g_string_new (NULL);
  GstElement *pipeline;
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (
        launch, "apixosrc @SIM@ name=s%u journal=false %s ! fakesink ", i,
        props);
  pipeline = apixo_test_parse (sim, launch->str);
  g_string_free (launch, TRUE);
  return pipeline;
}

static guint
count_events (ApixoRun *run, const gchar *event)
{
  GList *l = apixo_run_element_messages (run, "apixo-task");
  guint n = 0;

  for (; l != NULL; l = g_list_delete_link (l, l))
    if (g_strcmp0 (gst_structure_get_string (
                       gst_message_get_structure (l->data), "event"),
                   event) == 0)
      n++;
  return n;
}

/* Runs the @n branches of @pipeline to EOS (within 240 s): no error, and
 * each branch submitted one task and downloaded its result. */
static ApixoRun *
run_branches (GstElement *pipeline, guint n)
{
  ApixoRun *run = apixo_test_run (pipeline, 240);

  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (count_events (run, "downloaded"), n);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), n);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), n);
  return run;
}

/* 50 elements at once in one process share the one worker thread. */
GST_START_TEST (test_fifty_elements)
{
  GstElement *pipeline = parse_branches (
      50, "model=wan-2-5-video resolution=480p duration=5 seed=1 " PROMPT);
  ApixoRun *run;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  fail_unless (sim_fixture_wait_tasks (sim, 50, 120));
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 1);

  run = run_branches (pipeline, 50);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  apixo_run_free (run);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* sora-2-pro allows 10 concurrent tasks per key (and 60 requests a
 * minute): 15 elements queue in the process-wide limiter instead of
 * collecting 429s.  A late first poll keeps each task at two requests. */
GST_START_TEST (test_concurrency_limit)
{
  GstElement *pipeline = parse_branches (
      15, "model=sora-2-pro duration=4 early-poll=0 poll-delay=2 "
          "poll-interval=1 prompt=\"queue [sim:duration=0.25]\"");
  ApixoRun *run;

  run = run_branches (pipeline, 15);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 429), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", 429), 0);
  /* the five beyond the limit were told they wait */
  fail_unless_equals_int (count_events (run, "queued"), 5);
  apixo_run_free (run);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
apixosrc_lifecycle_suite (void)
{
  Suite *s = suite_create ("apixosrc_lifecycle");
  TCase *tc = tcase_create ("lifecycle");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_stop_during_submit);
  tcase_add_test (tc, test_stop_during_poll);
  tcase_add_test (tc, test_stop_during_backoff);
  tcase_add_test (tc, test_stop_while_queued);
  tcase_add_test (tc, test_stop_during_download);
  tcase_add_test (tc, test_quick_cycles);
  tcase_add_test (tc, test_flushing_seek_first);
  tcase_add_test (tc, test_ready_right_after_playing);
  tcase_add_test (tc, test_paused_download_completes);
  tcase_add_test (tc, test_resume_by_task_id);
  tcase_add_test (tc, test_fifty_elements);
  tcase_add_test (tc, test_concurrency_limit);
  tcase_add_test (tc, test_stop_during_submit_warns);
  return s;
}

GST_CHECK_MAIN (apixosrc_lifecycle);
