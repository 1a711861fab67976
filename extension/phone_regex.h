/*
 * phone_regex.h — matching libphonenumber's numbering-plan patterns against digits.
 */
#ifndef PRIVACYBEE_PHONE_REGEX_H
#define PRIVACYBEE_PHONE_REGEX_H

#include "postgres.h"

#include "utils/palloc.h"

/* slots 0..5: whole match (unused), group 1 start/end, group 2 start/end */
#define PHONE_REGEX_SLOTS 6

typedef struct PhoneRegex PhoneRegex;

/* Compile pattern into mcxt; raises on a construct outside the supported subset. */
extern PhoneRegex *phone_regex_compile(const char *pattern, MemoryContext mcxt);

/*
 * Match at the start of digits[0..len) (and, when full, up to its end). Returns the
 * length matched or -1; slots (may be NULL) receive group offsets, -1 when unset.
 */
extern int	phone_regex_match(const PhoneRegex *re, const char *digits, int len, bool full,
							  int slots[PHONE_REGEX_SLOTS]);

#endif
