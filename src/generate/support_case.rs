//! A synthetic support-database insider case, generated deterministically from a seed: the customers and
//! tickets tables, web portal logs (plain, gzip and zstd), a pgaudit csvlog, a CRM audit export, the case
//! file, and the ground truth (`expected_affected_customers.csv`) computed from the plan, not from the
//! tool's own output.
//!
//! The insider (`k.walsh` on the portal and CRM, `rpt_k.walsh` on the database) looks up consumer customers
//! through every channel. Around it: colleagues doing the same work, a prefix-named colleague (`k.walshe`),
//! the insider's failed requests, accesses outside the window (one only by its time zone), HEAD requests,
//! an aggregate query, a query with no key, and a ticket number that does not exist.
//!
//! The support team works in Berlin (the portal servers log +02:00, and the case's `[profile] time_zone` is
//! `Europe/Berlin`): colleagues' work falls on weekdays between 08:00 and 18:00 local time; the insider's
//! lookups are mostly (85%) in the evening or at weekends, so that `breachscope profile` shows the after-hours
//! share standing out.
//!
//! For the insider hunt (`suspects`, `profile`): optional extra honest agents (`agent01`... with `agent01`
//! four times as busy), and `victims.csv`, customers of the insider's who reported scam calls (by email,
//! some typed in capitals) some days after the insider's last look. Both come from their own random
//! stream, so the rest of the case does not change with them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::read::timefmt::{format_utc, Timestamp};

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub customers: usize,
    /// Background (colleague) events across all logs.
    pub events: usize,
    /// Customers the insider reaches.
    pub affected: usize,
    pub seed: u64,
    /// Extra honest support agents (`agent01`...; `agent01` is four times as busy as the others).
    pub agents: usize,
    /// Customers of the insider's who reported scam calls, written to `victims.csv`.
    pub victims: usize,
}

impl GenerateOptions {
    /// The bundled example case (`examples/support-insider`, `breachscope demo`).
    pub fn example() -> Self {
        GenerateOptions { customers: 3000, events: 12000, affected: 240, seed: 2019, agents: 0, victims: 50 }
    }
}

pub const CASE_TOML: &str = r#"[case]
name = "Support database insider"
actors = ["k.walsh", "rpt_k.walsh"]   # accounts under investigation (exact match, one person may have several)
since = "2019-06-01T00:00:00Z"        # optional, inclusive; RFC 3339 or a date
until = "2019-09-30T23:59:59Z"        # optional, inclusive
discovered = "2019-10-28"             # optional

[customers]                            # the table of people; CSV/TSV (BOM, CRLF, quoted newlines), gz/zst ok
path = "customers.csv"
key = "customer_id"

[customers.columns]                    # role = column; a role left out is guessed from column names
name = "full_name"
email = "email"
phone = "phone"
country = "country"
region = "state"
segment = "account_type"

[[tables]]                             # other record types, each row belonging to one customer
name = "tickets"
path = "tickets.csv"
key = "ticket_number"
customer = "customer_id"               # column holding the customers key

[[logs]]                               # web/portal access log, Apache/nginx combined format
path = "logs/portal-*"                 # glob; plain, .gz or .zst
format = "combined"                    # the account is the remote_user field

[[logs.routes]]                        # a request path that shows a record; {TABLE} captures that table's key
path = "/support/tickets/{tickets}"
fields = ["tickets.ticket_number", "tickets.subject", "customers.full_name", "customers.email", "customers.phone"]

[[logs.routes]]
path = "/support/customers/{customers}"
fields = ["customers.full_name", "customers.email", "customers.phone", "customers.country", "customers.state"]

[[logs]]                               # PostgreSQL csvlog (also the stderr log) with pgaudit SESSION/OBJECT lines
path = "logs/postgresql*.csv"
format = "pgaudit"

[[logs]]                               # any CSV (or `jsonl`) audit export, mapped column by column
path = "logs/crm_audit.csv"
format = "csv"

[logs.map]
time = "event_time"
actor = "user_name"
action = "event_type"
table = "entity"
record = "entity_id"
fields = "fields_viewed"               # a list separated by | ; , or spaces; bare names belong to `table`

[logs.tables]                          # the log's names for tables → the case's tables
Customer = "customers"

[profile]                              # for `breachscope profile`: the team's working hours, in its zone
time_zone = "Europe/Berlin"
work_hours = "08:00-18:00"
"#;

