/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Routes, authentication, envelopes and fault delivery.
 *
 * Threading: main context only (see sim-app.h).
 *
 * Dropping a connection with libsoup 3.2: soup_server_message_steal_connection()
 * frees the message's I/O state, which must not happen while libsoup is
 * still inside its own read path (the handler runs from there).  So a
 * message to drop or to answer by hand is paused in the handler, and the
 * connection is stolen from an idle callback; "reset" faults then set
 * SO_LINGER to 0 so closing sends a TCP RST, and "truncate" writes the
 * status line, the headers (with the full Content-Length) and half of the
 * body on the stolen stream itself before closing it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-server.h"
#include "sim-control.h"
#include "sim-faults.h"
#include "sim-held.h"
#include "sim-limits.h"
#include "sim-models.h"
#include "sim-results.h"
#include "sim-stats.h"
#include "sim-tasks.h"
#include "sim-util.h"

#include <sys/socket.h>

#define API_PREFIX "/api/v1/"
#define GENERATE_PREFIX API_PREFIX "generateTask/"
#define STATUS_PREFIX API_PREFIX "statusTask/"
#define BALANCE_PATH API_PREFIX "apikeys/current-balance"
#define CONTROL_PREFIX "/__sim/"
#define MAX_HOST_LENGTH 255

/* ---- deferred answers: drops, truncations, slow answers -------------- */

/* An answer not given from the handler.  Listed in app->deferred while its
 * source is pending, so that shutdown can cancel it; a truncated body being
 * written counts in app->pending_ops instead. */
typedef struct {
  SimApp *app;
  SimHeld *held;
  guint source;
  enum { DEFER_SLOW, DEFER_RESET, DEFER_TRUNCATE } kind;
  GBytes *wire; /* truncate: what is written */
  GIOStream *stream;
} Deferred;

static void
deferred_free (Deferred *d)
{
  g_clear_pointer (&d->wire, g_bytes_unref);
  g_clear_object (&d->stream);
  g_free (d);
}

/* Its source ran or was removed: off the list. */
static void
deferred_unlist (Deferred *d)
{
  d->app->deferred = g_list_remove (d->app->deferred, d);
  d->source = 0;
}

static void
stream_reset_close (GIOStream *stream)
{
  GSocket *sock = NULL;
  struct linger lin = { 1, 0 };

  if (G_IS_TLS_CONNECTION (stream)) { /* --tls-cert: the socket is below */
    GIOStream *base = NULL;

    g_object_get (stream, "base-io-stream", &base, NULL);
    if (G_IS_SOCKET_CONNECTION (base))
      sock = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));
    g_clear_object (&base);
  } else if (G_IS_SOCKET_CONNECTION (stream))
    sock = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  else
    sock = g_object_get_data (G_OBJECT (stream), "GSocket");
  if (sock)
    setsockopt (g_socket_get_fd (sock), SOL_SOCKET, SO_LINGER, &lin,
                sizeof (lin));
  g_io_stream_close (stream, NULL, NULL);
}

static void
truncated_written (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Deferred *d = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  /* graceful close: the client gets what was written, then EOF */
  g_io_stream_close (d->stream, NULL, NULL);
  d->app->pending_ops--;
  deferred_free (d);
}

/* The raw answer for "truncate": status line, headers with the full
 * Content-Length and Connection: close, then half of the body. */
static GBytes *
build_truncated (SoupServerMessage *msg)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr (GBytes) data = NULL;
  SoupMessageHeadersIter iter;
  const gchar *name, *value;
  GString *out = g_string_new (NULL);
  gsize size = 0;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_HEAD) {
    if (soup_message_body_get_accumulate (body))
      data = soup_message_body_flatten (body);
    else
      data = soup_message_body_get_chunk (body, 0);
  }
  if (data)
    size = g_bytes_get_size (data);
  if (soup_message_headers_get_content_length (resp) == 0 && size > 0)
    soup_message_headers_set_content_length (resp, size);
  soup_message_headers_replace (resp, "Connection", "close");

  g_string_append_printf (
      out, "HTTP/1.1 %u %s\r\n", soup_server_message_get_status (msg),
      soup_status_get_phrase (soup_server_message_get_status (msg)));
  soup_message_headers_iter_init (&iter, resp);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (out, "%s: %s\r\n", name, value);
  g_string_append (out, "\r\n");
  if (data)
    g_string_append_len (out, g_bytes_get_data (data, NULL), size / 2);
  return g_string_free_to_bytes (out);
}

