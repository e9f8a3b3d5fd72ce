/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The model catalogue.
 *
 * One static ModelRules table per model holds what its documentation page
 * (../shared/apixo-docs/) says: modes, per-mode "shapes" (image counts,
 * resolutions, sizes, aspect ratios, whether a prompt is required), which
 * optional properties the model uses, durations, seed range, defaults we
 * derive, polling figures and rate limits.  The functions below only walk
 * these tables: adding a model is adding a table.
 *
 * Thread safety notes
 * -------------------
 * Pure data and functions: every table is const; the enum GTypes, the id
 * list and the debug category are set up once with g_once_init_enter().
 * No locks; callable from any thread.
 *
 * Choices made where the pages are silent (each marked "CHOICE" below):
 * - wan-2-5: prompt optional for image-to-video (the newer Wan 2.5 page,
 *   wan-2-5-video, documents it so); aspect-ratio accepted in both modes
 *   (the page does not restrict it); exactly one image for image-to-video
 *   ("reference image becomes video start frame"); seed 0..2147483647 (the
 *   range the newer Wan 2.5 page documents).
 * - veo-3-1: prompt required for every generation type (every example has
 *   one, nothing else describes the video in TEXT_2_VIDEO); aspect ratios
 *   16:9 and 9:16 (the ones the page shows); seed 0..2147483647 (a
 *   non-negative 32-bit seed, what the other pages use); no resolution,
 *   duration or negative prompt (not documented: send them with
 *   extra-input); REFERENCE_2_VIDEO gets aspect-ratio 16:9 derived when
 *   unset, since the page says it must be 16:9 and documents no default.
 * - sora-2-pro: prompt required in both modes (Sora generates from the
 *   prompt; the image is only the first frame); exactly one image for
 *   image-to-video; no seed.  Derived when unset: provider official (the
 *   only one supported), duration 4 (the page says durations "should be
 *   explicitly set" under official; 4 s is the cheapest), size 1280*720
 *   for text-to-video (the page's text-to-video example) and resolution
 *   720p for image-to-video (the cheaper of the two), each only when
 *   neither size nor resolution is set.
 * - Typical times are the upper end of the page's range (wan-2-5,
 *   wan-2-5-video): a run past it is "taking longer than usual".  veo-3-1
 *   and sora-2-pro give only an average (~2 and ~3 minutes): their typical
 *   time is that average plus one minute (180 s, 240 s).
 * - wan-2-2-animate: typical time 600 s (no page figure: the service's
 *   general give-up advice for video), polls 60 s / 15 s (general advice).
 * - Every known model: a prompt that is set must contain more than white
 *   space (the animate page requires non-empty; an empty prompt is never
 *   useful elsewhere).
 * - Generic bounds (all models, unknown ones too): model id
 *   [a-z0-9][a-z0-9.-]* up to 64 bytes; prompt and negative-prompt up to
 *   10000 characters (no page documents more than 1500); other short
 *   strings up to 256 bytes; URIs up to 8192 bytes, no white space or
 *   control characters (percent-encode them); at most 64 URIs per list;
 *   all strings valid UTF-8; extra-input nested at most 16 deep.
 * - callback-url must be https (webhook page: "public HTTPS"); plain http
 *   is accepted only for a loopback host (localhost, 127.0.0.0/8, ::1), so
 *   tests can point apixo-sim at a local receiver.  A callback-url without
 *   request-type=callback is an error (the service would never call it).
 *   request-type=callback without callback-url needs public-url: the
 *   element then receives the delivery on its media server (the URL
 *   follows public-url's rule, http or https).
 * - file:// URIs in image-uris/video-uris/audio-uri are local inputs the
 *   element publishes itself: validation accepts them, the JSON body never
 *   carries them (see gst_apixo_request_spec_has_local_inputs()).
 * - Unknown models: the generic field names of the newer pages
 *   (prompt_extend, watermark, generationType, ...); mode must be set.
 * - Media limits: "MB" read as MiB (never refuse what the service may
 *   take).  Each model's limits come from its own page only: the
 *   wan-2-2-animate page documents none for its image (only "exactly 1
 *   item") nor for its motion video (only the billing range), so any image
 *   and any video the element can decode is taken and the service decides;
 *   the other pages' formats, sizes and 240-8000 px are theirs.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixomodels.h"
#include "gstapixodebug.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_models_debug);
#define GST_CAT_DEFAULT apixo_models_debug

#define MAX_MODEL_ID_BYTES 64
#define MAX_TEXT_CHARS 10000
#define MAX_SHORT_BYTES 256
#define MAX_URI_BYTES 8192
#define MAX_URIS 64
#define MAX_EXTRA_DEPTH 16
#define EXCERPT_CHARS 60
#define SEED_MAX G_GINT64_CONSTANT (2147483647)

/* The service's general advice for video (service-facts.md). */
#define GENERAL_FIRST_POLL 60.0
#define GENERAL_INTERVAL 15.0
#define GENERAL_GIVE_UP 600.0

#define EXTRA_INPUT_HINT                                                       \
  "; fields this version does not know can be sent with extra-input"

/* ------------------------------------------------------------------ */
/* Enum GTypes                                                        */

static const GEnumValue provider_values[] = {
  { GST_APIXO_PROVIDER_AUTO,
    "Auto: value routes first, failing over to official routes (service "
    "default)",
    "auto" },
  { GST_APIXO_PROVIDER_VALUE, "Value: partner routes, cheaper", "value" },
  { GST_APIXO_PROVIDER_OFFICIAL,
    "Official: the model vendor's routes (the only one sora-2-pro supports)",
    "official" },
  { 0, NULL, NULL },
};

static const GEnumValue request_type_values[] = {
  { GST_APIXO_REQUEST_TYPE_ASYNC,
    "Async: the element polls the task status (default)", "async" },
  { GST_APIXO_REQUEST_TYPE_CALLBACK,
    "Callback: the service also POSTs the result to callback-url (webhook)",
    "callback" },
  { 0, NULL, NULL },
};

GType
gst_apixo_provider_get_type (void)
{
  static gsize id = 0;

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstApixoProvider", provider_values);
    g_once_init_leave (&id, t);
  }
  return (GType)id;
}

GType
gst_apixo_request_type_get_type (void)
{
  static gsize id = 0;

  if (g_once_init_enter (&id)) {
    GType t =
        g_enum_register_static ("GstApixoRequestType", request_type_values);
    g_once_init_leave (&id, t);
  }
  return (GType)id;
}

const gchar *
gst_apixo_provider_to_string (GstApixoProvider provider)
{
  if ((guint)provider > GST_APIXO_PROVIDER_OFFICIAL)
    return NULL;
  return provider_values[provider].value_nick;
}

const gchar *
gst_apixo_request_type_to_string (GstApixoRequestType type)
{
  if ((guint)type > GST_APIXO_REQUEST_TYPE_CALLBACK)
    return NULL;
  return request_type_values[type].value_nick;
}

/* ------------------------------------------------------------------ */
/* The tables                                                         */

/* Properties a model (or one shape of it) uses. */
enum {
  U_MODE = 1 << 0,
  U_NEGATIVE = 1 << 1,
  U_AUDIO = 1 << 2,
  U_PROMPT_EXTEND = 1 << 3,
  U_WATERMARK = 1 << 4,
  U_WATERMARK_TEXT = 1 << 5,
  U_SEED = 1 << 6,
  U_DURATION = 1 << 7,
  U_TYPE = 1 << 8,
  U_VIDEOS = 1 << 9,
  U_GENERATION_TYPE = 1 << 10,
  U_RESOLUTION = 1 << 11,
  U_SIZE = 1 << 12,
  U_ASPECT = 1 << 13,
  U_IMAGES = 1 << 14,
};

typedef struct {
  const gchar *name;           /* "4:3" */
  const gchar *const *only_at; /* resolutions it needs; NULL: any */
} AspectRule;

/* One request shape: a mode, or for veo-3-1 a generation type. */
typedef struct {
  const gchar *key;
  const gchar *const *modes; /* veo-3-1: modes of this type; NULL: model's */
  const gchar *derived_mode; /* veo-3-1: mode derived for this type */
  guint min_images, max_images;
  gboolean prompt_required;
  const gchar *const *resolutions; /* NULL: resolution not used */
  const gchar *const *sizes;       /* NULL: size not used */
  const AspectRule *aspects;       /* {NULL}-terminated; NULL: not used */
  const gchar *derive_size;        /* when neither size nor resolution set */
  const gchar *derive_resolution;  /* idem */
  const gchar *derive_aspect;      /* when aspect-ratio unset */
} ShapeRules;

/* Poll figures by resolution; the row with resolution NULL is the
 * fallback (and ends the table). */
typedef struct {
  const gchar *resolution;
  gdouble first_poll, interval, typical;
} Timing;

typedef struct {
  GstApixoModelInfo info;
  const gchar *const *modes;
  gboolean shape_by_generation_type; /* veo-3-1 */
  const ShapeRules *shapes;          /* {NULL}-terminated */
  guint uses;                        /* U_* bits not implied by the rest */
  const gint *durations;             /* 0-terminated; NULL: not used */
  gint derive_duration;
  gint default_duration;           /* service default, for billing */
  const gchar *default_resolution; /* service default, for rules by res */
  const gchar *const *types;       /* wan-2-2-animate; [0] derived */
  guint min_videos, max_videos;
  gint64 seed_min, seed_max;                  /* with U_SEED */
  glong prompt_max_chars, negative_max_chars; /* 0: generic bound only */
  const gchar *prompt_extend_key;
  gboolean official_only;
  const Timing *timing;
  const GstApixoMediaLimits *images, *videos, *audio; /* NULL: none taken */
  gdouble billed_min_seconds, billed_max_seconds;     /* by input duration */
} ModelRules;

static const gchar *const T2V_I2V[] = { "text-to-video", "image-to-video",
                                        NULL };
static const gchar *const RES_HD[] = { "720p", "1080p", NULL };
static const gchar *const RES_ALL[] = { "480p", "720p", "1080p", NULL };
static const gchar *const RES_SD_HD[] = { "480p", "720p", NULL };
static const gint DUR_5_10[] = { 5, 10, 0 };
static const gint DUR_SORA[] = { 4, 8, 12, 0 };

static const AspectRule ASPECTS_WAN[] = {
  { "16:9" }, { "9:16" }, { "1:1" }, { NULL }
};
static const AspectRule ASPECTS_WAN25V[] = {
  { "16:9" },        { "9:16" },        { "1:1" },
  { "4:3", RES_HD }, { "3:4", RES_HD }, { NULL }
};
static const AspectRule ASPECTS_VEO[] = { { "16:9" }, { "9:16" }, { NULL } };
static const AspectRule ASPECTS_VEO_REF[] = { { "16:9" }, { NULL } };

#define MiB (G_GUINT64_CONSTANT (1024) * 1024)

static const gchar *const JPG_PNG_WEBP[] = { "image/jpeg", "image/png",
                                             "image/webp", NULL };
static const gchar *const WAN25V_IMAGE_TYPES[] = { "image/jpeg", "image/png",
                                                   "image/bmp", "image/webp",
                                                   NULL };
/* mp3 files with an ID3v2 tag typefind as application/x-id3 */
static const gchar *const WAV_MP3[] = { "audio/x-wav", "audio/mpeg", NULL };

/* "image_urls supports JPG, PNG, WebP, max 10MB per image" (wan-2-5,
 * veo-3-1, sora-2-pro). */
static const GstApixoMediaLimits IMAGES_10MB = {
  .media_types = JPG_PNG_WEBP,
  .max_bytes = 10 * MiB,
};
static const GstApixoMediaLimits WAN25V_IMAGES = {
  .media_types = WAN25V_IMAGE_TYPES,
  .max_bytes = 20 * MiB,
  .min_dimension = 240,
  .max_dimension = 8000,
  .no_alpha = TRUE,
};
static const GstApixoMediaLimits WAN25V_AUDIO = {
  .media_types = WAV_MP3,
  .max_bytes = 15 * MiB,
  .min_seconds = 3,
  .max_seconds = 30,
};
/* CHOICE: a page silent on a kind of input it takes (wan-2-2-animate's
 * image and motion video) gets no limit: any decodable image or video.
 * Limits of other pages are not borrowed: refusing locally what the
 * service may take leaves the user no way around it. */
static const GstApixoMediaLimits UNDOCUMENTED = { NULL };

/* wan-2-5.txt */
static const ShapeRules WAN25_SHAPES[] = {
  { .key = "text-to-video",
    .prompt_required = TRUE,
    .resolutions = RES_HD,
    .aspects = ASPECTS_WAN },
  /* CHOICE: prompt optional, aspect-ratio accepted, one image */
  { .key = "image-to-video",
    .min_images = 1,
    .max_images = 1,
    .resolutions = RES_HD,
    .aspects = ASPECTS_WAN },
  { NULL },
};

static const Timing WAN25_TIMING[] = {
  { "720p", 50, 5, 70 },
  { NULL, 50, 5, 90 }, /* 1080p, and the upper bound when unset */
};

/* wan-2-5-video.txt */
static const ShapeRules WAN25V_SHAPES[] = {
  { .key = "text-to-video",
    .prompt_required = TRUE,
    .resolutions = RES_ALL,
    .aspects = ASPECTS_WAN25V },
  { .key = "image-to-video",
    .min_images = 1,
    .max_images = 1,
    .resolutions = RES_ALL },
  { NULL },
};

static const Timing WAN25V_TIMING[] = {
  { "480p", 40, 10, 120 },
  { "720p", 60, 10, 180 },
  { NULL, 90, 10, 250 }, /* 1080p, the documented default */
};

/* veo-3-1.txt */
static const gchar *const VEO_MODES[] = { "quality", "fast", NULL };
static const gchar *const VEO_FAST[] = { "fast", NULL };

static const ShapeRules VEO_SHAPES[] = {
  { .key = "TEXT_2_VIDEO",
    .derived_mode = "quality",
    .prompt_required = TRUE,
    .aspects = ASPECTS_VEO },
  { .key = "FIRST_AND_LAST_FRAMES_2_VIDEO",
    .derived_mode = "quality",
    .min_images = 1,
    .max_images = 2,
    .prompt_required = TRUE,
    .aspects = ASPECTS_VEO },
  { .key = "REFERENCE_2_VIDEO",
    .modes = VEO_FAST,
    .derived_mode = "fast",
    .min_images = 1,
    .max_images = 3,
    .prompt_required = TRUE,
    .aspects = ASPECTS_VEO_REF,
    .derive_aspect = "16:9" },
  { NULL },
};

/* "Average ~2 minutes": 180 s as the upper bound. */
static const Timing VEO_TIMING[] = { { NULL, 90, 5, 180 } };

/* sora-2-pro.txt */
static const gchar *const SORA_SIZES[] = { "720*1280", "1280*720", "1024*1792",
                                           "1792*1024", NULL };

static const ShapeRules SORA_SHAPES[] = {
  { .key = "text-to-video",
    .prompt_required = TRUE,
    .sizes = SORA_SIZES,
    .derive_size = "1280*720" },
  { .key = "image-to-video",
    .min_images = 1,
    .max_images = 1,
    .prompt_required = TRUE,
    .resolutions = RES_HD,
    .derive_resolution = "720p" },
  { NULL },
};

/* "Average ~3 minutes": 240 s as the upper bound. */
static const Timing SORA_TIMING[] = { { NULL, 120, 5, 240 } };

/* wan-2-2-animate.txt */
static const gchar *const ANIMATE_MODES[] = { "standard", NULL };
static const gchar *const ANIMATE_TYPES[] = { "animate", "replace", NULL };

static const ShapeRules ANIMATE_SHAPES[] = {
  { .key = "standard",
    .min_images = 1,
    .max_images = 1,
    .resolutions = RES_SD_HD },
  { NULL },
};

static const Timing GENERAL_TIMING[] = {
  { NULL, GENERAL_FIRST_POLL, GENERAL_INTERVAL, GENERAL_GIVE_UP }
};

/* Documentation order. */
static const ModelRules MODELS[] = {
  {
      .info = { "wan-2-5",
                "Wan 2.5: text or one image to a 5/10 s video with sound, "
                "720p/1080p",
                10000, 1000, TRUE },
      .modes = T2V_I2V,
      .shapes = WAN25_SHAPES,
      .uses = U_NEGATIVE | U_PROMPT_EXTEND | U_SEED,
      .durations = DUR_5_10,
      .seed_min = 0,
      .seed_max = SEED_MAX,
      .prompt_extend_key = "enable_prompt_expansion",
      .timing = WAN25_TIMING,
      .images = &IMAGES_10MB,
  },
  {
      .info = { "wan-2-5-video",
                "Wan 2.5 (video page): text or one image, optional audio "
                "track, to a 5/10 s video with sound, 480p-1080p",
                10000, 1000, TRUE },
      .modes = T2V_I2V,
      .shapes = WAN25V_SHAPES,
      .uses = U_NEGATIVE | U_PROMPT_EXTEND | U_SEED | U_AUDIO | U_WATERMARK,
      .durations = DUR_5_10,
      .default_duration = 5,
      .default_resolution = "1080p",
      .seed_min = 0,
      .seed_max = SEED_MAX,
      .prompt_max_chars = 1500,
      .negative_max_chars = 500,
      .prompt_extend_key = "prompt_extend",
      .timing = WAN25V_TIMING,
      .images = &WAN25V_IMAGES,
      .audio = &WAN25V_AUDIO,
  },
  {
      .info = { "veo-3-1",
                "Google Veo 3.1: text, first/last frames or reference images "
                "to video with sound",
                10000, 1000, TRUE },
      .modes = VEO_MODES,
      .shape_by_generation_type = TRUE,
      .shapes = VEO_SHAPES,
      .uses = U_SEED | U_WATERMARK_TEXT,
      .seed_min = 0,
      .seed_max = SEED_MAX,
      .timing = VEO_TIMING,
      .images = &IMAGES_10MB,
  },
  {
      .info = { "sora-2-pro",
                "OpenAI Sora 2 Pro: text or one image to a 4/8/12 s video "
                "with sound (official route only)",
                60, 10, TRUE },
      .modes = T2V_I2V,
      .shapes = SORA_SHAPES,
      .durations = DUR_SORA,
      .derive_duration = 4,
      .official_only = TRUE,
      .timing = SORA_TIMING,
      .images = &IMAGES_10MB,
  },
  {
      .info = { "wan-2-2-animate",
                "Wan 2.2 Animate: a character image animated by a motion "
                "video, or replacing its person (no sound)",
                10000, 1000, FALSE },
      .modes = ANIMATE_MODES,
      .shapes = ANIMATE_SHAPES,
      .uses = U_SEED,
      .default_resolution = "480p",
      .types = ANIMATE_TYPES,
      .min_videos = 1,
      .max_videos = 1,
      .seed_min = -1, /* -1: random */
      .seed_max = SEED_MAX,
      .timing = GENERAL_TIMING,
      .images = &UNDOCUMENTED,
      .videos = &UNDOCUMENTED,
      .billed_min_seconds = 5,
      .billed_max_seconds = 120,
  },
};

/* ------------------------------------------------------------------ */
/* Catalogue look-ups                                                 */

static void
models_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_models_debug, "apixomodels", 0,
                                      "APIXO model catalogue");
}

