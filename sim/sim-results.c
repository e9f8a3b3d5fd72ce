/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Result file serving.  Main context only (see sim-app.h).  Files are
 * memory-mapped per request and handed to libsoup as GBytes slices, so a
 * 200 MB result costs no copy and no resident memory beyond the page
 * cache.  libsoup's own Range handling is bypassed (it copies the whole
 * body): ranges are answered here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-results.h"
#include "sim-util.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>

typedef struct {
  gchar *path; /* hard link in results_dir (or the cache file) */
  gchar *model;
  gchar *etag; /* quoted */
  gchar *last_modified;
  goffset size;
  gint64 expires_us; /* sim clock */
} SimResult;

struct _SimResults {
  SimApp *app;
  GHashTable *by_path; /* "/results/TOKEN.mp4" -> SimResult */
};

static void
sim_result_free (SimResult *r)
{
  g_free (r->path);
  g_free (r->model);
  g_free (r->etag);
  g_free (r->last_modified);
  g_free (r);
}

SimResults *
sim_results_new (SimApp *app)
{
  SimResults *results = g_new0 (SimResults, 1);

  results->app = app;
  results->by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)sim_result_free);
  return results;
}

void
sim_results_free (SimResults *results)
{
  if (results == NULL)
    return;
  g_hash_table_unref (results->by_path);
  g_free (results);
}

gchar *
sim_results_publish (SimResults *results, const gchar *path, const gchar *model,
                     GError **error)
{
  SimApp *app = results->app;
  g_autofree gchar *token = sim_random_hex (16);
  g_autofree gchar *name = g_strconcat (token, ".mp4", NULL);
  g_autofree gchar *link_path = g_build_filename (app->results_dir, name, NULL);
  g_autoptr (GDateTime) mtime = NULL;
  g_autofree gchar *tag_src = NULL;
  gchar *url_path;
  GStatBuf st;
  SimResult *r;

  if (g_stat (path, &st) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "result file missing: %s", g_strerror (errno));
    return NULL;
  }
  r = g_new0 (SimResult, 1);
  /* A hard link keeps the bytes served stable whatever happens to the
   * shared cache; fall back to the cache file itself. */
  if (link (path, link_path) == 0)
    r->path = g_steal_pointer (&link_path);
  else
    r->path = g_strdup (path);
  r->model = g_strdup (model);
  r->size = st.st_size;
  tag_src = g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, path,
                             (gint64)st.st_size, (gint64)st.st_mtime);
  {
    g_autofree gchar *sum =
        g_compute_checksum_for_string (G_CHECKSUM_SHA256, tag_src, -1);
    r->etag = g_strdup_printf ("\"%.32s\"", sum);
  }
  mtime = g_date_time_new_from_unix_utc (st.st_mtime);
  r->last_modified = soup_date_time_to_string (mtime, SOUP_DATE_HTTP);
  r->expires_us =
      sim_app_clock_us (app) + (gint64)(app->result_ttl * G_USEC_PER_SEC);

  url_path = g_strconcat (SIM_RESULTS_PREFIX, token, ".mp4", NULL);
  g_hash_table_insert (results->by_path, g_strdup (url_path), r);
  return url_path;
}

static SimResult *
lookup_live (SimResults *results, const gchar *url_path)
{
  SimResult *r = g_hash_table_lookup (results->by_path, url_path);

  if (r == NULL)
    return NULL;
  if (sim_app_clock_us (results->app) >= r->expires_us)
    return NULL;
  return r;
}

const gchar *
sim_results_model (SimResults *results, const gchar *url_path)
{
  SimResult *r = g_hash_table_lookup (results->by_path, url_path);

  return r ? r->model : NULL;
}

/* One "bytes=A-B" / "bytes=A-" / "bytes=-N" range.  Returns 200 (no
 * usable Range: answer the whole file), 206 (@start/@end set) or 416. */
