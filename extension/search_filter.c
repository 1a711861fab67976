/*
 * search_filter.c — POST /contacts/search (SPEC §9, Pylon's filters): a filter tree,
 * validated (every problem named by its path, "filter.subfilters[1].value"), then run as
 * one statement of index probes.
 *
 * A filter is {"field", "operator", "value" | "values"} or {"operator": "and" | "or",
 * "subfilters": [filter, …]}, nested at most 5 deep. Each leaf is the set of the
 * member's contact ids an index gives: equals / in probe a btree index that leads with
 * user_id (contacts' own, or those of contact_emails, contact_phones, contact_tags);
 * string_contains reads the member's entries of such an index (a trigram index, shared by
 * every member, was read across all of them: 50–160 ms in a million contacts, where the
 * member's 10,000 entries take 2–4 ms); an and is the leaves' INTERSECT, an or their
 * UNION, and not_in the member's contacts EXCEPT the leaf's set; so no operator reads
 * another member's entries. Values are bound parameters; the SQL text is built only from
 * this file's fixed fragments.
 *
 * Comparisons: email and display_name compare case-insensitively (as casefold() folds
 * them); external_id is the client's own key and compares exactly, except by
 * string_contains, which is case-insensitive for every field. A phone value is read as
 * any number the member writes (in their region) and compared by match key. Timestamps
 * are RFC 3339 with any offset.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "casefold.h"
#include "contact_input.h"
#include "ids.h"
#include "member_region.h"
#include "phone.h"
#include "phone_match.h"
#include "privacybee.h"
#include "timestamps.h"

#define MAX_NESTING		5
#define MAX_LEAVES		50
#define MAX_VALUES		1000
#define MAX_STRING		1024
#define MAX_PARAMS		(MAX_LEAVES + 4)

typedef enum Op
{
	OP_EQUALS,
	OP_IN,
	OP_NOT_IN,
	OP_CONTAINS,
	OP_GT,
	OP_GTE,
	OP_LT,
	OP_LTE,
	OP_COUNT
} Op;

static const char *const op_names[OP_COUNT] = {
	"equals", "in", "not_in", "string_contains", "gt", "gte", "lt", "lte"
};

#define OPS_SET			((1 << OP_EQUALS) | (1 << OP_IN) | (1 << OP_NOT_IN))
#define OPS_STRING		(OPS_SET | (1 << OP_CONTAINS))
#define OPS_TIME		((1 << OP_GT) | (1 << OP_GTE) | (1 << OP_LT) | (1 << OP_LTE))

typedef enum ValueKind
{
	V_ID,
	V_STRING,
	V_PHONE,
	V_TIME
} ValueKind;

/*
 * A field: its operators, how its values are read, and the set of ids a leaf on it is.
 * sql: the ids whose entry satisfies "%s" (a condition on expr, filled in below).
 */
typedef struct FilterField
{
	const char *name;
	int			ops;
	ValueKind	kind;
	const char *from;			/* "<column> FROM <table> <alias> WHERE <alias>.user_id = $1" */
	const char *expr;			/* what equals / in compare */
	const char *folded;			/* what string_contains compares (lower case), or NULL */
	bool		fold_values;	/* equals / in compare values folded to lower case */
} FilterField;

static const FilterField fields[] = {
	{"id", OPS_SET, V_ID,
	"c.id FROM privacybee.contacts c WHERE c.user_id = $1", "c.id", NULL, false},
	{"company_id", OPS_SET, V_ID,
	"c.id FROM privacybee.contacts c WHERE c.user_id = $1", "c.company_id", NULL, false},
	{"tag", OPS_SET, V_ID,
	"t.contact_id FROM privacybee.contact_tags t WHERE t.user_id = $1", "t.tag_id", NULL, false},
	{"email", OPS_STRING, V_STRING,
		"e.contact_id FROM privacybee.contact_emails e WHERE e.user_id = $1",
	"privacybee.casefold(e.value)", "privacybee.casefold(e.value)", true},
	{"display_name", OPS_STRING, V_STRING,
		"c.id FROM privacybee.contacts c WHERE c.user_id = $1",
	"privacybee.casefold(c.display_name)", "privacybee.casefold(c.display_name)", true},
	{"external_id", OPS_STRING, V_STRING,
		"c.id FROM privacybee.contacts c WHERE c.user_id = $1",
	"c.external_id", "privacybee.casefold(c.external_id)", false},
	{"phone", OPS_SET, V_PHONE,
	"p.contact_id FROM privacybee.contact_phones p WHERE p.user_id = $1", "p.match_key", NULL, false},
	{"updated", OPS_TIME, V_TIME,
	"c.id FROM privacybee.contacts c WHERE c.user_id = $1", "c.updated", NULL, false},
	{"created", OPS_TIME, V_TIME,
	"c.id FROM privacybee.contacts c WHERE c.user_id = $1", "c.created", NULL, false},
};

