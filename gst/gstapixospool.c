/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Result spool: one sequential download of the result URL, plus short Range
 * requests for reads far ahead of it, written with pwrite() into one sparse
 * file and served to streaming threads with pread().
 *
 * Thread safety notes
 * -------------------
 * - spool->lock guards the "shared" block of struct _GstApixoSpool (what has
 *   arrived, the size, the end state, the far-ahead ranges in flight, the
 *   number of worker holds, the waiting readers).  spool->cond is broadcast
 *   when the end state, the size, the holds or the ranges in flight change,
 *   when a reader's cancellable is cancelled, and when bytes arrive that a
 *   waiting reader may need: a far-ahead range's bytes while any reader
 *   waits (spool->waiters), the sequential download's once it reaches
 *   spool->wake_at (the lowest position a waiting reader needs it to reach;
 *   reset to G_MAXUINT64 by the broadcast, every woken reader that still
 *   has to wait sets it again).  No broadcast when no reader waits.  That
 *   broadcast of arriving bytes (transfer_got_data()) is made just after
 *   spool->lock is released, so that the woken reader does not block at
 *   once on the lock the worker still holds: the state it announces was
 *   changed under the lock, so a reader either sees it before it waits or
 *   is woken (GCond needs no lock to broadcast), and the transfer's hold
 *   keeps the spool alive until then.  Every other broadcast is made with
 *   the lock held.
 * - The "worker" block (transfers, validators, retry state) is touched only
 *   on the worker thread, with no lock; gst_apixo_spool_free() reads it only
 *   after the worker released its last hold (the lock orders the two).
 * - The "immutable" block is set in new()/start() before the worker sees the
 *   spool, and never changes after; what it points to in the run config
 *   (HTTP settings, save-location) is immutable too (the config is shared
 *   with the element and the task, and read without a lock).
 * - Holds: every SpoolTransfer alive and every idle/timer/thread callback
 *   that may still run counts one hold.  A transfer's own timers (no
 *   progress, min-speed samples, download-deadline, backoff) are covered by
 *   its hold: they are destroyed before transfer_free() releases it.  The worker releases a hold as the
 *   very last thing it does with the spool; free() waits for zero holds.
 * - Lock order: a GCancellable's internal lock (its "cancelled" handler takes
 *   spool->lock), then spool->lock, then the worker GMainContext's lock
 *   (g_source_attach() under spool->lock).  Therefore g_cancellable_connect()
 *   and g_cancellable_disconnect() are never called with spool->lock held,
 *   and the callbacks are called with no lock held.  No other lock is taken
 *   inside spool->lock; file I/O happens outside it.
 * - libsoup objects and the transfers' GCancellables are only used on the
 *   worker thread (free() gets there through gst_apixo_worker_invoke()).
 * - The read buffer of the pollable path belongs to the worker thread (a
 *   GPrivate, freed when that thread ends): every transfer on that thread
 *   uses it in turn, within one dispatch, so its memory does not grow with
 *   the number of downloads.
 *
 * Design
 * ------
 * - The sequential download runs as fast as the network allows, in
 *   fixed-size reads of at most SPOOL_CHUNK bytes, whatever the readers do.
 *   When the body stream is pollable (libsoup's are), one dispatch reads
 *   what the stream already has, up to SPOOL_DISPATCH bytes (other
 *   transfers and requests share the worker), writes them in one pwrite(),
 *   then waits on a pollable source for more; otherwise one
 *   g_input_stream_read_async() per chunk into a buffer of the transfer.
 * - A temp spool file is unlinked as soon as it is created and used through
 *   its descriptor only, so a process that dies leaves nothing behind; a
 *   keep location is written as "<keep_location>.part" and renamed when
 *   complete.
 * - The file is preallocated to the announced size (fallocate(), where the
 *   file system supports it; nothing otherwise): cheaper writes, fewer
 *   fragments.
 * - The no-progress timer is not moved for every chunk: the transfer notes
 *   the time of its last progress, and the timer, when it fires, moves
 *   itself to that time + timeout if there was progress meanwhile.
 * - A read whose first missing byte is more than SPOOL_FAR_AHEAD beyond the
 *   sequential position gets a Range request [first missing, + max(size,
 *   SPOOL_RANGE_MIN)) (e.g. the moov at the end of a file), unless the
 *   sequential download, at its rate so far, brings those bytes sooner than
 *   this file's slowest answer so far (request to headers) took: then a
 *   range would only take bandwidth and a connection from the download
 *   (qtdemux's interleaved reads a few MiB ahead, on a fast link).  The
 *   sequential download does not skip what ranges brought: it overwrites
 *   those bytes with the same bytes (If-Range guarantees the same file).
 *   Skipping would cost a new connection and request per hole, for a few
 *   hundred KiB, and keeping one writer that covers [0, size) makes
 *   completion simple.
 * - Resume: Range: bytes=N- with If-Range (strong ETag, else Last-Modified).
 *   A 200 answer to it with another validator or length means the file
 *   changed: fail (never splice two files).  With the same validator the
 *   server just ignores ranges: restart from 0, overwriting identical bytes,
 *   and send no more far-ahead ranges.
 * - Retries count consecutive failures without progress (new bytes beyond
 *   the furthest point reached reset the count).  A transfer dropped for
 *   being slower than min-speed made progress by definition: those drops
 *   are counted apart and never reset, so a trickle cannot retry forever.
 * - Bounds: min-speed is sampled once a second per attempt of the
 *   sequential download (a window of min-speed-time samples slides over
 *   them); max-result-size is checked on the announced length and on every
 *   write; download-deadline is one timer over the whole sequential
 *   download (attempts and backoffs).  Each failure notes its cause (reason,
 *   property) for gst_apixo_spool_error_details().
 * - Verification: the body's end only means the result once the verify
 *   callback says so (an MP4 check).  A body whose end was the connection
 *   closing (no length, not chunked) may have been cut: that download
 *   starts again from byte 0 within the retry budget.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixospool.h"
#include "gstapixodebug.h"
#include "gstapixoerror.h"
#include "gstapixonetpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

GST_DEBUG_CATEGORY_STATIC (apixo_spool_debug);
#define GST_CAT_DEFAULT apixo_spool_debug

/* One network read, a fixed bound (never grown).  The pollable path reads
 * into one buffer of SPOOL_DISPATCH bytes per worker thread, whatever the
 * number of downloads; the fallback path holds one of SPOOL_CHUNK per
 * transfer.  Measurements in docs/performance.md. */
#define SPOOL_CHUNK (256 * 1024)
/* Bytes read per dispatch at most (reads of at most SPOOL_CHUNK), before
 * the worker serves its other sources: about 0.1 ms on loopback.  They go
 * to the file in one write.  Measured on this project's machines (issue 10,
 * docs/performance.md): 64 KiB to 2 MiB download equally fast, over HTTPS
 * (TLS records of 16 KiB) and plain HTTP alike, so the buffer is small: it
 * is resident memory of every process that downloads. */
#define SPOOL_DISPATCH (128 * 1024)
/* A read starting this far beyond the sequential download may get its own
 * Range request rather than waiting (less would send ranges for qtdemux's
 * interleaved reads near the download front); further only where the
 * download would take longer to get there than a range to answer
 * (gst_apixo_spool_far_ahead()). */
#define SPOOL_FAR_AHEAD (2 * 1024 * 1024)
/* Smallest far-ahead Range request (a moov atom usually fits). */
#define SPOOL_RANGE_MIN (512 * 1024)
/* Far-ahead requests in flight at once, and failures before giving up on
 * them (readers then wait for the sequential download). */
#define SPOOL_MAX_RANGES 4
#define SPOOL_MAX_RANGE_FAILURES 3
/* Progress is reported per 1 MiB or per 1 %, whichever is coarser. */
#define SPOOL_PROGRESS_STEP (1024 * 1024)

/* Internal: gst_apixo_spool_read() has to wait. */
#define SPOOL_FLOW_WAIT GST_FLOW_CUSTOM_SUCCESS

typedef struct {
  guint64 start, end; /* [start, end) */
} SpoolInterval;

/* A far-ahead request, visible to readers (under spool->lock). */
typedef struct {
  guint64 start, end; /* requested [start, end) */
  guint64 pos;        /* next byte expected */
} SpoolRange;

typedef struct _SpoolTransfer SpoolTransfer;

struct _GstApixoSpool {
  /* immutable */
  GstApixoWorker *worker;
  GstApixoRunConfig *config;        /* shared, read-only */
  const GstApixoHttpSettings *http; /* the config's */
  GstApixoSpoolCallbacks callbacks;
  gpointer user_data;
  gchar *path; /* "<keep_location>.part"; NULL: a nameless temp file */
  const gchar *keep_location; /* the config's save-location; NULL: temp */
  gint fd;
  gchar *uri;      /* set in start(), before the worker sees it */
  gchar *host;     /* for error messages */
  gchar *log_name; /* host + path, never the query (signed tokens) */

  /* shared: spool->lock */
  GMutex lock;
  GCond cond;
  GArray *have;    /* SpoolInterval, sorted, merged: bytes in the file */
  guint64 seq_pos; /* where the sequential download writes next */
  gint64 total;    /* -1 until known */
  gboolean complete;
  gboolean kept; /* renamed to keep_location */
  GError *error; /* failed for good */
  guint http_status;
  const gchar *fail_reason;   /* GST_APIXO_REASON_*, with error */
  const gchar *fail_property; /* the bound that stopped it, or NULL */
  gboolean started;
  gboolean closing; /* free() has begun */
  guint holds;
  GPtrArray *ranges; /* SpoolRange in flight */
  guint range_failures;
  gboolean ranges_disabled;
  guint waiters;       /* readers in g_cond_wait() */
  guint64 wake_at;     /* broadcast once seq_pos reaches this */
  gint64 seq_since;    /* monotonic time the sequential answer began, or 0 */
  guint64 seq_from;    /* seq_pos then */
  gint64 answer_usecs; /* slowest answer (request to headers) of this file */

  /* worker thread only */
  gboolean stopping;
  SpoolTransfer *seq;
  GPtrArray *range_transfers;
  gchar *etag;
  gchar *last_modified;
  guint64 high_water; /* furthest byte the sequential download reached */
  guint64 last_progress;
  gint64 progress_total;       /* spool->total as the worker last set it */
  guint attempts;              /* consecutive failures without progress */
  guint slow_failures;         /* drops below min-speed (never reset) */
  const gchar *cause_reason;   /* of the current attempt's failure */
  const gchar *cause_property; /* (static strings; NULL: a download error) */
};

struct _SpoolTransfer {
  GstApixoSpool *spool;
  SpoolRange *range; /* NULL: the sequential download */
  guint64 pos;       /* next byte to write */
  guint64 limit;     /* end of the answer's bytes (0: unknown) */
  SoupMessage *msg;
  GInputStream *stream;
  GPollableInputStream *pollable; /* stream, if it can poll (no ref) */
  GSource *readable;              /* waiting for more of the pollable stream */
  GCancellable *cancellable; /* this attempt; cancelled on stall/shutdown */
  GSource *stall;            /* no progress for http.timeout seconds */
  GSource *backoff;          /* sequential download between attempts */
  gint64 last_activity;      /* monotonic time of the last progress */
  gint64 sent_at;            /* monotonic time this attempt was sent */
  gboolean timed_out;
  GSource *speed;    /* min-speed: one sample a second (this attempt) */
  guint64 *samples;  /* t->pos, a second apart: a ring of min-speed-time + 1 */
  guint n_samples;   /* taken this attempt */
  gboolean too_slow; /* cancelled by the min-speed check */
  GSource *deadline; /* download-deadline (sequential, all attempts) */
  gboolean deadline_passed;
  gboolean eof_body; /* this answer's body ends when the connection closes */
  guint8 *buf;       /* read_async() buffer (not pollable streams only) */
};

static void transfer_send (SpoolTransfer *t);
static void transfer_read (SpoolTransfer *t);

/* ---- helpers ------------------------------------------------------------ */

static void
spool_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_spool_debug, "apixospool", 0,
                                      "APIXO result spool");
}

