-- Buzz (SPEC §6): call screening for the telephony provider, the member app's heartbeat
-- with Buzz number assignment, the blocked-call log, the activity feed, E2E identity.

CREATE OR REPLACE FUNCTION privacybee.activity_since(user_id bigint, since_id bigint, lim integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'activity_since'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION privacybee.activity_since(bigint, bigint, integer) IS
    'ids of a member''s activities after since_id, ascending, at most lim + 1';

CREATE OR REPLACE FUNCTION privacybee.phone_split(e164 text, OUT country_code text, OUT national_number text)
AS 'MODULE_PATHNAME', 'phone_split'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_split(text) IS
    'splits an E.164 number into its country code ("+1") and national significant number';

-- A field of a JSON object as text: strings as they are, numbers in their JSON form.
CREATE OR REPLACE FUNCTION privacybee.scalar_text(v jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(v) IN ('string', 'number') THEN v #>> '{}' END
$$;
COMMENT ON FUNCTION privacybee.scalar_text(jsonb) IS
    'a string or number of a JSON object as text; NULL for anything else';

-- The call of trust-lookup / call-lookup, read and judged once, in C (extension/lookup.c):
-- parameters from query, form or JSON body (the provider's To / From / CallSid /
-- CallerName stand in for ours, unknown ones are ignored), the receiving member, the
-- caller's number, and whether it may ring (never after a failed STIR/SHAKEN check).
CREATE OR REPLACE FUNCTION privacybee.call_params(params jsonb, body jsonb,
    OUT receiver bigint, OUT caller text, OUT trusted boolean)
AS 'MODULE_PATHNAME', 'call_params_0_2'
LANGUAGE C STABLE;
COMMENT ON FUNCTION privacybee.call_params(jsonb, jsonb) IS
    'a telephony call as trust-lookup reads and judges it: the receiving member, the caller''s E.164 number, whether it may ring';

-- GET|POST /apps/buzz/trust-lookup: may this call ring? The hot path, in C
-- (extension/lookup.c): one index probe when trusted; an untrusted call to a member is
-- logged as blocked (once per call_sid). Reads the call as call_params() does.
CREATE OR REPLACE FUNCTION privacybee.api_trust_lookup(token text, arg text, params jsonb, body jsonb,
                                            if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
AS 'MODULE_PATHNAME', 'api_trust_lookup_0_2'
LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- GET|POST /apps/buzz/call-lookup: who the trusted caller is to the member; only the
-- matches that make the call trusted, all empty when it is not. Numbers match by match
-- key, as the trust rules compare them.
CREATE OR REPLACE FUNCTION privacybee.api_call_lookup(token text, arg text, params jsonb, body jsonb,
                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c record;
    caller_key text;
    contacts text := '[]';
    people text := '[]';
    companies text := '[]';
BEGIN
    PERFORM privacybee.authenticate(token, privacybee.route_scope('api_call_lookup'));
    c := privacybee.call_params(params, body);
    caller_key := privacybee.phone_match_key(c.caller);
    -- the matches are the reasons the trust graph gives (trust_reasons), nothing restated
    IF c.trusted THEN
        -- the receiver's contacts, then those of the receiver's teams (SPEC §10)
        SELECT '[' || COALESCE(pg_catalog.string_agg(x.rendered, ',' ORDER BY x.mine DESC, x.owner, x.ord), '')
               || ']'
          INTO contacts
          FROM (SELECT o.owner, o.owner = c.receiver AS mine, u.rendered, u.ord
                  FROM (SELECT r.contact_owner AS owner,
                               pg_catalog.array_agg(DISTINCT r.contact_id ORDER BY r.contact_id) AS ids
                          FROM privacybee.trust_reasons r
                         WHERE r.user_id = c.receiver AND r.match_key = caller_key
                           AND r.contact_id IS NOT NULL
                         GROUP BY r.contact_owner) AS o
                 CROSS JOIN LATERAL pg_catalog.unnest(privacybee.contacts_render(o.owner, o.ids, true, true, true))
                       WITH ORDINALITY AS u(rendered, ord)) AS x;
        SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                   'id', m.id, 'first_name', m.first_name, 'last_name', m.last_name,
                   'avatar', m.avatar) ORDER BY m.id), '[]')::text
          INTO people
          FROM privacybee.people m
         WHERE m.id IN (SELECT r.person_id FROM privacybee.trust_reasons r
                         WHERE r.user_id = c.receiver AND r.match_key = caller_key);
        SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                   'id', k.id, 'name', k.name, 'slug', k.slug, 'logo', k.logo, 'url', k.url)
                   ORDER BY k.id), '[]')::text
          INTO companies
          FROM privacybee.companies k
         WHERE k.id IN (SELECT r.company_id FROM privacybee.trust_reasons r
                         WHERE r.user_id = c.receiver AND r.match_key = caller_key);
    END IF;
    RETURN privacybee.response(200, '{"contacts":' || contacts || ',"people":' || people
                                    || ',"companies":' || companies || '}');
