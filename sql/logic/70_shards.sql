-- What a shard database of the PL/Proxy layout needs beyond one database (SPEC §12,
-- docs/sharding.md): becoming shard k of n, the reference data every shard holds alike
-- and the proof that it is alike, and the writes the proxy broadcasts to every shard.
-- Which rows a shard holds: 05_shard_layout.sql.

-- The reference tables: present on every shard and kept identical (written through the
-- proxy to every shard, sql/proxy/10_reference.sql). Every other table of the schema
-- holds rows owned by one member (or team), on that member's shard only.
CREATE OR REPLACE FUNCTION privacybee.reference_tables()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{people,companies,company_phones,employees,buzz_numbers,tokens,oauth_clients}'::text[]
$$;
COMMENT ON FUNCTION privacybee.reference_tables() IS
    'the tables every shard holds alike (reference data); all others hold member-owned rows';

-- The stride of interleaved id sequences: a shard k draws k+1, k+1+1024, k+1+2048, … so
-- ids stay unique across shards with no coordination, up to 1024 shards (privacybee.shards).
CREATE OR REPLACE FUNCTION privacybee.id_stride()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1024 $$;
COMMENT ON FUNCTION privacybee.id_stride() IS
    'the step of every member-owned id sequence on a shard (the most shards a layout may have)';

-- Make this database shard `shard` of `shards`: the settings for every new session, and
-- every id sequence of member-owned rows interleaved (the reference tables' ids are
-- drawn once, on shard 0, by the proxy, and written everywhere with that id). Run on a
-- new shard, or again with the same arguments (it changes nothing then).
CREATE OR REPLACE FUNCTION privacybee.become_shard(shard integer, shards integer)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    seq regclass;
    last bigint;
BEGIN
    IF shards IS NULL OR shards < 1 OR shards > privacybee.id_stride()
       OR shard IS NULL OR shard < 0 OR shard >= shards THEN
        RAISE EXCEPTION 'shard % of % is not a shard', shard, shards
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET privacybee.shard = %s',
                              pg_catalog.current_database(), shard);
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET privacybee.shards = %s',
                              pg_catalog.current_database(), shards);
    PERFORM pg_catalog.set_config('privacybee.shard', shard::text, false),
            pg_catalog.set_config('privacybee.shards', shards::text, false);
    FOR seq IN
        SELECT s.oid::regclass
          FROM pg_catalog.pg_class s
          JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
          LEFT JOIN pg_catalog.pg_depend d
                 ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid
                AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
          LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
         WHERE s.relkind = 'S' AND n.nspname = 'privacybee'
           AND (t.relname IS NULL OR t.relname <> ALL (privacybee.reference_tables()))
    LOOP
        EXECUTE pg_catalog.format('SELECT last_value FROM %s', seq) INTO last;
        -- the next id of this shard's series after every id drawn so far
        EXECUTE pg_catalog.format('ALTER SEQUENCE %s INCREMENT BY %s RESTART WITH %s', seq,
                                  privacybee.id_stride(),
                                  (last / privacybee.id_stride() + 1) * privacybee.id_stride() + shard + 1);
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.become_shard(integer, integer) IS
    'makes this database shard k of n of the PL/Proxy layout: its settings and interleaved id sequences';

-- The next id of a reference table (people or companies), drawn by the proxy on shard 0
-- and written to every shard with put_member / put_company.
CREATE OR REPLACE FUNCTION privacybee.next_reference_id(kind text)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT CASE kind WHEN 'people' THEN pg_catalog.nextval('privacybee.people_id_seq')
                     WHEN 'companies' THEN pg_catalog.nextval('privacybee.companies_id_seq') END
$$;
COMMENT ON FUNCTION privacybee.next_reference_id(text) IS
    'the next id of people or companies (the proxy draws it on shard 0)';

