//! Issue 17, "Decisions that are wrong today": one small case per item (a customer table and an access log
//! that views every customer's listed columns), checking each person's decision and basis, and the
//! jurisdiction rows. Each test names its item and the statute it follows.

use std::collections::BTreeMap;


use assert_cmd::Command;

use crate::common::read_csv;

/// A case: `customers` (CSV text with a `customer_id` column first), viewed by `k.walsh` on `day` with
/// all of its columns; `extra` is added to case.toml. Returns (people rows, jurisdiction rows, report).
fn run(customers: &str, day: &str, extra: &str, args: &[&str]) -> (Vec<BTreeMap<String, String>>, Vec<BTreeMap<String, String>>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("customers.csv"), customers).unwrap();
    let header: Vec<&str> = customers.lines().next().unwrap().split(',').collect();
    let fields = header[1..].join("|");
    let mut log = String::from("event_time,user_name,entity,entity_id,fields_viewed\n");
    for line in customers.lines().skip(1) {
        let id = line.split(',').next().unwrap();
        log.push_str(&format!("{day}T10:00:00Z,k.walsh,Customer,{id},{fields}\n"));
    }
    std::fs::create_dir_all(d.join("logs")).unwrap();
    std::fs::write(d.join("logs/audit.csv"), log).unwrap();
    let case = format!(
        r#"[case]
name = "issue 17"
actors = ["k.walsh"]
discovered = "{day}"

[customers]
path = "customers.csv"
key = "customer_id"

[[logs]]
name = "crm"
path = "logs/audit.csv"
format = "csv"

[logs.map]
time = "event_time"
actor = "user_name"
table = "entity"
record = "entity_id"
fields = "fields_viewed"

[logs.tables]
Customer = "customers"
{extra}
"#
    );
    std::fs::write(d.join("case.toml"), case).unwrap();
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).args(args).arg("--quiet").assert().success();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
    (read_csv(&d.join("affected_people.csv")), read_csv(&d.join("jurisdictions.csv")), report)
}

fn person<'a>(rows: &'a [BTreeMap<String, String>], customer: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r["customer_ids"].split(';').any(|c| c == customer)).unwrap_or_else(|| panic!("no person with {customer}: {rows:?}"))
}

fn jurisdiction<'a>(rows: &'a [BTreeMap<String, String>], j: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r["jurisdiction"] == j).unwrap_or_else(|| panic!("no {j}"))
}

/// Item 1. Tex. Bus. & Com. Code 521.002(a)(2)(A)(ii): "driver's license number or government-issued
/// identification number"; Massachusetts (ch. 93H s. 1) names a state-issued ID card only.
#[test]
#[allow(non_snake_case)] // the statute's own paragraph letters
fn texas_passport_number_is_government_id_521_002_a_2_A_ii() {
    // (Exposure is by column: each table holds only the columns its case is about.)
    let (people, _, _) = run("customer_id,full_name,country,state,passport_number\nC1,Ann Lee,US,TX,X1234567\nC2,Bob Ray,US,MA,X7654321\n", "2024-03-04", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "required");
    assert_eq!(ann["basis"], "US-TX: name + government_issued_ids (passport_numbers)");
    let bob = person(&people, "C2");
    assert_eq!(bob["notify"], "assess");
    assert!(bob["basis"].contains("passport_numbers exposed: government_issued_ids if the statute's identification-number wording covers it"), "{}", bob["basis"]);
    // A national id column is the generic government id.
    let (people, _, _) = run("customer_id,full_name,country,state,national_id\nC3,Cy Dee,US,TX,AB123\n", "2024-03-04", "", &[]);
    assert_eq!(person(&people, "C3")["notify"], "required");
    assert_eq!(person(&people, "C3")["basis"], "US-TX: name + government_issued_ids");
}

/// Item 2. 521.002(a)(2)(A)(iii): an account number with "any required security code, access code, or
/// password that would permit access".
#[test]
#[allow(non_snake_case)] // the statute's own paragraph letters
fn texas_password_beside_account_number_is_assess_521_002_a_2_A_iii() {
    let (people, _, _) = run("customer_id,full_name,country,state,bank_account_number,online_password\nC1,Ann Lee,US,TX,12345678,hunter22\n", "2024-03-04", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "assess");
    assert!(ann["basis"].contains("a password was exposed with the account number: bank_account_numbers_with_code if it permits access"), "{}", ann["basis"]);
}

