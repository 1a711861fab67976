/*
 * multipart.c — a bounded reader of multipart/form-data bodies (RFC 7578, RFC 2046 §5.1).
 *
 * The body was read whole, within the route's limit (request_read_body); this walks it
 * once, never past len, and copies nothing but each part's headers (at most
 * MULTIPART_MAX_HEADERS bytes, into a buffer of the stack) and the fields' values (into
 * jansson strings). The file part is left where it is: the caller passes those bytes on.
 * Every length it uses it counted itself.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"
#include "request.h"
#include "utf8.h"

#define MAX_BOUNDARY 70			/* RFC 2046 §5.1.1 */

/* The first needle in hay, or NULL (both counted; no NUL needed). */
static const char *
Find(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	if (needle_len == 0 || hay_len < needle_len)
		return NULL;
	for (size_t i = 0; i + needle_len <= hay_len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, needle_len) == 0)
			return hay + i;
	return NULL;
}

static bool
BoundaryChar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		strchr("'()+_,-./:=? ", c) != NULL;
}

/*
 * The value of parameter name (a token or a quoted string) in a header value's
 * parameters ("; name=value"), into out (out_size bytes); false when absent, malformed or
 * too long. Quoted strings take no escapes: a boundary or a field name has none.
 */
static bool
HeaderParam(const char *value, const char *name, char *out, size_t out_size)
{
	size_t		name_len = strlen(name);
	const char *p = strchr(value, ';');

	while (p)
	{
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, name_len) == 0 && p[name_len] == '=')
		{
			const char *v = p + name_len + 1;
			size_t		n;

			if (*v == '"')
			{
				const char *end = strchr(v + 1, '"');

				if (end == NULL)
					return false;
				n = (size_t) (end - v - 1);
				v++;
			}
			else
				n = strcspn(v, "; \t");
			if (n == 0 || n >= out_size)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}

/*
 * The value of header name in a part's header block (NUL-terminated, lines split by
 * CRLF) into out (at least MULTIPART_MAX_HEADERS + 1 bytes); false when absent.
 */
static bool
Header(const char *block, const char *name, char *out)
{
	size_t		name_len = strlen(name);

	for (const char *line = block; *line;)
	{
		const char *next = strstr(line, "\r\n");
		const char *line_end = next ? next : line + strlen(line);

		if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':')
		{
			const char *v = line + name_len + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			memcpy(out, v, (size_t) (line_end - v));
			out[line_end - v] = '\0';
			return true;
		}
		if (next == NULL)
			break;
		line = next + 2;
	}
	return false;
}

