/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_URI_H__
#define __GST_APIXO_URI_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * apixo:// URIs, the way playbin, uridecodebin, gst-discoverer and GES
 * designate a generated clip:
 *
 *   apixo://MODEL?NAME=VALUE&NAME=VALUE...     a request
 *   apixo://task/TASK_ID?model=MODEL&...        an existing task (resumed
 *                                               or downloaded, never
 *                                               submitted again)
 *
 * NAME is a property name of the element (or an alias the element gives,
 * e.g. "image" for apixoanimate's image-uri); VALUE is percent-decoded
 * ('+' is a plus sign, not a space) and read the way gst-launch-1.0 reads
 * a property value; array properties (image-uris) take one parameter per
 * element.  The API key is never taken from a URI: a URI is written into
 * logs, playlists and project files.
 *
 * Parsing only tells whether a URI is ours and which model and task it
 * names; the parameters are checked when they are applied to an element,
 * with the error a property would give (GST_RESOURCE_ERROR_SETTINGS,
 * naming the property, the value and what is allowed), so that an element
 * can accept the URI and report the error when it starts.
 *
 * No state; any thread.
 */

/* One parameter as written in the URI: its name decoded, its value not
 * yet (decoding errors are reported with the property's name).  One
 * allocation, the strings after the struct: g_free() frees it. */
typedef struct {
  gchar *name;
  gchar *raw_value;
} GstApixoUriParam;

typedef struct {
  gchar *model;      /* the model id; NULL for a task URI without model= */
  gchar *task_id;    /* apixo://task/ID; NULL for a request */
  GPtrArray *params; /* GstApixoUriParam, in URI order (model= of a task
                      * URI taken out) */
} GstApixoUri;

/* A parameter name that is not the property's own (NULL-terminated
 * tables: { NULL, NULL } ends them). */
typedef struct {
  const gchar *uri_name;
  const gchar *property;
} GstApixoUriAlias;

/* How an element takes apixo:// URIs. */
typedef struct {
  /* properties owned by this type (or a type derived from it) are the
   * parameters a URI may set; the others (name, blocksize...) are not */
  GType own_type;
  /* the alias of a property in URIs, or NULL */
  const GstApixoUriAlias *aliases;
} GstApixoUriTarget;

#define GST_APIXO_URI_SCHEME "apixo"

/* @uri split into its model, task and parameters.  NULL and a
 * GST_URI_ERROR otherwise: UNSUPPORTED_PROTOCOL for another scheme,
 * BAD_URI for an apixo URI without a model or a task id. */
GstApixoUri *gst_apixo_uri_parse (const gchar *uri, GError **error);
void gst_apixo_uri_free (GstApixoUri *uri);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstApixoUri, gst_apixo_uri_free)

/* Sets @object's properties from @uri: "cache" TRUE first (a URI names a
 * clip: discovering it, then playing it, must not pay twice; cache=false
 * in the URI wins), "model" (when @object has that property) and
 * "task-id", then every parameter.  Under the same checks as the
 * properties: FALSE with a GST_RESOURCE_ERROR_SETTINGS @error and
 * *@property (a static string or a parameter name that lives as long as
 * @uri) naming the parameter otherwise (an unknown parameter, a value its
 * type does not take, a parameter given twice, api-key). */
gboolean gst_apixo_uri_apply (const GstApixoUri *uri, GObject *object,
                              const GstApixoUriTarget *target,
                              const gchar **property, GError **error);

/* The canonical URI of what @object's properties designate: @model (or
 * the task @task_id, with model=@model), then every parameter that is not
 * at its default (the property's, except cache: TRUE), in property-name
 * order, percent-encoded; NULL when there is neither model nor task.
 * Newly allocated.  A property set to its default is omitted like one
 * left unset: the same clip for the service, though another entry of the
 * result cache where an element sends an explicit default (prompt-extend
 * true, watermark false, provider auto, wan-2-2-animate's seed -1). */
gchar *gst_apixo_uri_canonical (GObject *object,
                                const GstApixoUriTarget *target,
                                const gchar *model, const gchar *task_id);

/* GstURIHandlerInterface's get_type and get_protocols of every element
 * that takes apixo:// URIs: a source of the "apixo" protocol. */
GstURIType gst_apixo_uri_handler_get_type (GType type);
const gchar *const *gst_apixo_uri_handler_get_protocols (GType type);

G_END_DECLS

#endif /* __GST_APIXO_URI_H__ */
