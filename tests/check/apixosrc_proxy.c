/* gst-apixo: generations through an HTTP proxy (the proxy property, and
 * $http_proxy / $no_proxy like souphttpsrc).
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "apixotest.h"

APIXO_TEST_FIXTURE (0.01, "proxy")

/* The key @SIM@ gives the element. */
#define TEST_KEY "test-key"
#define MAX_HEAD (16 * 1024)
#define RELAY_BUF (16 * 1024)

/* ---- a forward proxy ------------------------------------------------------ */

/*
 * An HTTP/1.1 forward proxy on 127.0.0.1, one thread per client connection
 * (GThreadedSocketService), one request per connection:
 * - "CONNECT host:port": a tunnel, both ways, until either end closes;
 * - "METHOD http://host:port/path": the request goes on with the path
 *   alone and "Connection: close", and the answer comes back until the
 *   server closes.
 * - a SOCKS5 CONNECT: a tunnel, noted as the head
 *   "SOCKS5 CONNECT host:port".
 * It keeps every request head it read, and notes whether the key passed
 * through it in the clear (in a head or in the bytes it relayed).
 * With @credentials ("user:password"), a request without them in
 * Proxy-Authorization (Basic, or Digest with @digest) gets 407 Proxy
 * Authentication Required, and
 * SOCKS5 asks for them (RFC 1929) and closes on wrong ones.
 */
typedef struct {
  GSocketService *service;
  GMainContext *context; /* accepts on a thread of its own */
  GMainLoop *loop;
  GThread *thread;
  guint port;
  gchar *url;
  gchar *credentials; /* "user:password", or NULL: none asked */
  GMutex lock;
  GPtrArray *heads; /* (gchar *) in arrival order */
  gboolean saw_key;
  GCond heads_cond; /* a head arrived */
  gboolean silent;  /* reads heads, answers nothing */
  gboolean digest;  /* asks for Digest (RFC 7616, MD5, qop=auth), not Basic */
  GPtrArray *open;  /* GSocketConnection: both ends of every relay */
  gboolean stopping;
} TestProxy;

typedef struct {
  TestProxy *proxy;
  GSocketConnection *from, *to;
} Relay;

static void
proxy_note_key (TestProxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  proxy->saw_key = TRUE;
  g_mutex_unlock (&proxy->lock);
}

/* Copies @r->from to @r->to until either ends, watching for the key across
 * reads; then shuts both down, which ends the other direction too. */
static gpointer
relay_run (gpointer data)
{
  Relay *r = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (r->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (r->to));
  const gsize keep = strlen (TEST_KEY) - 1;
  guint8 *buf = g_malloc (keep + RELAY_BUF);
  gsize carried = 0, total;
  gssize n;

  while ((n = g_input_stream_read (in, buf + carried, RELAY_BUF, NULL, NULL)) >
         0) {
    total = carried + n;
    if (memmem (buf, total, TEST_KEY, strlen (TEST_KEY)) != NULL)
      proxy_note_key (r->proxy);
    if (!g_output_stream_write_all (out, buf + carried, n, NULL, NULL, NULL))
      break;
    carried = MIN (keep, total);
    memmove (buf, buf + total - carried, carried);
  }
  g_socket_shutdown (g_socket_connection_get_socket (r->from), TRUE, TRUE,
                     NULL);
  g_socket_shutdown (g_socket_connection_get_socket (r->to), TRUE, TRUE, NULL);
  g_free (buf);
  return NULL;
}

/* Both directions between @client and @server, until they end. */
static void
relay_both (TestProxy *proxy, GSocketConnection *client,
            GSocketConnection *server)
{
  Relay up = { proxy, client, server }, down = { proxy, server, client };
  GThread *thread = g_thread_new ("proxy-up", relay_run, &up);

  relay_run (&down);
  g_thread_join (thread);
}

/* The request head (up to the empty line) after its @first byte, byte by
 * byte so that nothing after it is consumed; NULL if the client went away
 * first. */
static gchar *
read_head (GInputStream *in, gchar first)
{
  GString *head = g_string_new (NULL);
  gchar c;

  g_string_append_c (head, first);
  while (!g_str_has_suffix (head->str, "\r\n\r\n")) {
    if (head->len >= MAX_HEAD ||
        g_input_stream_read (in, &c, 1, NULL, NULL) != 1)
      return g_string_free (head, TRUE), NULL;
    g_string_append_c (head, c);
  }
  return g_string_free (head, FALSE);
}

/* Notes @conn as open (stop() shuts it down); FALSE: stopping already. */
static gboolean
proxy_track (TestProxy *proxy, GSocketConnection *conn)
{
  gboolean ok;

  g_mutex_lock (&proxy->lock);
  ok = !proxy->stopping;
  if (ok)
    g_ptr_array_add (proxy->open, g_object_ref (conn));
  g_mutex_unlock (&proxy->lock);
  return ok;
}

static void
proxy_untrack (TestProxy *proxy, GSocketConnection *conn)
{
  g_mutex_lock (&proxy->lock);
  g_ptr_array_remove (proxy->open, conn);
  g_mutex_unlock (&proxy->lock);
}

static GSocketConnection *
connect_upstream (const gchar *host_and_port, guint16 default_port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, host_and_port, default_port,
                                          NULL, NULL);
  g_object_unref (client);
  return conn;
}

