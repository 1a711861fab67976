/*
 * ids.c — reading ids and integers from requests: the one rule (SPEC §4), for C and SQL.
 *
 * An id is a positive int64 (ids.h). It arrives as a path segment (decimal digits: the
 * router lets nothing else through), as a JSON number with an integral value however it
 * is written (10, 10.0, 1e1), or as a string of decimal digits. Anything else — 0, a
 * negative, a fraction, a value past int64 — can be no object's id: in a path that is
 * 404, in a body 400 naming the field.
 *
 * Fail closed: path_id() and json_id() never return NULL, they raise; so a value that
 * cannot be an id never reaches an ownership or visibility check, where a NULL compared
 * with anything would be neither true nor false. parse_id() returns NULL and is only for
 * callers that decide themselves what a non-id means.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "problems.h"
#include "ids.h"
#include "privacybee.h"

bool
integer_from_digits(const char *s, size_t len, int64 lo, int64 hi, int64 *out)
{
	uint64		value = 0;
	bool		over = false;

	Assert(lo >= 0 && lo <= hi);
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		/* past hi (and so perhaps past int64): every byte must still be a digit */
		if (over || value > (uint64) hi / 10)
			over = true;
		else if (value * 10 + (s[i] - '0') > (uint64) hi)
			over = true;
		else
			value = value * 10 + (s[i] - '0');
	}
	if (over || value < (uint64) lo)
		return false;
	*out = (int64) value;
	return true;
}

bool
integer_from_jsonb(const JsonbValue *v, int64 lo, int64 hi, int64 *out)
{
	Numeric		num;
	char	   *text;

	if (v->type == jbvString)
		return integer_from_digits(v->val.string.val, v->val.string.len, lo, hi, out);
	if (v->type != jbvNumeric)
		return false;
	num = v->val.numeric;
	if (numeric_is_nan(num) || numeric_is_inf(num))
		return false;
	/* the range first, so that 1e100000 is never written out in full */
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(num),
										  NumericGetDatum(int64_to_numeric(lo)))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(num),
										  NumericGetDatum(int64_to_numeric(hi)))) > 0)
		return false;
	/* integral: without its insignificant trailing zeroes, no decimal point remains */
	text = numeric_normalize(num);
	return integer_from_digits(text, strlen(text), lo, hi, out);
}

bool
id_from_digits(const char *s, size_t len, int64 *id)
{
	return integer_from_digits(s, len, ID_MIN, ID_MAX, id);
}

bool
id_from_jsonb(const JsonbValue *v, int64 *id)
{
	return integer_from_jsonb(v, ID_MIN, ID_MAX, id);
}

const char *
id_problem(void)
{
	return psprintf("must be an id: an integer from " INT64_FORMAT " to " INT64_FORMAT,
					ID_MIN, ID_MAX);
}

/* The scalar a jsonb argument holds; false for an array or object. */
static bool
JsonbScalar(Jsonb *jb, JsonbValue *v)
{
	return JsonbExtractScalar(&jb->root, v);
}

/* parse_id(t text) → bigint: t as an id, NULL when it is not one. */
PG_FUNCTION_INFO_V1(parse_id);
Datum
parse_id(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int64		id;

	if (!id_from_digits(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &id))
		PG_RETURN_NULL();
	PG_RETURN_INT64(id);
}

/*
 * path_id(arg text, what text) → bigint: the <id> of a route; PT404 "<what> not found"
 * when it cannot be an id (no object can have it), NULL included.
 */
PG_FUNCTION_INFO_V1(path_id);
Datum
path_id(PG_FUNCTION_ARGS)
{
	const char *what = PG_ARGISNULL(1) ? "object" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		id;

	if (PG_ARGISNULL(0) ||
		!id_from_digits(VARDATA_ANY(PG_GETARG_TEXT_PP(0)),
						VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)), &id))
		ereport(ERROR, (errcode(ERRCODE_PT_NOT_FOUND), errmsg("%s not found", what)));
	PG_RETURN_INT64(id);
}

/*
 * json_id(v jsonb, field text) → bigint: the id a body gives in field (v is its value,
 * NULL when absent); PT400 naming field otherwise.
 */
PG_FUNCTION_INFO_V1(json_id);
Datum
json_id(PG_FUNCTION_ARGS)
{
	const char *field = PG_ARGISNULL(1) ? "id" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	JsonbValue	v;
	int64		id;

	if (PG_ARGISNULL(0))
		bad_field(field, "is required");
	if (!JsonbScalar(PG_GETARG_JSONB_P(0), &v) || !id_from_jsonb(&v, &id))
		bad_field(field, id_problem());
	PG_RETURN_INT64(id);
}

/*
 * json_int(v jsonb, field text, lo bigint, hi bigint) → bigint: an integer a body gives
 * in field, read as ids are (10, 10.0, 1e1, "10"), within lo … hi; PT400 naming field
 * otherwise. NULL when v is NULL (absent) or JSON null: the caller decides about those.
 */
PG_FUNCTION_INFO_V1(json_int);
Datum
json_int(PG_FUNCTION_ARGS)
{
	const char *field;
	int64		lo,
				hi,
				value;
	JsonbValue	v;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("field, lo and hi must not be null")));
	field = text_to_cstring(PG_GETARG_TEXT_PP(1));
	lo = PG_GETARG_INT64(2);
	hi = PG_GETARG_INT64(3);
	if (lo < 0 || lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("json_int needs 0 <= lo <= hi")));
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (JsonbScalar(PG_GETARG_JSONB_P(0), &v) && v.type == jbvNull)
		PG_RETURN_NULL();
	if (!JsonbScalar(PG_GETARG_JSONB_P(0), &v) || !integer_from_jsonb(&v, lo, hi, &value))
		bad_field(field, psprintf("must be an integer from " INT64_FORMAT " to " INT64_FORMAT,
								 lo, hi));
	PG_RETURN_INT64(value);
}

/*
 * json_ids(v jsonb, field text, max integer) → bigint[]: a list of ids a body gives in
 * field (v its value, NULL when absent: an empty list): an array of at most max ids, in
 * order, repeats removed. PT400 naming every entry that is not an id (field[i]).
 */
PG_FUNCTION_INFO_V1(json_ids);
Datum
json_ids(PG_FUNCTION_ARGS)
{
	const char *field = PG_ARGISNULL(1) ? "ids" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			max = PG_ARGISNULL(2) ? 1000 : PG_GETARG_INT32(2);
	Jsonb	   *jb;
	Datum	   *ids;
	int			size,
				n = 0;
	Problems	p;

	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(INT8OID));
	jb = PG_GETARG_JSONB_P(0);
	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		bad_field(field, "must be an array of ids");
	size = JB_ROOT_COUNT(jb);
	if (size > max)
		bad_field(field, psprintf("must have at most %d entries", max));
	ids = palloc(sizeof(Datum) * Max(size, 1));
	problems_init(&p);
	for (int i = 0; i < size; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&jb->root, i);
		int64		id;
		bool		seen = false;

		if (!id_from_jsonb(v, &id))
		{
			problems_add(&p, "", psprintf("%s[%d]", field, i), id_problem());
			continue;
		}
		for (int j = 0; j < n && !seen; j++)
			seen = DatumGetInt64(ids[j]) == id;
		if (!seen)
			ids[n++] = Int64GetDatum(id);
	}
	if (p.count > 0)
		problems_raise(&p);
	PG_RETURN_ARRAYTYPE_P(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
