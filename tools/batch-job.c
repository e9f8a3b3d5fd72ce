/* gst-apixo-batch: one job (a manifest row) on the plugin's elements
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A row's fields are the element's own properties, set with their own
 * types (GStreamer's value parsing, as gst-launch-1.0 does); whether the
 * result is a valid request is the element's word, through its
 * "validate" action signal: the checks its start() makes.  Single-
 * threaded (the main context).
 */

#include "batch-job.h"

#include <stdio.h>
#include <string.h>

#define ANIMATE_MODEL "wan-2-2-animate"

/* ISO 8601, UTC, for @usec since the epoch */
static gchar *
iso_time (gint64 usec)
{
  GDateTime *t = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  GDateTime *precise = g_date_time_add (t, usec % G_USEC_PER_SEC);
  gchar *text = g_date_time_format_iso8601 (precise);

  g_date_time_unref (precise);
  g_date_time_unref (t);
  return text;
}

static gboolean
add_member (GQuark field, const GValue *v, gpointer user_data)
{
  JsonBuilder *b = user_data;
  GValue number = G_VALUE_INIT;

  json_builder_set_member_name (b, g_quark_to_string (field));
  if (G_VALUE_HOLDS_STRING (v)) {
    json_builder_add_string_value (b, g_value_get_string (v));
  } else if (G_VALUE_HOLDS_BOOLEAN (v)) {
    json_builder_add_boolean_value (b, g_value_get_boolean (v));
  } else if (G_VALUE_HOLDS_DOUBLE (v)) {
    json_builder_add_double_value (b, g_value_get_double (v));
  } else {
    g_value_init (&number, G_TYPE_INT64);
    g_value_transform (v, &number);
    json_builder_add_int_value (b, g_value_get_int64 (&number));
  }
  return TRUE;
}

void
batch_json_add_structure (JsonBuilder *b, const GstStructure *s)
{
  gst_structure_foreach (s, add_member, b);
}

/* The job's text members that are set */
static void
set_strings (const BatchJob *job, GstStructure *s)
{
  static const struct {
    const gchar *name;
    glong offset;
  } strings[] = {
    { "model", G_STRUCT_OFFSET (BatchJob, model) },
    { "task-id", G_STRUCT_OFFSET (BatchJob, task_id) },
    { "served", G_STRUCT_OFFSET (BatchJob, served) },
    { "error", G_STRUCT_OFFSET (BatchJob, error) },
    { "reason", G_STRUCT_OFFSET (BatchJob, reason) },
    { "fail-code", G_STRUCT_OFFSET (BatchJob, fail_code) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++) {
    const gchar *value =
        G_STRUCT_MEMBER (const gchar *, job, strings[i].offset);

    if (value != NULL)
      gst_structure_set (s, strings[i].name, G_TYPE_STRING, value, NULL);
  }
}

static void
set_time (GstStructure *s, const gchar *name, gint64 usec)
{
  gchar *text;

  if (usec <= 0)
    return;
  text = iso_time (usec);
  gst_structure_set (s, name, G_TYPE_STRING, text, NULL);
  g_free (text);
}

GstStructure *
batch_job_describe (const BatchJob *job)
{
  GstStructure *s = gst_structure_new (
      "job", "id", G_TYPE_STRING, job->id, "line", G_TYPE_UINT, job->row->line,
      "state", G_TYPE_STRING, batch_job_state_name (job->state), "output",
      G_TYPE_STRING, job->output, "paid", G_TYPE_BOOLEAN, job->paid, "resumed",
      G_TYPE_BOOLEAN, job->resumed, NULL);

  set_strings (job, s);
  if (job->estimate >= 0)
    gst_structure_set (s, "estimated-cost", G_TYPE_DOUBLE, job->estimate, NULL);
  set_time (s, "start-time", job->start_time);
  set_time (s, "end-time", job->end_time);
  /* what decoding the output found */
  if (job->width > 0)
    gst_structure_set (s, "duration", G_TYPE_DOUBLE,
                       (gdouble)job->duration / GST_SECOND, "width", G_TYPE_INT,
                       job->width, "height", G_TYPE_INT, job->height, NULL);
  return s;
}

BatchJob *
batch_job_new (const BatchRow *row, const gchar *output_dir)
{
  BatchJob *job = g_new0 (BatchJob, 1);
  gchar *name;

  job->row = row;
  job->id = g_strdup (row->id);
  job->estimate = -1;
  job->duration = GST_CLOCK_TIME_NONE;
  job->state = BATCH_JOB_QUEUED;
  if (row->output != NULL && g_path_is_absolute (row->output)) {
    job->output = g_strdup (row->output);
  } else {
    name = row->output ? g_strdup (row->output)
                       : g_strdup_printf ("%s.mp4", row->id);
    job->output = g_build_filename (output_dir, name, NULL);
    g_free (name);
  }
  return job;
}

void
batch_job_free (BatchJob *job)
{
  gchar **strings[] = { &job->id,      &job->output,    &job->model,
                        &job->task_id, &job->served,    &job->error,
                        &job->reason,  &job->fail_code, &job->request_key };

  if (job->pipeline != NULL) {
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
    gst_object_unref (job->pipeline);
  }
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_free (*strings[i]);
  g_free (job);
}

void
batch_job_set_error (BatchJob *job, const gchar *reason, const gchar *fail_code,
                     const gchar *message)
{
  g_free (job->reason);
  job->reason = g_strdup (reason);
  g_free (job->fail_code);
  job->fail_code = g_strdup (fail_code);
  g_free (job->error);
  job->error = g_strdup (message);
}

const gchar *
batch_job_state_name (BatchJobState state)
{
  static const gchar *const names[] = {
    "queued",  "checking", "running", "verifying", "succeeded",
    "skipped", "failed",   "invalid", "not-run",   "interrupted",
  };

  return names[state];
}

gboolean
batch_job_is_good (const BatchJob *job)
{
  return job->state == BATCH_JOB_SUCCEEDED || job->state == BATCH_JOB_SKIPPED;
}

gboolean
batch_job_is_over (const BatchJob *job)
{
  return job->state > BATCH_JOB_VERIFYING;
}

/* ---- properties from fields ---------------------------------------------- */

/* "line N: field F: " (line 0: the command line's --set/--model) */
static void field_error (GError **error, const BatchRow *row,
                         const gchar *field, const gchar *format, ...)
    G_GNUC_PRINTF (4, 5);

static void
field_error (GError **error, const BatchRow *row, const gchar *field,
             const gchar *format, ...)
{
  va_list args;
  gchar *text, *where;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (row->line == 0)
    where = g_strdup_printf ("--set %s", field ? field : "/--model");
  else if (field != NULL)
    where = g_strdup_printf ("line %u: field %s", row->line, field);
  else
    where = g_strdup_printf ("line %u", row->line);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", where,
               text);
  g_free (where);
  g_free (text);
}

