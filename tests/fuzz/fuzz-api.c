/* gst-apixo: libFuzzer target for the API answer parsers.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Feeds any bytes to gst_apixo_client_parse_submit() and
 * gst_apixo_client_parse_status(), as the body of an HTTP answer with a
 * status picked by the input, and checks what every caller relies on:
 * exactly one of "a result" and "an error"; a submitted task id that
 * passes gst_apixo_task_id_is_valid(); a success with at least one http(s)
 * result URI; every string valid UTF-8 without control characters.
 * AddressSanitizer (and LeakSanitizer) catch the rest.
 *
 * Input layout: byte 0 bit 0 chooses the parser (0 submit, 1 status),
 * byte 1 the HTTP status (from STATUSES), the rest is the body.
 *
 * Built only with -Dfuzz=enabled and clang; see docs/testing.md.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gstapixoclient.h"
#include "gstapixoerror.h"

#define KEY "sk-fuzz-0123456789"
#define TASK_ID "task_fuzz"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Mostly 200 (where the parsing is), then every status the pages name. */
static const guint STATUSES[] = { 200, 200, 200, 200, 200, 200, 200, 200,
                                  400, 401, 402, 403, 404, 429, 500, 502,
                                  503, 504, 0,   204, 301, 418, 599, 999 };

static GstApixoClient *client;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GstApixoSettings settings;
  GstApixoRequestSpec *spec;
  GstApixoRunConfig *config;

  gst_init (NULL, NULL);
  spec = gst_apixo_request_spec_new ();
  spec->model = g_strdup ("veo-3-1");
  gst_apixo_settings_init (&settings);
  g_free (settings.base_url);
  settings.base_url = g_strdup ("http://127.0.0.1:1/api/v1/");
  g_clear_pointer (&settings.http.proxy, g_free);
  settings.api_key = g_strdup (KEY);
  config = gst_apixo_run_config_new (&settings, spec, NULL);
  g_assert (config != NULL);
  client = gst_apixo_client_new (config);
  gst_apixo_run_config_unref (config);
  return 0;
}

/* What the parsers promise of the strings they hand out. */
static void
check_text (const gchar *text)
{
  const gchar *p;

  if (text == NULL)
    return;
  g_assert (g_utf8_validate (text, -1, NULL));
  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    g_assert (!g_unichar_iscntrl (g_utf8_get_char (p)));
#ifdef GST_APIXO_REASON_BLOCKED_ADDRESS
  /* issue 15 point 4 (with the network-trust work merged): no string from
   * the network carries the key any further */
  g_assert (strstr (text, KEY) == NULL);
#endif
}

static void
check_error (GstApixoApiError *err, gboolean failed)
{
  g_assert (failed == (err->error != NULL));
  if (err->error != NULL) {
    g_assert (err->error->domain == GST_RESOURCE_ERROR);
    g_assert (g_utf8_validate (err->error->message, -1, NULL));
#ifdef GST_APIXO_REASON_BLOCKED_ADDRESS
    g_assert (strstr (err->error->message, KEY) == NULL);
#endif
  }
}

static void
fuzz_submit (guint status, GBytes *body)
{
  GstApixoApiError err = { 0 };
  gchar *task_id = gst_apixo_client_parse_submit (client, status, body, &err);

  check_error (&err, task_id == NULL);
  if (task_id != NULL) {
    g_assert (gst_apixo_task_id_is_valid (task_id));
#ifdef GST_APIXO_REASON_BLOCKED_ADDRESS
    g_assert (strstr (task_id, KEY) == NULL);
#endif
  }
  g_free (task_id);
  gst_apixo_api_error_clear (&err);
}

static void
fuzz_status (guint status, GBytes *body)
{
  GstApixoApiError err = { 0 };
  GstApixoTaskStatus *st;
  gchar **uri;

  st = gst_apixo_client_parse_status (client, TASK_ID, status, body, &err);
  check_error (&err, st == NULL);
  if (st != NULL) {
    g_assert_cmpstr (st->task_id, ==, TASK_ID);
    g_assert (st->state != NULL && *st->state != '\0');
    check_text (st->state);
    check_text (st->fail_code);
    check_text (st->fail_msg);
    if (g_str_equal (st->state, "success")) {
      g_assert (st->result_uris != NULL && st->result_uris[0] != NULL);
      for (uri = st->result_uris; *uri != NULL; uri++) {
        /* schemes are case-insensitive (RFC 3986 3.1): "hTtps://" is an
         * https URL */
        g_assert (g_ascii_strncasecmp (*uri, "http://", 7) == 0 ||
                  g_ascii_strncasecmp (*uri, "https://", 8) == 0);
#ifdef GST_APIXO_REASON_BLOCKED_ADDRESS
        g_assert (strstr (*uri, KEY) == NULL);
#endif
      }
    }
  }
  g_clear_pointer (&st, gst_apixo_task_status_free);
  gst_apixo_api_error_clear (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *body;
  guint status;

  if (size < 2)
    return 0;
  status = STATUSES[data[1] % G_N_ELEMENTS (STATUSES)];
  body = g_bytes_new (data + 2, size - 2);
  if (data[0] & 1)
    fuzz_status (status, body);
  else
    fuzz_submit (status, body);
  g_bytes_unref (body);
  return 0;
}
