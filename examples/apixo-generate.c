/* gst-apixo example: generate a video from an application.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   apixo-generate MODEL PROMPT OUTPUT.mp4 [TASK-ID]
 *
 * Runs `apixosrc model=MODEL prompt=PROMPT save-location=OUTPUT ! fakesink`
 * and shows what an application can read from the bus: the progress of the
 * task ("apixo-task" messages), the result, and on failure the error's
 * "apixo-error" details (task id, fail code...), including how to resume a
 * task that was left running.  With TASK-ID it resumes that task instead of
 * submitting a new one.
 *
 * The API key comes from APIXO_API_KEY, the service from APIXO_BASE_URL
 * (e.g. a local apixo-sim).
 */

#include <gst/gst.h>
#include <stdlib.h>

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
print_task_message (const GstStructure *s)
{
  const gchar *event = gst_structure_get_string (s, "event");
  const gchar *task_id = gst_structure_get_string (s, "task-id");
  gdouble billed = 0;

  if (g_strcmp0 (event, "submitted") == 0 ||
      g_strcmp0 (event, "resumed") == 0) {
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

/* Returns TRUE when the run is over. */
static gboolean
handle_message (GstMessage *msg, gint *status)
{
  GError *error = NULL;
  const GstStructure *details = NULL;
  const gchar *task_id;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "apixo-task"))
        print_task_message (gst_message_get_structure (msg));
      return FALSE;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, NULL);
      g_printerr ("warning: %s\n", error->message);
      g_error_free (error);
      return FALSE;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, NULL);
      gst_message_parse_error_details (msg, &details);
      g_printerr ("error: %s\n", error->message);
      if (details != NULL && gst_structure_has_name (details, "apixo-error")) {
        task_id = gst_structure_get_string (details, "task-id");
        g_printerr (
            "  reason %s, fail code %s, task %s\n",
            gst_structure_get_string (details, "reason"),
            GST_STR_NULL (gst_structure_get_string (details, "fail-code")),
            GST_STR_NULL (task_id));
      }
      g_error_free (error);
      *status = EXIT_FAILURE;
      return TRUE;
    case GST_MESSAGE_EOS:
      *status = EXIT_SUCCESS;
      return TRUE;
    default:
      return FALSE;
  }
}

int
main (int argc, char **argv)
{
  GstElement *pipeline, *src, *sink;
  GstBus *bus;
  gint status = EXIT_FAILURE;
  gboolean done = FALSE;

  gst_init (&argc, &argv);
  if (argc < 4) {
    g_printerr ("usage: %s MODEL PROMPT OUTPUT.mp4 [TASK-ID]\n", argv[0]);
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
  if (argc > 4)
    g_object_set (src, "task-id", argv[4], NULL);

  pipeline = gst_pipeline_new (NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    done = handle_message (msg, &status);
    gst_message_unref (msg);
  }
  /* READY first: the warning about a task left running (if any) is posted
   * while stopping, and the bus drops everything once in NULL. */
  gst_element_set_state (pipeline, GST_STATE_READY);
  while (TRUE) {
    GstMessage *msg = gst_bus_pop (bus);
    if (msg == NULL)
      break;
    handle_message (msg, &status);
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return status;
}
