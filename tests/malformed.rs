//! The `testdata/malformed/` corpus: broken and hostile exports, one test each. A bad record is rejected
//! with its line (and column), a file that cannot be read at all is an error naming it (exit 2); nothing is
//! dropped silently and nothing panics.

use std::path::PathBuf;

use crate::common::*;
use predicates::prelude::*;

fn malformed(name: &str) -> PathBuf {
    repo().join("testdata/malformed").join(name)
}

fn inspect(name: &str) -> assert_cmd::assert::Assert {
    bin().arg("inspect").arg(malformed(name)).assert()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn latin1_bytes_are_rejected_with_line_and_column() {
    let a = inspect("latin1.log").success();
    let out = stdout(&a);
    assert!(out.contains("records:  3 read = 2 access events + 0 ignored + 1 rejected"), "{out}");
    assert!(out.contains("rejected line 2 column 15: invalid UTF-8"), "{out}");
}

/// With `--encoding latin1` the same file is read whole: `jos\xe9` is the account `josé`, on its line.
#[test]
fn latin1_log_is_read_with_encoding_latin1() {
    let a = bin().arg("inspect").arg(malformed("latin1.log")).arg("--encoding").arg("latin1").arg("--json").assert().success();
    let out = stdout(&a);
    let events: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 3, "{out}");
    assert_eq!(events[1]["line"], 2, "{out}");
    assert_eq!(events[1]["actor"], "josé", "{out}");
    let a = bin().arg("inspect").arg(malformed("latin1.log")).arg("--encoding").arg("ISO-8859-1").assert().success();
    assert!(stdout(&a).contains("records:  3 read = 3 access events + 0 ignored + 0 rejected"), "{}", stdout(&a));
}

#[test]
fn unknown_encoding_is_a_usage_error() {
    bin()
        .arg("inspect")
        .arg(malformed("latin1.log"))
        .arg("--encoding")
        .arg("ebcdic")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--encoding: unknown encoding `ebcdic`"));
}

/// A UTF-16 export with a byte-order mark is transcoded (the mark says what the file is): its records
/// are read, with their lines.
#[test]
fn utf16_export_with_bom_is_read() {
    let a = bin().arg("inspect").arg(malformed("utf16-bom.csv")).arg("--format").arg("csv").arg("--json").assert().success();
    let out = stdout(&a);
    let events: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 1, "{out}");
    assert_eq!(events[0]["line"], 2, "{out}");
    assert_eq!(events[0]["actor"], "k.walsh", "{out}");
    assert_eq!(events[0]["time"], "2019-06-06T09:00:00Z", "{out}");
}

fn latin1_case() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("latin1-case");
    copy_dir(&malformed("latin1-case"), &dir);
    (tmp, dir)
}

fn listed_names(dir: &std::path::Path) -> Vec<(String, String)> {
    read_csv(&dir.join("affected_customers.csv")).iter().map(|r| (r["customer_id"].clone(), r["name"].clone())).collect()
}

fn latin1_expected() -> Vec<(String, String)> {
    [("C001", "Zoë Müller"), ("C002", "François Lévêque"), ("C004", "Björn Åberg")].iter().map(|(k, n)| (k.to_string(), n.to_string())).collect()
}

/// `encoding` on `[customers]`, `[[tables]]` and `[[logs]]`: Latin-1 tables and logs (one of them gzipped)
/// are read with the right names and the Latin-1 account `josé`; a UTF-8 log of the same case stays UTF-8.
#[test]
fn case_file_encoding_for_tables_and_logs() {
    let (_tmp, dir) = latin1_case();
    bin().arg("analyze").arg(dir.join("case.toml")).arg("-q").assert().success();
    assert_eq!(listed_names(&dir), latin1_expected());
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["totals"]["records_rejected"], serde_json::json!(0), "{report}");
}

/// `--encoding` is the default for logs without `encoding`; a log's own `encoding = "utf-8"` wins over it.
/// Without either, the Latin-1 lines are rejected with their line, not dropped.
#[test]
fn encoding_flag_is_the_default_for_logs() {
    let (_tmp, dir) = latin1_case();
    let case = dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap().replace("format = \"combined\"\nencoding = \"latin1\"\n", "format = \"combined\"\n");
    std::fs::write(&case, text).unwrap();
    bin().arg("analyze").arg(&case).arg("-q").arg("--encoding").arg("latin1").assert().success();
    assert_eq!(listed_names(&dir), latin1_expected());

    bin().arg("analyze").arg(&case).arg("-q").arg("--force").assert().success();
    assert_eq!(listed_names(&dir), [("C002".to_string(), "François Lévêque".to_string())]);
    let rejects = read_csv(&dir.join("rejects.csv"));
    let lines: Vec<(&str, &str)> = rejects.iter().map(|r| (r["file"].as_str(), r["line"].as_str())).collect();
    assert_eq!(lines, [("logs/portal-1.log", "1"), ("logs/portal-2.log.gz", "1")], "{rejects:?}");
    assert!(rejects.iter().all(|r| r["reason"].contains("invalid UTF-8")), "{rejects:?}");
}

