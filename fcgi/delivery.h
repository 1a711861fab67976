/*
 * delivery.h — the webhook delivery process (delivery.c), a child of the master like the
 * workers, restarted at once when it dies.
 */
#ifndef PBF_DELIVERY_H
#define PBF_DELIVERY_H

#include <sys/types.h>

/* The largest --delivery-threads, and the default (config.h, main.c). */
#define DELIVERY_MAX_THREADS 64

/* The most --delivery-dsn options (delivery processes): the most shards a layout may
 * have (become_shard's stride, docs/sharding.md). */
#define DELIVERY_MAX_DSNS 1024

/* The process's name (/proc/<pid>/comm), which tells it from the workers. */
#define DELIVERY_PROCESS_NAME "pb-delivery"

/* Runs one delivery process (master: the pid of the master that forked it), for the outbox
 * of the database dsn names: a listener and config.delivery_threads senders, each with its
 * own connection. Returns only by exiting, 0, promptly after SIGTERM / SIGINT (a post in
 * flight is cut short, unrecorded, and delivered again later), or when the master is gone. */
void		delivery_main(pid_t master, const char *dsn) __attribute__((noreturn));

#endif
