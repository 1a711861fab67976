/*
 * handler.c — one request, start to finish.
 *
 * The order of checks is the SPEC's: unknown path 404 and wrong method 405 first; then
 * authentication (401 / 403); then the request itself (400 / 413 / 415); then the
 * object. Authentication happens inside the SQL function, so when this file rejects a
 * request itself it still makes its one SQL call — api_check_token — and lets a token
 * error win (a route without a scope takes no token: its rejection is answered at once).
 * Everything else is the route function's answer, passed through; GET /openapi.json is
 * answered here, from the document generated with the route table, without the database.
 *
 * Client bytes are checked where they enter: every request header read here (the table
 * below) must be valid UTF-8, or the request is 400 (an Authorization that is not a
 * well-formed bearer token — or, on a WebDAV route, HTTP Basic credentials — is simply no
 * token: 401; on an OAuth client route, Basic credentials are decoded into the form's
 * client_id and client_secret; both through request.c's one Basic decoder); query and form
 * parameters are checked as they are decoded (request.c); a JSON body by jansson; a
 * multipart body's fields as UTF-8 (multipart.c); a WebDAV route's XML body by libxml2
 * (xml.c), its vCard body for UTF-8 without NUL, its resource name ({name}) for UTF-8. A
 * text body (every kind but an image) whose Content-Type names a charset other than UTF-8
 * is 415, and so is a multipart field part whose own Content-Type does. So nothing reaches
 * PostgreSQL that it would refuse (SQLSTATE 22021 → 500), and error messages that
 * quote input are cleaned by respond.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handler.h"
#include "multipart.h"
#include "request.h"
#include "respond.h"
#include "routes.h"
#include "signature.h"
#include "sqlstate.h"
#include "utf8.h"
#include "xml.h"

#define ERR_SIZE 256
/* longer than any token issued (pb_ + 64 hex); a longer one is unknown anyway (401) */
#define TOKEN_MAX 256

/* The request headers read here, each checked once when the request arrives. */
typedef enum HeaderId
{
	H_AUTHORIZATION,
	H_IF_MATCH,
	H_IF_NONE_MATCH,
	H_CONTENT_TYPE,
	H_SIGNATURE,
	H_HOST,
	H_DEPTH,
	H_ACCEPT,
	H_PREFER,
	H_COUNT
} HeaderId;

static const struct
{
	const char *param;			/* the FastCGI parameter */
	const char *name;			/* as an error message names it */
}			headers[H_COUNT] = {
	[H_AUTHORIZATION] = {"HTTP_AUTHORIZATION", "Authorization"},
	[H_IF_MATCH] = {"HTTP_IF_MATCH", "If-Match"},
	[H_IF_NONE_MATCH] = {"HTTP_IF_NONE_MATCH", "If-None-Match"},
	[H_CONTENT_TYPE] = {"CONTENT_TYPE", "Content-Type"},
	[H_SIGNATURE] = {"HTTP_X_TWILIO_SIGNATURE", "X-Twilio-Signature"},
	[H_HOST] = {"HTTP_HOST", "Host"},
	[H_DEPTH] = {"HTTP_DEPTH", "Depth"},
	[H_ACCEPT] = {"HTTP_ACCEPT", "Accept"},
	[H_PREFER] = {"HTTP_PREFER", "Prefer"},
};

/* what a 401 of a WebDAV route says, so that clients ask for the app password */
#define DAV_CHALLENGE "WWW-Authenticate: Basic realm=\"privacybee\", charset=\"UTF-8\""
/* an OAuth client route's 401: the client authenticates with HTTP Basic (as 75_oauth.sql) */
#define CLIENT_CHALLENGE "WWW-Authenticate: Basic realm=\"privacybee\""
/* a bearer route's 401 (RFC 6750 section 3): error only when a token came and was refused */
#define BEARER_CHALLENGE "WWW-Authenticate: Bearer realm=\"privacybee\""
#define BEARER_INVALID_CHALLENGE \
	"WWW-Authenticate: Bearer realm=\"privacybee\", error=\"invalid_token\""

