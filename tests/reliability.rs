//! Evidence-grade reliability, end to end: the chain-of-custody manifest and `verify`, byte-identical
//! outputs across runs, `--strict`, and interruption by a real signal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use predicates::prelude::*;

const OUTPUTS: [&str; 7] = ["affected_customers.csv", "report.json", "rejects.csv", "affected_people.csv", "jurisdictions.csv", "actions.csv", "manifest.json"];

fn analyze(case_dir: &Path) -> assert_cmd::assert::Assert {
    bin().arg("analyze").arg(case_dir.join("case.toml")).assert()
}

/// Files in `dir` (not recursive) whose names start with `.breachscope-` (unfinished outputs).
fn partial_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".breachscope-"))
        .collect()
}

#[test]
fn manifest_lists_every_input_and_output_and_verify_checks_them() {
    let (_tmp, dir) = case_copy("basic");
    analyze(&dir).success();
    let manifest = read_json(&dir.join("manifest.json"));
    assert_eq!(manifest["tool"]["name"], "breachscope");
    assert_eq!(manifest["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["case_file"], "case.toml");
    assert_eq!(manifest["case_contents"], std::fs::read_to_string(dir.join("case.toml")).unwrap());
    assert!(manifest["rules"]["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(manifest["rules"]["source"], "built-in");
    let command: Vec<&str> = manifest["command_line"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(command[1..], ["analyze", dir.join("case.toml").to_str().unwrap()]);
    for key in ["started_at", "finished_at"] {
        let t = manifest[key].as_str().unwrap();
        assert!(t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{key}: {t}");
    }

    let inputs: BTreeMap<&str, &serde_json::Value> =
        manifest["inputs"].as_array().unwrap().iter().map(|e| (e["path"].as_str().unwrap(), e)).collect();
    let paths: Vec<&str> = inputs.keys().copied().collect();
    assert_eq!(
        paths,
        ["case.toml", "customers.csv", "logs/crm_audit.csv", "logs/portal-2019-06.log", "logs/postgresql-2019-06-05.csv", "tickets.csv"]
    );
    let portal = inputs["logs/portal-2019-06.log"];
    assert_eq!(portal["role"], "log");
    let bytes = std::fs::read(dir.join("logs/portal-2019-06.log")).unwrap();
    assert_eq!(portal["bytes"], bytes.len() as u64);
    assert_eq!(portal["sha256"].as_str().unwrap().len(), 64);
    let report = read_json(&dir.join("report.json"));
    let counted = report["inputs"].as_array().unwrap().iter().find(|f| f["path"] == "logs/portal-2019-06.log").unwrap();
    for k in ["read", "used", "ignored", "rejected"] {
        assert_eq!(portal["records"][k], counted[k], "{k}");
    }
    let customers_rows = std::fs::read_to_string(dir.join("customers.csv")).unwrap();
    assert!(inputs["customers.csv"]["records"]["rows"].as_u64().unwrap() >= 5, "{customers_rows}");

    let outputs: Vec<&str> = manifest["outputs"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    let mut sorted = outputs.clone();
    sorted.sort();
    assert_eq!(sorted, ["actions.csv", "affected_customers.csv", "affected_people.csv", "jurisdictions.csv", "rejects.csv", "report.json"]);

    bin().arg("verify").arg(&dir).assert().code(0).stderr(predicate::str::contains("all 12 files"));
    bin().arg("verify").arg(dir.join("manifest.json")).assert().code(0);

    // A changed output (same size) and a changed log are both found.
    let list = dir.join("affected_customers.csv");
    let mut text = std::fs::read(&list).unwrap();
    let last = text.len() - 2;
    text[last] ^= 1;
    std::fs::write(&list, &text).unwrap();
    std::fs::OpenOptions::new().append(true).open(dir.join("logs/portal-2019-06.log")).unwrap();
    std::fs::write(dir.join("logs/crm_audit.csv"), b"").unwrap();
    bin()
        .arg("verify")
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DIFFERS\taffected_customers.csv\tSHA-256 is"))
        .stdout(predicate::str::contains("DIFFERS\tlogs/crm_audit.csv\tsize is 0 bytes"))
        .stdout(predicate::str::contains("portal").not());

    std::fs::remove_file(dir.join("report.json")).unwrap();
    bin().arg("verify").arg(&dir).assert().code(1).stdout(predicate::str::contains("report.json\treport file is missing"));

    std::fs::write(dir.join("manifest.json"), b"{\"manifest_format\": 1}").unwrap();
    bin().arg("verify").arg(&dir).assert().code(2).stderr(predicate::str::contains("manifest.json"));
    bin().arg("verify").arg(dir.join("nothing")).assert().code(2);
}

#[test]
fn manifest_is_never_overwritten_without_force_and_can_go_elsewhere() {
    let (tmp, dir) = case_copy("basic");
    std::fs::write(dir.join("manifest.json"), b"keep").unwrap();
    analyze(&dir).code(2).stderr(predicate::str::contains("manifest.json: already exists"));
    assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), b"keep");
    assert!(!dir.join("report.json").exists(), "nothing written");

    let elsewhere = tmp.path().join("custody.json");
    bin().arg("analyze").arg(dir.join("case.toml")).arg("--manifest").arg(&elsewhere).assert().success();
    let manifest = read_json(&elsewhere);
    // Outside the manifest's folder: paths are relative to it ("basic/...").
    assert_eq!(manifest["case_file"], "basic/case.toml");
    bin().arg("verify").arg(&elsewhere).assert().code(0);
}

#[cfg(unix)]
#[test]
fn every_output_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, dir) = case_copy("basic");
    bin().arg("analyze").arg(dir.join("case.toml")).arg("--html").arg(dir.join("report.html")).assert().success();
    for name in OUTPUTS.iter().chain(&["report.html"]) {
        let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

/// Writes the basic case into `dir` with its portal log split in two files, written in the given order
/// with distinct modification times.
fn basic_case_split(dir: &Path, reverse: bool) {
    let source = repo().join("testdata/cases/basic");
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    copy_dir(&source, dir);
    let portal = std::fs::read_to_string(dir.join("logs/portal-2019-06.log")).unwrap();
    std::fs::remove_file(dir.join("logs/portal-2019-06.log")).unwrap();
    let lines: Vec<&str> = portal.lines().collect();
    let half = lines.len() / 2;
    let mut parts = vec![("logs/portal-a.log", lines[..half].join("\n") + "\n"), ("logs/portal-b.log", lines[half..].join("\n") + "\n")];
    if reverse {
        parts.reverse();
    }
    let base = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(if reverse { 2_000_000_000 } else { 1_000_000_000 });
    for (i, (name, text)) in parts.iter().enumerate() {
        std::fs::write(dir.join(name), text).unwrap();
        let file = std::fs::File::options().write(true).open(dir.join(name)).unwrap();
        file.set_modified(base + std::time::Duration::from_secs(i as u64 * 3600)).unwrap();
    }
}

fn run_in(dir: &Path, threads: &str) -> BTreeMap<String, Vec<u8>> {
    bin()
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads)
        .env("POLARS_MAX_THREADS", threads)
        .args(["analyze", "case.toml", "--force", "--html", "report.html"])
        .assert()
        .success();
    let mut out = BTreeMap::new();
    for name in OUTPUTS.iter().chain(&["report.html"]) {
        let mut bytes = std::fs::read(dir.join(name)).unwrap();
        if *name == "manifest.json" {
            let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for key in ["started_at", "finished_at"] {
                assert!(json[key].is_string());
                json[key] = serde_json::Value::Null;
            }
            bytes = serde_json::to_vec_pretty(&json).unwrap();
        }
        out.insert(name.to_string(), bytes);
    }
    out
}

#[test]
fn same_inputs_give_byte_identical_outputs_whatever_the_file_order_or_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    basic_case_split(&dir, false);
    let first = run_in(&dir, "1");
    basic_case_split(&dir, true);
    let second = run_in(&dir, "2");
    for (name, bytes) in &first {
        assert!(bytes == &second[name], "{name} differs between runs");
    }
    // The split files are both read, in path order.
    let report = read_json(&dir.join("report.json"));
    let files: Vec<&str> = report["inputs"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files[..2], ["logs/portal-a.log", "logs/portal-b.log"]);
}

#[test]
fn strict_fails_on_a_rejected_record_and_writes_nothing() {
    let (_tmp, dir) = case_copy("basic");
    bin()
        .arg("analyze")
        .arg(dir.join("case.toml"))
        .arg("--strict")
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "--strict: 2 record(s) rejected ([actor_records_rejected] the actors': k.walsh 1), first: logs/portal-2019-06.log:10: missing `[time]`",
        ));
    for name in OUTPUTS {
        assert!(!dir.join(name).exists(), "{name} written");
    }
    assert!(partial_files(&dir).is_empty());
    // Without --strict the same case succeeds.
    analyze(&dir).success();
}

/// A gzip log of `copies` × `block` lines: one compressed member repeated (gzip members concatenate).
fn big_gzip_log(path: &Path, line: &str, block: usize, copies: usize) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..block {
        enc.write_all(line.as_bytes()).unwrap();
        enc.write_all(b"\n").unwrap();
    }
    let member = enc.finish().unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..copies {
        file.write_all(&member).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn interrupted_run_leaves_no_output_and_says_so() {
    let (_tmp, dir) = case_copy("basic");
    let line = r#"10.0.0.5 - k.walsh [03/Jun/2019:10:00:00 +0200] "GET /support/tickets/T-1 HTTP/1.1" 200 5120 "-" "Mozilla/5.0""#;
    // 40 million lines: far more than a debug build reads in the time the test waits.
    big_gzip_log(&dir.join("logs/portal-zz-big.log"), line, 100_000, 400);
    for signal in ["-INT", "-TERM"] {
        let bin_path = assert_cmd::cargo::cargo_bin("breachscope");
        let child = std::process::Command::new(bin_path)
            .arg("analyze")
            .arg(dir.join("case.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the run is writing (its rejects file is created before the logs are read).
        let started = std::time::Instant::now();
        while partial_files(&dir).is_empty() {
            assert!(started.elapsed().as_secs() < 60, "the run never started writing");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let status = std::process::Command::new("kill").arg(signal).arg(child.id().to_string()).status().unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted") && stderr.contains("no partial output left"), "{stderr}");
        for name in OUTPUTS {
            assert!(!dir.join(name).exists(), "{name} left behind");
        }
        assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
    }
}

/// No cell of any CSV output starts a spreadsheet formula: customer names (the fixture's C004 is
/// `=HYPERLINK(...)`), account names (`@evil`), rejected raw records (`=cmd|...`) and reasons.
#[test]
fn no_csv_output_cell_can_run_as_a_formula() {
    use std::io::Write;
    let (_tmp, dir) = case_copy("basic");
    let mut crm = std::fs::OpenOptions::new().append(true).open(dir.join("logs/crm_audit.csv")).unwrap();
    writeln!(crm, "=cmd|' /C calc'!A0,k.walsh,view,Customer,C001,full_name,success").unwrap();
    writeln!(crm, "2019-06-06T09:05:00Z,@evil,view,Customer,C001,full_name,success").unwrap();
    writeln!(crm, "2019-06-06T09:06:00Z,+evil,view,Customer,C002,full_name,success").unwrap();
    writeln!(crm, "2019-06-06T09:07:00Z,-evil,view,Customer,C003,full_name,success").unwrap();
    drop(crm);
    analyze(&dir).success();
    bin().arg("profile").arg(dir.join("case.toml")).arg("--out").arg(dir.join("profile.csv")).assert().success();
    let safe = regex::Regex::new(r"^(?:[+-]?\d+(?:\.\d+)?|\+\d[\d ().\-]{3,}\d)$").unwrap();
    let mut checked = 0;
    for name in ["affected_customers.csv", "affected_people.csv", "jurisdictions.csv", "rejects.csv", "profile.csv"] {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(dir.join(name)).unwrap();
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                checked += 1;
                let dangerous = cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !safe.is_match(cell);
                assert!(!dangerous, "{name}: cell `{cell}` would run as a formula");
            }
        }
    }
    assert!(checked > 50, "{checked}");
    let rejects = std::fs::read_to_string(dir.join("rejects.csv")).unwrap();
    assert!(rejects.contains("'=cmd|"), "{rejects}");
    let profile = std::fs::read_to_string(dir.join("profile.csv")).unwrap();
    assert!(profile.contains("'@evil") && profile.contains("'+evil") && profile.contains("'-evil"), "{profile}");
    let list = std::fs::read_to_string(dir.join("affected_customers.csv")).unwrap();
    assert!(list.contains("'=HYPERLINK"), "{list}");
}

/// `--redact`: report.json, the HTML report, the manifest and the terminal summary carry the counts but no
/// customer's name, email, phone or key; the personal outputs are not written.
#[test]
fn redacted_run_carries_no_personal_data() {
    let (_tmp, dir) = case_copy("basic");
    let assert = bin().arg("analyze").arg(dir.join("case.toml")).arg("--redact").arg("--html").arg(dir.join("report.html")).assert().success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for name in ["affected_customers.csv", "affected_people.csv", "jurisdictions.csv", "rejects.csv"] {
        assert!(!dir.join(name).exists(), "{name} written with --redact");
    }
    assert!(partial_files(&dir).is_empty());
    let report = read_json(&dir.join("report.json"));
    assert_eq!(report["totals"]["customers_affected"], 5);
    assert!(report["redacted"].as_str().unwrap().contains("--redact"));
    let shared = [
        std::fs::read_to_string(dir.join("report.json")).unwrap(),
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        std::fs::read_to_string(dir.join("manifest.json")).unwrap(),
        stderr,
    ];
    let mut values = Vec::new();
    for row in read_csv(&dir.join("customers.csv")) {
        for column in ["customer_id", "full_name", "email", "phone"] {
            let value = row[column].trim();
            if !value.is_empty() {
                values.push(value.to_string());
            }
        }
    }
    for row in read_csv(&dir.join("tickets.csv")) {
        values.push(row["ticket_number"].clone());
    }
    assert!(values.len() > 20, "{values:?}");
    for value in &values {
        for (i, text) in shared.iter().enumerate() {
            // Names with a line break or quotes appear JSON- or HTML-escaped; check their first word too.
            let word = value.split(['\r', '\n', '"', '(']).next().unwrap();
            assert!(!text.contains(value.as_str()) && (word.len() < 3 || !text.contains(word)), "`{value}` appears in shared output {i}");
        }
    }
    bin().arg("verify").arg(&dir).assert().code(0);
}

/// The check `analyze` runs before writing anything: counts that do not add up fail the run. Here the
/// predicate itself is exercised on counts that lose a record and on reasons that do not add up.
#[test]
fn counts_that_lose_a_record_do_not_reconcile() {
    use breachscope::stages::collect::FileCounts;
    let mut counts = FileCounts { read: 10, used: 6, ignored: 3, rejected: 1, ..Default::default() };
    counts.ignored_by_reason.insert("another account".into(), 3);
    assert!(counts.reconciles());
    counts.read = 11; // one record read but neither used, ignored nor rejected
    assert!(!counts.reconciles());
    counts.read = 10;
    counts.ignored_by_reason.insert("another account".into(), 2); // a reason lost
    assert!(!counts.reconciles());
}

#[cfg(unix)]
#[test]
fn profile_and_suspects_outputs_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, dir) = case_copy("basic");
    bin().arg("profile").arg(dir.join("case.toml")).arg("--out").arg(dir.join("profile.csv")).assert().success();
    std::fs::write(dir.join("victims.csv"), "customer_id\nC001\nC002\n").unwrap();
    bin()
        .arg("suspects")
        .arg(dir.join("case.toml"))
        .arg("--victims")
        .arg(dir.join("victims.csv"))
        .arg("--out")
        .arg(dir.join("suspects.csv"))
        .assert()
        .success();
    for name in ["profile.csv", "suspects.csv"] {
        let mode = std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}
