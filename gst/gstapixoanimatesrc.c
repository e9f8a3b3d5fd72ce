/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-apixoanimatesrc
 * @title: apixoanimatesrc
 *
 * The wan-2-2-animate source that apixoanimate is built on, registered on
 * its own for apixo://wan-2-2-animate URIs: playbin, uridecodebin,
 * gst-discoverer and GES make it from a URI whose image= and video=
 * parameters (its image-uri and video-uri) give the inputs as http(s) URLs
 * or file:// URIs.  It has every property of apixoanimate and no sink pads
 * (inputs on pads: use apixoanimate).
 *
 * It is the URI source rather than the apixoanimate bin: uridecodebin sets
 * its decodebin to PAUSED before the source, so typefind activates the
 * source's pad in pull mode while the source is still in NULL, and a bin
 * going to READY deactivates its ghost source pads (GstBin), which then come
 * back in push mode under a typefind that pulls.
 *
 * ## Example launch lines
 * |[
 * gst-play-1.0 "apixo://wan-2-2-animate?image=https://example.com/character.png&video=https://example.com/motion.mp4&resolution=720p"
 * ]| Play an animation (the API key from APIXO_API_KEY).
 * |[
 * gst-launch-1.0 apixoanimatesrc image-uri=https://example.com/character.png video-uri=https://example.com/motion.mp4 ! decodebin ! videoconvert ! autovideosink
 * ]| The same as an element.
 */

/*
 * GstApixoAnimateSrc: the wan-2-2-animate source inside apixoanimate, and
 * the element of apixo://wan-2-2-animate URIs.
 *
 * Thread safety notes
 * -------------------
 * - The object lock guards the property values (self->props, type,
 *   image_uri, video_uri) and the has_*_pad flags the bin sets.
 * - self->input_lock guards image_input / video_input: created in start(),
 *   freed in stop(), used by the bin's sink pads (upstream threads) through
 *   gst_apixo_animate_src_input_chain/_event.  Holding it across an append
 *   makes stop() wait for an append in progress.  The base class reads the
 *   inputs through get_pad_input() on our streaming thread, which is
 *   stopped before stop() frees them.
 * - Lock order: the object lock and input_lock are never held together.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoanimatesrc.h"
#include "gstapixoelements.h"
#include "gstapixoinput.h"

GST_DEBUG_CATEGORY_STATIC (apixo_animate_src_debug);
#define GST_CAT_DEFAULT apixo_animate_src_debug

#define MODEL "wan-2-2-animate"

enum {
  PROP_0,
  PROP_TYPE,
  PROP_RESOLUTION,
  PROP_PROMPT,
  PROP_SEED,
  PROP_IMAGE_URI,
  PROP_VIDEO_URI,
};

struct _GstApixoAnimateSrc {
  GstApixoBaseSrc parent;

  /* object lock */
  GstApixoAnimateKind type;
  GstApixoRequestSpec *props; /* resolution, prompt, seed, provider ... */
  gchar *image_uri;
  gchar *video_uri;
  gboolean has_image_pad;
  gboolean has_video_pad;

  GMutex input_lock;
  GstApixoInput *image_input; /* input_lock */
  GstApixoInput *video_input; /* input_lock */
};

/* apixo://wan-2-2-animate?image=URI&video=URI (image-uri and video-uri by
 * their own names too) */
static const GstApixoUriAlias uri_aliases[] = {
  { "image", "image-uri" },
  { "video", "video-uri" },
  { NULL, NULL },
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/quicktime"));

G_DEFINE_TYPE (GstApixoAnimateSrc, gst_apixo_animate_src,
               GST_TYPE_APIXO_BASE_SRC);
/* PRIMARY: playbin, uridecodebin and GES pick it for
 * apixo://wan-2-2-animate URIs. */
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (apixoanimatesrc, "apixoanimatesrc",
                                       GST_RANK_PRIMARY,
                                       GST_TYPE_APIXO_ANIMATE_SRC,
                                       gst_apixo_element_init (plugin));

static void gst_apixo_animate_src_finalize (GObject *object);
static void gst_apixo_animate_src_set_property (GObject *object, guint prop_id,
                                                const GValue *value,
                                                GParamSpec *pspec);
static void gst_apixo_animate_src_get_property (GObject *object, guint prop_id,
                                                GValue *value,
                                                GParamSpec *pspec);
static gboolean gst_apixo_animate_src_start (GstBaseSrc *bsrc);
static gboolean gst_apixo_animate_src_stop (GstBaseSrc *bsrc);
static GstApixoRequestSpec *
gst_apixo_animate_src_build_spec (GstApixoBaseSrc *base, GError **error);
static GstApixoInput *
gst_apixo_animate_src_get_pad_input (GstApixoBaseSrc *base, const gchar *name);

GType
gst_apixo_animate_kind_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_APIXO_ANIMATE_KIND_ANIMATE,
      "Animate the character image with the motion of the video", "animate" },
    { GST_APIXO_ANIMATE_KIND_REPLACE,
      "Replace the subject of the video with the character", "replace" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
                       g_enum_register_static ("GstApixoAnimateKind", values));
  return type;
}

