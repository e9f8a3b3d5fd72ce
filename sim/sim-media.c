/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * sim-media.c: fetching and checking task inputs (see sim-media.h).
 *
 * A fetch runs on the caller's thread-default main context (the only place
 * its SoupSession may be used): GET, then the body is streamed in 64 KiB
 * reads into a temporary file under data_dir/inputs, counting bytes and
 * stopping at limit + 1 (never more than one read in memory).  The probe
 * (typefind on the first bytes, a header parse for images, then a decode
 * with a deadline) runs in a small worker pool; the file is then renamed
 * after the SHA-256 of its bytes.  All inputs are untrusted: every header
 * field is bounds-checked, pixel sizes are checked from the header before
 * anything is decoded (no decompression bombs), and decoders run in
 * GStreamer pipelines with a timeout.
 *
 * Thread safety notes:
 *  - A Fetch belongs to the caller's main context until the download is
 *    complete, then to the probe-pool thread that checks it; the GTask
 *    returns on the caller's context.  The temporary file is removed before
 *    the answer is returned (the task may be freed later, in any thread).
 *  - ProbeRun.lock guards the counters the decode pipeline's streaming
 *    threads update (pad probes) and the probing thread reads.
 *  - probe_pool is created once (g_once) and never freed; it runs at most
 *    PROBE_THREADS decodes at a time.
 *  - verdict_lock guards `verdicts` (the memo of fetched-file checks) and
 *    `stats`; nothing else is taken while it is held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-media.h"

#include <gst/gst.h>
#include <gst/base/gsttypefindhelper.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (sim_media_debug);
#define GST_CAT_DEFAULT sim_media_debug

#define PROBE_THREADS 2
#define READ_CHUNK 65536
#define TYPEFIND_BYTES (256 * 1024)
/* no input is ever stored beyond this, whatever the limits say */
#define HARD_MAX_BYTES (G_GUINT64_CONSTANT (1) << 30)
/* pixel sizes beyond this are never decoded, whatever the limits say */
#define HARD_MAX_PX 16384
/* Decoding budget of one check.  A motion video still decoding then is
 * accepted if it has given pictures and a duration (long videos); nothing
 * decoded for STALL_TIMEOUT fails at once: decodebin drops the error of an
 * element it is still setting up, so a broken file can leave the pipeline
 * waiting for ever (seen with fuzzed MP4s under load). */
#define PROBE_TIMEOUT_S 60
#define STALL_TIMEOUT_S 10
#define BUS_POLL (100 * GST_MSECOND)
/* Durations are measured by decoding.  PCM is exact (within this); a plain
 * MP3 decodes to its length plus the encoder delay (576 samples, removed
 * here) plus up to about a frame of padding that only a LAME tag would
 * tell: MP3 bounds are judged within two MPEG frames. */
#define DURATION_SLACK 0.001
#define MP3_ENCODER_DELAY 576
#define MAX_URL_IN_MESSAGE 200
/* a download (not its check) must finish within this */
#define FETCH_TIMEOUT_S 300

GQuark
sim_media_error_quark (void)
{
  return g_quark_from_static_string ("sim-media-error-quark");
}

static GThreadPool *probe_pool;

/* A check's outcome depends only on the bytes, the kind and the limits:
 * fetched files are checked once per process (the 500-task benchmark
 * sends one image 500 times).  Key: data dir, sha256, kind, limits;
 * value: Verdict. */
typedef struct {
  SimMedia *media; /* on success (path: the content-named file) */
  gint code;       /* else the SimMediaError */
  gchar *problem;  /* and the message after "field (url): " */
} Verdict;

#define MAX_VERDICTS 1024
static GMutex verdict_lock;
static GHashTable *verdicts; /* guarded by verdict_lock */
static SimMediaStats stats;  /* guarded by verdict_lock */

static gpointer
init_once (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (sim_media_debug, "apixo-sim-media", 0,
                           "apixo-sim input media");
  return NULL;
}

static void probe_func (gpointer data, gpointer pool_data);

static gpointer
init_pool_once (gpointer data)
{
  probe_pool = g_thread_pool_new (probe_func, NULL, PROBE_THREADS, FALSE, NULL);
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
sim_media_free (SimMedia *media)
{
  if (!media)
    return;
  g_free (media->path);
  g_free (media->format);
  g_free (media);
}

static const gchar *
kind_noun (SimMediaKind kind)
{
  switch (kind) {
    case SIM_MEDIA_IMAGE:
      return "image";
    case SIM_MEDIA_VIDEO:
      return "video";
    case SIM_MEDIA_AUDIO:
      return "audio";
  }
  return "file";
}

/* "field (url)" or "field" */
static gchar *
subject (const gchar *field, const gchar *url)
{
  if (!url)
    return g_strdup (field ? field : "input");
  if (strlen (url) > MAX_URL_IN_MESSAGE)
    return g_strdup_printf ("%s (%.*s...)", field ? field : "input",
                            MAX_URL_IN_MESSAGE, url);
  return g_strdup_printf ("%s (%s)", field ? field : "input", url);
}

G_GNUC_PRINTF (5, 6)
static void
set_error (GError **error, SimMediaError code, const gchar *field,
           const gchar *url, const gchar *fmt, ...)
{
  g_autofree gchar *subj = subject (field, url);
  g_autofree gchar *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, SIM_MEDIA_ERROR, code, "%s: %s", subj, msg);
}

static gchar *
format_bytes (guint64 n)
{
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " MB", n / (1024 * 1024));
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", n);
}

/* ------------------------------------------------------------------ */
/* Image headers */

