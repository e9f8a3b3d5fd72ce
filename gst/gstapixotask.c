/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The task state machine.
 *
 * Thread safety notes
 * -------------------
 * After gst_apixo_task_new() every field is used on the worker thread only,
 * so there is no lock (estimated_cost and resumed_submit_time are set
 * before gst_apixo_task_start(), which posts to the worker: the writes are
 * ordered before their reads).
 * Lifetime: task->refcount (worker thread only) counts
 * the owner's reference plus one per operation in flight (a request or a
 * limiter wait); timers hold none (they are destroyed with the task).
 * gst_apixo_task_free() hands the owner's reference to the worker
 * (task_shutdown) and waits on a mutex/cond pair on its own stack until
 * the worker drops the last reference.  Once task->closed is set no
 * callback runs.  task->config, the run configuration shared with the
 * element, the client and the spool, is immutable: read without a lock
 * (its refcount is atomic).  task->webhook is set before the task starts
 * (gst_apixo_task_start() posts to the worker, which orders the write);
 * the webhook calls back on the worker thread only, between attach (in
 * task_begin) and detach (with the last reference).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixotask.h"
#include "gstapixodebug.h"
#include "gstapixolimiter.h"
#include "gstapixoprogress.h"
#include "gstapixowebhook.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_task_debug);
#define GST_CAT_DEFAULT apixo_task_debug

/* Past the documented typical time the interval grows by this factor per
 * poll, up to MAX_GROWN_INTERVAL (or the configured interval if larger). */
#define INTERVAL_GROWTH 1.25
#define MAX_GROWN_INTERVAL 30.0

/* With our own webhook receiver a delivery says when to look, and polls
 * are only a safety net for lost deliveries (the service gives up after 3
 * retries): the first at SAFETY_FIRST_FACTOR x the first poll, then every
 * SAFETY_INTERVAL_FACTOR x the poll interval (both from poll-delay and
 * poll-interval, or the page's advice: e.g. veo-3-1 180 s, then 60 s).
 * Confirmations that deliveries trigger are at least a poll interval
 * apart: a flood of forged deliveries never costs more status requests
 * than polling would. */
#define SAFETY_FIRST_FACTOR 2.0
#define SAFETY_INTERVAL_FACTOR 12.0

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean done;
} FreeSync;

typedef enum {
  REQUEST_SUBMIT,
  REQUEST_STATUS,
} RequestKind;

struct _GstApixoTask {
  gint refcount;
  GstApixoWorker *worker;
  GstApixoRunConfig *config; /* shared, read-only */
  const gchar *model;        /* the config's */
  JsonNode *body;            /* generateTask body; NULL when resuming */
  gchar *resume_id;          /* the task resumed when body is NULL */
  GstApixoClient *client;
  GstApixoTaskCallbacks callbacks;
  gpointer user_data;

  GstApixoLimiter *limiter;
  GstApixoLimiterWait *wait; /* pending limiter wait */
  gboolean holds_slot;
  GCancellable *cancellable;
  GSource *timer; /* next poll or retry */
  GSource *deadline_timer;
  gdouble estimated_cost;    /* USD; < 0: unknown */
  GstApixoApiError *refusal; /* a 402 said once the balance is read */

  gchar *task_id;
  gboolean submitting; /* a submit request is sent and unanswered */
  gchar *last_state;
  guint poll_count;
  guint attempt;     /* consecutive failures of this request */
  gint64 start_time; /* monotonic µs */
  gint64 submit_time;
  gint64 resumed_submit_time; /* a resumed task's submission, Unix µs */
  gdouble interval;           /* current poll interval, s */
  gboolean closed;

  /* progress reports while the task waits (see "progress" below) */
  GSource *heartbeat;
  gchar *retry_why;         /* the failure the scheduled retry follows */
  gint64 retry_due;         /* when it goes (monotonic µs) */
  GstApixoWebhook *webhook; /* our receiver of deliveries, or NULL */
  gboolean woken;           /* a delivery awaits its confirmation */
  gboolean confirming;      /* the status request out confirms one */
  gint64 confirm_time;      /* when the last confirmation left, 0: never */

  FreeSync *free_sync;
};

static void task_request (GstApixoTask *task, RequestKind kind);
static gboolean task_refused_for_balance (GstApixoTask *task,
                                          GstApixoApiError *err);
static void task_stop_progress (GstApixoTask *task);
static void task_webhook_detach (GstApixoTask *task);

/* ---- lifetime ------------------------------------------------------------ */

static GstApixoTask *
task_ref (GstApixoTask *task)
{
  task->refcount++;
  return task;
}

static void
task_clear_timer (GSource **timer)
{
  if (*timer != NULL) {
    g_source_destroy (*timer);
    g_clear_pointer (timer, g_source_unref);
  }
}

