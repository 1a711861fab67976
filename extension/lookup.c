/*
 * lookup.c — privacybee.api_trust_lookup(): may this call ring? The hot path of the
 * service: the telephony provider asks it for every call to a Buzz number.
 *
 * One call is: authenticate the service token (one probe), normalise both numbers (C),
 * then one prepared statement that finds the receiving member by Buzz number and probes
 * trusted_numbers — the materialised trust graph — for the caller's match key (so a line
 * known under another of its E.164 forms matches, phone_match.c). It takes no lock: the
 * changes that move trust serialise among themselves and commit trusted_numbers whole
 * (sql/logic/50_trust_graph.sql). Nothing is written
 * when the call is trusted; an untrusted call to a member lands in blocked_calls (once
 * per call_sid), with its webhook events (SPEC §11). Parameters come from the query
 * string, form or JSON body; ones we do not know are ignored, as telephony webhooks send
 * many. The provider's own webhook fields
 * stand in for ours (To for number_code + number, From for inbound_code + inbound,
 * CallSid, CallerName), and a call whose STIR/SHAKEN verification failed (StirVerstat
 * "TN-Validation-Failed-…") is never trusted: every rule trusts a number, and that number
 * may be spoofed.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "phone.h"
#include "phone_match.h"
#include "privacybee.h"
#include "problems.h"
#include "route_scopes.h"
#include "spi_util.h"
#include "tokens.h"

typedef struct CallParams
{
	char	   *number_code;	/* "" when the number came whole, as To */
	char	   *number;
	char	   *inbound_code;	/* "" when the number came whole, as From */
	char	   *inbound;
	char	   *caller_id;
	char	   *call_sid;
	bool		spoofed;		/* STIR/SHAKEN verification failed */
} CallParams;

/*
 * A string or number field of a JSON object, as text; NULL when absent, null or a
 * boolean. An array or object is 400: a parameter the provider repeated arrives as the
 * array of its values (privacybee-fcgi), and one call cannot have two of them.
 */
static char *
FieldOf(Jsonb *obj, const char *key, bool quiet)
{
	JsonbValue	k;
	JsonbValue *v;

	if (obj == NULL)
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&obj->root, JB_FOBJECT, &k);
	if (v == NULL)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvBinary && !quiet)
		bad_field(key, "must be one string or number");
	return NULL;
}

static char *
Field(Jsonb *obj, const char *key)
{
	return FieldOf(obj, key, false);
}

/* The body's field wins over the query string's, as params || body would. */
static char *
CallParam(Jsonb *params, Jsonb *body, const char *key)
{
	char	   *v = Field(body, key);

	return v ? v : Field(params, key);
}

static void
Required(const char *value, const char *field)
{
	if (value == NULL)
		bad_field(field, "is required");
}

/* s (palloc'd) cut to at most max characters (not bytes). */
static char *
Clip(char *s, int max)
{
	if (s)
	{
		int			len = strlen(s);
		int			keep = pg_mbcliplen(s, len, max);

		if (keep < len)
			s[keep] = '\0';
	}
	return s;
}

/* Ours if given, else the provider's field (a whole number: code ""). */
static void
NumberParams(Jsonb *params, Jsonb *body, const char *code_key, const char *number_key,
			 const char *provider_key, char **code, char **number)
{
	*code = CallParam(params, body, code_key);
	*number = CallParam(params, body, number_key);
	if (*code == NULL && *number == NULL && (*number = CallParam(params, body, provider_key)))
		*code = pstrdup("");
	Required(*code, code_key);
	Required(*number, number_key);
}

static void
ReadParams(Jsonb *params, Jsonb *body, CallParams *p)
{
	char	   *verstat;

	if (body && !JB_ROOT_IS_OBJECT(body))
		ereport(ERROR, (errcode(ERRCODE_PT_BAD_REQUEST), errmsg("body must be a JSON object")));
	NumberParams(params, body, "number_code", "number", "To", &p->number_code, &p->number);
	NumberParams(params, body, "inbound_code", "inbound", "From", &p->inbound_code, &p->inbound);
	p->call_sid = CallParam(params, body, "call_sid");
	if (p->call_sid == NULL)
		p->call_sid = CallParam(params, body, "CallSid");
	verstat = CallParam(params, body, "StirVerstat");
	p->spoofed = verstat && strncmp(verstat, "TN-Validation-Failed", 20) == 0;
	if (p->call_sid && pg_mbstrlen(p->call_sid) > 256)
		bad_field("call_sid", "must be at most 256 characters");
	Clip(p->inbound_code, 16);
	Clip(p->inbound, 64);
	p->caller_id = CallParam(params, body, "caller_id");
	if (p->caller_id == NULL)
		p->caller_id = CallParam(params, body, "CallerName");
	Clip(p->caller_id, 256);
}

