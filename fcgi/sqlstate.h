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

#endif
