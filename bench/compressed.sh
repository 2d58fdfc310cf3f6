#!/usr/bin/env bash
# Compressed logs (issue 6): breachscope's log phase on gzip and zstd copies of the benchmark's audit log, as
# one file and split into several, against the decompressor's own speed on one core.
#
#   bench/compressed.sh               # needs the plain case bench/run.sh generates (made here if missing)
#   BENCH_FILES=8 bench/compressed.sh # split into 8 files instead of 4
#   bench/compressed.sh prepare       # only make the compressed cases
#
# For every variant (plain, gzip, zstd; one file, BENCH_FILES files) it prints the median of BENCH_RUNS runs of:
# breachscope's `read logs` phase (BREACHSCOPE_TIMINGS=1), the same with one file in flight
# (BREACHSCOPE_FILES_IN_FLIGHT=1, the files one after another), and `gzip -dc`/`zstd -dc` of the files to
# /dev/null one after another on one core (taskset), with the slowest single file: the floor for files
# decompressed in parallel is max(slowest file, sum of files / cores).
#
# Environment: BENCH_CASE (the plain case, default bench/data/c1000000-e10000000-a68000-s2019), BENCH_DATA
# (where the compressed cases are made, default bench/data), BENCH_FILES (4), BENCH_RUNS (3), BENCH_BIN (a
# binary to time instead of building target/release/breachscope), BENCH_VARIANTS (default
# "plain1 plainN gzip1 gzipN zstd1 zstdN").
# Needs: cargo, gzip, zstd, taskset. The compressed cases take about 0.5 GB on disk; the source case is only read.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/lib.sh
data="${BENCH_DATA:-bench/data}"
source_case="${BENCH_CASE:-$data/c1000000-e10000000-a68000-s2019}"
parts="${BENCH_FILES:-4}"
runs="${BENCH_RUNS:-3}"
variants="${BENCH_VARIANTS:-plain1 plainN gzip1 gzipN zstd1 zstdN}"

for tool in gzip zstd taskset; do
  command -v "$tool" > /dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

bin="$(bench_binary)"

if [ ! -f "$source_case/case.toml" ]; then
  echo "== no plain case at $source_case: generating it (as bench/run.sh does)" >&2
  mkdir -p "$(dirname "$source_case")"
  rm -rf "$source_case.tmp"
  "$bin" -q generate --audit-only --customers 1000000 --events 10000000 --affected 68000 --seed 2019 "$source_case.tmp"
  mv "$source_case.tmp" "$source_case"
fi
source_case="$(cd "$source_case" && pwd)"
source_log="$source_case/logs/crm_audit.csv"
name="$(basename "$source_case")"

# make_case DIR: a case reading logs/crm_audit* of DIR, with the source case's tables (linked, not copied)
make_case() {
  local dir="$1"
  mkdir -p "$dir/logs"
  sed 's|^path = "logs/crm_audit.csv"|path = "logs/crm_audit*"|' "$source_case/case.toml" > "$dir/case.toml"
  grep -q '^path = "logs/crm_audit\*"' "$dir/case.toml" || { echo "bench: $source_case/case.toml has no logs/crm_audit.csv log" >&2; exit 1; }
  ln -sf "$source_case/customers.csv" "$dir/customers.csv"
  ln -sf "$source_case/tickets.csv" "$dir/tickets.csv"
}

# compress KIND < in > out
compress() {
  case "$1" in
    plain) cat ;;
    gzip) nice -n 19 gzip -6 ;;
    zstd) nice -n 19 zstd -q -3 ;;
  esac
}

suffix() {
  case "$1" in plain) echo "" ;; gzip) echo ".gz" ;; zstd) echo ".zst" ;; esac
}

