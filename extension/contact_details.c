/*
 * contact_details.c — the structured parts of a contact (SPEC §9): validation, and the
 * canonical form in which contacts.details keeps what is only shown.
 *
 * Every problem is named by its path, below its item's prefix ("[3].details.emails[1]
 * .value"), and parsing goes on, so one answer lists them all. The canonical form is
 * what GET answers and what a round trip writes back unchanged: keys only where there is
 * a value (an empty string or list is none), a type "" is none, an address's formatted
 * is computed from its parts, and a list with no primary entry has its first one
 * primary. Read-only members sent back (a phone's e164, an address's formatted) are
 * ignored, except that an address given by formatted alone is that one string, as a
 * flat address is.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "contact_input.h"
#include "text_chars.h"
#include "ids.h"
#include "phone.h"
#include "phone_unicode.h"

const char *const details_compact_keys[DK_COUNT] = {
	"name", "addresses", "birthday", "dates", "organizations", "urls", "ims",
	"related_people", "notes", "items"
};

static void
Problem(DetailsContext *cx, const char *path, const char *problem)
{
	problems_add(cx->p, cx->prefix, path, problem);
}

static char *
Path(const char *path, const char *member)
{
	return psprintf("%s.%s", path, member);
}

static char *
PathIndex(const char *path, int i)
{
	return psprintf("%s[%d]", path, i);
}

static bool
IsObject(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
IsArray(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

bool
details_string(JsonbValue *v, int max, bool empty_is_null, const char *path,
			   DetailsContext *cx, char **out)
{
	char	   *problem;

	*out = NULL;
	if (v->type == jbvNull)
		return true;
	if (v->type != jbvString)
	{
		Problem(cx, path, "must be a string");
		return false;
	}
	if (pg_mbstrlen_with_len(v->val.string.val, v->val.string.len) > max)
	{
		Problem(cx, path, psprintf("must be at most %d characters", max));
		return false;
	}
	if (v->val.string.len == 0)
	{
		if (empty_is_null)
			return true;
		Problem(cx, path, "must not be empty");
		return false;
	}
	if ((problem = text_chars_problem(v->val.string.val, v->val.string.len)) != NULL)
	{
		Problem(cx, path, problem);
		return false;
	}
	*out = pnstrdup(v->val.string.val, v->val.string.len);
	return true;
}

/* Is c Unicode White_Space (PropList.txt)? */
static bool
IsWhiteSpace(uint32 c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
		(c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
		c == 0x205F || c == 0x3000;
}

void
details_trim(const char **s, int *len)
{
	const unsigned char *p = (const unsigned char *) *s;
	const unsigned char *end = p + *len;
	const unsigned char *first = NULL;
	const unsigned char *last = p;

	while (p < end)
	{
		uint32		c = *p;
		int			n = 1;

		if (c >= 0x80 && (n = phone_utf8_char(p, end, &c)) == 0)
		{
			n = 1;				/* not UTF-8 (the database never holds it): no space */
			c = 0xFFFD;
		}
		if (!IsWhiteSpace(c))
		{
			if (first == NULL)
				first = p;
			last = p + n;
		}
		p += n;
	}
	*s = first ? (const char *) first : *s;
	*len = first ? (int) (last - first) : 0;
}

bool
details_name(JsonbValue *v, int max, const char *path, DetailsContext *cx, char **out)
{
	JsonbValue	trimmed;

	if (v->type == jbvString)
	{
		trimmed = *v;
		details_trim((const char **) &trimmed.val.string.val, &trimmed.val.string.len);
		v = &trimmed;
	}
	return details_string(v, max, false, path, cx, out);
}

/*
 * trim_name(t text) → text: t without the white space around it, as every name is
 * written (details_name); for SQL, the 0.2.0 upgrade's tags made of 0.1.0 labels.
 */
PG_FUNCTION_INFO_V1(trim_name);
Datum
trim_name(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	details_trim(&s, &len);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s, len));
}

/* ---- the canonical JSON ------------------------------------------------------------ */

