/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Per-model request validation, output sizes, timings and prices, written
 * from ../shared/apixo-docs/ (never from the plugin's gstapixomodels.c: the
 * sim is the independent oracle).  Pure functions, no threads.
 *
 * Where a page leaves something unstated, the choice made here is marked
 * "SIM CHOICE" and listed in docs/apixo-sim.md.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-models.h"
#include "sim-util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MB (1024 * 1024)
#define USD(x) ((gint64)((x)*1000000.0 + 0.5))
#define MAX_URL_LENGTH 4096
#define SEED_MAX_31 G_GINT64_CONSTANT (2147483647)
#define SEED_MAX_32 G_GINT64_CONSTANT (4294967295)

static const SimModel models[SIM_N_MODELS] = {
  { SIM_MODEL_WAN_2_5, "wan-2-5", 10000, 1000, FALSE },
  { SIM_MODEL_WAN_2_5_VIDEO, "wan-2-5-video", 10000, 1000, TRUE },
  { SIM_MODEL_VEO_3_1, "veo-3-1", 10000, 1000, FALSE },
  { SIM_MODEL_SORA_2_PRO, "sora-2-pro", 60, 10, FALSE },
  { SIM_MODEL_WAN_2_2_ANIMATE, "wan-2-2-animate", 10000, 1000, FALSE },
};

/* Images of wan-2-5, veo-3-1, sora-2-pro: "JPG, PNG, WebP, max 10MB per
 * image"; 240-8000 px is SIM CHOICE (wan-2-5-video's figure). */
static const SimMediaLimits image_limits_std = {
  .max_bytes = 10 * MB,
  .allow_jpeg = TRUE,
  .allow_png = TRUE,
  .allow_webp = TRUE,
  .min_px = 240,
  .max_px = 8000,
};

/* wan-2-5-video: JPEG/JPG/PNG (no alpha)/BMP/WEBP, 240-8000 px, <= 20MB. */
static const SimMediaLimits image_limits_wan25v = {
  .max_bytes = 20 * MB,
  .allow_jpeg = TRUE,
  .allow_png = TRUE,
  .allow_webp = TRUE,
  .allow_bmp = TRUE,
  .png_alpha_forbidden = TRUE,
  .min_px = 240,
  .max_px = 8000,
};

/* wan-2-5-video audio_urls: wav/mp3, 3-30 s, <= 15MB. */
static const SimMediaLimits audio_limits_wan25v = {
  .max_bytes = 15 * MB,
  .min_duration = 3.0,
  .max_duration = 30.0,
};

/* wan-2-2-animate motion video: the page gives no limit; SIM CHOICE: any
 * decodable video up to 200 MB. */
static const SimMediaLimits video_limits_animate = {
  .max_bytes = 200 * MB,
};

/* Picture sizes.  SIM CHOICE: the Wan family's sizes per resolution and
 * aspect ratio. */
typedef struct {
  const gchar *resolution, *aspect;
  gint width, height;
} SizeEntry;

static const SizeEntry wan_sizes[] = {
  { "480p", "16:9", 832, 480 },    { "480p", "9:16", 480, 832 },
  { "480p", "1:1", 624, 624 },     { "720p", "16:9", 1280, 720 },
  { "720p", "9:16", 720, 1280 },   { "720p", "1:1", 960, 960 },
  { "720p", "4:3", 1088, 832 },    { "720p", "3:4", 832, 1088 },
  { "1080p", "16:9", 1920, 1080 }, { "1080p", "9:16", 1080, 1920 },
  { "1080p", "1:1", 1440, 1440 },  { "1080p", "4:3", 1632, 1248 },
  { "1080p", "3:4", 1248, 1632 },
};

const SimModel *
sim_model_lookup (const gchar *name)
{
  for (guint i = 0; i < SIM_N_MODELS; i++) {
    if (g_strcmp0 (models[i].name, name) == 0)
      return &models[i];
  }
  return NULL;
}

const SimModel *
sim_model_get (SimModelId id)
{
  g_return_val_if_fail (id < SIM_N_MODELS, NULL);
  return &models[id];
}

/* ---- generic field access ----------------------------------------- */

/* A member, NULL when absent or JSON null (SIM CHOICE: null = absent). */
static JsonNode *
member (JsonObject *obj, const gchar *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean fail (GError **error, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const gchar *format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, SIM_REQUEST_ERROR, 400, msg);
  g_free (msg);
  return FALSE;
}

