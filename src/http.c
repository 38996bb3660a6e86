/* http.c: owns libcurl: one multi handle per loop (its keep-alive cache) with a pool of easy
 * handles, the loop's driver; sets up transfers and collects replies within their caps.
 * Callbacks are named after the CURLOPT they serve. */
#include <ctype.h>
#include <limits.h>
#include <curl/curl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "config.h"
#include "http.h"
#include "loop.h"
#include "util.h"

#define HTTP_MAX_HEADERS_BYTES (64 * 1024)
#define HTTP_MAX_REDIRS 5
#define HTTP_POOL 8

/* The loop's libcurl state: the multi handle holds the cache of keep-alive connections, shared
 * by every transfer of the run. */
struct http_multi {
	CURLM *multi;
	size_t ntransfers;           /* easy handles added to multi */
	CURL *pool[HTTP_POOL];       /* idle easy handles to reuse */
	int npool;
};

struct http {
	struct http_multi *m;
	CURL *easy;
	struct curl_slist *headers;
	struct http_response res;
	size_t max_body;
	size_t body_cap;             /* allocated size of res.body */
	size_t header_bytes;
	bool headers_too_big;
	char errbuf[CURL_ERROR_SIZE];
	int64_t started;
};

static void
http_clear_headers(struct http *h)
{
	size_t i;

	for (i = 0; i < h->res.nheaders; i++) {
		free(h->res.headers[i].name);
		free(h->res.headers[i].value);
	}
	free(h->res.headers);
	h->res.headers = NULL;
	h->res.nheaders = 0;
	h->header_bytes = 0;
}

static size_t
http_writefunction(char *data, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t len = size * n;

	if (h->res.body_len + len > h->max_body) {
		h->res.too_big = true;
		return 0;
	}
	if (h->res.body_len + len + 1 > h->body_cap) {
		size_t cap = h->body_cap ? h->body_cap : 4096;

		while (cap < h->res.body_len + len + 1)
			cap *= 2;
		if (cap > h->max_body + 1)
			cap = h->max_body + 1;
		h->res.body = xreallocarray(h->res.body, cap, 1);
		h->body_cap = cap;
	}
	memcpy(h->res.body + h->res.body_len, data, len);
	h->res.body_len += len;
	h->res.body[h->res.body_len] = '\0';
	return len;
}

static void
http_add_header(struct http *h, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v, *e = line + len;
	struct http_header *hd;
	size_t i;

	if (!colon)
		return;
	for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h->res.headers = xgrow(h->res.headers, h->res.nheaders, sizeof(*h->res.headers));
	hd = &h->res.headers[h->res.nheaders++];
	hd->name = xstrndup(line, (size_t)(colon - line));
	for (i = 0; hd->name[i]; i++)
		hd->name[i] = (char)tolower((unsigned char)hd->name[i]);
	hd->value = xstrndup(v, (size_t)(e - v));
}

static size_t
http_headerfunction(char *data, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t len = size * n;

	/* A new status line starts a new response (a redirect, or 100 Continue). */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
		http_clear_headers(h);
	h->header_bytes += len;
	if (h->header_bytes > HTTP_MAX_HEADERS_BYTES) {
		h->headers_too_big = true;
		return 0;
	}
	http_add_header(h, data, len);
	return len;
}

/* libcurl built for http and https only (the static build) fails a redirect to another scheme as a
 * malformed URL: name the scheme, for both builds alike. NULL when the failure is something else. */
