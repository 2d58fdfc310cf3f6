//! End-to-end: `suspects`, `profile` and the containment check, on the `peers` fixture and on generated
//! cases with a planted insider among many accounts.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut c = Command::cargo_bin("breachscope").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/peers")
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A generated case: 2,000 customers, the insider (`k.walsh` + `rpt_k.walsh`) reaching 200 of them, four
/// colleagues, an app account and ten extra agents, `agent01` four times as busy as the rest.
fn generated(dir: &Path, events: usize) {
    bin()
        .args(["generate", dir.to_str().unwrap(), "--customers", "2000", "--affected", "200", "--agents", "10", "--events"])
        .arg(events.to_string())
        .assert()
        .success();
}

#[test]
fn planted_insider_ranks_first_from_fifty_reported_victims() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), 8000);
    let case = dir.path().join("case.toml");
    let victims = dir.path().join("victims.csv");
    assert_eq!(std::fs::read_to_string(&victims).unwrap().lines().count(), 51, "50 victims and a header");

    // The two accounts apart: the portal account alone already stands out.
    let out = bin().args(["suspects", case.to_str().unwrap(), "--victims", victims.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0], ["actor", "victims_touched", "victim_share", "customers_touched", "expected", "lift", "p_value"]);
    assert_eq!(rows[1][0], "k.walsh");

    // Grouped under one person, every victim is covered.
    let out = bin()
        .args(["suspects", case.to_str().unwrap(), "--victims", victims.to_str().unwrap(), "--alias", "rpt_k.walsh=k.walsh"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[1][0], "k.walsh");
    assert_eq!(rows[1][1], "50", "{rows:?}");
    assert_eq!(rows[1][2], "1.0000");
    assert_eq!(rows[1][3], "200");
    let p: f64 = rows[1][6].parse().unwrap();
    assert!(p < 1e-40, "{p}");
    assert!(!rows.iter().any(|r| r[0] == "rpt_k.walsh"), "grouped accounts are not listed on their own");

    // The busy honest agent touches most victims, but no more than chance: not a suspect.
    let busy = rows.iter().position(|r| r[0] == "agent01").expect("agent01 ranked");
    assert!(busy > 3, "busy agent ranked {busy}: {rows:?}");
    let busy_customers: usize = rows[busy][3].parse().unwrap();
    let busy_victims: usize = rows[busy][1].parse().unwrap();
    assert!(busy_customers > 1000 && busy_victims > 25, "{:?}", rows[busy]);
    assert!(rows[busy][6].parse::<f64>().unwrap() > 0.05);
    // Every other account is unremarkable.
    assert!(rows[2..].iter().all(|r| r[6].parse::<f64>().unwrap() > 0.001), "{rows:?}");

    assert!(stderr.contains("Victims: 50 customer(s) from 50 row(s) (50 by email)"), "{stderr}");
    assert!(stderr.contains("Fewest accounts covering most victims"), "{stderr}");
    assert!(stderr.contains("k.walsh (+50 → 50)"), "{stderr}");
    assert!(!stderr.contains("agent01 (+"), "{stderr}");
}

#[test]
fn suspects_writes_out_file_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ranking.csv");
    let args = |force: bool| {
        let mut c = bin();
        c.arg("suspects").arg(peers().join("case.toml")).arg("--victims").arg(peers().join("victims.csv")).arg("--out").arg(&out);
        if force {
            c.arg("--force");
        }
        c
    };
    args(false).assert().success().stdout("");
    let text = std::fs::read_to_string(&out).unwrap();
    let rows = csv_rows(&text);
    // [people] groups x.insider and rpt_x; phones typed as (202) 555-0002 match +1 202-555-0002.
    assert_eq!(rows[1][..4], ["Xavier Insider", "6", "1.0000", "33"]);
    args(false).assert().code(2).stderr(predicate::str::contains("already exists"));
    args(true).assert().success();
}

