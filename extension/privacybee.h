/*
 * privacybee.h — what the extension's C files share: settings and error codes.
 *
 * Errors meant for API clients use the custom SQLSTATE class "PT": PTnnn is answered
 * with HTTP status nnn by privacybee-fcgi (fcgi/sqlstate.c). For PT400 the DETAIL, when
 * present, is a JSON array of {"field", "problem"} objects.
 */
#ifndef PRIVACYBEE_H
#define PRIVACYBEE_H

#include "postgres.h"

#define ERRCODE_PT_BAD_REQUEST	MAKE_SQLSTATE('P','T','4','0','0')
#define ERRCODE_PT_UNAUTHORIZED	MAKE_SQLSTATE('P','T','4','0','1')
#define ERRCODE_PT_FORBIDDEN	MAKE_SQLSTATE('P','T','4','0','3')
#define ERRCODE_PT_NOT_FOUND	MAKE_SQLSTATE('P','T','4','0','4')
#define ERRCODE_PT_CONFLICT		MAKE_SQLSTATE('P','T','4','0','9')
#define ERRCODE_PT_PRECONDITION_FAILED	MAKE_SQLSTATE('P','T','4','1','2')

/*
 * The schema a C entry point was declared for. An exported symbol never changes meaning
 * (docs/versions.md): when the tables a C function reads or writes change in a release,
 * that release's SQL declares it with a new symbol (name_0_2), and the old symbol keeps
 * serving databases still at the older version, which run the new library until
 * ALTER EXTENSION privacybee UPDATE.
 */
typedef enum SchemaVersion
{
	SCHEMA_0_1,					/* 0.1.0: numbers compared by E.164 form */
	SCHEMA_0_2,					/* 0.2.0: by match key; tombstones keep external_id */
	SCHEMA_COUNT
} SchemaVersion;

/* settings, see privacybee.c */
extern int	privacybee_max_sync_items;

/* the member row-level security acts for, see member_scope.c */
extern void member_scope_define_setting(void);
extern void member_scope_enter(int64 user_id);
extern int64 member_scope_current(void);

/* searches (search_query.c, search_filter.c): may this transaction search user_id's contacts? */
extern void search_check_member(int64 user_id);

#endif
