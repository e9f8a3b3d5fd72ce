/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * sim-render.c: result videos (see sim-render.h for the contract).
 *
 * A render is one GStreamer pipeline
 *
 *   appsrc (RGBx frames drawn here) ! videoconvert ! x264enc ! mp4mux
 *   appsrc (S16 48 kHz stereo)      ! audioconvert ! avenc_aac ! mp4mux
 *   mp4mux ! filesink (a temporary file in the cache dir)
 *
 * fed from the appsrc "need-data" callbacks, so a failing or cancelled
 * pipeline never leaves a pushing thread blocked.  Every picture is computed
 * here with integer arithmetic from the spec (and from input images and the
 * motion video decoded by small appsink pipelines), x264 runs with a fixed
 * thread count (its frame threading is deterministic), and the creation and
 * modification times qtmux writes into mvhd/tkhd/mdhd are patched to a fixed
 * date after muxing: the same spec gives the same bytes in any process.
 *
 * Scene layout (what tests measure):
 *  - TEXT: a vertical gradient between two colours picked from
 *    SHA-256(prompt, seed), a moving pattern (stripes, checks, bands or
 *    rings) and a moving disc, all chosen from the same hash.
 *  - IMAGE: images[0] scaled to fit the frame (centred, black bars), then a
 *    slow push-in (zoom 1.0 at frame 0, up to 1.08-1.20 at the end, towards
 *    a focal point near the centre picked from the hash).  Frame 0 is the
 *    fitted image.
 *  - FIRST_LAST: images[0] fitted, held, then cross-faded into images[1]
 *    (fade window picked from the hash, inside 15%-85% of the duration);
 *    frame 0 is images[0] and the last frame is images[1].  With one image
 *    it behaves as IMAGE.
 *  - REFERENCE: the TEXT scene as background; image k of n is fitted into
 *    the cell x in [k*W/n + W/(16n), (k+1)*W/n - W/(16n)), y in
 *    [H/5, 4H/5), centred in it.
 *  - ANIMATE / REPLACE: the motion video scaled to fit the frame (black
 *    bars) is the background; the character (images[0]) is fitted into the
 *    centre box x in [W/4, 3W/4), y in [H/8, 7H/8), centred in it and
 *    alpha-blended over the video, with a 2 px outline around it in a colour
 *    picked from the hash.  After the motion video ends its last frame is
 *    held.
 *  - noise: every pixel random (incompressible), over any scene.
 * Sound: a tone (frequency and tremolo from the hash), or the first
 * `duration` seconds of audio_path then silence.
 *
 * Thread safety notes:
 *  - render_lock guards the in-flight table (`inflight`, cache path -> Job),
 *    the `waiters` list of every Job in it, `stats` and `running`.  Nothing
 *    else is taken while it is held, and no GTask is returned while it is
 *    held.
 *  - A Job and its Renderer belong to the render-pool thread running it.
 *    The two appsrc callbacks run in the pipeline's two streaming threads
 *    and touch disjoint Renderer fields (video_* / audio_*); `abort_flag`
 *    is atomic.
 *  - trim_lock serialises cache trims of this process (one directory scan
 *    at a time); it is never taken with render_lock held.  `cache_limit`
 *    is set once at start-up, before any render.
 *  - The pools are created once (g_once) and never freed: at most
 *    PREPARE_THREADS threads hash inputs and look up the cache, at most
 *    RENDER_THREADS threads render (the machines have 2 cores).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-render.h"
#include "sim-media.h"

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>

GST_DEBUG_CATEGORY_STATIC (sim_render_debug);
#define GST_CAT_DEFAULT sim_render_debug

/* Bump when the pictures or the encoding change: it is part of the key. */
#define RENDER_VERSION "apixo-sim-render/3"

#define RENDER_THREADS 2
#define PREPARE_THREADS 4
#define X264_THREADS 2
#define AUDIO_RATE 48000
#define AUDIO_CHANNELS 2
#define AUDIO_CHUNK 4800 /* samples per buffer: 100 ms */
#define AAC_PRIMING 1024 /* encoder delay of avenc_aac (FFmpeg's aac) */
#define MAX_SIDE 4096
#define MAX_DURATION 3600.0
#define BUS_POLL (100 * GST_MSECOND)
#define DECODE_TIMEOUT (30 * GST_SECOND)
/* 2026-01-01T00:00:00Z in seconds since 1904-01-01 (QuickTime epoch). */
#define FIXED_QT_TIME G_GUINT64_CONSTANT (3850070400)
#define MAX_MOOV_SIZE (64 * 1024 * 1024)
/* The label's prompt excerpt (see label_prompt_words()) */
#define LABEL_WORDS 6
#define LABEL_CHARS 40

/* ------------------------------------------------------------------ */
/* Elements and the Debian packages that ship them */

typedef struct {
  const gchar *element;
  const gchar *package;
} ElementPackage;

static const ElementPackage required_elements[] = {
  { "filesrc", "libgstreamer1.0-0" },
  { "filesink", "libgstreamer1.0-0" },
  { "fakesink", "libgstreamer1.0-0" },
  { "appsrc", "gstreamer1.0-plugins-base" },
  { "appsink", "gstreamer1.0-plugins-base" },
  { "decodebin", "gstreamer1.0-plugins-base" },
  { "videoconvert", "gstreamer1.0-plugins-base" },
  { "textoverlay", "gstreamer1.0-plugins-base" },
  { "videoscale", "gstreamer1.0-plugins-base" },
  { "videorate", "gstreamer1.0-plugins-base" },
  { "audioconvert", "gstreamer1.0-plugins-base" },
  { "audioresample", "gstreamer1.0-plugins-base" },
  { "x264enc", "gstreamer1.0-plugins-ugly" },
  { "mp4mux", "gstreamer1.0-plugins-good" },
  { "qtdemux", "gstreamer1.0-plugins-good" },
  { "pngdec", "gstreamer1.0-plugins-good" },
  { "jpegdec", "gstreamer1.0-plugins-good" },
  { "gdkpixbufdec", "gstreamer1.0-plugins-good" },
  { "wavparse", "gstreamer1.0-plugins-good" },
  { "mpegaudioparse", "gstreamer1.0-plugins-good" },
  { "mpg123audiodec", "gstreamer1.0-plugins-good" },
  { "webpdec", "gstreamer1.0-plugins-bad" },
  { "h264parse", "gstreamer1.0-plugins-bad" },
  { "avenc_aac", "gstreamer1.0-libav" },
  { "avdec_h264", "gstreamer1.0-libav" },
  { "avdec_aac", "gstreamer1.0-libav" },
};

gboolean
sim_render_check_elements (GError **error)
{
  GString *missing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (required_elements); i++) {
    GstElementFactory *f =
        gst_element_factory_find (required_elements[i].element);

    if (f) {
      gst_object_unref (f);
      continue;
    }
    if (!missing)
      missing = g_string_new (NULL);
    else
      g_string_append (missing, ", ");
    g_string_append_printf (missing, "%s (Debian package %s)",
                            required_elements[i].element,
                            required_elements[i].package);
  }
  if (!missing)
    return TRUE;
  g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
               "apixo-sim needs GStreamer elements that are not installed: "
               "%s",
               missing->str);
  g_string_free (missing, TRUE);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Owned copy of a spec */

typedef struct {
  SimRenderSpec spec; /* its strings point at the copies below */
  gchar *prompt, *model, *audio_path, *video_path, *image_paths[3];
  gchar *cache_dir;
} Request;

static Request *
request_new (const SimRenderSpec *spec, const gchar *cache_dir)
{
  Request *r = g_new0 (Request, 1);

  r->spec = *spec;
  r->spec.prompt = r->prompt = g_strdup (spec->prompt);
  r->spec.model = r->model = g_strdup (spec->model);
  r->spec.audio_path = r->audio_path = g_strdup (spec->audio_path);
  r->spec.video_path = r->video_path = g_strdup (spec->video_path);
  r->spec.n_images = MIN (spec->n_images, 3);
  for (guint i = 0; i < 3; i++) {
    r->image_paths[i] =
        i < r->spec.n_images ? g_strdup (spec->image_paths[i]) : NULL;
    r->spec.image_paths[i] = r->image_paths[i];
  }
  r->cache_dir = g_strdup (cache_dir);
  return r;
}

static void
request_free (gpointer data)
{
  Request *r = data;

  g_free (r->prompt);
  g_free (r->model);
  g_free (r->audio_path);
  g_free (r->video_path);
  for (guint i = 0; i < 3; i++)
    g_free (r->image_paths[i]);
  g_free (r->cache_dir);
  g_free (r);
}

