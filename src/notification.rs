//! Stage 4: the legal team's notification list (CSV), one row per affected customer, sorted by key.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::exposure::CustomerExposure;
use crate::output::{neutralise, AtomicFile};
use crate::timefmt::format_utc;

pub const HEADER: [&str; 14] = [
    "customer_id",
    "name",
    "email",
    "phone",
    "country",
    "region",
    "segment",
    "data_classes",
    "exposed_fields",
    "first_access",
    "last_access",
    "access_count",
    "sources",
    "evidence",
];

/// The list as CSV bytes (UTF-8, header first, `;`-joined sorted lists, formula-safe cells).
pub fn to_csv(rows: &[CustomerExposure]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).expect("writing to memory");
    for row in rows {
        let classes: Vec<&str> = row.data_classes.iter().map(|c| c.as_str()).collect();
        let cells = [
            row.customer_id.clone(),
            row.name.clone(),
            row.email.clone(),
            row.phone.clone(),
            row.country.clone(),
            row.region.clone(),
            row.segment.clone(),
            classes.join(";"),
            row.exposed_fields.join(";"),
            format_utc(&row.first_access),
            format_utc(&row.last_access),
            row.access_count.to_string(),
            row.sources.join(";"),
            row.evidence.as_str().to_string(),
        ];
        writer.write_record(cells.iter().map(|c| neutralise(c).into_owned())).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

pub fn write(path: &Path, rows: &[CustomerExposure]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(&to_csv(rows)).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    file.commit()
}
