//! The exposure stage (after resolve; the order is in `analysis`): per affected customer, the exposed fields and data classes, first/last access, count and
//! sources, and which of them rest only on assumed views; for the whole case, what was exposed, what the
//! tables hold that was not (only where nothing the actors did could have exposed it), what cannot be ruled
//! out and why, and per source which views were declared and which assumed.

use std::collections::{BTreeMap, BTreeSet};

use fixedbitset::FixedBitSet;
use rayon::prelude::*;
use serde::Serialize;

use crate::case::Case;

use crate::case::schema::{FieldId, Role};
use crate::case::settings::TableAccessPolicy;
use crate::classes::DataClass;
use crate::evidence::access::{DefaultView, Grade};
use crate::evidence::interpreter::Interpreter;
use crate::stages::collect::{Collected, Lines};
use crate::stages::resolve::AffectedCustomer;
use crate::read::timefmt::{format_utc, Timestamp};

/// One affected customer, as the notification list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerExposure {
    pub customer_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub country: String,
    pub region: String,
    /// The postal address (the `address` role), empty when the table has none.
    pub address: String,
    pub segment: String,
    pub data_classes: Vec<DataClass>,
    /// Of `data_classes`, those that rest only on assumed views (no access whose fields the log gave or the
    /// case declared showed them): counsel sees which duties rest on an assumption.
    pub assumed_classes: Vec<DataClass>,
    pub exposed_fields: Vec<String>,
    /// Of `exposed_fields`, those only assumed views showed.
    pub assumed_fields: Vec<String>,
    #[serde(serialize_with = "ser_time")]
    pub first_access: Timestamp,
    #[serde(serialize_with = "ser_time")]
    pub last_access: Timestamp,
    pub access_count: u64,
    pub sources: Vec<String>,
    /// The strongest evidence behind this customer (named > replayed > table).
    pub evidence: Grade,
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_utc(t))
}

/// A data class the case's tables hold, and whether any affected customer had it exposed.
#[derive(Clone, Debug, Serialize)]
pub struct ClassHolding {
    pub class: DataClass,
    pub columns: Vec<String>,
    pub customers_exposed: usize,
    /// Of those, customers for whom it rests only on assumed views.
    pub customers_assumed: usize,
}

/// Something the actors did (or that may have been theirs) whose exposure the logs do not show: while it
/// could have shown a class, that class cannot be called "not exposed".
#[derive(Clone, Debug, Serialize)]
pub struct Blocker {
    pub source: String,
    /// `unresolved_query`, `whole_table_read`, `rejected_record`, `rejected_record_unknown_account`,
    /// `access_without_account`, `record_without_account_unread`.
    pub kind: &'static str,
    /// For people: what, whose, where (`1 rejected record of app_rw in logs/pg.log line 12`).
    pub reason: String,
    /// The held classes it could have exposed.
    pub classes: Vec<DataClass>,
}

/// A built-in default applied to a source's views.
#[derive(Clone, Debug, Serialize)]
pub struct DefaultApplied {
    pub default: &'static str,
    /// Which views it was applied to.
    pub views: &'static str,
    pub tables: Vec<String>,
    /// The actors' accesses it was applied to.
    pub accesses: u64,
    /// What the default shows, and where it may overstate or understate.
    pub shows: &'static str,
}

/// A source's views that were assumed, and what rests on the assumption.
#[derive(Clone, Debug, Serialize)]
pub struct ViewsAssumed {
    pub tables: Vec<String>,
    /// Classes that, for at least one customer this source showed, rest only on assumed views.
    pub assumed_classes: Vec<DataClass>,
    /// Customers this source showed with at least one such class.
    pub customers: usize,
    /// How to declare what the views show.
    pub fix: String,
}

