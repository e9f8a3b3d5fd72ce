/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_MP4_H__
#define __GST_APIXO_MP4_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * Is a downloaded result a whole ISO-BMFF (MP4) file?  Only the top-level
 * box headers are read (8 bytes each, 16 with a 64-bit largesize), never
 * the media, so the check costs a few reads whatever the size.  The rules:
 *
 * - the file starts with an `ftyp` box;
 * - the top-level boxes tile the file exactly: no gap, no box running past
 *   the end, no header cut; a size of 0 ("to the end of the file") only
 *   for the last box;
 * - a `moov` box is present.
 *
 * A cut download, random bytes, an error page, a compressed body: none
 * passes.  This says nothing of the media inside (a decoder does).
 *
 * No state: any thread.  On failure: FALSE and a GST_RESOURCE_ERROR_READ
 * error saying what is wrong and where (byte offsets).
 */

/* @size bytes at @data (tests, fuzzing). */
gboolean gst_apixo_mp4_check (const guint8 *data, gsize size, GError **error);

/* The first @size bytes of the file open at @fd (read with pread(): the
 * file position is left alone). */
gboolean gst_apixo_mp4_check_fd (gint fd, guint64 size, GError **error);

G_END_DECLS

#endif /* __GST_APIXO_MP4_H__ */
