/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_SPOOL_H__
#define __GST_APIXO_SPOOL_H__

#include <gst/gst.h>

#include "gstapixohttp.h"
#include "gstapixorun.h"
#include "gstapixoworker.h"

G_BEGIN_DECLS

/**
 * GstApixoSpool:
 *
 * Result streaming: downloads one result URL on the shared worker, as fast
 * as the network allows (never paced by downstream: result URLs expire and a
 * paused pipeline must not stall the download), into a spool file with
 * fixed-size reads, and serves byte ranges of it to streaming threads.
 *
 * - Reads of bytes not there yet wait, interruptibly (GCancellable).
 * - A read far ahead of the download (moov at the end of the file) is served
 *   by a Range request for that region instead of waiting for the whole
 *   file; the sequential download goes on.
 * - A connection dropped mid-body resumes with a Range request from where
 *   it stopped (If-Range with the ETag, so a changed file is not spliced),
 *   within the HTTP retry budget, with backoff.
 * - No Authorization header is ever sent (result hosts are not the API).
 * - Bounded by the run config's min-speed / min-speed-time (a transfer
 *   slower than that over a window is dropped and resumed, within the retry
 *   budget), max-result-size (announced or received: fails at once) and
 *   download-deadline (the whole download, retries included).
 * - A body in any Content-Encoding but identity is refused (offsets are
 *   those of the file as stored); a complete body is handed to the verify
 *   callback before the download is declared complete (and kept).
 * - The spool file lives in @dir (removed by gst_apixo_spool_free()), or is
 *   written as "<keep-location>.part" and renamed to @keep_location once
 *   complete (kept).
 */
typedef struct _GstApixoSpool GstApixoSpool;

/* Called on the worker thread, with no spool lock held.  Not called any more
 * once gst_apixo_spool_free() has begun (a callback already running then
 * completes before it returns, so it must not wait for the thread calling
 * gst_apixo_spool_free()). */
typedef struct {
  /* bytes arrived so far (sequential download), total (-1 until known) */
  void (*progress) (GstApixoSpool *spool, guint64 received, gint64 total,
                    gpointer user_data);
  /* the whole file is in the spool (error == NULL), or the download failed
   * for good (error: GST_RESOURCE_ERROR, from gst_apixo_http_error_to_gst()
   * or an HTTP status error naming the status). Called once. */
  void (*finished) (GstApixoSpool *spool, const GError *error,
                    gpointer user_data);
  /* optional: is the complete body (@size bytes at @fd, read with pread())
   * the result?  Called once the body ended, before the download is
   * complete or kept; FALSE + @error (GST_RESOURCE_ERROR_READ) makes it fail
   * (reason invalid-result), after retrying from the start when the body's
   * end was only the connection closing (it may have been cut). */
  gboolean (*verify) (GstApixoSpool *spool, gint fd, guint64 size,
                      GError **error, gpointer user_data);
} GstApixoSpoolCallbacks;

/* Any thread.  The spool of a run of @config (it holds a reference): its
 * HTTP settings; its spool-directory for the temporary spool file (NULL:
 * the system temp dir), which is unlinked as soon as it is created: it
 * takes space there but has no name, so nothing is left behind however
 * the process ends; its save-location: where to keep the finished file (it
 * is written as "<save-location>.part" until then), or NULL.  Fails if the
 * file cannot be created. */
GstApixoSpool *gst_apixo_spool_new (GstApixoWorker *worker,
                                    GstApixoRunConfig *config,
                                    const GstApixoSpoolCallbacks *callbacks,
                                    gpointer user_data, GError **error);

/* Any thread.  A spool serving @fd (taken: closed at free), a complete
 * file of @size bytes: a result already here (the result cache, a replay
 * of the element, another run's kept file).  Nothing is downloaded;
 * gst_apixo_spool_start() does nothing, and no callback is ever called.
 * @worker: the element's, or NULL (reads check they are not on it). */
