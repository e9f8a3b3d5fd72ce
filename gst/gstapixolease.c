/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Leases: an exclusive claim on a name, shared by processes and machines
 * through the file system alone (no flock: it is not reliable over NFS).
 *
 * Thread safety notes
 * -------------------
 * A GstApixoLease's path and token are immutable after try_acquire(); its
 * heartbeat pointer is only used by its owner (release()).  It is
 * reference counted (g_atomic_rc_box): one reference for its owner,
 * dropped by release(), one for the heartbeat source, dropped when the
 * source is finalized.  So release() may run on any thread while the
 * heartbeat runs on the context's thread: g_source_destroy() is
 * thread-safe, and a heartbeat already dispatching keeps the lease alive
 * until it returns (at worst it touches a file that is gone).  No locks.
 *
 * Design
 * ------
 * - The lease file is created with O_CREAT|O_EXCL (atomic on local
 *   filesystems and NFS v3 and later) and holds JSON: token, host name,
 *   boot id, pid namespace, pid and the pid's start time.
 * - A holder on this machine (same host name, boot id and pid namespace)
 *   is checked directly: it is dead when its pid is gone, a zombie, or
 *   now another process (another start time); so this very process is
 *   live (another of its pipelines holds the name).  A holder elsewhere is
 *   judged by the lease file's mtime, renewed every
 *   GST_APIXO_LEASE_HEARTBEAT_S: dead once older than
 *   GST_APIXO_LEASE_TTL_S.  This needs the clocks of the machines sharing
 *   the directory (and of the NFS server, which sets the mtime) to agree
 *   within much less than the TTL.
 * - A lease file that does not parse (its holder was killed between
 *   creating and writing it, or is writing it right now) is live for
 *   LEASE_GRACE_S after its mtime, then dead.
 * - Breaking a dead lease: "<path>.break" is created with O_EXCL; under
 *   it, the lease file is read again and unlinked only if it is still the
 *   same dead lease (same inode and token, judged dead again), then the
 *   break file is removed.  A breaker killed in those few milliseconds
 *   leaves the break file, removed by the next breaker once older than the
 *   TTL.  Then everyone races for O_EXCL again: exactly one wins.
 * - The heartbeat reads the file before touching it: a lease broken while
 *   this process was stalled for longer than the TTL is not renewed (its
 *   new holder's file would be) and the heartbeat stops with a warning.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixolease.h"
#include "gstapixodurable.h"
#include "gstapixojson.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (apixo_lease_debug);
#define GST_CAT_DEFAULT apixo_lease_debug

/* How long a lease file that does not parse counts as being written. */
#define LEASE_GRACE_S 5
/* A lease file is a few hundred bytes: anything larger is not one. */
#define LEASE_MAX_SIZE 4096
#define LEASE_MAX_FIELD 256
/* Rounds of create / examine / break before reporting the name held:
 * each round either takes the lease, finds a live holder, or saw the file
 * change under it (another process took or broke it meanwhile). */
#define LEASE_MAX_ROUNDS 8
/* Pause between rounds while another process holds the break file (it
 * holds it for a check and an unlink). */
#define LEASE_BREAK_WAIT_US 2000

struct _GstApixoLease {
  gchar *path;
  gchar *token;
  GSource *heartbeat; /* a reference; NULL once released */
};

/* This machine, as lease files name it: read once per process (none of it
 * changes, not even across fork()). */
typedef struct {
  const gchar *host;
  const gchar *boot_id; /* "" without /proc */
  const gchar *pid_ns;  /* "" without /proc */
} LeaseMachine;

/* The holder a lease file names (its strings point into root). */
typedef struct {
  JsonNode *root;
  const gchar *token;
  const gchar *host;
  const gchar *boot_id;
  const gchar *pid_ns;
  gint64 pid;
  gint64 pid_start;
} LeaseHolder;

/* One reading of a lease file. */
typedef struct {
  LeaseHolder *holder; /* NULL: the content does not parse */
  GStatBuf st;
  gboolean live;
} LeaseReading;

typedef enum {
  READ_OK,
  READ_GONE, /* no lease file (any more) */
  READ_ERROR,
} ReadResult;

static LeaseMachine machine;

/* ---- this process ------------------------------------------------------ */

static gchar *
read_proc_line (const gchar *path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return g_strstrip (text);
}

/* Once per process: the debug category and this machine's identity (kept
 * for the life of the process). */
static const LeaseMachine *
this_machine (void)
{
  static gsize done = 0;
  gchar *pid_ns;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (apixo_lease_debug, "apixolease", 0,
                             "APIXO leases");
    pid_ns = g_file_read_link ("/proc/self/ns/pid", NULL);
    machine.host = g_strdup (g_get_host_name ());
    machine.boot_id = read_proc_line ("/proc/sys/kernel/random/boot_id");
    machine.pid_ns = pid_ns ? pid_ns : g_strdup ("");
    g_once_init_leave (&done, 1);
  }
  return &machine;
}

