#!/usr/bin/env bash
# Scale-out (issue 19): the benchmark case's CSV audit log split into N files, analysed three ways:
#
#   1. plain      `breachscope analyze` (all cores, files read several at a time);
#   2. parts      `breachscope scan` of each file in its own process (BENCH_JOBS at a time), then
#                 `breachscope analyze --parts` (the merge and the later stages);
#   3. spark      spark/breachscope_spark.py with PySpark in local[2] (tasks stream the files through pyarrow.fs
#                 into `scan --stdin`; then analyze --parts on the driver).
#
# It checks that the three runs list the same customers (notification list, people, actions byte for byte) and
# prints wall seconds, the scan phase's CPU seconds (user + system of every scan process) and the scan's
# cost per GB of log (CPU seconds), the figure the estimate for a cluster is made from.
#
#   bench/spark.sh                     # 1M events, 20 files
#   BENCH_EVENTS=10000000 bench/spark.sh   # the 10M-event benchmark case (needs a quiet machine)
#
# Environment: BENCH_EVENTS (1000000), BENCH_CUSTOMERS (BENCH_EVENTS / 10), BENCH_AFFECTED (68000 for 10M,
# scaled down with the events), BENCH_FILES (20), BENCH_JOBS (parallel scan processes, default: cores),
# BENCH_DATA (bench/data), BENCH_BIN (a binary instead of building target/release/breachscope),
# BENCH_PYTHON (a Python with pyspark and pyarrow, default python3; "none" skips the Spark run).
# Needs: cargo (unless BENCH_BIN), python3, /usr/bin/time; Java 17 for Spark.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
events="${BENCH_EVENTS:-1000000}"
customers="${BENCH_CUSTOMERS:-$((events / 10))}"
affected="${BENCH_AFFECTED:-$((events * 68 / 10000))}"
files="${BENCH_FILES:-20}"
jobs="${BENCH_JOBS:-$(nproc)}"
data="${BENCH_DATA:-bench/data}"
python="${BENCH_PYTHON:-python3}"

bin="$(bench_binary)"

source_case="$data/c$customers-e$events-a$affected-s2019"
if [ ! -f "$source_case/case.toml" ]; then
  echo "== generating $source_case" >&2
  mkdir -p "$data"
  rm -rf "$source_case.tmp"
  "$bin" -q generate --audit-only --customers "$customers" --events "$events" --affected "$affected" --seed 2019 "$source_case.tmp"
  mv "$source_case.tmp" "$source_case"
fi
source_case="$(cd "$source_case" && pwd)"
split_case="$data/$(basename "$source_case")-split$files"
if [ ! -f "$split_case/.complete" ]; then
  echo "== splitting the log into $files files: $split_case" >&2
  rm -rf "$split_case"
  mkdir -p "$split_case/logs"
  sed 's|^path = "logs/crm_audit.csv"|path = "logs/crm_audit-*.csv"|' "$source_case/case.toml" > "$split_case/case.toml"
  grep -q '^path = "logs/crm_audit-\*.csv"' "$split_case/case.toml" || { echo "bench: $source_case/case.toml has no logs/crm_audit.csv log" >&2; exit 1; }
  cp "$source_case/customers.csv" "$source_case/tickets.csv" "$split_case/"
  log="$source_case/logs/crm_audit.csv"
  lines=$(($(wc -l < "$log") - 1))
  tail -n +2 "$log" | split -l $(((lines + files - 1) / files)) -d -a 3 - "$split_case/logs/body."
  for part in "$split_case"/logs/body.*; do
    { head -n 1 "$log"; cat "$part"; } > "$split_case/logs/crm_audit-${part##*.}.csv"
    rm "$part"
  done
  touch "$split_case/.complete"
fi
split_case="$(cd "$split_case" && pwd)"
bytes=$(cat "$split_case"/logs/crm_audit-*.csv | wc -c)
count=$(ls "$split_case"/logs/crm_audit-*.csv | wc -l)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
outputs() { # DIR: analyze's output flags into DIR
  echo --out "$1/affected_customers.csv" --report "$1/report.json" --rejects "$1/rejects.csv" --people "$1/affected_people.csv" \
    --jurisdictions "$1/jurisdictions.csv" --actions "$1/actions.csv" --manifest "$1/manifest.json"
}
# clock CMD...: runs CMD, prints "wall user+sys" seconds (of CMD and every process it started).
clock() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > /dev/null
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$work/time"
}

echo "== case: $split_case ($count files, $bytes bytes, $events events), $jobs scan processes at a time" >&2
mkdir -p "$work/plain" "$work/parts" "$work/merged" "$work/spark"
read -r plain_wall plain_cpu < <(clock "$bin" -q analyze "$split_case/case.toml" $(outputs "$work/plain"))
# Each file in its own scan process, BENCH_JOBS at a time (as Spark would run them on one machine).
ls "$split_case"/logs/crm_audit-*.csv | sed "s|^$split_case/||" > "$work/files"
read -r scan_wall scan_cpu < <(clock bash -c "xargs -P '$jobs' -I{} '$bin' -q scan '$split_case/case.toml' --files {} --out '$work/parts' < '$work/files'")
read -r merge_wall merge_cpu < <(clock "$bin" -q analyze "$split_case/case.toml" --parts "$work/parts" $(outputs "$work/merged"))
for f in affected_customers.csv affected_people.csv actions.csv rejects.csv report.json; do
  [ "$f" = report.json ] && continue
  cmp -s "$work/plain/$f" "$work/merged/$f" || { echo "bench: $f differs between the plain run and the parts" >&2; exit 1; }
done
spark_wall="-"
if [ "$python" != none ] && "$python" -c "import pyspark, pyarrow" 2> /dev/null && command -v java > /dev/null; then
  read -r spark_wall _ < <(clock "$python" spark/breachscope_spark.py "$split_case/case.toml" --out "$work/spark" --master "local[2]" --binary "$bin" -- --quiet)
  for f in affected_customers.csv affected_people.csv actions.csv rejects.csv; do
    cmp -s "$work/plain/$f" "$work/spark/$f" || { echo "bench: $f differs between the plain run and Spark" >&2; exit 1; }
  done
else
  echo "== no Spark run: $python has no pyspark/pyarrow, or java is missing" >&2
fi
parts_bytes=$(du -sb "$work/parts" | cut -f1)
customers_listed=$(($(wc -l < "$work/plain/affected_customers.csv") - 1))

gb=$(echo "$bytes / 1000000000" | bc -l)
printf '\nbreachscope scale-out benchmark: %s events in %s files, %.1f MB of CSV, %s cores, %s customers listed (same in every run)\n' \
  "$events" "$count" "$(echo "$bytes / 1000000" | bc -l)" "$(nproc)" "$customers_listed"
printf '%-44s %10s %12s\n' "run" "wall s" "CPU s"
printf '%-44s %10s %12s\n' "plain analyze" "$plain_wall" "$plain_cpu"
printf '%-44s %10s %12s\n' "scan, one process per file ($jobs at a time)" "$scan_wall" "$scan_cpu"
printf '%-44s %10s %12s\n' "analyze --parts (merge + later stages)" "$merge_wall" "$merge_cpu"
printf '%-44s %10s %12s\n' "Spark local[2] (scan tasks + analyze)" "$spark_wall" "-"
printf 'scan cost: %.1f CPU s per GB of log; parts: %.1f MB (%.2f%% of the log)\n' \
  "$(echo "$scan_cpu / $gb" | bc -l)" "$(echo "$parts_bytes / 1000000" | bc -l)" "$(echo "100 * $parts_bytes / $bytes" | bc -l)"