/// The support team's zone (the portal servers' +02:00 in summer).
const OFFICE_ZONE: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// The hour of the day of the case's events, from its own random stream (the days come from the main one, so the
/// rest of the case is what it was before hours were given).
struct Clock(ChaCha8Rng);

impl Clock {
    fn new(seed: u64) -> Clock {
        Clock(ChaCha8Rng::seed_from_u64(seed ^ 0x0ff1_ce00))
    }

    /// A colleague's time on the day of `day` (a time drawn in the window): on a weekday between 08:00 and 18:00
    /// Berlin time (a weekend day moves to the Monday after, still in the window, which ends on a Monday).
    fn office(&mut self, day: Timestamp) -> Timestamp {
        let mut date = day.date_naive();
        while matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            date += Duration::days(1);
        }
        let seconds = self.0.random_range(8 * 3600..18 * 3600);
        at_local(date, seconds)
    }

    /// One of the insider's lookups on the day of `day`: mostly (85%) after hours, on a weekday evening (19:00 to
    /// midnight) or at the weekend (09:00 to 23:00); else in office hours.
    fn insider(&mut self, day: Timestamp) -> Timestamp {
        if !self.0.random_bool(0.85) {
            return self.office(day);
        }
        let date = day.date_naive();
        let seconds = match date.weekday() {
            chrono::Weekday::Sat | chrono::Weekday::Sun => self.0.random_range(9 * 3600..23 * 3600),
            _ => self.0.random_range(19 * 3600..24 * 3600),
        };
        at_local(date, seconds)
    }
}

/// `seconds` after midnight of `date` in Berlin (summer time all through the window: no skipped hour).
fn at_local(date: NaiveDate, seconds: i64) -> Timestamp {
    let local = date.and_hms_opt(0, 0, 0).expect("valid") + Duration::seconds(seconds);
    OFFICE_ZONE.from_local_datetime(&local).single().expect("summer time: every local time exists once").with_timezone(&Utc)
}

const FIRST: [&str; 24] = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard",
    "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Aisha", "Wei", "Priya", "Liam", "Chloé",
];
const LAST: [&str; 24] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez",
    "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "O'Brien", "Nguyen", "Müller", "Kowalski", "Okafor", "Lee",
];
const US_STATES: [&str; 12] = ["CA", "TX", "NY", "FL", "WA", "VT", "MA", "IL", "CO", "GA", "OR", "NJ"];
const SUBJECTS: [&str; 8] = [
    "Cannot renew licence",
    "Refund request, order not received",
    "Scan finds threat but cannot remove",
    "Password reset link expired",
    "Billing address change",
    "Install fails with error 0x80070005",
    "\"Firewall\" blocks printer",
    "Subscription charged twice",
];
const COLLEAGUES: [&str; 4] = ["j.smith", "a.khan", "m.rossi", "k.walshe"];

struct Customer {
    id: String,
    email: String,
    segment: &'static str,
    state: &'static str,
    tickets: Vec<String>,
}

/// What the insider's counted accesses did to one customer.
#[derive(Default)]
struct Truth {
    fields: BTreeSet<&'static str>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    count: u64,
    sources: BTreeSet<&'static str>,
    /// Some access named the customer (else it was only found by replaying a query).
    named: bool,
}

