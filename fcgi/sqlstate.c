/*
 * sqlstate.c — SQLSTATE → HTTP answer, decided on the code alone, never on message text.
 *
 * The extension's own errors are PTnnn (nnn the status, the message and details written
 * for the client). Any other SQLSTATE a request can raise is a condition of the database
 * that validation did not name; it still gets a status that says whose move it is and a
 * message that says what happened and whether to retry — never the database's own text,
 * which stays in the log. Only what is left (a defect of ours: 42xxx, XX000, P0001 …) is a
 * 500. The table is read first match first, so a code comes before its class.
 *
 * An error relayed by PL/Proxy (the sharded layout) keeps its SQLSTATE; its message and
 * detail are read past PL/Proxy's prefixes (sqlstate_remote_message, _detail).
 */
#include <stdlib.h>
#include <string.h>

#include "sqlstate.h"

static const SqlAnswer answers[] = {
	/* the database is not there, or not for long: come back */
	{"08", 503, "database unavailable, retry shortly", 1},
	{"57P01", 503, "database shutting down, retry shortly", 1},
	{"57P02", 503, "database shutting down, retry shortly", 1},
	{"57P03", 503, "database starting up, retry shortly", 1},
	{"57014", 503, "the request took too long and was cancelled, retry later", 1},
	{"53", 503, "the database is out of resources, retry shortly", 1},
	{"55P03", 503, "a row the request needs is locked, retry shortly", 1},
	{"58", 503, "the database cannot reach its storage, retry later", 1},
	/* a standby, or a transaction that must not write */
	{"25006", 503, "the database is read-only right now, retry later", 1},
	/* two requests raced: the one that lost may simply try again */
	{"40001", 409, "conflict with a concurrent request, retry", 0},
	{"40P01", 409, "conflict with a concurrent request, retry", 0},
	/* an id sequence ran out: no retry helps until an operator acts */
	{"2200H", 503, "no more ids can be given out here; an operator must act", 0},
	/* a value the database refused that validation let through */
	{"22", 400, "a value is out of the range the database accepts", 0},
	{"54000", 413, "a value is too large for the database to store", 0},
	{"54", 400, "the request is too complex for the database", 0},
	/* the current state forbids it: a unique value taken, a row removed meanwhile */
	{"23505", 409, "a value that must be unique is taken; refetch", 0},
	{"23", 409, "conflict with the current state; refetch", 0},
	{"42501", 403, "forbidden", 0},
};

static const SqlAnswer internal = {"", 500, "internal error", 0};

const SqlAnswer *
sqlstate_answer(const char *sqlstate, int *status)
{
	*status = 500;
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return &internal;
	if (strncmp(sqlstate, "PT", 2) == 0)
	{
		int			nnn = atoi(sqlstate + 2);

		if (nnn >= 400 && nnn <= 599)
		{
			*status = nnn;
			return NULL;
		}
		return &internal;
	}
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strncmp(sqlstate, answers[i].prefix, strlen(answers[i].prefix)) == 0)
		{
			*status = answers[i].status;
			return &answers[i];
		}
	return &internal;
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
