/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Messages answered later (slow answers, dropped connections, long
 * polls): paused, with a reference, watched for the client going away.
 *
 * Threading: main context only (see sim-app.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim-held.h"

struct _SimHeld {
  SoupServerMessage *msg;
  gulong finished_id;
  gboolean finished;
};

static void
held_finished (SoupServerMessage *msg, SimHeld *held)
{
  held->finished = TRUE;
}

SimHeld *
sim_held_new (SoupServerMessage *msg)
{
  SimHeld *held = g_new0 (SimHeld, 1);

  held->msg = g_object_ref (msg);
  held->finished_id =
      g_signal_connect (msg, "finished", G_CALLBACK (held_finished), held);
  soup_server_message_pause (msg);
  return held;
}

SoupServerMessage *
sim_held_message (SimHeld *held)
{
  return held->msg;
}

void
sim_held_release (SimHeld *held)
{
  /* a message whose connection went away (client gone, server stopped)
   * has no I/O to resume */
  if (!held->finished && soup_server_message_get_socket (held->msg) != NULL)
    soup_server_message_unpause (held->msg);
  sim_held_forget (held);
}

void
sim_held_forget (SimHeld *held)
{
  g_signal_handler_disconnect (held->msg, held->finished_id);
  g_object_unref (held->msg);
  g_free (held);
}
