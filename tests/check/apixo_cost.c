/* gst-apixo: money in view: estimated costs, check-balance, max-cost, and
 * the balance behind an insufficient-balance refusal.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - The catalogue's price table: every documented row (wan-2-5-video's
 *   "Billing" table) gives duration x unit price; models whose pages
 *   document no price give no estimate, and say why.
 * - Real runs against apixo-sim (whose prices are the page's for
 *   wan-2-5-video, written independently): the estimate in the "submitted"
 *   event equals what the sim charged; check-balance posts the sim's
 *   balance and refuses a balance below the estimate with nothing sent
 *   (the sim's stats: zero generate requests), and a balance that cannot
 *   be read; max-cost refuses in start() (zero requests of any kind); a
 *   402 or "Insufficient credits" says the balance read after it.
 *
 * Synchronisation: bus messages and the sim's own records, never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "apixotest.h"
#include "gstapixoerror.h"
#include "gstapixomodels.h"

/* 480p, 5 s: 0.25 USD by the page.  [sim:duration=1]: one small render,
 * cached by the sim across runs (billing keeps the requested 5 s). */
#define SRC_FMT                                                                \
  "apixosrc @SIM@ name=src model=wan-2-5-video resolution=480p duration=5 "    \
  "seed=1 retry-backoff-factor=0.01 prompt=\"money [sim:duration=1]\" "
#define VEO_FMT                                                                \
  "apixosrc @SIM@ name=src model=veo-3-1 retry-backoff-factor=0.01 "           \
  "prompt=\"money [sim:duration=1]\" "

APIXO_TEST_FIXTURE (0.005, NULL)

/* ---- helpers ------------------------------------------------------------- */

static ApixoRun *
run_src (const gchar *src)
{
  gchar *launch = g_strdup_printf ("%s ! fakesink", src);
  ApixoRun *run = apixo_test_run_launch (sim, launch, 60);

  g_free (launch);
  return run;
}

/* SRC_FMT @props */
static ApixoRun *
run_props (const gchar *props)
{
  gchar *src = g_strdup_printf (SRC_FMT "%s", props);
  ApixoRun *run = run_src (src);

  g_free (src);
  return run;
}

static gdouble
field_double (const GstStructure *s, const gchar *field)
{
  gdouble value = -1;

  fail_unless (s != NULL);
  fail_unless (gst_structure_get_double (s, field, &value),
               "no %s in %" GST_PTR_FORMAT, field, s);
  return value;
}

static gdouble
sim_balance (void)
{
  JsonNode *node = sim_fixture_request (sim, "GET", "/__sim/balance", NULL);
  gdouble usd =
      json_object_get_double_member (json_node_get_object (node), "usd");

  json_node_unref (node);
  return usd;
}

/* One error, ours, in the resource domain with @code and "apixo-error"
 * details of @reason; no EOS. */
static void
assert_error (ApixoRun *run, GstResourceError code, const gchar *reason)
{
  fail_unless (run->error != NULL, "no error");
  fail_if (run->eos);
  fail_unless_equals_int (apixo_run_count (run, GST_MESSAGE_ERROR), 1);
  fail_unless_equals_string (run->error_source, "src");
  fail_unless (run->error->domain == GST_RESOURCE_ERROR, "%s",
               run->error->message);
  fail_unless (run->error->code == (gint)code, "code %d, expected %d: %s",
               run->error->code, code, run->error->message);
  fail_unless (run->error_details != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "reason"), reason);
}

/* The sim received nothing but @balance_reads balance requests. */
static void
assert_nothing_sent (guint balance_reads)
{
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "status", -1), 0);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", -1),
                          balance_reads);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
}

/* @field of the error's details is @usd, and its message says it (< 0:
 * unknown: neither has it). */
static void
assert_usd (ApixoRun *run, const gchar *field, gdouble usd)
{
  gchar *shown;

  if (usd < 0) {
    fail_if (gst_structure_has_field (run->error_details, field), "%s", field);
    return;
  }
  fail_unless (
      G_APPROX_VALUE (field_double (run->error_details, field), usd, 1e-9));
  shown = gst_apixo_usd_to_string (usd);
  fail_unless (strstr (run->error->message, shown) != NULL, "no %s in: %s",
               shown, run->error->message);
  g_free (shown);
}

