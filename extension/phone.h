/*
 * phone.h — phone number normalisation to E.164.
 *
 * E.164 here is "+" followed by the country calling code and the national significant
 * number, 15 digits at most. Normalisation never errors: input that cannot be a number
 * yields false.
 */
#ifndef PRIVACYBEE_PHONE_H
#define PRIVACYBEE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

/* "+" + 15 digits + NUL */
#define PHONE_E164_BUFSIZE 17

/* Metadata of one region (ISO 3166 alpha-2), see phone_metadata.c. */
typedef struct PhoneRegion
{
	const char *region;			/* "US" */
	int			calling_code;	/* 1 */
	const char *intl_prefix;	/* "011": dialled before a calling code */
	const char *trunk_prefix;	/* "1": dialled before a national number, or "" */
	int			min_nsn;		/* shortest national significant number */
	int			max_nsn;		/* longest */
} PhoneRegion;

extern const PhoneRegion *phone_region_lookup(const char *region);
extern bool phone_calling_code_split(const char *digits, int ndigits,
									 int *code, int *code_len);
extern void phone_nsn_range(int calling_code, int *min_nsn, int *max_nsn);
extern bool phone_code_has_trunk_zero(int calling_code);

/*
 * Normalise raw (len bytes, not necessarily NUL-terminated) as dialled in
 * default_region; on success writes the E.164 form into out.
 */
extern bool phone_normalize(const char *raw, size_t len, const char *default_region,
							char out[PHONE_E164_BUFSIZE]);

/* Normalise a (calling code, national number) pair such as Buzz sends. */
extern bool phone_normalize_parts(const char *code, size_t code_len,
								  const char *number, size_t number_len,
								  char out[PHONE_E164_BUFSIZE]);

#endif
