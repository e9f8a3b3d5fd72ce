/* gst-apixo benchmarks: the floor of a spool design, without GStreamer,
 * libsoup or GLib.
 * Copyright (C) 2026 gst-apixo developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   spool-floor MODE http://127.0.0.1:PORT/PATH SPOOL_DIR
 *
 * Downloads the URL once over plain HTTP/1.1 (loopback only: no DNS, no
 * TLS) in recv()s filling 128 KiB blocks, and prints
 * "MODE WALL_S CPU_S BYTES".  MODE says what else happens to the bytes:
 *
 *   recv           nothing (what souphttpsrc's reading costs at least)
 *   write          each block pwrite() into a preallocated, unlinked file on
 *                  the receiving thread (the spool's download)
 *   write+read     the same, and a second thread pread()s the file in
 *                  64 KiB pieces right behind the download (the spool
 *                  serving a pipeline at the download's front)
 *   writer         the blocks are written by a writer thread (3 blocks in
 *                  flight) while the receiving thread goes on
 *   writer+read    the writer thread, and the reading thread
 *
 * tests/bench/run-benchmarks --plain runs recv and write+read beside
 * apixosrc, souphttpsrc and curl on the same result URL: apixosrc's download
 * is held to 1.15x write+read (docs/performance.md).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)
#define BLOCK_SIZE (128 * 1024) /* SPOOL_DISPATCH in gstapixospool.c */
#define N_BLOCKS 3
#define PIECE (64 * 1024)

typedef struct {
  char *data;
  size_t len;
  off_t offset;
  int full;
} Block;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  Block blocks[N_BLOCKS];
  off_t written; /* everything below is in the file */
  int download_over;
  int fd;
} S = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void
die (const char *what)
{
  perror (what);
  exit (1);
}

static void
write_block (const char *data, size_t len, off_t offset)
{
  while (len > 0) {
    ssize_t n = pwrite (S.fd, data, len, offset);

    if (n <= 0)
      die ("pwrite");
    data += n;
    len -= n;
    offset += n;
  }
}

static void
set_written (off_t end)
{
  pthread_mutex_lock (&S.lock);
  S.written = end;
  pthread_cond_broadcast (&S.cond);
  pthread_mutex_unlock (&S.lock);
}

static void *
writer_thread (void *unused)
{
  for (int i = 0;; i = (i + 1) % N_BLOCKS) {
    Block *b = &S.blocks[i];

    pthread_mutex_lock (&S.lock);
    while (!b->full && !S.download_over)
      pthread_cond_wait (&S.cond, &S.lock);
    pthread_mutex_unlock (&S.lock);
    if (!b->full)
      return NULL;
    write_block (b->data, b->len, b->offset);
    pthread_mutex_lock (&S.lock);
    b->full = 0;
    S.written = b->offset + b->len;
    pthread_cond_broadcast (&S.cond);
    pthread_mutex_unlock (&S.lock);
  }
}

static void *
reader_thread (void *unused)
{
  char *piece = malloc (PIECE);
  off_t pos = 0;

  for (;;) {
    off_t end;
    int over;

    pthread_mutex_lock (&S.lock);
    while (S.written < pos + PIECE && !S.download_over)
      pthread_cond_wait (&S.cond, &S.lock);
    end = S.written;
    over = S.download_over;
    pthread_mutex_unlock (&S.lock);
    if (pos >= end && over)
      break;
    if (pos < end) {
      size_t n = end - pos < PIECE ? end - pos : PIECE;

      if (pread (S.fd, piece, n, pos) != (ssize_t)n)
        die ("pread");
      pos += n;
    }
  }
  free (piece);
  return NULL;
}

static int
connect_url (const char *url, char *path, size_t path_size)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  unsigned port;
  char host[64];
  int s;

  if (sscanf (url, "http://%63[0-9.]:%u%1023s", host, &port, path) != 3 ||
      inet_pton (AF_INET, host, &addr.sin_addr) != 1) {
    fprintf (stderr, "spool-floor: want http://IPV4:PORT/PATH, got %s\n", url);
    exit (2);
  }
  addr.sin_port = htons (port);
  s = socket (AF_INET, SOCK_STREAM, 0);
  if (s < 0 || connect (s, (struct sockaddr *)&addr, sizeof addr) != 0)
    die ("connect");
  return s;
}

/* Sends the GET; reads the headers; returns how many body bytes came with
 * them (moved to the start of @buf), and the Content-Length in @size. */
