//! Apache/nginx access logs: combined (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`) and
//! common (without referer and user agent), also with more before the client: Debian's `vhost_combined`
//! (`%v:%p` first), nginx's `$host` first, a proxy chain or a quoted X-Forwarded-For first. The account is
//! `%u` (`$remote_user`): the field right before `[time]`, after the identity field `-`; `-` means none.
//! A line where the account cannot be told apart that way is rejected with the reason, never read with
//! another account.
//!
//! With the server's own format string (`log_format` in the case, `--log-format` for `inspect`) a line is
//! read field by field instead, whatever the layout: see [`LogLayout`].

use std::borrow::Cow;
use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::read::lines::{utf8, Lines};
use crate::read::timefmt::{self, Timestamp, Zone};

/// The common/combined layouts, read by the account rule above.
pub struct CombinedParser;

/// Whether a line has the shape of a common/combined log line (`[time] "request" status`, something before).
pub fn looks_like(line: &str) -> bool {
    shape(line).is_ok()
}

impl LogParser for CombinedParser {
    fn format(&self) -> Format {
        Format::Combined
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        read_lines(self, input, sink)
    }
}

/// What a line says, in either reading.
struct Access<'a> {
    user: Option<&'a str>,
    time: Timestamp,
    method: &'a str,
    target: Cow<'a, str>,
    status: u16,
}

/// Why a line cannot be read: the 1-based byte column, the reason, and the account where it was read
/// before the problem (a bad time after a clear `%u`).
type Unread<'a> = (usize, String, Option<&'a str>);

/// One line's reading; on failure the 1-based byte column and the reason.
trait ReadLine {
    fn read<'a>(&self, line: &'a str) -> Result<Access<'a>, Unread<'a>>;
}

fn read_lines(reader: &impl ReadLine, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
    let mut lines = Lines::new(input);
    while let Some((line_no, bytes)) = lines.next_line()? {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            sink(Parsed::ignored(line_no, "blank line"));
            continue;
        }
        let text = match utf8(bytes) {
            Ok(t) => t,
            Err(col) => {
                sink(Parsed::Rejected(Rejection::new(line_no, col, "invalid UTF-8", bytes)));
                continue;
            }
        };
        match reader.read(text) {
            Ok(a) => sink(Parsed::Event(RawEvent {
                line: line_no,
                time: a.time,
                actor: a.user.map(str::to_string),
                failure: (a.status >= 400).then(|| format!("HTTP {}", a.status)),
                payload: Payload::Http { method: a.method.to_string(), target: a.target.into_owned(), status: a.status },
            })),
            Err((column, reason, account)) => sink(Parsed::Rejected(Rejection::new(line_no, column as u64, reason, bytes).of_account(account))),
        }
    }
    Ok(())
}

impl ReadLine for CombinedParser {
    fn read<'a>(&self, line: &'a str) -> Result<Access<'a>, Unread<'a>> {
        let fields = parse_line(line).map_err(|(column, reason)| (column, reason, None))?;
        let time = timefmt::parse_clf(fields.time).map_err(|reason| (fields.time_column, reason, fields.user))?;
        Ok(Access { user: fields.user, time, method: fields.method, target: Cow::Borrowed(fields.target), status: fields.status })
    }
}

#[derive(Debug, PartialEq)]
pub struct LineFields<'a> {
    /// What stands before the identity field: the client, or a virtual host and the client, a proxy chain...
    pub host: &'a str,
    /// The account; `None` for `-` (and Apache's `""`, an empty name).
    pub user: Option<&'a str>,
    pub time: &'a str,
    pub time_column: usize,
    pub method: &'a str,
    pub target: &'a str,
    pub status: u16,
}

/// Splits a line; on failure returns the 1-based byte column and the reason.
pub fn parse_line(line: &str) -> Result<LineFields<'_>, (usize, String)> {
    let s = shape(line)?;
    let (host, user) = account(s.before)?;
    Ok(LineFields { host, user, time: s.time, time_column: s.time_column, method: s.method, target: s.target, status: s.status })
}

/// A line from `[time]` on, and the text before it.
struct Shape<'a> {
    before: &'a str,
    time: &'a str,
    time_column: usize,
    method: &'a str,
    target: &'a str,
    status: u16,
}

fn shape(line: &str) -> Result<Shape<'_>, (usize, String)> {
    let col = |rest: &str| line.len() - rest.len() + 1;
    let open = find_time(line).ok_or((1, "missing `[time]`: not a common/combined access log line".to_string()))?;
    let before = &line[..open - 1];
    let rest = &line[open + 1..];
    let time_column = col(rest);
    let close = rest.find(']').ok_or((time_column, "unterminated `[time]`".to_string()))?;
    let time = &rest[..close];
    let rest = rest[close + 1..].strip_prefix(" \"").ok_or((col(&rest[close + 1..]), "missing quoted request".to_string()))?;
    let request_column = col(rest);
    let end = closing_quote(rest).ok_or((request_column, "unterminated quoted request".to_string()))?;
    let request = &rest[..end];
    let rest = rest[end + 1..].trim_start();
    let status_text = rest.split(' ').next().unwrap_or_default();
    let status = parse_status(status_text).ok_or((col(rest), format!("status `{status_text}` is not an HTTP status")))?;
    let (method, target) = split_request(request);
    Ok(Shape { before, time, time_column, method, target, status })
}

fn parse_status(text: &str) -> Option<u16> {
    text.parse().ok().filter(|s| (100..=599).contains(s))
}

/// Method and target of a request line (`GET /x HTTP/1.1`).
fn split_request(request: &str) -> (&str, &str) {
    let mut parts = request.split(' ');
    (parts.next().unwrap_or("-"), parts.next().unwrap_or(""))
}

/// Byte index of the `[` that opens the time: the first ` [` followed by a `dd/Mon/yyyy:HH:MM:SS +zzzz]`
/// time, else the first ` [` (whose time is then rejected with the reason).
fn find_time(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut first = None;
    for i in memchr::memchr_iter(b'[', bytes) {
        if i == 0 || bytes[i - 1] != b' ' {
            continue;
        }
        first.get_or_insert(i);
        if clf_shaped(&bytes[i + 1..]) {
            return Some(i);
        }
    }
    first
}