/* Start time (clock ticks after boot) and state letter of @pid, from
 * /proc/<pid>/stat.  FALSE if there is no such process (or no /proc). */
static gboolean
proc_stat (gint64 pid, gint64 *start, gchar *state)
{
  gchar *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/stat", pid);
  gchar *text = NULL, *end;
  gchar **fields = NULL;
  gboolean ok = FALSE;

  /* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so
   * fields are counted after the last ')'; starttime is field 22. */
  if (g_file_get_contents (path, &text, NULL, NULL) &&
      (end = strrchr (text, ')')) != NULL && end[1] == ' ') {
    fields = g_strsplit (end + 2, " ", 21);
    if (g_strv_length (fields) >= 20) {
      *state = fields[0][0];
      *start = g_ascii_strtoll (fields[19], NULL, 10);
      ok = TRUE;
    }
  }
  g_strfreev (fields);
  g_free (text);
  g_free (path);
  return ok;
}

/* ---- the lease file ---------------------------------------------------- */

/* What this process writes in a lease file it creates. */
static gchar *
lease_json (const gchar *token, gsize *length)
{
  const LeaseMachine *m = this_machine ();
  JsonBuilder *b = gst_apixo_json_object_begin ();
  gint64 start = 0;
  gchar state;

  if (!proc_stat (getpid (), &start, &state))
    start = 0;
  gst_apixo_json_add_string (b, "token", token);
  gst_apixo_json_add_string (b, "host", m->host);
  gst_apixo_json_add_string (b, "boot-id", m->boot_id);
  gst_apixo_json_add_string (b, "pid-ns", m->pid_ns);
  gst_apixo_json_add_int (b, "pid", getpid ());
  gst_apixo_json_add_int (b, "pid-start", start);
  return gst_apixo_json_object_end (b, FALSE, length);
}

static void
holder_free (LeaseHolder *h)
{
  json_node_unref (h->root);
  g_free (h);
}

/* A string member of at most LEASE_MAX_FIELD bytes, else NULL. */
static const gchar *
short_string (JsonObject *obj, const gchar *name)
{
  const gchar *value = gst_apixo_json_get_string (obj, name);

  return value && strlen (value) <= LEASE_MAX_FIELD ? value : NULL;
}

/* The holder that @text (untrusted) names, NULL if it does not parse. */
static LeaseHolder *
holder_from_json (const gchar *text, gsize length)
{
  JsonNode *root = gst_apixo_json_parse_object (text, length, NULL);
  JsonObject *obj = root ? json_node_get_object (root) : NULL;
  LeaseHolder *h;

  if (root == NULL)
    return NULL;
  h = g_new0 (LeaseHolder, 1);
  h->root = root;
  h->token = short_string (obj, "token");
  h->host = short_string (obj, "host");
  h->boot_id = short_string (obj, "boot-id");
  h->pid_ns = short_string (obj, "pid-ns");
  h->pid = gst_apixo_json_get_int (obj, "pid", -1);
  h->pid_start = gst_apixo_json_get_int (obj, "pid-start", -1);
  if (h->token == NULL || *h->token == '\0' || h->host == NULL ||
      h->boot_id == NULL || h->pid_ns == NULL || h->pid <= 0 ||
      h->pid > G_MAXINT || h->pid_start < 0)
    g_clear_pointer (&h, holder_free);
  return h;
}

/* ---- liveness ---------------------------------------------------------- */

/* Same host name, same boot, same pid namespace: its pids are ours. */
static gboolean
on_this_machine (const LeaseHolder *h)
{
  const LeaseMachine *m = this_machine ();

  return *m->boot_id != '\0' && *m->pid_ns != '\0' &&
         g_str_equal (h->host, m->host) &&
         g_str_equal (h->boot_id, m->boot_id) &&
         g_str_equal (h->pid_ns, m->pid_ns);
}

static gboolean
process_alive (const LeaseHolder *h)
{
  gint64 start;
  gchar state;

  if (kill ((pid_t)h->pid, 0) != 0 && errno != EPERM)
    return FALSE;
  /* A zombie holds nothing any more; another start time is another
   * process that got the same pid. */
  if (proc_stat (h->pid, &start, &state))
    return state != 'Z' && state != 'X' && start == h->pid_start;
  return kill ((pid_t)h->pid, 0) == 0 || errno == EPERM;
}

