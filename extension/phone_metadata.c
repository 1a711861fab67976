/*
 * phone_metadata.c — lookups in the generated numbering-plan table, and running its
 * patterns.
 *
 * The table (phone_metadata_table.h) is generated from libphonenumber; its patterns are
 * libphonenumber's regular expressions. Patterns made only of digits (most international
 * and national prefixes: "00", "011", "0") are compared as strings; the others run on
 * phone_regex.c, compiled on first use and kept for the backend's life.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "phone.h"
#include "phone_metadata_table.h"
#include "phone_regex.h"

#define NREGIONS (sizeof(phone_regions) / sizeof(phone_regions[0]))
#define MAX_CODE 1000

static int	code_index[MAX_CODE];	/* calling code → region index + 1, 0 for none */
static int	same_code_next[NREGIONS];	/* next region with the same code, + 1; 0 ends */
static bool code_index_built;
static PhoneRegex *compiled[NREGIONS][PAT_COUNT];

static void
BuildCodeIndex(void)
{
	for (size_t i = 0; i < NREGIONS; i++)
	{
		int			cc = phone_regions[i].calling_code;

		if (cc > 0 && cc < MAX_CODE && (code_index[cc] == 0 || phone_regions[i].main))
			code_index[cc] = (int) i + 1;
	}
	/* chain every region behind its code's main region */
	for (size_t i = 0; i < NREGIONS; i++)
	{
		int			cc = phone_regions[i].calling_code;
		int			head = code_index[cc] - 1;

		if (head != (int) i)
		{
			same_code_next[i] = same_code_next[head];
			same_code_next[head] = (int) i + 1;
		}
	}
	code_index_built = true;
}

static int
CompareRegion(const void *key, const void *elem)
{
	return strcmp((const char *) key, ((const PhoneRegion *) elem)->region);
}

const PhoneRegion *
phone_region_lookup(const char *region)
{
	/* the last region asked for: a column of numbers is mostly dialled in one region */
	static char last[4];
	static const PhoneRegion *last_found;

	if (region[0] == last[0] && region[0] != '\0' && strcmp(region, last) == 0)
		return last_found;
	strlcpy(last, region, sizeof(last));
	if (strcmp(region, "001") == 0)
		last_found = NULL;
	else
		last_found = bsearch(region, phone_regions, NREGIONS, sizeof(phone_regions[0]),
							 CompareRegion);
	return last_found;
}

const PhoneRegion *
phone_region_for_code(int calling_code)
{
	if (!code_index_built)
		BuildCodeIndex();
	if (calling_code <= 0 || calling_code >= MAX_CODE || code_index[calling_code] == 0)
		return NULL;
	return &phone_regions[code_index[calling_code] - 1];
}

/* Calling codes are prefix-free: the first 1 to 3 digits naming a known code are it. */
bool
phone_calling_code_split(const char *digits, int ndigits, int *code, int *code_len)
{
	int			value = 0;

	if (ndigits == 0 || digits[0] == '0')
		return false;
	for (int len = 1; len <= 3 && len <= ndigits; len++)
	{
		value = value * 10 + (digits[len - 1] - '0');
		if (phone_region_for_code(value))
		{
			*code = value;
			*code_len = len;
			return true;
		}
	}
	return false;
}

static const char *
PatternText(const PhoneRegion *r, PhonePattern p)
{
	return p == PAT_IDD ? r->idd : p == PAT_NPP ? r->npp : r->general;
}

/*
 * What a pattern is, worked out once: empty, digits only (compared as a string; the
 * length is kept), or a regular expression (compiled on first use).
 */
typedef enum PatternKind
{
	KIND_UNKNOWN = 0,
	KIND_EMPTY,
	KIND_DIGITS,
	KIND_REGEX
} PatternKind;

static uint8 kinds[NREGIONS][PAT_COUNT];
static uint8 digit_lengths[NREGIONS][PAT_COUNT];

static PatternKind
Kind(const PhoneRegion *r, PhonePattern p)
{
	uint8	   *kind = &kinds[r - phone_regions][p];

	if (*kind == KIND_UNKNOWN)
	{
		const char *pattern = PatternText(r, p);
		size_t		digits = strspn(pattern, "0123456789");

		if (*pattern == '\0')
			*kind = KIND_EMPTY;
		else if (digits == strlen(pattern) && digits < 256)
		{
			*kind = KIND_DIGITS;
			digit_lengths[r - phone_regions][p] = (uint8) digits;
		}
		else
			*kind = KIND_REGEX;
	}
	return (PatternKind) *kind;
}

static PhoneRegex *
Compiled(const PhoneRegion *r, PhonePattern p)
{
	PhoneRegex **slot = &compiled[r - phone_regions][p];

	if (*slot == NULL)
		*slot = phone_regex_compile(PatternText(r, p), TopMemoryContext);
	return *slot;
}

int
phone_pattern_prefix(const PhoneRegion *r, PhonePattern p, const char *s, int len, int group[4])
{
	PatternKind kind = Kind(r, p);
	int			slots[PHONE_REGEX_SLOTS];
	int			m;

	if (group)
		group[0] = group[1] = group[2] = group[3] = -1;
	if (kind == KIND_EMPTY)
		return -1;
	if (kind == KIND_DIGITS)
	{
		int			plen = digit_lengths[r - phone_regions][p];

		return plen <= len && memcmp(s, PatternText(r, p), plen) == 0 ? plen : -1;
	}
	m = phone_regex_match(Compiled(r, p), s, len, false, slots);
	if (m >= 0 && group)
		memcpy(group, slots + 2, sizeof(int) * 4);
	return m;
}

bool
phone_pattern_full(const PhoneRegion *r, PhonePattern p, const char *s, int len)
{
	PatternKind kind = Kind(r, p);

	if (kind == KIND_EMPTY)
		return false;
	if (kind == KIND_DIGITS)
		return digit_lengths[r - phone_regions][p] == len &&
			memcmp(s, PatternText(r, p), len) == 0;
	return phone_regex_match(Compiled(r, p), s, len, true, NULL) == len;
}

/*
 * Could nsn be a valid national number behind calling_code: is it of a possible length
 * for, and does it match the general pattern of, some region using that code? (Validity
 * of a type needs more; no number outside every general pattern is valid.)
 */
bool
phone_nsn_plausible(int calling_code, const char *nsn, int len)
{
	const PhoneRegion *main = phone_region_for_code(calling_code);

	if (main == NULL)
		return false;
	for (int i = (int) (main - phone_regions); i >= 0; i = same_code_next[i] - 1)
	{
		const PhoneRegion *r = &phone_regions[i];
		unsigned	bit = len < 32 ? 1u << len : 0;

		if ((r->lengths & bit) && !(r->local_lengths & bit) &&
			(r->general[0] == '\0' || phone_pattern_full(r, PAT_GENERAL, nsn, len)))
			return true;
	}
	return false;
}
