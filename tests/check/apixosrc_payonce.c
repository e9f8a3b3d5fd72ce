/* gst-apixo: pay once (issue 11), proved with real processes.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the journal, the replays and the result cache promise, tested the
 * way users break it: gst-launch-1.0 processes killed with SIGKILL at each
 * stage of a run (the submission unanswered, the task being polled, the
 * result half downloaded) or interrupted with SIGINT, then the same
 * command again; eight processes with one identity at once; one pipeline
 * played again after EOS, and seeked after EOS; a cache hit, a corrupted
 * cache entry and a read-only cache directory.  Each test has its own sim
 * and its own cache directory.
 *
 * A stage is caught by the sim, never by timing: the request the child is
 * waiting for at that stage is held by a "slow" fault for an hour, and the
 * child is killed once the sim has received that request.
 *
 * Synchronisation: the sim's long polls (/__sim/wait), child exits
 * (waitpid) and bus messages; never sleeps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apixotest.h"
#include "testdir.h"

#define TIME_SCALE 0.01
/* What every run asks for: 480p 16:9 is 832x480 (docs/apixo-sim.md), 5 s
 * at 24 fps.  The sim renders it in under a second, once for the whole
 * suite (its render cache). */
#define REQUEST                                                                \
  "model=wan-2-5-video resolution=480p duration=5 seed=11 "                    \
  "prompt=\"pay once\" "
#define WIDTH 832
#define HEIGHT 480
#define N_FRAMES (5 * 24)
/* Quick polls and retries: the sim runs at TIME_SCALE. */
#define EARLY_POLL_S 0.05
#define TIMING                                                                 \
  "early-poll=0.05 poll-delay=0.1 poll-interval=0.05 "                         \
  "retry-backoff-factor=0.01 "
/* A held request: the child waits for it until it is killed. */
#define HOLD_S 3600
/* Bound of every wait for the sim or a pipeline (a child's end is bounded
 * by the test's own timeout). */
#define WAIT_S 60
#define N_PROCESSES 8
/* The worker's connections to one host (gstapixoworker.c). */
#define CONNS_PER_HOST 16
/* Bytes of a child's output quoted in a failure message. */
#define LOG_TAIL 1500

static SimFixture *sim;
static gchar *tmpdir;
static gchar *cache_dir; /* the cache-directory of every run */
static gchar *out_path;  /* the save-location of every run */

static void
setup (void)
{
  apixo_test_fixture_start (&sim, &tmpdir, TIME_SCALE, "apixo-payonce");
  /* not created here: the element makes its cache directory */
  cache_dir = g_build_filename (tmpdir, "cache", NULL);
  out_path = g_build_filename (tmpdir, "out.mp4", NULL);
}

static void
teardown (void)
{
  /* the read-only test's directory, removable again */
  g_chmod (cache_dir, 0700);
  g_clear_pointer (&cache_dir, g_free);
  g_clear_pointer (&out_path, g_free);
  apixo_test_fixture_stop (&sim, &tmpdir);
}

static gchar *
tmp_file (const gchar *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* The pipeline of every run, as on a gst-launch-1.0 line: apixosrc with the
 * sim, the request, the test's cache directory and save-location and
 * @extra (more properties), into @tail.  The same line is the same run
 * identity, in a child or in this process. */
static gchar *
launch_line (const gchar *extra, const gchar *tail)
{
  return g_strdup_printf (
      "apixosrc name=src base-url=%s api-key=test-key " REQUEST TIMING
      "cache-directory=%s save-location=%s "
      "%s ! %s",
      sim_fixture_base_url (sim), cache_dir, out_path, extra, tail);
}

/* ---- child processes ----------------------------------------------------- */

/* A gst-launch-1.0 process.  It inherits our environment: the build's
 * plugin (GST_PLUGIN_PATH_1_0), our registry, no proxies
 * (tests/check/meson.build). */
typedef struct {
  GPid pid;
  gchar *name; /* its stdout and stderr: <tmpdir>/<name>.out, .err */
} Child;

/* In the child: a test killed by its runner leaves no process behind. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gint
open_log (const gchar *name, const gchar *suffix)
{
  g_autofree gchar *file = g_strdup_printf ("%s.%s", name, suffix);
  g_autofree gchar *path = tmp_file (file);
  gint fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  fail_unless (fd >= 0, "%s: %s", path, g_strerror (errno));
  return fd;
}

/* Starts `gst-launch-1.0 -m @line` (-m: the bus messages on stdout). */
static Child *
child_start (const gchar *name, const gchar *line)
{
  const gchar *tool = g_getenv ("APIXO_GST_LAUNCH");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) words = NULL;
  Child *child = g_new0 (Child, 1);
  gint out, err;
  gboolean started;

  fail_unless (tool != NULL && *tool != '\0',
               "$APIXO_GST_LAUNCH is not set: run the tests with meson, "
               "with gst-launch-1.0 installed (gstreamer1.0-tools)");
  fail_unless (g_shell_parse_argv (line, NULL, &words, &error), "%s: %s", line,
               error ? error->message : "");
  g_ptr_array_add (argv, (gpointer)tool);
  g_ptr_array_add (argv, (gpointer) "-m");
  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, words[i]);
  g_ptr_array_add (argv, NULL);

  child->name = g_strdup (name);
  out = open_log (name, "out");
  err = open_log (name, "err");
  started = g_spawn_async_with_pipes_and_fds (
      NULL, (const gchar *const *)argv->pdata, NULL,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, die_with_parent,
      NULL, -1, out, err, NULL, NULL, 0, &child->pid, NULL, NULL, NULL, &error);
  close (out);
  close (err);
  fail_unless (started, "cannot start %s: %s", tool,
               error ? error->message : "");
  return child;
}

