/*
 * db.c — the worker threads' database connections.
 *
 * Each thread owns one connection, so there is no locking. Every statement is prepared
 * once per connection, right after connecting; a request is then one PQexecPrepared.
 * A connection the server closed while idle (restart, crash) is noticed before it is
 * used and replaced, so nothing is sent twice: a call that fails mid-flight is answered
 * 503 and never retried, since it may have committed.
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
		snprintf(name, sizeof(name), "r%zu", i);
		snprintf(sql, sizeof(sql),
				 "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::jsonb, $5, $6)",
				 routes[i].function);
		if (!Prepare(conn, name, sql, ROUTE_NPARAMS))
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

bool
db_ready(Db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
		PQconsumeInput(db->conn) && PQstatus(db->conn) == CONNECTION_OK)
		return true;
	db_close(db);

	db->conn = PQconnectdb(config.dsn);
	if (PQstatus(db->conn) != CONNECTION_OK || !PrepareAll(db->conn))
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

static PGresult *
Exec(Db *db, const char *stmt, int n, const char *const *values)
{
	PGresult   *res = PQexecPrepared(db->conn, stmt, n, values, NULL, NULL, 0);

	if (PQstatus(db->conn) != CONNECTION_OK)
	{
		PQclear(res);
		db_close(db);
		return NULL;
	}
	return res;
}

PGresult *
db_call_route(Db *db, size_t route, const char *const values[ROUTE_NPARAMS])
{
	char		name[32];

	snprintf(name, sizeof(name), "r%zu", route);
	return Exec(db, name, ROUTE_NPARAMS, values);
}

PGresult *
db_check_token(Db *db, const char *token, const char *scope)
{
	const char *values[2] = {token, scope};

	return Exec(db, CHECK_TOKEN_STMT, 2, values);
}

void
db_close(Db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
}
