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
 *   gstapixosettings.c that write and read them (a task-id read takes
 *   priv->lock first, for the running task's id, and releases it).
 *   start() snapshots them into priv->config, the run configuration
 *   (immutable, shared by reference with the task, the client and the
 *   spool), so a property changed while running cannot tear a request in
 *   half.  priv->config, priv->worker and priv->resuming are
 *   set in start() and read-only until stop().  priv->request and
 *   priv->local_inputs are created and filled on the streaming thread
 *   before the task is started; the worker (task callbacks) only uses
 *   priv->local_inputs after that, to describe and withdraw them.
 * - priv->lock guards priv->state (everything the running element knows:
 *   the task, the spool, the result, a pending error, the wait
 *   cancellable).  priv->cond is signalled whenever the state changes or a
 *   wait is cancelled.  Task and spool callbacks (worker thread) and the
 *   streaming thread meet there.
 * - Lock order: object lock and priv->lock are never held together.
 *   priv->lock may be held while asking the spool for its size (the spool
 *   takes its own lock inside, and never calls us with it held); it is
 *   never held while calling anything else of the task or the spool,
 *   while posting messages, nor while cancelling the wait cancellable
 *   (its "cancelled" handlers run synchronously, an application's
 *   included).
 * - The worker thread never waits for us; the streaming thread waits only
 *   on priv->cond and in gst_apixo_spool_read(), both cancelled by
 *   unlock().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixobasesrc.h"
#include "gstapixoclient.h"
#include "gstapixoerror.h"
#include "gstapixohttp.h"
#include "gstapixolocalinputs.h"
#include "gstapixosettings.h"
#include "gstapixospool.h"
#include "gstapixotask.h"
#include "gstapixoworker.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_base_src_debug);
#define GST_CAT_DEFAULT apixo_base_src_debug

#define DEFAULT_BLOCKSIZE (64 * 1024)
#define PROGRESS_CODE "generate"

/* The shared properties (gstapixosettings.c: the table, the values) take
 * the ids from PROP_SETTINGS on; the base class has no other property. */
enum {
  PROP_0,
  PROP_SETTINGS,
};

enum {
  SIGNAL_UPLOAD,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

typedef enum {
  PHASE_IDLE,      /* started, nothing sent */
  PHASE_RUNNING,   /* task launched */
  PHASE_SUCCEEDED, /* result known, download under way */
  PHASE_FAILED,
  PHASE_ABANDONED, /* stopped waiting (EOS or stop) */
} Phase;

typedef struct {
  Phase phase;
  GCancellable *cancellable; /* waits of the streaming thread */
  GstApixoTask *task;
  GstApixoSpool *spool;
  gchar *task_id; /* of the running task */
  gchar *result_uri;
  GError *error; /* the failure to report */
  GstStructure *error_details;
  gboolean error_posted;
  gboolean submit_sent;   /* a submission left (task may exist) */
  gboolean download_done; /* every byte is in (and kept if asked) */
  GError *download_error; /* the spool finished with this error */
  gboolean tags_sent;
  gboolean duration_set;
  guint last_percent;
} State;

typedef struct {
  GstApixoSettings settings; /* object lock */

  GMutex lock;
  GCond cond;
  State state; /* priv->lock */

  /* Set in start(), read-only until stop(): no lock needed. */
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

  gint posted_error; /* atomic: our own error is on the bus */
} GstApixoBaseSrcPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    GstApixoBaseSrc, gst_apixo_base_src, GST_TYPE_BASE_SRC,
    G_ADD_PRIVATE (GstApixoBaseSrc)
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

  gst_apixo_settings_init (&priv->settings);
  g_mutex_init (&priv->lock);
  g_cond_init (&priv->cond);
  priv->state.cancellable = g_cancellable_new ();
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
  gst_base_src_set_dynamic_size (GST_BASE_SRC (self), TRUE);
}

static void
gst_apixo_base_src_finalize (GObject *object)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (object));

  gst_apixo_settings_clear (&priv->settings);
  g_clear_object (&priv->state.cancellable);
  g_mutex_clear (&priv->lock);
  g_cond_clear (&priv->cond);
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

    g_mutex_lock (&priv->lock);
    id = g_strdup (priv->state.task_id);
    g_mutex_unlock (&priv->lock);
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