static const ModelRules *
rules_lookup (const gchar *model)
{
  if (model == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (MODELS); i++) {
    if (strcmp (MODELS[i].info.id, model) == 0)
      return &MODELS[i];
  }
  return NULL;
}

const GstApixoModelInfo *
gst_apixo_model_lookup (const gchar *model)
{
  const ModelRules *m = rules_lookup (model);

  return m ? &m->info : NULL;
}

const gchar *const *
gst_apixo_model_list (void)
{
  static const gchar *ids[G_N_ELEMENTS (MODELS) + 1];
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    for (guint i = 0; i < G_N_ELEMENTS (MODELS); i++)
      ids[i] = MODELS[i].info.id;
    g_once_init_leave (&done, 1);
  }
  return ids;
}

static gboolean
strv_has (const gchar *const *strv, const gchar *s)
{
  return strv && s && g_strv_contains (strv, s);
}

static guint
strv_len0 (gchar **strv)
{
  return strv ? g_strv_length (strv) : 0;
}

static const ShapeRules *
shape_lookup (const ModelRules *m, const gchar *key)
{
  for (const ShapeRules *sh = m->shapes; key && sh->key; sh++) {
    if (strcmp (sh->key, key) == 0)
      return sh;
  }
  return NULL;
}

/* The shape a request is in: by generation type (veo-3-1) or mode. */
static const ShapeRules *
spec_shape (const ModelRules *m, const GstApixoRequestSpec *spec)
{
  return shape_lookup (m, m->shape_by_generation_type ? spec->generation_type
                                                      : spec->mode);
}

