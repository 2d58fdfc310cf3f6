//! The resolve stage (after replay; the order is in `analysis`): touched records → customers. Linked-table records (a ticket) resolve to their customer through
//! the table's customer column; then the customer rows are read, keeping only the touched ones and only
//! the columns the notification list shows. Keys that match no row are kept as unresolved, never as
//! customers. A table with second ids (`ids`) resolves a key that is no row's key through them.


use foldhash::{HashMap, HashMapExt, HashSet};

use serde::Serialize;

use crate::case::Case;

use crate::case::schema::{Role, TableId, TableSpec, CUSTOMERS};
use crate::stages::collect::{Collected, Touch};
use crate::error::Result;
use crate::evidence::access::Grade;
use crate::read::keys::{key_hash, KeyCheck, KeySieve, KeyType};
use crate::read::table::KeyFilter;

/// A customer row reached by the actors.
#[derive(Clone, Debug)]
pub struct AffectedCustomer {
    pub key: String,
    /// Line of the row in the customers file (several rows may share a key).
    pub line: u64,
    /// Values by role (name, email...), in the order of the schema's roles; none where the table has no
    /// such column.
    pub roles: Vec<(Role, String)>,
    pub touch: Touch,
}

/// A touched key that matched no row.
#[derive(Clone, Debug, Serialize)]
pub struct UnresolvedKey {
    pub table: String,
    pub key: String,
    pub reason: String,
    pub access_count: u64,
    pub first_access: String,
    pub last_access: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TableResolution {
    pub table: String,
    pub keys_touched: usize,
    pub keys_found: usize,
    pub keys_unresolved: usize,
    /// Of the keys touched, those a log named (not only selected by a replayed query or a whole-table read,
    /// which find rows by the table's own key): a wrong key column shows here.
    pub keys_named: usize,
    pub keys_named_unresolved: usize,
    pub rows_read: u64,
    /// Keys found through a second id of a row (`ids`), not the key column.
    pub keys_found_by_second_id: usize,
    /// Of those, keys that are a second id of several rows (every such row is listed).
    pub second_ids_on_several_rows: usize,
}

/// Keys on more than one row of a table, touched or not: one customer key, two people.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DuplicateKeys {
    pub table: String,
    /// Keys on more than one row.
    pub keys: u64,
    /// The rows holding them.
    pub rows: u64,
    /// Of the keys, those the actors touched (all their rows are on the list).
    pub touched: u64,
    /// The first [`DUPLICATES_LISTED`] keys, by key (canonical form), with their rows' lines.
    pub listed: Vec<DuplicateKey>,
    /// True when `listed` is cut.
    pub listed_cut: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct DuplicateKey {
    pub key: String,
    pub lines: Vec<u64>,
    pub touched: bool,
}

/// How many duplicate keys report.json lists (all are counted).
pub const DUPLICATES_LISTED: usize = 1000;

#[derive(Debug, Default)]
pub struct Resolved {
    /// Sorted by customer key, then row line.
    pub customers: Vec<AffectedCustomer>,
    pub unresolved_keys: Vec<UnresolvedKey>,
    pub tables: Vec<TableResolution>,
    /// Customer keys that appear on more than one row among the affected (both rows are kept).
    pub duplicate_customer_keys: Vec<String>,
    /// Every key of the customers table on more than one row, touched or not.
    pub customer_key_duplicates: DuplicateKeys,
    /// Data rows of the customers table (it is always read).
    pub customer_rows: u64,
    /// Tables read here whose keys are padded with whitespace or, with `key_type = "numeric"`, not
    /// numbers (counted, with lines; see [`crate::read::keys`]).
    pub key_checks: Vec<KeyCheck>,
}

/// Resolves the touched records to customers, showing `on_row` each touched row read (its table, the
/// row, the fields its touch exposed): what else needs those rows reads them here instead of reading the
/// tables again.
pub fn resolve(case: &Case, collected: &Collected, on_row: &mut dyn FnMut(TableId, &csv::StringRecord, &Touch)) -> Result<Resolved> {
    let schema = &case.schema;
    let mut resolved = Resolved::default();
    // The customers touched themselves, read where collect left them, and beside them those the linked
    // tables reach (see `Reached`).
    let touched_customers = &collected.touched[CUSTOMERS];
    let room = touched_customers.len() + collected.touched.iter().skip(1).map(|t| t.len()).sum::<usize>();
    let mut per_customer = Reached { touched: std::borrow::Cow::Borrowed(touched_customers), more: HashMap::new() };
    // The customers' sieve is begun with the customers touched themselves on a core of its own while the
    // linked tables are read, and takes the customers they add after (made after them, it was a wait on one
    // core before the customers' read).
    let mut added: Vec<u64> = Vec::new();
    let sieve_of_touched = || {
        let mut sieve = KeySieve::with_room(room);
        touched_customers.keys().for_each(|key| sieve.insert_hash(key_hash(key)));
        sieve
    };
    let (mut sieve, linked) = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().name("customer sieve".into()).spawn_scoped(scope, sieve_of_touched);
        let linked = resolve_linked(case, collected, &mut per_customer, &mut added, &mut resolved, on_row);
        let sieve = match thread {
            Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread could be started: made here.
            Err(_) => sieve_of_touched(),
        };
        (sieve, linked)
    });
    linked?;
    added.into_iter().for_each(|hash| sieve.insert_hash(hash));

    let customers = schema.customers();
    let mut stats = TableResolution { table: customers.name.clone(), keys_touched: per_customer.len(), ..Default::default() };
    let second_ids = if customers.ids.is_empty() { None } else { by_second_ids(customers, &per_customer.whole(), &mut stats)? };
    let sieve = match second_ids {
        Some(translated) => {
            per_customer = Reached { touched: std::borrow::Cow::Owned(translated), more: HashMap::new() };
            // Other keys than those put in: the sieve is made again.
            KeySieve::new(per_customer.touched.keys().map(String::as_str))
        }
        None => sieve,
    };
    // By the touched keys themselves (borrowed from `per_customer`), with room for all: a key copied and the
    // map grown for each row read were most of the customers' reading on the main thread.
    let mut rows_per_key: HashMap<&str, usize> = HashMap::with_capacity(per_customer.len());
    // The customers table is read even when nothing was touched: its rows are counted and keys on several
    // rows found (a wrong table or key column must be said, not read as "no customer reached").
    let mut key_hashes = Vec::new();
    {
        // Usually a row per key: room for them all at once (growing would hold two copies for a while).
        resolved.customers.reserve_exact(per_customer.len());
        let mut check = key_check(case, customers);
        // (An empty set's sieve turns every key away.) What it lets through is checked below.
        let wanted = |_: &str, hash: u64| sieve.may_hold_hash(hash);
        let keys = KeyFilter {
            column: customers.key_index,
            key_type: customers.key_type,
            wanted: &wanted,
            check: Some(&mut check),
            key_hashes: Some(&mut key_hashes),
        };
        stats.rows_read = customers.file.for_each_row_with_key(keys, |line, row| {
            let raw = &row[customers.key_index];
            let key = customers.canonical_key(raw);
            // A row whose key only has the hash of a touched key's (see `KeySieve`) is no customer reached.
            let Some((touched_key, touch)) = per_customer.get_key_value(key.as_ref()) else { return Ok(()) };
            on_row(CUSTOMERS, row, touch);
            let roles = schema
                .roles
                .iter()
                .map(|(role, col)| match role {
                    // A name written in parts: the parts joined (empty ones left out).
                    Role::Name if !schema.name_parts.is_empty() => {
                        let parts: Vec<&str> = schema.name_parts.iter().map(|c| row[*c].trim()).filter(|p| !p.is_empty()).collect();
                        (*role, parts.join(" "))
                    }
                    _ => (*role, row[*col].to_string()),
                })
                .collect();
            resolved.customers.push(AffectedCustomer { key: raw.trim().to_string(), line, roles, touch: touch.clone() });
            *rows_per_key.entry(touched_key.as_str()).or_default() += 1;
            Ok(())
        })?;
        if !check.is_clean() {
            resolved.key_checks.insert(0, check);
        }
    }
    // The hashes on several rows found (a sort of every row's key hash) while the keys on no row are
    // listed and the lists sorted (each of these was a wait on one core, as was putting the hashes
    // together); the table read again for the repeated keys, if any, after (on a pool thread its pieces
    // would have one core).
    let (repeated, ()) = rayon::join(
        || repeated_hashes(key_hashes),
        || {
            for (key, touch) in per_customer.iter() {
                let named = touch.grade == Grade::Named;
                stats.keys_named += usize::from(named);
                if !rows_per_key.contains_key(key.as_str()) {
                    stats.keys_named_unresolved += usize::from(named);
                    resolved.unresolved_keys.push(unresolved(&customers.name, key, touch, "no customer row with this key"));
                }
            }
            stats.keys_found = rows_per_key.len();
            stats.keys_unresolved = stats.keys_touched - stats.keys_found;
            resolved.duplicate_customer_keys = rows_per_key.into_iter().filter(|(_, n)| *n > 1).map(|(k, _)| k.to_string()).collect();
            resolved.duplicate_customer_keys.sort();
            resolved.customers.sort_by(|a, b| customers.key_type.compare(&a.key, &b.key).then(a.line.cmp(&b.line)));
            resolved.unresolved_keys.sort_by(|a, b| (&a.table, &a.key).cmp(&(&b.table, &b.key)));
        },
    );
    resolved.customer_rows = stats.rows_read;
    resolved.tables.insert(0, stats);
    resolved.customer_key_duplicates = duplicate_keys(customers, &repeated, &|key| per_customer.contains_key(key))?;
    Ok(resolved)
}

