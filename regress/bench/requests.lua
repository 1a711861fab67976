-- requests.lua — wrk script: requests drawn at random from a file of lines
--   TOKEN METHOD PATH [BODYFILE]      (TOKEN "-" for none)
-- WRK_DELAY_MS paces each connection (for latency at a given load). Prints one
-- RESULT line that run.sh reads.
local lines = {}
local bodies = {}
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")

function init(args)
  for line in io.lines(args[1]) do
    local token, method, path, bodyfile = line:match("^(%S+) (%S+) (%S+) ?(%S*)$")
    local body = nil
    if bodyfile ~= "" then
      if not bodies[bodyfile] then
        local f = io.open(bodyfile, "rb")
        bodies[bodyfile] = f:read("*a")
        f:close()
      end
      body = bodies[bodyfile]
    end
    local headers = {}
    if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
    if body then headers["Content-Type"] = "application/json" end
    table.insert(lines, wrk.format(method, path, headers, body))
  end
  math.randomseed(os.time() * 1000 + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
end

function request()
  return lines[math.random(#lines)]
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d non2xx=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
