/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * One local input of a task: collected from a sink pad or read from a
 * file, then typefound, decoded and checked against the model's limits.
 *
 * Thread safety notes
 * -------------------
 * - input->lock guards the collection state (fd, size, complete, error)
 *   and the probe results; input->cond is signalled when the collection
 *   completes or fails, and by the cancellable handler of a wait.  The sink
 *   pad's streaming thread (append/finish/reset) and the src side's
 *   streaming thread (wait/probe) meet there.  append() writes to the file
 *   under the lock (one buffer: a wait's cancellation is delayed by one
 *   write at most).
 * - kind, label, is_temp and max_bytes are set at construction and
 *   read-only afterwards; a collector's fd, filename and nameless are set
 *   once, under the lock, by its first buffer.
 * - probe() takes no lock while it decodes: the data is complete and not
 *   written any more (reset() during a probe is a caller error).  Its
 *   decode pipeline has its own lock (Decode.lock), taken by decodebin's
 *   pad-added (streaming thread) and by the teardown, never together with
 *   input->lock.
 * - Lock order: input->lock is never held around g_cancellable_connect or
 *   disconnect (the handler takes it), nor while decoding.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoinput.h"
#include "gstapixodebug.h"

#include <gst/base/gsttypefindhelper.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (apixo_input_debug);
#define GST_CAT_DEFAULT apixo_input_debug

/* Bytes of the start of the data given to the typefinders. */
#define TYPEFIND_BYTES (256 * 1024)
#define CANCEL_MESSAGE "apixo-probe-cancel"

struct _GstApixoInput {
  GstApixoMediaKind kind;
  gchar *label;
  gchar *filename;
  gboolean is_temp;
  gboolean nameless; /* a temp file unlinked at once: filename is its fd */
  gchar *directory;  /* collectors: where the temporary file goes */
  guint64 max_bytes;

  GMutex lock;
  GCond cond;
  int fd; /* collectors: the temporary file, -1 before the first buffer */
  guint64 size;
  gboolean complete;
  GError *error;
  guint probe_timeout;

  /* probe results */
  gboolean probed;
  gchar *media_type;
  gchar *content_type;
  gint width, height;
  GstClockTime duration;
  gboolean has_alpha;
};

static void
input_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_input_debug, "apixoinput", 0,
                                      "APIXO local inputs");
}

static GstApixoInput *
input_new (GstApixoMediaKind kind, gchar *label)
{
  GstApixoInput *input = g_new0 (GstApixoInput, 1);

  input_init_debug ();
  input->kind = kind;
  input->label = label;
  input->fd = -1;
  input->probe_timeout = GST_APIXO_INPUT_DEFAULT_PROBE_TIMEOUT;
  input->duration = GST_CLOCK_TIME_NONE;
  g_mutex_init (&input->lock);
  g_cond_init (&input->cond);
  return input;
}

GstApixoInput *
gst_apixo_input_new_for_uri (GstApixoMediaKind kind, const gchar *name,
                             const gchar *uri, GError **error)
{
  GstApixoInput *input;
  gchar *hostname = NULL;
  gchar *filename;
  const gchar *reason = NULL;
  GError *err = NULL;
  GStatBuf st;

  g_return_val_if_fail (name != NULL && uri != NULL, NULL);

  filename = g_filename_from_uri (uri, &hostname, &err);
  if (filename != NULL && hostname != NULL && *hostname != '\0' &&
      g_ascii_strcasecmp (hostname, "localhost") != 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "%s %s: a file URI on another host (%s) cannot be read; use "
                 "file:///path",
                 name, uri, hostname);
    goto fail;
  }
  if (filename == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "%s %s: not a local file URI (%s)", name, uri, err->message);
    goto fail;
  }
  if (g_stat (filename, &st) != 0)
    reason = g_strerror (errno);
  else if (!S_ISREG (st.st_mode))
    reason = "not a regular file";
  else if (g_access (filename, R_OK) != 0)
    reason = g_strerror (errno);
  if (reason != NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "%s %s: cannot read the file: %s", name, uri, reason);
    goto fail;
  }
  input = input_new (kind, g_strdup_printf ("%s %s", name, uri));
  input->filename = filename;
  input->size = st.st_size;
  input->complete = TRUE;
  g_free (hostname);
  return input;

fail:
  g_clear_error (&err);
  g_free (filename);
  g_free (hostname);
  return NULL;
}

GstApixoInput *
gst_apixo_input_new_collector (GstApixoMediaKind kind, const gchar *label,
                               const gchar *directory, guint64 max_bytes)
{
  GstApixoInput *input;

  g_return_val_if_fail (label != NULL, NULL);

  input = input_new (kind, g_strdup (label));
  input->is_temp = TRUE;
  input->directory = g_strdup (directory ? directory : g_get_tmp_dir ());
  input->max_bytes = max_bytes ? max_bytes : GST_APIXO_INPUT_DEFAULT_MAX_BYTES;
  return input;
}

static void
clear_probe_results (GstApixoInput *input)
{
  input->probed = FALSE;
  g_clear_pointer (&input->media_type, g_free);
  g_clear_pointer (&input->content_type, g_free);
  input->width = input->height = 0;
  input->duration = GST_CLOCK_TIME_NONE;
  input->has_alpha = FALSE;
}

