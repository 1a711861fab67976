/*
 * activity.c — privacybee.activity_since(): the activity feed "since id".
 *
 * A member sees every activity where they, or a company they belong to, is sender or
 * receiver. activity_parties holds one row per (party, activity), indexed by
 * (party_type, party_id, activity_id), so each of the member's parties is one ordered
 * index range scan; this function merges those short ordered lists (one per party:
 * the member plus their companies) and stops after limit + 1 distinct ids, instead of
 * letting the planner collect and sort every match.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "spi_util.h"

typedef struct PartyIds
{
	int64	   *ids;
	int			n;
	int			next;
} PartyIds;

/* The member's parties: ('person', user_id) and ('company', c) for each company. */
static int
LoadParties(int64 user_id, char ***types, int64 **ids)
{
	static SPIPlanPtr plan;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(user_id)};
	int			n;

	spi_exec(spi_plan(&plan,
					  "SELECT 'person'::text, $1 UNION ALL "
					  "SELECT 'company', e.company_id FROM privacybee.employees e "
					  "WHERE e.person_id = $1",
					  1, argtypes),
			 values, NULL, true, 0, SPI_OK_SELECT);
	n = (int) SPI_processed;
	*types = palloc(sizeof(char *) * n);
	*ids = palloc(sizeof(int64) * n);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		(*types)[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		(*ids)[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc, 2, &isnull));
	}
	return n;
}

/* The first limit activity ids of one party after since_id, ascending. */
static void
LoadPartyIds(const char *type, int64 party_id, int64 since_id, int limit, PartyIds *out)
{
	static SPIPlanPtr plan;
	Oid			argtypes[4] = {TEXTOID, INT8OID, INT8OID, INT4OID};
	Datum		values[4] = {CStringGetTextDatum(type), Int64GetDatum(party_id),
	Int64GetDatum(since_id), Int32GetDatum(limit)};

	spi_exec(spi_plan(&plan,
					  "SELECT p.activity_id FROM privacybee.activity_parties p "
					  "WHERE p.party_type = $1 AND p.party_id = $2 AND p.activity_id > $3 "
					  "ORDER BY p.activity_id LIMIT $4",
					  4, argtypes),
			 values, NULL, true, 0, SPI_OK_SELECT);
	out->n = (int) SPI_processed;
	out->next = 0;
	out->ids = palloc(sizeof(int64) * Max(out->n, 1));
	for (int i = 0; i < out->n; i++)
	{
		bool		isnull;

		out->ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 1, &isnull));
	}
}

/*
 * activity_since(user_id bigint, since_id bigint, lim integer) → bigint[]: ids of the
 * member's activities after since_id, ascending, at most lim + 1 (one more than asked
 * tells the caller that more remain).
 */
PG_FUNCTION_INFO_V1(activity_since);
Datum
activity_since(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	int64		since_id = PG_GETARG_INT64(1);
	int32		lim = PG_GETARG_INT32(2);
	char	  **types;
	int64	   *party_ids;
	int			nparties;
	PartyIds   *lists;
	int64	   *result;
	int			nresult = 0;
	Datum	   *datums;
	MemoryContext caller = CurrentMemoryContext;

	if (lim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("limit must be positive")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nparties = LoadParties(user_id, &types, &party_ids);
	lists = palloc(sizeof(PartyIds) * Max(nparties, 1));
	for (int i = 0; i < nparties; i++)
		LoadPartyIds(types[i], party_ids[i], since_id, lim + 1, &lists[i]);

	result = palloc(sizeof(int64) * (lim + 1));
	while (nresult < lim + 1)
	{
		int64		smallest = PG_INT64_MAX;
		bool		found = false;

		for (int i = 0; i < nparties; i++)
			if (lists[i].next < lists[i].n && lists[i].ids[lists[i].next] < smallest)
			{
				smallest = lists[i].ids[lists[i].next];
				found = true;
			}
		if (!found)
			break;
		/* an activity between two of the member's parties is in both lists */
		for (int i = 0; i < nparties; i++)
			if (lists[i].next < lists[i].n && lists[i].ids[lists[i].next] == smallest)
				lists[i].next++;
		result[nresult++] = smallest;
	}

	/* the array must outlive SPI_finish: build it in the caller's context */
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		datums = palloc(sizeof(Datum) * Max(nresult, 1));
		for (int i = 0; i < nresult; i++)
			datums[i] = Int64GetDatum(result[i]);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	PG_RETURN_ARRAYTYPE_P(construct_array(datums, nresult, INT8OID, 8, FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}