static void
post_progress (GstApixoBaseSrc *self, GstProgressType type, const gchar *text)
{
  gst_element_post_message (
      GST_ELEMENT (self),
      gst_message_new_progress (GST_OBJECT (self), type, PROGRESS_CODE, text));
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
  g_mutex_lock (&priv->lock);
  task_id = g_strdup (priv->state.task_id);
  g_mutex_unlock (&priv->lock);
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

/* A GST_RESOURCE_ERROR (@code) or warning with a formatted message and
 * @reason, through post_error(). @property: the setting concerned, or
 * NULL. */
static void post_resource_message (GstApixoBaseSrc *self, GstMessageType type,
                                   GstResourceError code, const gchar *reason,
                                   const gchar *property, const gchar *file,
                                   const gchar *function, gint line,
                                   const gchar *format, ...)
    G_GNUC_PRINTF (9, 10);

static void
post_resource_message (GstApixoBaseSrc *self, GstMessageType type,
                       GstResourceError code, const gchar *reason,
                       const gchar *property, const gchar *file,
                       const gchar *function, gint line, const gchar *format,
                       ...)
{
  GstStructure *details = gst_apixo_error_details_new (reason, NULL);
  GError *error;
  va_list args;

  if (property != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_PROPERTY, G_TYPE_STRING,
                       property, NULL);
  va_start (args, format);
  error = g_error_new_valist (GST_RESOURCE_ERROR, code, format, args);
  va_end (args);
  post_error_full (self, type, error, details, file, function, line);
  g_error_free (error);
}

/* A SETTINGS error naming @property (start(): nothing was sent). */
#define post_settings_error(self, property, ...)                               \
  post_resource_message ((self), GST_MESSAGE_ERROR,                            \
                         GST_RESOURCE_ERROR_SETTINGS,                          \
                         GST_APIXO_REASON_SETTINGS, (property), __FILE__,      \
                         GST_FUNCTION, __LINE__, __VA_ARGS__)

#define post_warning(self, code, reason, ...)                                  \
  post_resource_message ((self), GST_MESSAGE_WARNING, (code), (reason), NULL,  \
                         __FILE__, GST_FUNCTION, __LINE__, __VA_ARGS__)

/* Posts the stored error once (streaming thread). */
static void
post_stored_error (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GError *error = NULL;
  GstStructure *details = NULL;

  g_mutex_lock (&priv->lock);
  if (!priv->state.error_posted && priv->state.error != NULL) {
    priv->state.error_posted = TRUE;
    error = g_error_copy (priv->state.error);
    details = priv->state.error_details
                  ? gst_structure_copy (priv->state.error_details)
                  : NULL;
  }
  g_mutex_unlock (&priv->lock);
  if (error == NULL)
    return;

  post_progress (self, GST_PROGRESS_TYPE_ERROR, error->message);
  post_error (self, GST_MESSAGE_ERROR, error, details);
  g_error_free (error);
}

/* Stores the first failure; wakes the streaming thread. */
static void
store_error (GstApixoBaseSrc *self, const GError *error,
             const GstStructure *details)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  if (priv->state.error == NULL) {
    priv->state.error = g_error_copy (error);
    priv->state.error_details = details ? gst_structure_copy (details) : NULL;
  }
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

/* ---- task callbacks (worker thread) --------------------------------------- */

static void
on_task_queued (GstApixoTask *task, gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;

  post_progress (
      self, GST_PROGRESS_TYPE_CONTINUE,
      "Waiting for a free task slot (the model's concurrency limit is "
      "reached in this process)");
  gst_apixo_base_src_post_task_message (
      self,
      gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "queued", NULL));
}

static void
on_task_submitted (GstApixoTask *task, const gchar *task_id, gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  /* resuming: nothing was submitted by this run */
  const gchar *event =
      gst_apixo_base_src_is_resuming (self) ? "resumed" : "submitted";
  gchar *text;

  g_mutex_lock (&priv->lock);
  g_free (priv->state.task_id);
  priv->state.task_id = g_strdup (task_id);
  g_mutex_unlock (&priv->lock);

  g_object_notify (G_OBJECT (self), "task-id");
  text = g_strdup_printf ("Task %s %s", task_id, event);
  post_progress (self, GST_PROGRESS_TYPE_CONTINUE, text);
  g_free (text);
  gst_apixo_base_src_post_task_message (
      self, gst_structure_new ("apixo-task", "event", G_TYPE_STRING, event,
                               "task-id", G_TYPE_STRING, task_id, NULL));
}

