/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * What a run owes to the runs after it: its journal record, its cache entry.
 *
 * Thread safety notes
 * -------------------
 * - claim, cache, identity, model, save_location, warn and user_data are
 *   set at creation and read-only (the claim and the cache have their own
 *   rules: gstapixoclaim.c, gstapixocache.c).  sidecar is set on the
 *   worker before complete(), which copies it for the store thread.
 * - The steps are called one at a time per run (the task's callbacks and
 *   the spool's on the worker, streamed() on the streaming thread after the
 *   download is over), so the record's writes keep their order.
 * - d->store_lock guards d->store (the running cache store): set by
 *   complete() on the worker, taken by free() on the application thread.
 *   The store thread itself only reads immutable fields and its CacheStore.
 * - No lock of ours is held while calling the claim, the cache or warn().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixodelivery.h"
#include "gstapixodebug.h"
#include "gstapixoerror.h"

#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (apixo_delivery_debug);
#define GST_CAT_DEFAULT apixo_delivery_debug

typedef struct {
  GstApixoDelivery *d;
  GThread *thread;
  GCancellable *cancellable;
  gint fd; /* the complete result */
  guint64 size;
  GstApixoCacheMeta meta;
  GFunc done;
  gpointer done_data;
} CacheStore;

struct _GstApixoDelivery {
  GstApixoClaim *claim;
  GstApixoCache *cache;
  GstApixoIdentity *identity;
  gchar *model;
  gchar *save_location;
  gchar *sidecar; /* set before complete(), by the same thread */
  GstApixoDeliveryWarnFunc warn;
  gpointer user_data;

  GMutex store_lock;
  CacheStore *store;
};

GstApixoDelivery *
gst_apixo_delivery_new (GstApixoClaim *claim, GstApixoCache *cache,
                        const GstApixoIdentity *identity, const gchar *model,
                        const gchar *save_location,
                        GstApixoDeliveryWarnFunc warn, gpointer user_data)
{
  GstApixoDelivery *d = g_new0 (GstApixoDelivery, 1);

  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (
      apixo_delivery_debug, "apixodelivery", 0,
      "APIXO: the journal record and cache entry of a run");
  d->claim = claim;
  d->cache = cache;
  if (cache != NULL)
    d->identity = gst_apixo_identity_copy (identity);
  d->model = g_strdup (model);
  d->save_location = g_strdup (save_location);
  d->warn = warn;
  d->user_data = user_data;
  g_mutex_init (&d->store_lock);
  return d;
}

/* ---- the journal ---------------------------------------------------------- */

/* The journal could not be written (@error, taken): the run goes on, but a
 * crash would no longer be recovered from. */
static void
journal_failed (GstApixoDelivery *d, GError *error)
{
  gchar *text = g_strdup_printf (
      "The journal of runs could not be written (%s): a crash or kill of "
      "this run could not be resumed from it; check cache-directory",
      error->message);

  d->warn (text, d->user_data);
  g_free (text);
  g_error_free (error);
}

void
gst_apixo_delivery_sending (GstApixoDelivery *d)
{
  GError *error = NULL;

  if (d == NULL)
    return;
  /* Before the request leaves: a run killed from now on is found by the
   * next one (the outcome is unknown until the task id is recorded). */
  if (d->claim != NULL && !gst_apixo_claim_sending (d->claim, &error))
    journal_failed (d, error);
}

void
gst_apixo_delivery_unsent (GstApixoDelivery *d)
{
  GError *error = NULL;

  if (d == NULL || d->claim == NULL)
    return;
  /* closed: the next run of the request submits it */
  if (!gst_apixo_claim_close (d->claim, GST_APIXO_JOURNAL_FAILED, NULL, 0,
                              "stopped before the submission was sent: "
                              "nothing was billed",
                              &error))
    journal_failed (d, error);
}

void
gst_apixo_delivery_task_id (GstApixoDelivery *d, const gchar *task_id,
                            gboolean resumed)
{
  GError *error = NULL;

  if (d == NULL)
    return;
  /* the id is durable before anyone can lose it */
  if (d->claim != NULL &&
      !gst_apixo_claim_task_id (d->claim, task_id, resumed, &error))
    journal_failed (d, error);
}

void
gst_apixo_delivery_succeeded (GstApixoDelivery *d, const gchar *result_url)
{
  GError *error = NULL;

  if (d == NULL)
    return;
  if (d->claim != NULL &&
      !gst_apixo_claim_succeeded (d->claim, result_url, &error))
    journal_failed (d, error);
}

/* The record closes when nothing more can come of the task (the service
 * said failed, or nothing was submitted).  A submission of unknown outcome,
 * or a task given up on at the deadline, stays open: the next run must not
 * pay again. */
void
gst_apixo_delivery_failed (GstApixoDelivery *d, const GError *failure,
                           const GstStructure *details)
{
  const gchar *reason =
      details ? gst_structure_get_string (details, GST_APIXO_ERROR_FIELD_REASON)
              : NULL;
  gboolean known_id = details && gst_structure_has_field (
                                     details, GST_APIXO_ERROR_FIELD_TASK_ID);
  GError *error = NULL;

  if (d == NULL || d->claim == NULL)
    return;
  if (g_strcmp0 (reason, GST_APIXO_REASON_FAILED) != 0 &&
      (known_id || g_strcmp0 (reason, GST_APIXO_REASON_OUTCOME_UNKNOWN) == 0))
    return;
  if (!gst_apixo_claim_close (d->claim, GST_APIXO_JOURNAL_FAILED, NULL, 0,
                              failure->message, &error))
    journal_failed (d, error);
}