/// The customers reached: those touched themselves, where collect left them (`touched`), and those the
/// linked tables reach (`more`), where a customer touched itself is copied when a linked row first reaches
/// it, its touch merged with the row's. (Copied as a whole into a map of its own, with room for those the
/// linked tables add, the touched customers were 20 ms on one core and 27 MB faulted in at the start of
/// resolve, 1M benchmark, perf.)
struct Reached<'c> {
    touched: std::borrow::Cow<'c, HashMap<String, Touch>>,
    more: HashMap<String, Touch>,
}

impl Reached<'_> {
    /// A customer's key as held, and its touch (with the linked rows' merged in).
    fn get_key_value(&self, key: &str) -> Option<(&String, &Touch)> {
        self.more.get_key_value(key).or_else(|| self.touched.get_key_value(key))
    }

    fn contains_key(&self, key: &str) -> bool {
        self.more.contains_key(key) || self.touched.contains_key(key)
    }

    /// The customers reached, each once, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (&String, &Touch)> {
        self.touched.iter().filter(|(key, _)| !self.more.contains_key(key.as_str())).chain(self.more.iter())
    }

    fn len(&self) -> usize {
        self.touched.len() + self.more.keys().filter(|key| !self.touched.contains_key(key.as_str())).count()
    }

    /// A linked row's `touch` given to `customer`: true when the customer was not reached before.
    fn link(&mut self, customer: &str, touch: &Touch) -> bool {
        if let Some(t) = self.more.get_mut(customer) {
            t.merge(touch);
            return false;
        }
        let (reached, new) = match self.touched.get(customer) {
            Some(t) => {
                let mut t = t.clone();
                t.merge(touch);
                (t, false)
            }
            None => (touch.clone(), true),
        };
        self.more.insert(customer.to_string(), reached);
        new
    }

    /// Every customer reached in one map (for the second ids' translation).
    fn whole(&self) -> HashMap<String, Touch> {
        self.iter().map(|(key, touch)| (key.clone(), touch.clone())).collect()
    }
}

