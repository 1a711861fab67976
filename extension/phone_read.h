/*
 * phone_read.h — reading a phone number as people and devices write it, down to its
 * digits, the way libphonenumber reads it before any numbering plan is consulted.
 */
#ifndef PRIVACYBEE_PHONE_READ_H
#define PRIVACYBEE_PHONE_READ_H

#include "postgres.h"

/* the longest input read, in characters (libphonenumber's MAX_INPUT_STRING_LENGTH) */
#define PHONE_MAX_CHARS 250

typedef struct PhoneReading
{
	char		digits[PHONE_MAX_CHARS + 1];	/* ASCII digits, NUL-terminated */
	int			ndigits;
	bool		plus;			/* written with a leading "+": international */
} PhoneReading;

/*
 * Read raw (len bytes of text in the database encoding, not necessarily NUL-terminated).
 * False when libphonenumber would not take it for a phone number at all (NOT_A_NUMBER).
 */
extern bool phone_read(const char *raw, size_t len, PhoneReading *out);

/*
 * Read a country calling code written on its own ("1", "+44", "＋４４"): true with its
 * digits in *code when it has one to three decimal digits and, besides them, only plus
 * signs, punctuation, spaces and bidirectional marks; code gets the digits in ASCII.
 */
extern bool phone_read_calling_code(const char *raw, size_t len, char code[4]);

#endif
