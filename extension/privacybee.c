/*
 * privacybee.c — module entry point: the extension's settings.
 *
 * Settings live under the reserved "privacybee." prefix.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "privacybee.h"

PG_MODULE_MAGIC;

int			privacybee_max_sync_items = 1000;
static bool dev_endpoints = false;
static int	max_page_size = 1000;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("privacybee.dev_endpoints",
							 "Serves the development-only routes (clear contacts, clear activity).",
							 NULL, &dev_endpoints, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.max_sync_items",
							"Largest number of contacts one sync may carry.",
							NULL, &privacybee_max_sync_items, 1000, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.max_page_size",
							"Largest per_page / limit a listing accepts.",
							NULL, &max_page_size, 1000, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	member_scope_define_setting();
	MarkGUCPrefixReserved("privacybee");
}