static void
write_text (GSocketConnection *conn, const gchar *text)
{
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             text, strlen (text), NULL, NULL, NULL);
}

/* "METHOD http://host:port/path?q HTTP/1.1" + headers: the head to send to
 * the server (origin form, Connection: close), and its "host:port". */
static gchar *
origin_head (gchar **lines, gchar **authority)
{
  gchar **words = g_strsplit (lines[0], " ", 3);
  GUri *uri = g_strv_length (words) == 3
                  ? g_uri_parse (words[1], G_URI_FLAGS_ENCODED, NULL)
                  : NULL;
  GString *out;
  gchar *path;

  if (uri == NULL || g_uri_get_host (uri) == NULL) {
    g_strfreev (words);
    return NULL;
  }
  *authority =
      g_strdup_printf ("%s:%d", g_uri_get_host (uri),
                       g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 80);
  path = g_uri_join (G_URI_FLAGS_ENCODED, NULL, NULL, NULL, -1,
                     g_uri_get_path (uri), g_uri_get_query (uri), NULL);
  out = g_string_new (NULL);
  g_string_append_printf (out, "%s %s %s\r\n", words[0],
                          *path != '\0' ? path : "/", words[2]);
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    if (g_ascii_strncasecmp (lines[i], "Connection:", 11) != 0 &&
        g_ascii_strncasecmp (lines[i], "Proxy-Connection:", 17) != 0 &&
        g_ascii_strncasecmp (lines[i], "Proxy-Authorization:", 20) != 0 &&
        g_ascii_strncasecmp (lines[i], "Keep-Alive:", 11) != 0)
      g_string_append_printf (out, "%s\r\n", lines[i]);
  }
  g_string_append (out, "Connection: close\r\n\r\n");
  g_free (path);
  g_uri_unref (uri);
  g_strfreev (words);
  return g_string_free (out, FALSE);
}

#define DIGEST_REALM "apixo-test"
#define DIGEST_NONCE "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

/* The value of @key in the Digest header parameters @params ("k=v" or
 * k="v", comma-separated), or NULL. */
static gchar *
digest_param (const gchar *params, const gchar *key)
{
  gsize len = strlen (key);

  for (const gchar *p = params; (p = strstr (p, key)) != NULL; p += len) {
    const gchar *v = p + len + 1;

    if ((p != params && p[-1] != ' ' && p[-1] != ',') || p[len] != '=')
      continue;
    if (*v == '"')
      return g_strndup (v + 1, strcspn (v + 1, "\""));
    return g_strndup (v, strcspn (v, ", "));
  }
  return NULL;
}

static gchar *
md5_hex (const gchar *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* Whether the Digest answer @params to @method is right for @proxy's
 * credentials (RFC 7616 with MD5 and qop=auth, as asked). */
static gboolean
digest_valid (TestProxy *proxy, const gchar *method, const gchar *params)
{
  gchar *user = digest_param (params, "username"),
        *realm = digest_param (params, "realm"),
        *nonce = digest_param (params, "nonce"),
        *uri = digest_param (params, "uri"),
        *response = digest_param (params, "response"),
        *qop = digest_param (params, "qop"), *nc = digest_param (params, "nc"),
        *cnonce = digest_param (params, "cnonce");
  const gchar *password = strchr (proxy->credentials, ':') + 1;
  gboolean ok = FALSE;

  if (user && realm && nonce && uri && response && qop && nc && cnonce &&
      g_str_equal (realm, DIGEST_REALM) && g_str_equal (nonce, DIGEST_NONCE) &&
      g_str_equal (qop, "auth") &&
      strlen (user) == (gsize)(password - 1 - proxy->credentials) &&
      strncmp (user, proxy->credentials, strlen (user)) == 0) {
    gchar *a1 = g_strdup_printf ("%s:%s:%s", user, realm, password);
    gchar *a2 = g_strdup_printf ("%s:%s", method, uri);
    gchar *ha1 = md5_hex (a1), *ha2 = md5_hex (a2);
    gchar *all =
        g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
    gchar *expected = md5_hex (all);

    ok = g_str_equal (expected, response);
    g_free (expected);
    g_free (all);
    g_free (ha2);
    g_free (ha1);
    g_free (a2);
    g_free (a1);
  }
  g_free (user);
  g_free (realm);
  g_free (nonce);
  g_free (uri);
  g_free (response);
  g_free (qop);
  g_free (nc);
  g_free (cnonce);
  return ok;
}

/* Whether the Proxy-Authorization @value answers @proxy's challenge. */
static gboolean
proxy_answer_valid (TestProxy *proxy, const gchar *method, const gchar *value)
{
  gchar *basic;
  gboolean ok;

  if (proxy->digest)
    return g_str_has_prefix (value, "Digest ") &&
           digest_valid (proxy, method, value + 7);
  basic = g_base64_encode ((const guchar *)proxy->credentials,
                           strlen (proxy->credentials));
  ok = g_str_has_prefix (value, "Basic ") && g_str_equal (value + 6, basic);
  g_free (basic);
  return ok;
}

/* Whether @lines (a head) carry the proxy's credentials, if it has any. */
static gboolean
proxy_authorized (TestProxy *proxy, gchar **lines)
{
  gchar *method;
  gboolean found = FALSE;

  if (proxy->credentials == NULL)
    return TRUE;
  method = g_strndup (lines[0], strcspn (lines[0], " "));
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    if (g_ascii_strncasecmp (lines[i], "Proxy-Authorization: ", 21) == 0 &&
        proxy_answer_valid (proxy, method, lines[i] + 21))
      found = TRUE;
  }
  g_free (method);
  return found;
}

