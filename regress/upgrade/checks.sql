-- What the migrations promise beyond "every column kept", checked on the updated
-- database by run.sh. Every query lists problems: it must return no row.

-- the materialised trust graph equals the live one
SELECT 'trust_verify: ' || user_id || ' ' || e164 FROM privacybee.trust_verify();

-- match keys were computed for the rows 0.1.0 wrote (20_match_keys.sql)
SELECT 'match key missing: people ' || id FROM privacybee.people
 WHERE phone_match_key IS DISTINCT FROM privacybee.phone_match_key(phone_e164);
SELECT 'match key missing: contact_phones ' || user_id || '/' || contact_id || '/' || pos
  FROM privacybee.contact_phones WHERE match_key IS DISTINCT FROM privacybee.phone_match_key(e164);
SELECT 'match key missing: company_phones ' || company_id || ' ' || e164
  FROM privacybee.company_phones WHERE match_key IS DISTINCT FROM privacybee.phone_match_key(e164);
SELECT 'match key missing: buzz_numbers ' || e164
  FROM privacybee.buzz_numbers WHERE match_key IS DISTINCT FROM privacybee.phone_match_key(e164);

-- no member's token carries the provider's scope (22_service_scope.sql)
SELECT 'member token with buzz:lookup: user ' || user_id FROM privacybee.tokens
 WHERE user_id IS NOT NULL AND 'buzz:lookup' = ANY (scopes);

-- every token 0.1.0 issued is a member's own app's (or the provider's), of no OAuth grant
-- (45_oauth.sql)
SELECT 'token of an OAuth grant after the update: user ' || user_id FROM privacybee.tokens
 WHERE grant_id IS NOT NULL;
