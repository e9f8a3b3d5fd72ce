/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_SRC_H__
#define __GST_APIXO_SRC_H__

#include "gstapixobasesrc.h"

G_BEGIN_DECLS

#define GST_TYPE_APIXO_SRC (gst_apixo_src_get_type ())
G_DECLARE_FINAL_TYPE (GstApixoSrc, gst_apixo_src, GST, APIXO_SRC,
                      GstApixoBaseSrc)

G_END_DECLS

#endif /* __GST_APIXO_SRC_H__ */