typedef struct {
  const guint8 *d;
  gsize n;
} Bytes;

static gboolean
read_png (Bytes b, gint *w, gint *h, gboolean *alpha)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  gsize off;
  guint32 pw, ph;
  guint8 ctype;

  if (b.n < 33 || memcmp (b.d, sig, 8) || memcmp (b.d + 12, "IHDR", 4) ||
      GST_READ_UINT32_BE (b.d + 8) != 13)
    return FALSE;
  pw = GST_READ_UINT32_BE (b.d + 16);
  ph = GST_READ_UINT32_BE (b.d + 20);
  ctype = b.d[25];
  if (pw == 0 || ph == 0 || pw > G_MAXINT || ph > G_MAXINT)
    return FALSE;
  *w = (gint)pw;
  *h = (gint)ph;
  *alpha = ctype == 4 || ctype == 6;
  /* a tRNS chunk (before IDAT) makes a palette or grey/RGB image
   * transparent too */
  for (off = 33; !*alpha && off + 8 <= b.n;) {
    guint32 len = GST_READ_UINT32_BE (b.d + off);
    const guint8 *type = b.d + off + 4;

    if (!memcmp (type, "tRNS", 4))
      *alpha = TRUE;
    if (!memcmp (type, "IDAT", 4) || !memcmp (type, "IEND", 4) ||
        len > b.n - off - 8 || b.n - off - 8 - len < 4)
      break;
    off += 12 + (gsize)len;
  }
  return TRUE;
}

static gboolean
read_jpeg (Bytes b, gint *w, gint *h, gboolean *alpha)
{
  gsize off = 2;

  if (b.n < 4 || b.d[0] != 0xff || b.d[1] != 0xd8)
    return FALSE;
  while (off + 4 <= b.n) {
    guint8 m;
    guint len;

    if (b.d[off] != 0xff)
      return FALSE;
    while (off < b.n && b.d[off] == 0xff)
      off++;
    if (off + 3 > b.n)
      return FALSE;
    m = b.d[off++];
    if (m == 0x01 || (m >= 0xd0 && m <= 0xd8))
      continue; /* no length */
    if (m == 0xd9 || m == 0xda)
      return FALSE; /* end, or scan data before any frame header */
    len = GST_READ_UINT16_BE (b.d + off);
    if (len < 2 || off + len > b.n)
      return FALSE;
    if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
      if (len < 8)
        return FALSE;
      *h = GST_READ_UINT16_BE (b.d + off + 3);
      *w = GST_READ_UINT16_BE (b.d + off + 5);
      *alpha = FALSE;
      return *w > 0 && *h > 0;
    }
    off += len;
  }
  return FALSE;
}

static gboolean
read_webp (Bytes b, gint *w, gint *h, gboolean *alpha)
{
  const guint8 *c;

  if (b.n < 30 || memcmp (b.d, "RIFF", 4) || memcmp (b.d + 8, "WEBP", 4))
    return FALSE;
  c = b.d + 12;
  if (!memcmp (c, "VP8 ", 4)) {
    /* frame tag (3), start code 9d 01 2a, 14-bit width and height */
    if (c[11] != 0x9d || c[12] != 0x01 || c[13] != 0x2a)
      return FALSE;
    *w = GST_READ_UINT16_LE (c + 14) & 0x3fff;
    *h = GST_READ_UINT16_LE (c + 16) & 0x3fff;
    *alpha = FALSE;
  } else if (!memcmp (c, "VP8L", 4)) {
    guint32 bits;

    if (c[8] != 0x2f)
      return FALSE;
    bits = GST_READ_UINT32_LE (c + 9);
    *w = (gint)(bits & 0x3fff) + 1;
    *h = (gint)((bits >> 14) & 0x3fff) + 1;
    *alpha = (bits >> 28) & 1;
  } else if (!memcmp (c, "VP8X", 4)) {
    *alpha = (c[8] & 0x10) != 0;
    *w = (gint)(c[12] | c[13] << 8 | c[14] << 16) + 1;
    *h = (gint)(c[15] | c[16] << 8 | c[17] << 16) + 1;
  } else {
    return FALSE;
  }
  return *w > 0 && *h > 0;
}

static gboolean
read_bmp (Bytes b, gint *w, gint *h, gboolean *alpha)
{
  guint32 dib;
  gint64 bw, bh;

  if (b.n < 26 || b.d[0] != 'B' || b.d[1] != 'M')
    return FALSE;
  dib = GST_READ_UINT32_LE (b.d + 14);
  *alpha = FALSE;
  if (dib == 12) {
    bw = GST_READ_UINT16_LE (b.d + 18);
    bh = GST_READ_UINT16_LE (b.d + 20);
  } else if (dib >= 40 && b.n >= 14 + 40) {
    guint bpp = GST_READ_UINT16_LE (b.d + 28);

    bw = (gint32)GST_READ_UINT32_LE (b.d + 18);
    bh = (gint32)GST_READ_UINT32_LE (b.d + 22);
    bh = ABS (bh); /* negative: top-down rows */
    if (bpp == 32 && dib >= 56 && b.n >= 14 + 56)
      *alpha = GST_READ_UINT32_LE (b.d + 14 + 52) != 0;
  } else {
    return FALSE;
  }
  if (bw <= 0 || bh <= 0 || bw > G_MAXINT || bh > G_MAXINT)
    return FALSE;
  *w = (gint)bw;
  *h = (gint)bh;
  return TRUE;
}