/* The end of what the child @name wrote to its stdout ("out") or stderr
 * ("err"): enough for a failure message (check bounds their size). */
static gchar *
child_log (const gchar *name, const gchar *suffix)
{
  g_autofree gchar *file = g_strdup_printf ("%s.%s", name, suffix);
  g_autofree gchar *path = tmp_file (file);
  g_autofree gchar *text = NULL;
  gsize len;

  fail_unless (g_file_get_contents (path, &text, &len, NULL));
  return g_strdup (text + (len > LOG_TAIL ? len - LOG_TAIL : 0));
}

static void
child_free (Child *child)
{
  g_free (child->name);
  g_free (child);
}

/* Waits for @child to end; returns its wait status.  No timeout of its
 * own: the test's timeout bounds it, and the child dies with the test. */
static gint
child_wait (Child *child)
{
  gint status = 0;
  pid_t pid;

  do
    pid = waitpid (child->pid, &status, 0);
  while (pid < 0 && errno == EINTR);
  fail_unless_equals_int (pid, child->pid);
  g_spawn_close_pid (child->pid);
  return status;
}

/* Waits for @child; fails the test, with what the child said, unless it
 * exited 0. */
static void
child_succeeds (Child *child)
{
  gint status = child_wait (child);
  g_autofree gchar *err = child_log (child->name, "err");

  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "%s: wait status 0x%x, stderr:\n%s", child->name, status, err);
}

/* Sends @sig to @child; returns its wait status once it has ended. */
static gint
child_signal (Child *child, gint sig)
{
  fail_unless_equals_int (kill (child->pid, sig), 0);
  return child_wait (child);
}

/* Waits until the sim has received @count requests on @route: the child
 * has reached the stage the test stops it at.  Fails with what the child
 * said otherwise. */
static void
child_reached (Child *child, const gchar *route, guint count)
{
  g_autofree gchar *err = NULL;

  if (sim_fixture_wait_requests (sim, route, count, WAIT_S))
    return;
  kill (child->pid, SIGKILL);
  child_wait (child);
  err = child_log (child->name, "err");
  fail ("%s never sent %u %s request(s); stderr:\n%s", child->name, count,
        route, err);
}

/* kill -9: the child ends where it is, with no clean-up of any kind. */
static void
child_kill (Child *child)
{
  gint status = child_signal (child, SIGKILL);

  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
               "%s: wait status 0x%x", child->name, status);
  child_free (child);
}

/* Runs @line in a child to its end; it must exit 0. */
static void
run_child (const gchar *name, const gchar *line)
{
  Child *child = child_start (name, line);

  child_succeeds (child);
  child_free (child);
}

/* ---- checks -------------------------------------------------------------- */

/* The sim created exactly @tasks tasks, from as many submissions. */
static void
assert_billed (guint tasks)
{
  fail_unless_equals_int (sim_fixture_count_tasks (sim), tasks);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1),
                          tasks);
}

/* The child @name said on its bus that it resumed @task_id (an
 * "apixo-task" message, event "resumed", as gst-launch-1.0 -m prints it)
 * instead of submitting. */
static void
assert_resumed (const gchar *name, const gchar *task_id)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *out = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean resumed = FALSE;

  path = g_strdup_printf ("%s/%s.out", tmpdir, name);
  fail_unless (g_file_get_contents (path, &out, NULL, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && !resumed; i++)
    resumed = strstr (lines[i], "apixo-task") != NULL &&
              strstr (lines[i], "event=(string)resumed") != NULL &&
              strstr (lines[i], task_id) != NULL;
  fail_unless (resumed, "%s did not say it resumed %s", name, task_id);
}

