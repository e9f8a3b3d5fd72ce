/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The task store and lifecycle.
 *
 * Threading: main context only (see sim-app.h).  sim_media_fetch_async()
 * and sim_render_async() do their work in their own threads and call back
 * on the main context; every such operation holds a task reference and is
 * counted in task->ops and app->pending_ops, so shutdown can cancel them
 * and wait for their callbacks before freeing anything.
 *
 * Timing (unscaled seconds, multiplied by --time-scale): a task is
 * "pending" for min(3, 10% of its generation time), then "processing"
 * until both the drawn generation time has passed and its result is
 * rendered.  A [sim:fail=CODE] task fails 5 s (plus any [sim:delay])
 * after it started processing, or at its generation time if shorter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-tasks.h"
#include "sim-limits.h"
#include "sim-media.h"
#include "sim-render.h"
#include "sim-results.h"
#include "sim-util.h"

#include <glib/gstdio.h>

#define PENDING_MAX_S 3.0
#define PENDING_SHARE 0.1
#define FAIL_AFTER_S 5.0

struct _SimTaskStore {
  SimApp *app;
  GHashTable *by_id;  /* id -> SimTask (ref) */
  GPtrArray *ordered; /* SimTask, creation order (no extra ref) */
  guint any_reached[4];
  SimTaskCompleteFunc complete_func;
  gpointer complete_data;
};

static void task_fail (SimTask *task, const gchar *code, const gchar *msg);
static void task_maybe_succeed (SimTask *task);

SimTaskStore *
sim_task_store_new (SimApp *app, SimTaskCompleteFunc complete_func,
                    gpointer complete_data)
{
  SimTaskStore *store = g_new0 (SimTaskStore, 1);

  store->app = app;
  store->complete_func = complete_func;
  store->complete_data = complete_data;
  store->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)sim_task_unref);
  store->ordered = g_ptr_array_new ();
  return store;
}

static void
clear_timers (SimTask *task)
{
  g_clear_handle_id (&task->pending_timer, g_source_remove);
  g_clear_handle_id (&task->gen_timer, g_source_remove);
  g_clear_handle_id (&task->fail_timer, g_source_remove);
  g_clear_handle_id (&task->callback_timer, g_source_remove);
}

void
sim_task_store_shutdown (SimTaskStore *store)
{
  for (guint i = 0; i < store->ordered->len; i++) {
    SimTask *task = g_ptr_array_index (store->ordered, i);

    clear_timers (task);
    g_cancellable_cancel (task->cancellable);
    g_cancellable_cancel (task->callback_cancellable);
  }
}

void
sim_task_store_free (SimTaskStore *store)
{
  if (store == NULL)
    return;
  g_ptr_array_unref (store->ordered);
  g_hash_table_unref (store->by_id);
  g_free (store);
}

SimTask *
sim_task_ref (SimTask *task)
{
  task->ref_count++;
  return task;
}

static void
media_free0 (gpointer media)
{
  if (media)
    sim_media_free (media);
}

static void
callback_attempt_free (SimCallbackAttempt *a)
{
  g_free (a->fault);
  g_free (a->error);
  g_free (a);
}

void
sim_task_unref (SimTask *task)
{
  if (--task->ref_count > 0)
    return;
  clear_timers (task);
  g_free (task->id);
  g_free (task->key_hash);
  g_free (task->base_url);
  json_node_unref (task->request);
  g_clear_pointer (&task->request_headers, json_node_unref);
  sim_job_free (task->job);
  g_free (task->fail_code);
  g_free (task->fail_msg);
  g_free (task->result_url);
  g_clear_object (&task->cancellable);
  g_clear_object (&task->callback_cancellable);
  g_ptr_array_unref (task->media);
  g_free (task->render_path);
  if (task->work_dir)
    sim_remove_tree (task->work_dir);
  g_free (task->work_dir);
  g_ptr_array_unref (task->callbacks);
  g_free (task);
}

static gboolean
is_final (SimTask *task)
{
  return task->state == SIM_TASK_SUCCESS || task->state == SIM_TASK_FAILED;
}

