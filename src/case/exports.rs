//! Exports declared in the case (`[[exports]]`): a file that left the system (an S3 object, a Salesforce report
//! export) together with the CSV it contained. A log showing an actor retrieve the object names every row of
//! that CSV. The CSV is read when the case is loaded: its key column and the case-table columns it holds.

use std::path::Path;


use crate::case::file::ExportSection;
use crate::case::schema::{FieldId, Schema, TableId};
use crate::error::{Error, Result};
use crate::read::table::{Declared, TableFile};

/// A checked export with its rows' keys.
#[derive(Clone, Debug)]
pub struct Export {
    pub table: TableId,
    pub path: std::path::PathBuf,
    pub bucket: Option<String>,
    pub object_key: Option<String>,
    pub report_id: Option<String>,
    /// A SharePoint/OneDrive file's URL.
    pub url: Option<String>,
    /// Keys of every row of the export, in file order (duplicates removed).
    pub keys: Vec<String>,
    /// Case-table columns the export holds.
    pub fields: Vec<FieldId>,
    /// Export columns that are not columns of the table.
    pub unknown_fields: Vec<String>,
}

impl Export {
    /// Whether this export is the S3 object `bucket`/`key`.
    pub fn is_object(&self, bucket: Option<&str>, key: &str) -> bool {
        self.object_key.as_deref() == Some(key) && (self.bucket.is_none() || self.bucket.as_deref() == bucket)
    }

    /// Whether this export is the SharePoint/OneDrive file at `url` (percent-escapes, case and a trailing `/` aside).
    pub fn is_document(&self, url: &str) -> bool {
        self.url.as_deref().is_some_and(|u| normalise_url(u) == normalise_url(url))
    }

    /// Whether this export is the report `id` (15- and 18-character ids match).
    pub fn is_report(&self, id: &str) -> bool {
        use crate::read::accounts::normalise_id;
        self.report_id.as_deref().is_some_and(|r| normalise_id(r) == normalise_id(id))
    }
}

/// `https://acme.sharepoint.com/sites/crm/Shared%20Documents/x.csv` and `.../Shared Documents/x.csv` are one file.
fn normalise_url(url: &str) -> String {
    let bytes = url.trim().trim_end_matches('/').as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_lowercase()
}

pub fn build(case_path: &Path, dir: &Path, schema: &Schema, index: usize, section: &ExportSection) -> Result<Export> {
    let bad = |message: String| Error::input(case_path, format!("[[exports]] #{} ({}): {message}", index + 1, section.path));
    let table = schema.table(&section.table).ok_or_else(|| bad(format!("table `{}` is not a case table", section.table)))?;
    if section.report_id.is_none() && section.key.is_none() && section.url.is_none() {
        return Err(bad("say which object this is: `bucket` and `key` (S3), `report_id` (Salesforce) or `url` (SharePoint/OneDrive)".into()));
    }
    if section.bucket.is_some() && section.key.is_none() {
        return Err(bad("`bucket` without the object `key`".into()));
    }
    let spec = &schema.tables[table];
    let declared = Declared { format: section.format.as_deref(), sheet: section.sheet.as_deref() };
    let file = TableFile::open_declared(&dir.join(&section.path), Default::default(), declared)?;
    let key_name = section.key_column.clone().unwrap_or_else(|| spec.key.clone());
    let key_index = file
        .column_index(&key_name)
        .or_else(|| file.columns.iter().position(|c| c.eq_ignore_ascii_case(&key_name)))
        .ok_or_else(|| bad(format!("key column `{key_name}` is not a column of {}", file.path.display())))?;
    let mut fields = Vec::new();
    let mut unknown_fields = Vec::new();
    for column in &file.columns {
        match spec.field_of(column).or_else(|| spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(column)).map(|i| spec.field(i))) {
            Some(f) => fields.push(f),
            None => unknown_fields.push(column.clone()),
        }
    }
    fields.sort_unstable();
    fields.dedup();
    let mut keys = Vec::new();
    let mut seen = std::collections::HashSet::new();
    file.for_each_row(|_, row| {
        let k = row[key_index].trim();
        if !k.is_empty() && seen.insert(k.to_string()) {
            keys.push(k.to_string());
        }
        Ok(())
    })?;
    Ok(Export {
        table,
        path: file.path.clone(),
        bucket: section.bucket.clone(),
        object_key: section.key.clone(),
        report_id: section.report_id.clone(),
        url: section.url.clone(),
        keys,
        fields,
        unknown_fields,
    })
}
