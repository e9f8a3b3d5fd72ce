/* gst-apixo: every example request of the four model pages, end to end.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Each example request of wan-2-5.txt, wan-2-5-video.txt, veo-3-1.txt and
 * sora-2-pro.txt (../shared/apixo-docs/) is reproduced as apixosrc
 * properties (only the fields the example shows) and run against apixo-sim:
 *  - the pipeline reaches EOS without error and the kept file decodes with
 *    the size the sim renders for that model/resolution/aspect ratio
 *    (sim/sim-models.c), duration * 24 frames and a sound track;
 *  - the request body the sim recorded equals the page's example body (its
 *    JSON text copied verbatim below), with the example's unreachable URLs
 *    replaced by media this test serves on loopback and its callback URL by
 *    a loopback receiver;
 *  - the content follows the request (sim/sim-render.h): image-to-video
 *    starts on the image, first/last frames start and end on them,
 *    reference images show in their cells, and a text-to-video request
 *    with a seed gives byte-identical results when sent twice;
 *  - callback examples: the sim delivered the webhook to the receiver.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <math.h>
#include <string.h>

#include "apixotest.h"
#include "testdir.h"

/* Fast enough for the suite: 250 s of documented generation time -> 1.25 s. */
#define TIME_SCALE 0.005
#define RUN_TIMEOUT 100.0
/* Mean colour tolerance per channel (0-255) after JPEG/PNG, the sim's
 * scaling and an H.264 round trip of a flat colour. */
#define COLOUR_TOLERANCE 12.0
#define FPS 24

/* Distinct flat colours of the served images, in image-uris order. */
static const guint32 COLOURS[] = { 0xc03030, 0x3050c0, 0x30a040 };

typedef enum {
  CHECK_NONE,
  CHECK_REPEAT,     /* fixed seed: a second run gives the same bytes */
  CHECK_FIRST,      /* first frame is images[0] */
  CHECK_FIRST_LAST, /* first frame images[0], last frame images[1] */
  CHECK_CELLS,      /* images[k] in cell k of every frame measured */
} Check;

typedef struct {
  const gchar *name;
  /* Property name/value pairs, NULL-terminated.  Values @IMAGES@, @AUDIO@
   * and @CALLBACK@ stand for the served inputs and the receiver. */
  const gchar *props[32];
  /* The example's URLs, replaced by served media in the expected body. */
  const gchar *images[3];
  const gchar *image_format; /* "jpeg" or "png" (no alpha) */
  gint image_width, image_height;
  const gchar *audio;
  const gchar *callback;
  /* The page's example body, verbatim. */
  const gchar *body;
  /* What the sim renders (sim/sim-models.c) */
  gint width, height;
  guint seconds;
  Check check;
} Example;

