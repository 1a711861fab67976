/*
 * contact_render.c — privacybee.contacts_render(): contacts as the JSON objects of
 * SPEC §4 and §9, a batch at a time.
 *
 * A sync answers with every contact it wrote and a listing with a page of them; rendering
 * them one by one cost a subquery per contact and list. Here a batch costs one statement
 * per table: the contacts (with whether each has a photo), then all their phones (with,
 * for each, whether a member owns that number), emails and tags. Each joins the ids (an
 * "= ANY" over a parameter array would compare every row with every id). Keys come in
 * the documented order, in the API's one compact JSON spelling.
 *
 * 0.2.0: details is rendered whole, every key present (null or [] where there is
 * nothing), from contacts.details (its canonical form, contact_details.c) and the
 * emails and phones rows; the flat fields are its projection (SPEC §9): email = the
 * emails' values, phone = the phones' E.164 (else as written), address = the addresses'
 * formatted, birthday = YYYY-MM-DD or --MM-DD, labels = the tags' names. The view
 * privacybee.contacts_flat is the same projection in SQL (30_contacts.sql; a test holds
 * the two equal). profile_icon is the photo's URL when the contact has a photo.
 *
 * 0.1.0 (contacts_render, the symbol a database not yet updated calls): the flat columns
 * of that schema, as that release wrote them.
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
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "privacybee.h"
#include "spi_util.h"
#include "timestamps.h"

typedef struct Rendered
{
	int64		id;
	int			index;			/* in the ids argument */
} Rendered;