impl Truth {
    fn add(&mut self, time: Timestamp, fields: &[&'static str], source: &'static str) {
        self.named = true;
        self.add_replayed(time, fields, source);
    }

    fn add_replayed(&mut self, time: Timestamp, fields: &[&'static str], source: &'static str) {
        self.fields.extend(fields.iter().copied());
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
        self.count += 1;
        self.sources.insert(source);
    }
}

const PORTAL: &str = "logs/portal-*";
const PG: &str = "logs/postgresql*.csv";
const CRM: &str = "logs/crm_audit.csv";
const TICKET_FIELDS: [&str; 5] = ["customers.email", "customers.full_name", "customers.phone", "tickets.subject", "tickets.ticket_number"];
const CUSTOMER_FIELDS: [&str; 5] = ["customers.country", "customers.email", "customers.full_name", "customers.phone", "customers.state"];
const SQL_JOIN_FIELDS: [&str; 5] = TICKET_FIELDS;
const SQL_CUSTOMER_FIELDS: [&str; 3] = ["customers.email", "customers.full_name", "customers.phone"];
const CRM_FIELDS: [&str; 3] = ["customers.email", "customers.full_name", "customers.phone"];

struct Logs {
    /// Portal lines by month (6..=10 and 5), each (time, line).
    portal: BTreeMap<u32, Vec<(Timestamp, String)>>,
    pg: Vec<(Timestamp, String)>,
    crm: Vec<(Timestamp, String)>,
}

pub struct GenerateSummary {
    pub customers: usize,
    pub tickets: usize,
    pub affected: usize,
    pub log_lines: usize,
    /// Rows written to `victims.csv` (`None`: no victims file, the audit-only case), and the most there
    /// could be: customers the insider named by a direct look-up whose email is theirs alone.
    pub victims: Option<(usize, usize)>,
}

pub fn generate(dir: &Path, opts: &GenerateOptions) -> Result<GenerateSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    std::fs::create_dir_all(dir.join("logs")).map_err(|source| Error::Write { path: dir.join("logs"), source })?;

    // Customers and tickets.
    let mut customers = Vec::with_capacity(opts.customers);
    let mut customer_csv = csv::Writer::from_writer(Vec::new());
    customer_csv
        .write_record(["customer_id", "full_name", "email", "phone", "country", "state", "account_type", "card_number", "created_at"])
        .expect("memory");
    let mut ticket_csv = csv::Writer::from_writer(Vec::new());
    ticket_csv.write_record(["ticket_number", "customer_id", "subject", "status", "created_at"]).expect("memory");
    let mut ticket_no = 100_000u64;
    for i in 0..opts.customers {
        let id = format!("C{:06}", i + 1);
        let first = *FIRST.choose(&mut rng).expect("non-empty");
        let last = *LAST.choose(&mut rng).expect("non-empty");
        let segment = match rng.random_range(0..100) {
            0..85 => "consumer",
            85..95 => "business",
            _ => "government",
        };
        let (country, state) = match rng.random_range(0..100) {
            0..70 => ("US", *US_STATES.choose(&mut rng).expect("non-empty")),
            70..80 => ("GB", ""),
            80..88 => ("DE", "BY"),
            88..95 => ("CA", "ON"),
            _ => ("AU", "NSW"),
        };
        let email_user: String = format!("{}.{}{}", first, last, i % 97).to_lowercase().replace(['\'', 'ü', 'é'], "");
        let phone = format!("+1 {:03}-555-{:04}", rng.random_range(201..990), rng.random_range(100..200));
        let card = format!("4111 1111 1111 {:04}", rng.random_range(0..10_000));
        let created = Utc.with_ymd_and_hms(2016, 1, 1, 0, 0, 0).single().expect("valid") + Duration::minutes(rng.random_range(0..1_500_000));
        customer_csv
            .write_record([&id, &format!("{first} {last}"), &format!("{email_user}@example.com"), &phone, country, state, segment, &card, &format_utc(&created)])
            .expect("memory");
        let n_tickets = rng.random_range(0..4);
        let mut tickets = Vec::new();
        for _ in 0..n_tickets {
            ticket_no += 1;
            let t = format!("T-{ticket_no}");
            let subject = *SUBJECTS.choose(&mut rng).expect("non-empty");
            let status = if rng.random_bool(0.8) { "closed" } else { "open" };
            let opened = created + Duration::days(rng.random_range(1..900));
            ticket_csv.write_record([&t, &id, subject, status, &format_utc(&opened)]).expect("memory");
            tickets.push(t);
        }
        customers.push(Customer { id, email: format!("{email_user}@example.com"), segment, state, tickets });
    }
    let tickets_total = ticket_no as usize - 100_000;
    write(dir, "customers.csv", &customer_csv.into_inner().expect("memory"))?;
    write(dir, "tickets.csv", &ticket_csv.into_inner().expect("memory"))?;

    let mut logs = Logs { portal: BTreeMap::new(), pg: Vec::new(), crm: Vec::new() };
    let mut truth: BTreeMap<String, Truth> = BTreeMap::new();
    let window_start = Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).single().expect("valid");
    let window_days = 122; // June to September (30 + 31 + 31 + 30 days)
    let in_window = |rng: &mut ChaCha8Rng| window_start + Duration::seconds(rng.random_range(0..window_days * 86_400));
    let mut clock = Clock::new(opts.seed);

