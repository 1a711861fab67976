/*
 * phone.c — privacybee.phone_e164() and phone_e164_parts(): phone numbers to E.164.
 *
 * Matching in the trust graph is by E.164 only, so every number that enters the
 * database goes through phone_normalize(). It follows libphonenumber's parsing (the
 * field's reference, which the phone corpus suite compares us with), on the metadata
 * generated from it:
 *
 *  1. read the written number down to its digits and a leading "+" (phone_read.c: any
 *     script's digits, libphonenumber's punctuation, text around the number, tel: URIs,
 *     keypad letters; an extension is dropped);
 *  2. find the calling code: after "+", or after the region's international prefix
 *     (011, 00, ...; not when a 0 follows), or — without either — when the number starts
 *     with the region's own code and is better read without it; a "+" before no calling
 *     code is read again as if it were not there, and must then yield one;
 *  3. strip the national (trunk) prefix and carrier code, applying the region's transform
 *     rule (e.g. Argentina's 0 ... 15 → 9 ...), unless that would leave a number too short
 *     or turn a viable number into one that is not;
 *  4. accept only a national number of a possible length for the calling code that
 *     matches the general pattern of a region using it (no other number can be valid).
 *
 * Anything that cannot be a number yields NULL, never an error, so callers can keep the
 * raw string beside a NULL.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "phone.h"
#include "phone_read.h"

#define MIN_NSN 2				/* libphonenumber's kMinLengthForNsn */
#define MAX_NSN 17				/* kMaxLengthForNsn */

typedef enum LengthResult
{
	LEN_POSSIBLE,
	LEN_LOCAL_ONLY,
	LEN_TOO_SHORT,
	LEN_TOO_LONG,
	LEN_INVALID
} LengthResult;

typedef struct Digits
{
	char		d[PHONE_MAX_DIGITS + 1];
	int			n;
} Digits;

/* to = from, copying only the digits in use */
static inline void
CopyDigits(Digits *to, const Digits *from)
{
	to->n = from->n;
	memcpy(to->d, from->d, from->n + 1);
}

/* A calling code (1 to 3 digits) written into buf; returns its length. */
static int
CodeDigits(int code, char *buf)
{
	int			len = code >= 100 ? 3 : code >= 10 ? 2 : 1;

	for (int i = len - 1; i >= 0; i--, code /= 10)
		buf[i] = (char) ('0' + code % 10);
	return len;
}

static LengthResult
TestLength(const PhoneRegion *r, int len)
{
	unsigned	bit = len < 32 ? 1u << len : 0;
	int			min,
				max;

	if (r->lengths == 0)
		return LEN_INVALID;
	if (r->local_lengths & bit)
		return LEN_LOCAL_ONLY;
	min = __builtin_ctz(r->lengths);
	max = 31 - __builtin_clz(r->lengths);
	if (len < min)
		return LEN_TOO_SHORT;
	if (len > max)
		return LEN_TOO_LONG;
	return (r->lengths & bit) ? LEN_POSSIBLE : LEN_INVALID;
}

static int
CaptureGroups(const char *pattern)
{
	int			n = 0;

	for (const char *p = pattern; *p; p++)
		if (*p == '(' && p[1] != '?')
			n++;
	return n;
}

/*
 * Strip the national prefix (and carrier code) from num, or apply the region's
 * transform rule; libphonenumber's MaybeStripNationalPrefixAndCarrierCode.
 */
static bool
StripNationalPrefix(const PhoneRegion *r, Digits *num)
{
	int			g[4];
	int			m;
	bool		viable;
	int			captured;		/* the group the transform rule is about */
	Digits		out;

	if (num->n == 0 || r->npp[0] == '\0')
		return false;
	m = phone_pattern_prefix(r, PAT_NPP, num->d, num->n, g);
	if (m < 0)
		return false;
	viable = phone_pattern_full(r, PAT_GENERAL, num->d, num->n);
	captured = CaptureGroups(r->npp) >= 2 ? 1 : 0;
	out.n = 0;
	if (r->npt[0] != '\0' && g[2 * captured] >= 0 && g[2 * captured + 1] > g[2 * captured])
	{
		for (const char *t = r->npt; *t && out.n < PHONE_MAX_DIGITS; t++)
		{
			if (*t == '$' && (t[1] == '1' || t[1] == '2'))
			{
				int			k = t[1] - '1';

				for (int i = g[2 * k]; i >= 0 && i < g[2 * k + 1] && out.n < PHONE_MAX_DIGITS; i++)
					out.d[out.n++] = num->d[i];
				t++;
			}
			else
				out.d[out.n++] = *t;
		}
	}
	for (int i = m; i < num->n && out.n < PHONE_MAX_DIGITS; i++)
		out.d[out.n++] = num->d[i];
	out.d[out.n] = '\0';
	if (viable && !phone_pattern_full(r, PAT_GENERAL, out.d, out.n))
		return false;
	CopyDigits(num, &out);
	return true;
}

