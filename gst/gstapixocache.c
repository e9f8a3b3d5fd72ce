/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Result cache: "<cache-directory>/results/<key>.mp4", each with its
 * metadata "<key>.json" beside it.
 *
 * Thread safety notes
 * -------------------
 * - struct _GstApixoCache has immutable fields only (set in open(), never
 *   changed): every function may run on any thread, several at once on one
 *   cache, with no lock.  There is no other shared state (the random part
 *   of part names comes from the kernel: gst_apixo_durable_temp_path()).
 * - Processes (and machines, over NFS) sharing the directory coordinate
 *   through the filesystem alone, never flock(): every file is made under
 *   a new name ("<name>.<random>.part" for data, O_EXCL or link(); the
 *   temporary name of gstapixodurable's replacements for metadata),
 *   written, then renamed into place, so a reader sees a whole old file, a
 *   whole new one or none; every removal is an unlink() whose ENOENT
 *   (another process removed it first) is no failure.
 *
 * Design
 * ------
 * - A store unlinks the old metadata, renames the data into place, then
 *   writes the metadata durably.  Its only intermediate state is thus a
 *   ".mp4" without ".json": a lookup misses on it, and removes it only once
 *   it is older than GST_APIXO_CACHE_STALE_PART_S (a store killed in
 *   between), never while another process may be about to finish it.  A
 *   ".json" without ".mp4" is always debris, removed at once.
 * - Every hit is verified through the very descriptor it returns: its
 *   fstat() is the stamp compared with the recorded one, and its bytes are
 *   hashed when the stamps differ.  Races between processes (a store over
 *   an entry that another one is verifying, a "last used" update over a
 *   store) can at worst lose an entry, which is then generated again;
 *   they never serve bytes that do not match the checksum.  Before removing
 *   a corrupt entry, lookup checks that the name still is the file it
 *   verified.
 * - The stamp is taken after the rename (a link or a rename changes the
 *   ctime).  A stored file is a hard link of the caller's file where
 *   possible (no copy of hundreds of MB): when the caller later removes
 *   its name, the link count and so the ctime change, and the next lookup
 *   hashes the file once and records the new stamp; a write into the
 *   caller's file in place changes the entry too, and the hash removes
 *   it.  Over NFS, st_dev may differ between machines: a lookup on another
 *   machine than the last one to record the stamp hashes the file again
 *   (correct, only slower).
 * - Stale part files are swept by their mtime (utimes() can set it; a
 *   live copy writes all along), at the end of every store (stores are
 *   what leave them).  "*.tmp" are swept too: the temporary
 *   names of the metadata's replacements (gstapixodurable.h).
 * - The "last used" time is in the metadata, not in file times (touching
 *   the file would change its ctime and so the stamp).  Updating it on a
 *   hit is a rename of a new metadata file, not fsynced
 *   (gst_apixo_durable_replace_unsynced()): losing it in a crash only
 *   makes eviction a little less exact.
 * - Checksum: SHA-256.  Measured here (GLib 2.74, 200 MB in 1 MiB reads,
 *   page cache warm): MD5 ~600 MiB/s, SHA-1 ~610 MiB/s, SHA-256 ~300 MiB/s;
 *   from disk the file reads at ~525 MiB/s.  SHA-256 costs ~0.65 s per
 *   200 MB against ~0.35 s, only when storing (after a generation of
 *   minutes) and when a stamp changed (rare): not worth a second algorithm
 *   beside the SHA-256 of the identity keys.  The metadata names it
 *   ("sha256:HEX"), so it can change.
 * - The metadata is untrusted input: it is read only when it is a regular
 *   file of at most CACHE_META_MAX bytes (gstapixodurable.h), through
 *   json-glib with its nesting bounded (gstapixojson.h), each field's type
 *   checked, its key the one of its name.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixocache.h"
#include "gstapixodebug.h"
#include "gstapixodurable.h"
#include "gstapixojson.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (apixo_cache_debug);
#define GST_CAT_DEFAULT apixo_cache_debug

/* The keys are SHA-256 hex strings (gstapixoidentity.h). */
#define CACHE_KEY_LEN 64
#define CACHE_DATA_SUFFIX ".mp4"
#define CACHE_META_SUFFIX ".json"
#define CACHE_PART_SUFFIX ".part"
/* A metadata file is a few KiB (the canonical request is the largest
 * part): anything much larger is not ours. */
#define CACHE_META_MAX (256 * 1024)
#define CACHE_META_VERSION 1
/* One read while hashing or copying (and between cancellation checks). */
#define CACHE_READ_SIZE (1024 * 1024)
#define CACHE_CHECKSUM_TYPE G_CHECKSUM_SHA256
#define CACHE_CHECKSUM_NAME "sha256"

struct _GstApixoCache {
  /* immutable */
  dev_t dev;        /* the directory's filesystem: links work within it */
  guint64 max_size; /* 0: no bound */
  gchar dir[];      /* "<cache_dir>/results" */
};

/* What identifies the file that was hashed: any write, truncation,
 * replacement, rename or link changes one of them. */
enum { STAMP_DEV, STAMP_INO, STAMP_SIZE, STAMP_MTIME, STAMP_CTIME, STAMP_N };

typedef struct {
  gint64 v[STAMP_N]; /* dev and ino: their bits (JSON integers are signed) */
} CacheStamp;

/* Their names in the metadata. */
static const gchar *const stamp_names[STAMP_N] = { "dev", "ino", "size",
                                                   "mtime-ns", "ctime-ns" };

typedef enum {
  META_MISSING,
  META_INVALID,
  META_OK,
} MetaState;

typedef enum {
  LINK_DONE,
  LINK_FAILED,     /* an error: the store fails */
  LINK_IMPOSSIBLE, /* links do not work there: copy */
} LinkResult;

/* An entry seen by eviction. */
typedef struct {
  gchar *key;
  struct stat st; /* its data file's */
  gint64 used_time;
} CacheEntry;

/* ---- helpers ------------------------------------------------------------ */

static gboolean
set_errno_error (GError **error, gint err, const gchar *what, const gchar *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s '%s': %s",
               what, path, g_strerror (err));
  return FALSE;
}

