/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Small helpers shared by the service's files: randomness, bounded JSON
 * parsing, envelopes.  Runs on the main context only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-util.h"

#include <errno.h>
#include <sys/random.h>
#include <glib/gstdio.h>

GQuark
sim_request_error_quark (void)
{
  return g_quark_from_static_string ("sim-request-error-quark");
}

gchar *
sim_random_hex (guint n_bytes)
{
  guint8 buf[64];
  GString *out;
  gsize got = 0;

  g_return_val_if_fail (n_bytes <= sizeof (buf), NULL);

  while (got < n_bytes) {
    ssize_t r = getrandom (buf + got, n_bytes - got, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      g_error ("getrandom failed: %s", g_strerror (errno));
    }
    got += r;
  }

  out = g_string_sized_new (n_bytes * 2);
  for (guint i = 0; i < n_bytes; i++)
    g_string_append_printf (out, "%02x", buf[i]);
  return g_string_free (out, FALSE);
}

/* json-glib recurses per nesting level: a body of a million '[' would
 * overflow the stack, so count the depth (outside strings) first. */
static gboolean
json_depth_ok (const gchar *data, gsize length)
{
  gint depth = 0;
  gboolean in_string = FALSE, escaped = FALSE;

  for (gsize i = 0; i < length; i++) {
    gchar c = data[i];

    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > SIM_MAX_JSON_DEPTH)
        return FALSE;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return TRUE;
}

JsonNode *
sim_json_parse (const gchar *data, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) err = NULL;
  JsonNode *root;

  if (data == NULL || length == 0) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid JSON body: empty request body");
    return NULL;
  }
  if (length > G_MAXSSIZE || !json_depth_ok (data, length)) {
    g_set_error (error, SIM_REQUEST_ERROR, 400,
                 "Invalid JSON body: nested deeper than %d levels",
                 SIM_MAX_JSON_DEPTH);
    return NULL;
  }
  if (!g_utf8_validate (data, length, NULL)) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid JSON body: not valid UTF-8");
    return NULL;
  }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, &err)) {
    g_set_error (error, SIM_REQUEST_ERROR, 400, "Invalid JSON body: %s",
                 err->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL) {
    g_set_error_literal (error, SIM_REQUEST_ERROR, 400,
                         "Invalid JSON body: empty document");
    return NULL;
  }
  return json_node_copy (root);
}

gchar *
sim_json_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

JsonNode *
sim_envelope_new (gint code, const gchar *message, JsonNode *data)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (obj, "code", code);
  json_object_set_string_member (obj, "message", message);
  json_object_set_member (obj, "data",
                          data ? data : json_node_new (JSON_NODE_NULL));
  json_node_take_object (node, obj);
  return node;
}

void
sim_message_set_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  gchar *text = sim_json_to_string (node);

  soup_server_message_set_status (msg, status, NULL);
  /* set_response() appends: replace any earlier answer */
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

void
sim_message_set_envelope (SoupServerMessage *msg, guint http_status, gint code,
                          const gchar *message, JsonNode *data)
{
  g_autoptr (JsonNode) env = sim_envelope_new (code, message, data);

  sim_message_set_json (msg, http_status, env);
}

void
sim_message_set_request_error (SoupServerMessage *msg, const GError *error)
{
  guint status = 400;
  JsonObject *obj;
  JsonNode *data;

  if (error->domain == SIM_REQUEST_ERROR && error->code >= 400 &&
      error->code < 600)
    status = error->code;

  obj = json_object_new ();
  json_object_set_string_member (obj, "error", error->message);
  data = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (data, obj);
  sim_message_set_envelope (msg, status, status, error->message, data);
}

void
sim_remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (path == NULL)
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR) ||
      g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_unlink (path);
    return;
  }
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      sim_remove_tree (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

gint64
sim_unix_ms (void)
{
  return g_get_real_time () / 1000;
}
