/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * GstApixoBaseSrc: what every apixo element shares.
 *
 * Thread safety notes
 * -------------------
 * - The object lock (GST_OBJECT_LOCK) guards priv->settings, the property
 *   values: set_property and get_property hold it around the calls into
 *   gstapixosettings.c that write and read them (a task-id read asks the
 *   generation for the running task's id first, without the object lock).
 *   It also guards priv->cancellable, the one the streaming thread's waits
 *   take (replaced by unlock_stop()), and priv->uri_error and
 *   priv->uri_property, what the last apixo:// URI could not set (written
 *   by set_uri(), posted by start()).  start() snapshots the settings into
 *   priv->config, the run configuration (immutable, shared by reference
 *   with the task, the client and the spool), so a property changed while
 *   running cannot tear a request in half.  priv->config and
 *   priv->resuming are set in start() and read-only until stop().
 *   priv->worker is acquired by the streaming thread the first time the
 *   run needs it (not for a result that is here already: a thread start
 *   saved), and released by stop(), when no streaming thread runs.
 *   priv->request and priv->local_inputs are created and filled on the
 *   streaming thread before the task is started; the worker (generation
 *   callbacks) only uses priv->local_inputs after that, to describe and
 *   withdraw them.  priv->tags_sent and priv->duration_set: streaming
 *   thread only (and start(), before it runs).
 * - priv->generation (gstapixogeneration.c) has its own lock for the
 *   running state (task, spool, task id, stored error); its callbacks come
 *   without it held, on the worker, streaming or application thread.
 * - Lock order: the object lock is never held while calling the
 *   generation, the spool or the local inputs, nor while cancelling
 *   priv->cancellable (its "cancelled" handlers run synchronously, an
 *   application's included).
 * - The worker thread never waits for us; the streaming thread waits only
 *   in the generation's waits, gst_apixo_spool_read() and the local
 *   inputs' resolve(), all given priv->cancellable, which unlock()
 *   cancels.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixobasesrc.h"
#include "gstapixobalance.h"
#include "gstapixoclient.h"
#include "gstapixoerror.h"
#include "gstapixogeneration.h"
#include "gstapixohttp.h"
#include "gstapixolocalinputs.h"
#include "gstapixopayonce.h"
#include "gstapixosettings.h"
#include "gstapixospool.h"
#include "gstapixotags.h"
#include "gstapixotask.h"
#include "gstapixoworker.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_base_src_debug);
#define GST_CAT_DEFAULT apixo_base_src_debug

#define DEFAULT_BLOCKSIZE (64 * 1024)

/* The shared properties (gstapixosettings.c: the table, the values) take
 * the ids from PROP_SETTINGS on; the base class has no other property. */
enum {
  PROP_0,
  PROP_SETTINGS,
};

enum {
  SIGNAL_UPLOAD,
  SIGNAL_VALIDATE,
  SIGNAL_READ_BALANCE,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

typedef struct {
  GstApixoSettings settings; /* object lock */
  GCancellable *cancellable; /* object lock */
  GError *uri_error;         /* object lock */
  gchar *uri_property;       /* object lock */

  /* The running state of this run's generation: its own lock. */
  GstApixoGeneration *generation;

  /* Streaming thread (first need) and stop(): see the notes. */
  GstApixoWorker *worker;
  GstApixoRunConfig *config; /* this run's settings, request and key */
  gboolean resuming;         /* set before build_spec is called */

  /* The request with its local inputs resolved: streaming thread, from
   * the first launch_task() to stop(). */
  GstApixoRequestSpec *request;

  /* Local inputs of this run: created on the streaming thread before
   * submission (launch_task), withdrawn when the task ends (worker
   * thread), freed in stop(). */
  GstApixoLocalInputs *local_inputs;

  /* This run's identity (start() or the streaming thread's launch_task(),
   * to stop()) and what the last run left for a replay (application thread
   * in start(), stop() and at NULL, streaming thread in launch_task():
   * never at once). */
  GstApixoIdentity *identity;
  GstApixoKept *kept;
  /* The cache this run's result came from (start() or the streaming
   * thread, then stop()): its use is noted at stop(), off the hit's path. */
  GstApixoCache *hit_cache;

  /* The spool of a final result and its size (streaming thread, from the
   * first read that found it final to stop()): a read that does not reach
   * its end needs nothing else (read_final()). */
  GstApixoSpool *final_spool;
  guint64 final_size;

  gboolean progress_started; /* streaming thread */
  gboolean tags_sent;        /* streaming thread */
  gboolean duration_set;     /* streaming thread */

  gint posted_error; /* atomic: our own error is on the bus */
} GstApixoBaseSrcPrivate;

static void gst_apixo_base_src_uri_handler_init (gpointer g_iface,
                                                 gpointer iface_data);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    GstApixoBaseSrc, gst_apixo_base_src, GST_TYPE_BASE_SRC,
    G_ADD_PRIVATE (GstApixoBaseSrc)
        G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
                               gst_apixo_base_src_uri_handler_init)
            GST_DEBUG_CATEGORY_INIT (apixo_base_src_debug, "apixobasesrc", 0,
                                     "APIXO generation source base class"));

#define PRIV(self)                                                             \
  ((GstApixoBaseSrcPrivate *)gst_apixo_base_src_get_instance_private (self))

static void gst_apixo_base_src_finalize (GObject *object);
static void gst_apixo_base_src_set_property (GObject *object, guint prop_id,
                                             const GValue *value,
                                             GParamSpec *pspec);
static void gst_apixo_base_src_get_property (GObject *object, guint prop_id,
                                             GValue *value, GParamSpec *pspec);
static gboolean gst_apixo_base_src_post_message (GstElement *element,
                                                 GstMessage *message);
static gboolean gst_apixo_base_src_send_event (GstElement *element,
                                               GstEvent *event);
static GstStateChangeReturn
gst_apixo_base_src_change_state (GstElement *element,
                                 GstStateChange transition);
static gboolean gst_apixo_base_src_start (GstBaseSrc *bsrc);
static gboolean gst_apixo_base_src_stop (GstBaseSrc *bsrc);
static gboolean gst_apixo_base_src_unlock (GstBaseSrc *bsrc);
static gboolean gst_apixo_base_src_unlock_stop (GstBaseSrc *bsrc);
static gboolean gst_apixo_base_src_event (GstBaseSrc *bsrc, GstEvent *event);
static gboolean gst_apixo_base_src_query (GstBaseSrc *bsrc, GstQuery *query);
static gboolean gst_apixo_base_src_is_seekable (GstBaseSrc *bsrc);
static gboolean gst_apixo_base_src_get_size (GstBaseSrc *bsrc, guint64 *size);
static GstFlowReturn gst_apixo_base_src_create (GstBaseSrc *bsrc,
                                                guint64 offset, guint size,
                                                GstBuffer **buf);

