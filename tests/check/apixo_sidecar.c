/* gst-apixo: the sidecar "<save-location>.json" beside a kept result, and
 * the "sidecar" member of its cache entry.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Real runs against apixo-sim:
 * - a generation kept at save-location has, once the pipeline is at EOS,
 *   "<save-location>.json" saying model, prompt, seed, the task id (the
 *   sim's only task), submit and complete times (ISO 8601 UTC, in order),
 *   the estimated cost (wan-2-5-video 480p 5 s: 0.25 USD by the page) and
 *   the request's input exactly as the sim received it; no callback_url;
 * - unknown things are null, not left out: no seed set, no price
 *   documented (veo-3-1);
 * - cache=true: the cache entry's metadata holds the same sidecar; a second
 *   run served from the cache (no new task) keeps the file at its own
 *   save-location with the sidecar of the task that generated it, and the
 *   entry keeps its sidecar after that use (its metadata was rewritten);
 *   an entry stored before sidecars gets one made from its metadata.
 *
 * Synchronisation: bus messages (EOS) and the sim's records; never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "apixotest.h"

#define KITE                                                                   \
  "apixosrc @SIM@ model=wan-2-5-video resolution=480p duration=5 "             \
  "prompt=\"a red kite [sim:duration=1]\" "

APIXO_TEST_FIXTURE (0.005, "apixo-sidecar")

/* Runs @launch (with "! fakesink" added) to EOS. */
static void
run_to_eos (const gchar *launch)
{
  gchar *full = g_strdup_printf ("%s ! fakesink", launch);
  ApixoRun *run = apixo_test_run_launch (sim, full, 60);

  fail_unless (run->eos && run->error == NULL, "%s: %s", full,
               run->error ? run->error->message : "no EOS");
  apixo_run_free (run);
  g_free (full);
}

/* The JSON object in the file @path (transfer full). */
static JsonObject *
read_object (const gchar *path)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  JsonObject *obj;

  fail_unless (json_parser_load_from_file (parser, path, &error), "%s: %s",
               path, error ? error->message : "");
  fail_unless (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  obj = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  g_object_unref (parser);
  return obj;
}

static JsonObject *
read_sidecar (const gchar *media)
{
  gchar *path = g_strconcat (media, ".json", NULL);
  JsonObject *obj;

  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "no %s", path);
  obj = read_object (path);
  g_free (path);
  return obj;
}

static gint64
iso_to_us (JsonObject *obj, const gchar *name)
{
  const gchar *text = json_object_get_string_member (obj, name);
  GDateTime *t = g_date_time_new_from_iso8601 (text, NULL);
  gint64 us;

  fail_unless (t != NULL, "%s: '%s' is not ISO 8601", name, text);
  fail_unless (g_str_has_suffix (text, "Z"), "%s: '%s' is not UTC", name, text);
  us = g_date_time_to_unix (t) * G_USEC_PER_SEC +
       g_date_time_get_microsecond (t);
  g_date_time_unref (t);
  return us;
}

/* Runs "@src save-location=<tmpdir>/@name ! fakesink" to EOS; the
 * sidecar beside the kept file (transfer full). */
static JsonObject *
kept_sidecar (const gchar *src, const gchar *name)
{
  gchar *out = g_build_filename (tmpdir, name, NULL);
  gchar *launch = g_strdup_printf ("%s save-location=%s", src, out);
  JsonObject *sidecar;

  run_to_eos (launch);
  sidecar = read_sidecar (out);
  g_free (launch);
  g_free (out);
  return sidecar;
}

/* The request-key of the "validate" verdict of @src (a source element
 * description) with save-location @name in tmpdir (transfer full). */
