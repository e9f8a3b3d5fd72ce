/* gst-apixo: the HTTP layer's size-bounded request over real loopback HTTP.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A request that times out while it waits for a connection (all the
 * session's connections busy) never left: it must say so, so that a
 * submission is retried rather than taken for one whose answer was lost.
 *
 * Synchronisation: the test's own GMainContext is iterated until the
 * requests' callbacks ran; the test server holds its request until it
 * stops.  No sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "apixotest.h"
#include "gstapixohttp.h"

typedef struct {
  gboolean done;
  GError *error;
} Outcome;

static void
sent (GObject *source, GAsyncResult *result, gpointer data)
{
  Outcome *outcome = data;
  GBytes *body = gst_apixo_http_send_bounded_finish (SOUP_SESSION (source),
                                                     result, &outcome->error);

  if (body != NULL)
    g_bytes_unref (body);
  outcome->done = TRUE;
}

/* Never answers (the message is paused until the server stops). */
static void
hold (SoupServer *server, SoupServerMessage *msg, const char *path,
      GHashTable *query, gpointer data)
{
  soup_server_message_pause (msg);
}

GST_START_TEST (test_timeout_while_queued_is_not_sent)
{
  ApixoTestServer *server = apixo_test_server_start ();
  gchar *url = apixo_test_server_add_handler (server, "held", hold, NULL);
  GMainContext *context = g_main_context_new ();
  SoupSession *session;
  SoupMessage *held_msg, *queued_msg;
  Outcome one = { FALSE, NULL }, two = { FALSE, NULL };

  g_main_context_push_thread_default (context);
  session = soup_session_new_with_options ("max-conns", 1, "max-conns-per-host",
                                           1, NULL);
  held_msg = soup_message_new ("GET", url);
  queued_msg = soup_message_new ("POST", url);
  /* The first takes the only connection and is held until its 2 s pass;
   * the second waits for that connection, and its 1 s pass first.
   * (libsoup 3.2 completes a cancelled queued request only when its queue
   * runs again: here, when the first ends.) */
  gst_apixo_http_send_bounded_async (session, held_msg, 1024, 2, NULL, sent,
                                     &one);
  gst_apixo_http_send_bounded_async (session, queued_msg, 1024, 1, NULL, sent,
                                     &two);
  while (!one.done || !two.done)
    g_main_context_iteration (context, TRUE);

  fail_unless (g_error_matches (two.error, GST_APIXO_HTTP_ERROR,
                                GST_APIXO_HTTP_ERROR_NOT_SENT),
               "%s", two.error ? two.error->message : "no error");
  fail_unless (gst_apixo_http_error_is_before_send (two.error));
  fail_unless (gst_apixo_http_error_is_transient (two.error));
  /* the first was sent: its time-out may hide a task */
  fail_unless (g_error_matches (one.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
               "%s", one.error ? one.error->message : "no error");
  fail_if (gst_apixo_http_error_is_before_send (one.error));
  fail_unless_equals_int (apixo_test_server_requests (server, "held"), 1);

  g_clear_error (&one.error);
  g_clear_error (&two.error);
  g_object_unref (held_msg);
  g_object_unref (queued_msg);
  g_object_unref (session);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  apixo_test_server_stop (server);
  g_free (url);
}

GST_END_TEST;

static Suite *
http_suite (void)
{
  Suite *s = suite_create ("apixo-http");
  TCase *tc = tcase_create ("bounded");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_timeout_while_queued_is_not_sent);
  return s;
}

GST_CHECK_MAIN (http);
