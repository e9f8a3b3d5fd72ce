/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-apixosrc
 * @title: apixosrc
 *
 * apixosrc generates a video with the APIXO cloud generation API (models
 * wan-2-5, wan-2-5-video, veo-3-1 and sora-2-pro; newer model ids are sent
 * unchecked) and streams the resulting MP4 into the pipeline.
 *
 * Settings are checked against the model's documentation when the element
 * goes from READY to PAUSED: a bad value fails there, naming the property,
 * the value and what is allowed, before anything is sent (or billed).  The
 * task is submitted when data is first needed, and polled on a shared
 * worker thread; the result is downloaded at once into a spool file and
 * served from it, in pull mode when downstream can (qtdemux, typefind: every
 * frame, moov-at-end files without extra waiting) and in push mode
 * otherwise.  Use save-location to keep the file: result URLs expire.
 *
 * The API key comes from the api-key property or the APIXO_API_KEY
 * environment variable, and the service from base-url or APIXO_BASE_URL
 * (point it at apixo-sim to develop offline without spending credits).
 *
 * It is also the element of apixo:// URIs (playbin, uridecodebin,
 * gst-play-1.0, gst-discoverer-1.0, GES): apixo://MODEL?NAME=VALUE&... gives
 * the model and any property by its name (values percent-encoded, one
 * parameter per element of image-uris, never api-key), and
 * apixo://task/TASK_ID?model=MODEL an existing task (resumed or downloaded,
 * never submitted).  A URI turns cache on (cache=false turns it off again):
 * discovering a clip, then playing it, makes one task.  A wrong parameter
 * is the error its property would give, when the element starts.
 *
 * Progress is posted as GST_MESSAGE_PROGRESS (see gst-launch-1.0 -m) and as
 * "apixo-task" element messages (event = queued, submitted, state,
 * success, failed, downloaded; with task-id, model, state, elapsed,
 * poll-count, result-uri, cost-time, create-time, complete-time).  Errors
 * carry an "apixo-error" details structure (task-id, reason, fail-code,
 * fail-msg, http-status).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 apixosrc model=veo-3-1 prompt="a calm ocean turning into a storm" ! decodebin ! videoconvert ! autovideosink
 * ]| Generate and play.
 * |[
 * gst-launch-1.0 apixosrc model=wan-2-5-video prompt="clouds drifting over a mountain lake" resolution=720p duration=5 save-location=lake.mp4 ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * ]| Generate, keep the file, and decode explicitly.
 * |[
 * gst-launch-1.0 apixosrc model=veo-3-1 prompt="from dawn to dusk" image-uris="<https://example.com/first.jpg,https://example.com/last.jpg>" ! decodebin ! videoconvert ! autovideosink
 * ]| Two images on veo-3-1: first and last frames.
 * |[
 * gst-launch-1.0 apixosrc model=sora-2-pro task-id=task_12345678 ! filesink location=result.mp4
 * ]| Resume a task submitted earlier (nothing is submitted, nothing billed again).
 * |[
 * gst-play-1.0 "apixo://wan-2-5-video?prompt=clouds%20over%20a%20lake&resolution=720p&duration=5&seed=7"
 * ]| Generate and play by URI (the key from APIXO_API_KEY); again: from the cache.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoelements.h"
#include "gstapixosrc.h"

GST_DEBUG_CATEGORY_STATIC (apixo_src_debug);
#define GST_CAT_DEFAULT apixo_src_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MODE,
  PROP_PROMPT,
  PROP_NEGATIVE_PROMPT,
  PROP_RESOLUTION,
  PROP_DURATION,
  PROP_ASPECT_RATIO,
  PROP_SIZE,
  PROP_IMAGE_URIS,
  PROP_AUDIO_URI,
  PROP_SEED,
  PROP_PROMPT_EXTEND,
  PROP_WATERMARK,
  PROP_WATERMARK_TEXT,
  PROP_GENERATION_TYPE,
};

struct _GstApixoSrc {
  GstApixoBaseSrc parent;

  GstApixoRequestSpec *props; /* object lock */
};

/* apixoanimate makes them (its image and video inputs) */
static const gchar *const uri_refused_models[] = { "wan-2-2-animate", NULL };

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/quicktime"));

