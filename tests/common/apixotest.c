/* gst-apixo test support: pipelines, decoded-output checks, test media.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Thread safety: the test server runs its own thread and context; its
 * routes and counters are guarded by server->lock.  The log capture is
 * guarded by log_lock.  Everything else runs on the test's thread.
 */

#include "apixotest.h"
#include "testdir.h"

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

/* ---- the per-test fixture ------------------------------------------------ */

void
apixo_test_fixture_start (SimFixture **sim, gchar **dir, gdouble time_scale,
                          const gchar *dir_prefix)
{
  *sim = sim_fixture_start (time_scale, NULL);
  if (dir_prefix != NULL)
    *dir = apixo_test_dir_new (dir_prefix);
}

void
apixo_test_fixture_start_tls (SimFixture **sim, gchar **dir, gdouble time_scale,
                              const gchar *dir_prefix)
{
  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
               "no TLS backend: install glib-networking");
  *sim = sim_fixture_start_tls (time_scale);
  fail_unless (g_str_has_prefix (sim_fixture_base_url (*sim), "https://"));
  if (dir_prefix != NULL)
    *dir = apixo_test_dir_new (dir_prefix);
}

void
apixo_test_fixture_stop (SimFixture **sim, gchar **dir)
{
  sim_fixture_stop (*sim);
  *sim = NULL;
  apixo_test_dir_clear (dir);
}

gchar *
apixo_test_only_task_id (SimFixture *sim)
{
  JsonArray *tasks = sim_fixture_get_tasks (sim);
  gchar *id;

  fail_unless_equals_int (json_array_get_length (tasks), 1);
  id = g_strdup (json_object_get_string_member (
      json_array_get_object_element (tasks, 0), "taskId"));
  json_array_unref (tasks);
  return id;
}

/* ---- running pipelines --------------------------------------------------- */

/* A sim serving HTTPS (sim_fixture_start_tls()): every apixo element of
 * @pipeline trusts its certificate. */
static void
trust_sim (GstElement *pipeline, GTlsDatabase *db)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);

    if (g_str_has_prefix (G_OBJECT_TYPE_NAME (e), "GstApixo"))
      g_object_set (e, "tls-database", db, NULL);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

GstElement *
apixo_test_parse (SimFixture *sim, const gchar *launch)
{
  GError *error = NULL;
  GstElement *pipeline;
  gchar *sim_args, **parts, *text;

  sim_args = g_strdup_printf ("base-url=%s api-key=test-key early-poll=0.05 "
                              "poll-delay=0.1 poll-interval=0.05",
                              sim ? sim_fixture_base_url (sim)
                                  : "http://127.0.0.1:9/api/v1");
  parts = g_strsplit (launch, "@SIM@", -1);
  text = g_strjoinv (sim_args, parts);
  g_strfreev (parts);
  g_free (sim_args);

  pipeline = gst_parse_launch (text, &error);
  fail_unless (pipeline != NULL, "could not parse '%s': %s", text,
               error ? error->message : "?");
  g_clear_error (&error);
  g_free (text);
  gst_object_ref_sink (pipeline);
  if (sim != NULL && sim_fixture_tls_database (sim) != NULL)
    trust_sim (pipeline, sim_fixture_tls_database (sim));
  return pipeline;
}

static void
run_record_error (ApixoRun *run, GstMessage *msg)
{
  const GstStructure *details = NULL;

  if (run->error != NULL)
    return;
  gst_message_parse_error (msg, &run->error, &run->error_debug);
  gst_message_parse_error_details (msg, &details);
  if (details != NULL)
    run->error_details = gst_structure_copy (details);
  run->error_source = gst_object_get_name (GST_MESSAGE_SRC (msg));
}

ApixoRun *
apixo_test_run (GstElement *pipeline, gdouble timeout)
{
  ApixoRun *run = g_new0 (ApixoRun, 1);
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + timeout * G_USEC_PER_SEC;
  GstStateChangeReturn sret;

  run->pipeline = gst_object_ref (pipeline);
  sret = gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!run->eos && run->error == NULL) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    fail_unless (left > 0, "pipeline did not finish within %.0f s", timeout);
    msg = gst_bus_timed_pop (bus, left * GST_USECOND);
    if (msg == NULL)
      continue;
    run->messages = g_list_append (run->messages, msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      run->eos = TRUE;
    else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      run_record_error (run, msg);
  }
  /* A failed state change must have said why on the bus. */
  if (sret == GST_STATE_CHANGE_FAILURE)
    fail_unless (run->error != NULL);
  /* READY first: what stopping posts (e.g. the warning about a task that
   * may still be billed) is dropped once the pipeline's bus flushes in
   * NULL. */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  while (TRUE) {
    GstMessage *msg = gst_bus_pop (bus);
    if (msg == NULL)
      break;
    run->messages = g_list_append (run->messages, msg);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  return run;
}

