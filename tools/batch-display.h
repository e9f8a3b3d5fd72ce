/* gst-apixo-batch: what the user sees while a batch runs
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __BATCH_DISPLAY_H__
#define __BATCH_DISPLAY_H__

#include "batch-job.h"

G_BEGIN_DECLS

typedef enum {
  BATCH_DISPLAY_TTY,   /* one status line, rewritten; failures above it */
  BATCH_DISPLAY_LINES, /* one line per event */
  BATCH_DISPLAY_JSON,  /* one JSON object per line (JSON Lines) */
} BatchDisplayMode;

typedef struct {
  guint total;
  guint queued, running, done, failed; /* done: succeeded or skipped */
  gdouble spent;  /* USD, estimates of what this run submitted */
  guint unpriced; /* submitted without a documented price */
  gint64 eta;     /* seconds; < 0: unknown */
} BatchCounts;

typedef struct _BatchDisplay BatchDisplay;

/* Writes to stdout. */
BatchDisplay *batch_display_new (BatchDisplayMode mode);
void batch_display_free (BatchDisplay *display);

/* @event of @job ("submitted", "resumed", "cached", "succeeded",
 * "skipped", "failed", "interrupted", ...). */
void batch_display_job (BatchDisplay *display, const BatchJob *job,
                        const gchar *event, const BatchCounts *counts);
/* A message about the batch (@event: "interrupt", "stop", ...). */
void batch_display_note (BatchDisplay *display, const gchar *event,
                         const gchar *text);
/* The counts changed, or a second passed (the ETA). */
void batch_display_progress (BatchDisplay *display, const BatchCounts *counts);
/* The end: the status line is finished with a newline. */
void batch_display_end (BatchDisplay *display, const BatchCounts *counts);

/* "$1.25" (micro-USD precision trimmed to cents when exact) */
gchar *batch_usd (gdouble usd);

G_END_DECLS

#endif /* __BATCH_DISPLAY_H__ */
