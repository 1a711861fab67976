/*
 * timestamps.h — RFC 3339 timestamps, the one format the API writes and reads (SPEC §4).
 */
#ifndef PRIVACYBEE_TIMESTAMPS_H
#define PRIVACYBEE_TIMESTAMPS_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

/* Append ts as 2023-02-10T14:03:11.123456Z (UTC, microseconds, no quotes). */
extern void rfc3339_append(StringInfo buf, TimestampTz ts);

/*
 * Read s[0..len) as an RFC 3339 timestamp (see timestamps.c for what is accepted).
 * False with *problem set to what a client should be told; never raises.
 */
extern bool rfc3339_parse(const char *s, size_t len, TimestampTz *out, const char **problem);

#endif
