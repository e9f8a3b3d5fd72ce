/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_MARKERS_H__
#define __SIM_MARKERS_H__

#include <glib.h>

G_BEGIN_DECLS

/*
 * Prompt markers: `[sim:NAME=VALUE]` or `[sim:NAME]` anywhere in a prompt
 * steer the simulated task (docs/apixo-sim.md lists them).  They are
 * removed from the prompt text the renderer sees.
 */
typedef struct {
  gchar *fail_code;     /* [sim:fail=CODE] */
  gdouble delay;        /* [sim:delay=SECONDS], unscaled seconds */
  gchar *state;         /* [sim:state=WHATEVER] */
  gboolean moov_at_end; /* [sim:moov=end] */
  gboolean no_bframes;  /* [sim:bframes=0] */
  guint bitrate_kbps;   /* [sim:bitrate=KBPS] */
  gboolean noise;       /* [sim:noise] */
  gdouble duration;     /* [sim:duration=SECONDS]; 0: not set */
} SimMarkers;

/* Parses the markers of @prompt (may be NULL) into @markers and returns
 * the prompt without them (whitespace-trimmed, never NULL).  An unknown
 * marker or a bad value is a SIM_REQUEST_ERROR 400 naming @field. */
gboolean sim_markers_parse (const gchar *prompt, const gchar *field,
                            gchar **stripped, SimMarkers *markers,
                            GError **error);
void sim_markers_clear (SimMarkers *markers);

G_END_DECLS

#endif /* __SIM_MARKERS_H__ */
