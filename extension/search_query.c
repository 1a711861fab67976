/*
 * search_query.c — GET /contacts?q= (SPEC §9): the Contacts+ query syntax, parsed here
 * into a plan of index probes, never pasted into SQL.
 *
 * Syntax: words (each matches as the prefix of a word: "jo smi" finds John Smith);
 * field:word, field:"phrase" and field:(…) restrict to a field (name, email, phone,
 * company, title, note, address, tag; search_text.c); "quoted phrases" (words in order,
 * the last a prefix); AND (also implied between terms), OR, NOT and -term; parentheses.
 * AND, OR and NOT are operators only in capitals. Accents and case are ignored: words are
 * read by search_text.c, as the documents were.
 *
 * The plan: a word becomes a tsquery of its lexemes (a phrase of them when it reads as
 * several, "o'brien" → 'o' <-> 'brien':*), field-qualified lexemes under a field, every
 * lexeme after the member's owner code (search_document.c), so each probe of the GIN index
 * reads that member's entries only. A word written as a number ("555-1629", "+1") also
 * matches phone numbers by their digits, and so does a vanity number ("1-800-FLOWERS", its
 * letters read on a keypad as phone_read.c reads a contact's): typed anywhere in a number (three digits or more:
 * the start of one of the number's tails, '#s'), or fewer as the start of the number. The
 * whole query is one tsquery, one condition (contact_documents.document @@ $2) of one
 * statement; the SQL text is this file's alone, the tsquery a bound parameter.
 *
 * Results are ranked by ts_rank of the positive terms, then id; the caller pages them
 * with a keyset cursor on (rank, id).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "tsearch/ts_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "phone_read.h"
#include "privacybee.h"
#include "search_text.h"

#define MAX_Q_CHARS		500
#define MAX_TERMS		32
#define MAX_DEPTH		16
#define MIN_TAIL_DIGITS	3		/* the shortest tail search_document.c indexes */

typedef enum NodeKind
{
	N_AND,
	N_OR,
	N_NOT,
	N_TSQ						/* text: a tsquery */
} NodeKind;

typedef struct QNode
{
	NodeKind	kind;
	List	   *children;		/* AND, OR: QNode *; NOT: one */
	char	   *text;
} QNode;

typedef enum TokenKind
{
	T_END,
	T_LPAREN,
	T_RPAREN,
	T_OR,
	T_AND,
	T_NOT,
	T_MINUS,
	T_WORD,
	T_PHRASE,
	T_FIELD
} TokenKind;

typedef struct Token
{
	TokenKind	kind;
	int			start;			/* byte offset in q */
	const char *text;			/* WORD, PHRASE: its text (len bytes) */
	int			len;
	const SearchField *field;	/* FIELD */
} Token;

typedef struct Parser
{
	const char *q;
	int			len;
	int			pos;			/* next byte to read */
	bool		field_value;	/* the token after FIELD: a word whatever it looks like */
	Token		peeked;
	bool		has_peeked;
	Oid			cfg;
	char		owner[SEARCH_OWNER_BUFSIZE];	/* every lexeme's start */
	int			depth;
	int			terms;
} Parser;

/* ---- errors ----------------------------------------------------------------------- */

static void Fail(Parser *ps, int byte, const char *what) pg_attribute_noreturn();

/* 400 naming q, saying where: the character position (1-based) of byte. */
static void
Fail(Parser *ps, int byte, const char *what)
{
	int			at = pg_mbstrlen_with_len(ps->q, Min(byte, ps->len)) + 1;
	char	   *problem = psprintf(what, at);
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "[{\"field\": \"q\", \"problem\": ");
	escape_json(&detail, problem);
	appendStringInfoString(&detail, "}]");
	ereport(ERROR,
			(errcode(ERRCODE_PT_BAD_REQUEST),
			 errmsg("q %s", problem),
			 errdetail_internal("%s", detail.data)));
	pg_unreachable();
}

/* ---- tokens ----------------------------------------------------------------------- */

static bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
Ends(char c)
{
	return IsSpace(c) || c == '(' || c == ')' || c == '"';
}

