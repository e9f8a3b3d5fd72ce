/* gst-apixo test support: start and drive apixo-sim from C tests.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See simfixture.h.  Threading: the fixture's functions are blocking and
 * keep no HTTP state between calls (a short-lived SoupSession per call,
 * since a libsoup 3.2 session belongs to the thread that made it); the
 * only shared state is written once in sim_fixture_start().  A helper
 * thread reads the sim's stdout to its end so the sim never blocks on a
 * full pipe.
 */
#include "simfixture.h"
#include "testdir.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#define BASE_URL_PREFIX "APIXO_BASE_URL="
#define API_SUFFIX "/api/v1"
#define CONTROL_TIMEOUT_S 60

struct _SimFixture {
  GSubprocess *proc;
  GThread *reader;
  GDataInputStream *out;
  gchar *base_url;      /* http(s)://127.0.0.1:PORT/api/v1 */
  gchar *root_url;      /* http(s)://127.0.0.1:PORT */
  GTlsDatabase *tls_db; /* --tls-cert: the certificate as its own CA */
};

static gpointer
drain_stdout (gpointer data)
{
  GInputStream *in = data;
  gchar buf[4096];

  while (g_input_stream_read (in, buf, sizeof (buf), NULL, NULL) > 0) {
  }
  return NULL;
}

/* In the child: a test killed by its runner (timeout, crash) must not
 * leave its sim running. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A database that trusts the self-signed certificate in @path. */
static GTlsDatabase *
trust_certificate (const gchar *path)
{
  g_autofree gchar *absolute = g_canonicalize_filename (path, NULL);
  g_autoptr (GError) error = NULL;
  GTlsDatabase *db = g_tls_file_database_new (absolute, &error);

  if (db == NULL)
    g_error ("simfixture: %s: %s", absolute, error->message);
  return db;
}

gchar *
sim_fixture_data_path (const gchar *name)
{
  const gchar *dir = g_getenv ("APIXO_TEST_DATA");

  if (dir == NULL || *dir == '\0')
    g_error ("simfixture: $APIXO_TEST_DATA is not set (run the tests with "
             "meson)");
  return g_build_filename (dir, name, NULL);
}

SimFixture *
sim_fixture_start_tls (gdouble time_scale)
{
  g_autofree gchar *cert = sim_fixture_data_path ("sim-test-cert.pem");
  g_autofree gchar *key = sim_fixture_data_path ("sim-test-key.pem");

  return sim_fixture_start (time_scale, "--tls-cert", cert, "--tls-key", key,
                            NULL);
}

GTlsDatabase *
sim_fixture_tls_database (SimFixture *sim)
{
  return sim->tls_db;
}

/* A new sim is a new service: what the elements' journal and result cache
 * (in $XDG_CACHE_HOME/gst-apixo, which the test environment points into
 * the build tree) knew of earlier ones goes. */
static void
forget_earlier_runs (void)
{
  const gchar *cache = g_getenv ("APIXO_TEST_CACHE_HOME");
  gchar *dir;

  if (cache == NULL || *cache == '\0')
    return;
  dir = g_build_filename (cache, "gst-apixo", NULL);
  apixo_test_dir_remove (dir);
  g_free (dir);
}

