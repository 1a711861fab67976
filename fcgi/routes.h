/*
 * routes.h — the route table: which SQL function answers which method and path.
 *
 * The table itself (route_table.c) and the OpenAPI document (openapi_document.c) are
 * generated from the route registry, api/routes, by api/generate.py (make routes).
 */
#ifndef PBF_ROUTES_H
#define PBF_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum BodyKind
{
	BODY_NONE,					/* any body is ignored */
	BODY_JSON,					/* application/json, else 415 */
	BODY_JSON_OR_FORM,			/* JSON, or form fields that join the query parameters */
	BODY_FORM,					/* application/x-www-form-urlencoded only, else 415: its
								 * fields (each given once) are the body, a JSON object of
								 * strings */
	BODY_IMAGE,					/* the bytes of an image/jpeg, image/png or image/webp, else
								 * 415: passed as bytea, with the Content-Type */
	BODY_MULTIPART,				/* multipart/form-data (else 415): its one image part passed as
								 * BODY_IMAGE's bytes, its other parts, fields, joining the
								 * query parameters (fcgi/multipart.c) */
	BODY_XML,					/* a WebDAV request body: application/xml or text/xml (or no
								 * Content-Type), passed as its JSON tree (xml.h) */
	BODY_VCARD					/* a vCard: text/vcard (text/x-vcard, text/directory), UTF-8
								 * without NUL, passed as text */
} BodyKind;

/* The bodies passed as bytes (a bytea parameter, with their media type). */
#define BODY_IS_BYTES(kind) ((kind) == BODY_IMAGE || (kind) == BODY_MULTIPART)

typedef enum Answer
{
	ANSWER_SQL,					/* the route's SQL function answers */
	ANSWER_SQL_BYTES,			/* ... with bytes (http_binary_response): their Content-Type
								 * is in its headers */
	ANSWER_OPENAPI				/* privacybee-fcgi answers with openapi_document */
} Answer;

typedef struct Route
{
	const char *method;
	const char *pattern;		/* "{id}" matches one segment of digits */
	const char *function;		/* in schema privacybee, signature of sql/logic/30_contacts.sql;
								 * NULL unless the SQL function answers (ANSWER_SQL, ANSWER_SQL_BYTES) */
	const char *scope;			/* the token scope the function demands; NULL: no bearer
								 * token (the route authenticates otherwise, or not at all) */
	BodyKind	body;
	Answer		answer;
	bool		dev_only;		/* exists only with privacybee.dev_endpoints on */
	bool		provider_signed;	/* a telephony webhook: X-Twilio-Signature checked */
	bool		client_basic;	/* OAuth client credentials may come as HTTP Basic: decoded
								 * into the form body's client_id and client_secret */
	size_t		body_limit;		/* bytes; 0: the configured limit (--body-limit) */
	bool		read_only;		/* writes nothing: a hot standby may serve it (--dsn-read) */
	bool		dav;			/* a WebDAV route (CardDAV): HTTP Basic, params from headers */
} Route;

/*
 * What every route function takes: (token, arg, params, body, if_match, if_none_match),
 * the last two the conditional request header fields, NULL when absent; a BODY_IMAGE
 * route's, (token, arg, params, body bytea, content_type, if_match, if_none_match).
 */
#define ROUTE_NPARAMS 6
#define ROUTE_NPARAMS_MAX 7

extern const Route routes[];
extern const size_t route_count;

/* GET /openapi.json: the OpenAPI 3.1 document of every route, compact JSON */
extern const char openapi_document[];
extern const size_t openapi_document_len;

/* a WebDAV resource name ({name}) is at most this many bytes */
#define NAME_MAX_LEN 255
/* the placeholders' segments, joined by "/" ("7/card.vcf"), and a NUL */
#define ARG_MAX_LEN (NAME_MAX_LEN + 32)

typedef enum MatchResult
{
	MATCH_OK,
	MATCH_NO_PATH,				/* 404 */
	MATCH_NO_METHOD				/* 405; allow lists the path's methods */
} MatchResult;

/*
 * Find the route for method and path (HEAD finds the GET route); on MATCH_OK *route is
 * its index and arg holds the {id} (and {name}) segments, joined by "/" ("" when none).
 * A pattern ending in "/" (a WebDAV collection) matches the path without it too. allow (size allow_size) gets
 * "GET, HEAD, POST" for 405.
 */
extern MatchResult route_match(const char *method, const char *path, bool dev_enabled,
							   size_t *route, char arg[ARG_MAX_LEN],
							   char *allow, size_t allow_size);

#endif
