/*
 * spi_util.c — the two SPI habits every file here shares: prepare a plan once per backend
 * (SPI_keepplan), and treat an unexpected SPI result as an internal error.
 */
#include "postgres.h"

#include "spi_util.h"

SPIPlanPtr
spi_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *types)
{
	if (*cache == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*cache = plan;
	}
	return *cache;
}

void
spi_exec(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, long limit,
		 int expected)
{
	int			rc = SPI_execute_plan(plan, values, nulls, read_only, limit);

	if (rc != expected)
		elog(ERROR, "SPI_execute_plan returned %s", SPI_result_code_string(rc));
}
