/*
 * phone_read.c — a written phone number read the way libphonenumber reads it, down to
 * its digits and whether a "+" leads them (phone.c then applies the numbering plans).
 *
 * This mirrors, step by step, what libphonenumber's PhoneNumberUtil::Parse does before it
 * looks at any region's metadata (libphonenumber 8.12, ICU regular expressions; each step
 * names the function it follows):
 *
 *  1. BuildNationalNumberForParsing: an RFC 3966 URI with ";phone-context=" is the
 *     context's "+..." prefix (a domain is ignored) followed by what lies between "tel:"
 *     and the context; anything else goes through ExtractPossibleNumber, which skips to
 *     the first "+" or decimal digit (past "Tel: ", bidirectional marks, ...), trims what
 *     is neither a letter, a number nor "#" from the end ("...\u202C", "... (mobile)" loses
 *     its ")"), and cuts a second number off ("... / x302 / x2303"); ";isub=..." goes.
 *  2. IsViablePhoneNumber: two digits, or a run of "+" signs, at least three digits with
 *     only libphonenumber's punctuation (VALID_PUNCTUATION: dashes and hyphens of every
 *     kind, the minus sign, spaces incl. no-break, ideographic and zero-width ones,
 *     brackets, dots, slashes, tildes, full-width forms) and "*" among them, then also
 *     letters; and optionally an extension. Anything else is not a number.
 *  3. MaybeStripExtension: an extension at the end ("ext. 12", "x12", ";ext=12", "#", ",,12",
 *     "доб 12", full-width labels, "- 503#") is dropped when what precedes it is viable.
 *  4. Normalize: with three letters or more the letters are keypad digits (E.161:
 *     1-800-FLOWERS) and only ASCII letters and digits count; otherwise every decimal
 *     digit of any script (full-width, Arabic-Indic, Persian, Devanagari...) is its ASCII
 *     digit and everything else goes.
 *
 * Characters are compared as ICU does, case-insensitively where libphonenumber's patterns
 * say "(?i)" (phone_unicode.c holds the classes, generated from ICU). Each character is
 * classified once, when the text is decoded; the common case — ASCII digits, "+" and
 * plain punctuation — is read in one pass without decoding (ReadPlain).
 *
 * One deliberate difference: input longer than 250 characters is not a number (the
 * limit of libphonenumber's Java reading, MAX_INPUT_STRING_LENGTH; its C++ one has none),
 * which bounds the work and the stack used.
 */
#include "postgres.h"

#include <limits.h>

#include "mb/pg_wchar.h"

#include "phone_read.h"
#include "phone_unicode.h"

/* what a character is to libphonenumber's patterns, and to this reading */
#define CH_DIGIT	0x01		/* \p{Nd} */
#define CH_SEMI		0x02		/* ";": URI parameters are looked for */
#define CH_SLASH	0x04		/* "/" or "\\": a second number is looked for */
#define CH_INVALID	0x08		/* not interchange valid: no number */
#define CH_ALPHA	PHONE_CHAR_ALPHA	/* VALID_ALPHA "a-z", case-insensitively */
#define CH_PUNCT	PHONE_CHAR_PUNCT	/* VALID_PUNCTUATION */
#define CH_PLUS		PHONE_CHAR_PLUS /* PLUS_CHARS */
#define CH_LABEL	0x80		/* punctuation that is also an extension label: x X ~ */

/* decoded text, each character classified */
typedef struct Text
{
	uint32		c[PHONE_MAX_CHARS];
	uint8		cls[PHONE_MAX_CHARS];
	int			n;
	uint8		seen;			/* the classes of all its characters, or-ed */
} Text;

/* a stretch of a Text */
typedef struct Span
{
	const uint32 *c;
	const uint8 *cls;
	int			n;
} Span;

static uint8 ascii_class[128];

