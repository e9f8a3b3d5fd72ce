/* gst-apixo-batch: the manifest (JSON Lines or CSV)
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsing only: a manifest is read whole, before anything else happens,
 * into rows of (property name, value).  What the values mean is the
 * elements' business (batch-job.c).  Single-threaded.
 */

#include "batch-manifest.h"

#include <string.h>

/* A manifest is a list of requests, not a data set: bounded so that a
 * wrong file (a video given as manifest) fails at once. */
#define MAX_MANIFEST_BYTES (64 * 1024 * 1024)
#define MAX_ID_CHARS 128

static void
field_free (BatchField *f)
{
  g_free (f->name);
  json_node_unref (f->value);
  g_free (f);
}

void
batch_row_free (BatchRow *row)
{
  g_free (row->id);
  g_free (row->output);
  g_ptr_array_unref (row->fields);
  g_free (row);
}

BatchRow *
batch_row_new (guint line)
{
  BatchRow *row = g_new0 (BatchRow, 1);

  row->line = line;
  row->fields = g_ptr_array_new_with_free_func ((GDestroyNotify)field_free);
  return row;
}

void
batch_manifest_free (BatchManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_ptr_array_unref (manifest->rows);
  g_ptr_array_unref (manifest->errors);
  g_free (manifest);
}

static void add_error (BatchManifest *m, guint line, const gchar *field,
                       const gchar *format, ...) G_GNUC_PRINTF (4, 5);

static void
add_error (BatchManifest *m, guint line, const gchar *field,
           const gchar *format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (field != NULL)
    g_ptr_array_add (m->errors, g_strdup_printf ("line %u: field %s: %s", line,
                                                 field, text));
  else
    g_ptr_array_add (m->errors, g_strdup_printf ("line %u: %s", line, text));
  g_free (text);
}

const BatchField *
batch_row_get (const BatchRow *row, const gchar *name)
{
  for (guint i = 0; i < row->fields->len; i++) {
    const BatchField *f = g_ptr_array_index (row->fields, i);

    if (strcmp (f->name, name) == 0)
      return f;
  }
  return NULL;
}

gchar *
batch_field_to_string (const BatchField *field)
{
  JsonNode *v = field->value;

  if (!JSON_NODE_HOLDS_VALUE (v))
    return NULL;
  switch (json_node_get_value_type (v)) {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (v));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (v));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (v) ? "true" : "false");
    case G_TYPE_DOUBLE: {
      gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (
          g_ascii_dtostr (buf, sizeof buf, json_node_get_double (v)));
    }
    default:
      return NULL;
  }
}

gchar **
batch_field_to_strv (const BatchField *field)
{
  GPtrArray *items = g_ptr_array_new ();
  JsonNode *v = field->value;

  if (JSON_NODE_HOLDS_ARRAY (v)) {
    JsonArray *a = json_node_get_array (v);

    for (guint i = 0; i < json_array_get_length (a); i++) {
      BatchField item = { NULL, json_array_get_element (a, i), FALSE };
      gchar *text = batch_field_to_string (&item);

      if (text == NULL) {
        g_ptr_array_free (items, TRUE);
        return NULL;
      }
      g_ptr_array_add (items, text);
    }
  } else if (field->csv) {
    gchar **parts = g_strsplit (json_node_get_string (v), ";", -1);

    for (gchar **p = parts; *p != NULL; p++) {
      g_strstrip (*p);
      if (**p != '\0')
        g_ptr_array_add (items, g_strdup (*p));
    }
    g_strfreev (parts);
  } else {
    gchar *text = batch_field_to_string (field);

    if (text == NULL) {
      g_ptr_array_free (items, TRUE);
      return NULL;
    }
    g_ptr_array_add (items, text);
  }
  g_ptr_array_add (items, NULL);
  return (gchar **)g_ptr_array_free (items, FALSE);
}

/* ids become file names (DIR/<id>.mp4) and keys of the report. */
static gboolean
id_is_valid (const gchar *id)
{
  if (*id == '\0' || *id == '.' || strlen (id) > MAX_ID_CHARS)
    return FALSE;
  for (const gchar *c = id; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("._-", *c) == NULL)
      return FALSE;
  return TRUE;
}

/* The row's "id" and "output" fields become its id and output; the rest
 * are properties.  FALSE (and an error) for a bad id or output. */
