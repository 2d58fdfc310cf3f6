//! End-to-end tests of PostgreSQL logs as servers write them, and of time zones: `analyze` on the small cases of
//! testdata/cases/postgres/ (one case file per variant, over the fixtures of testdata/logs/postgres/) against the
//! customers each must list; zones given as IANA names, abbreviations that need them, and `inspect` counts.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn cases() -> PathBuf {
    crate::common::repo().join("testdata/cases/postgres")
}

fn logs() -> PathBuf {
    crate::common::repo().join("testdata/logs/postgres")
}

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("breachscope").expect("binary built");
    cmd.env("NO_COLOR", "1");
    cmd
}

struct Analyzed {
    /// Customer keys of affected_customers.csv, in file order.
    listed: Vec<String>,
    /// rejects.csv rows: line, reason.
    rejects: Vec<(u64, String)>,
    report: serde_json::Value,
    stderr: String,
}

fn analyze_with(case_file: &Path, extra: &[&str]) -> Analyzed {
    let dir = tempfile::tempdir().unwrap();
    let (list, rejects, report) = (dir.path().join("a.csv"), dir.path().join("rejects.csv"), dir.path().join("r.json"));
    let out = bin()
        .arg("analyze")
        .arg(case_file)
        .args(extra)
        .arg("--out")
        .arg(&list)
        .arg("--report")
        .arg(&report)
        .arg("--rejects")
        .arg(&rejects)
        .arg("--people")
        .arg(dir.path().join("p.csv"))
        .arg("--jurisdictions")
        .arg(dir.path().join("j.csv"))
        .arg("--actions")
        .arg(dir.path().join("actions.csv"))
        .assert()
        .success();
    let listed = csv::Reader::from_path(&list).unwrap().records().map(|r| r.unwrap()[0].to_string()).collect();
    let rejects = csv::Reader::from_path(&rejects).unwrap().records().map(|r| r.unwrap()).map(|r| (r[1].parse().unwrap(), r[3].to_string())).collect();
    let report = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    Analyzed { listed, rejects, report, stderr: String::from_utf8_lossy(&out.get_output().stderr).into_owned() }
}

fn analyze(variant: &str) -> Analyzed {
    analyze_with(&cases().join(format!("{variant}.toml")), &[])
}

fn expected(variant: &str) -> Vec<String> {
    std::fs::read_to_string(cases().join(format!("expected_{variant}.txt"))).unwrap().lines().map(str::to_string).collect()
}

/// A copy of a case file in a temporary folder, its relative paths made absolute, edited by `edit`.
fn edited_case(variant: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(cases().join(format!("{variant}.toml")))
        .unwrap()
        .replace("\"customers.csv\"", &format!("{:?}", cases().join("customers.csv")))
        .replace("\"../../logs/postgres/", &format!("\"{}/", logs().display()));
    let path = dir.path().join("case.toml");
    std::fs::write(&path, edit(text)).unwrap();
    (dir, path)
}

fn without_time_zone(text: String) -> String {
    text.lines().filter(|l| !l.starts_with("time_zone")).collect::<Vec<_>>().join("\n")
}

