/*
 * preconditions.c — conditional requests (RFC 9110 §13): If-Match and If-None-Match
 * evaluated against a resource's current entity tag, in one place for every route whose
 * resource has an ETag (SPEC §2, §4). SQL: privacybee.check_preconditions().
 *
 * If-Match (§13.1.1) holds when it is "*" and the resource exists, or when any
 * entity-tag in its list equals the current one by strong comparison (§8.8.3.2): neither
 * tag weak, same opaque-tag. A weak tag (W/"v5") never matches, nor does an element that
 * is not an entity-tag at all, so a malformed field holds nothing that matches. When it
 * does not hold: 412, whatever the method.
 * If-None-Match (§13.1.2) fails when it is "*" and the resource exists, or when any
 * entity-tag in its list equals the current one by weak comparison (W/"v5" matches
 * "v5"). When it fails: 304 Not Modified for GET and HEAD, 412 for every other method.
 * The order is §13.2.2's: If-Match first, then If-None-Match.
 *
 * Lists follow §5.6.1: elements separated by commas and optional whitespace, empty
 * elements ignored. An element that is not an entity-tag (§8.8.3: optional W/, then a
 * quoted string of etagc characters, nothing after it) is skipped up to the next comma.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "privacybee.h"

typedef struct EntityTag
{
	bool		weak;
	const char *opaque;			/* the quoted string, quotes included */
	size_t		len;
} EntityTag;

static bool
IsOws(char c)
{
	return c == ' ' || c == '\t';
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool
IsEtagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
}

/*
 * An entity-tag at *p (advanced past it and the whitespace after), up to end; false when
 * what is there is not one.
 */
static bool
ReadEntityTag(const char **p, const char *end, EntityTag *tag)
{
	const char *s = *p;

	tag->weak = false;
	if (end - s >= 2 && s[0] == 'W' && s[1] == '/')
	{
		tag->weak = true;
		s += 2;
	}
	if (s >= end || *s != '"')
		return false;
	tag->opaque = s++;
	while (s < end && IsEtagc((unsigned char) *s))
		s++;
	if (s >= end || *s != '"')
		return false;
	s++;
	tag->len = s - tag->opaque;
	while (s < end && IsOws(*s))
		s++;
	*p = s;
	return true;
}

static bool
SameOpaque(const EntityTag *a, const EntityTag *b)
{
	return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/* Is the field "*" (with optional whitespace around it)? */
static bool
IsStar(const char *s, const char *end)
{
	while (s < end && IsOws(*s))
		s++;
	while (end > s && IsOws(end[-1]))
		end--;
	return end - s == 1 && *s == '*';
}

/* Does any entity-tag of the list field match current, by weak or strong comparison? */
static bool
ListMatches(const char *s, const char *end, const EntityTag *current, bool weak_comparison)
{
	while (s < end)
	{
		EntityTag	tag;

		if (IsOws(*s) || *s == ',')
		{
			s++;
			continue;
		}
		if (ReadEntityTag(&s, end, &tag) && (s == end || *s == ','))
		{
			if (SameOpaque(&tag, current) &&
				(weak_comparison || (!tag.weak && !current->weak)))
				return true;
			continue;
		}
		/* not an entity-tag: it matches nothing, up to the next comma */
		while (s < end && *s != ',')
			s++;
	}
	return false;
}

/*
 * check_preconditions(if_match text, if_none_match text, etag text, safe boolean)
 * → boolean: the request's conditional header fields (NULL when absent) against the
 * resource's current ETag (NULL when it has no current representation); safe is true for
 * GET and HEAD. Raises PT412 when the request must not proceed; returns true when a GET
 * or HEAD is to be answered 304 Not Modified, false when it proceeds.
 */
PG_FUNCTION_INFO_V1(check_preconditions);
Datum
check_preconditions(PG_FUNCTION_ARGS)
{
	EntityTag	current = {0};
	bool		exists = !PG_ARGISNULL(2);
	bool		safe = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);

	if (exists)
	{
		text	   *etag = PG_GETARG_TEXT_PP(2);
		const char *p = VARDATA_ANY(etag);
		const char *end = p + VARSIZE_ANY_EXHDR(etag);

		if (!ReadEntityTag(&p, end, &current) || p != end)
			elog(ERROR, "\"%s\" is not an entity-tag", text_to_cstring(etag));
	}
	if (!PG_ARGISNULL(0))
	{
		text	   *field = PG_GETARG_TEXT_PP(0);
		const char *s = VARDATA_ANY(field);
		const char *end = s + VARSIZE_ANY_EXHDR(field);
		bool		holds = IsStar(s, end) ? exists
			: exists && ListMatches(s, end, &current, false);

		if (!holds)
			ereport(ERROR,
					(errcode(ERRCODE_PT_PRECONDITION_FAILED),
					 errmsg("precondition failed: If-Match names no current strong ETag"),
					 errhint("Fetch the resource again and retry with its current ETag.")));
	}
	if (!PG_ARGISNULL(1))
	{
		text	   *field = PG_GETARG_TEXT_PP(1);
		const char *s = VARDATA_ANY(field);
		const char *end = s + VARSIZE_ANY_EXHDR(field);
		bool		matched = IsStar(s, end) ? exists
			: exists && ListMatches(s, end, &current, true);

		if (matched && safe)
			PG_RETURN_BOOL(true);
		if (matched)
			ereport(ERROR,
					(errcode(ERRCODE_PT_PRECONDITION_FAILED),
					 errmsg("precondition failed: If-None-Match names the current ETag")));
	}
	PG_RETURN_BOOL(false);
}
