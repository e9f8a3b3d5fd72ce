/* gst-apixo
 * Copyright (C) 2026 gst-apixo developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal: one durable JSON record per run identity, so that a run
 * killed at any point is resumed instead of paid for again, and the
 * history of closed records in journal/done/.
 *
 * Thread safety notes
 * -------------------
 * A GstApixoJournal is immutable after open() (its directories) and
 * reference counted (g_atomic_rc_box): any thread may use it.  Records
 * are written by the holder of their key's lease only (the caller's
 * duty), each write an atomic replacement (gstapixodurable), so readers
 * in any process see a whole record, old or new.  The process-wide set of
 * directories already pruned is guarded by prune_lock (no other lock is
 * taken inside it; the pruning itself runs outside it).
 *
 * Record format (journal/<key>.json, journal/done/<time>-<task>.json):
 * a JSON object, written by json-glib, pretty-printed for people:
 *   "version" 1, "state" ("submitting", "submitted", "delivered",
 *   "failed"), "key", "holder", "model", "request" (the canonical request
 *   as JSON text), "task-id", "intent-time", "submit-time", "close-time"
 *   (Unix µs integers, absent when 0, each with an ISO 8601 UTC twin
 *   "<name>-iso" for people: readers use the integers), "result-url",
 *   "location", "size", "message".  Readers accept unknown members (a
 *   newer writer's) and refuse a record whose known members have another
 *   type, whose state is unknown, or that is larger than
 *   JOURNAL_MAX_RECORD: a refused record is treated as absent.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstapixojournal.h"
#include "gstapixodurable.h"
#include "gstapixojson.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (apixo_journal_debug);
#define GST_CAT_DEFAULT apixo_journal_debug

#define JOURNAL_VERSION 1
/* Records are untrusted input (any process, or a person, may write
 * them): never read more.  A real one is a few KiB (the request). */
#define JOURNAL_MAX_RECORD (256 * 1024)
/* Bounds on the short fields. */
#define JOURNAL_MAX_KEY 128
#define JOURNAL_MAX_SHORT 256
/* A task id in a done/ file name is cut to this. */
#define JOURNAL_MAX_NAME_ID 64
/* Temporary files of replacements killed midway are removed after this. */
#define JOURNAL_STALE_TMP_US G_TIME_SPAN_HOUR

struct _GstApixoJournal {
  gchar *dir;      /* <cache_dir>/journal */
  gchar *done_dir; /* <cache_dir>/journal/done */
};

#define RECORD_FIELD(type, record, offset)                                     \
  G_STRUCT_MEMBER (type, (record), (offset))

/* The string fields of a record: member name, offset, longest accepted
 * (0: bounded by JOURNAL_MAX_RECORD only). */
static const struct {
  const gchar *name;
  gsize offset;
  gsize max;
} record_strings[] = {
  { "key", G_STRUCT_OFFSET (GstApixoJournalRecord, key), JOURNAL_MAX_KEY },
  { "holder", G_STRUCT_OFFSET (GstApixoJournalRecord, holder),
    JOURNAL_MAX_SHORT },
  { "model", G_STRUCT_OFFSET (GstApixoJournalRecord, model),
    JOURNAL_MAX_SHORT },
  { "task-id", G_STRUCT_OFFSET (GstApixoJournalRecord, task_id),
    JOURNAL_MAX_SHORT },
  { "result-url", G_STRUCT_OFFSET (GstApixoJournalRecord, result_url), 0 },
  { "location", G_STRUCT_OFFSET (GstApixoJournalRecord, location), 0 },
  { "message", G_STRUCT_OFFSET (GstApixoJournalRecord, message), 0 },
  { "request", G_STRUCT_OFFSET (GstApixoJournalRecord, request), 0 },
};

/* The times of a record (gint64 Unix µs), each written with an ISO 8601
 * twin "<name>-iso". */