/// A Latin-1 customers table without `encoding` stops the run at its first non-UTF-8 row (file, line);
/// an unknown encoding name is an error naming the case file.
#[test]
fn latin1_table_without_encoding_and_bad_encoding_names() {
    let (_tmp, dir) = latin1_case();
    let case = dir.join("case.toml");
    let original = std::fs::read_to_string(&case).unwrap();
    std::fs::write(&case, original.replacen("encoding = \"latin1\"\n", "", 1)).unwrap();
    bin().arg("analyze").arg(&case).assert().code(2).stderr(predicate::str::contains("customers.csv:2:").and(predicate::str::contains("UTF-8")));

    std::fs::write(&case, original.replacen("encoding = \"latin1\"", "encoding = \"latin9x\"", 1)).unwrap();
    bin()
        .arg("analyze")
        .arg(&case)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("case.toml").and(predicate::str::contains("unknown encoding `latin9x`")));
    std::fs::write(&case, original.replace("encoding = \"latin1\"\n\n[[logs.routes]]", "encoding = \"klingon\"\n\n[[logs.routes]]")).unwrap();
    bin().arg("analyze").arg(&case).assert().code(2).stderr(predicate::str::contains("(portal): encoding: unknown encoding `klingon`"));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".json")).collect();
    assert!(left.is_empty());
}

/// A BOM at the start of line 2 (two exports concatenated) lands in the client address field, which
/// breachscope does not use: the account and time are read correctly.
#[test]
fn bom_in_the_middle_keeps_the_account_intact() {
    let a = bin().arg("inspect").arg(malformed("bom-middle.log")).arg("--json").assert().success();
    let out = stdout(&a);
    let events: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2, "{out}");
    for e in &events {
        assert_eq!(e["actor"], "k.walsh", "{out}");
    }
}

#[test]
fn wrong_column_counts_are_rejected_per_row() {
    let a = inspect("wrong-columns.csv").success();
    let out = stdout(&a);
    assert!(out.contains("records:  4 read = 2 access events + 0 ignored + 2 rejected"), "{out}");
    assert!(out.contains("rejected line 3 "), "{out}");
    assert!(out.contains("rejected line 4 "), "{out}");
}

#[test]
fn unterminated_quote_is_rejected_not_swallowed() {
    let a = inspect("unterminated-quote.csv").success();
    let out = stdout(&a);
    // The open quote runs to the end of the file: lines 3-4 become one bad record, rejected with its
    // line and kept whole in the rejects.
    assert!(out.contains("records:  2 read = 1 access events + 0 ignored + 1 rejected"), "{out}");
    assert!(out.contains("rejected line 3 column 6: row has 5 fields, the header has 7"), "{out}");
}

#[test]
fn truncated_gzip_is_an_error_naming_the_file() {
    inspect("truncated.log.gz").code(2).stderr(predicate::str::contains("truncated.log.gz: cannot read: incomplete deflate stream"));
}

/// A line of NUL bytes is rejected; a NUL inside a field is kept as data, so `k.wa\0lsh` is another
/// account than `k.walsh` (counted as such, never merged by guessing).
#[test]
fn nul_bytes_are_kept_as_data_or_rejected() {
    let a = inspect("nul-bytes.log").success();
    let out = stdout(&a);
    assert!(out.contains("records:  4 read = 3 access events + 0 ignored + 1 rejected"), "{out}");
    assert!(out.contains("rejected line 3 column 1:"), "{out}");
    assert!(out.contains("accounts: 2 distinct"), "{out}");
}

/// An empty file: its format cannot be told (an error naming it); with the format declared it reads as
/// zero records (and `analyze`'s coverage shows the source as silent).
#[test]
fn empty_file_is_an_error_unless_its_format_is_declared() {
    inspect("empty.log").code(2).stderr(predicate::str::contains("empty.log: cannot tell the log format"));
    let a = bin().arg("inspect").arg(malformed("empty.log")).arg("--format").arg("combined").assert().success();
    assert!(stdout(&a).contains("records:  0 read"), "{}", stdout(&a));
}

