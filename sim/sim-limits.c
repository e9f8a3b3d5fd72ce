/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Rate and concurrency limits.  Main context only (see sim-app.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-limits.h"
#include "sim-util.h"

#define WINDOW_US (60 * G_USEC_PER_SEC)
/* Bound on tracked (key, model) pairs: without --api-key any key is
 * accepted, and a hostile client must not grow the table forever. */
#define MAX_BUCKETS 100000
#define MAX_LIMIT 10000000

typedef struct {
  GQueue times; /* admission times (sim clock, us), oldest first */
  guint active;
} Bucket;

typedef struct {
  guint requests_per_minute;
  guint concurrent_tasks;
} ModelLimits;

struct _SimLimits {
  ModelLimits model[SIM_N_MODELS];
  GHashTable *buckets; /* "model\nkeyhash" -> Bucket */
};

static void
bucket_free (Bucket *b)
{
  g_queue_clear_full (&b->times, g_free);
  g_free (b);
}

static void
set_defaults (SimLimits *limits)
{
  for (guint i = 0; i < SIM_N_MODELS; i++) {
    const SimModel *m = sim_model_get (i);
    limits->model[i].requests_per_minute = m->requests_per_minute;
    limits->model[i].concurrent_tasks = m->concurrent_tasks;
  }
}

SimLimits *
sim_limits_new (void)
{
  SimLimits *limits = g_new0 (SimLimits, 1);

  set_defaults (limits);
  limits->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)bucket_free);
  return limits;
}

void
sim_limits_free (SimLimits *limits)
{
  if (limits == NULL)
    return;
  g_hash_table_unref (limits->buckets);
  g_free (limits);
}

static void
prune (Bucket *b, gint64 now_us)
{
  while (!g_queue_is_empty (&b->times)) {
    gint64 t = *(gint64 *)g_queue_peek_head (&b->times);
    if (t > now_us - WINDOW_US)
      break;
    g_free (g_queue_pop_head (&b->times));
  }
}

/* Drops idle buckets when the table is full. */
static void
sweep (SimLimits *limits, gint64 now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, limits->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Bucket *b = value;
    prune (b, now_us);
    if (b->active == 0 && g_queue_is_empty (&b->times))
      g_hash_table_iter_remove (&iter);
  }
}

static Bucket *
get_bucket (SimLimits *limits, const gchar *key_hash, const SimModel *model,
            gint64 now_us, gboolean create)
{
  g_autofree gchar *id = g_strconcat (model->name, "\n", key_hash, NULL);
  Bucket *b = g_hash_table_lookup (limits->buckets, id);

  if (b || !create)
    return b;
  if (g_hash_table_size (limits->buckets) >= MAX_BUCKETS)
    sweep (limits, now_us);
  if (g_hash_table_size (limits->buckets) >= MAX_BUCKETS)
    return NULL;
  b = g_new0 (Bucket, 1);
  g_queue_init (&b->times);
  g_hash_table_insert (limits->buckets, g_steal_pointer (&id), b);
  return b;
}

gboolean
sim_limits_admit (SimLimits *limits, const gchar *key_hash,
                  const SimModel *model, gint64 now_us, guint *retry_after)
{
  guint rpm = limits->model[model->id].requests_per_minute;
  Bucket *b = get_bucket (limits, key_hash, model, now_us, TRUE);
  gint64 *t;

  if (b == NULL) {
    *retry_after = 60;
    return FALSE;
  }
  prune (b, now_us);
  if (g_queue_get_length (&b->times) >= rpm) {
    gint64 oldest = *(gint64 *)g_queue_peek_head (&b->times);
    gint64 wait_us = oldest + WINDOW_US - now_us;
    *retry_after =
        MAX (1, (guint)((wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
    return FALSE;
  }
  /* Keep at most rpm entries: older ones cannot matter any more. */
  t = g_new (gint64, 1);
  *t = now_us;
  g_queue_push_tail (&b->times, t);
  return TRUE;
}

gboolean
sim_limits_can_start (SimLimits *limits, const gchar *key_hash,
                      const SimModel *model)
{
  Bucket *b = get_bucket (limits, key_hash, model, 0, FALSE);
  guint active = b ? b->active : 0;

  return active < limits->model[model->id].concurrent_tasks;
}

void
sim_limits_task_started (SimLimits *limits, const gchar *key_hash,
                         const SimModel *model)
{
  Bucket *b = get_bucket (limits, key_hash, model, 0, TRUE);

  if (b)
    b->active++;
}

void
sim_limits_task_finished (SimLimits *limits, const gchar *key_hash,
                          const SimModel *model)
{
  Bucket *b = get_bucket (limits, key_hash, model, 0, FALSE);

  if (b && b->active > 0)
    b->active--;
}

static gboolean
get_limit (JsonObject *obj, const gchar *name, gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = -1;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < -1 || json_node_get_int (node) > MAX_LIMIT) {
    g_set_error (error, SIM_REQUEST_ERROR, 400,
                 "Invalid %s: expected an integer in [0, %d] (-1: unchanged)",
                 name, MAX_LIMIT);
    return FALSE;
  }
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
sim_limits_set_json (SimLimits *limits, JsonNode *body, GError **error)
{
  JsonObject *obj;
  const SimModel *model = NULL;
  gint64 rpm, conc;

  if (!JSON_NODE_HOLDS_OBJECT (body)) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid body: expected a JSON object");
    return FALSE;
  }
  obj = json_node_get_object (body);
  if (json_object_get_boolean_member_with_default (obj, "reset", FALSE)) {
    GHashTableIter iter;
    gpointer value;

    /* the documented limits, and empty request windows */
    set_defaults (limits);
    g_hash_table_iter_init (&iter, limits->buckets);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_queue_clear_full (&((Bucket *)value)->times, g_free);
  }
  if (json_object_has_member (obj, "model") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "model"))) {
    const gchar *name =
        json_object_get_string_member_with_default (obj, "model", NULL);
    model = name ? sim_model_lookup (name) : NULL;
    if (model == NULL) {
      g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                           "Invalid model: not one of the five model ids");
      return FALSE;
    }
  }
  if (!get_limit (obj, "requests_per_minute", &rpm, error) ||
      !get_limit (obj, "concurrent_tasks", &conc, error))
    return FALSE;
  for (guint i = 0; i < SIM_N_MODELS; i++) {
    if (model && model->id != i)
      continue;
    if (rpm >= 0)
      limits->model[i].requests_per_minute = rpm;
    if (conc >= 0)
      limits->model[i].concurrent_tasks = conc;
  }
  return TRUE;
}

JsonNode *
sim_limits_to_json (SimLimits *limits)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "limits");
  json_builder_begin_object (b);
  for (guint i = 0; i < SIM_N_MODELS; i++) {
    json_builder_set_member_name (b, sim_model_get (i)->name);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "requests_per_minute");
    json_builder_add_int_value (b, limits->model[i].requests_per_minute);
    json_builder_set_member_name (b, "concurrent_tasks");
    json_builder_add_int_value (b, limits->model[i].concurrent_tasks);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
