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
/* the shard layout (docs/sharding.md): this database is shard `shard` of `shards` */
static int	shard = 0;
static int	shards = 1;

/* webhooks (docs/webhooks.md): read in SQL, sql/logic/70_webhooks.sql */
static bool webhooks_allow_loopback = false;
static int	max_webhooks = 10;
static int	webhooks_batch_window = 1000;
static int	webhooks_retry_delay = 10000;
static int	webhooks_retry_period = 86400;

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
	DefineCustomBoolVariable("privacybee.webhooks_allow_loopback",
							 "Lets webhooks post over http, and to loopback addresses (tests, make run).",
							 NULL, &webhooks_allow_loopback, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.max_webhooks",
							"Largest number of webhooks one member may have.",
							NULL, &max_webhooks, 10, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.webhooks_batch_window",
							"How long a webhook's events accumulate before a batch of fewer than 100 is sent.",
							NULL, &webhooks_batch_window, 1000, 0, 60000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.webhooks_retry_delay",
							"Delay before the first retry of a failed webhook delivery; it doubles with each failure.",
							NULL, &webhooks_retry_delay, 10000, 1, 3600000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.webhooks_retry_period",
							"How long a failing webhook batch is retried before its webhook is disabled.",
							NULL, &webhooks_retry_period, 86400, 1, 30 * 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	/*
	 * A shard of the PL/Proxy layout (docs/sharding.md) keeps the rows of its own
	 * members only; privacybee.become_shard() sets both for the database. One database
	 * alone is shard 0 of 1 and holds everyone.
	 */
	DefineCustomIntVariable("privacybee.shard",
							"This database's shard number (0-based) in the PL/Proxy layout.",
							NULL, &shard, 0, 0, 1023,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("privacybee.shards",
							"How many shard databases the PL/Proxy layout has (1: one database).",
							NULL, &shards, 1, 1, 1024,
							PGC_SUSET, 0, NULL, NULL, NULL);
	member_scope_define_setting();
	MarkGUCPrefixReserved("privacybee");
}
