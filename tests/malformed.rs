//! The `testdata/malformed/` corpus: broken and hostile exports, one test each. A bad record is rejected
//! with its line (and column), a file that cannot be read at all is an error naming it (exit 2); nothing is
//! dropped silently and nothing panics.

mod common;

use std::path::PathBuf;

use common::*;
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

#[test]
fn utf16_export_is_refused_with_a_clear_error() {
    bin()
        .arg("inspect")
        .arg(malformed("utf16-bom.csv"))
        .arg("--format")
        .arg("csv")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("utf16-bom.csv").and(predicate::str::contains("UTF-16")));
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

/// Customer keys are compared exactly as written: `007` is not `7`; a key padded with spaces in the table
/// (` 8 `) does not match `8` in a log, and that access is listed under `unresolved_keys` (never dropped);
/// a key on two rows lists both rows and is reported under `duplicate_customer_keys`.
#[test]
fn customer_keys_leading_zeros_whitespace_and_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    copy_dir(&malformed("keys"), &dir);
    bin().arg("analyze").arg(dir.join("case.toml")).assert().success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let listed: Vec<(&str, &str)> = rows.iter().map(|r| (r["customer_id"].as_str(), r["name"].as_str())).collect();
    assert_eq!(listed, [("007", "Bond James"), ("9", "Nine First"), ("9", "Nine Second")]);
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["duplicate_customer_keys"], serde_json::json!(["9"]));
    let unresolved = report["unresolved_keys"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0]["key"], "8");
    assert_eq!(unresolved[0]["reason"], "no customer row with this key");
}
