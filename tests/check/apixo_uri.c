/* gst-apixo: apixo:// URIs in playbin, playbin3 and GstDiscoverer.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What an application that only knows URIs gets (gst-play, playbin,
 * uridecodebin3, gst-discoverer, GES): the element chosen for a URI, the
 * properties it sets and the canonical URI it gives back; the refusals
 * (a SETTINGS error naming the property, nothing sent); a discovery that
 * reports the requested size and duration, then playback of the same URI
 * without a second task (the cache); a seek in playbin and playbin3; a task
 * designated by its id, resumed and tagged with what is known of it; a
 * discovery that gives up while the task runs, resumed by the next run
 * (the journal); apixoanimate's URI with file:// inputs.
 *
 * Synchronisation: bus messages, the discoverer's own answers (its timeout
 * is what one test is about) and the sim's state; never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/pbutils/pbutils.h>
#include <string.h>

#include "apixotest.h"
#include "gstapixojournal.h"
#include "gstapixomodels.h"
#include "gstapixotags.h"

#define TIME_SCALE 0.01
/* the key of apixo_test_parse()'s @SIM@: the sim's tasks are its key's */
#define KEY "test-key"
/* Bound of every wait (memcheck runs it all tens of times slower). */
#define WAIT_S (under_valgrind () ? 900 : 60)
/* What the playback tests ask for: wan-2-5-video 480p 16:9 is 832x480
 * (docs/apixo-sim.md), 5 s at 24 fps. */
#define MODEL "wan-2-5-video"
#define REQUEST "prompt=a%20clip%20by%20URI&resolution=480p&duration=5&seed=11"
#define PROMPT "a clip by URI"
#define SEED 11
#define WIDTH 832
#define HEIGHT 480
#define SECONDS 5
#define FRAME (GST_SECOND / 24)
/* The discovery that gives up: gst-discoverer-1.0's default timeout (under
 * memcheck, long enough for the submission to leave first). */
#define DISCOVERY_TIMEOUT_S (under_valgrind () ? 120 : 10)
#define HOLD_S 3600

APIXO_TEST_FIXTURE (TIME_SCALE, "apixo-uri")

static gboolean
under_valgrind (void)
{
  return g_getenv ("APIXO_UNDER_VALGRIND") != NULL;
}

/* ---- URIs ----------------------------------------------------------------- */

/* @value percent-encoded for a query (what the canonical form keeps). */
static gchar *
escape (const gchar *value)
{
  return g_uri_escape_string (value, ":/@,", FALSE);
}

/* apixo://@target?<the sim and quick polls>&@params, @params written as
 * NAME=VALUE&... and already encoded. */
static gchar *
sim_uri (const gchar *target, const gchar *params)
{
  g_autofree gchar *base = escape (sim_fixture_base_url (sim));

  return g_strdup_printf ("apixo://%s?base-url=%s&early-poll=0.05&"
                          "poll-delay=0.1&poll-interval=0.05%s%s",
                          target, base, *params ? "&" : "", params);
}

static GstElement *
element_for (const gchar *uri)
{
  GError *error = NULL;
  GstElement *e = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, &error);

  fail_unless (e != NULL, "%s: %s", uri, error ? error->message : "");
  return gst_object_ref_sink (e);
}

static gchar *
factory_name (GstElement *e)
{
  return g_strdup (GST_OBJECT_NAME (gst_element_get_factory (e)));
}

/* ---- parsing and the canonical form --------------------------------------- */

typedef struct {
  const gchar *uri;
  const gchar *factory;
  const gchar *canonical;
} RoundTrip;

