/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The values of the properties every apixo element shares.
 *
 * Thread safety notes
 * -------------------
 * - GstApixoSettings has no lock: its owner guards it.  An element's
 *   property values are touched only under its object lock:
 *   gst_apixo_settings_set_property(), _get_property() and the copy
 *   start() takes are called with it held (init and clear run in instance
 *   init and finalize, when no other thread sees the element).  A copy
 *   belongs to the thread that made it.
 * - gst_apixo_settings_install_properties() runs in class_init.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixosettings.h"
#include "gstapixonetpolicy.h"

#include <math.h>
#include <string.h>

#define DEFAULT_BASE_URL "https://api.apixo.ai/api/v1"
#define DEFAULT_EARLY_POLL 3.0
#define DEFAULT_POLL_DELAY -1.0
#define DEFAULT_POLL_INTERVAL -1.0
#define DEFAULT_DEADLINE 1800
#define DEFAULT_PROGRESS_INTERVAL 10.0
#define DEFAULT_SERVER_ADDRESS "127.0.0.1"
#define DEFAULT_JOURNAL TRUE
#define DEFAULT_CACHE FALSE
#define DEFAULT_CACHE_MAX_SIZE (G_GUINT64_CONSTANT (5) << 30) /* 5 GiB */
/* The result download's bounds: a generated clip is tens to hundreds of
 * MB, so 2 GiB leaves room and still stops an endless body long before a
 * disk fills; 1 KiB/s over 30 s only stops a host that has all but
 * stopped (curl's --speed-limit/--speed-time shape). */
#define DEFAULT_MIN_SPEED 1024
#define DEFAULT_MIN_SPEED_TIME 30
#define DEFAULT_MAX_RESULT_SIZE (G_GUINT64_CONSTANT (2) << 30) /* 2 GiB */
#define DEFAULT_DOWNLOAD_DEADLINE 1800

