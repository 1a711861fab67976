/*
 * contacts_sync.c — privacybee.sync_contacts() and update_contact(): the contact upsert.
 *
 * A sync is atomic: every item is validated first, then the items' targets are resolved
 * and locked (by id, or by external_id so that a retried sync updates instead of
 * duplicating), and only then is anything written. Writes are set-based — one INSERT,
 * one UPDATE and one phones rewrite per batch, whatever its size — through plans
 * prepared once per backend. The result lists the contact ids in input order.
 *
 * Since 0.2.0 (the *_0_2 symbols, privacybee.h; the plain ones keep serving a 0.1.0
 * schema):
 *  * before anything is read, the member is locked (privacybee.trust_lock_caller): a
 *    contact's phones move the member's trust decisions, which every such change
 *    serialises (sql/logic/50_trust_graph.sql). That serialises the member's own syncs
 *    too, so a retry running while the first attempt is still in flight finds that
 *    attempt's contacts by external_id and updates them: both answer 200, same ids;
 *  * an external_id whose contact was deleted within the tombstone period is
 *    not re-created by a stale client: the item is not written and its result is the
 *    tombstone's id (api_contacts_sync renders the tombstone), unless it says
 *    "restore": true — then the contact is created again under its old id and the
 *    tombstone goes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "contact_input.h"
#include "member_region.h"
#include "phone.h"
#include "privacybee.h"
#include "spi_util.h"

typedef struct Batch
{
	int64		user_id;
	char		region[4];		/* where the member dials from: phones are read so */
	int			n;
	ContactInput *items;
	bool		single;			/* PUT/PATCH: field names have no "[i]." prefix */
	int64		single_id;		/* and the contact is the URL's, whatever the body says */
	bool		single_missing; /* the URL's id can be no contact's: 404 once validated */
	SchemaVersion schema;		/* 0.1.0: no member lock, no tombstone by external_id */
} Batch;

static ArrayType *
Int8Array(int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static ArrayType *
Int4Array(int32 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(values[i]);
	return construct_array(d, n, INT4OID, 4, true, TYPALIGN_INT);
}

/* text[] from C strings; a NULL pointer is an SQL NULL. */
static ArrayType *
TextArray(char **values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = values[i] == NULL;
		d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	return construct_md_array(d, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

/* Serialise with every other change to the member's trust decisions (file header). */
static void
LockMember(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(b->user_id)};

	spi_exec(spi_plan(&plan, "SELECT privacybee.trust_lock_caller($1)", 1, types),
			 values, NULL, false, 0, SPI_OK_SELECT);
}

/* Validate every item (in the member's region) before anything is written. */
static void
ParseItems(Batch *b, JsonbValue **items)
{
	Problems	p;

	problems_init(&p);
	for (int i = 0; i < b->n; i++)
	{
		char	   *prefix = b->single ? "" : psprintf("[%d].", i);

		contact_input_parse(items[i], prefix, b->region, b->schema, &b->items[i], &p);
		if (b->items[i].has_restore && b->schema < SCHEMA_0_2)
			problems_add(&p, prefix, "restore", "is not a contact field");
		else if (b->single && b->items[i].has_restore)
			problems_add(&p, prefix, "restore", "applies only to an item of a sync");
	}
	if (p.count > 0)
		problems_raise(&p);
	if (b->single)
	{
		b->items[0].has_id = true;
		b->items[0].id = b->single_id;
	}
}

/* The same contact twice in one batch would make the result depend on order. */
static void
CheckDuplicates(Batch *b)
{
	Problems	p;

	problems_init(&p);
	for (int i = 0; i < b->n; i++)
		for (int j = 0; j < i; j++)
		{
			ContactInput *a = &b->items[j];
			ContactInput *c = &b->items[i];

			if ((a->exists && c->exists && a->target_id == c->target_id) ||
				(!a->exists && !c->exists && a->external_id && c->external_id &&
				 (a->present & c->present & CF_EXTERNAL_ID) &&
				 strcmp(a->external_id, c->external_id) == 0))
			{
				problems_add(&p, psprintf("[%d].", i), c->has_id ? "id" : "external_id",
							 psprintf("names the same contact as [%d]", j));
				break;
			}
		}
	if (p.count > 0)
		problems_raise(&p);
}

/* The external_id item i leaves its contact with, when it gives one; NULL otherwise. */
static const char *
GivenExternalId(Batch *b, int i)
{
	ContactInput *in = &b->items[i];

	if (in->tombstoned || !in->external_id)
		return NULL;
	return in->has_id ? ((in->present & CF_EXTERNAL_ID) ? in->external_id : NULL)
		: in->external_id;
}

/*
 * An external_id is one contact's (a unique index): an item giving its contact one that
 * another contact has, or that another item gives too, is a 409 naming the item's
 * external_id and the contact that has it — never the unique index's own error, which
 * names no field. A retry cannot succeed, so nothing says to retry. Race-free: the
 * member's contacts are written under the member's lock (LockMember).
 */
static void
CheckExternalIds(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, TEXTARRAYOID};
	char	  **ext = palloc(sizeof(char *) * b->n);
	int			n = 0;
	Datum		values[2];
	Problems	p;

	problems_init(&p);
	for (int i = 0; i < b->n; i++)
	{
		const char *e = GivenExternalId(b, i);

		if (e == NULL)
			continue;
		for (int j = 0; j < i; j++)
		{
			const char *f = GivenExternalId(b, j);

			if (f && strcmp(e, f) == 0 &&
				!(b->items[i].exists && b->items[j].exists &&
				  b->items[i].target_id == b->items[j].target_id))
			{
				problems_add(&p, b->single ? "" : psprintf("[%d].", i), "external_id",
							 psprintf("is given to another contact by [%d]", j));
				break;
			}
		}
		if (b->items[i].has_id)
			ext[n++] = (char *) e;
	}
	if (n > 0)
	{
		values[0] = Int64GetDatum(b->user_id);
		values[1] = PointerGetDatum(TextArray(ext, n));
		spi_exec(spi_plan(&plan,
						  "SELECT external_id, id FROM privacybee.contacts "
						  "WHERE user_id = $1 AND external_id = ANY ($2)",
						  2, types),
				 values, NULL, false, 0, SPI_OK_SELECT);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			char	   *e = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
														 SPI_tuptable->tupdesc, 2, &isnull));

			for (int i = 0; i < b->n; i++)
			{
				const char *given = GivenExternalId(b, i);

				if (b->items[i].has_id && given && strcmp(given, e) == 0 &&
					b->items[i].target_id != id)
					problems_add(&p, b->single ? "" : psprintf("[%d].", i), "external_id",
								 psprintf("is the external_id of contact " INT64_FORMAT, id));
			}
		}
	}
	if (p.count > 0)
		problems_raise_as(&p, ERRCODE_PT_CONFLICT,
						  "an external_id given is another contact's: choose another, or clear it there first");
}

