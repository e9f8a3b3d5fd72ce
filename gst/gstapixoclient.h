/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_CLIENT_H__
#define __GST_APIXO_CLIENT_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstapixohttp.h"
#include "gstapixonetpolicy.h"
#include "gstapixorun.h"
#include "gstapixoworker.h"

G_BEGIN_DECLS

/*
 * The APIXO API client: one request at a time (generateTask, statusTask,
 * apikeys/current-balance), answers parsed and validated with json-glib,
 * failures classified for the retry policy of the caller (GstApixoTask).
 * The client never retries by itself.  Requests run on the worker thread.
 */

/* Largest API answer accepted (status envelopes are a few hundred bytes). */
#define GST_APIXO_CLIENT_MAX_ANSWER (1024 * 1024)

typedef struct _GstApixoClient GstApixoClient;

/* A parsed statusTask answer.  Strings are sanitised for display (valid
 * UTF-8, no control characters, bounded length). */
typedef struct {
  gchar *task_id;
  gchar *state;        /* as the service gave it */
  gchar **result_uris; /* success only, >= 1 http(s) URI */
  gchar *fail_code;    /* failed only; may be NULL */
  gchar *fail_msg;     /* failed only; may be NULL */
  gint64 create_time;  /* Unix ms; -1 when absent */
  gint64 complete_time;
  gint64 cost_time; /* ms */
} GstApixoTaskStatus;

GstApixoTaskStatus *gst_apixo_task_status_copy (const GstApixoTaskStatus *s);
void gst_apixo_task_status_free (GstApixoTaskStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstApixoTaskStatus, gst_apixo_task_status_free)

/* How one request failed. */
typedef struct {
  GError *error;          /* GST_RESOURCE_ERROR, the user's message */
  guint http_status;      /* 0: no HTTP answer */
  gint api_code;          /* envelope code; 0 when none */
  gboolean transient;     /* worth retrying an idempotent request */
  gboolean not_processed; /* the service certainly did not act on it */
  gdouble retry_after;    /* s; -1 when not given */
  /* HTTP 402, or a 400 about credits/balance: the account cannot pay */
  gboolean insufficient_balance;
  const gchar *reason; /* the apixo-error reason when the client knows
                           * it (static), e.g. "malformed"; NULL: derived */
} GstApixoApiError;

void gst_apixo_api_error_clear (GstApixoApiError *e);

/* Any thread.  The client of @config's base URL, key, model and HTTP
 * settings (it holds a reference).  The key is only ever sent in the
 * Authorization header of API requests. */
GstApixoClient *gst_apixo_client_new (GstApixoRunConfig *config);
void gst_apixo_client_free (GstApixoClient *client);
const gchar *gst_apixo_client_get_model (GstApixoClient *client);

/* Worker thread.  POST generateTask/{model} with @body. */
void gst_apixo_client_submit_async (GstApixoClient *client,
                                    GstApixoWorker *worker, JsonNode *body,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
/* Worker thread.  Whether the last submission's request headers were
 * written to the connection: FALSE for one still waiting for a connection
 * (or never made), which the service cannot have received. */
gboolean gst_apixo_client_submission_written (GstApixoClient *client);
/* The new task id, or NULL and @err filled in. */
gchar *gst_apixo_client_submit_finish (GstApixoClient *client,
                                       GAsyncResult *result,
                                       GstApixoApiError *err);

/* Worker thread.  GET statusTask/{model}?taskId= */
void gst_apixo_client_status_async (GstApixoClient *client,
                                    GstApixoWorker *worker,
                                    const gchar *task_id,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
GstApixoTaskStatus *gst_apixo_client_status_finish (GstApixoClient *client,
                                                    GAsyncResult *result,
                                                    GstApixoApiError *err);

/* Worker thread.  GET apikeys/current-balance: the account's remaining
 * USD (service-facts.md, "Balance"), bounded and timed out like the other
 * answers. */
void gst_apixo_client_balance_async (GstApixoClient *client,
                                     GstApixoWorker *worker,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
/* TRUE with *@usd (>= 0), or FALSE and @err filled in (an answer whose
 * data is not a number >= 0 is malformed: transient). */
gboolean gst_apixo_client_balance_finish (GstApixoClient *client,
                                          GAsyncResult *result, gdouble *usd,
                                          GstApixoApiError *err);

/* Parsers, exposed for tests and fuzzing: they take any bytes. */
gchar *gst_apixo_client_parse_submit (GstApixoClient *client, guint status,
                                      GBytes *body, GstApixoApiError *err);
GstApixoTaskStatus *gst_apixo_client_parse_status (GstApixoClient *client,
                                                   const gchar *task_id,
                                                   guint status, GBytes *body,
                                                   GstApixoApiError *err);
gboolean gst_apixo_client_parse_balance (GstApixoClient *client, guint status,
                                         GBytes *body, gdouble *usd,
                                         GstApixoApiError *err);

/* TRUE if @task_id is a plausible task id (bounded, safe characters). */
gboolean gst_apixo_task_id_is_valid (const gchar *task_id);

/* gst_apixo_redact(): see gstapixonetpolicy.h */

G_END_DECLS

#endif /* __GST_APIXO_CLIENT_H__ */
