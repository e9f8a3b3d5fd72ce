/* gst-apixo-batch: one job (a manifest row) on the plugin's elements
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __BATCH_JOB_H__
#define __BATCH_JOB_H__

#include <gst/gst.h>

#include "batch-manifest.h"

G_BEGIN_DECLS

typedef enum {
  BATCH_JOB_QUEUED,      /* not started */
  BATCH_JOB_CHECKING,    /* its output exists: being decoded (resume) */
  BATCH_JOB_RUNNING,     /* its pipeline runs */
  BATCH_JOB_VERIFYING,   /* generated: its output is being decoded */
  BATCH_JOB_SUCCEEDED,   /* generated (or served) and its output decodes */
  BATCH_JOB_SKIPPED,     /* its output was there and decodes: not run */
  BATCH_JOB_FAILED,      /* the element's error, or an output that does
                            not decode */
  BATCH_JOB_INVALID,     /* refused by validation (--keep-going) */
  BATCH_JOB_NOT_RUN,     /* not started: the batch was stopped (Ctrl-C) */
  BATCH_JOB_INTERRUPTED, /* stopped while running: its task (if any) is
                            left to the journal */
} BatchJobState;

/* One job.  Single-threaded: everything runs on the main context. */
typedef struct {
  const BatchRow *row; /* the manifest's */
  gchar *id;
  gchar *output; /* absolute */
  gchar *model;
  const gchar *factory; /* apixosrc or apixoanimatesrc */

  /* from the element's validation */
  gdouble estimate; /* USD; < 0: no documented price */
  guint concurrent_tasks;
  gint want_width, want_height; /* the size asked for; 0: not named */
  gchar *request_key;           /* the run identity's key; NULL: not known */

  BatchJobState state;
  gchar *task_id;
  gboolean paid;               /* submitted by this run ("submitted") */
  gboolean resumed;            /* a task of an earlier run ("resumed") */
  gchar *served;               /* "cached", "shared", "replayed": no task ran */
  gint64 start_time, end_time; /* g_get_real_time(); 0: not yet */

  /* why it failed */
  gchar *error;
  gchar *reason; /* the apixo-error reason, or "output-check" */
  gchar *fail_code;

  /* the decoded output */
  GstClockTime duration;
  gint width, height;

  GstElement *pipeline; /* while running */
  guint bus_watch;
} BatchJob;

/* What every row gets before its own fields: --model and --set, as a row
 * of line 0 ("model" included). */
typedef BatchRow BatchDefaults;

/* @output_dir: absolute. */
BatchJob *batch_job_new (const BatchRow *row, const gchar *output_dir);
void batch_job_free (BatchJob *job);

/* The element's own checks (its "validate" action signal) on the row's
 * properties: TRUE, with ->estimate, ->concurrent_tasks and ->request_key;
 * or FALSE and
 * @error "line N: field F: <the element's message>". */
gboolean batch_job_validate (BatchJob *job, const BatchDefaults *defaults,
                             GError **error);

/* The job's source, its properties set (defaults, row, save-location),
 * or NULL and @error as batch_job_validate() says it. */
GstElement *batch_job_make_source (BatchJob *job, const BatchDefaults *defaults,
                                   GError **error);

/* The job's pipeline, source ! fakesink (the result is kept at
 * save-location; nothing decodes it here). */
GstElement *batch_job_make_pipeline (BatchJob *job,
                                     const BatchDefaults *defaults,
                                     GError **error);

const gchar *batch_job_state_name (BatchJobState state);
/* SUCCEEDED or SKIPPED */
gboolean batch_job_is_good (const BatchJob *job);
/* not QUEUED, CHECKING, RUNNING or VERIFYING */
gboolean batch_job_is_over (const BatchJob *job);

/* What is known of the job: "id", "line", "state", "output", "paid",
 * "resumed" always; "model", "task-id", "served", "error", "reason",
 * "fail-code", "estimated-cost" (USD), "start-time", "end-time" (ISO
 * 8601), "duration" (s), "width", "height" when known. */
GstStructure *batch_job_describe (const BatchJob *job);

/* The fields of @s (strings, numbers, booleans) as members of the object
 * @b is building. */
void batch_json_add_structure (JsonBuilder *b, const GstStructure *s);

void batch_job_set_error (BatchJob *job, const gchar *reason,
                          const gchar *fail_code, const gchar *message);

G_END_DECLS

#endif /* __BATCH_JOB_H__ */