/* A member's key, after a comma unless it is the first of its object. */
static void
Key(StringInfo buf, const char *key)
{
	if (buf->len > 0 && buf->data[buf->len - 1] != '{')
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

static void
StringMember(StringInfo buf, const char *key, const char *value)
{
	if (value == NULL)
		return;
	Key(buf, key);
	escape_json(buf, value);
}

/* A member of in->details (an object being written: "{" and members). */
static StringInfo
DetailsKey(ContactInput *in, int bit, const char *key)
{
	in->details_present |= bit;
	in->present |= CF_DETAILS;
	Key(&in->details, key);
	return &in->details;
}

/* ---- an object's members ------------------------------------------------------------ */

/*
 * Walk the members of an object: for each, call member(key, value, state); a false
 * answer is an unknown member, reported as "is not a field of <what>".
 */
typedef bool (*MemberFn) (const char *key, JsonbValue *v, const char *path,
						  DetailsContext *cx, void *state);

static void
Members(JsonbValue *obj, const char *path, const char *what, DetailsContext *cx,
		MemberFn member, void *state)
{
	JsonbIterator *it = JsonbIteratorInit(obj->val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE && !member(key, &v, Path(path, key), cx, state))
			Problem(cx, Path(path, key), psprintf("is not a field of %s", what));
	}
}

/* ---- dates: a birthday, a date, an organization's start and end ------------------- */

typedef struct DateParts
{
	bool		has_year;
	int64		year;
	int64		month;
	int64		day;
	bool		given[3];		/* year, month, day members present */
	bool		bad;
} DateParts;

static bool
LeapYear(int64 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
DaysIn(int64 month, bool has_year, int64 year)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && has_year && !LeapYear(year))
		return 28;
	return days[month - 1];
}

static bool
DateMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx, void *state)
{
	DateParts  *d = state;
	static const char *const names[3] = {"year", "month", "day"};
	static const int64 hi[3] = {9999, 12, 31};
	int64	   *slot[3] = {&d->year, &d->month, &d->day};

	for (int i = 0; i < 3; i++)
		if (strcmp(key, names[i]) == 0)
		{
			d->given[i] = true;
			if (i == 0 && v->type == jbvNull)
				return true;
			if (!integer_from_jsonb(v, 1, hi[i], slot[i]) || v->type == jbvString)
			{
				Problem(cx, path, psprintf("must be an integer from 1 to %lld", (long long) hi[i]));
				d->bad = true;
			}
			else if (i == 0)
				d->has_year = true;
			return true;
		}
	return false;
}

/* "YYYY-MM-DD" or "--MM-DD" into d; false when it is not one. */
static bool
DateString(const char *s, int len, DateParts *d)
{
	int			off = 0;

	memset(d, 0, sizeof(*d));
	if (len == 10 && s[4] == '-' && s[7] == '-')
	{
		for (int i = 0; i < 4; i++)
			if (!isdigit((unsigned char) s[i]))
				return false;
		d->has_year = true;
		d->year = atoi(pnstrdup(s, 4));
		off = 5;
	}
	else if (len == 7 && s[0] == '-' && s[1] == '-' && s[4] == '-')
		off = 2;
	else
		return false;
	if (!isdigit((unsigned char) s[off]) || !isdigit((unsigned char) s[off + 1]) ||
		!isdigit((unsigned char) s[off + 3]) || !isdigit((unsigned char) s[off + 4]))
		return false;
	d->month = (s[off] - '0') * 10 + (s[off + 1] - '0');
	d->day = (s[off + 3] - '0') * 10 + (s[off + 4] - '0');
	return !(d->has_year && d->year < 1);
}

/*
 * A date at path: a string ("YYYY-MM-DD", and "--MM-DD" when year_optional) or, in
 * 0.2.0, an object {"year", "month", "day"} (year null or absent when year_optional;
 * with_type: a "type" member too, into *type). False with a problem otherwise.
 */
