#!/usr/bin/env bash
# The benchmark on another layout of the same job (issue 20): the 10M-event case's log rewritten with other
# column names, another time shape (PostgreSQL csvlog's `2019-07-13 08:15:38.000 UTC` instead of
# `2019-07-13T08:15:38Z`) and no status column, and the case and the reference query without the window and
# status filters (bench/duckdb_query.py's `other` layout): breachscope vs DuckDB, interleaved pairs, medians and
# the median of the per-pair ratios; exits non-zero when the two lists name different customers.
#
#   bench/layouts.sh                  # on bench/data/c1000000-e10000000-a68000-s2019 (made by bench/run.sh)
#
# Environment: BENCH_DATA (default bench/data), BENCH_CASE (the source case), BENCH_RUNS (5), BENCH_BIN (a
# binary to time instead of building one). Needs: python3 (a venv with DuckDB from PyPI is made under
# bench/.venv), awk, /usr/bin/time.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
data="${BENCH_DATA:-bench/data}"
source_case="${BENCH_CASE:-$data/c1000000-e10000000-a68000-s2019}"
runs="${BENCH_RUNS:-5}"

[ -f "$source_case/case.toml" ] || { echo "bench: no case at $source_case (run bench/run.sh first)" >&2; exit 1; }
bin="$(bench_binary)"
py="$(duckdb_python)"
source_case="$(cd "$source_case" && pwd)"
dir="$data/$(basename "$source_case")-layout2"

if [ ! -f "$dir/.complete" ]; then
  echo "== making $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/logs"
  ln -s "$source_case/customers.csv" "$dir/customers.csv"
  ln -s "$source_case/tickets.csv" "$dir/tickets.csv"
  # A record's last line (where no quoted field is left open) ends with its status cell (no cell holds a
  # comma). Records start with their time; the other lines of a quoted field do not.
  awk 'NR == 1 { print "ts,actor_login,action,object_type,object_id,columns"; next }
       { open = (open + gsub(/"/, "\"")) % 2; if (!open) sub(/,[^,]*$/, "") }
       /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z,/ {
         print substr($0, 1, 10) " " substr($0, 12, 8) ".000 UTC" substr($0, 21); next }
       { print }' "$source_case/logs/crm_audit.csv" > "$dir/logs/audit_export.csv"
  # The source case, its log's columns renamed, without its window and status column.
  sed -e '0,/^name = /s|^name = .*|name = "Support database insider (another export layout, no window)"|' \
      -e '/^since = /d' -e '/^until = /d' -e '/^status = /d' \
      -e 's|^path = "logs/crm_audit.csv"|path = "logs/audit_export.csv"|' \
      -e 's|^time = "event_time"|time = "ts"|' -e 's|^actor = "user_name"|actor = "actor_login"|' -e 's|^action = "event_type"|action = "action"|' \
      -e 's|^table = "entity"|table = "object_type"|' -e 's|^record = "entity_id"|record = "object_id"|' \
      -e 's|^fields = "fields_viewed"|fields = "columns"|' "$source_case/case.toml" > "$dir/case.toml"
  for field in 'name = "full_name"' 'action = "action"' 'time = "ts"' 'actor = "actor_login"' 'table = "object_type"' 'record = "object_id"' 'fields = "columns"' 'path = "logs/audit_export.csv"'; do
    grep -qF "$field" "$dir/case.toml" || { echo "bench: $source_case/case.toml is not the benchmark's case ($field)" >&2; exit 1; }
  done
  touch "$dir/.complete"
fi
dir="$(cd "$dir" && pwd)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for i in $(seq "$runs"); do
  echo "== run $i of $runs" >&2
  measure_analyze breachscope "$bin" "$dir/case.toml"
  measure duckdb "$py" bench/duckdb_query.py "$dir" "$out/duckdb.csv" other
done

echo
echo "case: $dir (other column names, times as \`2019-07-13 08:15:38.000 UTC\`, no window or status filter)"
printf '%-12s %8s %10s\n' tool "wall s" "peak MB"
for name in breachscope duckdb; do
  printf '%-12s %8s %10s\n' "$name" "$(awk '{print $1}' "$out/$name.times" | median)" \
    "$(awk '{print $2}' "$out/$name.times" | median | awk '{printf "%.0f", $1/1024}')"
done
echo "breachscope / duckdb: time $(ratio_of breachscope duckdb 1)x, memory $(ratio_of breachscope duckdb 2)x (medians of per-run ratios)"
same_customers
