/*
 * sqlstate.h — the one mapping from a PostgreSQL error to an HTTP status.
 */
#ifndef PBF_SQLSTATE_H
#define PBF_SQLSTATE_H

#include <stdbool.h>

/*
 * HTTP status for sqlstate. *client_message is true when the error's own message is
 * written for API clients (and may be shown), false when it is internal.
 */
extern int	sqlstate_http_status(const char *sqlstate, bool *client_message);

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