typedef struct Request
{
	FCGX_Request *fcgi;
	bool		head;			/* a HEAD request: GET's answer without its body */
	char		allow[128];		/* an OPTIONS request: every method of its path, "" else */
	const Route *route;
	size_t		route_index;
	char		arg[ARG_MAX_LEN];
	const char *header[H_COUNT];	/* valid UTF-8, or NULL when absent or not */
	const char *token;			/* points into token_buf, or NULL */
	char		token_buf[TOKEN_MAX];
	char		user[TOKEN_MAX];	/* a WebDAV route's HTTP Basic user name, "" when none */
	bool		basic;			/* HTTP Basic credentials came */
	const char *basic_problem;	/* a WebDAV route's Basic credentials unusable: why, else NULL */
	json_t	   *params;			/* new reference: query (and form) parameters */
	char	   *body;			/* malloc'd JSON body (an image's bytes, a vCard's text, an
								 * XML body's JSON tree), NULL when none */
	size_t		body_len;		/* its length */
	const char *image_type;		/* an image body's media type (a static string) */
	int			error_status;	/* a rejection found here, 0 when none */
	char		error[ERR_SIZE];
	char		error_field[ERR_SIZE];	/* the field it names ("" for none): its
										 * problem is error, its message both */
} Request;

static const char *
Param(Request *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgi->envp);
}

static void
Reject(Request *r, int status, const char *message)
{
	if (r->error_status == 0)
	{
		r->error_status = status;
		snprintf(r->error, sizeof(r->error), "%s", message);
	}
}

/* A 400 naming field, as the extension's bad_field() names one (problems.c). */
static void
RejectField(Request *r, const char *field, const char *problem)
{
	if (r->error_status == 0)
	{
		r->error_status = 400;
		snprintf(r->error, sizeof(r->error), "%s", problem);
		snprintf(r->error_field, sizeof(r->error_field), "%s", field);
	}
}


/*
 * Every 401 carries the challenge of the route's scheme (RFC 9110 section 11.6.1), so it is
 * chosen here, where every error answer of this file passes, and nowhere else.
 */
static const char *
Challenge(const Request *r)
{
	if (r->route == NULL)
		return BEARER_CHALLENGE;
	if (r->route->dav)
		return DAV_CHALLENGE;
	if (r->route->client_basic)
		return CLIENT_CHALLENGE;
	return r->token ? BEARER_INVALID_CHALLENGE : BEARER_CHALLENGE;
}

static void
RespondError(Request *r, int status, const char *message, json_t *details,
			 const char *extra_headers)
{
	if (status == 401 && extra_headers == NULL)
		extra_headers = Challenge(r);
	respond_error(r->fcgi->out, r->head, status, message, details, extra_headers);
}

/* The rejection found here, answered: its details name its field, if it has one. */
static void
RespondRejected(Request *r)
{
	char		message[2 * ERR_SIZE + 2];
	json_t	   *details = NULL; /* new reference */

	if (r->error_field[0] == '\0')
	{
		RespondError(r, r->error_status, r->error, NULL, NULL);
		return;
	}
	snprintf(message, sizeof(message), "%s %s", r->error_field, r->error);
	details = json_pack("[{s:s, s:s}]", "field", r->error_field, "problem", r->error);
	RespondError(r, r->error_status, message, details, NULL);
	json_decref(details);
}

/* The headers this file reads, each valid UTF-8 or rejected (400), and the token. */
static void
ReadHeaders(Request *r)
{
	char		message[96];

	for (int i = 0; i < H_COUNT; i++)
	{
		const char *value = Param(r, headers[i].param);

		if (value && !utf8_valid(value, strlen(value)))
		{
			snprintf(message, sizeof(message), "the %s header is not valid UTF-8",
					 headers[i].name);
			Reject(r, 400, message);
			value = NULL;
		}
		r->header[i] = value;
	}
	if (request_bearer_token(r->header[H_AUTHORIZATION], r->token_buf, sizeof(r->token_buf)))
		r->token = r->token_buf;
	/* a WebDAV client's app password: the token is the password of HTTP Basic */
	else if (r->route->dav)
		switch (request_basic_credentials(r->header[H_AUTHORIZATION], r->user, sizeof(r->user),
										  r->token_buf, sizeof(r->token_buf)))
		{
			case BASIC_ABSENT:
				break;
			case BASIC_MALFORMED:
				r->basic_problem = "the Authorization header's Basic credentials are malformed: "
					"they must be base64 of user-id \":\" password (RFC 7617), the password "
					"a token";
				break;
			case BASIC_NO_MEMORY:
				Reject(r, 500, "out of memory");
				break;
			case BASIC_OK:
				r->basic = true;
				if (r->token_buf[0])
					r->token = r->token_buf;
				else
					r->basic_problem = "the Authorization header's Basic password is empty: "
						"it must be the member's token (an app password)";
				break;
		}
}

