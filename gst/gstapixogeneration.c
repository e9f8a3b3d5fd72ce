/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * One generation's running state: the task, the spool, the outcome.
 *
 * Thread safety notes
 * -------------------
 * - gen->lock guards the fields below it in struct _GstApixoGeneration
 *   (phase, task, spool, task id, the stored error, the download's
 *   completion).  gen->cond is broadcast whenever one of them changes, and
 *   by wake() after a wait's cancellable was cancelled.  Task and spool
 *   callbacks (worker thread), the streaming thread's waits and
 *   abandon()/end() (application thread) meet there.
 * - callbacks and user_data are set at creation and read-only.  worker,
 *   config and webhook are set by launch() on the streaming thread before
 *   the task is started (gst_apixo_task_start() posts to the worker, which
 *   orders the writes before the callbacks' reads) and cleared by end()
 *   after the task and the spool are freed (no callback runs any more):
 *   no lock.  So are estimated_cost and billed_seconds (set_cost() on the
 *   streaming thread before launch(), reset by end()).
 * - gen->lock is never held while calling the task, a callback, or
 *   anything that cancels; of the spool, only its size is asked under it.
 * - Lock order: gen->lock before the spool's lock (get_size()); the spool
 *   never calls us with its lock held.  The callbacks are called without
 *   gen->lock, so they may take the element's locks and call dup_task_id();
 *   the element calls us without its object lock held.
 * - The worker thread never waits for us; the streaming thread waits only
 *   on gen->cond, and checks the cancellable it is given under gen->lock:
 *   whoever cancels it calls wake() afterwards, which takes gen->lock, so
 *   the wake-up cannot fall between a waiter's check and its wait.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixogeneration.h"
#include "gstapixodebug.h"
#include "gstapixoerror.h"
#include "gstapixomp4.h"
#include "gstapixonetpolicy.h"
#include "gstapixoprogress.h"
#include "gstapixosidecar.h"
#include "gstapixotask.h"

GST_DEBUG_CATEGORY_STATIC (apixo_generation_debug);
#define GST_CAT_DEFAULT apixo_generation_debug

typedef enum {
  PHASE_IDLE,      /* started, nothing sent */
  PHASE_RUNNING,   /* task launched */
  PHASE_SUCCEEDED, /* result known, download under way */
  PHASE_FAILED,
  PHASE_ABANDONED, /* stopped waiting (EOS or stop) */
} Phase;

struct _GstApixoGeneration {
  const GstApixoGenerationCallbacks *callbacks;
  gpointer user_data;

  /* launch() to end(), see the notes */
  GstApixoWorker *worker;
  GstApixoRunConfig *config;
  GstApixoDelivery *delivery; /* the journal's record, the cache entry */
  gchar *resume_id;           /* a task to resume instead of submitting */
  gchar *request_key;       /* the run identity's cache key, for the sidecar */
  gint64 submit_time;       /* the task's submission (Unix µs), 0: unknown */
  gdouble estimated_cost;   /* USD of a submission; < 0: unknown */
  gdouble billed_seconds;   /* of a submission; < 0: unknown */
  GstApixoWebhook *webhook; /* our receiver of the task's deliveries */

  GMutex lock;
  GCond cond;
  Phase phase;
  GstApixoTask *task;
  GstApixoSpool *spool;
  gchar *task_id; /* of the running task */
  GError *error;  /* the failure to report */
  GstStructure *error_details;
  gboolean error_posted;
  gboolean submit_sent;   /* a submission left (task may exist) */
  gboolean download_done; /* every byte is in (and kept if asked) */
  GError *download_error; /* the spool finished with this error */
  guint last_percent;
};

GstApixoGeneration *
gst_apixo_generation_new (const GstApixoGenerationCallbacks *callbacks,
                          gpointer user_data)
{
  GstApixoGeneration *gen = g_new0 (GstApixoGeneration, 1);

  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_generation_debug, "apixogeneration",
                                      0, "APIXO generation state");
  gen->callbacks = callbacks;
  gen->user_data = user_data;
  gen->estimated_cost = gen->billed_seconds = -1;
  g_mutex_init (&gen->lock);
  g_cond_init (&gen->cond);
  return gen;
}

void
gst_apixo_generation_free (GstApixoGeneration *gen)
{
  g_warn_if_fail (gen->task == NULL && gen->spool == NULL);
  g_clear_pointer (&gen->config, gst_apixo_run_config_unref);
  g_free (gen->task_id);
  g_clear_error (&gen->error);
  g_clear_pointer (&gen->error_details, gst_structure_free);
  g_clear_error (&gen->download_error);
  g_mutex_clear (&gen->lock);
  g_cond_clear (&gen->cond);
  g_free (gen);
}

gchar *
gst_apixo_generation_dup_task_id (GstApixoGeneration *gen)
{
  gchar *task_id;

  g_mutex_lock (&gen->lock);
  task_id = g_strdup (gen->task_id);
  g_mutex_unlock (&gen->lock);
  return task_id;
}

/* ---- reporting ------------------------------------------------------------ */

/* What is posted holds strings from the network (task id, state, result
 * URL, fail code and message, reason phrases): the sources refuse or
 * redact the API key already; this is the last guard before the bus.
 * (No config before launch: nothing came from the network then.) */
