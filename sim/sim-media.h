/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_MEDIA_H__
#define __SIM_MEDIA_H__

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Task inputs: the sim really fetches every image_urls / video_urls /
 * audio_urls entry over HTTP and checks it as the model page documents.
 * Formats are found by typefinding the bytes, never by the URL's name.
 */

typedef enum {
  SIM_MEDIA_IMAGE,
  SIM_MEDIA_VIDEO,
  SIM_MEDIA_AUDIO,
} SimMediaKind;

/* What a model page allows for one input. */
typedef struct {
  guint64 max_bytes; /* 0: no limit */
  /* images: allowed formats among "jpeg", "png", "webp", "bmp" */
  gboolean allow_jpeg, allow_png, allow_webp, allow_bmp;
  gboolean png_alpha_forbidden; /* wan-2-5-video: PNG (no alpha) */
  gint min_px, max_px;          /* width and height; 0: no limit */
  /* audio: wav/mp3; audio and video durations in seconds; 0: no limit */
  gdouble min_duration, max_duration;
} SimMediaLimits;

typedef struct {
  SimMediaKind kind;
  gchar *path;   /* the fetched bytes, in the data dir */
  gchar *format; /* "png", "jpeg", "webp", "bmp", "mp4", "wav", "mp3", ... */
  gint width, height; /* images, videos */
  gboolean has_alpha; /* images */
  gdouble duration;   /* videos, audio: seconds */
  guint64 size;       /* bytes */
} SimMedia;

void sim_media_free (SimMedia *media);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimMedia, sim_media_free)

/* Errors of sim_media_fetch_finish(): the task fail code to report, and a
 * failMsg naming the field ("image_urls[0]"), the URL and the problem. */
#define SIM_MEDIA_ERROR (sim_media_error_quark ())
GQuark sim_media_error_quark (void);
typedef enum {
  SIM_MEDIA_ERROR_UNREACHABLE, /* connection/HTTP error fetching it */
  SIM_MEDIA_ERROR_UNDECODABLE, /* not a decodable file of that kind */
  SIM_MEDIA_ERROR_FORMAT,      /* decodable but not an allowed format */
  SIM_MEDIA_ERROR_TOO_LARGE,   /* bytes over the limit */
  SIM_MEDIA_ERROR_DIMENSIONS,  /* pixel size outside the limits */
  SIM_MEDIA_ERROR_DURATION,    /* duration outside the limits */
} SimMediaError;

/* Fetches @url with @session (on the caller's thread-default context),
 * stores it under @data_dir and checks it against @limits; decoding runs in
 * a worker thread.  @field names the request field in messages
 * ("image_urls[0]"). */
void sim_media_fetch_async (SoupSession *session, const gchar *url,
                            const gchar *field, SimMediaKind kind,
                            const SimMediaLimits *limits, const gchar *data_dir,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
SimMedia *sim_media_fetch_finish (GAsyncResult *result, GError **error);

/* Checks a local file (no fetch); blocking. For tests. */
SimMedia *sim_media_probe_file (const gchar *path, const gchar *field,
                                SimMediaKind kind, const SimMediaLimits *limits,
                                GError **error);

/* Process-wide counters (for tests and /__sim/stats).  A fetched file's
 * check is remembered by content, kind and limits: `checks` counts the
 * ones really run, `remembered` the ones answered from memory. */
typedef struct {
  guint64 fetches;    /* sim_media_fetch_async() calls */
  guint64 checks;     /* fetched files decoded and checked */
  guint64 remembered; /* fetched files answered by an earlier check */
} SimMediaStats;

void sim_media_get_stats (SimMediaStats *stats);

/* Reads the header of a JPEG, PNG, WebP or BMP file without decoding it:
 * pixel size, alpha (PNG: alpha colour type or tRNS; WebP: alpha flag; BMP:
 * 32 bit with an alpha mask) and format ("jpeg", "png", "webp", "bmp").
 * Any out argument may be NULL.  FALSE if it is none of these or the header
 * is broken. */
gboolean sim_media_read_image_header (const gchar *path, gint *width,
                                      gint *height, gboolean *has_alpha,
                                      gchar **format);

G_END_DECLS

#endif /* __SIM_MEDIA_H__ */
