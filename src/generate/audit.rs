//! A synthetic insider case at real export sizes, written as it is generated (memory does not grow with the
//! number of log events): the customers and tickets tables, one generic CSV audit log (`logs/crm_audit.csv`)
//! and the case file, with the expected answer computed from the plan. This is the benchmark's case
//! (`breachscope generate DIR --audit-only`, `bench/run.sh`).
//!
//! The insider `k.walsh` views customers and tickets; around it: colleagues (among them the prefix-named
//! `k.walshe`), the insider's name inside other accounts' rows, the insider's denied views, views outside the
//! window, and quoted multi-line records, by the insider and by others. Log rows are not sorted by time (the
//! tool does not need sorted logs); the insider's rows are spread through the file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::generate::support_case::GenerateSummary;
use crate::read::timefmt::{format_utc, Timestamp};

/// Sizes of the audit-only case.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    pub customers: usize,
    /// Log rows of other accounts (the insider's rows come on top).
    pub events: usize,
    /// Customers the insider reaches.
    pub affected: usize,
    pub seed: u64,
}

pub const AUDIT_CASE_TOML: &str = r#"[case]
name = "Support database insider (CRM audit log at scale)"
actors = ["k.walsh"]
since = "2019-06-01T00:00:00Z"
until = "2019-09-30T23:59:59Z"
discovered = "2019-10-28"

[customers]
path = "customers.csv"
key = "customer_id"

[customers.columns]
name = "full_name"
email = "email"
phone = "phone"
country = "country"
region = "state"
segment = "account_type"

[[tables]]
name = "tickets"
path = "tickets.csv"
key = "ticket_number"
customer = "customer_id"

[[logs]]
path = "logs/crm_audit.csv"
format = "csv"

[logs.map]
time = "event_time"
actor = "user_name"
action = "event_type"
table = "entity"
record = "entity_id"
fields = "fields_viewed"
status = "status"

[logs.tables]
Customer = "customers"
Ticket = "tickets"
"#;

const FIRST: [&str; 12] = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Carlos", "Aisha", "Wei", "Priya", "Liam", "Chloé"];
const LAST: [&str; 12] = ["Smith", "Johnson", "Garcia", "Miller", "O'Brien", "Nguyen", "Müller", "Kowalski", "Okafor", "Lee", "Davis", "Lopez"];
const STATES: [&str; 8] = ["CA", "TX", "NY", "FL", "WA", "VT", "MA", "IL"];
const SUBJECTS: [&str; 4] = ["Cannot renew licence", "Refund request, order not received", "\"Firewall\" blocks printer", "Subscription charged twice"];
const COLLEAGUES: [&str; 8] = ["j.smith", "a.khan", "m.rossi", "k.walshe", "p.osei", "l.chen", "d.novak", "s.ortiz"];
const CUSTOMER_FIELDS: [&str; 3] = ["customers.email", "customers.full_name", "customers.phone"];
const TICKET_FIELDS: [&str; 2] = ["tickets.subject", "tickets.ticket_number"];
const SOURCE: &str = "logs/crm_audit.csv";

/// What the generator keeps per customer: its tickets (numbered consecutively) and whether it is a consumer.
#[derive(Clone, Copy)]
struct Slot {
    first_ticket: u32,
    tickets: u8,
    consumer: bool,
}

fn ticket_name(n: u32) -> String {
    format!("T-{}", 100_000 + n as u64)
}

fn customer_name(i: usize) -> String {
    format!("C{:07}", i + 1)
}

struct Csv {
    path: std::path::PathBuf,
    out: BufWriter<File>,
}

impl Csv {
    fn create(dir: &Path, name: &str) -> Result<Csv> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        Ok(Csv { path, out: BufWriter::with_capacity(1 << 20, file) })
    }

    fn line(&mut self, text: &str) -> Result<()> {
        self.out.write_all(text.as_bytes()).and_then(|_| self.out.write_all(b"\n")).map_err(|source| Error::Write { path: self.path.clone(), source })
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|source| Error::Write { path: self.path.clone(), source })
    }
}

/// A CSV cell: quoted when it holds a comma, quote or newline.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[derive(Default)]
struct Truth {
    fields: std::collections::BTreeSet<&'static str>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    count: u64,
}

