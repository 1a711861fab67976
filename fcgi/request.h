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

/* How many bytes of a parameter's name an error message shows at most. */
#define PARAM_NAME_SHOWN 64

/*
 * One decoded parameter (name and value valid UTF-8 without NUL, NUL-terminated); false
 * with err set stops the walk.
 */
typedef bool (*ParamFn) (const char *name, size_t name_len, const char *value,
						 size_t value_len, void *ctx, char *err, size_t err_size);

/*
 * Call fn for each parameter of a query string or form body (a=1&b=x%20y), in order.
 * False with err set on bad percent-encoding, NUL, invalid UTF-8 in a name or value, or
 * when fn says so.
 */
extern bool request_each_param(const char *s, size_t len, ParamFn fn, void *ctx,
							   char *err, size_t err_size);

/*
 * Add the parameters of a query string or form body to the object params (borrowed),
 * as strings. A name given twice is an error, or with repeats its values become an
 * array in the order given (the telephony webhooks, whose provider may repeat one).
 */
extern bool request_parse_params(const char *s, size_t len, json_t *params, bool repeats,
								 char *err, size_t err_size);

/* Is the Content-Type header media type mime (parameters such as charset ignored)? */
extern bool request_content_type_is(const char *content_type, const char *mime);

/*
 * Does the Content-Type header (NULL: absent) name no charset, or UTF-8 (in any case,
 * quoted or not)? A JSON or form body is read as UTF-8, so one that says it is another
 * charset is refused (415) rather than misread.
 */
extern bool request_charset_is_utf8(const char *content_type);

/*
 * Check a JSON body: well-formed, no duplicate keys, UTF-8 without NUL, nesting at most
 * max_depth, and no string (a value or a member's name) holding a character text may not
 * hold (extension/text_chars.h). False with err set (with line and column) otherwise; for
 * a bad string, field gets its path as the API names fields ("contact.contactData.name",
 * "[3].notes", "body" for the body itself) and err its problem. field is "" else.
 */
/*
 * Whether some string of v (a value or a member's name, at any depth) holds a character
 * text may not hold (extension/text_chars.h): then field gets its path as the API names
 * fields ("contact.contactData.name", "[3].notes"; whole for v itself) and err the problem.
 */
extern bool request_bad_text(json_t *v, const char *whole, char *field, size_t field_size,
							 char *err, size_t err_size);

extern bool request_check_json(const char *body, size_t len, int max_depth,
							   char *err, size_t err_size, char *field, size_t field_size);

/*
 * The token of "Bearer <token>" (RFC 9110 §11: the scheme in any case, then spaces, a
 * token68, optional trailing spaces) into token (token_size bytes). False, token "",
 * for anything else, or a token that does not fit: such a request has no token (401).
 */
extern bool request_bearer_token(const char *authorization, char *token, size_t token_size);

typedef enum BasicResult
{
	BASIC_ABSENT,				/* no Authorization, or another scheme */
	BASIC_OK,
	BASIC_MALFORMED,			/* Basic, but not strict base64 of user-id ":" password,
								 * UTF-8 without control characters (RFC 7617 §2) */
	BASIC_NO_MEMORY
} BasicResult;

/*
 * HTTP Basic (RFC 7617) is read by one decoder (request.c BasicDecode); these are its two
 * callers' views of it.
 *
 * An OAuth client's credentials (RFC 6749 §2.3.1: id and secret each form-urlencoded
 * before base64). On BASIC_OK, *id and *secret are malloc'd, decoded, valid UTF-8
 * without NUL; the caller frees them.
 */
extern BasicResult request_basic_client(const char *authorization, char **id, char **secret);

/*
 * A WebDAV client's user name and password (the password is the member's token), as they
 * are, into user and password (their sizes). Anything but BASIC_OK leaves both "": such a
 * request has no credentials (401); BASIC_MALFORMED also for what does not fit, so that
 * the 401 can say what is wrong with them.
 */
extern BasicResult request_basic_credentials(const char *authorization, char *user, size_t user_size,
									  char *password, size_t password_size);

#endif
