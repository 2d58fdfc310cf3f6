//! End-to-end: the mistakes that must be loud. Each case is the basic fixture with one mistake made in
//! it; each warning must be in report.json (`{code, message, fix}`), at the top and the bottom of the
//! summary, in the HTML report's warnings section, must fail `--strict` (exit 4, nothing written), and
//! must keep the statement from calling anything "NOT exposed".

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

/// The basic fixture, with the CRM export's zone declared and its broken portal line left out, so that
/// it has no warning and no rejected record of its own (`--strict` fails on any rejected record first).
fn clean_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = zoneless_case();
    edit(&dir.join("case.toml"), |t| t.replace("format = \"csv\"\n", "format = \"csv\"\ntime_zone = \"UTC\"\n"));
    (tmp, dir)
}

/// The basic fixture without its broken portal line: one of k.walsh's CRM rows has a time without a zone.
fn zoneless_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = case_copy("basic");
    edit(&dir.join("logs/portal-2019-06.log"), |t| t.replace("this line is not an access log line\n", ""));
    (tmp, dir)
}

fn edit(path: &Path, change: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let changed = change(text.clone());
    assert_ne!(changed, text, "the edit changed nothing in {}", path.display());
    std::fs::write(path, changed).unwrap();
}

struct Run {
    report: Value,
    stderr: String,
    html: String,
}

fn analyze(dir: &Path, extra: &[&str]) -> Run {
    let out = bin().arg("analyze").arg(dir.join("case.toml")).args(["--html"]).arg(dir.join("report.html")).args(extra).env("NO_COLOR", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    Run { report: read_json(&dir.join("report.json")), stderr, html: std::fs::read_to_string(dir.join("report.html")).unwrap() }
}

fn warnings_of(run: &Run) -> Vec<&Value> {
    run.report["warnings"].as_array().expect("a warnings array").iter().collect()
}

/// Checks that `code` is warned everywhere, with these words in its message and fix; returns the warning.
fn assert_warned<'r>(run: &'r Run, code: &str, message_has: &[&str], fix_has: &[&str]) -> &'r Value {
    let w = warnings_of(run).into_iter().find(|w| w["code"] == code).unwrap_or_else(|| panic!("no `{code}` warning: {}", run.report["warnings"]));
    let (message, fix) = (w["message"].as_str().unwrap(), w["fix"].as_str().unwrap());
    for m in message_has {
        assert!(message.contains(m), "`{code}` message lacks {m:?}: {message}");
    }
    for f in fix_has {
        assert!(fix.contains(f), "`{code}` fix lacks {f:?}: {fix}");
    }
    assert_eq!(w.as_object().unwrap().keys().collect::<Vec<_>>(), ["code", "fix", "message"]);

    // The summary: at the top (before the inputs table) and again at the bottom (after the outputs).
    let tag = format!("[{code}] {message}");
    let first = run.stderr.find(&tag).unwrap_or_else(|| panic!("stderr lacks {tag:?}:\n{}", run.stderr));
    let last = run.stderr.rfind(&tag).unwrap();
    assert!(first < run.stderr.find("Counts reconcile").unwrap(), "not at the top:\n{}", run.stderr);
    assert!(last > run.stderr.rfind("report: ").unwrap(), "not at the bottom:\n{}", run.stderr);
    assert!(run.stderr.contains(&format!("fix: {fix}")), "{}", run.stderr);

    // The HTML report: a warnings section before the figures.
    let section = run.html.find("<section id=\"warnings\">").expect("a warnings section");
    assert!(section < run.html.find("id=\"not-exposed\"").unwrap() && section < run.html.find("class=\"stats\"").unwrap());
    assert!(run.html.contains(&format!("data-code=\"{code}\"")), "html lacks {code}");

    // Nothing is called "not exposed" while a warning applies.
    assert_eq!(run.report["exposure"]["held_not_exposed"], serde_json::json!([]));
    let blocked = run.report["exposure"]["not_exposed_blocked_by"].as_str().expect("blocked");
    assert!(blocked.contains(code), "{blocked}");
    let statement: Vec<&str> = run.report["legal"]["statement"]["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let statement = statement.join("\n");
    assert!(!statement.contains("NOT exposed"), "{statement}");
    // Where classes held were reached by no access, they "cannot be ruled out", naming the warning.
    if statement.contains("ruled out") {
        assert!(statement.contains(code), "{statement}");
    }
    assert!(!run.stderr.contains("NOT exposed (held"), "{}", run.stderr);
    w
}

/// `--strict` on a fresh copy made by `make`: exit 4, the warning named, nothing written.
fn assert_strict_fails(make: impl Fn() -> (tempfile::TempDir, PathBuf), names: &str) {
    let (_tmp, dir) = make();
    let out = bin().arg("analyze").arg(dir.join("case.toml")).arg("--strict").arg("--html").arg(dir.join("report.html")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(names), "--strict does not name {names:?}: {stderr}");
    for f in ["affected_customers.csv", "report.json", "rejects.csv", "manifest.json", "report.html", "affected_people.csv"] {
        assert!(!dir.join(f).exists(), "{f} written under --strict");
    }
}