static gint
spec_fps (const SimRenderSpec *spec)
{
  return spec->fps > 0 ? spec->fps : 24;
}

static guint
spec_frames (const SimRenderSpec *spec)
{
  return (guint)MAX (1, llround (spec->duration * spec_fps (spec)));
}

static gboolean
spec_has_audio (const SimRenderSpec *spec)
{
  return spec->with_audio || spec->audio_path != NULL;
}

static gboolean
spec_validate (const SimRenderSpec *spec, GError **error)
{
  guint need_images = 0;

  if (spec->width <= 0 || spec->height <= 0 || spec->width % 2 ||
      spec->height % 2 || spec->width > MAX_SIDE || spec->height > MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "render size %dx%d: width and height must be even, 2-%d",
                 spec->width, spec->height, MAX_SIDE);
    return FALSE;
  }
  if (!(spec->duration > 0 && spec->duration <= MAX_DURATION) ||
      spec->fps > 120) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "render duration %g s at %d fps is out of range",
                 spec->duration, spec->fps);
    return FALSE;
  }
  switch (spec->scene) {
    case SIM_SCENE_TEXT:
      break;
    case SIM_SCENE_IMAGE:
    case SIM_SCENE_FIRST_LAST:
    case SIM_SCENE_REFERENCE:
      need_images = 1;
      break;
    case SIM_SCENE_ANIMATE:
    case SIM_SCENE_REPLACE:
      need_images = 1;
      if (!spec->video_path) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "animate/replace render needs a motion video");
        return FALSE;
      }
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "unknown scene %d", spec->scene);
      return FALSE;
  }
  if (spec->n_images < need_images || spec->n_images > 3) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "scene %d needs 1-3 images, got %u", spec->scene,
                 spec->n_images);
    return FALSE;
  }
  for (guint i = 0; i < spec->n_images; i++) {
    if (!spec->image_paths[i]) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "image %u has no path", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The key */

static gboolean
checksum_file (GChecksum *sum, const gchar *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  guint8 buf[65536];
  guint64 total = 0;
  gssize n;

  if (!in)
    return FALSE;
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, sizeof buf, NULL,
                                   error)) > 0) {
    g_checksum_update (sum, buf, n);
    total += n;
  }
  if (n < 0)
    return FALSE;
  /* separate the file from what follows in the key */
  g_checksum_update (sum, (const guint8 *)&total, sizeof total);
  return TRUE;
}

static void
checksum_str (GChecksum *sum, const gchar *name, const gchar *value)
{
  gchar *s = g_strdup_printf ("%s=%" G_GSIZE_FORMAT ":", name,
                              value ? strlen (value) : (gsize)-1);

  g_checksum_update (sum, (const guint8 *)s, -1);
  if (value)
    g_checksum_update (sum, (const guint8 *)value, -1);
  g_checksum_update (sum, (const guint8 *)";", 1);
  g_free (s);
}

static void
checksum_int (GChecksum *sum, const gchar *name, gint64 value)
{
  gchar *s = g_strdup_printf ("%s=%" G_GINT64_FORMAT ";", name, value);

  g_checksum_update (sum, (const guint8 *)s, -1);
  g_free (s);
}

gchar *
sim_render_spec_key (const SimRenderSpec *spec, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gchar dur[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (spec != NULL, NULL);

  checksum_str (sum, "version", RENDER_VERSION);
  checksum_int (sum, "scene", spec->scene);
  checksum_int (sum, "width", spec->width);
  checksum_int (sum, "height", spec->height);
  checksum_int (sum, "fps", spec_fps (spec));
  checksum_str (sum, "duration",
                g_ascii_dtostr (dur, sizeof dur, spec->duration));
  checksum_int (sum, "audio", spec_has_audio (spec));
  checksum_str (sum, "prompt", spec->prompt);
  checksum_int (sum, "seed", spec->seed);
  checksum_str (sum, "model", spec->model);
  checksum_int (sum, "moov_at_end", !!spec->moov_at_end);
  checksum_int (sum, "no_bframes", !!spec->no_bframes);
  checksum_int (sum, "bitrate", spec->bitrate_kbps);
  checksum_int (sum, "noise", !!spec->noise);
  checksum_int (sum, "n_images", MIN (spec->n_images, 3));
  for (guint i = 0; i < MIN (spec->n_images, 3); i++) {
    checksum_str (sum, "image", "");
    if (spec->image_paths[i] &&
        !checksum_file (sum, spec->image_paths[i], error))
      return NULL;
  }
  checksum_int (sum, "has_video", spec->video_path != NULL);
  if (spec->video_path && !checksum_file (sum, spec->video_path, error))
    return NULL;
  checksum_int (sum, "has_audio_file", spec->audio_path != NULL);
  if (spec->audio_path && !checksum_file (sum, spec->audio_path, error))
    return NULL;
  return g_strdup (g_checksum_get_string (sum));
}

/* ------------------------------------------------------------------ */
/* Pictures */

typedef struct {
  gint w, h;
  guint8 *rgba; /* w * 4 bytes per row, alpha straight */
} Picture;

static void
picture_clear (Picture *p)
{
  g_clear_pointer (&p->rgba, g_free);
  p->w = p->h = 0;
}

/* Copies a mapped RGBA/RGBx frame into @p. */
static void
picture_from_sample (Picture *p, GstSample *sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;

  picture_clear (p);
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                            GST_MAP_READ))
    return;
  p->w = GST_VIDEO_FRAME_WIDTH (&frame);
  p->h = GST_VIDEO_FRAME_HEIGHT (&frame);
  p->rgba = g_malloc ((gsize)p->w * p->h * 4);
  for (gint y = 0; y < p->h; y++) {
    memcpy (p->rgba + (gsize)y * p->w * 4,
            (guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
                (gsize)y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
            (gsize)p->w * 4);
  }
  gst_video_frame_unmap (&frame);
}

/* Largest size with @sw:@sh aspect inside @bw x @bh (at least 1x1). */
static void
fit_size (gint sw, gint sh, gint bw, gint bh, gint *w, gint *h)
{
  if (sw <= 0 || sh <= 0) {
    *w = bw;
    *h = bh;
    return;
  }
  if ((gint64)sw * bh > (gint64)sh * bw) {
    *w = bw;
    *h = (gint)MAX (1, ((gint64)bw * sh + sw / 2) / sw);
  } else {
    *h = bh;
    *w = (gint)MAX (1, ((gint64)bh * sw + sh / 2) / sh);
  }
  *w = MIN (*w, bw);
  *h = MIN (*h, bh);
}

/* Waits for a sample on @sink while watching @pipe's bus and @abort. */
static GstSample *
pull_sample_checked (GstElement *pipe, GstAppSink *sink, gint *abort,
                     GstClockTime timeout, gboolean *eos, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  GstClockTime waited = 0;

  *eos = FALSE;
  for (;;) {
    GstSample *s = gst_app_sink_try_pull_sample (sink, BUS_POLL);
    GstMessage *msg;

    if (s)
      return s;
    if (gst_app_sink_is_eos (sink)) {
      *eos = TRUE;
      return NULL;
    }
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err->message);
      g_error_free (err);
      gst_message_unref (msg);
      return NULL;
    }
    if (abort && g_atomic_int_get (abort)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return NULL;
    }
    waited += BUS_POLL;
    if (waited >= timeout) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "decoding timed out");
      return NULL;
    }
  }
}

/* The decoder element for an image file, by its bytes.  decodebin cannot be
 * used for BMP: its only autoplugged decoder (avdec_bmp) fails on files read
 * in blocks, gdkpixbufdec (rank none) reads the whole file. */
static const gchar *
image_decoder (const gchar *path)
{
  g_autofree gchar *format = NULL;

  if (!sim_media_read_image_header (path, NULL, NULL, NULL, &format))
    return "decodebin";
  if (g_str_equal (format, "png"))
    return "pngdec";
  if (g_str_equal (format, "jpeg"))
    return "jpegdec";
  if (g_str_equal (format, "webp"))
    return "webpdec";
  if (g_str_equal (format, "bmp"))
    return "gdkpixbufdec";
  return "decodebin";
}