static void
on_task_polled (GstApixoTask *task, const GstApixoTaskStatus *status,
                gboolean changed, guint poll_count, gdouble elapsed,
                gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;
  static const gchar *const known[] = { "pending", "processing", "success",
                                        "failed", NULL };
  gchar *text;

  if (!changed)
    return;
  if (!g_strv_contains (known, status->state))
    post_warning (self, GST_RESOURCE_ERROR_READ, GST_APIXO_REASON_UNKNOWN_STATE,
                  "Task %s reports state '%s', which this version does not "
                  "know; still waiting for success or failed",
                  status->task_id, status->state);

  text = g_strdup_printf ("Task %s: %s (%.0f s)", status->task_id,
                          status->state, elapsed);
  post_progress (self, GST_PROGRESS_TYPE_CONTINUE, text);
  g_free (text);
  gst_apixo_base_src_post_task_message (
      self,
      gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "state",
                         "task-id", G_TYPE_STRING, status->task_id, "state",
                         G_TYPE_STRING, status->state, "elapsed", G_TYPE_DOUBLE,
                         elapsed, "poll-count", G_TYPE_UINT, poll_count, NULL));
}

static void spool_progress (GstApixoSpool *spool, guint64 received,
                            gint64 total, gpointer user_data);
static void spool_finished (GstApixoSpool *spool, const GError *error,
                            gpointer user_data);

static const GstApixoSpoolCallbacks spool_callbacks = {
  spool_progress,
  spool_finished,
};

/* Worker thread: the download starts the moment the task succeeds, not when
 * downstream asks (result URLs expire; a paused pipeline must not stall). */
static void
start_download (GstApixoBaseSrc *self, const gchar *uri)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoSpool *spool;
  GError *error = NULL;

  spool = gst_apixo_spool_new (priv->worker, priv->config, &spool_callbacks,
                               self, &error);
  if (spool == NULL) {
    /* Checked at start, but the disk can change meanwhile: the task is
     * paid for, so say how to fetch its result again. */
    gchar *task_id;
    GError *gst_error;
    GstStructure *details;

    g_mutex_lock (&priv->lock);
    task_id = g_strdup (priv->state.task_id);
    g_mutex_unlock (&priv->lock);
    gst_error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
        "%s (save-location, spool-directory). Task %s succeeded: fix the "
        "location and set task-id=%s to fetch its result while its URL is "
        "valid",
        error->message, task_id ? task_id : "?", task_id ? task_id : "?");
    details = gst_apixo_error_details_new (GST_APIXO_REASON_DOWNLOAD, NULL);
    if (task_id != NULL)
      gst_structure_set (details, GST_APIXO_ERROR_FIELD_TASK_ID, G_TYPE_STRING,
                         task_id, NULL);
    store_error (self, gst_error, details);
    gst_structure_free (details);
    g_error_free (gst_error);
    g_error_free (error);
    g_free (task_id);
    return;
  }

  g_mutex_lock (&priv->lock);
  priv->state.spool = spool;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  gst_apixo_spool_start (spool, uri);
}

static gboolean
copy_field (GQuark field, const GValue *value, gpointer user_data)
{
  gst_structure_id_set_value (user_data, field, value);
  return TRUE;
}

static void
on_task_finished (GstApixoTask *task, const GstApixoTaskStatus *status,
                  const GError *error, const GstStructure *details,
                  gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstStructure *s;

  /* The service fetched the inputs (or never will): stop serving them. */
  if (priv->local_inputs != NULL)
    gst_apixo_local_inputs_withdraw (priv->local_inputs);

  if (error != NULL) {
    g_mutex_lock (&priv->lock);
    priv->state.phase = PHASE_FAILED;
    g_mutex_unlock (&priv->lock);
    s = gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "failed",
                           "message", G_TYPE_STRING, error->message, NULL);
    if (details != NULL)
      gst_structure_foreach (details, copy_field, s);
    gst_apixo_base_src_post_task_message (self, s);
    store_error (self, error, details);
    return;
  }

  g_mutex_lock (&priv->lock);
  priv->state.phase = PHASE_SUCCEEDED;
  g_free (priv->state.result_uri);
  priv->state.result_uri = g_strdup (status->result_uris[0]);
  g_mutex_unlock (&priv->lock);

  post_progress (self, GST_PROGRESS_TYPE_COMPLETE,
                 "Generation complete; downloading the result");
  s = gst_structure_new (
      "apixo-task", "event", G_TYPE_STRING, "success", "task-id", G_TYPE_STRING,
      status->task_id, "state", G_TYPE_STRING, status->state, "result-uri",
      G_TYPE_STRING, status->result_uris[0], "cost-time", G_TYPE_INT64,
      status->cost_time, "create-time", G_TYPE_INT64, status->create_time,
      "complete-time", G_TYPE_INT64, status->complete_time, NULL);
  gst_apixo_base_src_post_task_message (self, s);
  start_download (self, status->result_uris[0]);
}