/* What the list statements gathered for one contact. */
typedef struct Phones
{
	StringInfoData list;		/* 0.1.0: the flat phone list, JSON array body */
	bool		any;
	bool		connected;
	/* 0.2.0 */
	StringInfoData flat_phones; /* array bodies, without brackets */
	StringInfoData phones;
	StringInfoData flat_emails;
	StringInfoData emails;
	StringInfoData labels;
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

/* A list item: a comma before all but the first. */
static StringInfo
ListItem(StringInfo list)
{
	if (list->len > 0)
		appendStringInfoChar(list, ',');
	return list;
}

/* ---- 0.1.0 ------------------------------------------------------------------------- */

/* The contacts' phones; connected: a member owns the number (by its KEY columns). */
#define PHONES_SQL(PEOPLE_KEY, KEY) \
	"SELECT p.contact_id, COALESCE(p.e164, p.raw), " \
	"p." KEY " IS NOT NULL AND (EXISTS (SELECT 1 FROM privacybee.people m " \
	"WHERE m." PEOPLE_KEY " = p." KEY ") OR EXISTS (SELECT 1 FROM " \
	"privacybee.buzz_numbers b WHERE b." KEY " = p." KEY " AND b.user_id IS NOT NULL)) " \
	"FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u " \
	"JOIN privacybee.contact_phones p ON p.user_id = $1 AND p.contact_id = u.id " \
	"ORDER BY p.contact_id, p.pos"

static void
LoadPhones01(int64 user_id, ArrayType *ids, Rendered *sorted, int n, Phones *phones)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	spi_exec(spi_plan(&plan, PHONES_SQL("phone_e164", "e164"), 2, types),
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
RenderContact01(HeapTuple tup, TupleDesc desc, Phones *phones, bool with_emails,
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

/* ---- 0.2.0 ------------------------------------------------------------------------- */

/* The members a details object of each kind is rendered with, in order. */
typedef struct Member
{
	const char *key;
	char		kind;			/* 's' string, 'i' integer, 'd' date object */
} Member;

static const Member name_shape[] = {
	{"given", 's'}, {"middle", 's'}, {"family", 's'}, {"prefix", 's'}, {"suffix", 's'}, {NULL}
};
static const Member address_shape[] = {
	{"type", 's'}, {"street", 's'}, {"extended", 's'}, {"city", 's'}, {"region", 's'},
	{"postal_code", 's'}, {"country", 's'}, {"formatted", 's'}, {NULL}
};
static const Member date_shape[] = {{"year", 'i'}, {"month", 'i'}, {"day", 'i'}, {NULL}};
static const Member typed_date_shape[] = {
	{"type", 's'}, {"year", 'i'}, {"month", 'i'}, {"day", 'i'}, {NULL}
};
static const Member organization_shape[] = {
	{"name", 's'}, {"department", 's'}, {"title", 's'}, {"location", 's'},
	{"description", 's'}, {"start_date", 'd'}, {"end_date", 'd'}, {NULL}
};
static const Member value_shape[] = {{"type", 's'}, {"value", 's'}, {NULL}};

static JsonbValue *
Get(JsonbContainer *obj, const char *key, JsonbValue *buf)
{
	return obj ? getKeyJsonValueFromContainer(obj, key, strlen(key), buf) : NULL;
}

static JsonbContainer *
Container(JsonbValue *v, bool array)
{
	if (v == NULL || v->type != jbvBinary)
		return NULL;
	if (array ? !JsonContainerIsArray(v->val.binary.data)
		: !JsonContainerIsObject(v->val.binary.data))
		return NULL;
	return v->val.binary.data;
}

static int
JsonbInt(JsonbValue *v)
{
	return DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
}

static void RenderObject(StringInfo buf, JsonbContainer *obj, const Member *shape);

static void
RenderValue(StringInfo buf, JsonbValue *v, char kind)
{
	if (v && kind == 's' && v->type == jbvString)
		escape_json(buf, pnstrdup(v->val.string.val, v->val.string.len));
	else if (v && kind == 'i' && v->type == jbvNumeric)
		appendStringInfo(buf, "%d", JsonbInt(v));
	else if (kind == 'd' && Container(v, false))
		RenderObject(buf, Container(v, false), date_shape);
	else
		appendStringInfoString(buf, "null");
}

/* obj (NULL: none) with every member of shape, null where it has none. */
static void
RenderObject(StringInfo buf, JsonbContainer *obj, const Member *shape)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; shape[i].key; i++)
	{
		JsonbValue	v;

		if (i > 0)
			appendStringInfoChar(buf, ',');
		escape_json(buf, shape[i].key);
		appendStringInfoChar(buf, ':');
		RenderValue(buf, Get(obj, shape[i].key, &v), shape[i].kind);
	}
	appendStringInfoChar(buf, '}');
}

static void
RenderList(StringInfo buf, JsonbContainer *details, const char *key, const Member *shape)
{
	JsonbValue	v;
	JsonbContainer *arr = Container(Get(details, key, &v), true);
	int			n = arr ? JsonContainerSize(arr) : 0;

	appendStringInfo(buf, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		RenderObject(buf, Container(getIthJsonbValueFromContainer(arr, i), false), shape);
	}
	appendStringInfoChar(buf, ']');
}

/* details (SPEC §9), every key in its order. */
static void
RenderDetails(StringInfo buf, JsonbContainer *details, Phones *lists)
{
	JsonbValue	v;

	appendStringInfoString(buf, "{\"name\":");
	RenderObject(buf, Container(Get(details, "name", &v), false), name_shape);
	appendStringInfo(buf, ",\"emails\":[%s],\"phone_numbers\":[%s]", lists->emails.data,
					 lists->phones.data);
	RenderList(buf, details, "addresses", address_shape);
	appendStringInfoString(buf, ",\"birthday\":");
	RenderValue(buf, Get(details, "birthday", &v), 'd');
	RenderList(buf, details, "dates", typed_date_shape);
	RenderList(buf, details, "organizations", organization_shape);
	RenderList(buf, details, "urls", value_shape);
	RenderList(buf, details, "ims", value_shape);
	RenderList(buf, details, "related_people", value_shape);
	appendStringInfoString(buf, ",\"notes\":");
	RenderValue(buf, Get(details, "notes", &v), 's');
	RenderList(buf, details, "items", value_shape);
	appendStringInfoChar(buf, '}');
}

/* The flat birthday: YYYY-MM-DD, or --MM-DD without a year. */
static void
RenderFlatBirthday(StringInfo buf, JsonbContainer *details)
{
	JsonbValue	v,
				y,
				m,
				d;
	JsonbContainer *b = Container(Get(details, "birthday", &v), false);
	JsonbValue *year = Get(b, "year", &y);
	JsonbValue *month = Get(b, "month", &m);
	JsonbValue *day = Get(b, "day", &d);

	if (!month || !day || month->type != jbvNumeric || day->type != jbvNumeric)
		appendStringInfoString(buf, "null");
	else if (year && year->type == jbvNumeric)
		appendStringInfo(buf, "\"%04d-%02d-%02d\"", JsonbInt(year), JsonbInt(month),
						 JsonbInt(day));
	else
		appendStringInfo(buf, "\"--%02d-%02d\"", JsonbInt(month), JsonbInt(day));
}

static void
RenderFlatAddresses(StringInfo buf, JsonbContainer *details)
{
	JsonbValue	v;
	JsonbContainer *arr = Container(Get(details, "addresses", &v), true);
	int			n = arr ? JsonContainerSize(arr) : 0;

	appendStringInfoString(buf, ",\"address\":[");
	for (int i = 0; i < n; i++)
	{
		JsonbValue	f;
		JsonbValue *formatted = Get(Container(getIthJsonbValueFromContainer(arr, i), false),
									"formatted", &f);

		if (i > 0)
			appendStringInfoChar(buf, ',');
		RenderValue(buf, formatted, 's');
	}
	appendStringInfoChar(buf, ']');
}

/* The contacts' phones; connected: a member owns the number (by match key). */
static void
LoadPhones(int64 user_id, ArrayType *ids, Rendered *sorted, int n, Phones *lists)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	spi_exec(spi_plan(&plan,
					  "SELECT p.contact_id, p.type, p.raw, p.e164, p.is_primary, "
					  "p.match_key IS NOT NULL AND (EXISTS (SELECT 1 FROM privacybee.people m "
					  "WHERE m.phone_match_key = p.match_key) OR EXISTS (SELECT 1 FROM "
					  "privacybee.buzz_numbers b WHERE b.match_key = p.match_key "
					  "AND b.user_id IS NOT NULL)) "
					  "FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
					  "JOIN privacybee.contact_phones p ON p.user_id = $1 AND p.contact_id = u.id "
					  "ORDER BY p.contact_id, p.pos",
					  2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int			i = Find(sorted, n, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));
		StringInfo	list;

		if (i < 0)
			continue;
		list = ListItem(&lists[i].phones);
		appendStringInfoString(list, "{\"type\":");
		AppendTextOrNull(list, tup, desc, 2);
		appendStringInfoString(list, ",\"value\":");
		AppendTextOrNull(list, tup, desc, 3);
		appendStringInfoString(list, ",\"e164\":");
		AppendTextOrNull(list, tup, desc, 4);
		appendStringInfo(list, ",\"primary\":%s}",
						 DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull)) ? "true" : "false");
		/* the flat list: the E.164 form, else the number as written */
		(void) SPI_getbinval(tup, desc, 4, &isnull);
		AppendTextOrNull(ListItem(&lists[i].flat_phones), tup, desc, isnull ? 3 : 4);
		lists[i].connected |= DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	}
}

