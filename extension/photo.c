/*
 * photo.c — privacybee.image_header(): what an uploaded contact photo is (SPEC §9), by
 * its magic bytes and its header, never by what the client says.
 *
 * JPEG, PNG and WebP are read as far as their dimensions: a JPEG's markers up to its
 * start of frame, a PNG's signature and IHDR chunk (and its IEND at the end), a WebP's
 * RIFF header and first chunk (VP8, VP8L or VP8X). Anything else, or a header that does
 * not hold together (a length past the end, a zero dimension), is not an image. Nothing
 * is decoded: the bytes are stored and served as they came.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

typedef struct ImageInfo
{
	const char *type;			/* the media type */
	uint32		width;
	uint32		height;
} ImageInfo;

static uint32
BE16(const unsigned char *p)
{
	return ((uint32) p[0] << 8) | p[1];
}

static uint32
BE32(const unsigned char *p)
{
	return ((uint32) p[0] << 24) | ((uint32) p[1] << 16) | ((uint32) p[2] << 8) | p[3];
}

static uint32
LE16(const unsigned char *p)
{
	return p[0] | ((uint32) p[1] << 8);
}

static uint32
LE24(const unsigned char *p)
{
	return p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16);
}

static uint32
LE32(const unsigned char *p)
{
	return LE24(p) | ((uint32) p[3] << 24);
}

static bool
Png(const unsigned char *p, size_t len, ImageInfo *info)
{
	static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
	uint8		depth,
				colour;

	if (len < 8 + 25 + 12 || memcmp(p, signature, 8) != 0)
		return false;
	if (BE32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
		return false;
	info->width = BE32(p + 16);
	info->height = BE32(p + 20);
	depth = p[24];
	colour = p[25];
	if (info->width == 0 || info->height == 0 || info->width > 0x7FFFFFFF ||
		info->height > 0x7FFFFFFF)
		return false;
	if (!(depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16) ||
		!(colour == 0 || colour == 2 || colour == 3 || colour == 4 || colour == 6))
		return false;
	if (memcmp(p + len - 12, iend, 12) != 0)
		return false;
	info->type = "image/png";
	return true;
}

static bool
Jpeg(const unsigned char *p, size_t len, ImageInfo *info)
{
	size_t		i = 2;

	if (len < 4 || p[0] != 0xFF || p[1] != 0xD8 || p[2] != 0xFF)
		return false;
	while (i + 4 <= len)
	{
		uint8		marker;
		uint32		seglen;

		if (p[i] != 0xFF)
			return false;
		marker = p[i + 1];
		if (marker == 0xFF)
		{
			i++;				/* fill byte */
			continue;
		}
		/* markers without a length */
		if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
		{
			i += 2;
			continue;
		}
		if (marker == 0xD9 || marker == 0xDA)
			return false;		/* end of image or scan before any frame */
		seglen = BE16(p + i + 2);
		if (seglen < 2 || i + 2 + seglen > len)
			return false;
		/* start of frame: every SOFn but DHT (C4), JPG (C8) and DAC (CC) */
		if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
			marker != 0xCC)
		{
			if (seglen < 8)
				return false;
			info->height = BE16(p + i + 5);
			info->width = BE16(p + i + 7);
			if (info->width == 0 || info->height == 0)
				return false;
			info->type = "image/jpeg";
			return true;
		}
		i += 2 + seglen;
	}
	return false;
}

static bool
Webp(const unsigned char *p, size_t len, ImageInfo *info)
{
	uint32		riff;
	uint32		chunk;

	if (len < 30 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WEBP", 4) != 0)
		return false;
	riff = LE32(p + 4);
	if (riff < 4 + 8 + 10 || (size_t) riff + 8 > len)
		return false;
	chunk = LE32(p + 16);
	if ((size_t) chunk + 20 > len)
		return false;
	if (memcmp(p + 12, "VP8 ", 4) == 0)
	{
		/* a key frame: 3 bytes of frame tag, then the start code 9d 01 2a */
		if (chunk < 10 || (p[20] & 1) != 0 || p[23] != 0x9D || p[24] != 0x01 || p[25] != 0x2A)
			return false;
		info->width = LE16(p + 26) & 0x3FFF;
		info->height = LE16(p + 28) & 0x3FFF;
	}
	else if (memcmp(p + 12, "VP8L", 4) == 0)
	{
		uint32		bits;

		if (chunk < 5 || p[20] != 0x2F)
			return false;
		bits = LE32(p + 21);
		info->width = (bits & 0x3FFF) + 1;
		info->height = ((bits >> 14) & 0x3FFF) + 1;
	}
	else if (memcmp(p + 12, "VP8X", 4) == 0)
	{
		if (chunk < 10)
			return false;
		info->width = LE24(p + 24) + 1;
		info->height = LE24(p + 27) + 1;
	}
	else
		return false;
	if (info->width == 0 || info->height == 0)
		return false;
	info->type = "image/webp";
	return true;
}

/*
 * image_header(data bytea, OUT content_type text, OUT width integer, OUT height integer):
 * the image's media type and dimensions, all NULL when data is no JPEG, PNG or WebP.
 */
PG_FUNCTION_INFO_V1(image_header);
Datum
image_header(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(data);
	size_t		len = VARSIZE_ANY_EXHDR(data);
	ImageInfo	info = {0};
	TupleDesc	desc;
	Datum		values[3] = {0};
	bool		nulls[3] = {true, true, true};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "image_header must return a record");
	if ((Jpeg(p, len, &info) || Png(p, len, &info) || Webp(p, len, &info)) &&
		info.width <= PG_INT32_MAX && info.height <= PG_INT32_MAX)
	{
		values[0] = CStringGetTextDatum(info.type);
		values[1] = Int32GetDatum((int32) info.width);
		values[2] = Int32GetDatum((int32) info.height);
		nulls[0] = nulls[1] = nulls[2] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
