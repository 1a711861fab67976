-- Rich contacts (SPEC §9): emails, tags, photos, and what search reads.
--
-- Every row is one member's, keyed by user_id first and removed with its contact. Search
-- reads the member's entries only: full-text through the GIN index on documents,
-- whose lexemes all start with their owner's code (extension/search_text.h), structured
-- through btree indexes that lead with user_id (extension/search_filter.c). unaccent (a
-- contrib extension, which privacybee.control requires) serves the text search
-- configuration.

-- A contact's emails (details.emails), in order; matched by structured search (equals,
-- in, not_in case-insensitively by the casefold(value) index; string_contains over the
-- member's entries).
CREATE TABLE privacybee.contact_emails (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    pos        integer NOT NULL,
    value      text NOT NULL,
    type       text,
    is_primary boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, contact_id, pos),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE
);
-- equals / in probe it; string_contains reads the member's entries of it alone (contact_id
-- and value included: no table row is read)
CREATE INDEX contact_emails_value ON privacybee.contact_emails (user_id, privacybee.casefold(value))
    INCLUDE (contact_id, value);

-- A member's tags (Contacts+ tags; SPEC §4 labels are their names). Names are unique per
-- member case-insensitively; version counts every change and is the tag's ETag.
CREATE SEQUENCE privacybee.tags_id_seq;
CREATE TABLE privacybee.tags (
    user_id bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id      bigint NOT NULL DEFAULT pg_catalog.nextval('privacybee.tags_id_seq'),
    name    text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id)
);
ALTER SEQUENCE privacybee.tags_id_seq OWNED BY privacybee.tags.id;
CREATE UNIQUE INDEX tags_name ON privacybee.tags (user_id, privacybee.casefold(name));

-- Which tags a contact carries; pos keeps the order its labels were given in.
CREATE TABLE privacybee.contact_tags (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    tag_id     bigint NOT NULL,
    pos        integer NOT NULL,
    PRIMARY KEY (user_id, contact_id, tag_id),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE,
    FOREIGN KEY (user_id, tag_id) REFERENCES privacybee.tags ON DELETE CASCADE
);
CREATE INDEX contact_tags_tag ON privacybee.contact_tags (user_id, tag_id, contact_id);

-- A contact's photo (PUT /contacts/<id>/photo): the image as uploaded, its type as its
-- bytes say (photo.c), and its ETag (a digest of the bytes). Images are compressed
-- already: stored out of line without another compression attempt.
CREATE TABLE privacybee.contact_photos (
    user_id      bigint NOT NULL,
    contact_id   bigint NOT NULL,
    content_type text NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    data         bytea NOT NULL,
    etag         text NOT NULL,
    updated      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, contact_id),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE
);
ALTER TABLE privacybee.contact_photos ALTER COLUMN data SET STORAGE EXTERNAL;

-- A contact's full-text document (extension/search_document.c), for GET /contacts?q=
-- (search_query.c), computed by contacts_reindex() in the transaction of every write of
-- what it holds. Kept apart from the contact: a contact is written once, not again for its
-- document, and a search that ranks a thousand matches reads their documents only.
CREATE TABLE privacybee.contact_documents (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    document   tsvector NOT NULL,
    PRIMARY KEY (user_id, contact_id),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE
);
CREATE INDEX contact_documents_document ON privacybee.contact_documents USING gin (document);

-- What structured search probes on contacts (search_filter.c).
CREATE INDEX contacts_created ON privacybee.contacts (user_id, created, id);
CREATE INDEX contacts_company ON privacybee.contacts (user_id, company_id)
    WHERE company_id IS NOT NULL;
CREATE INDEX contacts_display_name ON privacybee.contacts (user_id, privacybee.casefold(display_name))
    INCLUDE (id, display_name);

-- The words of a contact's search document and of a query (search_text.c): text that
-- search_text.c has reduced to letters, digits and spaces, each word without its accents
-- (unaccent) and in lower case (simple). Every token type of the default parser maps
-- alike, so no word is lost to its type.
CREATE TEXT SEARCH CONFIGURATION privacybee.contact_search (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION privacybee.contact_search
    ADD MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_asciipart,
                    hword_part, hword_numpart, email, protocol, url, host, url_path, file,
                    sfloat, float, int, uint, version, tag, entity
    WITH unaccent, pg_catalog.simple;

-- The answer of a route whose body is bytes, not JSON (GET /contacts/<id>/photo): as
-- http_response, with a bytea body that privacybee-fcgi passes through untouched.
CREATE TYPE privacybee.http_binary_response AS (status integer, headers text, body bytea);
