//! PostgreSQL logs: the csvlog layout, and the stderr layout with a configurable `log_line_prefix`
//! (`%m [%p] %q%u@%d ` style, given or recognised among the common ones). Three kinds of statement record
//! are read, with the same SQL evidence and replay:
//!
//! - pgaudit's `AUDIT:` records, `AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,
//!   OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]` (pgaudit README, "Format"). PARAMETER is one CSV field holding
//!   the values as a CSV list (an empty value is NULL), or `<none>` / `<not logged>`; ROWS follows when
//!   `pgaudit.log_rows` is on.
//! - `log_statement` lines, `LOG:  statement: ...` and `LOG:  execute <name>: ...` (extended protocol), whose
//!   bind parameters come in the `DETAIL:  parameters: $1 = '...'` that follows (csvlog: its detail column).
//! - `log_min_duration_statement` lines, `LOG:  duration: 1.2 ms  statement: ...` / `... execute <name>: ...`:
//!   written when the statement has finished, so no later error is theirs. Their `parse`/`bind` steps and
//!   `execute fetch from` continuations are not further accesses.
//!
//! The account is the csvlog `user_name` column or the prefix's `%u`; where the line has none (the default
//! `%m [%p] ` prefix), the user of the process's `connection authorized: user=...` line (`log_connections`),
//! which holds until its `disconnection:` line or a server restart. A statement with neither has no account
//! (a blind spot, counted in the report), it is not an error.
//!
//! One statement can produce several lines (a SESSION line, OBJECT lines, one line per relation with
//! `pgaudit.log_relation`, and a `statement:` line beside its AUDIT line): later lines of the same statement
//! in the same session are counted as ignored duplicates, so a statement is one access. An `ERROR` from the
//! same session right after a statement marks it failed (except SQLSTATE class 57, operator intervention
//! such as a cancelled query, which may already have sent rows, and a `duration:` line, which is written
//! after the statement succeeded).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use regex::Regex;

use crate::read::lines::{Lines, NewlineTracking};
use crate::ingest::event::{Format, LogParser, Parameters, Parsed, Payload, RawEvent, Rejection, StatementText};
use crate::read::timefmt;
use crate::read::timefmt::{Timestamp, Zone};

/// Whether a sample is a PostgreSQL log: pgaudit records, a csvlog, or stderr lines in a known prefix
/// carrying statements or connection messages.
pub fn looks_like(text: &str) -> bool {
    if text.contains("AUDIT: SESSION,") || text.contains("AUDIT: OBJECT,") || is_csvlog(text.as_bytes()) {
        return true;
    }
    detect_prefix(text).is_some_and(|re| {
        text.lines().any(|l| re.captures(l).and_then(|c| c.name("message")).is_some_and(|m| is_postgres_message(m.as_str())))
    })
}

/// Messages only PostgreSQL writes, with the statement and session logging settings.
fn is_postgres_message(message: &str) -> bool {
    const STARTS: [&str; 7] =
        ["statement: ", "duration: ", "execute ", "connection authorized: ", "connection received: ", "disconnection: ", "database system "];
    STARTS.iter().any(|s| message.starts_with(s))
}

/// Prefixes tried, in order, when the case does not give `log_line_prefix`: the defaults of PostgreSQL
/// (`%m [%p] `) and Debian/Ubuntu (`%m [%p] %q%u@%d `, formerly `%t [%p-%l] %q%u@%d `), Amazon RDS and
/// Aurora (`%t:%r:%u@%d:[%p]:`), pgBadger's recommended ones, and pgaudit's README example.
const COMMON_PREFIXES: [&str; 14] = [
    "%m [%p] %q%u@%d ",
    "%m [%p] %u@%d ",
    "%t [%p-%l] %q%u@%d ",
    "%t:%r:%u@%d:[%p]:",
    "%m [%p] %quser=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] user=%u,db=%d ",
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%t [%p] user=%u db=%d app=%a client=%h ",
    "%m [%p] user=%u db=%d app=%a client=%h ",
    "%m %u %d [%p]: ",
    "%m ",
    "%t [%p]: ",
];

const SEVERITIES: &str = "DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT";

/// Lines of a sample looked at to recognise the prefix.
const DETECT_LINES: usize = 2000;

/// The common prefix that reads the most lines of a sample (ties: the one that finds accounts on more
/// lines, then the list's order). Lines without an account (background processes, parallel workers, the
/// default prefix) count like any other.
fn detect_prefix(text: &str) -> Option<Regex> {
    static COMMON: std::sync::OnceLock<Vec<Regex>> = std::sync::OnceLock::new();
    let common = COMMON.get_or_init(|| COMMON_PREFIXES.iter().filter_map(|p| compile_prefix(p).ok()).collect());
    let lines: Vec<&str> = text.lines().take(DETECT_LINES).collect();
    let mut best: Option<(usize, usize, usize)> = None;
    for (i, re) in common.iter().enumerate() {
        let (mut matched, mut accounts) = (0, 0);
        for caps in lines.iter().filter_map(|l| re.captures(l)) {
            matched += 1;
            accounts += usize::from(caps.name("user").is_some_and(|u| known_user(u.as_str()).is_some()));
        }
        if matched > 0 && best.is_none_or(|(m, a, _)| (matched, accounts) > (m, a)) {
            best = Some((matched, accounts, i));
        }
    }
    best.map(|(_, _, i)| common[i].clone())
}

enum Layout {
    CsvLog,
    Stderr { record: Regex },
}

pub struct PgauditParser {
    layout: Layout,
    /// The zone of log times written without one, and of zone abbreviations (see
    /// [`crate::ingest::event::ParserSettings::time_zone`]).
    time_zone: Option<Zone>,
}

impl PgauditParser {
    pub fn new(prefix: Option<&str>, sample: &[u8]) -> Result<PgauditParser, String> {
        if is_csvlog(sample) {
            return Ok(PgauditParser { layout: Layout::CsvLog, time_zone: None });
        }
        let record = match prefix {
            Some(p) => compile_prefix(p)?,
            None => detect_prefix(&String::from_utf8_lossy(sample)).ok_or_else(|| {
                "cannot tell this PostgreSQL log's log_line_prefix: set `log_line_prefix` for this log to the server's setting (SHOW log_line_prefix)".to_string()
            })?,
        };
        Ok(PgauditParser { layout: Layout::Stderr { record }, time_zone: None })
    }