static void
LoadEmails(int64 user_id, ArrayType *ids, Rendered *sorted, int n, Phones *lists)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	spi_exec(spi_plan(&plan,
					  "SELECT e.contact_id, e.type, e.value, e.is_primary "
					  "FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
					  "JOIN privacybee.contact_emails e ON e.user_id = $1 AND e.contact_id = u.id "
					  "ORDER BY e.contact_id, e.pos",
					  2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int			i = Find(sorted, n, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));
		StringInfo	list;

		if (i < 0)
			continue;
		list = ListItem(&lists[i].emails);
		appendStringInfoString(list, "{\"type\":");
		AppendTextOrNull(list, tup, desc, 2);
		appendStringInfoString(list, ",\"value\":");
		AppendTextOrNull(list, tup, desc, 3);
		appendStringInfo(list, ",\"primary\":%s}",
						 DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull)) ? "true" : "false");
		AppendTextOrNull(ListItem(&lists[i].flat_emails), tup, desc, 3);
	}
}

/* The contacts' labels: their tags' names, in the order given. */
static void
LoadLabels(int64 user_id, ArrayType *ids, Rendered *sorted, int n, Phones *lists)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2] = {Int64GetDatum(user_id), PointerGetDatum(ids)};

	spi_exec(spi_plan(&plan,
					  "SELECT ct.contact_id, t.name "
					  "FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
					  "JOIN privacybee.contact_tags ct ON ct.user_id = $1 AND ct.contact_id = u.id "
					  "JOIN privacybee.tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id "
					  "ORDER BY ct.contact_id, ct.pos",
					  2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int			i = Find(sorted, n, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));

		if (i >= 0)
			AppendTextOrNull(ListItem(&lists[i].labels), tup, desc, 2);
	}
}

