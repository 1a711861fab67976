-- An activity is rendered for the member who views it (SPEC §2, §4: a receiving person is
-- named only where they disclosed themself to the viewer): activity_json takes the viewer
-- now; sql/logic/60_buzz.sql creates it again.
DROP FUNCTION privacybee.activity_json(privacybee.activities);
