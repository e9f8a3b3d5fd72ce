/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_MODELS_H__
#define __GST_APIXO_MODELS_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The model catalogue: what this version of the plugin knows about each
 * APIXO model (../shared/apixo-docs/): allowed values, limits and defaults,
 * the documented polling advice and rate limits, and how element properties
 * become the JSON request body.  Pure data + functions: no I/O, no locks,
 * callable from any thread.
 */

/* Closed choices documented by the service: enum GTypes (gst-inspect lists
 * them). */
typedef enum {
  GST_APIXO_PROVIDER_AUTO,
  GST_APIXO_PROVIDER_VALUE,
  GST_APIXO_PROVIDER_OFFICIAL,
} GstApixoProvider;

typedef enum {
  GST_APIXO_REQUEST_TYPE_ASYNC,
  GST_APIXO_REQUEST_TYPE_CALLBACK,
} GstApixoRequestType;

#define GST_TYPE_APIXO_PROVIDER (gst_apixo_provider_get_type ())
GType gst_apixo_provider_get_type (void);
#define GST_TYPE_APIXO_REQUEST_TYPE (gst_apixo_request_type_get_type ())
GType gst_apixo_request_type_get_type (void);

const gchar *gst_apixo_provider_to_string (GstApixoProvider provider);
const gchar *gst_apixo_request_type_to_string (GstApixoRequestType type);

/**
 * GstApixoRequestSpec:
 *
 * Everything a generation request is made of, as the element properties set
 * it.  Strings are NULL when not set (then not sent).  A field is sent only
 * when set, except what the service requires (request_type, input.mode, and
 * derived values, see gst_apixo_request_spec_derive()).
 *
 * Property names used in error messages are the element's (kebab-case):
 * "model", "mode", "prompt", "negative-prompt", "resolution", "duration",
 * "aspect-ratio", "size", "image-uris", "video-uris", "audio-uri", "seed",
 * "prompt-extend", "watermark", "watermark-text", "generation-type",
 * "provider", "request-type", "callback-url", "type", "extra-input".
 */
typedef struct {
  gchar *model; /* required */
  gchar *mode;  /* NULL: derived */
  gchar *prompt;
  gchar *negative_prompt;
  gchar *resolution;
  gint duration; /* seconds; 0 = not set */
  gchar *aspect_ratio;
  gchar *size;        /* sora-2-pro text-to-video, "1280*720" */
  gchar **image_uris; /* NULL-terminated, NULL/empty = none */
  gchar **video_uris; /* wan-2-2-animate motion video */
  gchar *audio_uri;   /* wan-2-5-video audio_urls[0] */
  gint64 seed;
  gboolean seed_set; /* seed is sent only when set (-1 included) */
  gboolean prompt_extend;
  gboolean prompt_extend_set;
  gboolean watermark; /* wan-2-5-video boolean watermark */
  gboolean watermark_set;
  gchar *watermark_text;  /* veo-3-1 string watermark */
  gchar *generation_type; /* veo-3-1 generationType; NULL: derived */
  gchar *type;            /* wan-2-2-animate animate/replace */
  GstApixoProvider provider;
  gboolean provider_set;
  GstApixoRequestType request_type;
  gchar *callback_url;
  /* request-type=callback with public-url and no callback-url: the element
   * receives the delivery itself; callback_url is its receiver's, set just
   * before submission (gstapixowebhook.h) */
  gboolean callback_receiver;
  GstStructure *extra_input; /* merged into "input", last word */
} GstApixoRequestSpec;

GstApixoRequestSpec *gst_apixo_request_spec_new (void);
GstApixoRequestSpec *
gst_apixo_request_spec_copy (const GstApixoRequestSpec *spec);
void gst_apixo_request_spec_free (GstApixoRequestSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstApixoRequestSpec, gst_apixo_request_spec_free)

/**
 * GstApixoModelInfo:
 *
 * What the catalogue knows of one model id.
 */
