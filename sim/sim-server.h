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

G_END_DECLS

#endif /* __SIM_SERVER_H__ */
