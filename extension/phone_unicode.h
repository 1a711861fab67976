/*
 * phone_unicode.h — the Unicode character classes a written phone number is read with.
 *
 * libphonenumber reads numbers with ICU's classes — any decimal digit (\p{Nd}), letters and
 * numbers (\p{L}, \p{N}), case-insensitive letters — and its own sets of punctuation
 * and plus signs. The tables behind these functions are generated from ICU and
 * libphonenumber (phone_unicode_table.h, make phone-unicode): what every character is
 * asked (a digit? a letter a-z? punctuation? a plus sign?) is one lookup in a two-level
 * table for the Basic Multilingual Plane.
 */
#ifndef PRIVACYBEE_PHONE_UNICODE_H
#define PRIVACYBEE_PHONE_UNICODE_H

#include "postgres.h"

/* a character's class: its decimal digit value in the low bits, and one flag */
#define PHONE_CHAR_DIGIT_MASK	0x0F	/* 0..9, or PHONE_CHAR_NO_DIGIT */
#define PHONE_CHAR_NO_DIGIT		0x0F
#define PHONE_CHAR_ALPHA		0x10	/* ICU's case-insensitive matching folds it onto a-z */
#define PHONE_CHAR_PUNCT		0x20	/* libphonenumber's VALID_PUNCTUATION (x and X too) */
#define PHONE_CHAR_PLUS			0x40	/* libphonenumber's PLUS_CHARS: "+", "＋" */

extern const uint8 phone_char_blocks[256];
extern const uint8 phone_char_data[][256];

/*
 * Does libphonenumber take c? Its UnicodeText refuses text that is not "interchange
 * valid": controls other than tab, line feed, form feed and carriage return, surrogates,
 * non-characters.
 */
extern bool phone_interchange_valid(uint32 c);

/*
 * Decode the character of two bytes or more that starts at p (before end) into *out;
 * returns its length, 0 when it is not valid UTF-8 or not interchange valid.
 */
extern int	phone_utf8_char(const unsigned char *p, const unsigned char *end, uint32 *out);

/* The class of a code point beyond the Basic Multilingual Plane. */
extern uint8 phone_char_class_astral(uint32 c);

/* Is c a letter or a number (\p{L} or \p{N})? */
extern bool phone_is_letter_or_number(uint32 c);

/*
 * c as ICU's case-insensitive matching ("(?i)") compares it, for the letters the reading
 * patterns hold (a-z, "ó", "доб", full-width letters); any other c unchanged.
 */
extern uint32 phone_fold_table(uint32 c);

/* The class of c (PHONE_CHAR_*). */
static inline uint8
phone_char_class(uint32 c)
{
	if (c < 0x10000)
		return phone_char_data[phone_char_blocks[c >> 8]][c & 0xFF];
	return phone_char_class_astral(c);
}

/* The value 0..9 of a decimal digit of any script (\p{Nd}), -1 for anything else. */
static inline int
phone_digit_value(uint32 c)
{
	int			d = phone_char_class(c) & PHONE_CHAR_DIGIT_MASK;

	return d == PHONE_CHAR_NO_DIGIT ? -1 : d;
}

static inline uint32
phone_fold(uint32 c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	return phone_fold_table(c);
}

#endif
