/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Entry point: options, data directories, start-up line, signals and an
 * orderly shutdown.  See docs/apixo-sim.md.
 *
 * Threading: everything runs on the main thread's default GMainContext
 * (see sim-app.h); sim-media and sim-render use their own worker threads
 * and report back on it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include "sim-app.h"
#include "sim-render.h"
#include "sim-callbacks.h"
#include "sim-control.h"
#include "sim-faults.h"
#include "sim-limits.h"
#include "sim-results.h"
#include "sim-server.h"
#include "sim-stats.h"
#include "sim-tasks.h"
#include "sim-util.h"

#define DEFAULT_BALANCE 100.0
/* A test-suite run renders a few hundred MB with random seeds. */
#define DEFAULT_CACHE_MAX_MB 1024
/* The model pages say result URLs stay valid 15 days, the general page 24
 * hours; service-facts.md: "Plan for the shorter". */
#define DEFAULT_RESULT_TTL (24.0 * 3600.0)
#define MAX_TIME_SCALE 1000.0
#define DRAIN_TIMEOUT_MS 15000
#define FLUSH_TIMEOUT_MS 2000

typedef struct {
  gint port;
  gchar *bind;
  gdouble time_scale;
  gchar **api_keys;
  gdouble balance;
  gdouble result_ttl;
  gchar *data_dir;
  gint cache_max_mb;
  gboolean allow_local_callbacks;
  gchar *tls_cert;
  gchar *tls_key;
} Options;

static void
options_clear (Options *o)
{
  g_clear_pointer (&o->bind, g_free);
  g_clear_pointer (&o->api_keys, g_strfreev);
  g_clear_pointer (&o->data_dir, g_free);
  g_clear_pointer (&o->tls_cert, g_free);
  g_clear_pointer (&o->tls_key, g_free);
}

