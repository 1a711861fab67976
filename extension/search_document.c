/*
 * search_document.c — the full-text document of a contact (SPEC §9 search):
 * privacybee.contact_document() and contact_phone_digits(), which contacts_reindex()
 * stores in contacts.search and contacts.phone_digits in the transaction of every write.
 *
 * The document is a tsvector of the contact's words (search_text.c) by field: the names
 * (display_name and the name's parts), the organizations' names and departments
 * (company) and titles, the emails, the phones (their digits: the E.164 form without
 * "+", the national number, the digits as written), the addresses' parts, the tags (only
 * under "tag:", SPEC §9 lists them among the fields and not among what a bare word
 * matches) and the notes, last. Every word is there as itself and as '#' + the field's
 * code + itself, at the same position, so "name:jo" is one prefix probe like "jo".
 *
 * Positions: words of one value follow each other, and a gap separates values and
 * fields, so a quoted phrase matches inside one value only. Notes come last because
 * positions stop growing at 16383 (a tsvector's limit).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "tsearch/ts_type.h"
#include "tsearch/ts_utils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "phone.h"
#include "search_text.h"

typedef struct Document
{
	Oid			cfg;
	ParsedText	prs;
} Document;

static void
DocumentInit(Document *d)
{
	d->cfg = search_config();
	d->prs.lenwords = 64;
	d->prs.curwords = 0;
	d->prs.pos = 1;
	d->prs.words = palloc(sizeof(ParsedWord) * d->prs.lenwords);
}

static void
AddLexeme(Document *d, char *word, int len)
{
	ParsedWord *w;

	/* a tsvector's lexemes are shorter than MAXSTRLEN bytes */
	if (len <= 0 || len >= MAXSTRLEN)
		return;
	if (d->prs.curwords == d->prs.lenwords)
	{
		d->prs.lenwords *= 2;
		d->prs.words = repalloc(d->prs.words, sizeof(ParsedWord) * d->prs.lenwords);
	}
	w = &d->prs.words[d->prs.curwords++];
	memset(w, 0, sizeof(*w));
	w->len = len;
	w->word = word;
	w->pos.pos = LIMITPOS(d->prs.pos);
}

/* word, at the current position: as itself (when the field is searched by any word) and
 * qualified by its field */
static void
AddWord(Document *d, const SearchField *f, const char *word, int len)
{
	char	   *qualified = palloc(len + 3);

	if (f->in_any)
		AddLexeme(d, pnstrdup(word, len), len);
	qualified[0] = SEARCH_FIELD_MARK;
	qualified[1] = f->code;
	memcpy(qualified + 2, word, len);
	qualified[len + 2] = '\0';
	AddLexeme(d, qualified, len + 2);
}

/* The words of one value, then a gap. */
static void
AddText(Document *d, const SearchField *f, const char *text, int len)
{
	char	  **words;
	int			n = search_text_words(d->cfg, text, len, &words);

	for (int i = 0; i < n; i++)
	{
		AddWord(d, f, words[i], strlen(words[i]));
		d->prs.pos++;
	}
	if (n > 0)
		d->prs.pos++;
}

static const SearchField *
Field(char code)
{
	return search_field_by_code(code);
}

/* A text member key of a jsonb object, or NULL. */
static JsonbValue *
StringMember(JsonbContainer *obj, const char *key, JsonbValue *buf)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), buf);

	return v && v->type == jbvString ? v : NULL;
}

/* An object or array member of a jsonb object, as its container, or NULL. */
static JsonbContainer *
ContainerMember(JsonbContainer *obj, const char *key, bool array)
{
	JsonbValue	buf;
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), &buf);

	if (v == NULL || v->type != jbvBinary)
		return NULL;
	if (array ? !JsonContainerIsArray(v->val.binary.data)
		: !JsonContainerIsObject(v->val.binary.data))
		return NULL;
	return v->val.binary.data;
}

static void
AddMembers(Document *d, char code, JsonbContainer *obj, const char *const *keys)
{
	for (int k = 0; keys[k]; k++)
	{
		JsonbValue	buf;
		JsonbValue *v = StringMember(obj, keys[k], &buf);

		if (v)
			AddText(d, Field(code), v->val.string.val, v->val.string.len);
	}
}

/* Each object of an array member: the given keys under the field code. */
static void
AddListMembers(Document *d, char code, JsonbContainer *details, const char *list,
			   const char *const *keys)
{
	JsonbContainer *arr = details ? ContainerMember(details, list, true) : NULL;
	int			n = arr ? JsonContainerSize(arr) : 0;

	for (int i = 0; i < n; i++)
	{
		JsonbValue *item = getIthJsonbValueFromContainer(arr, i);

		if (item && item->type == jbvBinary && JsonContainerIsObject(item->val.binary.data))
			AddMembers(d, code, item->val.binary.data, keys);
	}
}

static void
ArrayStrings(ArrayType *a, Datum **elems, bool **nulls, int *n)
{
	if (a == NULL)
	{
		*n = 0;
		return;
	}
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, elems, nulls, n);
}