/* The CH_* class of c. */
static uint8
Class(uint32 c)
{
	uint8		k = phone_char_class(c);

	return (k & (CH_ALPHA | CH_PUNCT | CH_PLUS)) |
		((k & PHONE_CHAR_DIGIT_MASK) != PHONE_CHAR_NO_DIGIT ? CH_DIGIT : 0) |
		(c == ';' ? CH_SEMI : 0) | (c == '/' || c == '\\' ? CH_SLASH : 0) |
		(c == 'x' || c == 'X' || c == '~' ? CH_LABEL : 0) |
		(phone_interchange_valid(c) ? 0 : CH_INVALID);
}

/* The value of the digit c. */
static inline int
DigitValue(uint32 c)
{
	return c < 0x80 ? (int) (c - '0') : phone_char_class(c) & PHONE_CHAR_DIGIT_MASK;
}

/* ICU's line terminators, which "." does not cross */
static inline bool
IsLineEnd(uint32 c)
{
	return (c >= 0x0A && c <= 0x0D) || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* bidirectional marks, embeddings and isolates copied around a number */
static inline bool
IsBidiMark(uint32 c)
{
	return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
		(c >= 0x2066 && c <= 0x2069) || c == 0x061C;
}

/* t[from..to) */
static Span
SpanOf(const Text *t, int from, int to)
{
	Span		s = {t->c + from, t->cls + from, to - from};

	return s;
}

/* Where ascii (a string of ASCII characters) first occurs in s, or -1. */
static int
Find(const Span *s, const char *ascii)
{
	int			len = strlen(ascii);

	for (int i = 0; i + len <= s->n; i++)
		if (s->c[i] == (uint32) ascii[0])
		{
			int			k = 1;

			while (k < len && s->c[i + k] == (uint32) (unsigned char) ascii[k])
				k++;
			if (k == len)
				return i;
		}
	return -1;
}

/* s[from..upto) appended to to (as much as fits) */
static void
Append(Text *to, const Span *s, int from, int upto)
{
	for (int i = from; i < upto && to->n < PHONE_MAX_CHARS; i++, to->n++)
	{
		to->c[to->n] = s->c[i];
		to->cls[to->n] = s->cls[i];
	}
}

/* ---- extensions (libphonenumber's CreateExtnPattern(for_parsing = true)) ---- */

/*
 * The labels, folded, as libphonenumber writes them: explicit ones
 * "e?xt(?:ensi(?:o\u0301?|ó))?n?|(?:ｅ)?ｘｔ(?:ｎ)?|доб|anexo" (spelt out), and the
 * ambiguous "[xｘ#＃~～]|int|ｉｎｔ".
 */
typedef struct Label
{
	int			len;
	uint32		c[10];
} Label;

static const Label explicit_labels[] = {
	{2, {'x', 't'}}, {3, {'x', 't', 'n'}}, {3, {'e', 'x', 't'}}, {4, {'e', 'x', 't', 'n'}},
	{7, {'x', 't', 'e', 'n', 's', 'i', 'o'}}, {8, {'x', 't', 'e', 'n', 's', 'i', 'o', 'n'}},
	{8, {'x', 't', 'e', 'n', 's', 'i', 'o', 0x301}},
	{9, {'x', 't', 'e', 'n', 's', 'i', 'o', 0x301, 'n'}},
	{7, {'x', 't', 'e', 'n', 's', 'i', 0xF3}}, {8, {'x', 't', 'e', 'n', 's', 'i', 0xF3, 'n'}},
	{8, {'e', 'x', 't', 'e', 'n', 's', 'i', 'o'}}, {9, {'e', 'x', 't', 'e', 'n', 's', 'i', 'o', 'n'}},
	{9, {'e', 'x', 't', 'e', 'n', 's', 'i', 'o', 0x301}},
	{10, {'e', 'x', 't', 'e', 'n', 's', 'i', 'o', 0x301, 'n'}},
	{8, {'e', 'x', 't', 'e', 'n', 's', 'i', 0xF3}},
	{9, {'e', 'x', 't', 'e', 'n', 's', 'i', 0xF3, 'n'}},
	{2, {0xFF58, 0xFF54}}, {3, {0xFF58, 0xFF54, 0xFF4E}}, {3, {0xFF45, 0xFF58, 0xFF54}},
	{4, {0xFF45, 0xFF58, 0xFF54, 0xFF4E}}, {3, {0x0434, 0x043E, 0x0431}},
	{5, {'a', 'n', 'e', 'x', 'o'}},
};
static const Label ambiguous_labels[] = {
	{1, {'x'}}, {1, {0xFF58}}, {1, {'#'}}, {1, {0xFF03}}, {1, {'~'}}, {1, {0xFF5E}},
	{3, {'i', 'n', 't'}}, {3, {0xFF49, 0xFF4E, 0xFF54}},
};
static const Label rfc_label = {5, {';', 'e', 'x', 't', '='}};

/* Does label, folded, end at end in s? */
static bool
LabelEndsAt(const Span *s, int end, const Label *label)
{
	if (label->len > end)
		return false;
	for (int i = label->len - 1; i >= 0; i--)
		if (phone_fold(s->c[end - label->len + i]) != label->c[i])
			return false;
	return true;
}

/* separators before a label: "[ \u00A0\t,]*" (or without the comma) */
static inline bool
IsLabelSeparator(uint32 c, bool comma)
{
	return c == ' ' || c == 0xA0 || c == '\t' || (comma && c == ',');
}

/* what may follow a label before the digits: "[:\.．]?[ \u00A0\t,-]*" */
static inline bool
IsAfterLabel(uint32 c)
{
	return c == ':' || c == '.' || c == 0xFF0E;
}

/* the separators after it */
static inline bool
IsAfterLabelSeparator(uint32 c)
{
	return c == ' ' || c == 0xA0 || c == '\t' || c == ',' || c == '-';
}

/* Could f (folded) end some label? (a quick way past the label lists) */
static inline bool
MayEndLabel(uint32 f)
{
	return f == 't' || f == 'n' || f == 'o' || f == 0xF3 || f == 0x301 || f == 0x0431 ||
		f == 'x' || f == 0xFF58 || f == 0xFF54 || f == 0xFF4E || f == '#' || f == 0xFF03 ||
		f == '~' || f == 0xFF5E || f == ',' || f == ';';
}

typedef struct ExtSearch
{
	const Span *s;
	int			lo;				/* the match must start here or later */
	int			best;			/* leftmost start found so far */
} ExtSearch;

/* A match may start anywhere in [first, last]: keep the leftmost one >= lo. */
static void
Candidate(ExtSearch *x, int first, int last)
{
	int			start = Max(first, x->lo);

	if (start <= last && start < x->best)
		x->best = start;
}

/* The separators before a label that starts at b: matches may start from there to b. */
static void
LabelAt(ExtSearch *x, int b, bool comma)
{
	int			first = b;

	while (first > 0 && IsLabelSeparator(x->s->c[first - 1], comma))
		first--;
	Candidate(x, first, b);
}

/*
 * The leftmost start >= lo of an extension that runs to n, the end of s (libphonenumber's
 * extension pattern, anchored with "$", as ICU's find() meets it), or -1.
 *
 * Every form ends with its digits (then, for most, an optional "#"), and nothing in front
 * of the digits is a digit, so the digits are the whole run of digits at the end; the
 * label before them is looked for backwards.
 */
static int
ExtensionStart(const Span *s, int n, int lo)
{
	ExtSearch	x = {.s = s, .lo = lo, .best = INT_MAX};
	bool		hash = n > 0 && s->c[n - 1] == '#';
	int			end = n - hash;
	int			ds = end;
	int			ndigits;
	int			run;

	while (ds > 0 && (s->cls[ds - 1] & CH_DIGIT))
		ds--;
	ndigits = end - ds;
	if (ndigits == 0)
		return -1;

	/* RFC 3966: ";ext=" and up to 20 digits, no "#" */
	if (!hash && ndigits <= 20 && ds > 0 && s->c[ds - 1] == '=' &&
		LabelEndsAt(s, ds, &rfc_label))
		Candidate(&x, ds - rfc_label.len, ds - rfc_label.len);
	/* American style: "[- ]+" up to 6 digits and "#" */
	if (hash && ndigits <= 6)
	{
		int			first = ds;

		while (first > 0 && (s->c[first - 1] == '-' || s->c[first - 1] == ' '))
			first--;
		Candidate(&x, first, ds - 1);
	}

	/*
	 * Labelled forms: separators, label, an optional ":" or ".", more separators, the
	 * digits. Every split of the separators before the digits is tried (a "," there may
	 * be a separator or the label itself).
	 */
	run = ds;
	while (run > 0 && IsAfterLabelSeparator(s->c[run - 1]))
		run--;
	for (int q = ds; q >= run; q--)
	{
		for (int after = 0; after <= 1; after++)
		{
			int			e = q - after;

			uint32		last;

			if (e <= 0 || (after && !IsAfterLabel(s->c[q - 1])))
				continue;
			last = phone_fold(s->c[e - 1]);
			if (!MayEndLabel(last))
				continue;
			for (int i = 0; ndigits <= 20 && i < lengthof(explicit_labels); i++)
				if (explicit_labels[i].c[explicit_labels[i].len - 1] == last &&
					LabelEndsAt(s, e, &explicit_labels[i]))
					LabelAt(&x, e - explicit_labels[i].len, true);
			for (int i = 0; ndigits <= 9 && i < lengthof(ambiguous_labels); i++)
				if (ambiguous_labels[i].c[ambiguous_labels[i].len - 1] == last &&
					LabelEndsAt(s, e, &ambiguous_labels[i]))
					LabelAt(&x, e - ambiguous_labels[i].len, true);
			/* auto-dialling: ",," or ";" and up to 15 digits */
			if (ndigits <= 15 && s->c[e - 1] == ';')
				LabelAt(&x, e - 1, false);
			if (ndigits <= 15 && e >= 2 && s->c[e - 1] == ',' && s->c[e - 2] == ',')
				LabelAt(&x, e - 2, false);
			/* one comma or more and up to 9 digits: the label may start anywhere in the run */
			if (ndigits <= 9 && s->c[e - 1] == ',')
			{
				int			b = e - 1;

				while (b > 0 && s->c[b - 1] == ',')
					b--;
				LabelAt(&x, b, false);
				Candidate(&x, b + 1, e - 1);
			}
		}
	}
	return x.best == INT_MAX ? -1 : x.best;
}

/*
 * Can s hold an extension? Not when it is all digits, plus signs and punctuation none of
 * which is a label ("x", "~"): every extension has a label, a "#", "," or ";".
 */
static bool
MayHoldExtension(const Span *s)
{
	for (int i = 0; i < s->n; i++)
		if ((s->cls[i] & (CH_DIGIT | CH_PUNCT | CH_PLUS)) == 0 || (s->cls[i] & CH_LABEL))
			return true;
	return false;
}

/*
 * IsViablePhoneNumber on s[0..n): "\p{Nd}{2}" or "[+＋]*(?:[P*]*\p{Nd}){3,}[P*a-z\p{Nd}]*"
 * followed by an optional extension, matching all of s (P: VALID_PUNCTUATION).
 */
static bool
Viable(const Span *s, int n)
{
	int			i = 0;
	int			digits = 0;
	int			rest;
	int			ext;

	if (n == 2 && (s->cls[0] & s->cls[1] & CH_DIGIT))
		return true;
	while (i < n && (s->cls[i] & CH_PLUS))
		i++;
	for (; i < n && digits < 3; i++)
	{
		if (s->cls[i] & CH_DIGIT)
			digits++;
		else if (!(s->cls[i] & CH_PUNCT) && s->c[i] != '*')
			return false;
	}
	if (digits < 3)
		return false;
	rest = i;
	while (rest < n && ((s->cls[rest] & (CH_DIGIT | CH_PUNCT | CH_ALPHA)) || s->c[rest] == '*'))
		rest++;
	if (rest == n)
		return true;
	/* an extension must take everything from some point between i and rest */
	ext = ExtensionStart(s, n, i);
	return ext >= 0 && ext <= rest;
}

/*
 * ExtractPossibleNumber: from the first "+" or digit, without trailing characters that
 * are neither letters, numbers nor "#", and without a second number after "/ x" or "\ x".
 */
static Span
ExtractPossibleNumber(const Text *in)
{
	int			start = 0;
	int			end = in->n;

	while (start < in->n && !(in->cls[start] & (CH_PLUS | CH_DIGIT)))
		start++;
	while (end > start && in->c[end - 1] != '#' &&
		   !(in->cls[end - 1] & (CH_DIGIT | CH_ALPHA)) &&
		   !phone_is_letter_or_number(in->c[end - 1]))
		end--;

	/*
	 * "(.*)[\\/] *x", found leftmost: the first line holding "\ x" or "/ x" is cut at the
	 * last of them in it ("." crosses no line end).
	 */
	for (int line = start; (in->seen & CH_SLASH) && line < end;)
	{
		int			line_end = line;
		int			cut = -1;

		while (line_end < end && !IsLineEnd(in->c[line_end]))
			line_end++;
		for (int i = line; i < line_end; i++)
			if (in->c[i] == '/' || in->c[i] == '\\')
			{
				int			k = i + 1;

				while (k < line_end && in->c[k] == ' ')
					k++;
				if (k < line_end && in->c[k] == 'x')
					cut = i;
			}
		if (cut >= 0)
			return SpanOf(in, line, cut);
		line = line_end + 1;
	}
	return SpanOf(in, start, end);
}

/* BuildNationalNumberForParsing: in a stretch of in, or put together in buf. */
static Span
BuildNationalNumber(const Text *in, Text *buf)
{
	Span		all = SpanOf(in, 0, in->n);
	int			context = (in->seen & CH_SEMI) ? Find(&all, ";phone-context=") : -1;
	Span		number;
	int			isub;

	if (context >= 0)
	{
		int			from = context + 15;
		int			tel = Find(&all, "tel:");
		int			start = tel >= 0 ? tel + 4 : 0;

		buf->n = 0;
		/* a context that is a number prefix ("+1"), up to the next parameter */
		if (from + 1 < in->n && in->c[from] == '+')
		{
			int			to = from;

			while (to < in->n && in->c[to] != ';')
				to++;
			Append(buf, &all, from, to);
		}
		/* then what lies between "tel:" (or the start) and the context */
		Append(buf, &all, start, start <= context ? context : in->n);
		number = SpanOf(buf, 0, buf->n);
	}
	else
		number = ExtractPossibleNumber(in);
	isub = (in->seen & CH_SEMI) ? Find(&number, ";isub=") : -1;
	if (isub >= 0)
		number.n = isub;
	return number;
}

/* ConvertAlphaCharactersInNumber's keypad (ITU E.161) */
static const char keypad[26] = "22233344455566677778889999";

/* Normalize: s[from..n) to ASCII digits (seen: the classes in s, or more) */
static void
Normalize(const Span *s, int from, int n, uint8 seen, PhoneReading *out)
{
	int			letters = 0;
	int			count = 0;

	for (int i = from; (seen & CH_ALPHA) && i < n && letters < 3; i++)
		letters += (s->cls[i] & CH_ALPHA) != 0;
	for (int i = from; i < n; i++)
	{
		uint32		c = s->c[i];

		if (letters >= 3)
		{
			/* a vanity number: ASCII letters and digits only */
			if (c >= '0' && c <= '9')
				out->digits[count++] = (char) c;
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				out->digits[count++] = keypad[(c | 0x20) - 'a'];
		}
		else if (s->cls[i] & CH_DIGIT)
			out->digits[count++] = (char) ('0' + DigitValue(c));
	}
	out->digits[count] = '\0';
	out->ndigits = count;
}

/*
 * raw decoded and classified (false: not valid UTF-8, not interchange valid, or longer
 * than PHONE_MAX_CHARS), converted to UTF-8 first in a database of another encoding
 */
static bool
Decode(const char *raw, size_t len, Text *out)
{
	int			encoding = GetDatabaseEncoding();
	const unsigned char *p;
	const unsigned char *end;
	uint8		seen = 0;
	int			n = 0;

	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
	{
		bool		ascii = true;

		for (size_t i = 0; i < len && ascii; i++)
			ascii = !IS_HIGHBIT_SET(raw[i]);
		if (!ascii)
		{
			raw = (const char *) pg_do_encoding_conversion((unsigned char *) raw, len,
														   encoding, PG_UTF8);
			len = strlen(raw);
		}
	}
	if (ascii_class['0'] == 0)
		for (uint32 c = 0; c < 128; c++)
			ascii_class[c] = Class(c);
	p = (const unsigned char *) raw;
	end = p + len;
	while (p < end)
	{
		uint32		c = *p;
		uint8		k;

		if (n == PHONE_MAX_CHARS)
			return false;
		if (c < 0x80)
		{
			k = ascii_class[c];
			p++;
		}
		else
		{
			int			bytes = phone_utf8_char(p, end, &c);

			if (bytes == 0)
				return false;
			k = Class(c);
			p += bytes;
		}
		out->c[n] = c;
		out->cls[n++] = k;
		seen |= k;
	}
	out->n = n;
	out->seen = seen;
	return !(seen & CH_INVALID);
}

/*
 * The fast path for what most numbers look like: ASCII digits, a run of "+" before the
 * first of them, and the plain punctuation " -.()[]/". Such a string holds no letter, no
 * extension and no URI, and every character is punctuation to libphonenumber, so with
 * three digits or more it reads as its digits (and its "+"). False: read it the long way.
 */
static bool
ReadPlain(const char *raw, size_t len, PhoneReading *out)
{
	int			plus = 0;
	int			n = 0;
	char	   *digits = out->digits;

	if (len > PHONE_MAX_CHARS)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = raw[i];

		if (c >= '0' && c <= '9')
			digits[n++] = c;
		else if (c == '+')
		{
			if (n > 0 || (plus > 0 && raw[i - 1] != '+'))
				return false;
			plus++;
		}
		else if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' ||
				   c == '[' || c == ']'))
			return false;
	}
	digits[n] = '\0';
	out->ndigits = n;
	out->plus = plus > 0;
	return n >= 3;
}