static const Example EXAMPLES[] = {
  /* wan-2-5.txt, "Text-to-Video" */
  {
      .name = "wan-2-5 text-to-video",
      .props = { "model",
                 "wan-2-5",
                 "request-type",
                 "async",
                 "provider",
                 "value",
                 "mode",
                 "text-to-video",
                 "prompt",
                 "a serene mountain landscape with moving clouds and gentle "
                 "breeze",
                 "resolution",
                 "1080p",
                 "duration",
                 "10",
                 "aspect-ratio",
                 "16:9",
                 "negative-prompt",
                 "low quality, blurry",
                 "prompt-extend",
                 "true",
                 NULL },
      .body = "{\n"
              "    \"request_type\": \"async\",\n"
              "    \"provider\": \"value\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"text-to-video\",\n"
              "      \"prompt\": \"a serene mountain landscape with moving "
              "clouds and gentle breeze\",\n"
              "      \"resolution\": \"1080p\",\n"
              "      \"duration\": 10,\n"
              "      \"aspect_ratio\": \"16:9\",\n"
              "      \"negative_prompt\": \"low quality, blurry\",\n"
              "      \"enable_prompt_expansion\": true\n"
              "    }\n"
              "  }",
      .width = 1920,
      .height = 1080,
      .seconds = 10,
  },
  /* wan-2-5.txt, "Image-to-Video".  No aspect_ratio: the sim picks the
   * 720p size nearest to the image's aspect (16:9 -> 1280x720). */
  {
      .name = "wan-2-5 image-to-video",
      .props = { "model",
                 "wan-2-5",
                 "request-type",
                 "callback",
                 "callback-url",
                 "@CALLBACK@",
                 "provider",
                 "official",
                 "mode",
                 "image-to-video",
                 "prompt",
                 "make this picture into a smooth cinematic shot with camera "
                 "slowly zooming in",
                 "resolution",
                 "720p",
                 "duration",
                 "5",
                 "image-uris",
                 "@IMAGES@",
                 "prompt-extend",
                 "false",
                 "seed",
                 "42",
                 NULL },
      .images = { "https://example.com/ref.jpg" },
      .image_format = "jpeg",
      .image_width = 640,
      .image_height = 360,
      .callback = "https://your-server.com/callback",
      .body = "{\n"
              "    \"request_type\": \"callback\",\n"
              "    \"callback_url\": \"https://your-server.com/callback\",\n"
              "    \"provider\": \"official\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"image-to-video\",\n"
              "      \"prompt\": \"make this picture into a smooth cinematic "
              "shot with camera slowly zooming in\",\n"
              "      \"resolution\": \"720p\",\n"
              "      \"duration\": 5,\n"
              "      \"image_urls\": [\"https://example.com/ref.jpg\"],\n"
              "      \"enable_prompt_expansion\": false,\n"
              "      \"seed\": 42\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 5,
      .check = CHECK_FIRST,
  },
  /* wan-2-5-video.txt, "Copy-paste async quickstart" */
  {
      .name = "wan-2-5-video async quickstart",
      .props = { "model", "wan-2-5-video", "request-type", "async", "mode",
                 "text-to-video", "prompt",
                 "a cinematic shot of clouds drifting over a quiet mountain "
                 "lake",
                 "audio-uri", "@AUDIO@", "resolution", "720p", "duration", "5",
                 "aspect-ratio", "16:9", "prompt-extend", "true", NULL },
      .audio = "https://example.com/music.mp3",
      .body = "{\n"
              "    \"request_type\": \"async\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"text-to-video\",\n"
              "      \"prompt\": \"a cinematic shot of clouds drifting over a "
              "quiet mountain lake\",\n"
              "      \"audio_urls\": [\n"
              "        \"https://example.com/music.mp3\"\n"
              "      ],\n"
              "      \"resolution\": \"720p\",\n"
              "      \"duration\": 5,\n"
              "      \"aspect_ratio\": \"16:9\",\n"
              "      \"prompt_extend\": true\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 5,
  },
  /* wan-2-5-video.txt, "Request body: Text-to-video" (480p 1:1 is 624x624) */
  {
      .name = "wan-2-5-video text-to-video body",
      .props = { "model",
                 "wan-2-5-video",
                 "request-type",
                 "async",
                 "mode",
                 "text-to-video",
                 "prompt",
                 "a serene mountain landscape with moving clouds and gentle "
                 "breeze",
                 "audio-uri",
                 "@AUDIO@",
                 "resolution",
                 "480p",
                 "duration",
                 "5",
                 "aspect-ratio",
                 "1:1",
                 "prompt-extend",
                 "true",
                 "negative-prompt",
                 "low quality, blurry",
                 "watermark",
                 "false",
                 "seed",
                 "20260413",
                 NULL },
      .audio = "https://example.com/music.mp3",
      .body = "{\n"
              "  \"request_type\": \"async\",\n"
              "  \"input\": {\n"
              "    \"mode\": \"text-to-video\",\n"
              "    \"prompt\": \"a serene mountain landscape with moving "
              "clouds and gentle breeze\",\n"
              "    \"audio_urls\": [\n"
              "      \"https://example.com/music.mp3\"\n"
              "    ],\n"
              "    \"resolution\": \"480p\",\n"
              "    \"duration\": 5,\n"
              "    \"aspect_ratio\": \"1:1\",\n"
              "    \"prompt_extend\": true,\n"
              "    \"negative_prompt\": \"low quality, blurry\",\n"
              "    \"watermark\": false,\n"
              "    \"seed\": 20260413\n"
              "  }\n"
              "}",
      .width = 624,
      .height = 624,
      .seconds = 5,
      .check = CHECK_REPEAT,
  },
  /* wan-2-5-video.txt, "Request body: Image-to-video".  PNG without alpha
   * (the page's rule); 1080p size nearest to the 16:9 image. */
  {
      .name = "wan-2-5-video image-to-video body",
      .props = { "model", "wan-2-5-video", "request-type", "callback",
                 "callback-url", "@CALLBACK@", "mode", "image-to-video",
                 "image-uris", "@IMAGES@", "prompt",
                 "turn this photo into a smooth cinematic shot with a slow "
                 "push-in camera move",
                 "audio-uri", "@AUDIO@", "resolution", "1080p", "duration",
                 "10", NULL },
      .images = { "https://example.com/reference.png" },
      .image_format = "png",
      .image_width = 640,
      .image_height = 360,
      .audio = "https://example.com/music.mp3",
      .callback = "https://your-server.com/webhooks/apixo",
      .body =
          "{\n"
          "  \"request_type\": \"callback\",\n"
          "  \"callback_url\": \"https://your-server.com/webhooks/apixo\",\n"
          "  \"input\": {\n"
          "    \"mode\": \"image-to-video\",\n"
          "    \"image_urls\": [\n"
          "      \"https://example.com/reference.png\"\n"
          "    ],\n"
          "    \"prompt\": \"turn this photo into a smooth cinematic shot "
          "with a slow push-in camera move\",\n"
          "    \"audio_urls\": [\n"
          "      \"https://example.com/music.mp3\"\n"
          "    ],\n"
          "    \"resolution\": \"1080p\",\n"
          "    \"duration\": 10\n"
          "  }\n"
          "}",
      .width = 1920,
      .height = 1080,
      .seconds = 10,
      .check = CHECK_FIRST,
  },
  /* wan-2-5-video.txt, "Webhook callback mode" */
  {
      .name = "wan-2-5-video webhook",
      .props = { "model", "wan-2-5-video", "request-type", "callback",
                 "callback-url", "@CALLBACK@", "mode", "text-to-video",
                 "prompt",
                 "a polished product demo video with gentle camera movement",
                 "resolution", "720p", "duration", "5", "aspect-ratio", "16:9",
                 NULL },
      .callback = "https://your-server.com/webhooks/apixo",
      .body = "{\n"
              "    \"request_type\": \"callback\",\n"
              "    \"callback_url\": \"https://your-server.com/webhooks/"
              "apixo\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"text-to-video\",\n"
              "      \"prompt\": \"a polished product demo video with gentle "
              "camera movement\",\n"
              "      \"resolution\": \"720p\",\n"
              "      \"duration\": 5,\n"
              "      \"aspect_ratio\": \"16:9\"\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 5,
  },
  /* veo-3-1.txt, "Text-to-Video (TEXT_2_VIDEO)".  The sim renders Veo's
   * 8 s clips, 1280x720 at 16:9. */
  {
      .name = "veo-3-1 TEXT_2_VIDEO",
      .props = { "model", "veo-3-1", "request-type", "async", "mode", "quality",
                 "prompt",
                 "a cinematic flyover of a futuristic city at sunrise",
                 "generation-type", "TEXT_2_VIDEO", "aspect-ratio", "16:9",
                 NULL },
      .body = "{\n"
              "    \"request_type\": \"async\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"quality\",\n"
              "      \"prompt\": \"a cinematic flyover of a futuristic city at "
              "sunrise\",\n"
              "      \"generationType\": \"TEXT_2_VIDEO\",\n"
              "      \"aspect_ratio\": \"16:9\"\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 8,
  },
  /* veo-3-1.txt, "First/Last Frame to Video" (9:16: 720x1280) */
  {
      .name = "veo-3-1 FIRST_AND_LAST_FRAMES_2_VIDEO",
      .props = { "model", "veo-3-1", "request-type", "callback", "callback-url",
                 "@CALLBACK@", "mode", "quality", "prompt",
                 "a calm ocean turning into a storm", "generation-type",
                 "FIRST_AND_LAST_FRAMES_2_VIDEO", "image-uris", "@IMAGES@",
                 "aspect-ratio", "9:16", NULL },
      .images = { "https://example.com/frame_start.jpg",
                  "https://example.com/frame_end.jpg" },
      .image_format = "jpeg",
      .image_width = 576, /* a multiple of 16: libjpeg reads whole MCUs */
      .image_height = 1024,
      .callback = "https://your-server.com/callback",
      .body = "{\n"
              "    \"request_type\": \"callback\",\n"
              "    \"callback_url\": \"https://your-server.com/callback\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"quality\",\n"
              "      \"prompt\": \"a calm ocean turning into a storm\",\n"
              "      \"generationType\": \"FIRST_AND_LAST_FRAMES_2_VIDEO\",\n"
              "      \"image_urls\": [\n"
              "        \"https://example.com/frame_start.jpg\",\n"
              "        \"https://example.com/frame_end.jpg\"\n"
              "      ],\n"
              "      \"aspect_ratio\": \"9:16\"\n"
              "    }\n"
              "  }",
      .width = 720,
      .height = 1280,
      .seconds = 8,
      .check = CHECK_FIRST_LAST,
  },
  /* veo-3-1.txt, "Reference Image to Video (REFERENCE_2_VIDEO)" */
  {
      .name = "veo-3-1 REFERENCE_2_VIDEO",
      .props = { "model", "veo-3-1", "request-type", "async", "mode", "fast",
                 "prompt", "turn this sequence into a dynamic action shot",
                 "generation-type", "REFERENCE_2_VIDEO", "image-uris",
                 "@IMAGES@", "aspect-ratio", "16:9", NULL },
      .images = { "https://example.com/ref1.jpg",
                  "https://example.com/ref2.jpg" },
      .image_format = "jpeg",
      .image_width = 480,
      .image_height = 360,
      .body = "{\n"
              "    \"request_type\": \"async\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"fast\",\n"
              "      \"prompt\": \"turn this sequence into a dynamic action "
              "shot\",\n"
              "      \"generationType\": \"REFERENCE_2_VIDEO\",\n"
              "      \"image_urls\": [\n"
              "        \"https://example.com/ref1.jpg\",\n"
              "        \"https://example.com/ref2.jpg\"\n"
              "      ],\n"
              "      \"aspect_ratio\": \"16:9\"\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 8,
      .check = CHECK_CELLS,
  },
  /* sora-2-pro.txt, "Text-to-Video" */
  {
      .name = "sora-2-pro text-to-video",
      .props = { "model", "sora-2-pro", "request-type", "async", "provider",
                 "official", "mode", "text-to-video", "prompt",
                 "a cinematic tracking shot of a futuristic city with flying "
                 "cars",
                 "duration", "8", "size", "1280*720", NULL },
      .body = "{\n"
              "    \"request_type\": \"async\",\n"
              "    \"provider\": \"official\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"text-to-video\",\n"
              "      \"prompt\": \"a cinematic tracking shot of a futuristic "
              "city with flying cars\",\n"
              "      \"duration\": 8,\n"
              "      \"size\": \"1280*720\"\n"
              "    }\n"
              "  }",
      .width = 1280,
      .height = 720,
      .seconds = 8,
  },
  /* sora-2-pro.txt, "Image-to-Video" (1080p, landscape image) */
  {
      .name = "sora-2-pro image-to-video",
      .props = { "model", "sora-2-pro", "request-type", "callback",
                 "callback-url", "@CALLBACK@", "provider", "official", "mode",
                 "image-to-video", "prompt",
                 "make this image come alive with subtle motion", "duration",
                 "12", "resolution", "1080p", "image-uris", "@IMAGES@", NULL },
      .images = { "https://example.com/reference_image.jpg" },
      .image_format = "jpeg",
      .image_width = 640,
      .image_height = 360,
      .callback = "https://your-server.com/callback",
      .body = "{\n"
              "    \"request_type\": \"callback\",\n"
              "    \"callback_url\": \"https://your-server.com/callback\",\n"
              "    \"provider\": \"official\",\n"
              "    \"input\": {\n"
              "      \"mode\": \"image-to-video\",\n"
              "      \"prompt\": \"make this image come alive with subtle "
              "motion\",\n"
              "      \"duration\": 12,\n"
              "      \"resolution\": \"1080p\",\n"
              "      \"image_urls\": [\n"
              "        \"https://example.com/reference_image.jpg\"\n"
              "      ]\n"
              "    }\n"
              "  }",
      .width = 1920,
      .height = 1080,
      .seconds = 12,
      .check = CHECK_FIRST,
  },
};