static void
task_release_slot (GstApixoTask *task)
{
  if (task->holds_slot) {
    gst_apixo_limiter_release_task (task->limiter);
    task->holds_slot = FALSE;
  }
}

static void
task_unref (GstApixoTask *task)
{
  FreeSync *sync;

  if (--task->refcount > 0)
    return;

  sync = task->free_sync;
  task_webhook_detach (task);
  task_clear_timer (&task->timer);
  task_clear_timer (&task->deadline_timer);
  task_stop_progress (task);
  task_release_slot (task);
  if (task->limiter != NULL)
    gst_apixo_limiter_unref (task->limiter);
  g_clear_object (&task->cancellable);
  gst_apixo_client_free (task->client);
  g_clear_pointer (&task->body, json_node_unref);
  gst_apixo_run_config_unref (task->config);
  g_free (task->task_id);
  g_free (task->resume_id);
  g_free (task->last_state);
  if (task->refusal != NULL)
    gst_apixo_api_error_clear (task->refusal);
  g_free (task->refusal);
  g_free (task);

  if (sync != NULL) {
    g_mutex_lock (&sync->lock);
    sync->done = TRUE;
    g_cond_signal (&sync->cond);
    g_mutex_unlock (&sync->lock);
  }
}

GstApixoTask *
gst_apixo_task_new (GstApixoWorker *worker, GstApixoRunConfig *config,
                    JsonNode *body, const gchar *resume_id,
                    const GstApixoTaskCallbacks *callbacks, gpointer user_data)
{
  GstApixoTask *task = g_new0 (GstApixoTask, 1);
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_task_debug, "apixotask", 0,
                                      "APIXO task state machine");

  task->refcount = 1;
  task->worker = worker;
  task->config = gst_apixo_run_config_ref (config);
  task->model = config->spec->model;
  task->body = body;
  if (body == NULL)
    task->resume_id =
        g_strdup (resume_id ? resume_id : config->settings.task_id);
  task->client = gst_apixo_client_new (config);
  task->callbacks = *callbacks;
  task->user_data = user_data;
  task->cancellable = g_cancellable_new ();
  task->interval = config->poll_interval;
  task->estimated_cost = -1;
  return task;
}

void
gst_apixo_task_set_estimated_cost (GstApixoTask *task, gdouble usd)
{
  task->estimated_cost = usd;
}

void
gst_apixo_task_set_resumed_submit_time (GstApixoTask *task, gint64 unix_us)
{
  task->resumed_submit_time = unix_us;
}

static gboolean
task_shutdown (gpointer data)
{
  GstApixoTask *task = data;

  GST_DEBUG ("task %s: shutting down", task->task_id ? task->task_id : "-");
  task->closed = TRUE;
  g_cancellable_cancel (task->cancellable);
  /* Cancelled on this thread, where the request is written: headers not
   * written by now never will be, and the service has nothing. */
  if (task->submitting && !gst_apixo_client_submission_written (task->client) &&
      task->callbacks.unsent != NULL)
    task->callbacks.unsent (task, task->user_data);
  if (task->wait != NULL) {
    gst_apixo_limiter_cancel (task->wait);
    task->wait = NULL;
    task_unref (task); /* the wait's reference */
  }
  task_clear_timer (&task->timer);
  task_clear_timer (&task->deadline_timer);
  task_stop_progress (task);
  /* The service has no cancel endpoint: a submitted task keeps running
   * there, but this process stops counting it. */
  task_release_slot (task);
  task_unref (task); /* the owner's reference */
  return G_SOURCE_REMOVE;
}

void
gst_apixo_task_free (GstApixoTask *task)
{
  FreeSync sync;

  if (task == NULL)
    return;
  g_return_if_fail (!gst_apixo_worker_is_current (task->worker));

  g_mutex_init (&sync.lock);
  g_cond_init (&sync.cond);
  sync.done = FALSE;
  task->free_sync = &sync;
  gst_apixo_worker_invoke (task->worker, task_shutdown, task, NULL);

  g_mutex_lock (&sync.lock);
  while (!sync.done)
    g_cond_wait (&sync.cond, &sync.lock);
  g_mutex_unlock (&sync.lock);
  g_mutex_clear (&sync.lock);
  g_cond_clear (&sync.cond);
}

/* ---- reporting ----------------------------------------------------------- */

static gdouble
task_elapsed (GstApixoTask *task)
{
  gint64 since = task->submit_time ? task->submit_time : task->start_time;

  return (g_get_monotonic_time () - since) / (gdouble)G_USEC_PER_SEC;
}

static GstStructure *
task_details (GstApixoTask *task, const gchar *reason, guint http_status,
              gint api_code)
{
  GstStructure *details = gst_apixo_error_details_new (
      reason, GST_APIXO_ERROR_FIELD_MODEL, G_TYPE_STRING, task->model,
      GST_APIXO_ERROR_FIELD_HTTP_STATUS, G_TYPE_UINT, http_status,
      GST_APIXO_ERROR_FIELD_API_CODE, G_TYPE_INT, api_code, NULL);

  if (task->task_id != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_TASK_ID, G_TYPE_STRING,
                       task->task_id, NULL);
  return details;
}

