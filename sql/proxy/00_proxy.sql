-- The proxy database's own definitions: its schemas, the route functions' result types
-- (the extension's, sql/schema/00_tables.sql and 30_rich_contacts.sql: PL/Proxy reads a
-- shard's answer into the proxy's type by column name, so they must agree — the sharded
-- HTTP suite proves it on every route), the cluster, and the partition hash of each shard
-- key (api/routes shard=). The proxy holds no data: what it needs to route is in the
-- request (the token's member id, the call's receiving number, the team).

CREATE SCHEMA IF NOT EXISTS privacybee;
-- PL/Proxy functions that return what shards answer, for a proxy function to combine
CREATE SCHEMA IF NOT EXISTS privacybee_shards;

DO $$
BEGIN
    CREATE TYPE privacybee.http_response AS (status integer, headers text, body text);
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;
DO $$
BEGIN
    CREATE TYPE privacybee.http_binary_response AS (status integer, headers text, body bytea);
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

-- The cluster: a foreign server of PL/Proxy's with one option per shard (p0, p1, …, the
-- connection strings, in shard order), modular mapping (any number of shards: partition
-- = abs(hash % shards), as sql/logic/05_shard_layout.sql computes it on the shards), and
-- the shard count kept beside it for the proxy's own use. Re-runnable: a changed list
-- replaces the server's options (PL/Proxy reloads them at the next call).
CREATE OR REPLACE FUNCTION privacybee.configure_proxy(shards text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    opts text;
BEGIN
    IF COALESCE(pg_catalog.cardinality(shards), 0) = 0 THEN
        RAISE EXCEPTION 'a proxy needs at least one shard' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('p%s %L', i - 1, shards[i]), ', ' ORDER BY i)
      INTO opts FROM pg_catalog.generate_subscripts(shards, 1) AS i;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server WHERE srvname = 'privacybee_shards') THEN
        DROP USER MAPPING IF EXISTS FOR PUBLIC SERVER privacybee_shards;
        DROP SERVER privacybee_shards;
    END IF;
    EXECUTE 'CREATE SERVER privacybee_shards FOREIGN DATA WRAPPER plproxy OPTIONS ('
            || 'modular_mapping ''1'', ' || opts || ')';
    -- no user in the mapping: PL/Proxy connects to a shard as the role calling the proxy
    -- (privacybee-fcgi's role reaches the shards' api_* functions only)
    CREATE USER MAPPING FOR PUBLIC SERVER privacybee_shards;
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET privacybee.shards = %s',
                              pg_catalog.current_database(), pg_catalog.cardinality(shards));
    PERFORM pg_catalog.set_config('privacybee.shards', pg_catalog.cardinality(shards)::text, false);
END
$$;
COMMENT ON FUNCTION privacybee.configure_proxy(text[]) IS
    'points the proxy at its shards (connection strings, in shard order)';

CREATE OR REPLACE FUNCTION privacybee.shard_count()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.shards', true), '1')::integer
$$;
COMMENT ON FUNCTION privacybee.shard_count() IS 'how many shards the proxy routes to';

-- The hash of a call's receiving number: the extension's own reading of a call
-- (extension/lookup.c), from its library, so proxy and shards read a call alike.
CREATE OR REPLACE FUNCTION privacybee.call_shard_key(params jsonb, body jsonb)
RETURNS integer
AS '$libdir/privacybee', 'call_shard_key'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.call_shard_key(jsonb, jsonb) IS
    'shard key of a call: the hash of its receiving number (a shard hands out only numbers of its own hash)';
