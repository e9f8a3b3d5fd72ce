/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Untrusted JSON: a nesting bound checked before json-glib sees the text,
 * and typed member reads; flat objects written through JsonBuilder.
 * No state, no locks.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixojson.h"

#include <gio/gio.h>
#include <string.h>

gboolean
gst_apixo_json_depth_ok (const gchar *data, gsize size)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < size; i++) {
    gchar c = data[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > GST_APIXO_JSON_MAX_DEPTH)
        return FALSE;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}

JsonNode *
gst_apixo_json_parse_object (const gchar *data, gsize size, GError **error)
{
  JsonParser *parser;
  JsonNode *root = NULL;

  if (!gst_apixo_json_depth_ok (data, size)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "JSON nested deeper than %d levels", GST_APIXO_JSON_MAX_DEPTH);
    return NULL;
  }
  parser = json_parser_new_immutable ();
  if (json_parser_load_from_data (parser, data, size, error))
    root = json_parser_steal_root (parser);
  g_object_unref (parser);
  if (root != NULL && !JSON_NODE_HOLDS_OBJECT (root)) {
    g_clear_pointer (&root, json_node_unref);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "JSON text is not an object");
  } else if (root == NULL && error != NULL && *error == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "empty JSON text");
  }
  return root;
}

/* The member if it is a value of @type. */
static JsonNode *
typed_member (JsonObject *obj, const gchar *name, GType type)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const gchar *
gst_apixo_json_get_string (JsonObject *obj, const gchar *name)
{
  JsonNode *node = typed_member (obj, name, G_TYPE_STRING);

  return node ? json_node_get_string (node) : NULL;
}

gint64
gst_apixo_json_get_int (JsonObject *obj, const gchar *name, gint64 fallback)
{
  JsonNode *node = typed_member (obj, name, G_TYPE_INT64);

  return node ? json_node_get_int (node) : fallback;
}

gboolean
gst_apixo_json_member_is (JsonObject *obj, const gchar *name, GType type)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node) ||
         typed_member (obj, name, type) != NULL;
}

JsonBuilder *
gst_apixo_json_object_begin (void)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  return builder;
}

void
gst_apixo_json_add_string (JsonBuilder *builder, const gchar *name,
                           const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

void
gst_apixo_json_add_int (JsonBuilder *builder, const gchar *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

gchar *
gst_apixo_json_object_end (JsonBuilder *builder, gboolean pretty, gsize *length)
{
  JsonNode *root;
  gchar *text;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, pretty);
  json_node_unref (root);
  g_object_unref (builder);
  *length = strlen (text);
  return text;
}
