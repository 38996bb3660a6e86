/* install.h: `stopplan install DIR`: the executable copies itself, for init containers. */
#ifndef STOPPLAN_INSTALL_H
#define STOPPLAN_INSTALL_H

/* Copies the running executable (/proc/self/exe) to DIR/stopplan, mode 0755, atomically: written
 * to a temporary file in DIR, synced, then renamed over DIR/stopplan. Returns 0, or -1 with a
 * message "PATH: reason" in err (err_size bytes) and nothing left behind in DIR. */
int install_self(const char *dir, char *err, size_t err_size);

#endif
