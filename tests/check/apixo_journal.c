/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal's units used directly: durable files, leases between real
 * processes (forked children that hold a lease, are killed with SIGKILL,
 * race for one), and journal records (round trip, corrupt input, history,
 * read-only directories).
 *
 * Children report through their exit status and synchronise with the test
 * through pipes, never by sleeping.  They leave with _exit() (nothing of
 * the test process's atexit handlers or stdio buffers runs twice) after
 * freeing what they allocated (valgrind checks them too).  Checks that
 * need a directory this process cannot write run, as root, in a child
 * that dropped to the "nobody" user: root ignores permissions.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gstapixodurable.h"
#include "gstapixojournal.h"
#include "gstapixolease.h"
#include "testdir.h"

#define TEST_KEY "0123456789abcdef0123456789abcdef"
#define FOREIGN_TOKEN "f00df00df00df00df00df00df00df00d"
#define NOBODY 65534

/* Exit statuses of the children. */
#define CHILD_WON 10
#define CHILD_HELD 11
#define CHILD_ERROR 12
#define CHILD_CANNOT_DROP 77
#define CHILD_CANNOT_REACH 78

#define RACERS 8
#define RACE_ROUNDS 3

APIXO_TEST_DIR_FIXTURE (tmpdir, "apixo-journal");

/* ---- helpers ------------------------------------------------------------ */

/* Sets the mtime (and atime) of @path to @age_s seconds ago. */
static void
set_age (const gchar *path, gint age_s)
{
  struct timeval tv[2];

  tv[0].tv_sec = tv[1].tv_sec = time (NULL) - age_s;
  tv[0].tv_usec = tv[1].tv_usec = 0;
  fail_unless (utimes (path, tv) == 0, "utimes %s: %s", path,
               g_strerror (errno));
}

static void
write_file (const gchar *path, const gchar *text, gssize len)
{
  GError *error = NULL;

  fail_unless (g_file_set_contents (path, text, len, &error), "%s",
               error ? error->message : "");
}

static gchar *
read_file (const gchar *path)
{
  gchar *text = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "read %s", path);
  return text;
}

/* The token recorded in the lease file at @path. */
static gchar *
lease_file_token (const gchar *path)
{
  gchar *text = read_file (path);
  JsonParser *parser = json_parser_new ();
  gchar *token;

  fail_unless (json_parser_load_from_data (parser, text, -1, NULL));
  token = g_strdup (json_object_get_string_member (
      json_node_get_object (json_parser_get_root (parser)), "token"));
  g_object_unref (parser);
  g_free (text);
  return token;
}

/* A lease file at @path as a holder on another machine writes it. */
static void
write_foreign_lease (const gchar *path)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, FOREIGN_TOKEN);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, "render-07.elsewhere.example");
  json_builder_set_member_name (b, "boot-id");
  json_builder_add_string_value (b, "8c7f1d3a-0000-4000-8000-000000000001");
  json_builder_set_member_name (b, "pid-ns");
  json_builder_add_string_value (b, "pid:[4026531836]");
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "pid-start");
  json_builder_add_int_value (b, 1);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  write_file (path, text, -1);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
}

/* Sets the integer member @name of the JSON object in @path. */
static void
rewrite_int_member (const gchar *path, const gchar *name, gint64 value)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  gchar *text;

  fail_unless (json_parser_load_from_file (parser, path, NULL));
  root = json_parser_get_root (parser);
  json_object_set_int_member (json_node_get_object (root), name, value);
  text = json_to_string (root, FALSE);
  write_file (path, text, -1);
  g_free (text);
  g_object_unref (parser);
}

static void
make_pipe (gint fds[2])
{
  fail_unless (pipe (fds) == 0, "pipe: %s", g_strerror (errno));
}

/* Reads until EOF or @len bytes; returns how many. */
static gsize
read_full (gint fd, gchar *buf, gsize len)
{
  gsize got = 0;
  ssize_t n = 0;

  while (got < len &&
         ((n = read (fd, buf + got, len - got)) > 0 || errno == EINTR))
    got += MAX (n, 0);
  return got;
}

/* Blocks until the other end of @fd is closed. */
static void
wait_eof (gint fd)
{
  gchar c;

  while (read_full (fd, &c, 1) == 1)
    ;
}