/* The submission is on its way: stopping from now on may leave a billed
 * task behind even before we know its id. */
static void
on_task_sending (GstApixoTask *task, gpointer user_data)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (user_data));

  g_mutex_lock (&priv->lock);
  priv->state.submit_sent = TRUE;
  g_mutex_unlock (&priv->lock);
}

static const GstApixoTaskCallbacks task_callbacks = {
  on_task_queued,   on_task_submitted, on_task_polled,
  on_task_finished, on_task_sending,
};

/* ---- spool callbacks (worker thread) -------------------------------------- */

static void
spool_progress (GstApixoSpool *spool, guint64 received, gint64 total,
                gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  guint percent;
  gchar *task_id;

  if (total <= 0)
    return;
  percent = (guint)(received * 100 / (guint64)total);
  g_mutex_lock (&priv->lock);
  if (percent / 10 == priv->state.last_percent / 10) {
    g_mutex_unlock (&priv->lock);
    return;
  }
  priv->state.last_percent = percent;
  task_id = g_strdup (priv->state.task_id);
  g_mutex_unlock (&priv->lock);

  /* Not a GST_MESSAGE_PROGRESS: those track the generation, and an open one
   * would hold gst-launch-1.0 in PAUSED until the whole file is here. */
  gst_apixo_base_src_post_task_message (
      self, gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "download",
                               "task-id", G_TYPE_STRING, task_id, "received",
                               G_TYPE_UINT64, received, "total", G_TYPE_INT64,
                               total, "percent", G_TYPE_UINT, percent, NULL));
  g_free (task_id);
}

static void
spool_finished (GstApixoSpool *spool, const GError *error, gpointer user_data)
{
  GstApixoBaseSrc *self = user_data;
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstStructure *s;
  gchar *task_id;

  g_mutex_lock (&priv->lock);
  task_id = g_strdup (priv->state.task_id);
  g_mutex_unlock (&priv->lock);

  if (error != NULL) {
    /* The streaming thread reports it when it reads there. */
    GST_WARNING_OBJECT (self, "download of task %s failed: %s", task_id,
                        error->message);
  } else {
    /* Posted before the streaming thread may go EOS, so that applications
     * see it first. */
    s = gst_structure_new ("apixo-task", "event", G_TYPE_STRING, "downloaded",
                           "task-id", G_TYPE_STRING, task_id, NULL);
    if (priv->config->settings.save_location != NULL)
      gst_structure_set (s, "location", G_TYPE_STRING,
                         priv->config->settings.save_location, NULL);
    gst_apixo_base_src_post_task_message (self, s);
  }
  g_free (task_id);

  g_mutex_lock (&priv->lock);
  priv->state.download_done = (error == NULL);
  if (error != NULL && priv->state.download_error == NULL)
    priv->state.download_error = g_error_copy (error);
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

/* ---- start / stop -------------------------------------------------------- */

/* A SETTINGS (or NOT_AUTHORIZED) error found by start(): its details name
 * @property when the check knows it, and the model once @spec is built. */
static void
post_start_error (GstApixoBaseSrc *self, const GstApixoRequestSpec *spec,
                  const gchar *property, GError *error)
{
  GstStructure *details = NULL;

  if (property != NULL || spec != NULL)
    details = gst_apixo_error_details_new (GST_APIXO_REASON_SETTINGS, NULL);
  if (property != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_PROPERTY, G_TYPE_STRING,
                       property, NULL);
  if (spec != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_MODEL, G_TYPE_STRING,
                       spec->model, NULL);
  post_error (self, GST_MESSAGE_ERROR, error, details);
  g_error_free (error);
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
    post_warning (self, GST_RESOURCE_ERROR_SETTINGS, GST_APIXO_REASON_SETTINGS,
                  "%s", warning);
    g_free (warning);
  }
  return spec;
}