static gboolean
take_special (BatchManifest *m, BatchRow *row, BatchField *f)
{
  gchar *text;

  if (strcmp (f->name, "id") != 0 && strcmp (f->name, "output") != 0)
    return FALSE;
  text = batch_field_to_string (f);
  if (text == NULL || *text == '\0' || (*f->name == 'i' && !id_is_valid (text)))
    row->invalid = TRUE;
  if (text == NULL || *text == '\0') {
    add_error (m, row->line, f->name, "a string or number is required");
  } else if (strcmp (f->name, "output") == 0) {
    g_free (row->output);
    row->output = g_steal_pointer (&text);
  } else if (!id_is_valid (text)) {
    add_error (m, row->line, "id",
               "'%s' is not a valid id (allowed: letters, digits, '.', '_', "
               "'-', not starting with '.', at most %d)",
               text, MAX_ID_CHARS);
  } else {
    g_free (row->id);
    row->id = g_steal_pointer (&text);
  }
  g_free (text);
  field_free (f);
  return TRUE;
}

static void
add_field (BatchManifest *m, BatchRow *row, const gchar *name, JsonNode *value,
           gboolean csv)
{
  BatchField *f = g_new0 (BatchField, 1);

  f->name = g_strdup (name);
  f->value = value;
  f->csv = csv;
  if (take_special (m, row, f))
    return;
  if (batch_row_get (row, name) != NULL) {
    add_error (m, row->line, name, "given twice");
    row->invalid = TRUE;
    field_free (f);
    return;
  }
  g_ptr_array_add (row->fields, f);
}

gboolean
batch_row_add_string (BatchRow *row, const gchar *name, const gchar *value)
{
  BatchField *f;

  if (batch_row_get (row, name) != NULL)
    return FALSE;
  f = g_new0 (BatchField, 1);
  f->name = g_strdup (name);
  f->value = json_node_init_string (json_node_alloc (), value);
  f->csv = TRUE;
  g_ptr_array_add (row->fields, f);
  return TRUE;
}

/* ---- JSON Lines ---------------------------------------------------------- */

static void
parse_json_line (BatchManifest *m, guint line, const gchar *text)
{
  JsonParser *parser = json_parser_new_immutable ();
  GError *error = NULL;
  JsonObject *o;
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value;
  BatchRow *row;

  if (!json_parser_load_from_data (parser, text, -1, &error)) {
    add_error (m, line, NULL, "not JSON: %s", error->message);
    g_error_free (error);
    g_object_unref (parser);
    return;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    add_error (m, line, NULL,
               "not a JSON object (one job per line: "
               "{\"prompt\": \"...\", ...})");
    g_object_unref (parser);
    return;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  row = batch_row_new (line);
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &value))
    if (!JSON_NODE_HOLDS_NULL (value))
      add_field (m, row, name, json_node_ref (value), FALSE);
  g_ptr_array_add (m->rows, row);
  g_object_unref (parser);
}

static void
parse_jsonl (BatchManifest *m, gchar *data)
{
  gchar **lines = g_strsplit (data, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    g_strstrip (lines[i]);
    if (lines[i][0] != '\0')
      parse_json_line (m, i + 1, lines[i]);
  }
  g_strfreev (lines);
}

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

typedef struct {
  const gchar *p;
  guint line; /* of p */
} CsvReader;

/* One field at r->p; *@end_of_record when it ended the record.  NULL
 * for an unterminated quote. */
static gchar *
csv_field (CsvReader *r, gboolean *end_of_record)
{
  GString *out = g_string_new (NULL);
  gboolean quoted = *r->p == '"';

  if (quoted)
    r->p++;
  for (;;) {
    gchar c = *r->p;

    if (c == '\0') {
      if (quoted) {
        g_string_free (out, TRUE);
        return NULL;
      }
      *end_of_record = TRUE;
      break;
    }
    if (quoted && c == '"' && r->p[1] == '"') {
      g_string_append_c (out, '"');
      r->p += 2;
      continue;
    }
    if (quoted && c == '"') {
      quoted = FALSE;
      r->p++;
      continue;
    }
    if (!quoted && (c == ',' || c == '\n' || c == '\r')) {
      *end_of_record = c != ',';
      if (c == '\r' && r->p[1] == '\n')
        r->p++;
      if (c != ',')
        r->line++;
      r->p++;
      break;
    }
    if (c == '\n')
      r->line++;
    g_string_append_c (out, c);
    r->p++;
  }
  return g_string_free (out, FALSE);
}

