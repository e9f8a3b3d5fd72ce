/* gst-apixo: how apixosrc serves the result (pull and push mode, moov at
 * the end, seeking, queries, tags).
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

APIXO_TEST_FIXTURE (0.01, "apixosrc-stream")

static GstPadProbeReturn
count_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
post_first_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstElement *sink = gst_pad_get_parent_element (pad);

  gst_element_post_message (
      sink, gst_message_new_application (
                GST_OBJECT (sink), gst_structure_new_empty ("first-frame")));
  gst_object_unref (sink);
  return GST_PAD_PROBE_REMOVE;
}

/* Position in @run's messages of the first one named @name (-1: none). */
static gint
message_index (ApixoRun *run, const gchar *name, const gchar *event)
{
  gint i = 0;

  for (GList *l = run->messages; l != NULL; l = l->next, i++) {
    const GstStructure *s = gst_message_get_structure (l->data);

    if (s != NULL && gst_structure_has_name (s, name) &&
        (event == NULL ||
         g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0))
      return i;
  }
  return -1;
}

/* Runs @launch (whose video frames reach the element named "sink") and
 * returns how many frames arrived; the first one also posts a
 * "first-frame" application message. */
static gint
run_counting_frames (const gchar *launch, ApixoRun **run_out)
{
  GstElement *pipeline = apixo_test_parse (sim, launch);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gint frames = 0;
  ApixoRun *run;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, post_first_frame, NULL,
                     NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &frames,
                     NULL);
  run = apixo_test_run (pipeline, 90);
  fail_unless (run->error == NULL, "error: %s",
               run->error ? run->error->message : "");
  fail_unless (run->eos);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  if (run_out != NULL)
    *run_out = run;
  else
    apixo_run_free (run);
  return frames;
}

/* The moov atom at the end of the file: qtdemux pulls it from the spool
 * (served by a Range request if the download is not there yet) and every
 * frame comes out. */
GST_START_TEST (test_moov_at_end_pull)
{
  gint frames = run_counting_frames (
      "apixosrc @SIM@ model=wan-2-5 "
      "prompt=\"the end [sim:moov=end]\" resolution=720p duration=10 ! "
      "qtdemux ! h264parse ! fakesink name=sink",
      NULL);

  fail_unless_equals_int (frames, 240);
}

GST_END_TEST;

/* Moov at the end, and the download broken off half way (resumed only
 * after a 3 s backoff): the moov comes by a Range request and the frames
 * of the first half flow at once, long before the download is over. */
GST_START_TEST (test_moov_at_end_plays_before_downloaded)
{
  gint first_frame, downloaded, frames;
  ApixoRun *run;

  sim_fixture_add_fault (sim, "result", "truncate", 1);
  frames = run_counting_frames (
      "apixosrc @SIM@ model=wan-2-5 retry-backoff-factor=3 "
      "prompt=\"early [sim:moov=end][sim:noise][sim:bitrate=8000]\" "
      "resolution=720p duration=5 ! qtdemux ! h264parse ! fakesink name=sink",
      &run);
  fail_unless_equals_int (frames, 120);
  /* the result was dropped and resumed, and the moov came by a Range */
  fail_unless (sim_fixture_count_requests (sim, "result", -1) >= 3);

  first_frame = message_index (run, "first-frame", NULL);
  downloaded = message_index (run, "apixo-task", "downloaded");
  fail_unless (first_frame >= 0 && downloaded >= 0);
  fail_unless (first_frame < downloaded,
               "the first frame waited for the whole download");
  apixo_run_free (run);
}

GST_END_TEST;

/* Push mode (a queue in between): qtdemux seeks us in bytes to read the
 * moov at the end, then back; the stream completes. */
GST_START_TEST (test_moov_at_end_push)
{
  gint frames = run_counting_frames (
      "apixosrc @SIM@ model=wan-2-5 "
      "prompt=\"pushed [sim:moov=end]\" resolution=720p duration=5 ! queue ! "
      "qtdemux ! h264parse ! fakesink name=sink",
      NULL);

  /* qtdemux in push mode may hold back the last B-frames of a fragment
   * (its own limitation, the reason pull mode is preferred); the bulk must
   * be there */
  fail_unless (frames >= 116, "only %d frames", frames);
}

