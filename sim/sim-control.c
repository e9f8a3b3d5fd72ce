/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Control and introspection endpoints, and the /__sim/wait long polls.
 *
 * Threading: main context only (see sim-app.h).  sim_app_changed() calls
 * our change hook, which only schedules one idle that re-checks every
 * waiter, so thousands of events per second cost one check pass per
 * main-loop iteration.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-control.h"
#include "sim-faults.h"
#include "sim-held.h"
#include "sim-limits.h"
#include "sim-stats.h"
#include "sim-tasks.h"
#include "sim-util.h"

#define DEFAULT_WAIT_S 30.0
#define MAX_WAIT_S 3600.0
#define MAX_WAITERS 10000
#define MAX_ADVANCE_S (100.0 * 365 * 86400)

typedef struct {
  SimControl *control;
  SimHeld *held;
  gchar *task_id;
  gchar *state;
  gchar *route; /* a route name or "result-complete" */
  guint64 count;
  gint64 tasks; /* -1: no condition */
  guint timeout_id;
} Waiter;

struct _SimControl {
  SimApp *app;
  GList *waiters;
  guint check_id;
  /* shutdown: answers still being written (Flushing) */
  GPtrArray *flushing;
};

typedef struct {
  SoupServerMessage *msg;
  gulong id; /* "finished" handler */
} Flushing;

static gboolean waiter_reached (SimApp *app, Waiter *w);
static void flushing_free (Flushing *f);
static void app_changed (SimApp *app, gpointer user_data);

SimControl *
sim_control_new (SimApp *app)
{
  SimControl *control = g_new0 (SimControl, 1);

  control->app = app;
  control->flushing =
      g_ptr_array_new_with_free_func ((GDestroyNotify)flushing_free);
  sim_app_set_changed_func (app, app_changed, control);
  return control;
}

static void
waiter_answer (Waiter *w, gboolean reached)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reached");
  json_builder_add_boolean_value (b, reached);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  sim_message_set_json (sim_held_message (w->held), 200, node);

  w->control->waiters = g_list_remove (w->control->waiters, w);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  sim_held_release (w->held);
  g_free (w->task_id);
  g_free (w->state);
  g_free (w->route);
  g_free (w);
}

static void
flushing_free (Flushing *f)
{
  g_signal_handler_disconnect (f->msg, f->id);
  g_object_unref (f->msg);
  g_free (f);
}

static void
flushed (SoupServerMessage *msg, SimControl *control)
{
  for (guint i = 0; i < control->flushing->len; i++) {
    Flushing *f = g_ptr_array_index (control->flushing, i);
    if (f->msg == msg) {
      g_ptr_array_remove_index_fast (control->flushing, i);
      return;
    }
  }
}

void
sim_control_shutdown (SimControl *control)
{
  while (control->waiters) {
    Waiter *w = control->waiters->data;
    SoupServerMessage *msg = sim_held_message (w->held);

    if (soup_server_message_get_socket (msg) != NULL) {
      Flushing *f = g_new0 (Flushing, 1);
      f->msg = g_object_ref (msg);
      f->id = g_signal_connect (msg, "finished", G_CALLBACK (flushed), control);
      g_ptr_array_add (control->flushing, f);
    }
    waiter_answer (w, waiter_reached (control->app, w));
  }
  g_clear_handle_id (&control->check_id, g_source_remove);
}

guint
sim_control_flushing (SimControl *control)
{
  return control->flushing->len;
}

void
sim_control_free (SimControl *control)
{
  if (control == NULL)
    return;
  sim_app_set_changed_func (control->app, NULL, NULL);
  sim_control_shutdown (control);
  g_ptr_array_unref (control->flushing);
  g_free (control);
}