/* Every "state" report of the task in the child @name's log counts its
 * time from the submission, at least @at_least seconds ago when it was
 * made (not from the moment the child resumed the task); there is one. */
static void
assert_elapsed_since_submission (const gchar *name, gdouble at_least)
{
  g_autofree gchar *path = g_strdup_printf ("%s/%s.out", tmpdir, name);
  g_autofree gchar *out = NULL;
  g_auto (GStrv) lines = NULL;
  guint reports = 0;

  fail_unless (g_file_get_contents (path, &out, NULL, NULL));
  lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *text = strstr (lines[i], "apixo-task, event=(string)state");
    GstStructure *s = text ? gst_structure_from_string (text, NULL) : NULL;
    gdouble elapsed;

    if (s != NULL && gst_structure_has_field (s, "task-id")) {
      fail_unless (gst_structure_get_double (s, "elapsed", &elapsed));
      fail_unless (elapsed >= at_least,
                   "%s: elapsed %.3f s in %s; the task was submitted at "
                   "least %.3f s before",
                   name, elapsed, text, at_least);
      reports++;
    }
    g_clear_pointer (&s, gst_structure_free);
  }
  fail_unless (reports > 0, "%s posted no state report of its task", name);
}

/* The file at @path decodes to what every run asks for. */
static void
assert_output (const gchar *path)
{
  ApixoMediaInfo info;

  fail_unless (apixo_test_probe_file (path, &info), "%s does not decode", path);
  fail_unless_equals_int (info.width, WIDTH);
  fail_unless_equals_int (info.height, HEIGHT);
  fail_unless_equals_int (info.n_frames, N_FRAMES);
  fail_unless (info.declared_duration > 4.5 * GST_SECOND &&
                   info.declared_duration < 5.5 * GST_SECOND,
               "%s lasts %" GST_TIME_FORMAT, path,
               GST_TIME_ARGS (info.declared_duration));
}

/* The kept result is complete: no "<save-location>.part" is left. */
static void
assert_no_part (void)
{
  g_autofree gchar *part = g_strconcat (out_path, ".part", NULL);

  fail_if (g_file_test (part, G_FILE_TEST_EXISTS), "%s was left behind", part);
}

static void
assert_same_bytes (const gchar *a, const gchar *b)
{
  g_autofree gchar *da = NULL, *db = NULL;
  gsize la, lb;

  fail_unless (g_file_get_contents (a, &da, &la, NULL), "cannot read %s", a);
  fail_unless (g_file_get_contents (b, &db, &lb, NULL), "cannot read %s", b);
  fail_unless (la == lb && memcmp (da, db, la) == 0,
               "%s (%" G_GSIZE_FORMAT " bytes) and %s (%" G_GSIZE_FORMAT
               " bytes) differ",
               a, la, b, lb);
}

/* /__sim/stats without its "waiters" (our own long polls): every request
 * the sim received, by route and status, the result bodies it sent, its
 * tasks and its balance. */
static JsonNode *
sim_activity (void)
{
  JsonNode *stats = sim_fixture_request (sim, "GET", "/__sim/stats", NULL);

  json_object_remove_member (json_node_get_object (stats), "waiters");
  return stats;
}

/* The only result in the cache directory ("results/<key>.mp4"). */
static gchar *
only_cache_entry (void)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, "results", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gchar *entry = NULL;
  guint n = 0;

  fail_unless (d != NULL, "no %s", dir);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".mp4"))
      continue;
    n++;
    g_free (entry);
    entry = g_build_filename (dir, name, NULL);
  }
  g_dir_close (d);
  fail_unless_equals_int (n, 1);
  return entry;
}

/* The run's error is the documented unknown outcome of a submission made
 * at or after @since (Unix µs): how to submit anyway, in its details. */
static void
assert_outcome_unknown (ApixoRun *run, gint64 since)
{
  gint64 submit_time = 0;

  fail_unless (run->error != NULL, "no error");
  fail_unless (g_error_matches (run->error, GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_FAILED),
               "%s", run->error->message);
  fail_unless (strstr (run->error->message, "resubmit-unknown") != NULL, "%s",
               run->error->message);
  fail_unless (run->error_details != NULL);
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "reason"),
      "outcome-unknown");
  fail_unless_equals_string (
      gst_structure_get_string (run->error_details, "property"),
      "resubmit-unknown");
  fail_unless (gst_structure_get_int64 (run->error_details, "submit-time",
                                        &submit_time));
  fail_unless (submit_time >= since && submit_time <= g_get_real_time (),
               "submit-time %" G_GINT64_FORMAT, submit_time);
}

