//! End-to-end: counsel's action list (actions.csv, report.json `legal.actions`, the HTML section) and the
//! clock keys (`discovered`, `determined`, `law_enforcement_delay_until`) on small cases built here (issue 17:
//! "One action list for counsel" and item 11).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{bin, read_csv, read_json};

type Row = BTreeMap<String, String>;

/// One customer: country, region, and whether the actor saw their SSN.
struct Customer(&'static str, &'static str, bool);

/// Writes a case with `customers` (each viewed once by the actor), `[case]` extra lines and an
/// `[organisation]` section (empty: none); returns the case file.
fn write_case(dir: &Path, customers: &[Customer], case_extra: &str, organisation: &str) -> PathBuf {
    let mut table = String::from("customer_id,full_name,email,country,state,ssn,mailing_address\n");
    let mut log = String::from("event_time,user_name,entity,entity_id,fields_viewed\n");
    for (i, Customer(country, state, ssn)) in customers.iter().enumerate() {
        let id = format!("C{:04}", i + 1);
        writeln!(table, "{id},Person {i},p{i}@example.com,{country},{state},900-00-{:04},\"{i} Main St, Springfield\"", i + 1).unwrap();
        let fields = if *ssn { "full_name|email|country|state|ssn" } else { "full_name|email|country|state" };
        writeln!(log, "2019-06-06T09:{:02}:{:02}Z,k.walsh,Customer,{id},{fields}", (i / 60) % 60, i % 60).unwrap();
    }
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("customers.csv"), table).unwrap();
    std::fs::write(dir.join("logs/crm.csv"), log).unwrap();
    let case = format!(
        r#"[case]
name = "Actions fixture"
actors = ["k.walsh"]
since = "2019-06-01"
until = "2019-09-30"
{case_extra}

[customers]
path = "customers.csv"
key = "customer_id"

[customers.columns]
name = "full_name"
email = "email"
country = "country"
region = "state"

[[logs]]
name = "crm"
path = "logs/crm.csv"
format = "csv"

[logs.map]
time = "event_time"
actor = "user_name"
table = "entity"
record = "entity_id"
fields = "fields_viewed"

[logs.tables]
Customer = "customers"

{organisation}
"#
    );
    let file = dir.join("case.toml");
    std::fs::write(&file, case).unwrap();
    file
}

/// Runs `analyze` on a fresh case and returns its action rows.
fn actions(customers: &[Customer], case_extra: &str, organisation: &str) -> (tempfile::TempDir, Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), customers, case_extra, organisation);
    bin().args(["-q", "analyze"]).arg(&case).assert().success();
    let rows = read_csv(&dir.path().join("actions.csv"));
    (dir, rows)
}

fn find<'a>(rows: &'a [Row], duty: &str, jurisdiction: &str) -> &'a Row {
    rows.iter()
        .find(|r| r["duty"] == duty && r["jurisdictions"].split(';').any(|j| j == jurisdiction))
        .unwrap_or_else(|| panic!("no {duty} row for {jurisdiction}: {rows:#?}"))
}

fn many(n: usize, c: fn() -> Customer) -> Vec<Customer> {
    (0..n).map(|_| c()).collect()
}

const DISCOVERED: &str = "discovered = \"2019-10-28\"";

/// GDPR Art. 56(1): with a main establishment in the EU, its authority leads: one notice, not one per country.
#[test]
fn gdpr_with_a_main_establishment_has_one_lead_authority() {
    let customers = [Customer("DE", "BY", false), Customer("DE", "", false), Customer("FR", "", false)];
    let (dir, rows) = actions(&customers, DISCOVERED, "[organisation]\nname = \"Acme Support Ltd\"\nmain_establishment = \"ie\"\n");
    let regulators: Vec<&Row> = rows.iter().filter(|r| r["duty"] == "regulator_notice").collect();
    assert_eq!(regulators.len(), 1, "{regulators:#?}");
    let lead = regulators[0];
    assert_eq!(lead["recipient"], "Data Protection Commission (DPC) (IE): lead supervisory authority");
    assert_eq!((lead["jurisdictions"].as_str(), lead["people"].as_str(), lead["status"].as_str()), ("DE;FR", "3", "required"));
    // GDPR Art. 33(1): 72 hours after becoming aware.
    assert_eq!(lead["due"], "2019-10-31T00:00:00Z");
    assert!(lead["contents"].contains("Art. 33(3)"), "{}", lead["contents"]);
    assert!(lead["citation"].contains("Regulation (EU) 2016/679"));
    assert!(lead["note"].contains("not legal advice") && lead["note"].contains("HIPAA"), "{}", lead["note"]);
    // The individuals are still decided per country.
    assert_eq!(find(&rows, "individual_notice", "DE")["people"], "2");
    assert_eq!(find(&rows, "individual_notice", "FR")["status"], "assess");
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["legal"]["actions"].as_array().unwrap().len(), rows.len());
    assert_eq!(report["legal"]["outputs"]["actions"], "actions.csv");
    assert!(report["legal"]["action_notes"].as_array().unwrap().is_empty(), "{}", report["legal"]["action_notes"]);
}

