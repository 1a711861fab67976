/*
 * search_document.c — the full-text document of a contact (SPEC §9 search):
 * privacybee.contact_document(), which contacts_reindex() stores in contact_documents in the
 * transaction of every write.
 *
 * The document is a tsvector of the contact's words (search_text.c) by field: the names
 * (display_name and the name's parts), the organizations' names and departments and
 * the directory company the contact works for (company_id: its name) (company), titles, the emails, the phones, the addresses' parts, the tags (only
 * under "tag:", SPEC §9 lists them among the fields and not among what a bare word
 * matches) and the notes, last. Every word is there as itself and as '#' + the field's
 * code + itself, at the same position, so "name:jo" is one prefix probe like "jo"; and
 * every lexeme starts with the owner's code, so a probe reads one member's entries.
 *
 * A phone is its digits: the E.164 form without "+", its national number and the digits
 * as written are words of the phone field (a query's short number matches their start);
 * and every tail of three digits or more of the E.164 digits and of the digits as written
 * is a lexeme of its own field ('#s'), so digits typed anywhere in a number are the start
 * of one of them: one prefix probe finds a number by any part of it.
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
	char		owner[SEARCH_OWNER_BUFSIZE];	/* the owner's code, every lexeme's start */
	int			owner_len;
	ParsedText	prs;
} Document;

static void
DocumentInit(Document *d, int64 owner)
{
	d->cfg = search_config();
	search_owner_code(owner, d->owner);
	d->owner_len = strlen(d->owner);
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

/* The owner's code, then mark (none: '\0') and its field code, then word, at the
 * current position. */
static void
AddQualified(Document *d, char field, const char *word, int len)
{
	int			n = d->owner_len + (field ? 2 : 0) + len;
	char	   *lexeme = palloc(n + 1);
	char	   *p = lexeme;

	memcpy(p, d->owner, d->owner_len);
	p += d->owner_len;
	if (field)
	{
		*p++ = SEARCH_FIELD_MARK;
		*p++ = field;
	}
	memcpy(p, word, len);
	lexeme[n] = '\0';
	AddLexeme(d, lexeme, n);
}

/* word, at the current position: as itself (when the field is searched by any word) and
 * qualified by its field */
static void
AddWord(Document *d, const SearchField *f, const char *word, int len)
{
	if (f->in_any)
		AddQualified(d, '\0', word, len);
	AddQualified(d, f->code, word, len);
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

/* Every tail of three digits or more of digits, as a '#s' lexeme (file header). */
static void
AddTails(Document *d, const char *digits, int len)
{
	for (int i = 0; i + 3 <= len; i++)
		AddQualified(d, SEARCH_DIGITS_FIELD, digits + i, len - i);
}

/* A phone's digits as searched (file header), all at one position. */
static void
AddPhone(Document *d, text *e164, text *raw)
{
	const SearchField *f = Field('p');
	const char *international = NULL;
	StringInfoData digits;

	if (e164)
	{
		char	   *s = text_to_cstring(e164);
		int			code,
					code_len;

		if (s[0] == '+')
		{
			international = s + 1;
			AddWord(d, f, s + 1, strlen(s + 1));
			if (phone_calling_code_split(s + 1, strlen(s + 1), &code, &code_len))
				AddWord(d, f, s + 1 + code_len, strlen(s + 1 + code_len));
			AddTails(d, s + 1, strlen(s + 1));
		}
	}
	if (raw)
	{
		initStringInfo(&digits);
		search_text_digits(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &digits);
		AddWord(d, f, digits.data, digits.len);
		/* digits written as in the E.164 form have their tails there already */
		if (international == NULL || strstr(international, digits.data) == NULL)
			AddTails(d, digits.data, digits.len);
	}
	d->prs.pos += 2;
}

/*
 * contact_document(owner bigint, display_name text, details jsonb, emails text[],
 * phones_e164 text[], phones_raw text[], tags text[], company text) → tsvector: the search
 * document of a contact of owner. The phone arrays are parallel (e164 NULL where the
 * number could not be read); NULL arrays are empty ones; company is the name of the
 * directory company of its company_id (NULL: none).
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

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	DocumentInit(&d, PG_GETARG_INT64(0));
	if (!PG_ARGISNULL(2))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(2);

		if (JB_ROOT_IS_OBJECT(jb))
			details = &jb->root;
	}

	if (!PG_ARGISNULL(1))
	{
		text	   *dn = PG_GETARG_TEXT_PP(1);

		AddText(&d, Field('n'), VARDATA_ANY(dn), VARSIZE_ANY_EXHDR(dn));
	}
	if (details)
	{
		JsonbContainer *name = ContainerMember(details, "name", false);

		if (name)
			AddMembers(&d, 'n', name, name_keys);
	}
	AddListMembers(&d, 'c', details, "organizations", company_keys);
	if (!PG_ARGISNULL(7))
	{
		text	   *company = PG_GETARG_TEXT_PP(7);

		AddText(&d, Field('c'), VARDATA_ANY(company), VARSIZE_ANY_EXHDR(company));
	}
	AddListMembers(&d, 't', details, "organizations", title_keys);

	ArrayStrings(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3), &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			AddText(&d, Field('e'), VARDATA_ANY(DatumGetTextPP(elems[i])),
					VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])));

	ArrayStrings(PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &elems, &nulls, &n);
	ArrayStrings(PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5), &raws, &raw_nulls, &nraw);
	for (int i = 0; i < Max(n, nraw); i++)
		AddPhone(&d, i < n && !nulls[i] ? DatumGetTextPP(elems[i]) : NULL,
				 i < nraw && !raw_nulls[i] ? DatumGetTextPP(raws[i]) : NULL);

	AddListMembers(&d, 'a', details, "addresses", address_keys);

	ArrayStrings(PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6), &elems, &nulls, &n);
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