static gboolean
is_lower_hex (const gchar *s, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isdigit (s[i]) && (s[i] < 'a' || s[i] > 'f'))
      return FALSE;
  }
  return s[len] == '\0';
}

/* Keys become file names: only the exact hex form, no path component. */
static gboolean
key_is_valid (const gchar *key)
{
  return key != NULL && strlen (key) == CACHE_KEY_LEN &&
         is_lower_hex (key, CACHE_KEY_LEN);
}

static gboolean
check_key (const gchar *key, GError **error)
{
  if (key_is_valid (key))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Cache key '%s' is not %d lowercase hex digits",
               key ? key : "(null)", CACHE_KEY_LEN);
  return FALSE;
}

static gchar *
entry_path (GstApixoCache *cache, const gchar *key, const gchar *suffix)
{
  return g_strconcat (cache->dir, G_DIR_SEPARATOR_S, key, suffix, NULL);
}

/* unlink(), where a file already gone (another process removed it) is no
 * failure: 0 or the errno. */
static gint
unlink_gone (const gchar *path)
{
  if (unlink (path) == 0 || errno == ENOENT)
    return 0;
  return errno;
}

static gint64
timespec_ns (const struct timespec *ts)
{
  return (gint64)ts->tv_sec * G_GINT64_CONSTANT (1000000000) + ts->tv_nsec;
}

static void
stamp_from_stat (const struct stat *st, CacheStamp *stamp)
{
  stamp->v[STAMP_DEV] = (gint64)st->st_dev;
  stamp->v[STAMP_INO] = (gint64)st->st_ino;
  stamp->v[STAMP_SIZE] = st->st_size;
  stamp->v[STAMP_MTIME] = timespec_ns (&st->st_mtim);
  stamp->v[STAMP_CTIME] = timespec_ns (&st->st_ctim);
}

static gboolean
stamp_equal (const CacheStamp *a, const CacheStamp *b)
{
  return memcmp (a->v, b->v, sizeof (a->v)) == 0;
}

/* fsync() where the filesystem supports it. */
static gboolean
sync_fd (gint fd, const gchar *path, GError **error)
{
  if (fsync (fd) == 0 || errno == EINVAL || errno == ENOTSUP)
    return TRUE;
  return set_errno_error (error, errno, "Cannot sync", path);
}

/* ---- part files --------------------------------------------------------- */

/* A new part file for @path ("<path>.<random>.part", beside it), opened
 * for writing; -1 and @error otherwise. */
static gint
part_create (const gchar *path, gchar **part, GError **error)
{
  gint fd;

  *part = gst_apixo_durable_temp_path (path, CACHE_PART_SUFFIX);
  fd = open (*part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_error (error, errno, "Cannot create a file beside", path);
    g_clear_pointer (part, g_free);
  }
  return fd;
}

/* A new part name for @path, a hard link of @src; NULL and *err (errno)
 * otherwise. */
static gchar *
part_link (const gchar *src, const gchar *path, gint *err)
{
  gchar *part = gst_apixo_durable_temp_path (path, CACHE_PART_SUFFIX);

  if (link (src, part) == 0)
    return part;
  *err = errno;
  g_free (part);
  return NULL;
}

/* ---- hashing and copying ------------------------------------------------ */

static gboolean
read_error (gssize n, guint64 pos, guint64 size, GError **error)
{
  if (n < 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "Cannot read the result: %s", g_strerror (errno));
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                 "The result ends after %" G_GUINT64_FORMAT
                 " of %" G_GUINT64_FORMAT " bytes",
                 pos, size);
  return FALSE;
}

/* Reads [0, @size) of @fd (CACHE_READ_SIZE at a time, @cancellable checked
 * before each read), hashes it and, if @out >= 0, writes it to @out
 * (@out_path, for errors).  Returns "sha256:HEX", or NULL and @error. */
static gchar *
cache_read_fd (gint fd, guint64 size, gint out, const gchar *out_path,
               GCancellable *cancellable, GError **error)
{
  guint8 *buf = g_malloc (CACHE_READ_SIZE);
  GChecksum *sum = g_checksum_new (CACHE_CHECKSUM_TYPE);
  guint64 pos = 0;
  gboolean ok = TRUE;
  gchar *result = NULL;

  while (ok && pos < size) {
    gssize n;

    if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
      ok = FALSE;
      break;
    }
    n = pread (fd, buf, MIN (CACHE_READ_SIZE, size - pos), pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      ok = read_error (n, pos, size, error);
    else if (out >= 0 &&
             !gst_apixo_durable_write_all (out, (const gchar *)buf, n))
      ok = set_errno_error (error, errno, "Cannot write", out_path);
    else
      g_checksum_update (sum, buf, n);
    pos += MAX (n, 0);
  }
  /* Once more at the end: an empty file, or cancelled during the last
   * read. */
  if (ok && !g_cancellable_set_error_if_cancelled (cancellable, error))
    result = g_strconcat (CACHE_CHECKSUM_NAME ":", g_checksum_get_string (sum),
                          NULL);
  g_checksum_free (sum);
  g_free (buf);
  return result;
}

