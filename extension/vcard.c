/*
 * vcard.c — vCard 2.1 / 3.0 / 4.0 (RFC 2426, RFC 6350) read into a contact of SPEC §9 and
 * written back from one, for CardDAV (SPEC §15, sql/logic/70_carddav.sql); and the two
 * small codecs a WebDAV answer needs (a resource name in an href, text in XML).
 *
 * Reading (vcard_parse): strict about structure, tolerant about spelling. Lines end in
 * CRLF or LF; a line starting with a space or tab continues the one before (folding),
 * and a quoted-printable value (2.1 / 3.0, ENCODING=QUOTED-PRINTABLE or a bare
 * QUOTED-PRINTABLE parameter) continues past a final "=" (its soft line break). Exactly
 * one card, BEGIN:VCARD to END:VCARD, VERSION 2.1, 3.0 or 4.0; text is UTF-8 (a
 * quoted-printable value decodes to UTF-8 or the card is refused). Property names and
 * parameters in any case; 2.1's bare parameters (TEL;HOME;VOICE) are TYPE values.
 *
 * What maps onto §9 (the properties SPEC §15 lists): FN, N, EMAIL, TEL, ADR, BDAY, ORG,
 * TITLE, URL, IMPP, NOTE, CATEGORIES (tags), X-ABRELATEDNAMES (and 4.0's RELATED with a
 * text value), UID (the contact's external_id), an inline PHOTO (the contact's photo,
 * when it is a JPEG, PNG or WebP image: sql/logic/70_carddav.sql decides). Every other property is kept as it came —
 * the logical line, unfolded, byte for byte — and written back after the mapped ones,
 * so a round trip loses nothing a client stored. VERSION, PRODID and REV are the
 * card's own, written anew (REV from the contact's updated time). A mapped property whose
 * value the contact model refuses (an EMAIL that is no address, an empty TEL, a TYPE
 * longer than a label) is kept as an unmodelled one, verbatim (vcard_parse's "mapped",
 * 70_carddav.sql dav_card_fit()); blanks around an EMAIL, TEL, URL or IMPP value are trimmed. What is lost on a mapped property:
 * parameters other than TYPE and PREF, an ADR's post office box (kept in front of its
 * extended address). A group prefix (item1., Apple's custom labels) is kept on the value it
 * was on (vcard_parse's "groups", contact_cards.groups).
 *
 * Writing (vcard_render): the version asked for (3.0 by default, what iOS reads; 4.0),
 * lines folded at 75 octets on character boundaries, CRLF, text escaped as the version
 * says; a birthday without a year as 4.0's --MMDD, or in 3.0 Apple's 1604 year marked
 * X-APPLE-OMIT-YEAR, which Apple's, Android's and Thunderbird's readers understand (and
 * which reading maps back to no year).
 */
#include "postgres.h"

#include "common/base64.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "catalog/pg_type.h"

#include "privacybee.h"
#include "text_chars.h"

/* a card larger than this is refused (a photo inline is the usual bulk) */
#define VCARD_MAX_BYTES (4 * 1024 * 1024)
#define VCARD_MAX_LINES 10000
#define FOLD_OCTETS 75

typedef struct VcardParam
{
	char	   *name;			/* upper case; "TYPE" for a 2.1 bare value */
	char	   *value;			/* as written, quotes removed */
} VcardParam;

typedef struct Property
{
	char	   *line;			/* the logical line as it came (unfolded) */
	char	   *group;			/* NULL when none */
	char	   *name;			/* upper case */
	VcardParam	   *params;
	int			nparams;
	char	   *value;			/* raw: before any decoding */
} Property;

static void
Refuse(const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_PT_BAD_REQUEST),
			 errmsg("the vCard %s", problem)));
}

/* ---- reading --------------------------------------------------------------------- */

/*
 * A card holding a character text may not hold (text_chars.h: RFC 6350 text has no place
 * for a control character, and XML none for most) is refused as a whole, naming the line
 * and its property, like any other card that is not one: stored, it would make every
 * CardDAV answer listing it malformed XML.
 */
static void
RefuseCharacters(const char *data, size_t len)
{
	unsigned	cp;
	size_t		n;
	long		at = text_chars_find(data, len, &cp, &n);
	const char *start = data;
	int			line = 1;
	size_t		name = 0;

	if (at < 0)
		return;
	for (long i = 0; i < at; i++)
		if (data[i] == '\n')
		{
			line++;
			start = data + i + 1;
		}
	if (*start != ' ' && *start != '\t')
		while (start + name < data + at && strchr(":;\r\n", start[name]) == NULL)
			name++;
	if (name > 0)
		Refuse(psprintf("%.*s (line %d) " TEXT_CHARS_PROBLEM_FMT, (int) Min(name, 64), start,
						line, cp));
	Refuse(psprintf("line %d " TEXT_CHARS_PROBLEM_FMT, line, cp));
}

static bool
IsQuotedPrintableLine(const char *line, size_t len)
{
	/* the part before the value: parameters may say QUOTED-PRINTABLE */
	const char *colon = memchr(line, ':', len);
	size_t		head = colon ? (size_t) (colon - line) : len;

	for (size_t i = 0; i + 16 <= head; i++)
		if (pg_strncasecmp(line + i, "QUOTED-PRINTABLE", 16) == 0)
			return true;
	return false;
}

/* The logical lines of text: unfolded, soft line breaks of quoted-printable joined. */
static List *
LogicalLines(const char *text, size_t len)
{
	List	   *lines = NIL;
	StringInfoData cur;
	bool		have = false;
	size_t		i = 0;

	initStringInfo(&cur);
	while (i < len)
	{
		size_t		start = i;
		size_t		end;

		while (i < len && text[i] != '\n' && text[i] != '\r')
			i++;
		end = i;
		if (i < len && text[i] == '\r')
			i++;
		if (i < len && text[i] == '\n')
			i++;
		if (have && cur.len > 0 && cur.data[cur.len - 1] == '=' &&
			IsQuotedPrintableLine(cur.data, (size_t) cur.len))
		{
			/*
			 * a soft line break (RFC 2045 §6.7): the "=" was not part of the value, and
			 * the next line goes on as it is, a leading space included
			 */
			cur.data[--cur.len] = '\0';
			appendBinaryStringInfo(&cur, text + start, (int) (end - start));
			continue;
		}
		if (end > start && (text[start] == ' ' || text[start] == '\t') && have)
		{
			appendBinaryStringInfo(&cur, text + start + 1, (int) (end - start - 1));
			continue;
		}
		if (have && cur.len > 0)
			lines = lappend(lines, pstrdup(cur.data));
		if (list_length(lines) > VCARD_MAX_LINES)
			Refuse("has too many lines");
		resetStringInfo(&cur);
		appendBinaryStringInfo(&cur, text + start, (int) (end - start));
		have = true;
	}
	if (have && cur.len > 0)
		lines = lappend(lines, pstrdup(cur.data));
	return lines;
}

