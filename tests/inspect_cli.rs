//! End-to-end tests of `breachscope inspect`: "will it read my export?".

use crate::common::*;
use predicates::prelude::*;

#[test]
fn detects_each_fixture_format_and_counts_records() {
    let logs = repo().join("testdata/cases/basic/logs");
    for (file, format, counts) in [
        ("portal-2019-06.log", "combined", "11 read = 10 access events + 0 ignored + 1 rejected"),
        ("postgresql-2019-06-05.csv", "pgaudit", "10 read = 7 access events + 3 ignored + 0 rejected"),
        ("crm_audit.csv", "csv", "5 read = 4 access events + 0 ignored + 1 rejected"),
    ] {
        bin()
            .arg("inspect")
            .arg(logs.join(file))
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("format:   {format}")).and(predicate::str::contains(counts)));
    }
}

#[test]
fn shows_parsed_events_as_json_lines() {
    let file = repo().join("testdata/cases/basic/logs/portal-2019-06.log");
    let out = bin().args(["inspect", "--json", "-n", "2"]).arg(&file).assert().success().get_output().stdout.clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["actor"], "k.walsh");
    assert_eq!(lines[0]["time"], "2019-06-03T08:00:00Z");
    assert_eq!(lines[0]["payload"]["target"], "/support/tickets/T-1?tab=notes");
}

#[test]
fn compressed_logs_are_read() {
    let dir = repo().join("examples/support-insider/logs");
    bin().arg("inspect").arg(dir.join("portal-2019-08.log.gz")).assert().success().stdout(predicate::str::contains("format:   combined"));
    bin().arg("inspect").arg(dir.join("portal-2019-09.log.zst")).assert().success().stdout(predicate::str::contains("format:   combined"));
}

#[test]
fn bad_inputs() {
    bin().args(["inspect", "no-such.log"]).assert().code(2).stderr(predicate::str::contains("no-such.log: cannot read"));
    let file = repo().join("testdata/cases/basic/logs/portal-2019-06.log");
    bin().args(["inspect", "--format", "syslog"]).arg(&file).assert().code(2).stderr(predicate::str::contains("unknown log format `syslog`"));
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    bin().arg("inspect").arg(&empty).assert().code(2).stderr(predicate::str::contains("cannot tell the log format"));
}

/// `inspect --case` reads a mapped export with its source's settings (the column map, the time zone):
/// "will it read my export?" answered for csv/jsonl logs, which cannot be read without their map.
#[test]
fn inspect_with_a_case_uses_the_sources_map_and_zone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("customers.csv"), "id,name\nC1,Ann\n").unwrap();
    std::fs::write(d.join("export.csv"), "When,Who,Kind,Id,Shown\n2019-06-03 10:00:00,k.walsh,customers,C1,name\n").unwrap();
    std::fs::write(
        d.join("case.toml"),
        "[case]\nname = \"x\"\nactors = [\"k.walsh\"]\n\n[customers]\npath = \"customers.csv\"\nkey = \"id\"\n\n[[logs]]\nname = \"crm\"\npath = \"export.csv\"\nformat = \"csv\"\ntime_zone = \"+02:00\"\n\n[logs.map]\ntime = \"When\"\nactor = \"Who\"\ntable = \"Kind\"\nrecord = \"Id\"\nfields = \"Shown\"\n",
    )
    .unwrap();
    // Without the case the columns mean nothing.
    bin().arg("inspect").arg(d.join("export.csv")).args(["--format", "csv"]).assert().code(2);
    let out = bin().arg("inspect").arg(d.join("export.csv")).arg("--case").arg(d.join("case.toml")).arg("--json").assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("\"actor\":\"k.walsh\""), "{stdout}");
    assert!(stdout.contains("2019-06-03T08:00:00Z"), "the source's time_zone is used: {stdout}");
    // A source that does not exist, and a file of no source, say how to choose.
    bin()
        .arg("inspect")
        .arg(d.join("export.csv"))
        .arg("--case")
        .arg(d.join("case.toml"))
        .args(["--source", "portal"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--source `portal`: no such [[logs]] source").and(predicate::str::contains("sources: crm")));
    std::fs::copy(d.join("export.csv"), d.join("other.csv")).unwrap();
    bin()
        .arg("inspect")
        .arg(d.join("other.csv"))
        .arg("--case")
        .arg(d.join("case.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a file of any [[logs]] source"));
    bin().arg("inspect").arg(d.join("other.csv")).arg("--case").arg(d.join("case.toml")).args(["--source", "crm"]).assert().success();
}