/* ---- metadata ----------------------------------------------------------- */

/* The fields of the metadata: the JSON members, read and written through
 * these tables only. */
typedef enum {
  FIELD_STRING,      /* a string */
  FIELD_STRING_NULL, /* a string or null */
  FIELD_COUNT,       /* a 64-bit integer >= 0 */
  FIELD_BITS,        /* any 64-bit integer */
} FieldType;

typedef struct {
  const gchar *name;
  FieldType type;
  gsize offset;
} MetaField;

#define META(f) G_STRUCT_OFFSET (GstApixoCacheMeta, f)
static const MetaField meta_fields[] = {
  { "key", FIELD_STRING, META (key) },
  { "request", FIELD_STRING_NULL, META (request) },
  { "task-id", FIELD_STRING_NULL, META (task_id) },
  { "model", FIELD_STRING_NULL, META (model) },
  { "task-time", FIELD_COUNT, META (task_time) },
  { "store-time", FIELD_COUNT, META (store_time) },
  { "used-time", FIELD_COUNT, META (used_time) },
  { "size", FIELD_COUNT, META (size) },
  { "checksum", FIELD_STRING, META (checksum) },
};

static const MetaField version_field = { "version", FIELD_COUNT, 0 };

static gboolean
field_is_string (const MetaField *f)
{
  return f->type == FIELD_STRING || f->type == FIELD_STRING_NULL;
}

static GstApixoCacheMeta *
meta_copy (const GstApixoCacheMeta *meta)
{
  GstApixoCacheMeta *copy = g_memdup2 (meta, sizeof (*meta));
  guint i;

  for (i = 0; i < G_N_ELEMENTS (meta_fields); i++) {
    gchar **s = G_STRUCT_MEMBER_P (copy, meta_fields[i].offset);

    if (field_is_string (&meta_fields[i]))
      *s = g_strdup (*s);
  }
  copy->sidecar = g_strdup (meta->sidecar);
  return copy;
}

void
gst_apixo_cache_meta_free (GstApixoCacheMeta *meta)
{
  guint i;

  for (i = 0; meta != NULL && i < G_N_ELEMENTS (meta_fields); i++) {
    if (field_is_string (&meta_fields[i]))
      g_free (G_STRUCT_MEMBER (gchar *, meta, meta_fields[i].offset));
  }
  if (meta != NULL)
    g_free (meta->sidecar);
  g_free (meta);
}

static void
builder_add_fields (JsonBuilder *b, const MetaField *fields, guint n,
                    gconstpointer record)
{
  guint i;

  for (i = 0; i < n; i++) {
    const MetaField *f = &fields[i];
    const gchar *s = G_STRUCT_MEMBER (const gchar *, record, f->offset);

    if (!field_is_string (f)) {
      gst_apixo_json_add_int (b, f->name,
                              G_STRUCT_MEMBER (gint64, record, f->offset));
    } else if (s != NULL) {
      gst_apixo_json_add_string (b, f->name, s);
    } else {
      /* null, not left out: readers require every member. */
      json_builder_set_member_name (b, f->name);
      json_builder_add_null_value (b);
    }
  }
}

static void
builder_add_stamp (JsonBuilder *b, const CacheStamp *stamp)
{
  guint i;

  json_builder_set_member_name (b, "stamp");
  json_builder_begin_object (b);
  for (i = 0; i < STAMP_N; i++)
    gst_apixo_json_add_int (b, stamp_names[i], stamp->v[i]);
  json_builder_end_object (b);
}

/* Optional (entries stored before sidecars have none): an object, for
 * people reading the file, not a string. */
static void
builder_add_sidecar (JsonBuilder *b, const gchar *sidecar)
{
  JsonNode *node = sidecar ? json_from_string (sidecar, NULL) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    g_clear_pointer (&node, json_node_unref);
    return;
  }
  json_builder_set_member_name (b, "sidecar");
  json_builder_add_value (b, node);
}

/* The "sidecar" member if it is an object; anything else is ignored (it
 * never decides whether the entry is served). */
static gchar *
parse_sidecar (JsonObject *obj)
{
  JsonNode *node = json_object_get_member (obj, "sidecar");

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_to_string (node, TRUE)
                                               : NULL;
}

static gchar *
meta_to_json (const GstApixoCacheMeta *meta, const CacheStamp *stamp,
              gsize *length)
{
  JsonBuilder *b = gst_apixo_json_object_begin ();
  const gint64 version = CACHE_META_VERSION;

  builder_add_fields (b, &version_field, 1, &version);
  builder_add_fields (b, meta_fields, G_N_ELEMENTS (meta_fields), meta);
  builder_add_stamp (b, stamp);
  builder_add_sidecar (b, meta->sidecar);
  /* Pretty: people read it to find what they paid for. */
  return gst_apixo_json_object_end (b, TRUE, length);
}

/* @f of @obj into @record: FALSE if missing, of another type or out of
 * range. */