GstApixoSpool *gst_apixo_spool_new_for_fd (GstApixoWorker *worker, gint fd,
                                           guint64 size);

/* Any thread, once complete: a new descriptor of the spool file (the
 * caller closes it), -1 with errno on failure. */
gint gst_apixo_spool_dup_fd (GstApixoSpool *spool);

/* Any thread (a settings check, before anything is paid for: a bad path
 * found after the task succeeded would cost a generation).  Checks that
 * @dir (NULL: the system temp directory) and the directory of
 * @keep_location (NULL: none) are existing writable directories and that
 * @keep_location is a file path.  FALSE + a GST_RESOURCE_ERROR_SETTINGS
 * error naming the property, and *@property set to it (spool-directory,
 * save-location), otherwise. */
gboolean gst_apixo_spool_check_locations (const gchar *dir,
                                          const gchar *keep_location,
                                          const gchar **property,
                                          GError **error);

/* Any thread.  Starts the download of @uri (once). */
void gst_apixo_spool_start (GstApixoSpool *spool, const gchar *uri);

/* Any thread (streaming threads).  Waits until [offset, offset + size) is
 * in the spool, or the end of the file is known and reached, or
 * @cancellable is cancelled.
 *   GST_FLOW_OK: *buffer holds the bytes (fewer than @size only at the end)
 *   GST_FLOW_EOS: @offset is at or past the end of the file
 *   GST_FLOW_FLUSHING: cancelled (before or during the wait)
 *   GST_FLOW_ERROR: the download failed; *error says why
 * Never blocks without honouring @cancellable. */
GstFlowReturn gst_apixo_spool_read (GstApixoSpool *spool, guint64 offset,
                                    guint size, GCancellable *cancellable,
                                    GstBuffer **buffer, GError **error);

/* Any thread.  TRUE and *size once the total size is known. */
gboolean gst_apixo_spool_get_size (GstApixoSpool *spool, guint64 *size);

/* Any thread.  TRUE once the sequential download reached the end. */
gboolean gst_apixo_spool_is_complete (GstApixoSpool *spool);

/* Any thread.  TRUE once every byte is in the file, however it came (the
 * sequential download or far-ahead ranges): only finishing touches (the
 * end of the sequential download, keeping the file) remain. */
gboolean gst_apixo_spool_has_all (GstApixoSpool *spool);

/* Any thread.  Path of the spool file: the .part file while downloading
 * to a keep location, the kept file after; NULL for a temp spool, which has
 * no name (see gst_apixo_spool_new()). */
const gchar *gst_apixo_spool_get_path (GstApixoSpool *spool);

/* Any thread.  The HTTP status of the answer that made the download fail
 * for good (e.g. 404), 0 if it did not fail on an HTTP status: for the
 * "http-status" field of error details. */
guint gst_apixo_spool_get_http_status (GstApixoSpool *spool);

/* Any thread.  The "apixo-error" details of the failure that made the
 * download fail for good (gstapixoerror.h): the reason (download, or
 * invalid-result for a body that is not the result), the http-status and,
 * when a bound stopped it, the property naming that bound (min-speed,
 * max-result-size, download-deadline).  Newly allocated. */
GstStructure *gst_apixo_spool_error_details (GstApixoSpool *spool);

/* Any thread but the worker's.  Cancels the transfers, waits until the
 * worker has let go of the spool, removes the temporary file (a kept file
 * stays only if complete), and frees.  Returns promptly. */
void gst_apixo_spool_free (GstApixoSpool *spool);

/* How far ahead of the sequential download a read gets its own Range
 * request, from the download's progress since its answer and the file's
 * slowest answer (exposed for tests; see gstapixospool.c). */
guint64 gst_apixo_spool_far_ahead (guint64 got, gint64 elapsed_usecs,
                                   gint64 answer_usecs);

G_END_DECLS

#endif /* __GST_APIXO_SPOOL_H__ */
