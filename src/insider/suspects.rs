//! Ranking accounts against a list of reported victims: for each account (or person), how many victims it
//! touched before they reported, against how many it would touch by chance given how many distinct
//! customers it touched (hypergeometric upper tail); and the fewest accounts that together cover most
//! victims (greedy), for colluding insiders.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::insider::activity::KeyTouch;
use crate::output::files::neutralise;
use crate::insider::stats::{format_p, hypergeometric_upper_tail_ln};
use crate::read::timefmt::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct SuspectRow {
    pub actor: String,
    pub victims_touched: usize,
    /// victims_touched / all matched victims.
    pub victim_share: f64,
    pub customers_touched: usize,
    /// customers_touched × victims / customers in the table: the count expected by chance.
    pub expected: f64,
    /// victims_touched / expected.
    pub lift: f64,
    /// ln of the p-value P(X ≥ victims_touched).
    pub ln_p: f64,
}

pub const HEADER: [&str; 7] = ["actor", "victims_touched", "victim_share", "customers_touched", "expected", "lift", "p_value"];

/// The victims a group's touches reached before each victim's report.
pub fn victims_reached(touches: &HashMap<String, KeyTouch>, victims: &BTreeMap<String, Option<Timestamp>>) -> BTreeSet<String> {
    victims
        .iter()
        .filter(|(key, reported)| touches.get(*key).is_some_and(|t| reported.is_none_or(|r| t.first <= r)))
        .map(|(key, _)| key.clone())
        .collect()
}