-- A digest of each reference table as every shard must hold it: what is the same
-- wherever it was written (not the moment each shard wrote it: created, updated,
-- assigned_at, expires_at). The proxy compares the shards' (reference_digests()).
CREATE OR REPLACE FUNCTION privacybee.reference_digest()
RETURNS TABLE (shard integer, table_name text, digest text)
LANGUAGE sql STABLE AS $$
    SELECT privacybee.shard_index(), 'people', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', id, first_name, middle_name, last_name, avatar, phone_raw,
                                    phone_e164, e2e_hash, e2e_id, public_key, team_of), E'\n' ORDER BY id), ''))
      FROM privacybee.people
    UNION ALL
    SELECT privacybee.shard_index(), 'companies', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', id, name, slug, logo, url, external_id), E'\n' ORDER BY id), ''))
      FROM privacybee.companies
    UNION ALL
    SELECT privacybee.shard_index(), 'company_phones', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', company_id, e164, raw), E'\n' ORDER BY company_id, e164), ''))
      FROM privacybee.company_phones
    UNION ALL
    SELECT privacybee.shard_index(), 'employees', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', company_id, person_id), E'\n' ORDER BY company_id, person_id), ''))
      FROM privacybee.employees
    UNION ALL
    SELECT privacybee.shard_index(), 'buzz_numbers', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', e164, user_id), E'\n' ORDER BY e164), ''))
      FROM privacybee.buzz_numbers
    UNION ALL
    SELECT privacybee.shard_index(), 'tokens', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', pg_catalog.encode(token_hash, 'hex'), user_id, scopes, revoked),
               E'\n' ORDER BY token_hash), ''))
      FROM privacybee.tokens
     -- an OAuth client's access token is its member's row, on the member's shard with its
     -- grant (tokens_grant_fkey; the grant revokes it there): not reference data
     WHERE grant_id IS NULL
    UNION ALL
    SELECT privacybee.shard_index(), 'oauth_clients', pg_catalog.md5(COALESCE(pg_catalog.string_agg(
               pg_catalog.concat_ws('|', client_id, name, pg_catalog.encode(secret_hash, 'hex'),
                                    redirect_uris, scopes), E'\n' ORDER BY client_id), ''))
      FROM privacybee.oauth_clients
$$;
COMMENT ON FUNCTION privacybee.reference_digest() IS
    'a digest of each reference table, to prove every shard holds the same (sql/proxy reference_digests())';

-- A Buzz number the member's shard gave out (assign_buzz_number), told to every shard
-- by the proxy after a heartbeat: other members' trust decisions and trust requests by
-- phone read who owns a number. Idempotent; false when it changed nothing. A number
-- another member holds here is left alone (cannot happen: each number has one shard).
CREATE OR REPLACE FUNCTION privacybee.buzz_number_taken(e164 text, user_id bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM privacybee.buzz_numbers b
                WHERE b.e164 = buzz_number_taken.e164 AND b.user_id = buzz_number_taken.user_id) THEN
        RETURN false;
    END IF;
    -- a number given moves the trust decisions of the member's watchers (assign_buzz_number)
    PERFORM privacybee.trust_lock_person_watchers(buzz_number_taken.user_id);
    PERFORM privacybee.trust_lock_caller(buzz_number_taken.user_id);
    UPDATE privacybee.buzz_numbers b SET user_id = buzz_number_taken.user_id, assigned_at = pg_catalog.now()
     WHERE b.e164 = buzz_number_taken.e164 AND b.user_id IS NULL
       AND NOT EXISTS (SELECT 1 FROM privacybee.buzz_numbers o WHERE o.user_id = buzz_number_taken.user_id);
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.buzz_number_taken(text, bigint) IS
    'records on this shard the Buzz number another shard gave a member (the proxy tells every shard)';

-- The hash of a call's receiving number, for routing trust-lookup (extension/lookup.c).
CREATE OR REPLACE FUNCTION privacybee.call_shard_key(params jsonb, body jsonb)
RETURNS integer
AS 'MODULE_PATHNAME', 'call_shard_key'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.call_shard_key(jsonb, jsonb) IS
    'the hash of a call''s receiving number (hashtext of its E.164 form; 0 when unreadable): the PL/Proxy proxy routes calls by it';