/* An insufficient-balance error with @balance and @estimate (< 0: not
 * known). */
static void
assert_short_of (ApixoRun *run, gdouble balance, gdouble estimate)
{
  assert_error (run, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "insufficient-balance");
  assert_usd (run, GST_APIXO_ERROR_FIELD_BALANCE, balance);
  assert_usd (run, GST_APIXO_ERROR_FIELD_ESTIMATED_COST, estimate);
}

/* A max-cost refusal: SETTINGS, property max-cost, before any request. */
static void
assert_max_cost_refused (ApixoRun *run)
{
  assert_error (run, GST_RESOURCE_ERROR_SETTINGS, "settings");
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "property"), "max-cost");
  fail_unless (strstr (run->error->message, "max-cost") != NULL, "%s",
               run->error->message);
  assert_nothing_sent (0);
}

static GstApixoRequestSpec *
spec_new (const gchar *model, const gchar *mode, const gchar *resolution,
          gint duration)
{
  GstApixoRequestSpec *spec = gst_apixo_request_spec_new ();

  spec->model = g_strdup (model);
  spec->mode = g_strdup (mode);
  spec->resolution = g_strdup (resolution);
  spec->duration = duration;
  spec->prompt = g_strdup ("p");
  gst_apixo_request_spec_derive (spec);
  return spec;
}

/* ---- the price table ----------------------------------------------------- */

/* wan-2-5-video.txt, "Billing", row by row. */
static const struct {
  const gchar *mode;
  const gchar *resolution;
  gdouble per_second;
} billing[] = {
  { "text-to-video", "480p", 0.05 },  { "text-to-video", "720p", 0.10 },
  { "text-to-video", "1080p", 0.15 }, { "image-to-video", "480p", 0.05 },
  { "image-to-video", "720p", 0.10 }, { "image-to-video", "1080p", 0.15 },
};

/* Each row, at both durations: duration x unit price. */
GST_START_TEST (test_documented_rows)
{
  for (gint duration = 5; duration <= 10; duration += 5) {
    g_autoptr (GstApixoRequestSpec) spec =
        spec_new ("wan-2-5-video", billing[__i__].mode,
                  billing[__i__].resolution, duration);
    gdouble usd = -1;
    gchar *why = NULL;

    fail_unless (gst_apixo_request_spec_estimate_cost (spec, -1, &usd, &why),
                 "row %d: %s", __i__, why);
    fail_unless (
        G_APPROX_VALUE (usd, duration * billing[__i__].per_second, 1e-9),
        "row %d, %d s: %f", __i__, duration, usd);
    fail_unless (G_APPROX_VALUE (gst_apixo_request_spec_billed_seconds (spec),
                                 duration, 1e-9));
  }
}

GST_END_TEST;

/* Unset duration and resolution: the page's defaults, 5 s at 1080p. */
GST_START_TEST (test_page_defaults)
{
  g_autoptr (GstApixoRequestSpec) spec =
      spec_new ("wan-2-5-video", NULL, NULL, 0);
  gdouble usd = -1;

  fail_unless (gst_apixo_request_spec_estimate_cost (spec, -1, &usd, NULL));
  fail_unless (G_APPROX_VALUE (usd, 0.75, 1e-9), "%f", usd);
  /* billed seconds given (from inputs) win over the spec's */
  fail_unless (gst_apixo_request_spec_estimate_cost (spec, 7, &usd, NULL));
  fail_unless (G_APPROX_VALUE (usd, 1.05, 1e-9), "%f", usd);
}

GST_END_TEST;

