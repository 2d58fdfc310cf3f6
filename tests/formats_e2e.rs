//! End-to-end tests of the audit-log formats: `inspect` on each fixture in testdata/logs/<format>/, `analyze` on
//! the small case in testdata/cases/<format>/ against its expected customer list, bad inputs, and `inspect` over
//! every real sample in ../shared/samples (when that folder is beside the repository).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    Command::cargo_bin("breachscope").expect("binary built")
}

struct Inspected {
    code: i32,
    stdout: String,
    stderr: String,
}

fn inspect(file: &Path, extra: &[&str]) -> Inspected {
    let out = bin().arg("inspect").arg(file).args(["-n", "50"]).args(extra).env("NO_COLOR", "1").output().expect("runs");
    Inspected {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `records:  R read = E access events + I ignored + J rejected`
fn counts(stdout: &str) -> (u64, u64, u64, u64) {
    let line = stdout.lines().find(|l| l.starts_with("records:")).unwrap_or_else(|| panic!("no records line in {stdout}"));
    let n: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    (n[0], n[1], n[2], n[3])
}

fn analyze(case: &str) -> (String, serde_json::Value) {
    let (list, report, _) = analyze_with_rejects(case);
    (list, report)
}

/// As [`analyze`], with the rejects file's text.
fn analyze_with_rejects(case: &str) -> (String, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let case_file = root().join("testdata/cases").join(case).join("case.toml");
    let (out, report, rejects) = (dir.path().join("a.csv"), dir.path().join("r.json"), dir.path().join("rej.csv"));
    bin()
        .arg("analyze")
        .arg(&case_file)
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .arg("--rejects")
        .arg(&rejects)
        .arg("--people")
        .arg(dir.path().join("people.csv"))
        .arg("--jurisdictions")
        .arg(dir.path().join("jurisdictions.csv"))
        .arg("--actions")
        .arg(dir.path().join("actions.csv"))
        .arg("--quiet")
        .assert()
        .success();
    let list = std::fs::read_to_string(&out).unwrap();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (list, report, std::fs::read_to_string(&rejects).unwrap())
}

/// The notification list's row of a customer, by column.
fn row(list: &str, key: &str) -> std::collections::BTreeMap<String, String> {
    let mut reader = csv::Reader::from_reader(list.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == key)
        .map(|r| headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .unwrap_or_else(|| panic!("{key} is not listed"))
}

/// Customer keys of the notification list, in file order.
fn listed(list: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(list.as_bytes());
    reader.records().map(|r| r.unwrap()[0].to_string()).collect()
}

fn expected(case: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("testdata/cases").join(case).join("expected_customers.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn evidence_column(list: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(list.as_bytes());
    let i = reader.headers().unwrap().iter().position(|h| h == "evidence").expect("evidence column");
    reader.records().map(|r| r.unwrap()[i].to_string()).collect()
}

fn ignored(report: &serde_json::Value, file_suffix: &str, reason: &str) -> u64 {
    report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(file_suffix))
        .unwrap_or_else(|| panic!("no input {file_suffix}"))["ignored_by_reason"][reason]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn mysql_audit_fixtures_are_detected_and_read() {
    let logs = root().join("testdata/logs/mysql-audit");
    let r = inspect(&logs.join("audit.20190603T100000.log"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("format:   mysql-audit"), "{}", r.stdout);
    // 11 records: 5 statements, of which the table_access/general pairs count once.
    assert_eq!(counts(&r.stdout), (11, 5, 6, 0));
    assert!(r.stdout.contains("statement already logged (table_access record of the same query): 3"));
    assert!(r.stdout.contains("MySQL error 1142"));

    let r = inspect(&logs.join("percona-audit.json"), &[]);
    assert_eq!(counts(&r.stdout), (5, 3, 2, 0), "{}", r.stdout);
    let r = inspect(&logs.join("percona-audit.xml"), &[]);
    assert!(r.stdout.contains("format:   mysql-audit"), "{}", r.stdout);
    // 3 records (2 access events, 1 login) and the <?xml>, <AUDIT>, </AUDIT> lines.
    assert_eq!(counts(&r.stdout), (6, 2, 4, 0), "{}", r.stdout);

    // MariaDB server_audit times have no zone: rejected unless the zone is given.
    let r = inspect(&logs.join("server_audit.log"), &[]);
    let (read, _, _, rejected) = counts(&r.stdout);
    assert_eq!((read, rejected), (10, 3), "{}", r.stdout);
    assert!(r.stdout.contains("has no time zone: set `time_zone`"));
    let r = inspect(&logs.join("server_audit.log"), &["--time-zone", "UTC"]);
    assert_eq!(counts(&r.stdout), (10, 4, 6, 0), "{}", r.stdout);
    assert!(r.stdout.contains("2019-06-05T08:00:02Z"));
    assert!(r.stdout.contains("2019-06-05T08:00:00Z"), "Aurora epoch microseconds: {}", r.stdout);
}

#[test]
fn mysql_audit_case_lists_the_expected_customers() {
    let (list, report) = analyze("mysql-audit");
    assert_eq!(listed(&list), expected("mysql-audit"));
    assert!(evidence_column(&list).iter().all(|e| e == "named"));
    assert_eq!(ignored(&report, "server_audit.log", "table record of a logged query (joined by connection and query id)"), 2);
    assert_eq!(ignored(&report, "percona-audit.json", "aggregate query (no record exposed)"), 1);
    assert_eq!(ignored(&report, "audit.20190603T100000.log", "failed request"), 1);
    // Percona's CSV layout (found by the `percona-audit.*` glob, told from its content): C002's read, the failed read
    // and the SHOW command (by its command_class).
    let csv = report["inputs"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with("percona-audit.csv")).unwrap();
    assert_eq!((csv["format"].as_str(), csv["used"].as_u64(), csv["rejected"].as_u64()), (Some("mysql-audit"), Some(1), Some(0)));
    assert_eq!(ignored(&report, "percona-audit.csv", "failed request"), 1);
    assert_eq!(ignored(&report, "percona-audit.csv", "administration statement: SHOW (server metadata), no table rows returned"), 1);
    assert!(row(&list, "C002")["sources"].contains("percona"));
}

#[test]
fn mongodb_audit_fixture_and_case() {
    let r = inspect(&root().join("testdata/logs/mongodb-audit/auditLog.json"), &[]);
    assert!(r.stdout.contains("format:   mongodb-audit"), "{}", r.stdout);
    assert_eq!(counts(&r.stdout), (12, 8, 4, 0));
    assert!(r.stdout.contains("MongoDB error 13 (Unauthorized)"));

    let (list, report) = analyze("mongodb-audit");
    assert_eq!(listed(&list), expected("mongodb-audit"));
    // The `{state: "VT"}` find is replayed against the customers table: the Vermont customers, graded so.
    assert_eq!(report["unresolved_queries"], serde_json::json!([]));
    let replayed = report["replayed_queries"].as_array().unwrap();
    assert_eq!(replayed.len(), 1);
    assert!(replayed[0]["statement"].as_str().unwrap().contains("{\"state\":\"VT\"}"));
    let c005 = list.lines().find(|l| l.starts_with("C005,")).unwrap();
    assert!(c005.ends_with(",replayed") && c005.contains("customers.customer_id;customers.email,"), "{c005}");
    // The projection limits the exposed fields: C001 showed its name and email only.
    let c001 = list.lines().find(|l| l.starts_with("C001,")).unwrap();
    assert!(c001.contains("customers.customer_id;customers.email;customers.full_name,"), "{c001}");
}

#[test]
fn cloudtrail_gzip_file_eventbridge_and_declared_export() {
    let logs = root().join("testdata/logs/cloudtrail");
    let gz = logs.join("123456789012_CloudTrail_us-east-1_20190603T1005Z_EXAMPLE.json.gz");
    let r = inspect(&gz, &[]);
    assert!(r.stdout.contains("format:   cloudtrail"), "{}", r.stdout);
    assert_eq!(counts(&r.stdout), (8, 6, 2, 0));
    assert!(r.stdout.contains("AccessDeniedException"));
    let r = inspect(&logs.join("eventbridge-dynamodb.jsonl"), &[]);
    assert_eq!(counts(&r.stdout), (2, 2, 0, 0), "{}", r.stdout);

    let (list, report) = analyze("cloudtrail");
    assert_eq!(listed(&list), expected("cloudtrail"));
    // The export held C004 and C005 with name and email: only those columns are exposed for them.
    let c005 = list.lines().find(|l| l.starts_with("C005,")).unwrap();
    assert!(c005.contains("customers.customer_id;customers.email;customers.full_name,"), "{c005}");
    assert_eq!(ignored(&report, ".json.gz", "S3 object not declared in [[exports]]"), 1);
    assert_eq!(ignored(&report, ".json.gz", "write request (no item returned)"), 1);
    assert_eq!(ignored(&report, ".json.gz", "management event (no record data)"), 1);
    assert_eq!(report["unresolved_queries"][0]["reason"], "Scan with a Limit: which items came back is not known");
}

#[test]
fn cloudtrail_variants_batch_get_shapes_copies_access_points_and_one_line_records() {
    let (list, report, rejects) = analyze_with_rejects("cloudtrail-variants");
    // Every BatchGetItem shape names its items; copies, presigned and access-point reads name their exports. C009
    // was read by another account, C010 only by the whole-table Scan (not listed by default).
    assert_eq!(listed(&list), expected("cloudtrail-variants"));
    assert_eq!(row(&list, "C001")["exposed_fields"], "customers.email;customers.full_name", "each entry's own projection");
    assert_eq!(row(&list, "C003")["exposed_fields"], "tickets.subject", "attributesToGet of the {{tableName, keys}} entry");
    assert_eq!(row(&list, "C004")["exposed_fields"], "customers.full_name;customers.phone", "the map shape, keyed by a table ARN");
    for (customer, export) in [("C005", "copy, URL-encoded source with ?versionId="), ("C006", "copy through an access point ARN"), ("C007", "presigned GetObject"), ("C008", "GetObject through an access point")] {
        assert_eq!(row(&list, customer)["evidence"], "named", "{export}");
    }
    // The network activity copy of the CopyObject is not a second read.
    assert_eq!(row(&list, "C005")["access_count"], "1");

    let records = report["inputs"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().contains("Vx8Dqy")).unwrap();
    assert_eq!((records["read"].as_u64(), records["rejected"].as_u64()), (Some(13), Some(1)));
    let ignored = &records["ignored_by_reason"];
    assert_eq!(ignored["CloudTrail Insights event (activity statistics, not an access)"], 1);
    assert_eq!(ignored["network activity event (the call as a VPC endpoint saw it: its data event counts)"], 1);
    // The digest file the glob caught is ignored with its reason, and named as a file with no event.
    let digest = report["inputs"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().contains("Digest")).unwrap();
    assert_eq!(digest["ignored_by_reason"]["CloudTrail digest file (hashes of log files, no events)"], 1);
    assert_eq!(report["totals"]["files_without_events"], 1);
    assert!(report["files_without_events"][0]["path"].as_str().unwrap().contains("CloudTrail-Digest"));

    // One unresolved access for the BatchGetItem that logged no key (two tables), naming its record.
    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert_eq!(unresolved[0]["statement"], "DynamoDB BatchGetItem customers, tickets");
    assert_eq!(unresolved[0]["line"], 1);
    assert_eq!(unresolved[0]["record"], serde_json::json!({"index": 3, "id": "0c6a1b03-5f2e-4d7a-9b31-a1e2c3d4e5f6"}));
    // The whole-table read and its blind-spot line name Records[11]; the rejected record names Records[10].
    assert_eq!(report["table_accesses"][0]["record"]["index"], 11);
    let blind = report["coverage"]["sources"][0]["blind_spots"].as_array().unwrap().iter().find(|b| b["kind"] == "whole_table_read").unwrap();
    assert_eq!(blind["actor_lines"][0]["record"]["id"], "0c6a1b11-5f2e-4d7a-9b31-a1e2c3d4e5f6");
    assert!(rejects.contains(",1,") && rejects.contains("Records[10] eventID 0c6a1b10-5f2e-4d7a-9b31-a1e2c3d4e5f6: eventTime"), "{rejects}");
    // inspect lists the events by line and record.
    let r = inspect(&root().join(records["path"].as_str().unwrap().replace("../../", "testdata/")), &[]);
    assert_eq!(counts(&r.stdout), (13, 10, 2, 1), "{}", r.stdout);
    assert!(r.stdout.contains("1 Records[2]"), "{}", r.stdout);
}

#[test]
fn sql_as_orms_write_it_in_every_dialect_and_administration_statements() {
    let (list, report) = analyze("sql-dialects");
    // Hibernate, ActiveRecord, Sequelize, Django (MySQL, backticks, schema-qualified), MySQL's "string", Django on
    // MariaDB, Sequelize and ActiveRecord on PostgreSQL (double quotes), EF Core (brackets). C006 and C010 were
    // read only through a table that is not the case's; C010 also by another account.
    assert_eq!(listed(&list), expected("sql-dialects"));
    assert!(evidence_column(&list).iter().all(|e| e == "named"));
    assert_eq!(row(&list, "C001")["exposed_fields"], "customers.customer_id;customers.email;customers.full_name");
    assert_eq!(row(&list, "C003")["exposed_fields"], "customers.customer_id;customers.full_name;customers.phone");
    assert_eq!(row(&list, "C004")["exposed_fields"], "tickets.subject;tickets.ticket_number", "Django's table, mapped");
    assert_eq!(row(&list, "C009")["sources"], "app");
    // The table that is not the case's is named with its events, not silently "reads no case table".
    assert_eq!(report["tables_not_in_case"], serde_json::json!([{"name": "crm.crm_customer_note", "events": 2}]));
    assert_eq!(report["totals"]["tables_not_in_case"], 1);
    // Administration statements are ignored with their reason and do not block the "not exposed" statement.
    for file in ["audit.20190612T090000.log", "server_audit.log"] {
        assert_eq!(ignored(&report, file, "administration statement: accounts and privileges (CREATE USER, GRANT, SET PASSWORD...), no table rows returned"), 3, "{file}");
        assert_eq!(ignored(&report, file, "administration statement: plugin or component (INSTALL, UNINSTALL), no table rows returned"), 1, "{file}");
        assert_eq!(ignored(&report, file, "administration statement: schema change (ALTER TABLE, RENAME TABLE...), no table rows returned"), 1, "{file}");
        assert_eq!(ignored(&report, file, "administration statement: SHOW (server metadata), no table rows returned"), 1, "{file}");
        assert_eq!(ignored(&report, file, "administration statement: a setting (SET), no table rows returned"), 1, "{file}");
    }
    assert_eq!(report["exposure"]["not_exposed_blocked_by"], serde_json::Value::Null);
    assert_eq!(report["exposure"]["held_not_exposed"], serde_json::json!(["bank_account_numbers"]));
    // The EF Core statement whose parameter was not logged is the one unresolved access.
    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1);
    assert!(unresolved[0]["statement"].as_str().unwrap().contains("@__customerId_0"), "{unresolved:?}");
}

#[test]
fn salesforce_event_log_files_and_report_export() {
    let logs = root().join("testdata/logs/salesforce");
    let r = inspect(&logs.join("2019-06-03_URI.csv"), &[]);
    assert!(r.stdout.contains("format:   salesforce"), "{}", r.stdout);
    assert_eq!(counts(&r.stdout), (3, 2, 1, 0));
    let users = root().join("testdata/cases/salesforce/users.csv");
    let r = inspect(&logs.join("2019-06-03_URI.csv"), &["--users", users.to_str().unwrap()]);
    assert!(r.stdout.contains("k.walsh") && r.stdout.contains("j.doe"), "{}", r.stdout);

    let (list, report) = analyze("salesforce");
    assert_eq!(listed(&list), expected("salesforce"));
    let reasons: Vec<&str> = report["unresolved_queries"].as_array().unwrap().iter().map(|u| u["statement"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"Salesforce API query on Contact (250 rows)"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("Salesforce report 00O5j000009zzzZ")), "{reasons:?}");
}

#[test]
fn zendesk_access_logs_json_and_csv() {
    let logs = root().join("testdata/logs/zendesk");
    for (file, expect) in [("access_logs.jsonl", (8, 8, 0, 0)), ("access_logs.csv", (2, 2, 0, 0))] {
        let r = inspect(&logs.join(file), &[]);
        assert!(r.stdout.contains("format:   zendesk"), "{}", r.stdout);
        assert_eq!(counts(&r.stdout), expect, "{file}");
    }
    let (list, report) = analyze("zendesk");
    assert_eq!(listed(&list), expected("zendesk"));
    assert_eq!(report["unmatched_request_paths"]["/api/v2/help_center/articles.json"], 1);
}

#[test]
fn generic_record_cells_with_several_ids() {
    let (list, _) = analyze("generic-multi");
    assert_eq!(listed(&list), expected("generic-multi"));
}

#[test]
fn bad_inputs_are_clear_errors_or_rejections() {
    let dir = tempfile::tempdir().unwrap();
    // A MySQL Enterprise file cut off in the middle of a record: earlier records read, the cut one rejected.
    let cut = dir.path().join("audit.log");
    let full = std::fs::read_to_string(root().join("testdata/logs/mysql-audit/audit.20190603T100000.log")).unwrap();
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let r = inspect(&cut, &["--format", "mysql-audit"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("cut short") || r.stdout.contains("runs past the end of the line"), "{}", r.stdout);
    // A declared format that does not match.
    bin().arg("inspect").arg(&cut).args(["--format", "salesforce"]).assert().code(2);
    // A bad zone.
    let r = inspect(&root().join("testdata/logs/mysql-audit/server_audit.log"), &["--time-zone", "Mars/Olympus"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--time-zone"), "{}", r.stderr);
    // An export whose key column is missing is a case error naming the export.
    let case_dir = dir.path().join("case");
    std::fs::create_dir_all(case_dir.join("exports")).unwrap();
    for f in ["customers.csv", "tickets.csv", "case.toml"] {
        std::fs::copy(root().join("testdata/cases/cloudtrail").join(f), case_dir.join(f)).unwrap();
    }
    std::fs::write(case_dir.join("exports/vip-customers.csv"), "id,email\nC004,dan@example.com\n").unwrap();
    let text = std::fs::read_to_string(case_dir.join("case.toml")).unwrap().replace("../../logs", &root().join("testdata/logs").to_string_lossy());
    std::fs::write(case_dir.join("case.toml"), text).unwrap();
    let out = bin().arg("analyze").arg(case_dir.join("case.toml")).arg("--quiet").current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[[exports]] #1") && err.contains("key column `customer_id`"), "{err}");
}

/// Every real sample goes through `inspect` without a crash: a report (exit 0) or a one-line error (exit 2).
/// Records of the formats read here that are not data access (DDL, logins) are counted as ignored with a reason.
#[test]
fn every_shared_sample_goes_through_inspect() {
    let samples = root().join("../shared/samples");
    if !samples.is_dir() {
        println!("note: {} does not exist; the real-sample check is skipped", samples.display());
        return;
    }
    let mut files = Vec::new();
    let mut stack = vec![samples.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "SOURCE.txt") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty());
    for file in &files {
        let r = inspect(file, &["--time-zone", "UTC"]);
        let name = file.strip_prefix(&samples).unwrap().to_string_lossy().into_owned();
        assert!(r.code == 0 || r.code == 2, "{name}: exit {} {}", r.code, r.stderr);
        assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
        if r.code == 2 {
            assert_eq!(r.stderr.trim().lines().count(), 1, "{name}: {}", r.stderr);
            continue;
        }
        let (read, events, ignored, rejected) = counts(&r.stdout);
        assert_eq!(read, events + ignored + rejected, "{name}");
        let expect = |reason: &str| assert!(r.stdout.contains(reason), "{name}: no `{reason}` in\n{}", r.stdout);
        match name.as_str() {
            "mysql_mariadb_percona/mariadb_server_audit_sample.log" => {
                assert!(r.stdout.contains("format:   mysql-audit"));
                assert_eq!(rejected, 0);
                expect("ignored: login, logout or connection record: 4");
                expect("ignored: table record of a logged query (joined by connection and query id): 5");
            }
            "mysql_mariadb_percona/mariadb_rds_server_audit_sample.log" => {
                assert_eq!((read, rejected), (13, 0));
                expect("statement already logged (repeated line of the same query id): 1");
            }
            "mysql_mariadb_percona/mysql_enterprise_audit_json.log" => {
                assert_eq!((read, events, rejected), (6, 3, 0));
                expect("ignored: login, logout or connection record: 2");
            }
            n if n.starts_with("mysql_mariadb_percona/") => {
                // Logstash/syslog envelopes: rejected with the reason, nothing read as an access.
                assert_eq!((events, rejected), (0, read), "{name}");
                expect("extract the JSON first");
            }
            n if n.starts_with("mongodb/ibm_test_resources/") => {
                assert_eq!((events, ignored, rejected), (0, 1, 0), "{name}");
                assert!(
                    ["schema change (DDL)", "user or role administration", "login, logout or session record", "not a data access record"]
                        .iter()
                        .any(|reason| r.stdout.contains(&format!("ignored: {reason}: 1"))),
                    "{name}: {}",
                    r.stdout
                );
            }
            n if n.starts_with("cloudtrail/") => {
                assert!(r.stdout.contains("format:   cloudtrail"), "{name}");
                assert_eq!(rejected, 0, "{name}");
            }
            _ => {}
        }
    }
}

/// `"Nom complet|Courriel"` names two columns with a space in one of them: the cell is split on `|`, never on
/// spaces, so names are exposed (not "NOT exposed"); `fields_separator` reads another separator.
#[test]
fn a_fields_cell_with_spaces_in_column_names_is_split_on_its_separator() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("clients.csv"), "id,Nom complet,Courriel,Téléphone\nC1,Anne Lévy,anne@example.fr,+33 1 23 45 67 89\nC2,Paul Roy,paul@example.fr,+33 1 98 76 54 32\n").unwrap();
    std::fs::write(
        d.join("audit.csv"),
        "event_time,user_name,entity,entity_id,fields_viewed\n2019-06-03T10:00:00Z,k.walsh,customers,C1,Nom complet|Courriel\n2019-06-03T10:01:00Z,k.walsh,customers,C2,Nom complet / Téléphone\n",
    )
    .unwrap();
    let case = |separator: &str| {
        format!(
            "[case]\nname = \"fr\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"clients.csv\"\nkey = \"id\"\n\n[customers.columns]\nname = \"Nom complet\"\nemail = \"Courriel\"\nphone = \"Téléphone\"\n\n[[logs]]\npath = \"audit.csv\"\nformat = \"csv\"\n{separator}"
        )
    };
    std::fs::write(d.join("case.toml"), case("")).unwrap();
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).arg("-q").assert().success();
    let list = std::fs::read_to_string(d.join("affected_customers.csv")).unwrap();
    let c1 = list.lines().find(|l| l.starts_with("C1,")).unwrap();
    assert!(c1.contains("email_addresses") && c1.contains("names") && !c1.contains("phone_numbers"), "{list}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
    assert!(report["unknown_fields"].get("customers.Nom").is_none(), "{}", report["unknown_fields"]);
    // C2's cell uses ` / `: unknown as a whole without the key, read with it.
    assert!(report["unknown_fields"].get("customers.Nom complet / Téléphone").is_some(), "{}", report["unknown_fields"]);

    std::fs::write(d.join("case.toml"), case("fields_separator = \" / \"\n")).unwrap();
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).args(["-q", "--force"]).assert().success();
    let list = std::fs::read_to_string(d.join("affected_customers.csv")).unwrap();
    let c2 = list.lines().find(|l| l.starts_with("C2,")).unwrap();
    assert!(c2.contains("names") && c2.contains("phone_numbers") && !c2.contains("email_addresses"), "{list}");
}

/// The `action` role is used: reads and writes expose what they name (writes marked `edited`), session rows
/// are ignored with their reason, an unknown action is read as a read and named loudly; `writes` and
/// `[logs.actions]` say otherwise.
#[test]
fn audit_row_actions_follow_the_vocabulary_and_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("customers.csv"), "customer_id,full_name,email\nC1,Ann,a@x\nC2,Bob,b@x\nC3,Cy,c@x\nC4,Di,d@x\n").unwrap();
    std::fs::write(
        d.join("audit.csv"),
        "event_time,user_name,action,entity,entity_id,fields_viewed\n\
         2019-06-03T10:00:00Z,k.walsh,VIEW,customers,C1,full_name\n\
         2019-06-03T10:01:00Z,k.walsh,UPDATE,customers,C2,email\n\
         2019-06-03T10:02:00Z,k.walsh,LOGIN,,,\n\
         2019-06-03T10:03:00Z,k.walsh,ESCALATE,customers,C4,full_name\n",
    )
    .unwrap();
    let write_case = |extra: &str| {
        std::fs::write(
            d.join("case.toml"),
            format!("[case]\nname = \"a\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"customers.csv\"\nkey = \"customer_id\"\n\n[[logs]]\npath = \"audit.csv\"\nformat = \"csv\"\n{extra}"),
        )
        .unwrap()
    };
    let run = || {
        let out = Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).arg("--force").assert().success();
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        let list = std::fs::read_to_string(d.join("affected_customers.csv")).unwrap();
        let rows: Vec<(String, String)> = list
            .lines()
            .skip(1)
            .map(|l| (l.split(',').next().unwrap().to_string(), if l.contains(",edited") || l.contains("edited,") { "edited".into() } else { "named".into() }))
            .collect();
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
        (rows, report, stderr)
    };

    write_case("");
    let (rows, report, stderr) = run();
    assert_eq!(rows, [("C1".into(), "named".into()), ("C2".into(), "edited".into()), ("C4".into(), "named".into())]);
    assert_eq!(report["unknown_actions"], serde_json::json!({"ESCALATE": 1}));
    assert_eq!(report["ignored_by_reason"]["session or sign-in action `LOGIN` (no record shown)"], 1);
    assert!(stderr.contains("!! 1 event with an action the vocabulary does not know, read as reads (the safe side): `ESCALATE` (1)"), "{stderr}");

    write_case("writes = \"nothing\"\n\n[logs.actions]\nESCALATE = \"none\"\n");
    let (rows, report, _) = run();
    assert_eq!(rows, [("C1".to_string(), "named".to_string())]);
    assert_eq!(report["unknown_actions"], serde_json::json!({}));

    write_case("[logs.actions]\nESCALATE = \"peek\"\n");
    analyze_refused(&d.join("case.toml"), "[logs.actions] ESCALATE = `peek`: use read, write, session or none");
}

