/* gst-apixo-batch: the manifest (JSON Lines or CSV)
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __BATCH_MANIFEST_H__
#define __BATCH_MANIFEST_H__

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One field of a row: an element property by its name, and its value as
 * the manifest gave it (JSON Lines: any JSON value; CSV: a string, where
 * ';' separates the items of an array property). */
typedef struct {
  gchar *name;
  JsonNode *value;
  gboolean csv;
} BatchField;

/* One job.  @line: its line in the manifest (a CSV record's first line).
 * @id: the row's "id", else the line number.  @output: the row's
 * "output", else NULL (the runner's DIR/<id>.mp4). */
typedef struct {
  guint line;
  gchar *id;
  gchar *output;
  GPtrArray *fields; /* BatchField */
  gboolean invalid;  /* the manifest says something is wrong with it */
} BatchRow;

typedef struct {
  GPtrArray *rows;   /* BatchRow, in manifest order */
  GPtrArray *errors; /* gchar *: "line N: field F: what is wrong" */
} BatchManifest;

/* Reads @path: CSV when its name ends in ".csv" (or @csv), else JSON
 * Lines.  NULL and @error only when the file cannot be read; what is wrong
 * with rows is in ->errors (the rows that parse are kept). */
BatchManifest *batch_manifest_load (const gchar *path, gboolean csv,
                                    GError **error);
void batch_manifest_free (BatchManifest *manifest);

/* An empty row (the command line's defaults: line 0), freed with
 * batch_row_free(). */
BatchRow *batch_row_new (guint line);
void batch_row_free (BatchRow *row);
/* Adds field @name with the text @value, read like a CSV cell; FALSE if
 * the row has it already. */
gboolean batch_row_add_string (BatchRow *row, const gchar *name,
                               const gchar *value);

/* The value of field @name of @row, NULL if the row does not set it. */
const BatchField *batch_row_get (const BatchRow *row, const gchar *name);

/* A field as text: a string as it is, a number or boolean as written;
 * NULL for arrays, objects and null. */
gchar *batch_field_to_string (const BatchField *field);

/* The items of an array field: a JSON array's items as text, a CSV cell
 * split on ';' (blanks around items and empty items dropped), a single
 * value as one item.  NULL when an item is not a scalar. */
gchar **batch_field_to_strv (const BatchField *field);

G_END_DECLS

#endif /* __BATCH_MANIFEST_H__ */