static gchar *
redact (GstApixoGeneration *gen, const gchar *text)
{
  return gst_apixo_redact (
      text,
      gst_apixo_net_secret_to_find (gen->config ? gen->config->api_key : NULL));
}

static gboolean
redact_field (GQuark field, GValue *value, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;

  if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) != NULL)
    g_value_take_string (value, redact (gen, g_value_get_string (value)));
  return TRUE;
}

/* @s (NULL or owned) with every string field redacted, in place. */
static GstStructure *
redact_structure (GstApixoGeneration *gen, GstStructure *s)
{
  if (s != NULL)
    gst_structure_map_in_place (s, redact_field, gen);
  return s;
}

static GError *
redact_error (GstApixoGeneration *gen, const GError *error)
{
  gchar *message = redact (gen, error->message);
  GError *copy = g_error_new_literal (error->domain, error->code, message);

  g_free (message);
  return copy;
}

/* @percent: -1 when unknown */
static void
post_progress_at (GstApixoGeneration *gen, GstProgressType type,
                  const gchar *code, const gchar *text, gint percent)
{
  gchar *clean = redact (gen, text);

  gen->callbacks->progress (type, code, clean, percent, gen->user_data);
  g_free (clean);
}

static void
post_progress (GstApixoGeneration *gen, GstProgressType type, const gchar *code,
               const gchar *text)
{
  post_progress_at (gen, type, code, text, -1);
}

static void
post_task_message (GstApixoGeneration *gen, GstStructure *s)
{
  gen->callbacks->task_message (redact_structure (gen, s), gen->user_data);
}

/* Takes @details. */
static void
post_error_message (GstApixoGeneration *gen, GstMessageType type,
                    const GError *error, GstStructure *details,
                    const gchar *file, const gchar *function, gint line)
{
  GError *clean = redact_error (gen, error);

  gen->callbacks->error (type, clean, redact_structure (gen, details), file,
                         function, line, gen->user_data);
  g_error_free (clean);
}

/* A GST_RESOURCE_ERROR warning (@code) saying @message, for @reason. */
static void
warn_at (GstApixoGeneration *gen, GstResourceError code, const gchar *reason,
         const gchar *message, const gchar *file, const gchar *function,
         gint line)
{
  GError *error = g_error_new_literal (GST_RESOURCE_ERROR, code, message);

  post_error_message (gen, GST_MESSAGE_WARNING, error,
                      gst_apixo_error_details_new (reason, NULL), file,
                      function, line);
  g_error_free (error);
}

#define warn(gen, code, reason, message)                                       \
  warn_at ((gen), (code), (reason), (message), __FILE__, GST_FUNCTION, __LINE__)

void
gst_apixo_generation_fail (GstApixoGeneration *gen, const GError *error,
                           const GstStructure *details)
{
  g_mutex_lock (&gen->lock);
  if (gen->error == NULL) {
    gen->error = g_error_copy (error);
    gen->error_details = details ? gst_structure_copy (details) : NULL;
  }
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);
}

void
gst_apixo_generation_post_error (GstApixoGeneration *gen)
{
  GError *error = NULL;
  GstStructure *details = NULL;

  g_mutex_lock (&gen->lock);
  if (!gen->error_posted && gen->error != NULL) {
    gen->error_posted = TRUE;
    error = g_error_copy (gen->error);
    details =
        gen->error_details ? gst_structure_copy (gen->error_details) : NULL;
  }
  g_mutex_unlock (&gen->lock);
  if (error == NULL)
    return;

  post_progress (gen, GST_PROGRESS_TYPE_ERROR,
                 GST_APIXO_GENERATION_PROGRESS_CODE, error->message);
  post_error_message (gen, GST_MESSAGE_ERROR, error, details, __FILE__,
                      GST_FUNCTION, __LINE__);
  g_error_free (error);
}

/* ---- the delivery --------------------------------------------------------- */

/* The journal or the cache could not be written. */
static void
delivery_warn (const gchar *text, gpointer user_data)
{
  warn (user_data, GST_RESOURCE_ERROR_WRITE, GST_APIXO_REASON_CACHE_DIRECTORY,
        text);
}

/* A cache store is over (its thread): the result is delivered. */
static void
delivery_done (gpointer data, gpointer unused)
{
  GstApixoGeneration *gen = data;

  g_mutex_lock (&gen->lock);
  gen->download_done = TRUE;
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);
}

/* ---- task callbacks (worker thread) --------------------------------------- */

static void
on_task_queued (GstApixoTask *task, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;

  post_progress (
      gen, GST_PROGRESS_TYPE_CONTINUE, GST_APIXO_GENERATION_PROGRESS_CODE,
      "Waiting for a free task slot (the model's concurrency limit is "
      "reached in this process)");
  post_task_message (gen, gst_structure_new ("apixo-task", "event",
                                             G_TYPE_STRING, "queued", NULL));
}

/* What a submission costs, where a page documents it: "estimated-cost"
 * and "billed-seconds" (doubles), each only when known. */
