/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_JSON_H__
#define __GST_APIXO_JSON_H__

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Reading untrusted JSON (the service's answers, records on disk that any
 * process may have written or left half-written): parsed only when its
 * nesting is bounded, members read only when they have the expected type.
 * Writing flat objects (records) with json-glib.
 * No state; any thread.
 */

/* Deepest nesting of arrays/objects accepted: json-glib parses
 * recursively, so a text of "[[[[..." would exhaust the stack.  The
 * service's documented answers nest 3 levels, our records 1. */
#define GST_APIXO_JSON_MAX_DEPTH 32

/* TRUE if @data (JSON text, @size bytes) nests arrays/objects at most
 * GST_APIXO_JSON_MAX_DEPTH deep (brackets inside strings do not count). */
gboolean gst_apixo_json_depth_ok (const gchar *data, gsize size);

/* The root of @data (@size bytes) if it parses, nests within the bound and
 * is an object; NULL and @error (G_IO_ERROR_INVALID_DATA or the parser's
 * error) otherwise. */
JsonNode *gst_apixo_json_parse_object (const gchar *data, gsize size,
                                       GError **error);

/* Member @name of @obj (NULL: none) if it is a string, else NULL. */
const gchar *gst_apixo_json_get_string (JsonObject *obj, const gchar *name);

/* Member @name of @obj (NULL: none) if it is an integer, else @fallback. */
gint64 gst_apixo_json_get_int (JsonObject *obj, const gchar *name,
                               gint64 fallback);

/* TRUE if member @name of @obj is absent, null, or a value of @type
 * (G_TYPE_STRING, G_TYPE_INT64, G_TYPE_BOOLEAN...): what an optional
 * member must be for the object to be accepted. */
gboolean gst_apixo_json_member_is (JsonObject *obj, const gchar *name,
                                   GType type);

/* A new builder inside a new object: add members with the functions below
 * (or json-glib's), then gst_apixo_json_object_end(). */
JsonBuilder *gst_apixo_json_object_begin (void);

/* Member @name = @value; nothing when @value is NULL. */
void gst_apixo_json_add_string (JsonBuilder *builder, const gchar *name,
                                const gchar *value);
void gst_apixo_json_add_int (JsonBuilder *builder, const gchar *name,
                             gint64 value);

/* Ends the object of @builder (consumed) and returns its text (@pretty:
 * indented, for files people read), *@length its length. */
gchar *gst_apixo_json_object_end (JsonBuilder *builder, gboolean pretty,
                                  gsize *length);

G_END_DECLS

#endif /* __GST_APIXO_JSON_H__ */