static gint
wait_child (pid_t pid)
{
  gint status = 0;

  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static gint
exit_code (pid_t pid)
{
  gint status = wait_child (pid);

  fail_unless (WIFEXITED (status), "child %d did not exit: status %d",
               (gint)pid, status);
  return WEXITSTATUS (status);
}

/* ---- lease holders in other processes ---------------------------------- */

typedef struct {
  pid_t pid;
  gint hold_fd; /* closing it tells the child to release and exit */
  gchar *token; /* its lease's token; NULL: it could not take it */
} Holder;

/* Child: takes the lease at @path, writes its token (or "-") and a
 * newline to @report_fd, waits for EOF on @hold_fd, releases, exits. */
static G_GNUC_NORETURN void
holder_child (const gchar *path, gint report_fd, gint hold_fd)
{
  GstApixoLease *lease = gst_apixo_lease_try_acquire (path, NULL, NULL, NULL);
  const gchar *token = lease ? gst_apixo_lease_get_token (lease) : "-";
  gchar *line = g_strconcat (token, "\n", NULL);
  gboolean ok =
      write (report_fd, line, strlen (line)) == (ssize_t)strlen (line);

  g_free (line);
  close (report_fd);
  wait_eof (hold_fd);
  gst_apixo_lease_release (lease);
  _exit (ok && lease ? 0 : CHILD_ERROR);
}

/* Starts a child that takes the lease at @path and holds it. */
static Holder
start_holder (const gchar *path)
{
  gint report[2], hold[2];
  gchar buf[64] = { 0 };
  Holder h = { 0 };

  make_pipe (report);
  make_pipe (hold);
  h.pid = fork ();
  fail_unless (h.pid >= 0, "fork: %s", g_strerror (errno));
  if (h.pid == 0) {
    close (report[0]);
    close (hold[1]);
    holder_child (path, report[1], hold[0]);
  }
  close (report[1]);
  close (hold[0]);
  h.hold_fd = hold[1];
  fail_unless (read_full (report[0], buf, 33) == 33 && buf[32] == '\n',
               "holder reported \"%s\"", buf);
  close (report[0]);
  buf[32] = '\0';
  h.token = g_strdup (buf);
  return h;
}

/* Tells the holder to release and exit; checks it did so cleanly. */
static void
stop_holder (Holder *h)
{
  close (h->hold_fd);
  fail_unless_equals_int (exit_code (h->pid), 0);
  g_free (h->token);
}

static void
kill_holder (Holder *h)
{
  gint status;

  fail_unless (kill (h->pid, SIGKILL) == 0);
  status = wait_child (h->pid);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  close (h->hold_fd);
  g_free (h->token);
}

/* Runs @check (returning 0 on success, else a code naming what failed) as
 * a user that permissions apply to: this process, or as root a child that
 * dropped to nobody (given @dir).  Returns its code; -1: not checked. */
static gint
run_unprivileged_code (gint (*check) (const gchar *dir), const gchar *dir)
{
  pid_t pid;
  gint code;

  if (geteuid () != 0)
    return check (dir);
  fail_unless (chown (dir, NOBODY, NOBODY) == 0);
  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    if (setgroups (0, NULL) != 0 || setgid (NOBODY) != 0 ||
        setuid (NOBODY) != 0)
      _exit (CHILD_CANNOT_DROP);
    /* the temp directory's parents may be closed to nobody ($TMPDIR in
     * a private directory of root's) */
    if (access (dir, W_OK | X_OK) != 0)
      _exit (CHILD_CANNOT_REACH);
    _exit (check (dir));
  }
  code = exit_code (pid);
  if (code == CHILD_CANNOT_DROP || code == CHILD_CANNOT_REACH) {
    g_print ("%s: read-only checks skipped\n",
             code == CHILD_CANNOT_DROP ? "cannot drop root privileges"
                                       : "the test directory is closed to "
                                         "nobody");
    return -1;
  }
  return code;
}

static void
run_unprivileged (gint (*check) (const gchar *dir))
{
  gint code = run_unprivileged_code (check, tmpdir);

  fail_unless (code <= 0, "unprivileged check failed: %d", code);
}

/* ---- durable files ------------------------------------------------------ */

