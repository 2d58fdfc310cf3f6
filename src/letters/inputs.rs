//! What `letters` reads: an `analyze` run's outputs, found through its `manifest.json` and checked against
//! the hashes there (a list edited or replaced since is refused: letters are drafted only from what analyze
//! wrote), and the postal addresses from the customers table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::output::manifest::{self, Manifest};

/// One row of `affected_people.csv`, cells as written (formula neutralising undone).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub person_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub jurisdictions: Vec<String>,
    pub data_classes: Vec<String>,
    pub notify: String,
    /// Per jurisdiction of the person, `RULE: why` (from the `basis` column).
    pub basis: Vec<String>,
    pub customer_ids: Vec<String>,
    pub first_access: String,
    pub last_access: String,
}

/// A file of the analyze run that `letters` read, with its hash as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadFile {
    pub role: String,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
}

/// An analyze run's outputs as `letters` needs them.
#[derive(Debug)]
pub struct AnalyzeOutputs {
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
    pub people: Vec<PersonRow>,
    /// `jurisdictions.csv`, one map (column → cell) per row, by jurisdiction.
    pub jurisdictions: BTreeMap<String, BTreeMap<String, String>>,
    pub report: serde_json::Value,
    /// The manifest and the outputs read, in the order read.
    pub read: Vec<ReadFile>,
}

/// A cell as it was before `output::files::neutralise` prefixed it with `'`.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn split(cell: &str, separator: &str) -> Vec<String> {
    cell.split(separator).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Reads the outputs the manifest at `manifest_path` lists (the people list, jurisdictions, report),
/// each checked against its SHA-256 and size there.
pub fn read(manifest_path: &Path) -> Result<AnalyzeOutputs> {
    let manifest = manifest::load(manifest_path)?;
    let (sha256, bytes) = manifest::hash_file(manifest_path).map_err(|source| Error::Read { path: manifest_path.to_path_buf(), source })?;
    let mut read = vec![ReadFile { role: "manifest".into(), path: manifest_path.to_path_buf(), sha256, bytes }];
    let base = manifest_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut load = |role: &str| -> Result<Vec<u8>> {
        let Some(entry) = manifest.outputs.iter().find(|o| o.role == role) else {
            let why = if role == "affected_people" { " (a --redact run writes no people list)" } else { "" };
            return Err(Error::input(manifest_path, format!("this analyze run wrote no `{role}` output{why}: run `breachscope analyze` without --redact first")));
        };
        let path = base.join(&entry.path);
        let content = std::fs::read(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let (sha256, bytes) = manifest::hash_file(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        if sha256 != entry.sha256 || bytes != entry.bytes {
            return Err(Error::input(
                &path,
                format!(
                    "differs from {} (SHA-256 {sha256}, the manifest says {}): letters are drafted only from analyze's outputs as it wrote them; run `breachscope analyze` again (with --force) or restore the file",
                    manifest_path.display(),
                    entry.sha256
                ),
            ));
        }
        read.push(ReadFile { role: role.to_string(), path, sha256, bytes });
        Ok(content)
    };
    let people_bytes = load("affected_people")?;
    let jurisdictions_bytes = load("jurisdictions")?;
    let report_bytes = load("report")?;
    let people_path = read[1].path.clone();
    let people = parse_people(&people_bytes).map_err(|(line, message)| Error::input_at(&people_path, line, 1, message))?;
    let jurisdictions_path = read[2].path.clone();
    let jurisdictions = parse_jurisdictions(&jurisdictions_bytes).map_err(|(line, message)| Error::input_at(&jurisdictions_path, line, 1, message))?;
    let report_path = read[3].path.clone();
    let report: serde_json::Value = serde_json::from_slice(&report_bytes)
        .map_err(|e| Error::input_at(&report_path, e.line() as u64, e.column() as u64, format!("not a breachscope report: {e}")))?;
    Ok(AnalyzeOutputs { manifest_path: manifest_path.to_path_buf(), manifest, people, jurisdictions, report, read })
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new().from_reader(bytes)
}

/// `affected_people.csv`; the error is (line, message).
pub fn parse_people(bytes: &[u8]) -> std::result::Result<Vec<PersonRow>, (u64, String)> {
    let mut r = reader(bytes);
    let header = r.headers().map_err(|e| (1, format!("cannot read the header: {e}")))?.clone();
    let col = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| (1, format!("no `{name}` column: not an affected_people.csv written by breachscope analyze")));
    let [id, name, email, phone, jurisdiction, classes, notify, basis, customers, first, last] =
        ["person_id", "name", "email", "phone", "jurisdiction", "data_classes", "notify", "basis", "customer_ids", "first_access", "last_access"].map(col);
    let (id, name, email, phone, jurisdiction, classes, notify, basis, customers, first, last) =
        (id?, name?, email?, phone?, jurisdiction?, classes?, notify?, basis?, customers?, first?, last?);
    let mut out = Vec::new();
    for (i, record) in r.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| (line, format!("cannot read the row: {e}")))?;
        let cell = |c: usize| unneutralise(record.get(c).unwrap_or("")).to_string();
        out.push(PersonRow {
            person_id: cell(id),
            name: cell(name),
            email: cell(email),
            phone: cell(phone),
            jurisdictions: split(&cell(jurisdiction), ";"),
            data_classes: split(&cell(classes), ";"),
            notify: cell(notify),
            basis: split(&cell(basis), " | "),
            customer_ids: split(&cell(customers), ";"),
            first_access: cell(first),
            last_access: cell(last),
        });
        if out.last().is_some_and(|p| p.person_id.is_empty()) {
            return Err((line, "a row without person_id".into()));
        }
    }
    Ok(out)
}