    // The insider's targets: consumers only (no business or government customer was affected).
    let consumers: Vec<usize> = (0..customers.len()).filter(|i| customers[*i].segment == "consumer").collect();
    let affected: Vec<usize> = consumers.choose_multiple(&mut rng, opts.affected.min(consumers.len())).copied().collect();
    let affected_set: BTreeSet<usize> = affected.iter().copied().collect();
    let mut pg_statement = 0u64;

    // Tickets waiting for the next batched query, with their owner.
    let mut batch: Vec<(String, usize)> = Vec::new();
    for (n, &ci) in affected.iter().enumerate() {
        let c = &customers[ci];
        let t = clock.insider(in_window(&mut rng));
        let channel = n % 5;
        match channel {
            0 | 1 if !c.tickets.is_empty() => {
                let ticket = c.tickets.choose(&mut rng).expect("non-empty").clone();
                let status = if rng.random_bool(0.1) { 304 } else { 200 };
                logs.portal_line(t, "k.walsh", &format!("/support/tickets/{ticket}"), status, &mut rng);
                truth.entry(c.id.clone()).or_default().add(t, &TICKET_FIELDS, PORTAL);
            }
            0 | 1 | 2 => {
                logs.portal_line(t, "k.walsh", &format!("/support/customers/{}", c.id), 200, &mut rng);
                truth.entry(c.id.clone()).or_default().add(t, &CUSTOMER_FIELDS, PORTAL);
            }
            3 if !c.tickets.is_empty() => {
                // Batched into one multi-line join query by ticket numbers.
                batch.extend(c.tickets.iter().map(|t| (t.clone(), ci)));
                if batch.len() >= 8 {
                    pg_statement += 1;
                    flush_ticket_batch(&mut logs, &mut truth, &customers, &mut batch, t, pg_statement);
                }
            }
            3 => {
                pg_statement += 1;
                let sql = "SELECT full_name, email, phone FROM customers WHERE customer_id = $1";
                logs.pg_statement(t, "rpt_k.walsh", pg_statement, sql, &c.id, false);
                truth.entry(c.id.clone()).or_default().add(t, &SQL_CUSTOMER_FIELDS, PG);
            }
            _ => {
                logs.crm_row(t, "k.walsh", "view", "Customer", &c.id, "full_name|email|phone");
                truth.entry(c.id.clone()).or_default().add(t, &CRM_FIELDS, CRM);
            }
        }
        // Some customers are looked up twice.
        if n % 7 == 0 {
            let t2 = clock.insider(in_window(&mut rng));
            logs.crm_row(t2, "k.walsh", "view", "Customer", &c.id, "email;phone");
            truth.entry(c.id.clone()).or_default().add(t2, &["customers.email", "customers.phone"], CRM);
        }
    }

    if !batch.is_empty() {
        pg_statement += 1;
        let t = clock.insider(in_window(&mut rng));
        flush_ticket_batch(&mut logs, &mut truth, &customers, &mut batch, t, pg_statement);
    }

