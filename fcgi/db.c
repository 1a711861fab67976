/*
 * db.c — a worker's database connections: a few, shared by all its threads, pipelined.
 *
 * Why shared. A FastCGI thread is pinned to the nginx connection it serves (worker.c), so
 * a worker needs many threads; with a connection per thread that was 32 PostgreSQL
 * backends on a 2-core machine, which spent its time switching between them. Instead each
 * worker keeps config.connections connections (a handful) and every thread's call goes
 * to the one with the fewest calls in flight. Every statement is prepared once per
 * connection, right after connecting; a request is then one prepared call.
 *
 * How a call travels. The thread that has it sends it under the connection's lock, in
 * libpq's pipeline mode, as PQsendQueryPrepared + PQpipelineSync, flushed at once, and
 * waits. Calls of many threads so queue up on one connection and its backend runs them
 * back to back without waiting for us between them. One reader thread per connection
 * waits on the socket, reads the results in order and hands each call its answer.
 *
 * Error isolation. Every call is its own sync segment, hence its own implicit
 * transaction: an error aborts the pipeline only up to that call's own Sync, so it never
 * touches another call. A call counts as answered only when its Sync's reply
 * (ReadyForQuery, which the server sends after the commit) has arrived; a call's own
 * error (an SQLSTATE, not FATAL) is its answer as soon as it arrives, since it rolled
 * back.
 *
 * A broken connection, and when a call is retried. A database restart or crash ends
 * every session: the server sends each idle client a FATAL error (administrator command,
 * postmaster exit, crash of another process, idle timeout) and closes it, or (SIGKILL)
 * just closes it. So:
 *  1. The reader watches its connection all the time: a FATAL that arrives while no call
 *     is in flight (libpq hands it to OnNotice) or the close itself makes the reader
 *     drop the connection at once, and the next call connects afresh before sending.
 *  2. A call is retried once, on a fresh connection, only when the server certainly never
 *     ran it to its commit:
 *       - libpq refused to queue it or its Sync (nothing of its Sync left us), or
 *       - a FATAL error came before any answer to it — as its own first answer, after
 *         the answer of a call queued before it on the same connection, or while the
 *         connection was idle before it was sent: the server ends the session at a FATAL
 *         and runs nothing it received after the call the FATAL interrupted, and a call's
 *         results are flushed ahead of a FATAL (so a FATAL first means it produced none).
 *       But not the call a FATAL interrupted when the database is a PL/Proxy proxy (the
 *       sharded layout, docs/sharding.md): there the FATAL ends only the proxy's session.
 *       The call it interrupted may already run on a shard, in a transaction of the
 *       shard's own that PL/Proxy neither cancels nor ties to the proxy's (no two-phase
 *       commit), and commits there once it gets what it waits for. Sending it again could
 *       run it twice; so it is answered 503 like any call that may have committed. The
 *       calls queued behind it never reached a shard, and are sent again as on one
 *       database. Connect asks the database which it is.
 *     A call whose result arrived but not its Sync's reply may have committed (if the
 *     session ended between the two): it is answered 503, like every call in flight when
 *     the connection breaks any other way (it closed without a word, a crash while the
 *     server held our calls); those are never repeated.
 * So a restart costs at most the calls in flight at that moment, on the connections it
 * broke; a connection's death never fails a call queued on another.
 *
 * A hot standby (--dsn-read). The worker then keeps as many connections to it, and a
 * read-only route's call (the registry says which, routes.h read_only) goes there; every
 * other call, and a read-only one while the standby cannot be reached, goes to the
 * primary. Read-your-writes is the primary's to keep, not ours: the API's role commits
 * with synchronous_commit = remote_apply (docs/sharding.md, "Hot standby"), so a write is
 * answered only once the standby has applied it, and a read that follows sees it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "routes.h"

#define CHECK_TOKEN_STMT "check_token"

typedef enum CallState
{
	CALL_WAITING,
	CALL_ANSWERED,				/* result is the answer (a row or the call's own error) */
	CALL_RETRY,					/* certainly without effect: send again, once */
	CALL_FAILED					/* may have committed: 503, never repeated */
} CallState;