void
gst_apixo_input_free (GstApixoInput *input)
{
  if (input == NULL)
    return;
  if (input->fd >= 0)
    close (input->fd);
  if (input->is_temp && !input->nameless && input->filename != NULL)
    g_unlink (input->filename);
  clear_probe_results (input);
  g_clear_error (&input->error);
  g_free (input->label);
  g_free (input->filename);
  g_free (input->directory);
  g_mutex_clear (&input->lock);
  g_cond_clear (&input->cond);
  g_free (input);
}

/* ---- collecting ---------------------------------------------------------- */

/* input->lock held.  Records the failure and wakes the waiters. */
static void
fail_locked (GstApixoInput *input, GError *error)
{
  if (input->error == NULL)
    input->error = error;
  else
    g_error_free (error);
  g_cond_broadcast (&input->cond);
}

static gboolean
open_temp_locked (GstApixoInput *input, GError **error)
{
  gchar *path = g_build_filename (input->directory, "apixo-input-XXXXXX", NULL);
  int fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
                 "%s: cannot create a temporary file in %s: %s", input->label,
                 input->directory, g_strerror (errno));
    g_free (path);
    return FALSE;
  }
  GST_DEBUG ("%s: collecting into %s", input->label, path);
#ifdef __linux__
  {
    /* No name in the directory from the start, so that nothing is left
     * there however the process ends.  What opens the data by name (the
     * probe's filesrc, the media server, an upload's mapping) does so in
     * this process, through the descriptor's /proc entry (where /proc is
     * mounted). */
    gchar *fd_path = g_strdup_printf ("/proc/self/fd/%d", fd);

    if (g_access (fd_path, R_OK) == 0 && g_unlink (path) == 0) {
      g_free (path);
      path = g_steal_pointer (&fd_path);
      input->nameless = TRUE;
    }
    g_free (fd_path);
  }
#endif
  input->fd = fd;
  input->filename = path;
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len, guint64 offset)
{
  while (len > 0) {
    ssize_t n = pwrite (fd, data, len, offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
    offset += n;
  }
  return TRUE;
}

static gchar *
format_size (guint64 bytes)
{
  /* Not g_format_size(): its no-break space does not belong in messages
   * that end up in terminals and log files. */
  if (bytes >= (G_GUINT64_CONSTANT (1) << 30))
    return g_strdup_printf ("%.1f GiB", bytes / 1073741824.0);
  if (bytes >= (1 << 20))
    return g_strdup_printf ("%.1f MiB", bytes / 1048576.0);
  if (bytes >= 1024)
    return g_strdup_printf ("%.1f KiB", bytes / 1024.0);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
}

/* More than @max_bytes: @size is the exact size, or 0 while collecting
 * (then only "more than" is known). */
static GError *
too_large_error (GstApixoInput *input, guint64 size, guint64 max_bytes)
{
  gchar *found = format_size (size ? size : max_bytes);
  gchar *allowed = format_size (max_bytes);
  GError *error;

  if (size == 0)
    error = g_error_new (
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s: more than %s of data, allowed at most %s (%" G_GUINT64_FORMAT
        " bytes)",
        input->label, found, allowed, max_bytes);
  else
    error = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                         "%s: %s (%" G_GUINT64_FORMAT " bytes) of data, "
                         "allowed at most %s (%" G_GUINT64_FORMAT " bytes)",
                         input->label, found, size, allowed, max_bytes);
  g_free (found);
  g_free (allowed);
  return error;
}

/* input->lock held. */
static GstFlowReturn
append_locked (GstApixoInput *input, GstBuffer *buffer, GError **error)
{
  GstMapInfo map;
  GError *err = NULL;

  if (input->error != NULL) {
    g_propagate_error (error, g_error_copy (input->error));
    return GST_FLOW_ERROR;
  }
  if (input->complete)
    return GST_FLOW_EOS;
  if (input->fd < 0 && !open_temp_locked (input, &err))
    goto failed;
  if (gst_buffer_get_size (buffer) > input->max_bytes - input->size) {
    err = too_large_error (input, 0, input->max_bytes);
    goto failed;
  }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    err = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                       "%s: cannot map a buffer", input->label);
    goto failed;
  }
  if (!write_all (input->fd, map.data, map.size, input->size)) {
    err = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
                       "%s: cannot write the data to a temporary file in "
                       "%s: %s",
                       input->label, input->directory, g_strerror (errno));
    gst_buffer_unmap (buffer, &map);
    goto failed;
  }
  input->size += map.size;
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;

failed:
  GST_WARNING ("%s", err->message);
  g_propagate_error (error, g_error_copy (err));
  fail_locked (input, err);
  return GST_FLOW_ERROR;
}

GstFlowReturn
gst_apixo_input_append (GstApixoInput *input, GstBuffer *buffer, GError **error)
{
  GstFlowReturn ret;

  g_return_val_if_fail (input != NULL && input->is_temp, GST_FLOW_ERROR);

  g_mutex_lock (&input->lock);
  ret = append_locked (input, buffer, error);
  g_mutex_unlock (&input->lock);
  gst_buffer_unref (buffer);
  return ret;
}

