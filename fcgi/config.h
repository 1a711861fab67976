/*
 * config.h — privacybee-fcgi's settings, from its command line (see main.c).
 */
#ifndef PBF_CONFIG_H
#define PBF_CONFIG_H

#include <stddef.h>

#include "delivery.h"

typedef struct Config
{
	const char *socket_path;	/* unix socket nginx connects to */
	const char *socket_group;	/* group given access (mode 0660); NULL: our own */
	const char *pid_file;
	const char *dsn;			/* libpq connection string */
	const char *dsn_read;		/* a hot standby for the read-only routes; NULL: none */
	int			workers;		/* worker processes */
	int			threads;		/* threads per worker (FastCGI requests at once) */
	int			connections;	/* PG connections per worker, shared by its threads */
	int			backlog;
	size_t		body_limit;		/* bytes; larger bodies are 413 */
	int			json_depth;		/* deepest nesting a JSON body may have */
	const char *provider_secret;	/* telephony auth token; NULL: webhooks unsigned */
	size_t		provider_secret_len;
	const char *public_url;		/* scheme://host[:port] the provider calls; NULL: from
								 * the request's scheme and Host */
	const char *delivery_dsns[DELIVERY_MAX_DSNS];	/* one webhook delivery process per
													 * database whose outbox it delivers
													 * (a shard each, docs/sharding.md);
													 * "" dropped; none: no delivery */
	int			delivery_dsn_count;
	int			delivery_threads;	/* its senders, one connection each */
} Config;

extern Config config;

#endif
