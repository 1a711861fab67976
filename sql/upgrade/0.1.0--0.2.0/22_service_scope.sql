-- The provider's scope buzz:lookup is never on a member's token (SPEC §2): with it a
-- member could read other members' contacts through call-lookup. 0.1.0 issued it to
-- anyone who asked; such a token keeps its other scopes and loses that one.
UPDATE privacybee.tokens
   SET scopes = pg_catalog.array_remove(scopes, 'buzz:lookup')
 WHERE user_id IS NOT NULL AND pg_catalog.array_position(scopes, 'buzz:lookup') IS NOT NULL;
ALTER TABLE privacybee.tokens ADD CONSTRAINT tokens_lookup_scope_is_the_services CHECK (
    CASE WHEN user_id IS NULL THEN scopes = '{buzz:lookup}'
         ELSE pg_catalog.array_position(scopes, 'buzz:lookup') IS NULL END);
