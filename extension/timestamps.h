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
 * Read s[0..len) as an RFC 3339 timestamp (see timestamps.c for what is accepted), to the
 * microsecond; *beyond tells that digits past it were given and not all 0 (the instant is
 * strictly after *out). False with *problem set to what a client should be told; never
 * raises.
 */
extern bool rfc3339_parse(const char *s, size_t len, TimestampTz *out, bool *beyond,
						  const char **problem);

/*
 * The bound to compare stored (whole-microsecond) times with, so that the result equals
 * comparing with the exact instant read: next for x >= v and x < v (the next microsecond
 * when the instant lay beyond ts), not for x <= v and x > v.
 */
extern TimestampTz rfc3339_bound(TimestampTz ts, bool beyond, bool next);

#endif
