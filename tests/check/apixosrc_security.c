/* gst-apixo: the API key never leaks (logs, bus, properties, result host).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include <ifaddrs.h>
#include <netinet/in.h>

#include "apixotest.h"
#include "gstapixojson.h"

#define SECRET "sk-live-SECRET-7f3a9c1e5b"

APIXO_TEST_FIXTURE (0.01, "security")

/* Everything a message carries, as text. */
static gchar *
message_text (GstMessage *msg)
{
  GString *out = g_string_new (NULL);
  const GstStructure *s = gst_message_get_structure (msg);
  GError *error = NULL;
  gchar *debug = NULL, *str;
  const GstStructure *details = NULL;

  if (s != NULL) {
    str = gst_structure_to_string (s);
    g_string_append (out, str);
    g_free (str);
  }
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      gst_message_parse_error_details (msg, &details);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      gst_message_parse_warning_details (msg, &details);
      break;
    default:
      break;
  }
  if (error != NULL)
    g_string_append_printf (out, " %s", error->message);
  if (debug != NULL)
    g_string_append_printf (out, " %s", debug);
  if (details != NULL) {
    str = gst_structure_to_string (details);
    g_string_append_printf (out, " %s", str);
    g_free (str);
  }
  g_clear_error (&error);
  g_free (debug);
  return g_string_free (out, FALSE);
}

static void
assert_no_secret_on_bus (ApixoRun *run)
{
  GList *l;

  for (l = run->messages; l != NULL; l = l->next) {
    gchar *text = message_text (l->data);
    fail_if (strstr (text, SECRET) != NULL, "key on the bus: %s", text);
    g_free (text);
  }
}

