/*
 * respond.h — writing HTTP responses (status, headers, JSON body) to FastCGI.
 */
#ifndef PBF_RESPOND_H
#define PBF_RESPOND_H

#include <stdbool.h>

#include <fcgiapp.h>
#include <jansson.h>

/*
 * Write a response. headers: "Name: value" lines separated by '\n' (may be NULL); a line
 * with CR or without a colon is dropped. body may be NULL (no body, as for 204). head:
 * the answer to a HEAD request, every header as for GET and no body.
 */
extern void respond(FCGX_Stream *out, bool head, int status, const char *headers,
					const char *body, size_t body_len);

/*
 * Write the SPEC error body {"error": {"code", "message", "details"?}}. message may
 * quote client input: it is cleaned to valid UTF-8 and cut on a character boundary.
 * details is borrowed (may be NULL).
 */
/*
 * The same for a body of bytes whose Content-Type the headers carry (a photo): no JSON
 * Content-Type is added.
 */
extern void respond_bytes(FCGX_Stream *out, bool head, int status, const char *headers,
						  const char *body, size_t body_len);

extern void respond_error(FCGX_Stream *out, bool head, int status, const char *message,
						  json_t *details, const char *headers);

#endif
