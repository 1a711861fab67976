-- privacybee-proxy.sql — the PL/Proxy proxy database of the sharded layout (SPEC §12,
-- docs/sharding.md), as psql runs it: psql -v ON_ERROR_STOP=1 -f sql/proxy/privacybee-proxy.sql
-- in a database with CREATE EXTENSION plproxy; then privacybee.configure_proxy(ARRAY[
-- connection strings of the shards]) and privacybee.grant_proxy_api('privacybee_api').
-- Every statement is re-runnable, so running it again after an upgrade replaces the functions.
\ir 00_proxy.sql
\ir ../prelude/10_token_format.sql
\ir 10_reference.sql
\ir 20_routes.sql
