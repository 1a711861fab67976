/*
 * sqlstate.c — SQLSTATE → HTTP status, decided on the code alone, never on message text.
 *
 *   PTnnn         → nnn, the extension's API errors; the message is for the client
 *   23505         → 409  unique violation (e.g. an external_id another contact has)
 *   40001, 40P01  → 409  serialization failure / deadlock: the client may retry
 *   42501         → 403  insufficient privilege
 *   08xxx, 53xxx, 57P01-57P03 → 503  database unreachable, out of resources, shutting down
 *   57014         → 503  query cancelled (statement_timeout)
 *   anything else → 500, message kept for the log only
 * An error relayed by PL/Proxy (the sharded layout) keeps its SQLSTATE; its message and
 * detail are read past PL/Proxy's prefixes (sqlstate_remote_message, _detail).
 */
#include <stdlib.h>
#include <string.h>

#include "sqlstate.h"

int
sqlstate_http_status(const char *sqlstate, bool *client_message)
{
	*client_message = false;
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return 500;
	if (strncmp(sqlstate, "PT", 2) == 0)
	{
		int			status = atoi(sqlstate + 2);

		if (status >= 400 && status <= 599)
		{
			*client_message = true;
			return status;
		}
		return 500;
	}
	if (strcmp(sqlstate, "23505") == 0)
		return 409;
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
		return 409;
	if (strcmp(sqlstate, "42501") == 0)
		return 403;
	if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
		strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
		strcmp(sqlstate, "57P03") == 0 || strcmp(sqlstate, "57014") == 0)
		return 503;
	return 500;
}

const char *
sqlstate_remote_message(const char *text)
{
	static const char remote[] = "] REMOTE ERROR: ";
	const char *open;
	const char *mark;

	if (text == NULL)
		return NULL;
	/* "<name>(<digits>): [<database>" then remote: the name has no space, nor "(" */
	open = strchr(text, '(');
	if (open == NULL || open == text || memchr(text, ' ', open - text) != NULL)
		return text;
	mark = open + 1;
	while (*mark >= '0' && *mark <= '9')
		mark++;
	if (mark == open + 1 || strncmp(mark, "): [", 4) != 0)
		return text;
	mark = strstr(mark + 4, remote);
	return mark ? mark + strlen(remote) : text;
}

const char *
sqlstate_remote_detail(const char *text)
{
	static const char remote[] = "Remote detail: ";

	if (text != NULL && strncmp(text, remote, strlen(remote)) == 0)
		return text + strlen(remote);
	return text;
}
