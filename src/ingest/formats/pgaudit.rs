//! PostgreSQL logs carrying pgaudit records: the csvlog layout, and the stderr layout with a configurable
//! `log_line_prefix` (`%m [%p] %q%u@%d ` style). The account comes from the csvlog `user_name` column or the
//! prefix's `%u`.
//!
//! The AUDIT payload is `AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,
//! STATEMENT,PARAMETER[,...][,ROWS]` (pgaudit README, "Format"). Parameters are written as further CSV fields,
//! or `<none>` / `<not logged>`; ROWS follows when `pgaudit.log_rows` is on.
//!
//! One statement can produce several lines (a SESSION line, OBJECT lines, one line per relation with
//! `pgaudit.log_relation`): later lines with the same statement and sub-statement id in the same session are
//! counted as ignored duplicates, so a statement is one access. An `ERROR` from the same session right after
//! a statement marks it failed (except SQLSTATE class 57, operator intervention such as a cancelled query,
//! which may already have sent rows).

use std::collections::HashMap;
use std::io::BufRead;

use regex::Regex;

use crate::read::lines::{Lines, NewlineTracking};
use crate::ingest::event::{Format, LogParser, Parameters, Parsed, Payload, RawEvent, Rejection, StatementText};
use crate::read::timefmt;
use crate::read::timefmt::Timestamp;

/// Whether a sample holds pgaudit records.
pub fn looks_like(text: &str) -> bool {
    text.contains("AUDIT: SESSION,") || text.contains("AUDIT: OBJECT,")
}

/// Prefixes tried, in order, when the case does not give `log_line_prefix`.
const COMMON_PREFIXES: [&str; 7] = [
    "%m [%p] %q%u@%d ",
    "%m [%p] %u@%d ",
    "%t [%p] %q%u@%d ",
    "%t:%r:%u@%d:[%p]:",
    "%m [%p] %quser=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
];

const SEVERITIES: &str = "DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT";

enum Layout {
    CsvLog,
    Stderr { record: Regex },
}

pub struct PgauditParser {
    layout: Layout,
    /// The zone of log times written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    time_zone: Option<chrono::FixedOffset>,
}

impl PgauditParser {
    pub fn new(prefix: Option<&str>, sample: &[u8]) -> Result<PgauditParser, String> {
        if is_csvlog(sample) {
            return Ok(PgauditParser { layout: Layout::CsvLog, time_zone: None });
        }
        let text = String::from_utf8_lossy(sample);
        let record = match prefix {
            Some(p) => {
                if !p.contains("%u") {
                    return Err(format!("log_line_prefix `{p}` has no %u: the account of each statement is not in the log"));
                }
                compile_prefix(p)?
            }
            None => {
                let audit_line = text.lines().find(|l| l.contains("AUDIT: ")).unwrap_or_default();
                static COMMON: std::sync::OnceLock<Vec<Regex>> = std::sync::OnceLock::new();
                COMMON
                    .get_or_init(|| COMMON_PREFIXES.iter().filter_map(|p| compile_prefix(p).ok()).collect())
                    .iter()
                    .find(|re| re.captures(audit_line).and_then(|c| c.name("user")).is_some_and(|u| !u.as_str().is_empty()))
                    .cloned()
                    .ok_or_else(|| {
                        "cannot find the account in these pgaudit lines: set `log_line_prefix` for this log to the server's setting (it must contain %u)".to_string()
                    })?
            }
        };
        Ok(PgauditParser { layout: Layout::Stderr { record }, time_zone: None })
    }

    /// Reads log times written without a zone in `zone` (`None`: they are rejected).
    pub fn in_zone(mut self, zone: Option<chrono::FixedOffset>) -> Self {
        self.time_zone = zone;
        self
    }
}

fn is_csvlog(sample: &[u8]) -> bool {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(sample);
    match reader.byte_records().next() {
        Some(Ok(r)) => {
            static SEVERITY: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
            let severity = SEVERITY.get_or_init(|| Regex::new(&format!("^(?:{SEVERITIES})$")).expect("static"));
            r.len() >= 22 && r.get(11).is_some_and(|s| severity.is_match(&String::from_utf8_lossy(s)))
        }
        _ => false,
    }
}

