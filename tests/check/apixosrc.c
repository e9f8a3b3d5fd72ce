/* gst-apixo: apixosrc end to end against apixo-sim (core behaviour).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "apixotest.h"
#include "testdir.h"

APIXO_TEST_FIXTURE (0.01, "apixosrc")

static gchar *
out_path (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* The request body the sim received for its only task. */
static JsonObject *
only_task_request (void)
{
  JsonArray *tasks = sim_fixture_get_tasks (sim);
  JsonObject *task, *request;

  fail_unless_equals_int (json_array_get_length (tasks), 1);
  task = json_array_get_object_element (tasks, 0);
  request = json_object_ref (json_object_get_object_member (task, "request"));
  json_array_unref (tasks);
  return request;
}

static void
assert_json_equal (JsonObject *got, const gchar *expected_json)
{
  JsonNode *expected = json_from_string (expected_json, NULL);
  JsonNode *node = json_node_init_object (json_node_alloc (), got);
  gchar *a = json_to_string (node, TRUE), *b = json_to_string (expected, TRUE);

  fail_unless (json_node_equal (node, expected),
               "request body\n%s\n"
               "expected\n%s",
               a, b);
  g_free (a);
  g_free (b);
  json_node_unref (node);
  json_node_unref (expected);
}

GST_START_TEST (test_text_to_video)
{
  gchar *path = out_path ("lake.mp4");
  gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ model=wan-2-5-video "
      "prompt=\"a serene mountain landscape\" resolution=480p duration=5 "
      "aspect-ratio=1:1 seed=20260413 save-location=%s ! fakesink",
      path);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, 60);
  ApixoMediaInfo info;
  const GstStructure *s;
  JsonObject *request;

  fail_unless (run->error == NULL, "error: %s",
               run->error ? run->error->message : "");
  fail_unless (run->eos);

  /* what we paid for is kept, and it is what was asked for */
  fail_unless (apixo_test_probe_file (path, &info));
  /* 480p 1:1 is 624x624 (Wan's output sizes: docs/apixo-sim.md) */
  fail_unless_equals_int (info.width, 624);
  fail_unless_equals_int (info.height, 624);
  fail_unless_equals_int (info.n_frames, 5 * 24);
  fail_unless (info.has_audio);

  request = only_task_request ();
  assert_json_equal (
      request,
      "{\"request_type\":\"async\",\"input\":{"
      "\"mode\":\"text-to-video\",\"prompt\":\"a serene mountain landscape\","
      "\"resolution\":\"480p\",\"duration\":5,\"aspect_ratio\":\"1:1\","
      "\"seed\":20260413}}");
  json_object_unref (request);

  /* the bus told the story */
  s = apixo_run_task_event (run, "submitted");
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_string (s, "task-id") != NULL);
  s = apixo_run_task_event (run, "success");
  fail_unless (s != NULL);
  fail_unless (g_str_has_prefix (gst_structure_get_string (s, "result-uri"),
                                 "http://127.0.0.1:"));
  fail_unless (apixo_run_task_event (run, "downloaded") != NULL);
  fail_unless (apixo_run_count (run, GST_MESSAGE_PROGRESS) >= 2);

  g_free (launch);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_invalid_setting_sends_nothing)
{
  g_autoptr (ApixoRun) run = apixo_test_run_launch (
      sim, "apixosrc @SIM@ model=wan-2-5 prompt=x resolution=4k ! fakesink",
      30);

  fail_unless (run->error != NULL);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_SETTINGS);
  /* one error, ours: not followed by basesrc's generic one */
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
}

GST_END_TEST;

/* user-agent and extra-headers go with the submission (apixo-sim records
 * its headers but Authorization), non-string values serialized. */