static gchar *
validated_key (const gchar *src, const gchar *name)
{
  gchar *out = g_build_filename (tmpdir, name, NULL);
  gchar *launch = g_strdup_printf ("%s save-location=%s", src, out);
  GstElement *element = apixo_test_parse (sim, launch);
  GstStructure *verdict = NULL;
  gchar *key;

  g_signal_emit_by_name (element, "validate", &verdict);
  key = g_strdup (gst_structure_get_string (verdict, "request-key"));
  fail_unless (key != NULL, "no request-key: %" GST_PTR_FORMAT, verdict);
  gst_structure_free (verdict);
  gst_object_unref (element);
  g_free (launch);
  g_free (out);
  return key;
}

/* @sidecar is that of the sim's only task: its id, its input. */
static void
assert_sidecar_of_task (JsonObject *sidecar)
{
  JsonObject *request = json_object_get_object_member (sidecar, "request");
  gchar *id = apixo_test_only_task_id (sim);
  JsonObject *task = sim_fixture_get_task (sim, id);
  JsonObject *sent = json_object_get_object_member (task, "request");

  fail_unless_equals_int (json_object_get_int_member (sidecar, "version"), 1);
  fail_unless_equals_string (json_object_get_string_member (sidecar, "model"),
                             "wan-2-5-video");
  fail_unless_equals_string (json_object_get_string_member (sidecar, "prompt"),
                             "a red kite [sim:duration=1]");
  fail_unless_equals_string (json_object_get_string_member (sidecar, "task-id"),
                             id);
  fail_unless (iso_to_us (sidecar, "submit-time") <=
               iso_to_us (sidecar, "complete-time"));
  /* the input the service received, as it received it */
  fail_unless (json_node_equal (json_object_get_member (request, "input"),
                                json_object_get_member (sent, "input")));
  fail_if (json_object_has_member (request, "callback_url"));
  /* the run identity's key: 64 hex digits */
  fail_unless (g_regex_match_simple (
      "^[0-9a-f]{64}$", json_object_get_string_member (sidecar, "request-key"),
      0, 0));
  json_object_unref (task);
  g_free (id);
}

GST_START_TEST (test_beside_save_location)
{
  JsonObject *sidecar = kept_sidecar (KITE "seed=7 cache=false", "kite.mp4");
  gchar *key = validated_key (KITE "seed=7 cache=false", "kite.mp4");
  gchar *other = validated_key (KITE "seed=8 cache=false", "kite.mp4");

  assert_sidecar_of_task (sidecar);
  /* what validate says the request is, before anything is sent: the key
   * a re-run compares (gst-apixo-batch), another for another request */
  fail_unless_equals_string (
      json_object_get_string_member (sidecar, "request-key"), key);
  fail_if (g_strcmp0 (key, other) == 0);
  g_free (other);
  g_free (key);
  fail_unless_equals_int (json_object_get_int_member (sidecar, "seed"), 7);
  fail_unless_equals_float (
      json_object_get_double_member (sidecar, "estimated-cost"), 0.25);
  json_object_unref (sidecar);
}

GST_END_TEST;

/* Unknown: null, never left out (readers rely on every member). */
GST_START_TEST (test_unknown_members_are_null)
{
  JsonObject *sidecar = kept_sidecar (
      "apixosrc @SIM@ model=veo-3-1 prompt=\"an ocean [sim:duration=1]\" "
      "cache=false",
      "ocean.mp4");

  fail_unless (json_object_get_null_member (sidecar, "seed"));
  fail_unless (json_object_get_null_member (sidecar, "estimated-cost"));
  fail_unless_equals_string (json_object_get_string_member (sidecar, "model"),
                             "veo-3-1");
  json_object_unref (sidecar);
}

GST_END_TEST;

/* The metadata of the cache's only entry (transfer full); its path in
 * *@path if not NULL. */
static JsonObject *
read_cache_entry (gchar **path_out)
{
  gchar *dir = g_build_filename (g_getenv ("XDG_CACHE_HOME"), "gst-apixo",
                                 "results", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  JsonObject *entry = NULL;
  gchar *path;
  guint n = 0;

  fail_unless (d != NULL, "no %s", dir);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".json"))
      continue;
    n++;
    path = g_build_filename (dir, name, NULL);
    entry = read_object (path);
    if (path_out != NULL)
      *path_out = g_strdup (path);
    g_free (path);
  }
  g_dir_close (d);
  g_free (dir);
  fail_unless (n == 1 && entry != NULL, "%u cache entries", n);
  return entry;
}

