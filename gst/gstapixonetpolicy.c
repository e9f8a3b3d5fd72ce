/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Network trust: address classes, the base-url exemption, the guard of
 * requests for URLs that came from the network.
 *
 * Thread safety notes
 * -------------------
 * The class functions are plain functions of their arguments.  A watch
 * (Guard) is attached to one SoupMessage and touched only by its signal
 * handlers and take_error(), all on the worker thread (libsoup emits the
 * message's signals in the context it runs in).  No locks.
 *
 * Why at connection time: a host name may resolve anywhere (and again
 * differently, DNS rebinding), so the only address worth checking is the
 * one the socket is about to connect to.  GLib gives it during the
 * G_SOCKET_CLIENT_CONNECTING event, before connect(), and libsoup
 * re-emits that event as the message's "network-event".
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixonetpolicy.h"
#include "gstapixoerror.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (apixo_net_policy_debug);
#define GST_CAT_DEFAULT apixo_net_policy_debug

#define GUARD_KEY "apixo-net-guard"

G_DEFINE_QUARK (apixo - net - policy - error - quark,
                gst_apixo_net_policy_error)

typedef struct {
  gchar *base_url;
  gchar *secret;
  GCancellable *cancellable;
  GError *error; /* why the message was stopped */
} Guard;

/* Only watch() logs, on the worker thread: no once-guard needed. */
static void
net_policy_init_debug (void)
{
  if (apixo_net_policy_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (apixo_net_policy_debug, "apixonetpolicy", 0,
                             "APIXO network trust");
}

/* ---- address classes ----------------------------------------------------- */

static GstApixoNetClass
class_of_ipv4 (const guint8 *b)
{
  if (b[0] == 127 || b[0] == 0)
    return GST_APIXO_NET_CLASS_LOOPBACK; /* 0.0.0.0 reaches this host */
  if (b[0] == 169 && b[1] == 254)
    return GST_APIXO_NET_CLASS_LINK_LOCAL;
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
      (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64))
    return GST_APIXO_NET_CLASS_PRIVATE;
  if (b[0] >= 224)
    return GST_APIXO_NET_CLASS_RESERVED; /* multicast, 240/4, broadcast */
  return GST_APIXO_NET_CLASS_PUBLIC;
}

static GstApixoNetClass
class_of_ipv6 (const guint8 *b)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64[12] = { 0, 0x64, 0xff, 0x9b };
  static const guint8 zero[15] = { 0 };

  /* an IPv4 address in IPv6 clothes goes where the IPv4 address goes */
  if (memcmp (b, mapped, 12) == 0 || memcmp (b, nat64, 12) == 0)
    return class_of_ipv4 (b + 12);
  if (memcmp (b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
    return GST_APIXO_NET_CLASS_LOOPBACK; /* :: and ::1 */
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
    return GST_APIXO_NET_CLASS_LINK_LOCAL;
  if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0))
    return GST_APIXO_NET_CLASS_UNIQUE_LOCAL;
  if (b[0] == 0xff)
    return GST_APIXO_NET_CLASS_RESERVED;
  return GST_APIXO_NET_CLASS_PUBLIC;
}

GstApixoNetClass
gst_apixo_net_class_of_address (GInetAddress *addr)
{
  const guint8 *bytes = g_inet_address_to_bytes (addr);

  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4)
    return class_of_ipv4 (bytes);
  return class_of_ipv6 (bytes);
}

gboolean
gst_apixo_net_class_of_host (const gchar *host, GstApixoNetClass *net_class)
{
  GInetAddress *addr;
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  /* GUri keeps the brackets of an IPv6 literal out, but not a zone id */
  addr = g_inet_address_new_from_string (host);
  if (addr != NULL) {
    *net_class = gst_apixo_net_class_of_address (addr);
    g_object_unref (addr);
    return TRUE;
  }
  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      (len > 10 && g_ascii_strcasecmp (host + len - 10, ".localhost") == 0)) {
    *net_class = GST_APIXO_NET_CLASS_LOOPBACK;
    return TRUE;
  }
  return FALSE;
}