static gboolean
waiter_reached (SimApp *app, Waiter *w)
{
  if (w->state && !sim_tasks_reached (app, w->task_id, w->state))
    return FALSE;
  if (w->route) {
    SimRoute route;
    guint64 have;

    if (g_str_equal (w->route, "result-complete"))
      have = sim_stats_result_complete_count (app->stats);
    else if (sim_route_from_name (w->route, &route))
      have = sim_stats_total (app->stats, route);
    else
      return FALSE;
    if (have < w->count)
      return FALSE;
  }
  if (w->tasks >= 0 && sim_tasks_count (app) < (guint64)w->tasks)
    return FALSE;
  return TRUE;
}

static gboolean
check_waiters (gpointer user_data)
{
  SimControl *control = user_data;
  GList *l = control->waiters;

  control->check_id = 0;
  while (l) {
    GList *next = l->next;
    Waiter *w = l->data;

    if (waiter_reached (control->app, w))
      waiter_answer (w, TRUE);
    l = next;
  }
  return G_SOURCE_REMOVE;
}

/* The app's change hook (sim_app_changed()). */
static void
app_changed (SimApp *app, gpointer user_data)
{
  SimControl *control = user_data;

  if (control->waiters == NULL || control->check_id)
    return;
  control->check_id = g_idle_add (check_waiters, control);
}

static gboolean
waiter_timeout (gpointer user_data)
{
  Waiter *w = user_data;

  w->timeout_id = 0;
  waiter_answer (w, waiter_reached (w->control->app, w));
  return G_SOURCE_REMOVE;
}

/* ---- answers --------------------------------------------------------- */

static void
answer_json (SoupServerMessage *msg, JsonNode *node)
{
  sim_message_set_json (msg, 200, node);
  json_node_unref (node);
}

static void
answer_error (SoupServerMessage *msg, guint status, const gchar *text)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  sim_message_set_json (msg, status, node);
}

static gboolean
parse_double (const gchar *s, gdouble min, gdouble max, gdouble *out)
{
  gchar *end = NULL;
  gdouble v;

  if (s == NULL || *s == '\0')
    return FALSE;
  v = g_ascii_strtod (s, &end);
  if (*end != '\0' || !(v >= min) || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

static void
handle_wait (SimControl *control, SoupServerMessage *msg, GHashTable *query)
{
  const gchar *task_id = query ? g_hash_table_lookup (query, "taskId") : NULL;
  const gchar *state = query ? g_hash_table_lookup (query, "state") : NULL;
  const gchar *route = query ? g_hash_table_lookup (query, "route") : NULL;
  const gchar *count = query ? g_hash_table_lookup (query, "count") : NULL;
  const gchar *tasks = query ? g_hash_table_lookup (query, "tasks") : NULL;
  const gchar *timeout = query ? g_hash_table_lookup (query, "timeout") : NULL;
  gdouble t = DEFAULT_WAIT_S, c = 1, n = -1;
  SimRoute r;
  Waiter *w;

  if (task_id && !state) {
    answer_error (msg, 400, "wait: taskId needs state");
    return;
  }
  if (!state && !route && !tasks) {
    answer_error (msg, 400, "wait: give state, route or tasks");
    return;
  }
  if (route && !g_str_equal (route, "result-complete") &&
      !sim_route_from_name (route, &r)) {
    answer_error (msg, 400, "wait: unknown route");
    return;
  }
  if ((count && !parse_double (count, 0, 1e12, &c)) ||
      (tasks && !parse_double (tasks, 0, 1e12, &n)) ||
      (timeout && !parse_double (timeout, 0, MAX_WAIT_S, &t))) {
    answer_error (msg, 400, "wait: count, tasks and timeout are numbers");
    return;
  }
  if (g_list_length (control->waiters) >= MAX_WAITERS) {
    answer_error (msg, 503, "wait: too many waiters");
    return;
  }

  w = g_new0 (Waiter, 1);
  w->control = control;
  w->task_id = g_strdup (task_id);
  w->state = g_strdup (state);
  w->route = g_strdup (route);
  w->count = (guint64)c;
  w->tasks = tasks ? (gint64)n : -1;
  w->held = sim_held_new (msg);
  control->waiters = g_list_prepend (control->waiters, w);
  if (waiter_reached (control->app, w)) {
    waiter_answer (w, TRUE);
    return;
  }
  w->timeout_id = g_timeout_add ((guint)(t * 1000), waiter_timeout, w);
}

static JsonNode *
parse_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  node = sim_json_parse (g_bytes_get_data (bytes, NULL),
                         g_bytes_get_size (bytes), &error);
  if (node == NULL)
    answer_error (msg, 400, error->message);
  return node;
}

static gboolean
number_member (JsonNode *body, const gchar *name, gdouble min, gdouble max,
               gdouble *out)
{
  JsonObject *obj;
  JsonNode *node;
  GType t;

  if (!JSON_NODE_HOLDS_OBJECT (body))
    return FALSE;
  obj = json_node_get_object (body);
  node = json_object_get_member (obj, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (node);
  return *out >= min && *out <= max;
}

static JsonNode *
balance_json (SimApp *app)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "usd");
  json_builder_add_double_value (b, app->balance / 1e6);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
clock_json (SimApp *app)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "advanced");
  json_builder_add_double_value (b, (gdouble)app->clock_offset_us / 1e6);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
