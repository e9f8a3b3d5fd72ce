/* gst-apixo-batch: running the jobs
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __BATCH_RUNNER_H__
#define __BATCH_RUNNER_H__

#include "batch-display.h"
#include "batch-job.h"

G_BEGIN_DECLS

typedef enum {
  BATCH_RUN_COMPLETE,    /* every job came to an end */
  BATCH_RUN_INTERRUPTED, /* Ctrl-C/SIGTERM: some jobs did not */
} BatchRunResult;

/* Runs the QUEUED jobs of @jobs (BatchJob), at most @max_jobs at once, on
 * the default main context, until every job is over or the batch is
 * stopped (SIGINT/SIGTERM: a first stops starting jobs and lets the
 * running ones finish, a second stops them, their tasks left to the
 * elements' journal).  A job whose output exists and decodes is SKIPPED;
 * every generated output is decoded once and checked (duration > 0, a
 * video stream with a size). */
BatchRunResult batch_run (GPtrArray *jobs, const BatchDefaults *defaults,
                          guint max_jobs, BatchDisplay *display);

G_END_DECLS

#endif /* __BATCH_RUNNER_H__ */