static Token
Lex(Parser *ps)
{
	Token		t = {0};
	bool		field_value = ps->field_value;
	int			end;

	ps->field_value = false;
	while (ps->pos < ps->len && IsSpace(ps->q[ps->pos]))
		ps->pos++;
	t.start = ps->pos;
	if (ps->pos >= ps->len)
	{
		t.kind = T_END;
		return t;
	}
	switch (ps->q[ps->pos])
	{
		case '(':
			ps->pos++;
			t.kind = T_LPAREN;
			return t;
		case ')':
			ps->pos++;
			t.kind = T_RPAREN;
			return t;
		case '"':
			{
				const char *close = memchr(ps->q + ps->pos + 1, '"', ps->len - ps->pos - 1);

				if (close == NULL)
					Fail(ps, ps->pos, "has a \" at position %d that is not closed");
				t.kind = T_PHRASE;
				t.text = ps->q + ps->pos + 1;
				t.len = close - t.text;
				ps->pos = close - ps->q + 1;
				return t;
			}
		case '-':
			/* a minus before a term: a word, a phrase or a group */
			if (!field_value && ps->pos + 1 < ps->len && !IsSpace(ps->q[ps->pos + 1]) &&
				ps->q[ps->pos + 1] != ')')
			{
				ps->pos++;
				t.kind = T_MINUS;
				return t;
			}
			break;
	}

	for (end = ps->pos; end < ps->len && !Ends(ps->q[end]); end++)
		;
	t.kind = T_WORD;
	t.text = ps->q + ps->pos;
	t.len = end - ps->pos;
	if (!field_value)
	{
		int			id = 0;

		if ((t.len == 2 && memcmp(t.text, "OR", 2) == 0))
			t.kind = T_OR;
		else if (t.len == 3 && memcmp(t.text, "AND", 3) == 0)
			t.kind = T_AND;
		else if (t.len == 3 && memcmp(t.text, "NOT", 3) == 0)
			t.kind = T_NOT;
		/* field: an identifier, then ":" */
		while (id < t.len && (isalpha((unsigned char) t.text[id]) || t.text[id] == '_'))
			id++;
		if (t.kind == T_WORD && id > 0 && id < t.len && t.text[id] == ':')
		{
			t.field = search_field_lookup(t.text, id);
			if (t.field == NULL)
			{
				StringInfoData known;

				initStringInfo(&known);
				for (int i = 0; i < search_field_count; i++)
					appendStringInfo(&known, "%s%s", i ? ", " : "", search_fields[i].name);
				Fail(ps, ps->pos,
					 psprintf("has an unknown field at position %%d (fields: %s)", known.data));
			}
			t.kind = T_FIELD;
			ps->pos += id + 1;
			if (ps->pos >= ps->len || IsSpace(ps->q[ps->pos]) || ps->q[ps->pos] == ')')
				Fail(ps, t.start, "has a field at position %d without a word after it");
			ps->field_value = true;
			return t;
		}
	}
	ps->pos = end;
	return t;
}

static Token *
Peek(Parser *ps)
{
	if (!ps->has_peeked)
	{
		ps->peeked = Lex(ps);
		ps->has_peeked = true;
	}
	return &ps->peeked;
}

static Token
Take(Parser *ps)
{
	Peek(ps);
	ps->has_peeked = false;
	return ps->peeked;
}

static bool
StartsTerm(TokenKind k)
{
	return k == T_LPAREN || k == T_FIELD || k == T_WORD || k == T_PHRASE || k == T_NOT ||
		k == T_MINUS;
}

/* ---- leaves ------------------------------------------------------------------------ */

static QNode *
MakeNode(NodeKind kind, List *children, char *text)
{
	QNode	   *n = palloc0(sizeof(QNode));

	n->kind = kind;
	n->children = children;
	n->text = text;
	return n;
}

/* A lexeme of the owner's documents: code, field mark and code (field NULL: none), word. */
static void
AppendLexeme(Parser *ps, StringInfo buf, const SearchField *field, char code,
			 const char *lexeme, bool prefix)
{
	appendStringInfoChar(buf, '\'');
	appendStringInfoString(buf, ps->owner);
	if (field || code)
	{
		appendStringInfoChar(buf, SEARCH_FIELD_MARK);
		appendStringInfoChar(buf, field ? field->code : code);
	}
	for (const char *s = lexeme; *s; s++)
	{
		if (*s == '\'' || *s == '\\')
			appendStringInfoChar(buf, *s);
		appendStringInfoChar(buf, *s);
	}
	appendStringInfoString(buf, prefix ? "':*" : "'");
}