pub fn generate_audit(dir: &Path, opts: &AuditOptions) -> Result<GenerateSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    std::fs::create_dir_all(dir.join("logs")).map_err(|source| Error::Write { path: dir.join("logs"), source })?;

    let mut customers_csv = Csv::create(dir, "customers.csv")?;
    let mut tickets_csv = Csv::create(dir, "tickets.csv")?;
    customers_csv.line("customer_id,full_name,email,phone,country,state,account_type,created_at")?;
    tickets_csv.line("ticket_number,customer_id,subject,status,created_at")?;
    let mut slots = Vec::with_capacity(opts.customers);
    let mut tickets_total = 0u32;
    let epoch = Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).single().expect("valid");
    for i in 0..opts.customers {
        let id = customer_name(i);
        let first = *FIRST.choose(&mut rng).expect("non-empty");
        let last = *LAST.choose(&mut rng).expect("non-empty");
        let segment = match rng.random_range(0..100) {
            0..85 => "consumer",
            85..95 => "business",
            _ => "government",
        };
        let state = *STATES.choose(&mut rng).expect("non-empty");
        let email = format!("{}.{}{}@example.com", first, last, i % 997).to_lowercase().replace(['\'', 'ü', 'é'], "");
        let phone = format!("+1 {:03}-555-{:04}", rng.random_range(201..990), rng.random_range(100..10_000));
        let created = epoch + Duration::minutes(rng.random_range(0..1_500_000));
        customers_csv.line(&format!("{id},{},{email},{phone},US,{state},{segment},{}", cell(&format!("{first} {last}")), format_utc(&created)))?;
        let n = rng.random_range(0..4u8);
        for k in 0..n {
            let subject = *SUBJECTS.choose(&mut rng).expect("non-empty");
            let status = if rng.random_bool(0.8) { "closed" } else { "open" };
            let opened = created + Duration::days(rng.random_range(1..900));
            tickets_csv.line(&format!("{},{id},{},{status},{}", ticket_name(tickets_total + k as u32), cell(subject), format_utc(&opened)))?;
        }
        slots.push(Slot { first_ticket: tickets_total, tickets: n, consumer: segment == "consumer" });
        tickets_total += n as u32;
    }
    customers_csv.finish()?;
    tickets_csv.finish()?;

    let window_start = Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).single().expect("valid");
    let window_secs = 122 * 86_400;
    let in_window = |rng: &mut ChaCha8Rng| window_start + Duration::seconds(rng.random_range(0..window_secs));

    // The insider's rows, planned first; each is written at a random place among the others.
    let consumers: Vec<u32> = (0..slots.len() as u32).filter(|i| slots[*i as usize].consumer).collect();
    let affected: Vec<u32> = consumers.choose_multiple(&mut rng, opts.affected.min(consumers.len())).copied().collect();
    let mut truth: BTreeMap<u32, Truth> = BTreeMap::new();
    let mut insider: Vec<String> = Vec::with_capacity(affected.len() * 2);
    let row = |t: &Timestamp, user: &str, action: &str, entity: &str, id: &str, fields: &str, status: &str| {
        format!("{},{user},{},{entity},{id},{},{status}", format_utc(t), cell(action), cell(fields))
    };
    for (n, &ci) in affected.iter().enumerate() {
        let slot = slots[ci as usize];
        let looks = if n % 7 == 0 { 2 } else { 1 };
        for look in 0..looks {
            let t = in_window(&mut rng);
            let entry = truth.entry(ci).or_default();
            entry.first = Some(entry.first.map_or(t, |f| f.min(t)));
            entry.last = Some(entry.last.map_or(t, |l| l.max(t)));
            entry.count += 1;
            // Some records span lines (a quoted newline in the fields list).
            let sep = if (n + look) % 50 == 0 { "|\n" } else { "|" };
            if slot.tickets > 0 && (n + look) % 2 == 0 {
                let ticket = ticket_name(slot.first_ticket + rng.random_range(0..slot.tickets as u32));
                entry.fields.extend(TICKET_FIELDS);
                insider.push(row(&t, "k.walsh", "view", "Ticket", &ticket, &format!("ticket_number{sep}subject"), "success"));
            } else {
                entry.fields.extend(CUSTOMER_FIELDS);
                insider.push(row(&t, "k.walsh", "view", "Customer", &customer_name(ci as usize), &format!("full_name{sep}email{sep}phone"), "success"));
            }
        }
    }
    // Traps: none of these may put a customer on the list.
    let bystander = |rng: &mut ChaCha8Rng| loop {
        let c = *consumers.choose(rng).expect("consumers exist");
        if !truth.contains_key(&c) {
            return customer_name(c as usize);
        }
    };
    for k in 0..(affected.len() / 20).max(10) {
        let t = in_window(&mut rng);
        insider.push(row(&t, "k.walsh", "view", "Customer", &bystander(&mut rng), "full_name|email", "denied"));
        let before = window_start - Duration::hours(rng.random_range(2..400));
        insider.push(row(&before, "k.walsh", "view", "Customer", &bystander(&mut rng), "email", "success"));
        let t = in_window(&mut rng);
        insider.push(row(&t, "k.walshe", "view", "Customer", &bystander(&mut rng), "email|phone", "success"));
        let t = in_window(&mut rng);
        insider.push(row(&t, "j.smith", "search user=k.walsh", "Customer", &bystander(&mut rng), "k.walsh", "success"));
        let t = in_window(&mut rng);
        let fields = if k % 2 == 0 { "full_name|\nk.walsh" } else { "email" };
        insider.push(row(&t, "a.khan", "view", "Customer", &bystander(&mut rng), fields, "success"));
    }
    // Where each insider row goes among the others' rows.
    let mut at: Vec<(usize, usize)> = (0..insider.len()).map(|i| (rng.random_range(0..=opts.events), i)).collect();
    at.sort_unstable();

    let mut log = Csv::create(dir, "logs/crm_audit.csv")?;
    log.line("event_time,user_name,event_type,entity,entity_id,fields_viewed,status")?;
    let span_start = Utc.with_ymd_and_hms(2019, 5, 1, 0, 0, 0).single().expect("valid");
    let span_secs = 184 * 86_400; // May to October
    let mut next = at.iter().peekable();
    let mut line = String::with_capacity(256);
    for e in 0..=opts.events {
        while let Some((_, i)) = next.next_if(|(pos, _)| *pos == e) {
            log.line(&insider[*i])?;
        }
        if e == opts.events {
            break;
        }
        let who = *COLLEAGUES.choose(&mut rng).expect("non-empty");
        let t = span_start + Duration::seconds(rng.random_range(0..span_secs));
        let ci = rng.random_range(0..slots.len());
        let slot = slots[ci];
        let status = if rng.random_range(0..50) == 0 { "denied" } else { "success" };
        line.clear();
        if slot.tickets > 0 && rng.random_bool(0.5) {
            let ticket = ticket_name(slot.first_ticket + rng.random_range(0..slot.tickets as u32));
            let fields = if e % 10_000 == 0 { "\"ticket_number|\nsubject\"" } else { "ticket_number|subject" };
            line.push_str(&format!("{},{who},view,Ticket,{ticket},{fields},{status}", format_utc(&t)));
        } else {
            line.push_str(&format!("{},{who},view,Customer,{},full_name|email|phone,{status}", format_utc(&t), customer_name(ci)));
        }
        log.line(&line)?;
    }
    log.finish()?;
    let log_lines = opts.events + insider.len();

    write(dir, "case.toml", AUDIT_CASE_TOML.as_bytes())?;
    let mut expected = String::from("customer_id,data_classes,exposed_fields,first_access,last_access,access_count,sources,evidence\n");
    for (ci, t) in &truth {
        let mut classes: Vec<&str> = t
            .fields
            .iter()
            .map(|f| match *f {
                "customers.full_name" => "names",
                "customers.email" => "email_addresses",
                "customers.phone" => "phone_numbers",
                _ => "support_tickets",
            })
            .collect();
        classes.sort();
        classes.dedup();
        let fields: Vec<&str> = t.fields.iter().copied().collect();
        expected.push_str(&format!(
            "{},{},{},{},{},{},{SOURCE},named\n",
            customer_name(*ci as usize),
            classes.join(";"),
            fields.join(";"),
            format_utc(&t.first.expect("set")),
            format_utc(&t.last.expect("set")),
            t.count
        ));
    }
    write(dir, "expected_affected_customers.csv", expected.as_bytes())?;
    Ok(GenerateSummary { customers: slots.len(), tickets: tickets_total as usize, affected: truth.len(), log_lines, victims: None })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|source| Error::Write { path, source })
}