static gboolean check_paths (GstApixoBaseSrc *self, const GstApixoSettings *run,
                             const GstApixoRequestSpec *spec,
                             const gchar **property, GError **error);

static GstStructure *gst_apixo_base_src_validate (GstApixoBaseSrc *self);
static GstStructure *gst_apixo_base_src_read_balance (GstApixoBaseSrc *self);

static const GstApixoGenerationCallbacks generation_callbacks;

/* ---- class --------------------------------------------------------------- */

static void
install_signals (GObjectClass *gobject_class)
{
  /**
   * GstApixoBaseSrc::upload:
   * @src: the element
   * @data: the bytes of a local input (an image, a motion video, a sound),
   *   mapped read-only from its file (a file:// input's own file must not
   *   be truncated while the handler reads it)
   * @content_type: its MIME type, found from the data ("image/png", ...)
   * @cancellable: cancelled when the element is told to stop (a state
   *   change to READY or NULL, a flushing seek): a handler that takes time
   *   should watch it (pass it to its GIO calls, or connect to it) and
   *   return NULL as soon as it fires, or the state change waits for it
   *
   * For applications that store media themselves (e.g. on object
   * storage): store @data where the APIXO service can fetch it and return
   * its http(s) URL (or NULL to fail the element).  Called on a streaming
   * thread before the task is submitted.  When connected, it is used
   * instead of the embedded media server (public-url).
   *
   * Returns: (transfer full) (nullable): the URL
   */
  signals[SIGNAL_UPLOAD] = g_signal_new (
      "upload", G_TYPE_FROM_CLASS (gobject_class), G_SIGNAL_RUN_LAST, 0,
      g_signal_accumulator_first_wins, NULL, NULL, G_TYPE_STRING, 3,
      G_TYPE_BYTES, G_TYPE_STRING, G_TYPE_CANCELLABLE);

  /**
   * GstApixoBaseSrc::validate:
   * @src: the element, in NULL or READY
   *
   * Runs the checks start() runs (the same code: properties, the model's
   * rules, local inputs, save-location, max-cost, the API key) on the
   * current properties, without starting and without sending anything;
   * for applications that check many requests before paying for any
   * (gst-apixo-batch).  A structure "apixo-validation": "valid"
   * (boolean); when valid, "model", "size" (the "W*H" the request asks
   * for, when it names one), "estimated-cost" (double, USD, where
   * a price is documented and the run submits), "billed-seconds" (double,
   * when known), "concurrent-tasks" and "requests-per-minute" (uint, the
   * model's documented limits), "request-key" (the run identity's cache
   * key, as in the sidecar of a result it makes; only for a submission
   * without local inputs, whose digests are not read here); when not,
   * "error" (the GError start() would post), "message" and the fields of
   * its "apixo-error" details ("reason", "property", "model",
   * "estimated-cost").  A local input's billed seconds are only known
   * once probed: not here.
   *
   * Returns: (transfer full): the verdict
   */
  signals[SIGNAL_VALIDATE] =
      g_signal_new_class_handler ("validate", G_TYPE_FROM_CLASS (gobject_class),
                                  G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                                  G_CALLBACK (gst_apixo_base_src_validate),
                                  NULL, NULL, NULL, GST_TYPE_STRUCTURE, 0);

  /**
   * GstApixoBaseSrc::read-balance:
   * @src: the element, in NULL or READY
   *
   * Reads the account's balance once (GET apikeys/current-balance) with
   * the element's base-url, key and HTTP settings, through the shared
   * worker, blocking the caller until the answer (bounded by "timeout");
   * not retried.  The properties must pass "validate" first.  A structure
   * "apixo-balance": "valid" TRUE and "balance" (double, USD), or "valid"
   * FALSE, "error" and "message".
   *
   * Returns: (transfer full): the balance or why not
   */
  signals[SIGNAL_READ_BALANCE] = g_signal_new_class_handler (
      "read-balance", G_TYPE_FROM_CLASS (gobject_class),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_apixo_base_src_read_balance), NULL, NULL, NULL,
      GST_TYPE_STRUCTURE, 0);
}

static void
gst_apixo_base_src_class_init (GstApixoBaseSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);

  gobject_class->finalize = gst_apixo_base_src_finalize;
  gobject_class->set_property = gst_apixo_base_src_set_property;
  gobject_class->get_property = gst_apixo_base_src_get_property;
  gst_apixo_settings_install_properties (gobject_class, PROP_SETTINGS);
  install_signals (gobject_class);
  klass->image_uri_property = "image-uris";
  klass->video_uri_property = "video-uris";

  GST_ELEMENT_CLASS (klass)->post_message =
      GST_DEBUG_FUNCPTR (gst_apixo_base_src_post_message);

  GST_ELEMENT_CLASS (klass)->send_event =
      GST_DEBUG_FUNCPTR (gst_apixo_base_src_send_event);
  GST_ELEMENT_CLASS (klass)->change_state =
      GST_DEBUG_FUNCPTR (gst_apixo_base_src_change_state);

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_apixo_base_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_apixo_base_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_apixo_base_src_unlock);
  basesrc_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_apixo_base_src_unlock_stop);
  basesrc_class->is_seekable =
      GST_DEBUG_FUNCPTR (gst_apixo_base_src_is_seekable);
  basesrc_class->get_size = GST_DEBUG_FUNCPTR (gst_apixo_base_src_get_size);
  basesrc_class->create = GST_DEBUG_FUNCPTR (gst_apixo_base_src_create);
  basesrc_class->event = GST_DEBUG_FUNCPTR (gst_apixo_base_src_event);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_apixo_base_src_query);

  gst_type_mark_as_plugin_api (GST_TYPE_APIXO_BASE_SRC, 0);
}

static void
gst_apixo_base_src_init (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  /* on the thread that makes the element, before any streaming thread
   * can start the worker (gstapixoworker.c says why) */
  gst_apixo_worker_ensure_types ();
  gst_apixo_settings_init (&priv->settings);
  priv->cancellable = g_cancellable_new ();
  priv->generation = gst_apixo_generation_new (&generation_callbacks, self);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
  gst_base_src_set_dynamic_size (GST_BASE_SRC (self), TRUE);
}

static void
gst_apixo_base_src_finalize (GObject *object)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (object));

  gst_apixo_settings_clear (&priv->settings);
  g_clear_error (&priv->uri_error);
  g_clear_pointer (&priv->uri_property, g_free);
  g_clear_pointer (&priv->kept, gst_apixo_kept_free);
  g_clear_object (&priv->cancellable);
  gst_apixo_generation_free (priv->generation);
  G_OBJECT_CLASS (gst_apixo_base_src_parent_class)->finalize (object);
}

