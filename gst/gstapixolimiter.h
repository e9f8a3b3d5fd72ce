/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_LIMITER_H__
#define __GST_APIXO_LIMITER_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * GstApixoLimiter:
 *
 * Process-wide limiter per (API key, model): keeps the requests of every
 * element within the documented requests-per-minute (a sliding 60 s window,
 * as the service counts) and the submitted-but-unfinished tasks within the
 * documented concurrency, so that many elements in one process queue
 * instead of collecting 429 answers.
 *
 * Worker thread only (no locks): grants are delivered from the worker's
 * main context, never synchronously from the acquire call.
 */
typedef struct _GstApixoLimiter GstApixoLimiter;
typedef struct _GstApixoLimiterWait GstApixoLimiterWait;

typedef void (*GstApixoLimiterGranted) (gpointer user_data);

/* Returns a reference to the limiter of @api_key + @model (the key is only
 * hashed, never stored).  Limits of 0 mean unlimited.  Limiters outlive
 * their users so that the request window survives from one pipeline to the
 * next. */
GstApixoLimiter *gst_apixo_limiter_get (const gchar *api_key,
                                        const gchar *model,
                                        guint requests_per_minute,
                                        guint concurrent_tasks);
void gst_apixo_limiter_unref (GstApixoLimiter *limiter);

/* Queues for one request slot; @granted runs once it is taken. */
GstApixoLimiterWait *
gst_apixo_limiter_acquire_request (GstApixoLimiter *limiter,
                                   GstApixoLimiterGranted granted,
                                   gpointer user_data);
/* Queues for one task slot (hold it until the task is finished). */
GstApixoLimiterWait *
gst_apixo_limiter_acquire_task (GstApixoLimiter *limiter,
                                GstApixoLimiterGranted granted,
                                gpointer user_data);
void gst_apixo_limiter_release_task (GstApixoLimiter *limiter);

/* Withdraws a wait that has not been granted yet (@granted never runs).
 * Must not be called after the grant. */
void gst_apixo_limiter_cancel (GstApixoLimiterWait *wait);

/* What holds back a wait that was not granted yet. */
typedef enum {
  GST_APIXO_LIMITER_HOLD_NONE,      /* granted at the next dispatch */
  GST_APIXO_LIMITER_HOLD_TASK_SLOT, /* every task slot is taken */
  GST_APIXO_LIMITER_HOLD_RATE,      /* the request window is full */
} GstApixoLimiterHold;

/* Must not be called after the grant. */
GstApixoLimiterHold gst_apixo_limiter_wait_hold (GstApixoLimiterWait *wait);

/* TRUE when every task slot is taken (a new task will be queued). */
gboolean gst_apixo_limiter_tasks_full (GstApixoLimiter *limiter);

/* For tests: waits queued right now. */
guint gst_apixo_limiter_queued (GstApixoLimiter *limiter);

G_END_DECLS

#endif /* __GST_APIXO_LIMITER_H__ */
