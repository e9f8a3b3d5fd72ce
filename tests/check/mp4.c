/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * gstapixomp4: what passes as a whole MP4 file and what does not.  Real
 * files (x264enc ! mp4mux, as the sim renders them) pass whole and fail cut
 * anywhere; hand-made box sequences cover each rule (ftyp first, exact
 * tiling, size 0 at the end, 64-bit sizes, a moov present); the memory
 * and the descriptor variants agree on every case.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "apixotest.h"
#include "gstapixomp4.h"

/* Appends a box of @type with @payload bytes of zeros; @header_size 0: a
 * 32-bit size, 1: a 64-bit largesize, 2: size 0 (to the end). */
static void
add_box (GByteArray *file, const gchar *type, guint32 payload, gint kind)
{
  guint8 header[16];
  guint header_size = kind == 1 ? 16 : 8;
  guint8 *zeros = g_malloc0 (payload);

  GST_WRITE_UINT32_BE (header, kind == 1   ? 1
                               : kind == 2 ? 0
                                           : header_size + payload);
  memcpy (header + 4, type, 4);
  if (kind == 1)
    GST_WRITE_UINT64_BE (header + 8, (guint64)header_size + payload);
  g_byte_array_append (file, header, header_size);
  g_byte_array_append (file, zeros, payload);
  g_free (zeros);
}

/* Both variants on @data; they must agree.  Returns the verdict; *@error
 * (may be NULL) gets the memory variant's error. */
static gboolean
check_both (const guint8 *data, gsize size, GError **error)
{
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("apixo-mp4-XXXXXX", &path, NULL);
  GError *fd_error = NULL;
  gboolean in_memory, from_fd;

  fail_unless (fd >= 0);
  fail_unless (size == 0 || write (fd, data, size) == (gssize)size);
  in_memory = gst_apixo_mp4_check (data, size, error);
  from_fd = gst_apixo_mp4_check_fd (fd, size, &fd_error);
  fail_unless_equals_int (in_memory, from_fd);
  if (!from_fd)
    fail_unless (g_error_matches (fd_error, GST_RESOURCE_ERROR,
                                  GST_RESOURCE_ERROR_READ));
  g_clear_error (&fd_error);
  close (fd);
  g_unlink (path);
  g_free (path);
  return in_memory;
}

GST_START_TEST (test_real_file)
{
  GBytes *mp4 = apixo_test_make_mp4 (1.0, 160, 120);
  gsize size;
  const guint8 *data = g_bytes_get_data (mp4, &size);
  GError *error = NULL;
  gsize cut;

  fail_unless (check_both (data, size, &error), "%s",
               error ? error->message : "");
  /* cut anywhere (a few hundred places, the last byte included) */
  for (cut = 0; cut < size; cut += MAX (1, size / 300)) {
    fail_if (check_both (data, cut, NULL), "cut at %" G_GSIZE_FORMAT, cut);
  }
  fail_if (check_both (data, size - 1, NULL));
  g_bytes_unref (mp4);
}

GST_END_TEST;

GST_START_TEST (test_not_mp4)
{
  GByteArray *file = g_byte_array_new ();
  GRand *rand = g_rand_new_with_seed (15);
  guint i;

  fail_if (check_both (file->data, file->len, NULL), "empty");
  for (i = 0; i < 64 * 1024; i++) {
    guint8 b = g_rand_int (rand);

    g_byte_array_append (file, &b, 1);
  }
  fail_if (check_both (file->data, file->len, NULL), "random bytes");
  g_byte_array_set_size (file, 0);
  g_byte_array_append (file, (const guint8 *)"<html>error</html>", 18);
  fail_if (check_both (file->data, file->len, NULL), "an error page");
  g_rand_free (rand);
  g_byte_array_unref (file);
}

GST_END_TEST;

/* A file of boxes (kind 0: 32-bit size, 1: 64-bit largesize, 2: size 0),
 * then edited: @trim bytes off the end (negative: stray bytes added), the
 * size field @patch_at bytes before the end (64-bit if @wide) set to @patch
 * (@patch_at 0: none). */
