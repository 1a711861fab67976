-- Trust requests, explicit trust / untrust, and the coworker listing (SPEC §4).
--
-- A request is one row per (asked member, requester): asking again while it is pending
-- updates its reason and time; once answered it stays answered, so a declined requester
-- cannot put themselves back on the list by asking again (they get the same 201).
--
-- Privacy (SPEC §2, §4): trust is unilateral, so it discloses nothing of the person
-- trusted; a person discloses themself to a member by working with them, by trusting
-- them, or by asking them for trust. A request by phone answers the same whether or not
-- the number is a member's, so the API never tells who is a member by number.

-- A request as the asked member sees it: who asks (asking discloses the requester), why
-- and when. GET /contacts/requests lists these; the trust_request.received webhook event
-- carries one.
CREATE OR REPLACE FUNCTION privacybee.trust_request_json(r privacybee.trust_requests)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
               'id', p.id, 'first_name', p.first_name, 'middle_name', p.middle_name,
               'last_name', p.last_name, 'contact_reason', r.contact_reason,
               'updated_at', privacybee.rfc3339(r.updated))
      FROM privacybee.people p WHERE p.id = r.requester_id
$$;
COMMENT ON FUNCTION privacybee.trust_request_json(privacybee.trust_requests) IS
    'a trust request as the asked member sees it: the requester''s name, the reason and when';