    // Traps around the insider: none of these may put a customer on the list.
    let bystanders: Vec<usize> = consumers.iter().copied().filter(|i| !affected_set.contains(i)).collect();
    let trap = |rng: &mut ChaCha8Rng| bystanders.choose(rng).map(|i| customers[*i].id.clone()).expect("bystanders exist");
    for k in 0..10 {
        // Failed requests.
        let t = in_window(&mut rng);
        let status = [403, 404, 500][k % 3];
        logs.portal_line(t, "k.walsh", &format!("/support/customers/{}", trap(&mut rng)), status, &mut rng);
        logs.crm_row_status(in_window(&mut rng), "k.walsh", "view", "Customer", &trap(&mut rng), "full_name", "denied");
        // Before and after the window.
        let before = window_start - Duration::hours(rng.random_range(2..400));
        logs.portal_line(before, "k.walsh", &format!("/support/customers/{}", trap(&mut rng)), 200, &mut rng);
        let after = Utc.with_ymd_and_hms(2019, 10, 1, 0, 0, 0).single().expect("valid") + Duration::hours(rng.random_range(0..400));
        logs.portal_line(after, "k.walsh", &format!("/support/customers/{}", trap(&mut rng)), 200, &mut rng);
        // The prefix-named colleague and the actor's name inside another account's URL.
        logs.portal_line(clock.office(in_window(&mut rng)), "k.walshe", &format!("/support/customers/{}", trap(&mut rng)), 200, &mut rng);
        logs.portal_line(in_window(&mut rng), "j.smith", &format!("/support/search?q=k.walsh&customer={}", trap(&mut rng)), 200, &mut rng);
        // HEAD requests show nothing.
        logs.portal_line_method(in_window(&mut rng), "k.walsh", "HEAD", &format!("/support/customers/{}", trap(&mut rng)), 200, &mut rng);
    }
    // 01:30 at +0200 on 1 June is 31 May 23:30 UTC: outside the window.
    let tz_trap = trap(&mut rng);
    logs.portal.entry(5).or_default().push((
        Utc.with_ymd_and_hms(2019, 5, 31, 23, 30, 0).single().expect("valid"),
        format!("10.20.1.17 - k.walsh [01/Jun/2019:01:30:00 +0200] \"GET /support/customers/{tz_trap} HTTP/1.1\" 200 4312 \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\""),
    ));
    // A ticket number that does not exist: an unresolved key, not a customer.
    logs.portal_line(clock.insider(in_window(&mut rng)), "k.walsh", "/support/tickets/T-999999", 200, &mut rng);
    // An aggregate and a query without a key.
    pg_statement += 1;
    logs.pg_statement(clock.insider(in_window(&mut rng)), "rpt_k.walsh", pg_statement, "SELECT state, count(*)\n  FROM customers\n GROUP BY state", "<none>", false);
    // A query without a key: replayed against the customers table, it selects the Vermont consumers.
    pg_statement += 1;
    let t = clock.insider(in_window(&mut rng));
    logs.pg_statement(t, "rpt_k.walsh", pg_statement, "SELECT full_name, phone FROM customers WHERE state = 'VT' AND account_type = 'consumer'", "<none>", false);
    for c in customers.iter().filter(|c| c.state == "VT" && c.segment == "consumer") {
        truth.entry(c.id.clone()).or_default().add_replayed(t, &["customers.full_name", "customers.phone"], PG);
    }

    // Colleagues' everyday work.
    for _ in 0..opts.events {
        let who = *COLLEAGUES.choose(&mut rng).expect("non-empty");
        let c = customers.choose(&mut rng).expect("customers exist");
        let t = clock.office(in_window(&mut rng));
        match rng.random_range(0..10) {
            0..6 => {
                let path = match c.tickets.choose(&mut rng) {
                    Some(ticket) => format!("/support/tickets/{ticket}"),
                    None => format!("/support/customers/{}", c.id),
                };
                logs.portal_line(t, who, &path, 200, &mut rng);
            }
            6..8 => logs.crm_row(t, who, "view", "Customer", &c.id, "full_name|email"),
            8 => logs.portal_line(t, who, "/support/dashboard", 200, &mut rng),
            _ => {
                pg_statement += 1;
                logs.pg_statement(t, "app_support", pg_statement, "SELECT * FROM customers WHERE customer_id = $1", &c.id, false);
            }
        }
    }

