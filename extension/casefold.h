/*
 * casefold.h — the one case folding of every case-insensitive comparison (casefold.c).
 */
#ifndef PRIVACYBEE_CASEFOLD_H
#define PRIVACYBEE_CASEFOLD_H

#include "postgres.h"

/* s[0..len) in lower case by Unicode's rules, whatever the database's locale; palloc'd. */
extern char *casefold(const char *s, size_t len);

#endif