/* Every readable property, serialised: the key is not among them. */
static void
assert_no_secret_in_properties (GstElement *element)
{
  GParamSpec **specs, *key_spec;
  guint n, i;

  key_spec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (element), "api-key");
  fail_unless (key_spec != NULL);
  fail_if (key_spec->flags & G_PARAM_READABLE, "api-key must be write-only");

  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n);
  for (i = 0; i < n; i++) {
    GValue value = G_VALUE_INIT;
    gchar *str;

    if (!(specs[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&value, specs[i]->value_type);
    g_object_get_property (G_OBJECT (element), specs[i]->name, &value);
    if ((G_VALUE_HOLDS_BOXED (&value) && g_value_get_boxed (&value) == NULL) ||
        G_VALUE_HOLDS_OBJECT (&value)) {
      g_value_unset (&value);
      continue;
    }
    str = gst_value_serialize (&value);
    if (str == NULL && G_VALUE_HOLDS_STRING (&value))
      str = g_value_dup_string (&value);
    fail_if (str != NULL && strstr (str, SECRET) != NULL,
             "key readable through %s", specs[i]->name);
    g_free (str);
    g_value_unset (&value);
  }
  g_free (specs);
}

static ApixoRun *
run_with_key (const gchar *launch_tail, gboolean from_env)
{
  gchar *launch;
  GstElement *pipeline, *src;
  ApixoRun *run;

  if (from_env) {
    g_setenv ("APIXO_API_KEY", SECRET, TRUE);
    launch = g_strdup_printf ("apixosrc name=src base-url=%s early-poll=0.05 "
                              "poll-delay=0.1 poll-interval=0.05 %s",
                              sim_fixture_base_url (sim), launch_tail);
  } else {
    /* Set as a property by the application.  (Not in a launch line:
     * GStreamer core itself logs launch descriptions at DEBUG level, and
     * the command line of gst-launch-1.0 is visible to every user of the
     * machine: the README recommends APIXO_API_KEY.) */
    g_unsetenv ("APIXO_API_KEY");
    launch =
        g_strdup_printf ("apixosrc name=src base-url=%s "
                         "early-poll=0.05 poll-delay=0.1 poll-interval=0.05 %s",
                         sim_fixture_base_url (sim), launch_tail);
  }
  pipeline = apixo_test_parse (NULL, launch);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  if (!from_env)
    g_object_set (src, "api-key", SECRET, NULL);
  assert_no_secret_in_properties (src);
  run = apixo_test_run (pipeline, 60);
  assert_no_secret_in_properties (src);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (launch);
  return run;
}

static void
assert_no_secret_in_logs (GString *logs)
{
  /* the capture really saw the run (else this proves nothing) */
  fail_unless (strstr (logs->str, "apixo") != NULL);
  fail_unless (logs->len > 10000);
  if (strstr (logs->str, SECRET) != NULL) {
    const gchar *hit = strstr (logs->str, SECRET);
    const gchar *line = hit;
    while (line > logs->str && line[-1] != '\n')
      line--;
    fail ("key in the debug log: %.300s", line);
  }
  /* nor its base64 (Basic auth style) form */
  {
    gchar *b64 = g_base64_encode ((const guchar *)SECRET, strlen (SECRET));
    fail_if (strstr (logs->str, b64) != NULL);
    g_free (b64);
  }
}

GST_START_TEST (test_key_never_leaks_success)
{
  ApixoRun *run;
  GString *logs;
  JsonNode *stats;

  apixo_test_capture_logs_start ();
  run = run_with_key ("model=wan-2-5 prompt=\"secret keeping\" ! "
                      "qtdemux ! fakesink",
                      FALSE);
  logs = apixo_test_capture_logs_stop ();

  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  fail_unless (run->eos);
  assert_no_secret_in_logs (logs);
  assert_no_secret_on_bus (run);

  /* the result host never saw an Authorization header */
  stats = sim_fixture_request (sim, "GET", "/__sim/stats", NULL);
  fail_unless_equals_int (
      json_object_get_int_member (json_node_get_object (stats),
                                  "result-authorization"),
      0);
  fail_unless (sim_fixture_count_requests (sim, "result", -1) > 0);
  json_node_unref (stats);
  g_string_free (logs, TRUE);
  apixo_run_free (run);
}

GST_END_TEST;

GST_START_TEST (test_key_never_leaks_errors)
{
  ApixoRun *run;
  GString *logs;

  /* a failed task, a service error that echoes the request, an HTTP error */
  apixo_test_capture_logs_start ();
  run = run_with_key ("model=veo-3-1 prompt=\"x [sim:fail=INVALID_PROMPT]\" "
                      "! fakesink",
                      TRUE);
  fail_unless (run->error != NULL);
  assert_no_secret_on_bus (run);
  apixo_run_free (run);

  sim_fixture_add_fault (sim, "generate", "500", 1);
  run = run_with_key ("model=sora-2-pro prompt=x ! fakesink", FALSE);
  fail_unless (run->error != NULL);
  assert_no_secret_on_bus (run);
  apixo_run_free (run);
  logs = apixo_test_capture_logs_stop ();
  assert_no_secret_in_logs (logs);
  g_string_free (logs, TRUE);
}

GST_END_TEST;

/* image-uris = < @uri >, set as a property (not in a launch line, which
 * GStreamer core logs). */
static void
set_image_uri (GstElement *src, const gchar *uri)
{
  GValue array = G_VALUE_INIT, v = G_VALUE_INIT;

  gst_value_array_init (&array, 1);
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, uri);
  gst_value_array_append_and_take_value (&array, &v);
  g_object_set_property (G_OBJECT (src), "image-uris", &array);
  g_value_unset (&array);
}

/* apixosrc (wan-2-5 from the image @image_uri, the key set as a property)
 * against the sim; *@src_out: the element (a ref). */
static GstElement *
image_pipeline (const gchar *image_uri, GstElement **src_out)
{
  gchar *launch = g_strdup_printf (
      "apixosrc name=src base-url=%s early-poll=0.05 poll-delay=0.1 "
      "poll-interval=0.05 model=wan-2-5 prompt=x ! fakesink",
      sim_fixture_base_url (sim));
  GstElement *pipeline = apixo_test_parse (NULL, launch);

  *src_out = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  set_image_uri (*src_out, image_uri);
  g_object_set (*src_out, "api-key", SECRET, NULL);
  g_free (launch);
  return pipeline;
}