void
gst_apixo_secret_clear (gchar **secret)
{
  if (*secret != NULL)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

gchar *
gst_apixo_settings_cache_directory (const GstApixoSettings *s)
{
  if (s->cache_directory != NULL && *s->cache_directory != '\0')
    return g_strdup (s->cache_directory);
  return g_build_filename (g_get_user_cache_dir (), "gst-apixo", NULL);
}

/* ---- values -------------------------------------------------------------- */

void
gst_apixo_settings_init (GstApixoSettings *s)
{
  const gchar *env;

  memset (s, 0, sizeof (*s));
  env = g_getenv ("APIXO_BASE_URL");
  s->base_url = g_strdup (env && *env ? env : DEFAULT_BASE_URL);
  s->early_poll = DEFAULT_EARLY_POLL;
  s->poll_delay = DEFAULT_POLL_DELAY;
  s->poll_interval = DEFAULT_POLL_INTERVAL;
  s->deadline = DEFAULT_DEADLINE;
  s->progress_interval = DEFAULT_PROGRESS_INTERVAL;
  gst_apixo_http_settings_init (&s->http);
  s->server_address = g_strdup (DEFAULT_SERVER_ADDRESS);
  s->journal = DEFAULT_JOURNAL;
  s->cache = DEFAULT_CACHE;
  s->cache_max_size = DEFAULT_CACHE_MAX_SIZE;
  s->min_speed = DEFAULT_MIN_SPEED;
  s->min_speed_time = DEFAULT_MIN_SPEED_TIME;
  s->max_result_size = DEFAULT_MAX_RESULT_SIZE;
  s->download_deadline = DEFAULT_DOWNLOAD_DEADLINE;
  /* Like souphttpsrc: the proxy defaults to $http_proxy. */
  env = g_getenv ("http_proxy");
  s->http.proxy = g_strdup (env && *env ? env : NULL);
}

void
gst_apixo_settings_clear (GstApixoSettings *s)
{
  gst_apixo_secret_clear (&s->api_key);
  g_clear_pointer (&s->base_url, g_free);
  g_clear_pointer (&s->task_id, g_free);
  g_clear_pointer (&s->save_location, g_free);
  g_clear_pointer (&s->spool_directory, g_free);
  g_clear_pointer (&s->cache_directory, g_free);
  g_clear_pointer (&s->public_url, g_free);
  g_clear_pointer (&s->server_address, g_free);
  g_clear_pointer (&s->callback_url, g_free);
  g_clear_pointer (&s->extra_input, gst_structure_free);
  gst_apixo_http_settings_clear (&s->http);
}

void
gst_apixo_settings_copy (GstApixoSettings *dst, const GstApixoSettings *src)
{
  *dst = *src;
  dst->api_key = g_strdup (src->api_key);
  dst->base_url = g_strdup (src->base_url);
  dst->task_id = g_strdup (src->task_id);
  dst->save_location = g_strdup (src->save_location);
  dst->spool_directory = g_strdup (src->spool_directory);
  dst->cache_directory = g_strdup (src->cache_directory);
  dst->public_url = g_strdup (src->public_url);
  dst->server_address = g_strdup (src->server_address);
  dst->callback_url = g_strdup (src->callback_url);
  dst->extra_input =
      src->extra_input ? gst_structure_copy (src->extra_input) : NULL;
  gst_apixo_http_settings_copy (&dst->http, &src->http);
}

/* ---- the property table -------------------------------------------------- */

/* Ids relative to the first id the element gives, in installation order
 * (the order g_object_class_list_properties() gives). */
enum {
  PROP_API_KEY,
  PROP_BASE_URL,
  PROP_TASK_ID,
  PROP_EARLY_POLL,
  PROP_POLL_DELAY,
  PROP_POLL_INTERVAL,
  PROP_DEADLINE,
  PROP_PROGRESS_INTERVAL,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_RETRY_BACKOFF_FACTOR,
  PROP_RETRY_BACKOFF_MAX,
  PROP_PROXY,
  PROP_SSL_STRICT,
  PROP_TLS_DATABASE,
  PROP_SSL_CA_FILE,
  PROP_USER_AGENT,
  PROP_EXTRA_HEADERS,
  PROP_SAVE_LOCATION,
  PROP_SPOOL_DIRECTORY,
  PROP_MIN_SPEED,
  PROP_MIN_SPEED_TIME,
  PROP_MAX_RESULT_SIZE,
  PROP_DOWNLOAD_DEADLINE,
  PROP_CACHE_DIRECTORY,
  PROP_JOURNAL,
  PROP_CACHE,
  PROP_CACHE_MAX_SIZE,
  PROP_RESUBMIT_UNKNOWN,
  PROP_PUBLIC_URL,
  PROP_SERVER_ADDRESS,
  PROP_SERVER_PORT,
  PROP_PROVIDER,
  PROP_REQUEST_TYPE,
  PROP_CALLBACK_URL,
  PROP_EXTRA_INPUT,
  PROP_MAX_COST,
  PROP_CHECK_BALANCE,
  PROP_ALLOW_INSECURE_HTTP,
  N_PROPS,
};

#define RW                                                                     \
  (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)
/* Numbers take their type's whole range, infinities and NaN included
 * (lax: GLib would drop a NaN with a mere warning): start() checks them
 * with a SETTINGS error, see check_numeric_settings(). */
#define RW_LAX (RW | G_PARAM_LAX_VALIDATION)

static void
install (GObjectClass *klass, guint first, guint id, GParamSpec *pspec)
{
  g_object_class_install_property (klass, first + id, pspec);
}

/* The service, the task and its polling. */
static void
install_task_properties (GObjectClass *klass, guint first)
{
  install (
      klass, first, PROP_API_KEY,
      g_param_spec_string (
          "api-key", "API key",
          "APIXO API key, sent only as a Bearer token to base-url (write-only;"
          " default: the APIXO_API_KEY environment variable)",
          NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  install (klass, first, PROP_BASE_URL,
           g_param_spec_string (
               "base-url", "Base URL",
               "APIXO API base URL (default: the APIXO_BASE_URL environment "
               "variable, else " DEFAULT_BASE_URL ")",
               DEFAULT_BASE_URL, RW));
  install (
      klass, first, PROP_TASK_ID,
      g_param_spec_string (
          "task-id", "Task id",
          "Id of the generation task: set it to resume an existing task "
          "without submitting (the model must match); reads give the task of "
          "the current run once submitted (notified)",
          NULL, RW));
  install (
      klass, first, PROP_EARLY_POLL,
      g_param_spec_double (
          "early-poll", "Early poll",
          "Seconds after submission of an early status check that reports "
          "fast failures (a rejected parameter) before the documented first "
          "poll, 0 to 3600; 0 = none",
          -INFINITY, INFINITY, DEFAULT_EARLY_POLL, RW_LAX));
  install (
      klass, first, PROP_POLL_DELAY,
      g_param_spec_double (
          "poll-delay", "Poll delay",
          "Seconds after submission of the first regular status check, "
          "-1 to 86400; -1 = the model page's advice (e.g. 90 s for veo-3-1)",
          -INFINITY, INFINITY, DEFAULT_POLL_DELAY, RW_LAX));
  install (
      klass, first, PROP_POLL_INTERVAL,
      g_param_spec_double (
          "poll-interval", "Poll interval",
          "Seconds between status checks after the first, -1 to 3600; grows "
          "gently once the model's typical generation time is exceeded; -1 = "
          "the model page's advice (e.g. 5 s for veo-3-1)",
          -INFINITY, INFINITY, DEFAULT_POLL_INTERVAL, RW_LAX));
  install (klass, first, PROP_DEADLINE,
           g_param_spec_uint (
               "deadline", "Deadline",
               "Seconds to wait for the generation in total before giving up "
               "(the task may still run and be billed: it can be resumed with "
               "task-id); 0 = no limit",
               0, G_MAXUINT, DEFAULT_DEADLINE, RW));
  install (
      klass, first, PROP_PROGRESS_INTERVAL,
      g_param_spec_double (
          "progress-interval", "Progress interval",
          "Seconds between two progress reports (a GST_MESSAGE_PROGRESS and "
          "an apixo-task \"state\" message with percent, eta and waiting-for)"
          " while the task is waiting, whatever it waits for: the service, "
          "the model's rate or concurrency limit, a retry; 0.1 to 3600",
          -INFINITY, INFINITY, DEFAULT_PROGRESS_INTERVAL, RW_LAX));
}

/* souphttpsrc's knobs, for every request. */
static void
install_http_properties (GObjectClass *klass, guint first)
{
  install (klass, first, PROP_TIMEOUT,
           g_param_spec_uint (
               "timeout", "Timeout",
               "HTTP I/O timeout: seconds without progress before a request is "
               "abandoned (and retried if safe), 0 to 3600; 0 = none",
               0, G_MAXUINT, GST_APIXO_HTTP_DEFAULT_TIMEOUT, RW));
  install (
      klass, first, PROP_RETRIES,
      g_param_spec_int (
          "retries", "Retries",
          "Retries of a failed HTTP request (429, 5xx, network errors; a "
          "submission only when the task certainly was not created), -1 or "
          "more; -1 = no limit",
          G_MININT, G_MAXINT, GST_APIXO_HTTP_DEFAULT_RETRIES, RW));
  install (
      klass, first, PROP_RETRY_BACKOFF_FACTOR,
      g_param_spec_double (
          "retry-backoff-factor", "Retry backoff factor",
          "Seconds before the first retry, 0 to 3600; doubled for each "
          "further retry, with +-25% jitter, never sooner than Retry-After",
          -INFINITY, INFINITY, GST_APIXO_HTTP_DEFAULT_BACKOFF_FACTOR, RW_LAX));
  install (klass, first, PROP_RETRY_BACKOFF_MAX,
           g_param_spec_double ("retry-backoff-max", "Retry backoff max",
                                "Maximum seconds between retries, 0 to 3600",
                                -INFINITY, INFINITY,
                                GST_APIXO_HTTP_DEFAULT_BACKOFF_MAX, RW_LAX));
  install (klass, first, PROP_PROXY,
           g_param_spec_string (
               "proxy", "Proxy",
               "Proxy of every request: http://[user:password@]host[:port], "
               "host:port, or socks5://host:port (default: the http_proxy "
               "environment variable, with no_proxy; none: the system "
               "settings). Read back with its user and password as ***",
               NULL, RW));
  install (klass, first, PROP_SSL_STRICT,
           g_param_spec_boolean (
               "ssl-strict", "SSL strict",
               "Verify TLS certificates (strongly recommended)", TRUE, RW));
  install (klass, first, PROP_ALLOW_INSECURE_HTTP,
           g_param_spec_boolean (
               "allow-insecure-http", "Allow insecure HTTP",
               "Accept an http:// base-url to a host that is not loopback, "
               "or through a proxy that is not (the API key then crosses "
               "the network in clear text)",
               FALSE, RW));
  install (klass, first, PROP_TLS_DATABASE,
           g_param_spec_object (
               "tls-database", "TLS database",
               "TLS database with the anchor certificate authorities used to "
               "validate the server certificate (default: the system's)",
               G_TYPE_TLS_DATABASE, RW));
  install (klass, first, PROP_SSL_CA_FILE,
           g_param_spec_string (
               "ssl-ca-file", "SSL CA file",
               "A file of PEM CA certificates to trust instead of the system's "
               "(as souphttpsrc's ssl-ca-file; tls-database, when set, comes "
               "first); NULL = the system's",
               NULL, RW));
  install (klass, first, PROP_USER_AGENT,
           g_param_spec_string ("user-agent", "User-Agent",
                                "Value of the User-Agent HTTP request header",
                                GST_APIXO_HTTP_DEFAULT_USER_AGENT, RW));
  install (klass, first, PROP_EXTRA_HEADERS,
           g_param_spec_boxed (
               "extra-headers", "Extra headers",
               "Extra headers for the API requests (not sent to result "
               "hosts): one-line values, any header but Authorization "
               "(api-key), Proxy-Authorization, User-Agent (user-agent), "
               "Host, Content-Type, Content-Length, Transfer-Encoding and "
               "Connection",
               GST_TYPE_STRUCTURE, RW));
}

/* Never pay twice: the journal of runs and the result cache. */
static void
install_pay_once_properties (GObjectClass *klass, guint first)
{
  install (klass, first, PROP_CACHE_DIRECTORY,
           g_param_spec_string (
               "cache-directory", "Cache directory",
               "Directory of the journal of runs (journal/) and the result "
               "cache (results/); may be shared by processes and machines; "
               "NULL = $XDG_CACHE_HOME/gst-apixo (~/.cache/gst-apixo)",
               NULL, RW));
  install (
      klass, first, PROP_JOURNAL,
      g_param_spec_boolean (
          "journal", "Journal",
          "Record every submission durably in the cache directory before it "
          "leaves, so that running the same request again (same base-url, "
          "model, request and save-location) after a crash, a kill or a stop "
          "resumes its task instead of paying for a new one; and so that two "
          "runs of it at once share one task",
          DEFAULT_JOURNAL, RW));
  install (klass, first, PROP_CACHE,
           g_param_spec_boolean (
               "cache", "Cache",
               "Keep finished results in the cache directory and serve an "
               "identical request from there, with no request to the service "
               "(off: repeating a request without a seed usually means "
               "another variation)",
               DEFAULT_CACHE, RW));
  install (klass, first, PROP_CACHE_MAX_SIZE,
           g_param_spec_uint64 (
               "cache-max-size", "Cache max size",
               "Bytes the cached results may take; the least recently used "
               "go first (0 = no bound)",
               0, G_MAXUINT64, DEFAULT_CACHE_MAX_SIZE, RW));
  install (klass, first, PROP_RESUBMIT_UNKNOWN,
           g_param_spec_boolean (
               "resubmit-unknown", "Resubmit unknown",
               "Submit even though the journal records an earlier submission "
               "of this request whose answer never came (the service may have "
               "created, and billed, that task)",
               FALSE, RW));
}

/* The bounds of the result download: a host that trickles, sends without
 * end or takes forever gets a clear error, not a hang or a full disk. */
static void
install_download_properties (GObjectClass *klass, guint first)
{
  static const struct {
    guint id;
    const gchar *name, *nick, *blurb;
    guint default_value;
  } seconds_and_speeds[] = {
    { PROP_MIN_SPEED, "min-speed", "Minimum speed",
      "Bytes per second a result download must average over any "
      "min-speed-time window, or the transfer is dropped and resumed (per "
      "retries); 0 = no check",
      DEFAULT_MIN_SPEED },
    { PROP_MIN_SPEED_TIME, "min-speed-time", "Minimum speed time",
      "Seconds of the window min-speed is measured over, 1 to 3600",
      DEFAULT_MIN_SPEED_TIME },
    { PROP_DOWNLOAD_DEADLINE, "download-deadline", "Download deadline",
      "Seconds the whole result download (all its retries) may take before "
      "it fails (the task id stays valid: set task-id to fetch the result "
      "again); 0 = no limit",
      DEFAULT_DOWNLOAD_DEADLINE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (seconds_and_speeds); i++)
    install (klass, first, seconds_and_speeds[i].id,
             g_param_spec_uint (seconds_and_speeds[i].name,
                                seconds_and_speeds[i].nick,
                                seconds_and_speeds[i].blurb, 0, G_MAXUINT,
                                seconds_and_speeds[i].default_value, RW));
  install (klass, first, PROP_MAX_RESULT_SIZE,
           g_param_spec_uint64 (
               "max-result-size", "Maximum result size",
               "Largest result accepted, in bytes: a larger announced size "
               "fails before the body is read, a body growing past it is cut "
               "there and fails; 0 = no limit",
               0, G_MAXUINT64, DEFAULT_MAX_RESULT_SIZE, RW));
}

/* What lives on this machine: the result's files, the media server that
 * publishes local inputs. */
static void
install_local_properties (GObjectClass *klass, guint first)
{
  install (
      klass, first, PROP_SAVE_LOCATION,
      g_param_spec_string (
          "save-location", "Save location",
          "Keep the finished result at this path (result URLs expire: keep "
          "what you paid for); written as <path>.part, renamed when "
          "complete, with <path>.json beside it (model, prompt, seed, task "
          "id, times, estimated cost); NULL = keep nothing",
          NULL, RW));
  install (klass, first, PROP_SPOOL_DIRECTORY,
           g_param_spec_string (
               "spool-directory", "Spool directory",
               "Directory of the temporary spool file the result is downloaded "
               "into (it has no name there, and goes at stop or when the "
               "process ends); NULL = the system temp directory",
               NULL, RW));
  install_download_properties (klass, first);
  install_pay_once_properties (klass, first);
  install (
      klass, first, PROP_PUBLIC_URL,
      g_param_spec_string (
          "public-url", "Public URL",
          "Local inputs (file:// URIs, sink pad data) are served by an "
          "embedded HTTP server on server-address:server-port; this is the "
          "public http(s) base URL through which the service reaches it (a "
          "tunnel or reverse proxy), e.g. https://media.example.com/apixo. "
          "Not needed when an 'upload' handler stores inputs instead",
          NULL, RW));
  install (klass, first, PROP_SERVER_ADDRESS,
           g_param_spec_string (
               "server-address", "Server address",
               "IP address the embedded media server for local inputs binds to",
               DEFAULT_SERVER_ADDRESS, RW));
  install (
      klass, first, PROP_SERVER_PORT,
      g_param_spec_uint (
          "server-port", "Server port",
          "Port of the embedded media server for local inputs, 0 to 65535 (0 "
          "= any free port; the port in use is posted in apixo-task "
          "messages)",
          0, G_MAXUINT, 0, RW));
}

/* The request fields every model page documents. */
static void
install_request_properties (GObjectClass *klass, guint first)
{
  install (klass, first, PROP_PROVIDER,
           g_param_spec_enum (
               "provider", "Provider",
               "Routing: auto (value first, official as failover), value "
               "(cheaper partner routes) or official; sent only when set "
               "(sora-2-pro: always official)",
               GST_TYPE_APIXO_PROVIDER, GST_APIXO_PROVIDER_AUTO, RW));
  install (klass, first, PROP_REQUEST_TYPE,
           g_param_spec_enum (
               "request-type", "Request type",
               "async, or callback: the service also POSTs the final status "
               "to callback-url (your receiver: the element still polls), or, "
               "without callback-url, to the element's own receiver on "
               "public-url (a delivery wakes the element, which then polls "
               "rarely)",
               GST_TYPE_APIXO_REQUEST_TYPE, GST_APIXO_REQUEST_TYPE_ASYNC, RW));
  install (klass, first, PROP_CALLBACK_URL,
           g_param_spec_string (
               "callback-url", "Callback URL",
               "Public HTTPS URL the service POSTs the final status to "
               "(request-type=callback); unset with public-url set: the "
               "element's own receiver there",
               NULL, RW));
  install (klass, first, PROP_EXTRA_INPUT,
           g_param_spec_boxed (
               "extra-input", "Extra input",
               "Fields merged into the request's \"input\" object, for fields "
               "this version does not know, e.g. \"x,new_field=(int)3\"",
               GST_TYPE_STRUCTURE, RW));
  gst_type_mark_as_plugin_api (GST_TYPE_APIXO_PROVIDER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_APIXO_REQUEST_TYPE, 0);
}

/* Money: what a run will cost and what the account has left. */
static void
install_money_properties (GObjectClass *klass, guint first)
{
  /* any double (lax): start() refuses negatives and NaN with a SETTINGS
   * error, see check_numeric_settings() */
  GParamSpec *max_cost = g_param_spec_double (
      "max-cost", "Max cost",
      "Most USD a request may cost, by the model page's documented price "
      "(wan-2-5-video: duration x price per second of its resolution); a "
      "request estimated above it, or with no documented price, is refused "
      "before anything is sent; 0 = no limit",
      -G_MAXDOUBLE, G_MAXDOUBLE, 0, RW_LAX);

  install (klass, first, PROP_MAX_COST, max_cost);
  install (klass, first, PROP_CHECK_BALANCE,
           g_param_spec_boolean (
               "check-balance", "Check balance",
               "Before submitting, read the account's balance and post it "
               "(apixo-task event 'balance'); a balance below the request's "
               "estimated cost is an error before anything is sent, and so is "
               "a balance that cannot be read",
               FALSE, RW));
}

guint
gst_apixo_settings_install_properties (GObjectClass *klass, guint first_prop_id)
{
  install_task_properties (klass, first_prop_id);
  install_http_properties (klass, first_prop_id);
  install_local_properties (klass, first_prop_id);
  install_request_properties (klass, first_prop_id);
  install_money_properties (klass, first_prop_id);
  return first_prop_id + N_PROPS;
}

/* The rules a few properties add to the plain "store the value" of their
 * type (the value's GType says how it is stored, freed and read). */
typedef enum {
  /* write-only (reads fail), the old value wiped by
   * gst_apixo_secret_clear() */
  FIELD_SECRET = 1 << 0,
  /* a string that NULL sets back to its default: it is never unset */
  FIELD_NULL_IS_DEFAULT = 1 << 1,
  /* a set also stores TRUE in the gboolean at .set_offset: the request
   * sends the field only when the user chose it */
  FIELD_MARKS_SET = 1 << 2,
  /* a URI read back with its user and password as "***": property reads
   * end up in pipeline graphs (GST_DEBUG_DUMP_DOT_DIR) and gst-inspect */
  FIELD_CREDENTIALS_HIDDEN = 1 << 3,
} FieldFlags;

/* Where a property's value lives in GstApixoSettings. */
typedef struct {
  glong offset;
  FieldFlags flags;
  const gchar *fallback; /* FIELD_NULL_IS_DEFAULT */
  glong set_offset;      /* FIELD_MARKS_SET */
} Field;

#define OFFSET(member) G_STRUCT_OFFSET (GstApixoSettings, member)

/* One row per shared property, by the PROP_ id its spec is installed with
 * above.  The setter and getter below store and read a value by its
 * GType, so a row without a rule is only where the value lives. */
static const Field fields[N_PROPS] = {
  [PROP_API_KEY] = { OFFSET (api_key), FIELD_SECRET },
  [PROP_BASE_URL] = { OFFSET (base_url), FIELD_NULL_IS_DEFAULT,
                      DEFAULT_BASE_URL },
  [PROP_TASK_ID] = { OFFSET (task_id) },
  [PROP_EARLY_POLL] = { OFFSET (early_poll) },
  [PROP_POLL_DELAY] = { OFFSET (poll_delay) },
  [PROP_POLL_INTERVAL] = { OFFSET (poll_interval) },
  [PROP_DEADLINE] = { OFFSET (deadline) },
  [PROP_PROGRESS_INTERVAL] = { OFFSET (progress_interval) },
  [PROP_TIMEOUT] = { OFFSET (http.timeout) },
  [PROP_RETRIES] = { OFFSET (http.retries) },
  [PROP_RETRY_BACKOFF_FACTOR] = { OFFSET (http.retry_backoff_factor) },
  [PROP_RETRY_BACKOFF_MAX] = { OFFSET (http.retry_backoff_max) },
  [PROP_PROXY] = { OFFSET (http.proxy), FIELD_CREDENTIALS_HIDDEN },
  [PROP_SSL_STRICT] = { OFFSET (http.ssl_strict) },
  [PROP_TLS_DATABASE] = { OFFSET (http.tls_database) },
  [PROP_SSL_CA_FILE] = { OFFSET (http.ssl_ca_file) },
  [PROP_USER_AGENT] = { OFFSET (http.user_agent) },
  [PROP_EXTRA_HEADERS] = { OFFSET (http.extra_headers) },
  [PROP_SAVE_LOCATION] = { OFFSET (save_location) },
  [PROP_SPOOL_DIRECTORY] = { OFFSET (spool_directory) },
  [PROP_MIN_SPEED] = { OFFSET (min_speed) },
  [PROP_MIN_SPEED_TIME] = { OFFSET (min_speed_time) },
  [PROP_MAX_RESULT_SIZE] = { OFFSET (max_result_size) },
  [PROP_DOWNLOAD_DEADLINE] = { OFFSET (download_deadline) },
  [PROP_CACHE_DIRECTORY] = { OFFSET (cache_directory) },
  [PROP_JOURNAL] = { OFFSET (journal) },
  [PROP_CACHE] = { OFFSET (cache) },
  [PROP_CACHE_MAX_SIZE] = { OFFSET (cache_max_size) },
  [PROP_RESUBMIT_UNKNOWN] = { OFFSET (resubmit_unknown) },
  [PROP_PUBLIC_URL] = { OFFSET (public_url) },
  [PROP_SERVER_ADDRESS] = { OFFSET (server_address), FIELD_NULL_IS_DEFAULT,
                            DEFAULT_SERVER_ADDRESS },
  [PROP_SERVER_PORT] = { OFFSET (server_port) },
  [PROP_PROVIDER] = { OFFSET (provider), FIELD_MARKS_SET, NULL,
                      OFFSET (provider_set) },
  [PROP_REQUEST_TYPE] = { OFFSET (request_type) },
  [PROP_CALLBACK_URL] = { OFFSET (callback_url) },
  [PROP_EXTRA_INPUT] = { OFFSET (extra_input) },
  [PROP_MAX_COST] = { OFFSET (max_cost) },
  [PROP_CHECK_BALANCE] = { OFFSET (check_balance) },
  [PROP_ALLOW_INSECURE_HTTP] = { OFFSET (allow_insecure_http) },
};

/* Enum fields are stored and read as gint, like GLib's enum values. */
G_STATIC_ASSERT (sizeof (GstApixoProvider) == sizeof (gint));
G_STATIC_ASSERT (sizeof (GstApixoRequestType) == sizeof (gint));

/* @proxy as a message or a property read may show it: its user and
 * password, if any, as "***". */
static gchar *
proxy_shown (const gchar *proxy)
{
  const gchar *sep = strstr (proxy, "://");
  const gchar *start = sep ? sep + 3 : proxy;
  const gchar *end = start + strcspn (start, "/?#");
  const gchar *at = g_strrstr_len (start, end - start, "@");

  if (at == NULL)
    return g_strdup (proxy);
  return g_strdup_printf ("%.*s***%s", (gint)(start - proxy), proxy, at);
}

static void
set_string (gchar **field, const Field *f, const GValue *value)
{
  if (f->flags & FIELD_SECRET)
    gst_apixo_secret_clear (field);
  else
    g_free (*field);
  *field = g_value_dup_string (value);
  if (*field == NULL && (f->flags & FIELD_NULL_IS_DEFAULT))
    *field = g_strdup (f->fallback);
}

/* A copy of a boxed value (a GstStructure): the old one is freed. */
static void
set_boxed (gpointer *field, const GValue *value)
{
  if (*field != NULL)
    g_boxed_free (G_VALUE_TYPE (value), *field);
  *field = g_value_dup_boxed (value);
}

gboolean
gst_apixo_settings_set_property (GstApixoSettings *s, guint id,
                                 const GValue *value)
{
  const Field *f = id < N_PROPS ? &fields[id] : NULL;
  gpointer field;

  if (f == NULL)
    return FALSE;
  field = G_STRUCT_MEMBER_P (s, f->offset);
  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    case G_TYPE_STRING:
      set_string (field, f, value);
      break;
    case G_TYPE_DOUBLE:
      *(gdouble *)field = g_value_get_double (value);
      break;
    case G_TYPE_UINT:
      *(guint *)field = g_value_get_uint (value);
      break;
    case G_TYPE_UINT64:
      *(guint64 *)field = g_value_get_uint64 (value);
      break;
    case G_TYPE_INT:
      *(gint *)field = g_value_get_int (value);
      break;
    case G_TYPE_BOOLEAN:
      *(gboolean *)field = g_value_get_boolean (value);
      break;
    case G_TYPE_ENUM:
      *(gint *)field = g_value_get_enum (value);
      break;
    case G_TYPE_OBJECT: /* a ref */
      g_clear_object ((GObject **)field);
      *(gpointer *)field = g_value_dup_object (value);
      break;
    case G_TYPE_BOXED:
      set_boxed (field, value);
      break;
    default:
      /* a row of a type this table does not store yet */
      g_return_val_if_reached (FALSE);
  }
  if (f->flags & FIELD_MARKS_SET)
    G_STRUCT_MEMBER (gboolean, s, f->set_offset) = TRUE;
  return TRUE;
}

gboolean
gst_apixo_settings_get_property (const GstApixoSettings *s, guint id,
                                 GValue *value)
{
  const Field *f = id < N_PROPS ? &fields[id] : NULL;
  gconstpointer field;

  /* api-key is write-only: never readable */
  if (f == NULL || (f->flags & FIELD_SECRET))
    return FALSE;
  field = G_STRUCT_MEMBER_P (s, f->offset);
  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value))) {
    case G_TYPE_STRING:
      if ((f->flags & FIELD_CREDENTIALS_HIDDEN) && *(gchar *const *)field)
        g_value_take_string (value, proxy_shown (*(gchar *const *)field));
      else
        g_value_set_string (value, *(gchar *const *)field);
      break;
    case G_TYPE_DOUBLE:
      g_value_set_double (value, *(const gdouble *)field);
      break;
    case G_TYPE_UINT:
      g_value_set_uint (value, *(const guint *)field);
      break;
    case G_TYPE_UINT64:
      g_value_set_uint64 (value, *(const guint64 *)field);
      break;
    case G_TYPE_INT:
      g_value_set_int (value, *(const gint *)field);
      break;
    case G_TYPE_BOOLEAN:
      g_value_set_boolean (value, *(const gboolean *)field);
      break;
    case G_TYPE_ENUM:
      g_value_set_enum (value, *(const gint *)field);
      break;
    case G_TYPE_OBJECT:
      g_value_set_object (value, *(gpointer const *)field);
      break;
    case G_TYPE_BOXED:
      g_value_set_boxed (value, *(gconstpointer const *)field);
      break;
    default:
      g_return_val_if_reached (FALSE);
  }
  return TRUE;
}

