/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_SIDECAR_H__
#define __GST_APIXO_SIDECAR_H__

#include "gstapixomodels.h"

G_BEGIN_DECLS

/*
 * The sidecar: where a kept result came from, as JSON people and programs
 * read ("<save-location>.json" beside the file, and the "sidecar" member
 * of its cache entry's metadata).  docs/pay-once.md lists its members.
 * Pure functions but for write(), which blocks on the disk; any thread.
 */

#define GST_APIXO_SIDECAR_SUFFIX ".json"
#define GST_APIXO_SIDECAR_VERSION 1

typedef struct {
  const GstApixoRequestSpec *spec; /* model, prompt, seed, the request */
  const gchar *task_id;            /* NULL: unknown */
  gint64 submit_time;              /* Unix µs, 0: unknown */
  gint64 complete_time;            /* Unix µs, 0: unknown */
  gdouble estimated_cost;          /* USD, < 0: unknown */
  const gchar *request_key;        /* the run identity's cache key, or NULL */
} GstApixoSidecarInfo;

/* The sidecar of @info as JSON text (indented). */
gchar *gst_apixo_sidecar_to_json (const GstApixoSidecarInfo *info);

/* "<@media_path>.json" */
gchar *gst_apixo_sidecar_path (const gchar *media_path);

/* Writes @json (a sidecar's text) durably as "<@media_path>.json",
 * replacing any older one atomically.  FALSE and a G_FILE_ERROR naming the
 * sidecar's path otherwise. */
gboolean gst_apixo_sidecar_write (const gchar *media_path, const gchar *json,
                                  GError **error);

G_END_DECLS

#endif /* __GST_APIXO_SIDECAR_H__ */
