-- POST /api/v1/check as the demo's Support assistant (agent key in BENCH_AGENT_KEY): a refund of
-- 25.00 on a 149.00 order, within every limit, so the answer is "allow". No side effects, so
-- the same request is sent every time (wrk builds it once).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.path = "/api/v1/check"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_AGENT_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"action_type":"process_refund","customer_ref":"cus_ben",'
  .. '"params":{"order_id":"1002","amount":"25.00","order_total":"149.00","reason":"Scuffed on arrival"}}'
