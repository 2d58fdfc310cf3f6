//! MySQL-family audit logs, told apart per file (and, for JSON, per record):
//!
//! - **MySQL Enterprise Audit JSON** (`audit_log_format=JSON`, also Percona's Audit Log Filter): a JSON array
//!   written one element per line with trailing commas. `general` records (`general_data.query`, `status`) and
//!   `table_access` records (`table_access_data.query`, one per table a statement touched) become SQL
//!   statements; the records of one statement (same connection, same query text, within two seconds) count
//!   once, with the `general` record's status (≠ 0: failed) and `query_statistics.rows_sent` where present.
//!   `timestamp` is UTC (MySQL manual, "Audit Log File Formats"). The account is `login.user`, else `account.user`.
//!   `general_data.sql_command` (Percona: `command_class`) is MySQL's name for the command (`select`,
//!   `create_user`, `set_option`...): it travels as the statement's class, so administration statements are
//!   told by it even when their text does not parse (`IDENTIFIED BY <secret>`).
//! - **Percona audit_log JSON** (`{"audit_record":{...}}` one per line), XML (old style: attributes; new style:
//!   child elements) and CSV (`audit_log_format = CSV`: `"Query","22567_2021-06-30T16:10:09","2021-06-30T16:19:00
//!   UTC","select","2",0,"select ...","root[root] @ localhost []","localhost","","",""`, the fields of a Query
//!   record in the order of the XML attributes): `Query`/`Execute` records with `sqltext`; `status` ≠ 0: failed;
//!   `user` is `priv_user[user] @ host [ip]` and the login user (in brackets) is the account.
//! - **MariaDB server_audit** (also RDS/Aurora "advanced auditing"):
//!   `timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode`. QUERY lines
//!   are statements (`retcode` ≠ 0: failed); READ/WRITE/... table lines of the same connection and query id are
//!   joined to them and count once. A READ with no QUERY line is a table read whose statement is unknown.
//!   `YYYYMMDD HH:MM:SS` has no zone: the log's `time_zone` must be set, or those records are rejected; Aurora's
//!   epoch microseconds are UTC.
//! - **MariaDB server_audit to syslog** (`server_audit_output_type = syslog`): server_audit.c's `write_log` sends
//!   `syslog_info` and a space, then the same fields without the plugin's timestamp
//!   (`serverhost,username,host,connectionid,queryid,operation,database,object,retcode`), under the ident
//!   `server_audit_syslog_ident` (default `mysql-server_auditing`). The syslog daemon writes the header
//!   (`Jun  3 10:00:00 db1 mysql-server_auditing: columnstore-1 db1,k.walsh,...`, see [`crate::read::syslog`]): its
//!   RFC 3164 time has no year (taken from the case window) and no zone (the log's `time_zone`, required). A file
//!   line forwarded through syslog (the plugin's own timestamp after the header) keeps its own time. Lines of
//!   other programs in the same syslog file are ignored with their ident.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{NaiveDateTime, TimeZone, Utc};
use regex::Regex;
use serde_json::Value;

use crate::ingest::json_records;

use crate::ingest::json_records::Record;
use crate::read::lines::Lines;
use crate::ingest::event::{Format, LogParser, Parameters, Parsed, ParserSettings, Payload, RawEvent, Rejection, StatementText};
use crate::read::timefmt;
use crate::read::syslog::{self, SyslogTime};
use crate::read::timefmt::{Timestamp, Window, Zone};

const MARIADB_LINE: &str = r"^(\d{8} \d\d:\d\d:\d\d|\d{10,19}),([^,]*),([^,]*),([^,]*),(\d+),(\d+),([A-Z_]+),([^,]*),(.*)$";
/// The same fields as sent to syslog: no timestamp (the server host has no space; `syslog_info` comes before it).
const MARIADB_SYSLOG_FIELDS: &str = r"^()([^ ,]*),([^,]*),([^,]*),(\d+),(\d+),([A-Z_]+),([^,]*),(.*)$";

/// Whether a sample is one of these logs.
pub fn looks_like(text: &str) -> bool {
    if text.contains("\"audit_record\"") || text.contains("<AUDIT_RECORD") || text.contains("MysqlAuditEntry") || is_percona_csv(text) {
        return true;
    }
    if text.contains("\"connection_id\"") && text.contains("\"class\"") {
        return true;
    }
    let re = mariadb_line();
    text.lines().take(20).any(|l| re.is_match(l.trim_end())) || is_mariadb_syslog(text)
}

/// Whether one of the first lines is a server_audit record behind a syslog header.
fn is_mariadb_syslog(text: &str) -> bool {
    text.lines().take(50).filter_map(syslog::split).any(|l| syslog_fields(l.message).is_some())
}

/// The compiled [`MARIADB_SYSLOG_FIELDS`].
fn mariadb_syslog_fields() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(MARIADB_SYSLOG_FIELDS).expect("static"))
}

/// The server_audit fields of a syslog message: `[syslog_info ]serverhost,username,...` (server_audit.c writes
/// `"%s %.*s", syslog_info, message`), or a file line forwarded through syslog, with its own timestamp.
fn syslog_fields(message: &str) -> Option<regex::Captures<'_>> {
    let message = message.trim_end();
    // A forwarded file line: only with the plugin's `YYYYMMDD HH:MM:SS` (a server host of ten digits must not
    // be taken for an epoch time, shifting the account).
    if let Some(c) = mariadb_line().captures(message.trim_start()).filter(|c| c[1].contains(' ')) {
        return Some(c);
    }
    let re = mariadb_syslog_fields();
    // The leftmost start after a space: `syslog_info` is the server's setting, the server host has no space.
    std::iter::once(0).chain(message.match_indices(' ').map(|(i, _)| i + 1)).find_map(|at| re.captures(&message[at..]))
}

/// The compiled [`MARIADB_LINE`] (compiled once per process).
fn mariadb_line() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(MARIADB_LINE).expect("static"))
}

