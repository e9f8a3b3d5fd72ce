/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_IDENTITY_H__
#define __GST_APIXO_IDENTITY_H__

#include <gst/gst.h>

#include "gstapixorun.h"

G_BEGIN_DECLS

/**
 * GstApixoIdentity:
 * @request: the canonical request, JSON text with its members sorted: the
 *   base URL, the model, the generateTask body without its callback fields
 *   (request_type, callback_url: how the answer comes, not what is made)
 *   and, for each local input, its URI and the SHA-256 of its content (a
 *   published input's URL is a fresh secret on every run)
 * @cache_key: SHA-256 (hex) of @request: the result cache's key
 * @run_key: SHA-256 (hex) of @request and the save-location: the journal's
 *   key (one run per identity: a user who wants variations of a request
 *   gives them different save-locations); @cache_key without one
 *
 * What makes two runs the same run.  Plain data.
 */
typedef struct {
  gchar *request;
  gchar *cache_key;
  gchar *run_key;
} GstApixoIdentity;

/* Any thread.  The identity of a run of @config whose local inputs (URI
 * -> "sha256:HEX" of their content, NULL: none) are @input_digests. */
GstApixoIdentity *gst_apixo_identity_new (const GstApixoRunConfig *config,
                                          GHashTable *input_digests);
GstApixoIdentity *gst_apixo_identity_copy (const GstApixoIdentity *identity);
void gst_apixo_identity_free (GstApixoIdentity *identity);
gboolean gst_apixo_identity_equal (const GstApixoIdentity *a,
                                   const GstApixoIdentity *b);

G_END_DECLS

#endif /* __GST_APIXO_IDENTITY_H__ */