/* 407 with the challenge @proxy asks for. */
static void
proxy_challenge (TestProxy *proxy, GSocketConnection *client)
{
  write_text (client, proxy->digest
                          ? "HTTP/1.1 407 Proxy Authentication Required\r\n"
                            "Proxy-Authenticate: Digest realm=\"" DIGEST_REALM
                            "\", nonce=\"" DIGEST_NONCE "\", qop=\"auth\", "
                            "algorithm=MD5\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n"
                          : "HTTP/1.1 407 Proxy Authentication Required\r\n"
                            "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

static void
proxy_serve (TestProxy *proxy, GSocketConnection *client, const gchar *head)
{
  gchar **lines = g_strsplit (head, "\r\n", -1);
  GSocketConnection *server = NULL;
  gchar *authority = NULL, *forward = NULL;

  if (proxy->silent) {
    /* until the client or stop() ends the connection */
    while (g_input_stream_skip (
               g_io_stream_get_input_stream (G_IO_STREAM (client)), 4096, NULL,
               NULL) > 0)
      ;
  } else if (!proxy_authorized (proxy, lines)) {
    proxy_challenge (proxy, client);
  } else if (g_str_has_prefix (head, "CONNECT ")) {
    gchar **words = g_strsplit (lines[0], " ", 3);

    server = connect_upstream (words[1], 443);
    write_text (client, server != NULL
                            ? "HTTP/1.1 200 Connection established\r\n\r\n"
                            : "HTTP/1.1 502 Bad Gateway\r\n"
                              "Content-Length: 0\r\n\r\n");
    g_strfreev (words);
  } else if ((forward = origin_head (lines, &authority)) != NULL &&
             (server = connect_upstream (authority, 80)) != NULL) {
    write_text (server, forward);
  } else {
    write_text (client, "HTTP/1.1 502 Bad Gateway\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n");
  }
  if (server != NULL) {
    if (proxy_track (proxy, server)) {
      relay_both (proxy, client, server);
      proxy_untrack (proxy, server);
    }
    g_object_unref (server);
  }
  g_free (forward);
  g_free (authority);
  g_strfreev (lines);
}

static void
proxy_note_head (TestProxy *proxy, const gchar *head)
{
  g_mutex_lock (&proxy->lock);
  g_ptr_array_add (proxy->heads, g_strdup (head));
  if (strstr (head, TEST_KEY) != NULL)
    proxy->saw_key = TRUE;
  g_cond_broadcast (&proxy->heads_cond);
  g_mutex_unlock (&proxy->lock);
}

/* Reads exactly @n bytes. */
static gboolean
read_exactly (GInputStream *in, guint8 *buf, gsize n)
{
  gsize got = 0;

  return g_input_stream_read_all (in, buf, n, &got, NULL, NULL) && got == n;
}

/* The SOCKS5 destination after "VER CMD RSV" (RFC 1928): "host:port". */
static gchar *
socks5_destination (GInputStream *in)
{
  guint8 atyp, buf[256], port[2];
  gchar *host = NULL, *dest;

  if (!read_exactly (in, &atyp, 1))
    return NULL;
  if (atyp == 1 && read_exactly (in, buf, 4)) {
    host = g_strdup_printf ("%u.%u.%u.%u", buf[0], buf[1], buf[2], buf[3]);
  } else if (atyp == 3 && read_exactly (in, buf, 1)) {
    guint len = buf[0];

    if (read_exactly (in, buf, len))
      host = g_strndup ((const gchar *)buf, len);
  }
  if (host == NULL || !read_exactly (in, port, 2)) {
    g_free (host);
    return NULL;
  }
  dest = g_strdup_printf ("%s:%u", host, (port[0] << 8) | port[1]);
  g_free (host);
  return dest;
}

/* RFC 1929: the client's user name and password, once it offered that
 * method (2); TRUE if they are @proxy's credentials.  Answers either way. */
static gboolean
socks5_check_password (TestProxy *proxy, GInputStream *in, GOutputStream *out)
{
  static const guint8 password_method[] = { 5, 2 };
  guint8 head[2], user[256], len, password[256], status[2] = { 1, 1 };
  gchar *given = NULL;

  if (!g_output_stream_write_all (out, password_method, 2, NULL, NULL, NULL) ||
      !read_exactly (in, head, 2) || head[0] != 1 ||
      !read_exactly (in, user, head[1]) || !read_exactly (in, &len, 1) ||
      !read_exactly (in, password, len))
    return FALSE;
  given = g_strdup_printf ("%.*s:%.*s", head[1], user, len, password);
  status[1] = g_str_equal (given, proxy->credentials) ? 0 : 1;
  g_free (given);
  return g_output_stream_write_all (out, status, 2, NULL, NULL, NULL) &&
         status[1] == 0;
}

/* The SOCKS5 greeting after its first byte (5): with @proxy's credentials
 * set, only the user name and password method, checked; else none. */
static gboolean
socks5_greet (TestProxy *proxy, GInputStream *in, GOutputStream *out)
{
  static const guint8 no_auth[] = { 5, 0 }, refused[] = { 5, 0xff };
  guint8 methods[256], n;
  guint8 wanted = proxy->credentials ? 2 : 0;

  if (!read_exactly (in, &n, 1) || !read_exactly (in, methods, n))
    return FALSE;
  if (memchr (methods, wanted, n) == NULL) {
    g_output_stream_write_all (out, refused, 2, NULL, NULL, NULL);
    return FALSE;
  }
  if (wanted == 2)
    return socks5_check_password (proxy, in, out);
  return g_output_stream_write_all (out, no_auth, 2, NULL, NULL, NULL);
}

/* A SOCKS5 CONNECT, its first byte (5) read: noted as the head
 * "SOCKS5 CONNECT host:port" (once past the credentials, if asked), then
 * relayed. */
static void
socks5_serve (TestProxy *proxy, GSocketConnection *client)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (client));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (client));
  static const guint8 granted[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  guint8 request[3];
  GSocketConnection *server;
  gchar *dest, *head;

  if (!socks5_greet (proxy, in, out) || !read_exactly (in, request, 3) ||
      request[0] != 5 || request[1] != 1 ||
      (dest = socks5_destination (in)) == NULL)
    return;
  head = g_strdup_printf ("SOCKS5 CONNECT %s\r\n\r\n", dest);
  proxy_note_head (proxy, head);
  server = connect_upstream (dest, 80);
  if (server != NULL &&
      g_output_stream_write_all (out, granted, sizeof granted, NULL, NULL,
                                 NULL) &&
      proxy_track (proxy, server)) {
    relay_both (proxy, client, server);
    proxy_untrack (proxy, server);
  }
  g_clear_object (&server);
  g_free (head);
  g_free (dest);
}

