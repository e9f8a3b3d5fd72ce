/* gst-apixo test support: start and drive apixo-sim from C tests.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_FIXTURE_H__
#define __SIM_FIXTURE_H__

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * A running apixo-sim process for one test program.  All functions are
 * blocking and meant for the test's own thread; they use their own HTTP
 * client (never the plugin's).  Failures (sim did not start, control
 * request failed) abort the test with g_error()/g_assert().
 *
 * The sim binary comes from $APIXO_SIM (set by meson for every test); its
 * --data-dir from $APIXO_SIM_DATA_DIR (shared render cache), else a temp dir.
 */
typedef struct _SimFixture SimFixture;

/* Starts the sim with --port 0, --time-scale @time_scale and the extra
 * arguments (NULL-terminated), and waits for its APIXO_BASE_URL line. */
SimFixture *sim_fixture_start (gdouble time_scale, const gchar *first_arg, ...);
/* The same over HTTPS: --tls-cert/--tls-key with tests/data's
 * sim-test-cert.pem (127.0.0.1, self-signed); the fixture's own requests
 * trust it, and so does a client given sim_fixture_tls_database(). */
SimFixture *sim_fixture_start_tls (gdouble time_scale);
/* NULL unless the sim was started with --tls-cert: a GTlsDatabase that
 * trusts that certificate (owned by the fixture). */
GTlsDatabase *sim_fixture_tls_database (SimFixture *sim);
/* tests/data/@name (from $APIXO_TEST_DATA, set by meson). */
gchar *sim_fixture_data_path (const gchar *name);

/* SIGTERM, waits for the exit, asserts a clean exit status. */
void sim_fixture_stop (SimFixture *sim);

/* "http://127.0.0.1:PORT/api/v1" (https:// with TLS) */
const gchar *sim_fixture_base_url (SimFixture *sim);
/* "http://127.0.0.1:PORT" */
const gchar *sim_fixture_root_url (SimFixture *sim);

/* Raw access to any sim path ("/__sim/stats"); asserts HTTP 200 and a JSON
 * answer.  @body may be NULL (GET) or a JsonNode (POST, not consumed). */
JsonNode *sim_fixture_request (SimFixture *sim, const gchar *method,
                               const gchar *path, JsonNode *body);

/* POST /__sim/faults.  @fault: "429", "500", "502", "503", "504",
 * "reset-before", "reset-after", "slow", "truncate", "malformed-json".
 * @delay: seconds for "slow" (0: the sim's default). @model: NULL for any. */
void sim_fixture_add_fault (SimFixture *sim, const gchar *route,
                            const gchar *fault, guint count);
void sim_fixture_add_fault_full (SimFixture *sim, const gchar *route,
                                 const gchar *fault, guint count, gdouble delay,
                                 const gchar *model);

/* POST /__sim/limits for @model (NULL: every model); -1 leaves a limit. */
void sim_fixture_set_limits (SimFixture *sim, const gchar *model,
                             gint requests_per_minute, gint concurrent_tasks);
/* POST /__sim/balance */
void sim_fixture_set_balance (SimFixture *sim, gdouble usd);
/* POST /__sim/advance: moves the sim's clock (result expiry) forward. */
void sim_fixture_advance_clock (SimFixture *sim, gdouble seconds);

/* GET /__sim/tasks: the array of task objects (transfer full). */
JsonArray *sim_fixture_get_tasks (SimFixture *sim);
guint sim_fixture_count_tasks (SimFixture *sim);
/* One task's object (transfer full), NULL if unknown. */
JsonObject *sim_fixture_get_task (SimFixture *sim, const gchar *task_id);

/* From GET /__sim/stats: requests received on @route ("generate",
 * "status", "result", "balance", "callback") with HTTP status @status
 * (-1: any). */
guint sim_fixture_count_requests (SimFixture *sim, const gchar *route,
                                  gint status);

/* Long polls on GET /__sim/wait (the sim answers when the condition holds,
 * no sleeping in the test).  TRUE if reached within @timeout seconds.
 *  - a task (NULL: any task) reaching @state;
 *  - at least @count requests received on @route ("generate", "status",
 *    "result", "callback"), or @count result bodies sent completely
 *    (route "result-complete");
 *  - at least @count tasks created. */
gboolean sim_fixture_wait_task_state (SimFixture *sim, const gchar *task_id,
                                      const gchar *state, gdouble timeout);
gboolean sim_fixture_wait_requests (SimFixture *sim, const gchar *route,
                                    guint count, gdouble timeout);
gboolean sim_fixture_wait_tasks (SimFixture *sim, guint count, gdouble timeout);

G_END_DECLS

#endif /* __SIM_FIXTURE_H__ */