/// Turns a `log_line_prefix` into a regex matching a whole first line of a record:
/// prefix, severity, message.
pub fn compile_prefix(prefix: &str) -> Result<Regex, String> {
    let mut pattern = String::from("^");
    let mut optional_tail = false;
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            pattern.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        let Some(code) = chars.next() else { return Err(format!("log_line_prefix `{prefix}` ends with a lone %")) };
        let piece = match code {
            'm' | 't' | 's' => r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z][A-Za-z0-9_/+\-]*|[+\-]\d\d(?::?\d\d)?)?)",
            'n' => r"(?P<epoch>\d+(?:\.\d+)?)",
            'p' => r"(?P<pid>\d+)",
            'u' => r"(?P<user>\S*?)",
            'd' => r"(?P<db>\S*?)",
            'a' => r"(?P<app>.*?)",
            'h' => r"(?P<host>\S*?)",
            'r' => r"(?P<remote>\S*?)",
            'c' => r"(?P<session>[0-9a-f]+\.[0-9a-f]+)",
            'l' | 'x' | 'P' => r"\d*",
            'Q' => r"-?\d*",
            'v' | 'L' => r"\S*?",
            'e' => r"[0-9A-Z]{5}",
            'i' | 'b' => r".*?",
            'q' => {
                pattern.push_str("(?:");
                optional_tail = true;
                continue;
            }
            '%' => "%",
            other => return Err(format!("log_line_prefix `{prefix}`: unknown escape %{other}")),
        };
        if piece.starts_with("(?P<") {
            let name = &piece[4..piece.find('>').unwrap_or(4)];
            if pattern.contains(&format!("(?P<{name}>")) {
                // A code used twice: only the first occurrence is captured.
                pattern.push_str(&piece.replacen(&format!("(?P<{name}>"), "(?:", 1));
                continue;
            }
        }
        pattern.push_str(piece);
    }
    if optional_tail {
        pattern.push_str(")?");
    }
    pattern.push_str(&format!(r"(?P<severity>{SEVERITIES}):\s+(?P<message>.*)$"));
    Regex::new(&pattern).map_err(|e| format!("log_line_prefix `{prefix}`: {e}"))
}

/// The AUDIT payload's fields.
#[derive(Debug, PartialEq)]
pub struct AuditRecord {
    pub kind: String,
    pub statement_id: String,
    pub substatement_id: String,
    pub class: String,
    pub command: String,
    pub object_name: String,
    /// `None` for `<previously logged>`.
    pub statement: Option<StatementText>,
    pub parameters: Parameters,
    pub rows: Option<u64>,
}

/// Parses the text after `AUDIT: `.
pub fn parse_audit(payload: &str) -> Result<AuditRecord, (u64, String)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(payload.as_bytes());
    let record = match reader.records().next() {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err((0, format!("AUDIT payload is not valid CSV: {e}"))),
        None => return Err((0, "empty AUDIT payload".into())),
    };
    if record.len() < 9 {
        return Err((record.len() as u64 + 1, format!("AUDIT payload has {} fields, pgaudit writes at least 9", record.len())));
    }
    let kind = record[0].to_string();
    if kind != "SESSION" && kind != "OBJECT" {
        return Err((1, format!("AUDIT type `{kind}` is neither SESSION nor OBJECT")));
    }
    let statement = match &record[7] {
        "<previously logged>" => None,
        "<not logged>" => Some(StatementText::NotLogged),
        text => Some(StatementText::Logged(text.to_string())),
    };
    let rest: Vec<&str> = record.iter().skip(8).collect();
    let placeholders = match &statement {
        Some(StatementText::Logged(text)) => count_placeholders(text),
        _ => 0,
    };
    let (parameters, rows_field) = match rest[0] {
        "<none>" => (Parameters::None, rest.get(1).copied()),
        "<not logged>" | "<previously logged>" => (Parameters::NotLogged, rest.get(1).copied()),
        _ => {
            // Values; one more field than placeholders means the last one is ROWS.
            let (values, rows) = if placeholders > 0 && rest.len() == placeholders + 1 { (&rest[..placeholders], rest.last().copied()) } else { (&rest[..], None) };
            (Parameters::Values(values.iter().map(|s| s.to_string()).collect()), rows)
        }
    };
    let rows = match rows_field {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| (record.len() as u64, format!("ROWS `{text}` is not a number")))?),
    };
    Ok(AuditRecord {
        kind,
        statement_id: record[1].to_string(),
        substatement_id: record[2].to_string(),
        class: record[3].to_string(),
        command: record[4].to_string(),
        object_name: record[6].to_string(),
        statement,
        parameters,
        rows,
    })
}

