/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Webhook deliveries with retries and injected faults.  They start from
 * the task store's completion hook (sim_callbacks_task_completed(), which
 * the entry point passes to sim_task_store_new()): this file sits above
 * sim-tasks and calls down into it, never the other way.
 *
 * Threading: main context only (see sim-app.h).  One attempt per task is
 * in flight at a time; it holds a task reference and counts in
 * app->pending_ops; task->callback_cancellable is the attempt's
 * cancellable (cancelled at shutdown), task->callback_timer the retry or
 * slow-start timer.
 *
 * Faults on the "callback" route (one per attempt):
 *  - 429/5xx: the delivery is sent, but counted as failed with that
 *    status whatever the receiver answered (so it is retried: the
 *    receiver sees a duplicate);
 *  - reset-before: nothing is sent; the attempt fails (retried);
 *  - reset-after: sent in full on a raw connection, which is reset as
 *    soon as the receiver starts answering; the attempt fails (retried:
 *    a duplicate of a delivery the receiver processed);
 *  - slow: sent after the fault's delay;
 *  - truncate: headers promise the whole body, half is sent, the
 *    connection is closed; the attempt fails (retried);
 *  - malformed-json: the body is not valid JSON; the receiver's answer
 *    decides as usual.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-callbacks.h"
#include "sim-faults.h"
#include "sim-stats.h"
#include "sim-util.h"

#include <sys/socket.h>

typedef struct {
  SimTask *task;
  guint attempt;
  SimFault fault;
  GCancellable *cancellable;
  guint timeout_id;
  gboolean timed_out;
  gboolean started; /* slow: the delayed send began */
  SoupMessage *msg;
  GSocketClient *client;
  GSocketConnection *conn;
  GBytes *wire; /* raw request (reset-after, truncate) */
  guint8 answer[1];
} Delivery;

static void attempt (SimTask *task);

static void
delivery_free (Delivery *d)
{
  SimApp *app = d->task->app;

  g_clear_handle_id (&d->timeout_id, g_source_remove);
  g_clear_object (&d->msg);
  g_clear_object (&d->client);
  g_clear_object (&d->conn);
  g_clear_pointer (&d->wire, g_bytes_unref);
  g_clear_object (&d->cancellable);
  app->pending_ops--;
  sim_task_unref (d->task);
  g_free (d);
}

static gboolean
retry_due (gpointer user_data)
{
  SimTask *task = user_data;

  task->callback_timer = 0;
  attempt (task);
  return G_SOURCE_REMOVE;
}

/* Records the outcome of @d and schedules the next attempt. */
static void
finish (Delivery *d, guint status, gboolean ok, const gchar *error)
{
  SimTask *task = d->task;
  SimApp *app = task->app;
  SimCallbackAttempt *a = g_new0 (SimCallbackAttempt, 1);

  if (g_cancellable_is_cancelled (d->cancellable) && !d->timed_out) {
    /* shutdown: nothing to record */
    g_free (a);
    delivery_free (d);
    return;
  }

  a->attempt = d->attempt;
  a->time_ms = sim_app_wall_ms (app);
  a->status = status;
  a->ok = ok;
  a->fault = d->fault.kind != SIM_FAULT_NONE
                 ? g_strdup (sim_fault_kind_name (&d->fault))
                 : NULL;
  a->error = g_strdup (error);
  g_ptr_array_add (task->callbacks, a);

  if (ok) {
    task->callback_state = "delivered";
  } else if (d->attempt < SIM_CALLBACK_MAX_ATTEMPTS && !app->shutting_down) {
    gdouble delay = SIM_CALLBACK_FIRST_RETRY_S * (1u << (d->attempt - 1));

    task->callback_state = "pending";
    task->callback_timer =
        g_timeout_add (sim_app_scaled_ms (app, delay), retry_due, task);
  } else {
    task->callback_state = "failed";
  }
  g_debug ("task %s: callback attempt %u -> %u (%s)", task->id, d->attempt,
           status,
           ok      ? "delivered"
           : error ? error
                   : "not accepted");
  sim_stats_received (app->stats, SIM_ROUTE_CALLBACK);
  sim_stats_answered (app->stats, SIM_ROUTE_CALLBACK, status);
  delivery_free (d);
}