static void
task_finish (GstApixoTask *task, const GstApixoTaskStatus *status,
             GError *error, GstStructure *details)
{
  task_clear_timer (&task->timer);
  task_clear_timer (&task->deadline_timer);
  task_stop_progress (task);
  task_release_slot (task);
  if (!task->closed) {
    task->closed = TRUE;
    if (error != NULL)
      GST_INFO ("task %s: %s", task->task_id ? task->task_id : "-",
                error->message);
    task->callbacks.finished (task, status, error, details, task->user_data);
  }
  g_clear_error (&error);
  if (details != NULL)
    gst_structure_free (details);
}

/* Where a task that stopped being watched can be picked up again. */
static gchar *
task_resume_hint (GstApixoTask *task)
{
  if (task->task_id == NULL)
    return g_strdup ("");
  return g_strdup_printf (" Task %s may still be running and billed: set "
                          "task-id=%s (model=%s) to resume it.",
                          task->task_id, task->task_id, task->model);
}

/* ---- progress ------------------------------------------------------------ */

/* A heartbeat on the worker reports the task every progress-interval
 * seconds from its start to its end, whatever it waits for: the service
 * says nothing between polls (a minute at first for some models), and the
 * limiter or a backoff may hold the task for longer still. */

static void
task_note_retry (GstApixoTask *task, GstApixoApiError *err, gdouble delay)
{
  g_free (task->retry_why);
  task->retry_why = g_strdup (err->error->message);
  task->retry_due = g_get_monotonic_time () + (gint64)(delay * G_USEC_PER_SEC);
}

/* The service's last state, or where the task is before it has one. */
static const gchar *
task_state_word (GstApixoTask *task)
{
  if (task->task_id == NULL)
    return task->submitting ? "submitting" : "queued";
  return task->last_state ? task->last_state : "submitted";
}

/* What holds the task back, if anything: sets @p's waiting-for and
 * returns why, for a person. */
static gchar *
task_hold (GstApixoTask *task, GstApixoProgress *p)
{
  const GstApixoModelInfo *info = gst_apixo_model_lookup (task->model);
  gint64 left;

  if (task->wait != NULL && info != NULL) {
    switch (gst_apixo_limiter_wait_hold (task->wait)) {
      case GST_APIXO_LIMITER_HOLD_TASK_SLOT:
        p->waiting_for = GST_APIXO_WAITING_TASK_SLOT;
        return g_strdup_printf ("%s allows %u unfinished tasks at once, and "
                                "this process has them",
                                task->model, info->concurrent_tasks);
      case GST_APIXO_LIMITER_HOLD_RATE:
        p->waiting_for = GST_APIXO_WAITING_RATE_LIMIT;
        return g_strdup_printf ("%s allows %u requests a minute, and this "
                                "process made them",
                                task->model, info->requests_per_minute);
      default:
        break;
    }
  } else if (task->timer != NULL && task->attempt > 0) {
    p->waiting_for = GST_APIXO_WAITING_RETRY;
    left = task->retry_due - g_get_monotonic_time ();
    return g_strdup_printf ("%s; attempt %u in %.0f s", task->retry_why,
                            task->attempt + 1,
                            MAX (left, 0) / (gdouble)G_USEC_PER_SEC);
  }
  return NULL;
}

static gboolean
task_heartbeat (gpointer data)
{
  GstApixoTask *task = data;
  GstApixoProgress p;
  gchar *why;

  gst_apixo_progress_init (&p, task->config);
  p.task_id = task->task_id;
  p.state = task_state_word (task);
  p.elapsed = task_elapsed (task);
  p.poll_count = task->poll_count;
  p.why = why = task_hold (task, &p);
  task->callbacks.heartbeat (task, &p, task->user_data);
  g_free (why);
  return G_SOURCE_CONTINUE;
}

static void
task_start_progress (GstApixoTask *task)
{
  gdouble interval = task->config->settings.progress_interval;

  if (task->callbacks.heartbeat == NULL || !(interval > 0))
    return;
  task->heartbeat = g_timeout_source_new ((guint)(interval * 1000));
  g_source_set_callback (task->heartbeat, task_heartbeat, task, NULL);
  g_source_attach (task->heartbeat, g_main_context_get_thread_default ());
}

static void
task_stop_progress (GstApixoTask *task)
{
  task_clear_timer (&task->heartbeat);
  g_clear_pointer (&task->retry_why, g_free);
}

/* A status answer of 404: the task is not known under this model (a task
 * is found only with the model it was submitted with), so running the same
 * again would only fail again. */
