/*
 * phone_match.h — match keys: the form under which two E.164 numbers of one line compare
 * equal (phone_match.c).
 */
#ifndef PRIVACYBEE_PHONE_MATCH_H
#define PRIVACYBEE_PHONE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "phone.h"

/*
 * The match key of the E.164 number e164[0..len) into out (PHONE_E164_BUFSIZE bytes):
 * e164 itself, except for the national variants of phone_match.c's table. False, and
 * out untouched, when e164 is not "+" and 1 to 15 digits.
 */
extern bool phone_match_key_of(const char *e164, size_t len, char out[PHONE_E164_BUFSIZE]);

#endif
