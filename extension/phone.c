/*
 * phone.c — privacybee.phone_e164() and phone_e164_parts(): phone numbers to E.164.
 *
 * Matching in the trust graph is by E.164 only, so every number that enters the
 * database goes through phone_normalize(). It accepts what people type: spaces and
 * punctuation, a leading "+", the region's international prefix (011, 00, ...), the
 * national trunk prefix (0 in GB/DE/FR, 1 in NANP) and a trailing extension, which is
 * dropped. Anything that cannot be a number yields NULL, never an error, so callers can
 * keep the raw string beside a NULL.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "phone.h"

#define MAX_DIGITS 32

/* Position where an extension starts ("x", "ext", "#", ";ext="), or len. */
static size_t
ExtensionStart(const char *raw, size_t len)
{
	bool		seen_digit = false;

	for (size_t i = 0; i < len; i++)
	{
		char		c = raw[i];

		if (c >= '0' && c <= '9')
			seen_digit = true;
		else if (seen_digit && (c == 'x' || c == 'X' || c == 'e' || c == 'E' ||
								c == '#' || c == ';' || c == ','))
			return i;
	}
	return len;
}

/* Keep the digits; remember a leading "+". False on a character no number has. */
static bool
ExtractDigits(const char *raw, size_t len, char *digits, int *ndigits, bool *plus)
{
	*ndigits = 0;
	*plus = false;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) raw[i];

		if (c >= '0' && c <= '9')
		{
			if (*ndigits >= MAX_DIGITS)
				return false;
			digits[(*ndigits)++] = (char) c;
		}
		else if (c == '+')
		{
			if (*ndigits > 0 || *plus)
				return false;
			*plus = true;
		}
		else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
				 c == '/' || c == '\t')
			continue;
		else if (c == 0xC2 && i + 1 < len && (unsigned char) raw[i + 1] == 0xA0)
			i++;				/* no-break space */
		else
			return false;
	}
	return *ndigits > 0;
}

static bool
StartsWith(const char *digits, int ndigits, const char *prefix)
{
	int			n = (int) strlen(prefix);

	return n > 0 && n <= ndigits && memcmp(digits, prefix, n) == 0;
}

/* NANP: area code and exchange code both start with 2-9. */
static bool
NanpValid(const char *nsn)
{
	return nsn[0] >= '2' && nsn[3] >= '2';
}

/* digits = calling code + national number; validate and write E.164. */
static bool
FormatInternational(const char *digits, int ndigits, char *out)
{
	int			code,
				code_len,
				min_nsn,
				max_nsn,
				nsn_len;
	char		stripped[MAX_DIGITS];

	if (ndigits > 15 || !phone_calling_code_split(digits, ndigits, &code, &code_len))
		return false;
	nsn_len = ndigits - code_len;
	phone_nsn_range(code, &min_nsn, &max_nsn);
	/* "+44 (0)20 ...": a trunk 0 written after the calling code is dropped */
	if (nsn_len > min_nsn && digits[code_len] == '0' && phone_code_has_trunk_zero(code))
	{
		memmove(stripped, digits, code_len);
		memcpy(stripped + code_len, digits + code_len + 1, nsn_len - 1);
		digits = stripped;
		ndigits--;
		nsn_len--;
	}
	if (nsn_len < min_nsn || nsn_len > max_nsn)
		return false;
	if (code == 1 && !NanpValid(digits + code_len))
		return false;
	out[0] = '+';
	memcpy(out + 1, digits, ndigits);
	out[ndigits + 1] = '\0';
	return true;
}

static bool
FormatNational(const PhoneRegion *r, const char *digits, int ndigits, char *out)
{
	char		buf[MAX_DIGITS + 4];
	int			code_len;

	/* "0 20 7946 0958" in GB, "1 212 555 0134" in the US: drop the trunk prefix */
	if (StartsWith(digits, ndigits, r->trunk_prefix) &&
		ndigits - (int) strlen(r->trunk_prefix) >= r->min_nsn)
	{
		int			tlen = (int) strlen(r->trunk_prefix);

		if (ndigits > r->max_nsn || r->trunk_prefix[0] == '0')
		{
			digits += tlen;
			ndigits -= tlen;
		}
	}
	if (ndigits < r->min_nsn || ndigits > r->max_nsn)
		return false;
	code_len = snprintf(buf, sizeof(buf), "%d", r->calling_code);
	memcpy(buf + code_len, digits, ndigits);
	return FormatInternational(buf, code_len + ndigits, out);
}

bool
phone_normalize(const char *raw, size_t len, const char *default_region, char out[PHONE_E164_BUFSIZE])
{
	char		digits[MAX_DIGITS];
	int			ndigits;
	bool		plus;
	const PhoneRegion *r;

	len = ExtensionStart(raw, len);
	if (!ExtractDigits(raw, len, digits, &ndigits, &plus))
		return false;
	if (plus)
		return FormatInternational(digits, ndigits, out);

	r = phone_region_lookup(default_region);
	if (r == NULL)
		return false;
	if (StartsWith(digits, ndigits, r->intl_prefix))
	{
		int			plen = (int) strlen(r->intl_prefix);

		return FormatInternational(digits + plen, ndigits - plen, out);
	}
	return FormatNational(r, digits, ndigits, out);
}

bool
phone_normalize_parts(const char *code, size_t code_len, const char *number,
					  size_t number_len, char out[PHONE_E164_BUFSIZE])
{
	char		digits[MAX_DIGITS];
	int			ncode,
				nnum;
	bool		plus;
	char		joined[2 * MAX_DIGITS + 2];

	if (!ExtractDigits(code, code_len, digits, &ncode, &plus) || ncode > 3)
		return false;
	joined[0] = '+';
	memcpy(joined + 1, digits, ncode);
	if (!ExtractDigits(number, number_len, digits, &nnum, &plus) || plus)
		return false;
	memcpy(joined + 1 + ncode, digits, nnum);
	return phone_normalize(joined, 1 + ncode + nnum, "ZZ", out);
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
