/* ca.c: the CA store used when a plan names no tls.ca-file. A static build has no CA bundle
 * compiled in and a scratch image has no store at all, so the usual paths are looked for at run
 * time, and the OpenSSL convention SSL_CERT_FILE / SSL_CERT_DIR is honoured by every build. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "util.h"

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

/* mbedTLS's verification flags as curl names them, and what OpenSSL says for the same. */
static const struct {
	const char *flag;
	const char *text;
} ca_verdicts[] = {
	{"BADCERT_EXPIRED", "certificate has expired"},
	{"BADCERT_FUTURE", "certificate is not yet valid"},
	{"BADCERT_REVOKED", "certificate revoked"},
	{"BADCERT_CN_MISMATCH", "certificate subject name does not match target host name"},
	{"BADCERT_NOT_TRUSTED", "unable to get local issuer certificate (the issuer is not in the CA store)"},
};

char *
ca_error(const char *msg, const char *host)
{
	static const char prefix[] = "Cert verify failed: ";
	const char *flag = msg + sizeof(prefix) - 1;
	size_t i;

	if (strncmp(msg, prefix, sizeof(prefix) - 1) != 0)
		return xstrdup(msg);
	for (i = 0; i < LEN(ca_verdicts); i++) {
		if (strcmp(flag, ca_verdicts[i].flag) != 0)
			continue;
		if (host && strcmp(flag, "BADCERT_CN_MISMATCH") == 0)
			return xasprintf("SSL certificate problem: %s '%s' (mbedTLS: %s)", ca_verdicts[i].text,
			    host, flag);
		return xasprintf("SSL certificate problem: %s (mbedTLS: %s)", ca_verdicts[i].text, flag);
	}
	return xstrdup(msg);
}