void
gst_apixo_input_finish (GstApixoInput *input)
{
  g_mutex_lock (&input->lock);
  if (!input->complete && input->error == NULL) {
    GST_DEBUG ("%s: complete, %" G_GUINT64_FORMAT " bytes", input->label,
               input->size);
    input->complete = TRUE;
  }
  g_cond_broadcast (&input->cond);
  g_mutex_unlock (&input->lock);
}

void
gst_apixo_input_reset (GstApixoInput *input)
{
  if (!input->is_temp)
    return;
  g_mutex_lock (&input->lock);
  /* Complete (after EOS): probed, perhaps published (the media server
   * serves this very file) or handed to an upload: frozen for this run. */
  if (input->complete) {
    GST_DEBUG ("%s: complete, a flush does not reset it", input->label);
    g_mutex_unlock (&input->lock);
    return;
  }
  if (input->fd >= 0 && ftruncate (input->fd, 0) != 0)
    GST_WARNING ("%s: cannot truncate %s: %s", input->label, input->filename,
                 g_strerror (errno));
  input->size = 0;
  input->complete = FALSE;
  g_clear_error (&input->error);
  clear_probe_results (input);
  g_mutex_unlock (&input->lock);
}

void
gst_apixo_input_abort (GstApixoInput *input, const GError *error)
{
  g_mutex_lock (&input->lock);
  fail_locked (input, g_error_copy (error));
  g_mutex_unlock (&input->lock);
}

static void
wake_waiters (GCancellable *cancellable, gpointer data)
{
  GstApixoInput *input = data;

  g_mutex_lock (&input->lock);
  g_cond_broadcast (&input->cond);
  g_mutex_unlock (&input->lock);
}

gboolean
gst_apixo_input_wait (GstApixoInput *input, GCancellable *cancellable,
                      GError **error)
{
  gulong id = 0;
  gboolean ok = FALSE;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), input,
                                NULL);
  g_mutex_lock (&input->lock);
  while (!input->complete && input->error == NULL &&
         !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&input->cond, &input->lock);
  if (input->error != NULL)
    g_propagate_error (error, g_error_copy (input->error));
  else if (input->complete)
    ok = TRUE;
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 "%s: cancelled while waiting for the data", input->label);
  g_mutex_unlock (&input->lock);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, id);
  return ok;
}

gboolean
gst_apixo_input_is_complete (GstApixoInput *input)
{
  gboolean complete;

  g_mutex_lock (&input->lock);
  complete = input->complete && input->error == NULL;
  g_mutex_unlock (&input->lock);
  return complete;
}

void
gst_apixo_input_set_probe_timeout (GstApixoInput *input, guint seconds)
{
  g_mutex_lock (&input->lock);
  input->probe_timeout = seconds;
  g_mutex_unlock (&input->lock);
}

/* ---- formats ------------------------------------------------------------- */

static const struct {
  const gchar *media_type;
  const gchar *name; /* in messages */
} FORMAT_NAMES[] = {
  { "image/jpeg", "JPEG" }, { "image/png", "PNG" },   { "image/webp", "WebP" },
  { "image/bmp", "BMP" },   { "audio/x-wav", "WAV" }, { "audio/mpeg", "MP3" },
};

static const gchar *
format_name (const gchar *media_type)
{
  for (guint i = 0; i < G_N_ELEMENTS (FORMAT_NAMES); i++) {
    if (strcmp (media_type, FORMAT_NAMES[i].media_type) == 0)
      return FORMAT_NAMES[i].name;
  }
  return media_type;
}

static gchar *
describe_allowed (const GstApixoMediaLimits *limits)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; limits->media_types[i] != NULL; i++) {
    const gchar *name = format_name (limits->media_types[i]);

    if (i > 0)
      g_string_append (s, ", ");
    if (limits->no_alpha && strcmp (name, "PNG") == 0)
      g_string_append (s, "PNG without alpha");
    else
      g_string_append (s, name);
  }
  return g_string_free (s, FALSE);
}

/* The caps name we match limits against: MPEG audio other than layer 1-3
 * (AAC) is told apart from MP3. */
static gchar *
media_type_from_caps (const GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  gint version = 1;

  if (strcmp (name, "audio/mpeg") == 0 &&
      gst_structure_get_int (s, "mpegversion", &version) && version != 1)
    return g_strdup ("audio/aac");
  return g_strdup (name);
}

static const gchar *
content_type_for (GstApixoMediaKind kind, const gchar *media_type,
                  const GstCaps *caps)
{
  static const struct {
    const gchar *media_type, *content_type;
  } MAP[] = {
    { "image/jpeg", "image/jpeg" },
    { "image/png", "image/png" },
    { "image/webp", "image/webp" },
    { "image/bmp", "image/bmp" },
    { "image/gif", "image/gif" },
    { "video/webm", "video/webm" },
    { "video/x-matroska", "video/x-matroska" },
    { "video/x-msvideo", "video/x-msvideo" },
    { "audio/x-wav", "audio/wav" },
    { "audio/mpeg", "audio/mpeg" },
    { "audio/aac", "audio/aac" },
    { "audio/x-flac", "audio/flac" },
  };
  const gchar *variant = NULL;

  if (strcmp (media_type, "video/quicktime") == 0) {
    if (caps != NULL)
      variant = gst_structure_get_string (gst_caps_get_structure (caps, 0),
                                          "variant");
    if (variant != NULL && g_str_has_prefix (variant, "iso"))
      return kind == GST_APIXO_MEDIA_AUDIO ? "audio/mp4" : "video/mp4";
    if (g_strcmp0 (variant, "3gpp") == 0)
      return "video/3gpp";
    return "video/quicktime";
  }
  if (strcmp (media_type, "application/ogg") == 0)
    return kind == GST_APIXO_MEDIA_AUDIO ? "audio/ogg" : "video/ogg";
  for (guint i = 0; i < G_N_ELEMENTS (MAP); i++) {
    if (strcmp (media_type, MAP[i].media_type) == 0)
      return MAP[i].content_type;
  }
  return "application/octet-stream";
}

