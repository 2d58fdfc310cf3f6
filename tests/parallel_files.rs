//! Log files read several at once give exactly the outputs of reading them one after another
//! (`BREACHSCOPE_FILES_IN_FLIGHT=1`): the same rejects in the same order, counts, coverage and touches.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::*;

/// A portal log (combined format) of `lines` lines: the insider's views of customers and tickets, a
/// colleague's, failed requests and, every 89th line, garbage (rejected).
fn portal(month: u32, lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| {
            let (user, target) = match i % 7 {
                0 | 3 => ("k.walsh", format!("/support/customers/C00{}", 1 + i % 6)),
                1 => ("k.walsh", format!("/support/tickets/T-{}", 1 + i % 5)),
                2 => ("j.smith", "/support/customers/C002".to_string()),
                4 => ("k.walshe", "/support/customers/C005".to_string()),
                _ => ("-", "/".to_string()),
            };
            let status = if i % 11 == 0 { 403 } else { 200 };
            let name = ["Jun", "Jul", "Aug", "Sep", "Oct"][month as usize - 6];
            if i % 89 == 13 {
                format!("garbage line {i} of month {month}\n")
            } else {
                format!("10.0.0.5 - {user} [{:02}/{name}/2019:{:02}:{:02}:00 +0000] \"GET {target} HTTP/1.1\" {status} 10 \"-\" \"x\"\n", 1 + i % 28, i % 24, i % 60)
            }
        })
        .collect::<String>()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// The basic fixture case with more files: portal logs plain, gzip and zstd (told by content, not name),
/// and a second CRM export (gzip) with a row of the wrong width; rejects in seven files.
fn several_files_case() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = case_copy("basic");
    let logs = dir.join("logs");
    std::fs::write(logs.join("portal-2019-07.log"), gzip(&portal(7, 3000))).unwrap();
    std::fs::write(logs.join("portal-2019-08.log"), zstd(&portal(8, 2500))).unwrap();
    std::fs::write(logs.join("portal-2019-09.log"), portal(9, 400)).unwrap();
    std::fs::write(logs.join("portal-2019-10.log"), gzip(&portal(10, 1200))).unwrap();
    let mut crm = String::from("event_time,user_name,event_type,entity,entity_id,fields_viewed,status\n");
    for i in 0..2000 {
        let user = if i % 3 == 0 { "k.walsh" } else { "a.khan" };
        crm.push_str(&format!("2019-07-{:02}T10:{:02}:00Z,{user},view,Customer,C00{},full_name|email,success\n", 1 + i % 28, i % 60, 1 + i % 6));
        if i % 500 == 7 {
            crm.push_str("2019-07-02T10:00:00Z,k.walsh,view\n");
        }
    }
    std::fs::write(logs.join("crm_audit-2.csv"), gzip(crm.as_bytes())).unwrap();
    let case = std::fs::read_to_string(dir.join("case.toml")).unwrap().replace("path = \"logs/crm_audit.csv\"", "path = \"logs/crm_audit*.csv\"");
    std::fs::write(dir.join("case.toml"), case).unwrap();
    (tmp, dir)
}

const OUTPUTS: [&str; 6] = ["affected_customers.csv", "rejects.csv", "report.json", "affected_people.csv", "jurisdictions.csv", "actions.csv"];

/// Runs `analyze` with `in_flight` files at a time, its outputs beside the case file; then moves them
/// (and the manifest) into `out` (outputs name their own paths, so both runs write to the same place).
fn analyze(case: &Path, out: &Path, in_flight: &str) -> assert_cmd::assert::Assert {
    let assert = bin().env("BREACHSCOPE_FILES_IN_FLIGHT", in_flight).arg("-q").arg("analyze").arg(case.join("case.toml")).arg("--force").assert();
    std::fs::create_dir_all(out).unwrap();
    for name in OUTPUTS.iter().chain(&["manifest.json"]) {
        if case.join(name).exists() {
            std::fs::rename(case.join(name), out.join(name)).unwrap();
        }
    }
    assert
}

