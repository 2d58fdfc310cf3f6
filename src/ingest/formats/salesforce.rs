//! Salesforce Event Monitoring EventLogFile CSVs: a quoted upper-case header (`"EVENT_TYPE","TIMESTAMP",...`),
//! one file per event type and day (or hour), every value quoted.
//!
//! - `URI` (Classic page view): `URI_ID_DERIVED` (or an id in `URI`) is the record viewed.
//! - `LightningPageView`: `PAGE_ENTITY_ID` / `PAGE_ENTITY_TYPE`.
//! - `API`, `RestApi`, `BulkApi`: a REST `URI` naming `/sobjects/Type/id` is a record read; otherwise
//!   `ENTITY_NAME` and `ROWS_PROCESSED` say which object was read and how many rows, not which rows.
//! - `Report`, `ReportExport`: `REPORT_ID_DERIVED`/`REPORT_ID` and `ROW_COUNT`; the rows are those of the
//!   report's export file when the case declares it (`[[exports]]` with `report_id`).
//!
//! The account is `USER_ID`, named through the log's `users` table when given. The time is `TIMESTAMP_DERIVED`
//! (ISO 8601), else `TIMESTAMP` (`20190603101500.123`, GMT). `REQUEST_STATUS` F/A/N or `STATUS_CODE` ≥ 400
//! marks a failed request.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use chrono::{NaiveDateTime, TimeZone, Utc};
use regex::Regex;

use crate::read::accounts;
use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::event::{Format, LogParser, Parsed, ParserSettings, Payload, RawEvent, Rejection};
use crate::read::timefmt;
use crate::read::timefmt::Timestamp;

/// Standard object key prefixes (the first three characters of a record id).
const KEY_PREFIXES: [(&str, &str); 14] = [
    ("001", "Account"),
    ("003", "Contact"),
    ("005", "User"),
    ("006", "Opportunity"),
    ("00Q", "Lead"),
    ("500", "Case"),
    ("00T", "Task"),
    ("00U", "Event"),
    ("800", "Contract"),
    ("02s", "EmailMessage"),
    ("00O", "Report"),
    ("068", "ContentVersion"),
    ("069", "ContentDocument"),
    ("801", "Order"),
];

pub struct SalesforceParser {
    users: BTreeMap<String, String>,
    time_zone: Option<crate::read::timefmt::Zone>,
    sobject: Regex,
}

impl SalesforceParser {
    pub fn new(settings: &ParserSettings, sample: &[u8]) -> Result<SalesforceParser, String> {
        let text = String::from_utf8_lossy(sample);
        let header = text.trim_start_matches('\u{feff}').lines().next().ok_or("the log is empty (no header row)")?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(header.as_bytes());
        let record = reader.records().next().ok_or("the log is empty (no header row)")?.map_err(|e| format!("header row: {e}"))?;
        let columns: HashSet<String> = record.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_uppercase()).collect();
        for needed in ["EVENT_TYPE", "USER_ID"] {
            if !columns.contains(needed) {
                return Err(format!("EventLogFile header has no {needed} column"));
            }
        }
        if !columns.contains("TIMESTAMP_DERIVED") && !columns.contains("TIMESTAMP") {
            return Err("EventLogFile header has no TIMESTAMP or TIMESTAMP_DERIVED column".into());
        }
        Ok(SalesforceParser {
            users: settings.users.clone(),
            time_zone: settings.time_zone,
            sobject: Regex::new(r"/sobjects/([A-Za-z0-9_]+)/([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)(?:[/?]|$)").expect("static"),
        })
    }
}

/// `20190603101500.123` (GMT), or an ISO time (one without a zone read in `zone`).
fn sf_time(text: &str, zone: Option<crate::read::timefmt::Zone>) -> Result<Timestamp, String> {
    let t = text.trim();
    if t.len() >= 14 && t[..14].bytes().all(|b| b.is_ascii_digit()) {
        let naive = NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S"))
            .map_err(|_| format!("`{t}` is not a YYYYMMDDHHMMSS.sss time"))?;
        return Ok(Utc.from_utc_datetime(&naive));
    }
    timefmt::parse_zoned_in(t, zone)
}

