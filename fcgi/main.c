/*
 * main.c — privacybee-fcgi's master process.
 *
 * It opens the FastCGI socket (mode 0660, nginx's group: Debian's libfcgi 2.4.2 aborts
 * a process on some crafted records, so only nginx may talk to it), forks the worker
 * processes that share it, and restarts any worker that dies, at once — so one abort
 * never drops the service. SIGTERM / SIGINT stop the workers (each finishes its
 * in-flight requests) and then the master, which removes its socket file and pid file
 * if they are still its own (RemoveOwnFiles). With systemd socket activation
 * (LISTEN_FDS=1) the socket comes from systemd instead.
 *
 * usage: privacybee-fcgi --dsn CONNINFO [--socket PATH] [OPTION]...  (--help lists them)
 * Options are parsed with getopt_long: --name VALUE and --name=VALUE both work. --help
 * and --version print to stdout and exit 0; a usage error prints the usage to stderr
 * and exits 2. The version is privacybee.control's default_version, passed in by the
 * Makefile as PRIVACYBEE_VERSION, so the extension and the front-end report one number.
 *
 * With --delivery-dsn it also runs the webhook delivery process (delivery.c), restarted at
 * once like a worker: one per --delivery-dsn given (the option repeats), since a process
 * delivers one database's outbox and a sharded layout has one outbox per shard.
 *
 * With --twilio-auth-token-file the telephony routes answer only requests that carry a
 * valid X-Twilio-Signature (signature.c). The token is read from a file so that it shows
 * in no process list.
 */
#include <errno.h>
#include <getopt.h>
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
#include "delivery.h"
#include "worker.h"
#include "xml.h"

#define MAX_WORKERS 64
#define SD_LISTEN_FDS_START 3

Config		config;				/* defaults, then the command line: ParseArgs */

static volatile sig_atomic_t stop_requested;
static pid_t workers[MAX_WORKERS];
static pid_t delivery[DELIVERY_MAX_DSNS];	/* the delivery process of each
												 * config.delivery_dsns[i], 0: none */
static struct stat bound_socket;	/* the socket file we made (st_ino 0: none) */

static void
OnStopSignal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

#ifndef PRIVACYBEE_VERSION
#error "PRIVACYBEE_VERSION must be defined (the Makefile passes privacybee.control's version)"
#endif

/* Each option's default is config's initial value and its range is here: one home each,
 * which the help text prints. */
#define MAX_THREADS 1024
#define MAX_CONNECTIONS 1024
#define MAX_BACKLOG 65535
#define MAX_BODY_LIMIT (64L * 1024 * 1024)
#define MAX_JSON_DEPTH 1000

static const Config defaults = {
	.workers = 2,
	.threads = 64,
	.connections = 4,
	.backlog = 1024,
	.body_limit = 1024 * 1024,
	.json_depth = 32,
	.delivery_threads = 4,
};

static void
PrintUsage(FILE *out)
{
	fprintf(out,
			"usage: privacybee-fcgi --dsn CONNINFO [--socket PATH] [OPTION]...\n"
			"The privacybee FastCGI front-end: one prepared SQL function call per request.\n"
			"\n"
			"  --dsn CONNINFO              libpq connection string (required)\n"
			"  --dsn-read CONNINFO         a hot standby of it: the read-only routes are served\n"
			"                              there (the primary when it cannot be reached)\n"
			"  --socket PATH               FastCGI unix socket to listen on (mode 0660);\n"
			"                              not needed under systemd socket activation\n"
			"  --socket-group GROUP        group allowed to connect (nginx's, e.g. www-data)\n"
			"  --workers N                 worker processes, 1-%d (default %d)\n"
			"  --threads N                 threads per worker, 1-%d (default %d)\n"
			"  --connections N             database connections per worker, shared by its\n"
			"                              threads, calls pipelined, 1-%d (default %d)\n"
			"  --backlog N                 listen backlog, 1-%d (default %d)\n"
			"  --body-limit BYTES          larger request bodies are 413, 1-%ld (default %zu)\n"
			"  --json-depth N              deeper JSON bodies are 400, 1-%d (default %d); an\n"
			"                              XML body's elements too (at most 64)\n"
			"  --pid-file FILE             write the master's pid there\n"
			"  --twilio-auth-token-file F  telephony routes require a valid X-Twilio-Signature,\n"
			"                              checked with the token on F's first line\n"
			"  --public-url URL            http(s)://host[:port] the provider calls (signatures\n"
			"                              cover the full URL); default: the request's own\n"
			"  --delivery-dsn CONNINFO     run a webhook delivery process, connecting so (a role\n"
			"                              given privacybee.grant_delivery()); repeat it for one\n"
			"                              process per database (each shard); empty: none\n"
			"  --delivery-threads N        its senders, one connection each (and one listening),\n"
			"                              1-%d (default %d)\n"
			"  -h, --help                  print this help and exit\n"
			"  -V, --version               print the version and exit\n",
			MAX_WORKERS, defaults.workers, MAX_THREADS, defaults.threads,
			MAX_CONNECTIONS, defaults.connections,
			MAX_BACKLOG, defaults.backlog, MAX_BODY_LIMIT, defaults.body_limit,
			MAX_JSON_DEPTH, defaults.json_depth, DELIVERY_MAX_THREADS, defaults.delivery_threads);
}

