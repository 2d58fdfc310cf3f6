//! End-to-end tests of `breachscope analyze` on the fixture case in testdata/cases/basic, and its bad inputs.

use crate::common::*;
use predicates::prelude::*;

fn analyze(case_dir: &std::path::Path) -> assert_cmd::assert::Assert {
    bin().arg("analyze").arg(case_dir.join("case.toml")).assert()
}

#[test]
fn basic_case_lists_exactly_the_touched_customers() {
    let (_tmp, dir) = case_copy("basic");
    analyze(&dir).success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let ids: Vec<&str> = rows.iter().map(|r| r["customer_id"].as_str()).collect();
    // C005 was seen by the prefix-named colleague, by k.walsh outside the window (time zone), and in a CRM
    // row without zone (rejected); it is listed only because the `state = 'VT'` query, replayed, selects it.
    // C006 was reached only by failed/HEAD/anonymous requests: not listed.
    assert_eq!(ids, ["C001", "C002", "C003", "C004", "C005"]);
    assert_eq!(rows[4]["evidence"], "replayed");
    assert_eq!(rows[4]["segment"], "business");
    assert_eq!(rows[4]["access_count"], "1");

    let c001 = &rows[0];
    // Named by three sources; the replayed SELECT * adds every customer column.
    assert_eq!(
        c001["exposed_fields"],
        "customers.account_type;customers.card_number;customers.country;customers.customer_id;customers.date_of_birth;customers.email;customers.full_name;customers.phone;customers.state;tickets.subject;tickets.ticket_number"
    );
    assert_eq!(c001["data_classes"], "credit_cards;dates_of_birth;email_addresses;geographic_locations;names;phone_numbers;support_tickets");
    assert_eq!(c001["first_access"], "2019-06-03T08:00:00Z", "+0200 converted to UTC");
    assert_eq!(c001["last_access"], "2019-06-06T09:00:00Z");
    assert_eq!(c001["access_count"], "4");
    assert_eq!(c001["sources"], "crm;portal;supportdb");
    assert_eq!(c001["region"], "VT");
    assert_eq!(c001["evidence"], "named");

    // Fields from two sources merge; `phone; state` is a list with a space.
    assert_eq!(rows[1]["exposed_fields"], "customers.email;customers.full_name;customers.phone;customers.state");
    assert_eq!(rows[1]["name"], "Bob \"Bobby\" Stone");
    // The failed tickets query (ERROR after the statement) exposed no ticket of C003.
    assert_eq!(rows[2]["exposed_fields"], "customers.email;customers.full_name");
    assert_eq!(rows[2]["name"], "Carla\r\nMendes", "quoted newline kept");
    // A name that a spreadsheet would run is neutralised.
    assert!(rows[3]["name"].starts_with("'=HYPERLINK"), "{}", rows[3]["name"]);

    let report = read_json(&dir.join("report.json"));
    let t = &report["totals"];
    assert_eq!((t["records_read"].as_u64(), t["records_used"].as_u64(), t["records_ignored"].as_u64(), t["records_rejected"].as_u64()), (Some(26), Some(9), Some(15), Some(2)));
    assert_eq!(t["replayed_queries"], 1);
    let ignored = &report["ignored_by_reason"];
    assert_eq!(ignored["another account"], 3);
    assert_eq!(ignored["failed request"], 3);
    assert_eq!(ignored["outside the case window"], 1);
    assert_eq!(ignored["aggregate query (no record exposed)"], 1);
    assert_eq!(ignored["statement already logged (OBJECT or per-relation line)"], 1);
    assert_eq!(ignored["HEAD request returns no content"], 1);
    assert_eq!(ignored["no account in the record"], 1);
    assert_eq!(ignored["request path matches no route"], 1);
    assert_eq!(report["unresolved_keys"][0]["key"], "T-404");
    assert_eq!(report["unresolved_queries"], serde_json::json!([]));
    assert_eq!(report["replayed_queries"][0]["statement"], "SELECT * FROM customers WHERE state = 'VT'");
    assert_eq!(report["replayed_queries"][0]["records"]["customers"], 2);
    assert_eq!(report["table_accesses"][0]["statement"], "select * from customers");
    assert_eq!(report["table_accesses"][0]["rows"]["customers"], 6);
    assert_eq!(report["unmatched_request_paths"]["/support/dashboard"], 1);
    // The replay exposed card numbers of the two Vermont customers; nothing is left to call "not exposed".
    assert_eq!(report["exposure"]["by_class"]["credit_cards"], 2);
    assert_eq!(report["exposure"]["held_not_exposed"], serde_json::json!([]));
    assert_eq!(report["exposure"]["by_evidence"], serde_json::json!({"named": 4, "replayed": 1}));
    for f in report["inputs"].as_array().unwrap() {
        let ignored: u64 = f["ignored_by_reason"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(f["read"].as_u64().unwrap(), f["used"].as_u64().unwrap() + ignored + f["rejected"].as_u64().unwrap());
    }

    let rejects = read_csv(&dir.join("rejects.csv"));
    assert_eq!(rejects.len(), 2);
    assert_eq!((rejects[0]["file"].as_str(), rejects[0]["line"].as_str()), ("logs/portal-2019-06.log", "10"));
    assert_eq!((rejects[1]["file"].as_str(), rejects[1]["line"].as_str(), rejects[1]["column"].as_str()), ("logs/crm_audit.csv", "6", "1"));
    assert!(rejects[1]["reason"].contains("no time zone"));
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let (_tmp, dir) = case_copy("basic");
    analyze(&dir)
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("Customers affected: 5").and(predicate::str::contains("WHOLE-TABLE READ")));
    bin().args(["-q", "analyze", "--force"]).arg(dir.join("case.toml")).assert().success().stderr(predicate::str::is_empty());
}

