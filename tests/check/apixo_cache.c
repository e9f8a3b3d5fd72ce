/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * GstApixoCache on real files in a temporary directory: stores (hard link,
 * copy across filesystems, from a descriptor), verified lookups, corrupt
 * and partial entries, garbage metadata, stale part files, LRU eviction,
 * cancellation and a read-only directory.
 *
 * Times that matter (stale parts) are set explicitly with utimes(); the
 * order of "last used" times comes from calling the functions in order.
 * Nothing sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "gstapixocache.h"
#include "testdir.h"

/* Crosses the cache's 1 MiB reads, and ends in the middle of one. */
#define BIG_SIZE (3 * 1024 * 1024 + 123)
#define SMALL_SIZE (100 * 1024)
#define TEST_REQUEST "{\"model\":\"veo-3-1\",\"prompt\":\"a cat\"}"
#define TEST_MODEL "veo-3-1"
#define TEST_TASK_ID "task-0001"
#define TEST_TASK_TIME G_GINT64_CONSTANT (1700000000000000)

static gchar *tmpdir;
static gchar *cache_dir;     /* <tmpdir>/cache */
static GstApixoCache *cache; /* of cache_dir, no size bound unless reopened */
static gchar *entry_key;     /* a valid key */
static GBytes *big_data;     /* BIG_SIZE bytes */
static GBytes *small_data;   /* SMALL_SIZE other bytes */

/* ---- fixtures and helpers ----------------------------------------------- */

static GstApixoCache *
cache_open (guint64 max_size)
{
  GError *error = NULL;
  GstApixoCache *c = gst_apixo_cache_open (cache_dir, max_size, &error);

  fail_unless (c != NULL, "open: %s", error ? error->message : "");
  return c;
}

static void
reopen (guint64 max_size)
{
  gst_apixo_cache_free (cache);
  cache = cache_open (max_size);
}

/* A valid key: the SHA-256 of @seed, as gstapixoidentity makes them. */
static gchar *
make_key (const gchar *seed)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
}

/* @size pseudo-random bytes (32 bits at a time). */
static GBytes *
make_data (gsize size, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gsize n_words = size / 4 + 1;
  guint32 *words = g_new (guint32, n_words);
  gsize i;

  for (i = 0; i < n_words; i++)
    words[i] = g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (words, size);
}

static void
setup (void)
{
  tmpdir = apixo_test_dir_new ("apixo-cache-test");
  cache_dir = g_build_filename (tmpdir, "cache", NULL);
  cache = cache_open (0);
  entry_key = make_key ("an entry");
  big_data = make_data (BIG_SIZE, 1);
  small_data = make_data (SMALL_SIZE, 2);
}

static void
teardown (void)
{
  /* The read-only test may have failed before giving write access back. */
  g_chmod (gst_apixo_cache_get_dir (cache), 0700);
  g_clear_pointer (&cache, gst_apixo_cache_free);
  g_clear_pointer (&small_data, g_bytes_unref);
  g_clear_pointer (&big_data, g_bytes_unref);
  g_clear_pointer (&entry_key, g_free);
  g_clear_pointer (&cache_dir, g_free);
  apixo_test_dir_clear (&tmpdir);
}

/* <@dir>/@name with @data; returns its path. */
static gchar *
write_file (const gchar *dir, const gchar *name, GBytes *data)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gsize size;
  const gchar *bytes = g_bytes_get_data (data, &size);

  fail_unless (g_file_set_contents (path, bytes, size, NULL));
  return path;
}

static void
meta_init (GstApixoCacheMeta *meta, const gchar *key)
{
  memset (meta, 0, sizeof (*meta));
  meta->key = (gchar *)key;
  meta->request = (gchar *)TEST_REQUEST;
  meta->task_id = (gchar *)TEST_TASK_ID;
  meta->model = (gchar *)TEST_MODEL;
  meta->task_time = TEST_TASK_TIME;
}

static gchar *
entry_file (const gchar *key, const gchar *suffix)
{
  g_autofree gchar *name = g_strconcat (key, suffix, NULL);

  return g_build_filename (gst_apixo_cache_get_dir (cache), name, NULL);
}

