/*
 * response.h — the answer of route functions, and the API's one JSON spelling (response.c).
 */
#ifndef PRIVACYBEE_RESPONSE_H
#define PRIVACYBEE_RESPONSE_H

#include "postgres.h"

/* json without white space outside strings: json itself when it has none, else a copy */
extern text *json_compact(text *json);

#endif