-- ---- a team's contact phones, copied to every shard ------------------------------------
-- A team's rows live on the team's shard (Contacts+ routes are shard=team), but its
-- employees live anywhere, and a team's contacts are each employee's reasons to trust
-- (SPEC §10) — rules that read only the receiver's shard. So after every write to a
-- team's contacts the proxy copies what the rules read, the team's contact phones, from
-- the team's shard to every other (then=announce_team_contacts, sql/proxy/10_reference.sql):
-- each holds them as contacts of the team's account (ids as on the team's shard, nothing
-- else of them), and its trust triggers refresh its own employees. Reads of the team's
-- contacts never go to a copy. A broadcast that failed is repaired by the team's next
-- write; the copy carries the version of the team's shard (team_copies), so a copy never
-- replaces a newer one whatever the order the broadcasts arrive in.

-- The team's contact phones on its shard, with their version, read in one snapshot.
CREATE OR REPLACE FUNCTION privacybee.team_copy(company_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object(
        'version', COALESCE((SELECT v.version FROM privacybee.team_copies v
                              WHERE v.company_id = team_copy.company_id), 0),
        'phones', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(c.contact_id, c.pos,
                                                                                 c.raw, c.e164)
                                                         ORDER BY c.contact_id, c.pos)
                              FROM privacybee.people t
                              JOIN privacybee.contact_phones c ON c.user_id = t.id
                             WHERE t.team_of = team_copy.company_id), '[]'::jsonb))
$$;
COMMENT ON FUNCTION privacybee.team_copy(bigint) IS
    'a team''s contact phones and their version, as the team''s shard holds them (copied to every other shard)';

-- The phones of a copy (team_copy()'s "phones") as rows.
CREATE OR REPLACE FUNCTION privacybee.team_copy_phones(snap jsonb)
RETURNS TABLE (contact_id bigint, pos integer, raw text, e164 text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (x ->> 0)::bigint, (x ->> 1)::integer, x ->> 2, x ->> 3
      FROM pg_catalog.jsonb_array_elements(COALESCE(snap -> 'phones', '[]'::jsonb)) AS x
$$;
COMMENT ON FUNCTION privacybee.team_copy_phones(jsonb) IS
    'the phones of a copy of a team''s contact phones (team_copy()), as rows';

-- Makes this shard's copy of a team's contact phones the one given, unless this is the
-- team's shard or its copy is as new. Locks as every team write does (trust_lock_team),
-- so the version check is serialised; the trust triggers then refresh this shard's
-- employees of the team. True when the copy changed.
CREATE OR REPLACE FUNCTION privacybee.put_team_copy(company_id bigint, snap jsonb)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    account bigint := (SELECT p.id FROM privacybee.people p WHERE p.team_of = put_team_copy.company_id);
    given bigint := (snap ->> 'version')::bigint;
BEGIN
    IF account IS NULL OR given IS NULL OR privacybee.is_local_member(account) THEN
        RETURN false;
    END IF;
    PERFORM privacybee.trust_lock_team(account);
    INSERT INTO privacybee.team_copies AS v (company_id, version)
    VALUES (put_team_copy.company_id, 0) ON CONFLICT ON CONSTRAINT team_copies_pkey DO NOTHING;
    IF given <= (SELECT v.version FROM privacybee.team_copies v
                    WHERE v.company_id = put_team_copy.company_id FOR UPDATE) THEN
        RETURN false;
    END IF;
    -- phones gone or changed (a changed one is removed, then added: the triggers see both)
    DELETE FROM privacybee.contact_phones p
     WHERE p.user_id = account
       AND NOT EXISTS (SELECT 1 FROM privacybee.team_copy_phones(snap) x
                        WHERE x.contact_id = p.contact_id AND x.pos = p.pos AND x.raw = p.raw
                          AND x.e164 IS NOT DISTINCT FROM p.e164);
    DELETE FROM privacybee.contacts c
     WHERE c.user_id = account
       AND NOT EXISTS (SELECT 1 FROM privacybee.team_copy_phones(snap) x WHERE x.contact_id = c.id);
    INSERT INTO privacybee.contacts (user_id, id, display_name)
    SELECT DISTINCT account, x.contact_id, '' FROM privacybee.team_copy_phones(snap) x
    ON CONFLICT DO NOTHING;
    INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164)
    SELECT account, x.contact_id, x.pos, x.raw, x.e164 FROM privacybee.team_copy_phones(snap) x
    ON CONFLICT DO NOTHING;
    UPDATE privacybee.team_copies v SET version = given
     WHERE v.company_id = put_team_copy.company_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION privacybee.put_team_copy(bigint, jsonb) IS
    'makes this shard''s copy of a team''s contact phones the team''s shard''s (unless it is as new); true when it changed';
COMMENT ON TABLE privacybee.team_copies IS
    'the version of each team''s contact phones: counted on the team''s shard, the one of its copy on every other (sharded layout only)';

-- ---- a person's trust of a member, copied to the member's shard -------------------------
-- disclosed_to(p, m) is decided on m's shard (the activity feed, the names of an
-- activity), but p's explicit trust of m is p's edge, on p's shard. So after every route
-- that sets a person's trust (POST /contacts/trust/{id}, then=announce_person_trust,
-- sql/proxy/10_reference.sql) the proxy reads the edge again on p's shard and writes that
-- one fact, trusted or not with the edge's version, on m's shard (trust_edge_copies), which
-- disclosed_to() reads only where p's edges are not local. Edges go only with their person
-- (people is reference data; the copies cascade with it on every shard).

