/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The shared HTTP worker.
 *
 * Thread safety notes
 * -------------------
 * - worker_lock (static GMutex) guards the_worker, the_worker->refcount and
 *   n_threads.  It is never held while calling into libsoup or while
 *   joining the thread.  worker_gone (with worker_lock) is signalled when a
 *   stopped worker's thread has been joined: a new worker starts only
 *   then, so that two worker threads never run at once (what is "worker
 *   thread only", e.g. the limiters, is never touched by two threads).
 * - worker->lock + worker->cond only hand the "loop is running" flag from
 *   the new thread to the thread that started it.
 * - worker->sessions is touched only on the worker thread (no lock).  A
 *   session's proxy credentials never change once made, are read only by
 *   the messages' "authenticate" handlers (worker thread), and are
 *   refcounted: the session's handler and every message it queued hold one.
 * - Lock order: worker_lock, then worker->lock.  Nothing else is taken
 *   inside them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoworker.h"
#include "gstapixodebug.h"
#include "gstapixonetpolicy.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_worker_debug);
#define GST_CAT_DEFAULT apixo_worker_debug

/* Connections per host: polls of many elements and result downloads share
 * the API host; libsoup's default of 2 would queue polls behind downloads. */
#define WORKER_MAX_CONNS 256
#define WORKER_MAX_CONNS_PER_HOST 16

struct _GstApixoWorker {
  gint refcount;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GHashTable *sessions; /* "proxy\ntlsdb-pointer" -> SoupSession */

  GMutex lock;
  GCond cond;
  gboolean running;
};

static GMutex worker_lock;
static GCond worker_gone;
static GstApixoWorker *the_worker;
static guint n_threads;

static void
worker_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_worker_debug, "apixoworker", 0,
                                      "APIXO shared HTTP worker");
}

static gboolean
worker_signal_running (gpointer data)
{
  GstApixoWorker *worker = data;

  g_mutex_lock (&worker->lock);
  worker->running = TRUE;
  g_cond_signal (&worker->cond);
  g_mutex_unlock (&worker->lock);
  return G_SOURCE_REMOVE;
}

static void
worker_abort_session (gpointer key, gpointer value, gpointer user_data)
{
  soup_session_abort (SOUP_SESSION (value));
}

static gpointer
worker_thread (gpointer data)
{
  GstApixoWorker *worker = data;
  GSource *source;

  g_main_context_push_thread_default (worker->context);
  worker->sessions =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  source = g_idle_source_new ();
  g_source_set_callback (source, worker_signal_running, worker, NULL);
  g_source_attach (source, worker->context);
  g_source_unref (source);

  GST_DEBUG ("worker thread running");
  g_main_loop_run (worker->loop);

  g_hash_table_foreach (worker->sessions, worker_abort_session, NULL);
  /* Let cancelled operations deliver their completions before the sessions
   * go away. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_clear_pointer (&worker->sessions, g_hash_table_unref);
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_main_context_pop_thread_default (worker->context);
  GST_DEBUG ("worker thread stopped");
  return NULL;
}

/* GLib 2.74 can deadlock when two threads register the same type for the
 * first time while one of them is inside another class's class_init (seen:
 * our worker creating the first GTask while the application's thread
 * initialised a libsoup class that needs GTask).  Register what the worker
 * uses before it runs: when an element is made, on the application's
 * thread that makes it (the worker starts on a streaming thread, which
 * may run next to an application's own first use of libsoup), and again
 * here.  Not at plugin load: registering GTask starts GLib's own worker
 * thread, and a process that loads plugins and then forks (gst-check's
 * test runner with an in-process registry scan) would have a child
 * without it, whose child watches never fire. */
void
gst_apixo_worker_ensure_types (void)
{
  g_type_ensure (G_TYPE_TASK);
  g_type_ensure (G_TYPE_CANCELLABLE);
  g_type_ensure (G_TYPE_SIMPLE_PROXY_RESOLVER);
  g_type_ensure (G_TYPE_SOCKET_CLIENT);
  g_type_ensure (SOUP_TYPE_SESSION);
  g_type_ensure (SOUP_TYPE_MESSAGE);
  g_type_ensure (SOUP_TYPE_SERVER);
}

static GstApixoWorker *
worker_start (void)
{
  GstApixoWorker *worker = g_new0 (GstApixoWorker, 1);

  gst_apixo_worker_ensure_types ();

  g_mutex_init (&worker->lock);
  g_cond_init (&worker->cond);
  worker->context = g_main_context_new ();
  worker->loop = g_main_loop_new (worker->context, FALSE);
  worker->thread = g_thread_new ("apixo-worker", worker_thread, worker);

  g_mutex_lock (&worker->lock);
  while (!worker->running)
    g_cond_wait (&worker->cond, &worker->lock);
  g_mutex_unlock (&worker->lock);
  return worker;
}

static gboolean
worker_quit (gpointer data)
{
  GstApixoWorker *worker = data;

  g_main_loop_quit (worker->loop);
  return G_SOURCE_REMOVE;
}

static void
worker_free (GstApixoWorker *worker)
{
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->cond);
  g_free (worker);
}