static void
state_reset (GstApixoBaseSrcPrivate *priv)
{
  State *st = &priv->state;

  st->phase = PHASE_IDLE;
  g_clear_pointer (&st->task_id, g_free);
  g_clear_pointer (&st->result_uri, g_free);
  g_clear_error (&st->error);
  g_clear_pointer (&st->error_details, gst_structure_free);
  st->error_posted = FALSE;
  st->download_done = FALSE;
  st->submit_sent = FALSE;
  g_clear_error (&st->download_error);
  st->tags_sent = FALSE;
  st->duration_set = FALSE;
  st->last_percent = 0;
}

static gboolean
gst_apixo_base_src_start (GstBaseSrc *bsrc)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (bsrc);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoSettings run;
  GstApixoRequestSpec *spec = NULL;
  const gchar *property = NULL;
  GError *error = NULL;

  g_atomic_int_set (&priv->posted_error, 0);
  GST_OBJECT_LOCK (self);
  gst_apixo_settings_copy (&run, &priv->settings);
  GST_OBJECT_UNLOCK (self);
  priv->resuming = run.task_id != NULL;

  if (!gst_apixo_settings_check (&run, &property, &error))
    goto fail;
  if (run.task_id != NULL && !gst_apixo_task_id_is_valid (run.task_id)) {
    post_settings_error (self, "task-id",
                         "task-id '%s' is not a valid task id (letters, "
                         "digits, '_', '-', '.', ':'; at most 256)",
                         run.task_id);
    goto fail;
  }
  spec = build_valid_spec (self, &run, &error);
  if (spec == NULL || !check_paths (self, &run, spec, &property, &error))
    goto fail;
  priv->config = gst_apixo_run_config_new (&run, spec, &error);
  if (priv->config == NULL) {
    property = "api-key";
    goto fail;
  }
  spec = NULL; /* the config's */

  priv->worker = gst_apixo_worker_acquire ();
  g_mutex_lock (&priv->lock);
  state_reset (priv);
  g_mutex_unlock (&priv->lock);
  GST_DEBUG_OBJECT (self, "started (model %s)", priv->config->spec->model);
  return TRUE;

fail:
  if (error != NULL)
    post_start_error (self, spec, property, error);
  g_clear_pointer (&spec, gst_apixo_request_spec_free);
  gst_apixo_settings_clear (&run);
  return FALSE;
}

/* Tells the user what a stop in the middle leaves behind. */
/* Stops watching a running task (stop(), or EOS before any data): it keeps
 * running on the service, which has no cancel endpoint. */
static void
abandon_task (GstApixoBaseSrc *self, const gchar *why)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoTask *task;
  gboolean was_running, submit_sent;
  gchar *task_id, *text;

  g_mutex_lock (&priv->lock);
  task = g_steal_pointer (&priv->state.task);
  g_mutex_unlock (&priv->lock);
  /* Returns promptly (in-flight requests are cancelled, not awaited); after
   * it no task callback runs, so no spool can appear behind our back. */
  gst_apixo_task_free (task);

  g_mutex_lock (&priv->lock);
  was_running = priv->state.phase == PHASE_RUNNING;
  if (was_running)
    priv->state.phase = PHASE_ABANDONED;
  task_id = g_strdup (priv->state.task_id);
  submit_sent = priv->state.submit_sent;
  g_mutex_unlock (&priv->lock);
  if (!was_running)
    goto done;

  if (task_id == NULL && !submit_sent) {
    text = g_strdup_printf ("%s before the task was submitted: nothing was "
                            "billed",
                            why);
    post_progress (self, GST_PROGRESS_TYPE_CANCELED, text);
  } else if (task_id == NULL) {
    text = g_strdup_printf (
        "%s while the submission was unanswered: the service may have "
        "created the task, and will bill it, but its id never reached us. "
        "Check your APIXO task list before submitting again.",
        why);
    post_progress (self, GST_PROGRESS_TYPE_CANCELED, text);
    post_warning (self, GST_RESOURCE_ERROR_FAILED,
                  GST_APIXO_REASON_OUTCOME_UNKNOWN, "%s", text);
  } else {
    text = g_strdup_printf (
        "%s while task %s was still running: the "
        "service has no cancel endpoint, so it may still be billed. Set "
        "task-id=%s to resume it.",
        why, task_id, task_id);
    post_progress (self, GST_PROGRESS_TYPE_CANCELED, text);
    post_warning (self, GST_RESOURCE_ERROR_FAILED, GST_APIXO_REASON_ABANDONED,
                  "%s", text);
  }
  g_free (text);
