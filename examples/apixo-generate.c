/* gst-apixo example: generate a video from an application.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   apixo-generate MODEL PROMPT OUTPUT.mp4 [TASK-ID | NAME=VALUE...]
 *
 * Runs `apixosrc model=MODEL prompt=PROMPT save-location=OUTPUT ! fakesink`
 * and shows what an application can read from the bus: the progress of the
 * task ("apixo-task" messages), the result, and on failure the error's
 * "apixo-error" details (task id, fail code...), including how to resume a
 * task that was left running.  With TASK-ID (or task-id=ID) it resumes that
 * task instead of submitting a new one; other NAME=VALUE arguments set
 * apixosrc properties (resolution=720p duration=5 seed=3 ...).
 *
 * Ctrl-C (or SIGTERM) stops it the way gst-launch-1.0 users expect: the
 * pipeline stops at once, a task still running is left to the journal (the
 * service has no cancel endpoint: it may still be billed), the program says
 * which task and how to resume it, and exits with status 130.  A second
 * Ctrl-C while stopping is not needed: stopping never waits for the
 * network.
 *
 * The API key comes from APIXO_API_KEY, the service from APIXO_BASE_URL
 * (e.g. a local apixo-sim).
 */

#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what a shell reports for a program ended by SIGINT */
#define EXIT_INTERRUPTED (128 + SIGINT)

typedef struct {
  GMainLoop *loop;
  gchar *task_id; /* once submitted or resumed */
  gint status;
  gboolean interrupted;
} App;

/* A progress report: at each change of state, and every progress-interval
 * seconds while the task waits (the service, a task slot, the rate limit,
 * a retry). */
static void
print_state (const GstStructure *s)
{
  const gchar *waiting_for = gst_structure_get_string (s, "waiting-for");
  gint percent = 0;
  gdouble elapsed = 0, eta;

  gst_structure_get_int (s, "percent", &percent);
  gst_structure_get_double (s, "elapsed", &elapsed);
  g_print ("task %s: %s, %d %% after %.0f s",
           GST_STR_NULL (gst_structure_get_string (s, "task-id")),
           gst_structure_get_string (s, "state"), percent, elapsed);
  if (gst_structure_get_double (s, "eta", &eta))
    g_print (", about %.0f s left", eta);
  if (g_strcmp0 (waiting_for, "generation") != 0)
    g_print (", waiting for: %s", waiting_for);
  g_print ("\n");
}

static void
print_task_message (App *app, const GstStructure *s)
{
  const gchar *event = gst_structure_get_string (s, "event");
  const gchar *task_id = gst_structure_get_string (s, "task-id");
  gdouble billed = 0;

  if (g_strcmp0 (event, "submitted") == 0 ||
      g_strcmp0 (event, "resumed") == 0) {
    g_free (app->task_id);
    app->task_id = g_strdup (task_id);
    g_print ("task %s %s\n", task_id, event);
  } else if (g_strcmp0 (event, "state") == 0) {
    print_state (s);
  } else if (g_strcmp0 (event, "success") == 0) {
    g_print ("generated: %s\n", gst_structure_get_string (s, "result-uri"));
  } else if (g_strcmp0 (event, "downloaded") == 0) {
    g_print ("saved to %s\n", gst_structure_get_string (s, "location"));
  } else if (g_strcmp0 (event, "queued") == 0) {
    g_print ("waiting for a free task slot\n");
  }
  if (gst_structure_get_double (s, "billed-seconds", &billed))
    g_print ("  (billed for %.0f s)\n", billed);
}

static void
print_error (GstMessage *msg)
{
  GError *error = NULL;
  const GstStructure *details = NULL;

  gst_message_parse_error (msg, &error, NULL);
  gst_message_parse_error_details (msg, &details);
  g_printerr ("error: %s\n", error->message);
  if (details != NULL && gst_structure_has_name (details, "apixo-error"))
    g_printerr ("  reason %s, fail code %s, task %s\n",
                gst_structure_get_string (details, "reason"),
                GST_STR_NULL (gst_structure_get_string (details, "fail-code")),
                GST_STR_NULL (gst_structure_get_string (details, "task-id")));
  g_error_free (error);
}

