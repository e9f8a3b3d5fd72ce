/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Being written (issue: foundation / apixo-sim).
 */
#include <glib.h>

int
main (int argc, char **argv)
{
  g_printerr ("apixo-sim: not implemented yet\n");
  return 1;
}
