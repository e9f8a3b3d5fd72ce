/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Durable small files: atomic replacement (temporary file, fsync, rename,
 * directory fsync; or the same without the fsyncs, where losing the new
 * content in a crash costs little), bounded reads, random tokens.
 *
 * Errors are reported through GError only: the callers log them with
 * their own debug categories.
 *
 * Thread safety notes
 * -------------------
 * No state: every call works on its own descriptors.  Concurrent replacements of one path by
 * several threads or processes are safe: each writes its own temporary
 * file (a random name, created with O_EXCL) and the last rename wins.
 *
 * Filesystems: rename() over an existing file is atomic on local
 * filesystems and on NFS (the server does it in one operation); fsync() of
 * a directory is not supported everywhere (EINVAL): then the rename is as
 * durable as that filesystem makes it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixodurable.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#define TOKEN_BYTES 16

/* Sets @error from errno: "@what “@path”: reason". */
static void
set_errno_error (GError **error, gint err, const gchar *what, const gchar *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
               "%s “%s”: %s", what, path, g_strerror (err));
}

static void
fill_random (guint8 *buf, gsize len)
{
  gsize got = 0;

  while (got < len) {
    ssize_t n = getrandom (buf + got, len - got, 0);

    if (n > 0)
      got += n;
    else if (n == 0 || errno != EINTR)
      break;
  }
  /* No getrandom() (a kernel older than 3.17): GLib's generator, with what
   * tells this process and instant apart mixed in (it is not reseeded by
   * fork()). */
  for (; got < len; got++)
    buf[got] = g_random_int () ^ getpid () ^ g_get_monotonic_time () ^
               (g_get_real_time () >> (got % 8));
}

