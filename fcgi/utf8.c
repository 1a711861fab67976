/*
 * utf8.c — UTF-8 as RFC 3629 defines it (what PostgreSQL and jansson accept): no
 * overlong forms, no surrogates, nothing above U+10FFFF.
 */
#include <string.h>

#include "utf8.h"

size_t
utf8_char(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned	c;
	unsigned	min;
	size_t		n;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		n = 1, min = 0;
	else if ((c & 0xE0) == 0xC0)
		n = 2, min = 0x80, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		n = 3, min = 0x800, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		n = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	if (cp)
		*cp = c;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;

	while (len > 0)
	{
		size_t		n = utf8_char(p, len, NULL);

		if (n == 0 || *p == '\0')
			return false;
		p += n;
		len -= n;
	}
	return true;
}

void
utf8_clean(char *dst, size_t size, const char *s)
{
	static const char replacement[] = "\xEF\xBF\xBD";	/* U+FFFD */
	const unsigned char *p = (const unsigned char *) s;
	size_t		left = strlen(s);
	size_t		used = 0;

	while (left > 0)
	{
		size_t		n = utf8_char(p, left, NULL);
		const char *from = n ? (const char *) p : replacement;
		size_t		out = n ? n : 3;

		if (used + out >= size)
			break;
		memcpy(dst + used, from, out);
		used += out;
		p += n ? n : 1;
		left -= n ? n : 1;
	}
	dst[used] = '\0';
}
