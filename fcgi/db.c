/*
 * db.c — the worker threads' database connections.
 *
 * Each thread owns one connection, so there is no locking. Every statement is prepared
 * once per connection, right after connecting; a request is then one prepared call.
 *
 * A broken connection, and when a call is retried. A database restart or crash ends
 * every session: the server sends each idle client a FATAL error (administrator
 * command, postmaster exit, crash of another process, idle timeout) and closes it, or
 * (SIGKILL) just closes it. So:
 *  1. Before a call, the connection is checked (db_ready): whatever arrived while it was
 *     idle is read and parsed — a FATAL arrives as a notice in the idle state, caught by
 *     OnNotice — and a connection the server closed or announced closing is replaced
 *     before anything is sent on it. Reading only the FATAL and not the close after it
 *     is not enough (libpq reports the close only on its next read).
 *  2. A call is retried once, on a fresh connection, only when the server certainly
 *     never ran it to its commit:
 *       - libpq refused to send it (PQsendQueryPrepared failed: nothing left us), or
 *       - the server's first and only answer to it is a FATAL error: the server ended
 *         the session before the call completed. A call's results are queued before
 *         its transaction commits at Sync and reach us before anything sent later, so
 *         a FATAL ahead of any result means the transaction never committed (a backend
 *         that died between the check and our query sends exactly this).
 *     Anything else that breaks the connection mid-call (it closed without a word, a
 *     crash after the query was read) may have committed: that call is answered 503
 *     and never repeated. A result that did arrive is the answer, even if the
 *     connection died after it.
 * So a restart costs at most the calls in flight at that moment.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "routes.h"

#define CHECK_TOKEN_STMT "check_token"

static atomic_bool dev_endpoints;
static atomic_bool reported_down;

bool
db_dev_endpoints(void)
{
	return atomic_load(&dev_endpoints);
}

/* Severity FATAL or PANIC: the server is ending this session. */
static bool
IsFatal(const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	return severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0);
}

/*
 * libpq hands us every notice, and an error the server sent while the connection was
 * idle (its FATAL before closing); the latter dooms the connection.
 */
static void
OnNotice(void *arg, const PGresult *res)
{
	Db		   *db = arg;

	if (IsFatal(res))
		db->doomed = true;
	else
		fprintf(stderr, "privacybee-fcgi: %s", PQresultErrorMessage(res));
}

static bool
Prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	PGresult   *res = PQprepare(conn, name, sql, nparams, NULL);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "privacybee-fcgi: cannot prepare %s: %s", name, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

static bool
PrepareAll(PGconn *conn)
{
	char		name[32];
	char		sql[256];
	PGresult   *res;

	for (size_t i = 0; i < route_count; i++)
	{
		if (routes[i].answer != ANSWER_SQL && routes[i].answer != ANSWER_SQL_BYTES)
			continue;
		snprintf(name, sizeof(name), "r%zu", i);
		snprintf(sql, sizeof(sql), routes[i].body == BODY_IMAGE
				 ? "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::bytea, $5, $6, $7)"
				 : "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::jsonb, $5, $6)",
				 routes[i].function);
		if (!Prepare(conn, name, sql, routes[i].body == BODY_IMAGE ? ROUTE_NPARAMS_MAX : ROUTE_NPARAMS))
			return false;
	}
	if (!Prepare(conn, CHECK_TOKEN_STMT, "SELECT privacybee.api_check_token($1, $2)", 2))
		return false;

	res = PQexec(conn, "SELECT pg_catalog.current_setting('privacybee.dev_endpoints', true)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "privacybee-fcgi: cannot read settings: %s", PQerrorMessage(conn));
		PQclear(res);
		return false;
	}
	atomic_store(&dev_endpoints,
				 !PQgetisnull(res, 0, 0) && (strcmp(PQgetvalue(res, 0, 0), "on") == 0 ||
											 strcmp(PQgetvalue(res, 0, 0), "true") == 0));
	PQclear(res);
	return true;
}