/* ---- class --------------------------------------------------------------- */

static void
install_properties (GObjectClass *klass)
{
  const GParamFlags rw =
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  g_object_class_install_property (
      klass, PROP_TYPE,
      g_param_spec_enum (
          "type", "Type",
          "animate: the character moves like the video; replace: the "
          "character takes the place of the video's subject",
          GST_TYPE_APIXO_ANIMATE_KIND, GST_APIXO_ANIMATE_KIND_ANIMATE, rw));
  g_object_class_install_property (
      klass, PROP_RESOLUTION,
      g_param_spec_string (
          "resolution", "Resolution",
          "Output resolution: 480p or 720p; NULL = not sent (the service's "
          "default, 480p)",
          NULL, rw));
  g_object_class_install_property (
      klass, PROP_PROMPT,
      g_param_spec_string ("prompt", "Prompt",
                           "Optional guidance; if set it must not be empty",
                           NULL, rw));
  g_object_class_install_property (
      klass, PROP_SEED,
      g_param_spec_int64 (
          "seed", "Seed",
          "Random seed for reproducibility, -1 to 2147483647 (-1 = random); "
          "sent only when set.  Any int64 is taken: the page's range is "
          "checked when the element starts",
          G_MININT64, G_MAXINT64, -1, rw));
  g_object_class_install_property (
      klass, PROP_IMAGE_URI,
      g_param_spec_string (
          "image-uri", "Image URI",
          "The character image: an http(s) URL the service fetches, or a "
          "file:// URI published for it (any image format the element can "
          "decode: the wan-2-2-animate page sets no limit); "
          "or link the image pad instead",
          NULL, rw));
  g_object_class_install_property (
      klass, PROP_VIDEO_URI,
      g_param_spec_string (
          "video-uri", "Video URI",
          "The motion video: an http(s) URL the service fetches, or a "
          "file:// URI published for it; or link the video pad instead",
          NULL, rw));
}

static void
gst_apixo_animate_src_class_init (GstApixoAnimateSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstApixoBaseSrcClass *base_class = GST_APIXO_BASE_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (apixo_animate_src_debug, "apixoanimatesrc", 0,
                           "APIXO character animation source");

  gobject_class->finalize = gst_apixo_animate_src_finalize;
  gobject_class->set_property = gst_apixo_animate_src_set_property;
  gobject_class->get_property = gst_apixo_animate_src_get_property;
  install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "APIXO character animation source", "Source/Network/Video",
      "Animates a character image with the motion of a video (APIXO "
      "wan-2-2-animate), both given by URI (apixo://wan-2-2-animate URIs): "
      "the source apixoanimate is built on",
      "gst-apixo developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_apixo_animate_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_apixo_animate_src_stop);
  base_class->build_spec = GST_DEBUG_FUNCPTR (gst_apixo_animate_src_build_spec);
  base_class->get_pad_input =
      GST_DEBUG_FUNCPTR (gst_apixo_animate_src_get_pad_input);
  base_class->image_uri_property = "image-uri";
  base_class->video_uri_property = "video-uri";
  base_class->uri_model = MODEL;
  base_class->uri_aliases = uri_aliases;

  gst_type_mark_as_plugin_api (GST_TYPE_APIXO_ANIMATE_KIND, 0);
}

static void
gst_apixo_animate_src_init (GstApixoAnimateSrc *self)
{
  self->props = gst_apixo_request_spec_new ();
  g_mutex_init (&self->input_lock);
}

static void
gst_apixo_animate_src_finalize (GObject *object)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (object);

  gst_apixo_request_spec_free (self->props);
  g_free (self->image_uri);
  g_free (self->video_uri);
  g_mutex_clear (&self->input_lock);
  G_OBJECT_CLASS (gst_apixo_animate_src_parent_class)->finalize (object);
}