    /// Reads log times written without a zone, and zone abbreviations, in `zone` (`None`: they are rejected).
    pub fn in_zone(mut self, zone: Option<Zone>) -> Self {
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
            // The zone: an abbreviation or name (`UTC`, `CEST`), or a numeric zone after a space or glued
            // to the time (`+08`, `-03`, `+0545`: zones without an abbreviation).
            'm' | 't' | 's' => r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z][A-Za-z0-9_/+\-]*| ?[+\-]\d\d(?::?\d\d)?)?)",
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
    if record.len() > 10 {
        return Err((
            11,
            format!("AUDIT payload has {} fields: pgaudit writes 9, or 10 with pgaudit.log_rows (the parameters are one field)", record.len()),
        ));
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
    let parameters = audit_parameters(&record[8]).map_err(|reason| (9, reason))?;
    let rows = match record.get(9) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| (10, format!("ROWS `{text}` is not a number")))?),
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

/// pgaudit's PARAMETER field: `<none>`, `<not logged>`, or the values as one CSV list (`1,"a,b",` : an empty
/// value is NULL). A value longer than `pgaudit.log_parameter_max_size` is `<long param suppressed>`: then
/// the parameters are not all known.
fn audit_parameters(field: &str) -> Result<Parameters, String> {
    match field {
        "<none>" => return Ok(Parameters::None),
        "<not logged>" | "<previously logged>" => return Ok(Parameters::NotLogged),
        _ => {}
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(field.as_bytes());
    let values: Vec<String> = match reader.records().next() {
        Some(Ok(r)) => r.iter().map(str::to_string).collect(),
        Some(Err(e)) => return Err(format!("PARAMETER field is not a CSV list: {e}")),
        None => vec![String::new()],
    };
    if values.iter().any(|v| v == "<long param suppressed>") {
        return Ok(Parameters::NotLogged);
    }
    Ok(Parameters::Values(values))
}

/// The highest `$n` placeholder in a statement (outside quotes, roughly: enough to tell whether the
/// statement has bind parameters).
fn count_placeholders(sql: &str) -> usize {
    static PLACEHOLDER: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = PLACEHOLDER.get_or_init(|| Regex::new(r"\$(\d+)").expect("static"));
    re.captures_iter(sql).filter_map(|c| c[1].parse::<usize>().ok()).max().unwrap_or(0)
}

/// `$1 = 'C0042', $2 = NULL, $3 = 'it''s'` (PostgreSQL's `DETAIL:  parameters: ...`): the values by
/// position, NULL as an empty value (as pgaudit writes it). `None` if the text is not of that form.
pub fn parse_detail_parameters(text: &str) -> Option<Vec<String>> {
    let mut values: Vec<Option<String>> = Vec::new();
    let mut rest = text.trim_end();
    while !rest.is_empty() {
        let after = rest.strip_prefix('$')?;
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = after[..digits].parse().ok().filter(|n| *n >= 1)?;
        let mut value_text = after[digits..].strip_prefix(" = ")?;
        let value = if let Some(r) = value_text.strip_prefix("NULL") {
            value_text = r;
            String::new()
        } else {
            let body = value_text.strip_prefix('\'')?;
            let mut value = String::new();
            let mut chars = body.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                if c == '\'' {
                    if body[i + 1..].starts_with('\'') {
                        value.push('\'');
                        chars.next();
                        continue;
                    }
                    break i + 1;
                }
                value.push(c);
            };
            value_text = &body[end..];
            value
        };
        if values.len() < n {
            values.resize(n, None);
        }
        values[n - 1] = Some(value);
        rest = match value_text.strip_prefix(", ") {
            Some(r) => r,
            None if value_text.is_empty() => "",
            None => return None,
        };
    }
    values.into_iter().collect()
}

/// A log record after its layout is read: common to csvlog and stderr.
struct LogRecord<'a> {
    line: u64,
    time: Timestamp,
    /// The account written on the line (csvlog `user_name`, prefix `%u`), if any.
    user: Option<&'a str>,
    pid: Option<&'a str>,
    session: String,
    severity: &'a str,
    sqlstate: Option<&'a str>,
    message: Cow<'a, str>,
    /// csvlog's detail column (stderr writes a DETAIL record of its own).
    detail: Option<&'a str>,
}

/// An account as a log line writes it: empty (a background process, `%q`) or `[unknown]` (a connection not
/// yet authenticated) is none.
fn known_user(user: &str) -> Option<&str> {
    Some(user).filter(|u| !u.is_empty() && *u != "[unknown]")
}

/// A statement waiting for what follows it in its session (an error, its parameters, its other lines).
struct Pending {
    event: RawEvent,
    /// From a pgaudit AUDIT record (else a `statement:`/`execute` line).
    audit: bool,
    /// Already paired: a third line with the same text is another statement.
    paired: bool,
    /// A later error of the session is this statement's (false once a `duration:` line says it finished).
    can_fail: bool,
    /// An `execute` line whose `DETAIL:  parameters:` may follow.
    awaiting_parameters: bool,
}

#[derive(Default)]
struct SessionState {
    last_statement: Option<(String, String)>,
    last_text: Option<String>,
    last_time: Option<Timestamp>,
    pending: Option<Pending>,
}

/// Turns log records into events: the account of each, duplicate lines paired, errors and parameters
/// joined to their statement.
struct Assembler<'s> {
    sessions: HashMap<String, SessionState>,
    /// Process id → the user of its `connection authorized` line, until its `disconnection` or a restart.
    accounts: HashMap<String, String>,
    sink: &'s mut dyn FnMut(Parsed),
    /// Sessions identified only by pid: duplicates must also be close in time.
    weak_sessions: bool,
}