    // Extra honest agents and the victims file come from their own random stream, so the rest of the
    // case is the same with or without them.
    let mut extra_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5ca1_ca11);
    for a in 0..opts.agents {
        let who = format!("agent{:02}", a + 1);
        let share = if a == 0 { 4 } else { 1 };
        for _ in 0..(opts.events / 8).max(1) * share {
            let c = customers.choose(&mut extra_rng).expect("customers exist");
            let t = clock.office(in_window(&mut extra_rng));
            match c.tickets.choose(&mut extra_rng) {
                Some(ticket) if extra_rng.random_bool(0.7) => logs.portal_line(t, &who, &format!("/support/tickets/{ticket}"), 200, &mut extra_rng),
                _ => logs.crm_row(t, &who, "view", "Customer", &c.id, "full_name|email|phone"),
            }
        }
    }
    // Customers of the insider's who reported scam calls, some days after the insider's last look.
    let by_id: BTreeMap<&str, &Customer> = customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut email_count: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &customers {
        *email_count.entry(c.email.as_str()).or_default() += 1;
    }
    // Only customers the insider named (the ranking does not replay queries) and whose email is theirs
    // alone, so each report names one customer.
    let reached: Vec<&String> =
        truth.iter().filter(|(id, t)| t.named && email_count[by_id[id.as_str()].email.as_str()] == 1).map(|(id, _)| id).collect();
    let mut victims: Vec<(&String, Timestamp)> = reached
        .choose_multiple(&mut extra_rng, opts.victims.min(reached.len()))
        .map(|id| (*id, truth[*id].last.expect("set") + Duration::hours(extra_rng.random_range(24..30 * 24))))
        .collect();
    victims.sort();
    let mut victims_csv = csv::Writer::from_writer(Vec::new());
    victims_csv.write_record(["email", "reported_on"]).expect("memory");
    for (n, (id, reported)) in victims.iter().enumerate() {
        let email = &by_id[id.as_str()].email;
        // Emails as people type them: some in capitals.
        let email = if n % 3 == 0 { email.to_uppercase() } else { email.clone() };
        victims_csv.write_record([email.as_str(), &reported.format("%Y-%m-%d").to_string()]).expect("memory");
    }

    let log_lines = logs.write(dir)?;
    write(dir, "victims.csv", &victims_csv.into_inner().expect("memory"))?;
    write(dir, "case.toml", CASE_TOML.as_bytes())?;

    let mut expected = csv::Writer::from_writer(Vec::new());
    expected
        .write_record(["customer_id", "data_classes", "exposed_fields", "first_access", "last_access", "access_count", "sources", "evidence"])
        .expect("memory");
    for (id, t) in &truth {
        let classes: BTreeSet<&str> = t
            .fields
            .iter()
            .map(|f| match *f {
                "customers.full_name" => "names",
                "customers.email" => "email_addresses",
                "customers.phone" => "phone_numbers",
                "customers.country" | "customers.state" => "geographic_locations",
                _ => "support_tickets",
            })
            .collect();
        let fields: Vec<&str> = t.fields.iter().copied().collect();
        let sources: Vec<&str> = t.sources.iter().copied().collect();
        expected
            .write_record([
                id.as_str(),
                &classes.into_iter().collect::<Vec<_>>().join(";"),
                &fields.join(";"),
                &format_utc(&t.first.expect("set")),
                &format_utc(&t.last.expect("set")),
                &t.count.to_string(),
                &sources.join(";"),
                if t.named { "named" } else { "replayed" },
            ])
            .expect("memory");
    }
    write(dir, "expected_affected_customers.csv", &expected.into_inner().expect("memory"))?;

    Ok(GenerateSummary { customers: customers.len(), tickets: tickets_total, affected: truth.len(), log_lines, victims: Some((victims.len(), reached.len())) })
}

/// One multi-line join query by ticket numbers for the waiting tickets.
fn flush_ticket_batch(logs: &mut Logs, truth: &mut BTreeMap<String, Truth>, customers: &[Customer], batch: &mut Vec<(String, usize)>, t: Timestamp, id: u64) {
    let list = batch.iter().map(|(t, _)| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT t.ticket_number, t.subject, c.full_name, c.email, c.phone\n  FROM tickets t\n  JOIN customers c ON c.customer_id = t.customer_id\n WHERE t.ticket_number IN ({list})"
    );
    logs.pg_statement(t, "rpt_k.walsh", id, &sql, "<none>", true);
    for (_, owner) in batch.drain(..) {
        truth.entry(customers[owner].id.clone()).or_default().add(t, &SQL_JOIN_FIELDS, PG);
    }
}

impl Logs {
    fn portal_line(&mut self, t: Timestamp, user: &str, path: &str, status: u16, rng: &mut ChaCha8Rng) {
        self.portal_line_method(t, user, "GET", path, status, rng);
    }

