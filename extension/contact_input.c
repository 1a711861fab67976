/*
 * contact_input.c — validation of contact objects sent by clients.
 *
 * Accepts both spellings of the list fields (emails|email, phone_numbers|phone,
 * addresses|address; both in one object is an error), ignores the read-only fields a
 * client may send back, and rejects unknown fields so a typo never silently drops data.
 * Limits come from SPEC §2 (contact_input.h); lists other than labels are capped at 100
 * entries.
 *
 * 0.2.0 (SPEC §9): an object that carries details takes its emails, phones, addresses
 * and birthday from there, and its flat fields of those are ignored, so that a client
 * can send back what it read; the list fields take typed objects beside strings;
 * company_id or company_external_id (not both) name the contact's company; without a
 * display_name, a given name's parts joined are the display_name.
 */
#include "postgres.h"

#include "catalog/pg_collation_d.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/json.h"

#include "casefold.h"
#include "contact_input.h"
#include "ids.h"

/*
 * labels: null (cleared) or an array of at most MAX_LABELS tag names. Names that differ
 * only in case are one tag: the first spelling stays.
 */
static void
Labels(JsonbValue *v, DetailsContext *cx, ContactInput *in)
{
	JsonbContainer *arr;
	char	  **folded;
	int			size;
	bool		ok = true;

	in->present |= CF_LABELS;
	in->nlabels = 0;
	if (v->type == jbvNull)
		return;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
	{
		problems_add(cx->p, cx->prefix, "labels", "must be an array of strings or null");
		return;
	}
	arr = v->val.binary.data;
	size = JsonContainerSize(arr);
	if (size > MAX_LABELS)
	{
		problems_add(cx->p, cx->prefix, "labels",
					 psprintf("must have at most %d entries", MAX_LABELS));
		return;
	}
	in->labels = palloc(sizeof(char *) * Max(size, 1));
	folded = palloc(sizeof(char *) * Max(size, 1));
	for (int i = 0; i < size; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(arr, i);
		char	   *path = psprintf("labels[%d]", i);
		char	   *label;
		char	   *f;
		bool		dup = false;

		if (e->type == jbvNull)
		{
			problems_add(cx->p, cx->prefix, path, "must be a string");
			ok = false;
			continue;
		}
		if (!details_name(e, MAX_LABEL, path, cx, &label))
		{
			ok = false;
			continue;
		}
		/* as the tags' unique index on casefold(name) folds it */
		f = casefold(label, strlen(label));
		for (int j = 0; j < in->nlabels && !dup; j++)
			dup = strcmp(folded[j], f) == 0;
		if (dup)
			continue;
		folded[in->nlabels] = f;
		in->labels[in->nlabels++] = label;
	}
	if (!ok)
		in->nlabels = 0;
}

/* Fields a client may send back but cannot set. */
static bool
IsReadOnlyField(const char *key, SchemaVersion schema)
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

typedef struct Parse
{
	DetailsContext cx;
	ContactInput *in;
	int			spellings;		/* which of the three list fields were given */
	bool		has_details;	/* 0.2.0: the flat emails, phones, addresses, birthday are
								 * ignored */
	bool		has_company_id;
	bool		has_company_external_id;
} Parse;

/* One of the three list fields, in either spelling (bit: which). */
static bool
Spelling(Parse *ps, int bit, const char *key, const char *both)
{
	if (ps->spellings & bit)
	{
		problems_add(ps->cx.p, ps->cx.prefix, key, psprintf("given twice (%s)", both));
		return false;
	}
	ps->spellings |= bit;
	return true;
}