static gchar *
spool_log_name (const gchar *uri)
{
  GUri *parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, NULL);
  gchar *host, *name;

  if (parsed == NULL)
    return g_strdup ("(invalid URI)");
  host = gst_apixo_http_uri_host (uri);
  name = g_strconcat (host, g_uri_get_path (parsed), NULL);
  g_free (host);
  g_uri_unref (parsed);
  return name;
}

/* Adds [start, end) to the sorted, merged set. */
static void
intervals_add (GArray *set, guint64 start, guint64 end)
{
  SpoolInterval merged = { start, end };
  guint i = 0, j;

  if (start >= end)
    return;
  while (i < set->len && g_array_index (set, SpoolInterval, i).end < start)
    i++;
  for (j = i; j < set->len; j++) {
    SpoolInterval *iv = &g_array_index (set, SpoolInterval, j);

    if (iv->start > end)
      break;
    merged.start = MIN (merged.start, iv->start);
    merged.end = MAX (merged.end, iv->end);
  }
  if (j == i + 1) {
    g_array_index (set, SpoolInterval, i) = merged;
    return;
  }
  if (j > i)
    g_array_remove_range (set, i, j - i);
  g_array_insert_val (set, i, merged);
}

/* First byte at or after @offset not in the set. */
static guint64
intervals_first_missing (GArray *set, guint64 offset)
{
  guint i;

  for (i = 0; i < set->len; i++) {
    SpoolInterval *iv = &g_array_index (set, SpoolInterval, i);

    if (iv->start > offset)
      break;
    if (offset < iv->end)
      return iv->end;
  }
  return offset;
}

/* Start of the first interval beginning after @offset (G_MAXUINT64: none). */
static guint64
intervals_next_start (GArray *set, guint64 offset)
{
  guint i;

  for (i = 0; i < set->len; i++) {
    if (g_array_index (set, SpoolInterval, i).start > offset)
      return g_array_index (set, SpoolInterval, i).start;
  }
  return G_MAXUINT64;
}

/* Where the sequential download (which fills [0, seq_pos)) must have got
 * for [offset, want_end) to be all there: the start of the interval holding
 * the last byte if one does (what lies before it is a hole), else
 * @want_end. */
static guint64
intervals_seq_need (GArray *set, guint64 offset, guint64 want_end)
{
  guint i;

  for (i = 0; i < set->len; i++) {
    SpoolInterval *iv = &g_array_index (set, SpoolInterval, i);

    if (iv->start >= want_end)
      break;
    if (want_end <= iv->end)
      return MAX (iv->start, offset);
  }
  return want_end;
}

static void
spool_hold_locked (GstApixoSpool *spool)
{
  spool->holds++;
}

/* The last thing the worker does with @spool in a given callback chain:
 * once holds reaches 0, free() may run. */
static void
spool_release (GstApixoSpool *spool)
{
  g_mutex_lock (&spool->lock);
  g_assert (spool->holds > 0);
  if (--spool->holds == 0)
    g_cond_broadcast (&spool->cond);
  g_mutex_unlock (&spool->lock);
}

static gboolean
spool_may_notify (GstApixoSpool *spool)
{
  gboolean closing;

  g_mutex_lock (&spool->lock);
  closing = spool->closing;
  g_mutex_unlock (&spool->lock);
  return !closing;
}

/* Worker.  At most once per step, and once per dispatch (callers). */
static void
spool_notify_progress (GstApixoSpool *spool, gboolean force)
{
  guint64 received = spool->high_water;
  guint64 step = SPOOL_PROGRESS_STEP;
  gint64 total = spool->progress_total;

  if (total > 0)
    step = MAX (step, (guint64)total / 100);
  if (!force && received / step == spool->last_progress / step)
    return;
  spool->last_progress = received;
  if (spool->callbacks.progress != NULL && spool_may_notify (spool))
    spool->callbacks.progress (spool, received, total, spool->user_data);
}

static void
spool_notify_finished (GstApixoSpool *spool, const GError *error)
{
  if (spool->callbacks.finished != NULL && spool_may_notify (spool))
    spool->callbacks.finished (spool, error, spool->user_data);
}

/* Worker.  The read buffer of the pollable path (see the notes at the
 * top). */
static guint8 *
spool_worker_buffer (void)
{
  static GPrivate buffer = G_PRIVATE_INIT (g_free);
  guint8 *buf = g_private_get (&buffer);

  if (buf == NULL) {
    buf = g_malloc (SPOOL_DISPATCH);
    g_private_set (&buffer, buf);
  }
  return buf;
}

/* Worker.  Reserves the announced size on disk where the file system can
 * (cheaper writes, no fragmentation); silently nothing elsewhere.  Not
 * posix_fallocate(): glibc emulates it by writing every block where the
 * file system cannot allocate, which would write the file twice. */
static void
spool_preallocate (GstApixoSpool *spool, guint64 size)
{
#ifdef __linux__
  if (size > 0 && fallocate (spool->fd, 0, 0, (off_t)size) != 0)
    GST_DEBUG ("%s: not preallocated: %s", spool->log_name, g_strerror (errno));
#endif
}

static gboolean
write_all (gint fd, const guint8 *data, gsize size, guint64 offset,
           GError **error)
{
  while (size > 0) {
    gssize n = pwrite (fd, data, size, (off_t)offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      gint err = n < 0 ? errno : ENOSPC;

      g_set_error (
          error, GST_RESOURCE_ERROR,
          err == ENOSPC || err == EDQUOT ? GST_RESOURCE_ERROR_NO_SPACE_LEFT
                                         : GST_RESOURCE_ERROR_WRITE,
          "Could not write the result to the spool file: %s", g_strerror (err));
      return FALSE;
    }
    data += n;
    size -= n;
    offset += n;
  }
  return TRUE;
}

static gboolean
read_all (gint fd, guint8 *data, gsize size, guint64 offset, GError **error)
{
  while (size > 0) {
    gssize n = pread (fd, data, size, (off_t)offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                   "Could not read the spool file: %s",
                   n < 0 ? g_strerror (errno) : "unexpected end of file");
      return FALSE;
    }
    data += n;
    size -= n;
    offset += n;
  }
  return TRUE;
}

static const gchar *
spool_if_range (GstApixoSpool *spool)
{
  /* If-Range needs a strong validator (RFC 9110 13.1.5). */
  if (spool->etag != NULL && !g_str_has_prefix (spool->etag, "W/"))
    return spool->etag;
  return spool->last_modified;
}

/* ---- transfers ---------------------------------------------------------- */

static SpoolTransfer *
transfer_new (GstApixoSpool *spool, SpoolRange *range)
{
  SpoolTransfer *t = g_new0 (SpoolTransfer, 1);

  t->spool = spool;
  t->range = range;
  t->pos = range ? range->start : 0;
  return t;
}

/* Worker.  Ends the current attempt (not the transfer). */
static void
transfer_end_attempt (SpoolTransfer *t)
{
  if (t->stall != NULL) {
    g_source_destroy (t->stall);
    g_clear_pointer (&t->stall, g_source_unref);
  }
  if (t->readable != NULL) {
    g_source_destroy (t->readable);
    g_clear_pointer (&t->readable, g_source_unref);
  }
  if (t->speed != NULL) {
    g_source_destroy (t->speed);
    g_clear_pointer (&t->speed, g_source_unref);
  }
  t->too_slow = FALSE;
  t->pollable = NULL;
  if (t->stream != NULL) {
    /* Closing mid-body makes libsoup drop the connection without reading
     * the rest (never let dispose close it with no cancellable). */
    g_input_stream_close (t->stream, t->cancellable, NULL);
    g_clear_object (&t->stream);
  }
  g_clear_object (&t->msg);
  g_clear_object (&t->cancellable);
  t->timed_out = FALSE;
}