bool
phone_read(const char *raw, size_t len, PhoneReading *out)
{
	Text		in;
	Text		buf;
	Span		number;
	int			ext;
	int			from = 0;

	if (ReadPlain(raw, len, out))
		return true;
	if (!Decode(raw, len, &in))
		return false;
	number = BuildNationalNumber(&in, &buf);
	if (!Viable(&number, number.n))
		return false;
	ext = MayHoldExtension(&number) ? ExtensionStart(&number, number.n, 0) : -1;
	if (ext > 0 && Viable(&number, ext))
		number.n = ext;
	out->plus = (number.cls[0] & CH_PLUS) != 0;
	while (from < number.n && (number.cls[from] & CH_PLUS))
		from++;
	Normalize(&number, from, number.n, in.seen, out);
	return true;
}

bool
phone_read_calling_code(const char *raw, size_t len, char code[4])
{
	Text		in;
	int			digits = 0;

	if (!Decode(raw, len, &in))
		return false;
	for (int i = 0; i < in.n; i++)
	{
		if (in.cls[i] & CH_DIGIT)
		{
			if (digits == 3)
				return false;
			code[digits++] = (char) ('0' + DigitValue(in.c[i]));
		}
		else if (!(in.cls[i] & (CH_PLUS | CH_PUNCT)) && !IsBidiMark(in.c[i]) && in.c[i] != '\t')
			return false;
	}
	code[digits] = '\0';
	return digits > 0;
}