typedef struct TypedDate
{
	DateParts	date;
	char	   *type;
	bool		with_type;
} TypedDate;

static bool
TypedDateMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx,
				void *state)
{
	TypedDate  *t = state;

	if (t->with_type && strcmp(key, "type") == 0)
	{
		if (!details_string(v, MAX_TYPE, true, path, cx, &t->type))
			t->date.bad = true;
		return true;
	}
	return DateMember(key, v, path, cx, &t->date);
}

static bool
ParseDate(JsonbValue *v, const char *path, bool year_optional, DetailsContext *cx,
		  TypedDate *t)
{
	DateParts  *d = &t->date;
	const char *expected = cx->schema < SCHEMA_0_2 ? "must be a date as YYYY-MM-DD or null"
		: year_optional ? "must be a date: YYYY-MM-DD, --MM-DD or {\"year\", \"month\", \"day\"}"
		: "must be a date: YYYY-MM-DD or {\"year\", \"month\", \"day\"}";

	if (v->type == jbvString)
	{
		if (!DateString(v->val.string.val, v->val.string.len, d) ||
			(!d->has_year && (!year_optional || cx->schema < SCHEMA_0_2)) ||
			d->month < 1 || d->month > 12 || d->day < 1 ||
			d->day > DaysIn(d->month, d->has_year, d->year))
		{
			Problem(cx, path, expected);
			return false;
		}
		return true;
	}
	if (!IsObject(v) || cx->schema < SCHEMA_0_2)
	{
		Problem(cx, path, expected);
		return false;
	}
	memset(d, 0, sizeof(*d));
	Members(v, path, t->with_type ? "a date" : "a date (year, month, day)", cx,
			TypedDateMember, t);
	if (d->bad)
		return false;
	if (!d->given[1] || !d->given[2] || (!year_optional && !d->has_year))
	{
		Problem(cx, path, !d->given[1] ? "needs a month" : !d->given[2] ? "needs a day"
				: "needs a year");
		return false;
	}
	if (d->day > DaysIn(d->month, d->has_year, d->year))
	{
		Problem(cx, Path(path, "day"), "is not a day of that month");
		return false;
	}
	return true;
}

static void
AppendDate(StringInfo buf, DateParts *d, const char *type)
{
	appendStringInfoChar(buf, '{');
	StringMember(buf, "type", type);
	if (d->has_year)
	{
		Key(buf, "year");
		appendStringInfo(buf, INT64_FORMAT, d->year);
	}
	Key(buf, "month");
	appendStringInfo(buf, INT64_FORMAT, d->month);
	Key(buf, "day");
	appendStringInfo(buf, INT64_FORMAT, d->day);
	appendStringInfoChar(buf, '}');
}

void
details_birthday(JsonbValue *v, const char *path, DetailsContext *cx, ContactInput *in)
{
	TypedDate	t = {0};

	if (cx->schema < SCHEMA_0_2)
	{
		in->present |= CF_BIRTHDAY;
		if (v->type != jbvNull && ParseDate(v, path, false, cx, &t))
			in->birthday = psprintf("%04lld-%02lld-%02lld", (long long) t.date.year,
									(long long) t.date.month, (long long) t.date.day);
		return;
	}
	if (v->type == jbvNull)
	{
		in->details_present |= DK_BIRTHDAY;
		in->present |= CF_DETAILS;
		return;
	}
	if (ParseDate(v, path, true, cx, &t))
		AppendDate(DetailsKey(in, DK_BIRTHDAY, "birthday"), &t.date, NULL);
}

/* ---- lists ------------------------------------------------------------------------ */

/*
 * v as a list at path: false (with a problem) unless null or an array of at most max
 * entries; *n its length (0 for null).
 */
static bool
List(JsonbValue *v, const char *path, int max, const char *of, DetailsContext *cx, int *n)
{
	*n = 0;
	if (v->type == jbvNull)
		return true;
	if (!IsArray(v))
	{
		Problem(cx, path, psprintf("must be an array of %s or null", of));
		return false;
	}
	*n = JsonContainerSize(v->val.binary.data);
	if (*n > max)
	{
		Problem(cx, path, psprintf("must have at most %d entries", max));
		return false;
	}
	return true;
}

