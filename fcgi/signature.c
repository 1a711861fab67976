/*
 * signature.c — X-Twilio-Signature.
 *
 * The provider signs each webhook with HMAC-SHA1, keyed by the account's auth token,
 * over the full URL it requested followed, for a form POST, by every POST parameter as
 * name + value, sorted by name (then value); the header carries it in base64. A JSON
 * body is not signed itself: the provider adds its SHA-256, in hex, as the URL's
 * bodySHA256 parameter, which the URL signature covers, so the body is checked against
 * that. Comparisons of secrets are constant-time.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "request.h"
#include "signature.h"

#define SIGNATURE_B64_LEN 28	/* base64 of 20 bytes */

typedef struct Pair
{
	const char *name;
	const char *value;
} Pair;

static int
ComparePairs(const void *a, const void *b)
{
	const Pair *x = a;
	const Pair *y = b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/*
 * url followed by the sorted form parameters, malloc'd; NULL when out of memory or the
 * form does not parse (then it cannot have been signed either: *bad_form).
 */
static char *
SignedText(const char *url, const char *form, size_t form_len, size_t *len, bool *bad_form)
{
	json_t	   *params = json_object(); /* new reference */
	char		err[64];
	Pair	   *pairs = NULL;
	size_t		n = 0;
	size_t		size = strlen(url);
	const char *name;
	json_t	   *value;
	char	   *text = NULL;

	*bad_form = false;
	if (params == NULL)
		return NULL;
	if (form && !request_parse_params(form, form_len, params, err, sizeof(err)))
	{
		*bad_form = true;
		goto done;
	}
	pairs = malloc((json_object_size(params) + 1) * sizeof(Pair));
	if (pairs == NULL)
		goto done;
	json_object_foreach(params, name, value)
	{
		pairs[n].name = name;
		pairs[n].value = json_string_value(value);
		if (pairs[n].value == NULL)
			pairs[n].value = "";
		size += strlen(name) + strlen(pairs[n].value);
		n++;
	}
	qsort(pairs, n, sizeof(Pair), ComparePairs);
	text = malloc(size + 1);
	if (text == NULL)
		goto done;
	*len = 0;
	memcpy(text, url, strlen(url));
	*len += strlen(url);
	for (size_t i = 0; i < n; i++)
	{
		size_t		nl = strlen(pairs[i].name);
		size_t		vl = strlen(pairs[i].value);

		memcpy(text + *len, pairs[i].name, nl);
		*len += nl;
		memcpy(text + *len, pairs[i].value, vl);
		*len += vl;
	}
	text[*len] = '\0';
done:
	free(pairs);
	json_decref(params);
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

/* url with its ":port" removed, malloc'd; NULL when it has none (or out of memory). */
static char *
WithoutPort(const char *url)
{
	const char *host = strstr(url, "://");
	const char *end;
	const char *colon;
	char	   *out;

	if (host == NULL)
		return NULL;
	host += 3;
	end = host + strcspn(host, "/?#");
	colon = memchr(host, ':', (size_t) (end - host));
	if (colon == NULL)
		return NULL;
	out = malloc(strlen(url) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, url, (size_t) (colon - url));
	strcpy(out + (colon - url), end);
	return out;
}

static SignatureResult
CheckUrl(const char *secret, size_t secret_len, const char *url, const SignedRequest *req)
{
	size_t		len = 0;
	bool		bad_form;
	char	   *text = SignedText(url, req->form, req->form_len, &len, &bad_form);
	bool		ok;

	if (text == NULL)
		return bad_form ? SIGNATURE_INVALID : SIGNATURE_NO_MEMORY;
	ok = HmacMatches(secret, secret_len, text, len, req->header);
	free(text);
	return ok ? SIGNATURE_VALID : SIGNATURE_INVALID;
}

SignatureResult
signature_check(const char *secret, size_t secret_len, const SignedRequest *req)
{
	SignatureResult result;
	char	   *portless;

	if (req->header == NULL || req->url == NULL)
		return SIGNATURE_INVALID;
	if (req->json && !BodyMatches(req->json, req->json_len, req->body_sha256))
		return SIGNATURE_INVALID;
	result = CheckUrl(secret, secret_len, req->url, req);
	if (result != SIGNATURE_INVALID)
		return result;
	portless = WithoutPort(req->url);
	if (portless == NULL)
		return SIGNATURE_INVALID;
	result = CheckUrl(secret, secret_len, portless, req);
	free(portless);
	return result;
}