static gboolean
attempt_timeout (gpointer user_data)
{
  Delivery *d = user_data;

  d->timeout_id = 0;
  d->timed_out = TRUE;
  g_cancellable_cancel (d->cancellable);
  return G_SOURCE_REMOVE;
}

static gchar *
body_text (SimTask *task, gboolean malformed)
{
  g_autoptr (JsonNode) env = sim_task_status_envelope (task);
  gchar *text = sim_json_to_string (env);

  if (malformed) {
    /* cut in the middle of the document: never valid JSON */
    text[strlen (text) / 2] = '\0';
  }
  return text;
}

/* ---- normal deliveries (libsoup) ----------------------------------- */

static void
soup_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer = NULL;
  guint status;

  answer =
      soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (answer == NULL) {
    finish (d, 0, FALSE,
            d->timed_out ? "no answer within the timeout" : error->message);
    return;
  }
  status = soup_message_get_status (d->msg);
  if (d->fault.kind == SIM_FAULT_STATUS)
    finish (d, d->fault.status, FALSE, "injected fault");
  else
    finish (d, status, status == SOUP_STATUS_OK, NULL);
}

static void
send_soup (Delivery *d)
{
  SimTask *task = d->task;
  gchar *text = body_text (task, d->fault.kind == SIM_FAULT_MALFORMED);
  g_autoptr (GBytes) body = g_bytes_new_take (text, strlen (text));

  d->msg = soup_message_new (SOUP_METHOD_POST, task->job->callback_url);
  if (d->msg == NULL) {
    finish (d, 0, FALSE, "invalid callback_url");
    return;
  }
  soup_message_set_request_body_from_bytes (d->msg, "application/json", body);
  soup_session_send_and_read_async (task->app->session, d->msg,
                                    G_PRIORITY_DEFAULT, d->cancellable,
                                    soup_done, d);
}

/* ---- raw deliveries (reset-after, truncate) ------------------------ */

static void
raw_close (Delivery *d, gboolean reset)
{
  if (d->conn == NULL)
    return;
  if (reset) {
    GSocket *sock = g_socket_connection_get_socket (d->conn);
    struct linger lin = { 1, 0 };
    setsockopt (g_socket_get_fd (sock), SOL_SOCKET, SO_LINGER, &lin,
                sizeof (lin));
  }
  g_io_stream_close (G_IO_STREAM (d->conn), NULL, NULL);
}

static void
raw_answer_started (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr (GError) error = NULL;

  g_input_stream_read_finish (G_INPUT_STREAM (source), res, &error);
  raw_close (d, TRUE);
  finish (d, 0, FALSE, "connection reset after delivery (fault)");
}

static void
raw_written (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL,
                                         &error)) {
    raw_close (d, TRUE);
    finish (d, 0, FALSE, error->message);
    return;
  }
  if (d->fault.kind == SIM_FAULT_TRUNCATE) {
    raw_close (d, FALSE);
    finish (d, 0, FALSE, "body truncated (fault)");
    return;
  }
  /* reset-after: let the receiver process it and start answering. */
  g_input_stream_read_async (
      g_io_stream_get_input_stream (G_IO_STREAM (d->conn)), d->answer,
      sizeof (d->answer), G_PRIORITY_DEFAULT, d->cancellable,
      raw_answer_started, d);
}

static void
raw_connected (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Delivery *d = user_data;
  g_autoptr (GError) error = NULL;
  GOutputStream *out;
  gsize len;
  const gchar *data;

  d->conn = g_socket_client_connect_to_uri_finish (G_SOCKET_CLIENT (source),
                                                   res, &error);
  if (d->conn == NULL) {
    finish (d, 0, FALSE, error->message);
    return;
  }
  out = g_io_stream_get_output_stream (G_IO_STREAM (d->conn));
  data = g_bytes_get_data (d->wire, &len);
  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT,
                                   d->cancellable, raw_written, d);
}