/* ---- killed and interrupted processes ------------------------------------ */

/* Killed before the submission's answer: the service created (and
 * billed) a task whose id the child never saw.  The same command must not
 * submit again silently: it fails, naming resubmit-unknown, until that is
 * set; then it submits one more task and delivers it. */
GST_START_TEST (test_kill_before_submit_answer)
{
  g_autofree gchar *line = launch_line ("", "fakesink");
  g_autofree gchar *anyway = launch_line ("resubmit-unknown=true", "fakesink");
  g_autoptr (ApixoRun) run = NULL;
  g_autofree gchar *err = NULL;
  gint64 since = g_get_real_time ();
  Child *child;
  gint status;

  sim_fixture_add_fault_full (sim, "generate", "slow", 1, HOLD_S, NULL);
  child = child_start ("killed", line);
  child_reached (child, "generate", 1);
  fail_unless (sim_fixture_wait_tasks (sim, 1, WAIT_S));
  child_kill (child);

  child = child_start ("again", line);
  status = child_wait (child);
  err = child_log (child->name, "err");
  child_free (child);
  fail_if (WIFEXITED (status) && WEXITSTATUS (status) == 0,
           "the same command after an unanswered submission succeeded");
  fail_unless (strstr (err, "resubmit-unknown") != NULL,
               "stderr does not name resubmit-unknown:\n%s", err);
  assert_billed (1);

  /* again, in this process: the error for applications, and still no
   * submission */
  run = apixo_test_run_launch (sim, line, WAIT_S);
  assert_outcome_unknown (run, since);
  assert_billed (1);

  run_child ("anyway", anyway);
  assert_billed (2);
  assert_output (out_path);
  assert_no_part ();
}

GST_END_TEST;

/* Runs the command in a child and stops it with @sig once the sim has
 * received its @count-th request on @route, which is held (after any fault
 * the caller queued there); then runs the same command to its end: it must
 * resume the one task and deliver the whole result. */
static void
stop_and_run_again (const gchar *route, guint count, gint sig)
{
  g_autofree gchar *line = launch_line ("", "fakesink");
  g_autofree gchar *task_id = NULL;
  Child *child;
  gint status;

  gint64 reached, again;

  sim_fixture_add_fault_full (sim, route, "slow", 1, HOLD_S, NULL);
  child = child_start ("stopped", line);
  child_reached (child, route, count);
  /* its first poll came early-poll after the submission's answer at the
   * soonest: the task was submitted before now - EARLY_POLL_S (half of it
   * is counted below, a margin for when the journal wrote the time) */
  reached = g_get_monotonic_time ();
  task_id = apixo_test_only_task_id (sim);
  status = child_signal (child, sig);
  child_free (child);
  if (sig == SIGKILL)
    fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
                 "wait status 0x%x", status);
  else /* gst-launch-1.0 stops the pipeline and exits by itself */
    fail_unless (WIFEXITED (status), "wait status 0x%x", status);

  again = g_get_monotonic_time ();
  run_child ("again", line);
  assert_billed (1);
  assert_resumed ("again", task_id);
  assert_elapsed_since_submission (
      "again", (again - reached) / (gdouble)G_USEC_PER_SEC + EARLY_POLL_S / 2);
  assert_output (out_path);
  assert_no_part ();
}

/* Killed while polling: it has the task id, its first status request is
 * held. */
GST_START_TEST (test_kill_while_polling)
{
  stop_and_run_again ("status", 1, SIGKILL);
}

GST_END_TEST;

/* Killed while downloading: the first answer for the result is cut
 * halfway, the request for the rest is held; the child has half the
 * file. */
GST_START_TEST (test_kill_while_downloading)
{
  sim_fixture_add_fault (sim, "result", "truncate", 1);
  stop_and_run_again ("result", 2, SIGKILL);
}

GST_END_TEST;

/* Ctrl-C while polling. */
GST_START_TEST (test_sigint_while_polling)
{
  stop_and_run_again ("status", 1, SIGINT);
}

GST_END_TEST;

/* ---- several processes --------------------------------------------------- */

/* Eight processes started at once with one identity share one task; each
 * delivers the whole result. */