/// Without a main establishment, each authority where affected people live is listed, and the summary says
/// how to name the lead one.
#[test]
fn gdpr_without_a_main_establishment_lists_each_authority() {
    let customers = [Customer("DE", "BY", false), Customer("DE", "", false), Customer("FR", "", false)];
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &customers, DISCOVERED, "");
    let out = bin().arg("analyze").arg(&case).assert().success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("!! EU-GDPR: [organisation] names no main_establishment"), "{stderr}");
    let rows = read_csv(&dir.path().join("actions.csv"));
    let regulators: BTreeMap<&str, (&str, &str)> = rows
        .iter()
        .filter(|r| r["duty"] == "regulator_notice")
        .map(|r| (r["jurisdictions"].as_str(), (r["recipient"].as_str(), r["people"].as_str())))
        .collect();
    assert_eq!(regulators.len(), 2, "{regulators:?}");
    assert_eq!(regulators["FR"], ("Commission nationale de l'informatique et des libertés (CNIL) (FR)", "1"));
    assert!(regulators["DE"].0.contains("German Land"), "{:?}", regulators["DE"]);
    assert_eq!(regulators["DE"].1, "2");
    let report = read_json(&dir.path().join("report.json"));
    assert!(report["legal"]["action_notes"][0].as_str().unwrap().contains("set `main_establishment`"));
    // The HTML report has the action list and the note.
    let html_dir = tempfile::tempdir().unwrap();
    let html = html_dir.path().join("r.html");
    bin().args(["-q", "analyze", "--force"]).arg(&case).arg("--html").arg(&html).assert().success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Action list for counsel") && page.contains("(CNIL) (FR)") && page.contains("names no main_establishment"));
}

/// Issue 17 item 11. Tex. Bus. & Com. Code 521.053(i) (S.B. 768, 2023): the AG when at least 250 Texans are
/// notified, within 30 days after the determination, on the AG's electronic form; 521.053(b): individuals
/// within 60 days after the determination; 521.053(h): the consumer reporting agencies above 10,000.
#[test]
fn item_11_texas_attorney_general_above_and_below_the_threshold() {
    let clock = "discovered = \"2019-10-28\"\ndetermined = \"2019-11-04\"";
    let (_dir, rows) = actions(&many(250, || Customer("US", "TX", true)), clock, "");
    let ag = find(&rows, "regulator_notice", "US-TX");
    assert_eq!((ag["status"].as_str(), ag["people"].as_str(), ag["due"].as_str()), ("required", "250", "2019-12-04"));
    assert_eq!(ag["recipient"], "Texas: AG");
    assert!(ag["deadline"].contains("30 calendar days from determined 2019-11-04"), "{}", ag["deadline"]);
    assert_eq!(ag["channel_address"], "https://www.texasattorneygeneral.gov/consumer-protection/data-breach-reporting");
    assert!(ag["contents"].contains("whether law enforcement is investigating"), "{}", ag["contents"]);
    let people = find(&rows, "individual_notice", "US-TX");
    assert_eq!((people["status"].as_str(), people["people"].as_str(), people["due"].as_str()), ("required", "250", "2020-01-03"));
    assert_eq!(find(&rows, "cra_notice", "US-TX")["status"], "not_required");
    // Required rows come first.
    assert_eq!(rows[0]["status"], "required");

    let (_dir, rows) = actions(&many(249, || Customer("US", "TX", true)), clock, "");
    let ag = find(&rows, "regulator_notice", "US-TX");
    assert_eq!((ag["status"].as_str(), ag["people"].as_str(), ag["due"].as_str()), ("not_required", "249", ""));
    assert!(ag["deadline"].starts_with("2019-12-04 (30 calendar days"), "{}", ag["deadline"]);
    assert!(ag["basis"].contains("at least 250"), "{}", ag["basis"]);
    assert_eq!(find(&rows, "individual_notice", "US-TX")["status"], "required");
}