/// Resolves the touched rows of the linked tables (`tickets`) to their customers: each customer reached
/// takes the rows' touches in `per_customer`, and the hash of each customer key it did not have yet goes
/// to `added`.
fn resolve_linked(
    case: &Case,
    collected: &Collected,
    per_customer: &mut Reached<'_>,
    added: &mut Vec<u64>,
    resolved: &mut Resolved,
    on_row: &mut dyn FnMut(TableId, &csv::StringRecord, &Touch),
) -> Result<()> {
    let schema = &case.schema;
    for (table_id, touched) in collected.touched.iter().enumerate().skip(1) {
        let spec = &schema.tables[table_id];
        let mut stats = TableResolution { table: spec.name.clone(), keys_touched: touched.len(), ..Default::default() };
        if touched.is_empty() {
            resolved.tables.push(stats);
            continue;
        }
        let translated = by_second_ids(spec, touched, &mut stats)?;
        let touched = translated.as_ref().unwrap_or(touched);
        let mut check = key_check(case, spec);
        let mut show = |row: &csv::StringRecord, touch: &&Touch| on_row(table_id, row, touch);
        // Each touched row's customer takes the row's touch as the row is read (once per key and customer),
        // not after the table: the main thread has room while the table is read on every core, and after
        // it the customers' read waited for the merge, on one core.
        let mut link = |customer: &str, touch: &&Touch| {
            if per_customer.link(customer, touch) {
                added.push(key_hash(customer));
            }
        };
        let keys = touched.iter().map(|(key, touch)| (key.as_str(), touch));
        let (links, rows_read) = linked_customers_checked(spec, schema.customers().key_type, keys, Some(&mut check), &mut show, &mut link)?;
        stats.rows_read = rows_read;
        if !check.is_clean() {
            resolved.key_checks.push(check);
        }
        for (key, touch) in touched {
            let named = touch.grade == Grade::Named;
            stats.keys_named += usize::from(named);
            if !links.contains_key(key.as_str()) {
                stats.keys_unresolved += 1;
                stats.keys_named_unresolved += usize::from(named);
                resolved.unresolved_keys.push(unresolved(&spec.name, key, touch, "no row with this key, or the row has no customer"));
            }
        }
        // Keys found through a second id are moved onto their row's key: the keys that found no row are
        // the touched keys as they were.
        stats.keys_found = stats.keys_touched - stats.keys_unresolved;
        resolved.tables.push(stats);
    }
    Ok(())
}

