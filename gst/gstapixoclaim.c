/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * A run's claim on its identity: the lease, the record's writes.
 *
 * Thread safety notes
 * -------------------
 * - claim->lock guards lease, record and holders_met: try() runs on the
 *   streaming thread, the steps on the worker, close() on either, release()
 *   on the application thread.  File I/O is done under it: the files are
 *   small, and one writer at a time keeps the record's writes in order.
 * - The journal and the immutable strings are set at creation.
 * - No other lock is taken under claim->lock (the lease's heartbeat runs on
 *   the worker's context without it).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoclaim.h"
#include "gstapixodebug.h"
#include "gstapixolease.h"

GST_DEBUG_CATEGORY_STATIC (apixo_claim_debug);
#define GST_CAT_DEFAULT apixo_claim_debug

/* A result URL lives 24 h (service-facts.md): a record older than this has
 * nothing left to resume. */
#define RESULT_LIFETIME_US (G_GINT64_CONSTANT (24) * 3600 * G_USEC_PER_SEC)

struct _GstApixoClaim {
  /* immutable */
  GstApixoJournal *journal;
  gchar *key;
  gchar *model;
  gchar *request;
  GMainContext *context;

  GMutex lock;
  GstApixoLease *lease;
  GstApixoJournalRecord *record; /* as read by try(), then as written */
  GHashTable *holders_met;       /* tokens of live holders we waited for */
  gboolean closed;               /* this run closed the record */
};

GstApixoClaim *
gst_apixo_claim_new (const gchar *cache_dir, const GstApixoIdentity *identity,
                     const gchar *model, GMainContext *heartbeat_context,
                     GError **error)
{
  GstApixoJournal *journal;
  GstApixoClaim *claim;

  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_claim_debug, "apixoclaim", 0,
                                      "APIXO run claims (journal)");
  journal = gst_apixo_journal_open (cache_dir, error);
  if (journal == NULL)
    return NULL;
  claim = g_new0 (GstApixoClaim, 1);
  claim->journal = journal;
  claim->key = g_strdup (identity->run_key);
  claim->model = g_strdup (model);
  claim->request = g_strdup (identity->request);
  claim->context = g_main_context_ref (heartbeat_context);
  g_mutex_init (&claim->lock);
  claim->holders_met =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return claim;
}

/* claim->lock held, the lease ours: what the record read says to do. */
static GstApixoClaimVerdict
judge_record (GstApixoClaim *claim)
{
  GstApixoJournalRecord *r = claim->record;
  gint64 since;

  if (r == NULL)
    return GST_APIXO_CLAIM_SUBMIT;
  if (!gst_apixo_journal_record_is_open (r)) {
    if (r->state == GST_APIXO_JOURNAL_DELIVERED && r->holder != NULL &&
        g_hash_table_contains (claim->holders_met, r->holder))
      return GST_APIXO_CLAIM_SHARE;
    return GST_APIXO_CLAIM_SUBMIT;
  }
  if (r->state == GST_APIXO_JOURNAL_SUBMITTING)
    return GST_APIXO_CLAIM_UNKNOWN;
  since = r->submit_time ? r->submit_time : r->intent_time;
  if (g_get_real_time () - since < RESULT_LIFETIME_US)
    return GST_APIXO_CLAIM_RESUME;
  GST_INFO ("record %s: task %s is older than its result's lifetime",
            claim->key, r->task_id);
  return GST_APIXO_CLAIM_SUBMIT;
}

gboolean
gst_apixo_claim_try (GstApixoClaim *claim, GstApixoClaimVerdict *verdict,
                     GError **error)
{
  gchar *lease_path, *holder = NULL;
  GError *err = NULL;

  g_mutex_lock (&claim->lock);
  if (claim->lease == NULL) {
    lease_path = gst_apixo_journal_lease_path (claim->journal, claim->key);
    claim->lease =
        gst_apixo_lease_try_acquire (lease_path, claim->context, &holder, &err);
    g_free (lease_path);
  }
  if (claim->lease == NULL) {
    g_mutex_unlock (&claim->lock);
    if (err != NULL) {
      g_propagate_error (error, err);
      g_free (holder);
      return FALSE;
    }
    GST_DEBUG ("record %s: held by %s", claim->key, holder);
    if (holder != NULL)
      g_hash_table_add (claim->holders_met, holder);
    *verdict = GST_APIXO_CLAIM_BUSY;
    return TRUE;
  }
  g_clear_pointer (&claim->record, gst_apixo_journal_record_free);
  claim->record = gst_apixo_journal_read (claim->journal, claim->key);
  *verdict = judge_record (claim);
  g_mutex_unlock (&claim->lock);
  GST_INFO ("record %s: verdict %d", claim->key, *verdict);
  return TRUE;
}

