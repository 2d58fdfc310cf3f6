//! What a log parser delivers: [`Parsed`] records (an access event, a record that is not an access, ignored
//! with the reason, or a record that could not be read, rejected with line, column, reason and the raw
//! text), the [`LogParser`] every format implements, and the [`Format`] names.

use std::io::BufRead;

use serde::Serialize;

use crate::read::pieces::{ChunkParser, LineNumbered};
use crate::read::timefmt::Timestamp;

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

/// Where a record sits in a file whose records share lines (a CloudTrail `{"Records": [...]}` file is written on
/// one line, so "line 1" names none of them): its index in the file's `Records` array and its own id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RecordPlace {
    /// 0-based, as `.Records[index]` addresses it (jq).
    pub index: u64,
    /// The record's own id (CloudTrail `eventID`), where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl std::fmt::Display for RecordPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Records[{}]", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " eventID {id}")?;
        }
        Ok(())
    }
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
    /// A warehouse query with the columns it read of each table (Snowflake ACCESS_HISTORY), and its text where
    /// known (joined from QUERY_HISTORY): the text says which rows, the columns which fields.
    ColumnRead { query_id: String, query: Option<String>, objects: Vec<(String, Vec<String>)>, rows: Option<u64> },
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
            Payload::ColumnRead { query_id, query, objects, .. } => {
                let read: Vec<String> = objects.iter().map(|(t, c)| format!("{t}({})", c.join(","))).collect();
                match query {
                    Some(q) => format!("{} [{}]", q.split_whitespace().collect::<Vec<_>>().join(" "), read.join(" ")),
                    None => format!("query {query_id} read {}", read.join(" ")),
                }
            }
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
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Rejection {
    pub line: u64,
    /// 1-based byte column or field number where the problem is; 0 when it concerns the whole record.
    pub column: u64,
    pub reason: String,
    /// The record as it was in the file (cut at [`RAW_LIMIT`] bytes, marked as cut).
    pub raw: String,
    /// The record's account, where the parser could read it although the record is rejected (a mapped
    /// CSV/JSONL row, a web log line or a pgaudit csvlog record whose time cannot be read): collect counts
    /// the actors' rejected records by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
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
        Rejection { line, column, reason: reason.into(), raw: text, actor: None }
    }

    /// The same rejection, with the record's account (`-` or empty is no account).
    pub fn of_account(mut self, account: Option<&str>) -> Self {
        self.actor = account.map(str::trim).filter(|a| !a.is_empty() && *a != "-").map(str::to_string);
        self
    }

    /// Whether the record was rejected because its time has no zone (the fix: the log's `time_zone`, or
    /// `--assume-tz`).
    pub fn missing_zone(&self) -> bool {
        self.reason.contains("no time zone")
    }
}

/// What a parser makes of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    Event(RawEvent),
    /// An event of a file whose records share lines, with its place among them (see [`RecordPlace`]).
    EventAt(RawEvent, RecordPlace),
    /// A well-formed record that is not an access (a connection message, a header comment...).
    Ignored { line: u64, reason: IgnoreReason },
    Rejected(Rejection),
    /// Records of other accounts counted by a parser with a prefilter (see [`prefilter`]), sent every
    /// [`prefilter::OtherAccountsTally::FLUSH_AT`] records and at the end.
    OtherAccounts(Box<crate::ingest::prefilter::OtherAccountsTally>),
}

impl Parsed {
    /// The record's line (none for a tally of many records).
    pub fn line(&self) -> Option<u64> {
        match self {
            Parsed::Event(e) | Parsed::EventAt(e, _) => Some(e.line),
            Parsed::Ignored { line, .. } => Some(*line),
            Parsed::Rejected(r) => Some(r.line),
            Parsed::OtherAccounts(_) => None,
        }
    }

}

impl Parsed {
    /// A record the format says is not an access.
    pub fn ignored(line: u64, reason: &'static str) -> Parsed {
        Parsed::Ignored { line, reason: IgnoreReason::NotAnAccess(reason) }
    }
}

