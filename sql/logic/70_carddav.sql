-- CardDAV (SPEC §15): members' address books over WebDAV, on the contacts of §4 and §9.
--
-- Resources (the routes are api/routes' "dav" lines; privacybee-fcgi passes each request
-- to one of the api_dav_* functions below, the XML body as its JSON tree, fcgi/xml.h):
--   /.well-known/carddav          → 301 to /dav/ (RFC 6764)
--   /dav/                         the service root: current-user-principal
--   /dav/<member>/                the member's principal and address book home
--   /dav/<member>/contacts/       the member's address book
--   /dav/<member>/contacts/<name> a card: one contact, as vCard (extension/vcard.c)
--   /dav/<member>/team-<teamId>/  the address book of a team the member belongs to (SPEC
--                                 §10: a company they work for), its cards below it
-- Another member's id in a path is 404, as a missing one; so is a team the member does
-- not (or no longer) belong to (member_teams(), the one test of membership, as the
-- Contacts+ routes ask it: act_for_team()).
--
-- A team's book holds the team's contacts, the very rows the Contacts+ routes serve with
-- teamId (the team's account, sql/schema/76_teams.sql): the request acts for the team's
-- account once the member is seen to work there, and every function below serves it as
-- a member's own book, with the team's account as the owner. Its token needs, beside the
-- route's scope (contacts:read / contacts:write, as for the member's own book), the team
-- scope cplus_team_scope() maps it to (teams.contacts.read / teams.contacts.write), as
-- Contacts+ asks for a team's rows; the home lists a team's book only to a token that may
-- read it. A card a member creates in a team's book was shared by them (sharedBy), as
-- contacts.create records it. Sync tokens name the book ("<member>" or "team-<teamId>"),
-- never the team account's internal id.
--
-- A card is a contact. Its ETag is the contact's (contact_etag(id, version)), so a change
-- through REST or CardDAV is seen by both; its UID is the contact's external_id (a card
-- with a UID another card has is refused: CARDDAV:no-uid-conflict), a contact without
-- one is "privacybee-<id>"; its resource name is the client's when a client created it
-- over CardDAV, else "<id>.vcf" (a client cannot create a new card under a name of that
-- form: it could be a contact's to come; 409 pb:id-name-reserved). "<id>.vcf" is written
-- canonically: "0134.vcf" names no contact (dav_id_name()). What vCard carries that §9 does not model is
-- kept in contact_cards.extra and written back.
--
-- Collection synchronisation (RFC 6578). Every statement that writes contacts bumps its
-- members' row of contact_sync_seqs and stamps the contacts it wrote with the new
-- number (contact_cards.seq, a statement trigger). The row stays locked until the
-- writing transaction ends, so one member's writers take their numbers one after the
-- other, each after the one before committed: every change committed before a reader's
-- snapshot has a number at most the counter it sees, every change it cannot see yet
-- will have a larger one. A sync token is that counter, read in the same statement as
-- the changes after the client's token: a change is never skipped and never sent twice,
-- whatever commits meanwhile. A deleted contact's row stays (deleted) for the tombstone
-- period; a token older than the newest deletion purged since is refused (403
-- DAV:valid-sync-token), so the client starts over rather than miss it.

COMMENT ON TABLE privacybee.contact_cards IS
    'each contact (and each deleted within the tombstone period) as a CardDAV card: its client-chosen name, unmodelled vCard properties and change number';
COMMENT ON TABLE privacybee.contact_sync_seqs IS
    'each member''s latest change number of contacts (CardDAV sync token) and the newest one forgotten';

-- ---- change numbers ----------------------------------------------------------------

-- Statement trigger on contacts (INSERT, UPDATE, DELETE, each with its transition
-- table changed_rows): the members written get their next change number, their written
-- contacts carry it. A member deleted in the same statement (their contacts go by
-- cascade) is left out. SECURITY DEFINER: the member's change of a shared phone reaches
-- only their own rows, but the trigger must also run under maintenance and cascades.
CREATE OR REPLACE FUNCTION privacybee.contact_cards_track()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH members AS (
        SELECT DISTINCT r.user_id FROM changed_rows r
         WHERE EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = r.user_id)),
    numbered AS (
        INSERT INTO privacybee.contact_sync_seqs AS q (user_id, seq)
        SELECT m.user_id, 1 FROM members m ORDER BY m.user_id
        ON CONFLICT (user_id) DO UPDATE SET seq = q.seq + 1
        RETURNING q.user_id, q.seq)
    INSERT INTO privacybee.contact_cards AS k (user_id, contact_id, seq, deleted, changed)
    SELECT r.user_id, r.id, n.seq, TG_OP = 'DELETE', pg_catalog.now()
      FROM changed_rows r JOIN numbered n ON n.user_id = r.user_id
    ON CONFLICT (user_id, contact_id) DO UPDATE
       SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, changed = EXCLUDED.changed;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.contact_cards_track() IS
    'trigger: contacts written get their member''s next change number (CardDAV sync-collection)';
CREATE OR REPLACE TRIGGER contact_cards_insert AFTER INSERT ON privacybee.contacts
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.contact_cards_track();
CREATE OR REPLACE TRIGGER contact_cards_update AFTER UPDATE ON privacybee.contacts
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.contact_cards_track();
CREATE OR REPLACE TRIGGER contact_cards_delete AFTER DELETE ON privacybee.contacts
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.contact_cards_track();

-- Deleted cards past the tombstone period go; each member's purged moves to the newest
-- change number forgotten, so older sync tokens are refused. maintenance() calls it.
CREATE OR REPLACE FUNCTION privacybee.carddav_purge()
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    WITH gone AS (
        DELETE FROM privacybee.contact_cards k
         WHERE k.deleted AND k.changed < pg_catalog.now() - privacybee.tombstone_period()
        RETURNING k.user_id, k.seq),
    newest AS (
        SELECT g.user_id, pg_catalog.max(g.seq) AS seq, pg_catalog.count(*) AS n
          FROM gone g GROUP BY g.user_id),
    moved AS (
        UPDATE privacybee.contact_sync_seqs q SET purged = GREATEST(q.purged, w.seq)
          FROM newest w WHERE q.user_id = w.user_id)
    SELECT COALESCE(pg_catalog.sum(w.n), 0)::bigint INTO n FROM newest w;
    RETURN n;
END
$$;
COMMENT ON FUNCTION privacybee.carddav_purge() IS
    'forgets deleted cards past the tombstone period; older sync tokens are then refused';

-- ---- codecs (extension/vcard.c) ---------------------------------------------------

