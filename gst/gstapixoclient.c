/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * APIXO API client.
 *
 * Thread safety notes
 * -------------------
 * A GstApixoClient is immutable after gst_apixo_client_new(), and so is
 * the run config it shares (key, model, HTTP settings: read without a
 * lock), but for submission, which only the worker thread touches
 * (submit_async(), submission_written()); requests run on the worker
 * thread and keep their own state in their GTask.  No locks.
 * The API key is only placed in the Authorization header; it is never
 * logged, and any text from the service is passed through
 * gst_apixo_redact() before it can reach a message.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoclient.h"
#include "gstapixodebug.h"
#include "gstapixoerror.h"
#include "gstapixojson.h"
#include "gstapixonetpolicy.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_client_debug);
#define GST_CAT_DEFAULT apixo_client_debug

#define MAX_TASK_ID 256
#define MAX_STATE 64
#define MAX_FAIL_CODE 128
#define MAX_TEXT 1024
#define MAX_URI 8192
#define MAX_RESULT_URIS 16

/* Everything but the base URL (normalised) points into the run config,
 * which the client holds a reference to. */
struct _GstApixoClient {
  GstApixoRunConfig *config;
  gchar *base_url; /* without trailing '/' */
  const gchar *api_key;
  const gchar *model;
  const GstApixoHttpSettings *http;
  SoupMessage *submission; /* the last one's (worker thread only) */
};

/* What a request is for. */
typedef enum {
  CALL_STATUS,
  CALL_SUBMIT,
  CALL_BALANCE,
} CallKind;

typedef struct {
  GstApixoClient *client;
  CallKind kind;
  SoupMessage *msg;
  gchar *task_id; /* status requests */
  GstApixoApiError err;
} ApiCall;

/* The request, in messages: "... while %s". */
static const gchar *
call_what (CallKind kind)
{
  switch (kind) {
    case CALL_SUBMIT:
      return "submitting the task";
    case CALL_BALANCE:
      return "reading the balance";
    default:
      return "checking the task";
  }
}

static void
client_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_client_debug, "apixoclient", 0,
                                      "APIXO API client");
}

/* ---- small helpers ------------------------------------------------------- */

void
gst_apixo_api_error_clear (GstApixoApiError *e)
{
  g_clear_error (&e->error);
  memset (e, 0, sizeof (*e));
  e->retry_after = -1;
}

/* Walks @node (a copy), replacing every http(s) URL string. */
static void
redact_urls (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObjectIter iter;
    JsonNode *member;

    json_object_iter_init (&iter, json_node_get_object (node));
    while (json_object_iter_next (&iter, NULL, &member))
      redact_urls (member);
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      redact_urls (json_array_get_element (array, i));
  } else if (JSON_NODE_HOLDS_VALUE (node) &&
             json_node_get_value_type (node) == G_TYPE_STRING) {
    const gchar *text = json_node_get_string (node);

    if (g_str_has_prefix (text, "http://") ||
        g_str_has_prefix (text, "https://")) {
      gchar *shown = gst_apixo_redact_url_secrets (text);

      json_node_set_string (node, shown);
      g_free (shown);
    }
  }
}

/* The request body @json as logged: URLs (callback_url, inputs) cut to
 * their host, as they may carry tokens or signatures.  (Parsed again: a
 * copied JsonNode would share its objects with the body.) */
static gchar *
body_for_log (const gchar *json)
{
  JsonParser *parser = json_parser_new ();
  gchar *text = NULL;

  if (json_parser_load_from_data (parser, json, -1, NULL)) {
    JsonNode *root = json_parser_get_root (parser);

    redact_urls (root);
    text = json_to_string (root, FALSE);
  }
  g_object_unref (parser);
  return text;
}

/* Valid UTF-8, no control characters, at most @max bytes; redacted first,
 * so that a cut never leaves part of the key behind. */
