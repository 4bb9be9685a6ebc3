-- Reference points for the check numbers: GET $BENCH_PATH, with the agent key when
-- BENCH_AUTH=1. /healthz is the HTTP stack alone, /readyz adds one database round trip,
-- /api/v1/me adds the API-key authentication every agent request goes through.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH") or "/healthz"
if os.getenv("BENCH_AUTH") == "1" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_AGENT_KEY")
end