/* No documented price: no estimate, never a guess, and a reason. */
GST_START_TEST (test_undocumented_prices)
{
  static const gchar *const models[] = { "wan-2-5", "veo-3-1", "sora-2-pro",
                                         "wan-2-2-animate", "no-such-model" };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    g_autoptr (GstApixoRequestSpec) spec = spec_new (models[i], NULL, NULL, 0);
    gdouble usd = -1;
    gchar *why = NULL;

    /* animate: even with its billed seconds known */
    fail_if (gst_apixo_request_spec_estimate_cost (spec, 30, &usd, &why),
             "%s: %f", models[i], usd);
    fail_unless (why != NULL && strstr (why, "price") != NULL, "%s: %s",
                 models[i], why);
    fail_unless (strstr (why, models[i]) != NULL, "%s", why);
    g_free (why);
    fail_unless (gst_apixo_request_spec_billed_seconds (spec) < 0, "%s",
                 models[i]);
  }
  /* wan-2-2-animate bills the motion video, 5 to 120 s */
  fail_unless (G_APPROX_VALUE (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 2), 5, 1e-9));
  fail_unless (G_APPROX_VALUE (
      gst_apixo_model_billed_seconds ("wan-2-2-animate", 300), 120, 1e-9));
}

GST_END_TEST;

GST_START_TEST (test_usd_to_string)
{
  static const struct {
    gdouble usd;
    const gchar *shown;
  } cases[] = { { 0.25, "0.25 USD" },   { 74.87, "74.87 USD" },
                { 1.5, "1.50 USD" },    { 0, "0.00 USD" },
                { 0.004, "0.004 USD" }, { 0.123456, "0.123456 USD" } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *shown = gst_apixo_usd_to_string (cases[i].usd);

    fail_unless_equals_string (shown, cases[i].shown);
    g_free (shown);
  }
}

GST_END_TEST;

/* ---- the estimate on the bus --------------------------------------------- */

/* 720p, 10 s: 1.00 USD in "submitted", what the sim charged. */
GST_START_TEST (test_submitted_estimate)
{
  gdouble before = sim_balance ();
  g_autoptr (ApixoRun) run =
      run_src ("apixosrc @SIM@ name=src model=wan-2-5-video resolution=720p "
               "duration=10 seed=1 prompt=\"money [sim:duration=1]\"");
  const GstStructure *s;

  fail_unless (run->eos, "%s", run->error ? run->error->message : "no EOS");
  s = apixo_run_task_event (run, "submitted");
  fail_unless (G_APPROX_VALUE (field_double (s, "estimated-cost"), 1.0, 1e-9));
  fail_unless (G_APPROX_VALUE (field_double (s, "billed-seconds"), 10, 1e-9));
  fail_unless (G_APPROX_VALUE (before - sim_balance (), 1.0, 1e-6));
  /* check-balance is off by default: no balance read */
  fail_unless (apixo_run_task_event (run, "balance") == NULL);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", -1), 0);
}

GST_END_TEST;

/* No documented price: the submission says no estimate. */
GST_START_TEST (test_submitted_without_price)
{
  g_autoptr (ApixoRun) run = run_src (VEO_FMT);
  const GstStructure *s;

  fail_unless (run->eos, "%s", run->error ? run->error->message : "no EOS");
  s = apixo_run_task_event (run, "submitted");
  fail_unless (s != NULL);
  fail_if (gst_structure_has_field (s, "estimated-cost"));
  fail_if (gst_structure_has_field (s, "billed-seconds"));
}

GST_END_TEST;

/* ---- check-balance ------------------------------------------------------- */

GST_START_TEST (test_check_balance_posts)
{
  g_autoptr (ApixoRun) run = NULL;
  const GstStructure *s;
  gboolean balance_first = FALSE;
  GList *messages;

  sim_fixture_set_balance (sim, 74.87);
  run = run_props ("check-balance=true");
  fail_unless (run->eos, "%s", run->error ? run->error->message : "no EOS");
  s = apixo_run_task_event (run, "balance");
  fail_unless (G_APPROX_VALUE (field_double (s, "balance"), 74.87, 1e-9));
  fail_unless (G_APPROX_VALUE (field_double (s, "estimated-cost"), 0.25, 1e-9));
  /* read before the submission, once */
  messages = apixo_run_element_messages (run, "apixo-task");
  for (GList *l = messages; l; l = l->next) {
    const gchar *event =
        gst_structure_get_string (gst_message_get_structure (l->data), "event");

    if (g_strcmp0 (event, "balance") == 0)
      balance_first = TRUE;
    if (g_strcmp0 (event, "submitted") == 0)
      break;
  }
  g_list_free (messages);
  fail_unless (balance_first);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", 200), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 200), 1);
}