static gchar *
client_sanitize (GstApixoClient *client, const gchar *text, gsize max)
{
  gchar *valid, *keyless, *clean, *p;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  keyless = gst_apixo_redact (valid, client->api_key);
  clean = gst_apixo_redact_url_secrets (keyless);
  g_free (keyless);
  g_free (valid);
  for (p = clean; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  if (strlen (clean) > max) {
    gchar *end = g_utf8_find_prev_char (clean, clean + max + 1);
    *(end ? end : clean + max) = '\0';
  }
  return clean;
}

gboolean
gst_apixo_task_id_is_valid (const gchar *task_id)
{
  const gchar *p;

  if (task_id == NULL || *task_id == '\0' || strlen (task_id) > MAX_TASK_ID)
    return FALSE;
  for (p = task_id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-.:", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
uri_is_http (const gchar *uri)
{
  GUri *parsed;
  gboolean ok;

  /* Result URLs come from the network: an http(s) URL with a host, no
   * white space, bounded. */
  if (uri == NULL || strlen (uri) > MAX_URI || strpbrk (uri, " \t\r\n"))
    return FALSE;
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  ok = parsed != NULL &&
       (g_strcmp0 (g_uri_get_scheme (parsed), "http") == 0 ||
        g_strcmp0 (g_uri_get_scheme (parsed), "https") == 0) &&
       g_uri_get_host (parsed) != NULL && *g_uri_get_host (parsed) != '\0';
  g_clear_pointer (&parsed, g_uri_unref);
  return ok;
}

GstApixoTaskStatus *
gst_apixo_task_status_copy (const GstApixoTaskStatus *s)
{
  GstApixoTaskStatus *copy = g_new0 (GstApixoTaskStatus, 1);

  copy->task_id = g_strdup (s->task_id);
  copy->state = g_strdup (s->state);
  copy->result_uris = g_strdupv (s->result_uris);
  copy->fail_code = g_strdup (s->fail_code);
  copy->fail_msg = g_strdup (s->fail_msg);
  copy->create_time = s->create_time;
  copy->complete_time = s->complete_time;
  copy->cost_time = s->cost_time;
  return copy;
}

void
gst_apixo_task_status_free (GstApixoTaskStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->task_id);
  g_free (status->state);
  g_strfreev (status->result_uris);
  g_free (status->fail_code);
  g_free (status->fail_msg);
  g_free (status);
}

/* ---- client -------------------------------------------------------------- */

GstApixoClient *
gst_apixo_client_new (GstApixoRunConfig *config)
{
  GstApixoClient *client = g_new0 (GstApixoClient, 1);
  gsize len;

  client_init_debug ();
  client->config = gst_apixo_run_config_ref (config);
  client->base_url = g_strdup (config->settings.base_url);
  len = strlen (client->base_url);
  while (len > 0 && client->base_url[len - 1] == '/')
    client->base_url[--len] = '\0';
  client->api_key = config->api_key;
  client->model = config->spec->model;
  client->http = &config->settings.http;
  return client;
}

void
gst_apixo_client_free (GstApixoClient *client)
{
  if (client == NULL)
    return;
  g_free (client->base_url);
  g_clear_object (&client->submission);
  gst_apixo_run_config_unref (client->config);
  g_free (client);
}

const gchar *
gst_apixo_client_get_model (GstApixoClient *client)
{
  return client->model;
}

/* ---- answer classification ---------------------------------------------- */

static void
api_error_set (GstApixoApiError *err, GstResourceError code, gboolean transient,
               gboolean not_processed, gchar *message)
{
  g_clear_error (&err->error);
  err->error = g_error_new_literal (GST_RESOURCE_ERROR, code, message);
  err->transient = transient;
  err->not_processed = not_processed;
  g_free (message);
}

static gboolean
message_is_about_balance (const gchar *message)
{
  gchar *lower;
  gboolean ret;

  if (message == NULL)
    return FALSE;
  lower = g_ascii_strdown (message, -1);
  ret = strstr (lower, "insufficient") != NULL &&
        (strstr (lower, "credit") != NULL ||
         strstr (lower, "balance") != NULL || strstr (lower, "quota") != NULL);
  g_free (lower);
  return ret;
}

/* What a 404 means for this request. */
static gchar *
not_found_message (GstApixoClient *client, CallKind kind, const gchar *msg)
{
  switch (kind) {
    case CALL_SUBMIT:
      return g_strdup_printf ("The service does not know model '%s' (HTTP "
                              "404: %s)",
                              client->model, msg);
    case CALL_BALANCE:
      return g_strdup_printf ("The service has no balance endpoint at "
                              "base-url (HTTP 404: %s)",
                              msg);
    default:
      return g_strdup_printf ("The service does not know this task (HTTP "
                              "404: %s)",
                              msg);
  }
}

/* Fills @err for an error answer: @code is the HTTP status, or the
 * envelope's code when the HTTP status was 200. */
static void
classify_error_answer (GstApixoClient *client, gint code,
                       const gchar *service_msg, CallKind kind,
                       GstApixoApiError *err)
{
  const gchar *what = call_what (kind);
  const gchar *msg = service_msg ? service_msg : "no message";

  if (code == 402 || (code == 400 && message_is_about_balance (service_msg))) {
    api_error_set (
        err, GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE,
        g_strdup_printf ("Insufficient APIXO balance (%s): add balance to the "
                         "account of this API key, or use another key",
                         msg));
    err->insufficient_balance = TRUE;
    return;
  }

  if (code >= 300 && code < 400) {
    api_error_set (
        err, GST_RESOURCE_ERROR_FAILED, FALSE, FALSE,
        g_strdup_printf ("The service redirected the request while %s (HTTP "
                         "%d): API requests are not followed elsewhere, so "
                         "the API key is not sent to another host; check "
                         "base-url (and any proxy in between)",
                         what, code));
    return;
  }

  switch (code) {
    case 400:
      api_error_set (
          err, GST_RESOURCE_ERROR_SETTINGS, FALSE, TRUE,
          g_strdup_printf ("The service rejected the request for model %s: %s",
                           client->model, msg));
      break;
    case 401:
      api_error_set (
          err, GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE,
          g_strdup_printf (
              "The API key was refused (HTTP 401: %s): check the "
              "api-key property or the APIXO_API_KEY environment variable",
              msg));
      break;
    case 403:
      api_error_set (
          err, GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE,
          g_strdup_printf ("Access denied for model %s (HTTP 403: %s): the key "
                           "may lack permission for this model",
                           client->model, msg));
      break;
    case 404:
      api_error_set (err, GST_RESOURCE_ERROR_NOT_FOUND, FALSE, TRUE,
                     not_found_message (client, kind, msg));
      break;
    case 407:
      /* From a proxy on the way, which did not pass the request on. */
      api_error_set (
          err, GST_RESOURCE_ERROR_NOT_AUTHORIZED, FALSE, TRUE,
          g_strdup_printf ("The proxy refused the request while %s: it "
                           "wants credentials, or refused those given (HTTP "
                           "407 Proxy Authentication Required); give them in "
                           "the proxy property or $http_proxy as "
                           "http://user:password@host:port",
                           what));
      err->reason = GST_APIXO_REASON_NETWORK;
      break;
    case 429:
      api_error_set (
          err, GST_RESOURCE_ERROR_BUSY, TRUE, TRUE,
          g_strdup_printf ("Rate or concurrency limit reached while %s "
                           "(HTTP 429: %s)",
                           what, msg));
      break;
    case 503:
      api_error_set (
          err, GST_RESOURCE_ERROR_BUSY, TRUE, TRUE,
          g_strdup_printf ("Model %s is temporarily unavailable (HTTP 503: %s)",
                           client->model, msg));
      break;
    case 500:
    case 502:
    case 504:
      api_error_set (err, GST_RESOURCE_ERROR_FAILED, TRUE, FALSE,
                     g_strdup_printf ("Service error while %s (HTTP %d: %s)",
                                      what, code, msg));
      break;
    default:
      api_error_set (
          err, GST_RESOURCE_ERROR_FAILED, FALSE, FALSE,
          g_strdup_printf ("Unexpected answer while %s (code %d: %s)", what,
                           code, msg));
      break;
  }
}

static void
malformed_answer (GstApixoClient *client, CallKind kind, const gchar *why,
                  GstApixoApiError *err)
{
  /* A garbled answer to a status request is retried; to a submit it means
   * the outcome is unknown (the task may exist): never resent. */
  api_error_set (err, GST_RESOURCE_ERROR_READ, TRUE, FALSE,
                 g_strdup_printf ("Malformed answer from the service while "
                                  "%s: %s",
                                  call_what (kind), why));
}

/* The service echoed the API key in @what: refused whatever the state (the
 * key would go back in every status request's query, or to a result
 * host), never retried, and never repeated in the message. */
static void
secret_echoed (GstApixoClient *client, CallKind kind, const gchar *what,
               GstApixoApiError *err)
{
  gchar *why = g_strdup_printf ("%s holds the API key; refused", what);

  malformed_answer (client, kind, why, err);
  g_free (why);
  err->transient = FALSE;
  err->reason = GST_APIXO_REASON_MALFORMED;
}

static void
append_detail (GstApixoClient *client, gchar **message, const gchar *detail)
{
  gchar *clean, *both;

  if (detail == NULL)
    return;
  clean = client_sanitize (client, detail, MAX_TEXT);
  /* The service often puts the same text in both places: say it once. */
  if (*message != NULL && strstr (*message, clean) != NULL) {
    g_free (clean);
    return;
  }
  both = g_strdup_printf ("%s: %s", *message ? *message : "error", clean);
  g_free (clean);
  g_free (*message);
  *message = both;
}

/* Parses the envelope.  Returns its data member (borrowed from *root) when
 * the answer is a success, else NULL with @err set. */
static JsonNode *
parse_envelope (GstApixoClient *client, guint status, GBytes *body,
                CallKind kind, JsonNode **root, GstApixoApiError *err)
{
  JsonParser *parser = json_parser_new_immutable ();
  const gchar *data;
  gsize size;
  JsonObject *envelope = NULL;
  JsonNode *data_node;
  gint64 code = 0;
  gchar *message = NULL;
  GError *error = NULL;

  *root = NULL;
  err->http_status = status;
  data = body ? g_bytes_get_data (body, &size) : NULL;
  if (data != NULL && size > 0 && gst_apixo_json_depth_ok (data, size) &&
      json_parser_load_from_data (parser, data, size, &error)) {
    *root = json_parser_steal_root (parser);
    if (*root != NULL && JSON_NODE_HOLDS_OBJECT (*root))
      envelope = json_node_get_object (*root);
  }
  g_clear_error (&error);
  g_object_unref (parser);

  if (envelope != NULL) {
    code = gst_apixo_json_get_int (envelope, "code", 0);
    message = client_sanitize (
        client, gst_apixo_json_get_string (envelope, "message"), MAX_TEXT);
    /* 400s may carry details: "data": {"error": "..."} */
    data_node = json_object_get_member (envelope, "data");
    if (code != 200 && data_node != NULL && JSON_NODE_HOLDS_OBJECT (data_node))
      append_detail (client, &message,
                     gst_apixo_json_get_string (
                         json_node_get_object (data_node), "error"));
  }
  err->api_code = (gint)CLAMP (code, G_MININT, G_MAXINT);

  if (status != SOUP_STATUS_OK) {
    classify_error_answer (client, (gint)status, message, kind, err);
  } else if (envelope == NULL) {
    malformed_answer (client, kind, "not a JSON envelope", err);
  } else if (code != 200) {
    if (code == 0)
      malformed_answer (client, kind, "no code in the envelope", err);
    else
      classify_error_answer (client, (gint)code, message, kind, err);
  } else if ((data_node = json_object_get_member (envelope, "data")) == NULL) {
    malformed_answer (client, kind, "no data in the envelope", err);
  } else {
    g_free (message);
    return data_node;
  }
  g_free (message);
  return NULL;
}

gchar *
gst_apixo_client_parse_submit (GstApixoClient *client, guint status,
                               GBytes *body, GstApixoApiError *err)
{
  JsonNode *root, *data;
  const gchar *task_id;
  gchar *ret = NULL;

  data = parse_envelope (client, status, body, CALL_SUBMIT, &root, err);
  if (data != NULL) {
    task_id =
        JSON_NODE_HOLDS_OBJECT (data)
            ? gst_apixo_json_get_string (json_node_get_object (data), "taskId")
            : NULL;
    if (gst_apixo_net_holds_secret (task_id, client->api_key))
      secret_echoed (client, CALL_SUBMIT, "the task id", err);
    else if (gst_apixo_task_id_is_valid (task_id))
      ret = g_strdup (task_id);
    else
      malformed_answer (client, CALL_SUBMIT, "no valid data.taskId", err);
  }
  if (root != NULL)
    json_node_unref (root);
  return ret;
}

gboolean
gst_apixo_client_parse_balance (GstApixoClient *client, guint status,
                                GBytes *body, gdouble *usd,
                                GstApixoApiError *err)
{
  JsonNode *root, *data;
  GType type;
  gboolean ok = FALSE;

  data = parse_envelope (client, status, body, CALL_BALANCE, &root, err);
  if (data != NULL) {
    type = JSON_NODE_HOLDS_VALUE (data) ? json_node_get_value_type (data)
                                        : G_TYPE_INVALID;
    if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
      *usd = json_node_get_double (data);
    /* NaN fails the comparison too */
    ok = (type == G_TYPE_DOUBLE || type == G_TYPE_INT64) && *usd >= 0 &&
         *usd <= G_MAXDOUBLE;
    if (!ok)
      malformed_answer (client, CALL_BALANCE,
                        "data is not a number of USD >= 0", err);
  }
  if (root != NULL)
    json_node_unref (root);
  return ok;
}

/* resultJson is a JSON string holding {"resultUrls": [...]}. */
static gchar **
parse_result_json (const gchar *result_json)
{
  JsonParser *parser;
  JsonNode *root;
  JsonArray *urls;
  GPtrArray *out;
  guint i;

  if (result_json == NULL || strlen (result_json) > MAX_URI * MAX_RESULT_URIS ||
      !gst_apixo_json_depth_ok (result_json, strlen (result_json)))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, result_json, -1, NULL)) {
    g_object_unref (parser);
    return NULL;
  }
  root = json_parser_get_root (parser);
  urls = NULL;
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonNode *member =
        json_object_get_member (json_node_get_object (root), "resultUrls");
    if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
      urls = json_node_get_array (member);
  }
  out = g_ptr_array_new ();
  for (i = 0; urls != NULL && i < json_array_get_length (urls) &&
              out->len < MAX_RESULT_URIS;
       i++) {
    JsonNode *node = json_array_get_element (urls, i);
    const gchar *uri = (JSON_NODE_HOLDS_VALUE (node) &&
                        json_node_get_value_type (node) == G_TYPE_STRING)
                           ? json_node_get_string (node)
                           : NULL;
    if (uri_is_http (uri))
      g_ptr_array_add (out, g_strdup (uri));
  }
  g_object_unref (parser);
  if (out->len == 0) {
    g_ptr_array_free (out, TRUE);
    return NULL;
  }
  g_ptr_array_add (out, NULL);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