static gboolean
parse_field (JsonObject *obj, const MetaField *f, gpointer record)
{
  JsonNode *node = json_object_get_member (obj, f->name);
  GType type = field_is_string (f) ? G_TYPE_STRING : G_TYPE_INT64;
  gint64 *value = G_STRUCT_MEMBER_P (record, f->offset);

  /* Present, and null or of @type. */
  if (node == NULL || !gst_apixo_json_member_is (obj, f->name, type))
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (node))
    return f->type == FIELD_STRING_NULL;
  if (type == G_TYPE_STRING) {
    G_STRUCT_MEMBER (gchar *, record, f->offset) =
        g_strdup (gst_apixo_json_get_string (obj, f->name));
    return TRUE;
  }
  *value = gst_apixo_json_get_int (obj, f->name, 0);
  return f->type == FIELD_BITS || *value >= 0;
}

static gboolean
parse_fields (JsonObject *obj, const MetaField *fields, guint n,
              gpointer record)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (!parse_field (obj, &fields[i], record))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_stamp (JsonObject *obj, CacheStamp *stamp)
{
  JsonNode *node = json_object_get_member (obj, "stamp");
  guint i;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  for (i = 0; i < STAMP_N; i++) {
    MetaField f = { stamp_names[i], FIELD_BITS, i * sizeof (gint64) };

    if (!parse_field (json_node_get_object (node), &f, stamp->v))
      return FALSE;
  }
  return TRUE;
}

static gboolean
checksum_is_valid (const gchar *checksum)
{
  const gchar *prefix = CACHE_CHECKSUM_NAME ":";
  gsize hex_len = 2 * g_checksum_type_get_length (CACHE_CHECKSUM_TYPE);

  return g_str_has_prefix (checksum, prefix) &&
         strlen (checksum) == strlen (prefix) + hex_len &&
         is_lower_hex (checksum + strlen (prefix), hex_len);
}

static gboolean
parse_meta_object (JsonObject *obj, const gchar *key, GstApixoCacheMeta *meta,
                   CacheStamp *stamp)
{
  gint64 version = 0;

  return parse_fields (obj, &version_field, 1, &version) &&
         version == CACHE_META_VERSION &&
         parse_fields (obj, meta_fields, G_N_ELEMENTS (meta_fields), meta) &&
         g_str_equal (meta->key, key) && checksum_is_valid (meta->checksum) &&
         parse_stamp (obj, stamp);
}

/* The metadata in @text if it is valid and is @key's; NULL otherwise.
 * Its sidecar (text written again from the parsed JSON) only if asked. */
static GstApixoCacheMeta *
meta_parse (const gchar *text, gsize length, const gchar *key,
            CacheStamp *stamp, gboolean with_sidecar)
{
  JsonNode *root = gst_apixo_json_parse_object (text, length, NULL);
  GstApixoCacheMeta *meta = g_new0 (GstApixoCacheMeta, 1);

  if (root == NULL ||
      !parse_meta_object (json_node_get_object (root), key, meta, stamp))
    g_clear_pointer (&meta, gst_apixo_cache_meta_free);
  else if (with_sidecar)
    meta->sidecar = parse_sidecar (json_node_get_object (root));
  g_clear_pointer (&root, json_node_unref);
  return meta;
}

/* The text of the regular file @path if it has at most CACHE_META_MAX
 * bytes; NULL otherwise (*missing: because it does not exist).  Opened
 * without following a symbolic link, and non-blocking: a FIFO put there
 * cannot hang the open. */
static gchar *
meta_read (const gchar *path, gsize *length, gboolean *missing)
{
  gint fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  gchar *text;

  *missing = fd < 0 && errno == ENOENT;
  if (fd < 0)
    return NULL;
  text =
      gst_apixo_durable_read_fd (fd, path, CACHE_META_MAX, length, NULL, NULL);
  close (fd);
  return text;
}

static MetaState
meta_load (GstApixoCache *cache, const gchar *key, GstApixoCacheMeta **meta,
           CacheStamp *stamp, gboolean with_sidecar)
{
  gchar *path = entry_path (cache, key, CACHE_META_SUFFIX);
  gboolean missing = FALSE;
  gsize length = 0;
  gchar *text = meta_read (path, &length, &missing);

  *meta = text ? meta_parse (text, length, key, stamp, with_sidecar) : NULL;
  if (text != NULL && *meta == NULL)
    GST_WARNING ("invalid metadata %s", path);
  g_free (text);
  g_free (path);
  if (*meta != NULL)
    return META_OK;
  return missing ? META_MISSING : META_INVALID;
}

static gboolean
meta_save (GstApixoCache *cache, const GstApixoCacheMeta *meta,
           const CacheStamp *stamp, gboolean durable, GError **error)
{
  gchar *path = entry_path (cache, meta->key, CACHE_META_SUFFIX);
  gsize length;
  gchar *text = meta_to_json (meta, stamp, &length);
  gboolean ok;

  /* Never write what meta_read() would refuse. */
  if (length > CACHE_META_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "The cache metadata of '%s' would exceed %d bytes", meta->key,
                 CACHE_META_MAX);
    ok = FALSE;
  } else {
    ok = durable
             ? gst_apixo_durable_replace (path, text, length, error)
             : gst_apixo_durable_replace_unsynced (path, text, length, error);
  }
  g_free (text);
  g_free (path);
  return ok;
}

/* ---- entries ------------------------------------------------------------ */