SimFixture *
sim_fixture_start (gdouble time_scale, const gchar *first_arg, ...)
{
  const gchar *bin = g_getenv ("APIXO_SIM");
  const gchar *data_dir = g_getenv ("APIXO_SIM_DATA_DIR");
  const gchar *wrapper = g_getenv ("APIXO_SIM_WRAPPER");
  g_auto (GStrv) wrapper_argv = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gchar scale[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree gchar *line = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  SimFixture *sim;
  const gchar *arg;
  va_list args;

  if (bin == NULL || *bin == '\0')
    g_error ("simfixture: $APIXO_SIM is not set (run the tests with meson)");
  forget_earlier_runs ();

  /* $APIXO_SIM_WRAPPER (e.g. valgrind with its options, set by
   * `meson test --setup simvalgrind`) runs the sim under a tool */
  if (wrapper && *wrapper) {
    if (!g_shell_parse_argv (wrapper, NULL, &wrapper_argv, &error))
      g_error ("simfixture: bad $APIXO_SIM_WRAPPER: %s", error->message);
    for (guint i = 0; wrapper_argv[i]; i++)
      g_ptr_array_add (argv, wrapper_argv[i]);
  }
  g_ptr_array_add (argv, (gpointer)bin);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  /* the tests' webhook receivers are local */
  g_ptr_array_add (argv, (gpointer) "--allow-local-callbacks");
  g_ptr_array_add (argv, (gpointer) "--time-scale");
  g_ascii_dtostr (scale, sizeof (scale), time_scale);
  g_ptr_array_add (argv, scale);
  if (data_dir && *data_dir) {
    g_ptr_array_add (argv, (gpointer) "--data-dir");
    g_ptr_array_add (argv, (gpointer)data_dir);
  }
  sim = g_new0 (SimFixture, 1);
  va_start (args, first_arg);
  for (arg = first_arg; arg; arg = va_arg (args, const gchar *)) {
    g_ptr_array_add (argv, (gpointer)arg);
    if (strcmp (arg, "--tls-cert") == 0) {
      arg = va_arg (args, const gchar *);
      g_assert_nonnull (arg);
      g_ptr_array_add (argv, (gpointer)arg);
      sim->tls_db = trust_certificate (arg);
    }
  }
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  sim->proc = g_subprocess_launcher_spawnv (
      launcher, (const gchar *const *)argv->pdata, &error);
  if (sim->proc == NULL)
    g_error ("simfixture: cannot start %s: %s", bin, error->message);

  sim->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->proc));
  line = g_data_input_stream_read_line (sim->out, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, BASE_URL_PREFIX) ||
      !g_str_has_suffix (line, API_SUFFIX))
    g_error ("simfixture: %s did not print its APIXO_BASE_URL line (%s)", bin,
             error  ? error->message
             : line ? line
                    : "end of output");

  sim->base_url = g_strdup (line + strlen (BASE_URL_PREFIX));
  sim->root_url =
      g_strndup (sim->base_url, strlen (sim->base_url) - strlen (API_SUFFIX));
  sim->reader = g_thread_new ("simfixture-stdout", drain_stdout, sim->out);
  return sim;
}

void
sim_fixture_stop (SimFixture *sim)
{
  g_autoptr (GError) error = NULL;

  if (sim == NULL)
    return;
  g_subprocess_send_signal (sim->proc, SIGTERM);
  if (!g_subprocess_wait (sim->proc, NULL, &error))
    g_error ("simfixture: waiting for apixo-sim: %s", error->message);
  g_thread_join (sim->reader);
  g_assert_true (g_subprocess_get_if_exited (sim->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (sim->proc), ==, 0);

  g_object_unref (sim->out);
  g_object_unref (sim->proc);
  g_free (sim->base_url);
  g_free (sim->root_url);
  g_clear_object (&sim->tls_db);
  g_free (sim);
}

const gchar *
sim_fixture_base_url (SimFixture *sim)
{
  return sim->base_url;
}

const gchar *
sim_fixture_root_url (SimFixture *sim)
{
  return sim->root_url;
}

/* One control request; asserts HTTP 200 and a JSON answer. */
static JsonNode *
control_request (SimFixture *sim, const gchar *method, const gchar *path,
                 JsonNode *body, guint timeout_s)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = g_strconcat (sim->root_url, path, NULL);
  guint status;

  session = soup_session_new_with_options ("timeout", timeout_s, "tls-database",
                                           sim->tls_db, NULL);
  /* loopback: never through a proxy */
  soup_session_set_proxy_resolver (session, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    g_error ("simfixture: bad URL %s", url);
  if (body) {
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    gsize len;
    gchar *text;

    json_generator_set_root (gen, body);
    text = json_generator_to_data (gen, &len);
    /* the message takes its own reference */
    request = g_bytes_new_take (text, len);
    soup_message_set_request_body_from_bytes (msg, "application/json", request);
  }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL)
    g_error ("simfixture: %s %s: %s", method, path, error->message);
  status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_OK)
    g_error ("simfixture: %s %s: HTTP %u: %.*s", method, path, status,
             (int)MIN (g_bytes_get_size (answer), 500),
             (const char *)g_bytes_get_data (answer, NULL));

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), &error))
    g_error ("simfixture: %s %s: not JSON: %s", method, path, error->message);
  return json_node_copy (json_parser_get_root (parser));
}

