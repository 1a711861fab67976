/*
 * phone_match.c — privacybee.phone_match_key(): the key under which numbers are matched.
 *
 * A few countries show one line under two E.164 forms, because a digit that marks a mobile
 * is dialled in some places and not in others; a contact saved in one form must match a
 * caller presented in the other (SPEC §3). The match key drops that digit; for every
 * other number it is the E.164 form itself. The table, checked against libphonenumber's
 * metadata (regress/phone_match/oracle.cc runs the check in make test):
 *
 *   Argentina  +54 9 <10 digits>  →  +54 <10 digits>
 *     libphonenumber's mobile numbers are "9" + a 10-digit national number (area code and
 *     subscriber): the 9 is what a caller abroad dials, while national dialling writes
 *     "0<area> 15 <subscriber>" (its transform rule "9$1") and caller ID often shows
 *     +54 <area> <subscriber>. Every 11-digit national number starting with 9 is such a
 *     mobile (toll-free 800 numbers are the only other 11-digit ones).
 *   Mexico     +52 1 <10 digits>  →  +52 <10 digits>
 *     Mexican mobiles were dialled from abroad as +52 1 <10 digits> until 2019; national
 *     numbers are now 10 digits, never starting with 1, and libphonenumber reads a "1"
 *     after +52 as a national prefix to strip ("0(?:[12]|4[45])|1"), so the old form still
 *     names the same line.
 *
 * Keys are idempotent (a key's key is itself) and stored beside every E.164 column that
 * is compared (generated columns), so each comparison is one index probe.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "phone_match.h"

typedef struct MatchRule
{
	const char *code;			/* calling code, digits */
	char		marker;			/* the digit dropped after it */
	int			rest;			/* national digits after the marker */
} MatchRule;

static const MatchRule match_rules[] = {
	{"54", '9', 10},			/* Argentina: mobile 9 */
	{"52", '1', 10},			/* Mexico: former mobile 1 */
};

bool
phone_match_key_of(const char *e164, size_t len, char out[PHONE_E164_BUFSIZE])
{
	if (len < 2 || len > PHONE_E164_BUFSIZE - 1 || e164[0] != '+')
		return false;
	for (size_t i = 1; i < len; i++)	/* e164 need not be NUL-terminated */
		if (e164[i] < '0' || e164[i] > '9')
			return false;
	for (size_t i = 0; i < lengthof(match_rules); i++)
	{
		const MatchRule *r = &match_rules[i];
		size_t		code_len = strlen(r->code);

		if (len == 1 + code_len + 1 + r->rest &&
			memcmp(e164 + 1, r->code, code_len) == 0 && e164[1 + code_len] == r->marker)
		{
			out[0] = '+';
			memcpy(out + 1, r->code, code_len);
			memcpy(out + 1 + code_len, e164 + 2 + code_len, r->rest);
			out[1 + code_len + r->rest] = '\0';
			return true;
		}
	}
	memcpy(out, e164, len);
	out[len] = '\0';
	return true;
}

/* phone_match_key(e164 text) → text: the match key, NULL when e164 is not E.164 */
PG_FUNCTION_INFO_V1(phone_match_key);
Datum
phone_match_key(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		out[PHONE_E164_BUFSIZE];

	if (!phone_match_key_of(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), out))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
