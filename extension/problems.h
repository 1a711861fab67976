/*
 * problems.h — the details of an API error, built in one place (problems.c): the JSON
 * array [{"field":…,"problem":…}] that an error's DETAIL carries and privacybee-fcgi
 * puts in the SPEC error body as "details". C code and SQL (privacybee.bad_field) both
 * build them here.
 */
#ifndef PRIVACYBEE_PROBLEMS_H
#define PRIVACYBEE_PROBLEMS_H

#include "postgres.h"

#include "lib/stringinfo.h"

typedef struct Problems
{
	StringInfoData json;		/* JSON array body, without the brackets */
	int			count;
	char	   *first;			/* "field problem" of the first one */
} Problems;

extern void problems_init(Problems *p);

/*
 * Record that field (after prefix: "[3]." in a batch, "" else) has problem. A field ""
 * names the item itself ("[3]", or "body" for a single object).
 */
extern void problems_add(Problems *p, const char *prefix, const char *field,
						 const char *problem);

/* Raise PT400 with the problems as DETAIL; the message is the first problem. */
extern void problems_raise(Problems *p) pg_attribute_noreturn();

/* The same with another SQLSTATE and message (NULL: the first problem). */
extern void problems_raise_as(Problems *p, int sqlerrcode, const char *message)
			pg_attribute_noreturn();

/* Raise PT400 naming one field: message "<field> <problem>", and the same as details. */
extern void bad_field(const char *field, const char *problem) pg_attribute_noreturn();

#endif