static gboolean
proxy_run (GThreadedSocketService *service, GSocketConnection *client,
           GObject *source, gpointer data)
{
  TestProxy *proxy = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (client));
  gchar first, *head;

  if (!proxy_track (proxy, client))
    return TRUE;
  if (g_input_stream_read (in, &first, 1, NULL, NULL) == 1) {
    if (first == 5) {
      socks5_serve (proxy, client);
    } else if ((head = read_head (in, first)) != NULL) {
      proxy_note_head (proxy, head);
      proxy_serve (proxy, client, head);
      g_free (head);
    }
  }
  proxy_untrack (proxy, client);
  return TRUE;
}

/* The accepting thread: the service's accept source is attached to the
 * thread-default context of the thread that starts it. */
static gpointer
proxy_accept_thread (gpointer data)
{
  TestProxy *proxy = data;

  g_main_context_push_thread_default (proxy->context);
  g_socket_service_start (proxy->service);
  g_main_loop_run (proxy->loop);
  g_socket_service_stop (proxy->service);
  g_main_context_pop_thread_default (proxy->context);
  return NULL;
}

static TestProxy *
test_proxy_start (const gchar *credentials)
{
  TestProxy *proxy = g_new0 (TestProxy, 1);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound = NULL;
  GError *error = NULL;

  g_mutex_init (&proxy->lock);
  g_cond_init (&proxy->heads_cond);
  proxy->heads = g_ptr_array_new_with_free_func (g_free);
  proxy->open = g_ptr_array_new_with_free_func (g_object_unref);
  proxy->credentials = g_strdup (credentials);
  /* inactive until started on the accepting thread */
  proxy->service = g_object_new (G_TYPE_THREADED_SOCKET_SERVICE, "max-threads",
                                 16, "active", FALSE, NULL);
  fail_unless (g_socket_listener_add_address (
                   G_SOCKET_LISTENER (proxy->service), address,
                   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                   &error),
               "%s", error ? error->message : "");
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  g_signal_connect (proxy->service, "run", G_CALLBACK (proxy_run), proxy);
  proxy->context = g_main_context_new ();
  proxy->loop = g_main_loop_new (proxy->context, FALSE);
  proxy->thread = g_thread_new ("proxy-accept", proxy_accept_thread, proxy);
  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (loopback);
  return proxy;
}

static gboolean
proxy_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Ends every relay (the element's session keeps idle tunnels open), then
 * the accepting thread, then the service, which waits for its threads. */
static void
test_proxy_stop (TestProxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  proxy->stopping = TRUE;
  for (guint i = 0; i < proxy->open->len; i++)
    g_socket_shutdown (
        g_socket_connection_get_socket (g_ptr_array_index (proxy->open, i)),
        TRUE, TRUE, NULL);
  g_mutex_unlock (&proxy->lock);
  g_main_context_invoke (proxy->context, proxy_quit, proxy->loop);
  g_thread_join (proxy->thread);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_object_unref (proxy->service);
  g_main_loop_unref (proxy->loop);
  g_main_context_unref (proxy->context);
  g_ptr_array_unref (proxy->heads);
  g_ptr_array_unref (proxy->open);
  g_mutex_clear (&proxy->lock);
  g_cond_clear (&proxy->heads_cond);
  g_free (proxy->url);
  g_free (proxy->credentials);
  g_free (proxy);
}

/* Request heads whose first line starts with @method and holds @part. */
static guint
proxy_count (TestProxy *proxy, const gchar *method, const gchar *part)
{
  guint count = 0;

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->heads->len; i++) {
    const gchar *head = g_ptr_array_index (proxy->heads, i);
    gchar *line = g_strndup (head, strcspn (head, "\r"));

    if (g_str_has_prefix (line, method) && strstr (line, part) != NULL)
      count++;
    g_free (line);
  }
  g_mutex_unlock (&proxy->lock);
  return count;
}