static guint
shape_uses (const ModelRules *m, const ShapeRules *sh)
{
  guint u = m->uses | U_MODE;

  u |= m->durations ? U_DURATION : 0;
  u |= m->types ? U_TYPE : 0;
  u |= m->max_videos ? U_VIDEOS : 0;
  u |= m->shape_by_generation_type ? U_GENERATION_TYPE : 0;
  u |= sh->resolutions ? U_RESOLUTION : 0;
  u |= sh->sizes ? U_SIZE : 0;
  u |= sh->aspects ? U_ASPECT : 0;
  u |= sh->max_images ? U_IMAGES : 0;
  return u;
}

/* ------------------------------------------------------------------ */
/* Request spec                                                       */

GstApixoRequestSpec *
gst_apixo_request_spec_new (void)
{
  GstApixoRequestSpec *spec = g_new0 (GstApixoRequestSpec, 1);

  spec->provider = GST_APIXO_PROVIDER_AUTO;
  spec->request_type = GST_APIXO_REQUEST_TYPE_ASYNC;
  return spec;
}

GstApixoRequestSpec *
gst_apixo_request_spec_copy (const GstApixoRequestSpec *spec)
{
  GstApixoRequestSpec *c = g_new (GstApixoRequestSpec, 1);

  *c = *spec;
  c->model = g_strdup (spec->model);
  c->mode = g_strdup (spec->mode);
  c->prompt = g_strdup (spec->prompt);
  c->negative_prompt = g_strdup (spec->negative_prompt);
  c->resolution = g_strdup (spec->resolution);
  c->aspect_ratio = g_strdup (spec->aspect_ratio);
  c->size = g_strdup (spec->size);
  c->image_uris = g_strdupv (spec->image_uris);
  c->video_uris = g_strdupv (spec->video_uris);
  c->audio_uri = g_strdup (spec->audio_uri);
  c->watermark_text = g_strdup (spec->watermark_text);
  c->generation_type = g_strdup (spec->generation_type);
  c->type = g_strdup (spec->type);
  c->callback_url = g_strdup (spec->callback_url);
  c->extra_input =
      spec->extra_input ? gst_structure_copy (spec->extra_input) : NULL;
  return c;
}

void
gst_apixo_request_spec_free (GstApixoRequestSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->model);
  g_free (spec->mode);
  g_free (spec->prompt);
  g_free (spec->negative_prompt);
  g_free (spec->resolution);
  g_free (spec->aspect_ratio);
  g_free (spec->size);
  g_strfreev (spec->image_uris);
  g_strfreev (spec->video_uris);
  g_free (spec->audio_uri);
  g_free (spec->watermark_text);
  g_free (spec->generation_type);
  g_free (spec->type);
  g_free (spec->callback_url);
  if (spec->extra_input)
    gst_structure_free (spec->extra_input);
  g_free (spec);
}

gboolean
gst_apixo_uri_is_local (const gchar *uri)
{
  return uri && (g_ascii_strncasecmp (uri, "file:", 5) == 0 ||
                 g_str_has_prefix (uri, GST_APIXO_PAD_URI_PREFIX));
}

gchar *
gst_apixo_uri_suggest_file_uri (const gchar *value)
{
  gchar *path, *uri;

  /* "C:..." or "http:..." has a scheme: not a plain path */
  if (value == NULL || *value == '\0' || g_uri_peek_scheme (value) != NULL)
    return NULL;
  path = g_canonicalize_filename (value, NULL);
  uri = g_filename_to_uri (path, NULL, NULL);
  g_free (path);
  return uri;
}

static gboolean
strv_has_local (gchar **uris)
{
  for (guint i = 0; uris && uris[i]; i++) {
    if (gst_apixo_uri_is_local (uris[i]))
      return TRUE;
  }
  return FALSE;
}

gboolean
gst_apixo_request_spec_has_local_inputs (const GstApixoRequestSpec *spec)
{
  return strv_has_local (spec->image_uris) ||
         strv_has_local (spec->video_uris) ||
         gst_apixo_uri_is_local (spec->audio_uri);
}

/* ------------------------------------------------------------------ */
/* Derivation                                                         */

static void
set_default_str (gchar **field, const gchar *value, const gchar *name)
{
  if (*field != NULL || value == NULL)
    return;
  *field = g_strdup (value);
  GST_DEBUG ("derived %s=%s", name, value);
}

/* The shape whose image count range holds @n, else the one taking the
 * most images (so that the count is what validation reports). */
static const ShapeRules *
shape_for_images (const ModelRules *m, guint n)
{
  const ShapeRules *widest = m->shapes;

  for (const ShapeRules *sh = m->shapes; sh->key; sh++) {
    if (n >= sh->min_images && n <= sh->max_images)
      return sh;
    if (sh->max_images > widest->max_images)
      widest = sh;
  }
  return widest;
}

static void
derive_shape (const ModelRules *m, GstApixoRequestSpec *spec)
{
  const ShapeRules *by_images =
      shape_for_images (m, strv_len0 (spec->image_uris));
  const ShapeRules *sh;

  if (!m->shape_by_generation_type) {
    set_default_str (&spec->mode, by_images->key, "mode");
    return;
  }
  set_default_str (&spec->generation_type, by_images->key, "generation-type");
  sh = spec_shape (m, spec);
  set_default_str (&spec->mode, sh ? sh->derived_mode : m->modes[0], "mode");
}

static void
derive_official_only (const ModelRules *m, GstApixoRequestSpec *spec)
{
  if (!m->official_only || spec->provider_set)
    return;
  spec->provider = GST_APIXO_PROVIDER_OFFICIAL;
  spec->provider_set = TRUE;
  GST_DEBUG ("derived provider=official");
}

void
gst_apixo_request_spec_derive (GstApixoRequestSpec *spec)
{
  const ModelRules *m = rules_lookup (spec->model);
  const ShapeRules *sh;

  models_init_debug ();
  if (m == NULL)
    return;

  derive_shape (m, spec);
  derive_official_only (m, spec);
  if (m->types)
    set_default_str (&spec->type, m->types[0], "type");
  if (spec->duration == 0 && m->derive_duration) {
    spec->duration = m->derive_duration;
    GST_DEBUG ("derived duration=%d", spec->duration);
  }

  sh = spec_shape (m, spec);
  if (sh == NULL)
    return;
  if (spec->size == NULL && spec->resolution == NULL) {
    set_default_str (&spec->size, sh->derive_size, "size");
    set_default_str (&spec->resolution, sh->derive_resolution, "resolution");
  }
  set_default_str (&spec->aspect_ratio, sh->derive_aspect, "aspect-ratio");
}

/* ------------------------------------------------------------------ */
/* Describing values and rules (error messages, blurbs)               */

/* A refusal of the request.  Every message begins with the name of the
 * property at fault, as the user sets it ("resolution '4k' is not
 * supported..."): the elements name it in the error's details from there
 * (gstapixobasesrc.c, refused_property()). */
G_GNUC_PRINTF (2, 3)
static gboolean
fail (GError **error, const gchar *format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  GST_DEBUG ("invalid request: %s", msg);
  g_set_error_literal (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                       msg);
  g_free (msg);
  return FALSE;
}

/* A string quoted for a message: made valid UTF-8, control characters
 * escaped, cut after EXCERPT_CHARS characters. */
static void
append_excerpt (GString *out, const gchar *s)
{
  gchar *valid = g_utf8_make_valid (s, -1);
  const gchar *p = valid;

  g_string_append_c (out, '\'');
  for (guint n = 0; *p && n < EXCERPT_CHARS; p = g_utf8_next_char (p), n++) {
    gunichar c = g_utf8_get_char (p);

    if (c < 0x20 || c == 0x7f)
      g_string_append_printf (out, "\\x%02x", c);
    else
      g_string_append_unichar (out, c);
  }
  if (*p)
    g_string_append (out, "...");
  g_string_append_c (out, '\'');
  g_free (valid);
}

static gchar *
excerpt (const gchar *s)
{
  GString *out = g_string_new (NULL);

  append_excerpt (out, s);
  return g_string_free (out, FALSE);
}

static gchar *
strv_excerpt (gchar **strv)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; strv && strv[i]; i++) {
    if (i == 3) {
      g_string_append_printf (out, ", ... (%u in all)", g_strv_length (strv));
      break;
    }
    if (i)
      g_string_append (out, ", ");
    append_excerpt (out, strv[i]);
  }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