/// `dd/Mon/yyyy:HH:MM:SS +zzzz]` at the start of `bytes`.
fn clf_shaped(bytes: &[u8]) -> bool {
    const SHAPE: &[u8; 27] = b"00/Aaa/0000:00:00:00 +0000]";
    bytes.len() >= SHAPE.len()
        && SHAPE.iter().zip(bytes).all(|(s, c)| match s {
            b'0' => c.is_ascii_digit(),
            b'A' => c.is_ascii_uppercase(),
            b'a' => c.is_ascii_lowercase(),
            b'+' => *c == b'+' || *c == b'-',
            other => c == other,
        })
}

/// The account in the text before `[time]`: its last field, with the identity field `-` before it, and
/// at least one field (the client, a virtual host, a proxy chain...) before that. Fields are separated by
/// one space; a field opening with `"` runs to its closing quote (a quoted X-Forwarded-For). What comes
/// before the identity field is not read, whatever it is. Returns that text and the account (`None`: `-`).
///
/// A name with spaces cannot be told from the fields before it (`- Kate Walsh` reads as identity `Kate`),
/// so a line whose next-to-last field is not `-` is rejected, as is an address or a quoted field where the
/// account should be (another layout). A name that itself reads as `host - name` cannot be caught here: for
/// such servers, `log_format` reads the line by the server's own format.
fn account(before: &str) -> Result<(&str, Option<&str>), (usize, String)> {
    let fields = split_fields(before)?;
    let n = fields.len();
    if n < 3 {
        return Err((1, format!("{n} field(s) before `[time]`: expected the client, the identity `-` and the account")));
    }
    let (ident_at, ident) = fields[n - 2];
    let (user_at, user) = fields[n - 1];
    if ident != "-" {
        return Err((
            ident_at + 1,
            format!(
                "`{ident} {user}` before `[time]`: the field before the account is not the identity `-`, so the account cannot be told apart (a name with spaces, or another layout): give the server's `log_format`"
            ),
        ));
    }
    let host = before[..ident_at].trim_end_matches(' ');
    match user {
        "-" | "\"\"" => Ok((host, None)),
        "" => Err((user_at + 1, "empty account field (two spaces before `[time]`)".to_string())),
        quoted if quoted.starts_with('"') => Err((
            user_at + 1,
            format!("quoted field {quoted} where the account should be (another layout): give the server's `log_format`"),
        )),
        address if address.parse::<std::net::IpAddr>().is_ok() || address.parse::<std::net::SocketAddr>().is_ok() => Err((
            user_at + 1,
            format!("the field before `[time]` is the address `{address}`, not an account (another layout): give the server's `log_format`"),
        )),
        name => Ok((host, Some(name))),
    }
}

/// The space-separated fields of `text` with their byte offsets; a field opening with `"` runs to its
/// closing (unescaped) quote, which must end it.
fn split_fields(text: &str) -> Result<Vec<(usize, &str)>, (usize, String)> {
    let bytes = text.as_bytes();
    let mut fields = Vec::with_capacity(4);
    let mut at = 0;
    loop {
        let end = if bytes.get(at) == Some(&b'"') {
            let close = closing_quote(&text[at + 1..]).ok_or((at + 1, "unterminated quote before `[time]`".to_string()))?;
            let end = at + 1 + close + 1;
            if end < bytes.len() && bytes[end] != b' ' {
                return Err((end + 1, "a quoted field runs into the next one (no space after its closing quote)".to_string()));
            }
            end
        } else {
            text[at..].find(' ').map_or(text.len(), |k| at + k)
        };
        fields.push((at, &text[at..end]));
        if end >= text.len() {
            return Ok(fields);
        }
        at = end + 1;
    }
}

/// Index of the first `"` not escaped by a backslash.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------
// The server's own format string

/// A server's access-log format (`log_format`) compiled into literal text and fields: Apache
/// mod_log_config `%` directives (`%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`) or nginx
/// `$` variables (`$remote_addr - $remote_user [$time_local] "$request" $status ...`). A line is matched
/// against it whole: each field runs to the literal text after it; a field between `"`s runs to the
/// closing unescaped quote. A field that may hold spaces (the account, a header, an `$upstream_addr`
/// list) is tried at every place the next literal occurs, and a line that the format reads more than one
/// way, with different accounts, times or requests, is rejected.
#[derive(Clone, Debug)]
pub struct LogLayout {
    items: Vec<Item>,
}

#[derive(Clone, Debug)]
enum Item {
    Text(String),
    Field(Field),
}

#[derive(Clone, Debug)]
struct Field {
    /// As written in the format (`%>s`, `$remote_user`).
    name: String,
    role: Role,
    shape: FieldShape,
}

#[derive(Clone, Debug, PartialEq)]
enum Role {
    User,
    Time(TimeKind),
    /// The request line: `GET /x?a=1 HTTP/1.1`.
    Request,
    Method,
    /// The path without the query (`%U`, `$uri`).
    Path,
    /// The query with its `?`, or nothing (`%q`).
    Query,
    /// The query without `?` (`$args`).
    Args,
    /// Path and query (`$request_uri`).
    Uri,
    Status,
    /// The client's address (`%h`, `%a`, `$remote_addr`): never `-`.
    Client,
    Other,
}

