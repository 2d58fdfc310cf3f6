//! `breachscope profile`: per account (or person) and month, how many distinct customers it touched, its
//! events, the share outside working hours, bulk operations, and customers touched without a ticket
//! assigned to it; and which accounts stand far above their peers that month (robust z-score on the
//! median and MAD), with the reason.

use std::collections::{BTreeMap, HashMap, HashSet};



use crate::insider::activity::{month_label, Activity, CustomerTouches, Month};
use crate::case::Case;
use crate::error::Result;
use crate::insider::stats::Baseline;
use crate::case::settings::ProfileSettings;

/// Customer key → accounts it is assigned to, from the `assignment` column.
pub fn read_assignments(case: &Case) -> Result<Option<HashMap<String, HashSet<String>>>> {
    let Some((table, column)) = case.profile.assignment else { return Ok(None) };
    let spec = &case.schema.tables[table];
    let customer_col = spec.customer_column.as_ref().map(|(_, c)| *c).unwrap_or(spec.key_index);
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    spec.file.for_each_row(|_, row| {
        let assignee = row[column].trim();
        if !assignee.is_empty() && !row[customer_col].is_empty() {
            out.entry(row[customer_col].to_string()).or_default().insert(assignee.to_string());
        }
        Ok(())
    })?;
    Ok(Some(out))
}

/// One account (or person) in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileRow {
    pub actor: String,
    pub accounts: Vec<String>,
    pub month: String,
    pub customers_touched: usize,
    pub events: u64,
    pub after_hours_share: f64,
    pub bulk_operations: u64,
    /// `None` when the case has no assignment column.
    pub unassigned_customers: Option<usize>,
    /// Why the row stands out from its peers that month; empty when it does not.
    pub flags: Vec<String>,
}

pub const HEADER: [&str; 9] =
    ["actor", "accounts", "month", "customers_touched", "events", "after_hours_share", "bulk_operations", "unassigned_customers", "flags"];

/// The rows, sorted by month then actor, with flags set.
pub fn profile(
    groups: &BTreeMap<String, Activity>,
    customers: &CustomerTouches,
    assignments: Option<&HashMap<String, HashSet<String>>>,
    settings: &ProfileSettings,
) -> Vec<ProfileRow> {
    let mut rows = Vec::new();
    for (name, activity) in groups {
        let touches = &customers.per_group[name];
        let mut months: BTreeMap<Month, (usize, usize)> = BTreeMap::new();
        for (customer, touch) in touches {
            let assigned = assignments.map(|a| a.get(customer).is_some_and(|who| activity.accounts.iter().any(|acc| who.contains(acc))));
            for m in &touch.months {
                let entry = months.entry(*m).or_default();
                entry.0 += 1;
                if assigned == Some(false) {
                    entry.1 += 1;
                }
            }
        }
        let all_months: std::collections::BTreeSet<Month> = activity.months.keys().chain(months.keys()).copied().collect();
        for m in all_months {
            let stats = activity.months.get(&m).cloned().unwrap_or_default();
            let (customers_touched, unassigned) = months.get(&m).copied().unwrap_or_default();
            rows.push(ProfileRow {
                actor: name.clone(),
                accounts: activity.accounts.clone(),
                month: month_label(m),
                customers_touched,
                events: stats.events,
                after_hours_share: if stats.events == 0 { 0.0 } else { stats.after_hours as f64 / stats.events as f64 },
                bulk_operations: stats.bulk,
                unassigned_customers: assignments.map(|_| unassigned),
                flags: Vec::new(),
            });
        }
    }
    rows.sort_by(|a, b| (&a.month, &a.actor).cmp(&(&b.month, &b.actor)));
    flag(&mut rows, settings.z_threshold);
    rows
}

/// The fewest accounts active in a month for a peer baseline.
pub const MIN_PEERS: usize = 3;

type Metric = (&'static str, fn(&ProfileRow) -> Option<f64>);

const METRICS: [Metric; 5] = [
    ("customers_touched", |r| Some(r.customers_touched as f64)),
    ("events", |r| Some(r.events as f64)),
    ("after_hours_share", |r| Some(r.after_hours_share)),
    ("bulk_operations", |r| Some(r.bulk_operations as f64)),
    ("unassigned_customers", |r| r.unassigned_customers.map(|n| n as f64)),
];

/// Sets each row's flags: a metric at or above `threshold` robust z-scores over the month's median.
fn flag(rows: &mut [ProfileRow], threshold: f64) {
    let mut by_month: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_month.entry(r.month.clone()).or_default().push(i);
    }
    for indexes in by_month.values() {
        if indexes.len() < MIN_PEERS {
            continue;
        }
        for (name, metric) in METRICS {
            let values: Vec<f64> = indexes.iter().filter_map(|i| metric(&rows[*i])).collect();
            if values.len() < MIN_PEERS {
                continue;
            }
            let baseline = Baseline::of(&values);
            for i in indexes {
                let Some(v) = metric(&rows[*i]) else { continue };
                let z = baseline.z(v);
                if z >= threshold && v > baseline.median {
                    let shown = |x: f64| if name == "after_hours_share" { format!("{x:.2}") } else { format!("{x}") };
                    let z_text = if z.is_infinite() { "all peers equal".to_string() } else { format!("robust z {z:.1}") };
                    rows[*i].flags.push(format!(
                        "{name} {} vs peer median {} ({z_text}, {} accounts)",
                        shown(v),
                        shown(baseline.median),
                        values.len()
                    ));
                }
            }
        }
    }
}

pub fn to_csv(rows: &[ProfileRow]) -> Vec<u8> {
    use crate::output::files::neutralise;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).expect("memory");
    for r in rows {
        let cells = [
            r.actor.clone(),
            r.accounts.join(";"),
            r.month.clone(),
            r.customers_touched.to_string(),
            r.events.to_string(),
            format!("{:.4}", r.after_hours_share),
            r.bulk_operations.to_string(),
            r.unassigned_customers.map(|n| n.to_string()).unwrap_or_default(),
            r.flags.join("; "),
        ];
        w.write_record(cells.iter().map(|c| neutralise(c).into_owned())).expect("memory");
    }
    w.into_inner().expect("memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(actor: &str, customers: usize, bulk: u64) -> ProfileRow {
        ProfileRow {
            actor: actor.into(),
            accounts: vec![actor.into()],
            month: "2019-07".into(),
            customers_touched: customers,
            events: customers as u64,
            after_hours_share: 0.3,
            bulk_operations: bulk,
            unassigned_customers: None,
            flags: vec![],
        }
    }

    #[test]
    fn flags_the_account_far_above_its_peers_and_says_why() {
        let mut rows = vec![row("a", 20, 0), row("b", 22, 0), row("c", 25, 0), row("d", 19, 0), row("e", 24, 0), row("x", 240, 3)];
        flag(&mut rows, 3.5);
        assert!(rows[..5].iter().all(|r| r.flags.is_empty()), "{rows:?}");
        let flags = &rows[5].flags;
        assert!(flags.iter().any(|f| f.starts_with("customers_touched 240 vs peer median 23")), "{flags:?}");
        assert!(flags.iter().any(|f| f.starts_with("bulk_operations 3 vs peer median 0")), "{flags:?}");
        assert!(!flags.iter().any(|f| f.starts_with("after_hours_share")), "{flags:?}");
    }

    #[test]
    fn too_few_peers_means_no_flags() {
        let mut rows = vec![row("a", 20, 0), row("x", 240, 0)];
        flag(&mut rows, 3.5);
        assert!(rows.iter().all(|r| r.flags.is_empty()));
    }

}
