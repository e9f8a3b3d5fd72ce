/* gst-apixo-batch: what the user sees while a batch runs
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Three forms of the same events: a status line on a terminal, one line
 * per event for logs and pipes, JSON Lines for other programs.  Main
 * context only.
 */

#include "batch-display.h"

#include <stdio.h>

struct _BatchDisplay {
  BatchDisplayMode mode;
  gboolean line_shown; /* tty: a status line is on screen */
};

BatchDisplay *
batch_display_new (BatchDisplayMode mode)
{
  BatchDisplay *d = g_new0 (BatchDisplay, 1);

  d->mode = mode;
  return d;
}

void
batch_display_free (BatchDisplay *display)
{
  g_free (display);
}

gchar *
batch_usd (gdouble usd)
{
  gdouble cents = usd * 100;

  if (cents == (gint64)cents)
    return g_strdup_printf ("$%.2f", usd);
  return g_strdup_printf ("$%.6g", usd);
}

static gchar *
eta_text (gint64 eta)
{
  if (eta < 0)
    return g_strdup ("--");
  if (eta >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", eta / 3600,
                            (gint)(eta / 60 % 60), (gint)(eta % 60));
  return g_strdup_printf ("%d:%02d", (gint)(eta / 60), (gint)(eta % 60));
}

static gchar *
status_text (const BatchCounts *c)
{
  gchar *spent = batch_usd (c->spent), *eta = eta_text (c->eta), *text;

  text = g_strdup_printf ("done %u/%u, running %u, queued %u, failed %u, "
                          "spent %s%s, ETA %s",
                          c->done, c->total, c->running, c->queued, c->failed,
                          spent, c->unpriced ? " + unpriced" : "", eta);
  g_free (spent);
  g_free (eta);
  return text;
}

static void
clear_line (BatchDisplay *d)
{
  if (d->line_shown)
    fputs ("\r\033[K", stdout);
  d->line_shown = FALSE;
}

static void
print_json (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);

  puts (text);
  fflush (stdout);
  g_free (text);
  json_node_unref (root);
}

static void
add_counts (JsonBuilder *b, const BatchCounts *c)
{
  GstStructure *s = gst_structure_new (
      "counts", "done", G_TYPE_UINT, c->done, "running", G_TYPE_UINT,
      c->running, "queued", G_TYPE_UINT, c->queued, "failed", G_TYPE_UINT,
      c->failed, "total", G_TYPE_UINT, c->total, "spent", G_TYPE_DOUBLE,
      c->spent, NULL);

  batch_json_add_structure (b, s);
  gst_structure_free (s);
}

static void
job_json (const BatchJob *job, const gchar *event, const BatchCounts *c)
{
  JsonBuilder *b = json_builder_new ();
  GstStructure *s = batch_job_describe (job);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  batch_json_add_structure (b, s);
  add_counts (b, c);
  json_builder_end_object (b);
  print_json (b);
  gst_structure_free (s);
  g_object_unref (b);
}

/* "job ID: EVENT[, task T][, estimated $X][: error]" */
static gchar *
job_line (const BatchJob *job, const gchar *event)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "job %s: %s", job->id, event);
  if (job->task_id != NULL)
    g_string_append_printf (s, ", task %s", job->task_id);
  if (g_strcmp0 (event, "submitted") == 0 && job->estimate >= 0) {
    gchar *usd = batch_usd (job->estimate);

    g_string_append_printf (s, ", estimated %s", usd);
    g_free (usd);
  }
  if (job->state == BATCH_JOB_SUCCEEDED || job->state == BATCH_JOB_SKIPPED)
    g_string_append_printf (s, ", %s", job->output);
  if (job->error != NULL && !batch_job_is_good (job))
    g_string_append_printf (s, ": %s", job->error);
  return g_string_free (s, FALSE);
}

void
batch_display_job (BatchDisplay *d, const BatchJob *job, const gchar *event,
                   const BatchCounts *c)
{
  gchar *text;

  if (d->mode == BATCH_DISPLAY_JSON) {
    job_json (job, event, c);
    return;
  }
  text = job_line (job, event);
  if (d->mode == BATCH_DISPLAY_LINES) {
    printf ("[%u/%u] %s\n", c->done + c->failed, c->total, text);
    fflush (stdout);
  } else if (job->state == BATCH_JOB_FAILED ||
             job->state == BATCH_JOB_INTERRUPTED) {
    /* a terminal shows what went wrong above the status line */
    clear_line (d);
    printf ("%s\n", text);
    batch_display_progress (d, c);
  } else {
    batch_display_progress (d, c);
  }
  g_free (text);
}

void
batch_display_note (BatchDisplay *d, const gchar *event, const gchar *text)
{
  JsonBuilder *b;

  if (d->mode != BATCH_DISPLAY_JSON) {
    clear_line (d);
    printf ("%s\n", text);
    fflush (stdout);
    return;
  }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  print_json (b);
  g_object_unref (b);
}

void
batch_display_progress (BatchDisplay *d, const BatchCounts *c)
{
  gchar *text;

  if (d->mode != BATCH_DISPLAY_TTY)
    return;
  text = status_text (c);
  fputs ("\r\033[K", stdout);
  fputs (text, stdout);
  fflush (stdout);
  d->line_shown = TRUE;
  g_free (text);
}

void
batch_display_end (BatchDisplay *d, const BatchCounts *c)
{
  gchar *text;
  JsonBuilder *b;

  /* the status line becomes the last line of the run */
  clear_line (d);
  if (d->mode == BATCH_DISPLAY_JSON) {
    b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "event");
    json_builder_add_string_value (b, "finished");
    add_counts (b, c);
    json_builder_end_object (b);
    print_json (b);
    g_object_unref (b);
    return;
  }
  text = status_text (c);
  printf ("%s\n", text);
  fflush (stdout);
  g_free (text);
}