/* The cache entry's "sidecar" member equals @sidecar. */
static void
assert_entry_sidecar (JsonNode *sidecar)
{
  JsonObject *entry = read_cache_entry (NULL);
  JsonNode *member = json_object_get_member (entry, "sidecar");

  fail_unless (member != NULL, "the cache entry has no sidecar");
  fail_unless (json_node_equal (member, sidecar));
  json_object_unref (entry);
}

/* The cache's only entry is stored under @key. */
static void
assert_entry_key (const gchar *key)
{
  JsonObject *entry = read_cache_entry (NULL);

  fail_unless_equals_string (json_object_get_string_member (entry, "key"), key);
  json_object_unref (entry);
}

GST_START_TEST (test_with_the_cache_entry)
{
  JsonObject *kept = kept_sidecar (KITE "seed=8 cache=true", "kept.mp4");
  JsonNode *kept_node = json_node_init_object (json_node_alloc (), kept);
  JsonObject *served;
  JsonNode *served_node;

  assert_sidecar_of_task (kept);
  assert_entry_sidecar (kept_node);
  assert_entry_key (json_object_get_string_member (kept, "request-key"));

  /* served from the cache: no new task; the sidecar of the one that
   * generated it, beside the new location */
  served = kept_sidecar (KITE "seed=8 cache=true", "again.mp4");
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  served_node = json_node_init_object (json_node_alloc (), served);
  fail_unless (json_node_equal (served_node, kept_node));
  /* the use rewrote the entry's metadata: its sidecar is still there */
  assert_entry_sidecar (kept_node);
  json_node_unref (served_node);
  json_object_unref (served);
  json_node_unref (kept_node);
  json_object_unref (kept);
}

GST_END_TEST;

/* An entry stored before sidecars (no "sidecar" member: the metadata is
 * still valid) served to a save-location: a sidecar made from what the
 * entry knows (its task, its times) and the request. */
GST_START_TEST (test_entry_without_sidecar)
{
  JsonObject *kept = kept_sidecar (KITE "seed=9 cache=true", "kept.mp4");
  gchar *path = NULL;
  JsonObject *entry = read_cache_entry (&path);
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_node_init_object (json_node_alloc (), entry);
  JsonObject *served;

  json_object_remove_member (entry, "sidecar");
  json_generator_set_root (gen, root);
  fail_unless (json_generator_to_file (gen, path, NULL));
  served = kept_sidecar (KITE "seed=9 cache=true", "again.mp4");
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  assert_sidecar_of_task (served);
  fail_unless_equals_int (json_object_get_int_member (served, "seed"), 9);
  fail_unless_equals_float (
      json_object_get_double_member (served, "estimated-cost"), 0.25);
  fail_unless_equals_string (
      json_object_get_string_member (served, "submit-time"),
      json_object_get_string_member (kept, "submit-time"));
  fail_unless_equals_string (
      json_object_get_string_member (served, "request-key"),
      json_object_get_string_member (kept, "request-key"));
  json_object_unref (served);
  json_node_unref (root);
  g_object_unref (gen);
  json_object_unref (entry);
  json_object_unref (kept);
  g_free (path);
}

GST_END_TEST;

static Suite *
apixo_sidecar_suite (void)
{
  Suite *s = suite_create ("apixo_sidecar");
  TCase *tc = tcase_create ("sidecar");

  /* real runs, a new sim and directory each */
  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_beside_save_location);
  tcase_add_test (tc, test_unknown_members_are_null);
  tcase_add_test (tc, test_with_the_cache_entry);
  tcase_add_test (tc, test_entry_without_sidecar);
  return s;
}

GST_CHECK_MAIN (apixo_sidecar);