static gboolean
proxy_saw_key (TestProxy *proxy)
{
  gboolean saw;

  g_mutex_lock (&proxy->lock);
  saw = proxy->saw_key;
  g_mutex_unlock (&proxy->lock);
  return saw;
}

/* Waits (up to @seconds) until the proxy has read @n heads. */
static gboolean
proxy_wait_heads (TestProxy *proxy, guint n, gdouble seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64)(seconds * G_USEC_PER_SEC);
  gboolean ok = TRUE;

  g_mutex_lock (&proxy->lock);
  while (ok && proxy->heads->len < n)
    ok = g_cond_wait_until (&proxy->heads_cond, &proxy->lock, end);
  ok = proxy->heads->len >= n;
  g_mutex_unlock (&proxy->lock);
  return ok;
}

/* ---- the tests ------------------------------------------------------------ */

/* Every head the proxy read, for failure messages. */
static gchar *
proxy_heads_text (TestProxy *proxy)
{
  GString *out = g_string_new (NULL);

  g_mutex_lock (&proxy->lock);
  for (guint i = 0; i < proxy->heads->len; i++) {
    const gchar *head = g_ptr_array_index (proxy->heads, i);

    g_string_append_len (out, head, strcspn (head, "\r"));
    g_string_append_c (out, '\n');
  }
  g_mutex_unlock (&proxy->lock);
  return g_string_free (out, FALSE);
}

/* A 720p 5 s generation with @props (the proxy), kept in tmpdir and read
 * by qtdemux in pull mode; asserts it played and decodes as asked. */
static void
generate_through (const gchar *props, const gchar *prompt)
{
  static guint runs;
  g_autofree gchar *name = g_strdup_printf ("kept-%u.mp4", runs++);
  g_autofree gchar *kept = g_build_filename (tmpdir, name, NULL);
  g_autofree gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ %s model=wan-2-5 prompt=\"%s\" resolution=720p "
      "duration=5 save-location=%s ! qtdemux ! fakesink",
      props, prompt, kept);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, 60);
  ApixoMediaInfo info;

  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  fail_unless (apixo_test_probe_file (kept, &info));
  fail_unless_equals_int (info.width, 1280);
  fail_unless_equals_int (info.height, 720);
  fail_unless_equals_int (info.n_frames, 120);
}

/* Plain HTTP: every request the sim received (the submission, the status
 * polls, the result's download) came through the proxy, in absolute form. */
static void
assert_all_through (TestProxy *proxy)
{
  g_autofree gchar *heads = proxy_heads_text (proxy);
  guint submitted = sim_fixture_count_requests (sim, "generate", -1);
  guint polled = sim_fixture_count_requests (sim, "status", -1);
  guint fetched = sim_fixture_count_requests (sim, "result", -1);

  fail_unless_equals_int (submitted, 1);
  fail_unless (polled >= 1 && fetched >= 1);
  fail_unless_equals_int (proxy_count (proxy, "POST http://", "/generateTask/"),
                          submitted);
  fail_unless_equals_int (proxy_count (proxy, "GET http://", "/statusTask/"),
                          polled);
  fail_unless_equals_int (proxy_count (proxy, "GET http://", "/results/"),
                          fetched);
  fail_unless (proxy_count (proxy, "", "") == submitted + polled + fetched,
               "%s", heads);
}

/* The proxy property as a URI, and as "host:port" (as souphttpsrc takes
 * it: an HTTP proxy). */
static const gchar *const PROXY_FORMS[] = { "proxy=http://127.0.0.1:%u",
                                            "proxy=127.0.0.1:%u" };

GST_START_TEST (test_proxy_property)
{
  TestProxy *proxy = test_proxy_start (NULL);
  g_autofree gchar *props = g_strdup_printf (PROXY_FORMS[__i__], proxy->port);

  generate_through (props, "through a proxy");
  assert_all_through (proxy);
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* Like souphttpsrc: without the property, $http_proxy; $no_proxy names the
 * hosts reached directly. */
GST_START_TEST (test_proxy_environment)
{
  TestProxy *proxy = test_proxy_start (NULL);
  GstElement *src;
  gchar *value = NULL;

  g_setenv ("http_proxy", proxy->url, TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");
  src = gst_element_factory_make ("apixosrc", NULL);
  g_object_get (src, "proxy", &value, NULL);
  fail_unless_equals_string (value, proxy->url);
  g_free (value);
  gst_object_unref (src);

  generate_through ("", "through $http_proxy");
  assert_all_through (proxy);
  test_proxy_stop (proxy);

  /* a new proxy (a new session), but the sim's host is in $no_proxy */
  proxy = test_proxy_start (NULL);
  g_setenv ("http_proxy", proxy->url, TRUE);
  g_setenv ("no_proxy", "example.com,127.0.0.1", TRUE);
  generate_through ("", "around $http_proxy");
  fail_unless_equals_int (proxy_count (proxy, "", ""), 0);
  test_proxy_stop (proxy);
  g_setenv ("http_proxy", "", TRUE);
  g_unsetenv ("no_proxy");
}

GST_END_TEST;

#define PROXY_USER "apixo"
#define PROXY_PASSWORD "proxy-pw-4d1c"

/* "http://user:password@127.0.0.1:port" */
static gchar *
proxy_url_with_credentials (TestProxy *proxy, const gchar *password)
{
  return g_strdup_printf ("http://%s:%s@127.0.0.1:%u", PROXY_USER, password,
                          proxy->port);
}

/* The run through @proxy_url fails before anything is submitted: a
 * network error (no task may exist: nothing to check before retrying),
 * with @http_status, whose message says "proxy" (and @expect, if not
 * NULL). */
static void
assert_proxy_failure (const gchar *proxy_url, const gchar *prompt,
                      GstResourceError code, guint http_status,
                      const gchar *expect)
{
  g_autofree gchar *launch =
      g_strdup_printf ("apixosrc @SIM@ proxy=%s model=wan-2-5 prompt=\"%s\" "
                       "resolution=720p duration=5 ! fakesink",
                       proxy_url, prompt);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, 60);
  guint status = 0;

  fail_unless (run->error != NULL);
  fail_unless (run->error->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (run->error->code, code);
  fail_unless (strstr (run->error->message, "proxy") != NULL, "%s",
               run->error->message);
  fail_unless (expect == NULL || strstr (run->error->message, expect) != NULL,
               "%s", run->error->message);
  fail_unless (strstr (run->error->message, "unknown") == NULL, "%s",
               run->error->message);
  fail_if (strstr (run->error->message, "-pw-") != NULL);
  fail_if (strstr (run->error_debug, "-pw-") != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "reason"), "network");
  fail_unless (
      gst_structure_get_uint (run->error_details, "http-status", &status));
  fail_unless_equals_int (status, http_status);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 0);
}

