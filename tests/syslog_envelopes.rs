//! Audit records behind a syslog header or inside a log shipper's JSON envelope (issue 14): MariaDB server_audit
//! sent to syslog (RFC 3164 times: the year from the case window, the zone from the log's `time_zone`), mongod's
//! audit to syslog, Filebeat's `message` string and a Vector object under a key named by `record_path`. The
//! fixtures are in testdata/logs/syslog (SOURCE.txt), the case in testdata/cases/syslog-envelopes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{bin, read_csv, read_json, repo};

fn case_dir() -> PathBuf {
    repo().join("testdata/cases/syslog-envelopes")
}

/// Runs `analyze` on `case_file` into `out`; the notification list by customer key, and the report.
fn analyze(case_file: &Path, out: &Path) -> (BTreeMap<String, BTreeMap<String, String>>, serde_json::Value, String) {
    bin()
        .arg("analyze")
        .arg(case_file)
        .arg("--out")
        .arg(out.join("a.csv"))
        .arg("--report")
        .arg(out.join("r.json"))
        .arg("--rejects")
        .arg(out.join("rej.csv"))
        .arg("--people")
        .arg(out.join("p.csv"))
        .arg("--jurisdictions")
        .arg(out.join("j.csv"))
        .arg("--actions")
        .arg(out.join("actions.csv"))
        .arg("--quiet")
        .assert()
        .success();
    let list = read_csv(&out.join("a.csv")).into_iter().map(|row| (row["customer_id"].clone(), row)).collect();
    (list, read_json(&out.join("r.json")), std::fs::read_to_string(out.join("rej.csv")).unwrap())
}

fn input<'a>(report: &'a serde_json::Value, file: &str) -> &'a serde_json::Value {
    report["inputs"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with(file)).unwrap_or_else(|| panic!("no input {file}"))
}

#[test]
fn the_case_lists_the_customers_each_envelope_showed() {
    let out = tempfile::tempdir().unwrap();
    let (list, report, rejects) = analyze(&case_dir().join("case.toml"), out.path());
    let expected: Vec<String> = std::fs::read_to_string(case_dir().join("expected_customers.txt")).unwrap().lines().map(str::to_string).collect();
    assert_eq!(list.keys().cloned().collect::<Vec<_>>(), expected);
    let classes = |key: &str| list[key]["data_classes"].clone();
    let sources = |key: &str| list[key]["sources"].clone();
    // MariaDB to syslog: the statement's columns, with the empty and the set syslog_info.
    assert_eq!(classes("C001"), "email_addresses;names");
    assert_eq!(sources("C001"), "mariadb-syslog");
    assert_eq!(classes("C005"), "email_addresses");
    // C002: the phone by MariaDB, the email by the Filebeat-shipped mongod record.
    assert_eq!(classes("C002"), "email_addresses;phone_numbers");
    assert_eq!(sources("C002"), "filebeat;mariadb-syslog");
    // C003 through its ticket: `Jan  2 00:30:00` in Frankfurt, in the window's second year, is 1 January 23:30 UTC.
    assert_eq!(classes("C003"), "support_tickets");
    assert_eq!(list["C003"]["first_access"], "2020-01-01T23:30:00Z");
    // `Dec 31 23:30:00` is in the window's first year.
    let c002_mariadb = "2019-12-31T22:30:00Z";
    assert!(list["C002"]["last_access"] == c002_mariadb || list["C002"]["first_access"] == c002_mariadb, "{:?}", list["C002"]);
    // C004: the MariaDB read was in November, outside the window; the Vector record (record_path) lists it.
    assert_eq!(sources("C004"), "vector");
    assert_eq!(classes("C004"), "geographic_locations;names");
    // C006 from mongod's syslog lines, with its projection.
    assert_eq!(classes("C006"), "names;phone_numbers");
    assert_eq!(sources("C006"), "mongod-syslog");
    // Another account's reads (C007) and refused ones (C008) are not listed; nothing was rejected.
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    let mariadb = input(&report, "mariadb-syslog.log");
    assert_eq!(mariadb["rejected"], 0);
    assert_eq!(mariadb["ignored_by_reason"]["outside the case window"], 1, "{mariadb}");
    assert_eq!(mariadb["ignored_by_reason"]["syslog line of another program (not a server_audit record)"], 2, "{mariadb}");
    assert_eq!(mariadb["ignored_by_reason"]["failed request"], 1, "{mariadb}");
    let mongod = input(&report, "mongod-syslog.log");
    assert_eq!(mongod["ignored_by_reason"]["mongod diagnostic log message (not an audit record)"], 1, "{mongod}");
    assert_eq!(input(&report, "filebeat-mongodb.ndjson")["format"], "mongodb-audit", "a Filebeat envelope around mongod records is detected");
    assert_eq!(report["warnings"], serde_json::json!([]));
}