static gboolean
drop_idle (gpointer user_data)
{
  Deferred *d = user_data;
  SoupServerMessage *msg = sim_held_message (d->held);

  deferred_unlist (d);
  if (d->kind == DEFER_TRUNCATE)
    d->wire = build_truncated (msg);
  d->stream = soup_server_message_steal_connection (msg);
  /* stolen: the message has no I/O any more, do not unpause it */
  sim_held_forget (d->held);
  d->held = NULL;

  if (d->stream == NULL) {
    deferred_free (d);
  } else if (d->kind == DEFER_TRUNCATE) {
    GOutputStream *out = g_io_stream_get_output_stream (d->stream);
    gsize len;
    const gchar *data = g_bytes_get_data (d->wire, &len);

    d->app->pending_ops++;
    g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT, NULL,
                                     truncated_written, d);
  } else {
    stream_reset_close (d->stream);
    deferred_free (d);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
slow_due (gpointer user_data)
{
  Deferred *d = user_data;

  deferred_unlist (d);
  sim_held_release (d->held);
  deferred_free (d);
  return G_SOURCE_REMOVE;
}

static void
defer (SimApp *app, SoupServerMessage *msg, gint kind, gdouble delay)
{
  Deferred *d = g_new0 (Deferred, 1);

  d->app = app;
  d->kind = kind;
  d->held = sim_held_new (msg);
  if (kind == DEFER_SLOW)
    d->source = g_timeout_add ((guint)(delay * 1000), slow_due, d);
  else
    d->source = g_idle_add (drop_idle, d);
  app->deferred = g_list_prepend (app->deferred, d);
}

/* Shutdown: answers nothing more, lets the connections go. */
static void
cancel_deferred (SimApp *app)
{
  while (app->deferred) {
    Deferred *d = app->deferred->data;

    g_source_remove (d->source);
    deferred_unlist (d);
    sim_held_release (d->held);
    deferred_free (d);
  }
}

/* ---- envelopes and small answers ------------------------------------ */

static const gchar *
status_message (guint status)
{
  switch (status) {
    case 401:
      return "Invalid or missing API Key";
    /* wan-2-5-video.txt's error table */
    case 402:
      return "Insufficient balance or quota";
    case 403:
      return "Key or account cannot access the model";
    case 429:
      return "Rate limit exceeded";
    case 500:
      return "Internal server error";
    case 502:
      return "Third-party model service error";
    case 503:
      return "Model temporarily unavailable";
    case 504:
      return "Third-party model timeout";
    default:
      return soup_status_get_phrase (status);
  }
}

static void
set_retry_after (SoupServerMessage *msg, guint seconds)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  g_autofree gchar *v = g_strdup_printf ("%u", seconds);

  soup_message_headers_replace (resp, "Retry-After", v);
}

static void
answer_status (SoupServerMessage *msg, guint status, guint retry_after)
{
  sim_message_set_envelope (msg, status, status, status_message (status), NULL);
  if (retry_after > 0)
    set_retry_after (msg, retry_after);
}