/*
 * Lock the contacts named by id; every one must be the caller's. With has_version, each
 * must be at if_version (412 otherwise).
 */
static void
ResolveIds(Batch *b, bool has_version, int32 if_version)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int			nids = 0;
	Datum		values[2];

	for (int i = 0; i < b->n; i++)
		if (b->items[i].has_id && !(b->single && b->single_missing))
			ids[nids++] = b->items[i].id;
	if (nids == 0 && !(b->single && b->single_missing))
		return;

	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, nids));
	spi_exec(spi_plan(&plan,
					"SELECT id, version FROM privacybee.contacts "
					"WHERE user_id = $1 AND id = ANY ($2) FOR UPDATE",
					2, types),
			values, NULL, false, 0, SPI_OK_SELECT);

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
													 SPI_tuptable->tupdesc, 1, &isnull));
		int32		version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r],
														  SPI_tuptable->tupdesc, 2, &isnull));

		for (int i = 0; i < b->n; i++)
			if (b->items[i].has_id && b->items[i].id == id)
			{
				b->items[i].exists = true;
				b->items[i].target_id = id;
			}
		if (has_version && version != if_version)
			ereport(ERROR,
					(errcode(ERRCODE_PT_PRECONDITION_FAILED),
					 errmsg("contact %lld is not at version %d", (long long) id, if_version),
					 errhint("Fetch the contact again and retry with its current version.")));
	}
	for (int i = 0; i < b->n; i++)
		if (b->items[i].has_id && !b->items[i].exists)
		{
			Problems	p;

			/* the URL's id is no field of the body: its 404 is every route's (path_id) */
			if (b->single)
				ereport(ERROR, (errcode(ERRCODE_PT_NOT_FOUND), errmsg("contact not found")));
			problems_init(&p);
			problems_add(&p, psprintf("[%d].", i), "id", "not found");
			problems_raise_as(&p, ERRCODE_PT_NOT_FOUND, psprintf("contact [%d] not found", i));
		}
}

/* Lock the contacts named by external_id; items without a match will be created. */
static void
ResolveExternalIds(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, TEXTARRAYOID};
	char	  **ext = palloc(sizeof(char *) * b->n);
	int			n = 0;
	Datum		values[2];

	for (int i = 0; i < b->n; i++)
		if (!b->items[i].has_id && b->items[i].external_id)
			ext[n++] = b->items[i].external_id;
	if (n == 0)
		return;

	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(TextArray(ext, n));
	spi_exec(spi_plan(&plan,
					"SELECT external_id, id FROM privacybee.contacts "
					"WHERE user_id = $1 AND external_id = ANY ($2) FOR UPDATE",
					2, types),
			values, NULL, false, 0, SPI_OK_SELECT);

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		char	   *e = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
													 SPI_tuptable->tupdesc, 2, &isnull));

		for (int i = 0; i < b->n; i++)
			if (!b->items[i].has_id && b->items[i].external_id &&
				strcmp(b->items[i].external_id, e) == 0)
			{
				b->items[i].exists = true;
				b->items[i].target_id = id;
			}
	}
}