static void
add_cost_fields (GstApixoGeneration *gen, GstStructure *s)
{
  if (gen->estimated_cost >= 0)
    gst_structure_set (s, "estimated-cost", G_TYPE_DOUBLE, gen->estimated_cost,
                       NULL);
  if (gen->billed_seconds >= 0)
    gst_structure_set (s, "billed-seconds", G_TYPE_DOUBLE, gen->billed_seconds,
                       NULL);
}

/* check-balance read the balance, before submitting. */
static void
on_task_balance (GstApixoTask *task, gdouble usd, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  GstStructure *s =
      gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "balance",
                         "balance", G_TYPE_DOUBLE, usd, NULL);

  if (gen->estimated_cost >= 0)
    gst_structure_set (s, "estimated-cost", G_TYPE_DOUBLE, gen->estimated_cost,
                       NULL);
  post_task_message (gen, s);
}

static void
on_task_submitted (GstApixoTask *task, const gchar *task_id, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  /* resuming (task-id set, or the journal's): nothing was submitted by this
   * run */
  gboolean resumed =
      gen->config->settings.task_id != NULL || gen->resume_id != NULL;
  const gchar *event = resumed ? "resumed" : "submitted";
  GstStructure *s;
  gchar *text;

  g_mutex_lock (&gen->lock);
  g_free (gen->task_id);
  gen->task_id = g_strdup (task_id);
  g_mutex_unlock (&gen->lock);
  gst_apixo_delivery_task_id (gen->delivery, task_id, resumed);

  gen->callbacks->task_id (task_id, gen->user_data);
  text = g_strdup_printf ("Task %s %s", task_id, event);
  post_progress (gen, GST_PROGRESS_TYPE_CONTINUE,
                 GST_APIXO_GENERATION_PROGRESS_CODE, text);
  g_free (text);
  s = gst_structure_new ("apixo-task", "event", G_TYPE_STRING, event, "task-id",
                         G_TYPE_STRING, task_id, NULL);
  /* a task resumed was submitted earlier (said when known); ours now:
   * the cache entry's metadata records it */
  if (!resumed)
    gen->submit_time = g_get_real_time ();
  else if (gen->submit_time > 0)
    gst_structure_set (s, "submit-time", G_TYPE_INT64, gen->submit_time, NULL);
  if (!resumed)
    add_cost_fields (gen, s);
  /* where the tunnel behind public-url must point to reach our receiver */
  if (gen->webhook != NULL && !resumed)
    gst_structure_set (s, "server-port", G_TYPE_UINT,
                       gst_apixo_webhook_get_port (gen->webhook), NULL);
  post_task_message (gen, s);
}

/* A task's progress (gstapixoprogress.h): a GST_MESSAGE_PROGRESS for
 * people, the "state" event for applications. */
static void
post_state (GstApixoGeneration *gen, const GstApixoProgress *p)
{
  gchar *text = gst_apixo_progress_describe (p);

  post_progress_at (gen, GST_PROGRESS_TYPE_CONTINUE,
                    GST_APIXO_GENERATION_PROGRESS_CODE, text,
                    gst_apixo_progress_percent (p));
  g_free (text);
  post_task_message (gen, gst_apixo_progress_new_state_event (p));
}

void
gst_apixo_generation_post_waiting (GstApixoGeneration *gen,
                                   const GstApixoRunConfig *config,
                                   gdouble elapsed)
{
  GstApixoProgress p;

  gst_apixo_progress_init (&p, config);
  p.state = "queued";
  p.elapsed = elapsed;
  p.waiting_for = GST_APIXO_WAITING_SAME_REQUEST;
  p.why = "it holds the request's journal record; its result will be "
          "shared, with no new task";
  post_state (gen, &p);
}

static void
on_task_polled (GstApixoTask *task, const GstApixoTaskStatus *status,
                gboolean changed, guint poll_count, gdouble elapsed,
                gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  static const gchar *const known[] = { "pending", "processing", "success",
                                        "failed", NULL };
  GstApixoProgress p;
  gchar *text;

  if (!changed)
    return;
  if (!g_strv_contains (known, status->state)) {
    text = g_strdup_printf ("Task %s reports state '%s', which this version "
                            "does not know; still waiting for success or "
                            "failed",
                            status->task_id, status->state);
    warn (gen, GST_RESOURCE_ERROR_READ, GST_APIXO_REASON_UNKNOWN_STATE, text);
    g_free (text);
  }

  gst_apixo_progress_init (&p, gen->config);
  p.task_id = status->task_id;
  p.state = status->state;
  p.elapsed = elapsed;
  p.poll_count = poll_count;
  post_state (gen, &p);
}

/* Between polls, and while the task is held back: the same report. */
static void
on_task_heartbeat (GstApixoTask *task, const GstApixoProgress *progress,
                   gpointer user_data)
{
  post_state (user_data, progress);
}

static void spool_progress (GstApixoSpool *spool, guint64 received,
                            gint64 total, gpointer user_data);
static void spool_finished (GstApixoSpool *spool, const GError *error,
                            gpointer user_data);
static gboolean spool_verify (GstApixoSpool *spool, gint fd, guint64 size,
                              GError **error, gpointer user_data);

static const GstApixoSpoolCallbacks spool_callbacks = {
  spool_progress,
  spool_finished,
  spool_verify,
};

