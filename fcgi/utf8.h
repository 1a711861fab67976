/*
 * utf8.h — checking and cutting UTF-8 at the front-end's boundary. Every byte string a
 * client sends that travels on (to PostgreSQL, whose UTF-8 database refuses an invalid
 * sequence with SQLSTATE 22021, or into a JSON error body, which jansson refuses) is
 * checked or cleaned here first.
 */
#ifndef PBF_UTF8_H
#define PBF_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the UTF-8 sequence at s[0..len), 0 when it is not one: a bad lead or
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut short.
 * *cp gets the code point (may be NULL).
 */
extern size_t utf8_char(const unsigned char *s, size_t len, unsigned *cp);

/* Is s[0..len) valid UTF-8 without NUL? */
extern bool utf8_valid(const char *s, size_t len);

/*
 * Copy s into dst (size > 0): invalid sequences become U+FFFD, and the copy is cut on a
 * character boundary to fit; always NUL-terminated, always valid UTF-8.
 */
extern void utf8_clean(char *dst, size_t size, const char *s);

#endif
