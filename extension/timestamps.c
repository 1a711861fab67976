/*
 * timestamps.c — RFC 3339 timestamps in and out: the one place the API's timestamp
 * format is written and read (SPEC §4). SQL reaches both through privacybee.rfc3339()
 * and privacybee.rfc3339_in(); contact_render.c calls rfc3339_append() directly.
 *
 * Out: UTC, "Z", always six fractional digits — 2023-02-10T14:03:11.123456Z — so the
 * order a client sees is the order the server uses (PostgreSQL keeps microseconds).
 *
 * In (RFC 3339 §5.6, read as clients really write it):
 *   YYYY-MM-DD, then T, t or a space, then HH:MM, optionally :SS and a fraction of any
 *   number of digits (.NET writes 7, Go and Java 9); then Z, z or an offset ±HH:MM (also
 *   ±HHMM). Kept to the microsecond: digits past the sixth are dropped, never rounded up
 *   into the next second; the caller learns that the instant lay past the microsecond read
 *   (those digits were not all 0), so that a bound compares as the exact instant would:
 *   every stored time is whole microseconds, so x < v and x >= v take the next microsecond,
 *   x <= v and x > v the one read (rfc3339_bound()). A leap second (:60) counts as the next minute's first, as
 *   PostgreSQL reads it.
 *   Also, as before this file existed: a date alone (midnight UTC), a time without
 *   seconds, and no zone at all (UTC).
 *   An offset is at most ±15:59, the most PostgreSQL represents and beyond every real
 *   zone (−12:00 … +14:00); past that is a client error, never a server one. The instant
 *   must fall in the years 0000–9999 in UTC, so that whatever is read can be written back
 *   as RFC 3339 (a Link's updated_at, for instance).
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "problems.h"
#include "privacybee.h"
#include "timestamps.h"

#define MALFORMED "must be an RFC 3339 timestamp such as 2024-07-01T00:00:00Z"

void
rfc3339_append(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	appendStringInfo(buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
					 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
					 (int) fsec);
}

/* n decimal digits at *p (advanced past them), or -1. */
static int
Digits(const char **p, const char *end, int n)
{
	int			value = 0;

	for (int i = 0; i < n; i++, (*p)++)
	{
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		value = value * 10 + (**p - '0');
	}
	return value;
}

/* Is the next character c (advanced past it when it is)? */
static bool
Take(const char **p, const char *end, char c)
{
	if (*p < end && **p == c)
	{
		(*p)++;
		return true;
	}
	return false;
}

bool
rfc3339_parse(const char *s, size_t len, TimestampTz *out, bool *beyond, const char **problem)
{
	const char *p = s;
	const char *end = s + len;
	int			year,
				month,
				day,
				hour = 0,
				minute = 0,
				second = 0,
				offset = 0;		/* seconds east of UTC */
	int64		usec = 0;
	int64		result;

	*problem = MALFORMED;
	*beyond = false;
	if ((year = Digits(&p, end, 4)) < 0 || !Take(&p, end, '-') ||
		(month = Digits(&p, end, 2)) < 0 || !Take(&p, end, '-') ||
		(day = Digits(&p, end, 2)) < 0)
		return false;
	if (p < end)
	{
		if (*p != 'T' && *p != 't' && *p != ' ')
			return false;
		p++;
		if ((hour = Digits(&p, end, 2)) < 0 || !Take(&p, end, ':') ||
			(minute = Digits(&p, end, 2)) < 0)
			return false;
		if (Take(&p, end, ':'))
		{
			if ((second = Digits(&p, end, 2)) < 0)
				return false;
			if (Take(&p, end, '.'))
			{
				int			n = 0;

				for (; p < end && *p >= '0' && *p <= '9'; p++, n++)
					if (n < 6)
						usec = usec * 10 + (*p - '0');
					else if (*p != '0')
						*beyond = true;
				if (n == 0)
					return false;
				for (; n < 6; n++)
					usec *= 10;
			}
		}
		if (Take(&p, end, 'Z') || Take(&p, end, 'z'))
			;
		else if (p < end && (*p == '+' || *p == '-'))
		{
			int			sign = *p++ == '-' ? -1 : 1;
			int			oh,
						om;

			if ((oh = Digits(&p, end, 2)) < 0)
				return false;
			(void) Take(&p, end, ':');
			if ((om = Digits(&p, end, 2)) < 0 || om > 59)
				return false;
			if (oh > MAX_TZDISP_HOUR)
			{
				*problem = psprintf("has a UTC offset out of range (at most %02d:59 either way)",
									MAX_TZDISP_HOUR);
				return false;
			}
			offset = sign * (oh * SECS_PER_HOUR + om * SECS_PER_MINUTE);
		}
		if (p != end)
			return false;
	}
	if (month < 1 || month > MONTHS_PER_YEAR || day < 1 ||
		day > day_tab[isleap(year)][month - 1] ||
		hour > 23 || minute > 59 || second > 60)
		return false;

	result = (int64) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		((int64) ((hour * MINS_PER_HOUR + minute) * SECS_PER_MINUTE + second - offset))
		* USECS_PER_SEC + usec;
	if (result < (int64) (date2j(0, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY ||
		result >= (int64) (date2j(10000, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)
	{
		*problem = "must fall in the years 0000 to 9999 in UTC";
		return false;
	}
	*out = result;
	return true;
}

/* rfc3339(ts timestamptz) → text: ts as every timestamp leaves the API. */
PG_FUNCTION_INFO_V1(rfc3339);
Datum
rfc3339(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	rfc3339_append(&buf, PG_GETARG_TIMESTAMPTZ(0));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

TimestampTz
rfc3339_bound(TimestampTz ts, bool beyond, bool next)
{
	return beyond && next ? ts + 1 : ts;
}

/*
 * rfc3339_in(v text, field text, next boolean) → timestamptz: a timestamp a client gave
 * in field (a query parameter, a body field); PT400 naming field when it is not one. NULL
 * for NULL. An instant between two microseconds is the later with next (a bound of
 * x >= v or x < v), else the earlier: the comparison then equals the exact one.
 */
PG_FUNCTION_INFO_V1(rfc3339_in);
Datum
rfc3339_in(PG_FUNCTION_ARGS)
{
	text	   *v;
	TimestampTz ts;
	bool		beyond;
	const char *problem;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = PG_GETARG_TEXT_PP(0);
	if (!rfc3339_parse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &ts, &beyond, &problem))
	{
		bad_field(PG_ARGISNULL(1) ? "timestamp" : text_to_cstring(PG_GETARG_TEXT_PP(1)), problem);
	}
	PG_RETURN_TIMESTAMPTZ(rfc3339_bound(ts, beyond, !PG_ARGISNULL(2) && PG_GETARG_BOOL(2)));
}
