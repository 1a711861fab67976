-- shards-load.sql — make bench's data set for the sharded layout (regress/bench/shards.sh),
-- loaded into one database of the extension: the whole set when it is alone (shards 1),
-- or shard :shard's part of it (psql -v shard=K -v shards=N): the reference data all of it,
-- as every shard holds it, the owned rows of its own members only. 4,000 members, each
-- with a Buzz number of their own shard's part of the pool and 25 contacts (other
-- members' phones), a token whose plaintext bench_tokens keeps; then recompute_trust().
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET session_replication_role = replica;

-- member i: phone +1 3AA 555 XXXX
INSERT INTO privacybee.people (id, first_name, last_name, phone_raw, phone_e164)
SELECT i, 'First' || i, 'Last' || i, p, p
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT '+1' || (300 + i / 1000) || '555' || lpad((i % 1000)::text, 4, '0') AS p) x;
SELECT setval('privacybee.people_id_seq', 4000);
-- member i's Buzz number: the first of +1 4K0 555 IIII (k = 0…9) that hashes to i's shard
INSERT INTO privacybee.buzz_numbers (e164, user_id, assigned_at)
SELECT n.e164, i, now()
  FROM generate_series(1, 4000) i,
       LATERAL (SELECT '+1' || (400 + k * 10 + i / 1000) || '555' || lpad((i % 1000)::text, 4, '0') AS e164
                  FROM generate_series(0, 9) k
                 WHERE abs(hashtext('+1' || (400 + k * 10 + i / 1000) || '555' || lpad((i % 1000)::text, 4, '0'))
                           % :shards) = privacybee.member_shard(i, :shards)
                 ORDER BY k LIMIT 1) n;
-- tokens on every shard (reference data), in the member-carrying format
CREATE TABLE IF NOT EXISTS public.bench_tokens (i integer PRIMARY KEY, token text NOT NULL);
INSERT INTO public.bench_tokens
SELECT i, 'pb_' || i || '_' || encode(sha256(convert_to('bench' || i, 'UTF8')), 'hex')
  FROM generate_series(1, 4000) i;
INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
SELECT sha256(convert_to(token, 'UTF8')), i, '{contacts:read,contacts:write,buzz}', now() + interval '1 day'
  FROM public.bench_tokens;

-- contact j of member i: member (i * 7 + j * 13) % 4000 + 1's phone; on i's shard only
INSERT INTO privacybee.contacts (user_id, id, display_name)
SELECT i, i * 1024 + j, 'Contact ' || i || '-' || j
  FROM generate_series(1, 4000) i, generate_series(1, 25) j
 WHERE privacybee.member_shard(i, :shards) = :shard;
INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164)
SELECT i, i * 1024 + j, 0, p.phone_e164, p.phone_e164
  FROM generate_series(1, 4000) i, generate_series(1, 25) j, privacybee.people p
 WHERE p.id = (i * 7 + j * 13) % 4000 + 1 AND privacybee.member_shard(i, :shards) = :shard;
-- past every id loaded, still in this shard's series (k+1 modulo 1024: become_shard)
SELECT setval('privacybee.contacts_id_seq', 4001 * 1024 + :shard + 1);

-- what trust-lookup is asked: member i's number called by the phone of their first contact
CREATE TABLE IF NOT EXISTS public.bench_calls (i integer PRIMARY KEY, params jsonb NOT NULL);
INSERT INTO public.bench_calls
SELECT i, jsonb_build_object('number_code', '1', 'number', substr(b.e164, 3),
                             'inbound_code', '1', 'inbound', substr(p.phone_e164, 3))
  FROM generate_series(1, 4000) i
  JOIN privacybee.buzz_numbers b ON b.user_id = i
  JOIN privacybee.people p ON p.id = (i * 7 + 13) % 4000 + 1;
RESET session_replication_role;
SELECT privacybee.recompute_trust() IS NOT NULL AS trust_built;
ANALYZE;
