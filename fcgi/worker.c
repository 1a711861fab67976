/*
 * worker.c — one worker process: config.threads threads, each accepting requests with
 * FCGX_Accept_r on the socket all workers share, and config.connections database
 * connections the threads share (db.c), so threads cost no PostgreSQL backend each.
 *
 * No lock is taken around FCGX_Accept_r: the kernel hands each connection to one
 * accept() caller, and a lock would make threads that hold nginx keepalive connections
 * wait on each other.
 *
 * A connection nginx keeps open (fastcgi_keep_conn) pins the thread that holds it until
 * nginx sends the next request on it or closes it. Only nginx closes such a connection:
 * if we closed one after a response, nginx could already be sending the next request on
 * it, and a POST would fail with 502 (nginx retries only idempotent requests). So the
 * threads of all workers must well outnumber the connections nginx keeps (keepalive x
 * worker_processes, a quarter of them at most), and nginx drops idle ones itself
 * (keepalive_timeout); see fcgi/nginx/privacybee-http.conf.in.
 *
 * Stopping: the main thread waits for SIGTERM with every signal blocked in the request
 * threads, then waits until no request is in flight and exits. A worker also exits when
 * its master dies (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "db.h"
#include "handler.h"
#include "signature.h"
#include "worker.h"

/* deep JSON is rejected by depth, but jansson's parser recurses up to 2048 levels */
#define THREAD_STACK_SIZE (8 * 1024 * 1024)
#define DRAIN_TIMEOUT_MS 30000

static atomic_int in_flight;
static atomic_bool stopping;

static void *
ThreadMain(void *arg)
{
	int			listen_fd = *(int *) arg;
	FCGX_Request req;
	Db			db = {0};

	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
	{
		fprintf(stderr, "privacybee-fcgi: FCGX_InitRequest failed\n");
		return NULL;
	}
	while (!atomic_load(&stopping))
	{
		if (FCGX_Accept_r(&req) < 0)
		{
			if (atomic_load(&stopping))
				break;
			continue;
		}
		atomic_fetch_add(&in_flight, 1);
		handle_request(&req, &db);
		FCGX_Finish_r(&req);
		atomic_fetch_sub(&in_flight, 1);
	}
	db_close(&db);
	FCGX_Free(&req, 1);
	return NULL;
}

static void
SleepMs(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void
worker_main(int listen_fd, pid_t master)
{
	sigset_t	stop_signals;
	pthread_attr_t attr;
	pthread_t  *threads = calloc((size_t) config.threads, sizeof(pthread_t));
	static int	fd;
	int			sig;
	int			waited = 0;

	/* the master may have died before prctl(): we were then reparented, maybe not to init */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		exit(0);
	fd = listen_fd;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (!signature_init())
	{
		fprintf(stderr, "privacybee-fcgi: cannot initialise OpenSSL\n");
		exit(1);
	}
	if (!db_start())
	{
		fprintf(stderr, "privacybee-fcgi: cannot set up the database connections\n");
		exit(1);
	}
	if (threads == NULL || pthread_attr_init(&attr) != 0 ||
		pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE) != 0)
	{
		fprintf(stderr, "privacybee-fcgi: cannot set up threads\n");
		exit(1);
	}
	for (int i = 0; i < config.threads; i++)
		if ((errno = pthread_create(&threads[i], &attr, ThreadMain, &fd)) != 0)
		{
			fprintf(stderr, "privacybee-fcgi: pthread_create: %s\n", strerror(errno));
			exit(1);
		}
	pthread_attr_destroy(&attr);

	while (sigwait(&stop_signals, &sig) != 0)
		;
	atomic_store(&stopping, true);
	/* in-flight requests finish; idle threads blocked in accept end with the process */
	while (atomic_load(&in_flight) > 0 && waited < DRAIN_TIMEOUT_MS)
	{
		SleepMs(10);
		waited += 10;
	}
	free(threads);
	exit(0);
}