/* A usage error: the usage on stderr, exit 2 (what getopt-style programs do). */
static void
Usage(void)
{
	PrintUsage(stderr);
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

enum
{
	OPT_SOCKET = 256, OPT_SOCKET_GROUP, OPT_PID_FILE, OPT_DSN, OPT_DSN_READ, OPT_WORKERS, OPT_THREADS,
	OPT_CONNECTIONS, OPT_BACKLOG, OPT_BODY_LIMIT, OPT_JSON_DEPTH, OPT_TWILIO_TOKEN_FILE, OPT_PUBLIC_URL,
	OPT_DELIVERY_DSN, OPT_DELIVERY_THREADS, OPT_HELP, OPT_VERSION
};

static const struct option long_options[] = {
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
	{"pid-file", required_argument, NULL, OPT_PID_FILE},
	{"dsn", required_argument, NULL, OPT_DSN},
	{"dsn-read", required_argument, NULL, OPT_DSN_READ},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"backlog", required_argument, NULL, OPT_BACKLOG},
	{"body-limit", required_argument, NULL, OPT_BODY_LIMIT},
	{"json-depth", required_argument, NULL, OPT_JSON_DEPTH},
	{"twilio-auth-token-file", required_argument, NULL, OPT_TWILIO_TOKEN_FILE},
	{"public-url", required_argument, NULL, OPT_PUBLIC_URL},
	{"delivery-dsn", required_argument, NULL, OPT_DELIVERY_DSN},
	{"delivery-threads", required_argument, NULL, OPT_DELIVERY_THREADS},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}
};

