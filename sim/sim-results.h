/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_RESULTS_H__
#define __SIM_RESULTS_H__

#include "sim-app.h"

G_BEGIN_DECLS

/*
 * Result files served at unguessable paths (/results/<128-bit hex>.mp4)
 * with Content-Length, ETag, Last-Modified, single HTTP ranges (206/416),
 * If-Range and HEAD.  They expire after --result-ttl on the sim clock.
 */

#define SIM_RESULTS_PREFIX "/results/"

SimResults *sim_results_new (SimApp *app);
void sim_results_free (SimResults *results);

/* Publishes the finished file @path for @model: returns the URL path
 * ("/results/TOKEN.mp4"). */
gchar *sim_results_publish (SimResults *results, const gchar *path,
                            const gchar *model, GError **error);

/* The model of the result at @url_path, NULL if unknown (fault filter). */
const gchar *sim_results_model (SimResults *results, const gchar *url_path);

/* Answers a GET or HEAD of @url_path on @msg (status, headers, body).
 * Returns TRUE when the answer carries result bytes (200/206 to a GET),
 * i.e. when a complete write counts as "result-complete". */
gboolean sim_results_answer (SimResults *results, SoupServerMessage *msg,
                             const gchar *url_path);

G_END_DECLS

#endif /* __SIM_RESULTS_H__ */