static gboolean
uris_hold_secret (gchar **uris, const gchar *secret)
{
  for (; *uris != NULL; uris++)
    if (gst_apixo_net_holds_secret (*uris, secret))
      return TRUE;
  return FALSE;
}

GstApixoTaskStatus *
gst_apixo_client_parse_status (GstApixoClient *client, const gchar *task_id,
                               guint status, GBytes *body,
                               GstApixoApiError *err)
{
  JsonNode *root, *data;
  JsonObject *obj;
  GstApixoTaskStatus *st = NULL;
  const gchar *state, *id;

  data = parse_envelope (client, status, body, CALL_STATUS, &root, err);
  if (data == NULL)
    goto done;
  if (!JSON_NODE_HOLDS_OBJECT (data)) {
    malformed_answer (client, CALL_STATUS, "data is not an object", err);
    goto done;
  }
  obj = json_node_get_object (data);
  id = gst_apixo_json_get_string (obj, "taskId");
  state = gst_apixo_json_get_string (obj, "state");
  if (state == NULL || *state == '\0') {
    malformed_answer (client, CALL_STATUS, "no state", err);
    goto done;
  }
  if (id != NULL && g_strcmp0 (id, task_id) != 0) {
    malformed_answer (client, CALL_STATUS, "the answer is about another task",
                      err);
    goto done;
  }

  st = g_new0 (GstApixoTaskStatus, 1);
  st->task_id = g_strdup (task_id);
  st->state = client_sanitize (client, state, MAX_STATE);
  st->create_time = gst_apixo_json_get_int (obj, "createTime", -1);
  st->complete_time = gst_apixo_json_get_int (obj, "completeTime", -1);
  st->cost_time = gst_apixo_json_get_int (obj, "costTime", -1);
  if (g_str_equal (st->state, "success")) {
    st->result_uris =
        parse_result_json (gst_apixo_json_get_string (obj, "resultJson"));
    if (st->result_uris == NULL) {
      api_error_set (
          err, GST_RESOURCE_ERROR_FAILED, FALSE, FALSE,
          g_strdup ("The service reported success but gave no valid result "
                    "URL (resultJson)"));
      g_clear_pointer (&st, gst_apixo_task_status_free);
    } else if (uris_hold_secret (st->result_uris, client->api_key)) {
      /* fetching it would hand the key to the result host */
      secret_echoed (client, CALL_STATUS, "a result URL", err);
      g_clear_pointer (&st, gst_apixo_task_status_free);
    }
  } else if (g_str_equal (st->state, "failed")) {
    st->fail_code = client_sanitize (
        client, gst_apixo_json_get_string (obj, "failCode"), MAX_FAIL_CODE);
    st->fail_msg = client_sanitize (
        client, gst_apixo_json_get_string (obj, "failMsg"), MAX_TEXT);
  }

done:
  if (root != NULL)
    json_node_unref (root);
  return st;
}