static void
set_string (gchar **field, const GValue *value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
gst_apixo_animate_src_set_property (GObject *object, guint prop_id,
                                    const GValue *value, GParamSpec *pspec)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (object);
  GstApixoRequestSpec *p = self->props;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TYPE:
      self->type = g_value_get_enum (value);
      break;
    case PROP_RESOLUTION:
      set_string (&p->resolution, value);
      break;
    case PROP_PROMPT:
      set_string (&p->prompt, value);
      break;
    case PROP_SEED:
      /* -1 (random) is a value the page documents: sent when set */
      p->seed = g_value_get_int64 (value);
      p->seed_set = TRUE;
      break;
    case PROP_IMAGE_URI:
      set_string (&self->image_uri, value);
      break;
    case PROP_VIDEO_URI:
      set_string (&self->video_uri, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_apixo_animate_src_get_property (GObject *object, guint prop_id,
                                    GValue *value, GParamSpec *pspec)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (object);
  GstApixoRequestSpec *p = self->props;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TYPE:
      g_value_set_enum (value, self->type);
      break;
    case PROP_RESOLUTION:
      g_value_set_string (value, p->resolution);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, p->prompt);
      break;
    case PROP_SEED:
      g_value_set_int64 (value, p->seed_set ? p->seed : -1);
      break;
    case PROP_IMAGE_URI:
      g_value_set_string (value, self->image_uri);
      break;
    case PROP_VIDEO_URI:
      g_value_set_string (value, self->video_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- inputs from the bin's sink pads ------------------------------------- */

static GstApixoInput **
input_slot (GstApixoAnimateSrc *src, GstApixoMediaKind kind)
{
  return kind == GST_APIXO_MEDIA_IMAGE ? &src->image_input : &src->video_input;
}

void
gst_apixo_animate_src_set_pad (GstApixoAnimateSrc *src, GstApixoMediaKind kind,
                               gboolean present)
{
  const gchar *name = kind == GST_APIXO_MEDIA_IMAGE ? "image" : "video";
  GstApixoInput *input;

  GST_OBJECT_LOCK (src);
  if (kind == GST_APIXO_MEDIA_IMAGE)
    src->has_image_pad = present;
  else
    src->has_video_pad = present;
  GST_OBJECT_UNLOCK (src);
  if (present)
    return;

  /* Released while its data is still coming: nothing will complete it,
   * and the streaming thread may be waiting for it. */
  g_mutex_lock (&src->input_lock);
  input = *input_slot (src, kind);
  if (input != NULL && !gst_apixo_input_is_complete (input)) {
    GError *error =
        g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                     "The %s pad was released before its data was complete "
                     "(no EOS): request it again and send the whole %s",
                     name, name);

    gst_apixo_input_abort (input, error);
    g_error_free (error);
  }
  g_mutex_unlock (&src->input_lock);
}

GstFlowReturn
gst_apixo_animate_src_input_chain (GstApixoAnimateSrc *src,
                                   GstApixoMediaKind kind, GstBuffer *buffer)
{
  GstFlowReturn ret = GST_FLOW_FLUSHING;
  GstApixoInput *input;
  GError *error = NULL;

  g_mutex_lock (&src->input_lock);
  input = *input_slot (src, kind);
  if (input != NULL)
    ret = gst_apixo_input_append (input, buffer, &error);
  else
    gst_buffer_unref (buffer);
  g_mutex_unlock (&src->input_lock);

  /* Not posted here: our streaming thread reports it when it waits for
   * this input (one error, in one place).  Upstream is told EOS, not
   * ERROR: it stops sending without an "Internal data stream error" of
   * its own that would come before ours. */
  if (error != NULL) {
    GST_DEBUG_OBJECT (src, "input refused: %s", error->message);
    g_error_free (error);
  }
  return ret == GST_FLOW_ERROR ? GST_FLOW_EOS : ret;
}

void
gst_apixo_animate_src_input_event (GstApixoAnimateSrc *src,
                                   GstApixoMediaKind kind, GstEvent *event)
{
  GstApixoInput *input;

  g_mutex_lock (&src->input_lock);
  input = *input_slot (src, kind);
  if (input != NULL) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      gst_apixo_input_finish (input);
    else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
      gst_apixo_input_reset (input);
  }
  g_mutex_unlock (&src->input_lock);
}

/* ---- start / stop -------------------------------------------------------- */

static GstApixoInput *
new_collector (GstApixoAnimateSrc *self, GstApixoMediaKind kind,
               const gchar *label)
{
  const GstApixoMediaLimits *limits =
      gst_apixo_model_media_limits (MODEL, kind);

  /* A byte over the documented limit already tells the input is too big:
   * never collect more. */
  return gst_apixo_input_new_collector (
      kind, label,
      gst_apixo_base_src_get_spool_directory (GST_APIXO_BASE_SRC (self)),
      limits && limits->max_bytes ? limits->max_bytes + 1 : 0);
}