static char *
Upper(const char *s, size_t n)
{
	char	   *out = palloc(n + 1);

	for (size_t i = 0; i < n; i++)
		out[i] = pg_ascii_toupper((unsigned char) s[i]);
	out[n] = '\0';
	return out;
}

/* One content line: [group "."] name *(";" param) ":" value (RFC 6350 §3.3). */
static Property *
ParseLine(char *line)
{
	Property   *p = palloc0(sizeof(Property));
	char	   *s = line;
	char	   *name_start = s;
	int			size = 4;

	p->line = line;
	p->params = palloc(sizeof(VcardParam) * size);
	while (*s && (isalnum((unsigned char) *s) || *s == '-' || *s == '_'))
		s++;
	if (*s == '.')
	{
		p->group = pnstrdup(name_start, s - name_start);
		name_start = ++s;
		while (*s && (isalnum((unsigned char) *s) || *s == '-' || *s == '_'))
			s++;
	}
	if (s == name_start)
		Refuse(psprintf("has a line without a property name: \"%.40s\"", line));
	p->name = Upper(name_start, s - name_start);
	while (*s == ';')
	{
		char	   *pname = ++s;
		char	   *pname_end;
		StringInfoData value;

		while (*s && *s != '=' && *s != ';' && *s != ':')
			s++;
		pname_end = s;
		initStringInfo(&value);
		if (*s == '=')
		{
			s++;
			/* a value, or several separated by commas, each possibly quoted */
			while (*s && *s != ';' && *s != ':')
			{
				if (*s == '"')
				{
					char	   *q = strchr(s + 1, '"');

					if (q == NULL)
						Refuse(psprintf("has an unterminated quoted parameter in %s", p->name));
					appendBinaryStringInfo(&value, s + 1, (int) (q - s - 1));
					s = q + 1;
				}
				else
					appendStringInfoChar(&value, *s++);
			}
		}
		if (p->nparams == size)
			p->params = repalloc(p->params, sizeof(VcardParam) * (size *= 2));
		if (pname_end > pname && value.len == 0 && pname_end[-1] != '=' && *pname_end != '=')
		{
			/* 2.1: a bare parameter is a TYPE value, or the encoding */
			p->params[p->nparams].name = pstrdup("TYPE");
			p->params[p->nparams].value = pnstrdup(pname, pname_end - pname);
			if (pg_strcasecmp(p->params[p->nparams].value, "QUOTED-PRINTABLE") == 0 ||
				pg_strcasecmp(p->params[p->nparams].value, "BASE64") == 0)
				p->params[p->nparams].name = pstrdup("ENCODING");
		}
		else
		{
			p->params[p->nparams].name = Upper(pname, pname_end - pname);
			p->params[p->nparams].value = value.data;
		}
		p->nparams++;
	}
	if (*s != ':')
		Refuse(psprintf("has a %s line without a value (no \":\")", p->name));
	p->value = s + 1;
	return p;
}

static const char *
ParamValue(Property *p, const char *name)
{
	for (int i = 0; i < p->nparams; i++)
		if (strcmp(p->params[i].name, name) == 0)
			return p->params[i].value;
	return NULL;
}