GST_START_TEST (test_processes_share_one_task)
{
  Child *children[N_PROCESSES];
  gchar *streams[N_PROCESSES];
  guint i;

  for (i = 0; i < N_PROCESSES; i++) {
    g_autofree gchar *name = g_strdup_printf ("process%u", i);
    g_autofree gchar *file = g_strdup_printf ("stream%u.mp4", i);
    g_autofree gchar *tail = NULL;
    g_autofree gchar *line = NULL;

    streams[i] = tmp_file (file);
    tail = g_strdup_printf ("filesink location=%s", streams[i]);
    line = launch_line ("", tail);
    children[i] = child_start (name, line);
  }
  for (i = 0; i < N_PROCESSES; i++) {
    child_succeeds (children[i]);
    child_free (children[i]);
  }
  assert_billed (1);
  for (i = 0; i < N_PROCESSES; i++) {
    assert_output (streams[i]);
    g_free (streams[i]);
  }
  assert_output (out_path);
}

GST_END_TEST;

/* ---- replays in one element ---------------------------------------------- */

static guint64 delivered; /* bytes that reached the fakesink "sink" */

static void
count_delivered (GstElement *sink, GstBuffer *buffer, GstPad *pad,
                 gpointer data)
{
  delivered += gst_buffer_get_size (buffer);
}

/* Waits for EOS; returns the bytes delivered since the last call. */
static guint64
wait_eos (GstElement *pipeline)
{
  GstMessage *msg = apixo_test_wait_message (
      pipeline, GST_MESSAGE_EOS | GST_MESSAGE_ERROR, WAIT_S);
  guint64 bytes;

  fail_unless (msg != NULL, "no EOS within %d s", WAIT_S);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    fail ("error: %s", error->message);
  }
  gst_message_unref (msg);
  /* the streaming thread is idle after EOS */
  bytes = delivered;
  delivered = 0;
  return bytes;
}

/* apixosrc into a fakesink that counts what it gets (push mode), played
 * to its first EOS; *@bytes: what it delivered. */
static GstElement *
play_once (guint64 *bytes)
{
  g_autofree gchar *line =
      launch_line ("", "fakesink name=sink signal-handoffs=true");
  GstElement *pipeline = apixo_test_parse (sim, line);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");

  g_signal_connect (sink, "handoff", G_CALLBACK (count_delivered), NULL);
  gst_object_unref (sink);
  delivered = 0;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  *bytes = wait_eos (pipeline);
  fail_unless (*bytes > 0);
  return pipeline;
}

/* The replay ends as the first play did (@bytes again), with no new task;
 * frees @pipeline. */
static void
replayed (GstElement *pipeline, guint64 bytes)
{
  fail_unless_equals_uint64 (wait_eos (pipeline), bytes);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  assert_billed (1);
}

/* PLAYING -> EOS -> READY -> PLAYING: the settings did not change, so the
 * second play serves the result the element already has. */
GST_START_TEST (test_play_again_after_eos)
{
  guint64 once;
  GstElement *pipeline = play_once (&once);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  replayed (pipeline, once);
  assert_output (out_path);
}

GST_END_TEST;

/* A flushing seek back to the start after EOS: the same bytes again, from
 * the result the element has. */
GST_START_TEST (test_seek_after_eos)
{
  guint64 once;
  GstElement *pipeline = play_once (&once);

  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_BYTES,
                                        GST_SEEK_FLAG_FLUSH, 0));
  replayed (pipeline, once);
}

GST_END_TEST;

/* Waits for @pipeline's "apixo-task" message with event=@event (and, with
 * @field, whose string @field is @value). */
static void
wait_task_message (GstElement *pipeline, const gchar *event, const gchar *field,
                   const gchar *value)
{
  for (;;) {
    GstMessage *msg = apixo_test_wait_message (
        pipeline, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR, WAIT_S);
    const GstStructure *s;
    gboolean found;

    fail_unless (msg != NULL, "no '%s' %s within %d s", event,
                 value ? value : "", WAIT_S);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "error before '%s'",
             event);
    s = gst_message_get_structure (msg);
    found = gst_structure_has_name (s, "apixo-task") &&
            g_strcmp0 (gst_structure_get_string (s, "event"), event) == 0 &&
            (field == NULL ||
             g_strcmp0 (gst_structure_get_string (s, field), value) == 0);
    gst_message_unref (msg);
    if (found)
      return;
  }
}

static void
wait_task_event (GstElement *pipeline, const gchar *event)
{
  wait_task_message (pipeline, event, NULL, NULL);
}

/* Waits for @pipeline's heartbeat while it waits for another run of its
 * request: a PROGRESS (continue) and a "state" event, not submitted,
 * waiting for "same-request", some time after it began to wait. */
