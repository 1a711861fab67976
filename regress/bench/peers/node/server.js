// server.js — make bench's Node peer: GET /apps/buzz/trust-lookup as a competent Node team
// would serve it in front of the same SQL function privacybee-fcgi calls, so the bench
// compares the front-ends and nothing else.
//
// How it is tuned (README "Benchmarks" says why each): node:cluster with one worker per
// core (WORKERS, default os.availableParallelism()); in each worker one pg Pool (POOL_SIZE
// connections, default 8) and one named prepared statement, so each pooled connection
// parses the call once; HTTP keep-alive (node's default); no framework, no logging per
// request. The query string goes to the function as the same jsonb privacybee-fcgi
// builds (one value per name), and the function's status and body are returned as they
// are; a PTnnn error is that status, a lost connection 503, anything else 500.
//
// Environment: PORT (127.0.0.1), PGHOST, PGPORT, PGDATABASE, PGUSER (libpq's names,
// which pg reads too), WORKERS, POOL_SIZE.
'use strict';

const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');
const { Pool } = require('pg');

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS || os.availableParallelism());
const poolSize = Number(process.env.POOL_SIZE || 8);

const CALL = {
  name: 'trust_lookup',
  text: 'SELECT status, body FROM privacybee.api_trust_lookup($1, $2, $3::jsonb, NULL, NULL)',
};

function send(res, status, body) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendError(res, status, message) {
  send(res, status, JSON.stringify({ error: { code: String(status), message } }));
}

function serve(pool) {
  return http.createServer(async (req, res) => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (path !== '/apps/buzz/trust-lookup') return sendError(res, 404, 'no such route');
    if (req.method !== 'GET') return sendError(res, 405, 'method not allowed on this route');
    const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization || '');
    const params = Object.fromEntries(new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)));
    try {
      const r = await pool.query({ ...CALL, values: [m ? m[1] : null, '', JSON.stringify(params)] });
      send(res, r.rows[0].status, r.rows[0].body);
    } catch (e) {
      const pt = /^PT([0-9]{3})$/.exec(e.code || '');
      if (pt) sendError(res, Number(pt[1]), e.message);
      else if (!e.code || /^(08|53|57P)/.test(e.code)) sendError(res, 503, 'database unavailable, retry shortly');
      else sendError(res, 500, 'internal error');
    }
  });
}

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', () => cluster.fork());
  process.on('SIGTERM', () => {
    cluster.removeAllListeners('exit');
    for (const w of Object.values(cluster.workers)) w.kill();
    process.exit(0);
  });
} else {
  const pool = new Pool({ max: poolSize });
  pool.on('error', () => {}); // an idle client's lost connection: the pool replaces it
  serve(pool).listen(port, '127.0.0.1');
}