JsonNode *
sim_fixture_request (SimFixture *sim, const gchar *method, const gchar *path,
                     JsonNode *body)
{
  return control_request (sim, method, path, body, CONTROL_TIMEOUT_S);
}

static void
post_object (SimFixture *sim, const gchar *path, JsonBuilder *b)
{
  g_autoptr (JsonNode) body = json_builder_get_root (b);
  g_autoptr (JsonNode) answer = NULL;

  answer = control_request (sim, "POST", path, body, CONTROL_TIMEOUT_S);
}

void
sim_fixture_add_fault (SimFixture *sim, const gchar *route, const gchar *fault,
                       guint count)
{
  sim_fixture_add_fault_full (sim, route, fault, count, 0, NULL);
}

void
sim_fixture_add_fault_full (SimFixture *sim, const gchar *route,
                            const gchar *fault, guint count, gdouble delay,
                            const gchar *model)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "route");
  json_builder_add_string_value (b, route);
  json_builder_set_member_name (b, "fault");
  json_builder_add_string_value (b, fault);
  json_builder_set_member_name (b, "count");
  json_builder_add_int_value (b, count);
  if (delay > 0) {
    json_builder_set_member_name (b, "delay");
    json_builder_add_double_value (b, delay);
  }
  if (model) {
    json_builder_set_member_name (b, "model");
    json_builder_add_string_value (b, model);
  }
  json_builder_end_object (b);
  post_object (sim, "/__sim/faults", b);
}

void
sim_fixture_set_limits (SimFixture *sim, const gchar *model,
                        gint requests_per_minute, gint concurrent_tasks)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (model) {
    json_builder_set_member_name (b, "model");
    json_builder_add_string_value (b, model);
  }
  if (requests_per_minute >= 0) {
    json_builder_set_member_name (b, "requests_per_minute");
    json_builder_add_int_value (b, requests_per_minute);
  }
  if (concurrent_tasks >= 0) {
    json_builder_set_member_name (b, "concurrent_tasks");
    json_builder_add_int_value (b, concurrent_tasks);
  }
  json_builder_end_object (b);
  post_object (sim, "/__sim/limits", b);
}

/* POST {"@member": @value} to @path. */
static void
post_number (SimFixture *sim, const gchar *path, const gchar *member,
             gdouble value)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, member);
  json_builder_add_double_value (b, value);
  json_builder_end_object (b);
  post_object (sim, path, b);
}

void
sim_fixture_set_balance (SimFixture *sim, gdouble usd)
{
  post_number (sim, "/__sim/balance", "usd", usd);
}

void
sim_fixture_advance_clock (SimFixture *sim, gdouble seconds)
{
  post_number (sim, "/__sim/advance", "seconds", seconds);
}

static JsonArray *
tasks_of (JsonNode *answer)
{
  JsonObject *obj;
  JsonNode *tasks;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (answer));
  obj = json_node_get_object (answer);
  tasks = json_object_get_member (obj, "tasks");
  g_assert_nonnull (tasks);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (tasks));
  return json_array_ref (json_node_get_array (tasks));
}

