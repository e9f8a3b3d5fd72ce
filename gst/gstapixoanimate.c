/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-apixoanimate
 * @title: apixoanimate
 *
 * apixoanimate animates a character image with the motion of a video
 * (APIXO model wan-2-2-animate, type=animate), or puts the character into
 * the video in place of its subject (type=replace), and streams the
 * resulting MP4 exactly as apixosrc does (pull mode for qtdemux, push mode
 * otherwise; save-location keeps the file).
 *
 * The two inputs come from the image-uri and video-uri properties (http(s)
 * URLs are passed to the service as they are; file:// URIs are local), or
 * as data on the request pads "image" and "video" from any upstream (a
 * filesrc, an appsrc fed by an application, a pipeline rendering a still).
 * The service fetches inputs by URL, so local inputs are published for it:
 * through the embedded media server and a public-url that reaches it (a
 * tunnel or reverse proxy), or by an application's "upload" signal
 * handler.  Before anything is submitted the inputs are checked: exactly
 * one image and one motion video, the image decodable (found from the
 * data, not the name; the wan-2-2-animate page sets no format, size or
 * dimension limit), the video decodable with a known duration.  The billed duration (the video's, 5 s
 * at least and 120 s at most) is posted as billed-seconds in the
 * "apixo-task" messages.
 *
 * It is a bin around the source that does the work (the messages come
 * from that child, named "src"); it has all of that source's properties
 * (the shared ones of apixosrc too: api-key, base-url, polling, deadline,
 * HTTP settings, task-id, save-location, public-url ...).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 apixoanimate name=a type=animate resolution=720p prompt="keep the face stable" public-url=https://tunnel.example.com server-port=8089 ! qtdemux ! h264parse ! avdec_h264 ! videoconvert ! autovideosink \
 *     filesrc location=character.png ! a.image   filesrc location=dance.mp4 ! a.video
 * ]| Local files on the sink pads, published through a tunnel that reaches
 * port 8089 of this machine.
 * |[
 * gst-launch-1.0 apixoanimate type=replace image-uri=https://example.com/character.png video-uri=https://example.com/motion.mp4 save-location=replaced.mp4 ! decodebin ! videoconvert ! autovideosink
 * ]| Inputs the service can fetch itself.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoanimate.h"
#include "gstapixoanimatesrc.h"
#include "gstapixoelements.h"
#include "gstapixoerror.h"

/*
 * Thread safety notes
 * -------------------
 * - The object lock guards image_pad / video_pad.
 * - The source child (self->src) is created in init() and lives as long as
 *   the bin; it is thread-safe.  upload_handler is only touched in state
 *   changes (the state lock serialises them).
 */

GST_DEBUG_CATEGORY_STATIC (apixo_animate_debug);
#define GST_CAT_DEFAULT apixo_animate_debug

enum {
  SIGNAL_UPLOAD,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

struct _GstApixoAnimate {
  GstBin parent;