/* Stores @error, a failure of the download, with @details (taken); the
 * element's error route adds the task id when it posts it. */
static void
fail_download (GstApixoGeneration *gen, const GError *error,
               GstStructure *details)
{
  gst_apixo_generation_fail (gen, error, details);
  gst_structure_free (details);
}

/* The spool could not be created although start() checked the locations
 * (the disk can change meanwhile): the task is paid for, so say how to
 * fetch its result again. */
static void
fail_spool (GstApixoGeneration *gen, const GError *error)
{
  gchar *task_id = gst_apixo_generation_dup_task_id (gen);
  GError *gst_error;

  gst_error = g_error_new (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
      "%s (save-location, spool-directory). Task %s succeeded: fix the "
      "location and set task-id=%s to fetch its result while its URL is "
      "valid",
      error->message, task_id ? task_id : "?", task_id ? task_id : "?");
  fail_download (gen, gst_error,
                 gst_apixo_error_details_new (GST_APIXO_REASON_DOWNLOAD, NULL));
  g_error_free (gst_error);
  g_free (task_id);
}

/* Worker thread: the download starts the moment the task succeeds, not when
 * downstream asks (result URLs expire; a paused pipeline must not stall). */
static void
start_download (GstApixoGeneration *gen, const gchar *uri)
{
  GstApixoSpool *spool;
  GError *error = NULL;

  spool = gst_apixo_spool_new (gen->worker, gen->config, &spool_callbacks, gen,
                               &error);
  if (spool == NULL) {
    fail_spool (gen, error);
    g_error_free (error);
    return;
  }

  g_mutex_lock (&gen->lock);
  gen->spool = spool;
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);
  gst_apixo_spool_start (spool, uri);
}

static gboolean
copy_field (GQuark field, const GValue *value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

static void
task_failed (GstApixoGeneration *gen, const GError *error,
             const GstStructure *details)
{
  GstStructure *s;

  g_mutex_lock (&gen->lock);
  gen->phase = PHASE_FAILED;
  g_mutex_unlock (&gen->lock);
  s = gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "failed",
                         "message", G_TYPE_STRING, error->message, NULL);
  if (details != NULL)
    gst_structure_foreach (details, copy_field, s);
  post_task_message (gen, s);
  gst_apixo_generation_fail (gen, error, details);
}

static void
on_task_finished (GstApixoTask *task, const GstApixoTaskStatus *status,
                  const GError *error, const GstStructure *details,
                  gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  GstStructure *s;

  gen->callbacks->task_ended (gen->user_data);
  if (error != NULL) {
    gst_apixo_delivery_failed (gen->delivery, error, details);
    task_failed (gen, error, details);
    return;
  }
  gst_apixo_delivery_succeeded (gen->delivery, status->result_uris[0]);

  g_mutex_lock (&gen->lock);
  gen->phase = PHASE_SUCCEEDED;
  g_mutex_unlock (&gen->lock);

  post_progress (gen, GST_PROGRESS_TYPE_COMPLETE,
                 GST_APIXO_GENERATION_PROGRESS_CODE,
                 "Generation complete; downloading the result");
  s = gst_structure_new (
      "apixo-task", "event", G_TYPE_STRING, "success", "task-id", G_TYPE_STRING,
      status->task_id, "state", G_TYPE_STRING, status->state, "result-uri",
      G_TYPE_STRING, status->result_uris[0], "cost-time", G_TYPE_INT64,
      status->cost_time, "create-time", G_TYPE_INT64, status->create_time,
      "complete-time", G_TYPE_INT64, status->complete_time, NULL);
  post_task_message (gen, s);
  start_download (gen, status->result_uris[0]);
}

/* The submission is on its way: stopping from now on may leave a billed
 * task behind even before we know its id. */
static void
on_task_sending (GstApixoTask *task, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;

  g_mutex_lock (&gen->lock);
  gen->submit_sent = TRUE;
  g_mutex_unlock (&gen->lock);
  gst_apixo_delivery_sending (gen->delivery);
}

/* Stopped while the submission waited for a connection: it never left,
 * so nothing is billed and the journal must not hold it as of unknown
 * outcome (the next run would refuse to submit). */
static void
on_task_unsent (GstApixoTask *task, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;

  GST_INFO ("stopped before the submission was sent");
  g_mutex_lock (&gen->lock);
  gen->submit_sent = FALSE;
  g_mutex_unlock (&gen->lock);
  gst_apixo_delivery_unsent (gen->delivery);
}

/* A delivery to our receiver was confirmed (or not) by a status request. */
static void
on_task_confirmed (GstApixoTask *task, gboolean final, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  gchar *task_id = gst_apixo_generation_dup_task_id (gen);

  post_task_message (
      gen, gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "callback",
                              "task-id", G_TYPE_STRING, task_id, "confirmed",
                              G_TYPE_BOOLEAN, final, NULL));
  g_free (task_id);
}

static const GstApixoTaskCallbacks task_callbacks = {
  on_task_queued,    on_task_submitted, on_task_polled,
  on_task_finished,  on_task_sending,   on_task_balance,
  on_task_heartbeat, on_task_confirmed, on_task_unsent,
};

/* ---- spool callbacks (worker thread) -------------------------------------- */