/// The highest `$n` placeholder in a statement (outside quotes, roughly: enough to split params from ROWS).
fn count_placeholders(sql: &str) -> usize {
    static PLACEHOLDER: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = PLACEHOLDER.get_or_init(|| Regex::new(r"\$(\d+)").expect("static"));
    re.captures_iter(sql).filter_map(|c| c[1].parse::<usize>().ok()).max().unwrap_or(0)
}

/// A log record after its layout is read: common to csvlog and stderr.
struct LogRecord<'a> {
    line: u64,
    time: Timestamp,
    user: Option<&'a str>,
    session: String,
    severity: &'a str,
    sqlstate: Option<&'a str>,
    message: &'a str,
}

#[derive(Default)]
struct SessionState {
    last_statement: Option<(String, String)>,
    last_text: Option<String>,
    last_time: Option<Timestamp>,
    pending: Option<RawEvent>,
}

/// Turns log records into events, pairing duplicate lines and following errors.
struct Assembler<'s> {
    sessions: HashMap<String, SessionState>,
    sink: &'s mut dyn FnMut(Parsed),
    /// Sessions identified only by pid: duplicates must also be close in time.
    weak_sessions: bool,
}

impl Assembler<'_> {
    fn record(&mut self, rec: LogRecord<'_>, raw: &[u8]) {
        let state = self.sessions.entry(rec.session.clone()).or_default();
        let Some(payload) = rec.message.strip_prefix("AUDIT: ") else {
            if matches!(rec.severity, "ERROR" | "FATAL" | "PANIC") {
                if let Some(mut pending) = state.pending.take() {
                    let class57 = rec.sqlstate.is_some_and(|s| s.starts_with("57"));
                    if !class57 {
                        let code = rec.sqlstate.map(|s| format!("SQLSTATE {s}: ")).unwrap_or_default();
                        pending.failure = Some(format!("{code}{}", first_line(rec.message)));
                    }
                    (self.sink)(Parsed::Event(pending));
                }
            }
            (self.sink)(Parsed::ignored(rec.line, "not an audit record"));
            return;
        };
        let audit = match parse_audit(payload) {
            Ok(a) => a,
            Err((column, reason)) => {
                (self.sink)(Parsed::Rejected(Rejection::new(rec.line, column, reason, raw).with_actor(rec.user)));
                return;
            }
        };
        let id = (audit.statement_id.clone(), audit.substatement_id.clone());
        let close_in_time = state.last_time.is_some_and(|t| (rec.time - t).num_seconds().abs() <= 2);
        if state.last_statement.as_ref() == Some(&id) && (!self.weak_sessions || close_in_time) {
            state.last_time = Some(rec.time);
            (self.sink)(Parsed::ignored(rec.line, "statement already logged (OBJECT or per-relation line)"));
            return;
        }
        let statement = match audit.statement {
            Some(s) => s,
            None if state.last_statement.as_ref().is_some_and(|(s, _)| *s == audit.statement_id) => {
                state.last_text.clone().map(StatementText::Logged).unwrap_or(StatementText::NotLogged)
            }
            None => StatementText::NotLogged,
        };
        state.last_statement = Some(id);
        state.last_time = Some(rec.time);
        state.last_text = match &statement {
            StatementText::Logged(t) => Some(t.clone()),
            StatementText::NotLogged => None,
        };
        let object = Some(audit.object_name).filter(|o| !o.is_empty());
        let event = RawEvent {
            line: rec.line,
            time: rec.time,
            actor: rec.user.filter(|u| !u.is_empty()).map(str::to_string),
            failure: None,
            payload: Payload::Sql { statement, parameters: audit.parameters, class: Some(audit.class), object, rows: audit.rows },
        };
        if let Some(previous) = state.pending.replace(event) {
            (self.sink)(Parsed::Event(previous));
        }
    }

    fn finish(self) {
        let mut rest: Vec<RawEvent> = self.sessions.into_values().filter_map(|s| s.pending).collect();
        rest.sort_by_key(|e| e.line);
        for event in rest {
            (self.sink)(Parsed::Event(event));
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

impl LogParser for PgauditParser {
    fn format(&self) -> Format {
        Format::Pgaudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        match &self.layout {
            Layout::CsvLog => parse_csvlog(input, sink, self.time_zone),
            Layout::Stderr { record } => parse_stderr(record, input, sink, self.time_zone),
        }
    }
}

fn parse_csvlog(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<chrono::FixedOffset>) -> std::io::Result<()> {
    let (tracked, lines) = NewlineTracking::new(input);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tracked);
    let mut assembler = Assembler { sessions: HashMap::new(), sink, weak_sessions: false };
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.line_at(record.position().map(|p| p.byte()).unwrap_or(start));
                let raw = record.as_slice().to_vec();
                let text = match csv::StringRecord::from_byte_record(record.clone()) {
                    Ok(t) => t,
                    Err(e) => {
                        let field = e.utf8_error().field() as u64 + 1;
                        (assembler.sink)(Parsed::Rejected(Rejection::new(line, field, format!("field {field} is not valid UTF-8"), &raw)));
                        continue;
                    }
                };
                if text.len() < 14 {
                    let reason = format!("csvlog record has {} fields, PostgreSQL writes at least 22", text.len());
                    (assembler.sink)(Parsed::Rejected(Rejection::new(line, 0, reason, &raw)));
                    continue;
                }
                let time = match timefmt::parse_zoned_in(&text[0], zone) {
                    Ok(t) => t,
                    Err(reason) => {
                        // The account of an audit record is known even when its time is not.
                        let account = text[13].starts_with("AUDIT: ").then_some(&text[1]);
                        (assembler.sink)(Parsed::Rejected(Rejection::new(line, 1, format!("log_time: {reason}"), &raw).with_actor(account)));
                        continue;
                    }
                };
                let rec = LogRecord {
                    line,
                    time,
                    user: Some(&text[1]),
                    session: if text[5].is_empty() { text[3].to_string() } else { text[5].to_string() },
                    severity: &text[11],
                    sqlstate: Some(&text[12]).filter(|s| !s.is_empty()),
                    message: &text[13],
                };
                assembler.record(rec, &raw);
            }
            Err(e) => {
                let line = lines.line_at(e.position().map(|p| p.byte()).unwrap_or(start));
                if let csv::ErrorKind::Io(_) = e.kind() {
                    let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
                    return Err(io);
                }
                (assembler.sink)(Parsed::Rejected(Rejection::new(line, 0, e.to_string(), b"")));
            }
        }
    }
    assembler.finish();
    Ok(())
}

