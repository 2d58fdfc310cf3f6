//! The literal prefilter never changes what an account under investigation did: a CSV audit log read
//! with and without it gives the same records, lines, times, accounts and outcomes, and the same full events
//! for the accounts, whatever the other rows hold (the names inside other fields, prefix-named accounts,
//! quoted multi-line fields, quotes, bad times, wrong field counts).

use std::collections::BTreeMap;

use breachscope::ingest::{self, Format, Parsed, ParserSettings};
use proptest::prelude::*;

const ACTORS: [&str; 2] = ["k.walsh", "rpt_k.walsh"];

fn parse(text: &str, accounts: Option<&[String]>) -> Vec<Parsed> {
    let settings = ParserSettings { log_line_prefix: None, map: BTreeMap::new(), ..Default::default() };
    let parser = ingest::parser_for_accounts(Format::Csv, &settings, text.as_bytes(), std::path::Path::new("audit.csv"), accounts).unwrap();
    let mut out = Vec::new();
    parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
    out
}

fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn account() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("k.walsh".to_string()),
        Just("rpt_k.walsh".to_string()),
        Just("k.walshe".to_string()),
        Just("xk.walsh".to_string()),
        Just(" k.walsh ".to_string()),
        Just("-".to_string()),
        Just(String::new()),
        "[a-z.]{1,10}",
    ]
}

fn free_text() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,20}", "[a-z ,\"\n|]{0,20}".prop_map(|s| format!("{s}k.walsh{s}")), Just("/search?q=k.walsh".to_string()), Just("a\nb\r\nc".to_string())]
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..29, 0u32..24).prop_map(|(d, h)| format!("2019-06-{d:02}T{h:02}:00:00Z")),
        Just("2019-06-01 10:00:00".to_string()),
        Just("not a time".to_string()),
    ]
}

fn row() -> impl Strategy<Value = String> {
    (time(), account(), free_text(), free_text(), prop_oneof![Just("success"), Just("denied"), Just("500")], 0u8..20).prop_map(
        |(t, a, record, fields, status, shape)| match shape {
            0 => format!("{},{}", cell(&t), cell(&a)),
            _ => format!("{},{},view,Customer,{},{},{status}", cell(&t), cell(&a), cell(&record), cell(&fields)),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn prefilter_keeps_every_record_and_every_actor_event(rows in proptest::collection::vec(row(), 0..30)) {
        let text = format!("event_time,user_name,event_type,entity,entity_id,fields_viewed,status\n{}\n", rows.join("\n"));
        let accounts: Vec<String> = ACTORS.iter().map(|s| s.to_string()).collect();
        let full = parse(&text, None);
        let filtered = parse(&text, Some(&accounts));
        prop_assert_eq!(full.len(), filtered.len());
        for (f, p) in full.iter().zip(&filtered) {
            match (f, p) {
                (Parsed::Event(f), Parsed::Event(p)) => {
                    prop_assert_eq!((f.line, f.time, &f.actor, &f.failure), (p.line, p.time, &p.actor, &p.failure));
                    if f.actor.as_deref().is_some_and(|a| ACTORS.contains(&a)) {
                        prop_assert_eq!(f, p, "an actor's event is read in full");
                    }
                }
                (f, p) => prop_assert_eq!(f, p),
            }
        }
    }
}

#[test]
fn multi_line_and_prefix_named_records_are_read_in_full() {
    let text = "event_time,user_name,event_type,entity,entity_id,fields_viewed,status\n\
2019-06-03T10:00:00Z,k.walsh,view,Customer,C1,\"full_name|\nemail\",success\n\
2019-06-03T10:01:00Z,k.walshe,view,Customer,C2,email,success\n\
2019-06-03T10:02:00Z,j.smith,\"search\nk.walsh\",Customer,C3,email,success\n\
2019-06-03T10:03:00Z,j.smith,view,Customer,C4,email,success\n";
    let accounts = vec!["k.walsh".to_string()];
    let out = parse(text, Some(&accounts));
    let events: Vec<_> = out.iter().map(|p| match p { Parsed::Event(e) => e.clone(), other => panic!("{other:?}") }).collect();
    assert_eq!(events.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4, 5, 7]);
    assert_eq!(events[0], match &parse(text, None)[0] { Parsed::Event(e) => e.clone(), _ => unreachable!() });
    assert!(matches!(&events[0].payload, ingest::Payload::Record { record: Some(r), .. } if r == "C1"));
    assert!(matches!(&events[3].payload, ingest::Payload::Record { record: None, .. }), "j.smith's plain row is read cheaply");
}