#[test]
fn crlf_and_lf_mixed_all_read() {
    let a = inspect("crlf-mix.log").success();
    let out = stdout(&a);
    assert!(out.contains("records:  3 read = 3 access events + 0 ignored + 0 rejected"), "{out}");
}

#[test]
fn dates_out_of_range_are_rejected() {
    let a = inspect("dates-out-of-range.csv").success();
    let out = stdout(&a);
    assert!(out.contains("records:  4 read = 1 access events + 0 ignored + 3 rejected"), "{out}");
}

#[test]
fn timestamp_without_zone_is_rejected() {
    let a = inspect("no-zone.csv").success();
    let out = stdout(&a);
    assert!(out.contains("records:  2 read = 1 access events + 0 ignored + 1 rejected"), "{out}");
    assert!(out.contains("has no time zone"), "{out}");
}

/// A 100 MB line without a newline: rejected (with its size), and memory stays bounded.
#[cfg(target_os = "linux")]
#[test]
fn hundred_megabyte_line_is_rejected_with_bounded_memory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"10.0.0.5 - k.walsh [03/Jun/2019:10:00:00 +0200] \"GET /").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n").unwrap();
    }
    let time = std::path::Path::new("/usr/bin/time");
    let bin_path = assert_cmd::cargo::cargo_bin("breachscope");
    let output = if time.exists() {
        std::process::Command::new(time).arg("-f").arg("peak_rss_kb=%M").arg(&bin_path).arg("inspect").arg(&path).arg("--format").arg("combined").output()
    } else {
        eprintln!("/usr/bin/time missing: peak RSS not measured");
        std::process::Command::new(&bin_path).arg("inspect").arg(&path).arg("--format").arg("combined").output()
    }
    .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(out.contains("records:  1 read = 0 access events + 0 ignored + 1 rejected"), "{out}");
    if let Some(kb) = err.split("peak_rss_kb=").nth(1) {
        let kb: u64 = kb.trim().parse().unwrap();
        eprintln!("peak RSS reading a 100 MB line: {} MB", kb / 1024);
        assert!(kb < 600 * 1024, "peak RSS {kb} kB");
    }
}

#[test]
fn assume_tz_reads_zoneless_timestamps_in_the_given_zone() {
    let a = bin().arg("inspect").arg(malformed("no-zone.csv")).arg("--assume-tz").arg("+02:00").arg("--json").assert().success();
    let out = stdout(&a);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["time"], "2019-06-06T07:04:00Z", "{out}");
    bin().arg("inspect").arg(malformed("no-zone.csv")).arg("--assume-tz").arg("CEST").assert().code(2).stderr(predicate::str::contains("--assume-tz"));
}

/// A truncated gzip among a case's logs stops `analyze` with the file named, and leaves no output.
#[test]
fn truncated_gzip_in_a_case_fails_the_run_writing_nothing() {
    let (_tmp, dir) = case_copy("basic");
    std::fs::copy(malformed("truncated.log.gz"), dir.join("logs/portal-zz.log")).unwrap();
    bin()
        .arg("analyze")
        .arg(dir.join("case.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("logs/portal-zz.log: cannot read: incomplete deflate stream"));
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") || n.ends_with(".partial") || n.starts_with("affected") || n.starts_with("rejects"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Text keys (the default) are compared exactly as written, only trimmed: `007` is not `7`; a key padded
/// with spaces in the table (` 8 `) matches `8` in a log and is reported under `key_warnings` with its line;
/// a key on two rows lists both rows and is reported under `duplicate_customer_keys`.
#[test]
fn customer_keys_leading_zeros_whitespace_and_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    copy_dir(&malformed("keys"), &dir);
    let a = bin().arg("analyze").arg(dir.join("case.toml")).assert().success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("customers.csv: 1 key(s) of customers.customer_id have whitespace around them (line 4); matched trimmed"), "{err}");
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let listed: Vec<(&str, &str)> = rows.iter().map(|r| (r["customer_id"].as_str(), r["name"].as_str())).collect();
    assert_eq!(listed, [("007", "Bond James"), ("8", "Eight Ball"), ("9", "Nine First"), ("9", "Nine Second")]);
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["duplicate_customer_keys"], serde_json::json!(["9"]));
    assert_eq!(report["unresolved_keys"], serde_json::json!([]));
    assert_eq!(report["key_warnings"][0]["padded"], 1, "{report}");
    assert_eq!(report["key_warnings"][0]["padded_lines"], serde_json::json!([4]), "{report}");
    assert_eq!(report["key_warnings"][0]["not_numeric"], 0, "{report}");
}