static gboolean
get_string (JsonObject *obj, const gchar *prefix, const gchar *name,
            gboolean required, const gchar **out, GError **error)
{
  JsonNode *node = member (obj, name);

  *out = NULL;
  if (node == NULL) {
    if (required)
      return fail (error, "Missing required field: %s%s", prefix, name);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, "Invalid type for %s%s: expected string", prefix, name);
  *out = json_node_get_string (node);
  return TRUE;
}

/* A string that must be one of @allowed (NULL-terminated); @def when
 * absent (NULL def: required). */
static gboolean
get_choice (JsonObject *obj, const gchar *prefix, const gchar *name,
            const gchar *const *allowed, const gchar *def, const gchar **out,
            GError **error)
{
  g_autofree gchar *list = NULL;

  if (!get_string (obj, prefix, name, def == NULL, out, error))
    return FALSE;
  if (*out == NULL) {
    *out = def;
    return TRUE;
  }
  if (g_strv_contains (allowed, *out))
    return TRUE;
  list = g_strjoinv (", ", (gchar **)allowed);
  return fail (error, "Invalid value for %s%s: '%.64s' (allowed: %s)", prefix,
               name, *out, list);
}

/* An integer JSON literal (SIM CHOICE: 5.0 or "5" are rejected). */
static gboolean
get_int (JsonObject *obj, const gchar *prefix, const gchar *name,
         gboolean *present, gint64 *out, GError **error)
{
  JsonNode *node = member (obj, name);

  *present = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (error, "Invalid type for %s%s: expected integer", prefix,
                 name);
  *present = TRUE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_int_choice (JsonObject *obj, const gchar *prefix, const gchar *name,
                const gint64 *allowed, guint n_allowed, gboolean required,
                gint64 def, gint64 *out, GError **error)
{
  gboolean present;
  GString *list;

  if (!get_int (obj, prefix, name, &present, out, error))
    return FALSE;
  if (!present) {
    if (required)
      return fail (error, "Missing required field: %s%s", prefix, name);
    *out = def;
    return TRUE;
  }
  for (guint i = 0; i < n_allowed; i++) {
    if (allowed[i] == *out)
      return TRUE;
  }
  list = g_string_new (NULL);
  for (guint i = 0; i < n_allowed; i++)
    g_string_append_printf (list, "%s%" G_GINT64_FORMAT, i ? ", " : "",
                            allowed[i]);
  fail (error, "Invalid value for %s%s: %" G_GINT64_FORMAT " (allowed: %s)",
        prefix, name, *out, list->str);
  g_string_free (list, TRUE);
  return FALSE;
}

static gboolean
get_bool (JsonObject *obj, const gchar *prefix, const gchar *name,
          GError **error)
{
  JsonNode *node = member (obj, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (error, "Invalid type for %s%s: expected boolean", prefix,
                 name);
  return TRUE;
}

static gboolean
url_ok (const gchar *url)
{
  g_autoptr (GUri) uri = NULL;
  const gchar *scheme;

  if (strlen (url) > MAX_URL_LENGTH)
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 &&
      g_ascii_strcasecmp (scheme, "https") != 0)
    return FALSE;
  return g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

/* Set once at start-up (--allow-local-callbacks). */
static gboolean allow_local_callbacks;

void
sim_models_set_allow_local_callbacks (gboolean allow)
{
  allow_local_callbacks = allow;
}

/* TRUE for "localhost" names and loopback, private, link-local or
 * unspecified IP literals: receivers the service cannot reach. */
static gboolean
host_is_local (const gchar *host)
{
  g_autoptr (GInetAddress) addr = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      g_str_has_suffix (host, ".localhost"))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    return FALSE; /* a name: not resolved here */
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6 &&
      (g_inet_address_to_bytes (addr)[0] & 0xfe) == 0xfc)
    return TRUE; /* unique local fc00::/7 */
  return g_inet_address_get_is_loopback (addr) ||
         g_inet_address_get_is_site_local (addr) ||
         g_inet_address_get_is_link_local (addr) ||
         g_inet_address_get_is_any (addr);
}

/* callback_url: "Must be a public HTTPS URL" (wan-2-5-video.txt,
 * service-facts.md). */
static gboolean
callback_url_ok (const gchar *url)
{
  g_autoptr (GUri) uri = NULL;

  if (!url_ok (url))
    return FALSE;
  if (allow_local_callbacks)
    return TRUE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 &&
         !host_is_local (g_uri_get_host (uri));
}

static gboolean
field_present (JsonObject *obj, const gchar *name)
{
  JsonNode *node = member (obj, name);

  /* SIM CHOICE: an empty array counts as absent where a field is not
   * allowed. */
  if (node && JSON_NODE_HOLDS_ARRAY (node) &&
      json_array_get_length (json_node_get_array (node)) == 0)
    return FALSE;
  return node != NULL;
}

