#!/usr/bin/env bash
# Load benchmark of the JSON API on loopback, and the raw SQLite insert rate, in one run.
#
# Starts the release server on a free loopback port with a throwaway SQLite database and
# data dir, seeds it with `mandate seed-demo` (org "demo", sandbox store "Demo Shop", the
# Support assistant's agent key), then with wrk:
#   0. reference points, 10 s each: GET /healthz (HTTP alone), GET /readyz (+ one DB round
#      trip), GET /api/v1/me (+ the agent key's authentication)
#   1. POST /api/v1/check                       (allowed refund, no side effects)
#   2. POST /api/v1/actions, executed mix       (send_tracking executed by the sandbox; every 10th a denied refund)
#   3. POST /api/v1/actions, pending            (cancel_order waiting for the customer: one transaction)
#   plus check and pending invoke on one connection (10 s each): latency without queueing
# and then bench/src/bin/raw_insert.rs on its own SQLite file with the server's settings.
# Prints wrk's reports and a Markdown summary (also written to $BENCH_OUT/load.md).
#
# Needs: target/release/mandate and target/release/raw_insert (bench/run.sh builds them),
# wrk (Debian package), curl; sqlite3 (optional) for the allowed/denied split.
#
# Knobs (environment): BENCH_SECONDS (30), BENCH_REF_SECONDS (10), BENCH_WRK_THREADS (1),
# BENCH_CHECK_CONNECTIONS (16), BENCH_INVOKE_CONNECTIONS (8, also raw_insert's concurrency),
# BENCH_LOG (info: the server's log level; logs go to a file), BENCH_KEEP=1 keeps the
# throwaway directory.