/* "filesrc ! @chain ! capsfilter ! appsink", located at @path. */
static GstElement *
decode_pipeline_new (const gchar *path, const gchar *chain, GstCaps *caps,
                     GstAppSink **sink, GError **error)
{
  g_autofree gchar *desc =
      g_strdup_printf ("filesrc name=src ! %s ! capsfilter name=filter ! "
                       "appsink name=sink sync=false max-buffers=2",
                       chain);
  GError *err = NULL;
  GstElement *pipe =
      gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  GstElement *e;

  if (!pipe) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "cannot build the decoder \"%s\": %s", chain, err->message);
    g_error_free (err);
    gst_caps_unref (caps);
    return NULL;
  }
  e = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (e, "location", path, NULL);
  gst_object_unref (e);
  e = gst_bin_get_by_name (GST_BIN (pipe), "filter");
  g_object_set (e, "caps", caps, NULL);
  gst_object_unref (e);
  gst_caps_unref (caps);
  e = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  *sink = GST_APP_SINK (e);
  /* the pipeline keeps it alive */
  gst_object_unref (e);
  return pipe;
}

/* Decodes @path into @p, fitted into @bw x @bh (aspect kept). */
static gboolean
load_image (Picture *p, const gchar *path, gint bw, gint bh, gint *abort,
            GError **error)
{
  gint iw = 0, ih = 0, fw, fh;
  GstElement *pipe;
  GstAppSink *sink;
  GstSample *sample;
  gboolean eos;
  GError *err = NULL;
  g_autofree gchar *chain = NULL;

  sim_media_read_image_header (path, &iw, &ih, NULL, NULL);
  fit_size (iw, ih, bw, bh, &fw, &fh);
  chain =
      g_strdup_printf ("%s ! videoconvert ! videoscale", image_decoder (path));
  pipe = decode_pipeline_new (
      path, chain,
      gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGBA",
                           "width", G_TYPE_INT, fw, "height", G_TYPE_INT, fh,
                           "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL),
      &sink, error);
  if (!pipe)
    return FALSE;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  sample = pull_sample_checked (pipe, sink, abort, DECODE_TIMEOUT, &eos, &err);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  if (sample) {
    picture_from_sample (p, sample);
    gst_sample_unref (sample);
  }
  if (!p->rgba) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "cannot decode image %s: %s", path,
                 err ? err->message : "no picture");
    g_clear_error (&err);
    return FALSE;
  }
  g_clear_error (&err);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The renderer */

typedef struct {
  guint8 r, g, b;
} Rgb;

typedef struct {
  const SimRenderSpec *spec;
  guint8 hash[32];
  gint w, h, fps;
  guint n_frames;
  guint64 n_samples; /* encoded: the track's length minus AAC_PRIMING */
  gint abort_flag;

  /* scene parameters, from the hash */
  Rgb top, bottom, accent, outline;
  guint pattern, period, speed;
  gdouble zoom_end, focus_x, focus_y, fade_start, fade_len;
  gdouble tone_hz, tremolo_hz;

  Picture images[3]; /* fitted to the frame, or to their cells/box */
  gint img_x[3], img_y[3];

  /* video streaming thread only */
  guint video_frame;
  GstElement *motion_pipe;
  GstAppSink *motion_sink;
  gboolean motion_eos;
  Picture motion;
  guint64 noise_state;

  /* audio streaming thread only */
  guint64 audio_sample;
  GstElement *audio_pipe;
  GstAppSink *audio_sink;
  gboolean audio_eos;
  GstBuffer *audio_pending;
  gsize audio_pending_off;
} Renderer;

static Rgb
hsv (guint hue, guint sat, guint val)
{
  /* hue 0-359, sat/val 0-255; integer HSV -> RGB */
  guint region = (hue % 360) / 60, rem = ((hue % 360) % 60) * 255 / 60;
  guint p = val * (255 - sat) / 255;
  guint q = val * (255 - sat * rem / 255) / 255;
  guint t = val * (255 - sat * (255 - rem) / 255) / 255;
  Rgb c;

  switch (region) {
    case 0:
      c = (Rgb){ val, t, p };
      break;
    case 1:
      c = (Rgb){ q, val, p };
      break;
    case 2:
      c = (Rgb){ p, val, t };
      break;
    case 3:
      c = (Rgb){ p, q, val };
      break;
    case 4:
      c = (Rgb){ t, p, val };
      break;
    default:
      c = (Rgb){ val, p, q };
      break;
  }
  return c;
}

static void
renderer_init_params (Renderer *r)
{
  const SimRenderSpec *spec = r->spec;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = sizeof r->hash;
  guint8 *h = r->hash;
  guint hue;

  /* the scene depends on prompt, seed and scene kind only */
  checksum_str (sum, "prompt", spec->prompt ? spec->prompt : "");
  checksum_int (sum, "seed", spec->seed);
  checksum_int (sum, "scene", spec->scene);
  g_checksum_get_digest (sum, r->hash, &len);

  hue = (h[0] << 8 | h[1]) % 360;
  r->top = hsv (hue, 120 + h[2] % 136, 150 + h[3] % 106);
  r->bottom = hsv (hue + 90 + h[4] % 180, 120 + h[5] % 136, 90 + h[6] % 120);
  r->accent = hsv (hue + 180, 200, 230);
  r->outline = hsv ((h[7] << 8 | h[8]) % 360, 255, 255);
  r->pattern = h[9] % 4;
  r->period = MAX (4, (guint)((12 + h[10] % 40) * r->w / 640));
  r->speed = MAX (1, (guint)((1 + h[11] % 5) * r->w / 640));
  r->zoom_end = 1.08 + (h[12] % 13) / 100.0;
  r->focus_x = 0.4 + (h[13] % 21) / 100.0;
  r->focus_y = 0.4 + (h[14] % 21) / 100.0;
  r->fade_start = 0.15 + (h[15] % 16) / 100.0;
  r->fade_len = 0.3 + (h[16] % 11) / 100.0;
  r->tone_hz = 220.0 + ((h[17] << 8 | h[18]) % 440);
  r->tremolo_hz = 0.5 + (h[19] % 20) / 10.0;
  memcpy (&r->noise_state, h + 24, sizeof r->noise_state);
  r->noise_state = GUINT64_FROM_LE (r->noise_state) | 1;
}

static inline void
put (guint8 *d, Rgb c)
{
  d[0] = c.r;
  d[1] = c.g;
  d[2] = c.b;
  d[3] = 255;
}

static inline guint8
mix8 (guint a, guint b, guint f /* 0-256 */)
{
  return (guint8)((a * (256 - f) + b * f) >> 8);
}

static Rgb
mix (Rgb a, Rgb b, guint f)
{
  return (Rgb){ mix8 (a.r, b.r, f), mix8 (a.g, b.g, f), mix8 (a.b, b.b, f) };
}

static void
draw_text_scene (Renderer *r, guint frame, guint8 *dst)
{
  gint w = r->w, h = r->h;
  guint off = frame * r->speed;
  gdouble t = (gdouble)frame / r->fps;
  gint cx = (gint)(w / 2 + w * 0.3 * sin (t * 0.9 + r->hash[20]));
  gint cy = (gint)(h / 2 + h * 0.25 * cos (t * 0.7 + r->hash[21]));
  gint64 rad = MAX (2, h / 7), rad2 = rad * rad;

  for (gint y = 0; y < h; y++) {
    Rgb row = mix (r->top, r->bottom, (guint)(y * 256 / MAX (1, h - 1)));
    Rgb alt = mix (row, r->accent, 80);
    guint8 *d = dst + (gsize)y * w * 4;

    for (gint x = 0; x < w; x++, d += 4) {
      guint m;
      gint64 dx = x - cx, dy = y - cy;

      switch (r->pattern) {
        case 0:
          m = ((x + y + off) / r->period) & 1;
          break;
        case 1:
          m = (((x + off) / r->period) ^ (y / r->period)) & 1;
          break;
        case 2:
          m = ((y + off) / r->period) & 1;
          break;
        default: {
          gint64 ex = x - w / 2, ey = y - h / 2;
          m = ((guint)(sqrt ((gdouble)(ex * ex + ey * ey))) + off) / r->period &
              1;
          break;
        }
      }
      if (dx * dx + dy * dy <= rad2)
        put (d, r->accent);
      else
        put (d, m ? alt : row);
    }
  }
}

/* Composites @p over black once (IMAGE and FIRST_LAST show it on black
 * bars), so drawing frames needs no alpha arithmetic. */
static void
picture_flatten (Picture *p)
{
  gsize n = (gsize)p->w * p->h;

  for (gsize i = 0; i < n; i++) {
    guint8 *s = p->rgba + i * 4;

    for (gint c = 0; c < 3; c++)
      s[c] = (guint8)((s[c] * s[3] + 127) / 255);
    s[3] = 255;
  }
}

