/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_NET_POLICY_H__
#define __GST_APIXO_NET_POLICY_H__

#include <gst/gst.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Network trust: which addresses a URL that came from the network (a
 * result URL, a redirect of it) may reach, and the API key kept out of
 * what the network echoes back.
 *
 * An address belongs to one class.  Public addresses may always be
 * fetched; the class of base-url's own host too (the simulator or a test
 * on loopback, a service on the local network); link-local (cloud metadata
 * services live there) and every other class never.
 */
typedef enum {
  GST_APIXO_NET_CLASS_PUBLIC,
  GST_APIXO_NET_CLASS_LOOPBACK,     /* 127/8, ::1, 0/8, :: */
  GST_APIXO_NET_CLASS_LINK_LOCAL,   /* 169.254/16, fe80::/10 */
  GST_APIXO_NET_CLASS_PRIVATE,      /* 10/8, 172.16/12, 192.168/16, 100.64/10 */
  GST_APIXO_NET_CLASS_UNIQUE_LOCAL, /* fc00::/7, fec0::/10 */
  GST_APIXO_NET_CLASS_RESERVED,     /* multicast, broadcast, 240/4 */
} GstApixoNetClass;

#define GST_APIXO_NET_POLICY_ERROR (gst_apixo_net_policy_error_quark ())
GQuark gst_apixo_net_policy_error_quark (void);

typedef enum {
  /* a result URL or a redirect points into a refused address class */
  GST_APIXO_NET_POLICY_ERROR_BLOCKED,
  /* a redirect names a URL holding the API key */
  GST_APIXO_NET_POLICY_ERROR_SECRET,
} GstApixoNetPolicyError;

/* The class of @addr (IPv4-mapped and NAT64 IPv6 addresses: of the IPv4
 * address inside). */
GstApixoNetClass gst_apixo_net_class_of_address (GInetAddress *addr);

/* The class of @host as written in a URL: a literal address's, loopback
 * for "localhost" and names under ".localhost"; FALSE for any other name
 * (known only once resolved). */
gboolean gst_apixo_net_class_of_host (const gchar *host,
                                      GstApixoNetClass *net_class);

/* The resolver of the proxy setting @proxy (a URI: an http:// or socks
 * proxy, credentials or not), bypassed for the hosts of $no_proxy (or
 * $NO_PROXY) like souphttpsrc's.  Lookups are plain functions (no I/O). */
GProxyResolver *gst_apixo_net_proxy_resolver_new (const gchar *proxy);

/* The first proxy @resolver gives for @uri: a new string, or NULL when it
 * goes direct.  Blocks if @resolver does I/O: give it a
 * GSimpleProxyResolver. */
gchar *gst_apixo_net_proxy_lookup (GProxyResolver *resolver, const gchar *uri);

/* The proxy a request for @uri goes through with the proxy setting @proxy
 * (NULL or "": none, the system's settings are not looked at): a new
 * string, or NULL when it goes direct. */
gchar *gst_apixo_net_proxy_for (const gchar *proxy, const gchar *uri);

/* "loopback", "link-local", ... for messages.  Static string. */
const gchar *gst_apixo_net_class_name (GstApixoNetClass net_class);

/* TRUE if a URL of @base_url's class may reach an address of @net_class:
 * public, or @base_url's host given as a literal address or localhost in
 * that class (never link-local or reserved). */
gboolean gst_apixo_net_class_allowed (GstApixoNetClass net_class,
                                      const gchar *base_url);

/* Replaces every occurrence of @secret in @text by "***" (a copy; NULL for
 * NULL).  Used on any text from the network before it reaches a message,
 * a tag, an error or a log. */
gchar *gst_apixo_redact (const gchar *text, const gchar *secret);

/* @text (a copy; NULL for NULL) with every http:// and https:// URL in it
 * cut to its scheme, host and port: "https://host/" then three asterisks,
 * user info as "***@".  What a URL carries past its host (a signed path or
 * query, a webhook's token, a published input's token) is a secret, in
 * what a server echoes of it and in what we log. */
gchar *gst_apixo_redact_url_secrets (const gchar *text);

/* @key if it is long enough to be looked for in what servers send, else
 * NULL: a key of fewer than 8 characters (a test's "k") would match
 * ordinary text, every task id or "network", and hides nothing anyway. */
const gchar *gst_apixo_net_secret_to_find (const gchar *key);

/* TRUE if @text holds @secret (see secret_to_find()) as such or percent-encoded (a URL). */
gboolean gst_apixo_net_holds_secret (const gchar *text, const gchar *secret);

/* Worker thread.  Guards @msg, a request for a URL from the network: its
 * URL and every redirect's (a literal address; one holding @secret), and
 * the address of every connection it makes (names resolved, so DNS
 * rebinding too; through a proxy, the destination's literal address),
 * before any byte of the request is sent.  A refused step cancels
 * @cancellable (the send fails with G_IO_ERROR_CANCELLED) and keeps the
 * reason for take_error().  FALSE + @error (GST_APIXO_NET_POLICY_ERROR)
 * when @msg's own URL is refused already: do not send it. */
gboolean gst_apixo_net_policy_watch (SoupMessage *msg, const gchar *base_url,
                                     const gchar *secret,
                                     GCancellable *cancellable, GError **error);

/* Worker thread.  Why watch() stopped @msg (GST_APIXO_NET_POLICY_ERROR),
 * or NULL: the caller's own cancellation, or any other failure. */
GError *gst_apixo_net_policy_take_error (SoupMessage *msg);

/* A GST_APIXO_NET_POLICY_ERROR as the element posts it: a
 * GST_RESOURCE_ERROR (NOT_AUTHORIZED for a blocked address, READ for a
 * secret) and its apixo-error reason (blocked-address, malformed; static).
 * Any other error: a copy, and *@reason left alone. */
GError *gst_apixo_net_policy_error_to_gst (const GError *error,
                                           const gchar **reason);

G_END_DECLS

#endif /* __GST_APIXO_NET_POLICY_H__ */
