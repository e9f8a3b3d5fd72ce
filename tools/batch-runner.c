/* gst-apixo-batch: running the jobs
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process, one pipeline per running job (source ! fakesink), all on
 * the plugin's shared worker: every request is the elements' own, and the
 * plugin's limiter keeps them within the models' documented limits.
 *
 * Thread safety notes
 * -------------------
 * Everything here runs on the default main context (bus watches, the
 * discoverer's signals, the Unix signal sources, the clock tick): no
 * lock.  The elements' own threads (streaming, worker) reach us only
 * through their pipelines' buses.
 */

#include "batch-runner.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/pbutils/pbutils.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#define DISCOVER_TIMEOUT (60 * GST_SECOND)
/* Jobs between their start and their submission's answer at most: a
 * submission is a few requests and durable journal writes, and its
 * answer is awaited within the HTTP timeout, so a thousand started at
 * once would time out waiting for connections (and leave submissions of
 * unknown outcome).  Submitted jobs only poll: --jobs bounds those. */
#define SUBMIT_WINDOW 16

typedef struct {
  GPtrArray *jobs;
  const BatchDefaults *defaults;
  guint max_jobs;
  BatchDisplay *display;
  GMainLoop *loop;
  GstDiscoverer *discoverer;
  GHashTable *checking; /* file URI -> BatchJob being decoded */

  guint next; /* the first job that may still be QUEUED */
  guint active;
  GHashTable *submitting; /* BatchJob launched, not yet answered */
  guint interrupts;       /* 0, 1 (stop starting), 2 (stop now) */
  gint64 started;
  guint finished_runs; /* jobs that ran to their end here (for the ETA) */
} Runner;

static void fill (Runner *r);

/* ---- counts -------------------------------------------------------------- */

static void
count (Runner *r, BatchCounts *c)
{
  gint64 elapsed;

  memset (c, 0, sizeof *c);
  for (guint i = 0; i < r->jobs->len; i++) {
    BatchJob *job = g_ptr_array_index (r->jobs, i);

    if (job->state == BATCH_JOB_INVALID)
      continue; /* refused before the run (--keep-going) */
    c->total++;
    if (job->state == BATCH_JOB_QUEUED)
      c->queued++;
    else if (!batch_job_is_over (job))
      c->running++;
    else if (batch_job_is_good (job))
      c->done++;
    else if (job->state != BATCH_JOB_NOT_RUN)
      c->failed++;
    if (job->paid && job->estimate >= 0)
      c->spent += job->estimate;
    else if (job->paid)
      c->unpriced++;
  }
  /* jobs run about max_jobs at a time: the pace so far, for the rest */
  elapsed = (g_get_monotonic_time () - r->started) / G_USEC_PER_SEC;
  c->eta = r->finished_runs > 0
               ? elapsed * (c->queued + c->running) / r->finished_runs
               : -1;
}

static void
say (Runner *r, BatchJob *job, const gchar *event)
{
  BatchCounts c;

  count (r, &c);
  batch_display_job (r->display, job, event, &c);
}

/* ---- the end of a job ---------------------------------------------------- */

/* The job's submission was answered (or it needs none, or it ended):
 * another job may start. */
static void
submission_over (Runner *r, BatchJob *job)
{
  if (g_hash_table_remove (r->submitting, job))
    fill (r);
}

static void
stop_pipeline (BatchJob *job)
{
  if (job->bus_watch != 0)
    g_source_remove (job->bus_watch);
  job->bus_watch = 0;
  if (job->pipeline != NULL) {
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
    gst_clear_object (&job->pipeline);
  }
}

static void
job_over (Runner *r, BatchJob *job, BatchJobState state, const gchar *event)
{
  stop_pipeline (job);
  g_hash_table_remove (r->submitting, job);
  job->state = state;
  job->end_time = g_get_real_time ();
  if (state != BATCH_JOB_SKIPPED && state != BATCH_JOB_INTERRUPTED)
    r->finished_runs++;
  r->active--;
  say (r, job, event);
  fill (r);
}

