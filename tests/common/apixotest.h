/* gst-apixo test support: pipelines, decoded-output checks, test media.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __APIXO_TEST_H__
#define __APIXO_TEST_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

#include "simfixture.h"

G_BEGIN_DECLS

/* ---- the per-test fixture ------------------------------------------------ */

/* What each test of an element suite gets afresh: *@sim, an apixo-sim at
 * @time_scale, and *@dir, a new directory "<tmp>/@dir_prefix-XXXXXX" (left
 * NULL when @dir_prefix is NULL). */
void apixo_test_fixture_start (SimFixture **sim, gchar **dir,
                               gdouble time_scale, const gchar *dir_prefix);
/* The same with the sim over HTTPS (sim_fixture_start_tls(): tests/data's
 * certificate, which apixo_test_parse() makes the elements trust); fails
 * the test without a TLS backend. */
void apixo_test_fixture_start_tls (SimFixture **sim, gchar **dir,
                                   gdouble time_scale, const gchar *dir_prefix);
/* Stops the sim (asserting a clean exit) and removes the directory with
 * everything in it; clears both. */
void apixo_test_fixture_stop (SimFixture **sim, gchar **dir);

/* Defines `sim` and `tmpdir` and the setup()/teardown() pair that start and
 * stop them around each test (tcase_add_checked_fixture()).  A suite that
 * needs more per test writes its own pair around the two calls above. */
#define APIXO_TEST_FIXTURE(time_scale, dir_prefix)                             \
  static SimFixture *sim;                                                      \
  static gchar *tmpdir;                                                        \
  static void setup (void)                                                     \
  {                                                                            \
    apixo_test_fixture_start (&sim, &tmpdir, (time_scale), (dir_prefix));      \
  }                                                                            \
  static void teardown (void)                                                  \
  {                                                                            \
    apixo_test_fixture_stop (&sim, &tmpdir);                                   \
  }

/* The "taskId" of the sim's only task; fails the test unless the sim has
 * exactly one. */
gchar *apixo_test_only_task_id (SimFixture *sim);

/* ---- running pipelines --------------------------------------------------- */

/* Everything a pipeline posted until it ended. */
typedef struct {
  GstElement *pipeline;
  GList *messages; /* every bus message, in order (owned) */
  gboolean eos;
  GError *error; /* first error, NULL if none */
  gchar *error_debug;
  GstStructure *error_details; /* NULL if none */
  gchar *error_source;         /* name of the element that posted it */
} ApixoRun;

/* Parses @launch (gst_parse_launch syntax) with these substitutions:
 *   @SIM@  -> base-url=<sim base url> api-key=test-key early-poll=0.05
 *             poll-delay=0.1 poll-interval=0.05
 * and returns the pipeline (floating ref sunk). */
GstElement *apixo_test_parse (SimFixture *sim, const gchar *launch);

/* Sets @pipeline PLAYING and collects messages until EOS or an error (or
 * @timeout seconds: then fails the test).  The pipeline is set to NULL
 * before returning. */
ApixoRun *apixo_test_run (GstElement *pipeline, gdouble timeout);
/* apixo_test_parse + apixo_test_run */
ApixoRun *apixo_test_run_launch (SimFixture *sim, const gchar *launch,
                                 gdouble timeout);
/* apixo_test_parse, then PLAYING (asserted asynchronous): the pipeline,
 * left running for the test to watch and stop. */
GstElement *apixo_test_start (SimFixture *sim, const gchar *launch);
void apixo_run_free (ApixoRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ApixoRun, apixo_run_free)

/* Element messages named @name ("apixo-task") in order; borrowed. */
GList *apixo_run_element_messages (ApixoRun *run, const gchar *name);
/* The first "apixo-task" message with event=@event; borrowed, NULL if
 * none. */
const GstStructure *apixo_run_task_event (ApixoRun *run, const gchar *event);
/* Number of messages of @type. */
guint apixo_run_count (ApixoRun *run, GstMessageType type);

/* Waits on @pipeline's bus for a message of @types (blocking, up to
 * @timeout s); returns it (ref) or NULL. Other messages are dropped. */
GstMessage *apixo_test_wait_message (GstElement *pipeline, GstMessageType types,
                                     gdouble timeout);
/* Waits on @pipeline's bus for an ERROR message posted by @element or an
 * element inside it (up to
 * @timeout s in all); returns it (ref) or NULL.  Errors of other elements
 * (e.g. a source whose peer pad was released: not-linked) are dropped. */
GstMessage *apixo_test_wait_error_from (GstElement *pipeline,
                                        GstElement *element, gdouble timeout);

/* ---- checking results ---------------------------------------------------- */