static guint
parse_range (const gchar *header, goffset size, goffset *start, goffset *end)
{
  const gchar *spec, *dash;
  g_autofree gchar *first = NULL;
  const gchar *last;
  guint64 a, b;

  if (header == NULL)
    return 200;
  while (g_ascii_isspace (*header))
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return 200;
  spec = header + 6;
  /* SIM CHOICE: several ranges are answered with the whole file (allowed
   * by RFC 9110), the service promises single ranges only. */
  if (strchr (spec, ',') != NULL)
    return 200;
  dash = strchr (spec, '-');
  if (dash == NULL)
    return 200;
  first = g_strstrip (g_strndup (spec, dash - spec));
  last = dash + 1;
  while (g_ascii_isspace (*last))
    last++;

  if (*first == '\0') {
    /* suffix: the last N bytes */
    if (!g_ascii_string_to_unsigned (g_strstrip ((gchar *)last), 10, 0,
                                     G_MAXINT64, &b, NULL))
      return 200;
    if (b == 0 || size == 0)
      return 416;
    *start = (goffset)b >= size ? 0 : size - (goffset)b;
    *end = size - 1;
    return 206;
  }
  if (!g_ascii_string_to_unsigned (first, 10, 0, G_MAXINT64, &a, NULL))
    return 200;
  if (*last == '\0') {
    b = G_MAXINT64;
  } else {
    g_autofree gchar *l = g_strstrip (g_strdup (last));
    if (!g_ascii_string_to_unsigned (l, 10, 0, G_MAXINT64, &b, NULL) || b < a)
      return 200;
  }
  if ((goffset)a >= size)
    return 416;
  *start = a;
  *end = MIN ((goffset)b, size - 1);
  return 206;
}

static void
answer_not_found (SoupServerMessage *msg)
{
  static const gchar body[] = "Not Found: unknown or expired result\n";

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, body,
                                    strlen (body));
}

gboolean
sim_results_answer (SimResults *results, SoupServerMessage *msg,
                    const gchar *url_path)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const gchar *method = soup_server_message_get_method (msg);
  gboolean head = method == SOUP_METHOD_HEAD;
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GBytes) all = NULL;
  const gchar *range, *if_range;
  goffset start = 0, end = -1;
  guint status;
  SimResult *r;

  if (method != SOUP_METHOD_GET && !head) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    soup_message_headers_replace (resp, "Allow", "GET, HEAD");
    return FALSE;
  }
  r = lookup_live (results, url_path);
  if (r == NULL) {
    answer_not_found (msg);
    return FALSE;
  }

  range = soup_message_headers_get_one (req, "Range");
  if_range = soup_message_headers_get_one (req, "If-Range");
  /* If-Range with another validator: the file changed, send it whole. */
  if (range && if_range && g_strcmp0 (if_range, r->etag) != 0 &&
      g_strcmp0 (if_range, r->last_modified) != 0)
    range = NULL;
  status = parse_range (range, r->size, &start, &end);

  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_replace (resp, "ETag", r->etag);
  soup_message_headers_replace (resp, "Last-Modified", r->last_modified);
  soup_message_headers_set_content_type (resp, "video/mp4", NULL);
  /* Keep libsoup from applying its own (copying) Range logic. */
  soup_message_body_set_accumulate (body, FALSE);

  if (status == 416) {
    g_autofree gchar *cr =
        g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT, r->size);
    soup_server_message_set_status (
        msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
    soup_message_headers_replace (resp, "Content-Range", cr);
    soup_message_headers_set_content_length (resp, 0);
    return FALSE;
  }
  if (status == 200) {
    start = 0;
    end = r->size - 1;
  } else {
    soup_message_headers_set_content_range (resp, start, end, r->size);
  }
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_set_content_length (resp, end - start + 1);
  if (head || end < start)
    return FALSE;

  map = g_mapped_file_new (r->path, FALSE, NULL);
  if (map == NULL) {
    soup_message_headers_remove (resp, "Content-Range");
    soup_message_headers_remove (resp, "Content-Length");
    answer_not_found (msg);
    return FALSE;
  }
  all = g_mapped_file_get_bytes (map);
  if ((goffset)g_bytes_get_size (all) < end + 1) {
    soup_message_headers_remove (resp, "Content-Range");
    soup_message_headers_remove (resp, "Content-Length");
    answer_not_found (msg);
    return FALSE;
  }
  {
    g_autoptr (GBytes) slice =
        g_bytes_new_from_bytes (all, start, end - start + 1);
    soup_message_body_append_bytes (body, slice);
  }
  soup_message_body_complete (body);
  return TRUE;
}
