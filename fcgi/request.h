/*
 * request.h — reading what a FastCGI request carries: body, query and form parameters,
 * content type, bearer token. Nothing here trusts a length it did not count itself.
 */
#ifndef PBF_REQUEST_H
#define PBF_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>

/*
 * Read the body, at most limit bytes. Returns a malloc'd NUL-terminated buffer (empty
 * string for no body) or NULL when the body is over the limit (the rest is drained
 * so the connection stays usable) or memory ran out (*too_large false).
 */
extern char *request_read_body(FCGX_Stream *in, size_t limit, size_t *len, bool *too_large);

/*
 * Add the parameters of a query string or form body (a=1&b=x%20y) to the object params
 * (borrowed). False with err set on bad percent-encoding, invalid UTF-8, NUL, or a name
 * given twice.
 */
extern bool request_parse_params(const char *s, size_t len, json_t *params,
								 char *err, size_t err_size);

/* Is the Content-Type header media type mime (parameters such as charset ignored)? */
extern bool request_content_type_is(const char *content_type, const char *mime);

/*
 * Check a JSON body: well-formed, no duplicate keys, UTF-8 without NUL, nesting at most
 * max_depth. False with err set (with line and column) otherwise.
 */
extern bool request_check_json(const char *body, size_t len, int max_depth,
							   char *err, size_t err_size);

/* The token of "Bearer <token>", or NULL. */
extern const char *request_bearer_token(const char *authorization);

#endif
