//! Snowflake `SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY` exports: CSV with its header (Snowsight "Download results",
//! SnowSQL `-o output_format=csv`; the object arrays are JSON text in their cells, often pretty-printed over lines)
//! or JSON (one object per row, `COPY INTO ... FILE_FORMAT = (TYPE = JSON)` of `OBJECT_CONSTRUCT(*)`; the arrays are
//! JSON arrays or JSON text). Columns as in Snowflake's ACCESS_HISTORY view reference.
//!
//! - `BASE_OBJECTS_ACCESSED` (the tables under any view), else `DIRECT_OBJECTS_ACCESSED`: each object's
//!   `objectName` (`DB.SCHEMA.TABLE`) and its `columns[].columnName` are the columns the query read: they decide
//!   the exposed fields. Stages and other non-table objects are left out.
//! - The query text, execution status and row count come from the log's `query_history` (a QUERY_HISTORY export,
//!   CSV with `QUERY_ID`, `QUERY_TEXT`, `EXECUTION_STATUS`, `ROWS_PRODUCED`), joined by `QUERY_ID`: its key predicates
//!   name records and key-less filters are replayed. Without it the rows are unresolved (loud), the columns known.
//! - `EXECUTION_STATUS` other than `SUCCESS` (FAIL, INCIDENT): nothing was read.
//! - The account is `USER_NAME`; the time `QUERY_START_TIME` (Snowsight writes the offset, `-0700`; one without a
//!   zone needs the log's `time_zone`).

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::event::{Format, LogParser, Parsed, ParserSettings, Payload, RawEvent, Rejection};
use crate::ingest::json_records;
use crate::ingest::json_records::Piece;
use crate::read::timefmt;
use crate::read::timefmt::Zone;

/// What QUERY_HISTORY says about one query.
#[derive(Clone, Debug, Default)]
struct QueryInfo {
    text: Option<String>,
    status: Option<String>,
    error: Option<String>,
    rows: Option<u64>,
}

pub struct SnowflakeParser {
    time_zone: Option<Zone>,
    /// `None`: no `query_history` given.
    history: Option<HashMap<String, QueryInfo>>,
}

/// Whether a file's start is an ACCESS_HISTORY export (CSV header or JSON keys).
pub fn looks_like(text: &str) -> bool {
    let upper = text.get(..text.len().min(4096)).unwrap_or(text).to_ascii_uppercase();
    upper.contains("QUERY_ID") && upper.contains("QUERY_START_TIME") && upper.contains("OBJECTS_ACCESSED")
}

impl SnowflakeParser {
    pub fn new(settings: &ParserSettings) -> Result<SnowflakeParser, String> {
        let history = match &settings.query_history {
            Some(path) => Some(load_history(path)?),
            None => None,
        };
        Ok(SnowflakeParser { time_zone: settings.time_zone, history })
    }
}

/// The QUERY_HISTORY export: a CSV with a header naming at least `QUERY_ID` and `QUERY_TEXT`.
fn load_history(path: &std::path::Path) -> Result<HashMap<String, QueryInfo>, String> {
    let shown = path.display();
    let mut reader = crate::read::input::open(path)
        .map(|r| csv::ReaderBuilder::new().flexible(true).from_reader(r))
        .map_err(|e| format!("query_history {shown}: {e}"))?;
    let header: Vec<String> = reader.headers().map_err(|e| format!("query_history {shown}: {e}"))?.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_uppercase()).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(id), Some(text)) = (column("QUERY_ID"), column("QUERY_TEXT")) else {
        return Err(format!("query_history {shown}: the header needs QUERY_ID and QUERY_TEXT (a QUERY_HISTORY export)"));
    };
    let (status, error, rows) = (column("EXECUTION_STATUS"), column("ERROR_CODE"), column("ROWS_PRODUCED"));
    let mut out = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("query_history {shown}: record {}: {e}", i + 1))?;
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let Some(query_id) = cell(Some(id)) else { continue };
        out.insert(query_id, QueryInfo { text: cell(Some(text)), status: cell(status), error: cell(error), rows: cell(rows).and_then(|r| r.parse().ok()) });
    }
    Ok(out)
}

