//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("breachscope").expect("binary built");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Copies a folder tree (fixtures are copied so tests never write into the repository).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary copy of `testdata/cases/<name>`.
pub fn case_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let case_dir = dir.path().join(name);
    copy_dir(&repo().join("testdata/cases").join(name), &case_dir);
    (dir, case_dir)
}

/// Rows of a CSV file as maps from header to value.
pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Decompressed file content (gzip/zstd by magic bytes).
pub fn content(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    breachscope::read::input::open(path).unwrap().read_to_end(&mut out).unwrap();
    out
}
