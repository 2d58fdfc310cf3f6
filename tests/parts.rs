//! `scan` + `analyze --parts` against the plain `analyze`, on every fixture case: the same notification
//! list, people, jurisdictions, actions and rejects byte for byte, the same report.json, and a manifest
//! that differs only in the command line and times (and lists every log with the hash its part recorded).
//! Also the parts' checks: another case file, a missing or duplicate part, byte ranges that do not tile.

use std::path::{Path, PathBuf};

use crate::common::{bin, copy_dir, repo};

/// Every case file under testdata/cases.
fn fixture_cases() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "toml") && path.parent().is_some_and(|p| p.join("customers.csv").exists() || p.file_name().is_some()) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("testdata/cases"), &mut out);
    out
}

const OUTPUTS: [(&str, &str); 7] = [
    ("--out", "affected_customers.csv"),
    ("--report", "report.json"),
    ("--rejects", "rejects.csv"),
    ("--people", "affected_people.csv"),
    ("--jurisdictions", "jurisdictions.csv"),
    ("--actions", "actions.csv"),
    ("--manifest", "manifest.json"),
];

/// Runs analyze on `case` with every output in `out`; returns (exit code, stderr).
fn analyze(case: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    std::fs::create_dir_all(out).unwrap();
    let mut cmd = bin();
    cmd.arg("-q").arg("analyze").arg(case);
    for (flag, name) in OUTPUTS {
        cmd.arg(flag).arg(out.join(name));
    }
    let output = cmd.args(extra).output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn scan(case: &Path, parts: &Path, extra: &[&str]) -> std::process::Output {
    bin().arg("-q").arg("scan").arg(case).arg("--out").arg(parts).args(extra).output().unwrap()
}

/// The manifest without what differs between runs (command line, times, the outputs' hashes: report.json
/// is compared on its own).
fn manifest_sans_run(path: &Path) -> serde_json::Value {
    let mut m = crate::common::read_json(path);
    let obj = m.as_object_mut().unwrap();
    for key in ["command_line", "started_at", "finished_at", "working_directory"] {
        obj.remove(key);
    }
    m
}

/// The outputs of the plain run and of the run from parts are the same; `what` names the run.
fn assert_same_outputs(plain: &Path, merged: &Path, what: &str) {
    for (_, name) in OUTPUTS {
        let (a, b) = (plain.join(name), merged.join(name));
        assert_eq!(a.exists(), b.exists(), "{what}: {name} written by one run only");
        if !a.exists() {
            continue;
        }
        if name == "manifest.json" {
            assert_eq!(manifest_sans_run(&a), manifest_sans_run(&b), "{what}: manifest");
        } else {
            let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            assert!(x == y, "{what}: {name} differs:\n--- plain\n{}\n--- parts\n{}", String::from_utf8_lossy(&x), String::from_utf8_lossy(&y));
        }
    }
}

/// Plain analyze, then scan + analyze --parts writing to the same output paths (so report.json, which
/// names them, can be compared byte for byte).
fn plain_and_parts(case: &Path, work: &Path, scans: &[Vec<String>]) -> (i32, String, PathBuf, PathBuf) {
    let out = work.join("out");
    let (code, stderr) = analyze(case, &out, &[]);
    let plain = work.join("plain");
    std::fs::rename(&out, &plain).unwrap();
    let parts = work.join("parts");
    for extra in scans {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let scanned = scan(case, &parts, &extra);
        assert!(scanned.status.success(), "{}: scan {extra:?}: {}", case.display(), String::from_utf8_lossy(&scanned.stderr));
    }
    let (merged_code, merged_stderr) = analyze(case, &out, &["--parts", parts.to_str().unwrap()]);
    assert_eq!((code, stderr.trim()), (merged_code, merged_stderr.trim()), "{}: exit code and messages", case.display());
    (code, stderr, plain, out)
}

#[test]
fn scan_and_analyze_parts_equal_analyze_on_every_fixture_case() {
    let cases = fixture_cases();
    assert!(cases.len() >= 25, "the fixture cases are found: {cases:?}");
    let mut with_customers = 0;
    for case in cases {
        let rel = case.strip_prefix(repo().join("testdata/cases")).unwrap().to_path_buf();
        let work = tempfile::tempdir().unwrap();
        // A copy (cases name logs in testdata/logs): analyze and scan write nothing into the repository.
        copy_dir(&repo().join("testdata"), &work.path().join("testdata"));
        let case = work.path().join("testdata/cases").join(&rel);
        let (code, stderr, plain, merged) = plain_and_parts(&case, work.path(), &[vec![]]);
        if code != 0 {
            eprintln!("{}: exit {code} in both runs: {}", rel.display(), stderr.lines().next().unwrap_or(""));
            continue;
        }
        assert_same_outputs(&plain, &merged, &rel.display().to_string());
        // Which customers with which classes, read from the lists (not only bytes).
        let listed = crate::common::read_csv(&merged.join("affected_customers.csv"));
        with_customers += usize::from(!listed.is_empty());
        let manifest = crate::common::read_json(&merged.join("manifest.json"));
        let logs: Vec<&serde_json::Value> = manifest["inputs"].as_array().unwrap().iter().filter(|e| e["role"] == "log").collect();
        let part_hashes: Vec<String> = std::fs::read_dir(work.path().join("parts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".part.json"))
            .map(|p| crate::common::read_json(&p)["extent"]["sha256"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(logs.len(), part_hashes.len(), "{}: every log file in the manifest has its part", rel.display());
        for entry in logs {
            assert!(part_hashes.contains(&entry["sha256"].as_str().unwrap().to_string()), "{}: {entry}", rel.display());
        }
    }
    assert!(with_customers >= 15, "most fixture cases list customers ({with_customers})");
}

/// A copy of the generic-multi case (a CSV and a JSON-lines audit log).
fn csv_case(dir: &Path) -> PathBuf {
    copy_dir(&repo().join("testdata"), &dir.join("testdata"));
    dir.join("testdata/cases/generic-multi/case.toml")
}

#[test]
fn parts_from_another_case_or_missing_or_twice_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let case = csv_case(work.path());
    let parts = work.path().join("parts");
    assert!(scan(&case, &parts, &[]).status.success());
    let out = work.path().join("out");
    // One part removed: the error names the file.
    let jsons: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".part.json")).collect();
        v.sort();
        v
    };
    assert!(jsons.len() >= 2, "{jsons:?}");
    let first = crate::common::read_json(&jsons[0]);
    let file = first["file"].as_str().unwrap().to_string();
    let moved = work.path().join("aside.json");
    std::fs::rename(&jsons[0], &moved).unwrap();
    let (code, stderr) = analyze(&case, &out, &["--parts", parts.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains(&format!("no part for the log file {file}")), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.join("report.json").exists(), "nothing written");
    // The same part twice (a second folder).
    std::fs::rename(&moved, &jsons[0]).unwrap();
    let again = work.path().join("again");
    assert!(scan(&case, &again, &["--files".into(), file.clone()].iter().map(String::as_str).collect::<Vec<_>>()).status.success());
    let (code, stderr) = analyze(&case, &out, &["--parts", parts.to_str().unwrap(), again.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains(&format!("the log file {file} has more than one part")), "{stderr}");
    // Files named out of the case's order are written as the case's files they are.
    let reordered = work.path().join("reordered");
    let names: Vec<String> = jsons.iter().map(|j| crate::common::read_json(j)["file"].as_str().unwrap().to_string()).collect();
    let mut args = vec!["--files".to_string()];
    args.extend(names.iter().rev().cloned());
    assert!(scan(&case, &reordered, &args.iter().map(String::as_str).collect::<Vec<_>>()).status.success());
    for json in &jsons {
        let again = crate::common::read_json(&reordered.join(json.file_name().unwrap()));
        assert_eq!(again, crate::common::read_json(json), "{}", json.display());
    }
    // Another case file (edited after the scan): refused.
    let text = std::fs::read_to_string(&case).unwrap();
    std::fs::write(&case, format!("{text}\n# edited\n")).unwrap();
    let (code, stderr) = analyze(&case, &out, &["--parts", parts.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("made from another case file"), "{stderr}");
    // Another version of breachscope: refused.
    std::fs::write(&case, &text).unwrap();
    let mut edited = crate::common::read_json(&jsons[0]);
    edited["version"] = serde_json::json!("0.0.1");
    std::fs::write(&jsons[0], serde_json::to_vec(&edited).unwrap()).unwrap();
    let (code, stderr) = analyze(&case, &out, &["--parts", parts.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("made by breachscope 0.0.1"), "{stderr}");
}

/// A generated CSV audit case (a few thousand rows) with a record whose quoted field holds a newline and
/// a broken last line; returns the case file and the byte offset just inside the quoted field.
fn generated_csv_case(dir: &Path) -> (PathBuf, u64) {
    let case_dir = dir.join("gen");
    let made = bin().args(["-q", "generate", "--audit-only", "--customers", "500", "--events", "3000", "--affected", "40"]).arg(&case_dir).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let log = case_dir.join("logs/crm_audit.csv");
    let text = std::fs::read_to_string(&log).unwrap();
    let middle = text[text.len() / 2..].find('\n').unwrap() + text.len() / 2 + 1;
    let quoted = "2019-07-03T09:00:00Z,k.walsh,view,Customer,C0000001,\"full_name|\nemail\",success\n";
    let inside = (middle + quoted.find('\n').unwrap() - 2) as u64;
    let text = format!("{}{quoted}{}garbage,\"never closed\n", &text[..middle], &text[middle..]);
    std::fs::write(&log, text).unwrap();
    (case_dir.join("case.toml"), inside)
}

fn range_scans(file: &str, bounds: &[u64]) -> Vec<Vec<String>> {
    let mut scans: Vec<Vec<String>> =
        bounds.windows(2).map(|w| vec!["--files".into(), file.into(), "--byte-range".into(), format!("{}:{}", w[0], w[1])]).collect();
    scans.push(vec!["--files".into(), file.into(), "--digest-only".into()]);
    scans
}

#[test]
fn a_log_in_byte_ranges_gives_what_the_whole_log_gives() {
    let work = tempfile::tempdir().unwrap();
    let (case, _) = generated_csv_case(work.path());
    let size = std::fs::metadata(case.with_file_name("logs/crm_audit.csv")).unwrap().len();
    // Three ranges, the last past the file's end; boundaries fall inside lines.
    let bounds = [0, size / 3 + 7, 2 * size / 3 + 13, size + 1000];
    let (code, stderr, plain, merged) = plain_and_parts(&case, work.path(), &range_scans("logs/crm_audit.csv", &bounds));
    assert_eq!(code, 0, "{stderr}");
    assert_same_outputs(&plain, &merged, "three byte ranges");
    let report = std::fs::read(merged.join("report.json")).unwrap();
    assert!(std::fs::read(plain.join("report.json")).unwrap() == report, "report.json byte for byte");
    let rejects = crate::common::read_csv(&merged.join("rejects.csv"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert!(rejects[0]["line"].parse::<u64>().unwrap() > 3000, "the last line's number, counted over the ranges: {rejects:?}");
    assert!(!crate::common::read_csv(&merged.join("affected_customers.csv")).is_empty());
}

#[test]
fn byte_ranges_that_miss_bytes_overlap_or_cut_a_record_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let (case, inside) = generated_csv_case(work.path());
    let size = std::fs::metadata(case.with_file_name("logs/crm_audit.csv")).unwrap().len();
    let out = work.path().join("out");
    let refused = |name: &str, bounds: &[&[u64]]| -> String {
        let parts = work.path().join(name);
        for b in bounds {
            for scan_args in range_scans("logs/crm_audit.csv", b).iter().filter(|a| a.iter().any(|x| x == "--byte-range")) {
                let args: Vec<&str> = scan_args.iter().map(String::as_str).collect();
                let s = scan(&case, &parts, &args);
                assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
            }
        }
        let digest = scan(&case, &parts, &["--files", "logs/crm_audit.csv", "--digest-only"]);
        assert!(digest.status.success());
        let (code, stderr) = analyze(&case, &out, &["--parts", parts.to_str().unwrap()]);
        assert_ne!(code, 0, "{name}");
        assert!(!out.join("report.json").exists(), "{name}: nothing written");
        stderr
    };
    let gap = refused("gap", &[&[0, 1000], &[2000, size]]);
    assert!(gap.contains("bytes 1000..2000 are in no range"), "{gap}");
    let overlap = refused("overlap", &[&[0, 2000], &[1000, size]]);
    assert!(overlap.contains("the range 1000:") && overlap.contains("overlaps"), "{overlap}");
    let short = refused("short", &[&[0, 1000]]);
    assert!(short.contains("no byte range reaches the file's end"), "{short}");
    let cut = refused("cut", &[&[0, inside], &[inside, size]]);
    assert!(cut.contains("a record goes on across byte"), "{cut}");
}

#[test]
fn a_byte_range_of_a_compressed_file_is_refused_and_stdin_reads_like_the_file() {
    let work = tempfile::tempdir().unwrap();
    let (case, _) = generated_csv_case(work.path());
    let log = case.with_file_name("logs/crm_audit.csv");
    let bytes = std::fs::read(&log).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &bytes).unwrap();
    std::fs::write(&log, gz.finish().unwrap()).unwrap();
    let parts = work.path().join("parts");
    let s = scan(&case, &parts, &["--files", "logs/crm_audit.csv", "--byte-range", "0:1000"]);
    assert!(!s.status.success());
    let stderr = String::from_utf8_lossy(&s.stderr);
    assert!(stderr.contains("crm_audit.csv") && stderr.contains("gzip compressed: byte ranges need an uncompressed file"), "{stderr}");
    // The gzip file's bytes on stdin give the part the file gives.
    let from_file = work.path().join("from_file");
    assert!(scan(&case, &from_file, &[]).status.success());
    let piped = bin()
        .args(["-q", "scan"])
        .arg(&case)
        .args(["--stdin", "--file-name", "logs/crm_audit.csv", "--source", "logs/crm_audit.csv", "--out"])
        .arg(&parts)
        .write_stdin(std::fs::read(&log).unwrap())
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    for name in ["000000-logs_crm_audit.csv.part.json", "000000-logs_crm_audit.csv.parquet"] {
        assert!(std::fs::read(from_file.join(name)).unwrap() == std::fs::read(parts.join(name)).unwrap(), "{name}");
    }
}

#[test]
fn suspects_and_profile_from_all_accounts_parts_equal_reading_the_logs() {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("testdata"), &work.path().join("testdata"));
    let case = work.path().join("testdata/cases/peers/case.toml");
    let victims = case.with_file_name("victims.csv");
    let parts = work.path().join("parts");
    let scanned = scan(&case, &parts, &["--all-accounts"]);
    assert!(scanned.status.success(), "{}", String::from_utf8_lossy(&scanned.stderr));
    let run = |args: &[&str], out: &Path| {
        let o = bin().arg("-q").args(args).arg("--out").arg(out).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(out).unwrap()
    };
    let case_arg = case.to_str().unwrap();
    let parts_arg = parts.to_str().unwrap();
    let plain = run(&["suspects", case_arg, "--victims", victims.to_str().unwrap()], &work.path().join("s1.csv"));
    let merged = run(&["suspects", case_arg, "--victims", victims.to_str().unwrap(), "--parts", parts_arg], &work.path().join("s2.csv"));
    assert!(plain == merged, "suspects:\n{}\n---\n{}", String::from_utf8_lossy(&plain), String::from_utf8_lossy(&merged));
    assert!(String::from_utf8_lossy(&plain).lines().count() > 3, "accounts ranked");
    let plain = run(&["profile", case_arg], &work.path().join("p1.csv"));
    let merged = run(&["profile", case_arg, "--parts", parts_arg], &work.path().join("p2.csv"));
    assert!(plain == merged, "profile:\n{}\n---\n{}", String::from_utf8_lossy(&plain), String::from_utf8_lossy(&merged));
    // Parts scanned without --all-accounts cannot answer: refused, naming the fix.
    let only = work.path().join("only");
    assert!(scan(&case, &only, &[]).status.success());
    let o = bin().args(["-q", "profile", case_arg, "--parts", only.to_str().unwrap()]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("scanned without --all-accounts"), "{}", String::from_utf8_lossy(&o.stderr));
}
