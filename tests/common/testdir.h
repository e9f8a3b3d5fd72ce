/* gst-apixo tests: temporary directories that the tests remove again.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __APIXO_TEST_DIR_H__
#define __APIXO_TEST_DIR_H__

#include <glib.h>

G_BEGIN_DECLS

/* A new directory "<tmp>/<prefix>-XXXXXX"; aborts the test if it cannot be
 * made. */
gchar *apixo_test_dir_new (const gchar *prefix);
/* How many entries @path holds (it must exist). */
guint apixo_test_dir_count (const gchar *path);
/* Removes @path and everything below it (what the test or the element under
 * test left there). */
void apixo_test_dir_remove (const gchar *path);
/* apixo_test_dir_remove(*@path), then frees and clears *@path. */
void apixo_test_dir_clear (gchar **path);

/* Defines `static gchar *@var` and setup_@var()/teardown_@var(), a fixture
 * (tcase_add_checked_fixture() or _unchecked_fixture()) that makes it a new
 * directory "<tmp>/@prefix-XXXXXX" and removes it again. */
#define APIXO_TEST_DIR_FIXTURE(var, prefix)                                    \
  static gchar *var;                                                           \
  static void setup_##var (void)                                               \
  {                                                                            \
    var = apixo_test_dir_new (prefix);                                         \
  }                                                                            \
  static void teardown_##var (void)                                            \
  {                                                                            \
    apixo_test_dir_clear (&var);                                               \
  }

G_END_DECLS

#endif /* __APIXO_TEST_DIR_H__ */