static void
set_state (SimTask *task, SimTaskState state)
{
  SimTaskStore *store = task->app->tasks;

  task->state = state;
  if (!(task->reached & (1u << state))) {
    task->reached |= 1u << state;
    store->any_reached[state]++;
  }
  sim_app_changed (task->app);
}

/* An async operation starts / ends for @task. */
static void
op_begin (SimTask *task)
{
  sim_task_ref (task);
  task->ops++;
  task->app->pending_ops++;
}

static void
op_end (SimTask *task)
{
  task->ops--;
  task->app->pending_ops--;
  /* Inputs are only needed until the render has read them. */
  if (task->ops == 0 && is_final (task) && task->work_dir) {
    sim_remove_tree (task->work_dir);
    g_clear_pointer (&task->work_dir, g_free);
  }
  sim_task_unref (task);
}

static void
task_complete (SimTask *task, SimTaskState state)
{
  SimApp *app = task->app;
  SimTaskStore *store = app->tasks;

  clear_timers (task);
  g_cancellable_cancel (task->cancellable);
  task->complete_ms = sim_app_wall_ms (app);
  sim_limits_task_finished (app->limits, task->key_hash, task->model);
  set_state (task, state);
  if (task->ops == 0 && task->work_dir) {
    sim_remove_tree (task->work_dir);
    g_clear_pointer (&task->work_dir, g_free);
  }
  g_debug ("task %s: %s", task->id,
           state == SIM_TASK_SUCCESS ? "success" : "failed");
  if (store->complete_func && !app->shutting_down)
    store->complete_func (task, store->complete_data);
}

static const gchar *
default_fail_msg (const gchar *code)
{
  static const struct {
    const gchar *code, *msg;
  } msgs[] = {
    { "CONTENT_VIOLATION", "Content does not meet safety guidelines" },
    { "NSFW_DETECTED", "NSFW content detected" },
    { "PROMPT_TOO_LONG", "The prompt is too long" },
    { "INVALID_PROMPT", "The prompt is invalid" },
    { "INVALID_IMAGE_URL", "Cannot access provided image URL" },
    { "IMAGE_TOO_LARGE", "The image is too large" },
    { "UNSUPPORTED_FORMAT", "The input format is not supported" },
    { "IMAGE_DOWNLOAD_FAILED", "The image could not be downloaded" },
    { "INVALID_PARAMETER", "A model parameter is unsupported or malformed" },
    { "INSUFFICIENT_BALANCE", "Insufficient balance" },
    { "INSUFFICIENT_CREDITS", "Insufficient credits" },
    { "TIMEOUT", "Generation did not finish in time" },
    { "PROCESSING_TIMEOUT", "Processing timed out" },
    { "MODEL_UNAVAILABLE", "The model is temporarily unavailable" },
    { "GENERATION_FAILED", "Video generation failed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (msgs); i++) {
    if (g_str_equal (msgs[i].code, code))
      return msgs[i].msg;
  }
  return NULL;
}

static void
task_fail (SimTask *task, const gchar *code, const gchar *msg)
{
  if (is_final (task))
    return;
  task->fail_code = g_strdup (code);
  task->fail_msg = g_strdup (msg);
  /* SIM CHOICE: a failed task is refunded. */
  task->app->balance += task->cost;
  task->cost = 0;
  task_complete (task, SIM_TASK_FAILED);
}

static void
task_succeed (SimTask *task)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;

  path = sim_results_publish (task->app->results, task->render_path,
                              task->model->name, &error);
  if (path == NULL) {
    g_autofree gchar *msg =
        g_strdup_printf ("Video generation failed: %s", error->message);
    task_fail (task, "GENERATION_FAILED", msg);
    return;
  }
  task->result_url = g_strconcat (task->base_url, path, NULL);
  task_complete (task, SIM_TASK_SUCCESS);
}

static void
task_maybe_succeed (SimTask *task)
{
  if (!is_final (task) && task->gen_elapsed && task->render_path)
    task_succeed (task);
}

/* ---- rendering ------------------------------------------------------ */

