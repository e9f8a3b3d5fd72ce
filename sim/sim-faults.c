/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fault queue.  Main context only (see sim-app.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-faults.h"
#include "sim-models.h"
#include "sim-util.h"

#define MAX_FAULTS 1024
#define MAX_COUNT 1000000
#define MAX_DELAY 3600.0

typedef struct {
  SimRoute route;
  SimFault fault;
  guint remaining;
  gchar *model;
} FaultEntry;

struct _SimFaults {
  GQueue entries; /* FaultEntry, oldest first */
};

static void
fault_entry_free (FaultEntry *e)
{
  g_free (e->model);
  g_free (e);
}

SimFaults *
sim_faults_new (void)
{
  SimFaults *faults = g_new0 (SimFaults, 1);

  g_queue_init (&faults->entries);
  return faults;
}

void
sim_faults_clear (SimFaults *faults)
{
  g_queue_clear_full (&faults->entries, (GDestroyNotify)fault_entry_free);
}

void
sim_faults_free (SimFaults *faults)
{
  if (faults == NULL)
    return;
  sim_faults_clear (faults);
  g_free (faults);
}

static const struct {
  const gchar *name;
  SimFaultKind kind;
} kind_names[] = {
  { "reset-before", SIM_FAULT_RESET_BEFORE },
  { "reset-after", SIM_FAULT_RESET_AFTER },
  { "slow", SIM_FAULT_SLOW },
  { "truncate", SIM_FAULT_TRUNCATE },
  { "malformed-json", SIM_FAULT_MALFORMED },
};

const gchar *
sim_fault_kind_name (const SimFault *fault)
{
  static gchar status[8];

  if (fault->kind == SIM_FAULT_STATUS) {
    g_snprintf (status, sizeof (status), "%u", fault->status);
    return status;
  }
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++) {
    if (kind_names[i].kind == fault->kind)
      return kind_names[i].name;
  }
  return "none";
}

/* "fault": a string ("reset-after", "503") or a number (503). */
static gboolean
parse_fault (JsonNode *node, SimFault *fault, GError **error)
{
  gint64 status = 0;

  if (node && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64) {
    status = json_node_get_int (node);
  } else if (node && JSON_NODE_HOLDS_VALUE (node) &&
             json_node_get_value_type (node) == G_TYPE_STRING) {
    const gchar *s = json_node_get_string (node);

    for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++) {
      if (g_str_equal (kind_names[i].name, s)) {
        fault->kind = kind_names[i].kind;
        return TRUE;
      }
    }
    if (!g_ascii_string_to_signed (s, 10, 100, 599, &status, NULL))
      status = 0;
  }
  if (status == 402 || status == 403 || status == 429 || status == 500 ||
      status == 502 || status == 503 || status == 504) {
    fault->kind = SIM_FAULT_STATUS;
    fault->status = status;
    return TRUE;
  }
  g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                       "Invalid fault: expected 402, 403, 429, 500, 502, "
                       "503, 504, "
                       "reset-before, reset-after, slow, truncate or "
                       "malformed-json");
  return FALSE;
}

static gboolean
get_number (JsonObject *obj, const gchar *name, gdouble min, gdouble max,
            gdouble *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  GType t;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
  if ((t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) ||
      json_node_get_double (node) < min || json_node_get_double (node) > max) {
    g_set_error (error, SIM_REQUEST_ERROR, 400,
                 "Invalid %s: expected a number in [%g, %g]", name, min, max);
    return FALSE;
  }
  *out = json_node_get_double (node);
  return TRUE;
}

gboolean
sim_faults_add_json (SimFaults *faults, JsonNode *body, GError **error)
{
  JsonObject *obj;
  FaultEntry *e;
  const gchar *route, *model = NULL;
  gdouble count = 1, delay = SIM_FAULT_DEFAULT_DELAY;
  gdouble retry_after = SIM_FAULT_DEFAULT_RETRY_AFTER;
  SimRoute r;
  SimFault fault = { 0 };

  if (!JSON_NODE_HOLDS_OBJECT (body)) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid body: expected a JSON object");
    return FALSE;
  }
  obj = json_node_get_object (body);
  route = json_object_get_string_member_with_default (obj, "route", NULL);
  if (route == NULL || !sim_route_from_name (route, &r)) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid route: expected generate, status, result, "
                         "balance or callback");
    return FALSE;
  }
  if (!parse_fault (json_object_get_member (obj, "fault"), &fault, error))
    return FALSE;
  if (!get_number (obj, "count", 1, MAX_COUNT, &count, error) ||
      !get_number (obj, "delay", 0, MAX_DELAY, &delay, error) ||
      !get_number (obj, "retry_after", 0, 86400, &retry_after, error))
    return FALSE;
  if (json_object_has_member (obj, "model") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "model"))) {
    model = json_object_get_string_member_with_default (obj, "model", NULL);
    if (model == NULL || sim_model_lookup (model) == NULL) {
      g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                           "Invalid model: not one of the five model ids");
      return FALSE;
    }
  }
  if (fault.kind == SIM_FAULT_SLOW && delay == 0)
    delay = SIM_FAULT_DEFAULT_DELAY;
  if (g_queue_get_length (&faults->entries) >= MAX_FAULTS) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Too many pending faults");
    return FALSE;
  }

  e = g_new0 (FaultEntry, 1);
  e->route = r;
  e->fault = fault;
  e->fault.delay = delay;
  e->fault.retry_after = (guint)retry_after;
  e->remaining = (guint)count;
  e->model = g_strdup (model);
  g_queue_push_tail (&faults->entries, e);
  return TRUE;
}

gboolean
sim_faults_take (SimFaults *faults, SimRoute route, const gchar *model,
                 SimFault *fault)
{
  for (GList *l = faults->entries.head; l; l = l->next) {
    FaultEntry *e = l->data;

    if (e->route != route)
      continue;
    if (e->model && g_strcmp0 (e->model, model) != 0)
      continue;
    *fault = e->fault;
    if (--e->remaining == 0) {
      g_queue_delete_link (&faults->entries, l);
      fault_entry_free (e);
    }
    return TRUE;
  }
  memset (fault, 0, sizeof (*fault));
  return FALSE;
}

JsonNode *
sim_faults_to_json (SimFaults *faults)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "faults");
  json_builder_begin_array (b);
  for (GList *l = faults->entries.head; l; l = l->next) {
    FaultEntry *e = l->data;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "route");
    json_builder_add_string_value (b, sim_route_name (e->route));
    json_builder_set_member_name (b, "fault");
    json_builder_add_string_value (b, sim_fault_kind_name (&e->fault));
    json_builder_set_member_name (b, "remaining");
    json_builder_add_int_value (b, e->remaining);
    json_builder_set_member_name (b, "delay");
    json_builder_add_double_value (b, e->fault.delay);
    json_builder_set_member_name (b, "retry_after");
    json_builder_add_int_value (b, e->fault.retry_after);
    json_builder_set_member_name (b, "model");
    if (e->model)
      json_builder_add_string_value (b, e->model);
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