/* Worker.  Frees @t and releases its hold: nothing may touch the spool
 * after this. */
static void
transfer_free (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;

  transfer_end_attempt (t);
  if (t->backoff != NULL) {
    g_source_destroy (t->backoff);
    g_clear_pointer (&t->backoff, g_source_unref);
  }
  if (t->deadline != NULL) {
    g_source_destroy (t->deadline);
    g_clear_pointer (&t->deadline, g_source_unref);
  }
  g_free (t->samples);
  if (t->range != NULL) {
    g_ptr_array_remove (spool->range_transfers, t);
    g_mutex_lock (&spool->lock);
    g_ptr_array_remove_fast (spool->ranges, t->range);
    g_cond_broadcast (&spool->cond);
    g_mutex_unlock (&spool->lock);
    g_free (t->range);
  } else if (spool->seq == t) {
    spool->seq = NULL;
  }
  g_free (t->buf);
  g_free (t);
  spool_release (spool);
}

static gboolean
stall_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs stall_funcs = {
  NULL, NULL, stall_dispatch, NULL, NULL, NULL,
};

static gboolean
transfer_stalled (gpointer data)
{
  SpoolTransfer *t = data;
  gint64 deadline =
      t->last_activity + t->spool->http->timeout * G_TIME_SPAN_SECOND;

  /* Progress since the timer was set: wait from there. */
  if (g_get_monotonic_time () < deadline) {
    g_source_set_ready_time (t->stall, deadline);
    return G_SOURCE_CONTINUE;
  }
  GST_DEBUG ("%s: no progress for %u s", t->spool->log_name,
             t->spool->http->timeout);
  t->timed_out = TRUE;
  g_cancellable_cancel (t->cancellable);
  return G_SOURCE_CONTINUE;
}

/* Worker.  Progress: the no-progress timer counts from now (cheap: the
 * timer moves itself when it fires). */
static inline void
transfer_touch (SpoolTransfer *t)
{
  t->last_activity = g_get_monotonic_time ();
}

/* Worker.  (Re)starts the no-progress timer. */
static void
transfer_arm_stall (SpoolTransfer *t)
{
  transfer_touch (t);
  if (t->spool->http->timeout == 0)
    return;
  if (t->stall == NULL) {
    t->stall = g_source_new (&stall_funcs, sizeof (GSource));
    g_source_set_callback (t->stall, transfer_stalled, t, NULL);
    g_source_attach (t->stall, gst_apixo_worker_get_context (t->spool->worker));
  }
  g_source_set_ready_time (t->stall,
                           t->last_activity +
                               t->spool->http->timeout * G_TIME_SPAN_SECOND);
}

/* Worker.  What the failure to come is about: @reason (GST_APIXO_REASON_*,
 * NULL: download) and the @property naming the bound that stopped it (NULL:
 * none).  Static strings. */
static void
spool_cause (GstApixoSpool *spool, const gchar *reason, const gchar *property)
{
  spool->cause_reason = reason;
  spool->cause_property = property;
}

/* Worker, once a second while the sequential body arrives: drops the
 * attempt when the last min-speed-time seconds brought fewer than
 * min-speed bytes a second (curl's --speed-limit/--speed-time). */
static gboolean
transfer_check_speed (gpointer data)
{
  SpoolTransfer *t = data;
  const GstApixoSettings *s = &t->spool->config->settings;
  guint ring = s->min_speed_time + 1;
  guint64 oldest;

  t->samples[t->n_samples++ % ring] = t->pos;
  if (t->too_slow || t->n_samples < ring)
    return G_SOURCE_CONTINUE;
  oldest = t->samples[t->n_samples % ring];
  if (t->pos - oldest >= (guint64)s->min_speed * s->min_speed_time)
    return G_SOURCE_CONTINUE;
  GST_DEBUG ("%s: %" G_GUINT64_FORMAT " bytes in the last %u s, less than "
             "min-speed %u bytes/s",
             t->spool->log_name, t->pos - oldest, s->min_speed_time,
             s->min_speed);
  t->too_slow = TRUE;
  g_cancellable_cancel (t->cancellable);
  return G_SOURCE_CONTINUE;
}

/* Worker.  Starts sampling the sequential body's speed (min-speed > 0). */
static void
transfer_arm_speed (SpoolTransfer *t)
{
  const GstApixoSettings *s = &t->spool->config->settings;

  if (t->range != NULL || s->min_speed == 0 || s->min_speed_time == 0)
    return;
  if (t->samples == NULL)
    t->samples = g_new (guint64, s->min_speed_time + 1);
  t->samples[0] = t->pos;
  t->n_samples = 1;
  t->speed = gst_apixo_worker_add_timeout (t->spool->worker, 1000,
                                           transfer_check_speed, t, NULL);
}

/* Worker.  Cancels the far-ahead requests (the download ended). */
static void
spool_cancel_ranges (GstApixoSpool *spool)
{
  guint i;

  for (i = 0; i < spool->range_transfers->len; i++) {
    SpoolTransfer *t = g_ptr_array_index (spool->range_transfers, i);

    if (t->cancellable != NULL)
      g_cancellable_cancel (t->cancellable);
  }
}

/* @text from the result host (a reason phrase, a header) as it may be
 * shown: without the API key, bounded.  A copy (NULL for NULL). */
static gchar *
spool_redact (GstApixoSpool *spool, const gchar *text)
{
  gchar *clean = gst_apixo_redact (
      text, gst_apixo_net_secret_to_find (spool->config->api_key));

  if (clean != NULL && strlen (clean) > 200)
    clean[200] = '\0';
  return clean;
}

static GError *
status_error (GstApixoSpool *spool, SoupMessage *msg, const gchar *extra)
{
  guint status = soup_message_get_status (msg);
  gchar *reason = spool_redact (spool, soup_message_get_reason_phrase (msg));
  GstResourceError code = GST_RESOURCE_ERROR_READ;
  const gchar *why = "";
  GError *error;

  if (reason == NULL || *reason == '\0') {
    g_free (reason);
    reason = g_strdup (soup_status_get_phrase (status));
  }
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE) {
    code = GST_RESOURCE_ERROR_NOT_FOUND;
    why = ": the result URL is no longer available (result URLs expire)";
  } else if (status == SOUP_STATUS_UNAUTHORIZED ||
             status == SOUP_STATUS_FORBIDDEN) {
    code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    why = ": access to the result URL was refused (signed result URLs "
          "expire)";
  }
  error = g_error_new (GST_RESOURCE_ERROR, code,
                       "Failed downloading the result from %s: HTTP %u %s%s%s",
                       spool->host, status, reason ? reason : "", why,
                       extra ? extra : "");
  g_free (reason);
  return error;
}

/* Worker.  The download failed for good: @error (taken) goes to readers and
 * to the finished callback; the transfer ends. */
static void
seq_fail (SpoolTransfer *t, GError *error, guint http_status)
{
  GstApixoSpool *spool = t->spool;

  GST_WARNING ("%s: %s", spool->log_name, error->message);
  g_mutex_lock (&spool->lock);
  if (spool->error == NULL) {
    spool->error = g_error_copy (error);
    spool->http_status = http_status;
    spool->fail_reason =
        spool->cause_reason ? spool->cause_reason : GST_APIXO_REASON_DOWNLOAD;
    spool->fail_property = spool->cause_property;
  }
  g_cond_broadcast (&spool->cond);
  g_mutex_unlock (&spool->lock);

  spool_cancel_ranges (spool);
  transfer_end_attempt (t);
  spool_notify_finished (spool, error);
  g_error_free (error);
  transfer_free (t);
}

static gboolean
seq_backoff_done (gpointer data)
{
  SpoolTransfer *t = data;

  g_clear_pointer (&t->backoff, g_source_unref);
  transfer_send (t);
  return G_SOURCE_REMOVE;
}

/* Worker.  A transient failure of the sequential download: back off and
 * resume, or give up once the retry budget is spent.  @error (taken) is the
 * transport error, or NULL for an HTTP status (then @msg has it). */
static void
seq_retry (SpoolTransfer *t, GError *error, gdouble retry_after)
{
  GstApixoSpool *spool = t->spool;
  guint status = error ? 0 : soup_message_get_status (t->msg);
  gint retries = spool->http->retries;
  gdouble delay;
  guint tries;

  /* No rate until the next answer (gst_apixo_spool_far_ahead()). */
  g_mutex_lock (&spool->lock);
  spool->seq_since = 0;
  g_mutex_unlock (&spool->lock);
  spool->attempts++;
  tries = MAX (spool->attempts, spool->slow_failures);
  /* Resuming needs a strong validator (If-Range): without one a changed
   * file would be spliced onto what readers already have. */
  if (t->pos > 0 && spool_if_range (spool) == NULL) {
    gchar *why = g_strdup_printf (
        "Failed downloading the result from %s: the transfer broke off at "
        "byte %" G_GUINT64_FORMAT " (%s) and cannot be resumed safely, as "
        "the host sends no ETag or Last-Modified to tell that the file is "
        "still the same; download it again from the start",
        spool->host, t->pos,
        error ? error->message : soup_status_get_phrase (status));

    g_clear_error (&error);
    seq_fail (
        t,
        g_error_new_literal (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, why),
        status);
    g_free (why);
    return;
  }
  if (retries >= 0 && tries > (guint)retries) {
    GError *gst_error;
    gchar *extra = g_strdup_printf (" (gave up after %u attempts)", tries);

    if (error != NULL && error->domain == GST_RESOURCE_ERROR) {
      /* ours already (the verify callback's) */
      gst_error = g_error_new (error->domain, error->code, "%s%s",
                               error->message, extra);
    } else if (error != NULL) {
      gchar *what = g_strdup_printf ("downloading the result from %s%s",
                                     spool->host, extra);

      gst_error = gst_apixo_http_error_to_gst (
          error, gst_apixo_http_get_session (spool->worker, spool->http),
          t->msg, what);
      g_free (what);
    } else {
      gst_error = status_error (spool, t->msg, extra);
    }
    g_free (extra);
    g_clear_error (&error);
    seq_fail (t, gst_error, status);
    return;
  }

  delay =
      gst_apixo_http_backoff_delay (spool->http, spool->attempts, retry_after);
  GST_INFO ("%s: %s at byte %" G_GUINT64_FORMAT ", retry %u in %.2f s",
            spool->log_name, error ? error->message : "transient status",
            t->pos, spool->attempts, delay);
  g_clear_error (&error);
  transfer_end_attempt (t);
  t->backoff = gst_apixo_worker_add_timeout (
      spool->worker, (guint)(delay * 1000), seq_backoff_done, t, NULL);
}

