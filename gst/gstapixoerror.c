/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The one way out for the apixo elements' errors and warnings.  No state:
 * callable from any thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixoerror.h"

GstStructure *
gst_apixo_error_details_new (const gchar *reason, ...)
{
  GstStructure *details;
  const gchar *first_field;
  va_list args;

  details = gst_structure_new (GST_APIXO_ERROR_DETAILS_NAME,
                               GST_APIXO_ERROR_FIELD_REASON, G_TYPE_STRING,
                               reason, NULL);
  va_start (args, reason);
  first_field = va_arg (args, const gchar *);
  if (first_field != NULL)
    gst_structure_set_valist (details, first_field, args);
  va_end (args);
  return details;
}

/* The reason of an error that came without details: what the GError's
 * domain and code say. */
static const gchar *
reason_for (const GError *error)
{
  if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS))
    return GST_APIXO_REASON_SETTINGS;
  return GST_APIXO_REASON_OTHER;
}

void
gst_apixo_error_post (GstElement *element, GstMessageType type,
                      const GError *error, GstStructure *details,
                      const gchar *file, const gchar *function, gint line)
{
  g_return_if_fail (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING);

  if (details == NULL)
    details = gst_apixo_error_details_new (reason_for (error), NULL);
  else if (!gst_structure_has_field (details, GST_APIXO_ERROR_FIELD_REASON))
    gst_structure_set (details, GST_APIXO_ERROR_FIELD_REASON, G_TYPE_STRING,
                       reason_for (error), NULL);
  gst_structure_set_name (details, GST_APIXO_ERROR_DETAILS_NAME);

  /* The debug string repeats the details, as souphttpsrc's do: text logs
   * show them too.  Nothing secret is ever put in a details structure. */
  gst_element_message_full_with_details (
      element, type, error->domain, error->code, g_strdup (error->message),
      gst_structure_to_string (details), file, function, line, details);
}
