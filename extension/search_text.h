/*
 * search_text.h — the words of contact search (SPEC §9), one reading for the documents
 * contacts are indexed under (search_document.c) and the queries that look for them
 * (search_query.c), so that what a user types is read exactly as what was stored.
 *
 * A text's words: every character that is not a letter or a number (Unicode \p{L},
 * \p{N}) separates words, combining accents are dropped, any decimal digit is read as
 * 0-9; the text search configuration privacybee.contact_search then takes each word
 * without its accents (unaccent) and in lower case (simple).
 *
 * A document holds every word twice: as itself, for a query word without a field, and
 * as '#' + a field's code + the word, for "field:word". No word of a query starts with
 * '#', so neither form is ever a prefix of the other. Every lexeme starts with its
 * owner's code (the owner's id in base 36, then '~', which no id's code holds), so a
 * prefix probe of the index reads the entries of one member only, however many others
 * have words starting alike: the GIN index on contact_documents is, in effect, one index
 * per member.
 */
#ifndef PRIVACYBEE_SEARCH_TEXT_H
#define PRIVACYBEE_SEARCH_TEXT_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* the mark of a field-qualified word */
#define SEARCH_FIELD_MARK '#'
/* the end of the owner's code */
#define SEARCH_OWNER_MARK '~'
/* the owner's code: at most 13 base-36 digits and the mark, and a NUL */
#define SEARCH_OWNER_BUFSIZE 16
/* the field of a phone's digits from any place on: digits found anywhere in a number */
#define SEARCH_DIGITS_FIELD 's'

typedef struct SearchField
{
	const char *name;			/* as written in a query: "name", "email", … */
	char		code;			/* in a document word: "#n…" */
	bool		in_any;			/* a word without a field looks here too */
} SearchField;

/* The fields of SPEC §9 (name, email, phone, company, title, note, address, tag). */
extern const SearchField search_fields[];
extern const int search_field_count;

/* The field called name (len bytes, case-insensitively), NULL when there is none. */
extern const SearchField *search_field_lookup(const char *name, int len);
extern const SearchField *search_field_by_code(char code);

/* The OID of privacybee.contact_search. */
extern Oid	search_config(void);

/* The code every lexeme of owner's documents starts with, into out (SEARCH_OWNER_BUFSIZE). */
extern void search_owner_code(int64 owner, char *out);

/*
 * The words of text (len bytes of UTF-8), in order, lexized: *words gets a palloc'd
 * array of palloc'd strings; returns how many.
 */
extern int	search_text_words(Oid cfg, const char *text, int len, char ***words);

/* The decimal digits of text (any script's, as 0-9), appended to out. */
extern void search_text_digits(const char *text, int len, StringInfo out);

#endif
