-- wrk script for scripts/benchmark.sh user: seed-shaped anomalies for the bundle (BENCH_TARGET=bundle) or the same
-- anomalies as Prometheus alerts for Alertmanager (BENCH_TARGET=alertmanager), BENCH_BATCH per POST over BENCH_SERVICES
-- services, every id unique; BENCH_DELAY_MS between a connection's requests (0: as fast as answers come). done() prints
-- "accepted <events>": events in POSTs answered 2xx.
local target = os.getenv("BENCH_TARGET") or "bundle"
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
local services = tonumber(os.getenv("BENCH_SERVICES") or "1")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local run = os.getenv("BENCH_RUN") or "r"
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  accepted = 0
  if target == "bundle" then
    wrk.path = "/api/v1/anomalies"
    wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_TOKEN") or "")
  else
    wrk.path = "/api/v2/alerts"
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local function anomaly(id, service)
  return '{"anomaly_id":"' .. id .. '","service":"' .. service .. '","metric":"CPU","value":87,"unit":"%","score":0.93,'
    .. '"root_cause":"CPU saturation from DB connection pool exhaustion","blast_radius":["user-service","checkout-service"],'
    .. '"suggested_actions":["Scale to 5 pods","Restart pods"],"rca_confidence":0.92,"environment":"production",'
    .. '"infrasage_url":"https://infrasage.mycompany.com/incidents/' .. id .. '"}'
end

local function alert(id, service)
  return '{"labels":{"alertname":"InfraSageAnomaly","anomaly_id":"' .. id .. '","service":"' .. service .. '","severity":"critical"},'
    .. '"annotations":{"summary":"CPU saturation from DB connection pool exhaustion","description":"CPU 87% on ' .. service
    .. '; blast radius user-service, checkout-service; suggested: Scale to 5 pods, Restart pods"},'
    .. '"generatorURL":"https://infrasage.mycompany.com/incidents/' .. id .. '"}'
end

function request()
  local items = {}
  for i = 1, batch do
    n = n + 1
    local id = run .. "-" .. tid .. "-" .. n
    local service = string.format("svc-%02d", n % services)
    items[i] = (target == "bundle") and anomaly(id, service) or alert(id, service)
  end
  local body
  if target == "bundle" and batch == 1 then body = items[1] else body = "[" .. table.concat(items, ",") .. "]" end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then accepted = accepted + batch end
end

function delay()
  return pause
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("accepted") end
  io.write(string.format("accepted %d\n", total))
end