done:
  g_free (task_id);
}

static gboolean
gst_apixo_base_src_stop (GstBaseSrc *bsrc)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (bsrc);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoSpool *spool;
  gchar *task_id;
  gboolean partial;

  abandon_task (self, "Stopped");

  g_mutex_lock (&priv->lock);
  spool = g_steal_pointer (&priv->state.spool);
  partial = spool != NULL && !priv->state.download_done;
  task_id = g_strdup (priv->state.task_id);
  g_mutex_unlock (&priv->lock);
  if (spool != NULL)
    gst_apixo_spool_free (spool);
  if (partial) {
    /* The generation's progress is complete already: the download has its
     * own code, so that this CANCELED does not contradict it. */
    gst_element_post_message (
        GST_ELEMENT (self),
        gst_message_new_progress (GST_OBJECT (self), GST_PROGRESS_TYPE_CANCELED,
                                  "download",
                                  "Stopped while downloading the result"));
    post_warning (self, GST_RESOURCE_ERROR_FAILED, GST_APIXO_REASON_DOWNLOAD,
                  "Stopped before the result of task %s was fully "
                  "downloaded. Set task-id=%s to fetch it again while its URL "
                  "is valid.",
                  task_id, task_id);
  }
  g_free (task_id);

  /* after the task and the spool: nothing uses them any more */
  g_clear_pointer (&priv->local_inputs, gst_apixo_local_inputs_free);
  if (priv->worker != NULL)
    gst_apixo_worker_release (g_steal_pointer (&priv->worker));
  g_clear_pointer (&priv->request, gst_apixo_request_spec_free);
  g_clear_pointer (&priv->config, gst_apixo_run_config_unref);
  g_mutex_lock (&priv->lock);
  state_reset (priv);
  g_mutex_unlock (&priv->lock);
  return TRUE;
}

/* EOS sent to us before the result arrived (gst-launch-1.0 -e and Ctrl-C):
 * nothing will ever be produced, so stop polling now rather than keep the
 * pipeline (and gst-launch, which waits for open progress) hanging on. */
static gboolean
gst_apixo_base_src_send_event (GstElement *element, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    abandon_task (GST_APIXO_BASE_SRC (element), "End of stream requested");
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
  g_mutex_lock (&priv->lock);
  cancellable = g_object_ref (priv->state.cancellable);
  g_mutex_unlock (&priv->lock);
  /* Not under priv->lock: "cancelled" handlers run here, synchronously
   * (the spool's, the inputs', an upload handler's), and may call back
   * into the element (e.g. read task-id). */
  g_cancellable_cancel (cancellable);
  g_object_unref (cancellable);
  g_mutex_lock (&priv->lock);
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
  return TRUE;
}

static gboolean
gst_apixo_base_src_unlock_stop (GstBaseSrc *bsrc)
{
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (bsrc));

  GST_DEBUG_OBJECT (bsrc, "unlock_stop");
  /* A fresh cancellable rather than g_cancellable_reset(): a reader that
   * still holds the old one keeps seeing it cancelled. */
  g_mutex_lock (&priv->lock);
  g_object_unref (priv->state.cancellable);
  priv->state.cancellable = g_cancellable_new ();
  g_mutex_unlock (&priv->lock);
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
  GstApixoBaseSrcPrivate *priv = PRIV (GST_APIXO_BASE_SRC (bsrc));
  GstApixoSpool *spool;
  gboolean ret = FALSE;

  g_mutex_lock (&priv->lock);
  spool = priv->state.spool;
  if (spool != NULL)
    ret = gst_apixo_spool_get_size (spool, size);
  g_mutex_unlock (&priv->lock);
  return ret;
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

/* Streaming thread, first create(): publish the local inputs and launch the
 * task on the worker.  Returns FALSE with the error stored. */