/// Whether the first record is a Percona audit_log CSV record: a record name, then its id (`22567_2021-06-30T16:10:09`).
fn is_percona_csv(text: &str) -> bool {
    static RECORD_ID: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let id = RECORD_ID.get_or_init(|| Regex::new(r#"^"[A-Za-z ]+","\d+_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d","\d{4}-\d\d-\d\d"#).expect("static"));
    text.trim_start_matches('\u{feff}').lines().map(str::trim).find(|l| !l.is_empty()).is_some_and(|l| id.is_match(l))
}

enum Layout {
    Json,
    Xml,
    MariaDb,
    /// server_audit records behind a syslog header.
    MariaDbSyslog,
    PerconaCsv,
}

pub struct MysqlAuditParser {
    layout: Layout,
    time_zone: Option<Zone>,
    /// The case window, which dates syslog times written without a year.
    window: Window,
}

impl MysqlAuditParser {
    pub fn new(settings: &ParserSettings, sample: &[u8]) -> MysqlAuditParser {
        let text = String::from_utf8_lossy(sample);
        let first = text.trim_start_matches('\u{feff}').trim_start().chars().next();
        let re = mariadb_line();
        let layout = match first {
            Some('"') if is_percona_csv(&text) => Layout::PerconaCsv,
            Some('{') | Some('[') => Layout::Json,
            Some('<') if text.contains("<AUDIT") => Layout::Xml,
            _ if text.lines().take(20).any(|l| re.is_match(l.trim_end())) => Layout::MariaDb,
            _ if is_mariadb_syslog(&text) => Layout::MariaDbSyslog,
            _ if text.contains("<AUDIT_RECORD") => Layout::Xml,
            _ => Layout::Json,
        };
        MysqlAuditParser { layout, time_zone: settings.time_zone, window: settings.window }
    }
}

impl LogParser for MysqlAuditParser {
    fn format(&self) -> Format {
        Format::MysqlAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        match self.layout {
            Layout::Json => parse_json(input, sink, self.time_zone),
            Layout::Xml => parse_xml(input, sink, self.time_zone),
            Layout::MariaDb => parse_mariadb(input, sink, TimeContext { zone: self.time_zone, window: self.window, syslog: false }),
            Layout::MariaDbSyslog => parse_mariadb(input, sink, TimeContext { zone: self.time_zone, window: self.window, syslog: true }),
            Layout::PerconaCsv => parse_percona_csv(input, sink, self.time_zone),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// JSON (MySQL Enterprise, Percona)

/// A statement waiting for the other records of the same query on its connection.
struct Pending {
    event: RawEvent,
    query: String,
    /// The statement's `general` record has been seen: it is complete, and the same text again is a new run.
    complete: bool,
}

struct Statements<'s> {
    pending: HashMap<String, Pending>,
    sink: &'s mut dyn FnMut(Parsed),
}

impl Statements<'_> {
    /// A statement record of a connection: merged into the pending one if it is the same query (the
    /// `table_access` records of a statement come before its one `general` record).
    fn statement(&mut self, connection: String, query: String, mut event: RawEvent, from_general: bool) {
        if let Some(p) = self.pending.get_mut(&connection) {
            let close = (p.event.time - event.time).num_seconds().abs() <= 2;
            if close && p.query == query && !p.complete {
                p.complete = from_general;
                if event.failure.is_some() {
                    p.event.failure = event.failure.take();
                }
                if let (Payload::Sql { rows: Some(n), .. }, Payload::Sql { rows, .. }) = (&event.payload, &mut p.event.payload) {
                    rows.get_or_insert(*n);
                }
                let reason = if from_general {
                    "statement already logged (table_access record of the same query)"
                } else {
                    "statement already logged (another table of the same query)"
                };
                (self.sink)(Parsed::ignored(event.line, reason));
                return;
            }
        }
        if let Some(previous) = self.pending.insert(connection, Pending { event, query, complete: from_general }) {
            (self.sink)(Parsed::Event(previous.event));
        }
    }

    fn close(&mut self, connection: &str) {
        if let Some(p) = self.pending.remove(connection) {
            (self.sink)(Parsed::Event(p.event));
        }
    }

    fn finish(self) {
        let mut rest: Vec<RawEvent> = self.pending.into_values().map(|p| p.event).collect();
        rest.sort_by_key(|e| e.line);
        for e in rest {
            (self.sink)(Parsed::Event(e));
        }
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The login user of `priv_user[user] @ host [ip]`, else the privilege user.
pub fn percona_user(text: &str) -> Option<String> {
    let head = text.split(" @ ").next().unwrap_or(text).trim();
    let (privileged, login) = match head.split_once('[') {
        Some((p, rest)) => (p.trim(), rest.trim_end_matches(']').trim()),
        None => (head, ""),
    };
    [login, privileged].into_iter().find(|s| !s.is_empty()).map(str::to_string)
}

fn parse_json(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) -> std::io::Result<()> {
    let mut st = Statements { pending: HashMap::new(), sink };
    json_records::read_objects(input, &mut |record| match record {
        Record::Object { line, value, text } => json_record(line, &value, text, &mut st, zone),
        Record::Rejected(r) => (st.sink)(Parsed::Rejected(r)),
    })?;
    st.finish();
    Ok(())
}

fn reject(st: &mut Statements<'_>, line: u64, reason: impl Into<String>, raw: &[u8]) {
    (st.sink)(Parsed::Rejected(Rejection::new(line, 0, reason, raw)));
}

fn json_record(line: u64, v: &Value, raw: &[u8], st: &mut Statements<'_>, zone: Option<Zone>) {
    if let Some(rec) = v.get("audit_record") {
        return percona_record(line, rec, raw, st, zone);
    }
    let Some(class) = v.get("class").and_then(Value::as_str) else {
        return reject(st, line, "not a MySQL audit record (no `class` or `audit_record`)", raw);
    };
    let connection = text_of(v.get("connection_id")).unwrap_or_default();
    match class {
        "connection" => {
            if v.get("event").and_then(Value::as_str) == Some("disconnect") {
                st.close(&connection);
            }
            return (st.sink)(Parsed::ignored(line, "login, logout or connection record"));
        }
        "general" | "table_access" => {}
        "audit" => return (st.sink)(Parsed::ignored(line, "audit log start or stop record")),
        _ => return (st.sink)(Parsed::ignored(line, "not a statement record")),
    }
    let data = if class == "general" { v.get("general_data") } else { v.get("table_access_data") };
    let Some(query) = data.and_then(|d| d.get("query")).and_then(Value::as_str).filter(|q| !q.trim().is_empty()) else {
        return (st.sink)(Parsed::ignored(line, "general record without a statement"));
    };
    let time = match v.get("timestamp").and_then(Value::as_str).map(|t| mysql_time(t, zone, true)) {
        Some(Ok(t)) => t,
        Some(Err(reason)) => return reject(st, line, format!("timestamp: {reason}"), raw),
        None => return reject(st, line, "no `timestamp`", raw),
    };
    let account = |key: &str| v.get(key).and_then(|a| a.get("user")).and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_string);
    let actor = account("login").or_else(|| account("account"));
    let status = data.and_then(|d| d.get("status")).and_then(Value::as_i64).unwrap_or(0);
    let failure = (class == "general" && status != 0).then(|| format!("MySQL error {status}"));
    let rows = v.get("query_statistics").and_then(|q| q.get("rows_sent")).and_then(Value::as_u64);
    let (class_name, object) = if class == "table_access" {
        let event = v.get("event").and_then(Value::as_str).unwrap_or_default();
        let db = data.and_then(|d| d.get("db")).and_then(Value::as_str).unwrap_or_default();
        let table = data.and_then(|d| d.get("table")).and_then(Value::as_str).unwrap_or_default();
        let object = if db.is_empty() { table.to_string() } else { format!("{db}.{table}") };
        (Some(if event == "read" { "READ" } else { "WRITE" }.to_string()), Some(object).filter(|o| !o.is_empty()))
    } else {
        // MySQL's own name for the command (`select`, `create_user`, `set_option`, `show_tables`...).
        (data.and_then(|d| d.get("sql_command")).and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_string), None)
    };
    let event = RawEvent {
        line,
        time,
        actor,
        failure,
        payload: Payload::Sql { statement: StatementText::Logged(query.to_string()), parameters: Parameters::None, class: class_name, object, rows },
    };
    st.statement(connection, query.to_string(), event, class == "general");
}

fn percona_record(line: u64, rec: &Value, raw: &[u8], st: &mut Statements<'_>, zone: Option<Zone>) {
    let get = |k: &str| text_of(rec.get(k)).unwrap_or_default();
    let record = PerconaRecord { name: &get("name"), timestamp: &get("timestamp"), status: &get("status"), sqltext: &get("sqltext"), user: &get("user"), command_class: &get("command_class") };
    percona_fields(line, &record, raw, st.sink, zone);
}

/// The fields of a Percona audit record (JSON keys, XML attributes or elements).
struct PerconaRecord<'a> {
    name: &'a str,
    timestamp: &'a str,
    status: &'a str,
    sqltext: &'a str,
    user: &'a str,
    /// MySQL's name for the command (`select`, `create_user`, `show_databases`...); empty when not written.
    command_class: &'a str,
}

fn percona_fields(line: u64, r: &PerconaRecord<'_>, raw: &[u8], sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) {
    let PerconaRecord { name, timestamp, status, sqltext, user, command_class } = *r;
    match name {
        "Query" | "Execute" => {}
        "Connect" | "Quit" | "Change user" | "Disconnect" => return sink(Parsed::ignored(line, "login, logout or connection record")),
        "Audit" | "NoAudit" | "Startup" | "Shutdown" => return sink(Parsed::ignored(line, "audit log start or stop record")),
        _ => return sink(Parsed::ignored(line, "not a statement record (the Query record counts)")),
    }
    if sqltext.trim().is_empty() {
        return sink(Parsed::ignored(line, "general record without a statement"));
    }
    let time = match mysql_time(timestamp, zone, false) {
        Ok(t) => t,
        Err(reason) => return sink(Parsed::Rejected(Rejection::new(line, 0, format!("timestamp: {reason}"), raw))),
    };
    let status = status.trim();
    let failure = (!status.is_empty() && status != "0").then(|| format!("MySQL error {status}"));
    sink(Parsed::Event(RawEvent {
        line,
        time,
        actor: percona_user(user),
        failure,
        payload: Payload::Sql {
            statement: StatementText::Logged(sqltext.to_string()),
            parameters: Parameters::None,
            class: Some(command_class.to_string()).filter(|c| !c.is_empty()),
            object: None,
            rows: None,
        },
    }));
}

/// `2020-08-26 17:31:22` (MySQL Enterprise JSON: UTC by definition), `2021-02-12T12:18:30 UTC` (Percona), or a
/// zoneless Percona time read in the log's `time_zone`.
fn mysql_time(text: &str, zone: Option<Zone>, utc_by_definition: bool) -> Result<Timestamp, String> {
    if let Ok(t) = timefmt::parse_zoned(text) {
        return Ok(t);
    }
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|_| format!("`{text}` is not a timestamp"))?;
    if utc_by_definition {
        return Ok(Utc.from_utc_datetime(&naive));
    }
    in_zone(naive, zone, text)
}

fn in_zone(naive: NaiveDateTime, zone: Option<Zone>, text: &str) -> Result<Timestamp, String> {
    let zone = zone.ok_or_else(|| format!("timestamp `{text}` has no time zone: set `time_zone` for this log (the server's zone, e.g. \"UTC\")"))?;
    zone.resolve(&naive).map_err(|e| format!("`{text}`: {e}"))
}

// ------------------------------------------------------------------------------------------------
// Percona CSV

/// `NAME, RECORD, TIMESTAMP, COMMAND_CLASS, CONNECTION_ID, STATUS, SQLTEXT, USER, HOST, OS_USER, IP, DB` (Query
/// and Execute records; other records are told by their name alone).
fn parse_percona_csv(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) -> std::io::Result<()> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
                    return Err(io);
                }
                sink(Parsed::Rejected(Rejection::new(line, 0, format!("not a Percona audit CSV record: {e}"), b"")));
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let raw = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>().join(",");
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            sink(Parsed::ignored(line, "blank line"));
            continue;
        }
        let fields: Vec<String> = match record.iter().map(|f| std::str::from_utf8(f).map(str::to_string)).collect() {
            Ok(f) => f,
            Err(_) => {
                sink(Parsed::Rejected(Rejection::new(line, 0, "invalid UTF-8", raw.as_bytes())));
                continue;
            }
        };
        let get = |i: usize| fields.get(i).map(String::as_str).unwrap_or_default();
        if matches!(get(0), "Query" | "Execute") && fields.len() < 12 {
            let reason = format!("Percona audit CSV record has {} fields, a {} record 12", fields.len(), get(0));
            sink(Parsed::Rejected(Rejection::new(line, fields.len() as u64 + 1, reason, raw.as_bytes())));
            continue;
        }
        let r = PerconaRecord { name: get(0), timestamp: get(2), status: get(5), sqltext: get(6), user: get(7), command_class: get(3) };
        percona_fields(line, &r, raw.as_bytes(), sink, zone);
    }
}