static JsonbValue *
Element(JsonbValue *list, int i)
{
	return getIthJsonbValueFromContainer(list->val.binary.data, i);
}

/* local@domain, no spaces or control characters. */
static bool
PlausibleEmail(const char *s, int len)
{
	const char *at = memchr(s, '@', len);

	if (at == NULL || at == s || at == s + len - 1 || memchr(at + 1, '@', s + len - at - 1))
		return false;
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

typedef struct ValueItem
{
	ContactValue *out;
	bool		phones;
	bool		has_value;
	bool		has_primary;
	bool		bad;
} ValueItem;

static bool
ValueMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx, void *state)
{
	ValueItem  *it = state;

	if (strcmp(key, "type") == 0)
		it->bad |= !details_string(v, MAX_TYPE, true, path, cx, &it->out->type);
	else if (strcmp(key, "value") == 0)
	{
		it->has_value = true;
		if (!details_string(v, it->phones ? MAX_PHONE : MAX_EMAIL, false, path, cx,
							&it->out->value))
			it->bad = true;
		else if (it->out->value == NULL)
		{
			Problem(cx, path, "is required");
			it->bad = true;
		}
	}
	else if (strcmp(key, "primary") == 0)
	{
		if (v->type == jbvBool)
			it->out->primary = v->val.boolean;
		else if (v->type != jbvNull)
		{
			Problem(cx, path, "must be true or false");
			it->bad = true;
		}
		it->has_primary = true;
	}
	else if (!(it->phones && strcmp(key, "e164") == 0))
		return false;			/* a phone's e164 is read-only: ignored */
	return true;
}

bool
details_values(JsonbValue *v, const char *path, bool phones, DetailsContext *cx, int *n,
			   ContactValue **out)
{
	const char *of = cx->schema < SCHEMA_0_2 ? "strings" : "strings or objects";
	int			size;
	int			count = 0;
	int			primary_at = -1;
	bool		ok = true;

	*n = 0;
	*out = NULL;
	if (!List(v, path, MAX_LIST, of, cx, &size))
		return false;
	*out = palloc0(sizeof(ContactValue) * Max(size, 1));
	for (int i = 0; i < size; i++)
	{
		JsonbValue *e = Element(v, i);
		char	   *epath = PathIndex(path, i);
		char	   *vpath = epath;
		ContactValue *cv = &(*out)[count];

		if (e->type == jbvString)
		{
			if (!details_string(e, phones ? MAX_PHONE : MAX_EMAIL, false, epath, cx, &cv->value))
			{
				ok = false;
				continue;
			}
		}
		else if (IsObject(e) && cx->schema >= SCHEMA_0_2)
		{
			ValueItem	it = {.out = cv, .phones = phones};

			Members(e, epath, phones ? "a phone number" : "an email", cx, ValueMember, &it);
			if (!it.has_value && !it.bad)
			{
				Problem(cx, Path(epath, "value"), "is required");
				it.bad = true;
			}
			if (it.bad)
			{
				ok = false;
				continue;
			}
			vpath = Path(epath, "value");
			if (cv->primary)
			{
				if (primary_at >= 0)
				{
					Problem(cx, Path(epath, "primary"),
							psprintf("only one %s can be primary ([%d] is)",
									 phones ? "phone number" : "email", primary_at));
					ok = false;
					continue;
				}
				primary_at = i;
			}
		}
		else
		{
			Problem(cx, epath, cx->schema < SCHEMA_0_2 ? "must be a string"
					: "must be a string or an object");
			ok = false;
			continue;
		}
		if (!phones && !PlausibleEmail(cv->value, strlen(cv->value)))
		{
			Problem(cx, vpath, "is not an email address");
			ok = false;
			continue;
		}
		if (phones)
		{
			char		e164[PHONE_E164_BUFSIZE];

			if (phone_normalize(cv->value, strlen(cv->value), cx->region, e164))
				cv->e164 = pstrdup(e164);
		}
		count++;
	}
	if (ok && count > 0 && primary_at < 0)
		(*out)[0].primary = true;
	*n = count;
	return ok;
}

