/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_GENERATION_H__
#define __GST_APIXO_GENERATION_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstapixodelivery.h"
#include "gstapixorun.h"
#include "gstapixospool.h"
#include "gstapixoworker.h"

G_BEGIN_DECLS

/* The code of the GST_MESSAGE_PROGRESS messages that track a generation
 * (the download's CANCELED at stop has its own, "download"). */
#define GST_APIXO_GENERATION_PROGRESS_CODE "generate"

/**
 * GstApixoGeneration:
 *
 * One generation's running state, one run of the element after another
 * (created with the element, emptied by gst_apixo_generation_end()): the
 * GstApixoTask on the worker, the GstApixoSpool started the moment the task
 * succeeds, the task id, the first error and its details, the download's
 * completion; and the streaming thread's waits on them.
 *
 * It posts nothing itself: what the element must post goes through the
 * callbacks, on the thread that has it to say (worker, streaming or
 * application thread), never with a lock of ours held.
 */
typedef struct _GstApixoGeneration GstApixoGeneration;

typedef struct {
  /* An "apixo-task" element message to post.  Takes @s. */
  void (*task_message) (GstStructure *s, gpointer user_data);
  /* A GST_MESSAGE_PROGRESS to post (@code: see
   * GST_APIXO_GENERATION_PROGRESS_CODE) with @percent in its "percent"
   * field (-1: GStreamer's default). */
  void (*progress) (GstProgressType type, const gchar *code, const gchar *text,
                    gint percent, gpointer user_data);
  /* An error or warning (@type) to post through the element's error route,
   * with @details (an "apixo-error" structure, taken) and the source
   * location that raised it. */
  void (*error) (GstMessageType type, const GError *error,
                 GstStructure *details, const gchar *file,
                 const gchar *function, gint line, gpointer user_data);
  /* The service gave the task id (stored already: dup_task_id() has it). */
  void (*task_id) (const gchar *task_id, gpointer user_data);
  /* The task ended, whatever the outcome, before anything is posted about
   * it: the service fetched the inputs or never will. */
  void (*task_ended) (gpointer user_data);
} GstApixoGenerationCallbacks;

/* An empty generation reporting through @callbacks (static) with
 * @user_data. */
GstApixoGeneration *
gst_apixo_generation_new (const GstApixoGenerationCallbacks *callbacks,
                          gpointer user_data);

/* After gst_apixo_generation_end() (or before any launch). */
void gst_apixo_generation_free (GstApixoGeneration *gen);

/* Streaming thread: TRUE when nothing was launched yet in this run and no
 * error is stored. */
gboolean gst_apixo_generation_needs_launch (GstApixoGeneration *gen);

/* Streaming thread, before launch(): what this run records and keeps
 * (gstapixodelivery.h).  @claim (taken, released at end(), may be NULL):
 * the journal's record of this run, written as it goes (intent, task id,
 * result, close).  @cache (taken, freed at end(), may be NULL): the result
 * is stored there under @identity's cache key before EOS. */
void gst_apixo_generation_set_pay_once (GstApixoGeneration *gen,
                                        GstApixoClaim *claim,
                                        GstApixoCache *cache,
                                        const GstApixoIdentity *identity,
                                        const GstApixoRunConfig *config);

/* Streaming thread, before launch() with a NULL body: resume @task_id (an
 * earlier run's, from the journal or the element's own replay) rather
 * than config's task-id; @submit_time (Unix µs, 0: unknown) is said in the
 * "resumed" message. */
void gst_apixo_generation_set_resume (GstApixoGeneration *gen,
                                      const gchar *task_id, gint64 submit_time);

/* Streaming thread, before launch(): the heartbeat of a run that waits
 * for another live run of the same request (the journal's lease),
 * @elapsed seconds after it began to: a PROGRESS and a "state" event with
 * waiting-for "same-request", as a task's heartbeat. */
void gst_apixo_generation_post_waiting (GstApixoGeneration *gen,
                                        const GstApixoRunConfig *config,
                                        gdouble elapsed);

/* Streaming thread, before launch() with a body: what the submission
 * costs where a page documents it (USD, billed seconds; < 0: unknown),
 * said in the "submitted" and "balance" messages; the task's check-balance
 * compares the balance with @estimated_cost.  Unknown until set, and again
 * after end(). */
void gst_apixo_generation_set_cost (GstApixoGeneration *gen,
                                    gdouble estimated_cost,
                                    gdouble billed_seconds);

/* Streaming thread, instead of launch(): the result is here already (@fd,
 * taken: a complete file of @size bytes from the cache, a replay or
 * another run), produced by @task_id (may be NULL).  Posts @message (an
 * "apixo-task" structure, taken) with task-id and size added.  Nothing is
 * sent to the service. */