GST_END_TEST;

/* 0.20 USD for a 0.25 USD request: refused, nothing sent; and the journal
 * is not left with a submission of unknown outcome: the same run with
 * enough balance submits. */
GST_START_TEST (test_check_balance_short)
{
  g_autoptr (ApixoRun) run = NULL;
  g_autoptr (ApixoRun) again = NULL;

  sim_fixture_set_balance (sim, 0.2);
  run = run_props ("check-balance=true");
  assert_short_of (run, 0.2, 0.25);
  fail_unless (apixo_run_task_event (run, "balance") != NULL);
  assert_nothing_sent (1);
  fail_unless (G_APPROX_VALUE (sim_balance (), 0.2, 1e-9));

  sim_fixture_set_balance (sim, 0.25);
  again = run_props ("check-balance=true");
  fail_unless (again->eos, "%s",
               again->error ? again->error->message : "no EOS");
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 200), 1);
  fail_unless (G_APPROX_VALUE (sim_balance (), 0, 1e-9));
}

GST_END_TEST;

/* No price: the balance is posted without an estimate and nothing is
 * compared; the service's own refusal ("Insufficient credits", HTTP 200
 * with code 400 on the veo-3-1 page) then says the balance. */
GST_START_TEST (test_check_balance_without_price)
{
  g_autoptr (ApixoRun) run = NULL;
  const GstStructure *s;

  sim_fixture_set_balance (sim, 0);
  run = run_src (VEO_FMT "check-balance=true");
  s = apixo_run_task_event (run, "balance");
  fail_unless (G_APPROX_VALUE (field_double (s, "balance"), 0, 1e-9));
  fail_if (gst_structure_has_field (s, "estimated-cost"));
  assert_short_of (run, 0, -1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 200), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
  /* check-balance's read, and the one after the refusal */
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", 200), 2);
}

GST_END_TEST;

/* The balance route fails for good: the check the user asked for cannot
 * be made, so nothing is submitted. */
GST_START_TEST (test_check_balance_unreadable)
{
  g_autoptr (ApixoRun) run = NULL;
  guint status = 0;

  sim_fixture_add_fault (sim, "balance", "500", 3);
  run = run_props ("check-balance=true retries=2");
  assert_error (run, GST_RESOURCE_ERROR_FAILED, "http");
  fail_unless (
      gst_structure_get_uint (run->error_details, "http-status", &status));
  fail_unless_equals_int (status, 500);
  fail_unless (strstr (run->error->message, "check-balance") != NULL, "%s",
               run->error->message);
  fail_if (gst_structure_has_field (run->error_details, "task-id"));
  fail_unless (apixo_run_task_event (run, "balance") == NULL);
  /* the first read and two retries */
  assert_nothing_sent (3);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", 500), 3);
}

GST_END_TEST;

/* A garbled answer is retried like a status answer. */
GST_START_TEST (test_check_balance_retried)
{
  g_autoptr (ApixoRun) run = NULL;

  sim_fixture_add_fault (sim, "balance", "malformed-json", 1);
  sim_fixture_add_fault (sim, "balance", "reset-before", 1);
  run = run_props ("check-balance=true");
  fail_unless (run->eos, "%s", run->error ? run->error->message : "no EOS");
  fail_unless (apixo_run_task_event (run, "balance") != NULL);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", 200), 2);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 200), 1);
}

GST_END_TEST;

/* ---- max-cost ------------------------------------------------------------ */

GST_START_TEST (test_max_cost_below_estimate)
{
  g_autoptr (ApixoRun) run = run_props ("max-cost=0.2 check-balance=true");

  assert_max_cost_refused (run);
  assert_usd (run, GST_APIXO_ERROR_FIELD_ESTIMATED_COST, 0.25);
}

GST_END_TEST;

GST_START_TEST (test_max_cost_at_estimate)
{
  g_autoptr (ApixoRun) run = run_props ("max-cost=0.25");

  fail_unless (run->eos, "%s", run->error ? run->error->message : "no EOS");
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 200), 1);
}

