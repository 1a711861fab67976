/*
 * response.c — privacybee.response(): what every route function returns, and the one
 * JSON spelling of the API's bodies, compact: no white space outside strings
 * ({"id":1,"name":"x"}), whatever wrote the body — json_build_object writes
 * "key" : value, jsonb "key": value, the C renderers and row_to_json compact. So no route
 * has its own spelling, and a body is compacted in one place, by one linear scan that
 * copies only when there is something to drop (no parse: the body is JSON its function
 * built). A body that is not JSON (none is today) must not go through response().
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "response.h"

static inline bool
IsJsonSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The offset of the first white space outside a string in s[0..len), or len when none.
 * Strings run from '"' to the next '"' not escaped by a backslash.
 */
static int
FirstSpace(const char *s, int len)
{
	bool		in_string = false;

	for (int i = 0; i < len; i++)
	{
		char		c = s[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (IsJsonSpace(c))
			return i;
	}
	return len;
}

text *
json_compact(text *json)
{
	const char *s = VARDATA_ANY(json);
	int			len = VARSIZE_ANY_EXHDR(json);
	int			i = FirstSpace(s, len);
	bool		in_string = false;
	text	   *out;
	char	   *d;
	int			n;

	if (i == len)
		return json;
	out = palloc(VARHDRSZ + len);
	d = VARDATA(out);
	memcpy(d, s, i);
	n = i;
	for (; i < len; i++)
	{
		char		c = s[i];

		if (in_string)
		{
			d[n++] = c;
			if (c == '\\' && i + 1 < len)
				d[n++] = s[++i];
			else if (c == '"')
				in_string = false;
		}
		else if (!IsJsonSpace(c))
		{
			d[n++] = c;
			in_string = c == '"';
		}
	}
	SET_VARSIZE(out, VARHDRSZ + n);
	return out;
}

/*
 * response(status integer, body text, headers text DEFAULT NULL) → http_response:
 * (status, headers, body), the body compacted. body and headers may be NULL.
 */
PG_FUNCTION_INFO_V1(response);
Datum
response(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3];

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "response must return privacybee.http_response");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("status must not be null")));
	values[0] = PG_GETARG_DATUM(0);
	nulls[0] = false;
	nulls[1] = PG_ARGISNULL(2);
	values[1] = nulls[1] ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(1);
	values[2] = nulls[2] ? (Datum) 0 : PointerGetDatum(json_compact(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* json_compact(json text) → text: the same JSON without white space outside strings */
PG_FUNCTION_INFO_V1(json_compact_sql);
Datum
json_compact_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(json_compact(PG_GETARG_TEXT_PP(0)));
}
