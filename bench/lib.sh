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
