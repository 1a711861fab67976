/*
 * webhooks.c — the signature of a webhook delivery (SPEC §11):
 *
 *   X-Privacybee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
 *
 * keyed with the webhook's secret. It is computed inside the database, by the function
 * that hands the delivery process a due batch (sql/logic/70_webhooks.sql), so a secret
 * never leaves the database after webhooks' create answer: the delivery process
 * receives the body and its signature, never the key.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

/*
 * webhook_signature(secret text, t bigint, body text) → text
 * "t=<t>,v1=<64 hex digits>": the header's value.
 */
PG_FUNCTION_INFO_V1(webhook_signature);
Datum
webhook_signature(PG_FUNCTION_ARGS)
{
	text	   *secret = PG_GETARG_TEXT_PP(0);
	int64		t = PG_GETARG_INT64(1);
	text	   *body = PG_GETARG_TEXT_PP(2);
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char		prefix[32];
	char		hex[2 * PG_SHA256_DIGEST_LENGTH + 1];
	int			prefix_len = snprintf(prefix, sizeof(prefix), INT64_FORMAT ".", t);

	if (ctx == NULL ||
		pg_hmac_init(ctx, (const uint8 *) VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) prefix, prefix_len) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body)) < 0 ||
		pg_hmac_final(ctx, mac, sizeof(mac)) < 0)
		elog(ERROR, "could not compute HMAC-SHA256: %s", pg_hmac_error(ctx));
	pg_hmac_free(ctx);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("t=" INT64_FORMAT ",v1=%s", t, hex)));
}