static gboolean
entry_exists (const gchar *key, const gchar *suffix)
{
  g_autofree gchar *path = entry_file (key, suffix);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A store of @key ended as expected: G_IO_ERROR @code, or success when 0.
 * Frees @error. */
static void
assert_stored (const gchar *key, gboolean ok, GError *error, gint code)
{
  if (code == 0)
    fail_unless (ok, "store: %s", error ? error->message : "");
  else
    fail_unless (!ok && g_error_matches (error, G_IO_ERROR, code),
                 "store of %s: %s", key, error ? error->message : "success");
  g_clear_error (&error);
}

/* store_file() of @path as @key's entry; asserts the outcome (@code). */
static void
store_path (const gchar *key, const gchar *path, GCancellable *cancellable,
            gint code)
{
  GstApixoCacheMeta meta;
  GError *error = NULL;
  gboolean ok;

  meta_init (&meta, key);
  ok = gst_apixo_cache_store_file (cache, path, &meta, cancellable, &error);
  assert_stored (key, ok, error, code);
}

/* store_fd() of @size bytes of @fd as @key's entry; asserts the outcome
 * (@code). */
static void
store_from_fd (const gchar *key, gint fd, guint64 size,
               GCancellable *cancellable, gint code)
{
  GstApixoCacheMeta meta;
  GError *error = NULL;
  gboolean ok;

  meta_init (&meta, key);
  ok = gst_apixo_cache_store_fd (cache, fd, size, &meta, cancellable, &error);
  assert_stored (key, ok, error, code);
}

/* Stores @data under @key from a file beside the cache (same filesystem:
 * hard link); returns the source file's path. */
static gchar *
store_data (const gchar *key, GBytes *data)
{
  g_autofree gchar *name = g_strconcat (key, "-source.mp4", NULL);
  gchar *path = write_file (tmpdir, name, data);

  store_path (key, path, NULL, 0);
  return path;
}

static void
store_and_forget (const gchar *key, GBytes *data)
{
  g_autofree gchar *path = store_data (key, data);

  g_unlink (path);
}

static GBytes *
read_fd_all (gint fd)
{
  GByteArray *all = g_byte_array_new ();
  guint8 buf[65536];
  gssize n;

  while ((n = pread (fd, buf, sizeof (buf), all->len)) > 0)
    g_byte_array_append (all, buf, n);
  fail_unless (n == 0);
  return g_byte_array_free_to_bytes (all);
}

typedef gboolean (*LookupFunc) (GstApixoCache *cache, const gchar *key,
                                gint *fd, guint64 *size,
                                GstApixoCacheMeta **meta);

/* A hit of @lookup for @key serving exactly @data; returns its metadata. */
static GstApixoCacheMeta *
assert_hit_by (LookupFunc lookup, const gchar *key, GBytes *data)
{
  GstApixoCacheMeta *meta = NULL;
  g_autoptr (GBytes) got = NULL;
  guint64 size = 0;
  gint fd = -1;

  fail_unless (lookup (cache, key, &fd, &size, &meta), "miss for %s", key);
  fail_unless (fd >= 0 && meta != NULL);
  assert_equals_string (meta->key, key);
  /* Read-only and not inherited by children. */
  assert_equals_int (fcntl (fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
  fail_unless (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  assert_equals_uint64 (size, g_bytes_get_size (data));
  got = read_fd_all (fd);
  fail_unless (g_bytes_equal (got, data), "the served bytes differ");
  close (fd);
  return meta;
}

static GstApixoCacheMeta *
assert_hit (const gchar *key, GBytes *data)
{
  return assert_hit_by (gst_apixo_cache_lookup, key, data);
}

static void
assert_hit_only (const gchar *key, GBytes *data)
{
  gst_apixo_cache_meta_free (assert_hit (key, data));
  /* served: the use is noted, as the element does after a hit */
  gst_apixo_cache_mark_used (cache, key);
}

static void
assert_miss (const gchar *key)
{
  GstApixoCacheMeta *meta = NULL;
  guint64 size = 0;
  gint fd = -1;

  fail_if (gst_apixo_cache_lookup (cache, key, &fd, &size, &meta),
           "unexpected hit for %s", key);
  assert_equals_int (fd, -1);
  fail_unless (meta == NULL);
}

static void
assert_entry_gone (const gchar *key)
{
  fail_if (entry_exists (key, ".mp4"));
  fail_if (entry_exists (key, ".json"));
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *)a, *(const gchar *const *)b);
}

/* The names in @dir, sorted, one a line. */
static gchar *
dir_names (const gchar *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv ("\n", (gchar **)names->pdata);
}

static void
assert_names (const gchar *expected)
{
  g_autofree gchar *names = dir_names (gst_apixo_cache_get_dir (cache));

  assert_equals_string (names, expected);
}

/* The directory holds @key's entry and nothing else (no part file). */
static void
assert_entry_only (const gchar *key)
{
  g_autofree gchar *expected = g_strdup_printf ("%s.json\n%s.mp4", key, key);

  assert_names (expected);
}

static void
set_mtime (const gchar *path, gint64 seconds_ago)
{
  struct timeval times[2];

  times[0].tv_sec = times[1].tv_sec = time (NULL) - seconds_ago;
  times[0].tv_usec = times[1].tv_usec = 0;
  fail_unless (utimes (path, times) == 0);
}

/* ---- storing and looking up --------------------------------------------- */

GST_START_TEST (test_store_file_lookup)
{
  g_autofree gchar *sum =
      g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, big_data);
  g_autofree gchar *expected_sum = g_strconcat ("sha256:", sum, NULL);
  g_autofree gchar *results = g_build_filename (cache_dir, "results", NULL);
  gint64 before = g_get_real_time ();
  g_autofree gchar *source = store_data (entry_key, big_data);
  GstApixoCacheMeta *meta = assert_hit (entry_key, big_data);
  gint64 first_use = meta->used_time;
  GStatBuf st;

  assert_equals_string (gst_apixo_cache_get_dir (cache), results);
  assert_equals_string (meta->key, entry_key);
  assert_equals_string (meta->request, TEST_REQUEST);
  assert_equals_string (meta->task_id, TEST_TASK_ID);
  assert_equals_string (meta->model, TEST_MODEL);
  assert_equals_int64 (meta->task_time, TEST_TASK_TIME);
  fail_unless (meta->store_time >= before);
  fail_unless (meta->used_time >= meta->store_time);
  assert_equals_uint64 (meta->size, BIG_SIZE);
  assert_equals_string (meta->checksum, expected_sum);
  gst_apixo_cache_meta_free (meta);

  /* Same filesystem: the source was linked, and left where it was. */
  fail_unless (g_stat (source, &st) == 0);
  assert_equals_int (st.st_nlink, 2);
  fail_unless (g_stat (results, &st) == 0);
  assert_equals_int (st.st_mode & 0777, 0700);

  /* The source's name goes away (the entry's ctime changes): still a hit,
   * and each hit moves the "last used" time on. */
  g_unlink (source);
  meta = assert_hit (entry_key, big_data);
  fail_unless (meta->used_time >= first_use);
  gst_apixo_cache_meta_free (meta);
  assert_hit_only (entry_key, big_data);
  assert_entry_only (entry_key);
}

GST_END_TEST;

/* From another filesystem (/dev/shm, a tmpfs): copied, not linked. */
GST_START_TEST (test_store_file_copy)
{
  g_autofree gchar *shm = g_strdup ("/dev/shm/apixo-cache-test-XXXXXX");
  g_autofree gchar *source = NULL, *stored = entry_file (entry_key, ".mp4");
  GStatBuf src_st, dir_st;

  if (g_mkdtemp (shm) == NULL) {
    GST_INFO ("skipped: no /dev/shm");
    return;
  }
  source = write_file (shm, "result.mp4", big_data);
  fail_unless (g_stat (source, &src_st) == 0);
  fail_unless (g_stat (gst_apixo_cache_get_dir (cache), &dir_st) == 0);
  if (src_st.st_dev != dir_st.st_dev) {
    store_path (entry_key, source, NULL, 0);
    assert_hit_only (entry_key, big_data);
    fail_unless (g_stat (stored, &dir_st) == 0);
    assert_equals_int (dir_st.st_nlink, 1);
    fail_unless (g_file_test (source, G_FILE_TEST_IS_REGULAR));
    assert_entry_only (entry_key);
  } else {
    GST_INFO ("skipped: /dev/shm is on the cache's filesystem");
  }
  apixo_test_dir_remove (shm);
}

GST_END_TEST;

/* A nameless file, as the spool's: copied from its descriptor, @size bytes
 * from offset 0 whatever the descriptor's position. */
GST_START_TEST (test_store_fd)
{
  g_autoptr (GBytes) head =
      g_bytes_new_from_bytes (big_data, 0, BIG_SIZE - 1000);
  g_autofree gchar *path = write_file (tmpdir, "spool", big_data);
  gint fd = open (path, O_RDONLY);

  fail_unless (fd >= 0);
  g_unlink (path);
  fail_unless (lseek (fd, 12345, SEEK_SET) == 12345);
  store_from_fd (entry_key, fd, BIG_SIZE, NULL, 0);
  assert_hit_only (entry_key, big_data);
  assert_entry_only (entry_key);

  /* Fewer bytes than the file has: those, in a new entry replacing the
   * old one. */
  store_from_fd (entry_key, fd, BIG_SIZE - 1000, NULL, 0);
  assert_hit_only (entry_key, head);
  assert_entry_only (entry_key);

  /* More bytes than the file has: a partial result is refused, and the
   * entry is as it was. */
  store_from_fd (entry_key, fd, BIG_SIZE + 1, NULL, G_IO_ERROR_PARTIAL_INPUT);
  assert_hit_only (entry_key, head);
  assert_entry_only (entry_key);
  close (fd);
}

GST_END_TEST;

GST_START_TEST (test_miss_and_bad_keys)
{
  static const gchar *const bad_keys[] = {
    "", "abc", "../../etc/passwd",
    /* upper case, or one digit more or less */
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
    "../3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL
  };
  g_autoptr (GBytes) data = make_data (10, 9);
  g_autofree gchar *source = write_file (tmpdir, "result.mp4", data);
  guint i;

  assert_miss (entry_key);
  assert_miss (NULL);
  for (i = 0; bad_keys[i] != NULL; i++) {
    assert_miss (bad_keys[i]);
    store_path (bad_keys[i], source, NULL, G_IO_ERROR_INVALID_ARGUMENT);
  }
  assert_names ("");
}

GST_END_TEST;

/* A canonical request whose metadata would be too large to read back: not
 * stored. */
GST_START_TEST (test_meta_too_large)
{
  g_autofree gchar *source = write_file (tmpdir, "result.mp4", small_data);
  g_autofree gchar *request = g_strnfill (300 * 1024, 'x');
  GstApixoCacheMeta meta;
  GError *error = NULL;

  meta_init (&meta, entry_key);
  meta.request = request;
  fail_if (gst_apixo_cache_store_file (cache, source, &meta, NULL, &error));
  fail_unless (
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE), "%s",
      error->message);
  g_clear_error (&error);
  assert_names ("");
  assert_miss (entry_key);
}

