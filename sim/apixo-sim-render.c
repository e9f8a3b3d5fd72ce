/* apixo-sim-render: render one apixo-sim result or probe one input file,
 * for manual checks of sim-render.c / sim-media.c.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   apixo-sim-render --scene text --prompt "a storm" --seed 7 \
 *       --width 640 --height 360 --duration 5 --audio --cache-dir /tmp/c
 *   apixo-sim-render --probe image --min-px 240 --max-px 8000 picture.png
 *   apixo-sim-render --probe audio --fetch http://127.0.0.1:8000/a.mp3 \
 *       --field "audio_urls[0]" --min-duration 3 --max-duration 30
 * Probes print "ok format=... width=..." or "error CODE message" (CODE: the
 * SimMediaError name) and exit 1 on error.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-media.h"
#include "sim-render.h"

#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

static const gchar *scene_names[] = { "text",      "image",   "first-last",
                                      "reference", "animate", "replace" };

static gboolean
parse_scene (const gchar *name, SimScene *scene)
{
  for (guint i = 0; i < G_N_ELEMENTS (scene_names); i++) {
    if (g_str_equal (name, scene_names[i])) {
      *scene = (SimScene)i;
      return TRUE;
    }
  }
  return FALSE;
}

static const gchar *error_names[] = {
  "UNREACHABLE", "UNDECODABLE", "FORMAT", "TOO_LARGE", "DIMENSIONS", "DURATION"
};

static gboolean
parse_kind (const gchar *name, SimMediaKind *kind)
{
  if (g_str_equal (name, "image"))
    *kind = SIM_MEDIA_IMAGE;
  else if (g_str_equal (name, "video"))
    *kind = SIM_MEDIA_VIDEO;
  else if (g_str_equal (name, "audio"))
    *kind = SIM_MEDIA_AUDIO;
  else
    return FALSE;
  return TRUE;
}

/* "error CODE message" or "ok key=value..." on stdout; exit 1 on error. */
static int
report_media (SimMedia *m, GError *error)
{
  if (!m) {
    const gchar *code = "OTHER";

    if (error->domain == SIM_MEDIA_ERROR &&
        error->code < (gint)G_N_ELEMENTS (error_names))
      code = error_names[error->code];
    g_print ("error %s %s\n", code, error->message);
    return 1;
  }
  g_print ("ok format=%s width=%d height=%d alpha=%d duration=%.3f "
           "size=%" G_GUINT64_FORMAT " path=%s\n",
           m->format, m->width, m->height, m->has_alpha, m->duration, m->size,
           m->path);
  return 0;
}

typedef struct {
  GMainLoop *loop;
  SimMedia *media;
  GError *error;
} FetchData;

static void
fetch_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  FetchData *d = user_data;

  d->media = sim_media_fetch_finish (res, &d->error);
  g_main_loop_quit (d->loop);
}

/* Fetches @url @repeat times, one after the other; with @repeat > 1 the
 * field is "FIELD#i" and the URL gets "?i" (same bytes, other names), and
 * the counters are printed last. */
static int
fetch (const gchar *url, const gchar *field, SimMediaKind kind,
       const SimMediaLimits *limits, const gchar *data_dir, guint repeat)
{
  SoupSession *session = soup_session_new ();
  int ret = 0;

  /* inputs come from loopback test servers: no proxy */
  soup_session_set_proxy_resolver (session, NULL);
  for (guint i = 0; i < MAX (repeat, 1); i++) {
    FetchData d = { g_main_loop_new (NULL, FALSE), NULL, NULL };
    g_autofree gchar *f =
        repeat > 1 ? g_strdup_printf ("%s#%u", field, i) : g_strdup (field);
    g_autofree gchar *u =
        repeat > 1 ? g_strdup_printf ("%s?%u", url, i) : g_strdup (url);

    sim_media_fetch_async (session, u, f, kind, limits, data_dir, NULL,
                           fetch_done, &d);
    g_main_loop_run (d.loop);
    ret |= report_media (d.media, d.error);
    sim_media_free (d.media);
    g_clear_error (&d.error);
    g_main_loop_unref (d.loop);
  }
  if (repeat > 1) {
    SimMediaStats st;

    sim_media_get_stats (&st);
    g_print ("fetches=%" G_GUINT64_FORMAT " checks=%" G_GUINT64_FORMAT
             " remembered=%" G_GUINT64_FORMAT "\n",
             st.fetches, st.checks, st.remembered);
  }
  g_object_unref (session);
  return ret;
}

typedef struct {
  GMainLoop *loop;
  guint pending;
  gchar *first;
  guint failed, differ;
} ManyData;

static void
many_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  ManyData *d = user_data;
  GError *error = NULL;
  gchar *path = sim_render_finish (res, &error);

  if (!path) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    d->failed++;
  } else if (!d->first) {
    d->first = path;
  } else {
    if (!g_str_equal (d->first, path))
      d->differ++;
    g_free (path);
  }
  if (--d->pending == 0)
    g_main_loop_quit (d->loop);
}

