/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_BASE_SRC_H__
#define __GST_APIXO_BASE_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstbasesrc.h>

#include "gstapixomodels.h"
#include "gstapixouri.h"

G_BEGIN_DECLS

#define GST_TYPE_APIXO_BASE_SRC (gst_apixo_base_src_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstApixoBaseSrc, gst_apixo_base_src, GST,
                          APIXO_BASE_SRC, GstBaseSrc)

/**
 * GstApixoBaseSrcClass:
 * @build_spec: required; the generation request described by the
 *   subclass's own properties (a snapshot: the subclass takes its own
 *   object lock), or NULL + a GST_RESOURCE_ERROR_SETTINGS @error naming the
 *   property.  Called once per run, in start(), after the base class has
 *   snapshotted its settings (gst_apixo_base_src_is_resuming() is valid);
 *   the base class adds the fields every model shares (provider,
 *   request-type, callback-url, extra-input), derives what the model page
 *   lets it derive and validates the result.  Local inputs are given as
 *   "file://" URIs or as "apixo-pad:NAME" for the data of sink pad NAME.
 * @get_pad_input: optional (subclasses with sink pads); the input
 *   collected on the sink pad @name, for the "apixo-pad:NAME" URIs of the
 *   spec, or NULL if there is no such pad.  Called on the streaming
 *   thread before submission; the input is owned by the subclass and must
 *   stay alive until stop().
 * @image_uri_property: the name of the subclass's property holding the
 *   image input URIs, for messages about them (default "image-uris")
 * @video_uri_property: the same for video inputs (default "video-uris")
 * @uri_model: for apixo:// URIs (GstURIHandler), the one model a subclass
 *   without a "model" property serves; NULL for a subclass with one
 * @uri_refused_models: the models of the "model" property that another
 *   element serves (its URIs are refused, so that playbin and uridecodebin
 *   try that element), NULL-terminated or NULL
 * @uri_aliases: the URI parameter names that are not the property's
 *   (apixoanimate: image, video), or NULL
 *
 * Base class of the apixo elements: the shared settings (API key, base
 * URL, polling, deadline, HTTP knobs, task-id, save-location), the task on
 * the shared worker, result streaming from the spool (pull mode when
 * downstream can, push mode otherwise), bus messages and errors.  A
 * subclass describes its request (build_spec) and, if it has sink pads,
 * hands over their data (get_pad_input); the base class does the rest:
 * publishing the local inputs, submission, polling, download and
 * streaming, and apixo:// URIs (the element's properties as parameters,
 * see gstapixouri.h).
 */
struct _GstApixoBaseSrcClass {
  GstBaseSrcClass parent_class;

  GstApixoRequestSpec *(*build_spec) (GstApixoBaseSrc *src, GError **error);
  struct _GstApixoInput *(*get_pad_input) (GstApixoBaseSrc *src,
                                           const gchar *name);

  const gchar *image_uri_property;
  const gchar *video_uri_property;

  const gchar *uri_model;
  const gchar *const *uri_refused_models;
  const GstApixoUriAlias *uri_aliases;

  gpointer _gst_reserved[GST_PADDING];
};

/* The spool-directory of this run (start() to stop()); NULL: the system
 * temp directory. */
const gchar *gst_apixo_base_src_get_spool_directory (GstApixoBaseSrc *src);

/* TRUE when this run resumes an existing task (task-id set): nothing is
 * submitted, inputs are not needed. From start() to stop(). */
gboolean gst_apixo_base_src_is_resuming (GstApixoBaseSrc *src);

/* Posts an "apixo-task" element message (any thread). Takes @s. */
void gst_apixo_base_src_post_task_message (GstApixoBaseSrc *src,
                                           GstStructure *s);

G_END_DECLS

#endif /* __GST_APIXO_BASE_SRC_H__ */
