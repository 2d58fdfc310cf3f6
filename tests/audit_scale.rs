//! The benchmark's case (`generate --audit-only`): streamed, and analysed to exactly its expected answer,
//! with the prefix-named colleague, the insider's name inside other accounts' rows and multi-line records.

use crate::common::*;

#[test]
fn audit_only_case_is_analysed_to_its_expected_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("case");
    bin()
        .args(["-q", "generate", "--audit-only", "--customers", "3000", "--events", "30000", "--affected", "300", "--seed", "7"])
        .arg(&case)
        .assert()
        .success();
    let log = std::fs::read_to_string(case.join("logs/crm_audit.csv")).unwrap();
    assert!(log.contains(",k.walshe,") && log.contains("search user=k.walsh") && log.contains("|\n"), "the traps are in the log");
    bin().args(["-q", "analyze"]).arg(case.join("case.toml")).assert().success();
    let expected = read_csv(&case.join("expected_affected_customers.csv"));
    let got = read_csv(&case.join("affected_customers.csv"));
    assert_eq!(expected.len(), 300);
    assert_eq!(got.len(), expected.len());
    for (e, g) in expected.iter().zip(&got) {
        for column in ["customer_id", "data_classes", "exposed_fields", "first_access", "last_access", "access_count", "sources", "evidence"] {
            assert_eq!(e[column], g[column], "customer {} column {column}", e["customer_id"]);
        }
    }
    let report = read_json(&case.join("report.json"));
    assert_eq!(report["totals"]["records_rejected"], 0);
}

#[test]
fn audit_only_case_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        bin().args(["-q", "generate", "--audit-only", "--customers", "500", "--events", "2000", "--affected", "40"]).arg(tmp.path().join(name)).assert().success();
    }
    for f in ["customers.csv", "tickets.csv", "logs/crm_audit.csv", "expected_affected_customers.csv", "case.toml"] {
        assert!(content(&tmp.path().join("a").join(f)) == content(&tmp.path().join("b").join(f)), "{f} differs between runs");
    }
}

/// Parsing on a second core changes nothing: every output is byte-identical with `BREACHSCOPE_THREADS=1`.
#[test]
fn parallel_and_sequential_runs_write_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = ["affected_customers.csv", "report.json", "rejects.csv", "affected_people.csv", "jurisdictions.csv", "actions.csv", "report.html"];
    // The same case folder for both runs (report.json names the case file); each run's outputs are moved aside.
    let case = tmp.path().join("case");
    copy_dir(&repo().join("examples/support-insider"), &case);
    for f in outputs {
        let _ = std::fs::remove_file(case.join(f));
    }
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        bin()
            .env("BREACHSCOPE_THREADS", threads)
            .args(["-q", "analyze"])
            .arg(case.join("case.toml"))
            .arg("--html")
            .arg(case.join("report.html"))
            .assert()
            .success();
        let saved = tmp.path().join(format!("threads-{threads}"));
        std::fs::create_dir_all(&saved).unwrap();
        for f in outputs {
            std::fs::rename(case.join(f), saved.join(f)).unwrap();
        }
        // The manifest holds the run's start and end times; tests/reliability.rs compares it apart from them.
        std::fs::remove_file(case.join("manifest.json")).unwrap();
        runs.push(saved);
    }
    for f in outputs {
        let (a, b) = (std::fs::read(runs[0].join(f)).unwrap(), std::fs::read(runs[1].join(f)).unwrap());
        assert!(a == b, "{f} differs between sequential and parallel runs");
    }
}
