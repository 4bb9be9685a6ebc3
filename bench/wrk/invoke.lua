-- POST /api/v1/actions (invoke) as the demo's Support assistant, each request with its own
-- Idempotency-Key: "<run>-<thread>-<n>" from a per-thread counter (run = first script
-- argument, so runs against one database never collide).
--
-- BENCH_INVOKE=executed: every request sends tracking for shipped order 1002 (allowed, then
--   executed by the sandbox store), except every BENCH_DENY_EVERY-th (default 10), a refund
--   of 450.00 that the demo's max_amount 200 limit denies.
-- BENCH_INVOKE=pending: every request asks to cancel order 1003, which the demo store lets
--   happen only after the customer confirms: decided, reserved and recorded in one
--   transaction, nothing executed — the same work as one raw insert transaction plus the
--   service logic.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local mode = os.getenv("BENCH_INVOKE") or "executed"
local deny_every = tonumber(os.getenv("BENCH_DENY_EVERY") or "10")
local allowed = '{"action_type":"send_tracking","customer_ref":"cus_ben","params":{"order_id":"1002","channel":"email"}}'
local denied = '{"action_type":"process_refund","customer_ref":"cus_emma",'
  .. '"params":{"order_id":"1005","amount":"450.00","reason":"Changed mind"}}'
local pending = '{"action_type":"cancel_order","customer_ref":"cus_chloe","params":{"order_id":"1003","reason":"Ordered twice"}}'

local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_AGENT_KEY"),
  ["Content-Type"] = "application/json",
}
local prefix
local n = 0

function init(args)
  prefix = (args[1] or "bench") .. "-" .. tostring(tid) .. "-"
end

function request()
  n = n + 1
  headers["Idempotency-Key"] = prefix .. n
  local body
  if mode == "pending" then
    body = pending
  elseif deny_every > 0 and n % deny_every == 0 then
    body = denied
  else
    body = allowed
  end
  return wrk.format("POST", "/api/v1/actions", headers, body)
end