/* Reads up to @len bytes at @offset; the number read. */
static gsize
read_at (int fd, guint8 *data, gsize len, guint64 offset)
{
  gsize got = 0;

  while (got < len) {
    ssize_t n = pread (fd, data + got, len - got, offset + got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += n;
  }
  return got;
}

/* Size of a tag that prefixes the audio (ID3v2, APE), 0 if none. */
static guint64
leading_tag_size (const guint8 *d, gsize len)
{
  if (len >= 10 && memcmp (d, "ID3", 3) == 0)
    return 10 +
           ((d[6] & 0x7f) << 21 | (d[7] & 0x7f) << 14 | (d[8] & 0x7f) << 7 |
            (d[9] & 0x7f)) +
           ((d[5] & 0x10) ? 10 : 0);
  if (len >= 32 && memcmp (d, "APETAGEX", 8) == 0)
    return 32 + GST_READ_UINT32_LE (d + 12);
  return 0;
}

typedef struct {
  GstCaps *caps; /* of what is behind tags */
  gchar *media_type;
  guint8 *head; /* the first bytes of that */
  gsize head_len;
} Found;

static void
found_clear (Found *f)
{
  g_clear_pointer (&f->caps, gst_caps_unref);
  g_clear_pointer (&f->media_type, g_free);
  g_clear_pointer (&f->head, g_free);
}

static gboolean
is_tag_type (const GstCaps *caps)
{
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  return g_str_has_prefix (name, "application/x-id3") ||
         strcmp (name, "application/x-apetag") == 0;
}

/* Typefinds the data of @fd (never its name), looking through leading
 * ID3v2/APE tags and a trailing ID3v1 tag to the audio behind them. */
static void
typefind_data (int fd, guint64 size, Found *found)
{
  guint64 offset = 0;

  for (guint round = 0; round < 4 && offset < size; round++) {
    gsize len = (gsize)MIN ((guint64)TYPEFIND_BYTES, size - offset);
    guint8 *head = g_malloc (len);
    guint64 tag;

    len = read_at (fd, head, len, offset);
    found_clear (found);
    found->head = head;
    found->head_len = len;
    found->caps = gst_type_find_helper_for_data (NULL, head, len, NULL);
    if (found->caps == NULL || !is_tag_type (found->caps))
      break;
    tag = leading_tag_size (head, len);
    if (tag == 0 && len > 128 && offset + len == size) {
      /* ID3v1 at the end of a short file: typefind without it. */
      gst_caps_unref (found->caps);
      found->caps = gst_type_find_helper_for_data (NULL, head, len - 128, NULL);
      break;
    }
    if (tag == 0)
      break;
    offset += tag;
  }
  if (found->caps != NULL && !is_tag_type (found->caps))
    found->media_type = media_type_from_caps (found->caps);
  GST_DEBUG ("typefound %" GST_PTR_FORMAT, found->caps);
}

/* ---- headers ------------------------------------------------------------- */

/* Most PNG chunks walked to find a tRNS before the image data. */
#define PNG_MAX_CHUNKS 4096

/* Width, height and alpha from a PNG header: IHDR, and a tRNS chunk
 * anywhere before IDAT (walked in the file: large text or ICC chunks may
 * come first). */
static gboolean
png_header (const guint8 *d, gsize len, int fd, guint64 size, gint *w, gint *h,
            gboolean *alpha)
{
  guint64 pos = 8;
  guint8 chunk[8];

  if (len < 33 || memcmp (d + 12, "IHDR", 4) != 0)
    return FALSE;
  *w = (gint)MIN (GST_READ_UINT32_BE (d + 16), (guint32)G_MAXINT);
  *h = (gint)MIN (GST_READ_UINT32_BE (d + 20), (guint32)G_MAXINT);
  /* colour types 4 (grey + alpha) and 6 (RGBA) */
  *alpha = d[25] == 4 || d[25] == 6;
  for (guint n = 0; n < PNG_MAX_CHUNKS && pos + 8 <= size; n++) {
    if (read_at (fd, chunk, 8, pos) != 8 || memcmp (chunk + 4, "IDAT", 4) == 0)
      break;
    if (memcmp (chunk + 4, "tRNS", 4) == 0) {
      *alpha = TRUE;
      break;
    }
    pos += 12 + (guint64)GST_READ_UINT32_BE (chunk);
  }
  return TRUE;
}

/* Canvas size from a WebP header (VP8X, lossless VP8L or lossy VP8). */
static gboolean
webp_header (const guint8 *d, gsize len, gint *w, gint *h)
{
  if (len < 30 || memcmp (d, "RIFF", 4) != 0 || memcmp (d + 8, "WEBP", 4) != 0)
    return FALSE;
  if (memcmp (d + 12, "VP8X", 4) == 0) {
    *w = 1 + (d[24] | d[25] << 8 | d[26] << 16);
    *h = 1 + (d[27] | d[28] << 8 | d[29] << 16);
    return TRUE;
  }
  if (memcmp (d + 12, "VP8L", 4) == 0 && d[20] == 0x2f) {
    guint32 bits = GST_READ_UINT32_LE (d + 21);

    *w = 1 + (bits & 0x3fff);
    *h = 1 + ((bits >> 14) & 0x3fff);
    return TRUE;
  }
  if (memcmp (d + 12, "VP8 ", 4) == 0 && d[23] == 0x9d && d[24] == 0x01 &&
      d[25] == 0x2a) {
    *w = GST_READ_UINT16_LE (d + 26) & 0x3fff;
    *h = GST_READ_UINT16_LE (d + 28) & 0x3fff;
    return TRUE;
  }
  return FALSE;
}

/* Most JPEG segments walked to find the frame header (SOFn). */
#define JPEG_MAX_SEGMENTS 4096

/* Frame size from a JPEG's SOFn segment, walking the segments of the file
 * (APPn segments may put it past the typefinder's window).  FALSE if there
 * is none before the scan data. */
static gboolean
jpeg_header (int fd, guint64 size, gint *w, gint *h)
{
  guint64 pos = 2; /* after SOI */
  guint8 seg[9];

  for (guint n = 0; n < JPEG_MAX_SEGMENTS && pos + 4 <= size; n++) {
    guint8 marker;

    if (read_at (fd, seg, 4, pos) != 4 || seg[0] != 0xff)
      return FALSE;
    marker = seg[1];
    if (marker == 0xff) { /* fill byte */
      pos++;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; /* no length */
      continue;
    }
    if (marker == 0xd9 || marker == 0xda) /* EOI, SOS: no frame header */
      return FALSE;
    /* SOF0-SOF15, except DHT (c4), JPG (c8) and DAC (cc) */
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
        marker != 0xcc) {
      if (read_at (fd, seg, 9, pos) != 9)
        return FALSE;
      *h = GST_READ_UINT16_BE (seg + 5);
      *w = GST_READ_UINT16_BE (seg + 7);
      return TRUE;
    }
    pos += 2 + GST_READ_UINT16_BE (seg + 2);
  }
  return FALSE;
}