static bool
Connect(Db *db)
{
	db_close(db);
	db->conn = PQconnectdb(config.dsn);
	if (db->conn)
		PQsetNoticeReceiver(db->conn, OnNotice, db);
	if (PQstatus(db->conn) != CONNECTION_OK || !PrepareAll(db->conn) || db->doomed)
	{
		/* log the outage once, not once per request */
		if (!atomic_exchange(&reported_down, true))
			fprintf(stderr, "privacybee-fcgi: database unavailable: %s",
					PQerrorMessage(db->conn));
		db_close(db);
		return false;
	}
	if (atomic_exchange(&reported_down, false))
		fprintf(stderr, "privacybee-fcgi: database reachable again\n");
	return true;
}

/* Is the idle connection still good? Reads and parses whatever arrived meanwhile. */
static bool
StillAlive(Db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return false;
	/* non-blocking: takes what the socket holds; false when the server closed it */
	if (!PQconsumeInput(db->conn))
		return false;
	/* parses it: a FATAL sent while idle reaches OnNotice */
	(void) PQisBusy(db->conn);
	return !db->doomed && PQstatus(db->conn) == CONNECTION_OK;
}

bool
db_ready(Db *db)
{
	return StillAlive(db) || Connect(db);
}

/*
 * One attempt of a call. Returns its first result (the answer), or NULL with *retry
 * true when the call certainly did not commit (see the header), false otherwise.
 */
static PGresult *
Attempt(Db *db, const char *stmt, int n, const char *const *values, const int *lengths,
		const int *formats, int result_format, bool *retry)
{
	PGresult   *first = NULL;
	PGresult   *res;

	*retry = false;
	if (!PQsendQueryPrepared(db->conn, stmt, n, values, lengths, formats, result_format))
	{
		*retry = true;
		return NULL;
	}
	while ((res = PQgetResult(db->conn)) != NULL)
	{
		if (first == NULL)
			first = res;
		else
			PQclear(res);
	}
	if (PQstatus(db->conn) == CONNECTION_OK && !db->doomed)
		return first;
	/* the connection is gone: keep a result the call produced, else decide on a retry */
	if (first && PQresultStatus(first) != PGRES_FATAL_ERROR)
		return first;
	if (first && PQresultErrorField(first, PG_DIAG_SQLSTATE) && !IsFatal(first))
		return first;			/* the call's own error: it rolled back */
	*retry = first != NULL && IsFatal(first);
	PQclear(first);
	return NULL;
}

/* lengths, formats: PQexecParams's, NULL for text parameters; result_format 1: binary */
static PGresult *
Exec(Db *db, const char *stmt, int n, const char *const *values, const int *lengths,
	 const int *formats, int result_format)
{
	for (int attempt = 0; attempt < 2; attempt++)
	{
		bool		retry;
		PGresult   *res;

		if (db->conn == NULL && !Connect(db))
			return NULL;
		res = Attempt(db, stmt, n, values, lengths, formats, result_format, &retry);
		if (PQstatus(db->conn) != CONNECTION_OK || db->doomed)
			db_close(db);
		if (res != NULL || !retry)
			return res;
	}
	return NULL;
}

PGresult *
db_call_route(Db *db, size_t route, const char *const values[ROUTE_NPARAMS_MAX], int body_len)
{
	char		name[32];
	/* an image body is bytes, passed in binary as the bytea it is: never through text */
	int			lengths[ROUTE_NPARAMS_MAX] = {0, 0, 0, body_len, 0, 0, 0};
	int			formats[ROUTE_NPARAMS_MAX] = {0, 0, 0, 1, 0, 0, 0};
	bool		image = routes[route].body == BODY_IMAGE;

	snprintf(name, sizeof(name), "r%zu", route);
	return Exec(db, name, image ? ROUTE_NPARAMS_MAX : ROUTE_NPARAMS, values,
				image ? lengths : NULL, image ? formats : NULL,
				routes[route].answer == ANSWER_SQL_BYTES ? 1 : 0);
}

PGresult *
db_check_token(Db *db, const char *token, const char *scope)
{
	const char *values[2] = {token, scope};

	return Exec(db, CHECK_TOKEN_STMT, 2, values, NULL, NULL, 0);
}

void
db_close(Db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->doomed = false;
}
