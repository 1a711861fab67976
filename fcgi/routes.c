/*
 * routes.c — the route table, and matching a request against it.
 *
 * Adding a route is adding a line; a GET route answers HEAD too. Each function has the
 * signature (token, arg, params, body, if_match, if_none_match) → privacybee.http_response
 * (routes.h) and authenticates the token itself, so a request costs exactly one SQL call.
 */
#include <stdio.h>
#include <string.h>

#include "routes.h"

const Route routes[] = {
	{"GET", "/contacts", "api_contacts_list", "contacts:read", BODY_NONE, false, false},
	{"POST", "/contacts/sync", "api_contacts_sync", "contacts:write", BODY_JSON, false, false},
	{"GET", "/contacts/requests", "api_trust_requests_list", "contacts:read", BODY_NONE, false, false},
	{"POST", "/contacts/requests", "api_trust_request_create", "contacts:write", BODY_JSON, false, false},
	{"POST", "/contacts/trust/{id}", "api_trust_set", "contacts:write", BODY_JSON, false, false},
	{"GET", "/contacts/employees/{id}", "api_employees", "contacts:read", BODY_NONE, false, false},
	{"DELETE", "/contacts/clear/{id}", "api_contacts_clear", "contacts:write", BODY_NONE, true, false},
	{"GET", "/contacts/{id}", "api_contact_get", "contacts:read", BODY_NONE, false, false},
	{"PUT", "/contacts/{id}", "api_contact_update", "contacts:write", BODY_JSON, false, false},
	{"PATCH", "/contacts/{id}", "api_contact_update", "contacts:write", BODY_JSON, false, false},
	{"DELETE", "/contacts/{id}", "api_contact_delete", "contacts:write", BODY_NONE, false, false},
	{"GET", "/apps/buzz/trust-lookup", "api_trust_lookup", "buzz:lookup", BODY_NONE, false, true},
	{"POST", "/apps/buzz/trust-lookup", "api_trust_lookup", "buzz:lookup", BODY_JSON_OR_FORM, false, true},
	{"GET", "/apps/buzz/call-lookup", "api_call_lookup", "buzz:lookup", BODY_NONE, false, true},
	{"POST", "/apps/buzz/call-lookup", "api_call_lookup", "buzz:lookup", BODY_JSON_OR_FORM, false, true},
	{"GET", "/apps/buzz/heartbeat", "api_heartbeat", "buzz", BODY_NONE, false, false},
	{"GET", "/apps/buzz/blocked", "api_blocked", "buzz", BODY_NONE, false, false},
	{"POST", "/apps/buzz/activity", "api_activity_create", "buzz", BODY_JSON, false, false},
	{"GET", "/apps/buzz/activity/{id}", "api_activity_since", "buzz", BODY_NONE, false, false},
	{"PUT", "/apps/buzz/encryption", "api_encryption", "buzz", BODY_JSON, false, false},
	{"DELETE", "/apps/buzz/clear", "api_buzz_clear", "buzz", BODY_NONE, true, false},
};
const size_t route_count = sizeof(routes) / sizeof(routes[0]);

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

			if (n == 0 || n >= ARG_MAX_LEN)
				return false;
			memcpy(arg, s, n);
			arg[n] = '\0';
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
