/*
 * signature.c — X-Twilio-Signature, validated as the provider's official libraries
 * (twilio-node's validateRequest / validateRequestWithBody, twilio-python's
 * RequestValidator) validate it.
 *
 * The provider signs each webhook with HMAC-SHA1, keyed by the account's auth token,
 * over the full URL it requested followed, for a form POST, by every POST parameter as
 * name + value: names sorted, and the values of a repeated name sorted and each distinct
 * value once (the libraries sort a Set of them); the header carries it in base64. Names
 * and values sort as JavaScript strings do (UTF-16 code units): that order and code
 * point order differ only between characters above U+FFFF and U+E000–U+FFFF, which no
 * provider parameter holds. A JSON body is not signed itself: the provider adds its
 * SHA-256, in hex, as the URL's bodySHA256 parameter, which the URL signature covers,
 * so the body is checked against that. The URL is tried as received, without its port,
 * and with the scheme's default port when it has none (:443 / :80), since the provider
 * signs some URLs with it and some without. Comparisons of secrets are constant-time.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "request.h"
#include "signature.h"
#include "utf8.h"

#define SIGNATURE_B64_LEN 28	/* base64 of 20 bytes */

/*
 * A worker exits (exit()) with request threads still running: the idle ones blocked in
 * accept() on the socket all workers share, which nothing can wake without waking the other
 * workers', and one that has just finished its last request and is returning. OpenSSL's
 * default atexit handler, OPENSSL_cleanup(), would tear the library down under them: it
 * deletes OpenSSL's thread-local keys, so a thread that ends after it never runs the
 * destructor that frees its error state (an ERR_STATE, 904 bytes: the LeakSanitizer report
 * "904 bytes allocated in libcrypto"), and a thread still in HMAC() meets freed locks and
 * method stores (use-after-free, SIGSEGV). So in a worker the library is initialised here,
 * first and before any thread, without that handler: it is never torn down, each thread's
 * state is freed by its own thread-exit destructor, and the process's memory goes with it.
 */
bool
signature_init(void)
{
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL) == 1;
}

typedef struct Pair
{
	char	   *name;			/* malloc'd, NUL-terminated */
	char	   *value;			/* malloc'd, NUL-terminated */
} Pair;

typedef struct Pairs
{
	Pair	   *items;
	size_t		count;
	size_t		cap;
	bool		no_memory;
} Pairs;

/* The UTF-16 code unit that starts code point cp (a high surrogate above U+FFFF). */
static unsigned
FirstUnit(unsigned cp)
{
	return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
}

/* strcmp of two valid UTF-8 strings in UTF-16 code unit order (JavaScript's sort). */
static int
CompareUtf16(const char *a, const char *b)
{
	size_t		i = 0;
	size_t		start = 0;
	unsigned	ca = 0,
				cb = 0;

	while (a[i] && a[i] == b[i])
	{
		i++;
		if (((unsigned char) a[i] & 0xC0) != 0x80)
			start = i;			/* the character that differs starts here */
	}
	if (a[i] == b[i])
		return 0;
	if (a[start] == '\0' || b[start] == '\0')
		return a[start] == '\0' ? -1 : 1;
	utf8_char((const unsigned char *) a + start, strlen(a + start), &ca);
	utf8_char((const unsigned char *) b + start, strlen(b + start), &cb);
	if (FirstUnit(ca) != FirstUnit(cb))
		return FirstUnit(ca) < FirstUnit(cb) ? -1 : 1;
	return ca < cb ? -1 : 1;
}

static int
ComparePairs(const void *x, const void *y)
{
	const Pair *a = x;
	const Pair *b = y;
	int			c = CompareUtf16(a->name, b->name);

	return c != 0 ? c : CompareUtf16(a->value, b->value);
}

static bool
AddPair(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx,
		char *err, size_t err_size)
{
	Pairs	   *pairs = ctx;

	(void) err;
	(void) err_size;
	if (pairs->count == pairs->cap)
	{
		size_t		cap = pairs->cap ? pairs->cap * 2 : 16;
		Pair	   *grown = realloc(pairs->items, cap * sizeof(Pair));

		if (grown == NULL)
			return !(pairs->no_memory = true);
		pairs->items = grown;
		pairs->cap = cap;
	}
	pairs->items[pairs->count].name = strndup(name, name_len);
	pairs->items[pairs->count].value = strndup(value, value_len);
	pairs->count++;
	if (pairs->items[pairs->count - 1].name && pairs->items[pairs->count - 1].value)
		return true;
	return !(pairs->no_memory = true);
}

static void
FreePairs(Pairs *pairs)
{
	for (size_t i = 0; i < pairs->count; i++)
	{
		free(pairs->items[i].name);
		free(pairs->items[i].value);
	}
	free(pairs->items);
}

/* url followed by the sorted, distinct pairs, malloc'd; NULL when out of memory. */
static char *
SignedText(const char *url, const Pairs *pairs, size_t *len)
{
	size_t		size = strlen(url) + 1;
	char	   *text;

	for (size_t i = 0; i < pairs->count; i++)
		size += strlen(pairs->items[i].name) + strlen(pairs->items[i].value);
	text = malloc(size);
	if (text == NULL)
		return NULL;
	*len = strlen(url);
	memcpy(text, url, *len);
	for (size_t i = 0; i < pairs->count; i++)
	{
		size_t		nl = strlen(pairs->items[i].name);
		size_t		vl = strlen(pairs->items[i].value);

		if (i > 0 && ComparePairs(&pairs->items[i - 1], &pairs->items[i]) == 0)
			continue;			/* a value repeated under one name counts once */
		memcpy(text + *len, pairs->items[i].name, nl);
		*len += nl;
		memcpy(text + *len, pairs->items[i].value, vl);
		*len += vl;
	}
	text[*len] = '\0';
	return text;
}