static void
render_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  SimTask *task = user_data;
  g_autoptr (GError) error = NULL;
  gchar *path = sim_render_finish (res, &error);

  if (path == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_autofree gchar *msg =
          g_strdup_printf ("Video generation failed: %s", error->message);
      g_warning ("task %s: render failed: %s", task->id, error->message);
      task_fail (task, "GENERATION_FAILED", msg);
    }
  } else if (is_final (task)) {
    g_free (path);
  } else {
    task->render_path = path;
    task_maybe_succeed (task);
  }
  op_end (task);
}

static SimMedia *
media_at (SimTask *task, gint index)
{
  if (index < 0 || (guint)index >= task->media->len)
    return NULL;
  return g_ptr_array_index (task->media, index);
}

static void
start_render (SimTask *task)
{
  SimApp *app = task->app;
  SimJob *job = task->job;
  SimRenderSpec spec = { 0 };
  SimMedia *video = media_at (task, job->video_input);
  SimMedia *audio = media_at (task, job->audio_input);
  gdouble duration = job->duration;

  if (job->size_rule == SIM_SIZE_FROM_IMAGE) {
    SimMedia *img = media_at (task, 0);
    sim_job_choose_size (job, img->width, img->height);
  } else if (job->size_rule == SIM_SIZE_FROM_VIDEO && video) {
    sim_job_choose_size (job, video->width, video->height);
  }

  if (video) {
    gdouble billed;
    gint64 extra;

    if (!(video->duration > 0)) {
      task_fail (task, "INVALID_PARAMETER",
                 "video_urls[0]: the motion video has no known duration");
      return;
    }
    duration = video->duration;
    /* Billed on the motion video's duration, 5 s minimum, 120 s max: the
     * minimum was charged at submission, the rest is charged now. */
    billed = sim_job_billed_seconds (job, duration);
    extra = sim_job_cost (job, billed) - task->cost;
    if (extra > 0) {
      if (extra > app->balance) {
        task_fail (task, "INSUFFICIENT_BALANCE",
                   "Insufficient balance for the motion video's duration");
        return;
      }
      app->balance -= extra;
      task->cost += extra;
    }
  }
  if (job->markers.duration > 0)
    duration = job->markers.duration;
  task->out_duration = duration;

  spec.scene = job->scene;
  spec.width = job->width;
  spec.height = job->height;
  spec.fps = 24;
  spec.duration = duration;
  spec.with_audio = job->with_audio;
  spec.audio_path = audio ? audio->path : NULL;
  spec.prompt = job->prompt;
  spec.seed = job->seed;
  spec.model = task->model->name;
  for (guint i = 0; i < task->media->len && spec.n_images < 3; i++) {
    SimMedia *m = g_ptr_array_index (task->media, i);
    if (m && m->kind == SIM_MEDIA_IMAGE)
      spec.image_paths[spec.n_images++] = m->path;
  }
  spec.video_path = video ? video->path : NULL;
  spec.moov_at_end = job->markers.moov_at_end;
  spec.no_bframes = job->markers.no_bframes;
  spec.bitrate_kbps = job->markers.bitrate_kbps;
  spec.noise = job->markers.noise;

  g_debug ("task %s: rendering %dx%d %.2fs", task->id, spec.width, spec.height,
           spec.duration);
  op_begin (task);
  sim_render_async (&spec, app->cache_dir, task->cancellable, render_done,
                    task);
}

/* ---- inputs --------------------------------------------------------- */

static const gchar *
media_fail_code (SimMediaKind kind, const GError *error)
{
  if (error->domain != SIM_MEDIA_ERROR)
    return kind == SIM_MEDIA_IMAGE ? "INVALID_IMAGE_URL" : "INVALID_PARAMETER";
  switch (error->code) {
    case SIM_MEDIA_ERROR_UNREACHABLE:
    case SIM_MEDIA_ERROR_UNDECODABLE:
      return kind == SIM_MEDIA_IMAGE ? "INVALID_IMAGE_URL"
                                     : "INVALID_PARAMETER";
    case SIM_MEDIA_ERROR_FORMAT:
      return "UNSUPPORTED_FORMAT";
    case SIM_MEDIA_ERROR_TOO_LARGE:
      return kind == SIM_MEDIA_IMAGE ? "IMAGE_TOO_LARGE" : "INVALID_PARAMETER";
    default:
      return "INVALID_PARAMETER";
  }
}

