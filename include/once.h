/* once.h: run-once (--once-file): a second delivery of the same hook replays the first one's exit
 * code instead of running the plan again. */
#ifndef STOPPLAN_ONCE_H
#define STOPPLAN_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plan;
struct once;

/* The identity of a run: FNV-1a 64 of the plan text and of every param's name and resolved value. */
uint64_t once_identity(const char *text, size_t len, const struct plan *p, char *const *params);
/* Opens (creating it, mode 0600) the once-file PATH for a run of identity id. Returns NULL with errno
 * set when it cannot. The caller owns the result: once_finish or once_free. */
struct once *once_open(const char *path, uint64_t id);
/* Takes the file's exclusive lock (flock). Without wait, tries once; with wait, keeps trying while
 * another run holds it, but not past `until` (CLOCK_MONOTONIC ms). Returns 0 when locked, 1 when
 * another run holds it, -1 with errno on error. */
int once_lock(struct once *o, bool wait, int64_t until);
/* With the lock held: returns true when the file records a finished run of this identity, with its
 * exit code in *code and the time it ended in *when (newly allocated). */
bool once_recorded(struct once *o, int *code, char **when);
/* Records the run's exit code (codes from 128 on, a signal, are not recorded: the next delivery runs
 * the plan again), releases the lock and frees o. Returns 0, or -1 with errno when the record could
 * not be written. */
int once_finish(struct once *o, int code, const char *plan_name);
/* Releases the lock and frees o without recording anything. */
void once_free(struct once *o);

#endif