GST_END_TEST;

/* ---- damaged entries ---------------------------------------------------- */

/* Flips the byte at @offset of @path in place (its size unchanged). */
static void
flip_byte (const gchar *path, goffset offset)
{
  guint8 byte;
  gint fd = open (path, O_RDWR);

  fail_unless (fd >= 0);
  fail_unless (pread (fd, &byte, 1, offset) == 1);
  byte ^= 0x5a;
  fail_unless (pwrite (fd, &byte, 1, offset) == 1);
  close (fd);
}

/* One byte changed in the middle of the stored file (its mtime and ctime
 * change with it): the checksum no longer matches, the entry is removed,
 * and a new store replaces it. */
GST_START_TEST (test_corrupt_byte)
{
  g_autofree gchar *stored = entry_file (entry_key, ".mp4");

  store_and_forget (entry_key, big_data);
  flip_byte (stored, BIG_SIZE / 2);

  assert_miss (entry_key);
  assert_entry_gone (entry_key);
  assert_miss (entry_key);

  store_and_forget (entry_key, big_data);
  assert_hit_only (entry_key, big_data);
}

GST_END_TEST;

/* lookup_stamped(): @key's entry while its stamp is the recorded one,
 * serving exactly @data. */
static void
assert_stamped_hit (const gchar *key, GBytes *data)
{
  gst_apixo_cache_meta_free (
      assert_hit_by (gst_apixo_cache_lookup_stamped, key, data));
}