GstElement *
apixo_test_start (SimFixture *sim, const gchar *launch)
{
  GstElement *pipeline = apixo_test_parse (sim, launch);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);
  return pipeline;
}

ApixoRun *
apixo_test_run_launch (SimFixture *sim, const gchar *launch, gdouble timeout)
{
  GstElement *pipeline = apixo_test_parse (sim, launch);
  ApixoRun *run = apixo_test_run (pipeline, timeout);

  gst_object_unref (pipeline);
  return run;
}

void
apixo_run_free (ApixoRun *run)
{
  if (run == NULL)
    return;
  g_list_free_full (run->messages, (GDestroyNotify)gst_message_unref);
  g_clear_error (&run->error);
  g_free (run->error_debug);
  if (run->error_details != NULL)
    gst_structure_free (run->error_details);
  g_free (run->error_source);
  gst_object_unref (run->pipeline);
  g_free (run);
}

GList *
apixo_run_element_messages (ApixoRun *run, const gchar *name)
{
  GList *out = NULL, *l;

  for (l = run->messages; l != NULL; l = l->next) {
    GstMessage *msg = l->data;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_message_has_name (msg, name))
      out = g_list_append (out, msg);
  }
  return out;
}

const GstStructure *
apixo_run_task_event (ApixoRun *run, const gchar *event)
{
  GList *l;

  for (l = run->messages; l != NULL; l = l->next) {
    GstMessage *msg = l->data;
    const GstStructure *s;
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT ||
        !gst_message_has_name (msg, "apixo-task"))
      continue;
    s = gst_message_get_structure (msg);
    if (g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0)
      return s;
  }
  return NULL;
}

guint
apixo_run_count (ApixoRun *run, GstMessageType type)
{
  GList *l;
  guint n = 0;

  for (l = run->messages; l != NULL; l = l->next)
    if (GST_MESSAGE_TYPE (l->data) == type)
      n++;
  return n;
}

GstMessage *
apixo_test_wait_message (GstElement *pipeline, GstMessageType types,
                         gdouble timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (
      bus, (GstClockTime)(timeout * GST_SECOND), types);

  gst_object_unref (bus);
  return msg;
}

GstMessage *
apixo_test_wait_error_from (GstElement *pipeline, GstElement *element,
                            gdouble timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 end = g_get_monotonic_time () + (gint64)(timeout * G_USEC_PER_SEC);
  GstMessage *msg = NULL;
  gint64 left;

  while ((left = end - g_get_monotonic_time ()) > 0) {
    msg = gst_bus_timed_pop_filtered (bus, (GstClockTime)left * GST_USECOND,
                                      GST_MESSAGE_ERROR);
    if (msg == NULL || GST_MESSAGE_SRC (msg) == GST_OBJECT (element) ||
        gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
                                    GST_OBJECT (element)))
      break;
    gst_clear_message (&msg);
  }
  gst_object_unref (bus);
  return msg;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct {
  ApixoMediaInfo *info;
  GstElement *pipeline;
} ProbeCtx;

static void
mean_rgb (GstSample *sample, gdouble x, gdouble y, gdouble w, gdouble h,
          gdouble rgb[3])
{
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GstBuffer *buf = gst_sample_get_buffer (sample);
  gint x0, y0, x1, y1, i, j, c;
  guint64 sum[3] = { 0, 0, 0 }, n = 0;

  fail_unless (gst_video_info_from_caps (&vinfo, gst_sample_get_caps (sample)));
  fail_unless (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_READ));
  x0 = x * vinfo.width;
  y0 = y * vinfo.height;
  x1 = MAX (x0 + 1, (gint)((x + w) * vinfo.width));
  y1 = MAX (y0 + 1, (gint)((y + h) * vinfo.height));
  for (j = y0; j < y1 && j < vinfo.height; j++) {
    const guint8 *row = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
                        j * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    for (i = x0; i < x1 && i < vinfo.width; i++, n++)
      for (c = 0; c < 3; c++)
        sum[c] += row[i * 3 + c];
  }
  gst_video_frame_unmap (&frame);
  for (c = 0; c < 3; c++)
    rgb[c] = n ? sum[c] / (gdouble)n : 0;
}

