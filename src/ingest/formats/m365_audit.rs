//! Microsoft 365 unified audit log exports: the CSV the Purview compliance portal's audit search downloads
//! (`RecordId,CreationDate,RecordType,Operation,UserId,AuditData,...`; older exports `CreationDate,UserIds,Operations,
//! AuditData`) and `Search-UnifiedAuditLog | Export-Csv` writes (`#TYPE` line, `UserIds`, `Operations`, `AuditData`).
//! `AuditData` is the record's JSON, in the Office 365 Management Activity API schema.
//!
//! - Dynamics 365 (`Workload` `CRM`): a `Retrieve` of an entity (`EntityName`, `EntityId`) names the record viewed,
//!   read through the case's `[logs.tables]` (`contact = "customers"`) and `[logs.views]` (action `Retrieve`), else
//!   every column of the table (assumed, said so). `RetrieveMultiple` (a list or a FetchXML query) names the entity,
//!   not the rows: unresolved. Writes and other messages are ignored.
//! - SharePoint/OneDrive: `FileDownloaded`, `FileAccessed`, `FileSyncDownloadedFull`, `FilePreviewed` of a file
//!   (`ObjectId`, its URL) declared in `[[exports]]` with `url` name every row of that export; other files are
//!   counted as not declared. Other operations are ignored.
//! - The account is `AuditData.UserId`, else the `UserId`/`UserIds` column; the time `AuditData.CreationTime` (UTC,
//!   written without a zone), else `CreationDate`. `ResultStatus` `Failed` marks a failed operation.

use std::io::BufRead;

use serde_json::Value;

use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::read::pieces::LineNumbered;
use crate::read::timefmt;

pub struct M365Parser;

/// Whether a file's start is a unified audit log export (a header with `AuditData` and the operation column).
pub fn looks_like(text: &str) -> bool {
    let columns = csv_records::header_columns(text);
    columns.iter().any(|c| c == "auditdata") && columns.iter().any(|c| c == "operation" || c == "operations")
}

const FILE_READS: [&str; 4] = ["FileDownloaded", "FileAccessed", "FileSyncDownloadedFull", "FilePreviewed"];

fn row(line: u64, get: &dyn Fn(&str) -> Option<String>, raw: &[u8]) -> Parsed {
    let column_user = get("UserId").or_else(|| get("UserIds"));
    let reject = |reason: String, actor: Option<&str>| Parsed::Rejected(Rejection::new(line, 0, reason, raw).of_account(actor));
    let Some(text) = get("AuditData") else { return reject("no AuditData".into(), column_user.as_deref()) };
    let data: Value = match serde_json::from_str(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return reject("AuditData is not a JSON object".into(), column_user.as_deref()),
        Err(e) => return reject(format!("AuditData is not JSON: {e}"), column_user.as_deref()),
    };
    let s = |key: &str| data.get(key).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let actor = s("UserId").or(column_user);
    let time = match s("CreationTime").or_else(|| get("CreationDate")).map(|t| timefmt::parse_zoned_in(&t, Some(timefmt::Zone::utc()))) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return reject(format!("CreationTime: {e}"), actor.as_deref()),
        None => return reject("no CreationTime or CreationDate".into(), actor.as_deref()),
    };
    let workload = s("Workload").unwrap_or_default();
    let operation = s("Operation").or_else(|| get("Operation")).or_else(|| get("Operations")).unwrap_or_default();
    let payload = match workload.as_str() {
        "CRM" => {
            let message = s("Message").unwrap_or_else(|| operation.clone());
            let entity = s("EntityName").or_else(|| s("ItemType"));
            match (message.as_str(), entity) {
                ("Retrieve", Some(entity)) => match s("EntityId") {
                    Some(id) => Payload::RecordView { action: "Retrieve".into(), tables: vec![entity], records: vec![id] },
                    None => Payload::TableRead { action: "Dynamics 365 Retrieve".into(), tables: vec![entity], rows: None },
                },
                ("RetrieveMultiple", Some(entity)) => Payload::TableRead { action: "Dynamics 365 RetrieveMultiple".into(), tables: vec![entity], rows: None },
                _ => return Parsed::ignored(line, "Dynamics 365 message that returns no record (not Retrieve/RetrieveMultiple)"),
            }
        }
        "SharePoint" | "OneDrive" => {
            if !FILE_READS.contains(&operation.as_str()) {
                return Parsed::ignored(line, "SharePoint/OneDrive operation that is not a file read");
            }
            let Some(url) = s("ObjectId") else { return reject("file operation without ObjectId".into(), actor.as_deref()) };
            Payload::Object { store: "sharepoint".into(), container: s("SiteUrl"), name: url, rows: None }
        }
        _ => return Parsed::ignored(line, "workload that shows no case record (not Dynamics 365, SharePoint or OneDrive)"),
    };
    let failure = s("ResultStatus").filter(|r| r.eq_ignore_ascii_case("Failed")).map(|r| format!("ResultStatus {r}"));
    Parsed::Event(RawEvent { line, time, actor, failure, payload })
}

