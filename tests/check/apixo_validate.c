/* gst-apixo: the elements' validate and read-balance action signals.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - validate gives, without starting and without a request, the verdict
 *   start() gives: for each refused setting the same error (domain, code,
 *   message) and the same apixo-error details as the error a real run
 *   posts; for a valid request the model, the estimate and the model's
 *   documented limits.  Refused while the element runs.
 * - read-balance reads the sim's balance with one request and nothing
 *   else; refused (nothing sent) when the settings are not valid.
 *
 * Synchronisation: bus messages and the sim's own records, never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "apixotest.h"
#include "gstapixoerror.h"

#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video prompt=\"checked "              \
  "[sim:duration=1]\" "

APIXO_TEST_FIXTURE (0.005, NULL)

static GstElement *
pipeline_with (const gchar *props)
{
  gchar *launch = g_strdup_printf (SRC_FMT "%s ! fakesink", props);
  GstElement *pipeline = apixo_test_parse (sim, launch);

  g_free (launch);
  return pipeline;
}

static GstStructure *
emit (GstElement *pipeline, const gchar *signal)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstStructure *answer = NULL;

  g_signal_emit_by_name (src, signal, &answer);
  gst_object_unref (src);
  fail_unless (answer != NULL);
  return answer;
}

static void
assert_nothing_sent (void)
{
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 0);
}

static void
assert_same_field (const GstStructure *a, const GstStructure *b,
                   const gchar *field)
{
  const GValue *va = gst_structure_get_value (a, field);
  const GValue *vb = gst_structure_get_value (b, field);

  fail_unless ((va == NULL) == (vb == NULL), "field %s: %s vs %s", field,
               va ? "set" : "unset", vb ? "set" : "unset");
  if (va != NULL)
    fail_unless (gst_value_compare (va, vb) == GST_VALUE_EQUAL, "field %s",
                 field);
}

/* validate's verdict on @props, then a real run of them: the same error */
static void
check_refusal_matches_start (const gchar *props, const gchar *property)
{
  GstElement *pipeline = pipeline_with (props);
  GstStructure *verdict = emit (pipeline, "validate");
  const GError *error = NULL;
  gboolean valid = TRUE;

  fail_unless (gst_structure_get_boolean (verdict, "valid", &valid));
  fail_if (valid, "%s: valid", props);
  fail_unless (
      gst_structure_get (verdict, "error", G_TYPE_ERROR, &error, NULL));
  fail_unless_equals_string (gst_structure_get_string (verdict, "property"),
                             property);
  {
    g_autoptr (ApixoRun) run = apixo_test_run (pipeline, 30);

    fail_unless (run->error != NULL, "%s: the run did not fail", props);
    fail_unless (g_error_matches (run->error, error->domain, error->code));
    fail_unless_equals_string (run->error->message, error->message);
    fail_unless_equals_string (gst_structure_get_string (verdict, "message"),
                               error->message);
    for (const gchar *const *f =
             (const gchar *const[]){
                 GST_APIXO_ERROR_FIELD_REASON, GST_APIXO_ERROR_FIELD_PROPERTY,
                 GST_APIXO_ERROR_FIELD_ESTIMATED_COST, NULL };
         *f != NULL; f++)
      assert_same_field (verdict, run->error_details, *f);
  }
  g_error_free ((GError *)error);
  gst_structure_free (verdict);
  gst_object_unref (pipeline);
  assert_nothing_sent ();
}

GST_START_TEST (test_validate_refuses_as_start_does)
{
  check_refusal_matches_start ("resolution=480p max-cost=0.10", "max-cost");
  check_refusal_matches_start ("base-url=ftp://example.com/api", "base-url");
  check_refusal_matches_start ("task-id=\"bad id\"", "task-id");
  check_refusal_matches_start (
      "resolution=480p save-location=/nonexistent/x.mp4", "save-location");
}

GST_END_TEST;

GST_START_TEST (test_validate_valid)
{
  GstElement *pipeline = pipeline_with ("resolution=720p duration=10");
  GstStructure *verdict = emit (pipeline, "validate");
  gboolean valid = FALSE;
  gdouble usd = -1, billed = -1;
  guint tasks = 0;

  fail_unless (gst_structure_get_boolean (verdict, "valid", &valid) && valid);
  fail_unless_equals_string (gst_structure_get_string (verdict, "model"),
                             "wan-2-5-video");
  /* 10 s at 720p, $0.10 a second by the page */
  fail_unless (gst_structure_get_double (verdict, "estimated-cost", &usd));
  fail_unless (G_APPROX_VALUE (usd, 1.0, 1e-9), "%f", usd);
  fail_unless (gst_structure_get_double (verdict, "billed-seconds", &billed));
  fail_unless (G_APPROX_VALUE (billed, 10.0, 1e-9));
  fail_unless (gst_structure_get_uint (verdict, "concurrent-tasks", &tasks));
  fail_unless_equals_int (tasks, 1000);
  gst_structure_free (verdict);
  gst_object_unref (pipeline);
  assert_nothing_sent ();
}

GST_END_TEST;

GST_START_TEST (test_validate_refused_while_running)
{
  /* a task that runs long: the element is PLAYING meanwhile */
  GstElement *pipeline = pipeline_with ("resolution=480p "
                                        "prompt=\"slow [sim:delay=600]\"");
  GstStructure *verdict;
  GstMessage *msg;
  gboolean valid = TRUE;
  GError *error = NULL;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless (sim_fixture_wait_tasks (sim, 1, 60));
  verdict = emit (pipeline, "validate");
  fail_unless (gst_structure_get_boolean (verdict, "valid", &valid));
  fail_if (valid);
  fail_unless (
      gst_structure_get (verdict, "error", G_TYPE_ERROR, &error, NULL));
  fail_unless (
      g_error_matches (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE));
  g_error_free (error);
  gst_structure_free (verdict);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* nothing of the run was disturbed: no error was posted */
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_read_balance)
{
  GstElement *pipeline = pipeline_with ("resolution=480p");
  GstStructure *answer;
  gboolean valid = FALSE;
  gdouble usd = -1;

  sim_fixture_set_balance (sim, 12.5);
  answer = emit (pipeline, "read-balance");
  fail_unless (gst_structure_get_boolean (answer, "valid", &valid) && valid,
               "%" GST_PTR_FORMAT, answer);
  fail_unless (gst_structure_get_double (answer, "balance", &usd));
  fail_unless (G_APPROX_VALUE (usd, 12.5, 1e-9), "%f", usd);
  gst_structure_free (answer);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", -1), 1);
  assert_nothing_sent ();
  gst_object_unref (pipeline);

  /* settings start() would refuse: no request at all */
  pipeline = pipeline_with ("resolution=4k");
  answer = emit (pipeline, "read-balance");
  fail_unless (gst_structure_get_boolean (answer, "valid", &valid));
  fail_if (valid);
  fail_unless (gst_structure_get_string (answer, "message") != NULL);
  gst_structure_free (answer);
  gst_object_unref (pipeline);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", -1), 1);
}

GST_END_TEST;

static Suite *
apixo_validate_suite (void)
{
  Suite *s = suite_create ("apixo_validate");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_validate_refuses_as_start_does);
  tcase_add_test (tc, test_validate_valid);
  tcase_add_test (tc, test_validate_refused_while_running);
  tcase_add_test (tc, test_read_balance);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (apixo_validate);