#[derive(Clone, Debug, PartialEq)]
enum TimeKind {
    /// `dd/Mon/yyyy:HH:MM:SS +zzzz`, with or without brackets.
    Clf,
    Iso8601,
    /// Seconds since the epoch, with a fraction or not (`$msec`, `%{sec}t`).
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    /// Apache `%{FORMAT}t`: strftime.
    Strftime(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum FieldShape {
    /// No spaces.
    Token,
    /// Anything, spaces included.
    Free,
    /// Between `"`s: up to the first unescaped `"`.
    Quoted,
    /// `[...]`: up to the first `]`.
    Bracketed,
    /// `dd/Mon/yyyy:HH:MM:SS +zzzz` (nginx `$time_local`).
    Clf,
}

const NO_USER: &str = "no account field: add `%u` (Apache) or `$remote_user` (nginx) where the server writes it, as in its configuration";

impl LogLayout {
    /// Compiles a format string; the error says what is wrong and how to write it.
    pub fn compile(format: &str) -> Result<LogLayout, String> {
        if format.trim().is_empty() {
            return Err(format!("is empty: {NO_USER}"));
        }
        let apache = regex::Regex::new(r"%[<>!0-9,]*(\{[^}]*\})?[A-Za-z^]").expect("valid regex").is_match(format);
        let nginx = regex::Regex::new(r"\$(\{[A-Za-z_]|[A-Za-z_])").expect("valid regex").is_match(format);
        let mut items = match (apache, nginx) {
            (true, true) => {
                return Err("mixes Apache `%` directives and nginx `$` variables: give the one server's format string as its configuration writes it".into())
            }
            (false, true) => nginx_items(format)?,
            _ => apache_items(format)?,
        };
        // A field between quotes runs to the closing quote.
        for i in 0..items.len() {
            let quoted_before = i > 0 && matches!(&items[i - 1], Item::Text(t) if t.ends_with('"'));
            let quoted_after = matches!(items.get(i + 1), Some(Item::Text(t)) if t.starts_with('"'));
            if let Item::Field(field) = &mut items[i] {
                if quoted_before && quoted_after {
                    field.shape = FieldShape::Quoted;
                }
            }
        }
        let count = |pick: &dyn Fn(&Role) -> bool| items.iter().filter(|i| matches!(i, Item::Field(f) if pick(&f.role))).count();
        match count(&|r| *r == Role::User) {
            0 => return Err(NO_USER.into()),
            1 => {}
            n => return Err(format!("the account field appears {n} times: give the server's format string, with one `%u` or `$remote_user`")),
        }
        match count(&|r| matches!(r, Role::Time(_))) {
            0 => return Err("no time field: add `%t` (Apache) or `$time_local` / `$time_iso8601` (nginx) where the server writes it".into()),
            1 => {}
            n => return Err(format!("{n} time fields: breachscope reads one; keep `%t` (or the one `%{{...}}t`, `$time_local`, `$time_iso8601`)")),
        }
        if count(&|r| matches!(r, Role::Request | Role::Path | Role::Uri)) == 0 {
            return Err("no request field: add `%r` or `%U` (Apache), `$request`, `$request_uri` or `$uri` (nginx): without it the records read are not known".into());
        }
        if count(&|r| *r == Role::Status) == 0 {
            return Err("no status field: add `%>s` (Apache) or `$status` (nginx)".into());
        }
        Ok(LogLayout { items })
    }

    /// Whether the time field has no zone of its own (an Apache `%{FORMAT}t` without `%z`).
    fn zoneless(&self) -> bool {
        self.fields().any(|f| matches!(&f.role, Role::Time(TimeKind::Strftime(fmt)) if !["%z", "%:z", "%::z", "%#z", "%s"].iter().any(|z| fmt.contains(z))))
    }

    fn fields(&self) -> impl Iterator<Item = &Field> {
        self.items.iter().filter_map(|i| match i {
            Item::Field(f) => Some(f),
            Item::Text(_) => None,
        })
    }
}

/// Apache mod_log_config syntax: `%` [conditions or `<`/`>`] [`{name}`] letter; `%%` is a percent sign.
fn apache_items(format: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut text = String::new();
    let mut chars = format.char_indices().peekable();
    let position = |at: usize| format[..at].chars().count() + 1;
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => unescape(&mut chars, &mut text),
            '%' => {
                let mut modifiers = String::new();
                while let Some(&(_, m)) = chars.peek() {
                    if !"<>!0123456789,".contains(m) {
                        break;
                    }
                    modifiers.push(m);
                    chars.next();
                }
                let mut arg = None;
                if chars.peek().is_some_and(|&(_, b)| b == '{') {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, ch)) => name.push(ch),
                            None => return Err(format!("`%{{` at character {} has no closing `}}`", position(at))),
                        }
                    }
                    arg = Some(name);
                }
                let mut directive = match chars.next() {
                    Some((_, d)) => d.to_string(),
                    None => return Err("ends with a lone `%`: write `%%` for a percent sign".into()),
                };
                if directive == "^" {
                    directive.extend(chars.next().map(|(_, d)| d));
                    directive.extend(chars.next().map(|(_, d)| d));
                }
                if directive == "%" && modifiers.is_empty() && arg.is_none() {
                    text.push('%');
                    continue;
                }
                let written = format!("%{modifiers}{}{directive}", arg.as_ref().map(|a| format!("{{{a}}}")).unwrap_or_default());
                let (role, shape) = apache_field(&directive, arg.as_deref()).map_err(|e| match e {
                    FieldError::Unknown => format!(
                        "unknown directive `{written}` at character {}: use Apache's LogFormat directives (%h %l %u %t %r %>s %b %{{Header}}i ...) as in the server's configuration",
                        position(at)
                    ),
                    FieldError::NeedsName => format!("`{written}` at character {} needs a name in braces, as `%{{User-Agent}}i`", position(at)),
                })?;
                if !text.is_empty() {
                    items.push(Item::Text(std::mem::take(&mut text)));
                }
                items.push(Item::Field(Field { name: written, role, shape }));
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        items.push(Item::Text(text));
    }
    Ok(items)
}

enum FieldError {
    Unknown,
    NeedsName,
}

fn apache_field(directive: &str, arg: Option<&str>) -> Result<(Role, FieldShape), FieldError> {
    use FieldShape::{Bracketed, Free, Token};
    Ok(match directive {
        "u" => (Role::User, Free),
        "t" => match arg {
            None => (Role::Time(TimeKind::Clf), Bracketed),
            Some(arg) => {
                let arg = arg.strip_prefix("begin:").or_else(|| arg.strip_prefix("end:")).unwrap_or(arg);
                match arg {
                    "sec" => (Role::Time(TimeKind::EpochSeconds), Token),
                    "msec" => (Role::Time(TimeKind::EpochMillis), Token),
                    "usec" => (Role::Time(TimeKind::EpochMicros), Token),
                    "msec_frac" | "usec_frac" => (Role::Other, Token),
                    strftime => (Role::Time(TimeKind::Strftime(strftime.to_string())), Free),
                }
            }
        },
        "r" => (Role::Request, Free),
        "m" => (Role::Method, Token),
        // The path is logged decoded: it may hold spaces.
        "U" => (Role::Path, Free),
        "q" => (Role::Query, Token),
        "s" => (Role::Status, Token),
        "a" | "h" => (Role::Client, Token),
        "A" | "b" | "B" | "D" | "H" | "I" | "k" | "l" | "L" | "O" | "p" | "P" | "R" | "S" | "T" | "v" | "V" | "X" | "^FB" => (Role::Other, Token),
        "f" => (Role::Other, Free),
        "C" | "e" | "i" | "n" | "o" | "x" | "c" | "^ti" | "^to" => match arg {
            Some(_) => (Role::Other, Free),
            None => return Err(FieldError::NeedsName),
        },
        _ => return Err(FieldError::Unknown),
    })
}

