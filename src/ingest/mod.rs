//! Reading access logs: one parser per format behind [`LogParser`], each turning a stream of bytes into
//! [`Parsed`] records: an access event, a record that is not an access (ignored, with the reason), or a
//! record that could not be read (rejected, with line, column, reason and the raw text).
//!
//! Parsers only read syntax. What an event exposes (which records, which fields) is decided later, with the
//! case's tables at hand, in [`crate::evidence`].

pub mod accounts;
pub mod bytes;
pub mod cloudtrail;
pub mod combined;
pub mod csv_pieces;
pub mod csv_records;
pub mod files;
pub mod generic_csv;
pub mod json_records;
pub mod jsonl;
pub mod lines;
pub mod mapping;
pub mod mongodb;
pub mod mysql_audit;
pub mod pgaudit;
pub mod pipeline;
pub mod prefilter;
pub mod salesforce;
pub mod zendesk;

use std::io::BufRead;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::timefmt::Timestamp;

/// One access as the log recorded it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RawEvent {
    /// Line where the record starts (1-based).
    pub line: u64,
    pub time: Timestamp,
    /// The account; `None` where the log has none for this record (`-` in a web log).
    pub actor: Option<String>,
    /// Why the log says this request failed (`HTTP 403`, `SQLSTATE 42501`); `None` if it succeeded.
    pub failure: Option<String>,
    pub payload: Payload,
}

/// What the request was, in the log's own terms.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// A web request: method and request target (path and query).
    Http { method: String, target: String, status: u16 },
    /// A logged SQL statement with its bind parameters and, where logged, the row count.
    Sql { statement: StatementText, parameters: Parameters, class: Option<String>, object: Option<String>, rows: Option<u64> },
    /// An audit-export row naming a table/entity and a record, with the fields it showed.
    Record { action: Option<String>, table: Option<String>, record: Option<String>, fields: Option<String> },
    /// A MongoDB read command (`find`, `aggregate`, `count`, `distinct`, `findAndModify`) on a collection.
    Document {
        command: String,
        /// `db.collection` as logged (`param.ns`).
        collection: String,
        /// The query filter (`{}` when the command has none).
        filter: serde_json::Value,
        /// The projection; `None`: whole documents.
        projection: Option<serde_json::Value>,
        /// `aggregate`: the pipeline stages.
        pipeline: Option<serde_json::Value>,
        /// The command returns a limited number of documents (`limit`), so which ones is not known.
        limited: bool,
    },
    /// Key-value item reads (DynamoDB `GetItem`, `BatchGetItem`, `Query`, `Scan`, `TransactGetItems`).
    Item { operation: String, requests: Vec<ItemRequest> },
    /// Retrieval of a stored object or report whose content the case may declare in `[[exports]]`: an S3 object
    /// (`store` `s3`, `container` = bucket, `name` = object key) or a Salesforce report (`salesforce-report`,
    /// `name` = report id).
    Object { store: String, container: Option<String>, name: String, rows: Option<u64> },
    /// A page view or API retrieval naming records by id; `tables` are the log's names for the record type, tried in
    /// order (an entity name, a Salesforce key prefix).
    RecordView { action: String, tables: Vec<String>, records: Vec<String> },
    /// A read of named tables whose rows the log does not name (a MariaDB READ record without its query, a
    /// Salesforce API call with only a row count).
    TableRead { action: String, tables: Vec<String>, rows: Option<u64> },
    /// A helpdesk access-log request (Zendesk): the request path, read through the case's routes or the built-in
    /// ticket and user paths.
    Helpdesk { method: String, url: String, status: u16 },
}