static const RoundTrip round_trips[] = {
  /* parameters in any order; the canonical form sorts them, encodes the
   * prompt ('+' is a plus sign), omits the defaults (cache=true for URIs) */
  { "apixo://wan-2-5-video?seed=11&prompt=a%20cat%2Bdog&resolution=480p&"
    "duration=5&cache=true",
    "apixosrc",
    "apixo://wan-2-5-video?duration=5&prompt=a%20cat%2Bdog&resolution=480p&"
    "seed=11" },
  /* an array as repeated parameters, in order; an enum by nick; a double */
  { "apixo://veo-3-1?image-uris=https://a.example/last.jpg&prompt=p&"
    "image-uris=https://a.example/first.jpg&provider=value&early-poll=0.05",
    "apixosrc",
    "apixo://veo-3-1?early-poll=0.05&image-uris=https://a.example/last.jpg&"
    "image-uris=https://a.example/first.jpg&prompt=p&provider=value" },
  /* cache=false wins over the URI default */
  { "apixo://sora-2-pro?prompt=x&cache=false", "apixosrc",
    "apixo://sora-2-pro?cache=false&prompt=x" },
  /* a task, with a shared property */
  { "apixo://task/task_abc.1?save-location=/tmp/a%20b.mp4&model=sora-2-pro",
    "apixosrc",
    "apixo://task/task_abc.1?model=sora-2-pro&save-location=/tmp/a%20b.mp4" },
  /* wan-2-2-animate: apixoanimatesrc, image and video for image-uri and
   * video-uri (by their own names too) */
  { "apixo://wan-2-2-animate?video=file:///m/motion.mp4&type=replace&"
    "image-uri=file:///m/c%26d.png",
    "apixoanimatesrc",
    "apixo://wan-2-2-animate?image=file:///m/c%26d.png&type=replace&"
    "video=file:///m/motion.mp4" },
  { "apixo://task/task_9?model=wan-2-2-animate", "apixoanimatesrc",
    "apixo://task/task_9?model=wan-2-2-animate" },
};

static gchar *
round_trip (const gchar *uri, const gchar *factory)
{
  GstElement *e = element_for (uri);
  g_autofree gchar *name = factory_name (e);
  gchar *canonical = gst_uri_handler_get_uri (GST_URI_HANDLER (e));

  fail_unless_equals_string (name, factory);
  gst_object_unref (e);
  return canonical;
}

GST_START_TEST (test_round_trips)
{
  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++) {
    const RoundTrip *t = &round_trips[i];
    g_autofree gchar *canonical = round_trip (t->uri, t->factory);
    g_autofree gchar *again = round_trip (canonical, t->factory);

    fail_unless_equals_string (canonical, t->canonical);
    fail_unless_equals_string (again, canonical);
  }
}

GST_END_TEST;

/* The proxy (often $http_proxy, maybe with a password) is this machine's:
 * never written into the URI a project file keeps. */
GST_START_TEST (test_proxy_not_in_uri)
{
  GstElement *e = element_for ("apixo://wan-2-5?prompt=x");
  g_autofree gchar *canonical = NULL;

  g_object_set (e, "proxy", "http://u:proxy-pw@127.0.0.1:3128", NULL);
  canonical = gst_uri_handler_get_uri (GST_URI_HANDLER (e));
  fail_unless_equals_string (canonical, "apixo://wan-2-5?prompt=x");
  gst_object_unref (e);
}

GST_END_TEST;

/* What the URI sets is what the properties say. */
GST_START_TEST (test_properties_from_uri)
{
  GstElement *e = element_for (
      "apixo://wan-2-5-video?prompt=a%20cat%2Bdog&seed=11&duration=5&"
      "provider=official&extra-input=x%2Cnew_field%3D(int)3&"
      "image-uris=file:///a.png&image-uris=https://b/2.png");
  g_autofree gchar *model = NULL, *prompt = NULL;
  GstStructure *extra = NULL;
  GValue images = G_VALUE_INIT;
  gint64 seed;
  gint duration, provider, field = 0;
  gboolean cache;

  g_object_get (e, "model", &model, "prompt", &prompt, "seed", &seed,
                "duration", &duration, "provider", &provider, "cache", &cache,
                "extra-input", &extra, NULL);
  fail_unless_equals_string (model, MODEL);
  fail_unless_equals_string (prompt, "a cat+dog");
  fail_unless_equals_int64 (seed, 11);
  fail_unless_equals_int (duration, 5);
  fail_unless_equals_int (provider, GST_APIXO_PROVIDER_OFFICIAL);
  fail_unless (cache);
  fail_unless (extra != NULL &&
               gst_structure_get_int (extra, "new_field", &field));
  fail_unless_equals_int (field, 3);
  g_value_init (&images, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (e), "image-uris", &images);
  fail_unless_equals_int (gst_value_array_get_size (&images), 2);
  fail_unless_equals_string (
      g_value_get_string (gst_value_array_get_value (&images, 0)),
      "file:///a.png");
  g_value_unset (&images);
  gst_structure_free (extra);
  gst_object_unref (e);
}

GST_END_TEST;

typedef struct {
  const gchar *factory, *uri;
  gint code;
} NotOurs;