typedef struct {
  SimTask *task;
  guint index;
} FetchData;

static void
fetch_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  FetchData *fd = user_data;
  SimTask *task = fd->task;
  SimInput *in = g_ptr_array_index (task->job->inputs, fd->index);
  g_autoptr (GError) error = NULL;
  SimMedia *media = sim_media_fetch_finish (res, &error);

  if (media == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_debug ("task %s: %s rejected: %s", task->id, in->field, error->message);
      task_fail (task, media_fail_code (in->kind, error), error->message);
    }
  } else {
    g_ptr_array_index (task->media, fd->index) = media;
    task->fetches_left--;
    if (task->fetches_left == 0 && !is_final (task))
      start_render (task);
  }
  g_free (fd);
  op_end (task);
}

static void
start_processing (SimTask *task)
{
  SimApp *app = task->app;
  GPtrArray *inputs = task->job->inputs;

  set_state (task, SIM_TASK_PROCESSING);
  if (task->job->markers.fail_code)
    return; /* the fail timer ends it */
  if (inputs->len == 0) {
    start_render (task);
    return;
  }

  task->work_dir = g_build_filename (app->inputs_dir, task->id, NULL);
  g_mkdir_with_parents (task->work_dir, 0700);
  task->fetches_left = inputs->len;
  for (guint i = 0; i < inputs->len; i++) {
    SimInput *in = g_ptr_array_index (inputs, i);
    FetchData *fd = g_new0 (FetchData, 1);

    fd->task = task;
    fd->index = i;
    op_begin (task);
    sim_media_fetch_async (app->session, in->url, in->field, in->kind,
                           &in->limits, task->work_dir, task->cancellable,
                           fetch_done, fd);
  }
}

/* ---- timers --------------------------------------------------------- */

static gboolean
pending_over (gpointer user_data)
{
  SimTask *task = user_data;

  task->pending_timer = 0;
  start_processing (task);
  return G_SOURCE_REMOVE;
}

static gboolean
generation_over (gpointer user_data)
{
  SimTask *task = user_data;

  task->gen_timer = 0;
  task->gen_elapsed = TRUE;
  task_maybe_succeed (task);
  return G_SOURCE_REMOVE;
}

static gboolean
marker_fail (gpointer user_data)
{
  SimTask *task = user_data;
  const gchar *code = task->job->markers.fail_code;
  const gchar *msg = default_fail_msg (code);
  g_autofree gchar *fallback = NULL;

  task->fail_timer = 0;
  if (msg == NULL)
    msg = fallback = g_strdup_printf ("Simulated failure (%s)", code);
  task_fail (task, code, msg);
  return G_SOURCE_REMOVE;
}

static gdouble
draw_generation_time (SimJob *job)
{
  return g_random_double_range (job->gen_min, job->gen_max) +
         job->markers.delay;
}

