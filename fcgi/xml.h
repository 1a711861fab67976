/*
 * xml.h — a WebDAV request's XML body as a JSON tree (xml.c), what the route's SQL
 * function reads:
 *
 *   element = {"n": "{namespace}local", "a": {attribute: value, ...}?, "c": [child, ...]}
 *   child   = element | "text"        (text that is only white space is left out)
 *
 * An attribute without a namespace is named by its local name, one with a namespace in
 * the {namespace}local form too.
 */
#ifndef PBF_XML_H
#define PBF_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* the deepest nesting any configuration may allow */
#define XML_MAX_DEPTH_LIMIT 64

/* Once, before any thread parses. */
extern void xml_init(void);

/*
 * The document element of body (len bytes) as a new reference, or NULL with err set (a
 * client's message: the line and column where the document is not well-formed, a DTD,
 * nesting deeper than max_depth, too many nodes, or out of memory).
 */
extern json_t *xml_to_json(const char *body, size_t len, int max_depth, char *err, size_t err_size);

#endif