/* Removes @key's entry, metadata first (without it, the entry no longer
 * counts); if @verified is not NULL, only while its data still is that
 * file (another process may have stored a new one meanwhile). */
static void
entry_remove (GstApixoCache *cache, const gchar *key,
              const struct stat *verified)
{
  gchar *data = entry_path (cache, key, CACHE_DATA_SUFFIX);
  gchar *meta = entry_path (cache, key, CACHE_META_SUFFIX);
  struct stat st;

  if (verified == NULL ||
      (lstat (data, &st) == 0 && st.st_dev == verified->st_dev &&
       st.st_ino == verified->st_ino)) {
    unlink_gone (meta);
    unlink_gone (data);
  }
  g_free (meta);
  g_free (data);
}

/* The entry's data (@fd, stat @st) matches its metadata: size, and the
 * checksum unless the stamp is the recorded one.  *stamp: the recorded
 * stamp in, the current one out; *rehashed: it was hashed (and matched). */
static gboolean
entry_verify (gint fd, const struct stat *st, const GstApixoCacheMeta *meta,
              CacheStamp *stamp, gboolean *rehashed)
{
  CacheStamp recorded = *stamp;
  GError *error = NULL;
  gchar *sum;
  gboolean ok;

  stamp_from_stat (st, stamp);
  *rehashed = FALSE;
  if ((guint64)st->st_size != meta->size)
    return FALSE;
  if (stamp_equal (stamp, &recorded))
    return TRUE;
  sum = cache_read_fd (fd, meta->size, -1, NULL, NULL, &error);
  ok = sum != NULL && g_str_equal (sum, meta->checksum);
  if (error != NULL)
    GST_WARNING ("cannot verify %s: %s", meta->key, error->message);
  g_clear_error (&error);
  g_free (sum);
  *rehashed = ok;
  return ok;
}

/* An entry's data file without metadata: a store in progress, or one
 * killed between the two (then old). */
static void
entry_orphan (GstApixoCache *cache, const gchar *key, const struct stat *st)
{
  gint64 age_s = g_get_real_time () / G_USEC_PER_SEC - st->st_ctim.tv_sec;

  if (age_s > GST_APIXO_CACHE_STALE_PART_S) {
    GST_INFO ("removing %s: no metadata for %" G_GINT64_FORMAT " s", key,
              age_s);
    entry_remove (cache, key, st);
  }
}

/* Verifies the open entry @fd (recording a new stamp when it had to be
 * hashed again). */
static gboolean
entry_check (GstApixoCache *cache, const gchar *key, gint fd, MetaState state,
             GstApixoCacheMeta *meta, CacheStamp *stamp)
{
  GError *error = NULL;
  gboolean rehashed;
  struct stat st;

  if (fstat (fd, &st) != 0)
    return FALSE;
  if (state == META_MISSING && S_ISREG (st.st_mode)) {
    entry_orphan (cache, key, &st);
    return FALSE;
  }
  if (state != META_OK || !S_ISREG (st.st_mode) ||
      !entry_verify (fd, &st, meta, stamp, &rehashed)) {
    GST_WARNING ("entry %s is corrupt or partial: removed", key);
    entry_remove (cache, key, &st);
    return FALSE;
  }
  /* The new stamp is recorded now (the next lookup need not hash); the
   * last use waits for gst_apixo_cache_mark_used(), off the hit's path. */
  if (rehashed) {
    GST_INFO ("entry %s: new stamp, same checksum: stamp updated", key);
    if (!meta_save (cache, meta, stamp, FALSE, &error))
      GST_INFO ("cannot update the stamp of %s: %s", key, error->message);
    g_clear_error (&error);
  }
  return TRUE;
}

void
gst_apixo_cache_mark_used (GstApixoCache *cache, const gchar *key)
{
  GstApixoCacheMeta *meta = NULL;
  CacheStamp stamp = { 0 };
  GError *error = NULL;

  g_return_if_fail (cache != NULL);
  if (!key_is_valid (key) ||
      meta_load (cache, key, &meta, &stamp, TRUE) != META_OK)
    return; /* evicted or replaced meanwhile: nothing to note */
  meta->used_time = g_get_real_time ();
  if (!meta_save (cache, meta, &stamp, FALSE, &error))
    GST_INFO ("cannot update the last use of %s: %s", key, error->message);
  g_clear_error (&error);
  gst_apixo_cache_meta_free (meta);
}

/* @key's data file, opened for reading, or -1.  Non-blocking only while
 * opening (a FIFO put there cannot hang it); a data file that cannot be a
 * valid entry (a symbolic link) makes the metadata debris. */
static gint
entry_open (GstApixoCache *cache, const gchar *key, MetaState state)
{
  gchar *path = entry_path (cache, key, CACHE_DATA_SUFFIX);
  gint fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  gint err = errno;

  if (fd >= 0) {
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  } else if (state != META_MISSING && (err == ENOENT || err == ELOOP)) {
    GST_INFO ("removing %s: %s", key, g_strerror (err));
    entry_remove (cache, key, NULL);
  }
  g_free (path);
  return fd;
}

/* The answer of a lookup: a hit hands @f and @m over (@m as asked), a
 * miss closes and frees them. */
