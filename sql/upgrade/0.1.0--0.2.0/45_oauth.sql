-- OAuth 2.0 (SPEC §10): the tables of sql/schema/75_oauth.sql, and the grant an access
-- token was issued under (NULL for every token 0.1.0 issued: a member's own app's).
ALTER TABLE privacybee.tokens ADD COLUMN grant_id bigint;

-- The registered third-party apps: reference data, registered in SQL
-- (register_oauth_client()). scopes are the registry's names (scope_canonical()).
CREATE TABLE privacybee.oauth_clients (
    client_id     text PRIMARY KEY,
    name          text NOT NULL,
    secret_hash   bytea NOT NULL,
    redirect_uris text[] NOT NULL,
    scopes        text[] NOT NULL,
    created       timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- What a member allowed a client, from the exchange of one code on. scopes as the
-- client asked for them (either spelling, the answers repeat them).
CREATE TABLE privacybee.oauth_grants (
    user_id    bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id         bigserial,
    client_id  text NOT NULL REFERENCES privacybee.oauth_clients ON DELETE CASCADE,
    scopes     text[] NOT NULL,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_at timestamptz,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX oauth_grants_client ON privacybee.oauth_grants (client_id);

-- Authorization codes: single-use, short-lived (oauth_code_lifetime()), bound to the
-- client, the redirect URI and the PKCE challenge (NULL: none given).
CREATE TABLE privacybee.oauth_codes (
    code_hash      bytea PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    client_id      text NOT NULL REFERENCES privacybee.oauth_clients ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    scopes         text[] NOT NULL,
    code_challenge text,
    expires_at     timestamptz NOT NULL,
    grant_id       bigint,
    created        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    FOREIGN KEY (user_id, grant_id) REFERENCES privacybee.oauth_grants ON DELETE CASCADE
);
CREATE INDEX oauth_codes_user ON privacybee.oauth_codes (user_id, grant_id);
CREATE INDEX oauth_codes_client ON privacybee.oauth_codes (client_id);

-- Refresh tokens: each used once, then spent (its successor issued with the new access
-- token).
CREATE TABLE privacybee.oauth_refresh_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL,
    grant_id   bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    spent_at   timestamptz,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    FOREIGN KEY (user_id, grant_id) REFERENCES privacybee.oauth_grants ON DELETE CASCADE
);
CREATE INDEX oauth_refresh_tokens_grant ON privacybee.oauth_refresh_tokens (user_id, grant_id);

-- An access token's grant; revoking the grant revokes it.
ALTER TABLE privacybee.tokens ADD CONSTRAINT tokens_grant_fkey
    FOREIGN KEY (user_id, grant_id) REFERENCES privacybee.oauth_grants ON DELETE CASCADE;
CREATE INDEX tokens_grant ON privacybee.tokens (user_id, grant_id) WHERE grant_id IS NOT NULL;