/* ", allowed: a, b, c" for an enum, "" otherwise */
static gchar *
allowed_values (GParamSpec *pspec)
{
  GString *s;
  GEnumClass *klass;

  if (!G_IS_PARAM_SPEC_ENUM (pspec))
    return g_strdup ("");
  klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
  s = g_string_new (" (allowed:");
  for (guint i = 0; i < klass->n_values; i++)
    g_string_append_printf (s, "%s %s", i ? "," : "",
                            klass->values[i].value_nick);
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

/* An array property (image-uris, ...): its items, each of the element
 * type (strings). */
static gboolean
array_value (GValue *v, GParamSpec *pspec, const BatchField *f)
{
  GParamSpec *item_spec = GST_PARAM_SPEC_ARRAY_LIST (pspec)->element_spec;
  gchar **items = batch_field_to_strv (f);
  gboolean ok = items != NULL;

  for (guint i = 0; ok && items[i] != NULL; i++) {
    GValue item = G_VALUE_INIT;

    g_value_init (&item, item_spec ? item_spec->value_type : G_TYPE_STRING);
    if (G_VALUE_HOLDS_STRING (&item))
      g_value_set_string (&item, items[i]);
    else
      ok = gst_value_deserialize (&item, items[i]);
    if (ok)
      gst_value_array_append_and_take_value (v, &item);
    else
      g_value_unset (&item);
  }
  g_strfreev (items);
  return ok;
}

static gboolean
field_value (GValue *v, GParamSpec *pspec, const BatchField *f)
{
  gchar *text;
  gboolean ok;

  if (pspec->value_type == GST_TYPE_ARRAY)
    return array_value (v, pspec, f);
  text = batch_field_to_string (f);
  if (text == NULL)
    return FALSE;
  /* a prompt is text as it is, quotes included */
  if (G_VALUE_HOLDS_STRING (v)) {
    g_value_take_string (v, text);
    return TRUE;
  }
  ok = gst_value_deserialize_with_pspec (v, text, pspec);
  g_free (text);
  return ok;
}

static gboolean
set_field (GstElement *src, const BatchRow *row, const BatchField *f,
           GError **error)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (src), f->name);
  GValue v = G_VALUE_INIT;
  gchar *text, *allowed;

  if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE)) {
    field_error (error, row, f->name,
                 "not a property of %s (allowed: its properties, see "
                 "gst-inspect-1.0 %s, and id, output)",
                 GST_OBJECT_NAME (gst_element_get_factory (src)),
                 GST_OBJECT_NAME (gst_element_get_factory (src)));
    return FALSE;
  }
  if (strcmp (f->name, "save-location") == 0 ||
      strcmp (f->name, "api-key") == 0) {
    field_error (error, row, f->name, "%s",
                 f->name[0] == 's'
                     ? "set by the row's output (allowed: output, else "
                       "--output-dir/<id>.mp4)"
                     : "never in a manifest (allowed: the APIXO_API_KEY "
                       "environment variable)");
    return FALSE;
  }
  g_value_init (&v, pspec->value_type);
  if (!field_value (&v, pspec, f) || g_param_value_validate (pspec, &v)) {
    text = f->value ? json_to_string (f->value, FALSE) : g_strdup ("?");
    allowed = allowed_values (pspec);
    field_error (error, row, f->name, "%s is not a valid %s%s", text,
                 g_type_name (pspec->value_type), allowed);
    g_free (allowed);
    g_free (text);
    g_value_unset (&v);
    return FALSE;
  }
  g_object_set_property (G_OBJECT (src), f->name, &v);
  g_value_unset (&v);
  return TRUE;
}