#[test]
fn victims_matching_by_phone_reports_unmatched_rows() {
    bin()
        .arg("suspects")
        .arg(peers().join("case.toml"))
        .arg("--victims")
        .arg(peers().join("victims.csv"))
        .assert()
        .success()
        .stderr(predicate::str::contains("6 customer(s) from 7 row(s) (6 by phone)"))
        .stderr(predicate::str::contains("1 row(s) matched no customer and are left out: line 8: 202 555 9999"));
}

#[test]
fn bad_victims_and_aliases_are_refused() {
    let case = peers().join("case.toml");
    let run = |victims: &str, extra: &[&str]| {
        let mut c = bin();
        c.arg("suspects").arg(&case).arg("--victims").arg(peers().join(victims)).args(extra);
        c.assert().code(2)
    };
    run("victims_no_column.csv", &[]).stderr(predicate::str::contains("victims_no_column.csv: no usable column: need a customer key"));
    run("victims_bad_date.csv", &[]).stderr(predicate::str::contains("victims_bad_date.csv:3:2: report date"));
    run("missing.csv", &[]).stderr(predicate::str::contains("missing.csv"));
    run("victims.csv", &["--alias", "nobody=X"]).stderr(predicate::str::contains("unknown account `nobody`"));
    run("victims.csv", &["--alias", "a1"]).stderr(predicate::str::contains("expected ACCOUNT=PERSON"));
    run("victims.csv", &["--alias", "rpt_x=Someone Else"]).stderr(predicate::str::contains("already belongs to `Xavier Insider`"));
}

#[test]
fn no_victim_matching_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let victims = dir.path().join("v.csv");
    std::fs::write(&victims, "email\nnobody@example.com\n").unwrap();
    bin()
        .arg("suspects")
        .arg(peers().join("case.toml"))
        .arg("--victims")
        .arg(&victims)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none of its 1 row(s) matched a customer"));
}

#[test]
fn profile_flags_the_insider_against_peers_with_reasons() {
    let out = bin().arg("profile").arg(peers().join("case.toml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(
        rows[0],
        ["actor", "accounts", "month", "customers_touched", "events", "after_hours_share", "bulk_operations", "unassigned_customers", "flags"]
    );
    let x = rows.iter().find(|r| r[0] == "Xavier Insider" && r[2] == "2019-07").unwrap();
    assert_eq!(x[1], "rpt_x;x.insider");
    assert_eq!(x[3..8], ["32", "32", "1.0000", "1", "32"]);
    for reason in ["customers_touched 32 vs peer median 8", "after_hours_share 1.00 vs peer median 0.00", "bulk_operations 1 vs peer median 0", "unassigned_customers 32 vs peer median 0"] {
        assert!(x[8].contains(reason), "{reason}: {}", x[8]);
    }
    let peers_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[0].starts_with('a') && r[0].len() == 2).collect();
    assert_eq!(peers_rows.len(), 5);
    for r in peers_rows {
        assert_eq!(r[3..9], ["8", "8", "0.0000", "0", "0", ""], "{r:?}");
    }
    assert!(String::from_utf8(out.stderr).unwrap().contains("1 row(s) flagged"));
}