-- GET /contacts/requests
CREATE OR REPLACE FUNCTION privacybee.api_trust_requests_list(token text, arg text, params jsonb, body jsonb,
                                                   if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_trust_requests_list'));
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT '[' || COALESCE(pg_catalog.string_agg(privacybee.trust_request_json(r)::text,
               ',' ORDER BY r.updated DESC, r.requester_id), '') || ']'
      INTO out
      FROM privacybee.trust_requests r
     WHERE r.user_id = uid AND r.status = 'pending';
    RETURN privacybee.response(200, out);
END
$$;

-- POST /contacts/requests {"user_id" | "phone", "contact_reason"}
CREATE OR REPLACE FUNCTION privacybee.api_trust_request_create(token text, arg text, params jsonb, body jsonb,
                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_trust_request_create'));
    target bigint;
    targets bigint[];
    phone_key text;
    reason text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{user_id,phone,contact_reason}', 'a trust request');
    IF (body ? 'user_id') = (body ? 'phone') THEN
        PERFORM privacybee.bad_field('user_id', 'exactly one of user_id and phone is required',
            'give exactly one of user_id and phone');
    END IF;
    IF body ? 'contact_reason' AND pg_catalog.jsonb_typeof(body -> 'contact_reason') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('contact_reason', 'must be a string');
    END IF;
    reason := body ->> 'contact_reason';
    IF pg_catalog.char_length(reason) > 1024 THEN
        PERFORM privacybee.bad_field('contact_reason', 'must be at most 1024 characters');
    END IF;

    IF body ? 'user_id' THEN
        target := privacybee.json_id(body -> 'user_id', 'user_id');
        -- a team's account is no member: asked for trust, it answers as an unknown id
        IF NOT privacybee.is_member(target) THEN
            PERFORM privacybee.fail(404, 'member not found');
        END IF;
        IF target = uid THEN
            PERFORM privacybee.bad_field('user_id', 'is yourself',
            'you cannot ask yourself for trust');
        END IF;
        targets := ARRAY[target];
    ELSE
        IF pg_catalog.jsonb_typeof(body -> 'phone') <> 'string' OR pg_catalog.char_length(body ->> 'phone') > 64 THEN
            PERFORM privacybee.bad_field('phone', 'must be a string of at most 64 characters');
        END IF;
        phone_key := privacybee.phone_match_key(privacybee.phone_e164(body ->> 'phone', 'US'));
        IF phone_key IS NULL THEN
            PERFORM privacybee.bad_field('phone', 'is not a phone number');
        END IF;
        -- every other member owning the number (by match key); none: the request is
        -- dropped, and the answer is the same
        targets := ARRAY(SELECT m.id FROM privacybee.people m WHERE m.phone_match_key = phone_key
                         UNION
                         SELECT b.user_id FROM privacybee.buzz_numbers b
                          WHERE b.match_key = phone_key AND b.user_id IS NOT NULL
                         EXCEPT SELECT uid);
    END IF;

    -- a request is its receiver's row: the PL/Proxy layout runs this on every shard
    -- (api/routes shard=all), and each keeps the requests to its own members
    INSERT INTO privacybee.trust_requests AS r (user_id, requester_id, contact_reason)
    SELECT t, uid, reason FROM pg_catalog.unnest(targets) AS t
     WHERE privacybee.is_local_member(t) AND privacybee.is_member(t)
    ON CONFLICT (user_id, requester_id) DO UPDATE
       SET contact_reason = EXCLUDED.contact_reason, updated = pg_catalog.now()
     WHERE r.status = 'pending';
    RETURN privacybee.response(201, pg_catalog.json_build_object(
        'requested', true,
        'user_id', CASE WHEN body ? 'user_id' THEN target END,
        'contact_reason', reason)::text);
END
$$;

-- POST /contacts/trust/<id> {"trusted": 1|0|true|false, "type": "person"|"company"}
CREATE OR REPLACE FUNCTION privacybee.api_trust_set(token text, arg text, params jsonb, body jsonb,
                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_trust_set'));
    target bigint;
    kind text;
    trusted boolean;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{trusted,type}', 'a trust decision');
    trusted := CASE WHEN body -> 'trusted' IN ('true', '1') THEN true
                    WHEN body -> 'trusted' IN ('false', '0') THEN false END;
    IF trusted IS NULL THEN
        PERFORM privacybee.bad_field('trusted', 'is required: 1, 0, true or false',
            'trusted must be 1, 0, true or false');
    END IF;
    kind := COALESCE(body ->> 'type', 'person');
    IF kind NOT IN ('person', 'company') OR pg_catalog.jsonb_typeof(body -> 'type') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('type', 'must be person or company');
    END IF;

    target := privacybee.path_id(arg, kind);
    -- a decision changes what the member's trust depends on: serialised with every other
    -- such change before anything is read (sql/logic/50_trust_graph.sql)
    IF NOT privacybee.trust_lock_edge(uid, kind, target) THEN
        PERFORM privacybee.fail(401, 'the member of this token no longer exists');
    END IF;
    -- a team's account is no person to decide about: as an unknown id
    IF (CASE WHEN kind = 'person' THEN NOT privacybee.is_member(target)
             ELSE NOT EXISTS (SELECT 1 FROM privacybee.companies c WHERE c.id = target) END) THEN
        PERFORM privacybee.fail(404, pg_catalog.format('%s not found', kind));
    END IF;
    IF kind = 'person' AND target = uid THEN
        PERFORM privacybee.bad_field('id', 'is yourself',
            'you cannot change trust in yourself');
    END IF;

    INSERT INTO privacybee.trust_edges AS e (user_id, target_type, target_id, trusted)
    VALUES (uid, kind, target, trusted)
    ON CONFLICT (user_id, target_type, target_id) DO UPDATE
       SET trusted = EXCLUDED.trusted, updated = pg_catalog.now(), version = e.version + 1;
    IF kind = 'person' THEN
        UPDATE privacybee.trust_requests
           SET status = CASE WHEN trusted THEN 'accepted' ELSE 'declined' END, updated = pg_catalog.now()
         WHERE user_id = uid AND requester_id = target AND status = 'pending';
    END IF;
    RETURN privacybee.response(201, pg_catalog.json_build_object(
        'id', target, 'type', kind, 'trusted', trusted)::text);
END
$$;

-- Has person p disclosed themself to member m (SPEC §4)? p is m, a coworker, trusts m
-- explicitly, or asked m for trust (pending or answered). m trusting p is no disclosure:
-- trust is unilateral. Reads p's own decisions, so it runs as privacybee_system; false,
-- never NULL, for what cannot be (fails closed), and for a team's account (is_member()).
-- p's trust of m is p's edge where p's rows are here (always, on one database), else the
-- copy of it the proxy keeps on m's shard (trust_edge_copies, docs/sharding.md).
CREATE OR REPLACE FUNCTION privacybee.disclosed_to(p bigint, m bigint)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT privacybee.is_member(p) AND privacybee.is_member(m) AND (COALESCE(p = m, false)
        OR EXISTS (SELECT 1 FROM privacybee.coworkers w WHERE w.person_id = m AND w.coworker_id = p)
        OR EXISTS (SELECT 1 FROM privacybee.trust_edges e
                    WHERE e.user_id = p AND e.target_type = 'person' AND e.target_id = m
                      AND e.trusted)
        OR (NOT privacybee.is_local_member(p)
            AND EXISTS (SELECT 1 FROM privacybee.trust_edge_copies d
                         WHERE d.user_id = m AND d.person_id = p AND d.trusted))
        OR EXISTS (SELECT 1 FROM privacybee.trust_requests r
                    WHERE r.user_id = m AND r.requester_id = p))
$$;
COMMENT ON FUNCTION privacybee.disclosed_to(bigint, bigint) IS
    'has person p disclosed themself to member m (themself, a coworker, trusts m, or asked m for trust)?';

-- GET /contacts/employees/<id>: the companies of person <id> with their employees.
-- Visible only where <id> has disclosed themself to the caller; 404 to others, exactly
-- as for an unknown person.
CREATE OR REPLACE FUNCTION privacybee.api_employees(token text, arg text, params jsonb, body jsonb,
                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_employees'));
    pid bigint;
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    pid := privacybee.path_id(arg, 'person');
    IF privacybee.disclosed_to(pid, uid) IS NOT TRUE THEN
        -- the sharded layout asks every shard (api/routes shard=all), each of which knows
        -- the rules held on its own rows: a shard's no is an answer, not an error (which
        -- would end the whole call), so a yes from another shard can win
        IF privacybee.shard_count() > 1 THEN
            RETURN privacybee.response(404, pg_catalog.json_build_object('error',
                pg_catalog.json_build_object('code', '404', 'message', 'person not found'))::text);
        END IF;
        PERFORM privacybee.fail(404, 'person not found');
    END IF;
    SELECT '[' || COALESCE(pg_catalog.string_agg(pg_catalog.json_build_object(
               'company', pg_catalog.json_build_object('id', c.id, 'name', c.name, 'slug', c.slug,
                                            'logo', c.logo, 'url', c.url),
               'employees', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                                    'id', p.id, 'first_name', p.first_name,
                                    'last_name', p.last_name) ORDER BY p.id)
                               FROM privacybee.employees e2
                               JOIN privacybee.people p ON p.id = e2.person_id
                              WHERE e2.company_id = c.id))::text,
               ',' ORDER BY c.id), '') || ']'
      INTO out
      FROM privacybee.employees e
      JOIN privacybee.companies c ON c.id = e.company_id
     WHERE e.person_id = pid;
    RETURN privacybee.response(200, out);
END
$$;
