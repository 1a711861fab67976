/*
 * phone_unicode.c — UTF-8 decoding and the Unicode classes of phone_unicode.h, looked up
 * in the tables generated from ICU (phone_unicode_table.h, which defines phone_char_blocks
 * and phone_char_data here).
 */
#include "postgres.h"

#include "phone_unicode.h"
#include "phone_unicode_table.h"

/* libphonenumber's IsInterchangeValidCodepoint (its UnicodeText refuses the others) */
bool
phone_interchange_valid(uint32 c)
{
	return !(c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) ||
			 (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xDFFF) ||
			 (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE);
}

int
phone_utf8_char(const unsigned char *p, const unsigned char *end, uint32 *out)
{
	uint32		c = *p;
	int			extra;

	if (c >= 0xC2 && c <= 0xDF)
		extra = 1, c &= 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		extra = 2, c &= 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		extra = 3, c &= 0x07;
	else
		return 0;
	if (end - p <= extra)
		return 0;
	for (int i = 1; i <= extra; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	/* overlong forms and code points beyond U+10FFFF */
	if ((extra == 2 && c < 0x800) || (extra == 3 && (c < 0x10000 || c > 0x10FFFF)) ||
		!phone_interchange_valid(c))
		return 0;
	*out = c;
	return extra + 1;
}

uint8
phone_char_class_astral(uint32 c)
{
	int			lo = 0,
				hi = lengthof(decimal_digit_zeros) - 1;

	/* the last run whose zero is <= c (no character there folds onto a-z) */
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (decimal_digit_zeros[mid] <= c)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (c >= decimal_digit_zeros[lo] && c < decimal_digit_zeros[lo] + 10)
		return (uint8) (c - decimal_digit_zeros[lo]);
	return PHONE_CHAR_NO_DIGIT;
}

bool
phone_is_letter_or_number(uint32 c)
{
	int			lo = 0,
				hi = lengthof(letter_or_number) - 1;

	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (c < letter_or_number[mid][0])
			hi = mid - 1;
		else if (c > letter_or_number[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32
phone_fold_table(uint32 c)
{
	int			lo = 0,
				hi = lengthof(case_folds) - 1;

	if (c < case_folds[0][0] || c > case_folds[hi][0])
		return c;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (c < case_folds[mid][0])
			hi = mid - 1;
		else if (c > case_folds[mid][0])
			lo = mid + 1;
		else
			return case_folds[mid][1];
	}
	return c;
}
