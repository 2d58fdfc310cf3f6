//! Oracle Unified Auditing: the `UNIFIED_AUDIT_TRAIL` view exported as CSV with its header (SQL Developer's
//! export, SQLcl/SQL*Plus `SET MARKUP CSV ON`), columns as in the Oracle Database Reference page of the view.
//!
//! - Statements: `SQL_TEXT`, read by the SQL rules in Oracle's dialect, with `SQL_BINDS` (` #1(4):C001 #2(0):`:
//!   position, length in characters, value) substituted for the binds (`:1`, `:cust_id`) in position order.
//!   `LOGON`/`LOGOFF` are ignored; a `SELECT` record without text is a read of `OBJECT_SCHEMA.OBJECT_NAME` whose
//!   rows are unknown.
//! - One statement touching several audited objects writes one record per object: records of the same
//!   `SESSIONID` and `STATEMENT_ID` count once.
//! - `RETURN_CODE` ≠ 0 (an ORA- error, 1031 insufficient privileges...): nothing was read.
//! - Time: `EVENT_TIMESTAMP_UTC` (UTC) where exported; else `EVENT_TIMESTAMP`, rendered in the exporting session's
//!   zone and often written without one: then the log's `time_zone` is required. Both ISO
//!   (`2019-06-03 10:15:00.123456`) and Oracle's default NLS rendering (`03-JUN-19 10.15.00.123456000 AM`, with a
//!   zone where written) are read.
//! - The account is `DBUSERNAME`.

use std::collections::HashSet;
use std::io::BufRead;

use chrono::NaiveDate;

use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::event::{Format, LogParser, Parameters, Parsed, ParserSettings, Payload, RawEvent, Rejection, StatementText};
use crate::read::timefmt;
use crate::read::timefmt::{Timestamp, Zone};

pub struct OracleAuditParser {
    time_zone: Option<Zone>,
}

impl OracleAuditParser {
    pub fn new(settings: &ParserSettings) -> OracleAuditParser {
        OracleAuditParser { time_zone: settings.time_zone }
    }
}

/// Whether a file's start is a `UNIFIED_AUDIT_TRAIL` export with its header.
pub fn looks_like(first: &str) -> bool {
    let columns: Vec<String> = first.trim_start_matches('\u{feff}').split(',').map(|c| c.trim().trim_matches('"').to_ascii_uppercase()).collect();
    ["DBUSERNAME", "ACTION_NAME"].iter().all(|c| columns.iter().any(|h| h == c))
        && columns.iter().any(|h| h == "EVENT_TIMESTAMP" || h == "EVENT_TIMESTAMP_UTC")
}

/// `SQL_BINDS`: ` #1(4):C001 #2(0): #3(2):VT`, each value exactly its length in characters long.
pub fn parse_binds(text: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut values = Vec::new();
    let number = |i: &mut usize| -> Option<usize> {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>().parse().ok()
    };
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            return Ok(values);
        }
        let at = i + 1;
        if chars[i] != '#' {
            return Err(format!("SQL_BINDS: expected `#n(length):value` at character {at}"));
        }
        i += 1;
        let position = number(&mut i).ok_or_else(|| format!("SQL_BINDS: no bind position at character {at}"))?;
        if position != values.len() + 1 {
            return Err(format!("SQL_BINDS: bind #{position} where #{} was expected", values.len() + 1));
        }
        if chars.get(i) != Some(&'(') {
            return Err(format!("SQL_BINDS: no `(length)` after #{position}"));
        }
        i += 1;
        let length = number(&mut i).ok_or_else(|| format!("SQL_BINDS: no length for #{position}"))?;
        if chars.get(i) != Some(&')') || chars.get(i + 1) != Some(&':') {
            return Err(format!("SQL_BINDS: no `):` after the length of #{position}"));
        }
        i += 2;
        if i + length > chars.len() {
            return Err(format!("SQL_BINDS: #{position} is {length} characters long but the text ends first (cut at export?)"));
        }
        values.push(chars[i..i + length].iter().collect());
        i += length;
    }
}

