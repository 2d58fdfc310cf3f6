#!/usr/bin/env bash
# The benchmark's case as CSV and as Parquet (issue 21): `breachscope analyze` on the same tables and audit log
# written both ways, timed and measured one after the other, and the two lists compared.
#
#   bench/parquet.sh                      # 1M customers, ~1.5M tickets, 10M audit events
#   BENCH_EVENTS=1000000 bench/parquet.sh # a smaller run
#
# Environment: as bench/run.sh (BENCH_DATA, BENCH_CUSTOMERS, BENCH_EVENTS, BENCH_AFFECTED, BENCH_SEED, BENCH_RUNS,
# BENCH_BIN). The case is generated with `generate --audit-only --parquet` (the CSVs, their Parquet copies in row
# groups of 262,144 rows, and case_parquet.toml) under $BENCH_DATA.
# Needs: cargo, /usr/bin/time.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
data="${BENCH_DATA:-bench/data}"
customers="${BENCH_CUSTOMERS:-1000000}"
events="${BENCH_EVENTS:-10000000}"
affected="${BENCH_AFFECTED:-68000}"
seed="${BENCH_SEED:-2019}"
runs="${BENCH_RUNS:-3}"

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
bin="$(bench_binary)"

case_dir="$data/c$customers-e$events-a$affected-s$seed-parquet"
if [ ! -f "$case_dir/case_parquet.toml" ]; then
  echo "== generating $case_dir (CSV and Parquet)" >&2
  mkdir -p "$data"
  rm -rf "$case_dir.tmp"
  /usr/bin/time -f "generated in %e s" "$bin" -q generate --audit-only --parquet --customers "$customers" --events "$events" \
    --affected "$affected" --seed "$seed" "$case_dir.tmp"
  mv "$case_dir.tmp" "$case_dir"
fi
case_dir="$(cd "$case_dir" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT


for i in $(seq "$runs"); do
  echo "== run $i of $runs" >&2
  for kind in csv parquet; do
    case_file="$case_dir/case.toml"
    [ "$kind" = parquet ] && case_file="$case_dir/case_parquet.toml"
    measure_analyze "$kind" "$bin" "$case_file"
  done
done

echo
echo "case: $case_dir ($customers customers, $events other events, $affected affected)"
for f in customers tickets logs/crm_audit; do
  printf '  %-16s CSV %6s   Parquet %6s\n' "$f" "$(du -h "$case_dir/$f.csv" | cut -f1)" "$(du -h "$case_dir/$f.parquet" | cut -f1)"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $runs runs each, medians"
printf '%-10s %10s %14s\n' input "wall (s)" "peak RSS (MB)"
for kind in csv parquet; do
  wall=$(awk '{print $1}' "$out/$kind.times" | median)
  rss=$(awk '{print $2}' "$out/$kind.times" | median)
  printf '%-10s %10.2f %14.0f\n' "$kind" "$wall" "$(echo "$rss / 1024" | bc -l)"
done

# Both must list the same customers with the same classes and fields (the sources column names the file).
cut -d, -f1-10 "$out/csv.csv" > "$out/csv.cut"
cut -d, -f1-10 "$out/parquet.csv" > "$out/parquet.cut"
if cmp -s "$out/csv.cut" "$out/parquet.cut"; then
  echo "same list: $(($(wc -l < "$out/csv.csv") - 1)) customers"
else
  echo "DIFFERENT lists from CSV and Parquet" >&2
  diff "$out/csv.cut" "$out/parquet.cut" | head >&2
  exit 1
fi
