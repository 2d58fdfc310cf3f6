//! Property tests for web access logs: whatever stands before the identity field (hosts, host:port, address
//! lists with commas, a quoted X-Forwarded-For), the account read is the line's `%u`, or the line is rejected:
//! never another account. With the server's format string (`log_format`) as well.

use breachscope::ingest;
use breachscope::ingest::event::{Format, Parsed, ParserSettings};
use proptest::prelude::*;

fn parse(log_format: Option<&str>, line: &str) -> Parsed {
    let settings = ParserSettings { log_format: log_format.map(str::to_string), ..Default::default() };
    let parser = ingest::detect::parser_for(Format::Combined, &settings, line.as_bytes(), std::path::Path::new("access.log")).unwrap();
    let mut out = Vec::new();
    parser.parse(&mut line.as_bytes(), &mut |p| out.push(p)).unwrap();
    assert_eq!(out.len(), 1, "{line}: {out:?}");
    out.pop().unwrap()
}

fn ipv4() -> impl Strategy<Value = String> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![ipv4(), "[0-9a-f]{1,4}".prop_map(|h| format!("2001:db8::{h}")), Just("::1".to_string())]
}

fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){0,2}"
}

fn address_list() -> impl Strategy<Value = String> {
    proptest::collection::vec(address(), 2..4).prop_map(|a| a.join(", "))
}

/// One thing a server may write before the identity field.
fn leading_field() -> impl Strategy<Value = String> {
    prop_oneof![
        address(),
        host(),
        (host(), 1u16..65535).prop_map(|(h, p)| format!("{h}:{p}")),
        address_list(),
        address_list().prop_map(|l| format!("\"{l}\"")),
        Just("\"-\"".to_string()),
        Just("-".to_string()),
        Just("unix:".to_string()),
        Just("localhost, localhost".to_string()),
    ]
}

fn leading() -> impl Strategy<Value = String> {
    proptest::collection::vec(leading_field(), 1..4).prop_map(|f| f.join(" "))
}

/// An account as written by `%u`: a plain name, `-` (none), or a name with spaces.
#[derive(Clone, Debug)]
enum User {
    Plain(String),
    None,
    Spaced(String),
}

impl User {
    fn written(&self) -> &str {
        match self {
            User::Plain(n) | User::Spaced(n) => n,
            User::None => "-",
        }
    }
    fn expected(&self) -> Option<&str> {
        match self {
            User::Plain(n) | User::Spaced(n) => Some(n),
            User::None => None,
        }
    }
}

fn user() -> impl Strategy<Value = User> {
    prop_oneof![
        3 => "[a-z][a-z0-9._@-]{0,15}".prop_map(User::Plain),
        1 => Just(User::None),
        2 => "[a-z]{1,8}( [a-z]{1,8}){1,2}".prop_map(User::Spaced),
    ]
}

/// The rest of a combined line, from the time on.
fn rest() -> impl Strategy<Value = String> {
    (1u32..28, 0u32..24, "/[a-z0-9/_-]{0,20}", prop_oneof![Just(200u16), Just(304), Just(403), Just(404)], "[ -~]{0,30}").prop_map(
        |(day, hour, path, status, agent)| {
            let agent = agent.replace('\\', "\\\\").replace('"', "\\\"");
            format!("[{day:02}/Jul/2019:{hour:02}:15:00 +0200] \"GET {path} HTTP/1.1\" {status} 512 \"-\" \"{agent}\"")
        },
    )
}

fn account(parsed: &Parsed) -> Result<Option<&str>, &str> {
    match parsed {
        Parsed::Event(e) => Ok(e.actor.as_deref()),
        Parsed::Rejected(r) => Err(r.reason.as_str()),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The common layouts: a plain account or `-` is always read, whatever stands before it; a name with
    /// spaces is always rejected (it cannot be told from the fields before it), with a reason.
    #[test]
    fn the_account_is_u_or_the_line_is_rejected(leading in leading(), user in user(), rest in rest()) {
        let line = format!("{leading} - {} {rest}", user.written());
        let parsed = parse(None, &line);
        match (&user, account(&parsed)) {
            (User::Spaced(_), Err(reason)) => prop_assert!(reason.contains("cannot be told apart"), "{line}: {reason}"),
            (User::Spaced(_), Ok(read)) => prop_assert!(false, "{line}: read as {read:?}"),
            (_, read) => prop_assert_eq!(read, Ok(user.expected()), "{}", line),
        }
    }

    /// The server's own format string: the account read is `%u` (a name with spaces too), or the line is
    /// rejected; plain names and `-` are always read.
    #[test]
    fn with_log_format_the_account_is_u_or_the_line_is_rejected(
        layout in 0usize..4,
        vhost in host(),
        port in 1u16..65535,
        client in address(),
        list in address_list(),
        user in user(),
        rest in rest(),
    ) {
        let u = user.written();
        let (format, line) = match layout {
            0 => (r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#, format!("{vhost}:{port} {client} - {u} {rest}")),
            1 => (r#"%{X-Forwarded-For}i %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#, format!("{list} {client} - {u} {rest}")),
            2 => (
                r#"$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
                format!("{vhost} {client} - {u} {rest}"),
            ),
            _ => (
                r#""$http_x_forwarded_for" $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
                format!("\"{list}\" {client} - {u} {rest}"),
            ),
        };
        let parsed = parse(Some(format), &line);
        match (&user, account(&parsed)) {
            (User::Spaced(_), Err(_)) => {}
            (_, read) => prop_assert_eq!(read, Ok(user.expected()), "{}", line),
        }
    }
}