// ------------------------------------------------------------------------------------------------
// Percona XML (old style: attributes; new style: child elements)

fn parse_xml(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) -> std::io::Result<()> {
    let attr = Regex::new(r#"([A-Z_]+)="([^"]*)""#).expect("static");
    let element = Regex::new(r"<([A-Z_]+)>([^<]*)</[A-Z_]+>").expect("static");
    let mut lines = Lines::new(input);
    // The record being gathered: first line, text so far, element style (`<AUDIT_RECORD>` ... `</AUDIT_RECORD>`).
    let mut current: Option<(u64, String, bool)> = None;
    while let Some((line_no, bytes)) = lines.next_line()? {
        let text = String::from_utf8_lossy(bytes);
        let trimmed = text.trim();
        let starts = trimmed.find("<AUDIT_RECORD");
        if let (Some((line, record, _)), Some(_)) = (current.as_ref(), starts) {
            sink(Parsed::Rejected(Rejection::new(*line, 0, "<AUDIT_RECORD> not closed before the next one", record.as_bytes())));
            current = None;
        }
        let piece = match (&mut current, starts) {
            (Some((_, buf, _)), _) => {
                buf.push('\n');
                buf.push_str(trimmed);
                trimmed
            }
            (None, Some(at)) => {
                let piece = &trimmed[at..];
                current = Some((line_no, piece.to_string(), piece.starts_with("<AUDIT_RECORD>")));
                piece
            }
            (None, None) => {
                if trimmed.is_empty() {
                    sink(Parsed::ignored(line_no, "blank line"));
                } else if trimmed.starts_with('<') {
                    sink(Parsed::ignored(line_no, "XML outside an audit record"));
                } else {
                    sink(Parsed::Rejected(Rejection::new(line_no, 1, "text outside an <AUDIT_RECORD>", bytes)));
                }
                continue;
            }
        };
        let element_style = current.as_ref().is_some_and(|c| c.2);
        let done = if element_style { piece.contains("</AUDIT_RECORD>") } else { piece.contains("/>") };
        if done {
            let (line, record, _) = current.take().expect("record gathered");
            let mut fields: HashMap<String, String> = HashMap::new();
            let source = if element_style { &element } else { &attr };
            for c in source.captures_iter(&record) {
                fields.entry(c[1].to_string()).or_insert_with(|| xml_unescape(&c[2]));
            }
            let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
            let fields = PerconaRecord {
                name: &get("NAME"),
                timestamp: &get("TIMESTAMP"),
                status: &get("STATUS"),
                sqltext: &get("SQLTEXT"),
                user: &get("USER"),
                command_class: &get("COMMAND_CLASS"),
            };
            percona_fields(line, &fields, record.as_bytes(), sink, zone);
        }
    }
    if let Some((line, record, _)) = current {
        sink(Parsed::Rejected(Rejection::new(line, 0, "the file ends inside an <AUDIT_RECORD> (cut short?)", record.as_bytes())));
    }
    Ok(())
}

fn xml_unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    static ENTITY: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = ENTITY.get_or_init(|| Regex::new(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);").expect("static"));
    re.replace_all(text, |c: &regex::Captures<'_>| {
        let e = &c[1];
        match e {
            "lt" => "<".to_string(),
            "gt" => ">".to_string(),
            "amp" => "&".to_string(),
            "quot" => "\"".to_string(),
            "apos" => "'".to_string(),
            _ => {
                let n = e.strip_prefix("#x").map(|h| u32::from_str_radix(h, 16)).unwrap_or_else(|| e[1..].parse::<u32>());
                n.ok().and_then(char::from_u32).map(String::from).unwrap_or_default()
            }
        }
    })
    .into_owned()
}