static const struct {
  const gchar *name;
  gsize offset;
} record_times[] = {
  { "intent-time", G_STRUCT_OFFSET (GstApixoJournalRecord, intent_time) },
  { "submit-time", G_STRUCT_OFFSET (GstApixoJournalRecord, submit_time) },
  { "close-time", G_STRUCT_OFFSET (GstApixoJournalRecord, close_time) },
};

static const gchar *const state_names[] = {
  [GST_APIXO_JOURNAL_SUBMITTING] = "submitting",
  [GST_APIXO_JOURNAL_SUBMITTED] = "submitted",
  [GST_APIXO_JOURNAL_DELIVERED] = "delivered",
  [GST_APIXO_JOURNAL_FAILED] = "failed",
};

static GMutex prune_lock;
static GHashTable *pruned_dirs; /* prune_lock: done dirs pruned already */

/* Once per process: the debug category and the set of pruned
 * directories (kept for the life of the process). */
static void
journal_init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (apixo_journal_debug, "apixojournal", 0,
                             "APIXO journal of runs");
    pruned_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_once_init_leave (&done, 1);
  }
}

/* ---- records ----------------------------------------------------------- */

GstApixoJournalRecord *
gst_apixo_journal_record_new (void)
{
  return g_new0 (GstApixoJournalRecord, 1);
}

GstApixoJournalRecord *
gst_apixo_journal_record_copy (const GstApixoJournalRecord *record)
{
  GstApixoJournalRecord *copy = g_memdup2 (record, sizeof (*record));

  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++) {
    gchar **field = &RECORD_FIELD (gchar *, copy, record_strings[i].offset);

    *field = g_strdup (*field);
  }
  return copy;
}

void
gst_apixo_journal_record_free (GstApixoJournalRecord *record)
{
  if (record == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++)
    g_free (RECORD_FIELD (gchar *, record, record_strings[i].offset));
  g_free (record);
}

gboolean
gst_apixo_journal_record_is_open (const GstApixoJournalRecord *record)
{
  return record->state == GST_APIXO_JOURNAL_SUBMITTING ||
         record->state == GST_APIXO_JOURNAL_SUBMITTED;
}

const gchar *
gst_apixo_journal_state_to_string (GstApixoJournalState state)
{
  if ((guint)state >= G_N_ELEMENTS (state_names))
    return "unknown";
  return state_names[state];
}

/* FALSE if @name is no state. */
static gboolean
state_from_string (const gchar *name, GstApixoJournalState *state)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (state_names); i++) {
    if (g_str_equal (name, state_names[i])) {
      *state = (GstApixoJournalState)i;
      return TRUE;
    }
  }
  return FALSE;
}

/* A key names files: 1 to JOURNAL_MAX_KEY letters, digits, '-' or '_'. */
static gboolean
key_ok (const gchar *key)
{
  gsize len = key ? strlen (key) : 0;

  if (len == 0 || len > JOURNAL_MAX_KEY)
    return FALSE;
  for (const gchar *p = key; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  }
  return TRUE;
}

/* ---- JSON -------------------------------------------------------------- */

/* @time_us (Unix µs) in UTC, as g_date_time_format() @format says. */
static gchar *
format_utc (gint64 time_us, const gchar *format)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  gchar *text = dt ? g_date_time_format (dt, format) : NULL;

  if (dt != NULL)
    g_date_time_unref (dt);
  return text ? text : g_strdup ("invalid-time");
}

/* @name as Unix µs and "@name-iso" for people; nothing when 0. */
static void
add_time (JsonBuilder *b, const gchar *name, gint64 time_us)
{
  gchar *iso_name, *iso;

  if (time_us == 0)
    return;
  gst_apixo_json_add_int (b, name, time_us);
  iso_name = g_strconcat (name, "-iso", NULL);
  iso = format_utc (time_us, "%Y-%m-%dT%H:%M:%SZ");
  gst_apixo_json_add_string (b, iso_name, iso);
  g_free (iso);
  g_free (iso_name);
}