/* One call in flight on a connection; lives in the waiting thread's Db. */
typedef struct Call
{
	struct Call *next;
	PGresult   *result;			/* the first result, owned here until answered */
	CallState	state;
	bool		interrupted;	/* a FATAL came after its result, before its Sync's reply */
	pthread_cond_t *wake;		/* the waiting thread's */
} Call;

typedef struct Conn
{
	pthread_mutex_t lock;		/* guards everything below, and every use of pg */
	pthread_cond_t up;			/* pg became non-NULL (wakes the reader) */
	PGconn	   *pg;				/* NULL while not connected */
	uint64_t	generation;		/* counts connects, so the reader notices a new pg */
	bool		doomed;			/* the server sent a FATAL while nothing was in flight */
	bool		want_write;		/* output libpq could not send yet: the reader flushes */
	int			wake_fd;		/* eventfd: the reader re-reads pg and want_write */
	Call	   *head;			/* calls sent, oldest first, awaiting their answers */
	Call	   *tail;
	atomic_int	in_flight;		/* length of that list, read without the lock */
	const char *dsn;			/* the primary's, or the standby's (--dsn-read) */
	bool		runs_elsewhere; /* a PL/Proxy database: its calls run on other servers */
} Conn;

/* config.connections to the primary, then as many to the standby when there is one */
static Conn *conns;
static int	nconns;
static atomic_bool reported_standby_down;
static atomic_bool dev_endpoints;
static atomic_bool reported_down;

bool
db_dev_endpoints(void)
{
	return atomic_load(&dev_endpoints);
}

/* Severity FATAL or PANIC, sent by the server: it is ending this session. */
static bool
IsFatal(const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	return severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0);
}

/* The call's own error from the server (it rolled back), not the session's end. */
static bool
IsOwnError(const PGresult *res)
{
	return PQresultStatus(res) == PGRES_FATAL_ERROR &&
		PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL && !IsFatal(res);
}

/*
 * libpq hands us every notice, and an error the server sent while no call was in flight
 * (its FATAL before closing); the latter dooms the connection.
 */
static void
OnNotice(void *arg, const PGresult *res)
{
	Conn	   *c = arg;

	if (IsFatal(res))
		c->doomed = true;
	else
		fprintf(stderr, "privacybee-fcgi: %s", PQresultErrorMessage(res));
}

static void
WakeReader(Conn *c)
{
	uint64_t	one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "privacybee-fcgi: eventfd: %s\n", strerror(errno));
}

static bool
Prepare(PGconn *pg, const char *name, const char *sql, int nparams)
{
	PGresult   *res = PQprepare(pg, name, sql, nparams, NULL);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "privacybee-fcgi: cannot prepare %s: %s", name, PQerrorMessage(pg));
	PQclear(res);
	return ok;
}

/*
 * Does this database run its calls on other servers: is it a PL/Proxy proxy (the language
 * is installed)? 1 yes, 0 no, -1 when it could not say. Asked at every connect, so that a
 * database made a proxy (or no longer one) is seen without a restart of privacybee-fcgi.
 */
static int
RunsCallsElsewhere(PGconn *pg)
{
	PGresult   *res = PQexec(pg, "SELECT EXISTS (SELECT FROM pg_catalog.pg_language "
							 "WHERE lanname = 'plproxy')");
	int			answer = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		answer = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	else
		fprintf(stderr, "privacybee-fcgi: cannot tell whether the database is a proxy: %s",
				PQerrorMessage(pg));
	PQclear(res);
	return answer;
}