/* One contact row (the columns of contacts_sql below) as its JSON object. */
static char *
RenderContact(HeapTuple tup, TupleDesc desc, Phones *lists, bool with_emails,
			  bool with_phones, bool with_addresses)
{
	StringInfoData buf;
	bool		isnull;
	Datum		d;
	int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	Jsonb	   *jb = DatumGetJsonbP(SPI_getbinval(tup, desc, 6, &isnull));
	JsonbContainer *details = JB_ROOT_IS_OBJECT(jb) ? &jb->root : NULL;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\":" INT64_FORMAT ",\"user_id\":" INT64_FORMAT, id,
					 DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)));
	appendStringInfoString(&buf, ",\"external_id\":");
	AppendTextOrNull(&buf, tup, desc, 3);
	appendStringInfoString(&buf, ",\"display_name\":");
	AppendTextOrNull(&buf, tup, desc, 4);
	appendStringInfoString(&buf, ",\"birthday\":");
	RenderFlatBirthday(&buf, details);
	appendStringInfoString(&buf, ",\"profile_icon\":");
	if (DatumGetBool(SPI_getbinval(tup, desc, 12, &isnull)))
		appendStringInfo(&buf, "\"/contacts/" INT64_FORMAT "/photo\"", id);
	else
		AppendTextOrNull(&buf, tup, desc, 5);
	if (with_emails)
		appendStringInfo(&buf, ",\"email\":[%s]", lists->flat_emails.data);
	if (with_phones)
		appendStringInfo(&buf, ",\"phone\":[%s]", lists->flat_phones.data);
	if (with_addresses)
		RenderFlatAddresses(&buf, details);
	appendStringInfo(&buf, ",\"labels\":[%s],\"company_id\":", lists->labels.data);
	d = SPI_getbinval(tup, desc, 7, &isnull);
	if (isnull)
		appendStringInfoString(&buf, "null");
	else
		appendStringInfo(&buf, INT64_FORMAT, DatumGetInt64(d));
	appendStringInfoString(&buf, ",\"details\":");
	RenderDetails(&buf, details, lists);
	appendStringInfoString(&buf, ",\"risk_score\":");
	d = SPI_getbinval(tup, desc, 8, &isnull);
	if (isnull)
		appendStringInfoString(&buf, "null");
	else
		appendStringInfo(&buf, "%d", DatumGetInt32(d));
	appendStringInfo(&buf, ",\"e2ee\":%s,\"connected\":%s,\"created\":",
					 DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull)) ? "true" : "false",
					 lists->connected ? "true" : "false");
	AppendTimestamp(&buf, DatumGetTimestampTz(SPI_getbinval(tup, desc, 10, &isnull)));
	appendStringInfoString(&buf, ",\"updated\":");
	AppendTimestamp(&buf, DatumGetTimestampTz(SPI_getbinval(tup, desc, 11, &isnull)));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The contacts of a batch: the columns RenderContact / RenderContact01 read. */
static const char *const contacts_sql[SCHEMA_COUNT] = {
	[SCHEMA_0_1] =
	"SELECT c.id, c.user_id, c.external_id, c.display_name, c.birthday, "
	"c.profile_icon, c.emails, c.addresses, c.labels, c.risk_score, c.e2ee, "
	"c.created, c.updated "
	"FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
	"JOIN privacybee.contacts c ON c.user_id = $1 AND c.id = u.id",
	[SCHEMA_0_2] =
	"SELECT c.id, c.user_id, c.external_id, c.display_name, c.profile_icon, c.details, "
	"c.company_id, c.risk_score, c.e2ee, c.created, c.updated, "
	"EXISTS (SELECT 1 FROM privacybee.contact_photos ph "
	"WHERE ph.user_id = c.user_id AND ph.contact_id = c.id) "
	"FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($2) AS u(id)) AS u "
	"JOIN privacybee.contacts c ON c.user_id = $1 AND c.id = u.id",
};

/*
 * contacts_render(user_id bigint, ids bigint[], with_emails, with_phones, with_addresses)
 * → text[]: each id's contact as JSON, in the order of ids; NULL for an id that is not a
 * contact of user_id.
 */
static Datum
ContactsRender(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	static SPIPlanPtr plans[SCHEMA_COUNT];
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
	Phones	   *lists;
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
	lists = palloc0(sizeof(Phones) * Max(n, 1));
	out = palloc0(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		sorted[i].id = id_nulls[i] ? -1 : DatumGetInt64(id_datums[i]);
		sorted[i].index = i;
		initStringInfo(&lists[i].list);
		initStringInfo(&lists[i].flat_phones);
		initStringInfo(&lists[i].phones);
		initStringInfo(&lists[i].flat_emails);
		initStringInfo(&lists[i].emails);
		initStringInfo(&lists[i].labels);
	}
	qsort(sorted, n, sizeof(Rendered), CompareIds);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the lists were made in the caller's context, which repalloc keeps: they outlive SPI_finish */
	if (schema == SCHEMA_0_1)
		LoadPhones01(user_id, ids, sorted, n, lists);
	else
	{
		LoadPhones(user_id, ids, sorted, n, lists);
		LoadEmails(user_id, ids, sorted, n, lists);
		LoadLabels(user_id, ids, sorted, n, lists);
	}
	spi_exec(spi_plan(&plans[schema], contacts_sql[schema], 2, types),
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
		out[i] = schema == SCHEMA_0_1
			? RenderContact01(tup, SPI_tuptable->tupdesc, &lists[i], with_emails,
							  with_phones, with_addresses)
			: RenderContact(tup, SPI_tuptable->tupdesc, &lists[i], with_emails,
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

/* 0.1.0: the flat columns, connected by E.164 form */
PG_FUNCTION_INFO_V1(contacts_render);
Datum
contacts_render(PG_FUNCTION_ARGS)
{
	return ContactsRender(fcinfo, SCHEMA_0_1);
}

/* 0.2.0: details, tags, photos; connected by match key */
PG_FUNCTION_INFO_V1(contacts_render_0_2);
Datum
contacts_render_0_2(PG_FUNCTION_ARGS)
{
	return ContactsRender(fcinfo, SCHEMA_0_2);
}
