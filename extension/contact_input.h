/*
 * contact_input.h — one contact object from a sync / PUT body, validated and ready to
 * write.
 *
 * Parsing never raises: every problem is recorded in a Problems list (field + problem),
 * so that one response can name every invalid item of a batch.
 */
#ifndef PRIVACYBEE_CONTACT_INPUT_H
#define PRIVACYBEE_CONTACT_INPUT_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "problems.h"

/* Which settable fields an item carries (absent fields stay unchanged on update). */
#define CF_EXTERNAL_ID	0x01
#define CF_DISPLAY_NAME	0x02
#define CF_BIRTHDAY		0x04
#define CF_EMAILS		0x08
#define CF_ADDRESSES	0x10
#define CF_LABELS		0x20
#define CF_PHONES		0x40

typedef struct ContactInput
{
	bool		has_id;			/* "id" given: update that contact */
	int64		id;
	int			present;		/* CF_* bits */
	char	   *external_id;	/* NULL: cleared */
	char	   *display_name;
	char	   *birthday;		/* "YYYY-MM-DD", NULL: cleared */
	char	   *emails;			/* text[] literals, "{}" when cleared */
	char	   *addresses;
	char	   *labels;
	int			nphones;
	char	  **phone_raw;
	char	  **phone_e164;		/* NULL where not normalisable */
	bool		has_restore;	/* "restore" given */
	bool		restore;		/* re-create a deleted contact's external_id */

	/* filled in by the writer */
	int64		target_id;
	bool		exists;
	bool		tombstoned;		/* external_id of a deleted contact: not written */
	bool		restored;		/* ... re-created under its old id */
} ContactInput;

/*
 * Parse one item (an object, as a JsonbValue) into in. prefix ("[3]." or "") is put
 * before field names in problems; phones are read as dialled in region.
 */
extern void contact_input_parse(JsonbValue *item, const char *prefix, const char *region,
								ContactInput *in, Problems *p);

#endif
