//! End-to-end: the legal outputs (affected_people.csv, jurisdictions.csv, the report's `legal` block) on
//! the fixture case in testdata/cases/legal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use crate::common::{copy_dir, read_csv};
use predicates::str::contains;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/cases/legal");

/// A copy of the fixture case in a temporary folder (outputs land beside the case file).
fn case_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let case = dir.path().join("case.toml");
    (dir, case)
}

fn analyze(case: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(case).args(extra).arg("--quiet").assert()
}

fn person<'a>(rows: &'a [BTreeMap<String, String>], customer: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r["customer_ids"].split(';').any(|c| c == customer)).unwrap_or_else(|| panic!("no person with {customer}"))
}

#[test]
fn people_jurisdictions_and_duties() {
    let (dir, case) = case_copy();
    analyze(&case, &[]).success();
    let people = read_csv(&dir.path().join("affected_people.csv"));
    assert_eq!(people.len(), 11, "13 customer rows, two pairs of them one person each");

    // Ann Lee: two rows, one Gmail mailbox (dots, +tag, googlemail.com).
    let ann = person(&people, "C001");
    assert_eq!(ann["customer_ids"], "C001;C002");
    // One mailbox, one number: each written two ways, shown once.
    assert_eq!(ann["email"], "Ann.Lee@gmail.com");
    assert_eq!(ann["phone"], "+1 202-555-0101");
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["jurisdiction"], "US-CA");
    // Name, e-mail, phone and a ticket do not trigger a US state duty.
    assert_eq!(ann["notify"], "not_required");
    assert_eq!(ann["deadline"], "");

    // An SSN typed into a ticket: New York requires notice, 30 days from discovered.
    let fay = person(&people, "C007");
    assert_eq!(fay["notify"], "required");
    assert!(fay["basis"].contains("US-NY: name + social_security_numbers"), "{}", fay["basis"]);
    // A 2019 breach: New York's 30-day limit dates from 2024-12-21, so the law then in force decides.
    assert!(fay["deadline"].starts_with("the most expedient time possible"), "{}", fay["deadline"]);
    assert!(fay["evidence"].contains("found_in tickets.subject[T-3]: government_issued_ids"), "{}", fay["evidence"]);

    // A card number without its code: Massachusetts counts it.
    let gus = person(&people, "C008");
    assert_eq!(gus["notify"], "required");
    assert!(gus["data_classes"].contains("credit_cards"));

    // GDPR and UK GDPR turn on a risk assessment.
    assert_eq!(person(&people, "C004")["jurisdiction"], "DE");
    assert_eq!(person(&people, "C004")["notify"], "assess");
    assert_eq!(person(&people, "C003")["jurisdiction"], "GB");

    // No country: the phone number says GB; nothing at all: unknown, still listed.
    assert_eq!(person(&people, "C005")["jurisdiction"], "GB");
    let eve = person(&people, "C006");
    assert_eq!(eve["jurisdiction"], "unknown");
    assert_eq!(eve["notify"], "assess");

    // A date of birth in a ticket does not trigger Texas.
    let joe = person(&people, "C011");
    assert!(joe["data_classes"].contains("dates_of_birth"));
    assert_eq!(joe["notify"], "not_required");

    // A ticket whose subject the actor did not see is not scanned into exposure.
    let ida = person(&people, "C010");
    assert!(!ida["data_classes"].contains("dates_of_birth"), "{:?}", ida);
    assert!(!ida["data_classes"].contains("government_issued_ids"));

    // One person, two places: decided under both laws, the stronger duty wins.
    let kim = person(&people, "C012");
    assert_eq!(kim["customer_ids"], "C012;C013");
    assert_eq!(kim["jurisdiction"], "GB;US-NY");
    assert_eq!(kim["email"], "kim@example.com");
    // Two numbers in one cell: every part is a phone number, so no apostrophe (issue 17 item 13).
    assert_eq!(kim["phone"], "+1 212-555-0123; 020 7946 0960");
    assert_eq!(kim["notify"], "assess");
    assert!(kim["basis"].contains("UK-GDPR") && kim["basis"].contains("US-NY: no listed data element exposed"), "{}", kim["basis"]);

    // Every row says what it is.
    assert!(people.iter().all(|r| r["note"].contains("not legal advice")));

    let jurisdictions = read_csv(&dir.path().join("jurisdictions.csv"));
    let by: BTreeMap<&str, &BTreeMap<String, String>> = jurisdictions.iter().map(|r| (r["jurisdiction"].as_str(), r)).collect();
    assert_eq!(by["US-NY"]["notify_required"], "1");
    // New York: AG, Department of State and State Police for any resident notified.
    assert_eq!(by["US-NY"]["regulator_notice"], "required");
    // California: AG only above 500 residents notified, and no one is.
    assert_eq!(by["US-CA"]["regulator_notice"], "not_required");
    assert_eq!(by["US-CA"]["regulator_threshold"], "501");
    assert_eq!(by["DE"]["regulator_notice"], "required");
    assert!(by["DE"]["regulator_deadline"].starts_with("2019-10-31T00:00:00Z (72 hours"));
    assert_eq!(by["unknown"]["people"], "1");
    let total: usize = jurisdictions.iter().map(|r| r["people"].parse::<usize>().unwrap()).sum();
    assert_eq!(total, 12, "every person counted in each of their jurisdictions (one person has two)");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let legal = &report["legal"];
    assert_eq!(legal["merges"]["rows_merged"], 2);
    assert_eq!(legal["merges"]["by_reason"]["same e-mail address"], 2);
    assert_eq!(legal["statement"]["segments_not_affected"], serde_json::json!(["government"]));
    assert_eq!(legal["free_text"]["columns_scanned"], serde_json::json!(["tickets.subject"]));
    // Classes found in free text are held (in that column): never "not held" beside "exposed".
    assert_eq!(legal["statement"]["not_held"], serde_json::json!(["bank_account_numbers"]));
    let held = report["exposure"]["held"].as_array().unwrap();
    let passwords = held.iter().find(|h| h["class"] == "passwords").expect("passwords held in free text");
    assert_eq!(passwords["columns"], serde_json::json!(["tickets.subject (free text)"]));
    assert_eq!(passwords["customers_exposed"], 1);
    assert!(legal["note"].as_str().unwrap().contains("not legal advice"));

    // The affected customers list shows the classes found in free text too.
    let customers = read_csv(&dir.path().join("affected_customers.csv"));
    let c008 = customers.iter().find(|r| r["customer_id"] == "C008").unwrap();
    assert!(c008["data_classes"].contains("credit_cards"));
}

