/*
 * trust.c — privacybee.trust_eval(): the trust graph of SPEC §5 evaluated live for one
 * (member, number) pair.
 *
 * This is the definition the materialised trusted_numbers is kept equal to (its triggers
 * call it for every pair a change can affect) and checked against (trust_verify). Numbers
 * are compared by match key (phone_match.c), so any E.164 form of a line may be asked
 * about. One plan, prepared once per backend, probes only indexes: the owners of the
 * number (people, buzz_numbers, company_phones by match key), then the member's edges,
 * contacts and memberships, and the contacts of the teams of those memberships.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "phone_match.h"
#include "privacybee.h"
#include "spi_util.h"

/*
 * The rules of SPEC §5 over the owners of number $2 (by its KEY columns) and member $1;
 * TEAMS, a further reason to trust (0.2.0: a contact of a team the member works for,
 * SPEC §10), or nothing.
 */
#define TRUST_SQL(PEOPLE_KEY, KEY, TEAMS) \
	"WITH owners AS (" \
	"  SELECT p.id AS person_id FROM privacybee.people p WHERE p." PEOPLE_KEY " = $2" \
	"  UNION SELECT b.user_id FROM privacybee.buzz_numbers b" \
	"        WHERE b." KEY " = $2 AND b.user_id IS NOT NULL)," \
	" companies AS (SELECT cp.company_id FROM privacybee.company_phones cp WHERE cp." KEY " = $2) " \
	"SELECT EXISTS (SELECT 1 FROM privacybee.people r WHERE r.id = $1)" \
	/* 1. no explicit untrust of an owner */ \
	" AND NOT EXISTS (SELECT 1 FROM privacybee.trust_edges e" \
	"      WHERE e.user_id = $1 AND NOT e.trusted" \
	"        AND ((e.target_type = 'person' AND e.target_id IN (SELECT person_id FROM owners))" \
	"          OR (e.target_type = 'company' AND e.target_id IN (SELECT company_id FROM companies))))" \
	/* 2. a reason to trust */ \
	" AND (EXISTS (SELECT 1 FROM owners o WHERE o.person_id = $1)" \
	"   OR EXISTS (SELECT 1 FROM privacybee.contact_phones c WHERE c.user_id = $1 AND c." KEY " = $2)" \
	"   OR EXISTS (SELECT 1 FROM owners o JOIN privacybee.trust_edges e" \
	"                ON e.user_id = $1 AND e.target_type = 'person'" \
	"               AND e.target_id = o.person_id AND e.trusted)" \
	"   OR EXISTS (SELECT 1 FROM owners o" \
	"                JOIN privacybee.employees co ON co.person_id = o.person_id" \
	"                JOIN privacybee.employees me ON me.company_id = co.company_id" \
	"               AND me.person_id = $1)" \
	"   OR EXISTS (SELECT 1 FROM companies k JOIN privacybee.trust_edges e" \
	"                ON e.user_id = $1 AND e.target_type = 'company'" \
	"               AND e.target_id = k.company_id AND e.trusted)" \
	"   OR EXISTS (SELECT 1 FROM companies k JOIN privacybee.employees me" \
	"                ON me.company_id = k.company_id AND me.person_id = $1)" \
	TEAMS ")"

/* a contact of the account of a team (a company, SPEC §10) the member works for */
#define TEAM_CONTACTS \
	"   OR EXISTS (SELECT 1 FROM privacybee.employees me" \
	"                JOIN privacybee.people t ON t.team_of = me.company_id" \
	"                JOIN privacybee.contact_phones c ON c.user_id = t.id AND c.match_key = $2" \
	"               WHERE me.person_id = $1)"

static const char *const trust_sql[SCHEMA_COUNT] = {
	[SCHEMA_0_1] = TRUST_SQL("phone_e164", "e164", ""),
	[SCHEMA_0_2] = TRUST_SQL("phone_match_key", "match_key", TEAM_CONTACTS),
};

static Datum
TrustEval(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	static SPIPlanPtr plans[SCHEMA_COUNT];
	text	   *e164 = PG_GETARG_TEXT_PP(1);
	char		key[PHONE_E164_BUFSIZE];
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)};
	bool		isnull;
	bool		trusted;

	if (schema >= SCHEMA_0_2)
	{
		/* what is not a number has no key and is never trusted */
		if (!phone_match_key_of(VARDATA_ANY(e164), VARSIZE_ANY_EXHDR(e164), key))
			PG_RETURN_BOOL(false);
		values[1] = CStringGetTextDatum(key);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec(spi_plan(&plans[schema], trust_sql[schema], 2, types), values, NULL, true, 1,
			 SPI_OK_SELECT);
	trusted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										 &isnull));
	SPI_finish();
	PG_RETURN_BOOL(!isnull && trusted);
}

/* trust_eval(user_id bigint, e164 text) → may e164 ring member user_id? (0.1.0: by E.164) */
PG_FUNCTION_INFO_V1(trust_eval);
Datum
trust_eval(PG_FUNCTION_ARGS)
{
	return TrustEval(fcinfo, SCHEMA_0_1);
}

/* trust_eval(user_id bigint, e164 text), 0.2.0: any E.164 form of a line, by match key */
PG_FUNCTION_INFO_V1(trust_eval_0_2);
Datum
trust_eval_0_2(PG_FUNCTION_ARGS)
{
	return TrustEval(fcinfo, SCHEMA_0_2);
}
