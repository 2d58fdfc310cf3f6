//! Progress on a real terminal (tmux): while the logs are read, bars are labelled with the file's name
//! (not the glob) and the case's bar counts files; when the run ends no bar is left above the summary.
//! Needs tmux: skipped with a message where it is missing, a failure where `CI` is set (`.ci/run`
//! installs it).

use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Process::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bars_name_the_files_and_none_is_left_above_the_summary() {
    if Process::new("tmux").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("tmux is required in CI (apt-get install -y tmux)");
        }
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let bin = assert_cmd::cargo::cargo_bin("breachscope");
    let status = Process::new(&bin).args(["-q", "generate", "--customers", "10000", "--events", "150000"]).arg(&case).status().unwrap();
    assert!(status.success());
    let session = format!("breachscope-progress-{}", std::process::id());
    let script = dir.path().join("run.sh");
    let done = dir.path().join("done");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nunset NO_COLOR\n'{}' analyze '{}' --force\necho EXIT=$? > '{}'\nsleep 60\n", bin.display(), case.join("case.toml").display(), done.display()),
    )
    .unwrap();
    let started = Process::new("tmux")
        .args(["new-session", "-d", "-x", "160", "-y", "60", "-s", &session, "sh"])
        .arg(&script)
        .status()
        .unwrap();
    assert!(started.success());
    let mut seen_bars = Vec::new();
    let start = Instant::now();
    while !done.exists() && start.elapsed() < Duration::from_secs(300) {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]);
        seen_bars.extend(screen.lines().filter(|l| l.contains("ETA")).map(str::to_string));
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = tmux(&["capture-pane", "-p", "-S", "-200", "-t", &session]);
    let _ = Process::new("tmux").args(["kill-session", "-t", &session]).status();
    assert!(done.exists(), "the run did not finish: {screen}");
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "EXIT=0", "{screen}");

    // Every bar seen was the case's bar or a file's, named by the file, never by the glob.
    for line in &seen_bars {
        assert!(!line.contains('*'), "a bar labelled with a glob: {line}");
        let labelled = line.contains("all logs") || line.contains(".log") || line.contains(".csv") || line.contains(".gz") || line.contains(".zst");
        assert!(labelled, "a bar without a file name: {line}");
    }
    eprintln!("{} bar line(s) seen while running", seen_bars.len());
    // When it ends, no bar or spinner is left: the summary starts the output.
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.iter().any(|l| l.contains("ETA") || l.contains("elapsed")), "a stale bar remains:\n{screen}");
    assert!(lines.iter().any(|l| l.starts_with("Case: ")), "{screen}");
    assert!(Path::new(&case.join("report.json")).exists());
}