/* One record: its fields, or NULL at the end of the data or (with
 * *@bad) an unterminated quote. */
static GPtrArray *
csv_record (CsvReader *r, gboolean *bad)
{
  GPtrArray *fields;
  gboolean end = FALSE;

  while (*r->p == '\n' || *r->p == '\r') { /* blank lines */
    if (*r->p == '\n')
      r->line++;
    r->p++;
  }
  if (*r->p == '\0')
    return NULL;
  fields = g_ptr_array_new_with_free_func (g_free);
  while (!end) {
    gchar *f = csv_field (r, &end);

    if (f == NULL) {
      *bad = TRUE;
      g_ptr_array_unref (fields);
      return NULL;
    }
    g_ptr_array_add (fields, f);
  }
  return fields;
}

static void
csv_row (BatchManifest *m, GPtrArray *header, GPtrArray *cells, guint line)
{
  BatchRow *row;

  if (cells->len != header->len) {
    add_error (m, line, NULL, "%u fields, the header has %u", cells->len,
               header->len);
    return;
  }
  row = batch_row_new (line);
  for (guint i = 0; i < cells->len; i++) {
    const gchar *cell = g_ptr_array_index (cells, i);

    /* an empty cell leaves the property at its default */
    if (*cell != '\0')
      add_field (m, row, g_ptr_array_index (header, i),
                 json_node_init_string (json_node_alloc (), cell), TRUE);
  }
  g_ptr_array_add (m->rows, row);
}

static void
parse_csv (BatchManifest *m, const gchar *data)
{
  CsvReader r = { data, 1 };
  GPtrArray *header, *cells;
  gboolean bad = FALSE;
  guint line;

  header = csv_record (&r, &bad);
  if (header == NULL) {
    add_error (m, 1, NULL,
               bad ? "unterminated quote in the header"
                   : "no header row (property names)");
    return;
  }
  for (guint i = 0; i < header->len; i++)
    g_strstrip (g_ptr_array_index (header, i));
  for (;;) {
    while (*r.p == '\n' || *r.p == '\r') {
      if (*r.p == '\n')
        r.line++;
      r.p++;
    }
    line = r.line;
    cells = csv_record (&r, &bad);
    if (cells == NULL)
      break;
    csv_row (m, header, cells, line);
    g_ptr_array_unref (cells);
  }
  if (bad)
    add_error (m, line, NULL, "unterminated quote");
  g_ptr_array_unref (header);
}

/* ---- the manifest -------------------------------------------------------- */

/* Default ids (the line number) and duplicate ids, once every row is
 * read. */
static void
check_ids (BatchManifest *m)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < m->rows->len; i++) {
    BatchRow *row = g_ptr_array_index (m->rows, i);
    gpointer other;

    if (row->id == NULL)
      row->id = g_strdup_printf ("%u", row->line);
    row->invalid |= g_hash_table_contains (seen, row->id);
    if (g_hash_table_lookup_extended (seen, row->id, NULL, &other))
      add_error (m, row->line, "id", "'%s' is the id of line %u too", row->id,
                 GPOINTER_TO_UINT (other));
    else
      g_hash_table_insert (seen, row->id, GUINT_TO_POINTER (row->line));
  }
  g_hash_table_unref (seen);
}

BatchManifest *
batch_manifest_load (const gchar *path, gboolean csv, GError **error)
{
  BatchManifest *m;
  gchar *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  if (len > MAX_MANIFEST_BYTES || strlen (data) != len ||
      !g_utf8_validate (data, len, NULL)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s is not a manifest (UTF-8 text, at most %d MiB)", path,
                 MAX_MANIFEST_BYTES / (1024 * 1024));
    g_free (data);
    return NULL;
  }
  m = g_new0 (BatchManifest, 1);
  m->rows = g_ptr_array_new_with_free_func ((GDestroyNotify)batch_row_free);
  m->errors = g_ptr_array_new_with_free_func (g_free);
  if (csv || g_str_has_suffix (path, ".csv"))
    parse_csv (m, data);
  else
    parse_jsonl (m, data);
  check_ids (m);
  g_free (data);
  return m;
}