#[test]
fn the_clean_fixture_has_no_warning_and_may_say_not_exposed() {
    let (_tmp, dir) = clean_case();
    let run = analyze(&dir, &[]);
    assert_eq!(run.report["warnings"], serde_json::json!([]));
    assert!(!run.stderr.contains("WARNING"), "{}", run.stderr);
    assert!(!run.html.contains("id=\"warnings\""));
    assert_eq!(run.report["exposure"]["not_exposed_blocked_by"], Value::Null);
    let (_tmp2, dir2) = clean_case();
    bin().arg("analyze").arg(dir2.join("case.toml")).arg("--strict").assert().success();
}

fn typo_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = clean_case();
    edit(&dir.join("case.toml"), |t| t.replace("actors = [\"k.walsh\", \"rpt_k.walsh\"]", "actors = [\"K.Walsh\", \"rpt_k.walsh\"]"));
    (tmp, dir)
}

#[test]
fn an_actor_in_no_log_is_warned_with_near_names_and_their_records() {
    // Spelled right, the actor's records: every record of k.walsh in the three logs.
    let (_tmp, right) = clean_case();
    let records = analyze(&right, &[]).report["records_by_actor"]["k.walsh"].as_u64().unwrap();
    assert_eq!(records, 12, "portal, PostgreSQL and CRM records of k.walsh, used or not");

    let (_tmp, dir) = typo_case();
    let run = analyze(&dir, &[]);
    let w = assert_warned(
        &run,
        "actor_not_in_logs",
        &["actor `K.Walsh` appears in no log", "upper/lower case included"],
        &[&format!("`k.walsh` ({records} record(s); differs only in upper/lower case)"), "`k.walshe` (1 record(s); one character different)", "`actors` in [case]"],
    );
    // Closest first: the case-only match before the colleague one letter longer.
    let fix = w["fix"].as_str().unwrap();
    assert!(fix.find("`k.walsh`").unwrap() < fix.find("`k.walshe`").unwrap(), "{fix}");
    assert_eq!(warnings_of(&run).len(), 1, "{}", run.report["warnings"]);
    // The other actor's customers are still listed; the typo's are not.
    assert!(read_csv(&dir.join("affected_customers.csv")).len() < read_csv(&right.join("affected_customers.csv")).len());
    assert_strict_fails(typo_case, "[actor_not_in_logs] actor `K.Walsh` appears in no log");
}

fn empty_customers_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = clean_case();
    let header = std::fs::read_to_string(dir.join("customers.csv")).unwrap().lines().next().unwrap().to_string();
    std::fs::write(dir.join("customers.csv"), format!("{header}\n")).unwrap();
    (tmp, dir)
}

#[test]
fn an_empty_customers_table_is_warned() {
    let (_tmp, dir) = empty_customers_case();
    let run = analyze(&dir, &[]);
    assert_warned(&run, "customers_table_empty", &["`customers.csv` has no rows"], &["`path` in [customers]"]);
    assert_eq!(run.report["totals"]["customers_affected"], 0);
    assert!(warnings_of(&run).iter().all(|w| w["code"] != "keys_match_no_row"), "the empty table says it all");
    assert_strict_fails(empty_customers_case, "[customers_table_empty]");
}

fn wrong_key_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = clean_case();
    edit(&dir.join("case.toml"), |t| t.replacen("key = \"customer_id\"", "key = \"email\"", 1));
    (tmp, dir)
}

#[test]
fn a_wrong_key_column_is_warned_when_most_touched_keys_match_no_row() {
    let (_tmp, dir) = wrong_key_case();
    let run = analyze(&dir, &[]);
    // The keys the logs named (C001 to C004) match no email; the replayed query's rows (found by the table's
    // own key, whatever it is) still match, so not all touched keys are unmatched.
    let customers = &run.report["records_touched"][0];
    assert_eq!((customers["keys_named"].as_u64(), customers["keys_named_unresolved"].as_u64()), (Some(4), Some(4)), "{customers}");
    assert!(customers["keys_found"].as_u64().unwrap() > 0);
    assert_warned(
        &run,
        "keys_match_no_row",
        &["4 of 4 `customers` key(s) the logs named (directly or through a linked table's customer column) match no row of `customers.csv` (key column `email`)", "probably wrong"],
        &["the keys the logs named are in column `customer_id` (4 of 4 looked up): set `key = \"customer_id\"` in [customers]"],
    );
    assert_strict_fails(wrong_key_case, "[keys_match_no_row]");

    // Another export of the table, whose keys the logs never name: no column to suggest.
    let (_tmp, dir) = clean_case();
    edit(&dir.join("customers.csv"), |t| t.replace("\nC00", "\nK00"));
    let run = analyze(&dir, &[]);
    assert_warned(&run, "keys_match_no_row", &["5 of 5 `customers` key(s) the logs named"], &["no column of the table holds most of them", "`path` is the right table"]);
}