static void
gst_apixo_base_src_set_property (GObject *object, guint prop_id,
                                 const GValue *value, GParamSpec *pspec)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (object));
  gboolean known;

  GST_OBJECT_LOCK (object);
  known = gst_apixo_settings_set_property (&priv->settings,
                                           prop_id - PROP_SETTINGS, value);
  GST_OBJECT_UNLOCK (object);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_apixo_base_src_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (object);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoSettings *s = &priv->settings;
  gboolean known;

  /* The settings know nothing of the running task: its id comes first. */
  if (g_str_equal (pspec->name, "task-id")) {
    gchar *id;

    id = gst_apixo_generation_dup_task_id (priv->generation);
    if (id == NULL) {
      GST_OBJECT_LOCK (object);
      id = g_strdup (s->task_id);
      GST_OBJECT_UNLOCK (object);
    }
    g_value_take_string (value, id);
    return;
  }

  GST_OBJECT_LOCK (object);
  known = gst_apixo_settings_get_property (s, prop_id - PROP_SETTINGS, value);
  GST_OBJECT_UNLOCK (object);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

/* ---- messages ------------------------------------------------------------ */

/* TRUE for the errors GstBaseSrc posts on our behalf when create() or
 * start() fail ("Internal data stream error", "state change failed"). */
static gboolean
is_generic_error (GstMessage *message)
{
  GError *error = NULL;
  const GstStructure *details = NULL;
  gboolean generic;

  gst_message_parse_error (message, &error, NULL);
  gst_message_parse_error_details (message, &details);
  generic =
      g_error_matches (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE) ||
      (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED) &&
       details != NULL && gst_structure_has_field (details, "flow-return"));
  g_error_free (error);
  return generic;
}

/* Once we posted an error that says what went wrong, the generic ones that
 * GstBaseSrc adds after it only hide it: they are dropped. */
static gboolean
gst_apixo_base_src_post_message (GstElement *element, GstMessage *message)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (element));

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR &&
      GST_MESSAGE_SRC (message) == GST_OBJECT_CAST (element)) {
    if (!is_generic_error (message)) {
      g_atomic_int_set (&priv->posted_error, 1);
    } else if (g_atomic_int_get (&priv->posted_error)) {
      GST_DEBUG_OBJECT (element, "dropping a generic error after ours");
      gst_message_unref (message);
      return FALSE;
    }
  }
  return GST_ELEMENT_CLASS (gst_apixo_base_src_parent_class)
      ->post_message (element, message);
}

void
gst_apixo_base_src_post_task_message (GstApixoBaseSrc *self, GstStructure *s)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  if (priv->config != NULL && !gst_structure_has_field (s, "model"))
    gst_structure_set (s, "model", G_TYPE_STRING, priv->config->spec->model,
                       NULL);
  if (priv->local_inputs != NULL)
    gst_apixo_local_inputs_describe (priv->local_inputs, s);
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_element (GST_OBJECT (self), s));
}

/* Every error and warning of the element leaves through here (any thread):
 * the "apixo-error" details (gstapixoerror.h) get the model and the task
 * of this run when they do not say them already.  Takes @details. */
static void
post_error_full (GstApixoBaseSrc *self, GstMessageType type,
                 const GError *error, GstStructure *details, const gchar *file,
                 const gchar *function, gint line)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  gchar *task_id;

  if (details == NULL)
    details = gst_structure_new_empty (GST_APIXO_ERROR_DETAILS_NAME);
  if (priv->config != NULL &&
      !gst_structure_has_field (details, GST_APIXO_ERROR_FIELD_MODEL))
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_MODEL, G_TYPE_STRING,
                       priv->config->spec->model, NULL);
  task_id = gst_apixo_generation_dup_task_id (priv->generation);
  if (task_id != NULL &&
      !gst_structure_has_field (details, GST_APIXO_ERROR_FIELD_TASK_ID))
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_TASK_ID, G_TYPE_STRING,
                       task_id, NULL);
  g_free (task_id);
  gst_apixo_error_post (GST_ELEMENT (self), type, error, details, file,
                        function, line);
}

#define post_error(self, type, error, details)                                 \
  post_error_full ((self), (type), (error), (details), __FILE__, GST_FUNCTION, \
                   __LINE__)

/* ---- generation callbacks ------------------------------------------------- */

static void
on_task_message (GstStructure *s, gpointer user_data)
{
  gst_apixo_base_src_post_task_message (user_data, s);
}

static void
on_progress_at (GstProgressType type, const gchar *code, const gchar *text,
                gint percent, gpointer user_data)
{
  GstMessage *message = gst_message_new_progress (user_data, type, code, text);

  /* GStreamer's constructor leaves the percent field at 0 or 100 */
  if (percent >= 0)
    gst_structure_set (gst_message_writable_structure (message), "percent",
                       G_TYPE_INT, percent, NULL);
  gst_element_post_message (user_data, message);
}

static void
on_progress (GstProgressType type, const gchar *code, const gchar *text,
             gpointer user_data)
{
  on_progress_at (type, code, text, -1, user_data);
}

static void
on_error (GstMessageType type, const GError *error, GstStructure *details,
          const gchar *file, const gchar *function, gint line,
          gpointer user_data)
{
  post_error_full (user_data, type, error, details, file, function, line);
}

static void
on_task_id (const gchar *task_id, gpointer user_data)
{
  g_object_notify (user_data, "task-id");
}

/* The service fetched the inputs (or never will): stop serving them. */
static void
on_task_ended (gpointer user_data)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (user_data));

  if (priv->local_inputs != NULL)
    gst_apixo_local_inputs_withdraw (priv->local_inputs);
}

static const GstApixoGenerationCallbacks generation_callbacks = {
  on_task_message, on_progress_at, on_error, on_task_id, on_task_ended,
};

/* ---- apixo:// URIs (GstURIHandler) --------------------------------------- */

static void
uri_target (GstApixoBaseSrc *self, GstApixoUriTarget *target)
{
  target->own_type = GST_TYPE_APIXO_BASE_SRC;
  target->aliases = GST_APIXO_BASE_SRC_GET_CLASS (self)->uri_aliases;
}

static gchar *
gst_apixo_base_src_uri_get_uri (GstURIHandler *handler)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (handler);
  GstApixoBaseSrcClass *klass = GST_APIXO_BASE_SRC_GET_CLASS (self);
  GstApixoUriTarget target;
  g_autofree gchar *model = NULL, *task_id = NULL;

  uri_target (self, &target);
  if (klass->uri_model != NULL)
    model = g_strdup (klass->uri_model);
  else
    g_object_get (self, "model", &model, NULL);
  /* the task the user designated, not the one this run submitted: a
   * request's URI stays a request's (the cache serves it) */
  GST_OBJECT_LOCK (self);
  task_id = g_strdup (PRIV (self)->settings.task_id);
  GST_OBJECT_UNLOCK (self);
  return gst_apixo_uri_canonical (G_OBJECT (self), &target, model, task_id);
}

