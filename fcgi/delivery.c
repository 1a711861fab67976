/*
 * delivery.c — the webhook delivery process (SPEC §11, docs/webhooks.md).
 *
 * A child of the master like the workers (main.c starts one per --delivery-dsn, each
 * delivering one database's outbox — a shard's, in the sharded layout of docs/sharding.md —
 * and restarts it at once when it dies). It holds no business rule: which events form a
 * batch, when a batch is due, the backoff, giving up and the signature are the
 * database's (sql/logic/70_webhooks.sql). Its connections are the delivery role's, which
 * may call the four webhook_delivery_* functions and nothing else. One listener thread
 * LISTENs and cuts due events into batches (webhook_delivery_form(), which also says
 * when the next batch window closes or retry falls due), then wakes the senders; each
 * of --delivery-threads senders loops:
 *
 *   BEGIN
 *   webhook_delivery_claim()     one due batch, FOR UPDATE SKIP LOCKED, signed
 *   POST it (libcurl)
 *   webhook_delivery_record()    delivered, or due again after a backoff
 *   COMMIT
 *
 * until nothing is claimable, then sleeps until the listener wakes it.
 *
 * The lease on a batch is its row lock, held by the open transaction while the batch is
 * posted: if this process dies (kill -9) or PostgreSQL does, the transaction ends, the
 * lock goes, and the batch is due again for whoever asks next — delivered at least
 * once, with the same eventIds; an attempt cut short so is not recorded. A webhook has
 * one batch in flight at most (the database forms its next one only after), so batches
 * arrive in order.
 *
 * Stopping (SIGTERM, SIGINT, or the master's death, which PR_SET_PDEATHSIG turns into a
 * SIGTERM): every wait of every thread ends on the stop pipe, so the process exits at once
 * whatever it is blocked in — a connection attempt or a statement against a database that
 * accepts but never answers (libpq is driven non-blocking: PQconnectPoll, PQsendQuery,
 * polled with the stop pipe), the listener's sleep, a sender's sleep (woken), or a post
 * (libcurl's progress callback aborts it; libcurl calls it at least once a second). A post
 * cut short is not recorded: its transaction ends with the connection, and the batch is due
 * again for the next delivery process — at least once, as after a kill -9.
 *
 * Safety of the post: https only (http too while privacybee.webhooks_allow_loopback is
 * on, and then only to loopback); the address each connection is about to use is checked
 * at connect time (CURLOPT_OPENSOCKETFUNCTION), after DNS, so a name re-pointed at an
 * internal address (DNS rebinding) is refused like an internal address written in the
 * URL: no private, loopback, link-local (cloud metadata), multicast or reserved address;
 * no redirect followed; no proxy from the environment; 10 s for the whole exchange; at
 * most 64 KiB of the answer read.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "config.h"
#include "delivery.h"

#define POST_TIMEOUT_MS 10000		/* SPEC §11: a batch not answered in 10 s failed */
#define MAX_ANSWER_BYTES (64 * 1024)	/* read at most this much of an answer */
#define EXCERPT_BYTES 200			/* of a failing answer's body, kept in its error */

/* closed by the main thread on SIGTERM / SIGINT: every thread's poll wakes */
static int	stop_pipe[2] = {-1, -1};
static atomic_bool stopping;
static atomic_bool reported_down;

/* ---- where a webhook may connect ---------------------------------------------------- */

typedef struct Range
{
	uint8_t		prefix[16];
	int			bits;
	const char *what;			/* NULL: judge the IPv4 address embedded in its last 4
								 * bytes (mapped, NAT64) */
} Range;

/* IANA's special-purpose registries (RFC 6890 and successors), what is not the Internet */
static const Range v4_denied[] = {
	{{0}, 8, "a 'this network' address"},
	{{10}, 8, "a private address"},
	{{100, 64}, 10, "a shared (carrier-grade NAT) address"},
	{{127}, 8, "a loopback address"},
	{{169, 254}, 16, "a link-local address (cloud metadata)"},
	{{172, 16}, 12, "a private address"},
	{{192, 0, 0}, 24, "an IETF protocol address"},
	{{192, 0, 2}, 24, "a documentation address"},
	{{192, 88, 99}, 24, "a 6to4 relay address"},
	{{192, 168}, 16, "a private address"},
	{{198, 18}, 15, "a benchmarking address"},
	{{198, 51, 100}, 24, "a documentation address"},
	{{203, 0, 113}, 24, "a documentation address"},
	{{224}, 4, "a multicast address"},
	{{240}, 4, "a reserved address"},
};

