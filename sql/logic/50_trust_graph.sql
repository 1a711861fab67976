-- The trust graph (SPEC §5): who may ring whom, kept materialised.
--
-- A call from number N to member R is trusted iff R exists and is a member (is_member(),
-- never a team's account), N is valid, and
--   1. R has not explicitly untrusted a person or company owning N, and
--   2. N is R's own phone or Buzz number; or a non-deleted contact of R has phone N; or a
--      person owning N (phone or Buzz number) is trusted by R or is R's coworker; or a
--      company owning N is trusted by R or is R's employer; or a non-deleted contact of a
--      team R works for (SPEC §10: a company's account, sql/schema/76_teams.sql) has N.
-- "Has phone N" and "owning N" compare match keys (phone_match_key, SPEC §3): the E.164
-- form outside the documented national variants, kept in an indexed generated column
-- beside every E.164 column.
--
-- trusted_numbers holds exactly the trusted (user_id, match key) pairs, so the
-- call-screening hot path is one index probe. Triggers on every table a rule reads
-- recompute the pairs a change can affect, in the same transaction. The rules are written
-- twice, as SPEC §5 asks, and nowhere else: trust_eval() answers one pair live (C,
-- extension/trust.c), trust_graph is the same rules as one set-based statement (batch
-- rebuild and checks; its parts trust_reasons and trust_untrusted serve call-lookup and the
-- triggers), trust_verify() lists every pair where the three disagree.
--
-- Serialisation. A trigger evaluates the pairs its change affects under READ COMMITTED,
-- so two transactions changing the inputs of one decision at once (a contact added while
-- its owner is untrusted) would each miss the other's uncommitted change and commit a
-- materialised answer that is not the live one. So every change that can alter a member's
-- decisions first locks that member's people row (FOR NO KEY UPDATE: foreign-key checks,
-- and so trust-lookup's blocked-call log, never wait for it), and only then, in later
-- statements that see everything committed before, reads what the decisions depend on.
-- A second change to the same member waits for the first to commit and then evaluates
-- with it. What is locked, per change:
--   * a contact's phones, a trust decision: the deciding member; a decision also locks
--     its target's row FOR SHARE, since it changes who watches what the target owns;
--   * what a person owns (phone, Buzz number, the person themself): the person's row,
--     then every watcher of the person (person_watchers: themself, members with a
--     decision about them, coworkers). The set is stable once the person is locked (each
--     change to it locks the person), so it is read again after locking;
--   * a company's phones: the company's row, then its watchers (company_watchers:
--     members with a decision about it, its employees), stable once the company is
--     locked;
--   * a membership: the company's row, then the person and every employee;
--   * a team's contact phones (trust_lock_team): the company's row FOR SHARE (its
--     employees stay who they are), then the team's account and every employee.
-- Locks are taken in one order — companies before people, people by id — so the routes
-- never deadlock with each other; an operator's transaction mixing several such changes
-- may, and PostgreSQL then aborts one of them (SQLSTATE 40P01), which is safe to retry.
-- trust-lookup takes none of these locks: it reads trusted_numbers only.
--
-- One member's change moves the trusted numbers of the members who trust them, so the
-- trigger functions and the watcher sets are SECURITY DEFINER, owned by
-- privacybee_system, which row-level security does not confine to one member
-- (sql/logic/95_row_security.sql).


-- Every number a person owns, by match key: their phone and their Buzz number.
CREATE OR REPLACE VIEW privacybee.person_numbers AS
    SELECT p.id AS person_id, p.phone_match_key AS match_key
      FROM privacybee.people p WHERE p.phone_match_key IS NOT NULL
    UNION
    SELECT b.user_id, b.match_key FROM privacybee.buzz_numbers b WHERE b.user_id IS NOT NULL;
COMMENT ON VIEW privacybee.person_numbers IS
    'every number a person owns, by match key: their phone and their Buzz number';

-- Coworkers: people who share a company (each employed person is their own coworker).
-- The one statement of the relation, which the trust rules, the watcher sets and
-- disclosure (40_trust_requests.sql) read.
CREATE OR REPLACE VIEW privacybee.coworkers AS
    SELECT me.person_id, co.person_id AS coworker_id
      FROM privacybee.employees me
      JOIN privacybee.employees co ON co.company_id = me.company_id;
COMMENT ON VIEW privacybee.coworkers IS
    'pairs of people who share a company (one row per shared company; a person is their own coworker)';

-- The rules of §5 in set form, the statement trust_verify() holds the live evaluation
-- (trust.c) against. Rule 2, the reasons to trust: each row is a member, a number's match
-- key, and what makes it trusted — the person, company or contact — so call-lookup can
-- show exactly the matches that trust a call.
CREATE OR REPLACE VIEW privacybee.trust_reasons AS
    SELECT o.person_id AS user_id, o.match_key, o.person_id,           -- own numbers
           NULL::bigint AS company_id, NULL::bigint AS contact_id,
           NULL::bigint AS contact_owner                                 -- whose the contact is
      FROM privacybee.person_numbers o
    UNION ALL
    SELECT c.user_id, c.match_key, NULL, NULL, c.contact_id, c.user_id  -- contacts
      FROM privacybee.contact_phones c WHERE c.match_key IS NOT NULL
    UNION ALL
    SELECT e.user_id, o.match_key, o.person_id, NULL, NULL, NULL        -- trusted people
      FROM privacybee.trust_edges e
      JOIN privacybee.person_numbers o ON o.person_id = e.target_id
     WHERE e.target_type = 'person' AND e.trusted
    UNION ALL
    SELECT w.person_id, o.match_key, o.person_id, NULL, NULL, NULL      -- coworkers
      FROM privacybee.coworkers w
      JOIN privacybee.person_numbers o ON o.person_id = w.coworker_id
    UNION ALL
    SELECT e.user_id, cp.match_key, NULL, cp.company_id, NULL, NULL     -- trusted companies
      FROM privacybee.trust_edges e
      JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
     WHERE e.target_type = 'company' AND e.trusted
    UNION ALL
    SELECT me.person_id, cp.match_key, NULL, me.company_id, NULL, NULL  -- employers
      FROM privacybee.employees me
      JOIN privacybee.company_phones cp ON cp.company_id = me.company_id
    UNION ALL
    SELECT me.person_id, c.match_key, NULL, NULL, c.contact_id, t.id    -- team contacts
      FROM privacybee.employees me
      JOIN privacybee.people t ON t.team_of = me.company_id
      JOIN privacybee.contact_phones c ON c.user_id = t.id
     WHERE c.match_key IS NOT NULL;
COMMENT ON VIEW privacybee.trust_reasons IS
    'rule 2 of the trust graph: each reason member user_id has to trust the number of match_key, with the person, company or contact (and whose contact) behind it';

-- Rule 1, the explicit untrusts: every (member, number match key) where the member
-- untrusted a person or company owning the number.
CREATE OR REPLACE VIEW privacybee.trust_untrusted AS
    SELECT e.user_id, o.match_key
      FROM privacybee.trust_edges e
      JOIN privacybee.person_numbers o ON o.person_id = e.target_id
     WHERE e.target_type = 'person' AND NOT e.trusted
    UNION ALL
    SELECT e.user_id, cp.match_key
      FROM privacybee.trust_edges e
      JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
     WHERE e.target_type = 'company' AND NOT e.trusted;
COMMENT ON VIEW privacybee.trust_untrusted IS
    'rule 1 of the trust graph: every (member, number match key) the member explicitly untrusted an owner of';

-- Every trusted (user_id, match_key) pair: a member (is_member(): "R exists", and is no
-- team's account), a reason to trust, and no explicit untrust.
CREATE OR REPLACE VIEW privacybee.trust_graph AS
    SELECT r.user_id, r.match_key FROM privacybee.trust_reasons r WHERE privacybee.is_member(r.user_id)
    EXCEPT
    SELECT u.user_id, u.match_key FROM privacybee.trust_untrusted u;
COMMENT ON VIEW privacybee.trust_graph IS
    'the trust graph as one set-based statement: every trusted (member, number match key) pair';

CREATE OR REPLACE FUNCTION privacybee.trust_eval(user_id bigint, e164 text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'trust_eval_0_2'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.trust_eval(bigint, text) IS
    'evaluates the trust graph live: may number e164 (any of its forms) ring member user_id?';

-- Recompute the given (user, match key) pairs of trusted_numbers. A shard materialises
-- the decisions of its own members only (05_shard_layout.sql): a change to reference data
-- runs on every shard, and each keeps its members' answers.
CREATE OR REPLACE FUNCTION privacybee.trust_refresh(users bigint[], numbers text[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM privacybee.trusted_numbers t
     USING ROWS FROM (pg_catalog.unnest(users), pg_catalog.unnest(numbers)) AS a(u, n)
     WHERE t.user_id = a.u AND t.match_key = a.n AND NOT privacybee.trust_eval(a.u, a.n);
    INSERT INTO privacybee.trusted_numbers (user_id, match_key)
    SELECT DISTINCT a.u, a.n FROM ROWS FROM (pg_catalog.unnest(users), pg_catalog.unnest(numbers)) AS a(u, n)
     WHERE a.u IS NOT NULL AND a.n IS NOT NULL AND privacybee.is_local_member(a.u)
       AND privacybee.trust_eval(a.u, a.n)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION privacybee.trust_refresh(bigint[], text[]) IS
    're-evaluates these (member, number match key) pairs of trusted_numbers live';

-- Members whose trust decisions can depend on what person p owns: p, members with an
-- explicit decision about p, p's coworkers.
CREATE OR REPLACE FUNCTION privacybee.person_watchers(p bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT p
    UNION SELECT e.user_id FROM privacybee.trust_edges e
           WHERE e.target_type = 'person' AND e.target_id = p
    UNION SELECT w.coworker_id FROM privacybee.coworkers w WHERE w.person_id = p
$$;
COMMENT ON FUNCTION privacybee.person_watchers(bigint) IS
    'the members whose trust decisions can depend on what a person owns: themself, members with a decision about them, coworkers';

-- Members whose decisions can depend on what company c owns: its deciders and employees.
CREATE OR REPLACE FUNCTION privacybee.company_watchers(c bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT e.user_id FROM privacybee.trust_edges e
     WHERE e.target_type = 'company' AND e.target_id = c
    UNION SELECT m.person_id FROM privacybee.employees m WHERE m.company_id = c
$$;
COMMENT ON FUNCTION privacybee.company_watchers(bigint) IS
    'the members whose trust decisions can depend on what a company owns: its deciders and employees';

-- ---- Serialisation (see the header) -----------------------------------------------

-- Lock the decisions of these members: their people rows, in id order. Returns how many
-- exist (a member deleted meanwhile has no row to lock).
CREATE OR REPLACE FUNCTION privacybee.trust_lock_members(members bigint[])
RETURNS bigint
LANGUAGE sql AS $$
    SELECT pg_catalog.count(*) FROM (SELECT 1 FROM privacybee.people p WHERE p.id = ANY (members)
                           ORDER BY p.id FOR NO KEY UPDATE) AS locked
$$;
COMMENT ON FUNCTION privacybee.trust_lock_members(bigint[]) IS
    'serialises changes to these members'' trust decisions until the transaction ends';

-- The member a route acts for, locked before the route reads what their decisions depend
-- on. Their token was checked, but they may have been deleted since (their tokens with
-- them): then 401, as the next request would be answered.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_caller(uid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF privacybee.trust_lock_members(ARRAY[uid]) = 0 THEN
        PERFORM privacybee.fail(401, 'the member of this token no longer exists');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_caller(bigint) IS
    'locks the decisions of the member a route acts for; 401 when the member no longer exists';

-- A decision of user_id about a person or company: the member, and the target FOR SHARE
-- (its watchers change); companies first, people in id order. Returns whether the member
-- still exists.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_edge(user_id bigint, target_type text, target_id bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    locked bigint;
BEGIN
    IF target_type = 'company' THEN
        PERFORM 1 FROM privacybee.companies c WHERE c.id = target_id FOR SHARE;
        locked := privacybee.trust_lock_members(ARRAY[user_id]);
    ELSIF target_id < user_id THEN
        PERFORM 1 FROM privacybee.people p WHERE p.id = target_id FOR SHARE;
        locked := privacybee.trust_lock_members(ARRAY[user_id]);
    ELSE
        locked := privacybee.trust_lock_members(ARRAY[user_id]);
        PERFORM 1 FROM privacybee.people p WHERE p.id = target_id FOR SHARE;
    END IF;
    RETURN locked > 0;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_edge(bigint, text, bigint) IS
    'locks a decision''s member and its target in the one lock order; false when the member no longer exists';

-- What person p owns is about to change: lock p and every member watching p, in id
-- order; read the watchers again once p is locked (the set is stable from then on) and
-- lock any that joined meanwhile. Returns the members locked.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_person_watchers(p bigint)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    locked bigint[] := '{}';
    more bigint[];
BEGIN
    LOOP
        more := ARRAY(SELECT w FROM privacybee.person_watchers(p) AS w
                       WHERE w <> ALL (locked) ORDER BY w);
        EXIT WHEN pg_catalog.cardinality(more) = 0;
        PERFORM privacybee.trust_lock_members(more);
        locked := locked || more;
    END LOOP;
    RETURN locked;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_person_watchers(bigint) IS
    'locks a person and every member watching them, in id order; returns them';

-- What company c owns is about to change: lock c, then its watchers. Returns them.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_company_watchers(c bigint)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    watchers bigint[];
BEGIN
    PERFORM 1 FROM privacybee.companies k WHERE k.id = c FOR NO KEY UPDATE;
    watchers := ARRAY(SELECT w FROM privacybee.company_watchers(c) AS w ORDER BY w);
    PERFORM privacybee.trust_lock_members(watchers);
    RETURN watchers;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_company_watchers(bigint) IS
    'locks a company, then every member watching it; returns them';

-- A membership of person in company c is about to change: lock c, then the person and
-- every employee of c (stable once c is locked). Returns them.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_membership(c bigint, person bigint)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    members bigint[];
BEGIN
    PERFORM 1 FROM privacybee.companies k WHERE k.id = c FOR NO KEY UPDATE;
    members := ARRAY(SELECT person
                     UNION SELECT e.person_id FROM privacybee.employees e WHERE e.company_id = c
                     ORDER BY 1);
    PERFORM privacybee.trust_lock_members(members);
    RETURN members;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_membership(bigint, bigint) IS
    'locks a company, then the person and every employee; returns them';

-- A team's contacts (those of account, a company's team account) are about to change:
-- lock the company FOR SHARE (its memberships wait), then the account and every employee,
-- in id order. Returns the employees; none for a member's own account.
CREATE OR REPLACE FUNCTION privacybee.trust_lock_team(account bigint)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    team bigint := (SELECT p.team_of FROM privacybee.people p WHERE p.id = account);
    members bigint[];
BEGIN
    IF team IS NULL THEN
        RETURN '{}';
    END IF;
    PERFORM 1 FROM privacybee.companies k WHERE k.id = team FOR SHARE;
    members := ARRAY(SELECT e.person_id FROM privacybee.employees e WHERE e.company_id = team);
    PERFORM privacybee.trust_lock_members(members || account);
    RETURN members;
END
$$;
COMMENT ON FUNCTION privacybee.trust_lock_team(bigint) IS
    'locks a team''s company FOR SHARE, then its account and every employee; returns the employees';

-- ---- Triggers ------------------------------------------------------------------------
-- Each locks (above), then collects the (user, match key) pairs its change can affect and
-- refreshes them; contact phones are statement-level with transition tables, so a sync of
-- 1,000 contacts is one call.

-- A contact phone added can only add trust: the pair is trusted unless the member
-- untrusted an owner of the number (rule 1, trust_untrusted), so no live evaluation is
-- needed. A phone removed may take trust away: those pairs are evaluated again.
CREATE OR REPLACE FUNCTION privacybee.trust_on_contact_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    u bigint[];
    n text[];
    teams bigint[];
    employees bigint[] := '{}';
    t bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        u := ARRAY(SELECT DISTINCT c.user_id FROM new_rows c);
    ELSE
        u := ARRAY(SELECT DISTINCT c.user_id FROM old_rows c);
    END IF;
    -- the phones of a team's contacts are its employees' reasons too (SPEC §10): the
    -- team's company, account and employees are locked first (a team write through the
    -- Contacts+ routes took them already, in this order)
    teams := ARRAY(SELECT p.id FROM privacybee.people p WHERE p.id = ANY (u) AND p.team_of IS NOT NULL
                    ORDER BY p.id);
    FOREACH t IN ARRAY teams LOOP
        employees := employees || privacybee.trust_lock_team(t);
    END LOOP;
    PERFORM privacybee.trust_lock_members(u);
    -- a team's contacts changed on the team's shard: its copy on every other shard is then
    -- older (team_copy(), put_team_copy(): the employees there trust by it)
    IF privacybee.shard_count() > 1 THEN
        INSERT INTO privacybee.team_copies AS v (company_id, version)
        SELECT p.team_of, 1 FROM privacybee.people p
         WHERE p.id = ANY (teams) AND privacybee.is_local_member(p.id)
         ORDER BY p.team_of
        ON CONFLICT ON CONSTRAINT team_copies_pkey DO UPDATE SET version = v.version + 1;
    END IF;
    -- a shard materialises its own members' decisions only (05_shard_layout.sql): a team's
    -- contacts are copied to every shard, and the employees of each are refreshed there
    IF TG_OP = 'INSERT' THEN
        -- rule 1 of these members only (u narrows trust_untrusted to their edges); a
        -- team's account is none (its contacts are its employees' reasons, below)
        INSERT INTO privacybee.trusted_numbers (user_id, match_key)
        SELECT DISTINCT c.user_id, c.match_key FROM new_rows c
         WHERE c.match_key IS NOT NULL AND c.user_id <> ALL (teams)
           AND privacybee.is_local_member(c.user_id)
           AND NOT EXISTS (SELECT 1 FROM privacybee.trust_untrusted x
                            WHERE x.user_id = ANY (u) AND x.user_id = c.user_id
                              AND x.match_key = c.match_key)
        ON CONFLICT DO NOTHING;
        -- and of the teams' employees
        INSERT INTO privacybee.trusted_numbers (user_id, match_key)
        SELECT DISTINCT me.person_id, c.match_key
          FROM new_rows c
          JOIN privacybee.people a ON a.id = c.user_id AND a.id = ANY (teams)
          JOIN privacybee.employees me ON me.company_id = a.team_of
         WHERE c.match_key IS NOT NULL AND privacybee.is_local_member(me.person_id)
           AND NOT EXISTS (SELECT 1 FROM privacybee.trust_untrusted x
                            WHERE x.user_id = ANY (employees) AND x.user_id = me.person_id
                              AND x.match_key = c.match_key)
        ON CONFLICT DO NOTHING;
    ELSE
        SELECT pg_catalog.array_agg(x.user_id), pg_catalog.array_agg(x.match_key) INTO u, n
          FROM (SELECT o.user_id, o.match_key FROM old_rows o WHERE o.match_key IS NOT NULL
                UNION
                SELECT me.person_id, o.match_key
                  FROM old_rows o
                  JOIN privacybee.people a ON a.id = o.user_id AND a.id = ANY (teams)
                  JOIN privacybee.employees me ON me.company_id = a.team_of
                 WHERE o.match_key IS NOT NULL) AS x;
        IF u IS NOT NULL THEN
            PERFORM privacybee.trust_refresh(u, n);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_contact_phones() IS
    'trigger: contact phones added or removed move their member''s trust decisions (a team''s: its employees'')';
CREATE OR REPLACE TRIGGER trust_contact_phones_ins AFTER INSERT ON privacybee.contact_phones
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.trust_on_contact_phones();
CREATE OR REPLACE TRIGGER trust_contact_phones_del AFTER DELETE ON privacybee.contact_phones
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.trust_on_contact_phones();

-- A decision about a person or company: that member, the target's numbers.
CREATE OR REPLACE FUNCTION privacybee.trust_edge_refresh(user_id bigint, target_type text, target_id bigint)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(pg_catalog.array_agg(user_id), pg_catalog.array_agg(x.match_key))
      FROM (SELECT o.match_key FROM privacybee.person_numbers o
             WHERE target_type = 'person' AND o.person_id = target_id
            UNION ALL
            SELECT cp.match_key FROM privacybee.company_phones cp
             WHERE target_type = 'company' AND cp.company_id = target_id) AS x
$$;
COMMENT ON FUNCTION privacybee.trust_edge_refresh(bigint, text, bigint) IS
    'a trust decision changed: refreshes the member''s decisions about the target''s numbers';

CREATE OR REPLACE FUNCTION privacybee.trust_on_edges()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_lock_edge(OLD.user_id, OLD.target_type, OLD.target_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_lock_edge(NEW.user_id, NEW.target_type, NEW.target_id);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_edge_refresh(OLD.user_id, OLD.target_type, OLD.target_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_edge_refresh(NEW.user_id, NEW.target_type, NEW.target_id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_edges() IS
    'trigger: a trust or untrust decision moves its member''s decisions';
CREATE OR REPLACE TRIGGER trust_edges_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.trust_edges
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_edges();

-- What a person owns changed (phone, Buzz number, the person themself): their old and
-- new numbers, for every member watching them.
CREATE OR REPLACE FUNCTION privacybee.trust_person_numbers_changed(p bigint, numbers text[])
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(pg_catalog.array_agg(w.w), pg_catalog.array_agg(n.n))
      FROM pg_catalog.unnest(privacybee.trust_lock_person_watchers(p)) AS w(w),
           pg_catalog.unnest(numbers) AS n(n)
     WHERE n.n IS NOT NULL
$$;
COMMENT ON FUNCTION privacybee.trust_person_numbers_changed(bigint, text[]) IS
    'what a person owns changed: refreshes those numbers for every member watching them';

CREATE OR REPLACE FUNCTION privacybee.trust_on_people()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id, ARRAY[NEW.phone_match_key]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM privacybee.trust_person_numbers_changed(OLD.id, ARRAY[OLD.phone_match_key]);
    ELSIF NEW.phone_match_key IS DISTINCT FROM OLD.phone_match_key THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id,
                                                        ARRAY[OLD.phone_match_key, NEW.phone_match_key]);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_people() IS
    'trigger: a member added, removed or with a new phone moves trust decisions';
CREATE OR REPLACE TRIGGER trust_people_change AFTER INSERT OR UPDATE OF phone_e164 OR DELETE
    ON privacybee.people
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_people();

-- A person about to be deleted first leaves their companies and gives back their Buzz
-- number, while they still exist, so those triggers find the members watching them
-- (their coworkers are not found once the memberships are gone); the phone follows in
-- trust_on_people above. Decisions about the person stay, owning nothing.
CREATE OR REPLACE FUNCTION privacybee.trust_on_person_delete()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.trust_lock_person_watchers(OLD.id);
    DELETE FROM privacybee.employees e WHERE e.person_id = OLD.id;
    UPDATE privacybee.buzz_numbers b SET user_id = NULL WHERE b.user_id = OLD.id;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_person_delete() IS
    'trigger: a person about to go first leaves their companies and gives back their Buzz number';
CREATE OR REPLACE TRIGGER trust_people_delete BEFORE DELETE ON privacybee.people
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_person_delete();

CREATE OR REPLACE FUNCTION privacybee.trust_on_buzz_numbers()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(OLD.user_id, ARRAY[OLD.match_key]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.user_id, ARRAY[NEW.match_key]);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_buzz_numbers() IS
    'trigger: a Buzz number assigned or given back moves trust decisions';
CREATE OR REPLACE TRIGGER trust_buzz_numbers_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.buzz_numbers
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_buzz_numbers();

CREATE OR REPLACE FUNCTION privacybee.trust_company_number_changed(company_id bigint, match_key text)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(pg_catalog.array_agg(w.w), pg_catalog.array_agg(match_key))
      FROM pg_catalog.unnest(privacybee.trust_lock_company_watchers(company_id)) AS w(w)
$$;
COMMENT ON FUNCTION privacybee.trust_company_number_changed(bigint, text) IS
    'a company''s number changed: refreshes that number for every member watching the company';

CREATE OR REPLACE FUNCTION privacybee.trust_on_company_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_company_number_changed(OLD.company_id, OLD.match_key);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_company_number_changed(NEW.company_id, NEW.match_key);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_company_phones() IS
    'trigger: a company phone added or removed moves trust decisions';
CREATE OR REPLACE TRIGGER trust_company_phones_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.company_phones
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_company_phones();

-- A company about to be deleted first loses its phones, then its employees, while it
-- still exists, so those triggers find the members watching it.
CREATE OR REPLACE FUNCTION privacybee.trust_on_company_delete()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.trust_lock_company_watchers(OLD.id);
    DELETE FROM privacybee.company_phones cp WHERE cp.company_id = OLD.id;
    DELETE FROM privacybee.employees e WHERE e.company_id = OLD.id;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_company_delete() IS
    'trigger: a company about to go first loses its phones and employees, so their triggers find its watchers';
CREATE OR REPLACE TRIGGER trust_companies_delete BEFORE DELETE ON privacybee.companies
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_company_delete();

-- A membership: the person and the company's other employees become (or stop being)
-- coworkers, and the company the person's employer.
CREATE OR REPLACE FUNCTION privacybee.trust_on_employees()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m privacybee.employees;
BEGIN
    m := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    PERFORM privacybee.trust_lock_membership(m.company_id, m.person_id);
    -- the person: the numbers of the company, of every coworker and of the team's contacts
    PERFORM privacybee.trust_refresh(pg_catalog.array_agg(m.person_id), pg_catalog.array_agg(x.match_key))
       FROM (SELECT cp.match_key FROM privacybee.company_phones cp WHERE cp.company_id = m.company_id
             UNION
             SELECT o.match_key FROM privacybee.employees co
               JOIN privacybee.person_numbers o ON o.person_id = co.person_id
              WHERE co.company_id = m.company_id
             UNION
             SELECT c.match_key FROM privacybee.people t
               JOIN privacybee.contact_phones c ON c.user_id = t.id
              WHERE t.team_of = m.company_id AND c.match_key IS NOT NULL) AS x;
    -- every coworker: the person's numbers
    PERFORM privacybee.trust_refresh(pg_catalog.array_agg(co.person_id), pg_catalog.array_agg(o.match_key))
       FROM privacybee.employees co, privacybee.person_numbers o
      WHERE co.company_id = m.company_id AND o.person_id = m.person_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_employees() IS
    'trigger: a membership moves the decisions of the person and their coworkers';
CREATE OR REPLACE TRIGGER trust_employees_change AFTER INSERT OR DELETE ON privacybee.employees
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_employees();

-- Memberships ended by one statement (a company deleted, an operator's DELETE): each row's
-- trigger above sees none of the others, so two people who stopped being coworkers in the
-- same statement were refreshed by neither. This refreshes them: every person whose
-- membership went, for the numbers of every other person whose membership of the same
-- company went (the row triggers locked them all).
CREATE OR REPLACE FUNCTION privacybee.trust_on_employees_gone()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.trust_refresh(pg_catalog.array_agg(a.person_id), pg_catalog.array_agg(o.match_key))
       FROM old_rows a
       JOIN old_rows b ON b.company_id = a.company_id AND b.person_id <> a.person_id
       JOIN privacybee.person_numbers o ON o.person_id = b.person_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.trust_on_employees_gone() IS
    'trigger: memberships ended together move the decisions of those who were coworkers through them';
CREATE OR REPLACE TRIGGER trust_employees_gone AFTER DELETE ON privacybee.employees
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.trust_on_employees_gone();

-- Rebuild trusted_numbers for one member, or for everyone (NULL), 1,000 members a batch,
-- reporting progress as NOTICEs. Returns the number of trusted pairs written. Each batch's
-- members are locked like any change to their decisions; their writes wait until the
-- rebuild commits.
CREATE OR REPLACE FUNCTION privacybee.recompute_trust(user_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    batch bigint[];
    total_users bigint;
    done_users bigint := 0;
    written bigint := 0;
    n bigint;
    last_id bigint := 0;
BEGIN
    IF user_id IS NOT NULL THEN
        PERFORM privacybee.trust_lock_members(ARRAY[user_id]);
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = recompute_trust.user_id;
        INSERT INTO privacybee.trusted_numbers (user_id, match_key)
        SELECT g.user_id, g.match_key FROM privacybee.trust_graph g
         WHERE g.user_id = recompute_trust.user_id
           AND privacybee.is_local_member(recompute_trust.user_id);
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END IF;
    SELECT pg_catalog.count(*) INTO total_users FROM privacybee.people
     WHERE privacybee.is_local_member(id) AND privacybee.is_member(id);
    LOOP
        SELECT pg_catalog.array_agg(p.id ORDER BY p.id) INTO batch
          FROM (SELECT id FROM privacybee.people
                 WHERE id > last_id AND privacybee.is_local_member(id) AND privacybee.is_member(id)
                 ORDER BY id LIMIT 1000) AS p;
        EXIT WHEN batch IS NULL;
        last_id := batch[pg_catalog.cardinality(batch)];
        PERFORM privacybee.trust_lock_members(batch);
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = ANY (batch);
        INSERT INTO privacybee.trusted_numbers (user_id, match_key)
        SELECT g.user_id, g.match_key FROM privacybee.trust_graph g WHERE g.user_id = ANY (batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        written := written + n;
        done_users := done_users + pg_catalog.cardinality(batch);
        RAISE NOTICE 'recompute_trust: % of % members, % trusted numbers so far',
            done_users, total_users, written;
    END LOOP;
    -- pairs of members who no longer exist (or are a team's account), or are another shard's
    DELETE FROM privacybee.trusted_numbers t
     WHERE NOT privacybee.is_member(t.user_id)
        OR NOT privacybee.is_local_member(t.user_id);
    RETURN written;
END
$$;
COMMENT ON FUNCTION privacybee.recompute_trust(bigint) IS
    'rebuilds the materialised trust decisions of one member, or of all (NULL), with progress notices';

-- Every pair where the materialised decision, the live C evaluation and the set-based
-- statement do not all agree; e164 is the number's match key. Must return nothing.
CREATE OR REPLACE FUNCTION privacybee.trust_verify()
RETURNS TABLE (user_id bigint, e164 text, materialised boolean, live boolean, statement boolean)
LANGUAGE sql STABLE
-- One hash full join of the two sets, then the live evaluation of each pair: linear in the
-- number of trusted pairs (it runs nightly over all of them). JIT off: the view's row
-- estimate makes the planner compile for seconds on any database.
SET jit = off AS $$
    SELECT v.user_id, v.match_key, v.materialised,
           privacybee.trust_eval(v.user_id, v.match_key), v.statement
      FROM (SELECT COALESCE(m.user_id, g.user_id) AS user_id,
                   COALESCE(m.match_key, g.match_key) AS match_key,
                   m.user_id IS NOT NULL AS materialised, g.user_id IS NOT NULL AS statement
              FROM (SELECT DISTINCT t.user_id, t.match_key FROM privacybee.trusted_numbers t) AS m
              FULL JOIN (SELECT DISTINCT x.user_id, x.match_key FROM privacybee.trust_graph x
                          WHERE privacybee.is_local_member(x.user_id)) AS g
                ON g.user_id = m.user_id AND g.match_key = m.match_key) AS v
     WHERE NOT (v.materialised AND v.statement
                AND privacybee.trust_eval(v.user_id, v.match_key))
$$;
COMMENT ON FUNCTION privacybee.trust_verify() IS
    'lists every (member, number match key) where materialised, live and set-based trust answers differ';
