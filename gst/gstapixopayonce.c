/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Never pay twice: what a run does before it sends anything.
 *
 * Thread safety notes
 * -------------------
 * - No shared state: a decision is made on the streaming thread from
 *   immutable inputs (the run config, the identity, the element's kept
 *   result, read-only here); the claim and the cache it hands on have
 *   their own rules (gstapixoclaim.c, gstapixocache.c).  Other processes
 *   are kept out by the identity's lease, not by a lock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixopayonce.h"
#include "gstapixodebug.h"
#include "gstapixoerror.h"
#include "gstapixosidecar.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

GST_DEBUG_CATEGORY_STATIC (apixo_pay_once_debug);
#define GST_CAT_DEFAULT apixo_pay_once_debug

/* How often a run waiting for another live run of its identity looks
 * again (the holder's lease is a file: there is nothing to wake us). */
#define WAIT_STEP_MS 250

void
gst_apixo_kept_free (GstApixoKept *kept)
{
  if (kept == NULL)
    return;
  gst_apixo_identity_free (kept->identity);
  if (kept->fd >= 0)
    close (kept->fd);
  g_free (kept->task_id);
  g_free (kept);
}

void
gst_apixo_pay_once_clear (GstApixoPayOnce *d)
{
  if (d->fd >= 0)
    close (d->fd);
  d->fd = -1;
  g_clear_pointer (&d->task_id, g_free);
  g_clear_pointer (&d->message, gst_structure_free);
  g_clear_pointer (&d->claim, gst_apixo_claim_release);
  g_clear_pointer (&d->cache, gst_apixo_cache_free);
  g_clear_error (&d->error);
  g_clear_pointer (&d->details, gst_structure_free);
}

static void
serve (GstApixoPayOnce *d, gint fd, guint64 size, const gchar *task_id,
       const gchar *event, const gchar *location)
{
  d->action = GST_APIXO_PAY_ONCE_SERVE;
  d->fd = fd;
  d->size = size;
  d->task_id = g_strdup (task_id);
  d->message =
      gst_structure_new ("apixo-task", "event", G_TYPE_STRING, event, NULL);
  if (location != NULL)
    gst_structure_set (d->message, "location", G_TYPE_STRING, location, NULL);
}

/* The element's own last run, when it was this one. */
static gboolean
try_kept (GstApixoPayOnce *d, const GstApixoIdentity *identity,
          const GstApixoKept *kept)
{
  gint fd;

  if (kept == NULL || !gst_apixo_identity_equal (kept->identity, identity))
    return FALSE;
  if (kept->fd >= 0 && (fd = dup (kept->fd)) >= 0) {
    GST_INFO ("replay: the result of task %s again", kept->task_id);
    serve (d, fd, kept->size, kept->task_id, "replayed", NULL);
    return TRUE;
  }
  if (kept->task_id == NULL)
    return FALSE;
  GST_INFO ("replay: resuming task %s", kept->task_id);
  d->action = GST_APIXO_PAY_ONCE_RESUME;
  d->task_id = g_strdup (kept->task_id);
  return TRUE;
}

static void
warn_cache_directory (const GstApixoPayOnceCallbacks *cb, const gchar *what,
                      const gchar *dir, const GError *error)
{
  gchar *text = g_strdup_printf ("cache-directory '%s': %s (%s); going on "
                                 "without it",
                                 dir, what, error->message);

  cb->warning (text, cb->user_data);
  g_free (text);
}

/* A cache hit with a save-location: the result is kept there too, as a
 * download would have been ("<save-location>.part", renamed once
 * complete). */