static void
spool_progress (GstApixoSpool *spool, guint64 received, gint64 total,
                gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  guint percent;
  gchar *task_id;

  if (total <= 0)
    return;
  percent = (guint)(received * 100 / (guint64)total);
  g_mutex_lock (&gen->lock);
  if (percent / 10 == gen->last_percent / 10) {
    g_mutex_unlock (&gen->lock);
    return;
  }
  gen->last_percent = percent;
  task_id = g_strdup (gen->task_id);
  g_mutex_unlock (&gen->lock);

  /* Not a GST_MESSAGE_PROGRESS: those track the generation, and an open one
   * would hold gst-launch-1.0 in PAUSED until the whole file is here. */
  post_task_message (
      gen, gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "download",
                              "task-id", G_TYPE_STRING, task_id, "received",
                              G_TYPE_UINT64, received, "total", G_TYPE_INT64,
                              total, "percent", G_TYPE_UINT, percent, NULL));
  g_free (task_id);
}

/* Worker thread, before the download is declared complete (EOS in push
 * mode, the keep at save-location, the cache store all wait for that):
 * every model delivers an MP4 file, so anything else (an error page served
 * as video, a cut or compressed body) is not the result. */
static gboolean
spool_verify (GstApixoSpool *spool, gint fd, guint64 size, GError **error,
              gpointer user_data)
{
  return gst_apixo_mp4_check_fd (fd, size, error);
}

/* Worker.  The result is complete (and kept): its sidecar beside the kept
 * file, and for its cache entry.  Written durably here, like the journal's
 * records: a small file, and EOS must not overtake it. */
static void
write_sidecar (GstApixoGeneration *gen, const gchar *task_id)
{
  const gchar *location = gen->config->settings.save_location;
  GstApixoSidecarInfo info = { gen->config->spec,   task_id,
                               gen->submit_time,    g_get_real_time (),
                               gen->estimated_cost, gen->request_key };
  gchar *json = gst_apixo_sidecar_to_json (&info), *text;
  GError *error = NULL;

  if (location != NULL && !gst_apixo_sidecar_write (location, json, &error)) {
    text = g_strdup_printf ("The result is kept as %s, but where it came from "
                            "could not be written beside it: %s",
                            location, error->message);
    warn (gen, GST_RESOURCE_ERROR_WRITE, GST_APIXO_REASON_DOWNLOAD, text);
    g_free (text);
    g_error_free (error);
  }
  gst_apixo_delivery_set_sidecar (gen->delivery, json);
  g_free (json);
}

static void
spool_finished (GstApixoSpool *spool, const GError *error, gpointer user_data)
{
  GstApixoGeneration *gen = user_data;
  const gchar *location = gen->config->settings.save_location;
  gchar *task_id = gst_apixo_generation_dup_task_id (gen);
  GstStructure *s;

  if (error != NULL) {
    /* The streaming thread reports it when it reads there. */
    GST_WARNING ("download of task %s failed: %s", task_id, error->message);
  } else {
    write_sidecar (gen, task_id);
    /* Posted before the streaming thread may go EOS, so that applications
     * see it first. */
    s = gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "downloaded",
                           "task-id", G_TYPE_STRING, task_id, NULL);
    if (location != NULL)
      gst_structure_set (s, "location", G_TYPE_STRING, location, NULL);
    post_task_message (gen, s);
  }

  /* with a cache, its store's thread says when it is over */
  if (error == NULL &&
      !gst_apixo_delivery_complete (gen->delivery, spool, task_id,
                                    gen->submit_time, delivery_done, gen)) {
    g_free (task_id);
    return;
  }
  g_free (task_id);
  g_mutex_lock (&gen->lock);
  gen->download_done = (error == NULL);
  if (error != NULL && gen->download_error == NULL)
    gen->download_error = g_error_copy (error);
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);
}

/* ---- streaming thread ----------------------------------------------------- */

gboolean
gst_apixo_generation_needs_launch (GstApixoGeneration *gen)
{
  gboolean needs;

  g_mutex_lock (&gen->lock);
  needs = gen->phase == PHASE_IDLE && gen->task == NULL && gen->error == NULL;
  g_mutex_unlock (&gen->lock);
  return needs;
}

void
gst_apixo_generation_set_pay_once (GstApixoGeneration *gen,
                                   GstApixoClaim *claim, GstApixoCache *cache,
                                   const GstApixoIdentity *identity,
                                   const GstApixoRunConfig *config)
{
  g_return_if_fail (gen->delivery == NULL);

  g_free (gen->request_key);
  gen->request_key = g_strdup (identity->cache_key);
  gen->delivery = gst_apixo_delivery_new (
      claim, cache, identity, config->spec->model,
      config->settings.save_location, delivery_warn, gen);
}

void
gst_apixo_generation_set_resume (GstApixoGeneration *gen, const gchar *task_id,
                                 gint64 submit_time)
{
  g_free (gen->resume_id);
  gen->resume_id = g_strdup (task_id);
  gen->submit_time = submit_time;
}

