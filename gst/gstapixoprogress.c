/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * A task's progress as a person reads it: percentage, time left, what it
 * waits for.
 *
 * Thread safety notes
 * -------------------
 * Pure functions of the report they are given: no state, no lock; callable
 * from any thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoprogress.h"

#include <string.h>

/* The share of the bar the typical time fills.  The pages give ranges or
 * averages, not promises: the last tenth is left for the runs that take
 * longer, so that the bar keeps moving without ever claiming the end. */
#define PERCENT_AT_TYPICAL 90.0
#define PERCENT_BEFORE_SUCCESS 99

void
gst_apixo_progress_init (GstApixoProgress *p, const GstApixoRunConfig *config)
{
  memset (p, 0, sizeof (*p));
  p->typical = config->typical_time;
  p->typical_documented =
      gst_apixo_request_spec_typical_documented (config->spec);
  p->waiting_for = GST_APIXO_WAITING_GENERATION;
}

gint
gst_apixo_progress_percent (const GstApixoProgress *p)
{
  gdouble x, percent;

  if (g_strcmp0 (p->state, "success") == 0)
    return 100;
  if (p->task_id == NULL || !(p->typical > 0) || !(p->elapsed > 0))
    return 0;
  /* linear up to the typical time, then ever slower: 96 % at twice the
   * typical time, 98 % at three times, 99 % at five and a half */
  x = p->elapsed / p->typical;
  if (x <= 1)
    percent = PERCENT_AT_TYPICAL * x;
  else
    percent = 100 - (100 - PERCENT_AT_TYPICAL) / (1 + 2 * (x - 1));
  return MIN ((gint)percent, PERCENT_BEFORE_SUCCESS);
}

gdouble
gst_apixo_progress_eta (const GstApixoProgress *p)
{
  if (p->task_id == NULL || !p->typical_documented ||
      g_strcmp0 (p->state, "success") == 0 || !(p->elapsed < p->typical))
    return -1;
  return p->typical - MAX (p->elapsed, 0);
}

const gchar *
gst_apixo_waiting_for_nick (GstApixoWaitingFor waiting_for)
{
  static const gchar *const nicks[] = {
    [GST_APIXO_WAITING_GENERATION] = "generation",
    [GST_APIXO_WAITING_RATE_LIMIT] = "rate-limit",
    [GST_APIXO_WAITING_TASK_SLOT] = "task-slot",
    [GST_APIXO_WAITING_RETRY] = "retry",
    [GST_APIXO_WAITING_SAME_REQUEST] = "same-request",
  };

  g_return_val_if_fail (waiting_for < G_N_ELEMENTS (nicks), "generation");
  return nicks[waiting_for];
}

GstStructure *
gst_apixo_progress_new_state_event (const GstApixoProgress *p)
{
  GstStructure *s =
      gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "state", NULL);
  gdouble eta = gst_apixo_progress_eta (p);

  if (p->task_id != NULL)
    gst_structure_set (s, "task-id", G_TYPE_STRING, p->task_id, NULL);
  gst_structure_set (s, "state", G_TYPE_STRING, p->state, "elapsed",
                     G_TYPE_DOUBLE, p->elapsed, "poll-count", G_TYPE_UINT,
                     p->poll_count, "percent", G_TYPE_INT,
                     gst_apixo_progress_percent (p), NULL);
  if (eta >= 0)
    gst_structure_set (s, "eta", G_TYPE_DOUBLE, eta, NULL);
  gst_structure_set (s, "waiting-for", G_TYPE_STRING,
                     gst_apixo_waiting_for_nick (p->waiting_for), NULL);
  return s;
}

/* "Task X: processing, 45 %, about 40 s left" */
static void
describe_task (GString *text, const GstApixoProgress *p)
{
  gdouble eta = gst_apixo_progress_eta (p);

  g_string_append_printf (text, "Task %s: %s, %d %%", p->task_id, p->state,
                          gst_apixo_progress_percent (p));
  if (eta >= 0)
    g_string_append_printf (text, ", about %.0f s left", eta);
  else if (g_strcmp0 (p->state, "success") == 0)
    return;
  else if (p->typical_documented)
    g_string_append_printf (text,
                            ", taking longer than usual (%.0f s; typically "
                            "done within %.0f s)",
                            p->elapsed, p->typical);
  else /* nothing documented to compare with */
    g_string_append_printf (text, ", %.0f s so far", p->elapsed);
}

gchar *
gst_apixo_progress_describe (const GstApixoProgress *p)
{
  static const gchar *const waits[] = {
    [GST_APIXO_WAITING_GENERATION] = NULL,
    [GST_APIXO_WAITING_RATE_LIMIT] = "waiting for the request rate limit",
    [GST_APIXO_WAITING_TASK_SLOT] = "waiting for a free task slot",
    [GST_APIXO_WAITING_RETRY] = "waiting to retry",
    [GST_APIXO_WAITING_SAME_REQUEST] =
        "waiting for another run of the same request",
  };
  GString *text = g_string_new (NULL);

  if (p->task_id != NULL)
    describe_task (text, p);
  else if (g_strcmp0 (p->state, "submitting") == 0)
    g_string_append (text, "Submitting the generation task");
  else
    g_string_append (text, "Not submitted yet");
  if (p->waiting_for < G_N_ELEMENTS (waits) && waits[p->waiting_for] != NULL)
    g_string_append_printf (text, "; %s", waits[p->waiting_for]);
  if (p->why != NULL)
    g_string_append_printf (text, " (%s)", p->why);
  return g_string_free (text, FALSE);
}