/// The no_account blind spot's record count in report.json.
fn no_account(report: &serde_json::Value) -> u64 {
    report["coverage"]["sources"][0]["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == "no_account").unwrap()["records"].as_u64().unwrap()
}

/// `records:  R read = E access events + I ignored + J rejected`
fn counts(file: &Path, extra: &[&str]) -> (u64, u64, u64, u64) {
    let out = bin().arg("inspect").arg(file).args(extra).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let line = stdout.lines().find(|l| l.starts_with("records:")).unwrap_or_else(|| panic!("no records line in {stdout}"));
    let n: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    (n[0], n[1], n[2], n[3])
}

#[test]
fn default_prefix_takes_accounts_from_connection_lines_in_berlin_time() {
    // `%m [%p] ` has no user: k.walsh's statements are his by his processes' `connection authorized` lines.
    let a = analyze("default-prefix");
    assert_eq!(a.listed, expected("default-prefix"));
    assert_eq!(a.listed, ["C001", "C002", "C003", "C005"]);
    // C004: permission denied; C010: j.doe's process; C006: 09:45 CET is 08:45Z, after the window (read
    // at summer's +02:00 it would be inside); C011: a process whose connection is not in the file.
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
    assert_eq!(no_account(&a.report), 1);
    assert!(a.stderr.contains("!! supportdb: 1 access record(s) name no account"), "{}", a.stderr);
}

#[test]
fn zone_abbreviations_without_the_logs_zone_are_rejected_naming_the_key() {
    let (_dir, case) = edited_case("default-prefix", without_time_zone);
    let a = analyze_with(&case, &[]);
    assert!(a.listed.is_empty(), "{:?}", a.listed);
    assert_eq!(a.rejects.len(), 27, "{:?}", a.rejects);
    assert!(a.rejects.iter().all(|(_, r)| r.contains("set time_zone for this log") && r.contains("time_zone = \"America/Chicago\"")), "{:?}", a.rejects);
    // --assume-tz with an IANA zone does the same as the log's time_zone.
    let a = analyze_with(&case, &["--assume-tz", "Europe/Berlin"]);
    assert_eq!(a.listed, expected("default-prefix"));
}

#[test]
fn cst_is_read_only_as_the_logs_zone_says() {
    // CST in the csvlog is China Standard Time (log_timezone = PRC): read with Asia/Shanghai.
    let a = analyze("extended-protocol");
    assert_eq!(a.listed, expected("extended-protocol"));
    // Read with America/Chicago, whose June abbreviation is CDT, every record is rejected with the reason.
    let (_dir, case) = edited_case("extended-protocol", |t| t.replace("Asia/Shanghai", "America/Chicago"));
    let a = analyze_with(&case, &[]);
    assert!(a.listed.is_empty());
    assert_eq!(a.rejects.len(), 16);
    assert!(a.rejects[0].1.contains("America/Chicago uses CDT at that time, not `CST`"), "{:?}", a.rejects[0]);
}

#[test]
fn extended_protocol_csvlog_reads_parameters_from_the_detail_column() {
    let a = analyze("extended-protocol");
    assert_eq!(a.listed, ["C003", "C004", "C010", "C011"]);
    let ignored = &a.report["ignored_by_reason"];
    assert_eq!(ignored["parse or bind step of a prepared statement (its execute line is the access)"], 3);
    assert_eq!(ignored["failed request"], 1);
}

#[test]
fn debian_prefix_with_pgaudit_and_durations_counts_each_statement_once() {
    let a = analyze("debian-slowlog");
    assert_eq!(a.listed, expected("debian-slowlog"));
    assert_eq!(a.listed, ["C001", "C006", "C007", "C008", "C009"]);
    let ignored = &a.report["ignored_by_reason"];
    assert_eq!(ignored["statement also logged as a pgaudit AUDIT record (counted once)"], 3);
    // C012 (denied after its AUDIT line) is a failure; the error after the finished VT query is not its.
    assert_eq!(ignored["failed request"], 1);
    assert_eq!(a.report["totals"]["replayed_queries"], 1);
}

#[test]
fn rds_prefix_is_found_past_background_and_parallel_worker_lines() {
    let a = analyze("rds-pgaudit");
    assert_eq!(a.listed, expected("rds-pgaudit"));
    // C002 and C005 are the two values of one PARAMETER field (`"C002,C005"`).
    assert_eq!(a.listed, ["C002", "C003", "C005", "C007", "C010", "C012"]);
    // The parallel workers' copies have no account: loud, not an error.
    assert_eq!(no_account(&a.report), 2);
    assert!(a.stderr.contains("!! supportdb: 2 access record(s) name no account"), "{}", a.stderr);
}

#[test]
fn pgbadger_prefix_execute_parameters_in_chicago_time() {
    let a = analyze("pgbadger-chicago");
    assert_eq!(a.listed, expected("pgbadger-chicago"));
    // C011 at 08:30 CDT (13:30Z) is inside the window ending 14:00Z; C012 at 09:30 CDT is not; C005 was denied.
    assert_eq!(a.listed, ["C001", "C008", "C009", "C011"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
}

#[test]
fn numeric_zone_after_a_space_matches_the_prefix() {
    let a = analyze("numeric-zone");
    assert_eq!(a.listed, expected("numeric-zone"));
    // 07:59:59 +08 on the 28th is the 27th in UTC: before the window (C001 is not listed).
    assert_eq!(a.listed, ["C006", "C007", "C012"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
}

#[test]
fn inspect_reads_every_fixture_and_takes_negative_offsets_as_values() {
    for (file, zone, expected) in [
        ("default_prefix_cest.log", "Europe/Berlin", (27, 7, 20, 0)),
        ("debian_slowlog.log", "UTC", (24, 6, 18, 0)),
        ("extended_protocol_cst.csv", "Asia/Shanghai", (16, 5, 11, 0)),
        ("rds_pgaudit.log", "UTC", (14, 8, 6, 0)),
        ("pgbadger_chicago.log", "America/Chicago", (17, 6, 11, 0)),
        ("numeric_zone_singapore.log", "Asia/Singapore", (5, 4, 1, 0)),
    ] {
        assert_eq!(counts(&logs().join(file), &["--time-zone", zone]), expected, "{file}");
    }
    // `--time-zone -05:00` (a value starting with `-`) is the zone, not a flag: CDT is then not readable, and
    // every timed record is rejected with the reason rather than the command failing.
    assert_eq!(counts(&logs().join("pgbadger_chicago.log"), &["--time-zone", "-05:00"]), (17, 0, 0, 17));
    assert_eq!(counts(&logs().join("numeric_zone_singapore.log"), &["--assume-tz", "-05:00"]), (5, 4, 1, 0));
    let out = bin().arg("inspect").arg(logs().join("pgbadger_chicago.log")).args(["--time-zone", "CST"]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("--time-zone: `CST` is an abbreviation"));
}

#[test]
fn profile_work_hours_follow_the_profile_time_zone() {
    // k.walsh's December access is at 09:20 CET: outside 10:00-18:00 in Berlin, inside at a fixed +02:00.
    let share = |profile: &str| {
        let (_dir, case) = edited_case("default-prefix", |t| format!("{t}\n[profile]\nwork_hours = \"10:00-18:00\"\n{profile}\n"));
        let out = bin().arg("profile").arg(&case).arg("-q").assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (actor, month, after) = (col("actor"), col("month"), col("after_hours_share"));
        reader.records().map(|r| r.unwrap()).find(|r| &r[actor] == "k.walsh" && &r[month] == "2024-12").map(|r| r[after].to_string()).unwrap()
    };
    assert_eq!(share("time_zone = \"Europe/Berlin\""), "1.0000");
    assert_eq!(share("utc_offset = \"+02:00\""), "0.0000");
}

#[test]
fn zoneless_times_in_an_iana_zone_follow_daylight_saving_and_a_skipped_hour_is_rejected() {
    // The malformed no-zone case, its zones given as IANA names: 09:30 in June in Berlin is 07:30Z (CEST),
    // before the window's 09:45 Berlin time; with the fixed +01:00 it was 08:30Z, inside.
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join("no-zone-case");
    std::fs::create_dir_all(case_dir.join("logs")).unwrap();
    let from = crate::common::repo().join("testdata/malformed/no-zone-case");
    for f in ["case.toml", "customers.csv", "logs/berlin.csv", "logs/plain.csv"] {
        std::fs::copy(from.join(f), case_dir.join(f)).unwrap();
    }
    let case = case_dir.join("case.toml");
    std::fs::write(&case, std::fs::read_to_string(&case).unwrap().replace("time_zone = \"+01:00\"", "time_zone = \"Europe/Berlin\"")).unwrap();
    // 02:30 on 31 March 2019 never happened in Berlin (the clocks went from 02:00 to 03:00).
    let berlin = case_dir.join("logs/berlin.csv");
    let mut text = std::fs::read_to_string(&berlin).unwrap();
    text.push_str("2019-03-31 02:30:00,k.walsh,view,customers,C2,full_name,success\n");
    std::fs::write(&berlin, text).unwrap();
    let a = analyze_with(&case, &["--assume-tz", "Europe/Berlin"]);
    assert_eq!(a.listed, ["C3"]);
    assert_eq!(a.report["case"]["since"], "2019-06-06T07:45:00Z");
    assert_eq!(a.rejects.len(), 1, "{:?}", a.rejects);
    assert!(a.rejects[0].1.contains("does not exist in Europe/Berlin"), "{:?}", a.rejects);
}