/* code + national number, or (code "") a whole number as the provider sends it. */
static bool
Normalize(const char *code, const char *number, char *out)
{
	if (*code == '\0')
		return phone_normalize(number, strlen(number), "US", out);
	return phone_normalize_parts(code, strlen(code), number, strlen(number), out);
}

static Datum
TextOrNull(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

#define INSERT_BLOCKED \
	"INSERT INTO privacybee.blocked_calls " \
	"(user_id, caller_id, inbound_code, inbound, e164, call_sid) " \
	"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, call_sid) DO NOTHING"

/*
 * Since 0.2.0, when the receiver has a webhook naming call.blocked (the probe says so,
 * ResolveCall), the insert writes that webhook's event in the same statement (SPEC §11),
 * with the data GET /apps/buzz/blocked shows (blocked_call_json), and the transaction
 * wakes the delivery process when it started that webhook's queue (webhook_queue_empty,
 * sql/logic/70_webhooks.sql). A member without one costs the hot path nothing more than
 * an index probe inside the probe it makes anyway: a statement trigger on blocked_calls,
 * like the other outbox writes (sql/logic/70_webhooks.sql), cost every blocked call a
 * third more (0.40 → 0.54 ms in pgbench), and an insert that always tried the events
 * (a CTE joining webhooks) a fifth more.
 */
#define INSERT_BLOCKED_TOLD \
	"WITH b AS (" INSERT_BLOCKED " RETURNING *), " \
	"told AS (SELECT w.user_id, w.id AS webhook_id, " \
	"privacybee.blocked_call_json(b::privacybee.blocked_calls) AS data " \
	"FROM b JOIN privacybee.webhooks w ON w.user_id = b.user_id AND w.enabled " \
	"AND 'call.blocked' = ANY (w.trigger_ids)), " \
	"queued AS (INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data) " \
	"SELECT t.user_id, t.webhook_id, 'call.blocked', t.data FROM told t ORDER BY t.webhook_id) " \
	"SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(t.user_id, t.webhook_id)) FROM told t"

/*
 * The blocked-call log is a log: the caller is waiting on the line for our answer, so
 * its transaction does not wait for the WAL flush (synchronous_commit off, for this
 * transaction only). A database crash may lose the last fraction of a second of blocked
 * calls — and their webhook events with them, never one without the other; trust
 * decisions and every other write stay fully durable.
 */
static void
RecordBlocked(int64 receiver, const CallParams *p, const char *caller, bool told)
{
	static SPIPlanPtr plain;
	static SPIPlanPtr with_events;
	static SPIPlanPtr wake;
	Oid			types[6] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[7] = "      ";
	bool		isnull = true;

	(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	values[0] = Int64GetDatum(receiver);
	values[1] = TextOrNull(p->caller_id, &nulls[1]);
	values[2] = TextOrNull(p->inbound_code, &nulls[2]);
	values[3] = TextOrNull(p->inbound, &nulls[3]);
	values[4] = TextOrNull(caller, &nulls[4]);
	values[5] = TextOrNull(p->call_sid, &nulls[5]);
	if (!told)
	{
		spi_exec(spi_plan(&plain, INSERT_BLOCKED, 6, types), values, nulls, false, 0, SPI_OK_INSERT);
		return;
	}
	/* true: the event started a webhook's queue, so the delivery process is woken */
	spi_exec(spi_plan(&with_events, INSERT_BLOCKED_TOLD, 6, types), values, nulls, false, 0,
			 SPI_OK_SELECT);
	if (SPI_processed == 1 && DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1, &isnull)) &&
		!isnull)
		spi_exec(spi_plan(&wake, "SELECT privacybee.webhook_wake()", 0, NULL),
				 NULL, NULL, false, 0, SPI_OK_SELECT);
}