GProxyResolver *
gst_apixo_net_proxy_resolver_new (const gchar *proxy)
{
  const gchar *no_proxy = g_getenv ("no_proxy");
  gchar **ignore = NULL;
  GProxyResolver *resolver;

  if (no_proxy == NULL)
    no_proxy = g_getenv ("NO_PROXY");
  if (no_proxy != NULL && *no_proxy != '\0')
    ignore = g_strsplit (no_proxy, ",", -1);
  resolver = g_simple_proxy_resolver_new (proxy, ignore);
  g_strfreev (ignore);
  return resolver;
}

gchar *
gst_apixo_net_proxy_lookup (GProxyResolver *resolver, const gchar *uri)
{
  gchar **found = g_proxy_resolver_lookup (resolver, uri, NULL, NULL);
  gchar *via = NULL;

  if (found != NULL && found[0] != NULL &&
      g_strcmp0 (found[0], "direct://") != 0)
    via = g_strdup (found[0]);
  g_strfreev (found);
  return via;
}

gchar *
gst_apixo_net_proxy_for (const gchar *proxy, const gchar *uri)
{
  GProxyResolver *resolver;
  gchar *via;

  if (proxy == NULL || *proxy == '\0')
    return NULL;
  resolver = gst_apixo_net_proxy_resolver_new (proxy);
  via = gst_apixo_net_proxy_lookup (resolver, uri);
  g_object_unref (resolver);
  return via;
}

const gchar *
gst_apixo_net_class_name (GstApixoNetClass net_class)
{
  switch (net_class) {
    case GST_APIXO_NET_CLASS_PUBLIC:
      return "public";
    case GST_APIXO_NET_CLASS_LOOPBACK:
      return "loopback";
    case GST_APIXO_NET_CLASS_LINK_LOCAL:
      return "link-local";
    case GST_APIXO_NET_CLASS_PRIVATE:
      return "private";
    case GST_APIXO_NET_CLASS_UNIQUE_LOCAL:
      return "unique-local";
    default:
      return "reserved";
  }
}

gboolean
gst_apixo_net_class_allowed (GstApixoNetClass net_class, const gchar *base_url)
{
  GUri *uri;
  GstApixoNetClass base_class;
  gboolean same;

  if (net_class == GST_APIXO_NET_CLASS_PUBLIC)
    return TRUE;
  if (net_class == GST_APIXO_NET_CLASS_LINK_LOCAL ||
      net_class == GST_APIXO_NET_CLASS_RESERVED || base_url == NULL)
    return FALSE;
  uri = g_uri_parse (base_url, SOUP_HTTP_URI_FLAGS, NULL);
  same = uri != NULL &&
         gst_apixo_net_class_of_host (g_uri_get_host (uri), &base_class) &&
         base_class == net_class;
  g_clear_pointer (&uri, g_uri_unref);
  return same;
}

#define SECRET_MIN_LENGTH 8

const gchar *
gst_apixo_net_secret_to_find (const gchar *key)
{
  return key != NULL && strlen (key) >= SECRET_MIN_LENGTH ? key : NULL;
}

gboolean
gst_apixo_net_holds_secret (const gchar *text, const gchar *secret)
{
  gchar *plain;
  gboolean holds;

  secret = gst_apixo_net_secret_to_find (secret);
  if (text == NULL || secret == NULL)
    return FALSE;
  if (strstr (text, secret) != NULL)
    return TRUE;
  plain = g_uri_unescape_string (text, NULL);
  holds = plain != NULL && strstr (plain, secret) != NULL;
  g_free (plain);
  return holds;
}