/* Worker.  A far-ahead request failed: forget it (readers fall back to
 * waiting, or ask again), and stop asking after repeated failures. */
static void
range_fail (SpoolTransfer *t, const gchar *why, gboolean disable)
{
  GstApixoSpool *spool = t->spool;

  GST_INFO ("%s: range [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
            ") failed: %s",
            spool->log_name, t->range->start, t->range->end, why);
  g_mutex_lock (&spool->lock);
  if (disable || ++spool->range_failures >= SPOOL_MAX_RANGE_FAILURES)
    spool->ranges_disabled = TRUE;
  g_mutex_unlock (&spool->lock);
  transfer_free (t);
}

/* Worker.  The network policy refused @t's URL, a redirect of it or the
 * address it connects to (@error, GST_APIXO_NET_POLICY_ERROR, taken):
 * never retried; the error says why, with its reason. */
static void
transfer_refused (SpoolTransfer *t, GError *error)
{
  const gchar *reason = NULL;
  GError *gst_error;

  if (t->range != NULL) {
    range_fail (t, error->message, TRUE);
    g_error_free (error);
    return;
  }
  gst_error = gst_apixo_net_policy_error_to_gst (error, &reason);
  g_error_free (error);
  spool_cause (t->spool, reason, NULL);
  seq_fail (t, gst_error, 0);
}

/* Worker.  download-deadline passed: the download fails for good (asking
 * again cannot make it sooner). */
static void
seq_deadline_fail (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;

  spool_cause (spool, NULL, "download-deadline");
  seq_fail (t,
            g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                         "Failed downloading the result from %s: not "
                         "complete within download-deadline (%u s)",
                         spool->host,
                         spool->config->settings.download_deadline),
            0);
}

static gboolean
seq_deadline (gpointer data)
{
  SpoolTransfer *t = data;

  g_clear_pointer (&t->deadline, g_source_unref);
  t->deadline_passed = TRUE;
  if (t->backoff != NULL) {
    g_source_destroy (t->backoff);
    g_clear_pointer (&t->backoff, g_source_unref);
    seq_deadline_fail (t);
  } else if (t->cancellable != NULL) {
    /* transfer_error() fails it */
    g_cancellable_cancel (t->cancellable);
  }
  return G_SOURCE_REMOVE;
}

/* Worker.  A transport error on @t (taken). */
static void
transfer_error (SpoolTransfer *t, GError *error)
{
  gboolean cancelled =
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  GError *refused =
      t->spool->stopping ? NULL : gst_apixo_net_policy_take_error (t->msg);

  if (refused != NULL) {
    g_error_free (error);
    transfer_refused (t, refused);
    return;
  }
  if (t->spool->stopping ||
      (cancelled && !t->timed_out && !t->too_slow && !t->deadline_passed)) {
    g_error_free (error);
    transfer_free (t);
    return;
  }
  if (t->deadline_passed) {
    g_error_free (error);
    seq_deadline_fail (t);
    return;
  }
  if (t->too_slow && cancelled) {
    const GstApixoSettings *s = &t->spool->config->settings;

    g_clear_error (&error);
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                         "slower than min-speed (%u bytes/s over %u s)",
                         s->min_speed, s->min_speed_time);
    t->spool->slow_failures++;
    spool_cause (t->spool, NULL, "min-speed");
  } else if (t->timed_out && cancelled) {
    g_clear_error (&error);
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no data for %u s",
                         t->spool->http->timeout);
  }
  if (t->range == NULL &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    spool_cause (t->spool, GST_APIXO_REASON_INVALID_RESULT, NULL);
  if (t->range != NULL) {
    range_fail (t, error->message, FALSE);
    g_error_free (error);
  } else if (gst_apixo_http_error_is_transient (error)) {
    seq_retry (t, error, -1);
  } else {
    gchar *what =
        g_strdup_printf ("downloading the result from %s", t->spool->host);
    GError *gst_error = gst_apixo_http_error_to_gst (
        error, gst_apixo_http_get_session (t->spool->worker, t->spool->http),
        t->msg, what);

    g_free (what);
    g_error_free (error);
    seq_fail (t, gst_error, 0);
  }
}

/* ---- the sequential download -------------------------------------------- */

static gboolean
validator_changed (const gchar *old_value, const gchar *new_value)
{
  return old_value != NULL && new_value != NULL &&
         strcmp (old_value, new_value) != 0;
}

static GError *
changed_error (GstApixoSpool *spool)
{
  return g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                      "Failed downloading the result from %s: the file "
                      "changed on the server during the download",
                      spool->host);
}

/* FALSE for the content types of error pages (text, JSON, XML); an unknown
 * or missing type is taken as the file (result hosts differ). */
static gboolean
content_type_is_media (SoupMessageHeaders *hdrs)
{
  const gchar *type = soup_message_headers_get_content_type (hdrs, NULL);

  if (type == NULL)
    return TRUE;
  return !(g_str_has_prefix (type, "text/") ||
           g_str_equal (type, "application/json") ||
           g_str_equal (type, "application/problem+json") ||
           g_str_equal (type, "application/xml"));
}

/* TRUE if the body comes as stored: no Content-Encoding, or identity.
 * Accept-Encoding: identity was sent; a host that compresses anyway would
 * make every offset wrong (and deflate bytes are not the file). */
static gboolean
encoding_is_identity (SoupMessageHeaders *hdrs)
{
  const gchar *encoding =
      soup_message_headers_get_list (hdrs, "Content-Encoding");

  return encoding == NULL || g_ascii_strcasecmp (encoding, "identity") == 0;
}

static guint64
spool_max_size (GstApixoSpool *spool)
{
  guint64 max = spool->config->settings.max_result_size;

  return max == 0 ? G_MAXUINT64 : max;
}

/* Worker.  The result is larger than max-result-size: @what says how we
 * know.  Not retried: it will not shrink. */
static GError *
too_large_error (GstApixoSpool *spool, const gchar *what)
{
  spool_cause (spool, NULL, "max-result-size");
  return g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                      "Failed downloading the result from %s: %s, more than "
                      "max-result-size (%" G_GUINT64_FORMAT " bytes)",
                      spool->host, what, spool_max_size (spool));
}

/* Worker.  Headers of the sequential download.  Returns TRUE to read the
 * body; otherwise @t was handed on (retry, failure). */
static gboolean
seq_got_headers (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  SoupMessageHeaders *hdrs = soup_message_get_response_headers (t->msg);
  guint status = soup_message_get_status (t->msg);
  const gchar *etag = soup_message_headers_get_one (hdrs, "ETag");
  const gchar *lm = soup_message_headers_get_one (hdrs, "Last-Modified");
  gint64 total = -1;
  gboolean resumed = t->pos > 0;

  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT) {
    if (gst_apixo_http_status_is_transient (status))
      seq_retry (t, NULL, gst_apixo_http_retry_after (t->msg));
    else
      seq_fail (t, status_error (spool, t->msg, NULL), status);
    return FALSE;
  }

  if (!encoding_is_identity (hdrs)) {
    spool_cause (spool, GST_APIXO_REASON_INVALID_RESULT, NULL);
    seq_fail (t,
              g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                           "Failed downloading the result from %s: the "
                           "server sent it with a Content-Encoding other "
                           "than identity, which was asked for (the body is "
                           "not the file as stored)",
                           spool->host),
              0);
    return FALSE;
  }

  /* A gateway, proxy or captive portal may answer 200 with an error page:
   * that is not the result (retried, never served or kept). */
  if (!content_type_is_media (hdrs)) {
    gchar *type = spool_redact (
        spool, soup_message_headers_get_content_type (hdrs, NULL));

    seq_retry (
        t,
        g_error_new (
            G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "the server answered %s instead of the video (an error page?)",
            type),
        -1);
    g_free (type);
    return FALSE;
  }

  if (validator_changed (spool->etag, etag) ||
      (spool->etag == NULL && validator_changed (spool->last_modified, lm))) {
    seq_fail (t, changed_error (spool), 0);
    return FALSE;
  }

  if (status == SOUP_STATUS_PARTIAL_CONTENT) {
    goffset start, end, len;

    if (!soup_message_headers_get_content_range (hdrs, &start, &end, &len) ||
        (guint64)start != t->pos || len <= 0 || end < start || end != len - 1) {
      seq_fail (t,
                g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                             "Failed downloading the result from %s: the "
                             "server answered with another range than "
                             "requested",
                             spool->host),
                0);
      return FALSE;
    }
    total = len;
  } else {
    if (soup_message_headers_get_encoding (hdrs) ==
        SOUP_ENCODING_CONTENT_LENGTH)
      total = soup_message_headers_get_content_length (hdrs);
    if (resumed) {
      /* Range ignored, and the validators (if any) match: same file. */
      GST_INFO ("%s: server ignored the range request, restarting at 0",
                spool->log_name);
      t->pos = 0;
      g_mutex_lock (&spool->lock);
      spool->seq_pos = 0;
      spool->ranges_disabled = TRUE;
      g_mutex_unlock (&spool->lock);
    }
  }

  g_mutex_lock (&spool->lock);
  if (total >= 0 && spool->total >= 0 && total != spool->total) {
    g_mutex_unlock (&spool->lock);
    seq_fail (t, changed_error (spool), 0);
    return FALSE;
  }
  if (total >= 0 && (guint64)total > spool_max_size (spool)) {
    gchar *what;

    g_mutex_unlock (&spool->lock);
    what = g_strdup_printf ("it is announced as %" G_GINT64_FORMAT " bytes",
                            total);
    seq_fail (t, too_large_error (spool, what), 0);
    g_free (what);
    return FALSE;
  }
  if (total >= 0 && spool->total < 0) {
    spool->total = total;
    g_cond_broadcast (&spool->cond);
  } else {
    total = -1; /* nothing new */
  }
  /* No length and not chunked (HTTP/1.0 style): only the connection
   * closing ends it, so a cut looks like the end (see seq_verify()). */
  t->eof_body = soup_message_headers_get_encoding (hdrs) == SOUP_ENCODING_EOF;
  /* An answer without a length (chunked) still ends at the known size. */
  t->limit = spool->total >= 0 ? (guint64)spool->total : 0;
  g_mutex_unlock (&spool->lock);

  if (total >= 0) {
    spool->progress_total = total;
    spool_preallocate (spool, total);
  }

  if (!resumed) {
    g_free (spool->etag);
    spool->etag = g_strdup (etag);
    g_free (spool->last_modified);
    spool->last_modified = g_strdup (lm);
    GST_DEBUG ("%s: %" G_GINT64_FORMAT " bytes, ETag %s", spool->log_name,
               spool->progress_total, etag ? "present" : "absent");
    spool_notify_progress (spool, TRUE);
  }
  return TRUE;
}