/// Item 3. Mass. Gen. Laws ch. 93H s. 1: "financial account number, or credit or debit card number" - a
/// BIC or sort code identifies a bank, not an account.
#[test]
fn massachusetts_bic_is_not_an_account_number_93h_1() {
    let (people, _, _) = run("customer_id,full_name,country,state,bic,sort_code,routing_number\nC1,Ann Lee,US,MA,DEUTDEFF,12-34-56,021000021\n", "2024-03-04", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "not_required", "{}", ann["basis"]);
    assert_eq!(ann["basis"], "US-MA: no listed data element exposed");
    let (people, _, _) = run("customer_id,full_name,country,state,bic,iban\nC2,Bob Ray,US,MA,DEUTDEFF,GB82WEST12345698765432\n", "2024-03-04", "", &[]);
    let bob = person(&people, "C2");
    assert_eq!(bob["notify"], "required");
    assert!(bob["basis"].contains("name + bank_account_numbers"), "{}", bob["basis"]);
}

/// Item 4. Cal. Civ. Code 1798.82(a), (h): encrypted data counts only where the key was also acquired; a
/// hash guessed from the column's name makes it a question, a declared one settles it, a declared exposed
/// key removes the harbour.
#[test]
fn hashed_password_follows_california_encryption_clause_1798_82() {
    let customers = "customer_id,full_name,email,country,state,password_hash\nC1,Ann Lee,ann@example.com,US,CA,$2b$12$abcdefghijklmnopqrstuv\n";
    let (people, _, _) = run(customers, "2024-03-04", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "assess");
    assert!(ann["basis"].contains("online_credentials rests on customers.password_hash: hashed (guessed from the column's name)"), "{}", ann["basis"]);
    let (people, _, _) = run(customers, "2024-03-04", "[protection]\n\"customers.password_hash\" = \"hashed\"\n", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "not_required");
    assert!(ann["basis"].contains("hashed (declared in [protection]): the statute's encryption safe harbour applies"), "{}", ann["basis"]);
    let (people, _, _) = run(customers, "2024-03-04", "[protection]\n\"customers.password_hash\" = \"encrypted_key_exposed\"\n", &[]);
    assert_eq!(person(&people, "C1")["notify"], "required");
    // A password column whose values are bcrypt hashes: guessed from the values, a question.
    let (people, _, _) = run(
        "customer_id,full_name,email,country,state,password\nC1,Ann Lee,ann@example.com,US,CA,$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\n",
        "2024-03-04",
        "",
        &[],
    );
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "assess");
    assert!(ann["basis"].contains("customers.password: bcrypt hash (guessed from its values)"), "{}", ann["basis"]);
    // A plain password column stays what it was.
    let (people, _, _) = run("customer_id,full_name,email,country,state,password\nC1,Ann Lee,ann@example.com,US,CA,hunter22\n", "2024-03-04", "", &[]);
    assert_eq!(person(&people, "C1")["notify"], "required");
}

/// Item 5. Conn. Gen. Stat. 36a-701b(a) (precise geolocation, SB 1058 2023) and Fla. Stat. 501.171(1)(g)
/// (geolocation, SB 262): coordinates count; a state or city column never does.
#[test]
fn coordinates_are_precise_geolocation_36a_701b_and_501_171() {
    let (people, _, _) = run(
        "customer_id,full_name,country,state,city,latitude,longitude\nC1,Ann Lee,US,CT,Hartford,41.76,-72.67\nC2,Bob Ray,US,FL,Miami,25.76,-80.19\nC3,Cy Dee,US,CA,Fresno,36.7,-119.7\n",
        "2024-03-04",
        "",
        &[],
    );
    for id in ["C1", "C2"] {
        let p = person(&people, id);
        assert_eq!(p["notify"], "required", "{p:?}");
        assert!(p["basis"].contains("name + precise_geolocation"), "{}", p["basis"]);
    }
    assert_eq!(person(&people, "C3")["notify"], "not_required");
    let (people, _, _) = run("customer_id,full_name,country,state,city\nC1,Ann Lee,US,CT,Hartford\n", "2024-03-04", "", &[]);
    assert_eq!(person(&people, "C1")["notify"], "not_required");
}

/// Item 6. One mailbox, two people (family members): two letters, counted twice; names that agree (an
/// initial) still merge, and the rows kept apart are reported.
#[test]
fn shared_email_with_different_names_stays_two_people_6() {
    let (people, _, report) = run(
        "customer_id,full_name,email,country,state\nC1,Ann Lee,family@example.com,US,CA\nC2,Bob Lee,family@example.com,US,CA\nC3,A. Lee,family@example.com,US,CA\nC4,Dan Roe,dan@example.com,US,CA\n",
        "2024-03-04",
        "",
        &[],
    );
    assert_eq!(people.len(), 3);
    assert_eq!(person(&people, "C1")["customer_ids"], "C1;C3");
    assert_eq!(person(&people, "C2")["customer_ids"], "C2");
    assert_eq!(report["legal"]["merges"]["shared_email_kept_apart"], serde_json::json!([[["C1", "C3"], ["C2"]]]));
}