static gboolean
keep_copy (const gchar *entry, const gchar *location,
           const GstApixoPayOnceCallbacks *cb, GCancellable *cancellable)
{
  gboolean ok = TRUE;
  GFile *src = g_file_new_for_path (entry);
  gchar *part_path = g_strconcat (location, ".part", NULL);
  GFile *part = g_file_new_for_path (part_path);
  GError *error = NULL;
  gchar *text;

  /* a large file: interruptible (a stop while it copies) */
  if (!g_file_copy (src, part, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL,
                    &error) ||
      g_rename (part_path, location) != 0) {
    /* stopped meanwhile: nothing to say */
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      text = g_strdup_printf (
          "The cached result could not be kept as save-location '%s': %s",
          location, error ? error->message : g_strerror (errno));
      cb->warning (text, cb->user_data);
      g_free (text);
    }
    g_unlink (part_path);
    ok = FALSE;
  }
  g_clear_error (&error);
  g_object_unref (part);
  g_object_unref (src);
  g_free (part_path);
  return ok;
}

/* The sidecar of a cached result kept at @location: the entry's own (the
 * task that generated it), or for an entry stored before sidecars, made
 * from what the entry's metadata knows. */
static void
keep_sidecar (const GstApixoCacheMeta *meta, const gchar *location,
              const GstApixoRunConfig *config, const GstApixoIdentity *identity,
              const GstApixoPayOnceCallbacks *cb)
{
  GstApixoSidecarInfo info = {
    config->spec, meta->task_id,      meta->task_time, meta->store_time,
    -1,           identity->cache_key
  };
  gchar *json = meta->sidecar ? g_strdup (meta->sidecar) : NULL, *text;
  GError *error = NULL;

  if (json == NULL) {
    if (!gst_apixo_request_spec_estimate_cost (config->spec, -1,
                                               &info.estimated_cost, NULL))
      info.estimated_cost = -1;
    json = gst_apixo_sidecar_to_json (&info);
  }
  if (!gst_apixo_sidecar_write (location, json, &error)) {
    text = g_strdup_printf ("The cached result is kept as %s, but where it "
                            "came from could not be written beside it: %s",
                            location, error->message);
    cb->warning (text, cb->user_data);
    g_free (text);
    g_error_free (error);
  }
  g_free (json);
}

/* cache=true: the cache (kept in the decision for the result to be stored
 * in), and a hit served. */
static gboolean
try_cache (GstApixoPayOnce *d, const GstApixoRunConfig *config,
           GCancellable *cancellable, const gchar *dir,
           const GstApixoIdentity *identity, const GstApixoPayOnceCallbacks *cb,
           gboolean quick)
{
  GstApixoCacheMeta *meta = NULL;
  GError *error = NULL;
  gchar *location;
  guint64 size;
  gint fd;

  d->cache =
      gst_apixo_cache_open (dir, config->settings.cache_max_size, &error);
  if (d->cache == NULL) {
    if (!quick) /* the full find says it */
      warn_cache_directory (cb, "the result cache cannot be used", dir, error);
    g_error_free (error);
    return FALSE;
  }
  if (quick ? !gst_apixo_cache_lookup_stamped (d->cache, identity->cache_key,
                                               &fd, &size, &meta)
            : !gst_apixo_cache_lookup (d->cache, identity->cache_key, &fd,
                                       &size, &meta))
    return FALSE;
  location = g_strdup_printf ("%s/%s.mp4", gst_apixo_cache_get_dir (d->cache),
                              identity->cache_key);
  GST_INFO ("cache hit: %s", location);
  if (config->settings.save_location != NULL &&
      keep_copy (location, config->settings.save_location, cb, cancellable))
    keep_sidecar (meta, config->settings.save_location, config, identity, cb);
  serve (d, fd, size, meta->task_id, "cached", location);
  g_free (location);
  gst_apixo_cache_meta_free (meta);
  return TRUE; /* d->cache: for gst_apixo_cache_mark_used() once served */
}

/* Waits @ms, or less if @cancellable is cancelled: FALSE then. */
static gboolean
wait_step (GCancellable *cancellable, guint ms)
{
  GPollFD pfd;

  if (g_cancellable_make_pollfd (cancellable, &pfd)) {
    g_poll (&pfd, 1, ms);
    g_cancellable_release_fd (cancellable);
  }
  return !g_cancellable_is_cancelled (cancellable);
}

