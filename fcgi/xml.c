/*
 * xml.c — a WebDAV request body (PROPFIND, REPORT) read with libxml2 into the JSON tree
 * the route's SQL function is given (xml.h), the way a JSON body is checked by jansson:
 * what PostgreSQL receives is well-formed, bounded and free of anything a parser could
 * be turned against.
 *
 * Why here and not in the extension: a hostile document is refused before it reaches the
 * database (400/413 and nothing written, the SQL call only judging the token first), the
 * fuzzer reaches this code with the rest of the request path, and the SQL function reads
 * a jsonb tree with the operators it uses for every other body.
 *
 * What is refused, whatever the body limit lets through:
 *  * any document type declaration: no DTD, hence no entity of the document's own, no
 *    external entity or DTD to load (XML_PARSE_NOENT and XML_PARSE_DTDLOAD are never
 *    set, XML_PARSE_NONET is; the internalSubset handler stops the parser at the first
 *    "<!DOCTYPE"), so neither "billion laughs" nor XXE has anything to expand;
 *  * elements nested deeper than max_depth (checked as each element opens, before any
 *    deeper one is read) and more than XML_MAX_NODES elements and texts;
 *  * anything not well-formed, including an undefined entity reference; the five
 *    predefined entities and character references are the only ones there are.
 * libxml2's SAX2 interface is used, so no DOM is built and nothing is expanded later.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "xml.h"

/* libxml2's callbacks take more than each of ours reads */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* elements and texts a request may hold: a multiget of 10,000 hrefs fits */
#define XML_MAX_NODES 100000

typedef struct XmlState
{
	xmlParserCtxtPtr ctxt;
	json_t	   *root;			/* borrowed from stack[0]'s owner: the document element */
	json_t	   *stack[XML_MAX_DEPTH_LIMIT + 1];	/* borrowed: open elements' "c" arrays */
	int			depth;
	int			max_depth;
	long		nodes;
	char	   *text;			/* malloc'd: character data not yet added */
	size_t		text_len;
	size_t		text_size;
	bool		failed;
	char	   *err;
	size_t		err_size;
} XmlState;

static void
Fail(XmlState *st, const char *message)
{
	if (!st->failed)
	{
		st->failed = true;
		snprintf(st->err, st->err_size, "%s", message);
	}
	xmlStopParser(st->ctxt);
}

/* Character data collected so far becomes a text child, unless it is only white space. */
static void
FlushText(XmlState *st)
{
	json_t	   *text;

	if (st->text_len == 0)
		return;
	if (strspn(st->text, " \t\r\n") < st->text_len && st->depth > 0)
	{
		text = json_stringn(st->text, st->text_len);
		if (text == NULL || json_array_append_new(st->stack[st->depth], text) != 0)
			Fail(st, "out of memory");
		if (++st->nodes > XML_MAX_NODES)
			Fail(st, "XML body has too many elements");
	}
	st->text_len = 0;
	st->text[0] = '\0';
}

/* "{namespace}local", James Clark's notation: what the SQL functions compare. */
static json_t *
ClarkName(const xmlChar *uri, const xmlChar *local)
{
	char		buf[1024];
	int			n = snprintf(buf, sizeof(buf), "{%s}%s", uri ? (const char *) uri : "",
							 (const char *) local);

	if (n < 0 || (size_t) n >= sizeof(buf))
		return NULL;
	return json_string(buf);
}

