//! Property tests for the audit-log parsers: no input makes them panic, the JSON record splitter recovers every
//! object whatever the layout, and MariaDB's quoting round-trips.

use std::path::Path;

use breachscope::ingest;

use breachscope::ingest::json_records;

use breachscope::ingest::formats::mysql_audit;

use breachscope::ingest::event::{Format, Parsed, ParserSettings};
use proptest::prelude::*;

const FIXTURES: [(&str, &str); 6] = [
    ("mysql-audit", include_str!("../testdata/logs/mysql-audit/audit.20190603T100000.log")),
    ("mysql-audit", include_str!("../testdata/logs/mysql-audit/server_audit.log")),
    ("mongodb-audit", include_str!("../testdata/logs/mongodb-audit/auditLog.json")),
    ("cloudtrail", include_str!("../testdata/logs/cloudtrail/eventbridge-dynamodb.jsonl")),
    ("salesforce", include_str!("../testdata/logs/salesforce/2019-06-03_URI.csv")),
    ("zendesk", include_str!("../testdata/logs/zendesk/access_logs.jsonl")),
];

fn parse_all(format: Format, bytes: &[u8]) -> Option<Vec<Parsed>> {
    let settings = ParserSettings { time_zone: chrono::FixedOffset::east_opt(0).map(breachscope::read::timefmt::Zone::Fixed), ..Default::default() };
    let parser = ingest::detect::parser_for(format, &settings, bytes, Path::new("x.log")).ok()?;
    let mut out = Vec::new();
    parser.parse(&mut &bytes[..], &mut |p| out.push(p)).unwrap();
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parsers_survive_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for format in [Format::MysqlAudit, Format::MongodbAudit, Format::Cloudtrail, Format::Salesforce, Format::Zendesk] {
            let _ = parse_all(format, &bytes);
        }
    }

    #[test]
    fn damaged_fixtures_never_panic_and_lines_stay_in_the_file(which in 0..FIXTURES.len(), at in 0usize..4000, len in 0usize..80, junk in "[ -~\n{}\"\\[\\],]{0,40}") {
        let (name, text) = FIXTURES[which];
        let format = Format::parse_name(name).unwrap();
        let at = at.min(text.len());
        let end = (at + len).min(text.len());
        let mut damaged = text.as_bytes()[..at].to_vec();
        damaged.extend_from_slice(junk.as_bytes());
        damaged.extend_from_slice(&text.as_bytes()[end..]);
        if let Some(out) = parse_all(format, &damaged) {
            // Every record line number lies inside the file.
            let lines = damaged.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            for p in &out {
                let line = p.line().expect("no parser counts records here");
                prop_assert!(line <= lines, "line {line} of {lines}");
            }
        }
    }

    #[test]
    fn json_records_recover_every_object(objects in proptest::collection::vec(proptest::collection::btree_map("[a-z]{1,6}", "[ -~]{0,12}", 0..4), 1..8), layout in 0..3u8) {
        let values: Vec<serde_json::Value> = objects.iter().map(|m| serde_json::to_value(m).unwrap()).collect();
        let text = match layout {
            0 => values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n"),
            1 => format!("[\n{}\n]", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",\n")),
            _ => values.iter().map(|v| serde_json::to_string_pretty(v).unwrap()).collect::<Vec<_>>().join("\n"),
        };
        let mut got = Vec::new();
        json_records::read(&mut text.as_bytes(), &mut |p| {
            if let json_records::Piece::Value { text, .. } = p {
                got.push(serde_json::from_slice::<serde_json::Value>(text).unwrap());
            } else {
                got.push(serde_json::Value::Null);
            }
        }).unwrap();
        prop_assert_eq!(got, values);
    }

    #[test]
    fn mariadb_quoting_round_trips(sql in "[ -~\n\t]{0,60}") {
        let quoted = format!("'{}'", sql.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n").replace('\t', "\\t"));
        prop_assert_eq!(mysql_audit::mariadb_unquote(&quoted), sql);
    }
}