void gst_apixo_generation_serve (GstApixoGeneration *gen,
                                 GstApixoWorker *worker,
                                 GstApixoRunConfig *config, gint fd,
                                 guint64 size, const gchar *task_id,
                                 GstStructure *message);

/* Application thread, in stop() before end(): what a replay of this run
 * can use.  TRUE with *@fd (>= 0, a new descriptor, the caller's) and
 * *@size when the result is complete; TRUE with *@fd -1 and *@task_id
 * when a task was submitted that may still give one; FALSE when nothing
 * is worth keeping. */
gboolean gst_apixo_generation_keep (GstApixoGeneration *gen, gint *fd,
                                    guint64 *size, gchar **task_id);

/* Streaming thread.  Launches the task of @config on @worker (both must
 * stay valid until gst_apixo_generation_end()): with @body (taken), the
 * generateTask body, submitted; with NULL, config's task-id resumed.  When
 * @cancellable was cancelled meanwhile (unlock(): a stop, a flushing seek,
 * an EOS), nothing is submitted and FALSE is returned. */
gboolean gst_apixo_generation_launch (GstApixoGeneration *gen,
                                      GstApixoWorker *worker,
                                      GstApixoRunConfig *config, JsonNode *body,
                                      GCancellable *cancellable);

/* Any thread.  Stores @error (with @details, copied; may be NULL) as the
 * failure to report, unless one is stored already; wakes the waits. */
void gst_apixo_generation_fail (GstApixoGeneration *gen, const GError *error,
                                const GstStructure *details);

/* Streaming thread: reading the result failed for good (@error from
 * gst_apixo_spool_read()).  Stores it with the download's details
 * (http-status, task-id) and posts the stored error. */
void gst_apixo_generation_read_failed (GstApixoGeneration *gen,
                                       const GError *error);

/* Streaming thread.  Posts the stored error (a progress ERROR, then the
 * error), once per run. */
void gst_apixo_generation_post_error (GstApixoGeneration *gen);

/* Streaming thread.  Waits until the result is being downloaded (*spool:
 * alive until gst_apixo_generation_end()), or the task failed (ERROR; the
 * error is stored, not posted), or EOS was requested before any result
 * (EOS), or @cancellable is cancelled (FLUSHING). */
GstFlowReturn gst_apixo_generation_wait_for_spool (GstApixoGeneration *gen,
                                                   GCancellable *cancellable,
                                                   GstApixoSpool **spool);

/* Streaming thread.  At the end of the data: waits until the download has
 * finished (the file is complete, and kept with save-location).  EOS, or
 * FLUSHING when @cancellable is cancelled; a failure to keep the file is
 * posted as a warning (the stream itself is complete: EOS); a failed
 * download (a bound, a result that is not an MP4 file) is posted as the
 * error and gives ERROR. */
GstFlowReturn gst_apixo_generation_wait_downloaded (GstApixoGeneration *gen,
                                                    GCancellable *cancellable);

/* Streaming thread, after a read of the result that ended at @read_end
 * (@pull: in pull mode).  EOS must not go downstream before the file is
 * final: when this read is one that could be followed by EOS, waits for
 * the download to finish (see gst_apixo_generation_wait_downloaded()).
 * FLUSHING when @cancellable is cancelled meanwhile, ERROR when the download
 * failed meanwhile (posted), OK otherwise.  *final: TRUE when the result
 * was final already (every byte in, kept if asked; nothing changes until
 * gst_apixo_generation_end() but the delivery at the read of its end). */
GstFlowReturn gst_apixo_generation_wait_final (GstApixoGeneration *gen,
                                               gboolean pull, guint64 read_end,
                                               GCancellable *cancellable,
                                               gboolean *final);

/* Any thread, after the cancellable of a wait was cancelled: wakes the
 * waits so that they see it. */
void gst_apixo_generation_wake (GstApixoGeneration *gen);

/* Any thread.  The task id (NULL until the service gave it). */
gchar *gst_apixo_generation_dup_task_id (GstApixoGeneration *gen);

/* Any thread.  TRUE and *size once the result's size is known. */
gboolean gst_apixo_generation_get_size (GstApixoGeneration *gen, guint64 *size);

/* Any thread but the worker's (EOS sent to the element, stop).  Stops
 * watching a running task: it keeps running on the service, which has no
 * cancel endpoint; what that leaves behind is said (a progress CANCELED
 * and a warning starting with @why).  Returns promptly. */
void gst_apixo_generation_abandon (GstApixoGeneration *gen, const gchar *why);

/* Application thread (stop(), no streaming thread running).  Abandons the
 * task, frees the spool (saying so if the download was not complete) and
 * empties the generation for the next run. */
void gst_apixo_generation_end (GstApixoGeneration *gen);

G_END_DECLS

#endif /* __GST_APIXO_GENERATION_H__ */