G_DEFINE_TYPE (GstApixoSrc, gst_apixo_src, GST_TYPE_APIXO_BASE_SRC);
/* PRIMARY: playbin, uridecodebin and GES pick it for apixo:// URIs. */
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (apixosrc, "apixosrc", GST_RANK_PRIMARY,
                                       GST_TYPE_APIXO_SRC,
                                       gst_apixo_element_init (plugin));

static void gst_apixo_src_finalize (GObject *object);
static void gst_apixo_src_set_property (GObject *object, guint prop_id,
                                        const GValue *value, GParamSpec *pspec);
static void gst_apixo_src_get_property (GObject *object, guint prop_id,
                                        GValue *value, GParamSpec *pspec);
static GstApixoRequestSpec *gst_apixo_src_build_spec (GstApixoBaseSrc *base,
                                                      GError **error);

static void
install_string (GObjectClass *klass, guint id, const gchar *name,
                const gchar *nick, const gchar *blurb)
{
  g_object_class_install_property (
      klass, id,
      g_param_spec_string (name, nick, blurb, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                               GST_PARAM_MUTABLE_READY));
}

static void
install_properties (GObjectClass *klass)
{
  const GParamFlags rw =
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  install_string (
      klass, PROP_MODEL, "model", "Model",
      "APIXO model id: wan-2-5, wan-2-5-video, veo-3-1, sora-2-pro (checked "
      "against their documentation); other ids are sent unchecked, with a "
      "warning (required)");
  install_string (
      klass, PROP_MODE, "mode", "Mode",
      "Generation mode: text-to-video or image-to-video (wan-2-5, "
      "wan-2-5-video, sora-2-pro), quality or fast (veo-3-1); NULL = derived "
      "(image-uris set: image-to-video; veo-3-1: fast for REFERENCE_2_VIDEO, "
      "else quality)");
  install_string (
      klass, PROP_PROMPT, "prompt", "Prompt",
      "What to generate (required for text-to-video; wan-2-5-video: at most "
      "1500 characters)");
  install_string (klass, PROP_NEGATIVE_PROMPT, "negative-prompt",
                  "Negative prompt",
                  "What to avoid (wan-2-5, wan-2-5-video: at most 500 "
                  "characters)");
  install_string (
      klass, PROP_RESOLUTION, "resolution", "Resolution",
      "Output resolution: wan-2-5 720p/1080p; wan-2-5-video 480p/720p/1080p "
      "(service default 1080p); sora-2-pro image-to-video 720p/1080p; NULL = "
      "not sent (the model's default)");
  g_object_class_install_property (
      klass, PROP_DURATION,
      g_param_spec_int (
          "duration", "Duration",
          "Video length in seconds: wan-2-5 and wan-2-5-video 5 or 10 "
          "(wan-2-5-video's page: default 5); sora-2-pro 4, 8 or 12 (sent "
          "as 4 when unset); 0 = not sent (the model's default).  Any int is "
          "taken: the model's page is checked when the element starts",
          G_MININT, G_MAXINT, 0, rw));
  install_string (
      klass, PROP_ASPECT_RATIO, "aspect-ratio", "Aspect ratio",
      "Aspect ratio: 16:9, 9:16, 1:1 (wan-2-5, wan-2-5-video; 4:3 and 3:4 "
      "too at 720p/1080p on wan-2-5-video; text-to-video only), 16:9 or 9:16 "
      "(veo-3-1; REFERENCE_2_VIDEO: 16:9 only); NULL = not sent");
  install_string (
      klass, PROP_SIZE, "size", "Size",
      "sora-2-pro text-to-video frame size: 720*1280, 1280*720, 1024*1792 or "
      "1792*1024 (sent as 1280*720 when unset)");
  g_object_class_install_property (
      klass, PROP_IMAGE_URIS,
      gst_param_spec_array (
          "image-uris", "Image URIs",
          "Reference images (http(s) URLs, or file:// URIs published for the "
          "service: see public-url), e.g. \"<https://a/1.jpg>\": "
          "the start image of image-to-video; veo-3-1: first and last frames "
          "(1-2) or reference images (1-3, REFERENCE_2_VIDEO)",
          g_param_spec_string ("uri", "URI", "Image URI", NULL,
                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
          rw));
  install_string (
      klass, PROP_AUDIO_URI, "audio-uri", "Audio URI",
      "wan-2-5-video: a wav/mp3 sound track (3-30 s, <= 15 MB), http/https");
  g_object_class_install_property (
      klass, PROP_SEED,
      g_param_spec_int64 (
          "seed", "Seed",
          "Random seed for reproducible results: wan-2-5, wan-2-5-video and "
          "veo-3-1 0 to 2147483647; -1 = not sent (a random one).  Any int64 "
          "is taken: the model's page is checked when the element starts",
          G_MININT64, G_MAXINT64, -1, rw));
  g_object_class_install_property (
      klass, PROP_PROMPT_EXTEND,
      g_param_spec_boolean (
          "prompt-extend", "Prompt extend",
          "Let the service expand the prompt (wan-2-5: "
          "enable_prompt_expansion, wan-2-5-video: prompt_extend; service "
          "default TRUE); sent only when set",
          TRUE, rw));
  g_object_class_install_property (
      klass, PROP_WATERMARK,
      g_param_spec_boolean (
          "watermark", "Watermark",
          "wan-2-5-video: add the service's watermark (default FALSE); sent "
          "only when set",
          FALSE, rw));
  install_string (klass, PROP_WATERMARK_TEXT, "watermark-text",
                  "Watermark text", "veo-3-1: watermark text; NULL = not sent");
  install_string (
      klass, PROP_GENERATION_TYPE, "generation-type", "Generation type",
      "veo-3-1 generationType: TEXT_2_VIDEO, "
      "FIRST_AND_LAST_FRAMES_2_VIDEO (1-2 images) or REFERENCE_2_VIDEO (fast "
      "mode, 1-3 images, 16:9); NULL = derived from the number of images");
}

static void
gst_apixo_src_class_init (GstApixoSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstApixoBaseSrcClass *base_class = GST_APIXO_BASE_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (apixo_src_debug, "apixosrc", 0,
                           "APIXO video generation source");

  gobject_class->finalize = gst_apixo_src_finalize;
  gobject_class->set_property = gst_apixo_src_set_property;
  gobject_class->get_property = gst_apixo_src_get_property;
  install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "APIXO video generation source", "Source/Network/Video",
      "Generates a video with the APIXO cloud API (wan-2-5, wan-2-5-video, "
      "veo-3-1, sora-2-pro) and streams the resulting MP4",
      "gst-apixo developers");

  base_class->build_spec = GST_DEBUG_FUNCPTR (gst_apixo_src_build_spec);
  base_class->uri_refused_models = uri_refused_models;
}