-- p's explicit decision about person m as p's shard holds it: {"trusted", "version"}, or
-- NULL where p has none (or p's rows are not here).
CREATE OR REPLACE FUNCTION privacybee.trust_edge_copy(p bigint, m bigint)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('trusted', e.trusted, 'version', e.version)
      FROM privacybee.trust_edges e
     WHERE e.user_id = p AND e.target_type = 'person' AND e.target_id = m
       AND privacybee.is_local_member(p)
$$;
COMMENT ON FUNCTION privacybee.trust_edge_copy(bigint, bigint) IS
    'person p''s explicit trust of person m and its version, as p''s shard holds it (copied to m''s shard)';

-- Makes m's copy of p's trust of m the one given, unless m's rows are not here, p's are (the
-- edge itself is read), or the copy is as new. The row lock of the upsert serialises two
-- copies of one edge; the version makes an older one lose whatever order they arrive in.
-- True when the copy changed.
CREATE OR REPLACE FUNCTION privacybee.put_trust_edge_copy(m bigint, p bigint, edge jsonb)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    trusted boolean := (edge ->> 'trusted')::boolean;
    given bigint := (edge ->> 'version')::bigint;
BEGIN
    IF trusted IS NULL OR given IS NULL OR privacybee.is_local_member(m) IS NOT TRUE
       OR privacybee.is_local_member(p) IS NOT FALSE OR privacybee.is_member(m) IS NOT TRUE
       OR privacybee.is_member(p) IS NOT TRUE THEN
        RETURN false;
    END IF;
    INSERT INTO privacybee.trust_edge_copies AS d (user_id, person_id, trusted, version)
    VALUES (m, p, trusted, given)
    ON CONFLICT (user_id, person_id) DO UPDATE
       SET trusted = EXCLUDED.trusted, version = EXCLUDED.version
     WHERE d.version < EXCLUDED.version;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.put_trust_edge_copy(bigint, bigint, jsonb) IS
    'makes member m''s copy of person p''s trust of m the one of p''s shard (unless it is as new); true when it changed';
