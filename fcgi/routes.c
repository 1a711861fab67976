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

/* Does path match pattern? Copies the {id} segment into arg. */
static bool
PathMatches(const char *pattern, const char *path, char arg[ARG_MAX_LEN])
{
	const char *p = pattern;
	const char *s = path;

	arg[0] = '\0';
	while (*p && *s)
	{
		if (strncmp(p, "{id}", 4) == 0)
		{
			size_t		n = strspn(s, "0123456789");
			size_t		zeros = 0;
			size_t		keep;

			if (n == 0)
				return false;

			/*
			 * Any run of digits is an {id}, so that the route's function answers (404
			 * naming what it looks for) however long it is: leading zeros name the same
			 * id and are dropped; past them, ARG_MAX_LEN - 1 digits are more than any id
			 * has (19), so what is kept of a longer run is no id either.
			 */
			while (zeros + 1 < n && s[zeros] == '0')
				zeros++;
			keep = n - zeros < ARG_MAX_LEN ? n - zeros : ARG_MAX_LEN - 1;
			memcpy(arg, s + zeros, keep);
			arg[keep] = '\0';
			p += 4;
			s += n;
		}
		else if (*p++ != *s++)
			return false;
	}
	return *p == '\0' && *s == '\0';
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
