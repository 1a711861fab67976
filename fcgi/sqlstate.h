/*
 * sqlstate.h — the one mapping from a PostgreSQL error to an HTTP answer.
 */
#ifndef PBF_SQLSTATE_H
#define PBF_SQLSTATE_H

#include <stdbool.h>

/* What a client is told of a database condition (sqlstate.c's table). */
typedef struct SqlAnswer
{
	const char *prefix;			/* a SQLSTATE, or its class (two characters) */
	int			status;
	const char *message;		/* for the client; says whether a retry can help */
	bool		retry_after;	/* with Retry-After: 1 */
} SqlAnswer;

/*
 * The answer to an error of sqlstate (NULL or malformed: internal), with its status in
 * *status. NULL for the extension's own PTnnn errors: their message and details are
 * written for the client, and *status is nnn.
 */
extern const SqlAnswer *sqlstate_answer(const char *sqlstate, int *status);

/*
 * An error's message or detail as the function that raised it wrote it: when it came
 * through the PL/Proxy proxy of the sharded layout (docs/sharding.md), PL/Proxy relays
 * the shard's error with its SQLSTATE but prefixes its message with
 * "<function>(<args>): [<database>] REMOTE ERROR: " and its detail with "Remote detail: ".
 * Returns a pointer into text (NULL for NULL).
 */
extern const char *sqlstate_remote_message(const char *text);
extern const char *sqlstate_remote_detail(const char *text);

#endif