typedef struct Build
{
	Problems	p;
	bool		repeats;		/* the set may name a contact twice (a leaf of a list) */
	char		region[4];
	int			leaves;
	StringInfoData sql;
	Datum		values[MAX_PARAMS];
	Oid			types[MAX_PARAMS];
	int			nargs;
} Build;

static int
AddParam(Build *b, Oid type, Datum value)
{
	b->types[b->nargs] = type;
	b->values[b->nargs] = value;
	return ++b->nargs;
}

static void
Problem(Build *b, const char *path, const char *problem)
{
	problems_add(&b->p, "", path, problem);
}

static JsonbValue *
Member(JsonbValue *obj, const char *key, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(obj->val.binary.data, key, strlen(key), buf);
}

static bool
IsObject(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
IsArray(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

static char *
JsonString(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A LIKE pattern that finds s anywhere: its %, _ and \ escaped. */
static char *
ContainsPattern(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '%');
	for (; *s; s++)
	{
		if (*s == '%' || *s == '_' || *s == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *s);
	}
	appendStringInfoChar(&buf, '%');
	return buf.data;
}

/* One value at path, read for field; false (with a problem) when it cannot be one. */
static bool
ReadValue(Build *b, const FilterField *f, Op op, JsonbValue *v, const char *path, Datum *out)
{
	switch (f->kind)
	{
		case V_ID:
			{
				int64		id;

				if (!id_from_jsonb(v, &id))
				{
					Problem(b, path, id_problem());
					return false;
				}
				*out = Int64GetDatum(id);
				return true;
			}
		case V_STRING:
			{
				char	   *s;

				if (v->type != jbvString || v->val.string.len == 0)
				{
					Problem(b, path, "must be a string that is not empty");
					return false;
				}
				if (pg_mbstrlen_with_len(v->val.string.val, v->val.string.len) > MAX_STRING)
				{
					Problem(b, path, psprintf("must be at most %d characters", MAX_STRING));
					return false;
				}
				s = JsonString(v);
				if (op == OP_CONTAINS || f->fold_values)
					s = casefold(s, strlen(s));
				*out = CStringGetTextDatum(op == OP_CONTAINS ? ContainsPattern(s) : s);
				return true;
			}
		case V_PHONE:
			{
				char		e164[PHONE_E164_BUFSIZE];
				char		key[PHONE_E164_BUFSIZE];

				if (v->type != jbvString ||
					!phone_normalize(v->val.string.val, v->val.string.len, b->region, e164) ||
					!phone_match_key_of(e164, strlen(e164), key))
				{
					Problem(b, path, "must be a phone number");
					return false;
				}
				*out = CStringGetTextDatum(key);
				return true;
			}
		case V_TIME:
			{
				TimestampTz ts;
				bool		beyond;
				const char *problem;

				if (v->type != jbvString)
				{
					Problem(b, path, "must be an RFC 3339 timestamp");
					return false;
				}
				if (!rfc3339_parse(v->val.string.val, v->val.string.len, &ts, &beyond, &problem))
				{
					Problem(b, path, problem);
					return false;
				}
				/* past the microsecond: the bound that compares as the exact instant */
				*out = TimestampTzGetDatum(rfc3339_bound(ts, beyond, op == OP_LT || op == OP_GTE));
				return true;
			}
	}
	return false;
}

static Oid
ArrayTypeOf(ValueKind kind)
{
	return kind == V_ID ? INT8ARRAYOID : TEXTARRAYOID;
}

/* A leaf: the SQL of its set of ids into b->sql. */
static void
Leaf(Build *b, JsonbValue *filter, const char *path)
{
	JsonbValue	fbuf,
				obuf,
				vbuf,
				vsbuf;
	JsonbValue *fv = Member(filter, "field", &fbuf);
	JsonbValue *ov = Member(filter, "operator", &obuf);
	JsonbValue *value = Member(filter, "value", &vbuf);
	JsonbValue *values = Member(filter, "values", &vsbuf);
	const FilterField *f = NULL;
	int			op = -1;
	char	   *fname;
	char	   *oname;
	bool		many;
	int			param;

	if (++b->leaves > MAX_LEAVES)
	{
		Problem(b, path, psprintf("is beyond the %d conditions a filter may hold", MAX_LEAVES));
		return;
	}
	if (fv == NULL || fv->type != jbvString)
	{
		Problem(b, psprintf("%s.field", path), "is required: a field name");
		return;
	}
	fname = JsonString(fv);
	for (int i = 0; i < (int) lengthof(fields); i++)
		if (strcmp(fields[i].name, fname) == 0)
			f = &fields[i];
	if (f == NULL)
	{
		StringInfoData known;

		initStringInfo(&known);
		for (int i = 0; i < (int) lengthof(fields); i++)
			appendStringInfo(&known, "%s%s", i ? ", " : "", fields[i].name);
		Problem(b, psprintf("%s.field", path),
				psprintf("is not a field a search filters on (%s)", known.data));
		return;
	}
	if (ov == NULL || ov->type != jbvString)
	{
		Problem(b, psprintf("%s.operator", path), "is required");
		return;
	}
	oname = JsonString(ov);
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(op_names[i], oname) == 0 && (f->ops & (1 << i)))
			op = i;
	if (op < 0)
	{
		StringInfoData allowed;

		initStringInfo(&allowed);
		for (int i = 0; i < OP_COUNT; i++)
			if (f->ops & (1 << i))
				appendStringInfo(&allowed, "%s%s", allowed.len ? ", " : "", op_names[i]);
		Problem(b, psprintf("%s.operator", path),
				psprintf("is not an operator of %s (%s)", f->name, allowed.data));
		return;
	}

	many = op == OP_IN || op == OP_NOT_IN;
	if (value != NULL && values != NULL)
	{
		/* both: the one that does not belong is named (alone, the missing one is) */
		Problem(b, psprintf("%s.%s", path, many ? "value" : "values"),
				many ? psprintf("is not allowed: %s takes a list of values (values)", op_names[op])
				: psprintf("is not allowed: %s takes one value (value)", op_names[op]));
		return;
	}
	if (many ? values == NULL : value == NULL)
	{
		Problem(b, psprintf("%s.%s", path, many ? "values" : "value"),
				many ? psprintf("is required: %s takes a list of values", op_names[op])
				: psprintf("is required: %s takes one value", op_names[op]));
		return;
	}
	if (many)
	{
		int			n;
		Datum	   *d;
		bool		ok = true;

		if (!IsArray(values) || (n = JsonContainerSize(values->val.binary.data)) == 0 ||
			n > MAX_VALUES)
		{
			Problem(b, psprintf("%s.values", path),
					psprintf("must be an array of 1 to %d values", MAX_VALUES));
			return;
		}
		d = palloc(sizeof(Datum) * n);
		for (int i = 0; i < n; i++)
			ok &= ReadValue(b, f, op, getIthJsonbValueFromContainer(values->val.binary.data, i),
							psprintf("%s.values[%d]", path, i), &d[i]);
		if (!ok)
			return;
		param = AddParam(b, ArrayTypeOf(f->kind),
						 PointerGetDatum(f->kind == V_ID
										 ? construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)
										 : construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT)));
	}
	else
	{
		Datum		d;

		if (!ReadValue(b, f, op, value, psprintf("%s.value", path), &d))
			return;
		if (op == OP_EQUALS)
			param = AddParam(b, ArrayTypeOf(f->kind),
							 PointerGetDatum(f->kind == V_ID
											 ? construct_array(&d, 1, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)
											 : construct_array(&d, 1, TEXTOID, -1, false, TYPALIGN_INT)));
		else
			param = AddParam(b, f->kind == V_TIME ? TIMESTAMPTZOID : TEXTOID, d);
	}

	/* a contact with two matching emails (phones, tags) is two rows of a leaf */
	b->repeats = strncmp(f->from, "c.id ", 5) != 0 && op != OP_NOT_IN;
	if (op == OP_NOT_IN)
		appendStringInfoString(&b->sql, "(SELECT c.id FROM privacybee.contacts c "
							   "WHERE c.user_id = $1 EXCEPT ");
	appendStringInfo(&b->sql, "(SELECT %s AND ", f->from);
	switch (op)
	{
		case OP_EQUALS:
		case OP_IN:
		case OP_NOT_IN:
			appendStringInfo(&b->sql, "%s = ANY ($%d)", f->expr, param);
			break;
		case OP_CONTAINS:
			appendStringInfo(&b->sql, "%s OPERATOR(pg_catalog.~~) $%d", f->folded, param);
			break;
		default:
			appendStringInfo(&b->sql, "%s %s $%d", f->expr,
							 op == OP_GT ? ">" : op == OP_GTE ? ">=" : op == OP_LT ? "<" : "<=",
							 param);
	}
	appendStringInfoChar(&b->sql, ')');
	if (op == OP_NOT_IN)
		appendStringInfoChar(&b->sql, ')');
}