/* ---- requests ------------------------------------------------------------ */

static void
api_call_free (ApiCall *call)
{
  g_clear_object (&call->msg);
  g_free (call->task_id);
  gst_apixo_api_error_clear (&call->err);
  g_free (call);
}

static SoupMessage *
client_new_message (GstApixoClient *client, const gchar *method,
                    const gchar *uri, GError **error)
{
  SoupMessage *msg =
      gst_apixo_http_new_message (method, uri, client->http, error);
  gchar *auth;

  if (msg == NULL)
    return NULL;
  gst_apixo_http_add_extra_headers (msg, client->http);
  /* Never followed: libsoup 3.2 would resend the Authorization header to
   * whatever host a redirect names. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  auth = g_strconcat ("Bearer ", client->api_key, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", auth);
  gst_apixo_secret_clear (&auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", "application/json");
  return msg;
}

static void
api_call_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  ApiCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *body;

  body = gst_apixo_http_send_bounded_finish (SOUP_SESSION (source), result,
                                             &error);
  if (body == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
    call->err.error = gst_apixo_http_error_to_gst (
        error, SOUP_SESSION (source), call->msg, call_what (call->kind));
    call->err.transient = gst_apixo_http_error_is_transient (error);
    call->err.not_processed = gst_apixo_http_error_is_before_send (error);
    GST_DEBUG ("%s request failed while %s: %s (transient %d, not processed "
               "%d)",
               call->client->model, call_what (call->kind), error->message,
               call->err.transient, call->err.not_processed);
    g_clear_error (&error);
    g_task_return_pointer (task, NULL, NULL);
    g_object_unref (task);
    return;
  }

  call->err.retry_after = gst_apixo_http_retry_after (call->msg);
  GST_LOG ("%s answer: HTTP %u, %" G_GSIZE_FORMAT " bytes", call->client->model,
           soup_message_get_status (call->msg), g_bytes_get_size (body));
  g_task_return_pointer (task, body, (GDestroyNotify)g_bytes_unref);
  g_object_unref (task);
}

static void
client_send (GstApixoClient *client, GstApixoWorker *worker, ApiCall *call,
             GCancellable *cancellable, GAsyncReadyCallback callback,
             gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_task_data (task, call, (GDestroyNotify)api_call_free);
  gst_apixo_http_send_bounded_async (
      gst_apixo_http_get_session (worker, client->http), call->msg,
      GST_APIXO_CLIENT_MAX_ANSWER, client->http->timeout, cancellable,
      api_call_sent, task);
}

/* Returns the body, or NULL with @err filled in (transport failure or
 * cancellation). */
static GBytes *
client_finish (GAsyncResult *result, guint *status, GstApixoApiError *err)
{
  ApiCall *call = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  GBytes *body;

  gst_apixo_api_error_clear (err);
  body = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL) {
    /* cancelled */
    err->error = error;
    return NULL;
  }
  if (body == NULL) {
    *err = call->err;
    memset (&call->err, 0, sizeof (call->err));
    return NULL;
  }
  *status = soup_message_get_status (call->msg);
  err->retry_after = call->err.retry_after;
  return body;
}

