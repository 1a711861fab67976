-- The three rules every route reads requests with, one home each: ids (extension/ids.c),
-- timestamps (extension/timestamps.c), conditional requests (extension/preconditions.c).
\set SHOW_CONTEXT never

-- ids: a positive int64, 1 … 9223372036854775807, written once
-- in a path (digits only: the router lets nothing else through)
SELECT v, privacybee.parse_id(v)
  FROM unnest(ARRAY['1', '007', '1000000000000000000', '9223372036854775807',
                    '0', '000', '9223372036854775808', '18446744073709551616',
                    '123456789012345678901234567890', '', '-1', '1e1', '10.0', ' 1']) AS v;
-- path_id() never answers NULL: what can be no object's id is 404
SELECT privacybee.path_id('9223372036854775807', 'contact');
SELECT privacybee.path_id('9223372036854775808', 'contact');
SELECT privacybee.path_id('0', 'person');
SELECT privacybee.path_id(NULL, 'contact');
-- in a body: a number with an integral value however written, or a string of digits
SELECT v, privacybee.json_id(v::jsonb, 'user_id')
  FROM unnest(ARRAY['10', '10.0', '1e1', '1E+1', '100e-1', '"10"', '"007"',
                    '9223372036854775807', '9.223372036854775807e18']) AS v;
-- and nothing else, each a 400 naming the field; json_id() never answers NULL either
SELECT privacybee.json_id('0', 'user_id');
SELECT privacybee.json_id('-1', 'user_id');
SELECT privacybee.json_id('1.5', 'user_id');
SELECT privacybee.json_id('1e-1', 'user_id');
SELECT privacybee.json_id('9223372036854775808', 'user_id');
SELECT privacybee.json_id('123456789012345678901234567890', 'user_id');
SELECT privacybee.json_id('1e100000', 'user_id');
SELECT privacybee.json_id('"10.0"', 'user_id');
SELECT privacybee.json_id('"-1"', 'user_id');
SELECT privacybee.json_id('true', 'user_id');
SELECT privacybee.json_id('null', 'user_id');
SELECT privacybee.json_id('[1]', 'user_id');
SELECT privacybee.json_id(NULL, 'user_id');
-- other integers of a body are read the same way, within their own range
SELECT privacybee.json_int('1e1', 'call_time', 0, 2147483647) AS ten,
       privacybee.json_int('0', 'call_time', 0, 2147483647) AS zero,
       privacybee.json_int('null', 'call_time', 0, 2147483647) IS NULL AS null_is_absent,
       privacybee.json_int(NULL, 'call_time', 0, 2147483647) IS NULL AS absent;
SELECT privacybee.json_int('2147483648', 'call_time', 0, 2147483647);
SELECT privacybee.json_int('-1', 'call_time', 0, 2147483647);

-- timestamps out: UTC, Z, always microseconds
SET TimeZone = 'America/New_York';
SELECT privacybee.rfc3339('2023-02-10 14:03:11.123456+00'),
       privacybee.rfc3339('2023-02-10 14:03:11+00'),
       privacybee.rfc3339('2023-02-10 09:03:11.5-05');
RESET TimeZone;
-- timestamps in: any number of fractional digits (kept to the microsecond, never rounded
-- up), t and z, any offset up to ±15:59, a date alone, no zone (UTC)
SELECT v, privacybee.rfc3339(privacybee.rfc3339_in(v, 'updated_at', false))
  FROM unnest(ARRAY['2024-07-01T00:00:00Z', '2024-07-01t00:00:00z', '2024-07-01 00:00:00Z',
                    '2024-07-01T00:00:00.1Z', '2024-07-01T00:00:00.1234567Z',
                    '2024-07-01T00:00:00.123456789Z', '2024-07-01T00:00:00.9999999999Z',
                    '2024-07-01T02:00:00+02:00', '2024-07-01T02:00:00+0200',
                    '2024-06-30T08:01:00-15:59', '2024-07-01T15:59:00+15:59',
                    '2024-07-01', '2024-07-01T10:30', '2024-07-01T10:30:00',
                    '2024-02-29T00:00:00Z', '2016-12-31T23:59:60Z',
                    '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z']) AS v;