/// Per source: the views the case declared and the defaults applied to the actors' accesses.
#[derive(Clone, Debug, Serialize)]
pub struct SourceViews {
    pub source: String,
    /// Declared views and store attributes applied → accesses.
    pub declared: BTreeMap<String, u64>,
    /// `[logs.views]` and `[logs.attributes]` entries of this source no access used (a misspelt name or action).
    pub declared_unused: Vec<String>,
    pub defaults: Vec<DefaultApplied>,
    /// Set when any of the source's views was assumed.
    pub views_assumed: Option<ViewsAssumed>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ExposureSummary {
    pub customers_affected: usize,
    pub by_class: BTreeMap<String, usize>,
    /// Customers for whom the class rests only on assumed views.
    pub by_class_assumed: BTreeMap<String, usize>,
    pub by_segment: BTreeMap<String, usize>,
    pub by_source: BTreeMap<String, usize>,
    pub by_field: BTreeMap<String, usize>,
    pub by_evidence: BTreeMap<String, usize>,
    /// Every class some column holds, exposed or not.
    pub held: Vec<ClassHolding>,
    /// Classes the tables hold that nothing the actors did could have exposed: not exposed for a listed
    /// customer, and no blocker (see `blockers`) could have shown them ("no card data was accessed").
    pub held_not_exposed: Vec<DataClass>,
    /// Classes no listed customer had exposed, but that something in `blockers` could have shown: they cannot
    /// be ruled out.
    pub possibly_exposed: Vec<DataClass>,
    /// Why classes cannot be called "not exposed" (the reasons of the blockers that hold some back).
    pub not_exposed_blocked_by: Option<String>,
    /// Everything that keeps a class from being called "not exposed".
    pub blockers: Vec<Blocker>,
    /// Sensitive classes (cards, bank accounts, IDs, passwords, dates of birth) no column of the case's tables
    /// holds (and no free-text scan found).
    pub sensitive_not_held: Vec<DataClass>,
    /// Per source: declared and assumed views.
    pub views: Vec<SourceViews>,
}

/// Customers per name (of a class, segment, source...), while [`expose`] counts.
/// Rows per name, counted on every core (a few names, 68,000 rows: counted on one core in ordered maps, they
/// were 20 ms of the 1M benchmark with the other core idle, perf); ordered when made owned.
type Counts<'a> = foldhash::HashMap<&'a str, usize>;

/// Counts made owned (names as keys), in name order.
fn owned(counts: Counts) -> BTreeMap<String, usize> {
    counts.into_iter().map(|(name, n)| (name.to_string(), n)).collect()
}

/// `into` with `more`'s counts added.
fn add<'a>(mut into: Counts<'a>, more: Counts<'a>) -> Counts<'a> {
    for (name, n) in more {
        *into.entry(name).or_default() += n;
    }
    into
}

/// Customers per data class, and per class resting only on assumed views (the summary's `by_class` and
/// `by_class_assumed`): counted again when free-text findings add classes to rows.
pub fn class_counts(rows: &[CustomerExposure]) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    const CLASSES: usize = DataClass::ALL.len();
    // By the class's place in the enumeration, on every core.
    let (exposed, assumed) = rows
        .par_iter()
        .fold(
            || ([0usize; CLASSES], [0usize; CLASSES]),
            |(mut exposed, mut assumed), row| {
                row.data_classes.iter().for_each(|class| exposed[*class as usize] += 1);
                row.assumed_classes.iter().for_each(|class| assumed[*class as usize] += 1);
                (exposed, assumed)
            },
        )
        .reduce(
            || ([0; CLASSES], [0; CLASSES]),
            |(mut exposed, mut assumed), (more_exposed, more_assumed)| {
                (0..CLASSES).for_each(|i| (exposed[i], assumed[i]) = (exposed[i] + more_exposed[i], assumed[i] + more_assumed[i]));
                (exposed, assumed)
            },
        );
    let named = |counts: [usize; CLASSES]| DataClass::ALL.into_iter().filter(|c| counts[*c as usize] > 0).map(|c| (c.as_str().to_string(), counts[c as usize])).collect();
    (named(exposed), named(assumed))
}

