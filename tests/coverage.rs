//! End-to-end: log coverage, gaps, blind spots and strict mode, on the fixtures in
//! testdata/cases/coverage/.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/coverage").join(name)
}

/// Runs `analyze` with outputs in a temporary folder; returns the report and stderr.
fn analyze(case: &Path, extra: &[&str]) -> (Value, String) {
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let assert = Command::cargo_bin("breachscope")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("analyze")
        .arg(case)
        .arg("--out")
        .arg(out.path().join("list.csv"))
        .arg("--report")
        .arg(&report)
        .arg("--rejects")
        .arg(out.path().join("rejects.csv"))
        .arg("--people")
        .arg(out.path().join("people.csv"))
        .arg("--jurisdictions")
        .arg(out.path().join("jurisdictions.csv"))
        .arg("--actions")
        .arg(out.path().join("actions.csv"))
        .args(extra)
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (json, stderr)
}

fn source<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["coverage"]["sources"].as_array().unwrap().iter().find(|s| s["source"] == name).unwrap_or_else(|| panic!("no source {name}"))
}

fn gaps(source: &Value) -> Vec<(String, String, String)> {
    source["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["kind"].as_str().unwrap().to_string(), g["start"].as_str().unwrap().to_string(), g["end"].as_str().unwrap().to_string()))
        .collect()
}

/// A copy of the gaps case with other `[case]` settings, written into `dir` with absolute paths.
fn gaps_case_with(dir: &Path, case_keys: &str) -> PathBuf {
    let base = fixture("gaps");
    let text = std::fs::read_to_string(base.join("case.toml")).unwrap();
    let text = text
        .replace("min_gap = \"2h\"", case_keys)
        .replace("path = \"customers.csv\"", &format!("path = {:?}", base.join("customers.csv").to_string_lossy()))
        .replace("path = \"logs/portal-*.log\"", &format!("path = {:?}", base.join("logs/portal-*.log").to_string_lossy()));
    let path = dir.join("case.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn missing_weekday_and_window_start_are_gaps_quiet_weekends_are_not() {
    let (report, stderr) = analyze(&fixture("gaps").join("case.toml"), &[]);
    let portal = source(&report, "portal");
    let found = gaps(portal);
    assert_eq!(found.len(), 2, "{found:?}");
    // The window opens five days before the first line (Wednesday to Monday morning).
    assert_eq!(found[0], ("window_start".into(), "2019-05-29T00:00:00Z".into(), "2019-06-03T08:14:08Z".into()));
    // Wednesday 2019-06-12 is missing: from Tuesday's last request to Thursday's first.
    assert_eq!(found[1], ("interior".into(), "2019-06-11T17:28:49Z".into(), "2019-06-13T08:06:53Z".into()));
    assert!(portal["gaps"][1]["expected_events"].as_f64().unwrap() > 20.0);
    // Both weekends and every night pass without a gap; the window's end (Friday night) is covered.
    let missing = portal["missing_seconds"].as_i64().unwrap();
    assert_eq!(missing, portal["gaps"].as_array().unwrap().iter().map(|g| g["duration_seconds"].as_i64().unwrap()).sum::<i64>());
    let share = portal["covered_share"].as_f64().unwrap();
    assert!((0.70..0.72).contains(&share), "{share}");
    // Per file: first and last event, events per day (every account).
    let files = portal["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["first_event"], "2019-06-03T08:14:08Z");
    assert_eq!(files[0]["events_per_day"]["2019-06-03"], 30);
    assert_eq!(files[1]["events_per_day"].get("2019-06-12"), None);
    assert_eq!(portal["events_per_day"]["2019-06-11"], 30);
    assert_eq!(portal["events"], 420);
    // Web requests without an account.
    let no_account = portal["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == "no_account").unwrap();
    assert_eq!(no_account["records"], 14);

    let coverage = &report["coverage"];
    assert_eq!(coverage["mode"], "report");
    assert_eq!(coverage["findings"].as_array().unwrap().len(), 0);
    assert_eq!(coverage["records_on_gapped_sources"], 3);
    assert!(coverage["legal_summary"].as_str().unwrap().starts_with("The logs cover 71.0 % of the window"));
    assert!(stderr.contains("For counsel: The logs cover 71.0 %"), "{stderr}");
    assert!(stderr.contains("window start") && stderr.contains("2019-06-11T17:28:49Z"), "{stderr}");
    // Without strict mode the tables' unreached classes are still called not exposed.
    assert_eq!(report["exposure"]["held_not_exposed"], serde_json::json!(["geographic_locations"]));
}

#[test]
fn strict_coverage_lists_the_actors_activity_around_each_gap() {
    let (report, stderr) = analyze(&fixture("gaps").join("case.toml"), &["--strict-coverage"]);
    let findings = report["coverage"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["kind"], "window_start");
    assert_eq!(findings[0]["actor_last_before"], Value::Null);
    assert_eq!(findings[0]["actor_first_after"]["time"], "2019-06-04T09:41:36Z");
    let day = &findings[1];
    assert_eq!(day["start"], "2019-06-11T17:28:49Z");
    assert_eq!(day["actor_last_before"]["time"], "2019-06-11T14:23:49Z");
    assert_eq!(day["actor_last_before"]["file"], "logs/portal-2019-06-b.log");
    assert_eq!(day["actor_last_before"]["line"], 50);
    assert_eq!(day["actor_first_after"]["time"], "2019-06-13T10:19:46Z");
    assert_eq!(day["actor_events_during"], 0);
    // Nothing can be called "not exposed" while a gap cannot be ruled out.
    assert_eq!(report["exposure"]["held_not_exposed"], serde_json::json!([]));
    assert!(report["exposure"]["not_exposed_blocked_by"].as_str().unwrap().contains("strict coverage"));
    assert!(stderr.contains("STRICT COVERAGE: 2 gap(s)"), "{stderr}");

    // The same from the case file, with a longer minimum gap: the missing day (38h) is no longer a gap.
    let dir = tempfile::tempdir().unwrap();
    let case = gaps_case_with(dir.path(), "min_gap = \"2d\"\ncoverage = \"strict\"");
    let (report, _) = analyze(&case, &[]);
    assert_eq!(report["coverage"]["mode"], "strict");
    assert_eq!(report["coverage"]["min_gap"], "2d");
    let found = gaps(source(&report, "portal"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "window_start");
    assert_eq!(report["coverage"]["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn strict_coverage_counts_the_actors_events_in_other_sources_during_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    // A CRM audit export showing the actor at work on the Wednesday the portal log lost.
    std::fs::write(
        dir.path().join("crm.csv"),
        "event_time,user_name,entity,entity_id\n\
2019-06-12T10:00:00Z,k.walsh,Customer,C010\n\
2019-06-12T10:20:00Z,j.smith,Customer,C011\n\
2019-06-12T11:00:00Z,k.walsh,Customer,C012\n",
    )
    .unwrap();
    let case = gaps_case_with(dir.path(), "min_gap = \"2h\"");
    let mut text = std::fs::read_to_string(&case).unwrap();
    text.push_str(&format!(
        "\n[[logs]]\nname = \"crm\"\npath = {:?}\nformat = \"csv\"\n\n[logs.map]\ntime = \"event_time\"\nactor = \"user_name\"\ntable = \"entity\"\nrecord = \"entity_id\"\n\n[logs.tables]\nCustomer = \"customers\"\n",
        dir.path().join("crm.csv").to_string_lossy()
    ));
    std::fs::write(&case, text).unwrap();
    let (report, _) = analyze(&case, &["--strict-coverage"]);
    let findings = report["coverage"]["findings"].as_array().unwrap();
    let day = findings.iter().find(|f| f["source"] == "portal" && f["kind"] == "interior").unwrap();
    assert_eq!(day["actor_events_during"], 2);
    assert_eq!(day["actor_last_before"]["time"], "2019-06-11T14:23:49Z");
    // The CRM covers a few hours of the lost Wednesday: together the logs cover more than the portal alone,
    // and every source together less than either.
    let coverage = &report["coverage"];
    let portal = source(&report, "portal")["covered_share"].as_f64().unwrap();
    let crm = source(&report, "crm")["covered_share"].as_f64().unwrap();
    let (any, all) = (coverage["covered_share_any"].as_f64().unwrap(), coverage["covered_share_all"].as_f64().unwrap());
    assert!(any > portal && any > crm, "{any} {portal} {crm}");
    assert!(all <= portal.min(crm));
    // The customers the actor reached through the portal (C004, C012, C019) and the CRM (C010, C012)
    // rest on sources with gaps.
    assert_eq!(coverage["records_on_gapped_sources"], 4);
}

#[test]
fn not_logged_statements_by_the_actor_are_blind_spots_with_their_lines() {
    let (report, stderr) = analyze(&fixture("blind").join("case.toml"), &[]);
    let db = source(&report, "supportdb");
    let blind = |kind: &str| db["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == kind).unwrap().clone();
    let lines = |b: &Value| b["actor_lines"].as_array().unwrap().iter().map(|l| l["line"].as_u64().unwrap()).collect::<Vec<_>>();

    // <not logged> (line 1) and <previously logged> in a new session (line 4) by the actor; another
    // account's (line 7) and the actor's outside the window (line 9) count as records only.
    let not_logged = blind("statement_not_logged");
    assert_eq!(not_logged["records"], 4);
    assert_eq!(not_logged["actor_events"], 2);
    assert_eq!(lines(&not_logged), vec![1, 4]);
    assert_eq!(not_logged["actor_lines"][0]["actor"], "rpt_k.walsh");
    assert_eq!(not_logged["actor_lines"][0]["file"], "logs/postgresql-2019-06-05.csv");
    assert_eq!(lines(&blind("parameters_not_logged")), vec![2]);
    assert_eq!(lines(&blind("parameters_missing")), vec![3]);
    let whole = blind("whole_table_read");
    assert_eq!((whole["records"].clone(), lines(&whole)), (Value::Null, vec![5]));
    assert_eq!(blind("rejected")["records"], 1);

    let portal = source(&report, "portal");
    let no_account = portal["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == "no_account").unwrap();
    assert_eq!((no_account["records"].as_u64(), no_account["actor_events"].as_u64()), (Some(2), Some(0)));

    assert!(
        stderr.contains("Blind: supportdb statement_not_logged: 2 by the actors at logs/postgresql-2019-06-05.csv:1, logs/postgresql-2019-06-05.csv:4"),
        "{stderr}"
    );
}

#[test]
fn bad_coverage_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let case = gaps_case_with(dir.path(), "min_gap = \"30m\"");
    Command::cargo_bin("breachscope")
        .unwrap()
        .arg("analyze")
        .arg(&case)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("min_gap").and(predicate::str::contains("shorter than 1h")));
    let case = gaps_case_with(dir.path(), "coverage = \"loose\"");
    Command::cargo_bin("breachscope")
        .unwrap()
        .arg("analyze")
        .arg(&case)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("coverage = `loose`"));
    Command::cargo_bin("breachscope")
        .unwrap()
        .arg("analyze")
        .arg(fixture("gaps").join("case.toml"))
        .args(["--min-gap", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--min-gap"));
    assert!(!dir.path().join("report.json").exists(), "nothing is written on bad input");
}

#[test]
fn timeline_svg_is_well_formed_and_shows_the_gaps() {
    use breachscope::case::{Case, Overrides};
    use breachscope::ui::Ui;
    let case = Case::load(&fixture("gaps").join("case.toml"), &Overrides::default()).unwrap();
    let mut rejects = Vec::new();
    let analysis = breachscope::analysis::analyze(&case, &Default::default(), &mut rejects, &Ui { quiet: true, color: false, progress: false }).unwrap();
    let svg = breachscope::coverage::svg::timeline(&analysis.coverage);

    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(!svg.contains("<script") && !svg.contains("href"), "no script, no link");
    let rects: Vec<_> = root.descendants().filter(|n| n.has_tag_name("rect")).collect();
    let gap_rects: Vec<_> = rects.iter().filter(|r| r.attribute("class") == Some("gap")).collect();
    // Two gaps in the portal row, the same two in the "any source" row.
    assert_eq!(gap_rects.len(), 4);
    let covered = rects.iter().find(|r| r.attribute("class") == Some("covered")).unwrap();
    let (x0, full) = (covered.attribute("x").unwrap().parse::<f64>().unwrap(), covered.attribute("width").unwrap().parse::<f64>().unwrap());
    // The window-start gap starts at the window's left edge and spans 5 days 8 hours of the 24 days.
    let first = gap_rects[0];
    assert_eq!(first.attribute("x").unwrap().parse::<f64>().unwrap(), x0);
    let width = first.attribute("width").unwrap().parse::<f64>().unwrap();
    let expected = full * (5.0 * 24.0 + 8.0 + 14.0 / 60.0) / (24.0 * 24.0);
    assert!((width - expected).abs() < 0.2, "{width} vs {expected}");
    let tip = first.children().find(|n| n.has_tag_name("title")).unwrap().text().unwrap();
    assert!(tip.contains("2019-05-29T00:00:00Z") && tip.contains("2019-06-03T08:14:08Z"), "{tip}");
    // The missing Wednesday sits between.
    let second_x = gap_rects[1].attribute("x").unwrap().parse::<f64>().unwrap();
    assert!(second_x > x0 + width && second_x < x0 + full);
    let labels: Vec<&str> = root.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    assert!(labels.contains(&"portal") && labels.contains(&"any source"), "{labels:?}");
}
