//! Apache/nginx access logs: combined (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`) and
//! common (without referer and user agent). The account is `%u` (`$remote_user`); `-` means none.

use std::io::BufRead;

use crate::read::lines::{utf8, Lines};
use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::read::timefmt;

pub struct CombinedParser;

/// Whether a line has the shape of a common/combined log line.
pub fn looks_like(line: &str) -> bool {
    parse_line(line).is_ok()
}

impl LogParser for CombinedParser {
    fn format(&self) -> Format {
        Format::Combined
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
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
            match parse_line(text) {
                Ok(fields) => match timefmt::parse_clf(fields.time) {
                    Ok(time) => {
                        let actor = (fields.user != "-" && !fields.user.is_empty()).then(|| fields.user.to_string());
                        let failure = (fields.status >= 400).then(|| format!("HTTP {}", fields.status));
                        sink(Parsed::Event(RawEvent {
                            line: line_no,
                            time,
                            actor,
                            failure,
                            payload: Payload::Http { method: fields.method.to_string(), target: fields.target.to_string(), status: fields.status },
                        }));
                    }
                    Err(reason) => sink(Parsed::Rejected(Rejection::new(line_no, fields.time_column as u64, reason, bytes))),
                },
                Err((column, reason)) => sink(Parsed::Rejected(Rejection::new(line_no, column as u64, reason, bytes))),
            }
        }
        Ok(())
    }
}

#[derive(Debug, PartialEq)]
pub struct LineFields<'a> {
    pub host: &'a str,
    pub user: &'a str,
    pub time: &'a str,
    pub time_column: usize,
    pub method: &'a str,
    pub target: &'a str,
    pub status: u16,
}

/// Splits a line; on failure returns the 1-based byte column and the reason.
pub fn parse_line(line: &str) -> Result<LineFields<'_>, (usize, String)> {
    let col = |rest: &str| line.len() - rest.len() + 1;
    let (host, rest) = line.split_once(' ').ok_or((1, "no fields".to_string()))?;
    let (_ident, rest) = rest.split_once(' ').ok_or((col(rest), "missing identity field".to_string()))?;
    // The user runs up to ` [`: it may in rare set-ups contain spaces.
    let bracket = rest.find(" [").ok_or((col(rest), "missing `[time]`".to_string()))?;
    let user = &rest[..bracket];
    let rest = &rest[bracket + 2..];
    let time_column = col(rest);
    let close = rest.find(']').ok_or((time_column, "unterminated `[time]`".to_string()))?;
    let time = &rest[..close];
    let rest = rest[close + 1..].strip_prefix(" \"").ok_or((col(&rest[close + 1..]), "missing quoted request".to_string()))?;
    let request_column = col(rest);
    let end = closing_quote(rest).ok_or((request_column, "unterminated quoted request".to_string()))?;
    let request = &rest[..end];
    let rest = rest[end + 1..].trim_start();
    let status_text = rest.split(' ').next().unwrap_or_default();
    let status: u16 = status_text
        .parse()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or((col(rest), format!("status `{status_text}` is not an HTTP status")))?;
    let mut parts = request.split(' ');
    let method = parts.next().unwrap_or("-");
    let target = parts.next().unwrap_or("");
    Ok(LineFields { host, user, time, time_column, method, target, status })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Parsed> {
        let mut out = Vec::new();
        CombinedParser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

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
}