/* The challenges a strict proxy sends: Basic, Digest. */
static const gboolean PROXY_DIGEST[] = { FALSE, TRUE };

/* A proxy that wants credentials (Basic, or Digest with @digest): a run
 * through it is refused at once without them (one request) and with
 * wrong ones (tried once, then the 407 is the answer); the same request
 * with the right ones in the proxy URL then goes through and is generated
 * once. */
static TestProxy *
strict_proxy_round (gboolean digest)
{
  TestProxy *proxy = test_proxy_start (PROXY_USER ":" PROXY_PASSWORD);
  g_autofree gchar *wrong = proxy_url_with_credentials (proxy, "wrong-pw-1");
  g_autofree gchar *with = proxy_url_with_credentials (proxy, PROXY_PASSWORD);
  g_autofree gchar *props = g_strdup_printf ("proxy=%s", with);

  proxy->digest = digest; /* before any connection */
  assert_proxy_failure (proxy->url, "behind a strict proxy",
                        GST_RESOURCE_ERROR_NOT_AUTHORIZED, 407, NULL);
  fail_unless_equals_int (proxy_count (proxy, "", ""), 1);
  assert_proxy_failure (wrong, "behind a strict proxy",
                        GST_RESOURCE_ERROR_NOT_AUTHORIZED, 407, NULL);
  fail_unless_equals_int (proxy_count (proxy, "", ""), 3);
  generate_through (props, "behind a strict proxy");
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  return proxy;
}

/* A proxy that wants credentials (Basic; Digest): refused at once (not
 * retried, not an unknown outcome, nothing billed), then generated once
 * with them. */