static void
StartElement(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
			 int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
			 int nb_defaulted, const xmlChar **attributes)
{
	XmlState   *st = ctx;
	json_t	   *element;		/* new reference until added */
	json_t	   *children;
	json_t	   *name;

	if (st->failed)
		return;
	FlushText(st);
	if (st->depth >= st->max_depth)
	{
		char		message[64];

		snprintf(message, sizeof(message), "XML body is nested deeper than %d", st->max_depth);
		Fail(st, message);
		return;
	}
	if (++st->nodes > XML_MAX_NODES)
	{
		Fail(st, "XML body has too many elements");
		return;
	}
	element = json_object();
	children = json_array();
	name = ClarkName(uri, local);
	if (element == NULL || children == NULL || name == NULL ||
		json_object_set_new(element, "n", name) != 0)
	{
		json_decref(children);
		json_decref(element);
		Fail(st, name == NULL ? "XML element name too long" : "out of memory");
		return;
	}
	name = NULL;
	if (nb_attributes > 0)
	{
		json_t	   *attrs = json_object();	/* new reference */

		/* attributes: (local, prefix, uri, value, end) for each */
		for (int i = 0; attrs && i < nb_attributes; i++)
		{
			const xmlChar **a = attributes + 5 * i;
			json_t	   *key = ClarkName(a[2], a[0]);
			json_t	   *value = json_stringn((const char *) a[3], (size_t) (a[4] - a[3]));

			if (key == NULL || value == NULL ||
				json_object_set_new(attrs, a[2] ? json_string_value(key) : (const char *) a[0],
									value) != 0)
			{
				json_decref(value);
				json_decref(attrs);
				attrs = NULL;
			}
			json_decref(key);
		}
		if (attrs == NULL || json_object_set_new(element, "a", attrs) != 0)
		{
			json_decref(children);
			json_decref(element);
			Fail(st, "out of memory");
			return;
		}
	}
	if (json_object_set_new(element, "c", children) != 0)
	{
		json_decref(element);
		Fail(st, "out of memory");
		return;
	}
	if (st->depth == 0 && st->root != NULL)
	{
		json_decref(element);
		Fail(st, "XML body has more than one document element");
		return;
	}
	if (st->depth == 0)
		st->root = element;		/* owned by the caller from here */
	else if (json_array_append_new(st->stack[st->depth], element) != 0)
	{
		Fail(st, "out of memory");
		return;
	}
	st->stack[++st->depth] = children;
}

static void
EndElement(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	XmlState   *st = ctx;

	if (st->failed)
		return;
	FlushText(st);
	st->depth--;
}

static void
Characters(void *ctx, const xmlChar *ch, int len)
{
	XmlState   *st = ctx;

	if (st->failed || len <= 0)
		return;
	if (st->text_len + (size_t) len + 1 > st->text_size)
	{
		size_t		size = (st->text_len + (size_t) len + 1) * 2;
		char	   *text = realloc(st->text, size);

		if (text == NULL)
		{
			Fail(st, "out of memory");
			return;
		}
		st->text = text;
		st->text_size = size;
	}
	memcpy(st->text + st->text_len, ch, (size_t) len);
	st->text_len += (size_t) len;
	st->text[st->text_len] = '\0';
}

static void
RefuseDtd(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	Fail(ctx, "XML body must not have a document type declaration (DTD)");
}

static void
RefuseEntity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			 const xmlChar *system_id, xmlChar *content)
{
	Fail(ctx, "XML body must not declare entities");
}

/* The document's own entities: there are none (the predefined five never come here). */
static xmlEntityPtr
NoEntity(void *ctx, const xmlChar *name)
{
	Fail(ctx, "XML body refers to an undefined entity");
	return NULL;
}

static void
ParseError(void *ctx, xmlErrorPtr error)
{
	XmlState   *st = ctx;
	char		message[200];
	size_t		n;

	if (st->failed || error == NULL || error->level < XML_ERR_ERROR)
		return;
	snprintf(message, sizeof(message), "XML body is not well-formed (line %d, column %d): %s",
			 error->line, error->int2, error->message ? error->message : "error");
	n = strlen(message);
	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
		message[--n] = '\0';
	Fail(st, message);
}

void
xml_init(void)
{
	xmlInitParser();
}

json_t *
xml_to_json(const char *body, size_t len, int max_depth, char *err, size_t err_size)
{
	xmlSAXHandler sax;
	XmlState	st = {.err = err, .err_size = err_size};
	json_t	   *result = NULL;

	err[0] = '\0';
	if (len > (size_t) INT32_MAX)
	{
		snprintf(err, err_size, "XML body is too large");
		return NULL;
	}
	st.max_depth = max_depth < 1 ? 1 : max_depth > XML_MAX_DEPTH_LIMIT ? XML_MAX_DEPTH_LIMIT : max_depth;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = StartElement;
	sax.endElementNs = EndElement;
	sax.characters = Characters;
	sax.cdataBlock = Characters;
	sax.internalSubset = RefuseDtd;
	sax.externalSubset = RefuseDtd;
	sax.entityDecl = RefuseEntity;
	sax.getEntity = NoEntity;
	sax.getParameterEntity = NoEntity;
	sax.serror = ParseError;

	st.ctxt = xmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL);
	if (st.ctxt == NULL)
	{
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	/* no network, no entity substitution, no DTD loading (not set), no error printing */
	xmlCtxtUseOptions(st.ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlParseChunk(st.ctxt, body, (int) len, 1);
	if (!st.failed && (!st.ctxt->wellFormed || st.root == NULL))
		Fail(&st, "XML body is not well-formed");
	xmlFreeParserCtxt(st.ctxt);
	free(st.text);
	if (st.failed)
		json_decref(st.root);
	else
		result = st.root;
	return result;
}