/// What a `LOG` message is, as far as statements go.
#[derive(Debug, PartialEq)]
enum Message<'a> {
    /// `statement: SQL` or `execute <name>: SQL`, possibly after `duration: X ms  ` (then `finished`).
    Statement { sql: &'a str, execute: bool, finished: bool },
    /// `execute fetch from <name>: ...`: more rows of a statement already logged.
    Fetch,
    /// `parse <name>: ...` / `bind <name>: ...`: steps of a prepared statement before its execute.
    Step,
    /// `duration: X ms` alone: the statement before it finished.
    Duration,
    Other,
}

fn classify(message: &str) -> Message<'_> {
    let (finished, rest) = match message.strip_prefix("duration: ") {
        Some(r) => {
            let Some(at) = r.find(" ms") else { return Message::Other };
            let after = &r[at + 3..];
            if after.trim().is_empty() {
                return Message::Duration;
            }
            match after.strip_prefix("  ") {
                Some(a) => (true, a),
                None => return Message::Other,
            }
        }
        None => (false, message),
    };
    if let Some(sql) = rest.strip_prefix("statement: ") {
        return Message::Statement { sql, execute: false, finished };
    }
    if rest.starts_with("execute fetch from ") {
        return Message::Fetch;
    }
    if let Some(r) = rest.strip_prefix("execute ") {
        return match r.split_once(": ") {
            Some((_, sql)) => Message::Statement { sql, execute: true, finished },
            None => Message::Other,
        };
    }
    if rest.starts_with("parse ") || rest.starts_with("bind ") {
        return Message::Step;
    }
    Message::Other
}

/// Two logged texts of one statement: equal but for whitespace and a final `;`.
fn same_statement(a: &RawEvent, b: &RawEvent) -> bool {
    fn text(e: &RawEvent) -> Option<&str> {
        match &e.payload {
            Payload::Sql { statement: StatementText::Logged(t), .. } => Some(t.trim_end().trim_end_matches(';')),
            _ => None,
        }
    }
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x.split_whitespace().eq(y.split_whitespace()),
        _ => false,
    }
}

/// `user=NAME` in a connection or disconnection message.
fn user_in(message: &str) -> Option<&str> {
    let at = message.find("user=")? + 5;
    let rest = &message[at..];
    let end = rest.find(" database=").or_else(|| rest.find(char::is_whitespace)).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|u| !u.is_empty())
}