static gchar *
task_not_found_hint (GstApixoTask *task)
{
  if (task->task_id == NULL)
    return g_strdup ("");
  return g_strdup_printf (" Task %s is not known with model=%s: check that "
                          "task-id and model are the ones it was submitted "
                          "with.",
                          task->task_id, task->model);
}

/* ---- fail codes ---------------------------------------------------------- */

static GstResourceError
fail_code_to_error (const gchar *fail_code)
{
  static const struct {
    const gchar *code;
    GstResourceError error;
  } table[] = {
    { "INVALID_PARAMETER", GST_RESOURCE_ERROR_SETTINGS },
    { "PROMPT_TOO_LONG", GST_RESOURCE_ERROR_SETTINGS },
    { "INVALID_PROMPT", GST_RESOURCE_ERROR_SETTINGS },
    { "IMAGE_TOO_LARGE", GST_RESOURCE_ERROR_SETTINGS },
    { "UNSUPPORTED_FORMAT", GST_RESOURCE_ERROR_SETTINGS },
    { "CONTENT_VIOLATION", GST_RESOURCE_ERROR_SETTINGS },
    { "NSFW_DETECTED", GST_RESOURCE_ERROR_SETTINGS },
    { "NSFW", GST_RESOURCE_ERROR_SETTINGS },
    { "SensitiveContentDetected", GST_RESOURCE_ERROR_SETTINGS },
    { "INVALID_IMAGE_URL", GST_RESOURCE_ERROR_OPEN_READ },
    { "IMAGE_DOWNLOAD_FAILED", GST_RESOURCE_ERROR_OPEN_READ },
    { "INSUFFICIENT_BALANCE", GST_RESOURCE_ERROR_NOT_AUTHORIZED },
    { "INSUFFICIENT_CREDITS", GST_RESOURCE_ERROR_NOT_AUTHORIZED },
  };
  guint i;

  for (i = 0; fail_code != NULL && i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (fail_code, table[i].code))
      return table[i].error;
  /* TIMEOUT, PROCESSING_TIMEOUT, MODEL_UNAVAILABLE, GENERATION_FAILED and
   * codes this version does not know. */
  return GST_RESOURCE_ERROR_FAILED;
}

static void
task_report_failed (GstApixoTask *task, const GstApixoTaskStatus *status)
{
  const gchar *code = status->fail_code ? status->fail_code : "(no failCode)";
  const gchar *msg = status->fail_msg ? status->fail_msg : "(no failMsg)";
  GstStructure *details =
      task_details (task, GST_APIXO_REASON_FAILED, 200, 200);
  GError *error;

  gst_structure_set (details, GST_APIXO_ERROR_FIELD_FAIL_CODE, G_TYPE_STRING,
                     code, GST_APIXO_ERROR_FIELD_FAIL_MSG, G_TYPE_STRING, msg,
                     NULL);
  error =
      g_error_new (GST_RESOURCE_ERROR, fail_code_to_error (status->fail_code),
                   "Generation task %s (model %s) failed: %s: %s",
                   task->task_id, task->model, code, msg);
  task_finish (task, status, error, details);
}

/* ---- scheduling ---------------------------------------------------------- */

static gboolean
task_timer_fired (gpointer data)
{
  GstApixoTask *task = data;
  RequestKind kind = task->task_id ? REQUEST_STATUS : REQUEST_SUBMIT;

  g_clear_pointer (&task->timer, g_source_unref);
  task_request (task, kind);
  return G_SOURCE_REMOVE;
}

static void
task_schedule_full (GstApixoTask *task, gdouble seconds, GSourceFunc func)
{
  task_clear_timer (&task->timer);
  task->timer = g_timeout_source_new ((guint)(MAX (seconds, 0) * 1000));
  g_source_set_callback (task->timer, func, task, NULL);
  g_source_attach (task->timer, g_main_context_get_thread_default ());
}

static void
task_schedule (GstApixoTask *task, gdouble seconds)
{
  task_schedule_full (task, seconds, task_timer_fired);
}

/* ---- webhook (our own receiver) ------------------------------------------ */

static gdouble
task_webhook_confirm_delay (GstApixoTask *task)
{
  gdouble since;

  if (task->confirm_time == 0)
    return 0;
  since =
      (g_get_monotonic_time () - task->confirm_time) / (gdouble)G_USEC_PER_SEC;
  return MAX (0, task->config->poll_interval - since);
}

/* Worker: a delivery reached our receiver.  Deliveries are unsigned: one
 * only says "look now", and the status answer that follows is all that is
 * trusted.  A task waiting for its next poll looks at once; a retry keeps
 * its backoff; a request under way, or a submission not answered yet, is
 * followed by the confirmation. */