/// The demo (the committed example): colleagues work office hours in Berlin (`[profile] time_zone`), the insider
/// mostly in the evening and at weekends. `profile` shows it: the insider's two accounts have the highest
/// after-hours shares every month, and grouped under one person the share is flagged against the peers; `suspects`
/// still ranks k.walsh first.
#[test]
fn profile_on_the_demo_shows_the_insiders_after_hours_work() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/support-insider/case.toml");
    let out = bin().arg("profile").arg(&case).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    let months = ["2019-06", "2019-07", "2019-08", "2019-09"];
    for month in months {
        let mut by_share: Vec<(&str, f64)> = rows[1..].iter().filter(|r| r[2] == month).map(|r| (r[0].as_str(), r[5].parse::<f64>().unwrap())).collect();
        by_share.sort_by(|a, b| b.1.total_cmp(&a.1));
        assert_eq!(by_share.len(), 7, "{month}: {by_share:?}");
        let top: std::collections::BTreeSet<&str> = by_share[..2].iter().map(|(a, _)| *a).collect();
        assert_eq!(top, ["k.walsh", "rpt_k.walsh"].into(), "{month}: {by_share:?}");
        assert!(by_share[..2].iter().all(|(_, s)| *s >= 0.7) && by_share[2..].iter().all(|(_, s)| *s == 0.0), "{month}: {by_share:?}");
    }
    let out = bin().arg("profile").arg(&case).args(["--alias", "rpt_k.walsh=k.walsh"]).output().unwrap();
    assert!(out.status.success());
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    for month in months {
        let walsh = rows.iter().find(|r| r[0] == "k.walsh" && r[2] == month).unwrap();
        assert!(walsh[8].contains("after_hours_share") && walsh[8].contains("vs peer median 0.00"), "{month}: {walsh:?}");
        let ranked_first = rows[1..].iter().filter(|r| r[2] == month).max_by(|a, b| a[5].parse::<f64>().unwrap().total_cmp(&b[5].parse::<f64>().unwrap())).unwrap();
        assert_eq!(ranked_first[0], "k.walsh");
        assert!(rows.iter().filter(|r| r[2] == month && r[0] != "k.walsh").all(|r| !r[8].contains("after_hours_share")), "{month}");
    }
    let victims = case.with_file_name("victims.csv");
    let out = bin().arg("suspects").arg(&case).arg("--victims").arg(&victims).output().unwrap();
    assert!(out.status.success());
    assert_eq!(csv_rows(&String::from_utf8(out.stdout).unwrap())[1][0], "k.walsh");
}

#[test]
fn profile_flags_the_planted_insider_in_a_generated_case() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), 600);
    let out = bin().arg("profile").arg(dir.path().join("case.toml")).output().unwrap();
    assert!(out.status.success());
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    let flagged: Vec<&String> = rows.iter().filter(|r| r[0] == "k.walsh" && r[8].contains("customers_touched")).map(|r| &r[2]).collect();
    assert!(flagged.len() >= 2, "k.walsh flagged in {flagged:?}");
}

#[test]
fn bad_profile_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["customers.csv", "tickets.csv"] {
        std::fs::copy(peers().join(f), dir.path().join(f)).unwrap();
    }
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    std::fs::copy(peers().join("logs/crm_audit.csv"), dir.path().join("logs/crm_audit.csv")).unwrap();
    let text = std::fs::read_to_string(peers().join("case.toml")).unwrap();
    for (from, to, message) in [
        ("work_hours = \"08:00-18:00\"", "work_hours = \"8 to 6\"", "[profile] work_hours `8 to 6`"),
        ("assignment = \"tickets.assignee\"", "assignment = \"tickets.owner\"", "[profile] assignment `tickets.owner` is not"),
        ("utc_offset = \"+02:00\"", "utc_offset = \"CEST\"", "[profile] utc_offset `CEST`"),
        ("disabled_at = \"2019-08-01T00:00:00Z\"", "disabled_at = \"yesterday\"", "disabled_at:"),
        ("\"Xavier Insider\" = [\"x.insider\", \"rpt_x\"]", "\"X\" = [\"x.insider\"]\n\"Y\" = [\"x.insider\"]", "listed under both"),
    ] {
        assert!(text.contains(from), "{from}");
        let case = dir.path().join("case.toml");
        std::fs::write(&case, text.replace(from, to)).unwrap();
        bin().arg("profile").arg(&case).assert().code(2).stderr(predicate::str::contains(message));
    }
}