/* ---- checks ------------------------------------------------------------- */

static gboolean
check_base_url (const gchar *url, GError **error)
{
  /* GUri takes white space in a host name: refuse it first */
  GUri *uri = url && !strpbrk (url, " \t\r\n\v\f")
                  ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL)
                  : NULL;
  gboolean ok = uri != NULL &&
                (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
                 g_strcmp0 (g_uri_get_scheme (uri), "https") == 0) &&
                g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';

  g_clear_pointer (&uri, g_uri_unref);
  if (ok)
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "base-url '%s' is not valid: an http:// or https:// URL with a "
               "host is required (default %s)",
               GST_STR_NULL (url), DEFAULT_BASE_URL);
  return FALSE;
}

/* The host of @uri is loopback. */
static gboolean
uri_is_loopback (const gchar *uri)
{
  GUri *parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  GstApixoNetClass net_class;
  gboolean loopback =
      parsed != NULL &&
      gst_apixo_net_class_of_host (g_uri_get_host (parsed), &net_class) &&
      net_class == GST_APIXO_NET_CLASS_LOOPBACK;

  g_clear_pointer (&parsed, g_uri_unref);
  return loopback;
}

/* The Bearer key goes with every API request: in clear text only to this
 * host (directly, or through a proxy on this host), unless the user said
 * so.  Only the proxy setting is looked at (the system's proxy settings
 * may need I/O to resolve). */
