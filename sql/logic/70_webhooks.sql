-- Webhooks (SPEC §11, docs/webhooks.md): the trigger catalog, the domain functions the
-- routes (REST here, Contacts+ webhooks.* elsewhere) call, the outbox the changes write,
-- and the functions the delivery process calls.
--
-- The outbox: every change a trigger names writes its event in its own transaction, from
-- a statement-level trigger on the changed table (so every path that changes the table —
-- a sync of 1,000 contacts, a PATCH, a delete — announces it, with one INSERT per
-- statement; trust-lookup's blocked-call insert writes its own, extension/lookup.c), and
-- only for the member's enabled
-- webhooks that name the trigger: a member without webhooks costs one index probe per
-- statement. A change that rolls back takes its events with it; one that commits has them
-- committed. Then NOTIFY wakes the delivery process.
--
-- The delivery process (fcgi/delivery.c) holds no business rule either: it LISTENs, asks
-- webhook_delivery_form() to cut due events into batches (≤ webhook_batch_size() events,
-- or what accumulated in privacybee.webhooks_batch_window), claims one due batch with
-- webhook_delivery_claim() (FOR UPDATE SKIP LOCKED, in a transaction it keeps open while
-- it posts: the row lock is the lease, and a crash of the process or of PostgreSQL ends
-- it, so the batch is due again), posts it, and records the outcome with
-- webhook_delivery_record() before it commits.

-- ---- settings and constants ---------------------------------------------------------

-- The settings are declared in C (extension/privacybee.c, reserved prefix privacybee.);
-- these read them.
CREATE OR REPLACE FUNCTION privacybee.webhooks_allow_loopback()
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.webhooks_allow_loopback', true), 'off')
           IN ('on', 'true', '1', 'yes')
$$;
COMMENT ON FUNCTION privacybee.webhooks_allow_loopback() IS
    'whether privacybee.webhooks_allow_loopback lets webhooks post over http to loopback (tests, make run)';

CREATE OR REPLACE FUNCTION privacybee.max_webhooks()
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.max_webhooks', true), '10')::integer
$$;
COMMENT ON FUNCTION privacybee.max_webhooks() IS
    'how many webhooks a member may have (privacybee.max_webhooks)';

CREATE OR REPLACE FUNCTION privacybee.webhook_batch_window()
RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.webhooks_batch_window', true), '1s')::interval
$$;
COMMENT ON FUNCTION privacybee.webhook_batch_window() IS
    'how long events accumulate before a batch smaller than webhook_batch_size() is sent (privacybee.webhooks_batch_window)';

CREATE OR REPLACE FUNCTION privacybee.webhook_retry_delay()
RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.webhooks_retry_delay', true), '10s')::interval
$$;
COMMENT ON FUNCTION privacybee.webhook_retry_delay() IS
    'the delay before a failed batch''s first retry, doubling with each failure (privacybee.webhooks_retry_delay)';

CREATE OR REPLACE FUNCTION privacybee.webhook_retry_period()
RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.webhooks_retry_period', true), '1d')::interval
$$;
COMMENT ON FUNCTION privacybee.webhook_retry_period() IS
    'how long a failing batch is retried before its webhook is disabled (privacybee.webhooks_retry_period, 24 h)';

-- The most events one batch carries (SPEC §11).
CREATE OR REPLACE FUNCTION privacybee.webhook_batch_size()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 100
$$;
COMMENT ON FUNCTION privacybee.webhook_batch_size() IS
    'the most events one webhook batch carries (100)';

-- The longest wait between two attempts, however many failed.
CREATE OR REPLACE FUNCTION privacybee.webhook_retry_max_delay()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '1 hour'
$$;
COMMENT ON FUNCTION privacybee.webhook_retry_max_delay() IS
    'the longest wait between two delivery attempts of a batch (1 hour)';

-- The wait after a batch's nth failed attempt: exponential (retry_delay × 2^(n-1), at
-- most webhook_retry_max_delay()) with "equal jitter": a random point in its upper
-- half, so receivers recovering from an outage are not hit by every sender at once, and
-- each wait is still longer than the one before (until the cap).
CREATE OR REPLACE FUNCTION privacybee.webhook_backoff(failures integer)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT LEAST(privacybee.webhook_retry_delay() * pg_catalog.power(2, LEAST(failures - 1, 40)),
                 privacybee.webhook_retry_max_delay())
           * ((1 + pg_catalog.random()) / 2)
$$;
COMMENT ON FUNCTION privacybee.webhook_backoff(integer) IS
    'the wait after a batch''s nth failed delivery: exponential from webhooks_retry_delay, capped, with jitter in its upper half';

-- ---- the trigger catalog -------------------------------------------------------------

