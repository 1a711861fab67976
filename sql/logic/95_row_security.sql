-- Row-level security: a second wall behind the route functions.
--
-- The route functions are SECURITY DEFINER and owned by privacybee_member, a role that
-- cannot log in, holds the table privileges and does not bypass row security. Every
-- table a member owns has row security forced, with policies that show a transaction
-- only the rows of the member whose token authenticate() proved (rls_member()). A route
-- that forgot its "user_id = uid" would still see and change nobody else's rows.
--
-- Only what must cross members runs as privacybee_system (BYPASSRLS), in a few
-- SECURITY DEFINER functions: authenticate() and oauth_holder() (a token or OAuth code
-- is found by hash before its member is known), the telephony routes (a service token answers for whichever member is
-- called) and the trust triggers (one member's change moves the trusted numbers of those
-- who trust them), with the watcher sets they lock (sql/logic/50_trust_graph.sql),
-- disclosed_to() (whether a person disclosed themself to a member is in their own rows),
-- dav_member_teams() (the change numbers of the acting member's teams' address books),
-- the searches (sql/logic/36_search.sql: a policy would keep their conditions off the
-- indexes), and the webhook delivery functions (sql/logic/70_webhooks.sql: they serve
-- every member).
--
-- Reference data shared by everyone has no policy: people, companies, company_phones,
-- employees and buzz_numbers (a Buzz number is an identity, dialled by strangers), and
-- the registered OAuth clients (oauth_clients).
--
-- Roles belong to the cluster, so a second database reuses them, and DROP EXTENSION
-- leaves them behind.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'privacybee_member') THEN
        CREATE ROLE privacybee_member;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'privacybee_system') THEN
        CREATE ROLE privacybee_system;
    END IF;
END
$$;
ALTER ROLE privacybee_member NOSUPERUSER NOLOGIN NOBYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;
ALTER ROLE privacybee_system NOSUPERUSER NOLOGIN BYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;

GRANT USAGE ON SCHEMA privacybee TO privacybee_member, privacybee_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA privacybee
    TO privacybee_member, privacybee_system;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA privacybee TO privacybee_member, privacybee_system;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA privacybee TO privacybee_member, privacybee_system;
-- the administration functions are for the database owner, never for a route
REVOKE EXECUTE ON FUNCTION
    privacybee.grant_api(name),
    privacybee.create_member(text, text, text, text, text),
    privacybee.create_company(text, text, text[], text, text, text),
    privacybee.add_employee(bigint, bigint),
    privacybee.add_buzz_numbers(text[]),
    privacybee.issue_token(bigint, text[], interval),
    privacybee.revoke_token(text),
    privacybee.register_oauth_client(text, text[], text[]),
    privacybee.unregister_oauth_client(text),
    privacybee.recompute_trust(bigint),
    privacybee.trust_verify(),
    privacybee.maintenance(),
    privacybee.schedule_maintenance(),
    privacybee.grant_delivery(name)
  FROM privacybee_member, privacybee_system;
-- the webhook delivery process's functions are its role's alone (grant_delivery)
REVOKE EXECUTE ON FUNCTION
    privacybee.webhook_delivery_listen(),
    privacybee.webhook_delivery_form(),
    privacybee.webhook_delivery_claim(),
    privacybee.webhook_delivery_record(bigint, bigint, bigint, integer, integer, text)
  FROM privacybee_member;
-- a route may store a webhook's new secret but never read one: only the delivery
-- functions (privacybee_system) sign with it
REVOKE SELECT, UPDATE, DELETE ON privacybee.webhook_secrets FROM privacybee_member;

-- Views read their tables as whoever queries them, under that role's policies: every
-- view of the schema.
DO $$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid FROM pg_catalog.pg_class c
              WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'v' LOOP
        EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', v);
    END LOOP;
