/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_ANIMATE_H__
#define __GST_APIXO_ANIMATE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_APIXO_ANIMATE (gst_apixo_animate_get_type ())
G_DECLARE_FINAL_TYPE (GstApixoAnimate, gst_apixo_animate, GST, APIXO_ANIMATE,
                      GstBin)

G_END_DECLS

#endif /* __GST_APIXO_ANIMATE_H__ */
