/*
 * text_chars.c — the characters text may hold (the rule is text_chars.h's), for the
 * extension: the check every way text enters calls (the contact validators, the vCard
 * reader, the SQL functions of members and companies through check_text()), and the
 * replacement every XML document and vCard written is passed through (clean_text()), so
 * that text stored before the rule, or written by SQL around it, never makes an answer
 * that is not well-formed.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "privacybee.h"
#include "problems.h"
#include "text_chars.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8 */
#define REPLACEMENT "\xEF\xBF\xBD"

char *
text_chars_problem(const char *s, size_t len)
{
	unsigned	cp;
	size_t		n;

	if (text_chars_find(s, len, &cp, &n) < 0)
		return NULL;
	return psprintf(TEXT_CHARS_PROBLEM_FMT, cp);
}

void
text_chars_check(const char *field, const char *s, size_t len)
{
	char	   *problem = text_chars_problem(s, len);

	if (problem)
		bad_field(field, problem);
}

void
text_chars_clean(StringInfo out, const char *s, size_t len)
{
	unsigned	cp;
	size_t		n;
	long		at;

	while ((at = text_chars_find(s, len, &cp, &n)) >= 0)
	{
		appendBinaryStringInfo(out, s, at);
		appendStringInfoString(out, REPLACEMENT);
		s += at + n;
		len -= at + n;
	}
	appendBinaryStringInfo(out, s, len);
}

PG_FUNCTION_INFO_V1(text_problem);

/* text_problem(t text) → text: what is wrong with t's characters, NULL for nothing. */
Datum
text_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *problem = text_chars_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}

PG_FUNCTION_INFO_V1(check_text);

/* check_text(field text, t text) → text: t, or PT400 naming field. */
Datum
check_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(1);

	text_chars_check(text_to_cstring(PG_GETARG_TEXT_PP(0)), VARDATA_ANY(t),
					 VARSIZE_ANY_EXHDR(t));
	PG_RETURN_TEXT_P(t);
}

PG_FUNCTION_INFO_V1(clean_text);

/* clean_text(t text) → text: t with each character text may not hold as U+FFFD. */
Datum
clean_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	unsigned	cp;
	size_t		n;
	StringInfoData out;

	if (text_chars_find(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &cp, &n) < 0)
		PG_RETURN_TEXT_P(t);
	initStringInfo(&out);
	text_chars_clean(&out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
