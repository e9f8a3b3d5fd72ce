/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * apixo:// URIs: parsing, applying to an element's properties, the
 * canonical form.  No state of its own: an element's properties are read
 * and written through GObject (their own locks); any thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixouri.h"

#include <string.h>

#define TASK_HOST "task"
/* Kept as they are in canonical URIs (RFC 3986 allows them in a query):
 * file:// and http(s) URLs stay readable.  '+' is encoded: many readers
 * take it for a space. */
#define CANONICAL_KEEP ":/@,"
/* The URI default that is not the property's: a URI names a clip, and
 * discovering it then playing it must not pay twice. */
#define URI_CACHE_DEFAULT TRUE
/* Values quoted in messages are cut to this many characters. */
#define MAX_SHOWN_CHARS 200

/* ---- parsing ------------------------------------------------------------- */

void
gst_apixo_uri_free (GstApixoUri *uri)
{
  if (uri != NULL) {
    g_ptr_array_unref (uri->params);
    g_free (uri->task_id);
    g_free (uri->model);
    g_free (uri);
  }
}

/* One block: the strings live after the struct (freed with g_free()). */
static GstApixoUriParam *
param_new (const gchar *name, const gchar *raw_value)
{
  gsize name_size = strlen (name) + 1, value_size = strlen (raw_value) + 1;
  GstApixoUriParam *p =
      g_malloc (sizeof (GstApixoUriParam) + name_size + value_size);

  p->name = memcpy ((gchar *)(p + 1), name, name_size);
  p->raw_value = memcpy (p->name + name_size, raw_value, value_size);
  return p;
}

/* "NAME=VALUE" pieces of @query; a piece without '=' has an empty value
 * (refused by the property's type, with its name). */
static gboolean
split_params (const gchar *query, GPtrArray *params, GError **error)
{
  g_auto (GStrv) pieces = g_strsplit (query ? query : "", "&", -1);

  for (guint i = 0; pieces[i] != NULL; i++) {
    gchar *eq = strchr (pieces[i], '=');
    g_autofree gchar *name = NULL;

    if (*pieces[i] == '\0')
      continue;
    if (eq != NULL)
      *eq = '\0';
    name = g_uri_unescape_string (pieces[i], NULL);
    if (name == NULL || *name == '\0') {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                   "An apixo URI parameter has no valid name");
      return FALSE;
    }
    g_ptr_array_add (params, param_new (name, eq ? eq + 1 : ""));
  }
  return TRUE;
}

/* A task URI's model is its model= parameter (the first: a second one is
 * refused when the parameters are applied). */
static gboolean
take_task_model (GstApixoUri *uri, GError **error)
{
  for (guint i = 0; i < uri->params->len; i++) {
    GstApixoUriParam *p = g_ptr_array_index (uri->params, i);

    if (!g_str_equal (p->name, "model"))
      continue;
    uri->model = g_uri_unescape_string (p->raw_value, NULL);
    g_ptr_array_remove_index (uri->params, i);
    if (uri->model == NULL || *uri->model == '\0') {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                   "The model= of an apixo task URI is not valid");
      return FALSE;
    }
    return TRUE;
  }
  return TRUE;
}

/* @host and @path of a URI: a model, or "task" and "/TASK_ID". */
static gboolean
read_target (GstApixoUri *uri, const gchar *host, const gchar *path,
             GError **error)
{
  if (host == NULL || *host == '\0') {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                 "An apixo URI names a model or a task: apixo://MODEL?... or "
                 "apixo://task/TASK_ID?model=MODEL");
    return FALSE;
  }
  if (!g_str_equal (host, TASK_HOST)) {
    if (*path != '\0' && !g_str_equal (path, "/")) {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                   "An apixo URI of a model has no path: apixo://%s?...", host);
      return FALSE;
    }
    uri->model = g_strdup (host);
    return TRUE;
  }
  if (path[0] != '/' || path[1] == '\0' || strchr (path + 1, '/') != NULL) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                 "An apixo task URI is apixo://task/TASK_ID?model=MODEL");
    return FALSE;
  }
  uri->task_id = g_strdup (path + 1);
  return TRUE;
}

/* The query of @text, taken apart before GUri sees it: a value that does
 * not decode is the error of its parameter, not of the whole URI. */