static gboolean
check_base_url_secure (const GstApixoSettings *s, GError **error)
{
  gchar *via, *via_shown;

  /* g_uri_peek_scheme() gives the scheme in lower case */
  if (s->allow_insecure_http ||
      g_strcmp0 (g_uri_peek_scheme (s->base_url), "https") == 0)
    return TRUE;
  if (!uri_is_loopback (s->base_url)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "base-url '%s' would send the API key in clear text: http:// "
                 "is allowed only to a loopback host (localhost, 127.0.0.0/8, "
                 "::1); use https://, or set allow-insecure-http=true",
                 s->base_url);
    return FALSE;
  }
  via = gst_apixo_net_proxy_for (s->http.proxy, s->base_url);
  if (via == NULL || uri_is_loopback (via)) {
    g_free (via);
    return TRUE;
  }
  via_shown = proxy_shown (via);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "base-url '%s' would send the API key in clear text through "
               "the proxy '%s' (the proxy property, or $http_proxy): http:// "
               "is allowed only when it stays on this host; use https://, add "
               "the host to $no_proxy, or set allow-insecure-http=true",
               s->base_url, via_shown);
  g_free (via_shown);
  g_free (via);
  return FALSE;
}

static gboolean
check_ssl_ca_file (GstApixoHttpSettings *http, GError **error)
{
  GError *load_error = NULL;

  if (gst_apixo_http_settings_load_ca_file (http, &load_error))
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "ssl-ca-file '%s': %s (allowed: a readable file of PEM "
               "CA certificates)",
               http->ssl_ca_file, load_error->message);
  g_error_free (load_error);
  return FALSE;
}