static gchar *
join_ints (const gint *ints)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; ints[i]; i++)
    g_string_append_printf (out, "%s%d", i ? ", " : "", ints[i]);
  return g_string_free (out, FALSE);
}

static gchar *
join_aspects (const AspectRule *aspects, const gchar *at_resolution)
{
  GString *out = g_string_new (NULL);

  for (const AspectRule *a = aspects; a->name; a++) {
    if (at_resolution && a->only_at && !strv_has (a->only_at, at_resolution))
      continue;
    g_string_append_printf (out, "%s%s", out->len ? ", " : "", a->name);
    if (!at_resolution && a->only_at) {
      gchar *res = g_strjoinv ("/", (gchar **)a->only_at);
      g_string_append_printf (out, " (%s only)", res);
      g_free (res);
    }
  }
  return g_string_free (out, FALSE);
}

static gchar *
shape_keys (const ModelRules *m)
{
  GString *out = g_string_new (NULL);

  for (const ShapeRules *sh = m->shapes; sh->key; sh++)
    g_string_append_printf (out, "%s%s", out->len ? ", " : "", sh->key);
  return g_string_free (out, FALSE);
}

static gchar *
count_range (guint min, guint max)
{
  if (min == max)
    return g_strdup_printf ("exactly %u URI%s", min, min == 1 ? "" : "s");
  return g_strdup_printf ("%u to %u URIs", min, max);
}

/* What @bit allows in shape @sh of @m, or NULL for a property without a
 * value list. */
static gchar *
allowed_values (guint bit, const ModelRules *m, const ShapeRules *sh)
{
  switch (bit) {
    case U_MODE:
      return g_strjoinv (", ",
                         (gchar **)(sh && sh->modes ? sh->modes : m->modes));
    case U_RESOLUTION:
      return g_strjoinv (", ", (gchar **)sh->resolutions);
    case U_SIZE:
      return g_strjoinv (", ", (gchar **)sh->sizes);
    case U_ASPECT:
      return join_aspects (sh->aspects, NULL);
    case U_DURATION:
      return join_ints (m->durations);
    case U_TYPE:
      return g_strjoinv (", ", (gchar **)m->types);
    case U_GENERATION_TYPE:
      return shape_keys (m);
    case U_SEED:
      return g_strdup_printf ("%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                              m->seed_min, m->seed_max);
    case U_IMAGES:
      return count_range (sh->min_images, sh->max_images);
    case U_VIDEOS:
      return count_range (m->min_videos, m->max_videos);
    default:
      return NULL;
  }
}

/* Appends where @m uses @bit: "sora-2-pro", or per shape
 * "sora-2-pro (text-to-video)"; with ": values" when @with_values. */
static void
append_use (GString *out, const gchar *id, const gchar *key,
            const gchar *values)
{
  g_string_append_printf (out, "%s%s", out->len ? "; " : "", id);
  if (key)
    g_string_append_printf (out, " (%s)", key);
  if (values && *values)
    g_string_append_printf (out, ": %s", values);
}

static void
describe_model_use (GString *out, guint bit, const ModelRules *m,
                    gboolean with_values)
{
  gboolean all = TRUE, same = TRUE;
  gchar *first = NULL;
  const ShapeRules *sh;

  for (sh = m->shapes; sh->key; sh++) {
    gchar *v;

    if (!(shape_uses (m, sh) & bit)) {
      all = FALSE;
      continue;
    }
    v = allowed_values (bit, m, sh);
    if (v == NULL)
      v = g_strdup ("");
    if (first == NULL)
      first = v;
    else
      same = same && g_strcmp0 (first, v) == 0;
    if (v != first)
      g_free (v);
  }
  if (first && all && (same || !with_values))
    append_use (out, m->info.id, NULL, with_values ? first : NULL);
  else if (first) {
    for (sh = m->shapes; sh->key; sh++) {
      gchar *v;

      if (!(shape_uses (m, sh) & bit))
        continue;
      v = with_values ? allowed_values (bit, m, sh) : NULL;
      append_use (out, m->info.id, sh->key, v);
      g_free (v);
    }
  }
  g_free (first);
}

static gchar *
describe_use (guint bit, gboolean with_values)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (MODELS); i++)
    describe_model_use (out, bit, &MODELS[i], with_values);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* The properties a model may or may not use                          */

typedef enum {
  K_STRING,
  K_STRV,
  K_BOOL,
  K_INT,
  K_INT64,
} Kind;

typedef struct {
  const gchar *name; /* the element's property */
  guint bit;
  Kind kind;
  gsize offset;
  gsize set_offset; /* the *_set flag; 0: none */
} PropInfo;

#define OFF(f) G_STRUCT_OFFSET (GstApixoRequestSpec, f)

static const PropInfo PROPS[] = {
  { "mode", U_MODE, K_STRING, OFF (mode) },
  { "negative-prompt", U_NEGATIVE, K_STRING, OFF (negative_prompt) },
  { "resolution", U_RESOLUTION, K_STRING, OFF (resolution) },
  { "duration", U_DURATION, K_INT, OFF (duration) },
  { "aspect-ratio", U_ASPECT, K_STRING, OFF (aspect_ratio) },
  { "size", U_SIZE, K_STRING, OFF (size) },
  { "image-uris", U_IMAGES, K_STRV, OFF (image_uris) },
  { "video-uris", U_VIDEOS, K_STRV, OFF (video_uris) },
  { "audio-uri", U_AUDIO, K_STRING, OFF (audio_uri) },
  { "seed", U_SEED, K_INT64, OFF (seed), OFF (seed_set) },
  { "prompt-extend", U_PROMPT_EXTEND, K_BOOL, OFF (prompt_extend),
    OFF (prompt_extend_set) },
  { "watermark", U_WATERMARK, K_BOOL, OFF (watermark), OFF (watermark_set) },
  { "watermark-text", U_WATERMARK_TEXT, K_STRING, OFF (watermark_text) },
  { "generation-type", U_GENERATION_TYPE, K_STRING, OFF (generation_type) },
  { "type", U_TYPE, K_STRING, OFF (type) },
};

#define FIELD(spec, off, T) (*(T *)((const guint8 *)(spec) + (off)))

static gboolean
prop_is_set (const PropInfo *p, const GstApixoRequestSpec *spec)
{
  if (p->set_offset && !FIELD (spec, p->set_offset, gboolean))
    return FALSE;
  switch (p->kind) {
    case K_STRING:
      return FIELD (spec, p->offset, gchar *) != NULL;
    case K_STRV:
      return strv_len0 (FIELD (spec, p->offset, gchar **)) > 0;
    case K_INT:
      return FIELD (spec, p->offset, gint) != 0;
    default:
      return TRUE;
  }
}

/* The value as a message shows it: 'text', [...], true, 5. */
static gchar *
prop_show (const PropInfo *p, const GstApixoRequestSpec *spec)
{
  switch (p->kind) {
    case K_STRING:
      return excerpt (FIELD (spec, p->offset, gchar *));
    case K_STRV:
      return strv_excerpt (FIELD (spec, p->offset, gchar **));
    case K_BOOL:
      return g_strdup (FIELD (spec, p->offset, gboolean) ? "true" : "false");
    case K_INT:
      return g_strdup_printf ("%d", FIELD (spec, p->offset, gint));
    default:
      return g_strdup_printf ("%" G_GINT64_FORMAT,
                              FIELD (spec, p->offset, gint64));
  }
}

static const PropInfo *
prop_lookup (const gchar *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (PROPS); i++) {
    if (g_strcmp0 (PROPS[i].name, name) == 0)
      return &PROPS[i];
  }
  return NULL;
}

gchar *
gst_apixo_models_describe_allowed (const gchar *property)
{
  const PropInfo *p = prop_lookup (property);

  return p ? describe_use (p->bit, TRUE) : NULL;
}

/* ------------------------------------------------------------------ */
/* Generic checks (every model, known or not)                         */

static const gchar *closest_model (const gchar *model);

static gboolean
check_model_id (const gchar *model, GError **error)
{
  gsize len = model ? strlen (model) : 0;
  gboolean ok = len > 0 && len <= MAX_MODEL_ID_BYTES &&
                (g_ascii_islower (model[0]) || g_ascii_isdigit (model[0]));
  gchar *known, *shown;
  const gchar *closest;

  for (gsize i = 0; ok && i < len; i++) {
    ok = g_ascii_islower (model[i]) || g_ascii_isdigit (model[i]) ||
         model[i] == '.' || model[i] == '-';
  }
  if (ok)
    return TRUE;
  known = g_strjoinv (", ", (gchar **)gst_apixo_model_list ());
  if (model == NULL) {
    fail (error, "model is not set (allowed: a model id; known: %s)", known);
    g_free (known);
    return FALSE;
  }
  shown = excerpt (model ? model : "");
  closest = len <= MAX_MODEL_ID_BYTES ? closest_model (model) : NULL;
  fail (error,
        "model %s is not a valid model id (allowed: lowercase letters, digits, "
        "'.' and '-', starting with a letter or digit, at most %d bytes; "
        "known: %s)%s%s%s",
        shown, MAX_MODEL_ID_BYTES, known, closest ? "; did you mean " : "",
        closest ? closest : "", closest ? "?" : "");
  g_free (known);
  g_free (shown);
  return FALSE;
}

typedef struct {
  const gchar *name;
  gsize offset;
  gboolean text; /* counted in characters, MAX_TEXT_CHARS */
} StringField;

static const StringField STRINGS[] = {
  { "mode", OFF (mode) },
  { "prompt", OFF (prompt), TRUE },
  { "negative-prompt", OFF (negative_prompt), TRUE },
  { "resolution", OFF (resolution) },
  { "aspect-ratio", OFF (aspect_ratio) },
  { "size", OFF (size) },
  { "watermark-text", OFF (watermark_text) },
  { "generation-type", OFF (generation_type) },
  { "type", OFF (type) },
};