/// One table's part of a key-value read request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemRequest {
    pub table: String,
    pub kind: ItemReadKind,
    /// Key attributes → values, one map per item named (`GetItem` key, `Query` partition key).
    pub keys: Vec<std::collections::BTreeMap<String, String>>,
    /// Attributes returned (`ProjectionExpression` with names resolved); `None`: whole items.
    pub projection: Option<Vec<String>>,
    /// A `Limit` or a filter/condition that is not a key: which items came back is not known.
    pub limited: bool,
    pub filtered: bool,
    /// `Select: COUNT`: only the number of matching items is returned.
    pub count_only: bool,
    /// Why keys could not be read from the request (values not logged), if so.
    pub unreadable: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemReadKind {
    Get,
    Query,
    Scan,
}

impl Payload {
    /// One line for people: `GET /x -> 200`, the SQL on one line, or `view Customer C1 [email]`.
    pub fn describe(&self) -> String {
        let text = match self {
            Payload::Http { method, target, status } => format!("{method} {target} -> {status}"),
            Payload::Sql { statement: StatementText::Logged(sql), rows, .. } => {
                let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                match rows {
                    Some(n) => format!("{one_line} [{n} rows]"),
                    None => one_line,
                }
            }
            Payload::Sql { statement: StatementText::NotLogged, .. } => "<statement not logged>".into(),
            Payload::Record { action, table, record, fields } => format!(
                "{} {} {} [{}]",
                action.as_deref().unwrap_or("-"),
                table.as_deref().unwrap_or("-"),
                record.as_deref().unwrap_or("-"),
                fields.as_deref().unwrap_or("")
            ),
            Payload::Document { command, collection, filter, projection, pipeline, .. } => match (pipeline, projection) {
                (Some(p), _) => format!("{collection} {command} {p}"),
                (None, Some(p)) => format!("{collection} {command} {filter} projection {p}"),
                (None, None) => format!("{collection} {command} {filter}"),
            },
            Payload::Item { operation, requests } => {
                let parts: Vec<String> = requests
                    .iter()
                    .map(|r| {
                        let keys: Vec<String> = r.keys.iter().map(|k| k.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(",")).collect();
                        format!("{} [{}]", r.table, keys.join("; "))
                    })
                    .collect();
                format!("DynamoDB {operation} {}", parts.join(" "))
            }
            Payload::Object { store, container, name, rows } => {
                let rows = rows.map(|n| format!(" [{n} rows]")).unwrap_or_default();
                match container {
                    Some(c) => format!("{store} {c}/{name}{rows}"),
                    None => format!("{store} {name}{rows}"),
                }
            }
            Payload::RecordView { action, tables, records } => format!("{action} {} {}", tables.first().map(String::as_str).unwrap_or("-"), records.join(";")),
            Payload::TableRead { action, tables, rows } => {
                format!("{action} {}{}", tables.join(","), rows.map(|n| format!(" [{n} rows]")).unwrap_or_default())
            }
            Payload::Helpdesk { method, url, status } => format!("{method} {url} -> {status}"),
        };
        if text.chars().count() > 160 {
            format!("{}…", text.chars().take(160).collect::<String>())
        } else {
            text
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "logged", content = "text", rename_all = "snake_case")]
pub enum StatementText {
    Logged(String),
    /// `<not logged>`: the statement text was switched off.
    NotLogged,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "logged", content = "values", rename_all = "snake_case")]
pub enum Parameters {
    /// `<none>`: the statement had no bind parameters.
    None,
    /// `<not logged>`: parameters exist but were not written.
    NotLogged,
    Values(Vec<String>),
}

/// A record that could not be read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    pub line: u64,
    /// 1-based byte column or field number where the problem is; 0 when it concerns the whole record.
    pub column: u64,
    pub reason: String,
    /// The record as it was in the file (cut at [`RAW_LIMIT`] bytes, marked as cut).
    pub raw: String,
}

/// The most bytes of one rejected record kept in the rejects file.
pub const RAW_LIMIT: usize = 64 * 1024;