/* "44..." dialled in the GB without "+": libphonenumber's MaybeExtractCountryCode. */
static bool
StripOwnCallingCode(const PhoneRegion *r, Digits *num)
{
	char		code[8];
	int			clen = CodeDigits(r->calling_code, code);
	Digits		rest;

	if (num->n <= clen || memcmp(num->d, code, clen) != 0)
		return false;
	rest.n = num->n - clen;
	memcpy(rest.d, num->d + clen, rest.n + 1);
	StripNationalPrefix(r, &rest);
	if ((!phone_pattern_full(r, PAT_GENERAL, num->d, num->n) &&
		 phone_pattern_full(r, PAT_GENERAL, rest.d, rest.n)) ||
		TestLength(r, num->n) == LEN_TOO_LONG)
	{
		CopyDigits(num, &rest);
		return true;
	}
	return false;
}

/* Calling code + national number → E.164, if a number of that length can exist. */
static bool
Finish(int code, const Digits *nsn, char *out)
{
	const PhoneRegion *r = phone_region_for_code(code);
	int			clen;

	if (r == NULL || nsn->n < MIN_NSN || nsn->n > MAX_NSN ||
		!phone_nsn_plausible(code, nsn->d, nsn->n))
		return false;
	out[0] = '+';
	clen = 1 + CodeDigits(code, out + 1);
	if (clen + nsn->n >= PHONE_E164_BUFSIZE)
		return false;
	memcpy(out + clen, nsn->d, nsn->n + 1);
	return true;
}

/* A national number read with region r's rules: strip its national prefix. */
static bool
National(const PhoneRegion *r, Digits *nsn, char *out)
{
	if (r == NULL || nsn->n < MIN_NSN)
		return false;
	{
		Digits		stripped;

		/* keep the original when stripping would leave too short a number */
		CopyDigits(&stripped, nsn);
		if (StripNationalPrefix(r, &stripped))
		{
			LengthResult lr = TestLength(r, stripped.n);

			if (lr != LEN_TOO_SHORT && lr != LEN_LOCAL_ONLY && lr != LEN_INVALID)
				CopyDigits(nsn, &stripped);
		}
	}
	return Finish(r->calling_code, nsn, out);
}

/* digits start with a calling code ("+" or an international prefix came before). */
static bool
International(const Digits *digits, int from, char *out)
{
	Digits		nsn;
	int			code,
				code_len;

	if (digits->n - from <= MIN_NSN ||
		!phone_calling_code_split(digits->d + from, digits->n - from, &code, &code_len))
		return false;
	nsn.n = digits->n - from - code_len;
	memcpy(nsn.d, digits->d + from + code_len, nsn.n + 1);
	return National(phone_region_for_code(code), &nsn, out);
}

/*
 * digits dialled in region r without "+": after r's international prefix they start with
 * a calling code (not when a 0 follows it: "0011..." in AU is not IDD 00 + code 11);
 * else they may start with r's own code; else they are a national number of r. With
 * need_code (a "+" came before digits that start with no calling code), only the first
 * two can make a number: libphonenumber reads the digits again as if the "+" were not
 * there, and keeps the result only when it found a calling code that way.
 */
/*
 * The length of r's international prefix at the start of digits when a calling code may
 * follow it (not a 0: "0011..." in AU is not IDD 00 + code 11); 0 when none.
 */
static int
IddLength(const PhoneRegion *r, const Digits *digits)
{
	int			idd = phone_pattern_prefix(r, PAT_IDD, digits->d, digits->n, NULL);

	return idd > 0 && (idd == digits->n || digits->d[idd] != '0') ? idd : 0;
}

static bool
Dialled(const PhoneRegion *r, Digits *digits, bool need_code, char *out)
{
	int			idd;

	if (r == NULL)
		return false;
	if ((idd = IddLength(r, digits)) > 0)
		return International(digits, idd, out);
	/* once a calling code was read, the code's main region's rules apply */
	if (StripOwnCallingCode(r, digits))
		r = phone_region_for_code(r->calling_code);
	else if (need_code)
		return false;
	return National(r, digits, out);
}

