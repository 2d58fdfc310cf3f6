#!/usr/bin/env bash
# The speed and memory benchmark (issue 6): breachscope analyze vs the equivalent DuckDB query vs grep -F -c.
#
#   bench/run.sh                      # 1M customers, ~1.5M tickets, 10M audit events (~0.9 GB CSV)
#   BENCH_EVENTS=1000000 bench/run.sh # a smaller run
#
# Environment: BENCH_DATA (cache folder for generated cases, default bench/data), BENCH_CUSTOMERS (1000000),
# BENCH_EVENTS (10000000), BENCH_AFFECTED (68000), BENCH_SEED (2019), BENCH_RUNS (5 interleaved runs), BENCH_BIN
# (a binary to time instead of building target/release/breachscope), BENCH_BASELINE (another breachscope binary
# timed in the same runs: prints the A/B ratio and exits non-zero when its outputs differ).
# Needs: cargo, python3 (a venv with DuckDB from PyPI is made under bench/.venv), /usr/bin/time.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
data="${BENCH_DATA:-bench/data}"
customers="${BENCH_CUSTOMERS:-1000000}"
events="${BENCH_EVENTS:-10000000}"
affected="${BENCH_AFFECTED:-68000}"
seed="${BENCH_SEED:-2019}"
runs="${BENCH_RUNS:-5}"

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

bin="$(bench_binary)"

py="$(duckdb_python)"

case_dir="$data/c$customers-e$events-a$affected-s$seed"
if [ ! -f "$case_dir/case.toml" ]; then
  echo "== generating $case_dir" >&2
  mkdir -p "$data"
  rm -rf "$case_dir.tmp"
  "$bin" -q generate --audit-only --customers "$customers" --events "$events" --affected "$affected" --seed "$seed" "$case_dir.tmp"
  mv "$case_dir.tmp" "$case_dir"
fi
case_dir="$(cd "$case_dir" && pwd)"
log="$case_dir/logs/crm_audit.csv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT


# Interleaved pairs (issue 20): breachscope then DuckDB in each run, so a slow spell of the machine falls on
# both; the ratio is taken per pair and its median printed. BENCH_BASELINE (another breachscope binary) is timed
# in the same pairs, for A/B comparisons of a change.
for i in $(seq "$runs"); do
  echo "== run $i of $runs" >&2
  measure_analyze breachscope "$bin" "$case_dir/case.toml"
  measure duckdb "$py" bench/duckdb_query.py "$case_dir" "$out/duckdb.csv"
  if [ -n "${BENCH_BASELINE:-}" ]; then
    measure_analyze baseline "$BENCH_BASELINE" "$case_dir/case.toml"
  fi
  measure grep grep -F -c k.walsh "$log"
done

tools="breachscope duckdb grep"
[ -n "${BENCH_BASELINE:-}" ] && tools="breachscope baseline duckdb grep"
declare -A wall rss
for name in $tools; do
  wall[$name]=$(awk '{print $1}' "$out/$name.times" | median)
  rss[$name]=$(awk '{print $2}' "$out/$name.times" | median)
done

echo
echo "case: $case_dir ($(du -h "$log" | cut -f1) audit log, $customers customers, $events other events, $affected affected)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $runs interleaved runs each, medians"
printf '%-12s %10s %14s\n' tool "wall (s)" "peak RSS (MB)"
for name in $tools; do
  printf '%-12s %10.2f %14.0f\n' "$name" "${wall[$name]}" "$(echo "${rss[$name]} / 1024" | bc -l)"
done
printf 'breachscope / DuckDB (median of the per-run ratios): wall %.2f, memory %.2f\n' "$(ratio_of breachscope duckdb 1)" "$(ratio_of breachscope duckdb 2)"
printf 'per run, wall ratio:%s\n' "$(paste -d' ' "$out/breachscope.times" "$out/duckdb.times" | awk '{printf " %.2f", $1/$3}')"
if [ -n "${BENCH_BASELINE:-}" ]; then
  printf 'breachscope / baseline (median of the per-run ratios): wall %.3f, memory %.3f\n' "$(ratio_of breachscope baseline 1)" "$(ratio_of breachscope baseline 2)"
  # A change must not change a byte of the outputs (report.json apart from paths and times).
  for f in .csv -people.csv -jurisdictions.csv -rejects.csv -actions.csv; do
    if ! cmp -s "$out/breachscope$f" "$out/baseline$f"; then
      echo "OUTPUTS DIFFER from the baseline's: breachscope$f" >&2
      exit 1
    fi
  done
  echo "outputs identical to the baseline's"
fi

# Both must name the same customers.
same_customers
