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

G_BEGIN_DECLS

#define GST_TYPE_APIXO_BASE_SRC (gst_apixo_base_src_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstApixoBaseSrc, gst_apixo_base_src, GST,
                          APIXO_BASE_SRC, GstBaseSrc)

/**
 * GstApixoBaseSrcClass:
 * @build_spec: returns the generation request described by the subclass's
 *   properties (a snapshot: the subclass takes its own object lock).
 *   Called in start(); the base class derives and validates it.
 * @prepare: optional; streaming thread, before submission: e.g. publish
 *   local inputs and put their URLs in @spec.  Must wait only on
 *   @cancellable (unlock() cancels it).  FALSE + @error to fail.
 * @finish: optional; worker or streaming thread: the task is over (success
 *   or not), withdraw what @prepare published.
  * @describe: optional; adds fields to "apixo-task" messages.
 * @get_pad_input: optional; the input collected on the sink pad @name, for
 *   "apixo-pad:NAME" URIs in the spec (owned by the subclass, alive until
 *   stop()).
 *
 * Base class of the apixo elements: the shared settings (API key, base
 * URL, polling, deadline, HTTP knobs, task-id, save-location), the task on
 * the shared worker, result streaming from the spool (pull mode when
 * downstream can, push mode otherwise), bus messages and errors.
 */
struct _GstApixoBaseSrcClass {
  GstBaseSrcClass parent_class;

  GstApixoRequestSpec *(*build_spec) (GstApixoBaseSrc *src, GError **error);
  gboolean (*prepare) (GstApixoBaseSrc *src, GstApixoRequestSpec *spec,
                       GCancellable *cancellable, GError **error);
  void (*finish) (GstApixoBaseSrc *src);
  void (*describe) (GstApixoBaseSrc *src, GstStructure *message);
  struct _GstApixoInput *(*get_pad_input) (GstApixoBaseSrc *src,
                                           const gchar *name);

  /* property names of the input URIs, for messages (default "image-uris",
   * "video-uris") */
  const gchar *image_uri_property;
  const gchar *video_uri_property;

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
