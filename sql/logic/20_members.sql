-- Members, companies, Buzz numbers and tokens: the SQL functions of SPEC §7, which
-- other services and the tests call. Phones are normalised with default country US.


CREATE OR REPLACE FUNCTION privacybee.normalise_or_fail(phone text, what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    e164 text := privacybee.phone_e164(phone, 'US');
BEGIN
    IF e164 IS NULL THEN
        RAISE EXCEPTION '% "%" is not a valid phone number', what, phone
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN e164;
END
$$;
COMMENT ON FUNCTION privacybee.normalise_or_fail(text, text) IS
    'the E.164 form of a phone given to a member or company function; an error when it is not a number';

-- Is id a member: a person who is also a user (SPEC §7)? A team's account (a people row
-- whose team_of names its company, sql/schema/76_teams.sql) is not: nobody signs in as
-- it, it owns no number, and it is no one's coworker, trustee or requester. Every route
-- and function that takes a person's id or resolves a number to a person asks this, the
-- one test, and answers a team account's id exactly as an unknown id; only the team code
-- reaches the account, through act_for_team(). False, never NULL, for a NULL or unknown
-- id (fails closed).
CREATE OR REPLACE FUNCTION privacybee.is_member(id bigint)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = is_member.id AND p.team_of IS NULL)
$$;
COMMENT ON FUNCTION privacybee.is_member(bigint) IS
    'is id a member (a person who is a user), not a team''s account? false for NULL or unknown';

-- What a row naming a member as one (a token's user, an OAuth grant's, an employee, a
-- Buzz number's holder, a trust decision about a person, a trust request's parties) may
-- not name: anything but a member. The functions ask is_member() first and answer as for
-- an unknown id; this trigger holds whatever path writes the row (TG_ARGV: the columns
-- holding member ids).
CREATE OR REPLACE FUNCTION privacybee.refuse_non_member()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text;
    id bigint;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        id := (pg_catalog.to_jsonb(NEW) ->> col)::bigint;
        IF id IS NOT NULL AND NOT privacybee.is_member(id) THEN
            RAISE EXCEPTION 'member % does not exist', id USING ERRCODE = 'no_data_found',
                  DETAIL = pg_catalog.format('%s.%s must name a member', TG_TABLE_NAME, col);
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION privacybee.refuse_non_member() IS
    'trigger: the columns named (TG_ARGV) hold a member''s id or NULL, never a team account''s';
CREATE OR REPLACE TRIGGER tokens_user_is_member BEFORE INSERT OR UPDATE OF user_id ON privacybee.tokens
    FOR EACH ROW EXECUTE FUNCTION privacybee.refuse_non_member('user_id');
CREATE OR REPLACE TRIGGER employees_person_is_member BEFORE INSERT OR UPDATE OF person_id ON privacybee.employees
    FOR EACH ROW EXECUTE FUNCTION privacybee.refuse_non_member('person_id');
CREATE OR REPLACE TRIGGER buzz_numbers_user_is_member BEFORE INSERT OR UPDATE OF user_id ON privacybee.buzz_numbers
    FOR EACH ROW EXECUTE FUNCTION privacybee.refuse_non_member('user_id');
CREATE OR REPLACE TRIGGER trust_edges_person_is_member BEFORE INSERT OR UPDATE OF target_id, target_type, user_id
    ON privacybee.trust_edges
    FOR EACH ROW WHEN (NEW.target_type = 'person') EXECUTE FUNCTION privacybee.refuse_non_member('user_id', 'target_id');
-- an OAuth grant (its codes and refresh tokens hang from it): nobody authorises an app
-- for a team's account
CREATE OR REPLACE TRIGGER oauth_grants_user_is_member BEFORE INSERT OR UPDATE OF user_id ON privacybee.oauth_grants
    FOR EACH ROW EXECUTE FUNCTION privacybee.refuse_non_member('user_id');
CREATE OR REPLACE TRIGGER trust_requests_parties_are_members BEFORE INSERT OR UPDATE OF user_id, requester_id
    ON privacybee.trust_requests
    FOR EACH ROW EXECUTE FUNCTION privacybee.refuse_non_member('user_id', 'requester_id');

