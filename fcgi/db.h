/*
 * db.h — a worker's few libpq connections, shared by its threads and pipelined, with
 * every route's call prepared (db.c says how and why).
 */
#ifndef PBF_DB_H
#define PBF_DB_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "routes.h"

#include <pthread.h>

/* A thread's handle on its worker's connections: where it waits for its answers. */
typedef struct Db
{
	pthread_cond_t wake;
	unsigned	turn;			/* which connection it tries first */
	bool		started;
} Db;

/* Open nothing yet, but start one reader thread per connection (config.connections). */
extern bool db_start(void);

/* Whether the dev-only routes exist, as the database said at the last connect. */
extern bool db_dev_endpoints(void);

/*
 * Make sure a live, prepared connection is there for db's next call, connecting if the
 * server closed it, or said it would, while it was idle. False when the database cannot
 * be reached (answer 503). db must stay at one address while it is used.
 */
extern bool db_ready(Db *db);

/*
 * Run route's prepared call with its parameters (routes.h; NULL = SQL NULL), as many as
 * the route's function takes; a BODY_IMAGE or BODY_MULTIPART route's fourth, the body, is
 * body_len bytes passed in binary (BODY_IS_BYTES). head: a HEAD request, run read-only
 * (db.c). An ANSWER_SQL_BYTES route's result is in binary (status a network-
 * order int4, headers the text's bytes, body the bytes). Returns the result (the caller
 * PQclear()s it) or NULL when the connection failed (answer 503). A call the server
 * certainly did not run to its commit is retried once on a fresh connection (db.c says
 * when).
 */
extern PGresult *db_call_route(Db *db, size_t route, bool head,
							   const char *const values[ROUTE_NPARAMS_MAX], int body_len);

/* The prepared api_check_token(token, scope) call; same contract. */
extern PGresult *db_check_token(Db *db, const char *token, const char *scope);

/* The thread is done with db. */
extern void db_close(Db *db);

#endif