GST_START_TEST (test_proxy_credentials)
{
  TestProxy *proxy = strict_proxy_round (PROXY_DIGEST[__i__]);

  /* the result came through the proxy too (some requests may have met a
   * 407 first) */
  fail_unless (proxy_count (proxy, "GET http://", "/results/") >=
               sim_fixture_count_requests (sim, "result", -1));
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* No bus message of @run holds @secret (its structure, as text). */
static void
assert_not_on_bus (ApixoRun *run, const gchar *secret)
{
  for (GList *l = run->messages; l != NULL; l = l->next) {
    const GstStructure *st = gst_message_get_structure (l->data);
    gchar *text = st ? gst_structure_to_string (st) : NULL;

    fail_if (text != NULL && strstr (text, secret) != NULL, "%s", text);
    g_free (text);
  }
}

/* The proxy's password is kept like the key: property reads (what
 * gst-inspect and pipeline graphs show) give "***" for the user and the
 * password, from the property as from $http_proxy, and no log line at any
 * level and no bus message holds it; the proxy still gets it. */
GST_START_TEST (test_proxy_password_hidden)
{
  TestProxy *proxy = test_proxy_start (PROXY_USER ":" PROXY_PASSWORD);
  g_autofree gchar *with = proxy_url_with_credentials (proxy, PROXY_PASSWORD);
  g_autofree gchar *shown =
      g_strdup_printf ("http://***@127.0.0.1:%u", proxy->port);
  g_autofree gchar *basic =
      g_base64_encode ((const guchar *)PROXY_USER ":" PROXY_PASSWORD,
                       strlen (PROXY_USER ":" PROXY_PASSWORD));
  GstElement *pipeline = apixo_test_parse (
      sim, "apixosrc @SIM@ name=src model=wan-2-5 prompt=\"hidden password\" "
           "resolution=720p duration=5 ! qtdemux ! fakesink");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_autofree gchar *read = NULL, *graph = NULL, *from_env = NULL;
  g_autoptr (ApixoRun) run = NULL;
  GString *logs;

  g_object_set (src, "proxy", with, NULL);
  g_object_get (src, "proxy", &read, NULL);
  fail_unless_equals_string (read, shown);
  graph = gst_debug_bin_to_dot_data (GST_BIN (pipeline),
                                     GST_DEBUG_GRAPH_SHOW_VERBOSE);
  fail_unless (strstr (graph, "***@127.0.0.1") != NULL, "%s", graph);
  fail_if (strstr (graph, PROXY_PASSWORD) != NULL);

  apixo_test_capture_logs_start ();
  run = apixo_test_run (pipeline, 60);
  logs = apixo_test_capture_logs_stop ();
  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  fail_unless (logs->len > 10000 && strstr (logs->str, "apixo") != NULL);
  fail_if (strstr (logs->str, PROXY_PASSWORD) != NULL);
  fail_if (strstr (logs->str, basic) != NULL);
  assert_not_on_bus (run, PROXY_PASSWORD);
  g_string_free (logs, TRUE);
  gst_object_unref (src);
  gst_object_unref (pipeline);

  g_setenv ("http_proxy", with, TRUE);
  src = gst_element_factory_make ("apixosrc", NULL);
  g_object_get (src, "proxy", &from_env, NULL);
  fail_unless_equals_string (from_env, shown);
  gst_object_unref (src);
  g_setenv ("http_proxy", "", TRUE);
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* "http://[user:password@]host:port" of a proxy that is not on this host
 * (TEST-NET-1: nothing answers there). */
#define PROXY_ELSEWHERE "http://192.0.2.1:3128"

/* A plain-HTTP base-url (the sim's, loopback) through a proxy on another
 * host would carry the key across the network in clear text: refused
 * before anything is sent (apixosrc_validation has the messages); the
 * sim's host in $no_proxy goes direct, and allow-insecure-http lets it
 * through (the run starts). */
GST_START_TEST (test_proxy_cleartext_elsewhere)
{
  GstElement *pipeline;

  g_setenv ("http_proxy", PROXY_ELSEWHERE, TRUE);
  pipeline = apixo_test_parse (sim, "apixosrc @SIM@ model=wan-2-5 prompt=x "
                                    "resolution=720p duration=5 ! fakesink");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);

  pipeline = apixo_test_parse (
      sim, "apixosrc @SIM@ allow-insecure-http=true model=wan-2-5 prompt=x "
           "resolution=720p duration=5 ! fakesink");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PAUSED) ==
           GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);

  g_setenv ("no_proxy", "127.0.0.1", TRUE);
  generate_through ("", "around a proxy elsewhere");
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  g_setenv ("http_proxy", "", TRUE);
  g_unsetenv ("no_proxy");
}

GST_END_TEST;

/* A SOCKS5 proxy (GIO's own client): every connection is a tunnel to the
 * sim. */
GST_START_TEST (test_proxy_socks5)
{
  TestProxy *proxy = test_proxy_start (NULL);
  g_autofree gchar *props =
      g_strdup_printf ("proxy=socks5://127.0.0.1:%u", proxy->port);
  g_autofree gchar *heads = NULL;
  guint tunnels;

  generate_through (props, "through socks5");
  heads = proxy_heads_text (proxy);
  tunnels = proxy_count (proxy, "SOCKS5 CONNECT ", "");
  fail_unless (tunnels >= 1, "%s", heads);
  fail_unless (proxy_count (proxy, "", "") == tunnels, "%s", heads);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 1);
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* A SOCKS5 proxy that asks for a user name and password: GIO gives the
 * proxy URI's.  Without them, or with wrong ones, the proxy's refusal
 * ends the run at once (not retried, nothing sent, not an unknown
 * outcome), and the error does not show the password. */
GST_START_TEST (test_proxy_socks5_credentials)
{
  TestProxy *proxy = test_proxy_start (PROXY_USER ":" PROXY_PASSWORD);
  g_autofree gchar *props =
      g_strdup_printf ("proxy=socks5://%s:%s@127.0.0.1:%u", PROXY_USER,
                       PROXY_PASSWORD, proxy->port);
  g_autofree gchar *without =
      g_strdup_printf ("socks5://127.0.0.1:%u", proxy->port);
  g_autofree gchar *wrong = g_strdup_printf (
      "socks5://%s:wrong-pw-1@127.0.0.1:%u", PROXY_USER, proxy->port);
  g_autofree gchar *via = g_strdup_printf (
      "the proxy refused (through the proxy 127.0.0.1:%u)", proxy->port);

  assert_proxy_failure (without, "behind a strict socks proxy",
                        GST_RESOURCE_ERROR_NOT_AUTHORIZED, 0, via);
  assert_proxy_failure (wrong, "behind a strict socks proxy",
                        GST_RESOURCE_ERROR_NOT_AUTHORIZED, 0, via);
  fail_unless_equals_int (proxy_count (proxy, "", ""), 0);
  generate_through (props, "behind a strict socks proxy");
  fail_unless (proxy_count (proxy, "SOCKS5 CONNECT ", "") >= 1);
  fail_unless_equals_int (sim_fixture_count_tasks (sim), 1);
  test_proxy_stop (proxy);
}

GST_END_TEST;

GST_START_TEST (test_proxy_unreachable)
{
  guint port = apixo_test_free_port ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree gchar *via =
      g_strdup_printf ("(through the proxy 127.0.0.1:%u)", port);

  assert_proxy_failure (url, "no way out", GST_RESOURCE_ERROR_OPEN_READ, 0,
                        via);
}