/* A call as the provider described it, resolved against our tables. */
typedef struct Call
{
	CallParams	p;
	char		caller_e164[PHONE_E164_BUFSIZE];
	bool		caller_valid;
	bool		has_receiver;	/* the receiving number is a member's Buzz number */
	int64		receiver;
	bool		trusted;
	bool		told;			/* a webhook of the receiver names call.blocked */
} Call;

/*
 * The receiver by Buzz number, whether trusted_numbers holds the caller ($2), and (since
 * 0.2.0) whether a webhook of theirs is told of blocked calls.
 */
#define PROBE_SQL(KEY, TOLD) \
	"SELECT b.user_id, EXISTS (SELECT 1 FROM privacybee.trusted_numbers t " \
	"WHERE t.user_id = b.user_id AND t." KEY " = $2), " TOLD " " \
	"FROM privacybee.buzz_numbers b WHERE b.e164 = $1 AND b.user_id IS NOT NULL"

static const char *const probe_sql[SCHEMA_COUNT] = {
	[SCHEMA_0_1] = PROBE_SQL("e164", "false"),
	[SCHEMA_0_2] = PROBE_SQL("match_key",
							 "EXISTS (SELECT 1 FROM privacybee.webhooks w WHERE w.user_id = b.user_id "
							 "AND w.enabled AND 'call.blocked' = ANY (w.trigger_ids))"),
};

/*
 * Read the parameters, normalise both numbers, find the receiver and probe trust: by the
 * caller's E.164 form for a 0.1.0 schema, by its match key since 0.2.0.
 */
static void
ResolveCall(Jsonb *params, Jsonb *body, Call *c, SchemaVersion schema)
{
	static SPIPlanPtr probes[SCHEMA_COUNT];
	char		receiver_e164[PHONE_E164_BUFSIZE];
	char		caller_key[PHONE_E164_BUFSIZE];

	ReadParams(params, body, &c->p);
	c->has_receiver = false;
	c->trusted = false;
	c->told = false;
	c->caller_valid = Normalize(c->p.inbound_code, c->p.inbound, c->caller_e164);
	if (c->caller_valid && schema >= SCHEMA_0_2)
		c->caller_valid = phone_match_key_of(c->caller_e164, strlen(c->caller_e164), caller_key);
	else if (c->caller_valid)
		strlcpy(caller_key, c->caller_e164, sizeof(caller_key));
	if (Normalize(c->p.number_code, c->p.number, receiver_e164))
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		values[2];
		char		vnulls[2] = {' ', c->caller_valid ? ' ' : 'n'};

		values[0] = CStringGetTextDatum(receiver_e164);
		values[1] = c->caller_valid ? CStringGetTextDatum(caller_key) : (Datum) 0;
		spi_exec(spi_plan(&probes[schema], probe_sql[schema], 2, types),
				 values, vnulls, true, 1, SPI_OK_SELECT);
		if (SPI_processed == 1)
		{
			bool		isnull;

			c->has_receiver = true;
			c->receiver = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1, &isnull));
			c->trusted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 2, &isnull)) &&
				!c->p.spoofed;
			c->told = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 3, &isnull));
		}
	}
}

/*
 * api_trust_lookup(token, arg, params jsonb, body jsonb, if_match, if_none_match)
 * → http_response
 * {"trusted": bool, "user_id": receiver or null}
 */
static Datum
TrustLookup(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	text	   *token = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	Jsonb	   *params = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	Jsonb	   *body = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	Call		c;
	bool		user_null;
	char		json[96];
	TupleDesc	desc;
	Datum		result[3];
	bool		nulls[3] = {false, true, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "api_trust_lookup must return privacybee.http_response");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	tokens_authenticate(token, ROUTE_SCOPE_API_TRUST_LOOKUP, &user_null);
	ResolveCall(params, body, &c, schema);
	/*
	 * Not on HEAD, which privacybee-fcgi runs read-only (fcgi/db.c): HEAD is safe (RFC
	 * 9110 §9.2.1), and answers as GET would without logging the call.
	 */
	if (c.has_receiver && !c.trusted && !XactReadOnly)
		RecordBlocked(c.receiver, &c.p, c.caller_valid ? c.caller_e164 : NULL, c.told);
	SPI_finish();

	if (c.has_receiver)
		snprintf(json, sizeof(json), "{\"trusted\":%s,\"user_id\":" INT64_FORMAT "}",
				 c.trusted ? "true" : "false", c.receiver);
	else
		snprintf(json, sizeof(json), "{\"trusted\":false,\"user_id\":null}");
	result[0] = Int32GetDatum(200);
	result[1] = (Datum) 0;
	result[2] = CStringGetTextDatum(json);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), result, nulls)));
}