static gboolean
lookup_answer (gboolean hit, const gchar *key, gint f, GstApixoCacheMeta *m,
               gint *fd, guint64 *size, GstApixoCacheMeta **meta)
{
  if (!hit) {
    GST_DEBUG ("miss %s", key);
    if (f >= 0)
      close (f);
    gst_apixo_cache_meta_free (m);
    return FALSE;
  }
  GST_DEBUG ("hit %s (%" G_GUINT64_FORMAT " bytes)", key, m->size);
  *fd = f;
  *size = m->size;
  if (meta != NULL)
    *meta = m;
  else
    gst_apixo_cache_meta_free (m);
  return TRUE;
}

gboolean
gst_apixo_cache_lookup (GstApixoCache *cache, const gchar *key, gint *fd,
                        guint64 *size, GstApixoCacheMeta **meta)
{
  GstApixoCacheMeta *m = NULL;
  CacheStamp stamp = { 0 };
  MetaState state;
  gint f;

  g_return_val_if_fail (cache != NULL && fd != NULL && size != NULL, FALSE);
  if (!key_is_valid (key))
    return FALSE;
  state = meta_load (cache, key, &m, &stamp, TRUE);
  f = entry_open (cache, key, state);
  return lookup_answer (f >= 0 && entry_check (cache, key, f, state, m, &stamp),
                        key, f, m, fd, size, meta);
}

/* @f (or -1), the data file of @m (or NULL), is a regular file of its size
 * whose stamp is still @recorded. */
static gboolean
entry_is_stamped (gint f, const GstApixoCacheMeta *m,
                  const CacheStamp *recorded)
{
  CacheStamp now;
  struct stat st;

  if (f < 0 || m == NULL || fstat (f, &st) != 0 || !S_ISREG (st.st_mode) ||
      (guint64)st.st_size != m->size)
    return FALSE;
  stamp_from_stat (&st, &now);
  return stamp_equal (&now, recorded);
}

gboolean
gst_apixo_cache_lookup_stamped (GstApixoCache *cache, const gchar *key,
                                gint *fd, guint64 *size,
                                GstApixoCacheMeta **meta)
{
  GstApixoCacheMeta *m = NULL;
  CacheStamp recorded = { 0 };
  gint f = -1;

  g_return_val_if_fail (cache != NULL && fd != NULL && size != NULL, FALSE);
  if (!key_is_valid (key))
    return FALSE;
  /* nothing removed: META_MISSING makes entry_open() only open */
  if (meta_load (cache, key, &m, &recorded, FALSE) == META_OK)
    f = entry_open (cache, key, META_MISSING);
  return lookup_answer (entry_is_stamped (f, m, &recorded), key, f, m, fd, size,
                        meta);
}

/* ---- eviction ----------------------------------------------------------- */

static void
cache_entry_clear (gpointer data)
{
  g_free (((CacheEntry *)data)->key);
}

static gint
cache_entry_compare (gconstpointer a, gconstpointer b)
{
  const CacheEntry *ea = a, *eb = b;

  if (ea->used_time != eb->used_time)
    return ea->used_time < eb->used_time ? -1 : 1;
  return strcmp (ea->key, eb->key);
}

/* The key of a data file's name, or NULL. */
static gchar *
data_name_key (const gchar *name)
{
  gchar *key;

  if (strlen (name) != CACHE_KEY_LEN + strlen (CACHE_DATA_SUFFIX) ||
      !g_str_has_suffix (name, CACHE_DATA_SUFFIX))
    return NULL;
  key = g_strndup (name, CACHE_KEY_LEN);
  if (!key_is_valid (key))
    g_clear_pointer (&key, g_free);
  return key;
}

/* When @key was last used; an entry without valid metadata counts as used
 * when its data was put in place (its ctime): a store in progress is
 * recent, a killed one goes early. */
static gint64
entry_used_time (GstApixoCache *cache, const gchar *key, const struct stat *st)
{
  GstApixoCacheMeta *meta = NULL;
  CacheStamp stamp;
  gint64 used = timespec_ns (&st->st_ctim) / 1000;

  if (meta_load (cache, key, &meta, &stamp, FALSE) == META_OK)
    used = meta->used_time;
  gst_apixo_cache_meta_free (meta);
  return used;
}

/* The entries (their data files) now in the directory, their used_time
 * not read yet; *total: their size. */
static GArray *
cache_list (GstApixoCache *cache, guint64 *total)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (CacheEntry));
  GDir *dir = g_dir_open (cache->dir, 0, NULL);
  const gchar *name;

  g_array_set_clear_func (entries, cache_entry_clear);
  *total = 0;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    CacheEntry e = { data_name_key (name) };
    gchar *path = g_build_filename (cache->dir, name, NULL);

    /* Gone meanwhile (another process evicted it) or not a file: skip. */
    if (e.key != NULL && lstat (path, &e.st) == 0 && S_ISREG (e.st.st_mode)) {
      *total += e.st.st_size;
      g_array_append_val (entries, e);
    } else {
      g_free (e.key);
    }
    g_free (path);
  }
  if (dir != NULL)
    g_dir_close (dir);
  return entries;
}

/* Removes the least recently used entries but @keep until the total size
 * is within max_size. */
