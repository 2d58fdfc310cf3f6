//! The legal team's notification list (CSV), one row per affected customer, sorted by key.

use crate::stages::exposure::CustomerExposure;
use crate::output::files::neutralise;
use crate::read::timefmt::format_utc;

pub const HEADER: [&str; 15] = [
    "customer_id",
    "name",
    "email",
    "phone",
    "country",
    "region",
    "segment",
    "data_classes",
    "assumed_classes",
    "exposed_fields",
    "first_access",
    "last_access",
    "access_count",
    "sources",
    "evidence",
];

/// The list as CSV (UTF-8, header first, `;`-joined sorted lists, formula-safe cells), written to `out` as
/// it is made.
pub fn write_csv(rows: &[CustomerExposure], out: impl std::io::Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for row in rows {
        let classes: Vec<&str> = row.data_classes.iter().map(|c| c.as_str()).collect();
        let assumed: Vec<&str> = row.assumed_classes.iter().map(|c| c.as_str()).collect();
        let cells = [
            &row.customer_id,
            &row.name,
            &row.email,
            &row.phone,
            &row.country,
            &row.region,
            &row.segment,
            &classes.join(";"),
            &assumed.join(";"),
            &row.exposed_fields.join(";"),
            &format_utc(&row.first_access),
            &format_utc(&row.last_access),
            &row.access_count.to_string(),
            &row.sources.join(";"),
            row.evidence.as_str(),
        ];
        for cell in cells {
            writer.write_field(neutralise(cell).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()
}

