#!/usr/bin/env bash
# The benchmark on another layout of the same job (issue 20): the 10M-event case's log rewritten with other
# column names, another time shape (PostgreSQL csvlog's `2019-07-13 08:15:38.000 UTC` instead of
# `2019-07-13T08:15:38Z`) and no status column, and the case and the reference query without the window and
# status filters: breachscope vs DuckDB, interleaved pairs, medians and the median of the per-pair ratios;
# exits non-zero when the two lists differ in length.
#
#   bench/layouts.sh                  # on bench/data/c1000000-e10000000-a68000-s2019 (made by bench/run.sh)
#
# Environment: BENCH_DATA (default bench/data), BENCH_CASE (the source case), BENCH_RUNS (5), BENCH_BIN (a
# binary to time instead of building one). Needs: python3 with bench/.venv (bench/run.sh makes it), awk,
# /usr/bin/time.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
data="${BENCH_DATA:-bench/data}"
source_case="${BENCH_CASE:-$data/c1000000-e10000000-a68000-s2019}"
runs="${BENCH_RUNS:-5}"

[ -f "$source_case/case.toml" ] || { echo "bench: no case at $source_case (run bench/run.sh first)" >&2; exit 1; }
[ -x bench/.venv/bin/python ] || { echo "bench: no bench/.venv (run bench/run.sh first)" >&2; exit 1; }
bin="$(bench_binary)"
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
  cat > "$dir/case.toml" <<'TOML'
[case]
name = "Support database insider (another export layout, no window)"
actors = ["k.walsh"]
discovered = "2019-10-28"

[customers]
path = "customers.csv"
key = "customer_id"

[customers.columns]
name = "full_name"
email = "email"
phone = "phone"
country = "country"
region = "state"
segment = "account_type"

[[tables]]
name = "tickets"
path = "tickets.csv"
key = "ticket_number"
customer = "customer_id"

[[logs]]
path = "logs/audit_export.csv"
format = "csv"

[logs.map]
time = "ts"
actor = "actor_login"
action = "action"
table = "object_type"
record = "object_id"
fields = "columns"

[logs.tables]
Customer = "customers"
Ticket = "tickets"
TOML
  touch "$dir/.complete"
fi
dir="$(cd "$dir" && pwd)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cat > "$out/query.py" <<'PY'
import sys
import duckdb
case, out = sys.argv[1], sys.argv[2]
SQL = f"""
COPY (
  WITH ev AS (
    SELECT strptime(ts, '%Y-%m-%d %H:%M:%S.%g UTC') AS t, object_type AS entity, object_id AS entity_id, columns AS fields_viewed
    FROM read_csv('{case}/logs/audit_export.csv', header = true, all_varchar = true)
    WHERE actor_login = 'k.walsh'
  ),
  keyed AS (
    SELECT ev.t, ev.entity, ev.fields_viewed,
           CASE WHEN ev.entity = 'Customer' THEN ev.entity_id ELSE tk.customer_id END AS customer_id
    FROM ev LEFT JOIN read_csv('{case}/tickets.csv', header = true, all_varchar = true) tk
      ON ev.entity = 'Ticket' AND tk.ticket_number = ev.entity_id
  )
  SELECT c.customer_id, c.full_name, c.email, c.phone, c.country, c.state, c.account_type,
         strftime(min(k.t), '%Y-%m-%dT%H:%M:%SZ') AS first_access,
         strftime(max(k.t), '%Y-%m-%dT%H:%M:%SZ') AS last_access,
         count(*) AS access_count,
         string_agg(DISTINCT k.entity || ':' || replace(k.fields_viewed, chr(10), ''), ';') AS fields
  FROM keyed k
  JOIN read_csv('{case}/customers.csv', header = true, all_varchar = true) c ON c.customer_id = k.customer_id
  GROUP BY ALL
  ORDER BY c.customer_id
) TO '{out}' (HEADER, DELIMITER ',');
"""
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute(SQL)
PY

for i in $(seq "$runs"); do
  echo "== run $i of $runs" >&2
  measure breachscope "$bin" -q analyze "$dir/case.toml" --force \
    --out "$out/breachscope.csv" --report "$out/report.json" --rejects "$out/rejects.csv" \
    --people "$out/people.csv" --jurisdictions "$out/jurisdictions.csv" --actions "$out/actions.csv" \
    --manifest "$out/manifest.json"
  measure duckdb bench/.venv/bin/python "$out/query.py" "$dir" "$out/duckdb.csv"
done

ratio_of() { paste -d' ' "$out/$1.times" "$out/$2.times" | awk -v c="$3" '{n=split($0,f," "); print f[c]/f[c+2]}' | median; }
ours=$(($(wc -l < "$out/breachscope.csv") - 1))
theirs=$(($(wc -l < "$out/duckdb.csv") - 1))
echo
echo "case: $dir (other column names, times as \`2019-07-13 08:15:38.000 UTC\`, no window or status filter)"
printf '%-12s %8s %10s\n' tool "wall s" "peak MB"
for name in breachscope duckdb; do
  printf '%-12s %8s %10s\n' "$name" "$(awk '{print $1}' "$out/$name.times" | median)" \
    "$(awk '{print $2}' "$out/$name.times" | median | awk '{printf "%.0f", $1/1024}')"
done
echo "breachscope / duckdb: time $(ratio_of breachscope duckdb 1)x, memory $(ratio_of breachscope duckdb 2)x (medians of per-run ratios)"
echo "customers listed: breachscope $ours, duckdb $theirs"
if [ "$ours" != "$theirs" ]; then
  echo "bench: the two lists differ in length" >&2
  exit 1
fi