gchar *
gst_apixo_redact (const gchar *text, const gchar *secret)
{
  GString *out;
  const gchar *p, *hit;
  gsize len;

  if (text == NULL)
    return NULL;
  if (secret == NULL || *secret == '\0')
    return g_strdup (text);
  len = strlen (secret);
  out = g_string_new (NULL);
  for (p = text; (hit = strstr (p, secret)) != NULL; p = hit + len) {
    g_string_append_len (out, p, hit - p);
    g_string_append (out, "***");
  }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

/* The next "http://" or "https://" in @p (any case), or NULL; its length
 * up to the authority goes to *@scheme_len. */
static const gchar *
find_url (const gchar *p, gsize *scheme_len)
{
  for (; *p != '\0'; p++) {
    if (g_ascii_strncasecmp (p, "http://", 7) == 0) {
      *scheme_len = 7;
      return p;
    }
    if (g_ascii_strncasecmp (p, "https://", 8) == 0) {
      *scheme_len = 8;
      return p;
    }
  }
  return NULL;
}

/* The length of the URL at @url as text writes one: up to white space, a
 * quote or an angle bracket, without trailing punctuation (a ')' only when
 * the URL opened none). */
static gsize
url_length (const gchar *url)
{
  gsize len = strcspn (url, " \t\r\n\v\f\"'<>`");
  gint open = 0;

  for (gsize i = 0; i < len; i++)
    open += url[i] == '(' ? 1 : url[i] == ')' ? -1 : 0;
  while (len > 0 && (strchr (".,;:!", url[len - 1]) != NULL ||
                     (url[len - 1] == ')' && open < 0))) {
    if (url[len - 1] == ')')
      open++;
    len--;
  }
  return len;
}

/* Appends the URL @url (@len bytes, @scheme_len of them "http(s)://") to
 * @out as its scheme, host and port: user info as "***@", anything after
 * the authority (a signed path, a token, a query) as "/" then three
 * asterisks. */
static void
append_url_redacted (GString *out, const gchar *url, gsize len,
                     gsize scheme_len)
{
  const gchar *host = url + scheme_len, *end = url + len;
  const gchar *authority_end = host;

  while (authority_end < end && strchr ("/?#", *authority_end) == NULL) {
    if (*authority_end == '@')
      host = authority_end + 1;
    authority_end++;
  }
  g_string_append_len (out, url, scheme_len);
  if (host != url + scheme_len)
    g_string_append (out, "***@");
  g_string_append_len (out, host, authority_end - host);
  if (end - authority_end > 1 || (end > authority_end && *authority_end != '/'))
    g_string_append (out, "/***");
  else if (end > authority_end)
    g_string_append_c (out, '/');
}

gchar *
gst_apixo_redact_url_secrets (const gchar *text)
{
  GString *out;
  const gchar *p, *url;
  gsize scheme_len, len;

  if (text == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (p = text; (url = find_url (p, &scheme_len)) != NULL; p = url + len) {
    g_string_append_len (out, p, url - p);
    len = url_length (url);
    if (len <= scheme_len) {
      len = scheme_len;
      g_string_append_len (out, url, len);
      continue;
    }
    append_url_redacted (out, url, len, scheme_len);
  }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

/* ---- the guard of one message (worker thread) ---------------------------- */

static void
guard_free (Guard *guard)
{
  g_free (guard->base_url);
  if (guard->secret != NULL)
    memset (guard->secret, 0, strlen (guard->secret));
  g_free (guard->secret);
  g_clear_object (&guard->cancellable);
  g_clear_error (&guard->error);
  g_free (guard);
}

/* NULL if @uri may be fetched as far as its text tells, else why not. */
static GError *
check_uri (Guard *guard, GUri *uri)
{
  gchar *text = g_uri_to_string (uri);
  const gchar *host = g_uri_get_host (uri);
  GstApixoNetClass net_class;
  GError *error = NULL;

  if (gst_apixo_net_holds_secret (text, guard->secret))
    error = g_error_new_literal (
        GST_APIXO_NET_POLICY_ERROR, GST_APIXO_NET_POLICY_ERROR_SECRET,
        "the result URL or a redirect of it holds the API key: not fetched");
  else if (gst_apixo_net_class_of_host (host, &net_class) &&
           !gst_apixo_net_class_allowed (net_class, guard->base_url))
    error = g_error_new (
        GST_APIXO_NET_POLICY_ERROR, GST_APIXO_NET_POLICY_ERROR_BLOCKED,
        "%s is a %s address", host, gst_apixo_net_class_name (net_class));
  g_free (text);
  return error;
}

static void
guard_stop (Guard *guard, GError *error)
{
  GST_WARNING ("refused: %s", error->message);
  if (guard->error == NULL)
    guard->error = error;
  else
    g_error_free (error);
  if (guard->cancellable != NULL)
    g_cancellable_cancel (guard->cancellable);
}

/* A redirect: the new URL, before it is sent (a literal address, the
 * key); its connection is checked when it is made. */
static void
on_restarted (SoupMessage *msg, Guard *guard)
{
  GError *error = check_uri (guard, soup_message_get_uri (msg));

  if (error != NULL)
    guard_stop (guard, error);
}

/* Through a proxy, the socket connects to the proxy: then the destination
 * is checked as written (the proxy resolves its name). */
static GError *
check_address (Guard *guard, GSocketAddress *address)
{
  GInetAddress *inet;
  GstApixoNetClass net_class;
  gchar *shown;
  GError *error;

  if (G_IS_PROXY_ADDRESS (address)) {
    const gchar *host =
        g_proxy_address_get_destination_hostname (G_PROXY_ADDRESS (address));

    if (!gst_apixo_net_class_of_host (host, &net_class) ||
        gst_apixo_net_class_allowed (net_class, guard->base_url))
      return NULL;
    return g_error_new (
        GST_APIXO_NET_POLICY_ERROR, GST_APIXO_NET_POLICY_ERROR_BLOCKED,
        "%s is a %s address", host, gst_apixo_net_class_name (net_class));
  }
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL; /* a Unix socket: the session's own choice */
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  net_class = gst_apixo_net_class_of_address (inet);
  if (gst_apixo_net_class_allowed (net_class, guard->base_url))
    return NULL;
  shown = g_inet_address_to_string (inet);
  error = g_error_new (GST_APIXO_NET_POLICY_ERROR,
                       GST_APIXO_NET_POLICY_ERROR_BLOCKED,
                       "its host resolves to %s, a %s address", shown,
                       gst_apixo_net_class_name (net_class));
  g_free (shown);
  return error;
}

static void
on_network_event (SoupMessage *msg, GSocketClientEvent event,
                  GIOStream *connection, Guard *guard)
{
  GSocketAddress *address;
  GError *error;

  if (event != G_SOCKET_CLIENT_CONNECTING ||
      !G_IS_SOCKET_CONNECTION (connection))
    return;
  /* During CONNECTING, the address about to be connected to (GLib >= 2.40
   * caches it for this event). */
  address = g_socket_connection_get_remote_address (
      G_SOCKET_CONNECTION (connection), NULL);
  if (address == NULL) {
    error = g_error_new_literal (GST_APIXO_NET_POLICY_ERROR,
                                 GST_APIXO_NET_POLICY_ERROR_BLOCKED,
                                 "the address it connects to is unknown");
  } else {
    error = check_address (guard, address);
    g_object_unref (address);
  }
  if (error != NULL)
    guard_stop (guard, error);
}

gboolean
gst_apixo_net_policy_watch (SoupMessage *msg, const gchar *base_url,
                            const gchar *secret, GCancellable *cancellable,
                            GError **error)
{
  Guard *guard = g_new0 (Guard, 1);
  GError *refused;

  net_policy_init_debug ();
  guard->base_url = g_strdup (base_url);
  guard->secret = g_strdup (secret);
  guard->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  refused = check_uri (guard, soup_message_get_uri (msg));
  if (refused != NULL) {
    GST_WARNING ("refused: %s", refused->message);
    g_propagate_error (error, refused);
    guard_free (guard);
    return FALSE;
  }
  /* (A message sent again, e.g. a resumed download, gets a new guard.) */
  g_object_set_data_full (G_OBJECT (msg), GUARD_KEY, guard,
                          (GDestroyNotify)guard_free);
  g_signal_connect (msg, "restarted", G_CALLBACK (on_restarted), guard);
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), guard);
  return TRUE;
}

GError *
gst_apixo_net_policy_take_error (SoupMessage *msg)
{
  Guard *guard;

  if (msg == NULL)
    return NULL;
  guard = g_object_get_data (G_OBJECT (msg), GUARD_KEY);
  if (guard == NULL)
    return NULL;
  return g_steal_pointer (&guard->error);
}

GError *
gst_apixo_net_policy_error_to_gst (const GError *error, const gchar **reason)
{
  if (error->domain != GST_APIXO_NET_POLICY_ERROR)
    return g_error_copy (error);
  if (error->code == GST_APIXO_NET_POLICY_ERROR_SECRET) {
    *reason = GST_APIXO_REASON_MALFORMED;
    return g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                        "Refused the result download: %s", error->message);
  }
  *reason = GST_APIXO_REASON_BLOCKED_ADDRESS;
  return g_error_new (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "Refused to fetch the result: %s; result URLs and their redirects may "
      "not reach loopback, link-local, private or unique-local addresses, "
      "except the class of base-url's own host given as an address (a "
      "service on this host or network)",
      error->message);
}
