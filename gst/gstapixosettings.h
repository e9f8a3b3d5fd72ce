/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_SETTINGS_H__
#define __GST_APIXO_SETTINGS_H__

#include <gst/gst.h>

#include "gstapixohttp.h"
#include "gstapixomodels.h"

G_BEGIN_DECLS

/**
 * GstApixoSettings:
 *
 * The values of the properties every apixo element shares, the table of
 * those properties (their specs, and where each value lives: one generic
 * setter and getter serve them all), and the snapshot of them a run is
 * built from.  Plain data.  Adding a shared property touches this unit (a
 * field, its default, its PROP_ id, spec and table row and, if it has a
 * range, gst_apixo_settings_check()) and whatever reads it from the run
 * config, nothing else.
 */
typedef struct {
  gchar *api_key; /* a secret: see gst_apixo_secret_clear() */
  gchar *base_url;
  gchar *task_id; /* set by the user: resume */
  gdouble early_poll;
  gdouble poll_delay;
  gdouble poll_interval;
  guint deadline;
  gdouble progress_interval;
  GstApixoHttpSettings http;
  gboolean allow_insecure_http; /* http:// base-url to a remote host */
  gchar *save_location;
  gchar *spool_directory;
  /* the result download's bounds (0: none) */
  guint min_speed; /* bytes/s over min_speed_time s */
  guint min_speed_time;
  guint64 max_result_size;
  guint download_deadline; /* s */
  /* pay once: the journal and the result cache (NULL directory: the
   * user's cache directory, see gst_apixo_settings_cache_directory()) */
  gchar *cache_directory;
  gboolean journal;
  gboolean cache;
  guint64 cache_max_size;
  gboolean resubmit_unknown;
  gchar *public_url;
  gchar *server_address;
  guint server_port;
  /* request fields every model page documents */
  GstApixoProvider provider;
  gboolean provider_set;
  GstApixoRequestType request_type;
  gchar *callback_url;
  GstStructure *extra_input;
  /* money: read the balance before submitting; refuse estimates above
   * max_cost USD (0: no limit) */
  gboolean check_balance;
  gdouble max_cost;
} GstApixoSettings;

/* The defaults (base-url and proxy from the environment, as documented). */
void gst_apixo_settings_init (GstApixoSettings *s);
void gst_apixo_settings_clear (GstApixoSettings *s);
void gst_apixo_settings_copy (GstApixoSettings *dst,
                              const GstApixoSettings *src);

/* class_init: installs the shared properties on @klass with the ids
 * @first_prop_id, @first_prop_id + 1, ... and returns the next free id.
 * Also marks the enum types they use as plugin API. */
guint gst_apixo_settings_install_properties (GObjectClass *klass,
                                             guint first_prop_id);

/* Under the element's object lock.  @id is the property id minus the
 * @first_prop_id the properties were installed from.  FALSE (and nothing
 * done) when @id is not a shared property; get_property() returns FALSE
 * for api-key too: it is write-only. */
gboolean gst_apixo_settings_set_property (GstApixoSettings *s, guint id,
                                          const GValue *value);
gboolean gst_apixo_settings_get_property (const GstApixoSettings *s, guint id,
                                          GValue *value);

/* Any thread (start()).  Checks base-url, the numeric settings against
 * their documented ranges (the properties take any value of their type)
 * and loads ssl-ca-file into @s->http (see
 * gst_apixo_http_settings_load_ca_file()).  FALSE + a
 * GST_RESOURCE_ERROR_SETTINGS error naming the property, and *@property
 * set to its name, otherwise. */
gboolean gst_apixo_settings_check (GstApixoSettings *s, const gchar **property,
                                   GError **error);

/* Any thread (start(), after gst_apixo_settings_finish_spec(); not when
 * resuming).  With max-cost set, the estimate of @spec (no input probed
 * yet) must be known and at most max-cost.  FALSE + a
 * GST_RESOURCE_ERROR_SETTINGS error about max-cost otherwise, *@estimate
 * set to the estimate in USD (-1: no price documented). */
gboolean gst_apixo_settings_check_max_cost (const GstApixoSettings *s,
                                            const GstApixoRequestSpec *spec,
                                            gdouble *estimate, GError **error);

/* Any thread (start()).  Completes the request an element described with
 * the fields every model shares (provider, request-type, callback-url,
 * extra-input), then derives and validates it against the model's page,
 * or, when @s resumes a task (task-id), only requires its model.  Takes
 * @spec.  NULL + a GST_RESOURCE_ERROR_SETTINGS error otherwise.  *@warning
 * (may be NULL) is set to a warning to post (an unknown model), or NULL. */
GstApixoRequestSpec *gst_apixo_settings_finish_spec (const GstApixoSettings *s,
                                                     GstApixoRequestSpec *spec,
                                                     gchar **warning,
                                                     GError **error);

/* Any thread.  The cache directory @s names: cache-directory, or
 * "<g_get_user_cache_dir()>/gst-apixo" when unset.  Newly allocated. */
gchar *gst_apixo_settings_cache_directory (const GstApixoSettings *s);

/* Wipes a secret (an API key) from memory, frees it and sets *@secret to
 * NULL: the one place secrets are wiped. */
void gst_apixo_secret_clear (gchar **secret);

G_END_DECLS

#endif /* __GST_APIXO_SETTINGS_H__ */