void
gst_apixo_generation_serve (GstApixoGeneration *gen, GstApixoWorker *worker,
                            GstApixoRunConfig *config, gint fd, guint64 size,
                            const gchar *task_id, GstStructure *message)
{
  GstApixoSpool *spool = gst_apixo_spool_new_for_fd (worker, fd, size);

  if (gen->config == NULL) { /* after a cancelled launch, it is set */
    gen->worker = worker;
    gen->config = gst_apixo_run_config_ref (config);
  }
  g_mutex_lock (&gen->lock);
  gen->phase = PHASE_SUCCEEDED;
  gen->spool = spool;
  gen->download_done = TRUE;
  g_free (gen->task_id);
  gen->task_id = g_strdup (task_id);
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);

  if (task_id != NULL)
    gst_structure_set (message, "task-id", G_TYPE_STRING, task_id, NULL);
  gst_structure_set (message, "size", G_TYPE_UINT64, size, NULL);
  /* no progress: no generation was started */
  post_task_message (gen, message);
}

gboolean
gst_apixo_generation_keep (GstApixoGeneration *gen, gint *fd, guint64 *size,
                           gchar **task_id)
{
  gboolean ret;

  *fd = -1;
  *size = 0;
  g_mutex_lock (&gen->lock);
  *task_id = g_strdup (gen->task_id);
  if (gen->spool != NULL && gen->download_done && gen->error == NULL &&
      gen->download_error == NULL) {
    *fd = gst_apixo_spool_dup_fd (gen->spool);
    gst_apixo_spool_get_size (gen->spool, size);
  }
  /* a result, or a task that may still give one */
  ret = *fd >= 0 ||
        (*task_id != NULL && gen->phase != PHASE_FAILED && gen->error == NULL);
  g_mutex_unlock (&gen->lock);
  if (!ret)
    g_clear_pointer (task_id, g_free);
  return ret;
}

/* Releases the claim (its lease: the record stays as it is), the cache and
 * what to resume. */
static void
drop_pay_once (GstApixoGeneration *gen)
{
  g_clear_pointer (&gen->delivery, gst_apixo_delivery_free);
  g_clear_pointer (&gen->resume_id, g_free);
  g_clear_pointer (&gen->request_key, g_free);
  gen->submit_time = 0;
}

void
gst_apixo_generation_set_cost (GstApixoGeneration *gen, gdouble estimated_cost,
                               gdouble billed_seconds)
{
  gen->estimated_cost = estimated_cost;
  gen->billed_seconds = billed_seconds;
}

/* Streaming thread: request-type=callback with public-url and no
 * callback-url: our receiver, registered before the submission leaves (a
 * delivery may come before its answer), its URL sent as @body's
 * callback_url.  FALSE with the error stored (or cancelled). */
static gboolean
launch_webhook (GstApixoGeneration *gen, const GstApixoRunConfig *config,
                JsonNode *body, GCancellable *cancellable)
{
  const GstApixoSettings *s = &config->settings;
  GError *error = NULL;

  if (!config->spec->callback_receiver)
    return TRUE;
  if (gen->webhook == NULL) /* kept after a cancelled launch */
    gen->webhook = gst_apixo_webhook_new (s->public_url, s->server_address,
                                          s->server_port, cancellable, &error);
  if (gen->webhook == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      gst_apixo_generation_fail (gen, error, NULL);
    g_error_free (error);
    return FALSE;
  }
  json_object_set_string_member (json_node_get_object (body), "callback_url",
                                 gst_apixo_webhook_get_url (gen->webhook));
  return TRUE;
}

gboolean
gst_apixo_generation_launch (GstApixoGeneration *gen, GstApixoWorker *worker,
                             GstApixoRunConfig *config, JsonNode *body,
                             GCancellable *cancellable)
{
  GstApixoTask *task;
  gboolean submitting = body != NULL;

  if (gen->config == NULL) { /* again after a cancelled launch */
    gen->worker = worker;
    gen->config = gst_apixo_run_config_ref (config);
  }
  if (submitting && !launch_webhook (gen, config, body, cancellable)) {
    json_node_unref (body);
    drop_pay_once (gen); /* nothing was sent: the next launch decides */
    return FALSE;
  }
  task = gst_apixo_task_new (worker, config, body, gen->resume_id,
                             &task_callbacks, gen);
  gst_apixo_task_set_estimated_cost (task, gen->estimated_cost);
  if (!submitting)
    gst_apixo_task_set_resumed_submit_time (task, gen->submit_time);
  if (submitting && gen->webhook != NULL)
    gst_apixo_task_set_webhook (task, gen->webhook);
  g_mutex_lock (&gen->lock);
  /* unlock() (a stop, a flushing seek, an EOS) may have come since the
   * last wait: never submit then. */
  if (g_cancellable_is_cancelled (cancellable)) {
    g_mutex_unlock (&gen->lock);
    gst_apixo_task_free (task);
    drop_pay_once (gen); /* the next launch decides again */
    return FALSE;
  }
  gen->task = task;
  gen->phase = PHASE_RUNNING;
  g_mutex_unlock (&gen->lock);
  gst_apixo_task_start (task);
  return TRUE;
}

