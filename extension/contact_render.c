/*
 * contact_render.c — privacybee.contacts_render(): contacts as the JSON objects of
 * SPEC §4, a batch at a time.
 *
 * A sync answers with every contact it wrote and a listing with a page of them; rendering
 * them one by one cost two subqueries per contact (its phone list, whether it is
 * connected). Here a batch costs two statements: the contacts, then all their phones
 * with, for each, whether a member owns that number. Both join the ids (an "= ANY" over
 * a parameter array would compare every row with every id). Keys come in the
 * documented order.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "privacybee.h"
#include "spi_util.h"
#include "timestamps.h"

typedef struct Rendered
{
	int64		id;
	int			index;			/* in the ids argument */
} Rendered;

typedef struct Phones
{
	StringInfoData list;		/* JSON array body, without brackets */
	bool		any;
	bool		connected;
} Phones;

static int
CompareIds(const void *a, const void *b)
{
	int64		x = ((const Rendered *) a)->id;
	int64		y = ((const Rendered *) b)->id;

	return x < y ? -1 : x > y;
}

static int
Find(Rendered *sorted, int n, int64 id)
{
	Rendered	key = {.id = id};
	Rendered   *hit = bsearch(&key, sorted, n, sizeof(Rendered), CompareIds);

	return hit ? hit->index : -1;
}

static void
AppendTextArray(StringInfo buf, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		if (nulls[i])
			appendStringInfoString(buf, "null");
		else
			escape_json(buf, TextDatumGetCString(elems[i]));
	}
	appendStringInfoChar(buf, ']');
}

/* A timestamp as a JSON string, in the API's one format (timestamps.c). */
static void
AppendTimestamp(StringInfo buf, TimestampTz ts)
{
	appendStringInfoChar(buf, '"');
	rfc3339_append(buf, ts);
	appendStringInfoChar(buf, '"');
}

static void
AppendTextOrNull(StringInfo buf, HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, TextDatumGetCString(d));
}

/* The contacts' phones; connected: a member owns the number (by its KEY columns). */
#define PHONES_SQL(PEOPLE_KEY, KEY) \
	"SELECT p.contact_id, COALESCE(p.e164, p.raw), " \
	"p." KEY " IS NOT NULL AND (EXISTS (SELECT 1 FROM privacybee.people m " \
	"WHERE m." PEOPLE_KEY " = p." KEY ") OR EXISTS (SELECT 1 FROM " \
	"privacybee.buzz_numbers b WHERE b." KEY " = p." KEY " AND b.user_id IS NOT NULL)) " \
	"FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u " \
	"JOIN privacybee.contact_phones p ON p.user_id = $1 AND p.contact_id = u.id " \
	"ORDER BY p.contact_id, p.pos"

static const char *const phones_sql[SCHEMA_COUNT] = {
	[SCHEMA_0_1] = PHONES_SQL("phone_e164", "e164"),
	[SCHEMA_0_2] = PHONES_SQL("phone_match_key", "match_key"),
};

static void
LoadPhones(int64 user_id, ArrayType *ids, Rendered *sorted, int n, Phones *phones,
		   SchemaVersion schema)
{
	static SPIPlanPtr plans[SCHEMA_COUNT];
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	spi_exec(spi_plan(&plans[schema], phones_sql[schema], 2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int			i = Find(sorted, n, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));

		if (i < 0)
			continue;
		if (phones[i].any)
			appendStringInfoChar(&phones[i].list, ',');
		AppendTextOrNull(&phones[i].list, tup, desc, 2);
		phones[i].any = true;
		phones[i].connected |= DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
	}
}