-- A member with the id given: what create_member does, and what the PL/Proxy proxy runs on
-- every shard with the one id it drew (docs/sharding.md, "Reference data"). A repeat with
-- the same id changes nothing, so a broadcast that failed part-way is repaired by
-- running it again.
CREATE OR REPLACE FUNCTION privacybee.put_member(id bigint, first_name text, last_name text,
                                      phone text DEFAULT NULL, middle_name text DEFAULT NULL,
                                      avatar text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(first_name, '') = '' OR last_name IS NULL THEN
        RAISE EXCEPTION 'a member needs a first and a last name'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- names go to every coworker's CardDAV home and contacts: text as text_problem() allows
    PERFORM privacybee.check_text(f.field, f.value)
       FROM (VALUES ('first_name', first_name), ('middle_name', middle_name),
                    ('last_name', last_name), ('avatar', avatar), ('phone', phone)) AS f(field, value);
    INSERT INTO privacybee.people (id, first_name, middle_name, last_name, avatar, phone_raw, phone_e164)
    VALUES (put_member.id, first_name, middle_name, last_name, avatar, phone,
            CASE WHEN phone IS NOT NULL THEN privacybee.normalise_or_fail(phone, 'phone') END)
    ON CONFLICT ON CONSTRAINT people_pkey DO NOTHING;
    -- a repeat finds the member; the id of a team's account is not one, and stays the team's
    IF NOT privacybee.is_member(put_member.id) THEN
        RAISE EXCEPTION 'id % is not free for a member', put_member.id
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN put_member.id;
END
$$;
COMMENT ON FUNCTION privacybee.put_member(bigint, text, text, text, text, text) IS
    'adds a member with this id (create_member draws it; the sharded layout broadcasts it); a repeat changes nothing';

CREATE OR REPLACE FUNCTION privacybee.create_member(first_name text, last_name text, phone text DEFAULT NULL,
                                         middle_name text DEFAULT NULL, avatar text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT privacybee.put_member(pg_catalog.nextval('privacybee.people_id_seq'), first_name, last_name,
                                 phone, middle_name, avatar)
$$;
COMMENT ON FUNCTION privacybee.create_member(text, text, text, text, text) IS
    'adds a member (a person who is also a user) and returns their id';

-- A company with the id given (as put_member: a repeat changes nothing). external_id: the
-- directory's own key for it, unique (SPEC §9: a contact names its company by company_id
-- or company_external_id).
CREATE OR REPLACE FUNCTION privacybee.put_company(id bigint, name text, slug text, phones text[] DEFAULT '{}',
                                       logo text DEFAULT NULL, url text DEFAULT NULL,
                                       external_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    -- a company's name is every employee's team book's displayname (CardDAV): text as
    -- text_problem() allows
    PERFORM privacybee.check_text(f.field, f.value)
       FROM (VALUES ('name', name), ('slug', slug), ('logo', logo), ('url', url),
                    ('external_id', external_id)) AS f(field, value);
    INSERT INTO privacybee.companies (id, name, slug, logo, url, external_id)
    VALUES (put_company.id, name, slug, logo, url, external_id)
    ON CONFLICT ON CONSTRAINT companies_pkey DO NOTHING;
    INSERT INTO privacybee.company_phones (company_id, e164, raw)
    SELECT put_company.id, privacybee.normalise_or_fail(p, 'company phone'), p
      FROM pg_catalog.unnest(COALESCE(phones, '{}')) AS p
    ON CONFLICT DO NOTHING;
    RETURN put_company.id;
END
$$;
COMMENT ON FUNCTION privacybee.put_company(bigint, text, text, text[], text, text, text) IS
    'adds a company with this id and its phone numbers (create_company draws it; the sharded layout broadcasts it); a repeat changes nothing';

-- A company's team account (SPEC §10: the people row its team's contacts and tags are
-- keyed by) with the id given; a repeat changes nothing. On one database act_for_team()
-- makes it at the team's first use. People are reference data in the sharded layout, so
-- there the proxy's create_company() makes it with the company, on every shard, under
-- one id drawn on shard 0, and a shard never makes one of its own (docs/sharding.md).
CREATE OR REPLACE FUNCTION privacybee.put_team_account(company_id bigint, id bigint)
RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO privacybee.people (id, first_name, last_name, team_of)
    SELECT put_team_account.id, c.name, '', c.id FROM privacybee.companies c
     WHERE c.id = put_team_account.company_id
    ON CONFLICT DO NOTHING;
    SELECT p.id FROM privacybee.people p WHERE p.team_of = put_team_account.company_id;
$$;
COMMENT ON FUNCTION privacybee.put_team_account(bigint, bigint) IS
    'adds a company''s team account with this id (the sharded layout broadcasts it with the company); the account''s id';

CREATE OR REPLACE FUNCTION privacybee.create_company(name text, slug text, phones text[] DEFAULT '{}',
                                          logo text DEFAULT NULL, url text DEFAULT NULL,
                                          external_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT privacybee.put_company(pg_catalog.nextval('privacybee.companies_id_seq'), name, slug, phones,
                                  logo, url, external_id)
$$;
COMMENT ON FUNCTION privacybee.create_company(text, text, text[], text, text, text) IS
    'adds a company with its phone numbers and returns its id';

-- A membership moves the trust decisions of the person and of every employee: they are
-- locked first, in the order every trust change locks (sql/logic/50_trust_graph.sql).
CREATE OR REPLACE FUNCTION privacybee.add_employee(company_id bigint, person_id bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM privacybee.trust_lock_membership(add_employee.company_id, add_employee.person_id);
    IF NOT EXISTS (SELECT 1 FROM privacybee.companies c WHERE c.id = add_employee.company_id) THEN
        RAISE EXCEPTION 'company % does not exist', company_id USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT privacybee.is_member(add_employee.person_id) THEN
        RAISE EXCEPTION 'member % does not exist', person_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO privacybee.employees (company_id, person_id)
    VALUES (add_employee.company_id, add_employee.person_id)
    ON CONFLICT DO NOTHING;
    UPDATE privacybee.companies c SET updated = pg_catalog.now() WHERE c.id = add_employee.company_id;
END
$$;
COMMENT ON FUNCTION privacybee.add_employee(bigint, bigint) IS
    'makes a member an employee of a company (idempotent)';

CREATE OR REPLACE FUNCTION privacybee.add_buzz_numbers(numbers text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO privacybee.buzz_numbers (e164)
    SELECT DISTINCT privacybee.normalise_or_fail(n, 'Buzz number')
      FROM pg_catalog.unnest(numbers) AS n
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION privacybee.add_buzz_numbers(text[]) IS
    'adds numbers to the Buzz pool; returns how many were new';

-- A new secret (OAuth code, refresh token, client secret…): prefix, then two v4 UUIDs in
-- hex, 244 bits from the server's strong random source. Returned once; only secret_hash()
-- of it is ever kept. A bearer token is made by new_token() (it carries its member's id).
CREATE OR REPLACE FUNCTION privacybee.new_secret(prefix text)
RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT prefix || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
                  || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
$$;
COMMENT ON FUNCTION privacybee.new_secret(text) IS
    'a new random secret: prefix and 64 hex digits (244 random bits); keep only its secret_hash()';

-- How every secret is kept and found: the SHA-256 of its UTF-8 text (extension/tokens.c
-- hashes the same way).
CREATE OR REPLACE FUNCTION privacybee.secret_hash(secret text)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(secret, 'UTF8'))
$$;
COMMENT ON FUNCTION privacybee.secret_hash(text) IS
    'SHA-256 of a secret''s UTF-8 text: what is kept of a token, code or client secret';

-- Stores token (made by new_token) for user_id: what issue_token does, and what the
-- PL/Proxy proxy runs on every shard with the one plaintext it made (docs/sharding.md).
-- A repeat changes nothing. Scopes may be spelled as the Contacts+ API does
-- (contacts.read); the token keeps the registry's names (scope_canonical()).
CREATE OR REPLACE FUNCTION privacybee.put_token(token text, user_id bigint, scopes text[],
                                     ttl interval DEFAULT '30 days')
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    -- the scopes and who may hold each are the route registry's (scope_canonical,
    -- scope_holder)
    SELECT s INTO bad FROM pg_catalog.unnest(scopes) AS s
     WHERE privacybee.scope_canonical(s) IS NULL
     LIMIT 1;
    IF FOUND OR COALESCE(pg_catalog.cardinality(scopes), 0) = 0 THEN
        RAISE EXCEPTION 'unknown scope %', COALESCE(bad, '(none given)')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    scopes := ARRAY(SELECT DISTINCT privacybee.scope_canonical(s) FROM pg_catalog.unnest(scopes) AS s);
    -- a service scope (the provider's) reads every member's contacts through call-lookup:
    -- never on a member's token (the table's CHECK says so too); a service token carries
    -- service scopes only
    SELECT s INTO bad FROM pg_catalog.unnest(scopes) AS s
     WHERE CASE WHEN user_id IS NULL THEN privacybee.scope_holder(s) <> 'service'
                ELSE privacybee.scope_holder(s) = 'service' END
     LIMIT 1;
    IF FOUND AND user_id IS NULL THEN
        RAISE EXCEPTION 'a service token (no user) carries only the service scope, not %', bad
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF FOUND THEN
        RAISE EXCEPTION '% is the telephony provider''s scope, never on a member''s token', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = pg_catalog.format('Issue it as a service token: issue_token(NULL, ''{%s}'').', bad);
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a member's token: never a team account's (nobody signs in as a team), which is
    -- refused exactly as an id no one has
    IF user_id IS NOT NULL AND NOT privacybee.is_member(user_id) THEN
        RAISE EXCEPTION 'member % does not exist', user_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
    VALUES (privacybee.secret_hash(token), user_id, scopes, pg_catalog.now() + ttl)
    ON CONFLICT (token_hash) DO NOTHING;
    RETURN token;
END
$$;
COMMENT ON FUNCTION privacybee.put_token(text, bigint, text[], interval) IS
    'stores a bearer token made by new_token() for a member (NULL: a service token), checking its scopes; a repeat changes nothing';

-- Returns the plaintext token, the only time it is ever seen; only its SHA-256 is kept.
CREATE OR REPLACE FUNCTION privacybee.issue_token(user_id bigint, scopes text[], ttl interval DEFAULT '30 days')
RETURNS text
LANGUAGE sql AS $$
    SELECT privacybee.put_token(privacybee.new_token(user_id), user_id, scopes, ttl)
$$;
COMMENT ON FUNCTION privacybee.issue_token(bigint, text[], interval) IS
    'issues a bearer token and returns its plaintext once (user_id NULL: a buzz:lookup service token)';

CREATE OR REPLACE FUNCTION privacybee.revoke_token(token text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE privacybee.tokens SET revoked = true
     WHERE token_hash = privacybee.secret_hash(token);
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.revoke_token(text) IS
    'revokes a token; false when it is unknown';