/// Item 7. Thresholds count residents, not rows: Cal. Civ. Code 1798.82(f) ("more than 500 California
/// residents") - with `--per record` one person's two rows count once.
#[test]
fn per_record_thresholds_count_people_7() {
    let mut customers = String::from("customer_id,full_name,email,country,state,ssn\n");
    for i in 0..300 {
        customers.push_str(&format!("A{i},Person {i},p{i}@example.com,US,CA,123-45-{:04}\n", 1000 + i));
        customers.push_str(&format!("B{i},Person {i},p{i}@example.com,US,CA,123-45-{:04}\n", 1000 + i));
    }
    let (people, jurisdictions, _) = run(&customers, "2024-03-04", "", &["--per", "record"]);
    assert_eq!(people.len(), 600, "one row per record");
    let ca = jurisdiction(&jurisdictions, "US-CA");
    assert_eq!(ca["people"], "300");
    assert_eq!(ca["notify_required"], "300");
    assert_eq!(ca["regulator_notice"], "not_required", "300 residents, not 600 rows: below 501");
}

/// Item 8. The per-person regulator column follows the threshold (Cal. Civ. Code 1798.82(f): AG only above
/// 500 residents).
#[test]
fn regulator_column_follows_the_threshold_8() {
    let (people, jurisdictions, _) = run("customer_id,full_name,country,state,ssn\nC1,Ann Lee,US,CA,123-45-6789\n", "2024-03-04", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "required");
    assert_eq!(jurisdiction(&jurisdictions, "US-CA")["regulator_notice"], "not_required");
    assert!(ann["regulator"].starts_with("US-CA: AG not required (threshold 501 people, 1 notified"), "{}", ann["regulator"]);
}

/// Item 9. N.Y. Gen. Bus. Law 899-aa(2): the 30-day limit dates from 2024-12-21 (S2659-B); a June 2019
/// breach is decided under the law then in force (before the SHIELD Act of 2019-10-23), the current law
/// shown beside it, in jurisdictions.csv too.
#[test]
fn new_york_2019_breach_gets_the_law_then_in_force_899_aa_2() {
    let (people, jurisdictions, _) = run("customer_id,full_name,country,state,ssn\nC1,Ann Lee,US,NY,123-45-6789\n", "2019-06-06", "", &[]);
    let ann = person(&people, "C1");
    assert_eq!(ann["notify"], "required");
    assert!(ann["deadline"].starts_with("the most expedient time possible"), "{}", ann["deadline"]);
    assert!(ann["basis"].contains("decided under the law in force at the breach (first access 2019-06-06): the version before 2019-10-23"), "{}", ann["basis"]);
    assert!(ann["basis"].contains("changed since by: SHIELD Act"), "{}", ann["basis"]);
    let ny = jurisdiction(&jurisdictions, "US-NY");
    assert!(ny["individual_deadline"].starts_with("the most expedient time possible"), "{}", ny["individual_deadline"]);
    assert!(ny["individual_deadline"].contains("current law: 2019-07-06 (30 calendar days"), "{}", ny["individual_deadline"]);
    assert!(ny["law_at_breach"].contains("S2659-B"), "{}", ny["law_at_breach"]);
    // A rule that took effect after the breach with no earlier version recorded: the warning is in the CSV.
    let (_, jurisdictions, _) = run("customer_id,full_name,country,state,ssn\nC1,Ann Lee,US,TX,123-45-6789\n", "2019-06-06", "", &[]);
    assert!(jurisdiction(&jurisdictions, "US-TX")["law_at_breach"].contains("after the breach (first access 2019-06-06): no earlier version"));
}

/// Item 10. A two-letter US state code with no country column is that state (named in the basis) unless a
/// non-NANP phone says otherwise; full names ("Washington DC") too.
#[test]
fn bare_us_state_code_is_the_state_10() {
    let (people, _, report) = run(
        "customer_id,full_name,phone,state,ssn\nC1,Ann Lee,+1 512-555-0100,TX,123-45-6789\nC2,Bob Ray,+61 8 9200 1234,WA,\nC3,Cy Dee,,Washington DC,\nC4,Di Fox,,New York,\n",
        "2024-03-04",
        "",
        &[],
    );
    let ann = person(&people, "C1");
    assert_eq!(ann["jurisdiction"], "US-TX");
    assert_eq!(ann["notify"], "required");
    assert!(ann["basis"].contains("US-TX inferred from the region column's US state"), "{}", ann["basis"]);
    assert_eq!(person(&people, "C2")["jurisdiction"], "AU");
    assert_eq!(person(&people, "C3")["jurisdiction"], "US-DC");
    assert_eq!(person(&people, "C4")["jurisdiction"], "US-NY");
    assert_eq!(report["legal"]["rows_jurisdiction_from"]["region column's US state code (no country)"], 1);
}