# prepare VARIANT: makes the variant's case once; prints its folder
prepare() {
  local variant="$1" kind="${1%?}" count="${1: -1}"
  [ "$count" = N ] && count="$parts"
  local dir="$data/$name-$kind$count"
  if [ ! -f "$dir/.complete" ]; then
    echo "== making $dir" >&2
    rm -rf "$dir"
    make_case "$dir"
    if [ "$count" = 1 ] && [ "$kind" = plain ]; then
      ln -s "$source_log" "$dir/logs/crm_audit.csv"
    elif [ "$count" = 1 ]; then
      compress "$kind" < "$source_log" > "$dir/logs/crm_audit.csv$(suffix "$kind")"
    else
      # Split at line ends into $count files of about equal size, each with the header.
      local body="$dir/logs/body"
      local lines
      lines=$(($(wc -l < "$source_log") - 1))
      tail -n +2 "$source_log" | split -l $(((lines + count - 1) / count)) -d -a 2 - "$body."
      for part in "$body".*; do
        local i="${part##*.}"
        { head -n 1 "$source_log"; cat "$part"; } | compress "$kind" > "$dir/logs/crm_audit-$i.csv$(suffix "$kind")"
        rm "$part"
      done
    fi
    touch "$dir/.complete"
  fi
  (cd "$dir" && pwd)
}

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# log_phase CASE [ENV...]: seconds of breachscope's `read logs` phase in one analyze run
log_phase() {
  local case_dir="$1"; shift
  env BREACHSCOPE_TIMINGS=1 "$@" "$bin" -q analyze "$case_dir/case.toml" --force \
    --out "$out/a.csv" --report "$out/r.json" --rejects "$out/rej.csv" --people "$out/p.csv" \
    --jurisdictions "$out/j.csv" --manifest "$out/m.json" 2> "$out/stderr" > /dev/null
  awk '/^timing: read logs/ {print $4}' "$out/stderr"
}

# decompress_times KIND CASE: "sum slowest" seconds of decompressing each log file alone on one core
decompress_times() {
  local kind="$1" case_dir="$2" sum=0 slowest=0
  for file in "$case_dir"/logs/crm_audit*; do
    local start end t
    start=$(date +%s.%N)
    case "$kind" in
      plain) taskset -c 0 cat "$file" > /dev/null ;;
      gzip) taskset -c 0 gzip -dc "$file" > /dev/null ;;
      zstd) taskset -c 0 zstd -q -dc "$file" > /dev/null ;;
    esac
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    sum=$(echo "$sum + $t" | bc -l)
    slowest=$(echo "if ($t > $slowest) $t else $slowest" | bc -l)
  done
  echo "$sum $slowest"
}

if [ "${1:-}" = prepare ]; then
  for variant in $variants; do prepare "$variant"; done
  exit 0
fi

cores=$(nproc)
printf '%-8s %5s %9s %11s %14s %14s %14s %12s\n' variant files "MiB" "log phase" "1 in flight" "decompress" "slowest file" "floor"
for variant in $variants; do
  dir="$(prepare "$variant")"
  kind="${variant%?}"
  files=$(ls "$dir"/logs/crm_audit* | wc -l)
  mb=$(du -L -c -m "$dir"/logs/crm_audit* | tail -1 | cut -f1)
  : > "$out/par"; : > "$out/ser"; : > "$out/dec"; : > "$out/slow"
  for i in $(seq "$runs"); do
    echo "== $variant run $i of $runs" >&2
    log_phase "$dir" >> "$out/par"
    log_phase "$dir" BREACHSCOPE_FILES_IN_FLIGHT=1 >> "$out/ser"
    read -r sum slowest <<< "$(decompress_times "$kind" "$dir")"
    echo "$sum" >> "$out/dec"
    echo "$slowest" >> "$out/slow"
  done
  par=$(median < "$out/par"); ser=$(median < "$out/ser"); dec=$(median < "$out/dec"); slow=$(median < "$out/slow")
  floor=$(echo "s = $dec / $cores; if ($slow > s) $slow else s" | bc -l)
  printf '%-8s %5d %9d %10.2fs %13.2fs %13.2fs %13.2fs %11.2fs\n' "$variant" "$files" "$mb" "$par" "$ser" "$dec" "$slow" "$floor"
done
echo "log phase: breachscope analyze's 'read logs' time (all files, up to $cores in flight); 1 in flight: BREACHSCOPE_FILES_IN_FLIGHT=1;"
echo "decompress: gzip -dc / zstd -dc (cat for plain) of every file one after another on one core; floor: max(slowest file, decompress / $cores cores)."
echo "machine: $cores cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $runs runs each, medians; source: $source_log"
