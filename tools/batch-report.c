/* gst-apixo-batch: the summary table and the JSON report
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * After the run, from the jobs' final states.  Single-threaded.
 */

#include "batch-report.h"
#include "batch-display.h"

#include <string.h>

typedef struct {
  guint by_state[BATCH_JOB_INTERRUPTED + 1];
  gdouble estimated; /* every job with a documented price */
  gdouble paid;      /* the estimates of what this run submitted */
  guint unpriced;
} Totals;

static void
totals (GPtrArray *jobs, Totals *t)
{
  memset (t, 0, sizeof *t);
  for (guint i = 0; i < jobs->len; i++) {
    const BatchJob *job = g_ptr_array_index (jobs, i);

    t->by_state[job->state]++;
    if (job->estimate >= 0)
      t->estimated += job->estimate;
    else if (job->state != BATCH_JOB_INVALID)
      t->unpriced++;
    if (job->paid && job->estimate >= 0)
      t->paid += job->estimate;
  }
}

static gchar *
size_text (const BatchJob *job)
{
  if (job->width <= 0)
    return g_strdup ("-");
  return g_strdup_printf ("%dx%d %.1fs", job->width, job->height,
                          (gdouble)job->duration / GST_SECOND);
}

void
batch_report_print_table (GPtrArray *jobs, FILE *out)
{
  Totals t;
  gchar *usd;

  fprintf (out, "%-12s %-11s %-30s %-9s %-15s %s\n", "ID", "STATE", "TASK",
           "EST. COST", "OUTPUT", "FILE / ERROR");
  for (guint i = 0; i < jobs->len; i++) {
    const BatchJob *job = g_ptr_array_index (jobs, i);
    gchar *size = size_text (job);

    usd = job->estimate >= 0 ? batch_usd (job->estimate) : g_strdup ("-");
    fprintf (out, "%-12s %-11s %-30s %-9s %-15s %s\n", job->id,
             batch_job_state_name (job->state),
             job->task_id ? job->task_id : "-", usd, size,
             batch_job_is_good (job) || job->error == NULL ? job->output
                                                           : job->error);
    g_free (size);
    g_free (usd);
  }
  totals (jobs, &t);
  usd = batch_usd (t.paid);
  fprintf (out,
           "%u jobs: %u succeeded, %u skipped (done before), %u failed, "
           "%u invalid, %u not run, %u interrupted; submitted now: %s "
           "estimated%s\n",
           jobs->len, t.by_state[BATCH_JOB_SUCCEEDED],
           t.by_state[BATCH_JOB_SKIPPED], t.by_state[BATCH_JOB_FAILED],
           t.by_state[BATCH_JOB_INVALID], t.by_state[BATCH_JOB_NOT_RUN],
           t.by_state[BATCH_JOB_INTERRUPTED], usd,
           t.unpriced ? " (some jobs have no documented price)" : "");
  g_free (usd);
}

static void
add_totals (JsonBuilder *b, GPtrArray *jobs)
{
  static const BatchJobState states[] = {
    BATCH_JOB_SUCCEEDED, BATCH_JOB_SKIPPED, BATCH_JOB_FAILED,
    BATCH_JOB_INVALID,   BATCH_JOB_NOT_RUN, BATCH_JOB_INTERRUPTED,
  };
  GstStructure *s;
  Totals t;

  totals (jobs, &t);
  s = gst_structure_new ("totals", "jobs", G_TYPE_UINT, jobs->len, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    gst_structure_set (s, batch_job_state_name (states[i]), G_TYPE_UINT,
                       t.by_state[states[i]], NULL);
  gst_structure_set (s, "estimated-cost", G_TYPE_DOUBLE, t.estimated,
                     "paid-estimated-cost", G_TYPE_DOUBLE, t.paid, "unpriced",
                     G_TYPE_UINT, t.unpriced, NULL);
  json_builder_set_member_name (b, "totals");
  json_builder_begin_object (b);
  batch_json_add_structure (b, s);
  json_builder_end_object (b);
  gst_structure_free (s);
}

gboolean
batch_report_write (GPtrArray *jobs, const gchar *manifest, const gchar *path,
                    GError **error)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *text;
  gboolean ok;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "manifest");
  json_builder_add_string_value (b, manifest);
  json_builder_set_member_name (b, "jobs");
  json_builder_begin_array (b);
  for (guint i = 0; i < jobs->len; i++) {
    GstStructure *s = batch_job_describe (g_ptr_array_index (jobs, i));

    json_builder_begin_object (b);
    batch_json_add_structure (b, s);
    json_builder_end_object (b);
    gst_structure_free (s);
  }
  json_builder_end_array (b);
  add_totals (b, jobs);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  ok = g_file_set_contents (path, text, -1, error);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return ok;
}