stats_json (SimApp *app)
{
  JsonNode *node = sim_stats_to_json (app->stats);
  JsonObject *obj = json_node_get_object (node);

  json_object_set_int_member (obj, "tasks", sim_tasks_count (app));
  json_object_set_int_member (obj, "waiters",
                              g_list_length (app->control->waiters));
  json_object_set_double_member (obj, "balance", app->balance / 1e6);
  return node;
}

void
sim_control_handle (SimApp *app, SoupServerMessage *msg, const gchar *sub_path,
                    GHashTable *query)
{
  const gchar *method = soup_server_message_get_method (msg);
  gboolean get = method == SOUP_METHOD_GET;
  gboolean post = method == SOUP_METHOD_POST;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GError) error = NULL;
  gdouble v;

  if (post && !(body = parse_body (msg)))
    return;

  if (g_str_equal (sub_path, "tasks") && get) {
    answer_json (
        msg, sim_tasks_to_json (
                 app, query ? g_hash_table_lookup (query, "taskId") : NULL));
  } else if (g_str_equal (sub_path, "stats") && get) {
    answer_json (msg, stats_json (app));
  } else if (g_str_equal (sub_path, "wait") && get) {
    handle_wait (app->control, msg, query);
  } else if (g_str_equal (sub_path, "faults")) {
    if (post && !sim_faults_add_json (app->faults, body, &error)) {
      answer_error (msg, 400, error->message);
      return;
    }
    if (method == SOUP_METHOD_DELETE)
      sim_faults_clear (app->faults);
    answer_json (msg, sim_faults_to_json (app->faults));
  } else if (g_str_equal (sub_path, "limits")) {
    if (post && !sim_limits_set_json (app->limits, body, &error)) {
      answer_error (msg, 400, error->message);
      return;
    }
    answer_json (msg, sim_limits_to_json (app->limits));
  } else if (g_str_equal (sub_path, "balance")) {
    if (post) {
      if (!number_member (body, "usd", 0, 1e9, &v)) {
        answer_error (msg, 400, "balance: expected {\"usd\": number >= 0}");
        return;
      }
      app->balance = (gint64)(v * 1e6 + 0.5);
    }
    answer_json (msg, balance_json (app));
  } else if (g_str_equal (sub_path, "advance") && post) {
    if (!number_member (body, "seconds", 0, MAX_ADVANCE_S, &v)) {
      answer_error (msg, 400, "advance: expected {\"seconds\": number >= 0}");
      return;
    }
    app->clock_offset_us += (gint64)(v * G_USEC_PER_SEC);
    sim_app_changed (app);
    answer_json (msg, clock_json (app));
  } else {
    answer_error (msg, 404, "unknown control endpoint or method");
  }
}