typedef struct {
  const gchar *id;
  const gchar *description;
  /* documented rate limits (per API key) */
  guint requests_per_minute;
  guint concurrent_tasks;
  /* TRUE if results normally carry a sound track (from the page or the
   * model family: Wan 2.5, Veo 3.1, Sora 2 yes; Wan 2.2 Animate no) */
  gboolean has_audio;
} GstApixoModelInfo;

/* NULL for a model id this version does not know. */
const GstApixoModelInfo *gst_apixo_model_lookup (const gchar *model);
/* NULL-terminated list of the known ids, in documentation order. */
const gchar *const *gst_apixo_model_list (void);

/* Fills in what the user left unset and the documentation lets us derive:
 * mode (image given -> image-to-video, else text-to-video; veo-3-1: fast for
 * REFERENCE_2_VIDEO, else quality; wan-2-2-animate: standard), veo-3-1
 * generation type (no image -> TEXT_2_VIDEO, 1-2 images ->
 * FIRST_AND_LAST_FRAMES_2_VIDEO, 3 -> REFERENCE_2_VIDEO), sora-2-pro
 * provider (official), duration (4) and, when neither size nor resolution
 * is set, size "1280*720" (text-to-video) or resolution "720p"
 * (image-to-video); wan-2-2-animate type (animate); veo-3-1
 * REFERENCE_2_VIDEO aspect ratio (16:9, the only one allowed).  Explicit
 * values are never overridden.  Unknown models are left as they are. */
void gst_apixo_request_spec_derive (GstApixoRequestSpec *spec);

/* Validates a (derived) spec against the model page.  On failure returns
 * FALSE and sets @error in GST_RESOURCE_ERROR with code
 * GST_RESOURCE_ERROR_SETTINGS, whose message names the property, the value
 * given and what is allowed, e.g.
 *   "resolution '4k' is not supported by wan-2-5 (allowed: 720p, 1080p)".
 * Unknown models get only generic checks (model id shape, URI schemes,
 * lengths) and, when they pass, *@warning is set to a message to post as a
 * warning (free it); otherwise *@warning is set to NULL.  @warning may be
 * NULL.  file:// URIs in image-uris, video-uris and audio-uri are accepted
 * as local inputs (the element publishes them). */
gboolean gst_apixo_request_spec_validate (const GstApixoRequestSpec *spec,
                                          gchar **warning, GError **error);

/* The generateTask body: {"request_type", "callback_url"?, "provider"?,
 * "input": {...}} built with json-glib.  The spec must be validated.
 * Local (file://) URIs are left out: replace them with the published
 * http(s) URLs first.  Unknown models get the newer pages' field names
 * (prompt_extend, watermark, generationType); extra-input has the last
 * word. */
JsonNode *gst_apixo_request_spec_to_json (const GstApixoRequestSpec *spec);

/* Polling advice of the model page for this request shape, in seconds:
 * when the documented first poll is due after submission, and the interval
 * after it.  Unknown models: the service's general advice (60 s, 15 s). */
void gst_apixo_request_spec_poll_advice (const GstApixoRequestSpec *spec,
                                         gdouble *first_poll,
                                         gdouble *interval);

/* Typical generation time the page documents (upper bound, seconds) for
 * this request shape; used to grow the poll interval gently once exceeded. */
gdouble gst_apixo_request_spec_typical_time (const GstApixoRequestSpec *spec);

/* TRUE when the model's page documents a generation time for this request
 * shape (the typical time above is then that figure); FALSE for a model
 * whose page gives none (wan-2-2-animate) and for unknown models, whose
 * typical time is only the service's general give-up advice: progress can
 * then give no estimate of the time left. */
gboolean
gst_apixo_request_spec_typical_documented (const GstApixoRequestSpec *spec);

/* Additive helpers. */

/* A spec URI meaning "the data arriving on the element's sink pad NAME"
 * ("apixo-pad:image"): a local input too. */
#define GST_APIXO_PAD_URI_PREFIX "apixo-pad:"

