/* ca.c: the CA store used when a plan names no tls.ca-file. A static build has no CA bundle
 * compiled in and a scratch image has no store at all, so the usual paths are looked for at run
 * time, and the OpenSSL convention SSL_CERT_FILE / SSL_CERT_DIR is honoured by every build. */
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "ca.h"

static const char *const ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Arch, Gentoo */
	"/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, CentOS, Fedora, Alibaba */
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7 and later */
	"/etc/ssl/cert.pem",                                 /* Alpine */
	"/etc/ssl/ca-bundle.pem",                            /* SUSE */
	NULL,
};

static const char *
ca_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void
ca_default(const char *builtin_file, const char **file, const char **dir)
{
	static int done;
	static const char *cfile, *cdir;
	size_t i;

	if (!done) {
		done = 1;
		cfile = ca_env("SSL_CERT_FILE");
		cdir = ca_env("SSL_CERT_DIR");
		if (!cfile && !cdir && !(builtin_file && access(builtin_file, R_OK) == 0))
			for (i = 0; ca_bundles[i] && !cfile; i++)
				if (access(ca_bundles[i], R_OK) == 0)
					cfile = ca_bundles[i];
	}
	*file = cfile;
	*dir = cdir;
}