impl Assembler<'_> {
    fn account(&self, rec: &LogRecord<'_>) -> Option<String> {
        if let Some(user) = rec.user.and_then(known_user) {
            return Some(user.to_string());
        }
        rec.pid.and_then(|p| self.accounts.get(p)).cloned()
    }

    fn emit(&mut self, pending: Option<Pending>) {
        if let Some(p) = pending {
            (self.sink)(Parsed::Event(p.event));
        }
    }

    fn ignore(&mut self, line: u64, reason: &'static str) {
        (self.sink)(Parsed::ignored(line, reason));
    }

    fn record(&mut self, rec: LogRecord<'_>, raw: &[u8]) {
        let actor = self.account(&rec);
        if rec.severity != "DETAIL" {
            if let Some(p) = self.sessions.get_mut(&rec.session).and_then(|s| s.pending.as_mut()) {
                p.awaiting_parameters = false;
            }
        }
        if let Some(payload) = rec.message.strip_prefix("AUDIT: ") {
            let payload = payload.to_string();
            return self.audit(&rec, actor, &payload, raw);
        }
        match rec.severity {
            "ERROR" | "FATAL" | "PANIC" => {
                let state = self.sessions.entry(rec.session.clone()).or_default();
                if let Some(mut pending) = state.pending.take() {
                    let class57 = rec.sqlstate.is_some_and(|s| s.starts_with("57"));
                    if pending.can_fail && !class57 {
                        let code = rec.sqlstate.map(|s| format!("SQLSTATE {s}: ")).unwrap_or_default();
                        pending.event.failure = Some(format!("{code}{}", first_line(&rec.message)));
                    }
                    self.emit(Some(pending));
                }
                self.ignore(rec.line, "error message (marks the statement before it failed)");
            }
            "DETAIL" => match rec.message.strip_prefix("parameters: ") {
                Some(values) => {
                    if let Err(reason) = self.parameters(&rec.session, values) {
                        (self.sink)(Parsed::Rejected(Rejection::new(rec.line, 1, reason, raw)));
                    } else {
                        self.ignore(rec.line, "bind parameters of the statement before it");
                    }
                }
                None => self.ignore(rec.line, "detail of the message before it"),
            },
            "STATEMENT" => self.ignore(rec.line, "statement of the error before it (it failed)"),
            "LOG" => match classify(&rec.message) {
                Message::Statement { sql, execute, finished } => {
                    let placeholders = count_placeholders(sql);
                    let parameters = if execute && placeholders > 0 { Parameters::NotLogged } else { Parameters::None };
                    let event = RawEvent {
                        line: rec.line,
                        time: rec.time,
                        actor,
                        failure: None,
                        payload: Payload::Sql { statement: StatementText::Logged(sql.to_string()), parameters, class: None, object: None, rows: None },
                    };
                    let pending = Pending { event, audit: false, paired: false, can_fail: !finished, awaiting_parameters: execute && placeholders > 0 };
                    self.statement(&rec.session, pending);
                    if let Some(values) = rec.detail.filter(|_| execute).and_then(|d| d.strip_prefix("parameters: ")) {
                        // csvlog: the parameters are in the same record. Unreadable, they stay "not logged",
                        // which the report counts as a blind spot of the statement.
                        let _unreadable = self.parameters(&rec.session, values).is_err();
                    }
                }
                Message::Fetch => self.ignore(rec.line, "more rows fetched by a statement already counted (execute fetch from)"),
                Message::Step => self.ignore(rec.line, "parse or bind step of a prepared statement (its execute line is the access)"),
                Message::Duration => {
                    let pending = self.sessions.get_mut(&rec.session).and_then(|s| s.pending.take());
                    self.emit(pending);
                    self.ignore(rec.line, "duration of the statement before it (it finished)");
                }
                Message::Other => self.session_message(&rec),
            },
            _ => self.ignore(rec.line, "server message, not a statement"),
        }
    }

    /// Connection, disconnection and server start or stop: the process accounts they set or end.
    fn session_message(&mut self, rec: &LogRecord<'_>) {
        let message = rec.message.as_ref();
        if message.starts_with("connection authorized: ") || message.starts_with("replication connection authorized: ") {
            if let (Some(pid), Some(user)) = (rec.pid, user_in(message)) {
                self.accounts.insert(pid.to_string(), user.to_string());
            }
            return self.ignore(rec.line, "connection authorized (names the account of the process's statements)");
        }
        if message.starts_with("disconnection: ") {
            if let Some(pid) = rec.pid {
                self.accounts.remove(pid);
            }
            let pending = self.sessions.remove(&rec.session).and_then(|s| s.pending);
            self.emit(pending);
            return self.ignore(rec.line, "disconnection");
        }
        const RESTART: [&str; 3] = ["database system is ready to accept", "database system is shut down", "starting PostgreSQL"];
        if RESTART.iter().any(|r| message.starts_with(r)) || (message.starts_with("received ") && message.contains(" shutdown request")) {
            self.accounts.clear();
            self.flush_all();
            return self.ignore(rec.line, "server start or stop (every session ended)");
        }
        self.ignore(rec.line, "server message, not a statement")
    }

    /// Attaches `DETAIL:  parameters: ...` to the session's execute line waiting for them.
    fn parameters(&mut self, session: &str, values: &str) -> Result<(), String> {
        let Some(pending) = self.sessions.get_mut(session).and_then(|s| s.pending.as_mut()).filter(|p| p.awaiting_parameters) else {
            return Ok(());
        };
        pending.awaiting_parameters = false;
        let values = parse_detail_parameters(values).ok_or_else(|| "DETAIL parameters are not `$1 = '...', $2 = ...`".to_string())?;
        if let Payload::Sql { parameters, .. } = &mut pending.event.payload {
            *parameters = Parameters::Values(values);
        }
        Ok(())
    }

    /// A new statement of a session: paired with the one before it when they are the AUDIT record and the
    /// `statement:` line of one statement, else the one before it is done.
    fn statement(&mut self, session: &str, new: Pending) {
        let state = self.sessions.entry(session.to_string()).or_default();
        let pairs = state.pending.as_ref().is_some_and(|p| !p.paired && p.audit != new.audit && same_statement(&p.event, &new.event));
        if !pairs {
            let previous = state.pending.replace(new);
            return self.emit(previous);
        }
        let mut pending = state.pending.take().expect("checked");
        let (kept, dropped_line) = if new.audit {
            // The statement line came first (log_statement writes it before running): the AUDIT record
            // has more (class, object, rows), and the statement line's parameters if it has none.
            let mut audit = new;
            if let (Payload::Sql { parameters: p_audit, .. }, Payload::Sql { parameters: p_plain, .. }) = (&mut audit.event.payload, &pending.event.payload) {
                if !matches!(p_audit, Parameters::Values(_)) && matches!(p_plain, Parameters::Values(_)) {
                    *p_audit = p_plain.clone();
                }
            }
            audit.can_fail = audit.can_fail && pending.can_fail;
            (audit, pending.event.line)
        } else {
            pending.can_fail = pending.can_fail && new.can_fail;
            (pending, new.event.line)
        };
        let mut kept = kept;
        kept.paired = true;
        state.pending = Some(kept);
        self.ignore(dropped_line, "statement also logged as a pgaudit AUDIT record (counted once)");
    }

    fn audit(&mut self, rec: &LogRecord<'_>, actor: Option<String>, payload: &str, raw: &[u8]) {
        let audit = match parse_audit(payload) {
            Ok(a) => a,
            Err((column, reason)) => {
                (self.sink)(Parsed::Rejected(Rejection::new(rec.line, column, reason, raw).of_account(rec.user)));
                return;
            }
        };
        let weak = self.weak_sessions;
        let state = self.sessions.entry(rec.session.clone()).or_default();
        let id = (audit.statement_id.clone(), audit.substatement_id.clone());
        let close_in_time = state.last_time.is_some_and(|t| (rec.time - t).num_seconds().abs() <= 2);
        if state.last_statement.as_ref() == Some(&id) && (!weak || close_in_time) {
            state.last_time = Some(rec.time);
            return self.ignore(rec.line, "statement already logged (OBJECT or per-relation line)");
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
            actor,
            failure: None,
            payload: Payload::Sql { statement, parameters: audit.parameters, class: Some(audit.class), object, rows: audit.rows },
        };
        self.statement(&rec.session, Pending { event, audit: true, paired: false, can_fail: true, awaiting_parameters: false });
    }

    /// Every session's waiting statement, in line order (a server restart, the end of the file).
    fn flush_all(&mut self) {
        let mut rest: Vec<Pending> = self.sessions.drain().filter_map(|(_, s)| s.pending).collect();
        rest.sort_by_key(|p| p.event.line);
        for p in rest {
            (self.sink)(Parsed::Event(p.event));
        }
    }

    fn finish(mut self) {
        self.flush_all();
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

fn parse_csvlog(input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) -> std::io::Result<()> {
    let (tracked, lines) = NewlineTracking::new(input);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tracked);
    let mut assembler = Assembler { sessions: HashMap::new(), accounts: HashMap::new(), sink, weak_sessions: false };
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
                        (assembler.sink)(Parsed::Rejected(Rejection::new(line, 1, format!("log_time: {reason}"), &raw).of_account(account)));
                        continue;
                    }
                };
                if text.get(23) == Some("parallel worker") && text[13].starts_with("AUDIT: ") {
                    // pgaudit (before 18) logs a parallel query again in each worker, with no user: the
                    // leader's record (leader_pid) is the access.
                    (assembler.sink)(Parsed::ignored(line, "parallel worker's copy of its leader's AUDIT record"));
                    continue;
                }
                let rec = LogRecord {
                    line,
                    time,
                    user: Some(&text[1]),
                    pid: Some(&text[3]).filter(|p| !p.is_empty()),
                    session: if text[5].is_empty() { text[3].to_string() } else { text[5].to_string() },
                    severity: &text[11],
                    sqlstate: Some(&text[12]).filter(|s| !s.is_empty()),
                    message: Cow::Borrowed(&text[13]),
                    detail: text.get(14).filter(|d| !d.is_empty()),
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

fn parse_stderr(record_re: &Regex, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed), zone: Option<Zone>) -> std::io::Result<()> {
    let has_session = record_re.capture_names().any(|n| n == Some("session"));
    let mut assembler = Assembler { sessions: HashMap::new(), accounts: HashMap::new(), sink, weak_sessions: !has_session };
    let mut lines = Lines::new(input);
    // The record being gathered: first line number and its bytes (continuation lines joined with \n).
    let mut current: Option<(u64, Vec<u8>)> = None;
    let flush = |assembler: &mut Assembler<'_>, current: Option<(u64, Vec<u8>)>| {
        if let Some((line, bytes)) = current {
            stderr_record(record_re, assembler, line, &bytes, zone);
        }
    };
    // PostgreSQL starts every continuation line with a tab: a line starting with a date and time like the
    // prefix's but not matching it is a record of another layout, never glued to the one before it.
    let prefix_starts_with_time = record_re.as_str().starts_with("^(?P<time>");
    while let Some((line_no, bytes)) = lines.next_line()? {
        let starts_record = std::str::from_utf8(bytes).is_ok_and(|t| record_re.is_match(t));
        if starts_record {
            flush(&mut assembler, current.take());
            current = Some((line_no, bytes.to_vec()));
        } else if prefix_starts_with_time && starts_with_date_time(bytes) {
            flush(&mut assembler, current.take());
            let reason = "line starts like a log record but does not match the log_line_prefix: set `log_line_prefix` for this log to the server's setting (SHOW log_line_prefix)";
            (assembler.sink)(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes)));
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