/* @p (flattened, at (@px, @py)) zoomed by @zoom towards the focus point;
 * bilinear in 16.16 fixed point, black outside. */
static void
draw_zoomed (Renderer *r, const Picture *p, gint px, gint py, gdouble zoom,
             guint8 *dst)
{
  gdouble fx = r->w * r->focus_x, fy = r->h * r->focus_y;
  gint64 step = (gint64)llround (65536.0 / zoom);
  gint64 sx0 = (gint64)llround ((fx - fx / zoom - px) * 65536.0);

  for (gint y = 0; y < r->h; y++) {
    guint8 *d = dst + (gsize)y * r->w * 4;
    gint64 sy = (gint64)llround ((fy + (y - fy) / zoom - py) * 65536.0);
    gint64 sx = sx0;
    gint y0 = (gint)(sy >> 16), y1;
    guint ay = (guint)(sy & 0xffff) >> 8;
    const guint8 *r0, *r1;

    if (sy < 0 || y0 >= p->h) {
      memset (d, 0, (gsize)r->w * 4);
      for (gint x = 0; x < r->w; x++)
        d[x * 4 + 3] = 255;
      continue;
    }
    y1 = MIN (y0 + 1, p->h - 1);
    r0 = p->rgba + (gsize)y0 * p->w * 4;
    r1 = p->rgba + (gsize)y1 * p->w * 4;
    for (gint x = 0; x < r->w; x++, d += 4, sx += step) {
      gint x0 = (gint)(sx >> 16), x1;
      guint ax = (guint)(sx & 0xffff) >> 8;

      if (sx < 0 || x0 >= p->w) {
        put (d, (Rgb){ 0, 0, 0 });
        continue;
      }
      x1 = MIN (x0 + 1, p->w - 1) * 4;
      x0 *= 4;
      for (gint c = 0; c < 3; c++) {
        guint top = r0[x0 + c] * (256 - ax) + r0[x1 + c] * ax;
        guint bot = r1[x0 + c] * (256 - ax) + r1[x1 + c] * ax;

        d[c] = (guint8)((top * (256 - ay) + bot * ay) >> 16);
      }
      d[3] = 255;
    }
  }
}

static void
draw_image (Renderer *r, guint frame, guint8 *dst)
{
  gdouble t = r->n_frames > 1 ? (gdouble)frame / (r->n_frames - 1) : 0;

  draw_zoomed (r, &r->images[0], r->img_x[0], r->img_y[0],
               1.0 + (r->zoom_end - 1.0) * t, dst);
}

/* @p (flattened) centred on a black W x H canvas. */
static void
picture_to_canvas (Picture *p, gint x0, gint y0, gint w, gint h)
{
  Picture c = { w, h, g_malloc0 ((gsize)w * h * 4) };

  for (gint y = 0; y < p->h; y++) {
    if (y0 + y < 0 || y0 + y >= h)
      continue;
    memcpy (c.rgba + ((gsize)(y0 + y) * w + MAX (x0, 0)) * 4,
            p->rgba + ((gsize)y * p->w + MAX (-x0, 0)) * 4,
            (gsize)MIN (p->w, w) * 4);
  }
  for (gsize i = 0; i < (gsize)w * h; i++)
    c.rgba[i * 4 + 3] = 255;
  picture_clear (p);
  *p = c;
}

static void
draw_first_last (Renderer *r, guint frame, guint8 *dst)
{
  const guint8 *a = r->images[0].rgba, *b = r->images[1].rgba;
  gsize n = (gsize)r->w * r->h * 4;
  gdouble t = r->n_frames > 1 ? (gdouble)frame / (r->n_frames - 1) : 0;
  gdouble f = CLAMP ((t - r->fade_start) / r->fade_len, 0.0, 1.0);
  guint k = (guint)llround (256 * f * f * (3 - 2 * f));

  if (r->spec->n_images < 2) {
    draw_image (r, frame, dst);
    return;
  }
  /* both images are full-frame canvases here (renderer_load_inputs) */
  if (k == 0) {
    memcpy (dst, a, n);
  } else if (k == 256) {
    memcpy (dst, b, n);
  } else {
    for (gsize i = 0; i < n; i++)
      dst[i] = mix8 (a[i], b[i], k);
  }
}

/* Alpha-blends @p at (@px, @py) over @dst. */
static void
blit_over (Renderer *r, const Picture *p, gint px, gint py, guint8 *dst)
{
  for (gint y = 0; y < p->h; y++) {
    gint dy = py + y;

    if (dy < 0 || dy >= r->h)
      continue;
    for (gint x = 0; x < p->w; x++) {
      gint dx = px + x;
      const guint8 *s = p->rgba + ((gsize)y * p->w + x) * 4;
      guint8 *d = dst + ((gsize)dy * r->w + dx) * 4;

      if (dx < 0 || dx >= r->w)
        continue;
      for (gint c = 0; c < 3; c++)
        d[c] = (guint8)((s[c] * s[3] + d[c] * (255 - s[3]) + 127) / 255);
      d[3] = 255;
    }
  }
}

static void
fill_rect (Renderer *r, gint x0, gint y0, gint x1, gint y1, Rgb c, guint8 *dst)
{
  x0 = CLAMP (x0, 0, r->w);
  x1 = CLAMP (x1, 0, r->w);
  y0 = CLAMP (y0, 0, r->h);
  y1 = CLAMP (y1, 0, r->h);
  for (gint y = y0; y < y1; y++) {
    for (gint x = x0; x < x1; x++)
      put (dst + ((gsize)y * r->w + x) * 4, c);
  }
}

static void
draw_reference (Renderer *r, guint frame, guint8 *dst)
{
  draw_text_scene (r, frame, dst);
  for (guint i = 0; i < r->spec->n_images; i++)
    blit_over (r, &r->images[i], r->img_x[i], r->img_y[i], dst);
}

static gboolean
next_motion_frame (Renderer *r, GError **error)
{
  GstSample *s;
  GError *err = NULL;

  if (r->motion_eos)
    return TRUE;
  s = pull_sample_checked (r->motion_pipe, r->motion_sink, &r->abort_flag,
                           DECODE_TIMEOUT, &r->motion_eos, &err);
  if (s) {
    picture_from_sample (&r->motion, s);
    gst_sample_unref (s);
    return r->motion.rgba != NULL;
  }
  if (r->motion_eos)
    return TRUE;
  /* a decode error after some frames ends the video: hold the last one */
  if (r->motion.rgba &&
      !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    GST_WARNING ("motion video ends early: %s", err->message);
    r->motion_eos = TRUE;
    g_error_free (err);
    return TRUE;
  }
  g_propagate_prefixed_error (error, err, "motion video: ");
  return FALSE;
}

static gboolean
draw_animate (Renderer *r, guint frame, guint8 *dst, GError **error)
{
  const Picture *c = &r->images[0];

  if (!next_motion_frame (r, error))
    return FALSE;
  if (r->motion.rgba && r->motion.w == r->w && r->motion.h == r->h) {
    for (gsize i = 0; i < (gsize)r->w * r->h; i++) {
      const guint8 *s = r->motion.rgba + i * 4;
      guint8 *d = dst + i * 4;

      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
      d[3] = 255;
    }
  } else {
    memset (dst, 0, (gsize)r->w * r->h * 4);
  }
  /* outline, then the character inside it */
  fill_rect (r, r->img_x[0] - 2, r->img_y[0] - 2, r->img_x[0] + c->w + 2,
             r->img_y[0], r->outline, dst);
  fill_rect (r, r->img_x[0] - 2, r->img_y[0] + c->h, r->img_x[0] + c->w + 2,
             r->img_y[0] + c->h + 2, r->outline, dst);
  fill_rect (r, r->img_x[0] - 2, r->img_y[0], r->img_x[0], r->img_y[0] + c->h,
             r->outline, dst);
  fill_rect (r, r->img_x[0] + c->w, r->img_y[0], r->img_x[0] + c->w + 2,
             r->img_y[0] + c->h, r->outline, dst);
  blit_over (r, c, r->img_x[0], r->img_y[0], dst);
  return TRUE;
}