/* ---- addresses ---------------------------------------------------------------------- */

static const char *const address_parts[] = {
	"street", "extended", "city", "region", "postal_code", "country"
};
#define NPARTS lengthof(address_parts)

typedef struct AddressItem
{
	char	   *type;
	char	   *part[NPARTS];
	char	   *formatted;
	bool		bad;
} AddressItem;

static bool
AddressMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx, void *state)
{
	AddressItem *a = state;

	if (strcmp(key, "type") == 0)
	{
		a->bad |= !details_string(v, MAX_TYPE, true, path, cx, &a->type);
		return true;
	}
	if (strcmp(key, "formatted") == 0)
	{
		/* read-only, but an address given by it alone is that string (file header) */
		if (v->type == jbvString)
		{
			char	   *problem = text_chars_problem(v->val.string.val, v->val.string.len);

			if (problem)
			{
				Problem(cx, path, problem);
				a->bad = true;
			}
			else
				a->formatted = pnstrdup(v->val.string.val, v->val.string.len);
		}
		return true;
	}
	for (int i = 0; i < (int) NPARTS; i++)
		if (strcmp(key, address_parts[i]) == 0)
		{
			a->bad |= !details_string(v, MAX_ADDRESS, true, path, cx, &a->part[i]);
			return true;
		}
	return false;
}

/* The parts as one line: "street, extended, city, region postal_code, country". */
static char *
Formatted(AddressItem *a)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < (int) NPARTS; i++)
	{
		if (a->part[i] == NULL)
			continue;
		/* the postal code follows its region on one segment, as in "GA 30303" */
		if (buf.len > 0)
			appendStringInfoString(&buf, i == 4 && a->part[3] ? " " : ", ");
		appendStringInfoString(&buf, a->part[i]);
	}
	return buf.data;
}

void
details_addresses(JsonbValue *v, const char *path, DetailsContext *cx, ContactInput *in)
{
	const char *of = cx->schema < SCHEMA_0_2 ? "strings" : "strings or objects";
	StringInfoData list;
	int			size;
	bool		ok = true;

	if (!List(v, path, MAX_LIST, of, cx, &size))
		return;
	initStringInfo(&list);
	appendStringInfoChar(&list, '[');
	in->addresses = palloc0(sizeof(char *) * Max(size, 1));
	for (int i = 0; i < size; i++)
	{
		JsonbValue *e = Element(v, i);
		char	   *epath = PathIndex(path, i);
		AddressItem a = {0};
		char	   *formatted;

		if (e->type == jbvString)
		{
			if (!details_string(e, MAX_ADDRESS, false, epath, cx, &a.part[0]))
			{
				ok = false;
				continue;
			}
		}
		else if (IsObject(e) && cx->schema >= SCHEMA_0_2)
		{
			bool		any = false;

			Members(e, epath, "an address", cx, AddressMember, &a);
			if (a.bad)
			{
				ok = false;
				continue;
			}
			for (int k = 0; k < (int) NPARTS; k++)
				any |= a.part[k] != NULL;
			if (!any && a.formatted && a.formatted[0])
				a.part[0] = a.formatted;
			else if (!any)
			{
				Problem(cx, epath, "needs a street, extended, city, region, postal_code or country");
				ok = false;
				continue;
			}
		}
		else
		{
			Problem(cx, epath, cx->schema < SCHEMA_0_2 ? "must be a string"
					: "must be a string or an object");
			ok = false;
			continue;
		}
		formatted = Formatted(&a);
		if (pg_mbstrlen_with_len(formatted, strlen(formatted)) > MAX_ADDRESS)
		{
			Problem(cx, epath, psprintf("must be at most %d characters formatted", MAX_ADDRESS));
			ok = false;
			continue;
		}
		in->addresses[in->naddresses++] = formatted;
		if (list.len > 1)
			appendStringInfoChar(&list, ',');
		appendStringInfoChar(&list, '{');
		StringMember(&list, "type", a.type);
		for (int k = 0; k < (int) NPARTS; k++)
			StringMember(&list, address_parts[k], a.part[k]);
		StringMember(&list, "formatted", formatted);
		appendStringInfoChar(&list, '}');
	}
	if (!ok)
		return;
	if (cx->schema < SCHEMA_0_2)
	{
		in->present |= CF_ADDRESSES;
		return;
	}
	in->details_present |= DK_ADDRESSES;
	in->present |= CF_DETAILS;
	if (in->naddresses > 0)
	{
		appendStringInfoChar(&list, ']');
		appendStringInfoString(DetailsKey(in, DK_ADDRESSES, "addresses"), list.data);
	}
}