GstFlowReturn
gst_apixo_generation_wait_for_spool (GstApixoGeneration *gen,
                                     GCancellable *cancellable,
                                     GstApixoSpool **spool)
{
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&gen->lock);
  while (gen->spool == NULL && gen->error == NULL &&
         gen->phase != PHASE_ABANDONED &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&gen->cond, &gen->lock);
  /* Flushing first: basesrc's own EOS handling unlocks us and waits for
   * the streaming thread to pause. */
  if (g_cancellable_is_cancelled (cancellable))
    ret = GST_FLOW_FLUSHING;
  else if (gen->error != NULL && gen->spool == NULL)
    ret = GST_FLOW_ERROR;
  else if (gen->spool == NULL && gen->phase == PHASE_ABANDONED)
    ret = GST_FLOW_EOS; /* EOS was requested before any result */
  else
    *spool = gen->spool;
  g_mutex_unlock (&gen->lock);
  return ret;
}

GstFlowReturn
gst_apixo_generation_wait_downloaded (GstApixoGeneration *gen,
                                      GCancellable *cancellable)
{
  GError *error = NULL;
  GstFlowReturn ret = GST_FLOW_EOS;
  GstApixoSpool *spool;

  g_mutex_lock (&gen->lock);
  spool = gen->spool; /* alive until end(), which waits for this thread */
  while (!gen->download_done && gen->download_error == NULL &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&gen->cond, &gen->lock);
  if (g_cancellable_is_cancelled (cancellable))
    ret = GST_FLOW_FLUSHING;
  else if (gen->download_error != NULL)
    error = g_error_copy (gen->download_error);
  g_mutex_unlock (&gen->lock);
  /* The download itself failed (not only the keep): never EOS. */
  if (error != NULL && !gst_apixo_spool_is_complete (spool)) {
    gst_apixo_generation_read_failed (gen, error);
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
  /* streamed to the end: delivered (a kept or cached result's record was
   * closed already) */
  if (ret == GST_FLOW_EOS && error == NULL)
    gst_apixo_delivery_streamed (gen->delivery);

  /* All the data was read; only keeping the file failed (the error says
   * where it stays): the stream itself is complete. */
  if (error != NULL) {
    warn (gen, GST_RESOURCE_ERROR_WRITE, GST_APIXO_REASON_DOWNLOAD,
          error->message);
    g_error_free (error);
  }
  return ret;
}

/* EOS must not go downstream before the file is final (complete, and
 * kept at save-location).  In push mode EOS follows our last bytes: those
 * wait (basesrc itself answers EOS past the known size, without asking
 * us).  In pull mode the demuxer sends EOS after its last read, which
 * need not be at the end of the file (moov at the end: the samples before
 * it come last): a read at the end waits once every byte is in, and so
 * does any read made while the last bytes are in but the download is not
 * over yet.  A read far ahead of the download (a moov at the end, read
 * first) leaves at once, and once the download is over only the end
 * waits (for the file to be kept). */
static gboolean
reads_end (GstApixoSpool *spool, guint64 read_end)
{
  guint64 total;

  return gst_apixo_spool_get_size (spool, &total) && read_end >= total;
}

static gboolean
must_wait_for_final (gboolean pull, GstApixoSpool *spool, guint64 read_end)
{
  gboolean at_end = reads_end (spool, read_end);

  if (!pull)
    return at_end;
  return gst_apixo_spool_has_all (spool) &&
         (at_end || !gst_apixo_spool_is_complete (spool));
}

GstFlowReturn
gst_apixo_generation_wait_final (GstApixoGeneration *gen, gboolean pull,
                                 guint64 read_end, GCancellable *cancellable,
                                 gboolean *final)
{
  GstApixoSpool *spool;
  gboolean done;

  g_mutex_lock (&gen->lock);
  spool = gen->spool; /* alive until end(), which waits for this thread */
  done = gen->download_done;
  g_mutex_unlock (&gen->lock);
  *final = done;
  /* final already (a served result, or a finished download): nothing to
   * wait for; the read of the end delivers the result */
  if (done) {
    if (reads_end (spool, read_end))
      gst_apixo_delivery_streamed (gen->delivery);
    return GST_FLOW_OK;
  }
  if (!must_wait_for_final (pull, spool, read_end))
    return GST_FLOW_OK;
  switch (gst_apixo_generation_wait_downloaded (gen, cancellable)) {
    case GST_FLOW_FLUSHING:
      return GST_FLOW_FLUSHING;
    case GST_FLOW_ERROR:
      return GST_FLOW_ERROR;
    default:
      return GST_FLOW_OK;
  }
}

void
gst_apixo_generation_read_failed (GstApixoGeneration *gen, const GError *error)
{
  GstApixoSpool *spool;

  g_mutex_lock (&gen->lock);
  spool = gen->spool; /* alive until end(), which waits for this thread */
  g_mutex_unlock (&gen->lock);
  fail_download (gen, error, gst_apixo_spool_error_details (spool));
  gst_apixo_generation_post_error (gen);
}

void
gst_apixo_generation_wake (GstApixoGeneration *gen)
{
  g_mutex_lock (&gen->lock);
  g_cond_broadcast (&gen->cond);
  g_mutex_unlock (&gen->lock);
}

gboolean
gst_apixo_generation_get_size (GstApixoGeneration *gen, guint64 *size)
{
  gboolean ret = FALSE;

  g_mutex_lock (&gen->lock);
  if (gen->spool != NULL)
    ret = gst_apixo_spool_get_size (gen->spool, size);
  g_mutex_unlock (&gen->lock);
  return ret;
}

/* ---- the end -------------------------------------------------------------- */

/* Tells the user what stopping to watch a running task leaves behind. */
static void
say_abandoned (GstApixoGeneration *gen, const gchar *why, const gchar *task_id,
               gboolean submit_sent)
{
  gchar *text;

  if (task_id == NULL && !submit_sent) {
    text = g_strdup_printf ("%s before the task was submitted: nothing was "
                            "billed",
                            why);
    post_progress (gen, GST_PROGRESS_TYPE_CANCELED,
                   GST_APIXO_GENERATION_PROGRESS_CODE, text);
  } else if (task_id == NULL) {
    text = g_strdup_printf (
        "%s while the submission was unanswered: the service may have "
        "created the task, and will bill it, but its id never reached us. "
        "Check your APIXO task list before submitting again.",
        why);
    post_progress (gen, GST_PROGRESS_TYPE_CANCELED,
                   GST_APIXO_GENERATION_PROGRESS_CODE, text);
    warn (gen, GST_RESOURCE_ERROR_FAILED, GST_APIXO_REASON_OUTCOME_UNKNOWN,
          text);
  } else {
    text = g_strdup_printf (
        "%s while task %s was still running: the service has no cancel "
        "endpoint, so it may still be billed. %s task-id=%s%s",
        why, task_id,
        gen->delivery != NULL ? "The journal records it: running the same "
                                "again resumes it (or set"
                              : "Set",
        task_id, gen->delivery != NULL ? ")." : " to resume it.");
    post_progress (gen, GST_PROGRESS_TYPE_CANCELED,
                   GST_APIXO_GENERATION_PROGRESS_CODE, text);
    warn (gen, GST_RESOURCE_ERROR_FAILED, GST_APIXO_REASON_ABANDONED, text);
  }
  g_free (text);
}

void
gst_apixo_generation_abandon (GstApixoGeneration *gen, const gchar *why)
{
  GstApixoTask *task;
  gboolean was_running, submit_sent;
  gchar *task_id;

  g_mutex_lock (&gen->lock);
  task = g_steal_pointer (&gen->task);
  g_mutex_unlock (&gen->lock);
  /* Returns promptly (in-flight requests are cancelled, not awaited); after
   * it no task callback runs, so no spool can appear behind our back. */
  gst_apixo_task_free (task);

  g_mutex_lock (&gen->lock);
  was_running = gen->phase == PHASE_RUNNING;
  if (was_running)
    gen->phase = PHASE_ABANDONED;
  task_id = g_strdup (gen->task_id);
  submit_sent = gen->submit_sent;
  g_mutex_unlock (&gen->lock);
  if (was_running)
    say_abandoned (gen, why, task_id, submit_sent);
  g_free (task_id);
}

/* Frees the spool; says so if the download was not complete. */
static void
drop_spool (GstApixoGeneration *gen)
{
  GstApixoSpool *spool;
  gboolean partial;
  gchar *task_id, *text;

  g_mutex_lock (&gen->lock);
  spool = g_steal_pointer (&gen->spool);
  partial = spool != NULL && !gen->download_done;
  task_id = g_strdup (gen->task_id);
  g_mutex_unlock (&gen->lock);
  if (spool != NULL)
    gst_apixo_spool_free (spool);
  if (partial) {
    /* The generation's progress is complete already: the download has its
     * own code, so that this CANCELED does not contradict it. */
    post_progress (gen, GST_PROGRESS_TYPE_CANCELED, "download",
                   "Stopped while downloading the result");
    text = g_strdup_printf ("Stopped before the result of task %s was fully "
                            "downloaded. Set task-id=%s to fetch it again "
                            "while its URL is valid.",
                            task_id, task_id);
    warn (gen, GST_RESOURCE_ERROR_FAILED, GST_APIXO_REASON_DOWNLOAD, text);
    g_free (text);
  }
  g_free (task_id);
}

void
gst_apixo_generation_end (GstApixoGeneration *gen)
{
  gst_apixo_generation_abandon (gen, "Stopped");
  /* a cache store first: it reads the spool's file */
  g_clear_pointer (&gen->delivery, gst_apixo_delivery_free);
  drop_spool (gen);
  /* an open record stays open: the next run of it resumes its task */
  drop_pay_once (gen);
  gen->estimated_cost = gen->billed_seconds = -1;
  /* after the task: deliveries from now on answer 404 */
  g_clear_pointer (&gen->webhook, gst_apixo_webhook_free);

  /* nothing runs any more: the task and the spool are gone */
  g_clear_pointer (&gen->config, gst_apixo_run_config_unref);
  gen->worker = NULL;
  g_mutex_lock (&gen->lock);
  gen->phase = PHASE_IDLE;
  g_clear_pointer (&gen->task_id, g_free);
  g_clear_error (&gen->error);
  g_clear_pointer (&gen->error_details, gst_structure_free);
  gen->error_posted = FALSE;
  gen->submit_sent = FALSE;
  gen->download_done = FALSE;
  g_clear_error (&gen->download_error);
  gen->last_percent = 0;
  g_mutex_unlock (&gen->lock);
}