/* Reads up to @max bytes at @offset. */
static guint8 *
read_head (const gchar *path, guint64 offset, gsize max, gsize *len)
{
  gint fd = g_open (path, O_RDONLY, 0);
  guint8 *buf;
  gssize n;

  *len = 0;
  if (fd < 0)
    return NULL;
  buf = g_malloc (max);
  n = pread (fd, buf, max, (off_t)offset);
  close (fd);
  if (n <= 0) {
    g_free (buf);
    return NULL;
  }
  *len = n;
  return buf;
}

gboolean
sim_media_read_image_header (const gchar *path, gint *width, gint *height,
                             gboolean *has_alpha, gchar **format)
{
  gsize len;
  g_autofree guint8 *head = read_head (path, 0, TYPEFIND_BYTES, &len);
  Bytes b = { head, len };
  gint w = 0, h = 0;
  gboolean alpha = FALSE;
  const gchar *fmt;

  if (!head)
    return FALSE;
  if (read_png (b, &w, &h, &alpha))
    fmt = "png";
  else if (read_jpeg (b, &w, &h, &alpha))
    fmt = "jpeg";
  else if (read_webp (b, &w, &h, &alpha))
    fmt = "webp";
  else if (read_bmp (b, &w, &h, &alpha))
    fmt = "bmp";
  else
    return FALSE;
  if (width)
    *width = w;
  if (height)
    *height = h;
  if (has_alpha)
    *has_alpha = alpha;
  if (format)
    *format = g_strdup (fmt);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Typefinding */

/* Size of an ID3v2 tag at the start of @b, 0 if none. */
static guint64
id3v2_size (Bytes b)
{
  guint64 size;

  if (b.n < 10 || memcmp (b.d, "ID3", 3) ||
      (b.d[6] | b.d[7] | b.d[8] | b.d[9]) & 0x80)
    return 0;
  size = (guint64)b.d[6] << 21 | b.d[7] << 14 | b.d[8] << 7 | b.d[9];
  return size + 10 + ((b.d[5] & 0x10) ? 10 : 0);
}

/* The format name of typefound @caps ("png", "mp3", "mp4", ...), or NULL. */
static gchar *
format_of_caps (GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  static const struct {
    const gchar *media, *format;
  } map[] = {
    { "image/jpeg", "jpeg" },      { "image/png", "png" },
    { "image/webp", "webp" },      { "image/bmp", "bmp" },
    { "image/gif", "gif" },        { "image/tiff", "tiff" },
    { "image/svg+xml", "svg" },    { "audio/x-wav", "wav" },
    { "audio/x-flac", "flac" },    { "audio/x-m4a", "m4a" },
    { "audio/x-aiff", "aiff" },    { "application/ogg", "ogg" },
    { "video/quicktime", "mp4" },  { "video/webm", "webm" },
    { "video/x-matroska", "mkv" }, { "video/x-msvideo", "avi" },
    { "video/mpegts", "ts" },      { "video/x-flv", "flv" },
    { "audio/x-ac3", "ac3" },      { "audio/x-opus", "opus" },
  };
  gint version = 0, layer = 0;

  for (guint i = 0; i < G_N_ELEMENTS (map); i++) {
    if (g_str_equal (name, map[i].media))
      return g_strdup (map[i].format);
  }
  if (g_str_equal (name, "audio/mpeg")) {
    gst_structure_get_int (s, "mpegversion", &version);
    gst_structure_get_int (s, "layer", &layer);
    if (version == 1)
      return g_strdup_printf ("mp%d", layer ? layer : 3);
    return g_strdup ("aac");
  }
  if (g_str_equal (name, "video/mpeg"))
    return g_strdup ("mpeg");
  if (g_str_has_prefix (name, "image/"))
    return g_strdup (name + 6);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Decoding */

typedef struct {
  GMutex lock;
  guint video_frames, audio_buffers, other_streams;
  gint width, height, rate;
  GstClockTime audio_start, audio_end, video_end;
  gint64 last_output; /* monotonic time of the last buffer */
} ProbeRun;

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ProbeRun *run = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstStructure *s;
  const gchar *name;
  GstClockTime ts = GST_BUFFER_PTS (buf), end = GST_CLOCK_TIME_NONE;

  if (!caps || gst_caps_get_size (caps) == 0)
    return GST_PAD_PROBE_OK;
  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);
  if (GST_CLOCK_TIME_IS_VALID (ts))
    end = ts +
          (GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0);
  g_mutex_lock (&run->lock);
  run->last_output = g_get_monotonic_time ();
  if (g_str_equal (name, "video/x-raw")) {
    run->video_frames++;
    gst_structure_get_int (s, "width", &run->width);
    gst_structure_get_int (s, "height", &run->height);
    if (GST_CLOCK_TIME_IS_VALID (end) &&
        (!GST_CLOCK_TIME_IS_VALID (run->video_end) || end > run->video_end))
      run->video_end = end;
  } else if (g_str_equal (name, "audio/x-raw")) {
    run->audio_buffers++;
    gst_structure_get_int (s, "rate", &run->rate);
    if (GST_CLOCK_TIME_IS_VALID (ts) &&
        (!GST_CLOCK_TIME_IS_VALID (run->audio_start) || ts < run->audio_start))
      run->audio_start = ts;
    if (GST_CLOCK_TIME_IS_VALID (end) &&
        (!GST_CLOCK_TIME_IS_VALID (run->audio_end) || end > run->audio_end))
      run->audio_end = end;
  } else {
    run->other_streams++;
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static void
attach_sink (GstElement *pipe, GstPad *pad, ProbeRun *run)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  if (!sink)
    return;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipe), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, run,
                     NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

static void
on_pad_added (GstElement *dec, GstPad *pad, gpointer user_data)
{
  ProbeRun *run = user_data;
  GstObject *pipe = gst_object_get_parent (GST_OBJECT (dec));

  if (pipe) {
    attach_sink (GST_ELEMENT (pipe), pad, run);
    gst_object_unref (pipe);
  }
}

/* Waits for the end of the decode: TRUE at EOS, or (@allow_partial) when
 * the budget ran out after some pictures came out. */
static gboolean
wait_decoded (GstElement *pipe, ProbeRun *run, gboolean allow_partial,
              GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  gint64 start = g_get_monotonic_time ();

  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, BUS_POLL, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    gint64 now, last;
    guint frames;

    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      return TRUE;
    }
    if (msg) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err->message);
      g_error_free (err);
      gst_message_unref (msg);
      return FALSE;
    }
    now = g_get_monotonic_time ();
    g_mutex_lock (&run->lock);
    last = run->last_output ? run->last_output : start;
    frames = run->video_frames;
    g_mutex_unlock (&run->lock);
    if (now - last > STALL_TIMEOUT_S * G_USEC_PER_SEC) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "decoding stalled: nothing decoded for %d s",
                   STALL_TIMEOUT_S);
      return FALSE;
    }
    if (now - start > PROBE_TIMEOUT_S * G_USEC_PER_SEC) {
      if (allow_partial && frames > 0) {
        GST_INFO ("decoded %u pictures in %d s, accepting", frames,
                  PROBE_TIMEOUT_S);
        return TRUE;
      }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "decoding did not finish within %d s", PROBE_TIMEOUT_S);
      return FALSE;
    }
  }
}