#[test]
fn an_actors_records_rejected_for_a_missing_zone_are_counted_and_the_fix_named() {
    let (_tmp, dir) = zoneless_case();
    let run = analyze(&dir, &[]);
    assert_warned(
        &run,
        "actor_records_rejected",
        &["1 record(s) of actor `k.walsh` in source `crm` were rejected (1 of them because their time has no zone)", "logs/crm_audit.csv:6"],
        &["`time_zone = \"UTC\"`", "[[logs]] entry `crm`", "`--assume-tz ZONE`"],
    );
    assert_eq!(run.report["rejected_by_actor"][0]["records"], 1);
    assert_eq!(run.report["rejected_by_actor"][0]["missing_zone"], 1);
    // Coverage counts the actor's rejected record (it said "actors 0").
    let crm = run.report["coverage"]["sources"].as_array().unwrap().iter().find(|s| s["source"] == "crm").unwrap();
    let rejected = crm["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == "rejected").unwrap();
    assert_eq!(rejected["actor_events"], 1);
    assert_eq!(rejected["actor_lines"][0]["line"], 6);
    assert_eq!(rejected["actor_lines"][0]["actor"], "k.walsh");
    assert!(run.stderr.contains("Blind: crm rejected: 1 by the actors at logs/crm_audit.csv:6"), "{}", run.stderr);

    // The fix works: with the zone the row is read and C005's CRM view is on the list, with no warning.
    let c005 = |dir: &Path| read_csv(&dir.join("affected_customers.csv")).into_iter().find(|r| r["customer_id"] == "C005").unwrap();
    assert_eq!(c005(&dir)["sources"], "supportdb");
    let (_tmp2, fixed) = zoneless_case();
    let run = analyze(&fixed, &["--assume-tz", "UTC"]);
    assert_eq!(run.report["warnings"], serde_json::json!([]));
    assert_eq!(c005(&fixed)["sources"], "crm;supportdb");

    assert_strict_fails(zoneless_case, "1 record(s) rejected ([actor_records_rejected] the actors': k.walsh 1), first: logs/crm_audit.csv:6");
}

fn duplicates_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = clean_case();
    let mut text = std::fs::read_to_string(dir.join("customers.csv")).unwrap();
    text.push_str("C006,Eve Twin,eve2@example.com,+49 30 901821,DE,BE,government,,\n");
    text.push_str("C001,Ann Other,ann2@example.com,+1 202-555-0111,US,VT,consumer,,\n");
    std::fs::write(dir.join("customers.csv"), text).unwrap();
    (tmp, dir)
}

#[test]
fn duplicate_customer_keys_touched_or_not_are_counted_listed_and_warned() {
    let (_tmp, dir) = duplicates_case();
    let run = analyze(&dir, &[]);
    assert_warned(&run, "duplicate_customer_keys", &["2 key(s) of the customers table are on more than one row (4 rows), 1 of them touched"], &["customer_key_duplicates", "`customer_id`"]);
    let d = &run.report["customer_key_duplicates"];
    assert_eq!((d["keys"].as_u64(), d["rows"].as_u64(), d["touched"].as_u64()), (Some(2), Some(4), Some(1)));
    assert_eq!(
        d["listed"],
        serde_json::json!([{"key": "C001", "lines": [2, 10], "touched": true}, {"key": "C006", "lines": [8, 9], "touched": false}])
    );
    // Both rows of the touched key are on the list; the untouched one's are not.
    let ids: Vec<String> = read_csv(&dir.join("affected_customers.csv")).into_iter().map(|r| r["customer_id"].clone()).collect();
    assert_eq!(ids.iter().filter(|i| *i == "C001").count(), 2);
    assert!(!ids.contains(&"C006".to_string()));
    assert_strict_fails(duplicates_case, "[duplicate_customer_keys]");

    // --redact keeps the counts and drops the keys.
    let (_tmp, dir) = duplicates_case();
    bin().arg("analyze").arg(dir.join("case.toml")).arg("--redact").assert().success();
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["customer_key_duplicates"]["keys"], 2);
    assert_eq!(report["customer_key_duplicates"]["listed"], serde_json::json!([]));
}

fn unknown_field_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = clean_case();
    edit(&dir.join("logs/crm_audit.csv"), |t| t.replace("C001,full_name|email,success", "C001,full_name|nickname,success"));
    (tmp, dir)
}

#[test]
fn a_field_list_entry_naming_no_column_is_warned() {
    let (_tmp, dir) = unknown_field_case();
    let run = analyze(&dir, &[]);
    assert_warned(
        &run,
        "unknown_fields",
        &["name 1 field(s) that are no column of `customers`: `nickname` (1 time(s))"],
        &["the columns of `customers` are: customer_id, full_name, email"],
    );
    assert_eq!(run.report["unknown_fields"]["customers.nickname"], 1);
    assert_strict_fails(unknown_field_case, "[unknown_fields]");
}
