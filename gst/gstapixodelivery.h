/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_DELIVERY_H__
#define __GST_APIXO_DELIVERY_H__

#include <gst/gst.h>

#include "gstapixocache.h"
#include "gstapixoclaim.h"
#include "gstapixoidentity.h"
#include "gstapixospool.h"

G_BEGIN_DECLS

/**
 * GstApixoDelivery:
 *
 * What a run owes to the runs after it: the journal's record of its steps
 * (through its claim) and, with the result cache, the finished result
 * stored there (on a thread of its own, before EOS may leave).  Either
 * may be absent (journal=false, cache=false): the calls then do nothing;
 * the steps also take a NULL delivery (a run resuming the user's task-id
 * records nothing).
 *
 * Thread safety: the steps come from the worker (the task's and the
 * spool's callbacks) and the streaming thread (streamed()), one at a time
 * per run; the claim has its own lock.  d->store_lock guards the store
 * thread's handle.
 */
typedef struct _GstApixoDelivery GstApixoDelivery;

/* A warning to post (any thread): the journal or the cache could not be
 * written; reason cache-directory. */
typedef void (*GstApixoDeliveryWarnFunc) (const gchar *text,
                                          gpointer user_data);

/* @claim, @cache: taken (NULL: none); @identity: copied when @cache is
 * set; @model, @save_location: copied. */
GstApixoDelivery *
gst_apixo_delivery_new (GstApixoClaim *claim, GstApixoCache *cache,
                        const GstApixoIdentity *identity, const gchar *model,
                        const gchar *save_location,
                        GstApixoDeliveryWarnFunc warn, gpointer user_data);

/* The task's steps, recorded durably: the submission is about to leave;
 * the task id arrived (@resumed: of a task resumed, not submitted); the
 * task succeeded with @result_url; the task ended with @error and its
 * @details (the record closes only when nothing more can come of it). */
void gst_apixo_delivery_sending (GstApixoDelivery *d);
/* The submission announced by sending() never left (stopped while it
 * waited for a connection): the record closes, nothing was billed. */
void gst_apixo_delivery_unsent (GstApixoDelivery *d);
void gst_apixo_delivery_task_id (GstApixoDelivery *d, const gchar *task_id,
                                 gboolean resumed);
void gst_apixo_delivery_succeeded (GstApixoDelivery *d,
                                   const gchar *result_url);
void gst_apixo_delivery_failed (GstApixoDelivery *d, const GError *error,
                                const GstStructure *details);

/* Worker thread: @spool's file is complete (and kept at save-location when
 * set).  Returns TRUE when the result is delivered now (record closed if
 * kept); FALSE when a cache store started: @done (@done_data) is called
 * from its thread once it is over (stored, failed or cancelled). */
gboolean gst_apixo_delivery_complete (GstApixoDelivery *d, GstApixoSpool *spool,
                                      const gchar *task_id, gint64 task_time,
                                      GFunc done, gpointer done_data);

/* Streaming thread: the result went to EOS: delivered. */
void gst_apixo_delivery_streamed (GstApixoDelivery *d);

/* The result's sidecar (JSON text, gstapixosidecar.h), stored with its
 * cache entry: call it before complete(). */
void gst_apixo_delivery_set_sidecar (GstApixoDelivery *d, const gchar *sidecar);

/* Any thread but the worker's.  Stops a cache store (cancelled, joined:
 * its @done has run when this returns), releases the claim (an open record stays
 * open, for the next run to resume), frees.  NULL is ignored. */
void gst_apixo_delivery_free (GstApixoDelivery *d);

G_END_DECLS

#endif /* __GST_APIXO_DELIVERY_H__ */
