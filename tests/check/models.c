/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Unit tests of the model catalogue (gst/gstapixomodels.c): every example
 * request of the five documentation pages reproduced exactly, every
 * validation rule, derivations, unknown models, extra-input, polling
 * figures.  Pure: no network, no elements.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "gstapixomodels.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

/* Sets one property on @spec the way the element would, from its
 * kebab-case name and a string; lists are comma-separated. */
static void
spec_set (GstApixoRequestSpec *spec, const gchar *key, const gchar *value)
{
  gchar **str = NULL;
  gchar ***strv = NULL;

  if (g_str_equal (key, "model"))
    str = &spec->model;
  else if (g_str_equal (key, "mode"))
    str = &spec->mode;
  else if (g_str_equal (key, "prompt"))
    str = &spec->prompt;
  else if (g_str_equal (key, "negative-prompt"))
    str = &spec->negative_prompt;
  else if (g_str_equal (key, "resolution"))
    str = &spec->resolution;
  else if (g_str_equal (key, "aspect-ratio"))
    str = &spec->aspect_ratio;
  else if (g_str_equal (key, "size"))
    str = &spec->size;
  else if (g_str_equal (key, "audio-uri"))
    str = &spec->audio_uri;
  else if (g_str_equal (key, "watermark-text"))
    str = &spec->watermark_text;
  else if (g_str_equal (key, "generation-type"))
    str = &spec->generation_type;
  else if (g_str_equal (key, "type"))
    str = &spec->type;
  else if (g_str_equal (key, "callback-url"))
    str = &spec->callback_url;
  else if (g_str_equal (key, "image-uris"))
    strv = &spec->image_uris;
  else if (g_str_equal (key, "video-uris"))
    strv = &spec->video_uris;

  if (str) {
    g_free (*str);
    *str = g_strdup (value);
  } else if (strv) {
    g_strfreev (*strv);
    *strv = g_strsplit (value, ",", -1);
  } else if (g_str_equal (key, "duration")) {
    spec->duration = atoi (value);
  } else if (g_str_equal (key, "seed")) {
    spec->seed = g_ascii_strtoll (value, NULL, 10);
    spec->seed_set = TRUE;
  } else if (g_str_equal (key, "prompt-extend")) {
    spec->prompt_extend = g_str_equal (value, "true");
    spec->prompt_extend_set = TRUE;
  } else if (g_str_equal (key, "watermark")) {
    spec->watermark = g_str_equal (value, "true");
    spec->watermark_set = TRUE;
  } else if (g_str_equal (key, "provider")) {
    GEnumClass *klass = g_type_class_ref (GST_TYPE_APIXO_PROVIDER);
    GEnumValue *v = g_enum_get_value_by_nick (klass, value);
    spec->provider = v ? v->value : atoi (value);
    spec->provider_set = TRUE;
    g_type_class_unref (klass);
  } else if (g_str_equal (key, "request-type")) {
    spec->request_type = g_str_equal (value, "callback")
                             ? GST_APIXO_REQUEST_TYPE_CALLBACK
                             : GST_APIXO_REQUEST_TYPE_ASYNC;
  } else if (g_str_equal (key, "extra-input")) {
    if (spec->extra_input)
      gst_structure_free (spec->extra_input);
    spec->extra_input = gst_structure_from_string (value, NULL);
    fail_unless (spec->extra_input != NULL, "bad structure %s", value);
  } else {
    fail ("unknown test key %s", key);
  }
}

/* "model=veo-3-1|prompt=a calm sea|image-uris=https://a/1.jpg,https://a/2"
 * Later keys override earlier ones. */
static GstApixoRequestSpec *
spec_parse (const gchar *desc)
{
  GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();
  gchar **pairs = g_strsplit (desc, "|", -1);

  for (guint i = 0; pairs[i]; i++) {
    gchar *eq = strchr (pairs[i], '=');

    fail_unless (eq != NULL, "bad test pair %s", pairs[i]);
    *eq = '\0';
    spec_set (spec, pairs[i], eq + 1);
  }
  g_strfreev (pairs);
  return spec;
}

/* Reports member by member where @got and @want differ. */
static void
assert_json_object_equal (JsonObject *got, JsonObject *want, const gchar *where)
{
  GList *names = json_object_get_members (want);

  for (GList *l = names; l; l = l->next) {
    const gchar *name = l->data;
    JsonNode *g = json_object_get_member (got, name);
    JsonNode *w = json_object_get_member (want, name);

    fail_unless (g != NULL, "%s: member %s missing", where, name);
    if (JSON_NODE_HOLDS_OBJECT (w) && JSON_NODE_HOLDS_OBJECT (g)) {
      gchar *sub = g_strdup_printf ("%s.%s", where, name);
      assert_json_object_equal (json_node_get_object (g),
                                json_node_get_object (w), sub);
      g_free (sub);
    } else {
      gchar *gs = json_to_string (g, FALSE), *ws = json_to_string (w, FALSE);
      fail_unless (json_node_equal (g, w), "%s.%s: got %s, want %s", where,
                   name, gs, ws);
      g_free (gs);
      g_free (ws);
    }
  }
  g_list_free (names);
  names = json_object_get_members (got);
  for (GList *l = names; l; l = l->next) {
    fail_unless (json_object_has_member (want, l->data),
                 "%s: unexpected member %s", where, (gchar *)l->data);
  }
  g_list_free (names);
}

static void
assert_json_equal (JsonNode *got, const gchar *want_text, const gchar *what)
{
  JsonNode *want = json_from_string (want_text, NULL);
  gchar *text = json_to_string (got, FALSE);

  fail_unless (want != NULL);
  GST_INFO ("%s: %s", what, text);
  assert_json_object_equal (json_node_get_object (got),
                            json_node_get_object (want), what);
  fail_unless (json_node_equal (got, want), "%s: got %s", what, text);
  g_free (text);
  json_node_unref (want);
}

/* derive + validate must accept (with the unknown-model warning for a
 * model outside the catalogue, else none); returns the body. */
static JsonNode *
accept_spec (GstApixoRequestSpec *spec, const gchar *what)
{
  GError *err = NULL;
  gchar *warning = NULL;
  gboolean known = gst_apixo_model_lookup (spec->model) != NULL;

  gst_apixo_request_spec_derive (spec);
  fail_unless (gst_apixo_request_spec_validate (spec, &warning, &err),
               "%s rejected: %s", what, err ? err->message : "?");
  fail_unless (known == (warning == NULL), "%s: warning %s", what, warning);
  g_free (warning);
  return gst_apixo_request_spec_to_json (spec);
}

static void
assert_accepted (const gchar *desc)
{
  GstApixoRequestSpec *spec = spec_parse (desc);
  JsonNode *body = accept_spec (spec, desc);

  json_node_unref (body);
  gst_apixo_request_spec_free (spec);
}

/* derive + validate must reject with a SETTINGS error whose message holds
 * every one of @expect. */
static void
assert_spec_rejected (GstApixoRequestSpec *spec, const gchar *what,
                      const gchar *const *expect)
{
  GError *err = NULL;
  gchar *warning = NULL;

  gst_apixo_request_spec_derive (spec);
  fail_if (gst_apixo_request_spec_validate (spec, &warning, &err),
           "accepted: %s", what);
  fail_unless (err != NULL, "%s: no error", what);
  fail_unless (
      g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS),
      "%s: wrong error %s/%d", what, g_quark_to_string (err->domain),
      err->code);
  fail_unless (warning == NULL, "%s: warning on failure", what);
  GST_INFO ("%s -> %s", what, err->message);
  for (guint i = 0; expect[i]; i++) {
    fail_unless (strstr (err->message, expect[i]) != NULL,
                 "%s: message \"%s\" lacks \"%s\"", what, err->message,
                 expect[i]);
  }
  g_error_free (err);
}

static void
assert_rejected (const gchar *desc, const gchar *const *expect)
{
  GstApixoRequestSpec *spec = spec_parse (desc);

  assert_spec_rejected (spec, desc, expect);
  gst_apixo_request_spec_free (spec);
}

static gchar *
repeat (const gchar *unit, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------ */
/* Catalogue, enums, spec life cycle                                  */

GST_START_TEST (test_enums)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_APIXO_PROVIDER);

  fail_unless_equals_string (g_type_name (GST_TYPE_APIXO_PROVIDER),
                             "GstApixoProvider");
  fail_unless_equals_int (klass->n_values, 3);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "auto")->value,
                          GST_APIXO_PROVIDER_AUTO);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "value")->value,
                          GST_APIXO_PROVIDER_VALUE);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "official")->value,
                          GST_APIXO_PROVIDER_OFFICIAL);
  for (guint i = 0; i < klass->n_values; i++) {
    fail_unless (strlen (klass->values[i].value_name) > 10);
    fail_unless_equals_string (
        gst_apixo_provider_to_string (klass->values[i].value),
        klass->values[i].value_nick);
  }
  g_type_class_unref (klass);

  klass = g_type_class_ref (GST_TYPE_APIXO_REQUEST_TYPE);
  fail_unless_equals_string (g_type_name (GST_TYPE_APIXO_REQUEST_TYPE),
                             "GstApixoRequestType");
  fail_unless_equals_int (klass->n_values, 2);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "async")->value,
                          GST_APIXO_REQUEST_TYPE_ASYNC);
  fail_unless_equals_int (g_enum_get_value_by_nick (klass, "callback")->value,
                          GST_APIXO_REQUEST_TYPE_CALLBACK);
  g_type_class_unref (klass);

  fail_unless_equals_string (
      gst_apixo_request_type_to_string (GST_APIXO_REQUEST_TYPE_ASYNC), "async");
  fail_unless_equals_string (
      gst_apixo_request_type_to_string (GST_APIXO_REQUEST_TYPE_CALLBACK),
      "callback");
  fail_unless (gst_apixo_provider_to_string (42) == NULL);
  fail_unless (gst_apixo_request_type_to_string (42) == NULL);
}
GST_END_TEST;