typedef struct {
  const gchar *type;
  guint32 payload;
  gint kind;
} Box;

typedef struct {
  gint trim;
  guint patch_at;
  guint64 patch;
  gboolean wide;
} Edit;

typedef struct {
  const gchar *what;
  gboolean ok;
  Box boxes[3];
  Edit edit;
} BoxCase;

#define FTYP                                                                   \
  {                                                                            \
    "ftyp", 16                                                                 \
  }
#define MOOV                                                                   \
  {                                                                            \
    "moov", 100                                                                \
  }
#define MDAT                                                                   \
  {                                                                            \
    "mdat", 1000                                                               \
  }
#define MDAT64                                                                 \
  {                                                                            \
    "mdat", 100, 1                                                             \
  }

static const BoxCase box_cases[] = {
  { "ftyp moov mdat", TRUE, { FTYP, MOOV, MDAT } },
  { "moov at the end", TRUE, { FTYP, MDAT, MOOV } },
  { "no moov", FALSE, { FTYP, MDAT } },
  { "moov before ftyp", FALSE, { MOOV, FTYP } },
  { "3 stray bytes at the end", FALSE, { FTYP, MOOV }, { -3 } },
  { "the last box a byte short", FALSE, { FTYP, MOOV, MDAT }, { 1 } },
  /* less than its header: would loop or go back */
  { "a box of 4 bytes", FALSE, { FTYP, MOOV, { "free", 0 } }, { 0, 8, 4 } },
  { "size 0 at the end", TRUE, { FTYP, MOOV, { "mdat", 5000, 2 } } },
  /* size 0 reaches the end: the moov after it is inside it */
  { "size 0 before the moov", FALSE, { FTYP, { "mdat", 5000, 2 }, MOOV } },
  { "a 64-bit mdat", TRUE, { FTYP, MDAT64, MOOV } },
  /* a 4 GiB+ mdat that was cut */
  { "a 64-bit size past the end",
    FALSE,
    { FTYP, MOOV, MDAT64 },
    { 0, 108, G_GUINT64_CONSTANT (5) << 30, TRUE } },
  { "a 64-bit size of 2^64 - 1 (no overflow)",
    FALSE,
    { FTYP, MOOV, MDAT64 },
    { 0, 108, G_MAXUINT64, TRUE } },
  { "a 64-bit size below its header",
    FALSE,
    { FTYP, MOOV, MDAT64 },
    { 0, 108, 8, TRUE } },
  { "a cut 64-bit size", FALSE, { FTYP, MOOV, { "mdat", 0, 1 } }, { 4 } },
};

GST_START_TEST (test_boxes)
{
  const BoxCase *c = &box_cases[__i__];
  GByteArray *file = g_byte_array_new ();
  GError *error = NULL;
  guint8 *field;

  for (guint i = 0; i < G_N_ELEMENTS (c->boxes) && c->boxes[i].type; i++)
    add_box (file, c->boxes[i].type, c->boxes[i].payload, c->boxes[i].kind);
  if (c->edit.trim < 0)
    g_byte_array_append (file, (const guint8 *)"abc", -c->edit.trim);
  else
    g_byte_array_set_size (file, file->len - c->edit.trim);
  field = file->data + file->len - c->edit.patch_at;
  if (c->edit.patch_at > 0 && c->edit.wide)
    GST_WRITE_UINT64_BE (field, c->edit.patch);
  else if (c->edit.patch_at > 0)
    GST_WRITE_UINT32_BE (field, (guint32)c->edit.patch);

  fail_unless_equals_int (check_both (file->data, file->len, &error), c->ok);
  if (!c->ok) {
    fail_unless (
        g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
    GST_INFO ("%s: %s", c->what, error->message);
  }
  g_clear_error (&error);
  g_byte_array_unref (file);
}

GST_END_TEST;

static Suite *
mp4_suite (void)
{
  Suite *s = suite_create ("apixomp4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_boxes, 0, G_N_ELEMENTS (box_cases));
  tcase_add_test (tc, test_real_file);
  tcase_add_test (tc, test_not_mp4);
  return s;
}

GST_CHECK_MAIN (mp4);