/// The same log against `key_type = "text"` with a `7` in it: `007` is not `7`, and the `7` access is
/// listed under `unresolved_keys` (never dropped).
#[test]
fn text_keys_do_not_drop_leading_zeros() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    copy_dir(&malformed("keys-numeric"), &dir);
    let case = dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap().replace("key_type = \"numeric\"", "key_type = \"text\"");
    std::fs::write(&case, text).unwrap();
    bin().arg("analyze").arg(&case).arg("-q").assert().success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let listed: Vec<&str> = rows.iter().map(|r| r["customer_id"].as_str()).collect();
    // `9` matches only `9`; `+8` is not ` 8 `; 013 is reached by the replayed query, which returns the
    // table's own key.
    assert_eq!(listed, ["013", "9", "X10"]);
    let report = read_json(&dir.join("report.json"));
    let unresolved: Vec<(&str, &str)> =
        report["unresolved_keys"].as_array().unwrap().iter().map(|u| (u["table"].as_str().unwrap(), u["key"].as_str().unwrap())).collect();
    assert_eq!(unresolved, [("customers", "+8"), ("customers", "12"), ("customers", "7"), ("tickets", "42")]);
}

/// `key_type = "numeric"`: `7`, `+8` and `42` in the log match `007`, ` 8 ` and ticket `0042`; `9` matches both
/// `9` and `0009` (a duplicate: both rows listed and reported); `X10` is not a number (reported with its line,
/// still matched as text); a replayed query's keys are compared the same way; `12` matches no row. The list
/// is sorted by key value.
#[test]
fn numeric_keys_compare_as_integers_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys-numeric");
    copy_dir(&malformed("keys-numeric"), &dir);
    let a = bin().arg("analyze").arg(dir.join("case.toml")).assert().success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("1 key(s) of customers.customer_id are not numbers although its key_type is numeric (line 6); compared as text"), "{err}");
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let listed: Vec<(&str, &str, &str)> =
        rows.iter().map(|r| (r["customer_id"].as_str(), r["name"].as_str(), r["evidence"].as_str())).collect();
    assert_eq!(
        listed,
        [
            ("007", "Bond James", "named"),
            ("8", "Eight Ball", "named"),
            ("9", "Nine First", "named"),
            ("0009", "Nine Second", "named"),
            ("11", "Eleven Ticket", "named"),
            ("013", "Thirteen Replayed", "replayed"),
            ("X10", "Ten Letters", "named"),
        ]
    );
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["duplicate_customer_keys"], serde_json::json!(["9"]));
    let unresolved = report["unresolved_keys"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{report}");
    assert_eq!(unresolved[0]["key"], "12");
    let warnings = &report["key_warnings"][0];
    assert_eq!((warnings["padded"].as_u64(), warnings["not_numeric"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(warnings["not_numeric_lines"], serde_json::json!([6]));
}

#[test]
fn unknown_key_type_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys-numeric");
    copy_dir(&malformed("keys-numeric"), &dir);
    let case = dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap().replacen("key_type = \"numeric\"", "key_type = \"integer\"", 1);
    std::fs::write(&case, text).unwrap();
    bin()
        .arg("analyze")
        .arg(&case)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("case.toml").and(predicate::str::contains("[customers] key_type `integer`: expected `text` or `numeric`")));
}

/// `suspects` matches victims and touches with the same numeric keys: `7` is `007`, `+11` is customer 11
/// (reached through ticket `0042`); `0042` is no customer.
#[test]
fn numeric_keys_in_suspects_victims() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys-numeric");
    copy_dir(&malformed("keys-numeric"), &dir);
    std::fs::write(dir.join("victims.csv"), "customer_id,reported_at\n7,2019-06-20\n+11,2019-06-20\n0042,2019-06-20\n").unwrap();
    let a = bin()
        .arg("suspects")
        .arg(dir.join("case.toml"))
        .arg("--victims")
        .arg(dir.join("victims.csv"))
        .arg("--out")
        .arg(dir.join("suspects.csv"))
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("1 row(s) matched no customer and are left out: line 4: 0042"), "{err}");
    let rows = read_csv(&dir.join("suspects.csv"));
    assert_eq!(rows[0]["actor"], "k.walsh");
    assert_eq!(rows[0]["victims_touched"], "2");
    assert_eq!(rows[0]["customers_touched"], "5");
}