/* Image size from the header, without decoding: 0x0 when unknown. */
static void
header_dimensions (const Found *f, int fd, guint64 size, gint *w, gint *h,
                   gboolean *alpha)
{
  const GstStructure *s = gst_caps_get_structure (f->caps, 0);

  *w = *h = 0;
  *alpha = FALSE;
  if (strcmp (f->media_type, "image/png") == 0) {
    png_header (f->head, f->head_len, fd, size, w, h, alpha);
  } else if (strcmp (f->media_type, "image/webp") == 0) {
    webp_header (f->head, f->head_len, w, h);
  } else if (strcmp (f->media_type, "image/jpeg") == 0) {
    if (!jpeg_header (fd, size, w, h))
      *w = *h = 0;
  } else if (!gst_structure_get_int (s, "width", w) ||
             !gst_structure_get_int (s, "height", h)) {
    *w = *h = 0;
  }
}

/* ---- checks -------------------------------------------------------------- */

static const gchar *
kind_noun (GstApixoMediaKind kind)
{
  switch (kind) {
    case GST_APIXO_MEDIA_IMAGE:
      return "an image";
    case GST_APIXO_MEDIA_VIDEO:
      return "a video";
    default:
      return "audio";
  }
}

/* Whether a caps name can be of the kind at all. */
static gboolean
kind_matches (GstApixoMediaKind kind, const gchar *media_type)
{
  switch (kind) {
    case GST_APIXO_MEDIA_IMAGE:
      return g_str_has_prefix (media_type, "image/");
    case GST_APIXO_MEDIA_VIDEO:
      return !g_str_has_prefix (media_type, "image/") &&
             !g_str_has_prefix (media_type, "audio/");
    default:
      return !g_str_has_prefix (media_type, "image/");
  }
}

static gboolean
check_format (GstApixoInput *input, const GstApixoMediaLimits *limits,
              const gchar *media_type, GError **error)
{
  gboolean listed = limits != NULL && limits->media_types != NULL;
  gchar *allowed = listed ? describe_allowed (limits) : NULL;
  gboolean ok = media_type != NULL && kind_matches (input->kind, media_type);

  for (guint i = 0; ok && listed && limits->media_types[i]; i++) {
    if (strcmp (media_type, limits->media_types[i]) == 0)
      goto done;
  }
  if (ok && !listed)
    goto done;
  ok = FALSE;
  if (media_type == NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the data is of an unknown format, not %s%s%s%s",
                 input->label, kind_noun (input->kind),
                 listed ? " (allowed: " : "", listed ? allowed : "",
                 listed ? ")" : "");
  else if (!kind_matches (input->kind, media_type))
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the data is %s, not %s%s%s%s", input->label, media_type,
                 kind_noun (input->kind), listed ? " (allowed: " : "",
                 listed ? allowed : "", listed ? ")" : "");
  else
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the data is %s (allowed: %s)", input->label, media_type,
                 allowed);