static inline guint64
xorshift64 (guint64 *s)
{
  guint64 x = *s;

  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

static void
draw_noise (Renderer *r, guint8 *dst)
{
  gsize n = (gsize)r->w * r->h * 4;
  gsize i;

  for (i = 0; i + 8 <= n; i += 8) {
    guint64 v = xorshift64 (&r->noise_state);
    memcpy (dst + i, &v, 8);
  }
}

static gboolean
draw_frame (Renderer *r, guint frame, guint8 *dst, GError **error)
{
  if (r->spec->noise) {
    draw_noise (r, dst);
    return TRUE;
  }
  switch (r->spec->scene) {
    case SIM_SCENE_TEXT:
      draw_text_scene (r, frame, dst);
      break;
    case SIM_SCENE_IMAGE:
      draw_image (r, frame, dst);
      break;
    case SIM_SCENE_FIRST_LAST:
      draw_first_last (r, frame, dst);
      break;
    case SIM_SCENE_REFERENCE:
      draw_reference (r, frame, dst);
      break;
    case SIM_SCENE_ANIMATE:
    case SIM_SCENE_REPLACE:
      return draw_animate (r, frame, dst, error);
  }
  return TRUE;
}

static void
post_stream_error (GstAppSrc *src, GError *err)
{
  GstMessage *msg = gst_message_new_error (GST_OBJECT (src), err, NULL);

  gst_element_post_message (GST_ELEMENT (src), msg);
}

static void
video_need_data (GstAppSrc *src, guint length, gpointer user_data)
{
  Renderer *r = user_data;
  GstBuffer *buf;
  GstMapInfo map;
  GError *err = NULL;
  gboolean ok;

  if (r->video_frame >= r->n_frames || g_atomic_int_get (&r->abort_flag)) {
    gst_app_src_end_of_stream (src);
    return;
  }
  buf = gst_buffer_new_allocate (NULL, (gsize)r->w * r->h * 4, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  ok = draw_frame (r, r->video_frame, map.data, &err);
  gst_buffer_unmap (buf, &map);
  if (!ok) {
    gst_buffer_unref (buf);
    post_stream_error (src, err);
    g_error_free (err);
    return;
  }
  GST_BUFFER_PTS (buf) =
      gst_util_uint64_scale_int (r->video_frame, GST_SECOND, r->fps);
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_int (r->video_frame + 1, GST_SECOND, r->fps) -
      GST_BUFFER_PTS (buf);
  r->video_frame++;
  gst_app_src_push_buffer (src, buf);
}

/* Fills @out (interleaved S16 stereo, @n samples) from the input audio,
 * silence after its end. */
static void
audio_from_file (Renderer *r, gint16 *out, gsize n)
{
  gsize bytes = n * AUDIO_CHANNELS * 2, done = 0;

  while (done < bytes) {
    if (!r->audio_pending) {
      GstSample *s = NULL;
      gboolean eos = TRUE;

      if (!r->audio_eos)
        s = pull_sample_checked (r->audio_pipe, r->audio_sink, &r->abort_flag,
                                 DECODE_TIMEOUT, &eos, NULL);
      if (!s) {
        /* end of the input audio (or it broke off): silence */
        r->audio_eos = TRUE;
        memset ((guint8 *)out + done, 0, bytes - done);
        return;
      }
      r->audio_pending = gst_buffer_ref (gst_sample_get_buffer (s));
      r->audio_pending_off = 0;
      gst_sample_unref (s);
    }
    {
      gsize avail =
          gst_buffer_get_size (r->audio_pending) - r->audio_pending_off;
      gsize take = MIN (avail, bytes - done);

      gst_buffer_extract (r->audio_pending, r->audio_pending_off,
                          (guint8 *)out + done, take);
      done += take;
      r->audio_pending_off += take;
      if (r->audio_pending_off >= gst_buffer_get_size (r->audio_pending))
        gst_clear_buffer (&r->audio_pending);
    }
  }
}

static void
audio_tone (Renderer *r, gint16 *out, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    gdouble t = (gdouble)(r->audio_sample + AAC_PRIMING + i) / AUDIO_RATE;
    gdouble env = 0.6 + 0.4 * sin (2 * G_PI * r->tremolo_hz * t);
    gint16 v = (gint16)lrint (8000.0 * env * sin (2 * G_PI * r->tone_hz * t));

    out[2 * i] = v;
    out[2 * i + 1] = v;
  }
}

static void
audio_need_data (GstAppSrc *src, guint length, gpointer user_data)
{
  Renderer *r = user_data;
  GstBuffer *buf;
  GstMapInfo map;
  gsize n;

  if (r->audio_sample >= r->n_samples || g_atomic_int_get (&r->abort_flag)) {
    gst_app_src_end_of_stream (src);
    return;
  }
  n = (gsize)MIN ((guint64)AUDIO_CHUNK, r->n_samples - r->audio_sample);
  buf = gst_buffer_new_allocate (NULL, n * AUDIO_CHANNELS * 2, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  if (r->audio_pipe && r->audio_sample == 0) {
    /* the input's first AAC_PRIMING samples fall into the encoder delay */
    gint16 *skip = g_new (gint16, AAC_PRIMING * AUDIO_CHANNELS);

    audio_from_file (r, skip, AAC_PRIMING);
    g_free (skip);
  }
  if (r->audio_pipe)
    audio_from_file (r, (gint16 *)map.data, n);
  else
    audio_tone (r, (gint16 *)map.data, n);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) =
      gst_util_uint64_scale_int (r->audio_sample, GST_SECOND, AUDIO_RATE);
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_int (r->audio_sample + n, GST_SECOND, AUDIO_RATE) -
      GST_BUFFER_PTS (buf);
  r->audio_sample += n;
  gst_app_src_push_buffer (src, buf);
}

static void
renderer_clear (Renderer *r)
{
  for (guint i = 0; i < 3; i++)
    picture_clear (&r->images[i]);
  picture_clear (&r->motion);
  if (r->motion_pipe) {
    gst_element_set_state (r->motion_pipe, GST_STATE_NULL);
    gst_clear_object (&r->motion_pipe);
  }
  if (r->audio_pipe) {
    gst_element_set_state (r->audio_pipe, GST_STATE_NULL);
    gst_clear_object (&r->audio_pipe);
  }
  gst_clear_buffer (&r->audio_pending);
}

/* Decodes the inputs the scene needs. */
static gboolean
renderer_load_inputs (Renderer *r, GError **error)
{
  const SimRenderSpec *spec = r->spec;
  gint w = r->w, h = r->h;

  if (spec->noise)
    return TRUE;
  switch (spec->scene) {
    case SIM_SCENE_TEXT:
      break;
    case SIM_SCENE_IMAGE:
    case SIM_SCENE_FIRST_LAST:
      for (guint i = 0; i < MIN (spec->n_images, 2); i++) {
        if (!load_image (&r->images[i], spec->image_paths[i], w, h,
                         &r->abort_flag, error))
          return FALSE;
        picture_flatten (&r->images[i]);
        r->img_x[i] = (w - r->images[i].w) / 2;
        r->img_y[i] = (h - r->images[i].h) / 2;
        if (spec->scene == SIM_SCENE_FIRST_LAST && spec->n_images >= 2) {
          picture_to_canvas (&r->images[i], r->img_x[i], r->img_y[i], w, h);
          r->img_x[i] = r->img_y[i] = 0;
        }
      }
      break;
    case SIM_SCENE_REFERENCE: {
      guint n = spec->n_images;
      gint inset = w / (16 * (gint)n);
      gint cw = w / (gint)n - 2 * inset, ch = 4 * h / 5 - h / 5;

      for (guint i = 0; i < n; i++) {
        if (!load_image (&r->images[i], spec->image_paths[i], cw, ch,
                         &r->abort_flag, error))
          return FALSE;
        r->img_x[i] = (gint)i * w / (gint)n + inset + (cw - r->images[i].w) / 2;
        r->img_y[i] = h / 5 + (ch - r->images[i].h) / 2;
      }
      break;
    }
    case SIM_SCENE_ANIMATE:
    case SIM_SCENE_REPLACE: {
      gint bw = 3 * w / 4 - w / 4, bh = 7 * h / 8 - h / 8;

      if (!load_image (&r->images[0], spec->image_paths[0], bw, bh,
                       &r->abort_flag, error))
        return FALSE;
      r->img_x[0] = w / 4 + (bw - r->images[0].w) / 2;
      r->img_y[0] = h / 8 + (bh - r->images[0].h) / 2;
      r->motion_pipe = decode_pipeline_new (
          spec->video_path, "decodebin ! videoconvert ! videoscale ! videorate",
          gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGBA",
                               "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
                               "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
                               "framerate", GST_TYPE_FRACTION, r->fps, 1, NULL),
          &r->motion_sink, error);
      if (!r->motion_pipe)
        return FALSE;
      gst_element_set_state (r->motion_pipe, GST_STATE_PLAYING);
      break;
    }
  }
  if (spec->audio_path) {
    r->audio_pipe = decode_pipeline_new (
        spec->audio_path, "decodebin ! audioconvert ! audioresample",
        gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                             "rate", G_TYPE_INT, AUDIO_RATE, "channels",
                             G_TYPE_INT, AUDIO_CHANNELS, "layout",
                             G_TYPE_STRING, "interleaved", NULL),
        &r->audio_sink, error);
    if (!r->audio_pipe)
      return FALSE;
    gst_element_set_state (r->audio_pipe, GST_STATE_PLAYING);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The label: what was asked, over the picture */

/* Scenes made from the prompt alone get the label; scenes made from input
 * media are left clean (their pictures are compared with the inputs). */
static gboolean
spec_has_label (const SimRenderSpec *spec)
{
  return spec->scene == SIM_SCENE_TEXT || spec->scene == SIM_SCENE_REFERENCE;
}

/* The prompt's first LABEL_WORDS words, at most LABEL_CHARS bytes, "..."
 * when cut. */
static gchar *
label_prompt_words (const gchar *prompt)
{
  g_auto (GStrv) words = g_strsplit_set (prompt ? prompt : "", " \t\r\n", -1);
  GString *out = g_string_new (NULL);
  guint n = 0, i;

  for (i = 0; words[i] != NULL; i++) {
    if (*words[i] == '\0')
      continue;
    if (n == LABEL_WORDS || out->len + strlen (words[i]) + 1 > LABEL_CHARS)
      break;
    if (n++ > 0)
      g_string_append_c (out, ' ');
    g_string_append (out, words[i]);
  }
  for (; words[i] != NULL && *words[i] == '\0'; i++)
    ;
  if (words[i] != NULL)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

/* "veo-3-1  seed 42" over "a lighthouse at dusk", as Pango markup. */
static gchar *
label_markup (const SimRenderSpec *spec)
{
  g_autofree gchar *words = label_prompt_words (spec->prompt);
  g_autofree gchar *text = g_strdup_printf (
      "%s%sseed %" G_GINT64_FORMAT "\n%s", spec->model ? spec->model : "",
      spec->model ? "  " : "", spec->seed, words);

  return g_markup_escape_text (text, -1);
}

/* Bottom left, a line of text about 1/18 of the frame high: below the
 * REFERENCE cells (which end at 4/5 of the height). */
static void
label_setup (GstElement *label, const SimRenderSpec *spec, gint h)
{
  g_autofree gchar *markup = label_markup (spec);
  g_autofree gchar *font = g_strdup_printf ("Sans Bold %dpx", MAX (h / 18, 8));

  g_object_set (label, "text", markup, "font-desc", font, "auto-resize", FALSE,
                "shaded-background", FALSE, "draw-outline", TRUE, "draw-shadow",
                FALSE, "line-alignment", 0, "xpad", MAX (h / 60, 2), "ypad",
                MAX (h / 60, 2), NULL);
  gst_util_set_object_arg (G_OBJECT (label), "halignment", "left");
  gst_util_set_object_arg (G_OBJECT (label), "valignment", "bottom");
}

/* ------------------------------------------------------------------ */
/* The encoding pipeline */

static GstElement *
encoder_pipeline_new (Renderer *r, const gchar *out_path,
                      const gchar *faststart_path, GError **error)
{
  const SimRenderSpec *spec = r->spec;
  GError *err = NULL;
  GstElement *pipe, *e;
  GstCaps *caps;
  GstAppSrcCallbacks vcb = { video_need_data, NULL, NULL };
  GstAppSrcCallbacks acb = { audio_need_data, NULL, NULL };
  const gchar *desc_video =
      "appsrc name=vsrc format=time stream-type=stream ! %s videoconvert ! "
      "video/x-raw,format=I420 ! x264enc name=venc ! "
      "video/x-h264,profile=high ! mp4mux name=mux ! filesink name=sink%s";
  const gchar *desc_audio = " appsrc name=asrc format=time stream-type=stream "
                            "! audioconvert ! avenc_aac bitrate=128000 ! mux.";
  g_autofree gchar *desc = g_strdup_printf (
      desc_video, spec_has_label (spec) ? "textoverlay name=label !" : "",
      spec_has_audio (spec) ? desc_audio : "");

  pipe = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipe) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "cannot build the encoder: %s", err->message);
    g_error_free (err);
    return NULL;
  }

  if (spec_has_label (spec)) {
    e = gst_bin_get_by_name (GST_BIN (pipe), "label");
    label_setup (e, spec, r->h);
    gst_object_unref (e);
  }

  e = gst_bin_get_by_name (GST_BIN (pipe), "vsrc");
  caps = gst_caps_new_simple (
      "video/x-raw", "format", G_TYPE_STRING, "RGBx", "width", G_TYPE_INT, r->w,
      "height", G_TYPE_INT, r->h, "framerate", GST_TYPE_FRACTION, r->fps, 1,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (e, "caps", caps, "max-bytes", (guint64)r->w * r->h * 8, NULL);
  gst_caps_unref (caps);
  gst_app_src_set_callbacks (GST_APP_SRC (e), &vcb, r, NULL);
  gst_object_unref (e);

  if (spec_has_audio (spec)) {
    e = gst_bin_get_by_name (GST_BIN (pipe), "asrc");
    caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                "rate", G_TYPE_INT, AUDIO_RATE, "channels",
                                G_TYPE_INT, AUDIO_CHANNELS, "layout",
                                G_TYPE_STRING, "interleaved", "channel-mask",
                                GST_TYPE_BITMASK, (guint64)0x3, NULL);
    g_object_set (e, "caps", caps, "max-bytes",
                  (guint64)AUDIO_CHUNK * AUDIO_CHANNELS * 2 * 2, NULL);
    gst_caps_unref (caps);
    gst_app_src_set_callbacks (GST_APP_SRC (e), &acb, r, NULL);
    gst_object_unref (e);
  }

  /* x264: B-frames unless asked otherwise (forced, not adaptive, so every
   * default render has them), a key frame every 2 s, and a fixed thread
   * count so the output is the same on any machine.  Constant quality
   * (CRF) with frame threads gives the same bytes however the threads are
   * scheduled; bitrate control (VBV) with frame threads does not (it uses
   * the predicted sizes of frames still being encoded): one thread then. */
  e = gst_bin_get_by_name (GST_BIN (pipe), "venc");
  gst_util_set_object_arg (G_OBJECT (e), "speed-preset",
                           spec->noise ? "ultrafast" : "superfast");
  g_object_set (e, "bframes", spec->no_bframes ? 0u : 2u, "b-adapt", FALSE,
                "threads", spec->bitrate_kbps ? 1u : (guint)X264_THREADS,
                "sliced-threads", FALSE, "key-int-max", (guint)(2 * r->fps),
                NULL);
  if (spec->bitrate_kbps) {
    gst_util_set_object_arg (G_OBJECT (e), "pass", "cbr");
    g_object_set (e, "bitrate", spec->bitrate_kbps, NULL);
  } else {
    gst_util_set_object_arg (G_OBJECT (e), "pass", "qual");
    g_object_set (e, "quantizer", 23u, NULL);
  }
  gst_object_unref (e);

  e = gst_bin_get_by_name (GST_BIN (pipe), "mux");
  g_object_set (e, "faststart", !spec->moov_at_end, "faststart-file",
                faststart_path, NULL);
  gst_object_unref (e);

  e = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (e, "location", out_path, NULL);
  gst_object_unref (e);
  return pipe;
}