static gboolean
forbid (JsonObject *obj, const gchar *name, const gchar *why, GError **error)
{
  if (field_present (obj, name))
    return fail (error, "input.%s is not allowed %s", name, why);
  return TRUE;
}

static void
add_input (SimJob *job, const gchar *name, guint index, const gchar *url,
           SimMediaKind kind, const SimMediaLimits *limits)
{
  SimInput *in = g_new0 (SimInput, 1);

  in->field = g_strdup_printf ("%s[%u]", name, index);
  in->url = g_strdup (url);
  in->kind = kind;
  in->limits = *limits;
  g_ptr_array_add (job->inputs, in);
}

static void
sim_input_free (SimInput *in)
{
  g_free (in->field);
  g_free (in->url);
  g_free (in);
}

/* A URL list with @min..@max entries (@required: must be present). */
static gboolean
get_urls (SimJob *job, JsonObject *obj, const gchar *name, guint min, guint max,
          SimMediaKind kind, const SimMediaLimits *limits, GError **error)
{
  JsonNode *node = member (obj, name);
  JsonArray *arr;
  guint n;

  if (node == NULL) {
    if (min > 0)
      return fail (error, "Missing required field: input.%s", name);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, "Invalid type for input.%s: expected array of URLs",
                 name);
  arr = json_node_get_array (node);
  n = json_array_get_length (arr);
  if (n < min || n > max) {
    if (min == max)
      return fail (error, "input.%s must contain exactly %u URL%s (got %u)",
                   name, min, min == 1 ? "" : "s", n);
    if (min <= 1 && n > max)
      return fail (error, "input.%s accepts at most %u URLs (got %u)", name,
                   max, n);
    return fail (error, "input.%s must contain %u to %u URLs (got %u)", name,
                 min, max, n);
  }
  for (guint i = 0; i < n; i++) {
    JsonNode *el = json_array_get_element (arr, i);
    const gchar *url;

    if (!JSON_NODE_HOLDS_VALUE (el) ||
        json_node_get_value_type (el) != G_TYPE_STRING)
      return fail (error, "Invalid type for input.%s[%u]: expected string",
                   name, i);
    url = json_node_get_string (el);
    if (!url_ok (url))
      return fail (error, "Invalid input.%s[%u]: not an absolute http(s) URL",
                   name, i);
    add_input (job, name, i, url, kind, limits);
  }
  return TRUE;
}

/* Prompt: presence checked on the text as sent (markers count, so a
 * prompt made only of markers is accepted); length on the text without
 * markers.  @required: must be present and non-blank; @nonempty_if_set:
 * may be absent but not blank. */
static gboolean
take_prompt (SimJob *job, JsonObject *in, gboolean required,
             gboolean nonempty_if_set, glong max_chars, GError **error)
{
  const gchar *raw;
  g_autofree gchar *trimmed = NULL;
  gchar *stripped = NULL;
  glong n;

  if (!get_string (in, "input.", "prompt", required, &raw, error))
    return FALSE;
  if (raw == NULL)
    return TRUE;
  trimmed = g_strstrip (g_strdup (raw));
  if ((required || nonempty_if_set) && *trimmed == '\0')
    return fail (error, "input.prompt must not be empty");
  if (!sim_markers_parse (raw, "input.prompt", &stripped, &job->markers, error))
    return FALSE;
  n = g_utf8_strlen (stripped, -1);
  if (max_chars > 0 && n > max_chars) {
    g_free (stripped);
    return fail (error, "input.prompt is too long: %ld characters (max %ld)", n,
                 max_chars);
  }
  if (*stripped == '\0')
    g_free (stripped);
  else
    job->prompt = stripped;
  return TRUE;
}

static gboolean
take_text_limit (JsonObject *in, const gchar *name, glong max_chars,
                 GError **error)
{
  const gchar *s;
  glong n;

  if (!get_string (in, "input.", name, FALSE, &s, error))
    return FALSE;
  if (s == NULL || max_chars <= 0)
    return TRUE;
  n = g_utf8_strlen (s, -1);
  if (n > max_chars)
    return fail (error, "input.%s is too long: %ld characters (max %ld)", name,
                 n, max_chars);
  return TRUE;
}

