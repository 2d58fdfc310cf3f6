//! Enterprise database audit trails end to end (issue 21): SQL Server Audit (`fn_get_audit_file` CSV) and Oracle
//! Unified Auditing (`UNIFIED_AUDIT_TRAIL` CSV), detected by `inspect`, and the case in testdata/cases/enterprise-db:
//! which customers are listed, with which classes, fields and evidence.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{bin, read_csv, read_json, repo};

fn inspect(file: &Path, extra: &[&str]) -> String {
    let out = bin().arg("inspect").arg(file).args(["-n", "50"]).args(extra).env("NO_COLOR", "1").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `records:  R read = E access events + I ignored + J rejected`
fn counts(stdout: &str) -> Vec<u64> {
    let line = stdout.lines().find(|l| l.starts_with("records:")).unwrap_or_else(|| panic!("{stdout}"));
    line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

/// Runs `analyze` on testdata/cases/<case> into a temporary folder (a.csv, r.json, rej.csv): the listed rows by
/// customer key, after checking they are the case's expected customers.
fn analyze(case: &str) -> (tempfile::TempDir, BTreeMap<String, BTreeMap<String, String>>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bin()
        .arg("analyze")
        .arg(repo().join("testdata/cases").join(case).join("case.toml"))
        .args(["--out", d.join("a.csv").to_str().unwrap(), "--report", d.join("r.json").to_str().unwrap()])
        .args(["--rejects", d.join("rej.csv").to_str().unwrap(), "--people", d.join("p.csv").to_str().unwrap()])
        .args(["--jurisdictions", d.join("j.csv").to_str().unwrap(), "--actions", d.join("act.csv").to_str().unwrap(), "--quiet"])
        .assert()
        .success();
    let rows: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&d.join("a.csv")).into_iter().map(|r| (r["customer_id"].clone(), r)).collect();
    let expected = std::fs::read_to_string(repo().join("testdata/cases").join(case).join("expected_customers.txt")).unwrap();
    assert_eq!(rows.keys().cloned().collect::<Vec<_>>(), expected.lines().collect::<Vec<_>>());
    (dir, rows)
}

#[test]
fn sql_server_and_oracle_exports_are_detected_and_read() {
    let logs = repo().join("testdata/logs");
    let out = inspect(&logs.join("mssql-audit/CRM_Audit_fn_get_audit_file.csv"), &[]);
    assert!(out.contains("format:   mssql-audit"), "{out}");
    // 9 records: 7 events, the login, and the second object's record of the join (counted once).
    assert_eq!(counts(&out), [9, 7, 2, 0], "{out}");
    assert!(out.contains("succeeded = 0 (permission check failed)"), "{out}");
    assert!(out.contains("2019-06-03T09:02:40.175221Z") && out.contains("ACME\\k.walsh"), "{out}");

    let out = inspect(&logs.join("oracle-audit/unified_audit_trail_19c.csv"), &[]);
    assert!(out.contains("format:   oracle-audit"), "{out}");
    assert_eq!(counts(&out), [7, 4, 3, 0], "{out}");
    // EVENT_TIMESTAMP_UTC is read, not the Berlin EVENT_TIMESTAMP beside it.
    assert!(out.contains("2019-06-04T09:02:41.904417Z") && out.contains("ORA-01031"), "{out}");

    // Oracle 12c: EVENT_TIMESTAMP only, without a zone: rejected with the fix until the zone is given.
    let file = logs.join("oracle-audit/unified_audit_trail_12c.csv");
    let out = inspect(&file, &[]);
    assert_eq!(counts(&out), [3, 0, 0, 3], "{out}");
    assert!(out.contains("EVENT_TIMESTAMP `03-JUN-19 11.00.07.208815000 AM` has no time zone") && out.contains("set `time_zone`"), "{out}");
    let out = inspect(&file, &["--time-zone", "Europe/Berlin"]);
    assert_eq!(counts(&out), [3, 3, 0, 0], "{out}");
    assert!(out.contains("2019-05-31T23:30:12.664019Z") && out.contains("2019-06-03T13:47:19.100362Z"), "{out}");
}

#[test]
fn enterprise_db_case_lists_the_customers_with_their_classes() {
    let (dir, rows) = analyze("enterprise-db");
    let d = dir.path();
    let row = |key: &str, column: &str| rows[key][column].clone();
    // SQL Server: T-SQL brackets and TOP (C001), a join through tickets counted once (C002, C003), a key-less filter
    // replayed (C005: the Vermont business customer, email only).
    assert_eq!(row("C001", "data_classes"), "email_addresses;names;phone_numbers");
    assert_eq!((row("C001", "sources").as_str(), row("C001", "evidence").as_str()), ("sqlserver", "named"));
    for key in ["C002", "C003"] {
        assert_eq!(row(key, "exposed_fields"), "customers.full_name;tickets.subject;tickets.ticket_number");
        assert_eq!((row(key, "data_classes").as_str(), row(key, "access_count").as_str()), ("names;support_tickets", "1"));
    }
    assert_eq!((row("C005", "data_classes").as_str(), row("C005", "evidence").as_str()), ("email_addresses", "replayed"));
    // Oracle: binds substituted (:B1 = C006, :tn = T-7 → C007), EVENT_TIMESTAMP_UTC read.
    assert_eq!((row("C006", "data_classes").as_str(), row("C006", "sources").as_str()), ("names;phone_numbers", "oracle-19c"));
    assert_eq!(row("C006", "first_access"), "2019-06-04T09:02:41.904417Z");
    assert_eq!(row("C007", "exposed_fields"), "customers.email;tickets.subject");
    // Oracle 12c, Berlin time without a zone, read in the declared zone: 11:00 Berlin is 09:00 UTC.
    assert_eq!(row("C008", "data_classes"), "email_addresses;geographic_locations;names;phone_numbers");
    assert_eq!((row("C008", "first_access").as_str(), row("C008", "sources").as_str()), ("2019-06-03T09:00:07.208815Z", "oracle-12c"));
    // C004: refused by SQL Server (succeeded False), read after the window, and read at 01:30 Berlin on 1 June,
    // which is 31 May in UTC: never listed. C002's read by ACME\j.doe and SCOTT's are other accounts'.
    assert!(!rows.contains_key("C004"));

    let report = read_json(&d.join("r.json"));
    let input = |suffix: &str| report["inputs"].as_array().unwrap().iter().find(|i| i["path"].as_str().unwrap().ends_with(suffix)).unwrap().clone();
    let sql_server = input("CRM_Audit_fn_get_audit_file.csv");
    assert_eq!(sql_server["format"], "mssql-audit");
    assert_eq!(sql_server["ignored_by_reason"]["failed request"], 1);
    assert_eq!(sql_server["ignored_by_reason"]["statement already logged (record of another object of the same statement)"], 1);
    assert_eq!(input("unified_audit_trail_19c.csv")["ignored_by_reason"]["failed request"], 1);
    assert_eq!(input("unified_audit_trail_12c.csv")["ignored_by_reason"]["outside the case window"], 1);
    // A stored procedure and a PL/SQL call may return any rows: unresolved, with the reason, never "nothing".
    let unresolved: Vec<(String, String)> = report["unresolved_queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["source"].as_str().unwrap().to_string(), q["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(unresolved.len(), 2, "{unresolved:?}");
    assert!(unresolved.iter().any(|(s, r)| s == "sqlserver" && r.contains("stored procedure")), "{unresolved:?}");
    assert!(unresolved.iter().any(|(s, r)| s == "oracle-12c" && r.contains("PL/SQL")), "{unresolved:?}");
    assert_eq!(std::fs::read_to_string(d.join("rej.csv")).unwrap().lines().count(), 1, "header only");
}

#[test]
fn oracle_export_without_its_zone_is_loud() {
    // The 12c export's times have no zone: without `time_zone` its records are rejected and the actor's rejected
    // records are a warning that names the fix.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    crate::common::copy_dir(&repo().join("testdata/cases/enterprise-db"), &case);
    let toml = std::fs::read_to_string(case.join("case.toml")).unwrap().replace("../../logs", &repo().join("testdata/logs").to_string_lossy());
    std::fs::write(case.join("case.toml"), toml.replace("time_zone = \"Europe/Berlin\"", "")).unwrap();
    bin().arg("analyze").arg(case.join("case.toml")).arg("--quiet").assert().success();
    let report = read_json(&case.join("report.json"));
    let codes: Vec<&str> = report["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"actor_records_rejected"), "{codes:?}");
    let list: Vec<String> = read_csv(&case.join("affected_customers.csv")).into_iter().map(|r| r["customer_id"].clone()).collect();
    assert!(!list.contains(&"C008".to_string()), "{list:?}");
    let rejects = std::fs::read_to_string(case.join("rejects.csv")).unwrap();
    assert_eq!(rejects.matches("has no time zone").count(), 3, "{rejects}");
}

#[test]
fn snowflake_access_history_joined_to_query_history() {
    let out = inspect(&repo().join("testdata/logs/snowflake/access_history.csv"), &[]);
    assert!(out.contains("format:   snowflake-access"), "{out}");
    assert_eq!(counts(&out), [6, 6, 0, 0], "{out}");
    assert!(out.contains("2019-06-05T09:10:11.482Z"), "QUERY_START_TIME's offset honoured: {out}");

    let (dir, rows) = analyze("snowflake");
    let d = dir.path();
    let row = |key: &str, column: &str| rows[key][column].clone();
    // The key predicate names C001 and C002; ACCESS_HISTORY's column list gives the fields.
    assert_eq!((row("C002", "exposed_fields").as_str(), row("C002", "evidence").as_str()), ("customers.customer_id;customers.email;customers.full_name", "named"));
    assert_eq!(row("C002", "data_classes"), "email_addresses;names");
    // `state = 'VT'` is replayed (C001, C005); the columns read were PHONE and STATE.
    assert_eq!((row("C005", "data_classes").as_str(), row("C005", "evidence").as_str()), ("geographic_locations;phone_numbers", "replayed"));
    assert_eq!(row("C001", "data_classes"), "email_addresses;geographic_locations;names;phone_numbers");
    // A ticket read names its customer.
    assert_eq!((row("C006", "data_classes").as_str(), row("C006", "exposed_fields").as_str()), ("support_tickets", "tickets.subject;tickets.ticket_number"));
    // C003's query failed (EXECUTION_STATUS FAIL); C007 was J_DOE's.
    let report = read_json(&d.join("r.json"));
    assert_eq!(report["inputs"][0]["ignored_by_reason"]["failed request"], 1);
    // The view's rows are unknown: unresolved, loud, with the base columns it read.
    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0]["reason"].as_str().unwrap().contains("VIP_CUSTOMERS"), "{unresolved:?}");

    // Without the QUERY_HISTORY export the rows are not known: every read is unresolved, nothing is listed by guess.
    let case = d.join("noqh");
    crate::common::copy_dir(&repo().join("testdata/cases/snowflake"), &case);
    let toml = std::fs::read_to_string(case.join("case.toml")).unwrap().replace("../../logs", &repo().join("testdata/logs").to_string_lossy());
    std::fs::write(case.join("case.toml"), toml.replace("query_history = \"query_history.csv\"", "")).unwrap();
    bin().arg("analyze").arg(case.join("case.toml")).arg("--quiet").assert().success();
    assert!(read_csv(&case.join("affected_customers.csv")).is_empty());
    let report = read_json(&case.join("report.json"));
    let reasons: Vec<&str> = report["unresolved_queries"].as_array().unwrap().iter().map(|q| q["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().all(|r| r.contains("query_history")), "{reasons:?}");
}

#[test]
fn bigquery_table_data_reads_joined_to_their_jobs() {
    let out = inspect(&repo().join("testdata/logs/bigquery/data_access_gcloud.json"), &[]);
    assert!(out.contains("format:   bigquery-audit"), "{out}");
    // 11 entries, newest first: 5 reads (the join's two tableDataRead entries are one), 5 job records.
    assert_eq!(counts(&out), [11, 5, 6, 0], "{out}");

    let (dir, rows) = analyze("bigquery");
    let d = dir.path();
    let row = |key: &str, column: &str| rows[key][column].clone();
    // tableDataRead.fields decide the fields: C005 (replayed `account_type = 'business'`) showed email and account_type.
    assert_eq!((row("C005", "exposed_fields").as_str(), row("C005", "evidence").as_str()), ("customers.account_type;customers.email", "replayed"));
    assert_eq!(row("C005", "data_classes"), "email_addresses");
    // C003: named by its key (name, phone), then selected by the business filter (email): two accesses.
    assert_eq!((row("C003", "data_classes").as_str(), row("C003", "access_count").as_str()), ("email_addresses;names;phone_numbers", "2"));
    // The join's two tables are one job, one access: the ticket's customer with the fields of both tables.
    assert_eq!((row("C007", "data_classes").as_str(), row("C007", "access_count").as_str()), ("email_addresses;support_tickets", "1"));
    // The read whose job text is not in the export: unresolved, with its fields and the fix.
    let report = read_json(&d.join("r.json"));
    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0]["reason"].as_str().unwrap().contains("jobInsertion/jobChange"), "{unresolved:?}");
    assert_eq!(unresolved[0]["fields"], serde_json::json!(["customers.customer_id", "customers.full_name", "customers.phone"]));
}

#[test]
fn m365_dynamics_reads_and_sharepoint_downloads_of_a_declared_export() {
    let out = inspect(&repo().join("testdata/logs/m365/audit_log_search_2019-06.csv"), &[]);
    assert!(out.contains("format:   m365-audit"), "{out}");
    assert_eq!(counts(&out), [6, 5, 1, 0], "{out}");

    let (dir, rows) = analyze("m365");
    let d = dir.path();
    // The contact GUID is found through the customers' `ids` column; the declared view says what a Retrieve shows.
    assert_eq!((rows["C001"]["data_classes"].as_str(), rows["C001"]["assumed_classes"].as_str()), ("email_addresses;names;phone_numbers", ""));
    // The downloaded file held C004 and C006 with name and email (its URL matched with %20 for the space).
    for key in ["C004", "C006"] {
        assert_eq!(rows[key]["exposed_fields"], "customers.customer_id;customers.email;customers.full_name");
        assert_eq!(rows[key]["data_classes"], "email_addresses;names");
    }
    let report = read_json(&d.join("r.json"));
    assert_eq!(report["inputs"][0]["ignored_by_reason"]["SharePoint/OneDrive file not declared in [[exports]]"], 1);
    // RetrieveMultiple names the entity, not the rows: unresolved.
    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0]["statement"].as_str().unwrap().contains("RetrieveMultiple"), "{unresolved:?}");
}
