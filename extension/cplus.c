/*
 * cplus.c — the Contacts+ spelling of a contact's details (SPEC §10): the one table of the
 * names that differ between our details object (SPEC §9) and the seed's contactData, and
 * the functions that rename a details object, or a field path in an error, either way.
 *
 * One model, two representations: the RPC routes (sql/logic/38_cplus.sql) render the
 * same stored contact as GET /contacts/<id> does (contact_render.c) and rename its keys
 * here; what a Contacts+ client writes is renamed back and validated by the one details
 * parser (contact_details.c), whose problems name our paths, which cplus_path() turns
 * into the client's.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "privacybee.h"

/*
 * ours → theirs. theirs NULL: a read-only member of ours that the seed's shapes do not
 * have (a phone's e164, an address's formatted, the primary flags: the seed puts the
 * primary entry first instead, which 38_cplus.sql does before renaming).
 */
static const struct
{
	const char *ours;
	const char *theirs;
}			cplus_keys[] = {
	{"given", "givenName"},
	{"middle", "middleName"},
	{"family", "familyName"},
	{"extended", "extendedAddress"},
	{"postal_code", "postalCode"},
	{"phone_numbers", "phoneNumbers"},
	{"related_people", "relatedPeople"},
	{"start_date", "startDate"},
	{"end_date", "endDate"},
	{"e164", NULL},
	{"formatted", NULL},
	{"primary", NULL},
};

/*
 * The name key (len bytes) takes in the other spelling: to_cplus from ours to theirs,
 * else back. *drop: the key has no place there (its value goes too). NULL: unchanged.
 */
static const char *
Rename(const char *key, int len, bool to_cplus, bool *drop)
{
	*drop = false;
	for (size_t i = 0; i < lengthof(cplus_keys); i++)
	{
		const char *from = to_cplus ? cplus_keys[i].ours : cplus_keys[i].theirs;
		const char *to = to_cplus ? cplus_keys[i].theirs : cplus_keys[i].ours;

		if (from && (int) strlen(from) == len && memcmp(from, key, len) == 0)
		{
			*drop = to == NULL;
			return to;
		}
	}
	return NULL;
}

/*
 * cplus_details(details jsonb, to_cplus boolean) → jsonb: every key of the object, at
 * every depth, in the other spelling (read-only members of ours dropped on the way to
 * theirs). A value that is not an object or array is given back as it is: the details
 * parser reports it.
 */
PG_FUNCTION_INFO_V1(cplus_details);
Datum
cplus_details(PG_FUNCTION_ARGS)
{
	Jsonb	   *in = PG_GETARG_JSONB_P(0);
	bool		to_cplus = PG_GETARG_BOOL(1);
	JsonbParseState *state = NULL;
	JsonbValue *result = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			skip_depth = 0;
	bool		skipping = false;

	if (JB_ROOT_IS_SCALAR(in))
		PG_RETURN_JSONB_P(in);
	it = JsonbIteratorInit(&in->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (skipping)
		{
			/* the value of a dropped key, however deep */
			if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
				skip_depth++;
			else if (tok == WJB_END_ARRAY || tok == WJB_END_OBJECT)
				skip_depth--;
			skipping = skip_depth > 0;
			continue;
		}
		if (tok == WJB_KEY)
		{
			bool		drop;
			const char *to = Rename(v.val.string.val, v.val.string.len, to_cplus, &drop);

			if (drop)
			{
				skipping = true;
				continue;
			}
			if (to)
			{
				v.val.string.val = pstrdup(to);
				v.val.string.len = strlen(to);
			}
		}
		result = pushJsonbValue(&state, tok,
								tok == WJB_KEY || tok == WJB_VALUE || tok == WJB_ELEM ? &v : NULL);
	}
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * cplus_path(path text) → text: a field path of ours (emails[2].value, name.given) with
 * every name in it in the Contacts+ spelling (emails[2].value, name.givenName), for the
 * details of an error the details parser raised.
 */
PG_FUNCTION_INFO_V1(cplus_path);
Datum
cplus_path(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	StringInfoData out;
	const char *p = path;

	initStringInfo(&out);
	while (*p)
	{
		const char *start = p;

		while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9' && p > start))
			p++;
		if (p > start)
		{
			bool		drop;
			const char *to = Rename(start, (int) (p - start), true, &drop);

			if (to)
				appendStringInfoString(&out, to);
			else
				appendBinaryStringInfo(&out, start, (int) (p - start));
		}
		else
			appendStringInfoChar(&out, *p++);
	}
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}