static const NotOurs not_ours[] = {
  { "apixosrc", "file:///tmp/x.mp4", GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
  { "apixosrc", "apixo://wan-2-2-animate?image=file:///a.png",
    GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
  { "apixosrc", "apixo://task/t1?model=wan-2-2-animate",
    GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
  { "apixoanimatesrc", "apixo://wan-2-5?prompt=x",
    GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
  { "apixoanimatesrc", "apixo://task/t1", GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
  { "apixosrc", "apixo:///?prompt=x", GST_URI_ERROR_BAD_URI },
  { "apixosrc", "apixo://task/?model=wan-2-5", GST_URI_ERROR_BAD_URI },
  { "apixosrc", "apixo://wan-2-5/more?prompt=x", GST_URI_ERROR_BAD_URI },
};

/* set_uri() refuses what is not its own (so that playbin tries another
 * element): another scheme, a model another element makes, a URI naming
 * neither model nor task. */
GST_START_TEST (test_not_ours)
{
  const NotOurs *cases = not_ours;

  for (guint i = 0; i < G_N_ELEMENTS (not_ours); i++) {
    GstElement *e = gst_element_factory_make (cases[i].factory, NULL);
    GError *error = NULL;

    fail_if (
        gst_uri_handler_set_uri (GST_URI_HANDLER (e), cases[i].uri, &error),
        "%s took %s", cases[i].factory, cases[i].uri);
    fail_unless (g_error_matches (error, GST_URI_ERROR, cases[i].code),
                 "%s: %s", cases[i].uri, error ? error->message : "");
    g_error_free (error);
    gst_object_unref (e);
  }
}

GST_END_TEST;

/* ---- refusals ---------------------------------------------------------------- */

typedef struct {
  const gchar *params;
  const gchar *property;
  const gchar *says; /* in the message */
} Refusal;

static const Refusal refusals[] = {
  { "prompt=x&bogus=1", "bogus", "'bogus' is not a property" },
  { "prompt=x&duration=abc", "duration", "'abc'" },
  { "prompt=x&provider=cheap", "provider", "auto, value, official" },
  { "prompt=x&seed=1&seed=2", "seed", "more than once" },
  { "prompt=%ZZ", "prompt", "percent-encoded" },
  { "prompt=x&model=veo-3-1", "model", "host" },
  { "prompt=x&task-id=t1", "task-id", "apixo://task/" },
  { "prompt=x&tls-database=y", "tls-database", "source-setup" },
  { "prompt=x&api-key=SECRETKEY42", "api-key", "APIXO_API_KEY" },
  { "prompt=x&proxy=http%3A%2F%2Fu%3Apw%40proxy%3A3128", "proxy",
    "http_proxy" },
  /* the model's own rules, checked as for the property */
  { "prompt=x&resolution=4k", NULL, "'4k'" },
};

/* Nothing our element posted carries the key. */
static void
assert_no_key (ApixoRun *run, const gchar *key)
{
  for (GList *l = run->messages; l != NULL; l = l->next) {
    GstMessage *msg = l->data;
    const GstStructure *s = gst_message_get_structure (msg);
    g_autofree gchar *text = s ? gst_structure_to_string (s) : NULL;

    if (GST_IS_URI_HANDLER (GST_MESSAGE_SRC (msg)))
      fail_if (text != NULL && strstr (text, key) != NULL, "%s", text);
  }
}

static void
check_refusal (const Refusal *r)
{
  g_autofree gchar *uri = sim_uri (MODEL, r->params);
  g_autofree gchar *launch = g_strdup_printf (
      "playbin uri=\"%s\" video-sink=fakesink audio-sink=fakesink", uri);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, WAIT_S);
  const gchar *property =
      run->error_details
          ? gst_structure_get_string (run->error_details, "property")
          : NULL;

  fail_unless (g_error_matches (run->error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_SETTINGS),
               "%s: %s", r->params, run->error ? run->error->message : "");
  fail_unless (strstr (run->error->message, r->says) != NULL, "%s: %s",
               r->params, run->error->message);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "reason"), "settings");
  if (r->property != NULL)
    fail_unless_equals_string (property, r->property);
  assert_no_key (run, "SECRETKEY42");
}

GST_START_TEST (test_refusals)
{
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    check_refusal (&refusals[i]);
  /* nothing was sent, nothing billed */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 0);
}

GST_END_TEST;

/* ---- discovery, then playback ------------------------------------------------ */

static GstDiscovererInfo *
discover (const gchar *uri, guint timeout_s)
{
  GError *error = NULL;
  GstDiscoverer *dc = gst_discoverer_new (timeout_s * GST_SECOND, &error);
  GstDiscovererInfo *info;

  fail_unless (dc != NULL, "%s", error ? error->message : "");
  info = gst_discoverer_discover_uri (dc, uri, &error);
  g_clear_error (&error); /* the info says it too */
  g_object_unref (dc);
  fail_unless (info != NULL);
  return info;
}

static void
assert_near (GstClockTime value, GstClockTime expected, const gchar *what)
{
  GstClockTimeDiff d = GST_CLOCK_DIFF (expected, value);

  fail_unless (ABS (d) <= (GstClockTimeDiff)FRAME,
               "%s %" GST_TIME_FORMAT ", not %" GST_TIME_FORMAT, what,
               GST_TIME_ARGS (value), GST_TIME_ARGS (expected));
}

/* The one video stream of @info: @width x @height. */
static void
assert_video_size (GstDiscovererInfo *info, guint width, guint height)
{
  GList *videos = gst_discoverer_info_get_video_streams (info);
  GstDiscovererVideoInfo *v;

  fail_unless_equals_int (g_list_length (videos), 1);
  v = videos->data;
  fail_unless_equals_int (gst_discoverer_video_info_get_width (v), width);
  fail_unless_equals_int (gst_discoverer_video_info_get_height (v), height);
  gst_discoverer_stream_info_list_free (videos);
}

static void
assert_discovered (GstDiscovererInfo *info, guint width, guint height,
                   GstClockTime duration)
{
  fail_unless_equals_int (gst_discoverer_info_get_result (info),
                          GST_DISCOVERER_OK);
  assert_video_size (info, width, height);
  assert_near (gst_discoverer_info_get_duration (info), duration, "duration");
  fail_unless (gst_discoverer_info_get_seekable (info));
}

/* playbin (or playbin3) of @uri into fake sinks that do not sync. */
static GstElement *
player (const gchar *factory, const gchar *uri)
{
  GstElement *p = gst_element_factory_make (factory, NULL);
  GstElement *vsink = gst_element_factory_make ("fakesink", "vsink");
  GstElement *asink = gst_element_factory_make ("fakesink", "asink");

  fail_unless (p != NULL && vsink != NULL && asink != NULL);
  g_object_set (vsink, "sync", FALSE, NULL);
  g_object_set (asink, "sync", FALSE, NULL);
  g_object_set (p, "uri", uri, "video-sink", vsink, "audio-sink", asink, NULL);
  return gst_object_ref_sink (p);
}

/* Plays @uri in playbin to its end. */
static ApixoRun *
play (const gchar *uri)
{
  GstElement *p = player ("playbin", uri);
  ApixoRun *run = apixo_test_run (p, WAIT_S);

  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  gst_object_unref (p);
  return run;
}

/* The tags of the clip in @info: the prompt, the model, the seed and the
 * task.  They reach the discoverer on the bus (in pull mode no tag event
 * flows from a source), as the info's own tags: deprecated since 1.20 for
 * the streams' tags, but what gst-discoverer-1.0 prints as the file's. */
static void
assert_clip_tags (GstDiscovererInfo *info, const gchar *task_id)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  const GstTagList *tags = gst_discoverer_info_get_tags (info);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_autofree gchar *prompt = NULL, *model = NULL, *task = NULL;
  gint64 seed = -1;

  fail_unless (tags != NULL);
  fail_unless (gst_tag_list_get_string (tags, GST_TAG_DESCRIPTION, &prompt));
  fail_unless_equals_string (prompt, PROMPT);
  fail_unless (gst_tag_list_get_string (tags, GST_APIXO_TAG_MODEL, &model));
  fail_unless_equals_string (model, MODEL);
  fail_unless (gst_tag_list_get_int64 (tags, GST_APIXO_TAG_SEED, &seed));
  fail_unless_equals_int64 (seed, SEED);
  fail_unless (gst_tag_list_get_string (tags, GST_APIXO_TAG_TASK_ID, &task));
  fail_unless_equals_string (task, task_id);
}