set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_SECONDS:-30}
ref_secs=${BENCH_REF_SECONDS:-10}
threads=${BENCH_WRK_THREADS:-1}
check_conns=${BENCH_CHECK_CONNECTIONS:-16}
invoke_conns=${BENCH_INVOKE_CONNECTIONS:-8}
target=${CARGO_TARGET_DIR:-target}
mandate=$target/release/mandate
raw_insert=$target/release/raw_insert
out=${BENCH_OUT:-$target/bench}
mkdir -p "$out"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
for bin in "$mandate" "$raw_insert"; do
  [ -x "$bin" ] || { echo "bench: $bin is missing; run bench/run.sh (make bench)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mandate-bench.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/mandate.db?mode=rwc"
export MANDATE_DATA_DIR="$work/data"
export MANDATE_SITE_ROOT="$work/site"   # the JSON API needs no browser bundle
export MANDATE_ADDR=127.0.0.1:0         # the server picks a free port and logs it
export MANDATE_LOG=${BENCH_LOG:-info}
unset MANDATE_ADMIN_PASSWORD MANDATE_SMTP_URL MANDATE_PUBLIC_URL
mkdir -p "$MANDATE_SITE_ROOT"

echo "== seed-demo into $work"
"$mandate" seed-demo > "$work/seed.txt"
store_id=$(sed -n 's/^Store "Demo Shop" (sandbox, EUR): //p' "$work/seed.txt")
agent_key=$(grep -A1 '^Agent key' "$work/seed.txt" | tail -n1 | tr -d ' ')
admin_key=$("$mandate" api-key create --org demo --name "bench admin" --role Owner --json \
  | sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p')
[ -n "$store_id" ] && [ -n "$agent_key" ] && [ -n "$admin_key" ] || { cat "$work/seed.txt"; echo "bench: seed failed" >&2; exit 1; }

echo "== start the server"
"$mandate" serve > "$work/server.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 1 100); do
  addr=$(sed -n 's/.*Mandate listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/server.log" | head -n1)
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "bench: the server stopped" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/server.log"; echo "bench: the server did not start" >&2; exit 1; }
base="http://$addr"
curl -fsS "$base/healthz" >/dev/null
echo "server pid $server_pid at $base"

api() { # method path key [body] [idempotency key] → body; fails on a non-2xx answer
  local args=(-sS -X "$1" "$base$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' -w '\n%{http_code}')
  [ -n "${4:-}" ] && args+=(-d "$4")
  [ -n "${5:-}" ] && args+=(-H "Idempotency-Key: $5")
  local res code
  res=$(curl "${args[@]}")
  code=${res##*$'\n'}
  res=${res%$'\n'*}
  if [ "${code:0:1}" != 2 ]; then echo "bench: $1 $2 answered $code: $res" >&2; return 1; fi
  printf '%s' "$res"
}
expect() { # what body: the body must contain what
  case "$2" in *"$1"*) ;; *) echo "bench: expected $1 in: $2" >&2; exit 1 ;; esac
}

# A window limit on refunds too, so every check also reads the usage counters (a store
# with count limits is the common case); it is far too high to change a decision here.
api POST /api/v1/permissions/limits "$admin_key" "{\"store_id\":\"$store_id\",\"action_type\":\"process_refund\",\"limit_type\":\"max_count\",\"limit_value\":\"100000000\",\"time_window_hours\":\"24\",\"on_exceed\":\"deny\"}" >/dev/null

# Every scenario's request once, so wrk measures what we think it measures.
expect '"outcome":"allow"' "$(api POST /api/v1/check "$agent_key" '{"action_type":"process_refund","customer_ref":"cus_ben","params":{"order_id":"1002","amount":"25.00","order_total":"149.00","reason":"Scuffed on arrival"}}')"
expect '"status":"executed"' "$(api POST /api/v1/actions "$agent_key" '{"action_type":"send_tracking","customer_ref":"cus_ben","params":{"order_id":"1002","channel":"email"}}' smoke-1)"
expect '"status":"denied"' "$(api POST /api/v1/actions "$agent_key" '{"action_type":"process_refund","customer_ref":"cus_emma","params":{"order_id":"1005","amount":"450.00","reason":"Changed mind"}}' smoke-2)"
expect '"status":"pending"' "$(api POST /api/v1/actions "$agent_key" '{"action_type":"cancel_order","customer_ref":"cus_chloe","params":{"order_id":"1003","reason":"Ordered twice"}}' smoke-3)"

export BENCH_AGENT_KEY=$agent_key BENCH_WRK_DIR=$PWD/bench/wrk
declare -A result conns_of
run_wrk() { # name connections script [args...]
  local name=$1 conns=$2 script=$3
  shift 3
  echo
  echo "== $name: wrk -t$threads -c$conns -d${secs}s ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
  conns_of[$name]=$conns
  # --timeout 10s: wrk's default (2 s) would drop the slowest answers from the latency figures.
  wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency -s "bench/wrk/$script" "$base" -- "$@" \
    | tee "$work/$name.txt"
  result[$name]=$(grep '^WRK_RESULT' "$work/$name.txt")
  sleep 2
}
field() { # line key → value
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

# Reference points (shorter): the HTTP stack, one database round trip, authentication alone.
full_secs=$secs
secs=$ref_secs
BENCH_PATH=/healthz run_wrk ref_healthz "$check_conns" get.lua
BENCH_PATH=/readyz run_wrk ref_readyz "$check_conns" get.lua
BENCH_PATH=/api/v1/me BENCH_AUTH=1 run_wrk ref_me "$check_conns" get.lua
# Latency without queueing: one connection.
run_wrk check_1conn 1 check.lua
secs=$full_secs

run_wrk check "$check_conns" check.lua
BENCH_INVOKE=executed run_wrk invoke_executed "$invoke_conns" invoke.lua "exec-$$"
BENCH_INVOKE=pending run_wrk invoke_pending "$invoke_conns" invoke.lua "pend-$$"
secs=$ref_secs BENCH_INVOKE=pending run_wrk invoke_pending_1conn 1 invoke.lua "pend1-$$"

split=""
if command -v sqlite3 >/dev/null; then
  split=$(sqlite3 "$work/mandate.db" "SELECT CASE WHEN idempotency_key LIKE 'exec-%' THEN 'executed mix' \
    WHEN idempotency_key LIKE 'pend1-%' THEN 'pending, 1 connection' ELSE 'pending' END, \
    action_type, status, count(*) FROM actions WHERE idempotency_key LIKE 'exec-%' OR idempotency_key LIKE 'pend%' \
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3" | sed 's/|/ · /g')
fi
log_errors=$(grep -c 'ERROR' "$work/server.log" || true)
log_warnings=$(grep -c 'WARN' "$work/server.log" || true)
echo
echo "== stop the server (its log: $log_errors ERROR lines, $log_warnings WARN lines)"
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=

echo
echo "== raw SQLite inserts: $invoke_conns tasks, ${secs}s ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$raw_insert" "$work/raw.db" "$secs" "$invoke_conns" > "$work/raw.txt"
cat "$work/raw.txt"
raw=$(grep '^RAW_INSERT' "$work/raw.txt")
# Diagnostics (shorter): one writer alone, and the same tasks queueing in the process
# instead of in SQLite's busy handler.
"$raw_insert" "$work/raw-1.db" "$ref_secs" 1 > "$work/raw-1.txt"
"$raw_insert" "$work/raw-queue.db" "$ref_secs" "$invoke_conns" queue > "$work/raw-queue.txt"
cat "$work/raw-1.txt" "$work/raw-queue.txt"
raw_1=$(grep '^RAW_INSERT' "$work/raw-1.txt")
raw_queue=$(grep '^RAW_INSERT' "$work/raw-queue.txt")

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
{
  echo "| scenario | connections | requests | req/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|---|---|"
  for name in ref_healthz ref_readyz ref_me check_1conn check invoke_executed invoke_pending invoke_pending_1conn; do
    r=${result[$name]}
    echo "| $name | ${conns_of[$name]} | $(field "$r" requests) | $(field "$r" rps) | $(ms "$(field "$r" p50_us)") | $(ms "$(field "$r" p99_us)") | $(field "$r" non2xx) |"
  done
  raw_row() { # label line tasks
    echo "| $1 | $3 tasks | $(field "$2" transactions) | $(field "$2" actions_per_s) | $(ms "$(field "$2" p50_us)") | $(ms "$(field "$2" p99_us)") | – |"
  }
  raw_row "raw insert (action + audit row, 1 tx each)" "$raw" "$invoke_conns"
  raw_row "raw insert, one writer (diagnostic)" "$raw_1" 1
  raw_row "raw insert, writers queued in-process (diagnostic)" "$raw_queue" "$invoke_conns"
  echo
  raw_rate=$(field "$raw" actions_per_s)
  for name in invoke_executed invoke_pending; do
    awk -v a="$(field "${result[$name]}" rps)" -v b="$raw_rate" -v n="$name" \
      'BEGIN { printf "%s ÷ raw insert rate = %.0f %%\n", n, 100 * a / b }'
  done
  echo
  echo "Server log during the runs: $log_errors ERROR lines, $log_warnings WARN lines."
  if [ -n "$split" ]; then
    echo
    echo "Actions recorded during the invoke runs (run · action · status · count):"
    echo
    sed 's/^/    /' <<<"$split"
  fi
} | tee "$out/load.md"