static void
task_webhook_woken (gpointer data)
{
  GstApixoTask *task = data;
  const gchar *id = task->task_id ? task->task_id : "(submitting)";

  if (task->closed) {
    GST_DEBUG ("task %s: a delivery after the end, ignored", id);
    return;
  }
  GST_INFO ("task %s: a delivery arrived; a status request confirms it", id);
  task->woken = TRUE;
  if (task->task_id != NULL && task->timer != NULL && task->attempt == 0)
    task_schedule (task, task_webhook_confirm_delay (task));
}

/* Worker (task_begin): deliveries that came before count too. */
static void
task_webhook_attach (GstApixoTask *task)
{
  if (task->webhook != NULL &&
      gst_apixo_webhook_attach (task->webhook, task_webhook_woken, task) > 0)
    task->woken = TRUE;
}

/* Worker, with the last reference: no delivery reaches the task after. */
static void
task_webhook_detach (GstApixoTask *task)
{
  if (task->webhook == NULL)
    return;
  gst_apixo_webhook_detach (task->webhook);
  g_clear_pointer (&task->webhook, gst_apixo_webhook_unref);
}

/* Worker: a status request leaves; with a delivery waiting, it is that
 * delivery's confirmation (a retry of it too). */
static void
task_webhook_sending_status (GstApixoTask *task)
{
  if (!task->woken)
    return;
  task->woken = FALSE;
  task->confirming = TRUE;
  task->confirm_time = g_get_monotonic_time ();
}

/* Worker: a status answer.  The confirmation's says whether the delivery
 * told of a real end; a forged one (another task, a fake success or
 * failure) cost this one request and changed nothing. */
static void
task_webhook_answered (GstApixoTask *task, const GstApixoTaskStatus *status)
{
  gboolean final;

  if (!task->confirming)
    return;
  task->confirming = FALSE;
  final = g_str_equal (status->state, "success") ||
          g_str_equal (status->state, "failed");
  GST_INFO ("task %s: delivery confirmed: %s", task->task_id,
            final ? "the task has ended" : "the task has not ended (forged?)");
  if (task->callbacks.confirmed != NULL)
    task->callbacks.confirmed (task, final, task->user_data);
}

/* Seconds until the next poll with our receiver: a delivery's confirmation,
 * else the safety net (see SAFETY_FIRST_FACTOR). */
static gdouble
task_webhook_poll_delay (GstApixoTask *task)
{
  const GstApixoRunConfig *c = task->config;
  gdouble first = SAFETY_FIRST_FACTOR * c->first_poll;
  gdouble elapsed = task_elapsed (task);

  if (task->woken)
    return task_webhook_confirm_delay (task);
  if (elapsed < first)
    return first - elapsed;
  return SAFETY_INTERVAL_FACTOR * c->poll_interval;
}

void
gst_apixo_task_set_webhook (GstApixoTask *task, GstApixoWebhook *webhook)
{
  g_return_if_fail (task->webhook == NULL);
  task->webhook = gst_apixo_webhook_ref (webhook);
}

/* Seconds until the next poll, given the polls made so far. */
static gdouble
task_next_poll_delay (GstApixoTask *task)
{
  const GstApixoRunConfig *c = task->config;
  gdouble elapsed = task_elapsed (task);
  gdouble due;

  if (task->resume_id != NULL && task->poll_count == 0)
    return 0;
  if (task->webhook != NULL)
    return task_webhook_poll_delay (task);
  if (elapsed < c->first_poll) {
    /* early check for fast failures, then the documented first poll */
    if (c->settings.early_poll > 0 && elapsed < c->settings.early_poll &&
        c->settings.early_poll < c->first_poll)
      due = c->settings.early_poll;
    else
      due = c->first_poll;
    return due - elapsed;
  }
  if (elapsed > c->typical_time)
    task->interval = MIN (task->interval * INTERVAL_GROWTH,
                          MAX (MAX_GROWN_INTERVAL, c->poll_interval));
  return task->interval;
}

static void
task_retry_or_fail (GstApixoTask *task, RequestKind kind, GstApixoApiError *err)
{
  gint retries = task->config->settings.http.retries;
  gdouble delay;
  GstStructure *details;
  GError *error;
  gchar *hint;

  if (task_refused_for_balance (task, err))
    return;
  task->attempt++;
  if (err->transient && (retries < 0 || task->attempt <= (guint)retries) &&
      (kind == REQUEST_STATUS || err->not_processed)) {
    delay = gst_apixo_http_backoff_delay (&task->config->settings.http,
                                          task->attempt, err->retry_after);
    GST_INFO ("task %s: %s; retry %u in %.2f s",
              task->task_id ? task->task_id : "(submit)", err->error->message,
              task->attempt, delay);
    task_schedule (task, delay);
    task_note_retry (task, err, delay);
    return;
  }

  if (kind == REQUEST_SUBMIT && !err->not_processed) {
    details = task_details (
        task, err->reason ? err->reason : GST_APIXO_REASON_OUTCOME_UNKNOWN,
        err->http_status, err->api_code);
    error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "The outcome of the submission is unknown (%s): the service may "
        "have created the task, and will bill it, but its id never reached "
        "us. It was not sent again so that you never pay twice; check your "
        "APIXO task list before retrying.",
        err->error->message);
  } else {
    details = task_details (task,
                            err->reason        ? err->reason
                            : err->http_status ? GST_APIXO_REASON_HTTP
                                               : GST_APIXO_REASON_NETWORK,
                            err->http_status, err->api_code);
    hint = err->http_status == 404 ? task_not_found_hint (task)
                                   : task_resume_hint (task);
    error = g_error_new (GST_RESOURCE_ERROR, err->error->code, "%s.%s",
                         err->error->message, hint);
    g_free (hint);
  }
  task_finish (task, NULL, error, details);
}