static gboolean
set_fields (GstElement *src, const BatchRow *row, GError **error)
{
  for (guint i = 0; i < row->fields->len; i++)
    if (!set_field (src, row, g_ptr_array_index (row->fields, i), error))
      return FALSE;
  return TRUE;
}

/* The row's model, else the default's; which element makes it. */
static gboolean
choose_model (BatchJob *job, const BatchDefaults *defaults, GError **error)
{
  const BatchField *f = batch_row_get (job->row, "model");

  if (f == NULL)
    f = batch_row_get (defaults, "model");
  g_free (job->model);
  job->model = f ? batch_field_to_string (f) : NULL;
  if (job->model == NULL || *job->model == '\0') {
    field_error (error, job->row, "model",
                 "not set (allowed: a model id in the row, or --model)");
    return FALSE;
  }
  job->factory =
      strcmp (job->model, ANIMATE_MODEL) == 0 ? "apixoanimatesrc" : "apixosrc";
  return TRUE;
}

GstElement *
batch_job_make_source (BatchJob *job, const BatchDefaults *defaults,
                       GError **error)
{
  GstElement *src;

  if (!choose_model (job, defaults, error))
    return NULL;
  src = gst_element_factory_make (job->factory, NULL);
  if (src == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "no %s element: is the gst-apixo plugin installed (or "
                 "GST_PLUGIN_PATH set)?",
                 job->factory);
    return NULL;
  }
  gst_object_ref_sink (src);
  if (!set_fields (src, defaults, error) ||
      !set_fields (src, job->row, error)) {
    gst_object_unref (src);
    return NULL;
  }
  g_object_set (src, "save-location", job->output, NULL);
  return src;
}

gboolean
batch_job_validate (BatchJob *job, const BatchDefaults *defaults,
                    GError **error)
{
  GstElement *src = batch_job_make_source (job, defaults, error);
  GstStructure *verdict = NULL;
  gboolean valid = FALSE;
  const gchar *property;

  if (src == NULL)
    return FALSE;
  g_signal_emit_by_name (src, "validate", &verdict);
  gst_structure_get_boolean (verdict, "valid", &valid);
  if (valid) {
    if (!gst_structure_get_double (verdict, "estimated-cost", &job->estimate))
      job->estimate = -1;
    if (!gst_structure_get_uint (verdict, "concurrent-tasks",
                                 &job->concurrent_tasks))
      job->concurrent_tasks = 1;
    job->request_key =
        g_strdup (gst_structure_get_string (verdict, "request-key"));
    /* "1280*720": what the output's picture must be */
    if (gst_structure_has_field (verdict, "size") &&
        sscanf (gst_structure_get_string (verdict, "size"), "%d*%d",
                &job->want_width, &job->want_height) != 2)
      job->want_width = job->want_height = 0;
  } else {
    /* the element's details name the refused property */
    property = gst_structure_get_string (verdict, "property");
    /* save-location is the row's output */
    if (g_strcmp0 (property, "save-location") == 0)
      property = "output";
    field_error (error, job->row, property, "%s",
                 gst_structure_get_string (verdict, "message"));
  }
  gst_structure_free (verdict);
  gst_object_unref (src);
  return valid;
}

GstElement *
batch_job_make_pipeline (BatchJob *job, const BatchDefaults *defaults,
                         GError **error)
{
  GstElement *src, *sink, *pipeline;

  src = batch_job_make_source (job, defaults, error);
  if (src == NULL)
    return NULL;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  pipeline = gst_pipeline_new (job->id);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_object_unref (src); /* the bin's now */
  gst_element_link (src, sink);
  return pipeline;
}