/* lookup_stamped() says no, and leaves the entry where it is. */
static void
assert_stamped_miss (const gchar *key)
{
  GstApixoCacheMeta *meta = NULL;
  guint64 size = 0;
  gint fd = -1;

  fail_if (gst_apixo_cache_lookup_stamped (cache, key, &fd, &size, &meta));
  assert_equals_int (fd, -1);
  fail_unless (meta == NULL);
  fail_unless (entry_exists (key, ".mp4") && entry_exists (key, ".json"));
}

/* The quick look (an element's start()) serves only an entry whose file
 * still has its recorded stamp; one that needs hashing, corrupt or not, is
 * neither served nor removed: that is lookup()'s. */
GST_START_TEST (test_lookup_stamped)
{
  g_autofree gchar *stored = entry_file (entry_key, ".mp4");
  guint64 size;
  gint fd;

  fail_if (gst_apixo_cache_lookup_stamped (cache, entry_key, &fd, &size, NULL));
  /* stored from a file since removed (a new ctime, maybe): lookup() may
   * hash it once; from then on the stamp is the file's */
  store_and_forget (entry_key, small_data);
  assert_hit_only (entry_key, small_data);
  assert_stamped_hit (entry_key, small_data);

  /* touched: the same bytes under a new stamp, hashed by lookup() once */
  set_mtime (stored, 3600);
  assert_stamped_miss (entry_key);
  assert_hit_only (entry_key, small_data);
  assert_stamped_hit (entry_key, small_data);

  /* a byte changed (and the time with it) */
  flip_byte (stored, SMALL_SIZE / 2);
  set_mtime (stored, 7200);
  assert_stamped_miss (entry_key);
  assert_miss (entry_key);
  assert_entry_gone (entry_key);
}