/* The proxies GIO and libsoup reach: HTTP (libsoup's own, with CONNECT
 * for https://) and SOCKS (GIO's). */
static const gchar *const PROXY_SCHEMES[] = { "http",    "socks",  "socks4",
                                              "socks4a", "socks5", NULL };

/* Like souphttpsrc, "host:port" means http://host:port (the run's copy is
 * completed). */
static gboolean
check_proxy (GstApixoHttpSettings *http, GError **error)
{
  GUri *uri = NULL;
  gchar *shown;
  gboolean ok;

  if (http->proxy == NULL || *http->proxy == '\0')
    return TRUE;
  if (strstr (http->proxy, "://") == NULL) {
    gchar *full = g_strconcat ("http://", http->proxy, NULL);

    g_free (http->proxy);
    http->proxy = full;
  }
  /* GUri takes white space in a host name: refuse it first */
  if (!strpbrk (http->proxy, " \t\r\n\v\f"))
    uri = g_uri_parse (http->proxy, G_URI_FLAGS_HAS_PASSWORD, NULL);
  ok = uri != NULL && g_strv_contains (PROXY_SCHEMES, g_uri_get_scheme (uri)) &&
       g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
       strspn (g_uri_get_path (uri), "/") == strlen (g_uri_get_path (uri)) &&
       g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL;
  g_clear_pointer (&uri, g_uri_unref);
  if (ok)
    return TRUE;
  shown = proxy_shown (http->proxy);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "proxy '%s' is not valid (the property, or $http_proxy when "
               "it is not set) (allowed: http://[user:password@]host[:port], "
               "host:port, or a socks://, socks4://, socks4a:// or socks5:// "
               "proxy)",
               shown);
  g_free (shown);
  return FALSE;
}

