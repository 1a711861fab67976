-- A timestamp parameter is read as a bound (extension/timestamps.c): an instant past a
-- microsecond compares as itself, not as the microsecond before it. param_timestamp()
-- of 0.1.0 takes which way to read it now; sql/logic/10_core.sql creates the new form.
DROP FUNCTION privacybee.param_timestamp(jsonb, text);
