/*
 * phone_metadata.c — the compiled-in numbering-plan data phone.c works from.
 *
 * Two tables: regions (how numbers are dialled inside one country: its international
 * and trunk prefixes) and calling codes (which codes exist, and how long a national
 * significant number behind each may be). Calling codes are prefix-free (ITU E.164),
 * so the first 1, 2 or 3 digits that name a known code are the code.
 *
 * This is the first, hand-kept version: exact lengths for the regions we serve most,
 * E.164's general bounds elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#include "phone.h"

static const PhoneRegion regions[] = {
	/* sorted by region for bsearch */
	{"AT", 43, "00", "0", 4, 13},
	{"AU", 61, "0011", "0", 5, 15},
	{"BE", 32, "00", "0", 8, 9},
	{"BR", 55, "00", "0", 8, 11},
	{"CA", 1, "011", "1", 10, 10},
	{"CH", 41, "00", "0", 9, 12},
	{"CN", 86, "00", "0", 5, 12},
	{"DE", 49, "00", "0", 4, 15},
	{"DK", 45, "00", "", 8, 8},
	{"ES", 34, "00", "", 9, 9},
	{"FI", 358, "00", "0", 5, 12},
	{"FR", 33, "00", "0", 9, 9},
	{"GB", 44, "00", "0", 7, 10},
	{"IE", 353, "00", "0", 7, 10},
	{"IN", 91, "00", "0", 8, 13},
	{"IT", 39, "00", "", 6, 12},
	{"JP", 81, "010", "0", 8, 17},
	{"MX", 52, "00", "", 10, 10},
	{"NL", 31, "00", "0", 5, 11},
	{"NO", 47, "00", "", 5, 8},
	{"NZ", 64, "00", "0", 3, 10},
	{"PL", 48, "00", "", 6, 9},
	{"PT", 351, "00", "", 9, 11},
	{"SE", 46, "00", "0", 6, 12},
	{"US", 1, "011", "1", 10, 10},
};

static int
CompareRegion(const void *key, const void *elem)
{
	return strcmp((const char *) key, ((const PhoneRegion *) elem)->region);
}

const PhoneRegion *
phone_region_lookup(const char *region)
{
	return bsearch(region, regions, sizeof(regions) / sizeof(regions[0]),
				   sizeof(regions[0]), CompareRegion);
}

/* Every assigned country calling code (ITU-T E.164 list), ascending. */
static const int calling_codes[] = {
	1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
	51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86,
	90, 91, 92, 93, 94, 95, 98,
	211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
	230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244,
	245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260,
	261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299,
	350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374,
	375, 376, 377, 378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423,
	500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594,
	595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680,
	681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852,
	853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963,
	964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992,
	993, 994, 995, 996, 998,
};

static int
CompareInt(const void *key, const void *elem)
{
	int			a = *(const int *) key;
	int			b = *(const int *) elem;

	return (a > b) - (a < b);
}

bool
phone_calling_code_split(const char *digits, int ndigits, int *code, int *code_len)
{
	int			value = 0;

	for (int len = 1; len <= 3 && len <= ndigits; len++)
	{
		value = value * 10 + (digits[len - 1] - '0');
		if (bsearch(&value, calling_codes, sizeof(calling_codes) / sizeof(calling_codes[0]),
					sizeof(calling_codes[0]), CompareInt))
		{
			*code = value;
			*code_len = len;
			return true;
		}
	}
	return false;
}

/* The national-number length bounds behind a calling code. */
void
phone_nsn_range(int calling_code, int *min_nsn, int *max_nsn)
{
	*min_nsn = 0;
	*max_nsn = 0;
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
	{
		if (regions[i].calling_code != calling_code)
			continue;
		if (*max_nsn == 0 || regions[i].min_nsn < *min_nsn)
			*min_nsn = regions[i].min_nsn;
		if (regions[i].max_nsn > *max_nsn)
			*max_nsn = regions[i].max_nsn;
	}
	if (*max_nsn == 0)
	{
		/* E.164 general bounds: short national numbers exist (e.g. Niue: 4 digits) */
		*min_nsn = 4;
		*max_nsn = 14;
	}
}

/* Do the regions behind a calling code dial a trunk prefix "0" nationally? */
bool
phone_code_has_trunk_zero(int calling_code)
{
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (regions[i].calling_code == calling_code && strcmp(regions[i].trunk_prefix, "0") == 0)
			return true;
	return false;
}