static void
client_fail_early (GstApixoClient *client, GError *error,
                   GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  ApiCall *call = g_new0 (ApiCall, 1);

  call->err.error =
      g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "Invalid base-url: %s", error->message);
  call->err.not_processed = TRUE;
  g_error_free (error);
  g_task_set_task_data (task, call, (GDestroyNotify)api_call_free);
  g_task_return_pointer (task, NULL, NULL);
  g_object_unref (task);
}

/* A call of @kind with its message to @uri (taken); NULL when @uri is not
 * valid: @callback gets the error. */
static ApiCall *
client_new_call (GstApixoClient *client, CallKind kind, const gchar *method,
                 gchar *uri, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  ApiCall *call = g_new0 (ApiCall, 1);
  GError *error = NULL;

  call->client = client;
  call->kind = kind;
  call->msg = client_new_message (client, method, uri, &error);
  g_free (uri);
  if (call->msg != NULL)
    return call;
  api_call_free (call);
  client_fail_early (client, error, cancellable, callback, user_data);
  return NULL;
}

static void
body_bytes_release (gpointer data, GClosure *closure)
{
  g_bytes_unref (data);
}

/* Worker.  libsoup 3.2 sends a restarted request with an empty body.  The
 * proxy's credentials restart a submission that never reached the
 * service: after the proxy's own 407 (it did not pass the request on), or
 * before anything was written (a tunnel's CONNECT got the 407).  Those
 * restarts get the body again; any other resend is libsoup's, and must not
 * carry it (the first may have been received). */