/* ------------------------------------------------------------------ */
/* Fixed times in the moov atom */

static guint32
rd32 (const guint8 *p)
{
  return GST_READ_UINT32_BE (p);
}

/* A box inside a moov buffer. */
typedef struct {
  guint8 *p;
  gsize size;
} Box;

/* The first child of @parent with @type (FALSE if none). */
static gboolean
child_box (Box parent, gsize header, const gchar *type, Box *out)
{
  gsize off = header;

  while (off + 8 <= parent.size) {
    gsize size = rd32 (parent.p + off);

    if (size < 8 || size > parent.size - off)
      return FALSE;
    if (!memcmp (parent.p + off + 4, type, 4)) {
      out->p = parent.p + off;
      out->size = size;
      return TRUE;
    }
    off += size;
  }
  return FALSE;
}

/* Creation and modification times of a mvhd/tkhd/mdhd FullBox. */
static void
patch_times (Box b)
{
  if (b.size >= 28 && b.p[8] == 1) {
    GST_WRITE_UINT64_BE (b.p + 12, FIXED_QT_TIME);
    GST_WRITE_UINT64_BE (b.p + 20, FIXED_QT_TIME);
  } else if (b.size >= 20 && b.p[8] == 0) {
    GST_WRITE_UINT32_BE (b.p + 12, (guint32)FIXED_QT_TIME);
    GST_WRITE_UINT32_BE (b.p + 16, (guint32)FIXED_QT_TIME);
  }
}