static gboolean
holder_is_live (const LeaseHolder *h, gint64 age_us)
{
  if (h == NULL)
    return age_us < LEASE_GRACE_S * G_TIME_SPAN_SECOND;
  if (!on_this_machine (h))
    return age_us < GST_APIXO_LEASE_TTL_S * G_TIME_SPAN_SECOND;
  /* Also true of this very process (another of its pipelines holds the
   * lease), and false of an earlier process that had our pid. */
  return process_alive (h);
}

static gint64
age_us (const GStatBuf *st)
{
  return g_get_real_time () - gst_apixo_durable_mtime_us (st);
}

static void
reading_clear (LeaseReading *r)
{
  g_clear_pointer (&r->holder, holder_free);
}

/* Reads the lease file at @path and judges it. */
static ReadResult
lease_read (const gchar *path, LeaseReading *r, GError **error)
{
  GError *err = NULL;
  gsize length = 0;
  gchar *text;

  memset (r, 0, sizeof (*r));
  text = gst_apixo_durable_read (path, LEASE_MAX_SIZE, &length, &r->st, &err);
  if (text == NULL && g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_error_free (err);
    return READ_GONE;
  }
  /* A regular file too large to be a lease is garbage: judged as such. */
  if (text == NULL &&
      !(g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_FAILED) &&
        S_ISREG (r->st.st_mode))) {
    g_propagate_error (error, err);
    return READ_ERROR;
  }
  g_clear_error (&err);
  if (text != NULL)
    r->holder = holder_from_json (text, length);
  r->live = holder_is_live (r->holder, age_us (&r->st));
  GST_LOG ("%s: held by %s, %s", path,
           r->holder ? r->holder->token : "(unreadable)",
           r->live ? "live" : "dead");
  g_free (text);
  return READ_OK;
}

/* TRUE if @now is still the file (inode) and holder of @before. */
static gboolean
same_lease (const LeaseReading *before, const LeaseReading *now)
{
  if (before->st.st_dev != now->st.st_dev ||
      before->st.st_ino != now->st.st_ino)
    return FALSE;
  if (before->holder == NULL || now->holder == NULL)
    return before->holder == now->holder;
  return g_str_equal (before->holder->token, now->holder->token);
}

/* ---- breaking a dead lease --------------------------------------------- */

/* Removes @brk if it is older than the TTL (its breaker died). */
static void
break_clear_stale (const gchar *brk)
{
  GStatBuf st;

  if (g_stat (brk, &st) == 0 &&
      age_us (&st) >= GST_APIXO_LEASE_TTL_S * G_TIME_SPAN_SECOND) {
    GST_INFO ("removing the stale break file %s", brk);
    g_unlink (brk);
  }
}

/* Under "<path>.break", unlinks the lease file if it is still the dead
 * lease @stale.  FALSE with @error if the break file cannot be created
 * for another reason than someone else breaking it. */
static gboolean
lease_break (const gchar *path, const gchar *token, const LeaseReading *stale,
             GError **error)
{
  gchar *brk = g_strconcat (path, ".break", NULL);
  GError *err = NULL;
  LeaseReading now;
  gboolean ok = TRUE;

  if (!gst_apixo_durable_create (brk, token, strlen (token), &err)) {
    ok = g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_EXIST);
    if (ok) {
      g_error_free (err);
      break_clear_stale (brk);
      g_usleep (LEASE_BREAK_WAIT_US);
    } else {
      g_propagate_error (error, err);
    }
  } else {
    if (lease_read (path, &now, NULL) == READ_OK && !now.live &&
        same_lease (stale, &now)) {
      GST_INFO ("breaking the dead lease %s of %s", path,
                now.holder ? now.holder->token : "(unreadable)");
      g_unlink (path);
    }
    reading_clear (&now);
    g_unlink (brk);
  }
  g_free (brk);
  return ok;
}

/* ---- the lease --------------------------------------------------------- */

static void
lease_clear (GstApixoLease *lease)
{
  g_free (lease->path);
  g_free (lease->token);
}

static void
lease_unref (gpointer lease)
{
  g_atomic_rc_box_release_full (lease, (GDestroyNotify)lease_clear);
}

/* The token in the lease file, NULL if it is gone or holds no token; an
 * I/O error is reported as @error. */
static gchar *
lease_file_token (GstApixoLease *lease, GError **error)
{
  gsize length = 0;
  gchar *text = gst_apixo_durable_read (lease->path, LEASE_MAX_SIZE, &length,
                                        NULL, error);
  LeaseHolder *h = text ? holder_from_json (text, length) : NULL;
  gchar *token = h ? g_strdup (h->token) : NULL;

  g_clear_pointer (&h, holder_free);
  g_free (text);
  return token;
}