// ------------------------------------------------------------------------------------------------
// MariaDB server_audit

/// Where a server_audit line's time comes from.
enum LineTime {
    /// The plugin's own field (`YYYYMMDD HH:MM:SS` or epoch microseconds).
    Own(String),
    /// The syslog header's.
    Syslog(SyslogTime),
}

/// What dates a line: the log's zone and the case window, and whether lines stand behind a syslog header.
#[derive(Clone, Copy)]
struct TimeContext {
    zone: Option<Zone>,
    window: Window,
    syslog: bool,
}

struct AuditLine {
    line: u64,
    time: LineTime,
    user: String,
    operation: String,
    database: String,
    object: String,
    retcode: String,
    raw: Vec<u8>,
}

/// The lines of one (connection, query id).
struct Group {
    query_id: String,
    lines: Vec<AuditLine>,
}

/// The syslog ident server_audit uses unless `server_audit_syslog_ident` changes it.
const DEFAULT_SYSLOG_IDENT: &str = "mysql-server_auditing";

fn parse_mariadb(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), context: TimeContext) -> std::io::Result<()> {
    let re = mariadb_line();
    let mut lines = Lines::new(input);
    let mut groups: HashMap<String, Group> = HashMap::new();
    // Syslog idents that wrote server_audit records in this file: their lines must be records.
    let mut audit_idents: Vec<String> = vec![DEFAULT_SYSLOG_IDENT.to_string()];
    while let Some((line_no, bytes)) = lines.next_line()? {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                sink(Parsed::Rejected(Rejection::new(line_no, e.valid_up_to() as u64 + 1, "invalid UTF-8", bytes)));
                continue;
            }
        };
        let (c, syslog_time) = if context.syslog {
            let Some(header) = syslog::split(text) else {
                let reason = "not a syslog line (`Mmm dd HH:MM:SS host ident: message`) of server_audit records";
                sink(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes)));
                continue;
            };
            match syslog_fields(header.message) {
                Some(c) => {
                    if !audit_idents.iter().any(|i| i == header.ident) {
                        audit_idents.push(header.ident.to_string());
                    }
                    (c, Some(header.time))
                }
                None if audit_idents.iter().any(|i| i == header.ident) => {
                    let reason = format!(
                        "syslog message of `{}` is not a server_audit record (serverhost,username,host,connectionid,queryid,operation,database,object,retcode)",
                        header.ident
                    );
                    sink(Parsed::Rejected(Rejection::new(line_no, header.offset as u64 + 1, reason, bytes)));
                    continue;
                }
                None => {
                    sink(Parsed::ignored(line_no, "syslog line of another program (not a server_audit record)"));
                    continue;
                }
            }
        } else {
            let Some(c) = re.captures(text) else {
                let reason = "not a server_audit line (timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode)";
                sink(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes)));
                continue;
            };
            (c, None)
        };
        let tail = &c[9];
        let (object, retcode) = match tail.rsplit_once(',') {
            Some((o, r)) if r.trim().chars().all(|ch| ch.is_ascii_digit() || ch == '-') => (o.to_string(), r.trim().to_string()),
            _ => (tail.to_string(), String::new()),
        };
        // Syslog cuts long messages (rsyslog's default limit is 8 KB, old daemons' 1 KB): a statement without its
        // closing quote and return code is not read as a shorter one.
        if syslog_time.is_some() && c[7].starts_with("QUERY") && retcode.is_empty() && object.starts_with('\'') {
            let reason = "server_audit QUERY record cut short (no closing quote and return code): the syslog daemon's message size limit truncated it (rsyslog: raise $MaxMessageSize, or log to a file)";
            sink(Parsed::Rejected(Rejection::new(line_no, 0, reason, bytes).of_account(Some(&c[3]))));
            continue;
        }
        let connection = c[5].to_string();
        let query_id = c[6].to_string();
        let entry = AuditLine {
            line: line_no,
            time: match syslog_time {
                // A file line forwarded through syslog keeps the plugin's own time.
                Some(t) if c[1].is_empty() => LineTime::Syslog(t),
                _ => LineTime::Own(c[1].to_string()),
            },
            user: c[3].to_string(),
            operation: c[7].to_string(),
            database: c[8].to_string(),
            object,
            retcode,
            raw: bytes.to_vec(),
        };
        match entry.operation.as_str() {
            "CONNECT" | "DISCONNECT" | "FAILED_CONNECT" | "CHANGEUSER" | "PROXY_CONNECT" => {
                if entry.operation == "DISCONNECT" {
                    if let Some(g) = groups.remove(&connection) {
                        flush_group(g, sink, context);
                    }
                }
                sink(Parsed::ignored(line_no, "login, logout or connection record"));
                continue;
            }
            _ => {}
        }
        let same = groups.get(&connection).is_some_and(|g| g.query_id == query_id);
        if same {
            groups.get_mut(&connection).expect("checked").lines.push(entry);
        } else if let Some(old) = groups.insert(connection, Group { query_id, lines: vec![entry] }) {
            flush_group(old, sink, context);
        }
    }
    let mut rest: Vec<Group> = groups.into_values().collect();
    rest.sort_by_key(|g| g.lines.first().map(|l| l.line).unwrap_or(0));
    for g in rest {
        flush_group(g, sink, context);
    }
    Ok(())
}