/// `03-JUN-19 10.15.00.123456000 AM` (Oracle's default `DD-MON-RR HH.MI.SSXFF AM`, optionally with a zone
/// after it) as `2019-06-03 10:15:00.123456 [zone]`; other text unchanged.
fn from_nls(text: &str) -> String {
    static NLS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let nls = NLS.get_or_init(|| {
        regex::Regex::new(r"^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})\s+(\d{1,2})[.:](\d{2})[.:](\d{2})(?:[.,](\d{1,9}))?(?:\s+([AaPp][Mm]))?(?:\s+(\S.*))?$")
            .expect("static")
    });
    let Some(c) = nls.captures(text.trim()) else { return text.to_string() };
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let Some(month) = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(&c[2])) else { return text.to_string() };
    let year: i32 = c[3].parse().unwrap_or(0);
    // RR: 00-49 is this century, 50-99 the last.
    let year = if c[3].len() == 2 { if year < 50 { 2000 + year } else { 1900 + year } } else { year };
    let mut hour: u32 = c[4].parse().unwrap_or(99);
    match c.get(8).map(|m| m.as_str().to_ascii_uppercase()) {
        Some(m) if m == "AM" && hour == 12 => hour = 0,
        Some(m) if m == "PM" && hour < 12 => hour += 12,
        _ => {}
    }
    let Some(date) = NaiveDate::from_ymd_opt(year, month as u32 + 1, c[1].parse().unwrap_or(0)) else { return text.to_string() };
    let fraction = c.get(7).map(|f| format!(".{}", f.as_str())).unwrap_or_default();
    let zone = c.get(9).map(|z| format!(" {}", z.as_str().trim())).unwrap_or_default();
    format!("{} {hour:02}:{}:{}{fraction}{zone}", date.format("%Y-%m-%d"), &c[5], &c[6])
}

impl OracleAuditParser {
    fn time(&self, get: &dyn Fn(&str) -> Option<String>) -> Result<Timestamp, String> {
        if let Some(utc) = get("EVENT_TIMESTAMP_UTC") {
            return timefmt::parse_zoned_in(&from_nls(&utc), Some(Zone::utc())).map_err(|e| format!("EVENT_TIMESTAMP_UTC `{utc}`: {e}"));
        }
        let Some(local) = get("EVENT_TIMESTAMP") else { return Err("no EVENT_TIMESTAMP_UTC or EVENT_TIMESTAMP".into()) };
        timefmt::parse_zoned_in(&from_nls(&local), self.time_zone).map_err(|e| {
            if e.contains("no time zone") {
                format!("EVENT_TIMESTAMP `{local}` has no time zone: it is in the exporting session's zone; set `time_zone` for this log (or export EVENT_TIMESTAMP_UTC)")
            } else {
                format!("EVENT_TIMESTAMP `{local}`: {e}")
            }
        })
    }

    fn row(&self, line: u64, get: &dyn Fn(&str) -> Option<String>, raw: &[u8], seen: &mut HashSet<(String, String)>) -> Parsed {
        let actor = get("DBUSERNAME");
        let reject = |reason: String| Parsed::Rejected(Rejection::new(line, 0, reason, raw).of_account(actor.as_deref()));
        let Some(action) = get("ACTION_NAME").map(|a| a.to_ascii_uppercase()) else { return reject("no ACTION_NAME".into()) };
        if matches!(action.as_str(), "LOGON" | "LOGOFF" | "LOGOFF BY CLEANUP") {
            return Parsed::ignored(line, "logon or logoff");
        }
        let time = match self.time(get) {
            Ok(t) => t,
            Err(e) => return reject(e),
        };
        if let (Some(session), Some(statement)) = (get("SESSIONID"), get("STATEMENT_ID")) {
            if !seen.insert((session, statement)) {
                return Parsed::ignored(line, "statement already logged (record of another object of the same statement)");
            }
        }
        let failure = match get("RETURN_CODE").map(|c| c.parse::<i64>()) {
            Some(Ok(0)) | None => None,
            Some(Ok(code)) => Some(format!("RETURN_CODE {code} (ORA-{code:05})")),
            Some(Err(_)) => return reject(format!("RETURN_CODE `{}` is not a number", get("RETURN_CODE").unwrap_or_default())),
        };
        let object = get("OBJECT_NAME").map(|o| [get("OBJECT_SCHEMA"), Some(o)].into_iter().flatten().collect::<Vec<_>>().join("."));
        let payload = match get("SQL_TEXT") {
            Some(text) => {
                let parameters = match get("SQL_BINDS") {
                    None => Parameters::None,
                    Some(binds) => match parse_binds(&binds) {
                        Ok(values) => Parameters::Values(values),
                        Err(e) => return reject(e),
                    },
                };
                Payload::Sql { statement: StatementText::Logged(text), parameters, class: Some(action.clone()), object, rows: None }
            }
            None if action == "SELECT" => match object {
                Some(object) => Payload::TableRead { action: "Oracle SELECT".into(), tables: vec![object], rows: None },
                None => return Parsed::ignored(line, "SELECT record naming no object and no statement"),
            },
            None => return Parsed::ignored(line, "action without statement text (no table rows named)"),
        };
        Parsed::Event(RawEvent { line, time, actor, failure, payload })
    }
}