typedef struct {
  gint width, height;
  guint n_frames;                 /* decoded video frames */
  GstClockTime duration;          /* last frame end (pts + duration): with
                                 * B-frames, plus their pts offset */
  GstClockTime declared_duration; /* what the file says it lasts */
  gboolean has_audio;
  GstClockTime audio_duration;
  gdouble first_rgb[3]; /* mean colour of the first frame, 0-255 */
  gdouble last_rgb[3];  /* of the last frame */
} ApixoMediaInfo;

/* Decodes @path completely (filesrc ! qtdemux: every frame) and fills
 * @info.  FALSE if it does not decode. */
gboolean apixo_test_probe_file (const gchar *path, ApixoMediaInfo *info);

/* Mean colour of a region of frame @index (x, y, w, h in 0..1 of the
 * frame). */
gboolean apixo_test_frame_region_rgb (const gchar *path, guint index, gdouble x,
                                      gdouble y, gdouble w, gdouble h,
                                      gdouble rgb[3]);

/* ---- test media ---------------------------------------------------------- */

/* A still image, @format "png" (RGB), "png-alpha" (RGBA), "jpeg", "webp",
 * "bmp", filled with one
 * colour (0xRRGGBB), or a test pattern when @rgb is -1. */
GBytes *apixo_test_make_image (gint width, gint height, const gchar *format,
                               gint rgb);
/* A WAV sound of @seconds (sine). */
GBytes *apixo_test_make_wav (gdouble seconds);
/* An MP4 (H.264) motion video of @seconds at @width x @height. */
GBytes *apixo_test_make_mp4 (gdouble seconds, gint width, gint height);
/* Writes @data to a new file in a temp dir; returns the path. */
gchar *apixo_test_write_temp (GBytes *data, const gchar *name);

/* A small HTTP server on 127.0.0.1 in its own thread, for task inputs the
 * sim must fetch (image_urls, audio_urls, video_urls).  Counts requests. */
typedef struct _ApixoTestServer ApixoTestServer;
ApixoTestServer *apixo_test_server_start (void);
/* The same, listening on every address of this host (IPv4 and IPv6) on
 * one port: reachable through a non-loopback address too. */
ApixoTestServer *apixo_test_server_start_any (void);
void apixo_test_server_stop (ApixoTestServer *server);
/* Serves @data at /<name>; returns the URL. */
gchar *apixo_test_server_add (ApixoTestServer *server, const gchar *name,
                              GBytes *data, const gchar *content_type);
guint apixo_test_server_requests (ApixoTestServer *server, const gchar *name);
/* Answers /<name> with a 302 to @location; returns the URL. */
gchar *apixo_test_server_add_redirect (ApixoTestServer *server,
                                       const gchar *name,
                                       const gchar *location);
/* Answers /<name> with @callback (counted like the others), called on the
 * server's thread, whose GMainContext is its thread-default one (for
 * bodies the callback sends over time); returns the URL. */
gchar *apixo_test_server_add_handler (ApixoTestServer *server,
                                      const gchar *name,
                                      SoupServerCallback callback,
                                      gpointer user_data);
/* Requests to /<name> that carried an Authorization header. */
guint apixo_test_server_authorized (ApixoTestServer *server, const gchar *name);
guint apixo_test_server_port (ApixoTestServer *server);

/* A TCP port on 127.0.0.1 that nothing listens on right now (bound, then
 * closed). */
guint apixo_test_free_port (void);

/* Where an element publishes a test's local inputs: its own media server on
 * a free loopback port, reached directly (no tunnel). */
typedef struct {
  guint port;
  gchar *base; /* "http://127.0.0.1:<port>", what the inputs' URLs start with */
  gchar *args; /* "public-url=<base> server-port=<port>", for a launch line */
} ApixoTestPublished;

ApixoTestPublished apixo_test_published_new (void);
void apixo_test_published_clear (ApixoTestPublished *p);

/* Plays @description (gst_parse_launch syntax) to its end; fails the test
 * unless it reaches EOS within @timeout seconds. */
void apixo_test_play (const gchar *description, guint timeout);

/* Threads of this process whose name is @name (/proc/self/task/<id>/comm),
 * e.g. "apixo-worker". */
guint apixo_test_count_threads (const gchar *name);

/* ---- logs ---------------------------------------------------------------- */

/* Installs a log function that records every debug line at every level
 * (GST_DEBUG="*:9" is set for the duration); returns what was recorded so
 * far when stopped. */
void apixo_test_capture_logs_start (void);
GString *apixo_test_capture_logs_stop (void);

G_END_DECLS

#endif /* __APIXO_TEST_H__ */