/* seed in [min, max]; @random_value (e.g. -1) means "not set". */
static gboolean
take_seed (SimJob *job, JsonObject *in, gint64 min, gint64 max,
           gboolean allow_minus_one, GError **error)
{
  gboolean present;
  gint64 v = 0;

  if (!get_int (in, "input.", "seed", &present, &v, error))
    return FALSE;
  if (!present)
    return TRUE;
  if (allow_minus_one && v == -1)
    return TRUE;
  if (v < min || v > max)
    return fail (error,
                 "Invalid value for input.seed: %" G_GINT64_FORMAT
                 " (allowed: %s%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")",
                 v, allow_minus_one ? "-1 or " : "", min, max);
  job->seed = v;
  job->seed_given = TRUE;
  return TRUE;
}

static const SizeEntry *
wan_size (const gchar *resolution, const gchar *aspect)
{
  for (guint i = 0; i < G_N_ELEMENTS (wan_sizes); i++) {
    if (g_str_equal (wan_sizes[i].resolution, resolution) &&
        g_str_equal (wan_sizes[i].aspect, aspect))
      return &wan_sizes[i];
  }
  return NULL;
}

static void
set_fixed (SimJob *job, gint width, gint height)
{
  job->size_rule = SIM_SIZE_FIXED;
  job->width = width;
  job->height = height;
}

static void
add_candidate (SimJob *job, gint width, gint height)
{
  g_assert (job->n_candidates < G_N_ELEMENTS (job->candidates));
  job->candidates[job->n_candidates].width = width;
  job->candidates[job->n_candidates].height = height;
  job->n_candidates++;
}

/* Candidates: the Wan sizes of @resolution whose aspect is in @aspects. */
static void
wan_candidates (SimJob *job, const gchar *resolution,
                const gchar *const *aspects)
{
  for (guint i = 0; aspects[i]; i++) {
    const SizeEntry *e = wan_size (resolution, aspects[i]);
    if (e)
      add_candidate (job, e->width, e->height);
  }
}

/* ---- per model ----------------------------------------------------- */

static const gchar *const t2v_i2v[] = { "text-to-video", "image-to-video",
                                        NULL };

/* wan-2-5 (wan-2-5.txt). */
static gboolean
validate_wan_2_5 (SimJob *job, JsonObject *in, GError **error)
{
  static const gchar *const resolutions[] = { "720p", "1080p", NULL };
  static const gchar *const aspects[] = { "16:9", "9:16", "1:1", NULL };
  static const gint64 durations[] = { 5, 10 };
  const gchar *mode, *resolution, *aspect;
  gint64 duration;
  gboolean i2v;

  /* SIM CHOICE: mode, resolution and duration default to the page's
   * request-body template (text-to-video, 1080p, 10). */
  if (!get_choice (in, "input.", "mode", t2v_i2v, "text-to-video", &mode,
                   error))
    return FALSE;
  i2v = g_str_equal (mode, "image-to-video");
  /* SIM CHOICE: prompt required for text-to-video, optional for
   * image-to-video (as wan-2-5-video documents). */
  if (!take_prompt (job, in, !i2v, FALSE, 0, error))
    return FALSE;
  if (!get_choice (in, "input.", "resolution", resolutions, "1080p",
                   &resolution, error))
    return FALSE;
  if (!get_int_choice (in, "input.", "duration", durations, 2, FALSE, 10,
                       &duration, error))
    return FALSE;
  if (!get_choice (in, "input.", "aspect_ratio", aspects, "16:9", &aspect,
                   error))
    return FALSE;
  if (!take_text_limit (in, "negative_prompt", 0, error) ||
      !get_bool (in, "input.", "enable_prompt_expansion", error))
    return FALSE;
  /* SIM CHOICE: seed range 0..2147483647 (as wan-2-5-video). */
  if (!take_seed (job, in, 0, SEED_MAX_31, FALSE, error))
    return FALSE;

  if (i2v) {
    /* SIM CHOICE: exactly one reference image ("becomes video start
     * frame"). */
    if (!get_urls (job, in, "image_urls", 1, 1, SIM_MEDIA_IMAGE,
                   &image_limits_std, error))
      return FALSE;
    job->scene = SIM_SCENE_IMAGE;
    if (member (in, "aspect_ratio") != NULL) {
      const SizeEntry *e = wan_size (resolution, aspect);
      set_fixed (job, e->width, e->height);
    } else {
      /* SIM CHOICE: without aspect_ratio, the image's aspect decides. */
      job->size_rule = SIM_SIZE_FROM_IMAGE;
      wan_candidates (job, resolution, aspects);
    }
  } else {
    const SizeEntry *e = wan_size (resolution, aspect);
    if (!forbid (in, "image_urls", "with mode text-to-video", error))
      return FALSE;
    job->scene = SIM_SCENE_TEXT;
    set_fixed (job, e->width, e->height);
  }

  job->duration = duration;
  job->with_audio = TRUE;
  /* SIM CHOICE: prices and times.  Times from the page's tips (720p
   * 50-70 s, 1080p 70-90 s); prices as wan-2-5-video's page. */
  job->price_per_second =
      g_str_equal (resolution, "720p") ? USD (0.10) : USD (0.15);
  job->gen_min = g_str_equal (resolution, "720p") ? 50 : 70;
  job->gen_max = g_str_equal (resolution, "720p") ? 70 : 90;
  return TRUE;
}