/* URLs may carry secrets of their own (a webhook token, a signed input
 * URL): not in the logs either, at any level.  (Set as properties: GStreamer
 * core logs launch lines.) */
GST_START_TEST (test_url_secrets_not_logged)
{
  ApixoTestServer *server = apixo_test_server_start ();
  GBytes *png = apixo_test_make_image (640, 360, "png", 0x3080c0);
  gchar *image = apixo_test_server_add (server, "img.png", png, "image/png");
  gchar *signed_image = g_strconcat (image, "?sig=SIGSECRET42", NULL);
  gchar *hook = g_strdup_printf ("http://127.0.0.1:%u/hook?token=HOOKSECRET42",
                                 apixo_test_server_port (server));
  GstElement *src;
  GstElement *pipeline = image_pipeline (signed_image, &src);
  ApixoRun *run;
  GString *logs;
  JsonArray *tasks;
  JsonObject *request;

  g_object_set (src, "request-type", 1, "callback-url", hook, NULL);

  apixo_test_capture_logs_start ();
  run = apixo_test_run (pipeline, 60);
  logs = apixo_test_capture_logs_stop ();

  fail_unless (run->error == NULL, "%s", run->error ? run->error->message : "");
  /* the service got them whole */
  tasks = sim_fixture_get_tasks (sim);
  request = json_object_get_object_member (
      json_array_get_object_element (tasks, 0), "request");
  fail_unless_equals_string (
      json_object_get_string_member (request, "callback_url"), hook);
  /* the logs did not */
  fail_unless (strstr (logs->str, "submitting to model") != NULL);
  fail_if (strstr (logs->str, "HOOKSECRET42") != NULL);
  fail_if (strstr (logs->str, "SIGSECRET42") != NULL);
  assert_no_secret_in_logs (logs);

  json_array_unref (tasks);
  g_string_free (logs, TRUE);
  apixo_run_free (run);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  apixo_test_server_stop (server);
  g_bytes_unref (png);
  g_free (hook);
  g_free (signed_image);
  g_free (image);
}

GST_END_TEST;

/* The service's failMsg may name an input URL (apixo-sim's does, with
 * INVALID_IMAGE_URL): its query (a signature) and user info are the
 * user's secrets like the key, and do not reach the error, its details,
 * the bus or the logs; the rest of the URL does. */
static const gchar *const ECHOED_SECRETS[] = { "USERSECRET42", "SIGSECRET42",
                                               "missing.png" };

GST_START_TEST (test_url_secrets_not_echoed)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *missing = g_strdup_printf (
      "http://user:USERSECRET42@127.0.0.1:%u/missing.png?sig=SIGSECRET42#frag",
      apixo_test_server_port (server));
  GstElement *src;
  GstElement *pipeline = image_pipeline (missing, &src);
  gchar *shown;
  ApixoRun *run;
  GString *logs;

  apixo_test_capture_logs_start ();
  run = apixo_test_run (pipeline, 60);
  logs = apixo_test_capture_logs_stop ();

  /* the service got the URL whole, and failed the task naming it */
  fail_unless (run->error != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "fail-code"),
      "INVALID_IMAGE_URL");
  shown = g_strdup_printf ("(http://***@127.0.0.1:%u/***)",
                           apixo_test_server_port (server));
  fail_unless (strstr (run->error->message, shown) != NULL, "%s",
               run->error->message);
  fail_unless (
      strstr (gst_structure_get_string (run->error_details, "fail-msg"),
              shown) != NULL);
  for (GList *l = run->messages; l != NULL; l = l->next) {
    const GstStructure *st = gst_message_get_structure (l->data);
    gchar *text = st ? gst_structure_to_string (st) : NULL;
    GError *error = NULL;
    gchar *debug = NULL;

    if (GST_MESSAGE_TYPE (l->data) == GST_MESSAGE_ERROR)
      gst_message_parse_error (l->data, &error, &debug);
    for (guint i = 0; i < G_N_ELEMENTS (ECHOED_SECRETS); i++) {
      fail_if (text && strstr (text, ECHOED_SECRETS[i]) != NULL, "%s", text);
      fail_if (error && strstr (error->message, ECHOED_SECRETS[i]) != NULL);
      fail_if (debug && strstr (debug, ECHOED_SECRETS[i]) != NULL);
    }
    g_clear_error (&error);
    g_free (debug);
    g_free (text);
  }
  fail_unless (strstr (logs->str, "INVALID_IMAGE_URL") != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (ECHOED_SECRETS); i++)
    fail_if (strstr (logs->str, ECHOED_SECRETS[i]) != NULL);

  g_free (shown);
  g_string_free (logs, TRUE);
  apixo_run_free (run);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  apixo_test_server_stop (server);
  g_free (missing);
}