/* Decodes @path with @decoder ("decodebin" or an image decoder), counting
 * what comes out.  FALSE with @error set to the decoder's message. */
static gboolean
decode_file (const gchar *path, const gchar *decoder, ProbeRun *run,
             gboolean allow_partial, gdouble *container_duration,
             GError **error)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *dec = gst_element_factory_make (decoder, NULL);
  gboolean ok = FALSE;
  gint64 dur = -1;

  *container_duration = 0;
  if (!src || !dec) {
    gst_clear_object (&src);
    gst_clear_object (&dec);
    gst_object_unref (pipe);
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "GStreamer element %s is missing", src ? decoder : "filesrc");
    return FALSE;
  }
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (pipe), src, dec, NULL);
  gst_element_link (src, dec);
  if (g_str_equal (decoder, "decodebin")) {
    g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), run);
  } else {
    GstPad *pad = gst_element_get_static_pad (dec, "src");

    attach_sink (pipe, pad, run);
    gst_object_unref (pad);
  }
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start decoding");
  else
    ok = wait_decoded (pipe, run, allow_partial, error);
  if (ok && gst_element_query_duration (pipe, GST_FORMAT_TIME, &dur) && dur > 0)
    *container_duration = (gdouble)dur / GST_SECOND;
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Checks */

static const gchar *
image_decoder_for (const gchar *format)
{
  if (g_str_equal (format, "png"))
    return "pngdec";
  if (g_str_equal (format, "jpeg"))
    return "jpegdec";
  if (g_str_equal (format, "webp"))
    return "webpdec";
  /* avdec_bmp, what decodebin would pick, fails on files read in blocks */
  return "gdkpixbufdec";
}

static gboolean
image_allowed (const SimMediaLimits *l, const gchar *format)
{
  return (g_str_equal (format, "jpeg") && l->allow_jpeg) ||
         (g_str_equal (format, "png") && l->allow_png) ||
         (g_str_equal (format, "webp") && l->allow_webp) ||
         (g_str_equal (format, "bmp") && l->allow_bmp);
}