fn mariadb_time(time: &LineTime, context: TimeContext) -> Result<Timestamp, String> {
    let (text, zone) = match time {
        LineTime::Own(text) => (text, context.zone),
        LineTime::Syslog(t) => return t.resolve(context.zone.as_ref(), &context.window),
    };
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return timefmt::parse_epoch(text).ok_or_else(|| format!("`{text}` is not an epoch time"));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y%m%d %H:%M:%S").map_err(|_| format!("`{text}` is not a YYYYMMDD HH:MM:SS time"))?;
    in_zone(naive, zone, text)
}

/// `'select \'a\'\n'` → `select 'a'` + newline.
pub fn mariadb_unquote(object: &str) -> String {
    let inner = object.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).unwrap_or(object);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn flush_group(group: Group, sink: &mut dyn FnMut(Parsed), context: TimeContext) {
    let has_query = group.lines.iter().any(|l| l.operation.starts_with("QUERY"));
    let mut seen_queries: Vec<String> = Vec::new();
    let mut read_event_done = false;
    let reads: Vec<String> = group
        .lines
        .iter()
        .filter(|l| l.operation == "READ")
        .map(|l| if l.database.is_empty() { l.object.clone() } else { format!("{}.{}", l.database, l.object) })
        .collect();
    for l in &group.lines {
        let op = l.operation.as_str();
        if op.starts_with("QUERY") {
            let sql = mariadb_unquote(&l.object);
            if seen_queries.contains(&sql) {
                sink(Parsed::ignored(l.line, "statement already logged (repeated line of the same query id)"));
                continue;
            }
            seen_queries.push(sql.clone());
            let time = match mariadb_time(&l.time, context) {
                Ok(t) => t,
                Err(reason) => {
                    sink(Parsed::Rejected(Rejection::new(l.line, 1, reason, &l.raw).of_account(Some(&l.user))));
                    continue;
                }
            };
            let failure = (!l.retcode.is_empty() && l.retcode != "0").then(|| format!("MariaDB error {}", l.retcode));
            let object = Some(l.database.clone()).filter(|d| !d.is_empty());
            sink(Parsed::Event(RawEvent {
                line: l.line,
                time,
                actor: Some(l.user.clone()).filter(|u| !u.is_empty()),
                failure,
                payload: Payload::Sql { statement: StatementText::Logged(sql), parameters: Parameters::None, class: None, object, rows: None },
            }));
        } else if op == "READ" {
            if has_query {
                sink(Parsed::ignored(l.line, "table record of a logged query (joined by connection and query id)"));
            } else if read_event_done {
                sink(Parsed::ignored(l.line, "table record of the same query (joined by connection and query id)"));
            } else {
                match mariadb_time(&l.time, context) {
                    Ok(time) => {
                        read_event_done = true;
                        sink(Parsed::Event(RawEvent {
                            line: l.line,
                            time,
                            actor: Some(l.user.clone()).filter(|u| !u.is_empty()),
                            failure: None,
                            payload: Payload::TableRead { action: "MariaDB READ (statement not logged)".into(), tables: reads.clone(), rows: None },
                        }));
                    }
                    Err(reason) => sink(Parsed::Rejected(Rejection::new(l.line, 1, reason, &l.raw).of_account(Some(&l.user)))),
                }
            }
        } else {
            sink(Parsed::ignored(l.line, "table write or schema change record"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, zone: Option<chrono::FixedOffset>) -> Vec<Parsed> {
        let settings = ParserSettings { time_zone: zone.map(Zone::Fixed), ..Default::default() };
        let parser = MysqlAuditParser::new(&settings, text.as_bytes());
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    fn events(out: &[Parsed]) -> Vec<&RawEvent> {
        out.iter().filter_map(|p| if let Parsed::Event(e) = p { Some(e) } else { None }).collect()
    }

    #[test]
    fn enterprise_table_access_and_general_count_once() {
        let log = r#"{ "timestamp": "2019-06-03 10:00:00", "id": 0, "class": "table_access", "event": "read", "connection_id": 7, "account": { "user": "support", "host": "" }, "login": { "user": "k.walsh", "os": "", "ip": "10.0.0.9", "proxy": "" }, "table_access_data": { "db": "crm", "table": "customers", "query": "select email from customers where customer_id = 'C1'", "sql_command": "select" } },
{ "timestamp": "2019-06-03 10:00:00", "id": 1, "class": "general", "event": "status", "connection_id": 7, "account": { "user": "support", "host": "" }, "login": { "user": "k.walsh", "os": "", "ip": "10.0.0.9", "proxy": "" }, "general_data": { "command": "Query", "sql_command": "select", "query": "select email from customers where customer_id = 'C1'", "status": 0 }, "query_statistics": { "query_time": 0.001, "bytes_sent": 120, "bytes_received": 60, "rows_sent": 1, "rows_examined": 1 } },
{ "timestamp": "2019-06-03 10:00:05", "id": 0, "class": "general", "event": "status", "connection_id": 7, "account": { "user": "support", "host": "" }, "login": { "user": "k.walsh", "os": "", "ip": "10.0.0.9", "proxy": "" }, "general_data": { "command": "Query", "sql_command": "select", "query": "select * from nosuch", "status": 1146 } },
"#;
        let out = run(log, None);
        let ev = events(&out);
        assert_eq!(ev.len(), 2, "{out:?}");
        assert_eq!(ev[0].actor.as_deref(), Some("k.walsh"));
        assert_eq!(ev[0].time.to_rfc3339(), "2019-06-03T10:00:00+00:00");
        // Enterprise times are UTC by definition: a zone for zoneless times (`--assume-tz`) does not move them.
        let zoned = run(log, Some(chrono::FixedOffset::east_opt(2 * 3600).unwrap()));
        assert_eq!(events(&zoned)[0].time.to_rfc3339(), "2019-06-03T10:00:00+00:00");
        assert!(matches!(&ev[0].payload, Payload::Sql { rows: Some(1), object: Some(o), .. } if o == "crm.customers"));
        assert!(ev[0].failure.is_none());
        assert_eq!(ev[1].failure.as_deref(), Some("MySQL error 1146"));
        assert!(out.iter().any(|p| matches!(p, Parsed::Ignored { line: 2, .. })));
        // The same statement run again after its general record is a second access.
        let twice: String = log.lines().take(2).chain(log.lines().take(2)).map(|l| format!("{l}\n")).collect();
        assert_eq!(events(&run(&twice, None)).len(), 2);
    }

    #[test]
    fn the_command_name_travels_with_the_statement() {
        let log = r#"{ "timestamp": "2019-06-03 10:00:00", "id": 0, "class": "general", "event": "status", "connection_id": 9, "account": { "user": "k.walsh", "host": "" }, "login": { "user": "k.walsh", "os": "", "ip": "", "proxy": "" }, "general_data": { "command": "Query", "sql_command": "create_user", "query": "CREATE USER 'x'@'%' IDENTIFIED BY <secret>", "status": 0 } },
"#;
        let out = run(log, None);
        assert!(matches!(&events(&out)[0].payload, Payload::Sql { class: Some(c), .. } if c == "create_user"), "{out:?}");
        let percona = "{\"audit_record\":{\"name\":\"Query\",\"record\":\"7_2019-06-03T10:00:00\",\"timestamp\":\"2019-06-03T10:00:00 UTC\",\"command_class\":\"show_databases\",\"connection_id\":\"12\",\"status\":0,\"sqltext\":\"show databases\",\"user\":\"k.walsh[k.walsh] @ localhost []\",\"host\":\"localhost\",\"os_user\":\"\",\"ip\":\"\",\"db\":\"\"}}\n";
        let out = run(percona, None);
        assert!(matches!(&events(&out)[0].payload, Payload::Sql { class: Some(c), .. } if c == "show_databases"), "{out:?}");
    }

    #[test]
    fn percona_json_and_user_field() {
        let log = "{\"audit_record\":{\"name\":\"Query\",\"record\":\"1_2019-06-03T10:00:00\",\"timestamp\":\"2019-06-03T10:00:00 UTC\",\"command_class\":\"select\",\"connection_id\":\"12\",\"status\":0,\"sqltext\":\"select * from customers where customer_id in ('C1','C2')\",\"user\":\"support[k.walsh] @ localhost []\",\"host\":\"localhost\",\"os_user\":\"\",\"ip\":\"\",\"db\":\"crm\"}}\n{\"audit_record\":{\"name\":\"Connect\",\"record\":\"2_x\",\"timestamp\":\"2019-06-03T10:00:00 UTC\",\"connection_id\":\"12\",\"status\":0,\"user\":\"k.walsh\"}}\n";
        let out = run(log, None);
        assert_eq!(events(&out)[0].actor.as_deref(), Some("k.walsh"));
        assert!(matches!(out[1], Parsed::Ignored { line: 2, .. }));
        assert_eq!(percona_user("root[] @ localhost []").as_deref(), Some("root"));
    }

    #[test]
    fn mariadb_read_lines_join_their_query() {
        let log = "20190603 10:00:00,db1,k.walsh,10.0.0.9,62,515,READ,crm,customers,\n\
20190603 10:00:00,db1,k.walsh,10.0.0.9,62,515,QUERY,crm,'select full_name from customers where customer_id = \\'C1\\'',0\n\
20190603 10:00:00,db1,k.walsh,10.0.0.9,62,515,QUERY,crm,'select full_name from customers where customer_id = \\'C1\\'',0\n\
20190603 10:00:01,db1,k.walsh,10.0.0.9,62,516,READ,crm,tickets,\n\
1559556002000000,db1,k.walsh,10.0.0.9,62,517,QUERY,crm,'select 1',1146\n\
20190603 10:00:03,db1,k.walsh,10.0.0.9,62,0,DISCONNECT,crm,,0\n";
        let out = run(log, Some(chrono::FixedOffset::east_opt(0).unwrap()));
        let ev = events(&out);
        assert_eq!(ev.len(), 3, "{out:?}");
        let Payload::Sql { statement: StatementText::Logged(sql), .. } = &ev[0].payload else { panic!() };
        assert_eq!(sql, "select full_name from customers where customer_id = 'C1'");
        assert!(matches!(&ev[1].payload, Payload::TableRead { tables, .. } if tables == &["crm.tickets"]));
        assert_eq!(ev[2].failure.as_deref(), Some("MariaDB error 1146"));
        assert_eq!(ev[2].time.to_rfc3339(), "2019-06-03T10:00:02+00:00");
        // Without a zone, the YYYYMMDD times are rejected, not guessed.
        let out = run(log, None);
        assert!(out.iter().any(|p| matches!(p, Parsed::Rejected(r) if r.reason.contains("time_zone"))));
    }

    #[test]
    fn mariadb_behind_a_syslog_header() {
        // server_audit_output_type = syslog: the header, `syslog_info` (empty: a lone space; or a word), then the
        // fields without the plugin's timestamp. Lines of other programs share the file.
        let log = "Jun  3 10:00:00 db1 mysql-server_auditing:  db1,k.walsh,10.0.0.9,62,0,CONNECT,crm,,0\n\
Jun  3 10:00:00 db1 mysql-server_auditing:  db1,k.walsh,10.0.0.9,62,515,READ,crm,customers,\n\
Jun  3 10:00:00 db1 mysql-server_auditing:  db1,k.walsh,10.0.0.9,62,515,QUERY,crm,'select full_name from customers where customer_id = \\'C1\\'',0\n\
Jun  3 10:00:01 db1 systemd[1]: Started Session 4 of user root.\n\
Dec 31 23:59:00 db1 mysql-server_auditing: prod-eu db1,app_rw,10.0.0.7,70,900,QUERY,crm,'select 1',0\n\
Jun  3 10:00:02 db1 mysql-server_auditing:  db1,k.walsh,10.0.0.9,62,516,QUERY,crm,'select email from customers where customer_id = \\'C2\n\
Jun  3 10:00:03 db1 mysql-server_auditing: garbage\n\
Jun  3 10:00:04 db1 mysql-server_auditing:  1234567890,k.walsh,10.0.0.9,63,600,QUERY,crm,'select 2',0\n\
Jun  3 10:00:05 db1 mysql-server_auditing: 20190603 10:00:05,db1,k.walsh,10.0.0.9,64,700,QUERY,crm,'select 3',0\n";
        let window = |s: &str, u: &str| Window {
            since: Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()),
            until: Some(chrono::DateTime::parse_from_rfc3339(u).unwrap().to_utc()),
        };
        let parse = |zone: Option<Zone>, window: Window| {
            let settings = ParserSettings { time_zone: zone, window, ..Default::default() };
            assert!(looks_like(log));
            let parser = MysqlAuditParser::new(&settings, log.as_bytes());
            assert!(matches!(parser.layout, Layout::MariaDbSyslog));
            let mut out = Vec::new();
            parser.parse(&mut log.as_bytes(), &mut |p| out.push(p)).unwrap();
            out
        };
        let dublin = Zone::parse("Europe/Dublin").unwrap();
        let out = parse(Some(dublin), window("2019-06-01T00:00:00Z", "2020-01-31T00:00:00Z"));
        let ev = events(&out);
        assert_eq!(ev.len(), 4, "{out:?}");
        assert_eq!((ev[0].line, ev[0].actor.as_deref()), (3, Some("k.walsh")));
        // A server host of digits is a host, not an epoch time; a forwarded file line keeps its own time.
        let by_line = |n: u64| ev.iter().find(|e| e.line == n).unwrap_or_else(|| panic!("line {n}: {out:?}"));
        assert_eq!(by_line(8).actor.as_deref(), Some("k.walsh"));
        assert_eq!((by_line(9).actor.as_deref(), by_line(9).time.to_rfc3339()), (Some("k.walsh"), "2019-06-03T09:00:05+00:00".to_string()));
        assert!(matches!(&ev[0].payload, Payload::Sql { statement: StatementText::Logged(s), .. } if s.ends_with("customer_id = 'C1'")));
        // Read in the log's zone (Irish summer time), in the window's year; December in the window's first year.
        assert_eq!(ev[0].time.to_rfc3339(), "2019-06-03T09:00:00+00:00");
        assert_eq!((by_line(5).actor.as_deref(), by_line(5).time.to_rfc3339()), (Some("app_rw"), "2019-12-31T23:59:00+00:00".to_string()));
        assert!(out.iter().any(|p| matches!(p, Parsed::Ignored { line: 4, .. })), "{out:?}");
        let rejected: Vec<&Rejection> = out.iter().filter_map(|p| if let Parsed::Rejected(r) = p { Some(r) } else { None }).collect();
        assert_eq!(rejected.len(), 2, "{out:?}");
        assert!(rejected[0].line == 6 && rejected[0].reason.contains("cut short") && rejected[0].actor.as_deref() == Some("k.walsh"), "{rejected:?}");
        assert!(rejected[1].line == 7 && rejected[1].reason.contains("not a server_audit record"), "{rejected:?}");
        // Without the log's zone every record is rejected with the missing-zone reason, with its account.
        let out = parse(None, window("2019-06-01T00:00:00Z", "2019-09-30T00:00:00Z"));
        assert!(events(&out).is_empty());
        let zoneless: Vec<&Rejection> = out.iter().filter_map(|p| if let Parsed::Rejected(r) = p { Some(r) } else { None }).filter(|r| r.missing_zone()).collect();
        assert_eq!(zoneless.iter().map(|r| r.actor.as_deref()).collect::<Vec<_>>(), [Some("k.walsh"), Some("app_rw"), Some("k.walsh"), Some("k.walsh")]);
        // Without a window there is no year: refused, never guessed.
        let out = parse(Some(dublin), Window::default());
        assert!(out.iter().any(|p| matches!(p, Parsed::Rejected(r) if r.reason.contains("no year"))), "{out:?}");
        // Only the forwarded file line, which has its own date, is read.
        assert_eq!(events(&out).iter().map(|e| e.line).collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn percona_csv() {
        // The layout of Percona's documentation (audit-log-plugin.md, "CSV format"), with a Connect record.
        let log = "\"Connect\",\"22560_2021-06-30T16:10:09\",\"2021-06-30T16:18:50 UTC\",\"2\",0,\"k.walsh\",\"k.walsh\",\"\",\"\",\"localhost\",\"\",\"\"\n\
\"Query\",\"22567_2021-06-30T16:10:09\",\"2021-06-30T16:19:00 UTC\",\"select\",\"2\",0,\"select email from customers where customer_id = 'C1'\",\"support[k.walsh] @ localhost []\",\"localhost\",\"\",\"\",\"crm\"\n\
\"Query\",\"22568_2021-06-30T16:10:09\",\"2021-06-30T16:19:02 UTC\",\"select\",\"2\",1146,\"select \"\"x\"\" from nosuch\",\"support[k.walsh] @ localhost []\",\"localhost\",\"\",\"\",\"crm\"\n";
        assert!(looks_like(log));
        let out = run(log, None);
        let ev = events(&out);
        assert_eq!(ev.len(), 2, "{out:?}");
        assert_eq!((ev[0].line, ev[0].actor.as_deref()), (2, Some("k.walsh")));
        assert_eq!(ev[0].time.to_rfc3339(), "2021-06-30T16:19:00+00:00");
        assert!(matches!(&ev[0].payload, Payload::Sql { class: Some(c), .. } if c == "select"));
        assert_eq!(ev[1].failure.as_deref(), Some("MySQL error 1146"));
        assert!(matches!(&ev[1].payload, Payload::Sql { statement: StatementText::Logged(s), .. } if s == "select \"x\" from nosuch"));
        assert!(matches!(out[0], Parsed::Ignored { line: 1, .. }));
    }

    #[test]
    fn percona_xml_both_styles() {
        let log = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AUDIT>\n<AUDIT_RECORD\n  NAME=\"Query\"\n  RECORD=\"3_2019-06-03T10:00:00\"\n  TIMESTAMP=\"2019-06-03T10:00:00 UTC\"\n  CONNECTION_ID=\"49\"\n  STATUS=\"0\"\n  SQLTEXT=\"select * from customers where customer_id = &apos;C1&apos;\"\n  USER=\"support[k.walsh] @ localhost []\"\n/>\n<AUDIT_RECORD>\n <TIMESTAMP>2019-06-03T10:00:01 UTC</TIMESTAMP>\n <NAME>Query</NAME>\n <STATUS>0</STATUS>\n <SQLTEXT>select 1</SQLTEXT>\n <USER>k.walsh[k.walsh] @ localhost []</USER>\n</AUDIT_RECORD>\n</AUDIT>\n";
        let out = run(log, None);
        let ev = events(&out);
        assert_eq!(ev.len(), 2, "{out:?}");
        assert!(matches!(&ev[0].payload, Payload::Sql { statement: StatementText::Logged(s), .. } if s.ends_with("'C1'")));
        assert_eq!(ev[1].line, 12);
        let broken = "<AUDIT>\n<AUDIT_RECORD\n NAME=\"Query\"\n<AUDIT_RECORD NAME=\"Query\" TIMESTAMP=\"2019-06-03T10:00:00 UTC\" SQLTEXT=\"select 1\" USER=\"a[a] @ h []\" STATUS=\"0\"/>\n</AUDIT>\n";
        let out = run(broken, None);
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.line == 2 && r.reason.contains("not closed")), "{out:?}");
        assert_eq!(events(&out).len(), 1);
    }

    #[test]
    fn fixtures_parse() {
        let utc = Some(chrono::FixedOffset::east_opt(0).unwrap());
        for (text, expected) in [
            (include_str!("../../../testdata/logs/mysql-audit/audit.20190603T100000.log"), 5),
            (include_str!("../../../testdata/logs/mysql-audit/percona-audit.json"), 3),
            (include_str!("../../../testdata/logs/mysql-audit/server_audit.log"), 4),
            (include_str!("../../../testdata/logs/mysql-audit/percona-audit.xml"), 2),
        ] {
            let out = run(text, utc);
            assert_eq!(events(&out).len(), expected, "{out:?}");
            assert!(!out.iter().any(|p| matches!(p, Parsed::Rejected(_))), "{out:?}");
        }
    }
}