impl Rejection {
    pub fn new(line: u64, column: u64, reason: impl Into<String>, raw: &[u8]) -> Self {
        let cut = raw.len() > RAW_LIMIT;
        let mut text = String::from_utf8_lossy(&raw[..raw.len().min(RAW_LIMIT)]).into_owned();
        if cut {
            text.push_str(&format!("…[cut: record is {} bytes]", raw.len()));
        }
        Rejection { line, column, reason: reason.into(), raw: text }
    }
}

/// What a parser makes of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    Event(RawEvent),
    /// A well-formed record that is not an access (a connection message, a header comment...).
    Ignored { line: u64, reason: &'static str },
    Rejected(Rejection),
    /// Records of other accounts counted by a parser with a prefilter (see [`prefilter`]), sent every
    /// [`prefilter::OtherAccountsTally::FLUSH_AT`] records and at the end.
    OtherAccounts(Box<prefilter::OtherAccountsTally>),
}

impl Parsed {
    /// The record's line (none for a tally of many records).
    pub fn line(&self) -> Option<u64> {
        match self {
            Parsed::Event(e) => Some(e.line),
            Parsed::Ignored { line, .. } => Some(*line),
            Parsed::Rejected(r) => Some(r.line),
            Parsed::OtherAccounts(_) => None,
        }
    }

}

/// Something read from a file with the line it was on: a piece's items are numbered from the piece's
/// start, then moved on to the file's lines.
pub trait LineNumbered {
    /// Adds `lines` to the item's line number.
    fn shift_lines(&mut self, lines: u64);
}

impl LineNumbered for Parsed {
    fn shift_lines(&mut self, lines: u64) {
        match self {
            Parsed::Event(e) => e.line += lines,
            Parsed::Ignored { line, .. } => *line += lines,
            Parsed::Rejected(r) => r.line += lines,
            Parsed::OtherAccounts(_) => {}
        }
    }
}

/// A log format's parser: reads the whole stream, calling `sink` once per record, in file order.
pub trait LogParser: Send + Sync {
    fn format(&self) -> Format;
    /// Reads every record. An I/O error (a truncated gzip, say) ends the file and is returned.
    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()>;
    /// The parser as a [`ChunkParser`], when it can read a file in pieces on several cores.
    fn chunked(&self) -> Option<&dyn ChunkParser> {
        None
    }
}

/// A parser that can read a file in pieces, each piece on any core (see [`pipeline::parse_chunked`]).
/// Pieces are cut after a newline; a piece is parsed as if a record started there, and that guess is
/// checked against where the previous piece's last record really ended.
pub trait ChunkParser<T = Parsed>: Sync {
    /// Parses the records that start in `own` (`first`: the file's first piece, starting with its header),
    /// reading on into `lookahead` (the next piece) for a record that goes on past `own`. Line numbers
    /// are counted from the start of `own` (its first line is line 1).
    fn parse_chunk(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(T)) -> ChunkEnd;
    /// Reads all records of `input`, which starts at a record (`first`: at the header), as
    /// [`LogParser::parse`] does: the way on when a record outgrows a piece and its lookahead.
    fn parse_rest(&self, input: &mut dyn BufRead, first: bool, sink: &mut dyn FnMut(T)) -> std::io::Result<()>;
}

/// Where a piece's reading stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkEnd {
    /// The first record after the piece starts at this offset of the lookahead.
    NextRecordAt(usize),
    /// The piece and its lookahead ended inside or right after a record.
    EndOfInput,
}