  GstElement *src;   /* GstApixoAnimateSrc child */
  GstPad *image_pad; /* object lock */
  GstPad *video_pad; /* object lock */
  gulong upload_handler;
};

/* The properties of the source, offered as the bin's own (property id =
 * index + 1). */
static GParamSpec **proxied;
static guint n_proxied;

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/quicktime"));
static GstStaticPadTemplate image_template = GST_STATIC_PAD_TEMPLATE (
    "image", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstApixoAnimate, gst_apixo_animate, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (apixoanimate, "apixoanimate",
                                       GST_RANK_NONE, GST_TYPE_APIXO_ANIMATE,
                                       gst_apixo_element_init (plugin));

static void gst_apixo_animate_set_property (GObject *object, guint prop_id,
                                            const GValue *value,
                                            GParamSpec *pspec);
static void gst_apixo_animate_get_property (GObject *object, guint prop_id,
                                            GValue *value, GParamSpec *pspec);
static void gst_apixo_animate_finalize (GObject *object);
static GstPad *gst_apixo_animate_request_new_pad (GstElement *element,
                                                  GstPadTemplate *templ,
                                                  const gchar *name,
                                                  const GstCaps *caps);
static void gst_apixo_animate_release_pad (GstElement *element, GstPad *pad);
static GstStateChangeReturn
gst_apixo_animate_change_state (GstElement *element, GstStateChange transition);

/* ---- properties: those of the source ------------------------------------- */

/* A new pspec like @p (same name, texts, type, range, default, and lax
 * validation: a NaN must reach the source, whose start() refuses it). */
static GParamSpec *
copy_pspec (GParamSpec *p)
{
  const gchar *name = g_param_spec_get_name (p);
  const gchar *nick = g_param_spec_get_nick (p);
  const gchar *blurb = g_param_spec_get_blurb (p);
  GParamFlags flags =
      (p->flags &
       (G_PARAM_READWRITE | G_PARAM_LAX_VALIDATION | GST_PARAM_MUTABLE_READY |
        GST_PARAM_MUTABLE_PAUSED | GST_PARAM_MUTABLE_PLAYING)) |
      G_PARAM_STATIC_STRINGS;

  if (G_IS_PARAM_SPEC_STRING (p))
    return g_param_spec_string (name, nick, blurb,
                                G_PARAM_SPEC_STRING (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_BOOLEAN (p))
    return g_param_spec_boolean (
        name, nick, blurb, G_PARAM_SPEC_BOOLEAN (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_INT (p))
    return g_param_spec_int (name, nick, blurb, G_PARAM_SPEC_INT (p)->minimum,
                             G_PARAM_SPEC_INT (p)->maximum,
                             G_PARAM_SPEC_INT (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_UINT (p))
    return g_param_spec_uint (name, nick, blurb, G_PARAM_SPEC_UINT (p)->minimum,
                              G_PARAM_SPEC_UINT (p)->maximum,
                              G_PARAM_SPEC_UINT (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_INT64 (p))
    return g_param_spec_int64 (name, nick, blurb,
                               G_PARAM_SPEC_INT64 (p)->minimum,
                               G_PARAM_SPEC_INT64 (p)->maximum,
                               G_PARAM_SPEC_INT64 (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_UINT64 (p))
    return g_param_spec_uint64 (name, nick, blurb,
                                G_PARAM_SPEC_UINT64 (p)->minimum,
                                G_PARAM_SPEC_UINT64 (p)->maximum,
                                G_PARAM_SPEC_UINT64 (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_DOUBLE (p))
    return g_param_spec_double (name, nick, blurb,
                                G_PARAM_SPEC_DOUBLE (p)->minimum,
                                G_PARAM_SPEC_DOUBLE (p)->maximum,
                                G_PARAM_SPEC_DOUBLE (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_ENUM (p))
    return g_param_spec_enum (name, nick, blurb, p->value_type,
                              G_PARAM_SPEC_ENUM (p)->default_value, flags);
  if (G_IS_PARAM_SPEC_BOXED (p))
    return g_param_spec_boxed (name, nick, blurb, p->value_type, flags);
  if (G_IS_PARAM_SPEC_OBJECT (p))
    return g_param_spec_object (name, nick, blurb, p->value_type, flags);
  g_return_val_if_reached (NULL);
}

static void
install_proxied_properties (GObjectClass *gobject_class)
{
  GObjectClass *src_class = g_type_class_ref (GST_TYPE_APIXO_ANIMATE_SRC);
  GParamSpec **specs;
  guint n, i;

  specs = g_object_class_list_properties (src_class, &n);
  proxied = g_new0 (GParamSpec *, n);
  for (i = 0; i < n; i++) {
    /* ours, not GstObject's (name, parent) nor GstBaseSrc's */
    if (specs[i]->owner_type != GST_TYPE_APIXO_ANIMATE_SRC &&
        specs[i]->owner_type != GST_TYPE_APIXO_BASE_SRC)
      continue;
    proxied[n_proxied++] = specs[i];
    g_object_class_install_property (gobject_class, n_proxied,
                                     copy_pspec (specs[i]));
  }
  g_free (specs);
  /* the source class stays referenced: the proxied pspecs are its own */
}

static void
gst_apixo_animate_set_property (GObject *object, guint prop_id,
                                const GValue *value, GParamSpec *pspec)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (object);

  if (prop_id == 0 || prop_id > n_proxied) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  g_object_set_property (G_OBJECT (self->src), proxied[prop_id - 1]->name,
                         value);
}

static void
gst_apixo_animate_get_property (GObject *object, guint prop_id, GValue *value,
                                GParamSpec *pspec)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (object);

  if (prop_id == 0 || prop_id > n_proxied) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  g_object_get_property (G_OBJECT (self->src), proxied[prop_id - 1]->name,
                         value);
}

/* The source notifies task-id as it is submitted: so does the bin. */
static void
forward_notify (GObject *src, GParamSpec *pspec, gpointer user_data)
{
  g_object_notify (G_OBJECT (user_data), g_param_spec_get_name (pspec));
}

/* ---- class --------------------------------------------------------------- */

static void
gst_apixo_animate_class_init (GstApixoAnimateClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (apixo_animate_debug, "apixoanimate", 0,
                           "APIXO character animation");

  gobject_class->finalize = gst_apixo_animate_finalize;
  gobject_class->set_property = gst_apixo_animate_set_property;
  gobject_class->get_property = gst_apixo_animate_get_property;
  install_proxied_properties (gobject_class);

  /**
   * GstApixoAnimate::upload:
   * @animate: the element
   * @data: the bytes of a local input (the image or the motion video)
   * @content_type: its MIME type, found from the data ("image/png", ...)
   * @cancellable: cancelled when the element is told to stop; a handler
   *   that takes time should watch it and return NULL as soon as it fires
   *   (see GstApixoBaseSrc::upload)
   *
   * For applications that store media themselves (e.g. on object
   * storage): store @data where the APIXO service can fetch it and return
   * its http(s) URL (or NULL to fail).  Called on a streaming thread before
   * the task is submitted; used instead of the embedded media server.
   *
   * Returns: (transfer full) (nullable): the URL
   */
  signals[SIGNAL_UPLOAD] =
      g_signal_new ("upload", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                    g_signal_accumulator_first_wins, NULL, NULL, G_TYPE_STRING,
                    3, G_TYPE_BYTES, G_TYPE_STRING, G_TYPE_CANCELLABLE);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &image_template);
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_set_static_metadata (
      element_class, "APIXO character animation", "Source/Network/Video",
      "Animates a character image with the motion of a video (APIXO "
      "wan-2-2-animate) and streams the resulting MP4",
      "gst-apixo developers");
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_apixo_animate_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_apixo_animate_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_apixo_animate_change_state);
}

static void
gst_apixo_animate_init (GstApixoAnimate *self)
{
  GstPad *target, *ghost;

  self->src = g_object_new (GST_TYPE_APIXO_ANIMATE_SRC, "name", "src", NULL);
  /* our own reference: request pads are released after the bin dropped its
   * children */
  gst_bin_add (GST_BIN (self), gst_object_ref (self->src));
  g_signal_connect_object (self->src, "notify::task-id",
                           G_CALLBACK (forward_notify), self, 0);

  target = gst_element_get_static_pad (self->src, "src");
  ghost = gst_ghost_pad_new_from_template (
      "src", target,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self), "src"));
  gst_object_unref (target);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static void
gst_apixo_animate_finalize (GObject *object)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (object);

  gst_object_unref (self->src);
  G_OBJECT_CLASS (gst_apixo_animate_parent_class)->finalize (object);
}

/* ---- sink pads (upstream threads) ---------------------------------------- */

static GstApixoMediaKind
pad_kind (GstPad *pad)
{
  return g_str_equal (GST_PAD_NAME (pad), "image") ? GST_APIXO_MEDIA_IMAGE
                                                   : GST_APIXO_MEDIA_VIDEO;
}

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (parent);

  return gst_apixo_animate_src_input_chain (GST_APIXO_ANIMATE_SRC (self->src),
                                            pad_kind (pad), buffer);
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (parent);

  gst_apixo_animate_src_input_event (GST_APIXO_ANIMATE_SRC (self->src),
                                     pad_kind (pad), event);
  /* Inputs end here: nothing is forwarded. */
  gst_event_unref (event);
  return TRUE;
}

static gboolean
sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS: {
      GstCaps *filter, *caps;
      gst_query_parse_caps (query, &filter);
      caps = filter ? gst_caps_ref (filter) : gst_caps_new_any ();
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:
      /* any data: the format is found from the bytes */
      gst_query_set_accept_caps_result (query, TRUE);
      return TRUE;
    default:
      return FALSE;
  }
}

static void
post_second_pad_warning (GstApixoAnimate *self, const gchar *tname)
{
  GError *error =
      g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_PAD,
                   "There is an %s pad already: wan-2-2-animate takes "
                   "exactly one %s",
                   tname, tname);