/* Delivered: the record closes (@location: where the result is kept, NULL:
 * only streamed). */
static void
record_delivered (GstApixoDelivery *d, const gchar *location, guint64 size)
{
  GError *error = NULL;

  if (d->claim != NULL &&
      !gst_apixo_claim_close (d->claim, GST_APIXO_JOURNAL_DELIVERED, location,
                              size, NULL, &error))
    journal_failed (d, error);
}

void
gst_apixo_delivery_streamed (GstApixoDelivery *d)
{
  if (d != NULL)
    record_delivered (d, NULL, 0);
}

/* ---- the cache ------------------------------------------------------------ */

/* The result's entry in the cache, then the record closed.  A cache that
 * cannot be written costs the next run, never this one's result: a
 * warning. */
static gpointer
cache_store_thread (gpointer data)
{
  CacheStore *store = data;
  GstApixoDelivery *d = store->d;
  GError *error = NULL;
  gchar *text, *entry = NULL;
  gboolean ok;

  ok =
      d->save_location != NULL
          ? gst_apixo_cache_store_file (d->cache, d->save_location,
                                        &store->meta, store->cancellable,
                                        &error)
          : gst_apixo_cache_store_fd (d->cache, store->fd, store->size,
                                      &store->meta, store->cancellable, &error);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    text = g_strdup_printf ("The result could not be stored in the cache "
                            "(%s); check cache-directory",
                            error->message);
    d->warn (text, d->user_data);
    g_free (text);
  }
  if (ok && d->save_location == NULL)
    entry = g_strdup_printf ("%s/%s.mp4", gst_apixo_cache_get_dir (d->cache),
                             store->meta.key);
  /* Stopped meanwhile: not delivered (the record stays open, for the next
   * run to resume) unless the file is kept at save-location. */
  if (d->save_location != NULL || ok)
    record_delivered (d, d->save_location ? d->save_location : entry,
                      store->size);
  g_free (entry);
  g_clear_error (&error);
  store->done (store->done_data, NULL);
  return NULL;
}

gboolean
gst_apixo_delivery_complete (GstApixoDelivery *d, GstApixoSpool *spool,
                             const gchar *task_id, gint64 task_time, GFunc done,
                             gpointer done_data)
{
  CacheStore *store;
  guint64 size = 0;

  if (d == NULL)
    return TRUE;
  gst_apixo_spool_get_size (spool, &size);
  if (d->cache == NULL) {
    if (d->save_location != NULL)
      record_delivered (d, d->save_location, size);
    return TRUE;
  }

  store = g_new0 (CacheStore, 1);
  store->d = d;
  store->fd = gst_apixo_spool_dup_fd (spool);
  store->size = size;
  store->meta.key = g_strdup (d->identity->cache_key);
  store->meta.request = g_strdup (d->identity->request);
  store->meta.task_id = g_strdup (task_id);
  store->meta.model = g_strdup (d->model);
  store->meta.task_time = task_time;
  store->meta.sidecar = g_strdup (d->sidecar);
  store->done = done;
  store->done_data = done_data;
  store->cancellable = g_cancellable_new ();
  g_mutex_lock (&d->store_lock);
  g_warn_if_fail (d->store == NULL);
  d->store = store;
  store->thread = g_thread_new ("apixo-cache-store", cache_store_thread, store);
  g_mutex_unlock (&d->store_lock);
  return FALSE;
}

void
gst_apixo_delivery_set_sidecar (GstApixoDelivery *d, const gchar *sidecar)
{
  if (d == NULL)
    return;
  g_free (d->sidecar);
  d->sidecar = g_strdup (sidecar);
}

/* free(): a running store is cancelled (hashing stops at the next read)
 * and joined. */
static void
stop_cache_store (GstApixoDelivery *d)
{
  CacheStore *store;

  g_mutex_lock (&d->store_lock);
  store = g_steal_pointer (&d->store);
  g_mutex_unlock (&d->store_lock);
  if (store == NULL)
    return;
  g_cancellable_cancel (store->cancellable);
  g_thread_join (store->thread);
  g_object_unref (store->cancellable);
  if (store->fd >= 0)
    close (store->fd);
  g_free (store->meta.key);
  g_free (store->meta.request);
  g_free (store->meta.task_id);
  g_free (store->meta.model);
  g_free (store->meta.sidecar);
  g_free (store);
}

void
gst_apixo_delivery_free (GstApixoDelivery *d)
{
  if (d == NULL)
    return;
  stop_cache_store (d);
  gst_apixo_claim_release (d->claim);
  g_clear_pointer (&d->cache, gst_apixo_cache_free);
  gst_apixo_identity_free (d->identity);
  g_free (d->model);
  g_free (d->save_location);
  g_free (d->sidecar);
  g_mutex_clear (&d->store_lock);
  g_free (d);
}