/* Duration field of a tkhd (@tkhd TRUE) or mvhd/mdhd box. */
static guint64
box_duration (Box b, gboolean tkhd, guint64 *set)
{
  gsize off;
  gboolean v1 = b.size > 8 && b.p[8] == 1;

  off = tkhd ? (v1 ? 36 : 28) : (v1 ? 32 : 24);
  if (b.size < off + (v1 ? 8 : 4))
    return 0;
  if (set && v1)
    GST_WRITE_UINT64_BE (b.p + off, *set);
  else if (set)
    GST_WRITE_UINT32_BE (b.p + off, (guint32)*set);
  return v1 ? GST_READ_UINT64_BE (b.p + off) : rd32 (b.p + off);
}

/* Patches the moov box in @moov (@size bytes, header of @hdr bytes). */
static void
patch_moov (guint8 *data, gsize size)
{
  Box moov = { data, size }, mvhd, trak;
  guint64 longest = 0;
  gsize off = 8;

  if (!child_box (moov, 8, "mvhd", &mvhd))
    return;
  patch_times (mvhd);
  while (off + 8 <= size) {
    gsize box = rd32 (data + off);
    Box tkhd, mdia, mdhd, hdlr;

    if (box < 8 || box > size - off)
      break;
    trak = (Box){ data + off, box };
    off += box;
    if (memcmp (trak.p + 4, "trak", 4) || !child_box (trak, 8, "tkhd", &tkhd) ||
        !child_box (trak, 8, "mdia", &mdia) ||
        !child_box (mdia, 8, "mdhd", &mdhd) ||
        !child_box (mdia, 8, "hdlr", &hdlr) || hdlr.size < 20)
      continue;
    patch_times (tkhd);
    patch_times (mdhd);
    longest = MAX (longest, box_duration (tkhd, TRUE, NULL));
  }
  if (longest)
    box_duration (mvhd, FALSE, &longest);
}

static gboolean
fix_mp4_moov (const gchar *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileIOStream) io = g_file_open_readwrite (file, NULL, error);
  GInputStream *in;
  GOutputStream *out;
  guint64 off = 0;
  guint8 hdr[16];
  gsize n;

  if (!io)
    return FALSE;
  in = g_io_stream_get_input_stream (G_IO_STREAM (io));
  out = g_io_stream_get_output_stream (G_IO_STREAM (io));
  for (;;) {
    guint64 box;
    guint hdr_len = 8;

    if (!g_seekable_seek (G_SEEKABLE (io), off, G_SEEK_SET, NULL, error) ||
        !g_input_stream_read_all (in, hdr, 16, &n, NULL, error))
      return FALSE;
    if (n < 8)
      break;
    box = rd32 (hdr);
    if (box == 1 && n == 16) {
      box = GST_READ_UINT64_BE (hdr + 8);
      hdr_len = 16;
    }
    if (box < hdr_len)
      break;
    if (!memcmp (hdr + 4, "moov", 4)) {
      g_autofree guint8 *moov = NULL;

      if (box > MAX_MOOV_SIZE)
        break;
      moov = g_malloc (box);
      if (!g_seekable_seek (G_SEEKABLE (io), off, G_SEEK_SET, NULL, error) ||
          !g_input_stream_read_all (in, moov, box, &n, NULL, error))
        return FALSE;
      if (n != box)
        break;
      if (hdr_len == 8)
        patch_moov (moov, box);
      return g_seekable_seek (G_SEEKABLE (io), off, G_SEEK_SET, NULL, error) &&
             g_output_stream_write_all (out, moov, box, NULL, NULL, error) &&
             g_io_stream_close (G_IO_STREAM (io), NULL, error);
    }
    off += box;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "muxed file %s has no moov atom", path);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Jobs: one render of one cache path, shared by every waiting task */

typedef struct {
  gchar *path; /* final file: cache_dir/key.mp4; the in-flight key */
  gchar *key;
  Request *req;   /* the first request's copy */
  GList *waiters; /* GTask *, guarded by render_lock */
} Job;

static GMutex render_lock;
static GHashTable *inflight; /* path -> Job *, guarded by render_lock */
static SimRenderStats stats; /* guarded by render_lock */

/* ---- the cache's size bound --------------------------------------------- */

/* A file used (rendered or hit) less than this long ago is never evicted:
 * a task that just got its path links it into its instance dir first. */
#define CACHE_MIN_AGE_S (10 * 60)

static GMutex trim_lock;
static guint64 cache_limit; /* bytes; 0: unbounded */

void
sim_render_set_cache_limit (guint64 bytes)
{
  cache_limit = bytes;
}

typedef struct {
  gchar *path;
  gint64 mtime;
  guint64 size;
} CacheEntry;

static gint
entry_older (gconstpointer a, gconstpointer b)
{
  const CacheEntry *x = a, *y = b;

  return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

static void
entry_clear (gpointer data)
{
  g_free (((CacheEntry *)data)->path);
}

/* Finished renders (KEY.mp4) in @dir, and their total size. */
static GArray *
cache_entries (const gchar *dir, guint64 *total)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (CacheEntry));
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  GStatBuf st;

  g_array_set_clear_func (entries, entry_clear);
  *total = 0;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    CacheEntry e;

    if (name[0] == '.' || !g_str_has_suffix (name, ".mp4"))
      continue;
    e.path = g_build_filename (dir, name, NULL);
    if (g_stat (e.path, &st) != 0 || !S_ISREG (st.st_mode)) {
      g_free (e.path);
      continue;
    }
    e.mtime = st.st_mtime;
    e.size = st.st_size;
    *total += e.size;
    g_array_append_val (entries, e);
  }
  if (d != NULL)
    g_dir_close (d);
  return entries;
}

/* Evicts the least recently used renders of @dir until it holds at most
 * cache_limit bytes (renders used within CACHE_MIN_AGE_S stay). */
static void
cache_trim (const gchar *dir)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint64 total, evicted = 0;
  GArray *entries;

  if (cache_limit == 0)
    return;
  g_mutex_lock (&trim_lock);
  entries = cache_entries (dir, &total);
  g_array_sort (entries, entry_older);
  for (guint i = 0; i < entries->len && total > cache_limit; i++) {
    CacheEntry *e = &g_array_index (entries, CacheEntry, i);

    GStatBuf st;

    if (now - e->mtime < CACHE_MIN_AGE_S)
      break;
    /* Used since the scan (a hit in another sim sharing the cache)? */
    if (g_stat (e->path, &st) == 0 && now - st.st_mtime < CACHE_MIN_AGE_S)
      continue;
    /* Another sim sharing the cache may have removed it already. */
    if (g_unlink (e->path) == 0 || errno == ENOENT) {
      total -= e->size;
      evicted++;
    }
  }
  g_array_unref (entries);
  g_mutex_unlock (&trim_lock);
  if (evicted > 0) {
    g_mutex_lock (&render_lock);
    stats.cache_evictions += evicted;
    g_mutex_unlock (&render_lock);
    GST_INFO ("cache %s: evicted %" G_GUINT64_FORMAT " renders", dir, evicted);
  }
}
static guint running; /* guarded by render_lock */
static GThreadPool *prepare_pool, *render_pool;

static gboolean
job_abandoned (Job *job)
{
  gboolean abandoned = TRUE;

  g_mutex_lock (&render_lock);
  for (GList *l = job->waiters; l; l = l->next) {
    GCancellable *c = g_task_get_cancellable (l->data);

    if (!c || !g_cancellable_is_cancelled (c)) {
      abandoned = FALSE;
      break;
    }
  }
  g_mutex_unlock (&render_lock);
  return abandoned;
}