static bool
PrepareAll(PGconn *pg)
{
	char		name[32];
	char		sql[512];
	PGresult   *res;

	for (size_t i = 0; i < route_count; i++)
	{
		if (routes[i].answer != ANSWER_SQL && routes[i].answer != ANSWER_SQL_BYTES)
			continue;
		snprintf(name, sizeof(name), "r%zu", i);
		/*
		 * an image's or a multipart body's file is bytes (bytea, with its media type), a
		 * vCard body text (the extension parses it), an XML body its JSON tree
		 */
		snprintf(sql, sizeof(sql), BODY_IS_BYTES(routes[i].body)
				 ? "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::bytea, $5, $6, $7)"
				 : routes[i].body == BODY_VCARD
				 ? "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::text, $5, $6)"
				 : "SELECT status, headers, body FROM privacybee.%s($1, $2, $3::jsonb, $4::jsonb, $5, $6)",
				 routes[i].function);
		if (!Prepare(pg, name, sql, BODY_IS_BYTES(routes[i].body) ? ROUTE_NPARAMS_MAX : ROUTE_NPARAMS))
			return false;
		if (strcmp(routes[i].method, "GET") != 0)
			continue;

		/*
		 * HEAD of a GET route: the same call in a read-only transaction, so that HEAD is
		 * safe (RFC 9110 §9.2.1) whatever the function would write for a GET (the blocked
		 * call trust-lookup logs, the number heartbeat assigns): a write fails with 25006
		 * instead of happening, and a function that writes on GET skips its write when
		 * transaction_read_only is on. The token's argument is a subquery, which runs
		 * before the function does: the call stays one prepared statement.
		 */
		snprintf(name, sizeof(name), "h%zu", i);
		snprintf(sql, sizeof(sql),
				 "SELECT status, headers, body FROM privacybee.%s("
				 "(SELECT $1::text FROM pg_catalog.set_config('transaction_read_only', 'on', true)), "
				 "$2, $3::jsonb, $4::jsonb, $5, $6)",
				 routes[i].function);
		if (!Prepare(pg, name, sql, ROUTE_NPARAMS))
			return false;
	}
	if (!Prepare(pg, CHECK_TOKEN_STMT, "SELECT privacybee.api_check_token($1, $2)", 2))
		return false;

	res = PQexec(pg, "SELECT pg_catalog.current_setting('privacybee.dev_endpoints', true)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "privacybee-fcgi: cannot read settings: %s", PQerrorMessage(pg));
		PQclear(res);
		return false;
	}
	atomic_store(&dev_endpoints,
				 !PQgetisnull(res, 0, 0) && (strcmp(PQgetvalue(res, 0, 0), "on") == 0 ||
											 strcmp(PQgetvalue(res, 0, 0), "true") == 0));
	PQclear(res);
	return true;
}

/* Hand call k its fate and wake its thread. */
static void
Settle(Call *k, CallState state)
{
	if (state != CALL_ANSWERED)
	{
		PQclear(k->result);
		k->result = NULL;
	}
	k->state = state;
	pthread_cond_signal(k->wake);
}

/* The head call is answered: off the list. */
static void
Pop(Conn *c, CallState state)
{
	Call	   *k = c->head;

	c->head = k->next;
	if (c->head == NULL)
		c->tail = NULL;
	atomic_fetch_sub(&c->in_flight, 1);
	Settle(k, state);
}

/*
 * The connection is broken (or doomed): settle every call in flight by the rules of the
 * header, oldest first, then close it. Lock held.
 */
static void
Drop(Conn *c)
{
	bool		fatal = c->doomed;	/* a FATAL came before the call at the head */

	while (c->head)
	{
		Call	   *k = c->head;

		if (k->result && IsOwnError(k->result))
			Pop(c, CALL_ANSWERED);
		else if (k->result && IsFatal(k->result))
		{
			/* interrupted: rolled back here, but maybe not where a proxy sent it */
			fatal = true;
			Pop(c, c->runs_elsewhere ? CALL_FAILED : CALL_RETRY);
		}
		else if (k->interrupted)
		{
			fatal = true;
			Pop(c, CALL_FAILED);
		}
		else
			Pop(c, fatal ? CALL_RETRY : CALL_FAILED);
	}
	PQfinish(c->pg);
	c->pg = NULL;
	c->doomed = false;
	c->want_write = false;
	WakeReader(c);
}

