/*
 * fuzz_request.c — libFuzzer target: one whole request through privacybee-fcgi's
 * handler (routing, query and form parameters, body reading, JSON checks, the webhook
 * signature, the error answers), built with ASan and UBSan.
 *
 * The input is the request: a flags byte, then lines — method, path, query string,
 * Content-Type, Authorization, X-Twilio-Signature, Host, If-Match, If-None-Match, Depth,
 * Accept — then the body (JSON, a form, an image, a WebDAV request's XML or a vCard). libfcgi and the database are replaced here: the FastCGI streams are memory,
 * and every route "answers" 200 with the parameters it would have been called with.
 * What reaches the database must be what PostgreSQL accepts (every parameter valid
 * UTF-8, params and body JSON that jansson reads back), and each response a well-formed
 * FastCGI answer whose body is the JSON its Content-Length announces (none for HEAD);
 * anything else aborts, as does any sanitizer report.
 *
 *   make fuzz FUZZ_TIME=3600      a long run (make test runs it briefly)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "db.h"
#include "handler.h"
#include "utf8.h"
#include "xml.h"

Config		config = {
	.workers = 1,
	.threads = 1,
	.body_limit = 65536,
	.json_depth = 32,
};

static bool dev_endpoints;

/* ---- the FastCGI streams, in memory --------------------------------------------- */

static const uint8_t *in_data;
static size_t in_left;
static char *out_buf;
static size_t out_len;
static size_t out_cap;

