/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_UTIL_H__
#define __SIM_UTIL_H__

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Largest request body the sim reads (API and control routes). */
#define SIM_MAX_BODY_BYTES (1024 * 1024)
/* Deepest JSON nesting accepted (json-glib's parser recurses). */
#define SIM_MAX_JSON_DEPTH 32

/* Errors of request parsing and validation: the HTTP status to answer with
 * is the error code (400, 404, 413, ...); the message names the field. */
#define SIM_REQUEST_ERROR (sim_request_error_quark ())
GQuark sim_request_error_quark (void);

/* @n_bytes random bytes from the kernel's CSPRNG, as lowercase hex. */
gchar *sim_random_hex (guint n_bytes);

/* Parses @data as JSON, refusing deep nesting first (SIM_REQUEST_ERROR 400
 * on any problem). */
JsonNode *sim_json_parse (const gchar *data, gsize length, GError **error);
gchar *sim_json_to_string (JsonNode *node);

/* {"code": @code, "message": @message, "data": @data} (@data transferred,
 * NULL means JSON null). */
JsonNode *sim_envelope_new (gint code, const gchar *message, JsonNode *data);

/* Sets status, Content-Type application/json and the serialised @node as
 * the response of @msg (the node is not consumed). */
void sim_message_set_json (SoupServerMessage *msg, guint status,
                           JsonNode *node);
/* A JSON envelope answer (@data transferred, may be NULL). */
void sim_message_set_envelope (SoupServerMessage *msg, guint http_status,
                               gint code, const gchar *message, JsonNode *data);
/* 400-style envelope with data {"error": message}. */
void sim_message_set_request_error (SoupServerMessage *msg,
                                    const GError *error);

/* Removes @path and everything below it (no symlink following). */
void sim_remove_tree (const gchar *path);

/* Unix time in milliseconds. */
gint64 sim_unix_ms (void);

G_END_DECLS

#endif /* __SIM_UTIL_H__ */
