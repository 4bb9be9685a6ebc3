#!/usr/bin/env bash
# `make bench`: everything in bench/RESULTS.md in one run — the machine, criterion (decide vs
# Cedar), the load runs and the raw SQLite insert rate. Not part of `make test`: benchmarks
# measure, they never pass or fail on a number.
#
# Results: printed, and written to target/bench/ (machine.md, criterion.md, load.md).

set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-target}
export BENCH_OUT=${BENCH_OUT:-$target/bench}
mkdir -p "$BENCH_OUT"

{
  echo "| | |"
  echo "|---|---|"
  # What is measured is app/, server/ and migration/: say whether they differ from the commit.
  changed=$(git status --porcelain -- app server migration 2>/dev/null | wc -l)
  echo "| commit | $(git rev-parse --short HEAD 2>/dev/null || echo -)$([ "$changed" = 0 ] || echo " + uncommitted changes in $changed files of app/, server/, migration/") |"
  echo "| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores |"
  echo "| memory | $(free -h | awk '/^Mem:/ {print $2}') |"
  echo "| OS | $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r) |"
  echo "| rustc | $(rustc --version) |"
  echo "| wrk | $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2) |"
  echo "| load average before | $(cut -d' ' -f1-3 /proc/loadavg) |"
} | tee "$BENCH_OUT/machine.md"

echo
echo "== build (release)"
# Separate invocations, as everywhere in this workspace; none of them touches `frontend`.
$CARGO build -p server --release
$CARGO build -p mandate-bench --release --bins

echo
echo "== criterion: decide vs cedar-policy"
$CARGO bench -p mandate-bench --bench decide
"$target/release/criterion_summary" "$target/criterion" | tee "$BENCH_OUT/criterion.md"

echo
echo "== load"
bench/load.sh
