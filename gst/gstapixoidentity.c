/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The identity of a run: its canonical request and the keys made from it.
 * Plain functions on immutable input: no shared state, no lock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoidentity.h"

#include <json-glib/json-glib.h>
#include <string.h>

static JsonNode *canonical_node (JsonNode *node);

/* A copy of @object with its members in name order (json-glib keeps
 * insertion order, and the text must not depend on how it was built). */
static JsonNode *
canonical_object (JsonObject *object)
{
  JsonObject *sorted = json_object_new ();
  GList *names, *l;
  JsonNode *node;

  names =
      g_list_sort (json_object_get_members (object), (GCompareFunc)g_strcmp0);
  for (l = names; l != NULL; l = l->next)
    json_object_set_member (
        sorted, l->data,
        canonical_node (json_object_get_member (object, l->data)));
  g_list_free (names);
  node = json_node_init_object (json_node_alloc (), sorted);
  json_object_unref (sorted);
  return node;
}

static JsonNode *
canonical_node (JsonNode *node)
{
  JsonArray *array, *copy;
  JsonNode *result;
  guint i;

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return canonical_object (json_node_get_object (node));
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      copy = json_array_sized_new (json_array_get_length (array));
      for (i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (
            copy, canonical_node (json_array_get_element (array, i)));
      result = json_node_init_array (json_node_alloc (), copy);
      json_array_unref (copy);
      return result;
    default:
      return json_node_copy (node);
  }
}

static JsonObject *
inputs_object (GHashTable *input_digests)
{
  JsonObject *inputs = json_object_new ();
  GHashTableIter iter;
  gpointer uri, digest;

  if (input_digests != NULL) {
    g_hash_table_iter_init (&iter, input_digests);
    while (g_hash_table_iter_next (&iter, &uri, &digest))
      json_object_set_string_member (inputs, uri, digest);
  }
  return inputs;
}

/* {"base-url", "model", "body", "inputs"} in canonical form. */
static gchar *
canonical_request (const GstApixoRunConfig *config, GHashTable *input_digests)
{
  JsonNode *body = gst_apixo_request_spec_to_json (config->spec);
  JsonObject *root = json_object_new ();
  JsonNode *node, *canonical;
  gchar *text;

  /* how the answer comes back is not what is generated */
  json_object_remove_member (json_node_get_object (body), "request_type");
  json_object_remove_member (json_node_get_object (body), "callback_url");
  json_object_set_string_member (root, "base-url", config->settings.base_url);
  json_object_set_string_member (root, "model", config->spec->model);
  json_object_set_member (root, "body", body);
  json_object_set_object_member (root, "inputs", inputs_object (input_digests));
  node = json_node_init_object (json_node_alloc (), root);
  canonical = canonical_node (node);
  text = json_to_string (canonical, FALSE);
  json_node_unref (canonical);
  json_node_unref (node);
  json_object_unref (root);
  return text;
}

GstApixoIdentity *
gst_apixo_identity_new (const GstApixoRunConfig *config,
                        GHashTable *input_digests)
{
  GstApixoIdentity *identity = g_new0 (GstApixoIdentity, 1);
  const gchar *location = config->settings.save_location;
  gchar *absolute;
  GChecksum *sum;

  identity->request = canonical_request (config, input_digests);
  identity->cache_key =
      g_compute_checksum_for_string (G_CHECKSUM_SHA256, identity->request, -1);
  if (location == NULL) {
    identity->run_key = g_strdup (identity->cache_key);
    return identity;
  }
  /* the request, a NUL (never in JSON text), the location as an absolute
   * path ("clip.mp4" in two directories is two files) */
  absolute = g_canonicalize_filename (location, NULL);
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *)identity->request,
                     strlen (identity->request) + 1);
  g_checksum_update (sum, (const guchar *)absolute, strlen (absolute));
  g_free (absolute);
  identity->run_key = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return identity;
}

GstApixoIdentity *
gst_apixo_identity_copy (const GstApixoIdentity *identity)
{
  GstApixoIdentity *copy = g_new0 (GstApixoIdentity, 1);

  copy->request = g_strdup (identity->request);
  copy->cache_key = g_strdup (identity->cache_key);
  copy->run_key = g_strdup (identity->run_key);
  return copy;
}

void
gst_apixo_identity_free (GstApixoIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->request);
  g_free (identity->cache_key);
  g_free (identity->run_key);
  g_free (identity);
}

gboolean
gst_apixo_identity_equal (const GstApixoIdentity *a, const GstApixoIdentity *b)
{
  return a != NULL && b != NULL && g_str_equal (a->run_key, b->run_key);
}
