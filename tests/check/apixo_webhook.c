/* gst-apixo: request-type=callback with the element's own receiver.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * With public-url and no callback-url the element derives the callback URL
 * (a secret path on its media server) and apixo-sim delivers the final
 * status there.  What the issue requires, checked against the sim's own
 * records (its task's callback_url, its delivery attempts, its status
 * counters) and the element's bus:
 *  - a delivery: completion with exactly one status request after it (the
 *    confirmation), and an apixo-task "callback" event confirmed=TRUE;
 *  - duplicates (a 5xx fault on the callback route: the sim retries a
 *    delivery the receiver took) and a late delivery (after the end) cost
 *    nothing;
 *  - forged deliveries posted by the test to the receiver (another task's
 *    id, a fake success with a result URL elsewhere, a fake failure) cost
 *    one status request each and change nothing: the URL is never fetched,
 *    the task goes on and succeeds;
 *  - a lost delivery (reset-before on every attempt): the safety-net poll
 *    finds the result;
 *  - a delivery that comes before the submission's answer is read (a slow
 *    generate answer) is kept and confirmed once the task id is known;
 *  - an explicit callback-url keeps its meaning (the user's receiver; the
 *    element polls at the full rate).
 *
 * Synchronisation: bus messages and the sim's /__sim/wait, never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <string.h>

#include "apixotest.h"

/* A small cached render (1 s, 24 frames at 624x624).  poll-delay and
 * poll-interval of 30 s put the safety net's first poll at 60 s: in these
 * tests only deliveries can end a task (but in the lost-delivery test);
 * its next polls would be 12 intervals apart. */
#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p "               \
  "aspect-ratio=1:1 duration=5 seed=1 request-type=callback %s "               \
  "save-location=%s prompt=\"webhook [sim:duration=1]%s\" %s ! fakesink"
#define SLOW_POLLS "poll-delay=30 poll-interval=30"
/* the same, with confirmations of deliveries at most 0.5 s apart */
#define SLOW_SAFETY_NET "poll-delay=30 poll-interval=0.5"
#define N_FRAMES 24

APIXO_TEST_FIXTURE (0.005, "apixo-webhook")

/* ---- a pipeline and what it posted ---------------------------------------- */

typedef struct {
  GstElement *pipeline;
  ApixoTestPublished published;
  gchar *kept;       /* save-location */
  GPtrArray *events; /* apixo-task structures, in order */
  gboolean eos;
} Watch;

static void
watch_start (Watch *w, const gchar *marker, const gchar *extra)
{
  gchar *launch;

  w->published = apixo_test_published_new ();
  w->kept = g_build_filename (tmpdir, "kept.mp4", NULL);
  w->events =
      g_ptr_array_new_with_free_func ((GDestroyNotify)gst_structure_free);
  w->eos = FALSE;
  launch = g_strdup_printf (SRC_FMT, w->published.args, w->kept, marker, extra);
  w->pipeline = apixo_test_parse (sim, launch);
  g_free (launch);
  fail_unless (gst_element_set_state (w->pipeline, GST_STATE_PLAYING) !=
               GST_STATE_CHANGE_FAILURE);
}

/* Takes the bus messages until an apixo-task event @event (NULL: none) or
 * EOS; an error fails the test.  @timeout 0: only what is there now. */
