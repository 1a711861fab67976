/*
 * multipart.h — a bounded reader of multipart/form-data bodies (RFC 7578), for the routes
 * whose body is a file and a few fields (the Contacts+ contacts.uploadPhoto: an image part
 * and a contact.json part).
 */
#ifndef PBF_MULTIPART_H
#define PBF_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* At most this many parts, and this many bytes of headers in each. */
#define MULTIPART_MAX_PARTS		8
#define MULTIPART_MAX_HEADERS	2048

/*
 * Read body (len bytes, within the route's limit) as multipart/form-data with the boundary
 * content_type names. The one part whose Content-Type is one of file_types (a NULL-ended
 * list) is the file: *file and *file_len point into body, *file_type is the list's entry.
 * Every other part is a field, whose value (valid UTF-8 without NUL) is added to fields
 * (borrowed) as a string under its name. False with err set for anything else: no or a
 * malformed boundary, a part without a name, a name given twice, more than one file or
 * none, too many parts or headers, a field that is not UTF-8 text, a body that does not
 * end with the closing boundary; *status 400 then, or 415 for a field part whose own
 * Content-Type names a charset other than UTF-8, or a _charset_ field (RFC 7578 §4.6)
 * naming one (fields are read as UTF-8, as a whole body is; a file part's charset is not
 * judged: its bytes pass as they are).
 */
extern bool multipart_read(const char *body, size_t len, const char *content_type,
						   const char *const *file_types, json_t *fields,
						   const char **file, size_t *file_len, const char **file_type,
						   int *status, char *err, size_t err_size);

#endif