-- as a bound: an instant past a microsecond is the next one with next (x >= v, x < v),
-- the one read without (x <= v, x > v); all-zero extra digits are no instant past it
SELECT v, privacybee.rfc3339(privacybee.rfc3339_in(v, 'updated_at', false)) AS read,
       privacybee.rfc3339(privacybee.rfc3339_in(v, 'updated_at', true)) AS next
  FROM unnest(ARRAY['2024-07-01T00:00:00.1234561Z', '2024-07-01T00:00:00.1234560000Z',
                    '2024-07-01T00:00:00.123456Z', '2024-07-01T00:00:59.9999999Z',
                    '2024-07-01T00:00:00.000000001+02:00']) AS v;
-- a malformed one, an offset out of range, an instant outside 0000–9999: 400, never 500
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00+16:00', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00-16:00', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00+99:99', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00+02:60', 'updated_at', false);
SELECT privacybee.rfc3339_in('9999-12-31T23:59:59-00:01', 'updated_at', false);
SELECT privacybee.rfc3339_in('0000-01-01T00:00:00+00:01', 'updated_at', false);
SELECT privacybee.rfc3339_in('2023-02-29T00:00:00Z', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T24:00:00Z', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00.Z', 'updated_at', false);
SELECT privacybee.rfc3339_in('2024-07-01T00:00:00Z ', 'updated_at', false);
SELECT privacybee.rfc3339_in('yesterday', 'updated_at', false);
-- a query string turns the offset's "+" into a space; the parameter reader puts it back
SELECT privacybee.rfc3339(privacybee.param_timestamp('{"updated_at": "2024-07-01T02:00:00 02:00"}', 'updated_at', false));

-- conditional requests against ETag "v5": If-Match strong, any of a list, never weak or
-- malformed (412); If-None-Match weak, 304 for GET (true) and 412 otherwise
SELECT m, privacybee.check_preconditions(m, NULL, '"v5"', false) IS FALSE AS proceeds
  FROM unnest(ARRAY['"v5"', '*', ' * ', '"v1", "v5"', '"v1","v7", "v5"', '"v1",,"v5"',
                    -- a malformed element matches nothing, the others still can
                    'garbage, "v5"', '*, "v5"', '"a,b", "v5"']) AS m;
SELECT privacybee.check_preconditions('garbage', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('W/"v5"', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('"v1", "v7"', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('"v5" "v6"', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('"v5', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('v5', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('', NULL, '"v5"', false);
SELECT privacybee.check_preconditions('"v5"', NULL, '"v5"', true) IS FALSE AS get_with_if_match_proceeds;
SELECT privacybee.check_preconditions('"v1"', NULL, '"v5"', true);
SELECT privacybee.check_preconditions('*', NULL, NULL, false);
SELECT n, privacybee.check_preconditions(NULL, n, '"v5"', true) AS not_modified
  FROM unnest(ARRAY['"v5"', 'W/"v5"', '*', '"v1", W/"v5"', '"v1"', 'W/"v1"', 'garbage',
                    '"v5', '']) AS n;
SELECT privacybee.check_preconditions(NULL, '*', NULL, false) IS FALSE AS creates_when_absent;
SELECT privacybee.check_preconditions(NULL, '*', '"v5"', false);
SELECT privacybee.check_preconditions(NULL, 'W/"v5"', '"v5"', false);
SELECT privacybee.check_preconditions(NULL, '"v1"', '"v5"', false) IS FALSE AS proceeds;
-- If-Match comes first (RFC 9110 §13.2.2)
SELECT privacybee.check_preconditions('"v1"', '"v5"', '"v5"', true);
SELECT privacybee.check_preconditions(NULL, NULL, '"v5"', false) IS FALSE AS unconditional;
