/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_CACHE_H__
#define __GST_APIXO_CACHE_H__

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GstApixoCache:
 *
 * The result cache of a cache directory ("<cache-directory>/results/"):
 * finished results stored under the key of their canonical request (a hex
 * string, gstapixoidentity.h), each as "<key>.mp4" with "<key>.json"
 * beside it (its metadata: the canonical request, task id, model, size,
 * checksum, the times it was stored and last used).
 *
 * An entry is used only once verified: its metadata parses, its size is
 * the recorded one, and its checksum matches (the whole file is hashed
 * when it was stored and again whenever its (device, inode, size, mtime,
 * ctime) stamp differs from the one recorded after hashing: a file
 * untouched since it was hashed is not read twice, so a hit is served at
 * file speed).  A corrupt, partial or orphan entry is removed and the
 * lookup misses.
 *
 * The total size of the entries is kept under max_size by removing the
 * least recently used ones (their "last used" time in the metadata).
 * Files are written to "<name>.<random>.part" (metadata: ".tmp") and
 * renamed into place; such files untouched for
 * GST_APIXO_CACHE_STALE_PART_S (a killed store) are removed by the next
 * store (a lookup never lists the directory).  Several processes may share the directory: every change is a
 * rename or an unlink.
 *
 * Blocking file I/O; any thread.
 */
typedef struct _GstApixoCache GstApixoCache;

#define GST_APIXO_CACHE_STALE_PART_S (10 * 60)

typedef struct {
  gchar *key;        /* the canonical request's key */
  gchar *request;    /* the canonical request (JSON text) */
  gchar *task_id;    /* the task that generated it */
  gchar *model;      /* the model id */
  gint64 task_time;  /* Unix µs: the task was submitted (0: unknown) */
  gint64 store_time; /* Unix µs: stored (set by the cache) */
  gint64 used_time;  /* Unix µs: last served (set by the cache) */
  guint64 size;      /* set by the cache */
  gchar *checksum;   /* "sha256:HEX" (or the algorithm chosen), set by the
                      * cache */
  gchar *sidecar;    /* the result's sidecar (JSON object text,
                      * gstapixosidecar.h), NULL: none (older entries) */
} GstApixoCacheMeta;

void gst_apixo_cache_meta_free (GstApixoCacheMeta *meta);

/* The cache of @cache_dir (creates "<cache_dir>/results", mode 0700;
 * removes stale parts).  @max_size: the bound on the entries' total size
 * in bytes (0: no bound).  NULL and @error when the directory cannot be
 * created or written. */
GstApixoCache *gst_apixo_cache_open (const gchar *cache_dir, guint64 max_size,
                                     GError **error);
void gst_apixo_cache_free (GstApixoCache *cache);

/* A verified entry for @key: TRUE, *fd a new read-only descriptor on it
 * (the caller closes it; the entry may be evicted meanwhile, the
 * descriptor stays valid), *size its size, *meta its metadata (if not
 * NULL).  FALSE on a miss (including a corrupt entry, removed).  Its "last
 * used" time is not updated here (a metadata rewrite, a good part of a
 * hit's cost): gst_apixo_cache_mark_used() does it once the entry was
 * served. */
gboolean gst_apixo_cache_lookup (GstApixoCache *cache, const gchar *key,
                                 gint *fd, guint64 *size,
                                 GstApixoCacheMeta **meta);

/* The same, read-only and without reading the data: a hit only when the
 * entry's file still has the stamp recorded when it was verified (nothing
 * to hash); FALSE for anything else, which stays for
 * gst_apixo_cache_lookup() to verify or remove.  For a look that must
 * stay short (an element's start()); *meta has no sidecar. */
gboolean gst_apixo_cache_lookup_stamped (GstApixoCache *cache, const gchar *key,
                                         gint *fd, guint64 *size,
                                         GstApixoCacheMeta **meta);

/* Records that the entry of @key was used now (least recently used go
 * first).  Nothing when it is gone meanwhile; a failure to write is only
 * logged. */
void gst_apixo_cache_mark_used (GstApixoCache *cache, const gchar *key);

/* Stores the complete result file at @path as the entry of meta->key:
 * hashes it (honouring @cancellable), hard-links it into place (or copies
 * it where links are impossible: another filesystem), writes the
 * metadata, then evicts least recently used entries beyond max_size
 * (never the one just stored).  @path itself is left as it is.  FALSE and
 * @error (G_IO_ERROR_CANCELLED when cancelled) otherwise; nothing partial
 * is left behind.  Blocking: call it from a thread that may take a while
 * (the hash reads the whole file). */
gboolean gst_apixo_cache_store_file (GstApixoCache *cache, const gchar *path,
                                     const GstApixoCacheMeta *meta,
                                     GCancellable *cancellable, GError **error);

/* The same from a descriptor of the complete result (a nameless spool
 * file): copied into place from offset 0, @size bytes. */
gboolean gst_apixo_cache_store_fd (GstApixoCache *cache, gint fd, guint64 size,
                                   const GstApixoCacheMeta *meta,
                                   GCancellable *cancellable, GError **error);

/* "<cache_dir>/results" */
const gchar *gst_apixo_cache_get_dir (GstApixoCache *cache);

G_END_DECLS

#endif /* __GST_APIXO_CACHE_H__ */