static gboolean
launch_task (GstApixoBaseSrc *self, GCancellable *cancellable)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstApixoTask *task;
  gboolean resuming = priv->resuming;
  GError *error = NULL;

  post_progress (self, GST_PROGRESS_TYPE_START,
                 resuming ? "Resuming the generation task"
                          : "Submitting the generation task");
  if (!resuming && !resolve_local_inputs (self, cancellable, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      store_error (self, error, NULL);
    g_error_free (error);
    return FALSE;
  }

  task = gst_apixo_task_new (
      priv->worker, priv->config,
      resuming ? NULL : gst_apixo_request_spec_to_json (priv->request),
      &task_callbacks, self);
  g_mutex_lock (&priv->lock);
  /* unlock() (a stop, a flushing seek, an EOS) may have come since the
   * last wait: never submit then. */
  if (g_cancellable_is_cancelled (cancellable)) {
    g_mutex_unlock (&priv->lock);
    gst_apixo_task_free (task);
    return FALSE;
  }
  priv->state.task = task;
  priv->state.phase = PHASE_RUNNING;
  g_mutex_unlock (&priv->lock);
  gst_apixo_task_start (task);
  return TRUE;
}

/* Waits until the result is being downloaded (returns the spool), or the
 * task failed (ERROR), or unlock() (FLUSHING). */
static GstFlowReturn
wait_for_spool (GstApixoBaseSrc *self, GCancellable *cancellable,
                GstApixoSpool **spool)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&priv->lock);
  while (priv->state.spool == NULL && priv->state.error == NULL &&
         priv->state.phase != PHASE_ABANDONED &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&priv->cond, &priv->lock);
  /* Flushing first: basesrc's own EOS handling unlocks us and waits for
   * the streaming thread to pause. */
  if (g_cancellable_is_cancelled (cancellable))
    ret = GST_FLOW_FLUSHING;
  else if (priv->state.error != NULL && priv->state.spool == NULL)
    ret = GST_FLOW_ERROR;
  else if (priv->state.spool == NULL && priv->state.phase == PHASE_ABANDONED)
    ret = GST_FLOW_EOS; /* EOS was requested before any result */
  else
    *spool = priv->state.spool;
  g_mutex_unlock (&priv->lock);
  return ret;
}

static void
send_tags (GstApixoBaseSrc *self)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GstTagList *tags = gst_tag_list_new_empty ();
  gchar *comment;
  gchar *task_id;

  g_mutex_lock (&priv->lock);
  task_id = g_strdup (priv->state.task_id);
  g_mutex_unlock (&priv->lock);

  if (priv->config->spec->prompt != NULL)
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_DESCRIPTION,
                      priv->config->spec->prompt, NULL);
  comment =
      g_strdup_printf ("Generated by APIXO model %s, task %s",
                       priv->config->spec->model, task_id ? task_id : "?");
  gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_COMMENT, comment,
                    GST_TAG_APPLICATION_NAME, "gst-apixo", NULL);
  g_free (comment);
  g_free (task_id);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_GLOBAL);

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

  if (priv->state.duration_set || !gst_apixo_spool_get_size (spool, &size))
    return;
  priv->state.duration_set = TRUE; /* streaming thread only */
  GST_OBJECT_LOCK (self);
  GST_BASE_SRC (self)->segment.duration = size;
  GST_OBJECT_UNLOCK (self);
  gst_element_post_message (
      GST_ELEMENT (self), gst_message_new_duration_changed (GST_OBJECT (self)));
}

/* At the end of the data: EOS only once the spool has finished, so that
 * when EOS reaches the application the save-location file is final. */