static GstPadProbeReturn
audio_probe (GstPad *pad, GstPadProbeInfo *pinfo, gpointer data)
{
  ApixoMediaInfo *info = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (pinfo);

  info->has_audio = TRUE;
  if (GST_BUFFER_PTS_IS_VALID (buf) && GST_BUFFER_DURATION_IS_VALID (buf))
    info->audio_duration = MAX (
        info->audio_duration, GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
video_caps_probe (GstPad *pad, GstPadProbeInfo *pinfo, gpointer data)
{
  ApixoMediaInfo *info = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (pinfo);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    GstStructure *s;
    gst_event_parse_caps (event, &caps);
    s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "width", &info->width);
    gst_structure_get_int (s, "height", &info->height);
  }
  return GST_PAD_PROBE_OK;
}

static void
probe_pad_added (GstElement *decodebin, GstPad *pad, gpointer data)
{
  ProbeCtx *ctx = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GstElement *bin;
  GstPad *sinkpad;

  if (g_str_has_prefix (name, "video/")) {
    bin = gst_parse_bin_from_description (
        "videoconvert ! videoscale "
        "add-borders=false ! video/x-raw,format=RGB,width=64,height=64 ! "
        "appsink name=vsink sync=false",
        TRUE, NULL);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width",
                           &ctx->info->width);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "height",
                           &ctx->info->height);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       video_caps_probe, ctx->info, NULL);
  } else {
    bin = gst_parse_bin_from_description ("audioconvert ! fakesink "
                                          "sync=false",
                                          TRUE, NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_probe, ctx->info,
                       NULL);
  }
  gst_caps_unref (caps);
  gst_bin_add (GST_BIN (ctx->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  sinkpad = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static GstFlowReturn
probe_new_sample (GstAppSink *sink, gpointer data)
{
  ApixoMediaInfo *info = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf = gst_sample_get_buffer (sample);

  if (info->n_frames == 0)
    mean_rgb (sample, 0, 0, 1, 1, info->first_rgb);
  mean_rgb (sample, 0, 0, 1, 1, info->last_rgb);
  info->n_frames++;
  if (GST_BUFFER_PTS_IS_VALID (buf) && GST_BUFFER_DURATION_IS_VALID (buf))
    info->duration =
        MAX (info->duration, GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf));
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
element_added (GstBin *bin, GstBin *sub, GstElement *element, gpointer data)
{
  gchar *name = gst_object_get_name (GST_OBJECT (element));

  if (g_strcmp0 (name, "vsink") == 0) {
    GstAppSinkCallbacks cb = {
      0,
    };
    cb.new_sample = probe_new_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (element), &cb, data, NULL);
  }
  g_free (name);
}

gboolean
apixo_test_probe_file (const gchar *path, ApixoMediaInfo *info)
{
  ProbeCtx ctx;
  GstElement *pipeline, *src, *dec;
  GstBus *bus;
  GstMessage *msg;
  gboolean ok;

  memset (info, 0, sizeof (*info));
  pipeline = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("filesrc", NULL);
  dec = gst_element_factory_make ("decodebin", NULL);
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, dec, NULL);
  gst_element_link (src, dec);
  ctx.info = info;
  ctx.pipeline = pipeline;
  g_signal_connect (dec, "pad-added", G_CALLBACK (probe_pad_added), &ctx);
  g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (element_added),
                    info);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (ok) {
    gint64 d;
    if (gst_element_query_duration (pipeline, GST_FORMAT_TIME, &d))
      info->declared_duration = d;
  }
  if (msg != NULL)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok && info->n_frames > 0;
}

typedef struct {
  guint index, seen;
  gdouble x, y, w, h;
  gdouble *rgb;
  gboolean done;
} RegionCtx;

static GstFlowReturn
region_new_sample (GstAppSink *sink, gpointer data)
{
  RegionCtx *ctx = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);

  if (!ctx->done && ctx->seen == ctx->index) {
    mean_rgb (sample, ctx->x, ctx->y, ctx->w, ctx->h, ctx->rgb);
    ctx->done = TRUE;
  }
  ctx->seen++;
  gst_sample_unref (sample);
  return ctx->done ? GST_FLOW_EOS : GST_FLOW_OK;
}