/*
 * A WebDAV route's params: not the query string (WebDAV has none; it is ignored) but
 * what the route's function needs of the request: the Basic user name (the function
 * checks it is the member's id or empty), the path and the Depth, Accept and Prefer
 * fields.
 */
static void
DavParams(Request *r)
{
	static const struct
	{
		const char *key;
		HeaderId	header;
	}			fields[] = {{"depth", H_DEPTH}, {"accept", H_ACCEPT}, {"prefer", H_PREFER}};

	const char *path = Param(r, "DOCUMENT_URI");

	if (r->basic && json_object_set_new(r->params, "user", json_string(r->user)) != 0)
		Reject(r, 500, "out of memory");
	/* the path as requested (a multistatus names the resource as it was asked for) */
	if (path && utf8_valid(path, strlen(path)) &&
		json_object_set_new(r->params, "path", json_string(path)) != 0)
		Reject(r, 500, "out of memory");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (r->header[fields[i].header] &&
			json_object_set_new(r->params, fields[i].key,
								json_string(r->header[fields[i].header])) != 0)
			Reject(r, 500, "out of memory");
}

/*
 * The URL the provider requested, malloc'd: --public-url (behind a proxy that ends TLS)
 * or the request's own scheme and Host, then the request URI as sent.
 */
static char *
RequestUrl(Request *r)
{
	const char *uri = Param(r, "REQUEST_URI");
	const char *scheme = Param(r, "REQUEST_SCHEME");
	const char *host = r->header[H_HOST];
	char	   *url;
	size_t		size;

	if (uri == NULL || (config.public_url == NULL && host == NULL))
		return NULL;
	if (scheme == NULL)
		scheme = "http";
	size = (config.public_url ? strlen(config.public_url)
			: strlen(scheme) + 3 + strlen(host)) + strlen(uri) + 1;
	url = malloc(size);
	if (url == NULL)
		return NULL;
	if (config.public_url)
		snprintf(url, size, "%s%s", config.public_url, uri);
	else
		snprintf(url, size, "%s://%s%s", scheme, host, uri);
	return url;
}

/* A telephony webhook must prove it comes from the provider, when its token is set. */
static void
CheckProviderSignature(Request *r, const char *body, size_t len, const char *ctype)
{
	SignedRequest req = {.header = r->header[H_SIGNATURE]};
	char	   *url;

	if (!r->route->provider_signed || config.provider_secret == NULL)
		return;
	url = RequestUrl(r);
	req.url = url;
	if (r->route->body != BODY_NONE && len > 0)
	{
		if (request_content_type_is(ctype, "application/x-www-form-urlencoded"))
		{
			req.form = body;
			req.form_len = len;
		}
		else
		{
			req.json = body;
			req.json_len = len;
			req.body_sha256 = json_string_value(json_object_get(r->params, "bodySHA256"));
		}
	}
	switch (signature_check(config.provider_secret, config.provider_secret_len, &req))
	{
		case SIGNATURE_VALID:
			break;
		case SIGNATURE_INVALID:
			Reject(r, 403, "missing or invalid X-Twilio-Signature");
			break;
		case SIGNATURE_NO_MEMORY:
			Reject(r, 500, "out of memory");
			break;
	}
	free(url);
}

/*
 * A UTF-8 byte order mark before a JSON body is dropped (RFC 8259 §8.1 lets a parser
 * ignore it), both for the checks here and for what PostgreSQL is given.
 */