END
$$;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'privacybee'::regnamespace AND p.prosecdef LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %I', f,
            CASE WHEN f IN ('privacybee.authenticate(text, text)'::regprocedure,
                            'privacybee.api_trust_lookup(text, text, jsonb, jsonb, text, text)'::regprocedure,
                            'privacybee.api_call_lookup(text, text, jsonb, jsonb, text, text)'::regprocedure,
                            'privacybee.person_watchers(bigint)'::regprocedure,
                            'privacybee.company_watchers(bigint)'::regprocedure,
                            'privacybee.disclosed_to(bigint, bigint)'::regprocedure,
                            'privacybee.dav_member_teams()'::regprocedure,
                            'privacybee.oauth_holder(text, text, text, text)'::regprocedure,
                            'privacybee.team_copy(bigint)'::regprocedure,
                            'privacybee.put_team_copy(bigint, jsonb)'::regprocedure,
                            'privacybee.trust_edge_copy(bigint, bigint)'::regprocedure,
                            'privacybee.put_trust_edge_copy(bigint, bigint, jsonb)'::regprocedure,
                            'privacybee.contacts_fulltext(bigint, text, real, bigint, integer)'::regprocedure,
                            'privacybee.contacts_fulltext_explain(bigint, text)'::regprocedure,
                            'privacybee.contacts_filter(bigint, jsonb, bigint, integer)'::regprocedure,
                            'privacybee.contacts_filter_explain(bigint, jsonb)'::regprocedure,
                            'privacybee.webhook_delivery_listen()'::regprocedure,
                            'privacybee.webhook_delivery_form()'::regprocedure,
                            'privacybee.webhook_delivery_claim()'::regprocedure,
                            'privacybee.webhook_delivery_record(bigint, bigint, bigint, integer, integer, text)'::regprocedure)
                      OR (SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid = f)
                         = 'trigger'::regtype
                 THEN 'privacybee_system' ELSE 'privacybee_member' END);
    END LOOP;
END
$$;

-- One member's rows.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY '{contacts,contact_phones,contact_emails,contact_tags,contact_photos,
                         contact_documents,tags,contact_tombstones,trust_edges,trust_edge_copies,trusted_numbers,blocked_calls,
                         tokens,oauth_grants,oauth_codes,oauth_refresh_tokens,webhooks,webhook_secrets,
                         webhook_events,webhook_batches,webhook_attempts,contact_cards,contact_sync_seqs}'::text[] LOOP
        EXECUTE pg_catalog.format('DROP POLICY IF EXISTS own_rows ON privacybee.%I', t);
        EXECUTE pg_catalog.format(
            'CREATE POLICY own_rows ON privacybee.%I USING (user_id = privacybee.rls_member())', t);
    END LOOP;
END
$$;

-- A trust request is seen by both: the member asked and the one asking.
DROP POLICY IF EXISTS both_parties ON privacybee.trust_requests;
CREATE POLICY both_parties ON privacybee.trust_requests
    USING (user_id = privacybee.rls_member() OR requester_id = privacybee.rls_member());

-- Activity is seen by its sender and its receiver, a company's by its employees; only
-- the sender writes it.
DROP POLICY IF EXISTS both_parties ON privacybee.activities;
CREATE POLICY both_parties ON privacybee.activities
    USING ((sendable_type = 'person' AND sendable_id = privacybee.rls_member())
           OR (receivable_type = 'person' AND receivable_id = privacybee.rls_member())
           OR (sendable_type = 'company' AND sendable_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member()))
           OR (receivable_type = 'company' AND receivable_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member())))
    WITH CHECK ((sendable_type = 'person' AND sendable_id = privacybee.rls_member())
                OR (sendable_type = 'company' AND sendable_id IN
                        (SELECT e.company_id FROM privacybee.employees e
                          WHERE e.person_id = privacybee.rls_member())));

DROP POLICY IF EXISTS own_party ON privacybee.activity_parties;
CREATE POLICY own_party ON privacybee.activity_parties
    USING ((party_type = 'person' AND party_id = privacybee.rls_member())
           OR (party_type = 'company' AND party_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member())));
-- the sender files the activity under the receiver too
DROP POLICY IF EXISTS sender_files ON privacybee.activity_parties;
CREATE POLICY sender_files ON privacybee.activity_parties FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM privacybee.activities a
                         WHERE a.id = activity_id
                           AND ((a.sendable_type = 'person' AND a.sendable_id = privacybee.rls_member())
                                OR (a.sendable_type = 'company' AND a.sendable_id IN
                                        (SELECT e.company_id FROM privacybee.employees e
                                          WHERE e.person_id = privacybee.rls_member())))));

-- Every table with a policy above is a member's: row security on, and forced.
DO $$
DECLARE
    t name;
BEGIN
    FOR t IN SELECT DISTINCT p.tablename FROM pg_catalog.pg_policies p
              WHERE p.schemaname = 'privacybee' LOOP
        EXECUTE pg_catalog.format('ALTER TABLE privacybee.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format('ALTER TABLE privacybee.%I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