gboolean
apixo_test_frame_region_rgb (const gchar *path, guint index, gdouble x,
                             gdouble y, gdouble w, gdouble h, gdouble rgb[3])
{
  RegionCtx ctx = { index, 0, x, y, w, h, rgb, FALSE };
  GstAppSinkCallbacks cb = {
    0,
  };
  GstElement *pipeline, *sink;
  GstMessage *msg;
  GstBus *bus;
  gchar *desc;

  desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! "
                          "decodebin ! videoconvert ! video/x-raw,format=RGB ! "
                          "appsink name=s sync=false",
                          path);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  cb.new_sample = region_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, &ctx, NULL);
  gst_object_unref (sink);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg != NULL)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ctx.done;
}

/* ---- test media ---------------------------------------------------------- */

void
apixo_test_play (const gchar *description, guint timeout)
{
  GstElement *pipeline = gst_parse_launch (description, NULL);
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "cannot build %s", description);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, timeout * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
               "rendering %s failed", description);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

static GBytes *
render_to_bytes (const gchar *description, const gchar *name)
{
  gchar *dir = g_dir_make_tmp ("apixo-test-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *desc =
      g_strdup_printf ("%s ! filesink location=\"%s\"", description, path);
  gchar *contents = NULL;
  gsize len = 0;

  apixo_test_play (desc, 60);
  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  g_free (desc);
  return g_bytes_new_take (contents, len);
}

GBytes *
apixo_test_make_image (gint width, gint height, const gchar *format, gint rgb)
{
  gboolean alpha = g_str_equal (format, "png-alpha");
  const gchar *enc = g_str_has_prefix (format, "png") ? "pngenc"
                     : g_str_equal (format, "jpeg")   ? "jpegenc"
                     : g_str_equal (format, "webp")   ? "webpenc"
                                                      : "avenc_bmp";
  gchar *pattern, *desc;
  GBytes *bytes;

  pattern =
      rgb < 0 ? g_strdup ("pattern=smpte")
              : g_strdup_printf ("pattern=solid-color foreground-color=0x%08x",
                                 0xff000000u | (guint)rgb);
  /* Drawn in RGB: drawn in the YUV format videotestsrc picks by itself,
   * #c03030 came back from the JPEG as about (178, 52, 54).  PNG: RGB, no
   * alpha (wan-2-5-video refuses alpha); JPEG: full-range BT.601
   * (colorimetry 1:4:0:0), the encoding decoders assume, so the colour
   * decodes back as it was drawn. */
  desc = g_strdup_printf (
      "videotestsrc num-buffers=1 %s ! "
      "video/x-raw,format=RGB,width=%d,height=%d ! videoconvert ! %s ! %s%s",
      pattern, width, height,
      alpha                         ? "video/x-raw,format=RGBA"
      : g_str_equal (enc, "pngenc") ? "video/x-raw,format=RGB"
      : g_str_equal (enc, "jpegenc")
          ? "video/x-raw,format=I420,colorimetry=1:4:0:0"
          : "identity",
      enc, g_str_equal (enc, "pngenc") ? " snapshot=true" : "");
  bytes = render_to_bytes (desc, "image");
  g_free (desc);
  g_free (pattern);
  return bytes;
}

GBytes *
apixo_test_make_wav (gdouble seconds)
{
  gchar *desc = g_strdup_printf (
      "audiotestsrc num-buffers=%d "
      "samplesperbuffer=4410 ! audio/x-raw,rate=44100,channels=1 ! wavenc",
      (gint)(seconds * 10));
  GBytes *bytes = render_to_bytes (desc, "sound.wav");

  g_free (desc);
  return bytes;
}

GBytes *
apixo_test_make_mp4 (gdouble seconds, gint width, gint height)
{
  gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=%d pattern=ball ! "
      "video/x-raw,width=%d,height=%d,framerate=24/1 ! x264enc "
      "speed-preset=ultrafast ! mp4mux",
      (gint)(seconds * 24), width, height);
  GBytes *bytes = render_to_bytes (desc, "motion.mp4");

  g_free (desc);
  return bytes;
}

gchar *
apixo_test_write_temp (GBytes *data, const gchar *name)
{
  gchar *dir = g_dir_make_tmp ("apixo-test-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, g_bytes_get_data (data, NULL),
                                    g_bytes_get_size (data), NULL));
  g_free (dir);
  return path;
}