static gboolean
check_utf8 (const gchar *name, const gchar *value, GError **error)
{
  gchar *shown;

  if (g_utf8_validate (value, -1, NULL))
    return TRUE;
  shown = excerpt (value);
  fail (error, "%s %s is not valid UTF-8 text (allowed: UTF-8 only)", name,
        shown);
  g_free (shown);
  return FALSE;
}

static gboolean
check_string_field (const StringField *f, const GstApixoRequestSpec *spec,
                    GError **error)
{
  const gchar *value = FIELD (spec, f->offset, gchar *);
  gchar *shown;
  gboolean ok;

  if (value == NULL)
    return TRUE;
  if (!check_utf8 (f->name, value, error))
    return FALSE;
  ok = f->text ? g_utf8_strlen (value, -1) <= MAX_TEXT_CHARS
               : strlen (value) <= MAX_SHORT_BYTES;
  if (ok)
    return TRUE;
  shown = excerpt (value);
  fail (error, "%s %s is too long (allowed: at most %d %s)", f->name, shown,
        f->text ? MAX_TEXT_CHARS : MAX_SHORT_BYTES,
        f->text ? "characters" : "bytes");
  g_free (shown);
  return FALSE;
}

static gboolean
uri_has_bad_chars (const gchar *uri)
{
  for (const guchar *p = (const guchar *)uri; *p; p++) {
    if (*p <= 0x20 || *p == 0x7f)
      return TRUE;
  }
  return FALSE;
}

/* Parses @uri; NULL (and @error set) if it is not a URI we can send. */
static GUri *
parse_uri (const gchar *name, const gchar *uri, GError **error)
{
  gchar *shown = excerpt (uri);
  GUri *parsed = NULL;

  if (!check_utf8 (name, uri, error)) {
    /* set */
  } else if (strlen (uri) > MAX_URI_BYTES) {
    fail (error, "%s %s is too long (allowed: at most %d bytes)", name, shown,
          MAX_URI_BYTES);
  } else if (uri_has_bad_chars (uri)) {
    fail (error,
          "%s %s contains white space or control characters (allowed: a "
          "percent-encoded URI, e.g. %%20 for a space)",
          name, shown);
  } else if (!(parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL))) {
    fail (error, "%s %s is not a valid URI", name, shown);
  }
  g_free (shown);
  return parsed;
}

/* A plain path where a URI is expected (the usual first try with a local
 * file): say which file:// URI it would be. */
static gboolean
check_not_a_path (const gchar *name, const gchar *uri, GError **error)
{
  gchar *suggestion = gst_apixo_uri_suggest_file_uri (uri);
  gchar *shown;

  if (suggestion == NULL)
    return TRUE;
  shown = excerpt (uri);
  fail (error,
        "%s %s is not a valid URI: it looks like a local path; a local file "
        "is given as a file:// URI, did you mean %s? (allowed: http:// or "
        "https:// URLs with a host, or file:///path for a local input)",
        name, shown, suggestion);
  g_free (shown);
  g_free (suggestion);
  return FALSE;
}

/* http(s) with a host, or a file:// URI of a local input (which the
 * element publishes itself). */