CREATE OR REPLACE FUNCTION privacybee.vcard_parse(card text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'vcard_parse'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.vcard_parse(text) IS
    'a vCard 2.1/3.0/4.0 as {"version","uid","contact","extra"}: the contact input it maps to, and the properties not modelled, as they came; 400 for what is not one vCard';

CREATE OR REPLACE FUNCTION privacybee.vcard_render(contact jsonb, uid text, extra text,
                                                  version text, rev text,
                                                  photo bytea DEFAULT NULL, photo_type text DEFAULT NULL,
                                                  groups jsonb DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'vcard_render'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.vcard_render(jsonb, text, text, text, text, bytea, text, jsonb) IS
    'a contact (as contact_json renders it) as a vCard 3.0 or 4.0, with its photo, unmodelled properties and the groups of its mapped ones';

CREATE OR REPLACE FUNCTION privacybee.dav_name_encode(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'dav_name_encode'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.dav_name_encode(text) IS
    'a resource name percent-encoded as one segment of an href';

CREATE OR REPLACE FUNCTION privacybee.dav_name_decode(segment text)
RETURNS text
AS 'MODULE_PATHNAME', 'dav_name_decode'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.dav_name_decode(text) IS
    'an href segment percent-decoded; NULL unless UTF-8 without control characters';

CREATE OR REPLACE FUNCTION privacybee.xml_text(t text)
RETURNS text
AS 'MODULE_PATHNAME', 'xml_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.xml_text(text) IS
    'text escaped as XML character data or attribute value';

-- ---- resources ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION privacybee.dav_home(uid bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT '/dav/' || uid::text || '/'
$$;
COMMENT ON FUNCTION privacybee.dav_home(bigint) IS
    'the href of a member''s principal and address book home';

CREATE OR REPLACE FUNCTION privacybee.dav_book(uid bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT privacybee.dav_home(uid) || 'contacts/'
$$;
COMMENT ON FUNCTION privacybee.dav_book(bigint) IS
    'the href of a member''s address book';

-- A team's book: its segment in a member's home (the route registry's team-{id}), which
-- its sync tokens name too.
CREATE OR REPLACE FUNCTION privacybee.dav_team_key(team bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 'team-' || team::text
$$;
COMMENT ON FUNCTION privacybee.dav_team_key(bigint) IS
    'a team''s address book''s segment in a member''s home, and its sync tokens'' key';

CREATE OR REPLACE FUNCTION privacybee.dav_team_book(uid bigint, team bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT privacybee.dav_home(uid) || privacybee.dav_team_key(team) || '/'
$$;
COMMENT ON FUNCTION privacybee.dav_team_book(bigint, bigint) IS
    'the href of a team''s address book in a member''s home';

-- The member a WebDAV request acts for: the token's, with the HTTP Basic user name (when
-- one came) their id or empty; 401 otherwise (privacybee-fcgi adds the Basic challenge).
CREATE OR REPLACE FUNCTION privacybee.dav_member(token text, scope text, params jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, scope);
BEGIN
    IF (COALESCE(params ->> 'user', '') IN ('', uid::text)) IS NOT TRUE THEN
        PERFORM privacybee.fail(401, 'the user name must be the member''s id or empty');
    END IF;
    RETURN uid;
END
$$;
COMMENT ON FUNCTION privacybee.dav_member(text, text, jsonb) IS
    'authenticates a WebDAV request: its token (the Basic password), whose member the user name must be';

-- The address book a path names (its first segment, arg "<id>" or "<id>/<name>") must
-- be the member's own: 404 otherwise, as a missing one.
CREATE OR REPLACE FUNCTION privacybee.dav_own(uid bigint, arg text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF (privacybee.parse_id(pg_catalog.split_part(arg, '/', 1)) = uid) IS NOT TRUE THEN
        PERFORM privacybee.fail(404, 'address book not found');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.dav_own(bigint, text) IS
    'a WebDAV path''s member must be the caller: 404 otherwise';

-- May token use route on a book (team: a team's)? The route's scope, and for a team's
-- book the team scope it maps to too (as dav_member() then dav_open() ask them).
CREATE OR REPLACE FUNCTION privacybee.dav_may(token text, route text, team boolean)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT privacybee.token_may(token, VARIADIC ARRAY[privacybee.route_scope(route)]
        || CASE WHEN team IS DISTINCT FROM false
                THEN ARRAY[privacybee.cplus_team_scope(privacybee.route_scope(route))] ELSE '{}' END)
$$;
COMMENT ON FUNCTION privacybee.dav_may(text, text, boolean) IS
    'whether a token may use a route on an address book (the member''s own or a team''s)';

-- May token change the cards of a book: the scopes of PUT and DELETE of a card.
CREATE OR REPLACE FUNCTION privacybee.dav_may_write(token text, team boolean)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT privacybee.dav_may(token, 'api_dav_card_put', team)
$$;
COMMENT ON FUNCTION privacybee.dav_may_write(text, boolean) IS
    'whether a token may change the cards of an address book (the member''s own or a team''s)';

-- The address book a route's path names, for the member uid whose token came (arg: the
-- route's placeholders, "<member>" or "<member>/<teamId>", then a card's name when card):
-- owner, the account whose contacts it holds — uid, or for a team's book the team's
-- account, for which the transaction acts from then on; book, its href; key, what its
-- sync tokens name; name, the card's (NULL for the book); writable, for a book (not a
-- card: its writes ask their scopes themselves), dav_may_write(). A team's book needs the team
-- scope of the route's scope (cplus_team_scope(): 403 without it, as Contacts+), then the
-- member's employment (act_for_team(): 404 otherwise). Fails closed: another member's
-- path, an unknown team, any other shape of arg is 404.
CREATE OR REPLACE FUNCTION privacybee.dav_open(token text, uid bigint, route text, arg text, card boolean,
                                              OUT owner bigint, OUT book text, OUT key text, OUT name text,
                                              OUT writable boolean)
LANGUAGE plpgsql AS $$
DECLARE
    parts text[] := pg_catalog.string_to_array(arg, '/');
    n integer := COALESCE(pg_catalog.cardinality(parts), 0) - CASE WHEN card THEN 1 ELSE 0 END;
    team bigint;
BEGIN
    PERFORM privacybee.dav_own(uid, arg);
    name := CASE WHEN card THEN parts[n + 1] END;
    IF NOT card AND n IN (1, 2) THEN
        writable := privacybee.dav_may_write(token, n = 2);
    END IF;
    IF n = 1 THEN
        owner := uid;
        book := privacybee.dav_book(uid);
        key := uid::text;
    ELSIF n = 2 THEN
        PERFORM privacybee.authenticate_member(token,
            privacybee.cplus_team_scope(privacybee.route_scope(route)));
        team := privacybee.parse_id(parts[2]);
        -- not the member's team: 404 as a missing book, naming no field (a WebDAV request
        -- has no teamId; act_for_team() would name it, and still fails closed after this)
        IF NOT EXISTS (SELECT 1 FROM privacybee.member_teams(uid) AS t(id) WHERE t.id = team) THEN
            PERFORM privacybee.fail(404, 'address book not found');
        END IF;
        owner := privacybee.act_for_team(team);
        book := privacybee.dav_team_book(uid, team);
        key := privacybee.dav_team_key(team);
    END IF;
    IF owner IS NULL OR book IS NULL OR (card AND name IS NULL) THEN
        PERFORM privacybee.fail(404, 'address book not found');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.dav_open(text, bigint, text, text, boolean) IS
    'the address book (the member''s own or a team''s) a WebDAV path names, acting for its owner: 403 / 404 otherwise';

-- cplus_lock_team() for a write to a team's book: its 404 (the employee left the team
-- while the request waited) names no field, as a WebDAV request has no teamId.
CREATE OR REPLACE FUNCTION privacybee.dav_lock_team(me bigint, owner bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF owner = me THEN
        RETURN;         -- the member's own book: nothing to lock, no subtransaction
    END IF;
    BEGIN
        PERFORM privacybee.cplus_lock_team(me, owner);
    EXCEPTION WHEN SQLSTATE 'PT404' THEN
        PERFORM privacybee.fail(404, 'address book not found');
    END;
END
$$;
COMMENT ON FUNCTION privacybee.dav_lock_team(bigint, bigint) IS
    'cplus_lock_team() for a CardDAV write: its 404 names no field';

-- The teams of the member the transaction acts for (member_teams()), each with its name
-- and its book's change number (its account's; 0 before its first contact), NULL when
-- the team's rows are not on this database: on a sharded layout a team's book lives on
-- the team's shard (docs/sharding.md), and this shard's counter of the team's account
-- counts only its copy of the team's phones — never a book's ctag. SECURITY
-- DEFINER as privacybee_system (95_row_security.sql): a team's counter is its account's
-- row, which row security shows only to a transaction acting for the team. It reads
-- rls_member() itself, never an argument, so it tells a member of their own teams only.
CREATE OR REPLACE FUNCTION privacybee.dav_member_teams(OUT team bigint, OUT name text, OUT seq bigint)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.id, c.name, CASE WHEN privacybee.is_local_member(a.id) OR a.id IS NULL THEN COALESCE(q.seq, 0) END
      FROM privacybee.member_teams(privacybee.rls_member()) AS t(id)
      JOIN privacybee.companies c ON c.id = t.id
      LEFT JOIN privacybee.people a ON a.team_of = c.id
      LEFT JOIN privacybee.contact_sync_seqs q ON q.user_id = a.id
$$;
COMMENT ON FUNCTION privacybee.dav_member_teams() IS
    'the teams of the member acting, with their names and their address books'' change numbers';

-- The id a card name of the "<id>.vcf" form names, written canonically (the id's decimal
-- digits, no leading zero: "0134.vcf" names nothing, so one card has one URL), NULL for any
-- other name. Such a name is where a contact made elsewhere is found, so no client may
-- create a new card under it (api_dav_card_put()).
CREATE OR REPLACE FUNCTION privacybee.dav_id_name(name text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN name ~ '^[1-9][0-9]{0,18}\.vcf$' THEN privacybee.parse_id(pg_catalog.left(name, -4)) END
$$;
COMMENT ON FUNCTION privacybee.dav_id_name(text) IS
    'the id a canonical "<id>.vcf" card name names, NULL for any other name';

-- The contact a card name names: a name a client chose, else "<id>.vcf" of a contact
-- whose name no client chose. NULL when none.
CREATE OR REPLACE FUNCTION privacybee.dav_card_id(uid bigint, name text)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT k.contact_id FROM privacybee.contact_cards k
          WHERE k.user_id = uid AND k.href = name AND NOT k.deleted),
        (SELECT c.id FROM privacybee.contacts c
           LEFT JOIN privacybee.contact_cards k ON k.user_id = c.user_id AND k.contact_id = c.id
          WHERE c.user_id = uid AND c.id = privacybee.dav_id_name(name) AND k.href IS NULL))
$$;
COMMENT ON FUNCTION privacybee.dav_card_id(bigint, text) IS
    'the contact of a member a card''s resource name names, NULL when none';

-- A card's vCard version from an Accept field (RFC 9110 §12.5.1, RFC 6350 §10.1's version
-- parameter): each of 3.0 and 4.0 takes the q of the most specific media range that
-- matches it (text/vcard;version=…, then text/vcard, text/*, */*); q=0 is "not
-- acceptable" (§12.4.2), so "text/vcard;version=4.0;q=0, text/vcard" is 3.0. The highest
-- q wins, then the more specific match (version=4.0 named beside text/vcard), then 3.0
-- (what iOS reads); 3.0 too when neither is acceptable (§12.5.1 lets a server ignore
-- Accept) or a range is malformed (ignored).
CREATE OR REPLACE FUNCTION privacybee.dav_vcard_version(accept text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH ranges AS (
        SELECT pg_catalog.lower(pg_catalog.btrim(e.parts[1], E' \t')) AS type,
               (SELECT pg_catalog.btrim(pg_catalog.substr(x, pg_catalog.strpos(x, '=') + 1), E' \t"')
                  FROM pg_catalog.unnest(e.parts[2:]) AS x
                 WHERE pg_catalog.lower(pg_catalog.btrim(pg_catalog.split_part(x, '=', 1), E' \t')) = 'version'
                 LIMIT 1) AS version,
               (SELECT pg_catalog.btrim(pg_catalog.substr(x, pg_catalog.strpos(x, '=') + 1), E' \t')
                  FROM pg_catalog.unnest(e.parts[2:]) AS x
                 WHERE pg_catalog.lower(pg_catalog.btrim(pg_catalog.split_part(x, '=', 1), E' \t')) = 'q'
                 LIMIT 1) AS q
          FROM pg_catalog.unnest(pg_catalog.string_to_array(accept, ',')) AS r(range)
         CROSS JOIN LATERAL (SELECT pg_catalog.string_to_array(r.range, ';') AS parts) AS e),
    weighed AS (
        SELECT g.type, g.version, COALESCE(g.q, '1')::numeric AS q
          FROM ranges g
         WHERE g.q IS NULL OR g.q ~ '^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$')
    SELECT COALESCE((
        SELECT c.v
          FROM (VALUES ('3.0'), ('4.0')) AS c(v)
         CROSS JOIN LATERAL (
               SELECT m.q, m.specificity
                 FROM (SELECT w.q, CASE WHEN w.type = 'text/vcard' AND w.version = c.v THEN 3
                                        WHEN w.type = 'text/vcard' AND w.version IS NULL THEN 2
                                        WHEN w.type = 'text/*' THEN 1
                                        WHEN w.type = '*/*' THEN 0 END AS specificity
                         FROM weighed w) AS m
                WHERE m.specificity IS NOT NULL
                ORDER BY m.specificity DESC, m.q DESC LIMIT 1) AS best
         WHERE best.q > 0
         ORDER BY best.q DESC, best.specificity DESC, c.v = '3.0' DESC
         LIMIT 1), '3.0')
$$;
COMMENT ON FUNCTION privacybee.dav_vcard_version(text) IS
    'the vCard version to write for an Accept field: 4.0 when preferred (q-values honoured), else 3.0';

-- These contacts of uid as vCards of version, in the order of ids (NULL for none of
-- theirs): one rendering of the batch (contacts_render), then each card.
CREATE OR REPLACE FUNCTION privacybee.dav_vcards(uid bigint, ids bigint[], vcard_version text)
RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.array_agg(
               CASE WHEN c.id IS NOT NULL THEN
                    privacybee.vcard_render(r.rendered::jsonb,
                        COALESCE(c.external_id, 'privacybee-' || c.id::text), k.extra, vcard_version,
                        pg_catalog.to_char(c.updated AT TIME ZONE 'UTC',
                            CASE vcard_version WHEN '4.0' THEN 'YYYYMMDD"T"HH24MISS"Z"'
                                         ELSE 'YYYY-MM-DD"T"HH24:MI:SS"Z"' END),
                        p.data, p.content_type, k.groups)
               END ORDER BY r.ord)
      FROM ROWS FROM (pg_catalog.unnest(ids),
                      pg_catalog.unnest(privacybee.contacts_render(uid, ids, true, true, true)))
           WITH ORDINALITY AS r(id, rendered, ord)
      LEFT JOIN privacybee.contacts c ON c.user_id = uid AND c.id = r.id
      LEFT JOIN privacybee.contact_cards k ON k.user_id = uid AND k.contact_id = r.id
      LEFT JOIN privacybee.contact_photos p ON p.user_id = uid AND p.contact_id = r.id
$$;
COMMENT ON FUNCTION privacybee.dav_vcards(bigint, bigint[], text) IS
    'contacts of a member as vCards of a version, in the order of ids';

-- ---- XML ----------------------------------------------------------------------------

-- An element of a property named in Clark notation ("{DAV:}getetag"), its content XML
-- (NULL: empty). The namespaces the multistatus declares have their prefixes; any other
-- is declared on the element.
CREATE OR REPLACE FUNCTION privacybee.dav_element(clark text, content text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '<' || t.tag || t.decl || COALESCE('>' || content || '</' || t.tag || '>', '/>')
      FROM (SELECT CASE s.ns WHEN 'DAV:' THEN 'd:' WHEN 'urn:ietf:params:xml:ns:carddav' THEN 'card:'
                             WHEN 'http://calendarserver.org/ns/' THEN 'cs:' ELSE 'x:' END || s.local AS tag,
                   CASE WHEN s.ns IN ('DAV:', 'urn:ietf:params:xml:ns:carddav', 'http://calendarserver.org/ns/')
                        THEN '' ELSE ' xmlns:x="' || privacybee.xml_text(s.ns) || '"' END AS decl
              FROM (SELECT pg_catalog.substring(clark, '^\{([^}]*)\}') AS ns,
                           pg_catalog.substring(clark, '^\{[^}]*\}(.+)$') AS local) AS s) AS t
$$;
COMMENT ON FUNCTION privacybee.dav_element(text, text) IS
    'an XML element of a property named {namespace}local, with its content';

-- One <response>: href, the properties asked for (wanted, NULL: all of props) that the
-- resource has in a 200 propstat (props: name → content XML, JSON null for empty), those
-- it has not in a 404 propstat.
CREATE OR REPLACE FUNCTION privacybee.dav_response(href text, props jsonb, wanted text[])
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '<d:response><d:href>' || privacybee.xml_text(href) || '</d:href>'
        || COALESCE('<d:propstat><d:prop>'
                    || (SELECT pg_catalog.string_agg(privacybee.dav_element(w.k, props ->> w.k), '' ORDER BY w.o)
                          FROM pg_catalog.unnest(COALESCE(wanted,
                                   ARRAY(SELECT pg_catalog.jsonb_object_keys(props))))
                               WITH ORDINALITY AS w(k, o)
                         WHERE props ? w.k)
                    || '</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>', '')
        || COALESCE('<d:propstat><d:prop>'
                    || (SELECT pg_catalog.string_agg(privacybee.dav_element(w.k, NULL), '' ORDER BY w.o)
                          FROM pg_catalog.unnest(wanted) WITH ORDINALITY AS w(k, o)
                         WHERE NOT props ? w.k)
                    || '</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>', '')
        || '</d:response>'
$$;
COMMENT ON FUNCTION privacybee.dav_response(text, jsonb, text[]) IS
    'a WebDAV multistatus response: the properties asked for, found (200) and not (404)';

-- A 207 Multistatus of these responses (and a sync-token, for sync-collection). Every XML
-- document the CardDAV side writes is made by this function or dav_error(), each through
-- clean_text(): well-formed whatever text is stored (a control character stored before the
-- input rule, or by SQL around it, comes out as U+FFFD).
CREATE OR REPLACE FUNCTION privacybee.dav_multistatus(responses text, sync_token text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(207, 'Content-Type: application/xml; charset=utf-8',
               pg_catalog.convert_to(privacybee.clean_text(
                   '<?xml version="1.0" encoding="utf-8"?>' || E'\n'
                   || '<d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"'
                   || ' xmlns:cs="http://calendarserver.org/ns/">' || COALESCE(responses, '')
                   || COALESCE('<d:sync-token>' || privacybee.xml_text(sync_token) || '</d:sync-token>', '')
                   || '</d:multistatus>' || E'\n'), 'UTF8'))::privacybee.http_binary_response
$$;
COMMENT ON FUNCTION privacybee.dav_multistatus(text, text) IS
    'a 207 Multistatus answer of WebDAV responses';

-- A WebDAV error answer (RFC 4918 §16): status, and the precondition's element.
CREATE OR REPLACE FUNCTION privacybee.dav_error(status integer, condition text)
RETURNS privacybee.http_binary_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(status, 'Content-Type: application/xml; charset=utf-8',
               pg_catalog.convert_to(privacybee.clean_text(
                   '<?xml version="1.0" encoding="utf-8"?>' || E'\n'
                   || '<d:error xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">'
                   || condition || '</d:error>' || E'\n'), 'UTF8'))::privacybee.http_binary_response
$$;
COMMENT ON FUNCTION privacybee.dav_error(integer, text) IS
    'a WebDAV error answer naming the precondition that failed';

-- The children of an element of the request's tree (fcgi/xml.h) named name.
CREATE OR REPLACE FUNCTION privacybee.dav_children(element jsonb, name text)
RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT c FROM pg_catalog.jsonb_array_elements(
                      CASE WHEN pg_catalog.jsonb_typeof(element -> 'c') = 'array'
                           THEN element -> 'c' ELSE '[]' END) AS c
     WHERE pg_catalog.jsonb_typeof(c) = 'object' AND c ->> 'n' = name
$$;
COMMENT ON FUNCTION privacybee.dav_children(jsonb, text) IS
    'the child elements of a request element with this {namespace}local name';

-- The properties a PROPFIND (or REPORT) body asks for: the names inside its <prop>;
-- NULL for all (no body, allprop, propname). 400 when the body is not a root element.
CREATE OR REPLACE FUNCTION privacybee.dav_wanted(body jsonb, root text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    prop jsonb;
BEGIN
    IF body IS NULL THEN
        RETURN NULL;
    END IF;
    IF (body ->> 'n' = root) IS NOT TRUE THEN
        PERFORM privacybee.fail(400, pg_catalog.format('the body must be a %s element', root));
    END IF;
    IF EXISTS (SELECT 1 FROM privacybee.dav_children(body, '{DAV:}allprop'))
       OR EXISTS (SELECT 1 FROM privacybee.dav_children(body, '{DAV:}propname')) THEN
        RETURN NULL;
    END IF;
    SELECT c INTO prop FROM privacybee.dav_children(body, '{DAV:}prop') AS c LIMIT 1;
    IF prop IS NULL THEN
        IF root = '{DAV:}propfind' THEN
            PERFORM privacybee.fail(400, 'propfind must hold prop, allprop or propname');
        END IF;
        RETURN '{}';
    END IF;
    RETURN ARRAY(SELECT c ->> 'n' FROM pg_catalog.jsonb_array_elements(prop -> 'c') AS c
                  WHERE pg_catalog.jsonb_typeof(c) = 'object');
END
$$;
COMMENT ON FUNCTION privacybee.dav_wanted(jsonb, text) IS
    'the property names a PROPFIND or REPORT body asks for; NULL for all';

-- The Depth header field of a PROPFIND: 0 or 1 (infinity, the default, is answered as 1:
-- an address book holds no collections).
CREATE OR REPLACE FUNCTION privacybee.dav_depth(params jsonb)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE pg_catalog.lower(COALESCE(params ->> 'depth', 'infinity'))
        WHEN '0' THEN RETURN 0;
        WHEN '1', 'infinity' THEN RETURN 1;
        ELSE PERFORM privacybee.bad_field('Depth', 'must be 0, 1 or infinity');
    END CASE;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.dav_depth(jsonb) IS
    'a PROPFIND''s Depth: 0, or 1 for 1 and infinity; 400 otherwise';

-- The sync token of an address book at change number seq (also its CTag); key names the
-- book: the member's id for their own, "team-<teamId>" for a team's (dav_open()).
CREATE OR REPLACE FUNCTION privacybee.dav_sync_token(key text, seq bigint)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 'urn:privacybee:sync:' || key || ':' || seq::text
$$;
COMMENT ON FUNCTION privacybee.dav_sync_token(text, bigint) IS
    'the sync token (and CTag) of an address book (its key) at a change number';

-- The properties of a member's principal / home, and of their address book.
CREATE OR REPLACE FUNCTION privacybee.dav_home_props(uid bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object(
        '{DAV:}resourcetype', '<d:collection/><d:principal/>',
        '{DAV:}displayname', privacybee.xml_text(p.first_name || ' ' || p.last_name),
        '{DAV:}current-user-principal', h.href,
        '{DAV:}principal-URL', h.href,
        '{DAV:}owner', h.href,
        '{urn:ietf:params:xml:ns:carddav}addressbook-home-set', h.href,
        '{DAV:}principal-collection-set', '<d:href>/dav/</d:href>')
      FROM privacybee.people p,
           LATERAL (SELECT '<d:href>' || privacybee.dav_home(uid) || '</d:href>' AS href) AS h
     WHERE p.id = uid
$$;
COMMENT ON FUNCTION privacybee.dav_home_props(bigint) IS
    'the WebDAV properties of a member''s principal and address book home';

-- An address book's properties (uid: the member asking; key: the book's, dav_open();
-- title: its display name; writable: the token may change its cards, dav_may_write()) at
-- a change number. A team's book has no owner among the principals (the team is none).
-- seq NULL: the change number is not known here (a team's book listed in a home on
-- another shard, dav_member_teams()): getctag and sync-token are not given (a PROPFIND
-- answers them 404), so a client asks the book itself rather than believe a wrong one.
CREATE OR REPLACE FUNCTION privacybee.dav_book_props(uid bigint, key text, title text, seq bigint,
                                                    writable boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN key = uid::text
                THEN pg_catalog.jsonb_build_object('{DAV:}owner', '<d:href>' || privacybee.dav_home(uid) || '</d:href>')
                ELSE '{}' END
        || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        '{DAV:}resourcetype', '<d:collection/><card:addressbook/>',
        '{DAV:}displayname', privacybee.xml_text(title),
        '{http://calendarserver.org/ns/}getctag', privacybee.dav_sync_token(key, seq),
        '{DAV:}sync-token', privacybee.dav_sync_token(key, seq),
        '{DAV:}current-user-principal', '<d:href>' || privacybee.dav_home(uid) || '</d:href>',
        '{urn:ietf:params:xml:ns:carddav}supported-address-data',
            '<card:address-data-type content-type="text/vcard" version="3.0"/>'
            || '<card:address-data-type content-type="text/vcard" version="4.0"/>',
        '{DAV:}supported-report-set',
            '<d:supported-report><d:report><card:addressbook-multiget/></d:report></d:supported-report>'
            || '<d:supported-report><d:report><card:addressbook-query/></d:report></d:supported-report>'
            || '<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>',
        '{DAV:}current-user-privilege-set',
            '<d:privilege><d:read/></d:privilege>'
            || CASE WHEN writable THEN '<d:privilege><d:write/></d:privilege>'
                    || '<d:privilege><d:write-content/></d:privilege><d:privilege><d:bind/></d:privilege>'
                    || '<d:privilege><d:unbind/></d:privilege>' ELSE '' END))
$$;
COMMENT ON FUNCTION privacybee.dav_book_props(bigint, text, text, bigint, boolean) IS
    'the WebDAV properties of an address book (a member''s own or a team''s) at a change number';

-- A card's <response> in a multistatus (extension/vcard.c, one call per card: a listing
-- writes thousands): the properties asked for (wanted; NULL: getetag, getcontenttype,
-- resourcetype, getlastmodified, and address-data when given), found (200) and not (404).
CREATE OR REPLACE FUNCTION privacybee.dav_card_response(href text, etag text, modified timestamptz,
                                                       address_data text, wanted text[])
RETURNS text
AS 'MODULE_PATHNAME', 'dav_card_response'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.dav_card_response(text, text, timestamp with time zone, text, text[]) IS
    'a card''s WebDAV multistatus response: the properties asked for, found (200) and not (404)';

-- The member's current change number (0 before their first change).
CREATE OR REPLACE FUNCTION privacybee.dav_seq(uid bigint)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT q.seq FROM privacybee.contact_sync_seqs q WHERE q.user_id = uid), 0)
$$;
COMMENT ON FUNCTION privacybee.dav_seq(bigint) IS
    'a member''s latest committed change number of contacts';

-- ---- routes ---------------------------------------------------------------------------

-- OPTIONS on any CardDAV path (no token: a client asks before it authenticates). Its
-- Allow is the route registry's for the path, which privacybee-fcgi adds (the list a 405
-- on the path names too): methods are routed there, and written nowhere else.
CREATE OR REPLACE FUNCTION privacybee.api_dav_options(token text, arg text, params jsonb, body jsonb,
                                                     if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(200, 'DAV: 1, 3, addressbook', NULL)::privacybee.http_binary_response
$$;

-- /.well-known/carddav (RFC 6764 §5): the service root.
CREATE OR REPLACE FUNCTION privacybee.api_dav_well_known(token text, arg text, params jsonb, body jsonb,
                                                        if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(301, 'Location: /dav/', NULL)::privacybee.http_binary_response
$$;

-- PROPFIND /dav/ (and /, where a client given only the host asks): who the caller is.
CREATE OR REPLACE FUNCTION privacybee.api_dav_propfind_root(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_propfind_root'), params);
    wanted text[] := privacybee.dav_wanted(body, '{DAV:}propfind');
BEGIN
    PERFORM privacybee.dav_depth(params);
    RETURN privacybee.dav_multistatus(privacybee.dav_response(
        CASE WHEN params ->> 'path' = '/' THEN '/' ELSE '/dav/' END,
        pg_catalog.jsonb_build_object(
            '{DAV:}resourcetype', '<d:collection/>',
            '{DAV:}displayname', 'privacybee',
            '{DAV:}current-user-principal', '<d:href>' || privacybee.dav_home(uid) || '</d:href>',
            '{DAV:}principal-collection-set', '<d:href>/dav/</d:href>'), wanted));
END
$$;

-- PROPFIND /dav/<member>/: the principal and address book home; Depth 1 its books: the
-- member's own, and each of their teams' when the token may read it (the team scope
-- dav_open() asks of a team's book; a token without it sees the member's own only).
CREATE OR REPLACE FUNCTION privacybee.api_dav_propfind_home(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_propfind_home'), params);
    wanted text[] := privacybee.dav_wanted(body, '{DAV:}propfind');
    depth integer := privacybee.dav_depth(params);
    teams boolean := false;
    team_writable boolean := false;
BEGIN
    PERFORM privacybee.dav_own(uid, arg);
    IF depth = 1 THEN
        team_writable := privacybee.dav_may_write(token, true);
        BEGIN
            PERFORM privacybee.authenticate_member(token,
                privacybee.cplus_team_scope(privacybee.route_scope('api_dav_propfind_book')));
            teams := true;
        EXCEPTION WHEN SQLSTATE 'PT403' THEN
            teams := false;
        END;
    END IF;
    RETURN privacybee.dav_multistatus(
        privacybee.dav_response(privacybee.dav_home(uid), privacybee.dav_home_props(uid), wanted)
        || CASE WHEN depth = 1 THEN privacybee.dav_response(privacybee.dav_book(uid),
                    privacybee.dav_book_props(uid, uid::text, 'Contacts', privacybee.dav_seq(uid),
                                              privacybee.dav_may_write(token, false)), wanted)
                || COALESCE((SELECT pg_catalog.string_agg(privacybee.dav_response(
                                 privacybee.dav_team_book(uid, t.team),
                                 privacybee.dav_book_props(uid, privacybee.dav_team_key(t.team), t.name, t.seq,
                                                           team_writable), wanted),
                                 '' ORDER BY t.team)
                               FROM privacybee.dav_member_teams() AS t WHERE teams), '')
           ELSE '' END);
END
$$;

-- PROPFIND /dav/<member>/contacts/ (or a team's book): the address book; Depth 1 every
-- card too.
CREATE OR REPLACE FUNCTION privacybee.api_dav_propfind_book(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_propfind_book'), params);
    wanted text[] := privacybee.dav_wanted(body, '{DAV:}propfind');
    depth integer := privacybee.dav_depth(params);
    b record := privacybee.dav_open(token, me, 'api_dav_propfind_book', arg, false);
    uid bigint := b.owner;
    book text := b.book;
    out text;
BEGIN
    -- one statement: the CTag and the cards of one snapshot
    SELECT privacybee.dav_response(book, privacybee.dav_book_props(me, b.key,
               COALESCE((SELECT c.name FROM privacybee.companies c
                          JOIN privacybee.people a ON a.team_of = c.id WHERE a.id = uid), 'Contacts'),
               privacybee.dav_seq(uid), b.writable), wanted)
           || CASE WHEN depth = 1 THEN COALESCE((
                  SELECT pg_catalog.string_agg(privacybee.dav_card_response(
                             book || privacybee.dav_name_encode(COALESCE(k.href, c.id::text || '.vcf')),
                             privacybee.contact_etag(c.id, c.version), c.updated, NULL, wanted), '' ORDER BY c.id)
                    FROM privacybee.contacts c
                    LEFT JOIN privacybee.contact_cards k ON k.user_id = c.user_id AND k.contact_id = c.id
                   WHERE c.user_id = uid), '') ELSE '' END
      INTO out;
    RETURN privacybee.dav_multistatus(out);
END
$$;

-- PROPFIND of one card.
CREATE OR REPLACE FUNCTION privacybee.api_dav_propfind_card(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_propfind_card'), params);
    wanted text[] := privacybee.dav_wanted(body, '{DAV:}propfind');
    depth integer := privacybee.dav_depth(params);
    b record := privacybee.dav_open(token, me, 'api_dav_propfind_card', arg, true);
    uid bigint := b.owner;
    name text := b.name;
    c privacybee.contacts;
BEGIN
    SELECT * INTO c FROM privacybee.contacts x
     WHERE x.user_id = uid AND x.id = privacybee.dav_card_id(uid, name);
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'card not found');
    END IF;
    RETURN privacybee.dav_multistatus(privacybee.dav_card_response(
        b.book || privacybee.dav_name_encode(name),
        privacybee.contact_etag(c.id, c.version), c.updated, NULL, wanted));
END
$$;

-- GET (and HEAD) of a card: the vCard of the version Accept asks for (3.0 by default).
CREATE OR REPLACE FUNCTION privacybee.api_dav_card_get(token text, arg text, params jsonb, body jsonb,
                                                      if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_card_get'), params);
    b record := privacybee.dav_open(token, me, 'api_dav_card_get', arg, true);
    uid bigint := b.owner;
    name text := b.name;
    c privacybee.contacts;
    etag text;
BEGIN
    SELECT * INTO c FROM privacybee.contacts x
     WHERE x.user_id = uid AND x.id = privacybee.dav_card_id(uid, name);
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'card not found');
    END IF;
    etag := privacybee.contact_etag(c.id, c.version);
    IF privacybee.check_preconditions(if_match, if_none_match, etag, true) THEN
        RETURN ROW(304, 'ETag: ' || etag, NULL)::privacybee.http_binary_response;
    END IF;
    RETURN ROW(200, 'Content-Type: text/vcard; charset=utf-8' || E'\nETag: ' || etag,
               pg_catalog.convert_to((privacybee.dav_vcards(uid, ARRAY[c.id],
                   privacybee.dav_vcard_version(params ->> 'accept')))[1], 'UTF8'))::privacybee.http_binary_response;
END
$$;

-- A parsed card (vcard_parse) whose mapped properties all fit the contact model: one
-- whose value the contact validator refuses (contact_problems(): an EMAIL that is no
-- address, an empty one, a TYPE longer than a label, ...) leaves the contact and is kept
-- among the unmodelled properties, as it came (SPEC §15: "parsed strictly but
-- tolerantly"), so a phone's first sync is not refused for one odd line. A list entry
-- goes alone; name, birthday, notes become none; a bad tag takes its CATEGORIES lines.
CREATE OR REPLACE FUNCTION privacybee.dav_card_fit(uid bigint, card jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    contact jsonb := card -> 'contact';
    refused text[];
    list text;
    k text;
BEGIN
    -- the mapped fields a problem names, or names a part of
    SELECT pg_catalog.array_agg(DISTINCT m.key) INTO refused
      FROM pg_catalog.jsonb_each_text(COALESCE(card -> 'mapped', '{}')) AS m,
           pg_catalog.jsonb_array_elements(privacybee.contact_problems(uid, contact)) AS pr
     WHERE pr ->> 'field' = m.key OR pg_catalog.starts_with(pr ->> 'field', m.key || '.')
           OR pg_catalog.starts_with(pr ->> 'field', m.key || '[');
    IF refused IS NULL THEN
        RETURN card;
    END IF;
    FOR list IN SELECT DISTINCT (pg_catalog.regexp_match(r, '^details\.([a-z_]+)\[[0-9]+\]$'))[1]
                  FROM pg_catalog.unnest(refused) AS r WHERE r ~ '^details\.[a-z_]+\[[0-9]+\]$' LOOP
        contact := pg_catalog.jsonb_set(contact, ARRAY['details', list], COALESCE(
            (SELECT pg_catalog.jsonb_agg(x.e ORDER BY x.i)
               FROM pg_catalog.jsonb_array_elements(contact -> 'details' -> list) WITH ORDINALITY AS x(e, i)
              WHERE NOT ('details.' || list || '[' || (x.i - 1)::text || ']') = ANY (refused)), '[]'));
    END LOOP;
    FOREACH k IN ARRAY refused LOOP
        IF k = 'labels' THEN
            contact := pg_catalog.jsonb_set(contact, '{labels}', '[]');
        ELSIF k !~ '\]$' THEN
            contact := pg_catalog.jsonb_set(contact, pg_catalog.string_to_array(k, '.'), 'null');
        END IF;
    END LOOP;
    RETURN card || pg_catalog.jsonb_build_object('contact', contact, 'extra',
        COALESCE(card ->> 'extra', '')
        || (SELECT pg_catalog.string_agg(card -> 'mapped' ->> r, '' ORDER BY r) FROM pg_catalog.unnest(refused) AS r));
END
$$;
COMMENT ON FUNCTION privacybee.dav_card_fit(bigint, jsonb) IS
    'a parsed vCard whose mapped properties the contact model refuses kept as unmodelled lines instead';

-- PUT of a card: creates it (201) or replaces the whole contact (204), with the client's
-- name, UID and unmodelled properties. Order: the preconditions (412) before the body is
-- read (400), then the UID (409 no-uid-conflict). A new card cannot take a name of the
-- "<id>.vcf" form (409): that is where a contact made elsewhere would be found.
CREATE OR REPLACE FUNCTION privacybee.api_dav_card_put(token text, arg text, params jsonb, body text,
                                                      if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_card_put'), params);
    b record := privacybee.dav_open(token, me, 'api_dav_card_put', arg, true);
    uid bigint := b.owner;
    name text := b.name;
    cid bigint;
    v integer;
    card jsonb;
    other bigint;
    created boolean;
    photo bytea;
BEGIN
    -- a team's: locked as the Contacts+ writes lock it, and me still works there
    PERFORM privacybee.dav_lock_team(me, uid);
    -- a contact's phones are part of the member's trust decisions (50_trust_graph.sql)
    PERFORM privacybee.trust_lock_caller(uid);
    cid := privacybee.dav_card_id(uid, name);
    SELECT x.version INTO v FROM privacybee.contacts x WHERE x.user_id = uid AND x.id = cid FOR UPDATE;
    PERFORM privacybee.check_preconditions(if_match, if_none_match,
                                           CASE WHEN v IS NOT NULL THEN privacybee.contact_etag(cid, v) END, false);
    created := v IS NULL;
    IF created AND privacybee.dav_id_name(name) IS NOT NULL THEN
        -- RFC 4918 §16 lets a server name its own precondition: ours says which rule failed
        RETURN privacybee.dav_error(409, '<pb:id-name-reserved xmlns:pb="urn:privacybee:dav">'
            || 'a new card cannot take a name of the form &lt;id&gt;.vcf: such a name is a contact''s '
            || 'made elsewhere; choose another name</pb:id-name-reserved>');
    END IF;
    card := privacybee.dav_card_fit(uid, privacybee.vcard_parse(COALESCE(body, '')));
    SELECT x.id INTO other FROM privacybee.contacts x
     WHERE x.user_id = uid AND x.external_id = card ->> 'uid' AND x.id IS DISTINCT FROM cid;
    IF other IS NOT NULL THEN
        -- the card that has the UID, by its href (RFC 6352 §6.3.2.1) — unless the token may
        -- not read the book's cards: a write-only token learns no name it could not read
        -- (the href is optional). The href is read first: dav_may() acts for the member again.
        name := b.book || privacybee.dav_name_encode(
                   (SELECT COALESCE(k.href, other::text || '.vcf') FROM privacybee.contact_cards k
                     WHERE k.user_id = uid AND k.contact_id = other
                    UNION ALL SELECT other::text || '.vcf' LIMIT 1));
        RETURN privacybee.dav_error(409, '<card:no-uid-conflict>'
            || CASE WHEN privacybee.dav_may(token, 'api_dav_card_get', uid <> me)
                    THEN '<d:href>' || privacybee.xml_text(name) || '</d:href>' ELSE '' END
            || '</card:no-uid-conflict>');
    END IF;
    IF created THEN
        -- a card the member deleted may come back by its UID: the contact is restored
        cid := (privacybee.sync_contacts(uid, pg_catalog.jsonb_build_array(
                    (card -> 'contact') || '{"restore": true}')))[1];
        -- the name of a deleted card is free again
        UPDATE privacybee.contact_cards k SET href = NULL
         WHERE k.user_id = uid AND k.href = name AND k.deleted;
        IF uid <> me THEN
            -- a team's contact: the employee who shared it with the team (contacts.create)
            UPDATE privacybee.contacts x SET shared_by = me WHERE x.user_id = uid AND x.id = cid;
        END IF;
    ELSE
        PERFORM privacybee.update_contact(uid, cid, card -> 'contact');
    END IF;
    -- an inline PHOTO that is an image privacybee reads is the contact's photo (its version
    -- moved with the write above); any other stays among the unmodelled properties; a card
    -- without one removes the contact's
    BEGIN
        photo := pg_catalog.decode(card #>> '{photo,base64}', 'base64');
    EXCEPTION WHEN invalid_parameter_value THEN
        photo := NULL;          -- not base64: kept as it came, like any photo not read
    END;
    IF photo IS NOT NULL AND pg_catalog.octet_length(photo) <= privacybee.photo_max_bytes()
       AND (privacybee.image_header(photo)).content_type IS NOT NULL THEN
        PERFORM privacybee.contact_photo_store(uid, cid, photo);
    ELSE
        DELETE FROM privacybee.contact_photos x WHERE x.user_id = uid AND x.contact_id = cid;
        IF card ? 'photo' THEN
            -- first, where it stood before any other PHOTO the card has
            card := pg_catalog.jsonb_set(card, '{extra}', pg_catalog.to_jsonb(
                        (card #>> '{photo,line}') || E'\r\n' || COALESCE(card ->> 'extra', '')));
        END IF;
    END IF;
    UPDATE privacybee.contact_cards k
       SET href = CASE WHEN created THEN name ELSE k.href END, extra = card ->> 'extra',
           groups = card -> 'groups'
     WHERE k.user_id = uid AND k.contact_id = cid;
    SELECT x.version INTO v FROM privacybee.contacts x WHERE x.user_id = uid AND x.id = cid;
    RETURN ROW(CASE WHEN created THEN 201 ELSE 204 END,
               'ETag: ' || privacybee.contact_etag(cid, v), NULL)::privacybee.http_binary_response;
END
$$;

-- DELETE of a card: the contact goes, its tombstone stays (sync-collection reports it).
CREATE OR REPLACE FUNCTION privacybee.api_dav_card_delete(token text, arg text, params jsonb, body jsonb,
                                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_card_delete'), params);
    b record := privacybee.dav_open(token, me, 'api_dav_card_delete', arg, true);
    uid bigint := b.owner;
    name text := b.name;
    cid bigint;
    v integer;
BEGIN
    PERFORM privacybee.dav_lock_team(me, uid);
    PERFORM privacybee.trust_lock_caller(uid);
    cid := privacybee.dav_card_id(uid, name);
    SELECT x.version INTO v FROM privacybee.contacts x WHERE x.user_id = uid AND x.id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'card not found');
    END IF;
    PERFORM privacybee.check_preconditions(if_match, if_none_match, privacybee.contact_etag(cid, v), false);
    PERFORM privacybee.contact_remove(uid, cid);
    RETURN ROW(204, NULL, NULL)::privacybee.http_binary_response;
END
$$;

-- Text of a filter's value folded by a collation of RFC 4790 a text-match names (RFC 6352
-- §8.3): i;unicode-casemap (the default) by privacybee.casefold, whatever the database's
-- locale; i;ascii-casemap folds ASCII letters alone; i;octet compares the octets.
CREATE OR REPLACE FUNCTION privacybee.dav_collate(s text, coll text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE COALESCE(coll, 'i;unicode-casemap')
               WHEN 'i;octet' THEN s
               WHEN 'i;ascii-casemap' THEN pg_catalog.lower(s COLLATE "C")
               ELSE privacybee.casefold(s) END
$$;
COMMENT ON FUNCTION privacybee.dav_collate(text, text) IS
    'text folded by a CardDAV text-match collation (i;unicode-casemap, i;ascii-casemap, i;octet)';

-- What an addressbook-query filter asks that is not served (RFC 6352 §10.5, §8.6): the
-- 403 answer naming it, NULL when every part is served. Served: prop-filters on FN,
-- EMAIL and TEL (the properties privacybee indexes; any other, and every param-filter,
-- is CARDDAV:supported-filter), the three collations dav_collate() knows (others
-- CARDDAV:supported-collation). A test or match-type that RFC 6352 does not define is a
-- 400 naming it: silently reading it as the default would answer another question.
CREATE OR REPLACE FUNCTION privacybee.dav_query_refusal(filter jsonb)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    bad text;
BEGIN
    IF filter IS NULL THEN
        RETURN NULL;
    END IF;
    IF COALESCE(filter -> 'a' ->> 'test', 'anyof') NOT IN ('anyof', 'allof') THEN
        PERFORM privacybee.bad_field('filter.test', 'must be anyof or allof');
    END IF;
    SELECT pg_catalog.string_agg(x.e, '') INTO bad
      FROM (SELECT '<card:prop-filter name="' || privacybee.xml_text(COALESCE(pf -> 'a' ->> 'name', ''))
                   || '"/>' AS e
              FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf
             WHERE pg_catalog.upper(COALESCE(pf -> 'a' ->> 'name', '')) NOT IN ('FN', 'EMAIL', 'TEL')
            UNION ALL
            SELECT '<card:param-filter name="' || privacybee.xml_text(COALESCE(prm -> 'a' ->> 'name', ''))
                   || '"/>'
              FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf,
                   privacybee.dav_children(pf, '{urn:ietf:params:xml:ns:carddav}param-filter') AS prm) AS x;
    IF bad IS NOT NULL THEN
        RETURN privacybee.dav_error(403, '<card:supported-filter>' || bad || '</card:supported-filter>');
    END IF;
    IF EXISTS (SELECT 1 FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf
                WHERE COALESCE(pf -> 'a' ->> 'test', 'anyof') NOT IN ('anyof', 'allof')) THEN
        PERFORM privacybee.bad_field('prop-filter.test', 'must be anyof or allof');
    END IF;
    SELECT tm -> 'a' ->> 'collation' INTO bad
      FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf,
           privacybee.dav_children(pf, '{urn:ietf:params:xml:ns:carddav}text-match') AS tm
     WHERE COALESCE(tm -> 'a' ->> 'collation', 'i;unicode-casemap')
           NOT IN ('i;unicode-casemap', 'i;ascii-casemap', 'i;octet')
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RETURN privacybee.dav_error(403, '<card:supported-collation>' || privacybee.xml_text(bad)
                                         || '</card:supported-collation>');
    END IF;
    IF EXISTS (SELECT 1 FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf,
                             privacybee.dav_children(pf, '{urn:ietf:params:xml:ns:carddav}text-match') AS tm
                WHERE COALESCE(tm -> 'a' ->> 'match-type', 'contains')
                      NOT IN ('equals', 'contains', 'starts-with', 'ends-with')) THEN
        PERFORM privacybee.bad_field('text-match.match-type', 'must be equals, contains, starts-with or ends-with');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.dav_query_refusal(jsonb) IS
    'the 403 (supported-filter, supported-collation) for what an addressbook-query filter asks that is not served, NULL when all is';

-- Does a card match an addressbook-query filter (RFC 6352 §10.5)? dav_query_refusal()
-- has passed it: prop-filters on FN, EMAIL, TEL. A prop-filter with is-not-defined
-- matches a card without the property; one with no text-match, a card with it; else its
-- text-matches (match-type equals, contains (default), starts-with, ends-with,
-- negate-condition, in the collation dav_collate() applies) joined by its test. The
-- filter's prop-filters are joined by its test: anyof (the default) or allof.
CREATE OR REPLACE FUNCTION privacybee.dav_query_matches(filter jsonb, display_name text,
                                                       emails text[], phones text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN COALESCE(filter -> 'a' ->> 'test', 'anyof') = 'allof'
                THEN COALESCE(pg_catalog.bool_and(m.ok), true)
                ELSE COALESCE(pg_catalog.bool_or(m.ok), true) END
      FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM privacybee.dav_children(pf,
                                         '{urn:ietf:params:xml:ns:carddav}is-not-defined'))
                        THEN v.n = 0
                        ELSE (SELECT CASE WHEN COALESCE(pf -> 'a' ->> 'test', 'anyof') = 'allof'
                                          THEN COALESCE(pg_catalog.bool_and(t.ok), v.n > 0)
                                          ELSE COALESCE(pg_catalog.bool_or(t.ok), v.n > 0) END
                      FROM (SELECT (COALESCE(tm -> 'a' ->> 'negate-condition', 'no') = 'yes')
                                   <> EXISTS (
                                   SELECT 1 FROM pg_catalog.unnest(v.vals) AS x(val),
                                          LATERAL (SELECT privacybee.dav_collate(x.val, tm -> 'a' ->> 'collation') AS fv,
                                                          privacybee.dav_collate(q.s, tm -> 'a' ->> 'collation') AS fs) AS f
                                    WHERE CASE COALESCE(tm -> 'a' ->> 'match-type', 'contains')
                                              WHEN 'equals' THEN f.fv = f.fs
                                              WHEN 'starts-with' THEN pg_catalog.starts_with(f.fv, f.fs)
                                              WHEN 'ends-with' THEN pg_catalog.right(f.fv, pg_catalog.length(f.fs)) = f.fs
                                              ELSE pg_catalog.strpos(f.fv, f.fs) > 0 END) AS ok
                              FROM privacybee.dav_children(pf, '{urn:ietf:params:xml:ns:carddav}text-match') AS tm,
                                   LATERAL (SELECT COALESCE((SELECT pg_catalog.string_agg(e #>> '{}', '')
                                                               FROM pg_catalog.jsonb_array_elements(tm -> 'c') AS e
                                                              WHERE pg_catalog.jsonb_typeof(e) = 'string'), '') AS s) AS q) AS t
                   ) END AS ok
              FROM privacybee.dav_children(filter, '{urn:ietf:params:xml:ns:carddav}prop-filter') AS pf,
                   LATERAL (SELECT x.vals, COALESCE(pg_catalog.cardinality(x.vals), 0) AS n
                              FROM (SELECT CASE pg_catalog.upper(pf -> 'a' ->> 'name')
                                               WHEN 'FN' THEN ARRAY[display_name]
                                               WHEN 'EMAIL' THEN emails
                                               WHEN 'TEL' THEN phones
                                               ELSE '{}'::text[] END AS vals) AS x) AS v) AS m
$$;
COMMENT ON FUNCTION privacybee.dav_query_matches(jsonb, text, text[], text[]) IS
    'whether a card''s FN, EMAIL and TEL values match a CardDAV addressbook-query filter';

-- A card's address-data as an address-data element with prop children asks for it (RFC
-- 6352 §10.4.2, partial retrieval): the properties named (whatever their group), with
-- BEGIN, END and VERSION, which make it a vCard; each logical line as rendered (folded),
-- so nothing is re-folded. names NULL: the whole card.
CREATE OR REPLACE FUNCTION privacybee.dav_card_props(card text, names text[])
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN names IS NULL OR card IS NULL THEN card
           ELSE (SELECT pg_catalog.string_agg(l.line || E'\r\n', '' ORDER BY l.o)
                   FROM pg_catalog.regexp_split_to_table(card, E'\r\n(?![ \t])') WITH ORDINALITY AS l(line, o)
                  WHERE l.line <> ''
                    AND pg_catalog.upper(pg_catalog.substring(l.line, '^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)'))
                        = ANY (names || '{BEGIN,END,VERSION}'::text[])) END
$$;
COMMENT ON FUNCTION privacybee.dav_card_props(text, text[]) IS
    'a rendered vCard with only the properties named (and BEGIN, END, VERSION): CardDAV partial retrieval';

-- REPORT on the address book: addressbook-multiget (the cards of these hrefs),
-- addressbook-query (the cards a filter matches), sync-collection (what changed since a
-- token: changed cards with their properties, deleted ones as 404, and the new token).
CREATE OR REPLACE FUNCTION privacybee.api_dav_report(token text, arg text, params jsonb, body jsonb,
                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me bigint := privacybee.dav_member(token, privacybee.route_scope('api_dav_report'), params);
    b record := privacybee.dav_open(token, me, 'api_dav_report', arg, false);
    uid bigint := b.owner;
    kind text := body ->> 'n';
    wanted text[];
    data jsonb;
    version text;
    book text;
    ids bigint[];
    names text[];
    out text;
    since text;
    since_seq bigint;
    parts text[];
    current bigint;
    purged bigint;
    props text[];
    query_filter jsonb;
    refusal privacybee.http_binary_response;
    nresults bigint;
    more boolean;
BEGIN
    IF kind IS NULL OR kind NOT IN ('{urn:ietf:params:xml:ns:carddav}addressbook-multiget',
                                    '{urn:ietf:params:xml:ns:carddav}addressbook-query',
                                    '{DAV:}sync-collection') THEN
        RETURN privacybee.dav_error(403, '<d:supported-report/>');
    END IF;
    wanted := privacybee.dav_wanted(body, kind);
    -- address-data: its version attribute, else Accept
    SELECT p INTO data FROM privacybee.dav_children(body, '{DAV:}prop') AS x,
           privacybee.dav_children(x, '{urn:ietf:params:xml:ns:carddav}address-data') AS p LIMIT 1;
    -- address-data's version attribute (RFC 6352 §10.4) when it names one we write, else Accept
    version := COALESCE(CASE data -> 'a' ->> 'version' WHEN '4.0' THEN '4.0' WHEN '3.0' THEN '3.0' END,
                        privacybee.dav_vcard_version(params ->> 'accept'));
    -- address-data's prop children: partial retrieval (RFC 6352 §10.4.2), for every report
    IF EXISTS (SELECT 1 FROM privacybee.dav_children(data, '{urn:ietf:params:xml:ns:carddav}prop'))
       AND NOT EXISTS (SELECT 1 FROM privacybee.dav_children(data, '{urn:ietf:params:xml:ns:carddav}allprop')) THEN
        props := ARRAY(SELECT pg_catalog.upper(COALESCE(p -> 'a' ->> 'name', ''))
                         FROM privacybee.dav_children(data, '{urn:ietf:params:xml:ns:carddav}prop') AS p);
    END IF;
    book := b.book;

    IF kind = '{urn:ietf:params:xml:ns:carddav}addressbook-multiget' THEN
        -- each href, as given, with the contact it names (NULL: 404)
        SELECT pg_catalog.array_agg(h.href ORDER BY h.o),
               pg_catalog.array_agg(privacybee.dav_card_id(uid, privacybee.dav_name_decode(
                   CASE WHEN pg_catalog.starts_with(h.href, book)
                        THEN pg_catalog.substr(h.href, pg_catalog.length(book) + 1) END)) ORDER BY h.o)
          INTO names, ids
          FROM (SELECT pg_catalog.regexp_replace(
                           (SELECT pg_catalog.string_agg(e #>> '{}', '') FROM pg_catalog.jsonb_array_elements(d -> 'c') AS e
                             WHERE pg_catalog.jsonb_typeof(e) = 'string'),
                           '^\s*(https?://[^/]*)?|\s*$', '', 'g') AS href, o
                  FROM privacybee.dav_children(body, '{DAV:}href') WITH ORDINALITY AS x(d, o)) AS h;
        SELECT pg_catalog.string_agg(CASE WHEN c.id IS NULL THEN
                   '<d:response><d:href>' || privacybee.xml_text(r.href)
                   || '</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>'
               ELSE privacybee.dav_card_response(r.href, privacybee.contact_etag(c.id, c.version), c.updated,
                                                 privacybee.dav_card_props(r.card, props), wanted) END, '' ORDER BY r.o)
          INTO out
          FROM ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(ids),
                          pg_catalog.unnest(privacybee.dav_vcards(uid, ids, version)))
               WITH ORDINALITY AS r(href, id, card, o)
          LEFT JOIN privacybee.contacts c ON c.user_id = uid AND c.id = r.id;
        RETURN privacybee.dav_multistatus(out);
    END IF;

    IF kind = '{urn:ietf:params:xml:ns:carddav}addressbook-query' THEN
        SELECT x INTO query_filter FROM privacybee.dav_children(body, '{urn:ietf:params:xml:ns:carddav}filter') AS x LIMIT 1;
        refusal := privacybee.dav_query_refusal(query_filter);
        IF refusal IS NOT NULL THEN
            RETURN refusal;
        END IF;
        -- limit/nresults (RFC 6352 §8.6.1): at most that many cards, in id order
        SELECT pg_catalog.btrim(COALESCE((SELECT pg_catalog.string_agg(e #>> '{}', '')
                                            FROM pg_catalog.jsonb_array_elements(n -> 'c') AS e
                                           WHERE pg_catalog.jsonb_typeof(e) = 'string'), ''))
          INTO out
          FROM privacybee.dav_children(body, '{urn:ietf:params:xml:ns:carddav}limit') AS l,
               privacybee.dav_children(l, '{urn:ietf:params:xml:ns:carddav}nresults') AS n LIMIT 1;
        IF out IS NOT NULL THEN
            IF out !~ '^[0-9]{1,9}$' OR out::bigint < 1 THEN
                PERFORM privacybee.bad_field('nresults', 'must be a positive integer');
            END IF;
            nresults := out::bigint;
        END IF;
        -- Depth 0 names the collection alone, which is no address object (RFC 6352 §8.6):
        -- no card; 1 and infinity (and none: dav_depth) its cards
        IF privacybee.dav_depth(params) = 0 THEN
            RETURN privacybee.dav_multistatus(NULL);
        END IF;
        SELECT pg_catalog.array_agg(m.id ORDER BY m.id) FILTER (WHERE m.o <= COALESCE(nresults, m.o)),
               pg_catalog.array_agg(m.name ORDER BY m.id) FILTER (WHERE m.o <= COALESCE(nresults, m.o)),
               COALESCE(pg_catalog.max(m.o) > nresults, false)
          INTO ids, names, more
          FROM (SELECT c.id, COALESCE(k.href, c.id::text || '.vcf') AS name,
                       pg_catalog.row_number() OVER (ORDER BY c.id) AS o
                  FROM privacybee.contacts c
                  LEFT JOIN privacybee.contact_cards k ON k.user_id = c.user_id AND k.contact_id = c.id
                  LEFT JOIN privacybee.contacts_flat f ON f.user_id = c.user_id AND f.id = c.id
                 WHERE c.user_id = uid
                   AND privacybee.dav_query_matches(query_filter, c.display_name, f.emails, f.phones
                           || ARRAY(SELECT p.raw FROM privacybee.contact_phones p
                                     WHERE p.user_id = c.user_id AND p.contact_id = c.id))) AS m;
        SELECT pg_catalog.string_agg(privacybee.dav_card_response(book || privacybee.dav_name_encode(r.name),
                   privacybee.contact_etag(c.id, c.version), c.updated, privacybee.dav_card_props(r.card, props),
                   wanted), '' ORDER BY r.o)
          INTO out
          FROM ROWS FROM (pg_catalog.unnest(names), pg_catalog.unnest(ids),
                          pg_catalog.unnest(privacybee.dav_vcards(uid, ids, version)))
               WITH ORDINALITY AS r(name, id, card, o)
          JOIN privacybee.contacts c ON c.user_id = uid AND c.id = r.id;
        IF more THEN
            -- truncated: the collection's own response says so (RFC 6352 §8.6.1, RFC 4918 §14.5)
            out := COALESCE(out, '') || '<d:response><d:href>' || privacybee.xml_text(book)
                   || '</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status>'
                   || '<d:error><d:number-of-matches-within-limits/></d:error></d:response>';
        END IF;
        RETURN privacybee.dav_multistatus(out);
    END IF;

    -- sync-collection (RFC 6578): Depth 0 (or none), sync-level 1
    IF COALESCE(params ->> 'depth', '0') <> '0' THEN
        PERFORM privacybee.bad_field('Depth', 'must be 0 for sync-collection');
    END IF;
    IF EXISTS (SELECT 1 FROM privacybee.dav_children(body, '{DAV:}sync-level') AS l
                WHERE l -> 'c' ->> 0 IS DISTINCT FROM '1') THEN
        RETURN privacybee.dav_error(403, '<d:sync-traversal-supported/>');
    END IF;
    SELECT COALESCE((SELECT pg_catalog.string_agg(e #>> '{}', '') FROM pg_catalog.jsonb_array_elements(t -> 'c') AS e
                      WHERE pg_catalog.jsonb_typeof(e) = 'string'), '')
      INTO since FROM privacybee.dav_children(body, '{DAV:}sync-token') AS t LIMIT 1;
    since := pg_catalog.btrim(COALESCE(since, ''));
    SELECT COALESCE(q.seq, 0), COALESCE(q.purged, 0) INTO current, purged
      FROM (SELECT 1) AS one LEFT JOIN privacybee.contact_sync_seqs q ON q.user_id = uid;
    IF since = '' THEN
        since_seq := NULL;
    ELSE
        parts := pg_catalog.regexp_match(since, '^urn:privacybee:sync:([0-9a-z-]{1,30}):([0-9]{1,19})$');
        since_seq := CASE WHEN parts IS NOT NULL AND parts[1] = b.key THEN parts[2]::numeric END;
        -- a token from the future, of another book, malformed, or before a purge
        IF since_seq IS NULL OR since_seq > current OR since_seq < purged THEN
            RETURN privacybee.dav_error(403, '<d:valid-sync-token/>');
        END IF;
    END IF;
    -- one statement, one snapshot: the counter and every change numbered up to it (see
    -- the header: a change it cannot see is numbered after the counter it reads); the live
    -- cards in id order beside their vCards (when asked for), then the deleted ones
    WITH counter AS (
        SELECT COALESCE((SELECT q.seq FROM privacybee.contact_sync_seqs q WHERE q.user_id = uid), 0) AS seq),
    changed AS MATERIALIZED (
        SELECT k.contact_id, k.href, k.deleted
          FROM privacybee.contact_cards k, counter n
         WHERE k.user_id = uid AND k.seq <= n.seq
           AND (since_seq IS NULL AND NOT k.deleted OR k.seq > since_seq)),
    live AS (
        SELECT COALESCE(pg_catalog.array_agg(x.contact_id ORDER BY x.contact_id), '{}') AS ids,
               COALESCE(pg_catalog.array_agg(x.href ORDER BY x.contact_id), '{}') AS hrefs
          FROM changed x WHERE NOT x.deleted)
    SELECT COALESCE((SELECT pg_catalog.string_agg(privacybee.dav_card_response(
                               book || privacybee.dav_name_encode(COALESCE(r.href, r.id::text || '.vcf')),
                               privacybee.contact_etag(c.id, c.version), c.updated,
                               privacybee.dav_card_props(r.card, props), wanted), '' ORDER BY r.o)
                       FROM live,
                            ROWS FROM (pg_catalog.unnest(live.ids), pg_catalog.unnest(live.hrefs),
                                       pg_catalog.unnest(CASE WHEN wanted IS NULL
                                                                OR '{urn:ietf:params:xml:ns:carddav}address-data' = ANY (wanted)
                                                         THEN privacybee.dav_vcards(uid, live.ids, version) END))
                            WITH ORDINALITY AS r(id, href, card, o)
                       JOIN privacybee.contacts c ON c.user_id = uid AND c.id = r.id), '')
           || COALESCE((SELECT pg_catalog.string_agg('<d:response><d:href>' || privacybee.xml_text(book
                                   || privacybee.dav_name_encode(COALESCE(x.href, x.contact_id::text || '.vcf')))
                               || '</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>',
                               '' ORDER BY x.contact_id)
                          FROM changed x WHERE x.deleted), ''),
           privacybee.dav_sync_token(b.key, n.seq)
      INTO out, since
      FROM counter n;
    RETURN privacybee.dav_multistatus(out, since);
END
$$;