static bool
HmacMatches(const char *secret, size_t secret_len, const char *text, size_t len,
			const char *header)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	unsigned char expected[SIGNATURE_B64_LEN + 1];

	if (HMAC(EVP_sha1(), secret, (int) secret_len, (const unsigned char *) text, len,
			 mac, &mac_len) == NULL || mac_len != 20)
		return false;
	if (EVP_EncodeBlock(expected, mac, (int) mac_len) != SIGNATURE_B64_LEN)
		return false;
	return strlen(header) == SIGNATURE_B64_LEN &&
		CRYPTO_memcmp(expected, header, SIGNATURE_B64_LEN) == 0;
}

static bool
BodyMatches(const char *json, size_t json_len, const char *body_sha256)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char		hex[2 * SHA256_DIGEST_LENGTH + 1];
	static const char digits[] = "0123456789abcdef";
	char		given[2 * SHA256_DIGEST_LENGTH];

	if (body_sha256 == NULL || strlen(body_sha256) != 2 * SHA256_DIGEST_LENGTH)
		return false;
	if (SHA256((const unsigned char *) json, json_len, digest) == NULL)
		return false;
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
	{
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[sizeof(hex) - 1] = '\0';
	for (size_t i = 0; i < sizeof(given); i++)
	{
		char		c = body_sha256[i];

		given[i] = (c >= 'A' && c <= 'F') ? (char) (c - 'A' + 'a') : c;
	}
	return CRYPTO_memcmp(hex, given, sizeof(given)) == 0;
}

/*
 * Where url's port is: *port_start .. *port_end (":8080", empty when it has none), as
 * twilio-node's splitUrl finds it (after the userinfo, after an IPv6 literal's "]").
 * False when url has no scheme://.
 */
static bool
FindPort(const char *url, size_t *host_start, size_t *port_start, size_t *port_end)
{
	const char *sep = strstr(url, "://");
	const char *authority;
	const char *end;
	const char *at;
	const char *bracket;
	const char *colon;

	if (sep == NULL || sep == url)
		return false;
	authority = sep + 3;
	end = authority + strcspn(authority, "/?#");
	at = NULL;
	for (const char *p = authority; p < end; p++)
		if (*p == '@')
			at = p;
	*host_start = (size_t) ((at ? at + 1 : authority) - url);
	bracket = NULL;
	for (const char *p = url + *host_start; p < end; p++)
		if (*p == ']')
			bracket = p;
	colon = memchr(bracket ? bracket : url + *host_start, ':',
				   (size_t) (end - (bracket ? bracket : url + *host_start)));
	*port_start = (size_t) ((colon ? colon : end) - url);
	*port_end = (size_t) (end - url);
	return true;
}

/*
 * url with its port replaced by port ("" removes it), malloc'd; NULL when url has no
 * scheme:// or out of memory.
 */
static char *
WithPort(const char *url, const char *port)
{
	size_t		host_start,
				port_start,
				port_end;
	char	   *out;

	if (!FindPort(url, &host_start, &port_start, &port_end))
		return NULL;
	out = malloc(strlen(url) + strlen(port) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, url, port_start);
	strcpy(out + port_start, port);
	strcat(out, url + port_end);
	return out;
}

static SignatureResult
CheckUrl(const char *secret, size_t secret_len, const char *url, const Pairs *pairs,
		 const char *header)
{
	size_t		len = 0;
	char	   *text = SignedText(url, pairs, &len);
	bool		ok;

	if (text == NULL)
		return SIGNATURE_NO_MEMORY;
	ok = HmacMatches(secret, secret_len, text, len, header);
	free(text);
	return ok ? SIGNATURE_VALID : SIGNATURE_INVALID;
}

SignatureResult
signature_check(const char *secret, size_t secret_len, const SignedRequest *req)
{
	SignatureResult result = SIGNATURE_INVALID;
	Pairs		pairs = {0};
	char		err[64];
	char	   *candidates[2] = {NULL, NULL};
	size_t		host_start,
				port_start,
				port_end;

	if (req->header == NULL || req->url == NULL)
		return SIGNATURE_INVALID;
	if (req->json && !BodyMatches(req->json, req->json_len, req->body_sha256))
		return SIGNATURE_INVALID;
	/* a form that does not parse cannot have been signed either: invalid */
	if (req->form &&
		!request_each_param(req->form, req->form_len, AddPair, &pairs, err, sizeof(err)))
	{
		if (pairs.no_memory)
			result = SIGNATURE_NO_MEMORY;
		goto out;
	}
	if (pairs.count > 1)
		qsort(pairs.items, pairs.count, sizeof(Pair), ComparePairs);

	/* as received, and without its port or with the default one (twilio-node's set) */
	candidates[0] = strdup(req->url);
	if (FindPort(req->url, &host_start, &port_start, &port_end))
	{
		if (port_start == port_end)
			candidates[1] = WithPort(req->url,
									 strncasecmp(req->url, "https://", 8) == 0 ? ":443" : ":80");
		else
			candidates[1] = WithPort(req->url, "");
		if (candidates[1] == NULL)
		{
			result = SIGNATURE_NO_MEMORY;
			goto out;
		}
	}
	if (candidates[0] == NULL)
	{
		result = SIGNATURE_NO_MEMORY;
		goto out;
	}
	for (int i = 0; i < 2 && candidates[i] && result == SIGNATURE_INVALID; i++)
		result = CheckUrl(secret, secret_len, candidates[i], &pairs, req->header);
out:
	for (int i = 0; i < 2; i++)
		free(candidates[i]);
	FreePairs(&pairs);
	return result;
}
