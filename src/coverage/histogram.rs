//! A log source's own rhythm, kept small: one cell per UTC hour that has events (count, first and last
//! event time), never a list of events. From it come the expected events of any hour, by weekday and
//! hour of day.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};

use crate::read::timefmt::Timestamp;

const HOUR: i64 = 3600;

/// The hour index (hours since the Unix epoch, UTC) of a time.
pub fn hour_of(t: &Timestamp) -> i64 {
    t.timestamp().div_euclid(HOUR)
}

/// The start of an hour index.
pub fn hour_start(hour: i64) -> Timestamp {
    Utc.timestamp_opt(hour * HOUR, 0).single().expect("hour in range")
}

/// Weekday (0 = Monday) and hour of day of an hour index.
fn slot(hour: i64) -> (usize, usize) {
    let t = hour_start(hour);
    (t.weekday().num_days_from_monday() as usize, t.hour() as usize)
}

/// One hour's events: count, first and last time (the same cell the parsers' tallies keep).
pub use crate::ingest::prefilter::HourTally as HourCell;

/// Events per UTC hour of one source (all accounts).
#[derive(Clone, Debug, Default)]
pub struct HourlyHistogram {
    pub cells: BTreeMap<i64, HourCell>,
}

impl HourlyHistogram {
    pub fn add(&mut self, t: Timestamp) {
        self.add_cell(hour_of(&t), HourCell { count: 1, first: t, last: t });
    }

    pub fn merge(&mut self, other: &HourlyHistogram) {
        for (hour, cell) in &other.cells {
            self.add_cell(*hour, *cell);
        }
    }

    /// Adds the events of one hour (`hour` as [`hour_of`] gives it).
    pub fn add_cell(&mut self, hour: i64, cell: HourCell) {
        self.cells.entry(hour).and_modify(|c| c.merge(&cell)).or_insert(cell);
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn total(&self) -> u64 {
        self.cells.values().map(|c| c.count).sum()
    }

    pub fn first(&self) -> Option<Timestamp> {
        self.cells.values().next().map(|c| c.first)
    }

    pub fn last(&self) -> Option<Timestamp> {
        self.cells.values().next_back().map(|c| c.last)
    }

    /// Events in the hours that reach into `[from, to]` (an hour partly inside counts whole: an estimate
    /// at the edges, used for the gap threshold).
    pub fn count_between(&self, from: Timestamp, to: Timestamp) -> u64 {
        self.cells.range(hour_of(&from)..=hour_of(&to)).filter(|(_, c)| c.last >= from && c.first <= to).map(|(_, c)| c.count).sum()
    }
}

/// Expected events per hour, by weekday and hour of day (UTC), learnt from a histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct Rhythm {
    /// `rates[weekday][hour]`: mean events in that hour over the baseline's occurrences of it.
    pub rates: [[f64; 24]; 7],
}

/// How far around the window the baseline reaches: far outliers (a line dated 1970) must not dilute it.
pub const BASELINE_MARGIN_DAYS: i64 = 35;

/// How often a (weekday, hour) must occur in the baseline to have its own rate. Seen once, a quiet
/// Saturday cannot be told from a lost Wednesday file; the hour's mean over all days is used instead, so
/// thin data errs towards reporting a gap, never towards calling a silence normal.
pub const MIN_SLOT_OCCURRENCES: u64 = 2;

impl Rhythm {
    /// Learns the rhythm from the hours between the source's first and last event, limited to the window
    /// widened by [`BASELINE_MARGIN_DAYS`] on each side (the whole span when that leaves nothing).
    /// A (weekday, hour) slot that occurs fewer than [`MIN_SLOT_OCCURRENCES`] times in the baseline takes
    /// the mean of its hour of day over all days, and failing that the mean of all hours: a slot not
    /// observed enough is not assumed quiet.
    pub fn learn(hist: &HourlyHistogram, window: Option<(Timestamp, Timestamp)>) -> Option<Rhythm> {
        let first = *hist.cells.keys().next()?;
        let last = *hist.cells.keys().next_back()?;
        let (mut from, mut to) = (first, last);
        if let Some((start, end)) = window {
            let margin = Duration::days(BASELINE_MARGIN_DAYS);
            let lo = hour_of(&(start - margin)).max(first);
            let hi = hour_of(&(end + margin)).min(last);
            if lo <= hi && hist.cells.range(lo..=hi).next().is_some() {
                (from, to) = (lo, hi);
            }
        }
        let mut sums = [[0u64; 24]; 7];
        let mut occurrences = [[0u64; 24]; 7];
        // Count occurrences of every slot arithmetically: whole weeks, then the remaining hours.
        let hours = to - from + 1;
        let weeks = hours / (24 * 7);
        for row in occurrences.iter_mut() {
            for o in row.iter_mut() {
                *o = weeks as u64;
            }
        }
        for h in (from + weeks * 24 * 7)..=to {
            let (d, hr) = slot(h);
            occurrences[d][hr] += 1;
        }
        for (hour, cell) in hist.cells.range(from..=to) {
            let (d, hr) = slot(*hour);
            sums[d][hr] += cell.count;
        }
        let total_hours: u64 = occurrences.iter().flatten().sum();
        let overall = sums.iter().flatten().sum::<u64>() as f64 / total_hours.max(1) as f64;
        let mut rates = [[0f64; 24]; 7];
        for hr in 0..24 {
            let (s, o): (u64, u64) = (0..7).fold((0, 0), |(s, o), d| (s + sums[d][hr], o + occurrences[d][hr]));
            let hour_mean = if o > 0 { s as f64 / o as f64 } else { overall };
            for d in 0..7 {
                rates[d][hr] = if occurrences[d][hr] >= MIN_SLOT_OCCURRENCES { sums[d][hr] as f64 / occurrences[d][hr] as f64 } else { hour_mean };
            }
        }
        Some(Rhythm { rates })
    }