/* Another element serves what this one does not (apixoanimate the
 * wan-2-2-animate URIs): refusing lets playbin and uridecodebin try it. */
static gboolean
serves_model (GstApixoBaseSrcClass *klass, const gchar *model, GError **error)
{
  gboolean served =
      klass->uri_model != NULL
          ? g_strcmp0 (model, klass->uri_model) == 0
          : model == NULL || klass->uri_refused_models == NULL ||
                !g_strv_contains (klass->uri_refused_models, model);

  if (!served)
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
                 "%s does not make model %s", G_OBJECT_CLASS_NAME (klass),
                 model ? model : "(none)");
  return served;
}

/* TRUE for any well-formed apixo URI of a model this element serves, so
 * that playbin picks it and start() reports what is wrong in it (nothing
 * is sent then), with the property it concerns. */
static gboolean
gst_apixo_base_src_uri_set_uri (GstURIHandler *handler, const gchar *uri,
                                GError **error)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (handler);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  g_autoptr (GstApixoUri) parsed = NULL;
  GstApixoUriTarget target;
  const gchar *property = NULL;
  GError *settings_error = NULL;
  gboolean running;

  GST_OBJECT_LOCK (self);
  running = GST_STATE (self) > GST_STATE_READY;
  GST_OBJECT_UNLOCK (self);
  if (running) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
                 "The URI of a running apixo element cannot change");
    return FALSE;
  }
  parsed = gst_apixo_uri_parse (uri, error);
  if (parsed == NULL ||
      !serves_model (GST_APIXO_BASE_SRC_GET_CLASS (self), parsed->model, error))
    return FALSE;
  uri_target (self, &target);
  gst_apixo_uri_apply (parsed, G_OBJECT (self), &target, &property,
                       &settings_error);
  GST_OBJECT_LOCK (self);
  g_clear_error (&priv->uri_error);
  g_free (priv->uri_property);
  priv->uri_error = settings_error;
  priv->uri_property = g_strdup (property);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_apixo_base_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_apixo_uri_handler_get_type;
  iface->get_protocols = gst_apixo_uri_handler_get_protocols;
  iface->get_uri = gst_apixo_base_src_uri_get_uri;
  iface->set_uri = gst_apixo_base_src_uri_set_uri;
}

/* ---- start / stop -------------------------------------------------------- */

/* The "apixo-error" details of what start() refuses: reason "settings",
 * @property when the check knows it, the model once @spec is built, and
 * the estimate of a max-cost refusal (< 0: none). */
static GstStructure *
start_error_details (const GstApixoRequestSpec *spec, const gchar *property,
                     gdouble estimate)
{
  GstStructure *details =
      gst_apixo_error_details_new (GST_APIXO_REASON_SETTINGS, NULL);

  if (property != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_PROPERTY, G_TYPE_STRING,
                       property, NULL);
  if (spec != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_MODEL, G_TYPE_STRING,
                       spec->model, NULL);
  if (estimate >= 0)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_ESTIMATED_COST,
                       G_TYPE_DOUBLE, estimate, NULL);
  return details;
}

/* The request of this run: the subclass's, derived and validated; NULL
 * and @error otherwise. */
static GstApixoRequestSpec *
build_valid_spec (GstApixoBaseSrc *self, const GstApixoSettings *run,
                  GError **error)
{
  GstApixoBaseSrcClass *klass = GST_APIXO_BASE_SRC_GET_CLASS (self);
  GstApixoRequestSpec *spec;
  gchar *warning = NULL;

  spec = klass->build_spec (self, error);
  if (spec != NULL)
    spec = gst_apixo_settings_finish_spec (run, spec, &warning, error);
  if (warning != NULL) {
    GError *w = g_error_new_literal (GST_RESOURCE_ERROR,
                                     GST_RESOURCE_ERROR_SETTINGS, warning);

    post_error (self, GST_MESSAGE_WARNING, w, NULL);
    g_error_free (w);
    g_free (warning);
  }
  return spec;
}

static gboolean
check_task_id (const GstApixoSettings *run, const gchar **property,
               GError **error)
{
  if (run->task_id == NULL || gst_apixo_task_id_is_valid (run->task_id))
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "task-id '%s' is not a valid task id (letters, digits, '_', "
               "'-', '.', ':'; at most 256)",
               run->task_id);
  *property = "task-id";
  return FALSE;
}

/* The property a refusal of the request is about, for its details: the
 * model catalogue's messages (gstapixomodels.c, fail()) and the
 * subclasses' begin with its name.  NULL when that word is none of ours. */
static const gchar *
refused_property (GstApixoBaseSrc *self, const GError *error)
{
  gchar *word = g_strndup (error->message, strcspn (error->message, " :"));
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (self), word);

  g_free (word);
  return pspec != NULL ? pspec->name : NULL;
}

/* start()'s checks, in order, and the one source of truth for them: the
 * "validate" action signal runs the same.  The run configuration, or NULL
 * with @error and its @details (SETTINGS, or NOT_AUTHORIZED for a missing
 * key).  Nothing is sent. */
static GstApixoRunConfig *
check_run (GstApixoBaseSrc *self, GError **error, GstStructure **details)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoSettings run;
  GstApixoRequestSpec *spec = NULL;
  GstApixoRunConfig *config;
  const gchar *property = NULL;
  g_autofree gchar *uri_property = NULL;
  gdouble estimate = -1;

  GST_OBJECT_LOCK (self);
  gst_apixo_settings_copy (&run, &priv->settings);
  if (priv->uri_error != NULL) {
    *error = g_error_copy (priv->uri_error);
    property = uri_property = g_strdup (priv->uri_property);
  }
  GST_OBJECT_UNLOCK (self);
  priv->resuming = run.task_id != NULL;

  /* what the URI could not set: the error its property would give */
  if (*error != NULL || !gst_apixo_settings_check (&run, &property, error) ||
      !check_task_id (&run, &property, error))
    goto fail;
  spec = build_valid_spec (self, &run, error);
  if (spec == NULL) {
    property = refused_property (self, *error);
    goto fail;
  }
  if (!check_paths (self, &run, spec, &property, error))
    goto fail;
  /* max-cost, when this run may submit */
  if (run.task_id == NULL &&
      !gst_apixo_settings_check_max_cost (&run, spec, &estimate, error)) {
    property = "max-cost";
    goto fail;
  }
  config = gst_apixo_run_config_new (&run, spec, error);
  if (config != NULL)
    return config;
  property = "api-key";

fail:
  *details = start_error_details (spec, property, estimate);
  g_clear_pointer (&spec, gst_apixo_request_spec_free);
  gst_apixo_settings_clear (&run);
  return NULL;
}

static void find_at_start (GstApixoBaseSrc *self);