/* A phone's digits as searched: the E.164 form without "+", its national number, and
 * the digits as written, all at one position. */
static void
AddPhone(Document *d, text *e164, text *raw)
{
	const SearchField *f = Field('p');
	StringInfoData digits;

	if (e164)
	{
		char	   *s = text_to_cstring(e164);
		int			code,
					code_len;

		if (s[0] == '+')
		{
			AddWord(d, f, s + 1, strlen(s + 1));
			if (phone_calling_code_split(s + 1, strlen(s + 1), &code, &code_len))
				AddWord(d, f, s + 1 + code_len, strlen(s + 1 + code_len));
		}
	}
	if (raw)
	{
		initStringInfo(&digits);
		search_text_digits(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &digits);
		AddWord(d, f, digits.data, digits.len);
	}
	d->prs.pos += 2;
}

/*
 * contact_document(display_name text, details jsonb, emails text[], phones_e164 text[],
 * phones_raw text[], tags text[]) → tsvector: the contact's search document. The phone
 * arrays are parallel (e164 NULL where the number could not be read); NULL arrays are
 * empty ones.
 */
PG_FUNCTION_INFO_V1(contact_document);
Datum
contact_document(PG_FUNCTION_ARGS)
{
	static const char *const name_keys[] = {"prefix", "given", "middle", "family", "suffix", NULL};
	static const char *const company_keys[] = {"name", "department", NULL};
	static const char *const title_keys[] = {"title", NULL};
	static const char *const address_keys[] = {"street", "extended", "city", "region",
	"postal_code", "country", NULL};
	Document	d;
	JsonbContainer *details = NULL;
	Datum	   *elems,
			   *raws;
	bool	   *nulls,
			   *raw_nulls;
	int			n,
				nraw;

	DocumentInit(&d);
	if (!PG_ARGISNULL(1))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(1);

		if (JB_ROOT_IS_OBJECT(jb))
			details = &jb->root;
	}

	if (!PG_ARGISNULL(0))
	{
		text	   *dn = PG_GETARG_TEXT_PP(0);

		AddText(&d, Field('n'), VARDATA_ANY(dn), VARSIZE_ANY_EXHDR(dn));
	}
	if (details)
	{
		JsonbContainer *name = ContainerMember(details, "name", false);

		if (name)
			AddMembers(&d, 'n', name, name_keys);
	}
	AddListMembers(&d, 'c', details, "organizations", company_keys);
	AddListMembers(&d, 't', details, "organizations", title_keys);

	ArrayStrings(PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			AddText(&d, Field('e'), VARDATA_ANY(DatumGetTextPP(elems[i])),
					VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])));

	ArrayStrings(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3), &elems, &nulls, &n);
	ArrayStrings(PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &raws, &raw_nulls, &nraw);
	for (int i = 0; i < Max(n, nraw); i++)
		AddPhone(&d, i < n && !nulls[i] ? DatumGetTextPP(elems[i]) : NULL,
				 i < nraw && !raw_nulls[i] ? DatumGetTextPP(raws[i]) : NULL);

	AddListMembers(&d, 'a', details, "addresses", address_keys);

	ArrayStrings(PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5), &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			AddText(&d, Field('g'), VARDATA_ANY(DatumGetTextPP(elems[i])),
					VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])));

	if (details)
	{
		JsonbValue	buf;
		JsonbValue *notes = StringMember(details, "notes", &buf);

		if (notes)
			AddText(&d, Field('o'), notes->val.string.val, notes->val.string.len);
	}

	PG_RETURN_POINTER(make_tsvector(&d.prs));
}

/* Is word (len bytes) one of the space-separated words of s[0..slen)? */
static bool
HasWord(const char *s, int slen, const char *word, int len)
{
	for (int i = 0; i + len <= slen; i++)
		if ((i == 0 || s[i - 1] == ' ') && (i + len == slen || s[i + len] == ' ') &&
			memcmp(s + i, word, len) == 0)
			return true;
	return false;
}

/*
 * contact_phone_digits(phones_e164 text[], phones_raw text[]) → text: the digits of the
 * contact's phones, each number's E.164 digits and its digits as written, separated by
 * spaces: what a trigram index finds digits typed anywhere in a number in.
 */
PG_FUNCTION_INFO_V1(contact_phone_digits);
Datum
contact_phone_digits(PG_FUNCTION_ARGS)
{
	StringInfoData out;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	initStringInfo(&out);
	for (int arg = 0; arg < 2; arg++)
	{
		ArrayStrings(PG_ARGISNULL(arg) ? NULL : PG_GETARG_ARRAYTYPE_P(arg), &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			text	   *t;
			int			before;

			if (nulls[i])
				continue;
			t = DatumGetTextPP(elems[i]);
			before = out.len;
			if (out.len > 0)
				appendStringInfoChar(&out, ' ');
			search_text_digits(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &out);
			/* nothing but the separator, or digits already there: take them back */
			if (out.len == before + (before > 0) ||
				HasWord(out.data, before, out.data + before + (before > 0),
						out.len - before - (before > 0)))
			{
				out.len = before;
				out.data[out.len] = '\0';
			}
		}
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
