/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_SERVER_H__
#define __SIM_SERVER_H__

#include "sim-app.h"

G_BEGIN_DECLS

/*
 * The HTTP side: SoupServer set-up, routing, authentication, envelopes,
 * request-size bounds, and how injected faults change an answer (dropped
 * connections, truncated bodies, slow and malformed answers).
 */

/* Listens on @bind (an IP address literal) and @port (0: any free port),
 * HTTPS with @tls (NULL: plain HTTP), and sets app->root_url. */
gboolean sim_server_start (SimApp *app, const gchar *bind, guint port,
                           GTlsCertificate *tls, GError **error);
void sim_server_stop (SimApp *app);

/* A message answered later (slow answers, long polls): paused, with a
 * reference, and watched for the client going away. */
typedef struct _SimHeld SimHeld;

SimHeld *sim_held_new (SoupServerMessage *msg);
SoupServerMessage *sim_held_message (SimHeld *held);
/* Unpauses the message if its connection is still there, then frees. */
void sim_held_release (SimHeld *held);
/* Frees without unpausing (the connection was stolen). */
void sim_held_forget (SimHeld *held);

G_END_DECLS

#endif /* __SIM_SERVER_H__ */