static gboolean
lease_heartbeat (gpointer data)
{
  GstApixoLease *lease = data;
  GError *error = NULL;
  gchar *token = lease_file_token (lease, &error);
  gboolean lost =
      token ? !g_str_equal (token, lease->token)
            : g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_free (token);
  g_clear_error (&error);
  if (lost) {
    GST_WARNING ("lease %s was removed or taken over (this process stalled "
                 "for more than %d s?): no longer renewed",
                 lease->path, GST_APIXO_LEASE_TTL_S);
    return G_SOURCE_REMOVE;
  }
  /* ENOENT: released meanwhile by another thread. */
  if (utimensat (AT_FDCWD, lease->path, NULL, 0) != 0 && errno != ENOENT)
    GST_WARNING ("cannot renew lease %s: %s", lease->path, g_strerror (errno));
  return G_SOURCE_CONTINUE;
}

static GstApixoLease *
lease_new (const gchar *path, const gchar *token, GMainContext *context)
{
  GstApixoLease *lease = g_atomic_rc_box_new0 (GstApixoLease);

  lease->path = g_strdup (path);
  lease->token = g_strdup (token);
  lease->heartbeat = g_timeout_source_new_seconds (GST_APIXO_LEASE_HEARTBEAT_S);
  g_source_set_callback (lease->heartbeat, lease_heartbeat,
                         g_atomic_rc_box_acquire (lease), lease_unref);
  g_source_attach (lease->heartbeat, context);
  return lease;
}

typedef enum {
  ROUND_TAKEN,
  ROUND_HELD,   /* a live holder has it */
  ROUND_FAILED, /* an error */
  ROUND_AGAIN,  /* the file changed hands meanwhile, or was broken */
} RoundResult;

/* The holder's token in @r ("": a lease file still being written). */
static gchar *
reading_token (const LeaseReading *r)
{
  return g_strdup (r->holder ? r->holder->token : "");
}

/* One round: create the lease file, or judge its holder and break it if
 * dead. */
static RoundResult
lease_round (const gchar *path, const gchar *token, gchar **holder,
             GError **error)
{
  gsize length;
  gchar *json = lease_json (token, &length);
  GError *err = NULL;
  RoundResult res = ROUND_AGAIN;
  LeaseReading r;

  if (gst_apixo_durable_create (path, json, length, &err)) {
    g_free (json);
    return ROUND_TAKEN;
  }
  g_free (json);
  if (!g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_EXIST)) {
    g_propagate_error (error, err);
    return ROUND_FAILED;
  }
  g_clear_error (&err);
  switch (lease_read (path, &r, error)) {
    case READ_GONE:
      return ROUND_AGAIN;
    case READ_ERROR:
      return ROUND_FAILED;
    case READ_OK:
      if (r.live) {
        *holder = reading_token (&r);
        res = ROUND_HELD;
      } else if (!lease_break (path, token, &r, error)) {
        res = ROUND_FAILED;
      }
      break;
  }
  reading_clear (&r);
  return res;
}

GstApixoLease *
gst_apixo_lease_try_acquire (const gchar *path, GMainContext *context,
                             gchar **holder, GError **error)
{
  RoundResult res = ROUND_AGAIN;
  gchar *held_by = NULL, *token;
  GstApixoLease *lease = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  this_machine ();
  token = gst_apixo_durable_token ();
  for (guint i = 0; i < LEASE_MAX_ROUNDS && res == ROUND_AGAIN; i++)
    res = lease_round (path, token, &held_by, error);
  if (res == ROUND_TAKEN) {
    GST_DEBUG ("took lease %s (%s)", path, token);
    lease = lease_new (path, token, context);
  } else if (res == ROUND_AGAIN) {
    /* Still changing hands after every round: others keep taking it. */
    held_by = g_strdup ("");
  }
  if (holder != NULL)
    *holder = g_steal_pointer (&held_by);
  g_free (held_by);
  g_free (token);
  return lease;
}

const gchar *
gst_apixo_lease_get_token (GstApixoLease *lease)
{
  return lease->token;
}

void
gst_apixo_lease_release (GstApixoLease *lease)
{
  GError *error = NULL;
  gchar *token;

  if (lease == NULL)
    return;
  g_source_destroy (lease->heartbeat);
  g_clear_pointer (&lease->heartbeat, g_source_unref);
  token = lease_file_token (lease, &error);
  if (token != NULL && g_str_equal (token, lease->token)) {
    if (g_unlink (lease->path) != 0)
      GST_WARNING ("cannot remove lease %s: %s", lease->path,
                   g_strerror (errno));
    else
      GST_DEBUG ("released lease %s", lease->path);
  } else {
    GST_WARNING ("lease %s is no longer ours: left as it is (%s)", lease->path,
                 error ? error->message : "another holder took it over");
  }
  g_clear_error (&error);
  g_free (token);
  lease_unref (lease);
}