/// The formats breachscope reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Combined,
    Pgaudit,
    Csv,
    Jsonl,
    MysqlAudit,
    MongodbAudit,
    Cloudtrail,
    Salesforce,
    Zendesk,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Combined,
        Format::Pgaudit,
        Format::Csv,
        Format::Jsonl,
        Format::MysqlAudit,
        Format::MongodbAudit,
        Format::Cloudtrail,
        Format::Salesforce,
        Format::Zendesk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Pgaudit => "pgaudit",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::MysqlAudit => "mysql-audit",
            Format::MongodbAudit => "mongodb-audit",
            Format::Cloudtrail => "cloudtrail",
            Format::Salesforce => "salesforce",
            Format::Zendesk => "zendesk",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::Combined => "web access log, Apache/nginx combined or common format",
            Format::Pgaudit => "PostgreSQL log (csvlog or stderr) with pgaudit AUDIT records",
            Format::Csv => "CSV audit export, mapped column by column",
            Format::Jsonl => "JSON Lines audit export, mapped key by key",
            Format::MysqlAudit => "MySQL Enterprise Audit JSON, Percona audit_log JSON/XML or MariaDB server_audit",
            Format::MongodbAudit => "MongoDB audit log (JSON, authCheck records)",
            Format::Cloudtrail => "AWS CloudTrail (Records file, JSON Lines or EventBridge): DynamoDB and S3 data events",
            Format::Salesforce => "Salesforce Event Monitoring EventLogFile CSV",
            Format::Zendesk => "Zendesk access-log export (JSON Lines or CSV)",
        }
    }

    pub fn parse_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "combined" | "common" | "apache" | "nginx" | "clf" => Some(Format::Combined),
            "pgaudit" | "postgres" | "postgresql" => Some(Format::Pgaudit),
            "csv" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "mysql-audit" | "mysql" | "mariadb" | "percona" | "server_audit" => Some(Format::MysqlAudit),
            "mongodb-audit" | "mongodb" | "mongo" => Some(Format::MongodbAudit),
            "cloudtrail" | "aws" => Some(Format::Cloudtrail),
            "salesforce" | "eventlogfile" => Some(Format::Salesforce),
            "zendesk" => Some(Format::Zendesk),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of a file (decompressed). Order matters: a pgaudit csvlog is
    /// also CSV, so the specific formats are tried first.
    pub fn detect(sample: &[u8]) -> Option<Format> {
        let text = String::from_utf8_lossy(sample);
        if pgaudit::looks_like(&text) {
            return Some(Format::Pgaudit);
        }
        let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        if combined::looks_like(first) {
            return Some(Format::Combined);
        }
        if let Some(format) = detect_audit_format(&text, first) {
            return Some(format);
        }
        if first.starts_with('{') {
            return Some(Format::Jsonl);
        }
        if first.contains(',') || first.contains('\t') {
            return Some(Format::Csv);
        }
        None
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings a parser needs from the case (or from `inspect`'s flags).
#[derive(Clone, Debug, Default)]
pub struct ParserSettings {
    pub log_line_prefix: Option<String>,
    /// Role → column/key, for csv and jsonl.
    pub map: std::collections::BTreeMap<String, String>,
    /// The zone of timestamps the log writes without one (MariaDB server_audit `YYYYMMDD HH:MM:SS`, a CSV's
    /// `2019-06-01 10:00:00`): the log's `time_zone`, else `--assume-tz`; `None`: such timestamps are rejected.
    /// Times that are UTC by the format's definition (MySQL Enterprise JSON, Salesforce `TIMESTAMP`) do not use it.
    pub time_zone: Option<chrono::FixedOffset>,
    /// Account ids → names (Salesforce `USER_ID`, Zendesk `user_id`); unmapped ids stay as they are.
    pub users: std::collections::BTreeMap<String, String>,
    /// Web logs: the server's own format string (Apache `LogFormat` or nginx `log_format`); `None`: the
    /// common/combined layouts, read by [`combined`]'s account rule.
    pub log_format: Option<String>,
}

/// The audit formats told apart by their content (checked before the generic csv/jsonl).
fn detect_audit_format(text: &str, first: &str) -> Option<Format> {
    let unquoted = first.trim_start_matches('\u{feff}');
    if unquoted.starts_with("\"EVENT_TYPE\"") || unquoted.starts_with("EVENT_TYPE,") {
        return Some(Format::Salesforce);
    }
    if mysql_audit::looks_like(text) {
        return Some(Format::MysqlAudit);
    }
    if text.contains("\"atype\"") || text.contains("\\\"atype\\\"") {
        return Some(Format::MongodbAudit);
    }
    if text.contains("\"eventSource\"") && text.contains("\"eventName\"") {
        return Some(Format::Cloudtrail);
    }
    if zendesk::looks_like(first) {
        return Some(Format::Zendesk);
    }
    None
}

/// Builds the parser for `format`. `sample` is the start of the file, used to settle layout details
/// (csvlog or stderr, CSV header, log_line_prefix) before reading.
pub fn parser_for(format: Format, settings: &ParserSettings, sample: &[u8], path: &std::path::Path) -> Result<Box<dyn LogParser>> {
    Ok(match format {
        Format::Combined => match &settings.log_format {
            Some(layout) => Box::new(combined::LayoutParser::new(layout, settings.time_zone).map_err(|m| Error::input(path, format!("log_format: {m}")))?),
            None => Box::new(combined::CombinedParser),
        },
        Format::Pgaudit => Box::new(
            pgaudit::PgauditParser::new(settings.log_line_prefix.as_deref(), sample).map_err(|m| Error::input(path, m))?.in_zone(settings.time_zone),
        ),
        Format::Csv => Box::new(generic_csv::CsvParser::new(&settings.map, sample).map_err(|m| Error::input(path, m))?.in_zone(settings.time_zone)),
        Format::Jsonl => Box::new(jsonl::JsonlParser::new(&settings.map).map_err(|m| Error::input(path, m))?.in_zone(settings.time_zone)),
        Format::MysqlAudit => Box::new(mysql_audit::MysqlAuditParser::new(settings, sample)),
        Format::MongodbAudit => Box::new(mongodb::MongodbParser { time_zone: settings.time_zone }),
        Format::Cloudtrail => Box::new(cloudtrail::CloudtrailParser { time_zone: settings.time_zone }),
        Format::Salesforce => Box::new(salesforce::SalesforceParser::new(settings, sample).map_err(|m| Error::input(path, m))?),
        Format::Zendesk => Box::new(zendesk::ZendeskParser::new(settings, sample).map_err(|m| Error::input(path, m))?),
    })
}

/// As [`parser_for`], for a reader that will use only the events of some accounts (when given): parsers
/// that can (the generic CSV) then count other accounts' records cheaply (see [`prefilter`]).
pub fn parser_for_accounts(
    format: Format,
    settings: &ParserSettings,
    sample: &[u8],
    path: &std::path::Path,
    interest: Option<prefilter::AccountsOfInterest<'_>>,
) -> Result<Box<dyn LogParser>> {
    match (format, interest) {
        (Format::Csv, Some(interest)) => {
            let parser = generic_csv::CsvParser::new(&settings.map, sample).map_err(|m| Error::input(path, m))?.in_zone(settings.time_zone);
            Ok(Box::new(parser.only_accounts(interest)))
        }
        _ => parser_for(format, settings, sample, path),
    }
}

/// Picks the declared format, or detects it from the file's first bytes.
pub fn resolve_format(declared: Option<&str>, sample: &[u8], path: &std::path::Path) -> Result<Format> {
    match declared {
        Some(name) => {
            let format = Format::parse_name(name).ok_or_else(|| {
                let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                Error::input(path, format!("unknown log format `{name}` (known: {})", known.join(", ")))
            })?;
            if sample.iter().any(|b| !b.is_ascii_whitespace()) {
                if let Some(seen) = Format::detect(sample) {
                    let json = sample.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[');
                    let compatible = seen == format || (format == Format::Csv && !json) || (format == Format::Jsonl && json);
                    if !compatible {
                        return Err(Error::input(path, format!("declared format `{format}` but the file looks like `{seen}`")));
                    }
                }
            }
            Ok(format)
        }
        None => Format::detect(sample).ok_or_else(|| Error::input(path, "cannot tell the log format: set `format` for this log")),
    }
}
