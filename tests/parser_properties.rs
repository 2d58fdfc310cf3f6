//! Property tests for the log parsers: arbitrary bytes never panic and every record is accounted for;
//! valid records round-trip.

use std::collections::BTreeMap;

use breachscope::ingest;

use breachscope::ingest::event::{Format, Parsed, ParserSettings, Payload};
use proptest::prelude::*;

fn parse_all(format: Format, bytes: &[u8]) -> Option<Vec<Parsed>> {
    let settings = ParserSettings { log_line_prefix: Some("%m [%p] %q%u@%d ".into()), map: BTreeMap::new(), ..Default::default() };
    let parser = ingest::detect::parser_for(format, &settings, bytes, std::path::Path::new("fuzz.log")).ok()?;
    let mut out = Vec::new();
    parser.parse(&mut &bytes[..], &mut |p| out.push(p)).ok()?;
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in Format::ALL {
            let _ = parse_all(format, &bytes);
        }
    }

    /// However each part of a name is quoted (none, backticks, double quotes, brackets, quotes doubled inside), and
    /// with spaces around the dots, the parts read are the parts written.
    #[test]
    fn quoted_names_split_into_their_parts(
        parts in proptest::collection::vec(("[A-Za-z0-9_][A-Za-z0-9_ .`\"\\[\\]$-]{0,10}", 0u8..4), 1..4),
        spaced in any::<bool>(),
    ) {
        let written: Vec<String> = parts
            .iter()
            .map(|(p, style)| match style {
                0 if p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => p.clone(),
                0 | 1 => format!("`{}`", p.replace('`', "``")),
                2 => format!("\"{}\"", p.replace('"', "\"\"")),
                _ => format!("[{}]", p.replace(']', "]]")),
            })
            .collect();
        let name = written.join(if spaced { " . " } else { "." });
        let expected: Vec<String> = parts.iter().map(|(p, _)| p.clone()).collect();
        prop_assert_eq!(breachscope::evidence::interpreter::name_parts(&name), expected, "{}", name);
    }

    /// A copy source names its bucket and key however it is written: URL-encoded, with a leading `/`, with a
    /// `?versionId=`; an access point's object names its key.
    #[test]
    fn copy_sources_name_their_object(
        bucket in "[a-z0-9][a-z0-9.-]{2,20}",
        key in "[ -~]{1,40}",
        slash in any::<bool>(),
        version in proptest::option::of("[A-Za-z0-9._]{8,32}"),
    ) {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let encoded = utf8_percent_encode(&key, NON_ALPHANUMERIC).to_string();
        let tail = version.map(|v| format!("?versionId={v}")).unwrap_or_default();
        let source = format!("{}{bucket}/{encoded}{tail}", if slash { "/" } else { "" });
        let read = breachscope::ingest::formats::cloudtrail::copy_source(&source);
        prop_assert_eq!(read, Some((Some(bucket.clone()), key.clone())), "{}", source);
        let access_point = format!("arn:aws:s3:us-east-1:123456789012:accesspoint/crm-ap/object/{key}");
        let source = format!("{}{tail}", utf8_percent_encode(&access_point, NON_ALPHANUMERIC));
        let read = breachscope::ingest::formats::cloudtrail::copy_source(&source);
        prop_assert_eq!(read, Some((None, key.clone())), "{}", source);
    }

    #[test]
    fn line_formats_account_for_every_line(lines in proptest::collection::vec("[ -~]{0,80}", 1..40)) {
        let text = lines.join("\n") + "\n";
        let out = parse_all(Format::Combined, text.as_bytes()).unwrap();
        prop_assert_eq!(out.len(), lines.len());
    }

    #[test]
    fn combined_lines_round_trip(
        user in "[a-z][a-z._]{0,12}",
        day in 1u32..28,
        hour in 0u32..24,
        offset in -12i32..14,
        path in "/[a-z0-9/_-]{0,30}",
        status in 100u16..600,
    ) {
        let sign = if offset < 0 { '-' } else { '+' };
        let line = format!(
            "192.0.2.1 - {user} [{day:02}/Jul/2019:{hour:02}:15:00 {sign}{:02}00] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"agent\"\n",
            offset.abs()
        );
        let out = parse_all(Format::Combined, line.as_bytes()).unwrap();
        prop_assert_eq!(out.len(), 1);
        let Parsed::Event(ev) = &out[0] else { panic!("{out:?}") };
        prop_assert_eq!(ev.actor.as_deref(), Some(user.as_str()));
        prop_assert_eq!(&ev.payload, &Payload::Http { method: "GET".into(), target: path.clone(), status });
        prop_assert_eq!(ev.failure.is_some(), status >= 400);
        let local = chrono::NaiveDate::from_ymd_opt(2019, 7, day).unwrap().and_hms_opt(hour, 15, 0).unwrap();
        let utc = local - chrono::Duration::hours(offset as i64);
        prop_assert_eq!(ev.time.naive_utc(), utc);
    }

    #[test]
    fn csv_records_with_quoted_newlines_keep_their_lines(texts in proptest::collection::vec("[a-z ,\"\n]{0,12}", 1..20)) {
        let mut body = String::from("time,user,record,fields\n");
        let mut expected_lines = Vec::new();
        let mut line = 2u64;
        for t in &texts {
            expected_lines.push(line);
            let quoted = format!("\"{}\"", t.replace('"', "\"\""));
            body.push_str(&format!("2019-06-03T10:00:00Z,u,R1,{quoted}\n"));
            line += 1 + t.matches('\n').count() as u64;
        }
        let out = parse_all(Format::Csv, body.as_bytes()).unwrap();
        let lines: Vec<u64> = out.iter().map(|p| match p { Parsed::Event(e) => e.line, other => panic!("{other:?}") }).collect();
        prop_assert_eq!(lines, expected_lines);
    }

    /// JSON Lines with nested keys: account, time (any offset), table and record come back exactly, one
    /// event per line.
    #[test]
    fn jsonl_records_round_trip(
        rows in proptest::collection::vec(("[a-z][a-z0-9._]{0,12}", 0i64..2_000_000_000, -12i32..14, "[A-Za-z0-9_-]([A-Za-z0-9 _-]{0,14}[A-Za-z0-9_-])?"), 1..20)
    ) {
        let map: BTreeMap<String, String> = [("time", "ts"), ("actor", "user.name"), ("table", "entity"), ("record", "id")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut text = String::new();
        for (actor, secs, hours, record) in &rows {
            let offset = chrono::FixedOffset::east_opt(hours * 3600).unwrap();
            let time = chrono::DateTime::from_timestamp(*secs, 0).unwrap().with_timezone(&offset).to_rfc3339();
            text.push_str(&serde_json::json!({"ts": time, "user": {"name": actor}, "entity": "Customer", "id": record}).to_string());
            text.push('\n');
        }
        let settings = ParserSettings { log_line_prefix: None, map, ..Default::default() };
        let parser = ingest::detect::parser_for(Format::Jsonl, &settings, text.as_bytes(), std::path::Path::new("x.jsonl")).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        prop_assert_eq!(out.len(), rows.len());
        for (p, (actor, secs, _, record)) in out.iter().zip(&rows) {
            let Parsed::Event(e) = p else { return Err(TestCaseError::fail(format!("not an event: {p:?}"))) };
            prop_assert_eq!(e.actor.as_deref(), Some(actor.as_str()));
            prop_assert_eq!(e.time.timestamp(), *secs);
            match &e.payload {
                Payload::Record { table, record: r, .. } => {
                    prop_assert_eq!(table.as_deref(), Some("Customer"));
                    prop_assert_eq!(r.as_deref(), Some(record.as_str()));
                }
                other => return Err(TestCaseError::fail(format!("payload {other:?}"))),
            }
        }
    }
}
