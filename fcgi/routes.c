/*
 * routes.c — matching a request against the route table (route_table.c, generated from
 * the route registry api/routes: adding a route is a line there and its SQL function).
 *
 * A GET route answers HEAD too. Each function has the signature (token, arg, params,
 * body, if_match, if_none_match) → privacybee.http_response (routes.h) and authenticates
 * the token itself, so a request costs exactly one SQL call.
 */
#include <stdio.h>
#include <string.h>

#include "routes.h"

/* Append a placeholder's segment s (n bytes) to arg, "/" between two. */
static bool
ArgAppend(char arg[ARG_MAX_LEN], size_t *used, const char *s, size_t n)
{
	size_t		sep = *used ? 1 : 0;

	if (*used + sep + n >= ARG_MAX_LEN)
		return false;
	if (sep)
		arg[(*used)++] = '/';
	memcpy(arg + *used, s, n);
	*used += n;
	arg[*used] = '\0';
	return true;
}

/*
 * Does path match pattern? Copies the placeholders' segments into arg: {id} one of
 * decimal digits, {name} any one segment of at most NAME_MAX_LEN bytes without control
 * characters. A pattern's final "/" may be absent from the path.
 */
static bool
PathMatches(const char *pattern, const char *path, char arg[ARG_MAX_LEN])
{
	const char *p = pattern;
	const char *s = path;
	size_t		used = 0;

	arg[0] = '\0';
	while (*p && *s)
	{
		if (strncmp(p, "{id}", 4) == 0)
		{
			size_t		n = strspn(s, "0123456789");

			if (n == 0 || !ArgAppend(arg, &used, s, n))
				return false;
			p += 4;
			s += n;
		}
		else if (strncmp(p, "{name}", 6) == 0)
		{
			size_t		n = strcspn(s, "/");

			if (n == 0 || n > NAME_MAX_LEN || !ArgAppend(arg, &used, s, n))
				return false;
			for (size_t i = 0; i < n; i++)
				if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
					return false;
			p += 6;
			s += n;
		}
		else if (*p++ != *s++)
			return false;
	}
	return *s == '\0' && (*p == '\0' || (p[0] == '/' && p[1] == '\0' && p != pattern));
}

MatchResult
route_match(const char *method, const char *path, bool dev_enabled, size_t *route,
			char arg[ARG_MAX_LEN], char *allow, size_t allow_size)
{
	char		candidate_arg[ARG_MAX_LEN];
	bool		path_known = false;
	size_t		used = 0;

	allow[0] = '\0';
	for (size_t i = 0; i < route_count; i++)
	{
		const Route *r = &routes[i];

		if ((r->dev_only && !dev_enabled) || !PathMatches(r->pattern, path, candidate_arg))
			continue;
		/* a literal segment ("requests") outranks {id}: first match in table order wins */
		if (path_known && strcmp(r->pattern, routes[*route].pattern) != 0)
			continue;
		if (!path_known)
			*route = i;
		path_known = true;
		/* HEAD is answered wherever GET is (RFC 9110 §9.3.2), by the GET route */
		if (strcmp(r->method, method) == 0 ||
			(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
		{
			*route = i;
			memcpy(arg, candidate_arg, ARG_MAX_LEN);
			return MATCH_OK;
		}
		if (used < allow_size)
			used += snprintf(allow + used, allow_size - used, "%s%s%s",
							 used ? ", " : "", r->method,
							 strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
	}
	return path_known ? MATCH_NO_METHOD : MATCH_NO_PATH;
}