static gchar *
cut_query (gchar *text)
{
  gchar *q = strchr (text, '?');
  gchar *query;

  if (q == NULL)
    return NULL;
  *q = '\0';
  query = g_strdup (q + 1);
  /* a fragment designates nothing here */
  q = strchr (query, '#');
  if (q != NULL)
    *q = '\0';
  return query;
}

GstApixoUri *
gst_apixo_uri_parse (const gchar *text, GError **error)
{
  const gchar *scheme = text ? g_uri_peek_scheme (text) : NULL;
  g_autofree gchar *host = NULL, *path = NULL;
  g_autofree gchar *base = NULL, *query = NULL;
  g_autoptr (GstApixoUri) uri = NULL;

  if (g_strcmp0 (scheme, GST_APIXO_URI_SCHEME) != 0) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
                 "Not an apixo:// URI");
    return NULL;
  }
  base = g_strdup (text);
  query = cut_query (base);
  uri = g_new0 (GstApixoUri, 1);
  uri->params = g_ptr_array_new_with_free_func (g_free);
  if (!g_uri_split (base, G_URI_FLAGS_NON_DNS, NULL, NULL, &host, NULL, &path,
                    NULL, NULL, NULL)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                 "Not a valid apixo URI: apixo://MODEL?... or "
                 "apixo://task/TASK_ID?model=MODEL");
    return NULL;
  }
  if (!read_target (uri, host, path, error) ||
      !split_params (query, uri->params, error) ||
      (uri->task_id != NULL && !take_task_model (uri, error)))
    return NULL;
  return g_steal_pointer (&uri);
}

/* ---- which properties a URI sets ----------------------------------------- */

/* The property a URI parameter @name sets (@to_property), or the URI name
 * of the property @name. */
static const gchar *
alias (const GstApixoUriTarget *target, const gchar *name, gboolean to_property)
{
  for (const GstApixoUriAlias *a = target->aliases; a && a->uri_name; a++)
    if (g_str_equal (to_property ? a->uri_name : a->property, name))
      return to_property ? a->property : a->uri_name;
  return name;
}

/* The element's own property named @name in a URI, or NULL. */
static GParamSpec *
find_own (GObject *object, const GstApixoUriTarget *target, const gchar *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object),
                                                    alias (target, name, TRUE));

  return pspec && g_type_is_a (pspec->owner_type, target->own_type) ? pspec
                                                                    : NULL;
}

/* The parts of the URI itself, and what a URI cannot carry: an object
 * (tls-database), a write-only secret (api-key), this machine's way out
 * (proxy: often $http_proxy, and it may hold a password). */
static gboolean
is_parameter (GParamSpec *pspec)
{
  return (pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE &&
         !G_IS_PARAM_SPEC_OBJECT (pspec) &&
         !g_str_equal (pspec->name, "model") &&
         !g_str_equal (pspec->name, "task-id") &&
         !g_str_equal (pspec->name, "proxy");
}

static gboolean
is_array (GParamSpec *pspec)
{
  return GST_IS_PARAM_SPEC_ARRAY_LIST (pspec);
}

/* ---- errors -------------------------------------------------------------- */

/* Every URI parameter @object takes, for messages. */
static gchar *
describe_parameters (GObject *object, const GstApixoUriTarget *target)
{
  guint n;
  GParamSpec **specs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    if (!g_type_is_a (specs[i]->owner_type, target->own_type) ||
        !is_parameter (specs[i]))
      continue;
    g_string_append_printf (s, "%s%s", s->len ? ", " : "",
                            alias (target, specs[i]->name, FALSE));
  }
  g_free (specs);
  return g_string_free (s, FALSE);
}

static void
refuse_unknown (GObject *object, const GstApixoUriTarget *target,
                const gchar *name, GError **error)
{
  g_autofree gchar *known = describe_parameters (object, target);

  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "apixo URI parameter '%s' is not a property of %s (allowed: "
               "%s)",
               name, G_OBJECT_TYPE_NAME (object), known);
}

/* Why the URI may not set @pspec (its own parts, a secret, an object), or
 * NULL when it may. */