static gchar *
allowed_images (const SimMediaLimits *l)
{
  GString *s = g_string_new (NULL);

  if (l->allow_jpeg)
    g_string_append (s, "JPEG, ");
  if (l->allow_png)
    g_string_append (s, l->png_alpha_forbidden ? "PNG (no alpha), " : "PNG, ");
  if (l->allow_webp)
    g_string_append (s, "WebP, ");
  if (l->allow_bmp)
    g_string_append (s, "BMP, ");
  if (s->len >= 2)
    g_string_truncate (s, s->len - 2);
  else
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

static gboolean
check_image (SimMedia *m, const gchar *field, const gchar *url,
             const SimMediaLimits *l, GError **error)
{
  gint w = 0, h = 0;
  gboolean alpha = FALSE;
  g_autofree gchar *hdr_format = NULL;
  ProbeRun run = { 0 };
  GError *err = NULL;
  gdouble dur;
  gboolean ok;

  if (!(g_str_equal (m->format, "jpeg") || g_str_equal (m->format, "png") ||
        g_str_equal (m->format, "webp") || g_str_equal (m->format, "bmp")) ||
      !image_allowed (l, m->format)) {
    g_autofree gchar *allowed = allowed_images (l);

    set_error (error, SIM_MEDIA_ERROR_FORMAT, field, url,
               "image format %s is not allowed (allowed: %s)", m->format,
               allowed);
    return FALSE;
  }
  if (!sim_media_read_image_header (m->path, &w, &h, &alpha, &hdr_format) ||
      !g_str_equal (hdr_format, m->format)) {
    set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
               "not a decodable %s image (broken header)", m->format);
    return FALSE;
  }
  m->width = w;
  m->height = h;
  m->has_alpha = alpha;
  if ((l->min_px && (w < l->min_px || h < l->min_px)) ||
      (l->max_px && (w > l->max_px || h > l->max_px)) || w > HARD_MAX_PX ||
      h > HARD_MAX_PX) {
    set_error (error, SIM_MEDIA_ERROR_DIMENSIONS, field, url,
               "image is %dx%d px, allowed %d-%d px", w, h, l->min_px,
               l->max_px ? l->max_px : HARD_MAX_PX);
    return FALSE;
  }
  if (g_str_equal (m->format, "png") && alpha && l->png_alpha_forbidden) {
    set_error (error, SIM_MEDIA_ERROR_FORMAT, field, url,
               "PNG image has an alpha channel (only PNG without alpha is "
               "allowed)");
    return FALSE;
  }

  g_mutex_init (&run.lock);
  run.audio_start = run.audio_end = run.video_end = GST_CLOCK_TIME_NONE;
  ok = decode_file (m->path, image_decoder_for (m->format), &run, FALSE, &dur,
                    &err);
  g_mutex_clear (&run.lock);
  if (!ok || run.video_frames == 0) {
    set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
               "not a decodable %s image (%s)", m->format,
               err ? err->message : "no picture");
    g_clear_error (&err);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_duration (SimMedia *m, const gchar *field, const gchar *url,
                const SimMediaLimits *l, gdouble slack, GError **error)
{
  if ((l->min_duration > 0 && m->duration < l->min_duration - slack) ||
      (l->max_duration > 0 && m->duration > l->max_duration + slack)) {
    g_autofree gchar *range = NULL;

    if (l->min_duration > 0 && l->max_duration > 0)
      range = g_strdup_printf ("%g-%g s", l->min_duration, l->max_duration);
    else if (l->min_duration > 0)
      range = g_strdup_printf ("at least %g s", l->min_duration);
    else
      range = g_strdup_printf ("at most %g s", l->max_duration);
    set_error (error, SIM_MEDIA_ERROR_DURATION, field, url,
               "%s is %.2f s long, allowed %s", kind_noun (m->kind),
               m->duration, range);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_av (SimMedia *m, const gchar *field, const gchar *url,
          const SimMediaLimits *l, GError **error)
{
  ProbeRun run = { 0 };
  GError *err = NULL;
  gdouble container = 0, slack = DURATION_SLACK;
  gboolean ok;

  if (m->kind == SIM_MEDIA_AUDIO && !g_str_equal (m->format, "wav") &&
      !g_str_equal (m->format, "mp3")) {
    set_error (error, SIM_MEDIA_ERROR_FORMAT, field, url,
               "audio format %s is not allowed (allowed: wav, mp3)", m->format);
    return FALSE;
  }
  g_mutex_init (&run.lock);
  run.audio_start = run.audio_end = run.video_end = GST_CLOCK_TIME_NONE;
  ok = decode_file (m->path, "decodebin", &run, m->kind == SIM_MEDIA_VIDEO,
                    &container, &err);
  g_mutex_clear (&run.lock);
  if (!ok) {
    set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
               "not a decodable %s file (%s)", kind_noun (m->kind),
               err->message);
    g_error_free (err);
    return FALSE;
  }
  if (m->kind == SIM_MEDIA_AUDIO) {
    if (run.audio_buffers == 0 || !GST_CLOCK_TIME_IS_VALID (run.audio_end)) {
      set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
                 "%s file has no decodable audio", m->format);
      return FALSE;
    }
    /* measured by decoding: exact for wav, and headers of mp3 files lie */
    m->duration = (gdouble)(run.audio_end - run.audio_start) / GST_SECOND;
    if (g_str_equal (m->format, "mp3") && run.rate > 0) {
      gint frame = run.rate >= 32000 ? 1152 : 576;

      m->duration =
          MAX (0, m->duration - (gdouble)MP3_ENCODER_DELAY / run.rate);
      slack = 2.0 * frame / run.rate;
    }
  } else {
    if (run.video_frames == 0) {
      set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
                 "%s file has no decodable video stream", m->format);
      return FALSE;
    }
    m->width = run.width;
    m->height = run.height;
    m->duration = container > 0 ? container
                  : GST_CLOCK_TIME_IS_VALID (run.video_end)
                      ? (gdouble)run.video_end / GST_SECOND
                      : 0;
    if (m->duration <= 0) {
      set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
                 "video duration is unknown");
      return FALSE;
    }
  }
  return check_duration (m, field, url, l, slack, error);
}