/* Submits @n identical renders at once; prints the path and the counters. */
static int
render_many (const SimRenderSpec *spec, const gchar *cache_dir, guint n)
{
  ManyData d = { g_main_loop_new (NULL, FALSE), n, NULL, 0, 0 };
  SimRenderStats st;
  int ret;

  for (guint i = 0; i < n; i++)
    sim_render_async (spec, cache_dir, NULL, many_done, &d);
  g_main_loop_run (d.loop);
  sim_render_get_stats (&st);
  g_print ("%s\n", d.first ? d.first : "");
  g_print ("requests=%" G_GUINT64_FORMAT " renders=%" G_GUINT64_FORMAT
           " joined=%" G_GUINT64_FORMAT " cache_hits=%" G_GUINT64_FORMAT
           " evicted=%" G_GUINT64_FORMAT
           " max_parallel=%u failed=%u differ=%u\n",
           st.requests, st.renders, st.joined, st.cache_hits,
           st.cache_evictions, st.max_parallel, d.failed, d.differ);
  ret = d.failed || d.differ || !d.first ? 1 : 0;
  g_free (d.first);
  g_main_loop_unref (d.loop);
  return ret;
}

/* Renders the spec once per prompt, all submitted at once (to watch the
 * cap on parallel renders). */
static int
render_prompts (const SimRenderSpec *spec, const gchar *cache_dir,
                gchar **prompts)
{
  ManyData d = { g_main_loop_new (NULL, FALSE), 0, NULL, 0, 0 };
  SimRenderStats st;

  for (guint i = 0; prompts[i]; i++) {
    SimRenderSpec one = *spec;

    one.prompt = prompts[i];
    d.pending++;
    sim_render_async (&one, cache_dir, NULL, many_done, &d);
  }
  g_main_loop_run (d.loop);
  sim_render_get_stats (&st);
  g_print ("requests=%" G_GUINT64_FORMAT " renders=%" G_GUINT64_FORMAT
           " joined=%" G_GUINT64_FORMAT " cache_hits=%" G_GUINT64_FORMAT
           " evicted=%" G_GUINT64_FORMAT " max_parallel=%u failed=%u\n",
           st.requests, st.renders, st.joined, st.cache_hits,
           st.cache_evictions, st.max_parallel, d.failed);
  g_free (d.first);
  g_main_loop_unref (d.loop);
  return d.failed ? 1 : 0;
}

