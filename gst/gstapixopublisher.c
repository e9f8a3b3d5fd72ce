/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Publishing the local inputs of one element run.
 *
 * Thread safety notes
 * -------------------
 * - publisher->lock guards publisher->server and publisher->paths.  It is
 *   never held while acquiring or releasing the media server, nor while
 *   calling the upload hook; gst_apixo_media_server_publish/withdraw take
 *   the server's own lock inside it (order: publisher->lock, then the
 *   server's lock; the server never calls back into us).
 * - The configuration is copied at creation and read-only afterwards.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixopublisher.h"
#include "gstapixodebug.h"
#include "gstapixomediaserver.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_publisher_debug);
#define GST_CAT_DEFAULT apixo_publisher_debug

struct _GstApixoPublisher {
  gchar *public_url; /* without trailing '/' */
  gchar *server_address;
  guint server_port;
  GstApixoUploadFunc upload;
  gpointer upload_data;

  GMutex lock;
  GstApixoMediaServer *server;
  GPtrArray *paths; /* published on server */
};

static void
publisher_init_debug (void)
{
  GST_APIXO_DEBUG_CATEGORY_INIT_ONCE (apixo_publisher_debug, "apixopublisher",
                                      0, "APIXO local input publishing");
}

static gboolean
is_http_url (const gchar *url, GUri **parsed)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme;
  gboolean ok;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  ok = (g_ascii_strcasecmp (scheme, "http") == 0 ||
        g_ascii_strcasecmp (scheme, "https") == 0) &&
       g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
  if (ok && parsed != NULL)
    *parsed = uri;
  else
    g_uri_unref (uri);
  return ok;
}

gboolean
gst_apixo_publisher_check_public_url (const gchar *public_url, GError **error)
{
  GUri *uri = NULL;
  gboolean ok;

  if (public_url == NULL || *public_url == '\0')
    return TRUE;
  ok = is_http_url (public_url, &uri) && g_uri_get_query (uri) == NULL &&
       g_uri_get_fragment (uri) == NULL;
  if (uri != NULL)
    g_uri_unref (uri);
  if (!ok)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "public-url '%s' is not valid: an absolute http:// or "
                 "https:// base URL without query or fragment is required "
                 "(e.g. https://media.example.com/apixo), reaching the "
                 "media server at server-address:server-port",
                 public_url);
  return ok;
}

GstApixoPublisher *
gst_apixo_publisher_new (const GstApixoPublisherConfig *config)
{
  GstApixoPublisher *pub = g_new0 (GstApixoPublisher, 1);

  publisher_init_debug ();
  if (config->public_url != NULL && *config->public_url != '\0') {
    gsize len = strlen (config->public_url);

    while (len > 0 && config->public_url[len - 1] == '/')
      len--;
    pub->public_url = g_strndup (config->public_url, len);
  }
  pub->server_address = g_strdup (config->server_address
                                      ? config->server_address
                                      : GST_APIXO_MEDIA_SERVER_DEFAULT_ADDRESS);
  pub->server_port = config->server_port;
  pub->upload = config->upload;
  pub->upload_data = config->upload_data;
  g_mutex_init (&pub->lock);
  pub->paths = g_ptr_array_new_with_free_func (g_free);
  return pub;
}

static GError *
no_mode_error (GstApixoPublisher *pub, GstApixoInput *input)
{
  return g_error_new (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "%s is a local input: the service can only fetch URLs. Either set "
      "public-url to a public http(s) base URL that reaches the embedded "
      "media server at server-address:server-port (now %s:%u%s) through a "
      "tunnel or reverse proxy, or connect to the upload signal to store the "
      "data yourself and return its URL",
      gst_apixo_input_get_label (input), pub->server_address, pub->server_port,
      pub->server_port == 0 ? ", 0 = any free port: set a fixed one for the "
                              "tunnel"
                            : "");
}

/* The media server, bound on first use. */
static GstApixoMediaServer *
ensure_server (GstApixoPublisher *pub, GCancellable *cancellable,
               GError **error)
{
  GstApixoMediaServer *server, *extra = NULL;

  g_mutex_lock (&pub->lock);
  server = pub->server;
  g_mutex_unlock (&pub->lock);
  if (server != NULL)
    return server;

  server = gst_apixo_media_server_acquire (
      pub->server_address, pub->server_port, cancellable, error);
  if (server == NULL)
    return NULL;
  g_mutex_lock (&pub->lock);
  if (pub->server == NULL)
    pub->server = server;
  else
    extra = server; /* a concurrent publish was first */
  server = pub->server;
  g_mutex_unlock (&pub->lock);
  if (extra != NULL)
    gst_apixo_media_server_release (extra);
  return server;
}

