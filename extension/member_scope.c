/*
 * member_scope.c — the member a transaction acts for, which the row-level security
 * policies read (sql/logic/95_row_security.sql).
 *
 * authenticate() sets it, transaction-locally, once it has proved the token; the
 * policies compare user_id with rls_member(). It is a superuser-only setting, so a
 * session cannot claim a member by SET: only the C code that checked a token moves it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "ids.h"
#include "privacybee.h"

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
