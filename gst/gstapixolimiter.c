/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Per (API key, model) request and task limiter.
 *
 * Thread safety notes
 * -------------------
 * Everything here runs on the worker thread: the registry, the limiters,
 * their queues and timers.  There is no lock.  Sources are attached to the
 * thread-default context of the caller (the worker's) and destroyed as soon
 * as the queues are empty, so none survives a worker restart.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixolimiter.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (apixo_limiter_debug);
#define GST_CAT_DEFAULT apixo_limiter_debug

/* The service counts requests per minute; requests reach it a little after
 * we send them, so our window is slightly longer than its own. */
#define WINDOW_US (G_USEC_PER_SEC * 61)

struct _GstApixoLimiter {
  gint refcount;
  gchar *name; /* "model/key-hash-prefix", for logs */
  guint rpm;
  guint max_tasks;

  gint64 *stamps; /* ring of the last rpm grant times */
  guint n_stamps;
  guint head; /* oldest stamp when full */

  guint tasks; /* task slots held */
  GQueue request_waits;
  GQueue task_waits;
  GSource *wakeup; /* idle or timer that runs dispatch */
};

struct _GstApixoLimiterWait {
  GstApixoLimiter *limiter;
  gboolean for_task;
  GstApixoLimiterGranted granted;
  gpointer user_data;
  GList link;
};

static GHashTable *registry; /* name -> limiter (one reference) */

static void limiter_schedule (GstApixoLimiter *limiter, gint64 delay_us);

static gchar *
limiter_name (const gchar *api_key, const gchar *model)
{
  gchar *hash, *name;

  /* Only a prefix of a digest: enough to tell keys apart in a log, useless
   * to recover the key. */
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                        api_key ? api_key : "", -1);
  name = g_strdup_printf ("%s/%.8s", model, hash);
  g_free (hash);
  return name;
}

GstApixoLimiter *
gst_apixo_limiter_get (const gchar *api_key, const gchar *model,
                       guint requests_per_minute, guint concurrent_tasks)
{
  GstApixoLimiter *limiter;
  gchar *name;

  if (registry == NULL) {
    GST_DEBUG_CATEGORY_INIT (apixo_limiter_debug, "apixolimiter", 0,
                             "APIXO request and task limiter");
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  }

  name = limiter_name (api_key, model);
  limiter = g_hash_table_lookup (registry, name);
  if (limiter != NULL) {
    g_free (name);
    limiter->refcount++;
    return limiter;
  }

  limiter = g_new0 (GstApixoLimiter, 1);
  limiter->refcount = 2; /* the registry's and the caller's */
  limiter->name = name;
  limiter->rpm = requests_per_minute;
  limiter->max_tasks = concurrent_tasks;
  if (limiter->rpm > 0)
    limiter->stamps = g_new0 (gint64, limiter->rpm);
  g_queue_init (&limiter->request_waits);
  g_queue_init (&limiter->task_waits);
  g_hash_table_insert (registry, limiter->name, limiter);
  GST_DEBUG ("limiter %s: %u requests/min, %u tasks", name, limiter->rpm,
             limiter->max_tasks);
  return limiter;
}

void
gst_apixo_limiter_unref (GstApixoLimiter *limiter)
{
  /* The registry keeps one reference: limiters live as long as the process
   * so that the request window carries over between pipelines. */
  g_return_if_fail (limiter->refcount > 1);
  limiter->refcount--;
}

/* Returns 0 if a request may go now, else how long until it may (µs). */
static gint64
limiter_request_delay (GstApixoLimiter *limiter, gint64 now)
{
  gint64 oldest;

  if (limiter->rpm == 0 || limiter->n_stamps < limiter->rpm)
    return 0;
  oldest = limiter->stamps[limiter->head];
  return MAX (0, oldest + WINDOW_US - now);
}

static void
limiter_take_request (GstApixoLimiter *limiter, gint64 now)
{
  if (limiter->rpm == 0)
    return;
  if (limiter->n_stamps < limiter->rpm) {
    limiter->stamps[(limiter->head + limiter->n_stamps) % limiter->rpm] = now;
    limiter->n_stamps++;
  } else {
    limiter->stamps[limiter->head] = now;
    limiter->head = (limiter->head + 1) % limiter->rpm;
  }
}

static void
limiter_grant (GstApixoLimiterWait *wait)
{
  GstApixoLimiterGranted granted = wait->granted;
  gpointer user_data = wait->user_data;

  g_free (wait);
  granted (user_data);
}

/* Grants what can be granted; returns the delay until the next request
 * slot frees (0: nothing is waiting on the window). */
static gint64
limiter_dispatch_once (GstApixoLimiter *limiter)
{
  gint64 now = g_get_monotonic_time ();
  GList *link;

  while (!g_queue_is_empty (&limiter->task_waits) &&
         (limiter->max_tasks == 0 || limiter->tasks < limiter->max_tasks)) {
    link = g_queue_pop_head_link (&limiter->task_waits);
    limiter->tasks++;
    limiter_grant (link->data);
  }

  while (!g_queue_is_empty (&limiter->request_waits)) {
    gint64 delay = limiter_request_delay (limiter, now);

    if (delay > 0) {
      GST_LOG ("limiter %s: request window full for %" G_GINT64_FORMAT " ms",
               limiter->name, delay / 1000);
      return delay;
    }
    limiter_take_request (limiter, now);
    link = g_queue_pop_head_link (&limiter->request_waits);
    limiter_grant (link->data);
  }
  return 0;
}