/*
 * Items naming by external_id a contact that does not exist but was deleted within the
 * tombstone period: the tombstone stands (the item is not written, its result is the
 * tombstone's id), or with "restore": true the contact comes back under its old id.
 */
static void
ResolveTombstones(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, TEXTARRAYOID};
	char	  **ext = palloc(sizeof(char *) * b->n);
	int			n = 0;
	Datum		values[2];

	for (int i = 0; i < b->n; i++)
		if (!b->items[i].has_id && !b->items[i].exists && b->items[i].external_id)
			ext[n++] = b->items[i].external_id;
	if (n == 0)
		return;

	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(TextArray(ext, n));
	spi_exec(spi_plan(&plan,
					  "SELECT DISTINCT ON (t.external_id) t.external_id, t.contact_id "
					  "FROM privacybee.contact_tombstones t "
					  "WHERE t.user_id = $1 AND t.external_id = ANY ($2) "
					  "AND t.deleted_at >= pg_catalog.now() - privacybee.tombstone_period() "
					  "ORDER BY t.external_id, t.deleted_at DESC, t.contact_id DESC",
					  2, types),
			 values, NULL, false, 0, SPI_OK_SELECT);

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		char	   *e = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
													 SPI_tuptable->tupdesc, 2, &isnull));

		for (int i = 0; i < b->n; i++)
		{
			ContactInput *in = &b->items[i];

			if (!in->has_id && !in->exists && in->external_id &&
				strcmp(in->external_id, e) == 0)
			{
				in->target_id = id;
				in->restored = in->restore;
				in->tombstoned = !in->restore;
			}
		}
	}
}

/* The restored contacts exist again: their tombstones go. */
static void
DropRestoredTombstones(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int			n = 0;
	Datum		values[2];

	for (int i = 0; i < b->n; i++)
		if (b->items[i].restored)
			ids[n++] = b->items[i].target_id;
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	spi_exec(spi_plan(&plan,
					  "DELETE FROM privacybee.contact_tombstones "
					  "WHERE user_id = $1 AND contact_id = ANY ($2)",
					  2, types),
			 values, NULL, false, 0, SPI_OK_DELETE);
}

static void
CheckCreatable(Batch *b)
{
	Problems	p;

	problems_init(&p);
	for (int i = 0; i < b->n; i++)
		if (!b->items[i].exists && !b->items[i].tombstoned &&
			!(b->items[i].present & CF_DISPLAY_NAME))
			problems_add(&p, b->single ? "" : psprintf("[%d].", i), "display_name",
						 "is required");
	if (p.count > 0)
		problems_raise(&p);
}

static void
AllocateIds(Batch *b, int ncreate)
{
	static SPIPlanPtr plan;
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(ncreate)};
	int			r = 0;

	spi_exec(spi_plan(&plan,
					"SELECT pg_catalog.nextval('privacybee.contacts_id_seq') "
					"FROM pg_catalog.generate_series(1, $1)",
					1, types),
			values, NULL, false, 0, SPI_OK_SELECT);
	for (int i = 0; i < b->n; i++)
		if (!b->items[i].exists && !b->items[i].tombstoned && !b->items[i].restored)
		{
			bool		isnull;

			b->items[i].target_id =
				DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r++],
											SPI_tuptable->tupdesc, 1, &isnull));
		}
}

/* ---- writing --------------------------------------------------------------------------
 * Each writer is one statement for the whole batch, over arrays with one entry per item
 * (or per list entry), through a plan prepared once per schema.
 */

/* A text[] literal of the strings, as 0.1.0's contacts columns take it. */
static char *
Literal(char **values, int n)
{
	StringInfoData lit;

	initStringInfo(&lit);
	appendStringInfoChar(&lit, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&lit, ',');
		appendStringInfoChar(&lit, '"');
		for (const char *s = values[i]; *s; s++)
		{
			if (*s == '"' || *s == '\\')
				appendStringInfoChar(&lit, '\\');
			appendStringInfoChar(&lit, *s);
		}
		appendStringInfoChar(&lit, '"');
	}
	appendStringInfoChar(&lit, '}');
	return lit.data;
}

static char *
EmailsLiteral(ContactInput *in)
{
	char	  **values = palloc(sizeof(char *) * Max(in->nemails, 1));

	for (int i = 0; i < in->nemails; i++)
		values[i] = in->emails[i].value;
	return Literal(values, in->nemails);
}