#[test]
fn files_read_at_once_give_the_outputs_of_one_after_another() {
    let (tmp, dir) = several_files_case();
    let (serial, parallel) = (tmp.path().join("serial"), tmp.path().join("parallel"));
    analyze(&dir, &serial, "1").success();
    analyze(&dir, &parallel, "3").success();
    for name in OUTPUTS {
        let (a, b) = (std::fs::read(serial.join(name)).unwrap(), std::fs::read(parallel.join(name)).unwrap());
        assert!(a == b, "{name} differs between one file at a time and three");
    }
    let manifest = |dir: &Path| read_json(&dir.join("manifest.json"))["inputs"].clone();
    assert_eq!(manifest(&serial), manifest(&parallel));
    // The case is what it claims: rejects in several files (in the case's order), compressed files read.
    let rejects = read_csv(&serial.join("rejects.csv"));
    let mut files: Vec<&str> = rejects.iter().map(|r| r["file"].as_str()).collect();
    files.dedup();
    let expected = ["06", "07", "08", "09", "10"].map(|m| format!("logs/portal-2019-{m}.log")).into_iter().chain(["logs/crm_audit-2.csv".into(), "logs/crm_audit.csv".into()]);
    assert!(files.iter().copied().eq(expected.collect::<Vec<_>>().iter().map(String::as_str)), "{files:?}");
    let report = read_json(&serial.join("report.json"));
    let inputs = report["inputs"].as_array().expect("per-file counts in the report");
    assert_eq!(inputs.len(), 8, "{inputs:?}");
    let portal_july = inputs.iter().find(|f| f["path"] == "logs/portal-2019-07.log").expect("the gzip portal log");
    assert_eq!(portal_july["read"], 3000);
}

#[test]
fn an_error_in_a_later_file_is_reported_as_when_read_one_after_another() {
    let (tmp, dir) = several_files_case();
    let good = gzip(&portal(8, 3000));
    std::fs::write(dir.join("logs/portal-2019-08.log"), &good[..good.len() / 2]).unwrap();
    let stderr = |a: assert_cmd::assert::Assert| String::from_utf8_lossy(&a.code(2).get_output().stderr).into_owned();
    let serial = stderr(analyze(&dir, &tmp.path().join("serial"), "1"));
    let parallel = stderr(analyze(&dir, &tmp.path().join("parallel"), "3"));
    assert!(serial.contains("logs/portal-2019-08.log: cannot read:"), "{serial}");
    assert_eq!(serial, parallel);
}

/// A reader that fails (here: on the first rejected record of the third portal file) gets its error back,
/// after exactly the records before it, and the files read ahead stop (the call returns).
#[test]
fn a_failing_reader_gets_its_error_after_the_records_before_it() {
    use breachscope::case::{Case, Overrides};
    use breachscope::error::Error;

    let (_tmp, dir) = several_files_case();
    let case = Case::load(&dir.join("case.toml"), &Overrides::default()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rejected = Vec::new();
        let ui = breachscope::ui::Ui { quiet: true, color: false, progress: false };
        let result = breachscope::stages::collect::read_logs(
            &case,
            &ui,
            |file, r| {
                rejected.push(format!("{file}:{}", r.line));
                if file == "logs/portal-2019-08.log" {
                    return Err(Error::Usage(format!("cannot write the rejects: {file}:{}", r.line)));
                }
                Ok(())
            },
            |_| Ok(()),
        );
        tx.send((result.map(|files| files.len()).map_err(|e| e.to_string()), rejected)).unwrap();
    });
    let (result, rejected) = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("reading stopped");
    assert_eq!(result, Err("cannot write the rejects: logs/portal-2019-08.log:14".to_string()));
    let per_file = |name: &str| rejected.iter().filter(|r| r.starts_with(name)).count();
    assert!(per_file("logs/portal-2019-06.log") >= 1);
    assert_eq!(per_file("logs/portal-2019-07.log"), portal(7, 3000).split(|b| *b == b'\n').filter(|l| l.starts_with(b"garbage")).count());
    assert_eq!(per_file("logs/portal-2019-08.log"), 1);
    assert_eq!(rejected.len(), per_file("logs/portal-2019-06.log") + per_file("logs/portal-2019-07.log") + 1, "{rejected:?}");
}
