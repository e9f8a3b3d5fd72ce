/* Tests of the C fixture (tests/common/simfixture.c) against apixo-sim:
 * every fixture function, used the way the element tests use them.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <libsoup/soup.h>

#include "simfixture.h"

typedef struct {
  guint status;
  JsonNode *json; /* NULL if the body is not JSON */
  GError *error;  /* transport error */
} Answer;

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->json, json_node_unref);
  g_clear_error (&a->error);
}

/* A request to the sim's API as a client would send it. */
static Answer
api (SimFixture *sim, const gchar *method, const gchar *path, const gchar *body)
{
  g_autoptr (SoupSession) session =
      soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree gchar *url = g_strconcat (sim_fixture_base_url (sim), path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  Answer a = { 0 };

  soup_session_set_proxy_resolver (session, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", "Bearer fixture-key");
  if (body) {
    /* the message takes its own reference */
    request = g_bytes_new_static (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", request);
  }
  bytes = soup_session_send_and_read (session, msg, NULL, &a.error);
  if (bytes == NULL)
    return a;
  a.status = soup_message_get_status (msg);
  if (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                  g_bytes_get_size (bytes), NULL))
    a.json = json_node_copy (json_parser_get_root (parser));
  return a;
}

static gchar *
submit (SimFixture *sim, const gchar *prompt)
{
  g_autofree gchar *body = g_strdup_printf (
      "{\"request_type\":\"async\",\"input\":{\"mode\":\"text-to-video\","
      "\"prompt\":\"%s\",\"resolution\":\"720p\",\"duration\":5,"
      "\"seed\":7}}",
      prompt);
  Answer a = api (sim, "POST", "/generateTask/wan-2-5", body);
  JsonObject *data;
  gchar *id;

  g_assert_no_error (a.error);
  g_assert_cmpuint (a.status, ==, 200);
  data = json_object_get_object_member (json_node_get_object (a.json), "data");
  id = g_strdup (json_object_get_string_member (data, "taskId"));
  answer_clear (&a);
  return id;
}

static void
test_lifecycle (void)
{
  SimFixture *sim = sim_fixture_start (0.01, NULL);
  g_autofree gchar *id = NULL;
  g_autoptr (JsonObject) task = NULL;
  g_autoptr (JsonArray) tasks = NULL;

  g_assert_true (g_str_has_prefix (sim_fixture_base_url (sim),
                                   sim_fixture_root_url (sim)));
  g_assert_true (g_str_has_suffix (sim_fixture_base_url (sim), "/api/v1"));

  id = submit (sim, "a quiet lake [sim:fail=CONTENT_VIOLATION]");
  g_assert_true (sim_fixture_wait_tasks (sim, 1, 30));
  g_assert_false (sim_fixture_wait_tasks (sim, 2, 0.2));
  g_assert_true (sim_fixture_wait_task_state (sim, id, "failed", 30));
  g_assert_true (sim_fixture_wait_task_state (sim, NULL, "failed", 1));
  g_assert_false (sim_fixture_wait_task_state (sim, id, "success", 0.2));
  g_assert_cmpuint (sim_fixture_count_tasks (sim), ==, 1);
  g_assert_cmpuint (sim_fixture_count_requests (sim, "generate", 200), ==, 1);
  g_assert_cmpuint (sim_fixture_count_requests (sim, "generate", -1), ==, 1);
  g_assert_cmpuint (sim_fixture_count_requests (sim, "status", -1), ==, 0);

  task = sim_fixture_get_task (sim, id);
  g_assert_nonnull (task);
  g_assert_cmpstr (json_object_get_string_member (task, "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (task, "failCode"), ==,
                   "CONTENT_VIOLATION");
  g_assert_cmpstr (json_object_get_string_member (task, "model"), ==,
                   "wan-2-5");
  g_assert_null (sim_fixture_get_task (sim, "task_unknown"));
  tasks = sim_fixture_get_tasks (sim);
  g_assert_cmpuint (json_array_get_length (tasks), ==, 1);

  {
    g_autofree gchar *path =
        g_strconcat ("/statusTask/wan-2-5?taskId=", id, NULL);
    Answer a = api (sim, "GET", path, NULL);
    g_assert_cmpuint (a.status, ==, 200);
    answer_clear (&a);
  }
  g_assert_true (sim_fixture_wait_requests (sim, "status", 1, 10));
  g_assert_cmpuint (sim_fixture_count_requests (sim, "status", 200), ==, 1);
  sim_fixture_stop (sim);
}

static void
test_faults_and_limits (void)
{
  SimFixture *sim = sim_fixture_start (0.01, "--balance", "1", NULL);
  const gchar *body = "{\"input\":{\"mode\":\"text-to-video\",\"prompt\":"
                      "\"x [sim:fail=GENERATION_FAILED]\",\"resolution\":"
                      "\"720p\",\"duration\":5}}";
  g_autoptr (JsonNode) stats = NULL;
  Answer a;

  /* a fault for another model does not apply */
  sim_fixture_add_fault_full (sim, "generate", "503", 1, 0, "veo-3-1");
  sim_fixture_add_fault (sim, "generate", "reset-after", 1);
  a = api (sim, "POST", "/generateTask/wan-2-5", body);
  g_assert_nonnull (a.error);
  answer_clear (&a);
  g_assert_cmpuint (sim_fixture_count_tasks (sim), ==, 1);
  g_assert_cmpuint (sim_fixture_count_requests (sim, "generate", 0), ==, 1);

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, 0.3, "wan-2-5");
  a = api (sim, "POST", "/generateTask/wan-2-5", body);
  g_assert_no_error (a.error);
  g_assert_cmpuint (a.status, ==, 200);
  answer_clear (&a);

  /* limits: one request per minute for wan-2-5, unchanged concurrency */
  sim_fixture_set_limits (sim, "wan-2-5", 1, -1);
  a = api (sim, "POST", "/generateTask/wan-2-5", body);
  g_assert_cmpuint (a.status, ==, 429);
  answer_clear (&a);
  sim_fixture_advance_clock (sim, 61);
  sim_fixture_set_limits (sim, NULL, 10000, 1000);

  /* balance: 1 USD left minus two refunded failures; then 0.1 USD */
  sim_fixture_set_balance (sim, 0.1);
  a = api (sim, "POST", "/generateTask/wan-2-5", body);
  g_assert_cmpuint (a.status, ==, 200);
  g_assert_cmpint (
      json_object_get_int_member (json_node_get_object (a.json), "code"), ==,
      400);
  answer_clear (&a);

  stats = sim_fixture_request (sim, "GET", "/__sim/stats", NULL);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (stats));
  g_assert_cmpuint (sim_fixture_count_requests (sim, "generate", 429), ==, 1);
  g_assert_cmpuint (sim_fixture_count_requests (sim, "result-complete", -1), ==,
                    0);
  sim_fixture_stop (sim);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/simfixture/lifecycle", test_lifecycle);
  g_test_add_func ("/simfixture/faults-and-limits", test_faults_and_limits);
  return g_test_run ();
}