/* Headers the element sets itself, which extra-headers may not set, and
 * where their value goes instead. */
static const struct {
  const gchar *name, *instead;
} OWN_HEADERS[] = {
  { "Authorization", "; the key goes in api-key" },
  { "Proxy-Authorization", "; proxy credentials go in the proxy URI" },
  { "User-Agent", "; use the user-agent property" },
  { "Host", "" },
  { "Content-Type", "" },
  { "Content-Length", "" },
  { "Transfer-Encoding", "" },
  { "Connection", "" },
};

/* A header name (RFC 9110 token): letters, digits and these. */
#define HEADER_NAME_SYMBOLS "!#$%&'*+-.^_`|~"
#define HEADER_NAME_CHARS                                                      \
  "abcdefghijklmnopqrstuvwxyz"                                                 \
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"                                                 \
  "0123456789" HEADER_NAME_SYMBOLS

/* One line of printable text (tabs allowed): what a header value may be. */
static gboolean
header_value_ok (const gchar *value)
{
  for (const guchar *p = (const guchar *)value; *p != '\0'; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* gst_structure_foreach(): FALSE (and *@data, a GError **, set) at the
 * first field extra-headers may not send. */
static gboolean
check_one_header (GQuark field, const GValue *value, gpointer data)
{
  GError **error = data;
  const gchar *name = g_quark_to_string (field);
  gchar *text = G_VALUE_HOLDS_STRING (value) ? g_value_dup_string (value)
                                             : gst_value_serialize (value);
  gboolean ok = FALSE;

  if (*name == '\0' || strspn (name, HEADER_NAME_CHARS) != strlen (name)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "extra-headers: '%s' is not a header name (allowed: "
                 "letters, digits and %s)",
                 name, HEADER_NAME_SYMBOLS);
    goto out;
  }
  for (guint i = 0; i < G_N_ELEMENTS (OWN_HEADERS); i++) {
    if (g_ascii_strcasecmp (name, OWN_HEADERS[i].name) != 0)
      continue;
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "extra-headers: '%s' is set by the element (allowed: any "
                 "other header%s)",
                 name, OWN_HEADERS[i].instead);
    goto out;
  }
  if (text == NULL || !header_value_ok (text)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "extra-headers: the value of '%s' is not one line of text "
                 "(allowed: printable characters and tabs, no line break)",
                 name);
    goto out;
  }
  ok = TRUE;
