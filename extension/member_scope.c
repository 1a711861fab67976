/*
 * member_scope.c — the member a transaction acts for, which the row-level security
 * policies read (sql/logic/95_row_security.sql).
 *
 * authenticate() sets it, transaction-locally, once it has proved the token; the
 * policies compare user_id with rls_member(). act_for_team() moves it from an employee
 * to their team's account (SPEC §10), once it has seen the employment (member_teams(), the
 * one test of membership, sql/logic/38_cplus.sql). It is a superuser-only setting, so a
 * session cannot claim a member by SET: only the C code that checked a token moves it.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "ids.h"
#include "privacybee.h"
#include "problems.h"
#include "spi_util.h"

/* 0 means no member: every owned row is hidden */
static int64 current_member = 0;
static char *member_setting = NULL;

static bool
check_member_id(char **newval, void **extra, GucSource source)
{
	int64		id = 0;
	int64	   *parsed;

	if (*newval != NULL && **newval != '\0' && !id_from_digits(*newval, strlen(*newval), &id))
	{
		GUC_check_errdetail("privacybee.member_id must be an id or empty.");
		return false;
	}
	/* GUC frees extra with free(), so it must come from malloc */
	parsed = malloc(sizeof(int64));
	if (parsed == NULL)
		return false;
	*parsed = id;
	*extra = parsed;
	return true;
}

static void
assign_member_id(const char *newval, void *extra)
{
	current_member = *(int64 *) extra;
}

void
member_scope_define_setting(void)
{
	DefineCustomStringVariable("privacybee.member_id",
							   "The member the current transaction acts for (row-level security).",
							   "Set by authenticate(); empty when no member is authenticated.",
							   &member_setting, "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_NO_RESET_ALL,
							   check_member_id, assign_member_id, NULL);
}

/* Acts for user_id until the transaction ends; user_id <= 0 acts for no member. */
void
member_scope_enter(int64 user_id)
{
	char		buf[32];

	if (user_id > 0)
		snprintf(buf, sizeof(buf), INT64_FORMAT, user_id);
	else
		buf[0] = '\0';
	(void) set_config_option("privacybee.member_id", buf, PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* The member acting, 0 when none. */
int64
member_scope_current(void)
{
	return current_member > 0 ? current_member : 0;
}

/* rls_member() → bigint: the member acting, NULL when none. */
PG_FUNCTION_INFO_V1(rls_member);
Datum
rls_member(PG_FUNCTION_ARGS)
{
	if (current_member <= 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(current_member);
}

/*
 * The account of company team_id (values[0]), made when it has none; 0 when it has none
 * and this transaction is read-only (a HEAD, a hot standby), which cannot make it.
 */
static int64
TeamAccount(Datum *values, Oid *types)
{
	static SPIPlanPtr make_plan;
	static SPIPlanPtr account_plan;
	bool		isnull;

	for (int attempt = 0; attempt < 2; attempt++)
	{
		spi_exec(spi_plan(&account_plan,
						  "SELECT p.id FROM privacybee.people p WHERE p.team_of = $1", 1, types),
				 values, NULL, attempt == 0, 1, SPI_OK_SELECT);
		if (SPI_processed == 1)
			return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											   &isnull));
		if (attempt > 0 || XactReadOnly)
			break;
		spi_exec(spi_plan(&make_plan,
						  "INSERT INTO privacybee.people (first_name, last_name, team_of) "
						  "SELECT c.name, '', c.id FROM privacybee.companies c WHERE c.id = $1 "
						  "AND privacybee.shard_count() = 1 "
						  "ON CONFLICT (team_of) DO NOTHING", 1, types),
				 values, NULL, false, 0, SPI_OK_INSERT);
	}
	return 0;
}

/*
 * act_for_team(team_id bigint) → bigint: when the member the transaction acts for works
 * for company team_id (SPEC §10: a team), the transaction acts for the team's account from
 * now on, whose id it returns; the account (a people row whose team_of is the company) is
 * made on the team's first use — on one database: a shard of the sharded layout has it from
 * the company's creation (put_team_account(), docs/sharding.md), and never makes one itself
 * (its own id would be another person's: people ids are drawn on shard 0). A read-only
 * transaction cannot make it: before the team's first use it acts for no account and
 * returns 0 (the team has no rows yet, and none are seen). Anything else — no member
 * acting, another company, no such company, a NULL — is PT404 naming teamId, and the scope
 * is left as it was: fails closed. The employee's own id must be read before
 * (rls_member()), if the caller needs it.
 */
PG_FUNCTION_INFO_V1(act_for_team);
Datum
act_for_team(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr employed_plan;
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2];
	int64		member = member_scope_current();
	int64		account = 0;
	bool		employed;

	if (PG_ARGISNULL(0) || member <= 0)
		employed = false;
	else
	{
		values[0] = PG_GETARG_DATUM(0);
		values[1] = Int64GetDatum(member);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		spi_exec(spi_plan(&employed_plan,
						  "SELECT 1 FROM privacybee.member_teams($2) AS t(id) WHERE t.id = $1",
						  2, types),
				 values, NULL, true, 1, SPI_OK_SELECT);
		employed = SPI_processed == 1;
		if (employed)
			account = TeamAccount(values, types);
		SPI_finish();
	}
	if (!employed || (account <= 0 && !XactReadOnly))
	{
		Problems	p;

		problems_init(&p);
		problems_add(&p, "", "teamId", "not found");
		problems_raise_as(&p, ERRCODE_PT_NOT_FOUND, "team not found");
	}
	member_scope_enter(account > 0 ? account : 0);
	PG_RETURN_INT64(account > 0 ? account : 0);
}