#[test]
fn access_after_the_account_was_disabled_is_a_loud_finding() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let run = |extra: &[&str]| {
        bin()
            .arg("analyze")
            .arg(peers().join("case.toml"))
            .arg("--out")
            .arg(dir.path().join("list.csv"))
            .arg("--report")
            .arg(&report)
            .arg("--rejects")
            .arg(dir.path().join("rejects.csv"))
            .arg("--people")
            .arg(dir.path().join("people.csv"))
            .arg("--jurisdictions")
            .arg(dir.path().join("jurisdictions.csv"))
            .arg("--actions")
            .arg(dir.path().join("actions.csv"))
            .arg("--force")
            .args(extra)
            .assert()
            .success()
    };
    run(&[]).stderr(predicate::str::contains(
        "!! CONTAINMENT FAILED: the account was still used after it was disabled: 1 successful access(es) by the actors after 2019-08-01T00:00:00Z",
    ));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let c = &json["containment"];
    assert_eq!(c["contained"], false);
    assert_eq!(c["failed_attempts_after_disabled"], 1);
    let after = c["accesses_after_disabled"].as_array().unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["actor"], "x.insider");
    assert_eq!(after[0]["time"], "2019-08-03T03:00:00Z");
    assert!(after[0]["request"].as_str().unwrap().contains("C034"));
    assert_eq!(json["totals"]["accesses_after_disabled"], 1);

    // Disabled later: contained.
    run(&["--disabled-at", "2019-08-10"]).stderr(predicate::str::contains("Containment: no successful access by the actors after 2019-08-10T00:00:00Z"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["containment"]["contained"], true);
    assert_eq!(json["containment"]["disabled_at"], "2019-08-10T00:00:00Z");
}

#[test]
fn access_after_disable_counts_even_outside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), 300);
    let report = dir.path().join("r.json");
    bin()
        .arg("analyze")
        .arg(dir.path().join("case.toml"))
        .arg("--report")
        .arg(&report)
        .args(["--disabled-at", "2019-10-01T00:00:00Z", "--quiet"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // The generator's insider comes back ten times in October, after the window ends.
    assert_eq!(json["containment"]["accesses_after_disabled"].as_array().unwrap().len(), 10);
    assert_eq!(json["containment"]["contained"], false);
}

#[test]
fn victims_by_key_then_email_and_only_accesses_before_the_report_count() {
    let dir = tempfile::tempdir().unwrap();
    let victims = dir.path().join("victims.csv");
    // C001: x.insider looked at 23:00 that day, after the report at 12:00; a1 looked at 08:10, before it.
    // C002: by email in capitals (no key given). The last row names nobody.
    std::fs::write(
        &victims,
        "customer_id,email,reported_at\nC001,,2019-07-01T12:00:00Z\n,CARA2@EXAMPLE.COM,2019-07-25T00:00:00+02:00\n,,\n",
    )
    .unwrap();
    let out = bin().arg("suspects").arg(peers().join("case.toml")).arg("--victims").arg(&victims).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("2 customer(s) from 3 row(s) (1 by customer key, 1 by email)"), "{stderr}");
    assert!(stderr.contains("line 4: (empty row)"), "{stderr}");
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    let get = |actor: &str| rows.iter().find(|r| r[0] == actor).unwrap_or_else(|| panic!("{actor} in {rows:?}")).clone();
    assert_eq!(get("Xavier Insider")[1], "1", "C002 only: C001 was looked at after its report");
    assert_eq!(get("a1")[1], "1", "a1 opened C001 before the report");
    assert_eq!(get("a2")[1], "1", "C002 is assigned to a2");
    assert_eq!(get("a3")[1], "0");
}

#[test]
fn generate_says_when_it_writes_fewer_victims_than_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin().args(["generate", "--affected", "10", "--victims", "50"]).arg(dir.path()).assert().success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let written = std::fs::read_to_string(dir.path().join("victims.csv")).unwrap().lines().count() - 1;
    assert!(written < 50, "{written}");
    assert!(stderr.contains(&format!("victims.csv has {written} victim(s), not the 50 asked for")), "{stderr}");
    assert!(stderr.contains("Raise --affected"), "{stderr}");

    // The default asks for what the default case can give: no warning.
    let full = tempfile::tempdir().unwrap();
    bin().arg("generate").arg(full.path()).assert().success().stderr(predicate::str::contains("victims.csv has").not());
}