static gchar *
part_refusal (GParamSpec *pspec)
{
  if (g_str_equal (pspec->name, "api-key"))
    return g_strdup (
        "api-key cannot be given in an apixo URI (URIs are written into "
        "logs, playlists and project files): set the APIXO_API_KEY "
        "environment variable, or the element's api-key property");
  if (g_str_equal (pspec->name, "proxy"))
    return g_strdup (
        "proxy cannot be given in an apixo URI (URIs are written into logs, "
        "playlists and project files, and a proxy URL may hold a password; "
        "the proxy is this machine's, not the clip's): set the http_proxy "
        "environment variable, or the element's proxy property from "
        "playbin's source-setup signal");
  if (g_str_equal (pspec->name, "model"))
    return g_strdup ("model cannot be a parameter of an apixo URI: the model "
                     "is its host (apixo://MODEL?...), or model= of a task "
                     "URI");
  if (g_str_equal (pspec->name, "task-id"))
    return g_strdup ("task-id cannot be a parameter of an apixo URI: a task "
                     "is apixo://task/TASK_ID?model=MODEL");
  if (!is_parameter (pspec))
    return g_strdup_printf (
        "%s cannot be given in an apixo URI (allowed: set the property on "
        "the element, e.g. from playbin's source-setup signal)",
        pspec->name);
  return NULL;
}

static gboolean
refuse_part (GParamSpec *pspec, GError **error)
{
  g_autofree gchar *why = part_refusal (pspec);

  if (why != NULL)
    g_set_error_literal (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                         why);
  return why != NULL;
}

/* The range of an integer property. */
static gchar *
describe_integer (GParamSpec *pspec)
{
  if (G_IS_PARAM_SPEC_INT (pspec))
    return g_strdup_printf ("an integer from %d to %d",
                            G_PARAM_SPEC_INT (pspec)->minimum,
                            G_PARAM_SPEC_INT (pspec)->maximum);
  if (G_IS_PARAM_SPEC_UINT (pspec))
    return g_strdup_printf ("an integer from %u to %u",
                            G_PARAM_SPEC_UINT (pspec)->minimum,
                            G_PARAM_SPEC_UINT (pspec)->maximum);
  if (G_IS_PARAM_SPEC_INT64 (pspec))
    return g_strdup_printf ("an integer from %" G_GINT64_FORMAT
                            " to %" G_GINT64_FORMAT,
                            G_PARAM_SPEC_INT64 (pspec)->minimum,
                            G_PARAM_SPEC_INT64 (pspec)->maximum);
  if (G_IS_PARAM_SPEC_UINT64 (pspec))
    return g_strdup_printf ("an integer from %" G_GUINT64_FORMAT
                            " to %" G_GUINT64_FORMAT,
                            G_PARAM_SPEC_UINT64 (pspec)->minimum,
                            G_PARAM_SPEC_UINT64 (pspec)->maximum);
  return g_strdup_printf ("a %s", g_type_name (pspec->value_type));
}

/* What a value of @pspec's type is written as. */
static gchar *
describe_type (GParamSpec *pspec)
{
  if (is_array (pspec))
    return g_strdup ("one parameter per element");
  if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    return g_strdup ("true or false");
  if (G_IS_PARAM_SPEC_ENUM (pspec)) {
    GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
    GString *s = g_string_new (NULL);

    for (guint i = 0; i < klass->n_values; i++)
      g_string_append_printf (s, "%s%s", i ? ", " : "",
                              klass->values[i].value_nick);
    return g_string_free (s, FALSE);
  }
  if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    return g_strdup ("a number");
  if (G_TYPE_FUNDAMENTAL (pspec->value_type) == G_TYPE_BOXED)
    return g_strdup ("a structure, e.g. \"fields,name=(int)3\"");
  return describe_integer (pspec);
}

static void
refuse_value (GParamSpec *pspec, const gchar *text, GError **error)
{
  g_autofree gchar *allowed = describe_type (pspec);
  g_autofree gchar *shown = g_utf8_substring (
      text, 0, MIN (g_utf8_strlen (text, -1), MAX_SHOWN_CHARS));

  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "%s '%s' in the apixo URI is not a valid value (allowed: %s)",
               pspec->name, shown, allowed);
}

/* ---- applying ------------------------------------------------------------ */

/* @text read as a value of @pspec, the way gst-launch-1.0 reads a
 * property (enums by nick or name, structures serialized...). */
static gboolean
value_from_text (GParamSpec *pspec, const gchar *text, GValue *value)
{
  g_value_init (value, pspec->value_type);
  if (G_VALUE_HOLDS_STRING (value)) {
    g_value_set_string (value, text);
    return TRUE;
  }
  if (!gst_value_deserialize_with_pspec (value, text, pspec))
    return FALSE;
  /* GLib would clamp a value out of range with a mere warning; lax
   * properties take anything (start() checks them, with their ranges) */
  return (pspec->flags & G_PARAM_LAX_VALIDATION) ||
         !g_param_value_validate (pspec, value);
}

