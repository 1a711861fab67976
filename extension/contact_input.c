/*
 * contact_input.c — validation of contact objects sent by clients.
 *
 * Accepts both spellings of the list fields (emails|email, phone_numbers|phone,
 * addresses|address; both in one object is an error), ignores the read-only fields a
 * client may send back, and rejects unknown fields so a typo never silently drops data.
 * Limits come from SPEC §2; lists other than labels are capped at 100 entries.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "contact_input.h"
#include "ids.h"
#include "phone.h"
#include "privacybee.h"

#define MAX_DISPLAY_NAME	256
#define MAX_EMAIL			320
#define MAX_PHONE			64
#define MAX_ADDRESS			1024
#define MAX_LABEL			64
#define MAX_LABELS			50
#define MAX_EXTERNAL_ID		255
#define MAX_LIST			100

static char *
JsonbString(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static int
CharLength(JsonbValue *v)
{
	return pg_mbstrlen_with_len(v->val.string.val, v->val.string.len);
}

/* A JSON string within max characters, or a problem. */
static bool
CheckString(JsonbValue *v, int max, const char *prefix, const char *field, Problems *p)
{
	if (v->type != jbvString)
	{
		problems_add(p, prefix, field, "must be a string");
		return false;
	}
	if (CharLength(v) > max)
	{
		problems_add(p, prefix, field, psprintf("must be at most %d characters", max));
		return false;
	}
	return true;
}

static bool
IsLeapYear(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD" naming a real calendar date. */
static bool
ValidDate(const char *s, int len)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			y,
				m,
				d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && IsLeapYear(y));
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

static void
AppendArrayElement(StringInfo lit, const char *s, int len)
{
	if (lit->len > 1)
		appendStringInfoChar(lit, ',');
	appendStringInfoChar(lit, '"');
	for (int i = 0; i < len; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
			appendStringInfoChar(lit, '\\');
		appendStringInfoChar(lit, s[i]);
	}
	appendStringInfoChar(lit, '"');
}

typedef enum ListKind
{
	LIST_EMAILS,
	LIST_ADDRESSES,
	LIST_LABELS,
	LIST_PHONES
} ListKind;

/*
 * A list field: null (cleared) or an array of strings, each checked for its kind.
 * Emails, addresses and labels become a text[] literal; phones fill raw/e164.
 */
static void
ParseList(JsonbValue *v, ListKind kind, const char *prefix, const char *field,
		  const char *region, ContactInput *in, Problems *p)
{
	StringInfoData lit;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	int			max_len = kind == LIST_EMAILS ? MAX_EMAIL :
		kind == LIST_ADDRESSES ? MAX_ADDRESS :
		kind == LIST_LABELS ? MAX_LABEL : MAX_PHONE;
	int			max_count = kind == LIST_LABELS ? MAX_LABELS : MAX_LIST;
	int			n = 0;

	initStringInfo(&lit);
	appendStringInfoChar(&lit, '{');
	if (v->type == jbvNull)
		goto done;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
	{
		problems_add(p, prefix, field, "must be an array of strings or null");
		return;
	}
	if (JsonContainerSize(v->val.binary.data) > max_count)
	{
		problems_add(p, prefix, field, psprintf("must have at most %d entries", max_count));
		return;
	}
	if (kind == LIST_PHONES)
	{
		int			size = JsonContainerSize(v->val.binary.data);

		in->phone_raw = palloc0(sizeof(char *) * Max(size, 1));
		in->phone_e164 = palloc0(sizeof(char *) * Max(size, 1));
	}

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		char		name[128];

		if (tok != WJB_ELEM)
			continue;
		snprintf(name, sizeof(name), "%s[%d]", field, n);
		n++;
		if (!CheckString(&elem, max_len, prefix, name, p))
			continue;
		if (elem.val.string.len == 0)
		{
			problems_add(p, prefix, name, "must not be empty");
			continue;
		}
		if (kind == LIST_EMAILS && !PlausibleEmail(elem.val.string.val, elem.val.string.len))
		{
			problems_add(p, prefix, name, "is not an email address");
			continue;
		}
		if (kind == LIST_PHONES)
		{
			char		e164[PHONE_E164_BUFSIZE];

			in->phone_raw[in->nphones] = JsonbString(&elem);
			if (phone_normalize(elem.val.string.val, elem.val.string.len, region, e164))
				in->phone_e164[in->nphones] = pstrdup(e164);
			in->nphones++;
		}
		else
			AppendArrayElement(&lit, elem.val.string.val, elem.val.string.len);
	}