/// `jurisdictions.csv` by jurisdiction; the error is (line, message).
pub fn parse_jurisdictions(bytes: &[u8]) -> std::result::Result<BTreeMap<String, BTreeMap<String, String>>, (u64, String)> {
    let mut r = reader(bytes);
    let header = r.headers().map_err(|e| (1, format!("cannot read the header: {e}")))?.clone();
    if !header.iter().any(|h| h == "jurisdiction") {
        return Err((1, "no `jurisdiction` column: not a jurisdictions.csv written by breachscope analyze".into()));
    }
    let mut out = BTreeMap::new();
    for (i, record) in r.records().enumerate() {
        let record = record.map_err(|e| (i as u64 + 2, format!("cannot read the row: {e}")))?;
        let row: BTreeMap<String, String> = header.iter().zip(record.iter()).map(|(h, v)| (h.to_string(), unneutralise(v).to_string())).collect();
        out.insert(row["jurisdiction"].clone(), row);
    }
    Ok(out)
}

/// The postal address of each wanted customer row: the `[notice] address` columns joined by lines (empty
/// cells left out). Only the rows whose key is wanted are kept.
pub fn addresses(case: &Case, wanted: &BTreeSet<&str>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if case.notice.address.is_empty() || wanted.is_empty() {
        return Ok(out);
    }
    let table = case.schema.customers();
    let columns: Vec<usize> = case.notice.address.iter().filter_map(|c| table.file.column_index(c)).collect();
    let key_type = table.key_type;
    let wanted: BTreeMap<String, &str> = wanted.iter().map(|k| (key_type.canonical(k).into_owned(), *k)).collect();
    table.file.for_each_row(|_, row| {
        let key = row.get(table.key_index).unwrap_or("");
        if let Some(id) = wanted.get(key_type.canonical(key).as_ref()) {
            let lines: Vec<&str> = columns.iter().filter_map(|c| row.get(*c)).map(str::trim).filter(|v| !v.is_empty()).collect();
            out.entry(id.to_string()).or_insert_with(|| lines.join("\n"));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralised_cells_are_read_back_as_written() {
        assert_eq!(unneutralise("'+1 212-555-0123; 020 7946 0960"), "+1 212-555-0123; 020 7946 0960");
        assert_eq!(unneutralise("'=HYPERLINK(1)"), "=HYPERLINK(1)");
        assert_eq!(unneutralise("O'Brien"), "O'Brien");
        assert_eq!(unneutralise("'quoted'"), "'quoted'");
        for cell in ["=1+1", "@x", "-2+3", "Ann", "+1 202-555-0101"] {
            assert_eq!(unneutralise(&crate::output::files::neutralise(cell)), cell);
        }
    }

    #[test]
    fn people_rows_are_split_into_lists() {
        let csv = "person_id,name,email,phone,jurisdiction,data_classes,assumed_classes,notify,basis,deadline,regulator,customer_ids,first_access,last_access,evidence,note\n\
                   P0001,Kim Orr,kim@example.com,'+1 212; 020,GB;US-NY,email_addresses;names,,assess,UK-GDPR: x | US-NY: y,,,C012;C013,2019-06-01T00:00:00Z,2019-06-02T00:00:00Z,named,n\n";
        let people = parse_people(csv.as_bytes()).unwrap();
        assert_eq!(people[0].jurisdictions, ["GB", "US-NY"]);
        assert_eq!(people[0].basis, ["UK-GDPR: x", "US-NY: y"]);
        assert_eq!(people[0].phone, "+1 212; 020");
        assert_eq!(people[0].customer_ids, ["C012", "C013"]);
        let err = parse_people(b"person,name\n").unwrap_err();
        assert!(err.1.contains("no `person_id` column"), "{err:?}");
    }
}