/* Returns TRUE when the run is over. */
static gboolean
handle_message (App *app, GstMessage *msg)
{
  GError *error = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "apixo-task"))
        print_task_message (app, gst_message_get_structure (msg));
      return FALSE;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, NULL);
      g_printerr ("warning: %s\n", error->message);
      g_error_free (error);
      return FALSE;
    case GST_MESSAGE_ERROR:
      print_error (msg);
      app->status = EXIT_FAILURE;
      return TRUE;
    case GST_MESSAGE_EOS:
      app->status = EXIT_SUCCESS;
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
bus_watch (GstBus *bus, GstMessage *msg, gpointer data)
{
  App *app = data;

  if (handle_message (app, msg))
    g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

/* SIGINT/SIGTERM, on the main loop (not in the signal handler): stop. */
static gboolean
interrupted (gpointer data)
{
  App *app = data;

  if (!app->interrupted) {
    g_printerr ("Interrupted: stopping the pipeline\n");
    app->interrupted = TRUE;
    app->status = EXIT_INTERRUPTED;
    g_main_loop_quit (app->loop);
  }
  return G_SOURCE_CONTINUE;
}

/* After a Ctrl-C: what happened to the money, and how to go on. */
static void
print_resume_hint (App *app, char **argv)
{
  gchar *prompt, *output;

  if (app->task_id == NULL) {
    g_printerr ("No task id was received: if a submission was under way, "
                "the warning above says what is known.\n");
    return;
  }
  prompt = g_shell_quote (argv[2]);
  output = g_shell_quote (argv[3]);
  g_printerr ("Task %s is left to the journal: it may still be running, and "
              "billed, at the service.\nRun the same command again to resume "
              "it (nothing is paid twice), or resume it by id:\n"
              "  %s %s %s %s task-id=%s\n",
              app->task_id, argv[0], argv[1], prompt, output, app->task_id);
  g_free (output);
  g_free (prompt);
}

/* The arguments after OUTPUT: a bare TASK-ID, or NAME=VALUE properties. */
static gboolean
set_properties (GstElement *src, int argc, char **argv)
{
  for (int i = 4; i < argc; i++) {
    gchar **kv = g_strsplit (argv[i], "=", 2);
    gboolean ok = TRUE;

    if (kv[1] == NULL && i == 4)
      g_object_set (src, "task-id", argv[i], NULL);
    else if (kv[1] == NULL ||
             !g_object_class_find_property (G_OBJECT_GET_CLASS (src), kv[0]))
      ok = FALSE;
    else
      gst_util_set_object_arg (G_OBJECT (src), kv[0], kv[1]);
    if (!ok)
      g_printerr ("not an apixosrc property: %s\n", argv[i]);
    g_strfreev (kv);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* READY first: the warning about a task left running (if any) is posted
 * while stopping, and the bus drops everything once in NULL. */
static void
stop (App *app, GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  gst_element_set_state (pipeline, GST_STATE_READY);
  while ((msg = gst_bus_pop (bus)) != NULL) {
    if (handle_message (app, msg) && app->interrupted)
      app->status = EXIT_INTERRUPTED; /* an error while stopping */
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *src, *sink;
  GstBus *bus;
  App app = { NULL, NULL, EXIT_FAILURE, FALSE };

  /* line by line even into a pipe: other programs follow this output */
  setvbuf (stdout, NULL, _IOLBF, 0);
  gst_init (&argc, &argv);
  if (argc < 4) {
    g_printerr ("usage: %s MODEL PROMPT OUTPUT.mp4 [TASK-ID | NAME=VALUE...]\n",
                argv[0]);
    return EXIT_FAILURE;
  }

  src = gst_element_factory_make ("apixosrc", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  if (src == NULL || sink == NULL) {
    g_printerr ("apixosrc not found: set GST_PLUGIN_PATH to the build's "
                "gst/ directory\n");
    return EXIT_FAILURE;
  }
  g_object_set (src, "model", argv[1], "prompt", argv[2], "save-location",
                argv[3], NULL);
  pipeline = gst_pipeline_new (NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);
  if (!set_properties (src, argc, argv)) {
    gst_object_unref (pipeline);
    return EXIT_FAILURE;
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, bus_watch, &app);
  g_unix_signal_add (SIGINT, interrupted, &app);
  g_unix_signal_add (SIGTERM, interrupted, &app);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_main_loop_run (app.loop);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);

  stop (&app, pipeline);
  if (app.interrupted)
    print_resume_hint (&app, argv);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  g_free (app.task_id);
  return app.status;
}