    fn portal_line_method(&mut self, t: Timestamp, user: &str, method: &str, path: &str, status: u16, rng: &mut ChaCha8Rng) {
        use chrono::Datelike;
        // Portal servers log local time (UTC+2 in summer); the parser must convert.
        let local = t.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).expect("valid"));
        let ip = format!("10.20.{}.{}", rng.random_range(0..4), rng.random_range(2..250));
        let bytes = if status == 304 { 0 } else { rng.random_range(900..9000) };
        let line = format!(
            "{ip} - {user} [{}] \"{method} {path} HTTP/1.1\" {status} {bytes} \"https://support.example.com/support/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"",
            local.format("%d/%b/%Y:%H:%M:%S %z")
        );
        let month = local.month();
        self.portal.entry(month).or_default().push((t, line));
    }

    fn pg_statement(&mut self, t: Timestamp, user: &str, id: u64, sql: &str, params: &str, object_lines: bool) {
        let stamp = t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string();
        let session = format!("5d{:06x}.{:x}", id % 0xffffff, 1000 + id % 50);
        let quoted_sql = sql.replace('"', "\"\"");
        let mut push = |kind: &str, object: &str, statement: &str, param: &str| {
            let payload = format!("AUDIT: {kind},{id},1,READ,SELECT,{},{object},{statement},{param}", if object.is_empty() { "" } else { "TABLE" });
            let line = format!(
                "{stamp},\"{user}\",\"supportdb\",{},\"10.30.0.8:{}\",{session},{id},\"SELECT\",{stamp},3/{id},0,LOG,00000,\"{}\",,,,,,,,,\"psql\",\"client backend\",,0",
                4000 + id % 900,
                40000 + id % 20000,
                payload.replace('"', "\"\"")
            );
            self.pg.push((t, line));
        };
        push("SESSION", "", &format!("\"{quoted_sql}\""), params);
        if object_lines {
            push("OBJECT", "public.tickets", "<previously logged>", "<previously logged>");
            push("OBJECT", "public.customers", "<previously logged>", "<previously logged>");
        }
    }

    fn crm_row(&mut self, t: Timestamp, user: &str, action: &str, entity: &str, id: &str, fields: &str) {
        self.crm_row_status(t, user, action, entity, id, fields, "success");
    }

    #[allow(clippy::too_many_arguments)]
    fn crm_row_status(&mut self, t: Timestamp, user: &str, action: &str, entity: &str, id: &str, fields: &str, status: &str) {
        let line = format!("{},{user},{action},{entity},{id},{fields},{status}", format_utc(&t));
        self.crm.push((t, line));
    }

    fn write(mut self, dir: &Path) -> Result<usize> {
        let mut total = 0;
        for (month, lines) in &mut self.portal {
            lines.sort();
            let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
            total += lines.len();
            let name = format!("logs/portal-2019-{month:02}.log");
            match month {
                8 => {
                    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    enc.write_all(text.as_bytes()).expect("memory");
                    write(dir, &format!("{name}.gz"), &enc.finish().expect("memory"))?;
                }
                9 => write(dir, &format!("{name}.zst"), &zstd::encode_all(text.as_bytes(), 3).expect("memory"))?,
                _ => write(dir, &name, text.as_bytes())?,
            }
        }
        self.pg.sort_by(|a, b| a.0.cmp(&b.0));
        let pg: String = self.pg.iter().map(|(_, l)| format!("{l}\n")).collect();
        total += self.pg.len();
        write(dir, "logs/postgresql-2019-06-01.csv", pg.as_bytes())?;
        self.crm.sort();
        let mut crm = String::from("event_time,user_name,event_type,entity,entity_id,fields_viewed,status\n");
        crm.extend(self.crm.iter().map(|(_, l)| format!("{l}\n")));
        total += self.crm.len();
        write(dir, "logs/crm_audit.csv", crm.as_bytes())?;
        Ok(total)
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|source| Error::Write { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn local(t: &Timestamp) -> chrono::DateTime<chrono_tz::Tz> {
        t.with_timezone(&OFFICE_ZONE)
    }

    fn office_hours(t: &Timestamp) -> bool {
        let l = local(t);
        !matches!(l.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) && (8..18).contains(&l.hour())
    }

    #[test]
    fn colleagues_work_office_hours_and_the_insider_mostly_after_them() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut clock = Clock::new(7);
        let window = (Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2019, 9, 30, 23, 59, 59).unwrap());
        let mut after = 0;
        for _ in 0..2000 {
            let day = window.0 + Duration::seconds(rng.random_range(0..122 * 86_400));
            let t = clock.office(day);
            assert!(office_hours(&t) && t >= window.0 && t <= window.1, "{t}");
            let t = clock.insider(day);
            // After hours the insider works on the drawn day itself (the month's counts stay as drawn).
            assert!(t >= window.0 && t <= window.1 && (office_hours(&t) || local(&t).date_naive() == day.date_naive()), "{day} {t}");
            after += usize::from(!office_hours(&t));
        }
        assert!((1600..1800).contains(&after), "{after} of 2000 after hours");
    }
}
