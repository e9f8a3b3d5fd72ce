/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_HELD_H__
#define __SIM_HELD_H__

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A message answered later (slow answers, long polls): paused, with a
 * reference, and watched for the client going away.  Used by sim-server
 * (deferred answers) and sim-control (/__sim/wait). */
typedef struct _SimHeld SimHeld;

SimHeld *sim_held_new (SoupServerMessage *msg);
SoupServerMessage *sim_held_message (SimHeld *held);
/* Unpauses the message if its connection is still there, then frees. */
void sim_held_release (SimHeld *held);
/* Frees without unpausing (the connection was stolen). */
void sim_held_forget (SimHeld *held);

G_END_DECLS

#endif /* __SIM_HELD_H__ */