#[test]
fn outputs_are_not_overwritten_without_force() {
    let (_tmp, dir) = case_copy("basic");
    std::fs::write(dir.join("report.json"), "keep me").unwrap();
    analyze(&dir).code(2).stderr(predicate::str::contains("report.json: already exists (use --force to overwrite)"));
    assert_eq!(std::fs::read_to_string(dir.join("report.json")).unwrap(), "keep me");
    assert!(!dir.join("affected_customers.csv").exists(), "no output written when one exists");
    bin().args(["analyze", "--force"]).arg(dir.join("case.toml")).assert().success();
    assert!(std::fs::read_to_string(dir.join("report.json")).unwrap().starts_with('{'));
}

#[test]
fn flags_override_actors_and_window_and_outputs() {
    let (tmp, dir) = case_copy("basic");
    let out = tmp.path().join("list.csv");
    bin()
        .args(["-q", "analyze", "--actor", "k.walshe", "--out"])
        .arg(&out)
        .arg(dir.join("case.toml"))
        .assert()
        .success();
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["customer_id"], "C005");

    let out2 = tmp.path().join("until.csv");
    bin()
        .args(["-q", "analyze", "--force", "--until", "2019-06-05", "--out"])
        .arg(&out2)
        .arg(dir.join("case.toml"))
        .assert()
        .success();
    let rows = read_csv(&out2);
    let c001 = rows.iter().find(|r| r["customer_id"] == "C001").unwrap();
    assert_eq!(c001["last_access"], "2019-06-05T08:03:00Z", "a date bound includes that whole day, not the CRM views of 6 June");
    assert_eq!(c001["access_count"], "3");
}

fn write_case(dir: &std::path::Path, edit: impl Fn(String) -> String) {
    let path = dir.join("case.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

fn assert_nothing_written(dir: &std::path::Path) {
    for f in ["affected_customers.csv", "report.json", "rejects.csv"] {
        assert!(!dir.join(f).exists(), "{f} written despite the error");
    }
}

#[test]
fn missing_case_file_is_exit_2_naming_it() {
    bin().args(["analyze", "no/such/case.toml"]).assert().code(2).stderr(predicate::str::contains("no/such/case.toml: cannot read"));
}

#[test]
fn unknown_column_in_a_route_is_exit_2_and_writes_nothing() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("\"customers.country\"", "\"customers.nationality\""));
    analyze(&dir).code(2).stderr(predicate::str::contains("field `customers.nationality` is not a `table.column`"));
    assert_nothing_written(&dir);
}

#[test]
fn unknown_key_in_the_case_file_is_reported_with_line_and_column() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("actors = [", "actor = ["));
    analyze(&dir).code(2).stderr(predicate::str::contains("case.toml:3:1: unknown field `actor`"));
    assert_nothing_written(&dir);
}

#[test]
fn unknown_customer_key_column_is_exit_2() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replacen("key = \"customer_id\"", "key = \"id\"", 1));
    analyze(&dir).code(2).stderr(predicate::str::contains("[customers] key `id` is not a column").and(predicate::str::contains("its columns: `customer_id`")));
}

/// A pipe-separated customers table (as databases export them; the layout of DuckDB's test file
/// data/csv/test/new_line_string_rn.csv) reads as one column: the error shows it and says how tables are split.
#[test]
fn a_pipe_separated_table_is_named_as_one_column_with_the_fix() {
    let (_tmp, dir) = case_copy("basic");
    let customers = std::fs::read_to_string(dir.join("customers.csv")).unwrap();
    std::fs::write(dir.join("customers.csv"), customers.replace(',', "|")).unwrap();
    analyze(&dir)
        .code(2)
        .stderr(predicate::str::contains("is one column: a CSV table is split at commas, or at tabs").and(predicate::str::contains("`customer_id|")));
    assert_nothing_written(&dir);
}