static void answer_error (SoupServerMessage *msg, guint status,
                          const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
answer_error (SoupServerMessage *msg, guint status, const gchar *format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  error = g_error_new_literal (SIM_REQUEST_ERROR, status, text);
  g_free (text);
  sim_message_set_request_error (msg, error);
}

/* ---- routing -------------------------------------------------------- */

typedef struct {
  SimRoute route;
  const gchar *model_name; /* generate/status: the path's model segment */
} Route;

static Route
classify (const gchar *path)
{
  Route r = { SIM_ROUTE_OTHER, NULL };

  if (g_str_has_prefix (path, CONTROL_PREFIX)) {
    r.route = SIM_ROUTE_CONTROL;
  } else if (g_str_has_prefix (path, GENERATE_PREFIX)) {
    r.route = SIM_ROUTE_GENERATE;
    r.model_name = path + strlen (GENERATE_PREFIX);
  } else if (g_str_has_prefix (path, STATUS_PREFIX)) {
    r.route = SIM_ROUTE_STATUS;
    r.model_name = path + strlen (STATUS_PREFIX);
  } else if (g_str_equal (path, BALANCE_PATH)) {
    r.route = SIM_ROUTE_BALANCE;
  } else if (g_str_has_prefix (path, SIM_RESULTS_PREFIX)) {
    r.route = SIM_ROUTE_RESULT;
  }
  return r;
}

/* The key's hash if the request carries an acceptable Bearer key. */
static gchar *
authenticate (SimApp *app, SoupServerMessage *msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *auth = soup_message_headers_get_one (req, "Authorization");
  g_autofree gchar *key = NULL;
  gchar *hash;

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  key = g_strstrip (g_strdup (auth + 7));
  if (*key == '\0')
    return NULL;
  hash = sim_app_hash_key (key);
  if (app->api_keys && !g_hash_table_contains (app->api_keys, hash)) {
    g_free (hash);
    return NULL;
  }
  return hash;
}

/* Where result URLs point: the address the client used when the server
 * listens on a wildcard address, else the printed base.  The scheme is the
 * server's own (root_url's), never the client's to choose: under
 * --tls-cert every URL handed out is https://, as the service's are. */
static gchar *
result_base (SimApp *app, SoupServerMessage *msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *host = soup_message_headers_get_one (req, "Host");

  if (app->wildcard_bind && host && *host && strlen (host) <= MAX_HOST_LENGTH &&
      strpbrk (host, " /\\?#@\r\n") == NULL)
    return g_strconcat (g_uri_peek_scheme (app->root_url), "://", host, NULL);
  return g_strdup (app->root_url);
}

static void
answer_insufficient (SoupServerMessage *msg, const SimModel *model)
{
  if (model->balance_http_402)
    sim_message_set_envelope (msg, 402, 402, "Insufficient balance", NULL);
  else
    /* The pages show this body where no HTTP error is documented: HTTP
     * 200, the envelope's code says 400 (service-facts.md). */
    sim_message_set_envelope (msg, 200, 400, "Insufficient credits", NULL);
}

/* @headers as {"Name": "value", ...} (repeated names joined with ", "),
 * for the task's record: all but Authorization (the key). */
static void
add_header (const gchar *name, const gchar *value, gpointer data)
{
  JsonObject *obj = data;
  const gchar *before;

  if (g_ascii_strcasecmp (name, "Authorization") == 0)
    return;
  before = json_object_get_string_member_with_default (obj, name, NULL);
  if (before != NULL) {
    g_autofree gchar *both = g_strconcat (before, ", ", value, NULL);

    json_object_set_string_member (obj, name, both);
  } else {
    json_object_set_string_member (obj, name, value);
  }
}

static JsonNode *
headers_to_json (SoupMessageHeaders *headers)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  soup_message_headers_foreach (headers, add_header, obj);
  json_node_take_object (node, obj);
  return node;
}

static void
handle_generate (SimApp *app, SoupServerMessage *msg, const SimModel *model,
                 const gchar *key_hash)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SimJob) job = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autofree gchar *base = NULL;
  const gchar *ct;
  gdouble billed;
  gint64 cost;
  SimTask *task;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
    answer_error (msg, 405, "Method not allowed: use POST");
    return;
  }
  ct = soup_message_headers_get_content_type (req, NULL);
  if (ct == NULL || g_ascii_strcasecmp (ct, "application/json") != 0) {
    answer_error (msg, 400,
                  "Invalid Content-Type: application/json "
                  "required");
    return;
  }
  bytes = soup_message_body_flatten (body);
  root = sim_json_parse (g_bytes_get_data (bytes, NULL),
                         g_bytes_get_size (bytes), &error);
  if (root)
    job = sim_job_new (model, root, &error);
  if (job == NULL) {
    sim_message_set_request_error (msg, error);
    return;
  }
  if (!sim_limits_can_start (app->limits, key_hash, model)) {
    sim_message_set_envelope (msg, 429, 429, "Concurrent task limit exceeded",
                              NULL);
    set_retry_after (msg, sim_tasks_retry_after (app, key_hash, model));
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "X-Sim-Limit",
        "concurrent");
    return;
  }
  /* SIM CHOICE: the whole cost is charged at submission (animate: its 5 s
   * minimum; the rest once the motion video's duration is known), and
   * refunded if the task fails. */
  billed = job->billed_min > 0 ? job->billed_min
                               : sim_job_billed_seconds (job, job->duration);
  cost = sim_job_cost (job, billed);
  if (cost > app->balance) {
    answer_insufficient (msg, model);
    return;
  }
  app->balance -= cost;

  base = result_base (app, msg);
  task = sim_tasks_create (app, model, key_hash, base, g_steal_pointer (&root),
                           g_steal_pointer (&job), cost);
  task->request_headers =
      headers_to_json (soup_server_message_get_request_headers (msg));
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, task->id);
  json_builder_end_object (b);
  sim_message_set_envelope (msg, 200, 200, "success",
                            json_builder_get_root (b));
}