static void
discover (Runner *r, BatchJob *job, BatchJobState state)
{
  gchar *uri = gst_filename_to_uri (job->output, NULL);

  job->state = state;
  g_hash_table_insert (r->checking, uri, job);
  if (!gst_discoverer_discover_uri_async (r->discoverer, uri)) {
    g_hash_table_remove (r->checking, uri);
    batch_job_set_error (job, "output-check", NULL,
                         "its output could not be decoded");
    job_over (r, job, BATCH_JOB_FAILED, "failed");
  }
}

/* ---- a running job: its bus ---------------------------------------------- */

static void
on_task_message (Runner *r, BatchJob *job, const GstStructure *s)
{
  const gchar *event = gst_structure_get_string (s, "event");
  const gchar *task_id = gst_structure_get_string (s, "task-id");

  if (event == NULL)
    return;
  if (task_id != NULL && g_strcmp0 (job->task_id, task_id) != 0) {
    g_free (job->task_id);
    job->task_id = g_strdup (task_id);
  }
  if (g_str_equal (event, "submitted")) {
    job->paid = TRUE;
    gst_structure_get_double (s, "estimated-cost", &job->estimate);
  } else if (g_str_equal (event, "resumed")) {
    job->resumed = TRUE;
  } else if (g_str_equal (event, "cached") || g_str_equal (event, "shared") ||
             g_str_equal (event, "replayed")) {
    g_free (job->served);
    job->served = g_strdup (event);
  } else if (!g_str_equal (event, "success") &&
             !g_str_equal (event, "queued")) {
    return; /* state, download, ...: the status line is enough */
  }
  say (r, job, event);
  /* success: the submission is long over; queued: waiting for the
   * model's task slot, not for a connection */
  submission_over (r, job);
}

static void
on_error (Runner *r, BatchJob *job, GstMessage *msg)
{
  const GstStructure *details = NULL;
  GError *error = NULL;

  gst_message_parse_error (msg, &error, NULL);
  gst_message_parse_error_details (msg, &details);
  batch_job_set_error (
      job, details ? gst_structure_get_string (details, "reason") : NULL,
      details ? gst_structure_get_string (details, "fail-code") : NULL,
      error->message);
  if (job->task_id == NULL && details != NULL &&
      gst_structure_get_string (details, "task-id") != NULL)
    job->task_id = g_strdup (gst_structure_get_string (details, "task-id"));
  g_error_free (error);
  job_over (r, job, BATCH_JOB_FAILED, "failed");
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Runner *r = g_object_get_data (G_OBJECT (bus), "batch-runner");
  BatchJob *job = user_data;
  const GstStructure *s;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "apixo-task"))
        on_task_message (r, job, s);
      break;
    case GST_MESSAGE_ERROR:
      job->bus_watch = 0; /* removed by returning FALSE */
      on_error (r, job, msg);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_EOS:
      /* the result is complete at save-location: decode it once */
      job->bus_watch = 0;
      submission_over (r, job);
      stop_pipeline (job);
      discover (r, job, BATCH_JOB_VERIFYING);
      return G_SOURCE_REMOVE;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static void
launch (Runner *r, BatchJob *job)
{
  GError *error = NULL;
  GstBus *bus;

  job->pipeline = batch_job_make_pipeline (job, r->defaults, &error);
  if (job->pipeline == NULL) {
    batch_job_set_error (job, "settings", NULL, error->message);
    g_error_free (error);
    job_over (r, job, BATCH_JOB_FAILED, "failed");
    return;
  }
  job->state = BATCH_JOB_RUNNING;
  g_hash_table_add (r->submitting, job);
  bus = gst_element_get_bus (job->pipeline);
  g_object_set_data (G_OBJECT (bus), "batch-runner", r);
  job->bus_watch = gst_bus_add_watch (bus, on_bus, job);
  gst_object_unref (bus);
  say (r, job, "started");
  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    GST_INFO ("job %s: the error is on its bus", job->id);
}

/* ---- the discoverer: outputs decoded ------------------------------------- */

/* NULL if @info is a playable video: a duration and a picture size, the
 * one asked for when the request named it; else what is wrong. */