static gboolean
run_pipeline (Job *job, Renderer *r, GstElement *pipe, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  gboolean ok = FALSE;

  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "the encoder pipeline does not start");
    goto done;
  }
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, BUS_POLL, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);

    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      ok = TRUE;
      break;
    }
    if (msg) {
      GError *err = NULL;
      g_autofree gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      GST_WARNING ("render %s failed: %s (%s)", job->key, err->message, dbg);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "rendering failed in %s: %s", GST_OBJECT_NAME (msg->src),
                   err->message);
      g_error_free (err);
      gst_message_unref (msg);
      break;
    }
    if (job_abandoned (job)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "render cancelled");
      break;
    }
  }
done:
  g_atomic_int_set (&r->abort_flag, 1);
  gst_element_set_state (pipe, GST_STATE_NULL);
  return ok;
}

/* Renders @job into its cache path (tmp file + rename). */
static gboolean
render_job (Job *job, GError **error)
{
  const SimRenderSpec *spec = &job->req->spec;
  Renderer r = { 0 };
  g_autofree gchar *tmp = NULL, *fast = NULL;
  GstElement *pipe = NULL;
  gboolean ok = FALSE;
  gint fd;

  tmp = g_strdup_printf ("%s/.%s.XXXXXX", job->req->cache_dir, job->key);
  fd = g_mkstemp_full (tmp, O_RDWR, 0644);
  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot create a file in %s: %s", job->req->cache_dir,
                 g_strerror (errno));
    return FALSE;
  }
  close (fd);
  fast = g_strconcat (tmp, ".moov", NULL);

  r.spec = spec;
  r.w = spec->width;
  r.h = spec->height;
  r.fps = spec_fps (spec);
  r.n_frames = spec_frames (spec);
  /* avenc_aac puts AAC_PRIMING samples of encoder delay first, and qtmux
   * does not signal them (no edit list trim; GStreamer 1.22's qtdemux would
   * lose the track's tail with one anyway): encode the track from its
   * sample AAC_PRIMING on, so the decoded track has exactly the video's
   * length and every sample plays at its own time. */
  r.n_samples = gst_util_uint64_scale_int (r.n_frames, AUDIO_RATE, r.fps);
  r.n_samples =
      r.n_samples > 2 * AAC_PRIMING ? r.n_samples - AAC_PRIMING : r.n_samples;
  renderer_init_params (&r);

  if (!renderer_load_inputs (&r, error))
    goto done;
  pipe = encoder_pipeline_new (&r, tmp, fast, error);
  if (!pipe)
    goto done;
  if (!run_pipeline (job, &r, pipe, error))
    goto done;
  if (!fix_mp4_moov (tmp, error))
    goto done;
  if (g_rename (tmp, job->path) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot rename %s to %s: %s", tmp, job->path,
                 g_strerror (errno));
    goto done;
  }
  ok = TRUE;
done:
  gst_clear_object (&pipe);
  renderer_clear (&r);
  if (!ok)
    g_unlink (tmp);
  g_unlink (fast);
  return ok;
}

static void
render_func (gpointer data, gpointer pool_data)
{
  Job *job = data;
  GError *error = NULL;
  GList *waiters;
  gboolean ok;

  if (g_file_test (job->path, G_FILE_TEST_IS_REGULAR)) {
    /* another sim process rendered it meanwhile */
    ok = TRUE;
  } else {
    gint64 start = g_get_monotonic_time ();

    g_mutex_lock (&render_lock);
    stats.renders++;
    running++;
    stats.max_parallel = MAX (stats.max_parallel, running);
    g_mutex_unlock (&render_lock);
    ok = render_job (job, &error);
    g_mutex_lock (&render_lock);
    running--;
    g_mutex_unlock (&render_lock);
    GST_INFO ("render %s: %s in %.2f s", job->key, ok ? "done" : "failed",
              (g_get_monotonic_time () - start) / 1e6);
    if (ok)
      cache_trim (job->req->cache_dir);
  }

  g_mutex_lock (&render_lock);
  g_hash_table_remove (inflight, job->path);
  waiters = job->waiters;
  job->waiters = NULL;
  g_mutex_unlock (&render_lock);

  for (GList *l = waiters; l; l = l->next) {
    GTask *task = l->data;

    if (ok)
      g_task_return_pointer (task, g_strdup (job->path), g_free);
    else
      g_task_return_error (task, g_error_copy (error));
    g_object_unref (task);
  }
  g_list_free (waiters);
  g_clear_error (&error);
  g_free (job->path);
  g_free (job->key);
  request_free (job->req);
  g_free (job);
}

/* sim_render_check_elements(), remembered once it succeeded. */
static gboolean
elements_present (GError **error)
{
  static gint present;

  if (g_atomic_int_get (&present))
    return TRUE;
  if (!sim_render_check_elements (error))
    return FALSE;
  g_atomic_int_set (&present, 1);
  return TRUE;
}

/* Hashes the inputs, answers from the cache or joins/starts the render. */
static void
prepare_func (gpointer data, gpointer pool_data)
{
  GTask *task = data;
  Request *req = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree gchar *key = NULL, *path = NULL;
  Job *job;
  gboolean start = FALSE;

  if (g_task_return_error_if_cancelled (task))
    goto out;
  if (!spec_validate (&req->spec, &error) ||
      !(key = sim_render_spec_key (&req->spec, &error)) ||
      !elements_present (&error)) {
    g_task_return_error (task, error);
    goto out;
  }
  path = g_strdup_printf ("%s/%s.mp4", req->cache_dir, key);
  /* A hit is a use: its time keeps it from eviction (least recently
   * used goes first). */
  if (g_utime (path, NULL) == 0 && g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_mutex_lock (&render_lock);
    stats.cache_hits++;
    g_mutex_unlock (&render_lock);
    g_task_return_pointer (task, g_steal_pointer (&path), g_free);
    goto out;
  }
  if (g_mkdir_with_parents (req->cache_dir, 0755) != 0) {
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                             "cannot create cache dir %s: %s", req->cache_dir,
                             g_strerror (errno));
    goto out;
  }

  g_mutex_lock (&render_lock);
  job = g_hash_table_lookup (inflight, path);
  if (!job) {
    job = g_new0 (Job, 1);
    job->path = g_strdup (path);
    job->key = g_strdup (key);
    job->req = request_new (&req->spec, req->cache_dir);
    g_hash_table_insert (inflight, job->path, job);
    start = TRUE;
  } else {
    stats.joined++;
  }
  /* the job owns this reference now */
  job->waiters = g_list_append (job->waiters, task);
  g_mutex_unlock (&render_lock);
  if (start)
    g_thread_pool_push (render_pool, job, NULL);
  return;

out:
  g_object_unref (task);
}

static gpointer
init_once (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (sim_render_debug, "apixo-sim-render", 0,
                           "apixo-sim result rendering");
  inflight = g_hash_table_new (g_str_hash, g_str_equal);
  prepare_pool =
      g_thread_pool_new (prepare_func, NULL, PREPARE_THREADS, FALSE, NULL);
  render_pool =
      g_thread_pool_new (render_func, NULL, RENDER_THREADS, FALSE, NULL);
  return NULL;
}

static void
ensure_init (void)
{
  static GOnce once = G_ONCE_INIT;

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
  g_once (&once, init_once, NULL);
}

void
sim_render_async (const SimRenderSpec *spec, const gchar *cache_dir,
                  GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  GTask *task;

  g_return_if_fail (spec != NULL && cache_dir != NULL);

  ensure_init ();
  g_mutex_lock (&render_lock);
  stats.requests++;
  g_mutex_unlock (&render_lock);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sim_render_async);
  g_task_set_task_data (task, request_new (spec, cache_dir), request_free);
  g_thread_pool_push (prepare_pool, task, NULL);
}

gchar *
sim_render_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  GAsyncResult *result;
} SyncData;

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncData *d = user_data;

  d->result = g_object_ref (result);
}

gchar *
sim_render_sync (const SimRenderSpec *spec, const gchar *cache_dir,
                 GError **error)
{
  GMainContext *ctx = g_main_context_new ();
  SyncData d = { NULL };
  gchar *path;

  g_main_context_push_thread_default (ctx);
  sim_render_async (spec, cache_dir, NULL, sync_done, &d);
  while (!d.result)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  path = sim_render_finish (d.result, error);
  g_object_unref (d.result);
  g_main_context_unref (ctx);
  return path;
}

void
sim_render_get_stats (SimRenderStats *out)
{
  g_return_if_fail (out != NULL);

  g_mutex_lock (&render_lock);
  *out = stats;
  g_mutex_unlock (&render_lock);
}
