/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_CALLBACKS_H__
#define __SIM_CALLBACKS_H__

#include "sim-tasks.h"

G_BEGIN_DECLS

/*
 * Webhook delivery (request_type=callback): the final status envelope is
 * POSTed to callback_url.  An answer other than HTTP 200, or none within
 * 30 s (scaled, at least 1 s), is retried up to 3 times, after 30, 60 and
 * 120 s (scaled).  Faults on the "callback" route alter these outgoing
 * deliveries (docs/apixo-sim.md).  Every attempt is recorded in
 * task->callbacks.
 */

#define SIM_CALLBACK_MAX_ATTEMPTS 4
#define SIM_CALLBACK_TIMEOUT_S 30.0
#define SIM_CALLBACK_MIN_TIMEOUT_S 1.0
#define SIM_CALLBACK_FIRST_RETRY_S 30.0

/* A SimTaskCompleteFunc for sim_task_store_new(): a task in callback mode
 * delivers its final status when it completes. */
void sim_callbacks_task_completed (SimTask *task, gpointer user_data);

G_END_DECLS

#endif /* __SIM_CALLBACKS_H__ */
