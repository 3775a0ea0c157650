-- wrk script for the benchmark: the session cookie for every request, and for POST cases one
-- pre-generated body per request (each carries its own one-time quiz token), read from a file.
--   BENCH_COOKIE  the Cookie header
--   BENCH_AUTHORIZATION  the Authorization header (the reporting API's cases), or empty
--   BENCH_BODIES  a file with one urlencoded body per line (POST); unset for GET
-- GET cases keep wrk's static request (no Lua per request); only POST defines request().

local cookie = os.getenv("BENCH_COOKIE")
local authorization = os.getenv("BENCH_AUTHORIZATION")
local bodies_path = os.getenv("BENCH_BODIES")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local made = 0

-- Each wrk thread has its own Lua state: thread n takes bodies n+1, n+1+threads, ... so no two
-- threads send the same one-time token.
function setup(thread)
  thread:set("thread_number", made)
  made = made + 1
end

function init(args)
  if cookie and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
  end
  if authorization and authorization ~= "" then
    wrk.headers["Authorization"] = authorization
  end
  if bodies_path and bodies_path ~= "" then
    bodies = {}
    for line in io.lines(bodies_path) do
      bodies[#bodies + 1] = line
    end
    index = (thread_number or 0) + 1 - threads
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

if bodies_path and bodies_path ~= "" then
  function request()
    index = index + threads
    if index > #bodies then
      index = index - #bodies -- out of tokens: the harness compares the count with the file
    end
    return wrk.format(nil, nil, nil, bodies[index])
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, ' ..
    '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