/* One contact row (the columns of the statement below) as its JSON object. */
static char *
RenderContact(HeapTuple tup, TupleDesc desc, Phones *phones, bool with_emails,
			  bool with_phones, bool with_addresses)
{
	StringInfoData buf;
	bool		isnull;
	Datum		d;
	char		date[MAXDATELEN + 1];

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\":" INT64_FORMAT ",\"user_id\":" INT64_FORMAT,
					 DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)),
					 DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)));
	appendStringInfoString(&buf, ",\"external_id\":");
	AppendTextOrNull(&buf, tup, desc, 3);
	appendStringInfoString(&buf, ",\"display_name\":");
	AppendTextOrNull(&buf, tup, desc, 4);
	appendStringInfoString(&buf, ",\"birthday\":");
	d = SPI_getbinval(tup, desc, 5, &isnull);
	if (isnull)
		appendStringInfoString(&buf, "null");
	else
		appendStringInfo(&buf, "\"%s\"", JsonEncodeDateTime(date, d, DATEOID, NULL));
	appendStringInfoString(&buf, ",\"profile_icon\":");
	AppendTextOrNull(&buf, tup, desc, 6);
	if (with_emails)
	{
		appendStringInfoString(&buf, ",\"email\":");
		AppendTextArray(&buf, SPI_getbinval(tup, desc, 7, &isnull));
	}
	if (with_phones)
		appendStringInfo(&buf, ",\"phone\":[%s]", phones->any ? phones->list.data : "");
	if (with_addresses)
	{
		appendStringInfoString(&buf, ",\"address\":");
		AppendTextArray(&buf, SPI_getbinval(tup, desc, 8, &isnull));
	}
	appendStringInfoString(&buf, ",\"labels\":");
	AppendTextArray(&buf, SPI_getbinval(tup, desc, 9, &isnull));
	appendStringInfoString(&buf, ",\"risk_score\":");
	d = SPI_getbinval(tup, desc, 10, &isnull);
	if (isnull)
		appendStringInfoString(&buf, "null");
	else
		appendStringInfo(&buf, "%d", DatumGetInt32(d));
	appendStringInfo(&buf, ",\"e2ee\":%s,\"connected\":%s,\"created\":",
					 DatumGetBool(SPI_getbinval(tup, desc, 11, &isnull)) ? "true" : "false",
					 phones->connected ? "true" : "false");
	AppendTimestamp(&buf, DatumGetTimestampTz(SPI_getbinval(tup, desc, 12, &isnull)));
	appendStringInfoString(&buf, ",\"updated\":");
	AppendTimestamp(&buf, DatumGetTimestampTz(SPI_getbinval(tup, desc, 13, &isnull)));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * contacts_render(user_id bigint, ids bigint[], with_emails, with_phones, with_addresses)
 * → text[]: each id's contact as JSON, in the order of ids; NULL for an id that is not a
 * contact of user_id.
 */
static Datum
ContactsRender(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	static SPIPlanPtr plan;
	int64		user_id = PG_GETARG_INT64(0);
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(1);
	bool		with_emails = PG_GETARG_BOOL(2);
	bool		with_phones = PG_GETARG_BOOL(3);
	bool		with_addresses = PG_GETARG_BOOL(4);
	MemoryContext caller = CurrentMemoryContext;
	Datum	   *id_datums;
	bool	   *id_nulls;
	int			n;
	Rendered   *sorted;
	Phones	   *phones;
	char	  **out;
	Datum	   *result;
	bool	   *result_nulls;
	int			dims[1];
	int			lbs[1] = {1};
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &id_datums, &id_nulls, &n);
	sorted = palloc(sizeof(Rendered) * Max(n, 1));
	phones = palloc0(sizeof(Phones) * Max(n, 1));
	out = palloc0(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		sorted[i].id = id_nulls[i] ? -1 : DatumGetInt64(id_datums[i]);
		sorted[i].index = i;
		initStringInfo(&phones[i].list);
	}
	qsort(sorted, n, sizeof(Rendered), CompareIds);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LoadPhones(user_id, ids, sorted, n, phones, schema);
	spi_exec(spi_plan(&plan,
					  "SELECT c.id, c.user_id, c.external_id, c.display_name, c.birthday, "
					  "c.profile_icon, c.emails, c.addresses, c.labels, c.risk_score, c.e2ee, "
					  "c.created, c.updated "
					  "FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
					  "JOIN privacybee.contacts c ON c.user_id = $1 AND c.id = u.id",
					  2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		int			i = Find(sorted, n, id);
		MemoryContext spi;

		if (i < 0)
			continue;
		/* the text must outlive SPI_finish */
		spi = MemoryContextSwitchTo(caller);
		out[i] = RenderContact(tup, SPI_tuptable->tupdesc, &phones[i], with_emails,
							   with_phones, with_addresses);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();

	/* an id given twice renders twice */
	for (int i = 0; i < n; i++)
		if (out[i] == NULL && !id_nulls[i])
		{
			int			first = Find(sorted, n, DatumGetInt64(id_datums[i]));

			out[i] = out[first];
		}
	result = palloc(sizeof(Datum) * Max(n, 1));
	result_nulls = palloc(sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		result_nulls[i] = out[i] == NULL;
		result[i] = out[i] ? CStringGetTextDatum(out[i]) : (Datum) 0;
	}
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(result, result_nulls, 1, dims, lbs, TEXTOID, -1,
											 false, TYPALIGN_INT));
}

/* 0.1.0: connected by E.164 form */
PG_FUNCTION_INFO_V1(contacts_render);
Datum
contacts_render(PG_FUNCTION_ARGS)
{
	return ContactsRender(fcinfo, SCHEMA_0_1);
}

/* 0.2.0: connected by match key */
PG_FUNCTION_INFO_V1(contacts_render_0_2);
Datum
contacts_render_0_2(PG_FUNCTION_ARGS)
{
	return ContactsRender(fcinfo, SCHEMA_0_2);
}
