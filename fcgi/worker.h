/*
 * worker.h — a worker process: threads answering requests on the shared socket.
 */
#ifndef PBF_WORKER_H
#define PBF_WORKER_H

/* Runs until SIGTERM / SIGINT, then lets in-flight requests finish; never returns. */
extern void worker_main(int listen_fd) __attribute__((noreturn));

#endif