/* The keys of details an item gives, as a text[] literal: they are replaced. */
static char *
DetailsKeysLiteral(ContactInput *in)
{
	char	   *keys[DK_COUNT];
	int			n = 0;

	for (int k = 0; k < DK_COUNT; k++)
		if (in->details_present & (1 << k))
			keys[n++] = (char *) details_compact_keys[k];
	return Literal(keys, n);
}

static bool
Written(ContactInput *in)
{
	return !in->tombstoned;
}

/*
 * The items' company_external_id become company ids; every company named must exist
 * (404 naming the field otherwise, as for a contact id).
 */
static void
ResolveCompanies(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8ARRAYOID, TEXTARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	char	  **ext = palloc(sizeof(char *) * b->n);
	int			nids = 0,
				next = 0;
	Datum		values[2];
	Problems	p;

	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (!(in->present & CF_COMPANY) || !Written(in))
			continue;
		if (in->company_external_id)
			ext[next++] = in->company_external_id;
		else if (in->company_id)
			ids[nids++] = in->company_id;
	}
	if (nids + next == 0)
		return;
	values[0] = PointerGetDatum(Int8Array(ids, nids));
	values[1] = PointerGetDatum(TextArray(ext, next));
	spi_exec(spi_plan(&plan,
					  "SELECT c.id, c.external_id FROM privacybee.companies c "
					  "WHERE c.id = ANY ($1) OR c.external_id = ANY ($2)",
					  2, types),
			 values, NULL, true, 0, SPI_OK_SELECT);

	problems_init(&p);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];
		bool		found = false;

		if (!(in->present & CF_COMPANY) || !Written(in) ||
			(!in->company_external_id && !in->company_id))
			continue;
		for (uint64 r = 0; r < SPI_processed && !found; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			char	   *e = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);

			if (in->company_external_id ? (e && strcmp(e, in->company_external_id) == 0)
				: id == in->company_id)
			{
				in->company_id = id;
				found = true;
			}
		}
		if (!found)
			problems_add(&p, b->single ? "" : psprintf("[%d].", i),
						 in->company_external_id ? "company_external_id" : "company_id",
						 "names no company");
	}
	if (p.count > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PT_NOT_FOUND),
				 errmsg("company not found: %s", p.first),
				 errdetail("[%s]", p.json.data)));
}

/* company ids as an int8[] with NULL for none */
static ArrayType *
CompanyArray(int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = values[i] == 0;
		d[i] = Int64GetDatum(values[i]);
	}
	return construct_md_array(d, nulls, 1, dims, lbs, INT8OID, 8, FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE);
}