/* gst-discoverer first (GES discovers every clip), then playback: one
 * task in all. */
GST_START_TEST (test_discover_then_play)
{
  g_autofree gchar *uri = sim_uri (MODEL, REQUEST);
  g_autofree gchar *task_id = NULL;
  GstDiscovererInfo *info = discover (uri, WAIT_S);
  ApixoRun *run;

  assert_discovered (info, WIDTH, HEIGHT, SECONDS * GST_SECOND);
  task_id = apixo_test_only_task_id (sim);
  assert_clip_tags (info, task_id);
  gst_discoverer_info_unref (info);

  run = play (uri);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  apixo_run_free (run);
}

GST_END_TEST;

/* ---- seeking -------------------------------------------------------------------- */

static void
wait_async_done (GstElement *pipeline)
{
  GstMessage *msg = apixo_test_wait_message (
      pipeline, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR, WAIT_S);

  fail_unless (msg != NULL, "no ASYNC_DONE within %d s", WAIT_S);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    ck_abort_msg ("%s", error->message);
  }
  gst_message_unref (msg);
}

/* The timestamp of the frame the video sink shows. */
static GstClockTime
shown_frame (GstElement *pipeline)
{
  GstElement *vsink = NULL;
  GstSample *sample = NULL;
  GstClockTime pts;

  g_object_get (pipeline, "video-sink", &vsink, NULL);
  g_object_get (vsink, "last-sample", &sample, NULL);
  fail_unless (sample != NULL);
  pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  gst_object_unref (vsink);
  return pts;
}