static bool
KnownKey(JsonbValue *filter, const char *path, Build *b)
{
	JsonbIterator *it = JsonbIteratorInit(filter->val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		ok = true;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY)
		{
			char	   *key = JsonString(&v);

			if (strcmp(key, "field") != 0 && strcmp(key, "operator") != 0 &&
				strcmp(key, "value") != 0 && strcmp(key, "values") != 0 &&
				strcmp(key, "subfilters") != 0)
			{
				Problem(b, psprintf("%s.%s", path, key), "is not a field of a filter");
				ok = false;
			}
		}
	return ok;
}

/* A filter at path (depth: how many compound filters hold it). */
static void
Filter(Build *b, JsonbValue *filter, const char *path, int depth)
{
	JsonbValue	obuf,
				sbuf;
	JsonbValue *ov;
	JsonbValue *subs;
	bool		compound;
	int			n;

	if (!IsObject(filter))
	{
		Problem(b, path, "must be a filter object");
		return;
	}
	if (!KnownKey(filter, path, b))
		return;
	ov = Member(filter, "operator", &obuf);
	subs = Member(filter, "subfilters", &sbuf);
	compound = ov && ov->type == jbvString &&
		((ov->val.string.len == 3 && memcmp(ov->val.string.val, "and", 3) == 0) ||
		 (ov->val.string.len == 2 && memcmp(ov->val.string.val, "or", 2) == 0));
	if (!compound)
	{
		if (subs)
			Problem(b, psprintf("%s.operator", path), "must be and or or with subfilters");
		else
			Leaf(b, filter, path);
		return;
	}
	if (depth >= MAX_NESTING)
	{
		Problem(b, path, psprintf("nests filters more than %d deep", MAX_NESTING));
		return;
	}
	{
		JsonbValue	fbuf;

		if (Member(filter, "field", &fbuf) || Member(filter, "value", &fbuf) ||
			Member(filter, "values", &fbuf))
		{
			Problem(b, path, "an and or or filter takes subfilters, not field or values");
			return;
		}
	}
	if (!IsArray(subs) || (n = JsonContainerSize(subs->val.binary.data)) == 0)
	{
		Problem(b, psprintf("%s.subfilters", path), "must be an array of filters, not empty");
		return;
	}
	appendStringInfoChar(&b->sql, '(');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&b->sql, ov->val.string.len == 3 ? " INTERSECT " : " UNION ");
		Filter(b, getIthJsonbValueFromContainer(subs->val.binary.data, i),
			   psprintf("%s.subfilters[%d]", path, i), depth + 1);
	}
	appendStringInfoChar(&b->sql, ')');
	/* a set operation's result names each contact once */
	b->repeats = false;
}