static gboolean
limiter_wakeup (gpointer data)
{
  GstApixoLimiter *limiter = data;
  gint64 delay;

  g_clear_pointer (&limiter->wakeup, g_source_unref);
  delay = limiter_dispatch_once (limiter);
  if (delay > 0)
    limiter_schedule (limiter, delay);
  return G_SOURCE_REMOVE;
}

static void
limiter_schedule (GstApixoLimiter *limiter, gint64 delay_us)
{
  if (limiter->wakeup != NULL) {
    if (delay_us > 0)
      return; /* a wake-up is armed already */
    g_source_destroy (limiter->wakeup);
    g_clear_pointer (&limiter->wakeup, g_source_unref);
  }
  if (delay_us > 0)
    limiter->wakeup = g_timeout_source_new ((delay_us + 999) / 1000);
  else
    limiter->wakeup = g_idle_source_new ();
  g_source_set_callback (limiter->wakeup, limiter_wakeup, limiter, NULL);
  g_source_attach (limiter->wakeup, g_main_context_get_thread_default ());
}

static void
limiter_cancel_wakeup_if_idle (GstApixoLimiter *limiter)
{
  if (limiter->wakeup != NULL && g_queue_is_empty (&limiter->request_waits) &&
      g_queue_is_empty (&limiter->task_waits)) {
    g_source_destroy (limiter->wakeup);
    g_clear_pointer (&limiter->wakeup, g_source_unref);
  }
}

static GstApixoLimiterWait *
limiter_enqueue (GstApixoLimiter *limiter, gboolean for_task,
                 GstApixoLimiterGranted granted, gpointer user_data)
{
  GstApixoLimiterWait *wait = g_new0 (GstApixoLimiterWait, 1);

  wait->limiter = limiter;
  wait->for_task = for_task;
  wait->granted = granted;
  wait->user_data = user_data;
  wait->link.data = wait;
  g_queue_push_tail_link (
      for_task ? &limiter->task_waits : &limiter->request_waits, &wait->link);
  /* Grants are never synchronous: the caller finishes its own bookkeeping
   * first.  An armed timer means the request window is full: it stays,
   * unless a task slot may be free now. */
  if (for_task || limiter->wakeup == NULL)
    limiter_schedule (limiter, 0);
  return wait;
}

GstApixoLimiterWait *
gst_apixo_limiter_acquire_request (GstApixoLimiter *limiter,
                                   GstApixoLimiterGranted granted,
                                   gpointer user_data)
{
  return limiter_enqueue (limiter, FALSE, granted, user_data);
}

GstApixoLimiterWait *
gst_apixo_limiter_acquire_task (GstApixoLimiter *limiter,
                                GstApixoLimiterGranted granted,
                                gpointer user_data)
{
  return limiter_enqueue (limiter, TRUE, granted, user_data);
}

void
gst_apixo_limiter_release_task (GstApixoLimiter *limiter)
{
  g_return_if_fail (limiter->tasks > 0);
  limiter->tasks--;
  if (!g_queue_is_empty (&limiter->task_waits))
    limiter_schedule (limiter, 0);
}

void
gst_apixo_limiter_cancel (GstApixoLimiterWait *wait)
{
  GstApixoLimiter *limiter = wait->limiter;

  g_queue_unlink (wait->for_task ? &limiter->task_waits
                                 : &limiter->request_waits,
                  &wait->link);
  g_free (wait);
  limiter_cancel_wakeup_if_idle (limiter);
}

gboolean
gst_apixo_limiter_tasks_full (GstApixoLimiter *limiter)
{
  /* Grants come on a later dispatch, so the slots promised to the waits
   * queued ahead count as taken: otherwise every task started in the same
   * main-loop iteration (15 elements going to PLAYING together) sees free
   * slots, and the ones that end up queued are never told they wait. */
  return limiter->max_tasks > 0 &&
         limiter->tasks + g_queue_get_length (&limiter->task_waits) >=
             limiter->max_tasks;
}

GstApixoLimiterHold
gst_apixo_limiter_wait_hold (GstApixoLimiterWait *wait)
{
  GstApixoLimiter *limiter = wait->limiter;
  gint ahead;

  if (wait->for_task) {
    /* the waits queued ahead take the slots that free first */
    ahead = g_queue_link_index (&limiter->task_waits, &wait->link);
    return limiter->max_tasks > 0 &&
                   limiter->tasks + ahead >= limiter->max_tasks
               ? GST_APIXO_LIMITER_HOLD_TASK_SLOT
               : GST_APIXO_LIMITER_HOLD_NONE;
  }
  return limiter_request_delay (limiter, g_get_monotonic_time ()) > 0
             ? GST_APIXO_LIMITER_HOLD_RATE
             : GST_APIXO_LIMITER_HOLD_NONE;
}

guint
gst_apixo_limiter_queued (GstApixoLimiter *limiter)
{
  return g_queue_get_length (&limiter->request_waits) +
         g_queue_get_length (&limiter->task_waits);
}
