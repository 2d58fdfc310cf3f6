//! End-to-end: queries whose filter names no key are replayed against the case's tables (issue 3).

use crate::common::*;

#[test]
fn queries_without_a_key_are_replayed_and_their_row_counts_checked() {
    let (tmp, dir) = case_copy("replay");
    let out = tmp.path();
    bin()
        .args(["-q", "analyze"])
        .arg(dir.join("case.toml"))
        .arg("--people")
        .arg(out.join("people.csv"))
        .arg("--jurisdictions")
        .arg(out.join("jurisdictions.csv"))
        .arg("--actions")
        .arg(out.join("actions.csv"))
        .assert()
        .success();
    let rows = read_csv(&dir.join("affected_customers.csv"));
    let got: Vec<(&str, &str, &str)> =
        rows.iter().map(|r| (r["customer_id"].as_str(), r["exposed_fields"].as_str(), r["evidence"].as_str())).collect();
    assert_eq!(
        got,
        [
            // country = 'US' AND state = 'VT': exactly the two Vermont customers (one of them a business).
            ("C001", "customers.email;customers.full_name", "replayed"),
            // ORDER BY customer_id LIMIT 2: the first two by key.
            ("C002", "customers.email", "replayed"),
            // The join on the declared keys: the ticket whose subject mentions a card, and its customer.
            ("C003", "customers.full_name;tickets.subject", "replayed"),
            ("C005", "customers.email;customers.full_name", "replayed"),
        ]
    );

    let report = read_json(&dir.join("report.json"));
    let replayed = report["replayed_queries"].as_array().unwrap();
    assert_eq!(replayed.len(), 3);
    assert_eq!((replayed[0]["rows_selected"].as_u64(), replayed[0]["logged_rows"].as_u64()), (Some(2), Some(2)));
    assert_eq!(replayed[0]["rows_mismatch"], false);
    // The log says 5 rows, the export's tables give 1: reported, the table may have changed since.
    assert_eq!((replayed[1]["rows_selected"].as_u64(), replayed[1]["logged_rows"].as_u64()), (Some(1), Some(5)));
    assert_eq!(replayed[1]["rows_mismatch"], true);
    assert_eq!(replayed[1]["records"], serde_json::json!({"customers": 1, "tickets": 1}));
    assert_eq!(report["totals"]["replay_row_mismatches"], 1);

    let unresolved = report["unresolved_queries"].as_array().unwrap();
    assert_eq!(unresolved.len(), 2);
    assert!(unresolved[0]["reason"].as_str().unwrap().contains("could not be replayed"), "{}", unresolved[0]);
    assert!(unresolved[1]["reason"].as_str().unwrap().contains("not logged"), "{}", unresolved[1]);
    // Both returned `phone`: it cannot be called "not exposed".
    assert_eq!(report["exposure"]["possibly_exposed"], serde_json::json!(["phone_numbers"]));
}