static gchar *
output_problem (BatchJob *job, GstDiscovererInfo *info, const GError *err)
{
  GList *videos;
  GstDiscovererVideoInfo *v;

  if (err != NULL || gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK)
    return FALSE;
  job->duration = gst_discoverer_info_get_duration (info);
  videos = gst_discoverer_info_get_video_streams (info);
  if (videos != NULL) {
    v = videos->data;
    job->width = gst_discoverer_video_info_get_width (v);
    job->height = gst_discoverer_video_info_get_height (v);
  }
  gst_discoverer_stream_info_list_free (videos);
  if (!GST_CLOCK_TIME_IS_VALID (job->duration) || job->duration == 0 ||
      job->width <= 0 || job->height <= 0)
    return g_strdup ("its output has no duration or no picture");
  if (job->want_width > 0 &&
      (job->width != job->want_width || job->height != job->want_height))
    return g_strdup_printf ("its output is %dx%d, %dx%d was asked for",
                            job->width, job->height, job->want_width,
                            job->want_height);
  return NULL;
}

static void
on_discovered (GstDiscoverer *discoverer, GstDiscovererInfo *info,
               const GError *err, gpointer user_data)
{
  Runner *r = user_data;
  BatchJob *job =
      g_hash_table_lookup (r->checking, gst_discoverer_info_get_uri (info));
  gchar *problem;

  if (job == NULL)
    return;
  g_hash_table_remove (r->checking, gst_discoverer_info_get_uri (info));
  problem = output_problem (job, info, err);
  if (job->state == BATCH_JOB_VERIFYING && problem == NULL) {
    job_over (r, job, BATCH_JOB_SUCCEEDED, "succeeded");
  } else if (job->state == BATCH_JOB_VERIFYING) {
    batch_job_set_error (job, "output-check", NULL, problem);
    job_over (r, job, BATCH_JOB_FAILED, "failed");
  } else if (problem == NULL) {
    job_over (r, job, BATCH_JOB_SKIPPED, "skipped");
  } else if (r->interrupts > 0) {
    job_over (r, job, BATCH_JOB_NOT_RUN, "not-run");
  } else {
    /* a broken output is generated again (the journal resumes an open
     * task of the same request) */
    job->width = job->height = 0;
    job->duration = GST_CLOCK_TIME_NONE;
    launch (r, job);
  }
  g_free (problem);
}

/* ---- scheduling ---------------------------------------------------------- */

static gboolean
all_over (Runner *r)
{
  for (guint i = 0; i < r->jobs->len; i++)
    if (!batch_job_is_over (g_ptr_array_index (r->jobs, i)))
      return FALSE;
  return TRUE;
}

/* A sidecar is a few hundred bytes: a larger file is not one of ours. */
#define SIDECAR_MAX_BYTES (1024 * 1024)

/* The "request-key" of the sidecar beside @output (docs/pay-once.md), or
 * NULL when there is none or it does not say. */
static gchar *
sidecar_request_key (const gchar *output)
{
  gchar *path = g_strconcat (output, ".json", NULL), *text = NULL, *key = NULL;
  JsonParser *parser = json_parser_new ();
  JsonNode *root, *member = NULL;
  GStatBuf st;
  gsize length = 0;

  if (g_stat (path, &st) == 0 && st.st_size <= SIDECAR_MAX_BYTES &&
      g_file_get_contents (path, &text, &length, NULL) &&
      length <= SIDECAR_MAX_BYTES &&
      json_parser_load_from_data (parser, text, length, NULL) &&
      (root = json_parser_get_root (parser)) != NULL &&
      JSON_NODE_HOLDS_OBJECT (root))
    member =
        json_object_get_member (json_node_get_object (root), "request-key");
  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_STRING)
    key = g_strdup (json_node_get_string (member));
  g_object_unref (parser);
  g_free (text);
  g_free (path);
  return key;
}

/* The output there was made for another request than the job's: its row
 * changed since (both keys known and different). */
static gboolean
output_is_of_another_request (Runner *r, BatchJob *job)
{
  gchar *key = job->request_key ? sidecar_request_key (job->output) : NULL;
  gboolean other = key != NULL && strcmp (key, job->request_key) != 0;
  gchar *text;

  if (other) {
    text = g_strdup_printf ("job %s: %s was made for another request (its row "
                            "changed): generating it again",
                            job->id, job->output);
    batch_display_note (r->display, "changed", text);
    g_free (text);
  }
  g_free (key);
  return other;
}