/// Item 12. "name +" only for elements that need the name: Cal. Civ. Code 1798.82(h)(2) counts credentials
/// alone.
#[test]
fn no_name_prefix_for_credentials_alone_12() {
    let (people, _, _) = run("customer_id,full_name,email,country,state,password\nC1,Ann Lee,ann@example.com,US,CA,hunter22\n", "2024-03-04", "", &[]);
    // (The breach is before SB 446's 2026 deadline: the basis says so after the elements.)
    assert!(person(&people, "C1")["basis"].starts_with("US-CA: online_credentials ["), "{}", person(&people, "C1")["basis"]);
}

/// Item 13. A cell of several phone numbers keeps no stray apostrophe.
#[test]
fn merged_phone_numbers_are_not_neutralised_13() {
    let (people, _, _) = run(
        "customer_id,full_name,email,phone,country,state\nC1,Ann Lee,ann@example.com,+1 937-555-0101,US,OH\nC2,Ann Lee,ann@example.com,+1 717-555-0102,US,OH\n",
        "2024-03-04",
        "",
        &[],
    );
    assert_eq!(person(&people, "C1")["phone"], "+1 937-555-0101; +1 717-555-0102");
}

/// Item 14. Tex. Bus. & Com. Code 521.053(h) counts every person notified for the CRA notice; O.C.G.A.
/// 10-1-911(2),(3) reaches only brokers and data collectors; 10 M.R.S. 1347(6)(E) conditional elements.
#[test]
fn texas_cra_counts_all_persons_georgia_scope_maine_conditional_14() {
    let mut customers = String::from("customer_id,full_name,country,state,ssn\n");
    for i in 0..10_001 {
        let state = if i == 0 { "TX" } else { "CA" };
        customers.push_str(&format!("C{i},Person {i},US,{state},123-45-{:04}\n", i % 9000 + 1000));
    }
    customers.push_str("G1,Gil Ray,US,GA,123-45-6789\n");
    let (people, jurisdictions, _) = run(&customers, "2024-03-04", "", &[]);
    let tx = jurisdiction(&jurisdictions, "US-TX");
    assert_eq!(tx["people"], "1");
    assert_eq!(tx["cra_notice"], "required", "10,001 persons notified in all");
    let gil = person(&people, "G1");
    assert_eq!(gil["notify"], "assess");
    assert!(gil["basis"].contains("the statute reaches only information brokers"), "{}", gil["basis"]);
    // Below the count: not required.
    let (_, jurisdictions, _) = run("customer_id,full_name,country,state,ssn\nC1,Ann Lee,US,TX,123-45-6789\nC2,Bob Ray,US,CA,123-45-6780\n", "2024-03-04", "", &[]);
    assert_eq!(jurisdiction(&jurisdictions, "US-TX")["cra_notice"], "not_required");
    // Maine: an SSN without any name column.
    let (people, _, _) = run("customer_id,country,state,ssn\nM1,US,ME,123-45-6789\n", "2024-03-04", "", &[]);
    let m = person(&people, "M1");
    assert_eq!(m["notify"], "assess");
    assert!(m["basis"].contains("without the name: counts only if it would let someone assume"), "{}", m["basis"]);
}

/// Item 14. APPI: an account number alone is a question on the data (Enforcement Rules Art. 7(ii)); the
/// insider's possibly wrongful purpose makes it reportable at any count (Art. 7(iii), Act Art. 26(2)).
#[test]
fn japan_account_number_alone_and_insider_purpose_appi_7() {
    let (people, jurisdictions, _) = run("customer_id,full_name,country,bank_account_number\nC1,Hal Ito,JP,1234567\n", "2024-03-04", "", &[]);
    let hal = person(&people, "C1");
    assert_eq!(hal["notify"], "required");
    assert!(hal["basis"].contains("Art. 7(iii)") && hal["basis"].contains("on the data alone: JP-APPI: bank_account_numbers: reportable under this law only where it may cause harm"), "{}", hal["basis"]);
    assert_eq!(jurisdiction(&jurisdictions, "JP")["regulator_notice"], "required");
}