/// The hashes that more than one of `parts` (every row's key hash, see [`duplicate_keys`]) has.
fn repeated_hashes(parts: Vec<Vec<u64>>) -> HashSet<u64> {
    let mut hashes = parts.concat();
    drop(parts);
    rayon::slice::ParallelSliceMut::par_sort_unstable(&mut hashes[..]);
    hashes.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect()
}

/// A table with second ids (`ids`): its touched keys that are no row's key but a row's second id, moved to
/// that row's key (their touches merged into it), counted in `stats`. `None` when the table has no second
/// ids (nothing to translate). Keys that are neither stay as they are (and resolve to no row).
fn by_second_ids<S: std::hash::BuildHasher + Default>(
    spec: &TableSpec,
    touched: &std::collections::HashMap<String, Touch, S>,
    stats: &mut TableResolution,
) -> Result<Option<std::collections::HashMap<String, Touch, S>>> {
    if spec.ids.is_empty() || touched.is_empty() {
        return Ok(None);
    }
    let mut by_form: HashMap<String, Vec<&str>> = HashMap::new();
    for key in touched.keys() {
        by_form.entry(crate::read::keys::second_id(key).into_owned()).or_default().push(key);
    }
    let mut is_row_key: HashSet<String> = HashSet::default();
    let mut rows_of: HashMap<&str, Vec<String>> = HashMap::new();
    spec.file.for_each_row(|_, row| {
        let own = spec.canonical_key(&row[spec.key_index]);
        if own.is_empty() {
            return Ok(());
        }
        if touched.contains_key(own.as_ref()) {
            is_row_key.insert(own.to_string());
        }
        for (_, column) in &spec.ids {
            if row[*column].trim().is_empty() {
                continue;
            }
            if let Some(keys) = by_form.get(crate::read::keys::second_id(&row[*column]).as_ref()) {
                for key in keys {
                    let list = rows_of.entry(key).or_default();
                    if !list.iter().any(|k| k.as_str() == own.as_ref()) {
                        list.push(own.to_string());
                    }
                }
            }
        }
        Ok(())
    })?;
    let mut out: std::collections::HashMap<String, Touch, S> = std::collections::HashMap::default();
    for (key, touch) in touched {
        let targets = match rows_of.get(key.as_str()) {
            Some(rows) if !is_row_key.contains(key) => {
                stats.keys_found_by_second_id += 1;
                stats.second_ids_on_several_rows += usize::from(rows.len() > 1);
                rows.clone()
            }
            _ => vec![key.clone()],
        };
        for target in targets {
            out.entry(target).and_modify(|t: &mut Touch| t.merge(touch)).or_insert_with(|| touch.clone());
        }
    }
    Ok(Some(out))
}

