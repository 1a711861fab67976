/*
 * text_chars.h — the one rule for which characters text may hold (README, "Decisions":
 * "Control characters in text"), shared by the extension (text_chars.c: input checks of
 * the SQL functions, the vCard reader and the contact validators; the replacement every
 * XML document and vCard is written through) and by privacybee-fcgi (every JSON body).
 * Plain C, no PostgreSQL header: both builds include it.
 *
 * Refused: the control characters (Unicode category Cc: U+0000–U+001F except TAB, LF and
 * CR, U+007F–U+009F) and the noncharacters U+FFFE and U+FFFF. XML 1.0 cannot carry the C0
 * ones nor U+FFFE/U+FFFF at all (a document holding one is not well-formed, and one
 * contact would break every CardDAV answer that lists it); the C1 ones and DEL it carries
 * but discourages (XML 1.0 §2.2), RFC 6350 text has no place for any control, and no
 * person's or company's name needs one: one set, refused at input and replaced (by U+FFFD)
 * at output. Surrogates (U+D800–U+DFFF) cannot be in UTF-8 text at all (PostgreSQL and
 * jansson refuse a lone "\ud800" as invalid); they are in the set so that a decoder that
 * let one through would not let it reach the output.
 */
#ifndef PRIVACYBEE_TEXT_CHARS_H
#define PRIVACYBEE_TEXT_CHARS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether text may not hold the code point cp. */
static inline bool
text_char_refused(unsigned cp)
{
	return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		(cp >= 0x7F && cp <= 0x9F) ||
		(cp >= 0xD800 && cp <= 0xDFFF) ||
		cp == 0xFFFE || cp == 0xFFFF;
}

/*
 * The first character text may not hold in the UTF-8 text s[0..len): its byte offset
 * (its code point in *cp, its length in *n), or -1 when there is none. A byte that does not
 * start a well-formed sequence is reported too (code point 0xFFFFFFFF): the caller
 * verified the encoding, so this only keeps the scan from running past the end.
 */
static inline long
text_chars_find(const char *s, size_t len, unsigned *cp, size_t *n)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		unsigned	c = u[i];
		size_t		k;

		if (c < 0x80)
		{
			if (text_char_refused(c))
			{
				*cp = c;
				*n = 1;
				return (long) i;
			}
			i++;
			continue;
		}
		k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
		if (k == 0 || i + k > len)
		{
			*cp = 0xFFFFFFFF;
			*n = 1;
			return (long) i;
		}
		c &= 0x3F >> (k - 1);
		for (size_t j = 1; j < k; j++)
			c = (c << 6) | (u[i + j] & 0x3F);
		if (text_char_refused(c))
		{
			*cp = c;
			*n = k;
			return (long) i;
		}
		i += k;
	}
	return -1;
}

/* The problem a refused code point is, as a field's problem: "contains U+0001, ...". */
#define TEXT_CHARS_PROBLEM_FMT "contains U+%04X, a control character or noncharacter that text may not hold"

#ifdef PG_VERSION_NUM
/* ---- text_chars.c, in the extension ---- */
#include "lib/stringinfo.h"

/* The problem of s[0..len) ("contains U+0001, …", palloc'd), NULL when it has none. */
extern char *text_chars_problem(const char *s, size_t len);

/* PT400 naming field when s[0..len) holds a character text may not hold. */
extern void text_chars_check(const char *field, const char *s, size_t len);

/* Append s[0..len) to out with each character text may not hold replaced by U+FFFD. */
extern void text_chars_clean(StringInfo out, const char *s, size_t len);
#endif

#endif