#[test]
fn matched_values_never_reach_an_output() {
    let (dir, case) = case_copy();
    let assert = Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(&case).assert().success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let mut texts = vec![stderr];
    for file in ["affected_people.csv", "jurisdictions.csv", "report.json", "affected_customers.csv", "rejects.csv"] {
        texts.push(std::fs::read_to_string(dir.path().join(file)).unwrap());
    }
    for text in &texts {
        for secret in ["4111 1111 1111 1111", "4111111111111111", "123-45-6789", "hunter22", "02/03/1970"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }
    assert!(texts[0].contains("Statement"));
    assert!(texts[0].contains("not legal advice"));
}

#[test]
fn per_record_keeps_rows_and_excel_writes_bom_and_crlf() {
    let (dir, case) = case_copy();
    analyze(&case, &["--per", "record", "--excel"]).success();
    let bytes = std::fs::read(dir.path().join("affected_people.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}person_id,".as_bytes()));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 14, "header + 13 rows, CRLF");
    // The formula in a ticket never reaches a cell unneutralised (it is not output at all here).
    assert!(!text.contains("\n=") && !text.contains(",="));
    let j = std::fs::read(dir.path().join("jurisdictions.csv")).unwrap();
    assert!(j.starts_with("\u{feff}jurisdiction,".as_bytes()));
}

