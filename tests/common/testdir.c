/* gst-apixo tests: temporary directories that the tests remove again.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "testdir.h"

#include <glib/gstdio.h>

gchar *
apixo_test_dir_new (const gchar *prefix)
{
  gchar *template = g_strconcat (prefix, "-XXXXXX", NULL);
  GError *error = NULL;
  gchar *path = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  g_free (template);
  return path;
}

guint
apixo_test_dir_count (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

void
apixo_test_dir_remove (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (path == NULL || (dir = g_dir_open (path, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
        !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      apixo_test_dir_remove (child);
    else
      g_unlink (child);
    g_free (child);
  }
  g_dir_close (dir);
  g_rmdir (path);
}

void
apixo_test_dir_clear (gchar **path)
{
  apixo_test_dir_remove (*path);
  g_clear_pointer (path, g_free);
}