typedef struct {
  gint64 duration;         /* prerolled */
  gint64 position;         /* after the seek */
  GstClockTime after_seek; /* the frame shown after the seek */
  GstClockTime last;       /* the frame shown at EOS */
} Played;

/* @uri in @factory (playbin, playbin3): prerolled, its TIME duration; an
 * accurate flushing seek to 3 s (what GES/NLE sends to a clip's in-point
 * before any data), then played from there to the end. */
static void
seek_and_play (const gchar *factory, const gchar *uri, Played *r)
{
  GstElement *p = player (factory, uri);
  GstMessage *msg;

  gst_element_set_state (p, GST_STATE_PAUSED);
  wait_async_done (p);
  fail_unless (gst_element_query_duration (p, GST_FORMAT_TIME, &r->duration));
  fail_unless (gst_element_seek_simple (
      p, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
      3 * GST_SECOND));
  wait_async_done (p);
  fail_unless (gst_element_query_position (p, GST_FORMAT_TIME, &r->position));
  r->after_seek = shown_frame (p);

  gst_element_set_state (p, GST_STATE_PLAYING);
  msg =
      apixo_test_wait_message (p, GST_MESSAGE_EOS | GST_MESSAGE_ERROR, WAIT_S);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  r->last = shown_frame (p);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

/* The generated clip seeks and plays as its own file does (kept with
 * save-location, a URI parameter): the same duration, the same frame after
 * the seek, the same last frame. */
static void
seek_in (const gchar *factory)
{
  g_autofree gchar *kept = g_build_filename (tmpdir, "kept.mp4", NULL);
  g_autofree gchar *kept_q = escape (kept);
  g_autofree gchar *params =
      g_strdup_printf ("%s&save-location=%s", REQUEST, kept_q);
  g_autofree gchar *uri = sim_uri (MODEL, params);
  g_autofree gchar *file_uri = g_filename_to_uri (kept, NULL, NULL);
  Played ours, file;

  seek_and_play (factory, uri, &ours);
  assert_near (ours.duration, SECONDS * GST_SECOND, "duration");
  assert_near (ours.position, 3 * GST_SECOND, "position after the seek");
  fail_unless (ours.after_seek >= 3 * GST_SECOND);
  seek_and_play (factory, file_uri, &file);
  fail_unless_equals_int64 (ours.duration, file.duration);
  fail_unless_equals_uint64 (ours.after_seek, file.after_seek);
  fail_unless_equals_uint64 (ours.last, file.last);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
}

GST_START_TEST (test_seek_in_playbin)
{
  seek_in ("playbin");
}

GST_END_TEST;

/* playbin3: uridecodebin3 and urisourcebin. */
GST_START_TEST (test_seek_in_playbin3)
{
  seek_in ("playbin3");
}

GST_END_TEST;

/* ---- tasks ---------------------------------------------------------------------- */

/* The tags our element posted in @run: the last list, or NULL. */
static GstTagList *
element_tags (ApixoRun *run)
{
  GstTagList *found = NULL;

  for (GList *l = run->messages; l != NULL; l = l->next) {
    GstMessage *msg = l->data;
    GstTagList *tags;

    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_TAG ||
        !GST_IS_URI_HANDLER (GST_MESSAGE_SRC (msg)))
      continue;
    gst_message_parse_tag (msg, &tags);
    if (found != NULL)
      gst_tag_list_unref (found);
    found = tags;
  }
  return found;
}

