/* version.h: what --version prints: stopplan's version, the libraries it runs on, how it was built. */
#ifndef STOPPLAN_VERSION_H
#define STOPPLAN_VERSION_H

#include <stdio.h>

/* Writes the version lines to f: "stopplan X.Y.Z", then one line naming each library's version as
 * found at run time, then the C library and whether the executable is static. */
void version_print(FILE *f);

#endif