static GstFlowReturn
wait_download_finished (GstApixoBaseSrc *self, GCancellable *cancellable)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GError *error = NULL;
  GstFlowReturn ret = GST_FLOW_EOS;

  g_mutex_lock (&priv->lock);
  while (!priv->state.download_done && priv->state.download_error == NULL &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&priv->cond, &priv->lock);
  if (g_cancellable_is_cancelled (cancellable))
    ret = GST_FLOW_FLUSHING;
  else if (priv->state.download_error != NULL)
    error = g_error_copy (priv->state.download_error);
  g_mutex_unlock (&priv->lock);

  /* All the data was read; only keeping the file failed (the error says
   * where it stays): the stream itself is complete. */
  if (error != NULL) {
    post_warning (self, GST_RESOURCE_ERROR_WRITE, GST_APIXO_REASON_DOWNLOAD,
                  "%s", error->message);
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
must_wait_for_final (gboolean pull, GstApixoSpool *spool, guint64 read_end)
{
  guint64 total;
  gboolean at_end =
      gst_apixo_spool_get_size (spool, &total) && read_end >= total;

  if (!pull)
    return at_end;
  return gst_apixo_spool_has_all (spool) &&
         (at_end || !gst_apixo_spool_is_complete (spool));
}

static GstFlowReturn
read_result (GstApixoBaseSrc *self, GstApixoSpool *spool, gboolean pull,
             guint64 offset, guint size, GCancellable *cancellable,
             GstBuffer **buf)
{
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GError *error = NULL;
  GstFlowReturn ret;

  ret = gst_apixo_spool_read (spool, offset, size, cancellable, buf, &error);
  if (ret == GST_FLOW_ERROR) {
    GstStructure *details = gst_apixo_error_details_new (
        GST_APIXO_REASON_DOWNLOAD, GST_APIXO_ERROR_FIELD_HTTP_STATUS,
        G_TYPE_UINT, gst_apixo_spool_get_http_status (spool), NULL);
    gchar *task_id;

    g_mutex_lock (&priv->lock);
    task_id = g_strdup (priv->state.task_id);
    g_mutex_unlock (&priv->lock);
    if (task_id != NULL)
      gst_structure_set (details, "task-id", G_TYPE_STRING, task_id, NULL);
    store_error (self, error, details);
    gst_structure_free (details);
    g_free (task_id);
    g_clear_error (&error);
    post_stored_error (self);
    return ret;
  }
  if (ret == GST_FLOW_EOS)
    return wait_download_finished (self, cancellable);
  if (ret == GST_FLOW_OK) {
    if (must_wait_for_final (pull, spool,
                             offset + gst_buffer_get_size (*buf)) &&
        wait_download_finished (self, cancellable) == GST_FLOW_FLUSHING) {
      gst_clear_buffer (buf);
      return GST_FLOW_FLUSHING;
    }
    update_duration (self, spool);
    if (!priv->state.tags_sent) {
      priv->state.tags_sent = TRUE;
      send_tags (self);
    }
  }
  return ret;
}

static GstFlowReturn
gst_apixo_base_src_create (GstBaseSrc *bsrc, guint64 offset, guint size,
                           GstBuffer **buf)
{
  GstApixoBaseSrc *self = GST_APIXO_BASE_SRC (bsrc);
  GstApixoBaseSrcPrivate *priv = PRIV (self);
  GCancellable *cancellable;
  GstApixoSpool *spool = NULL;
  gboolean must_launch;
  /* Read now: a pad being deactivated (a state change while we are in
   * here) is already in mode NONE when we return. */
  gboolean pull = GST_PAD_MODE (GST_BASE_SRC_PAD (self)) == GST_PAD_MODE_PULL;
  GstFlowReturn ret;

  g_mutex_lock (&priv->lock);
  cancellable = g_object_ref (priv->state.cancellable);
  must_launch = priv->state.phase == PHASE_IDLE && priv->state.task == NULL &&
                priv->state.error == NULL;
  g_mutex_unlock (&priv->lock);

  if (g_cancellable_is_cancelled (cancellable)) {
    ret = GST_FLOW_FLUSHING;
    goto done;
  }
  if (must_launch && !launch_task (self, cancellable)) {
    ret = g_cancellable_is_cancelled (cancellable) ? GST_FLOW_FLUSHING
                                                   : GST_FLOW_ERROR;
    if (ret == GST_FLOW_ERROR)
      post_stored_error (self);
    goto done;
  }

  ret = wait_for_spool (self, cancellable, &spool);
  if (ret == GST_FLOW_ERROR)
    post_stored_error (self);
  if (ret != GST_FLOW_OK)
    goto done;

  /* The spool lives until stop(), which cannot run while we are here. */
  ret = read_result (self, spool, pull, offset, size, cancellable, buf);

done:
  GST_LOG_OBJECT (self, "create %" G_GUINT64_FORMAT "+%u: %s", offset, size,
                  gst_flow_get_name (ret));
  g_object_unref (cancellable);
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