static void
cache_evict (GstApixoCache *cache, const gchar *keep)
{
  guint64 total;
  GArray *entries;
  guint i;

  if (cache->max_size == 0)
    return;
  entries = cache_list (cache, &total);
  /* Within max_size (most stores): no other entry's metadata is read. */
  if (total <= cache->max_size) {
    g_array_unref (entries);
    return;
  }
  for (i = 0; i < entries->len; i++) {
    CacheEntry *e = &g_array_index (entries, CacheEntry, i);

    e->used_time = entry_used_time (cache, e->key, &e->st);
  }
  g_array_sort (entries, cache_entry_compare);
  for (i = 0; i < entries->len && total > cache->max_size; i++) {
    CacheEntry *e = &g_array_index (entries, CacheEntry, i);

    if (g_str_equal (e->key, keep))
      continue;
    GST_INFO ("evicting %s (%" G_GINT64_FORMAT " bytes)", e->key,
              (gint64)e->st.st_size);
    entry_remove (cache, e->key, &e->st);
    total -= e->st.st_size;
  }
  g_array_unref (entries);
}

/* ---- storing ------------------------------------------------------------ */

/* Writes the metadata of the data just put in place (@fd, its file;
 * @checksum), or removes that data. */
static gboolean
entry_record (GstApixoCache *cache, const GstApixoCacheMeta *meta, gint fd,
              const gchar *checksum, GError **error)
{
  GstApixoCacheMeta *m = meta_copy (meta);
  CacheStamp stamp;
  struct stat st;
  gboolean ok;

  /* After the rename, which changed the ctime. */
  if (fstat (fd, &st) != 0) {
    gchar *data = entry_path (cache, meta->key, CACHE_DATA_SUFFIX);

    ok = set_errno_error (error, errno, "Cannot stat", data);
    unlink_gone (data);
    g_free (data);
  } else {
    stamp_from_stat (&st, &stamp);
    m->store_time = m->used_time = g_get_real_time ();
    m->size = st.st_size;
    g_free (m->checksum);
    m->checksum = g_strdup (checksum);
    ok = meta_save (cache, m, &stamp, TRUE, error);
    if (!ok)
      entry_remove (cache, meta->key, &st);
  }
  gst_apixo_cache_meta_free (m);
  return ok;
}

/* Puts the complete, synced @part (open as @fd) in place as meta->key's
 * data, then records it (@checksum).  Consumes @part: on failure nothing of
 * it is left. */
static gboolean
entry_place (GstApixoCache *cache, const GstApixoCacheMeta *meta,
             const gchar *part, gint fd, const gchar *checksum, GError **error)
{
  gchar *data = entry_path (cache, meta->key, CACHE_DATA_SUFFIX);
  gchar *json = entry_path (cache, meta->key, CACHE_META_SUFFIX);
  gint err;
  gboolean ok;

  /* The old metadata first, so that no lookup pairs it with the new data
   * (see Design). */
  if ((err = unlink_gone (json)) != 0)
    ok = set_errno_error (error, err, "Cannot remove", json);
  else
    ok = rename (part, data) == 0 ||
         set_errno_error (error, errno, "Cannot rename to", data);
  if (!ok)
    unlink_gone (part);
  else
    ok = entry_record (cache, meta, fd, checksum, error);
  g_free (json);
  g_free (data);
  return ok;
}

/* Copies [0, @size) of @fd into a new part file, hashing it, and puts it
 * in place. */
static gboolean
store_copied (GstApixoCache *cache, gint fd, guint64 size,
              const GstApixoCacheMeta *meta, GCancellable *cancellable,
              GError **error)
{
  gchar *data = entry_path (cache, meta->key, CACHE_DATA_SUFFIX);
  gchar *part = NULL;
  gint out = part_create (data, &part, error);
  gchar *checksum = NULL;
  gboolean ok = out >= 0;

  if (ok) {
    checksum = cache_read_fd (fd, size, out, part, cancellable, error);
    ok = checksum != NULL && sync_fd (out, part, error);
    if (ok)
      ok = entry_place (cache, meta, part, out, checksum, error);
    else
      unlink_gone (part);
    close (out);
  }
  g_free (checksum);
  g_free (part);
  g_free (data);
  return ok;
}

/* ENOTSUP: EOPNOTSUPP on Linux. */
static gboolean
link_impossible (gint err)
{
  return err == EXDEV || err == EPERM || err == EMLINK || err == ENOTSUP;
}

/* The hard link @part still is the file @st described when it was hashed
 * (neither replaced nor written meanwhile). */
static gboolean
part_is_hashed_file (const gchar *part, const struct stat *st, GError **error)
{
  struct stat now;

  if (lstat (part, &now) != 0)
    return set_errno_error (error, errno, "Cannot stat", part);
  if (now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
      now.st_size == st->st_size &&
      timespec_ns (&now.st_mtim) == timespec_ns (&st->st_mtim))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "The result file changed while it was being stored");
  return FALSE;
}

/* Hashes @path (open as @fd, stat @st), then hard-links it into place.
 * Hashing first keeps the part name's life short (link() to rename()): it
 * has the file's mtime, maybe old enough for another process's sweep. */
static LinkResult
store_linked (GstApixoCache *cache, const gchar *path, gint fd,
              const struct stat *st, const GstApixoCacheMeta *meta,
              GCancellable *cancellable, GError **error)
{
  gchar *data = entry_path (cache, meta->key, CACHE_DATA_SUFFIX);
  gchar *checksum, *part = NULL;
  LinkResult result = LINK_FAILED;
  gint err = 0;

  checksum = cache_read_fd (fd, st->st_size, -1, NULL, cancellable, error);
  if (checksum != NULL && sync_fd (fd, path, error) &&
      (part = part_link (path, data, &err)) == NULL) {
    if (link_impossible (err))
      result = LINK_IMPOSSIBLE;
    else
      set_errno_error (error, err, "Cannot link to", data);
    GST_DEBUG ("cannot link %s: %s", path, g_strerror (err));
  }
  if (part != NULL && !part_is_hashed_file (part, st, error))
    unlink_gone (part);
  else if (part != NULL && entry_place (cache, meta, part, fd, checksum, error))
    result = LINK_DONE;
  g_free (part);
  g_free (checksum);
  g_free (data);
  return result;
}

