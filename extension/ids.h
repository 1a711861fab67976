/*
 * ids.h — the one rule for ids and for integers read from requests (SPEC §4).
 *
 * An id (contact, person, company, activity, blocked call, tag, webhook) is a positive
 * int64: ID_MIN … ID_MAX. The range is written here and nowhere else; the SQL functions
 * that read ids (parse_id, path_id, json_id in sql/logic/10_core.sql) are these C
 * functions.
 */
#ifndef PRIVACYBEE_IDS_H
#define PRIVACYBEE_IDS_H

#include "postgres.h"

#include "utils/jsonb.h"

#define ID_MIN	INT64CONST(1)
#define ID_MAX	PG_INT64_MAX

/*
 * s[0..len) as decimal digits only (no sign, no space; leading zeros allowed) naming an
 * integer in lo … hi (lo >= 0)? Never raises.
 */
extern bool integer_from_digits(const char *s, size_t len, int64 lo, int64 hi, int64 *out);

/*
 * A JSON value as an integer in lo … hi: a number with an integral value however it is
 * written (10, 10.0, 1e1, 100e-1), or a string of decimal digits (as in a path). Never
 * raises.
 */
extern bool integer_from_jsonb(const JsonbValue *v, int64 lo, int64 hi, int64 *out);

/* The same for ids. */
extern bool id_from_digits(const char *s, size_t len, int64 *id);
extern bool id_from_jsonb(const JsonbValue *v, int64 *id);

/* What a client is told about a value that is not an id ("must be an integer from …"). */
extern const char *id_problem(void);

#endif