done:
	appendStringInfoChar(&lit, '}');
	switch (kind)
	{
		case LIST_EMAILS:
			in->present |= CF_EMAILS;
			in->emails = lit.data;
			break;
		case LIST_ADDRESSES:
			in->present |= CF_ADDRESSES;
			in->addresses = lit.data;
			break;
		case LIST_LABELS:
			in->present |= CF_LABELS;
			in->labels = lit.data;
			break;
		case LIST_PHONES:
			in->present |= CF_PHONES;
			break;
	}
}

/* Fields a client may send back but cannot set. */
static bool
IsReadOnlyField(const char *key)
{
	static const char *const read_only[] = {
		"user_id", "risk_score", "profile_icon", "connected", "e2ee", "created",
		"updated", "deleted", NULL
	};

	for (int i = 0; read_only[i]; i++)
		if (strcmp(key, read_only[i]) == 0)
			return true;
	return false;
}

static void
ParseField(const char *key, JsonbValue *v, const char *prefix, const char *region,
		   ContactInput *in, int *spellings, Problems *p)
{
	if (strcmp(key, "id") == 0)
	{
		if (v->type == jbvNull)
			return;
		if (!id_from_jsonb(v, &in->id))
			problems_add(p, prefix, "id", id_problem());
		else
			in->has_id = true;
	}
	else if (strcmp(key, "external_id") == 0)
	{
		in->present |= CF_EXTERNAL_ID;
		if (v->type == jbvNull)
			in->external_id = NULL;
		else if (CheckString(v, MAX_EXTERNAL_ID, prefix, key, p))
		{
			if (v->val.string.len == 0)
				problems_add(p, prefix, key, "must not be empty");
			in->external_id = JsonbString(v);
		}
	}
	else if (strcmp(key, "display_name") == 0)
	{
		in->present |= CF_DISPLAY_NAME;
		if (v->type == jbvNull)
			problems_add(p, prefix, key, "cannot be cleared");
		else if (CheckString(v, MAX_DISPLAY_NAME, prefix, key, p))
		{
			in->display_name = JsonbString(v);
			if (*in->display_name == '\0')
				problems_add(p, prefix, key, "must not be empty");
		}
	}
	else if (strcmp(key, "birthday") == 0)
	{
		in->present |= CF_BIRTHDAY;
		if (v->type == jbvNull)
			in->birthday = NULL;
		else if (v->type != jbvString || !ValidDate(v->val.string.val, v->val.string.len))
			problems_add(p, prefix, key, "must be a date as YYYY-MM-DD or null");
		else
			in->birthday = JsonbString(v);
	}
	else if (strcmp(key, "emails") == 0 || strcmp(key, "email") == 0)
	{
		if (*spellings & 1)
			problems_add(p, prefix, key, "given twice (emails and email)");
		else
			ParseList(v, LIST_EMAILS, prefix, key, region, in, p);
		*spellings |= 1;
	}
	else if (strcmp(key, "phone_numbers") == 0 || strcmp(key, "phone") == 0)
	{
		if (*spellings & 2)
			problems_add(p, prefix, key, "given twice (phone_numbers and phone)");
		else
			ParseList(v, LIST_PHONES, prefix, key, region, in, p);
		*spellings |= 2;
	}
	else if (strcmp(key, "addresses") == 0 || strcmp(key, "address") == 0)
	{
		if (*spellings & 4)
			problems_add(p, prefix, key, "given twice (addresses and address)");
		else
			ParseList(v, LIST_ADDRESSES, prefix, key, region, in, p);
		*spellings |= 4;
	}
	else if (strcmp(key, "labels") == 0)
		ParseList(v, LIST_LABELS, prefix, key, region, in, p);
	else if (strcmp(key, "restore") == 0)
	{
		/* a sync item's say on a deleted contact's external_id (contacts_sync.c) */
		in->has_restore = true;
		if (v->type == jbvBool)
			in->restore = v->val.boolean;
		else if (v->type != jbvNull)
			problems_add(p, prefix, key, "must be true or false");
	}
	else if (!IsReadOnlyField(key))
		problems_add(p, prefix, key, "is not a contact field");
}

void
contact_input_parse(JsonbValue *item, const char *prefix, const char *region,
					ContactInput *in, Problems *p)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			spellings = 0;

	memset(in, 0, sizeof(*in));
	if (item->type != jbvBinary || !JsonContainerIsObject(item->val.binary.data))
	{
		problems_add(p, prefix, "", "must be a contact object");
		return;
	}
	it = JsonbIteratorInit(item->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = JsonbString(&v);
		else if (tok == WJB_VALUE)
			ParseField(key, &v, prefix, region, in, &spellings, p);
	}
}