/// Cal. Civ. Code 1798.82(d)(2)(G): identity theft prevention and mitigation services for not less than 12
/// months where an SSN, driver's licence or California ID number was exposed; 1798.82(f): the AG only above
/// 500 residents.
#[test]
fn california_credit_monitoring_for_the_people_whose_ssn_was_seen() {
    let customers = [Customer("US", "CA", true), Customer("US", "CA", true), Customer("US", "CA", false)];
    let (dir, rows) = actions(&customers, DISCOVERED, "");
    let offer = find(&rows, "credit_monitoring", "US-CA");
    assert_eq!((offer["status"].as_str(), offer["people"].as_str()), ("required", "2"));
    assert!(offer["contents"].starts_with("12 months: "), "{}", offer["contents"]);
    // Offered with the notice: 30 calendar days after discovery (Civ. Code 1798.82(a), from 2026).
    assert_eq!(offer["due"], "2019-11-27");
    let people = find(&rows, "individual_notice", "US-CA");
    assert_eq!((people["status"].as_str(), people["people"].as_str()), ("required", "2"));
    let ag = find(&rows, "regulator_notice", "US-CA");
    assert_eq!(ag["status"], "not_required");
    assert_eq!(ag["channel_address"], "https://oag.ca.gov/privacy/databreach/report-a-breach");
    // Letters go by post: the people list carries the mailing address (not exposed here, still listed).
    let people = read_csv(&dir.path().join("affected_people.csv"));
    let first = people.iter().find(|p| p["customer_ids"] == "C0001").unwrap();
    assert_eq!(first["address"], "0 Main St, Springfield");
}

/// Privacy Act 1988 (Cth) s. 26WH(2): a suspected eligible data breach is assessed within 30 days of
/// becoming aware; s. 26WK: the statement to the OAIC on its form.
#[test]
fn australia_assessment_has_a_computed_date() {
    let (_dir, rows) = actions(&[Customer("AU", "NSW", false)], DISCOVERED, "[organisation]\nname = \"Acme Pty\"\n");
    let assessment = find(&rows, "assessment", "AU");
    assert_eq!((assessment["status"].as_str(), assessment["due"].as_str()), ("required", "2019-11-27"));
    assert_eq!(assessment["recipient"], "Acme Pty itself: assessment of the suspected breach");
    let oaic = find(&rows, "regulator_notice", "AU");
    assert_eq!(oaic["status"], "assess");
    assert_eq!(oaic["channel_address"], "https://www.oaic.gov.au/privacy/notifiable-data-breaches/report-a-data-breach");
}