  GST_APIXO_POST (self, GST_MESSAGE_WARNING, error,
                  gst_apixo_error_details_new (GST_APIXO_REASON_INPUT, NULL));
  g_error_free (error);
}

static GstPad *
gst_apixo_animate_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                   const gchar *name, const GstCaps *caps)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (element);
  const gchar *tname = GST_PAD_TEMPLATE_NAME_TEMPLATE (templ);
  gboolean is_image = g_str_equal (tname, "image");
  GstPad **slot = is_image ? &self->image_pad : &self->video_pad;
  GstPad *pad;

  pad = gst_pad_new_from_template (templ, tname);
  gst_pad_set_chain_function (pad, GST_DEBUG_FUNCPTR (sink_chain));
  gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (sink_event));
  gst_pad_set_query_function (pad, GST_DEBUG_FUNCPTR (sink_query));

  GST_OBJECT_LOCK (self);
  if (*slot != NULL) {
    GST_OBJECT_UNLOCK (self);
    gst_object_unref (pad);
    post_second_pad_warning (self, tname);
    return NULL;
  }
  *slot = pad;
  GST_OBJECT_UNLOCK (self);

  gst_apixo_animate_src_set_pad (
      GST_APIXO_ANIMATE_SRC (self->src),
      is_image ? GST_APIXO_MEDIA_IMAGE : GST_APIXO_MEDIA_VIDEO, TRUE);
  if (GST_STATE (element) > GST_STATE_READY)
    gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_apixo_animate_release_pad (GstElement *element, GstPad *pad)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->image_pad)
    self->image_pad = NULL;
  else if (pad == self->video_pad)
    self->video_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_apixo_animate_src_set_pad (GST_APIXO_ANIMATE_SRC (self->src),
                                 pad_kind (pad), FALSE);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

/* ---- upload signal ------------------------------------------------------- */

static gchar *
forward_upload (GstElement *src, GBytes *data, const gchar *content_type,
                GCancellable *cancellable, gpointer user_data)
{
  gchar *url = NULL;

  g_signal_emit (user_data, signals[SIGNAL_UPLOAD], 0, data, content_type,
                 cancellable, &url);
  return url;
}

static GstStateChangeReturn
gst_apixo_animate_change_state (GstElement *element, GstStateChange transition)
{
  GstApixoAnimate *self = GST_APIXO_ANIMATE (element);

  /* The source uses an upload handler when it has one when it starts:
   * relay ours only if the application connected one. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gboolean wanted =
        g_signal_has_handler_pending (self, signals[SIGNAL_UPLOAD], 0, FALSE);
    if (wanted && self->upload_handler == 0)
      self->upload_handler = g_signal_connect_object (
          self->src, "upload", G_CALLBACK (forward_upload), self, 0);
    else if (!wanted && self->upload_handler != 0) {
      g_signal_handler_disconnect (self->src, self->upload_handler);
      self->upload_handler = 0;
    }
  }
  return GST_ELEMENT_CLASS (gst_apixo_animate_parent_class)
      ->change_state (element, transition);
}
