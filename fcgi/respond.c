/*
 * respond.c — HTTP responses over FastCGI: a "Status:" line, headers, the JSON body.
 * A HEAD request gets what GET would get without the body (RFC 9110 §9.3.2), its
 * Content-Length included. Error messages are cleaned to valid UTF-8 and cut on a
 * character boundary here, whatever client input they quote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "respond.h"
#include "utf8.h"

/* longest error message, in bytes: a message quoting client input is cut to it */
#define MESSAGE_MAX 1024

static const char *
Reason(int status)
{
	switch (status)
	{
		case 200: return "OK";
		case 201: return "Created";
		case 204: return "No Content";
		case 207: return "Multi-Status";
		case 301: return "Moved Permanently";
		case 304: return "Not Modified";
		case 400: return "Bad Request";
		case 401: return "Unauthorized";
		case 403: return "Forbidden";
		case 404: return "Not Found";
		case 405: return "Method Not Allowed";
		case 406: return "Not Acceptable";
		case 409: return "Conflict";
		case 410: return "Gone";
		case 411: return "Length Required";
		case 412: return "Precondition Failed";
		case 413: return "Content Too Large";
		case 414: return "URI Too Long";
		case 415: return "Unsupported Media Type";
		case 422: return "Unprocessable Content";
		case 428: return "Precondition Required";
		case 429: return "Too Many Requests";
		case 431: return "Request Header Fields Too Large";
		case 500: return "Internal Server Error";
		case 501: return "Not Implemented";
		case 502: return "Bad Gateway";
		case 503: return "Service Unavailable";
		case 504: return "Gateway Timeout";
		default: return "Unknown";
	}
}

static void
WriteHeaders(FCGX_Stream *out, const char *headers)
{
	const char *line = headers;

	while (line && *line)
	{
		const char *end = strchr(line, '\n');
		size_t		len = end ? (size_t) (end - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		if (colon && colon != line && !memchr(line, '\r', len))
		{
			FCGX_PutStr(line, (int) len, out);
			FCGX_PutS("\r\n", out);
		}
		line = end ? end + 1 : NULL;
	}
}

void
respond(FCGX_Stream *out, bool head, int status, const char *headers,
		const char *body, size_t body_len)
{
	char		line[128];
	int			n;

	/* formatted here: FCGX_FPrintF has its own printf that lacks %zu */
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", status, Reason(status));
	FCGX_PutStr(line, n, out);
	WriteHeaders(out, headers);
	if (body)
	{
		n = snprintf(line, sizeof(line),
					 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body_len);
		FCGX_PutStr(line, n, out);
		if (!head)
			FCGX_PutStr(body, (int) body_len, out);
	}
	else if (status == 204 || status == 304)
		FCGX_PutS("\r\n", out);	/* no content, and no Content-Length (RFC 9110 §8.6) */
	else
		FCGX_PutS("Content-Length: 0\r\n\r\n", out);
}

void
respond_bytes(FCGX_Stream *out, bool head, int status, const char *headers,
			  const char *body, size_t body_len)
{
	char		line[128];
	int			n;

	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", status, Reason(status));
	FCGX_PutStr(line, n, out);
	WriteHeaders(out, headers);
	if (body)
	{
		n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", body_len);
		FCGX_PutStr(line, n, out);
		if (!head)
			FCGX_PutStr(body, (int) body_len, out);
	}
	else if (status == 204 || status == 304)
		FCGX_PutS("\r\n", out);
	else
		FCGX_PutS("Content-Length: 0\r\n\r\n", out);
}

void
respond_error(FCGX_Stream *out, bool head, int status, const char *message, json_t *details,
			  const char *headers)
{
	char		code[8];
	char		clean[MESSAGE_MAX];
	json_t	   *error;			/* new reference */
	char	   *text = NULL;	/* malloc'd by jansson */

	snprintf(code, sizeof(code), "%d", status);
	utf8_clean(clean, sizeof(clean), message);
	error = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", clean);
	if (error && details && json_is_array(details))
		json_object_set(json_object_get(error, "error"), "details", details);
	if (error)
		text = json_dumps(error, JSON_COMPACT);
	if (text)
		respond(out, head, status, headers, text, strlen(text));
	else
	{
		/* jansson out of memory: say it with a fixed body */
		static const char fallback[] = "{\"error\":{\"code\":\"500\",\"message\":\"internal error\"}}";

		respond(out, head, 500, NULL, fallback, sizeof(fallback) - 1);
	}
	free(text);
	json_decref(error);
}