GST_START_TEST (test_durable_replace_and_read)
{
  gchar *path = g_build_filename (tmpdir, "file.json", NULL);
  GError *error = NULL;
  GStatBuf st;
  gsize len = 0;
  gchar *text;

  fail_unless (gst_apixo_durable_replace (path, "first", 5, &error));
  fail_unless (gst_apixo_durable_replace (path, "second!", 7, &error));
  g_assert_no_error (error);
  text = gst_apixo_durable_read (path, 64, &len, &st, &error);
  fail_unless_equals_string (text, "second!");
  fail_unless_equals_int (len, 7);
  fail_unless_equals_int (st.st_size, 7);
  fail_unless_equals_int (st.st_mode & 0777, 0600);
  g_free (text);
  /* No temporary file left. */
  fail_unless_equals_int (apixo_test_dir_count (tmpdir), 1);

  /* Bounded: a larger file is refused, not truncated. */
  fail_if (gst_apixo_durable_read (path, 6, NULL, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  fail_unless (strstr (error->message, path) != NULL);
  g_clear_error (&error);
  /* Not a regular file; absent. */
  fail_if (gst_apixo_durable_read (tmpdir, 64, NULL, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_clear_error (&error);
  g_unlink (path);
  fail_if (gst_apixo_durable_read (path, 64, NULL, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  /* Exclusive creation. */
  fail_unless (gst_apixo_durable_create (path, "x", 1, &error));
  fail_if (gst_apixo_durable_create (path, "y", 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
  g_clear_error (&error);
  text = read_file (path);
  fail_unless_equals_string (text, "x");
  g_free (text);
  g_free (path);
}
GST_END_TEST;

GST_START_TEST (test_durable_tokens_differ_across_fork)
{
  gchar buf[33] = { 0 };
  gchar *mine;
  gint fds[2];
  pid_t pid;

  /* The parent draws after the child: GLib's generator would give both
   * the same numbers. */
  make_pipe (fds);
  pid = fork ();
  if (pid == 0) {
    gchar *token = gst_apixo_durable_token ();
    gboolean ok = write (fds[1], token, 32) == 32;

    g_free (token);
    _exit (ok ? 0 : CHILD_ERROR);
  }
  close (fds[1]);
  fail_unless_equals_int (read_full (fds[0], buf, 32), 32);
  close (fds[0]);
  fail_unless_equals_int (exit_code (pid), 0);
  mine = gst_apixo_durable_token ();
  fail_unless_equals_int (strlen (mine), 32);
  fail_unless (strspn (mine, "0123456789abcdef") == 32);
  fail_if (g_str_equal (mine, buf));
  g_free (mine);
}
GST_END_TEST;

/* ---- leases ------------------------------------------------------------- */

/* Fixture: tmpdir and the path of a lease in it. */
static gchar *lease_path;

static void
setup_lease (void)
{
  setup_tmpdir ();
  lease_path = g_build_filename (tmpdir, TEST_KEY ".lease", NULL);
}

static void
teardown_lease (void)
{
  g_clear_pointer (&lease_path, g_free);
  teardown_tmpdir ();
}

/* Takes the lease: it must be free (or dead). */
static GstApixoLease *
take_lease (void)
{
  gchar *holder = NULL, *token;
  GError *error = NULL;
  GstApixoLease *lease =
      gst_apixo_lease_try_acquire (lease_path, NULL, &holder, &error);

  g_assert_no_error (error);
  fail_unless (lease != NULL, "lease held by \"%s\"", holder);
  fail_unless (holder == NULL);
  token = lease_file_token (lease_path);
  fail_unless_equals_string (token, gst_apixo_lease_get_token (lease));
  g_free (token);
  return lease;
}

/* The lease must be held by a live holder with @token. */
static void
assert_held_by (const gchar *token)
{
  gchar *holder = NULL;
  GError *error = NULL;
  GstApixoLease *lease =
      gst_apixo_lease_try_acquire (lease_path, NULL, &holder, &error);

  g_assert_no_error (error);
  fail_unless (lease == NULL, "lease taken from \"%s\"", token);
  fail_unless_equals_string (holder, token);
  g_free (holder);
}

GST_START_TEST (test_lease_same_process)
{
  GstApixoLease *lease = take_lease ();

  fail_unless_equals_int (strlen (gst_apixo_lease_get_token (lease)), 32);
  /* Another pipeline of this process: live. */
  assert_held_by (gst_apixo_lease_get_token (lease));

  gst_apixo_lease_release (lease);
  fail_if (g_file_test (lease_path, G_FILE_TEST_EXISTS));
  gst_apixo_lease_release (take_lease ());
  gst_apixo_lease_release (NULL);
}
GST_END_TEST;

GST_START_TEST (test_lease_live_child)
{
  Holder child = start_holder (lease_path);

  fail_if (g_str_equal (child.token, "-"), "the child could not take it");
  assert_held_by (child.token);

  /* Released by its holder: free again. */
  stop_holder (&child);
  fail_if (g_file_test (lease_path, G_FILE_TEST_EXISTS));
  gst_apixo_lease_release (take_lease ());
}
GST_END_TEST;

GST_START_TEST (test_lease_killed_child)
{
  Holder child = start_holder (lease_path);

  /* Killed: its lease file stays, and is dead at once (same host, its pid
   * is gone): no waiting for the TTL. */
  kill_holder (&child);
  fail_unless (g_file_test (lease_path, G_FILE_TEST_EXISTS));
  gst_apixo_lease_release (take_lease ());
  /* Nothing left: no break file. */
  fail_unless_equals_int (apixo_test_dir_count (tmpdir), 0);
}
GST_END_TEST;

GST_START_TEST (test_lease_reused_pid)
{
  Holder child = start_holder (lease_path);
  GstApixoLease *lease;

  /* The recorded pid is alive but its start time is another one: the pid
   * was reused by another process, the holder is gone. */
  rewrite_int_member (lease_path, "pid-start", 7);
  lease = take_lease ();

  /* The child's release leaves the lease that is no longer its own. */
  stop_holder (&child);
  fail_unless (g_file_test (lease_path, G_FILE_TEST_EXISTS));
  gst_apixo_lease_release (lease);
}
GST_END_TEST;

/* Child: waits for the start (EOF on @go_fd), tries the lease, reports
 * that it tried (one byte on @tried_fd), waits for EOF on @finish_fd so
 * that the winner holds it while everyone tries, exits with the result. */
static G_GNUC_NORETURN void
racer_child (gint go_fd, gint tried_fd, gint finish_fd)
{
  GstApixoLease *lease;
  gchar *holder = NULL;
  GError *error = NULL;
  gint code;

  wait_eof (go_fd);
  lease = gst_apixo_lease_try_acquire (lease_path, NULL, &holder, &error);
  code = lease ? CHILD_WON : (holder && !error) ? CHILD_HELD : CHILD_ERROR;
  if (write (tried_fd, "t", 1) != 1)
    code = CHILD_ERROR;
  close (tried_fd);
  wait_eof (finish_fd);
  gst_apixo_lease_release (lease);
  g_free (holder);
  g_clear_error (&error);
  _exit (code);
}

/* RACERS children try the lease at once: exactly one wins. */
static void
race_round (void)
{
  gint go[2], tried[2], finish[2];
  pid_t pids[RACERS];
  gchar buf[RACERS];
  guint won = 0, held = 0;

  make_pipe (go);
  make_pipe (tried);
  make_pipe (finish);
  for (guint i = 0; i < RACERS; i++) {
    pids[i] = fork ();
    fail_unless (pids[i] >= 0);
    if (pids[i] == 0) {
      close (go[1]);
      close (tried[0]);
      close (finish[1]);
      racer_child (go[0], tried[1], finish[0]);
    }
  }
  close (go[0]);
  close (tried[1]);
  close (finish[0]);
  close (go[1]); /* the start */
  fail_unless_equals_int (read_full (tried[0], buf, RACERS), RACERS);
  close (tried[0]);
  close (finish[1]);
  for (guint i = 0; i < RACERS; i++) {
    gint code = exit_code (pids[i]);

    fail_unless (code == CHILD_WON || code == CHILD_HELD, "racer %u: %d", i,
                 code);
    won += code == CHILD_WON;
    held += code == CHILD_HELD;
  }
  fail_unless_equals_int (won, 1);
  fail_unless_equals_int (held, RACERS - 1);
  /* The winner released it. */
  fail_if (g_file_test (lease_path, G_FILE_TEST_EXISTS));
}

GST_START_TEST (test_lease_race)
{
  for (guint round = 0; round < RACE_ROUNDS; round++)
    race_round ();
}
GST_END_TEST;

GST_START_TEST (test_lease_race_for_dead_lease)
{
  Holder child = start_holder (lease_path);

  /* Everyone finds the killed child's lease and breaks it: still exactly
   * one winner. */
  kill_holder (&child);
  race_round ();
}
GST_END_TEST;

GST_START_TEST (test_lease_foreign_host)
{
  gchar *token;

  /* Renewed recently on another machine: live, left as it is. */
  write_foreign_lease (lease_path);
  set_age (lease_path, GST_APIXO_LEASE_TTL_S - 15);
  assert_held_by (FOREIGN_TOKEN);
  token = lease_file_token (lease_path);
  fail_unless_equals_string (token, FOREIGN_TOKEN);
  g_free (token);

  /* Not renewed for longer than the TTL: dead, taken over. */
  set_age (lease_path, GST_APIXO_LEASE_TTL_S + 5);
  gst_apixo_lease_release (take_lease ());
}
GST_END_TEST;

GST_START_TEST (test_lease_unparsable)
{
  const gchar *bad[] = { "", "{\"token\": \"ab", "garbage", "[1, 2]",
                         "{\"token\": 5, \"host\": \"x\"}" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    /* Just created, maybe still being written: live for a few seconds
     * (its holder's token is not known yet). */
    write_file (lease_path, bad[i], -1);
    assert_held_by ("");

    /* Its writer died long ago: dead. */
    set_age (lease_path, 30);
    gst_apixo_lease_release (take_lease ());
  }
}
GST_END_TEST;

GST_START_TEST (test_lease_break_file)
{
  gchar *brk = g_strconcat (lease_path, ".break", NULL);

  /* Another process is breaking the dead lease right now: left to it. */
  write_foreign_lease (lease_path);
  set_age (lease_path, GST_APIXO_LEASE_TTL_S + 5);
  write_file (brk, "breaker", -1);
  assert_held_by ("");

  /* That breaker died long ago: its break file goes, the lease is taken. */
  set_age (brk, GST_APIXO_LEASE_TTL_S + 5);
  gst_apixo_lease_release (take_lease ());
  fail_if (g_file_test (brk, G_FILE_TEST_EXISTS));
  g_free (brk);
}
GST_END_TEST;

static time_t
mtime_of (const gchar *path)
{
  GStatBuf st;

  fail_unless (g_stat (path, &st) == 0);
  return st.st_mtime;
}

static gpointer
release_thread (gpointer lease)
{
  gst_apixo_lease_release (lease);
  return NULL;
}

GST_START_TEST (test_lease_heartbeat)
{
  GMainContext *context = g_main_context_new ();
  GstApixoLease *lease;
  GThread *thread;
  time_t old;

  lease = gst_apixo_lease_try_acquire (lease_path, context, NULL, NULL);
  fail_unless (lease != NULL);
  /* The heartbeat renews the mtime (within GST_APIXO_LEASE_HEARTBEAT_S). */
  set_age (lease_path, 30);
  old = mtime_of (lease_path);
  while (mtime_of (lease_path) == old)
    g_main_context_iteration (context, TRUE);
  fail_unless (mtime_of (lease_path) >= time (NULL) - 5);

  /* Released from another thread than the context's. */
  thread = g_thread_new ("release", release_thread, lease);
  g_thread_join (thread);
  fail_if (g_file_test (lease_path, G_FILE_TEST_EXISTS));
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_unref (context);
}
GST_END_TEST;

static gint
check_lease_read_only (const gchar *dir)
{
  gchar *path = g_build_filename (dir, TEST_KEY ".lease", NULL);
  gchar *holder = NULL;
  GError *error = NULL;
  GstApixoLease *lease;
  gint code = 0;

  if (chmod (dir, 0500) != 0)
    code = 1;
  lease = gst_apixo_lease_try_acquire (path, NULL, &holder, &error);
  if (lease != NULL || holder != NULL)
    code = 2;
  else if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
    code = 3;
  else if (strstr (error->message, path) == NULL)
    code = 4;
  gst_apixo_lease_release (lease);
  g_clear_error (&error);
  g_free (holder);
  g_free (path);
  chmod (dir, 0700);
  return code;
}

GST_START_TEST (test_lease_read_only_dir)
{
  run_unprivileged (check_lease_read_only);
}
GST_END_TEST;

/* ---- journal ------------------------------------------------------------ */

static GstApixoJournalRecord *
full_record (GstApixoJournalState state)
{
  GstApixoJournalRecord *r = gst_apixo_journal_record_new ();

  r->state = state;
  r->key = g_strdup (TEST_KEY);
  r->holder = g_strdup ("00112233445566778899aabbccddeeff");
  r->model = g_strdup ("veo-3-1");
  r->request = g_strdup ("{\"model\":\"veo-3-1\",\"input\":{\"prompt\":"
                         "\"a \\\"quoted\\\" caf\\u00e9 \\u2615\\n\"}}");
  r->task_id = g_strdup ("task_veo-3-1_1767225600000");
  r->intent_time = G_GINT64_CONSTANT (1767225600123456);
  r->submit_time = G_GINT64_CONSTANT (1767225601654321);
  r->close_time =
      state == GST_APIXO_JOURNAL_DELIVERED || state == GST_APIXO_JOURNAL_FAILED
          ? G_GINT64_CONSTANT (1767225700000001)
          : 0;
  r->result_url = g_strdup ("https://cdn.example/r/abc.mp4?sig=x&t=1");
  r->location = g_strdup ("/videos/clip 1 ✓.mp4");
  r->size = G_GUINT64_CONSTANT (5000000000);
  r->message = g_strdup ("Content policy: \"refused\"\n(line two)");
  return r;
}

static void
assert_same_record (const GstApixoJournalRecord *a,
                    const GstApixoJournalRecord *b)
{
  const gchar *const strings[][2] = {
    { a->key, b->key },           { a->holder, b->holder },
    { a->model, b->model },       { a->request, b->request },
    { a->task_id, b->task_id },   { a->result_url, b->result_url },
    { a->location, b->location }, { a->message, b->message },
  };

  fail_unless_equals_int (a->state, b->state);
  fail_unless_equals_int64 (a->intent_time, b->intent_time);
  fail_unless_equals_int64 (a->submit_time, b->submit_time);
  fail_unless_equals_int64 (a->close_time, b->close_time);
  fail_unless_equals_uint64 (a->size, b->size);
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    fail_unless_equals_string (strings[i][0], strings[i][1]);
}

static GstApixoJournal *
open_journal (void)
{
  GError *error = NULL;
  GstApixoJournal *opened = gst_apixo_journal_open (tmpdir, &error);

  g_assert_no_error (error);
  fail_unless (opened != NULL);
  return opened;
}

/* Fixture: a journal in tmpdir. */
static GstApixoJournal *journal;

static void
setup_journal (void)
{
  setup_tmpdir ();
  journal = open_journal ();
}

static void
teardown_journal (void)
{
  g_clear_pointer (&journal, gst_apixo_journal_unref);
  teardown_tmpdir ();
}

static gchar *
record_file (void)
{
  return g_build_filename (gst_apixo_journal_get_dir (journal),
                           TEST_KEY ".json", NULL);
}

GST_START_TEST (test_journal_open)
{
  gchar *dir = g_build_filename (tmpdir, "journal", NULL);
  gchar *done = g_build_filename (dir, "done", NULL);
  gchar *lease = gst_apixo_journal_lease_path (journal, TEST_KEY);
  gchar *expected = g_build_filename (dir, TEST_KEY ".lease", NULL);
  GStatBuf st;

  fail_unless_equals_string (gst_apixo_journal_get_dir (journal), dir);
  fail_unless (g_stat (done, &st) == 0 && S_ISDIR (st.st_mode));
  fail_unless_equals_int (st.st_mode & 0777, 0700);
  fail_unless_equals_string (lease, expected);
  fail_unless (gst_apixo_journal_read (journal, TEST_KEY) == NULL);

  /* References. */
  gst_apixo_journal_unref (gst_apixo_journal_ref (journal));
  g_free (expected);
  g_free (lease);
  g_free (done);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_journal_round_trip)
{
  GError *error = NULL;

  for (gint s = GST_APIXO_JOURNAL_SUBMITTING; s <= GST_APIXO_JOURNAL_FAILED;
       s++) {
    GstApixoJournalRecord *r = full_record (s), *back, *copy;

    fail_unless (gst_apixo_journal_write (journal, r, &error));
    g_assert_no_error (error);
    back = gst_apixo_journal_read (journal, TEST_KEY);
    fail_unless (back != NULL, "state %d not read back", s);
    assert_same_record (r, back);
    fail_unless_equals_int (gst_apixo_journal_record_is_open (back),
                            s <= GST_APIXO_JOURNAL_SUBMITTED);
    copy = gst_apixo_journal_record_copy (back);
    assert_same_record (copy, r);
    gst_apixo_journal_record_free (copy);
    gst_apixo_journal_record_free (back);
    gst_apixo_journal_record_free (r);
  }

  /* Optional fields absent: read back as NULL / 0. */
  {
    GstApixoJournalRecord *r = gst_apixo_journal_record_new (), *back;

    r->key = g_strdup (TEST_KEY);
    fail_unless (gst_apixo_journal_write (journal, r, &error));
    back = gst_apixo_journal_read (journal, TEST_KEY);
    fail_unless (back != NULL);
    assert_same_record (r, back);
    gst_apixo_journal_record_free (back);
    gst_apixo_journal_record_free (r);
  }
}
GST_END_TEST;

GST_START_TEST (test_journal_people_fields)
{
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTED);
  gchar *path = record_file ();
  JsonParser *parser = json_parser_new ();
  JsonObject *obj;

  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  fail_unless (json_parser_load_from_file (parser, path, NULL));
  obj = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (obj, "state"),
                             "submitted");
  fail_unless_equals_string (
      json_object_get_string_member (obj, "intent-time-iso"),
      "2026-01-01T00:00:00Z");
  fail_unless_equals_string (
      json_object_get_string_member (obj, "submit-time-iso"),
      "2026-01-01T00:00:01Z");
  fail_unless_equals_int64 (json_object_get_int_member (obj, "submit-time"),
                            r->submit_time);
  fail_if (json_object_has_member (obj, "close-time"));
  g_object_unref (parser);
  g_free (path);
  gst_apixo_journal_record_free (r);
}
GST_END_TEST;

static void
assert_refused (const gchar *text, gssize len)
{
  gchar *path = record_file ();
  GstApixoJournalRecord *r;

  write_file (path, text, len);
  r = gst_apixo_journal_read (journal, TEST_KEY);
  fail_unless (r == NULL, "record accepted: %.200s", text);
  g_free (path);
}

/* The text of a valid record written by the journal, with @member's
 * value replaced by @value (JSON text). */
static gchar *
record_with (const gchar *member, const gchar *value)
{
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTED);
  gchar *path = record_file (), *text;
  JsonParser *record = json_parser_new ();
  JsonParser *parser = json_parser_new ();
  JsonNode *root;

  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  fail_unless (json_parser_load_from_file (record, path, NULL));
  fail_unless (json_parser_load_from_data (parser, value, -1, NULL));
  root = json_parser_get_root (record);
  json_object_set_member (json_node_get_object (root), member,
                          json_node_copy (json_parser_get_root (parser)));
  text = json_to_string (root, TRUE);
  g_object_unref (parser);
  g_object_unref (record);
  gst_apixo_journal_record_free (r);
  g_free (path);
  return text;
}

GST_START_TEST (test_journal_corrupt)
{
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTED);
  gchar *path = record_file (), *good, *big, *deep, *text;
  const gchar *garbage[] = { "",
                             " ",
                             "{",
                             "}",
                             "null",
                             "[]",
                             "42",
                             "\"submitted\"",
                             "{\"state\":",
                             "\xff\xfe\x00\x01",
                             "{\"state\": \"submitted\", \"key\": \"" TEST_KEY
                             "\", \"task-id\": \"t\"} trailing" };
  const gchar *wrong[][2] = {
    { "state", "3" },
    { "state", "\"paused\"" }, /* unknown state */
    { "state", "null" },
    { "key", "\"another-key\"" },
    { "key", "7" },
    { "task-id", "null" }, /* submitted without a task id */
    { "task-id", "[\"t\"]" },
    { "intent-time", "\"2026-01-01\"" },
    { "intent-time", "1.5" },
    { "intent-time", "-1" },
    { "size", "-5" },
    { "size", "\"big\"" },
    { "holder", "{}" },
    { "model", "true" },
    { "version", "\"one\"" },
    { "message", "12" },
  };
  gsize len;

  /* Every truncation of a valid record. */
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  good = read_file (path);
  len = strlen (good);
  for (gsize cut = 0; cut < len; cut++)
    assert_refused (good, cut);

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    assert_refused (garbage[i], -1);
  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++) {
    text = record_with (wrong[i][0], wrong[i][1]);
    assert_refused (text, -1);
    g_free (text);
  }
  /* Too long a short field. */
  big = g_strnfill (300, 'x');
  text = g_strdup_printf ("\"%s\"", big);
  g_free (big);
  big = record_with ("task-id", text);
  assert_refused (big, -1);
  g_free (big);
  g_free (text);
  /* Larger than any record. */
  big = g_strnfill (300 * 1024, ' ');
  memcpy (big + 300 * 1024 - len, good, len);
  assert_refused (big, -1);
  g_free (big);
  /* Nested deep enough to exhaust a recursive parser's stack. */
  deep = g_strnfill (200 * 1024, '[');
  assert_refused (deep, -1);
  g_free (deep);
  /* Not a regular file. */
  g_unlink (path);
  fail_unless (g_mkdir (path, 0700) == 0);
  fail_unless (gst_apixo_journal_read (journal, TEST_KEY) == NULL);
  g_rmdir (path);

  /* Unknown members (a newer writer's) are fine. */
  text = record_with ("future-member", "{\"a\": [1, 2]}");
  write_file (path, text, -1);
  g_free (text);
  gst_apixo_journal_record_free (r);
  r = gst_apixo_journal_read (journal, TEST_KEY);
  fail_unless (r != NULL);
  fail_unless_equals_string (r->task_id, "task_veo-3-1_1767225600000");

  gst_apixo_journal_record_free (r);
  g_free (good);
  g_free (path);
}
GST_END_TEST;

GST_START_TEST (test_journal_history)
{
  gchar *done =
      g_build_filename (gst_apixo_journal_get_dir (journal), "done", NULL);
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTING);
  gchar *path, *text;
  GstApixoJournalRecord *back;
  JsonParser *parser;

  /* Open records make no history. */
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  r->state = GST_APIXO_JOURNAL_SUBMITTED;
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  fail_unless_equals_int (apixo_test_dir_count (done), 0);

  /* Closed: a copy in done/, named by the close time and task id. */
  r->state = GST_APIXO_JOURNAL_DELIVERED;
  r->close_time = G_GINT64_CONSTANT (1772368496000000); /* 2026-03-01 */
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  fail_unless_equals_int (apixo_test_dir_count (done), 1);
  path = g_build_filename (
      done, "20260301T123456Z-task_veo-3-1_1767225600000.json", NULL);
  parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (parser, path, NULL), "no %s", path);
  fail_unless_equals_string (
      json_object_get_string_member (
          json_node_get_object (json_parser_get_root (parser)), "state"),
      "delivered");
  g_object_unref (parser);
  g_free (path);
  back = gst_apixo_journal_read (journal, TEST_KEY);
  assert_same_record (r, back);
  gst_apixo_journal_record_free (back);

  /* A failed run without a task id is named by its key; a task id from
   * the service cannot escape done/. */
  g_clear_pointer (&r->task_id, g_free);
  r->state = GST_APIXO_JOURNAL_FAILED;
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  path = g_build_filename (done, "20260301T123456Z-" TEST_KEY ".json", NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_free (path);
  r->task_id = g_strdup ("../../escape/me");
  fail_unless (gst_apixo_journal_write (journal, r, NULL));
  path = g_build_filename (done, "20260301T123456Z-______escape_me.json", NULL);
  text = read_file (path);
  fail_unless (strstr (text, "../../escape/me") != NULL);
  g_free (text);
  g_free (path);
  fail_unless_equals_int (apixo_test_dir_count (done), 3);
  /* journal/ holds the record and done/: no temporary file left. */
  fail_unless_equals_int (
      apixo_test_dir_count (gst_apixo_journal_get_dir (journal)), 2);

  gst_apixo_journal_record_free (r);
  g_free (done);
}
GST_END_TEST;

GST_START_TEST (test_journal_prune)
{
  gchar *dir = g_build_filename (tmpdir, "journal", NULL);
  gchar *done = g_build_filename (dir, "done", NULL);
  gchar *old = g_build_filename (done, "20250101T000000Z-old.json", NULL);
  gchar *recent = g_build_filename (done, "20260101T000000Z-new.json", NULL);
  gchar *stale_tmp = g_build_filename (dir, TEST_KEY ".json.abc.tmp", NULL);
  gchar *fresh_tmp = g_build_filename (dir, TEST_KEY ".json.def.tmp", NULL);
  gchar *other = g_build_filename (done, "README", NULL);
  GstApixoJournal *pruning;

  fail_unless (g_mkdir_with_parents (done, 0700) == 0);
  write_file (old, "{}", -1);
  set_age (old, (GST_APIXO_JOURNAL_KEEP_DAYS + 1) * 24 * 3600);
  write_file (recent, "{}", -1);
  set_age (recent, (GST_APIXO_JOURNAL_KEEP_DAYS - 1) * 24 * 3600);
  write_file (other, "mine", -1);
  set_age (other, (GST_APIXO_JOURNAL_KEEP_DAYS + 1) * 24 * 3600);
  write_file (stale_tmp, "half", -1);
  set_age (stale_tmp, 2 * 3600);
  write_file (fresh_tmp, "half", -1);

  pruning = open_journal ();
  fail_if (g_file_test (old, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (recent, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (other, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (stale_tmp, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (fresh_tmp, G_FILE_TEST_EXISTS));
  gst_apixo_journal_unref (pruning);

  /* Once per process and directory. */
  write_file (old, "{}", -1);
  set_age (old, (GST_APIXO_JOURNAL_KEEP_DAYS + 1) * 24 * 3600);
  pruning = open_journal ();
  fail_unless (g_file_test (old, G_FILE_TEST_EXISTS));
  gst_apixo_journal_unref (pruning);

  g_free (other);
  g_free (fresh_tmp);
  g_free (stale_tmp);
  g_free (recent);
  g_free (old);
  g_free (done);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_journal_too_large)
{
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTING);
  GError *error = NULL;

  /* What readers would refuse is not written: the caller learns it. */
  g_free (r->request);
  r->request = g_strnfill (300 * 1024, 'p');
  fail_if (gst_apixo_journal_write (journal, r, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_clear_error (&error);
  fail_unless (gst_apixo_journal_read (journal, TEST_KEY) == NULL);
  gst_apixo_journal_record_free (r);
}
GST_END_TEST;

/* Unprivileged: a cache directory that cannot be written. */
static gint
check_journal_read_only (const gchar *dir)
{
  gchar *cache = g_build_filename (dir, "cache", NULL);
  gchar *journal_dir = g_build_filename (cache, "journal", NULL);
  GstApixoJournalRecord *r = full_record (GST_APIXO_JOURNAL_SUBMITTING);
  GstApixoJournalRecord *back;
  GstApixoJournal *ro;
  GError *error = NULL;
  gint code = 0;

  /* The journal directory cannot be created. */
  if (g_mkdir (cache, 0500) != 0)
    return 1;
  ro = gst_apixo_journal_open (cache, &error);
  if (ro != NULL || !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
    code = 2;
  g_clear_error (&error);

  /* It exists but became read-only after open: writes fail, the last
   * record stays readable. */
  chmod (cache, 0700);
  ro = gst_apixo_journal_open (cache, &error);
  if (ro == NULL || !gst_apixo_journal_write (ro, r, NULL))
    return 3;
  chmod (journal_dir, 0500);
  r->state = GST_APIXO_JOURNAL_SUBMITTED;
  if (gst_apixo_journal_write (ro, r, &error) ||
      !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
    code = 4;
  else if (strstr (error->message, TEST_KEY ".json") == NULL)
    code = 5;
  g_clear_error (&error);
  back = gst_apixo_journal_read (ro, TEST_KEY);
  if (back == NULL || back->state != GST_APIXO_JOURNAL_SUBMITTING)
    code = 6;
  /* And a new journal on it is refused. */
  gst_apixo_journal_unref (ro);
  ro = gst_apixo_journal_open (cache, &error);
  if (ro != NULL || error == NULL)
    code = 7;
  g_clear_error (&error);

  chmod (journal_dir, 0700);
  gst_apixo_journal_record_free (back);
  gst_apixo_journal_record_free (r);
  g_free (journal_dir);
  g_free (cache);
  return code;
}

GST_START_TEST (test_journal_read_only_dir)
{
  run_unprivileged (check_journal_read_only);
}
GST_END_TEST;

/* A test case whose tests run between @setup and @teardown. */
static TCase *
fixture_case (const gchar *name, void (*setup) (void), void (*teardown) (void))
{
  TCase *tc = tcase_create (name);

  tcase_add_checked_fixture (tc, setup, teardown);
  return tc;
}

static Suite *
apixo_journal_suite (void)
{
  Suite *s = suite_create ("apixo-journal");
  TCase *files = fixture_case ("files", setup_tmpdir, teardown_tmpdir);
  TCase *leases = fixture_case ("lease", setup_lease, teardown_lease);
  TCase *records = fixture_case ("journal", setup_journal, teardown_journal);

  tcase_add_test (files, test_durable_replace_and_read);
  tcase_add_test (files, test_durable_tokens_differ_across_fork);
  tcase_add_test (files, test_journal_prune);
  tcase_add_test (files, test_journal_read_only_dir);
  tcase_add_test (files, test_lease_read_only_dir);
  suite_add_tcase (s, files);

  tcase_add_test (leases, test_lease_same_process);
  tcase_add_test (leases, test_lease_live_child);
  tcase_add_test (leases, test_lease_killed_child);
  tcase_add_test (leases, test_lease_reused_pid);
  tcase_add_test (leases, test_lease_race);
  tcase_add_test (leases, test_lease_race_for_dead_lease);
  tcase_add_test (leases, test_lease_foreign_host);
  tcase_add_test (leases, test_lease_unparsable);
  tcase_add_test (leases, test_lease_break_file);
  tcase_add_test (leases, test_lease_heartbeat);
  suite_add_tcase (s, leases);

  /* With a journal open in tmpdir. */
  tcase_add_test (records, test_journal_open);
  tcase_add_test (records, test_journal_round_trip);
  tcase_add_test (records, test_journal_people_fields);
  tcase_add_test (records, test_journal_corrupt);
  tcase_add_test (records, test_journal_history);
  tcase_add_test (records, test_journal_too_large);
  suite_add_tcase (s, records);
  return s;
}

GST_CHECK_MAIN (apixo_journal);
