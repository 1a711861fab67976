-- A team's account is no member (SPEC §10, privacybee.is_member()): the SQL functions of
-- SPEC §7 and the trust graph answer its id exactly as an id nobody has, and write
-- nothing; the rows naming a member refuse it whatever path writes them.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SELECT privacybee.create_member('Tess', 'Employee', '+1 415 555 0170') AS tess \gset
SELECT privacybee.create_member('Ursula', 'Outsider', '+1 415 555 0171') AS ursula \gset
SELECT privacybee.create_company('Team Account Co', 'team-account-co') AS co \gset
SELECT privacybee.add_employee(:co, :tess);
SELECT privacybee.issue_token(:tess, '{contacts:write,teams.contacts.write}') AS tok \gset

-- the team's first use makes its account (act_for_team), here with a contact's phone
BEGIN;
SELECT privacybee.authenticate(:'tok', 'teams.contacts.write') IS NOT NULL AS authenticated;
SELECT (privacybee.api_cplus_contacts_create(:'tok', NULL, '{}',
            pg_catalog.jsonb_build_object('teamId', :co::text, 'contact', '{"contactData": {
                "name": {"givenName": "Client"},
                "phoneNumbers": [{"type": "work", "value": "+1 415 234 0179"}]}}'::jsonb),
            NULL)).status;
COMMIT;
SELECT id AS acct FROM privacybee.people WHERE team_of = :co \gset
-- an id no one has: drawn from the members' sequence, and never used
SELECT pg_catalog.nextval('privacybee.people_id_seq') AS unknown \gset

SELECT privacybee.is_member(:tess) AS member, privacybee.is_member(:acct) AS account,
       privacybee.is_member(:unknown) AS unknown, privacybee.is_member(NULL) AS null_id;

-- what a call answers, with the id it was given written ID: the account's answer and an
-- unknown id's are the same
CREATE FUNCTION pg_temp.answer(q text, id bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE pg_catalog.format(q, id) INTO r;
    RETURN pg_catalog.regexp_replace('ok: ' || COALESCE(r, '(null)'), '\m' || id || '\M', 'ID', 'g');
EXCEPTION WHEN OTHERS THEN
    RETURN pg_catalog.regexp_replace(SQLSTATE || ': ' || SQLERRM, '\m' || id || '\M', 'ID', 'g');
END
$$;
CREATE TEMP TABLE calls (what text, q text);
INSERT INTO calls VALUES
    ('add_employee', 'SELECT privacybee.add_employee(' || :co || ', %s)'),
    ('issue_token', 'SELECT privacybee.issue_token(%s, ''{contacts:read}'') IS NOT NULL'),
    ('issue_token, app scope', 'SELECT privacybee.issue_token(%s, ''{buzz}'') IS NOT NULL'),
    ('assign_buzz_number', 'SELECT privacybee.assign_buzz_number(%s)'),
    ('disclosed_to, as person', 'SELECT privacybee.disclosed_to(%s, ' || :tess || ')'),
    ('disclosed_to, as member', 'SELECT privacybee.disclosed_to(' || :tess || ', %s)'),
    ('trust_eval', 'SELECT privacybee.trust_eval(%s, ''+14152340179'')'),
    ('recompute_trust', 'SELECT privacybee.recompute_trust(%s)'),
    ('member_teams', 'SELECT pg_catalog.count(*) FROM privacybee.member_teams(%s)');
SELECT privacybee.add_buzz_numbers(ARRAY['+1 202 555 0170']) AS pool;
SELECT c.what, pg_temp.answer(c.q, :acct) = pg_temp.answer(c.q, :unknown) AS same,
       pg_temp.answer(c.q, :acct) AS answer
  FROM calls c ORDER BY c.what;

-- put_member: an unknown id becomes a member; the account's id stays the team's
SELECT pg_temp.answer('SELECT privacybee.put_member(%s, ''Imp'', ''Ostor'')', :acct) AS put_member_account;
SELECT privacybee.is_member(:acct) AS account_still_no_member,
       (SELECT first_name FROM privacybee.people WHERE id = :acct) = 'Team Account Co' AS keeps_its_name;

-- every row naming a member refuses the account, by whatever path it is written
SELECT w.what, pg_temp.answer(w.q, :acct) AS answer
  FROM (VALUES
    ('employee', 'INSERT INTO privacybee.employees (company_id, person_id) VALUES (' || :co || ', %s) RETURNING 1'),
    ('Buzz number', 'UPDATE privacybee.buzz_numbers SET user_id = %s WHERE e164 = ''+12025550170'' RETURNING 1'),
    ('token', 'INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at) '
              'VALUES (''\x00'', %s, ''{contacts:read}'', pg_catalog.now() + interval ''1 day'') RETURNING 1'),
    ('trust decision about it', 'INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) '
                                'VALUES (' || :ursula || ', ''person'', %s, true) RETURNING 1'),
    ('trust decision by it', 'INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) '
                             'VALUES (%s, ''person'', ' || :ursula || ', true) RETURNING 1'),
    ('trust request to it', 'INSERT INTO privacybee.trust_requests (user_id, requester_id) '
                            'VALUES (%s, ' || :ursula || ') RETURNING 1'),
    ('trust request by it', 'INSERT INTO privacybee.trust_requests (user_id, requester_id) '
                            'VALUES (' || :ursula || ', %s) RETURNING 1'),
    ('OAuth grant', 'INSERT INTO privacybee.oauth_grants (user_id, client_id, scopes) '
                    'VALUES (%s, ''any'', ''{contacts:read}'') RETURNING 1'),
    ('phone', 'UPDATE privacybee.people SET phone_raw = ''+1 415 234 0178'', phone_e164 = ''+14152340178'' '
              'WHERE id = %s RETURNING 1')) AS w(what, q)
 ORDER BY w.what;
-- a company decision names no person: the account's company may be trusted
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:ursula, 'company', :co, true);

-- the account trusts nothing, and is in no one's trust set; its contact is its employee's
-- reason (SPEC §10), and the three statements of the graph agree
SELECT (SELECT pg_catalog.count(*) FROM privacybee.trusted_numbers WHERE user_id = :acct) AS account_pairs,
       (SELECT pg_catalog.count(*) FROM privacybee.trust_graph WHERE user_id = :acct) AS account_statement,
       privacybee.trust_eval(:tess, '+14152340179') AS employee_trusts_team_contact;
SET client_min_messages = warning;  -- its progress counts every file's members
SELECT privacybee.recompute_trust(NULL) > 0 AS rebuilt;
RESET client_min_messages;
SELECT pg_catalog.count(*) AS account_pairs_after_rebuild FROM privacybee.trusted_numbers WHERE user_id = :acct;
SELECT pg_catalog.count(*) AS disagreements FROM privacybee.trust_verify();
-- nothing above wrote a row naming the account as a member
SELECT (SELECT pg_catalog.count(*) FROM privacybee.employees WHERE person_id = :acct)
     + (SELECT pg_catalog.count(*) FROM privacybee.buzz_numbers WHERE user_id = :acct)
     + (SELECT pg_catalog.count(*) FROM privacybee.tokens WHERE user_id = :acct)
     + (SELECT pg_catalog.count(*) FROM privacybee.trust_edges WHERE :acct IN (user_id, target_id) AND target_type = 'person')
     + (SELECT pg_catalog.count(*) FROM privacybee.trust_requests WHERE :acct IN (user_id, requester_id)) AS rows_naming_the_account;