GST_END_TEST;

/* What goes out in push mode is the result file, byte for byte. */
GST_START_TEST (test_push_bytes_identical)
{
  gchar *kept = g_build_filename (tmpdir, "kept.mp4", NULL);
  gchar *pushed = g_build_filename (tmpdir, "pushed.mp4", NULL);
  gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ model=sora-2-pro "
      "prompt=\"bytes\" save-location=%s ! filesink location=%s",
      kept, pushed);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, 60);
  gchar *a, *b;
  gsize alen, blen;

  fail_unless (run->eos && run->error == NULL);
  fail_unless (g_file_get_contents (kept, &a, &alen, NULL));
  fail_unless (g_file_get_contents (pushed, &b, &blen, NULL));
  fail_unless (alen > 100000);
  fail_unless_equals_uint64 (alen, blen);
  fail_unless (memcmp (a, b, alen) == 0);
  g_free (a);
  g_free (b);
  g_free (launch);
  g_free (kept);
  g_free (pushed);
}

GST_END_TEST;

/* After preroll: the byte duration is the file size, and a time seek in
 * pull mode works. */
GST_START_TEST (test_duration_and_seek)
{
  gchar *kept = g_build_filename (tmpdir, "seek.mp4", NULL);
  gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ name=src model=wan-2-5 "
      "prompt=\"seek me\" resolution=720p duration=10 save-location=%s ! "
      "qtdemux ! h264parse ! fakesink name=sink sync=false",
      kept);
  GstElement *pipeline = apixo_test_parse (sim, launch);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstMessage *msg;
  gint64 bytes = -1;
  gint frames = 0;
  GStatBuf st;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_ASYNC);
  msg = apixo_test_wait_message (
      pipeline, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR, 60);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ASYNC_DONE);
  gst_message_unref (msg);

  fail_unless (gst_element_query_duration (src, GST_FORMAT_BYTES, &bytes));
  /* the whole file is there once prerolled at the start of a moov-first
   * file?  Not necessarily: the size is known from the headers anyway */
  fail_unless (bytes > 0);

  /* flushing seek to 5 s, then play to the end: about half the frames */
  fail_unless (gst_element_seek_simple (
      pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT,
      5 * GST_SECOND));
  msg = apixo_test_wait_message (
      pipeline, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR, 60);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ASYNC_DONE);
  gst_message_unref (msg);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &frames,
                     NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = apixo_test_wait_message (pipeline, GST_MESSAGE_EOS | GST_MESSAGE_ERROR,
                                 60);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  /* frames from the key unit at or before 5 s to the end (10 s) */
  fail_unless (frames >= 120 && frames < 240, "%d frames after the seek",
               frames);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_stat (kept, &st) == 0);
  fail_unless_equals_int64 (bytes, (gint64)st.st_size);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (launch);
  g_free (kept);
}

GST_END_TEST;

/* Tags for muxers and editors: the prompt, the model and the task id. */
GST_START_TEST (test_tags)
{
  ApixoRun *run;
  GList *l;
  gboolean found = FALSE;
  gint frames = run_counting_frames (
      "apixosrc @SIM@ model=veo-3-1 "
      "prompt=\"tagged ocean\" ! queue ! qtdemux ! fakesink name=sink",
      &run);
  const gchar *task_id = gst_structure_get_string (
      apixo_run_task_event (run, "submitted"), "task-id");

  fail_unless (frames > 0);
  for (l = run->messages; l != NULL; l = l->next) {
    GstMessage *msg = l->data;
    GstTagList *tags;
    gchar *description = NULL, *comment = NULL;

    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_TAG)
      continue;
    gst_message_parse_tag (msg, &tags);
    if (gst_tag_list_get_string (tags, GST_TAG_DESCRIPTION, &description) &&
        gst_tag_list_get_string (tags, GST_TAG_COMMENT, &comment)) {
      fail_unless_equals_string (description, "tagged ocean");
      fail_unless (strstr (comment, "veo-3-1") != NULL);
      fail_unless (strstr (comment, task_id) != NULL);
      found = TRUE;
    }
    g_free (description);
    g_free (comment);
    gst_tag_list_unref (tags);
  }
  fail_unless (found);
  apixo_run_free (run);
}

GST_END_TEST;

