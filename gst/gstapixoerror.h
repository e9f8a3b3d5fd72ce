/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_ERROR_H__
#define __GST_APIXO_ERROR_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * The vocabulary of the "apixo-error" details structure that every error
 * and warning of the apixo elements carries, so that applications read
 * what happened with gst_message_parse_error_details() (or
 * gst_message_parse_warning_details()) instead of parsing text, and the one
 * function that posts them.
 *
 * Fields: reason is always there; the others when known.
 */
#define GST_APIXO_ERROR_DETAILS_NAME "apixo-error"

/* string: why, one of the GST_APIXO_REASON_* values below */
#define GST_APIXO_ERROR_FIELD_REASON "reason"
/* string: the task concerned (absent before its id is known) */
#define GST_APIXO_ERROR_FIELD_TASK_ID "task-id"
/* string: the model id */
#define GST_APIXO_ERROR_FIELD_MODEL "model"
/* string: the property whose value is refused (reason "settings"), or the
 * bound that stopped a download (reason "download": min-speed,
 * max-result-size, download-deadline) */
#define GST_APIXO_ERROR_FIELD_PROPERTY "property"
/* strings: the service's failCode and failMsg (reason "failed") */
#define GST_APIXO_ERROR_FIELD_FAIL_CODE "fail-code"
#define GST_APIXO_ERROR_FIELD_FAIL_MSG "fail-msg"
/* uint: the HTTP status of the answer (0: none) */
#define GST_APIXO_ERROR_FIELD_HTTP_STATUS "http-status"
/* int: the "code" of the service's answer envelope (0: none) */
#define GST_APIXO_ERROR_FIELD_API_CODE "api-code"
/* gint64, Unix µs: when a submission of this run left (outcome-unknown) */
#define GST_APIXO_ERROR_FIELD_SUBMIT_TIME "submit-time"
/* double, USD: the account's balance, when it could be read
 * (insufficient-balance) */
#define GST_APIXO_ERROR_FIELD_BALANCE "balance"
/* double, USD: the request's estimated cost, when a price is documented
 * (insufficient-balance; settings with property max-cost) */
#define GST_APIXO_ERROR_FIELD_ESTIMATED_COST "estimated-cost"

/* A setting is refused before anything is sent (nothing is billed). */
#define GST_APIXO_REASON_SETTINGS "settings"
/* A local input (file, pad data) cannot be used or published. */
#define GST_APIXO_REASON_INPUT "input"
/* The task ended in state "failed" (fail-code, fail-msg). */
#define GST_APIXO_REASON_FAILED "failed"
/* The deadline passed while the task was still running. */
#define GST_APIXO_REASON_DEADLINE "deadline"
/* A submission left and its answer was lost: a task may exist. */
#define GST_APIXO_REASON_OUTCOME_UNKNOWN "outcome-unknown"
/* The service answered with an error. */
#define GST_APIXO_REASON_HTTP "http"
/* The service could not be reached. */
#define GST_APIXO_REASON_NETWORK "network"
/* The service's answer could not be understood. */
#define GST_APIXO_REASON_MALFORMED "malformed"
/* The request was cancelled. */
#define GST_APIXO_REASON_CANCELLED "cancelled"
/* The result could not be downloaded or kept. */
#define GST_APIXO_REASON_DOWNLOAD "download"
/* The downloaded result is not a complete ISO-BMFF/MP4 file (or came in a
 * Content-Encoding): nothing of it is kept. */
#define GST_APIXO_REASON_INVALID_RESULT "invalid-result"
/* The element stopped watching a task that is still running (and billed):
 * it can be resumed with task-id. */
#define GST_APIXO_REASON_ABANDONED "abandoned"
/* The service answered something this version does not know. */
#define GST_APIXO_REASON_UNKNOWN_STATE "unknown-state"
/* The balance cannot pay for the request: check-balance found it below the
 * estimate (nothing was sent), or the service refused the submission
 * (HTTP 402, or "Insufficient credits"). */
#define GST_APIXO_REASON_INSUFFICIENT_BALANCE "insufficient-balance"
/* A result URL or a redirect of it points into loopback, link-local,
 * private or unique-local space (not base-url's own class): not fetched.
 * GST_RESOURCE_ERROR_NOT_AUTHORIZED. */
#define GST_APIXO_REASON_BLOCKED_ADDRESS "blocked-address"
/* Anything else (an error posted without a reason). */
/* warning: the journal or the result cache (cache-directory) could not be
 * used or written; the run goes on without it */
#define GST_APIXO_REASON_CACHE_DIRECTORY "cache-directory"
#define GST_APIXO_REASON_OTHER "other"

/* A new "apixo-error" structure with @reason and the fields that follow
 * (gst_structure_set() style, NULL-terminated). */
GstStructure *gst_apixo_error_details_new (const gchar *reason,
                                           ...) G_GNUC_NULL_TERMINATED;

/* Posts @error as an error (@type GST_MESSAGE_ERROR) or a warning
 * (GST_MESSAGE_WARNING) of @element with @details (taken; NULL: only a
 * reason derived from @error).  Every error and warning of the apixo
 * elements goes through here.  Any thread. */
void gst_apixo_error_post (GstElement *element, GstMessageType type,
                           const GError *error, GstStructure *details,
                           const gchar *file, const gchar *function, gint line);

#define GST_APIXO_POST(element, type, error, details)                          \
  gst_apixo_error_post (GST_ELEMENT (element), (type), (error), (details),     \
                        __FILE__, GST_FUNCTION, __LINE__)

G_END_DECLS

#endif /* __GST_APIXO_ERROR_H__ */