GST_END_TEST;

/* Runs apixosrc (key set as a property) against @base_url. */
static ApixoRun *
run_against (const gchar *base_url, const gchar *args)
{
  gchar *launch = g_strdup_printf (
      "apixosrc name=src base-url=%s early-poll=0.05 poll-delay=0.1 "
      "poll-interval=0.05 model=wan-2-5 prompt=x %s ! fakesink",
      base_url, args);
  GstElement *pipeline = apixo_test_parse (NULL, launch);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  ApixoRun *run;

  g_unsetenv ("APIXO_API_KEY");
  g_object_set (src, "api-key", SECRET, NULL);
  run = apixo_test_run (pipeline, 60);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (launch);
  return run;
}

/* The API answers a redirect to another host (a hijacked DNS name, a
 * misconfigured proxy): not followed (libsoup 3.2 would resend the
 * Authorization header there), a clear error, the submit not resent. */
GST_START_TEST (test_key_not_sent_on_redirect)
{
  ApixoTestServer *server = apixo_test_server_start ();
  guint port = apixo_test_server_port (server);
  const gchar *answer = "{\"code\":200,\"message\":\"success\",\"data\":"
                        "{\"taskId\":\"task_12345678\",\"state\":"
                        "\"processing\"}}";
  GBytes *body = g_bytes_new_static (answer, strlen (answer));
  gchar *elsewhere = g_strdup_printf ("http://localhost:%u/elsewhere", port);
  gchar *base = g_strdup_printf ("http://127.0.0.1:%u/api/v1", port);
  ApixoRun *run;

  g_free (
      apixo_test_server_add (server, "elsewhere", body, "application/json"));
  g_free (apixo_test_server_add_redirect (server, "api/v1/generateTask/wan-2-5",
                                          elsewhere));
  g_free (apixo_test_server_add_redirect (server, "api/v1/statusTask/wan-2-5",
                                          elsewhere));

  /* submitting */
  run = run_against (base, "");
  fail_unless (run->error != NULL);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_FAILED);
  fail_unless (strstr (run->error->message, "redirect") != NULL, "%s",
               run->error->message);
  assert_no_secret_on_bus (run);
  fail_unless_equals_int (
      apixo_test_server_requests (server, "api/v1/generateTask/wan-2-5"), 1);
  apixo_run_free (run);

  /* checking a task (resumed by id) */
  run = run_against (base, "task-id=task_12345678");
  fail_unless (run->error != NULL);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_FAILED);
  fail_unless (
      apixo_test_server_requests (server, "api/v1/statusTask/wan-2-5") >= 1);
  apixo_run_free (run);

  /* the other host never heard from us, let alone got the key */
  fail_unless_equals_int (apixo_test_server_requests (server, "elsewhere"), 0);
  fail_unless_equals_int (apixo_test_server_authorized (server, "elsewhere"),
                          0);

  apixo_test_server_stop (server);
  g_bytes_unref (body);
  g_free (base);
  g_free (elsewhere);
}

GST_END_TEST;