/* ---- the other parts of details ---------------------------------------------------- */

typedef struct StringField
{
	const char *key;
	int			max;
} StringField;

/* An object of string members (fields), canonical into out; false when it had a problem. */
typedef struct StringsItem
{
	const StringField *fields;
	int			nfields;
	char	  **values;
	bool		bad;
	/* organizations: their start and end dates */
	bool		dates;
	TypedDate	start;
	TypedDate	end;
	bool		has_start;
	bool		has_end;
} StringsItem;

static bool
StringsMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx, void *state)
{
	StringsItem *s = state;

	for (int i = 0; i < s->nfields; i++)
		if (strcmp(key, s->fields[i].key) == 0)
		{
			s->bad |= !details_string(v, s->fields[i].max, true, path, cx, &s->values[i]);
			return true;
		}
	if (s->dates && (strcmp(key, "start_date") == 0 || strcmp(key, "end_date") == 0))
	{
		bool		start = key[0] == 's';

		if (v->type == jbvNull)
			return true;
		if (!ParseDate(v, path, true, cx, start ? &s->start : &s->end))
			s->bad = true;
		else if (start)
			s->has_start = true;
		else
			s->has_end = true;
		return true;
	}
	return false;
}

static const StringField name_fields[] = {
	{"given", MAX_NAME_PART}, {"middle", MAX_NAME_PART}, {"family", MAX_NAME_PART},
	{"prefix", MAX_NAME_PART}, {"suffix", MAX_NAME_PART}
};
static const StringField organization_fields[] = {
	{"name", MAX_ORG_FIELD}, {"department", MAX_ORG_FIELD}, {"title", MAX_ORG_FIELD},
	{"location", MAX_ORG_FIELD}, {"description", MAX_DESCRIPTION}
};

/* Parse an object of string members; false when it had a problem. */
static bool
Strings(JsonbValue *e, const char *path, const char *what, const StringField *fields, int nfields,
		bool dates, DetailsContext *cx, StringsItem *s)
{
	memset(s, 0, sizeof(*s));
	s->fields = fields;
	s->nfields = nfields;
	s->values = palloc0(sizeof(char *) * nfields);
	s->dates = dates;
	if (!IsObject(e))
	{
		Problem(cx, path, "must be an object");
		return false;
	}
	Members(e, path, what, cx, StringsMember, s);
	return !s->bad;
}

static bool
AppendStrings(StringInfo buf, StringsItem *s)
{
	int			start = buf->len;

	appendStringInfoChar(buf, '{');
	for (int i = 0; i < s->nfields; i++)
		StringMember(buf, s->fields[i].key, s->values[i]);
	if (s->has_start)
	{
		Key(buf, "start_date");
		AppendDate(buf, &s->start.date, NULL);
	}
	if (s->has_end)
	{
		Key(buf, "end_date");
		AppendDate(buf, &s->end.date, NULL);
	}
	appendStringInfoChar(buf, '}');
	return buf->len - start > 2;
}

