/*
 * signature.h — X-Twilio-Signature: proof that a telephony webhook comes from the
 * provider (see signature.c).
 */
#ifndef PBF_SIGNATURE_H
#define PBF_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct SignedRequest
{
	const char *url;			/* the full URL the provider requested */
	const char *form;			/* the raw form body, or NULL */
	size_t		form_len;
	const char *json;			/* the raw JSON body, or NULL */
	size_t		json_len;
	const char *body_sha256;	/* the URL's bodySHA256 parameter, or NULL */
	const char *header;			/* the X-Twilio-Signature header, or NULL */
} SignedRequest;

typedef enum SignatureResult
{
	SIGNATURE_VALID,
	SIGNATURE_INVALID,			/* missing, wrong, or a body that is not the one signed */
	SIGNATURE_NO_MEMORY
} SignatureResult;

/*
 * Sets OpenSSL up for a worker process, before any of its threads starts (signature.c
 * says why); false when it cannot.
 */
extern bool signature_init(void);

/*
 * Check req against the account's auth token. When the URL names a port, the URL
 * without it is accepted too: providers differ on whether they sign it.
 */
extern SignatureResult signature_check(const char *secret, size_t secret_len,
									   const SignedRequest *req);

#endif