/// The objects of an ACCESS_HISTORY array (JSON value or JSON text): table name → columns read.
fn objects(value: &Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let parsed;
    let value = match value {
        Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| format!("not a JSON array: {e}"))?;
            &parsed
        }
        Value::Null => return Ok(Vec::new()),
        other => other,
    };
    let Value::Array(items) = value else { return Err("not a JSON array of objects".into()) };
    let mut out = Vec::new();
    for item in items {
        let domain = item.get("objectDomain").and_then(Value::as_str).unwrap_or("Table");
        if !matches!(domain.to_ascii_lowercase().as_str(), "table" | "view" | "materialized view" | "external table" | "dynamic table" | "secure view") {
            continue;
        }
        let Some(name) = item.get("objectName").and_then(Value::as_str) else { return Err("an object without objectName".into()) };
        let columns = item
            .get("columns")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().filter_map(|c| c.get("columnName").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default();
        out.push((name.to_string(), columns));
    }
    Ok(out)
}

impl SnowflakeParser {
    fn row(&self, line: u64, get: &dyn Fn(&str) -> Option<Value>, raw: &[u8]) -> Parsed {
        let text = |name: &str| get(name).and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Null => None,
            other => Some(other.to_string()),
        });
        let actor = text("USER_NAME");
        let reject = |reason: String| Parsed::Rejected(Rejection::new(line, 0, reason, raw).of_account(actor.as_deref()));
        let Some(query_id) = text("QUERY_ID") else { return reject("no QUERY_ID".into()) };
        let time = match text("QUERY_START_TIME").map(|t| timefmt::parse_zoned_in(&t, self.time_zone)) {
            Some(Ok(t)) => t,
            Some(Err(e)) if e.contains("no time zone") => return reject(format!("QUERY_START_TIME: {e}: set `time_zone` for this log")),
            Some(Err(e)) => return reject(format!("QUERY_START_TIME: {e}")),
            None => return reject("no QUERY_START_TIME".into()),
        };
        let mut read = Vec::new();
        for column in ["BASE_OBJECTS_ACCESSED", "DIRECT_OBJECTS_ACCESSED"] {
            match get(column).map(|v| objects(&v)) {
                Some(Ok(found)) if !found.is_empty() => {
                    read = found;
                    break;
                }
                Some(Err(e)) => return reject(format!("{column}: {e}")),
                _ => {}
            }
        }
        if read.is_empty() {
            return Parsed::ignored(line, "query that read no table (writes, DDL, stages)");
        }
        let info = self.history.as_ref().map(|h| h.get(&query_id).cloned().unwrap_or_default());
        let failure = info.as_ref().and_then(|i| i.status.as_ref()).filter(|s| !s.eq_ignore_ascii_case("SUCCESS")).map(|s| {
            let code = info.as_ref().and_then(|i| i.error.as_ref()).map(|c| format!(", error {c}")).unwrap_or_default();
            format!("EXECUTION_STATUS {s}{code}")
        });
        let payload = Payload::ColumnRead {
            query_id,
            query: info.as_ref().and_then(|i| i.text.clone()),
            objects: read,
            rows: info.as_ref().and_then(|i| i.rows),
        };
        Parsed::Event(RawEvent { line, time, actor, failure, payload })
    }
}