static const Range v6_denied[] = {
	{{0}, 128, "the unspecified address"},
	{{[15] = 1}, 128, "a loopback address"},
	{{[10] = 0xff, [11] = 0xff}, 96, NULL},	/* ::ffff:a.b.c.d */
	{{0x00, 0x64, 0xff, 0x9b}, 96, NULL},	/* 64:ff9b::a.b.c.d, NAT64 */
	{{0}, 96, "an IPv4-compatible address"},
	{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "a local NAT64 address"},
	{{0x01}, 64, "a discard address"},
	{{0x20, 0x01, 0x00, 0x00}, 32, "a Teredo address"},
	{{0x20, 0x01, 0x0d, 0xb8}, 32, "a documentation address"},
	{{0x20, 0x02}, 16, "a 6to4 address"},
	{{0xfc}, 7, "a unique local (private) address"},
	{{0xfe, 0x80}, 10, "a link-local address"},
	{{0xfe, 0xc0}, 10, "a site-local address"},
	{{0xff}, 8, "a multicast address"},
};

static bool
InPrefix(const uint8_t *addr, const Range *r)
{
	int			full = r->bits / 8;
	int			rest = r->bits % 8;

	if (memcmp(addr, r->prefix, full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ r->prefix[full]) & (0xff << (8 - rest))) == 0;
}

static const char *
V4Refusal(const uint8_t *a, bool allow_loopback, bool *loopback)
{
	*loopback = a[0] == 127;
	for (size_t i = 0; i < sizeof(v4_denied) / sizeof(v4_denied[0]); i++)
		if (InPrefix(a, &v4_denied[i]))
			return *loopback && allow_loopback ? NULL : v4_denied[i].what;
	return NULL;
}

/*
 * Why a webhook may not connect to addr, or NULL when it may. Loopback only with
 * allow_loopback; plain http only to loopback (then allowed).
 */
static const char *
Refusal(const struct sockaddr *addr, bool allow_loopback, bool http)
{
	const char *why = NULL;
	bool		loopback = false;

	if (addr->sa_family == AF_INET)
		why = V4Refusal((const uint8_t *) &((const struct sockaddr_in *) addr)->sin_addr,
						allow_loopback, &loopback);
	else if (addr->sa_family == AF_INET6)
	{
		const uint8_t *a = ((const struct sockaddr_in6 *) addr)->sin6_addr.s6_addr;

		for (size_t i = 0; i < sizeof(v6_denied) / sizeof(v6_denied[0]); i++)
			if (InPrefix(a, &v6_denied[i]))
			{
				if (v6_denied[i].what == NULL)
					why = V4Refusal(a + 12, allow_loopback, &loopback);
				else
				{
					loopback = i == 1;
					why = loopback && allow_loopback ? NULL : v6_denied[i].what;
				}
				break;
			}
	}
	else
		why = "not an internet address";
	if (why == NULL && http && !loopback)
		why = "not loopback, and http is allowed only to loopback";
	return why;
}

/* ---- one post --------------------------------------------------------------------- */

typedef struct Transfer
{
	bool		allow_loopback;
	bool		http;
	char		refused[160];	/* why a connection was refused; "" when none was */
	size_t		answer_bytes;
	bool		answer_capped;
	char		excerpt[EXCERPT_BYTES + 1];
	size_t		excerpt_len;
} Transfer;

