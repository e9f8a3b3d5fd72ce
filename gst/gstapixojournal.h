/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_JOURNAL_H__
#define __GST_APIXO_JOURNAL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstApixoJournal:
 *
 * The journal of a cache directory ("<cache-directory>/journal/"): one
 * durable record per run identity (a hex key, see gstapixoidentity.h),
 * written before a generateTask request leaves, updated the moment the
 * task id arrives and closed once the result is delivered, so that a run
 * killed at any point is resumed instead of paid again.  A closed record
 * is also copied to "journal/done/" (the history a person reads to find
 * what was paid for), pruned after GST_APIXO_JOURNAL_KEEP_DAYS.
 *
 * Only the holder of an identity's lease (gstapixolease.h) writes its
 * record: one run per identity at a time, across processes and machines
 * sharing the directory.  Every write is durable: written to a temporary
 * file, fsynced, renamed over the record, directory fsynced.
 *
 * All functions do blocking file I/O (small files) and may be called from
 * any thread.
 */
typedef struct _GstApixoJournal GstApixoJournal;

/* How long closed records stay in journal/done/. */
#define GST_APIXO_JOURNAL_KEEP_DAYS 30

typedef enum {
  GST_APIXO_JOURNAL_SUBMITTING, /* open: generateTask may have left, no id */
  GST_APIXO_JOURNAL_SUBMITTED,  /* open: the task id is known */
  GST_APIXO_JOURNAL_DELIVERED,  /* closed: the result was delivered */
  GST_APIXO_JOURNAL_FAILED,     /* closed: the task failed or was refused */
} GstApixoJournalState;

typedef struct {
  GstApixoJournalState state;
  gchar *key;         /* the run identity's key */
  gchar *holder;      /* token of the lease of the run that wrote it */
  gchar *model;       /* model id */
  gchar *request;     /* the canonical request (JSON text), for people */
  gchar *task_id;     /* NULL while SUBMITTING */
  gint64 intent_time; /* Unix µs: the submission was about to leave */
  gint64 submit_time; /* Unix µs: the task id arrived (0: not yet) */
  gint64 close_time;  /* Unix µs: closed (0: open) */
  gchar *result_url;  /* the result's URL once known, or NULL */
  gchar *location;    /* the delivered file (save-location or cache
                        * entry), NULL when only streamed */
  guint64 size;       /* the result's size once known, 0 otherwise */
  gchar *message;     /* FAILED: why */
} GstApixoJournalRecord;

GstApixoJournalRecord *gst_apixo_journal_record_new (void);
GstApixoJournalRecord *
gst_apixo_journal_record_copy (const GstApixoJournalRecord *record);
void gst_apixo_journal_record_free (GstApixoJournalRecord *record);
/* TRUE for SUBMITTING and SUBMITTED. */
gboolean gst_apixo_journal_record_is_open (const GstApixoJournalRecord *record);
const gchar *gst_apixo_journal_state_to_string (GstApixoJournalState state);

/* The journal of @cache_dir (created with its "journal" and
 * "journal/done" subdirectories, mode 0700, if missing; done/ records
 * older than GST_APIXO_JOURNAL_KEEP_DAYS are removed, at most once per
 * process and directory).  NULL and a G_IO_ERROR / G_FILE_ERROR error if
 * the directory cannot be created or written (read-only, full...). */
GstApixoJournal *gst_apixo_journal_open (const gchar *cache_dir,
                                         GError **error);
GstApixoJournal *gst_apixo_journal_ref (GstApixoJournal *journal);
void gst_apixo_journal_unref (GstApixoJournal *journal);
/* "<cache_dir>/journal" */
const gchar *gst_apixo_journal_get_dir (GstApixoJournal *journal);

/* The record of @key, or NULL when there is none (or it cannot be parsed:
 * a record is untrusted input; an unreadable one is treated as absent and
 * logged). */
GstApixoJournalRecord *gst_apixo_journal_read (GstApixoJournal *journal,
                                               const gchar *key);

/* Durably replaces the record of record->key with @record (its holder
 * must hold the key's lease: not checked).  When @record is closed
 * (DELIVERED, FAILED), a copy is also written to
 * "done/<YYYYMMDDTHHMMSSZ>-<task id or key>.json".  FALSE and @error on
 * failure (the disk is full, the directory read-only...). */
gboolean gst_apixo_journal_write (GstApixoJournal *journal,
                                  const GstApixoJournalRecord *record,
                                  GError **error);

/* Path of the lease file of @key ("<journal dir>/<key>.lease"), for
 * gst_apixo_lease_try_acquire(). */
gchar *gst_apixo_journal_lease_path (GstApixoJournal *journal,
                                     const gchar *key);

G_END_DECLS

#endif /* __GST_APIXO_JOURNAL_H__ */