static gboolean
gst_apixo_animate_src_start (GstBaseSrc *bsrc)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (bsrc);
  gboolean image_pad, video_pad;

  if (!GST_BASE_SRC_CLASS (gst_apixo_animate_src_parent_class)->start (bsrc))
    return FALSE;

  GST_OBJECT_LOCK (self);
  image_pad = self->has_image_pad && self->image_uri == NULL;
  video_pad = self->has_video_pad && self->video_uri == NULL;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->input_lock);
  if (image_pad)
    self->image_input =
        new_collector (self, GST_APIXO_MEDIA_IMAGE, "image pad");
  if (video_pad)
    self->video_input =
        new_collector (self, GST_APIXO_MEDIA_VIDEO, "video pad");
  g_mutex_unlock (&self->input_lock);
  return TRUE;
}

static gboolean
gst_apixo_animate_src_stop (GstBaseSrc *bsrc)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (bsrc);
  gboolean ret;

  /* The base class stops everything that may read the inputs first. */
  ret = GST_BASE_SRC_CLASS (gst_apixo_animate_src_parent_class)->stop (bsrc);
  g_mutex_lock (&self->input_lock);
  g_clear_pointer (&self->image_input, gst_apixo_input_free);
  g_clear_pointer (&self->video_input, gst_apixo_input_free);
  g_mutex_unlock (&self->input_lock);
  return ret;
}

static GstApixoInput *
gst_apixo_animate_src_get_pad_input (GstApixoBaseSrc *base, const gchar *name)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (base);
  GstApixoInput *input;

  g_mutex_lock (&self->input_lock);
  input = g_str_equal (name, "image") ? self->image_input : self->video_input;
  g_mutex_unlock (&self->input_lock);
  return input;
}

/* ---- the request --------------------------------------------------------- */

/* A plain path in image-uri/video-uri: named as this element's property
 * (the catalogue would name image-uris), with the file:// URI it means. */
static gboolean
check_not_a_path (const gchar *what, const gchar *uri, GError **error)
{
  gchar *suggestion = gst_apixo_uri_suggest_file_uri (uri);

  if (suggestion == NULL)
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "%s-uri '%s' is not a valid URI: it looks like a local path; a "
               "local file is given as a file:// URI, did you mean %s? "
               "(allowed: an http(s) URL or a file:// URI)",
               what, uri, suggestion);
  g_free (suggestion);
  return FALSE;
}

/* One input from the URI property or the pad, never both, never none. */
static gboolean
choose_input (const gchar *what, const gchar *uri, gboolean has_pad,
              gchar ***uris, GError **error)
{
  if (uri != NULL && has_pad) {
    g_set_error (
        error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Both %s-uri (%s) and the %s pad are set: %s takes exactly one %s; "
        "use one of them",
        what, uri, what, MODEL, what);
    return FALSE;
  }
  if (uri == NULL && !has_pad) {
    g_set_error (
        error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "No %s: set %s-uri (an http(s) URL or file:// URI) or link the %s "
        "pad (%s takes exactly one %s)",
        what, what, what, MODEL, what);
    return FALSE;
  }
  if (uri != NULL && !check_not_a_path (what, uri, error))
    return FALSE;
  *uris = g_new0 (gchar *, 2);
  (*uris)[0] =
      uri ? g_strdup (uri) : g_strconcat (GST_APIXO_PAD_URI_PREFIX, what, NULL);
  return TRUE;
}

static GstApixoRequestSpec *
gst_apixo_animate_src_build_spec (GstApixoBaseSrc *base, GError **error)
{
  GstApixoAnimateSrc *self = GST_APIXO_ANIMATE_SRC (base);
  GstApixoRequestSpec *spec;
  gchar *image_uri, *video_uri;
  gboolean image_pad, video_pad;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  spec = gst_apixo_request_spec_copy (self->props);
  spec->type = g_strdup (
      self->type == GST_APIXO_ANIMATE_KIND_REPLACE ? "replace" : "animate");
  image_uri = g_strdup (self->image_uri);
  video_uri = g_strdup (self->video_uri);
  image_pad = self->has_image_pad;
  video_pad = self->has_video_pad;
  GST_OBJECT_UNLOCK (self);

  g_free (spec->model);
  spec->model = g_strdup (MODEL);
  spec->mode = g_strdup ("standard");
  /* resuming a task: its inputs were given when it was submitted */
  ok =
      gst_apixo_base_src_is_resuming (base) ||
      (choose_input ("image", image_uri, image_pad, &spec->image_uris, error) &&
       choose_input ("video", video_uri, video_pad, &spec->video_uris, error));
  g_free (image_uri);
  g_free (video_uri);
  if (!ok)
    g_clear_pointer (&spec, gst_apixo_request_spec_free);
  return spec;
}
