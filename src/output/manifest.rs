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

/// The case file and every table of the case, hashed (without row counts: see [`inputs`]), a megabyte at a
/// time, so that one thread can begin it and another finish it. Independent of the run's results: the
/// analysis hashes them on a thread that runs only on a core nothing else wants, and the thread that
/// writes the manifest takes over what is left (see `commands::analyze`).
pub struct CaseAndTables {
    /// The files still to hash (role, path), in the manifest's order, the next one last.
    files: Vec<(&'static str, PathBuf)>,
    base: PathBuf,
    /// The file being hashed: its role, path, open file, digest so far and size so far.
    current: Option<(&'static str, PathBuf, std::fs::File, Sha256, u64)>,
    buf: Vec<u8>,
    entries: Vec<FileEntry>,
}

impl CaseAndTables {
    pub fn new(case: &Case, base: &Path) -> CaseAndTables {
        let mut files = vec![("case", case.file.clone())];
        files.extend(case.schema.tables.iter().map(|table| ("table", table.file.path.clone())));
        files.reverse();
        CaseAndTables { files, base: base.to_path_buf(), current: None, buf: Vec::new(), entries: Vec::new() }
    }

    /// Hashes the next megabyte (or opens the next file, or finishes one): false when all are done.
    pub fn step(&mut self) -> Result<bool> {
        let Some((_, path, file, hasher, bytes)) = &mut self.current else {
            let Some((role, path)) = self.files.pop() else { return Ok(false) };
            let file = std::fs::File::open(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            self.buf.resize(1 << 20, 0);
            self.current = Some((role, path, file, Sha256::new(), 0));
            return Ok(true);
        };
        let n = loop {
            match file.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(Error::Read { path: path.clone(), source }),
            }
        };
        if n > 0 {
            hasher.update(&self.buf[..n]);
            *bytes += n as u64;
            return Ok(true);
        }
        let (role, path, _, hasher, bytes) = self.current.take().expect("matched above");
        let sha256 = format!("{:x}", hasher.finalize());
        self.entries.push(FileEntry { role: role.into(), path: stored_path(&path, &self.base), bytes, sha256, records: BTreeMap::new() });
        Ok(true)
    }

    /// The bytes hashed so far.
    pub fn hashed(&self) -> u64 {
        self.entries.iter().map(|e| e.bytes).sum::<u64>() + self.current.as_ref().map_or(0, |c| c.4)
    }

    /// Hashes what is left and gives the entries.
    pub fn finish(mut self) -> Result<Vec<FileEntry>> {
        while self.step()? {}
        Ok(self.entries)
    }
}

/// The case file, every table and every log file of the case, hashed, with their record counts.
/// `files` are the per-file counts of the run (matched to the logs by their path as shown in outputs); a
/// log whose digest was taken while it was read is not read again. `entries` is
/// [`CaseAndTables::finish`]'s result; `table_rows`, the rows of the tables the run read whole, by table name
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
    fn case_and_tables_begun_on_one_thread_and_finished_on_another_hash_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let case = crate::stages::testing::case(dir.path());
        // A customers table of several megabytes, so that the hashing stops inside it.
        let mut customers = String::from("customer_id,full_name,email,phone,country,state,segment\n");
        (0..60_000).for_each(|i| customers.push_str(&format!("C{i},Name {i},n{i}@example.com,+1 555 010 {i:04},US,CA,consumer\n")));
        std::fs::write(&case.schema.tables[0].file.path, &customers).unwrap();
        let expected: Vec<(String, String, u64)> = std::iter::once(&case.file)
            .chain(case.schema.tables.iter().map(|t| &t.file.path))
            .map(|path| {
                let (sha256, bytes) = hash_file(path).unwrap();
                (stored_path(path, dir.path()), sha256, bytes)
            })
            .collect();
        assert!(expected[1].2 > 3 << 20, "the table spans several steps");
        for steps in [0, 1, 3, 1000] {
            let begun = std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        let mut hashing = CaseAndTables::new(&case, dir.path());
                        for _ in 0..steps {
                            hashing.step().unwrap();
                        }
                        hashing
                    })
                    .join()
                    .unwrap()
            });
            let entries = begun.finish().unwrap();
            let got: Vec<(String, String, u64)> = entries.iter().map(|e| (e.path.clone(), e.sha256.clone(), e.bytes)).collect();
            assert_eq!(got, expected, "after {steps} steps on the other thread");
            assert_eq!(entries.iter().map(|e| e.role.as_str()).collect::<Vec<_>>(), ["case", "table", "table"]);
        }
    }

    #[test]
    fn a_missing_table_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let case = crate::stages::testing::case(dir.path());
        std::fs::remove_file(&case.schema.tables[1].file.path).unwrap();
        let err = CaseAndTables::new(&case, dir.path()).finish().unwrap_err().to_string();
        assert!(err.contains("tickets.csv"), "{err}");
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
