/* gst-apixo-batch: many generations from a manifest, in one process
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The phases, in order: the manifest read (batch-manifest.c), every row
 * checked by the elements' own validation (batch-job.c), the money (the
 * estimated total, --max-cost, --check-balance), then the run
 * (batch-runner.c) shown by batch-display.c, and the summary and report
 * (batch-report.c).  Nothing is sent before the manifest is clean (unless
 * --keep-going).  Every API request is an element's: this program has no
 * HTTP client of its own.  See docs/batch.md.
 *
 * Exit status: 0 every job succeeded (or was done already); 1 a job
 * failed; 2 nothing was sent (bad manifest or options, --max-cost,
 * --check-balance); 130 stopped by Ctrl-C/SIGTERM.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch-display.h"
#include "batch-job.h"
#include "batch-manifest.h"
#include "batch-report.h"
#include "batch-runner.h"

#define EXIT_FAILED 1
#define EXIT_REFUSED 2
#define EXIT_INTERRUPTED 130

typedef struct {
  gchar *output_dir;
  gint jobs;
  gchar *model;
  gchar **set;
  gboolean dry_run;
  gboolean check_balance;
  gdouble max_cost;
  gboolean keep_going;
  gboolean json;
  gboolean csv;
  gchar *report;
} Options;

static Options opts = { NULL, 0,     NULL,  NULL,  FALSE, FALSE,
                        0,    FALSE, FALSE, FALSE, NULL };

static const GOptionEntry entries[] = {
  { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &opts.output_dir,
    "Where outputs go: DIR/<id>.mp4, or a row's relative \"output\" "
    "(default: the current directory)",
    "DIR" },
  { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opts.dry_run,
    "Validate the manifest and print the estimated cost; send nothing", NULL },
  { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &opts.set,
    "Set a property on every job (a row's own value wins; ';' separates "
    "array items); repeatable",
    "NAME=VALUE" },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opts.jobs,
    "Jobs running at once (default: the models' documented concurrency "
    "limits)",
    "N" },
  { "check-balance", 0, 0, G_OPTION_ARG_NONE, &opts.check_balance,
    "Read the balance before sending; refuse when below the estimate", NULL },
  { "csv", 0, 0, G_OPTION_ARG_NONE, &opts.csv,
    "The manifest is CSV whatever its name (default: by its .csv suffix)",
    NULL },
  { "model", 'm', 0, G_OPTION_ARG_STRING, &opts.model,
    "The model of rows that do not name one", "MODEL" },
  { "max-cost", 0, 0, G_OPTION_ARG_DOUBLE, &opts.max_cost,
    "Refuse the batch above USD (estimated), or with a job of no documented "
    "price",
    "USD" },
  { "report", 'r', 0, G_OPTION_ARG_FILENAME, &opts.report,
    "Write a JSON report of every job to FILE", "FILE" },
  { "keep-going", 'k', 0, G_OPTION_ARG_NONE, &opts.keep_going,
    "Run the valid rows even if some are invalid", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
    "Events as JSON Lines on stdout (the summary table goes to stderr)", NULL },
  { NULL },
};

/* --model and --set NAME=VALUE, as a row of line 0 */
static BatchDefaults *
make_defaults (GError **error)
{
  BatchDefaults *d = batch_row_new (0);

  d->id = g_strdup ("defaults");
  for (guint i = 0; opts.set != NULL && opts.set[i] != NULL; i++) {
    gchar **kv = g_strsplit (opts.set[i], "=", 2);
    gboolean ok = kv[0] != NULL && kv[1] != NULL && *kv[0] != '\0';

    if (!ok)
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--set %s: NAME=VALUE expected", opts.set[i]);
    else if (!batch_row_add_string (d, kv[0], kv[1]))
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--set %s: given twice", kv[0]);
    g_strfreev (kv);
    if (*error != NULL) {
      batch_row_free (d);
      return NULL;
    }
  }
  if (opts.model != NULL)
    batch_row_add_string (d, "model", opts.model);
  return d;
}

/* Problems before the run: on stderr, and as events with --json. */
static void
report_problem (BatchDisplay *display, const gchar *event, const gchar *text)
{
  g_printerr ("%s\n", text);
  if (opts.json)
    batch_display_note (display, event, text);
}

/* Every row through the element's own checks; the jobs, invalid ones
 * marked.  How many rows are invalid. */