GST_END_TEST;

/* ---- over HTTPS: tunnels ------------------------------------------------- */

static void
setup_tls (void)
{
  apixo_test_fixture_start_tls (&sim, &tmpdir, 0.01, "proxy");
}

/* "CONNECT 127.0.0.1:port" of the sim */
static gchar *
sim_connect_line (void)
{
  GUri *uri = g_uri_parse (sim_fixture_base_url (sim), G_URI_FLAGS_NONE, NULL);
  gchar *line = g_strdup_printf ("CONNECT %s:%d ", g_uri_get_host (uri),
                                 g_uri_get_port (uri));

  g_uri_unref (uri);
  return line;
}

/* HTTPS through a proxy: every connection is a CONNECT tunnel to the sim
 * (the API's and the result's), and the key never crosses the proxy in the
 * clear. */
GST_START_TEST (test_proxy_tunnel)
{
  TestProxy *proxy = test_proxy_start (NULL);
  g_autofree gchar *props = g_strdup_printf ("proxy=%s", proxy->url);
  g_autofree gchar *connect = sim_connect_line ();
  g_autofree gchar *heads = NULL;
  guint tunnels;

  generate_through (props, "through a tunnel [sim:moov=end]");
  heads = proxy_heads_text (proxy);
  tunnels = proxy_count (proxy, connect, "");
  fail_unless (tunnels >= 1, "%s", heads);
  fail_unless (proxy_count (proxy, "", "") == tunnels, "%s", heads);
  fail_unless (sim_fixture_count_requests (sim, "result", -1) >= 1);
  fail_if (proxy_saw_key (proxy));
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* A tunnel the proxy opens only with credentials (Basic; Digest). */
GST_START_TEST (test_proxy_tunnel_credentials)
{
  TestProxy *proxy = strict_proxy_round (PROXY_DIGEST[__i__]);

  fail_if (proxy_saw_key (proxy));
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* A proxy that takes the tunnel's CONNECT and never answers. */
static TestProxy *
silent_proxy (void)
{
  TestProxy *proxy = test_proxy_start (NULL);

  proxy->silent = TRUE; /* before any connection */
  return proxy;
}

/* Stopping the pipeline while the CONNECT waits returns at once (nothing
 * waits for the network, timeout=60), and nothing reached the service. */
GST_START_TEST (test_proxy_silent_stop)
{
  TestProxy *proxy = silent_proxy ();
  g_autofree gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ proxy=%s timeout=60 model=wan-2-5 "
      "prompt=\"silent proxy\" resolution=720p duration=5 ! fakesink",
      proxy->url);
  GstElement *pipeline = apixo_test_start (sim, launch);
  gint64 start;

  fail_unless (proxy_wait_heads (proxy, 1, 30));
  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  gst_object_unref (pipeline);
  test_proxy_stop (proxy);
}

GST_END_TEST;

/* The CONNECT is never answered: after timeout the submission was never
 * sent, so the outcome is known (nothing billed) and it is retried. */
GST_START_TEST (test_proxy_silent_timeout)
{
  TestProxy *proxy = silent_proxy ();
  g_autofree gchar *launch = g_strdup_printf (
      "apixosrc @SIM@ proxy=%s timeout=1 retries=1 retry-backoff-factor=0.1 "
      "model=wan-2-5 prompt=\"silent proxy\" resolution=720p duration=5 ! "
      "fakesink",
      proxy->url);
  g_autoptr (ApixoRun) run = apixo_test_run_launch (sim, launch, 60);

  g_autofree gchar *via =
      g_strdup_printf ("through the proxy 127.0.0.1:%u", proxy->port);

  fail_unless (run->error != NULL);
  fail_unless (strstr (run->error->message, "unknown") == NULL, "%s",
               run->error->message);
  fail_unless (strstr (run->error->message, via) != NULL, "%s",
               run->error->message);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "reason"), "network");
  /* the first attempt and its retry */
  fail_unless_equals_int (proxy_count (proxy, "CONNECT ", ""), 2);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1), 0);
  test_proxy_stop (proxy);
}

GST_END_TEST;

static Suite *
apixosrc_proxy_suite (void)
{
  Suite *s = suite_create ("apixosrc-proxy");
  TCase *tc = tcase_create ("plain");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_loop_test (tc, test_proxy_property, 0, G_N_ELEMENTS (PROXY_FORMS));
  tcase_add_test (tc, test_proxy_environment);
  tcase_add_test (tc, test_proxy_socks5);
  tcase_add_test (tc, test_proxy_socks5_credentials);
  tcase_add_loop_test (tc, test_proxy_credentials, 0,
                       G_N_ELEMENTS (PROXY_DIGEST));
  tcase_add_test (tc, test_proxy_password_hidden);
  tcase_add_test (tc, test_proxy_cleartext_elsewhere);
  tcase_add_test (tc, test_proxy_unreachable);

  tc = tcase_create ("https");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup_tls, teardown);
  tcase_add_test (tc, test_proxy_tunnel);
  tcase_add_loop_test (tc, test_proxy_tunnel_credentials, 0,
                       G_N_ELEMENTS (PROXY_DIGEST));
  tcase_add_test (tc, test_proxy_silent_stop);
  tcase_add_test (tc, test_proxy_silent_timeout);
  return s;
}

GST_CHECK_MAIN (apixosrc_proxy);