/// The clock keys move the dates their statutes count from: `determined` moves Texas (521.053(b), (i)) but
/// not Washington (RCW 19.255.010: after discovery); `law_enforcement_delay_until` moves notices to
/// individuals where the statute allows a delay (521.053(d)), not the AG's; people.csv follows.
#[test]
fn discovered_determined_and_a_law_enforcement_delay_move_the_due_dates() {
    let customers = [Customer("US", "TX", true), Customer("US", "WA", true)];
    let due = |rows: &[Row], duty: &str, j: &str| find(rows, duty, j)["due"].clone();
    let (_dir, only_discovered) = actions(&customers, DISCOVERED, "");
    assert_eq!(due(&only_discovered, "individual_notice", "US-TX"), "2019-12-27");
    assert!(find(&only_discovered, "individual_notice", "US-TX")["deadline"].contains("no `determined` in the case"));
    assert_eq!(due(&only_discovered, "individual_notice", "US-WA"), "2019-11-27");

    let (_dir, determined) = actions(&customers, "discovered = \"2019-10-28\"\ndetermined = \"2019-11-15\"", "");
    assert_eq!(due(&determined, "individual_notice", "US-TX"), "2020-01-14");
    // One Texan: below the AG's threshold, so no due date; the deadline says how it would run.
    assert!(find(&determined, "regulator_notice", "US-TX")["deadline"].starts_with("2019-12-15 (30 calendar days from determined"));
    assert_eq!(due(&determined, "individual_notice", "US-WA"), "2019-11-27");

    let (dir, delayed) = actions(&customers, "discovered = \"2019-10-28\"\ndetermined = \"2019-11-15\"\nlaw_enforcement_delay_until = \"2020-02-20\"", "");
    assert_eq!(due(&delayed, "individual_notice", "US-TX"), "2020-02-20");
    assert!(find(&delayed, "individual_notice", "US-TX")["deadline"].contains("without it 2020-01-14"));
    assert!(find(&delayed, "regulator_notice", "US-TX")["deadline"].starts_with("2019-12-15 ("), "the AG's notice is not delayed");
    assert_eq!(due(&delayed, "individual_notice", "US-WA"), "2020-02-20");
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!((report["case"]["determined"].as_str(), report["case"]["law_enforcement_delay_until"].as_str()), (Some("2019-11-15"), Some("2020-02-20")));
    let people = read_csv(&dir.path().join("affected_people.csv"));
    let tx = people.iter().find(|p| p["jurisdiction"] == "US-TX").unwrap();
    assert!(tx["deadline"].starts_with("2020-02-20 (law enforcement delay until 2020-02-20"), "{}", tx["deadline"]);
    let jurisdictions = read_csv(&dir.path().join("jurisdictions.csv"));
    let tx = jurisdictions.iter().find(|j| j["jurisdiction"] == "US-TX").unwrap();
    assert!(tx["regulator_deadline"].starts_with("2019-12-15 (30 calendar days from determined 2019-11-15"), "{}", tx["regulator_deadline"]);
}

/// A bad date in a clock key stops the run with one line: file, line, column, the key and what to write.
#[test]
fn a_bad_clock_date_is_one_line_with_the_key_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &[Customer("US", "TX", true)], "discovered = \"2019-10-28\"\ndetermined = \"2019-11-31\"", "");
    let out = bin().args(["analyze"]).arg(&case).assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("case.toml:7:1: determined = `2019-11-31` is not a date (2019-11 has 30 days, not 31): write it as YYYY-MM-DD"),
        "{stderr}"
    );
    assert!(!dir.path().join("actions.csv").exists() && !dir.path().join("report.json").exists());

    let case = write_case(dir.path(), &[Customer("US", "TX", true)], "discovered = \"2019-10-28\"\ndetermined = \"2019-10-01\"", "");
    bin().args(["analyze"]).arg(&case).assert().code(2).stderr(predicates::str::contains("determined = 2019-10-01 is before discovered = 2019-10-28"));
    let case = write_case(dir.path(), &[Customer("US", "TX", true)], "law_enforcement_delay_until = \"soon\"", "");
    bin().args(["analyze"]).arg(&case).assert().code(2).stderr(predicates::str::contains("law_enforcement_delay_until = `soon` is not a date"));
}

/// actions.csv is an output like the others: `--actions FILE`, never overwritten without `--force`, hashed in
/// the manifest.
#[test]
fn actions_csv_is_planned_written_and_hashed_like_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let case = write_case(dir.path(), &[Customer("US", "TX", true)], DISCOVERED, "");
    std::fs::write(dir.path().join("actions.csv"), "keep me").unwrap();
    bin().args(["-q", "analyze"]).arg(&case).assert().code(2).stderr(predicates::str::contains("actions.csv"));
    assert_eq!(std::fs::read_to_string(dir.path().join("actions.csv")).unwrap(), "keep me");
    let elsewhere = dir.path().join("for-counsel.csv");
    bin().args(["-q", "analyze"]).arg(&case).arg("--actions").arg(&elsewhere).assert().success();
    assert!(!read_csv(&elsewhere).is_empty());
    let manifest = read_json(&dir.path().join("manifest.json"));
    let entry = manifest["outputs"].as_array().unwrap().iter().find(|e| e["role"] == "actions").expect("actions in the manifest");
    assert_eq!(entry["path"], "for-counsel.csv");
    assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);
    bin().arg("verify").arg(dir.path()).assert().code(0);
}