done:
  g_free (allowed);
  return ok;
}

static gboolean
check_dimensions (GstApixoInput *input, const GstApixoMediaLimits *limits,
                  gint w, gint h, GError **error)
{
  guint min = limits ? limits->min_dimension : 0;
  guint max =
      limits && limits->max_dimension ? limits->max_dimension : G_MAXUINT;

  if (w <= 0 || h <= 0 ||
      ((guint)w >= min && (guint)h >= min && (guint)w <= max &&
       (guint)h <= max))
    return TRUE;
  if (max == G_MAXUINT)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: %dx%d px, allowed at least %u px", input->label, w, h,
                 min);
  else
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: %dx%d px, allowed %u-%u px", input->label, w, h, min,
                 max);
  return FALSE;
}

/* Checks what the header tells before anything is decoded: a huge image is
 * refused without allocating its frame. */
static gboolean
check_header (GstApixoInput *input, const GstApixoMediaLimits *limits,
              const Found *f, int fd, guint64 size, gboolean *alpha,
              GError **error)
{
  gint w, h;

  header_dimensions (f, fd, size, &w, &h, alpha);
  if (!check_dimensions (input, limits, w, h, error))
    return FALSE;
  if (*alpha && limits != NULL && limits->no_alpha) {
    gchar *allowed = describe_allowed (limits);

    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the PNG has an alpha channel (transparency), which the "
                 "model refuses (allowed: %s)",
                 input->label, allowed);
    g_free (allowed);
    return FALSE;
  }
  return TRUE;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct {
  GMutex lock;
  GstElement *pipeline;
  gboolean closing;
  GstElement *video_sink; /* the first raw video stream's */
  gboolean has_audio;
} Decode;

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  Decode *d = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = NULL;
  GstElement *sink;
  GstPad *sinkpad;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!gst_caps_is_empty (caps) && !gst_caps_is_any (caps))
    name = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  g_mutex_lock (&d->lock);
  if (d->closing)
    goto done;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (d->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    GST_WARNING ("cannot link %" GST_PTR_FORMAT, pad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
  if (g_strcmp0 (name, "video/x-raw") == 0 && d->video_sink == NULL)
    d->video_sink = gst_object_ref (sink);
  if (g_strcmp0 (name, "audio/x-raw") == 0)
    d->has_audio = TRUE;
done:
  g_mutex_unlock (&d->lock);
  gst_caps_unref (caps);
}

static void
post_cancel (GCancellable *cancellable, gpointer data)
{
  GstBus *bus = data;

  gst_bus_post (bus, gst_message_new_application (
                         NULL, gst_structure_new_empty (CANCEL_MESSAGE)));
}

typedef struct {
  gint width, height;
  GstClockTime duration;
  gboolean has_video, has_audio;
} Decoded;

/* Waits for one of @until (ASYNC_DONE: prerolled, the first frame decoded;
 * EOS: played through), an error, the cancellable or @deadline (monotonic
 * GStreamer timestamp). */
static gboolean
wait_bus (GstApixoInput *input, GstBus *bus, GstMessageType until,
          const gchar *media_type, GstClockTime deadline, guint timeout,
          GError **error)
{
  GstMessageType types =
      until | GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION | GST_MESSAGE_EOS;

  for (;;) {
    GstClockTime now = gst_util_get_timestamp ();
    GstMessage *msg =
        now < deadline ? gst_bus_timed_pop_filtered (bus, deadline - now, types)
                       : NULL;
    gboolean done = TRUE, ok = FALSE;

    if (msg == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "%s: the %s data did not decode within %u s", input->label,
                   media_type, timeout);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      GST_DEBUG ("%s: decode error: %s (%s)", input->label, err->message,
                 GST_STR_NULL (debug));
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "%s: the %s data does not decode: %s", input->label,
                   media_type, err->message);
      g_error_free (err);
      g_free (debug);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_APPLICATION) {
      done = gst_message_has_name (msg, CANCEL_MESSAGE);
      if (done)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                     "%s: cancelled while decoding", input->label);
    } else {
      /* @until, or EOS before any data: what arrived is checked later */
      ok = TRUE;
    }
    if (msg != NULL)
      gst_message_unref (msg);
    if (done)
      return ok;
  }
}

static void
collect_decoded (Decode *d, Decoded *out)
{
  GstCaps *caps = NULL;
  gint64 duration = -1;

  g_mutex_lock (&d->lock);
  if (d->video_sink != NULL) {
    GstPad *pad = gst_element_get_static_pad (d->video_sink, "sink");

    caps = gst_pad_get_current_caps (pad);
    gst_object_unref (pad);
  }
  out->has_audio = d->has_audio;
  g_mutex_unlock (&d->lock);

  if (caps != NULL) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);

    out->has_video = gst_structure_get_int (s, "width", &out->width) &&
                     gst_structure_get_int (s, "height", &out->height);
    gst_caps_unref (caps);
  }
  if (gst_element_query_duration (d->pipeline, GST_FORMAT_TIME, &duration) &&
      duration > 0)
    out->duration = duration;
}