static void
body_again_for_proxy (SoupMessage *msg, gpointer data)
{
  if (soup_message_get_status (msg) == SOUP_STATUS_PROXY_UNAUTHORIZED ||
      !gst_apixo_http_message_written (msg))
    soup_message_set_request_body_from_bytes (msg, "application/json", data);
}

void
gst_apixo_client_submit_async (GstApixoClient *client, GstApixoWorker *worker,
                               JsonNode *body, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  ApiCall *call;
  gchar *json;
  GBytes *bytes;

  call = client_new_call (
      client, CALL_SUBMIT, "POST",
      g_strdup_printf ("%s/generateTask/%s", client->base_url, client->model),
      cancellable, callback, user_data);
  if (call == NULL)
    return;
  json = json_to_string (body, FALSE);
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG) {
    gchar *shown = body_for_log (json);

    GST_DEBUG ("submitting to model %s: %s", client->model, shown);
    g_free (shown);
  }
  bytes = g_bytes_new_take (json, strlen (json));
  soup_message_set_request_body_from_bytes (call->msg, "application/json",
                                            bytes);
  g_signal_connect_data (call->msg, "restarted",
                         G_CALLBACK (body_again_for_proxy), g_bytes_ref (bytes),
                         body_bytes_release, 0);
  g_bytes_unref (bytes);
  g_set_object (&client->submission, call->msg);
  client_send (client, worker, call, cancellable, callback, user_data);
}