-- Every trigger a webhook may name, the token scope that reads the data its events carry
-- (creating a webhook needs that scope too: a webhook must not leak what its creator's
-- token cannot read), and what its event's data is. Each is emitted by the outbox
-- trigger function below that names it.
CREATE OR REPLACE FUNCTION privacybee.webhook_triggers()
RETURNS TABLE (id text, scope text, description text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES
        ('contact.created', 'contacts:read',
         'a contact was created (sync, or a tombstoned contact restored); data: {"id", "external_id", "etag", "updated"}'),
        ('contact.updated', 'contacts:read',
         'a contact was changed (sync, PUT, PATCH); data: {"id", "external_id", "etag", "updated"}'),
        ('contact.deleted', 'contacts:read',
         'a contact was deleted; data: its tombstone {"id", "external_id", "deleted": true, "updated"}'),
        ('tag.created', 'contacts:read',
         'a tag was created (POST /tags, or a label named for the first time in a sync); data: {"id", "name", "created", "updated"}'),
        ('tag.updated', 'contacts:read',
         'a tag was renamed; data: {"id", "name", "created", "updated"} (its contacts are announced as contact.updated)'),
        ('tag.deleted', 'contacts:read',
         'a tag was deleted; data: {"id", "name", "deleted": true, "updated"} (its contacts are announced as contact.updated)'),
        ('trust_request.received', 'contacts:read',
         'someone asked me for trust (or asked again while pending); data: the request as GET /contacts/requests lists it'),
        ('call.blocked', 'buzz',
         'a call to my Buzz number was blocked; data: the call as GET /apps/buzz/blocked lists it'),
        ('activity.received', 'buzz',
         'a chat or call activity was sent to me; data: the activity as GET /apps/buzz/activity shows it')
$$;
COMMENT ON FUNCTION privacybee.webhook_triggers() IS
    'every webhook trigger: its id, the scope reading its data, and what its events carry';

-- ---- the domain: create, delete, read --------------------------------------------------
-- Shared by every representation (REST below, the Contacts+ webhooks.* methods): they
-- validate, enforce the limit and keep the secret; the routes only shape JSON.

-- The problem with a webhook URL, NULL when it may be a target. Only its form is judged
-- here: https, or http to a loopback host when webhooks_allow_loopback() is on; no
-- credentials, no fragment, ASCII (an international name in its xn-- form). Where a name
-- points is judged when it is posted to (fcgi/delivery.c), since that may change.
CREATE OR REPLACE FUNCTION privacybee.webhook_url_problem(url text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parts text[];
    host text[];
BEGIN
    IF pg_catalog.char_length(url) > 2048 THEN
        RETURN 'must be at most 2048 characters';
    END IF;
    IF url !~ '^[!-~]+$' THEN
        RETURN 'must be printable ASCII without spaces (percent-encode the rest)';
    END IF;
    parts := pg_catalog.regexp_match(url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([/?][^#]*)?$');
    IF parts IS NULL THEN
        RETURN 'must be an absolute https URL without a fragment';
    END IF;
    IF pg_catalog.strpos(parts[2], '@') > 0 THEN
        RETURN 'must not carry credentials';
    END IF;
    host := pg_catalog.regexp_match(parts[2],
        '^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?)(:([0-9]{1,5}))?$');
    IF host IS NULL THEN
        RETURN 'must name a host';
    END IF;
    IF host[6] IS NOT NULL AND host[6]::integer NOT BETWEEN 1 AND 65535 THEN
        RETURN 'must have a port from 1 to 65535';
    END IF;
    IF pg_catalog.lower(parts[1]) = 'https' THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.lower(parts[1]) = 'http' AND privacybee.webhooks_allow_loopback()
       AND pg_catalog.lower(host[1]) ~ '^(localhost\.?|127(\.[0-9]{1,3}){3}|\[::1\])$' THEN
        RETURN NULL;
    END IF;
    RETURN CASE WHEN privacybee.webhooks_allow_loopback()
                THEN 'must be https (http only to a loopback host)'
                ELSE 'must be https' END;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_url_problem(text) IS
    'what is wrong with a webhook URL''s form (https only, no credentials), NULL when nothing is';

-- The trigger ids a body gives in field (v its value): a non-empty array of distinct
-- trigger ids of the catalog; 400 naming the element otherwise.
CREATE OR REPLACE FUNCTION privacybee.webhook_trigger_ids(v jsonb, field text)
RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    out text[] := '{}';
    e jsonb;
    i integer := 0;
BEGIN
    IF v IS NULL OR pg_catalog.jsonb_typeof(v) <> 'array' OR pg_catalog.jsonb_array_length(v) = 0 THEN
        PERFORM privacybee.bad_field(field, 'is required: a non-empty array of trigger ids (GET /webhooks/triggers)');
    END IF;
    FOR e IN SELECT x FROM pg_catalog.jsonb_array_elements(v) AS x LOOP
        IF pg_catalog.jsonb_typeof(e) <> 'string'
           OR NOT EXISTS (SELECT 1 FROM privacybee.webhook_triggers() t WHERE t.id = e #>> '{}') THEN
            PERFORM privacybee.bad_field(pg_catalog.format('%s[%s]', field, i),
                'is not a trigger id (GET /webhooks/triggers lists them)');
        END IF;
        IF (e #>> '{}') = ANY (out) THEN
            PERFORM privacybee.bad_field(pg_catalog.format('%s[%s]', field, i), 'is given twice');
        END IF;
        out := out || (e #>> '{}');
        i := i + 1;
    END LOOP;
    RETURN out;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_trigger_ids(jsonb, text) IS
    'a body''s non-empty array of distinct trigger ids; 400 naming the element that is not one';

-- A new webhook of member uid, and its signing secret (returned here only, once). 400
-- naming url when webhook_url_problem() finds one; 409 when the member has
-- max_webhooks() already (counted under the member's lock, so two creations at once
-- cannot both pass). trigger_ids are checked by webhook_trigger_ids().
CREATE OR REPLACE FUNCTION privacybee.webhook_create(uid bigint, url text, trigger_ids text[],
                                                     OUT id bigint, OUT secret text)
LANGUAGE plpgsql AS $$
DECLARE
    problem text := privacybee.webhook_url_problem(url);
BEGIN
    IF problem IS NOT NULL THEN
        PERFORM privacybee.bad_field('url', problem);
    END IF;
    PERFORM privacybee.trust_lock_caller(uid);
    IF (SELECT pg_catalog.count(*) FROM privacybee.webhooks w WHERE w.user_id = uid) >= privacybee.max_webhooks() THEN
        PERFORM privacybee.fail(409, pg_catalog.format('a member may have at most %s webhooks; delete one first',
                                                       privacybee.max_webhooks()));
    END IF;
    -- 256 bits from the server's strong random source, as tokens are made
    secret := 'whsec_' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
                       || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '');
    INSERT INTO privacybee.webhooks AS w (user_id, url, trigger_ids)
    VALUES (uid, webhook_create.url, webhook_create.trigger_ids)
    RETURNING w.id INTO id;
    INSERT INTO privacybee.webhook_secrets (user_id, webhook_id, secret) VALUES (uid, id, secret);
END
$$;
COMMENT ON FUNCTION privacybee.webhook_create(bigint, text, text[]) IS
    'creates a webhook of a member and returns its id and signing secret (the only time the secret is shown)';

-- Deletes webhook wid of member uid with its secret, queued events and batches; false
-- when it is none of theirs. A batch being posted at that moment is left to the delivery
-- process, which drops it when it records the attempt (webhook_delivery_record).
CREATE OR REPLACE FUNCTION privacybee.webhook_delete(uid bigint, wid bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM privacybee.webhooks w WHERE w.user_id = uid AND w.id = wid;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM privacybee.webhook_events e WHERE e.user_id = uid AND e.webhook_id = wid;
    DELETE FROM privacybee.webhook_batches b
     WHERE (b.user_id, b.webhook_id, b.id) IN
           (SELECT x.user_id, x.webhook_id, x.id FROM privacybee.webhook_batches x
             WHERE x.user_id = uid AND x.webhook_id = wid FOR UPDATE SKIP LOCKED);
    RETURN true;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_delete(bigint, bigint) IS
    'deletes a member''s webhook with its secret, queued events and batches; false when it is not theirs';

-- Member uid's webhooks, oldest first: those whose URL contains url_part (NULL: any)
-- and that name any of triggers (NULL: any). GET /webhooks here, webhooks.get and
-- webhooks.search of the Contacts+ API (which filter by id or page the rows themselves).
CREATE OR REPLACE FUNCTION privacybee.webhook_search(uid bigint, url_part text, triggers text[])
RETURNS SETOF privacybee.webhooks
LANGUAGE sql STABLE AS $$
    SELECT w.* FROM privacybee.webhooks w
     WHERE w.user_id = uid
       AND (url_part IS NULL OR pg_catalog.strpos(w.url, url_part) > 0)
       AND (triggers IS NULL OR w.trigger_ids && triggers)
     ORDER BY w.id
$$;
COMMENT ON FUNCTION privacybee.webhook_search(bigint, text, text[]) IS
    'a member''s webhooks, oldest first, by part of their URL and by any of the triggers they name (NULL: any)';

-- What a token must also be allowed to read to create a webhook naming triggers: each
-- trigger's scope (webhook_triggers()), checked with authenticate() (403 naming the scope
-- missing). A webhook must not tell its creator what their token cannot read. Every
-- create calls it: REST below, Contacts+ webhooks.create.
CREATE OR REPLACE FUNCTION privacybee.webhook_check_trigger_scopes(token text, triggers text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    needed text;
BEGIN
    FOR needed IN SELECT DISTINCT t.scope FROM privacybee.webhook_triggers() t
                   WHERE t.id = ANY (triggers) ORDER BY 1 LOOP
        PERFORM privacybee.authenticate(token, needed);
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_check_trigger_scopes(text, text[]) IS
    'fails (403) unless the token may read the data of every trigger named';

-- Webhook wid's batches of the last webhook_batch_period(), newest first, at most lim,
-- those before batch id before when it is given; 404 when wid is not uid's. GET
-- /webhooks/<id>/batches here, webhooks.getBatches of the Contacts+ API.
CREATE OR REPLACE FUNCTION privacybee.webhook_batches_of(uid bigint, wid bigint, before bigint, lim integer)
RETURNS SETOF privacybee.webhook_batches
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM 1 FROM privacybee.webhooks x WHERE x.user_id = uid AND x.id = wid;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'webhook not found');
    END IF;
    RETURN QUERY
        SELECT b.* FROM privacybee.webhook_batches b
         WHERE b.user_id = uid AND b.webhook_id = wid
           AND (before IS NULL OR b.id < before)
           AND b.created >= pg_catalog.now() - privacybee.webhook_batch_period()
         ORDER BY b.id DESC LIMIT lim;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_batches_of(bigint, bigint, bigint, integer) IS
    'a member''s webhook''s batches of the last 14 days, newest first (404 when the webhook is not theirs)';

-- ---- the outbox ----------------------------------------------------------------------

-- The channel the delivery process LISTENs on: named here only.
CREATE OR REPLACE FUNCTION privacybee.webhook_channel()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'privacybee_webhooks'
$$;
COMMENT ON FUNCTION privacybee.webhook_channel() IS
    'the NOTIFY channel that wakes the webhook delivery process';

-- Wakes the delivery process when the transaction commits (NOTIFY is transactional: a
-- rollback sends nothing, and one transaction's repeated calls send one notification).
CREATE OR REPLACE FUNCTION privacybee.webhook_wake()
RETURNS void
LANGUAGE sql AS $$
    SELECT pg_catalog.pg_notify(privacybee.webhook_channel(), '')
$$;
COMMENT ON FUNCTION privacybee.webhook_wake() IS
    'notifies the webhook delivery process when the transaction commits';

-- Whether a webhook's queue held nothing before the current statement: only its first
-- queued event needs to wake the delivery process, which keeps a timer for the rest (the
-- batch window) and cuts the next batch itself after delivering one. NOTIFY takes a
-- database-wide lock at commit: once per transaction that starts a queue, rather than
-- per transaction that writes an event.
CREATE OR REPLACE FUNCTION privacybee.webhook_queue_empty(uid bigint, wid bigint)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (SELECT 1 FROM privacybee.webhook_events e
                        WHERE e.user_id = uid AND e.webhook_id = wid)
$$;
COMMENT ON FUNCTION privacybee.webhook_queue_empty(bigint, bigint) IS
    'whether a webhook''s outbox queue was empty before this statement (its first event wakes the delivery process)';

-- A contact event's data: enough to fetch the contact (GET /contacts/<id>, with its ETag
-- for If-None-Match) and to match it with the client's own key.
CREATE OR REPLACE FUNCTION privacybee.webhook_contact_data(id bigint, external_id text, version integer,
                                                           updated timestamptz)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object('id', id, 'external_id', external_id,
                                        'etag', privacybee.contact_etag(id, version),
                                        'updated', privacybee.rfc3339(updated))
$$;
COMMENT ON FUNCTION privacybee.webhook_contact_data(bigint, text, integer, timestamptz) IS
    'the data of a contact.created / contact.updated event: id, external_id, ETag and update time';

-- The outbox trigger functions: one per table and statement kind, each naming the
-- trigger it emits (webhook_triggers()). Each writes one event per (changed row, webhook
-- of its member naming the trigger), in the rows' order, and wakes the delivery process
-- when it started a webhook's queue (webhook_queue_empty). SECURITY DEFINER (owned by
-- privacybee_system): the member whose webhook is told is often not the one whose
-- transaction changed the table (a trust request, an activity).

CREATE OR REPLACE FUNCTION privacybee.webhook_contacts_inserted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, n.id,
               privacybee.webhook_contact_data(n.id, n.external_id, n.version, n.updated) AS data
          FROM new_rows n
          JOIN privacybee.webhooks w ON w.user_id = n.user_id AND w.enabled
                                    AND 'contact.created' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'contact.created', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_contacts_inserted() IS
    'outbox: contact.created for each contact a statement inserted';

CREATE OR REPLACE FUNCTION privacybee.webhook_contacts_updated()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, n.id,
               privacybee.webhook_contact_data(n.id, n.external_id, n.version, n.updated) AS data
          FROM new_rows n
          -- only a change a client can see: every one moves the version (the ETag); a
          -- bookkeeping write in the transaction that created the contact (a team
          -- contact's shared_by) is no update of it
          JOIN old_rows o ON o.user_id = n.user_id AND o.id = n.id AND o.version <> n.version
          JOIN privacybee.webhooks w ON w.user_id = n.user_id AND w.enabled
                                    AND 'contact.updated' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'contact.updated', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_contacts_updated() IS
    'outbox: contact.updated for each contact a statement updated to a new version (ETag)';

CREATE OR REPLACE FUNCTION privacybee.webhook_contacts_deleted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, o.id,
               pg_catalog.json_build_object('id', o.id, 'external_id', o.external_id, 'deleted', true,
                                            'updated', privacybee.rfc3339(pg_catalog.now())) AS data
          FROM old_rows o
          JOIN privacybee.webhooks w ON w.user_id = o.user_id AND w.enabled
                                    AND 'contact.deleted' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'contact.deleted', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_contacts_deleted() IS
    'outbox: contact.deleted (the tombstone) for each contact a statement deleted';

CREATE OR REPLACE TRIGGER webhook_contact_created AFTER INSERT ON privacybee.contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_contacts_inserted();
CREATE OR REPLACE TRIGGER webhook_contact_updated AFTER UPDATE ON privacybee.contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_contacts_updated();
CREATE OR REPLACE TRIGGER webhook_contact_deleted AFTER DELETE ON privacybee.contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_contacts_deleted();

-- A tag created (POST /tags, or named for the first time by a contact's labels in a
-- sync), renamed (PUT/PATCH /tags/<id>) or deleted (DELETE /tags/<id>). Its contacts move
-- with it (contacts_touch, sql/logic/35_tags.sql), so they are announced as
-- contact.updated by the contact triggers above; a tag's contact count is no change of
-- the tag (its ETag moves, its row does not).
CREATE OR REPLACE FUNCTION privacybee.webhook_tag_data(id bigint, name text, created timestamptz,
                                                       updated timestamptz)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object('id', id, 'name', name, 'created', privacybee.rfc3339(created),
                                        'updated', privacybee.rfc3339(updated))
$$;
COMMENT ON FUNCTION privacybee.webhook_tag_data(bigint, text, timestamptz, timestamptz) IS
    'the data of a tag.created / tag.updated event: id, name, creation and update time (GET /tags/<id> has the rest)';

CREATE OR REPLACE FUNCTION privacybee.webhook_tags_inserted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, r.id,
               privacybee.webhook_tag_data(r.id, r.name, r.created, r.updated) AS data
          FROM new_rows r
          JOIN privacybee.webhooks w ON w.user_id = r.user_id AND w.enabled
                                    AND 'tag.created' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'tag.created', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_tags_inserted() IS
    'outbox: tag.created for each tag a statement inserted';

CREATE OR REPLACE FUNCTION privacybee.webhook_tags_updated()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, r.id,
               privacybee.webhook_tag_data(r.id, r.name, r.created, r.updated) AS data
          FROM new_rows r
          JOIN privacybee.webhooks w ON w.user_id = r.user_id AND w.enabled
                                    AND 'tag.updated' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'tag.updated', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_tags_updated() IS
    'outbox: tag.updated for each tag a statement changed';

CREATE OR REPLACE FUNCTION privacybee.webhook_tags_deleted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, r.id,
               pg_catalog.json_build_object('id', r.id, 'name', r.name, 'deleted', true,
                                            'updated', privacybee.rfc3339(pg_catalog.now())) AS data
          FROM old_rows r
          JOIN privacybee.webhooks w ON w.user_id = r.user_id AND w.enabled
                                    AND 'tag.deleted' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'tag.deleted', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_tags_deleted() IS
    'outbox: tag.deleted for each tag a statement deleted';

CREATE OR REPLACE TRIGGER webhook_tag_created AFTER INSERT ON privacybee.tags
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_tags_inserted();
CREATE OR REPLACE TRIGGER webhook_tag_updated AFTER UPDATE ON privacybee.tags
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_tags_updated();
CREATE OR REPLACE TRIGGER webhook_tag_deleted AFTER DELETE ON privacybee.tags
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_tags_deleted();

-- A request asked, or asked again while pending (its reason and time change): the asked
-- member is told. Answering one (accepted, declined) is no new request.
CREATE OR REPLACE FUNCTION privacybee.webhook_trust_requests_written()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, n.requester_id,
               privacybee.trust_request_json(n::privacybee.trust_requests) AS data
          FROM new_rows n
          JOIN privacybee.webhooks w ON w.user_id = n.user_id AND w.enabled
                                    AND 'trust_request.received' = ANY (w.trigger_ids)
         WHERE n.status = 'pending'
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'trust_request.received', t.data FROM told t
         ORDER BY t.user_id, t.requester_id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_trust_requests_written() IS
    'outbox: trust_request.received for each pending request a statement inserted or renewed';

CREATE OR REPLACE TRIGGER webhook_trust_request_inserted AFTER INSERT ON privacybee.trust_requests
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_trust_requests_written();
CREATE OR REPLACE TRIGGER webhook_trust_request_updated AFTER UPDATE ON privacybee.trust_requests
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_trust_requests_written();

-- Activity sent to a person: that member is told, the activity as their feed shows it.
-- (A company's activity goes to the company's team webhooks once teams exist, SPEC §10.)
CREATE OR REPLACE FUNCTION privacybee.webhook_activities_inserted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    wake boolean;
BEGIN
    WITH told AS (
        SELECT w.user_id, w.id AS webhook_id, n.id,
               privacybee.activity_json(n::privacybee.activities, n.receivable_id)::json AS data
          FROM new_rows n
          JOIN privacybee.webhooks w ON n.receivable_type = 'person' AND w.user_id = n.receivable_id
                                    AND w.enabled AND 'activity.received' = ANY (w.trigger_ids)
    ), queued AS (
        INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
        SELECT t.user_id, t.webhook_id, 'activity.received', t.data FROM told t
         ORDER BY t.user_id, t.id, t.webhook_id)
    SELECT pg_catalog.bool_or(privacybee.webhook_queue_empty(f.user_id, f.webhook_id)) INTO wake
      FROM (SELECT DISTINCT t.user_id, t.webhook_id FROM told t) AS f;
    IF wake THEN
        PERFORM privacybee.webhook_wake();
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_activities_inserted() IS
    'outbox: activity.received for each activity a statement inserted for a person';

CREATE OR REPLACE TRIGGER webhook_activity_received AFTER INSERT ON privacybee.activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.webhook_activities_inserted();

-- A blocked call's event (call.blocked) is written by trust-lookup's own insert, in the
-- same statement (extension/lookup.c): a statement trigger here cost the hot path a third
-- more even for members without a webhook. Its data is blocked_call_json().

-- ---- delivery: what the delivery process calls ------------------------------------------
-- SECURITY DEFINER, owned by privacybee_system (they serve every member), executable
-- only by the role grant_delivery() names: it can claim due batches and record attempts,
-- and nothing else — no table, no secret.

-- LISTEN on the channel (effective when the caller's transaction commits).
CREATE OR REPLACE FUNCTION privacybee.webhook_delivery_listen()
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE pg_catalog.format('LISTEN %I', privacybee.webhook_channel());
END
$$;
COMMENT ON FUNCTION privacybee.webhook_delivery_listen() IS
    'delivery process: LISTEN on the channel the outbox notifies';

-- Cuts webhook wid's next batch when it is due, and says when that will be: NULL when
-- there is nothing to cut (no queued event, a batch still open, the webhook disabled or
-- being cut by another caller), a time already past when it cut one, else when the batch
-- window closes. Due: webhook_batch_size() events wait, or the oldest has waited
-- webhook_batch_window(). The batch takes up to webhook_batch_size() of them, oldest
-- first, with the exact body every attempt will post. The webhook is locked (SKIP LOCKED)
-- and its open batch looked for once the lock is held, so that concurrent callers never
-- cut two (webhook_batches_open forbids it too).
CREATE OR REPLACE FUNCTION privacybee.webhook_cut(uid bigint, wid bigint)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    size integer := privacybee.webhook_batch_size();
    ids bigint[];
    oldest timestamptz;
    bid bigint;
BEGIN
    PERFORM 1 FROM privacybee.webhooks w
     WHERE w.user_id = uid AND w.id = wid AND w.enabled
       FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND OR EXISTS (SELECT 1 FROM privacybee.webhook_batches b
                             WHERE b.user_id = uid AND b.webhook_id = wid AND b.status = 'pending') THEN
        RETURN NULL;
    END IF;
    -- the batch's events by id, then deleted by those ids: an IN (subquery … LIMIT) here
    -- was planned, on a queue the statistics had not seen grow, as a nested loop over the
    -- whole queue (1 s a batch with 20,000 events queued)
    SELECT pg_catalog.array_agg(x.id ORDER BY x.id), pg_catalog.min(x.occurred_at) INTO ids, oldest
      FROM (SELECT e.id, e.occurred_at FROM privacybee.webhook_events e
             WHERE e.user_id = uid AND e.webhook_id = wid
             ORDER BY e.id LIMIT size) AS x;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.cardinality(ids) < size
       AND oldest + privacybee.webhook_batch_window() > pg_catalog.clock_timestamp() THEN
        RETURN oldest + privacybee.webhook_batch_window();
    END IF;
    bid := pg_catalog.nextval('privacybee.webhook_batches_id_seq');
    WITH moved AS (
        DELETE FROM privacybee.webhook_events e
         WHERE e.user_id = uid AND e.webhook_id = wid AND e.id = ANY (ids)
        RETURNING e.id, e.trigger_id, e.occurred_at, e.data)
    INSERT INTO privacybee.webhook_batches (user_id, webhook_id, id, events, first_event_id,
                                            last_event_id, body)
    SELECT uid, wid, bid, pg_catalog.count(*), pg_catalog.min(m.id), pg_catalog.max(m.id),
           privacybee.json_compact(pg_catalog.json_build_object(
               'webhookId', wid, 'batchId', bid,
               'events', pg_catalog.json_agg(pg_catalog.json_build_object(
                   'eventId', m.id, 'triggerId', m.trigger_id,
                   'occurredAt', privacybee.rfc3339(m.occurred_at), 'data', m.data) ORDER BY m.id))::text)
      FROM moved m;
    RETURN pg_catalog.now();
END
$$;
COMMENT ON FUNCTION privacybee.webhook_cut(bigint, bigint) IS
    'cuts a webhook''s next batch of queued events when it is due; when it is or will be due (NULL: nothing to cut)';

-- Cuts every due batch, and says in how many seconds something next falls due (0: now;
-- NULL: nothing is waiting, sleep until notified): a batch window closing, or a retry.
-- The webhooks with queued events are found by a loose index scan of the outbox's key
-- (one probe per webhook), those with a batch still open skipped on webhook_batches_open
-- (their next batch is cut when it is delivered: webhook_delivery_record).
CREATE OR REPLACE FUNCTION privacybee.webhook_delivery_form()
RETURNS double precision
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    next_due timestamptz;
BEGIN
    WITH RECURSIVE pending AS (
        (SELECT e.user_id, e.webhook_id FROM privacybee.webhook_events e
          ORDER BY e.user_id, e.webhook_id LIMIT 1)
        UNION ALL
        SELECT n.user_id, n.webhook_id
          FROM pending p,
               LATERAL (SELECT e.user_id, e.webhook_id FROM privacybee.webhook_events e
                         WHERE (e.user_id, e.webhook_id) > (p.user_id, p.webhook_id)
                         ORDER BY e.user_id, e.webhook_id LIMIT 1) AS n),
    candidates AS MATERIALIZED (
        SELECT p.user_id, p.webhook_id FROM pending p
         WHERE NOT EXISTS (SELECT 1 FROM privacybee.webhook_batches b
                            WHERE b.user_id = p.user_id AND b.webhook_id = p.webhook_id
                              AND b.status = 'pending'))
    SELECT pg_catalog.min(privacybee.webhook_cut(c.user_id, c.webhook_id)) INTO next_due
      FROM candidates c;
    -- and the next attempt of a batch already cut
    next_due := LEAST(next_due,
        (SELECT pg_catalog.min(b.next_attempt_at)
           FROM privacybee.webhook_batches b
           JOIN privacybee.webhooks w ON w.user_id = b.user_id AND w.id = b.webhook_id AND w.enabled
          WHERE b.status = 'pending'));
    IF next_due IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN GREATEST(0, pg_catalog.date_part('epoch', next_due - pg_catalog.clock_timestamp()));
END
$$;
COMMENT ON FUNCTION privacybee.webhook_delivery_form() IS
    'delivery process: cuts due events into batches; seconds until something next falls due (NULL: nothing waits)';

-- One due batch (due by the start of the caller's transaction, which the due index can
-- bound), locked FOR UPDATE SKIP LOCKED until that transaction ends (the caller posts it
-- meanwhile, then calls webhook_delivery_record and commits), with its
-- URL, body and signature header (X-Privacybee-Signature, signed here: the secret never
-- leaves the database), and whether http to loopback is allowed. No row: nothing due.
CREATE OR REPLACE FUNCTION privacybee.webhook_delivery_claim()
RETURNS TABLE (user_id bigint, webhook_id bigint, batch_id bigint, attempt integer, url text,
               body text, signature text, allow_loopback boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b privacybee.webhook_batches;
BEGIN
    SELECT x.* INTO b FROM privacybee.webhook_batches x
      JOIN privacybee.webhooks w ON w.user_id = x.user_id AND w.id = x.webhook_id AND w.enabled
     WHERE x.status = 'pending' AND x.next_attempt_at <= pg_catalog.now()
     ORDER BY x.next_attempt_at
     LIMIT 1
       FOR UPDATE OF x SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT b.user_id, b.webhook_id, b.id, b.attempts + 1, w.url, b.body,
               privacybee.webhook_signature(s.secret,
                   pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint,
                   b.body),
               privacybee.webhooks_allow_loopback()
          FROM privacybee.webhooks w
          JOIN privacybee.webhook_secrets s ON s.user_id = w.user_id AND s.webhook_id = w.id
         WHERE w.user_id = b.user_id AND w.id = b.webhook_id AND w.enabled;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_delivery_claim() IS
    'delivery process: one due batch, locked until the transaction ends, with its URL, body and signature';

-- The outcome of an attempt at a claimed batch, which ended just now: the receiver's
-- HTTP status (NULL: no answer), how long it took (so it started duration_ms ago: the
-- recorded start is never earlier than the real one), and what went wrong
-- (NULL when a 2xx answered). 2xx: delivered, and the webhook's next batch cut if it is
-- due. Otherwise the batch is due again after
-- webhook_backoff(); once it has failed for webhook_retry_period() it is given up and
-- its webhook disabled, saying why. A batch whose webhook was deleted meanwhile goes.
CREATE OR REPLACE FUNCTION privacybee.webhook_delivery_record(user_id bigint, webhook_id bigint, batch_id bigint,
                                                              http_status integer, duration_ms integer, error text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b privacybee.webhook_batches;
    ok boolean := COALESCE(http_status BETWEEN 200 AND 299, false);   -- no answer: not ok
    started timestamptz := pg_catalog.clock_timestamp()
                           - pg_catalog.make_interval(secs => GREATEST(duration_ms, 0) / 1000.0);
    give_up boolean;
BEGIN
    SELECT x.* INTO b FROM privacybee.webhook_batches x
     WHERE x.user_id = webhook_delivery_record.user_id AND x.webhook_id = webhook_delivery_record.webhook_id
       AND x.id = batch_id AND x.status = 'pending'
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.webhooks w
                    WHERE w.user_id = b.user_id AND w.id = b.webhook_id) THEN
        DELETE FROM privacybee.webhook_batches x
         WHERE x.user_id = b.user_id AND x.webhook_id = b.webhook_id AND x.id = b.id;
        RETURN;
    END IF;
    INSERT INTO privacybee.webhook_attempts (user_id, webhook_id, batch_id, attempt, at, http_status,
                                             duration_ms, error)
    VALUES (b.user_id, b.webhook_id, b.id, b.attempts + 1, started, http_status,
            GREATEST(duration_ms, 0),
            CASE WHEN ok THEN error
                 ELSE COALESCE(error, pg_catalog.format('the receiver answered %s', http_status)) END);
    give_up := NOT ok AND pg_catalog.clock_timestamp() - COALESCE(b.first_attempt_at, started)
                          >= privacybee.webhook_retry_period();
    UPDATE privacybee.webhook_batches x
       SET attempts = x.attempts + 1,
           first_attempt_at = COALESCE(x.first_attempt_at, started),
           status = CASE WHEN ok THEN 'delivered' WHEN give_up THEN 'failed' ELSE 'pending' END,
           finished_at = CASE WHEN ok OR give_up THEN pg_catalog.clock_timestamp() END,
           body = CASE WHEN ok OR give_up THEN NULL ELSE x.body END,
           next_attempt_at = CASE WHEN ok OR give_up THEN x.next_attempt_at
                                  ELSE pg_catalog.clock_timestamp() + privacybee.webhook_backoff(x.attempts + 1) END
     WHERE x.user_id = b.user_id AND x.webhook_id = b.webhook_id AND x.id = b.id;
    IF ok THEN
        -- the webhook's next batch, if one is due, at once: its events were waiting
        PERFORM privacybee.webhook_cut(b.user_id, b.webhook_id);
    END IF;
    IF give_up THEN
        UPDATE privacybee.webhooks w
           SET enabled = false, disabled_at = pg_catalog.clock_timestamp(),
               disabled_reason = pg_catalog.format(
                   'batch %s failed for %s h (%s attempts since %s); the last attempt: %s',
                   b.id,
                   pg_catalog.trim_scale(pg_catalog.round(pg_catalog.date_part('epoch',
                       privacybee.webhook_retry_period())::numeric / 3600, 2)),
                   b.attempts + 1,
                   privacybee.rfc3339(COALESCE(b.first_attempt_at, started)),
                   COALESCE(error, pg_catalog.format('the receiver answered %s', http_status)))
         WHERE w.user_id = b.user_id AND w.id = b.webhook_id;
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.webhook_delivery_record(bigint, bigint, bigint, integer, integer, text) IS
    'delivery process: records an attempt at a claimed batch: delivered, due again after a backoff, or given up (webhook disabled)';

-- What the delivery process's role gets: EXECUTE on the four functions above, nothing
-- else (no table, no secret, no route).
CREATE OR REPLACE FUNCTION privacybee.grant_delivery(role_name name)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA privacybee TO %I', role_name);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION privacybee.webhook_delivery_listen(), '
                              'privacybee.webhook_delivery_form(), privacybee.webhook_delivery_claim(), '
                              'privacybee.webhook_delivery_record(bigint, bigint, bigint, integer, integer, text) '
                              'TO %I', role_name);
END
$$;
COMMENT ON FUNCTION privacybee.grant_delivery(name) IS
    'grants a role what the webhook delivery process needs: EXECUTE on the webhook_delivery_* functions, nothing else';

-- ---- signatures ----------------------------------------------------------------------

-- "t=<t>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed with secret>" (extension/webhooks.c).
CREATE OR REPLACE FUNCTION privacybee.webhook_signature(secret text, t bigint, body text)
RETURNS text
AS 'MODULE_PATHNAME', 'webhook_signature'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.webhook_signature(text, bigint, text) IS
    'the X-Privacybee-Signature of a webhook body at time t: t=<t>,v1=<hex HMAC-SHA256 of "t.body">';

-- ---- REST: /webhooks -------------------------------------------------------------------

-- A webhook as the REST routes show it (never its secret).
CREATE OR REPLACE FUNCTION privacybee.webhook_json(w privacybee.webhooks)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
        'id', w.id, 'url', w.url, 'trigger_ids', w.trigger_ids, 'enabled', w.enabled,
        'created', privacybee.rfc3339(w.created),
        'disabled_at', privacybee.rfc3339(w.disabled_at), 'disabled_reason', w.disabled_reason)::text
$$;
COMMENT ON FUNCTION privacybee.webhook_json(privacybee.webhooks) IS
    'a webhook as JSON (without its secret), with why it was disabled when it was';

-- GET /webhooks[?url=…&trigger_id=a,b]: my webhooks, oldest first; url keeps those whose
-- URL contains it, trigger_id those naming any of the triggers listed.
CREATE OR REPLACE FUNCTION privacybee.api_webhooks_list(token text, arg text, params jsonb, body jsonb,
                                                        if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhooks_list'));
    url_part text;
    triggers text[];
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{url,trigger_id}');
    url_part := params ->> 'url';
    IF params ? 'trigger_id' THEN
        triggers := privacybee.webhook_trigger_ids(
            pg_catalog.to_jsonb(pg_catalog.string_to_array(params ->> 'trigger_id', ',')), 'trigger_id');
    END IF;
    SELECT '[' || COALESCE(pg_catalog.string_agg(privacybee.webhook_json(w), ',' ORDER BY w.id), '') || ']'
      INTO out
      FROM privacybee.webhook_search(uid, url_part, triggers) AS w;
    RETURN privacybee.response(200, out);
END
$$;

-- POST /webhooks {"url", "trigger_ids"} → 201 with the secret, shown this once
CREATE OR REPLACE FUNCTION privacybee.api_webhook_create(token text, arg text, params jsonb, body jsonb,
                                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhook_create'));
    triggers text[];
    made record;
    w privacybee.webhooks;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{url,trigger_ids}', 'a webhook');
    IF pg_catalog.jsonb_typeof(body -> 'url') IS DISTINCT FROM 'string' THEN
        PERFORM privacybee.bad_field('url', 'is required: an https URL');
    END IF;
    triggers := privacybee.webhook_trigger_ids(body -> 'trigger_ids', 'trigger_ids');
    PERFORM privacybee.webhook_check_trigger_scopes(token, triggers);
    made := privacybee.webhook_create(uid, body ->> 'url', triggers);
    SELECT * INTO w FROM privacybee.webhooks x WHERE x.user_id = uid AND x.id = made.id;
    RETURN privacybee.response(201, pg_catalog.json_build_object(
        'id', w.id, 'url', w.url, 'trigger_ids', w.trigger_ids, 'secret', made.secret,
        'enabled', w.enabled, 'created', privacybee.rfc3339(w.created))::text);
END
$$;

-- GET /webhooks/triggers
CREATE OR REPLACE FUNCTION privacybee.api_webhook_triggers(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhook_triggers'));
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    RETURN privacybee.response(200, (
        SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                   'id', t.id, 'scope', t.scope, 'description', t.description))::text
          FROM privacybee.webhook_triggers() t));
END
$$;

-- GET /webhooks/<id>
CREATE OR REPLACE FUNCTION privacybee.api_webhook_get(token text, arg text, params jsonb, body jsonb,
                                                      if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhook_get'));
    wid bigint;
    w privacybee.webhooks;
BEGIN
    wid := privacybee.path_id(arg, 'webhook');
    PERFORM privacybee.check_params(params, '{}');
    SELECT * INTO w FROM privacybee.webhooks x WHERE x.user_id = uid AND x.id = wid;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'webhook not found');
    END IF;
    RETURN privacybee.response(200, privacybee.webhook_json(w));
END
$$;

-- DELETE /webhooks/<id>
CREATE OR REPLACE FUNCTION privacybee.api_webhook_delete(token text, arg text, params jsonb, body jsonb,
                                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhook_delete'));
    wid bigint;
BEGIN
    wid := privacybee.path_id(arg, 'webhook');
    PERFORM privacybee.check_params(params, '{}');
    IF NOT privacybee.webhook_delete(uid, wid) THEN
        PERFORM privacybee.fail(404, 'webhook not found');
    END IF;
    RETURN privacybee.response(204, NULL);
END
$$;

-- A batch as GET /webhooks/<id>/batches shows it, with every attempt.
CREATE OR REPLACE FUNCTION privacybee.webhook_batch_json(b privacybee.webhook_batches)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
        'id', b.id, 'created', privacybee.rfc3339(b.created), 'status', b.status,
        'events', b.events, 'first_event_id', b.first_event_id, 'last_event_id', b.last_event_id,
        'next_attempt_at', CASE WHEN b.status = 'pending' THEN privacybee.rfc3339(b.next_attempt_at) END,
        'finished_at', privacybee.rfc3339(b.finished_at),
        'attempts', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                                  'attempt', a.attempt, 'at', privacybee.rfc3339(a.at),
                                  'http_status', a.http_status, 'duration_ms', a.duration_ms,
                                  'error', a.error) ORDER BY a.attempt)
                                FROM privacybee.webhook_attempts a
                               WHERE a.user_id = b.user_id AND a.webhook_id = b.webhook_id
                                 AND a.batch_id = b.id), '[]'))::text
$$;
COMMENT ON FUNCTION privacybee.webhook_batch_json(privacybee.webhook_batches) IS
    'a webhook batch as JSON, with each attempt (time, HTTP status, duration, error)';

-- GET /webhooks/<id>/batches[?limit=&before=<batch id>]: the batches of the last
-- webhook_batch_period(), newest first, a page at a time (Link rel="next").
CREATE OR REPLACE FUNCTION privacybee.api_webhook_batches(token text, arg text, params jsonb, body jsonb,
                                                          if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_webhook_batches'));
    wid bigint;
    lim integer;
    before bigint;
    page privacybee.webhook_batches[];
    more boolean;
BEGIN
    wid := privacybee.path_id(arg, 'webhook');
    PERFORM privacybee.check_params(params, '{limit,before}');
    lim := privacybee.param_int(params, 'limit', 100, 1,
        COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer);
    IF params ? 'before' THEN
        before := privacybee.parse_id(params ->> 'before');
        IF before IS NULL THEN
            PERFORM privacybee.bad_field('before', 'must be a batch id');
        END IF;
    END IF;
    page := ARRAY(SELECT b FROM privacybee.webhook_batches_of(uid, wid, before, lim + 1) AS b);
    more := pg_catalog.cardinality(page) > lim;
    IF more THEN
        page := page[1:lim];
    END IF;
    RETURN privacybee.response(200,
        '[' || COALESCE((SELECT pg_catalog.string_agg(privacybee.webhook_batch_json(b), ',' ORDER BY b.id DESC)
                           FROM pg_catalog.unnest(page) AS b), '') || ']',
        CASE WHEN more THEN 'Link: </webhooks/' || wid || '/batches?before=' || (page[lim]).id
                            || '&limit=' || lim || '>; rel="next"' END);
END
$$;
