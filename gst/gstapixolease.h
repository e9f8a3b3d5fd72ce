/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_APIXO_LEASE_H__
#define __GST_APIXO_LEASE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstApixoLease:
 *
 * An exclusive claim on a name in a directory, shared by processes and
 * machines (NFS included) without flock: the lease file is created with
 * O_CREAT|O_EXCL and holds who holds it (a random token, host name, boot
 * id, pid and the pid's start time); the holder renews it (a heartbeat:
 * its mtime is touched every GST_APIXO_LEASE_HEARTBEAT_S seconds from a
 * timeout on the given main context).  A lease is dead when its holder
 * is on this host (same host name and boot id) and its process is gone
 * (or is another process with the same pid: the start time differs), or
 * when its mtime is older than GST_APIXO_LEASE_TTL_S.  A lease held by
 * this very process (another pipeline) is live; a lease file that does
 * not parse (its holder is writing it, or was killed before it could) is
 * live for a few seconds after its mtime, then dead.  A dead lease is
 * broken under a "<path>.break" file, itself created with O_EXCL (and
 * removed when older than the TTL), so that two breakers cannot both
 * take it over.
 */
typedef struct _GstApixoLease GstApixoLease;

#define GST_APIXO_LEASE_HEARTBEAT_S 10
#define GST_APIXO_LEASE_TTL_S 60

/* Any thread.  Tries to take the lease at @path (its directory must exist).
 * Returns the lease, renewed on @context (NULL: the global default
 * context) until released; or NULL with no error when a live holder has
 * it (*@holder, if not NULL, is set to the holder's token, to tell
 * whether the same holder is still there later; "" when its lease file
 * cannot be parsed yet);
 * or NULL with @error when the file cannot be created or read (not a
 * live holder: a read-only or full directory...). */
GstApixoLease *gst_apixo_lease_try_acquire (const gchar *path,
                                            GMainContext *context,
                                            gchar **holder, GError **error);

/* The random token of this lease (32 hex digits). */
const gchar *gst_apixo_lease_get_token (GstApixoLease *lease);

/* Any thread.  Stops the heartbeat, removes the lease file if it is still
 * ours (same token), frees.  NULL is ignored. */
void gst_apixo_lease_release (GstApixoLease *lease);

G_END_DECLS

#endif /* __GST_APIXO_LEASE_H__ */