GST_END_TEST;

GST_START_TEST (test_truncated)
{
  g_autofree gchar *stored = entry_file (entry_key, ".mp4");

  store_and_forget (entry_key, big_data);
  fail_unless (truncate (stored, BIG_SIZE / 2) == 0);
  assert_miss (entry_key);
  assert_entry_gone (entry_key);

  /* Truncated to nothing. */
  store_and_forget (entry_key, big_data);
  fail_unless (truncate (stored, 0) == 0);
  assert_miss (entry_key);
  assert_entry_gone (entry_key);
}

GST_END_TEST;

/* The valid metadata of @key's entry with @from replaced by @to. */
static gchar *
meta_edited (const gchar *key, const gchar *from, const gchar *to)
{
  g_autofree gchar *path = entry_file (key, ".json");
  g_autofree gchar *text = NULL;
  g_auto (GStrv) parts = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless (strstr (text, from) != NULL, "'%s' not in %s", from, text);
  parts = g_strsplit (text, from, 2);
  return g_strjoinv (to, parts);
}

/* Replaces @key's metadata with @text (@len; -1: a string), and expects a
 * miss that removes the entry. */
static void
assert_meta_refused (const gchar *key, const gchar *text, gssize len)
{
  g_autofree gchar *path = entry_file (key, ".json");

  fail_unless (g_file_set_contents (path, text, len, NULL));
  assert_miss (key);
  assert_entry_gone (key);
}

/* Stores @data as @key; its valid metadata with @from replaced by @to is
 * refused. */
static void
assert_edit_refused (const gchar *key, GBytes *data, const gchar *from,
                     const gchar *to)
{
  g_autofree gchar *text = NULL;

  store_and_forget (key, data);
  text = meta_edited (key, from, to);
  assert_meta_refused (key, text, -1);
}