GstApixoWorker *
gst_apixo_worker_acquire (void)
{
  GstApixoWorker *worker;

  worker_init_debug ();
  g_mutex_lock (&worker_lock);
  /* The last worker is still draining its loop: wait until it is joined
   * (a short wait: it only runs what was already queued). */
  while (the_worker == NULL && n_threads > 0)
    g_cond_wait (&worker_gone, &worker_lock);
  if (the_worker == NULL) {
    the_worker = worker_start ();
    n_threads++;
  }
  worker = the_worker;
  worker->refcount++;
  g_mutex_unlock (&worker_lock);
  return worker;
}

void
gst_apixo_worker_release (GstApixoWorker *worker)
{
  gboolean last;

  g_return_if_fail (worker != NULL);

  g_mutex_lock (&worker_lock);
  last = (--worker->refcount == 0);
  if (last && the_worker == worker)
    the_worker = NULL;
  g_mutex_unlock (&worker_lock);

  if (!last)
    return;

  gst_apixo_worker_invoke (worker, worker_quit, worker, NULL);
  if (g_thread_self () == worker->thread) {
    /* Last reference dropped from a worker callback: the loop quits when the
     * callback returns; the thread cannot join itself. */
    g_critical ("apixo worker released from its own thread");
    g_mutex_lock (&worker_lock);
    n_threads--; /* never joined: do not make the next acquire wait */
    g_cond_broadcast (&worker_gone);
    g_mutex_unlock (&worker_lock);
    return;
  }
  g_thread_join (worker->thread);
  g_mutex_lock (&worker_lock);
  n_threads--;
  g_cond_broadcast (&worker_gone);
  g_mutex_unlock (&worker_lock);
  worker_free (worker);
}

GMainContext *
gst_apixo_worker_get_context (GstApixoWorker *worker)
{
  return worker->context;
}

void
gst_apixo_worker_invoke (GstApixoWorker *worker, GSourceFunc func,
                         gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, worker->context);
  g_source_unref (source);
}

GSource *
gst_apixo_worker_add_timeout (GstApixoWorker *worker, guint ms,
                              GSourceFunc func, gpointer data,
                              GDestroyNotify notify)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, worker->context);
  return source;
}

gboolean
gst_apixo_worker_is_current (GstApixoWorker *worker)
{
  return worker != NULL && g_thread_self () == worker->thread;
}

/* A proxy URI's credentials ("http://user:password@host:port"), refcounted:
 * the session and every message it queued hold one. */
typedef struct {
  gchar *user;
  gchar *password;
} ProxyCredentials;

static void
proxy_credentials_clear (gpointer data)
{
  ProxyCredentials *creds = data;

  g_free (creds->user);
  if (creds->password != NULL) {
    memset (creds->password, 0, strlen (creds->password));
    g_free (creds->password);
  }
}

static void
proxy_credentials_release (gpointer data, GClosure *closure)
{
  g_atomic_rc_box_release_full (data, proxy_credentials_clear);
}

/* @proxy without its user and password, which go to *@creds (NULL when it
 * has none, or is not an http:// URI: then it goes on as it is; a SOCKS
 * proxy's credentials are GIO's, in its handshake). */
