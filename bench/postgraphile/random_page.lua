-- wrk script: each request asks for a random page. Arguments: a file of cursors (one per
-- line), a file holding the JSON body with %s where the cursor goes, and a bearer token
-- (or "-"). Responses that are not 200 or carry GraphQL errors are counted as errors; done()
-- prints one JSON line.
local cursors, template, token = {}, "", nil
local threads, counter = {}, 0
graphql_errors = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then cursors[#cursors + 1] = line end
  end
  local f = assert(io.open(args[2], "r"))
  template = f:read("*a")
  f:close()
  if args[3] and args[3] ~= "-" then token = args[3] end
  math.randomseed(os.time() * 100 + seed)
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  if token then headers["Authorization"] = "Bearer " .. token end
  local body = string.format(template, cursors[math.random(#cursors)])
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local answered_errors = 0
  for _, thread in ipairs(threads) do
    answered_errors = answered_errors + thread:get("graphql_errors")
  end
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "socket_errors": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, failed, answered_errors))
end
