/*
 * oauth.c — privacybee.oauth_holder(): whose an OAuth 2.0 code, refresh token or access
 * token is, for the token and revocation endpoints (sql/logic/75_oauth.sql).
 *
 * Like authenticate(), it runs before anyone knows which member's rows to read: the code
 * or token is found by the SHA-256 of its plaintext, across members (SECURITY DEFINER,
 * owned by privacybee_system). Only when it was issued to the client whose id and secret
 * the request presents does the transaction then act for its member (member_scope.c): the
 * SQL that judges it (expired, spent, bound to another redirect URI or PKCE challenge)
 * reads and writes that member's rows under row security, and nothing else. Anything
 * else — unknown, another client's, a wrong client secret, a NULL — acts for no member.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "privacybee.h"
#include "spi_util.h"
#include "tokens.h"

typedef enum HeldKind
{
	HELD_CODE,
	HELD_REFRESH_TOKEN,
	HELD_ACCESS_TOKEN,
	HELD_COUNT
} HeldKind;

/* $1 the secret's hash, $2 the client_id, $3 the client secret's hash → its member */
#define OF_CLIENT "JOIN privacybee.oauth_clients c ON c.client_id = g.client_id " \
	"AND c.client_id = $2 AND c.secret_hash = $3 "

static const struct
{
	const char *name;
	const char *sql;
}			held[HELD_COUNT] = {
	[HELD_CODE] = {"code",
		"SELECT g.user_id FROM privacybee.oauth_codes g " OF_CLIENT "WHERE g.code_hash = $1"},
	[HELD_REFRESH_TOKEN] = {"refresh_token",
		"SELECT g.user_id FROM privacybee.oauth_refresh_tokens r "
		"JOIN privacybee.oauth_grants g ON g.user_id = r.user_id AND g.id = r.grant_id "
		OF_CLIENT "WHERE r.token_hash = $1"},
	[HELD_ACCESS_TOKEN] = {"access_token",
		"SELECT g.user_id FROM privacybee.tokens t "
		"JOIN privacybee.oauth_grants g ON g.user_id = t.user_id AND g.id = t.grant_id "
		OF_CLIENT "WHERE t.token_hash = $1"},
};

/*
 * oauth_holder(kind text, secret text, client_id text, client_secret text) → bigint: the
 * member whose code ('code'), refresh token ('refresh_token') or access token
 * ('access_token') secret is, when it was issued to that client and the client secret is
 * the client's; the transaction then acts for that member. NULL otherwise, acting for no
 * member.
 */
PG_FUNCTION_INFO_V1(oauth_holder);
Datum
oauth_holder(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plans[HELD_COUNT];
	Oid			types[3] = {BYTEAOID, TEXTOID, BYTEAOID};
	Datum		values[3];
	HeldKind	kind = HELD_COUNT;
	int64		user_id = 0;
	bool		isnull = true;

	if (!PG_ARGISNULL(0))
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

		for (int k = 0; k < HELD_COUNT; k++)
			if (strcmp(name, held[k].name) == 0)
				kind = (HeldKind) k;
		if (kind == HELD_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown kind of OAuth secret \"%s\"", name),
					 errhint("It is code, refresh_token or access_token.")));
	}
	member_scope_enter(0);
	if (kind == HELD_COUNT || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	values[0] = PointerGetDatum(tokens_sha256(VARDATA_ANY(PG_GETARG_TEXT_PP(1)),
											  VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1))));
	values[1] = PointerGetDatum(PG_GETARG_TEXT_PP(2));
	values[2] = PointerGetDatum(tokens_sha256(VARDATA_ANY(PG_GETARG_TEXT_PP(3)),
											  VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(3))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec(spi_plan(&plans[kind], held[kind].sql, 3, types), values, NULL, true, 1,
			 SPI_OK_SELECT);
	if (SPI_processed == 1)
		user_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											  1, &isnull));
	SPI_finish();
	if (isnull || user_id <= 0)
		PG_RETURN_NULL();
	member_scope_enter(user_id);
	PG_RETURN_INT64(user_id);
}