/* 0.1.0: the flat columns */
static void
InsertNew01(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[8] = {INT8OID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	char	  **cols[6];
	int			n = 0;
	Datum		values[8];

	for (int c = 0; c < 6; c++)
		cols[c] = palloc(sizeof(char *) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (in->exists || in->tombstoned)
			continue;
		ids[n] = in->target_id;
		cols[0][n] = in->external_id;
		cols[1][n] = in->display_name;
		cols[2][n] = in->birthday;
		cols[3][n] = EmailsLiteral(in);
		cols[4][n] = Literal(in->addresses, in->naddresses);
		cols[5][n] = Literal(in->labels, in->nlabels);
		n++;
	}
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	for (int c = 0; c < 6; c++)
		values[2 + c] = PointerGetDatum(TextArray(cols[c], n));
	spi_exec(spi_plan(&plan,
					"INSERT INTO privacybee.contacts "
					"(user_id, id, external_id, display_name, birthday, emails, addresses, labels) "
					"SELECT $1, t.id, t.ext, t.name, t.bday::pg_catalog.date, "
					"t.emails::pg_catalog.text[], t.addrs::pg_catalog.text[], "
					"t.labels::pg_catalog.text[] "
					"FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8)) "
					"AS t(id, ext, name, bday, emails, addrs, labels)",
					8, types),
			values, NULL, false, 0, SPI_OK_INSERT);
}

static void
UpdateExisting01(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[9] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int32	   *masks = palloc(sizeof(int32) * b->n);
	char	  **cols[6];
	int			n = 0;
	Datum		values[9];

	for (int c = 0; c < 6; c++)
		cols[c] = palloc(sizeof(char *) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (!in->exists)
			continue;
		ids[n] = in->target_id;
		masks[n] = in->present;
		cols[0][n] = in->external_id;
		cols[1][n] = in->display_name;
		cols[2][n] = in->birthday;
		cols[3][n] = EmailsLiteral(in);
		cols[4][n] = Literal(in->addresses, in->naddresses);
		cols[5][n] = Literal(in->labels, in->nlabels);
		n++;
	}
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	values[2] = PointerGetDatum(Int4Array(masks, n));
	for (int c = 0; c < 6; c++)
		values[3 + c] = PointerGetDatum(TextArray(cols[c], n));
	spi_exec(spi_plan(&plan,
					"UPDATE privacybee.contacts c SET "
					"external_id = CASE WHEN t.mask & 1 <> 0 THEN t.ext ELSE c.external_id END, "
					"display_name = CASE WHEN t.mask & 2 <> 0 THEN t.name ELSE c.display_name END, "
					"birthday = CASE WHEN t.mask & 4 <> 0 THEN t.bday::pg_catalog.date ELSE c.birthday END, "
					"emails = CASE WHEN t.mask & 8 <> 0 THEN t.emails::pg_catalog.text[] ELSE c.emails END, "
					"addresses = CASE WHEN t.mask & 16 <> 0 THEN t.addrs::pg_catalog.text[] ELSE c.addresses END, "
					"labels = CASE WHEN t.mask & 32 <> 0 THEN t.labels::pg_catalog.text[] ELSE c.labels END, "
					"version = c.version + 1, updated = pg_catalog.now() "
					"FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9)) "
					"AS t(id, mask, ext, name, bday, emails, addrs, labels) "
					"WHERE c.user_id = $1 AND c.id = t.id",
					9, types),
			values, NULL, false, 0, SPI_OK_UPDATE);
}

/* 0.2.0: the contact row (details compact); lists go to their tables below */
static void
InsertNew(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[6] = {INT8OID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, INT8ARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int64	   *companies = palloc(sizeof(int64) * b->n);
	char	  **cols[3];
	int			n = 0;
	Datum		values[6];

	for (int c = 0; c < 3; c++)
		cols[c] = palloc(sizeof(char *) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (in->exists || in->tombstoned)
			continue;
		ids[n] = in->target_id;
		cols[0][n] = in->external_id;
		cols[1][n] = in->display_name;
		cols[2][n] = in->details.data;
		companies[n] = in->company_id;
		n++;
	}
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	for (int c = 0; c < 3; c++)
		values[2 + c] = PointerGetDatum(TextArray(cols[c], n));
	values[5] = PointerGetDatum(CompanyArray(companies, n));
	spi_exec(spi_plan(&plan,
					  "INSERT INTO privacybee.contacts "
					  "(user_id, id, external_id, display_name, details, company_id) "
					  "SELECT $1, t.id, t.ext, t.name, t.details::pg_catalog.jsonb, t.company "
					  "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), "
					  "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) "
					  "AS t(id, ext, name, details, company)",
					  6, types),
			 values, NULL, false, 0, SPI_OK_INSERT);
}

/*
 * Every existing item: its given fields (the mask), details by key (the keys given are
 * replaced, a key given as null or empty is removed); version and updated move.
 */
static void
UpdateExisting(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[8] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int32	   *masks = palloc(sizeof(int32) * b->n);
	int64	   *companies = palloc(sizeof(int64) * b->n);
	char	  **cols[4];
	int			n = 0;
	Datum		values[8];

	for (int c = 0; c < 4; c++)
		cols[c] = palloc(sizeof(char *) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (!in->exists)
			continue;
		ids[n] = in->target_id;
		masks[n] = in->present;
		cols[0][n] = in->external_id;
		cols[1][n] = in->display_name;
		cols[2][n] = in->details.data;
		cols[3][n] = DetailsKeysLiteral(in);
		companies[n] = in->company_id;
		n++;
	}
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	values[2] = PointerGetDatum(Int4Array(masks, n));
	for (int c = 0; c < 4; c++)
		values[3 + c] = PointerGetDatum(TextArray(cols[c], n));
	values[7] = PointerGetDatum(CompanyArray(companies, n));
	spi_exec(spi_plan(&plan,
					  "UPDATE privacybee.contacts c SET "
					  "external_id = CASE WHEN t.mask & " CppAsString2(CF_EXTERNAL_ID) " <> 0 THEN t.ext ELSE c.external_id END, "
					  "display_name = CASE WHEN t.mask & " CppAsString2(CF_DISPLAY_NAME) " <> 0 THEN t.name ELSE c.display_name END, "
					  "details = CASE WHEN t.mask & " CppAsString2(CF_DETAILS) " <> 0 "
					  "THEN (c.details OPERATOR(pg_catalog.-) t.keys::pg_catalog.text[]) "
					  "OPERATOR(pg_catalog.||) t.details::pg_catalog.jsonb ELSE c.details END, "
					  "company_id = CASE WHEN t.mask & " CppAsString2(CF_COMPANY) " <> 0 THEN t.company ELSE c.company_id END, "
					  "version = c.version + 1, updated = pg_catalog.now() "
					  "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), "
					  "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), "
					  "pg_catalog.unnest($7), pg_catalog.unnest($8)) "
					  "AS t(id, mask, ext, name, details, keys, company) "
					  "WHERE c.user_id = $1 AND c.id = t.id",
					  8, types),
			 values, NULL, false, 0, SPI_OK_UPDATE);
}

/* The items (written, existing) that carry field: their contact ids. */
static ArrayType *
Replaced(Batch *b, int field, int *n)
{
	int64	   *ids = palloc(sizeof(int64) * b->n);

	*n = 0;
	for (int i = 0; i < b->n; i++)
		if ((b->items[i].present & field) && Written(&b->items[i]) && b->items[i].exists)
			ids[(*n)++] = b->items[i].target_id;
	return Int8Array(ids, *n);
}

static void
DeleteRows(Batch *b, SPIPlanPtr *plan, const char *sql, int field)
{
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2];
	int			n;

	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Replaced(b, field, &n));
	if (n > 0)
		spi_exec(spi_plan(plan, sql, 2, types), values, NULL, false, 0, SPI_OK_DELETE);
}