static void
send_raw (Delivery *d)
{
  SimTask *task = d->task;
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *text = body_text (task, FALSE);
  g_autofree gchar *path = NULL;
  GString *req;
  gsize full = strlen (text);
  gsize send = d->fault.kind == SIM_FAULT_TRUNCATE ? full / 2 : full;
  gint port;

  uri = g_uri_parse (task->job->callback_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL) {
    finish (d, 0, FALSE, "invalid callback_url");
    return;
  }
  port = g_uri_get_port (uri);
  path = g_uri_join (G_URI_FLAGS_NONE, NULL, NULL, NULL, -1,
                     *g_uri_get_path (uri) ? g_uri_get_path (uri) : "/",
                     g_uri_get_query (uri), NULL);
  req = g_string_new (NULL);
  g_string_append_printf (req, "POST %s HTTP/1.1\r\n", path);
  if (port > 0)
    g_string_append_printf (req, "Host: %s:%d\r\n", g_uri_get_host (uri), port);
  else
    g_string_append_printf (req, "Host: %s\r\n", g_uri_get_host (uri));
  g_string_append (req, "User-Agent: apixo-sim\r\n"
                        "Content-Type: application/json\r\n"
                        "Connection: close\r\n");
  g_string_append_printf (req, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          full);
  g_string_append_len (req, text, send);
  d->wire = g_string_free_to_bytes (req);

  d->client = g_socket_client_new ();
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0)
    g_socket_client_set_tls (d->client, TRUE);
  g_socket_client_connect_to_uri_async (
      d->client, task->job->callback_url,
      g_socket_client_get_tls (d->client) ? 443 : 80, d->cancellable,
      raw_connected, d);
}

/* ---- attempts ------------------------------------------------------- */

static void
send_now (Delivery *d)
{
  SimApp *app = d->task->app;
  gdouble timeout = MAX (SIM_CALLBACK_MIN_TIMEOUT_S,
                         SIM_CALLBACK_TIMEOUT_S * app->time_scale);

  d->timeout_id = g_timeout_add ((guint)(timeout * 1000), attempt_timeout, d);
  switch (d->fault.kind) {
    case SIM_FAULT_RESET_BEFORE:
      finish (d, 0, FALSE, "connection reset before delivery (fault)");
      break;
    case SIM_FAULT_RESET_AFTER:
    case SIM_FAULT_TRUNCATE:
      send_raw (d);
      break;
    default:
      send_soup (d);
      break;
  }
}

static gboolean
slow_start (gpointer user_data)
{
  Delivery *d = user_data;

  d->task->callback_timer = 0;
  d->started = TRUE;
  send_now (d);
  return G_SOURCE_REMOVE;
}

/* The slow-start timer was removed (shutdown) before it fired. */
static void
slow_destroy (gpointer user_data)
{
  Delivery *d = user_data;

  if (!d->started)
    delivery_free (d);
}

static void
attempt (SimTask *task)
{
  SimApp *app = task->app;
  Delivery *d;

  if (app->shutting_down)
    return;
  d = g_new0 (Delivery, 1);
  d->task = sim_task_ref (task);
  app->pending_ops++;
  d->attempt = task->callbacks->len + 1;
  d->cancellable = g_cancellable_new ();
  g_set_object (&task->callback_cancellable, d->cancellable);
  sim_faults_take (app->faults, SIM_ROUTE_CALLBACK, task->model->name,
                   &d->fault);
  task->callback_state = "pending";

  if (d->fault.kind == SIM_FAULT_SLOW) {
    task->callback_timer =
        g_timeout_add_full (G_PRIORITY_DEFAULT, (guint)(d->fault.delay * 1000),
                            slow_start, d, slow_destroy);
    return;
  }
  send_now (d);
}

void
sim_callbacks_task_completed (SimTask *task, gpointer user_data)
{
  if (task->job->callback)
    attempt (task);
}