/// nginx syntax: `$name` or `${name}`; any variable is a field (only some are read).
fn nginx_items(format: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut text = String::new();
    let mut chars = format.char_indices().peekable();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => unescape(&mut chars, &mut text),
            '$' => {
                let mut name = String::new();
                if chars.peek().is_some_and(|&(_, b)| b == '{') {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, ch)) => name.push(ch),
                            None => return Err(format!("`${{` at character {} has no closing `}}`", format[..at].chars().count() + 1)),
                        }
                    }
                } else {
                    while let Some(&(_, ch)) = chars.peek() {
                        if !is_name(ch) {
                            break;
                        }
                        name.push(ch);
                        chars.next();
                    }
                }
                if name.is_empty() {
                    text.push('$');
                    continue;
                }
                if !text.is_empty() {
                    items.push(Item::Text(std::mem::take(&mut text)));
                }
                let (role, shape) = nginx_field(&name);
                items.push(Item::Field(Field { name: format!("${name}"), role, shape }));
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        items.push(Item::Text(text));
    }
    Ok(items)
}

fn nginx_field(name: &str) -> (Role, FieldShape) {
    use FieldShape::{Clf, Free, Token};
    match name {
        "remote_user" => (Role::User, Free),
        "time_local" => (Role::Time(TimeKind::Clf), Clf),
        "time_iso8601" => (Role::Time(TimeKind::Iso8601), Token),
        "msec" => (Role::Time(TimeKind::EpochSeconds), Token),
        "request" => (Role::Request, Free),
        "request_method" => (Role::Method, Token),
        "request_uri" => (Role::Uri, Token),
        // Decoded and normalised: may hold spaces.
        "uri" | "document_uri" => (Role::Path, Free),
        "args" | "query_string" => (Role::Args, Token),
        "status" => (Role::Status, Token),
        "remote_addr" | "realip_remote_addr" => (Role::Client, Token),
        "remote_port" | "server_addr" | "server_port" | "host" | "hostname" | "server_name" | "server_protocol"
        | "scheme" | "https" | "request_length" | "bytes_sent" | "body_bytes_sent" | "connection" | "connection_requests" | "pipe" | "request_time"
        | "request_id" | "gzip_ratio" | "ssl_protocol" | "ssl_cipher" | "content_length" | "pid" | "proxy_protocol_addr" => (Role::Other, Token),
        // `$upstream_addr` and the other `$upstream_*` are lists (`a, b : c`); headers and cookies hold spaces.
        _ => (Role::Other, Free),
    }
}

/// A backslash in the format as the server's configuration file writes it (`\"` in a LogFormat line).
fn unescape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, text: &mut String) {
    match chars.peek().map(|&(_, c)| c) {
        Some(c @ ('"' | '\\' | '\'')) => {
            text.push(c);
            chars.next();
        }
        Some('t') => {
            text.push('\t');
            chars.next();
        }
        _ => text.push('\\'),
    }
}

/// The most steps one line's matching may take (a format with many fields that may hold spaces, next to
/// each other, can be read many ways).
const MATCH_STEPS: u32 = 20_000;

/// A web log read with the server's format string.
pub struct LayoutParser {
    layout: LogLayout,
    /// The zone of an Apache `%{FORMAT}t` time written without one.
    time_zone: Option<Zone>,
}

impl LayoutParser {
    /// The parser for `format`; `time_zone` is used for a time the format writes without a zone (and needed then).
    pub fn new(format: &str, time_zone: Option<Zone>) -> Result<LayoutParser, String> {
        let layout = LogLayout::compile(format)?;
        if layout.zoneless() && time_zone.is_none() {
            return Err("its time has no zone (no `%z` in `%{...}t`): set `time_zone` for this log".into());
        }
        Ok(LayoutParser { layout, time_zone })
    }
}

impl LogParser for LayoutParser {
    fn format(&self) -> Format {
        Format::Combined
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        read_lines(self, input, sink)
    }
}

impl ReadLine for LayoutParser {
    fn read<'a>(&self, line: &'a str) -> Result<Access<'a>, Unread<'a>> {
        let mut search = Search {
            items: &self.layout.items,
            line,
            zone: self.time_zone,
            spans: vec![(0, 0); self.layout.items.len()],
            first: None,
            second: None,
            steps: 0,
            furthest: (0, 0),
        };
        search.from(0, 0);
        if search.steps > MATCH_STEPS {
            return Err((1, "the line can be read too many ways against `log_format`".to_string(), None));
        }
        let Some(spans) = search.first.take() else {
            let (at, item) = search.furthest;
            let expected = match self.layout.items.get(item) {
                Some(Item::Text(t)) => format!("`{t}`"),
                Some(Item::Field(f)) if f.shape == FieldShape::Quoted => format!("`{}` and its closing quote", f.name),
                Some(Item::Field(f)) => format!("`{}`", f.name),
                None => "the end of the line".to_string(),
            };
            return Err((at + 1, format!("does not match `log_format`: expected {expected} here"), None));
        };
        let found = Reading::of(&self.layout.items, &spans, line);
        if let Some(other) = search.second {
            let other = Reading::of(&self.layout.items, &other, line);
            let (what, one, two) = if found.user.1 != other.user.1 {
                ("account", Cow::Borrowed(found.user.1), Cow::Borrowed(other.user.1))
            } else if found.time.1 != other.time.1 {
                ("time", Cow::Borrowed(found.time.1), Cow::Borrowed(other.time.1))
            } else if found.status.1 != other.status.1 {
                ("status", Cow::Borrowed(found.status.1), Cow::Borrowed(other.status.1))
            } else {
                ("request", Cow::Owned(format!("{} {}", found.method, found.target)), Cow::Owned(format!("{} {}", other.method, other.target)))
            };
            return Err((
                found.user.0.min(other.user.0) + 1,
                format!("`log_format` reads this line more than one way ({what} `{one}` or `{two}`): the account cannot be told apart without guessing"),
                None,
            ));
        }
        let (user_at, user) = found.user;
        let user = match user {
            "-" | "\"\"" => None,
            "" => return Err((user_at + 1, "empty account field".to_string(), None)),
            name => Some(name),
        };
        let (time_at, time_text) = found.time;
        let time = parse_time(found.time_kind, time_text, self.time_zone).map_err(|reason| (time_at + 1, reason, user))?;
        let (status_at, status_text) = found.status;
        let status = parse_status(status_text).ok_or((status_at + 1, format!("status `{status_text}` is not an HTTP status"), user))?;
        let Reading { method, target, .. } = found;
        Ok(Access { user, time, method, target, status })
    }
}