/*
 * The statement of a search: the member's contacts in filter, by id, after after_id, at
 * most lim, each with the count of all. Needs SPI connected (the member's region).
 */
static void
FilterSql(Build *b, StringInfo sql, int64 user_id, Jsonb *filter, int64 after_id, int32 lim)
{
	JsonbValue	root;
	int			after_param;

	problems_init(&b->p);
	initStringInfo(&b->sql);
	member_region(user_id, b->region);
	AddParam(b, INT8OID, Int64GetDatum(user_id));
	root.type = jbvBinary;
	root.val.binary.data = &filter->root;
	root.val.binary.len = VARSIZE(filter) - VARHDRSZ;
	if (JB_ROOT_IS_SCALAR(filter))
		Problem(b, "filter", "must be a filter object");
	else
		Filter(b, &root, "filter", 0);
	if (b->p.count > 0)
		problems_raise(&b->p);
	after_param = AddParam(b, INT8OID, Int64GetDatum(after_id));
	AddParam(b, INT4OID, Int32GetDatum(lim));
	initStringInfo(sql);
	appendStringInfo(sql,
					 "WITH m AS MATERIALIZED (SELECT %sx.id FROM %s AS x(id)) "
					 "SELECT m.id, (SELECT pg_catalog.count(*) FROM m) AS total FROM m "
					 "WHERE m.id > $%d ORDER BY m.id LIMIT $%d",
					 b->repeats ? "DISTINCT " : "", b->sql.data, after_param, after_param + 1);
}