static char *
http_redirect_error(const struct http *h, int code)
{
	const char *loc = NULL, *p;
	size_t i, n;

	if ((code != CURLE_URL_MALFORMAT && code != CURLE_UNSUPPORTED_PROTOCOL) ||
	    h->res.status < 300 || h->res.status > 399)
		return NULL;
	for (i = 0; i < h->res.nheaders; i++)
		if (strcmp(h->res.headers[i].name, "location") == 0)
			loc = h->res.headers[i].value;
	if (!loc)
		return NULL;
	for (p = loc; isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'; p++)
		;
	n = (size_t)(p - loc);
	if (*p != ':' || n == 0 || (n == 4 && strncasecmp(loc, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(loc, "https", 5) == 0))
		return NULL;
	return xasprintf("redirect refused: protocol \"%.*s\" not allowed (only http and https are followed)",
	    (int)n, loc);
}

/* A certificate verdict of mbedTLS, worded as with OpenSSL, naming the host as OpenSSL's does. */
static char *
http_cert_error(const struct http *h)
{
	char *url = NULL, *host = NULL, *why;
	CURLU *u = curl_url();

	curl_easy_getinfo(h->easy, CURLINFO_EFFECTIVE_URL, &url);
	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	why = ca_error(h->errbuf, host);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

static int
http_setup(struct http *h, const struct http_request *r)
{
	CURL *c = h->easy;
	size_t i;

	curl_easy_setopt(c, CURLOPT_PRIVATE, h);
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout);
#if LIBCURL_VERSION_NUM >= 0x075700
	curl_easy_setopt(c, CURLOPT_QUICK_EXIT, 1L);
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, "stopplan/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_writefunction);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_headerfunction);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	if (r->connect_only) {
		/* A port probe tests the host itself, never a proxy. */
		curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	}
	if (r->proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, r->proxy);
	if (r->follow) {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	}
	if (r->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, r->body);
	}
	if (r->method && strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (r->method && strcmp(r->method, r->body ? "POST" : "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	for (i = 0; i < r->nheaders; i++)
		h->headers = curl_slist_append(h->headers, r->headers[i]);
	if (h->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	if (r->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	} else if (r->follow || strncasecmp(r->url, "https:", 6) == 0) {
		/* Only a transfer that can reach TLS (https, or a redirect to it) looks for a CA store:
		 * a plain http call never stats the bundle paths nor loads curl's version table. */
		const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
		const char *file, *dir;

		ca_default(cv->age >= CURLVERSION_NINTH ? cv->cainfo : NULL, &file, &dir);
		if (file)
			curl_easy_setopt(c, CURLOPT_CAINFO, file);
		if (dir)
			curl_easy_setopt(c, CURLOPT_CAPATH, dir);
	}
	if (r->client_cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
	if (r->client_key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
	if (r->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->unix_socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, r->unix_socket);
	return 0;
}

static void http_finished(CURL *easy, CURLcode code);

static CURLM *
http_multi_init(void)
{
	CURLM *m = curl_multi_init();

	if (!m)
		fatal("cannot create a libcurl multi handle");
	return m;
}

static void
http_multi_perform(void *arg)
{
	struct http_multi *m = arg;
	CURLMsg *msg;
	int running, left;

	curl_multi_perform(m->multi, &running);
	while ((msg = curl_multi_info_read(m->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			http_finished(msg->easy_handle, msg->data.result);
}

static int
http_multi_wait(void *arg, struct pollfd *fds, size_t nfds, int timeout)
{
	struct http_multi *m = arg;
	struct curl_waitfd stack[16], *w = nfds <= LEN(stack) ? stack : xcalloc(nfds, sizeof(*w));
	size_t i;
	int n = 0;

	for (i = 0; i < nfds; i++) {
		w[i].fd = fds[i].fd;
		w[i].events = (short)((fds[i].events & POLLIN ? CURL_WAIT_POLLIN : 0) |
		    (fds[i].events & POLLPRI ? CURL_WAIT_POLLPRI : 0) | (fds[i].events & POLLOUT ? CURL_WAIT_POLLOUT : 0));
		w[i].revents = 0;
	}
	curl_multi_poll(m->multi, w, (unsigned)nfds, timeout, NULL);
	for (i = 0; i < nfds; i++) {
		fds[i].revents = (short)((w[i].revents & CURL_WAIT_POLLIN ? POLLIN : 0) |
		    (w[i].revents & CURL_WAIT_POLLPRI ? POLLPRI : 0) | (w[i].revents & CURL_WAIT_POLLOUT ? POLLOUT : 0));
		n += fds[i].revents != 0;
	}
	if (w != stack)
		free(w);
	return n;
}

static void
http_multi_free(void *arg)
{
	struct http_multi *m = arg;
	int i;

	for (i = 0; i < m->npool; i++)
		curl_easy_cleanup(m->pool[i]);
	curl_multi_cleanup(m->multi);
	free(m);
}

static const struct loop_driver http_driver = {
	.perform = http_multi_perform,
	.wait = http_multi_wait,
	.free = http_multi_free,
};

/* The libcurl state of loop l, created on first use. */
static struct http_multi *
http_multi(struct loop *l)
{
	struct http_multi *m = loop_driver_arg(l, &http_driver);

	if (!m) {
		m = xcalloc(1, sizeof(*m));
		m->multi = http_multi_init();
		loop_set_driver(l, &http_driver, m);
	}
	return m;
}

int
http_close_idle(struct loop *l)
{
	struct http_multi *m = loop_driver_arg(l, &http_driver);

	if (!m)
		return 0;
	if (m->ntransfers)
		return -1;
	/* libcurl has no call that closes cached connections: the cache belongs to the multi
	 * handle, and cleaning that up closes them all. No easy handle is attached to it now, and
	 * the pooled ones keep nothing that points into it. */
	curl_multi_cleanup(m->multi);
	m->multi = http_multi_init();
	return 0;
}

static void
http_give_handle(struct http_multi *m, CURL *easy)
{
	if (m->npool < HTTP_POOL) {
		curl_easy_reset(easy);
		m->pool[m->npool++] = easy;
	} else {
		curl_easy_cleanup(easy);
	}
}

struct http *
http_start(struct loop *l, const struct http_request *r, char **err)
{
	struct http *h = xcalloc(1, sizeof(*h));
	CURLMcode mc;

	h->m = http_multi(l);
	h->max_body = r->max_body;
	h->easy = h->m->npool ? h->m->pool[--h->m->npool] : NULL;
	if (!h->easy)
		h->easy = curl_easy_init();
	if (!h->easy)
		fatal("cannot create a libcurl handle");
	http_setup(h, r);
	h->started = now_ms();
	if ((mc = curl_multi_add_handle(h->m->multi, h->easy)) != CURLM_OK) {
		*err = xstrdup(curl_multi_strerror(mc));
		http_give_handle(h->m, h->easy);
		h->easy = NULL;
		http_free(h);
		return NULL;
	}
	h->m->ntransfers++;
	return h;
}

/* libcurl reports the transfer with easy handle `easy` finished. */
static void
http_finished(CURL *easy, CURLcode code)
{
	struct http *h = NULL;
	char *why;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
	if (!h || h->res.done)
		return;
	h->res.done = true;
	h->res.curl_code = (int)code;
	h->res.ms = now_ms() - h->started;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &h->res.status);
	if (code == CURLE_OK)
		return;
	h->res.timed_out = code == CURLE_OPERATION_TIMEDOUT;
	if (h->res.too_big)
		why = xasprintf("reply larger than %zu bytes (max-body)", h->max_body);
	else if (h->headers_too_big)
		why = xasprintf("reply headers larger than %d bytes", HTTP_MAX_HEADERS_BYTES);
	else if ((why = http_redirect_error(h, code)) != NULL)
		;
	else if (h->errbuf[0] && strstr(h->errbuf, "BADCERT_"))
		why = http_cert_error(h);
	else if (code == CURLE_OUT_OF_MEMORY)
		/* libcurl's only way to say that one header line went over CURL_MAX_HTTP_HEADER. */
		why = xasprintf("reply header larger than %d bytes", CURL_MAX_HTTP_HEADER);
	else if (h->errbuf[0])
		why = xstrdup(h->errbuf);
	else
		why = xstrdup(curl_easy_strerror(code));
	h->res.error = why;
}

const struct http_response *
http_response(const struct http *h)
{
	return &h->res;
}

void
http_free(struct http *h)
{
	if (!h)
		return;
	if (h->easy) {
		if (curl_multi_remove_handle(h->m->multi, h->easy) == CURLM_OK && h->m->ntransfers)
			h->m->ntransfers--;
		http_give_handle(h->m, h->easy);
	}
	curl_slist_free_all(h->headers);
	http_clear_headers(h);
	free(h->res.body);
	free(h->res.error);
	free(h);
}

const char *
http_check_url(const char *url)
{
	CURLU *u = curl_url();
	CURLUcode rc;

	if (!u)
		fatal("out of memory");
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	curl_url_cleanup(u);
	switch (rc) {
	case CURLUE_OK:
		return NULL;
	case CURLUE_BAD_PORT_NUMBER:
		return "URL has a bad port number (1 to 65535)";
	case CURLUE_NO_HOST:
		return "URL has no host";
	case CURLUE_OUT_OF_MEMORY:
		fatal("out of memory");
	default:
		return curl_url_strerror(rc);
	}
}

void
http_urlencode(struct buf *out, const char *s, size_t n)
{
	char *e;

	while (n > INT_MAX) {
		http_urlencode(out, s, INT_MAX / 3);
		s += INT_MAX / 3;
		n -= INT_MAX / 3;
	}
	if (!(e = curl_easy_escape(NULL, s, (int)n)))
		fatal("out of memory");
	buf_adds(out, e);
	curl_free(e);
}
