/*
 * request.c — parsing the parts of a request privacybee-fcgi checks itself: body size,
 * JSON well-formedness and depth, content type, query and form parameters.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "utf8.h"

#define READ_CHUNK 16384

char *
request_read_body(FCGX_Stream *in, size_t limit, size_t *len, bool *too_large)
{
	size_t		cap = 0;
	size_t		used = 0;
	char	   *buf = NULL;
	char		discard[READ_CHUNK];

	*too_large = false;
	for (;;)
	{
		int			n;

		if (used + READ_CHUNK + 1 > cap)
		{
			size_t		want = cap ? cap * 2 : READ_CHUNK + 1;
			char	   *grown;

			if (want > limit + READ_CHUNK + 1)
				want = limit + READ_CHUNK + 1;
			grown = realloc(buf, want);
			if (grown == NULL)
			{
				free(buf);
				return NULL;
			}
			buf = grown;
			cap = want;
		}
		n = FCGX_GetStr(buf + used, READ_CHUNK, in);
		if (n <= 0)
			break;
		used += (size_t) n;
		if (used > limit)
		{
			*too_large = true;
			while (FCGX_GetStr(discard, sizeof(discard), in) > 0)
				;
			free(buf);
			return NULL;
		}
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0..len) into out (at least len + 1 bytes); -1 on bad encoding or NUL. */
static long
Decode(const char *s, size_t len, char *out)
{
	size_t		o = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%')
		{
			int			hi,
						lo;

			if (i + 2 >= len)
				return -1;
			hi = HexValue(s[i + 1]);
			lo = HexValue(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			out[o++] = (char) (hi * 16 + lo);
			i += 2;
		}
		else if (s[i] == '\0')
			return -1;
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return (long) o;
}

bool
request_each_param(const char *s, size_t len, ParamFn fn, void *ctx, char *err, size_t err_size)
{
	size_t		start = 0;
	char	   *name = malloc(len + 1);
	char	   *value = malloc(len + 1);
	bool		ok = true;

	if (name == NULL || value == NULL)
	{
		snprintf(err, err_size, "out of memory");
		ok = false;
		goto out;
	}
	while (start < len)
	{
		const char *pair = s + start;
		const char *amp = memchr(pair, '&', len - start);
		size_t		pair_len = amp ? (size_t) (amp - pair) : len - start;
		const char *eq = memchr(pair, '=', pair_len);
		size_t		name_len = eq ? (size_t) (eq - pair) : pair_len;
		long		nlen,
					vlen;

		start += pair_len + 1;
		if (pair_len == 0)
			continue;
		nlen = Decode(pair, name_len, name);
		vlen = eq ? Decode(eq + 1, pair_len - name_len - 1, value) : Decode("", 0, value);
		if (nlen <= 0 || vlen < 0)
		{
			snprintf(err, err_size,
					 "a query or form parameter is not correctly percent-encoded, or holds a NUL");
			ok = false;
			goto out;
		}
		if (!utf8_valid(name, (size_t) nlen) || !utf8_valid(value, (size_t) vlen))
		{
			snprintf(err, err_size, "a query or form parameter is not valid UTF-8");
			ok = false;
			goto out;
		}
		if (!fn(name, (size_t) nlen, value, (size_t) vlen, ctx, err, err_size))
		{
			ok = false;
			goto out;
		}
	}
out:
	free(value);
	free(name);
	return ok;
}

typedef struct ParamsTarget
{
	json_t	   *params;			/* borrowed */
	bool		repeats;
} ParamsTarget;

/* One parameter into the object: a string, or (repeats) an array once it repeats. */
static bool
AddParam(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx,
		 char *err, size_t err_size)
{
	ParamsTarget *t = ctx;
	json_t	   *old = json_object_getn(t->params, name, name_len);	/* borrowed */
	json_t	   *v = json_stringn(value, value_len);	/* new reference */
	json_t	   *list;		/* new reference */
	char		shown[PARAM_NAME_SHOWN + 1];

	if (v == NULL)
		goto no_memory;
	if (old == NULL)
	{
		if (json_object_setn_new(t->params, name, name_len, v) != 0)
			goto no_memory;
		return true;
	}
	if (!t->repeats)
	{
		json_decref(v);
		/* the name as far as it is shown: cut on a character boundary */
		utf8_clean(shown, sizeof(shown), name);
		snprintf(err, err_size, "parameter %s is given twice", shown);
		return false;
	}
	if (json_is_array(old))
	{
		if (json_array_append_new(old, v) != 0)
			goto no_memory;
		return true;
	}
	list = json_pack("[O, o]", old, v);
	if (list == NULL || json_object_setn_new(t->params, name, name_len, list) != 0)
		goto no_memory;
	return true;
no_memory:
	snprintf(err, err_size, "out of memory");
	return false;
}

bool
request_parse_params(const char *s, size_t len, json_t *params, bool repeats,
					 char *err, size_t err_size)
{
	ParamsTarget t = {params, repeats};

	return request_each_param(s, len, AddParam, &t, err, err_size);
}

bool
request_content_type_is(const char *content_type, const char *mime)
{
	size_t		n = strlen(mime);

	if (content_type == NULL)
		return false;
	while (*content_type == ' ')
		content_type++;
	if (strncasecmp(content_type, mime, n) != 0)
		return false;
	content_type += n;
	while (*content_type == ' ')
		content_type++;
	return *content_type == '\0' || *content_type == ';';
}

/* Nesting depth of v, counting no further than limit + 1. */
static int
Depth(json_t *v, int limit)
{
	int			deepest = 0;

	if (limit < 0)
		return 1;
	if (json_is_array(v))
	{
		size_t		i;
		json_t	   *e;			/* borrowed */

		json_array_foreach(v, i, e)
		{
			int			d = Depth(e, limit - 1);

			if (d > deepest)
				deepest = d;
			if (deepest > limit)
				break;
		}
		return deepest + 1;
	}
	if (json_is_object(v))
	{
		const char *k;
		json_t	   *e;			/* borrowed */

		json_object_foreach(v, k, e)
		{
			int			d = Depth(e, limit - 1);

			if (d > deepest)
				deepest = d;
			if (deepest > limit)
				break;
		}
		return deepest + 1;
	}
	return 0;
}

bool
request_check_json(const char *body, size_t len, int max_depth, char *err, size_t err_size)
{
	json_error_t jerr;
	/* integers as reals: one past int64 is valid JSON, and the SQL function says what is
	 * wrong with it (an id out of range names its field) */
	json_t	   *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
								 &jerr);	/* new ref */
	bool		ok;

	if (doc == NULL)
	{
		snprintf(err, err_size, "body is not valid JSON: %s (line %d, column %d)",
				 jerr.text, jerr.line, jerr.column);
		return false;
	}
	ok = Depth(doc, max_depth) <= max_depth;
	if (!ok)
		snprintf(err, err_size, "body is nested deeper than %d levels", max_depth);
	json_decref(doc);
	return ok;
}