/* The decoded value of @p: valid UTF-8 without NUL. */
static gchar *
decode_value (const GstApixoUriParam *p, GParamSpec *pspec, GError **error)
{
  gchar *text = g_uri_unescape_string (p->raw_value, NULL);

  if (text != NULL && g_utf8_validate (text, -1, NULL))
    return text;
  g_free (text);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "%s in the apixo URI is not a valid percent-encoded UTF-8 "
               "text (allowed: %%XX escapes of UTF-8 bytes, no %%00)",
               pspec->name);
  return NULL;
}

/* Sets @pspec from one parameter, or adds it to the array that @arrays
 * collects for an array property. */
static gboolean
apply_param (GObject *object, GParamSpec *pspec, const GstApixoUriParam *p,
             GHashTable *arrays, GError **error)
{
  g_autofree gchar *text = decode_value (p, pspec, error);
  GParamSpec *vspec = is_array (pspec)
                          ? GST_PARAM_SPEC_ARRAY_LIST (pspec)->element_spec
                          : pspec;
  GValue value = G_VALUE_INIT;

  if (text == NULL)
    return FALSE;
  if (!value_from_text (vspec, text, &value)) {
    g_value_unset (&value);
    refuse_value (pspec, text, error);
    return FALSE;
  }
  if (is_array (pspec)) {
    gst_value_array_append_and_take_value (g_hash_table_lookup (arrays, pspec),
                                           &value);
  } else {
    g_object_set_property (object, pspec->name, &value);
    g_value_unset (&value);
  }
  return TRUE;
}

/* Notes that the URI gives @pspec: an array collects its elements in
 * @arrays; any other property is refused a second time (TRUE). */
static gboolean
note_given (GParamSpec *pspec, GHashTable *seen, GHashTable *arrays,
            GError **error)
{
  GValue *array;

  if (is_array (pspec)) {
    if (!g_hash_table_contains (arrays, pspec)) {
      array = g_new0 (GValue, 1);
      g_value_init (array, GST_TYPE_ARRAY);
      g_hash_table_insert (arrays, pspec, array);
    }
    return FALSE;
  }
  if (!g_hash_table_add (seen, pspec)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s is given more than once in the apixo URI (allowed: "
                 "once; only array properties repeat)",
                 pspec->name);
    return TRUE;
  }
  return FALSE;
}

static void
free_array (gpointer data)
{
  g_value_unset (data);
  g_free (data);
}

static void
set_array (gpointer key, gpointer value, gpointer object)
{
  g_object_set_property (object, ((GParamSpec *)key)->name, value);
}

/* The parameters of @uri, checked and set in URI order (the first refusal
 * is the one reported); arrays set once, with all their elements. */
static gboolean
apply_params (const GstApixoUri *uri, GObject *object,
              const GstApixoUriTarget *target, const gchar **property,
              GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) arrays =
      g_hash_table_new_full (NULL, NULL, NULL, free_array);

  for (guint i = 0; i < uri->params->len; i++) {
    const GstApixoUriParam *p = g_ptr_array_index (uri->params, i);
    GParamSpec *pspec = find_own (object, target, p->name);

    *property = pspec ? pspec->name : p->name;
    if (pspec == NULL) {
      refuse_unknown (object, target, p->name, error);
      return FALSE;
    }
    if (refuse_part (pspec, error) || note_given (pspec, seen, arrays, error) ||
        !apply_param (object, pspec, p, arrays, error))
      return FALSE;
  }
  g_hash_table_foreach (arrays, set_array, object);
  *property = NULL;
  return TRUE;
}

gboolean
gst_apixo_uri_apply (const GstApixoUri *uri, GObject *object,
                     const GstApixoUriTarget *target, const gchar **property,
                     GError **error)
{
  if (uri->model == NULL) {
    *property = "model";
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "The apixo task URI of task %s does not say its model "
                 "(allowed: apixo://task/TASK_ID?model=MODEL)",
                 uri->task_id);
    return FALSE;
  }
  if (find_own (object, target, "cache") != NULL)
    g_object_set (object, "cache", URI_CACHE_DEFAULT, NULL);
  if (find_own (object, target, "model") != NULL)
    g_object_set (object, "model", uri->model, NULL);
  if (uri->task_id != NULL)
    g_object_set (object, "task-id", uri->task_id, NULL);
  return apply_params (uri, object, target, property, error);
}