static gboolean
parse_options (int *argc, char ***argv, Options *o, GError **error)
{
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &o->port,
      "TCP port (0, the default: any free port)", "N" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &o->bind,
      "IP address to listen on (default 127.0.0.1)", "ADDR" },
    { "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &o->time_scale,
      "Multiplier of the documented generation times (default 1.0)", "F" },
    { "api-key", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->api_keys,
      "Accepted API key (repeatable; default: any non-empty key)", "KEY" },
    { "balance", 0, 0, G_OPTION_ARG_DOUBLE, &o->balance,
      "Account balance in USD (default 100.0)", "USD" },
    { "result-ttl", 0, 0, G_OPTION_ARG_DOUBLE, &o->result_ttl,
      "Seconds a result URL stays valid (default 24 hours)", "SECONDS" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->data_dir,
      "Directory for the render cache and per-instance files (default: a "
      "temporary directory)",
      "DIR" },
    { "allow-local-callbacks", 0, 0, G_OPTION_ARG_NONE,
      &o->allow_local_callbacks,
      "Accept http:// and loopback/private callback_url receivers (the "
      "service wants a public HTTPS URL): for a local webhook receiver",
      NULL },
    { "cache-max-mb", 0, 0, G_OPTION_ARG_INT, &o->cache_max_mb,
      "Bound of the render cache in MiB: least recently used renders go "
      "first (default " G_STRINGIFY (DEFAULT_CACHE_MAX_MB) "; 0: unbounded)",
      "MIB" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
      "Serve HTTPS with this PEM certificate (with --tls-key); the URLs "
      "printed and handed out are https://",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key,
      "The PEM private key of --tls-cert", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- local stand-in for the APIXO generation API");

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, error))
    return FALSE;
  if (o->port < 0 || o->port > 65535 || !(o->time_scale >= 0) ||
      o->time_scale > MAX_TIME_SCALE || !(o->balance >= 0) ||
      o->balance > 1e9 || !(o->result_ttl >= 0) || o->cache_max_mb < 0) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         "--port must be 0-65535, --time-scale 0-1000, "
                         "--balance, --result-ttl and --cache-max-mb >= 0");
    return FALSE;
  }
  if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         "--tls-cert and --tls-key go together");
    return FALSE;
  }
  for (guint i = 0; o->api_keys && o->api_keys[i]; i++) {
    if (*o->api_keys[i] == '\0') {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--api-key must not be empty");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
setup_dirs (SimApp *app, const gchar *data_dir, GError **error)
{
  g_autofree gchar *tmpl = NULL;

  if (data_dir) {
    app->data_dir = g_canonicalize_filename (data_dir, NULL);
  } else {
    app->data_dir = g_dir_make_tmp ("apixo-sim-XXXXXX", error);
    if (app->data_dir == NULL)
      return FALSE;
    app->own_data_dir = TRUE;
  }
  app->cache_dir = g_build_filename (app->data_dir, "cache", NULL);
  if (g_mkdir_with_parents (app->cache_dir, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "cannot create %s: %s", app->cache_dir, g_strerror (errno));
    return FALSE;
  }
  tmpl = g_build_filename (app->data_dir, "instance-XXXXXX", NULL);
  if (g_mkdtemp (tmpl) == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "cannot create an instance directory in %s: %s", app->data_dir,
                 g_strerror (errno));
    return FALSE;
  }
  app->instance_dir = g_steal_pointer (&tmpl);
  app->inputs_dir = g_build_filename (app->instance_dir, "inputs", NULL);
  app->results_dir = g_build_filename (app->instance_dir, "results", NULL);
  g_mkdir_with_parents (app->inputs_dir, 0700);
  g_mkdir_with_parents (app->results_dir, 0700);
  return TRUE;
}

static gboolean
on_signal (gpointer user_data)
{
  SimApp *app = user_data;

  g_message ("apixo-sim: shutting down");
  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
drain_expired (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
answers_flushing (SimApp *app)
{
  return sim_control_flushing (app->control) > 0;
}

static gboolean
ops_pending (SimApp *app)
{
  return app->pending_ops > 0;
}

/* Runs the main context while @busy says so, at most @timeout_ms. */
static void
iterate_while (SimApp *app, gboolean (*busy) (SimApp *), guint timeout_ms)
{
  gboolean expired = FALSE;
  guint timer = g_timeout_add (timeout_ms, drain_expired, &expired);

  while (busy (app) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
}

/* Answers the long polls, cancels everything and lets the cancelled
 * operations report back, so their memory and threads are gone before
 * the process ends. */
static void
drain (SimApp *app)
{
  app->shutting_down = TRUE;
  /* answer the long polls while their connections are still there */
  sim_control_shutdown (app->control);
  iterate_while (app, answers_flushing, FLUSH_TIMEOUT_MS);
  sim_server_stop (app);
  sim_task_store_shutdown (app->tasks);
  iterate_while (app, ops_pending, DRAIN_TIMEOUT_MS);
  if (app->pending_ops > 0)
    g_warning ("apixo-sim: %u operations still running at exit",
               app->pending_ops);
}

static void
app_free (SimApp *app)
{
  sim_control_free (app->control);
  sim_task_store_free (app->tasks);
  sim_results_free (app->results);
  sim_faults_free (app->faults);
  sim_limits_free (app->limits);
  sim_stats_free (app->stats);
  g_clear_object (&app->session);
  g_clear_pointer (&app->api_keys, g_hash_table_unref);
  g_clear_pointer (&app->loop, g_main_loop_unref);
  if (app->instance_dir)
    sim_remove_tree (app->instance_dir);
  if (app->own_data_dir)
    sim_remove_tree (app->data_dir);
  g_free (app->data_dir);
  g_free (app->cache_dir);
  g_free (app->instance_dir);
  g_free (app->inputs_dir);
  g_free (app->results_dir);
  g_free (app->root_url);
  g_free (app);
}

int
main (int argc, char **argv)
{
  Options o = { 0,
                NULL,
                1.0,
                NULL,
                DEFAULT_BALANCE,
                DEFAULT_RESULT_TTL,
                NULL,
                DEFAULT_CACHE_MAX_MB };
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) tls = NULL;
  SimApp *app;
  guint sigint, sigterm;
  gboolean clean;
  int ret = 0;

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);
  if (!parse_options (&argc, &argv, &o, &error)) {
    g_printerr ("apixo-sim: %s\n", error->message);
    options_clear (&o);
    return 2;
  }
  gst_init (NULL, NULL);
  /* A missing plugin is named (with its Debian package) now rather than in
   * the first task that needs it. */
  if (!sim_render_check_elements (&error)) {
    g_printerr ("apixo-sim: %s\n", error->message);
    options_clear (&o);
    return 1;
  }

  sim_render_set_cache_limit ((guint64)o.cache_max_mb * 1024 * 1024);
  sim_models_set_allow_local_callbacks (o.allow_local_callbacks);
  app = g_new0 (SimApp, 1);
  app->time_scale = o.time_scale;
  app->result_ttl = o.result_ttl;
  app->balance = (gint64)(o.balance * 1e6 + 0.5);
  if (o.api_keys) {
    app->api_keys =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; o.api_keys[i]; i++)
      g_hash_table_add (app->api_keys, sim_app_hash_key (o.api_keys[i]));
  }
  app->loop = g_main_loop_new (NULL, FALSE);
  app->stats = sim_stats_new (app);
  app->faults = sim_faults_new ();
  app->limits = sim_limits_new ();
  app->results = sim_results_new (app);
  app->tasks = sim_task_store_new (app, sim_callbacks_task_completed, NULL);
  app->control = sim_control_new (app);
  app->session = soup_session_new_with_options (
      "max-conns", 256, "max-conns-per-host", 64, "timeout", 60, "idle-timeout",
      30, "user-agent", "apixo-sim/" VERSION, NULL);

  if (o.tls_cert != NULL) {
    tls = g_tls_certificate_new_from_files (o.tls_cert, o.tls_key, &error);
    if (tls == NULL) {
      g_printerr ("apixo-sim: --tls-cert/--tls-key: %s\n", error->message);
      ret = 1;
      goto out;
    }
  }
  if (!setup_dirs (app, o.data_dir, &error) ||
      !sim_server_start (app, o.bind ? o.bind : "127.0.0.1", o.port, tls,
                         &error)) {
    g_printerr ("apixo-sim: %s\n", error->message);
    ret = 1;
    goto out;
  }

  /* Before the URL line: whoever reads it may stop us at once, and a
   * SIGTERM must then be a clean shutdown, not the default action. */
  sigint = g_unix_signal_add (SIGINT, on_signal, app);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, app);

  /* The first stdout line is the contract with scripts and the fixture;
   * nothing else is ever written to stdout. */
  printf ("APIXO_BASE_URL=%s/api/v1\n", app->root_url);
  fflush (stdout);
  g_message ("apixo-sim: listening on %s (time scale %g, data in %s)",
             app->root_url, app->time_scale, app->data_dir);

  g_main_loop_run (app->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

out:
  drain (app);
  clean = app->pending_ops == 0;
  app_free (app);
  options_clear (&o);
  /* Only when no worker can still be using GStreamer. */
  if (clean)
    gst_deinit ();
  return ret;
}
