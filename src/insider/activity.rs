//! Every account's activity, for `suspects` and `profile`: reads all logs of the case (the case's `actors`
//! play no part), keeps successful events inside the window, and gathers per account which records it
//! touched (first access and months), and per month its events, after-hours events and bulk operations.
//! Accounts can be grouped into people (`[people]`, `--alias`), and touched records are resolved to
//! customers through linked tables the way `analyze` does ([`crate::stages::resolve::linked_customers`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::Datelike;

use crate::case::Case;

use crate::case::schema::CUSTOMERS;
use crate::stages::collect::{read_logs_of, FileCounts, Reading};
use crate::error::{Error, Result};
use crate::evidence::access::Access;
use crate::ingest::event::{IgnoreReason, Payload};
use crate::case::settings::ProfileSettings;
use crate::stages::resolve::linked_customers;
use crate::read::timefmt::Timestamp;
use crate::ui::Ui;

/// A month as `year * 12 + month0`, sortable.
pub type Month = u32;

pub fn month_of(t: &Timestamp) -> Month {
    t.year() as u32 * 12 + t.month0()
}

pub fn month_label(m: Month) -> String {
    format!("{:04}-{:02}", m / 12, m % 12 + 1)
}

/// One record (or, after resolution, one customer) as an account touched it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyTouch {
    pub first: Timestamp,
    pub months: BTreeSet<Month>,
}

impl KeyTouch {
    fn add(&mut self, t: Timestamp) {
        self.first = self.first.min(t);
        self.months.insert(month_of(&t));
    }

    pub fn merge(&mut self, other: &KeyTouch) {
        self.first = self.first.min(other.first);
        self.months.extend(other.months.iter().copied());
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MonthStats {
    /// Successful events that reached case data (named records, whole tables, unresolved queries).
    pub events: u64,
    /// Of those, outside working hours.
    pub after_hours: u64,
    /// Whole-table reads, queries naming no key, exports, and events naming many records.
    pub bulk: u64,
}

impl MonthStats {
    fn merge(&mut self, other: &MonthStats) {
        self.events += other.events;
        self.after_hours += other.after_hours;
        self.bulk += other.bulk;
    }
}

/// What one account (or one person's accounts together) did.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// The accounts behind this activity (one, or a person's several).
    pub accounts: Vec<String>,
    /// Per case table: key → touch.
    pub touched: Vec<HashMap<String, KeyTouch>>,
    pub months: BTreeMap<Month, MonthStats>,
    pub whole_table_reads: u64,
    pub unresolved_queries: u64,
}

impl Activity {
    pub fn new(account: &str, tables: usize) -> Activity {
        Activity { accounts: vec![account.to_string()], touched: vec![HashMap::new(); tables], ..Default::default() }
    }

    fn merge(&mut self, other: Activity) {
        self.accounts.extend(other.accounts);
        self.accounts.sort();
        for (mine, theirs) in self.touched.iter_mut().zip(other.touched) {
            for (key, touch) in theirs {
                mine.entry(key).and_modify(|t| t.merge(&touch)).or_insert(touch);
            }
        }
        for (month, stats) in other.months {
            self.months.entry(month).or_default().merge(&stats);
        }
        self.whole_table_reads += other.whole_table_reads;
        self.unresolved_queries += other.unresolved_queries;
    }

    /// The same account's activity in the files read after these.
    fn merge_later(&mut self, other: Activity) {
        let accounts = std::mem::take(&mut self.accounts);
        self.merge(Activity { accounts: Vec::new(), ..other });
        self.accounts = accounts;
    }
}

/// All accounts' activity, with the record counts of the files read.
#[derive(Debug, Default)]
pub struct AllActivity {
    pub accounts: BTreeMap<String, Activity>,
    pub files: Vec<FileCounts>,
    pub rejected: u64,
}

impl AllActivity {
    /// Adds the activity of the files read after these (in the case's order; `same_file`: `other` is the
    /// next byte range of this one's last file). Used by `suspects --parts` and `profile --parts`.
    pub fn merge(&mut self, other: AllActivity, same_file: bool) {
        for (account, activity) in other.accounts {
            match self.accounts.get_mut(&account) {
                Some(mine) => mine.merge_later(activity),
                None => {
                    self.accounts.insert(account, activity);
                }
            }
        }
        let mut files = other.files.into_iter();
        if same_file && !self.files.is_empty() {
            if let Some(next) = files.next() {
                self.files.last_mut().expect("a last file").add_range(next);
            }
        }
        self.files.extend(files);
        self.rejected += other.rejected;
    }

