/*
 * worker.h — a worker process: threads answering requests on the shared socket.
 */
#ifndef PBF_WORKER_H
#define PBF_WORKER_H

#include <sys/types.h>

/* Runs until SIGTERM / SIGINT (or the death of master, the pid that forked it), then lets
 * in-flight requests finish; never returns. */
extern void worker_main(int listen_fd, pid_t master) __attribute__((noreturn));

#endif