#[test]
fn a_declared_format_is_trusted_and_a_file_with_no_record_of_it_is_named() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("format = \"combined\"", "format = \"cloudtrail\""));
    // The run completes (the other logs are read); the web log's lines are not CloudTrail records.
    analyze(&dir)
        .success()
        .stderr(predicate::str::contains("!! 1 log file(s) gave no access event"))
        .stderr(predicate::str::contains("portal-2019-06.log (portal, format cloudtrail): 11 record(s), none an access event (11 rejected"));
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["totals"]["files_without_events"], 1);
    let file = &report["files_without_events"][0];
    assert!(file["path"].as_str().unwrap().ends_with("portal-2019-06.log"), "{file}");
    assert!(file["note"].as_str().unwrap().contains("format = \"cloudtrail\""), "{file}");
    let portal = report["inputs"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with("portal-2019-06.log")).unwrap();
    assert_eq!((portal["events"].as_u64(), portal["rejected"].as_u64()), (Some(0), Some(11)));
}

#[test]
fn a_log_path_matching_nothing_is_exit_2() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("logs/crm_audit.csv", "logs/crm_audit_2020.csv"));
    analyze(&dir).code(2).stderr(predicate::str::contains("no log file matches this path"));
}

#[test]
fn a_customer_table_row_with_missing_fields_is_exit_2_with_its_line() {
    let (_tmp, dir) = case_copy("basic");
    let path = dir.join("customers.csv");
    let mut text = std::fs::read(&path).unwrap();
    text.extend_from_slice(b"C007,Short Row\r\n");
    std::fs::write(&path, text).unwrap();
    analyze(&dir).code(2).stderr(predicate::str::contains("customers.csv:9:3: row has 2 fields, the header has 9"));
    assert_nothing_written(&dir);
}

#[test]
fn no_actor_is_exit_2() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("actors = [\"k.walsh\", \"rpt_k.walsh\"]", "actors = []"));
    analyze(&dir).code(2).stderr(predicate::str::contains("no actors"));
}

#[test]
fn an_empty_window_is_exit_2() {
    let (_tmp, dir) = case_copy("basic");
    bin().args(["analyze", "--since", "2019-07-01", "--until", "2019-06-01"]).arg(dir.join("case.toml")).assert().code(2).stderr(predicate::str::contains("the window is empty"));
}

#[test]
fn the_same_path_for_two_outputs_is_refused() {
    let (tmp, dir) = case_copy("basic");
    let same = tmp.path().join("x.csv");
    bin().args(["analyze", "--out"]).arg(&same).arg("--rejects").arg(&same).arg(dir.join("case.toml")).assert().code(2);
}

#[test]
fn table_access_include_lists_every_row_with_grade_table() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("until = \"2019-09-30T23:59:59Z\"", "until = \"2019-09-30T23:59:59Z\"\ntable_access = \"include\""));
    bin().args(["-q", "analyze"]).arg(dir.join("case.toml")).assert().success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let grades: Vec<(&str, &str)> = rows.iter().map(|r| (r["customer_id"].as_str(), r["evidence"].as_str())).collect();
    assert_eq!(grades, [("C001", "named"), ("C002", "named"), ("C003", "named"), ("C004", "named"), ("C005", "replayed"), ("C006", "table")]);
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["case"]["table_access"], "include");
}

#[test]
fn unknown_table_access_value_is_exit_2() {
    let (_tmp, dir) = case_copy("basic");
    write_case(&dir, |t| t.replace("until = \"2019-09-30T23:59:59Z\"", "until = \"2019-09-30T23:59:59Z\"\ntable_access = \"all\""));
    analyze(&dir).code(2).stderr(predicate::str::contains("table_access = `all`"));
}

#[test]
fn summary_counts_in_words_shows_a_date_bound_as_end_of_day_and_lists_the_manifest() {
    let (_dir, case) = case_copy("replay");
    let out = bin().arg("analyze").arg(case.join("case.toml")).assert().success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("Window: 2019-06-01T00:00:00Z .. 2019-06-30T23:59:59Z (end of day)"), "{stderr}");
    assert!(!stderr.contains("999999999"), "{stderr}");
    assert!(!stderr.contains("(ies)"), "{stderr}");
    assert!(stderr.contains("queries without a key were replayed") || stderr.contains("1 query without a key was replayed"), "{stderr}");
    assert!(stderr.contains("manifest: manifest.json"), "{stderr}");
    let report = read_json(&case.join("report.json"));
    assert_eq!(report["outputs"]["manifest"], "manifest.json");
    // The report keeps the exact bound.
    assert_eq!(report["case"]["until"], "2019-06-30T23:59:59.999999999Z");
}

#[test]
fn an_invalid_date_is_named_as_one_with_where_it_came_from() {
    let (_dir, case) = case_copy("basic");
    let file = case.join("case.toml");
    bin()
        .arg("analyze")
        .arg(&file)
        .args(["--since", "2023-02-30"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--since: `2023-02-30` is not a date: 2023-02 has 28 days, not 30"))
        .stderr(predicates::str::contains("case.toml").not());
    let text = std::fs::read_to_string(&file).unwrap().replace("since = \"2019-06-01\"", "since = \"2019-06-31\"");
    std::fs::write(&file, text).unwrap();
    bin()
        .arg("analyze")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("case.toml: since: `2019-06-31` is not a date: 2019-06 has 30 days, not 31"));
    assert!(!case.join("report.json").exists());
}