impl LineNumbered for Parsed {
    fn shift_lines(&mut self, lines: u64) {
        match self {
            Parsed::Event(e) | Parsed::EventAt(e, _) => e.line += lines,
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
    fn chunked(&self) -> Option<&dyn ChunkParser<Parsed>> {
        None
    }
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
    MssqlAudit,
    OracleAudit,
    SnowflakeAccess,
    BigqueryAudit,
    M365Audit,
}

impl Format {
    pub const ALL: [Format; 14] = [
        Format::Combined,
        Format::Pgaudit,
        Format::Csv,
        Format::Jsonl,
        Format::MysqlAudit,
        Format::MongodbAudit,
        Format::Cloudtrail,
        Format::Salesforce,
        Format::Zendesk,
        Format::MssqlAudit,
        Format::OracleAudit,
        Format::SnowflakeAccess,
        Format::BigqueryAudit,
        Format::M365Audit,
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
            Format::MssqlAudit => "mssql-audit",
            Format::OracleAudit => "oracle-audit",
            Format::SnowflakeAccess => "snowflake-access",
            Format::BigqueryAudit => "bigquery-audit",
            Format::M365Audit => "m365-audit",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::Combined => "web access log, Apache/nginx combined or common format",
            Format::Pgaudit => "PostgreSQL log (csvlog or stderr): pgaudit AUDIT records, log_statement and log_min_duration_statement lines",
            Format::Csv => "CSV audit export, mapped column by column",
            Format::Jsonl => "JSON Lines audit export, mapped key by key",
            Format::MysqlAudit => "MySQL Enterprise Audit JSON, Percona audit_log JSON/XML or MariaDB server_audit",
            Format::MongodbAudit => "MongoDB audit log (JSON, authCheck records)",
            Format::Cloudtrail => "AWS CloudTrail (Records file, JSON Lines or EventBridge): DynamoDB and S3 data events",
            Format::Salesforce => "Salesforce Event Monitoring EventLogFile CSV",
            Format::Zendesk => "Zendesk access-log export (JSON Lines or CSV)",
            Format::MssqlAudit => "SQL Server Audit records (sys.fn_get_audit_file output as CSV)",
            Format::OracleAudit => "Oracle Unified Auditing (UNIFIED_AUDIT_TRAIL exported as CSV)",
            Format::SnowflakeAccess => "Snowflake ACCESS_HISTORY export (CSV or JSON), joined to QUERY_HISTORY by QUERY_ID",
            Format::BigqueryAudit => "BigQuery Cloud Audit Logs, data access (JSON): tableDataRead joined to its job's query",
            Format::M365Audit => "Microsoft 365 unified audit log export (CSV with AuditData): Dynamics 365 reads, SharePoint/OneDrive downloads",
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
            "mssql-audit" | "mssql" | "sqlserver" | "sql-server" | "sqlaudit" => Some(Format::MssqlAudit),
            "oracle-audit" | "oracle" | "unified-audit" => Some(Format::OracleAudit),
            "snowflake-access" | "snowflake" | "access_history" => Some(Format::SnowflakeAccess),
            "bigquery-audit" | "bigquery" | "gcp-audit" => Some(Format::BigqueryAudit),
            "m365-audit" | "m365" | "o365" | "unified-audit-log" => Some(Format::M365Audit),
            _ => None,
        }
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
    /// `2019-06-01 10:00:00`) and of zone abbreviations (PostgreSQL's `CEST`): the log's `time_zone`, else
    /// `--assume-tz`; `None`: such timestamps are rejected.
    /// Times that are UTC by the format's definition (MySQL Enterprise JSON, Salesforce `TIMESTAMP`) do not use it.
    pub time_zone: Option<crate::read::timefmt::Zone>,
    /// Account ids → names (Salesforce `USER_ID`, Zendesk `user_id`); unmapped ids stay as they are.
    pub users: std::collections::BTreeMap<String, String>,
    /// Snowflake ACCESS_HISTORY: the QUERY_HISTORY export its rows are joined to by QUERY_ID.
    pub query_history: Option<std::path::PathBuf>,
    /// Web logs: the server's own format string (Apache `LogFormat` or nginx `log_format`); `None`: the
    /// common/combined layouts, read by the combined parser's account rule.
    pub log_format: Option<String>,
    /// The case window: it gives the year of syslog times written without one (RFC 3164 `Jun  3 10:00:00`).
    pub window: crate::read::timefmt::Window,
    /// The dotted path of the key holding each audit record inside a shipper's JSON envelope (`record_path`,
    /// e.g. `message` or `event.original`); `None`: the common envelopes are detected.
    pub record_path: Option<String>,
}

/// Why a record that was read is not used. One vocabulary for the parsers, collect and `suspects`/`profile`:
/// the report counts records per reason by its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// The format's own reason: the record is not an access (a connection line, a header, a digest file).
    NotAnAccess(&'static str),
    /// The record names no account.
    NoAccount,
    /// The record is another account's.
    AnotherAccount,
    OutsideWindow,
    FailedRequest,
    /// An aggregate query: no record's values returned.
    Aggregate,
    /// A web request whose path matches no route.
    NoRouteMatch,
    /// The evidence says the event exposes no record, and why.
    NothingExposed(String),
    /// No access at all in the event.
    NoAccess,
}

impl IgnoreReason {
    /// The reason as the report writes it (no allocation: records are counted per reason one by one).
    pub fn as_str(&self) -> &str {
        match self {
            IgnoreReason::NotAnAccess(reason) => reason,
            IgnoreReason::NoAccount => "no account in the record",
            IgnoreReason::AnotherAccount => "another account",
            IgnoreReason::OutsideWindow => "outside the case window",
            IgnoreReason::FailedRequest => "failed request",
            IgnoreReason::Aggregate => "aggregate query (no record exposed)",
            IgnoreReason::NoRouteMatch => "request path matches no route",
            IgnoreReason::NothingExposed(reason) => reason,
            IgnoreReason::NoAccess => "no access",
        }
    }
}

impl std::fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