static gchar *
publish_on_server (GstApixoPublisher *pub, GstApixoInput *input,
                   const gchar *content_type, GCancellable *cancellable,
                   GError **error)
{
  GstApixoMediaServer *server = ensure_server (pub, cancellable, error);
  gchar *path, *url;

  if (server == NULL)
    return NULL;
  path = gst_apixo_media_server_publish (
      server, gst_apixo_input_get_filename (input), content_type, error);
  if (path == NULL)
    return NULL;
  url = g_strconcat (pub->public_url, path, NULL);
  GST_INFO ("%s published as %s (%s) through the media server on %s:%u",
            gst_apixo_input_get_label (input), content_type, pub->public_url,
            gst_apixo_media_server_get_address (server),
            gst_apixo_media_server_get_port (server));
  g_mutex_lock (&pub->lock);
  g_ptr_array_add (pub->paths, path);
  g_mutex_unlock (&pub->lock);
  return url;
}

static gchar *
publish_by_upload (GstApixoPublisher *pub, GstApixoInput *input,
                   const gchar *content_type, GCancellable *cancellable,
                   GError **error)
{
  const gchar *label = gst_apixo_input_get_label (input);
  GError *err = NULL;
  GMappedFile *mapped;
  GBytes *bytes;
  gchar *url;
  gchar *host;

  mapped =
      g_mapped_file_new (gst_apixo_input_get_filename (input), FALSE, &err);
  if (mapped == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                 "%s: cannot read the data for the upload handler: %s", label,
                 err->message);
    g_error_free (err);
    return NULL;
  }
  bytes = g_mapped_file_get_bytes (mapped);
  g_mapped_file_unref (mapped);

  GST_DEBUG ("%s: calling the upload handler (%s, %" G_GSIZE_FORMAT " bytes)",
             label, content_type, g_bytes_get_size (bytes));
  url = pub->upload (bytes, content_type, cancellable, pub->upload_data, &err);
  g_bytes_unref (bytes);

  if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    g_clear_error (&err);
    g_free (url);
    return NULL;
  }
  if (url == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
                 "%s: the upload handler returned no URL%s%s", label,
                 err ? ": " : "", err ? err->message : "");
    g_clear_error (&err);
    return NULL;
  }
  g_clear_error (&err);
  if (!is_http_url (url, NULL)) {
    /* Not quoted: an upload URL may carry credentials. */
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s: the upload handler returned a URL that is not an "
                 "absolute http:// or https:// URL; the service cannot fetch "
                 "it",
                 label);
    g_free (url);
    return NULL;
  }
  host = g_uri_parse_scheme (url);
  GST_INFO ("%s uploaded by the application (%s URL)", label, host);
  g_free (host);
  return url;
}

gchar *
gst_apixo_publisher_publish (GstApixoPublisher *publisher, GstApixoInput *input,
                             GCancellable *cancellable, GError **error)
{
  const gchar *content_type;

  g_return_val_if_fail (publisher != NULL && input != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  content_type = gst_apixo_input_get_content_type (input);
  if (content_type == NULL)
    content_type = "application/octet-stream";
  if (publisher->upload != NULL)
    return publish_by_upload (publisher, input, content_type, cancellable,
                              error);
  if (publisher->public_url != NULL)
    return publish_on_server (publisher, input, content_type, cancellable,
                              error);
  g_propagate_error (error, no_mode_error (publisher, input));
  return NULL;
}

void
gst_apixo_publisher_withdraw_all (GstApixoPublisher *publisher)
{
  g_mutex_lock (&publisher->lock);
  for (guint i = 0; i < publisher->paths->len; i++)
    gst_apixo_media_server_withdraw (publisher->server,
                                     g_ptr_array_index (publisher->paths, i));
  g_ptr_array_set_size (publisher->paths, 0);
  g_mutex_unlock (&publisher->lock);
}

guint
gst_apixo_publisher_get_server_port (GstApixoPublisher *publisher)
{
  guint port = 0;

  g_mutex_lock (&publisher->lock);
  if (publisher->server != NULL)
    port = gst_apixo_media_server_get_port (publisher->server);
  g_mutex_unlock (&publisher->lock);
  return port;
}

void
gst_apixo_publisher_free (GstApixoPublisher *publisher)
{
  GstApixoMediaServer *server;

  if (publisher == NULL)
    return;
  gst_apixo_publisher_withdraw_all (publisher);
  g_mutex_lock (&publisher->lock);
  server = g_steal_pointer (&publisher->server);
  g_mutex_unlock (&publisher->lock);
  if (server != NULL)
    gst_apixo_media_server_release (server);
  g_ptr_array_unref (publisher->paths);
  g_free (publisher->public_url);
  g_free (publisher->server_address);
  g_mutex_clear (&publisher->lock);
  g_free (publisher);
}