/// A route may capture part of a segment: `/api/v2/tickets/{tickets}.json`, `/c/{customers}-details`. The key
/// is what stands between the fixed parts; a segment without them does not match.
#[test]
fn a_route_captures_part_of_a_segment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("customers.csv"), "customer_id,full_name,email\nC1,Ann,a@x\nC2,Bob,b@x\nC3,Cy,c@x\n").unwrap();
    std::fs::write(d.join("tickets.csv"), "ticket_number,customer_id,subject\nT1,C1,Refund\nT2,C3,Login\n").unwrap();
    std::fs::write(
        d.join("portal.log"),
        "10.0.0.1 - k.walsh [03/Jun/2019:10:00:00 +0000] \"GET /api/v2/tickets/T1.json HTTP/1.1\" 200 10 \"-\" \"x\"\n\
         10.0.0.1 - k.walsh [03/Jun/2019:10:01:00 +0000] \"GET /c/C2-details HTTP/1.1\" 200 10 \"-\" \"x\"\n\
         10.0.0.1 - k.walsh [03/Jun/2019:10:02:00 +0000] \"GET /api/v2/tickets/T2 HTTP/1.1\" 200 10 \"-\" \"x\"\n\
         10.0.0.1 - k.walsh [03/Jun/2019:10:03:00 +0000] \"GET /c/-details HTTP/1.1\" 200 10 \"-\" \"x\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("case.toml"),
        "[case]\nname = \"r\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"customers.csv\"\nkey = \"customer_id\"\n\n[[tables]]\nname = \"tickets\"\npath = \"tickets.csv\"\nkey = \"ticket_number\"\ncustomer = \"customer_id\"\n\n\
         [[logs]]\npath = \"portal.log\"\nformat = \"combined\"\n\n[[logs.routes]]\npath = \"/api/v2/tickets/{tickets}.json\"\nfields = [\"tickets.subject\"]\n\n\
         [[logs.routes]]\npath = \"/c/{customers}-details\"\nfields = [\"customers.full_name\"]\n",
    )
    .unwrap();
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).arg("-q").assert().success();
    let list = std::fs::read_to_string(d.join("affected_customers.csv")).unwrap();
    let listed: Vec<&str> = list.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(listed, ["C1", "C2"], "T1 through `{{tickets}}.json`, C2 through `{{customers}}-details`; `/tickets/T2` without `.json` and an empty key match nothing");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["unmatched_request_paths"]["/api/v2/tickets/T2"], 1);
    assert_eq!(report["unmatched_request_paths"]["/c/-details"], 1);

    // Two captures in one segment are refused when the case loads.
    let text = std::fs::read_to_string(d.join("case.toml")).unwrap().replace("{customers}-details", "{customers}-{tickets}");
    std::fs::write(d.join("case.toml"), text).unwrap();
    analyze_refused(&d.join("case.toml"), "a segment captures at most one {table}");
}