/* ---- over HTTPS ----------------------------------------------------------- */

/* The service's API and result URLs are HTTPS: the same sim serving TLS
 * (tests/data's certificate, trusted through tls-database; ssl-strict stays
 * TRUE). */
static void
setup_tls (void)
{
  apixo_test_fixture_start_tls (&sim, &tmpdir, 0.01, "apixosrc-stream");
}

/* Moov at the end over TLS: the pollable reads of the download, the Range
 * request for the moov; every frame, and the kept file decodes to what was
 * asked. */
GST_START_TEST (test_https_moov_at_end_pull)
{
  gchar *kept = g_build_filename (tmpdir, "kept.mp4", NULL);
  gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ model=wan-2-5 prompt=\"secure [sim:moov=end]\" "
      "resolution=720p duration=10 save-location=%s ! qtdemux ! h264parse ! "
      "fakesink name=sink",
      kept);
  ApixoRun *run;
  ApixoMediaInfo info;
  gint frames = run_counting_frames (launch, &run);

  fail_unless_equals_int (frames, 240);
  fail_unless (g_str_has_prefix (
      gst_structure_get_string (apixo_run_task_event (run, "success"),
                                "result-uri"),
      "https://"));
  fail_unless (apixo_test_probe_file (kept, &info));
  fail_unless_equals_int (info.width, 1280);
  fail_unless_equals_int (info.height, 720);
  fail_unless_equals_int (info.n_frames, 240);
  fail_unless (info.declared_duration > 9 * GST_SECOND &&
               info.declared_duration < 11 * GST_SECOND);
  apixo_run_free (run);
  g_free (launch);
  g_free (kept);
}

GST_END_TEST;

/* The TLS connection is reset in the middle of the body: the download
 * resumes with a Range request, and every frame comes out. */
GST_START_TEST (test_https_dropped_and_resumed)
{
  gint frames;

  sim_fixture_add_fault (sim, "result", "truncate", 1);
  frames = run_counting_frames (
      "apixosrc @SIM@ model=wan-2-5 retry-backoff-factor=0.1 "
      "prompt=\"dropped [sim:noise][sim:bitrate=8000]\" resolution=720p "
      "duration=5 ! qtdemux ! h264parse ! fakesink name=sink",
      NULL);
  fail_unless_equals_int (frames, 120);
  fail_unless (sim_fixture_count_requests (sim, "result", -1) >= 2);
}

GST_END_TEST;

/* ssl-ca-file, the gst-launch way to trust a private CA (no tls-database
 * set): the whole generation goes over HTTPS. */
GST_START_TEST (test_https_ssl_ca_file)
{
  gchar *cert = sim_fixture_data_path ("sim-test-cert.pem");
  gchar *launch = g_strdup_printf (
      "apixosrc base-url=%s api-key=test-key early-poll=0.05 poll-delay=0.1 "
      "poll-interval=0.05 ssl-ca-file=%s model=wan-2-5 prompt=\"ca file\" "
      "resolution=720p duration=5 ! qtdemux ! h264parse ! fakesink",
      sim_fixture_base_url (sim), cert);
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  ApixoRun *run;

  fail_unless (pipeline != NULL);
  run = apixo_test_run (gst_object_ref_sink (pipeline), 60);
  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  apixo_run_free (run);
  gst_object_unref (pipeline);
  g_free (launch);
  g_free (cert);
}

GST_END_TEST;

static Suite *
apixosrc_stream_suite (void)
{
  Suite *s = suite_create ("apixosrc-stream");
  TCase *tc = tcase_create ("stream");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_moov_at_end_pull);
  tcase_add_test (tc, test_moov_at_end_plays_before_downloaded);
  tcase_add_test (tc, test_moov_at_end_push);
  tcase_add_test (tc, test_push_bytes_identical);
  tcase_add_test (tc, test_duration_and_seek);
  tcase_add_test (tc, test_tags);

  tc = tcase_create ("https");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup_tls, teardown);
  tcase_add_test (tc, test_https_moov_at_end_pull);
  tcase_add_test (tc, test_https_dropped_and_resumed);
  tcase_add_test (tc, test_https_ssl_ca_file);
  tcase_add_test (tc, test_push_bytes_identical);
  return s;
}

GST_CHECK_MAIN (apixosrc_stream);
