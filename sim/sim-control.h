/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_CONTROL_H__
#define __SIM_CONTROL_H__

#include "sim-app.h"

G_BEGIN_DECLS

/*
 * The /__sim/ control and introspection endpoints (no API key needed):
 * tasks, stats, wait (long polls), faults, limits, balance, advance.
 * Answers are plain JSON objects (no envelope); errors are HTTP 400/404
 * with {"error": "..."}.
 */

SimControl *sim_control_new (SimApp *app);
/* Answers the pending long polls (with their current result); then
 * sim_control_flushing() counts the answers not yet written. */
void sim_control_shutdown (SimControl *control);
guint sim_control_flushing (SimControl *control);
void sim_control_free (SimControl *control);

/* @sub_path: the path after "/__sim/" ("tasks", "wait", ...). */
void sim_control_handle (SimApp *app, SoupServerMessage *msg,
                         const gchar *sub_path, GHashTable *query);

G_END_DECLS

#endif /* __SIM_CONTROL_H__ */
