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

#include "phone_read.h"

/* "+" + 15 digits + NUL */
#define PHONE_E164_BUFSIZE 17
/* the longest digit string: a calling code and the digits of the longest input read */
#define PHONE_MAX_DIGITS (PHONE_MAX_CHARS + 3)

/* One region's numbering plan, as generated from libphonenumber (phone_metadata_table.h). */
typedef struct PhoneRegion
{
	const char *region;			/* ISO 3166 alpha-2, "001" for non-geographic codes */
	int			calling_code;
	const char *idd;			/* pattern: international prefix dialled before a code */
	const char *national_prefix;
	const char *npp;			/* pattern: national prefix (and carrier code) to strip */
	const char *npt;			/* transform replacing the npp match ("9$1"), or "" */
	const char *general;		/* pattern every national significant number matches */
	unsigned	lengths;		/* bit n set: n digits is a possible length */
	unsigned	local_lengths;	/* bit n set: n digits can only be dialled locally */
	bool		main;			/* the region that owns a shared calling code */
} PhoneRegion;

typedef enum PhonePattern
{
	PAT_IDD,
	PAT_NPP,
	PAT_GENERAL,
	PAT_COUNT
} PhonePattern;

extern const PhoneRegion *phone_region_lookup(const char *region);
extern const PhoneRegion *phone_region_for_code(int calling_code);
extern bool phone_calling_code_split(const char *digits, int ndigits, int *code, int *code_len);

/*
 * Does pattern p of region r match at the start of s[0..len)? Returns the length of the
 * match or -1; group (may be NULL) receives the offsets of capture groups 1 and 2
 * (start, end; -1 when a group did not take part).
 */
extern int	phone_pattern_prefix(const PhoneRegion *r, PhonePattern p, const char *s, int len,
								 int group[4]);
/* Does the national number match the general pattern of a region using calling_code? */
extern bool phone_nsn_plausible(int calling_code, const char *nsn, int len);

/* Does pattern p of region r match all of s[0..len)? */
extern bool phone_pattern_full(const PhoneRegion *r, PhonePattern p, const char *s, int len);

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