GST_START_TEST (test_catalogue)
{
  static const struct {
    const gchar *id;
    guint rpm, concurrent;
    gboolean audio;
  } want[] = {
    { "wan-2-5", 10000, 1000, TRUE },
    { "wan-2-5-video", 10000, 1000, TRUE },
    { "veo-3-1", 10000, 1000, TRUE },
    { "sora-2-pro", 60, 10, TRUE },
    { "wan-2-2-animate", 10000, 1000, FALSE },
  };
  const gchar *const *ids = gst_apixo_model_list ();

  fail_unless_equals_int (g_strv_length ((gchar **)ids), G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    const GstApixoModelInfo *info = gst_apixo_model_lookup (want[i].id);

    fail_unless_equals_string (ids[i], want[i].id);
    fail_unless (info != NULL);
    fail_unless_equals_string (info->id, want[i].id);
    fail_unless_equals_int (info->requests_per_minute, want[i].rpm);
    fail_unless_equals_int (info->concurrent_tasks, want[i].concurrent);
    fail_unless_equals_int (info->has_audio, want[i].audio);
    fail_unless (info->description && strlen (info->description) > 20);
  }
  fail_unless (gst_apixo_model_lookup ("foo-9") == NULL);
  fail_unless (gst_apixo_model_lookup ("") == NULL);
  fail_unless (gst_apixo_model_lookup (NULL) == NULL);
}
GST_END_TEST;