const GstApixoJournalRecord *
gst_apixo_claim_get_record (GstApixoClaim *claim)
{
  return claim->record;
}

/* claim->lock held.  Writes claim->record, made ours. */
static gboolean
write_record (GstApixoClaim *claim, GError **error)
{
  g_free (claim->record->holder);
  claim->record->holder = g_strdup (gst_apixo_lease_get_token (claim->lease));
  return gst_apixo_journal_write (claim->journal, claim->record, error);
}

gboolean
gst_apixo_claim_sending (GstApixoClaim *claim, GError **error)
{
  GstApixoJournalRecord *r = gst_apixo_journal_record_new ();
  gboolean ok;

  r->state = GST_APIXO_JOURNAL_SUBMITTING;
  r->key = g_strdup (claim->key);
  r->model = g_strdup (claim->model);
  r->request = g_strdup (claim->request);
  r->intent_time = g_get_real_time ();
  g_mutex_lock (&claim->lock);
  g_clear_pointer (&claim->record, gst_apixo_journal_record_free);
  claim->record = r;
  ok = write_record (claim, error);
  g_mutex_unlock (&claim->lock);
  return ok;
}

/* claim->lock held: the record to update: the open one read or written,
 * or a new one (none was written: the run resumes a task-id; or the one
 * read is closed, another run's). */
static GstApixoJournalRecord *
current_record (GstApixoClaim *claim)
{
  if (claim->record != NULL && !claim->closed &&
      !gst_apixo_journal_record_is_open (claim->record))
    g_clear_pointer (&claim->record, gst_apixo_journal_record_free);
  if (claim->record == NULL) {
    claim->record = gst_apixo_journal_record_new ();
    claim->record->key = g_strdup (claim->key);
    claim->record->model = g_strdup (claim->model);
    claim->record->request = g_strdup (claim->request);
    claim->record->intent_time = g_get_real_time ();
  }
  return claim->record;
}

gboolean
gst_apixo_claim_task_id (GstApixoClaim *claim, const gchar *task_id,
                         gboolean resumed, GError **error)
{
  GstApixoJournalRecord *r;
  gboolean ok;

  g_mutex_lock (&claim->lock);
  r = current_record (claim);
  /* a resumed task keeps the time it was submitted at */
  if (!resumed || r->submit_time == 0 || g_strcmp0 (r->task_id, task_id) != 0)
    r->submit_time = g_get_real_time ();
  r->state = GST_APIXO_JOURNAL_SUBMITTED;
  g_free (r->task_id);
  r->task_id = g_strdup (task_id);
  ok = write_record (claim, error); /* ours now, a resumed one too */
  g_mutex_unlock (&claim->lock);
  return ok;
}

gboolean
gst_apixo_claim_succeeded (GstApixoClaim *claim, const gchar *result_url,
                           GError **error)
{
  GstApixoJournalRecord *r;
  gboolean ok;

  g_mutex_lock (&claim->lock);
  r = current_record (claim);
  g_free (r->result_url);
  r->result_url = g_strdup (result_url);
  ok = write_record (claim, error);
  g_mutex_unlock (&claim->lock);
  return ok;
}

gboolean
gst_apixo_claim_close (GstApixoClaim *claim, GstApixoJournalState state,
                       const gchar *location, guint64 size,
                       const gchar *message, GError **error)
{
  GstApixoJournalRecord *r;
  GstApixoLease *done = NULL;
  gboolean ok = TRUE;

  g_mutex_lock (&claim->lock);
  if (!claim->closed) {
    r = current_record (claim);
    claim->closed = TRUE;
    r->state = state;
    r->close_time = g_get_real_time ();
    g_free (r->location);
    r->location = location ? g_canonicalize_filename (location, NULL) : NULL;
    r->size = size;
    g_free (r->message);
    r->message = g_strdup (message);
    ok = write_record (claim, error);
    /* A closed record says all a waiting run needs (share the kept file,
     * or fetch the task's result again): the lease goes now, not when this
     * element stops -- a pipeline left PLAYING after EOS would otherwise
     * hold every other run of its request back. */
    if (ok)
      done = g_steal_pointer (&claim->lease);
  }
  g_mutex_unlock (&claim->lock);
  /* outside claim->lock: releasing takes the worker context's lock */
  gst_apixo_lease_release (done);
  return ok;
}

void
gst_apixo_claim_release (GstApixoClaim *claim)
{
  if (claim == NULL)
    return;
  gst_apixo_lease_release (claim->lease);
  g_clear_pointer (&claim->record, gst_apixo_journal_record_free);
  g_hash_table_unref (claim->holders_met);
  g_mutex_clear (&claim->lock);
  gst_apixo_journal_unref (claim->journal);
  g_main_context_unref (claim->context);
  g_free (claim->key);
  g_free (claim->model);
  g_free (claim->request);
  g_free (claim);
}