GST_START_TEST (test_key_refused_is_not_repeated)
{
  SimFixture *strict =
      sim_fixture_start (0.01, "--api-key", "another-key", NULL);
  SimFixture *saved = sim;
  ApixoRun *run;

  sim = strict;
  run = run_with_key ("model=wan-2-5 prompt=x ! fakesink", FALSE);
  fail_unless (run->error != NULL);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  assert_no_secret_on_bus (run);
  apixo_run_free (run);
  sim = saved;
  sim_fixture_stop (strict);
}

GST_END_TEST;

/* ---- what the network sends back (issue 15) ---------------------------- */

#define TASK_ID "task_nettrust_1"

/* {"code": 200, "message": "success", "data": {...}}: the members of data
 * go into the builder returned, then envelope_end(). */
static JsonBuilder *
envelope_begin (void)
{
  JsonBuilder *b = gst_apixo_json_object_begin ();

  gst_apixo_json_add_int (b, "code", 200);
  gst_apixo_json_add_string (b, "message", "success");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  return b;
}

static gchar *
envelope_end (JsonBuilder *b)
{
  gsize length;

  json_builder_end_object (b); /* data */
  return gst_apixo_json_object_end (b, FALSE, &length);
}

static void
add_json_route (ApixoTestServer *server, const gchar *name, gchar *json)
{
  GBytes *body = g_bytes_new_take (json, strlen (json));

  g_free (apixo_test_server_add (server, name, body, "application/json"));
  g_bytes_unref (body);
}

/* A fake APIXO API on @server, reached at @host: its generateTask answers
 * @task_id, its statusTask says the task succeeded with @result_url.
 * Returns its base URL. */
static gchar *
fake_api (ApixoTestServer *server, const gchar *host, const gchar *task_id,
          const gchar *result_url)
{
  JsonBuilder *b = envelope_begin ();
  gchar *result_json;

  gst_apixo_json_add_string (b, "taskId", task_id);
  add_json_route (server, "api/v1/generateTask/wan-2-5", envelope_end (b));

  result_json = g_strdup_printf ("{\"resultUrls\":[\"%s\"]}", result_url);
  b = envelope_begin ();
  gst_apixo_json_add_string (b, "taskId", task_id);
  gst_apixo_json_add_string (b, "state", "success");
  gst_apixo_json_add_string (b, "resultJson", result_json);
  add_json_route (server, "api/v1/statusTask/wan-2-5", envelope_end (b));
  g_free (result_json);

  return g_strdup_printf (strchr (host, ':') ? "http://[%s]:%u/api/v1"
                                             : "http://%s:%u/api/v1",
                          host, apixo_test_server_port (server));
}

static const gchar *
detail (ApixoRun *run, const gchar *field)
{
  fail_unless (run->error_details != NULL);
  return gst_structure_get_string (run->error_details, field);
}

/* The save-location of run_fake()'s runs. */
static gchar *
save_path (void)
{
  return g_strconcat (tmpdir, G_DIR_SEPARATOR_S "result.mp4", NULL);
}

/* Runs the element against the fake API at @base_url, keeping the result
 * at save_path(). */
static ApixoRun *
run_fake (const gchar *base_url, const gchar *args)
{
  gchar *save = save_path ();
  gchar *all = g_strdup_printf ("timeout=3 retries=0 save-location=%s %s", save,
                                args ? args : "");
  ApixoRun *run = run_against (base_url, all);

  g_free (all);
  g_free (save);
  return run;
}

/* The run failed with @reason (@code), for the task of the fake API,
 * and left nothing at save-location. */
static void
assert_refused (ApixoRun *run, GstResourceError code, const gchar *reason)
{
  gchar *save = save_path ();
  gchar *part = g_strconcat (save, ".part", NULL);

  fail_unless (run->error != NULL, "not refused");
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, code);
  fail_unless_equals_string (detail (run, "reason"), reason);
  fail_if (g_file_test (save, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (part, G_FILE_TEST_EXISTS));
  assert_no_secret_on_bus (run);
  g_free (part);
  g_free (save);
}