static void
handle_status (SimApp *app, SoupServerMessage *msg, GHashTable *query,
               const SimModel *model, const gchar *key_hash)
{
  const gchar *id = query ? g_hash_table_lookup (query, "taskId") : NULL;
  g_autoptr (JsonNode) env = NULL;
  SimTask *task;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    answer_error (msg, 405, "Method not allowed: use GET");
    return;
  }
  if (id == NULL || *id == '\0') {
    answer_error (msg, 400, "Missing required field: taskId");
    return;
  }
  task = sim_tasks_lookup (app, id);
  /* SIM CHOICE: a task is only found under its own model and API key. */
  if (task == NULL || task->model != model ||
      g_strcmp0 (task->key_hash, key_hash) != 0) {
    sim_message_set_envelope (msg, 404, 404, "Task not found", NULL);
    return;
  }
  task->status_polls++;
  env = sim_task_status_envelope (task);
  sim_message_set_json (msg, 200, env);
}

static void
handle_balance (SimApp *app, SoupServerMessage *msg)
{
  JsonNode *data;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    answer_error (msg, 405, "Method not allowed: use GET");
    return;
  }
  data = json_node_new (JSON_NODE_VALUE);
  json_node_set_double (data, app->balance / 1e6);
  sim_message_set_envelope (msg, 200, 200, "success", data);
}

/* Processes an API request (auth, limits, the route's work) and sets the
 * answer on @msg.  Returns TRUE when the answer is result bytes. */
static gboolean
process_api (SimApp *app, SoupServerMessage *msg, const Route *r,
             const gchar *path, GHashTable *query)
{
  g_autofree gchar *key_hash = NULL;
  const SimModel *model = NULL;
  guint retry_after;

  if (r->route == SIM_ROUTE_RESULT)
    return sim_results_answer (app->results, msg, path);

  key_hash = authenticate (app, msg);
  if (key_hash == NULL) {
    answer_status (msg, 401, 0);
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "WWW-Authenticate",
        "Bearer");
    return FALSE;
  }
  if (r->route == SIM_ROUTE_BALANCE) {
    handle_balance (app, msg);
    return FALSE;
  }

  model = sim_model_lookup (r->model_name);
  if (model == NULL) {
    sim_message_set_envelope (msg, 404, 404, "Model not found", NULL);
    return FALSE;
  }
  if (!sim_limits_admit (app->limits, key_hash, model, sim_app_clock_us (app),
                         &retry_after)) {
    answer_status (msg, 429, retry_after);
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "X-Sim-Limit",
        "requests");
    return FALSE;
  }
  if (r->route == SIM_ROUTE_GENERATE)
    handle_generate (app, msg, model, key_hash);
  else
    handle_status (app, msg, query, model, key_hash);
  return FALSE;
}

static void
result_wrote_body (SoupServerMessage *msg, SimApp *app)
{
  sim_stats_result_complete (app->stats);
}

/* Replaces a processed answer by one that is not valid JSON. */
static void
make_malformed (SoupServerMessage *msg, const Route *r)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr (GBytes) data = NULL;
  gchar *text;

  if (r->route == SIM_ROUTE_RESULT ||
      !soup_message_body_get_accumulate (body)) {
    text = g_strdup ("{\"code\":200,\"message\":");
    soup_server_message_set_status (msg, 200, NULL);
  } else {
    data = soup_message_body_flatten (body);
    text =
        g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data) / 2);
  }
  soup_message_headers_remove (resp, "Content-Range");
  /* keep a Content-Length: without one libsoup frames the answer by EOF
   * and waits for a body completion that set_response() never signals */
  soup_message_headers_set_content_length (resp, strlen (text));
  soup_message_body_set_accumulate (body, TRUE);
  soup_message_body_truncate (body);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
  SimApp *app = user_data;
  Route r = classify (path);
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *fault_model;
  gboolean result_bytes;
  SimFault fault;

  if (r.route == SIM_ROUTE_CONTROL) {
    sim_control_handle (app, msg, path + strlen (CONTROL_PREFIX), query);
    return;
  }
  if (r.route == SIM_ROUTE_OTHER) {
    sim_message_set_envelope (msg, 404, 404, "Not found", NULL);
    return;
  }

  sim_stats_received (app->stats, r.route);
  if (r.route == SIM_ROUTE_RESULT &&
      soup_message_headers_get_one (req, "Authorization") != NULL)
    sim_stats_result_authorization (app->stats);

  fault_model = r.route == SIM_ROUTE_RESULT
                    ? sim_results_model (app->results, path)
                    : r.model_name;
  sim_faults_take (app->faults, r.route, fault_model, &fault);

  if (fault.kind == SIM_FAULT_STATUS) {
    guint ra = (fault.status == 429 || fault.status == 503)
                   ? MAX (fault.retry_after, 1)
                   : 0;
    answer_status (msg, fault.status, ra);
    sim_stats_answered (app->stats, r.route, fault.status);
    return;
  }
  if (fault.kind == SIM_FAULT_RESET_BEFORE) {
    sim_stats_answered (app->stats, r.route, 0);
    defer (app, msg, DEFER_RESET, 0);
    return;
  }

  result_bytes = process_api (app, msg, &r, path, query);

  switch (fault.kind) {
    case SIM_FAULT_RESET_AFTER:
      sim_stats_answered (app->stats, r.route, 0);
      defer (app, msg, DEFER_RESET, 0);
      return;
    case SIM_FAULT_TRUNCATE:
      sim_stats_answered (app->stats, r.route,
                          soup_server_message_get_status (msg));
      defer (app, msg, DEFER_TRUNCATE, 0);
      return;
    case SIM_FAULT_MALFORMED:
      make_malformed (msg, &r);
      result_bytes = FALSE;
      break;
    default:
      break;
  }
  sim_stats_answered (app->stats, r.route,
                      soup_server_message_get_status (msg));
  if (result_bytes)
    g_signal_connect (msg, "wrote-body", G_CALLBACK (result_wrote_body), app);
  if (fault.kind == SIM_FAULT_SLOW)
    defer (app, msg, DEFER_SLOW, fault.delay);
}

