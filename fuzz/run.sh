#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and says where any crash is.
#
#   fuzz/run.sh                 # each target FUZZ_SECONDS (default 60) seconds
#   FUZZ_SECONDS=600 fuzz/run.sh sql logs
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Builds with `--dev` (opt-level 1,
# see fuzz/Cargo.toml) and without a sanitizer: breachscope is safe Rust, the targets look for panics,
# overflows (debug assertions are on), hangs and runaway memory. The corpus of each target starts from the
# project's fixtures (testdata/) and grows in fuzz/corpus/<target>/; crashes land in
# fuzz/artifacts/<target>/. Exit status: 0 when no target crashed, 1 otherwise.
set -u
cd "$(dirname "$0")"
root=$(cd .. && pwd)
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(logs case_file sql)
fi

# Seeds: the fixtures, prefixed as each target reads its input.
seed() {
    local target=$1 dir=corpus/$1
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
    case $target in
    logs)
        # Byte 0: the format (index into Format::ALL: combined pgaudit csv jsonl mysql-audit mongodb-audit
        # cloudtrail salesforce zendesk; 9 = detect), byte 1: encoding/zone flags.
        local i=0 f
        for f in "$root"/testdata/logs/* "$root"/testdata/cases/*/logs/* "$root"/testdata/malformed/*.log "$root"/testdata/malformed/*.csv; do
            [ -f "$f" ] || continue
            case $f in *.gz|*.zst) continue ;; esac
            [ "$(stat -c %s "$f")" -gt 200000 ] && continue
            printf '\x09\x00' | cat - "$f" > "$dir/seed-$i"
            i=$((i + 1))
        done
        ;;
    case_file)
        local i=0 f
        for f in "$root"/testdata/cases/*/case.toml "$root"/testdata/cases/*/*/case.toml "$root"/testdata/malformed/*/case.toml; do
            [ -f "$f" ] && cp "$f" "$dir/seed-$i" && i=$((i + 1))
        done
        ;;
    sql)
        local i=0 line
        while IFS= read -r line; do
            printf '%s' "$line" > "$dir/seed-$i"
            i=$((i + 1))
        done <<'SQL'
SELECT full_name, email FROM customers WHERE customer_id = 'C1'
select * from customers where customer_id in ('C1', '007') or email = 'x@example.com'
SELECT t.subject, c.email FROM tickets t JOIN customers c ON c.customer_id = t.customer_id WHERE t.ticket_number = $1
SELECT count(*) FROM customers GROUP BY state
SELECT email FROM customers WHERE state = 'VT' AND NOT (card_number IS NULL) ORDER BY customer_id LIMIT 5
COPY customers TO STDOUT
SELECT min(email), string_agg(full_name, ',') FROM customers WHERE full_name LIKE 'A%' OR phone BETWEEN 1 AND 9
WITH x AS (SELECT * FROM customers) SELECT * FROM x WHERE customer_id = (SELECT max(customer_id) FROM customers)
SQL
        ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    seed "$target"
    mkdir -p "artifacts/$target"
    before=$(ls "artifacts/$target" | wc -l)
    echo "== $target: fuzzing for ${seconds}s"
    cargo +nightly fuzz run --dev -s none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        2>&1 | tee "artifacts/$target.log" | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)|panicked at|Test unit written to' || true
    after=$(ls "artifacts/$target" | wc -l)
    if [ "$after" -gt "$before" ]; then
        status=1
        echo "!! $target: $((after - before)) new crash input(s) in $(pwd)/artifacts/$target/ (log: $(pwd)/artifacts/$target.log)"
        echo "   reproduce: cargo +nightly fuzz run --dev -s none $target artifacts/$target/<file>"
    else
        echo "   $target: no crash"
    fi
done
exit $status