/*
 * Replace the phone (or email) lists of every item that carries one: the rows of the
 * replaced lists go, then every given entry is inserted with its position.
 */
static void
RewriteValues(Batch *b, bool phones)
{
	static SPIPlanPtr del_plans[2][SCHEMA_COUNT];
	static SPIPlanPtr ins_plans[2][SCHEMA_COUNT];
	static const char *const del_sql[2] = {
		"DELETE FROM privacybee.contact_emails WHERE user_id = $1 AND contact_id = ANY ($2)",
		"DELETE FROM privacybee.contact_phones WHERE user_id = $1 AND contact_id = ANY ($2)",
	};
	static const char *const ins_sql[2][SCHEMA_COUNT] = {
		{NULL,
			"INSERT INTO privacybee.contact_emails (user_id, contact_id, pos, value, type, is_primary) "
			"SELECT $1, t.cid, t.pos, t.value, t.type, t.is_primary "
			"FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
			"pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) "
		"AS t(cid, pos, value, e164, type, is_primary)"},
		{"INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164) "
			"SELECT $1, t.cid, t.pos, t.value, t.e164 "
			"FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
			"pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) "
			"AS t(cid, pos, value, e164, type, is_primary)",
			"INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164, type, is_primary) "
			"SELECT $1, t.cid, t.pos, t.value, t.e164, t.type, t.is_primary "
			"FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
			"pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) "
		"AS t(cid, pos, value, e164, type, is_primary)"},
	};
	Oid			types[7] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, BOOLARRAYOID};
	int			field = phones ? CF_PHONES : CF_EMAILS;
	int			total = 0;
	int64	   *cids;
	int32	   *pos;
	char	  **value,
			  **e164,
			  **type;
	Datum	   *primary;
	int			k = 0;
	Datum		values[7];

	DeleteRows(b, &del_plans[phones][b->schema], del_sql[phones], field);
	for (int i = 0; i < b->n; i++)
		if ((b->items[i].present & field) && Written(&b->items[i]))
			total += phones ? b->items[i].nphones : b->items[i].nemails;
	if (total == 0)
		return;

	cids = palloc(sizeof(int64) * total);
	pos = palloc(sizeof(int32) * total);
	value = palloc(sizeof(char *) * total);
	e164 = palloc(sizeof(char *) * total);
	type = palloc(sizeof(char *) * total);
	primary = palloc(sizeof(Datum) * total);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];
		int			n = phones ? in->nphones : in->nemails;
		ContactValue *list = phones ? in->phones : in->emails;

		if (!(in->present & field) || !Written(in))
			continue;
		for (int j = 0; j < n; j++)
		{
			cids[k] = in->target_id;
			pos[k] = j + 1;
			value[k] = list[j].value;
			e164[k] = list[j].e164;
			type[k] = list[j].type;
			primary[k] = BoolGetDatum(list[j].primary);
			k++;
		}
	}
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(cids, k));
	values[2] = PointerGetDatum(Int4Array(pos, k));
	values[3] = PointerGetDatum(TextArray(value, k));
	values[4] = PointerGetDatum(TextArray(e164, k));
	values[5] = PointerGetDatum(TextArray(type, k));
	values[6] = PointerGetDatum(construct_array(primary, k, BOOLOID, 1, true, TYPALIGN_CHAR));
	spi_exec(spi_plan(&ins_plans[phones][b->schema], ins_sql[phones][b->schema], 7, types),
			 values, NULL, false, 0, SPI_OK_INSERT);
}

/*
 * Replace the tags of every item that carries labels: tags named for the first time are
 * created, in the order named (a name is one tag whatever its case, and a concurrent
 * creation is absorbed by ON CONFLICT), then each contact's list is written again in the
 * order given.
 */
