/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_APP_H__
#define __SIM_APP_H__

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The service's shared state and its ground floor: sim-app.c defines the
 * functions below and calls nothing of the service but sim-util, so every
 * other service file may call them (docs/apixo-sim.md, "Source layout").
 *
 * Threading: everything here lives on the main thread's GMainContext and
 * is only touched from it (HTTP handlers, timers, and the completion
 * callbacks of sim-media/sim-render, which run on the caller's context).
 * No locks are needed and none are taken; the only other threads are
 * sim-media's and sim-render's workers, which never see these structures.
 */

/* Routes counted in /__sim/stats and targeted by faults. */
typedef enum {
  SIM_ROUTE_GENERATE,
  SIM_ROUTE_STATUS,
  SIM_ROUTE_RESULT,
  SIM_ROUTE_BALANCE,
  SIM_ROUTE_CALLBACK,
  SIM_N_ROUTES,
  SIM_ROUTE_CONTROL = SIM_N_ROUTES,
  SIM_ROUTE_OTHER,
} SimRoute;

const gchar *sim_route_name (SimRoute route);
gboolean sim_route_from_name (const gchar *name, SimRoute *route);

typedef struct _SimApp SimApp;
typedef struct _SimTask SimTask;
typedef struct _SimTaskStore SimTaskStore;
typedef struct _SimFaults SimFaults;
typedef struct _SimLimits SimLimits;
typedef struct _SimResults SimResults;
typedef struct _SimStats SimStats;
typedef struct _SimControl SimControl;

/* Called by sim_app_changed() (see below). */
typedef void (*SimAppChangedFunc) (SimApp *app, gpointer user_data);

struct _SimApp {
  /* settings, fixed after start-up */
  gdouble time_scale;
  GHashTable *api_keys;  /* SHA-256 hex of each allowed key; NULL: any */
  gdouble result_ttl;    /* seconds, on the sim clock */
  gchar *data_dir;       /* --data-dir or a temp dir */
  gboolean own_data_dir; /* temp dir: removed at exit */
  gchar *cache_dir;      /* data_dir/cache, shared between instances */
  gchar *instance_dir;   /* data_dir/instance-XXXXXX, removed at exit */
  gchar *inputs_dir;     /* instance_dir/inputs */
  gchar *results_dir;    /* instance_dir/results */
  gchar *root_url;       /* http(s)://ADDR:PORT */
  gboolean wildcard_bind;

  SoupServer *server;
  SoupSession *session; /* outgoing: input fetches, callbacks */
  GMainLoop *loop;
  gboolean shutting_down;

  gint64 clock_offset_us; /* moved by POST /__sim/advance */
  gint64 balance;         /* micro-USD */
  guint pending_ops;      /* fetches, renders, deliveries, writes in flight */
  GList *deferred;        /* sim-server.c: slow answers, drops not yet done */

  SimTaskStore *tasks;
  SimFaults *faults;
  SimLimits *limits;
  SimResults *results;
  SimStats *stats;
  SimControl *control;

  SimAppChangedFunc changed_func; /* sim_app_set_changed_func() */
  gpointer changed_data;
};

/* Sim clock: monotonic time plus the advanced offset, microseconds. */
gint64 sim_app_clock_us (SimApp *app);
/* Unix milliseconds plus the advanced offset (createTime, ...). */
gint64 sim_app_wall_ms (SimApp *app);
/* @seconds of documented service time, scaled, in milliseconds. */
guint sim_app_scaled_ms (SimApp *app, gdouble seconds);

/* Something waiters may care about changed (task state, counters, the
 * clock): calls the function set with sim_app_set_changed_func(), if any.
 * The change hook lets the files that report changes (sim-tasks,
 * sim-stats) sit below the one that waits for them (sim-control, which
 * re-checks its /__sim/wait long polls from an idle). */
void sim_app_changed (SimApp *app);
/* One observer; @func NULL unsets it. */
void sim_app_set_changed_func (SimApp *app, SimAppChangedFunc func,
                               gpointer user_data);

/* SHA-256 hex of an API key: the only form in which keys are kept. */
gchar *sim_app_hash_key (const gchar *key);

G_END_DECLS

#endif /* __SIM_APP_H__ */