static SimFixture *sim;
static ApixoTestServer *server;
static gchar *tmpdir;

static void
setup (void)
{
  apixo_test_fixture_start (&sim, &tmpdir, TIME_SCALE, "apixosrc-examples");
  fail_unless (tmpdir != NULL);
  server = apixo_test_server_start ();
}

static void
teardown (void)
{
  apixo_test_server_stop (server);
  server = NULL;
  apixo_test_fixture_stop (&sim, &tmpdir);
}

/* ---- inputs -------------------------------------------------------------- */

/* A flat-colour image whose colour survives decoding (@format "png" or
 * "jpeg"): apixo_test_make_image() draws it in RGB and encodes RGB PNGs
 * (wan-2-5-video refuses PNGs with alpha) and full-range BT.601 JPEGs,
 * what JFIF means. */
static GBytes *
make_image (const gchar *format, gint width, gint height, guint32 rgb)
{
  GBytes *bytes = apixo_test_make_image (width, height, format, rgb);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* PNG colour type 2: truecolour without alpha */
  if (g_str_equal (format, "png"))
    fail_unless (len > 25 && data[25] == 2);
  return bytes;
}

/* The served inputs of one example and what replaces the page's URLs. */
typedef struct {
  gchar *image_urls[3];
  guint n_images;
  gchar *audio_url;
  gchar *callback_url;
  GHashTable *replace; /* page URL -> local URL (borrowed) */
} Inputs;