/* Every socket libcurl is about to connect: refuse what Refusal() refuses. */
static curl_socket_t
OnOpenSocket(void *arg, curlsocktype purpose, struct curl_sockaddr *address)
{
	Transfer   *t = arg;
	const char *why = Refusal(&address->addr, t->allow_loopback, t->http);

	(void) purpose;
	if (why != NULL)
	{
		char		host[INET6_ADDRSTRLEN] = "?";
		const void *bytes = address->family == AF_INET6
			? (const void *) &((struct sockaddr_in6 *) &address->addr)->sin6_addr
			: (const void *) &((struct sockaddr_in *) &address->addr)->sin_addr;

		if (address->family == AF_INET || address->family == AF_INET6)
			inet_ntop(address->family, bytes, host, sizeof(host));
		snprintf(t->refused, sizeof(t->refused), "refused to connect to %s: %s", host, why);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

/* The answer's body: counted, its start kept for the error; beyond the cap, abort. */
static size_t
OnAnswer(char *data, size_t size, size_t nmemb, void *arg)
{
	Transfer   *t = arg;
	size_t		n = size * nmemb;

	if (t->answer_bytes + n > MAX_ANSWER_BYTES)
	{
		t->answer_capped = true;
		return 0;
	}
	t->answer_bytes += n;
	/* printable ASCII only: it is stored as text, and read by people */
	for (size_t i = 0; i < n && t->excerpt_len < EXCERPT_BYTES; i++)
		t->excerpt[t->excerpt_len++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : ' ';
	t->excerpt[t->excerpt_len] = '\0';
	return n;
}

typedef struct Outcome
{
	long		http_status;	/* 0: no answer */
	long		duration_ms;
	char		error[512];		/* "" when a 2xx answered */
} Outcome;

static long
MonotonicMs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Progress of a post: non-zero aborts it, when the process is stopping. */
static int
OnProgress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void) arg, (void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
	return atomic_load(&stopping) ? 1 : 0;
}

static void
Post(CURL *curl, const char *url, const char *body, const char *signature, bool allow_loopback,
	 Outcome *out)
{
	Transfer	t = {.allow_loopback = allow_loopback, .http = strncasecmp(url, "http://", 7) == 0};
	char		curl_error[CURL_ERROR_SIZE] = "";
	char		signature_header[256];
	struct curl_slist *headers = NULL;
	struct curl_slist *more;
	CURLcode	rc;
	long		started;

	memset(out, 0, sizeof(*out));
	snprintf(signature_header, sizeof(signature_header), "X-Privacybee-Signature: %s", signature);
	curl_easy_reset(curl);		/* keeps its live connections and DNS cache */
	/* "Expect:" drops libcurl's Expect: 100-continue, a round trip for nothing */
	for (const char *const *h = (const char *const[]) {"Content-Type: application/json",
		 signature_header, "Expect:", NULL}; *h; h++)
	{
		if ((more = curl_slist_append(headers, *h)) == NULL)
		{
			snprintf(out->error, sizeof(out->error), "out of memory");
			curl_slist_free_all(headers);
			return;
		}
		headers = more;
	}
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, allow_loopback ? "http,https" : "https") != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_PROXY, "") != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) POST_TIMEOUT_MS) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_POST, 1L) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body)) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "privacybee-webhooks/" PRIVACYBEE_VERSION) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &t) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnAnswer) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress) != CURLE_OK ||
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK)
	{
		snprintf(out->error, sizeof(out->error), "libcurl refused an option");
		curl_slist_free_all(headers);
		return;
	}
	started = MonotonicMs();
	rc = curl_easy_perform(curl);
	out->duration_ms = MonotonicMs() - started;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->http_status);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);

	if (out->http_status >= 200 && out->http_status <= 299)
		return;					/* delivered (an answer over the cap is not read) */
	if (t.refused[0])
		snprintf(out->error, sizeof(out->error), "%s", t.refused);
	else if (out->http_status != 0)
		snprintf(out->error, sizeof(out->error), "the receiver answered %ld%s%s", out->http_status,
				 t.excerpt_len ? ": " : "", t.excerpt);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(out->error, sizeof(out->error), "no answer within %d s", POST_TIMEOUT_MS / 1000);
	else
		snprintf(out->error, sizeof(out->error), "%s", curl_error[0] ? curl_error : curl_easy_strerror(rc));
	out->http_status = out->http_status > 0 ? out->http_status : 0;
}

/* ---- the database side -------------------------------------------------------------- */

/*
 * Threads. One listener holds a connection that LISTENs and calls
 * webhook_delivery_form(): it cuts batches when told of a change, when a batch window
 * closes or a retry falls due (the function says when), and when a sender has finished
 * an attempt (the webhook may now have its next batch cut); then it wakes the senders.
 * The senders (--delivery-threads) each hold a connection and claim, post and record
 * batches until none is claimable, then sleep until woken. Cutting batches is one
 * statement over every webhook with queued events, so it runs in one thread and at most
 * every FORM_INTERVAL_MS, however many changes are announced.
 */
#define FORM_INTERVAL_MS 50			/* the most often every batch is looked at */
#define BACKSTOP_MS 1000			/* the longest the listener sleeps, told nothing:
									 * a wake-up missed by a race costs at most this */
#define IN_FLIGHT_RECHECK_MS 100	/* a due batch no sender could claim is being
									 * posted: look again this often */
#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 2000

static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cond = PTHREAD_COND_INITIALIZER;
static unsigned long work_generation;	/* bumped when batches may be claimable */
static int	kick_pipe[2] = {-1, -1};	/* a sender finished an attempt: cut again */
static const char *delivery_dsn;	/* the database this process delivers for */