/* apixo://task/ID resumes (or downloads) the task: nothing submitted.  Its
 * tags say what is known of it (model, task id): not the prompt the URI
 * gives (the task's own request is not in the service's status answer). */
GST_START_TEST (test_task_uri_resumes)
{
  g_autofree gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ model=" MODEL " prompt=\"the task's own\" "
      "resolution=480p duration=5 ! fakesink");
  g_autofree gchar *task_id = NULL, *target = NULL, *uri = NULL;
  g_autofree gchar *model = NULL, *task = NULL, *prompt = NULL;
  ApixoRun *run = apixo_test_run_launch (sim, launch, WAIT_S);
  GstTagList *tags;
  guint polls;

  fail_unless (run->eos);
  apixo_run_free (run);
  task_id = apixo_test_only_task_id (sim);
  polls = sim_fixture_count_requests (sim, "status", -1);

  target = g_strdup_printf ("task/%s", task_id);
  uri = sim_uri (target, "model=" MODEL "&prompt=not%20the%20task%27s");
  run = play (uri);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless (sim_fixture_count_requests (sim, "status", -1) > polls);
  tags = element_tags (run);
  fail_unless (tags != NULL);
  fail_unless (gst_tag_list_get_string (tags, GST_APIXO_TAG_TASK_ID, &task));
  fail_unless_equals_string (task, task_id);
  fail_unless (gst_tag_list_get_string (tags, GST_APIXO_TAG_MODEL, &model));
  fail_unless_equals_string (model, MODEL);
  fail_if (gst_tag_list_get_string (tags, GST_TAG_DESCRIPTION, &prompt),
           "a resumed task tagged with the prompt '%s'", prompt);
  fail_if (gst_tag_list_get_tag_size (tags, GST_APIXO_TAG_SEED) > 0);
  gst_tag_list_unref (tags);
  apixo_run_free (run);
}

GST_END_TEST;

/* The open journal records of the elements' cache directory: their task
 * ids. */
static GPtrArray *
open_journal_tasks (void)
{
  g_autofree gchar *cache =
      g_build_filename (g_getenv ("APIXO_TEST_CACHE_HOME"), "gst-apixo", NULL);
  GstApixoJournal *journal = gst_apixo_journal_open (cache, NULL);
  GDir *dir = g_dir_open (gst_apixo_journal_get_dir (journal), 0, NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *key = NULL;
    GstApixoJournalRecord *r;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    key = g_strndup (name, strlen (name) - strlen (".json"));
    r = gst_apixo_journal_read (journal, key);
    if (r != NULL && gst_apixo_journal_record_is_open (r))
      g_ptr_array_add (ids, g_strdup (r->task_id));
    g_clear_pointer (&r, gst_apixo_journal_record_free);
  }
  g_dir_close (dir);
  gst_apixo_journal_unref (journal);
  return ids;
}

/* gst-discoverer gives up (its timeout) while the task runs: a prompt
 * answer, not a hang; the journal keeps the task, and the next run of the
 * URI (playback) resumes it instead of paying again. */
GST_START_TEST (test_discovery_timeout_resumes)
{
  /* timeout=0: the held poll is not abandoned and sent again after the
   * element's 15 s I/O timeout (memcheck's discovery lasts longer); not a
   * part of the request: the same URI without it resumes the same task */
  g_autofree gchar *uri = sim_uri (MODEL, REQUEST "&timeout=0");
  g_autofree gchar *play_uri = sim_uri (MODEL, REQUEST);
  g_autofree gchar *task_id = NULL;
  g_autoptr (GPtrArray) open = NULL;
  GstDiscovererInfo *info;
  ApixoRun *run;

  /* the task's first status poll is held: it runs as long as we like */
  sim_fixture_add_fault_full (sim, "status", "slow", 1, HOLD_S, NULL);
  info = discover (uri, DISCOVERY_TIMEOUT_S);
  fail_unless_equals_int (gst_discoverer_info_get_result (info),
                          GST_DISCOVERER_TIMEOUT);
  gst_discoverer_info_unref (info);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  task_id = apixo_test_only_task_id (sim);
  open = open_journal_tasks ();
  fail_unless_equals_int (open->len, 1);
  fail_unless_equals_string (g_ptr_array_index (open, 0), task_id);

  run = play (play_uri);
  fail_unless (apixo_run_task_event (run, "resumed") != NULL);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  apixo_run_free (run);
}

