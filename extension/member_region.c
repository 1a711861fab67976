/*
 * member_region.c — the region a member's numbers are read in: that of the calling code
 * of their phone (or Buzz number), so that "07400 123456" saved, or searched for, by a
 * member in Britain is +447400123456. Read by every place a member writes a number that
 * is not international: contacts (contacts_sync.c) and searches by phone
 * (search_filter.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "member_region.h"
#include "phone.h"
#include "spi_util.h"

void
member_region(int64 user_id, char *region)
{
	static SPIPlanPtr plan;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(user_id)};
	char	   *e164;
	int			code,
				code_len;
	const PhoneRegion *r;

	strlcpy(region, "US", 4);
	spi_exec(spi_plan(&plan,
					  "SELECT COALESCE(p.phone_e164, (SELECT n.e164 FROM privacybee.buzz_numbers n "
					  "WHERE n.user_id = p.id)) FROM privacybee.people p WHERE p.id = $1",
					  1, types),
			 values, NULL, true, 1, SPI_OK_SELECT);
	if (SPI_processed != 1)
		return;
	e164 = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (e164 && e164[0] == '+' &&
		phone_calling_code_split(e164 + 1, strlen(e164 + 1), &code, &code_len) &&
		(r = phone_region_for_code(code)) != NULL && strlen(r->region) == 2)
		strlcpy(region, r->region, 4);
}
