/*
 * main.c — privacybee-fcgi's master process.
 *
 * It opens the FastCGI socket (mode 0660, nginx's group: Debian's libfcgi 2.4.2 aborts
 * a process on some crafted records, so only nginx may talk to it), forks the worker
 * processes that share it, and restarts any worker that dies, at once — so one abort
 * never drops the service. SIGTERM / SIGINT stop the workers (each finishes its
 * in-flight requests) and then the master. With systemd socket activation
 * (LISTEN_FDS=1) the socket comes from systemd instead.
 *
 * usage: privacybee-fcgi --socket PATH --dsn CONNINFO [--socket-group G]
 *        [--workers N] [--threads N] [--connections N] [--pid-file F] [--body-limit BYTES]
 *        [--json-depth N] [--backlog N]
 *        [--twilio-auth-token-file FILE] [--public-url SCHEME://HOST[:PORT]]
 *
 * With --twilio-auth-token-file the telephony routes answer only requests that carry a
 * valid X-Twilio-Signature (signature.c). The token is read from a file so that it shows
 * in no process list.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "worker.h"

#define MAX_WORKERS 64
#define SD_LISTEN_FDS_START 3

Config		config = {
	.workers = 2,
	.threads = 64,
	.connections = 4,
	.backlog = 1024,
	.body_limit = 1024 * 1024,
	.json_depth = 32,
};

static volatile sig_atomic_t stop_requested;
static pid_t workers[MAX_WORKERS];

static void
OnStopSignal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

static void
Usage(void)
{
	fprintf(stderr,
			"usage: privacybee-fcgi --socket PATH --dsn CONNINFO [--socket-group GROUP]\n"
			"       [--workers N] [--threads N] [--connections N] [--pid-file FILE]\n"
			"       [--body-limit BYTES] [--json-depth N] [--backlog N]\n"
			"       [--twilio-auth-token-file FILE] [--public-url SCHEME://HOST[:PORT]]\n");
	exit(2);
}

static long
NumberArg(const char *name, const char *value, long min, long max)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0' || end == value || v < min || v > max)
	{
		fprintf(stderr, "privacybee-fcgi: %s must be a number from %ld to %ld\n", name, min, max);
		exit(2);
	}
	return v;
}

/* The provider's auth token: the file's first line, which must not be empty. */
static void
ReadProviderSecret(const char *path)
{
	char		buf[512];
	FILE	   *f = fopen(path, "r");
	size_t		n;

	if (f == NULL)
	{
		fprintf(stderr, "privacybee-fcgi: cannot read %s\n", path);
		exit(2);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == sizeof(buf))
	{
		fprintf(stderr, "privacybee-fcgi: %s is too long for an auth token\n", path);
		exit(2);
	}
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	if (n == 0)
	{
		fprintf(stderr, "privacybee-fcgi: %s holds no auth token\n", path);
		exit(2);
	}
	config.provider_secret = strndup(buf, n);
	if (config.provider_secret == NULL)
	{
		fprintf(stderr, "privacybee-fcgi: out of memory\n");
		exit(1);
	}
	config.provider_secret_len = n;
}

static void
ParseArgs(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			Usage();
		if (strcmp(a, "--socket") == 0)
			config.socket_path = v;
		else if (strcmp(a, "--socket-group") == 0)
			config.socket_group = v;
		else if (strcmp(a, "--pid-file") == 0)
			config.pid_file = v;
		else if (strcmp(a, "--dsn") == 0)
			config.dsn = v;
		else if (strcmp(a, "--workers") == 0)
			config.workers = (int) NumberArg(a, v, 1, MAX_WORKERS);
		else if (strcmp(a, "--threads") == 0)
			config.threads = (int) NumberArg(a, v, 1, 1024);
		else if (strcmp(a, "--connections") == 0)
			config.connections = (int) NumberArg(a, v, 1, 1024);
		else if (strcmp(a, "--backlog") == 0)
			config.backlog = (int) NumberArg(a, v, 1, 65535);
		else if (strcmp(a, "--body-limit") == 0)
			config.body_limit = (size_t) NumberArg(a, v, 1, 64L * 1024 * 1024);
		else if (strcmp(a, "--json-depth") == 0)
			config.json_depth = (int) NumberArg(a, v, 1, 1000);
		else if (strcmp(a, "--twilio-auth-token-file") == 0)
			ReadProviderSecret(v);
		else if (strcmp(a, "--public-url") == 0)
		{
			if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
			{
				fprintf(stderr, "privacybee-fcgi: --public-url must start with http:// or https://\n");
				exit(2);
			}
			config.public_url = v;
		}
		else
			Usage();
		i++;
	}
	if (config.dsn == NULL)
		Usage();
}