static size_t
request (int s, const char *path, char *buf, long long *size)
{
  const char *length;
  char req[1200];
  size_t got = 0;
  char *end = NULL;
  int len = snprintf (req, sizeof req,
                      "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                      "Connection: close\r\n\r\n",
                      path);

  if (write (s, req, len) != len)
    die ("write");
  while (end == NULL) {
    ssize_t n = recv (s, buf + got, READ_SIZE - got - 1, 0);

    if (n <= 0)
      die ("recv (headers)");
    got += n;
    buf[got] = '\0';
    end = strstr (buf, "\r\n\r\n");
  }
  if (strncmp (buf, "HTTP/1.1 200", 12) != 0) {
    fprintf (stderr, "spool-floor: %.40s\n", buf);
    exit (1);
  }
  length = strcasestr (buf, "\r\nContent-Length:");
  *size = length ? atoll (length + 17) : 0;
  got -= end + 4 - buf;
  memmove (buf, end + 4, got);
  return got;
}

/* The receiving thread's block @i is full: write it or hand it over. */
static void
block_done (int threaded, int i, size_t len, off_t offset)
{
  Block *b = &S.blocks[i];

  if (!threaded) {
    write_block (b->data, len, offset);
    set_written (offset + len);
    return;
  }
  pthread_mutex_lock (&S.lock);
  b->len = len;
  b->offset = offset;
  b->full = 1;
  pthread_cond_broadcast (&S.cond);
  pthread_mutex_unlock (&S.lock);
}

static void
wait_block_free (int i)
{
  pthread_mutex_lock (&S.lock);
  while (S.blocks[i].full)
    pthread_cond_wait (&S.cond, &S.lock);
  pthread_mutex_unlock (&S.lock);
}

static double
seconds (struct timespec t)
{
  return t.tv_sec + t.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  int write_file, threaded, reading;
  char path[1024], spool[4096];
  pthread_t writer, reader;
  struct timespec t0, t1;
  struct rusage ru;
  off_t offset = 0;
  long long size;
  size_t fill;
  int s, i = 0;

  if (argc != 4) {
    fprintf (stderr, "usage: spool-floor recv|write|write+read|writer|"
                     "writer+read URL SPOOL_DIR\n");
    return 2;
  }
  write_file = strcmp (argv[1], "recv") != 0;
  threaded = strncmp (argv[1], "writer", 6) == 0;
  reading = strstr (argv[1], "+read") != NULL;
  for (int k = 0; k < N_BLOCKS; k++) {
    S.blocks[k].data = malloc (BLOCK_SIZE);
    memset (S.blocks[k].data, 0, BLOCK_SIZE); /* no page faults timed */
  }
  snprintf (spool, sizeof spool, "%s/spool-floor-XXXXXX", argv[3]);
  S.fd = mkstemp (spool);
  if (S.fd < 0)
    die ("mkstemp");
  unlink (spool);

  clock_gettime (CLOCK_MONOTONIC, &t0);
  s = connect_url (argv[2], path, sizeof path);
  fill = request (s, path, S.blocks[0].data, &size);
  if (write_file && size > 0)
    fallocate (S.fd, 0, 0, size); /* as the spool does */
  if (threaded)
    pthread_create (&writer, NULL, writer_thread, NULL);
  if (reading)
    pthread_create (&reader, NULL, reader_thread, NULL);
  for (;;) {
    size_t want = BLOCK_SIZE - fill < READ_SIZE ? BLOCK_SIZE - fill : READ_SIZE;
    ssize_t n = recv (s, S.blocks[i].data + fill, want, 0);

    if (n < 0)
      die ("recv");
    fill += n;
    if ((fill == BLOCK_SIZE || n == 0) && fill > 0 && write_file) {
      block_done (threaded, i, fill, offset);
      offset += fill;
      fill = 0;
      if (threaded) {
        i = (i + 1) % N_BLOCKS;
        wait_block_free (i);
      }
    } else if (fill == BLOCK_SIZE || n == 0) {
      offset += fill;
      fill = 0;
    }
    if (n == 0)
      break;
  }
  if (threaded) /* the writer goes round in order: the last one is last */
    wait_block_free ((i + N_BLOCKS - 1) % N_BLOCKS);
  pthread_mutex_lock (&S.lock);
  S.download_over = 1;
  pthread_cond_broadcast (&S.cond);
  pthread_mutex_unlock (&S.lock);
  if (threaded)
    pthread_join (writer, NULL);
  if (reading)
    pthread_join (reader, NULL);
  clock_gettime (CLOCK_MONOTONIC, &t1);

  getrusage (RUSAGE_SELF, &ru);
  printf ("%s %.6f %.6f %lld\n", argv[1], seconds (t1) - seconds (t0),
          ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
              ru.ru_stime.tv_usec / 1e6,
          (long long)offset);
  close (s);
  close (S.fd);
  return 0;
}
