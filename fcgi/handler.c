/*
 * handler.c — one request, start to finish.
 *
 * The order of checks is the SPEC's: unknown path 404 and wrong method 405 first; then
 * authentication (401 / 403); then the request itself (400 / 413 / 415); then the
 * object. Authentication happens inside the SQL function, so when this file rejects a
 * request itself it still makes its one SQL call — api_check_token — and lets a token
 * error win. Everything else is the route function's answer, passed through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handler.h"
#include "request.h"
#include "respond.h"
#include "routes.h"
#include "signature.h"
#include "sqlstate.h"

#define ERR_SIZE 256

typedef struct Request
{
	FCGX_Request *fcgi;
	const Route *route;
	size_t		route_index;
	char		arg[ARG_MAX_LEN];
	const char *token;
	json_t	   *params;			/* new reference: query (and form) parameters */
	char	   *body;			/* malloc'd JSON body, NULL when none */
	int			error_status;	/* a rejection found here, 0 when none */
	char		error[ERR_SIZE];
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

/*
 * The URL the provider requested, malloc'd: --public-url (behind a proxy that ends TLS)
 * or the request's own scheme and Host, then the request URI as sent.
 */
static char *
RequestUrl(Request *r)
{
	const char *uri = Param(r, "REQUEST_URI");
	const char *scheme = Param(r, "REQUEST_SCHEME");
	const char *host = Param(r, "HTTP_HOST");
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
	SignedRequest req = {.header = Param(r, "HTTP_X_TWILIO_SIGNATURE")};
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

/* The body as the route wants it: JSON text, or form fields merged into params. */
static void
ReadBody(Request *r)
{
	const char *ctype = Param(r, "CONTENT_TYPE");
	char		err[ERR_SIZE];
	bool		too_large;
	size_t		len = 0;
	char	   *body = request_read_body(r->fcgi->in, config.body_limit, &len, &too_large);

	if (body == NULL)
	{
		Reject(r, too_large ? 413 : 500,
			   too_large ? "request body is over the limit" : "out of memory");
		return;
	}
	CheckProviderSignature(r, body, len, ctype);
	if (r->route->body == BODY_NONE || len == 0)
		free(body);
	else if (r->route->body == BODY_JSON_OR_FORM &&
			 request_content_type_is(ctype, "application/x-www-form-urlencoded"))
	{
		if (!request_parse_params(body, len, r->params, err, sizeof(err)))
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
	else if (memchr(body, '\0', len))
	{
		Reject(r, 400, "body contains a NUL byte");
		free(body);
	}
	else if (!request_check_json(body, len, config.json_depth, err, sizeof(err)))
	{
		Reject(r, 400, err);
		free(body);
	}
	else
		r->body = body;
}

static void
ReadQuery(Request *r)
{
	const char *qs = Param(r, "QUERY_STRING");
	char		err[ERR_SIZE];

	if (qs && !request_parse_params(qs, strlen(qs), r->params, err, sizeof(err)))
		Reject(r, 400, err);
}

/* Answer with a PostgreSQL error: the client's message for PTnnn, nothing internal else. */
static void
RespondSqlError(Request *r, PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	bool		client_message;
	int			status = sqlstate_http_status(sqlstate, &client_message);
	json_t	   *details = NULL; /* new reference */

	if (client_message && detail)
		details = json_loads(detail, 0, NULL);
	if (!client_message)
		fprintf(stderr, "privacybee-fcgi: %s %s: SQLSTATE %s: %s\n",
				r->route->method, r->route->pattern, sqlstate ? sqlstate : "-",
				message ? message : "-");
	if (client_message)
		respond_error(r->fcgi->out, status, message ? message : "error", details, NULL);
	else if (status == 503)
		respond_error(r->fcgi->out, 503, "service temporarily unavailable, retry shortly",
					  NULL, "Retry-After: 1");
	else if (status == 409)
		respond_error(r->fcgi->out, 409, "conflict with the current state, retry or refetch",
					  NULL, NULL);
	else if (status == 403)
		respond_error(r->fcgi->out, 403, "forbidden", NULL, NULL);
	else
		respond_error(r->fcgi->out, 500, "internal error", NULL, NULL);
	json_decref(details);
}

static void
RespondUnavailable(Request *r)
{
	respond_error(r->fcgi->out, 503, "database unavailable, retry shortly", NULL,
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
		respond_error(r->fcgi->out, r->error_status, r->error, NULL, NULL);
	PQclear(res);
}

static void
CallRoute(Request *r, Db *db)
{
	char	   *params = json_dumps(r->params, JSON_COMPACT);	/* malloc'd */
	const char *values[ROUTE_NPARAMS] = {r->token, r->arg, params, r->body,
		Param(r, "HTTP_IF_MATCH"), Param(r, "HTTP_IF_NONE_MATCH")};
	PGresult   *res;

	if (params == NULL)
	{
		respond_error(r->fcgi->out, 500, "internal error", NULL, NULL);
		return;
	}
	res = db_call_route(db, r->route_index, values);
	if (res == NULL)
		RespondUnavailable(r);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		RespondSqlError(r, res);
	else
	{
		int			status = atoi(PQgetvalue(res, 0, 0));
		const char *headers = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
		bool		has_body = !PQgetisnull(res, 0, 2) && status != 204;

		respond(r->fcgi->out, status, headers,
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
		respond_error(fcgi->out, 400, "request without method or path", NULL, NULL);
		return;
	}
	switch (route_match(method, path, db_dev_endpoints(), &r.route_index, r.arg,
						allow, sizeof(allow)))
	{
		case MATCH_NO_PATH:
			respond_error(fcgi->out, 404, "no such route", NULL, NULL);
			return;
		case MATCH_NO_METHOD:
			snprintf(allow_header, sizeof(allow_header), "Allow: %s", allow);
			respond_error(fcgi->out, 405, "method not allowed on this route", NULL, allow_header);
			return;
		case MATCH_OK:
			break;
	}
	r.route = &routes[r.route_index];
	r.token = request_bearer_token(Param(&r, "HTTP_AUTHORIZATION"));
	r.params = json_object();
	if (r.params == NULL)
	{
		respond_error(fcgi->out, 500, "internal error", NULL, NULL);
		return;
	}
	ReadQuery(&r);
	ReadBody(&r);

	if (!ready)
		RespondUnavailable(&r);
	else if (r.error_status)
		RespondRejection(&r, db);
	else
		CallRoute(&r, db);

	free(r.body);
	json_decref(r.params);
}
