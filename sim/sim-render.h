/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_RENDER_H__
#define __SIM_RENDER_H__

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Rendering of result videos: real MP4 files (H.264 video, AAC sound where
 * the model has sound) made with GStreamer, whose pictures come from the
 * request.  Rendering runs in a worker thread pool (never on the server's
 * main context), is cached on disk by a key of everything that shapes the
 * output (so identical requests give byte-identical files and re-renders
 * are free), and identical renders in flight are done once.
 */

/*
 * What the pictures look like (W x H frame; tests measure these regions):
 *  TEXT        gradient + moving pattern + moving disc, colours and pattern
 *              from SHA-256(prompt, seed, scene).
 *  IMAGE       images[0] fitted (centred, black bars); frame 0 is the image,
 *              then a slow push-in (zoom up to 1.08-1.20 at the end).
 *  FIRST_LAST  images[0] fitted, cross-faded into images[1] (fitted) inside
 *              15%-85% of the duration: first frame = images[0], last frame
 *              = images[1].
 *  REFERENCE   TEXT background; image k of n fitted into the cell
 *              x in [k*W/n + W/(16n), (k+1)*W/n - W/(16n)), y in [H/5, 4H/5).
 *  ANIMATE,    the motion video fitted to the frame (black bars) as the
 *  REPLACE     background, its last frame held if it is shorter; the
 *              character images[0] fitted into the centre box
 *              x in [W/4, 3W/4), y in [H/8, 7H/8), alpha-blended, with a
 *              2 px outline in a colour from the hash.
 *  noise       random pixels over everything (incompressible).
 * Sound: 48 kHz stereo AAC, exactly the video's length; a tone from the
 * hash, or audio_path's first `duration` seconds then silence.
 */
typedef enum {
  SIM_SCENE_TEXT,       /* a scene derived from prompt + seed */
  SIM_SCENE_IMAGE,      /* starts on images[0], slow push-in */
  SIM_SCENE_FIRST_LAST, /* moves from images[0] to images[1] (1 image: from it) */
  SIM_SCENE_REFERENCE, /* reference images (1-3) shown in the scene */
  SIM_SCENE_ANIMATE,   /* images[0] (character) over the motion video */
  SIM_SCENE_REPLACE, /* the motion video with images[0] replacing its subject */
} SimScene;

typedef struct {
  SimScene scene;
  gint width, height;      /* even, > 0 */
  gint fps;                /* frames per second, 24 */
  gdouble duration;        /* seconds */
  gboolean with_audio;     /* AAC track */
  const gchar *audio_path; /* optional input audio used as the sound track:
                              * first `duration` s, silence after its end */
  const gchar *prompt;     /* may be NULL */
  gint64 seed;
  const gchar *image_paths[3];
  guint n_images;
  const gchar *video_path; /* ANIMATE / REPLACE */
  /* test knobs (prompt markers) */
  gboolean moov_at_end; /* default FALSE: moov first (faststart) */
  gboolean no_bframes;  /* default FALSE: H.264 with B-frames */
  guint bitrate_kbps;   /* 0: automatic */
  gboolean noise;       /* incompressible picture (big files) */
  /* shown with the seed and the prompt's first words over the TEXT and
   * REFERENCE scenes (a label people tell clips apart by); may be NULL */
  const gchar *model;
} SimRenderSpec;

/* Deterministic key (hex) of everything that shapes the output, including
 * the contents (not the names) of the input files. */
gchar *sim_render_spec_key (const SimRenderSpec *spec, GError **error);

/* Renders (or finds in @cache_dir) the MP4 for @spec.  The spec is copied.
 * The callback runs on the thread-default main context of the caller. */
void sim_render_async (const SimRenderSpec *spec, const gchar *cache_dir,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
/* Path of the finished MP4 (in the cache: do not modify). */
gchar *sim_render_finish (GAsyncResult *result, GError **error);

/* Blocking variant for tools and tests. */
gchar *sim_render_sync (const SimRenderSpec *spec, const gchar *cache_dir,
                        GError **error);

/* Bounds the render cache: after each render, the least recently used
 * renders (by file time; a hit touches the file) are removed until the
 * cache dir holds at most @bytes, sparing those used in the last 10
 * minutes.  0 (the default): unbounded.  Call it once at start-up. */
void sim_render_set_cache_limit (guint64 bytes);

/* Checks that every GStreamer element rendering and input checks use is
 * installed (call it at start-up, after gst_init()).  On failure the
 * message names each missing element and the Debian package shipping it. */
gboolean sim_render_check_elements (GError **error);

/* Process-wide counters (for tests and /__sim/stats). */
typedef struct {
  guint64 requests;        /* sim_render_async() calls */
  guint64 cache_hits;      /* answered from a file already in the cache */
  guint64 joined;          /* answered by a render already in flight */
  guint64 renders;         /* renders run (failed ones included) */
  guint max_parallel;      /* most renders ever running at once */
  guint64 cache_evictions; /* renders removed to keep the cache bound */
} SimRenderStats;

void sim_render_get_stats (SimRenderStats *stats);

G_END_DECLS

#endif /* __SIM_RENDER_H__ */