static void
RewriteTags(Batch *b)
{
	static SPIPlanPtr del_plan;
	static SPIPlanPtr tag_plan;
	static SPIPlanPtr ins_plan;
	Oid			tag_types[2] = {INT8OID, TEXTARRAYOID};
	Oid			ins_types[4] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID};
	int			total = 0;
	int64	   *cids;
	int32	   *pos;
	char	  **names;
	int			k = 0;
	Datum		values[4];

	DeleteRows(b, &del_plan,
			   "DELETE FROM privacybee.contact_tags WHERE user_id = $1 AND contact_id = ANY ($2)",
			   CF_LABELS);
	for (int i = 0; i < b->n; i++)
		if ((b->items[i].present & CF_LABELS) && Written(&b->items[i]))
			total += b->items[i].nlabels;
	if (total == 0)
		return;
	cids = palloc(sizeof(int64) * total);
	pos = palloc(sizeof(int32) * total);
	names = palloc(sizeof(char *) * total);
	for (int i = 0; i < b->n; i++)
	{
		ContactInput *in = &b->items[i];

		if (!(in->present & CF_LABELS) || !Written(in))
			continue;
		for (int j = 0; j < in->nlabels; j++)
		{
			cids[k] = in->target_id;
			pos[k] = j + 1;
			names[k] = in->labels[j];
			k++;
		}
	}
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(TextArray(names, k));
	spi_exec(spi_plan(&tag_plan,
					  "INSERT INTO privacybee.tags (user_id, name) "
					  "SELECT $1, f.name FROM (SELECT DISTINCT ON (privacybee.casefold(t.name)) t.name, t.ord "
					  "FROM pg_catalog.unnest($2) WITH ORDINALITY AS t(name, ord) "
					  "ORDER BY privacybee.casefold(t.name), t.ord) AS f ORDER BY f.ord "
					  "ON CONFLICT (user_id, privacybee.casefold(name)) DO NOTHING",
					  2, tag_types),
			 values, NULL, false, 0, SPI_OK_INSERT);
	values[1] = PointerGetDatum(Int8Array(cids, k));
	values[2] = PointerGetDatum(Int4Array(pos, k));
	values[3] = PointerGetDatum(TextArray(names, k));
	spi_exec(spi_plan(&ins_plan,
					  "INSERT INTO privacybee.contact_tags (user_id, contact_id, tag_id, pos) "
					  "SELECT $1, t.cid, g.id, t.pos "
					  "FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) "
					  "AS t(cid, pos, name) "
					  "JOIN privacybee.tags g ON g.user_id = $1 "
					  "AND privacybee.casefold(g.name) = privacybee.casefold(t.name)",
					  4, ins_types),
			 values, NULL, false, 0, SPI_OK_INSERT);
}

/* The search documents of every contact written (contacts_reindex, 30_contacts.sql). */
static void
Reindex(Batch *b)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	int64	   *ids = palloc(sizeof(int64) * b->n);
	int			n = 0;
	Datum		values[2];

	for (int i = 0; i < b->n; i++)
		if (Written(&b->items[i]))
			ids[n++] = b->items[i].target_id;
	if (n == 0)
		return;
	values[0] = Int64GetDatum(b->user_id);
	values[1] = PointerGetDatum(Int8Array(ids, n));
	spi_exec(spi_plan(&plan, "SELECT privacybee.contacts_reindex($1, $2)", 2, types),
			 values, NULL, false, 0, SPI_OK_SELECT);
}

/* Validate, resolve, then write. */
static void
SyncBatch(Batch *b, JsonbValue **items, bool has_version, int32 if_version)
{
	int			ncreate = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (b->schema >= SCHEMA_0_2)
		LockMember(b);
	member_region(b->user_id, b->region);
	ParseItems(b, items);
	ResolveIds(b, has_version, if_version);
	ResolveExternalIds(b);
	if (b->schema >= SCHEMA_0_2)
		ResolveTombstones(b);
	CheckCreatable(b);
	CheckDuplicates(b);
	CheckExternalIds(b);
	if (b->schema >= SCHEMA_0_2)
		ResolveCompanies(b);
	for (int i = 0; i < b->n; i++)
		ncreate += !b->items[i].exists && !b->items[i].tombstoned && !b->items[i].restored;
	if (ncreate > 0)
		AllocateIds(b, ncreate);
	if (b->schema >= SCHEMA_0_2)
	{
		InsertNew(b);
		UpdateExisting(b);
		RewriteValues(b, false);
		RewriteValues(b, true);
		RewriteTags(b);
		Reindex(b);
	}
	else
	{
		InsertNew01(b);
		UpdateExisting01(b);
		RewriteValues(b, true);
	}
	DropRestoredTombstones(b);
	SPI_finish();
}

static Datum
ResultIds(Batch *b)
{
	int64	   *ids = palloc(sizeof(int64) * Max(b->n, 1));

	for (int i = 0; i < b->n; i++)
		ids[i] = b->items[i].target_id;
	return PointerGetDatum(Int8Array(ids, b->n));
}

/*
 * sync_contacts(user_id bigint, contacts jsonb) → bigint[]: upsert a batch atomically,
 * returning the contact ids in input order (a tombstone's where an item met one).
 */
