/*
 * tokens.h — bearer token authentication, for the C route functions.
 */
#ifndef PRIVACYBEE_TOKENS_H
#define PRIVACYBEE_TOKENS_H

#include "postgres.h"

/*
 * The user behind token (NULL: no token) if it is valid and carries scope; raises PT401
 * or PT403 otherwise. *user_null is set for a service token, which has no user. Call
 * inside SPI.
 */
extern int64 tokens_authenticate(text *token, const char *scope, bool *user_null);

/* SHA-256 of data, as every secret is kept (tokens, OAuth codes and secrets), palloc'd. */
extern bytea *tokens_sha256(const char *data, size_t len);

#endif