#[test]
fn rules_override_and_malformed_rules() {
    let (dir, case) = case_copy();
    let rules = dir.path().join("my-rules.toml");
    std::fs::write(
        &rules,
        r#"version = "test-1"
[[rules]]
id = "US-CA-strict"
jurisdictions = ["US-CA"]
name = "California, counsel's reading"
citation = "Cal. Civ. Code 1798.82"
last_checked = "2026-11-01"
confidence = "test"
name_required = "yes"
otherwise = "assess"
individual_deadline = "without unreasonable delay"
"#,
    )
    .unwrap();
    analyze(&case, &["--rules", rules.to_str().unwrap()]).success();
    let people = read_csv(&dir.path().join("affected_people.csv"));
    assert_eq!(person(&people, "C001")["notify"], "assess");
    // No rule for the other places any more: they are asked about, not dropped.
    assert_eq!(person(&people, "C007")["notify"], "assess");
    assert!(person(&people, "C007")["basis"].contains("no rule for US-NY"));
    let report = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert!(report.contains("\"rules_version\": \"test-1\""));

    let (dir, case) = case_copy();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "version = \"x\"\n[[rules]]\nid = \"A\"\njurisdictions = \"US-CA\"\n").unwrap();
    analyze(&case, &["--rules", bad.to_str().unwrap()]).code(2).stderr(contains("bad.toml:4:"));
    assert!(!dir.path().join("affected_people.csv").exists(), "nothing written on a bad rules file");
    assert!(!dir.path().join("report.json").exists());
}

#[test]
fn legal_outputs_are_not_overwritten_without_force() {
    let (dir, case) = case_copy();
    std::fs::write(dir.path().join("jurisdictions.csv"), "keep me").unwrap();
    analyze(&case, &[]).code(2).stderr(contains("jurisdictions.csv"));
    assert_eq!(std::fs::read_to_string(dir.path().join("jurisdictions.csv")).unwrap(), "keep me");
    assert!(!dir.path().join("affected_people.csv").exists());
    analyze(&case, &["--force"]).success();
    let people = dir.path().join("elsewhere.csv");
    analyze(&case, &["--force", "--people", people.to_str().unwrap()]).success();
    assert!(people.exists());
    analyze(&case, &["--force", "--people", dir.path().join("report.json").to_str().unwrap()]).code(2).stderr(contains("two outputs"));
}

#[test]
fn demo_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo");
    Command::cargo_bin("breachscope").unwrap().arg("demo").arg(&target).arg("--quiet").assert().success();
    let people = read_csv(&target.join("affected_people.csv"));
    assert!(!people.is_empty());
    // The 2019 case exposed names, e-mails, phones and tickets: no US state duty.
    assert!(people.iter().filter(|r| r["jurisdiction"].starts_with("US-")).all(|r| r["notify"] == "not_required"));
}

/// The free-text scan reads the touched rows as resolve reads the tables (once each): a customer's own
/// free-text column is scanned where a touch exposed it, and only there.
#[test]
fn customers_free_text_is_scanned_only_where_a_touch_exposed_it() {
    let (dir, case) = case_copy();
    let customers = dir.path().join("customers.csv");
    let text = std::fs::read_to_string(&customers).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},notes\n", lines.next().unwrap());
    for line in lines {
        // C004's notes are exposed by its view (below); C005 was viewed without them; C011 only through a
        // ticket, which did not expose them.
        let note = if ["C004", "C005", "C011"].iter().any(|c| line.starts_with(&format!("{c},"))) { "paid with 4111 1111 1111 1111" } else { "" };
        out.push_str(&format!("{line},{note}\n"));
    }
    std::fs::write(&customers, out).unwrap();
    let log = dir.path().join("logs/crm_audit.csv");
    let text = std::fs::read_to_string(&log).unwrap().replace("Customer,C004,full_name|email|phone|country,", "Customer,C004,full_name|email|phone|country|notes,");
    std::fs::write(&log, text).unwrap();

    analyze(&case, &[]).success();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let free_text = &report["legal"]["free_text"];
    assert_eq!(free_text["columns_scanned"], serde_json::json!(["customers.notes", "tickets.subject"]));
    let found: Vec<(&str, &str)> = free_text["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["customer_id"].as_str().unwrap(), f["found_in"].as_str().unwrap()))
        .collect();
    assert!(found.contains(&("C004", "customers.notes")), "{found:?}");
    assert_eq!(found.iter().filter(|(_, column)| *column == "customers.notes").count(), 1, "{found:?}");
    assert!(found.contains(&("C007", "tickets.subject")), "{found:?}");
}