static gchar *
proxy_split_credentials (const gchar *proxy, ProxyCredentials **creds)
{
  GUri *uri = g_uri_parse (proxy, G_URI_FLAGS_HAS_PASSWORD, NULL);
  GUri *bare;
  gchar *text;

  *creds = NULL;
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 ||
      g_uri_get_user (uri) == NULL) {
    g_clear_pointer (&uri, g_uri_unref);
    return g_strdup (proxy);
  }
  *creds = g_atomic_rc_box_new0 (ProxyCredentials);
  (*creds)->user = g_strdup (g_uri_get_user (uri));
  (*creds)->password =
      g_strdup (g_uri_get_password (uri) ? g_uri_get_password (uri) : "");
  bare = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL,
                      g_uri_get_host (uri), g_uri_get_port (uri),
                      g_uri_get_path (uri), NULL, NULL);
  text = g_uri_to_string (bare);
  g_uri_unref (bare);
  g_uri_unref (uri);
  return text;
}

/* Worker.  The proxy asks for credentials (407, for a request or for the
 * CONNECT of a tunnel): once, with the proxy URI's; asked again, they were
 * refused, and the 407 is the answer. */
static gboolean
proxy_authenticate (SoupMessage *msg, SoupAuth *auth, gboolean retrying,
                    gpointer data)
{
  ProxyCredentials *creds = data;

  if (soup_auth_is_for_proxy (auth) && !retrying)
    soup_auth_authenticate (auth, creds->user, creds->password);
  return FALSE;
}

static void
proxy_request_queued (SoupSession *session, SoupMessage *msg, gpointer data)
{
  g_signal_connect_data (msg, "authenticate", G_CALLBACK (proxy_authenticate),
                         g_atomic_rc_box_acquire (data),
                         proxy_credentials_release, 0);
}

/* The session goes through @proxy.  Credentials in its URI are not left
 * to libsoup: 3.2 answers a 407 with a URI's user and password by sending
 * the request to the proxy's own URI; the "authenticate" signal of every
 * message it queues (tunnels' CONNECTs included) answers it instead. */
static void
session_set_proxy (SoupSession *session, const gchar *proxy)
{
  ProxyCredentials *creds;
  gchar *bare = proxy_split_credentials (proxy, &creds);
  GProxyResolver *resolver = gst_apixo_net_proxy_resolver_new (bare);

  soup_session_set_proxy_resolver (session, resolver);
  if (creds != NULL)
    g_signal_connect_data (session, "request-queued",
                           G_CALLBACK (proxy_request_queued), creds,
                           proxy_credentials_release, 0);
  g_object_unref (resolver);
  g_free (bare);
}

static SoupSession *
worker_new_session (const gchar *proxy, GTlsDatabase *tls_database)
{
  SoupSession *session;

  /* No session-wide I/O timeout: each request carries its own (the element's
   * "timeout" property), and User-Agent is set per message. */
  session = soup_session_new_with_options (
      "user-agent", NULL, "timeout", 0, "idle-timeout", 60, "max-conns",
      WORKER_MAX_CONNS, "max-conns-per-host", WORKER_MAX_CONNS_PER_HOST, NULL);

  if (proxy != NULL && *proxy != '\0')
    session_set_proxy (session, proxy);
  if (tls_database != NULL)
    soup_session_set_tls_database (session, tls_database);
  return session;
}

SoupSession *
gst_apixo_worker_get_session (GstApixoWorker *worker, const gchar *proxy,
                              GTlsDatabase *tls_database)
{
  SoupSession *session;
  gchar *key;

  g_return_val_if_fail (gst_apixo_worker_is_current (worker), NULL);

  key = g_strdup_printf ("%s\n%p", proxy ? proxy : "", (void *)tls_database);
  session = g_hash_table_lookup (worker->sessions, key);
  if (session == NULL) {
    GST_DEBUG ("new session (proxy %s, custom TLS database: %s)",
               proxy ? "set" : "system", tls_database ? "yes" : "no");
    session = worker_new_session (proxy, tls_database);
    g_hash_table_insert (worker->sessions, key, session);
  } else {
    g_free (key);
  }
  return session;
}

guint
gst_apixo_worker_count_threads (void)
{
  guint n;

  g_mutex_lock (&worker_lock);
  n = n_threads;
  g_mutex_unlock (&worker_lock);
  return n;
}