static void
wait_same_request_heartbeat (GstElement *pipeline)
{
  gboolean progress = FALSE, state = FALSE;

  while (!progress || !state) {
    GstMessage *msg = apixo_test_wait_message (
        pipeline,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_PROGRESS | GST_MESSAGE_ERROR, WAIT_S);
    const GstStructure *s;
    GstProgressType type;
    gchar *code = NULL, *text = NULL;
    gdouble elapsed = 0;

    fail_unless (msg != NULL, "no heartbeat within %d s", WAIT_S);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "error");
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_PROGRESS) {
      gst_message_parse_progress (msg, &type, &code, &text);
      progress = progress || (type == GST_PROGRESS_TYPE_CONTINUE &&
                              strstr (text, "same request") != NULL);
    } else if (gst_structure_has_name (s, "apixo-task") &&
               g_strcmp0 (gst_structure_get_string (s, "event"), "state") ==
                   0) {
      fail_unless_equals_string (gst_structure_get_string (s, "waiting-for"),
                                 "same-request");
      fail_unless_equals_string (gst_structure_get_string (s, "state"),
                                 "queued");
      fail_if (gst_structure_has_field (s, "task-id"));
      fail_unless (gst_structure_get_double (s, "elapsed", &elapsed));
      fail_unless (elapsed > 0);
      state = TRUE;
    }
    g_free (code);
    g_free (text);
    gst_message_unref (msg);
  }
}

/* A pipeline left PLAYING after its EOS does not hold back a second one
 * of the same request that waited for it: the record is closed at
 * delivery, and the second shares the result the first kept, with no new
 * task.  While it waits, it reports that it does, like a task.  (The first's download is slowed down so that the second surely
 * starts waiting before it ends.) */
GST_START_TEST (test_second_pipeline_while_first_plays)
{
  g_autofree gchar *stream = tmp_file ("later.mp4");
  g_autofree gchar *tail = g_strdup_printf ("filesink location=%s", stream);
  g_autofree gchar *line = launch_line ("", tail);
  /* the same request; its reports every 0.1 s */
  g_autofree gchar *beating = launch_line ("progress-interval=0.1", tail);
  GstElement *earlier, *later;

  sim_fixture_add_fault_full (sim, "result", "slow", 1, 5, NULL);
  earlier = apixo_test_start (sim, line);
  wait_task_event (earlier, "submitted");
  later = apixo_test_start (sim, beating);
  wait_task_event (later, "waiting");
  wait_same_request_heartbeat (later);
  wait_eos (earlier);
  wait_task_event (later, "shared");
  wait_eos (later);
  assert_billed (1);
  gst_element_set_state (later, GST_STATE_NULL);
  gst_element_set_state (earlier, GST_STATE_NULL);
  gst_object_unref (later);
  gst_object_unref (earlier);
  assert_output (stream);
  assert_output (out_path);
}

GST_END_TEST;

/* Stopped while its submission waited for a connection (the worker's 16
 * to the sim are taken by submissions the sim holds): the request never
 * left, so the journal does not keep it as of unknown outcome, and the
 * same request again submits at once and plays. */
GST_START_TEST (test_stop_before_submission_sent)
{
  GString *holders_line = g_string_new (NULL);
  g_autofree gchar *line = launch_line ("progress-interval=0.1", "fakesink");
  g_autoptr (ApixoRun) run = NULL;
  GstElement *holders, *victim;

  sim_fixture_add_fault_full (sim, "generate", "slow", CONNS_PER_HOST, HOLD_S,
                              NULL);
  for (guint i = 0; i < CONNS_PER_HOST; i++)
    g_string_append_printf (holders_line,
                            "apixosrc base-url=%s api-key=test-key " REQUEST
                            "journal=false ! fakesink ",
                            sim_fixture_base_url (sim));
  holders = apixo_test_start (sim, holders_line->str);
  g_string_free (holders_line, TRUE);
  fail_unless (
      sim_fixture_wait_requests (sim, "generate", CONNS_PER_HOST, WAIT_S));

  victim = apixo_test_start (sim, line);
  wait_task_message (victim, "state", "state", "submitting");
  gst_element_set_state (victim, GST_STATE_NULL);
  gst_object_unref (victim);
  gst_element_set_state (holders, GST_STATE_NULL);
  gst_object_unref (holders);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1),
                          CONNS_PER_HOST);

  run = apixo_test_run_launch (sim, line, WAIT_S);
  fail_unless (run->eos && run->error == NULL, "%s",
               run->error ? run->error->message : "no EOS");
  fail_unless (apixo_run_task_event (run, "submitted") != NULL);
  fail_unless_equals_int (sim_fixture_count_requests (sim, "generate", -1),
                          CONNS_PER_HOST + 1);
  assert_output (out_path);
}