GST_START_TEST (test_meta_garbage)
{
  /* Replacements in the valid metadata, each making it invalid. */
  static const gchar *const edits[][2] = {
    { "\"version\" : 1", "\"version\" : 2" },
    { "\"size\" : 102400", "\"size\" : \"102400\"" },
    { "\"size\" : 102400", "\"size\" : -1" },
    { "\"size\" : 102400", "\"size\" : 102401" },
    { "\"size\" : 102400", "\"size\" : 1e99" },
    { "\"task-id\" : \"task-0001\"", "\"task-id\" : 17" },
    { "\"model\" : \"veo-3-1\"", "\"model\" : [\"veo-3-1\"]" },
    { "\"used-time\" :", "\"unused\" :" },
    { "\"checksum\" : \"sha256:", "\"checksum\" : \"md5:" },
    { "\"checksum\" : \"sha256:", "\"checksum\" : \"sha256:../" },
    { "\"stamp\" : {", "\"stamp\" : 5, \"x\" : {" },
    { "\"ctime-ns\" :", "\"ctime\" :" },
    { "{", "[{" },
  };
  static const gchar *const garbage[] = {
    "", "{}", "[]", "null", "\"a string\"", "{\"key\":",
  };
  g_autofree gchar *other = make_key ("another key");
  g_autofree gchar *spaces = g_strnfill (300 * 1024, ' ');
  g_autofree gchar *padded = g_strconcat ("}", spaces, NULL);
  g_autofree gchar *json = entry_file (entry_key, ".json");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (edits); i++)
    assert_edit_refused (entry_key, small_data, edits[i][0], edits[i][1]);
  for (i = 0; i < G_N_ELEMENTS (garbage); i++) {
    store_and_forget (entry_key, small_data);
    assert_meta_refused (entry_key, garbage[i], -1);
  }
  store_and_forget (entry_key, small_data);
  assert_meta_refused (entry_key, "\xff\xfe\x00\x01", 4);
  /* Another entry's metadata (its key is not the file's name). */
  assert_edit_refused (entry_key, small_data, entry_key, other);
  /* Valid, but padded beyond the size a metadata file may have. */
  assert_edit_refused (entry_key, small_data, "}", padded);

  /* A directory where the metadata should be. */
  store_and_forget (entry_key, small_data);
  g_unlink (json);
  fail_unless (g_mkdir (json, 0700) == 0);
  assert_miss (entry_key);
  fail_if (entry_exists (entry_key, ".mp4"));
  g_rmdir (json);

  /* Intact after all that. */
  store_and_forget (entry_key, small_data);
  assert_hit_only (entry_key, small_data);
  assert_entry_only (entry_key);
}

GST_END_TEST;

/* Data without metadata is what a store in progress in another process
 * looks like: a miss that leaves it alone.  Metadata without small_data is
 * debris: removed. */
GST_START_TEST (test_half_entries)
{
  g_autofree gchar *json = entry_file (entry_key, ".json");
  g_autofree gchar *mp4 = entry_file (entry_key, ".mp4");

  store_and_forget (entry_key, small_data);
  g_unlink (json);
  assert_miss (entry_key);
  fail_unless (entry_exists (entry_key, ".mp4"));
  fail_if (entry_exists (entry_key, ".json"));

  store_and_forget (entry_key, small_data);
  g_unlink (mp4);
  assert_miss (entry_key);
  assert_entry_gone (entry_key);

  /* A symbolic link in place of the small_data: not followed, removed. */
  store_and_forget (entry_key, small_data);
  g_unlink (mp4);
  fail_unless (symlink ("/dev/zero", mp4) == 0);
  assert_miss (entry_key);
  assert_entry_gone (entry_key);
}

GST_END_TEST;

/* ---- the directory ------------------------------------------------------ */

