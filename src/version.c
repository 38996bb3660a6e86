/* version.c: --version: stopplan's version and the versions of the libraries it runs on. */
#include <curl/curl.h>
#include <stdio.h>
#include <yaml.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif
#include <jansson.h>

#include "config.h"
#include "version.h"

void
version_print(FILE *f)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	char pcre[64] = "?";

	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	fprintf(f, "stopplan %s\n", PACKAGE_VERSION);
	fprintf(f, "libcurl %s (%s), libyaml %s, PCRE2 %s, jansson %s\n", cv->version,
	    cv->ssl_version ? cv->ssl_version : "no TLS", yaml_get_version_string(), pcre, jansson_version_str());
#ifdef __GLIBC__
	fprintf(f, "C library: glibc %s", gnu_get_libc_version());
#else
	fputs("C library: musl", f);
#endif
#ifdef STOPPLAN_STATIC
	fputs(", static executable\n", f);
#else
	fputs(", dynamically linked\n", f);
#endif
}