/* wan-2-5-video (wan-2-5-video.txt). */
static gboolean
validate_wan_2_5_video (SimJob *job, JsonObject *in, GError **error)
{
  static const gchar *const resolutions[] = { "480p", "720p", "1080p", NULL };
  static const gchar *const aspects_480[] = { "16:9", "9:16", "1:1", NULL };
  static const gchar *const aspects_hd[] = { "16:9", "9:16", "1:1",
                                             "4:3",  "3:4",  NULL };
  static const gint64 durations[] = { 5, 10 };
  const gchar *mode, *resolution, *aspect = NULL;
  const gchar *const *aspects;
  gint64 duration;
  gboolean i2v;

  if (!get_choice (in, "input.", "mode", t2v_i2v, NULL, &mode, error))
    return FALSE;
  i2v = g_str_equal (mode, "image-to-video");
  if (!take_prompt (job, in, !i2v, FALSE, 1500, error))
    return FALSE;
  if (!take_text_limit (in, "negative_prompt", 500, error))
    return FALSE;
  if (!get_choice (in, "input.", "resolution", resolutions, "1080p",
                   &resolution, error))
    return FALSE;
  if (!get_int_choice (in, "input.", "duration", durations, 2, FALSE, 5,
                       &duration, error))
    return FALSE;
  if (!get_bool (in, "input.", "prompt_extend", error) ||
      !get_bool (in, "input.", "watermark", error))
    return FALSE;
  if (!take_seed (job, in, 0, SEED_MAX_31, FALSE, error))
    return FALSE;

  aspects = g_str_equal (resolution, "480p") ? aspects_480 : aspects_hd;
  if (i2v) {
    /* "Use aspect_ratio only with text-to-video." */
    if (!forbid (in, "aspect_ratio", "with mode image-to-video", error))
      return FALSE;
    if (!get_urls (job, in, "image_urls", 1, 1, SIM_MEDIA_IMAGE,
                   &image_limits_wan25v, error))
      return FALSE;
    job->scene = SIM_SCENE_IMAGE;
    /* SIM CHOICE: the image's aspect picks the output size. */
    job->size_rule = SIM_SIZE_FROM_IMAGE;
    wan_candidates (job, resolution, aspects);
  } else {
    const SizeEntry *e;

    if (!forbid (in, "image_urls", "with mode text-to-video", error))
      return FALSE;
    if (!get_string (in, "input.", "aspect_ratio", FALSE, &aspect, error))
      return FALSE;
    if (aspect == NULL)
      aspect = "16:9";
    if (!g_strv_contains (aspects, aspect)) {
      g_autofree gchar *list = g_strjoinv (", ", (gchar **)aspects);
      return fail (error,
                   "Invalid value for input.aspect_ratio: '%.64s' at %s "
                   "(allowed: %s)",
                   aspect, resolution, list);
    }
    e = wan_size (resolution, aspect);
    job->scene = SIM_SCENE_TEXT;
    set_fixed (job, e->width, e->height);
  }

  /* "Supports exactly 1 URL" when given. */
  if (member (in, "audio_urls") != NULL) {
    if (!get_urls (job, in, "audio_urls", 1, 1, SIM_MEDIA_AUDIO,
                   &audio_limits_wan25v, error))
      return FALSE;
    job->audio_input = job->inputs->len - 1;
  }

  job->duration = duration;
  job->with_audio = TRUE;
  if (g_str_equal (resolution, "480p")) {
    job->price_per_second = USD (0.05);
    job->gen_min = 40;
    job->gen_max = 120;
  } else if (g_str_equal (resolution, "720p")) {
    job->price_per_second = USD (0.10);
    job->gen_min = 60;
    job->gen_max = 180;
  } else {
    job->price_per_second = USD (0.15);
    job->gen_min = 90;
    job->gen_max = 250;
  }
  return TRUE;
}