static guint
validate_rows (BatchManifest *m, const BatchDefaults *defaults,
               const gchar *dir, GPtrArray *jobs, BatchDisplay *display)
{
  GHashTable *outputs = g_hash_table_new (g_str_hash, g_str_equal);
  guint invalid = m->errors->len;

  for (guint i = 0; i < m->errors->len; i++)
    report_problem (display, "invalid", g_ptr_array_index (m->errors, i));
  for (guint i = 0; i < m->rows->len; i++) {
    BatchRow *row = g_ptr_array_index (m->rows, i);
    BatchJob *job = batch_job_new (row, dir);
    GError *error = NULL;
    BatchJob *other = g_hash_table_lookup (outputs, job->output);

    g_ptr_array_add (jobs, job);
    if (other == NULL)
      g_hash_table_insert (outputs, job->output, job);
    if (row->invalid) {
      job->state = BATCH_JOB_INVALID;
    } else if (other != NULL) {
      /* two jobs writing one file: one would be lost, or taken as done */
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "line %u: field output: %s is the output of line %u too",
                   row->line, job->output, other->row->line);
    } else {
      batch_job_validate (job, defaults, &error);
    }
    if (error != NULL) {
      report_problem (display, "invalid", error->message);
      batch_job_set_error (job, "settings", NULL, error->message);
      job->state = BATCH_JOB_INVALID;
      invalid++;
      g_error_free (error);
    }
  }
  g_hash_table_unref (outputs);
  return invalid;
}

/* The first valid job's source, for the balance read (its base-url, key
 * and HTTP settings). */
static gboolean
read_balance (GPtrArray *jobs, const BatchDefaults *defaults, gdouble *usd,
              gchar **why)
{
  GstStructure *answer = NULL;
  GstElement *src = NULL;
  GError *error = NULL;
  gboolean ok = FALSE;

  for (guint i = 0; i < jobs->len && src == NULL; i++) {
    BatchJob *job = g_ptr_array_index (jobs, i);

    if (job->state == BATCH_JOB_QUEUED)
      src = batch_job_make_source (job, defaults, &error);
    g_clear_error (&error);
  }
  if (src == NULL) {
    *why = g_strdup ("no valid job to read it with");
    return FALSE;
  }
  g_signal_emit_by_name (src, "read-balance", &answer);
  gst_structure_get_boolean (answer, "valid", &ok);
  if (ok)
    gst_structure_get_double (answer, "balance", usd);
  else
    *why = g_strdup (gst_structure_get_string (answer, "message"));
  gst_structure_free (answer);
  gst_object_unref (src);
  return ok;
}

/* The estimated total of the jobs to run, --max-cost and --check-balance.
 * FALSE (reported) when the batch must not start. */
static gboolean
check_money (GPtrArray *jobs, const BatchDefaults *defaults,
             BatchDisplay *display)
{
  const BatchJob *unpriced = NULL;
  gdouble total = 0, balance = -1;
  guint count = 0, n_unpriced = 0;
  gchar *text, *usd, *max, *why = NULL;
  gboolean ok = TRUE;

  for (guint i = 0; i < jobs->len; i++) {
    const BatchJob *job = g_ptr_array_index (jobs, i);

    if (job->state != BATCH_JOB_QUEUED)
      continue;
    count++;
    if (job->estimate >= 0)
      total += job->estimate;
    else if (n_unpriced++ == 0)
      unpriced = job;
  }
  usd = batch_usd (total);
  max = batch_usd (opts.max_cost);
  text = g_strdup_printf ("%u jobs, estimated cost %s%s", count, usd,
                          n_unpriced ? " (plus jobs whose model documents "
                                       "no price)"
                                     : "");
  batch_display_note (display, "estimate", text);
  g_free (text);
  text = NULL;
  if (opts.max_cost > 0 && unpriced != NULL) {
    text = g_strdup_printf (
        "--max-cost %s cannot be honoured: job %s (line %u, %s) has no "
        "documented price; nothing was sent",
        max, unpriced->id, unpriced->row->line, unpriced->model);
  } else if (opts.max_cost > 0 && total > opts.max_cost) {
    text = g_strdup_printf ("--max-cost %s is below the estimated cost of the "
                            "batch, %s; nothing was sent",
                            max, usd);
  } else if (opts.check_balance &&
             !read_balance (jobs, defaults, &balance, &why)) {
    text = g_strdup_printf ("--check-balance: the balance could not be read "
                            "(%s); nothing was sent",
                            why);
  } else if (opts.check_balance) {
    gchar *b = batch_usd (balance);

    if (balance < total)
      text = g_strdup_printf ("the balance, %s, is below the estimated cost "
                              "of the batch, %s; nothing was sent",
                              b, usd);
    else
      batch_display_note (display, "balance", b);
    g_free (b);
  }
  if (text != NULL) {
    report_problem (display, "refused", text);
    ok = FALSE;
  }
  g_free (text);
  g_free (why);
  g_free (usd);
  g_free (max);
  return ok;
}

/* --jobs, else each model's documented concurrency (the plugin's limiter
 * queues within it): their sum over the models of the batch, at most the
 * number of jobs. */