/* ---- the canonical form -------------------------------------------------- */

static gboolean
is_uri_default (GParamSpec *pspec, const GValue *value)
{
  GValue def = G_VALUE_INIT;
  gboolean same;

  g_value_init (&def, pspec->value_type);
  g_param_value_set_default (pspec, &def);
  if (g_str_equal (pspec->name, "cache"))
    g_value_set_boolean (&def, URI_CACHE_DEFAULT);
  same = g_param_values_cmp (pspec, value, &def) == 0;
  g_value_unset (&def);
  return same;
}

/* A double the shortest way that reads back the same (0.05, not
 * 0.050000000000000003). */
static gchar *
double_text (gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof (buf), "%.15g", d);
  if (g_ascii_strtod (buf, NULL) != d)
    g_ascii_dtostr (buf, sizeof (buf), d);
  return g_strdup (buf);
}

static gchar *
value_text (const GValue *value)
{
  if (G_VALUE_HOLDS_STRING (value))
    return g_value_dup_string (value);
  if (G_VALUE_HOLDS_DOUBLE (value))
    return double_text (g_value_get_double (value));
  if (G_VALUE_HOLDS_ENUM (value)) {
    GEnumValue *e = g_enum_get_value (g_type_class_peek (G_VALUE_TYPE (value)),
                                      g_value_get_enum (value));
    return g_strdup (e ? e->value_nick : "");
  }
  return gst_value_serialize (value);
}

static void
append_param (GString *s, const gchar *name, const GValue *value)
{
  g_autofree gchar *text = value_text (value);

  if (text == NULL)
    return;
  g_string_append_c (s, strchr (s->str, '?') ? '&' : '?');
  g_string_append_uri_escaped (s, name, NULL, FALSE);
  g_string_append_c (s, '=');
  g_string_append_uri_escaped (s, text, CANONICAL_KEEP, FALSE);
}

static void
append_property (GString *s, GObject *object, const GstApixoUriTarget *target,
                 GParamSpec *pspec)
{
  const gchar *name = alias (target, pspec->name, FALSE);
  GValue value = G_VALUE_INIT;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  if (is_uri_default (pspec, &value)) {
    /* nothing: the default is what the URI says by saying nothing */
  } else if (is_array (pspec)) {
    for (guint i = 0; i < gst_value_array_get_size (&value); i++)
      append_param (s, name, gst_value_array_get_value (&value, i));
  } else {
    append_param (s, name, &value);
  }
  g_value_unset (&value);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(GParamSpec *const *)a)->name,
                 (*(GParamSpec *const *)b)->name);
}

gchar *
gst_apixo_uri_canonical (GObject *object, const GstApixoUriTarget *target,
                         const gchar *model, const gchar *task_id)
{
  GString *s;
  GParamSpec **specs;
  GValue model_value = G_VALUE_INIT;
  guint n;

  if (model == NULL && task_id == NULL)
    return NULL;
  s = g_string_new (GST_APIXO_URI_SCHEME "://");
  if (task_id != NULL) {
    g_string_append (s, TASK_HOST "/");
    g_string_append_uri_escaped (s, task_id, NULL, FALSE);
  } else {
    g_string_append_uri_escaped (s, model, NULL, FALSE);
  }
  if (task_id != NULL && model != NULL) {
    g_value_init (&model_value, G_TYPE_STRING);
    g_value_set_string (&model_value, model);
    append_param (s, "model", &model_value);
    g_value_unset (&model_value);
  }
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  qsort (specs, n, sizeof (GParamSpec *), compare_names);
  for (guint i = 0; i < n; i++)
    if (g_type_is_a (specs[i]->owner_type, target->own_type) &&
        is_parameter (specs[i]))
      append_property (s, object, target, specs[i]);
  g_free (specs);
  return g_string_free (s, FALSE);
}

/* ---- GstURIHandler ------------------------------------------------------- */

GstURIType
gst_apixo_uri_handler_get_type (GType type)
{
  return GST_URI_SRC;
}

const gchar *const *
gst_apixo_uri_handler_get_protocols (GType type)
{
  static const gchar *const protocols[] = { GST_APIXO_URI_SCHEME, NULL };

  return protocols;
}