bool
multipart_read(const char *body, size_t len, const char *content_type,
			   const char *const *file_types, json_t *fields,
			   const char **file, size_t *file_len, const char **file_type,
			   int *status, char *err, size_t err_size)
{
	char		boundary[MAX_BOUNDARY + 1];
	char		delimiter[MAX_BOUNDARY + 5];	/* CRLF "--" boundary */
	size_t		blen,
				dlen;
	const char *p,
			   *end = body + len;
	int			parts = 0;

	*file = NULL;
	*file_len = 0;
	*file_type = NULL;
	*status = 400;
	if (!request_content_type_is(content_type, "multipart/form-data"))
	{
		snprintf(err, err_size, "body must be multipart/form-data");
		return false;
	}
	if (!HeaderParam(content_type, "boundary", boundary, sizeof(boundary)))
	{
		snprintf(err, err_size, "the Content-Type's boundary is missing or malformed");
		return false;
	}
	blen = strlen(boundary);
	for (size_t i = 0; i < blen; i++)
		if (!BoundaryChar(boundary[i]) || (i == blen - 1 && boundary[i] == ' '))
		{
			snprintf(err, err_size, "the Content-Type's boundary is missing or malformed");
			return false;
		}
	dlen = (size_t) snprintf(delimiter, sizeof(delimiter), "\r\n--%s", boundary);

	/* the first delimiter opens the body, or ends a preamble */
	if (len >= dlen - 2 && memcmp(body, delimiter + 2, dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = Find(body, len, delimiter, dlen)) != NULL)
		p += dlen;
	else
	{
		snprintf(err, err_size, "body has no part (no boundary)");
		return false;
	}

	for (;;)
	{
		const char *headers_end,
				   *content,
				   *next;
		char		block[MULTIPART_MAX_HEADERS + 1];
		char		name[256];
		char		disposition[MULTIPART_MAX_HEADERS + 1];
		char		ptype[MULTIPART_MAX_HEADERS + 1];
		bool		typed;
		size_t		hlen,
					clen;

		/* after a delimiter: "--" closes the body; else transport padding, then CRLF */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
		{
			snprintf(err, err_size, "body is not multipart: a boundary is not followed by a line end");
			return false;
		}
		p += 2;
		if (++parts > MULTIPART_MAX_PARTS)
		{
			snprintf(err, err_size, "body has more than %d parts", MULTIPART_MAX_PARTS);
			return false;
		}
		/* a part with no headers starts with its blank line */
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		{
			headers_end = p;
			content = p + 2;
		}
		else
		{
			size_t		room = (size_t) (end - p);

			headers_end = Find(p, room < MULTIPART_MAX_HEADERS + 4 ? room : MULTIPART_MAX_HEADERS + 4,
							   "\r\n\r\n", 4);
			if (headers_end == NULL)
			{
				snprintf(err, err_size, "part %d: its headers are unterminated or over %d bytes",
						 parts, MULTIPART_MAX_HEADERS);
				return false;
			}
			content = headers_end + 4;
		}
		hlen = (size_t) (headers_end - p);
		if (hlen > MULTIPART_MAX_HEADERS || memchr(p, '\0', hlen) != NULL)
		{
			snprintf(err, err_size, "part %d: its headers are malformed or over %d bytes",
					 parts, MULTIPART_MAX_HEADERS);
			return false;
		}
		memcpy(block, p, hlen);
		block[hlen] = '\0';

		next = Find(content, (size_t) (end - content), delimiter, dlen);
		if (next == NULL)
		{
			snprintf(err, err_size, "part %d: no boundary after it (the body is cut short)", parts);
			return false;
		}
		clen = (size_t) (next - content);

		if (!Header(block, "Content-Disposition", disposition) || strncasecmp(disposition, "form-data", 9) != 0 ||
			(disposition[9] != '\0' && disposition[9] != ';' && disposition[9] != ' ') ||
			!HeaderParam(disposition, "name", name, sizeof(name)) ||
			!utf8_valid(name, strlen(name)))
		{
			snprintf(err, err_size, "part %d: no Content-Disposition: form-data with a name", parts);
			return false;
		}
		if (json_object_get(fields, name) != NULL)
		{
			snprintf(err, err_size, "part %d: a field of that name came before", parts);
			return false;
		}
		typed = Header(block, "Content-Type", ptype);
		{
			const char *matched = NULL;

			for (int i = 0; typed && file_types[i]; i++)
				if (request_content_type_is(ptype, file_types[i]))
					matched = file_types[i];
			if (matched)
			{
				if (*file != NULL)
				{
					snprintf(err, err_size, "part %d: a second file (one is read)", parts);
					return false;
				}
				*file = content;
				*file_len = clen;
				*file_type = matched;
			}
			else if (typed && !request_charset_is_utf8(ptype))
			{
				/*
				 * a field is read as UTF-8, as a whole body is: a part that says it is in
				 * another charset is refused (415) rather than misread. A file part's
				 * charset is not ours to judge (its bytes are passed as they are).
				 */
				*status = 415;
				snprintf(err, err_size, "part %d (%s): a field must be UTF-8: a charset other than utf-8 is not read",
						 parts, name);
				return false;
			}
			else if (!utf8_valid(content, clen))
			{
				snprintf(err, err_size, "part %d (%s): a field must be UTF-8 text without NUL",
						 parts, name);
				return false;
			}
			else if (json_object_set_new(fields, name, json_stringn(content, clen)) != 0)
			{
				snprintf(err, err_size, "out of memory");
				return false;
			}
		}
		p = next + dlen;
	}
	if (*file == NULL)
	{
		snprintf(err, err_size, "body has no file part of a type this route reads");
		return false;
	}
	/* a _charset_ field names the fields' default charset (RFC 7578 §4.6): UTF-8 only */
	{
		const char *charset = json_string_value(json_object_get(fields, "_charset_"));
		char		ctype[64];

		if (charset)
			snprintf(ctype, sizeof(ctype), "text/plain; charset=\"%s\"", charset);
		if (charset && (strlen(charset) > 32 || !request_charset_is_utf8(ctype)))
		{
			*status = 415;
			snprintf(err, err_size, "the _charset_ field must be utf-8: another charset is not read");
			return false;
		}
	}
	return true;
}
