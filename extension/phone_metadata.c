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
	if (strcmp(region, "001") == 0)
		return NULL;
	return bsearch(region, phone_regions, NREGIONS, sizeof(phone_regions[0]), CompareRegion);
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

static bool
IsDigits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
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
	const char *pattern = PatternText(r, p);
	int			slots[PHONE_REGEX_SLOTS];
	int			m;

	if (group)
		group[0] = group[1] = group[2] = group[3] = -1;
	if (*pattern == '\0')
		return -1;
	if (IsDigits(pattern))
	{
		int			plen = strlen(pattern);

		return plen <= len && memcmp(s, pattern, plen) == 0 ? plen : -1;
	}
	m = phone_regex_match(Compiled(r, p), s, len, false, slots);
	if (m >= 0 && group)
		memcpy(group, slots + 2, sizeof(int) * 4);
	return m;
}

bool
phone_pattern_full(const PhoneRegion *r, PhonePattern p, const char *s, int len)
{
	const char *pattern = PatternText(r, p);

	if (*pattern == '\0')
		return false;
	if (IsDigits(pattern))
		return (int) strlen(pattern) == len && memcmp(s, pattern, len) == 0;
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