/* Result URLs into link-local (a cloud's metadata service), private and
 * unique-local space, as literal addresses: refused before any connection
 * (nothing listens there), while base-url is on loopback. */
static const gchar *const BLOCKED_RESULT_URLS[] = {
  "http://169.254.169.254/latest/user-data",
  "http://10.0.0.1:9/result.mp4",
  "http://[fd00::1]:9/result.mp4",
  "http://[fe80::1]:9/result.mp4",
  "http://[::ffff:169.254.169.254]/latest/user-data",
  "http://192.168.1.1:9/result.mp4",
};

GST_START_TEST (test_result_url_blocked)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *base =
      fake_api (server, "127.0.0.1", TASK_ID, BLOCKED_RESULT_URLS[__i__]);
  ApixoRun *run = run_fake (base, NULL);

  assert_refused (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "blocked-address");
  /* the result can still be fetched: the task is named */
  fail_unless_equals_string (detail (run, "task-id"), TASK_ID);
  apixo_run_free (run);
  apixo_test_server_stop (server);
  g_free (base);
}

GST_END_TEST;

/* A result URL on the (allowed) loopback host that redirects there. */
static const gchar *const BLOCKED_REDIRECTS[] = {
  "http://169.254.169.254/latest/user-data",
  "http://10.0.0.1:9/result.mp4",
};

GST_START_TEST (test_result_redirect_blocked)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *result = apixo_test_server_add_redirect (server, "result.mp4",
                                                  BLOCKED_REDIRECTS[__i__]);
  gchar *base = fake_api (server, "127.0.0.1", TASK_ID, result);
  ApixoRun *run = run_fake (base, NULL);

  assert_refused (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "blocked-address");
  fail_unless_equals_string (detail (run, "task-id"), TASK_ID);
  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 1);
  apixo_run_free (run);
  apixo_test_server_stop (server);
  g_free (base);
  g_free (result);
}

GST_END_TEST;

static gboolean
is_private (const struct sockaddr *sa)
{
  if (sa->sa_family == AF_INET) {
    const guint8 *b =
        (const guint8 *)&((const struct sockaddr_in *)sa)->sin_addr;

    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168);
  }
  return (((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr[0] & 0xfe) ==
         0xfc;
}

/* An address of this host that is neither loopback nor link-local, a
 * private or unique-local one first; NULL if there is none. */
static gchar *
local_address (void)
{
  struct ifaddrs *list, *i;
  gchar *found = NULL;

  fail_unless (getifaddrs (&list) == 0);
  for (gint pass = 0; pass < 2 && found == NULL; pass++) {
    for (i = list; i != NULL && found == NULL; i = i->ifa_next) {
      GSocketAddress *sa;
      GInetAddress *inet;

      if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET &&
                                  i->ifa_addr->sa_family != AF_INET6))
        continue;
      if (pass == 0 && !is_private (i->ifa_addr))
        continue;
      sa = g_socket_address_new_from_native (
          i->ifa_addr, i->ifa_addr->sa_family == AF_INET
                           ? sizeof (struct sockaddr_in)
                           : sizeof (struct sockaddr_in6));
      inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
      if (!g_inet_address_get_is_loopback (inet) &&
          !g_inet_address_get_is_link_local (inet) &&
          !g_inet_address_get_is_any (inet))
        found = g_inet_address_to_string (inet);
      g_object_unref (sa);
    }
  }
  freeifaddrs (list);
  return found;
}

/* A name (not "localhost", which is loopback by its text) that resolves
 * to loopback addresses only: this host's name, else "localhost.". */
static const gchar *
loopback_name (void)
{
  const gchar *names[] = { g_get_host_name (), "localhost." };

  for (guint n = 0; n < G_N_ELEMENTS (names); n++) {
    GList *addrs = g_resolver_lookup_by_name (g_resolver_get_default (),
                                              names[n], NULL, NULL);
    gboolean loopback = addrs != NULL;

    for (GList *l = addrs; l != NULL; l = l->next)
      loopback = loopback && g_inet_address_get_is_loopback (l->data);
    g_resolver_free_addresses (addrs);
    if (loopback)
      return names[n];
  }
  return NULL;
}