static SimMedia *
probe_path (const gchar *path, const gchar *field, const gchar *url,
            SimMediaKind kind, const SimMediaLimits *limits, GError **error)
{
  static const SimMediaLimits no_limits = { 0 };
  g_autoptr (SimMedia) m = g_new0 (SimMedia, 1);
  g_autoptr (GstCaps) caps = NULL;
  g_autofree guint8 *head = NULL;
  GStatBuf st;
  guint64 skip;
  gsize len;

  ensure_init ();
  if (!limits)
    limits = &no_limits;
  m->kind = kind;
  m->path = g_strdup (path);
  if (g_stat (path, &st) != 0) {
    set_error (error, SIM_MEDIA_ERROR_UNREACHABLE, field, url,
               "cannot read the file: %s", g_strerror (errno));
    return NULL;
  }
  m->size = st.st_size;
  if ((limits->max_bytes && m->size > limits->max_bytes) ||
      m->size > HARD_MAX_BYTES) {
    g_autofree gchar *lim = format_bytes (
        limits->max_bytes ? MIN (limits->max_bytes, HARD_MAX_BYTES)
                          : HARD_MAX_BYTES);

    set_error (error, SIM_MEDIA_ERROR_TOO_LARGE, field, url,
               "file is %" G_GUINT64_FORMAT " bytes, larger than %s", m->size,
               lim);
    return NULL;
  }

  /* typefind the bytes, past an ID3v2 tag */
  head = read_head (path, 0, TYPEFIND_BYTES, &len);
  if (head && (skip = id3v2_size ((Bytes){ head, len })) > 0) {
    g_free (head);
    head = read_head (path, skip, TYPEFIND_BYTES, &len);
  }
  if (head)
    caps = gst_type_find_helper_for_data (NULL, head, len, NULL);
  if (caps)
    m->format = format_of_caps (caps);
  if (!m->format) {
    set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
               "not a decodable %s file (%s)", kind_noun (kind),
               m->size ? "unknown format" : "empty");
    return NULL;
  }
  GST_DEBUG ("%s: %s is %" GST_PTR_FORMAT, field, path, caps);

  switch (kind) {
    case SIM_MEDIA_IMAGE:
      if (!g_str_has_prefix (
              gst_structure_get_name (gst_caps_get_structure (caps, 0)),
              "image/")) {
        set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
                   "not an image (%s data)", m->format);
        return NULL;
      }
      if (!check_image (m, field, url, limits, error))
        return NULL;
      break;
    case SIM_MEDIA_AUDIO:
    case SIM_MEDIA_VIDEO:
      if (g_str_has_prefix (
              gst_structure_get_name (gst_caps_get_structure (caps, 0)),
              "image/")) {
        set_error (error, SIM_MEDIA_ERROR_UNDECODABLE, field, url,
                   "not %s (%s image)",
                   kind == SIM_MEDIA_AUDIO ? "audio" : "a video", m->format);
        return NULL;
      }
      if (!check_av (m, field, url, limits, error))
        return NULL;
      break;
  }
  return g_steal_pointer (&m);
}

SimMedia *
sim_media_probe_file (const gchar *path, const gchar *field, SimMediaKind kind,
                      const SimMediaLimits *limits, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return probe_path (path, field, NULL, kind, limits, error);
}

/* ------------------------------------------------------------------ */
/* Fetching */

typedef struct {
  SoupSession *session;
  SoupMessage *msg;
  gchar *url, *field, *data_dir;
  SimMediaKind kind;
  SimMediaLimits limits;
  guint64 limit; /* bytes; limit + 1 fails */
  GInputStream *in;
  GOutputStream *out;
  gchar *tmp_path; /* unlinked when the Fetch is freed */
  guint64 received;
  GChecksum *sum;
  GBytes *chunk; /* being written */
  /* every I/O runs with `cancel`, cancelled by the caller's cancellable or
   * by the FETCH_TIMEOUT_S timer (then `timed_out`) */
  GCancellable *cancel, *caller;
  gulong caller_id;
  GSource *timer;
  gboolean timed_out;
} Fetch;

static void
fetch_drop_tmp (Fetch *f)
{
  if (f->tmp_path) {
    g_unlink (f->tmp_path);
    g_clear_pointer (&f->tmp_path, g_free);
  }
}

static void
fetch_stop_timer (Fetch *f)
{
  if (f->timer) {
    g_source_destroy (f->timer);
    g_clear_pointer (&f->timer, g_source_unref);
  }
}

static void
fetch_free (gpointer data)
{
  Fetch *f = data;

  fetch_stop_timer (f);
  if (f->caller_id)
    g_cancellable_disconnect (f->caller, f->caller_id);
  g_clear_object (&f->caller);
  g_clear_object (&f->cancel);

  g_clear_object (&f->msg);
  g_clear_object (&f->session);
  if (f->in)
    g_input_stream_close (f->in, NULL, NULL);
  g_clear_object (&f->in);
  if (f->out)
    g_output_stream_close (f->out, NULL, NULL);
  g_clear_object (&f->out);
  fetch_drop_tmp (f);
  g_free (f->url);
  g_free (f->field);
  g_free (f->data_dir);
  g_clear_pointer (&f->sum, g_checksum_free);
  g_clear_pointer (&f->chunk, g_bytes_unref);
  g_free (f);
}

static void fetch_read_next (GTask *task);

static void
fetch_fail_io (GTask *task, const gchar *what, GError *err)
{
  Fetch *f = g_task_get_task_data (task);
  GError *e = NULL;

  fetch_stop_timer (f);
  fetch_drop_tmp (f);
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !f->timed_out) {
    g_task_return_error (task, err);
    g_object_unref (task);
    return;
  }
  if (f->timed_out)
    set_error (&e, SIM_MEDIA_ERROR_UNREACHABLE, f->field, f->url,
               "%s: the download did not finish within %d s", what,
               FETCH_TIMEOUT_S);
  else
    set_error (&e, SIM_MEDIA_ERROR_UNREACHABLE, f->field, f->url, "%s: %s",
               what, err->message);
  g_error_free (err);
  g_task_return_error (task, e);
  g_object_unref (task);
}

static void
fetch_too_large (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  g_autofree gchar *lim = format_bytes (f->limit);
  GError *e = NULL;

  fetch_stop_timer (f);
  fetch_drop_tmp (f);
  set_error (&e, SIM_MEDIA_ERROR_TOO_LARGE, f->field, f->url,
             "file is larger than %s", lim);
  g_task_return_error (task, e);
  g_object_unref (task);
}

static void
fetch_written (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  GError *err = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL,
                                         &err)) {
    fetch_fail_io (task, "cannot store the download", err);
    return;
  }
  fetch_read_next (task);
}