    /// The warning when records could not be read.
    pub fn warn_rejected(&self, ui: &Ui) {
        if self.rejected > 0 {
            ui.warn(&format!("{} log record(s) could not be read; run `breachscope analyze` for the rejects file", self.rejected));
        }
    }
}

/// Reads every log of the case for every account.
pub fn gather(case: &Case, settings: &ProfileSettings, ui: &Ui) -> Result<AllActivity> {
    let all = gather_in(case, settings, ui, &Reading::default())?;
    all.warn_rejected(ui);
    Ok(all)
}

/// As [`gather`], reading the files `reading` says (`scan --all-accounts`, one file at a time), without the
/// warning.
pub fn gather_in(case: &Case, settings: &ProfileSettings, ui: &Ui, reading: &Reading<'_>) -> Result<AllActivity> {
    let tables = case.schema.tables.len();
    let mut accounts: BTreeMap<String, Activity> = BTreeMap::new();
    let mut rejected = 0u64;
    let files = read_logs_of(
        case,
        ui,
        reading,
        |_, _| {
            rejected += 1;
            Ok(())
        },
        |e| {
            let event = e.event;
            let actor = event.actor.as_deref().ok_or(IgnoreReason::NoAccount)?;
            if !case.window.contains(&event.time) {
                return Err(IgnoreReason::OutsideWindow.into());
            }
            if event.failure.is_some() {
                return Err(IgnoreReason::FailedRequest.into());
            }
            let accesses = e.interpreter.interpret_as(&event.payload, Some(e.format));
            let mut used = false;
            let mut bulk = matches!(&event.payload, Payload::Record { action: Some(a), .. } if a.to_ascii_lowercase().contains("export"));
            let mut first_reason = None;
            let activity = accounts.entry(actor.to_string()).or_insert_with(|| Activity::new(actor, tables));
            for access in accesses {
                match access {
                    Access::Records(records) => {
                        used = true;
                        let named: usize = records.iter().map(|r| r.keys.len()).sum();
                        bulk |= named >= settings.bulk_records;
                        for rec in records {
                            let key_type = case.schema.tables[rec.table].key_type;
                            for key in rec.keys {
                                activity.touched[rec.table]
                                    .entry(key_type.canonical(&key).into_owned())
                                    .and_modify(|t| t.add(event.time))
                                    .or_insert_with(|| KeyTouch { first: event.time, months: BTreeSet::from([month_of(&event.time)]) });
                            }
                        }
                    }
                    Access::WholeTable { .. } => {
                        used = true;
                        bulk = true;
                        activity.whole_table_reads += 1;
                    }
                    // Queries naming no key (replayed in `analyze`, not here): a bulk operation whose rows
                    // this ranking does not count.
                    Access::Unresolved { .. } | Access::Replay(_) => {
                        used = true;
                        bulk = true;
                        activity.unresolved_queries += 1;
                    }
                    Access::Aggregate => {
                        first_reason.get_or_insert(IgnoreReason::Aggregate);
                    }
                    Access::NoRoute => {
                        first_reason.get_or_insert(IgnoreReason::NoRouteMatch);
                    }
                    Access::Nothing(reason) => {
                        first_reason.get_or_insert(IgnoreReason::NothingExposed(reason));
                    }
                    Access::OtherTables(_) => {
                        first_reason.get_or_insert(IgnoreReason::NothingExposed(crate::evidence::access::READS_NO_CASE_TABLE.into()));
                    }
                }
            }
            if !used {
                return Err(first_reason.unwrap_or(IgnoreReason::NoAccess).into());
            }
            let stats = activity.months.entry(month_of(&event.time)).or_default();
            stats.events += 1;
            stats.after_hours += u64::from(settings.is_after_hours(&event.time));
            stats.bulk += u64::from(bulk);
            Ok(())
        },
    )?;
    Ok(AllActivity { accounts, files, rejected })
}

/// `ACCOUNT=PERSON` flags added to the case's `[people]`. An account named by a flag must appear in the
/// logs (a typo would otherwise silently group nothing); `[people]` accounts that never appear are noted.
pub fn people_with_aliases(case: &Case, aliases: &[String], seen: &BTreeMap<String, Activity>, ui: &Ui) -> Result<BTreeMap<String, Vec<String>>> {
    let mut people = case.people.clone();
    let mut owner: HashMap<String, String> = people.iter().flat_map(|(p, accts)| accts.iter().map(move |a| (a.clone(), p.clone()))).collect();
    for flag in aliases {
        let (account, person) = flag
            .split_once('=')
            .map(|(a, p)| (a.trim(), p.trim()))
            .filter(|(a, p)| !a.is_empty() && !p.is_empty())
            .ok_or_else(|| Error::Usage(format!("--alias `{flag}`: expected ACCOUNT=PERSON")))?;
        if !seen.contains_key(account) {
            return Err(Error::Usage(format!("--alias `{flag}`: unknown account `{account}` (it appears in no log of the case)")));
        }
        if let Some(other) = owner.get(account) {
            if other != person {
                return Err(Error::Usage(format!("--alias `{flag}`: account `{account}` already belongs to `{other}`")));
            }
        }
        owner.insert(account.to_string(), person.to_string());
        let list = people.entry(person.to_string()).or_default();
        if !list.iter().any(|a| a == account) {
            list.push(account.to_string());
            list.sort();
        }
    }
    for (person, accounts) in &people {
        let missing: Vec<&str> = accounts.iter().filter(|a| !seen.contains_key(*a)).map(String::as_str).collect();
        if !missing.is_empty() {
            ui.note(&format!("note: [people] {person}: no activity in the logs for {}", missing.join(", ")));
        }
    }
    Ok(people)
}

/// Groups accounts into people: a person's accounts become one entry under the person's name (an account
/// with the person's own name belongs to that person); other accounts stay as they are.
pub fn group(accounts: BTreeMap<String, Activity>, people: &BTreeMap<String, Vec<String>>) -> Result<BTreeMap<String, Activity>> {
    let owner: HashMap<&str, &str> = people.iter().flat_map(|(p, accts)| accts.iter().map(move |a| (a.as_str(), p.as_str()))).collect();
    let mut out: BTreeMap<String, Activity> = BTreeMap::new();
    for (account, activity) in accounts {
        let name = owner.get(account.as_str()).copied().unwrap_or(account.as_str()).to_string();
        match out.get_mut(&name) {
            Some(existing) => existing.merge(activity),
            None => {
                out.insert(name, activity);
            }
        }
    }
    Ok(out)
}

/// Per group: customer key → touch, only for keys of rows in the customers table. Returns also, per
/// group, how many touched keys matched no customer.
pub struct CustomerTouches {
    pub per_group: BTreeMap<String, HashMap<String, KeyTouch>>,
    pub unresolved_keys: BTreeMap<String, usize>,
}

/// Resolves every group's touched records to customers (linked tables through their customer column,
/// each linked table read once for all groups), keeping only customers in `customer_keys`.
pub fn resolve_customers(case: &Case, groups: &BTreeMap<String, Activity>, customer_keys: &HashSet<String>) -> Result<CustomerTouches> {
    let mut links: Vec<foldhash::HashMap<String, Vec<String>>> = vec![foldhash::HashMap::default(); case.schema.tables.len()];
    for (table_id, spec) in case.schema.tables.iter().enumerate().skip(1) {
        let keys: HashSet<&str> = groups.values().flat_map(|g| g[table_id].keys().map(String::as_str)).collect();
        links[table_id] = linked_customers(spec, case.schema.customers().key_type, keys)?.0;
    }
    let mut out = CustomerTouches { per_group: BTreeMap::new(), unresolved_keys: BTreeMap::new() };
    for (name, activity) in groups {
        let mut customers: HashMap<String, KeyTouch> = HashMap::new();
        let mut unresolved = 0;
        let mut add = |customer: &str, touch: &KeyTouch| {
            if customer_keys.contains(customer) {
                customers.entry(customer.to_string()).and_modify(|t| t.merge(touch)).or_insert_with(|| touch.clone());
                true
            } else {
                false
            }
        };
        for (key, touch) in &activity.touched[CUSTOMERS] {
            if !add(key, touch) {
                unresolved += 1;
            }
        }
        for (table_id, touched) in activity.touched.iter().enumerate().skip(1) {
            for (key, touch) in touched {
                let found = links[table_id].get(key).map(|cs| cs.iter().map(|c| add(c, touch)).fold(false, |a, b| a | b)).unwrap_or(false);
                if !found {
                    unresolved += 1;
                }
            }
        }
        out.per_group.insert(name.clone(), customers);
        out.unresolved_keys.insert(name.clone(), unresolved);
    }
    Ok(out)
}

impl std::ops::Index<usize> for Activity {
    type Output = HashMap<String, KeyTouch>;
    fn index(&self, table: usize) -> &Self::Output {
        &self.touched[table]
    }
}

/// Every account's activity grouped into people (the case's `[people]` and `--alias`), with the customers
/// each touched: what `suspects` and `profile` both start from.
pub struct Gathered {
    /// Person (or account) → activity.
    pub groups: BTreeMap<String, Activity>,
    pub touches: CustomerTouches,
}

/// Reads every log for every account, groups accounts into people, and resolves what each touched to
/// customers (`customer_keys`: the customers table's keys).
pub fn gather_groups(case: &Case, aliases: &[String], customer_keys: &HashSet<String>, ui: &Ui) -> Result<Gathered> {
    gather_groups_from(case, aliases, customer_keys, ui, gather(case, &case.profile, ui)?)
}

/// As [`gather_groups`], from every account's activity already gathered (`--parts`).
pub fn gather_groups_from(case: &Case, aliases: &[String], customer_keys: &HashSet<String>, ui: &Ui, all: AllActivity) -> Result<Gathered> {
    let people = people_with_aliases(case, aliases, &all.accounts, ui)?;
    let groups = group(all.accounts, &people)?;
    let touches = resolve_customers(case, &groups, customer_keys)?;
    Ok(Gathered { groups, touches })
}