static void
ParseName(JsonbValue *v, const char *path, DetailsContext *cx, ContactInput *in)
{
	static const int joined_order[] = {3, 0, 1, 2, 4};	/* prefix given middle family suffix */
	StringsItem s;
	StringInfoData obj;
	StringInfoData joined;

	if (v->type == jbvNull)
	{
		in->details_present |= DK_NAME;
		in->present |= CF_DETAILS;
		return;
	}
	if (!Strings(v, path, "a name", name_fields, lengthof(name_fields), false, cx, &s))
		return;
	initStringInfo(&obj);
	initStringInfo(&joined);
	for (int k = 0; k < (int) lengthof(joined_order); k++)
	{
		const char *part = s.values[joined_order[k]];

		if (part == NULL)
			continue;
		if (joined.len > 0)
			appendStringInfoChar(&joined, ' ');
		appendStringInfoString(&joined, part);
	}
	if (pg_mbstrlen_with_len(joined.data, joined.len) > MAX_DISPLAY_NAME)
	{
		Problem(cx, path, psprintf("must be at most %d characters joined (the display_name)",
								   MAX_DISPLAY_NAME));
		return;
	}
	in->details_present |= DK_NAME;
	in->present |= CF_DETAILS;
	if (AppendStrings(&obj, &s))
	{
		appendStringInfoString(DetailsKey(in, DK_NAME, "name"), obj.data);
		in->name_joined = joined.data;
	}
}

/*
 * A list of objects of one kind: {"type", "value"} (value_max > 0; a string is the
 * value alone), organizations or dates.
 */
typedef enum ListKind
{
	KIND_VALUES,
	KIND_ORGANIZATIONS,
	KIND_DATES
} ListKind;

typedef struct TypedValue
{
	char	   *type;
	char	   *value;
	bool		has_value;
	int			max;
	bool		bad;
} TypedValue;

static bool
TypedValueMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx,
				 void *state)
{
	TypedValue *t = state;

	if (strcmp(key, "type") == 0)
		t->bad |= !details_string(v, MAX_TYPE, true, path, cx, &t->type);
	else if (strcmp(key, "value") == 0)
	{
		t->has_value = true;
		if (!details_string(v, t->max, false, path, cx, &t->value))
			t->bad = true;
		else if (t->value == NULL)
		{
			Problem(cx, path, "is required");
			t->bad = true;
		}
	}
	else
		return false;
	return true;
}

static void
ObjectList(JsonbValue *v, const char *path, int bit, const char *key, ListKind kind,
		   int value_max, const char *what, DetailsContext *cx, ContactInput *in)
{
	StringInfoData list;
	int			size;
	int			count = 0;
	bool		ok = true;

	if (!List(v, path, MAX_LIST, "objects", cx, &size))
		return;
	initStringInfo(&list);
	appendStringInfoChar(&list, '[');
	for (int i = 0; i < size; i++)
	{
		JsonbValue *e = Element(v, i);
		char	   *epath = PathIndex(path, i);

		if (list.len > 1)
			appendStringInfoChar(&list, ',');
		if (kind == KIND_VALUES)
		{
			TypedValue	t = {.max = value_max};

			if (e->type == jbvString)
				ok &= details_string(e, value_max, false, epath, cx, &t.value);
			else if (IsObject(e))
			{
				Members(e, epath, what, cx, TypedValueMember, &t);
				if (!t.has_value && !t.bad)
				{
					Problem(cx, Path(epath, "value"), "is required");
					t.bad = true;
				}
				ok &= !t.bad;
			}
			else
			{
				Problem(cx, epath, "must be a string or an object");
				ok = false;
			}
			if (!ok)
				continue;
			appendStringInfoChar(&list, '{');
			StringMember(&list, "type", t.type);
			StringMember(&list, "value", t.value);
			appendStringInfoChar(&list, '}');
		}
		else if (kind == KIND_ORGANIZATIONS)
		{
			StringsItem s;

			if (!Strings(e, epath, what, organization_fields, lengthof(organization_fields),
						 true, cx, &s))
			{
				ok = false;
				continue;
			}
			if (!AppendStrings(&list, &s))
			{
				Problem(cx, epath, "must have a name, department, title, location, description or date");
				ok = false;
				continue;
			}
		}
		else
		{
			TypedDate	t = {.with_type = true};

			if (!ParseDate(e, epath, true, cx, &t))
			{
				ok = false;
				continue;
			}
			AppendDate(&list, &t.date, t.type);
		}
		count++;
	}
	if (!ok)
		return;
	in->details_present |= bit;
	in->present |= CF_DETAILS;
	if (count > 0)
	{
		appendStringInfoChar(&list, ']');
		appendStringInfoString(DetailsKey(in, bit, key), list.data);
	}
}

