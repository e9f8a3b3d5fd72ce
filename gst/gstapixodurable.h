/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_DURABLE_H__
#define __GST_APIXO_DURABLE_H__

#include <glib.h>
#include <glib/gstdio.h>

G_BEGIN_DECLS

/*
 * Small files that survive a crash and that several processes (and
 * machines sharing the directory) read and replace: the journal's records,
 * the cache's metadata.  A replacement is atomic (readers see the old or
 * the new content, never a mix) and, unless asked otherwise, durable once
 * it returned; a read is bounded (the files are untrusted input).
 * Blocking; any thread.
 */

/* Suffix of the temporary files of the replacements: a process
 * killed mid-replace leaves "<path>.<token>.tmp" behind; whoever cleans a
 * directory may remove such files once they are old. */
#define GST_APIXO_DURABLE_TMP_SUFFIX ".tmp"

/* Replaces the content of @path with @length bytes of @contents: written
 * to "<path>.<token>.tmp" in the same directory (created with O_EXCL, mode
 * 0600), fsynced, renamed over @path, then the directory fsynced.  FALSE
 * and a G_FILE_ERROR naming @path on failure: the temporary file is
 * removed and @path holds its old content, or, when only the final sync of
 * the directory failed, the new one (that may not survive a crash). */
gboolean gst_apixo_durable_replace (const gchar *path, const gchar *contents,
                                    gsize length, GError **error);

/* gst_apixo_durable_replace() without its fsyncs, for content that is
 * cheap to lose (the cache's "last used" time): as atomic for readers,
 * and no wait for the disk, but after a crash @path may hold its old
 * content or, on some filesystems, an empty or partial file.  Same
 * temporary names and errors. */
gboolean gst_apixo_durable_replace_unsynced (const gchar *path,
                                             const gchar *contents,
                                             gsize length, GError **error);

/* Creates @path exclusively (O_CREAT|O_EXCL, mode 0600: atomic on local
 * filesystems and NFS v3 and later) with @length bytes of @contents,
 * fsynced.  FALSE and a G_FILE_ERROR naming @path otherwise:
 * G_FILE_ERROR_EXIST when @path exists (left as it is); on other failures
 * nothing is left behind.  Readers may see the file empty or partial until
 * this returns. */
gboolean gst_apixo_durable_create (const gchar *path, const gchar *contents,
                                   gsize length, GError **error);

/* Writes the @length bytes of @data to @fd, however many write() calls it
 * takes (EINTR retried): for files written in pieces (the cache's copies).
 * FALSE with errno set otherwise (ENOSPC when nothing could be written). */
gboolean gst_apixo_durable_write_all (gint fd, const gchar *data, gsize length);

/* The content of the regular file @path (NUL-terminated; *@length, if not
 * NULL, its size; *@st, if not NULL, its fstat() at the time of reading),
 * at most @max_size bytes.  NULL and a G_FILE_ERROR naming @path when it
 * cannot be read, is not a regular file or is larger
 * (G_FILE_ERROR_FAILED). */
gchar *gst_apixo_durable_read (const gchar *path, gsize max_size, gsize *length,
                               GStatBuf *st, GError **error);

/* The same from @fd, open on @path (for errors) by a caller that chose how
 * (O_NOFOLLOW, O_NONBLOCK...); @fd is left open, its offset moved. */
gchar *gst_apixo_durable_read_fd (gint fd, const gchar *path, gsize max_size,
                                  gsize *length, GStatBuf *st, GError **error);

/* The mtime of @st in Unix µs. */
gint64 gst_apixo_durable_mtime_us (const GStatBuf *st);

/* 32 hex digits from the kernel's random source: distinct across
 * processes (forked ones included: GLib's generator is not reseeded by
 * fork()) and machines.  For lease tokens and temporary names. */
gchar *gst_apixo_durable_token (void);

/* "<path>.<token><suffix>": a name beside @path that no other writer
 * (thread, process or machine) uses, for a file to be renamed over @path
 * (the replacements' use GST_APIXO_DURABLE_TMP_SUFFIX). */
gchar *gst_apixo_durable_temp_path (const gchar *path, const gchar *suffix);

G_END_DECLS

#endif /* __GST_APIXO_DURABLE_H__ */
