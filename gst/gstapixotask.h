/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_TASK_H__
#define __GST_APIXO_TASK_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstapixoclient.h"
#include "gstapixoerror.h"
#include "gstapixohttp.h"
#include "gstapixoprogress.h"
#include "gstapixorun.h"
#include "gstapixowebhook.h"
#include "gstapixoworker.h"

G_BEGIN_DECLS

/**
 * GstApixoTask:
 *
 * One generation task on the worker thread: waits for a task slot of the
 * process-wide limiter, submits (never twice where the service may have
 * created the task), then polls on the schedule (an early check for fast
 * failures, the model's documented first poll and interval, then a gently
 * growing interval) until success, failure or the deadline.  Transient
 * failures are retried with backoff and jitter, honouring Retry-After.
 *
 * Everything it reports goes through the callbacks, on the worker thread.
 */
typedef struct _GstApixoTask GstApixoTask;

typedef struct {
  /* A task slot is awaited (the process has as many unfinished tasks as
   * the model allows). Not called when a slot is free at once. */
  void (*queued) (GstApixoTask *task, gpointer user_data);
  /* The service accepted the task (or resume started). */
  void (*submitted) (GstApixoTask *task, const gchar *task_id,
                     gpointer user_data);
  /* A poll answered; called for every poll (@changed: the state differs
   * from the previous poll's). */
  void (*polled) (GstApixoTask *task, const GstApixoTaskStatus *status,
                  gboolean changed, guint poll_count, gdouble elapsed,
                  gpointer user_data);
  /* The end: @status is the success status (error NULL), or @error (a
   * GST_RESOURCE_ERROR) with @details (gstapixoerror.h: task-id when known,
   * model, reason, http-status, api-code; fail-code and fail-msg for a
   * failed task).  Called once, unless cancelled. */
  void (*finished) (GstApixoTask *task, const GstApixoTaskStatus *status,
                    const GError *error, const GstStructure *details,
                    gpointer user_data);
  /* Optional: the submission is being sent; from now until it is
   * answered the service may have created (and bill) a task whose id we do
   * not know yet. */
  void (*sending) (GstApixoTask *task, gpointer user_data);
  /* Optional: check-balance read the account's balance, @usd, before
   * submitting (called before the refusal of a balance below the
   * estimate). */
  void (*balance) (GstApixoTask *task, gdouble usd, gpointer user_data);
  /* Optional: the heartbeat, every progress-interval seconds from the
   * start to the end, whatever the task waits for (@progress: borrowed,
   * for this call). */
  void (*heartbeat) (GstApixoTask *task, const GstApixoProgress *progress,
                     gpointer user_data);
  /* Optional: a delivery to the task's webhook was confirmed by a status
   * request; @final: that request found the task ended (success or
   * failed; the end follows through finished), FALSE: it had not (a
   * forged delivery). */
  void (*confirmed) (GstApixoTask *task, gboolean final, gpointer user_data);
  /* Optional, from gst_apixo_task_free(): the task was freed after
   * sending (see sending) but before its request's headers were written
   * (it waited for a connection): the service cannot have it. */
  void (*unsent) (GstApixoTask *task, gpointer user_data);
} GstApixoTaskCallbacks;

/* Any thread.  The task of @config's model (it holds a reference): with
 * @body (taken), the generateTask body with the local inputs resolved,
 * submitted; with NULL, the task @resume_id resumed (NULL: config's
 * task-id; the journal's record of an earlier run gives others).  Polls on
 * config's schedule (early-poll, first_poll, poll_interval, typical_time),
 * gives up at its deadline, retries with its HTTP settings, within the
 * model's documented rate limits. */
GstApixoTask *gst_apixo_task_new (GstApixoWorker *worker,
                                  GstApixoRunConfig *config, JsonNode *body,
                                  const gchar *resume_id,
                                  const GstApixoTaskCallbacks *callbacks,
                                  gpointer user_data);

/* Any thread, before gst_apixo_task_start().  The estimated cost of the
 * submission in USD (< 0: unknown, the default): with check-balance, a
 * balance below it is refused before anything is sent; a refusal of the
 * service (HTTP 402) says it. */
void gst_apixo_task_set_estimated_cost (GstApixoTask *task, gdouble usd);
/* Any thread, before start().  A resumed task was submitted at @unix_us
 * (g_get_real_time(); 0: unknown, the default): its elapsed time, percent
 * and poll schedule count from then, not from the resumption. */
void gst_apixo_task_set_resumed_submit_time (GstApixoTask *task,
                                             gint64 unix_us);
/* Any thread, before start().  Callback mode with our own receiver: the
 * task (which takes a reference) is woken by @webhook's deliveries and
 * confirms each with a status request; its polls become a slow safety net
 * (2 x the first poll, then every 12 x the poll interval). */
void gst_apixo_task_set_webhook (GstApixoTask *task, GstApixoWebhook *webhook);

/* Any thread.  Starts the task on the worker. */
void gst_apixo_task_start (GstApixoTask *task);

/* Any thread but the worker's.  Cancels what is in flight and waits until
 * the worker has let go of the task: no callback runs after this returns.
 * Returns promptly. */
void gst_apixo_task_free (GstApixoTask *task);

G_END_DECLS

#endif /* __GST_APIXO_TASK_H__ */
