/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_WORKER_H__
#define __GST_APIXO_WORKER_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * GstApixoWorker:
 *
 * The process-wide HTTP worker shared by every apixo element: one thread
 * running a private #GMainContext, and the #SoupSession(s) created inside it
 * (libsoup 3 objects may only be used from the thread whose thread-default
 * context they were created in).  All network I/O of the plugin runs here;
 * streaming threads only wait for results.
 */
typedef struct _GstApixoWorker GstApixoWorker;

/* Any thread.  Returns a reference; the thread starts on first use. */
GstApixoWorker *gst_apixo_worker_acquire (void);

/* Any thread but the worker's own.  Dropping the last reference stops the
 * worker thread and joins it: everything the caller scheduled must be
 * finished (or cancelled and completed) before. */
void gst_apixo_worker_release (GstApixoWorker *worker);

GMainContext *gst_apixo_worker_get_context (GstApixoWorker *worker);

/* Any thread.  Schedules @func on the worker thread (it runs once; its return
 * value is ignored). @notify frees @data after @func ran. */
void gst_apixo_worker_invoke (GstApixoWorker *worker, GSourceFunc func,
                              gpointer data, GDestroyNotify notify);

/* Any thread.  Adds a timeout source on the worker context, interval in ms;
 * returns the new source (a reference owned by the caller: destroy it with
 * g_source_destroy() + g_source_unref()). */
GSource *gst_apixo_worker_add_timeout (GstApixoWorker *worker, guint ms,
                                       GSourceFunc func, gpointer data,
                                       GDestroyNotify notify);

gboolean gst_apixo_worker_is_current (GstApixoWorker *worker);

/* Worker thread only.  The session for the given proxy URI and TLS database
 * (NULL, NULL: the system settings).  One session per distinct pair, kept
 * for the lifetime of the worker, so connections are reused across elements.
 * Transfer none. */
SoupSession *gst_apixo_worker_get_session (GstApixoWorker *worker,
                                           const gchar *proxy,
                                           GTlsDatabase *tls_database);

/* For tests and benchmarks: how many worker threads exist right now (0/1). */
guint gst_apixo_worker_count_threads (void);

/* Any thread: registers the GLib/libsoup types the worker uses (each
 * element's instance init calls it; see gstapixoworker.c for why). */
void gst_apixo_worker_ensure_types (void);

G_END_DECLS

#endif /* __GST_APIXO_WORKER_H__ */