/* After EOS: the duration as the parsers know it now, else the position
 * the data reached. */
static void
collect_end_position (Decode *d, Decoded *out)
{
  gint64 duration = -1, position = -1;

  gst_element_query_duration (d->pipeline, GST_FORMAT_TIME, &duration);
  gst_element_query_position (d->pipeline, GST_FORMAT_TIME, &position);
  duration = MAX (duration, position);
  if (duration > 0)
    out->duration = duration;
}

/* Decodes the start of @filename: "filesrc ! queue ! decodebin", every
 * stream into a fakesink, until it prerolls.
 *
 * The queue keeps decodebin in push mode.  In pull mode a demuxer starts
 * streaming while decodebin is still setting it to PAUSED, and decodebin2
 * (1.22) drops the errors a child posts in that window: a demuxer failing
 * at once (an MP4 without moov) then leaves the pipeline stuck until the
 * timeout, about one probe in ten. */
static gboolean
decode (GstApixoInput *input, const gchar *filename, const gchar *media_type,
        guint timeout, GCancellable *cancellable, Decoded *out, GError **error)
{
  Decode d = { 0 };
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *decodebin = gst_element_factory_make ("decodebin", NULL);
  GstClockTime deadline = gst_util_get_timestamp () + timeout * GST_SECOND;
  GstBus *bus;
  gulong id = 0;
  gboolean ok;

  out->duration = GST_CLOCK_TIME_NONE;
  if (src == NULL || queue == NULL || decodebin == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                 "%s: filesrc, queue or decodebin is missing (GStreamer core "
                 "and gst-plugins-base are needed)",
                 input->label);
    g_clear_object (&src);
    g_clear_object (&queue);
    g_clear_object (&decodebin);
    return FALSE;
  }
  g_mutex_init (&d.lock);
  d.pipeline = gst_pipeline_new ("apixo-input-probe");
  g_object_set (src, "location", filename, NULL);
  gst_bin_add_many (GST_BIN (d.pipeline), src, queue, decodebin, NULL);
  gst_element_link_many (src, queue, decodebin, NULL);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &d);

  bus = gst_element_get_bus (d.pipeline);
  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (post_cancel),
                                gst_object_ref (bus), gst_object_unref);
  gst_element_set_state (d.pipeline, GST_STATE_PAUSED);
  ok = wait_bus (input, bus, GST_MESSAGE_ASYNC_DONE, media_type, deadline,
                 timeout, error);
  if (ok)
    collect_decoded (&d, out);
  if (ok && input->kind != GST_APIXO_MEDIA_IMAGE &&
      !GST_CLOCK_TIME_IS_VALID (out->duration)) {
    /* No duration in the headers (CBR MP3 without a Xing header, some
     * WebM): decode to the end (fakesinks without sync: as fast as the
     * decoders go, within the same deadline) and take the last position. */
    GST_DEBUG ("%s: duration unknown after preroll, playing through",
               input->label);
    gst_element_set_state (d.pipeline, GST_STATE_PLAYING);
    ok = wait_bus (input, bus, GST_MESSAGE_EOS, media_type, deadline, timeout,
                   error);
    if (ok)
      collect_end_position (&d, out);
  }

  g_mutex_lock (&d.lock);
  d.closing = TRUE;
  g_mutex_unlock (&d.lock);
  gst_element_set_state (d.pipeline, GST_STATE_NULL);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, id);
  gst_object_unref (bus);
  g_clear_object (&d.video_sink);
  gst_object_unref (d.pipeline);
  g_mutex_clear (&d.lock);
  return ok;
}

/* What the decoded data must show for its kind. */
static gboolean
check_decoded (GstApixoInput *input, const GstApixoMediaLimits *limits,
               const gchar *media_type, const Decoded *dec, GError **error)
{
  gboolean wants_video = input->kind != GST_APIXO_MEDIA_AUDIO;
  gboolean wants_duration = input->kind != GST_APIXO_MEDIA_IMAGE;
  gdouble seconds;

  if (wants_video ? !dec->has_video : !dec->has_audio) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the %s data holds no decodable %s", input->label,
                 media_type,
                 input->kind == GST_APIXO_MEDIA_IMAGE   ? "picture"
                 : input->kind == GST_APIXO_MEDIA_VIDEO ? "video stream"
                                                        : "audio stream");
    return FALSE;
  }
  if (wants_video &&
      !check_dimensions (input, limits, dec->width, dec->height, error))
    return FALSE;
  if (!wants_duration)
    return TRUE;
  if (!GST_CLOCK_TIME_IS_VALID (dec->duration)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the duration of the %s data is unknown (the service "
                 "needs it and bills by it)",
                 input->label, media_type);
    return FALSE;
  }
  seconds = gst_guint64_to_gdouble (dec->duration) / GST_SECOND;
  if (limits != NULL && (limits->min_seconds > 0 || limits->max_seconds > 0) &&
      (seconds < limits->min_seconds ||
       (limits->max_seconds > 0 && seconds > limits->max_seconds))) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: %.1f s, allowed %g-%g s", input->label, seconds,
                 limits->min_seconds, limits->max_seconds);
    return FALSE;
  }
  return TRUE;
}