END
$$;

-- The Buzz number of a member, assigning a free one from the pool if they have none.
-- A number given is something the member owns, which the trust decisions of everyone
-- watching them depend on: they and their watchers are locked first, in the order every
-- trust change locks (sql/logic/50_trust_graph.sql), which also serialises the member's
-- own concurrent heartbeats; SKIP LOCKED lets concurrent members take different numbers.
-- A member who has a number, or finds the pool empty, takes no lock. A shard of the
-- PL/Proxy layout hands out its own part of the pool only (number_is_local), so no number
-- is given twice across shards; the proxy then tells every shard (buzz_number_taken).
CREATE OR REPLACE FUNCTION privacybee.assign_buzz_number(uid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    num text;
BEGIN
    SELECT b.e164 INTO num FROM privacybee.buzz_numbers b WHERE b.user_id = uid;
    IF FOUND THEN
        RETURN num;
    END IF;
    -- a HEAD request (privacybee-fcgi runs it read-only, fcgi/db.c) is safe: it assigns
    -- nothing, and answers as GET would otherwise
    IF pg_catalog.current_setting('transaction_read_only')::boolean THEN
        RETURN NULL;
    END IF;
    -- an empty pool gives nothing: no lock for it (heartbeats come often)
    IF NOT EXISTS (SELECT 1 FROM privacybee.buzz_numbers f
                    WHERE f.user_id IS NULL AND privacybee.number_is_local(f.e164)) THEN
        RETURN NULL;
    END IF;
    PERFORM privacybee.trust_lock_person_watchers(uid);
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT b.e164 INTO num FROM privacybee.buzz_numbers b WHERE b.user_id = uid;
    IF FOUND THEN
        RETURN num;
    END IF;
    UPDATE privacybee.buzz_numbers b SET user_id = uid, assigned_at = pg_catalog.now()
     WHERE b.e164 = (SELECT f.e164 FROM privacybee.buzz_numbers f
                      WHERE f.user_id IS NULL AND privacybee.number_is_local(f.e164)
                      ORDER BY f.e164 LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING b.e164 INTO num;
    IF num IS NOT NULL THEN
        UPDATE privacybee.people SET updated = pg_catalog.now() WHERE id = uid;
    END IF;
    RETURN num;
END
$$;
COMMENT ON FUNCTION privacybee.assign_buzz_number(bigint) IS
    'the Buzz number of a member, assigning the lowest free one from the pool on first use (NULL when the pool is empty, or in a read-only transaction: HEAD)';

-- GET /apps/buzz/heartbeat
CREATE OR REPLACE FUNCTION privacybee.api_heartbeat(token text, arg text, params jsonb, body jsonb,
                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_heartbeat'));
    num text;
    last_activity bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    num := privacybee.assign_buzz_number(uid);
    SELECT pg_catalog.max(x.m) INTO last_activity
      FROM (SELECT (SELECT pg_catalog.max(p.activity_id) FROM privacybee.activity_parties p
                     WHERE p.party_type = 'person' AND p.party_id = uid) AS m
            UNION ALL
            SELECT (SELECT pg_catalog.max(p.activity_id) FROM privacybee.activity_parties p
                     WHERE p.party_type = 'company' AND p.party_id = e.company_id)
              FROM privacybee.employees e WHERE e.person_id = uid) AS x;
    RETURN privacybee.response(200, pg_catalog.json_build_object(
        'buzz_number', num,
        'last_contact_update', privacybee.rfc3339(GREATEST(
            (SELECT pg_catalog.max(c.updated) FROM privacybee.contacts c WHERE c.user_id = uid),
            (SELECT pg_catalog.max(t.deleted_at) FROM privacybee.contact_tombstones t WHERE t.user_id = uid))),
        'last_trust_request', privacybee.rfc3339(
            (SELECT pg_catalog.max(r.updated) FROM privacybee.trust_requests r WHERE r.user_id = uid)),
        'last_company_update', privacybee.rfc3339(
            (SELECT pg_catalog.max(k.updated) FROM privacybee.companies k
              WHERE k.id IN (SELECT e.company_id FROM privacybee.employees e WHERE e.person_id = uid
                             UNION
                             SELECT t.target_id FROM privacybee.trust_edges t
                              WHERE t.user_id = uid AND t.target_type = 'company'))),
        'last_coworker_update', privacybee.rfc3339(
            (SELECT pg_catalog.max(GREATEST(co.created, m.updated))
               FROM privacybee.employees me
               JOIN privacybee.employees co ON co.company_id = me.company_id AND co.person_id <> uid
               JOIN privacybee.people m ON m.id = co.person_id
              WHERE me.person_id = uid)),
        'last_user_update', privacybee.rfc3339(
            (SELECT p.updated FROM privacybee.people p WHERE p.id = uid)),
        'last_activity_id', last_activity::text)::text);
END
$$;

-- A blocked call as the member sees it: GET /apps/buzz/blocked lists these; the
-- call.blocked webhook event carries one.
CREATE OR REPLACE FUNCTION privacybee.blocked_call_json(b privacybee.blocked_calls)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
               'id', b.id, 'caller_id', b.caller_id,
               'country_code', s.country_code,
               'phone_number', COALESCE(s.national_number, b.inbound),
               'created_at', privacybee.rfc3339(b.created_at))
      FROM privacybee.phone_split(b.e164) AS s
$$;
COMMENT ON FUNCTION privacybee.blocked_call_json(privacybee.blocked_calls) IS
    'a blocked call as JSON: caller id, the caller''s number split, and when';

-- GET /apps/buzz/blocked: the latest blocked_calls_kept() blocked calls, newest first.
CREATE OR REPLACE FUNCTION privacybee.api_blocked(token text, arg text, params jsonb, body jsonb,
                                       if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_blocked'));
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT '[' || COALESCE(pg_catalog.string_agg(privacybee.blocked_call_json(b)::text,
                                                 ',' ORDER BY b.id DESC), '') || ']'
      INTO out
      FROM (SELECT * FROM privacybee.blocked_calls WHERE user_id = uid ORDER BY id DESC
                  LIMIT privacybee.blocked_calls_kept()) AS b;
    RETURN privacybee.response(200, out);
END
$$;

-- An activity as the feed shows it, with who sent and who received it.
CREATE OR REPLACE FUNCTION privacybee.party_json(kind text, id bigint)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'person' THEN (SELECT pg_catalog.json_build_object('id', p.id,
                               'first_name', p.first_name, 'middle_name', p.middle_name,
                               'last_name', p.last_name)
                              FROM privacybee.people p WHERE p.id = party_json.id)
        ELSE (SELECT pg_catalog.json_build_object('id', c.id, 'name', c.name)
                FROM privacybee.companies c WHERE c.id = party_json.id)
    END
$$;
COMMENT ON FUNCTION privacybee.party_json(text, bigint) IS
    'a person or company party of an activity as JSON';

-- An activity as viewer (a party, or an employee of a company party) sees it. The sender
-- is named: sending discloses the sender to the receiver. A receiving person is named only
-- where they disclosed themself to the viewer (disclosed_to, SPEC §2, §4), else their id
-- with null names: sending something to every id must not list every member's name.
CREATE OR REPLACE FUNCTION privacybee.activity_json(a privacybee.activities, viewer bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
        'id', a.id, 'type', a.type,
        'receivable_type', a.receivable_type, 'receivable_id', a.receivable_id,
        'sendable_type', a.sendable_type, 'sendable_id', a.sendable_id,
        'call_time', a.call_time, 'message', a.message, 'message_id', a.message_id,
        'created_at', privacybee.rfc3339(a.created_at),
        'sendable', privacybee.party_json(a.sendable_type, a.sendable_id),
        'receivable', CASE WHEN a.receivable_type = 'person'
                                AND privacybee.disclosed_to(a.receivable_id, viewer) IS NOT TRUE
                           THEN pg_catalog.json_build_object('id', a.receivable_id,
                                    'first_name', NULL, 'middle_name', NULL, 'last_name', NULL)
                           ELSE privacybee.party_json(a.receivable_type, a.receivable_id)
                      END)::text
$$;
COMMENT ON FUNCTION privacybee.activity_json(privacybee.activities, bigint) IS
    'an activity as JSON, as viewer sees it (a receiving person undisclosed to viewer has null names)';

-- POST /apps/buzz/activity
CREATE OR REPLACE FUNCTION privacybee.api_activity_create(token text, arg text, params jsonb, body jsonb,
                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_activity_create'));
    kind text;
    s_type text;
    s_id bigint;
    r_type text;
    r_id bigint;
    call_time integer;
    msg text;
    mid uuid;
    a privacybee.activities;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{type,receivable_type,receivable_id,sendable_type,sendable_id,call_time,message,message_id}', 'an activity');
    kind := privacybee.scalar_text(body -> 'type');
    IF kind IS NULL THEN
        PERFORM privacybee.bad_field('type', 'is required');
    ELSIF kind NOT IN ('chat_message', 'chat_read_indicator', 'chat_reaction_emoji',
                       'incoming_call_missed', 'incoming_call_connected_insecure',
                       'incoming_call_connected_secure', 'outgoing_call_missed',
                       'outgoing_call_connected_insecure', 'outgoing_call_connected_secure') THEN
        PERFORM privacybee.bad_field('type', 'is not an activity type');
    END IF;
    s_type := privacybee.scalar_text(body -> 'sendable_type');
    r_type := privacybee.scalar_text(body -> 'receivable_type');
    IF s_type IS NULL OR s_type NOT IN ('person', 'company') THEN
        PERFORM privacybee.bad_field('sendable_type', 'must be person or company');
    END IF;
    IF r_type IS NULL OR r_type NOT IN ('person', 'company') THEN
        PERFORM privacybee.bad_field('receivable_type', 'must be person or company');
    END IF;
    s_id := privacybee.json_id(body -> 'sendable_id', 'sendable_id');
    r_id := privacybee.json_id(body -> 'receivable_id', 'receivable_id');
    IF body ? 'message_id' AND pg_catalog.jsonb_typeof(body -> 'message_id') <> 'null' THEN
        IF pg_catalog.jsonb_typeof(body -> 'message_id') <> 'string'
           OR (body ->> 'message_id') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            PERFORM privacybee.bad_field('message_id', 'must be a UUID');
        END IF;
        mid := (body ->> 'message_id')::uuid;
    END IF;
    IF body ? 'message' AND pg_catalog.jsonb_typeof(body -> 'message') <> 'null' THEN
        IF pg_catalog.jsonb_typeof(body -> 'message') <> 'string' THEN
            PERFORM privacybee.bad_field('message', 'must be a string');
        ELSIF pg_catalog.char_length(body ->> 'message') > 65536 THEN
            PERFORM privacybee.bad_field('message', 'must be at most 65536 characters');
        END IF;
        msg := body ->> 'message';
    END IF;
    call_time := privacybee.json_int(body -> 'call_time', 'call_time', 0, 2147483647);
    IF kind LIKE 'chat\_%' AND mid IS NULL THEN
        PERFORM privacybee.bad_field('message_id', 'is required for chat activity');
    END IF;
    IF kind IN ('chat_message', 'chat_reaction_emoji') AND COALESCE(msg, '') = '' THEN
        PERFORM privacybee.bad_field('message', 'is required for ' || kind);
    END IF;
    IF kind NOT LIKE 'chat\_%' AND call_time IS NULL THEN
        PERFORM privacybee.bad_field('call_time', 'is required for call activity');
    END IF;

    -- the sender is the caller, or a company the caller belongs to (IS NOT TRUE: what is
    -- not known to hold is refused)
    IF ((s_type = 'person' AND s_id = uid)
        OR (s_type = 'company' AND EXISTS (SELECT 1 FROM privacybee.employees e
                                            WHERE e.company_id = s_id AND e.person_id = uid)))
       IS NOT TRUE THEN
        PERFORM privacybee.fail(403, 'you may only send as yourself or a company you belong to');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE r_type = 'person' AND p.id = r_id
                   UNION ALL
                   SELECT 1 FROM privacybee.companies c WHERE r_type = 'company' AND c.id = r_id) THEN
        PERFORM privacybee.fail(404, 'receiver not found');
    END IF;

    -- The PL/Proxy layout runs this on every shard (api/routes shard=all): a shard keeps
    -- the activity when a party is one of its members, or a company (whose employees may
    -- live on any shard); each copy has its shard's id, so each member's feed is whole,
    -- in order, on their own shard (docs/sharding.md). The caller's shard answers.
    IF NOT (privacybee.is_local_member(uid) OR (r_type = 'person' AND privacybee.is_local_member(r_id))
            OR r_type = 'company' OR s_type = 'company') THEN
        RETURN privacybee.response(200, '{"success":true}');
    END IF;
    INSERT INTO privacybee.activities AS x (type, sendable_type, sendable_id, receivable_type,
                                            receivable_id, call_time, message, message_id)
    VALUES (kind, s_type, s_id, r_type, r_id, call_time, msg, mid)
    ON CONFLICT (sendable_type, sendable_id, message_id) DO NOTHING
    RETURNING * INTO a;
    IF a.id IS NULL THEN
        -- a repeated message_id: the stored activity, never a duplicate
        SELECT * INTO a FROM privacybee.activities x
         WHERE x.sendable_type = s_type AND x.sendable_id = s_id AND x.message_id = mid;
    ELSE
        INSERT INTO privacybee.activity_parties (party_type, party_id, activity_id)
        VALUES (s_type, s_id, a.id), (r_type, r_id, a.id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN privacybee.response(200, '{"success":true,"data":' || privacybee.activity_json(a, uid) || '}');
END
$$;

-- GET /apps/buzz/activity/<id>?limit=
CREATE OR REPLACE FUNCTION privacybee.api_activity_since(token text, arg text, params jsonb, body jsonb,
                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_activity_since'));
    since bigint;
    lim integer;
    ids bigint[];
    more boolean;
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{limit}');
    lim := privacybee.param_int(params, 'limit', 100, 1,
        COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer);
    -- the feed starts after <id>: an activity id, or 0 for the beginning
    since := CASE WHEN arg ~ '^0+$' THEN 0 ELSE privacybee.path_id(arg, 'activity') END;
    ids := privacybee.activity_since(uid, since, lim);
    more := pg_catalog.cardinality(ids) > lim;
    IF more THEN
        ids := ids[1:lim];
    END IF;
    SELECT '[' || COALESCE(pg_catalog.string_agg(privacybee.activity_json(a, uid), ',' ORDER BY a.id), '') || ']'
      INTO out
      FROM privacybee.activities a WHERE a.id = ANY (ids);
    RETURN privacybee.response(200, out,
        CASE WHEN more THEN 'Link: </apps/buzz/activity/' || ids[lim] || '?limit=' || lim
                            || '>; rel="next"' END);
END
$$;

-- PUT /apps/buzz/encryption {"hash", "e2e_id", "public_key"?}
CREATE OR REPLACE FUNCTION privacybee.api_encryption(token text, arg text, params jsonb, body jsonb,
                                          if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_encryption'));
    k text;
    p privacybee.people;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{hash,e2e_id,public_key}', 'the encryption identity');
    FOREACH k IN ARRAY ARRAY['hash', 'e2e_id'] LOOP
        IF pg_catalog.jsonb_typeof(body -> k) IS DISTINCT FROM 'string' OR body ->> k = '' THEN
            PERFORM privacybee.bad_field(k, 'is required (a string)');
        ELSIF pg_catalog.char_length(body ->> k) > 1024 THEN
            PERFORM privacybee.bad_field(k, 'must be at most 1024 characters');
        END IF;
    END LOOP;
    IF body ? 'public_key' AND pg_catalog.jsonb_typeof(body -> 'public_key') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('public_key', 'must be a string or null');
    ELSIF pg_catalog.char_length(body ->> 'public_key') > 16384 THEN
        PERFORM privacybee.bad_field('public_key', 'must be at most 16384 characters');
    END IF;
    UPDATE privacybee.people
       SET e2e_hash = body ->> 'hash', e2e_id = body ->> 'e2e_id',
           public_key = CASE WHEN body ? 'public_key' THEN body ->> 'public_key' ELSE public_key END,
           updated = pg_catalog.now()
     WHERE id = uid
    RETURNING * INTO p;
    RETURN privacybee.response(200, pg_catalog.json_build_object(
        'hash', p.e2e_hash, 'e2e_id', p.e2e_id, 'public_key', p.public_key)::text);
END
$$;

-- DELETE /apps/buzz/clear (development only): the caller's activity and blocked log.
CREATE OR REPLACE FUNCTION privacybee.api_buzz_clear(token text, arg text, params jsonb, body jsonb,
                                          if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint;
BEGIN
    IF NOT privacybee.dev_endpoints_enabled() THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    uid := privacybee.authenticate_member(token, privacybee.route_scope('api_buzz_clear'));
    PERFORM privacybee.check_params(params, '{}');
    DELETE FROM privacybee.activities a
     WHERE a.id IN (SELECT p.activity_id FROM privacybee.activity_parties p
                     WHERE p.party_type = 'person' AND p.party_id = uid);
    DELETE FROM privacybee.blocked_calls WHERE user_id = uid;
    RETURN privacybee.response(204, NULL);
END
$$;
