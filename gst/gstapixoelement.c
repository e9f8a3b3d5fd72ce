/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoelements.h"
#include "gstapixomodels.h"
#include "gstapixotags.h"

void
gst_apixo_element_init (GstPlugin *plugin)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    /* Register the enum types up front so gst-inspect lists them. */
    g_type_ensure (GST_TYPE_APIXO_PROVIDER);
    g_type_ensure (GST_TYPE_APIXO_REQUEST_TYPE);
    /* and the tags, so that tag lists read before a clip is made (a
     * discoverer's serialized info) know them */
    gst_apixo_tags_register ();
    g_once_init_leave (&done, 1);
  }
}
