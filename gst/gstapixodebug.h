/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_DEBUG_H__
#define __GST_APIXO_DEBUG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* GST_DEBUG_CATEGORY_INIT the first time only, from any thread.  Each
 * GST_DEBUG_CATEGORY_INIT allocates a category, matches it against the
 * GST_DEBUG patterns and walks every category of the process under a lock
 * before finding its own again: a unit whose code may first run per run,
 * per element or on any thread (not only in a class or plugin init)
 * registers its category with this. */
#define GST_APIXO_DEBUG_CATEGORY_INIT_ONCE(cat, name, color, description)      \
  G_STMT_START                                                                 \
  {                                                                            \
    static gsize cat##_registered = 0;                                         \
                                                                               \
    if (g_once_init_enter (&cat##_registered)) {                               \
      GST_DEBUG_CATEGORY_INIT (cat, name, color, description);                 \
      g_once_init_leave (&cat##_registered, 1);                                \
    }                                                                          \
  }                                                                            \
  G_STMT_END

G_END_DECLS

#endif /* __GST_APIXO_DEBUG_H__ */