/* veo-3-1 (veo-3-1.txt). */
static gboolean
validate_veo_3_1 (SimJob *job, JsonObject *in, GError **error)
{
  static const gchar *const modes[] = { "quality", "fast", NULL };
  static const gchar *const types[] = { "TEXT_2_VIDEO",
                                        "FIRST_AND_LAST_FRAMES_2_VIDEO",
                                        "REFERENCE_2_VIDEO", NULL };
  /* SIM CHOICE: the page shows 16:9 and 9:16 only. */
  static const gchar *const aspects[] = { "16:9", "9:16", NULL };
  const gchar *mode, *type, *aspect, *watermark;
  gboolean fast;

  /* SIM CHOICE: defaults from the request-body template. */
  if (!get_choice (in, "input.", "mode", modes, "quality", &mode, error))
    return FALSE;
  fast = g_str_equal (mode, "fast");
  /* SIM CHOICE: prompt required. */
  if (!take_prompt (job, in, TRUE, FALSE, 0, error))
    return FALSE;
  if (!get_choice (in, "input.", "generationType", types, "TEXT_2_VIDEO", &type,
                   error))
    return FALSE;
  if (!get_choice (in, "input.", "aspect_ratio", aspects, "16:9", &aspect,
                   error))
    return FALSE;
  if (!get_string (in, "input.", "watermark", FALSE, &watermark, error))
    return FALSE;
  /* SIM CHOICE: seed range 0..4294967295 (Veo's uint32). */
  if (!take_seed (job, in, 0, SEED_MAX_32, FALSE, error))
    return FALSE;

  if (g_str_equal (type, "TEXT_2_VIDEO")) {
    if (!forbid (in, "image_urls", "with generationType TEXT_2_VIDEO", error))
      return FALSE;
    job->scene = SIM_SCENE_TEXT;
  } else if (g_str_equal (type, "FIRST_AND_LAST_FRAMES_2_VIDEO")) {
    if (!get_urls (job, in, "image_urls", 1, 2, SIM_MEDIA_IMAGE,
                   &image_limits_std, error))
      return FALSE;
    job->scene = SIM_SCENE_FIRST_LAST;
  } else {
    if (!fast)
      return fail (error,
                   "Invalid value for input.mode: '%s' "
                   "(generationType REFERENCE_2_VIDEO requires fast)",
                   mode);
    if (!g_str_equal (aspect, "16:9"))
      return fail (error,
                   "Invalid value for input.aspect_ratio: '%s' "
                   "(generationType REFERENCE_2_VIDEO requires 16:9)",
                   aspect);
    if (!get_urls (job, in, "image_urls", 1, 3, SIM_MEDIA_IMAGE,
                   &image_limits_std, error))
      return FALSE;
    job->scene = SIM_SCENE_REFERENCE;
  }

  /* SIM CHOICE: Veo 3.1 makes 8 s clips, 1280x720 or 720x1280, with
   * sound; ~2 min ("average ~2 minutes") as 90-150 s for both modes;
   * $0.40/s quality, $0.15/s fast. */
  if (g_str_equal (aspect, "16:9"))
    set_fixed (job, 1280, 720);
  else
    set_fixed (job, 720, 1280);
  job->duration = 8;
  job->with_audio = TRUE;
  job->price_per_second = fast ? USD (0.15) : USD (0.40);
  job->gen_min = 90;
  job->gen_max = 150;
  return TRUE;
}