GST_END_TEST;

/* ---- apixoanimate ------------------------------------------------------------------ */

/* @data (taken) as the file @name of the test's directory: its URI. */
static gchar *
write_media (GBytes *data, const gchar *name)
{
  g_autoptr (GBytes) bytes = data;
  g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);

  fail_unless (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                    g_bytes_get_size (bytes), NULL));
  return g_filename_to_uri (path, NULL, NULL);
}

/* The first image_urls / video_urls of the sim's only task. */
static gchar *
requested_url (const gchar *member)
{
  JsonArray *tasks = sim_fixture_get_tasks (sim);
  JsonObject *input = json_object_get_object_member (
      json_object_get_object_member (json_array_get_object_element (tasks, 0),
                                     "request"),
      "input");
  gchar *url = g_strdup (json_array_get_string_element (
      json_object_get_array_member (input, member), 0));

  json_array_unref (tasks);
  return url;
}

/* apixo://wan-2-2-animate?image=file://...&video=file://... with the
 * media server's public-url and server-port as parameters: discovered
 * (the sim's size for a 16:9 motion at 480p, the motion's 2 s), then
 * played: one task. */
GST_START_TEST (test_animate_file_uris)
{
  g_autofree gchar *image =
      write_media (apixo_test_make_image (320, 320, "png", 0x20c040), "c.png");
  g_autofree gchar *video =
      write_media (apixo_test_make_mp4 (2, 320, 180), "m.mp4");
  g_autofree gchar *image_q = escape (image), *video_q = escape (video);
  ApixoTestPublished pub = apixo_test_published_new ();
  g_autofree gchar *pub_q = escape (pub.base);
  g_autofree gchar *params = g_strdup_printf (
      "image=%s&video=%s&public-url=%s&server-port=%u&resolution=480p", image_q,
      video_q, pub_q, pub.port);
  g_autofree gchar *uri = sim_uri ("wan-2-2-animate", params);
  g_autofree gchar *image_url = NULL, *video_url = NULL;
  GstDiscovererInfo *info = discover (uri, WAIT_S);

  assert_discovered (info, WIDTH, HEIGHT, 2 * GST_SECOND);
  gst_discoverer_info_unref (info);
  image_url = requested_url ("image_urls");
  video_url = requested_url ("video_urls");
  fail_unless (g_str_has_prefix (image_url, pub.base), "%s", image_url);
  fail_unless (g_str_has_prefix (video_url, pub.base), "%s", video_url);

  apixo_run_free (play (uri));
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  apixo_test_published_clear (&pub);
}

GST_END_TEST;

static Suite *
apixo_uri_suite (void)
{
  /* each test has its own sim and cache */
  static const gchar *const names[] = { "parse", "play", "tasks" };
  Suite *s = suite_create ("apixo-uri");
  TCase *tc[G_N_ELEMENTS (names)];

  /* A URI never carries the key: the elements read it from here. */
  g_setenv ("APIXO_API_KEY", KEY, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    tc[i] = tcase_create (names[i]);
    suite_add_tcase (s, tc[i]);
    tcase_add_checked_fixture (tc[i], setup, teardown);
  }
  tcase_add_test (tc[0], test_round_trips);
  tcase_add_test (tc[0], test_properties_from_uri);
  tcase_add_test (tc[0], test_proxy_not_in_uri);
  tcase_add_test (tc[0], test_not_ours);
  tcase_add_test (tc[0], test_refusals);
  tcase_add_test (tc[1], test_discover_then_play);
  tcase_add_test (tc[1], test_seek_in_playbin);
  tcase_add_test (tc[1], test_seek_in_playbin3);
  tcase_add_test (tc[2], test_task_uri_resumes);
  tcase_add_test (tc[2], test_discovery_timeout_resumes);
  tcase_add_test (tc[2], test_animate_file_uris);
  return s;
}

GST_CHECK_MAIN (apixo_uri);