/* The words of text, in order, as a tsquery phrase whose last word is a prefix. */
static QNode *
TextTerm(Parser *ps, const SearchField *field, const char *text, int len)
{
	char	  **words;
	int			n = search_text_words(ps->cfg, text, len, &words);
	StringInfoData buf;

	if (n == 0)
		return NULL;
	initStringInfo(&buf);
	if (n > 1)
		appendStringInfoChar(&buf, '(');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, " <-> ");
		AppendLexeme(ps, &buf, field, '\0', words[i], i == n - 1);
	}
	if (n > 1)
		appendStringInfoChar(&buf, ')');
	return MakeNode(N_TSQ, NIL, buf.data);
}

/* A word written as a number: digits and "+-./" only, a digit at least. */
static bool
NumberLike(const char *s, int len)
{
	bool		digit = false;

	for (int i = 0; i < len; i++)
	{
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if (!strchr("+-./", s[i]))
			return false;
	}
	return digit;
}

/*
 * A word written as a vanity number ("1-800-FLOWERS", "800flowers"): ASCII letters, digits
 * and "+-./", a digit at least and three letters or more, which phone_read() takes for a
 * number and reads on a keypad (as every number a contact holds was read): its digits
 * into digits. False for any other word.
 */
static bool
VanityDigits(const char *s, int len, StringInfo digits)
{
	PhoneReading reading;
	int			letters = 0;
	bool		digit = false;

	for (int i = 0; i < len; i++)
	{
		if (s[i] >= '0' && s[i] <= '9')
			digit = true;
		else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			letters++;
		else if (!strchr("+-./", s[i]))
			return false;
	}
	if (!digit || letters < 3 || !phone_read(s, len, &reading))
		return false;
	appendBinaryStringInfo(digits, reading.digits, reading.ndigits);
	return true;
}

/* Phone numbers whose digits hold these: anywhere (the start of a tail), or, fewer
 * than a tail's, at the start. */
static QNode *
DigitsTerm(Parser *ps, const char *digits, int len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (len >= MIN_TAIL_DIGITS)
		AppendLexeme(ps, &buf, NULL, SEARCH_DIGITS_FIELD, digits, true);
	else
		AppendLexeme(ps, &buf, search_field_by_code('p'), '\0', digits, true);
	return MakeNode(N_TSQ, NIL, buf.data);
}

static QNode *
WordTerm(Parser *ps, const SearchField *field, Token *t)
{
	bool		phone = field == NULL || field->code == 'p';
	QNode	   *text;
	StringInfoData digits;

	if (++ps->terms > MAX_TERMS)
		Fail(ps, t->start, psprintf("has more than %d terms (at position %%d)", MAX_TERMS));
	initStringInfo(&digits);
	if (t->kind == T_WORD && phone && NumberLike(t->text, t->len))
		search_text_digits(t->text, t->len, &digits);
	else if (t->kind == T_WORD && phone)
		VanityDigits(t->text, t->len, &digits);
	if (digits.len > 0)
	{
		QNode	   *number = DigitsTerm(ps, digits.data, digits.len);

		if (field != NULL)
			return number;
		text = TextTerm(ps, NULL, t->text, t->len);
		return text ? MakeNode(N_OR, list_make2(text, number), NULL) : number;
	}
	return TextTerm(ps, field, t->text, t->len);
}

/* ---- the grammar ------------------------------------------------------------------ */

static QNode *ParseOr(Parser *ps, const SearchField *field, bool *consumed);

/* A node of kind over the children that are not empty (NULL when none is). */
static QNode *
Combine(NodeKind kind, List *children)
{
	List	   *kept = NIL;
	ListCell   *lc;

	foreach(lc, children)
		if (lfirst(lc) != NULL)
		kept = lappend(kept, lfirst(lc));
	if (kept == NIL)
		return NULL;
	if (list_length(kept) == 1)
		return linitial(kept);
	return MakeNode(kind, kept, NULL);
}

