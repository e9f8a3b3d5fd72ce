/* apixo-sim: a local stand-in for the APIXO generation service
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __SIM_MODELS_H__
#define __SIM_MODELS_H__

#include <json-glib/json-glib.h>

#include "sim-markers.h"
#include "sim-media.h"
#include "sim-render.h"

G_BEGIN_DECLS

/*
 * The five models as their pages document them (../shared/apixo-docs/),
 * written independently of the plugin's catalogue: request validation,
 * output sizes, typical generation times, prices, limits.  Where a page is
 * silent the sim's choice is listed in docs/apixo-sim.md.
 */

typedef enum {
  SIM_MODEL_WAN_2_5,
  SIM_MODEL_WAN_2_5_VIDEO,
  SIM_MODEL_VEO_3_1,
  SIM_MODEL_SORA_2_PRO,
  SIM_MODEL_WAN_2_2_ANIMATE,
  SIM_N_MODELS
} SimModelId;

typedef struct {
  SimModelId id;
  const gchar *name;
  guint requests_per_minute; /* documented defaults */
  guint concurrent_tasks;
  /* wan-2-5-video documents HTTP 402 for an insufficient balance; the
   * other pages show {"code":400,"message":"Insufficient credits"}. */
  gboolean balance_http_402;
} SimModel;

const SimModel *sim_model_lookup (const gchar *name);
const SimModel *sim_model_get (SimModelId id);

typedef struct {
  gint width, height;
} SimSize;

/* One input to fetch and check. */
typedef struct {
  gchar *field; /* "image_urls[0]" */
  gchar *url;
  SimMediaKind kind;
  SimMediaLimits limits;
} SimInput;

/* How the output picture size is decided. */
typedef enum {
  SIM_SIZE_FIXED,      /* width/height known from the request */
  SIM_SIZE_FROM_IMAGE, /* nearest candidate to the first image's aspect */
  SIM_SIZE_FROM_VIDEO, /* nearest candidate to the motion video's aspect */
} SimSizeRule;

/* A validated request: everything the task needs. */
typedef struct {
  const SimModel *model;
  gboolean callback;
  gchar *callback_url;

  SimScene scene;
  gchar *prompt; /* markers removed; NULL when none */
  gint64 seed;
  gboolean seed_given;
  SimMarkers markers;

  SimSizeRule size_rule;
  gint width, height; /* SIM_SIZE_FIXED, or chosen later */
  SimSize candidates[8];
  guint n_candidates;
  gdouble duration; /* seconds; 0: the motion video's duration */
  gboolean with_audio;
  gint audio_input;  /* index in inputs of the sound track, -1: none */
  gint video_input;  /* index of the motion video, -1: none */
  GPtrArray *inputs; /* SimInput, images first */

  /* billing: micro-USD per generated second; animate bills its motion
   * video's duration clamped to [billed_min, billed_max]. */
  gint64 price_per_second;
  gdouble billed_min, billed_max;

  /* typical generation time, seconds (unscaled) */
  gdouble gen_min, gen_max;
} SimJob;

/* Validates @root (the request body) for @model.  Errors are
 * SIM_REQUEST_ERROR 400 with a message naming the field. */
SimJob *sim_job_new (const SimModel *model, JsonNode *root, GError **error);
void sim_job_free (SimJob *job);

/* Accept plain-http and local (loopback, private) callback_url receivers,
 * which the service refuses ("Must be a public HTTPS URL"): for tests
 * with a local webhook receiver.  Call once at start-up. */
void sim_models_set_allow_local_callbacks (gboolean allow);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimJob, sim_job_free)

/* Billed seconds for an output of @duration seconds. */
gdouble sim_job_billed_seconds (const SimJob *job, gdouble duration);
/* Cost in micro-USD of @billed_seconds. */
gint64 sim_job_cost (const SimJob *job, gdouble billed_seconds);
/* Picks the candidate size nearest to a @width x @height input. */
void sim_job_choose_size (SimJob *job, gint width, gint height);

/* Draws a seed in the model's documented range. */
gint64 sim_model_random_seed (const SimModel *model);

G_END_DECLS

#endif /* __SIM_MODELS_H__ */