/// Ranks every group that touched at least one customer; most suspicious (smallest p-value) first, then
/// more victims, then name.
pub fn rank(per_group: &BTreeMap<String, HashMap<String, KeyTouch>>, victims: &BTreeMap<String, Option<Timestamp>>, population: usize) -> Vec<SuspectRow> {
    let total = victims.len();
    let mut rows: Vec<SuspectRow> = per_group
        .iter()
        .filter(|(_, touches)| !touches.is_empty())
        .map(|(actor, touches)| {
            let k = victims_reached(touches, victims).len();
            let n = touches.len().min(population);
            let expected = n as f64 * total as f64 / population as f64;
            SuspectRow {
                actor: actor.clone(),
                victims_touched: k,
                victim_share: if total == 0 { 0.0 } else { k as f64 / total as f64 },
                customers_touched: touches.len(),
                expected,
                lift: if expected > 0.0 { k as f64 / expected } else { 0.0 },
                ln_p: hypergeometric_upper_tail_ln(population as u64, total as u64, n as u64, k as u64),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.ln_p.total_cmp(&b.ln_p).then(b.victims_touched.cmp(&a.victims_touched)).then(a.actor.cmp(&b.actor)));
    rows
}

/// One step of the greedy cover: the group added, the victims it adds, and the victims covered so far.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverStep {
    pub actor: String,
    pub added: usize,
    pub covered: usize,
}

/// The significance level for an account to join the cover: 0.05, Bonferroni-corrected for the number
/// of accounts ranked.
pub fn cover_threshold_ln(accounts: usize) -> f64 {
    (0.05 / accounts.max(1) as f64).ln()
}

/// Up to `max` groups chosen greedily to cover the most victims (ties: the better-ranked group), among
/// the groups that touched more victims than chance explains (p below [`cover_threshold_ln`]): a busy
/// agent who reads most customers covers most victims without being suspicious. Stops when no candidate
/// adds a victim.
pub fn greedy_cover(ranked: &[SuspectRow], reached: &BTreeMap<String, BTreeSet<String>>, max: usize) -> Vec<CoverStep> {
    let threshold = cover_threshold_ln(ranked.len());
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut steps: Vec<CoverStep> = Vec::new();
    while steps.len() < max {
        let best = ranked
            .iter()
            .filter(|r| r.ln_p < threshold && r.lift > 1.0)
            .filter(|r| !steps.iter().any(|s| s.actor == r.actor))
            .map(|r| (r, reached.get(&r.actor).map(|set| set.difference(&covered).count()).unwrap_or(0)))
            .fold(None::<(&SuspectRow, usize)>, |best, (r, gain)| match best {
                Some((_, g)) if g >= gain => best,
                _ => Some((r, gain)),
            });
        match best {
            Some((row, gain)) if gain > 0 => {
                covered.extend(reached[&row.actor].iter().cloned());
                steps.push(CoverStep { actor: row.actor.clone(), added: gain, covered: covered.len() });
            }
            _ => break,
        }
    }
    steps
}

pub fn to_csv(rows: &[SuspectRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).expect("memory");
    for r in rows {
        let cells = [
            r.actor.clone(),
            r.victims_touched.to_string(),
            format!("{:.4}", r.victim_share),
            r.customers_touched.to_string(),
            format!("{:.2}", r.expected),
            format!("{:.2}", r.lift),
            format_p(r.ln_p),
        ];
        w.write_record(cells.iter().map(|c| neutralise(c).into_owned())).expect("memory");
    }
    w.into_inner().expect("memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touches(keys: &[&str], day: u32) -> HashMap<String, KeyTouch> {
        let t = crate::read::timefmt::parse_zoned(&format!("2019-06-{day:02}T10:00:00Z")).unwrap();
        keys.iter().map(|k| (k.to_string(), KeyTouch { first: t, months: BTreeSet::from([crate::insider::activity::month_of(&t)]) })).collect()
    }

    #[test]
    fn focused_account_outranks_busy_one_and_report_dates_count() {
        let population = 1000;
        let victims: BTreeMap<String, Option<Timestamp>> = (0..10)
            .map(|i| (format!("V{i}"), Some(crate::read::timefmt::parse_zoned("2019-06-20T00:00:00Z").unwrap())))
            .collect();
        let insider: Vec<String> = (0..8).map(|i| format!("V{i}")).chain((0..20).map(|i| format!("C{i}"))).collect();
        let busy: Vec<String> = (0..10).map(|i| format!("V{i}")).chain((0..890).map(|i| format!("C{i}"))).collect();
        let mut groups = BTreeMap::new();
        groups.insert("insider".to_string(), touches(&insider.iter().map(String::as_str).collect::<Vec<_>>(), 5));
        groups.insert("busy".to_string(), touches(&busy.iter().map(String::as_str).collect::<Vec<_>>(), 5));
        // Looked at every victim, but only after they reported: cannot have caused the calls.
        groups.insert("late".to_string(), touches(&(0..10).map(|i| format!("V{i}")).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>(), 25));
        let rows = rank(&groups, &victims, population);
        assert_eq!(rows[0].actor, "insider");
        assert_eq!(rows[0].victims_touched, 8);
        assert!((rows[0].expected - 28.0 * 10.0 / 1000.0).abs() < 1e-12);
        assert!(rows[0].ln_p < -20.0);
        let late = rows.iter().find(|r| r.actor == "late").unwrap();
        assert_eq!(late.victims_touched, 0);
        assert_eq!(late.ln_p, 0.0);
        let busy = rows.iter().find(|r| r.actor == "busy").unwrap();
        assert_eq!(busy.victims_touched, 10);
        assert!(busy.ln_p > rows[0].ln_p);

        let reached: BTreeMap<String, BTreeSet<String>> = groups.iter().map(|(g, t)| (g.clone(), victims_reached(t, &victims))).collect();
        // The busy account reached every victim, but no more than chance: the cover is the insider alone.
        let cover = greedy_cover(&rows, &reached, 3);
        assert_eq!(cover, [CoverStep { actor: "insider".into(), added: 8, covered: 8 }]);
    }

    #[test]
    fn greedy_cover_combines_colluders() {
        let row = |a: &str, p: f64| SuspectRow { actor: a.into(), victims_touched: 0, victim_share: 0.0, customers_touched: 1, expected: 0.0, lift: 5.0, ln_p: p };
        // `e` reached the most victims but not beyond chance (p = 0.6): never in the cover.
        let ranked = vec![row("a", -10.0), row("b", -9.0), row("c", -6.0), row("d", -5.0), row("e", -0.5)];
        let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let reached = BTreeMap::from([
            ("a".to_string(), set(&["1", "2", "3"])),
            ("b".to_string(), set(&["4", "5"])),
            ("c".to_string(), set(&["1", "4"])),
            ("d".to_string(), set(&["6"])),
            ("e".to_string(), set(&["1", "2", "3", "4", "5", "6", "7"])),
        ]);
        let cover = greedy_cover(&ranked, &reached, 3);
        let names: Vec<&str> = cover.iter().map(|s| s.actor.as_str()).collect();
        assert_eq!(names, ["a", "b", "d"]);
        assert_eq!(cover.last().unwrap().covered, 6);
    }
}