static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = pg_ascii_toupper((unsigned char) c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value as UTF-8: quoted-printable decoded where the parameters say so. */
static char *
DecodedValue(Property *p)
{
	const char *encoding = ParamValue(p, "ENCODING");
	const char *charset = ParamValue(p, "CHARSET");
	StringInfoData out;

	if (charset && pg_strcasecmp(charset, "UTF-8") != 0 && pg_strcasecmp(charset, "US-ASCII") != 0)
		Refuse(psprintf("says CHARSET=%s in %s: only UTF-8 is read", charset, p->name));
	if (encoding == NULL || pg_strcasecmp(encoding, "QUOTED-PRINTABLE") != 0)
		return p->value;
	initStringInfo(&out);
	for (const char *s = p->value; *s; s++)
	{
		if (*s == '=' && HexValue(s[1]) >= 0 && HexValue(s[2]) >= 0)
		{
			appendStringInfoChar(&out, (char) (HexValue(s[1]) * 16 + HexValue(s[2])));
			s += 2;
		}
		else if (*s == '=')
			Refuse(psprintf("has a malformed quoted-printable value in %s", p->name));
		else
			appendStringInfoChar(&out, *s);
	}
	if (memchr(out.data, '\0', out.len) ||
		pg_verify_mbstr_len(PG_UTF8, out.data, out.len, true) < 0)
		Refuse(psprintf("has a quoted-printable value in %s that is not UTF-8", p->name));
	return out.data;
}

/*
 * Split a value on unescaped sep (';' for components, ',' for list items; sep '\0': no
 * split), each part unescaped (\n \N newline, \, \; \\ and any other escaped character
 * itself).
 */
static List *
SplitText(const char *value, char sep)
{
	List	   *parts = NIL;
	StringInfoData cur;

	initStringInfo(&cur);
	for (const char *s = value;; s++)
	{
		if (*s == '\0' || (sep && *s == sep))
		{
			parts = lappend(parts, pstrdup(cur.data));
			resetStringInfo(&cur);
			if (*s == '\0')
				break;
		}
		else if (*s == '\\' && s[1])
		{
			s++;
			appendStringInfoChar(&cur, (*s == 'n' || *s == 'N') ? '\n' : *s);
		}
		else
			appendStringInfoChar(&cur, *s);
	}
	return parts;
}

static char *
Text(Property *p)
{
	return linitial(SplitText(DecodedValue(p), '\0'));
}

static char *
Component(List *parts, int i)
{
	return i < list_length(parts) ? (char *) list_nth(parts, i) : "";
}

/* The TYPE values (TYPE=a,b;TYPE=c; 2.1's bare ones), lower case. */
static List *
Types(Property *p)
{
	List	   *types = NIL;

	for (int i = 0; i < p->nparams; i++)
	{
		if (strcmp(p->params[i].name, "TYPE") != 0)
			continue;
		for (char *t = strtok(pstrdup(p->params[i].value), ","); t; t = strtok(NULL, ","))
		{
			for (char *c = t; *c; c++)
				*c = pg_ascii_tolower((unsigned char) *c);
			if (*t)
				types = lappend(types, t);
		}
	}
	return types;
}

/* The label §9 keeps: the first TYPE that says more than the kind ("cell" is mobile). */
static const char *
TypeLabel(Property *p)
{
	static const char *const generic[] = {"pref", "internet", "voice", "x400", "text", NULL};
	ListCell   *lc;

	foreach(lc, Types(p))
	{
		const char *t = lfirst(lc);
		bool		skip = false;

		for (int i = 0; generic[i]; i++)
			skip |= strcmp(t, generic[i]) == 0;
		if (!skip)
		{
			/* a quote cannot be written back inside a parameter: it is no part of a label */
			char	   *label = pstrdup(t);
			char	   *w = label;

			for (char *r = label; *r; r++)
				if (*r != '"')
					*w++ = *r;
			*w = '\0';
			return strcmp(label, "cell") == 0 ? "mobile" : label;
		}
	}
	return NULL;
}

static bool
Preferred(Property *p)
{
	ListCell   *lc;
	const char *pref = ParamValue(p, "PREF");

	if (pref && strcmp(pref, "1") == 0)
		return true;
	foreach(lc, Types(p))
		if (strcmp(lfirst(lc), "pref") == 0)
		return true;
	return false;
}

/* JSON builders: "key":value pairs appended with a comma when needed */
static void
Key(StringInfo buf, const char *key)
{
	if (buf->len > 0 && buf->data[buf->len - 1] != '{' && buf->data[buf->len - 1] != '[')
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

static void
StringMember(StringInfo buf, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	Key(buf, key);
	escape_json(buf, value);
}

static void
ListItem(StringInfo list, StringInfo item)
{
	if (list->len > 1)
		appendStringInfoChar(list, ',');
	appendBinaryStringInfo(list, item->data, item->len);
}

/*
 * Where a mapped property went: "path": its logical line(s) as they came, CRLF after each,
 * path the field of the contact object it became (details.emails[0]), as the contact
 * validator names a problem (contact_problems()); a property whose value the model
 * refuses goes back among the unmodelled ones, verbatim (70_carddav.sql dav_card_fit()).
 */
static void
Mapped(StringInfo mapped, const char *path, const char *lines)
{
	if (mapped->len > 1)
		appendStringInfoChar(mapped, ',');
	escape_json(mapped, path);
	appendStringInfoChar(mapped, ':');
	escape_json(mapped, lines);
}

/*
 * Apple's grouped labels (item1.TEL beside item1.X-ABLabel): the group of a mapped
 * property, under "<list>:<value>" (the value as the contact keeps it), so that the card
 * written back puts it on the same value (contact_cards.groups; vcard_render()).
 */
static void
Grouped(StringInfo groups, Property *p, const char *list, const char *value)
{
	if (p->group == NULL || value == NULL)
		return;
	if (groups->len > 1)
		appendStringInfoChar(groups, ',');
	escape_json(groups, psprintf("%s:%s", list, value));
	appendStringInfoChar(groups, ':');
	escape_json(groups, p->group);
}

static char *
LineOf(Property *p)
{
	return psprintf("%s\r\n", p->line);
}

/* A value without the blanks around it (a trailing space is a typing slip, no part of an
 * address, number or URI). */
static char *
Trimmed(char *v)
{
	size_t		n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	return v;
}

static bool
Digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return true;
}

/*
 * A BDAY: YYYY-MM-DD, YYYYMMDD, --MMDD, --MM-DD (a time after T ignored), or Apple's
 * 1604-MM-DD with X-APPLE-OMIT-YEAR=1604 (no year). False when it is none of those.
 */
static bool
Birthday(Property *p, StringInfo out)
{
	char	   *v = pstrdup(Text(p));
	const char *omit = ParamValue(p, "X-APPLE-OMIT-YEAR");
	char	   *t = strchr(v, 'T');
	int			year = -1,
				month,
				day;
	size_t		n;

	if (t)
		*t = '\0';
	n = strlen(v);
	if (n == 10 && Digits(v, 4) && v[4] == '-' && Digits(v + 5, 2) && v[7] == '-' && Digits(v + 8, 2))
	{
		year = atoi(pnstrdup(v, 4));
		month = atoi(pnstrdup(v + 5, 2));
		day = atoi(v + 8);
	}
	else if (n == 8 && Digits(v, 8))
	{
		year = atoi(pnstrdup(v, 4));
		month = atoi(pnstrdup(v + 4, 2));
		day = atoi(v + 6);
	}
	else if (n == 6 && v[0] == '-' && v[1] == '-' && Digits(v + 2, 4))
	{
		month = atoi(pnstrdup(v + 2, 2));
		day = atoi(v + 4);
	}
	else if (n == 7 && v[0] == '-' && v[1] == '-' && Digits(v + 2, 2) && v[4] == '-' && Digits(v + 5, 2))
	{
		month = atoi(pnstrdup(v + 2, 2));
		day = atoi(v + 5);
	}
	else
		return false;
	if (omit && year >= 0 && atoi(omit) == year)
		year = -1;
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	appendStringInfoChar(out, '{');
	if (year >= 0)
		appendStringInfo(out, "\"year\":%d,", year);
	appendStringInfo(out, "\"month\":%d,\"day\":%d}", month, day);
	return true;
}

/*
 * An inline PHOTO's base64: 2.1/3.0's ENCODING=b (or BASE64), 4.0's data: URI with
 * ";base64,". NULL for a photo by reference (a URL), which stays among the unmodelled.
 */
static const char *
InlinePhoto(Property *p)
{
	const char *encoding = ParamValue(p, "ENCODING");
	const char *v = p->value;
	StringInfoData out;

	if (encoding && (pg_strcasecmp(encoding, "b") == 0 || pg_strcasecmp(encoding, "BASE64") == 0))
		;
	else if (pg_strncasecmp(v, "data:", 5) == 0 && strstr(v, ";base64,") != NULL &&
			 strchr(v, ',') == strstr(v, ";base64,") + 7)
		v = strstr(v, ";base64,") + 8;
	else
		return NULL;
	/* the base64 alone (2.1 folds it with spaces) */
	initStringInfo(&out);
	for (; *v; v++)
		if (*v != ' ' && *v != '\t')
			appendStringInfoChar(&out, *v);
	return out.data;
}

PG_FUNCTION_INFO_V1(vcard_parse);

/*
 * vcard_parse(card text) → jsonb {"version", "uid", "contact": {...}, "photo"?, "extra"}: contact
 * an input object of SPEC §4/§9 that says every mapped field (null or [] for what the
 * card does not have, so that an update replaces the whole card); extra the properties
 * not mapped, one logical line each, CRLF after each (null when none); photo an inline
 * PHOTO ({"base64", "line"}: its data and its line as it came); mapped where each mapped
 * property went (Mapped()), so that one whose value the model refuses is kept as it came.
 * PT400 for what is not one vCard.
 */
Datum
vcard_parse(PG_FUNCTION_ARGS)
{
	text	   *card = PG_GETARG_TEXT_PP(0);
	const char *data = VARDATA_ANY(card);
	size_t		len = VARSIZE_ANY_EXHDR(card);
	List	   *lines;
	ListCell   *lc;
	int			state = 0;		/* 0 before BEGIN, 1 inside, 2 after END */
	const char *version = NULL;
	const char *uid = NULL;
	const char *fn = NULL;
	const char *notes = NULL;
	List	   *n_parts = NIL;
	StringInfoData emails,
				phones,
				addresses,
				orgs,
				urls,
				ims,
				related,
				labels,
				extra,
				birthday,
				out;
	List	   *titles = NIL;
	List	   *org_values = NIL;
	const char *fallback_name = NULL;
	const char *photo = NULL;
	const char *photo_line = NULL;
	StringInfoData mapped,
				categories,
				groups;
	List	   *org_lines = NIL;
	List	   *title_lines = NIL;
	int			nemails = 0,
				nphones = 0,
				naddresses = 0,
				nurls = 0,
				nims = 0,
				nrelated = 0;

	if (len > VCARD_MAX_BYTES)
		Refuse(psprintf("is larger than %d bytes", VCARD_MAX_BYTES));
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
	{
		data += 3;
		len -= 3;
	}
	RefuseCharacters(data, len);
	initStringInfo(&emails);
	appendStringInfoChar(&emails, '[');
	initStringInfo(&phones);
	appendStringInfoChar(&phones, '[');
	initStringInfo(&addresses);
	appendStringInfoChar(&addresses, '[');
	initStringInfo(&urls);
	appendStringInfoChar(&urls, '[');
	initStringInfo(&ims);
	appendStringInfoChar(&ims, '[');
	initStringInfo(&related);
	appendStringInfoChar(&related, '[');
	initStringInfo(&labels);
	appendStringInfoChar(&labels, '[');
	initStringInfo(&extra);
	initStringInfo(&birthday);
	initStringInfo(&mapped);
	appendStringInfoChar(&mapped, '{');
	initStringInfo(&groups);
	appendStringInfoChar(&groups, '{');
	initStringInfo(&categories);

	lines = LogicalLines(data, len);
	foreach(lc, lines)
	{
		char	   *line = lfirst(lc);
		Property   *p;
		StringInfoData item;

		if (strspn(line, " \t") == strlen(line))
			continue;
		if (state == 2)
			Refuse("holds more than one card, or text after END:VCARD");
		p = ParseLine(line);
		if (state == 0)
		{
			if (strcmp(p->name, "BEGIN") != 0 || pg_strcasecmp(p->value, "VCARD") != 0)
				Refuse("must start with BEGIN:VCARD");
			state = 1;
			continue;
		}
		initStringInfo(&item);
		if (strcmp(p->name, "END") == 0)
		{
			if (pg_strcasecmp(p->value, "VCARD") != 0)
				Refuse(psprintf("has END:%.20s where END:VCARD belongs", p->value));
			state = 2;
		}
		else if (strcmp(p->name, "BEGIN") == 0)
			Refuse("holds a card inside a card");
		else if (strcmp(p->name, "VERSION") == 0)
		{
			if (strcmp(p->value, "2.1") != 0 && strcmp(p->value, "3.0") != 0 &&
				strcmp(p->value, "4.0") != 0)
				Refuse(psprintf("has VERSION %.10s: 2.1, 3.0 and 4.0 are read", p->value));
			version = p->value;
		}
		else if (strcmp(p->name, "UID") == 0)
			uid = Text(p);
		else if (strcmp(p->name, "REV") == 0 || strcmp(p->name, "PRODID") == 0)
			;					/* the card's own: written anew (REV the contact's updated) */
		else if (strcmp(p->name, "FN") == 0 && *Text(p) == '\0')
			;					/* an empty FN says nothing */
		else if (strcmp(p->name, "FN") == 0 && fn == NULL)
			fn = Text(p);
		else if (strcmp(p->name, "N") == 0 && n_parts == NIL)
		{
			n_parts = SplitText(DecodedValue(p), ';');
			Mapped(&mapped, "details.name", LineOf(p));
		}
		else if (strcmp(p->name, "EMAIL") == 0 || strcmp(p->name, "TEL") == 0)
		{
			bool		tel = strcmp(p->name, "TEL") == 0;

			Mapped(&mapped, tel ? psprintf("details.phone_numbers[%d]", nphones++)
				   : psprintf("details.emails[%d]", nemails++), LineOf(p));
			appendStringInfoChar(&item, '{');
			StringMember(&item, "type", TypeLabel(p));
			StringMember(&item, "value", Trimmed(Text(p)));
			Grouped(&groups, p, tel ? "phone_numbers" : "emails", Trimmed(Text(p)));
			if (Preferred(p))
			{
				Key(&item, "primary");
				appendStringInfoString(&item, "true");
			}
			appendStringInfoChar(&item, '}');
			ListItem(tel ? &phones : &emails, &item);
			if (fallback_name == NULL)
				fallback_name = Text(p);
		}
		else if (strcmp(p->name, "ADR") == 0)
		{
			List	   *c = SplitText(DecodedValue(p), ';');
			char	   *extended = Component(c, 1);

			/* the post office box has no place in §9: it goes before the extended part */
			if (*Component(c, 0))
				extended = *extended ? psprintf("%s, %s", Component(c, 0), extended) : Component(c, 0);
			Mapped(&mapped, psprintf("details.addresses[%d]", naddresses++), LineOf(p));
			Grouped(&groups, p, "addresses", Component(c, 2));
			appendStringInfoChar(&item, '{');
			StringMember(&item, "type", TypeLabel(p));
			StringMember(&item, "street", Component(c, 2));
			StringMember(&item, "extended", extended);
			StringMember(&item, "city", Component(c, 3));
			StringMember(&item, "region", Component(c, 4));
			StringMember(&item, "postal_code", Component(c, 5));
			StringMember(&item, "country", Component(c, 6));
			appendStringInfoChar(&item, '}');
			ListItem(&addresses, &item);
		}
		else if (strcmp(p->name, "BDAY") == 0 && birthday.len == 0 && Birthday(p, &birthday))
			Mapped(&mapped, "details.birthday", LineOf(p));
		else if (strcmp(p->name, "ORG") == 0)
		{
			List	   *units = SplitText(DecodedValue(p), ';');
			bool		any = false;

			for (int i = 0; i < list_length(units); i++)
				any |= *Component(units, i) != '\0';
			if (any)			/* an empty ORG says nothing */
			{
				org_values = lappend(org_values, units);
				org_lines = lappend(org_lines, LineOf(p));
			}
		}
		else if (strcmp(p->name, "TITLE") == 0)
		{
			if (*Text(p))
			{
				titles = lappend(titles, Text(p));
				title_lines = lappend(title_lines, LineOf(p));
			}
		}
		else if (strcmp(p->name, "URL") == 0 || strcmp(p->name, "IMPP") == 0)
		{
			/* a URI: written back unescaped, so read without unescaping commas (and
			 * without line breaks, which no URI has) */
			char	   *uri = pstrdup(DecodedValue(p));
			char	   *w = uri;

			Mapped(&mapped, strcmp(p->name, "URL") == 0 ? psprintf("details.urls[%d]", nurls++)
				   : psprintf("details.ims[%d]", nims++), LineOf(p));
			appendStringInfoChar(&item, '{');
			StringMember(&item, "type", TypeLabel(p));
			for (char *r = uri; *r; r++)
				if (*r != '\r' && *r != '\n')
					*w++ = *r;
			*w = '\0';
			StringMember(&item, "value", Trimmed(uri));
			Grouped(&groups, p, strcmp(p->name, "URL") == 0 ? "urls" : "ims", Trimmed(uri));
			appendStringInfoChar(&item, '}');
			ListItem(strcmp(p->name, "URL") == 0 ? &urls : &ims, &item);
		}
		else if (strcmp(p->name, "NOTE") == 0 && *Text(p) == '\0')
			;					/* an empty NOTE says nothing */
		else if (strcmp(p->name, "NOTE") == 0 && notes == NULL)
		{
			notes = Text(p);
			Mapped(&mapped, "details.notes", LineOf(p));
		}
		else if (strcmp(p->name, "CATEGORIES") == 0)
		{
			ListCell   *t;

			appendStringInfoString(&categories, LineOf(p));

			foreach(t, SplitText(DecodedValue(p), ','))
			{
				const char *tag = lfirst(t);

				if (*tag == '\0')
					continue;
				if (labels.len > 1)
					appendStringInfoChar(&labels, ',');
				escape_json(&labels, tag);
			}
		}
		else if (strcmp(p->name, "X-ABRELATEDNAMES") == 0 ||
				 (strcmp(p->name, "RELATED") == 0 && ParamValue(p, "VALUE") &&
				  pg_strcasecmp(ParamValue(p, "VALUE"), "text") == 0))
		{
			Mapped(&mapped, psprintf("details.related_people[%d]", nrelated++), LineOf(p));
			Grouped(&groups, p, "related_people", Text(p));
			appendStringInfoChar(&item, '{');
			StringMember(&item, "type", TypeLabel(p));
			StringMember(&item, "value", Text(p));
			appendStringInfoChar(&item, '}');
			ListItem(&related, &item);
		}
		else if (strcmp(p->name, "PHOTO") == 0 && photo == NULL && (photo = InlinePhoto(p)) != NULL)
			photo_line = p->line;
		else
		{
			/* not modelled: kept as it came */
			appendStringInfoString(&extra, p->line);
			appendStringInfoString(&extra, "\r\n");
		}
	}
	if (state == 0)
		Refuse("must start with BEGIN:VCARD");
	if (state == 1)
		Refuse("must end with END:VCARD");
	if (version == NULL)
		Refuse("has no VERSION");

	/* organizations: each ORG (name; departments), the TITLEs in order beside them */
	initStringInfo(&orgs);
	appendStringInfoChar(&orgs, '[');
	for (int i = 0; i < Max(list_length(org_values), list_length(titles)); i++)
	{
		StringInfoData item;
		List	   *o = i < list_length(org_values) ? list_nth(org_values, i) : NIL;
		StringInfoData dept;

		initStringInfo(&dept);
		for (int j = 1; j < list_length(o); j++)
			if (*Component(o, j))
				appendStringInfo(&dept, "%s%s", dept.len ? ";" : "", Component(o, j));
		initStringInfo(&item);
		appendStringInfoChar(&item, '{');
		StringMember(&item, "name", Component(o, 0));
		StringMember(&item, "department", dept.data);
		StringMember(&item, "title", i < list_length(titles) ? list_nth(titles, i) : NULL);
		appendStringInfoChar(&item, '}');
		ListItem(&orgs, &item);
		Mapped(&mapped, psprintf("details.organizations[%d]", i),
			   psprintf("%s%s", i < list_length(org_lines) ? (char *) list_nth(org_lines, i) : "",
						i < list_length(title_lines) ? (char *) list_nth(title_lines, i) : ""));
		if (fallback_name == NULL && *Component(o, 0))
			fallback_name = Component(o, 0);
	}

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	StringMember(&out, "version", version);
	StringMember(&out, "uid", uid);
	Key(&out, "contact");
	appendStringInfoChar(&out, '{');
	/* FN is required; without it, the name parts, else what else names the contact */
	if (fn && *fn)
		StringMember(&out, "display_name", fn);
	else if (n_parts == NIL || strlen(Component(n_parts, 0)) + strlen(Component(n_parts, 1)) == 0)
		StringMember(&out, "display_name", fallback_name ? fallback_name : "(no name)");
	Key(&out, "external_id");
	if (uid && *uid)
		escape_json(&out, uid);
	else
		appendStringInfoString(&out, "null");
	Key(&out, "details");
	appendStringInfoChar(&out, '{');
	Key(&out, "name");
	/* an N of empty parts (what every card written here has without a name) is no name */
	for (int i = 0; n_parts != NIL && i < 5 && *Component(n_parts, i) == '\0'; i++)
		if (i == 4)
			n_parts = NIL;
	if (n_parts != NIL)
	{
		appendStringInfoChar(&out, '{');
		StringMember(&out, "family", Component(n_parts, 0));
		StringMember(&out, "given", Component(n_parts, 1));
		StringMember(&out, "middle", Component(n_parts, 2));
		StringMember(&out, "prefix", Component(n_parts, 3));
		StringMember(&out, "suffix", Component(n_parts, 4));
		appendStringInfoChar(&out, '}');
	}
	else
		appendStringInfoString(&out, "null");
	appendStringInfo(&out, ",\"emails\":%s],\"phone_numbers\":%s],\"addresses\":%s]",
					 emails.data, phones.data, addresses.data);
	appendStringInfo(&out, ",\"birthday\":%s", birthday.len ? birthday.data : "null");
	appendStringInfo(&out, ",\"organizations\":%s],\"urls\":%s],\"ims\":%s],\"related_people\":%s]",
					 orgs.data, urls.data, ims.data, related.data);
	Key(&out, "notes");
	if (notes && *notes)
		escape_json(&out, notes);
	else
		appendStringInfoString(&out, "null");
	appendStringInfo(&out, "},\"labels\":%s]}", labels.data);
	if (photo)
	{
		/* the SQL stores it as the contact's photo when it is an image privacybee reads, and
		 * keeps the line among the unmodelled ones otherwise */
		Key(&out, "photo");
		appendStringInfoChar(&out, '{');
		StringMember(&out, "base64", photo);
		StringMember(&out, "line", photo_line);
		appendStringInfoChar(&out, '}');
	}
	if (categories.len)
		Mapped(&mapped, "labels", categories.data);
	Key(&out, "mapped");
	appendStringInfoString(&out, mapped.data);
	appendStringInfoChar(&out, '}');
	Key(&out, "groups");
	if (groups.len > 1)
	{
		appendStringInfoString(&out, groups.data);
		appendStringInfoChar(&out, '}');
	}
	else
		appendStringInfoString(&out, "null");
	Key(&out, "extra");
	if (extra.len)
		escape_json(&out, extra.data);
	else
		appendStringInfoString(&out, "null");
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* ---- writing --------------------------------------------------------------------- */

static JsonbValue *
Get(JsonbContainer *c, const char *key)
{
	JsonbValue	k;

	if (c == NULL || !JsonContainerIsObject(c))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(c, JB_FOBJECT, &k);
}

static JsonbContainer *
Container(JsonbValue *v)
{
	return v && v->type == jbvBinary ? v->val.binary.data : NULL;
}

/* A string member, NULL when absent, null or not a string. */
static char *
Str(JsonbContainer *c, const char *key)
{
	JsonbValue *v = Get(c, key);

	return v && v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

static int
Int(JsonbContainer *c, const char *key, int dflt)
{
	JsonbValue *v = Get(c, key);

	if (v == NULL || v->type != jbvNumeric)
		return dflt;
	return DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
}

static bool
Bool(JsonbContainer *c, const char *key)
{
	JsonbValue *v = Get(c, key);

	return v && v->type == jbvBool && v->val.boolean;
}

static int
ListSize(JsonbContainer *c)
{
	return c && JsonContainerIsArray(c) ? (int) JsonContainerSize(c) : 0;
}

static JsonbContainer *
Item(JsonbContainer *c, int i)
{
	return Container(getIthJsonbValueFromContainer(c, i));
}

/* Text escaped for a vCard value: \ , ; and newlines (RFC 6350 §3.4). */
static void
Escaped(StringInfo line, const char *s)
{
	for (; s && *s; s++)
	{
		if (*s == '\\' || *s == ',' || *s == ';')
		{
			appendStringInfoChar(line, '\\');
			appendStringInfoChar(line, *s);
		}
		else if (*s == '\n')
			appendStringInfoString(line, "\\n");
		else if (*s != '\r')
			appendStringInfoChar(line, *s);
	}
}

/* A value written as is (a URI, a number): only line breaks taken out. */
static void
Raw(StringInfo line, const char *s)
{
	for (; s && *s; s++)
		if (*s != '\r' && *s != '\n')
			appendStringInfoChar(line, *s);
}

/* A line, folded: at most 75 octets each, never inside a UTF-8 character. */
static void
Emit(StringInfo out, const char *line)
{
	int			len = strlen(line);
	int			start = 0;
	int			room = FOLD_OCTETS;

	while (len - start > room)
	{
		int			cut = start + room;

		while (cut > start && (line[cut] & 0xC0) == 0x80)
			cut--;
		/* never after "=": a reader takes "=" at a line's end for quoted-printable's soft
		 * line break (in a line that says QUOTED-PRINTABLE), not for folding */
		while (cut > start + 1 && line[cut - 1] == '=')
			cut--;
		appendBinaryStringInfo(out, line + start, cut - start);
		appendStringInfoString(out, "\r\n ");
		start = cut;
		room = FOLD_OCTETS - 1;
	}
	appendStringInfoString(out, line + start);
	appendStringInfoString(out, "\r\n");
}

/* A mapped property's line, with the group the card gave it (vcard_parse's Grouped()). */
static void
EmitGrouped(StringInfo out, JsonbContainer *groups, const char *list, const char *value,
			const char *line)
{
	char	   *group = groups && value ? Str(groups, psprintf("%s:%s", list, value)) : NULL;

	Emit(out, group && *group ? psprintf("%s.%s", group, line) : line);
}

/* ";TYPE=..." for a §9 type label (mobile is cell), with PREF the version's way. */
static void
TypeParams(StringInfo line, const char *type, bool primary, bool v4)
{
	if (type && *type)
	{
		const char *t = strcmp(type, "mobile") == 0 ? "cell" : type;
		bool		quote = strpbrk(t, ",;:") != NULL;

		appendStringInfoString(line, ";TYPE=");
		if (quote)
			appendStringInfoChar(line, '"');
		for (const char *c = t; *c; c++)
			if (*c != '"' && *c != '\r' && *c != '\n')
				appendStringInfoChar(line, v4 ? *c : pg_ascii_toupper((unsigned char) *c));
		if (quote)
			appendStringInfoChar(line, '"');
		if (primary && !v4)
			appendStringInfoString(line, ",PREF");
	}
	else if (primary && !v4)
		appendStringInfoString(line, ";TYPE=PREF");
	if (primary && v4)
		appendStringInfoString(line, ";PREF=1");
}

PG_FUNCTION_INFO_V1(vcard_render);

/*
 * vcard_render(contact jsonb, uid text, extra text, version text, rev text, photo bytea,
 * photo_type text, groups jsonb) → text: the contact (as contact_json() renders it) as a
 * vCard of that version ("3.0" or "4.0"), its photo inline, extra's lines (vcard_parse's)
 * after the mapped properties, REV rev; a mapped property whose value groups names
 * (vcard_parse's "groups") carries that group again.
 */
Datum
vcard_render(PG_FUNCTION_ARGS)
{
	Jsonb	   *contact = PG_GETARG_JSONB_P(0);
	char	   *uid = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *extra = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *rev = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	bytea	   *photo = PG_NARGS() > 6 && !PG_ARGISNULL(5) && !PG_ARGISNULL(6) ? PG_GETARG_BYTEA_PP(5) : NULL;
	char	   *photo_type = photo ? text_to_cstring(PG_GETARG_TEXT_PP(6)) : NULL;
	JsonbContainer *groups = PG_NARGS() > 7 && !PG_ARGISNULL(7) ? &PG_GETARG_JSONB_P(7)->root : NULL;
	bool		v4 = strcmp(version, "4.0") == 0;
	JsonbContainer *c = &contact->root;
	JsonbContainer *d = Container(Get(c, "details"));
	JsonbContainer *name = Container(Get(d, "name"));
	JsonbContainer *list;
	JsonbContainer *bday;
	StringInfoData out,
				line;
	char	   *notes;

	if (!v4 && strcmp(version, "3.0") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("vCard version must be 3.0 or 4.0")));
	initStringInfo(&out);
	initStringInfo(&line);
	appendStringInfoString(&out, "BEGIN:VCARD\r\n");
	Emit(&out, v4 ? "VERSION:4.0" : "VERSION:3.0");
	Emit(&out, "PRODID:-//privacybee//CardDAV//EN");
#define LINE(...) do { resetStringInfo(&line); appendStringInfo(&line, __VA_ARGS__); } while (0)
	LINE("UID:");
	Raw(&line, uid);
	Emit(&out, line.data);
	LINE("FN:");
	Escaped(&line, Str(c, "display_name"));
	Emit(&out, line.data);
	LINE("N:");
	Escaped(&line, Str(name, "family"));
	appendStringInfoChar(&line, ';');
	Escaped(&line, Str(name, "given"));
	appendStringInfoChar(&line, ';');
	Escaped(&line, Str(name, "middle"));
	appendStringInfoChar(&line, ';');
	Escaped(&line, Str(name, "prefix"));
	appendStringInfoChar(&line, ';');
	Escaped(&line, Str(name, "suffix"));
	Emit(&out, line.data);

	list = Container(Get(d, "organizations"));
	for (int i = 0; i < ListSize(list); i++)
	{
		JsonbContainer *o = Item(list, i);
		char	   *dept = Str(o, "department");

		if (Str(o, "name") || dept)
		{
			LINE("ORG:");
			Escaped(&line, Str(o, "name"));
			/* departments were joined with ";" from the ORG's units */
			for (char *u = dept ? strtok(dept, ";") : NULL; u; u = strtok(NULL, ";"))
			{
				appendStringInfoChar(&line, ';');
				Escaped(&line, u);
			}
			Emit(&out, line.data);
		}
		if (Str(o, "title"))
		{
			LINE("TITLE:");
			Escaped(&line, Str(o, "title"));
			Emit(&out, line.data);
		}
	}
	list = Container(Get(d, "emails"));
	for (int i = 0; i < ListSize(list); i++)
	{
		JsonbContainer *e = Item(list, i);

		LINE("EMAIL");
		if (!v4)
			appendStringInfoString(&line, ";TYPE=INTERNET");
		TypeParams(&line, Str(e, "type"), Bool(e, "primary"), v4);
		appendStringInfoChar(&line, ':');
		Escaped(&line, Str(e, "value"));
		EmitGrouped(&out, groups, "emails", Str(e, "value"), line.data);
	}
	list = Container(Get(d, "phone_numbers"));
	for (int i = 0; i < ListSize(list); i++)
	{
		JsonbContainer *t = Item(list, i);
		char	   *value = Str(t, "value");
		char	   *written = value;

		LINE("TEL");
		TypeParams(&line, Str(t, "type"), Bool(t, "primary"), v4);
		/* a tel: URI is 4.0's spelling; 3.0 has the number as text */
		if (value && pg_strncasecmp(value, "tel:", 4) == 0)
		{
			if (v4)
				appendStringInfoString(&line, ";VALUE=uri");
			else
				while (pg_strncasecmp(value, "tel:", 4) == 0)
					value += 4;
		}
		appendStringInfoChar(&line, ':');
		Escaped(&line, value);	/* text in 3.0: what was read unescaped goes back escaped */
		EmitGrouped(&out, groups, "phone_numbers", written, line.data);
	}
	list = Container(Get(d, "addresses"));
	for (int i = 0; i < ListSize(list); i++)
	{
		JsonbContainer *a = Item(list, i);
		static const char *const parts[] = {"extended", "street", "city", "region", "postal_code", "country"};

		LINE("ADR");
		TypeParams(&line, Str(a, "type"), false, v4);
		appendStringInfoString(&line, ":");
		for (int j = 0; j < lengthof(parts); j++)
		{
			appendStringInfoChar(&line, ';');
			Escaped(&line, Str(a, parts[j]));
		}
		EmitGrouped(&out, groups, "addresses", Str(a, "street") ? Str(a, "street") : "", line.data);
	}
	bday = Container(Get(d, "birthday"));
	if (bday)
	{
		int			year = Int(bday, "year", -1);
		int			month = Int(bday, "month", 1);
		int			day = Int(bday, "day", 1);

		if (year >= 0)
			LINE(v4 ? "BDAY:%04d%02d%02d" : "BDAY:%04d-%02d-%02d", year, month, day);
		else if (v4)
			LINE("BDAY:--%02d%02d", month, day);
		else
			LINE("BDAY;X-APPLE-OMIT-YEAR=1604:1604-%02d-%02d", month, day);
		Emit(&out, line.data);
	}
	list = Container(Get(d, "urls"));
	for (int i = 0; i < ListSize(list); i++)
	{
		LINE("URL");
		TypeParams(&line, Str(Item(list, i), "type"), false, v4);
		appendStringInfoChar(&line, ':');
		Raw(&line, Str(Item(list, i), "value"));
		EmitGrouped(&out, groups, "urls", Str(Item(list, i), "value"), line.data);
	}
	list = Container(Get(d, "ims"));
	for (int i = 0; i < ListSize(list); i++)
	{
		LINE("IMPP");
		TypeParams(&line, Str(Item(list, i), "type"), false, v4);
		appendStringInfoChar(&line, ':');
		Raw(&line, Str(Item(list, i), "value"));
		EmitGrouped(&out, groups, "ims", Str(Item(list, i), "value"), line.data);
	}
	list = Container(Get(d, "related_people"));
	for (int i = 0; i < ListSize(list); i++)
	{
		LINE(v4 ? "RELATED;VALUE=text" : "X-ABRELATEDNAMES");
		TypeParams(&line, Str(Item(list, i), "type"), false, v4);
		appendStringInfoChar(&line, ':');
		Escaped(&line, Str(Item(list, i), "value"));
		EmitGrouped(&out, groups, "related_people", Str(Item(list, i), "value"), line.data);
	}
	notes = Str(d, "notes");
	if (notes)
	{
		LINE("NOTE:");
		Escaped(&line, notes);
		Emit(&out, line.data);
	}
	list = Container(Get(c, "labels"));
	if (ListSize(list) > 0)
	{
		LINE("CATEGORIES:");
		for (int i = 0; i < ListSize(list); i++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(list, i);

			if (i > 0)
				appendStringInfoChar(&line, ',');
			if (v->type == jbvString)
				Escaped(&line, pnstrdup(v->val.string.val, v->val.string.len));
		}
		Emit(&out, line.data);
	}
	if (rev)
	{
		LINE("REV:");
		Raw(&line, rev);
		Emit(&out, line.data);
	}
	if (photo)
	{
		/* the contact's photo inline: 3.0's ENCODING=b with its TYPE, 4.0's data: URI */
		int			len = VARSIZE_ANY_EXHDR(photo);
		int			size = pg_b64_enc_len(len) + 1;
		char	   *b64 = palloc(size);
		int			n = pg_b64_encode(VARDATA_ANY(photo), len, b64, size);

		if (n < 0)
			elog(ERROR, "could not encode a photo in base64");
		b64[n] = '\0';
		if (v4)
			LINE("PHOTO:data:%s;base64,%s", photo_type, b64);
		else
			LINE("PHOTO;ENCODING=b;TYPE=%s:%s",
				 strcmp(photo_type, "image/png") == 0 ? "PNG" :
				 strcmp(photo_type, "image/webp") == 0 ? "WEBP" : "JPEG", b64);
		Emit(&out, line.data);
	}
	/* the properties privacybee does not model, as the client wrote them */
	for (char *l = extra ? strtok(extra, "\r\n") : NULL; l; l = strtok(NULL, "\r\n"))
		Emit(&out, l);
#undef LINE
	appendStringInfoString(&out, "END:VCARD\r\n");
	{
		/*
		 * Text stored before the rule of text_chars.h, or by SQL around it, is written with
		 * U+FFFD for each character a vCard (and the XML it travels in) cannot hold; a line
		 * holding one may come out a few octets past 75.
		 */
		StringInfoData clean;

		initStringInfo(&clean);
		text_chars_clean(&clean, out.data, out.len);
		PG_RETURN_TEXT_P(cstring_to_text_with_len(clean.data, clean.len));
	}
}

/* ---- WebDAV codecs --------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(dav_name_encode);

/*
 * A resource name as one segment of an href: every octet but RFC 3986's unreserved
 * characters (and a few sub-delimiters clients use in names: @ + ! $ & ' ( ) * = ,)
 * percent-encoded.
 */
Datum
dav_name_encode(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(in);
	int			len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		if (isalnum(s[i]) || (s[i] != '\0' && strchr("-._~@+!$&'()*=,", s[i]) != NULL))
			appendStringInfoChar(&out, (char) s[i]);
		else
			appendStringInfo(&out, "%%%02X", s[i]);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

PG_FUNCTION_INFO_V1(dav_name_decode);

/*
 * An href's percent-encoded segment back to the name (NULL when the decoded bytes are
 * not UTF-8 without control characters, or a "%" is not followed by two hex digits).
 */
Datum
dav_name_decode(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(in);
	int			len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		if (s[i] == '%')
		{
			if (i + 2 >= len || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0)
				PG_RETURN_NULL();
			appendStringInfoChar(&out, (char) (HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
			i += 2;
		}
		else
			appendStringInfoChar(&out, s[i]);
	}
	for (int i = 0; i < out.len; i++)
		if ((unsigned char) out.data[i] < 0x20 || out.data[i] == 0x7f)
			PG_RETURN_NULL();
	if (pg_verify_mbstr_len(PG_UTF8, out.data, out.len, true) < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

PG_FUNCTION_INFO_V1(xml_text);

/* Text as XML character data or an attribute value: & < > " escaped, CR as &#13;. */
Datum
xml_text(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(in);
	int			len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;

	initStringInfo(&out);
	enlargeStringInfo(&out, len + 16);
	for (int i = 0; i < len; i++)
	{
		switch (s[i])
		{
			case '&':
				appendStringInfoString(&out, "&amp;");
				break;
			case '<':
				appendStringInfoString(&out, "&lt;");
				break;
			case '>':
				appendStringInfoString(&out, "&gt;");
				break;
			case '"':
				appendStringInfoString(&out, "&quot;");
				break;
			case '\r':
				/* kept: a vCard's CRLF survives an XML parser's line-end normalisation */
				appendStringInfoString(&out, "&#13;");
				break;
			default:
				appendStringInfoChar(&out, s[i]);
		}
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* The XML tag of a property in Clark notation, with the multistatus's prefixes (d:,
 * card:, cs:) or a namespace declared on the element ("x:"). */
static void
PropertyTag(StringInfo out, const char *clark, bool closing)
{
	static const struct
	{
		const char *ns;
		const char *prefix;
	}			known[] = {{"DAV:", "d:"}, {"urn:ietf:params:xml:ns:carddav", "card:"},
	{"http://calendarserver.org/ns/", "cs:"}};
	const char *close = clark[0] == '{' ? strchr(clark, '}') : NULL;
	const char *local = close ? close + 1 : clark;
	int			nslen = close ? (int) (close - clark - 1) : 0;
	const char *prefix = NULL;

	for (int i = 0; i < lengthof(known); i++)
		if (nslen == (int) strlen(known[i].ns) && strncmp(clark + 1, known[i].ns, nslen) == 0)
			prefix = known[i].prefix;
	appendStringInfoString(out, closing ? "</" : "<");
	appendStringInfoString(out, prefix ? prefix : (nslen ? "x:" : ""));
	appendStringInfoString(out, local);
	if (!closing && !prefix && nslen)
	{
		text	   *ns = cstring_to_text_with_len(clark + 1, nslen);

		appendStringInfoString(out, " xmlns:x=\"");
		appendStringInfoString(out, TextDatumGetCString(DirectFunctionCall1(xml_text, PointerGetDatum(ns))));
		appendStringInfoChar(out, '"');
	}
}

PG_FUNCTION_INFO_V1(dav_card_response);

/*
 * dav_card_response(href text, etag text, modified timestamptz, address_data text,
 * wanted text[]) → text: a card's <response> in a multistatus, built in one call (a
 * listing writes thousands): the properties asked for (NULL: getetag, getcontenttype,
 * resourcetype, getlastmodified, and address-data when given) that a card has in a 200
 * propstat, the others in a 404 one. modified is written as RFC 1123 (HTTP) time.
 */
Datum
dav_card_response(PG_FUNCTION_ARGS)
{
	char	   *href = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *etag = text_to_cstring(PG_GETARG_TEXT_PP(1));
	TimestampTz modified = PG_GETARG_TIMESTAMPTZ(2);
	char	   *data = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	static const char *const all[] = {"{DAV:}getetag", "{DAV:}getcontenttype",
		"{DAV:}resourcetype", "{DAV:}getlastmodified", "{urn:ietf:params:xml:ns:carddav}address-data"};
	Datum	   *names;
	bool	   *nulls;
	int			n;
	StringInfoData found,
				missing,
				out;

	if (PG_ARGISNULL(4))
	{
		n = data ? lengthof(all) : lengthof(all) - 1;
		names = palloc(sizeof(Datum) * n);
		nulls = palloc0(sizeof(bool) * n);
		for (int i = 0; i < n; i++)
			names[i] = CStringGetTextDatum(all[i]);
	}
	else
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), TEXTOID, -1, false, TYPALIGN_INT,
						  &names, &nulls, &n);
	initStringInfo(&found);
	initStringInfo(&missing);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		const char *value = NULL;
		bool		empty = false;

		if (nulls[i])
			continue;
		name = TextDatumGetCString(names[i]);
		if (strcmp(name, "{DAV:}getetag") == 0)
			value = TextDatumGetCString(DirectFunctionCall1(xml_text, CStringGetTextDatum(etag)));
		else if (strcmp(name, "{DAV:}getcontenttype") == 0)
			value = "text/vcard; charset=utf-8";
		else if (strcmp(name, "{DAV:}resourcetype") == 0)
			empty = true;
		else if (strcmp(name, "{DAV:}getlastmodified") == 0)
		{
			struct pg_tm tm;
			fsec_t		fsec;
			static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
			static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
			"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

			if (timestamp2tm(modified, NULL, &tm, &fsec, NULL, NULL) != 0)
				ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
								errmsg("timestamp out of range")));
			value = psprintf("%s, %02d %s %04d %02d:%02d:%02d GMT",
							 days[j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday))],
							 tm.tm_mday, months[tm.tm_mon - 1], tm.tm_year,
							 tm.tm_hour, tm.tm_min, tm.tm_sec);
		}
		else if (strcmp(name, "{urn:ietf:params:xml:ns:carddav}address-data") == 0 && data)
			value = TextDatumGetCString(DirectFunctionCall1(xml_text, CStringGetTextDatum(data)));
		if (value || empty)
		{
			PropertyTag(&found, name, false);
			if (empty)
				appendStringInfoString(&found, "/>");
			else
			{
				appendStringInfoChar(&found, '>');
				appendStringInfoString(&found, value);
				PropertyTag(&found, name, true);
				appendStringInfoChar(&found, '>');
			}
		}
		else
		{
			PropertyTag(&missing, name, false);
			appendStringInfoString(&missing, "/>");
		}
	}
	initStringInfo(&out);
	appendStringInfoString(&out, "<d:response><d:href>");
	appendStringInfoString(&out, TextDatumGetCString(DirectFunctionCall1(xml_text, CStringGetTextDatum(href))));
	appendStringInfoString(&out, "</d:href>");
	if (found.len)
		appendStringInfo(&out, "<d:propstat><d:prop>%s</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>",
						 found.data);
	if (missing.len)
		appendStringInfo(&out, "<d:propstat><d:prop>%s</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>",
						 missing.data);
	appendStringInfoString(&out, "</d:response>");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