static guint
jobs_at_once (GPtrArray *jobs)
{
  GHashTable *models = g_hash_table_new (g_str_hash, g_str_equal);
  guint sum = 0, count = 0;

  if (opts.jobs > 0)
    return opts.jobs;
  for (guint i = 0; i < jobs->len; i++) {
    const BatchJob *job = g_ptr_array_index (jobs, i);

    if (job->state != BATCH_JOB_QUEUED)
      continue;
    count++;
    if (g_hash_table_add (models, job->model))
      sum += job->concurrent_tasks;
  }
  g_hash_table_unref (models);
  return MAX (1, MIN (sum, count));
}

static BatchDisplayMode
display_mode (void)
{
  if (opts.json)
    return BATCH_DISPLAY_JSON;
  return isatty (STDOUT_FILENO) ? BATCH_DISPLAY_TTY : BATCH_DISPLAY_LINES;
}

static gint
exit_status (GPtrArray *jobs, BatchRunResult result)
{
  if (result == BATCH_RUN_INTERRUPTED)
    return EXIT_INTERRUPTED;
  for (guint i = 0; i < jobs->len; i++)
    if (!batch_job_is_good (g_ptr_array_index (jobs, i)))
      return EXIT_FAILED;
  return EXIT_SUCCESS;
}

static gint
finish (GPtrArray *jobs, const gchar *manifest, BatchRunResult result)
{
  GError *error = NULL;

  batch_report_print_table (jobs, opts.json ? stderr : stdout);
  if (opts.report != NULL &&
      !batch_report_write (jobs, manifest, opts.report, &error)) {
    g_printerr ("--report %s: %s\n", opts.report, error->message);
    g_error_free (error);
    return EXIT_FAILED;
  }
  return exit_status (jobs, result);
}

static gboolean
parse_options (gint *argc, gchar ***argv, GError **error)
{
  GOptionContext *ctx = g_option_context_new (
      "MANIFEST - generate the jobs of a manifest (JSON Lines or CSV)");
  gboolean ok;

  g_option_context_set_summary (
      ctx, "Each row is a job: the properties of apixosrc (apixoanimatesrc "
           "for wan-2-2-animate) by name, an optional id and output.\n"
           "Nothing is sent until every row passed the elements' own "
           "checks.  See docs/batch.md.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, argc, argv, error);
  if (ok && *argc != 2) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                         "one manifest expected (see --help)");
    ok = FALSE;
  }
  if (ok && (opts.max_cost < 0 || opts.jobs < 0)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         "--max-cost and --jobs cannot be negative");
    ok = FALSE;
  }
  g_option_context_free (ctx);
  return ok;
}

/* The output directory, absolute, created. */
static gchar *
output_dir (GError **error)
{
  gchar *dir =
      g_canonicalize_filename (opts.output_dir ? opts.output_dir : ".", NULL);

  if (g_mkdir_with_parents (dir, 0755) == 0)
    return dir;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
               "--output-dir %s: %s", dir, g_strerror (errno));
  g_free (dir);
  return NULL;
}

static gint
run (const gchar *manifest_path)
{
  BatchDisplay *display = batch_display_new (display_mode ());
  BatchDefaults *defaults = NULL;
  BatchManifest *m = NULL;
  GPtrArray *jobs =
      g_ptr_array_new_with_free_func ((GDestroyNotify)batch_job_free);
  GError *error = NULL;
  gchar *dir = NULL;
  gint status = EXIT_REFUSED;
  guint invalid;

  if ((defaults = make_defaults (&error)) == NULL ||
      (dir = output_dir (&error)) == NULL ||
      (m = batch_manifest_load (manifest_path, opts.csv, &error)) == NULL) {
    report_problem (display, "refused", error->message);
    goto out;
  }
  invalid = validate_rows (m, defaults, dir, jobs, display);
  if (invalid > 0 && !opts.keep_going) {
    report_problem (display, "refused",
                    "the manifest has invalid rows: nothing was sent "
                    "(--keep-going runs the valid ones)");
    goto out;
  }
  if (!check_money (jobs, defaults, display))
    goto out;
  if (opts.dry_run) {
    batch_display_note (display, "dry-run",
                        "--dry-run: the manifest is valid; nothing was sent");
    status = invalid > 0 ? EXIT_FAILED : EXIT_SUCCESS;
    goto out;
  }
  status = finish (jobs, manifest_path,
                   batch_run (jobs, defaults, jobs_at_once (jobs), display));

out:
  g_clear_error (&error);
  g_ptr_array_unref (jobs);
  batch_manifest_free (m);
  if (defaults != NULL)
    batch_row_free (defaults);
  batch_display_free (display);
  g_free (dir);
  return status;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  gint status;

  setlocale (LC_ALL, "");
  if (!parse_options (&argc, &argv, &error)) {
    g_printerr ("gst-apixo-batch: %s\n", error->message);
    g_error_free (error);
    return EXIT_REFUSED;
  }
  gst_init (NULL, NULL);
  status = run (argv[1]);
  gst_deinit ();
  return status;
}