gchar *
gst_apixo_durable_token (void)
{
  guint8 bytes[TOKEN_BYTES];
  GString *hex = g_string_sized_new (2 * TOKEN_BYTES);

  fill_random (bytes, sizeof (bytes));
  for (guint i = 0; i < TOKEN_BYTES; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

gboolean
gst_apixo_durable_write_all (gint fd, const gchar *data, gsize length)
{
  while (length > 0) {
    ssize_t n = write (fd, data, length);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = ENOSPC;
      return FALSE;
    }
    data += n;
    length -= n;
  }
  return TRUE;
}

/* Creates @path exclusively with @contents (@sync: fsynced); FALSE with
 * errno set (EEXIST: it exists, nothing changed; otherwise nothing is
 * left). */
static gboolean
create_file (const gchar *path, const gchar *contents, gsize length,
             gboolean sync)
{
  gint fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gboolean ok;
  gint err;

  if (fd < 0)
    return FALSE;
  ok = gst_apixo_durable_write_all (fd, contents, length) &&
       (!sync || fsync (fd) == 0);
  err = errno;
  /* close() reports NFS write-back errors: it counts. */
  if (close (fd) != 0 && ok) {
    ok = FALSE;
    err = errno;
  }
  if (!ok) {
    g_unlink (path);
    errno = err;
  }
  return ok;
}

gboolean
gst_apixo_durable_create (const gchar *path, const gchar *contents,
                          gsize length, GError **error)
{
  if (!create_file (path, contents, length, TRUE)) {
    set_errno_error (error, errno, "Cannot create", path);
    return FALSE;
  }
  return TRUE;
}

/* Makes a rename of @path durable: syncs its directory.  FALSE with errno
 * set.  Filesystems that cannot sync a directory (EINVAL) do what they
 * can. */
static gboolean
sync_parent (const gchar *path)
{
  gchar *dir = g_path_get_dirname (path);
  gint fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok = fd >= 0 && (fsync (fd) == 0 || errno == EINVAL);
  gint err = errno;

  if (fd >= 0)
    close (fd);
  g_free (dir);
  errno = err;
  return ok;
}

gchar *
gst_apixo_durable_temp_path (const gchar *path, const gchar *suffix)
{
  gchar *token = gst_apixo_durable_token ();
  gchar *tmp = g_strconcat (path, ".", token, suffix, NULL);

  g_free (token);
  return tmp;
}

/* A temporary file renamed over @path; @sync: both synced. */
static gboolean
replace_file (const gchar *path, const gchar *contents, gsize length,
              gboolean sync, GError **error)
{
  gchar *tmp = gst_apixo_durable_temp_path (path, GST_APIXO_DURABLE_TMP_SUFFIX);
  gboolean ok = FALSE;

  if (!create_file (tmp, contents, length, sync)) {
    set_errno_error (error, errno, "Cannot write", path);
  } else if (rename (tmp, path) != 0) {
    set_errno_error (error, errno, "Cannot write", path);
    g_unlink (tmp);
  } else if (sync && !sync_parent (path)) {
    /* The new content is in place but may not survive a crash. */
    set_errno_error (error, errno, "Cannot make durable", path);
  } else {
    ok = TRUE;
  }
  g_free (tmp);
  return ok;
}

gboolean
gst_apixo_durable_replace (const gchar *path, const gchar *contents,
                           gsize length, GError **error)
{
  return replace_file (path, contents, length, TRUE, error);
}

gboolean
gst_apixo_durable_replace_unsynced (const gchar *path, const gchar *contents,
                                    gsize length, GError **error)
{
  return replace_file (path, contents, length, FALSE, error);
}

/* Reads at most @max_size + 1 bytes of @fd into a new string (the extra
 * byte tells a file that grew past the bound); NULL with errno set.  The
 * buffer starts at the size fstat() gave (@hint) and grows only for a file
 * that grew since: the bound is a limit, not an allocation. */
static gchar *
read_bounded (gint fd, gsize max_size, gsize hint, gsize *length)
{
  gsize cap = MIN (hint, max_size) + 1, got = 0;
  gchar *buf = g_malloc (cap + 1);

  while (got <= max_size) {
    ssize_t n;

    if (got == cap) {
      cap = MIN (2 * cap, max_size + 1);
      buf = g_realloc (buf, cap + 1);
    }
    n = read (fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_free (buf);
      return NULL;
    }
    if (n == 0)
      break;
    got += n;
  }
  buf[got] = '\0';
  *length = got;
  return buf;
}

gchar *
gst_apixo_durable_read_fd (gint fd, const gchar *path, gsize max_size,
                           gsize *length, GStatBuf *st, GError **error)
{
  GStatBuf local;
  gchar *data = NULL;
  gsize got = 0;

  st = st ? st : &local;
  if (fstat (fd, st) != 0) {
    set_errno_error (error, errno, "Cannot read", path);
  } else if (!S_ISREG (st->st_mode) || (guint64)st->st_size > max_size) {
    g_set_error (
        error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "Cannot read “%s”: not a regular file of at most %" G_GSIZE_FORMAT
        " bytes",
        path, max_size);
  } else if ((data = read_bounded (fd, max_size, st->st_size, &got)) == NULL) {
    set_errno_error (error, errno, "Cannot read", path);
  } else if (got > max_size) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "Cannot read “%s”: larger than %" G_GSIZE_FORMAT " bytes",
                 path, max_size);
    g_clear_pointer (&data, g_free);
  }
  if (data != NULL && length != NULL)
    *length = got;
  return data;
}

gchar *
gst_apixo_durable_read (const gchar *path, gsize max_size, gsize *length,
                        GStatBuf *st, GError **error)
{
  gint fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  gchar *data;

  if (fd < 0) {
    set_errno_error (error, errno, "Cannot read", path);
    return NULL;
  }
  data = gst_apixo_durable_read_fd (fd, path, max_size, length, st, error);
  close (fd);
  return data;
}

gint64
gst_apixo_durable_mtime_us (const GStatBuf *st)
{
  return (gint64)st->st_mtim.tv_sec * G_USEC_PER_SEC +
         st->st_mtim.tv_nsec / 1000;
}