/* A fresh connection, prepared and in pipeline mode; false when unreachable. Lock held. */
static bool
Connect(Conn *c)
{
	PGconn	   *pg = PQconnectdb(c->dsn);
	int			elsewhere = -1;

	c->doomed = false;
	if (pg)
		PQsetNoticeReceiver(pg, OnNotice, c);
	if (PQstatus(pg) != CONNECTION_OK || (elsewhere = RunsCallsElsewhere(pg)) < 0 ||
		!PrepareAll(pg) || c->doomed ||
		!PQenterPipelineMode(pg) || PQsetnonblocking(pg, 1) != 0)
	{
		/* log the outage once, not once per request */
		if (!atomic_exchange(c->dsn == config.dsn ? &reported_down : &reported_standby_down, true))
			fprintf(stderr, "privacybee-fcgi: %s unavailable: %s",
					c->dsn == config.dsn ? "database" : "standby (--dsn-read)", PQerrorMessage(pg));
		PQfinish(pg);
		c->doomed = false;
		return false;
	}
	if (atomic_exchange(c->dsn == config.dsn ? &reported_down : &reported_standby_down, false))
		fprintf(stderr, "privacybee-fcgi: %s reachable again\n",
				c->dsn == config.dsn ? "database" : "standby (--dsn-read)");
	c->pg = pg;
	c->runs_elsewhere = elsewhere;
	c->generation++;
	pthread_cond_signal(&c->up);
	WakeReader(c);
	return true;
}

/* Everything that arrived: answers to the calls in order. Lock held. */
static void
ReadResults(Conn *c)
{
	int			nulls = 0;

	if (!PQconsumeInput(c->pg))
	{
		Drop(c);
		return;
	}
	/* parses it: a FATAL sent while nothing was in flight reaches OnNotice */
	(void) PQisBusy(c->pg);
	while (c->head && !PQisBusy(c->pg))
	{
		PGresult   *res = PQgetResult(c->pg);

		if (res == NULL)
		{
			/* the end of one call's results; twice in a row: nothing more yet */
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			/* its Sync's reply: committed, or rolled back by its own error */
			Pop(c, c->head->result ? CALL_ANSWERED : CALL_FAILED);
		}
		else if (c->head->result == NULL)
		{
			c->head->result = res;
			if (IsFatal(res))
				break;			/* the server is ending the session */
		}
		else
		{
			c->head->interrupted = IsFatal(res);
			PQclear(res);
			if (c->head->interrupted)
				break;
		}
	}
	if (PQstatus(c->pg) != CONNECTION_OK || c->doomed ||
		(c->head && ((c->head->result && IsFatal(c->head->result)) || c->head->interrupted)))
		Drop(c);
}

/* One connection's reader: waits on its socket, reads, flushes what is left to send. */
static void *
Reader(void *arg)
{
	Conn	   *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;)
	{
		struct pollfd fds[2];
		uint64_t	generation,
					count;

		while (c->pg == NULL)
			pthread_cond_wait(&c->up, &c->lock);
		generation = c->generation;
		fds[0] = (struct pollfd)
		{
			.fd = PQsocket(c->pg), .events = POLLIN | (c->want_write ? POLLOUT : 0)
		};
		fds[1] = (struct pollfd)
		{
			.fd = c->wake_fd, .events = POLLIN
		};
		pthread_mutex_unlock(&c->lock);
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			fprintf(stderr, "privacybee-fcgi: poll: %s\n", strerror(errno));
		if (fds[1].revents & POLLIN)
			(void) read(c->wake_fd, &count, sizeof(count));
		pthread_mutex_lock(&c->lock);
		if (c->pg == NULL || c->generation != generation)
			continue;			/* dropped or replaced meanwhile */
		if (c->want_write)
		{
			int			left = PQflush(c->pg);

			c->want_write = left == 1;
			if (left < 0)
			{
				Drop(c);
				continue;
			}
		}
		if (fds[0].revents)
			ReadResults(c);
	}
	return NULL;
}

bool
db_start(void)
{
	pthread_attr_t attr;

	nconns = config.connections;
	conns = calloc((size_t) nconns * (config.dsn_read ? 2 : 1), sizeof(Conn));
	if (conns == NULL || pthread_attr_init(&attr) != 0 ||
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0)
		return false;
	for (int i = 0; i < nconns * (config.dsn_read ? 2 : 1); i++)
	{
		Conn	   *c = &conns[i];
		pthread_t	t;

		c->dsn = i < nconns ? config.dsn : config.dsn_read;
		c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (c->wake_fd < 0 || pthread_mutex_init(&c->lock, NULL) != 0 ||
			pthread_cond_init(&c->up, NULL) != 0 ||
			pthread_create(&t, &attr, Reader, c) != 0)
			return false;
	}
	pthread_attr_destroy(&attr);
	return true;
}

/*
 * The connection with the fewest calls in flight (a thread's own turn breaks ties), to
 * the standby when standby (there is one), else to the primary.
 */