static gpointer
keep_thread_func (gpointer data)
{
  GstApixoSpool *spool = data;
  GError *error = NULL;

  /* The user keeps what they paid for: make it durable before it gets its
   * final name.  In a thread: this may take a while for large files and
   * must not hold up the worker. */
  if (fsync (spool->fd) != 0 ||
      g_rename (spool->path, spool->keep_location) != 0) {
    gint err = errno;

    error = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
                         "Could not keep the result as %s (it stays in %s): "
                         "%s",
                         spool->keep_location, spool->path, g_strerror (err));
  }
  return error;
}

static void
keep_thread (GTask *task, gpointer source, gpointer data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, keep_thread_func (data),
                         (GDestroyNotify)g_error_free);
}

static void
keep_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SpoolTransfer *t = data;
  GstApixoSpool *spool = t->spool;
  GError *error = g_task_propagate_pointer (G_TASK (result), NULL);

  if (error == NULL) {
    g_mutex_lock (&spool->lock);
    spool->kept = TRUE;
    g_mutex_unlock (&spool->lock);
    GST_INFO ("%s: kept as %s", spool->log_name, spool->keep_location);
  } else {
    GST_WARNING ("%s: %s", spool->log_name, error->message);
  }
  spool_notify_finished (spool, error);
  g_clear_error (&error);
  transfer_free (t);
}

/* Worker.  Whether the complete body is the result (the verify callback).
 * FALSE: @t was handed on (retried from byte 0 when the body may have been
 * cut by the connection closing, failed otherwise). */
static gboolean
seq_verify (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  GError *error = NULL;

  if (spool->callbacks.verify == NULL ||
      spool->callbacks.verify (spool, spool->fd, t->pos, &error,
                               spool->user_data))
    return TRUE;
  spool_cause (spool, GST_APIXO_REASON_INVALID_RESULT, NULL);
  if (!t->eof_body || t->limit > 0) {
    seq_fail (t, error, 0);
    return FALSE;
  }
  /* No length to compare with: the close may have cut it.  Again from the
   * start (a resume would need a length and a validator to be safe). */
  t->pos = 0;
  g_mutex_lock (&spool->lock);
  spool->seq_pos = 0;
  spool->ranges_disabled = TRUE;
  g_mutex_unlock (&spool->lock);
  seq_retry (t, error, -1);
  return FALSE;
}

/* Worker.  Every byte is in the file. */
static void
seq_complete (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  GTask *task;

  if (!seq_verify (t))
    return;
  if (t->deadline != NULL) {
    /* over: keeping the file is not downloading it */
    g_source_destroy (t->deadline);
    g_clear_pointer (&t->deadline, g_source_unref);
  }

  GST_INFO ("%s: complete, %" G_GUINT64_FORMAT " bytes", spool->log_name,
            t->pos);
  g_mutex_lock (&spool->lock);
  spool->total = t->pos;
  spool->complete = TRUE;
  g_cond_broadcast (&spool->cond);
  g_mutex_unlock (&spool->lock);
  spool->progress_total = t->pos;

  transfer_end_attempt (t);
  spool_cancel_ranges (spool);
  spool_notify_progress (spool, TRUE);
  if (spool->keep_location == NULL) {
    spool_notify_finished (spool, NULL);
    transfer_free (t);
    return;
  }
  task = g_task_new (NULL, NULL, keep_done, t);
  g_task_set_task_data (task, spool, NULL);
  g_task_run_in_thread (task, keep_thread);
  g_object_unref (task);
}

/* Worker.  End of the sequential body. */
static void
seq_eof (SpoolTransfer *t)
{
  if (t->limit > 0 && t->pos < t->limit) {
    spool_cause (t->spool, GST_APIXO_REASON_INVALID_RESULT, NULL);
    seq_retry (t,
               g_error_new (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                            "the body ended after %" G_GUINT64_FORMAT
                            " of %" G_GUINT64_FORMAT " bytes",
                            t->pos, t->limit),
               -1);
    return;
  }
  seq_complete (t);
}

/* ---- far-ahead ranges --------------------------------------------------- */

/* Worker.  Headers of a far-ahead request. */
static gboolean
range_got_headers (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  SoupMessageHeaders *hdrs = soup_message_get_response_headers (t->msg);
  guint status = soup_message_get_status (t->msg);
  goffset start, end, len;
  gint64 total;

  if (status == SOUP_STATUS_OK) {
    /* Ranges ignored (or the file changed: the sequential download will
     * find out).  Never read a second full copy. */
    range_fail (t, "the server ignored the range", TRUE);
    return FALSE;
  }
  if (status != SOUP_STATUS_PARTIAL_CONTENT) {
    range_fail (t, soup_status_get_phrase (status), FALSE);
    return FALSE;
  }
  g_mutex_lock (&spool->lock);
  total = spool->total;
  g_mutex_unlock (&spool->lock);
  if (!soup_message_headers_get_content_range (hdrs, &start, &end, &len) ||
      (guint64)start != t->range->start || end < start ||
      (guint64)end >= t->range->end || len != total ||
      validator_changed (spool->etag,
                         soup_message_headers_get_one (hdrs, "ETag"))) {
    range_fail (t, "unexpected Content-Range or ETag", TRUE);
    return FALSE;
  }
  t->limit = end + 1;
  return TRUE;
}

static gboolean
range_begin (gpointer data)
{
  SpoolTransfer *t = data;
  GstApixoSpool *spool = t->spool;
  gboolean ended;

  g_mutex_lock (&spool->lock);
  ended = spool->complete || spool->error != NULL;
  g_mutex_unlock (&spool->lock);
  if (spool->stopping || ended) {
    transfer_free (t);
    return G_SOURCE_REMOVE;
  }
  g_ptr_array_add (spool->range_transfers, t);
  GST_DEBUG ("%s: range [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
             spool->log_name, t->range->start, t->range->end);
  transfer_send (t);
  return G_SOURCE_REMOVE;
}

/**
 * gst_apixo_spool_far_ahead:
 * @got: bytes the sequential download brought since its answer began
 * @elapsed_usecs: time since its answer began
 * @answer_usecs: the slowest answer (request to headers) seen for the file
 *
 * How far beyond the sequential download a read must start to get a Range
 * request of its own: SPOOL_FAR_AHEAD, or what the download brings, at its
 * rate so far, in @answer_usecs, if more (those bytes would be there before
 * a range's).  The rate counts only once measured over at least
 * @answer_usecs: a burst at the start (the moov at the end, read at once)
 * says little about what follows.
 *
 * Returns: a distance in bytes.
 */
guint64
gst_apixo_spool_far_ahead (guint64 got, gint64 elapsed_usecs,
                           gint64 answer_usecs)
{
  guint64 reach;

  if (got == 0 || elapsed_usecs <= 0 || elapsed_usecs < answer_usecs ||
      answer_usecs <= 0)
    return SPOOL_FAR_AHEAD;
  /* answer <= elapsed: at most @got (the double may round up past it) */
  reach = MIN (got, (guint64)((gdouble)got * answer_usecs / elapsed_usecs));
  return MAX (reach, SPOOL_FAR_AHEAD);
}

/* spool->lock held.  gst_apixo_spool_far_ahead() for this download. */
static guint64
spool_far_ahead_locked (GstApixoSpool *spool)
{
  if (spool->seq_since == 0 || spool->seq_pos <= spool->seq_from)
    return SPOOL_FAR_AHEAD;
  return gst_apixo_spool_far_ahead (spool->seq_pos - spool->seq_from,
                                    g_get_monotonic_time () - spool->seq_since,
                                    spool->answer_usecs);
}