static gboolean
gst_apixo_base_src_start (GstBaseSrc *bsrc)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (bsrc);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstStructure *details = NULL;
  GError *error = NULL;

  g_atomic_int_set (&priv->posted_error, 0);
  priv->config = check_run (self, &error, &details);
  if (priv->config == NULL) {
    post_error (self, GST_MESSAGE_ERROR, error, details);
    g_error_free (error);
    return FALSE;
  }

  priv->progress_started = FALSE;
  priv->tags_sent = FALSE;
  priv->duration_set = FALSE;
  GST_DEBUG_OBJECT (self, "started (model %s)", priv->config->spec->model);
  find_at_start (self);
  return TRUE;
}

/* ---- action signals: validate, read-balance ------------------------------ */

static gboolean
copy_field (GQuark field, const GValue *value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

/* A refusal as the action signals answer it: @name with "valid" FALSE,
 * "error" (the GError start() would post), "message" and the fields of
 * @details.  Takes @error and @details. */
static GstStructure *
refusal (const gchar *name, GError *error, GstStructure *details)
{
  GstStructure *s = gst_structure_new (name, "valid", G_TYPE_BOOLEAN, FALSE,
                                       "error", G_TYPE_ERROR, error, "message",
                                       G_TYPE_STRING, error->message, NULL);

  if (details != NULL) {
    gst_structure_foreach (details, copy_field, s);
    gst_structure_free (details);
  }
  g_error_free (error);
  return s;
}

/* Application thread, NULL or READY: start()'s checks (check_run) of the
 * current properties, without starting; NULL and @error while running. */
static GstApixoRunConfig *
check_idle (GstApixoBaseSrc *self, GError **error, GstStructure **details)
{
  GstState state;

  GST_OBJECT_LOCK (self);
  state = MAX (GST_STATE (self), GST_STATE_PENDING (self));
  GST_OBJECT_UNLOCK (self);
  if (state <= GST_STATE_READY)
    return check_run (self, error, details);
  g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                       "validate and read-balance need the element in NULL or "
                       "READY");
  *details = NULL;
  return NULL;
}

/* The run identity's cache key (the sidecar's "request-key"), when it is
 * known without reading anything: a submission with no local input. */
static void
set_request_key (GstStructure *s, const GstApixoRunConfig *config)
{
  GstApixoIdentity *identity;

  if (config->settings.task_id != NULL ||
      gst_apixo_request_spec_has_local_inputs (config->spec))
    return;
  identity = gst_apixo_identity_new (config, NULL);
  gst_structure_set (s, "request-key", G_TYPE_STRING, identity->cache_key,
                     NULL);
  gst_apixo_identity_free (identity);
}

static GstStructure *
gst_apixo_base_src_validate (GstApixoBaseSrc *self)
{
  GstApixoRunConfig *config;
  const GstApixoModelInfo *info;
  GstStructure *details = NULL, *s;
  GError *error = NULL;
  gdouble usd, billed;

  config = check_idle (self, &error, &details);
  if (config == NULL)
    return refusal ("apixo-validation", error, details);
  s = gst_structure_new ("apixo-validation", "valid", G_TYPE_BOOLEAN, TRUE,
                         "model", G_TYPE_STRING, config->spec->model, NULL);
  if (config->spec->size != NULL)
    gst_structure_set (s, "size", G_TYPE_STRING, config->spec->size, NULL);
  billed = gst_apixo_request_spec_billed_seconds (config->spec);
  if (billed >= 0)
    gst_structure_set (s, "billed-seconds", G_TYPE_DOUBLE, billed, NULL);
  if (config->settings.task_id == NULL &&
      gst_apixo_request_spec_estimate_cost (config->spec, billed, &usd, NULL))
    gst_structure_set (s, "estimated-cost", G_TYPE_DOUBLE, usd, NULL);
  set_request_key (s, config);
  info = gst_apixo_model_lookup (config->spec->model);
  if (info != NULL)
    gst_structure_set (s, "concurrent-tasks", G_TYPE_UINT,
                       info->concurrent_tasks, "requests-per-minute",
                       G_TYPE_UINT, info->requests_per_minute, NULL);
  gst_apixo_run_config_unref (config);
  return s;
}

static GstStructure *
gst_apixo_base_src_read_balance (GstApixoBaseSrc *self)
{
  GstApixoRunConfig *config;
  GstStructure *details = NULL;
  GError *error = NULL;
  gdouble usd;
  gboolean ok;

  config = check_idle (self, &error, &details);
  if (config == NULL)
    return refusal ("apixo-balance", error, details);
  ok = gst_apixo_balance_read (config, &usd, &error);
  gst_apixo_run_config_unref (config);
  if (!ok)
    return refusal ("apixo-balance", error, NULL);
  return gst_structure_new ("apixo-balance", "valid", G_TYPE_BOOLEAN, TRUE,
                            "balance", G_TYPE_DOUBLE, usd, NULL);
}

/* stop(): READY -> PAUSED again with the same settings must not pay
 * again: the result (or the running task) is kept until NULL or another
 * identity runs. */
static void
keep_for_replay (GstApixoBaseSrcPrivate *priv)
{
  GstApixoKept *kept;

  if (priv->identity == NULL)
    return;
  kept = g_new0 (GstApixoKept, 1);
  if (!gst_apixo_generation_keep (priv->generation, &kept->fd, &kept->size,
                                  &kept->task_id)) {
    g_free (kept);
    return;
  }
  kept->identity = gst_apixo_identity_copy (priv->identity);
  gst_apixo_kept_free (priv->kept);
  priv->kept = kept;
}

static GstStateChangeReturn
gst_apixo_base_src_change_state (GstElement *element, GstStateChange transition)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (element));
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_apixo_base_src_parent_class)
            ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    g_clear_pointer (&priv->kept, gst_apixo_kept_free);
  return ret;
}

static gboolean
gst_apixo_base_src_stop (GstBaseSrc *bsrc)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (bsrc));

  keep_for_replay (priv);
  if (priv->hit_cache != NULL) {
    gst_apixo_cache_mark_used (priv->hit_cache, priv->identity->cache_key);
    g_clear_pointer (&priv->hit_cache, gst_apixo_cache_free);
  }
  priv->final_spool = NULL; /* freed by end() */
  gst_apixo_generation_end (priv->generation);
  /* after the task and the spool: nothing uses them any more */
  g_clear_pointer (&priv->local_inputs, gst_apixo_local_inputs_free);
  if (priv->worker != NULL)
    gst_apixo_worker_release (g_steal_pointer (&priv->worker));
  g_clear_pointer (&priv->request, gst_apixo_request_spec_free);
  g_clear_pointer (&priv->config, gst_apixo_run_config_unref);
  g_clear_pointer (&priv->identity, gst_apixo_identity_free);
  return TRUE;
}

/* EOS sent to us before the result arrived (gst-launch-1.0 -e and Ctrl-C):
 * nothing will ever be produced, so stop polling now rather than keep the
 * pipeline (and gst-launch, which waits for open progress) hanging on. */