/* base-url on another address of this host (not loopback): a result URL
 * whose host name resolves to loopback is refused when the connection is
 * made (what a name resolves to is checked, not its text); and one on
 * base-url's own address is fetched (base-url's class is exempt). */
GST_START_TEST (test_resolved_address_blocked)
{
  g_autofree gchar *address = local_address ();
  const gchar *name = loopback_name ();
  ApixoTestServer *server;
  g_autoptr (GBytes) mp4 = NULL;
  g_autofree gchar *result = NULL, *save = save_path ();
  gchar *base, *url;
  ApixoRun *run;
  ApixoMediaInfo info;

  if (address == NULL || name == NULL) {
    g_printerr ("test_resolved_address_blocked: SKIPPED: no address but "
                "loopback and link-local here, or no name of loopback\n");
    return;
  }
  server = apixo_test_server_start_any ();
  mp4 = apixo_test_make_mp4 (1, 320, 240);
  result = apixo_test_server_add (server, "result.mp4", mp4, "video/mp4");
  url = g_strdup_printf ("http://%s:%u/result.mp4", name,
                         apixo_test_server_port (server));
  base = fake_api (server, address, TASK_ID, url);
  run = run_fake (base, "allow-insecure-http=true");
  assert_refused (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "blocked-address");
  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 0);
  apixo_run_free (run);
  g_free (base);
  g_free (url);

  /* the same file on base-url's own address: fetched, kept, decodable */
  url = g_strdup_printf (strchr (address, ':') ? "http://[%s]:%u/result.mp4"
                                               : "http://%s:%u/result.mp4",
                         address, apixo_test_server_port (server));
  /* (the same task: the journal resumes it rather than submit again) */
  base = fake_api (server, address, TASK_ID, url);
  run = run_fake (base, "allow-insecure-http=true");
  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  fail_unless (apixo_test_probe_file (save, &info));
  fail_unless_equals_int (info.width, 320);
  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 1);

  apixo_run_free (run);
  apixo_test_server_stop (server);
  g_free (base);
  g_free (url);
}

GST_END_TEST;

/* Runs against the fake API at @base_url, capturing every log line: the
 * run is refused with @code and @reason, and the key is in no log line. */
static ApixoRun *
run_refused_unlogged (const gchar *base_url, GstResourceError code,
                      const gchar *reason)
{
  ApixoRun *run;
  GString *logs;

  apixo_test_capture_logs_start ();
  run = run_fake (base_url, NULL);
  logs = apixo_test_capture_logs_stop ();
  assert_refused (run, code, reason);
  assert_no_secret_in_logs (logs);
  g_string_free (logs, TRUE);
  return run;
}

/* The service echoes the key as the task id: refused as malformed (it
 * would go back in every status request's query), in no message and no
 * log line. */
GST_START_TEST (test_key_as_task_id)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *base =
      fake_api (server, "127.0.0.1", SECRET, "http://127.0.0.1:9/result.mp4");
  /* (an answer to a submission: the task may exist, it is not sent again) */
  ApixoRun *run =
      run_refused_unlogged (base, GST_RESOURCE_ERROR_FAILED, "malformed");

  fail_unless_equals_int (
      apixo_test_server_requests (server, "api/v1/generateTask/wan-2-5"), 1);
  fail_unless_equals_int (
      apixo_test_server_requests (server, "api/v1/statusTask/wan-2-5"), 0);
  apixo_run_free (run);
  apixo_test_server_stop (server);
  g_free (base);
}

GST_END_TEST;

/* ...in a result URL: refused as malformed, never fetched (the result host
 * would get the key), in no message and no log line. */