GST_START_TEST (test_stale_parts)
{
  static const struct {
    const gchar *name;
    gint64 age_s;
    gboolean kept;
  } files[] = {
    { "a.mp4.0badf00d.part", GST_APIXO_CACHE_STALE_PART_S + 60, FALSE },
    { "b.json.12345678.part", GST_APIXO_CACHE_STALE_PART_S + 3600, FALSE },
    { "c.json.abcdef01.tmp", GST_APIXO_CACHE_STALE_PART_S + 60, FALSE },
    { "d.mp4.00000001.part", GST_APIXO_CACHE_STALE_PART_S - 60, TRUE },
    { "e.mp4.00000002.part", 0, TRUE },
    { "notes.txt", GST_APIXO_CACHE_STALE_PART_S + 3600, TRUE },
  };
  g_autofree gchar *dir = g_strdup (gst_apixo_cache_get_dir (cache));
  g_autofree gchar *key = make_key ("stale-parts");
  g_autofree gchar *expected = NULL;
  g_autoptr (GBytes) data = make_data (10, 8);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = write_file (dir, files[i].name, data);

    set_mtime (path, files[i].age_s);
  }
  /* Opening and a lookup leave the directory alone (a hit does not list
   * it) ... */
  reopen (0);
  assert_miss (key);
  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (dir, files[i].name, NULL);

    fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "%s", files[i].name);
  }
  /* ... a store, the only thing that makes part files, sweeps them. */
  store_and_forget (key, small_data);
  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (dir, files[i].name, NULL);

    assert_equals_int (g_file_test (path, G_FILE_TEST_EXISTS), files[i].kept);
    if (files[i].kept)
      g_ptr_array_add (names, g_strdup (files[i].name));
  }
  g_ptr_array_add (names, g_strconcat (key, ".json", NULL));
  g_ptr_array_add (names, g_strconcat (key, ".mp4", NULL));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  expected = g_strjoinv ("\n", (gchar **)names->pdata);
  assert_names (expected);
}

GST_END_TEST;

/* Room for two entries: the third store evicts the least recently used
 * one, whether that use was a store or a lookup. */
GST_START_TEST (test_lru_eviction)
{
  g_autofree gchar *a = make_key ("a"), *b = make_key ("b");
  g_autofree gchar *c = make_key ("c"), *d = make_key ("d");

  reopen (2 * SMALL_SIZE + SMALL_SIZE / 2);
  store_and_forget (a, small_data);
  store_and_forget (b, small_data);
  assert_hit_only (a, small_data);
  store_and_forget (c, small_data);
  assert_entry_gone (b);
  assert_miss (b);
  assert_hit_only (a, small_data);
  assert_hit_only (c, small_data);

  /* a was used after c: c goes. */
  assert_hit_only (a, small_data);
  store_and_forget (d, small_data);
  assert_entry_gone (c);
  assert_hit_only (a, small_data);
  assert_hit_only (d, small_data);
  assert_equals_int (apixo_test_dir_count (gst_apixo_cache_get_dir (cache)), 4);
}

GST_END_TEST;

/* A bound smaller than one entry: the one just stored stays, every other
 * one goes. */
GST_START_TEST (test_eviction_keeps_new_entry)
{
  g_autofree gchar *a = make_key ("a"), *b = make_key ("b");

  reopen (SMALL_SIZE / 2);
  store_and_forget (a, small_data);
  assert_hit_only (a, small_data);
  store_and_forget (b, small_data);
  assert_entry_gone (a);
  assert_hit_only (b, small_data);
  assert_entry_only (b);

  /* Stored again while it is the only entry: kept. */
  store_and_forget (b, small_data);
  assert_hit_only (b, small_data);
}

GST_END_TEST;

/* Two handles on one directory, as two processes sharing it: what one
 * evicts, the other misses cleanly, and it stores there again. */
GST_START_TEST (test_shared_directory)
{
  g_autofree gchar *a = make_key ("a"), *b = make_key ("b");
  GstApixoCache *mine = cache;
  GstApixoCache *other = cache_open (SMALL_SIZE); /* room for one entry */

  store_and_forget (a, small_data);
  assert_hit_only (a, small_data);

  /* The other one evicts a while storing b. */
  cache = other;
  store_and_forget (b, small_data);
  cache = mine;
  assert_miss (a);
  assert_entry_gone (a);
  assert_hit_only (b, small_data);

  /* Mine has no bound: a is stored again beside b. */
  store_and_forget (a, small_data);
  assert_hit_only (a, small_data);
  assert_hit_only (b, small_data);
  gst_apixo_cache_free (other);
}

