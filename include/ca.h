/* ca.h: where TLS peers' certificates are checked against when a plan names no tls.ca-file. */
#ifndef STOPPLAN_CA_H
#define STOPPLAN_CA_H

/* Chooses the CA store for calls whose plan names no ca-file, once per process: SSL_CERT_FILE
 * and/or SSL_CERT_DIR when set (non-empty); else libcurl's built-in bundle (builtin_file, may be
 * NULL) when that file exists; else the first readable of the usual distribution bundles
 * (Debian, RHEL, Alpine, SUSE). Sets *file and *dir to static strings or NULL (NULL and NULL:
 * leave libcurl's defaults alone). Never fails. */
void ca_default(const char *builtin_file, const char **file, const char **dir);

/* Returns a copy of libcurl's error message msg, made readable when it is one of mbedTLS's
 * certificate verdicts ("Cert verify failed: BADCERT_EXPIRED" becomes "SSL certificate problem:
 * certificate has expired (mbedTLS: BADCERT_EXPIRED)"), worded as with OpenSSL; a name mismatch
 * names host (may be NULL). The caller owns the result. */
char *ca_error(const char *msg, const char *host);

#endif