/// Writes the fixture case with its logs' paths made absolute and `edit` applied, in a temporary folder.
fn edited_case(edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case_dir().join("case.toml")).unwrap();
    let logs = repo().join("testdata/logs/syslog");
    let text = text.replace("\"../../logs/syslog/", &format!("\"{}/", logs.display())).replace("\"customers.csv\"", &format!("\"{}\"", case_dir().join("customers.csv").display())).replace("\"tickets.csv\"", &format!("\"{}\"", case_dir().join("tickets.csv").display()));
    let file = dir.path().join("case.toml");
    std::fs::write(&file, edit(text)).unwrap();
    (dir, file)
}

#[test]
fn without_the_log_zone_every_syslog_record_is_rejected_and_the_warning_names_the_fix() {
    let (dir, case) = edited_case(|t| t.replace("time_zone = \"Europe/Berlin\"\n", ""));
    let (list, report, rejects) = analyze(&case, dir.path());
    // Only what the mongod records (which carry their own zone) showed is listed.
    assert_eq!(list.keys().cloned().collect::<Vec<_>>(), ["C002", "C004", "C006"]);
    assert_eq!(list["C002"]["data_classes"], "email_addresses");
    // Every QUERY record is rejected (6; the CONNECT, READ and DISCONNECT lines are no accesses of their own).
    let mariadb = input(&report, "mariadb-syslog.log");
    assert_eq!(mariadb["rejected"], 6, "{mariadb}");
    assert!(rejects.contains("syslog time `Dec 30 09:15:04` has no time zone (nor year): set `time_zone` for this log"), "{rejects}");
    let warning = report["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "actor_records_rejected").unwrap_or_else(|| panic!("{}", report["warnings"]));
    assert!(warning["fix"].as_str().unwrap().contains("time_zone"), "{warning}");
    // k.walsh's five QUERY records in one file and one in the other, all for want of the zone.
    let by_actor = &report["rejected_by_actor"][0];
    assert_eq!((&by_actor["actor"], &by_actor["source"], &by_actor["records"], &by_actor["missing_zone"]), (&"k.walsh".into(), &"mariadb-syslog".into(), &6.into(), &6.into()), "{by_actor}");
}

#[test]
fn a_window_that_cannot_date_the_syslog_times_is_said_not_guessed() {
    // Two years long: `Jan  2` falls in it twice.
    let (dir, case) = edited_case(|t| t.replace("since = \"2019-12-01\"", "since = \"2018-12-01\""));
    let (list, _, rejects) = analyze(&case, dir.path());
    assert!(rejects.contains("falls in the case window in 2019 and 2020"), "{rejects}");
    assert!(!list.contains_key("C003"), "the ticket read of `Jan  2` cannot be dated");
}

#[test]
fn inspect_reads_envelopes_and_names_the_key_to_declare() {
    let logs = repo().join("testdata/logs/syslog");
    let run = |args: &[&str]| {
        let out = bin().arg("inspect").args(args).env("NO_COLOR", "1").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let vector = logs.join("vector-mongodb.jsonl");
    let bare = run(&[vector.to_str().unwrap()]);
    assert!(bare.contains("1 rejected") && bare.contains("record_path = \"mongodb\""), "{bare}");
    let declared = run(&[vector.to_str().unwrap(), "--record-path", "mongodb"]);
    assert!(declared.contains("1 access events") && declared.contains("2020-01-14T20:47:09.880Z"), "{declared}");
    // The MariaDB syslog file is detected; without a case, its times cannot be dated.
    let mariadb = logs.join("mariadb-syslog.log");
    let text = run(&[mariadb.to_str().unwrap(), "--time-zone", "Europe/Berlin"]);
    assert!(text.contains("format:   mysql-audit") && text.contains("has no year"), "{text}");
    let text = run(&[mariadb.to_str().unwrap(), "--case", case_dir().join("case.toml").to_str().unwrap()]);
    assert!(text.contains("6 access events") && text.contains("2019-12-31T22:30:00Z"), "{text}");
}

/// The shared real samples that wrap MongoDB records: IBM Cloud's backslash-escaped lines are read as records,
/// IBM's test wrappers with `--record-path mongoaudit`.
#[test]
fn the_shared_wrapped_mongodb_samples_are_read() {
    let samples = repo().join("../shared/samples/mongodb");
    if !samples.is_dir() {
        println!("note: {} does not exist; skipped", samples.display());
        return;
    }
    let run = |file: &Path, extra: &[&str]| {
        let out = bin().arg("inspect").arg(file).args(extra).env("NO_COLOR", "1").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let escaped = run(&samples.join("ibm_cloud_mongodb_audit_samplelogs_escaped.txt"), &[]);
    assert!(escaped.contains("+ 0 rejected") && escaped.contains("schema change (DDL)"), "{escaped}");
    let wrapped = samples.join("ibm_test_examples/find-all.json");
    let bare = run(&wrapped, &[]);
    assert!(bare.contains("1 rejected") && bare.contains("set record_path = \"mongoaudit\""), "{bare}");
    let declared = run(&wrapped, &["--record-path", "mongoaudit"]);
    assert!(declared.contains("1 access events + 0 ignored + 0 rejected"), "{declared}");
}
