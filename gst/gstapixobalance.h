/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_BALANCE_H__
#define __GST_APIXO_BALANCE_H__

#include <gst/gst.h>

#include "gstapixorun.h"

G_BEGIN_DECLS

/* Any thread but the worker's.  Reads the account's balance once
 * (GET apikeys/current-balance) with @config's base URL, key and HTTP
 * settings, on the shared worker, and waits for the answer (bounded by the
 * HTTP timeout).  TRUE with *@usd, or FALSE and @error (the client's
 * message).  Not retried: for an application's one look before a batch;
 * a task's check-balance has its own retries (gstapixotask.c). */
gboolean gst_apixo_balance_read (GstApixoRunConfig *config, gdouble *usd,
                                 GError **error);

G_END_DECLS

#endif /* __GST_APIXO_BALANCE_H__ */