gboolean
gst_apixo_client_submission_written (GstApixoClient *client)
{
  return client->submission != NULL &&
         gst_apixo_http_message_written (client->submission);
}

gchar *
gst_apixo_client_submit_finish (GstApixoClient *client, GAsyncResult *result,
                                GstApixoApiError *err)
{
  guint status = 0;
  GBytes *body = client_finish (result, &status, err);
  gchar *task_id;

  if (body == NULL)
    return NULL;
  task_id = gst_apixo_client_parse_submit (client, status, body, err);
  g_bytes_unref (body);
  return task_id;
}

void
gst_apixo_client_status_async (GstApixoClient *client, GstApixoWorker *worker,
                               const gchar *task_id, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  ApiCall *call;
  gchar *escaped;

  escaped = g_uri_escape_string (task_id, NULL, FALSE);
  call = client_new_call (client, CALL_STATUS, "GET",
                          g_strdup_printf ("%s/statusTask/%s?taskId=%s",
                                           client->base_url, client->model,
                                           escaped),
                          cancellable, callback, user_data);
  g_free (escaped);
  if (call == NULL)
    return;
  call->task_id = g_strdup (task_id);
  GST_LOG ("checking task %s of model %s", task_id, client->model);
  client_send (client, worker, call, cancellable, callback, user_data);
}