    pub fn rate(&self, hour: i64) -> f64 {
        let (d, h) = slot(hour);
        self.rates[d][h]
    }

    /// Events the source would normally write between two times (partial hours count in proportion).
    pub fn expected(&self, from: Timestamp, to: Timestamp) -> f64 {
        if to <= from {
            return 0.0;
        }
        let mut total = 0.0;
        let (h0, h1) = (hour_of(&from), hour_of(&to));
        for h in h0..=h1 {
            let start = hour_start(h).max(from);
            let end = hour_start(h + 1).min(to);
            let seconds = (end - start).num_milliseconds() as f64 / 1000.0;
            if seconds > 0.0 {
                total += self.rate(h) * seconds / HOUR as f64;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        crate::read::timefmt::parse_zoned(s).unwrap()
    }

    #[test]
    fn cells_keep_count_first_and_last() {
        let mut h = HourlyHistogram::default();
        h.add(t("2019-06-03T10:40:00Z"));
        h.add(t("2019-06-03T10:05:00Z"));
        h.add(t("2019-06-03T12:00:00Z"));
        assert_eq!(h.cells.len(), 2);
        let c = h.cells[&hour_of(&t("2019-06-03T10:00:00Z"))];
        assert_eq!((c.count, c.first, c.last), (2, t("2019-06-03T10:05:00Z"), t("2019-06-03T10:40:00Z")));
        assert_eq!(h.first(), Some(t("2019-06-03T10:05:00Z")));
        assert_eq!(h.last(), Some(t("2019-06-03T12:00:00Z")));
    }

    #[test]
    fn weekday_business_hours_rhythm() {
        // Three weeks from Monday 2019-06-03: 4 events an hour, 09:00-16:59 on weekdays.
        let mut h = HourlyHistogram::default();
        let monday = t("2019-06-03T00:00:00Z");
        for day in 0..21 {
            if day % 7 >= 5 {
                continue;
            }
            for hour in 9..17 {
                for m in 0..4 {
                    h.add(monday + Duration::days(day) + Duration::hours(hour) + Duration::minutes(m * 15));
                }
            }
        }
        let r = Rhythm::learn(&h, None).unwrap();
        assert_eq!(r.rates[2][10], 4.0, "Wednesday 10:00");
        assert_eq!(r.rates[5][10], 0.0, "Saturday 10:00 is normally quiet");
        assert_eq!(r.rates[1][3], 0.0, "Tuesday 03:00 is normally quiet");
        // A whole weekday: 8 hours x 4.
        assert!((r.expected(t("2019-06-19T00:00:00Z"), t("2019-06-20T00:00:00Z")) - 32.0).abs() < 1e-9);
        // Half an hour of Wednesday 10:00.
        assert!((r.expected(t("2019-06-19T10:00:00Z"), t("2019-06-19T10:30:00Z")) - 2.0).abs() < 1e-9);
        assert_eq!(r.expected(t("2019-06-22T00:00:00Z"), t("2019-06-24T00:00:00Z")), 0.0, "a weekend");
    }

    #[test]
    fn a_weekday_seen_once_is_not_assumed_quiet() {
        // One week, Monday to Friday, but Wednesday is missing: Wednesday takes the mean of its hours
        // over the days seen, and so does the weekend (seen once: it cannot be told from a lost file).
        let mut h = HourlyHistogram::default();
        let monday = t("2019-06-03T00:00:00Z");
        for day in [0, 1, 3, 4] {
            for hour in 9..17 {
                h.add(monday + Duration::days(day) + Duration::hours(hour));
            }
        }
        let r = Rhythm::learn(&h, None).unwrap();
        assert_eq!(r.rates[2][10], 0.8, "4 events over the 5 Mondays to Fridays seen at 10:00");
        assert_eq!(r.rates[0][10], 0.8);
    }
}
