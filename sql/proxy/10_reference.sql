-- The proxy's hand-written functions (docs/sharding.md): the partition hash of each
-- shard key, the SQL functions of SPEC §7 writing reference data to every shard, and
-- what runs on every shard from here (recompute_trust, trust_verify, reference_digest).
--
-- Reference data is written by a broadcast (RUN ON ALL): each shard commits on its own,
-- so a broadcast can fail part-way (a shard down). Every function a broadcast runs is
-- idempotent with the same arguments (put_member, put_company, add_employee,
-- add_buzz_numbers, put_token, revoke_token, buzz_number_taken), and ids and tokens are
-- drawn once, before it: the recovery is to run the same broadcast again
-- (privacybee_shards.put_member(<id>, …) with the id the error reported), and
-- reference_digests() shows whether every shard holds the same.

-- ---- shard keys --------------------------------------------------------------------------

-- member: the member id the token carries (sql/prelude/10_token_format.sql); a service
-- or malformed token goes to shard 0, which answers it (401, 403, or a service route's).
CREATE OR REPLACE FUNCTION privacybee.token_shard(token text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.hashint8(privacybee.token_member(token)), 0)
$$;
COMMENT ON FUNCTION privacybee.token_shard(text) IS
    'shard key of a member route: the hash of the member id its token carries (0: shard 0)';

-- The shard (0-based) the token's member lives on, as PL/Proxy maps token_shard().
CREATE OR REPLACE FUNCTION privacybee.token_partition(token text)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.abs(privacybee.token_shard(token) % privacybee.shard_count())
$$;
COMMENT ON FUNCTION privacybee.token_partition(text) IS
    'the shard of a token''s member, as PL/Proxy maps it (its answer is the answer of a shard=all route)';

-- team: a team's rows live on the team's shard (SPEC §10: owned by the team, keyed by
-- its id); a request that names no team is the member's.
-- The team a request's body names (its teamId, a number or a string of digits); NULL if none.
CREATE OR REPLACE FUNCTION privacybee.body_team(body jsonb)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(body -> 'teamId') IN ('number', 'string')
                     AND (body ->> 'teamId') ~ '^[1-9][0-9]{0,17}$'
                THEN (body ->> 'teamId')::bigint END
$$;
COMMENT ON FUNCTION privacybee.body_team(jsonb) IS
    'the team (company id) a request body names by teamId; NULL when none';

-- The hash of a team's shard (its id hashed as a member's: member_shard() on a shard), or,
-- when a request names no team, of the token's member's: the one home of a team key's
-- hash, which team_shard() and book_shard() give.
CREATE OR REPLACE FUNCTION privacybee.team_hash(team bigint, token text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.hashint8(COALESCE(team, privacybee.token_member(token))), 0)
$$;
COMMENT ON FUNCTION privacybee.team_hash(bigint, text) IS
    'the hash of a team''s shard, else (no team) of the token''s member''s';