GstApixoTaskStatus *
gst_apixo_client_status_finish (GstApixoClient *client, GAsyncResult *result,
                                GstApixoApiError *err)
{
  ApiCall *call = g_task_get_task_data (G_TASK (result));
  guint status = 0;
  GBytes *body = client_finish (result, &status, err);
  GstApixoTaskStatus *st;

  if (body == NULL)
    return NULL;
  st = gst_apixo_client_parse_status (client, call->task_id, status, body, err);
  g_bytes_unref (body);
  return st;
}

void
gst_apixo_client_balance_async (GstApixoClient *client, GstApixoWorker *worker,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  ApiCall *call;

  call = client_new_call (
      client, CALL_BALANCE, "GET",
      g_strdup_printf ("%s/apikeys/current-balance", client->base_url),
      cancellable, callback, user_data);
  if (call == NULL)
    return;
  GST_LOG ("reading the balance");
  client_send (client, worker, call, cancellable, callback, user_data);
}

gboolean
gst_apixo_client_balance_finish (GstApixoClient *client, GAsyncResult *result,
                                 gdouble *usd, GstApixoApiError *err)
{
  guint status = 0;
  GBytes *body = client_finish (result, &status, err);
  gboolean ok;

  if (body == NULL)
    return FALSE;
  ok = gst_apixo_client_parse_balance (client, status, body, usd, err);
  g_bytes_unref (body);
  return ok;
}
