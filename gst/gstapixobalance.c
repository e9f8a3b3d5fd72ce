/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * One balance read for an application thread (the "read-balance" action
 * signal of the elements).
 *
 * Thread safety notes
 * -------------------
 * - A Read lives on the caller's stack: the caller waits on read->cond
 *   (under read->lock) until the worker sets read->done; the worker writes
 *   read->usd, read->error and read->done under read->lock and touches
 *   nothing of it afterwards.  The client is created, used and freed on
 *   the worker thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixobalance.h"
#include "gstapixoclient.h"
#include "gstapixoworker.h"

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean done;
  gdouble usd;
  GError *error;

  GstApixoRunConfig *config; /* the caller's reference */
  GstApixoWorker *worker;
  GstApixoClient *client; /* worker thread */
} Read;

static void
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Read *read = user_data;
  GstApixoApiError err = { 0 };
  gdouble usd = -1;
  gboolean ok;

  ok = gst_apixo_client_balance_finish (read->client, result, &usd, &err);
  gst_apixo_client_free (read->client);
  g_mutex_lock (&read->lock);
  read->usd = usd;
  if (!ok)
    read->error = g_steal_pointer (&err.error);
  read->done = TRUE;
  g_cond_signal (&read->cond);
  g_mutex_unlock (&read->lock);
  gst_apixo_api_error_clear (&err);
}

static gboolean
read_start (gpointer user_data)
{
  Read *read = user_data;

  read->client = gst_apixo_client_new (read->config);
  gst_apixo_client_balance_async (read->client, read->worker, NULL, read_done,
                                  read);
  return G_SOURCE_REMOVE;
}

gboolean
gst_apixo_balance_read (GstApixoRunConfig *config, gdouble *usd, GError **error)
{
  Read read = { 0 };

  g_mutex_init (&read.lock);
  g_cond_init (&read.cond);
  read.config = config;
  read.worker = gst_apixo_worker_acquire ();
  gst_apixo_worker_invoke (read.worker, read_start, &read, NULL);
  g_mutex_lock (&read.lock);
  while (!read.done)
    g_cond_wait (&read.cond, &read.lock);
  g_mutex_unlock (&read.lock);
  gst_apixo_worker_release (read.worker);
  g_mutex_clear (&read.lock);
  g_cond_clear (&read.cond);
  *usd = read.usd;
  if (read.error == NULL)
    return TRUE;
  g_propagate_error (error, read.error);
  return FALSE;
}
