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

G_END_DECLS

#endif /* __APIXO_TEST_DIR_H__ */