fn parse_stderr(record_re: &Regex, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<chrono::FixedOffset>) -> std::io::Result<()> {
    let has_session = record_re.capture_names().any(|n| n == Some("session"));
    let mut assembler = Assembler { sessions: HashMap::new(), sink, weak_sessions: !has_session };
    let mut lines = Lines::new(input);
    // The record being gathered: first line number and its bytes (continuation lines joined with \n).
    let mut current: Option<(u64, Vec<u8>)> = None;
    let flush = |assembler: &mut Assembler<'_>, current: Option<(u64, Vec<u8>)>| {
        if let Some((line, bytes)) = current {
            stderr_record(record_re, assembler, line, &bytes, zone);
        }
    };
    while let Some((line_no, bytes)) = lines.next_line()? {
        let starts_record = std::str::from_utf8(bytes).is_ok_and(|t| record_re.is_match(t));
        if starts_record {
            flush(&mut assembler, current.take());
            current = Some((line_no, bytes.to_vec()));
        } else if let Some((_, buf)) = current.as_mut() {
            buf.push(b'\n');
            buf.extend_from_slice(bytes);
        } else if bytes.iter().all(u8::is_ascii_whitespace) {
            (assembler.sink)(Parsed::ignored(line_no, "blank line"));
        } else {
            let reason = "line does not start with the log_line_prefix and follows no record";
            (assembler.sink)(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes)));
        }
    }
    flush(&mut assembler, current.take());
    assembler.finish();
    Ok(())
}

