/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_TASKS_H__
#define __SIM_TASKS_H__

#include <json-glib/json-glib.h>

#include "sim-app.h"
#include "sim-models.h"

G_BEGIN_DECLS

/*
 * Tasks and their lifecycle: pending -> processing -> success | failed.
 * Pending lasts a short queueing time; processing fetches and checks the
 * inputs (sim-media), renders the result (sim-render) and lasts at least
 * the model's typical generation time (scaled); then the result is
 * published (sim-results) and the task completion hook is called (in
 * callback mode sim-callbacks delivers it).  Main context only (see
 * sim-app.h).
 */

typedef enum {
  SIM_TASK_PENDING,
  SIM_TASK_PROCESSING,
  SIM_TASK_SUCCESS,
  SIM_TASK_FAILED,
} SimTaskState;

typedef struct {
  guint attempt;  /* 1 = first delivery */
  gint64 time_ms; /* when the attempt ended (wall ms, sim clock) */
  guint status;   /* receiver's HTTP status, 0: no answer */
  gboolean ok;    /* counted as delivered */
  gchar *fault;   /* injected fault, or NULL */
  gchar *error;   /* transport problem, or NULL */
} SimCallbackAttempt;

struct _SimTask {
  gint ref_count;
  SimApp *app;
  gchar *id;
  const SimModel *model;
  gchar *key_hash;
  JsonNode *request;         /* the body as received */
  JsonNode *request_headers; /* its headers but Authorization, or NULL */
  SimJob *job;
  gchar *base_url; /* result URLs: http://host:port */

  SimTaskState state;
  guint reached; /* 1 << SimTaskState of every state entered */
  gint64 create_ms, complete_ms;
  gint64 start_us, due_us; /* monotonic: created, expected completion */
  gchar *fail_code, *fail_msg;
  gchar *result_url;
  guint64 status_polls;
  gint64 cost; /* micro-USD charged so far */
  gdouble out_duration;

  /* lifecycle */
  guint pending_timer, gen_timer, fail_timer;
  gboolean gen_elapsed;
  GCancellable *cancellable; /* fetches and render */
  GPtrArray *media;          /* SimMedia per input (NULL until fetched) */
  guint fetches_left;
  guint ops; /* async operations in flight */
  gchar *render_path;
  gchar *work_dir;

  /* callback delivery (sim-callbacks.c) */
  GPtrArray *callbacks;        /* SimCallbackAttempt */
  const gchar *callback_state; /* NULL, "pending", "delivered", "failed" */
  guint callback_timer;
  GCancellable *callback_cancellable;
};

/* Called once when a task reaches success or failed (not during
 * shutdown).  The layer above that acts on finished tasks (sim-callbacks)
 * is passed in by the entry point, so the lifecycle never calls up into
 * it. */
typedef void (*SimTaskCompleteFunc) (SimTask *task, gpointer user_data);

/* @complete_func: may be NULL. */
SimTaskStore *sim_task_store_new (SimApp *app,
                                  SimTaskCompleteFunc complete_func,
                                  gpointer complete_data);
/* Cancels everything in flight (call before draining the loop). */
void sim_task_store_shutdown (SimTaskStore *store);
void sim_task_store_free (SimTaskStore *store);

SimTask *sim_task_ref (SimTask *task);
void sim_task_unref (SimTask *task);

/* Creates and starts a task (@request and @job are taken). */
SimTask *sim_tasks_create (SimApp *app, const SimModel *model,
                           const gchar *key_hash, const gchar *base_url,
                           JsonNode *request, SimJob *job, gint64 cost);
SimTask *sim_tasks_lookup (SimApp *app, const gchar *id);
guint sim_tasks_count (SimApp *app);

/* The state the status endpoint reports (a [sim:state=X] marker shows X
 * while the task runs). */
const gchar *sim_task_reported_state (SimTask *task);
/* The status endpoint's envelope (also the callback body). */
JsonNode *sim_task_status_envelope (SimTask *task);

/* GET /__sim/tasks (@task_id: only that task, may be NULL). */
JsonNode *sim_tasks_to_json (SimApp *app, const gchar *task_id);

/* Seconds until one of the key's running tasks of @model should end. */
guint sim_tasks_retry_after (SimApp *app, const gchar *key_hash,
                             const SimModel *model);
/* /__sim/wait: has @task_id (NULL: any task) reached @state?  The
 * pseudo-state "final" means success or failed. */
gboolean sim_tasks_reached (SimApp *app, const gchar *task_id,
                            const gchar *state);

G_END_DECLS

#endif /* __SIM_TASKS_H__ */
