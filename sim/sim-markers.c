/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Prompt markers ([sim:fail=CODE], [sim:delay=S], ...).  Pure functions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-markers.h"
#include "sim-util.h"

#include <stdlib.h>
#include <string.h>

#define MARKER_PREFIX "[sim:"
#define MAX_DELAY_S (24.0 * 3600.0)
#define MAX_DURATION_S 3600.0
#define MAX_BITRATE_KBPS 200000

static gboolean
token_ok (const gchar *s, gboolean allow_dash)
{
  if (s == NULL || *s == '\0' || strlen (s) > 64)
    return FALSE;
  for (; *s; s++) {
    if (!g_ascii_isalnum (*s) && *s != '_' && !(allow_dash && *s == '-'))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_seconds (const gchar *value, gdouble max, gboolean allow_zero,
               gdouble *out)
{
  gchar *end = NULL;
  gdouble v;

  if (value == NULL || *value == '\0')
    return FALSE;
  v = g_ascii_strtod (value, &end);
  if (end == NULL || *end != '\0' || !(v >= 0.0) || v > max)
    return FALSE;
  if (!allow_zero && v <= 0.0)
    return FALSE;
  *out = v;
  return TRUE;
}

/* One marker body ("fail=CODE", "noise"). */
static gboolean
apply_marker (const gchar *body, SimMarkers *m)
{
  g_autofree gchar *name = NULL;
  const gchar *eq = strchr (body, '=');
  const gchar *value = eq ? eq + 1 : NULL;
  guint64 u;

  name = eq ? g_strndup (body, eq - body) : g_strdup (body);

  if (g_str_equal (name, "fail")) {
    if (!token_ok (value, FALSE))
      return FALSE;
    g_free (m->fail_code);
    m->fail_code = g_strdup (value);
  } else if (g_str_equal (name, "delay")) {
    return parse_seconds (value, MAX_DELAY_S, TRUE, &m->delay);
  } else if (g_str_equal (name, "state")) {
    if (!token_ok (value, TRUE))
      return FALSE;
    g_free (m->state);
    m->state = g_strdup (value);
  } else if (g_str_equal (name, "moov")) {
    if (g_strcmp0 (value, "end") == 0)
      m->moov_at_end = TRUE;
    else if (g_strcmp0 (value, "start") == 0)
      m->moov_at_end = FALSE;
    else
      return FALSE;
  } else if (g_str_equal (name, "bframes")) {
    if (g_strcmp0 (value, "0") == 0)
      m->no_bframes = TRUE;
    else if (g_strcmp0 (value, "1") == 0)
      m->no_bframes = FALSE;
    else
      return FALSE;
  } else if (g_str_equal (name, "bitrate")) {
    if (value == NULL ||
        !g_ascii_string_to_unsigned (value, 10, 1, MAX_BITRATE_KBPS, &u, NULL))
      return FALSE;
    m->bitrate_kbps = (guint)u;
  } else if (g_str_equal (name, "noise")) {
    if (value != NULL)
      return FALSE;
    m->noise = TRUE;
  } else if (g_str_equal (name, "duration")) {
    return parse_seconds (value, MAX_DURATION_S, FALSE, &m->duration);
  } else {
    return FALSE;
  }
  return TRUE;
}

gboolean
sim_markers_parse (const gchar *prompt, const gchar *field, gchar **stripped,
                   SimMarkers *markers, GError **error)
{
  GString *out = g_string_new (NULL);
  const gchar *p = prompt ? prompt : "";

  memset (markers, 0, sizeof (*markers));

  while (*p) {
    const gchar *start = strstr (p, MARKER_PREFIX);
    const gchar *end;
    g_autofree gchar *body = NULL;

    if (start == NULL) {
      g_string_append (out, p);
      break;
    }
    g_string_append_len (out, p, start - p);
    end = strchr (start, ']');
    if (end == NULL) {
      g_set_error (error, SIM_REQUEST_ERROR, 400,
                   "Invalid %s: unterminated sim marker '%.40s'", field, start);
      goto fail;
    }
    body = g_strndup (start + strlen (MARKER_PREFIX),
                      end - start - strlen (MARKER_PREFIX));
    if (!apply_marker (body, markers)) {
      g_set_error (error, SIM_REQUEST_ERROR, 400,
                   "Invalid %s: unknown sim marker or bad value '[sim:%.60s]'",
                   field, body);
      goto fail;
    }
    p = end + 1;
  }

  *stripped = g_strstrip (g_string_free (out, FALSE));
  return TRUE;

fail:
  g_string_free (out, TRUE);
  sim_markers_clear (markers);
  return FALSE;
}

void
sim_markers_clear (SimMarkers *markers)
{
  g_clear_pointer (&markers->fail_code, g_free);
  g_clear_pointer (&markers->state, g_free);
}
