/*
 * request.c — parsing the parts of a request privacybee-fcgi checks itself: body size,
 * JSON well-formedness and depth, the characters of its text (extension/text_chars.h),
 * content type, query and form parameters, bearer tokens
 * and OAuth clients' Basic credentials.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "utf8.h"
#include "../extension/text_chars.h"

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

bool
request_charset_is_utf8(const char *content_type)
{
	const char *p = content_type ? strchr(content_type, ';') : NULL;

	while (p != NULL && *p == ';')
	{
		const char *name;
		size_t		name_len;
		char		value[16];
		size_t		n = 0;
		bool		too_long = false;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		name_len = (size_t) (p - name);
		while (name_len > 0 && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
			name_len--;
		if (*p == '=')
		{
			p++;
			if (*p == '"')
			{
				/* a quoted-string, its quoted-pairs unescaped */
				for (p++; *p && *p != '"'; p++)
				{
					if (*p == '\\' && p[1])
						p++;
					if (n + 1 < sizeof(value))
						value[n++] = *p;
					else
						too_long = true;
				}
				if (*p == '"')
					p++;
			}
			else
				for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
				{
					if (n + 1 < sizeof(value))
						value[n++] = *p;
					else
						too_long = true;
				}
			while (*p && *p != ';')
				p++;
		}
		value[n] = '\0';
		if (name_len == 7 && strncasecmp(name, "charset", 7) == 0 &&
			(too_long || strcasecmp(value, "utf-8") != 0))
			return false;
	}
	return true;
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

/*
 * Whether some string of v (a member's name or a value) holds a character text may not
 * hold (extension/text_chars.h); then field gets its path as the API names fields
 * ("contact.contactData.name.givenName", "[3].notes", "body" for v itself) and *cp the
 * character. Depth is bounded by the caller's check.
 */
static bool
BadText(json_t *v, char *field, size_t size, size_t at, unsigned *cp)
{
	size_t		n;

	if (json_is_string(v))
		return text_chars_find(json_string_value(v), json_string_length(v), cp, &n) >= 0;
	if (json_is_array(v))
	{
		size_t		i;
		json_t	   *e;			/* borrowed */

		json_array_foreach(v, i, e)
		{
			int			w = snprintf(field + at, size - at, "[%zu]", i);

			if (BadText(e, field, size, at + w < size ? at + w : size - 1, cp))
				return true;
		}
		field[at] = '\0';
		return false;
	}
	if (json_is_object(v))
	{
		const char *k;
		json_t	   *e;			/* borrowed */

		json_object_foreach(v, k, e)
		{
			int			w = snprintf(field + at, size - at, "%s%s", at > 0 ? "." : "", k);
			size_t		next = at + w < size ? at + w : size - 1;

			if (text_chars_find(k, strlen(k), cp, &n) >= 0 ||
				BadText(e, field, size, next, cp))
				return true;
		}
		field[at] = '\0';
		return false;
	}
	return false;
}

bool
request_bad_text(json_t *v, const char *whole, char *field, size_t field_size, char *err,
				 size_t err_size)
{
	unsigned	cp = 0;

	field[0] = '\0';
	if (!BadText(v, field, field_size, 0, &cp))
		return false;
	if (field[0] == '\0')
		snprintf(field, field_size, "%s", whole);
	snprintf(err, err_size, TEXT_CHARS_PROBLEM_FMT, cp);
	return true;
}

bool
request_check_json(const char *body, size_t len, int max_depth, char *err, size_t err_size,
				   char *field, size_t field_size)
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
	field[0] = '\0';
	ok = Depth(doc, max_depth) <= max_depth;
	if (!ok)
		snprintf(err, err_size, "body is nested deeper than %d levels", max_depth);
	else if (request_bad_text(doc, "body", field, field_size, err, err_size))
		ok = false;
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

/*
 * Decode base64 strictly (RFC 4648 §4: the standard alphabet, "=" padding to a multiple
 * of four, nothing else) into out (at least len bytes); its length, -1 when s is not that.
 */