/// The affected customers' rows, made from `customers` (resolve's, taken over: their values move into the
/// rows).
pub fn expose(case: &Case, collected: &Collected, customers: Vec<AffectedCustomer>) -> (Vec<CustomerExposure>, ExposureSummary) {
    let schema = &case.schema;
    // Each customer's row made on every core (68,000 customers: sets and copies of names, 40 ms on one).
    let rows: Vec<CustomerExposure> = customers
        .into_par_iter()
        .map(|mut c| {
            let names = |set: &FixedBitSet| -> Vec<String> { set.ones().map(|f| schema.field_names[f].clone()).collect::<BTreeSet<_>>().into_iter().collect() };
            let classes = |set: &FixedBitSet| -> BTreeSet<DataClass> { set.ones().filter_map(|f| schema.field_classes[f]).collect() };
            let exposed_fields = names(&c.touch.fields);
            let assumed_fields = names(&c.touch.assumed);
            let mut data_classes: Vec<DataClass> = classes(&c.touch.fields).into_iter().collect();
            data_classes.sort_by_key(|c| c.as_str());
            let confirmed = classes(&c.touch.confirmed());
            let mut assumed_classes: Vec<DataClass> = classes(&c.touch.assumed).into_iter().filter(|k| !confirmed.contains(k)).collect();
            assumed_classes.sort_by_key(|c| c.as_str());
            let sources: Vec<String> = c.touch.sources.ones().map(|s| case.logs[s].name.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let mut role = |r: Role| c.roles.iter_mut().find(|(of, _)| *of == r).map(|(_, value)| std::mem::take(value)).unwrap_or_default();
            CustomerExposure {
                customer_id: c.key,
                name: role(Role::Name),
                email: role(Role::Email),
                phone: role(Role::Phone),
                country: role(Role::Country),
                region: role(Role::Region),
                segment: role(Role::Segment),
                address: role(Role::Address),
                data_classes,
                assumed_classes,
                exposed_fields,
                assumed_fields,
                first_access: c.touch.first,
                last_access: c.touch.last,
                access_count: c.touch.count,
                sources,
                evidence: c.touch.grade,
            }
        })
        .collect();

    let mut summary = ExposureSummary { customers_affected: rows.len(), ..Default::default() };
    (summary.by_class, summary.by_class_assumed) = class_counts(&rows);
    // Counted by borrowed names, made owned once at the end (not a string per row and count).
    let (by_segment, by_source, by_evidence, by_field) = rows
        .par_iter()
        .fold(<(Counts, Counts, Counts, Counts)>::default, |(mut by_segment, mut by_source, mut by_evidence, mut by_field), row| {
            *by_segment.entry(if row.segment.is_empty() { "(none)" } else { &row.segment }).or_default() += 1;
            for source in &row.sources {
                *by_source.entry(source).or_default() += 1;
            }
            *by_evidence.entry(row.evidence.as_str()).or_default() += 1;
            for field in &row.exposed_fields {
                *by_field.entry(field).or_default() += 1;
            }
            (by_segment, by_source, by_evidence, by_field)
        })
        .reduce(<(Counts, Counts, Counts, Counts)>::default, |a, b| (add(a.0, b.0), add(a.1, b.1), add(a.2, b.2), add(a.3, b.3)));
    summary.by_segment = owned(by_segment);
    summary.by_source = owned(by_source);
    summary.by_evidence = owned(by_evidence);
    summary.by_field = owned(by_field);
    let mut held: BTreeMap<DataClass, Vec<String>> = BTreeMap::new();
    for (field, class) in schema.field_classes.iter().enumerate() {
        if let Some(class) = class {
            held.entry(*class).or_default().push(schema.field_names[field].clone());
        }
    }
    for (class, columns) in held {
        let customers_exposed = summary.by_class.get(class.as_str()).copied().unwrap_or(0);
        let customers_assumed = summary.by_class_assumed.get(class.as_str()).copied().unwrap_or(0);
        summary.held.push(ClassHolding { class, columns, customers_exposed, customers_assumed });
    }
    summary.blockers = blockers(case, collected);
    settle_not_exposed(&mut summary);
    summary.sensitive_not_held =
        DataClass::ALL.into_iter().filter(|c| c.is_sensitive() && !summary.held.iter().any(|h| h.class == *c)).collect();
    summary.views = views(case, collected, &rows);
    (rows, summary)
}

/// Sorts the held classes no listed customer had exposed into "not exposed" (nothing could have shown them)
/// and "cannot be ruled out" (a blocker could have), with the blockers' reasons. Called again when free-text
/// findings add classes.
pub fn settle_not_exposed(summary: &mut ExposureSummary) {
    summary.held_not_exposed.clear();
    summary.possibly_exposed.clear();
    let mut reasons: Vec<&str> = Vec::new();
    for h in &summary.held {
        if summary.by_class.contains_key(h.class.as_str()) {
            continue;
        }
        let blocking: Vec<&Blocker> = summary.blockers.iter().filter(|b| b.classes.contains(&h.class)).collect();
        if blocking.is_empty() {
            summary.held_not_exposed.push(h.class);
        } else {
            summary.possibly_exposed.push(h.class);
            for b in blocking {
                if !reasons.contains(&b.reason.as_str()) {
                    reasons.push(&b.reason);
                }
            }
        }
    }
    summary.not_exposed_blocked_by = (!reasons.is_empty()).then(|| reasons.join("; "));
}

/// Every field a source's events can show: a web log's routes' fields; any other log, every column.
fn reachable(case: &Case, collected: &Collected, source: usize) -> Vec<FieldId> {
    let log = &case.logs[source];
    let mut files = collected.files.iter().filter(|f| f.source == log.name).peekable();
    let web = files.peek().is_some() && files.all(|f| f.format == crate::ingest::event::Format::Combined.as_str());
    if web {
        crate::evidence::route::route_fields(&Interpreter::new(&case.schema, log))
    } else {
        (0..case.schema.field_count()).collect()
    }
}

/// `file line 12`, `file lines 12, 40` or `file line 12 and 3 more`: where some records are.
fn places(lines: &Lines) -> String {
    let mut by_file: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (file, line) in &lines.first {
        by_file.entry(file).or_default().push(*line);
    }
    by_file.values_mut().for_each(|l| l.sort_unstable());
    let mut parts: Vec<String> = by_file
        .into_iter()
        .map(|(file, lines)| {
            let list: Vec<String> = lines.iter().map(u64::to_string).collect();
            format!("{file} line{} {}", if lines.len() > 1 { "s" } else { "" }, list.join(", "))
        })
        .collect();
    let more = lines.count.saturating_sub(lines.first.len() as u64);
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    parts.join(", ")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What keeps classes from being called "not exposed": the actors' unresolved queries and whole-table reads
/// left off the list, their rejected records, rejected records whose account is unknown, and accesses
/// without an account that reached case data (whose they were is unknown). Each with the held classes it
/// could have shown.
fn blockers(case: &Case, collected: &Collected) -> Vec<Blocker> {
    let schema = &case.schema;
    let classes_of = |fields: &mut dyn Iterator<Item = FieldId>| -> Vec<DataClass> {
        let set: BTreeSet<DataClass> = fields.filter_map(|f| schema.field_classes.get(f).copied().flatten()).collect();
        set.into_iter().collect()
    };
    let reach: Vec<Vec<FieldId>> = (0..case.logs.len()).map(|s| reachable(case, collected, s)).collect();
    let mut out = Vec::new();

    // The actors' unresolved queries and whole-table reads left off the list, per source and actor,
    // counted per event.
    /// One actor's unresolved queries in one source: their events, and the fields they may have returned.
    #[derive(Default)]
    struct Events {
        lines: Lines,
        seen: BTreeSet<(String, u64)>,
        fields: BTreeSet<FieldId>,
    }
    let mut unresolved: BTreeMap<(usize, &str), Events> = BTreeMap::new();
    for q in &collected.unresolved_queries {
        let o = &q.origin;
        let entry = unresolved.entry((o.source_index, o.actor.as_str())).or_default();
        if entry.seen.insert((o.file.clone(), o.line)) {
            entry.lines.count += 1;
            if entry.lines.first.len() < Lines::KEPT {
                entry.lines.first.push((o.file.clone(), o.line));
            }
        }
        match &q.fields {
            Some(names) => entry.fields.extend(names.iter().filter_map(|n| schema.field(n))),
            None => entry.fields.extend(reach[o.source_index].iter().copied()),
        }
    }
    for ((source, actor), Events { lines, fields, .. }) in unresolved {
        out.push(Blocker {
            source: case.logs[source].name.clone(),
            kind: "unresolved_query",
            reason: format!("{} of {actor} in {} (the log does not say which records; see unresolved_queries)", plural(lines.count, "unresolved query", "unresolved queries"), places(&lines)),
            classes: classes_of(&mut fields.into_iter()),
        });
    }
    if case.table_access == TableAccessPolicy::Report {
        let mut reads: BTreeMap<(usize, &str), (Lines, BTreeSet<FieldId>)> = BTreeMap::new();
        for a in &collected.table_accesses {
            let o = &a.origin;
            let entry = reads.entry((o.source_index, o.actor.as_str())).or_default();
            entry.0.count += 1;
            if entry.0.first.len() < Lines::KEPT {
                entry.0.first.push((o.file.clone(), o.line));
            }
            entry.1.extend(a.field_ids.iter().copied());
        }
        for ((source, actor), (lines, fields)) in reads {
            out.push(Blocker {
                source: case.logs[source].name.clone(),
                kind: "whole_table_read",
                reason: format!(
                    "{} of {actor} in {} left off the list (table_access = \"report\"; see table_accesses)",
                    plural(lines.count, "whole-table read", "whole-table reads"),
                    places(&lines)
                ),
                classes: classes_of(&mut fields.into_iter()),
            });
        }
    }

    // Records that may be the actors' and could not be used.
    for (source, u) in collected.unaccounted.iter().enumerate() {
        let name = &case.logs[source].name;
        let all = || classes_of(&mut reach[source].iter().copied());
        for (actor, lines) in &u.rejected_of_actor {
            out.push(Blocker {
                source: name.clone(),
                kind: "rejected_record",
                reason: format!("{} of {actor} in {} (see the rejects file)", plural(lines.count, "rejected record", "rejected records"), places(lines)),
                classes: all(),
            });
        }
        if u.rejected_unknown.count > 0 {
            out.push(Blocker {
                source: name.clone(),
                kind: "rejected_record_unknown_account",
                reason: format!(
                    "{} in {} whose account could not be read: {} (see the rejects file)",
                    plural(u.rejected_unknown.count, "rejected record", "rejected records"),
                    places(&u.rejected_unknown),
                    if u.rejected_unknown.count == 1 { "it may be the actors'" } else { "they may be the actors'" }
                ),
                classes: all(),
            });
        }
        if u.without_account.count > 0 {
            let fields: Vec<FieldId> = if u.without_account_unknown_fields { reach[source].clone() } else { u.without_account_fields.ones().collect() };
            out.push(Blocker {
                source: name.clone(),
                kind: "access_without_account",
                reason: format!(
                    "{} without an account reached case data in {}: whose they were is unknown",
                    plural(u.without_account.count, "access", "accesses"),
                    places(&u.without_account)
                ),
                classes: classes_of(&mut fields.into_iter()),
            });
        }
        if u.without_account_unread > 0 {
            out.push(Blocker {
                source: name.clone(),
                kind: "record_without_account_unread",
                reason: format!("{} without an account in {name} were counted, not read: what they showed is unknown", plural(u.without_account_unread, "record", "records")),
                classes: all(),
            });
        }
    }
    out.retain(|b| !b.classes.is_empty());
    out
}

/// Per source: which declared views were used, which defaults applied, and the classes resting on them.
fn views(case: &Case, collected: &Collected, rows: &[CustomerExposure]) -> Vec<SourceViews> {
    let schema = &case.schema;
    let mut out = Vec::new();
    for (source, log) in case.logs.iter().enumerate() {
        let Some(used) = collected.views.get(source) else { continue };
        let mut declared_keys: Vec<String> = log.views.iter().map(|v| format!("[logs.views] {}", v.key)).collect();
        declared_keys.extend(log.attributes.keys().map(|t| format!("[logs.attributes] {}", schema.tables[*t].name)));
        let declared_unused: Vec<String> = declared_keys.into_iter().filter(|k| !used.declared.contains_key(k)).collect();
        let mut defaults = Vec::new();
        let mut tables = BTreeSet::new();
        for (default, per_table) in &used.assumed {
            let names: Vec<String> = per_table.keys().map(|t| schema.tables[*t].name.clone()).collect();
            tables.extend(names.iter().cloned());
            defaults.push(DefaultApplied { default: default.as_str(), views: default.view(), tables: names, accesses: per_table.values().sum(), shows: default.may_err() });
        }
        let views_assumed = (!used.assumed.is_empty()).then(|| {
            let from_here: BTreeSet<DataClass> = used.assumed_fields.ones().filter_map(|f| schema.field_classes[f]).collect();
            let mut classes = BTreeSet::new();
            let mut customers = 0;
            for row in rows.iter().filter(|r| r.sources.contains(&log.name)) {
                let resting: Vec<&DataClass> = row.assumed_classes.iter().filter(|c| from_here.contains(c)).collect();
                customers += usize::from(!resting.is_empty());
                classes.extend(resting);
            }
            let mut assumed_classes: Vec<DataClass> = classes.into_iter().collect();
            assumed_classes.sort_by_key(|c| c.as_str());
            let tables: Vec<String> = tables.iter().cloned().collect();
            let first = tables.first().map(String::as_str).unwrap_or("TABLE");
            let stored = used.assumed.keys().any(|d| matches!(d, DefaultView::StoredItem | DefaultView::StoredDocument));
            let fix = format!(
                "declare in this [[logs]] entry what each view shows, as `table.column`s: [logs.views] {first} = [\"{first}.…\", …] (also per action: \"{first}:ACTION\"){}",
                if stored { format!(", or the attributes the store keeps: `attributes = [...]` under the table, or [logs.attributes] {first} = [...]", first = first) } else { String::new() }
            );
            ViewsAssumed { tables, assumed_classes, customers, fix }
        });
        out.push(SourceViews { source: log.name.clone(), declared: used.declared.clone(), declared_unused, defaults, views_assumed });
    }
    out
}

/// An affected customer's row with nothing but its id, its exposed columns and its classes (accessed once,
/// on 2019-06-01, named), for the tests of the stages after exposure.
#[cfg(test)]
pub(crate) fn test_row(customer_id: &str, fields: &[&str], data_classes: Vec<DataClass>) -> CustomerExposure {
    let t = crate::read::timefmt::parse_zoned("2019-06-01T00:00:00Z").expect("a time");
    CustomerExposure {
        customer_id: customer_id.into(),
        name: String::new(),
        email: String::new(),
        phone: String::new(),
        country: String::new(),
        region: String::new(),
        segment: String::new(),
        address: String::new(),
        data_classes,
        assumed_classes: vec![],
        exposed_fields: fields.iter().map(|f| f.to_string()).collect(),
        assumed_fields: vec![],
        first_access: t,
        last_access: t,
        access_count: 1,
        sources: vec![],
        evidence: Grade::Named,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::resolve::resolve;
    use crate::stages::testing;

    /// The customers per class counted on every core are those counted one row after another, by name in
    /// name order, over enough rows that the count is split between threads; every class has its own place.
    #[test]
    fn customers_per_class_are_counted_as_one_row_after_another_would() {
        for (i, class) in DataClass::ALL.into_iter().enumerate() {
            assert_eq!(class as usize, i, "DataClass::ALL lists the classes in their order");
        }
        let rows: Vec<CustomerExposure> = (0..20_000)
            .map(|i| {
                let pick = |from: usize, step: usize| -> Vec<DataClass> {
                    DataClass::ALL.into_iter().enumerate().filter(|(k, _)| (k * step + i) % from == 0).map(|(_, c)| c).collect()
                };
                CustomerExposure { assumed_classes: pick(11, 5), ..test_row(&format!("C{i}"), &[], pick(3, 7)) }
            })
            .collect();
        let (mut by_class, mut by_class_assumed) = (BTreeMap::new(), BTreeMap::new());
        for row in &rows {
            row.data_classes.iter().for_each(|c| *by_class.entry(c.as_str().to_string()).or_insert(0usize) += 1);
            row.assumed_classes.iter().for_each(|c| *by_class_assumed.entry(c.as_str().to_string()).or_insert(0usize) += 1);
        }
        assert!(by_class.len() > 5 && by_class_assumed.len() > 5);
        assert_eq!(class_counts(&rows), (by_class, by_class_assumed));
    }

    #[test]
    fn exposed_fields_become_classes_and_what_was_held_but_not_reached_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let fields = [case.schema.field("customers.full_name").unwrap(), case.schema.field("customers.email").unwrap()];
        collected.touch(0, &["C1".into()], &fields, Grade::Named, testing::t("2019-06-03T10:00:00Z"), 0);
        let resolved = resolve(&case, &collected, &mut |_, _, _| {}).unwrap();
        let (rows, summary) = expose(&case, &collected, resolved.customers);

        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].customer_id, "C1");
        assert_eq!(rows[0].name, "Ann Lee");
        assert_eq!(rows[0].data_classes, vec![DataClass::EmailAddresses, DataClass::Names]);
        assert_eq!(summary.customers_affected, 1);
        assert!(summary.held_not_exposed.contains(&DataClass::PhoneNumbers), "{:?}", summary.held_not_exposed);
        assert!(!summary.held_not_exposed.contains(&DataClass::Names));
        assert!(summary.possibly_exposed.is_empty());
    }

    #[test]
    fn an_unresolved_query_without_fields_blocks_every_not_exposed_statement() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let query = crate::stages::collect::UnresolvedQuery {
            origin: testing::origin(4, "2019-06-03T12:00:00Z"),
            statement: "SELECT * FROM customers_view".into(),
            reason: "view not in the case".into(),
            fields: None,
        };
        collected.add_unresolved(query, None);
        let (rows, summary) = expose(&case, &collected, Vec::new());
        assert!(rows.is_empty());
        assert!(summary.held_not_exposed.is_empty(), "{:?}", summary.held_not_exposed);
        assert!(summary.not_exposed_blocked_by.is_some());
    }
}
