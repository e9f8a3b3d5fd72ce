/* apixo-sim-render: render one apixo-sim result or probe one input file,
 * for manual checks of sim-render.c / sim-media.c.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   apixo-sim-render --scene text --prompt "a storm" --seed 7 \
 *       --width 640 --height 360 --duration 5 --audio --cache-dir /tmp/c
 *   apixo-sim-render --probe image picture.png
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

static int
probe (const gchar *kind_name, const gchar *path)
{
  SimMediaKind kind;
  g_autoptr (GError) error = NULL;
  g_autoptr (SimMedia) m = NULL;

  if (g_str_equal (kind_name, "image"))
    kind = SIM_MEDIA_IMAGE;
  else if (g_str_equal (kind_name, "video"))
    kind = SIM_MEDIA_VIDEO;
  else if (g_str_equal (kind_name, "audio"))
    kind = SIM_MEDIA_AUDIO;
  else {
    g_printerr ("--probe takes image, video or audio\n");
    return 2;
  }
  m = sim_media_probe_file (path, "file", kind, NULL, &error);
  if (!m) {
    g_printerr ("error %d: %s\n", error->code, error->message);
    return 1;
  }
  g_print ("format=%s width=%d height=%d alpha=%d duration=%.3f "
           "size=%" G_GUINT64_FORMAT "\n",
           m->format, m->width, m->height, m->has_alpha, m->duration, m->size);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *scene_name = NULL, *prompt = NULL, *video = NULL;
  g_autofree gchar *audio_file = NULL, *cache_dir = NULL, *probe_kind = NULL;
  g_auto (GStrv) images = NULL;
  gint width = 640, height = 360, fps = 24, bitrate = 0;
  gdouble duration = 5;
  gint64 seed = 0;
  gboolean audio = FALSE, moov_at_end = FALSE, no_bframes = FALSE;
  gboolean noise = FALSE;
  GOptionEntry entries[] = {
    { "scene", 0, 0, G_OPTION_ARG_STRING, &scene_name,
      "text, image, first-last, reference, animate or replace", "NAME" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "width (640)", "PX" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "height (360)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second (24)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "seconds (5)", "S" },
    { "prompt", 0, 0, G_OPTION_ARG_STRING, &prompt, "prompt", "TEXT" },
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
    { "probe", 0, 0, G_OPTION_ARG_STRING, &probe_kind,
      "probe FILE as image, video or audio instead", "KIND" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- render an apixo-sim result");
  g_autoptr (GError) error = NULL;
  SimRenderSpec spec = { 0 };
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
  if (probe_kind) {
    if (argc != 2) {
      g_printerr ("--probe KIND FILE\n");
      return 2;
    }
    return probe (probe_kind, argv[1]);
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
  spec.seed = seed;
  for (guint i = 0; images && images[i] && i < 3; i++)
    spec.image_paths[spec.n_images++] = images[i];
  spec.video_path = video;
  spec.moov_at_end = moov_at_end;
  spec.no_bframes = no_bframes;
  spec.bitrate_kbps = (guint)MAX (bitrate, 0);
  spec.noise = noise;

  path = sim_render_sync (&spec, cache_dir ? cache_dir : "apixo-sim-cache",
                          &error);
  if (!path) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_print ("%s\n", path);
  return 0;
}
