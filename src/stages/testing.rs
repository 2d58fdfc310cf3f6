//! A small case written to a temporary folder, for the stages' unit tests: three customers, two tickets,
//! and a CSV audit log. Each stage is then tested on a `Collected` built in memory (or, for collect, on
//! the log), not through the binary.

use std::path::Path;

use crate::case::{Case, Overrides};
use crate::ingest::event::{Parameters, Payload, StatementText};
use crate::read::timefmt::{parse_zoned, Timestamp};
use crate::stages::origin::EventOrigin;

pub const CUSTOMERS: &str = "customer_id,full_name,email,phone,country,state,card_number\n\
C1,Ann Lee,ann@example.com,+1 415 555 0101,US,CA,\n\
C2,Bob Roe,bob@example.com,+1 212 555 0102,US,NY,\n\
C3,Cy Doe,cy@example.com,+44 20 7946 0958,GB,,\n";

pub const TICKETS: &str = "ticket_number,customer_id,subject\nT1,C1,Refund\nT2,C2,Login help\n";

/// k.walsh views C1 and T2 inside the window, C3 before it; another account views C2; one row is unreadable.
pub const LOG: &str = "event_time,user_name,entity,entity_id,fields_viewed\n\
2019-06-03T10:00:00Z,k.walsh,customers,C1,full_name|email\n\
2019-06-03T10:05:00Z,k.walsh,tickets,T2,subject\n\
2019-05-01T10:00:00Z,k.walsh,customers,C3,full_name\n\
2019-06-03T11:00:00Z,a.other,customers,C2,full_name\n\
not a time,k.walsh,customers,C2,full_name\n";

pub const CASE: &str = r#"
[case]
name = "stage tests"
actors = ["k.walsh"]
since = "2019-06-01"
until = "2019-06-30"

[customers]
path = "customers.csv"
key = "customer_id"

[[tables]]
name = "tickets"
path = "tickets.csv"
key = "ticket_number"
customer = "customer_id"

[[logs]]
name = "crm"
path = "audit.csv"
format = "csv"
"#;

/// The case, loaded from files written into `dir`.
pub fn case(dir: &Path) -> Case {
    for (name, text) in [("customers.csv", CUSTOMERS), ("tickets.csv", TICKETS), ("audit.csv", LOG), ("case.toml", CASE)] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    Case::load(&dir.join("case.toml"), &Overrides::default()).unwrap()
}

pub fn t(s: &str) -> Timestamp {
    parse_zoned(s).unwrap()
}

pub fn origin(line: u64, time: &str) -> EventOrigin {
    EventOrigin { source: "crm".into(), source_index: 0, file: "audit.csv".into(), line, time: t(time), actor: "k.walsh".into(), record: None }
}

/// `sql` as the SQL evidence reads it: the query to replay (it must name no key).
pub fn replay_query(case: &Case, sql: &str) -> crate::evidence::access::ReplayQuery {
    let interpreter = crate::evidence::interpreter::Interpreter::new(&case.schema, &case.logs[0]);
    let payload = Payload::Sql { statement: StatementText::Logged(sql.into()), parameters: Parameters::None, class: None, object: None, rows: None };
    let access = interpreter.interpret(&payload).into_iter().next().unwrap();
    let crate::evidence::access::Access::Replay(query) = access else { panic!("{sql}: not a replay: {access:?}") };
    query
}
