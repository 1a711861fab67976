/*
 * member_region.h — where a member dials from, so that the numbers they write are read
 * as they mean them (member_region.c).
 */
#ifndef PRIVACYBEE_MEMBER_REGION_H
#define PRIVACYBEE_MEMBER_REGION_H

#include "postgres.h"

/*
 * The region (ISO 3166 alpha-2) of the calling code of the member's phone, or of their
 * Buzz number; "US" without one. region holds 4 bytes. Needs SPI connected.
 */
extern void member_region(int64 user_id, char *region);

#endif
