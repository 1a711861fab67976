/*
 * tokens.c — privacybee.authenticate(): bearer tokens, stored as SHA-256 of the
 * plaintext (tokens are issued in SQL, sql/logic/20_members.sql).
 *
 * Every route function starts here, so it is one index probe by hash: unknown, expired
 * and revoked tokens are 401 alike (a client learns nothing about which), a token
 * without the route's scope is 403. A service scope (the provider's buzz:lookup; the
 * route registry, api/routes, says which) counts only on a service token (no user): a
 * member's token never carries it (issue_token and the table refuse it), and one that
 * somehow did would still be 403 — it reads every member's contacts through call-lookup.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "privacybee.h"
#include "route_scopes.h"
#include "spi_util.h"
#include "tokens.h"

bytea *
tokens_sha256(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bytea	   *out = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, (uint8 *) VARDATA(out), PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	return out;
}

int64
tokens_authenticate(text *token, const char *scope, bool *user_null)
{
	static SPIPlanPtr plan;
	Oid			types[2] = {BYTEAOID, TEXTOID};
	Datum		values[2];
	bool		isnull,
				has_scope;
	int64		user_id;

	if (token == NULL || VARSIZE_ANY_EXHDR(token) == 0)
		ereport(ERROR, (errcode(ERRCODE_PT_UNAUTHORIZED), errmsg("missing bearer token")));
	values[0] = PointerGetDatum(tokens_sha256(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token)));
	values[1] = CStringGetTextDatum(scope);
	spi_exec(spi_plan(&plan,
					  "SELECT user_id, NOT revoked AND expires_at > pg_catalog.now(), "
					  "$2 = ANY (scopes) FROM privacybee.tokens WHERE token_hash = $1",
					  2, types),
			 values, NULL, true, 1, SPI_OK_SELECT);
	if (SPI_processed == 0 ||
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_PT_UNAUTHORIZED), errmsg("invalid, expired or revoked token")));
	has_scope = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3,
										   &isnull));
	user_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										  user_null));
	if (isnull || !has_scope || (scope_is_service(scope) && !*user_null))
		ereport(ERROR,
				(errcode(ERRCODE_PT_FORBIDDEN), errmsg("token lacks the %s scope", scope)));
	return user_id;
}

/*
 * authenticate(token text, scope text) → bigint: the user behind the token, NULL for a
 * service token; PT401 / PT403 otherwise. The transaction then acts for that member
 * (member_scope.c), or for none.
 */
PG_FUNCTION_INFO_V1(authenticate);
Datum
authenticate(PG_FUNCTION_ARGS)
{
	text	   *token = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	char	   *scope;
	bool		user_null;
	int64		user_id;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("scope must not be null")));
	scope = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	user_id = tokens_authenticate(token, scope, &user_null);
	SPI_finish();
	member_scope_enter(user_null ? 0 : user_id);
	if (user_null)
		PG_RETURN_NULL();
	PG_RETURN_INT64(user_id);
}