typedef struct Conn
{
	PGconn	   *conn;
	int			reconnect_ms;	/* the next wait before reconnecting */
} Conn;

static bool
Ok(PGconn *conn, PGresult *res, ExecStatusType want)
{
	if (res != NULL && PQresultStatus(res) == want)
		return true;
	if (atomic_load(&stopping))
		return false;			/* cut short on purpose: nothing to report */
	if (res != NULL && PQresultStatus(res) != PGRES_FATAL_ERROR)
		fprintf(stderr, "privacybee-fcgi: delivery: unexpected result %s\n",
				PQresStatus(PQresultStatus(res)));
	else
		fprintf(stderr, "privacybee-fcgi: delivery: %s",
				res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	return false;
}

static void
Disconnect(Conn *c)
{
	if (c->conn)
		PQfinish(c->conn);
	c->conn = NULL;
}

static long
NowMs(void)
{
	return MonotonicMs();
}

/* Waits up to ms for one of fds to be readable, or for the stop pipe. */
static void
WaitFds(const int *fds, int n, long ms)
{
	struct pollfd p[3] = {{.fd = stop_pipe[0], .events = POLLIN}};

	for (int i = 0; i < n && i < 2; i++)
		p[i + 1] = (struct pollfd) {.fd = fds[i], .events = POLLIN};
	if (ms < 0)
		ms = 0;
	if (poll(p, n + 1, (int) ms) < 0 && errno != EINTR)
		fprintf(stderr, "privacybee-fcgi: delivery: poll: %s\n", strerror(errno));
}

/*
 * Waits, without a time limit, until the database's socket is ready for events (POLLIN,
 * POLLOUT): true then, false when the process is stopping. A database that accepted the
 * connection but never answers (a stopped or dying postmaster, a hung backend) so holds a
 * thread only until SIGTERM, never past it.
 */
static bool
WaitSocket(int fd, short events)
{
	struct pollfd p[2] = {{.fd = stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = events}};

	while (!atomic_load(&stopping))
	{
		if (poll(p, 2, -1) < 0)
		{
			if (errno == EINTR)
				continue;
			fprintf(stderr, "privacybee-fcgi: delivery: poll: %s\n", strerror(errno));
			return false;
		}
		if (p[0].revents)
			return false;
		if (p[1].revents)
			return true;
	}
	return false;
}

/*
 * PQexecParams, but interruptible by the stop pipe: the statement is sent and its result
 * awaited non-blocking. NULL when the process is stopping or the connection failed (the
 * caller then drops the connection; an open transaction ends with it).
 */
static PGresult *
Exec(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult   *last = NULL;
	PGresult   *res;
	int			flushed;

	if (!PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0))
		return NULL;
	while ((flushed = PQflush(conn)) == 1)
		if (!WaitSocket(PQsocket(conn), POLLIN | POLLOUT) || !PQconsumeInput(conn))
			return NULL;
	if (flushed < 0)
		return NULL;
	while (PQisBusy(conn))
		if (!WaitSocket(PQsocket(conn), POLLIN) || !PQconsumeInput(conn))
			return NULL;
	/* one statement: its result, then NULL (a failure may come as a second result) */
	while ((res = PQgetResult(conn)) != NULL)
	{
		PQclear(last);
		last = res;
	}
	return last;
}

/* A statement whose result we do not read; false when it failed. */
static bool
Command(PGconn *conn, const char *sql, ExecStatusType want)
{
	PGresult   *res = Exec(conn, sql, 0, NULL);
	bool		ok = Ok(conn, res, want);

	PQclear(res);
	return ok;
}

/*
 * Connects non-blocking (PQconnectStart / PQconnectPoll, each wait also on the stop pipe),
 * so that no connection attempt outlives SIGTERM. True when connected.
 */
static bool
ConnectNow(Conn *c)
{
	PostgresPollingStatusType polling = PGRES_POLLING_WRITING;

	c->conn = PQconnectStart(delivery_dsn);
	if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD)
		return false;
	while (polling != PGRES_POLLING_OK)
	{
		if (polling == PGRES_POLLING_FAILED ||
			!WaitSocket(PQsocket(c->conn), polling == PGRES_POLLING_READING ? POLLIN : POLLOUT))
			return false;
		polling = PQconnectPoll(c->conn);
	}
	/* PQflush then never blocks: Exec waits on the socket itself */
	return PQsetnonblocking(c->conn, 1) == 0;
}

