//! End-to-end: coverage of a database audit log whose traffic comes in sessions (a burst of queries, then
//! quiet for hours), written as a MariaDB server_audit log by the generator the gap model's unit tests
//! use. Such a log once showed some two hundred false gaps; now it shows none, and a lost two days is one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

#[allow(dead_code)]
#[path = "../src/coverage/bursty_log.rs"]
mod bursty_log;

use bursty_log::{sessions, Plan};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const HOLE: (&str, &str) = ("2019-07-16T10:00:00Z", "2019-07-18T10:00:00Z");

/// Writes a case with a MariaDB server_audit log of `days` days of sessions from Monday 2019-06-03 (seed
/// 3, as in the unit tests), optionally with the lines of [`HOLE`] lost; returns the case file and the
/// query times.
fn bursty_case(dir: &Path, days: i64, hole: bool) -> (PathBuf, Vec<DateTime<Utc>>) {
    let start = t("2019-06-03T00:00:00Z");
    let hole = hole.then(|| (t(HOLE.0), t(HOLE.1)));
    let plan = Plan { start, days, hole, seed: 3 };
    let users = ["app_ro", "report", "j.smith", "m.ortiz", "k.walsh"];
    let mut log = String::new();
    let mut times = Vec::new();
    let mut query_id = 0u64;
    for (n, session) in sessions(&plan).iter().enumerate() {
        // The insider has one session in twenty; the application and colleagues the rest.
        let user = if n % 20 == 7 { "k.walsh" } else { users[n % 4] };
        let c = session.connection;
        let stamp = |t: &DateTime<Utc>| t.format("%Y%m%d %H:%M:%S").to_string();
        writeln!(log, "{},db-prod-1,{user},10.0.0.9,{c},0,CONNECT,crm,,0", stamp(&session.queries[0])).unwrap();
        for (i, q) in session.queries.iter().enumerate() {
            query_id += 1;
            let customer = (n * 7 + i) % 40 + 1;
            writeln!(log, "{},db-prod-1,{user},10.0.0.9,{c},{query_id},QUERY,crm,'select full_name, email from customers where customer_id = \\'C{customer:03}\\'',0", stamp(q))
                .unwrap();
            times.push(*q);
        }
        writeln!(log, "{},db-prod-1,{user},10.0.0.9,{c},0,DISCONNECT,crm,,0", stamp(session.queries.last().unwrap())).unwrap();
    }
    std::fs::write(dir.join("server_audit.log"), log).unwrap();
    let mut customers = String::from("customer_id,full_name,email\n");
    for i in 1..=40 {
        writeln!(customers, "C{i:03},Customer {i},c{i}@example.com").unwrap();
    }
    std::fs::write(dir.join("customers.csv"), customers).unwrap();
    let until = (start + Duration::days(days - 1)).format("%Y-%m-%d");
    let case = format!(
        "[case]\nname = \"Bursty MariaDB audit log\"\nactors = [\"k.walsh\"]\nsince = \"2019-06-03\"\nuntil = \"{until}\"\n\n\
         [customers]\npath = \"customers.csv\"\nkey = \"customer_id\"\n\n\
         [[logs]]\nname = \"mariadb\"\npath = \"server_audit.log\"\nformat = \"mysql-audit\"\ntime_zone = \"UTC\"\n"
    );
    std::fs::write(dir.join("case.toml"), case).unwrap();
    times.sort();
    (dir.join("case.toml"), times)
}

/// Runs `analyze` with every output in `dir`; returns report.json's `coverage`.
fn coverage(dir: &Path, case: &Path) -> Value {
    Command::cargo_bin("breachscope")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("analyze")
        .arg(case)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.join("list.csv"))
        .arg("--report")
        .arg(dir.join("report.json"))
        .arg("--rejects")
        .arg(dir.join("rejects.csv"))
        .arg("--people")
        .arg(dir.join("people.csv"))
        .arg("--jurisdictions")
        .arg(dir.join("jurisdictions.csv"))
        .arg("--actions")
        .arg(dir.join("actions.csv"))
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    report["coverage"].clone()
}

#[test]
fn session_traffic_without_a_lost_file_has_no_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (case, times) = bursty_case(dir.path(), 75, false);
    let coverage = coverage(dir.path(), &case);
    let db = &coverage["sources"][0];
    assert_eq!(db["events"], times.len() as u64);
    assert_eq!(db["gaps"], serde_json::json!([]), "{}", db["gaps"]);
    assert_eq!(coverage["gaps"], 0);
    assert_eq!(db["covered_share"], 1.0);
    assert_eq!(coverage["records_on_gapped_sources"], 0);
    // The source's own rhythm: sessions of 20-300 queries, learnt as bursts of about that size.
    let rhythm = &db["rhythm"];
    assert_eq!(rhythm["learnt"], true);
    let burst = rhythm["burst_size"].as_f64().unwrap();
    assert!((100.0..170.0).contains(&burst), "{rhythm}");
    assert!(rhythm["note"].as_str().unwrap().contains("bursts of about"), "{rhythm}");
    assert!(db["gap_threshold_events"].as_f64().unwrap() > 1000.0, "{}", db["gap_threshold_events"]);
    let summary = coverage["legal_summary"].as_str().unwrap();
    assert!(summary.contains("No source has a gap of 2h or more"), "{summary}");
    assert!(!summary.contains("Too little history"), "{summary}");
}

#[test]
fn two_lost_days_of_session_traffic_are_one_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (case, times) = bursty_case(dir.path(), 75, true);
    let coverage = coverage(dir.path(), &case);
    let db = &coverage["sources"][0];
    let gaps = db["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = &gaps[0];
    assert_eq!(gap["kind"], "interior");
    // From the last query before the lost lines to the first after them, each within an hour of the hole.
    let before = times.iter().filter(|q| **q < t(HOLE.0)).next_back().unwrap();
    let after = times.iter().find(|q| **q >= t(HOLE.1)).unwrap();
    let (start, end) = (t(gap["start"].as_str().unwrap()), t(gap["end"].as_str().unwrap()));
    assert_eq!((start, end), (*before, *after));
    assert!(t(HOLE.0) - start < Duration::hours(1) && end - t(HOLE.1) < Duration::hours(1), "{gap}");
    let share = db["covered_share"].as_f64().unwrap();
    assert!((0.97..0.975).contains(&share), "two days of 75: {share}");
    let summary = coverage["legal_summary"].as_str().unwrap();
    assert!(summary.contains("1 gap(s) in 1 source(s)"), "{summary}");
}

#[test]
fn a_short_session_log_says_its_rhythm_cannot_be_judged() {
    // Ten days: too few to see every weekday hour twice. The source is judged strictly (its quiet nights
    // become gaps) and the report says why rather than stating coverage as if it knew.
    let dir = tempfile::tempdir().unwrap();
    let (case, _) = bursty_case(dir.path(), 10, false);
    let coverage = coverage(dir.path(), &case);
    let db = &coverage["sources"][0];
    assert_eq!(db["rhythm"]["learnt"], false);
    assert_eq!(db["rhythm"]["burst_size"], 1.0);
    assert!(db["rhythm"]["note"].as_str().unwrap().contains("cannot be judged"), "{}", db["rhythm"]);
    assert!(!db["gaps"].as_array().unwrap().is_empty());
    let summary = coverage["legal_summary"].as_str().unwrap();
    assert!(summary.contains("Too little history to learn the rhythm of mariadb (under 14 days)"), "{summary}");
}