static gboolean
check_input_uri (const gchar *name, const gchar *uri, GError **error)
{
  GUri *parsed;
  const gchar *scheme, *host;
  gboolean ok;
  gchar *shown;

  /* data the element receives on a sink pad */
  if (g_str_has_prefix (uri, GST_APIXO_PAD_URI_PREFIX))
    return TRUE;
  if (!check_not_a_path (name, uri, error))
    return FALSE;
  parsed = parse_uri (name, uri, error);
  if (parsed == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  if (g_ascii_strcasecmp (scheme, "file") == 0)
    ok = (host == NULL || *host == '\0' ||
          g_ascii_strcasecmp (host, "localhost") == 0) &&
         g_uri_get_path (parsed)[0] == '/';
  else
    ok = (g_ascii_strcasecmp (scheme, "http") == 0 ||
          g_ascii_strcasecmp (scheme, "https") == 0) &&
         host && *host;
  g_uri_unref (parsed);
  if (ok)
    return TRUE;
  shown = excerpt (uri);
  fail (error,
        "%s %s is not usable (allowed: http:// or https:// URLs with a host, "
        "or file:///path for a local input)",
        name, shown);
  g_free (shown);
  return FALSE;
}

static gboolean
check_uri_list (const gchar *name, gchar **uris, GError **error)
{
  guint n = strv_len0 (uris);

  if (n > MAX_URIS) {
    gchar *shown = strv_excerpt (uris);
    fail (error, "%s %s has %u URIs (allowed: at most %d)", name, shown, n,
          MAX_URIS);
    g_free (shown);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    if (!check_input_uri (name, uris[i], error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
host_is_loopback (const gchar *host)
{
  GInetAddress *addr;
  gboolean loopback;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  loopback = addr && g_inet_address_get_is_loopback (addr);
  g_clear_object (&addr);
  return loopback;
}

static gboolean
check_callback_url (const gchar *url, GError **error)
{
  GUri *parsed = parse_uri ("callback-url", url, error);
  const gchar *scheme, *host;
  gboolean ok;
  gchar *shown;

  if (parsed == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  ok = host && *host &&
       (g_ascii_strcasecmp (scheme, "https") == 0 ||
        (g_ascii_strcasecmp (scheme, "http") == 0 && host_is_loopback (host)));
  g_uri_unref (parsed);
  if (ok)
    return TRUE;
  shown = excerpt (url);
  fail (error,
        "callback-url %s is not usable (allowed: a public https:// URL, as "
        "the service delivers webhooks over HTTPS; http:// only for a "
        "loopback receiver such as http://127.0.0.1:PORT/ in tests)",
        shown);
  g_free (shown);
  return FALSE;
}

static gboolean
check_enums (const GstApixoRequestSpec *spec, GError **error)
{
  if (gst_apixo_request_type_to_string (spec->request_type) == NULL)
    return fail (error,
                 "request-type %d is not valid (allowed: async, "
                 "callback)",
                 spec->request_type);
  if (gst_apixo_provider_to_string (spec->provider) == NULL)
    return fail (error,
                 "provider %d is not valid (allowed: auto, value, "
                 "official)",
                 spec->provider);
  return TRUE;
}

static gboolean
check_delivery (const GstApixoRequestSpec *spec, GError **error)
{
  gboolean callback = spec->request_type == GST_APIXO_REQUEST_TYPE_CALLBACK;
  gchar *shown;

  if (callback && (spec->callback_url == NULL || !*spec->callback_url)) {
    if (spec->callback_receiver)
      return TRUE; /* our own receiver, on public-url */
    return fail (error,
                 "request-type 'callback' needs a callback-url or a "
                 "public-url (allowed: callback-url, a public https:// URL "
                 "receiving the result; or public-url, the public base URL "
                 "of this element's media server, which then receives it "
                 "itself)");
  }
  if (!callback && spec->callback_url) {
    shown = excerpt (spec->callback_url);
    fail (error,
          "callback-url %s is set but request-type is 'async' (allowed: "
          "callback-url only with request-type=callback)",
          shown);
    g_free (shown);
    return FALSE;
  }
  return !callback || check_callback_url (spec->callback_url, error);
}

/* extra-input values -> JSON.  NULL for a value with no JSON form; then
 * *@bad is the GType refused. */
static JsonNode *value_to_node (const GValue *v, guint depth, GType *bad);

static JsonNode *
list_to_node (const GValue *v, guint depth, GType *bad)
{
  gboolean is_array = GST_VALUE_HOLDS_ARRAY (v);
  guint n =
      is_array ? gst_value_array_get_size (v) : gst_value_list_get_size (v);
  JsonArray *array = json_array_sized_new (n);
  JsonNode *node;

  for (guint i = 0; i < n; i++) {
    const GValue *item = is_array ? gst_value_array_get_value (v, i)
                                  : gst_value_list_get_value (v, i);
    JsonNode *child = value_to_node (item, depth + 1, bad);

    if (child == NULL) {
      json_array_unref (array);
      return NULL;
    }
    json_array_add_element (array, child);
  }
  node = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);
  return node;
}

typedef struct {
  JsonObject *object;
  guint depth;
  GType *bad;
  gboolean ok;
} StructToJson;

static gboolean
struct_field_to_json (GQuark field, const GValue *v, gpointer user_data)
{
  StructToJson *ctx = user_data;
  JsonNode *node = value_to_node (v, ctx->depth, ctx->bad);

  if (node == NULL) {
    ctx->ok = FALSE;
    return FALSE;
  }
  json_object_set_member (ctx->object, g_quark_to_string (field), node);
  return TRUE;
}

/* Fields of @s set (last word) into @object. */
static gboolean
struct_into_object (const GstStructure *s, JsonObject *object, guint depth,
                    GType *bad)
{
  StructToJson ctx = { object, depth, bad, TRUE };

  gst_structure_foreach (s, struct_field_to_json, &ctx);
  return ctx.ok;
}

static JsonNode *
struct_to_node (const GstStructure *s, guint depth, GType *bad)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = NULL;

  if (s && struct_into_object (s, object, depth + 1, bad))
    node = json_node_init_object (json_node_alloc (), object);
  else if (s == NULL)
    node = json_node_init_null (json_node_alloc ());
  json_object_unref (object);
  return node;
}

static JsonNode *
number_to_node (const GValue *v, GType *bad)
{
  GType t = G_VALUE_TYPE (v);
  gdouble d;

  if (t == G_TYPE_INT)
    return json_node_init_int (json_node_alloc (), g_value_get_int (v));
  if (t == G_TYPE_UINT)
    return json_node_init_int (json_node_alloc (), g_value_get_uint (v));
  if (t == G_TYPE_INT64)
    return json_node_init_int (json_node_alloc (), g_value_get_int64 (v));
  if (t == G_TYPE_UINT64 && g_value_get_uint64 (v) <= G_MAXINT64)
    return json_node_init_int (json_node_alloc (), g_value_get_uint64 (v));
  d = t == G_TYPE_DOUBLE  ? g_value_get_double (v)
      : t == G_TYPE_FLOAT ? g_value_get_float (v)
                          : NAN;
  if (isfinite (d))
    return json_node_init_double (json_node_alloc (), d);
  *bad = t; /* also NaN/inf and uint64 beyond int64: no JSON form */
  return NULL;
}

static JsonNode *
value_to_node (const GValue *v, guint depth, GType *bad)
{
  GType t = G_VALUE_TYPE (v);

  if (depth > MAX_EXTRA_DEPTH) {
    *bad = t;
    return NULL;
  }
  if (t == G_TYPE_STRING && g_value_get_string (v) == NULL)
    return json_node_init_null (json_node_alloc ());
  if (t == G_TYPE_STRING &&
      !g_utf8_validate (g_value_get_string (v), -1, NULL)) {
    *bad = t;
    return NULL;
  }
  if (t == G_TYPE_STRING)
    return json_node_init_string (json_node_alloc (), g_value_get_string (v));
  if (t == G_TYPE_BOOLEAN)
    return json_node_init_boolean (json_node_alloc (), g_value_get_boolean (v));
  if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v))
    return list_to_node (v, depth, bad);
  if (GST_VALUE_HOLDS_STRUCTURE (v))
    return struct_to_node (gst_value_get_structure (v), depth, bad);
  return number_to_node (v, bad);
}

typedef struct {
  GError **error;
  gboolean ok;
} ExtraCheck;

static gboolean
check_extra_field (GQuark field, const GValue *v, gpointer user_data)
{
  ExtraCheck *ctx = user_data;
  GType bad = G_TYPE_INVALID;
  JsonNode *node = value_to_node (v, 0, &bad);
  gchar *serialized, *shown;

  if (node) {
    json_node_unref (node);
    return TRUE;
  }
  serialized = gst_value_serialize (v);
  shown = excerpt (serialized ? serialized : "?");
  fail (ctx->error,
        "extra-input field '%s' %s (%s) cannot be sent as JSON (allowed: "
        "UTF-8 strings, integers within int64, finite doubles, booleans, "
        "arrays/lists of these and structures, nested at most %d deep)",
        g_quark_to_string (field), shown, g_type_name (bad), MAX_EXTRA_DEPTH);
  g_free (serialized);
  g_free (shown);
  ctx->ok = FALSE;
  return FALSE;
}

static gboolean
check_extra_input (const GstStructure *extra, GError **error)
{
  ExtraCheck ctx = { error, TRUE };

  if (extra)
    gst_structure_foreach (extra, check_extra_field, &ctx);
  return ctx.ok;
}

static gboolean
check_generic (const GstApixoRequestSpec *spec, GError **error)
{
  if (!check_model_id (spec->model, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (STRINGS); i++) {
    if (!check_string_field (&STRINGS[i], spec, error))
      return FALSE;
  }
  if (spec->duration < 0)
    return fail (error,
                 "duration %d is negative (allowed: seconds > 0, or "
                 "0 for the service's default)",
                 spec->duration);
  if (!check_uri_list ("image-uris", spec->image_uris, error) ||
      !check_uri_list ("video-uris", spec->video_uris, error))
    return FALSE;
  if (spec->audio_uri && !check_input_uri ("audio-uri", spec->audio_uri, error))
    return FALSE;
  return check_enums (spec, error) && check_delivery (spec, error) &&
         check_extra_input (spec->extra_input, error);
}

/* ------------------------------------------------------------------ */
/* Model checks (known models)                                        */

/* "model" or "model shape": the shape is named when the rule for @bit
 * differs between the model's shapes (@bit 0: whenever it has several). */
static gchar *
where (const ModelRules *m, const ShapeRules *sh, guint bit)
{
  gboolean uniform = sh == NULL || m->shapes[1].key == NULL;

  if (!uniform && bit) {
    gchar *mine = allowed_values (bit, m, sh);

    uniform = TRUE;
    for (const ShapeRules *s = m->shapes; uniform && s->key; s++) {
      gchar *other =
          (shape_uses (m, s) & bit) ? allowed_values (bit, m, s) : NULL;

      uniform = other && g_strcmp0 (mine, other) == 0;
      g_free (other);
    }
    g_free (mine);
  }
  if (uniform)
    return g_strdup (m->info.id);
  return g_strdup_printf ("%s %s", m->info.id, sh->key);
}

/* "<name> <shown> is not supported by <where> (allowed: ...)". */
static gboolean
fail_not_in (GError **error, const gchar *name, const gchar *shown,
             const ModelRules *m, const ShapeRules *sh, guint bit)
{
  gchar *allowed = allowed_values (bit, m, sh);
  gchar *w = where (m, sh, bit);

  fail (error, "%s %s is not supported by %s (allowed: %s)", name, shown, w,
        allowed);
  g_free (allowed);
  g_free (w);
  return FALSE;
}

static gboolean
check_in_list (const gchar *name, const gchar *value, const gchar *const *list,
               const ModelRules *m, const ShapeRules *sh, guint bit,
               GError **error)
{
  gchar *shown;

  if (value == NULL || strv_has (list, value))
    return TRUE;
  shown = excerpt (value);
  fail_not_in (error, name, shown, m, sh, bit);
  g_free (shown);
  return FALSE;
}

static gboolean
fail_not_set (GError **error, const gchar *name, const ModelRules *m, guint bit)
{
  gchar *allowed = allowed_values (bit, m, NULL);

  fail (error, "%s is not set (allowed for %s: %s)", name, m->info.id, allowed);
  g_free (allowed);
  return FALSE;
}

/* The shape of the request; for veo-3-1 also checks the mode against the
 * generation type. */
static const ShapeRules *
check_shape (const ModelRules *m, const GstApixoRequestSpec *spec,
             GError **error)
{
  const ShapeRules *sh;

  if (spec->mode == NULL) {
    fail_not_set (error, "mode", m, U_MODE);
    return NULL;
  }
  if (!check_in_list ("mode", spec->mode, m->modes, m, NULL, U_MODE, error))
    return NULL;
  if (!m->shape_by_generation_type)
    return shape_lookup (m, spec->mode);

  if (spec->generation_type == NULL) {
    fail_not_set (error, "generation-type", m, U_GENERATION_TYPE);
    return NULL;
  }
  sh = shape_lookup (m, spec->generation_type);
  if (sh == NULL) {
    check_in_list ("generation-type", spec->generation_type, NULL, m, NULL,
                   U_GENERATION_TYPE, error);
    return NULL;
  }
  if (!check_in_list ("mode", spec->mode, sh->modes ? sh->modes : m->modes, m,
                      sh, U_MODE, error))
    return NULL;
  return sh;
}

static gboolean
check_used (const ModelRules *m, const ShapeRules *sh,
            const GstApixoRequestSpec *spec, GError **error)
{
  guint here = shape_uses (m, sh), anywhere = 0;

  for (const ShapeRules *s = m->shapes; s->key; s++)
    anywhere |= shape_uses (m, s);

  for (guint i = 0; i < G_N_ELEMENTS (PROPS); i++) {
    const PropInfo *p = &PROPS[i];
    gchar *shown, *users;

    if ((here & p->bit) || !prop_is_set (p, spec))
      continue;
    shown = prop_show (p, spec);
    users = describe_use (p->bit, FALSE);
    fail (error, "%s %s is not used by %s%s%s (%s is used by: %s%s)", p->name,
          shown, m->info.id, (anywhere & p->bit) ? " " : "",
          (anywhere & p->bit) ? sh->key : "", p->name,
          *users ? users : "no model of this version", EXTRA_INPUT_HINT);
    g_free (shown);
    g_free (users);
    return FALSE;
  }
  return TRUE;
}

static gboolean
prompt_is_blank (const gchar *prompt)
{
  for (const gchar *p = prompt; *p; p = g_utf8_next_char (p)) {
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_text_length (const gchar *name, const gchar *text, glong max,
                   const ModelRules *m, GError **error)
{
  glong chars;
  gchar *shown;

  if (text == NULL || max == 0 || (chars = g_utf8_strlen (text, -1)) <= max)
    return TRUE;
  shown = excerpt (text);
  fail (error,
        "%s %s (%ld characters) is too long for %s (allowed: at most "
        "%ld characters)",
        name, shown, chars, m->info.id, max);
  g_free (shown);
  return FALSE;
}

static gboolean
fail_prompt (const ModelRules *m, const ShapeRules *sh,
             const GstApixoRequestSpec *spec, GError **error)
{
  gchar *w = where (m, sh, 0), *shown;

  if (spec->prompt == NULL) {
    fail (error, "prompt is not set: %s requires one (allowed: non-empty text)",
          w);
  } else {
    shown = excerpt (spec->prompt);
    fail (error, "prompt %s is empty (allowed for %s: non-empty text%s)", shown,
          w, sh->prompt_required ? "" : ", or prompt left unset");
    g_free (shown);
  }
  g_free (w);
  return FALSE;
}

static gboolean
check_prompt (const ModelRules *m, const ShapeRules *sh,
              const GstApixoRequestSpec *spec, GError **error)
{
  if (spec->prompt ? prompt_is_blank (spec->prompt) : sh->prompt_required)
    return fail_prompt (m, sh, spec, error);
  return check_text_length ("prompt", spec->prompt, m->prompt_max_chars, m,
                            error) &&
         check_text_length ("negative-prompt", spec->negative_prompt,
                            m->negative_max_chars, m, error);
}

/* sora-2-pro: size (text-to-video) and resolution (image-to-video) are
 * alternatives; both set is reported as such, before "not used". */
static gboolean
check_size_and_resolution (const ModelRules *m, const GstApixoRequestSpec *spec,
                           GError **error)
{
  guint anywhere = 0;
  gchar *size, *res;

  for (const ShapeRules *s = m->shapes; s->key; s++)
    anywhere |= shape_uses (m, s);
  if (!spec->size || !spec->resolution || !(anywhere & U_SIZE))
    return TRUE;
  size = excerpt (spec->size);
  res = excerpt (spec->resolution);
  fail (error,
        "size %s and resolution %s are both set (allowed for %s: "
        "size for text-to-video, resolution for image-to-video, not both)",
        size, res, m->info.id);
  g_free (size);
  g_free (res);
  return FALSE;
}

static gboolean
check_aspect (const ModelRules *m, const ShapeRules *sh,
              const GstApixoRequestSpec *spec, GError **error)
{
  const gchar *res =
      spec->resolution ? spec->resolution : m->default_resolution;
  const AspectRule *a;
  gchar *shown, *allowed, *w;

  if (spec->aspect_ratio == NULL || sh->aspects == NULL)
    return TRUE;
  for (a = sh->aspects; a->name; a++) {
    if (strcmp (a->name, spec->aspect_ratio) == 0)
      break;
  }
  if (a->name &&
      (a->only_at == NULL || res == NULL || strv_has (a->only_at, res)))
    return TRUE;

  shown = excerpt (spec->aspect_ratio);
  if (res == NULL) {
    fail_not_in (error, "aspect-ratio", shown, m, sh, U_ASPECT);
  } else {
    allowed = join_aspects (sh->aspects, res);
    w = where (m, sh, U_ASPECT);
    fail (error,
          "aspect-ratio %s is not supported by %s at %s%s (allowed at %s: %s)",
          shown, w, res, spec->resolution ? "" : " (the default resolution)",
          res, allowed);
    g_free (allowed);
    g_free (w);
  }
  g_free (shown);
  return FALSE;
}

/* @sh NULL: a count rule of the whole model. */
static gboolean
check_count (const gchar *name, gchar **uris, guint min, guint max,
             const ModelRules *m, const ShapeRules *sh, guint bit,
             GError **error)
{
  guint n = strv_len0 (uris);
  gchar *shown, *allowed, *w;

  if (max == 0 || (n >= min && n <= max))
    return TRUE;
  shown = strv_excerpt (uris);
  allowed = allowed_values (bit, m, sh);
  w = where (m, sh, bit);
  if (n == 0)
    fail (error, "%s is empty: %s needs %s", name, w, allowed);
  else
    fail (error, "%s %s has %u URIs (allowed for %s: %s)", name, shown, n, w,
          allowed);
  g_free (shown);
  g_free (allowed);
  g_free (w);
  return FALSE;
}

static gboolean
int_in (const gint *list, gint value)
{
  for (; *list; list++) {
    if (*list == value)
      return TRUE;
  }
  return FALSE;
}

static gboolean
check_numbers (const ModelRules *m, const GstApixoRequestSpec *spec,
               GError **error)
{
  gchar *shown = NULL;

  if (spec->duration && m->durations &&
      !int_in (m->durations, spec->duration)) {
    shown = g_strdup_printf ("%d", spec->duration);
    fail_not_in (error, "duration", shown, m, NULL, U_DURATION);
  } else if (spec->seed_set && (m->uses & U_SEED) &&
             (spec->seed < m->seed_min || spec->seed > m->seed_max)) {
    shown = g_strdup_printf ("%" G_GINT64_FORMAT, spec->seed);
    fail_not_in (error, "seed", shown, m, NULL, U_SEED);
  }
  g_free (shown);
  return shown == NULL;
}

static gboolean
check_provider (const ModelRules *m, const GstApixoRequestSpec *spec,
                GError **error)
{
  if (!m->official_only || !spec->provider_set ||
      spec->provider == GST_APIXO_PROVIDER_OFFICIAL)
    return TRUE;
  return fail (error,
               "provider '%s' is not supported by %s (allowed: "
               "official)",
               gst_apixo_provider_to_string (spec->provider), m->info.id);
}

static gboolean
check_model (const ModelRules *m, const GstApixoRequestSpec *spec,
             GError **error)
{
  const ShapeRules *sh = check_shape (m, spec, error);

  return sh && check_provider (m, spec, error) &&
         check_size_and_resolution (m, spec, error) &&
         check_used (m, sh, spec, error) && check_prompt (m, sh, spec, error) &&
         check_in_list ("resolution", spec->resolution, sh->resolutions, m, sh,
                        U_RESOLUTION, error) &&
         check_in_list ("size", spec->size, sh->sizes, m, sh, U_SIZE, error) &&
         check_aspect (m, sh, spec, error) &&
         check_count ("image-uris", spec->image_uris, sh->min_images,
                      sh->max_images, m, sh, U_IMAGES, error) &&
         check_count ("video-uris", spec->video_uris, m->min_videos,
                      m->max_videos, m, NULL, U_VIDEOS, error) &&
         check_numbers (m, spec, error) &&
         check_in_list ("type", spec->type, m->types, m, NULL, U_TYPE, error);
}

/* @s lowercased without its punctuation: "Veo_3.1" and "veo-3-1" are the
 * same id to a reader. */
static gchar *
model_id_letters (const gchar *s)
{
  GString *out = g_string_new (NULL);

  for (; *s; s++) {
    if (g_ascii_isalnum (*s))
      g_string_append_c (out, g_ascii_tolower (*s));
  }
  return g_string_free (out, FALSE);
}

/* Levenshtein distance, one row at a time (model ids are short). */
static guint
edit_distance (const gchar *a, const gchar *b)
{
  guint la = strlen (a), lb = strlen (b);
  guint *row = g_new (guint, lb + 1);
  guint diag, up, d;

  for (guint j = 0; j <= lb; j++)
    row[j] = j;
  for (guint i = 1; i <= la; i++) {
    diag = row[0];
    row[0] = i;
    for (guint j = 1; j <= lb; j++) {
      up = row[j];
      d = MIN (MIN (row[j] + 1, row[j - 1] + 1),
               diag + (a[i - 1] == b[j - 1] ? 0 : 1));
      diag = up;
      row[j] = d;
    }
  }
  d = row[lb];
  g_free (row);
  return d;
}

/* The catalogue's model id @model is most likely a typo of, or NULL when
 * none is close: at most one edit in four letters, punctuation aside
 * ("veo3" -> veo-3-1; "wan-3-0" is not wan-2-5, it may be a newer model). */
static const gchar *
closest_model (const gchar *model)
{
  gchar *letters = model_id_letters (model), *known;
  const gchar *best = NULL;
  guint best_d = G_MAXUINT, d;

  for (guint i = 0; i < G_N_ELEMENTS (MODELS); i++) {
    known = model_id_letters (MODELS[i].info.id);
    d = edit_distance (letters, known);
    if (d <= MAX (1, strlen (known) / 4) && d < best_d) {
      best = MODELS[i].info.id;
      best_d = d;
    }
    g_free (known);
  }
  g_free (letters);
  return best;
}

/* A model id close to a known one and no mode: a typo, not a new model;
 * said before the missing mode it would otherwise be reported as. */
static gboolean
fail_unknown_model (const gchar *model, const gchar *closest, GError **error)
{
  gchar *known = g_strjoinv (", ", (gchar **)gst_apixo_model_list ());

  fail (
      error,
      "model '%s' is unknown, did you mean %s? (allowed: %s; another model id "
      "is sent unchecked only with mode set)",
      model, closest, known);
  g_free (known);
  return FALSE;
}

static gboolean
check_unknown (const GstApixoRequestSpec *spec, gchar **warning, GError **error)
{
  const gchar *closest = closest_model (spec->model);
  gchar *known;

  if ((spec->mode == NULL || !*spec->mode) && closest != NULL)
    return fail_unknown_model (spec->model, closest, error);
  if (spec->mode == NULL || !*spec->mode)
    return fail (
        error,
        "mode is not set: model '%s' is not in this "
        "version's catalogue, so no mode can be derived (allowed: the mode "
        "its documentation page lists)",
        spec->model);
  if (spec->watermark_set && spec->watermark_text)
    return fail (error, "watermark and watermark-text are both set "
                        "(allowed: one of them; both become input.watermark)");
  if (warning) {
    known = g_strjoinv (", ", (gchar **)gst_apixo_model_list ());
    *warning =
        g_strdup_printf ("model '%s' is not in this version's "
                         "catalogue (known: %s%s%s); the request is sent "
                         "unchecked",
                         spec->model, known, closest ? "; did you mean " : "",
                         closest ? closest : "");
    g_free (known);
  }
  return TRUE;
}

gboolean
gst_apixo_request_spec_validate (const GstApixoRequestSpec *spec,
                                 gchar **warning, GError **error)
{
  const ModelRules *m;

  models_init_debug ();
  if (warning)
    *warning = NULL;
  if (!check_generic (spec, error))
    return FALSE;
  m = rules_lookup (spec->model);
  return m ? check_model (m, spec, error)
           : check_unknown (spec, warning, error);
}

/* ------------------------------------------------------------------ */
/* The request body                                                   */

static void
set_string (JsonObject *o, const gchar *key, const gchar *value)
{
  if (value)
    json_object_set_string_member (o, key, value);
}

/* Remote URIs only: local inputs (file://) never leave the machine. */
static void
set_uris (JsonObject *o, const gchar *key, const gchar *const *uris)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; uris && uris[i]; i++) {
    if (!gst_apixo_uri_is_local (uris[i]))
      json_array_add_string_element (array, uris[i]);
  }
  if (json_array_get_length (array) > 0)
    json_object_set_array_member (o, key, array);
  else
    json_array_unref (array);
}

static JsonObject *
build_input (const GstApixoRequestSpec *spec, const ModelRules *m)
{
  JsonObject *in = json_object_new ();
  const gchar *audio[] = { spec->audio_uri, NULL };

  set_string (in, "mode", spec->mode);
  set_string (in, "prompt", spec->prompt);
  set_string (in, "generationType", spec->generation_type);
  set_string (in, "type", spec->type);
  set_uris (in, "image_urls", (const gchar *const *)spec->image_uris);
  set_uris (in, "video_urls", (const gchar *const *)spec->video_uris);
  set_uris (in, "audio_urls", audio);
  set_string (in, "resolution", spec->resolution);
  set_string (in, "size", spec->size);
  if (spec->duration > 0)
    json_object_set_int_member (in, "duration", spec->duration);
  set_string (in, "aspect_ratio", spec->aspect_ratio);
  set_string (in, "negative_prompt", spec->negative_prompt);
  if (spec->prompt_extend_set)
    json_object_set_boolean_member (
        in, m && m->prompt_extend_key ? m->prompt_extend_key : "prompt_extend",
        spec->prompt_extend);
  if (spec->watermark_set)
    json_object_set_boolean_member (in, "watermark", spec->watermark);
  set_string (in, "watermark", spec->watermark_text);
  if (spec->seed_set)
    json_object_set_int_member (in, "seed", spec->seed);
  return in;
}

JsonNode *
gst_apixo_request_spec_to_json (const GstApixoRequestSpec *spec)
{
  const ModelRules *m = rules_lookup (spec->model);
  JsonObject *root = json_object_new ();
  JsonObject *in = build_input (spec, m);
  JsonNode *node;
  GType bad = G_TYPE_INVALID;

  models_init_debug ();
  json_object_set_string_member (
      root, "request_type",
      gst_apixo_request_type_to_string (spec->request_type));
  if (spec->request_type == GST_APIXO_REQUEST_TYPE_CALLBACK)
    set_string (root, "callback_url", spec->callback_url);
  if (m && m->official_only)
    json_object_set_string_member (root, "provider", "official");
  else if (spec->provider_set)
    set_string (root, "provider",
                gst_apixo_provider_to_string (spec->provider));
  /* extra-input has the last word; a validated spec cannot fail here. */
  if (spec->extra_input && !struct_into_object (spec->extra_input, in, 0, &bad))
    GST_WARNING ("extra-input value of type %s left out", g_type_name (bad));
  json_object_set_object_member (root, "input", in);

  node = json_node_init_object (json_node_alloc (), root);
  json_object_unref (root);
  return node;
}

/* ------------------------------------------------------------------ */
/* Timing                                                             */

static const Timing *
spec_timing (const GstApixoRequestSpec *spec)
{
  const ModelRules *m = rules_lookup (spec->model);
  const Timing *t = m ? m->timing : GENERAL_TIMING;
  const gchar *res = spec->resolution;

  if (res == NULL && m)
    res = m->default_resolution;
  while (t->resolution && g_strcmp0 (t->resolution, res) != 0)
    t++;
  return t;
}

void
gst_apixo_request_spec_poll_advice (const GstApixoRequestSpec *spec,
                                    gdouble *first_poll, gdouble *interval)
{
  const Timing *t = spec_timing (spec);

  if (first_poll)
    *first_poll = t->first_poll;
  if (interval)
    *interval = t->interval;
}

gdouble
gst_apixo_request_spec_typical_time (const GstApixoRequestSpec *spec)
{
  return spec_timing (spec)->typical;
}

gboolean
gst_apixo_request_spec_typical_documented (const GstApixoRequestSpec *spec)
{
  /* every documented figure has its own table; the general advice is the
   * fallback of the rest */
  return spec_timing (spec) != GENERAL_TIMING;
}

/* ------------------------------------------------------------------ */
/* Prices                                                             */

/* One documented price: USD per billed second of @model's requests in
 * @mode at @resolution (NULL: any).  Only what a page documents: a request
 * without a row has no estimate, never a guess.  Adding a price is adding a
 * row. */
typedef struct {
  const gchar *model;
  const gchar *mode;
  const gchar *resolution;
  gdouble usd_per_second;
} Price;

static const Price PRICES[] = {
  /* wan-2-5-video.txt, "Billing": total_cost = duration_seconds *
   * resolution_unit_price */
  { "wan-2-5-video", "text-to-video", "480p", 0.05 },
  { "wan-2-5-video", "text-to-video", "720p", 0.10 },
  { "wan-2-5-video", "text-to-video", "1080p", 0.15 },
  { "wan-2-5-video", "image-to-video", "480p", 0.05 },
  { "wan-2-5-video", "image-to-video", "720p", 0.10 },
  { "wan-2-5-video", "image-to-video", "1080p", 0.15 },
};

static gboolean
matches_or_any (const gchar *rule, const gchar *value)
{
  return rule == NULL || g_strcmp0 (rule, value) == 0;
}

/* The row pricing @spec (@m: its model's rules), NULL if none. */
static const Price *
price_lookup (const ModelRules *m, const GstApixoRequestSpec *spec)
{
  const gchar *res =
      spec->resolution ? spec->resolution : m->default_resolution;

  for (guint i = 0; i < G_N_ELEMENTS (PRICES); i++) {
    if (g_str_equal (PRICES[i].model, m->info.id) &&
        matches_or_any (PRICES[i].mode, spec->mode) &&
        matches_or_any (PRICES[i].resolution, res))
      return &PRICES[i];
  }
  return NULL;
}

static gboolean
model_has_price (const ModelRules *m)
{
  for (guint i = 0; i < G_N_ELEMENTS (PRICES); i++) {
    if (g_str_equal (PRICES[i].model, m->info.id))
      return TRUE;
  }
  return FALSE;
}

gdouble
gst_apixo_request_spec_billed_seconds (const GstApixoRequestSpec *spec)
{
  const ModelRules *m = rules_lookup (spec->model);

  /* billed by an input's duration (probed later), or billing undocumented */
  if (m == NULL || m->billed_max_seconds > 0 || !model_has_price (m))
    return -1;
  if (spec->duration > 0)
    return spec->duration;
  return m->default_duration > 0 ? m->default_duration : -1;
}

/* Why @spec (@m: its model's rules, may be NULL) has no price. */
static gchar *
no_price_reason (const ModelRules *m, const GstApixoRequestSpec *spec)
{
  if (m == NULL)
    return g_strdup_printf ("model '%s' is not in this version's catalogue, "
                            "so no price is known for it",
                            GST_STR_NULL (spec->model));
  if (model_has_price (m))
    return g_strdup_printf (
        "the %s page documents no price for mode %s at resolution %s",
        m->info.id, GST_STR_NULL (spec->mode),
        spec->resolution ? spec->resolution
                         : GST_STR_NULL (m->default_resolution));
  if (m->billed_max_seconds > 0)
    return g_strdup_printf (
        "the %s page documents no price, only the billed seconds (the "
        "input video's duration, %g to %g s)",
        m->info.id, m->billed_min_seconds, m->billed_max_seconds);
  return g_strdup_printf ("the %s page documents no price", m->info.id);
}

gboolean
gst_apixo_request_spec_estimate_cost (const GstApixoRequestSpec *spec,
                                      gdouble billed_seconds, gdouble *usd,
                                      gchar **why_unknown)
{
  const ModelRules *m = rules_lookup (spec->model);
  const Price *price = m ? price_lookup (m, spec) : NULL;

  if (price == NULL) {
    if (why_unknown != NULL)
      *why_unknown = no_price_reason (m, spec);
    return FALSE;
  }
  if (billed_seconds < 0)
    billed_seconds = gst_apixo_request_spec_billed_seconds (spec);
  if (billed_seconds < 0) {
    if (why_unknown != NULL)
      *why_unknown = g_strdup_printf ("the billed seconds of this %s request "
                                      "are not known yet",
                                      m->info.id);
    return FALSE;
  }
  /* whole micro-USD, as the service's balance: no 0.25000000000000006 */
  *usd = (gint64)(billed_seconds * price->usd_per_second * 1e6 + 0.5) / 1e6;
  return TRUE;
}

gchar *
gst_apixo_usd_to_string (gdouble usd)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  const gchar *dot;
  gsize len;

  /* cents at least, micro-USD at most, in any locale */
  g_ascii_formatd (buf, sizeof (buf), "%.6f", usd);
  len = strlen (buf);
  dot = strchr (buf, '.');
  while (dot != NULL && buf[len - 1] == '0' && dot < buf + len - 3)
    buf[--len] = '\0';
  return g_strdup_printf ("%s USD", buf);
}

/* ------------------------------------------------------------------ */
/* Media behind input URLs                                            */

const GstApixoMediaLimits *
gst_apixo_model_media_limits (const gchar *model, GstApixoMediaKind kind)
{
  const ModelRules *m = rules_lookup (model);

  if (m == NULL)
    return NULL;
  switch (kind) {
    case GST_APIXO_MEDIA_IMAGE:
      return m->images;
    case GST_APIXO_MEDIA_VIDEO:
      return m->videos;
    case GST_APIXO_MEDIA_AUDIO:
      return m->audio;
    default:
      return NULL;
  }
}

gdouble
gst_apixo_model_billed_seconds (const gchar *model, gdouble input_seconds)
{
  const ModelRules *m = rules_lookup (model);

  if (m == NULL || m->billed_max_seconds <= 0)
    return -1;
  return CLAMP (input_seconds, m->billed_min_seconds, m->billed_max_seconds);
}