GST_START_TEST (test_key_in_result_url)
{
  ApixoTestServer *server = apixo_test_server_start ();
  GBytes *mp4 = apixo_test_make_mp4 (1, 320, 240);
  gchar *result =
      apixo_test_server_add (server, "result.mp4", mp4, "video/mp4");
  gchar *url = g_strconcat (result, "?token=" SECRET, NULL);
  gchar *base = fake_api (server, "127.0.0.1", TASK_ID, url);
  ApixoRun *run =
      run_refused_unlogged (base, GST_RESOURCE_ERROR_READ, "malformed");

  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 0);
  apixo_run_free (run);
  apixo_test_server_stop (server);
  g_bytes_unref (mp4);
  g_free (base);
  g_free (url);
  g_free (result);
}

GST_END_TEST;

/* ...in the URL a result host redirects to: not followed (the next host
 * would get the key), refused as malformed. */
GST_START_TEST (test_key_in_redirect)
{
  ApixoTestServer *server = apixo_test_server_start ();
  g_autoptr (GBytes) mp4 = apixo_test_make_mp4 (1, 320, 240);
  g_autofree gchar *target =
      apixo_test_server_add (server, "elsewhere.mp4", mp4, "video/mp4");
  g_autofree gchar *location = g_strconcat (target, "?token=" SECRET, NULL);
  g_autofree gchar *result =
      apixo_test_server_add_redirect (server, "result.mp4", location);
  g_autofree gchar *base = fake_api (server, "127.0.0.1", TASK_ID, result);
  ApixoRun *run =
      run_refused_unlogged (base, GST_RESOURCE_ERROR_READ, "malformed");

  fail_unless_equals_string (detail (run, "task-id"), TASK_ID);
  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 1);
  fail_unless_equals_int (apixo_test_server_requests (server, "elsewhere.mp4"),
                          0);
  apixo_run_free (run);
  apixo_test_server_stop (server);
}

GST_END_TEST;

static void
answer_forbidden_with_key (SoupServer *soup, SoupServerMessage *msg,
                           const char *path, GHashTable *query, gpointer data)
{
  soup_server_message_set_status (msg, 403, "Forbidden for " SECRET);
}

/* ...in the reason phrase of the result host's error answer: the error
 * says what happened, without the key. */
GST_START_TEST (test_key_in_reason_phrase)
{
  ApixoTestServer *server = apixo_test_server_start ();
  g_autofree gchar *result = apixo_test_server_add_handler (
      server, "result.mp4", answer_forbidden_with_key, NULL);
  g_autofree gchar *base = fake_api (server, "127.0.0.1", TASK_ID, result);
  ApixoRun *run = run_refused_unlogged (base, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
                                        "download");

  fail_unless (strstr (run->error->message, "403") != NULL, "%s",
               run->error->message);
  fail_unless_equals_int (apixo_test_server_requests (server, "result.mp4"), 1);
  apixo_run_free (run);
  apixo_test_server_stop (server);
}

GST_END_TEST;

static Suite *
apixosrc_security_suite (void)
{
  Suite *s = suite_create ("apixosrc-security");
  TCase *tc = tcase_create ("key");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_key_never_leaks_success);
  tcase_add_test (tc, test_key_never_leaks_errors);
  tcase_add_test (tc, test_key_refused_is_not_repeated);
  tcase_add_test (tc, test_key_not_sent_on_redirect);
  tcase_add_test (tc, test_url_secrets_not_logged);
  tcase_add_test (tc, test_url_secrets_not_echoed);

  tc = tcase_create ("network");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_result_url_blocked, 0,
                       G_N_ELEMENTS (BLOCKED_RESULT_URLS));
  tcase_add_loop_test (tc, test_result_redirect_blocked, 0,
                       G_N_ELEMENTS (BLOCKED_REDIRECTS));
  tcase_add_test (tc, test_resolved_address_blocked);
  tcase_add_test (tc, test_key_as_task_id);
  tcase_add_test (tc, test_key_in_result_url);
  tcase_add_test (tc, test_key_in_redirect);
  tcase_add_test (tc, test_key_in_reason_phrase);
  return s;
}

GST_CHECK_MAIN (apixosrc_security);