GST_START_TEST (test_request_headers)
{
  g_autoptr (ApixoRun) run = apixo_test_run_launch (
      sim,
      "apixosrc @SIM@ model=wan-2-5 prompt=\"with headers\" resolution=720p "
      "duration=5 user-agent=gst-apixo-test/1 extra-headers=\"h, "
      "X-Trace=(string)abc-123, X-Count=(int)5\" ! fakesink",
      60);
  g_autofree gchar *task_id = NULL;
  JsonObject *task, *headers;

  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  headers = json_object_get_object_member (task, "requestHeaders");
  fail_unless (headers != NULL);
  fail_unless_equals_string (
      json_object_get_string_member (headers, "User-Agent"),
      "gst-apixo-test/1");
  fail_unless_equals_string (json_object_get_string_member (headers, "X-Trace"),
                             "abc-123");
  fail_unless_equals_string (json_object_get_string_member (headers, "X-Count"),
                             "5");
  json_object_unref (task);
}

GST_END_TEST;

GST_START_TEST (test_failed_task)
{
  g_autoptr (ApixoRun) run = apixo_test_run_launch (
      sim,
      "apixosrc @SIM@ model=veo-3-1 "
      "prompt=\"storm [sim:fail=CONTENT_VIOLATION]\" ! fakesink",
      60);
  const gchar *task_id;
  JsonObject *task;

  fail_unless (run->error != NULL);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (run->error_details != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "fail-code"),
      "CONTENT_VIOLATION");
  task_id = gst_structure_get_string (run->error_details, "task-id");
  fail_unless (task_id != NULL);
  task = sim_fixture_get_task (sim, task_id);
  fail_unless (task != NULL);
  json_object_unref (task);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
}

GST_END_TEST;

/* qtdemux pulls from the spool: every frame of a B-frame result. */
static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (*(guint *)data)++;
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_all_frames_pull_mode)
{
  GstElement *pipeline = apixo_test_parse (
      sim, "apixosrc @SIM@ name=src model=wan-2-5 prompt=\"count every frame\" "
           "resolution=720p duration=10 ! qtdemux ! h264parse ! avdec_h264 ! "
           "fakesink name=sink");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  guint frames = 0;
  ApixoRun *run;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &frames,
                     NULL);
  run = apixo_test_run (pipeline, 60);
  fail_unless (run->error == NULL, "error: %s",
               run->error ? run->error->message : "");
  fail_unless_equals_int (frames, 240);
  apixo_run_free (run);
  gst_object_unref (srcpad);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static void
check_interrupted_warning (GstMessage *msg)
{
  GError *error = NULL;
  const GstStructure *details = NULL;
  JsonArray *tasks = sim_fixture_get_tasks (sim);
  const gchar *task_id = json_object_get_string_member (
      json_array_get_object_element (tasks, 0), "taskId");

  gst_message_parse_warning (msg, &error, NULL);
  gst_message_parse_warning_details (msg, &details);
  fail_unless (details != NULL);
  /* names the task that may still be billed, so it can be resumed */
  fail_unless_equals_string (gst_structure_get_string (details, "task-id"),
                             task_id);
  /* in the same vocabulary as every error */
  fail_unless (gst_structure_has_name (details, "apixo-error"));
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
                             "abandoned");
  g_error_free (error);
  json_array_unref (tasks);
}

/* A state change to NULL while the task is being polled returns at once,
 * says which task may still be billed, and frees everything. */
GST_START_TEST (test_stop_while_polling)
{
  GstElement *pipeline = apixo_test_parse (
      sim, "apixosrc @SIM@ model=veo-3-1 prompt=\"slow [sim:delay=3000]\" ! "
           "fakesink");
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  fail_unless (sim_fixture_wait_requests (sim, "status", 2, 30));
  /* READY, not NULL yet: a pipeline's bus drops everything in NULL */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  check_interrupted_warning (msg);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (apixo_test_count_threads ("apixo-worker"), 0);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
apixosrc_suite (void)
{
  Suite *s = suite_create ("apixosrc");
  TCase *tc = tcase_create ("core");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_text_to_video);
  tcase_add_test (tc, test_invalid_setting_sends_nothing);
  tcase_add_test (tc, test_request_headers);
  tcase_add_test (tc, test_failed_task);
  tcase_add_test (tc, test_all_frames_pull_mode);
  tcase_add_test (tc, test_stop_while_polling);
  return s;
}

GST_CHECK_MAIN (apixosrc);