SimTask *
sim_tasks_create (SimApp *app, const SimModel *model, const gchar *key_hash,
                  const gchar *base_url, JsonNode *request, SimJob *job,
                  gint64 cost)
{
  SimTaskStore *store = app->tasks;
  SimTask *task = g_new0 (SimTask, 1);
  g_autofree gchar *hex = sim_random_hex (12);
  gdouble total = draw_generation_time (job);
  gdouble pending = MIN (PENDING_MAX_S, PENDING_SHARE * total);

  task->ref_count = 1;
  task->app = app;
  task->id = g_strconcat ("task_", hex, NULL);
  task->model = model;
  task->key_hash = g_strdup (key_hash);
  task->base_url = g_strdup (base_url);
  task->request = request;
  task->job = job;
  task->cost = cost;
  task->create_ms = sim_app_wall_ms (app);
  task->start_us = g_get_monotonic_time ();
  task->due_us = task->start_us + (gint64)sim_app_scaled_ms (app, total) * 1000;
  task->cancellable = g_cancellable_new ();
  task->callback_cancellable = g_cancellable_new ();
  task->media = g_ptr_array_new_with_free_func (media_free0);
  g_ptr_array_set_size (task->media, job->inputs->len);
  task->callbacks =
      g_ptr_array_new_with_free_func ((GDestroyNotify)callback_attempt_free);

  g_hash_table_insert (store->by_id, task->id, task);
  g_ptr_array_add (store->ordered, task);
  sim_limits_task_started (app->limits, key_hash, model);
  set_state (task, SIM_TASK_PENDING);

  task->pending_timer =
      g_timeout_add (sim_app_scaled_ms (app, pending), pending_over, task);
  task->gen_timer =
      g_timeout_add (sim_app_scaled_ms (app, total), generation_over, task);
  if (job->markers.fail_code) {
    gdouble at = MIN (total, pending + FAIL_AFTER_S + job->markers.delay);
    task->fail_timer =
        g_timeout_add (sim_app_scaled_ms (app, at), marker_fail, task);
  }
  g_debug ("task %s (%s): created, %.1f s of generation", task->id, model->name,
           total);
  return task;
}

SimTask *
sim_tasks_lookup (SimApp *app, const gchar *id)
{
  if (id == NULL)
    return NULL;
  return g_hash_table_lookup (app->tasks->by_id, id);
}

guint
sim_tasks_count (SimApp *app)
{
  return app->tasks->ordered->len;
}

static const gchar *const state_names[] = { "pending", "processing", "success",
                                            "failed" };

const gchar *
sim_task_reported_state (SimTask *task)
{
  if (!is_final (task) && task->job->markers.state)
    return task->job->markers.state;
  return state_names[task->state];
}

