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

-- every contact shows the same flat fields as before (40_rich_contacts.sql): emails,
-- addresses, birthday, phones; its labels those it had, trimmed, the spellings that
-- differed only in case (of any script) now one tag
SELECT 'contact changed by the update: ' || b.user_id || '/' || b.id
  FROM upgrade_before.contacts b
  LEFT JOIN privacybee.contacts_flat f ON f.user_id = b.user_id AND f.id = b.id
 WHERE f.id IS NULL
    OR f.emails IS DISTINCT FROM b.emails
    OR f.addresses IS DISTINCT FROM b.addresses
    OR f.birthday IS DISTINCT FROM b.birthday::text
    OR f.phones IS DISTINCT FROM ARRAY(SELECT COALESCE(p.e164, p.raw)
                                         FROM upgrade_before.contact_phones p
                                        WHERE p.user_id = b.user_id AND p.contact_id = b.id
                                        ORDER BY p.pos)
    OR ARRAY(SELECT privacybee.casefold(l) FROM pg_catalog.unnest(f.labels) AS l)
       IS DISTINCT FROM ARRAY(SELECT privacybee.casefold(privacybee.trim_name(l.v))
                                FROM pg_catalog.unnest(b.labels) WITH ORDINALITY AS l(v, pos)
                               WHERE privacybee.trim_name(l.v) <> ''
                               GROUP BY privacybee.casefold(privacybee.trim_name(l.v))
                               ORDER BY pg_catalog.min(l.pos));

-- every contact has its search document, and renders
SELECT 'no search document: contact ' || c.user_id || '/' || c.id FROM privacybee.contacts c
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_documents d
                    WHERE d.user_id = c.user_id AND d.contact_id = c.id);
SELECT 'does not render: contacts of member ' || r.user_id
  FROM (SELECT c.user_id, privacybee.contacts_render(c.user_id, pg_catalog.array_agg(c.id),
                                                     true, true, true) AS rendered
          FROM privacybee.contacts c GROUP BY c.user_id) AS r
 WHERE pg_catalog.array_position(r.rendered, NULL) IS NOT NULL;

-- each tag a label became is named as a contact spelled it, once per member and name
SELECT 'tag without its label: ' || t.user_id || ' ' || t.name FROM privacybee.tags t
 WHERE NOT EXISTS (SELECT 1 FROM upgrade_before.contacts b, pg_catalog.unnest(b.labels) AS l
                    WHERE b.user_id = t.user_id AND t.name = privacybee.trim_name(l));
-- and every tag's name is trimmed, and one per member whatever its case
SELECT 'tag not trimmed: ' || t.id FROM privacybee.tags t
 WHERE t.name <> privacybee.trim_name(t.name) OR t.name = '';

-- CardDAV (sql/upgrade/0.1.0--0.2.0/70_carddav.sql): every contact is a card and every
-- tombstone a deleted card, numbered 0, so a client's first sync finds them; each member
-- with cards has a change counter
SELECT 'not a card: contact ' || c.user_id || '/' || c.id FROM privacybee.contacts c
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_cards k
                    WHERE k.user_id = c.user_id AND k.contact_id = c.id AND NOT k.deleted);
SELECT 'not a deleted card: tombstone ' || t.user_id || '/' || t.contact_id
  FROM privacybee.contact_tombstones t
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_cards k
                    WHERE k.user_id = t.user_id AND k.contact_id = t.contact_id AND k.deleted);
SELECT 'no change counter: member ' || k.user_id FROM privacybee.contact_cards k
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_sync_seqs q WHERE q.user_id = k.user_id);

-- copies of trust edges (sql/upgrade/0.1.0--0.2.0/48_trust_edge_copies.sql): every edge
-- is kept as it was, at version 0; no copy (0.1.0 is one database, every edge local)
SELECT 'trust edge changed: ' || b.user_id || ' ' || b.target_type || ' ' || b.target_id
  FROM upgrade_before.trust_edges b
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.trust_edges e
                    WHERE e.user_id = b.user_id AND e.target_type = b.target_type
                      AND e.target_id = b.target_id AND e.trusted = b.trusted AND e.version = 0);
SELECT 'a trust edge copy on one database: ' || d.user_id || ' ' || d.person_id
  FROM privacybee.trust_edge_copies d;
