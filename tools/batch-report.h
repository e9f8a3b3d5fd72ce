/* gst-apixo-batch: the summary table and the JSON report
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __BATCH_REPORT_H__
#define __BATCH_REPORT_H__

#include <stdio.h>

#include "batch-job.h"

G_BEGIN_DECLS

/* One row per job: id, state, task id, estimated cost, duration, size,
 * output or error; then the totals. */
void batch_report_print_table (GPtrArray *jobs, FILE *out);

/* @path: {"manifest", "jobs": [every job's members, see
 * batch_job_add_json_members()], "totals": {jobs, succeeded, skipped,
 * failed, invalid, not-run, interrupted, estimated-cost, paid-estimated-cost,
 * unpriced}}, written atomically. */
gboolean batch_report_write (GPtrArray *jobs, const gchar *manifest,
                             const gchar *path, GError **error);

G_END_DECLS

#endif /* __BATCH_REPORT_H__ */