static void
inputs_prepare (const Example *ex, Inputs *in)
{
  memset (in, 0, sizeof (*in));
  in->replace = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < G_N_ELEMENTS (ex->images) && ex->images[i]; i++) {
    gchar *name = g_path_get_basename (ex->images[i]);
    gboolean png = g_str_equal (ex->image_format, "png");
    GBytes *image = make_image (ex->image_format, ex->image_width,
                                ex->image_height, COLOURS[i]);

    in->image_urls[i] = apixo_test_server_add (
        server, name, image, png ? "image/png" : "image/jpeg");
    g_hash_table_insert (in->replace, (gpointer)ex->images[i],
                         in->image_urls[i]);
    in->n_images++;
    g_bytes_unref (image);
    g_free (name);
  }
  if (ex->audio) {
    /* 3-30 s of wav or mp3 (wan-2-5-video) */
    GBytes *wav = apixo_test_make_wav (6.0);

    in->audio_url =
        apixo_test_server_add (server, "music.wav", wav, "audio/x-wav");
    g_hash_table_insert (in->replace, (gpointer)ex->audio, in->audio_url);
    g_bytes_unref (wav);
  }
  if (ex->callback) {
    /* A receiver on loopback (http is accepted there only): answers 200. */
    GBytes *ok = g_bytes_new_static ("{}", 2);

    in->callback_url =
        apixo_test_server_add (server, "callback", ok, "application/json");
    g_hash_table_insert (in->replace, (gpointer)ex->callback, in->callback_url);
    g_bytes_unref (ok);
  }
}