/* Before the body is read: bound its size. */
static void
early_callback (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  SimApp *app = user_data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupEncoding enc = soup_message_headers_get_encoding (req);
  Route r = classify (path);
  guint status = 0;

  if (enc == SOUP_ENCODING_CHUNKED) {
    answer_error (msg, 411, "Content-Length required");
    status = 411;
  } else if (enc == SOUP_ENCODING_CONTENT_LENGTH &&
             soup_message_headers_get_content_length (req) >
                 SIM_MAX_BODY_BYTES) {
    answer_error (msg, 413, "Request body too large (max %d bytes)",
                  SIM_MAX_BODY_BYTES);
    status = 413;
  }
  if (status) {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "Connection", "close");
    sim_stats_received (app->stats, r.route);
    sim_stats_answered (app->stats, r.route, status);
  }
}

gboolean
sim_server_start (SimApp *app, const gchar *bind, guint port,
                  GTlsCertificate *tls, GError **error)
{
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  GSList *listeners;
  const gchar *shown;
  gint bound_port;

  addr = g_inet_address_new_from_string (bind);
  if (addr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--bind: '%s' is not an IP address", bind);
    return FALSE;
  }
  app->server = soup_server_new ("server-header", "apixo-sim",
                                 "tls-certificate", tls, NULL);
  soup_server_add_early_handler (app->server, NULL, early_callback, app, NULL);
  soup_server_add_handler (app->server, NULL, server_callback, app, NULL);

  sa = g_inet_socket_address_new (addr, port);
  if (!soup_server_listen (app->server, sa, tls ? SOUP_SERVER_LISTEN_HTTPS : 0,
                           error))
    return FALSE;

  /* the port from the listening socket (soup_server_get_uris() leaks an
   * address in libsoup 3.2) */
  listeners = soup_server_get_listeners (app->server);
  bound_port = port;
  if (listeners) {
    g_autoptr (GSocketAddress) local =
        g_socket_get_local_address (listeners->data, NULL);
    if (G_IS_INET_SOCKET_ADDRESS (local))
      bound_port =
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  }
  g_slist_free (listeners);

  app->wildcard_bind = g_inet_address_get_is_any (addr);
  if (app->wildcard_bind)
    shown = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6
                ? "[::1]"
                : "127.0.0.1";
  else
    shown = NULL;
  if (shown) {
    app->root_url = g_strdup_printf ("%s://%s:%d", tls ? "https" : "http",
                                     shown, bound_port);
  } else {
    g_autofree gchar *s = g_inet_address_to_string (addr);
    gboolean v6 = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6;
    app->root_url =
        g_strdup_printf ("%s://%s%s%s:%d", tls ? "https" : "http",
                         v6 ? "[" : "", s, v6 ? "]" : "", bound_port);
  }
  return TRUE;
}

void
sim_server_stop (SimApp *app)
{
  if (app->server == NULL)
    return;
  cancel_deferred (app);
  soup_server_disconnect (app->server);
  g_clear_object (&app->server);
}