static QNode *
ParsePrimary(Parser *ps, const SearchField *field)
{
	Token		t = Take(ps);

	switch (t.kind)
	{
		case T_LPAREN:
			{
				bool		consumed = false;
				QNode	   *n;

				if (++ps->depth > MAX_DEPTH)
					Fail(ps, t.start, psprintf("nests more than %d groups (at position %%d)",
											   MAX_DEPTH));
				n = ParseOr(ps, field, &consumed);
				if (!consumed)
					Fail(ps, t.start, "has a ( at position %d that holds no term");
				if (Take(ps).kind != T_RPAREN)
					Fail(ps, t.start, "has a ( at position %d that is not closed");
				ps->depth--;
				return n;
			}
		case T_FIELD:
			return ParsePrimary(ps, t.field);
		case T_WORD:
		case T_PHRASE:
			return WordTerm(ps, field, &t);
		case T_RPAREN:
			Fail(ps, t.start, "has a ) at position %d that closes nothing");
		case T_END:
			Fail(ps, t.start, "ends at position %d where a term was expected");
		default:
			Fail(ps, t.start, "has an operator at position %d where a term was expected");
	}
}

static QNode *
ParseUnary(Parser *ps, const SearchField *field)
{
	Token	   *t = Peek(ps);

	if (t->kind == T_NOT || t->kind == T_MINUS)
	{
		Token		op = Take(ps);
		QNode	   *child;

		if (!StartsTerm(Peek(ps)->kind))
			Fail(ps, op.start, op.kind == T_NOT ? "has a NOT at position %d without a term after it"
				 : "has a - at position %d without a term after it");
		child = op.kind == T_NOT ? ParseUnary(ps, field) : ParsePrimary(ps, field);
		return child ? MakeNode(N_NOT, list_make1(child), NULL) : NULL;
	}
	return ParsePrimary(ps, field);
}

static QNode *
ParseAnd(Parser *ps, const SearchField *field, bool *consumed)
{
	List	   *items = NIL;

	for (;;)
	{
		Token	   *t = Peek(ps);

		if (t->kind == T_END || t->kind == T_RPAREN || t->kind == T_OR)
			break;
		if (t->kind == T_AND)
		{
			Token		op = Take(ps);

			if (!*consumed)
				Fail(ps, op.start, "has an AND at position %d without a term before it");
			if (!StartsTerm(Peek(ps)->kind))
				Fail(ps, op.start, "has an AND at position %d without a term after it");
			continue;
		}
		items = lappend(items, ParseUnary(ps, field));
		*consumed = true;
	}
	return Combine(N_AND, items);
}

static QNode *
ParseOr(Parser *ps, const SearchField *field, bool *consumed)
{
	List	   *items = NIL;

	items = lappend(items, ParseAnd(ps, field, consumed));
	while (Peek(ps)->kind == T_OR)
	{
		Token		op = Take(ps);
		bool		right = false;

		if (!*consumed)
			Fail(ps, op.start, "has an OR at position %d without a term before it");
		items = lappend(items, ParseAnd(ps, field, &right));
		if (!right)
			Fail(ps, op.start, "has an OR at position %d without a term after it");
	}
	return Combine(N_OR, items);
}

/* ---- the plan ------------------------------------------------------------------------ */

/* The tree as one tsquery. */
static void
TsqueryText(StringInfo buf, QNode *n)
{
	ListCell   *lc;

	switch (n->kind)
	{
		case N_TSQ:
			appendStringInfoString(buf, n->text);
			break;
		case N_NOT:
			appendStringInfoString(buf, "!(");
			TsqueryText(buf, linitial(n->children));
			appendStringInfoChar(buf, ')');
			break;
		default:
			appendStringInfoChar(buf, '(');
			foreach(lc, n->children)
			{
				if (lc != list_head(n->children))
					appendStringInfoString(buf, n->kind == N_AND ? " & " : " | ");
				TsqueryText(buf, lfirst(lc));
			}
			appendStringInfoChar(buf, ')');
	}
}

typedef struct QPlan
{
	StringInfoData cond;		/* the SQL condition */
	Datum		values[2 * MAX_TERMS + 8];
	Oid			types[2 * MAX_TERMS + 8];
	int			nargs;
	StringInfoData rank;		/* the positive terms, OR'ed: a tsquery's text */
} QPlan;

static int
AddParam(QPlan *p, Oid type, Datum value)
{
	p->types[p->nargs] = type;
	p->values[p->nargs] = value;
	return ++p->nargs;
}

static Datum
Tsquery(const char *text)
{
	return DirectFunctionCall1(tsqueryin, CStringGetDatum(text));
}

/* The condition: the whole query, one tsquery, one probe of the index. */
static void
Condition(QPlan *p, QNode *root)
{
	StringInfoData tsq;

	initStringInfo(&tsq);
	TsqueryText(&tsq, root);
	appendStringInfo(&p->cond, "d.document OPERATOR(pg_catalog.@@) $%d",
					 AddParam(p, TSQUERYOID, Tsquery(tsq.data)));
}