GST_START_TEST (test_spec_copy)
{
  GstApixoRequestSpec *spec = spec_parse (
      "model=veo-3-1|mode=fast|prompt=p|negative-prompt=n|resolution=r|"
      "duration=5|aspect-ratio=16:9|size=s|image-uris=https://a/1,https://a/2|"
      "video-uris=https://a/v|audio-uri=https://a/m.mp3|seed=7|"
      "prompt-extend=false|watermark=true|watermark-text=w|"
      "generation-type=REFERENCE_2_VIDEO|type=t|provider=value|"
      "request-type=callback|callback-url=https://cb/x|"
      "extra-input=x, a=(int)1");
  GstApixoRequestSpec *copy = gst_apixo_request_spec_copy (spec);
  JsonNode *a, *b;

  fail_unless (copy->model != spec->model);
  fail_unless (copy->image_uris != spec->image_uris);
  fail_unless (copy->extra_input != spec->extra_input);
  fail_unless_equals_string (copy->image_uris[1], "https://a/2");
  fail_unless_equals_int (copy->seed, 7);
  fail_unless (copy->seed_set && copy->prompt_extend_set && copy->watermark);
  fail_unless (gst_structure_is_equal (copy->extra_input, spec->extra_input));
  a = gst_apixo_request_spec_to_json (spec);
  gst_apixo_request_spec_free (spec);
  b = gst_apixo_request_spec_to_json (copy);
  fail_unless (json_node_equal (a, b));
  json_node_unref (a);
  json_node_unref (b);
  gst_apixo_request_spec_free (copy);
  gst_apixo_request_spec_free (NULL);

  spec = gst_apixo_request_spec_new ();
  fail_unless (spec->provider == GST_APIXO_PROVIDER_AUTO &&
               !spec->provider_set);
  fail_unless (spec->request_type == GST_APIXO_REQUEST_TYPE_ASYNC);
  fail_unless (!spec->seed_set && spec->duration == 0);
  copy = gst_apixo_request_spec_copy (spec);
  gst_apixo_request_spec_free (spec);
  gst_apixo_request_spec_free (copy);
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Every example request of the pages                                 */

typedef struct {
  const gchar *what;
  const gchar *desc;    /* exactly the fields the example shows */
  const gchar *minimal; /* the same with what derive() fills in left out */
  const gchar *json;    /* the example's body, verbatim */
} Example;

/* The pages' example bodies, verbatim (wan-2-5.txt, wan-2-5-video.txt,
 * veo-3-1.txt, sora-2-pro.txt, wan-2-2-animate.txt, in page order). */
#define EX0                                                                    \
  "{\"request_type\":\"async\",\"provider\":\"value\",\"input\":{\"mode\":"    \
  "\"text-to-video\",\"prompt\":\"a serene mountain landscape with moving "    \
  "clouds and gentle "                                                         \
  "breeze\",\"resolution\":\"1080p\",\"duration\":10,\"aspect_ratio\":\"16:"   \
  "9\",\"negative_prompt\":\"low quality, "                                    \
  "blurry\",\"enable_prompt_expansion\":true}}"
#define EX1                                                                    \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "callback\",\"provider\":\"official\",\"input\":{\"mode\":\"image-to-"       \
  "video\",\"prompt\":\"make this picture into a smooth cinematic shot with "  \
  "camera slowly zooming "                                                     \
  "in\",\"resolution\":\"720p\",\"duration\":5,\"image_urls\":[\"https://"     \
  "example.com/ref.jpg\"],\"enable_prompt_expansion\":false,\"seed\":42}}"
#define EX2                                                                    \
  "{\"request_type\":\"async\",\"input\":{\"mode\":\"text-to-video\","         \
  "\"prompt\":\"a cinematic shot of clouds drifting over a quiet mountain "    \
  "lake\",\"audio_urls\":[\"https://example.com/"                              \
  "music.mp3\"],\"resolution\":\"720p\",\"duration\":5,\"aspect_ratio\":\"16:" \
  "9\",\"prompt_extend\":true}}"
#define EX3                                                                    \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "webhooks/apixo\",\"input\":{\"mode\":\"text-to-video\",\"prompt\":\"a "     \
  "polished product demo video with gentle camera "                            \
  "movement\",\"resolution\":\"720p\",\"duration\":5,\"aspect_ratio\":\"16:"   \
  "9\"}}"
#define EX4                                                                    \
  "{\"request_type\":\"async\",\"input\":{\"mode\":\"text-to-video\","         \
  "\"prompt\":\"a serene mountain landscape with moving clouds and gentle "    \
  "breeze\",\"audio_urls\":[\"https://example.com/"                            \
  "music.mp3\"],\"resolution\":\"480p\",\"duration\":5,\"aspect_ratio\":\"1:"  \
  "1\",\"prompt_extend\":true,\"negative_prompt\":\"low quality, "             \
  "blurry\",\"watermark\":false,\"seed\":20260413}}"
#define EX5                                                                    \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "webhooks/"                                                                  \
  "apixo\",\"input\":{\"mode\":\"image-to-video\",\"image_urls\":[\"https://"  \
  "example.com/reference.png\"],\"prompt\":\"turn this photo into a smooth "   \
  "cinematic shot with a slow push-in camera "                                 \
  "move\",\"audio_urls\":[\"https://example.com/"                              \
  "music.mp3\"],\"resolution\":\"1080p\",\"duration\":10}}"
#define EX6                                                                    \
  "{\"request_type\":\"async\",\"input\":{\"mode\":\"quality\",\"prompt\":"    \
  "\"a cinematic flyover of a futuristic city at "                             \
  "sunrise\",\"generationType\":\"TEXT_2_VIDEO\",\"aspect_ratio\":\"16:9\"}}"
#define EX7                                                                    \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "callback\",\"input\":{\"mode\":\"quality\",\"prompt\":\"a calm ocean "      \
  "turning into a "                                                            \
  "storm\",\"generationType\":\"FIRST_AND_LAST_FRAMES_2_VIDEO\",\"image_"      \
  "urls\":[\"https://example.com/frame_start.jpg\",\"https://example.com/"     \
  "frame_end.jpg\"],\"aspect_ratio\":\"9:16\"}}"
#define EX8                                                                    \
  "{\"request_type\":\"async\",\"input\":{\"mode\":\"fast\",\"prompt\":"       \
  "\"turn this sequence into a dynamic action "                                \
  "shot\",\"generationType\":\"REFERENCE_2_VIDEO\",\"image_urls\":[\"https://" \
  "example.com/ref1.jpg\",\"https://example.com/"                              \
  "ref2.jpg\"],\"aspect_ratio\":\"16:9\"}}"
#define EX9                                                                    \
  "{\"request_type\":\"async\",\"provider\":\"official\",\"input\":{\"mode\":" \
  "\"text-to-video\",\"prompt\":\"a cinematic tracking shot of a futuristic "  \
  "city with flying cars\",\"duration\":8,\"size\":\"1280*720\"}}"
#define EX10                                                                   \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "callback\",\"provider\":\"official\",\"input\":{\"mode\":\"image-to-"       \
  "video\",\"prompt\":\"make this image come alive with subtle "               \
  "motion\",\"duration\":12,\"resolution\":\"1080p\",\"image_urls\":[\"https:" \
  "//example.com/reference_image.jpg\"]}}"
#define EX11                                                                   \
  "{\"request_type\":\"async\",\"provider\":\"official\",\"input\":{\"mode\":" \
  "\"standard\",\"type\":\"animate\",\"image_urls\":[\"https://example.com/"   \
  "character.png\"],\"video_urls\":[\"https://example.com/"                    \
  "motion.mp4\"],\"prompt\":\"keep the face stable and follow the motion "     \
  "naturally\",\"resolution\":\"480p\",\"seed\":-1}}"
#define EX12                                                                   \
  "{\"request_type\":\"callback\",\"callback_url\":\"https://your-server.com/" \
  "callback\",\"provider\":\"official\",\"input\":{\"mode\":\"standard\","     \
  "\"type\":\"replace\",\"image_urls\":[\"https://example.com/"                \
  "character.png\"],\"video_urls\":[\"https://example.com/"                    \
  "motion.mp4\"],\"prompt\":\"replace the person in the motion video with "    \
  "the provided character\",\"resolution\":\"720p\",\"seed\":42}}"

#define WAN_PROMPT_SERENE                                                      \
  "prompt=a serene mountain landscape with moving clouds and gentle breeze"

static const Example EXAMPLES[] = {
  { "wan-2-5 Text-to-Video",
    "model=wan-2-5|provider=value|mode=text-to-video|" WAN_PROMPT_SERENE
    "|resolution=1080p|duration=10|aspect-ratio=16:9|"
    "negative-prompt=low quality, blurry|prompt-extend=true",
    "mode=", EX0 },
  { "wan-2-5 Image-to-Video",
    "model=wan-2-5|request-type=callback|"
    "callback-url=https://your-server.com/callback|provider=official|"
    "mode=image-to-video|prompt=make this picture into a smooth cinematic "
    "shot with camera slowly zooming in|resolution=720p|duration=5|"
    "image-uris=https://example.com/ref.jpg|prompt-extend=false|seed=42",
    "mode=", EX1 },
  { "wan-2-5-video async quickstart",
    "model=wan-2-5-video|mode=text-to-video|prompt=a cinematic shot of clouds "
    "drifting over a quiet mountain lake|"
    "audio-uri=https://example.com/music.mp3|resolution=720p|duration=5|"
    "aspect-ratio=16:9|prompt-extend=true",
    "mode=", EX2 },
  { "wan-2-5-video Webhook callback mode",
    "model=wan-2-5-video|request-type=callback|"
    "callback-url=https://your-server.com/webhooks/apixo|mode=text-to-video|"
    "prompt=a polished product demo video with gentle camera movement|"
    "resolution=720p|duration=5|aspect-ratio=16:9",
    "mode=", EX3 },
  { "wan-2-5-video Request body Text-to-video",
    "model=wan-2-5-video|mode=text-to-video|" WAN_PROMPT_SERENE
    "|audio-uri=https://example.com/music.mp3|resolution=480p|duration=5|"
    "aspect-ratio=1:1|prompt-extend=true|negative-prompt=low quality, blurry|"
    "watermark=false|seed=20260413",
    "mode=", EX4 },
  { "wan-2-5-video Request body Image-to-video",
    "model=wan-2-5-video|request-type=callback|"
    "callback-url=https://your-server.com/webhooks/apixo|mode=image-to-video|"
    "image-uris=https://example.com/reference.png|prompt=turn this photo "
    "into a smooth cinematic shot with a slow push-in camera move|"
    "audio-uri=https://example.com/music.mp3|resolution=1080p|duration=10",
    "mode=", EX5 },
  { "veo-3-1 TEXT_2_VIDEO",
    "model=veo-3-1|mode=quality|prompt=a cinematic flyover of a futuristic "
    "city at sunrise|generation-type=TEXT_2_VIDEO|aspect-ratio=16:9",
    "mode=|generation-type=", EX6 },
  { "veo-3-1 FIRST_AND_LAST_FRAMES_2_VIDEO",
    "model=veo-3-1|request-type=callback|"
    "callback-url=https://your-server.com/callback|mode=quality|"
    "prompt=a calm ocean turning into a storm|"
    "generation-type=FIRST_AND_LAST_FRAMES_2_VIDEO|"
    "image-uris=https://example.com/frame_start.jpg,"
    "https://example.com/frame_end.jpg|aspect-ratio=9:16",
    "mode=|generation-type=", EX7 },
  { "veo-3-1 REFERENCE_2_VIDEO",
    "model=veo-3-1|mode=fast|prompt=turn this sequence into a dynamic "
    "action shot|generation-type=REFERENCE_2_VIDEO|"
    "image-uris=https://example.com/ref1.jpg,https://example.com/ref2.jpg|"
    "aspect-ratio=16:9",
    "mode=|aspect-ratio=", EX8 },
  { "sora-2-pro Text-to-Video",
    "model=sora-2-pro|provider=official|mode=text-to-video|prompt=a "
    "cinematic tracking shot of a futuristic city with flying cars|"
    "duration=8|size=1280*720",
    "mode=|provider=", EX9 },
  { "sora-2-pro Image-to-Video",
    "model=sora-2-pro|request-type=callback|"
    "callback-url=https://your-server.com/callback|provider=official|"
    "mode=image-to-video|prompt=make this image come alive with subtle "
    "motion|duration=12|resolution=1080p|"
    "image-uris=https://example.com/reference_image.jpg",
    "mode=|provider=", EX10 },
  { "wan-2-2-animate Animate",
    "model=wan-2-2-animate|provider=official|mode=standard|type=animate|"
    "image-uris=https://example.com/character.png|"
    "video-uris=https://example.com/motion.mp4|prompt=keep the face stable "
    "and follow the motion naturally|resolution=480p|seed=-1",
    "mode=|type=", EX11 },
  { "wan-2-2-animate Replace",
    "model=wan-2-2-animate|request-type=callback|"
    "callback-url=https://your-server.com/callback|provider=official|"
    "mode=standard|type=replace|image-uris=https://example.com/character.png|"
    "video-uris=https://example.com/motion.mp4|prompt=replace the person in "
    "the motion video with the provided character|resolution=720p|seed=42",
    "mode=", EX12 },
};

/* Removes the keys listed in @minimal ("mode=|type=") from @desc. */
static gchar *
strip_keys (const gchar *desc, const gchar *minimal)
{
  gchar **pairs = g_strsplit (desc, "|", -1);
  gchar **drop = g_strsplit (minimal, "|", -1);
  GPtrArray *keep = g_ptr_array_new ();
  gchar *out;

  for (guint i = 0; pairs[i]; i++) {
    gboolean dropped = FALSE;

    for (guint j = 0; drop[j]; j++)
      dropped = dropped || g_str_has_prefix (pairs[i], drop[j]);
    if (!dropped)
      g_ptr_array_add (keep, pairs[i]);
  }
  g_ptr_array_add (keep, NULL);
  out = g_strjoinv ("|", (gchar **)keep->pdata);
  g_ptr_array_free (keep, TRUE);
  g_strfreev (pairs);
  g_strfreev (drop);
  return out;
}

GST_START_TEST (test_page_examples)
{
  for (guint i = 0; i < G_N_ELEMENTS (EXAMPLES); i++) {
    const Example *ex = &EXAMPLES[i];
    GstApixoRequestSpec *spec = spec_parse (ex->desc);
    JsonNode *body = accept_spec (spec, ex->what);

    assert_json_equal (body, ex->json, ex->what);
    json_node_unref (body);
    gst_apixo_request_spec_free (spec);
  }
}
GST_END_TEST;

/* The same bodies when the user leaves what derive() knows unset. */
GST_START_TEST (test_page_examples_derived)
{
  for (guint i = 0; i < G_N_ELEMENTS (EXAMPLES); i++) {
    const Example *ex = &EXAMPLES[i];
    gchar *desc, *what;
    GstApixoRequestSpec *spec;
    JsonNode *body;

    if (ex->minimal == NULL)
      continue;
    desc = strip_keys (ex->desc, ex->minimal);
    what = g_strdup_printf ("%s (derived)", ex->what);
    spec = spec_parse (desc);
    fail_unless (spec->mode == NULL);
    body = accept_spec (spec, what);
    assert_json_equal (body, ex->json, what);
    json_node_unref (body);
    gst_apixo_request_spec_free (spec);
    g_free (desc);
    g_free (what);
  }
}
GST_END_TEST;

/* The pages' "Request Body" schema blocks show every field at once; the
 * animate one pairs callback_url with request_type async, which we refuse
 * on purpose (the service would never call that URL). */
GST_START_TEST (test_schema_block_callback_without_callback)
{
  static const gchar *const expect[] = { "callback-url",
                                         "'https://your-server.com/callback'",
                                         "request-type", NULL };

  assert_rejected (
      "model=wan-2-2-animate|callback-url=https://your-server.com/callback|"
      "provider=official|mode=standard|type=animate|"
      "image-uris=https://example.com/character.png|"
      "video-uris=https://example.com/motion.mp4|prompt=keep the face stable "
      "and follow the motion naturally|resolution=480p|seed=-1",
      expect);
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Validation: every rule rejects, naming property, value and allowed */

#define WAN25 "model=wan-2-5|prompt=a lake"
#define WAN25_I2V WAN25 "|image-uris=https://e.com/a.png"
#define WAN25V "model=wan-2-5-video|prompt=a lake"
#define WAN25V_I2V WAN25V "|image-uris=https://e.com/a.png"
#define VEO "model=veo-3-1|prompt=a lake"
#define VEO_REF VEO "|generation-type=REFERENCE_2_VIDEO|image-uris=https://e/1"
#define SORA "model=sora-2-pro|prompt=a lake"
#define SORA_I2V SORA "|image-uris=https://e.com/a.png"
#define ANIMATE                                                                \
  "model=wan-2-2-animate|image-uris=https://e.com/c.png|"                      \
  "video-uris=https://e.com/m.mp4"

typedef struct {
  const gchar *desc;
  const gchar *expect[6]; /* NULL-terminated */
} Rejection;

static const Rejection REJECTIONS[] = {
  /* model id shape */
  { "model=Wan-2-5|prompt=x", { "model", "'Wan-2-5'", "lowercase" } },
  { "model=-wan|prompt=x", { "model", "'-wan'" } },
  { "model=wan 2|prompt=x", { "model", "'wan 2'" } },
  { "model=wan/../x|prompt=x", { "model", "'wan/../x'" } },
  { "model=|prompt=x", { "model", "''", "known: wan-2-5" } },
  /* mode per model */
  { WAN25 "|mode=video",
    { "mode", "'video'", "wan-2-5", "text-to-video, image-to-video" } },
  { WAN25V "|mode=txt2vid", { "mode", "'txt2vid'", "wan-2-5-video" } },
  { VEO "|mode=standard",
    { "mode", "'standard'", "veo-3-1", "quality, fast" } },
  { SORA "|mode=fast", { "mode", "'fast'", "sora-2-pro" } },
  { ANIMATE "|mode=fast", { "mode", "'fast'", "wan-2-2-animate", "standard" } },
  /* prompt required / non-empty / length */
  { "model=wan-2-5", { "prompt", "wan-2-5 text-to-video", "requires" } },
  { "model=wan-2-5-video", { "prompt", "text-to-video" } },
  { WAN25V "|prompt=   ", { "prompt", "'   '", "empty" } },
  { WAN25V_I2V "|prompt=", { "prompt", "''", "empty", "left unset" } },
  { "model=veo-3-1", { "prompt", "veo-3-1 TEXT_2_VIDEO" } },
  { "model=veo-3-1|image-uris=https://e/1,https://e/2",
    { "prompt", "FIRST_AND_LAST_FRAMES_2_VIDEO" } },
  { "model=sora-2-pro", { "prompt", "sora-2-pro text-to-video" } },
  { "model=sora-2-pro|image-uris=https://e/1",
    { "prompt", "sora-2-pro image-to-video" } },
  { ANIMATE "|prompt=", { "prompt", "''", "empty" } },
  { ANIMATE "|prompt=\t\n", { "prompt", "empty" } },
  /* resolutions */
  { WAN25 "|resolution=480p",
    { "resolution", "'480p'", "wan-2-5", "720p, 1080p" } },
  { WAN25V "|resolution=4k",
    { "resolution", "'4k'", "wan-2-5-video", "480p, 720p, 1080p" } },
  { WAN25V_I2V "|resolution=1440p", { "resolution", "'1440p'" } },
  { SORA_I2V "|resolution=480p",
    { "resolution", "'480p'", "sora-2-pro image-to-video", "720p, 1080p" } },
  { ANIMATE "|resolution=1080p",
    { "resolution", "'1080p'", "wan-2-2-animate", "480p, 720p" } },
  { VEO "|resolution=720p",
    { "resolution", "'720p'", "not used by veo-3-1", "extra-input" } },
  /* sora: size vs resolution by mode */
  { SORA "|size=640*480",
    { "size", "'640*480'", "720*1280, 1280*720, 1024*1792, 1792*1024" } },
  { SORA "|resolution=720p",
    { "resolution", "'720p'", "not used by sora-2-pro text-to-video" } },
  { SORA_I2V "|size=1280*720",
    { "size", "'1280*720'", "not used by sora-2-pro image-to-video",
      "sora-2-pro (text-to-video)" } },
  { SORA "|size=1280*720|resolution=720p",
    { "size", "'1280*720'", "resolution", "'720p'", "both" } },
  { SORA_I2V "|size=1280*720|resolution=720p", { "both" } },
  { WAN25 "|size=1280*720",
    { "size", "'1280*720'", "not used by wan-2-5 ",
      "sora-2-pro (text-to-video)" } },
  { ANIMATE "|size=1280*720", { "size", "not used by wan-2-2-animate" } },
  /* provider */
  { SORA "|provider=auto", { "provider", "'auto'", "sora-2-pro", "official" } },
  { SORA "|provider=value", { "provider", "'value'", "official" } },
  { WAN25 "|provider=7", { "provider", "7", "auto, value, official" } },
  /* durations */
  { WAN25 "|duration=7", { "duration", "7", "wan-2-5", "5, 10" } },
  { WAN25V "|duration=15", { "duration", "15", "5, 10" } },
  { SORA "|duration=10", { "duration", "10", "sora-2-pro", "4, 8, 12" } },
  { VEO "|duration=8", { "duration", "8", "not used by veo-3-1" } },
  { ANIMATE "|duration=5", { "duration", "5", "not used by wan-2-2-animate" } },
  { WAN25 "|duration=-5", { "duration", "-5" } },
  /* aspect ratios */
  { WAN25 "|aspect-ratio=4:3",
    { "aspect-ratio", "'4:3'", "wan-2-5", "16:9, 9:16, 1:1" } },
  { WAN25 "|resolution=720p|aspect-ratio=21:9",
    { "aspect-ratio", "'21:9'", "720p" } },
  { WAN25V "|resolution=480p|aspect-ratio=4:3",
    { "aspect-ratio", "'4:3'", "480p", "16:9, 9:16, 1:1)" } },
  { WAN25V "|resolution=480p|aspect-ratio=3:4", { "aspect-ratio", "'3:4'" } },
  { WAN25V "|aspect-ratio=2:1",
    { "aspect-ratio", "'2:1'", "1080p (the default resolution)",
      "16:9, 9:16, 1:1, 4:3, 3:4" } },
  { WAN25V_I2V "|aspect-ratio=16:9",
    { "aspect-ratio", "'16:9'", "not used by wan-2-5-video image-to-video",
      "wan-2-5-video (text-to-video)" } },
  { VEO "|aspect-ratio=1:1",
    { "aspect-ratio", "'1:1'", "veo-3-1 TEXT_2_VIDEO", "16:9, 9:16" } },
  { VEO_REF "|aspect-ratio=9:16",
    { "aspect-ratio", "'9:16'", "REFERENCE_2_VIDEO", "(allowed: 16:9)" } },
  { SORA "|aspect-ratio=16:9",
    { "aspect-ratio", "'16:9'", "not used by sora-2-pro" } },
  { ANIMATE "|aspect-ratio=16:9",
    { "aspect-ratio", "not used by wan-2-2-animate" } },
  /* veo generation types and their rules */
  { VEO "|generation-type=IMAGE_2_VIDEO",
    { "generation-type", "'IMAGE_2_VIDEO'",
      "TEXT_2_VIDEO, FIRST_AND_LAST_FRAMES_2_VIDEO, REFERENCE_2_VIDEO" } },
  { VEO_REF "|mode=quality",
    { "mode", "'quality'", "veo-3-1 REFERENCE_2_VIDEO", "(allowed: fast)" } },
  { VEO "|generation-type=TEXT_2_VIDEO|image-uris=https://e/1",
    { "image-uris", "'https://e/1'", "not used by veo-3-1 TEXT_2_VIDEO" } },
  { VEO "|generation-type=FIRST_AND_LAST_FRAMES_2_VIDEO",
    { "image-uris", "empty", "FIRST_AND_LAST_FRAMES_2_VIDEO", "1 to 2" } },
  { VEO "|generation-type=FIRST_AND_LAST_FRAMES_2_VIDEO|"
        "image-uris=https://e/1,https://e/2,https://e/3",
    { "image-uris", "'https://e/3'", "3 URIs", "1 to 2" } },
  { VEO "|generation-type=REFERENCE_2_VIDEO",
    { "image-uris", "empty", "REFERENCE_2_VIDEO", "1 to 3" } },
  { VEO "|image-uris=https://e/1,https://e/2,https://e/3,https://e/4",
    { "image-uris", "4 URIs", "REFERENCE_2_VIDEO", "1 to 3" } },
  { WAN25 "|generation-type=TEXT_2_VIDEO",
    { "generation-type", "'TEXT_2_VIDEO'", "not used by wan-2-5 ",
      "used by: veo-3-1" } },
  /* image counts per mode */
  { WAN25V "|mode=image-to-video",
    { "image-uris", "empty", "wan-2-5-video image-to-video", "exactly 1" } },
  { WAN25V "|image-uris=https://e/1,https://e/2",
    { "image-uris", "'https://e/1', 'https://e/2'", "2 URIs", "exactly 1" } },
  { WAN25V_I2V "|mode=text-to-video",
    { "image-uris", "'https://e.com/a.png'",
      "not used by wan-2-5-video text-to-video" } },
  { WAN25 "|mode=image-to-video", { "image-uris", "empty", "exactly 1" } },
  { WAN25 "|image-uris=https://e/1,https://e/2", { "image-uris", "2 URIs" } },
  { WAN25_I2V "|mode=text-to-video",
    { "image-uris", "not used by wan-2-5 text-to-video" } },
  { SORA "|image-uris=https://e/1,https://e/2",
    { "image-uris", "2 URIs", "sora-2-pro image-to-video", "exactly 1" } },
  { SORA_I2V "|mode=text-to-video",
    { "image-uris", "not used by sora-2-pro text-to-video" } },
  /* animate: one image and one video, type, mode */
  { "model=wan-2-2-animate|video-uris=https://e.com/m.mp4",
    { "image-uris", "empty", "wan-2-2-animate", "exactly 1" } },
  { ANIMATE "|image-uris=https://e/1,https://e/2",
    { "image-uris", "2 URIs", "exactly 1" } },
  { "model=wan-2-2-animate|image-uris=https://e.com/c.png",
    { "video-uris", "empty", "wan-2-2-animate", "exactly 1" } },
  { ANIMATE "|video-uris=https://e/1,https://e/2",
    { "video-uris", "'https://e/1', 'https://e/2'", "2 URIs", "exactly 1" } },
  { ANIMATE "|type=dance",
    { "type", "'dance'", "wan-2-2-animate", "animate, replace" } },
  { WAN25 "|type=animate",
    { "type", "'animate'", "not used by wan-2-5 ", "wan-2-2-animate" } },
  { WAN25 "|video-uris=https://e/v.mp4",
    { "video-uris", "'https://e/v.mp4'", "not used by wan-2-5 ",
      "used by: wan-2-2-animate" } },
  { VEO "|video-uris=https://e/v.mp4", { "video-uris", "veo-3-1" } },
  /* audio-uri only for wan-2-5-video */
  { WAN25 "|audio-uri=https://e/a.mp3",
    { "audio-uri", "'https://e/a.mp3'", "not used by wan-2-5 ",
      "used by: wan-2-5-video" } },
  { VEO "|audio-uri=https://e/a.mp3", { "audio-uri", "veo-3-1" } },
  { SORA "|audio-uri=https://e/a.mp3", { "audio-uri", "sora-2-pro" } },
  { ANIMATE "|audio-uri=https://e/a.mp3", { "audio-uri", "wan-2-2-animate" } },
  /* watermark (boolean) only wan-2-5-video, watermark-text only veo */
  { WAN25 "|watermark=true",
    { "watermark true", "not used by wan-2-5 ", "used by: wan-2-5-video" } },
  { VEO "|watermark=false", { "watermark false", "not used by veo-3-1" } },
  { SORA "|watermark=true", { "watermark", "sora-2-pro" } },
  { ANIMATE "|watermark=true", { "watermark", "wan-2-2-animate" } },
  { WAN25V "|watermark-text=ACME",
    { "watermark-text", "'ACME'", "not used by wan-2-5-video",
      "used by: veo-3-1" } },
  { WAN25 "|watermark-text=ACME", { "watermark-text", "wan-2-5" } },
  { SORA "|watermark-text=ACME", { "watermark-text", "sora-2-pro" } },
  { ANIMATE "|watermark-text=ACME", { "watermark-text", "wan-2-2-animate" } },
  /* prompt-extend only wan-2-5 / wan-2-5-video */
  { VEO "|prompt-extend=true",
    { "prompt-extend true", "not used by veo-3-1",
      "used by: wan-2-5; wan-2-5-video" } },
  { SORA "|prompt-extend=false", { "prompt-extend false", "sora-2-pro" } },
  { ANIMATE "|prompt-extend=true", { "prompt-extend", "wan-2-2-animate" } },
  /* negative-prompt only wan-2-5 / wan-2-5-video */
  { VEO "|negative-prompt=blurry",
    { "negative-prompt", "'blurry'", "not used by veo-3-1",
      "used by: wan-2-5; wan-2-5-video" } },
  { SORA "|negative-prompt=blurry", { "negative-prompt", "sora-2-pro" } },
  { ANIMATE "|negative-prompt=blurry",
    { "negative-prompt", "wan-2-2-animate" } },
  /* seed ranges */
  { WAN25V "|seed=-1", { "seed", "-1", "wan-2-5-video", "0..2147483647" } },
  { WAN25V "|seed=2147483648", { "seed", "2147483648", "0..2147483647" } },
  { WAN25 "|seed=-1", { "seed", "-1", "wan-2-5", "0..2147483647" } },
  { VEO "|seed=-7", { "seed", "-7", "veo-3-1", "0..2147483647" } },
  { VEO "|seed=9999999999", { "seed", "9999999999" } },
  { ANIMATE "|seed=-2", { "seed", "-2", "-1..2147483647" } },
  { ANIMATE "|seed=2147483648", { "seed", "2147483648", "-1..2147483647" } },
  { SORA "|seed=5", { "seed 5", "not used by sora-2-pro" } },
  /* request-type and callback-url */
  { WAN25 "|request-type=callback",
    { "request-type", "'callback'", "callback-url", "https" } },
  { WAN25 "|request-type=callback|callback-url=",
    { "request-type", "callback-url" } },
  { WAN25 "|callback-url=https://e.com/cb",
    { "callback-url", "'https://e.com/cb'", "request-type", "'async'" } },
  { WAN25 "|request-type=callback|callback-url=http://example.com/cb",
    { "callback-url", "'http://example.com/cb'", "https", "loopback" } },
  { WAN25 "|request-type=callback|callback-url=http://10.0.0.1/cb",
    { "callback-url", "'http://10.0.0.1/cb'" } },
  { WAN25 "|request-type=callback|callback-url=ftp://e.com/cb",
    { "callback-url", "'ftp://e.com/cb'", "https" } },
  { WAN25 "|request-type=callback|callback-url=https:///cb",
    { "callback-url", "'https:///cb'" } },
  { WAN25 "|request-type=callback|callback-url=cb",
    { "callback-url", "'cb'" } },
  { WAN25 "|request-type=callback|callback-url=https://e.com/a b",
    { "callback-url", "'https://e.com/a b'", "white space" } },
  /* URIs: http(s) or file:// only */
  { WAN25 "|image-uris=ftp://e.com/a.png",
    { "image-uris", "'ftp://e.com/a.png'", "http:// or https://",
      "file:///" } },
  { WAN25 "|image-uris=data:image/png;base64,AAAA",
    { "image-uris", "'data:image/png;base64'" } },
  { WAN25 "|image-uris=/tmp/a.png", { "image-uris", "'/tmp/a.png'" } },
  { WAN25 "|image-uris=https:///a.png", { "image-uris", "'https:///a.png'" } },
  { WAN25 "|image-uris=https://e.com/my image.png",
    { "image-uris", "'https://e.com/my image.png'", "white space", "%20" } },
  { WAN25 "|image-uris=https://e.com/a%zz.png",
    { "image-uris", "'https://e.com/a%zz.png'", "not a valid URI" } },
  { WAN25 "|image-uris=file://otherhost/tmp/a.png",
    { "image-uris", "'file://otherhost/tmp/a.png'" } },
  { WAN25 "|image-uris=https://e/1,", { "image-uris", "''" } },
  { ANIMATE "|video-uris=rtsp://e.com/m",
    { "video-uris", "'rtsp://e.com/m'" } },
  { WAN25V "|audio-uri=s3://bucket/a.mp3",
    { "audio-uri", "'s3://bucket/a.mp3'", "http" } },
  /* extra-input values without a JSON form */
  { WAN25 "|extra-input=x, f=(fraction)1/2",
    { "extra-input", "field 'f'", "'1/2'", "GstFraction", "allowed" } },
  { WAN25 "|extra-input=x, d=(double)NaN", { "extra-input", "field 'd'" } },
  { WAN25 "|extra-input=x, a=(fraction){1/2, 1/3}",
    { "extra-input", "field 'a'" } },
  { WAN25 "|extra-input=x, u=(guint64)18446744073709551615",
    { "extra-input", "field 'u'", "18446744073709551615" } },
};

GST_START_TEST (test_rejections)
{
  for (guint i = 0; i < G_N_ELEMENTS (REJECTIONS); i++)
    assert_rejected (REJECTIONS[i].desc, REJECTIONS[i].expect);
}
GST_END_TEST;

static const gchar *const ACCEPTED[] = {
  WAN25,
  WAN25_I2V,                                      /* prompt optional ... */
  "model=wan-2-5|image-uris=https://e.com/a.png", /* ... for image-to-video */
  WAN25 "|resolution=720p|aspect-ratio=9:16|duration=5",
  WAN25_I2V "|aspect-ratio=1:1",
  WAN25 "|seed=0",
  WAN25 "|seed=2147483647",
  WAN25V "|resolution=480p|aspect-ratio=1:1",
  WAN25V "|resolution=720p|aspect-ratio=4:3",
  WAN25V "|resolution=720p|aspect-ratio=3:4",
  WAN25V "|resolution=1080p|aspect-ratio=4:3",
  WAN25V "|aspect-ratio=3:4", /* default resolution 1080p */
  "model=wan-2-5-video|image-uris=https://e.com/a.png",
  WAN25V_I2V "|audio-uri=https://e.com/a.wav|watermark=true",
  WAN25V "|seed=0",
  WAN25V "|seed=2147483647",
  WAN25V "|prompt=雲が山の湖の上を流れる",
  VEO,
  VEO "|mode=fast|aspect-ratio=9:16",
  VEO "|image-uris=https://e/1", /* first frame only */
  VEO "|image-uris=https://e/1|mode=fast",
  VEO "|image-uris=https://e/1,https://e/2,https://e/3",
  VEO_REF,
  VEO "|watermark-text=|seed=0",
  VEO "|watermark-text=ACME|seed=2147483647",
  SORA,
  SORA "|size=720*1280|duration=12",
  SORA "|size=1024*1792",
  SORA "|size=1792*1024|duration=4",
  SORA_I2V,
  SORA_I2V "|resolution=1080p|duration=8",
  SORA "|provider=official",
  ANIMATE,
  ANIMATE "|type=replace|resolution=720p|seed=-1",
  ANIMATE "|resolution=480p|seed=2147483647|prompt=x",
  ANIMATE "|provider=value",
  ANIMATE "|provider=auto",
  WAN25 "|provider=value",
  WAN25 "|request-type=callback|callback-url=https://e.com/cb?x=1",
  WAN25 "|request-type=callback|callback-url=http://127.0.0.1:8080/cb",
  WAN25 "|request-type=callback|callback-url=http://localhost/cb",
  WAN25 "|request-type=callback|callback-url=http://[::1]:9000/cb",
  WAN25 "|request-type=callback|callback-url=http://127.1.2.3/cb",
  WAN25 "|request-type=callback|callback-url=HTTPS://E.com/cb",
  WAN25 "|image-uris=HTTP://e.com/a%20b.png",
  WAN25 "|image-uris=https://e.com/café.png",
  WAN25 "|extra-input=x, f=(string)y, n=(int)3, b=(boolean)true",
};

GST_START_TEST (test_accepted)
{
  for (guint i = 0; i < G_N_ELEMENTS (ACCEPTED); i++)
    assert_accepted (ACCEPTED[i]);
}
GST_END_TEST;

/* wan-2-5-video counts characters (UTF-8 code points), not bytes. */
GST_START_TEST (test_text_limits)
{
  static const struct {
    const gchar *key, *unit;
    guint max;
  } limits[] = {
    { "prompt", "a", 1500 },         { "prompt", "é", 1500 },
    { "prompt", "雲", 1500 },        { "prompt", "😀", 1500 },
    { "negative-prompt", "b", 500 }, { "negative-prompt", "ü", 500 },
    { "negative-prompt", "😀", 500 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++) {
    gchar *at = repeat (limits[i].unit, limits[i].max);
    gchar *over = repeat (limits[i].unit, limits[i].max + 1);
    gchar *count = g_strdup_printf ("(%u characters)", limits[i].max + 1);
    gchar *max = g_strdup_printf ("at most %u characters", limits[i].max);
    const gchar *const expect[] = { limits[i].key, count, max, "wan-2-5-video",
                                    NULL };
    GstApixoRequestSpec *spec = spec_parse (WAN25V);
    JsonNode *body;

    spec_set (spec, limits[i].key, at);
    body = accept_spec (spec, at);
    json_node_unref (body);
    gst_apixo_request_spec_free (spec);

    spec = spec_parse (WAN25V);
    spec_set (spec, limits[i].key, over);
    assert_spec_rejected (spec, limits[i].key, expect);
    gst_apixo_request_spec_free (spec);
    g_free (at);
    g_free (over);
    g_free (count);
    g_free (max);
  }
}
GST_END_TEST;

/* Bounds of every model (and unknown ones): 10000 characters of prompt,
 * UTF-8 only, 64 URIs, 8192-byte URIs, 256-byte short strings. */
GST_START_TEST (test_generic_limits)
{
  static const gchar *const models[] = { "wan-2-5", "foo-9" };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();
    gchar *text = repeat ("é", 10000), *longer = repeat ("é", 10001);
    gchar *uri, *path = repeat ("a", 8193), **uris;
    JsonNode *body;
    const gchar *const too_long[] = { "prompt", "too long",
                                      "at most 10000 characters", NULL };
    const gchar *const bad_utf8[] = { "negative-prompt", "UTF-8", NULL };
    const gchar *const long_uri[] = { "image-uris", "too long", "8192", NULL };
    const gchar *const many[] = { "image-uris", "65 URIs", "at most 64", NULL };
    const gchar *const short_str[] = { "resolution", "too long", "256 bytes",
                                       NULL };

    spec->model = g_strdup (models[i]);
    spec->mode = g_strdup ("text-to-video");
    spec->prompt = text;
    body = accept_spec (spec, "10000 characters");
    json_node_unref (body);

    spec->prompt = longer;
    assert_spec_rejected (spec, "10001 characters", too_long);
    g_free (longer);
    g_free (text);
    spec->prompt = g_strdup ("ok");

    spec->negative_prompt = g_strdup ("bad \xff\xfe utf-8");
    assert_spec_rejected (spec, "invalid UTF-8", bad_utf8);
    g_clear_pointer (&spec->negative_prompt, g_free);

    spec->resolution = repeat ("x", 257);
    assert_spec_rejected (spec, "long resolution", short_str);
    g_clear_pointer (&spec->resolution, g_free);

    uri = g_strconcat ("https://e.com/", path, NULL);
    spec->mode = (g_free (spec->mode), g_strdup ("image-to-video"));
    spec->image_uris = g_new0 (gchar *, 2);
    spec->image_uris[0] = uri;
    assert_spec_rejected (spec, "long URI", long_uri);
    g_strfreev (spec->image_uris);

    uris = g_new0 (gchar *, 66);
    for (guint j = 0; j < 65; j++)
      uris[j] = g_strdup_printf ("https://e.com/%u.png", j);
    spec->image_uris = uris;
    assert_spec_rejected (spec, "65 URIs", many);

    g_free (path);
    gst_apixo_request_spec_free (spec);
  }
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Derivations                                                        */

static GstApixoRequestSpec *
derived (const gchar *desc)
{
  GstApixoRequestSpec *spec = spec_parse (desc);

  gst_apixo_request_spec_derive (spec);
  return spec;
}

GST_START_TEST (test_derive)
{
  GstApixoRequestSpec *s;

  /* image given -> image-to-video, else text-to-video */
  s = derived ("model=wan-2-5|prompt=x");
  fail_unless_equals_string (s->mode, "text-to-video");
  fail_unless (s->resolution == NULL && s->duration == 0 && !s->provider_set);
  gst_apixo_request_spec_free (s);
  s = derived ("model=wan-2-5-video|image-uris=https://e/1");
  fail_unless_equals_string (s->mode, "image-to-video");
  fail_unless (s->resolution == NULL && s->aspect_ratio == NULL);
  gst_apixo_request_spec_free (s);
  s = derived ("model=sora-2-pro|image-uris=https://e/1");
  fail_unless_equals_string (s->mode, "image-to-video");
  gst_apixo_request_spec_free (s);

  /* veo-3-1: generation type from the image count, mode from the type */
  s = derived ("model=veo-3-1");
  fail_unless_equals_string (s->generation_type, "TEXT_2_VIDEO");
  fail_unless_equals_string (s->mode, "quality");
  fail_unless (s->aspect_ratio == NULL);
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|image-uris=https://e/1");
  fail_unless_equals_string (s->generation_type,
                             "FIRST_AND_LAST_FRAMES_2_VIDEO");
  fail_unless_equals_string (s->mode, "quality");
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|image-uris=https://e/1,https://e/2");
  fail_unless_equals_string (s->generation_type,
                             "FIRST_AND_LAST_FRAMES_2_VIDEO");
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|image-uris=https://e/1,https://e/2,https://e/3");
  fail_unless_equals_string (s->generation_type, "REFERENCE_2_VIDEO");
  fail_unless_equals_string (s->mode, "fast");
  fail_unless_equals_string (s->aspect_ratio, "16:9");
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|generation-type=REFERENCE_2_VIDEO|"
               "image-uris=https://e/1");
  fail_unless_equals_string (s->mode, "fast");
  gst_apixo_request_spec_free (s);

  /* wan-2-2-animate: standard, animate */
  s = derived ("model=wan-2-2-animate");
  fail_unless_equals_string (s->mode, "standard");
  fail_unless_equals_string (s->type, "animate");
  fail_unless (s->resolution == NULL && !s->seed_set);
  gst_apixo_request_spec_free (s);

  /* sora-2-pro: official, 4 s, 1280*720 / 720p */
  s = derived ("model=sora-2-pro|prompt=x");
  fail_unless (s->provider_set);
  fail_unless_equals_int (s->provider, GST_APIXO_PROVIDER_OFFICIAL);
  fail_unless_equals_int (s->duration, 4);
  fail_unless_equals_string (s->size, "1280*720");
  fail_unless (s->resolution == NULL);
  gst_apixo_request_spec_free (s);
  s = derived ("model=sora-2-pro|prompt=x|image-uris=https://e/1");
  fail_unless_equals_string (s->resolution, "720p");
  fail_unless (s->size == NULL);
  gst_apixo_request_spec_free (s);
}
GST_END_TEST;

/* Explicit values always win, even wrong ones (validation reports them). */
GST_START_TEST (test_derive_never_overrides)
{
  GstApixoRequestSpec *s;

  s = derived ("model=wan-2-5|mode=text-to-video|image-uris=https://e/1");
  fail_unless_equals_string (s->mode, "text-to-video");
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|mode=fast|generation-type=TEXT_2_VIDEO|"
               "image-uris=https://e/1,https://e/2,https://e/3");
  fail_unless_equals_string (s->mode, "fast");
  fail_unless_equals_string (s->generation_type, "TEXT_2_VIDEO");
  fail_unless (s->aspect_ratio == NULL);
  gst_apixo_request_spec_free (s);
  s = derived ("model=veo-3-1|mode=quality|aspect-ratio=9:16|"
               "image-uris=https://e/1,https://e/2,https://e/3");
  fail_unless_equals_string (s->mode, "quality");
  fail_unless_equals_string (s->generation_type, "REFERENCE_2_VIDEO");
  fail_unless_equals_string (s->aspect_ratio, "9:16");
  gst_apixo_request_spec_free (s);
  s = derived ("model=wan-2-2-animate|mode=x|type=replace");
  fail_unless_equals_string (s->mode, "x");
  fail_unless_equals_string (s->type, "replace");
  gst_apixo_request_spec_free (s);
  s = derived ("model=sora-2-pro|provider=auto|duration=12|size=720*1280");
  fail_unless_equals_int (s->provider, GST_APIXO_PROVIDER_AUTO);
  fail_unless_equals_int (s->duration, 12);
  fail_unless_equals_string (s->size, "720*1280");
  fail_unless (s->resolution == NULL);
  gst_apixo_request_spec_free (s);
  /* resolution set on text-to-video: no size added behind the user's back */
  s = derived ("model=sora-2-pro|resolution=720p");
  fail_unless (s->size == NULL);
  gst_apixo_request_spec_free (s);
  s = derived ("model=sora-2-pro|image-uris=https://e/1|size=1280*720");
  fail_unless (s->resolution == NULL);
  gst_apixo_request_spec_free (s);

  /* unknown models are left as they are */
  s = derived ("model=foo-9|image-uris=https://e/1");
  fail_unless (s->mode == NULL && s->generation_type == NULL);
  fail_unless (!s->provider_set && s->duration == 0);
  gst_apixo_request_spec_free (s);
}
GST_END_TEST;

/* A validate() without derive(): what must be set is reported. */
GST_START_TEST (test_not_derived)
{
  static const struct {
    const gchar *desc;
    const gchar *expect[4];
  } cases[] = {
    { "model=wan-2-5|prompt=x",
      { "mode is not set", "text-to-video, image-to-video" } },
    { "model=veo-3-1|prompt=x|mode=quality",
      { "generation-type is not set", "TEXT_2_VIDEO" } },
    { "model=wan-2-2-animate", { "mode is not set", "standard" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstApixoRequestSpec *spec = spec_parse (cases[i].desc);
    GError *err = NULL;

    fail_if (gst_apixo_request_spec_validate (spec, NULL, &err));
    fail_unless (
        g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS));
    for (guint j = 0; cases[i].expect[j]; j++)
      fail_unless (strstr (err->message, cases[i].expect[j]), "%s lacks %s",
                   err->message, cases[i].expect[j]);
    g_error_free (err);
    gst_apixo_request_spec_free (spec);
  }
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Unknown models                                                     */

GST_START_TEST (test_unknown_model)
{
  GstApixoRequestSpec *spec = spec_parse (
      "model=kling-9.1-pro|mode=pro|prompt=x|resolution=4k|duration=7|"
      "aspect-ratio=21:9|size=1x1|image-uris=https://e/1,https://e/2|"
      "video-uris=https://e/v|audio-uri=https://e/a|seed=-3|"
      "prompt-extend=true|watermark=true|generation-type=ANY|type=t|"
      "provider=value|negative-prompt=n");
  const gchar *want =
      "{\"request_type\":\"async\",\"provider\":\"value\",\"input\":{"
      "\"mode\":\"pro\",\"prompt\":\"x\",\"resolution\":\"4k\","
      "\"duration\":7,\"aspect_ratio\":\"21:9\",\"size\":\"1x1\","
      "\"image_urls\":[\"https://e/1\",\"https://e/2\"],"
      "\"video_urls\":[\"https://e/v\"],\"audio_urls\":[\"https://e/a\"],"
      "\"seed\":-3,\"prompt_extend\":true,\"watermark\":true,"
      "\"generationType\":\"ANY\",\"type\":\"t\","
      "\"negative_prompt\":\"n\"}}";
  GError *err = NULL;
  gchar *warning = NULL;
  JsonNode *body;

  gst_apixo_request_spec_derive (spec);
  fail_unless (gst_apixo_request_spec_validate (spec, &warning, &err));
  fail_unless (warning != NULL);
  fail_unless (strstr (warning, "model 'kling-9.1-pro' is not in this "
                                "version's catalogue") != NULL);
  fail_unless (strstr (warning, "known: wan-2-5, wan-2-5-video, veo-3-1, "
                                "sora-2-pro, wan-2-2-animate") != NULL);
  fail_unless (strstr (warning, "sent unchecked") != NULL);
  g_free (warning);
  body = gst_apixo_request_spec_to_json (spec);
  assert_json_equal (body, want, "unknown model");
  json_node_unref (body);

  /* a NULL warning pointer is fine */
  fail_unless (gst_apixo_request_spec_validate (spec, NULL, NULL));
  gst_apixo_request_spec_free (spec);
}
GST_END_TEST;

GST_START_TEST (test_unknown_model_generic_checks)
{
  static const Rejection cases[] = {
    { "model=foo-9|prompt=x", { "mode is not set", "foo-9" } },
    { "model=foo-9|mode=", { "mode is not set" } },
    { "model=foo-9|mode=x|image-uris=ftp://e/a",
      { "image-uris", "'ftp://e/a'" } },
    { "model=foo-9|mode=x|audio-uri=e/a", { "audio-uri", "'e/a'" } },
    { "model=foo-9|mode=x|request-type=callback", { "callback-url" } },
    { "model=foo-9|mode=x|callback-url=https://e/cb", { "callback-url" } },
    { "model=foo-9|mode=x|duration=-1", { "duration", "-1" } },
    { "model=foo-9|mode=x|watermark=true|watermark-text=w",
      { "watermark", "watermark-text", "both" } },
    { "model=foo-9|mode=x|extra-input=x, f=(fraction)1/2",
      { "extra-input", "'f'" } },
    { "model=FOO|mode=x", { "model", "'FOO'" } },
  };
  gchar *long_id = g_strdup_printf ("model=%s|mode=x|prompt=p",
                                    "a234567890123456789012345678901234567890"
                                    "12345678901234567890123456");
  const gchar *const too_long[] = { "model", "64", NULL };
  gchar *at_limit = g_strdup_printf ("model=%s|mode=x|prompt=p",
                                     "a234567890123456789012345678901234567890"
                                     "123456789012345678901234");
  GstApixoRequestSpec *spec = spec_parse (at_limit);
  gchar *warning = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_rejected (cases[i].desc, cases[i].expect);
  assert_rejected (long_id, too_long);
  fail_unless_equals_int (strlen (spec->model), 64);
  fail_unless (gst_apixo_request_spec_validate (spec, &warning, NULL));
  fail_unless (warning != NULL);
  g_free (warning);
  gst_apixo_request_spec_free (spec);
  spec = gst_apixo_request_spec_new ();
  {
    const gchar *const unset[] = { "model", NULL };
    assert_spec_rejected (spec, "no model", unset);
  }
  gst_apixo_request_spec_free (spec);
  g_free (long_id);
  g_free (at_limit);
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Local inputs, extra-input, hostile strings                         */

GST_START_TEST (test_local_inputs)
{
  GstApixoRequestSpec *spec =
      spec_parse ("model=veo-3-1|prompt=x|image-uris=file:///tmp/first.png,"
                  "https://e.com/last.png");
  JsonNode *body;
  JsonObject *input;
  JsonArray *images;

  fail_unless (gst_apixo_request_spec_has_local_inputs (spec));
  body = accept_spec (spec, "file:// image");
  fail_unless_equals_string (spec->generation_type,
                             "FIRST_AND_LAST_FRAMES_2_VIDEO");
  input = json_object_get_object_member (json_node_get_object (body), "input");
  images = json_object_get_array_member (input, "image_urls");
  fail_unless_equals_int (json_array_get_length (images), 1);
  fail_unless_equals_string (json_array_get_string_element (images, 0),
                             "https://e.com/last.png");
  json_node_unref (body);
  gst_apixo_request_spec_free (spec);

  spec = spec_parse ("model=wan-2-2-animate|image-uris=file:///c.png|"
                     "video-uris=file://localhost/m%20v.mp4");
  fail_unless (gst_apixo_request_spec_has_local_inputs (spec));
  body = accept_spec (spec, "animate local");
  input = json_object_get_object_member (json_node_get_object (body), "input");
  fail_if (json_object_has_member (input, "image_urls"));
  fail_if (json_object_has_member (input, "video_urls"));
  json_node_unref (body);
  gst_apixo_request_spec_free (spec);

  spec = spec_parse (WAN25V "|audio-uri=file:///a.mp3");
  fail_unless (gst_apixo_request_spec_has_local_inputs (spec));
  body = accept_spec (spec, "audio local");
  input = json_object_get_object_member (json_node_get_object (body), "input");
  fail_if (json_object_has_member (input, "audio_urls"));
  json_node_unref (body);
  gst_apixo_request_spec_free (spec);

  spec = spec_parse (WAN25V_I2V);
  fail_if (gst_apixo_request_spec_has_local_inputs (spec));
  gst_apixo_request_spec_free (spec);
  fail_unless (gst_apixo_uri_is_local ("FILE:///x"));
  fail_if (gst_apixo_uri_is_local ("https://e/file:///x"));
  fail_if (gst_apixo_uri_is_local (NULL));
}
GST_END_TEST;

static JsonObject *
body_input (JsonNode *body)
{
  return json_object_get_object_member (json_node_get_object (body), "input");
}

GST_START_TEST (test_extra_input)
{
  GstApixoRequestSpec *spec = spec_parse (WAN25V "|resolution=720p");
  GstStructure *extra = gst_structure_new (
      "extra", "s", G_TYPE_STRING, "v", "i", G_TYPE_INT, -3, "u", G_TYPE_UINT,
      4000000000u, "big", G_TYPE_INT64, G_GINT64_CONSTANT (9007199254740993),
      "d", G_TYPE_DOUBLE, 0.25, "f", G_TYPE_FLOAT, 1.5f, "b", G_TYPE_BOOLEAN,
      FALSE, "n", G_TYPE_STRING, NULL, "resolution", G_TYPE_STRING, "2k", NULL);
  GstStructure *nested =
      gst_structure_new ("ignored-name", "k", G_TYPE_INT, 1, NULL);
  GValue arr = G_VALUE_INIT, list = G_VALUE_INIT, item = G_VALUE_INIT;
  GValue sv = G_VALUE_INIT;
  JsonNode *body;
  const gchar *want =
      "{\"request_type\":\"async\",\"input\":{\"mode\":\"text-to-video\","
      "\"prompt\":\"a lake\",\"resolution\":\"2k\",\"s\":\"v\",\"i\":-3,"
      "\"u\":4000000000,\"big\":9007199254740993,\"d\":0.25,\"f\":1.5,"
      "\"b\":false,\"n\":null,\"arr\":[\"x\",\"y\"],\"list\":[1,2],"
      "\"obj\":{\"k\":1,\"deep\":[[true]]}}}";

  gst_value_array_init (&arr, 2);
  g_value_init (&item, G_TYPE_STRING);
  g_value_set_string (&item, "x");
  gst_value_array_append_value (&arr, &item);
  g_value_set_string (&item, "y");
  gst_value_array_append_value (&arr, &item);
  g_value_unset (&item);
  gst_structure_set_value (extra, "arr", &arr);
  g_value_unset (&arr);

  gst_value_list_init (&list, 2);
  g_value_init (&item, G_TYPE_INT);
  g_value_set_int (&item, 1);
  gst_value_list_append_value (&list, &item);
  g_value_set_int (&item, 2);
  gst_value_list_append_value (&list, &item);
  g_value_unset (&item);
  gst_structure_set_value (extra, "list", &list);
  g_value_unset (&list);

  /* nested: obj = {k: 1, deep: [[true]]} */
  gst_value_array_init (&arr, 1);
  gst_value_array_init (&list, 1);
  g_value_init (&item, G_TYPE_BOOLEAN);
  g_value_set_boolean (&item, TRUE);
  gst_value_array_append_value (&list, &item);
  gst_value_array_append_and_take_value (&arr, &list);
  gst_structure_take_value (nested, "deep", &arr);
  g_value_unset (&item);
  g_value_init (&sv, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&sv, nested);
  gst_structure_take_value (extra, "obj", &sv);
  gst_structure_free (nested);

  spec->extra_input = extra;
  body = accept_spec (spec, "extra-input");
  assert_json_equal (body, want, "extra-input");
  json_node_unref (body);
  gst_apixo_request_spec_free (spec);

  /* mode and request_type stay where they are: extra-input is input only */
  spec = spec_parse (WAN25 "|extra-input=x, request_type=(string)callback, "
                           "mode=(string)image-to-video");
  body = accept_spec (spec, "extra override");
  fail_unless_equals_string (json_object_get_string_member (
                                 json_node_get_object (body), "request_type"),
                             "async");
  fail_unless_equals_string (
      json_object_get_string_member (body_input (body), "request_type"),
      "callback");
  fail_unless_equals_string (
      json_object_get_string_member (body_input (body), "mode"),
      "image-to-video");
  json_node_unref (body);
  gst_apixo_request_spec_free (spec);
}
GST_END_TEST;

GST_START_TEST (test_extra_input_depth)
{
  GstApixoRequestSpec *spec = spec_parse (WAN25);
  GstStructure *inner = gst_structure_new ("s", "leaf", G_TYPE_INT, 1, NULL);
  const gchar *const expect[] = { "extra-input", "field 'n'", "16 deep", NULL };
  JsonNode *body;

  /* the leaf inside 16 structures below the field: accepted */
  for (guint i = 0; i < 16; i++) {
    GstStructure *outer = gst_structure_new ("s", NULL, NULL);
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure (&v, inner);
    gst_structure_take_value (outer, "n", &v);
    gst_structure_free (inner);
    inner = outer;
  }
  spec->extra_input = gst_structure_copy (inner);
  body = accept_spec (spec, "16 deep");
  json_node_unref (body);

  /* one more: refused */
  {
    GstStructure *outer = gst_structure_new ("s", NULL, NULL);
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure (&v, inner);
    gst_structure_take_value (outer, "n", &v);
    gst_structure_free (inner);
    inner = outer;
  }
  gst_structure_free (spec->extra_input);
  spec->extra_input = inner;
  assert_spec_rejected (spec, "17 deep", expect);
  gst_apixo_request_spec_free (spec);
}
GST_END_TEST;

/* Quotes, backslashes, newlines, control and non-ASCII characters come
 * back out of the JSON text exactly as they went in. */
GST_START_TEST (test_hostile_strings)
{
  static const gchar *const hostile[] = {
    "say \"hi\" \\ and 'bye'",
    "line one\nline two\r\n\ttabbed",
    "}\"],\"request_type\":\"callback\",\"x\":{\"",
    "bell \x07 escape \x1b del \x7f",
    "日本語の雲、Ünïcødé, emoji 😀, RTL עברית",
    "</script><script>alert(1)</script>",
    "\xe2\x80\xa8 line separator \xe2\x80\xa9",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++) {
    GstApixoRequestSpec *spec = spec_parse (WAN25V);
    JsonNode *body, *back;
    JsonObject *in;
    gchar *text;

    spec_set (spec, "prompt", hostile[i]);
    spec_set (spec, "negative-prompt", hostile[i]);
    spec->extra_input =
        gst_structure_new ("x", "note", G_TYPE_STRING, hostile[i], NULL);
    body = accept_spec (spec, "hostile");
    text = json_to_string (body, FALSE);
    back = json_from_string (text, NULL);
    fail_unless (back != NULL, "not JSON: %s", text);
    fail_unless (json_node_equal (body, back));
    in = body_input (back);
    fail_unless_equals_string (json_object_get_string_member (in, "prompt"),
                               hostile[i]);
    fail_unless_equals_string (
        json_object_get_string_member (in, "negative_prompt"), hostile[i]);
    fail_unless_equals_string (json_object_get_string_member (in, "note"),
                               hostile[i]);
    fail_unless_equals_string (json_object_get_string_member (
                                   json_node_get_object (back), "request_type"),
                               "async");
    fail_unless_equals_int (json_object_get_size (json_node_get_object (back)),
                            2);
    g_free (text);
    json_node_unref (back);
    json_node_unref (body);
    gst_apixo_request_spec_free (spec);
  }
}
GST_END_TEST;

/* Messages quote the value safely: cut, control characters escaped, no
 * invalid UTF-8 copied. */
GST_START_TEST (test_message_excerpts)
{
  GstApixoRequestSpec *spec = spec_parse (WAN25 "|resolution=720p\n4k");
  const gchar *const newline[] = { "resolution", "'720p\\x0a4k'", NULL };
  GError *err = NULL;

  assert_spec_rejected (spec, "newline", newline);
  gst_apixo_request_spec_free (spec);

  spec = spec_parse (WAN25);
  spec_set (spec, "prompt", "ok \xff");
  fail_if (gst_apixo_request_spec_validate (spec, NULL, &err));
  fail_unless (g_utf8_validate (err->message, -1, NULL));
  fail_unless (strstr (err->message, "prompt") != NULL);
  g_clear_error (&err);
  gst_apixo_request_spec_free (spec);

  spec = spec_parse (WAN25V "|mode=text-to-video");
  g_free (spec->prompt);
  spec->prompt = repeat ("x", 2000);
  fail_if (gst_apixo_request_spec_validate (spec, NULL, &err));
  fail_unless (strlen (err->message) < 300, "%s", err->message);
  fail_unless (strstr (err->message, "...' (2000 characters)") != NULL);
  g_clear_error (&err);
  gst_apixo_request_spec_free (spec);
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Polling figures, blurbs                                            */

GST_START_TEST (test_poll_advice)
{
  static const struct {
    const gchar *desc;
    gdouble first, interval, typical;
  } cases[] = {
    { "model=wan-2-5", 50, 5, 90 },
    { "model=wan-2-5|resolution=720p", 50, 5, 70 },
    { "model=wan-2-5|resolution=1080p", 50, 5, 90 },
    { "model=wan-2-5-video|resolution=480p", 40, 10, 120 },
    { "model=wan-2-5-video|resolution=720p", 60, 10, 180 },
    { "model=wan-2-5-video|resolution=1080p", 90, 10, 250 },
    { "model=wan-2-5-video", 90, 10, 250 },
    { "model=veo-3-1", 90, 5, 180 },
    { "model=veo-3-1|mode=fast", 90, 5, 180 },
    { "model=sora-2-pro", 120, 5, 240 },
    { "model=sora-2-pro|resolution=1080p", 120, 5, 240 },
    { "model=wan-2-2-animate", 60, 15, 600 },
    { "model=wan-2-2-animate|resolution=720p", 60, 15, 600 },
    { "model=foo-9", 60, 15, 600 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstApixoRequestSpec *spec = spec_parse (cases[i].desc);
    gdouble first = -1, interval = -1;

    gst_apixo_request_spec_poll_advice (spec, &first, &interval);
    fail_unless (first == cases[i].first && interval == cases[i].interval,
                 "%s: %g/%g", cases[i].desc, first, interval);
    fail_unless (gst_apixo_request_spec_typical_time (spec) == cases[i].typical,
                 "%s: typical %g", cases[i].desc,
                 gst_apixo_request_spec_typical_time (spec));
    gst_apixo_request_spec_poll_advice (spec, NULL, NULL);
    gst_apixo_request_spec_free (spec);
  }
}
GST_END_TEST;

GST_START_TEST (test_describe_allowed)
{
  static const struct {
    const gchar *property, *want;
  } cases[] = {
    { "resolution", "wan-2-5: 720p, 1080p; wan-2-5-video: 480p, 720p, 1080p; "
                    "sora-2-pro (image-to-video): 720p, 1080p; "
                    "wan-2-2-animate: 480p, 720p" },
    { "mode", "wan-2-5: text-to-video, image-to-video; "
              "wan-2-5-video: text-to-video, image-to-video; "
              "veo-3-1 (TEXT_2_VIDEO): quality, fast; "
              "veo-3-1 (FIRST_AND_LAST_FRAMES_2_VIDEO): quality, fast; "
              "veo-3-1 (REFERENCE_2_VIDEO): fast; "
              "sora-2-pro: text-to-video, image-to-video; "
              "wan-2-2-animate: standard" },
    { "duration",
      "wan-2-5: 5, 10; wan-2-5-video: 5, 10; sora-2-pro: 4, 8, 12" },
    { "size", "sora-2-pro (text-to-video): 720*1280, 1280*720, 1024*1792, "
              "1792*1024" },
    { "aspect-ratio",
      "wan-2-5: 16:9, 9:16, 1:1; wan-2-5-video (text-to-video): 16:9, 9:16, "
      "1:1, 4:3 (720p/1080p only), 3:4 (720p/1080p only); "
      "veo-3-1 (TEXT_2_VIDEO): 16:9, 9:16; "
      "veo-3-1 (FIRST_AND_LAST_FRAMES_2_VIDEO): 16:9, 9:16; "
      "veo-3-1 (REFERENCE_2_VIDEO): 16:9" },
    { "generation-type",
      "veo-3-1: TEXT_2_VIDEO, FIRST_AND_LAST_FRAMES_2_VIDEO, "
      "REFERENCE_2_VIDEO" },
    { "type", "wan-2-2-animate: animate, replace" },
    { "seed", "wan-2-5: 0..2147483647; wan-2-5-video: 0..2147483647; "
              "veo-3-1: 0..2147483647; wan-2-2-animate: -1..2147483647" },
    { "image-uris", "wan-2-5 (image-to-video): exactly 1 URI; "
                    "wan-2-5-video (image-to-video): exactly 1 URI; "
                    "veo-3-1 (FIRST_AND_LAST_FRAMES_2_VIDEO): 1 to 2 URIs; "
                    "veo-3-1 (REFERENCE_2_VIDEO): 1 to 3 URIs; "
                    "sora-2-pro (image-to-video): exactly 1 URI; "
                    "wan-2-2-animate: exactly 1 URI" },
    { "video-uris", "wan-2-2-animate: exactly 1 URI" },
    { "audio-uri", "wan-2-5-video" },
    { "watermark", "wan-2-5-video" },
    { "watermark-text", "veo-3-1" },
    { "prompt-extend", "wan-2-5; wan-2-5-video" },
    { "negative-prompt", "wan-2-5; wan-2-5-video" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *got = gst_apixo_models_describe_allowed (cases[i].property);

    fail_unless_equals_string (got, cases[i].want);
    g_free (got);
  }
  fail_unless (gst_apixo_models_describe_allowed ("prompt") == NULL);
  fail_unless (gst_apixo_models_describe_allowed ("api-key") == NULL);
  fail_unless (gst_apixo_models_describe_allowed (NULL) == NULL);
}
GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Media limits and billing                                           */

static gboolean
types_are (const gchar *const *types, const gchar *want)
{
  gchar *joined = types ? g_strjoinv (",", (gchar **)types) : g_strdup ("");
  gboolean same = g_str_equal (joined, want);

  if (!same)
    GST_ERROR ("media types %s, want %s", joined, want);
  g_free (joined);
  return same;
}

GST_START_TEST (test_media_limits)
{
  static const struct {
    const gchar *model;
    GstApixoMediaKind kind;
    gboolean taken;
    const gchar *types;
    guint64 max_bytes;
    guint min_px, max_px;
    gboolean no_alpha;
    gdouble min_s, max_s;
  } cases[] = {
    { "wan-2-5", GST_APIXO_MEDIA_IMAGE, TRUE, "image/jpeg,image/png,image/webp",
      10 << 20 },
    { "wan-2-5", GST_APIXO_MEDIA_VIDEO, FALSE },
    { "wan-2-5", GST_APIXO_MEDIA_AUDIO, FALSE },
    { "wan-2-5-video", GST_APIXO_MEDIA_IMAGE, TRUE,
      "image/jpeg,image/png,image/bmp,image/webp", 20 << 20, 240, 8000, TRUE },
    { "wan-2-5-video", GST_APIXO_MEDIA_AUDIO, TRUE, "audio/x-wav,audio/mpeg",
      15 << 20, 0, 0, FALSE, 3, 30 },
    { "wan-2-5-video", GST_APIXO_MEDIA_VIDEO, FALSE },
    { "veo-3-1", GST_APIXO_MEDIA_IMAGE, TRUE, "image/jpeg,image/png,image/webp",
      10 << 20 },
    { "veo-3-1", GST_APIXO_MEDIA_AUDIO, FALSE },
    { "sora-2-pro", GST_APIXO_MEDIA_IMAGE, TRUE,
      "image/jpeg,image/png,image/webp", 10 << 20 },
    { "sora-2-pro", GST_APIXO_MEDIA_VIDEO, FALSE },
    /* its page sets no image limit (issue 10, point 6) */
    { "wan-2-2-animate", GST_APIXO_MEDIA_IMAGE, TRUE, "" },
    { "wan-2-2-animate", GST_APIXO_MEDIA_VIDEO, TRUE, "" },
    { "wan-2-2-animate", GST_APIXO_MEDIA_AUDIO, FALSE },
    { "foo-9", GST_APIXO_MEDIA_IMAGE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const GstApixoMediaLimits *l =
        gst_apixo_model_media_limits (cases[i].model, cases[i].kind);

    fail_unless_equals_int (l != NULL, cases[i].taken);
    if (l == NULL)
      continue;
    fail_unless (types_are (l->media_types, cases[i].types), "%s",
                 cases[i].model);
    fail_unless_equals_uint64 (l->max_bytes, cases[i].max_bytes);
    fail_unless_equals_int (l->min_dimension, cases[i].min_px);
    fail_unless_equals_int (l->max_dimension, cases[i].max_px);
    fail_unless_equals_int (l->no_alpha, cases[i].no_alpha);
    fail_unless_equals_float (l->min_seconds, cases[i].min_s);
    fail_unless_equals_float (l->max_seconds, cases[i].max_s);
  }
  fail_unless (gst_apixo_model_media_limits (NULL, GST_APIXO_MEDIA_IMAGE) ==
               NULL);
}
GST_END_TEST;

/* wan-2-2-animate: below 5 s billed as 5 s, above 120 s as 120 s. */
GST_START_TEST (test_billed_seconds)
{
  fail_unless_equals_float (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 2.5), 5);
  fail_unless_equals_float (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 5), 5);
  fail_unless_equals_float (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 42.5), 42.5);
  fail_unless_equals_float (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 120), 120);
  fail_unless_equals_float (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 300), 120);
  fail_unless_equals_float (gst_apixo_model_billed_seconds ("wan-2-5", 5), -1);
  fail_unless_equals_float (gst_apixo_model_billed_seconds ("foo-9", 5), -1);
}
GST_END_TEST;

static Suite *
models_suite (void)
{
  Suite *s = suite_create ("apixomodels");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_enums);
  tcase_add_test (tc, test_catalogue);
  tcase_add_test (tc, test_spec_copy);
  tcase_add_test (tc, test_page_examples);
  tcase_add_test (tc, test_page_examples_derived);
  tcase_add_test (tc, test_schema_block_callback_without_callback);
  tcase_add_test (tc, test_rejections);
  tcase_add_test (tc, test_accepted);
  tcase_add_test (tc, test_text_limits);
  tcase_add_test (tc, test_generic_limits);
  tcase_add_test (tc, test_derive);
  tcase_add_test (tc, test_derive_never_overrides);
  tcase_add_test (tc, test_not_derived);
  tcase_add_test (tc, test_unknown_model);
  tcase_add_test (tc, test_unknown_model_generic_checks);
  tcase_add_test (tc, test_local_inputs);
  tcase_add_test (tc, test_extra_input);
  tcase_add_test (tc, test_extra_input_depth);
  tcase_add_test (tc, test_hostile_strings);
  tcase_add_test (tc, test_message_excerpts);
  tcase_add_test (tc, test_poll_advice);
  tcase_add_test (tc, test_describe_allowed);
  tcase_add_test (tc, test_media_limits);
  tcase_add_test (tc, test_billed_seconds);
  return s;
}

GST_CHECK_MAIN (models);
