/*
 * config.h — privacybee-fcgi's settings, from its command line (see main.c).
 */
#ifndef PBF_CONFIG_H
#define PBF_CONFIG_H

#include <stddef.h>

typedef struct Config
{
	const char *socket_path;	/* unix socket nginx connects to */
	const char *socket_group;	/* group given access (mode 0660); NULL: our own */
	const char *pid_file;
	const char *dsn;			/* libpq connection string */
	int			workers;		/* worker processes */
	int			threads;		/* threads per worker, one PG connection each */
	int			backlog;
	size_t		body_limit;		/* bytes; larger bodies are 413 */
	int			json_depth;		/* deepest nesting a JSON body may have */
} Config;

extern Config config;

#endif