static gboolean
name_is_part (const gchar *name)
{
  return g_str_has_suffix (name, CACHE_PART_SUFFIX) ||
         g_str_has_suffix (name, GST_APIXO_DURABLE_TMP_SUFFIX);
}

/* Removes the part files of killed stores: untouched (mtime) for
 * GST_APIXO_CACHE_STALE_PART_S.  A live store writes its part all along.
 * Done by every store, the only thing that makes part files: a hit
 * (served at file speed) does not list the directory. */
static void
cache_sweep_parts (GstApixoCache *cache)
{
  GDir *dir = g_dir_open (cache->dir, 0, NULL);
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename (cache->dir, name, NULL);
    struct stat st;

    if (name_is_part (name) && lstat (path, &st) == 0 && S_ISREG (st.st_mode) &&
        now_s - st.st_mtim.tv_sec > GST_APIXO_CACHE_STALE_PART_S) {
      GST_INFO ("removing stale %s", path);
      unlink_gone (path);
    }
    g_free (path);
  }
  if (dir != NULL)
    g_dir_close (dir);
}

static gboolean
store_done (GstApixoCache *cache, const GstApixoCacheMeta *meta, gboolean ok)
{
  cache_sweep_parts (cache);
  if (ok) {
    GST_INFO ("stored %s (task %s)", meta->key, GST_STR_NULL (meta->task_id));
    cache_evict (cache, meta->key);
  }
  return ok;
}

gboolean
gst_apixo_cache_store_file (GstApixoCache *cache, const gchar *path,
                            const GstApixoCacheMeta *meta,
                            GCancellable *cancellable, GError **error)
{
  LinkResult linked = LINK_IMPOSSIBLE;
  gboolean ok;
  struct stat st;
  gint fd;

  g_return_val_if_fail (cache != NULL && path != NULL && meta != NULL, FALSE);
  if (!check_key (meta->key, error))
    return FALSE;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "Cannot open", path);
  ok = fstat (fd, &st) == 0 ||
       set_errno_error (error, errno, "Cannot stat", path);
  if (ok && !S_ISREG (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                 "'%s' is not a regular file", path);
    ok = FALSE;
  }
  /* A link to another filesystem fails for sure: copy, hashing as it
   * copies, without hashing first. */
  if (ok && st.st_dev == cache->dev)
    linked = store_linked (cache, path, fd, &st, meta, cancellable, error);
  if (ok && linked == LINK_IMPOSSIBLE)
    ok = store_copied (cache, fd, st.st_size, meta, cancellable, error);
  else
    ok = ok && linked == LINK_DONE;
  close (fd);
  return store_done (cache, meta, ok);
}

gboolean
gst_apixo_cache_store_fd (GstApixoCache *cache, gint fd, guint64 size,
                          const GstApixoCacheMeta *meta,
                          GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (cache != NULL && fd >= 0 && meta != NULL, FALSE);
  if (!check_key (meta->key, error))
    return FALSE;
  return store_done (cache, meta,
                     store_copied (cache, fd, size, meta, cancellable, error));
}

/* ---- the cache ---------------------------------------------------------- */

/* A directory we may make files in; errno set otherwise. */
static gboolean
dir_is_usable (const struct stat *st, const gchar *dir)
{
  if (!S_ISDIR (st->st_mode)) {
    errno = ENOTDIR;
    return FALSE;
  }
  return access (dir, W_OK | X_OK) == 0;
}

GstApixoCache *
gst_apixo_cache_open (const gchar *cache_dir, guint64 max_size, GError **error)
{
  gchar *dir;
  GstApixoCache *cache;
  struct stat st;

  g_return_val_if_fail (cache_dir != NULL, NULL);
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_cache_debug, "apixocache", 0,
                                      "APIXO result cache");
  dir = g_build_filename (cache_dir, "results", NULL);
  /* made only when missing: a hit costs one stat() here */
  if ((stat (dir, &st) != 0 &&
       (errno != ENOENT || g_mkdir_with_parents (dir, 0700) != 0 ||
        stat (dir, &st) != 0)) ||
      !dir_is_usable (&st, dir)) {
    set_errno_error (error, errno, "Cannot use the cache directory", dir);
    g_free (dir);
    return NULL;
  }
  cache = g_malloc (sizeof (GstApixoCache) + strlen (dir) + 1);
  cache->dev = st.st_dev;
  cache->max_size = max_size;
  strcpy (cache->dir, dir);
  g_free (dir);
  GST_DEBUG ("opened %s, max size %" G_GUINT64_FORMAT, cache->dir, max_size);
  return cache;
}

/* One block: the directory's name is inside it. */
void
gst_apixo_cache_free (GstApixoCache *cache)
{
  g_free (cache);
}

const gchar *
gst_apixo_cache_get_dir (GstApixoCache *cache)
{
  g_return_val_if_fail (cache != NULL, NULL);
  return cache->dir;
}
