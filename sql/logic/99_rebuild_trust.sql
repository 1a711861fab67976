-- The materialised trust decisions, rebuilt under the rules the files above define. An
-- update of the extension re-runs sql/logic/, which may change trust_eval and trust_graph
-- (0.2.0 compares match keys where 0.1.0 compared E.164 forms), so trusted_numbers is
-- made equal to them before the update commits; on a fresh install there is no member
-- and this does nothing.
SELECT privacybee.recompute_trust();
