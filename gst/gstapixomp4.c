/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The top-level box walk of gstapixomp4.h.  One walker over a "read the
 * header at this offset" function, so that the memory and the descriptor
 * variants cannot drift apart (the fuzzer exercises the walker through the
 * memory one).  No state, no locks.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixomp4.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* A box header: 32-bit size + type; size 1: a 64-bit largesize follows. */
#define BOX_HEADER 8
#define BOX_LARGE_HEADER 16

/* Reads up to @want bytes at @offset into @buf; returns how many (fewer
 * only at the end of the data), -1 + @error on an I/O error. */
typedef gssize (*ReadAt) (gpointer source, guint64 offset, guint8 *buf,
                          gsize want, GError **error);

typedef struct {
  const guint8 *data;
  gsize size;
} MemorySource;

static gssize
read_memory (gpointer source, guint64 offset, guint8 *buf, gsize want,
             GError **error)
{
  MemorySource *m = source;
  gsize n;

  if (offset >= m->size)
    return 0;
  n = MIN (want, m->size - (gsize)offset);
  memcpy (buf, m->data + offset, n);
  return (gssize)n;
}

static gssize
read_fd (gpointer source, guint64 offset, guint8 *buf, gsize want,
         GError **error)
{
  gint fd = *(gint *)source;
  gsize got = 0;

  while (got < want) {
    gssize n = pread (fd, buf + got, want - got, (off_t)(offset + got));

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                   "Could not read the result to check it: %s",
                   g_strerror (errno));
      return -1;
    }
    if (n == 0)
      break;
    got += n;
  }
  return (gssize)got;
}

/* FALSE, with the error saying @what (taken) is wrong. */
static gboolean
invalid (GError **error, gchar *what)
{
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
               "The result is not a complete MP4 file: %s", what);
  g_free (what);
  return FALSE;
}

/* The type of a box as text for messages: printable ASCII or escaped. */
static void
type_text (const guint8 *type, gchar text[17])
{
  gchar *p = text;

  for (guint i = 0; i < 4; i++) {
    if (g_ascii_isprint (type[i]) && type[i] != '\\')
      *p++ = type[i];
    else
      p += g_snprintf (p, 5, "\\x%02x", type[i]);
  }
  *p = '\0';
}

/* Reads the header of the box at @offset: its @type and its extent
 * *@box_size (0 in the header: to the end).  FALSE + @error when the
 * header is cut or the box cannot be. */
static gboolean
read_box (ReadAt read_at, gpointer source, guint64 offset, guint64 size,
          guint8 type[4], guint64 *box_size, GError **error)
{
  guint8 header[BOX_LARGE_HEADER];
  guint64 header_size = BOX_HEADER;
  gssize n;

  n = read_at (source, offset, header, BOX_HEADER, error);
  if (n < 0)
    return FALSE;
  if (n < BOX_HEADER)
    return invalid (error, g_strdup_printf ("%" G_GSSIZE_FORMAT
                                            " stray bytes at offset "
                                            "%" G_GUINT64_FORMAT
                                            " (the file is cut, or not MP4)",
                                            n, offset));
  memcpy (type, header + 4, 4);
  *box_size = GST_READ_UINT32_BE (header);
  if (*box_size == 1) {
    header_size = BOX_LARGE_HEADER;
    n = read_at (source, offset + BOX_HEADER, header + BOX_HEADER,
                 BOX_LARGE_HEADER - BOX_HEADER, error);
    if (n < 0)
      return FALSE;
    if (n < BOX_LARGE_HEADER - BOX_HEADER)
      return invalid (error,
                      g_strdup_printf ("the 64-bit size of the box at offset "
                                       "%" G_GUINT64_FORMAT " is cut",
                                       offset));
    *box_size = GST_READ_UINT64_BE (header + BOX_HEADER);
  }
  if (*box_size == 0)
    *box_size = size - offset;
  else if (*box_size < header_size)
    return invalid (error,
                    g_strdup_printf ("the box at offset %" G_GUINT64_FORMAT
                                     " claims %" G_GUINT64_FORMAT
                                     " bytes, less than its own header",
                                     offset, *box_size));
  return TRUE;
}

static gboolean
walk (ReadAt read_at, gpointer source, guint64 size, GError **error)
{
  guint64 offset = 0, box_size = 0;
  gboolean moov = FALSE;
  guint8 type[4];
  gchar text[17];

  if (size == 0)
    return invalid (error, g_strdup ("it is empty"));
  while (offset < size) {
    if (!read_box (read_at, source, offset, size, type, &box_size, error))
      return FALSE;
    type_text (type, text);
    if (offset == 0 && memcmp (type, "ftyp", 4) != 0)
      return invalid (
          error,
          g_strdup_printf ("it starts with '%s', not an 'ftyp' box", text));
    if (box_size > size - offset)
      return invalid (
          error,
          g_strdup_printf (
              "the '%s' box at offset %" G_GUINT64_FORMAT " ends at "
              "%" G_GUINT64_FORMAT ", past the end of the file "
              "(%" G_GUINT64_FORMAT " bytes): it is cut",
              text, offset,
              box_size > G_MAXUINT64 - offset ? G_MAXUINT64 : offset + box_size,
              size));
    moov |= memcmp (type, "moov", 4) == 0;
    offset += box_size;
  }
  if (!moov)
    return invalid (error,
                    g_strdup ("it has no 'moov' box (cut, or never finished)"));
  return TRUE;
}

gboolean
gst_apixo_mp4_check (const guint8 *data, gsize size, GError **error)
{
  MemorySource m = { data, size };

  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  return walk (read_memory, &m, size, error);
}

gboolean
gst_apixo_mp4_check_fd (gint fd, guint64 size, GError **error)
{
  g_return_val_if_fail (fd >= 0, FALSE);

  return walk (read_fd, &fd, size, error);
}