static gchar *
record_to_json (const GstApixoJournalRecord *record, gsize *length)
{
  JsonBuilder *b = gst_apixo_json_object_begin ();

  gst_apixo_json_add_int (b, "version", JOURNAL_VERSION);
  gst_apixo_json_add_string (b, "state",
                             gst_apixo_journal_state_to_string (record->state));
  for (guint i = 0; i < G_N_ELEMENTS (record_times); i++)
    add_time (b, record_times[i].name,
              RECORD_FIELD (gint64, record, record_times[i].offset));
  if (record->size > 0)
    gst_apixo_json_add_int (b, "size", MIN (record->size, G_MAXINT64));
  /* Strings last: the request is long. */
  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++)
    gst_apixo_json_add_string (
        b, record_strings[i].name,
        RECORD_FIELD (gchar *, record, record_strings[i].offset));
  return gst_apixo_json_object_end (b, TRUE, length);
}

/* The scalar members of @obj, NULL if they have the types and bounds of a
 * record, else why not. */
static const gchar *
check_scalars (JsonObject *obj)
{
  if (!gst_apixo_json_member_is (obj, "version", G_TYPE_INT64) ||
      !gst_apixo_json_member_is (obj, "state", G_TYPE_STRING) ||
      !gst_apixo_json_member_is (obj, "size", G_TYPE_INT64))
    return "a member has the wrong type";
  if (gst_apixo_json_get_int (obj, "size", 0) < 0)
    return "negative size";
  for (guint i = 0; i < G_N_ELEMENTS (record_times); i++) {
    if (!gst_apixo_json_member_is (obj, record_times[i].name, G_TYPE_INT64))
      return "a time is not an integer";
    if (gst_apixo_json_get_int (obj, record_times[i].name, 0) < 0)
      return "a time is negative";
  }
  return NULL;
}

/* The string members of @obj, NULL if they have the types and bounds of a
 * record, else why not. */
static const gchar *
check_strings (JsonObject *obj)
{
  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++) {
    const gchar *value;

    if (!gst_apixo_json_member_is (obj, record_strings[i].name, G_TYPE_STRING))
      return "a text member is not a string";
    value = gst_apixo_json_get_string (obj, record_strings[i].name);
    if (value != NULL && record_strings[i].max > 0 &&
        strlen (value) > record_strings[i].max)
      return "a member is too long";
  }
  return NULL;
}

/* Fills @r from @obj, once checked. */
static void
record_fill (GstApixoJournalRecord *r, JsonObject *obj)
{
  for (guint i = 0; i < G_N_ELEMENTS (record_strings); i++)
    RECORD_FIELD (gchar *, r, record_strings[i].offset) =
        g_strdup (gst_apixo_json_get_string (obj, record_strings[i].name));
  for (guint i = 0; i < G_N_ELEMENTS (record_times); i++)
    RECORD_FIELD (gint64, r, record_times[i].offset) =
        gst_apixo_json_get_int (obj, record_times[i].name, 0);
  r->size = gst_apixo_json_get_int (obj, "size", 0);
}

/* Fills @r from @obj; NULL on success, else why the record is refused. */
static const gchar *
record_from_object (JsonObject *obj, GstApixoJournalRecord *r)
{
  const gchar *why = check_scalars (obj);

  if (why == NULL)
    why = check_strings (obj);
  if (why != NULL)
    return why;
  if (!state_from_string (gst_apixo_json_get_string (obj, "state"), &r->state))
    return "unknown state";
  record_fill (r, obj);
  if (r->key == NULL)
    return "no key";
  if (r->state == GST_APIXO_JOURNAL_SUBMITTED && r->task_id == NULL)
    return "submitted without a task id";
  return NULL;
}