static void
fetch_done (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  GError *err = NULL;

  fetch_stop_timer (f);
  if (!g_output_stream_close (f->out, NULL, &err)) {
    fetch_fail_io (task, "cannot store the download", err);
    return;
  }
  g_clear_object (&f->out);
  g_input_stream_close (f->in, NULL, NULL);
  g_clear_object (&f->in);
  /* the session is done with: drop it before leaving its context */
  g_clear_object (&f->msg);
  g_clear_object (&f->session);
  {
    static GOnce pool_once = G_ONCE_INIT;

    g_once (&pool_once, init_pool_once, NULL);
  }
  g_thread_pool_push (probe_pool, task, NULL);
}

static void
fetch_read (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  Fetch *f = g_task_get_task_data (task);
  GError *err = NULL;
  GBytes *bytes =
      g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &err);
  gsize n;

  if (!bytes) {
    fetch_fail_io (task, "download broke off", err);
    return;
  }
  n = g_bytes_get_size (bytes);
  if (n == 0) {
    g_bytes_unref (bytes);
    fetch_done (task);
    return;
  }
  f->received += n;
  if (f->received > f->limit) {
    g_bytes_unref (bytes);
    fetch_too_large (task);
    return;
  }
  g_checksum_update (f->sum, g_bytes_get_data (bytes, NULL), n);
  g_clear_pointer (&f->chunk, g_bytes_unref);
  f->chunk = bytes;
  g_output_stream_write_all_async (f->out, g_bytes_get_data (bytes, NULL), n,
                                   G_PRIORITY_DEFAULT, f->cancel, fetch_written,
                                   task);
}

static void
fetch_read_next (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (f->in, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   f->cancel, fetch_read, task);
}

static gboolean
fetch_open_tmp (Fetch *f, GError **error)
{
  g_autofree gchar *dir = g_build_filename (f->data_dir, "inputs", NULL);
  g_autoptr (GFile) file = NULL;
  gint fd;

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  f->tmp_path = g_build_filename (dir, ".fetch-XXXXXX", NULL);
  fd = g_mkstemp_full (f->tmp_path, O_RDWR, 0644);
  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot create a file in %s: %s", dir, g_strerror (errno));
    g_clear_pointer (&f->tmp_path, g_free);
    return FALSE;
  }
  close (fd);
  file = g_file_new_for_path (f->tmp_path);
  f->out = G_OUTPUT_STREAM (
      g_file_append_to (file, G_FILE_CREATE_NONE, NULL, error));
  return f->out != NULL;
}

static void
fetch_sent (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  Fetch *f = g_task_get_task_data (task);
  GError *err = NULL;
  guint status;
  goffset length = -1;

  f->in = soup_session_send_finish (SOUP_SESSION (source), res, &err);
  if (!f->in) {
    fetch_fail_io (task, "cannot fetch", err);
    return;
  }
  status = soup_message_get_status (f->msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    GError *e = NULL;

    fetch_stop_timer (f);
    set_error (&e, SIM_MEDIA_ERROR_UNREACHABLE, f->field, f->url,
               "cannot fetch: HTTP %u %s", status,
               soup_message_get_reason_phrase (f->msg)
                   ? soup_message_get_reason_phrase (f->msg)
                   : "");
    g_task_return_error (task, e);
    g_object_unref (task);
    return;
  }
  if (soup_message_headers_get_encoding (soup_message_get_response_headers (
          f->msg)) == SOUP_ENCODING_CONTENT_LENGTH)
    length = soup_message_headers_get_content_length (
        soup_message_get_response_headers (f->msg));
  if (length > 0 && (guint64)length > f->limit) {
    fetch_too_large (task);
    return;
  }
  if (!fetch_open_tmp (f, &err)) {
    fetch_fail_io (task, "cannot store the download", err);
    return;
  }
  fetch_read_next (task);
}

static SimMedia *
media_copy (const SimMedia *m)
{
  SimMedia *c = g_memdup2 (m, sizeof *m);

  c->path = g_strdup (m->path);
  c->format = g_strdup (m->format);
  return c;
}

static void
verdict_free (gpointer data)
{
  Verdict *v = data;

  sim_media_free (v->media);
  g_free (v->problem);
  g_free (v);
}

static gchar *
verdict_key (Fetch *f)
{
  const SimMediaLimits *l = &f->limits;

  return g_strdup_printf (
      "%s/%s/%d/%" G_GUINT64_FORMAT "/%d%d%d%d%d/%d/%d/%.3f/%.3f", f->data_dir,
      g_checksum_get_string (f->sum), f->kind, l->max_bytes, l->allow_jpeg,
      l->allow_png, l->allow_webp, l->allow_bmp, l->png_alpha_forbidden,
      l->min_px, l->max_px, l->min_duration, l->max_duration);
}

/* Returns the remembered outcome for @key (TRUE), as the task's result. */
static gboolean
verdict_answer (GTask *task, Fetch *f, const gchar *key)
{
  Verdict *v;
  SimMedia *m = NULL;
  gint code = 0;
  g_autofree gchar *problem = NULL;

  g_mutex_lock (&verdict_lock);
  v = verdicts ? g_hash_table_lookup (verdicts, key) : NULL;
  if (v)
    stats.remembered++;
  else
    stats.checks++;
  if (v && v->media)
    m = media_copy (v->media);
  else if (v) {
    code = v->code;
    problem = g_strdup (v->problem);
  }
  g_mutex_unlock (&verdict_lock);
  if (!v || (m && !g_file_test (m->path, G_FILE_TEST_IS_REGULAR))) {
    sim_media_free (m);
    return FALSE;
  }
  fetch_drop_tmp (f);
  if (m) {
    g_task_return_pointer (task, m, (GDestroyNotify)sim_media_free);
  } else {
    GError *e = NULL;

    set_error (&e, code, f->field, f->url, "%s", problem);
    g_task_return_error (task, e);
  }
  return TRUE;
}

