/* measure.c: the benchmark's stopwatch: runs one command and reports what it cost.
 *
 * usage: measure COMMAND [ARG...]
 *
 * Runs COMMAND (stdin, stdout and stderr inherited) and, once it has ended, prints one line on
 * file descriptor 3: "WALL_US CPU_US MAXRSS_KIB STATUS": wall time from fork to the end of wait4,
 * user + system CPU time and peak RSS of the command and every child it waited for (wait4), and
 * its exit status (128 + N when killed by signal N).
 *
 * A process's peak RSS includes the memory of the process it was before exec, so measuring from a
 * big parent (python3) would report the parent's size: this program stays small (libc only) and
 * forks the command itself. Exits 127 when the command cannot be started. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE          /* wait4 */
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
measure_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	long long start, end;
	int status, code;
	pid_t pid;
	FILE *out;

	if (argc < 2) {
		fputs("usage: measure COMMAND [ARG...]\n", stderr);
		return 2;
	}
	if (!(out = fdopen(3, "w"))) {
		fprintf(stderr, "measure: file descriptor 3: %s\n", strerror(errno));
		return 2;
	}
	start = measure_now_us();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		fclose(out);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
			return 127;
		}
	end = measure_now_us();
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(out, "%lld %lld %ld %d\n", end - start,
	    (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
	    ru.ru_maxrss, code);
	if (fclose(out) != 0)
		return 127;
	return 0;
}