out:
  g_free (text);
  return ok;
}

/* user-agent goes in a header as given (NULL or "": none is sent). */
static gboolean
check_user_agent (const GstApixoHttpSettings *http, GError **error)
{
  gchar *shown;

  if (http->user_agent == NULL || header_value_ok (http->user_agent))
    return TRUE;
  shown = g_strescape (http->user_agent, NULL);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "user-agent '%s' is not one line of text (allowed: printable "
               "characters and tabs, no line break)",
               shown);
  g_free (shown);
  return FALSE;
}

/* Every extra header can be sent as given: libsoup would drop a bad one
 * with a critical warning and send the request without it. */
static gboolean
check_extra_headers (const GstApixoHttpSettings *http, GError **error)
{
  return http->extra_headers == NULL ||
         gst_structure_foreach (http->extra_headers, check_one_header, error);
}

/* The ranges the numeric properties document (they take any value of
 * their type, so that GLib never drops one with a mere warning). */
static gboolean
check_numeric_settings (const GstApixoSettings *s, const gchar **property,
                        GError **error)
{
  const struct {
    const gchar *name;
    gdouble value, min, max;
    const gchar *allowed;
  } limits[] = {
    { "early-poll", s->early_poll, 0, 3600, "0 to 3600 seconds, 0 = none" },
    { "poll-delay", s->poll_delay, -1, 86400,
      "-1 to 86400 seconds, -1 = the model page's advice" },
    { "poll-interval", s->poll_interval, -1, 3600,
      "-1 to 3600 seconds, -1 = the model page's advice" },
    { "progress-interval", s->progress_interval, 0.1, 3600,
      "0.1 to 3600 seconds" },
    { "timeout", s->http.timeout, 0, 3600, "0 to 3600 seconds, 0 = none" },
    { "retries", s->http.retries, -1, G_MAXINT,
      "-1 = no limit, or 0 to 2147483647" },
    { "retry-backoff-factor", s->http.retry_backoff_factor, 0, 3600,
      "0 to 3600 seconds" },
    { "retry-backoff-max", s->http.retry_backoff_max, 0, 3600,
      "0 to 3600 seconds" },
    { "min-speed-time", s->min_speed_time, 1, 3600, "1 to 3600 seconds" },
    { "server-port", s->server_port, 0, 65535,
      "0 = any free port, or 1 to 65535" },
    { "max-cost", s->max_cost, 0, G_MAXDOUBLE,
      "0 = no limit, or a positive amount of USD" },
  };
  gchar shown[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++) {
    /* NaN fails both comparisons */
    if (limits[i].value >= limits[i].min && limits[i].value <= limits[i].max)
      continue;
    g_ascii_formatd (shown, sizeof (shown), "%.15g", limits[i].value);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "%s %s is out of range (allowed: %s)", limits[i].name, shown,
                 limits[i].allowed);
    *property = limits[i].name;
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_apixo_settings_check (GstApixoSettings *s, const gchar **property,
                          GError **error)
{
  if (!check_base_url (s->base_url, error)) {
    *property = "base-url";
    return FALSE;
  }
  if (!check_numeric_settings (s, property, error))
    return FALSE;
  if (!check_ssl_ca_file (&s->http, error)) {
    *property = "ssl-ca-file";
    return FALSE;
  }
  if (!check_proxy (&s->http, error)) {
    *property = "proxy";
    return FALSE;
  }
  if (!check_extra_headers (&s->http, error)) {
    *property = "extra-headers";
    return FALSE;
  }
  if (!check_user_agent (&s->http, error)) {
    *property = "user-agent";
    return FALSE;
  }
  /* after check_proxy(): "host:port" is a URI by now */
  if (!check_base_url_secure (s, error)) {
    *property = "base-url";
    return FALSE;
  }
  return TRUE;
}

/* ---- max-cost ------------------------------------------------------------ */

/* The estimate is known and above max-cost. */
static void
set_over_max_cost (const GstApixoSettings *s, const GstApixoRequestSpec *spec,
                   gdouble estimate, GError **error)
{
  gchar *max = gst_apixo_usd_to_string (s->max_cost);
  gchar *cost = gst_apixo_usd_to_string (estimate);

  g_set_error (
      error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "max-cost %s is below the estimated cost of this request, %s "
      "(%s, %g s billed at the price its page documents for %s at "
      "%s) (allowed: 0 = no limit, or at least %s)",
      max, cost, spec->model, gst_apixo_request_spec_billed_seconds (spec),
      GST_STR_NULL (spec->mode),
      spec->resolution ? spec->resolution : "its default resolution", cost);
  g_free (max);
  g_free (cost);
}

gboolean
gst_apixo_settings_check_max_cost (const GstApixoSettings *s,
                                   const GstApixoRequestSpec *spec,
                                   gdouble *estimate, GError **error)
{
  gchar *why = NULL, *max;

  *estimate = -1;
  if (s->max_cost == 0)
    return TRUE;
  if (gst_apixo_request_spec_estimate_cost (spec, -1, estimate, &why)) {
    if (*estimate <= s->max_cost)
      return TRUE;
    set_over_max_cost (s, spec, *estimate, error);
    return FALSE;
  }
  /* never a guess: a limit that cannot be checked is not a limit */
  *estimate = -1;
  max = gst_apixo_usd_to_string (s->max_cost);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
               "max-cost %s cannot be honoured: the cost of this request "
               "cannot be estimated, as %s (allowed for this request: 0 = no "
               "limit)",
               max, why);
  g_free (max);
  g_free (why);
  return FALSE;
}