/* ---- answers ------------------------------------------------------------- */

static void
task_submitted (GObject *source, GAsyncResult *result, gpointer data)
{
  GstApixoTask *task = data;
  GstApixoApiError err = {
    0,
  };
  gchar *task_id;

  task_id = gst_apixo_client_submit_finish (task->client, result, &err);
  task->submitting = FALSE;
  if (task->closed) {
    g_free (task_id);
  } else if (task_id == NULL) {
    task_retry_or_fail (task, REQUEST_SUBMIT, &err);
  } else {
    task->task_id = task_id;
    task->submit_time = g_get_monotonic_time ();
    task->attempt = 0;
    GST_INFO ("task %s submitted (model %s)", task_id, task->model);
    task->callbacks.submitted (task, task_id, task->user_data);
    task_schedule (task, task_next_poll_delay (task));
  }
  gst_apixo_api_error_clear (&err);
  task_unref (task);
}

static void
task_handle_status (GstApixoTask *task, GstApixoTaskStatus *status)
{
  gboolean changed = g_strcmp0 (status->state, task->last_state) != 0;

  task->poll_count++;
  task->attempt = 0;
  if (changed) {
    g_free (task->last_state);
    task->last_state = g_strdup (status->state);
    GST_INFO ("task %s: state %s after %.1f s, %u polls", task->task_id,
              status->state, task_elapsed (task), task->poll_count);
  }
  task->callbacks.polled (task, status, changed, task->poll_count,
                          task_elapsed (task), task->user_data);
  if (task->closed)
    return;
  task_webhook_answered (task, status);

  if (g_str_equal (status->state, "success"))
    task_finish (task, status, NULL, NULL);
  else if (g_str_equal (status->state, "failed"))
    task_report_failed (task, status);
  else /* pending, processing, or a new state */
    task_schedule (task, task_next_poll_delay (task));
}

static void
task_polled (GObject *source, GAsyncResult *result, gpointer data)
{
  GstApixoTask *task = data;
  GstApixoApiError err = {
    0,
  };
  GstApixoTaskStatus *status;

  status = gst_apixo_client_status_finish (task->client, result, &err);
  if (!task->closed) {
    if (status != NULL)
      task_handle_status (task, status);
    else
      task_retry_or_fail (task, REQUEST_STATUS, &err);
  }
  gst_apixo_task_status_free (status);
  gst_apixo_api_error_clear (&err);
  task_unref (task);
}

/* ---- money: check-balance, the balance behind a refusal ------------------ */

static void
task_read_balance (GstApixoTask *task, GAsyncReadyCallback callback)
{
  gst_apixo_client_balance_async (task->client, task->worker, task->cancellable,
                                  callback, task_ref (task));
}

/* " (balance X, estimated cost Y)": what is known of them. */
static gchar *
task_money_text (GstApixoTask *task, gdouble balance)
{
  GString *text = g_string_new (NULL);
  gchar *usd;

  if (balance >= 0) {
    usd = gst_apixo_usd_to_string (balance);
    g_string_append_printf (text, "balance %s", usd);
    g_free (usd);
  }
  if (task->estimated_cost >= 0) {
    usd = gst_apixo_usd_to_string (task->estimated_cost);
    g_string_append_printf (text, "%sestimated cost %s",
                            text->len > 0 ? ", " : "", usd);
    g_free (usd);
  }
  if (text->len > 0) {
    g_string_prepend (text, " (");
    g_string_append_c (text, ')');
  }
  return g_string_free (text, FALSE);
}

/* Reason insufficient-balance, with the balance (< 0: not read) and the
 * estimate when known. */
static GstStructure *
task_money_details (GstApixoTask *task, guint http_status, gint api_code,
                    gdouble balance)
{
  GstStructure *details = task_details (
      task, GST_APIXO_REASON_INSUFFICIENT_BALANCE, http_status, api_code);

  if (balance >= 0)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_BALANCE, G_TYPE_DOUBLE,
                       balance, NULL);
  if (task->estimated_cost >= 0)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_ESTIMATED_COST,
                       G_TYPE_DOUBLE, task->estimated_cost, NULL);
  return details;
}