/// The keys of `spec` on several rows, from the key hashes several rows have (`repeated`, see
/// [`repeated_hashes`]): equal hashes are rare, and only then is the table read again for the keys
/// themselves and their lines.
fn duplicate_keys(spec: &TableSpec, repeated: &HashSet<u64>, touched: &dyn Fn(&str) -> bool) -> Result<DuplicateKeys> {
    let mut found = DuplicateKeys { table: spec.name.clone(), ..Default::default() };
    if repeated.is_empty() {
        return Ok(found);
    }
    let wanted = |key: &str, hash: u64| !key.is_empty() && repeated.contains(&hash);
    let mut lines: std::collections::BTreeMap<String, Vec<u64>> = std::collections::BTreeMap::new();
    let keys = KeyFilter { column: spec.key_index, key_type: spec.key_type, wanted: &wanted, check: None, key_hashes: None };
    spec.file.for_each_row_with_key(keys, |line, row| {
        lines.entry(spec.canonical_key(&row[spec.key_index]).into_owned()).or_default().push(line);
        Ok(())
    })?;
    let mut all: Vec<(String, Vec<u64>)> = lines.into_iter().filter(|(_, l)| l.len() > 1).collect();
    all.sort_by(|a, b| spec.key_type.compare(&a.0, &b.0));
    for (key, lines) in all {
        found.keys += 1;
        found.rows += lines.len() as u64;
        let is_touched = touched(&key);
        found.touched += u64::from(is_touched);
        if found.listed.len() < DUPLICATES_LISTED {
            found.listed.push(DuplicateKey { key, lines, touched: is_touched });
        } else {
            found.listed_cut = true;
        }
    }
    Ok(found)
}

fn key_check(case: &Case, spec: &TableSpec) -> KeyCheck {
    KeyCheck::new(&spec.name, &crate::read::input::display_path(&spec.file.path, &case.dir), &spec.key)
}

/// Reads a linked table (`tickets`) once and maps each of `keys` (canonical, as touched) to the customers
/// of the rows with that key (usually one; sorted, without repeats), in the canonical form of the
/// customers' `customer_key_type`. Keys on no row, or only on rows with an empty customer column, are
/// absent. Also returns the number of rows read.
pub fn linked_customers<'k>(
    spec: &TableSpec,
    customer_key_type: KeyType,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<(HashMap<String, Vec<String>>, u64)> {
    let keys = keys.into_iter().map(|key| (key, ()));
    let (links, rows_read) = linked_customers_checked(spec, customer_key_type, keys, None, &mut |_, _| {}, &mut |_, _| {})?;
    Ok((links.into_iter().map(|(key, customers)| (key.to_string(), customers)).collect(), rows_read))
}