impl LogParser for SnowflakeParser {
    fn format(&self) -> Format {
        Format::SnowflakeAccess
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let start = input.fill_buf()?;
        let json = start.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF).is_some_and(|b| *b == b'{' || *b == b'[');
        if json {
            return json_records::read(input, &mut |piece| match piece {
                Piece::Value { line, text } => match serde_json::from_slice::<Value>(text) {
                    Ok(Value::Object(map)) => {
                        let upper: HashMap<String, Value> = map.into_iter().map(|(k, v)| (k.to_ascii_uppercase(), v)).collect();
                        sink(self.row(line, &|name| upper.get(name).cloned(), text))
                    }
                    Ok(_) => sink(Parsed::Rejected(Rejection::new(line, 1, "not a JSON object", text))),
                    Err(e) => sink(Parsed::Rejected(Rejection::new(line, e.column() as u64, format!("invalid JSON: {e}"), text))),
                },
                Piece::Junk { line, column, text } => {
                    sink(Parsed::Rejected(Rejection::new(line, column, "text outside a JSON record (extract the ACCESS_HISTORY rows first)", text)))
                }
                Piece::Broken { line, text, reason } => sink(Parsed::Rejected(Rejection::new(line, 0, reason, text))),
            });
        }
        csv_records::read(input, &mut |record| match record {
            CsvRecord::Row { line, get, raw } => sink(self.row(line, &|name| get(name).map(Value::String), raw)),
            CsvRecord::Rejected(r) => sink(Parsed::Rejected(r)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_rows_with_and_without_the_query_history() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("qh.csv");
        std::fs::write(&history, "QUERY_ID,QUERY_TEXT,EXECUTION_STATUS,ERROR_CODE,ROWS_PRODUCED\n01a,SELECT EMAIL FROM CUSTOMERS WHERE CUSTOMER_ID = 'C1',SUCCESS,,1\n01b,SELECT 1,FAIL,002003,0\n").unwrap();
        let csv = "QUERY_ID,QUERY_START_TIME,USER_NAME,DIRECT_OBJECTS_ACCESSED,BASE_OBJECTS_ACCESSED\n\
01a,2019-06-03 03:15:00.123 -0700,K_WALSH,\"[{\"\"objectName\"\":\"\"CRM.PUBLIC.CUSTOMERS\"\",\"\"columns\"\":[{\"\"columnName\"\":\"\"EMAIL\"\"}]}]\",\"[\n  {\n    \"\"columns\"\": [ { \"\"columnName\"\": \"\"EMAIL\"\" } ],\n    \"\"objectDomain\"\": \"\"Table\"\",\n    \"\"objectName\"\": \"\"CRM.PUBLIC.CUSTOMERS\"\"\n  }\n]\"\n\
01b,2019-06-03 03:16:00.000 -0700,K_WALSH,\"[{\"\"objectName\"\":\"\"CRM.PUBLIC.CUSTOMERS\"\",\"\"columns\"\":[]}]\",[]\n\
01c,2019-06-03 10:17:00Z,K_WALSH,[],[]\n\
01d,2019-06-03 10:18:00Z,K_WALSH,[{,[]\n";
        let settings = ParserSettings { query_history: Some(history.clone()), ..Default::default() };
        let parser = SnowflakeParser::new(&settings).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut csv.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.time.to_rfc3339(), e.actor.as_deref()), (2, "2019-06-03T10:15:00.123+00:00".to_string(), Some("K_WALSH")));
        assert!(matches!(&e.payload, Payload::ColumnRead { query: Some(q), objects, rows: Some(1), .. } if q.contains("'C1'") && objects == &[("CRM.PUBLIC.CUSTOMERS".to_string(), vec!["EMAIL".to_string()])]));
        let Parsed::Event(e) = &out[1] else { panic!("{out:?}") };
        assert_eq!(e.failure.as_deref(), Some("EXECUTION_STATUS FAIL, error 002003"));
        assert!(matches!(&out[2], Parsed::Ignored { .. }));
        assert!(matches!(&out[3], Parsed::Rejected(r) if r.reason.starts_with("BASE_OBJECTS_ACCESSED") || r.reason.starts_with("DIRECT_OBJECTS_ACCESSED")), "{:?}", out[3]);

        let json = "{\"QUERY_ID\":\"01a\",\"QUERY_START_TIME\":\"2019-06-03 03:15:00.123 -0700\",\"USER_NAME\":\"K_WALSH\",\"BASE_OBJECTS_ACCESSED\":[{\"objectName\":\"CRM.PUBLIC.CUSTOMERS\",\"objectDomain\":\"Table\",\"columns\":[{\"columnName\":\"PHONE\"}]},{\"objectName\":\"@CRM.PUBLIC.STAGE\",\"objectDomain\":\"Stage\"}]}\n";
        let parser = SnowflakeParser::new(&ParserSettings::default()).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut json.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert!(matches!(&e.payload, Payload::ColumnRead { query: None, objects, .. } if objects.len() == 1 && objects[0].1 == ["PHONE"]));
        assert!(looks_like(json) && looks_like(csv));
    }
}
