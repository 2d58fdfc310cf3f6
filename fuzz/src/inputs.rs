//! How a fuzz input becomes a call into breachscope. Shared by the fuzz targets (`fuzz/fuzz_targets/`) and
//! by `tests/fuzz_regressions.rs`, which feeds every input under `testdata/fuzz-regressions/<target>/`
//! through the same function, so a crash once found stays fixed. Each function must return without
//! panicking whatever the bytes; errors (a refused file, a bad case) are fine.

use std::path::PathBuf;
use std::sync::OnceLock;

use breachscope::case::{Case, Overrides};
use breachscope::read::encoding::TextEncoding;
use breachscope::evidence::interpreter::Interpreter;
use breachscope::ingest::bytes::parse_bytes;
use breachscope::ingest::event::{Format, Parameters, Parsed, ParserSettings, Payload, StatementText};

/// `logs`: byte 0 picks the format (`Format::ALL[b % 10]`, or detection from the content for 9), byte 1
/// the encoding (bit 0: Latin-1 instead of UTF-8) and whether zoneless times have a zone (bit 1); the rest
/// is the log. Every event read is then interpreted by the evidence stage against the fixture case.
pub fn log(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let format = match data[0] % 10 {
        9 => None,
        i => Some(Format::ALL[i as usize]),
    };
    let encoding = if data[1] & 1 == 1 { TextEncoding::LATIN1 } else { TextEncoding::UTF8 };
    let time_zone = (data[1] & 2 == 2).then(|| breachscope::read::timefmt::parse_zone("UTC").expect("UTC"));
    let settings = ParserSettings { time_zone, ..Default::default() };
    let body = &data[2..];
    let _ = breachscope::ingest::detect::detect_format(body);
    if let Ok(records) = parse_bytes(format, &settings, encoding, body) {
        let case = evidence_case();
        let interpreter = Interpreter::new(&case.schema, &case.logs[0]).with_exports(&case.exports);
        for record in records {
            if let Parsed::Event(event) | Parsed::EventAt(event, _) = record {
                let _ = interpreter.interpret_as(&event.payload, format);
            }
        }
    }
}

/// A folder with the tables and a log that fuzzed case files (and the SQL target's case) name:
/// `customers.csv`, `tickets.csv`, `logs/portal.log`, `logs/db.csv`.
fn fixture() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("logs")).expect("logs dir");
        let files = [
            ("customers.csv", "customer_id,full_name,email,phone,state,card_number\nC1,Ann Lee,ann@example.com,+1 202-555-0101,VT,4111111111111111\n007,Bond,b@example.com,,NY,\n"),
            ("tickets.csv", "ticket_number,customer_id,subject\nT-1,C1,Refund\nT-2,007,Login\n"),
            ("logs/portal.log", "10.0.0.5 - k.walsh [03/Jun/2019:10:00:00 +0200] \"GET /support/customers/C1 HTTP/1.1\" 200 5 \"-\" \"-\"\n"),
            ("logs/db.csv", "event_time,user_name,event_type,entity,entity_id,fields_viewed\n2019-06-03T10:00:00Z,k.walsh,view,Customer,C1,email\n"),
        ];
        for (name, text) in files {
            std::fs::write(root.join(name), text).expect("fixture file");
        }
        (dir, root)
    })
    .1
}

/// `case_file`: the bytes as a case file (TOML) in the fixture folder, loaded and checked as `analyze` does.
pub fn case_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let path = fixture().join("case.toml");
    let _ = Case::from_text(&path, text.clone(), &Overrides::default());
    let _ = Case::from_text(&path, text, &Overrides { all_accounts: true, ..Default::default() });
}

/// The case events are interpreted against: customers and tickets, one log with routes and table names.
const EVIDENCE_CASE: &str = r#"
[case]
name = "fuzz"
actors = ["k.walsh"]

[customers]
path = "customers.csv"
key = "customer_id"

[[tables]]
name = "tickets"
path = "tickets.csv"
key = "ticket_number"
customer = "customer_id"

[[logs]]
name = "db"
path = "logs/db.csv"
format = "csv"

[[logs.routes]]
path = "/support/customers/{customers}"
fields = ["customers.full_name", "customers.email"]

[[logs.routes]]
path = "/api/*/tickets/{tickets}"

[logs.tables]
Customer = "customers"
Ticket = "tickets"
"003" = "customers"
"public.customers" = "customers"
"#;

fn evidence_case() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        Case::from_text(&fixture().join("evidence-case.toml"), EVIDENCE_CASE.to_string(), &Overrides::default()).expect("the fuzz fixture case loads")
    })
}

/// `sql`: the bytes up to the first NUL are a logged statement, the rest its bind parameters separated by
/// NULs (none: `<none>`); interpreted as the evidence stage does for a pgaudit/MySQL statement.
pub fn sql(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let statement = parts.next().unwrap_or_default().to_string();
    let values: Vec<String> = parts.map(str::to_string).collect();
    let parameters = if values.is_empty() { Parameters::None } else { Parameters::Values(values) };
    let case = evidence_case();
    let interpreter = Interpreter::new(&case.schema, &case.logs[0]);
    for class in [None, Some("READ".to_string())] {
        let payload = Payload::Sql {
            statement: StatementText::Logged(statement.clone()),
            parameters: parameters.clone(),
            class,
            object: None,
            rows: Some(1),
        };
        let _ = interpreter.interpret(&payload);
    }
}