/* Reader thread, spool->lock held.  Asks for a Range request if the first
 * missing byte of [offset, want_end) is far ahead of the sequential
 * download and nothing in flight will bring it. */
static void
spool_maybe_request_range (GstApixoSpool *spool, guint64 offset,
                           guint64 want_end)
{
  guint64 miss, end, next;
  SpoolRange *r;
  guint i;

  if (spool->ranges_disabled || spool->total < 0 || spool->complete ||
      spool->error != NULL || spool->closing)
    return;
  miss = intervals_first_missing (spool->have, offset);
  if (miss >= want_end ||
      miss <= spool->seq_pos + spool_far_ahead_locked (spool))
    return;
  for (i = 0; i < spool->ranges->len; i++) {
    r = g_ptr_array_index (spool->ranges, i);
    if (r->pos <= miss && miss < r->end)
      return;
  }
  if (spool->ranges->len >= SPOOL_MAX_RANGES)
    return;

  end = miss + MAX (want_end - miss, SPOOL_RANGE_MIN);
  /* Do not ask again for what is already there beyond the read. */
  next = intervals_next_start (spool->have, miss);
  if (next < end && next >= want_end)
    end = next;
  end = MIN (end, (guint64)spool->total);

  r = g_new0 (SpoolRange, 1);
  r->start = r->pos = miss;
  r->end = end;
  g_ptr_array_add (spool->ranges, r);
  spool_hold_locked (spool);
  gst_apixo_worker_invoke (spool->worker, range_begin, transfer_new (spool, r),
                           NULL);
}

/* ---- both kinds --------------------------------------------------------- */

/* spool->lock held.  Whether @t's bytes up to @end are what a waiting reader
 * needs: any far-ahead range's while a reader waits, the sequential
 * download's once it reaches spool->wake_at. */
static gboolean
spool_wakes_reader_locked (GstApixoSpool *spool, SpoolTransfer *t, guint64 end)
{
  return t->range != NULL ? spool->waiters > 0 : end >= spool->wake_at;
}

/* Worker.  @n bytes arrived in @data.  FALSE: @t was handed on (failure). */
static gboolean
transfer_got_data (SpoolTransfer *t, const guint8 *data, gsize n)
{
  GstApixoSpool *spool = t->spool;
  GError *error = NULL;
  guint64 end = t->pos + n;
  gboolean wake;

  if (t->limit > 0 && end > t->limit) {
    if (t->range != NULL) {
      range_fail (t, "more bytes than announced", TRUE);
    } else {
      seq_fail (t,
                g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                             "Failed downloading the result from %s: the "
                             "server sent more than %" G_GUINT64_FORMAT
                             " bytes",
                             spool->host, t->limit),
                0);
    }
    return FALSE;
  }
  /* An endless body is cut at the bound: nothing past it is written. */
  if (t->range == NULL && end > spool_max_size (spool)) {
    seq_fail (t, too_large_error (spool, "the body grew past it"), 0);
    return FALSE;
  }
  if (!write_all (spool->fd, data, n, t->pos, &error)) {
    if (t->range != NULL) {
      range_fail (t, error->message, TRUE);
      g_error_free (error);
    } else {
      seq_fail (t, error, 0);
    }
    return FALSE;
  }

  g_mutex_lock (&spool->lock);
  intervals_add (spool->have, t->pos, end);
  if (t->range != NULL)
    t->range->pos = end;
  else
    spool->seq_pos = end;
  wake = spool_wakes_reader_locked (spool, t, end);
  if (wake)
    spool->wake_at = G_MAXUINT64;
  g_mutex_unlock (&spool->lock);
  /* After the unlock: the woken reader takes a free lock at once instead
   * of sleeping on the one this thread still holds (see the notes at the
   * top). */
  if (wake)
    g_cond_broadcast (&spool->cond);
  t->pos = end;

  if (t->range == NULL && end > spool->high_water) {
    spool->high_water = end;
    spool->attempts = 0;
  }
  return TRUE;
}

/* Worker.  The end of @t's body. */
static void
transfer_eof (SpoolTransfer *t)
{
  if (t->range == NULL) {
    seq_eof (t);
  } else {
    GST_DEBUG ("%s: range done at %" G_GUINT64_FORMAT, t->spool->log_name,
               t->pos);
    transfer_free (t);
  }
}

static gboolean transfer_readable (GObject *stream, gpointer data);
static gboolean transfer_resume (gpointer data);

/* Worker.  Whether a reader waits for bytes @t has up to @end. */
static gboolean
spool_reader_waits_for (SpoolTransfer *t, guint64 end)
{
  GstApixoSpool *spool = t->spool;
  gboolean waits;

  g_mutex_lock (&spool->lock);
  waits = spool_wakes_reader_locked (spool, t, end);
  g_mutex_unlock (&spool->lock);
  return waits;
}

/* Worker.  Reads what the pollable stream already has, in reads of at most
 * SPOOL_CHUNK, into one buffer of SPOOL_DISPATCH bytes (less for a reader
 * waiting for the first bytes), writes it to the file in one go, then waits
 * for more (or lets the worker's other sources run first). */
static void
transfer_pump (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  guint8 *buf = spool_worker_buffer ();
  GError *error = NULL;
  gboolean would_block = FALSE;
  gssize n = 0;
  gsize fill = 0;

  if (spool->stopping) {
    transfer_free (t);
    return;
  }
  while (fill < SPOOL_DISPATCH) {
    n = g_pollable_input_stream_read_nonblocking (
        t->pollable, buf + fill, MIN (SPOOL_CHUNK, SPOOL_DISPATCH - fill),
        t->cancellable, &error);
    if (n <= 0)
      break;
    fill += n;
    /* The first SPOOL_DISPATCH bytes (type finding, headers), or those of
     * a far-ahead range, go to a reader waiting for them at once.  Later
     * ones wait for the dispatch's end (about 0.1 ms on loopback):
     * writing smaller pieces for a reader at the front would make the
     * whole download slower. */
    if ((t->range != NULL || t->pos < SPOOL_DISPATCH) &&
        spool_reader_waits_for (t, t->pos + fill))
      break;
  }
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    g_clear_error (&error);
    would_block = TRUE;
  }
  /* What arrived is good, whatever ended the reads. */
  if (fill > 0 && !transfer_got_data (t, buf, fill)) {
    g_clear_error (&error);
    return;
  }
  if (error != NULL) {
    transfer_error (t, error);
    return;
  }
  if (n == 0) {
    transfer_eof (t);
    return;
  }

  if (fill > 0) {
    transfer_touch (t);
    if (t->range == NULL)
      spool_notify_progress (spool, FALSE);
  }
  if (would_block) {
    /* Nothing more for now: wait until there is (or the attempt is
     * cancelled). */
    t->readable =
        g_pollable_input_stream_create_source (t->pollable, t->cancellable);
    g_source_set_callback (t->readable, G_SOURCE_FUNC (transfer_readable), t,
                           NULL);
  } else {
    /* Maybe more (or the end): read on once the worker's other sources had
     * their turn.  Not a pollable source: the end of a Content-Length body
     * does not make the socket readable. */
    t->readable = g_idle_source_new ();
    g_source_set_priority (t->readable, G_PRIORITY_DEFAULT);
    g_source_set_callback (t->readable, transfer_resume, t, NULL);
  }
  g_source_attach (t->readable, gst_apixo_worker_get_context (spool->worker));
}

static gboolean
transfer_readable (GObject *stream, gpointer data)
{
  return transfer_resume (data);
}

static gboolean
transfer_resume (gpointer data)
{
  SpoolTransfer *t = data;

  g_clear_pointer (&t->readable, g_source_unref);
  transfer_pump (t);
  return G_SOURCE_REMOVE;
}

static void
transfer_read_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SpoolTransfer *t = data;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0) {
    transfer_error (t, error);
    return;
  }
  if (t->spool->stopping) {
    transfer_free (t);
    return;
  }
  if (n == 0) {
    transfer_eof (t);
    return;
  }
  if (!transfer_got_data (t, t->buf, n))
    return;
  transfer_touch (t);
  if (t->range == NULL)
    spool_notify_progress (t->spool, FALSE);
  transfer_read (t);
}

/* Worker.  Reads the body of the current attempt. */
static void
transfer_read (SpoolTransfer *t)
{
  if (G_IS_POLLABLE_INPUT_STREAM (t->stream) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (t->stream))) {
    t->pollable = G_POLLABLE_INPUT_STREAM (t->stream);
    transfer_pump (t);
    return;
  }
  if (t->buf == NULL)
    t->buf = g_malloc (SPOOL_CHUNK);
  g_input_stream_read_async (t->stream, t->buf, SPOOL_CHUNK, G_PRIORITY_DEFAULT,
                             t->cancellable, transfer_read_done, t);
}

/* Worker.  @t's answer is good and its body starts: how long the answer
 * took, and for the sequential download where its rate is measured from. */
static void
transfer_note_answer (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&spool->lock);
  spool->answer_usecs = MAX (spool->answer_usecs, now - t->sent_at);
  if (t->range == NULL) {
    spool->seq_since = now;
    spool->seq_from = spool->seq_pos;
  }
  g_mutex_unlock (&spool->lock);
}

static void
transfer_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  SpoolTransfer *t = data;
  GError *error = NULL;

  t->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (t->stream == NULL) {
    transfer_error (t, error);
    return;
  }
  if (t->spool->stopping) {
    transfer_free (t);
    return;
  }
  if (t->range != NULL ? !range_got_headers (t) : !seq_got_headers (t))
    return;
  transfer_note_answer (t);
  transfer_arm_stall (t);
  transfer_arm_speed (t);
  transfer_read (t);
}