static gboolean
parse_formats (const gchar *list, SimMediaLimits *l)
{
  g_auto (GStrv) names = g_strsplit (list, ",", -1);

  l->allow_jpeg = l->allow_png = l->allow_webp = l->allow_bmp = FALSE;
  for (guint i = 0; names[i]; i++) {
    if (g_str_equal (names[i], "jpeg"))
      l->allow_jpeg = TRUE;
    else if (g_str_equal (names[i], "png"))
      l->allow_png = TRUE;
    else if (g_str_equal (names[i], "webp"))
      l->allow_webp = TRUE;
    else if (g_str_equal (names[i], "bmp"))
      l->allow_bmp = TRUE;
    else if (*names[i])
      return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *scene_name = NULL, *prompt = NULL, *video = NULL;
  g_autofree gchar *model = NULL;
  g_autofree gchar *audio_file = NULL, *cache_dir = NULL, *probe_kind = NULL;
  g_autofree gchar *fetch_url = NULL, *field = NULL, *data_dir = NULL;
  g_autofree gchar *formats = NULL;
  g_auto (GStrv) images = NULL, prompts = NULL;
  gint width = 640, height = 360, fps = 24, bitrate = 0, concurrent = 0;
  gint repeat = 1, cache_max_mb = 0;
  gint min_px = 0, max_px = 0;
  gint64 max_bytes = 0;
  gdouble duration = 5, min_duration = 0, max_duration = 0;
  gint64 seed = 0;
  gboolean audio = FALSE, moov_at_end = FALSE, no_bframes = FALSE;
  gboolean noise = FALSE, no_png_alpha = FALSE;
  GOptionEntry entries[] = {
    { "scene", 0, 0, G_OPTION_ARG_STRING, &scene_name,
      "text, image, first-last, reference, animate or replace", "NAME" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "width (640)", "PX" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "height (360)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second (24)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "seconds (5)", "S" },
    { "prompt", 0, 0, G_OPTION_ARG_STRING, &prompt, "prompt", "TEXT" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, "model id shown in the label",
      "ID" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed (0)", "N" },
    { "image", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, "input image",
      "FILE" },
    { "video", 0, 0, G_OPTION_ARG_FILENAME, &video, "motion video", "FILE" },
    { "audio", 0, 0, G_OPTION_ARG_NONE, &audio, "with an AAC track", NULL },
    { "audio-file", 0, 0, G_OPTION_ARG_FILENAME, &audio_file,
      "input audio for the track", "FILE" },
    { "moov-at-end", 0, 0, G_OPTION_ARG_NONE, &moov_at_end, "moov at the end",
      NULL },
    { "no-bframes", 0, 0, G_OPTION_ARG_NONE, &no_bframes, "no B-frames", NULL },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "video kbit/s", "N" },
    { "noise", 0, 0, G_OPTION_ARG_NONE, &noise, "incompressible picture",
      NULL },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_dir,
      "cache dir (./apixo-sim-cache)", "DIR" },
    { "cache-max-mb", 0, 0, G_OPTION_ARG_INT, &cache_max_mb,
      "bound of the cache dir after a render (0: unbounded)", "MIB" },
    { "concurrent", 0, 0, G_OPTION_ARG_INT, &concurrent,
      "submit N identical renders at once and print the counters", "N" },
    { "prompts", 0, 0, G_OPTION_ARG_STRING_ARRAY, &prompts,
      "render one spec per prompt, all at once, and print the counters",
      "TEXT" },
    { "probe", 0, 0, G_OPTION_ARG_STRING, &probe_kind,
      "probe FILE (image, video or audio) instead of rendering", "KIND" },
    { "fetch", 0, 0, G_OPTION_ARG_STRING, &fetch_url,
      "fetch and check URL as --probe KIND", "URL" },
    { "field", 0, 0, G_OPTION_ARG_STRING, &field, "field name in messages",
      "NAME" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
      "fetch N times (field#i, URL?i) and print the counters", "N" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      "where fetched files go (.)", "DIR" },
    { "max-bytes", 0, 0, G_OPTION_ARG_INT64, &max_bytes, "size limit", "N" },
    { "formats", 0, 0, G_OPTION_ARG_STRING, &formats,
      "allowed image formats (jpeg,png,webp,bmp)", "LIST" },
    { "no-png-alpha", 0, 0, G_OPTION_ARG_NONE, &no_png_alpha,
      "PNG with alpha is refused", NULL },
    { "min-px", 0, 0, G_OPTION_ARG_INT, &min_px, "smallest side", "PX" },
    { "max-px", 0, 0, G_OPTION_ARG_INT, &max_px, "largest side", "PX" },
    { "min-duration", 0, 0, G_OPTION_ARG_DOUBLE, &min_duration,
      "shortest audio/video", "S" },
    { "max-duration", 0, 0, G_OPTION_ARG_DOUBLE, &max_duration,
      "longest audio/video", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("[FILE] - render an apixo-sim result");
  g_autoptr (GError) error = NULL;
  SimRenderSpec spec = { 0 };
  SimMediaLimits limits = { 0 };
  g_autofree gchar *path = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (!sim_render_check_elements (&error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  sim_render_set_cache_limit ((guint64)MAX (cache_max_mb, 0) * 1024 * 1024);

  if (probe_kind) {
    SimMediaKind kind;

    limits.max_bytes = (guint64)MAX (max_bytes, 0);
    limits.allow_jpeg = limits.allow_png = limits.allow_webp =
        limits.allow_bmp = TRUE;
    if (formats && !parse_formats (formats, &limits)) {
      g_printerr ("unknown format in %s\n", formats);
      return 2;
    }
    limits.png_alpha_forbidden = no_png_alpha;
    limits.min_px = min_px;
    limits.max_px = max_px;
    limits.min_duration = min_duration;
    limits.max_duration = max_duration;
    if (!parse_kind (probe_kind, &kind)) {
      g_printerr ("--probe takes image, video or audio\n");
      return 2;
    }
    if (fetch_url)
      return fetch (fetch_url, field ? field : "url", kind, &limits,
                    data_dir ? data_dir : ".", (guint)MAX (repeat, 1));
    if (argc != 2) {
      g_printerr ("--probe KIND FILE\n");
      return 2;
    }
    {
      SimMedia *m = sim_media_probe_file (argv[1], field ? field : "file", kind,
                                          &limits, &error);
      int ret = report_media (m, error);

      sim_media_free (m);
      return ret;
    }
  }

  if (scene_name && !parse_scene (scene_name, &spec.scene)) {
    g_printerr ("unknown scene %s\n", scene_name);
    return 2;
  }
  spec.width = width;
  spec.height = height;
  spec.fps = fps;
  spec.duration = duration;
  spec.with_audio = audio;
  spec.audio_path = audio_file;
  spec.prompt = prompt;
  spec.model = model;
  spec.seed = seed;
  for (guint i = 0; images && images[i] && i < 3; i++)
    spec.image_paths[spec.n_images++] = images[i];
  spec.video_path = video;
  spec.moov_at_end = moov_at_end;
  spec.no_bframes = no_bframes;
  spec.bitrate_kbps = (guint)MAX (bitrate, 0);
  spec.noise = noise;
  if (!cache_dir)
    cache_dir = g_strdup ("apixo-sim-cache");

  if (concurrent > 0)
    return render_many (&spec, cache_dir, (guint)concurrent);
  if (prompts)
    return render_prompts (&spec, cache_dir, prompts);
  path = sim_render_sync (&spec, cache_dir, &error);
  if (!path) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_print ("%s\n", path);
  return 0;
}