/* Connects (listen: and LISTENs), or waits before the next try; false when not connected. */
static bool
Connect(Conn *c, bool listen)
{
	if (c->conn)
		return true;
	if (ConnectNow(c) &&
		(!listen || Command(c->conn, "SELECT privacybee.webhook_delivery_listen()", PGRES_TUPLES_OK)))
	{
		if (atomic_exchange(&reported_down, false))
			fprintf(stderr, "privacybee-fcgi: delivery: database reachable again\n");
		c->reconnect_ms = RECONNECT_MIN_MS;
		return true;
	}
	if (!atomic_load(&stopping) && !atomic_exchange(&reported_down, true))
		fprintf(stderr, "privacybee-fcgi: delivery: database unavailable: %s",
				c->conn ? PQerrorMessage(c->conn) : "out of memory\n");
	Disconnect(c);
	WaitFds(NULL, 0, c->reconnect_ms);
	c->reconnect_ms = c->reconnect_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : c->reconnect_ms * 2;
	return false;
}

/* Discards the notifications received so far; true when there was one. */
static bool
DrainNotifications(PGconn *conn)
{
	PGnotify   *n;
	bool		any = false;

	PQconsumeInput(conn);
	while ((n = PQnotifies(conn)) != NULL)
	{
		any = true;
		PQfreemem(n);
	}
	return any;
}

static void
DrainKicks(void)
{
	char		buf[64];

	while (read(kick_pipe[0], buf, sizeof(buf)) > 0)
		;
}

static void
WakeSenders(void)
{
	pthread_mutex_lock(&work_lock);
	work_generation++;
	pthread_cond_broadcast(&work_cond);
	pthread_mutex_unlock(&work_lock);
}

/* webhook_delivery_form(): batches cut; *due_ms until the next falls due (-1: none). */
static bool
Form(PGconn *conn, long *due_ms)
{
	PGresult   *res = Exec(conn, "SELECT privacybee.webhook_delivery_form()", 0, NULL);
	bool		ok = Ok(conn, res, PGRES_TUPLES_OK) && PQntuples(res) == 1;

	if (ok)
		*due_ms = PQgetisnull(res, 0, 0) ? -1 : (long) (strtod(PQgetvalue(res, 0, 0), NULL) * 1000.0);
	PQclear(res);
	return ok;
}

static void *
ListenerMain(void *arg)
{
	Conn		c = {.reconnect_ms = RECONNECT_MIN_MS};
	long		due_ms;
	long		formed_at;

	(void) arg;
	while (!atomic_load(&stopping))
	{
		int			fds[2];

		if (!Connect(&c, true))
			continue;
		/* what was announced so far is what form() is about to see */
		DrainNotifications(c.conn);
		DrainKicks();
		formed_at = NowMs();
		if (!Form(c.conn, &due_ms))
		{
			Disconnect(&c);
			continue;
		}
		if (due_ms == 0)
			WakeSenders();
		/*
		 * Sleep until told of a change or an attempt, or until the next falls due. A
		 * notification that came while form() ran was read into libpq's buffer with its
		 * result, so poll() would not see it: it may announce a change form() did not see
		 * (committed after its snapshot), so it means look again, not sleep.
		 */
		fds[0] = PQsocket(c.conn);
		fds[1] = kick_pipe[0];
		if (!DrainNotifications(c.conn))
			WaitFds(fds, 2, due_ms < 0 || due_ms > BACKSTOP_MS ? BACKSTOP_MS
					: due_ms == 0 ? IN_FLIGHT_RECHECK_MS : due_ms);
		/* however often told, cut at most every FORM_INTERVAL_MS */
		if (NowMs() - formed_at < FORM_INTERVAL_MS)
			WaitFds(NULL, 0, FORM_INTERVAL_MS - (NowMs() - formed_at));
		if (PQstatus(c.conn) != CONNECTION_OK)
			Disconnect(&c);
	}
	Disconnect(&c);
	return NULL;
}

/*
 * Claims one due batch, posts it and records the outcome, in one transaction. 1: a batch
 * was attempted; 0: none was due; -1: the connection failed (the batch, if any, is due
 * again since its transaction ended with the connection).
 */
