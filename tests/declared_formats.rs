//! End-to-end tests of "declared formats are trusted": a file whose start does not look like its declared format
//! is read as declared (what is not of the format is ignored with the reason), a file with no record of it is named
//! in the summary and report, and a file close to a supported format but read as a generic export says which format
//! it looks like and the key to set.

use crate::common::*;
use predicates::prelude::*;

/// A csvlog line of the basic case's server (session 4242 of k.walsh): `message` as the csvlog's message field.
fn csvlog(time: &str, line: u64, tag: &str, message: &str) -> String {
    format!(
        "2019-06-{time} UTC,\"k.walsh\",\"supportdb\",4242,\"10.0.0.9:5432\",5cf7a1.1,{line},\"{tag}\",2019-06-05 08:00:00 UTC,3/12,0,LOG,00000,\"{}\",,,,,,,,,\"psql\",\"client backend\",,0\n",
        message.replace('"', "\"\"")
    )
}

/// Connection lines (no AUDIT record) filling more than `bytes`.
fn connections(bytes: usize) -> String {
    let mut text = String::new();
    let mut n = 0;
    while text.len() <= bytes {
        n += 1;
        text.push_str(&csvlog("06 07:00:00.000", n, "authentication", &format!("connection authorized: user=k.walsh database=supportdb application_name=psql-{n}")));
    }
    text
}

#[test]
fn a_pgaudit_csvlog_whose_first_audit_line_is_past_the_sample_is_read() {
    let (_tmp, dir) = case_copy("basic");
    // 80 KB of connection lines, then k.walsh reads C006.
    let mut log = connections(80 * 1024);
    log.push_str(&csvlog(
        "06 08:30:00.000",
        9999,
        "SELECT",
        "AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT email FROM public.customers WHERE customer_id = 'C006'\",<none>",
    ));
    std::fs::write(dir.join("logs/postgresql-2019-06-06.csv"), log).unwrap();
    // A rotated csvlog with no AUDIT line at all.
    std::fs::write(dir.join("logs/postgresql-2019-06-07.csv"), connections(2 * 1024)).unwrap();

    bin()
        .arg("analyze")
        .arg(dir.join("case.toml"))
        .assert()
        .success()
        .stderr(predicate::str::contains("!! 1 log file(s) gave no access event"))
        .stderr(predicate::str::contains("logs/postgresql-2019-06-07.csv (supportdb, format pgaudit)"));
    let ids: Vec<String> = read_csv(&dir.join("affected_customers.csv")).iter().map(|r| r["customer_id"].clone()).collect();
    assert_eq!(ids, ["C001", "C002", "C003", "C004", "C005", "C006"]);
    let c006 = read_csv(&dir.join("affected_customers.csv")).into_iter().find(|r| r["customer_id"] == "C006").unwrap();
    assert_eq!((c006["exposed_fields"].as_str(), c006["sources"].as_str()), ("customers.email", "supportdb"));
    let report = read_json(&dir.join("report.json"));
    let rotated = &report["files_without_events"][0];
    assert!(rotated["path"].as_str().unwrap().ends_with("postgresql-2019-06-07.csv"), "{rotated}");
    assert!(rotated["note"].as_str().unwrap().contains("none an access event"), "{rotated}");

    // `inspect` with the declared format reads it too; without one it cannot tell (only connection lines at the start).
    let big = dir.join("logs/postgresql-2019-06-06.csv");
    let out = bin().arg("inspect").arg(&big).args(["--format", "pgaudit"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("access events"));
}

#[test]
fn a_file_close_to_a_supported_format_names_it_and_the_key_to_set() {
    let dir = tempfile::tempdir().unwrap();
    // A plain PostgreSQL csvlog (no pgaudit), read as a generic CSV export.
    let csvlog_file = dir.path().join("postgresql.csv");
    std::fs::write(&csvlog_file, connections(100)).unwrap();
    // Percona's audit_log CSV, read as a generic CSV export.
    let percona = repo().join("testdata/logs/mysql-audit/percona-audit.csv");
    for (file, named) in [(&csvlog_file, "a PostgreSQL csvlog"), (&percona, "a Percona audit_log CSV")] {
        let key = if named.contains("PostgreSQL") { "format = \"pgaudit\"" } else { "format = \"mysql-audit\"" };
        bin().arg("inspect").arg(file).args(["--format", "csv"]).assert().code(2).stderr(predicate::str::contains(named)).stderr(predicate::str::contains(key));
    }
    // Read as what it is, the Percona CSV's statements are events (the failed one too), its logins ignored.
    bin()
        .arg("inspect")
        .arg(&percona)
        .assert()
        .success()
        .stdout(predicate::str::contains("format:   mysql-audit"))
        .stdout(predicate::str::contains("records:  5 read = 3 access events + 2 ignored + 0 rejected"));
}