static void
task_refusal_said (GObject *source, GAsyncResult *result, gpointer data)
{
  GstApixoTask *task = data;
  GstApixoApiError *r = task->refusal;
  GstApixoApiError err = {
    0,
  };
  gdouble usd = -1;
  gchar *money, *hint;

  /* a balance that cannot be read is only left out */
  if (!gst_apixo_client_balance_finish (task->client, result, &usd, &err))
    usd = -1;
  if (!task->closed) {
    money = task_money_text (task, usd);
    hint = task_resume_hint (task);
    task_finish (task, NULL,
                 g_error_new (GST_RESOURCE_ERROR, r->error->code, "%s%s.%s",
                              r->error->message, money, hint),
                 task_money_details (task, r->http_status, r->api_code, usd));
    g_free (money);
    g_free (hint);
  }
  gst_apixo_api_error_clear (&err);
  task_unref (task);
}

/* The service refused for want of balance (402, "Insufficient credits"):
 * the error says the balance, read once after the refusal (bounded by the
 * HTTP timeout, like every request).  TRUE when it took @err over. */
static gboolean
task_refused_for_balance (GstApixoTask *task, GstApixoApiError *err)
{
  if (!err->insufficient_balance || task->refusal != NULL)
    return FALSE;
  task->refusal = g_new0 (GstApixoApiError, 1);
  *task->refusal = *err;
  err->error = NULL; /* taken */
  task_read_balance (task, task_refusal_said);
  return TRUE;
}

static void task_balance_read (GObject *source, GAsyncResult *result,
                               gpointer data);

static gboolean
task_balance_timer_fired (gpointer data)
{
  GstApixoTask *task = data;

  g_clear_pointer (&task->timer, g_source_unref);
  task_read_balance (task, task_balance_read);
  return G_SOURCE_REMOVE;
}

/* check-balance could not read it: retried like a status request, then an
 * error (the user asked for the check: nothing is submitted without it). */
static void
task_balance_unread (GstApixoTask *task, GstApixoApiError *err)
{
  gint retries = task->config->settings.http.retries;
  gdouble delay;

  if (err->transient && (retries < 0 || ++task->attempt <= (guint)retries)) {
    delay = gst_apixo_http_backoff_delay (&task->config->settings.http,
                                          task->attempt, err->retry_after);
    GST_INFO ("balance: %s; retry %u in %.2f s", err->error->message,
              task->attempt, delay);
    task_schedule_full (task, delay, task_balance_timer_fired);
    return;
  }
  task_finish (
      task, NULL,
      g_error_new (GST_RESOURCE_ERROR, err->error->code,
                   "check-balance: the balance could not be read (%s); "
                   "nothing was submitted (set check-balance=false to submit "
                   "without reading it)",
                   err->error->message),
      task_details (task,
                    err->http_status ? GST_APIXO_REASON_HTTP
                                     : GST_APIXO_REASON_NETWORK,
                    err->http_status, err->api_code));
}

/* check-balance read it: posted, then compared with the estimate. */
static void
task_balance_known (GstApixoTask *task, gdouble usd)
{
  gchar *money;

  task->attempt = 0;
  GST_INFO ("balance %f USD, estimated cost %f USD", usd, task->estimated_cost);
  if (task->callbacks.balance != NULL)
    task->callbacks.balance (task, usd, task->user_data);
  if (task->closed)
    return;
  if (task->estimated_cost < 0 || usd >= task->estimated_cost) {
    task_request (task, REQUEST_SUBMIT);
    return;
  }
  money = task_money_text (task, usd);
  task_finish (task, NULL,
               g_error_new (GST_RESOURCE_ERROR,
                            GST_RESOURCE_ERROR_NOT_AUTHORIZED,
                            "Insufficient APIXO balance for this request%s: "
                            "nothing was submitted (check-balance). Add "
                            "balance to the account of this API key, or use "
                            "another key",
                            money),
               task_money_details (task, 0, 0, usd));
  g_free (money);
}

static void
task_balance_read (GObject *source, GAsyncResult *result, gpointer data)
{
  GstApixoTask *task = data;
  GstApixoApiError err = {
    0,
  };
  gdouble usd = -1;
  gboolean read;

  read = gst_apixo_client_balance_finish (task->client, result, &usd, &err);
  if (!task->closed) {
    if (read)
      task_balance_known (task, usd);
    else
      task_balance_unread (task, &err);
  }
  gst_apixo_api_error_clear (&err);
  task_unref (task);
}

/* A task slot is ours: submit, once check-balance has read the balance
 * (before the journal's intent: a refusal leaves no "sending" record). */
static void
task_submit_when_funded (GstApixoTask *task)
{
  if (task->config->settings.check_balance)
    task_read_balance (task, task_balance_read);
  else
    task_request (task, REQUEST_SUBMIT);
}

/* ---- requests ------------------------------------------------------------ */