/// As [`linked_customers`], for `keys` given with a value each (a touched key's touch): notes the table's
/// key problems in `check`, shows `on_row` each row with one of `keys` (with its key's value) and `on_link`
/// each customer when a key is first seen with it (with the key's value). The links are by the keys given.
fn linked_customers_checked<'k, V>(
    spec: &TableSpec,
    customer_key_type: KeyType,
    keys: impl IntoIterator<Item = (&'k str, V)>,
    check: Option<&mut KeyCheck>,
    on_row: &mut dyn FnMut(&csv::StringRecord, &V),
    on_link: &mut dyn FnMut(&str, &V),
) -> Result<(HashMap<&'k str, Vec<String>>, u64)> {
    let (_, customer_col) = spec.customer_column.clone().expect("linked tables have a customer column");
    // The keys and their values, looked up once per row read (not again by the callers for the value).
    let wanted: HashMap<&'k str, V> = keys.into_iter().collect();
    let mut links: HashMap<&'k str, Vec<String>> = HashMap::new();
    if wanted.is_empty() {
        return Ok((links, 0));
    }
    let sieve = KeySieve::new(wanted.keys().copied());
    // What the sieve lets through is checked below.
    let is_wanted = |_: &str, hash: u64| sieve.may_hold_hash(hash);
    let keys = KeyFilter { column: spec.key_index, key_type: spec.key_type, wanted: &is_wanted, check, key_hashes: None };
    let rows_read = spec.file.for_each_row_with_key(keys, |_, row| {
        // A row whose key only has the hash of a wanted key's (see `KeySieve`) is not wanted.
        let Some((&key, value)) = wanted.get_key_value(spec.canonical_key(&row[spec.key_index]).as_ref()) else { return Ok(()) };
        on_row(row, value);
        let customer = customer_key_type.canonical(&row[customer_col]);
        if !customer.is_empty() {
            let list = links.entry(key).or_default();
            if !list.iter().any(|c| c.as_str() == customer.as_ref()) {
                on_link(&customer, value);
                list.push(customer.into_owned());
                list.sort();
            }
        }
        Ok(())
    })?;
    Ok((links, rows_read))
}