GST_END_TEST;

/* ---- the result cache ---------------------------------------------------- */

/* The line of a cache=true run whose stream goes to <tmpdir>/@stream. */
static gchar *
cached_line (const gchar *stream)
{
  g_autofree gchar *path = tmp_file (stream);
  g_autofree gchar *tail = g_strdup_printf ("filesink location=%s", path);

  return launch_line ("cache=true", tail);
}

/* Runs the cache=true command once, in a child, streaming to first.mp4:
 * the sim's one task, whose result is now in the cache; returns its id. */
static gchar *
fill_cache (void)
{
  g_autofree gchar *line = cached_line ("first.mp4");

  run_child ("first", line);
  assert_billed (1);
  return apixo_test_only_task_id (sim);
}

/* A second identical run is served from the cache: not one request of any
 * kind, the same bytes, and the bus says so. */
GST_START_TEST (test_cache_hit)
{
  g_autofree gchar *task_id = fill_cache ();
  g_autofree gchar *second_line = cached_line ("second.mp4");
  g_autofree gchar *stream1 = tmp_file ("first.mp4");
  g_autofree gchar *stream2 = tmp_file ("second.mp4");
  g_autoptr (ApixoRun) run = NULL;
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (JsonNode) after = NULL;
  const GstStructure *cached;
  const gchar *location;

  before = sim_activity ();
  run = apixo_test_run_launch (sim, second_line, WAIT_S);
  after = sim_activity ();
  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  fail_unless (json_node_equal (before, after),
               "the cache hit talked to the service: %s then %s",
               json_to_string (before, FALSE), json_to_string (after, FALSE));

  cached = apixo_run_task_event (run, "cached");
  fail_unless (cached != NULL, "no \"cached\" apixo-task message");
  fail_unless_equals_string (gst_structure_get_string (cached, "task-id"),
                             task_id);
  location = gst_structure_get_string (cached, "location");
  fail_unless (location != NULL &&
               g_file_test (location, G_FILE_TEST_IS_REGULAR));

  assert_same_bytes (stream2, stream1);
  assert_same_bytes (out_path, stream1);
  assert_output (stream2);
}

GST_END_TEST;

/* A hit without save-location is found when the element starts, as
 * filesrc opens its file: activated in pull mode, before anything reads,
 * its size answers a duration query and the bus says "cached"; its bytes
 * are the entry's, and no request reached the service. */
GST_START_TEST (test_cache_hit_known_from_start)
{
  g_autofree gchar *task_id = fill_cache ();
  g_autofree gchar *entry = only_cache_entry ();
  g_autofree gchar *desc = g_strdup_printf (
      "apixosrc name=src base-url=%s api-key=test-key " REQUEST TIMING
      "cache-directory=%s cache=true",
      sim_fixture_base_url (sim), cache_dir);
  g_autoptr (GstElement) src = gst_parse_launch (desc, NULL);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (JsonNode) before = sim_activity ();
  g_autoptr (JsonNode) after = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GstBuffer) buf = NULL;
  g_autofree gchar *bytes = NULL;
  gsize length;
  gint64 duration = -1;
  GstMapInfo map;

  fail_unless (g_file_get_contents (entry, &bytes, &length, NULL));
  gst_element_set_bus (src, bus);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_READY),
                          GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_pad_activate_mode (pad, GST_PAD_MODE_PULL, TRUE));

  fail_unless (gst_element_query_duration (src, GST_FORMAT_BYTES, &duration));
  fail_unless_equals_int64 (duration, length);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL && gst_message_has_name (msg, "apixo-task") &&
                   g_strcmp0 (gst_structure_get_string (
                                  gst_message_get_structure (msg), "event"),
                              "cached") == 0,
               "no \"cached\" message when the element started");
  fail_unless_equals_string (
      gst_structure_get_string (gst_message_get_structure (msg), "task-id"),
      task_id);

  fail_unless_equals_int (gst_pad_get_range (pad, 0, length, &buf),
                          GST_FLOW_OK);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (map.size == length && memcmp (map.data, bytes, length) == 0);
  gst_buffer_unmap (buf, &map);

  fail_unless (gst_pad_activate_mode (pad, GST_PAD_MODE_PULL, FALSE));
  gst_element_set_state (src, GST_STATE_NULL);
  /* the messages left on the bus hold the element */
  gst_bus_set_flushing (bus, TRUE);
  after = sim_activity ();
  fail_unless (json_node_equal (before, after),
               "the cache hit talked to the service: %s then %s",
               json_to_string (before, FALSE), json_to_string (after, FALSE));
}