impl LogParser for M365Parser {
    fn format(&self) -> Format {
        Format::M365Audit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let skipped = csv_records::skip_export_csv_type_line(input)?;
        csv_records::read(input, &mut |record| {
            let mut parsed = match record {
                CsvRecord::Row { line, get, raw } => row(line, get, raw),
                CsvRecord::Rejected(r) => Parsed::Rejected(r),
            };
            parsed.shift_lines(skipped);
            sink(parsed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamics_reads_file_downloads_and_failures() {
        let log = "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogEvent\n\
\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\n\
\"6/3/2019 10:15:00 AM\",\"k.walsh@acme.example\",\"Retrieve\",\"{\"\"CreationTime\"\":\"\"2019-06-03T10:15:00\"\",\"\"Workload\"\":\"\"CRM\"\",\"\"UserId\"\":\"\"k.walsh@acme.example\"\",\"\"Message\"\":\"\"Retrieve\"\",\"\"EntityName\"\":\"\"contact\"\",\"\"EntityId\"\":\"\"C001\"\"}\"\n\
\"6/3/2019 10:16:00 AM\",\"k.walsh@acme.example\",\"FileDownloaded\",\"{\"\"CreationTime\"\":\"\"2019-06-03T10:16:00\"\",\"\"Workload\"\":\"\"SharePoint\"\",\"\"Operation\"\":\"\"FileDownloaded\"\",\"\"UserId\"\":\"\"k.walsh@acme.example\"\",\"\"ObjectId\"\":\"\"https://acme.sharepoint.com/sites/crm/Shared Documents/vip.csv\"\",\"\"ResultStatus\"\":\"\"Failed\"\"}\"\n\
\"6/3/2019 10:17:00 AM\",\"k.walsh@acme.example\",\"UserLoggedIn\",\"{\"\"CreationTime\"\":\"\"2019-06-03T10:17:00\"\",\"\"Workload\"\":\"\"AzureActiveDirectory\"\"}\"\n";
        assert!(looks_like(log));
        let mut out = Vec::new();
        M365Parser.parse(&mut log.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.time.to_rfc3339()), (3, "2019-06-03T10:15:00+00:00".to_string()));
        assert!(matches!(&e.payload, Payload::RecordView { tables, records, .. } if tables == &["contact"] && records == &["C001"]));
        let Parsed::Event(e) = &out[1] else { panic!("{out:?}") };
        assert_eq!(e.failure.as_deref(), Some("ResultStatus Failed"));
        assert!(matches!(&e.payload, Payload::Object { store, name, .. } if store == "sharepoint" && name.ends_with("vip.csv")));
        assert!(matches!(&out[2], Parsed::Ignored { line: 5, .. }));
    }
}