fn unresolved(table: &str, key: &str, touch: &Touch, reason: &str) -> UnresolvedKey {
    UnresolvedKey {
        table: table.to_string(),
        key: key.to_string(),
        reason: reason.to_string(),
        access_count: touch.count,
        first_access: crate::read::timefmt::format_utc(&touch.first),
        last_access: crate::read::timefmt::format_utc(&touch.last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::testing;

    #[test]
    fn a_ticket_resolves_to_its_customer_and_an_unknown_key_is_kept_unresolved() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let subject = case.schema.field("tickets.subject").unwrap();
        collected.touch(1, &["T2".into()], &[subject], Grade::Named, testing::t("2019-06-03T10:05:00Z"), 0);
        collected.touch(0, &["C9".into()], &[], Grade::Named, testing::t("2019-06-03T10:06:00Z"), 0);
        let resolved = resolve(&case, &collected, &mut |_, _, _| {}).unwrap();

        let keys: Vec<&str> = resolved.customers.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["C2"]);
        assert!(resolved.customers[0].touch.fields.contains(subject), "the ticket's fields go to its customer");
        let unresolved: Vec<(&str, &str)> = resolved.unresolved_keys.iter().map(|u| (u.table.as_str(), u.key.as_str())).collect();
        assert_eq!(unresolved, [("customers", "C9")]);
    }

    #[test]
    fn a_customer_reached_itself_and_through_tickets_has_every_touch_and_the_touched_ones_stay_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let (name, email, subject) = (case.schema.field("customers.full_name").unwrap(), case.schema.field("customers.email").unwrap(), case.schema.field("tickets.subject").unwrap());
        // C2 viewed itself (its name), then through its ticket T2 twice; C1 only through T1; C3 only itself.
        collected.touch(0, &["C2".into()], &[name], Grade::Named, testing::t("2019-06-03T10:00:00Z"), 0);
        collected.touch(1, &["T2".into()], &[subject], Grade::Named, testing::t("2019-06-02T09:00:00Z"), 0);
        collected.touch(1, &["T2".into()], &[subject], Grade::Named, testing::t("2019-06-04T09:00:00Z"), 0);
        collected.touch(1, &["T1".into()], &[subject], Grade::Named, testing::t("2019-06-05T09:00:00Z"), 0);
        collected.touch(0, &["C3".into()], &[email], Grade::Named, testing::t("2019-06-06T10:00:00Z"), 0);
        let before: Vec<(String, u64)> = collected.touched[CUSTOMERS].iter().map(|(k, t)| (k.clone(), t.count)).collect();
        let resolved = resolve(&case, &collected, &mut |_, _, _| {}).unwrap();

        let got: Vec<(&str, u64, Vec<usize>, String, String)> = resolved
            .customers
            .iter()
            .map(|c| (c.key.as_str(), c.touch.count, c.touch.fields.ones().collect(), c.touch.first.to_rfc3339(), c.touch.last.to_rfc3339()))
            .collect();
        assert_eq!(
            got,
            [
                ("C1", 1, vec![subject], "2019-06-05T09:00:00+00:00".into(), "2019-06-05T09:00:00+00:00".into()),
                ("C2", 3, { let mut f = vec![name, subject]; f.sort(); f }, "2019-06-02T09:00:00+00:00".into(), "2019-06-04T09:00:00+00:00".into()),
                ("C3", 1, vec![email], "2019-06-06T10:00:00+00:00".into(), "2019-06-06T10:00:00+00:00".into()),
            ]
        );
        assert_eq!(resolved.tables[0].keys_touched, 3, "C1, C2 and C3, each once");
        // What collect found is left as it was (coverage and the free-text scan read it after resolve).
        let after: Vec<(String, u64)> = collected.touched[CUSTOMERS].iter().map(|(k, t)| (k.clone(), t.count)).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn a_key_that_is_a_rows_second_id_finds_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("customers.csv", "customer_id,sf_id,full_name\nC1,0035j00000AbCd1,Ann Lee\nC2,0035j00000AbCd2,Bob Roe\nC3,0035j00000AbCd2,Bob Roe (copy)\n"),
            ("tickets.csv", "ticket_number,zendesk_id,customer_id,subject\nT1,101,C1,Refund\nT2,102,C3,Login\n"),
            ("audit.csv", "event_time,user_name,entity,entity_id\n"),
            (
                "case.toml",
                "[case]\nname = \"ids\"\nactors = [\"k.walsh\"]\n[customers]\npath = \"customers.csv\"\nkey = \"customer_id\"\nids = [\"sf_id\"]\n\
                 [[tables]]\nname = \"tickets\"\npath = \"tickets.csv\"\nkey = \"ticket_number\"\ncustomer = \"customer_id\"\nids = [\"zendesk_id\"]\n\
                 [[logs]]\npath = \"audit.csv\"\nformat = \"csv\"\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let case = crate::case::Case::load(&dir.path().join("case.toml"), &Default::default()).unwrap();
        let mut collected = Collected::new(&case);
        let t = testing::t("2019-06-03T10:00:00Z");
        // The 18-character form of C1's 15-character Salesforce id; C1 also by its own key.
        collected.touch(0, &["0035j00000AbCd1AAF".into(), "C1".into()], &[1], Grade::Named, t, 0);
        // An id two rows share: both rows, counted.
        collected.touch(0, &["0035j00000AbCd2".into()], &[2], Grade::Named, t, 0);
        // A ticket by its Zendesk id; another id matches nothing.
        collected.touch(1, &["101".into(), "999".into()], &[8], Grade::Named, t, 0);
        let resolved = resolve(&case, &collected, &mut |_, _, _| {}).unwrap();
        let keys: Vec<(&str, u64)> = resolved.customers.iter().map(|c| (c.key.as_str(), c.touch.count)).collect();
        assert_eq!(keys, [("C1", 3), ("C2", 1), ("C3", 1)], "C1: its id, its key and its ticket");
        let customers = &resolved.tables[0];
        assert_eq!((customers.keys_touched, customers.keys_found, customers.keys_unresolved), (3, 3, 0), "C1 by id and key (and through T1), the shared id");
        assert_eq!((customers.keys_found_by_second_id, customers.second_ids_on_several_rows), (2, 1));
        let tickets = &resolved.tables[1];
        assert_eq!((tickets.keys_touched, tickets.keys_found, tickets.keys_unresolved, tickets.keys_found_by_second_id), (2, 1, 1, 1));
        assert_eq!(resolved.unresolved_keys.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), ["999"]);
    }
}