static void
verdict_remember (Fetch *f, const gchar *key, const SimMedia *m,
                  const GError *err)
{
  Verdict *v = g_new0 (Verdict, 1);
  g_autofree gchar *subj = subject (f->field, f->url);

  if (m) {
    v->media = media_copy (m);
  } else if (err->domain == SIM_MEDIA_ERROR &&
             g_str_has_prefix (err->message, subj) &&
             g_str_has_prefix (err->message + strlen (subj), ": ")) {
    v->code = err->code;
    v->problem = g_strdup (err->message + strlen (subj) + 2);
  } else {
    g_free (v);
    return; /* not a verdict on the file (I/O trouble): check again */
  }
  g_mutex_lock (&verdict_lock);
  if (!verdicts || g_hash_table_size (verdicts) >= MAX_VERDICTS) {
    g_clear_pointer (&verdicts, g_hash_table_unref);
    verdicts =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, verdict_free);
  }
  g_hash_table_replace (verdicts, g_strdup (key), v);
  g_mutex_unlock (&verdict_lock);
}

/* Probe pool: check the downloaded file, then name it by its contents. */
static void
probe_func (gpointer data, gpointer pool_data)
{
  GTask *task = data;
  Fetch *f = g_task_get_task_data (task);
  GError *err = NULL;
  SimMedia *m;
  g_autofree gchar *final = NULL, *key = NULL;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task))) {
    fetch_drop_tmp (f);
    g_task_return_error_if_cancelled (task);
    goto out;
  }
  key = verdict_key (f);
  if (verdict_answer (task, f, key))
    goto out;
  m = probe_path (f->tmp_path, f->field, f->url, f->kind, &f->limits, &err);
  if (!m) {
    verdict_remember (f, key, NULL, err);
    fetch_drop_tmp (f);
    g_task_return_error (task, err);
    goto out;
  }
  final = g_strdup_printf ("%s/inputs/%s.%s", f->data_dir,
                           g_checksum_get_string (f->sum), m->format);
  if (g_rename (f->tmp_path, final) != 0) {
    int e = errno;

    fetch_drop_tmp (f);
    sim_media_free (m);
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (e),
                             "cannot rename %s: %s", f->tmp_path,
                             g_strerror (e));
    goto out;
  }
  g_clear_pointer (&f->tmp_path, g_free);
  g_free (m->path);
  m->path = g_steal_pointer (&final);
  verdict_remember (f, key, m, NULL);
  g_task_return_pointer (task, m, (GDestroyNotify)sim_media_free);
out:
  g_object_unref (task);
}

/* On the caller's context; the timer is destroyed before the Fetch is. */
static gboolean
fetch_timed_out (gpointer data)
{
  Fetch *f = data;

  f->timed_out = TRUE;
  g_cancellable_cancel (f->cancel);
  return G_SOURCE_CONTINUE;
}

void
sim_media_fetch_async (SoupSession *session, const gchar *url,
                       const gchar *field, SimMediaKind kind,
                       const SimMediaLimits *limits, const gchar *data_dir,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;
  Fetch *f;
  const gchar *scheme;

  g_return_if_fail (SOUP_IS_SESSION (session));
  g_return_if_fail (url != NULL && data_dir != NULL);

  ensure_init ();
  g_mutex_lock (&verdict_lock);
  stats.fetches++;
  g_mutex_unlock (&verdict_lock);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sim_media_fetch_async);
  f = g_new0 (Fetch, 1);
  f->session = g_object_ref (session);
  f->url = g_strdup (url);
  f->field = g_strdup (field ? field : "input");
  f->data_dir = g_strdup (data_dir);
  f->kind = kind;
  if (limits)
    f->limits = *limits;
  f->limit = f->limits.max_bytes ? MIN (f->limits.max_bytes, HARD_MAX_BYTES)
                                 : HARD_MAX_BYTES;
  f->sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_task_set_task_data (task, f, fetch_free);

  scheme = g_uri_peek_scheme (url);
  if (!scheme ||
      !(g_str_equal (scheme, "http") || g_str_equal (scheme, "https")) ||
      !(f->msg = soup_message_new ("GET", url))) {
    GError *e = NULL;

    set_error (&e, SIM_MEDIA_ERROR_UNREACHABLE, f->field, url,
               "not a valid http(s) URL");
    g_task_return_error (task, e);
    g_object_unref (task);
    return;
  }
  f->cancel = g_cancellable_new ();
  if (cancellable) {
    f->caller = g_object_ref (cancellable);
    f->caller_id = g_cancellable_connect (
        cancellable, G_CALLBACK (g_cancellable_cancel), f->cancel, NULL);
  }
  f->timer = g_timeout_source_new_seconds (FETCH_TIMEOUT_S);
  g_source_set_callback (f->timer, fetch_timed_out, f, NULL);
  g_source_attach (f->timer, g_main_context_get_thread_default ());
  soup_session_send_async (session, f->msg, G_PRIORITY_DEFAULT, f->cancel,
                           fetch_sent, task);
}

SimMedia *
sim_media_fetch_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sim_media_get_stats (SimMediaStats *out)
{
  g_return_if_fail (out != NULL);

  g_mutex_lock (&verdict_lock);
  *out = stats;
  g_mutex_unlock (&verdict_lock);
}