GST_END_TEST;

/* No documented price: max-cost cannot be honoured, so it is refused, and
 * the message says why instead of guessing. */
GST_START_TEST (test_max_cost_without_price)
{
  g_autoptr (ApixoRun) veo = run_src (VEO_FMT "max-cost=100");
  g_autoptr (ApixoRun) animate = NULL;

  assert_max_cost_refused (veo);
  assert_usd (veo, GST_APIXO_ERROR_FIELD_ESTIMATED_COST, -1);
  fail_unless (strstr (veo->error->message, "no price") != NULL, "%s",
               veo->error->message);

  animate = run_src ("apixoanimatesrc @SIM@ name=src "
                     "image-uri=https://example.com/c.png "
                     "video-uri=https://example.com/m.mp4 max-cost=100");
  assert_max_cost_refused (animate);
  fail_unless (strstr (animate->error->message, "no price") != NULL, "%s",
               animate->error->message);
}

GST_END_TEST;

/* Issue 10 point 5: any value of the type is taken, start() refuses what
 * is not 0 or a positive amount. */
GST_START_TEST (test_max_cost_out_of_range)
{
  static const gchar *const values[] = { "-1", "nan" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
    gchar *props = g_strdup_printf ("max-cost=%s", values[i]);
    g_autoptr (ApixoRun) run = run_props (props);

    assert_max_cost_refused (run);
    g_free (props);
  }
}

GST_END_TEST;

/* ---- the service's refusal ----------------------------------------------- */

/* wan-2-5-video's 402: the error carries the balance read after it. */
GST_START_TEST (test_402_with_balance)
{
  g_autoptr (ApixoRun) run = NULL;
  guint status = 0;

  sim_fixture_set_balance (sim, 0.1);
  run = run_props ("");
  assert_short_of (run, 0.1, 0.25);
  fail_unless (
      gst_structure_get_uint (run->error_details, "http-status", &status));
  fail_unless_equals_int (status, 402);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 402), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", 200), 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
}

GST_END_TEST;

/* The balance cannot be read after the refusal: the error only leaves it
 * out (one attempt, no retry). */
GST_START_TEST (test_402_balance_unreadable)
{
  g_autoptr (ApixoRun) run = NULL;

  sim_fixture_set_balance (sim, 0);
  sim_fixture_add_fault (sim, "balance", "500", 1);
  run = run_props ("");
  assert_short_of (run, -1, 0.25);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", 402), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "balance", -1), 1);
}

GST_END_TEST;

static Suite *
apixo_cost_suite (void)
{
  Suite *s = suite_create ("apixo_cost");
  TCase *prices = tcase_create ("prices"), *runs = tcase_create ("runs");

  /* the catalogue alone */
  tcase_add_loop_test (prices, test_documented_rows, 0, G_N_ELEMENTS (billing));
  tcase_add_test (prices, test_page_defaults);
  tcase_add_test (prices, test_undocumented_prices);
  tcase_add_test (prices, test_usd_to_string);
  suite_add_tcase (s, prices);

  /* real runs, a new sim each */
  tcase_add_checked_fixture (runs, setup, teardown);
  tcase_add_test (runs, test_submitted_estimate);
  tcase_add_test (runs, test_submitted_without_price);
  tcase_add_test (runs, test_check_balance_posts);
  tcase_add_test (runs, test_check_balance_short);
  tcase_add_test (runs, test_check_balance_without_price);
  tcase_add_test (runs, test_check_balance_unreadable);
  tcase_add_test (runs, test_check_balance_retried);
  tcase_add_test (runs, test_max_cost_below_estimate);
  tcase_add_test (runs, test_max_cost_at_estimate);
  tcase_add_test (runs, test_max_cost_without_price);
  tcase_add_test (runs, test_max_cost_out_of_range);
  tcase_add_test (runs, test_402_with_balance);
  tcase_add_test (runs, test_402_balance_unreadable);
  suite_add_tcase (s, runs);
  return s;
}

GST_CHECK_MAIN (apixo_cost);
