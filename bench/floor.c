/* floor.c: the benchmark's floor: the least a program built on libcurl, libyaml, PCRE2 and jansson
 * can do for the HSF/LWP plan. It links the four libraries as stopplan does and makes the plan's two
 * requests with curl_easy_perform, and nothing else: no plan, no checks, no event loop.
 *
 * usage: floor [URL...]    GETs each URL in turn (bodies discarded); without URLs it only starts,
 *                          which shows what linking the libraries costs. Exits 1 when a GET fails. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static size_t
floor_writefunction(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static int
floor_get(CURL *c, const char *url)
{
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, floor_writefunction);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "floor: %s: %s\n", url, curl_easy_strerror(rc));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	CURL *c;
	int i, rc = 0;
	uint32_t unicode = 0;

	/* Touch libyaml, PCRE2 and jansson once, so that they stay linked and loaded as in stopplan
	 * (whatever the linker's --as-needed default). */
	pcre2_config(PCRE2_CONFIG_UNICODE, &unicode);
	if (!yaml_get_version_string() || !unicode || !jansson_version_str())
		return 3;
	if (argc < 2)
		return 0;
	if (!(c = curl_easy_init()))
		return 1;
	for (i = 1; i < argc; i++)
		rc |= floor_get(c, argv[i]);
	curl_easy_cleanup(c);
	return rc;
}
