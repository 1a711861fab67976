/*
 * spi_util.h — SPI plans prepared once per backend and kept.
 */
#ifndef PRIVACYBEE_SPI_UTIL_H
#define PRIVACYBEE_SPI_UTIL_H

#include "postgres.h"

#include "executor/spi.h"

/* *cache, preparing sql the first time; raises on failure. */
extern SPIPlanPtr spi_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *types);

/* Execute plan; raises unless SPI answers expected. */
extern void spi_exec(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only,
					 long limit, int expected);

#endif
