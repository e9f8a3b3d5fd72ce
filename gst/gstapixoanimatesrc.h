/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_ANIMATE_SRC_H__
#define __GST_APIXO_ANIMATE_SRC_H__

#include "gstapixobasesrc.h"

G_BEGIN_DECLS

typedef enum {
  GST_APIXO_ANIMATE_KIND_ANIMATE,
  GST_APIXO_ANIMATE_KIND_REPLACE,
} GstApixoAnimateKind;

#define GST_TYPE_APIXO_ANIMATE_KIND (gst_apixo_animate_kind_get_type ())
GType gst_apixo_animate_kind_get_type (void);

/**
 * GstApixoAnimateSrc:
 *
 * The source inside the apixoanimate bin: the wan-2-2-animate request
 * (type, resolution, prompt, seed, image-uri, video-uri ...) on top of
 * GstApixoBaseSrc, and the collectors of the data the bin's "image" and
 * "video" pads receive.  (The sink pads belong to the bin: an element with
 * two sink pads cannot derive a stream-id for its source pad.)  Registered
 * on its own (apixoanimatesrc) as the element of apixo://wan-2-2-animate
 * URIs.
 */
#define GST_TYPE_APIXO_ANIMATE_SRC (gst_apixo_animate_src_get_type ())
G_DECLARE_FINAL_TYPE (GstApixoAnimateSrc, gst_apixo_animate_src, GST,
                      APIXO_ANIMATE_SRC, GstApixoBaseSrc)

/* The bin has (or no longer has) a sink pad for @kind (image or video):
 * the input then comes from that pad rather than the URI property. */
void gst_apixo_animate_src_set_pad (GstApixoAnimateSrc *src,
                                    GstApixoMediaKind kind, gboolean present);

/* Upstream threads, from the bin's sink pads: data (transfer full) and
 * events (EOS, FLUSH_STOP; transfer none) of the input of @kind. */
GstFlowReturn gst_apixo_animate_src_input_chain (GstApixoAnimateSrc *src,
                                                 GstApixoMediaKind kind,
                                                 GstBuffer *buffer);
void gst_apixo_animate_src_input_event (GstApixoAnimateSrc *src,
                                        GstApixoMediaKind kind,
                                        GstEvent *event);

G_END_DECLS

#endif /* __GST_APIXO_ANIMATE_SRC_H__ */
