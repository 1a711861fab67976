/*
 * contact_input.h — one contact object from a sync / PUT body, validated and ready to
 * write.
 *
 * Parsing never raises: every problem is recorded in a Problems list (field + problem),
 * so that one response can name every invalid item of a batch.
 *
 * Two schemas are read (privacybee.h SchemaVersion): 0.1.0's flat contact (strings in
 * the lists, a full date as birthday), and 0.2.0's, which adds SPEC §9: details, typed
 * list items, birthdays without a year, primary flags, company_id /
 * company_external_id. contact_details.c reads the structured parts.
 */
#ifndef PRIVACYBEE_CONTACT_INPUT_H
#define PRIVACYBEE_CONTACT_INPUT_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "privacybee.h"
#include "problems.h"

/* Limits (SPEC §2; the others chosen for §9 and written in README) */
#define MAX_DISPLAY_NAME	256
#define MAX_EMAIL			320
#define MAX_PHONE			64
#define MAX_ADDRESS			1024
#define MAX_LABEL			64
#define MAX_LABELS			50
#define MAX_EXTERNAL_ID		255
#define MAX_LIST			100		/* entries of any other list */
#define MAX_TYPE			64		/* a "type" label */
#define MAX_NAME_PART		256
#define MAX_ORG_FIELD		256
#define MAX_DESCRIPTION		1024
#define MAX_URL				2048
#define MAX_VALUE			1024	/* an im, related person or item */
#define MAX_NOTES			10000

/*
 * Which settable fields an item carries (absent fields stay unchanged on update); in
 * decimal, as the writer's SQL tests them (contacts_sync.c).
 */
#define CF_EXTERNAL_ID	1
#define CF_DISPLAY_NAME	2
#define CF_BIRTHDAY		4	/* 0.1.0; in 0.2.0 the birthday is a details key */
#define CF_EMAILS		8
#define CF_ADDRESSES	16	/* 0.1.0; in 0.2.0 the addresses are a details key */
#define CF_LABELS		32
#define CF_PHONES		64
#define CF_COMPANY		128	/* company_id or company_external_id (0.2.0) */
#define CF_DETAILS		256	/* some key of the compact details (0.2.0) */

/*
 * The keys of details kept compact, in contacts.details (0.2.0): DK_* bit i is
 * details_compact_keys[i]. emails and phone_numbers are kept apart (contact_emails,
 * contact_phones).
 */
#define DK_NAME				0x001
#define DK_ADDRESSES		0x002
#define DK_BIRTHDAY			0x004
#define DK_DATES			0x008
#define DK_ORGANIZATIONS	0x010
#define DK_URLS				0x020
#define DK_IMS				0x040
#define DK_RELATED_PEOPLE	0x080
#define DK_NOTES			0x100
#define DK_ITEMS			0x200
#define DK_COUNT			10
extern const char *const details_compact_keys[DK_COUNT];

/* One email or phone number of a contact. */
typedef struct ContactValue
{
	char	   *value;			/* the address, or the number as written */
	char	   *e164;			/* phones: the E.164 form, NULL where it cannot be read */
	char	   *type;			/* a free label, NULL for none */
	bool		primary;
} ContactValue;

typedef struct ContactInput
{
	bool		has_id;			/* "id" given: update that contact */
	int64		id;
	int			present;		/* CF_* bits */
	char	   *external_id;	/* NULL: cleared */
	char	   *display_name;
	char	   *birthday;		/* 0.1.0: "YYYY-MM-DD", NULL: cleared */
	char	  **addresses;		/* 0.1.0: the strings */
	int			naddresses;
	int			nemails;
	ContactValue *emails;
	int			nphones;
	ContactValue *phones;
	int			nlabels;
	char	  **labels;			/* tag names, duplicates (case-insensitively) removed */
	int			details_present;	/* DK_* bits given (0.2.0) */
	StringInfoData details;		/* their canonical values, a JSON object; a key given
								 * as null or empty is absent here: it is cleared */
	char	   *name_joined;	/* the name's parts joined (0.2.0): the default display_name */
	int64		company_id;		/* CF_COMPANY: 0 with no external id = cleared */
	char	   *company_external_id;	/* CF_COMPANY by the company's external_id */
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
								SchemaVersion schema, ContactInput *in, Problems *p);

/* ---- contact_details.c: the structured parts (SPEC §9) ---- */

/* Where a part is read: its item's prefix, the problems, the member's region. */
typedef struct DetailsContext
{
	const char *prefix;
	const char *region;
	SchemaVersion schema;
	Problems   *p;
} DetailsContext;

/*
 * A JSON string of at most max characters (a copy), NULL for null; false with a problem
 * at path otherwise. An empty string is a problem unless empty_is_null, when it is NULL.
 */
extern bool details_string(JsonbValue *v, int max, bool empty_is_null, const char *path,
						   DetailsContext *cx, char **out);

/* s[0..*len) without the Unicode white space around it (s and *len moved in). */
extern void details_trim(const char **s, int *len);

/*
 * A name (display_name, a label, a tag's name): a JSON string, without the white space
 * around it, of 1 to max characters (a copy); one blank after trimming is empty, a problem.
 */
extern bool details_name(JsonbValue *v, int max, const char *path, DetailsContext *cx,
						 char **out);

/*
 * An emails (phones: true) list at path: null (cleared), or an array of strings or, in
 * 0.2.0, typed objects {"type", "value", "primary"} ("e164" read-only on phones). At
 * most one primary; none marked: the first is. False when it had a problem.
 */
extern bool details_values(JsonbValue *v, const char *path, bool phones, DetailsContext *cx,
						   int *n, ContactValue **out);

/*
 * A birthday at path: null, "YYYY-MM-DD", or in 0.2.0 "--MM-DD" or {"year", "month",
 * "day"}. 0.1.0: *date gets "YYYY-MM-DD" (NULL: cleared); 0.2.0: the canonical object is
 * appended to in->details under "birthday" (nothing: cleared).
 */
extern void details_birthday(JsonbValue *v, const char *path, DetailsContext *cx,
							 ContactInput *in);

/*
 * An addresses list at path: null, or an array of strings or, in 0.2.0, address objects.
 * 0.1.0: in->addresses; 0.2.0: the canonical array under "addresses" in in->details.
 */
extern void details_addresses(JsonbValue *v, const char *path, DetailsContext *cx,
							  ContactInput *in);

/*
 * The details object (0.2.0): every key it gives replaces that part; emails and
 * phone_numbers go to in->emails / in->phones, the rest to in->details. null clears
 * every part.
 */
extern void details_object(JsonbValue *v, DetailsContext *cx, ContactInput *in);

#endif