fn stderr_record(record_re: &Regex, assembler: &mut Assembler<'_>, line: u64, bytes: &[u8], zone: Option<chrono::FixedOffset>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let col = at - bytes[..at].iter().rposition(|b| *b == b'\n').map(|p| p + 1).unwrap_or(0) + 1;
            let reason = "invalid UTF-8 in a statement line";
            (assembler.sink)(Parsed::Rejected(Rejection::new(line, col as u64, reason, bytes)));
            return;
        }
    };
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let caps = record_re.captures(first).expect("record start matched before");
    let time = if let Some(t) = caps.name("time") {
        timefmt::parse_zoned_in(t.as_str(), zone)
    } else if let Some(e) = caps.name("epoch") {
        let (secs, frac) = e.as_str().split_once('.').unwrap_or((e.as_str(), "0"));
        let micros = format!("{secs}{:0<6}", &frac[..frac.len().min(6)]);
        timefmt::parse_epoch(&micros).ok_or_else(|| format!("`{}` is not an epoch time", e.as_str()))
    } else {
        Err("log_line_prefix has no time (%m, %t or %n)".to_string())
    };
    let time = match time {
        Ok(t) => t,
        Err(reason) => {
            let col = caps.name("time").map(|m| m.start() + 1).unwrap_or(1);
            let audit = caps.name("message").is_some_and(|m| m.as_str().starts_with("AUDIT: "));
            let account = caps.name("user").filter(|_| audit).map(|m| m.as_str());
            (assembler.sink)(Parsed::Rejected(Rejection::new(line, col as u64, reason, bytes).with_actor(account)));
            return;
        }
    };
    let message_start = caps.name("message").map(|m| m.start()).unwrap_or(first.len());
    let message = &text[message_start..];
    let _ = rest;
    let session = match caps.name("session") {
        Some(s) => s.as_str().to_string(),
        None => format!(
            "{}|{}|{}",
            caps.name("pid").map(|m| m.as_str()).unwrap_or(""),
            caps.name("user").map(|m| m.as_str()).unwrap_or(""),
            caps.name("db").map(|m| m.as_str()).unwrap_or("")
        ),
    };
    let rec = LogRecord {
        line,
        time,
        user: caps.name("user").map(|m| m.as_str()),
        session,
        severity: caps.name("severity").map(|m| m.as_str()).unwrap_or(""),
        sqlstate: None,
        message,
    };
    assembler.record(rec, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(prefix: Option<&str>, text: &str) -> Vec<Parsed> {
        let parser = PgauditParser::new(prefix, text.as_bytes()).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    fn events(out: &[Parsed]) -> Vec<&RawEvent> {
        out.iter().filter_map(|p| if let Parsed::Event(e) = p { Some(e) } else { None }).collect()
    }

    #[test]
    fn stderr_statement_spanning_lines() {
        let log = "2019-06-03 09:15:22.123 UTC [4242] rpt_k.walsh@supportdb LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT full_name, email\n  FROM customers\n WHERE customer_id = 'C0042'\",<not logged>\n2019-06-03 09:15:23.000 UTC [4243] app@supportdb LOG:  connection authorized: user=app\n";
        let out = run(Some("%m [%p] %q%u@%d "), log);
        let ev = events(&out);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].actor.as_deref(), Some("rpt_k.walsh"));
        assert_eq!(ev[0].line, 1);
        let Payload::Sql { statement: StatementText::Logged(sql), parameters, .. } = &ev[0].payload else { panic!() };
        assert!(sql.contains("WHERE customer_id = 'C0042'"));
        assert_eq!(*parameters, Parameters::NotLogged);
        assert!(out.iter().any(|p| matches!(p, Parsed::Ignored { line: 4, reason: crate::ingest::event::IgnoreReason::NotAnAccess("not an audit record") })));
    }

    #[test]
    fn prefix_is_found_without_configuration() {
        let log = "2019-06-03 09:15:22 UTC:10.0.0.9(5432):rpt_k.walsh@supportdb:[77]:LOG:  AUDIT: SESSION,3,1,READ,SELECT,,,select 1,<none>\n";
        let ev = run(None, log);
        assert_eq!(events(&ev)[0].actor.as_deref(), Some("rpt_k.walsh"));
    }

    #[test]
    fn object_line_after_session_line_is_one_access() {
        let log = "2019-06-03 09:15:22.123 UTC [1] u@db LOG:  AUDIT: SESSION,7,1,READ,SELECT,,,select * from customers where customer_id = 'C1',<none>\n\
2019-06-03 09:15:22.123 UTC [1] u@db LOG:  AUDIT: OBJECT,7,1,READ,SELECT,TABLE,public.customers,select * from customers where customer_id = 'C1',<none>\n";
        let out = run(Some("%m [%p] %q%u@%d "), log);
        assert_eq!(events(&out).len(), 1);
        assert!(out.iter().any(|p| matches!(p, Parsed::Ignored { line: 2, .. })));
    }

    #[test]
    fn error_after_statement_marks_it_failed() {
        let log = "2019-06-03 09:15:22.123 UTC [1] u@db LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select * from customers,<none>\n\
2019-06-03 09:15:22.124 UTC [1] u@db ERROR:  permission denied for table customers\n";
        let out = run(Some("%m [%p] %q%u@%d "), log);
        let ev = events(&out);
        assert_eq!(ev[0].failure.as_deref(), Some("permission denied for table customers"));
    }

    #[test]
    fn parameters_and_rows() {
        let a = parse_audit("SESSION,1,1,READ,SELECT,,,\"select * from t where id = $1 and x = $2\",C1,\"a,b\",1").unwrap();
        assert_eq!(a.parameters, Parameters::Values(vec!["C1".into(), "a,b".into()]));
        assert_eq!(a.rows, Some(1));
        let a = parse_audit("SESSION,1,1,READ,SELECT,,,select 1,<none>,1").unwrap();
        assert_eq!((a.parameters, a.rows), (Parameters::None, Some(1)));
        let a = parse_audit("OBJECT,1,1,READ,SELECT,TABLE,public.test2,<previously logged>,<previously logged>").unwrap();
        assert_eq!(a.statement, None);
        assert!(parse_audit("SESSION,1").is_err());
    }

    #[test]
    fn csvlog_record_with_quoted_payload() {
        let log = "2019-06-03 09:15:22.123 UTC,\"rpt_k.walsh\",\"supportdb\",4242,\"10.0.0.9:5432\",5cf4e1a2.1092,3,\"SELECT\",2019-06-03 09:00:00 UTC,3/12,0,LOG,00000,\"AUDIT: SESSION,2,1,READ,SELECT,TABLE,public.tickets,\"\"SELECT subject\nFROM tickets WHERE ticket_number IN ('T-1','T-2')\"\",<none>\",,,,,,,,,\"psql\",\"client backend\",,0\n";
        let out = run(None, log);
        let ev = events(&out);
        assert_eq!(ev.len(), 1, "{out:?}");
        assert_eq!(ev[0].actor.as_deref(), Some("rpt_k.walsh"));
        let Payload::Sql { statement: StatementText::Logged(sql), object, .. } = &ev[0].payload else { panic!() };
        assert!(sql.contains("IN ('T-1','T-2')"));
        assert_eq!(object.as_deref(), Some("public.tickets"));
    }

    /// A record whose time cannot be read still tells whose it was (for the actors' rejected records), when
    /// it is an audit record.
    #[test]
    fn a_rejected_audit_record_keeps_its_account() {
        let audit = "2019-06-03 09:15:22.123,\"rpt_k.walsh\",\"supportdb\",4242,\"10.0.0.9:5432\",5cf4e1a2.1092,3,\"SELECT\",2019-06-03 09:00:00 UTC,3/12,0,LOG,00000,\"AUDIT: SESSION,2,1,READ,SELECT,,,\"\"SELECT 1\"\",<none>\",,,,,,,,,\"psql\",\"client backend\",,0\n";
        let other = "2019-06-03 09:15:23.000,\"app\",\"supportdb\",4243,\"10.0.0.9:5432\",5cf4e1a2.1093,1,\"authentication\",2019-06-03 09:00:00 UTC,3/13,0,LOG,00000,\"connection authorized: user=app\",,,,,,,,,\"\",\"client backend\",,0\n";
        let out = run(None, &format!("{audit}{other}"));
        let rejected: Vec<(Option<&str>, bool)> =
            out.iter().filter_map(|p| if let Parsed::Rejected(r) = p { Some((r.actor.as_deref(), r.missing_zone())) } else { None }).collect();
        assert_eq!(rejected, [(Some("rpt_k.walsh"), true), (None, true)], "{out:?}");
        let stderr = "2019-06-03 09:15:22.123 [4242] rpt_k.walsh@supportdb LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>\n";
        let out = run(Some("%m [%p] %q%u@%d "), stderr);
        assert!(matches!(&out[0], Parsed::Rejected(r) if r.actor.as_deref() == Some("rpt_k.walsh") && r.missing_zone()), "{out:?}");
    }

    #[test]
    fn prefix_without_user_is_refused() {
        assert!(PgauditParser::new(Some("%m [%p] "), b"x").err().unwrap().contains("no %u"));
    }
}