/* A complete file another run delivered at @location (@size bytes). */
static gint
open_delivered (const gchar *location, guint64 size)
{
  struct stat st;
  gint fd;

  if (location == NULL || size == 0)
    return -1;
  fd = g_open (location, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0 && (fstat (fd, &st) != 0 || (guint64)st.st_size != size)) {
    close (fd);
    fd = -1;
  }
  return fd;
}

static gchar *
format_time (gint64 unix_us)
{
  GDateTime *t = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  gchar *text = t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S UTC")
                  : g_strdup ("an unknown time");

  if (t != NULL)
    g_date_time_unref (t);
  return text;
}

static void
fail_unknown (GstApixoPayOnce *d, const GstApixoJournalRecord *r)
{
  gchar *when = format_time (r->intent_time);

  d->action = GST_APIXO_PAY_ONCE_FAIL;
  d->error = g_error_new (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
      "A submission of this same request left at %s and its answer never "
      "came (the run was killed or lost its connection): the service may "
      "have created, and billed, a task whose id never reached us. Nothing "
      "was sent again so that you never pay twice. Check your APIXO task "
      "list; to submit anyway, set resubmit-unknown=true.",
      when);
  d->details = gst_apixo_error_details_new (
      GST_APIXO_REASON_OUTCOME_UNKNOWN, GST_APIXO_ERROR_FIELD_PROPERTY,
      G_TYPE_STRING, "resubmit-unknown", GST_APIXO_ERROR_FIELD_SUBMIT_TIME,
      G_TYPE_INT64, r->intent_time, NULL);
  g_free (when);
}

/* The verdict of the journal, with the lease ours. */
static void
follow_verdict (GstApixoPayOnce *d, GstApixoClaimVerdict verdict,
                const GstApixoRunConfig *config)
{
  const GstApixoJournalRecord *r = gst_apixo_claim_get_record (d->claim);
  gint fd;

  switch (verdict) {
    case GST_APIXO_CLAIM_RESUME:
      GST_INFO ("journal: resuming task %s", r->task_id);
      d->action = GST_APIXO_PAY_ONCE_RESUME;
      d->task_id = g_strdup (r->task_id);
      d->submit_time = r->submit_time;
      break;
    case GST_APIXO_CLAIM_SHARE:
      fd = open_delivered (r->location, r->size);
      if (fd >= 0) {
        serve (d, fd, r->size, r->task_id, "shared", r->location);
        g_clear_pointer (&d->claim, gst_apixo_claim_release);
        g_clear_pointer (&d->cache, gst_apixo_cache_free);
      } else {
        /* streamed only (or gone since): the task's result again */
        d->action = GST_APIXO_PAY_ONCE_RESUME;
        d->task_id = g_strdup (r->task_id);
        d->submit_time = r->submit_time;
      }
      break;
    case GST_APIXO_CLAIM_UNKNOWN:
      if (config->settings.resubmit_unknown) {
        GST_WARNING ("journal: submitting again (resubmit-unknown)");
        d->action = GST_APIXO_PAY_ONCE_SUBMIT;
      } else {
        fail_unknown (d, r);
        g_clear_pointer (&d->claim, gst_apixo_claim_release);
      }
      break;
    default:
      d->action = GST_APIXO_PAY_ONCE_SUBMIT;
      break;
  }
}

/* The reports of a wait for another live run: the "waiting" event once,
 * then a heartbeat every progress-interval, like a task's. */
typedef struct {
  gint64 since; /* monotonic µs; 0: not waiting yet */
  gint64 next;  /* the next heartbeat, monotonic µs */
  gdouble interval;
} WaitBeat;

