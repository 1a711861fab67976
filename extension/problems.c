/*
 * problems.c — the one builder of an API error's details, [{"field":…,"problem":…}], in
 * the API's compact JSON: for the C code (problems.h) and for SQL (privacybee.bad_field),
 * so every route names a bad field the same way. At most MAX_PROBLEMS are listed (a
 * batch of 1,000 bad contacts names the first 100); the message is the first.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "privacybee.h"
#include "problems.h"

#define MAX_PROBLEMS	100

void
problems_init(Problems *p)
{
	initStringInfo(&p->json);
	p->count = 0;
	p->first = NULL;
}

void
problems_add(Problems *p, const char *prefix, const char *field, const char *problem)
{
	char	   *name = psprintf("%s%s", prefix, field);
	size_t		len = strlen(name);

	/* the item itself: "[3]" in a batch, "body" for a single object */
	if (*field == '\0' && len > 0 && name[len - 1] == '.')
		name[len - 1] = '\0';
	else if (len == 0)
		name = "body";

	if (p->first == NULL)
		p->first = psprintf("%s %s", name, problem);
	if (p->count++ >= MAX_PROBLEMS)
		return;
	if (p->json.len > 0)
		appendStringInfoChar(&p->json, ',');
	appendStringInfoString(&p->json, "{\"field\":");
	escape_json(&p->json, name);
	appendStringInfoString(&p->json, ",\"problem\":");
	escape_json(&p->json, problem);
	appendStringInfoChar(&p->json, '}');
}

void
problems_raise_as(Problems *p, int sqlerrcode, const char *message)
{
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("%s", message ? message : p->first),
			 errdetail("[%s]", p->json.data)));
	pg_unreachable();
}

void
problems_raise(Problems *p)
{
	problems_raise_as(p, ERRCODE_PT_BAD_REQUEST, NULL);
}

void
bad_field(const char *field, const char *problem)
{
	Problems	p;

	problems_init(&p);
	problems_add(&p, "", field, problem);
	problems_raise(&p);
}

/*
 * bad_field(field text, problem text, message text DEFAULT NULL) → void: raise PT400
 * naming field (message NULL: "<field> <problem>"), its details built here.
 */
PG_FUNCTION_INFO_V1(bad_field_sql);
Datum
bad_field_sql(PG_FUNCTION_ARGS)
{
	Problems	p;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		elog(ERROR, "bad_field needs a field and a problem");
	problems_init(&p);
	problems_add(&p, "", text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	problems_raise_as(&p, ERRCODE_PT_BAD_REQUEST,
					  PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)));
}

/*
 * fail_fields(status integer, fields text[], problems text[], message text DEFAULT NULL)
 * → void: raise PT<status> (an API error of any status) naming each field with its
 * problem (the arrays are parallel); message NULL: the first "<field> <problem>".
 */
PG_FUNCTION_INFO_V1(fail_fields_sql);
Datum
fail_fields_sql(PG_FUNCTION_ARGS)
{
	Problems	p;
	int			status;
	Datum	   *fields,
			   *problems;
	bool	   *fnulls,
			   *pnulls;
	int			nfields,
				nproblems;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		elog(ERROR, "fail_fields needs a status, fields and problems");
	status = PG_GETARG_INT32(0);
	if (status < 400 || status > 599)
		elog(ERROR, "fail_fields needs an error status, not %d", status);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &fields, &fnulls, &nfields);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TEXTOID, -1, false, TYPALIGN_INT,
					  &problems, &pnulls, &nproblems);
	if (nfields == 0 || nfields != nproblems)
		elog(ERROR, "fail_fields needs as many problems as fields, at least one");
	problems_init(&p);
	for (int i = 0; i < nfields; i++)
		problems_add(&p, "", fnulls[i] ? "" : TextDatumGetCString(fields[i]),
					 pnulls[i] ? "" : TextDatumGetCString(problems[i]));
	problems_raise_as(&p, MAKE_SQLSTATE('P', 'T', '0' + status / 100, '0' + status / 10 % 10,
										'0' + status % 10),
					  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)));
}