/* sora-2-pro (sora-2-pro.txt). */
static gboolean
validate_sora_2_pro (SimJob *job, JsonObject *in, GError **error)
{
  static const gchar *const sizes[] = { "720*1280", "1280*720", "1024*1792",
                                        "1792*1024", NULL };
  static const gchar *const resolutions[] = { "720p", "1080p", NULL };
  static const gint64 durations[] = { 4, 8, 12 };
  const gchar *mode, *size, *resolution;
  gint64 duration;
  gboolean big;

  /* SIM CHOICE: mode defaults to the template's text-to-video. */
  if (!get_choice (in, "input.", "mode", t2v_i2v, "text-to-video", &mode,
                   error))
    return FALSE;
  /* SIM CHOICE: prompt required in both modes. */
  if (!take_prompt (job, in, TRUE, FALSE, 0, error))
    return FALSE;
  /* "Under provider=official, duration values should be explicitly set to
   * 4, 8, or 12": strict, and official is the only provider. */
  if (!get_int_choice (in, "input.", "duration", durations, 3, TRUE, 0,
                       &duration, error))
    return FALSE;

  if (g_str_equal (mode, "text-to-video")) {
    gint w, h;

    if (!forbid (in, "resolution", "with mode text-to-video (use input.size)",
                 error) ||
        !forbid (in, "image_urls", "with mode text-to-video", error))
      return FALSE;
    /* SIM CHOICE: size defaults to the template's 720*1280. */
    if (!get_choice (in, "input.", "size", sizes, "720*1280", &size, error))
      return FALSE;
    sscanf (size, "%d*%d", &w, &h);
    set_fixed (job, w, h);
    job->scene = SIM_SCENE_TEXT;
    big = w > 1280 || h > 1280;
  } else {
    if (!forbid (in, "size", "with mode image-to-video (use input.resolution)",
                 error))
      return FALSE;
    /* SIM CHOICE: resolution defaults to 720p. */
    if (!get_choice (in, "input.", "resolution", resolutions, "720p",
                     &resolution, error))
      return FALSE;
    /* SIM CHOICE: exactly one reference image. */
    if (!get_urls (job, in, "image_urls", 1, 1, SIM_MEDIA_IMAGE,
                   &image_limits_std, error))
      return FALSE;
    job->scene = SIM_SCENE_IMAGE;
    job->size_rule = SIM_SIZE_FROM_IMAGE;
    big = g_str_equal (resolution, "1080p");
    if (big) {
      add_candidate (job, 1920, 1080);
      add_candidate (job, 1080, 1920);
    } else {
      add_candidate (job, 1280, 720);
      add_candidate (job, 720, 1280);
    }
  }

  /* The page documents no seed: SIM CHOICE: ignored like any unknown
   * field, and drawn per task. */
  job->duration = duration;
  job->with_audio = TRUE;
  /* SIM CHOICE: $0.30/s at 720p-class sizes, $0.50/s above; "average ~3
   * minutes" as 150-210 s. */
  job->price_per_second = big ? USD (0.50) : USD (0.30);
  job->gen_min = 150;
  job->gen_max = 210;
  return TRUE;
}

/* wan-2-2-animate (wan-2-2-animate.txt). */
static gboolean
validate_wan_2_2_animate (SimJob *job, JsonObject *in, GError **error)
{
  static const gchar *const modes[] = { "standard", NULL };
  static const gchar *const types[] = { "animate", "replace", NULL };
  static const gchar *const resolutions[] = { "480p", "720p", NULL };
  static const gchar *const aspects[] = { "16:9", "9:16", "1:1", NULL };
  const gchar *mode, *type, *resolution;

  if (!get_choice (in, "input.", "mode", modes, "standard", &mode, error) ||
      !get_choice (in, "input.", "type", types, "animate", &type, error))
    return FALSE;
  /* "Optional prompt guidance. If provided, it must be non-empty." */
  if (!take_prompt (job, in, FALSE, TRUE, 0, error))
    return FALSE;
  if (!get_choice (in, "input.", "resolution", resolutions, "480p", &resolution,
                   error))
    return FALSE;
  if (!take_seed (job, in, 0, SEED_MAX_31, TRUE, error))
    return FALSE;
  /* SIM CHOICE: the animate image limits are those of the other pages. */
  if (!get_urls (job, in, "image_urls", 1, 1, SIM_MEDIA_IMAGE,
                 &image_limits_std, error))
    return FALSE;
  if (!get_urls (job, in, "video_urls", 1, 1, SIM_MEDIA_VIDEO,
                 &video_limits_animate, error))
    return FALSE;
  job->video_input = job->inputs->len - 1;

  job->scene =
      g_str_equal (type, "replace") ? SIM_SCENE_REPLACE : SIM_SCENE_ANIMATE;
  /* SIM CHOICE: output follows the motion video: its duration, and the
   * Wan size of the resolution nearest to its aspect; no sound. */
  job->size_rule = SIM_SIZE_FROM_VIDEO;
  wan_candidates (job, resolution, aspects);
  job->duration = 0;
  job->with_audio = FALSE;
  /* "below 5s is billed as 5s, above 120s is billed as 120s"; SIM CHOICE:
   * $0.04/s at 480p, $0.08/s at 720p, 30-60 s generation. */
  job->price_per_second =
      g_str_equal (resolution, "480p") ? USD (0.04) : USD (0.08);
  job->billed_min = 5;
  job->billed_max = 120;
  job->gen_min = 30;
  job->gen_max = 60;
  return TRUE;
}

/* ---- entry points -------------------------------------------------- */