/// What breachscope reads from one reading of a line: the values of the account, time and status fields
/// (with their byte offsets), and the request's method and target.
struct Reading<'l, 'a> {
    user: (usize, &'a str),
    time: (usize, &'a str),
    time_kind: &'l TimeKind,
    status: (usize, &'a str),
    method: &'a str,
    target: Cow<'a, str>,
}

impl<'l, 'a> Reading<'l, 'a> {
    fn of(items: &'l [Item], spans: &[(usize, usize)], line: &'a str) -> Reading<'l, 'a> {
        // The last field of a role (the final status `%>s` after `%s`).
        let value = |pick: &dyn Fn(&Role) -> bool| {
            items.iter().zip(spans).rev().find_map(|(item, &(a, b))| match item {
                Item::Field(f) if pick(&f.role) => Some((a, &line[a..b])),
                _ => None,
            })
        };
        let time_kind = items
            .iter()
            .find_map(|i| match i {
                Item::Field(Field { role: Role::Time(kind), .. }) => Some(kind),
                _ => None,
            })
            .expect("a layout has a time field");
        let (method, target) = match value(&|r| *r == Role::Request) {
            Some((_, request)) => {
                let (method, target) = split_request(request);
                (method, Cow::Borrowed(target))
            }
            None => {
                let method = value(&|r| *r == Role::Method).map_or("-", |(_, m)| m);
                let target = match value(&|r| *r == Role::Uri) {
                    Some((_, uri)) => Cow::Borrowed(uri),
                    None => {
                        let path = value(&|r| *r == Role::Path).map_or("", |(_, p)| p);
                        let query = value(&|r| *r == Role::Query).map(|(_, q)| q).filter(|q| q.starts_with('?'));
                        let args = value(&|r| *r == Role::Args).map(|(_, a)| a).filter(|a| !a.is_empty() && *a != "-");
                        match (query, args) {
                            (Some(q), _) => Cow::Owned(format!("{path}{q}")),
                            (None, Some(a)) => Cow::Owned(format!("{path}?{a}")),
                            (None, None) => Cow::Borrowed(path),
                        }
                    }
                };
                (method, target)
            }
        };
        Reading {
            user: value(&|r| *r == Role::User).expect("a layout has an account field"),
            time: value(&|r| matches!(r, Role::Time(_))).expect("a layout has a time field"),
            time_kind,
            status: value(&|r| *r == Role::Status).expect("a layout has a status field"),
            method,
            target,
        }
    }

    /// Whether two readings read the same values (wherever they found them).
    fn same(&self, other: &Reading<'_, '_>) -> bool {
        self.user.1 == other.user.1 && self.time.1 == other.time.1 && self.status.1 == other.status.1 && self.method == other.method && self.target == other.target
    }
}

/// The backtracking match of one line against a layout: every reading is tried, up to a second one whose
/// account, time, request or status differ from the first's.
struct Search<'l, 'a> {
    items: &'l [Item],
    line: &'a str,
    zone: Option<Zone>,
    /// Byte range of each item in the reading being tried.
    spans: Vec<(usize, usize)>,
    first: Option<Vec<(usize, usize)>>,
    second: Option<Vec<(usize, usize)>>,
    steps: u32,
    /// Where the reading that matched the most items failed: the byte, and the item expected there.
    furthest: (usize, usize),
}

impl Search<'_, '_> {
    /// Tries item `item` at byte `at`; true when the search is over.
    fn from(&mut self, item: usize, at: usize) -> bool {
        self.steps += 1;
        if self.steps > MATCH_STEPS {
            return true;
        }
        let rest = &self.line[at..];
        let Some(current) = self.items.get(item) else {
            if !rest.trim().is_empty() {
                self.reached(at, item);
                return false;
            }
            return self.found();
        };
        match current {
            Item::Text(text) => {
                if !rest.starts_with(text.as_str()) {
                    self.reached(at, item);
                    return false;
                }
                self.spans[item] = (at, at + text.len());
                self.from(item + 1, at + text.len())
            }
            Item::Field(field) => {
                let next = match self.items.get(item + 1) {
                    Some(Item::Text(t)) => Next::Text(t),
                    Some(Item::Field(_)) => Next::Field,
                    None => Next::End,
                };
                let mut any = false;
                for len in candidates(field.shape, rest, next) {
                    if !fits(&field.role, &rest[..len], self.zone) {
                        continue;
                    }
                    any = true;
                    self.spans[item] = (at, at + len);
                    if self.from(item + 1, at + len) {
                        return true;
                    }
                }
                if !any {
                    self.reached(at, item);
                }
                false
            }
        }
    }

    /// Notes where a reading failed: the reading that matched the most items tells best where the line
    /// departs from the format (a field that may hold spaces can run on far into a line that does not match).
    fn reached(&mut self, at: usize, item: usize) {
        if (item, at) >= (self.furthest.1, self.furthest.0) {
            self.furthest = (at, item);
        }
    }

    /// A whole reading: the first is kept; one that differs from it in a field read ends the search.
    fn found(&mut self) -> bool {
        let Some(first) = &self.first else {
            self.first = Some(self.spans.clone());
            return false;
        };
        let differs = !Reading::of(self.items, first, self.line).same(&Reading::of(self.items, &self.spans, self.line));
        if differs {
            self.second = Some(self.spans.clone());
        }
        differs
    }
}

enum Next<'t> {
    Text(&'t str),
    Field,
    End,
}

/// The lengths a field may take at the start of `rest`, shortest first.
fn candidates(shape: FieldShape, rest: &str, next: Next<'_>) -> Vec<usize> {
    let token_end = rest.find(' ').unwrap_or(rest.len());
    match shape {
        FieldShape::Quoted => closing_quote(rest).into_iter().collect(),
        FieldShape::Bracketed => match rest.strip_prefix('[') {
            Some(inner) => inner.find(']').map(|k| k + 2).into_iter().collect(),
            None => Vec::new(),
        },
        FieldShape::Clf => {
            // `dd/Mon/yyyy:HH:MM:SS +zzzz`
            let end = token_end + 6;
            if end <= rest.len() && rest.is_char_boundary(end) {
                vec![end]
            } else {
                Vec::new()
            }
        }
        FieldShape::Token | FieldShape::Free => {
            let limit = if shape == FieldShape::Token { token_end } else { rest.len() };
            match next {
                Next::Text(text) => rest.match_indices(text).map(|(k, _)| k).take_while(|&k| k <= limit).collect(),
                Next::End => vec![limit],
                Next::Field => (0..=limit).filter(|&k| rest.is_char_boundary(k)).collect(),
            }
        }
    }
}

/// Whether a value can be the field's: a status is three digits, a time reads as one, a client is not `-`,
/// an account is not several fields (`- k.walsh`, read so when the fields before it were cut short).
fn fits(role: &Role, value: &str, zone: Option<Zone>) -> bool {
    match role {
        Role::User => !(value.contains(' ') && value.split(' ').any(|w| w == "-")),
        Role::Client => !value.is_empty() && value != "-",
        Role::Status => value.len() == 3 && parse_status(value).is_some(),
        // `%q` is empty or `?query`.
        Role::Query => value.is_empty() || value.starts_with('?'),
        Role::Time(kind) => parse_time(kind, value, zone).is_ok(),
        _ => true,
    }
}

fn parse_time(kind: &TimeKind, value: &str, zone: Option<Zone>) -> Result<Timestamp, String> {
    match kind {
        TimeKind::Clf => timefmt::parse_clf(value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(value)),
        TimeKind::Iso8601 => timefmt::parse_zoned(value),
        TimeKind::EpochSeconds | TimeKind::EpochMillis | TimeKind::EpochMicros => {
            let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
            let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
                return Err(format!("`{value}` is not a time since the epoch"));
            }
            let n: i64 = whole.parse().map_err(|_| format!("`{value}` is not a time since the epoch"))?;
            let nanos_of = |unit: i64| -> Option<i64> {
                let frac: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}")[..9].parse().ok()? };
                n.checked_mul(unit)?.checked_add(frac / (1_000_000_000 / unit).max(1))
            };
            let nanos = match kind {
                TimeKind::EpochSeconds => nanos_of(1_000_000_000),
                TimeKind::EpochMillis => n.checked_mul(1_000_000),
                _ => n.checked_mul(1_000),
            };
            nanos.map(|ns| Utc.timestamp_nanos(ns)).ok_or_else(|| format!("`{value}` is not a time since the epoch"))
        }
        TimeKind::Strftime(format) => match DateTime::parse_from_str(value, format) {
            Ok(t) => Ok(t.with_timezone(&Utc)),
            Err(_) => {
                let naive = NaiveDateTime::parse_from_str(value, format).map_err(|_| format!("`{value}` is not a `{format}` time"))?;
                let zone = zone.ok_or_else(|| format!("`{value}` has no time zone: set `time_zone`"))?;
                zone.resolve(&naive).map_err(|e| format!("`{value}`: {e}"))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Parsed> {
        let mut out = Vec::new();
        CombinedParser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    fn with_layout(format: &str, text: &str) -> Vec<Parsed> {
        let parser = LayoutParser::new(format, None).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    fn event(parsed: &[Parsed]) -> &RawEvent {
        match parsed {
            [Parsed::Event(ev)] => ev,
            _ => panic!("{parsed:?}"),
        }
    }

    fn rejection(parsed: &[Parsed]) -> &Rejection {
        match parsed {
            [Parsed::Rejected(r)] => r,
            _ => panic!("{parsed:?}"),
        }
    }

    const REST: &str = "[04/Jul/2019:09:20:46 +0200] \"GET /support/customers/C1 HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"";

    #[test]
    fn combined_line_with_user_and_zone() {
        let parsed = events(
            "10.0.0.5 - k.walsh [01/Jun/2019:01:30:00 +0200] \"GET /support/tickets/T-1001?tab=notes HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n",
        );
        let Parsed::Event(ev) = &parsed[0] else { panic!("{parsed:?}") };
        assert_eq!(ev.actor.as_deref(), Some("k.walsh"));
        assert_eq!(timefmt::format_utc(&ev.time), "2019-05-31T23:30:00Z");
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/support/tickets/T-1001?tab=notes".into(), status: 200 });
        assert_eq!(ev.failure, None);
    }

    /// A line whose account is clear but whose time or status is not keeps its account in the rejection.
    #[test]
    fn a_rejected_line_keeps_a_clear_account() {
        let bad_time = events("10.0.0.5 - k.walsh [31/Jun/2019:10:00:00 +0200] \"GET /x HTTP/1.1\" 200 1\n");
        assert_eq!(rejection(&bad_time).actor.as_deref(), Some("k.walsh"));
        let no_time = events("10.0.0.5 - k.walsh GET /x 200 1\n");
        assert_eq!(rejection(&no_time).actor, None, "no `[time]`: where the account is cannot be told");
    }

    #[test]
    fn status_403_is_a_failure_and_dash_user_is_no_account() {
        let parsed = events("10.0.0.5 - - [03/Jun/2019:09:00:00 +0000] \"GET /x HTTP/1.1\" 403 12\n");
        let Parsed::Event(ev) = &parsed[0] else { panic!() };
        assert_eq!(ev.actor, None);
        assert_eq!(ev.failure.as_deref(), Some("HTTP 403"));
    }

    #[test]
    fn escaped_quote_in_request() {
        let f = parse_line(r#"1.2.3.4 - u [03/Jun/2019:09:00:00 +0000] "GET /a\"b HTTP/1.1" 200 1 "-" "-""#).unwrap();
        assert_eq!(f.target, r#"/a\"b"#);
    }

    #[test]
    fn malformed_lines_are_rejected_with_column() {
        let parsed = events("garbage\n1.2.3.4 - u [03/Jun/2019:09:00:00 +0000] \"GET / HTTP/1.1\" abc 1\n1.2.3.4 - u [xx] \"GET / HTTP/1.1\" 200 1\n");
        assert_eq!(parsed.len(), 3);
        for p in &parsed {
            assert!(matches!(p, Parsed::Rejected(_)), "{p:?}");
        }
        let Parsed::Rejected(r) = &parsed[1] else { panic!() };
        assert!(r.reason.contains("not an HTTP status"));
        assert_eq!(r.column, 59);
    }

    /// The account is the field before `[time]`, whatever stands before the identity `-`.
    #[test]
    fn account_after_vhost_host_or_proxy_chain() {
        for (before, host) in [
            // Debian's vhost_combined (`%v:%p %h`).
            ("shop.example.com:443 203.0.113.9", "shop.example.com:443 203.0.113.9"),
            // nginx `$host $remote_addr`.
            ("shop.example.com 203.0.113.9", "shop.example.com 203.0.113.9"),
            // A proxy chain, a quoted X-Forwarded-For, both.
            ("10.0.0.2, 10.0.0.1, 127.0.0.1", "10.0.0.2, 10.0.0.1, 127.0.0.1"),
            ("\"10.0.0.2, 10.0.0.1\"", "\"10.0.0.2, 10.0.0.1\""),
            ("example.com:80 \"10.5.102.222, 175.16.199.1\" 10.2.1.185", "example.com:80 \"10.5.102.222, 175.16.199.1\" 10.2.1.185"),
            ("2001:db8::8000, 10.225.192.17 10.2.2.121", "2001:db8::8000, 10.225.192.17 10.2.2.121"),
            // A bracketed address before the time is not the time.
            ("example.com [2001:db8::1]:443", "example.com [2001:db8::1]:443"),
            ("unix:", "unix:"),
        ] {
            let line = format!("{before} - k.walsh {REST}");
            let f = parse_line(&line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(f.user, Some("k.walsh"), "{line}");
            assert_eq!(f.host, host);
            assert_eq!(f.target, "/support/customers/C1");
            let line = format!("{before} - - {REST}");
            assert_eq!(parse_line(&line).unwrap().user, None, "{line}");
        }
    }

    #[test]
    fn apache_empty_name_is_no_account() {
        assert_eq!(parse_line(&format!("203.0.113.9 - \"\" {REST}")).unwrap().user, None);
    }

    /// Lines where the field before `[time]` cannot be told to be the account: rejected, with the column.
    #[test]
    fn unclear_accounts_are_rejected_with_the_reason() {
        for (before, column, reason) in [
            ("203.0.113.9 - Kate Walsh", 15, "not the identity `-`"),
            ("shop.example.com 203.0.113.9 k.walsh", 18, "not the identity `-`"),
            ("203.0.113.9 - 10.0.0.9", 15, "the address `10.0.0.9`"),
            ("203.0.113.9 - 10.0.0.9:8080", 15, "the address"),
            ("203.0.113.9 - \"k.walsh\"", 15, "quoted field"),
            ("- k.walsh", 1, "2 field(s)"),
            ("k.walsh", 1, "1 field(s)"),
            ("203.0.113.9 - k.walsh ", 15, "not the identity `-`"),
            ("203.0.113.9 - ", 15, "empty account field"),
            ("\"10.0.0.2, 10.0.0.1 - k.walsh", 1, "unterminated quote"),
            ("\"10.0.0.2\"x - k.walsh", 11, "runs into the next one"),
        ] {
            let line = format!("{before} {REST}\n");
            let parsed = events(&line);
            let r = rejection(&parsed);
            assert!(r.reason.contains(reason), "{line}: {}", r.reason);
            assert_eq!(r.column, column, "{line}: {}", r.reason);
        }
        let r = rejection(&events(&format!("203.0.113.9 - Kate Walsh {REST}\n"))).reason.clone();
        assert!(r.contains("give the server's `log_format`"), "{r}");
    }

    #[test]
    fn a_line_without_time_is_rejected_at_column_1() {
        let parsed = events("\0\0\0\n[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 \"GET / HTTP/1.1\" 1375\n");
        for p in &parsed {
            let Parsed::Rejected(r) = p else { panic!("{p:?}") };
            assert_eq!(r.column, 1, "{r:?}");
        }
    }

    const VHOST_COMBINED: &str = r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#;
    const NGINX_COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

    #[test]
    fn apache_format_as_written_in_apache2_conf() {
        let line = format!("shop.example.com:443 203.0.113.9 - k.walsh {REST}\n");
        let ev = event(&with_layout(VHOST_COMBINED, &line)).clone();
        assert_eq!(ev.actor.as_deref(), Some("k.walsh"));
        assert_eq!(timefmt::format_utc(&ev.time), "2019-07-04T07:20:46Z");
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/support/customers/C1".into(), status: 200 });
        // The server's own format reads a name with spaces exactly, and `-` as no account.
        let ev = event(&with_layout(VHOST_COMBINED, &format!("shop.example.com:443 203.0.113.9 - Kate Walsh {REST}\n"))).clone();
        assert_eq!(ev.actor.as_deref(), Some("Kate Walsh"));
        let ev = event(&with_layout(VHOST_COMBINED, &format!("shop.example.com:443 203.0.113.9 - - {REST}\n"))).clone();
        assert_eq!(ev.actor, None);
    }

    #[test]
    fn nginx_formats() {
        let line = "203.0.113.9 - k.walsh [04/Jul/2019:09:20:46 +0200] \"GET /support/customers/C1?x=\\\"1\\\" HTTP/1.1\" 404 12 \"-\" \"Agent \\\"quoted\\\" (x)\"\n";
        let ev = event(&with_layout(NGINX_COMBINED, line)).clone();
        assert_eq!(ev.actor.as_deref(), Some("k.walsh"));
        assert_eq!(ev.failure.as_deref(), Some("HTTP 404"));
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/support/customers/C1?x=\\\"1\\\"".into(), status: 404 });

        let format = "$remote_addr - $remote_user [$time_iso8601] \"$request\" $status $body_bytes_sent \"$http_x_forwarded_for\" $upstream_addr $request_time";
        let line = "10.2.1.185 - k.walsh [2019-07-09T08:16:05+02:00] \"GET /support/customers/C12 HTTP/1.1\" 200 3870 \"203.0.113.9, 10.0.0.1\" 10.0.3.12:8080, 10.0.3.11:8080 0.530\n";
        let ev = event(&with_layout(format, line)).clone();
        assert_eq!(ev.actor.as_deref(), Some("k.walsh"));
        assert_eq!(timefmt::format_utc(&ev.time), "2019-07-09T06:16:05Z");

        let format = "${host} $remote_user $msec $request_method $request_uri $status";
        let ev = event(&with_layout(format, "shop.example.com k.walsh 1562224846.123 GET /c/C1?a=1 200\n")).clone();
        assert_eq!(ev.time.timestamp_millis(), 1_562_224_846_123);
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/c/C1?a=1".into(), status: 200 });

        let format = "$remote_user [$time_local] $request_method $uri $args $status";
        let ev = event(&with_layout(format, "k.walsh [04/Jul/2019:09:20:46 +0200] GET /c/C1 a=1 200\n")).clone();
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/c/C1?a=1".into(), status: 200 });
    }

    #[test]
    fn apache_time_variants_and_path_query() {
        let format = "%h %u %{%Y-%m-%dT%H:%M:%S%z}t %m %U%q %>s";
        let ev = event(&with_layout(format, "1.2.3.4 k.walsh 2019-07-04T09:20:46+0200 GET /c/C1?a=1 200\n")).clone();
        assert_eq!(timefmt::format_utc(&ev.time), "2019-07-04T07:20:46Z");
        assert_eq!(ev.payload, Payload::Http { method: "GET".into(), target: "/c/C1?a=1".into(), status: 200 });

        let format = "%h %u %{msec}t \"%r\" %s";
        let ev = event(&with_layout(format, "1.2.3.4 k.walsh 1562224846123 \"GET / HTTP/1.1\" 200\n")).clone();
        assert_eq!(ev.time.timestamp_millis(), 1_562_224_846_123);

        // A strftime time without a zone needs the log's time_zone.
        let zoneless = "%h %u [%{%d/%b/%Y %H:%M:%S}t] \"%r\" %>s";
        let err = LayoutParser::new(zoneless, None).err().unwrap();
        assert!(err.contains("set `time_zone`"), "{err}");
        let parser = LayoutParser::new(zoneless, chrono::FixedOffset::east_opt(7200).map(Zone::Fixed)).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut "1.2.3.4 k.walsh [04/Jul/2019 09:20:46] \"GET / HTTP/1.1\" 200\n".as_bytes(), &mut |p| out.push(p)).unwrap();
        assert_eq!(timefmt::format_utc(&event(&out).time), "2019-07-04T07:20:46Z");
    }

    #[test]
    fn format_errors_say_what_to_write() {
        for (format, expect) in [
            ("%h %l %Z %t \"%r\" %>s", "unknown directive `%Z` at character 7"),
            ("%h %l %t \"%r\" %>s %b", "no account field: add `%u`"),
            ("$remote_addr - $remote_user \"$request\" $status", "no time field"),
            ("%h %l %u %t %>s", "no request field"),
            ("%h %l %u %t \"%r\"", "no status field"),
            ("%h %l %u %t \"%r\" %>s %", "lone `%`"),
            ("%h %l %u %t \"%r\" %>s \"%i\"", "`%i` at character 23 needs a name"),
            ("%h %l %u %t \"%r\" %>s %{Referer", "has no closing `}`"),
            ("$remote_addr %u [$time_local] \"$request\" $status", "mixes Apache"),
            ("%h %u %u %t \"%r\" %>s", "appears 2 times"),
            ("  ", "is empty"),
        ] {
            let err = LogLayout::compile(format).err().unwrap_or_else(|| panic!("{format} compiled"));
            assert!(err.contains(expect), "{format}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        // `%%` is a percent sign; `%>s`, `%{c}a`, conditions and mod_logio's fields are known.
        LogLayout::compile("%% %{c}a %a %h %l %u %t \"%r\" %>s %b %B %O %I %D %T %V %!200,304{Referer}i %^FB").unwrap();
    }

    #[test]
    fn ambiguous_and_mismatched_lines_are_rejected() {
        // Two fields that may hold spaces next to each other: `10.0.0.1,` + `10.0.0.2 k.walsh`, or the list + `k.walsh`.
        let format = "%{X-Forwarded-For}i %u %t \"%r\" %>s %b";
        let r = rejection(&with_layout(format, "10.0.0.1, 10.0.0.2 k.walsh [04/Jul/2019:09:20:46 +0200] \"GET / HTTP/1.1\" 200 1\n")).clone();
        assert!(r.reason.contains("more than one way (account `10.0.0.2 k.walsh` or `k.walsh`)"), "{}", r.reason);
        // A line of another layout: where it stops matching.
        let r = rejection(&with_layout(NGINX_COMBINED, "203.0.113.9 - k.walsh [04/Jul/2019:09:20:46 +0200] \"GET / HTTP/1.1\" OK 1 \"-\" \"-\"\n")).clone();
        assert!(r.reason.contains("does not match `log_format`"), "{}", r.reason);
        assert_eq!(r.column, 69, "{}", r.reason);
        // The file has one more field than the format: the account would be `- k.walsh`, several fields.
        let r = rejection(&with_layout(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#, &format!("shop.example.com 203.0.113.9 - k.walsh {REST}\n"))).clone();
        assert!(r.reason.contains("does not match `log_format`"), "{}", r.reason);
        // A list first, then the client: read where the client is an address and the account is one field.
        let format = "%{X-Forwarded-For}i %h %l %u %t \"%r\" %>s %b";
        let line = "10.0.0.1, 10.0.0.2 203.0.113.9 - k.walsh [04/Jul/2019:09:20:46 +0200] \"GET / HTTP/1.1\" 200 1\n";
        assert_eq!(event(&with_layout(format, line)).actor.as_deref(), Some("k.walsh"));
        // Text after the last field.
        let r = rejection(&with_layout("%h %l %u %t \"%r\" %>s", "1.2.3.4 - u [04/Jul/2019:09:20:46 +0200] \"GET / HTTP/1.1\" 200 12\n")).clone();
        assert!(r.reason.contains("expected the end of the line"), "{}", r.reason);
    }
}
