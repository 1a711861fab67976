/*
 * casefold.c — the one case folding of every case-insensitive comparison: e-mail and
 * display_name in structured search, tag names and labels, the words of full-text
 * documents and queries. SQL reaches it as privacybee.casefold(text) (sql/prelude/, as
 * the indexes on folded names are built with it); C calls casefold() directly.
 *
 * Why not lower(): lower() folds by the database's LC_CTYPE, and a database created with
 * the C locale (as make run's is, and many are) folds ASCII only, so "JOSÉ" would not
 * equal "josé" nor "ΦΊΛΟΙ" name the tag "φίλοι". The ICU root locale ("und-x-icu", which
 * initdb imports into every database of a PostgreSQL built with ICU) lowers every script
 * by Unicode's own data, the same in every database; Debian's and PGDG's packages are
 * built with ICU. Lowering (not full case folding) is what ICU gives through lower():
 * "ß" stays "ß".
 *
 * The collation's OID is looked up once per backend: a backend serves one database, and
 * initdb's collations keep their OIDs in every database copied from template1.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "casefold.h"

static Oid	fold_collation = InvalidOid;

/* The ICU root collation; an error naming what is missing when PostgreSQL has no ICU. */
static Oid
FoldCollation(void)
{
	if (!OidIsValid(fold_collation))
	{
		Oid			oid = get_collation_oid(list_make2(makeString("pg_catalog"),
													   makeString("und-x-icu")), true);

		if (!OidIsValid(oid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("privacybee needs the ICU collation \"und-x-icu\""),
					 errdetail("Case-insensitive comparisons fold by Unicode's rules, whatever the database's locale."),
					 errhint("Use a PostgreSQL built with ICU (Debian's and PGDG's packages are).")));
		fold_collation = oid;
	}
	return fold_collation;
}

char *
casefold(const char *s, size_t len)
{
	return str_tolower(s, len, FoldCollation());
}

/* privacybee.casefold(text): text in lower case by Unicode's rules, in any locale */
PG_FUNCTION_INFO_V1(casefold_text);
Datum
casefold_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(casefold(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))));
}