/* The status endpoint's data object. */
static JsonNode *
status_data (SimTask *task)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, sim_task_reported_state (task));
  if (task->state == SIM_TASK_SUCCESS) {
    g_autoptr (JsonBuilder) rb = json_builder_new ();
    g_autoptr (JsonNode) rn = NULL;
    g_autofree gchar *result_json = NULL;

    json_builder_begin_object (rb);
    json_builder_set_member_name (rb, "resultUrls");
    json_builder_begin_array (rb);
    json_builder_add_string_value (rb, task->result_url);
    json_builder_end_array (rb);
    json_builder_end_object (rb);
    rn = json_builder_get_root (rb);
    result_json = sim_json_to_string (rn);
    json_builder_set_member_name (b, "resultJson");
    json_builder_add_string_value (b, result_json);
  } else if (task->state == SIM_TASK_FAILED) {
    json_builder_set_member_name (b, "failCode");
    json_builder_add_string_value (b, task->fail_code);
    json_builder_set_member_name (b, "failMsg");
    json_builder_add_string_value (b, task->fail_msg);
  }
  json_builder_set_member_name (b, "createTime");
  json_builder_add_int_value (b, task->create_ms);
  if (is_final (task)) {
    json_builder_set_member_name (b, "completeTime");
    json_builder_add_int_value (b, task->complete_ms);
  }
  /* "costTime: Present after successful completion" (wan-2-5-video). */
  if (task->state == SIM_TASK_SUCCESS) {
    json_builder_set_member_name (b, "costTime");
    json_builder_add_int_value (b, task->complete_ms - task->create_ms);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
sim_task_status_envelope (SimTask *task)
{
  return sim_envelope_new (200, "success", status_data (task));
}

static void
add_nullable_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
task_to_json (SimTask *task, JsonBuilder *b)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, task->id);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, task->model->name);
  json_builder_set_member_name (b, "request");
  json_builder_add_value (b, json_node_copy (task->request));
  json_builder_set_member_name (b, "requestHeaders");
  if (task->request_headers)
    json_builder_add_value (b, json_node_copy (task->request_headers));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state_names[task->state]);
  json_builder_set_member_name (b, "reportedState");
  json_builder_add_string_value (b, sim_task_reported_state (task));
  json_builder_set_member_name (b, "createTime");
  json_builder_add_int_value (b, task->create_ms);
  json_builder_set_member_name (b, "completeTime");
  if (is_final (task))
    json_builder_add_int_value (b, task->complete_ms);
  else
    json_builder_add_null_value (b);
  add_nullable_string (b, "failCode", task->fail_code);
  add_nullable_string (b, "failMsg", task->fail_msg);
  json_builder_set_member_name (b, "resultUrls");
  json_builder_begin_array (b);
  if (task->result_url)
    json_builder_add_string_value (b, task->result_url);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "statusPolls");
  json_builder_add_int_value (b, task->status_polls);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, task->job->seed);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, task->job->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, task->job->height);
  json_builder_set_member_name (b, "duration");
  json_builder_add_double_value (
      b, task->out_duration > 0 ? task->out_duration : task->job->duration);
  json_builder_set_member_name (b, "costUsd");
  json_builder_add_double_value (b, task->cost / 1e6);
  add_nullable_string (b, "callbackState", task->callback_state);
  json_builder_set_member_name (b, "callbacks");
  json_builder_begin_array (b);
  for (guint i = 0; i < task->callbacks->len; i++) {
    SimCallbackAttempt *a = g_ptr_array_index (task->callbacks, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "attempt");
    json_builder_add_int_value (b, a->attempt);
    json_builder_set_member_name (b, "time");
    json_builder_add_int_value (b, a->time_ms);
    json_builder_set_member_name (b, "status");
    json_builder_add_int_value (b, a->status);
    json_builder_set_member_name (b, "ok");
    json_builder_add_boolean_value (b, a->ok);
    add_nullable_string (b, "fault", a->fault);
    add_nullable_string (b, "error", a->error);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

JsonNode *
sim_tasks_to_json (SimApp *app, const gchar *task_id)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GPtrArray *ordered = app->tasks->ordered;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  if (task_id) {
    SimTask *task = sim_tasks_lookup (app, task_id);
    if (task)
      task_to_json (task, b);
  } else {
    for (guint i = 0; i < ordered->len; i++)
      task_to_json (g_ptr_array_index (ordered, i), b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

guint
sim_tasks_retry_after (SimApp *app, const gchar *key_hash,
                       const SimModel *model)
{
  GPtrArray *ordered = app->tasks->ordered;
  gint64 now = g_get_monotonic_time ();
  gint64 best = G_MAXINT64;

  for (guint i = 0; i < ordered->len; i++) {
    SimTask *task = g_ptr_array_index (ordered, i);

    if (is_final (task) || task->model != model ||
        g_strcmp0 (task->key_hash, key_hash) != 0)
      continue;
    best = MIN (best, task->due_us - now);
  }
  if (best == G_MAXINT64 || best <= 0)
    return 1;
  return MAX (1, (guint)((best + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
}

static gint
state_index (const gchar *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++) {
    if (g_strcmp0 (state_names[i], state) == 0)
      return i;
  }
  return -1;
}

#define FINAL_MASK ((1u << SIM_TASK_SUCCESS) | (1u << SIM_TASK_FAILED))

static gboolean
task_reached (SimTask *task, const gchar *state, gint index)
{
  /* "final": success or failed */
  if (g_strcmp0 (state, "final") == 0)
    return (task->reached & FINAL_MASK) != 0;
  if (index >= 0)
    return (task->reached & (1u << index)) != 0;
  /* a marker state is reported from creation on */
  return g_strcmp0 (task->job->markers.state, state) == 0;
}

gboolean
sim_tasks_reached (SimApp *app, const gchar *task_id, const gchar *state)
{
  SimTaskStore *store = app->tasks;
  gint index = state_index (state);

  if (task_id) {
    SimTask *task = sim_tasks_lookup (app, task_id);
    return task && task_reached (task, state, index);
  }
  if (g_strcmp0 (state, "final") == 0)
    return store->any_reached[SIM_TASK_SUCCESS] +
               store->any_reached[SIM_TASK_FAILED] >
           0;
  if (index >= 0)
    return store->any_reached[index] > 0;
  for (guint i = 0; i < store->ordered->len; i++) {
    if (task_reached (g_ptr_array_index (store->ordered, i), state, -1))
      return TRUE;
  }
  return FALSE;
}