/// `2024-03-04 10:00:00` (`%m`, `%t`) at the start of a line.
fn starts_with_date_time(line: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"0000-00-00 00:00:00";
    line.len() >= SHAPE.len() && line.iter().zip(SHAPE).all(|(b, s)| if *s == b'0' { b.is_ascii_digit() } else { b == s })
}

fn stderr_record(record_re: &Regex, assembler: &mut Assembler<'_>, line: u64, bytes: &[u8], zone: Option<Zone>) {
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
    let first = text.split_once('\n').map_or(text, |(f, _)| f);
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
            (assembler.sink)(Parsed::Rejected(Rejection::new(line, col as u64, reason, bytes).of_account(account)));
            return;
        }
    };
    let message_start = caps.name("message").map(|m| m.start()).unwrap_or(first.len());
    // PostgreSQL writes a tab after each newline of a message on stderr: it is not part of the statement.
    let message = &text[message_start..];
    let message = if message.contains("\n\t") { Cow::Owned(message.replace("\n\t", "\n")) } else { Cow::Borrowed(message) };
    let pid = caps.name("pid").map(|m| m.as_str());
    let session = match caps.name("session") {
        Some(s) => s.as_str().to_string(),
        None => format!(
            "{}|{}|{}",
            pid.unwrap_or(""),
            caps.name("user").map(|m| m.as_str()).unwrap_or(""),
            caps.name("db").map(|m| m.as_str()).unwrap_or("")
        ),
    };
    let rec = LogRecord {
        line,
        time,
        user: caps.name("user").map(|m| m.as_str()),
        pid,
        session,
        severity: caps.name("severity").map(|m| m.as_str()).unwrap_or(""),
        sqlstate: None,
        message,
        detail: None,
    };
    assembler.record(rec, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::timefmt::format_utc;

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
        assert!(out.iter().any(|p| matches!(p, Parsed::Ignored { line: 4, reason: crate::ingest::event::IgnoreReason::NotAnAccess("connection authorized (names the account of the process's statements)") })));
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
        let a = parse_audit("SESSION,1,1,READ,SELECT,,,\"select * from t where id = $1 and x = $2\",\"C1,\"\"a,b\"\"\",1").unwrap();
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

    fn actors(out: &[Parsed]) -> Vec<(u64, Option<&str>)> {
        let mut out: Vec<(u64, Option<&str>)> = events(out).iter().map(|e| (e.line, e.actor.as_deref())).collect();
        out.sort();
        out
    }

    fn sql_of(e: &RawEvent) -> (&str, &Parameters) {
        let Payload::Sql { statement: StatementText::Logged(sql), parameters, .. } = &e.payload else { panic!("{e:?}") };
        (sql, parameters)
    }

    fn ignored(out: &[Parsed], line: u64) -> &str {
        out.iter()
            .find_map(|p| match p {
                Parsed::Ignored { line: l, reason } if *l == line => Some(reason.as_str()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("line {line} not ignored: {out:?}"))
    }

    #[test]
    fn default_prefix_takes_the_account_from_the_connection_line() {
        let log = "2024-03-04 10:00:00.000 UTC [77] LOG:  connection received: host=10.0.0.9 port=5000\n\
2024-03-04 10:00:00.010 UTC [77] LOG:  connection authorized: user=k.walsh database=supportdb application_name=psql\n\
2024-03-04 10:00:01.000 UTC [78] LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C9'\n\
2024-03-04 10:00:02.000 UTC [77] LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C1'\n\
2024-03-04 10:00:03.000 UTC [77] LOG:  disconnection: session time: 0:00:03.000 user=k.walsh database=supportdb host=10.0.0.9 port=5000\n\
2024-03-04 10:00:04.000 UTC [77] LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C2'\n\
2024-03-04 10:00:05.000 UTC [79] LOG:  connection authorized: user=app database=supportdb\n\
2024-03-04 10:00:06.000 UTC [1] LOG:  database system is ready to accept connections\n\
2024-03-04 10:00:07.000 UTC [79] LOG:  statement: SELECT 1\n";
        let out = run(None, log);
        // Process 78 never logged its connection; 77's account ends at its disconnection; 79's at the restart.
        assert_eq!(actors(&out), vec![(3, None), (4, Some("k.walsh")), (6, None), (9, None)]);
        assert!(ignored(&out, 2).contains("connection authorized"));
        // Given as the server's setting, the prefix without %u reads the same.
        assert_eq!(actors(&run(Some("%m [%p] "), log)), actors(&out));
    }

    #[test]
    fn prefix_is_found_past_lines_without_an_account() {
        // An RDS log whose first lines are a background process and a parallel worker (no user).
        let log = "2024-03-04 10:00:00 UTC::@:[32064]:LOG:  checkpoint starting: time\n\
2024-03-04 10:00:01 UTC::@:[32065]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select * from customers where customer_id = 'C1',<none>\n\
2024-03-04 10:00:01 UTC:10.0.0.9(5432):k.walsh@supportdb:[32060]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select * from customers where customer_id = 'C1',<none>\n";
        let out = run(None, log);
        assert_eq!(actors(&out), vec![(2, None), (3, Some("k.walsh"))]);
        for (prefix, line) in [
            ("%t [%p] user=%u db=%d app=%a client=%h ", "2024-03-04 10:00:01 UTC [812] user=k.walsh db=supportdb app=psql client=10.0.0.9 LOG:  statement: select 1"),
            ("%t [%p]: [%l-1] user=%u,db=%d ", "2024-03-04 10:00:01 UTC [812]: [3-1] user=k.walsh,db=supportdb LOG:  statement: select 1"),
            ("%t:%r:%u@%d:[%p]:", "2024-03-04 10:00:01 UTC:10.0.0.9(5432):k.walsh@supportdb:[812]:LOG:  statement: select 1"),
            ("%m [%p] %q%u@%d ", "2024-03-04 10:00:01.123 CET [812] k.walsh@supportdb LOG:  statement: select 1"),
            ("%m %u %d [%p]: ", "2024-03-04 10:00:01.123 UTC k.walsh supportdb [812]: LOG:  statement: select 1"),
        ] {
            let text = format!("2024-03-04 10:00:00 UTC [1] LOG:  database system is ready to accept connections\n{line}\n");
            let re = detect_prefix(&text).unwrap_or_else(|| panic!("{prefix}"));
            assert_eq!(re.as_str(), compile_prefix(prefix).unwrap().as_str(), "{line}");
            assert!(looks_like(&text), "{line}");
        }
    }

    #[test]
    fn numeric_zone_after_a_space_matches_the_prefix() {
        let log = "2026-08-28 11:20:44.118 +08 [4021] k.walsh@supportdb LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C1'\n\
2026-08-28 11:20:45.000 -03 [4022] k.walsh@supportdb LOG:  statement: SELECT 2\n";
        let out = run(None, log);
        let ev = events(&out);
        assert_eq!(ev.len(), 2, "{out:?}");
        assert_eq!(format_utc(&ev[0].time), "2026-08-28T03:20:44.118Z");
        assert_eq!(format_utc(&ev[1].time), "2026-08-28T14:20:45Z");
    }

    #[test]
    fn zone_abbreviations_need_the_logs_zone() {
        let log = "2024-07-04 10:00:00.000 CDT [5] k.walsh@db LOG:  statement: SELECT 1\n2024-01-04 10:00:00.000 CST [5] k.walsh@db LOG:  statement: SELECT 2\n";
        let out = run(None, log);
        let Parsed::Rejected(r) = &out[0] else { panic!("{out:?}") };
        assert!(r.reason.contains("time_zone = \"America/Chicago\""), "{}", r.reason);
        let parser = PgauditParser::new(None, log.as_bytes()).unwrap().in_zone(Some(Zone::parse("America/Chicago").unwrap()));
        let mut out = Vec::new();
        parser.parse(&mut log.as_bytes(), &mut |p| out.push(p)).unwrap();
        let times: Vec<String> = events(&out).iter().map(|e| format_utc(&e.time)).collect();
        assert_eq!(times, ["2024-07-04T15:00:00Z", "2024-01-04T16:00:00Z"]);
    }

    #[test]
    fn log_statement_execute_and_its_parameters() {
        let log = "2024-03-04 10:00:00.000 UTC [7] k.walsh@db LOG:  execute S_1: SELECT * FROM customers WHERE customer_id = $1 AND state = $2\n\
2024-03-04 10:00:00.000 UTC [7] k.walsh@db DETAIL:  parameters: $1 = 'C1', $2 = 'it''s'\n\
2024-03-04 10:00:01.000 UTC [7] k.walsh@db LOG:  duration: 0.5 ms  parse <unnamed>: SELECT * FROM customers WHERE customer_id = $1\n\
2024-03-04 10:00:01.000 UTC [7] k.walsh@db LOG:  duration: 0.5 ms  bind <unnamed>: SELECT * FROM customers WHERE customer_id = $1\n\
2024-03-04 10:00:01.000 UTC [7] k.walsh@db DETAIL:  parameters: $1 = 'C2'\n\
2024-03-04 10:00:01.000 UTC [7] k.walsh@db LOG:  duration: 0.7 ms  execute <unnamed>: SELECT * FROM customers WHERE customer_id = $1\n\
2024-03-04 10:00:01.000 UTC [7] k.walsh@db DETAIL:  parameters: $1 = 'C2'\n\
2024-03-04 10:00:02.000 UTC [7] k.walsh@db LOG:  execute fetch from S_1/C_2: SELECT * FROM customers WHERE customer_id = $1 AND state = $2\n\
2024-03-04 10:00:03.000 UTC [7] k.walsh@db LOG:  execute S_3: SELECT * FROM customers WHERE customer_id = $1\n";
        let out = run(None, log);
        let ev = events(&out);
        assert_eq!(ev.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 6, 9], "{out:?}");
        assert_eq!(*sql_of(ev[0]).1, Parameters::Values(vec!["C1".into(), "it's".into()]));
        assert_eq!(*sql_of(ev[1]).1, Parameters::Values(vec!["C2".into()]));
        // No DETAIL followed (log_parameter_max_length = 0): the parameters are not logged.
        assert_eq!(*sql_of(ev[2]).1, Parameters::NotLogged);
        assert!(ignored(&out, 2).contains("bind parameters"));
        assert!(ignored(&out, 3).contains("parse or bind step"));
        assert!(ignored(&out, 8).contains("execute fetch from"));
    }

    #[test]
    fn detail_parameters() {
        assert_eq!(parse_detail_parameters("$1 = 'a', $2 = NULL, $3 = 'x, y'''").unwrap(), ["a", "", "x, y'"]);
        assert_eq!(parse_detail_parameters("$2 = 'b', $1 = 'a'").unwrap(), ["a", "b"]);
        assert_eq!(parse_detail_parameters("$1 = 'multi\nline'").unwrap(), ["multi\nline"]);
        assert!(parse_detail_parameters("$1 = 'unterminated").is_none());
        assert!(parse_detail_parameters("$2 = 'gap'").is_none());
        assert!(parse_detail_parameters("prepare: PREPARE x AS SELECT 1").is_none());
    }

    #[test]
    fn error_fails_the_statement_before_it_but_not_a_finished_one() {
        let log = "2024-03-04 10:00:00.000 UTC [7] u@db LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C1'\n\
2024-03-04 10:00:00.001 UTC [7] u@db ERROR:  permission denied for table customers\n\
2024-03-04 10:00:00.001 UTC [7] u@db STATEMENT:  SELECT * FROM customers WHERE customer_id = 'C1'\n\
2024-03-04 10:00:01.000 UTC [7] u@db LOG:  duration: 1.2 ms  statement: SELECT * FROM customers WHERE customer_id = 'C2'\n\
2024-03-04 10:00:02.000 UTC [7] u@db ERROR:  relation \"nope\" does not exist at character 15\n\
2024-03-04 10:00:03.000 UTC [7] u@db LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C3'\n\
2024-03-04 10:00:03.001 UTC [7] u@db LOG:  duration: 0.3 ms\n\
2024-03-04 10:00:04.000 UTC [7] u@db ERROR:  canceling statement due to user request\n";
        let out = run(None, log);
        let ev = events(&out);
        let failures: Vec<(u64, Option<&str>)> = ev.iter().map(|e| (e.line, e.failure.as_deref())).collect();
        assert_eq!(failures, [(1, Some("permission denied for table customers")), (4, None), (6, None)]);
        assert!(ignored(&out, 3).contains("statement of the error"));
    }

    #[test]
    fn statement_line_and_audit_record_count_once() {
        let log = "2024-03-04 10:00:00.000 UTC [7] u@db LOG:  statement: SELECT *\n\t  FROM customers WHERE customer_id = 'C1';\n\
2024-03-04 10:00:00.001 UTC [7] u@db LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"SELECT *\n\t  FROM customers WHERE customer_id = 'C1';\",<none>\n\
2024-03-04 10:00:00.001 UTC [7] u@db LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.customers,<previously logged>,<previously logged>\n\
2024-03-04 10:00:01.000 UTC [7] u@db LOG:  AUDIT: SESSION,2,1,READ,SELECT,,,SELECT * FROM customers WHERE customer_id = 'C2',<none>,1\n\
2024-03-04 10:00:01.002 UTC [7] u@db LOG:  duration: 0.9 ms  statement: SELECT * FROM customers WHERE customer_id = 'C2'\n\
2024-03-04 10:00:02.000 UTC [7] u@db ERROR:  canceling statement due to statement timeout\n\
2024-03-04 10:00:03.000 UTC [7] u@db LOG:  statement: SELECT * FROM customers WHERE customer_id = 'C2'\n";
        let out = run(None, log);
        let ev = events(&out);
        assert_eq!(ev.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 6, 9], "{out:?}");
        // The AUDIT record is kept (it has the class); the tab PostgreSQL adds after a newline is not SQL.
        let Payload::Sql { class, rows, .. } = &ev[1].payload else { panic!() };
        assert_eq!((class.as_deref(), *rows), (Some("READ"), Some(1)));
        assert_eq!(sql_of(ev[0]).0, "SELECT *\n  FROM customers WHERE customer_id = 'C1';");
        assert!(ignored(&out, 1).contains("also logged as a pgaudit AUDIT record"));
        assert!(ignored(&out, 7).contains("also logged as a pgaudit AUDIT record"));
        // The duration line says statement 2 finished: the later error is another statement's.
        assert_eq!(ev[1].failure, None);
        // The same text again, later, is another statement.
        assert_eq!(sql_of(ev[2]).0, "SELECT * FROM customers WHERE customer_id = 'C2'");
    }

    #[test]
    fn csvlog_without_pgaudit() {
        let log = "2021-01-04 00:51:56.843 UTC,\"k.walsh\",\"supportdb\",105,\"10.0.0.9:44618\",5ff26691.69,8,\"SELECT\",2021-01-04 00:51:29 UTC,3/136,0,LOG,00000,\"duration: 0.455 ms  execute py:0x7f: SELECT * FROM customers WHERE customer_id = $1\",\"parameters: $1 = 'C7'\",,,,,,,,\"\"\n\
2021-01-04 00:51:57.000 UTC,\"k.walsh\",\"supportdb\",105,\"10.0.0.9:44618\",5ff26691.69,9,\"idle\",2021-01-04 00:51:29 UTC,3/137,0,LOG,00000,\"statement: SELECT email FROM customers WHERE customer_id = 'C8'\",,,,,,,,,\"psql\"\n";
        assert!(looks_like(log));
        let out = run(None, log);
        let ev = events(&out);
        assert_eq!(actors(&out), vec![(1, Some("k.walsh")), (2, Some("k.walsh"))]);
        assert_eq!(*sql_of(ev[0]).1, Parameters::Values(vec!["C7".into()]));
    }

    #[test]
    fn pgaudit_parameters_are_one_csv_field() {
        // pgaudit writes the values as one field holding a CSV list (expected/pgaudit.out).
        let a = parse_audit("OBJECT,1,1,WRITE,INSERT,TABLE,public.test4,\"INSERT INTO test4 VALUES($1, $2)\",\"2,abc\"").unwrap();
        assert_eq!(a.parameters, Parameters::Values(vec!["2".into(), "abc".into()]));
        let a = parse_audit("SESSION,1,1,WRITE,UPDATE,,,\"UPDATE t SET a = $1 WHERE id = $3\",\",,1\",1").unwrap();
        assert_eq!((a.parameters, a.rows), (Parameters::Values(vec!["".into(), "".into(), "1".into()]), Some(1)));
        let a = parse_audit("OBJECT,1,1,WRITE,INSERT,TABLE,public.test4,\"INSERT INTO test4 VALUES($1, $2)\",\"1,<long param suppressed>\"").unwrap();
        assert_eq!(a.parameters, Parameters::NotLogged);
        let a = parse_audit("SESSION,1,1,READ,SELECT,,,select * from t where id = $1,\"\"\"a,b\"\"\"").unwrap();
        assert_eq!(a.parameters, Parameters::Values(vec!["a,b".into()]));
        assert!(parse_audit("SESSION,1,1,READ,SELECT,,,select 1,a,b,1").unwrap_err().1.contains("one field"));
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
    fn a_line_of_another_layout_is_rejected_not_glued_to_the_record_before() {
        // Detected from background lines alone, the prefix is Debian's; a statement line in another layout
        // must not become part of the line before it.
        let log = "2024-03-04 10:00:00.000 UTC [1] LOG:  database system is ready to accept connections\n\
2024-03-04 10:00:01.000 UTC [7] user=k.walsh,db=supportdb,app=psql,client=10.0.0.9 LOG:  statement: SELECT 1\n\
\tFROM customers\n";
        let out = run(Some("%m [%p] %q%u@%d "), log);
        let Parsed::Rejected(r) = out.iter().find(|p| matches!(p, Parsed::Rejected(_))).unwrap() else { unreachable!() };
        assert_eq!(r.line, 2);
        assert!(r.reason.contains("does not match the log_line_prefix"), "{}", r.reason);
        assert!(starts_with_date_time(b"2024-03-04 10:00:01 UTC"));
        assert!(!starts_with_date_time(b"\t2024-03-04 10:00:01"));
    }

    #[test]
    fn csvlog_parallel_worker_copies_are_not_second_accesses() {
        let row = |pid: u32, user: &str, backend: &str| {
            format!("2024-03-04 10:00:01.000 UTC,\"{user}\",\"db\",{pid},,65e59e3d.{pid:x},1,\"SELECT\",2024-03-04 10:00:00 UTC,3/1,0,LOG,00000,\"AUDIT: SESSION,1,1,READ,SELECT,,,\"\"SELECT * FROM customers WHERE state = 'VT'\"\",<none>\",,,,,,,,,\"psql\",\"{backend}\",{},-1234\n", if backend == "parallel worker" { "812" } else { "" })
        };
        let log = format!("{}{}", row(812, "k.walsh", "client backend"), row(813, "", "parallel worker"));
        let out = run(None, &log);
        assert_eq!(actors(&out), vec![(1, Some("k.walsh"))]);
        assert!(ignored(&out, 2).contains("parallel worker"));
    }

    /// A line as PostgreSQL writes it with `prefix`, for a process of `user` (empty: a background process).
    fn prefixed_line(prefix: &str, user: &str, pid: u32, message: &str) -> String {
        let mut out = String::new();
        let mut chars = prefix.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('m') => out.push_str("2024-03-04 10:00:01.123 UTC"),
                Some('t') => out.push_str("2024-03-04 10:00:01 UTC"),
                Some('p') => out.push_str(&pid.to_string()),
                Some('u') => out.push_str(user),
                Some('d') => out.push_str(if user.is_empty() { "" } else { "supportdb" }),
                Some('a') => out.push_str(if user.is_empty() { "" } else { "psql" }),
                Some('h') => out.push_str(if user.is_empty() { "" } else { "10.0.0.9" }),
                Some('r') => out.push_str(if user.is_empty() { "" } else { "10.0.0.9(5432)" }),
                Some('l') => out.push('3'),
                Some('q') if user.is_empty() => break,
                _ => {}
            }
        }
        format!("{out}LOG:  {message}")
    }

    proptest::proptest! {
        /// Whatever the common prefix and the account, the account read is the line's `%u`, also when a
        /// background line without one comes first.
        #[test]
        fn the_account_read_is_the_prefix_user(
            which in 0..COMMON_PREFIXES.len(), user in "[a-z][a-z0-9._-]{0,11}", pid in 1u32..99999, background_first in proptest::bool::ANY,
        ) {
            let prefix = COMMON_PREFIXES[which];
            proptest::prop_assume!(prefix.contains("%u"));
            let statement = prefixed_line(prefix, &user, pid, "statement: SELECT * FROM customers WHERE customer_id = 'C1'");
            let log = if background_first {
                format!("{}\n{statement}\n", prefixed_line(prefix, "", 1, "checkpoint starting: time"))
            } else {
                format!("{statement}\n")
            };
            let out = run(None, &log);
            let read: Vec<Option<&str>> = events(&out).iter().map(|e| e.actor.as_deref()).collect();
            proptest::prop_assert_eq!(read, vec![Some(user.as_str())], "{}", log);
        }
    }

    proptest::proptest! {
        /// Whatever the values, PostgreSQL's `parameters:` detail reads back as written.
        #[test]
        fn detail_parameters_round_trip(values in proptest::collection::vec(proptest::option::of("[ -~\n]{0,12}"), 1..6)) {
            let text: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Some(v) => format!("${} = '{}'", i + 1, v.replace('\'', "''")),
                    None => format!("${} = NULL", i + 1),
                })
                .collect();
            let expected: Vec<String> = values.iter().map(|v| v.clone().unwrap_or_default()).collect();
            proptest::prop_assert_eq!(parse_detail_parameters(&text.join(", ")), Some(expected));
        }
    }
}
