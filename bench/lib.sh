# Shared by the benchmark scripts (sourced, not run): timing one command and taking medians.

# measure NAME CMD...: runs CMD (stdout to $out/NAME.stdout) and appends "seconds peak_kb" to $out/NAME.times
measure() {
  local name="$1"; shift
  /usr/bin/time -v -o "$out/$name.time" "$@" > "$out/$name.stdout"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/$name.time")
  echo "$wall $rss" >> "$out/$name.times"
}

# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# bench_binary: the breachscope binary to time, as an absolute path: $BENCH_BIN (e.g. another version), else
# a release build made now (in $CARGO_TARGET_DIR when set). Needs $root, the repository.
bench_binary() {
  if [ -n "${BENCH_BIN:-}" ]; then
    echo "$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
  else
    echo "== building release" >&2
    cargo build --release --quiet >&2
    echo "${CARGO_TARGET_DIR:-$root/target}/release/breachscope"
  fi
}

# measure_analyze NAME BIN CASE_TOML: measure (NAME) of BIN's analyze of the case with every output on, written
# as $out/NAME.csv (the list), $out/NAME-people.csv, -jurisdictions.csv, -actions.csv, -rejects.csv,
# -report.json and -manifest.json.
measure_analyze() {
  local name="$1" binary="$2" case_toml="$3"
  measure "$name" "$binary" -q analyze "$case_toml" --force \
    --out "$out/$name.csv" --report "$out/$name-report.json" --rejects "$out/$name-rejects.csv" \
    --people "$out/$name-people.csv" --jurisdictions "$out/$name-jurisdictions.csv" \
    --actions "$out/$name-actions.csv" --manifest "$out/$name-manifest.json"
}

# ratio_of A B COLUMN: the median over the interleaved runs of A's figure / B's figure (column 1: wall time,
# 2: peak memory) in $out/A.times and $out/B.times.
ratio_of() { paste -d' ' "$out/$1.times" "$out/$2.times" | awk -v c="$3" '{n=split($0,f," "); print f[c]/f[c+2]}' | median; }

# duckdb_python: the python of bench/.venv, made with DuckDB from PyPI when missing. Needs $root.
duckdb_python() {
  if [ ! -x "$root/bench/.venv/bin/python" ]; then
    echo "== making bench/.venv with DuckDB" >&2
    python3 -m venv "$root/bench/.venv"
    "$root/bench/.venv/bin/pip" install --quiet duckdb
  fi
  echo "$root/bench/.venv/bin/python"
}

# same_customers: whether $out/breachscope.csv and $out/duckdb.csv list the same customer ids (first column);
# says so, or says how they differ and fails.
same_customers() {
  tail -n +2 "$out/breachscope.csv" | cut -d, -f1 | sort > "$out/ids.breachscope"
  tail -n +2 "$out/duckdb.csv" | cut -d, -f1 | sort > "$out/ids.duckdb"
  if cmp -s "$out/ids.breachscope" "$out/ids.duckdb"; then
    echo "same customers: $(wc -l < "$out/ids.breachscope") ids"
  else
    echo "DIFFERENT customers: breachscope $(wc -l < "$out/ids.breachscope"), DuckDB $(wc -l < "$out/ids.duckdb")" >&2
    return 1
  fi
}