/* The tsquery terms not under a NOT: what a contact is ranked by. */
static void
RankTerms(QPlan *p, QNode *n)
{
	ListCell   *lc;

	if (n->kind == N_TSQ)
	{
		if (p->rank.len > 0)
			appendStringInfoString(&p->rank, " | ");
		appendStringInfoString(&p->rank, n->text);
	}
	else if (n->kind == N_AND || n->kind == N_OR)
		foreach(lc, n->children)
			RankTerms(p, lfirst(lc));
}

/* q parsed: the tree of terms; 400 saying where when q is malformed. */
static QNode *
Parse(const char *q, int len, int64 owner)
{
	Parser		ps = {.q = q, .len = len, .cfg = search_config()};
	bool		consumed = false;
	QNode	   *root;

	search_owner_code(owner, ps.owner);
	if (pg_mbstrlen_with_len(q, len) > MAX_Q_CHARS)
		Fail(&ps, 0, psprintf("must be at most %d characters (from position %%d)", MAX_Q_CHARS));
	root = ParseOr(&ps, NULL, &consumed);
	if (Peek(&ps)->kind == T_RPAREN)
		Fail(&ps, Peek(&ps)->start, "has a ) at position %d that closes nothing");
	if (root == NULL)
		Fail(&ps, 0, "has no word to search for");
	return root;
}

/*
 * The statement of a search: the matches of root among user_id's contacts, ranked, after
 * (after_rank, after_id) when has_after, at most lim, each with the count of all matches.
 */
static void
SearchSql(QPlan *p, StringInfo sql, QNode *root, int64 user_id, bool has_after,
		  Datum after_rank, Datum after_id, int32 lim)
{
	int			rank_param = 0;
	int			after_param;
	int			lim_param;

	initStringInfo(&p->cond);
	initStringInfo(&p->rank);
	AddParam(p, INT8OID, Int64GetDatum(user_id));
	Condition(p, root);
	RankTerms(p, root);
	if (p->rank.len > 0)
		rank_param = AddParam(p, TSQUERYOID, Tsquery(p->rank.data));
	after_param = AddParam(p, FLOAT4OID, has_after ? after_rank : Float4GetDatum(0));
	AddParam(p, INT8OID, has_after ? after_id : Int64GetDatum(0));
	lim_param = AddParam(p, INT4OID, Int32GetDatum(lim));

	/*
	 * The matches with their rank alone, materialised: the count reads them again, and a
	 * window over the scan would keep every match's document as it sorts.
	 */
	initStringInfo(sql);
	appendStringInfoString(sql, "WITH m AS MATERIALIZED (SELECT d.contact_id AS id, ");
	if (rank_param)
		appendStringInfo(sql, "pg_catalog.ts_rank(d.document, $%d)", rank_param);
	else
		appendStringInfoString(sql, "0::pg_catalog.float4");
	appendStringInfo(sql, " AS rank FROM privacybee.contact_documents d "
					 "WHERE d.user_id = $1 AND %s) "
					 "SELECT m.id, m.rank, (SELECT pg_catalog.count(*) FROM m) AS total FROM m ",
					 p->cond.data);
	if (has_after)
		appendStringInfo(sql, "WHERE m.rank < $%d OR (m.rank = $%d AND m.id > $%d) ",
						 after_param, after_param, after_param + 1);
	appendStringInfo(sql, "ORDER BY m.rank DESC, m.id LIMIT $%d", lim_param);
}

/*
 * contacts_fulltext(user_id bigint, q text, after_rank real, after_id bigint, lim integer,
 * OUT ids bigint[], OUT ranks real[], OUT total bigint): the member's contacts that q
 * finds, by rank then id, those after (after_rank, after_id) when given, at most lim of
 * them, and how many q finds in all.
 */