/* What was read (phone_read.c), dialled in region r (NULL: none, so "+" is needed). */
static bool
FromReading(const PhoneReading *reading, const PhoneRegion *r, char *out)
{
	Digits		digits;
	int			code,
				code_len;

	digits.n = reading->ndigits;
	memcpy(digits.d, reading->digits, digits.n + 1);
	if (!reading->plus)
		return Dialled(r, &digits, false, out);
	if (digits.n <= MIN_NSN)
		return false;
	if (phone_calling_code_split(digits.d, digits.n, &code, &code_len))
		return International(&digits, 0, out);
	return Dialled(r, &digits, true, out);
}

bool
phone_normalize(const char *raw, size_t len, const char *default_region,
				char out[PHONE_E164_BUFSIZE])
{
	PhoneReading reading;
	const PhoneRegion *r = phone_region_lookup(default_region);

	/* without a region, only a number written with "+" can be read */
	if (!phone_read(raw, len, &reading) || (r == NULL && !reading.plus))
		return false;
	return FromReading(&reading, r, out);
}

bool
phone_normalize_parts(const char *code, size_t code_len, const char *number,
					  size_t number_len, char out[PHONE_E164_BUFSIZE])
{
	PhoneReading reading;
	Digits		joined;
	char		calling_code[4];
	const PhoneRegion *r;
	int			idd;

	if (!phone_read(number, number_len, &reading))
		return false;
	/* a number written with "+" is a whole international number, whatever the code says */
	if (reading.plus)
		return FromReading(&reading, NULL, out);
	if (!phone_read_calling_code(code, code_len, calling_code))
		return false;

	/*
	 * A number dialled internationally from the code's country ("011 1 212 555 0199" with
	 * code 1, "00 44 20 …" with 44) is read from its prefix on, as phone_normalize()
	 * reads it in that country: one reading wherever a number enters.
	 */
	joined.n = reading.ndigits;
	memcpy(joined.d, reading.digits, joined.n + 1);
	if ((r = phone_region_for_code(atoi(calling_code))) != NULL &&
		(idd = IddLength(r, &joined)) > 0)
		return International(&joined, idd, out);
	joined.n = snprintf(joined.d, sizeof(joined.d), "%s%s", calling_code, reading.digits);
	return International(&joined, 0, out);
}

static void
RegionFromText(text *t, char *region)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *s = VARDATA_ANY(t);

	region[0] = '\0';
	if (len == 2)
	{
		region[0] = pg_ascii_toupper((unsigned char) s[0]);
		region[1] = pg_ascii_toupper((unsigned char) s[1]);
		region[2] = '\0';
	}
}

/* phone_e164(raw text, default_country text) → E.164 text, NULL when not a number */
PG_FUNCTION_INFO_V1(phone_e164);
Datum
phone_e164(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);
	char		region[3];
	char		out[PHONE_E164_BUFSIZE];

	RegionFromText(PG_GETARG_TEXT_PP(1), region);
	if (!phone_normalize(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), region, out))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* phone_e164_parts(code text, number text) → E.164 text, NULL when not a number */
PG_FUNCTION_INFO_V1(phone_e164_parts);
Datum
phone_e164_parts(PG_FUNCTION_ARGS)
{
	text	   *code = PG_GETARG_TEXT_PP(0);
	text	   *number = PG_GETARG_TEXT_PP(1);
	char		out[PHONE_E164_BUFSIZE];

	if (!phone_normalize_parts(VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code),
							   VARDATA_ANY(number), VARSIZE_ANY_EXHDR(number), out))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/*
 * phone_split(e164 text) → (country_code "+1", national_number "2125550134"); NULLs when
 * e164 is not an E.164 number with a known calling code.
 */
PG_FUNCTION_INFO_V1(phone_split);
Datum
phone_split(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {true, true};
	int			code,
				code_len;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "phone_split must return a composite");
	desc = BlessTupleDesc(desc);
	if (len >= 2 && s[0] == '+' && strspn(s + 1, "0123456789") >= (size_t) (len - 1) &&
		phone_calling_code_split(s + 1, len - 1, &code, &code_len))
	{
		values[0] = CStringGetTextDatum(psprintf("+%d", code));
		values[1] = PointerGetDatum(cstring_to_text_with_len(s + 1 + code_len,
															 len - 1 - code_len));
		nulls[0] = nulls[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
