/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_PAY_ONCE_H__
#define __GST_APIXO_PAY_ONCE_H__

#include <gst/gst.h>

#include "gstapixocache.h"
#include "gstapixoclaim.h"
#include "gstapixoidentity.h"
#include "gstapixorun.h"

G_BEGIN_DECLS

/**
 * GstApixoKept:
 *
 * What an element keeps of its last run for a replay (READY -> PAUSED
 * again with the same settings): the run's identity and its complete
 * result (@fd >= 0, @size), or the task that may still give it (@task_id,
 * @fd -1).  Kept until the element goes to NULL or runs another identity.
 */
typedef struct {
  GstApixoIdentity *identity;
  gint fd;
  guint64 size;
  gchar *task_id;
} GstApixoKept;

void gst_apixo_kept_free (GstApixoKept *kept);

typedef enum {
  GST_APIXO_PAY_ONCE_SUBMIT, /* submit (claim/cache: what to record) */
  GST_APIXO_PAY_ONCE_RESUME, /* resume task_id (submitted at submit_time) */
  GST_APIXO_PAY_ONCE_SERVE,  /* the result is here: fd, size, message */
  GST_APIXO_PAY_ONCE_FAIL,   /* error, details: nothing may be sent */
  GST_APIXO_PAY_ONCE_CANCELLED,
} GstApixoPayOnceAction;

/**
 * GstApixoPayOnce:
 *
 * The decision, before a run sends anything, that makes "never pay twice"
 * true: the element's replay (@kept), the result cache (cache=true), then
 * the journal (journal=true): resume the task of an open record, share
 * the result of a live run of the same identity (waited for), refuse when
 * an earlier submission's outcome is unknown, or submit.
 */
typedef struct {
  GstApixoPayOnceAction action;
  gint fd;
  guint64 size;
  gchar *task_id;
  gint64 submit_time;
  GstStructure *message; /* SERVE: the "apixo-task" message to post */
  GstApixoClaim *claim;  /* SUBMIT, RESUME: the run's claim (or NULL) */
  GstApixoCache *cache;  /* SUBMIT, RESUME: where to store the result;
                          * SERVE of a cache hit: where to note its use */
  GError *error;         /* FAIL */
  GstStructure *details; /* FAIL */
} GstApixoPayOnce;

typedef struct {
  /* an "apixo-task" message to post (taken) */
  void (*message) (GstStructure *s, gpointer user_data);
  /* a GST_RESOURCE_ERROR warning with reason cache-directory */
  void (*warning) (const gchar *text, gpointer user_data);
  /* still waiting for another live run of the same request, @elapsed
   * seconds after the wait began: every progress-interval seconds */
  void (*waiting) (gdouble elapsed, gpointer user_data);
  gpointer user_data;
} GstApixoPayOnceCallbacks;

/* Streaming thread.  What needs neither the worker nor the journal: the
 * element's replay (@kept) and the result cache.  TRUE when that decided
 * (SERVE, or RESUME of the kept task); FALSE otherwise, with the cache
 * opened in @decision (cache=true) for decide() to go on with.  A hit
 * with save-location copies the result there, interruptibly
 * (@cancellable).
 * @quick (any thread; start()): only what takes no time and changes no
 * entry: a replay, or a cache entry whose stamp still matches
 * (gst_apixo_cache_lookup_stamped()), never with save-location, no
 * warning (opening the cache may make its directory, as a full find
 * would); anything else is left to a full find, which looks again. */
gboolean gst_apixo_pay_once_find (GstApixoPayOnce *decision,
                                  const GstApixoRunConfig *config,
                                  const GstApixoIdentity *identity,
                                  const GstApixoKept *kept,
                                  const GstApixoPayOnceCallbacks *callbacks,
                                  GCancellable *cancellable, gboolean quick);

/* Streaming thread, after find() returned FALSE: the journal's verdict.
 * Waits (interruptibly: @cancellable) only while another live run holds
 * the identity.  @heartbeat: the worker's context, for the lease. */
void gst_apixo_pay_once_decide (GstApixoPayOnce *decision,
                                const GstApixoRunConfig *config,
                                const GstApixoIdentity *identity,
                                GMainContext *heartbeat,
                                const GstApixoPayOnceCallbacks *callbacks,
                                GCancellable *cancellable);

/* Frees what the decision still holds (what was handed on is NULL). */
void gst_apixo_pay_once_clear (GstApixoPayOnce *decision);

G_END_DECLS

#endif /* __GST_APIXO_PAY_ONCE_H__ */
