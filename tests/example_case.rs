//! The bundled example case: reproducible from its generator, and analysed to exactly its expected answer.

use crate::common::*;

const EXAMPLE: &str = "examples/support-insider";
/// What `analyze` writes beside a case file (ignored by git; a user may have run it in the example).
const ANALYSIS_OUTPUTS: [&str; 5] = ["affected_customers.csv", "report.json", "rejects.csv", "affected_people.csv", "jurisdictions.csv"];

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.push(entry.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn generator_reproduces_the_committed_example() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("case");
    bin().args(["-q", "generate"]).arg(&out).assert().success();
    let committed = repo().join(EXAMPLE);
    let mut expected = files(&committed);
    expected.retain(|f| !ANALYSIS_OUTPUTS.contains(&f.as_str()));
    assert_eq!(files(&out), expected);
    for f in &expected {
        assert!(content(&out.join(f)) == content(&committed.join(f)), "{f} differs from the generator's output");
    }
}

#[test]
fn analysis_of_the_example_matches_its_expected_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let case_dir = tmp.path().join("case");
    copy_dir(&repo().join(EXAMPLE), &case_dir);
    for f in ANALYSIS_OUTPUTS {
        let _ = std::fs::remove_file(case_dir.join(f));
    }
    bin().args(["-q", "analyze"]).arg(case_dir.join("case.toml")).assert().success();
    let expected = read_csv(&case_dir.join("expected_affected_customers.csv"));
    let got = read_csv(&case_dir.join("affected_customers.csv"));
    assert_eq!(got.len(), expected.len());
    assert!(expected.len() > 200, "the example has a real number of victims");
    for (e, g) in expected.iter().zip(&got) {
        for column in ["customer_id", "data_classes", "exposed_fields", "first_access", "last_access", "access_count", "sources", "evidence"] {
            assert_eq!(e[column], g[column], "customer {} column {column}", e["customer_id"]);
        }
        assert_eq!(g["segment"], "consumer", "no business or government customer was touched");
    }
    let replayed = got.iter().filter(|r| r["evidence"] == "replayed").count();
    assert!(replayed > 50, "the Vermont query's customers are found by replay ({replayed})");
    let report = read_json(&case_dir.join("report.json"));
    let totals = &report["totals"];
    assert_eq!(totals["records_rejected"], 0);
    assert_eq!(
        totals["records_read"].as_u64().unwrap(),
        totals["records_used"].as_u64().unwrap() + totals["records_ignored"].as_u64().unwrap()
    );
    assert_eq!(report["unresolved_keys"][0]["key"], "T-999999");
    // The unresolved VT query returned names and phones only: card numbers were reached by no access.
    assert_eq!(report["exposure"]["held_not_exposed"], serde_json::json!(["credit_cards"]));
    assert_eq!(report["exposure"]["by_segment"], serde_json::json!({"consumer": expected.len()}));
    assert_eq!(totals["replayed_queries"], 1);
}

#[test]
fn demo_writes_and_analyses_then_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = bin().arg("demo").arg(&dir).assert().success().get_output().clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = read_csv(&repo().join(EXAMPLE).join("expected_affected_customers.csv")).len();
    assert!(stderr.contains(&format!("Customers affected: {expected}\n")), "{stderr}");
    assert!(stderr.contains("Counts reconcile"), "{stderr}");
    assert!(out.stdout.is_empty(), "the summary goes to stderr");
    for f in ["case.toml", "affected_customers.csv", "report.json", "rejects.csv"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let again = bin().arg("demo").arg(&dir).assert().code(2).get_output().clone();
    assert!(String::from_utf8(again.stderr).unwrap().contains("--force"));
    bin().args(["-q", "demo", "--force"]).arg(&dir).assert().success();
}
