//! Reading for a few accounts never changes what an account under investigation did: a CSV audit log read
//! with and without it gives the same rejected and ignored records and the same full events for the
//! accounts, and the other accounts' records it only counts add up to exactly the events read without it
//! (count, records without an account, records in the window, times per hour), whatever the other rows
//! hold (the names inside other fields, prefix-named accounts, quoted multi-line fields, quotes, bad times,
//! wrong field counts).

use std::collections::BTreeMap;

use breachscope::read::timefmt::Window;
use breachscope::ingest::prefilter::{AccountsOfInterest, HourTally, OtherAccountsTally};
use breachscope::ingest;
use breachscope::ingest::event::{Format, Parsed, ParserSettings};
use proptest::prelude::*;

const ACTORS: [&str; 2] = ["k.walsh", "rpt_k.walsh"];

fn window() -> Window {
    let t = |s: &str| breachscope::read::timefmt::parse_zoned(s).unwrap();
    Window { since: Some(t("2019-06-05T00:00:00Z")), until: Some(t("2019-06-20T12:00:00Z")) }
}

fn parse(text: &str, accounts: Option<&[String]>) -> Vec<Parsed> {
    let settings = ParserSettings { log_line_prefix: None, map: BTreeMap::new(), ..Default::default() };
    let interest = accounts.map(|accounts| AccountsOfInterest { accounts, window: window() });
    let parser = ingest::detect::parser_for_accounts(Format::Csv, &settings, text.as_bytes(), std::path::Path::new("audit.csv"), interest).unwrap();
    let mut out = Vec::new();
    parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
    out
}


/// The records read one by one, and the tallies summed.
fn split(parsed: Vec<Parsed>) -> (Vec<Parsed>, OtherAccountsTally) {
    let mut total = OtherAccountsTally::default();
    let mut kept = Vec::new();
    for p in parsed {
        match p {
            Parsed::OtherAccounts(t) => total.merge(&t),
            other => kept.push(other),
        }
    }
    (kept, total)
}

fn line_of(p: &Parsed) -> u64 {
    p.line().expect("a single record")
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
        let (read_one_by_one, counted) = split(parse(&text, Some(&accounts)));
        let near = breachscope::read::near::NearNames::new(&accounts);
        // Walk the full reading: each record is either read one by one, identically, or counted.
        let mut expected = OtherAccountsTally::default();
        let mut next = read_one_by_one.iter().peekable();
        for f in &full {
            if next.peek().is_some_and(|p| line_of(p) == line_of(f)) {
                prop_assert_eq!(f, next.next().unwrap());
                continue;
            }
            let Parsed::Event(e) = f else { panic!("only events may be counted, not {f:?}") };
            prop_assert!(!e.actor.as_deref().is_some_and(|a| ACTORS.contains(&a)), "an actor's event was only counted: {:?}", e);
            let mut one = OtherAccountsTally::default();
            one.add(breachscope::read::timefmt::UnixTime::of(&e.time), e.actor.is_some(), &window().unix());
            // Accounts named like an actor are counted by name too (for the actor-in-no-log warning).
            if let Some(a) = e.actor.as_deref().filter(|a| near.is_near(a)) {
                one.add_near([(a.to_string(), 1)]);
            }
            expected.merge(&one.finished());
        }
        prop_assert!(next.next().is_none());
        prop_assert_eq!(counted, expected);
    }
}

#[test]
fn only_the_accounts_own_records_are_read_in_full() {
    let text = "event_time,user_name,event_type,entity,entity_id,fields_viewed,status\n\
2019-06-03T10:00:00Z,k.walsh,view,Customer,C1,\"full_name|\nemail\",success\n\
2019-06-03T10:01:00Z,k.walshe,view,Customer,C2,email,success\n\
2019-06-03T10:02:00Z,j.smith,\"search\nk.walsh\",Customer,C3,email,success\n\
2019-06-03T10:03:00Z,-,view,Customer,C4,email,success\n\
2019-06-03T11:00:00Z, k.walsh ,view,Customer,C5,email,denied\n";
    let accounts = vec!["k.walsh".to_string()];
    let (out, counted) = split(parse(text, Some(&accounts)));
    let events: Vec<_> = out.iter().map(|p| match p { Parsed::Event(e) => e.clone(), other => panic!("{other:?}") }).collect();
    assert_eq!(events.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 8], "k.walsh's rows, the account cell trimmed");
    let full = parse(text, None);
    assert_eq!(Parsed::Event(events[0].clone()), full[0]);
    assert_eq!(Parsed::Event(events[1].clone()), full[4]);
    assert!(matches!(&events[0].payload, ingest::event::Payload::Record { record: Some(r), .. } if r == "C1"));
    // The prefix-named colleague, the name inside another field and the row without an account are
    // another account's (or none's): counted, in their hour.
    let t = |s: &str| breachscope::read::timefmt::parse_zoned(s).unwrap();
    assert_eq!((counted.records, counted.without_account, counted.in_window), (3, 1, 0));
    assert_eq!(counted.near.iter().collect::<Vec<_>>(), [(&"k.walshe".to_string(), &1)], "the colleague named like the actor is counted by name");
    assert_eq!(counted.hours.iter().map(|(_, c)| c).collect::<Vec<_>>(), [HourTally { count: 3, first: t("2019-06-03T10:01:00Z"), last: t("2019-06-03T10:03:00Z") }]);
}
