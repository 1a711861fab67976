/*
 * trivial-fcgi.c — the FastCGI ceiling for make bench: answers every request with a
 * fixed small JSON body, with privacybee-fcgi's threading (FCGX_Accept_r in N threads,
 * no lock, keepalive) but no database and no parsing.
 *
 * usage: trivial-fcgi SOCKET THREADS
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fcgiapp.h>

static const char response[] =
	"Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n"
	"{\"trusted\": true, \"user_id\": 1234}";

static int	listen_fd;

static void *
Serve(void *arg)
{
	FCGX_Request req;

	(void) arg;
	FCGX_InitRequest(&req, listen_fd, 0);
	while (FCGX_Accept_r(&req) >= 0)
	{
		FCGX_PutStr(response, sizeof(response) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int			threads;
	pthread_t	t;

	if (argc != 3 || (threads = atoi(argv[2])) < 1)
	{
		fprintf(stderr, "usage: trivial-fcgi SOCKET THREADS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	FCGX_Init();
	listen_fd = FCGX_OpenSocket(argv[1], 1024);
	if (listen_fd < 0 || chmod(argv[1], 0666) != 0)
	{
		fprintf(stderr, "trivial-fcgi: cannot listen on %s\n", argv[1]);
		return 1;
	}
	for (int i = 1; i < threads; i++)
		pthread_create(&t, NULL, Serve, NULL);
	Serve(NULL);
	return 0;
}