static void
gst_apixo_src_init (GstApixoSrc *self)
{
  self->props = gst_apixo_request_spec_new ();
}

static void
gst_apixo_src_finalize (GObject *object)
{
  GstApixoSrc *self = GST_APIXO_SRC (object);

  gst_apixo_request_spec_free (self->props);
  G_OBJECT_CLASS (gst_apixo_src_parent_class)->finalize (object);
}

static gchar **
strv_from_value_array (const GValue *value)
{
  guint i, n = gst_value_array_get_size (value);
  GPtrArray *out = g_ptr_array_new ();

  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (value, i);
    if (G_VALUE_HOLDS_STRING (v) && g_value_get_string (v) != NULL)
      g_ptr_array_add (out, g_value_dup_string (v));
  }
  g_ptr_array_add (out, NULL);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

static void
value_array_from_strv (GValue *value, gchar **strv)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  for (; strv != NULL && *strv != NULL; strv++) {
    g_value_set_string (&v, *strv);
    gst_value_array_append_value (value, &v);
  }
  g_value_unset (&v);
}

static void
set_string (gchar **field, const GValue *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
  /* "" is as good as unset for optional strings from gst-launch */
  if (*field != NULL && **field == '\0')
    g_clear_pointer (field, g_free);
}

static void
gst_apixo_src_set_property (GObject *object, guint prop_id, const GValue *value,
                            GParamSpec *pspec)
{
  GstApixoSrc *self = GST_APIXO_SRC (object);
  GstApixoRequestSpec *p = self->props;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      set_string (&p->model, value);
      break;
    case PROP_MODE:
      set_string (&p->mode, value);
      break;
    case PROP_PROMPT:
      /* Not set_string(): an explicitly empty prompt must be rejected, not
       * mistaken for "no prompt". */
      g_free (p->prompt);
      p->prompt = g_value_dup_string (value);
      break;
    case PROP_NEGATIVE_PROMPT:
      set_string (&p->negative_prompt, value);
      break;
    case PROP_RESOLUTION:
      set_string (&p->resolution, value);
      break;
    case PROP_DURATION:
      p->duration = g_value_get_int (value);
      break;
    case PROP_ASPECT_RATIO:
      set_string (&p->aspect_ratio, value);
      break;
    case PROP_SIZE:
      set_string (&p->size, value);
      break;
    case PROP_IMAGE_URIS:
      g_strfreev (p->image_uris);
      p->image_uris = strv_from_value_array (value);
      break;
    case PROP_AUDIO_URI:
      set_string (&p->audio_uri, value);
      break;
    case PROP_SEED:
      p->seed = g_value_get_int64 (value);
      p->seed_set = p->seed != -1;
      break;
    case PROP_PROMPT_EXTEND:
      p->prompt_extend = g_value_get_boolean (value);
      p->prompt_extend_set = TRUE;
      break;
    case PROP_WATERMARK:
      p->watermark = g_value_get_boolean (value);
      p->watermark_set = TRUE;
      break;
    case PROP_WATERMARK_TEXT:
      g_free (p->watermark_text);
      p->watermark_text = g_value_dup_string (value);
      break;
    case PROP_GENERATION_TYPE:
      set_string (&p->generation_type, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_apixo_src_get_property (GObject *object, guint prop_id, GValue *value,
                            GParamSpec *pspec)
{
  GstApixoSrc *self = GST_APIXO_SRC (object);
  GstApixoRequestSpec *p = self->props;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, p->model);
      break;
    case PROP_MODE:
      g_value_set_string (value, p->mode);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, p->prompt);
      break;
    case PROP_NEGATIVE_PROMPT:
      g_value_set_string (value, p->negative_prompt);
      break;
    case PROP_RESOLUTION:
      g_value_set_string (value, p->resolution);
      break;
    case PROP_DURATION:
      g_value_set_int (value, p->duration);
      break;
    case PROP_ASPECT_RATIO:
      g_value_set_string (value, p->aspect_ratio);
      break;
    case PROP_SIZE:
      g_value_set_string (value, p->size);
      break;
    case PROP_IMAGE_URIS:
      value_array_from_strv (value, p->image_uris);
      break;
    case PROP_AUDIO_URI:
      g_value_set_string (value, p->audio_uri);
      break;
    case PROP_SEED:
      g_value_set_int64 (value, p->seed_set ? p->seed : -1);
      break;
    case PROP_PROMPT_EXTEND:
      g_value_set_boolean (value,
                           p->prompt_extend_set ? p->prompt_extend : TRUE);
      break;
    case PROP_WATERMARK:
      g_value_set_boolean (value, p->watermark);
      break;
    case PROP_WATERMARK_TEXT:
      g_value_set_string (value, p->watermark_text);
      break;
    case PROP_GENERATION_TYPE:
      g_value_set_string (value, p->generation_type);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstApixoRequestSpec *
gst_apixo_src_build_spec (GstApixoBaseSrc *base, GError **error)
{
  GstApixoSrc *self = GST_APIXO_SRC (base);
  GstApixoRequestSpec *spec;

  GST_OBJECT_LOCK (self);
  spec = gst_apixo_request_spec_copy (self->props);
  GST_OBJECT_UNLOCK (self);

  if (spec->model == NULL) {
    const gchar *const *models = gst_apixo_model_list ();
    gchar *known = g_strjoinv (", ", (gchar **)models);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "model is not set: choose one of %s (or a newer model id)",
                 known);
    g_free (known);
    gst_apixo_request_spec_free (spec);
    return NULL;
  }
  if (spec->image_uris != NULL && spec->image_uris[0] == NULL)
    g_clear_pointer (&spec->image_uris, g_strfreev);
  return spec;
}