static void
Notes(JsonbValue *v, const char *path, DetailsContext *cx, ContactInput *in)
{
	char	   *notes;

	if (!details_string(v, MAX_NOTES, true, path, cx, &notes))
		return;
	in->details_present |= DK_NOTES;
	in->present |= CF_DETAILS;
	if (notes)
		escape_json(DetailsKey(in, DK_NOTES, "notes"), notes);
}

static bool
DetailsMember(const char *key, JsonbValue *v, const char *path, DetailsContext *cx, void *state)
{
	ContactInput *in = state;
	JsonbValue	none = {.type = jbvNull};

	/*
	 * "" and [] are no value (the canonical form keeps none), so for every key they clear
	 * the part as null does, whatever the key holds otherwise.
	 */
	if ((v->type == jbvString && v->val.string.len == 0) ||
		(IsArray(v) && JsonContainerSize(v->val.binary.data) == 0))
		v = &none;

	if (strcmp(key, "name") == 0)
		ParseName(v, path, cx, in);
	else if (strcmp(key, "emails") == 0)
	{
		if (details_values(v, path, false, cx, &in->nemails, &in->emails))
			in->present |= CF_EMAILS;
	}
	else if (strcmp(key, "phone_numbers") == 0)
	{
		if (details_values(v, path, true, cx, &in->nphones, &in->phones))
			in->present |= CF_PHONES;
	}
	else if (strcmp(key, "addresses") == 0)
		details_addresses(v, path, cx, in);
	else if (strcmp(key, "birthday") == 0)
		details_birthday(v, path, cx, in);
	else if (strcmp(key, "dates") == 0)
		ObjectList(v, path, DK_DATES, "dates", KIND_DATES, 0, "a date", cx, in);
	else if (strcmp(key, "organizations") == 0)
		ObjectList(v, path, DK_ORGANIZATIONS, "organizations", KIND_ORGANIZATIONS, 0,
				   "an organization", cx, in);
	else if (strcmp(key, "urls") == 0)
		ObjectList(v, path, DK_URLS, "urls", KIND_VALUES, MAX_URL, "a url", cx, in);
	else if (strcmp(key, "ims") == 0)
		ObjectList(v, path, DK_IMS, "ims", KIND_VALUES, MAX_VALUE, "an im", cx, in);
	else if (strcmp(key, "related_people") == 0)
		ObjectList(v, path, DK_RELATED_PEOPLE, "related_people", KIND_VALUES, MAX_VALUE,
				   "a related person", cx, in);
	else if (strcmp(key, "items") == 0)
		ObjectList(v, path, DK_ITEMS, "items", KIND_VALUES, MAX_VALUE, "an item", cx, in);
	else if (strcmp(key, "notes") == 0)
		Notes(v, path, cx, in);
	else
		return false;
	return true;
}

void
details_object(JsonbValue *v, DetailsContext *cx, ContactInput *in)
{
	if (v->type == jbvNull)
	{
		/* every part cleared */
		in->details_present = (1 << DK_COUNT) - 1;
		in->present |= CF_DETAILS | CF_EMAILS | CF_PHONES;
		in->nemails = in->nphones = 0;
		return;
	}
	if (!IsObject(v))
	{
		Problem(cx, "details", "must be an object or null");
		return;
	}
	Members(v, "details", "details", cx, DetailsMember, in);
}