static void
start (Runner *r, BatchJob *job)
{
  r->active++;
  job->start_time = g_get_real_time ();
  /* done in an earlier run (killed, crashed, Ctrl-C): not paid again; an
   * output of the row as it was before is replaced */
  if (g_file_test (job->output, G_FILE_TEST_EXISTS) &&
      !output_is_of_another_request (r, job))
    discover (r, job, BATCH_JOB_CHECKING);
  else
    launch (r, job);
}

static void
fill (Runner *r)
{
  while (r->interrupts == 0 && r->active < r->max_jobs &&
         g_hash_table_size (r->submitting) < SUBMIT_WINDOW &&
         r->next < r->jobs->len) {
    BatchJob *job = g_ptr_array_index (r->jobs, r->next++);

    if (job->state == BATCH_JOB_QUEUED)
      start (r, job);
  }
  if (r->active == 0 && (r->interrupts > 0 || all_over (r)))
    g_main_loop_quit (r->loop);
}

static gboolean
on_tick (gpointer user_data)
{
  Runner *r = user_data;
  BatchCounts c;

  count (r, &c);
  batch_display_progress (r->display, &c);
  return G_SOURCE_CONTINUE;
}

/* ---- Ctrl-C -------------------------------------------------------------- */

static void
stop_now (Runner *r)
{
  for (guint i = 0; i < r->jobs->len; i++) {
    BatchJob *job = g_ptr_array_index (r->jobs, i);
    gchar *text;

    if (job->state != BATCH_JOB_RUNNING)
      continue;
    text = job->task_id
               ? g_strdup_printf ("job %s: task %s is left to the journal: "
                                  "run the same command again to finish it "
                                  "without paying again",
                                  job->id, job->task_id)
               : g_strdup_printf ("job %s: stopped before its task id was "
                                  "known: run the same command again (the "
                                  "journal says whether it was submitted)",
                                  job->id);
    batch_job_set_error (job, "interrupted", NULL, text);
    job_over (r, job, BATCH_JOB_INTERRUPTED, "interrupted");
    g_free (text);
  }
}

static gboolean
on_interrupt (gpointer user_data)
{
  Runner *r = user_data;

  if (++r->interrupts == 1) {
    batch_display_note (
        r->display, "stopping",
        "Stopping: no new jobs; waiting for the running ones (Ctrl-C again "
        "to stop them now, their tasks left to the journal)");
    fill (r);
  } else {
    batch_display_note (r->display, "stopping-now",
                        "Stopping now: running tasks are left to the journal");
    stop_now (r);
    g_main_loop_quit (r->loop);
  }
  return G_SOURCE_CONTINUE;
}

BatchRunResult
batch_run (GPtrArray *jobs, const BatchDefaults *defaults, guint max_jobs,
           BatchDisplay *display)
{
  Runner r = { jobs, defaults, MAX (max_jobs, 1), display };
  guint sigint, sigterm, tick;
  gboolean interrupted = FALSE;
  BatchCounts c;

  r.loop = g_main_loop_new (NULL, FALSE);
  r.checking = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r.submitting = g_hash_table_new (NULL, NULL);
  r.discoverer = gst_discoverer_new (DISCOVER_TIMEOUT, NULL);
  g_signal_connect (r.discoverer, "discovered", G_CALLBACK (on_discovered), &r);
  gst_discoverer_start (r.discoverer);
  r.started = g_get_monotonic_time ();
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &r);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, &r);
  tick = g_timeout_add_seconds (1, on_tick, &r);

  fill (&r);
  if (r.active > 0 || !all_over (&r))
    g_main_loop_run (r.loop);

  g_source_remove (tick);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  gst_discoverer_stop (r.discoverer);
  g_object_unref (r.discoverer);
  /* what was never started, or was being checked when stopped now */
  for (guint i = 0; i < jobs->len; i++) {
    BatchJob *job = g_ptr_array_index (jobs, i);

    if (!batch_job_is_over (job)) {
      job->state = BATCH_JOB_NOT_RUN;
      interrupted = TRUE;
    }
    stop_pipeline (job);
    interrupted |= job->state == BATCH_JOB_INTERRUPTED;
  }
  count (&r, &c);
  batch_display_end (display, &c);
  g_hash_table_unref (r.checking);
  g_hash_table_unref (r.submitting);
  g_main_loop_unref (r.loop);
  return interrupted || r.interrupts > 0 ? BATCH_RUN_INTERRUPTED
                                         : BATCH_RUN_COMPLETE;
}
