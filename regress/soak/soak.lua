-- soak.lua — wrk script for make soak: requests drawn at random from a file of lines
--   STATUS TOKEN METHOD PATH [BODYFILE [CONTENT-TYPE]]     (TOKEN "-" for none)
-- and every answer checked against its STATUS. Prints one RESULT line.
local lines = {}
local expected = {}
local bodies = {}
local threads = {}
local last = 0
mismatches = 0        -- globals: done() reads them from each thread
first_mismatch = ""

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local status, token, method, path, bodyfile, ctype =
      line:match("^(%d+) (%S+) (%S+) (%S+) ?(%S*) ?(%S*)$")
    local headers = {}
    local body = nil
    if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
    if bodyfile ~= "" then
      if not bodies[bodyfile] then
        local f = io.open(bodyfile, "rb")
        bodies[bodyfile] = f:read("*a")
        f:close()
      end
      body = bodies[bodyfile]
      headers["Content-Type"] = (ctype ~= "" and ctype) or "application/json"
    end
    table.insert(lines, wrk.format(method, path, headers, body))
    table.insert(expected, tonumber(status))
  end
  math.randomseed(os.time() * 1000 + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
end

function request()
  last = math.random(#lines)
  return lines[last]
end

-- wrk pipelines nothing here (one request in flight per connection), so the answer
-- belongs to the last request this connection's thread sent only when connections = threads
function response(status, headers, body)
  if status ~= expected[last] then
    mismatches = mismatches + 1
    if first_mismatch == "" then
      first_mismatch = string.format("%d for line %d (expected %d): %s", status, last,
                                     expected[last], body:sub(1, 200))
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  local first = ""
  for _, t in ipairs(threads) do
    total = total + t:get("mismatches")
    if first == "" then first = t:get("first_mismatch") end
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d errors=%d mismatches=%d max_us=%d\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, total, latency.max))
  if first ~= "" then io.write("FIRST_MISMATCH " .. first .. "\n") end
end