JsonArray *
sim_fixture_get_tasks (SimFixture *sim)
{
  g_autoptr (JsonNode) answer =
      control_request (sim, "GET", "/__sim/tasks", NULL, CONTROL_TIMEOUT_S);

  return tasks_of (answer);
}

guint
sim_fixture_count_tasks (SimFixture *sim)
{
  g_autoptr (JsonNode) answer =
      control_request (sim, "GET", "/__sim/stats", NULL, CONTROL_TIMEOUT_S);

  return json_object_get_int_member (json_node_get_object (answer), "tasks");
}

JsonObject *
sim_fixture_get_task (SimFixture *sim, const gchar *task_id)
{
  g_autofree gchar *escaped = g_uri_escape_string (task_id, NULL, FALSE);
  g_autofree gchar *path = g_strconcat ("/__sim/tasks?taskId=", escaped, NULL);
  g_autoptr (JsonNode) answer =
      control_request (sim, "GET", path, NULL, CONTROL_TIMEOUT_S);
  g_autoptr (JsonArray) tasks = tasks_of (answer);

  if (json_array_get_length (tasks) == 0)
    return NULL;
  return json_object_ref (json_array_get_object_element (tasks, 0));
}

guint
sim_fixture_count_requests (SimFixture *sim, const gchar *route, gint status)
{
  g_autoptr (JsonNode) answer =
      control_request (sim, "GET", "/__sim/stats", NULL, CONTROL_TIMEOUT_S);
  JsonObject *obj = json_node_get_object (answer);
  JsonObject *requests, *counts;
  gchar key[16];

  if (g_str_equal (route, "result-complete") ||
      g_str_equal (route, "result-authorization"))
    return json_object_get_int_member (obj, route);
  requests = json_object_get_object_member (obj, "requests");
  g_assert_nonnull (requests);
  counts = json_object_get_object_member (requests, route);
  if (counts == NULL)
    g_error ("simfixture: unknown route '%s'", route);
  if (status < 0)
    return json_object_get_int_member (counts, "total");
  g_snprintf (key, sizeof (key), "%d", status);
  return json_object_get_int_member_with_default (counts, key, 0);
}

/* GET /__sim/wait with the (already escaped) @query. */
static gboolean
wait_for (SimFixture *sim, const gchar *query, gdouble timeout)
{
  gchar t[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree gchar *path = NULL;
  g_autoptr (JsonNode) answer = NULL;

  g_ascii_dtostr (t, sizeof (t), MAX (timeout, 0));
  path = g_strdup_printf ("/__sim/wait?%s&timeout=%s", query, t);
  answer = control_request (sim, "GET", path, NULL,
                            (guint)timeout + CONTROL_TIMEOUT_S);
  return json_object_get_boolean_member (json_node_get_object (answer),
                                         "reached");
}

gboolean
sim_fixture_wait_task_state (SimFixture *sim, const gchar *task_id,
                             const gchar *state, gdouble timeout)
{
  g_autofree gchar *s = g_uri_escape_string (state, NULL, FALSE);
  g_autofree gchar *id =
      task_id ? g_uri_escape_string (task_id, NULL, FALSE) : NULL;
  g_autofree gchar *query = NULL;

  if (id)
    query = g_strdup_printf ("taskId=%s&state=%s", id, s);
  else
    query = g_strdup_printf ("state=%s", s);
  return wait_for (sim, query, timeout);
}

gboolean
sim_fixture_wait_requests (SimFixture *sim, const gchar *route, guint count,
                           gdouble timeout)
{
  g_autofree gchar *r = g_uri_escape_string (route, NULL, FALSE);
  g_autofree gchar *query = g_strdup_printf ("route=%s&count=%u", r, count);

  return wait_for (sim, query, timeout);
}

gboolean
sim_fixture_wait_tasks (SimFixture *sim, guint count, gdouble timeout)
{
  g_autofree gchar *query = g_strdup_printf ("tasks=%u", count);

  return wait_for (sim, query, timeout);
}
