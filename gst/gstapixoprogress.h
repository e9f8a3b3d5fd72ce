/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_PROGRESS_H__
#define __GST_APIXO_PROGRESS_H__

#include <gst/gst.h>

#include "gstapixorun.h"

G_BEGIN_DECLS

/* What a task that has not finished waits for (the "waiting-for" field of
 * the "state" event). */
typedef enum {
  GST_APIXO_WAITING_GENERATION,   /* the service: submission, generation */
  GST_APIXO_WAITING_RATE_LIMIT,   /* the model's requests per minute */
  GST_APIXO_WAITING_TASK_SLOT,    /* the model's concurrent tasks */
  GST_APIXO_WAITING_RETRY,        /* a backoff after a failed request */
  GST_APIXO_WAITING_SAME_REQUEST, /* another run of the same request */
} GstApixoWaitingFor;

/**
 * GstApixoProgress:
 * @task_id: the task, NULL before the service gave its id
 * @state: the service's last state, else "queued" (not sent yet),
 *   "submitting" (sent, unanswered) or "submitted" (not polled yet)
 * @elapsed: seconds since the submission was answered (before: since the
 *   task started waiting)
 * @poll_count: status answers so far
 * @typical: the typical generation time of the request (run config), s
 * @typical_documented: the page gives @typical (else it is only the
 *   service's general advice: no time left can be estimated)
 * @waiting_for: what the task waits for now
 * @why: what holds it back, said to a person (rate limit, task slot,
 *   retry), or NULL
 *
 * One report of a task's progress, as the task knows it: what the
 * "state" event and the GST_MESSAGE_PROGRESS text are made of.  The
 * percentage and the time left are estimated from the typical time, since
 * the service reports no progress of its own: 90 % at the typical time,
 * then slowly towards 99 %, and 100 % only at success.
 *
 * Plain data and pure functions: any thread.
 */
typedef struct {
  const gchar *task_id;
  const gchar *state;
  gdouble elapsed;
  guint poll_count;
  gdouble typical;
  gboolean typical_documented;
  GstApixoWaitingFor waiting_for;
  const gchar *why;
} GstApixoProgress;

/* @p with the typical time of @config's request, the rest empty. */
void gst_apixo_progress_init (GstApixoProgress *p,
                              const GstApixoRunConfig *config);

/* 100 at success; before it 0-99, never decreasing as @elapsed grows;
 * 0 before the submission was answered. */
gint gst_apixo_progress_percent (const GstApixoProgress *p);

/* Seconds left (>= 0) while the typical time is not reached, else -1
 * (unknown: taking longer than usual, not submitted, or no documented
 * time). */
gdouble gst_apixo_progress_eta (const GstApixoProgress *p);

/* "generation", "rate-limit", "task-slot" or "retry". */
const gchar *gst_apixo_waiting_for_nick (GstApixoWaitingFor waiting_for);

/* The "apixo-task" element message structure of @p: event "state", with
 * task-id (when known), state, elapsed, poll-count, percent, eta (when
 * known) and waiting-for. */
GstStructure *gst_apixo_progress_new_state_event (const GstApixoProgress *p);

/* The text of the GST_MESSAGE_PROGRESS (CONTINUE) of @p, e.g. "Task X:
 * processing, 45 %, about 40 s left". */
gchar *gst_apixo_progress_describe (const GstApixoProgress *p);

G_END_DECLS

#endif /* __GST_APIXO_PROGRESS_H__ */