/* Worker.  Starts (or resumes) @t. */
static void
transfer_send (SpoolTransfer *t)
{
  GstApixoSpool *spool = t->spool;
  SoupMessageHeaders *hdrs;
  GError *error = NULL;
  const gchar *if_range = spool_if_range (spool);
  gchar *range = NULL;

  if (spool->stopping) {
    transfer_free (t);
    return;
  }
  if (t->range == NULL)
    spool_cause (spool, NULL, NULL); /* a new attempt */
  t->msg = gst_apixo_http_new_message ("GET", spool->uri, spool->http, &error);
  if (t->msg == NULL) {
    g_clear_error (&error);
    if (t->range != NULL) {
      range_fail (t, "invalid URI", TRUE);
      return;
    }
    seq_fail (t,
              g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                           "The result URL is not a valid http(s) URL"),
              0);
    return;
  }
  /* Offsets are those of the file as stored: no transparent decoding.  No
   * extra headers and no Authorization: the result host is not the API. */
  soup_message_disable_feature (t->msg, SOUP_TYPE_CONTENT_DECODER);
  hdrs = soup_message_get_request_headers (t->msg);
  soup_message_headers_replace (hdrs, "Accept-Encoding", "identity");
  if (t->range != NULL)
    range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                             t->range->start, t->range->end - 1);
  else if (t->pos > 0)
    range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", t->pos);
  if (range != NULL) {
    soup_message_headers_replace (hdrs, "Range", range);
    if (if_range != NULL)
      soup_message_headers_replace (hdrs, "If-Range", if_range);
    GST_DEBUG ("%s: GET %s", spool->log_name, range);
    g_free (range);
  } else {
    GST_DEBUG ("%s: GET", spool->log_name);
  }

  t->cancellable = g_cancellable_new ();
  if (!gst_apixo_net_policy_watch (t->msg, spool->config->settings.base_url,
                                   spool->config->api_key, t->cancellable,
                                   &error)) {
    transfer_refused (t, error);
    return;
  }
  transfer_arm_stall (t);
  t->sent_at = g_get_monotonic_time ();
  soup_session_send_async (
      gst_apixo_http_get_session (spool->worker, spool->http), t->msg,
      G_PRIORITY_DEFAULT, t->cancellable, transfer_sent, t);
}

static gboolean
seq_begin (gpointer data)
{
  SpoolTransfer *t = data;
  guint deadline = t->spool->config->settings.download_deadline;

  t->spool->seq = t;
  if (deadline > 0)
    t->deadline = gst_apixo_worker_add_timeout (
        t->spool->worker, MIN (deadline, G_MAXUINT / 1000) * 1000, seq_deadline,
        t, NULL);
  transfer_send (t);
  return G_SOURCE_REMOVE;
}

/* Worker.  free() has begun: cancel everything; completions release. */
static gboolean
spool_shutdown (gpointer data)
{
  GstApixoSpool *spool = data;
  GPtrArray *ranges;
  guint i;

  spool->stopping = TRUE;
  if (spool->seq != NULL) {
    if (spool->seq->backoff != NULL)
      transfer_free (spool->seq);
    else if (spool->seq->cancellable != NULL)
      g_cancellable_cancel (spool->seq->cancellable);
    /* else: keeping the file, in a thread; keep_done() releases. */
  }
  ranges = g_ptr_array_copy (spool->range_transfers, NULL, NULL);
  for (i = 0; i < ranges->len; i++) {
    SpoolTransfer *t = g_ptr_array_index (ranges, i);

    if (t->cancellable != NULL)
      g_cancellable_cancel (t->cancellable);
  }
  g_ptr_array_unref (ranges);
  spool_release (spool);
  return G_SOURCE_REMOVE;
}

/* ---- public ------------------------------------------------------------- */

/* NULL if @dir is an existing directory we may create files in, else why
 * not (static text). */
static const gchar *
directory_problem (const gchar *dir)
{
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    return "does not exist";
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return "is not a directory";
  if (g_access (dir, W_OK | X_OK) != 0)
    return "is not writable";
  return NULL;
}

gboolean
gst_apixo_spool_check_locations (const gchar *dir, const gchar *keep_location,
                                 const gchar **property, GError **error)
{
  const gchar *problem;
  gchar *parent;

  *property = "spool-directory";
  if (dir != NULL && (problem = directory_problem (dir))) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "spool-directory '%s' %s (allowed: an existing "
                 "writable directory, or unset for the temporary "
                 "directory)",
                 dir, problem);
    return FALSE;
  }
  if (keep_location == NULL)
    return TRUE;
  *property = "save-location";
  if (*keep_location == '\0' ||
      g_file_test (keep_location, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "save-location '%s' is %s (allowed: the path of a "
                 "file to create or replace)",
                 keep_location, *keep_location ? "a directory" : "empty");
    return FALSE;
  }
  parent = g_path_get_dirname (keep_location);
  problem = directory_problem (parent);
  if (problem != NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "save-location '%s': its directory '%s' %s (allowed: "
                 "a file path in an existing writable directory)",
                 keep_location, parent, problem);
  g_free (parent);
  return problem == NULL;
}

static gint
spool_open_file (const gchar *dir, const gchar *keep_location, gchar **path,
                 GError **error)
{
  gint fd, err;

  if (keep_location != NULL) {
    *path = g_strconcat (keep_location, ".part", NULL);
    fd = g_open (*path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  } else {
    *path = g_build_filename (dir ? dir : g_get_tmp_dir (),
                              "apixo-spool-XXXXXX", NULL);
    fd = g_mkstemp_full (*path, O_RDWR | O_CLOEXEC, 0600);
    /* Served through the descriptor only: without a name, the file goes
     * with the process however it ends (a crash or SIGKILL included), never
     * left behind in the directory.  Where a file open cannot be unlinked,
     * it keeps its name until free(). */
    if (fd >= 0 && g_unlink (*path) == 0)
      g_clear_pointer (path, g_free);
  }
  if (fd < 0) {
    err = errno;
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
                 "Could not create the spool file %s: %s", *path,
                 g_strerror (err));
    g_clear_pointer (path, g_free);
  }
  return fd;
}

GstApixoSpool *
gst_apixo_spool_new (GstApixoWorker *worker, GstApixoRunConfig *config,
                     const GstApixoSpoolCallbacks *callbacks,
                     gpointer user_data, GError **error)
{
  const gchar *dir = config->settings.spool_directory;
  const gchar *keep_location = config->settings.save_location;
  GstApixoSpool *spool;
  gchar *path = NULL;
  gint fd;

  g_return_val_if_fail (worker != NULL, NULL);

  spool_init_debug ();
  fd = spool_open_file (dir, keep_location, &path, error);
  if (fd < 0)
    return NULL;

  spool = g_new0 (GstApixoSpool, 1);
  spool->worker = worker;
  spool->config = gst_apixo_run_config_ref (config);
  spool->http = &config->settings.http;
  if (callbacks != NULL)
    spool->callbacks = *callbacks;
  spool->user_data = user_data;
  spool->path = path;
  spool->keep_location = keep_location;
  spool->fd = fd;

  g_mutex_init (&spool->lock);
  g_cond_init (&spool->cond);
  spool->have = g_array_new (FALSE, FALSE, sizeof (SpoolInterval));
  spool->total = -1;
  spool->progress_total = -1;
  spool->wake_at = G_MAXUINT64;
  spool->ranges = g_ptr_array_new ();
  spool->range_transfers = g_ptr_array_new ();
  GST_DEBUG ("spool %p in %s", spool,
             path ? path : (dir ? dir : g_get_tmp_dir ()));
  return spool;
}

GstApixoSpool *
gst_apixo_spool_new_for_fd (GstApixoWorker *worker, gint fd, guint64 size)
{
  GstApixoSpool *spool = g_new0 (GstApixoSpool, 1);
  SpoolInterval all = { 0, size };

  spool_init_debug ();
  spool->worker = worker;
  spool->fd = fd;
  g_mutex_init (&spool->lock);
  g_cond_init (&spool->cond);
  spool->have = g_array_new (FALSE, FALSE, sizeof (SpoolInterval));
  if (size > 0)
    g_array_append_val (spool->have, all);
  spool->total = size;
  spool->progress_total = size;
  spool->seq_pos = size;
  spool->complete = TRUE;
  spool->started = TRUE; /* nothing to download */
  spool->wake_at = G_MAXUINT64;
  spool->ranges = g_ptr_array_new ();
  spool->range_transfers = g_ptr_array_new ();
  GST_DEBUG ("spool %p: a complete file of %" G_GUINT64_FORMAT " bytes", spool,
             size);
  return spool;
}

gint
gst_apixo_spool_dup_fd (GstApixoSpool *spool)
{
  g_return_val_if_fail (spool != NULL, -1);

  return dup (spool->fd);
}

void
gst_apixo_spool_start (GstApixoSpool *spool, const gchar *uri)
{
  g_return_if_fail (spool != NULL);
  g_return_if_fail (uri != NULL);

  g_mutex_lock (&spool->lock);
  if (spool->started || spool->closing) {
    g_mutex_unlock (&spool->lock);
    return;
  }
  spool->started = TRUE;
  spool->uri = g_strdup (uri);
  spool->host = gst_apixo_http_uri_host (uri);
  spool->log_name = spool_log_name (uri);
  spool_hold_locked (spool);
  g_mutex_unlock (&spool->lock);

  GST_INFO ("spool %p: downloading %s", spool, spool->log_name);
  gst_apixo_worker_invoke (spool->worker, seq_begin, transfer_new (spool, NULL),
                           NULL);
}

/* spool->lock held, spool->error set: TRUE when the transfer broke off
 * before the announced end (no bound named), so the bytes that arrived
 * are the start of the result and a reader gets them, then the error where
 * they stop.  A file that arrived whole and was refused (not an MP4 file)
 * or a body of no announced length serves nothing more. */