/* ---- test HTTP server ---------------------------------------------------- */

typedef struct {
  GBytes *data;
  gchar *content_type;
  gchar *location;             /* a redirect route */
  SoupServerCallback callback; /* a route the test answers itself */
  gpointer callback_data;
  guint requests;
  guint authorized; /* requests with an Authorization header */
} Route;

struct _ApixoTestServer {
  GMutex lock;
  GCond cond;
  GHashTable *routes; /* "/name" -> Route */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
  gboolean any; /* every address of the host, not 127.0.0.1 only */
};

static void
route_free (Route *r)
{
  if (r->data != NULL)
    g_bytes_unref (r->data);
  g_free (r->content_type);
  g_free (r->location);
  g_free (r);
}

static void
server_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer data)
{
  ApixoTestServer *server = data;
  Route *route;

  g_mutex_lock (&server->lock);
  route = g_hash_table_lookup (server->routes, path);
  if (route != NULL &&
      soup_message_headers_get_one (
          soup_server_message_get_request_headers (msg), "Authorization"))
    route->authorized++;
  if (route == NULL) {
    soup_server_message_set_status (msg, 404, NULL);
  } else if (route->location != NULL) {
    route->requests++;
    soup_server_message_set_redirect (msg, 302, route->location);
  } else if (route->callback != NULL) {
    SoupServerCallback callback = route->callback;
    gpointer callback_data = route->callback_data;

    route->requests++;
    /* without the lock: the callback may ask for counts */
    g_mutex_unlock (&server->lock);
    callback (soup, msg, path, query, callback_data);
    return;
  } else {
    route->requests++;
    soup_server_message_set_status (msg, 200, NULL);
    soup_server_message_set_response (
        msg, route->content_type, SOUP_MEMORY_COPY,
        g_bytes_get_data (route->data, NULL), g_bytes_get_size (route->data));
  }
  g_mutex_unlock (&server->lock);
}

/* Every address of the host: IPv6's wildcard, which takes IPv4 too
 * (dual stack), else IPv4's.  (Not soup_server_listen_all(): libsoup 3.2
 * leaks an address object there.) */
static void
listen_any (SoupServer *soup)
{
  const gchar *const wildcards[] = { "::", "0.0.0.0" };
  gboolean listening = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (wildcards) && !listening; i++) {
    GSocketAddress *any =
        g_inet_socket_address_new_from_string (wildcards[i], 0);

    listening = soup_server_listen (soup, any, 0, NULL);
    g_object_unref (any);
  }
  fail_unless (listening);
}

static gpointer
server_thread (gpointer data)
{
  ApixoTestServer *server = data;
  GSList *uris;

  g_main_context_push_thread_default (server->context);
  server->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server->server, NULL, server_handler, server, NULL);
  if (server->any)
    listen_any (server->server);
  else
    fail_unless (soup_server_listen_local (server->server, 0,
                                           SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  uris = soup_server_get_uris (server->server);
  g_mutex_lock (&server->lock);
  server->port = g_uri_get_port (uris->data);
  g_cond_signal (&server->cond);
  g_mutex_unlock (&server->lock);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  g_main_loop_run (server->loop);
  soup_server_disconnect (server->server);
  g_clear_object (&server->server);
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static ApixoTestServer *
test_server_start (gboolean any)
{
  ApixoTestServer *server = g_new0 (ApixoTestServer, 1);

  server->any = any;
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)route_free);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("apixo-test-server", server_thread, server);
  g_mutex_lock (&server->lock);
  while (server->port == 0)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  return server;
}

ApixoTestServer *
apixo_test_server_start (void)
{
  return test_server_start (FALSE);
}

ApixoTestServer *
apixo_test_server_start_any (void)
{
  return test_server_start (TRUE);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
apixo_test_server_stop (ApixoTestServer *server)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, quit_loop, server->loop, NULL);
  g_source_attach (source, server->context);
  g_source_unref (source);
  g_thread_join (server->thread);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_hash_table_unref (server->routes);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server);
}

gchar *
apixo_test_server_add (ApixoTestServer *server, const gchar *name, GBytes *data,
                       const gchar *content_type)
{
  Route *route = g_new0 (Route, 1);

  route->data = g_bytes_ref (data);
  route->content_type = g_strdup (content_type);
  g_mutex_lock (&server->lock);
  g_hash_table_replace (server->routes, g_strconcat ("/", name, NULL), route);
  g_mutex_unlock (&server->lock);
  return g_strdup_printf ("http://127.0.0.1:%u/%s", server->port, name);
}

