/* gst-apixo: libFuzzer target for the MP4 walker (gstapixomp4).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds any bytes to gst_apixo_mp4_check(), the walk over the top-level
 * boxes that decides whether a downloaded result is a whole MP4 file, and
 * checks what the spool relies on: a verdict, with an error
 * (GST_RESOURCE_ERROR_READ) exactly when it is FALSE; an accepted input
 * starts with an ftyp box.  The walk must end (sizes below their header,
 * 64-bit sizes that overflow an offset) and read nothing outside the input:
 * AddressSanitizer catches the rest.
 *
 * Built only with -Dfuzz=enabled and clang; see docs/testing.md.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gstapixomp4.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* a copy of exactly @size bytes: a read past them is caught */
  guint8 *copy = g_memdup2 (data, size);
  GError *error = NULL;
  gboolean ok = gst_apixo_mp4_check (copy, size, &error);

  if (ok) {
    if (error != NULL || size < 8 || memcmp (copy + 4, "ftyp", 4) != 0)
      abort ();
  } else if (!g_error_matches (error, GST_RESOURCE_ERROR,
                               GST_RESOURCE_ERROR_READ) ||
             !g_utf8_validate (error->message, -1, NULL)) {
    abort ();
  }
  g_clear_error (&error);
  g_free (copy);
  return 0;
}
