-- The shard layout (SPEC §12, docs/sharding.md): which members, Buzz numbers and tokens
-- this database holds when it is one shard of the PL/Proxy layout. One database alone is
-- shard 0 of 1 and holds everyone, so every test here is true there.
--
-- The placement is PL/Proxy's (modular mapping, sql/proxy/): partition = abs(hash % shards)
-- where the hash of a member is hashint8(user_id) and of a Buzz number hashtext(e164)
-- (extension/lookup.c call_shard_key computes the same for a call's receiving number).
-- privacybee.shard and privacybee.shards are set per database by become_shard().

CREATE OR REPLACE FUNCTION privacybee.shard_count()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.shards', true), '1')::integer
$$;
COMMENT ON FUNCTION privacybee.shard_count() IS
    'how many shard databases the layout has (1: this database holds everyone)';

CREATE OR REPLACE FUNCTION privacybee.shard_index()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.shard', true), '0')::integer
$$;
COMMENT ON FUNCTION privacybee.shard_index() IS
    'this database''s shard number, 0-based';

-- The shard that holds member uid's rows, as PL/Proxy places them.
CREATE OR REPLACE FUNCTION privacybee.member_shard(uid bigint, shards integer)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.abs(pg_catalog.hashint8(uid) % shards)
$$;
COMMENT ON FUNCTION privacybee.member_shard(bigint, integer) IS
    'the shard of a member among shards, as the PL/Proxy proxy routes to it (abs(hashint8(id) % shards))';

-- Does this database hold member uid's rows? Fails closed: NULL is no one's. A team's
-- account (SPEC §10) holds its rows on the team's shard, the one of its company's id:
-- team routes are routed by the teamId they name (shard=team, docs/sharding.md).
CREATE OR REPLACE FUNCTION privacybee.is_local_member(uid bigint)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT uid IS NOT NULL
       AND CASE WHEN privacybee.shard_count() = 1 THEN true
                ELSE privacybee.member_shard(COALESCE((SELECT p.team_of FROM privacybee.people p
                                                        WHERE p.id = uid), uid),
                                             privacybee.shard_count()) = privacybee.shard_index() END
$$;
COMMENT ON FUNCTION privacybee.is_local_member(bigint) IS
    'true when this database holds the member''s rows (always, on one database)';

-- May this database hand Buzz number e164 out? Each shard hands out its own part of the
-- pool only, so no number is given twice across shards, and the proxy finds the member a
-- call is for by the number alone.
CREATE OR REPLACE FUNCTION privacybee.number_is_local(e164 text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT privacybee.shard_count() = 1
        OR pg_catalog.abs(pg_catalog.hashtext(e164) % privacybee.shard_count()) = privacybee.shard_index()
$$;
COMMENT ON FUNCTION privacybee.number_is_local(text) IS
    'true when this shard may assign the Buzz number (its part of the pool; always, on one database)';