static gboolean
gst_apixo_base_src_send_event (GstElement *element, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    gst_apixo_generation_abandon (
        PRIV (GST_APIXO_BASE_SRC (element))->generation,
        "End of stream requested");
  return GST_ELEMENT_CLASS (gst_apixo_base_src_parent_class)
      ->send_event (element, event);
}

/* ---- cancellation -------------------------------------------------------- */

/* The spool serves any byte range, so the answer to a SCHEDULING query is
 * known without start(): basesrc would run start() and stop() to find it
 * (a worker thread spawned and joined, and a settings error posted twice
 * when downstream can pull, e.g. qtdemux). */
static gboolean
gst_apixo_base_src_query (GstBaseSrc *bsrc, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEEKABLE, 1, -1, 0);
    gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
    gst_query_add_scheduling_mode (query, GST_PAD_MODE_PULL);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (gst_apixo_base_src_parent_class)
      ->query (bsrc, query);
}

static gboolean
gst_apixo_base_src_unlock (GstBaseSrc *bsrc)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (bsrc));
  GCancellable *cancellable;

  GST_DEBUG_OBJECT (bsrc, "unlock");
  GST_OBJECT_LOCK (bsrc);
  cancellable = g_object_ref (priv->cancellable);
  GST_OBJECT_UNLOCK (bsrc);
  /* Not under the object lock: "cancelled" handlers run here,
   * synchronously (the spool's, the inputs', an upload handler's), and may
   * call back into the element (e.g. read task-id). */
  g_cancellable_cancel (cancellable);
  g_object_unref (cancellable);
  gst_apixo_generation_wake (priv->generation);
  return TRUE;
}

static gboolean
gst_apixo_base_src_unlock_stop (GstBaseSrc *bsrc)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (bsrc));

  GST_DEBUG_OBJECT (bsrc, "unlock_stop");
  /* A fresh cancellable rather than g_cancellable_reset(): a reader that
   * still holds the old one keeps seeing it cancelled. */
  GST_OBJECT_LOCK (bsrc);
  g_object_unref (priv->cancellable);
  priv->cancellable = g_cancellable_new ();
  GST_OBJECT_UNLOCK (bsrc);
  return TRUE;
}

/* ---- streaming ----------------------------------------------------------- */

/* Our caps never change, and downstream's allocation does not matter (our
 * buffers are our own): a RECONFIGURE from downstream (qtdemux adding its
 * pads) is answered by forgetting it.  Renegotiating would send an
 * ALLOCATION query, and a queue whose downstream returned EOS drops it
 * unanswered (GStreamer 1.22), blocking our streaming thread for good. */
static gboolean
gst_apixo_base_src_event (GstBaseSrc *bsrc, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE &&
      gst_pad_has_current_caps (GST_BASE_SRC_PAD (bsrc))) {
    gst_pad_check_reconfigure (GST_BASE_SRC_PAD (bsrc));
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (gst_apixo_base_src_parent_class)
      ->event (bsrc, event);
}

static gboolean
gst_apixo_base_src_is_seekable (GstBaseSrc *bsrc)
{
  /* The spool serves any byte range (pull mode for qtdemux and typefind). */
  return TRUE;
}

static gboolean
gst_apixo_base_src_get_size (GstBaseSrc *bsrc, guint64 *size)
{
  return gst_apixo_generation_get_size (
      PRIV (GST_APIXO_BASE_SRC (bsrc))->generation, size);
}

/* ---- local inputs (streaming thread) -------------------------------------- */

static gchar *
upload_trampoline (GBytes *data, const gchar *content_type,
                   GCancellable *cancellable, gpointer user_data,
                   GError **error)
{
  gchar *url = NULL;

  g_signal_emit (user_data, signals[SIGNAL_UPLOAD], 0, data, content_type,
                 cancellable, &url);
  if (url == NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
                 "The upload handler stored no %s input (it returned no URL)",
                 content_type);
  return url;
}

static gboolean
has_upload_handler (GstApixoBaseSrc *self)
{
  return g_signal_has_handler_pending (self, signals[SIGNAL_UPLOAD], 0, FALSE);
}

static struct _GstApixoInput *
get_pad_input (const gchar *name, gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;

  return GST_APIXO_BASE_SRC_GET_CLASS (self)->get_pad_input (self, name);
}

static void
local_inputs_config (GstApixoBaseSrc *self, const GstApixoSettings *run,
                     GstApixoLocalInputsConfig *config)
{
  GstApixoBaseSrcClass *klass = GST_APIXO_BASE_SRC_GET_CLASS (self);

  config->public_url = run->public_url;
  config->server_address = run->server_address;
  config->server_port = run->server_port;
  config->image_property = klass->image_uri_property;
  config->video_property = klass->video_uri_property;
  config->upload = has_upload_handler (self) ? upload_trampoline : NULL;
  config->upload_data = self;
  config->get_pad_input = klass->get_pad_input ? get_pad_input : NULL;
  config->pad_data = self;
}

/* start(): local inputs need a way to reach the service, and the result a
 * place to be written (checked before anything is paid for). */
static gboolean
check_paths (GstApixoBaseSrc *self, const GstApixoSettings *run,
             const GstApixoRequestSpec *spec, const gchar **property,
             GError **error)
{
  GstApixoLocalInputsConfig config;

  local_inputs_config (self, run, &config);
  if (!gst_apixo_local_inputs_check (&config, spec, run->task_id != NULL,
                                     error)) {
    *property = "public-url";
    return FALSE;
  }
  return gst_apixo_spool_check_locations (run->spool_directory,
                                          run->save_location, property, error);
}

/* Streaming thread: the inputs of this run, published; the same again
 * after a launch interrupted by a flush. */
static gboolean
resolve_local_inputs (GstApixoBaseSrc *self, GCancellable *cancellable,
                      GError **error)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoLocalInputsConfig config;

  if (priv->local_inputs == NULL) {
    local_inputs_config (self, &priv->config->settings, &config);
    priv->local_inputs = gst_apixo_local_inputs_new (&config);
    priv->request = gst_apixo_request_spec_copy (priv->config->spec);
  }
  return gst_apixo_local_inputs_resolve (priv->local_inputs, priv->request,
                                         cancellable, error);
}

static void
pay_once_message (GstStructure *s, gpointer user_data)
{
  gst_apixo_base_src_post_task_message (user_data, s);
}

/* Waiting for another run of the same request: a task's heartbeat. */
static void
pay_once_waiting (gdouble elapsed, gpointer user_data)
{
  GstApixoBaseSrcPrivate *priv = PRIV (user_data);

  gst_apixo_generation_post_waiting (priv->generation, priv->config, elapsed);
}