/* TRUE for a file:// or apixo-pad: URI: a local input the element must
 * publish. */
gboolean gst_apixo_uri_is_local (const gchar *uri);
/* The file:// URI of @value when it is a plain local path (no scheme;
 * relative to the current directory), for a message suggesting it; NULL
 * otherwise.  Free with g_free(). */
gchar *gst_apixo_uri_suggest_file_uri (const gchar *value);
/* TRUE if image-uris, video-uris or audio-uri hold a local input. */
gboolean
gst_apixo_request_spec_has_local_inputs (const GstApixoRequestSpec *spec);

/* What each known model allows for the element property @property (its
 * kebab-case name), for blurbs and messages, e.g. for "resolution":
 * "wan-2-5: 720p, 1080p; wan-2-5-video: 480p, 720p, 1080p; sora-2-pro
 * (image-to-video): 720p, 1080p; wan-2-2-animate: 480p, 720p".  For
 * properties without a value list (watermark, audio-uri, ...) just the
 * models using it.  NULL for a property without model rules (prompt,
 * provider, ...).  Free with g_free(). */
gchar *gst_apixo_models_describe_allowed (const gchar *property);

/* Documented limits of the media behind input URLs, for the element's
 * checks of local inputs (typefinding, not file names).  Fields are 0/NULL
 * where the page documents nothing.  Sizes in bytes, "MB" read as MiB. */
typedef enum {
  GST_APIXO_MEDIA_IMAGE, /* image-uris */
  GST_APIXO_MEDIA_VIDEO, /* video-uris */
  GST_APIXO_MEDIA_AUDIO, /* audio-uri */
} GstApixoMediaKind;

typedef struct {
  /* typefind caps names ("image/jpeg", "audio/x-wav", ...); NULL: any */
  const gchar *const *media_types;
  guint64 max_bytes;
  guint min_dimension, max_dimension; /* px, both width and height */
  gboolean no_alpha;                  /* wan-2-5-video: PNG without alpha */
  gdouble min_seconds, max_seconds;   /* audio duration */
} GstApixoMediaLimits;

/* NULL when @model is unknown or takes no input of @kind. */
const GstApixoMediaLimits *
gst_apixo_model_media_limits (const gchar *model, GstApixoMediaKind kind);

/* wan-2-2-animate bills the motion video's duration, at least 5 s and at
 * most 120 s: the seconds billed for an input of @input_seconds; -1 for a
 * model not billed by input duration. */
gdouble gst_apixo_model_billed_seconds (const gchar *model,
                                        gdouble input_seconds);

/* Billing.  Only documented prices are known (the catalogue's price table:
 * wan-2-5-video per generated second by resolution); no other price is
 * ever guessed. */

/* The seconds @spec (derived) is billed for when its model bills the
 * generated duration: duration, or the page's default when unset.  -1 when
 * unknown from the spec: billed by an input's duration (wan-2-2-animate:
 * see gst_apixo_model_billed_seconds()), or billing not documented. */
gdouble gst_apixo_request_spec_billed_seconds (const GstApixoRequestSpec *spec);

/* The estimated cost of @spec (derived) in USD, rounded to micro-USD:
 * billed seconds times the documented unit price.  @billed_seconds: the
 * seconds billed when known from the inputs (< 0: from the spec).  TRUE
 * with *@usd; FALSE when no price is documented for this request or its
 * billed seconds are unknown, with *@why_unknown (may be NULL; free it) a
 * phrase saying which, e.g. "the veo-3-1 page documents no price". */
gboolean gst_apixo_request_spec_estimate_cost (const GstApixoRequestSpec *spec,
                                               gdouble billed_seconds,
                                               gdouble *usd,
                                               gchar **why_unknown);

/* "0.25 USD", "74.87 USD", "0.004 USD": cents at least, micro-USD at most,
 * locale-independent.  Free with g_free(). */
gchar *gst_apixo_usd_to_string (gdouble usd);

G_END_DECLS

#endif /* __GST_APIXO_MODELS_H__ */
