/* http.h: HTTP transfers driven by the loop; the only user of libcurl's easy and multi APIs. */
#ifndef STOPPLAN_HTTP_H
#define STOPPLAN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct loop;

struct http_request {
	const char *method;           /* NULL: GET */
	const char *url;
	char *const *headers;         /* "Name: value" */
	size_t nheaders;
	const char *body;             /* NULL: no body */
	size_t body_len;
	int64_t connect_timeout, timeout;   /* ms, > 0 */
	size_t max_body;
	bool follow;                  /* follow up to 5 redirects (http and https only) */
	const char *ca_file, *client_cert, *client_key;
	bool insecure;
	const char *unix_socket;
	bool connect_only;            /* only open a TCP connection (port probes) */
	const char *proxy;            /* NULL: from the environment, as libcurl does; "": none */
};

struct http_header {
	char *name;                   /* lower case */
	char *value;
};

struct http_response {
	bool done;
	int curl_code;                /* 0: a complete reply arrived */
	bool timed_out;
	bool too_big;                 /* the body went over max_body */
	char *error;                  /* transport error text, or NULL */
	long status;
	char *body;
	size_t body_len;
	struct http_header *headers;
	size_t nheaders;
	int64_t ms;                   /* total time */
};

struct http;

/* Starts a transfer on loop l. Returns NULL with *err (newly allocated) when it cannot start.
 * The caller owns the result (http_free). */
struct http *http_start(struct loop *l, const struct http_request *req, char **err);
/* The response so far; done becomes true when the transfer has ended (after a loop_perform). */
const struct http_response *http_response(const struct http *h);
/* Stops the transfer if it is running and frees it. */
void http_free(struct http *h);
/* Closes the connections that libcurl keeps open for reuse (keep-alive) on loop l once their
 * transfers have ended, so that a local count of established connections never sees stopplan's
 * own. While a transfer runs (another branch of a parallel group), libcurl cannot tell its idle
 * connections apart: then nothing is closed and -1 is returned; else 0. */
int http_close_idle(struct loop *l);

/* Checks an http(s) URL the way libcurl will parse it (host, port 1-65535, syntax). Returns NULL,
 * or a static message. */
const char *http_check_url(const char *url);
/* Appends s percent-encoded (all but A-Z a-z 0-9 - . _ ~), as libcurl escapes. */
void http_urlencode(struct buf *out, const char *s, size_t n);

#endif
