-- The trust graph (SPEC §5): who may ring whom, kept materialised.
--
-- A call from number N to member R is trusted iff R exists, N is valid, and
--   1. R has not explicitly untrusted a person or company owning N, and
--   2. N is R's own phone or Buzz number; or a non-deleted contact of R has phone N; or a
--      person owning N (phone or Buzz number) is trusted by R or is R's coworker; or a
--      company owning N is trusted by R or is R's employer.
--
-- trusted_numbers holds exactly the trusted (user_id, e164) pairs, so the call-screening
-- hot path is one index probe. Triggers on every table a rule reads recompute the pairs a
-- change can affect, in the same transaction. trust_eval() answers one pair live (C),
-- trust_graph is the same rules as one set-based statement (batch rebuild and checks),
-- trust_verify() lists every pair where the three disagree.
--
-- One member's change moves the trusted numbers of the members who trust them, so the
-- trigger functions are SECURITY DEFINER, owned by privacybee_system, which row-level
-- security does not confine to one member (sql/logic/95_row_security.sql).


-- Every number a person owns: their phone and their Buzz number.
CREATE OR REPLACE VIEW privacybee.person_numbers AS
    SELECT p.id AS person_id, p.phone_e164 AS e164
      FROM privacybee.people p WHERE p.phone_e164 IS NOT NULL
    UNION
    SELECT b.user_id, b.e164 FROM privacybee.buzz_numbers b WHERE b.user_id IS NOT NULL;

-- The rules of §5 as one statement: every trusted (user_id, e164) pair.
CREATE OR REPLACE VIEW privacybee.trust_graph AS
    (SELECT o.person_id AS user_id, o.e164                              -- own numbers
       FROM privacybee.person_numbers o
     UNION
     SELECT c.user_id, c.e164                                            -- contacts
       FROM privacybee.contact_phones c WHERE c.e164 IS NOT NULL
     UNION
     SELECT e.user_id, o.e164                                            -- trusted people
       FROM privacybee.trust_edges e
       JOIN privacybee.person_numbers o ON o.person_id = e.target_id
      WHERE e.target_type = 'person' AND e.trusted
     UNION
     SELECT me.person_id, o.e164                                         -- coworkers
       FROM privacybee.employees me
       JOIN privacybee.employees co ON co.company_id = me.company_id
       JOIN privacybee.person_numbers o ON o.person_id = co.person_id
     UNION
     SELECT e.user_id, cp.e164                                           -- trusted companies
       FROM privacybee.trust_edges e
       JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
      WHERE e.target_type = 'company' AND e.trusted
     UNION
     SELECT me.person_id, cp.e164                                        -- employers
       FROM privacybee.employees me
       JOIN privacybee.company_phones cp ON cp.company_id = me.company_id)
    EXCEPT
    (SELECT e.user_id, o.e164                                            -- explicit untrust
       FROM privacybee.trust_edges e
       JOIN privacybee.person_numbers o ON o.person_id = e.target_id
      WHERE e.target_type = 'person' AND NOT e.trusted
     UNION
     SELECT e.user_id, cp.e164
       FROM privacybee.trust_edges e
       JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
      WHERE e.target_type = 'company' AND NOT e.trusted);