/* RFC 9110 §11.2 token68: the characters a bearer token may hold, then "=" padding. */
static bool
IsToken68(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		strchr("-._~+/", c) != NULL;
}

bool
request_bearer_token(const char *authorization, char *token, size_t token_size)
{
	const char *p = authorization;
	size_t		n = 0;

	token[0] = '\0';
	if (p == NULL || strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return false;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	while (p[n] != '\0' && IsToken68(p[n]))
		n++;
	while (n > 0 && p[n] == '=')
		n++;
	if (n == 0 || n >= token_size || p[n + strspn(p + n, " \t")] != '\0')
		return false;
	memcpy(token, p, n);
	token[n] = '\0';
	return true;
}

/* The value of one base64 character (RFC 4648 §4), -1 for any other. */
static int
Base64Value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
request_basic_credentials(const char *authorization, char *user, size_t user_size,
						  char *password, size_t password_size)
{
	const char *p = authorization;
	char		plain[512];
	size_t		len = 0;
	size_t		n = 0;
	unsigned	bits = 0;
	int			nbits = 0;
	const char *colon;

	user[0] = password[0] = '\0';
	if (p == NULL || strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
		return false;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	/* base64 with its padding, then optional spaces: nothing else */
	while (p[n] != '\0' && Base64Value((unsigned char) p[n]) >= 0)
	{
		bits = (bits << 6) | (unsigned) Base64Value((unsigned char) p[n++]);
		nbits += 6;
		if (nbits >= 8)
		{
			nbits -= 8;
			if (len >= sizeof(plain) - 1)
				return false;
			plain[len++] = (char) ((bits >> nbits) & 0xff);
		}
	}
	while (p[n] == '=')
		n++;
	if (n == 0 || p[n + strspn(p + n, " \t")] != '\0')
		return false;
	plain[len] = '\0';
	/* user-id ":" password (RFC 7617 §2), UTF-8 without control characters */
	colon = memchr(plain, ':', len);
	if (colon == NULL || !utf8_valid(plain, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) plain[i] < 0x20 || plain[i] == 0x7f)
			return false;
	if ((size_t) (colon - plain) >= user_size || len - (size_t) (colon - plain) - 1 >= password_size)
		return false;
	memcpy(user, plain, (size_t) (colon - plain));
	user[colon - plain] = '\0';
	memcpy(password, colon + 1, len - (size_t) (colon - plain) - 1);
	password[len - (size_t) (colon - plain) - 1] = '\0';
	return true;
}