static gboolean
spool_serves_arrived (GstApixoSpool *spool)
{
  return spool->fail_property == NULL && spool->total >= 0 &&
         intervals_first_missing (spool->have, 0) < (guint64)spool->total;
}

/* spool->lock held: the failure, for a reader. */
static GstFlowReturn
spool_read_error (GstApixoSpool *spool, GError **error)
{
  g_propagate_error (error, g_error_copy (spool->error));
  return GST_FLOW_ERROR;
}

/* spool->lock held.  SPOOL_FLOW_WAIT, or the answer (GST_FLOW_OK: serve
 * [offset, *end)). */
static GstFlowReturn
spool_check_read (GstApixoSpool *spool, guint64 offset, guint size,
                  GCancellable *cancellable, guint64 *end, GError **error)
{
  guint64 want_end = offset + size;

  if (g_cancellable_is_cancelled (cancellable) || spool->closing)
    return GST_FLOW_FLUSHING;
  /* A download that failed never ends in EOS.  A refused result (not an
   * MP4 file, a bound) is refused at once, whatever bytes are here: a
   * reader such as qtdemux in pull mode would otherwise play a cut file
   * to its own end.  A transfer broken off for good still serves the bytes
   * that arrived before the break (spool_serves_arrived()). */
  if (spool->error != NULL && !spool_serves_arrived (spool))
    return spool_read_error (spool, error);
  if (spool->total >= 0) {
    if (offset >= (guint64)spool->total)
      return spool->error ? spool_read_error (spool, error) : GST_FLOW_EOS;
    want_end = MIN (want_end, (guint64)spool->total);
  }
  if (intervals_first_missing (spool->have, offset) >= want_end) {
    *end = want_end;
    return GST_FLOW_OK;
  }
  if (spool->error != NULL)
    return spool_read_error (spool, error);
  return SPOOL_FLOW_WAIT;
}

/* spool->lock held.  Waits for a change that may serve [offset, want_end)
 * (see the notes at the top). */
static void
spool_wait (GstApixoSpool *spool, guint64 offset, guint64 want_end)
{
  guint64 need;

  if (spool->total >= 0)
    want_end = MIN (want_end, (guint64)spool->total);
  need = intervals_seq_need (spool->have, offset, want_end);
  spool->wake_at = MIN (spool->wake_at, need);
  spool->waiters++;
  g_cond_wait (&spool->cond, &spool->lock);
  spool->waiters--;
}

static void
read_cancelled (GCancellable *cancellable, gpointer data)
{
  GstApixoSpool *spool = data;

  /* Taking the lock orders this after the reader's cancel check or inside
   * its g_cond_wait(): no missed wake-up. */
  g_mutex_lock (&spool->lock);
  g_cond_broadcast (&spool->cond);
  g_mutex_unlock (&spool->lock);
}

GstFlowReturn
gst_apixo_spool_read (GstApixoSpool *spool, guint64 offset, guint size,
                      GCancellable *cancellable, GstBuffer **buffer,
                      GError **error)
{
  GstFlowReturn ret;
  GstMapInfo map;
  guint64 end = 0;
  gulong handler = 0;

  g_return_val_if_fail (spool != NULL, GST_FLOW_ERROR);
  g_return_val_if_fail (buffer != NULL, GST_FLOW_ERROR);
  g_return_val_if_fail (!gst_apixo_worker_is_current (spool->worker),
                        GST_FLOW_ERROR);

  *buffer = NULL;
  if (offset > G_MAXUINT64 - size)
    return GST_FLOW_EOS;
  if (size == 0) {
    guint64 total;

    if (gst_apixo_spool_get_size (spool, &total) && offset >= total)
      return GST_FLOW_EOS;
    *buffer = gst_buffer_new ();
    return GST_FLOW_OK;
  }

  g_mutex_lock (&spool->lock);
  ret = spool_check_read (spool, offset, size, cancellable, &end, error);
  if (ret == SPOOL_FLOW_WAIT) {
    /* Connect without the lock: an already-cancelled cancellable runs the
     * handler at once, and the handler takes the lock. */
    g_mutex_unlock (&spool->lock);
    if (cancellable != NULL)
      handler = g_cancellable_connect (cancellable, G_CALLBACK (read_cancelled),
                                       spool, NULL);
    g_mutex_lock (&spool->lock);
    while ((ret = spool_check_read (spool, offset, size, cancellable, &end,
                                    error)) == SPOOL_FLOW_WAIT) {
      spool_maybe_request_range (spool, offset, offset + size);
      spool_wait (spool, offset, offset + size);
    }
  }
  g_mutex_unlock (&spool->lock);
  /* Without the lock: disconnecting waits for a running handler. */
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (ret != GST_FLOW_OK)
    return ret;

  /* The bytes in [offset, end) never change any more (at most rewritten
   * with the same bytes): read them without the lock. */
  *buffer = gst_buffer_new_allocate (NULL, end - offset, NULL);
  gst_buffer_map (*buffer, &map, GST_MAP_WRITE);
  if (!read_all (spool->fd, map.data, map.size, offset, error)) {
    gst_buffer_unmap (*buffer, &map);
    gst_clear_buffer (buffer);
    return GST_FLOW_ERROR;
  }
  gst_buffer_unmap (*buffer, &map);
  GST_BUFFER_OFFSET (*buffer) = offset;
  GST_BUFFER_OFFSET_END (*buffer) = end;
  return GST_FLOW_OK;
}

gboolean
gst_apixo_spool_get_size (GstApixoSpool *spool, guint64 *size)
{
  gboolean known;

  g_return_val_if_fail (spool != NULL, FALSE);

  g_mutex_lock (&spool->lock);
  known = spool->total >= 0;
  if (known && size != NULL)
    *size = spool->total;
  g_mutex_unlock (&spool->lock);
  return known;
}

gboolean
gst_apixo_spool_is_complete (GstApixoSpool *spool)
{
  gboolean complete;

  g_return_val_if_fail (spool != NULL, FALSE);

  g_mutex_lock (&spool->lock);
  complete = spool->complete;
  g_mutex_unlock (&spool->lock);
  return complete;
}

gboolean
gst_apixo_spool_has_all (GstApixoSpool *spool)
{
  gboolean all;

  g_return_val_if_fail (spool != NULL, FALSE);

  g_mutex_lock (&spool->lock);
  all = spool->complete ||
        (spool->total >= 0 &&
         intervals_first_missing (spool->have, 0) >= (guint64)spool->total);
  g_mutex_unlock (&spool->lock);
  return all;
}

const gchar *
gst_apixo_spool_get_path (GstApixoSpool *spool)
{
  gboolean kept;

  g_return_val_if_fail (spool != NULL, NULL);

  g_mutex_lock (&spool->lock);
  kept = spool->kept;
  g_mutex_unlock (&spool->lock);
  return kept ? spool->keep_location : spool->path;
}

guint
gst_apixo_spool_get_http_status (GstApixoSpool *spool)
{
  guint status;

  g_return_val_if_fail (spool != NULL, 0);

  g_mutex_lock (&spool->lock);
  status = spool->http_status;
  g_mutex_unlock (&spool->lock);
  return status;
}

GstStructure *
gst_apixo_spool_error_details (GstApixoSpool *spool)
{
  GstStructure *details;

  g_return_val_if_fail (spool != NULL, NULL);

  g_mutex_lock (&spool->lock);
  details = gst_apixo_error_details_new (
      spool->fail_reason ? spool->fail_reason : GST_APIXO_REASON_DOWNLOAD,
      GST_APIXO_ERROR_FIELD_HTTP_STATUS, G_TYPE_UINT, spool->http_status, NULL);
  if (spool->fail_property != NULL)
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_PROPERTY, G_TYPE_STRING,
                       spool->fail_property, NULL);
  g_mutex_unlock (&spool->lock);
  return details;
}

void
gst_apixo_spool_free (GstApixoSpool *spool)
{
  gboolean busy;

  if (spool == NULL)
    return;
  g_return_if_fail (!gst_apixo_worker_is_current (spool->worker));

  g_mutex_lock (&spool->lock);
  spool->closing = TRUE;
  g_cond_broadcast (&spool->cond);
  busy = spool->holds > 0;
  if (busy)
    spool_hold_locked (spool);
  g_mutex_unlock (&spool->lock);

  /* Cancelling on the worker: libsoup's cancel handlers run there. */
  if (busy)
    gst_apixo_worker_invoke (spool->worker, spool_shutdown, spool, NULL);

  g_mutex_lock (&spool->lock);
  while (spool->holds > 0)
    g_cond_wait (&spool->cond, &spool->lock);
  g_mutex_unlock (&spool->lock);

  GST_DEBUG ("spool %p: freeing (%s)", spool,
             spool->kept ? "kept" : "removing the file");
  close (spool->fd);
  /* A complete result whose rename failed stays as .part: it was paid for
   * (the finished callback named the file). */
  if (spool->path != NULL && !spool->kept &&
      !(spool->keep_location != NULL && spool->complete) &&
      g_unlink (spool->path) != 0 && errno != ENOENT)
    GST_WARNING ("could not remove %s: %s", spool->path, g_strerror (errno));

  g_free (spool->etag);
  g_free (spool->last_modified);
  g_ptr_array_unref (spool->range_transfers);
  g_ptr_array_unref (spool->ranges);
  g_array_unref (spool->have);
  g_clear_error (&spool->error);
  g_mutex_clear (&spool->lock);
  g_cond_clear (&spool->cond);
  g_clear_pointer (&spool->config, gst_apixo_run_config_unref);
  g_free (spool->uri);
  g_free (spool->host);
  g_free (spool->log_name);
  g_free (spool->path);
  g_free (spool);
}