static void
pay_once_warning (const gchar *text, gpointer user_data)
{
  GError *error =
      g_error_new_literal (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, text);

  post_error (user_data, GST_MESSAGE_WARNING, error,
              gst_apixo_error_details_new (GST_APIXO_REASON_CACHE_DIRECTORY,
                                           GST_APIXO_ERROR_FIELD_PROPERTY,
                                           G_TYPE_STRING, "cache-directory",
                                           NULL));
  g_error_free (error);
}

/* The GST_MESSAGE_PROGRESS that opens a generation (once per run). */
static void
post_progress_start (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  if (priv->progress_started)
    return;
  priv->progress_started = TRUE;
  on_progress (GST_PROGRESS_TYPE_START, GST_APIXO_GENERATION_PROGRESS_CODE,
               priv->resuming ? "Resuming the generation task"
                              : "Submitting the generation task",
               self);
}

/* Streaming thread: the worker, acquired the first time this run needs it
 * (released in stop()). */
static void
ensure_worker (GstApixoBaseSrcPrivate *priv)
{
  if (priv->worker == NULL)
    priv->worker = gst_apixo_worker_acquire ();
}

/* Streaming thread, the inputs probed, before a submission: what it costs
 * where a page documents it. */
static void
set_cost (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  gdouble billed =
      gst_apixo_local_inputs_get_billed_seconds (priv->local_inputs);
  gdouble usd = -1;

  if (billed < 0)
    billed = gst_apixo_request_spec_billed_seconds (priv->request);
  if (!gst_apixo_request_spec_estimate_cost (priv->request, billed, &usd, NULL))
    usd = -1;
  gst_apixo_generation_set_cost (priv->generation, usd, billed);
}

/* A result that is here already (a replay, the cache): served, no task.
 * start() or the streaming thread. */
static void
serve_found (GstApixoBaseSrc *self, GstApixoPayOnce *d)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  gst_apixo_generation_serve (priv->generation, priv->worker, priv->config,
                              d->fd, d->size, d->task_id,
                              g_steal_pointer (&d->message));
  priv->hit_cache = g_steal_pointer (&d->cache);
  d->fd = -1;
  /* a run waited for was sharing its result: what was opened closes */
  if (priv->progress_started)
    on_progress (GST_PROGRESS_TYPE_COMPLETE, GST_APIXO_GENERATION_PROGRESS_CODE,
                 "The result of the same request is here: no new task", self);
}

/* Streaming thread, the local inputs resolved: never pay twice (a replay,
 * the cache, the journal; gstapixopayonce.c), then submit, resume or serve.
 * FALSE with the error stored (or cancelled). */
static gboolean
launch_once (GstApixoBaseSrc *self, GCancellable *cancellable)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoPayOnceCallbacks callbacks = { pay_once_message, pay_once_warning,
                                         pay_once_waiting, self };
  GstApixoPayOnce d;
  gboolean ok = FALSE, found;

  if (priv->identity == NULL)
    priv->identity = gst_apixo_identity_new (
        priv->config, gst_apixo_local_inputs_get_digests (priv->local_inputs));
  found = gst_apixo_pay_once_find (&d, priv->config, priv->identity, priv->kept,
                                   &callbacks, cancellable, FALSE);
  if (d.action != GST_APIXO_PAY_ONCE_SERVE)
    post_progress_start (self);
  /* The worker (a thread) only when something is to be sent: a result
   * that is here already is served at file speed. */
  if (!found) {
    ensure_worker (priv);
    gst_apixo_pay_once_decide (&d, priv->config, priv->identity,
                               gst_apixo_worker_get_context (priv->worker),
                               &callbacks, cancellable);
  }
  if (d.action != GST_APIXO_PAY_ONCE_SERVE)
    ensure_worker (priv);
  switch (d.action) {
    case GST_APIXO_PAY_ONCE_SERVE:
      serve_found (self, &d);
      ok = TRUE;
      break;
    case GST_APIXO_PAY_ONCE_FAIL:
      gst_apixo_generation_fail (priv->generation, d.error, d.details);
      break;
    case GST_APIXO_PAY_ONCE_CANCELLED:
      break;
    default:
      if (d.action == GST_APIXO_PAY_ONCE_RESUME)
        gst_apixo_generation_set_resume (priv->generation, d.task_id,
                                         d.submit_time);
      else
        set_cost (self);
      gst_apixo_generation_set_pay_once (
          priv->generation, g_steal_pointer (&d.claim),
          g_steal_pointer (&d.cache), priv->identity, priv->config);
      ok = gst_apixo_generation_launch (
          priv->generation, priv->worker, priv->config,
          d.action == GST_APIXO_PAY_ONCE_RESUME
              ? NULL
              : gst_apixo_request_spec_to_json (priv->request),
          cancellable);
      break;
  }
  gst_apixo_pay_once_clear (&d);
  return ok;
}

/* start(), the run config built: a run with nothing to resolve first (no
 * local input, no task-id) looks now, as filesrc opens its file, for a
 * result that is here already and takes no time to check (a quick
 * gst_apixo_pay_once_find(): a replay, a cache entry whose stamp still
 * matches).  It is served at once: basesrc knows its size before the
 * first read, and the first read only reads.  Anything else (a miss, an
 * entry to hash again, a hit to copy to save-location) waits for the full
 * look of the first read (launch_once()). */
static void
find_at_start (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  const GstApixoSettings *run = &priv->config->settings;
  GstApixoPayOnceCallbacks callbacks = { pay_once_message, pay_once_warning,
                                         pay_once_waiting, self };
  GstApixoPayOnce d;

  if (priv->resuming || (priv->kept == NULL && !run->cache) ||
      gst_apixo_request_spec_has_local_inputs (priv->config->spec))
    return;
  priv->identity = gst_apixo_identity_new (priv->config, NULL);
  gst_apixo_pay_once_find (&d, priv->config, priv->identity, priv->kept,
                           &callbacks, NULL, TRUE);
  if (d.action == GST_APIXO_PAY_ONCE_SERVE) {
    serve_found (self, &d);
    priv->duration_set = TRUE; /* basesrc has the size: nothing to say */
  }
  gst_apixo_pay_once_clear (&d);
}

/* Streaming thread, first create(): publish the local inputs and launch the
 * task on the worker.  Returns FALSE with the error stored (or cancelled). */
static gboolean
launch_task (GstApixoBaseSrc *self, GCancellable *cancellable)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  gboolean resuming = priv->resuming;
  GError *error = NULL;

  /* A result that may be here already (a replay, the cache) gets no
   * progress: it is served at once (launch_once()). */
  if (resuming || (priv->kept == NULL && !priv->config->settings.cache))
    post_progress_start (self);
  if (resuming) { /* task-id: the user's own, nothing is submitted */
    ensure_worker (priv);
    return gst_apixo_generation_launch (priv->generation, priv->worker,
                                        priv->config, NULL, cancellable);
  }
  if (!resolve_local_inputs (self, cancellable, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      gst_apixo_generation_fail (priv->generation, error, NULL);
    g_error_free (error);
    return FALSE;
  }
  return launch_once (self, cancellable);
}