static void
wait_beat (WaitBeat *beat, const GstApixoPayOnceCallbacks *cb)
{
  gint64 now = g_get_monotonic_time ();
  gint64 step = (gint64)(beat->interval * G_USEC_PER_SEC);

  if (beat->since == 0) {
    beat->since = now;
    beat->next = now + step;
    cb->message (gst_structure_new ("apixo-task", "event", G_TYPE_STRING,
                                    "waiting", NULL),
                 cb->user_data);
  } else if (now >= beat->next && step > 0) {
    beat->next = now + step;
    if (cb->waiting != NULL)
      cb->waiting ((now - beat->since) / (gdouble)G_USEC_PER_SEC,
                   cb->user_data);
  }
}

/* journal=true: the identity's lease (waiting for a live holder), then
 * its record's verdict. */
static void
decide_by_journal (GstApixoPayOnce *d, const GstApixoRunConfig *config,
                   const gchar *dir, const GstApixoIdentity *identity,
                   GMainContext *heartbeat, const GstApixoPayOnceCallbacks *cb,
                   GCancellable *cancellable)
{
  GstApixoClaimVerdict verdict;
  WaitBeat beat = { 0, 0, config->settings.progress_interval };
  GError *error = NULL;

  d->claim = gst_apixo_claim_new (dir, identity, config->spec->model, heartbeat,
                                  &error);
  while (d->claim != NULL && gst_apixo_claim_try (d->claim, &verdict, &error) &&
         verdict == GST_APIXO_CLAIM_BUSY) {
    wait_beat (&beat, cb);
    if (!wait_step (cancellable, MIN (WAIT_STEP_MS, beat.interval * 1000))) {
      d->action = GST_APIXO_PAY_ONCE_CANCELLED;
      return;
    }
  }
  if (error != NULL) {
    warn_cache_directory (cb, "the journal cannot be used", dir, error);
    g_error_free (error);
    g_clear_pointer (&d->claim, gst_apixo_claim_release);
    d->action = GST_APIXO_PAY_ONCE_SUBMIT;
    return;
  }
  follow_verdict (d, verdict, config);
}

/* We hold the identity: a .part at save-location is a dead run's. */
static void
remove_stale_part (const GstApixoRunConfig *config)
{
  gchar *part;

  if (config->settings.save_location == NULL)
    return;
  part = g_strconcat (config->settings.save_location, ".part", NULL);
  if (g_unlink (part) == 0)
    GST_INFO ("removed %s, left by a run that did not finish", part);
  g_free (part);
}

gboolean
gst_apixo_pay_once_find (GstApixoPayOnce *d, const GstApixoRunConfig *config,
                         const GstApixoIdentity *identity,
                         const GstApixoKept *kept,
                         const GstApixoPayOnceCallbacks *cb,
                         GCancellable *cancellable, gboolean quick)
{
  gchar *dir;
  gboolean found;

  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_pay_once_debug, "apixopayonce", 0,
                                      "APIXO: never pay twice");
  memset (d, 0, sizeof (*d));
  d->fd = -1;
  d->action = GST_APIXO_PAY_ONCE_SUBMIT;
  if (try_kept (d, identity, kept))
    return TRUE;
  /* quick: a hit's copy to save-location is no quick thing */
  if (!config->settings.cache ||
      (quick && config->settings.save_location != NULL))
    return FALSE;
  dir = gst_apixo_settings_cache_directory (&config->settings);
  found = try_cache (d, config, cancellable, dir, identity, cb, quick);
  g_free (dir);
  return found;
}

void
gst_apixo_pay_once_decide (GstApixoPayOnce *d, const GstApixoRunConfig *config,
                           const GstApixoIdentity *identity,
                           GMainContext *heartbeat,
                           const GstApixoPayOnceCallbacks *cb,
                           GCancellable *cancellable)
{
  gchar *dir;

  if (!config->settings.journal)
    return;
  dir = gst_apixo_settings_cache_directory (&config->settings);
  decide_by_journal (d, config, dir, identity, heartbeat, cb, cancellable);
  if (d->claim != NULL && d->action != GST_APIXO_PAY_ONCE_SERVE)
    remove_stale_part (config);
  g_free (dir);
}