/*
 * contacts_filter(user_id bigint, filter jsonb, after_id bigint, lim integer, OUT ids
 * bigint[], OUT total bigint): the member's contacts the filter finds, by id, those after
 * after_id (0: from the first), at most lim, and how many it finds in all. PT400 naming
 * every problem of the filter.
 */
PG_FUNCTION_INFO_V1(contacts_filter);
Datum
contacts_filter(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	Build		b = {0};
	StringInfoData sql;
	TupleDesc	desc;
	Datum	   *ids;
	int64		total = 0;
	Datum		out[2];
	bool		nulls[2] = {false, false};
	int			n;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "contacts_filter must return a record");
	search_check_member(PG_GETARG_INT64(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	FilterSql(&b, &sql, PG_GETARG_INT64(0), PG_GETARG_JSONB_P(1), PG_GETARG_INT64(2),
			  PG_GETARG_INT32(3));
	if (SPI_execute_with_args(sql.data, b.nargs, b.types, b.values, NULL, true, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "contacts_filter: the search failed");
	n = SPI_processed;
	ids = MemoryContextAlloc(caller, sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2,
											&isnull));
	}
	if (n == 0 && PG_GETARG_INT64(2) > 0)
	{
		/* a page past the last: the count alone */
		resetStringInfo(&sql);
		appendStringInfo(&sql, "SELECT pg_catalog.count(DISTINCT x.id) FROM %s AS x(id)",
						 b.sql.data);
		if (SPI_execute_with_args(sql.data, b.nargs - 2, b.types, b.values, NULL, true, 0)
			!= SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "contacts_filter: the count failed");
		total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											&nulls[0]));
	}
	SPI_finish();
	out[0] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
	out[1] = Int64GetDatum(total);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), out, nulls)));
}

/*
 * contacts_filter_explain(user_id bigint, filter jsonb) → text: EXPLAIN (COSTS OFF) of
 * the statement contacts_filter runs, for an operator and for the tests that hold every
 * operator to an index.
 */
PG_FUNCTION_INFO_V1(contacts_filter_explain);
Datum
contacts_filter_explain(PG_FUNCTION_ARGS)
{
	Build		b = {0};
	StringInfoData sql;
	StringInfoData explain;
	StringInfoData out;

	search_check_member(PG_GETARG_INT64(0));
	/* made before SPI_connect: it outlives SPI_finish */
	initStringInfo(&out);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	FilterSql(&b, &sql, PG_GETARG_INT64(0), PG_GETARG_JSONB_P(1), 0, 10);
	initStringInfo(&explain);
	appendStringInfo(&explain, "EXPLAIN (COSTS OFF) %s", sql.data);
	if (SPI_execute_with_args(explain.data, b.nargs, b.types, b.values, NULL, false, 0) < 0)
		elog(ERROR, "contacts_filter_explain: EXPLAIN failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		appendStringInfo(&out, "%s%s", i ? "\n" : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}