PG_FUNCTION_INFO_V1(api_trust_lookup);
Datum
api_trust_lookup(PG_FUNCTION_ARGS)
{
	return TrustLookup(fcinfo, SCHEMA_0_1);
}

PG_FUNCTION_INFO_V1(api_trust_lookup_0_2);
Datum
api_trust_lookup_0_2(PG_FUNCTION_ARGS)
{
	return TrustLookup(fcinfo, SCHEMA_0_2);
}

/*
 * call_params(params jsonb, body jsonb) → (receiver bigint, caller text, trusted boolean):
 * the call exactly as trust-lookup reads and judges it, for call-lookup.
 */
static Datum
CallParamsOf(FunctionCallInfo fcinfo, SchemaVersion schema)
{
	Jsonb	   *params = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	Jsonb	   *body = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	Call		c;
	TupleDesc	desc;
	Datum		result[3];
	bool		nulls[3];

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "call_params must return a composite");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ResolveCall(params, body, &c, schema);
	SPI_finish();
	nulls[0] = !c.has_receiver;
	result[0] = Int64GetDatum(c.receiver);
	nulls[1] = !c.caller_valid;
	result[1] = c.caller_valid ? CStringGetTextDatum(c.caller_e164) : (Datum) 0;
	nulls[2] = false;
	result[2] = BoolGetDatum(c.trusted);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), result, nulls)));
}

/*
 * call_shard_key(params jsonb, body jsonb) → integer: the hash of the receiving number of
 * a call, read as trust-lookup reads it (ours, else the provider's To), as PostgreSQL's
 * hashtext() hashes the stored E.164 form. The PL/Proxy proxy runs trust-lookup and
 * call-lookup on the shard this picks (docs/sharding.md): a shard hands out only the Buzz
 * numbers whose hash is its own (number_is_local), so a receiving member lives there.
 * Never an error — the shard chosen answers for what cannot be read, in the order of
 * checks (401 before 400) — and 0 (some shard) when there is no number.
 */
PG_FUNCTION_INFO_V1(call_shard_key);
Datum
call_shard_key(PG_FUNCTION_ARGS)
{
	Jsonb	   *params = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	Jsonb	   *body = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	char	   *code;
	char	   *number;
	char		e164[PHONE_E164_BUFSIZE];

	if (body && !JB_ROOT_IS_OBJECT(body))
		body = NULL;
	if (params && !JB_ROOT_IS_OBJECT(params))
		params = NULL;
	code = FieldOf(body, "number_code", true);
	if (code == NULL)
		code = FieldOf(params, "number_code", true);
	number = FieldOf(body, "number", true);
	if (number == NULL)
		number = FieldOf(params, "number", true);
	if (code == NULL && number == NULL)
	{
		number = FieldOf(body, "To", true);
		if (number == NULL)
			number = FieldOf(params, "To", true);
		code = number ? "" : NULL;
	}
	if (code == NULL || number == NULL || !Normalize(code, number, e164))
		PG_RETURN_INT32(0);
	PG_RETURN_INT32(DatumGetInt32(hash_any((const unsigned char *) e164, strlen(e164))));
}

PG_FUNCTION_INFO_V1(call_params);
Datum
call_params(PG_FUNCTION_ARGS)
{
	return CallParamsOf(fcinfo, SCHEMA_0_1);
}

PG_FUNCTION_INFO_V1(call_params_0_2);
Datum
call_params_0_2(PG_FUNCTION_ARGS)
{
	return CallParamsOf(fcinfo, SCHEMA_0_2);
}