/// `--assume-tz` is the zone of zoneless times in every log without its own `time_zone` and in the window
/// bounds; a log's `time_zone` wins over it. Without the flag the zoneless bound is an error.
#[test]
fn assume_tz_and_per_log_time_zone_precedence() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("no-zone-case");
    copy_dir(&malformed("no-zone-case"), &dir);
    let case = dir.join("case.toml");
    bin().arg("analyze").arg(&case).assert().code(2).stderr(predicate::str::contains("since: timestamp `2019-06-06 09:45:00` has no time zone"));
    bin().arg("analyze").arg(&case).arg("-q").arg("--assume-tz").arg("+02:00").assert().success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let listed: Vec<(&str, &str)> = rows.iter().map(|r| (r["customer_id"].as_str(), r["first_access"].as_str())).collect();
    // since = 09:45 at +02:00 = 07:45Z. berlin's 09:30 is +01:00 (its time_zone): 08:30Z, inside. plain's
    // 09:30 and 09:59 are +02:00: 07:30Z (outside) and 07:59Z.
    assert_eq!(listed, [("C1", "2019-06-06T08:30:00Z"), ("C3", "2019-06-06T07:59:00Z")]);
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["case"]["since"], "2019-06-06T07:45:00Z");
}

/// Library callers get no process-wide state: the zone for zoneless times travels in `ParserSettings`, so
/// two parsers in one process, with and without it, read the same file differently.
#[test]
fn zoneless_time_zone_is_per_parser_not_global() {
    use breachscope::ingest;
    use breachscope::ingest::event::{Format, Parsed, ParserSettings};
    let bytes = std::fs::read(malformed("no-zone.csv")).unwrap();
    let parse = |settings: &ParserSettings| {
        let parser = ingest::detect::parser_for(Format::Csv, settings, &bytes, std::path::Path::new("no-zone.csv")).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut &bytes[..], &mut |p| out.push(p)).unwrap();
        out
    };
    let zone = breachscope::read::timefmt::parse_assume_tz("+02:00").unwrap();
    let with_zone = parse(&ParserSettings { time_zone: Some(zone), ..Default::default() });
    let without = parse(&ParserSettings::default());
    let with_again = parse(&ParserSettings { time_zone: Some(zone), ..Default::default() });
    assert!(matches!(&with_zone[0], Parsed::Event(e) if breachscope::read::timefmt::format_utc(&e.time) == "2019-06-06T07:04:00Z"), "{with_zone:?}");
    assert!(matches!(&without[0], Parsed::Rejected(r) if r.reason.contains("has no time zone")), "{without:?}");
    assert_eq!(with_zone, with_again);
}

/// A 2 MB request path: as a key it is rejected with the reason (not listed, not written whole anywhere);
/// as a path that matches no route it is counted, and report.json carries it cut with its length and digest.
#[test]
fn a_huge_key_is_rejected_and_report_json_never_carries_a_huge_value() {
    let (_dir, case) = case_copy("basic");
    let huge = "A".repeat(2 << 20);
    let log = case.join("logs/portal-2019-06.log");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&format!("203.0.113.9 - k.walsh [03/Jun/2019:10:00:00 +0000] \"GET /support/customers/{huge} HTTP/1.1\" 200 512 \"-\" \"x\"\n"));
    text.push_str(&format!("203.0.113.9 - k.walsh [03/Jun/2019:10:00:01 +0000] \"GET /nowhere/{huge} HTTP/1.1\" 200 512 \"-\" \"x\"\n"));
    std::fs::write(&log, text).unwrap();
    bin().arg("analyze").arg(case.join("case.toml")).arg("-q").assert().success();

    let report_bytes = std::fs::read(case.join("report.json")).unwrap();
    assert!(report_bytes.len() < 1 << 20, "report.json is {} bytes", report_bytes.len());
    let report: serde_json::Value = serde_json::from_slice(&report_bytes).unwrap();
    let paths = report["unmatched_request_paths"].as_object().unwrap();
    let cut = paths.keys().find(|p| p.starts_with("/nowhere/")).expect("the long path is counted");
    assert!(cut.contains(&format!("[cut: {} bytes, sha256 ", "/nowhere/".len() + huge.len())), "{}", &cut[cut.len() - 120..]);

    let rejects = std::fs::read_to_string(case.join("rejects.csv")).unwrap();
    assert!(rejects.contains("a record key of 2097152 bytes (longer than 1024)"), "{}", &rejects[..rejects.len().min(500)]);
    assert!(rejects.len() < 200_000, "the rejected record's text is cut too: {}", rejects.len());
    let list = std::fs::read_to_string(case.join("affected_customers.csv")).unwrap();
    assert!(!list.contains("AAAAAAAA"));
}