gchar *
apixo_test_server_add_redirect (ApixoTestServer *server, const gchar *name,
                                const gchar *location)
{
  Route *route = g_new0 (Route, 1);

  route->location = g_strdup (location);
  g_mutex_lock (&server->lock);
  g_hash_table_replace (server->routes, g_strconcat ("/", name, NULL), route);
  g_mutex_unlock (&server->lock);
  return g_strdup_printf ("http://127.0.0.1:%u/%s", server->port, name);
}

gchar *
apixo_test_server_add_handler (ApixoTestServer *server, const gchar *name,
                               SoupServerCallback callback, gpointer user_data)
{
  Route *route = g_new0 (Route, 1);

  route->callback = callback;
  route->callback_data = user_data;
  g_mutex_lock (&server->lock);
  g_hash_table_replace (server->routes, g_strconcat ("/", name, NULL), route);
  g_mutex_unlock (&server->lock);
  return g_strdup_printf ("http://127.0.0.1:%u/%s", server->port, name);
}

/* Requests to /<name>, or those of them with an Authorization header. */
static guint
route_count (ApixoTestServer *server, const gchar *name, gboolean authorized)
{
  gchar *path = g_strconcat ("/", name, NULL);
  Route *route;
  guint n = 0;

  g_mutex_lock (&server->lock);
  route = g_hash_table_lookup (server->routes, path);
  if (route != NULL)
    n = authorized ? route->authorized : route->requests;
  g_mutex_unlock (&server->lock);
  g_free (path);
  return n;
}

guint
apixo_test_server_authorized (ApixoTestServer *server, const gchar *name)
{
  return route_count (server, name, TRUE);
}

guint
apixo_test_server_port (ApixoTestServer *server)
{
  return server->port;
}

guint
apixo_test_server_requests (ApixoTestServer *server, const gchar *name)
{
  return route_count (server, name, FALSE);
}

guint
apixo_test_free_port (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound;
  guint port;

  fail_unless (socket != NULL);
  fail_unless (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (loopback);
  g_object_unref (socket);
  return port;
}

ApixoTestPublished
apixo_test_published_new (void)
{
  ApixoTestPublished p;

  p.port = apixo_test_free_port ();
  p.base = g_strdup_printf ("http://127.0.0.1:%u", p.port);
  p.args = g_strdup_printf ("public-url=%s server-port=%u", p.base, p.port);
  return p;
}

void
apixo_test_published_clear (ApixoTestPublished *p)
{
  g_clear_pointer (&p->args, g_free);
  g_clear_pointer (&p->base, g_free);
}

guint
apixo_test_count_threads (const gchar *name)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((tid = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
    gchar *comm = NULL;
    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        g_str_equal (g_strchomp (comm), name))
      n++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

/* ---- logs ---------------------------------------------------------------- */

static GMutex log_lock;
static GString *log_text;

static void
capture_log (GstDebugCategory *category, GstDebugLevel level, const gchar *file,
             const gchar *function, gint line, GObject *object,
             GstDebugMessage *message, gpointer data)
{
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&log_lock);
  if (log_text != NULL) {
    g_string_append_printf (log_text, "%s %s:%d:%s %s\n",
                            gst_debug_category_get_name (category), file, line,
                            function, text ? text : "");
    /* GST_OBJECT_NAME, not gst_object_get_path_string(): that one logs
     * (re-entering this function) at this level. */
    if (object != NULL && GST_IS_OBJECT (object))
      g_string_append_printf (log_text, "  object %s\n",
                              GST_STR_NULL (GST_OBJECT_NAME (object)));
  }
  g_mutex_unlock (&log_lock);
}

void
apixo_test_capture_logs_start (void)
{
  g_mutex_lock (&log_lock);
  log_text = g_string_new (NULL);
  g_mutex_unlock (&log_lock);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_from_string ("*:9", TRUE);
}

GString *
apixo_test_capture_logs_stop (void)
{
  GString *out;

  gst_debug_set_threshold_from_string ("*:0", TRUE);
  gst_debug_remove_log_function (capture_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  g_mutex_lock (&log_lock);
  out = log_text;
  log_text = NULL;
  g_mutex_unlock (&log_lock);
  return out;
}