static Conn *
Pick(Db *db, bool standby)
{
	Conn	   *pool = standby ? conns + nconns : conns;
	Conn	   *best = &pool[db->turn++ % (unsigned) nconns];

	for (int i = 0; i < nconns; i++)
		if (atomic_load(&pool[i].in_flight) < atomic_load(&best->in_flight))
			best = &pool[i];
	return best;
}

static void
ThreadInit(Db *db)
{
	if (!db->started)
	{
		pthread_cond_init(&db->wake, NULL);
		db->turn = (unsigned) (uintptr_t) db / 64;
		db->started = true;
	}
}

bool
db_ready(Db *db)
{
	Conn	   *c;
	bool		ok;

	ThreadInit(db);
	c = Pick(db, false);
	pthread_mutex_lock(&c->lock);
	ok = c->pg != NULL || Connect(c);
	pthread_mutex_unlock(&c->lock);
	return ok;
}

/* lengths, formats: PQexecParams's, NULL for text parameters; result_format 1: binary */
static PGresult *
Exec(Db *db, const char *stmt, int n, const char *const *values, const int *lengths,
	 const int *formats, int result_format, bool standby)
{
	Call		k = {.wake = &db->wake};

	ThreadInit(db);
	for (int attempt = 0; attempt < 2; attempt++)
	{
		Conn	   *c = Pick(db, standby);

		pthread_mutex_lock(&c->lock);
		if (c->pg && (c->doomed || PQstatus(c->pg) != CONNECTION_OK))
			Drop(c);
		if (c->pg == NULL && !Connect(c))
		{
			pthread_mutex_unlock(&c->lock);
			if (!standby)
				return NULL;
			/* a read the standby cannot serve now: the primary serves it */
			standby = false;
			attempt--;
			continue;
		}
		if (!PQsendQueryPrepared(c->pg, stmt, n, values, lengths, formats, result_format) ||
			!PQpipelineSync(c->pg))
		{
			/* nothing of our Sync reached the server: the others' fate, then ours */
			Drop(c);
			pthread_mutex_unlock(&c->lock);
			continue;
		}
		k.next = NULL;
		k.result = NULL;
		k.state = CALL_WAITING;
		k.interrupted = false;
		if (c->tail)
			c->tail->next = &k;
		else
			c->head = &k;
		c->tail = &k;
		atomic_fetch_add(&c->in_flight, 1);
		switch (PQflush(c->pg))
		{
			case 0:
				break;
			case 1:
				c->want_write = true;
				WakeReader(c);
				break;
			default:
				Drop(c);
				break;
		}
		while (k.state == CALL_WAITING)
			pthread_cond_wait(&db->wake, &c->lock);
		pthread_mutex_unlock(&c->lock);
		if (k.state != CALL_RETRY)
			return k.result;	/* NULL when it failed */
	}
	return NULL;
}

PGresult *
db_call_route(Db *db, size_t route, bool head, const char *const values[ROUTE_NPARAMS_MAX],
			  int body_len)
{
	char		name[32];

	/* an image body is bytes, passed in binary as the bytea it is: never through text */
	int			lengths[ROUTE_NPARAMS_MAX] = {0, 0, 0, body_len, 0, 0, 0};
	int			formats[ROUTE_NPARAMS_MAX] = {0, 0, 0, 1, 0, 0, 0};
	bool		image = BODY_IS_BYTES(routes[route].body);

	snprintf(name, sizeof(name), head && strcmp(routes[route].method, "GET") == 0 ? "h%zu" : "r%zu",
			 route);
	return Exec(db, name, image ? ROUTE_NPARAMS_MAX : ROUTE_NPARAMS, values,
				image ? lengths : NULL, image ? formats : NULL,
				routes[route].answer == ANSWER_SQL_BYTES ? 1 : 0,
				config.dsn_read != NULL && routes[route].read_only);
}

PGresult *
db_check_token(Db *db, const char *token, const char *scope)
{
	const char *values[2] = {token, scope};

	return Exec(db, CHECK_TOKEN_STMT, 2, values, NULL, NULL, 0, false);
}

void
db_close(Db *db)
{
	if (db->started)
		pthread_cond_destroy(&db->wake);
	db->started = false;
}