static int
DeliverOne(PGconn *conn, CURL *curl)
{
	PGresult   *claim;
	Outcome		out;
	char		status[16];
	char		duration[24];
	const char *params[6];
	PGresult   *res;
	bool		ok;

	if (!Command(conn, "BEGIN", PGRES_COMMAND_OK))
		return -1;
	claim = Exec(conn, "SELECT user_id, webhook_id, batch_id, url, body, signature, allow_loopback "
				 "FROM privacybee.webhook_delivery_claim()", 0, NULL);
	if (!Ok(conn, claim, PGRES_TUPLES_OK))
	{
		PQclear(claim);
		return -1;
	}
	if (PQntuples(claim) == 0)
	{
		PQclear(claim);
		return Command(conn, "ROLLBACK", PGRES_COMMAND_OK) ? 0 : -1;
	}
	Post(curl, PQgetvalue(claim, 0, 3), PQgetvalue(claim, 0, 4), PQgetvalue(claim, 0, 5),
		 strcmp(PQgetvalue(claim, 0, 6), "t") == 0, &out);
	snprintf(status, sizeof(status), "%ld", out.http_status);
	snprintf(duration, sizeof(duration), "%ld", out.duration_ms);
	params[0] = PQgetvalue(claim, 0, 0);
	params[1] = PQgetvalue(claim, 0, 1);
	params[2] = PQgetvalue(claim, 0, 2);
	params[3] = out.http_status ? status : NULL;
	params[4] = duration;
	params[5] = out.error[0] ? out.error : NULL;
	res = Exec(conn, "SELECT privacybee.webhook_delivery_record($1, $2, $3, $4, $5, $6)", 6, params);
	ok = Ok(conn, res, PGRES_TUPLES_OK);
	PQclear(res);
	PQclear(claim);
	if (!ok || !Command(conn, "COMMIT", PGRES_COMMAND_OK))
		return -1;
	return 1;
}

static void *
SenderMain(void *arg)
{
	Conn		c = {.reconnect_ms = RECONNECT_MIN_MS};
	CURL	   *curl = curl_easy_init();
	unsigned long seen;

	(void) arg;
	if (curl == NULL)
	{
		fprintf(stderr, "privacybee-fcgi: delivery: curl_easy_init failed\n");
		exit(1);
	}
	while (!atomic_load(&stopping))
	{
		int			r;

		if (!Connect(&c, false))
			continue;
		pthread_mutex_lock(&work_lock);
		seen = work_generation;
		pthread_mutex_unlock(&work_lock);
		if ((r = DeliverOne(c.conn, curl)) < 0)
		{
			Disconnect(&c);
			continue;
		}
		if (r == 1)
		{
			/* the webhook's next batch may be cut now, and the retry's time is new */
			if (write(kick_pipe[1], "k", 1) < 0 && errno != EAGAIN)
				fprintf(stderr, "privacybee-fcgi: delivery: kick: %s\n", strerror(errno));
			continue;
		}
		/* nothing claimable: sleep until the listener says otherwise */
		pthread_mutex_lock(&work_lock);
		if (seen == work_generation && !atomic_load(&stopping))
		{
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += BACKSTOP_MS / 1000;
			pthread_cond_timedwait(&work_cond, &work_lock, &until);
		}
		pthread_mutex_unlock(&work_lock);
	}
	Disconnect(&c);
	curl_easy_cleanup(curl);
	return NULL;
}

void
delivery_main(pid_t master, const char *dsn)
{
	sigset_t	stop_signals;
	pthread_t	threads[DELIVERY_MAX_THREADS + 1];
	int			n = config.delivery_threads + 1;
	int			sig;

	delivery_dsn = dsn;

	/*
	 * The master's death becomes a SIGTERM; it may have died before prctl(), and then we
	 * were reparented — to init or to any subreaper, so compare with the master itself.
	 */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		exit(0);
	prctl(PR_SET_NAME, DELIVERY_PROCESS_NAME);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (pipe(stop_pipe) != 0 || pipe2(kick_pipe, O_NONBLOCK) != 0 ||
		curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		fprintf(stderr, "privacybee-fcgi: delivery: cannot start\n");
		exit(1);
	}
	for (int i = 0; i < n; i++)
		if ((errno = pthread_create(&threads[i], NULL, i == 0 ? ListenerMain : SenderMain, NULL)) != 0)
		{
			fprintf(stderr, "privacybee-fcgi: delivery: pthread_create: %s\n", strerror(errno));
			exit(1);
		}
	while (sigwait(&stop_signals, &sig) != 0)
		;
	/* every thread's wait ends (a post in flight is cut short, unrecorded) */
	atomic_store(&stopping, true);
	close(stop_pipe[1]);
	WakeSenders();
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	curl_global_cleanup();
	exit(0);
}