GST_END_TEST;

GST_START_TEST (test_cancelled_store)
{
  g_autofree gchar *old = make_key ("already there");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree gchar *source = write_file (tmpdir, "result.mp4", big_data);
  g_autofree gchar *before = NULL;
  gint fd = open (source, O_RDONLY);

  fail_unless (fd >= 0);
  store_and_forget (old, small_data);
  before = dir_names (gst_apixo_cache_get_dir (cache));
  g_cancellable_cancel (cancellable);

  store_path (entry_key, source, cancellable, G_IO_ERROR_CANCELLED);
  assert_names (before);
  store_from_fd (entry_key, fd, BIG_SIZE, cancellable, G_IO_ERROR_CANCELLED);
  assert_names (before);
  close (fd);

  /* Over an existing entry: that entry stays as it was. */
  store_path (old, source, cancellable, G_IO_ERROR_CANCELLED);
  assert_names (before);
  assert_hit_only (old, small_data);
  assert_miss (entry_key);
}

GST_END_TEST;

GST_START_TEST (test_read_only)
{
  g_autofree gchar *ro_dir = g_build_filename (tmpdir, "read-only", NULL);
  g_autofree gchar *other = make_key ("not stored");
  g_autofree gchar *source = write_file (tmpdir, "result.mp4", small_data);
  GError *error = NULL;
  gint fd;

  if (geteuid () == 0) {
    GST_INFO ("skipped: root writes into read-only directories");
    return;
  }
  /* No results/ yet, and it cannot be made. */
  fail_unless (g_mkdir (ro_dir, 0500) == 0);
  fail_if (gst_apixo_cache_open (ro_dir, 0, &error));
  fail_unless (
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED), "%s",
      error->message);
  g_clear_error (&error);
  fail_unless (g_chmod (ro_dir, 0700) == 0);

  /* results/ exists but cannot be written. */
  store_and_forget (entry_key, small_data);
  fail_unless (g_chmod (gst_apixo_cache_get_dir (cache), 0500) == 0);
  fail_if (gst_apixo_cache_open (cache_dir, 0, &error));
  fail_unless (
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED), "%s",
      error->message);
  g_clear_error (&error);

  /* Made read-only while open: stores fail cleanly (both ways), lookups
   * still hit (their "last used" update fails quietly). */
  store_path (other, source, NULL, G_IO_ERROR_PERMISSION_DENIED);
  fd = open (source, O_RDONLY);
  store_from_fd (other, fd, SMALL_SIZE, NULL, G_IO_ERROR_PERMISSION_DENIED);
  close (fd);
  assert_hit_only (entry_key, small_data);
  assert_miss (other);
  assert_entry_only (entry_key);
}

GST_END_TEST;

/* A test case of this suite: each test in a new cache directory. */
static TCase *
cache_tcase (Suite *s, const gchar *name)
{
  TCase *tc = tcase_create (name);

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  return tc;
}

static Suite *
apixo_cache_suite (void)
{
  Suite *s = suite_create ("apixo_cache");
  TCase *tc = cache_tcase (s, "entries");

  tcase_add_test (tc, test_store_file_lookup);
  tcase_add_test (tc, test_store_file_copy);
  tcase_add_test (tc, test_store_fd);
  tcase_add_test (tc, test_miss_and_bad_keys);
  tcase_add_test (tc, test_meta_too_large);
  tcase_add_test (tc, test_corrupt_byte);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_lookup_stamped);
  tcase_add_test (tc, test_meta_garbage);
  tcase_add_test (tc, test_half_entries);
  tc = cache_tcase (s, "directory");
  tcase_add_test (tc, test_stale_parts);
  tcase_add_test (tc, test_lru_eviction);
  tcase_add_test (tc, test_eviction_keeps_new_entry);
  tcase_add_test (tc, test_shared_directory);
  tcase_add_test (tc, test_cancelled_store);
  tcase_add_test (tc, test_read_only);
  return s;
}

GST_CHECK_MAIN (apixo_cache);