CREATE OR REPLACE FUNCTION privacybee.team_shard(token text, body jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT privacybee.team_hash(privacybee.body_team(body), token)
$$;
COMMENT ON FUNCTION privacybee.team_shard(text, jsonb) IS
    'shard key of a team route: the hash of the teamId in the body, else of the token''s member';

-- book: a CardDAV address book's routes. A team's book (/dav/<member>/team-<teamId>/…) is
-- the team's rows, on the team's shard; the member's own book (/dav/<member>/contacts/…)
-- is the token's member's. arg is the route's placeholders, as dav_open()
-- (sql/logic/70_carddav.sql) reads them: "<member>" or "<member>/<teamId>", then a card's
-- name when the route is a card's — so a team is the second of two parts of a book's arg,
-- of three of a card's, read by the extension's own parse_id (its library, as
-- call_shard_key), exactly as dav_open() reads it. Anything else is the member's: their
-- shard answers it (404 when dav_open() finds no book).
CREATE OR REPLACE FUNCTION privacybee.parse_id(t text)
RETURNS bigint
AS '$libdir/privacybee', 'parse_id'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.parse_id(text) IS
    'text as an id (decimal digits, 1 to 9223372036854775807), NULL when it is not one (the extension''s)';

CREATE OR REPLACE FUNCTION privacybee.dav_path_team(arg text, card boolean)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN COALESCE(pg_catalog.cardinality(pg_catalog.string_to_array(arg, '/')), 0)
                     = CASE WHEN card THEN 3 ELSE 2 END
                THEN privacybee.parse_id(pg_catalog.split_part(arg, '/', 2)) END
$$;
COMMENT ON FUNCTION privacybee.dav_path_team(text, boolean) IS
    'the team whose address book a CardDAV route''s arg names (card: a card''s route); NULL for the member''s own';

CREATE OR REPLACE FUNCTION privacybee.book_shard(token text, arg text, card boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT privacybee.team_hash(privacybee.dav_path_team(arg, card), token)
$$;
COMMENT ON FUNCTION privacybee.book_shard(text, text, boolean) IS
    'shard key of a CardDAV address book route: the hash of the team a team''s book names, else of the token''s member';

-- grant: an OAuth token route (no bearer token: the client authenticates) goes to the
-- shard of the member its code, refresh token or token names, where the grant is
-- (secret_member(), sql/prelude/10_token_format.sql); one that names none to shard 0,
-- which answers it as unknown.
CREATE OR REPLACE FUNCTION privacybee.grant_shard(body jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.hashint8(privacybee.secret_member(
        COALESCE(body ->> 'code', body ->> 'refresh_token', body ->> 'token'))), 0)
$$;
COMMENT ON FUNCTION privacybee.grant_shard(jsonb) IS
    'shard key of an OAuth token route: the hash of the member its code, refresh token or token names';

-- team, of a multipart route (its body is the file): the teamId of the JSON part that
-- names one (Contacts+ uploadPhoto's contact.json), else the token's member.
CREATE OR REPLACE FUNCTION privacybee.team_shard_of_parts(token text, params jsonb)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    part text;
BEGIN
    IF pg_catalog.jsonb_typeof(params) = 'object' THEN
        FOR part IN SELECT e.value FROM pg_catalog.jsonb_each_text(params) AS e ORDER BY e.key LOOP
            BEGIN
                IF pg_catalog.jsonb_typeof(part::jsonb) = 'object' AND part::jsonb ? 'teamId' THEN
                    RETURN privacybee.team_shard(token, part::jsonb);
                END IF;
            EXCEPTION WHEN invalid_text_representation THEN
                NULL;   -- not JSON: a part of another kind
            END;
        END LOOP;
    END IF;
    RETURN privacybee.team_shard(token, NULL);
END
$$;
COMMENT ON FUNCTION privacybee.team_shard_of_parts(text, jsonb) IS
    'shard key of a team route whose body is a file: the teamId of its JSON part, else the token''s member';

-- ---- reference data, written to every shard ----------------------------------------------

-- A shard's error as the one database gives it. PL/Proxy relays a remote error with its
-- SQLSTATE but prefixes its message ("f(n): [db] REMOTE ERROR: …") and its detail
-- ("Remote detail: …", plproxy_remote_error() in PL/Proxy's main.c), so an operator's
-- SQL call of the proxy could not read the detail's JSON (the fields a PT400 names) as on
-- one database. privacybee-fcgi strips the same prefixes from the route functions' errors
-- (sqlstate_remote_message() in fcgi/sqlstate.c); this is the SQL functions' side, called
-- from their EXCEPTION block with what GET STACKED DIAGNOSTICS read. Anything without the
-- prefixes (an error of the proxy's own) is raised as it came.
CREATE OR REPLACE FUNCTION privacybee.raise_remote_error(state text, message text, detail text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m text := COALESCE(pg_catalog.substring(message, '^[^ (]+\([0-9]+\): \[[^]]*\] REMOTE ERROR: (.*)$'),
                       message);
    d text := COALESCE(pg_catalog.substring(detail, '^Remote detail: (.*)$'), detail);
BEGIN
    IF d IS NULL OR d = '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = m;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = m, DETAIL = d;
END
$$;
COMMENT ON FUNCTION privacybee.raise_remote_error(text, text, text) IS
    'raises a shard''s error relayed by PL/Proxy as the one database raises it: its SQLSTATE, message and detail without PL/Proxy''s prefixes';

-- ids of people and companies are drawn on shard 0 (its sequences), then broadcast
CREATE OR REPLACE FUNCTION privacybee_shards.next_reference_id(kind text)
RETURNS bigint
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON 0;
    SELECT privacybee.next_reference_id(kind);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.put_member(id bigint, first_name text, last_name text,
                                                    phone text, middle_name text, avatar text)
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_member(id, first_name, last_name, phone, middle_name, avatar);
$$;

CREATE OR REPLACE FUNCTION privacybee.create_member(first_name text, last_name text, phone text DEFAULT NULL,
                                         middle_name text DEFAULT NULL, avatar text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint := privacybee_shards.next_reference_id('people');
    state text;
    message text;
    detail text;
BEGIN
    PERFORM privacybee_shards.put_member(new_id, first_name, last_name, phone, middle_name, avatar);
    RETURN new_id;
EXCEPTION WHEN OTHERS THEN
    -- a refusal (check_text's PT400 naming the field) reads as on one database
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    PERFORM privacybee.raise_remote_error(state, message, detail);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.create_member(text, text, text, text, text) IS
    'adds a member on every shard (one id, drawn on shard 0) and returns their id';

CREATE OR REPLACE FUNCTION privacybee_shards.put_company(id bigint, name text, slug text, phones text[],
                                                     logo text, url text, external_id text)
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_company(id, name, slug, phones, logo, url, external_id);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.put_team_account(company_id bigint, id bigint)
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_team_account(company_id, id);
$$;

-- The company's team account (SPEC §10) is made with it: a people row, reference data, so
-- its id is drawn here once like a member's (a shard making it at the team's first use
-- would draw from its own people sequence, which the proxy's ids already used).
CREATE OR REPLACE FUNCTION privacybee.create_company(name text, slug text, phones text[] DEFAULT '{}',
                                          logo text DEFAULT NULL, url text DEFAULT NULL,
                                          external_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint := privacybee_shards.next_reference_id('companies');
    state text;
    message text;
    detail text;
BEGIN
    PERFORM privacybee_shards.put_company(new_id, name, slug, phones, logo, url, external_id);
    PERFORM privacybee_shards.put_team_account(new_id, privacybee_shards.next_reference_id('people'));
    RETURN new_id;
EXCEPTION WHEN OTHERS THEN
    -- a refusal (check_text's PT400 naming the field) reads as on one database
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    PERFORM privacybee.raise_remote_error(state, message, detail);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.create_company(text, text, text[], text, text, text) IS
    'adds a company and its team account on every shard (ids drawn on shard 0) and returns its id';

CREATE OR REPLACE FUNCTION privacybee_shards.add_employee(company_id bigint, person_id bigint)
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT 1 FROM privacybee.add_employee(company_id, person_id);
$$;

CREATE OR REPLACE FUNCTION privacybee.add_employee(company_id bigint, person_id bigint)
RETURNS void
LANGUAGE sql AS $$
    SELECT FROM privacybee_shards.add_employee(company_id, person_id)
$$;
COMMENT ON FUNCTION privacybee.add_employee(bigint, bigint) IS
    'makes a member an employee of a company, on every shard (idempotent)';

CREATE OR REPLACE FUNCTION privacybee_shards.add_buzz_numbers(numbers text[])
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.add_buzz_numbers(numbers);
$$;

-- how many were new: on the shard that lacked most (all agree unless a broadcast failed)
CREATE OR REPLACE FUNCTION privacybee.add_buzz_numbers(numbers text[])
RETURNS integer
LANGUAGE sql AS $$
    SELECT pg_catalog.max(n) FROM privacybee_shards.add_buzz_numbers(numbers) AS n
$$;
COMMENT ON FUNCTION privacybee.add_buzz_numbers(text[]) IS
    'adds numbers to the Buzz pool of every shard (each shard hands out its own part); how many were new';

CREATE OR REPLACE FUNCTION privacybee_shards.put_token(token text, user_id bigint, scopes text[], ttl interval)
RETURNS SETOF text
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_token(token, user_id, scopes, ttl);
$$;

-- Tokens are on every shard: a route that runs on every shard (shard=all) authenticates
-- its caller on each. The plaintext is made here, once, in the extension's format.
CREATE OR REPLACE FUNCTION privacybee.issue_token(user_id bigint, scopes text[], ttl interval DEFAULT '30 days')
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    plaintext text := privacybee.new_token(user_id);
BEGIN
    PERFORM privacybee_shards.put_token(plaintext, user_id, scopes, ttl);
    RETURN plaintext;
END
$$;
COMMENT ON FUNCTION privacybee.issue_token(bigint, text[], interval) IS
    'issues a bearer token on every shard and returns its plaintext once (user_id NULL: a service token)';

CREATE OR REPLACE FUNCTION privacybee_shards.revoke_token(token text)
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.revoke_token(token);
$$;

CREATE OR REPLACE FUNCTION privacybee.revoke_token(token text)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT COALESCE(pg_catalog.bool_or(r), false) FROM privacybee_shards.revoke_token(token) AS r
$$;
COMMENT ON FUNCTION privacybee.revoke_token(text) IS
    'revokes a token on every shard; false when it is unknown';

-- OAuth clients (third-party apps) are on every shard: a member on any shard authorises
-- them (/oauth/authorize runs on the member's shard), and the token endpoints run on every
-- shard (shard=all), each checking the client's credentials. Shard 0 registers the client
-- (validates, draws the client id and secret), then the row it wrote — the secret only as
-- its hash — is broadcast; put_oauth_client is idempotent, so the recovery of a broadcast
-- that failed part-way is to run privacybee_shards.put_oauth_client again with shard 0's row.
CREATE OR REPLACE FUNCTION privacybee_shards.register_oauth_client(name text, redirect_uris text[], scopes text[],
                                                               OUT client_id text, OUT client_secret text)
RETURNS SETOF record
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON 0;
    SELECT * FROM privacybee.register_oauth_client(name, redirect_uris, scopes);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.oauth_client_row(id text, OUT name text, OUT secret_hash bytea,
                                                          OUT redirect_uris text[], OUT scopes text[])
RETURNS SETOF record
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON 0;
    SELECT c.name, c.secret_hash, c.redirect_uris, c.scopes
      FROM privacybee.oauth_clients c WHERE c.client_id = id;
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.put_oauth_client(client_id text, name text, secret_hash bytea,
                                                          redirect_uris text[], scopes text[])
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_oauth_client(client_id, name, secret_hash, redirect_uris, scopes);
$$;

CREATE OR REPLACE FUNCTION privacybee.register_oauth_client(name text, redirect_uris text[], scopes text[])
RETURNS TABLE (client_id text, client_secret text)
LANGUAGE plpgsql AS $$
DECLARE
    made record;
    state text;
    message text;
    detail text;
BEGIN
    SELECT * INTO STRICT made FROM privacybee_shards.register_oauth_client(name, redirect_uris, scopes);
    PERFORM privacybee_shards.put_oauth_client(made.client_id, r.name, r.secret_hash, r.redirect_uris, r.scopes)
       FROM privacybee_shards.oauth_client_row(made.client_id) AS r;
    client_id := made.client_id;
    client_secret := made.client_secret;
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    -- a refusal (check_text's PT400 naming the field) reads as on one database
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    PERFORM privacybee.raise_remote_error(state, message, detail);
END
$$;
COMMENT ON FUNCTION privacybee.register_oauth_client(text, text[], text[]) IS
    'registers a third-party app on every shard (made on shard 0, then broadcast); its client_id and client_secret, the secret shown once';

CREATE OR REPLACE FUNCTION privacybee_shards.unregister_oauth_client(client_id text)
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.unregister_oauth_client(client_id);
$$;

CREATE OR REPLACE FUNCTION privacybee.unregister_oauth_client(client_id text)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT COALESCE(pg_catalog.bool_or(r), false) FROM privacybee_shards.unregister_oauth_client(client_id) AS r
$$;
COMMENT ON FUNCTION privacybee.unregister_oauth_client(text) IS
    'removes a third-party app on every shard, and every grant, code and token it holds; false when unknown';

-- ---- the Buzz number a member's shard gave out, told to every shard ----------------------

CREATE OR REPLACE FUNCTION privacybee_shards.buzz_number_of(uid bigint)
RETURNS text
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(uid);
    SELECT b.e164 FROM privacybee.buzz_numbers b WHERE b.user_id = uid;
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.buzz_number_taken(e164 text, user_id bigint)
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.buzz_number_taken(e164, user_id);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.assign_buzz_number(uid bigint)
RETURNS text
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(uid);
    SELECT privacybee.assign_buzz_number(uid);
$$;

-- assign_buzz_number() of SPEC §6 in SQL: on the member's shard, then told to every shard
CREATE OR REPLACE FUNCTION privacybee.assign_buzz_number(uid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    num text := privacybee_shards.assign_buzz_number(uid);
BEGIN
    IF num IS NOT NULL THEN
        PERFORM privacybee_shards.buzz_number_taken(num, uid);
    END IF;
    RETURN num;
END
$$;
COMMENT ON FUNCTION privacybee.assign_buzz_number(bigint) IS
    'the Buzz number of a member, assigned on their shard from its part of the pool, told to every shard';

-- A then= function (api/routes) is called as FUNCTION(token, arg, body, answer): the
-- route's token and arg, its JSON body (NULL for a body of another kind, a vCard) and
-- its answer's status and headers (and its body when that is text). Signatures of before
-- the route's arg was passed:
DROP FUNCTION IF EXISTS privacybee.announce_buzz_number(text, jsonb, privacybee.http_response);
DROP FUNCTION IF EXISTS privacybee.announce_team_contacts(text, jsonb, privacybee.http_response);

-- After a heartbeat (api/routes then=): the number the member's shard holds for them,
-- read there again (an answer passed in is never believed), told to every shard. Runs on
-- every heartbeat that shows a number, so a broadcast that failed is repaired by the
-- member's next heartbeat. SECURITY DEFINER: the shards' buzz_number_taken is no API
-- role's to call.
CREATE OR REPLACE FUNCTION privacybee.announce_buzz_number(token text, arg text, body jsonb,
                                                        answer privacybee.http_response)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    member bigint := privacybee.token_member(token);
    num text;
BEGIN
    IF answer.status <> 200 OR member IS NULL
       OR (answer.body::jsonb ->> 'buzz_number') IS NULL THEN
        RETURN;
    END IF;
    num := privacybee_shards.buzz_number_of(member);
    IF num IS NOT NULL THEN
        PERFORM privacybee_shards.buzz_number_taken(num, member);
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.announce_buzz_number(text, text, jsonb, privacybee.http_response) IS
    'tells every shard the Buzz number a member''s shard gave them (after each heartbeat that shows one)';

-- ---- a team's contact phones, copied from the team's shard to every other -----------------
-- (sql/logic/70_shards.sql, "a team's contact phones, copied to every shard")

CREATE OR REPLACE FUNCTION privacybee_shards.team_copy(company_id bigint)
RETURNS jsonb
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(company_id);
    SELECT privacybee.team_copy(company_id);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.put_team_copy(company_id bigint, snap jsonb)
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.put_team_copy(company_id, snap);
$$;

-- After a write to a team's contacts (api/routes then=): the team's contact phones, read
-- again on the team's shard (an answer is never believed), copied to every other shard,
-- whose employees of the team trust by them. The team is the body's teamId (Contacts+)
-- or the team whose book a CardDAV card's path names (PUT and DELETE of a card, arg as
-- book_shard() reads it; the member's own book names none). SECURITY DEFINER: the shards'
-- put_team_copy is no API role's to call. Runs after every such write that succeeded
-- (Contacts+ 200, CardDAV 201 / 204), so a copy a failed broadcast left behind is
-- repaired by the team's next one.
CREATE OR REPLACE FUNCTION privacybee.announce_team_contacts(token text, arg text, body jsonb,
                                                          answer privacybee.http_response)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    team bigint := COALESCE(privacybee.body_team(body), privacybee.dav_path_team(arg, true));
BEGIN
    IF (answer.status BETWEEN 200 AND 299) IS NOT TRUE OR team IS NULL THEN
        RETURN;
    END IF;
    PERFORM privacybee_shards.put_team_copy(team, privacybee_shards.team_copy(team));
END
$$;
COMMENT ON FUNCTION privacybee.announce_team_contacts(text, text, jsonb, privacybee.http_response) IS
    'copies a team''s contact phones from its shard to every other (after each write to them, Contacts+ or CardDAV)';

-- ---- a person's trust of a member, copied to the member's shard -----------------------------
-- (sql/logic/70_shards.sql, "a person's trust of a member, copied to the member's shard")

CREATE OR REPLACE FUNCTION privacybee_shards.trust_edge_copy(p bigint, m bigint)
RETURNS jsonb
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(p);
    SELECT privacybee.trust_edge_copy(p, m);
$$;

CREATE OR REPLACE FUNCTION privacybee_shards.put_trust_edge_copy(m bigint, p bigint, edge jsonb)
RETURNS boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(m);
    SELECT privacybee.put_trust_edge_copy(m, p, edge);
$$;

-- After POST /contacts/trust/{id} (api/routes then=): the caller's decision about the person
-- answered, read again on the caller's shard once it committed (the answer names whom only),
-- written on that person's shard, where their activity decides whether the caller disclosed
-- themself to them (disclosed_to()). The shard's put is a no-op when both live on one shard,
-- and keeps the newer of two copies, so this runs after every such write and a copy a failed
-- write left behind is repaired by the caller's next decision about the person.
-- SECURITY DEFINER: the shards' functions are no API role's to call.
CREATE OR REPLACE FUNCTION privacybee.announce_person_trust(token text, arg text, body jsonb,
                                                         answer privacybee.http_response)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    member bigint := privacybee.token_member(token);
    about bigint;
    edge jsonb;
BEGIN
    IF answer.status <> 201 OR member IS NULL
       OR (answer.body::jsonb ->> 'type') IS DISTINCT FROM 'person' THEN
        RETURN;
    END IF;
    about := (answer.body::jsonb ->> 'id')::bigint;
    edge := privacybee_shards.trust_edge_copy(member, about);
    IF edge IS NOT NULL THEN
        PERFORM privacybee_shards.put_trust_edge_copy(about, member, edge);
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.announce_person_trust(text, text, jsonb, privacybee.http_response) IS
    'copies a member''s trust of a person to that person''s shard (after each decision about them)';

-- privacybee-fcgi asks this when it refuses a request itself, so that token errors come
-- first (sql/logic/10_core.sql); any shard can answer, since tokens are on every shard
CREATE OR REPLACE FUNCTION privacybee.api_check_token(token text, scope text)
RETURNS void
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON privacybee.token_shard(token);
$$;
COMMENT ON FUNCTION privacybee.api_check_token(text, text) IS
    'checks a bearer token and scope only (401 / 403), on the shard of the token''s member';

-- ---- run on every shard --------------------------------------------------------------------

CREATE OR REPLACE FUNCTION privacybee_shards.recompute_trust(user_id bigint)
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.recompute_trust(user_id);
$$;

CREATE OR REPLACE FUNCTION privacybee.recompute_trust(user_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT pg_catalog.sum(n)::bigint FROM privacybee_shards.recompute_trust(user_id) AS n
$$;
COMMENT ON FUNCTION privacybee.recompute_trust(bigint) IS
    'rebuilds the materialised trust decisions on every shard (each its own members); how many pairs';

-- Scheduled maintenance (docs/operations.md, "Maintenance"): pg_cron runs in the proxy's
-- database (its cron.database_name), and each job's command runs on every shard from here.
CREATE OR REPLACE FUNCTION privacybee_shards.maintenance()
RETURNS SETOF jsonb
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT privacybee.maintenance();
$$;

CREATE OR REPLACE FUNCTION privacybee.maintenance()
RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_catalog.jsonb_agg(m) FROM privacybee_shards.maintenance() AS m
$$;
COMMENT ON FUNCTION privacybee.maintenance() IS
    'maintenance() on every shard: what each did, one object per shard';

CREATE OR REPLACE FUNCTION privacybee_shards.maintenance_jobs(OUT jobname text, OUT schedule text,
                                                          OUT command text)
RETURNS SETOF record
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON 0;
    SELECT * FROM privacybee.maintenance_jobs();
$$;

-- the extension's jobs (their one list is a shard's maintenance_jobs()), scheduled here
CREATE OR REPLACE FUNCTION privacybee.schedule_maintenance()
RETURNS TABLE (jobid bigint, jobname text, schedule text, command text)
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000';
    END IF;
    RETURN QUERY
        SELECT s.id, j.jobname, j.schedule, j.command
          FROM privacybee_shards.maintenance_jobs() AS j,
               LATERAL (SELECT cron.schedule(j.jobname, j.schedule, j.command) AS id) AS s;
END
$$;
COMMENT ON FUNCTION privacybee.schedule_maintenance() IS
    'schedules the extension''s jobs with pg_cron in the proxy, each running on every shard';

CREATE OR REPLACE FUNCTION privacybee.trust_verify()
RETURNS TABLE (user_id bigint, e164 text, materialised boolean, live boolean, statement boolean)
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION privacybee.trust_verify() IS
    'trust_verify() of every shard: every pair whose materialised and live answers differ (none)';

CREATE OR REPLACE FUNCTION privacybee.sync_contacts(user_id bigint, contacts jsonb)
RETURNS bigint[]
LANGUAGE plproxy STRICT AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(user_id);
$$;
COMMENT ON FUNCTION privacybee.sync_contacts(bigint, jsonb) IS
    'sync_contacts() on the member''s shard';

CREATE OR REPLACE FUNCTION privacybee.trust_eval(user_id bigint, e164 text)
RETURNS boolean
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON pg_catalog.hashint8(user_id);
$$;
COMMENT ON FUNCTION privacybee.trust_eval(bigint, text) IS
    'the live trust evaluation, on the member''s shard';

CREATE OR REPLACE FUNCTION privacybee.reference_digests()
RETURNS TABLE (shard integer, table_name text, digest text)
LANGUAGE plproxy AS $$
    CLUSTER 'privacybee_shards';
    RUN ON ALL;
    SELECT * FROM privacybee.reference_digest();
$$;
COMMENT ON FUNCTION privacybee.reference_digests() IS
    'each shard''s digest of each reference table: all shards'' must be equal';

-- ---- privileges ---------------------------------------------------------------------------

-- Nothing is open to PUBLIC; privacybee-fcgi's role gets the route functions, what they
-- compute their shard with, and the cluster (it connects to the shards as itself, where
-- it may run api_* functions only).
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA privacybee FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA privacybee_shards FROM PUBLIC;

CREATE OR REPLACE FUNCTION privacybee.grant_proxy_api(role_name name)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure;
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA privacybee, privacybee_shards TO %I', role_name);
    EXECUTE pg_catalog.format('GRANT USAGE ON FOREIGN SERVER privacybee_shards TO %I', role_name);
    -- PL/Proxy tells of each connection it drops after a shard's error (a NOTICE), which
    -- privacybee-fcgi would log for every 4xx
    EXECUTE pg_catalog.format('ALTER ROLE %I IN DATABASE %I SET client_min_messages = warning',
                              role_name, pg_catalog.current_database());
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE (p.pronamespace IN ('privacybee'::regnamespace, 'privacybee_shards'::regnamespace)
                     AND p.proname LIKE 'api\_%')
                 OR p.oid IN ('privacybee.token_member(text)'::regprocedure,
                              'privacybee.token_shard(text)'::regprocedure,
                              'privacybee.token_partition(text)'::regprocedure,
                              'privacybee.team_hash(bigint, text)'::regprocedure,
                              'privacybee.team_shard(text, jsonb)'::regprocedure,
                              'privacybee.parse_id(text)'::regprocedure,
                              'privacybee.dav_path_team(text, boolean)'::regprocedure,
                              'privacybee.book_shard(text, text, boolean)'::regprocedure,
                              'privacybee.body_team(jsonb)'::regprocedure,
                              'privacybee.team_shard_of_parts(text, jsonb)'::regprocedure,
                              'privacybee.grant_shard(jsonb)'::regprocedure,
                              'privacybee.secret_member(text)'::regprocedure,
                              'privacybee.shard_count()'::regprocedure,
                              'privacybee.call_shard_key(jsonb, jsonb)'::regprocedure,
                              'privacybee.announce_buzz_number(text, text, jsonb, privacybee.http_response)'::regprocedure,
                              'privacybee.announce_team_contacts(text, text, jsonb, privacybee.http_response)'::regprocedure,
                              'privacybee.announce_person_trust(text, text, jsonb, privacybee.http_response)'::regprocedure) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role_name);
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.grant_proxy_api(name) IS
    'grants a role what privacybee-fcgi needs of the proxy: its route functions and their shard keys';
