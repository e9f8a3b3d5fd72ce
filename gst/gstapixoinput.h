/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_INPUT_H__
#define __GST_APIXO_INPUT_H__

#include <gst/gst.h>
#include <gio/gio.h>

#include "gstapixomodels.h"

G_BEGIN_DECLS

/**
 * GstApixoInput:
 *
 * One local input of a task (the character image, the motion video, an
 * audio track): a file given as a file:// URI, or the data arriving on a
 * sink pad, collected into a temporary file (bounded by a byte limit,
 * never held in memory).  probe() learns what the data is by typefinding
 * the data (never the file name) and decoding it, and checks it against
 * the model's documented #GstApixoMediaLimits.
 *
 * Errors are in GST_RESOURCE_ERROR: SETTINGS for data the service would
 * refuse, OPEN_READ for unreadable files, WRITE when the temporary file
 * cannot be written.  Their messages start with the input's label ("image
 * pad", "image-uri file:///x.png") and name what was found and what is
 * allowed.
 */
typedef struct _GstApixoInput GstApixoInput;

/* Byte limit of a collected input whose kind documents none. */
#define GST_APIXO_INPUT_DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT (4) << 30)
/* Seconds a probe may take to decode the start of the data. */
#define GST_APIXO_INPUT_DEFAULT_PROBE_TIMEOUT 30

/* Any thread.  An input read from the file:// URI @uri; @name names its
 * property in messages (e.g. "image-uri"; the label becomes
 * "image-uri file:///x.png").  Fails (OPEN_READ) when @uri is not a local
 * file URI or the file is not a readable regular file. */
GstApixoInput *gst_apixo_input_new_for_uri (GstApixoMediaKind kind,
                                            const gchar *name, const gchar *uri,
                                            GError **error);

/* Any thread.  An input collected from buffers (append() ... finish()) into
 * a temporary file in @directory (NULL: the system temp dir), removed when
 * the input is freed.  @label names it in messages ("image pad").  More than
 * @max_bytes bytes (0: GST_APIXO_INPUT_DEFAULT_MAX_BYTES) fail the input. */
GstApixoInput *gst_apixo_input_new_collector (GstApixoMediaKind kind,
                                              const gchar *label,
                                              const gchar *directory,
                                              guint64 max_bytes);

void gst_apixo_input_free (GstApixoInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstApixoInput, gst_apixo_input_free)

/* The sink pad's chain function.  Takes @buffer.  Writes it to the
 * temporary file.  GST_FLOW_ERROR + @error past the byte limit or when the
 * file cannot be written (the input is failed: waiters get the error too);
 * GST_FLOW_EOS after finish().  Collectors only. */
GstFlowReturn gst_apixo_input_append (GstApixoInput *input, GstBuffer *buffer,
                                      GError **error);

/* The sink pad's EOS: the data is complete; waiters wake up. */
void gst_apixo_input_finish (GstApixoInput *input);

/* The sink pad's FLUSH_STOP: drops what was collected, and a failure, so
 * that the data can arrive again.  A complete input (after EOS) is kept as
 * it is: it may be probed, served or uploaded already. */
void gst_apixo_input_reset (GstApixoInput *input);

/* Fails the input (e.g. the pad went away): waiters get @error. */
void gst_apixo_input_abort (GstApixoInput *input, const GError *error);

/* Any thread (the src side's streaming thread).  Waits until the data is
 * complete: TRUE; FALSE + @error if collecting failed, or
 * G_IO_ERROR_CANCELLED when @cancellable is cancelled (also before the
 * call). File inputs are complete from the start. */
gboolean gst_apixo_input_wait (GstApixoInput *input, GCancellable *cancellable,
                               GError **error);

/* TRUE once the data is complete (non-blocking). */
gboolean gst_apixo_input_is_complete (GstApixoInput *input);

/* Seconds a probe may spend decoding (default
 * GST_APIXO_INPUT_DEFAULT_PROBE_TIMEOUT); for tests and slow machines. */
void gst_apixo_input_set_probe_timeout (GstApixoInput *input, guint seconds);

/* Any thread; blocks while it typefinds and decodes the start of the data,
 * interruptible by @cancellable (G_IO_ERROR_CANCELLED) and bounded by the
 * probe timeout.  The data must be complete (wait() first).  Checks:
 * not empty, size <= limits->max_bytes, the format (typefound) in
 * limits->media_types (NULL: any of the kind), width and height within
 * limits->min/max_dimension (images; read from the header before decoding
 * when the format allows, so a huge image is refused without decoding it),
 * PNG without alpha where limits->no_alpha, that it decodes (a raw video
 * stream for images and videos, audio for audio), a known duration for
 * videos and audio and within limits->min/max_seconds.  @limits may be NULL
 * (decode only).  On success the getters below tell what was found. */
gboolean gst_apixo_input_probe (GstApixoInput *input,
                                const GstApixoMediaLimits *limits,
                                GCancellable *cancellable, GError **error);

/* What the input is and holds; valid while the input lives. */
GstApixoMediaKind gst_apixo_input_get_kind (GstApixoInput *input);
const gchar *gst_apixo_input_get_label (GstApixoInput *input);
/* The file holding the data: the user's file, or the temporary one (on
 * Linux a "/proc/self/fd/N" path: the temporary file has no name in its
 * directory, and the path is good in this process only, while the input
 * lives). */
const gchar *gst_apixo_input_get_filename (GstApixoInput *input);
/* Bytes (collected so far, or of the file). */
guint64 gst_apixo_input_get_size (GstApixoInput *input);

/* After a successful probe: */
/* The typefound format, a caps name ("image/png", "video/quicktime",
 * "audio/x-wav"; MP3 behind an ID3 tag is "audio/mpeg"). */
const gchar *gst_apixo_input_get_media_type (GstApixoInput *input);
/* The MIME type to serve it as (image/png, image/jpeg, image/webp,
 * video/mp4, video/quicktime, video/webm, audio/mpeg, audio/wav, ...). */
const gchar *gst_apixo_input_get_content_type (GstApixoInput *input);
/* Of the first video stream / the image; 0 when none. */
gint gst_apixo_input_get_width (GstApixoInput *input);
gint gst_apixo_input_get_height (GstApixoInput *input);
/* GST_CLOCK_TIME_NONE for images or when unknown. */
GstClockTime gst_apixo_input_get_duration (GstApixoInput *input);
/* PNG with an alpha channel or transparency (tRNS). */
gboolean gst_apixo_input_has_alpha (GstApixoInput *input);

G_END_DECLS

#endif /* __GST_APIXO_INPUT_H__ */