char *
FCGX_GetParam(const char *name, FCGX_ParamArray envp)
{
	size_t		n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

int
FCGX_GetStr(char *str, int n, FCGX_Stream *stream)
{
	size_t		take = in_left < (size_t) n ? in_left : (size_t) n;

	(void) stream;
	memcpy(str, in_data, take);
	in_data += take;
	in_left -= take;
	return (int) take;
}

int
FCGX_PutStr(const char *str, int n, FCGX_Stream *stream)
{
	(void) stream;
	if (n < 0)
		abort();
	if (out_len + (size_t) n > out_cap)
	{
		out_cap = (out_len + (size_t) n) * 2;
		out_buf = realloc(out_buf, out_cap);
		if (out_buf == NULL)
			abort();
	}
	memcpy(out_buf + out_len, str, (size_t) n);
	out_len += (size_t) n;
	return n;
}

int
FCGX_PutS(const char *str, FCGX_Stream *stream)
{
	return FCGX_PutStr(str, (int) strlen(str), stream);
}

/* ---- the database: every route answers 200 with its parameters -------------------- */

bool
db_dev_endpoints(void)
{
	return dev_endpoints;
}

bool
db_ready(Db *db)
{
	(void) db;
	return true;
}

static PGresult *
Row(const char *status, const char *body)
{
	PGresAttDesc attrs[3] = {
		{.name = "status", .typid = 23, .typlen = 4, .atttypmod = -1},
		{.name = "headers", .typid = 25, .typlen = -1, .atttypmod = -1},
		{.name = "body", .typid = 25, .typlen = -1, .atttypmod = -1},
	};
	PGresult   *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	if (res == NULL || !PQsetResultAttrs(res, 3, attrs) ||
		!PQsetvalue(res, 0, 0, (char *) status, (int) strlen(status)) ||
		!PQsetvalue(res, 0, 1, NULL, -1) ||
		!PQsetvalue(res, 0, 2, (char *) body, (int) strlen(body)))
		abort();
	return res;
}

/* A text parameter PostgreSQL would refuse (SQLSTATE 22021) must never be sent. */
static void
CheckText(const char *value)
{
	if (value && !utf8_valid(value, strlen(value)))
		abort();
}

/*
 * A jsonb parameter must be JSON. Integers past int64 are JSON, and PostgreSQL reads them
 * (as numeric): read them as the front-end's check does (JSON_DECODE_INT_AS_REAL), not
 * as jansson's default, which refuses them.
 */
static void
CheckJson(const char *value)
{
	json_t	   *doc;

	if (value == NULL)
		return;
	doc = json_loads(value, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	if (doc == NULL)
		abort();
	json_decref(doc);
}

/* A bytes answer (ANSWER_SQL_BYTES), in binary as the front-end asks for it. */
static PGresult *
BytesRow(void)
{
	PGresAttDesc attrs[3] = {
		{.name = "status", .typid = 23, .typlen = 4, .atttypmod = -1, .format = 1},
		{.name = "headers", .typid = 25, .typlen = -1, .atttypmod = -1, .format = 1},
		{.name = "body", .typid = 17, .typlen = -1, .atttypmod = -1, .format = 1},
	};
	static const char headers[] = "Content-Type: image/png\nETag: \"x\"";
	PGresult   *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	if (res == NULL || !PQsetResultAttrs(res, 3, attrs) ||
		!PQsetvalue(res, 0, 0, "\0\0\0\310", 4) ||
		!PQsetvalue(res, 0, 1, (char *) headers, (int) strlen(headers)) ||
		!PQsetvalue(res, 0, 2, "\211PNG\0\1", 6))
		abort();
	return res;
}

PGresult *
db_call_route(Db *db, size_t route, bool head, const char *const values[ROUTE_NPARAMS_MAX],
			  int body_len)
{
	(void) db;
	/* HEAD runs a GET route's call read-only (db.c): it never reaches another route */
	if (head && strcmp(routes[route].method, "GET") != 0)
		abort();
	CheckText(values[0]);
	CheckText(values[1]);
	CheckJson(values[2]);
	if (BODY_IS_BYTES(routes[route].body))
	{
		/* the bytes, any, then the media type and the conditional headers */
		if (values[3] == NULL || body_len < 0)
			abort();
		CheckText(values[4]);
		CheckText(values[5]);
		CheckText(values[6]);
	}
	else if (routes[route].body == BODY_VCARD)
	{
		/* a vCard's text: UTF-8 without NUL, or it never reaches PostgreSQL */
		CheckText(values[3]);
		CheckText(values[4]);
		CheckText(values[5]);
	}
	else
	{
		/* JSON, or an XML body's JSON tree */
		CheckJson(values[3]);
		CheckText(values[4]);
		CheckText(values[5]);
	}
	if (routes[route].answer == ANSWER_SQL_BYTES)
		return BytesRow();
	return Row("200", values[2]);
}

PGresult *
db_check_token(Db *db, const char *token, const char *scope)
{
	(void) db;
	(void) scope;
	CheckText(token);
	return PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

/* ---- one request -------------------------------------------------------------------- */

#define FIELDS 11

/*
 * "Status: NNN ...", headers, a blank line, then exactly Content-Length bytes of JSON,
 * or (HEAD) no bytes at all.
 */
static void
CheckResponse(bool head)
{
	const char *end;
	const char *cl;
	size_t		head_len,
				body_len;
	json_t	   *json;

	if (out_len < 12 || memcmp(out_buf, "Status: ", 8) != 0)
		abort();
	end = memmem(out_buf, out_len, "\r\n\r\n", 4);
	if (end == NULL)
		abort();
	head_len = (size_t) (end - out_buf) + 4;
	cl = memmem(out_buf, head_len, "Content-Length: ", 16);
	if (cl == NULL)
		abort();
	body_len = strtoul(cl + 16, NULL, 10);
	if (head)
	{
		if (head_len != out_len)
			abort();
		return;
	}
	if (head_len + body_len != out_len)
		abort();
	/* a body is JSON, unless its Content-Type (a photo's) says otherwise */
	if (body_len > 0 && !memmem(out_buf, head_len, "Content-Type: image/", 20))
	{
		json = json_loadb(out_buf + head_len, body_len, 0, NULL);
		if (json == NULL)
			abort();
		json_decref(json);
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[FIELDS] = {"REQUEST_METHOD", "DOCUMENT_URI", "QUERY_STRING",
		"CONTENT_TYPE", "HTTP_AUTHORIZATION", "HTTP_X_TWILIO_SIGNATURE", "HTTP_HOST",
		"HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_DEPTH", "HTTP_ACCEPT"};
	char	   *env[FIELDS + 3] = {0};
	size_t		n_env = 0;
	const char *fields[FIELDS] = {0};
	FCGX_Stream stream = {0};
	FCGX_Request request = {.in = &stream, .out = &stream, .err = &stream};
	char	   *copy;
	char	   *p;
	char	   *uri;

	static bool xml_ready;

	if (!xml_ready)
	{
		xml_init();
		xml_ready = true;
	}
	if (size < 1)
		return 0;
	dev_endpoints = data[0] & 1;
	config.provider_secret = (data[0] & 2) ? "fuzz-secret" : NULL;
	config.provider_secret_len = config.provider_secret ? strlen(config.provider_secret) : 0;

	/* the lines, NUL-terminated in a copy; the body is what follows them */
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	p = copy;
	for (int i = 0; i < FIELDS; i++)
	{
		char	   *nl = memchr(p, '\n', (size_t) (copy + size - 1 - p));

		if (nl == NULL)
		{
			free(copy);
			return 0;
		}
		*nl = '\0';
		if (strlen(p) != (size_t) (nl - p))	/* FastCGI params hold no NUL */
		{
			free(copy);
			return 0;
		}
		fields[i] = p;
		p = nl + 1;
	}
	in_data = (const uint8_t *) data + 1 + (p - copy);
	in_left = (size_t) (copy + size - 1 - p);

	for (int i = 0; i < FIELDS; i++)
	{
		if (fields[i][0] == '\0' && i >= 2)
			continue;			/* an absent header */
		if (asprintf(&env[n_env++], "%s=%s", names[i], fields[i]) < 0)
			abort();
	}
	if (asprintf(&uri, "REQUEST_URI=%s%s%s", fields[1], fields[2][0] ? "?" : "", fields[2]) < 0)
		abort();
	env[n_env++] = uri;
	request.envp = env;

	out_len = 0;
	handle_request(&request, NULL);
	CheckResponse(strcmp(fields[0], "HEAD") == 0);

	for (size_t i = 0; i < n_env; i++)
		free(env[i]);
	free(copy);
	return 0;
}
