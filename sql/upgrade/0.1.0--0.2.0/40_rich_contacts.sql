-- Rich contacts (SPEC §9). A contact's flat lists of 0.1.0 move to where 0.2.0 keeps
-- them, nothing lost: emails to contact_emails (the first one primary, as a list without
-- a primary mark reads), addresses and the birthday to details, labels to tags (one tag
-- per member and name case-insensitively, named as the first contact to carry it spelled
-- it; a contact's labels that differ only in case become that one tag). Phones stay in
-- contact_phones, with a type (none) and a primary flag (the first). Nothing else about
-- a contact changes: not its id, version or updated.
--
-- contacts loses columns, so it is built again rather than altered: a dropped column
-- would stay in the catalog (pg_dump --binary-upgrade shows it), and the table would no
-- longer be the one a fresh install creates. Search documents (contact_documents) are
-- computed by sql/logic/98_reindex_contacts.sql, once the functions that compute them
-- exist.

ALTER TABLE privacybee.companies ADD COLUMN external_id text UNIQUE;

-- the flag is set before its default (a default given with ADD COLUMN would be kept as
-- the column's "missing value", which a fresh install's table has not)
ALTER TABLE privacybee.contact_phones
    ADD COLUMN type text,
    ADD COLUMN is_primary boolean;
UPDATE privacybee.contact_phones SET is_primary = (pos = 1);
ALTER TABLE privacybee.contact_phones
    ALTER COLUMN is_primary SET DEFAULT false,
    ALTER COLUMN is_primary SET NOT NULL;

-- the old table gives up its names and its sequence
ALTER SEQUENCE privacybee.contacts_id_seq OWNED BY NONE;
ALTER TABLE privacybee.contacts RENAME TO contacts_0_1;
ALTER INDEX privacybee.contacts_pkey RENAME TO contacts_0_1_pkey;
ALTER INDEX privacybee.contacts_user_id_external_id_key RENAME TO contacts_0_1_user_id_external_id_key;
ALTER INDEX privacybee.contacts_updated RENAME TO contacts_0_1_updated;
ALTER TABLE privacybee.contacts_0_1 RENAME CONSTRAINT contacts_user_id_fkey TO contacts_0_1_user_id_fkey;

CREATE TABLE privacybee.contacts (
    user_id      bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id           bigint NOT NULL DEFAULT pg_catalog.nextval('privacybee.contacts_id_seq'),
    external_id  text,
    display_name text NOT NULL,
    profile_icon text,
    company_id   bigint REFERENCES privacybee.companies ON DELETE SET NULL,
    details      jsonb NOT NULL DEFAULT '{}',
    risk_score   integer,
    e2ee         boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 1,
    created      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id),
    -- id included: structured search reads the member's external ids from the index alone
    UNIQUE (user_id, external_id) INCLUDE (id)
);
ALTER SEQUENCE privacybee.contacts_id_seq OWNED BY privacybee.contacts.id;

-- details in the canonical form contact_details.c writes: keys only where there is a
-- value; an address given as one string is its street, and formatted is that string
INSERT INTO privacybee.contacts (user_id, id, external_id, display_name, profile_icon, details,
                                 risk_score, e2ee, version, created, updated)
SELECT c.user_id, c.id, c.external_id, c.display_name, c.profile_icon,
       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'birthday', CASE WHEN c.birthday IS NOT NULL THEN pg_catalog.jsonb_build_object(
                           'year', EXTRACT(year FROM c.birthday)::integer,
                           'month', EXTRACT(month FROM c.birthday)::integer,
                           'day', EXTRACT(day FROM c.birthday)::integer) END,
           'addresses', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                    'street', a.v, 'formatted', a.v) ORDER BY a.pos)
                           FROM pg_catalog.unnest(c.addresses) WITH ORDINALITY AS a(v, pos)))),
       c.risk_score, c.e2ee, c.version, c.created, c.updated
  FROM privacybee.contacts_0_1 c;

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
INSERT INTO privacybee.contact_emails (user_id, contact_id, pos, value, is_primary)
SELECT c.user_id, c.id, e.pos, e.v, e.pos = 1
  FROM privacybee.contacts_0_1 c, pg_catalog.unnest(c.emails) WITH ORDINALITY AS e(v, pos);
-- equals / in probe it; string_contains reads the member's entries of it alone (contact_id
-- and value included: no table row is read)
CREATE INDEX contact_emails_value ON privacybee.contact_emails (user_id, privacybee.casefold(value))
    INCLUDE (contact_id, value);

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
-- a label's name is trimmed, as every name written since (a blank one is none)
INSERT INTO privacybee.tags (user_id, name)
SELECT DISTINCT ON (c.user_id, privacybee.casefold(privacybee.trim_name(l.v)))
       c.user_id, privacybee.trim_name(l.v)
  FROM privacybee.contacts_0_1 c, pg_catalog.unnest(c.labels) WITH ORDINALITY AS l(v, pos)
 WHERE privacybee.trim_name(l.v) <> ''
 ORDER BY c.user_id, privacybee.casefold(privacybee.trim_name(l.v)), c.id, l.pos;
CREATE UNIQUE INDEX tags_name ON privacybee.tags (user_id, privacybee.casefold(name));

CREATE TABLE privacybee.contact_tags (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    tag_id     bigint NOT NULL,
    pos        integer NOT NULL,
    PRIMARY KEY (user_id, contact_id, tag_id),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE,
    FOREIGN KEY (user_id, tag_id) REFERENCES privacybee.tags ON DELETE CASCADE
);
INSERT INTO privacybee.contact_tags (user_id, contact_id, tag_id, pos)
SELECT s.user_id, s.id, s.tag_id,
       pg_catalog.row_number() OVER (PARTITION BY s.user_id, s.id ORDER BY s.first)
  FROM (SELECT c.user_id, c.id, t.id AS tag_id, pg_catalog.min(l.pos) AS first
          FROM privacybee.contacts_0_1 c
         CROSS JOIN pg_catalog.unnest(c.labels) WITH ORDINALITY AS l(v, pos)
          JOIN privacybee.tags t ON t.user_id = c.user_id
                                AND privacybee.casefold(t.name) = privacybee.casefold(privacybee.trim_name(l.v))
         GROUP BY c.user_id, c.id, t.id) AS s;
CREATE INDEX contact_tags_tag ON privacybee.contact_tags (user_id, tag_id, contact_id);

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

-- the phones' key now names the new table; the old one goes
DROP TABLE privacybee.contacts_0_1 CASCADE;
ALTER TABLE privacybee.contact_phones
    ADD FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE;

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

CREATE INDEX contacts_updated ON privacybee.contacts (user_id, updated, id);
CREATE INDEX contacts_created ON privacybee.contacts (user_id, created, id);
CREATE INDEX contacts_company ON privacybee.contacts (user_id, company_id)
    WHERE company_id IS NOT NULL;
CREATE INDEX contacts_display_name ON privacybee.contacts (user_id, privacybee.casefold(display_name))
    INCLUDE (id, display_name);

CREATE TEXT SEARCH CONFIGURATION privacybee.contact_search (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION privacybee.contact_search
    ADD MAPPING FOR asciiword, word, numword, asciihword, hword, numhword, hword_asciipart,
                    hword_part, hword_numpart, email, protocol, url, host, url_path, file,
                    sfloat, float, int, uint, version, tag, entity
    WITH unaccent, pg_catalog.simple;

-- create_company takes the company's external_id: sql/logic/20_members.sql creates it
DROP FUNCTION privacybee.create_company(text, text, text[], text, text);

CREATE TYPE privacybee.http_binary_response AS (status integer, headers text, body bytea);
