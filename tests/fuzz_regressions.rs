//! Inputs that once crashed a fuzz target (or that exercise its edges), kept in
//! `testdata/fuzz-regressions/<target>/`: each is fed through the same function the fuzz target calls
//! (`fuzz/src/inputs.rs`), which must return without panicking, and within the fuzz runs' timeout (an input
//! named `timeout-*` once took longer: exponential parsing).

#[path = "../fuzz/src/inputs.rs"]
mod inputs;

use std::path::PathBuf;

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz-regressions").join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn run_all(target: &str, call: fn(&[u8])) {
    let inputs = regressions(target);
    assert!(!inputs.is_empty(), "testdata/fuzz-regressions/{target}/ holds no input");
    for (path, data) in inputs {
        let started = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(|| call(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(10), "{} took {took:?}", path.display());
    }
}

#[test]
fn logs_regressions_do_not_panic() {
    run_all("logs", inputs::log);
}

#[test]
fn case_file_regressions_do_not_panic() {
    run_all("case_file", inputs::case_file);
}

#[test]
fn sql_regressions_do_not_panic() {
    run_all("sql", inputs::sql);
}