static void
ParseField(const char *key, JsonbValue *v, Parse *ps)
{
	ContactInput *in = ps->in;
	DetailsContext *cx = &ps->cx;
	bool		v2 = cx->schema >= SCHEMA_0_2;
	bool		flat_ignored = ps->has_details;

	if (strcmp(key, "id") == 0)
	{
		if (v->type == jbvNull)
			return;
		if (!id_from_jsonb(v, &in->id))
			problems_add(cx->p, cx->prefix, "id", id_problem());
		else
			in->has_id = true;
	}
	else if (strcmp(key, "external_id") == 0)
	{
		in->present |= CF_EXTERNAL_ID;
		details_string(v, MAX_EXTERNAL_ID, false, key, cx, &in->external_id);
	}
	else if (strcmp(key, "display_name") == 0)
	{
		in->present |= CF_DISPLAY_NAME;
		if (v->type == jbvNull)
			problems_add(cx->p, cx->prefix, key, "cannot be cleared");
		else
			details_name(v, MAX_DISPLAY_NAME, key, cx, &in->display_name);
	}
	else if (strcmp(key, "birthday") == 0)
	{
		if (!flat_ignored)
			details_birthday(v, key, cx, in);
	}
	else if (strcmp(key, "emails") == 0 || strcmp(key, "email") == 0)
	{
		if (Spelling(ps, 1, key, "emails and email") && !flat_ignored &&
			details_values(v, key, false, cx, &in->nemails, &in->emails))
			in->present |= CF_EMAILS;
	}
	else if (strcmp(key, "phone_numbers") == 0 || strcmp(key, "phone") == 0)
	{
		if (Spelling(ps, 2, key, "phone_numbers and phone") && !flat_ignored &&
			details_values(v, key, true, cx, &in->nphones, &in->phones))
			in->present |= CF_PHONES;
	}
	else if (strcmp(key, "addresses") == 0 || strcmp(key, "address") == 0)
	{
		if (Spelling(ps, 4, key, "addresses and address") && !flat_ignored)
			details_addresses(v, key, cx, in);
	}
	else if (strcmp(key, "labels") == 0)
		Labels(v, cx, in);
	else if (v2 && strcmp(key, "details") == 0)
		details_object(v, cx, in);
	else if (v2 && strcmp(key, "company_id") == 0)
	{
		ps->has_company_id = true;
		in->present |= CF_COMPANY;
		if (v->type != jbvNull && !id_from_jsonb(v, &in->company_id))
			problems_add(cx->p, cx->prefix, key, id_problem());
	}
	else if (v2 && strcmp(key, "company_external_id") == 0)
	{
		ps->has_company_external_id = true;
		in->present |= CF_COMPANY;
		details_string(v, MAX_EXTERNAL_ID, false, key, cx, &in->company_external_id);
	}
	else if (strcmp(key, "restore") == 0)
	{
		/* a sync item's say on a deleted contact's external_id (contacts_sync.c) */
		in->has_restore = true;
		if (v->type == jbvBool)
			in->restore = v->val.boolean;
		else if (v->type != jbvNull)
			problems_add(cx->p, cx->prefix, key, "must be true or false");
	}
	else if (!IsReadOnlyField(key, cx->schema))
		problems_add(cx->p, cx->prefix, key, "is not a contact field");
}

void
contact_input_parse(JsonbValue *item, const char *prefix, const char *region,
					SchemaVersion schema, ContactInput *in, Problems *p)
{
	Parse		ps = {.cx = {.prefix = prefix, .region = region, .schema = schema, .p = p},
	.in = in};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	memset(in, 0, sizeof(*in));
	initStringInfo(&in->details);
	appendStringInfoChar(&in->details, '{');
	if (item->type != jbvBinary || !JsonContainerIsObject(item->val.binary.data))
	{
		problems_add(p, prefix, "", "must be a contact object");
		return;
	}
	if (schema >= SCHEMA_0_2)
	{
		JsonbValue	buf;

		ps.has_details = getKeyJsonValueFromContainer(item->val.binary.data, "details",
													  strlen("details"), &buf) != NULL;
	}
	it = JsonbIteratorInit(item->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			ParseField(key, &v, &ps);
	}
	appendStringInfoChar(&in->details, '}');

	if (ps.has_company_id && ps.has_company_external_id)
		problems_add(p, prefix, "company_external_id", "cannot be given with company_id");
	/* the name's parts joined, when the name is given and the display_name is not */
	if (!(in->present & CF_DISPLAY_NAME) && in->name_joined)
	{
		in->present |= CF_DISPLAY_NAME;
		in->display_name = in->name_joined;
	}
}

/*
 * tag_name_in(v jsonb, field text) → text: a tag's name as a body gives it in field (v
 * its value, NULL when absent), by the rule labels follow (a tag's name is a label);
 * PT400 naming field otherwise.
 */
PG_FUNCTION_INFO_V1(tag_name_in);
Datum
tag_name_in(PG_FUNCTION_ARGS)
{
	const char *field = PG_ARGISNULL(1) ? "name" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Problems	p;
	DetailsContext cx = {.prefix = "", .schema = SCHEMA_0_2, .p = &p};
	JsonbValue	v;
	char	   *name = NULL;

	problems_init(&p);
	if (PG_ARGISNULL(0))
		problems_add(&p, "", field, "is required");
	else if (!JsonbExtractScalar(&PG_GETARG_JSONB_P(0)->root, &v) || v.type == jbvNull)
		problems_add(&p, "", field, "must be a string");
	else if (details_name(&v, MAX_LABEL, field, &cx, &name) && name == NULL)
		problems_add(&p, "", field, "must be a string");
	if (p.count > 0)
		problems_raise(&p);
	PG_RETURN_TEXT_P(cstring_to_text(name));
}