static void
inputs_clear (Inputs *in)
{
  for (guint i = 0; i < in->n_images; i++)
    g_free (in->image_urls[i]);
  g_free (in->audio_url);
  g_free (in->callback_url);
  g_hash_table_unref (in->replace);
}

/* ---- the element --------------------------------------------------------- */

static void
set_uri_array (GstElement *src, const gchar *name, gchar **uris, guint n)
{
  GValue array = G_VALUE_INIT, v = G_VALUE_INIT;

  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_STRING);
  for (guint i = 0; i < n; i++) {
    g_value_set_string (&v, uris[i]);
    gst_value_array_append_value (&array, &v);
  }
  g_object_set_property (G_OBJECT (src), name, &array);
  g_value_unset (&v);
  g_value_unset (&array);
}

static void
set_prop (GstElement *src, const gchar *name, const gchar *value)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (src), name);

  fail_unless (pspec != NULL, "apixosrc has no property %s", name);
  if (pspec->value_type == G_TYPE_STRING)
    g_object_set (src, name, value, NULL);
  else
    gst_util_set_object_arg (G_OBJECT (src), name, value);
}

/* apixosrc (sim settings, the example's properties, save-location) !
 * fakesink */
static GstElement *
example_pipeline (const Example *ex, Inputs *in, const gchar *save)
{
  GstElement *pipeline = apixo_test_parse (sim, "apixosrc @SIM@ name=src ! "
                                                "fakesink");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");

  for (guint i = 0; ex->props[i]; i += 2) {
    const gchar *name = ex->props[i], *value = ex->props[i + 1];

    if (g_str_equal (value, "@IMAGES@"))
      set_uri_array (src, name, in->image_urls, in->n_images);
    else if (g_str_equal (value, "@AUDIO@"))
      set_prop (src, name, in->audio_url);
    else if (g_str_equal (value, "@CALLBACK@"))
      set_prop (src, name, in->callback_url);
    else
      set_prop (src, name, value);
  }
  g_object_set (src, "save-location", save, NULL);
  gst_object_unref (src);
  return pipeline;
}