static gboolean
validate_envelope (SimJob *job, JsonObject *root, GError **error)
{
  static const gchar *const request_types[] = { "async", "callback", NULL };
  static const gchar *const providers[] = { "auto", "value", "official", NULL };
  static const gchar *const official[] = { "official", NULL };
  const gchar *request_type, *callback_url, *provider;
  gboolean sora = job->model->id == SIM_MODEL_SORA_2_PRO;

  if (!get_choice (root, "", "request_type", request_types, "async",
                   &request_type, error))
    return FALSE;
  if (!get_string (root, "", "callback_url", FALSE, &callback_url, error))
    return FALSE;
  job->callback = g_str_equal (request_type, "callback");
  if (job->callback) {
    if (callback_url == NULL || *callback_url == '\0')
      return fail (error, "Missing required field: callback_url "
                          "(required when request_type is callback)");
    /* "Must be a public HTTPS URL"; --allow-local-callbacks lets local
     * receivers (tests) in. */
    if (!callback_url_ok (callback_url))
      return fail (error,
                   allow_local_callbacks
                       ? "Invalid callback_url: not an absolute http(s) URL"
                       : "Invalid callback_url: must be a public HTTPS URL");
    job->callback_url = g_strdup (callback_url);
  }
  /* sora-2-pro: "Only official is supported" (default official). */
  if (!get_choice (root, "", "provider", sora ? official : providers,
                   sora ? "official" : "auto", &provider, error))
    return FALSE;
  return TRUE;
}

SimJob *
sim_job_new (const SimModel *model, JsonNode *root, GError **error)
{
  g_autoptr (SimJob) job = g_new0 (SimJob, 1);
  JsonObject *obj, *in;
  JsonNode *input;
  gboolean ok = FALSE;

  job->model = model;
  job->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)sim_input_free);
  job->audio_input = -1;
  job->video_input = -1;

  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    fail (error, "Invalid request body: expected a JSON object");
    return NULL;
  }
  obj = json_node_get_object (root);
  if (!validate_envelope (job, obj, error))
    return NULL;
  input = member (obj, "input");
  if (input == NULL) {
    fail (error, "Missing required field: input");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (input)) {
    fail (error, "Invalid type for input: expected object");
    return NULL;
  }
  in = json_node_get_object (input);

  switch (model->id) {
    case SIM_MODEL_WAN_2_5:
      ok = validate_wan_2_5 (job, in, error);
      break;
    case SIM_MODEL_WAN_2_5_VIDEO:
      ok = validate_wan_2_5_video (job, in, error);
      break;
    case SIM_MODEL_VEO_3_1:
      ok = validate_veo_3_1 (job, in, error);
      break;
    case SIM_MODEL_SORA_2_PRO:
      ok = validate_sora_2_pro (job, in, error);
      break;
    case SIM_MODEL_WAN_2_2_ANIMATE:
      ok = validate_wan_2_2_animate (job, in, error);
      break;
    default:
      g_assert_not_reached ();
  }
  if (!ok)
    return NULL;
  if (!job->seed_given)
    job->seed = sim_model_random_seed (model);
  return g_steal_pointer (&job);
}

void
sim_job_free (SimJob *job)
{
  if (job == NULL)
    return;
  g_free (job->callback_url);
  g_free (job->prompt);
  sim_markers_clear (&job->markers);
  g_clear_pointer (&job->inputs, g_ptr_array_unref);
  g_free (job);
}

gdouble
sim_job_billed_seconds (const SimJob *job, gdouble duration)
{
  if (job->billed_min > 0 && duration < job->billed_min)
    return job->billed_min;
  if (job->billed_max > 0 && duration > job->billed_max)
    return job->billed_max;
  return duration;
}

gint64
sim_job_cost (const SimJob *job, gdouble billed_seconds)
{
  return (gint64)llround (billed_seconds * (gdouble)job->price_per_second);
}

void
sim_job_choose_size (SimJob *job, gint width, gint height)
{
  gdouble want, best = G_MAXDOUBLE;

  if (job->size_rule == SIM_SIZE_FIXED || job->n_candidates == 0)
    return;
  want = (width > 0 && height > 0) ? log ((gdouble)width / height) : 0.0;
  for (guint i = 0; i < job->n_candidates; i++) {
    const SimSize *c = &job->candidates[i];
    gdouble d = fabs (log ((gdouble)c->width / c->height) - want);
    if (d < best - 1e-9) {
      best = d;
      job->width = c->width;
      job->height = c->height;
    }
  }
}

gint64
sim_model_random_seed (const SimModel *model)
{
  g_autofree gchar *hex = sim_random_hex (4);
  guint64 v = g_ascii_strtoull (hex, NULL, 16);

  if (model->id == SIM_MODEL_VEO_3_1)
    return (gint64)v;
  return (gint64)(v & 0x7fffffff);
}