static Datum
SyncContacts(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	Batch		b = {.user_id = PG_GETARG_INT64(0), .schema = schema};
	Jsonb	   *body = PG_GETARG_JSONB_P(1);

	if (!JB_ROOT_IS_ARRAY(body) || JB_ROOT_IS_SCALAR(body))
		ereport(ERROR,
				(errcode(ERRCODE_PT_BAD_REQUEST),
				 errmsg("body must be a JSON array of contacts")));
	b.n = JB_ROOT_COUNT(body);
	if (b.n > privacybee_max_sync_items)
		ereport(ERROR,
				(errcode(ERRCODE_PT_BAD_REQUEST),
				 errmsg("a sync may carry at most %d contacts, this one has %d",
						privacybee_max_sync_items, b.n)));
	b.items = palloc0(sizeof(ContactInput) * Max(b.n, 1));
	if (b.n > 0)
	{
		JsonbValue **items = palloc(sizeof(JsonbValue *) * b.n);

		for (int i = 0; i < b.n; i++)
			items[i] = getIthJsonbValueFromContainer(&body->root, i);
		SyncBatch(&b, items, false, 0);
	}
	PG_RETURN_DATUM(ResultIds(&b));
}

PG_FUNCTION_INFO_V1(sync_contacts);
Datum
sync_contacts(PG_FUNCTION_ARGS)
{
	return SyncContacts(fcinfo, SCHEMA_0_1);
}

PG_FUNCTION_INFO_V1(sync_contacts_0_2);
Datum
sync_contacts_0_2(PG_FUNCTION_ARGS)
{
	return SyncContacts(fcinfo, SCHEMA_0_2);
}

/*
 * update_contact(user_id bigint, contact_id bigint, contact jsonb, if_version integer)
 * → bigint: update one contact; the id in the URL wins over one in the body. A NULL
 * contact_id names no contact: the body is validated, then 404, as for another member's
 * contact. A non-NULL if_version that is not the contact's current version is PT412.
 */
static Datum
UpdateContact(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	Batch		b = {.n = 1, .single = true, .schema = schema};
	Jsonb	   *body;
	bool		has_version = !PG_ARGISNULL(3);
	int32		if_version = has_version ? PG_GETARG_INT32(3) : 0;
	JsonbValue	item;
	JsonbValue *items[1] = {&item};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("user_id and contact must not be null")));
	b.user_id = PG_GETARG_INT64(0);
	b.single_missing = PG_ARGISNULL(1);
	b.single_id = b.single_missing ? 0 : PG_GETARG_INT64(1);
	body = PG_GETARG_JSONB_P(2);
	if (!JB_ROOT_IS_OBJECT(body))
		ereport(ERROR,
				(errcode(ERRCODE_PT_BAD_REQUEST),
				 errmsg("body must be a JSON object")));
	item.type = jbvBinary;
	item.val.binary.data = &body->root;
	item.val.binary.len = VARSIZE(body) - VARHDRSZ;
	b.items = palloc0(sizeof(ContactInput));
	SyncBatch(&b, items, has_version, if_version);
	PG_RETURN_INT64(b.single_id);
}

PG_FUNCTION_INFO_V1(update_contact);
Datum
update_contact(PG_FUNCTION_ARGS)
{
	return UpdateContact(fcinfo, SCHEMA_0_1);
}

PG_FUNCTION_INFO_V1(update_contact_0_2);
Datum
update_contact_0_2(PG_FUNCTION_ARGS)
{
	return UpdateContact(fcinfo, SCHEMA_0_2);
}

/*
 * contact_problems(user_id bigint, contact jsonb) → jsonb: what the writers (sync_contacts,
 * update_contact) would refuse in one 0.2.0 contact object of user_id, as the
 * [{"field", "problem"}] their 400 names, without writing or raising ([] when none). The
 * one validator, asked beforehand by a caller that keeps what does not fit another way
 * (CardDAV keeps such a vCard property verbatim: 70_carddav.sql dav_card_fit()).
 */
PG_FUNCTION_INFO_V1(contact_problems);
Datum
contact_problems(PG_FUNCTION_ARGS)
{
	Jsonb	   *body = PG_GETARG_JSONB_P(1);
	char		region[4];
	JsonbValue	item;
	ContactInput in;
	Problems	p;

	memset(&in, 0, sizeof(in));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	member_region(PG_GETARG_INT64(0), region);
	SPI_finish();
	problems_init(&p);
	if (!JB_ROOT_IS_OBJECT(body))
		problems_add(&p, "", "", "must be a contact object");
	else
	{
		item.type = jbvBinary;
		item.val.binary.data = &body->root;
		item.val.binary.len = VARSIZE(body) - VARHDRSZ;
		contact_input_parse(&item, "", region, SCHEMA_0_2, &in, &p);
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(psprintf("[%s]", p.json.data))));
}