PG_FUNCTION_INFO_V1(contacts_fulltext);
Datum
contacts_fulltext(PG_FUNCTION_ARGS)
{
	int64		user_id = PG_GETARG_INT64(0);
	text	   *q = PG_GETARG_TEXT_PP(1);
	bool		has_after = !PG_ARGISNULL(2) && !PG_ARGISNULL(3);
	MemoryContext caller = CurrentMemoryContext;
	QNode	   *root;
	QPlan		p = {0};
	StringInfoData sql;
	TupleDesc	desc;
	Datum	   *ids;
	Datum	   *ranks;
	int64		total = 0;
	Datum		out[3];
	bool		nulls[3] = {false, false, false};
	int			n;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "contacts_fulltext must return a record");
	search_check_member(user_id);
	root = Parse(VARDATA_ANY(q), VARSIZE_ANY_EXHDR(q), user_id);
	SearchSql(&p, &sql, root, user_id, has_after, has_after ? PG_GETARG_DATUM(2) : 0,
			  has_after ? PG_GETARG_DATUM(3) : 0, PG_GETARG_INT32(4));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql.data, p.nargs, p.types, p.values, NULL, true, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "contacts_fulltext: the search failed");
	n = SPI_processed;
	ids = MemoryContextAlloc(caller, sizeof(Datum) * Max(n, 1));
	ranks = MemoryContextAlloc(caller, sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;

		ids[i] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
		ranks[i] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		total = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
	}
	if (n == 0 && has_after)
	{
		/* a page past the last: the count alone */
		resetStringInfo(&sql);
		appendStringInfo(&sql, "SELECT pg_catalog.count(*) FROM privacybee.contact_documents d "
						 "WHERE d.user_id = $1 AND %s", p.cond.data);
		if (SPI_execute_with_args(sql.data, p.nargs, p.types, p.values, NULL, true, 0)
			!= SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "contacts_fulltext: the count failed");
		total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											&nulls[0]));
	}
	SPI_finish();

	out[0] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
	out[1] = PointerGetDatum(construct_array(ranks, n, FLOAT4OID, 4, true, TYPALIGN_INT));
	out[2] = Int64GetDatum(total);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), out, nulls)));
}

/*
 * contacts_fulltext_explain(user_id bigint, q text) → text: EXPLAIN (COSTS OFF) of
 * the statement contacts_fulltext runs for q, for an operator and for the tests that
 * hold the searches to their indexes.
 */
PG_FUNCTION_INFO_V1(contacts_fulltext_explain);
Datum
contacts_fulltext_explain(PG_FUNCTION_ARGS)
{
	text	   *q = PG_GETARG_TEXT_PP(1);
	QNode	   *root;
	QPlan		p = {0};
	StringInfoData sql;
	StringInfoData explain;
	StringInfoData out;

	search_check_member(PG_GETARG_INT64(0));
	root = Parse(VARDATA_ANY(q), VARSIZE_ANY_EXHDR(q), PG_GETARG_INT64(0));

	SearchSql(&p, &sql, root, PG_GETARG_INT64(0), false, 0, 0, 10);
	initStringInfo(&explain);
	appendStringInfo(&explain, "EXPLAIN (COSTS OFF) %s", sql.data);
	/* made before SPI_connect: it outlives SPI_finish */
	initStringInfo(&out);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(explain.data, p.nargs, p.types, p.values, NULL, false, 0) < 0)
		elog(ERROR, "contacts_fulltext_explain: EXPLAIN failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		appendStringInfo(&out, "%s%s", i ? "\n" : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}

/*
 * contact_query_plan(q text) → text: the condition q becomes, with its parameters
 * written out, for a member whose id is 0 (its code "0~" starts every lexeme): for
 * tests and for an operator reading what a query means.
 */
PG_FUNCTION_INFO_V1(contact_query_plan);
Datum
contact_query_plan(PG_FUNCTION_ARGS)
{
	text	   *q = PG_GETARG_TEXT_PP(0);
	QNode	   *root = Parse(VARDATA_ANY(q), VARSIZE_ANY_EXHDR(q), 0);
	QPlan		p = {0};
	StringInfoData out;

	initStringInfo(&p.cond);
	initStringInfo(&p.rank);
	AddParam(&p, INT8OID, Int64GetDatum(0));
	Condition(&p, root);
	initStringInfo(&out);
	appendStringInfoString(&out, p.cond.data);
	for (int i = 1; i < p.nargs; i++)
		appendStringInfo(&out, "\n$%d = %s", i + 1,
						 p.types[i] == TSQUERYOID
						 ? DatumGetCString(DirectFunctionCall1(tsqueryout, p.values[i]))
						 : TextDatumGetCString(p.values[i]));
	PG_RETURN_TEXT_P(cstring_to_text(out.data));
}