/* ---- probe --------------------------------------------------------------- */

static int
open_data (GstApixoInput *input, guint64 *size, GError **error)
{
  struct stat st;
  int fd = open (input->filename, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || fstat (fd, &st) != 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "%s: cannot read the data: %s", input->label,
                 g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return -1;
  }
  *size = st.st_size;
  return fd;
}

static gboolean
check_size (GstApixoInput *input, const GstApixoMediaLimits *limits,
            guint64 size, GError **error)
{
  if (size == 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: no data (%s)", input->label,
                 input->is_temp ? "the stream ended before any data arrived"
                                : "the file is empty");
    return FALSE;
  }
  if (limits != NULL && limits->max_bytes > 0 && size > limits->max_bytes) {
    g_propagate_error (error, too_large_error (input, size, limits->max_bytes));
    return FALSE;
  }
  return TRUE;
}

/* Snapshot of what probe() needs, under the lock. */
static gboolean
probe_begin (GstApixoInput *input, guint *timeout, GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&input->lock);
  if (input->error != NULL) {
    g_propagate_error (error, g_error_copy (input->error));
    ok = FALSE;
  } else if (!input->complete) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the data is not complete yet", input->label);
    ok = FALSE;
  } else if (input->filename == NULL) { /* collector that got nothing */
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: no data (the stream ended before any data arrived)",
                 input->label);
    ok = FALSE;
  }
  clear_probe_results (input);
  *timeout = input->probe_timeout;
  g_mutex_unlock (&input->lock);
  return ok;
}

gboolean
gst_apixo_input_probe (GstApixoInput *input, const GstApixoMediaLimits *limits,
                       GCancellable *cancellable, GError **error)
{
  Found found = { NULL };
  Decoded dec = { 0 };
  guint64 size = 0;
  guint timeout;
  gboolean alpha = FALSE;
  gboolean ok = FALSE;
  int fd;

  g_return_val_if_fail (input != NULL, FALSE);

  if (!probe_begin (input, &timeout, error))
    return FALSE;
  fd = open_data (input, &size, error);
  if (fd < 0)
    return FALSE;
  if (!check_size (input, limits, size, error))
    goto done;
  typefind_data (fd, size, &found);
  if (!check_format (input, limits, found.media_type, error) ||
      (input->kind == GST_APIXO_MEDIA_IMAGE &&
       !check_header (input, limits, &found, fd, size, &alpha, error)))
    goto done;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto done;
  if (!decode (input, input->filename, found.media_type, timeout, cancellable,
               &dec, error) ||
      !check_decoded (input, limits, found.media_type, &dec, error))
    goto done;

  g_mutex_lock (&input->lock);
  input->probed = TRUE;
  input->size = size;
  input->media_type = g_strdup (found.media_type);
  input->content_type =
      g_strdup (content_type_for (input->kind, found.media_type, found.caps));
  input->width = dec.has_video ? dec.width : 0;
  input->height = dec.has_video ? dec.height : 0;
  input->duration =
      input->kind == GST_APIXO_MEDIA_IMAGE ? GST_CLOCK_TIME_NONE : dec.duration;
  input->has_alpha = alpha;
  g_mutex_unlock (&input->lock);
  GST_INFO ("%s: %s, %" G_GUINT64_FORMAT " bytes, %dx%d, %" GST_TIME_FORMAT,
            input->label, found.media_type, size, dec.width, dec.height,
            GST_TIME_ARGS (dec.duration));
  ok = TRUE;

done:
  if (!ok && error != NULL && *error != NULL)
    GST_INFO ("%s", (*error)->message);
  found_clear (&found);
  close (fd);
  return ok;
}

/* ---- getters ------------------------------------------------------------- */

GstApixoMediaKind
gst_apixo_input_get_kind (GstApixoInput *input)
{
  return input->kind;
}

const gchar *
gst_apixo_input_get_label (GstApixoInput *input)
{
  return input->label;
}

const gchar *
gst_apixo_input_get_filename (GstApixoInput *input)
{
  const gchar *filename;

  g_mutex_lock (&input->lock);
  filename = input->filename;
  g_mutex_unlock (&input->lock);
  return filename;
}

guint64
gst_apixo_input_get_size (GstApixoInput *input)
{
  guint64 size;

  g_mutex_lock (&input->lock);
  size = input->size;
  g_mutex_unlock (&input->lock);
  return size;
}

const gchar *
gst_apixo_input_get_media_type (GstApixoInput *input)
{
  return input->media_type;
}

const gchar *
gst_apixo_input_get_content_type (GstApixoInput *input)
{
  return input->content_type;
}

gint
gst_apixo_input_get_width (GstApixoInput *input)
{
  return input->width;
}

gint
gst_apixo_input_get_height (GstApixoInput *input)
{
  return input->height;
}

GstClockTime
gst_apixo_input_get_duration (GstApixoInput *input)
{
  return input->duration;
}

gboolean
gst_apixo_input_has_alpha (GstApixoInput *input)
{
  return input->has_alpha;
}