static void
task_request_granted (gpointer data)
{
  GstApixoTask *task = data;

  task->wait = NULL;
  if (task->task_id == NULL) {
    task->submitting = TRUE;
    if (task->callbacks.sending != NULL)
      task->callbacks.sending (task, task->user_data);
    gst_apixo_client_submit_async (task->client, task->worker, task->body,
                                   task->cancellable, task_submitted, task);
  } else {
    task_webhook_sending_status (task);
    gst_apixo_client_status_async (task->client, task->worker, task->task_id,
                                   task->cancellable, task_polled, task);
  }
  /* the wait's reference now belongs to the request */
}

static void
task_request (GstApixoTask *task, RequestKind kind)
{
  g_assert (task->wait == NULL);
  task->wait = gst_apixo_limiter_acquire_request (
      task->limiter, task_request_granted, task_ref (task));
}

static void
task_slot_granted (gpointer data)
{
  GstApixoTask *task = data;

  task->wait = NULL;
  task->holds_slot = TRUE;
  task_submit_when_funded (task);
  task_unref (task); /* the slot wait's reference */
}

static gboolean
task_deadline_fired (gpointer data)
{
  GstApixoTask *task = data;
  GError *error;
  const gchar *reason;
  gchar *hint = task_resume_hint (task);

  g_clear_pointer (&task->deadline_timer, g_source_unref);
  g_cancellable_cancel (task->cancellable);
  if (task->wait != NULL) {
    gst_apixo_limiter_cancel (task->wait);
    task->wait = NULL;
    task_unref (task);
  }
  if (task->task_id != NULL) {
    error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "Gave up waiting for task %s (model %s) after the deadline of %u s "
        "(%u polls, last state %s).%s",
        task->task_id, task->model, task->config->settings.deadline,
        task->poll_count, task->last_state ? task->last_state : "unknown",
        hint);
    reason = GST_APIXO_REASON_DEADLINE;
  } else if (task->submitting &&
             gst_apixo_client_submission_written (task->client)) {
    /* The request went out and its answer did not come back: the service
     * may have created the task, exactly as when a submission fails with
     * an unknown outcome. */
    error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "Gave up after the deadline of %u s while the submission to model "
        "%s was unanswered: the outcome is unknown, the service may have "
        "created the task, and will bill it, but its id never reached us. "
        "It was not sent again so that you never pay twice; check your "
        "APIXO task list before retrying.",
        task->config->settings.deadline, task->model);
    reason = GST_APIXO_REASON_OUTCOME_UNKNOWN;
  } else {
    error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
        "Gave up after the deadline of %u s before the task could be "
        "submitted (model %s); nothing was billed.",
        task->config->settings.deadline, task->model);
    reason = GST_APIXO_REASON_DEADLINE;
  }
  g_free (hint);
  task_finish (task, NULL, error, task_details (task, reason, 0, 0));
  return G_SOURCE_REMOVE;
}

static gboolean
task_begin (gpointer data)
{
  GstApixoTask *task = data;
  const GstApixoRunConfig *c = task->config;
  const GstApixoModelInfo *info = gst_apixo_model_lookup (task->model);

  if (task->closed)
    return G_SOURCE_REMOVE;
  task->start_time = g_get_monotonic_time ();
  task_webhook_attach (task);
  /* the documented rate limits; 0: unlimited (a model we do not know) */
  task->limiter = gst_apixo_limiter_get (c->api_key, task->model,
                                         info ? info->requests_per_minute : 0,
                                         info ? info->concurrent_tasks : 0);
  if (c->settings.deadline > 0) {
    task->deadline_timer = g_timeout_source_new_seconds (c->settings.deadline);
    g_source_set_callback (task->deadline_timer, task_deadline_fired, task,
                           NULL);
    g_source_attach (task->deadline_timer,
                     g_main_context_get_thread_default ());
  }
  task_start_progress (task);

  if (task->resume_id != NULL) {
    /* An existing task: already counted by the service, no slot needed. */
    task->task_id = g_strdup (task->resume_id);
    task->submit_time = task->start_time;
    /* its time so far counts from its submission, when we know it */
    if (task->resumed_submit_time > 0)
      task->submit_time -=
          MAX (g_get_real_time () - task->resumed_submit_time, 0);
    task->callbacks.submitted (task, task->task_id, task->user_data);
    task_request (task, REQUEST_STATUS);
    return G_SOURCE_REMOVE;
  }

  if (gst_apixo_limiter_tasks_full (task->limiter) &&
      task->callbacks.queued != NULL)
    task->callbacks.queued (task, task->user_data);
  task->wait = gst_apixo_limiter_acquire_task (task->limiter, task_slot_granted,
                                               task_ref (task));
  return G_SOURCE_REMOVE;
}

void
gst_apixo_task_start (GstApixoTask *task)
{
  gst_apixo_worker_invoke (task->worker, task_begin, task, NULL);
}