/* The task's own request is only known when this run made it (or the
 * journal resumed a run of the same request): a task designated by its id
 * gets no prompt and no seed, the service's status answer having none. */
static void
send_tags (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  gchar *task_id = gst_apixo_generation_dup_task_id (priv->generation);
  GstTagList *tags =
      gst_apixo_tags_new (priv->config->spec, task_id, priv->resuming);

  g_free (task_id);
  /* In pull mode nothing flows from us: the bus is the only way. */
  if (GST_PAD_MODE (GST_BASE_SRC_PAD (self)) == GST_PAD_MODE_PUSH)
    gst_pad_push_event (GST_BASE_SRC_PAD (self),
                        gst_event_new_tag (gst_tag_list_ref (tags)));
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_tag (GST_OBJECT (self), tags));
}

static void
update_duration (GstApixoBaseSrc *self, GstApixoSpool *spool)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  guint64 size;

  if (priv->duration_set || !gst_apixo_spool_get_size (spool, &size))
    return;
  priv->duration_set = TRUE;
  GST_OBJECT_LOCK (self);
  GST_BASE_SRC (self)->segment.duration = size;
  GST_OBJECT_UNLOCK (self);
  gst_element_post_message (
      GST_ELEMENT (self), gst_message_new_duration_changed (GST_OBJECT (self)));
}

/* The result is final: later reads short of its end take read_final(). */
static void
note_final (GstApixoBaseSrc *self, GstApixoSpool *spool)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  if (gst_apixo_spool_get_size (spool, &priv->final_size))
    priv->final_spool = spool;
}

/* Reads @spool; a failure is the generation's (posted). */
static GstFlowReturn
read_spool (GstApixoBaseSrc *self, GstApixoSpool *spool, guint64 offset,
            guint size, GCancellable *cancellable, GstBuffer **buf)
{
  GError *error = NULL;
  GstFlowReturn ret;

  ret = gst_apixo_spool_read (spool, offset, size, cancellable, buf, &error);
  if (ret == GST_FLOW_ERROR) {
    gst_apixo_generation_read_failed (PRIV (self)->generation, error);
    g_clear_error (&error);
  }
  return ret;
}

static GstFlowReturn
read_result (GstApixoBaseSrc *self, GstApixoSpool *spool, gboolean pull,
             guint64 offset, guint size, GCancellable *cancellable,
             GstBuffer **buf)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstFlowReturn ret;
  gboolean final = FALSE;

  ret = read_spool (self, spool, offset, size, cancellable, buf);
  if (ret == GST_FLOW_ERROR)
    return ret;
  if (ret == GST_FLOW_EOS)
    return gst_apixo_generation_wait_downloaded (priv->generation, cancellable);
  if (ret == GST_FLOW_OK) {
    ret = gst_apixo_generation_wait_final (priv->generation, pull,
                                           offset + gst_buffer_get_size (*buf),
                                           cancellable, &final);
    if (ret != GST_FLOW_OK) {
      gst_clear_buffer (buf);
      return ret;
    }
    update_duration (self, spool);
    if (!priv->tags_sent) {
      priv->tags_sent = TRUE;
      send_tags (self);
    }
    if (final)
      note_final (self, spool);
  }
  return ret;
}

/* A read of a final result short of its end (a cache hit, a replay, a
 * finished download): no launch, no wait, no delivery, only the spool,
 * whose complete bytes never block (a flush is basesrc's own). */
static GstFlowReturn
read_final (GstApixoBaseSrc *self, guint64 offset, guint size, GstBuffer **buf)
{
  return read_spool (self, PRIV (self)->final_spool, offset, size, NULL, buf);
}

/* Launches the task the first time, waits for the spool, reads. */
static GstFlowReturn
read_generated (GstApixoBaseSrc *self, gboolean pull, guint64 offset,
                guint size, GstBuffer **buf)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GCancellable *cancellable;
  GstApixoSpool *spool = NULL;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  cancellable = g_object_ref (priv->cancellable);
  GST_OBJECT_UNLOCK (self);

  if (g_cancellable_is_cancelled (cancellable)) {
    ret = GST_FLOW_FLUSHING;
    goto done;
  }
  if (gst_apixo_generation_needs_launch (priv->generation) &&
      !launch_task (self, cancellable)) {
    ret = g_cancellable_is_cancelled (cancellable) ? GST_FLOW_FLUSHING
                                                   : GST_FLOW_ERROR;
    if (ret == GST_FLOW_ERROR)
      gst_apixo_generation_post_error (priv->generation);
    goto done;
  }

  ret = gst_apixo_generation_wait_for_spool (priv->generation, cancellable,
                                             &spool);
  if (ret == GST_FLOW_ERROR)
    gst_apixo_generation_post_error (priv->generation);
  if (ret != GST_FLOW_OK)
    goto done;

  /* The spool lives until stop(), which cannot run while we are here. */
  ret = read_result (self, spool, pull, offset, size, cancellable, buf);

done:
  g_object_unref (cancellable);
  return ret;
}

static GstFlowReturn
gst_apixo_base_src_create (GstBaseSrc *bsrc, guint64 offset, guint size,
                           GstBuffer **buf)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (bsrc);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  /* Read now: a pad being deactivated (a state change while we are in
   * here) is already in mode NONE when we return. */
  gboolean pull = GST_PAD_MODE (GST_BASE_SRC_PAD (self)) == GST_PAD_MODE_PULL;
  GstFlowReturn ret;

  /* the read of the end goes the long way: it delivers the result */
  if (priv->final_spool != NULL && size < priv->final_size &&
      offset < priv->final_size - size)
    ret = read_final (self, offset, size, buf);
  else
    ret = read_generated (self, pull, offset, size, buf);

  GST_LOG_OBJECT (self, "create %" G_GUINT64_FORMAT "+%u: %s", offset, size,
                  gst_flow_get_name (ret));
  /* In pull mode the caller is downstream's thread (qtdemux, typefind):
   * our error, which says what went wrong, is on the bus already; an ERROR
   * return would only make it add "Internal data stream error" and "no
   * playable streams" after it.  FLUSHING makes it pause quietly. */
  if (ret == GST_FLOW_ERROR && pull && g_atomic_int_get (&priv->posted_error))
    ret = GST_FLOW_FLUSHING;
  return ret;
}

const gchar *
gst_apixo_base_src_get_spool_directory (GstApixoBaseSrc *src)
{
  return PRIV (src)->config->settings.spool_directory;
}

gboolean
gst_apixo_base_src_is_resuming (GstApixoBaseSrc *src)
{
  return PRIV (src)->resuming;
}