static long
Base64Decode(const char *s, size_t len, unsigned char *out)
{
	size_t		o = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4)
	{
		int			v[4];
		int			pad = 0;

		for (int k = 0; k < 4; k++)
		{
			/* "=" only at the end: the last one or two of the last group */
			if (s[i + k] == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '='))
			{
				v[k] = 0;
				pad++;
			}
			else if ((v[k] = Base64Value((unsigned char) s[i + k])) < 0)
				return -1;
		}
		out[o++] = (unsigned char) (v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char) ((v[1] & 0xF) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char) ((v[2] & 0x3) << 6 | v[3]);
	}
	return (long) o;
}

/*
 * The one reading of HTTP Basic (RFC 7617): the scheme in any case, spaces, one token68
 * of strict base64, optional trailing spaces; its plain text user-id ":" password, valid
 * UTF-8 without control characters (§2). On BASIC_OK, *plain is malloc'd (NUL-terminated;
 * the caller frees it) and *colon points at its first ':', which ends the user-id (a
 * user-id has none; a password may). The two callers (request.h) differ only in what they
 * make of the two halves.
 */
static BasicResult
BasicDecode(const char *authorization, char **plain, char **colon)
{
	const char *p = authorization;
	size_t		n;
	long		len;

	*plain = *colon = NULL;
	if (p == NULL || strncasecmp(p, "Basic", 5) != 0 ||
		(p[5] != ' ' && p[5] != '\t' && p[5] != '\0'))
		return BASIC_ABSENT;
	p += 5;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	if (p[n + strspn(p + n, " \t")] != '\0')
		return BASIC_MALFORMED;
	if ((*plain = malloc(n + 1)) == NULL)
		return BASIC_NO_MEMORY;
	len = Base64Decode(p, n, (unsigned char *) *plain);
	if (len >= 0)
	{
		(*plain)[len] = '\0';
		*colon = memchr(*plain, ':', (size_t) len);
	}
	if (len < 0 || *colon == NULL || !utf8_valid(*plain, (size_t) len))
		goto malformed;
	for (long i = 0; i < len; i++)
		if ((unsigned char) (*plain)[i] < 0x20 || (*plain)[i] == 0x7f)
			goto malformed;
	return BASIC_OK;
malformed:
	free(*plain);
	*plain = *colon = NULL;
	return BASIC_MALFORMED;
}

BasicResult
request_basic_client(const char *authorization, char **id, char **secret)
{
	char	   *plain,
			   *colon;
	long		id_len,
				secret_len;
	BasicResult result = BasicDecode(authorization, &plain, &colon);

	*id = *secret = NULL;
	if (result != BASIC_OK)
		return result;
	*id = malloc((size_t) (colon - plain) + 1);
	*secret = malloc(strlen(colon + 1) + 1);
	if (*id == NULL || *secret == NULL)
		result = BASIC_NO_MEMORY;
	else
	{
		/* RFC 6749 §2.3.1: each form-urlencoded; no NUL, percent-encoding well formed */
		id_len = Decode(plain, (size_t) (colon - plain), *id);
		secret_len = Decode(colon + 1, strlen(colon + 1), *secret);
		if (id_len < 0 || secret_len < 0 ||
			!utf8_valid(*id, (size_t) id_len) || !utf8_valid(*secret, (size_t) secret_len))
			result = BASIC_MALFORMED;
	}
	free(plain);
	if (result != BASIC_OK)
	{
		free(*id);
		free(*secret);
		*id = *secret = NULL;
	}
	return result;
}

BasicResult
request_basic_credentials(const char *authorization, char *user, size_t user_size,
						  char *password, size_t password_size)
{
	char	   *plain,
			   *colon;
	size_t		user_len,
				password_len;
	BasicResult result;

	user[0] = password[0] = '\0';
	if ((result = BasicDecode(authorization, &plain, &colon)) != BASIC_OK)
		return result;
	user_len = (size_t) (colon - plain);
	password_len = strlen(colon + 1);
	if (user_len < user_size && password_len < password_size)
	{
		memcpy(user, plain, user_len);
		user[user_len] = '\0';
		memcpy(password, colon + 1, password_len + 1);
	}
	else
		result = BASIC_MALFORMED;
	free(plain);
	return result;
}
