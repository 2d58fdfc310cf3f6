//! Chain of custody: `manifest.json`, written beside the outputs of every `analyze` run, names the tool,
//! the command line, the case file's text, the rules version, every input file (size, SHA-256, record
//! counts) and every output file (size, SHA-256), with the run's start and end time (UTC). `breachscope
//! verify` re-hashes the files against it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::stages::collect::FileCounts;
use crate::error::{Error, Result};

/// The manifest format's version (changes when fields change meaning).
pub const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub manifest_format: u32,
    pub tool: Tool,
    /// The process's arguments, exactly as given (lossily UTF-8).
    pub command_line: Vec<String>,
    /// The folder the command ran in (relative paths of the command line are relative to it).
    pub working_directory: String,
    pub case_file: String,
    /// The case file's text as read.
    pub case_contents: String,
    pub rules: Rules,
    pub started_at: String,
    pub finished_at: String,
    /// Paths are relative to the manifest's folder when inside it, otherwise absolute.
    pub inputs: Vec<FileEntry>,
    pub outputs: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// `built-in` or the --rules file's path.
    pub source: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// `case`, `table`, `log` for inputs; the output's name (`notification_list`, `report`...) for outputs.
    pub role: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// Inputs: for a log, its record counts (read, used, ignored, rejected); for a table, its data rows.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, u64>,
}

/// SHA-256 (lower-case hex) and size of a file's bytes as stored (compressed files are hashed compressed).
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((format!("{:x}", hasher.finalize()), bytes))
}

/// `path` as stored in a manifest kept in `base`: relative when inside it, else absolute.
pub fn stored_path(path: &Path, base: &Path) -> String {
    let absolute = absolute(path);
    let base = absolute_dir(base);
    match absolute.strip_prefix(&base) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }
}

fn absolute(path: &Path) -> PathBuf {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => absolute_dir(parent).join(path.file_name().unwrap_or_default()),
        None => absolute_dir(Path::new(".")).join(path),
    }
}

fn absolute_dir(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn input_entry(role: &str, path: &Path, base: &Path, records: BTreeMap<String, u64>) -> Result<FileEntry> {
    let (sha256, bytes) = hash_file(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Ok(FileEntry { role: role.into(), path: stored_path(path, base), bytes, sha256, records })
}

/// The case file and every table of the case, hashed (without row counts: see [`inputs`]). Independent of
/// the run's results, so it can be computed while the logs are read.
pub fn case_and_tables(case: &Case, base: &Path) -> Result<Vec<FileEntry>> {
    let mut entries = vec![input_entry("case", &case.file, base, BTreeMap::new())?];
    for table in &case.schema.tables {
        entries.push(input_entry("table", &table.file.path, base, BTreeMap::new())?);
    }
    Ok(entries)
}

/// The case file, every table and every log file of the case, hashed, with their record counts.
/// `files` are the per-file counts of the run (matched to the logs by their path as shown in outputs); a
/// log whose digest was taken while it was read is not read again. `entries` is
/// [`case_and_tables`]' result; `table_rows`, the rows of the tables the run read whole, by table name
/// (the others are counted here).
pub fn inputs(
    case: &Case,
    files: &[FileCounts],
    base: &Path,
    mut entries: Vec<FileEntry>,
    table_rows: &BTreeMap<String, u64>,
) -> Result<Vec<FileEntry>> {
    for (table, entry) in case.schema.tables.iter().zip(entries.iter_mut().skip(1)) {
        let rows = match table_rows.get(&table.name) {
            Some(rows) => *rows,
            None => {
                let mut rows = 0u64;
                table.file.for_each_row(|_, _| {
                    rows += 1;
                    Ok(())
                })?;
                rows
            }
        };
        entry.records.insert("rows".to_string(), rows);
    }
    let counts: BTreeMap<&str, &FileCounts> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    for log in &case.logs {
        for path in &log.files {
            let shown = crate::read::input::display_path(path, &case.dir);
            let counted = counts.get(shown.as_str());
            let records = counted
                .map(|c| {
                    BTreeMap::from([
                        ("read".to_string(), c.read),
                        ("used".to_string(), c.used),
                        ("ignored".to_string(), c.ignored),
                        ("rejected".to_string(), c.rejected),
                    ])
                })
                .unwrap_or_default();
            match counted.and_then(|c| c.digest.clone()) {
                Some((sha256, bytes)) => entries.push(FileEntry { role: "log".into(), path: stored_path(path, base), bytes, sha256, records }),
                None => entries.push(input_entry("log", path, base, records)?),
            }
        }
    }
    Ok(entries)
}

/// The process's command line, as given.
pub fn command_line() -> Vec<String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect()
}

pub fn working_directory() -> String {
    std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default()
}

/// One difference between the manifest and the files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    pub what: String,
}

/// Reads and checks a manifest; errors (bad JSON, unknown format) name the file.
pub fn load(path: &Path) -> Result<Manifest> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| Error::input_at(path, e.line() as u64, e.column() as u64, format!("not a breachscope manifest: {e}")))?;
    if manifest.manifest_format != FORMAT {
        return Err(Error::input(path, format!("manifest format {} is not supported (this tool reads format {FORMAT})", manifest.manifest_format)));
    }
    Ok(manifest)
}

/// Re-hashes every input and output of `manifest` (paths relative to `base`, the manifest's folder).
pub fn verify(manifest: &Manifest, base: &Path) -> Vec<Difference> {
    let mut differences = Vec::new();
    for entry in manifest.inputs.iter().chain(&manifest.outputs) {
        let path = base.join(&entry.path);
        match hash_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                differences.push(Difference { path: entry.path.clone(), what: format!("{} file is missing", entry.role) })
            }
            Err(e) => differences.push(Difference { path: entry.path.clone(), what: format!("cannot read: {e}") }),
            Ok((sha256, bytes)) => {
                if bytes != entry.bytes {
                    differences.push(Difference { path: entry.path.clone(), what: format!("size is {bytes} bytes, manifest says {}", entry.bytes) });
                } else if sha256 != entry.sha256 {
                    differences.push(Difference { path: entry.path.clone(), what: format!("SHA-256 is {sha256}, manifest says {}", entry.sha256) });
                }
            }
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let (sha, bytes) = hash_file(&path).unwrap();
        assert_eq!(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(bytes, 3);
    }

    #[test]
    fn verify_reports_changed_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), b"one").unwrap();
        std::fs::write(dir.path().join("b.csv"), b"two").unwrap();
        let entry = |name: &str| {
            let (sha256, bytes) = hash_file(&dir.path().join(name)).unwrap();
            FileEntry { role: "log".into(), path: name.into(), bytes, sha256, records: BTreeMap::new() }
        };
        let manifest = Manifest {
            manifest_format: FORMAT,
            tool: Tool { name: "breachscope".into(), version: "0".into() },
            command_line: vec![],
            working_directory: String::new(),
            case_file: String::new(),
            case_contents: String::new(),
            rules: Rules { source: "built-in".into(), version: "1".into() },
            started_at: String::new(),
            finished_at: String::new(),
            inputs: vec![entry("a.csv")],
            outputs: vec![entry("b.csv")],
        };
        assert!(verify(&manifest, dir.path()).is_empty());
        std::fs::write(dir.path().join("a.csv"), b"One").unwrap();
        std::fs::remove_file(dir.path().join("b.csv")).unwrap();
        let diffs = verify(&manifest, dir.path());
        assert_eq!(diffs.len(), 2);
        assert!(diffs[0].what.starts_with("SHA-256 is"), "{diffs:?}");
        assert!(diffs[1].what.contains("missing"), "{diffs:?}");
    }
}