/* The record in @text (untrusted), or NULL and *@why. */
static GstApixoJournalRecord *
record_parse (const gchar *text, gsize length, const gchar **why)
{
  GError *error = NULL;
  JsonNode *root = gst_apixo_json_parse_object (text, length, &error);
  GstApixoJournalRecord *r;

  if (root == NULL) {
    GST_DEBUG ("record does not parse: %s", error->message);
    g_error_free (error);
    *why = "not a JSON object";
    return NULL;
  }
  r = gst_apixo_journal_record_new ();
  *why = record_from_object (json_node_get_object (root), r);
  json_node_unref (root);
  if (*why != NULL)
    g_clear_pointer (&r, gst_apixo_journal_record_free);
  return r;
}

/* ---- the journal ------------------------------------------------------- */

/* Removes the regular files of @dir whose name ends with @suffix and that
 * were last changed more than @age_us ago. */
static void
remove_old_files (const gchar *dir, const gchar *suffix, gint64 age_us)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  gint64 limit = g_get_real_time () - age_us;
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);
    GStatBuf st;

    if (g_str_has_suffix (name, suffix) && g_lstat (path, &st) == 0 &&
        S_ISREG (st.st_mode) && gst_apixo_durable_mtime_us (&st) < limit) {
      GST_DEBUG ("removing old %s", path);
      g_unlink (path);
    }
    g_free (path);
  }
  if (d != NULL)
    g_dir_close (d);
}

/* Once per process and directory: history beyond GST_APIXO_JOURNAL_KEEP_DAYS
 * and temporary files of writers killed midway. */
static void
journal_prune_once (GstApixoJournal *journal)
{
  gboolean first;

  g_mutex_lock (&prune_lock);
  first = g_hash_table_add (pruned_dirs, g_strdup (journal->done_dir));
  g_mutex_unlock (&prune_lock);
  if (!first)
    return;
  remove_old_files (journal->done_dir, ".json",
                    GST_APIXO_JOURNAL_KEEP_DAYS * G_TIME_SPAN_DAY);
  remove_old_files (journal->done_dir, GST_APIXO_DURABLE_TMP_SUFFIX,
                    JOURNAL_STALE_TMP_US);
  remove_old_files (journal->dir, GST_APIXO_DURABLE_TMP_SUFFIX,
                    JOURNAL_STALE_TMP_US);
}

/* Creates @dir (mode 0700) if missing and checks it can be written. */
static gboolean
ensure_dir (const gchar *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    gint err = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                 "Cannot create the journal directory “%s”: %s", dir,
                 g_strerror (err));
    return FALSE;
  }
  if (g_access (dir, W_OK | X_OK) != 0) {
    gint err = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
                 "Cannot write to the journal directory “%s”: %s", dir,
                 g_strerror (err));
    return FALSE;
  }
  return TRUE;
}

static void
journal_clear (GstApixoJournal *journal)
{
  g_free (journal->dir);
  g_free (journal->done_dir);
}

GstApixoJournal *
gst_apixo_journal_open (const gchar *cache_dir, GError **error)
{
  GstApixoJournal *journal;

  g_return_val_if_fail (cache_dir != NULL, NULL);
  journal_init_once ();
  journal = g_atomic_rc_box_new0 (GstApixoJournal);
  journal->dir = g_build_filename (cache_dir, "journal", NULL);
  journal->done_dir = g_build_filename (journal->dir, "done", NULL);
  if (!ensure_dir (journal->done_dir, error) ||
      !ensure_dir (journal->dir, error)) {
    gst_apixo_journal_unref (journal);
    return NULL;
  }
  journal_prune_once (journal);
  GST_DEBUG ("journal in %s", journal->dir);
  return journal;
}

GstApixoJournal *
gst_apixo_journal_ref (GstApixoJournal *journal)
{
  return g_atomic_rc_box_acquire (journal);
}

void
gst_apixo_journal_unref (GstApixoJournal *journal)
{
  g_atomic_rc_box_release_full (journal, (GDestroyNotify)journal_clear);
}

const gchar *
gst_apixo_journal_get_dir (GstApixoJournal *journal)
{
  return journal->dir;
}