/* The fields of the request every model shares, from the settings. */
static void
add_request_fields (const GstApixoSettings *s, GstApixoRequestSpec *spec)
{
  spec->provider = s->provider;
  spec->provider_set = s->provider_set;
  spec->request_type = s->request_type;
  g_free (spec->callback_url);
  spec->callback_url = g_strdup (s->callback_url);
  spec->callback_receiver =
      s->request_type == GST_APIXO_REQUEST_TYPE_CALLBACK &&
      (s->callback_url == NULL || *s->callback_url == '\0') &&
      s->public_url != NULL && *s->public_url != '\0';
  g_clear_pointer (&spec->extra_input, gst_structure_free);
  spec->extra_input =
      s->extra_input ? gst_structure_copy (s->extra_input) : NULL;
}

GstApixoRequestSpec *
gst_apixo_settings_finish_spec (const GstApixoSettings *s,
                                GstApixoRequestSpec *spec, gchar **warning,
                                GError **error)
{
  if (warning != NULL)
    *warning = NULL;
  add_request_fields (s, spec);
  if (s->task_id == NULL) {
    gst_apixo_request_spec_derive (spec);
    if (!gst_apixo_request_spec_validate (spec, warning, error))
      g_clear_pointer (&spec, gst_apixo_request_spec_free);
  } else if (spec->model == NULL) {
    g_set_error (
        error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "model is not set: resuming task-id needs the model of the task");
    g_clear_pointer (&spec, gst_apixo_request_spec_free);
  }
  return spec;
}