static void
run_example (const Example *ex, Inputs *in, const gchar *save)
{
  GstElement *pipeline = example_pipeline (ex, in, save);
  ApixoRun *run = apixo_test_run (pipeline, RUN_TIMEOUT);

  fail_unless (run->error == NULL, "%s: error: %s (%s)", ex->name,
               run->error ? run->error->message : "",
               GST_STR_NULL (run->error_debug));
  fail_unless (run->eos, "%s: no EOS", ex->name);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_WARNING), 0);
  fail_unless (apixo_run_task_event (run, "downloaded") != NULL);
  apixo_run_free (run);
  gst_object_unref (pipeline);
}

/* ---- checks -------------------------------------------------------------- */

/* The page's body with its URLs replaced by the local ones. */
static JsonNode *
expected_body (const Example *ex, const Inputs *in)
{
  GHashTableIter iter;
  gpointer page_url, local_url;
  gchar *text = g_strdup (ex->body);
  JsonNode *node;
  GError *error = NULL;

  g_hash_table_iter_init (&iter, in->replace);
  while (g_hash_table_iter_next (&iter, &page_url, &local_url)) {
    gchar *quoted = g_strdup_printf ("\"%s\"", (gchar *)page_url);
    gchar *local = g_strdup_printf ("\"%s\"", (gchar *)local_url);
    gchar **parts = g_strsplit (text, quoted, -1);

    fail_unless (g_strv_length (parts) > 1, "%s not in the example body",
                 (gchar *)page_url);
    g_free (text);
    text = g_strjoinv (local, parts);
    g_strfreev (parts);
    g_free (quoted);
    g_free (local);
  }
  node = json_from_string (text, &error);
  fail_unless (node != NULL, "example body of %s does not parse: %s", ex->name,
               error ? error->message : "?");
  g_free (text);
  return node;
}

static void
assert_request (const Example *ex, JsonObject *task, JsonNode *expected)
{
  JsonNode *got = json_object_get_member (task, "request");
  gchar *a, *b;

  fail_unless (got != NULL);
  if (json_node_equal (got, expected))
    return;
  a = json_to_string (got, TRUE);
  b = json_to_string (expected, TRUE);
  ck_abort_msg ("%s: request body\n%s\nexpected (the page's example)\n%s",
                ex->name, a, b);
  g_free (a);
  g_free (b);
}

static void
assert_colour (const gchar *what, const gdouble rgb[3], guint32 colour)
{
  for (guint c = 0; c < 3; c++) {
    gdouble want = (colour >> (16 - 8 * c)) & 0xff;

    fail_unless (fabs (rgb[c] - want) <= COLOUR_TOLERANCE,
                 "%s: mean colour (%.0f, %.0f, %.0f), expected #%06x", what,
                 rgb[0], rgb[1], rgb[2], colour);
  }
}

