/*
 * search_text.c — how contact search reads text into words (search_text.h): the fields,
 * the separation of words by Unicode class, and the lexizing by the text search
 * configuration privacybee.contact_search (unaccent; lower case by casefold.c).
 *
 * Separating words here rather than in the parser keeps one rule for every locale and
 * every token type: the default parser would keep "bethm@example.com" as one e-mail
 * token and "jean-luc" as a hyphenated word with parts, so a query could not reach
 * "example" or "luc" the way a user types them.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "nodes/makefuncs.h"
#include "tsearch/ts_utils.h"

#include "casefold.h"
#include "phone_unicode.h"
#include "privacybee.h"
#include "search_text.h"

const SearchField search_fields[] = {
	{"name", 'n', true},
	{"email", 'e', true},
	{"phone", 'p', true},
	{"company", 'c', true},
	{"title", 't', true},
	{"note", 'o', true},
	{"address", 'a', true},
	{"tag", 'g', false},
};
const int	search_field_count = lengthof(search_fields);

const SearchField *
search_field_lookup(const char *name, int len)
{
	for (int i = 0; i < search_field_count; i++)
		if (strlen(search_fields[i].name) == (size_t) len &&
			pg_strncasecmp(search_fields[i].name, name, len) == 0)
			return &search_fields[i];
	return NULL;
}

const SearchField *
search_field_by_code(char code)
{
	for (int i = 0; i < search_field_count; i++)
		if (search_fields[i].code == code)
			return &search_fields[i];
	return NULL;
}

/*
 * The searches run their statement with row security bypassed (they are owned by
 * privacybee_system): a non-leakproof condition such as tsvector @@ tsquery or LIKE
 * cannot be an index condition ahead of a policy, so under the policies every search
 * would read all of the member's contacts. Every statement they build names the member
 * in each of its scans; and they run only for the member the transaction acts for
 * (authenticate() proved its token), or, with no member acting, for a session role that
 * may read every member's rows anyway (a superuser or BYPASSRLS role: an operator).
 */
void
search_check_member(int64 user_id)
{
	int64		acting = member_scope_current();
	Oid			session = GetSessionUserId();

	if (acting > 0 ? acting == user_id
		: superuser_arg(session) || has_bypassrls_privilege(session))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("only the member a transaction acts for can be searched"),
			 errdetail("The transaction acts for member " INT64_FORMAT ", not " INT64_FORMAT ".",
					   acting, user_id)));
}

Oid
search_config(void)
{
	return get_ts_config_oid(list_make2(makeString("privacybee"),
										makeString("contact_search")), false);
}

void
search_owner_code(int64 owner, char *out)
{
	char		digits[SEARCH_OWNER_BUFSIZE];
	uint64		v = (uint64) owner;
	int			n = 0;

	do
	{
		digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v > 0);
	for (int i = 0; i < n; i++)
		out[i] = digits[n - 1 - i];
	out[n] = SEARCH_OWNER_MARK;
	out[n + 1] = '\0';
}

/* Combining diacritical marks: dropped, so "é" written as e + U+0301 reads "e". */
static bool
IsCombiningMark(uint32 c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
		(c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
		(c >= 0xFE20 && c <= 0xFE2F);
}

/*
 * text with every character that is not a letter or number replaced by a space,
 * combining marks removed and decimal digits of any script written 0-9.
 */
static void
Clean(const char *text, int len, StringInfo out)
{
	const unsigned char *p = (const unsigned char *) text;
	const unsigned char *end = p + len;

	while (p < end)
	{
		uint32		c;
		int			n;
		int			digit;

		if (*p < 0x80)
		{
			appendStringInfoChar(out, isalnum(*p) ? (char) *p : ' ');
			p++;
			continue;
		}
		n = phone_utf8_char(p, end, &c);
		if (n == 0)
		{
			/* not valid UTF-8 (the database never holds it): a separator */
			appendStringInfoChar(out, ' ');
			p++;
			continue;
		}
		if (IsCombiningMark(c))
			;
		else if ((digit = phone_digit_value(c)) >= 0)
			appendStringInfoChar(out, '0' + digit);
		else if (phone_is_letter_or_number(c))
			appendBinaryStringInfo(out, (const char *) p, n);
		else
			appendStringInfoChar(out, ' ');
		p += n;
	}
}

int
search_text_words(Oid cfg, const char *text, int len, char ***words)
{
	StringInfoData clean;
	char	   *folded;
	ParsedText	prs;
	char	  **out;

	initStringInfo(&clean);
	Clean(text, len, &clean);

	/*
	 * Folded here, not by the simple dictionary: simple lowers by the database's locale,
	 * which under C leaves every letter past ASCII as written (casefold.c).
	 */
	folded = casefold(clean.data, clean.len);
	pfree(clean.data);
	clean.data = folded;
	clean.len = strlen(folded);
	prs.lenwords = clean.len / 2 + 2;
	prs.curwords = 0;
	prs.pos = 0;
	prs.words = palloc(sizeof(ParsedWord) * prs.lenwords);
	parsetext(cfg, &prs, clean.data, clean.len);

	/* parsetext gives one lexeme per word here (unaccent, then simple), in order */
	out = palloc(sizeof(char *) * Max(prs.curwords, 1));
	for (int i = 0; i < prs.curwords; i++)
		out[i] = prs.words[i].word;
	pfree(prs.words);
	pfree(clean.data);
	*words = out;
	return prs.curwords;
}

void
search_text_digits(const char *text, int len, StringInfo out)
{
	const unsigned char *p = (const unsigned char *) text;
	const unsigned char *end = p + len;

	while (p < end)
	{
		uint32		c;
		int			n;
		int			digit;

		if (*p < 0x80)
		{
			if (*p >= '0' && *p <= '9')
				appendStringInfoChar(out, (char) *p);
			p++;
			continue;
		}
		n = phone_utf8_char(p, end, &c);
		if (n == 0)
		{
			p++;
			continue;
		}
		if ((digit = phone_digit_value(c)) >= 0)
			appendStringInfoChar(out, '0' + digit);
		p += n;
	}
}