/// The names a record id's object may go by: the entity name given, the standard name of its key prefix, the
/// prefix itself.
fn table_names(entity: Option<&str>, id: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(e) = entity.filter(|e| !e.is_empty()) {
        names.push(e.to_string());
    }
    if id.len() >= 3 {
        let prefix = &id[..3];
        if let Some((_, name)) = KEY_PREFIXES.iter().find(|(p, _)| *p == prefix) {
            names.push(name.to_string());
        }
        names.push(prefix.to_string());
    }
    names.dedup();
    names
}

fn is_record_id(s: &str) -> bool {
    (s.len() == 15 || s.len() == 18) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl SalesforceParser {
    fn row(&self, line: u64, get: &dyn Fn(&str) -> Option<String>, raw: &[u8]) -> Parsed {
        let event_type = get("EVENT_TYPE").unwrap_or_default();
        let payload = match event_type.as_str() {
            "URI" => {
                let id = get("URI_ID_DERIVED").or_else(|| get("URI").map(|u| u.trim_start_matches('/').split(['/', '?']).next().unwrap_or("").to_string()));
                match id.filter(|i| is_record_id(i)) {
                    Some(id) => Payload::RecordView { action: "URI".into(), tables: table_names(None, &id), records: vec![id] },
                    None => return Parsed::ignored(line, "page view without a record id"),
                }
            }
            "LightningPageView" | "LightningInteraction" => match get("PAGE_ENTITY_ID").or_else(|| get("RECORD_ID")).filter(|i| is_record_id(i)) {
                Some(id) => {
                    let entity = get("PAGE_ENTITY_TYPE");
                    Payload::RecordView { action: event_type.clone(), tables: table_names(entity.as_deref(), &id), records: vec![id] }
                }
                None => return Parsed::ignored(line, "page view without a record id"),
            },
            "API" | "RestApi" | "BulkApi" | "BulkApi2" => {
                let method = get("METHOD_NAME").or_else(|| get("METHOD")).unwrap_or_default();
                let lower = method.to_ascii_lowercase();
                if ["create", "update", "delete", "upsert", "post", "patch", "put", "undelete", "merge"].contains(&lower.as_str()) {
                    return Parsed::ignored(line, "write request (no record returned)");
                }
                let uri = get("URI").unwrap_or_default();
                if let Some(c) = self.sobject.captures(&uri) {
                    let id = c[2].to_string();
                    Payload::RecordView { action: format!("{event_type} {method}"), tables: table_names(Some(&c[1]), &id), records: vec![id] }
                } else {
                    let rows = get("ROWS_PROCESSED").and_then(|r| r.parse::<u64>().ok());
                    let entities: Vec<String> =
                        get("ENTITY_NAME").map(|e| e.split([',', ';', '|']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
                    if rows == Some(0) {
                        return Parsed::ignored(line, "API request that returned no rows");
                    }
                    if entities.is_empty() && rows.is_none() {
                        return Parsed::ignored(line, "API request naming no object and no rows");
                    }
                    Payload::TableRead { action: format!("Salesforce {event_type} {method}").trim().to_string(), tables: entities, rows }
                }
            }
            "Report" | "ReportExport" => match get("REPORT_ID_DERIVED")
                .or_else(|| get("REPORT_ID"))
                .or_else(|| get("URI_ID_DERIVED"))
                .or_else(|| get("URI").map(|u| u.trim_start_matches('/').split(['/', '?']).next().unwrap_or("").to_string()))
                .filter(|i| is_record_id(i))
            {
                Some(id) => Payload::Object {
                    store: "salesforce-report".into(),
                    container: None,
                    name: id,
                    rows: get("ROW_COUNT").and_then(|r| r.parse::<u64>().ok()),
                },
                None => return Parsed::ignored(line, "report event without a report id"),
            },
            "Login" | "Logout" | "LoginAs" | "LoginEvent" => return Parsed::ignored(line, "login or logout"),
            "" => return Parsed::Rejected(Rejection::new(line, 1, "no EVENT_TYPE", raw)),
            _ => return Parsed::ignored(line, "event type that shows no record"),
        };
        let time = match get("TIMESTAMP_DERIVED").or_else(|| get("TIMESTAMP")) {
            Some(t) => match sf_time(&t, self.time_zone) {
                Ok(t) => t,
                Err(reason) => return Parsed::Rejected(Rejection::new(line, 0, format!("timestamp: {reason}"), raw)),
            },
            None => return Parsed::Rejected(Rejection::new(line, 0, "no TIMESTAMP", raw)),
        };
        let actor = get("USER_ID").or_else(|| get("USER_ID_DERIVED")).map(|id| accounts::name_of(&self.users, &id));
        let status = get("REQUEST_STATUS").unwrap_or_default();
        let code = get("STATUS_CODE").and_then(|c| c.parse::<u32>().ok());
        let failure = match (status.as_str(), code) {
            ("F", _) => Some("REQUEST_STATUS F (failure)".to_string()),
            ("A", _) => Some("REQUEST_STATUS A (authorization error)".to_string()),
            ("N", _) => Some("REQUEST_STATUS N (not found)".to_string()),
            (_, Some(c)) if c >= 400 => Some(format!("STATUS_CODE {c}")),
            _ => None,
        };
        Parsed::Event(RawEvent { line, time, actor, failure, payload })
    }
}

impl LogParser for SalesforceParser {
    fn format(&self) -> Format {
        Format::Salesforce
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        csv_records::read(input, &mut |record| match record {
            CsvRecord::Row { line, get, raw } => sink(self.row(line, get, raw)),
            CsvRecord::Rejected(r) => sink(Parsed::Rejected(r)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_views_api_rows_and_reports() {
        let log = "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"URI\",\"REQUEST_STATUS\",\"ENTITY_NAME\",\"ROWS_PROCESSED\",\"METHOD_NAME\",\"REPORT_ID_DERIVED\",\"ROW_COUNT\",\"PAGE_ENTITY_ID\",\"PAGE_ENTITY_TYPE\",\"TIMESTAMP_DERIVED\",\"URI_ID_DERIVED\"\n\
\"URI\",\"20190603101500.123\",\"r1\",\"00D\",\"0055j00000AT6I1\",\"/0035j00000AbCdE\",\"S\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"0035j00000AbCdEAAZ\"\n\
\"API\",\"20190603101600.000\",\"r2\",\"00D\",\"0055j00000AT6I1\",\"/services/Soap/u/45.0\",\"S\",\"Contact\",\"250\",\"query\",\"\",\"\",\"\",\"\",\"2019-06-03T10:16:00.000Z\",\"\"\n\
\"ReportExport\",\"20190603101700.000\",\"r3\",\"00D\",\"0055j00000ZZZZZ\",\"/00O5j000001abcD\",\"F\",\"\",\"\",\"\",\"00O5j000001abcDEAQ\",\"12\",\"\",\"\",\"\",\"\"\n";
        let mut users = BTreeMap::new();
        users.insert("0055j00000AT6I1".to_string(), "k.walsh".to_string());
        let settings = ParserSettings { users, ..Default::default() };
        let parser = SalesforceParser::new(&settings, log.as_bytes()).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut log.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.actor.as_deref()), (2, Some("k.walsh")));
        assert_eq!(e.time.to_rfc3339(), "2019-06-03T10:15:00.123+00:00");
        assert!(matches!(&e.payload, Payload::RecordView { tables, records, .. } if tables == &["Contact", "003"] && records == &["0035j00000AbCdEAAZ"]));
        let Parsed::Event(e) = &out[1] else { panic!() };
        assert!(matches!(&e.payload, Payload::TableRead { rows: Some(250), tables, .. } if tables == &["Contact"]));
        let Parsed::Event(e) = &out[2] else { panic!() };
        assert_eq!(e.actor.as_deref(), Some("0055j00000ZZZZZ"));
        assert!(e.failure.is_some());
        assert!(matches!(&e.payload, Payload::Object { rows: Some(12), .. }));
    }

    #[test]
    fn fixtures_parse() {
        for (text, events) in [
            (include_str!("../../../testdata/logs/salesforce/2019-06-03_URI.csv"), 2),
            (include_str!("../../../testdata/logs/salesforce/2019-06-03_LightningPageView.csv"), 1),
            (include_str!("../../../testdata/logs/salesforce/2019-06-03_API.csv"), 1),
            (include_str!("../../../testdata/logs/salesforce/2019-06-03_ReportExport.csv"), 2),
        ] {
            let parser = SalesforceParser::new(&ParserSettings::default(), text.as_bytes()).unwrap();
            let mut out = Vec::new();
            parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
            assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), events, "{out:?}");
            assert!(!out.iter().any(|p| matches!(p, Parsed::Rejected(_))), "{out:?}");
            // CRLF files: the first row is line 2.
            let Parsed::Event(first) = out.iter().find(|p| matches!(p, Parsed::Event(_))).unwrap() else { unreachable!() };
            assert_eq!(first.line, 2, "{first:?}");
        }
    }
}