CREATE OR REPLACE FUNCTION privacybee.trust_eval(user_id bigint, e164 text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'trust_eval'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.trust_eval(bigint, text) IS
    'evaluates the trust graph live: may number e164 ring member user_id?';

-- Recompute the given (user, number) pairs of trusted_numbers.
CREATE OR REPLACE FUNCTION privacybee.trust_refresh(users bigint[], numbers text[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM privacybee.trusted_numbers t
     USING unnest(users, numbers) AS a(u, n)
     WHERE t.user_id = a.u AND t.e164 = a.n AND NOT privacybee.trust_eval(a.u, a.n);
    INSERT INTO privacybee.trusted_numbers (user_id, e164)
    SELECT DISTINCT a.u, a.n FROM unnest(users, numbers) AS a(u, n)
     WHERE a.u IS NOT NULL AND a.n IS NOT NULL AND privacybee.trust_eval(a.u, a.n)
    ON CONFLICT DO NOTHING;
END
$$;

-- Members whose trust decisions can depend on what person p owns: p, members with an
-- explicit decision about p, p's coworkers.
CREATE OR REPLACE FUNCTION privacybee.person_watchers(p bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT p
    UNION SELECT e.user_id FROM privacybee.trust_edges e
           WHERE e.target_type = 'person' AND e.target_id = p
    UNION SELECT co.person_id FROM privacybee.employees me
            JOIN privacybee.employees co ON co.company_id = me.company_id
           WHERE me.person_id = p
$$;

-- Members whose decisions can depend on what company c owns: its deciders and employees.
CREATE OR REPLACE FUNCTION privacybee.company_watchers(c bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT e.user_id FROM privacybee.trust_edges e
     WHERE e.target_type = 'company' AND e.target_id = c
    UNION SELECT m.person_id FROM privacybee.employees m WHERE m.company_id = c
$$;

-- Triggers. Each collects the (user, number) pairs its change can affect and refreshes
-- them; statement-level with transition tables, so a sync of 1,000 contacts is one call.

-- A contact phone added can only add trust: the pair is trusted unless the member
-- untrusted an owner of the number (rule 1), so no live evaluation is needed. A phone
-- removed may take trust away: those pairs are evaluated again.
CREATE OR REPLACE FUNCTION privacybee.trust_on_contact_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    u bigint[];
    n text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT DISTINCT c.user_id, c.e164 FROM new_rows c
         WHERE c.e164 IS NOT NULL
           AND NOT EXISTS (
               SELECT 1 FROM privacybee.trust_edges e
                WHERE e.user_id = c.user_id AND NOT e.trusted
                  AND ((e.target_type = 'person' AND e.target_id IN (
                            SELECT o.person_id FROM privacybee.person_numbers o WHERE o.e164 = c.e164))
                    OR (e.target_type = 'company' AND e.target_id IN (
                            SELECT cp.company_id FROM privacybee.company_phones cp WHERE cp.e164 = c.e164))))
        ON CONFLICT DO NOTHING;
    ELSE
        SELECT array_agg(user_id), array_agg(e164) INTO u, n FROM old_rows WHERE e164 IS NOT NULL;
        IF u IS NOT NULL THEN
            PERFORM privacybee.trust_refresh(u, n);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
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
    SELECT privacybee.trust_refresh(array_agg(user_id), array_agg(x.e164))
      FROM (SELECT o.e164 FROM privacybee.person_numbers o
             WHERE target_type = 'person' AND o.person_id = target_id
            UNION ALL
            SELECT cp.e164 FROM privacybee.company_phones cp
             WHERE target_type = 'company' AND cp.company_id = target_id) AS x
$$;

CREATE OR REPLACE FUNCTION privacybee.trust_on_edges()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_edge_refresh(OLD.user_id, OLD.target_type, OLD.target_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_edge_refresh(NEW.user_id, NEW.target_type, NEW.target_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trust_edges_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.trust_edges
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_edges();

-- What a person owns changed (phone, Buzz number): their old and new numbers, for every
-- member watching them.
CREATE OR REPLACE FUNCTION privacybee.trust_person_numbers_changed(p bigint, numbers text[])
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(array_agg(w.w), array_agg(n.n))
      FROM privacybee.person_watchers(p) AS w(w), unnest(numbers) AS n(n)
     WHERE n.n IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION privacybee.trust_on_people()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id, ARRAY[NEW.phone_e164]);
    ELSIF NEW.phone_e164 IS DISTINCT FROM OLD.phone_e164 THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id, ARRAY[OLD.phone_e164, NEW.phone_e164]);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trust_people_change AFTER INSERT OR UPDATE OF phone_e164 ON privacybee.people
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_people();

CREATE OR REPLACE FUNCTION privacybee.trust_on_buzz_numbers()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(OLD.user_id, ARRAY[OLD.e164]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.user_id, ARRAY[NEW.e164]);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trust_buzz_numbers_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.buzz_numbers
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_buzz_numbers();

CREATE OR REPLACE FUNCTION privacybee.trust_company_number_changed(company_id bigint, e164 text)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(array_agg(w.w), array_agg(e164))
      FROM privacybee.company_watchers(company_id) AS w(w)
$$;

CREATE OR REPLACE FUNCTION privacybee.trust_on_company_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_company_number_changed(OLD.company_id, OLD.e164);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_company_number_changed(NEW.company_id, NEW.e164);
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trust_company_phones_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.company_phones
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_company_phones();

-- A membership: the person and the company's other employees become coworkers, and the
-- company becomes the person's employer.
CREATE OR REPLACE FUNCTION privacybee.trust_on_employees()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m privacybee.employees;
BEGIN
    m := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    -- the person: the numbers of the company and of every coworker
    PERFORM privacybee.trust_refresh(array_agg(m.person_id), array_agg(x.e164))
       FROM (SELECT cp.e164 FROM privacybee.company_phones cp WHERE cp.company_id = m.company_id
             UNION
             SELECT o.e164 FROM privacybee.employees co
               JOIN privacybee.person_numbers o ON o.person_id = co.person_id
              WHERE co.company_id = m.company_id) AS x;
    -- every coworker: the person's numbers
    PERFORM privacybee.trust_refresh(array_agg(co.person_id), array_agg(o.e164))
       FROM privacybee.employees co, privacybee.person_numbers o
      WHERE co.company_id = m.company_id AND o.person_id = m.person_id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trust_employees_change AFTER INSERT OR DELETE ON privacybee.employees
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_employees();

-- Rebuild trusted_numbers for one member, or for everyone (NULL), 1,000 members a batch,
-- reporting progress as NOTICEs. Returns the number of trusted pairs written.
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
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = recompute_trust.user_id;
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT g.user_id, g.e164 FROM privacybee.trust_graph g
         WHERE g.user_id = recompute_trust.user_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END IF;
    SELECT count(*) INTO total_users FROM privacybee.people;
    LOOP
        SELECT array_agg(p.id ORDER BY p.id) INTO batch
          FROM (SELECT id FROM privacybee.people WHERE id > last_id ORDER BY id LIMIT 1000) AS p;
        EXIT WHEN batch IS NULL;
        last_id := batch[cardinality(batch)];
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = ANY (batch);
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT g.user_id, g.e164 FROM privacybee.trust_graph g WHERE g.user_id = ANY (batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        written := written + n;
        done_users := done_users + cardinality(batch);
        RAISE NOTICE 'recompute_trust: % of % members, % trusted numbers so far',
            done_users, total_users, written;
    END LOOP;
    -- pairs of members who no longer exist
    DELETE FROM privacybee.trusted_numbers t
     WHERE NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = t.user_id);
    RETURN written;
END
$$;
COMMENT ON FUNCTION privacybee.recompute_trust(bigint) IS
    'rebuilds the materialised trust decisions of one member, or of all (NULL), with progress notices';

-- Every pair where the materialised decision, the live C evaluation and the set-based
-- statement do not all agree. Must return nothing.
CREATE OR REPLACE FUNCTION privacybee.trust_verify()
RETURNS TABLE (user_id bigint, e164 text, materialised boolean, live boolean, statement boolean)
LANGUAGE sql STABLE AS $$
    WITH m AS (SELECT t.user_id, t.e164 FROM privacybee.trusted_numbers t),
         g AS (SELECT x.user_id, x.e164 FROM privacybee.trust_graph x),
         pairs AS (SELECT * FROM m UNION SELECT * FROM g)
    SELECT p.user_id, p.e164,
           EXISTS (SELECT 1 FROM m WHERE m.user_id = p.user_id AND m.e164 = p.e164),
           privacybee.trust_eval(p.user_id, p.e164),
           EXISTS (SELECT 1 FROM g WHERE g.user_id = p.user_id AND g.e164 = p.e164)
      FROM pairs p
     WHERE NOT (EXISTS (SELECT 1 FROM m WHERE m.user_id = p.user_id AND m.e164 = p.e164)
                AND privacybee.trust_eval(p.user_id, p.e164)
                AND EXISTS (SELECT 1 FROM g WHERE g.user_id = p.user_id AND g.e164 = p.e164))
$$;
COMMENT ON FUNCTION privacybee.trust_verify() IS
    'lists every (member, number) where materialised, live and set-based trust answers differ';