/// A customers table with first and last names but no full name: the list shows them joined (declared with
/// `name = [...]`, or guessed from the usual column names), never an empty name.
#[test]
fn a_name_in_parts_is_listed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("audit.csv"),
        "event_time,user_name,entity,entity_id,fields_viewed\n2019-06-03T10:00:00Z,k.walsh,customers,C1,first_name|last_name\n2019-06-03T10:01:00Z,k.walsh,customers,C2,email\n",
    )
    .unwrap();
    let run = |customers: &str, columns: &str| {
        std::fs::write(d.join("customers.csv"), customers).unwrap();
        std::fs::write(
            d.join("case.toml"),
            format!("[case]\nname = \"n\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"customers.csv\"\nkey = \"id\"\n{columns}\n[[logs]]\npath = \"audit.csv\"\nformat = \"csv\"\n"),
        )
        .unwrap();
        Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(d.join("case.toml")).args(["-q", "--force"]).assert().success();
        let list = csv::Reader::from_path(d.join("affected_customers.csv")).unwrap().into_records().map(|r| r.unwrap()).collect::<Vec<_>>();
        list.iter().map(|r| (r[0].to_string(), r[1].to_string(), r[7].to_string())).collect::<Vec<_>>()
    };
    // Guessed from first_name/last_name.
    let rows = run("id,first_name,last_name,email\nC1,Ann,Lee,a@x\nC2,Bob,,b@x\n", "");
    assert_eq!(rows[0].0, "C1");
    assert_eq!(rows[0].1, "Ann Lee");
    assert_eq!(rows[0].2, "names", "both parts are names");
    assert_eq!(rows[1].1, "Bob", "an empty part is left out");
    // Declared.
    let rows = run("id,Vorname,Nachname,email\nC1,Anna,Berg,a@x\nC2,Bo,Ek,b@x\n", "\n[customers.columns]\nname = [\"Vorname\", \"Nachname\"]\n");
    assert_eq!((rows[0].1.as_str(), rows[1].1.as_str()), ("Anna Berg", "Bo Ek"));
    // Only the name may be given in parts.
    std::fs::write(
        d.join("case.toml"),
        "[case]\nname = \"n\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"customers.csv\"\nkey = \"id\"\n\n[customers.columns]\nemail = [\"email\", \"Vorname\"]\n\n[[logs]]\npath = \"audit.csv\"\nformat = \"csv\"\n",
    )
    .unwrap();
    analyze_refused(&d.join("case.toml"), "[customers.columns] email: give one column (only `name` may list its parts)");
}

/// `analyze --force` on `case` stops with exit 2 and `message` on stderr.
fn analyze_refused(case: &Path, message: &str) {
    Command::cargo_bin("breachscope").unwrap().arg("analyze").arg(case).arg("--force").assert().code(2).stderr(predicates::str::contains(message));
}
