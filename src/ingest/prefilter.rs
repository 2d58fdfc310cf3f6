//! Reading for a few accounts: nearly every record of a large log belongs to other accounts, and all a
//! reader needs of those is that they were well-formed, when they were written and whether they named an
//! account (for counts and coverage). A parser told the accounts ([`AccountsOfInterest`]) checks such a
//! record as strictly as any other (field count, UTF-8, time) and counts it in an [`OtherAccountsTally`]
//! instead of building an event for it. Whose record it is comes from its account cell, compared exactly
//! as the reader would compare it: the prefix-named colleague `k.walshe` and a name inside a URL or a note
//! are another account's.

use std::collections::{BTreeMap, HashMap};

use crate::read::timefmt::Window;
use crate::read::timefmt::Timestamp;

/// What a reader wants from the logs: only the events of `accounts`; other accounts' records are only
/// counted (with their times, for coverage), judged against `window`.
#[derive(Clone, Copy, Debug)]
pub struct AccountsOfInterest<'a> {
    pub accounts: &'a [String],
    pub window: Window,
}

/// Records of other accounts read cheaply by a parser with a prefilter: counted, not handed over one by
/// one. Everything the reader would have taken from their events (counts, times per hour, records
/// without an account, records inside the window) and nothing else: such an event is never used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtherAccountsTally {
    /// Well-formed records counted here (a malformed one is rejected as usual, never counted here).
    pub records: u64,
    /// Of those, records with no account (an empty or `-` account cell).
    pub without_account: u64,
    /// Of those, records inside the window.
    pub in_window: u64,
    /// Per UTC hour (hours since the epoch): count, first and last time.
    pub hours: HashMap<i64, HourTally, foldhash::fast::FixedState>,
    /// Of those, records of accounts near the wanted ones (see [`crate::read::near`]): the names the
    /// logs hold that look like an actor's, for the warning when an actor appears in no log.
    pub near: BTreeMap<String, u64>,
    /// Hours near the first one seen, counted in place before they go to `hours` (a log's records
    /// mostly fall within a few years: a slot per hour is far cheaper than a map lookup per record).
    dense: DenseHours,
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HourTally {
    pub count: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// Hour slots from `base` (hours since the epoch) on.
#[derive(Clone, Debug, Default, PartialEq)]
struct DenseHours {
    base: i64,
    slots: Vec<Option<HourTally>>,
    /// The slots used lie in `lowest..=highest`.
    lowest: usize,
    highest: usize,
}

/// Hours a [`DenseHours`] spans: about eleven months (made for every piece of a file: kept small).
const DENSE_HOURS: i64 = 1 << 13;

impl OtherAccountsTally {
    /// Records flushed to the reader at a time: keeps the tally's memory and the reader's view current.
    pub const FLUSH_AT: u64 = 1 << 16;

    pub fn add(&mut self, time: Timestamp, has_account: bool, window: &Window) {
        self.records += 1;
        self.without_account += u64::from(!has_account);
        self.in_window += u64::from(window.contains(&time));
        let hour = time.timestamp().div_euclid(3600);
        if self.dense.slots.is_empty() {
            let half = DENSE_HOURS as usize / 2;
            self.dense = DenseHours { base: hour - half as i64, slots: vec![None; DENSE_HOURS as usize], lowest: half, highest: half };
        }
        let slot = match usize::try_from(hour - self.dense.base) {
            Ok(i) if i < self.dense.slots.len() => {
                self.dense.lowest = self.dense.lowest.min(i);
                self.dense.highest = self.dense.highest.max(i);
                &mut self.dense.slots[i]
            }
            _ => {
                add_to(self.hours.entry(hour).or_insert(HourTally { count: 0, first: time, last: time }), time);
                return;
            }
        };
        match slot {
            Some(cell) => add_to(cell, time),
            None => *slot = Some(HourTally { count: 1, first: time, last: time }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The tally with every hour in `hours` (as sent to the reader).
    pub fn finished(mut self) -> OtherAccountsTally {
        let dense = std::mem::take(&mut self.dense);
        if dense.slots.is_empty() {
            return self;
        }
        for (i, cell) in dense.slots[dense.lowest..=dense.highest].iter().enumerate() {
            if let Some(cell) = cell {
                self.hours.entry(dense.base + (dense.lowest + i) as i64).and_modify(|c| c.merge(cell)).or_insert(*cell);
            }
        }
        self
    }
}

impl HourTally {
    /// Adds another count of the same hour.
    pub fn merge(&mut self, other: &HourTally) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// Adds `other`'s hours to `hours`.
pub fn merge_hours<S: std::hash::BuildHasher>(hours: &mut HashMap<i64, HourTally, S>, other: &HashMap<i64, HourTally, impl std::hash::BuildHasher>) {
    for (hour, cell) in other {
        hours.entry(*hour).and_modify(|c| c.merge(cell)).or_insert(*cell);
    }
}

impl OtherAccountsTally {
    /// Adds another finished tally's counts (see [`OtherAccountsTally::finished`]).
    pub fn merge(&mut self, other: &OtherAccountsTally) {
        self.records += other.records;
        self.without_account += other.without_account;
        self.in_window += other.in_window;
        merge_hours(&mut self.hours, &other.hours);
        self.add_near(other.near.iter().map(|(a, n)| (a.clone(), *n)));
    }

    /// Adds records of near accounts (counted by the reader as it meets them).
    pub fn add_near(&mut self, counts: impl IntoIterator<Item = (String, u64)>) {
        for (account, n) in counts {
            *self.near.entry(account).or_default() += n;
        }
    }
}

fn add_to(cell: &mut HourTally, time: Timestamp) {
    cell.count += 1;
    cell.first = cell.first.min(time);
    cell.last = cell.last.max(time);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_hours_window_and_missing_accounts() {
        let t = |s: &str| crate::read::timefmt::parse_zoned(s).unwrap();
        let window = Window { since: Some(t("2019-06-01T00:00:00Z")), until: Some(t("2019-06-30T23:59:59Z")) };
        let mut tally = OtherAccountsTally::default();
        tally.add(t("2019-06-03T10:40:00Z"), true, &window);
        tally.add(t("2019-06-03T10:05:00Z"), false, &window);
        tally.add(t("2019-07-01T00:00:00Z"), true, &window);
        tally.add(t("1970-01-01T00:00:00Z"), true, &window); // far from the others
        tally.add(t("1970-01-01T00:30:00Z"), true, &window);
        let tally = tally.finished();
        assert_eq!((tally.records, tally.without_account, tally.in_window), (5, 1, 2));
        assert_eq!(tally.hours.len(), 3);
        assert_eq!(tally.hours[&0].count, 2);
        let h = tally.hours[&(t("2019-06-03T10:00:00Z").timestamp() / 3600)];
        assert_eq!((h.count, h.first, h.last), (2, t("2019-06-03T10:05:00Z"), t("2019-06-03T10:40:00Z")));
    }

}
