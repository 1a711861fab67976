<?php
// trust-lookup.php — make bench's PHP peer: GET /apps/buzz/trust-lookup as a competent PHP
// team would serve it in front of the same SQL function privacybee-fcgi calls, so the
// bench compares the front-ends and nothing else.
//
// How it is tuned (README "Benchmarks" says why each): PHP-FPM with static children
// (php-fpm.conf.in), OPcache on, one persistent connection per child (pg_pconnect), the
// call prepared once per connection: the prepared statement lives as long as the
// persistent connection, and PHP forgets everything else between requests, so the first
// execute on a new connection fails with 26000 (no such statement), prepares, and runs
// again — one extra round trip per connection, never per request. The query string goes
// to the function as the same jsonb privacybee-fcgi builds (one value per name), and the
// function's status and body are returned as they are; a PTnnn error is that status, a
// lost connection 503, anything else 500. The DSN comes from the pool's env[PB_DSN].

const STMT = 'trust_lookup';
const SQL = 'SELECT status, body FROM privacybee.api_trust_lookup($1, $2, $3::jsonb, NULL, NULL)';

function answer(int $status, string $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    header('Content-Length: ' . strlen($body));
    echo $body;
}

function fail(int $status, string $message): void
{
    answer($status, json_encode(['error' => ['code' => (string) $status, 'message' => $message]]));
}

// One prepared call; the result, or null when the connection failed.
function execute($conn, array $values)
{
    if (!pg_send_execute($conn, STMT, $values)) {
        return null;
    }
    $res = pg_get_result($conn);
    while (pg_get_result($conn) !== false) {
    }
    return $res === false ? null : $res;
}

if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) !== '/apps/buzz/trust-lookup') {
    fail(404, 'no such route');
    return;
}
if ($_SERVER['REQUEST_METHOD'] !== 'GET') {
    fail(405, 'method not allowed on this route');
    return;
}
$token = preg_match('/^bearer[ \t]+(\S+)[ \t]*$/i', $_SERVER['HTTP_AUTHORIZATION'] ?? '', $m) ? $m[1] : null;
$values = [$token, '', json_encode((object) $_GET)];

$conn = pg_pconnect(getenv('PB_DSN'));
$res = $conn ? execute($conn, $values) : null;
if ($res !== null && pg_result_error_field($res, PGSQL_DIAG_SQLSTATE) === '26000') {
    $prepared = pg_prepare($conn, STMT, SQL);
    $res = $prepared ? execute($conn, $values) : null;
}
if ($res === null) {
    fail(503, 'database unavailable, retry shortly');
    return;
}
$state = pg_result_error_field($res, PGSQL_DIAG_SQLSTATE);
if ($state === false || $state === null) {
    $row = pg_fetch_row($res);
    answer((int) $row[0], $row[1]);
} elseif (preg_match('/^PT([0-9]{3})$/', $state, $pt)) {
    fail((int) $pt[1], pg_result_error_field($res, PGSQL_DIAG_MESSAGE_PRIMARY));
} elseif (preg_match('/^(08|53|57P)/', $state)) {
    fail(503, 'database unavailable, retry shortly');
} else {
    fail(500, 'internal error');
}