static int
OpenSocket(void)
{
	const char *listen_pid = getenv("LISTEN_PID");
	const char *listen_fds = getenv("LISTEN_FDS");
	int			fd;

	if (listen_pid && listen_fds && atol(listen_pid) == (long) getpid() &&
		strcmp(listen_fds, "1") == 0)
		return SD_LISTEN_FDS_START;
	if (config.socket_path == NULL)
		Usage();

	fd = FCGX_OpenSocket(config.socket_path, config.backlog);
	if (fd < 0)
	{
		fprintf(stderr, "privacybee-fcgi: cannot listen on %s\n", config.socket_path);
		exit(1);
	}
	if (config.socket_group)
	{
		struct group *g = getgrnam(config.socket_group);

		if (g == NULL || chown(config.socket_path, (uid_t) -1, g->gr_gid) != 0)
		{
			fprintf(stderr, "privacybee-fcgi: cannot give %s to group %s\n",
					config.socket_path, config.socket_group);
			exit(1);
		}
	}
	if (chmod(config.socket_path, 0660) != 0)
	{
		fprintf(stderr, "privacybee-fcgi: chmod %s: %s\n", config.socket_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static pid_t
StartWorker(int listen_fd)
{
	pid_t		pid = fork();

	if (pid == 0)
	{
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		worker_main(listen_fd);
	}
	if (pid < 0)
		fprintf(stderr, "privacybee-fcgi: fork: %s\n", strerror(errno));
	return pid;
}

static void
WritePidFile(void)
{
	FILE	   *f;

	if (config.pid_file == NULL)
		return;
	f = fopen(config.pid_file, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long) getpid()) < 0 || fclose(f) != 0)
	{
		fprintf(stderr, "privacybee-fcgi: cannot write %s\n", config.pid_file);
		exit(1);
	}
}

/* Restart dead workers until asked to stop. */
static void
Supervise(int listen_fd)
{
	while (!stop_requested)
	{
		int			status;
		pid_t		pid = waitpid(-1, &status, 0);

		if (pid < 0)
		{
			if (errno != EINTR)
				sleep(1);
			continue;
		}
		for (int i = 0; i < config.workers; i++)
			if (workers[i] == pid)
			{
				workers[i] = 0;
				if (stop_requested)
					break;
				fprintf(stderr, "privacybee-fcgi: worker %ld %s %d, restarting\n", (long) pid,
						WIFSIGNALED(status) ? "killed by signal" : "exited with",
						WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				workers[i] = StartWorker(listen_fd);
			}
	}
}

static void
StopWorkers(void)
{
	for (int i = 0; i < config.workers; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	for (int i = 0; i < config.workers; i++)
		if (workers[i] > 0)
			waitpid(workers[i], NULL, 0);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	int			listen_fd;

	ParseArgs(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
	{
		fprintf(stderr, "privacybee-fcgi: FCGX_Init failed\n");
		return 1;
	}
	listen_fd = OpenSocket();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = OnStopSignal;	/* no SA_RESTART: waitpid returns on a signal */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (int i = 0; i < config.workers; i++)
		workers[i] = StartWorker(listen_fd);
	WritePidFile();
	fprintf(stderr, "privacybee-fcgi: %d workers x %d threads x %d connections on %s\n",
			config.workers, config.threads, config.connections,
			config.socket_path ? config.socket_path : "(systemd socket)");

	Supervise(listen_fd);
	StopWorkers();
	if (config.socket_path && getenv("LISTEN_FDS") == NULL)
		unlink(config.socket_path);
	if (config.pid_file)
		unlink(config.pid_file);
	fprintf(stderr, "privacybee-fcgi: stopped\n");
	return 0;
}
