/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_CLAIM_H__
#define __GST_APIXO_CLAIM_H__

#include <gst/gst.h>

#include "gstapixoidentity.h"
#include "gstapixojournal.h"

G_BEGIN_DECLS

/**
 * GstApixoClaim:
 *
 * One run's claim on its identity in the journal of a cache directory:
 * the identity's lease (one run of it at a time, in every process and on
 * every machine sharing the directory) and the writes of its record as
 * the run goes (the intent before the submission leaves, the task id the
 * moment it arrives, the close once the result is delivered).
 *
 * Thread safety: claim->lock guards the record; any thread.
 */
typedef struct _GstApixoClaim GstApixoClaim;

typedef enum {
  /* Nothing of this identity is running or owed: submit. */
  GST_APIXO_CLAIM_SUBMIT,
  /* An open record with a task id (a run that died or was stopped): resume
   * the record's task. */
  GST_APIXO_CLAIM_RESUME,
  /* The run this one waited for delivered its result (the record says
   * where): share it. */
  GST_APIXO_CLAIM_SHARE,
  /* An open record whose submission was never answered: the service may
   * have created and billed a task we know nothing of. */
  GST_APIXO_CLAIM_UNKNOWN,
  /* Another live run holds the identity: try again later. */
  GST_APIXO_CLAIM_BUSY,
} GstApixoClaimVerdict;

/* A claim on @identity's run key in the journal of @cache_dir, not taken
 * yet.  NULL + @error when the journal cannot be opened (a read-only or
 * full directory): the caller warns and runs without one. */
GstApixoClaim *gst_apixo_claim_new (const gchar *cache_dir,
                                    const GstApixoIdentity *identity,
                                    const gchar *model,
                                    GMainContext *heartbeat_context,
                                    GError **error);

/* Any thread, never blocks long (small file I/O).  Tries to take the lease
 * and reads the identity's record: the verdict.  BUSY: try again later
 * (each holder met is remembered: a record closed by one of them is that
 * run's result, SHARE).  UNKNOWN and RESUME keep the lease: the record
 * (gst_apixo_claim_get_record()) says more.  FALSE + @error only when the
 * lease cannot be taken for another reason than a live holder. */
gboolean gst_apixo_claim_try (GstApixoClaim *claim,
                              GstApixoClaimVerdict *verdict, GError **error);

/* The record read by the last try() (NULL: there was none), until the
 * next write.  Owned by the claim. */
const GstApixoJournalRecord *gst_apixo_claim_get_record (GstApixoClaim *claim);

/* Worker thread (the task's callbacks): the run's steps, each recorded
 * durably.  FALSE + @error when the journal could not be written (the run
 * goes on: a warning). */
gboolean gst_apixo_claim_sending (GstApixoClaim *claim, GError **error);
/* The task id arrived (@resumed: a task resumed, not submitted by this
 * run: its recorded submission time stays). */
gboolean gst_apixo_claim_task_id (GstApixoClaim *claim, const gchar *task_id,
                                  gboolean resumed, GError **error);
gboolean gst_apixo_claim_succeeded (GstApixoClaim *claim,
                                    const gchar *result_url, GError **error);

/* Closes the record: DELIVERED at @location (NULL: streamed only) with
 * @size bytes, or FAILED with @message.  No-op when closed already.  A
 * record closed drops the lease at once: a run waiting for this one reads
 * the record and goes on, while this element may still be PLAYING. */
gboolean gst_apixo_claim_close (GstApixoClaim *claim,
                                GstApixoJournalState state,
                                const gchar *location, guint64 size,
                                const gchar *message, GError **error);

/* Any thread.  Drops the lease (the record stays as it is: open, it is
 * resumed by the next run) and frees.  NULL is ignored. */
void gst_apixo_claim_release (GstApixoClaim *claim);

G_END_DECLS

#endif /* __GST_APIXO_CLAIM_H__ */