static void
ParseArgs(int argc, char **argv)
{
	int			opt;

	config = defaults;
	/* getopt_long prints what was wrong before we print the usage */
	while ((opt = getopt_long(argc, argv, "hV", long_options, NULL)) != -1)
	{
		switch (opt)
		{
			case OPT_SOCKET:
				config.socket_path = optarg;
				break;
			case OPT_SOCKET_GROUP:
				config.socket_group = optarg;
				break;
			case OPT_PID_FILE:
				config.pid_file = optarg;
				break;
			case OPT_DSN:
				config.dsn = optarg;
				break;
			case OPT_DSN_READ:
				config.dsn_read = optarg;
				break;
			case OPT_WORKERS:
				config.workers = (int) NumberArg("--workers", optarg, 1, MAX_WORKERS);
				break;
			case OPT_THREADS:
				config.threads = (int) NumberArg("--threads", optarg, 1, MAX_THREADS);
				break;
			case OPT_CONNECTIONS:
				config.connections = (int) NumberArg("--connections", optarg, 1, MAX_CONNECTIONS);
				break;
			case OPT_BACKLOG:
				config.backlog = (int) NumberArg("--backlog", optarg, 1, MAX_BACKLOG);
				break;
			case OPT_BODY_LIMIT:
				config.body_limit = (size_t) NumberArg("--body-limit", optarg, 1, MAX_BODY_LIMIT);
				break;
			case OPT_JSON_DEPTH:
				config.json_depth = (int) NumberArg("--json-depth", optarg, 1, MAX_JSON_DEPTH);
				break;
			case OPT_TWILIO_TOKEN_FILE:
				ReadProviderSecret(optarg);
				break;
			case OPT_PUBLIC_URL:
				if (strncmp(optarg, "https://", 8) != 0 && strncmp(optarg, "http://", 7) != 0)
				{
					fprintf(stderr, "privacybee-fcgi: --public-url must start with http:// or https://\n");
					exit(2);
				}
				config.public_url = optarg;
				break;
			case OPT_DELIVERY_DSN:
				if (optarg[0] == '\0')
					break;		/* empty: none (a service file's unset variable) */
				if (config.delivery_dsn_count == DELIVERY_MAX_DSNS)
				{
					fprintf(stderr, "privacybee-fcgi: at most %d --delivery-dsn\n", DELIVERY_MAX_DSNS);
					exit(2);
				}
				config.delivery_dsns[config.delivery_dsn_count++] = optarg;
				break;
			case OPT_DELIVERY_THREADS:
				config.delivery_threads = (int) NumberArg("--delivery-threads", optarg, 1,
														  DELIVERY_MAX_THREADS);
				break;
			case 'h':
			case OPT_HELP:
				PrintUsage(stdout);
				exit(fflush(stdout) == 0 ? 0 : 1);
			case 'V':
			case OPT_VERSION:
				printf("privacybee-fcgi %s\n", PRIVACYBEE_VERSION);
				exit(fflush(stdout) == 0 ? 0 : 1);
			default:
				Usage();
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "privacybee-fcgi: unexpected argument '%s'\n", argv[optind]);
		Usage();
	}
	if (config.dsn == NULL)
	{
		fprintf(stderr, "privacybee-fcgi: --dsn is required\n");
		Usage();
	}
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
	{
		fprintf(stderr, "privacybee-fcgi: --socket is required unless systemd passes the socket\n");
		Usage();
	}

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
	if (stat(config.socket_path, &bound_socket) != 0)
	{
		fprintf(stderr, "privacybee-fcgi: stat %s: %s\n", config.socket_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static pid_t
StartWorker(int listen_fd)
{
	pid_t		master = getpid();
	pid_t		pid = fork();

	if (pid == 0)
	{
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		worker_main(listen_fd, master);
	}
	if (pid < 0)
		fprintf(stderr, "privacybee-fcgi: fork: %s\n", strerror(errno));
	return pid;
}

/* The webhook delivery process: the FastCGI socket is the workers' alone. */
static pid_t
StartDelivery(int listen_fd, const char *dsn)
{
	pid_t		master = getpid();
	pid_t		pid = fork();

	if (pid == 0)
	{
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		close(listen_fd);
		delivery_main(master, dsn);
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

/*
 * On the way out, remove the socket file and the pid file only while they are still
 * ours. A master that takes long to stop (its workers drain in-flight requests) may
 * already have a successor, started by a supervisor or stack.sh, that unlinked our socket
 * to bind its own and rewrote the pid file: removing those by name would leave the new
 * master running but unreachable (nginx: 502) and unknown to stack.sh.
 */
static void
RemoveOwnFiles(void)
{
	struct stat now;

	if (bound_socket.st_ino != 0 && stat(config.socket_path, &now) == 0 &&
		now.st_dev == bound_socket.st_dev && now.st_ino == bound_socket.st_ino)
		unlink(config.socket_path);
	if (config.pid_file)
	{
		FILE	   *f = fopen(config.pid_file, "r");
		long		pid = 0;

		if (f != NULL)
		{
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid == (long) getpid())
			unlink(config.pid_file);
	}
}

/* Restart dead workers (and the delivery process) until asked to stop. */
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
		for (int i = 0; i < config.delivery_dsn_count; i++)
			if (delivery[i] == pid)
			{
				delivery[i] = 0;
				if (stop_requested)
					break;
				fprintf(stderr, "privacybee-fcgi: delivery process %ld %s %d, restarting\n", (long) pid,
						WIFSIGNALED(status) ? "killed by signal" : "exited with",
						WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				delivery[i] = StartDelivery(listen_fd, config.delivery_dsns[i]);
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
	for (int i = 0; i < config.delivery_dsn_count; i++)
		if (delivery[i] > 0)
			kill(delivery[i], SIGTERM);
	for (int i = 0; i < config.workers; i++)
		if (workers[i] > 0)
			waitpid(workers[i], NULL, 0);
	for (int i = 0; i < config.delivery_dsn_count; i++)
		if (delivery[i] > 0)
			waitpid(delivery[i], NULL, 0);
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
	xml_init();					/* libxml2's globals, before any worker's threads */

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = OnStopSignal;	/* no SA_RESTART: waitpid returns on a signal */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (int i = 0; i < config.workers; i++)
		workers[i] = StartWorker(listen_fd);
	for (int i = 0; i < config.delivery_dsn_count; i++)
		delivery[i] = StartDelivery(listen_fd, config.delivery_dsns[i]);
	WritePidFile();
	fprintf(stderr, "privacybee-fcgi: %d workers x %d threads x %d connections on %s\n",
			config.workers, config.threads, config.connections,
			config.socket_path ? config.socket_path : "(systemd socket)");

	Supervise(listen_fd);
	StopWorkers();
	RemoveOwnFiles();
	fprintf(stderr, "privacybee-fcgi: stopped\n");
	return 0;
}