static void
SkipByteOrderMark(char *body, size_t *len)
{
	if (*len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
	{
		memmove(body, body + 3, *len - 3 + 1);
		*len -= 3;
	}
}

/*
 * An OAuth client's credentials given as HTTP Basic join the form's fields, so that the
 * function reads them in one place whichever way they came; a client that uses both ways
 * at once is refused (RFC 6749 §2.3: one authentication method per request).
 */
static void
AddBasicCredentials(Request *r, json_t *form)
{
	char	   *id,
			   *secret;
	const char *given_id = json_string_value(json_object_get(form, "client_id"));

	switch (request_basic_client(r->header[H_AUTHORIZATION], &id, &secret))
	{
		case BASIC_ABSENT:
			return;
		case BASIC_MALFORMED:
			Reject(r, 400, "the Authorization header's Basic credentials are malformed");
			return;
		case BASIC_NO_MEMORY:
			Reject(r, 500, "out of memory");
			return;
		case BASIC_OK:
			break;
	}
	if (json_object_get(form, "client_secret") || (given_id && strcmp(given_id, id) != 0))
		Reject(r, 400, "client credentials both in the Authorization header and in the body");
	else if (json_object_set_new(form, "client_id", json_string(id)) != 0 ||
			 json_object_set_new(form, "client_secret", json_string(secret)) != 0)
		Reject(r, 500, "out of memory");
	free(id);
	free(secret);
}

/*
 * A form body (BODY_FORM): its fields, each given once (RFC 6749 §3.2), become the JSON
 * object the function gets as its body; no body is an empty form.
 */
static void
ReadForm(Request *r, const char *body, size_t len, const char *ctype)
{
	char		err[ERR_SIZE];
	json_t	   *form = json_object();	/* new reference */

	if (form == NULL)
	{
		Reject(r, 500, "out of memory");
		return;
	}
	if (len > 0 && !request_content_type_is(ctype, "application/x-www-form-urlencoded"))
		Reject(r, 415, "body must be application/x-www-form-urlencoded");
	else if (len > 0 && !request_parse_params(body, len, form, false, err, sizeof(err)))
		Reject(r, 400, err);
	else
	{
		if (r->route->client_basic)
			AddBasicCredentials(r, form);
		if (r->error_status == 0 && (r->body = json_dumps(form, JSON_COMPACT)) == NULL)
			Reject(r, 500, "out of memory");
	}
	json_decref(form);
}

/* The media types an image body may have (api/registry.py IMAGE_TYPES). */
static const char *const image_types[] = {"image/jpeg", "image/png", "image/webp", NULL};

/* An image body: its bytes as they came, of one of the image types (415 otherwise). */
static void
ReadImage(Request *r, char *body, size_t len, const char *ctype)
{
	for (int i = 0; image_types[i]; i++)
		if (request_content_type_is(ctype, image_types[i]))
		{
			r->body = body;
			r->body_len = len;
			r->image_type = image_types[i];
			return;
		}
	Reject(r, 415, "body must be image/jpeg, image/png or image/webp");
	free(body);
}

/*
 * A multipart/form-data body (BODY_MULTIPART): its image part becomes the bytes passed
 * (moved to the start of the buffer, which the request keeps), its other parts, fields,
 * join the query parameters as form fields do.
 */
static void
ReadMultipart(Request *r, char *body, size_t len, const char *ctype)
{
	char		err[ERR_SIZE];
	const char *file;
	size_t		file_len;
	const char *file_type;
	int			status;

	if (!request_content_type_is(ctype, "multipart/form-data"))
	{
		Reject(r, 415, "body must be multipart/form-data");
		free(body);
		return;
	}
	if (!multipart_read(body, len, ctype, image_types, r->params, &file, &file_len, &file_type,
						&status, err, sizeof(err)))
	{
		Reject(r, status, err);
		free(body);
		return;
	}
	memmove(body, file, file_len);
	r->body = body;
	r->body_len = file_len;
	r->image_type = file_type;
}

/*
 * A WebDAV request's XML body (PROPFIND, REPORT): application/xml or text/xml, or no
 * Content-Type at all (some clients send none); as its JSON tree (xml.c), which is what
 * PostgreSQL is given.
 */
static void
ReadXml(Request *r, char *body, size_t len, const char *ctype)
{
	char		err[ERR_SIZE];
	json_t	   *tree;			/* new reference */

	if (ctype && !request_content_type_is(ctype, "application/xml") &&
		!request_content_type_is(ctype, "text/xml"))
		Reject(r, 415, "body must be application/xml or text/xml");
	else if ((tree = xml_to_json(body, len, config.json_depth, err, sizeof(err))) == NULL)
		Reject(r, 400, err);
	else
	{
		r->body = json_dumps(tree, JSON_COMPACT);
		if (r->body == NULL)
			Reject(r, 500, "out of memory");
		json_decref(tree);
	}
	free(body);
}

/* A vCard (PUT of a card): its text, UTF-8 without NUL; the extension parses it. */
static void
ReadVcard(Request *r, char *body, size_t len, const char *ctype)
{
	if (!request_content_type_is(ctype, "text/vcard") &&
		!request_content_type_is(ctype, "text/x-vcard") &&
		!request_content_type_is(ctype, "text/directory"))
		Reject(r, 415, "body must be text/vcard");
	else if (memchr(body, '\0', len))
		Reject(r, 400, "body contains a NUL byte");
	else if (!utf8_valid(body, len))
		Reject(r, 400, "body is not valid UTF-8 (a vCard must be UTF-8)");
	else
	{
		r->body = body;
		r->body_len = len;
		return;
	}
	free(body);
}

/*
 * The body as the route wants it: JSON text, form fields merged into params, a form as
 * the body, a multipart body's file as bytes and its fields as params, an XML body's JSON
 * tree, a vCard's text, or an image's bytes.
 */
static void
ReadBody(Request *r)
{
	const char *ctype = r->header[H_CONTENT_TYPE];
	char		err[ERR_SIZE];
	char		field[ERR_SIZE];
	bool		too_large;
	size_t		len = 0;
	size_t		limit = r->route->body_limit ? r->route->body_limit : config.body_limit;
	char	   *body = request_read_body(r->fcgi->in, limit, &len, &too_large);

	if (body == NULL)
	{
		Reject(r, too_large ? 413 : 500,
			   too_large ? "request body is over the limit" : "out of memory");
		return;
	}
	CheckProviderSignature(r, body, len, ctype);
	if (r->route->body == BODY_IMAGE)
		ReadImage(r, body, len, ctype);
	else if (r->route->body != BODY_NONE && len > 0 && !request_charset_is_utf8(ctype))
	{
		/*
		 * every other body (JSON, form, multipart, XML, vCard) is read as UTF-8 and nothing
		 * else; multipart/form-data takes no charset parameter (RFC 7578 §8), so one that
		 * names another is refused as any body is
		 */
		Reject(r, 415, "body must be UTF-8: a charset other than utf-8 is not read");
		free(body);
	}
	else if (r->route->body == BODY_FORM)
	{
		ReadForm(r, body, len, ctype);
		free(body);
	}
	else if (r->route->body == BODY_MULTIPART)
		ReadMultipart(r, body, len, ctype);
	else if (r->route->body == BODY_VCARD)
		ReadVcard(r, body, len, ctype);
	else if (r->route->body == BODY_NONE || len == 0)
		free(body);
	else if (r->route->body == BODY_XML)
	{
		SkipByteOrderMark(body, &len);
		ReadXml(r, body, len, ctype);
	}
	else if (r->route->body == BODY_JSON_OR_FORM &&
			 request_content_type_is(ctype, "application/x-www-form-urlencoded"))
	{
		if (!request_parse_params(body, len, r->params, r->route->provider_signed,
								  err, sizeof(err)))
			Reject(r, 400, err);
		free(body);
	}
	else if (!request_content_type_is(ctype, "application/json"))
	{
		Reject(r, 415, r->route->body == BODY_JSON_OR_FORM
			   ? "body must be application/json or application/x-www-form-urlencoded"
			   : "body must be application/json");
		free(body);
	}
	else
	{
		SkipByteOrderMark(body, &len);
		if (memchr(body, '\0', len))
			Reject(r, 400, "body contains a NUL byte");
		else if (!request_check_json(body, len, config.json_depth, err, sizeof(err),
									 field, sizeof(field)))
		{
			if (field[0])
				RejectField(r, field, err);
			else
				Reject(r, 400, err);
		}
		else
		{
			r->body = body;
			return;
		}
		free(body);
	}
}

static void
ReadQuery(Request *r)
{
	const char *qs = Param(r, "QUERY_STRING");
	char		err[ERR_SIZE];

	if (qs && !request_parse_params(qs, strlen(qs), r->params, r->route->provider_signed,
									err, sizeof(err)))
		Reject(r, 400, err);
}

/*
 * The query's and a form's parameters hold text as a JSON body does
 * (extension/text_chars.h): a search term, an OAuth client's field. Not a telephony
 * provider's signed form: it is the provider's, nothing of it is stored as text, and a
 * call must not fail on a caller name it sent.
 */
static void
ParamsText(Request *r)
{
	char		field[ERR_SIZE];
	char		err[ERR_SIZE];

	if (r->params && !r->route->provider_signed && request_bad_text(r->params, "parameters", field, sizeof(field), err,
									  sizeof(err)))
		RejectField(r, field, err);
}

/* Answer with a PostgreSQL error: the client's message for PTnnn, nothing internal else. */
static void
RespondSqlError(Request *r, PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = sqlstate_remote_message(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	const char *detail = sqlstate_remote_detail(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
	int			status;
	const SqlAnswer *answer = sqlstate_answer(sqlstate, &status);
	json_t	   *details = NULL; /* new reference */

	if (answer == NULL)
	{
		if (detail)
			details = json_loads(detail, 0, NULL);
		RespondError(r, status, message ? message : "error", details, NULL);
		json_decref(details);
		return;
	}
	fprintf(stderr, "privacybee-fcgi: %s %s: SQLSTATE %s: %s\n",
			r->route->method, r->route->pattern, sqlstate ? sqlstate : "-",
			message ? message : "-");
	RespondError(r, status, answer->message, NULL, answer->retry_after ? "Retry-After: 1" : NULL);
}

static void
RespondUnavailable(Request *r)
{
	RespondError(r, 503, "database unavailable, retry shortly", NULL,
				  "Retry-After: 1");
}

/* A rejection found here: authentication errors still come first. */
static void
RespondRejection(Request *r, Db *db)
{
	PGresult   *res = db_check_token(db, r->token, r->route->scope);

	if (res == NULL)
		RespondUnavailable(r);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		RespondSqlError(r, res);
	else
		RespondRejected(r);
	PQclear(res);
}

/*
 * A bytes answer (ANSWER_SQL_BYTES), its result in binary: status a network-order int4,
 * headers the text's bytes (with the body's Content-Type), body the bytes.
 */
static void
RespondBytes(Request *r, PGresult *res)
{
	const unsigned char *s = (const unsigned char *) PQgetvalue(res, 0, 0);
	char	   *headers = NULL;	/* malloc'd: the bytes made a C string */
	int			status;
	bool		has_body = !PQgetisnull(res, 0, 2);

	if (PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 0) != 4)
	{
		RespondError(r, 500, "internal error", NULL, NULL);
		return;
	}
	status = (int) (((uint32_t) s[0] << 24) | ((uint32_t) s[1] << 16) | ((uint32_t) s[2] << 8) | s[3]);
	if (!PQgetisnull(res, 0, 1) &&
		(headers = strndup(PQgetvalue(res, 0, 1), (size_t) PQgetlength(res, 0, 1))) == NULL)
	{
		RespondError(r, 500, "out of memory", NULL, NULL);
		return;
	}
	if (r->allow[0] != '\0')
	{
		/* OPTIONS: the registry's Allow (handle_request()) after the route's own headers */
		char	   *with_allow = NULL;

		if (asprintf(&with_allow, "%s%sAllow: %s", headers ? headers : "", headers ? "\n" : "",
					 r->allow) < 0)
		{
			free(headers);
			RespondError(r, 500, "out of memory", NULL, NULL);
			return;
		}
		free(headers);
		headers = with_allow;
	}
	respond_bytes(r->fcgi->out, r->head, status, headers,
				  has_body ? PQgetvalue(res, 0, 2) : NULL,
				  has_body ? (size_t) PQgetlength(res, 0, 2) : 0);
	free(headers);
}

static void
CallRoute(Request *r, Db *db)
{
	char	   *params = json_dumps(r->params, JSON_COMPACT);	/* malloc'd */
	const char *values[ROUTE_NPARAMS_MAX] = {r->token, r->arg, params, r->body,
		r->header[H_IF_MATCH], r->header[H_IF_NONE_MATCH], NULL};
	PGresult   *res;

	if (params == NULL)
	{
		RespondError(r, 500, "internal error", NULL, NULL);
		return;
	}
	if (BODY_IS_BYTES(r->route->body))
	{
		/* (token, arg, params, body bytea, content_type, if_match, if_none_match) */
		values[3] = r->body ? r->body : "";
		values[4] = r->image_type;
		values[5] = r->header[H_IF_MATCH];
		values[6] = r->header[H_IF_NONE_MATCH];
	}
	res = db_call_route(db, r->route_index, r->head, values, (int) r->body_len);
	if (res == NULL)
		RespondUnavailable(r);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		RespondSqlError(r, res);
	else if (r->route->answer == ANSWER_SQL_BYTES)
		RespondBytes(r, res);
	else
	{
		int			status = atoi(PQgetvalue(res, 0, 0));
		const char *headers = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
		bool		has_body = !PQgetisnull(res, 0, 2) && status != 204;

		respond(r->fcgi->out, r->head, status, headers,
				has_body ? PQgetvalue(res, 0, 2) : NULL,
				has_body ? (size_t) PQgetlength(res, 0, 2) : 0);
	}
	PQclear(res);
	free(params);
}

void
handle_request(FCGX_Request *fcgi, Db *db)
{
	Request		r = {.fcgi = fcgi};
	const char *method = Param(&r, "REQUEST_METHOD");
	const char *path = Param(&r, "DOCUMENT_URI");
	char		allow[128];
	char		allow_header[160];
	bool		ready = db_ready(db);	/* first: it also learns whether dev routes exist */

	if (method == NULL || path == NULL)
	{
		RespondError(&r, 400, "request without method or path", NULL, NULL);
		return;
	}
	r.head = strcmp(method, "HEAD") == 0;
	switch (route_match(method, path, db_dev_endpoints(), &r.route_index, r.arg,
						allow, sizeof(allow)))
	{
		case MATCH_NO_PATH:
			RespondError(&r, 404, "no such route", NULL, NULL);
			return;
		case MATCH_NO_METHOD:
			snprintf(allow_header, sizeof(allow_header), "Allow: %s", allow);
			RespondError(&r, 405, "method not allowed on this route", NULL, allow_header);
			return;
		case MATCH_OK:
			break;
	}
	r.route = &routes[r.route_index];
	/*
	 * OPTIONS answers the methods the registry routes for its path, the very list a 405 on
	 * that path names (a method no route has, "", lists them all): one home for both.
	 */
	if (strcmp(method, "OPTIONS") == 0)
	{
		size_t		scratch_route;
		char		scratch_arg[ARG_MAX_LEN];

		(void) route_match("", path, db_dev_endpoints(), &scratch_route, scratch_arg,
						   r.allow, sizeof(r.allow));
	}
	/* a resource name ({name}) nginx decoded to bytes that are not UTF-8 names nothing */
	if (!utf8_valid(r.arg, strlen(r.arg)))
	{
		RespondError(&r, 404, "no such resource", NULL, NULL);
		return;
	}
	ReadHeaders(&r);
	/* unusable Basic credentials are no token: the 401 says what is wrong with them */
	if (r.basic_problem && r.route->scope != NULL)
	{
		RespondError(&r, 401, r.basic_problem, NULL, NULL);
		return;
	}
	r.params = json_object();
	if (r.params == NULL)
	{
		RespondError(&r, 500, "internal error", NULL, NULL);
		return;
	}
	if (r.route->dav)
		DavParams(&r);
	else
		ReadQuery(&r);
	ReadBody(&r);
	ParamsText(&r);

	if (r.error_status && r.route->scope == NULL)
		RespondRejected(&r);	/* no token to judge first */
	else if (r.route->answer == ANSWER_OPENAPI)
		respond(r.fcgi->out, r.head, 200, NULL, openapi_document, openapi_document_len);
	else if (!ready)
		RespondUnavailable(&r);
	else if (r.error_status)
		RespondRejection(&r, db);
	else
		CallRoute(&r, db);

	free(r.body);
	json_decref(r.params);
}