/* "<journal dir>/<key><suffix>" */
static gchar *
key_file (GstApixoJournal *journal, const gchar *key, const gchar *suffix)
{
  gchar *name = g_strconcat (key, suffix, NULL);
  gchar *path = g_build_filename (journal->dir, name, NULL);

  g_free (name);
  return path;
}

gchar *
gst_apixo_journal_lease_path (GstApixoJournal *journal, const gchar *key)
{
  g_return_val_if_fail (key_ok (key), NULL);
  return key_file (journal, key, ".lease");
}

GstApixoJournalRecord *
gst_apixo_journal_read (GstApixoJournal *journal, const gchar *key)
{
  gchar *path, *text;
  GstApixoJournalRecord *record = NULL;
  const gchar *why = NULL;
  GError *error = NULL;
  gsize length = 0;

  g_return_val_if_fail (key_ok (key), NULL);
  path = key_file (journal, key, ".json");
  text =
      gst_apixo_durable_read (path, JOURNAL_MAX_RECORD, &length, NULL, &error);
  if (text == NULL) {
    if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      GST_DEBUG ("no record %s", path);
    else
      GST_WARNING ("record ignored: %s", error->message);
    g_error_free (error);
  } else if ((record = record_parse (text, length, &why)) == NULL) {
    GST_WARNING ("record %s ignored: %s", path, why);
  } else if (!g_str_equal (record->key, key)) {
    GST_WARNING ("record %s ignored: it is the record of %s", path,
                 record->key);
    g_clear_pointer (&record, gst_apixo_journal_record_free);
  }
  g_free (text);
  g_free (path);
  return record;
}

/* "<done>/<YYYYMMDDTHHMMSSZ>-<task id or key>.json", the id made safe for
 * a file name (it comes from the service). */
static gchar *
done_path (GstApixoJournal *journal, const GstApixoJournalRecord *record)
{
  gint64 when = record->close_time ? record->close_time : g_get_real_time ();
  gchar *stamp = format_utc (when, "%Y%m%dT%H%M%SZ");
  gchar *id = g_strndup (record->task_id ? record->task_id : record->key,
                         JOURNAL_MAX_NAME_ID);
  gchar *name, *path;

  g_strcanon (id, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "-_", '_');
  name = g_strdup_printf ("%s-%s.json", stamp, id);
  path = g_build_filename (journal->done_dir, name, NULL);
  g_free (name);
  g_free (id);
  g_free (stamp);
  return path;
}

gboolean
gst_apixo_journal_write (GstApixoJournal *journal,
                         const GstApixoJournalRecord *record, GError **error)
{
  gsize length;
  gchar *json, *path;
  gboolean ok = TRUE;

  g_return_val_if_fail (record != NULL && key_ok (record->key), FALSE);
  g_return_val_if_fail ((guint)record->state < G_N_ELEMENTS (state_names),
                        FALSE);
  json = record_to_json (record, &length);
  path = key_file (journal, record->key, ".json");
  if (length > JOURNAL_MAX_RECORD) {
    /* Readers would ignore it: the run must know it is not journaled. */
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "Cannot write “%s”: the record (%" G_GSIZE_FORMAT
                 " bytes) is larger than %d bytes",
                 path, length, JOURNAL_MAX_RECORD);
    ok = FALSE;
  } else if (!gst_apixo_journal_record_is_open (record)) {
    /* History first: a crash in between leaves an open record (resumed
     * and closed again), never a closed one missing from the history. */
    gchar *done = done_path (journal, record);

    ok = gst_apixo_durable_replace (done, json, length, error);
    g_free (done);
  }
  ok = ok && gst_apixo_durable_replace (path, json, length, error);
  if (ok)
    GST_DEBUG ("%s: %s %s", record->key,
               gst_apixo_journal_state_to_string (record->state),
               record->task_id ? record->task_id : "");
  g_free (path);
  g_free (json);
  return ok;
}
