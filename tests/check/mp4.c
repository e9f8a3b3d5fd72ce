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

static void
assert_refused (GByteArray *file, const gchar *why)
{
  GError *error = NULL;

  fail_if (check_both (file->data, file->len, &error), "accepted: %s", why);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ));
  GST_INFO ("%s: %s", why, error->message);
  g_error_free (error);
}

static void
assert_accepted (GByteArray *file, const gchar *what)
{
  GError *error = NULL;

  fail_unless (check_both (file->data, file->len, &error), "%s: %s", what,
               error ? error->message : "");
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

  assert_refused (file, "empty");
  for (i = 0; i < 64 * 1024; i++) {
    guint8 b = g_rand_int (rand);

    g_byte_array_append (file, &b, 1);
  }
  assert_refused (file, "random bytes");
  g_byte_array_set_size (file, 0);
  g_byte_array_append (file, (const guint8 *)"<html>error</html>", 18);
  assert_refused (file, "an error page");
  g_rand_free (rand);
  g_byte_array_unref (file);
}

GST_END_TEST;

GST_START_TEST (test_rules)
{
  GByteArray *file = g_byte_array_new ();

  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "mdat", 1000, 0);
  assert_accepted (file, "ftyp moov mdat");

  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "mdat", 1000, 0);
  add_box (file, "moov", 100, 0);
  assert_accepted (file, "ftyp mdat moov (moov at the end)");

  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "mdat", 1000, 0);
  assert_refused (file, "no moov");

  g_byte_array_set_size (file, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "ftyp", 16, 0);
  assert_refused (file, "moov before ftyp");

  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  g_byte_array_append (file, (const guint8 *)"abc", 3);
  assert_refused (file, "3 stray bytes at the end");

  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "free", 100, 0);
  g_byte_array_set_size (file, file->len - 1);
  assert_refused (file, "the last box overruns the file by a byte");

  /* a box claiming less than its header would loop or go back */
  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "free", 0, 0);
  GST_WRITE_UINT32_BE (file->data + file->len - 8, 4);
  assert_refused (file, "a box of 4 bytes");

  g_byte_array_unref (file);
}

GST_END_TEST;

GST_START_TEST (test_size_zero_and_largesize)
{
  GByteArray *file = g_byte_array_new ();

  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "mdat", 5000, 2);
  assert_accepted (file, "an mdat of size 0 at the end");

  /* size 0 reaches the end: a moov after it is inside it */
  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "mdat", 5000, 2);
  add_box (file, "moov", 100, 0);
  assert_refused (file, "size 0 before the moov");

  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "mdat", 5000, 1);
  add_box (file, "moov", 100, 0);
  assert_accepted (file, "a 64-bit mdat");

  /* largesize past the end (a 4 GiB + mdat that was cut) */
  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "mdat", 100, 1);
  GST_WRITE_UINT64_BE (file->data + file->len - 100 - 8, G_GUINT64_CONSTANT (5)
                                                             << 30);
  assert_refused (file, "a 64-bit size past the end");

  /* the largest 64-bit size: no overflow */
  GST_WRITE_UINT64_BE (file->data + file->len - 100 - 8, G_MAXUINT64);
  assert_refused (file, "a 64-bit size of 2^64 - 1");

  /* largesize smaller than its 16-byte header */
  GST_WRITE_UINT64_BE (file->data + file->len - 100 - 8, 8);
  assert_refused (file, "a 64-bit size of 8");

  /* the largesize itself cut */
  g_byte_array_set_size (file, 0);
  add_box (file, "ftyp", 16, 0);
  add_box (file, "moov", 100, 0);
  add_box (file, "mdat", 0, 1);
  g_byte_array_set_size (file, file->len - 4);
  assert_refused (file, "a cut 64-bit size");

  g_byte_array_unref (file);
}

GST_END_TEST;

static Suite *
mp4_suite (void)
{
  Suite *s = suite_create ("apixomp4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_real_file);
  tcase_add_test (tc, test_not_mp4);
  tcase_add_test (tc, test_rules);
  tcase_add_test (tc, test_size_zero_and_largesize);
  return s;
}

GST_CHECK_MAIN (mp4);
