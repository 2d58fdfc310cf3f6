//! The literal prefilter: nearly every record of a large log belongs to other accounts, and a record whose
//! bytes do not contain an account's name cannot be that account's. Searching the raw bytes for the names
//! (memchr's memmem, as ripgrep does) is far cheaper than reading every field of every record.
//!
//! The test is one-sided: a record that contains a name may still be another account's (the prefix-named
//! colleague `k.walshe`, the name inside a URL or a note), so such records are read in full.

use std::collections::HashMap;

use memchr::memmem::Finder;

use crate::case::Window;
use crate::timefmt::Timestamp;

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
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HourTally {
    pub count: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

impl OtherAccountsTally {
    /// Records flushed to the reader at a time: keeps the tally's memory and the reader's view current.
    pub const FLUSH_AT: u64 = 1 << 16;

    pub fn add(&mut self, time: Timestamp, has_account: bool, window: &Window) {
        self.records += 1;
        self.without_account += u64::from(!has_account);
        self.in_window += u64::from(window.contains(&time));
        self.hours
            .entry(time.timestamp().div_euclid(3600))
            .and_modify(|h| {
                h.count += 1;
                h.first = h.first.min(time);
                h.last = h.last.max(time);
            })
            .or_insert(HourTally { count: 1, first: time, last: time });
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

/// The names of the accounts whose records must be read in full.
pub struct AccountFilter {
    finders: Vec<Finder<'static>>,
}

impl AccountFilter {
    /// `None` when the filter cannot help: no accounts, or an empty name (every record would match).
    pub fn new(accounts: &[String]) -> Option<AccountFilter> {
        if accounts.is_empty() || accounts.iter().any(|a| a.trim().is_empty()) {
            return None;
        }
        let mut names: Vec<&str> = accounts.iter().map(|a| a.trim()).collect();
        names.sort();
        names.dedup();
        // A name containing another one is found through the shorter one.
        let kept: Vec<&str> = names.iter().copied().filter(|n| !names.iter().any(|m| m != n && n.contains(m))).collect();
        Some(AccountFilter { finders: kept.into_iter().map(|n| Finder::new(n.as_bytes()).into_owned()).collect() })
    }

    /// Whether `bytes` may hold one of the accounts' records (contains one of the names).
    pub fn may_contain(&self, bytes: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(bytes).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_hours_window_and_missing_accounts() {
        let t = |s: &str| crate::timefmt::parse_zoned(s).unwrap();
        let window = Window { since: Some(t("2019-06-01T00:00:00Z")), until: Some(t("2019-06-30T23:59:59Z")) };
        let mut tally = OtherAccountsTally::default();
        tally.add(t("2019-06-03T10:40:00Z"), true, &window);
        tally.add(t("2019-06-03T10:05:00Z"), false, &window);
        tally.add(t("2019-07-01T00:00:00Z"), true, &window);
        assert_eq!((tally.records, tally.without_account, tally.in_window), (3, 1, 2));
        assert_eq!(tally.hours.len(), 2);
        let h = tally.hours[&(t("2019-06-03T10:00:00Z").timestamp() / 3600)];
        assert_eq!((h.count, h.first, h.last), (2, t("2019-06-03T10:05:00Z"), t("2019-06-03T10:40:00Z")));
    }

    #[test]
    fn names_found_anywhere_and_only_literally() {
        let f = AccountFilter::new(&["k.walsh".into(), "rpt_k.walsh".into()]).unwrap();
        assert_eq!(f.finders.len(), 1, "rpt_k.walsh is found through k.walsh");
        assert!(f.may_contain(b"2019-06-01T00:00:00Z,k.walsh,view"));
        assert!(f.may_contain(b"x,k.walshe,y"));
        assert!(f.may_contain(b"x,j.smith,/search?q=k.walsh"));
        assert!(!f.may_contain(b"x,k_walsh,y"));
        assert!(!f.may_contain(b"x,K.WALSH,y"));
        assert!(AccountFilter::new(&[]).is_none());
        assert!(AccountFilter::new(&[" ".into()]).is_none());
    }
}