/* The duration the file declares (qtdemux: the movie header). */
static GstClockTime
file_duration (const gchar *path)
{
  gchar *desc =
      g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! fakesink", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  gint64 duration = -1;

  fail_unless (pipeline != NULL);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int (
      gst_element_get_state (pipeline, NULL, NULL, 30 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (
      gst_element_query_duration (pipeline, GST_FORMAT_TIME, &duration));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (desc);
  return duration;
}

static void
assert_media (const Example *ex, const gchar *path, ApixoMediaInfo *info)
{
  GstClockTime seconds = ex->seconds * GST_SECOND;

  fail_unless (apixo_test_probe_file (path, info), "%s: %s does not decode",
               ex->name, path);
  fail_unless (info->width == ex->width && info->height == ex->height,
               "%s: %dx%d, expected %dx%d", ex->name, info->width, info->height,
               ex->width, ex->height);
  fail_unless_equals_int (info->n_frames, ex->seconds * FPS);
  /* (info->duration is the last frame's raw PTS end: B-frame results start
   * at the composition offset their edit list removes; the container says
   * how long the video is.) */
  fail_unless_equals_uint64 (file_duration (path), seconds);
  /* every model of the four pages has sound */
  fail_unless (info->has_audio, "%s: no sound", ex->name);
  fail_unless (info->audio_duration + GST_SECOND / 20 >= seconds &&
                   info->audio_duration <= seconds + GST_SECOND / 20,
               "%s: sound lasts %" GST_TIME_FORMAT, ex->name,
               GST_TIME_ARGS (info->audio_duration));
}

/* Reference image k of n sits centred in cell k (sim/sim-render.h). */
static void
assert_cells (const Example *ex, const gchar *path, guint frame, guint n)
{
  for (guint k = 0; k < n; k++) {
    gdouble rgb[3];
    gchar *what;

    fail_unless (apixo_test_frame_region_rgb (path, frame, (k + 0.5) / n - 0.05,
                                              0.45, 0.1, 0.1, rgb));
    what = g_strdup_printf ("%s: frame %u, cell %u", ex->name, frame, k);
    assert_colour (what, rgb, COLOURS[k]);
    g_free (what);
  }
}

static void
assert_same_bytes (const gchar *a, const gchar *b)
{
  gchar *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  fail_unless (g_file_get_contents (a, &da, &la, NULL));
  fail_unless (g_file_get_contents (b, &db, &lb, NULL));
  fail_unless (la == lb && memcmp (da, db, la) == 0,
               "same request, different results (%" G_GSIZE_FORMAT
               " and %" G_GSIZE_FORMAT " bytes)",
               la, lb);
  g_free (da);
  g_free (db);
}

static void
assert_content (const Example *ex, const Inputs *in, const gchar *path,
                const ApixoMediaInfo *info)
{
  gchar *what;

  switch (ex->check) {
    case CHECK_FIRST:
      what = g_strdup_printf ("%s: first frame", ex->name);
      assert_colour (what, info->first_rgb, COLOURS[0]);
      g_free (what);
      break;
    case CHECK_FIRST_LAST:
      what = g_strdup_printf ("%s: first frame", ex->name);
      assert_colour (what, info->first_rgb, COLOURS[0]);
      g_free (what);
      what = g_strdup_printf ("%s: last frame", ex->name);
      assert_colour (what, info->last_rgb, COLOURS[1]);
      g_free (what);
      break;
    case CHECK_CELLS:
      assert_cells (ex, path, 0, in->n_images);
      assert_cells (ex, path, info->n_frames - 1, in->n_images);
      break;
    default:
      break;
  }
}

/* The sim POSTed the final envelope to the receiver, which took it. */
static void
assert_callback_delivered (const Example *ex, JsonObject *task)
{
  const gchar *task_id = json_object_get_string_member (task, "taskId");
  JsonObject *now;

  fail_unless (sim_fixture_wait_requests (sim, "callback", 1, 30),
               "%s: no webhook delivery", ex->name);
  now = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_string (
      json_object_get_string_member (now, "callbackState"), "delivered");
  fail_unless_equals_int (apixo_test_server_requests (server, "callback"), 1);
  json_object_unref (now);
}

GST_START_TEST (test_example)
{
  const Example *ex = &EXAMPLES[__i__];
  gchar *path = g_build_filename (tmpdir, "result.mp4", NULL);
  ApixoMediaInfo info;
  JsonNode *expected;
  JsonArray *tasks;
  Inputs in;
  guint runs = ex->check == CHECK_REPEAT ? 2 : 1;

  GST_INFO ("example: %s", ex->name);
  inputs_prepare (ex, &in);
  run_example (ex, &in, path);
  assert_media (ex, path, &info);
  assert_content (ex, &in, path, &info);

  if (ex->check == CHECK_REPEAT) {
    /* same seed, same request: the same file, byte for byte */
    gchar *again = g_build_filename (tmpdir, "again.mp4", NULL);

    run_example (ex, &in, again);
    assert_same_bytes (path, again);
    g_free (again);
  }

  expected = expected_body (ex, &in);
  tasks = sim_fixture_get_tasks (sim);
  fail_unless_equals_int (json_array_get_length (tasks), runs);
  for (guint i = 0; i < runs; i++)
    assert_request (ex, json_array_get_object_element (tasks, i), expected);
  if (ex->callback)
    assert_callback_delivered (ex, json_array_get_object_element (tasks, 0));

  json_array_unref (tasks);
  json_node_unref (expected);
  inputs_clear (&in);
  g_free (path);
}

GST_END_TEST;

static Suite *
apixosrc_examples_suite (void)
{
  Suite *s = suite_create ("apixosrc_examples");
  TCase *tc = tcase_create ("examples");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_example, 0, G_N_ELEMENTS (EXAMPLES));
  return s;
}

GST_CHECK_MAIN (apixosrc_examples);