impl LogParser for OracleAuditParser {
    fn format(&self) -> Format {
        Format::OracleAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let mut seen = HashSet::new();
        csv_records::read(input, &mut |record| match record {
            CsvRecord::Row { line, get, raw } => sink(self.row(line, get, raw, &mut seen)),
            CsvRecord::Rejected(r) => sink(Parsed::Rejected(r)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_are_read_by_their_length() {
        assert_eq!(parse_binds(" #1(4):C001 #2(0): #3(6):a b,c "), Ok(vec!["C001".to_string(), String::new(), "a b,c ".to_string()]));
        assert_eq!(parse_binds(""), Ok(vec![]));
        assert!(parse_binds(" #1(9):C001").unwrap_err().contains("text ends first"));
        assert!(parse_binds(" #2(1):x").unwrap_err().contains("#1 was expected"));
    }

    #[test]
    fn nls_times_become_iso() {
        assert_eq!(from_nls("03-JUN-19 10.15.00.123456000 AM"), "2019-06-03 10:15:00.123456000");
        assert_eq!(from_nls("03-JUN-19 12.05.00.000000 AM"), "2019-06-03 00:05:00.000000");
        assert_eq!(from_nls("03-jun-2019 01.05.00 PM +02:00"), "2019-06-03 13:05:00 +02:00");
        assert_eq!(from_nls("2019-06-03 10:15:00"), "2019-06-03 10:15:00");
    }

    fn parse(text: &str, zone: Option<Zone>) -> Vec<Parsed> {
        let mut out = Vec::new();
        OracleAuditParser { time_zone: zone }.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    #[test]
    fn statements_binds_failures_once_per_statement_and_zones() {
        let log = "\"SESSIONID\",\"DBUSERNAME\",\"STATEMENT_ID\",\"EVENT_TIMESTAMP\",\"EVENT_TIMESTAMP_UTC\",\"ACTION_NAME\",\"RETURN_CODE\",\"OBJECT_SCHEMA\",\"OBJECT_NAME\",\"SQL_TEXT\",\"SQL_BINDS\"\n\
\"101\",\"K_WALSH\",\"7\",\"03-JUN-19 12.15.00.000000 PM\",\"03-JUN-19 10.15.00.000000 AM\",\"SELECT\",\"0\",\"CRM\",\"CUSTOMERS\",\"SELECT email FROM crm.customers WHERE customer_id = :1\",\" #1(4):C001\"\n\
\"101\",\"K_WALSH\",\"7\",\"03-JUN-19 12.15.00.000000 PM\",\"03-JUN-19 10.15.00.000000 AM\",\"SELECT\",\"0\",\"CRM\",\"TICKETS\",\"SELECT email FROM crm.customers WHERE customer_id = :1\",\" #1(4):C001\"\n\
\"101\",\"K_WALSH\",\"8\",\"03-JUN-19 12.16.00.000000 PM\",\"\",\"SELECT\",\"1031\",\"CRM\",\"CUSTOMERS\",\"SELECT * FROM crm.customers\",\"\"\n\
\"101\",\"K_WALSH\",\"9\",\"03-JUN-19 12.17.00.000000 PM\",\"\",\"LOGOFF\",\"0\",\"\",\"\",\"\",\"\"\n\
\"101\",\"K_WALSH\",\"10\",\"03-JUN-19 12.18.00.000000 PM\",\"\",\"SELECT\",\"0\",\"CRM\",\"CUSTOMERS\",\"SELECT 1 FROM dual WHERE :a = :b\",\" #1(1):x #2(\"\n";
        let out = parse(log, None);
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.actor.as_deref(), e.time.to_rfc3339()), (Some("K_WALSH"), "2019-06-03T10:15:00+00:00".to_string()));
        assert!(matches!(&e.payload, Payload::Sql { parameters: Parameters::Values(v), object: Some(o), .. } if v == &["C001"] && o == "CRM.CUSTOMERS"));
        assert!(matches!(&out[1], Parsed::Ignored { line: 3, .. }));
        // EVENT_TIMESTAMP without a zone and no time_zone: rejected with the fix.
        let Parsed::Rejected(r) = &out[2] else { panic!("{:?}", out[2]) };
        assert!(r.missing_zone() && r.reason.contains("set `time_zone`"), "{}", r.reason);
        assert_eq!(r.actor.as_deref(), Some("K_WALSH"));
        assert!(matches!(&out[3], Parsed::Ignored { line: 5, .. }));

        let out = parse(log, Some(Zone::parse("+02:00").unwrap()));
        let Parsed::Event(e) = &out[2] else { panic!("{out:?}") };
        assert_eq!(e.time.to_rfc3339(), "2019-06-03T10:16:00+00:00");
        assert_eq!(e.failure.as_deref(), Some("RETURN_CODE 1031 (ORA-01031)"));
        assert!(matches!(&out[4], Parsed::Rejected(r) if r.reason.starts_with("SQL_BINDS") && r.line == 6), "{:?}", out[4]);
    }
}