static gboolean
watch_until (Watch *w, const gchar *event, gdouble timeout)
{
  GstBus *bus = gst_element_get_bus (w->pipeline);
  gint64 end = g_get_monotonic_time () + (gint64)(timeout * G_USEC_PER_SEC);
  gboolean found = FALSE;
  GstMessage *msg;

  while (!found && !w->eos &&
         (msg = gst_bus_timed_pop_filtered (
              bus, MAX (end - g_get_monotonic_time (), 0) * GST_USECOND,
              GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *error = NULL;

      gst_message_parse_error (msg, &error, NULL);
      fail ("error: %s", error->message);
    }
    w->eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    if (s != NULL && gst_structure_has_name (s, "apixo-task")) {
      g_ptr_array_add (w->events, gst_structure_copy (s));
      found = event != NULL &&
              g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return found;
}

static void
watch_eos (Watch *w)
{
  watch_until (w, NULL, 60);
  fail_unless (w->eos, "no EOS within 60 s");
}

/* The @n-th (from 0) apixo-task event @event, or NULL. */
static const GstStructure *
watch_event (Watch *w, const gchar *event, guint n)
{
  for (guint i = 0; i < w->events->len; i++) {
    const GstStructure *s = g_ptr_array_index (w->events, i);

    if (g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0 &&
        n-- == 0)
      return s;
  }
  return NULL;
}

static guint
watch_count (Watch *w, const gchar *event)
{
  guint n = 0;

  while (watch_event (w, event, n) != NULL)
    n++;
  return n;
}

static gint
watch_index (Watch *w, const gchar *event)
{
  const GstStructure *s = watch_event (w, event, 0);

  for (guint i = 0; s != NULL && i < w->events->len; i++)
    if (g_ptr_array_index (w->events, i) == s)
      return i;
  return -1;
}

static void
watch_stop (Watch *w)
{
  gst_element_set_state (w->pipeline, GST_STATE_NULL);
  gst_object_unref (w->pipeline);
  g_ptr_array_unref (w->events);
  apixo_test_published_clear (&w->published);
  g_free (w->kept);
}

/* The "callback" event @n says @confirmed for the sim's task. */
static void
assert_callback_event (Watch *w, guint n, const gchar *task_id,
                       gboolean confirmed)
{
  const GstStructure *s = watch_event (w, "callback", n);
  gboolean value = !confirmed;

  fail_unless (s != NULL, "no callback event %u", n);
  fail_unless_equals_string (gst_structure_get_string (s, "task-id"), task_id);
  fail_unless (gst_structure_get_boolean (s, "confirmed", &value));
  fail_unless_equals_int (value, confirmed);
}

/* The kept result is the whole clip. */
static void
assert_result_decodes (Watch *w)
{
  ApixoMediaInfo info;

  fail_unless (apixo_test_probe_file (w->kept, &info));
  fail_unless_equals_int (info.n_frames, N_FRAMES);
}

/* The end of a test that ran to EOS: the result decodes; frees the rest. */
static void
watch_finish (Watch *w, JsonObject *task, gchar *task_id)
{
  assert_result_decodes (w);
  json_object_unref (task);
  g_free (task_id);
  watch_stop (w);
}

/* ---- the sim's view ------------------------------------------------------ */

static gint64
task_int (JsonObject *task, const gchar *member)
{
  return json_object_get_int_member (task, member);
}

/* The callback_url the sim received for its task. */
static const gchar *
task_callback_url (JsonObject *task)
{
  JsonObject *request = json_object_get_object_member (task, "request");

  return json_object_get_string_member_with_default (request, "callback_url",
                                                     NULL);
}

static JsonArray *
task_attempts (JsonObject *task)
{
  return json_object_get_array_member (task, "callbacks");
}

/* The derived URL: public-url + "/w/" + a 43-character token. */
static void
assert_derived_url (Watch *w, JsonObject *task)
{
  const gchar *url = task_callback_url (task);
  gchar *prefix = g_strconcat (w->published.base, "/w/", NULL);

  fail_unless (url != NULL && g_str_has_prefix (url, prefix),
               "callback_url %s is not on %s", url, prefix);
  fail_unless_equals_int (strlen (url), strlen (prefix) + 43);
  g_free (prefix);
}

/* ---- deliveries posted by the test --------------------------------------- */

static guint
post_to (const gchar *method, const gchar *url, const gchar *body)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new (method, url);
  GBytes *answer;
  guint status;

  if (body != NULL) {
    GBytes *bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    g_bytes_unref (bytes);
  }
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  status = soup_message_get_status (msg);
  g_clear_pointer (&answer, g_bytes_unref);
  g_object_unref (msg);
  g_object_unref (session);
  return status;
}

/* A status envelope as the service delivers it. */
static gchar *
forged_envelope (const gchar *task_id, const gchar *state,
                 const gchar *result_url)
{
  if (result_url != NULL)
    return g_strdup_printf (
        "{\"code\":200,\"message\":\"success\",\"data\":{\"taskId\":\"%s\","
        "\"state\":\"%s\",\"resultJson\":\"{\\\"resultUrls\\\":[\\\"%s\\\"]}"
        "\",\"createTime\":1,\"completeTime\":2,\"costTime\":1}}",
        task_id, state, result_url);
  return g_strdup_printf (
      "{\"code\":200,\"message\":\"success\",\"data\":{\"taskId\":\"%s\","
      "\"state\":\"%s\",\"failCode\":\"CONTENT_VIOLATION\",\"failMsg\":"
      "\"forged\",\"createTime\":1,\"completeTime\":2}}",
      task_id, state);
}

/* Posts @body to the receiver: answered 200 at once; then the element's
 * confirmation, which finds the task still running. */
static void
forge (Watch *w, const gchar *url, gchar *body, guint n)
{
  fail_unless_equals_int (post_to ("POST", url, body), 200);
  g_free (body);
  fail_unless (watch_until (w, "callback", 30), "forgery %u not confirmed", n);
  fail_unless (sim_fixture_wait_requests (sim, "status", n + 1, 30));
}

/* ---- tests --------------------------------------------------------------- */

/* The sim completes the task and delivers: one status request confirms
 * it, after the delivery. */
GST_START_TEST (test_delivery)
{
  guint port = 0;
  Watch w;
  gchar *task_id;
  JsonObject *task;
  JsonObject *attempt;

  watch_start (&w, "", SLOW_POLLS);
  watch_eos (&w);
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  assert_derived_url (&w, task);
  fail_unless_equals_string (json_object_get_string_member (task, "state"),
                             "success");
  fail_unless_equals_string (
      json_object_get_string_member (task, "callbackState"), "delivered");
  fail_unless_equals_int (json_array_get_length (task_attempts (task)), 1);
  attempt = json_array_get_object_element (task_attempts (task), 0);
  fail_unless_equals_int (task_int (attempt, "status"), 200);
  fail_unless_equals_int (task_int (task, "statusPolls"), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
  fail_unless_equals_int (watch_count (&w, "callback"), 1);
  assert_callback_event (&w, 0, task_id, TRUE);
  fail_unless (watch_index (&w, "callback") < watch_index (&w, "success"));
  /* where a tunnel must point */
  fail_unless (gst_structure_get_uint (watch_event (&w, "submitted", 0),
                                       "server-port", &port));
  fail_unless_equals_int (port, w.published.port);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* The sim counts its first two deliveries as failed whatever the receiver
 * answered (a 500 fault): the receiver gets three, two after the end. */
GST_START_TEST (test_duplicates)
{
  Watch w;
  gchar *task_id;
  JsonObject *task;
  JsonArray *attempts;

  sim_fixture_add_fault (sim, "callback", "500", 2);
  watch_start (&w, "", SLOW_POLLS);
  watch_eos (&w);
  /* the pipeline stays PLAYING: the receiver still answers */
  fail_unless (sim_fixture_wait_requests (sim, "callback", 3, 30));
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  attempts = task_attempts (task);
  fail_unless_equals_int (json_array_get_length (attempts), 3);
  fail_unless_equals_int (
      task_int (json_array_get_object_element (attempts, 0), "status"), 500);
  fail_unless_equals_int (
      task_int (json_array_get_object_element (attempts, 1), "status"), 500);
  fail_unless_equals_int (
      task_int (json_array_get_object_element (attempts, 2), "status"), 200);
  fail_unless_equals_string (
      json_object_get_string_member (task, "callbackState"), "delivered");
  /* the duplicates cost nothing: one confirmation, one callback event */
  fail_unless_equals_int (task_int (task, "statusPolls"), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
  watch_until (&w, NULL, 0);
  fail_unless_equals_int (watch_count (&w, "callback"), 1);
  assert_callback_event (&w, 0, task_id, TRUE);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* Forged deliveries: each costs one status request and changes nothing;
 * the real one ends the task.  The receiver takes only POSTs on its own
 * path. */
GST_START_TEST (test_forged)
{
  ApixoTestServer *server = apixo_test_server_start ();
  GBytes *junk = g_bytes_new_static ("not a video", 11);
  gchar *elsewhere, *url, *wrong, *task_id;
  JsonObject *task;
  Watch w;

  elsewhere = apixo_test_server_add (server, "forged.mp4", junk, "video/mp4");
  /* 10 s of generation on the sim's scale: time to forge three */
  watch_start (&w, " [sim:delay=2000]", SLOW_SAFETY_NET);
  fail_unless (sim_fixture_wait_task_state (sim, NULL, "processing", 30));
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  assert_derived_url (&w, task);
  url = g_strdup (task_callback_url (task));
  json_object_unref (task);

  wrong = g_strdup_printf ("%s/w/%043d", w.published.base, 7);
  fail_unless_equals_int (post_to ("POST", wrong, "{}"), 404);
  fail_unless_equals_int (post_to ("GET", url, NULL), 405);

  forge (&w, url, forged_envelope ("task_forged", "success", elsewhere), 0);
  forge (&w, url, forged_envelope (task_id, "success", elsewhere), 1);
  forge (&w, url, forged_envelope (task_id, "failed", NULL), 2);
  for (guint i = 0; i < 3; i++)
    assert_callback_event (&w, i, task_id, FALSE);
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_string (json_object_get_string_member (task, "state"),
                             "processing");
  json_object_unref (task);

  /* the task goes on, and the real delivery ends it */
  watch_eos (&w);
  fail_unless_equals_int (watch_count (&w, "callback"), 4);
  assert_callback_event (&w, 3, task_id, TRUE);
  fail_unless (watch_event (&w, "failed", 0) == NULL);
  fail_unless_equals_int (apixo_test_server_requests (server, "forged.mp4"), 0);
  apixo_test_server_stop (server);
  g_bytes_unref (junk);
  g_free (elsewhere);
  g_free (url);
  g_free (wrong);
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_int (task_int (task, "statusPolls"), 4);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* Every delivery attempt is reset before it is sent: the safety-net poll
 * (here at 0.2 s, then every 0.6 s) finds the result. */
GST_START_TEST (test_lost_delivery)
{
  Watch w;
  gchar *task_id;
  JsonObject *task;
  JsonArray *attempts;

  sim_fixture_add_fault (sim, "callback", "reset-before", 4);
  watch_start (&w, "", "");
  watch_eos (&w);
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  assert_derived_url (&w, task);
  attempts = task_attempts (task);
  for (guint i = 0; i < json_array_get_length (attempts); i++)
    fail_unless_equals_string (
        json_object_get_string_member (
            json_array_get_object_element (attempts, i), "fault"),
        "reset-before");
  fail_unless (task_int (task, "statusPolls") >= 1);
  fail_unless_equals_int (watch_count (&w, "callback"), 0);
  fail_unless (watch_event (&w, "success", 0) != NULL);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* The generate answer is held 3 s: the delivery comes first, while the
 * element does not know the task id yet.  It is kept, and confirmed by one
 * status request once the answer is read. */
GST_START_TEST (test_delivery_before_submit_answer)
{
  Watch w;
  gchar *task_id;
  JsonObject *task;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, 3.0, NULL);
  watch_start (&w, "", SLOW_POLLS);
  fail_unless (sim_fixture_wait_requests (sim, "callback", 1, 30));
  /* the receiver took it (200) before the submission's answer */
  watch_until (&w, NULL, 0);
  fail_unless (watch_event (&w, "submitted", 0) == NULL);
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_int (
      task_int (json_array_get_object_element (task_attempts (task), 0),
                "status"),
      200);
  json_object_unref (task);

  watch_eos (&w);
  fail_unless (watch_index (&w, "submitted") < watch_index (&w, "callback"));
  assert_callback_event (&w, 0, task_id, TRUE);
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_int (task_int (task, "statusPolls"), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 1);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* callback-url set: the user's receiver gets the delivery, the element
 * keeps polling at the full rate and receives nothing (public-url set or
 * not). */
GST_START_TEST (test_explicit_callback_url)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *hook, *extra, *task_id;
  JsonObject *task;
  Watch w;

  /* the user's receiver: what it answers does not matter here */
  hook = g_strdup_printf ("http://127.0.0.1:%u/hook",
                          apixo_test_server_port (server));
  extra = g_strdup_printf ("callback-url=%s", hook);
  watch_start (&w, "", extra);
  watch_eos (&w);
  task_id = apixo_test_only_task_id (sim);
  fail_unless (sim_fixture_wait_task_state (sim, task_id, "success", 30));
  task = sim_fixture_get_task (sim, task_id);
  fail_unless_equals_string (task_callback_url (task), hook);
  /* early poll at 0.05 s, first poll at 0.1 s, then every 0.05 s */
  fail_unless (task_int (task, "statusPolls") >= 2);
  fail_unless_equals_int (watch_count (&w, "callback"), 0);
  apixo_test_server_stop (server);
  g_free (hook);
  g_free (extra);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

/* The derived URL is a secret: its token is in no log line at any level
 * (the media server's DEBUG lines show its first characters, as for
 * published inputs). */
GST_START_TEST (test_url_not_logged)
{
  Watch w;
  gchar *task_id, **lines, *short_form;
  const gchar *token;
  GString *logs;
  JsonObject *task;
  guint seen = 0;

  apixo_test_capture_logs_start ();
  watch_start (&w, "", SLOW_POLLS);
  watch_eos (&w);
  logs = apixo_test_capture_logs_stop ();
  task_id = apixo_test_only_task_id (sim);
  task = sim_fixture_get_task (sim, task_id);
  assert_derived_url (&w, task);
  token = strstr (task_callback_url (task), "/w/") + 3;
  short_form = g_strdup_printf ("/w/%.4s...", token);
  lines = g_strsplit (logs->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    fail_if (strstr (lines[i], token) != NULL, "the token is logged: %s",
             lines[i]);
    if (strstr (lines[i], short_form) != NULL)
      seen++;
  }
  /* the capture works: the server's DEBUG lines name the receiver by
   * the token's first characters only */
  fail_unless (seen > 0, "the capture saw no DEBUG line of the server");
  g_free (short_form);
  g_strfreev (lines);
  g_string_free (logs, TRUE);
  watch_finish (&w, task, task_id);
}

GST_END_TEST;

static Suite *
apixo_webhook_suite (void)
{
  Suite *s = suite_create ("apixo_webhook");
  TCase *tc = tcase_create ("webhook");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_delivery);
  tcase_add_test (tc, test_duplicates);
  tcase_add_test (tc, test_forged);
  tcase_add_test (tc, test_lost_delivery);
  tcase_add_test (tc, test_delivery_before_submit_answer);
  tcase_add_test (tc, test_explicit_callback_url);
  tcase_add_test (tc, test_url_not_logged);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (apixo_webhook);
