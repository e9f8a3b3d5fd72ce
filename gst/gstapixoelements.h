/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_ELEMENTS_H__
#define __GST_APIXO_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* One-time set-up shared by the elements (run at most once). */
void gst_apixo_element_init (GstPlugin *plugin);

GST_ELEMENT_REGISTER_DECLARE (apixosrc);
GST_ELEMENT_REGISTER_DECLARE (apixoanimate);
GST_ELEMENT_REGISTER_DECLARE (apixoanimatesrc);

G_END_DECLS

#endif /* __GST_APIXO_ELEMENTS_H__ */