GST_END_TEST;

/* Overwrites 4 KiB in the middle of @path in place: its size stays. */
static void
overwrite_middle (const gchar *path)
{
  guint8 junk[4096];
  GStatBuf st;
  gint fd;

  fail_unless (g_stat (path, &st) == 0 &&
               st.st_size > (goffset)(2 * sizeof (junk)));
  memset (junk, 0x5a, sizeof (junk));
  fd = open (path, O_WRONLY);
  fail_unless (fd >= 0, "%s: %s", path, g_strerror (errno));
  fail_unless_equals_int (pwrite (fd, junk, sizeof (junk), st.st_size / 2),
                          sizeof (junk));
  close (fd);
}

/* Bytes of a cache entry overwritten (its size unchanged): the entry is
 * not used; a new task delivers the right result, which replaces it. */
GST_START_TEST (test_corrupt_cache_entry)
{
  g_autofree gchar *second_line = cached_line ("second.mp4");
  g_autofree gchar *stream1 = tmp_file ("first.mp4");
  g_autofree gchar *stream2 = tmp_file ("second.mp4");
  g_autofree gchar *entry = NULL;
  g_autofree gchar *replaced = NULL;

  g_free (fill_cache ());
  entry = only_cache_entry ();
  overwrite_middle (entry);

  run_child ("second", second_line);
  assert_billed (2);
  assert_output (stream2);
  assert_same_bytes (stream2, stream1);
  replaced = only_cache_entry ();
  assert_same_bytes (replaced, stream1);
}

GST_END_TEST;

/* A cache directory we may not write to: a warning that names
 * cache-directory, and the result all the same. */
GST_START_TEST (test_read_only_cache_directory)
{
  g_autofree gchar *line = cached_line ("stream.mp4");
  g_autofree gchar *stream = tmp_file ("stream.mp4");
  g_autoptr (ApixoRun) run = NULL;
  gboolean warned = FALSE;
  GList *l;

  if (geteuid () == 0) {
    g_printerr ("test_read_only_cache_directory: SKIPPED: root writes to "
                "read-only directories\n");
    return;
  }
  fail_unless (g_mkdir (cache_dir, 0500) == 0);

  run = apixo_test_run_launch (sim, line, WAIT_S);
  fail_unless (run->error == NULL, "%s", run->error->message);
  fail_unless (run->eos);
  for (l = run->messages; l != NULL && !warned; l = l->next) {
    g_autoptr (GError) warning = NULL;

    if (GST_MESSAGE_TYPE (l->data) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (l->data, &warning, NULL);
    warned = strstr (warning->message, "cache-directory") != NULL;
  }
  fail_unless (warned, "no warning names cache-directory");
  assert_billed (1);
  assert_output (stream);
  assert_output (out_path);
  fail_unless_equals_int (apixo_test_dir_count (cache_dir), 0);
}

GST_END_TEST;

/* A test case of this suite: each test has its own sim and cache
 * directory. */
static TCase *
payonce_tcase (Suite *s, const gchar *name)
{
  TCase *tc = tcase_create (name);

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  return tc;
}

static Suite *
apixosrc_payonce_suite (void)
{
  Suite *s = suite_create ("apixosrc_payonce");
  /* gst-launch-1.0 processes: killed, interrupted, eight at once */
  TCase *processes = payonce_tcase (s, "processes");
  /* one pipeline of this process, played again */
  TCase *replays = payonce_tcase (s, "replays");
  TCase *cache = payonce_tcase (s, "cache");

  tcase_add_test (processes, test_kill_before_submit_answer);
  tcase_add_test (processes, test_kill_while_polling);
  tcase_add_test (processes, test_kill_while_downloading);
  tcase_add_test (processes, test_sigint_while_polling);
  tcase_add_test (processes, test_processes_share_one_task);
  tcase_add_test (replays, test_play_again_after_eos);
  tcase_add_test (replays, test_seek_after_eos);
  tcase_add_test (replays, test_second_pipeline_while_first_plays);
  tcase_add_test (replays, test_stop_before_submission_sent);
  tcase_add_test (cache, test_cache_hit);
  tcase_add_test (cache, test_cache_hit_known_from_start);
  tcase_add_test (cache, test_corrupt_cache_entry);
  tcase_add_test (cache, test_read_only_cache_directory);
  return s;
}

GST_CHECK_MAIN (apixosrc_payonce);
