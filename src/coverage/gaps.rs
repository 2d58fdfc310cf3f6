//! The gap finder: silent stretches of a source inside the case window that its own rhythm says should
//! not be silent.
//!
//! A silent stretch runs from one event of the source to its next event (or from the window's start to
//! its first event, or from its last event to the window's end), cut to the window. It is a gap when it
//! lasts at least `min_gap` and the source would normally have written at least [`threshold`] events in
//! it (by weekday and hour of day, see [`Rhythm`]). A quiet weekend or night, where the source normally
//! writes nothing, is therefore not a gap, however long.
//!
//! The threshold: if events were independent (Poisson), a stretch that should hold `x` events is silent
//! by chance with probability e^-x, and a source with `n` events in the window has about `n` stretches.
//! Requiring `x >= ln(n / 0.05)` (and at least 5) keeps the gaps reported by chance alone below 0.05
//! per source: a busy log with 10,000 events in the window reports silences that should have held 12.2
//! events or more; a quiet one with 100 events, 7.6 or more.

use chrono::Duration;
use serde::Serialize;

use super::histogram::{HourlyHistogram, Rhythm};
use crate::read::timefmt::Timestamp;

/// The least expected events a silent stretch must reach to be reported as a gap, whatever the volume.
pub const MIN_EXPECTED_EVENTS: f64 = 5.0;

/// Gaps per source that chance alone may report (under independent events).
pub const CHANCE_GAPS: f64 = 0.05;

/// Expected events a silent stretch must reach to be a gap, for a source with `events` in the window.
pub fn threshold(events: u64) -> f64 {
    MIN_EXPECTED_EVENTS.max((events.max(1) as f64 / CHANCE_GAPS).ln())
}

/// Where a gap lies in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// The window opens before the source's first event (or in a silence).
    WindowStart,
    /// Between two events of the source.
    Interior,
    /// The window closes after the source's last event (or in a silence).
    WindowEnd,
    /// The source has no event at all in or around the window.
    WholeWindow,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::WindowStart => "window start",
            GapKind::Interior => "interior",
            GapKind::WindowEnd => "window end",
            GapKind::WholeWindow => "whole window",
        }
    }
}

/// A period inside the window with no events where the source normally has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
    pub kind: GapKind,
    /// Events the source would normally have written in the period; `None` when it has no rhythm at all.
    pub expected: Option<f64>,
}

impl Gap {
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// The gaps of one source in `[start, end]`, sorted, never overlapping, never containing an event.
pub fn find_gaps(hist: &HourlyHistogram, rhythm: Option<&Rhythm>, start: Timestamp, end: Timestamp, min_gap: Duration) -> Vec<Gap> {
    let mut gaps = Vec::new();
    if end <= start {
        return gaps;
    }
    let needed = threshold(hist.count_between(start, end));
    let Some(rhythm) = rhythm.filter(|_| !hist.is_empty()) else {
        gaps.push(Gap { start, end, kind: GapKind::WholeWindow, expected: None });
        return gaps;
    };
    // Consecutive event times across hour cells (within one cell events are less than an hour apart,
    // and min_gap is at least an hour). `None` stands for "no event on that side".
    let mut previous: Option<Timestamp> = None;
    let consider = |from: Option<Timestamp>, to: Option<Timestamp>, gaps: &mut Vec<Gap>| {
        let a = from.map_or(start, |f| f.max(start));
        let b = to.map_or(end, |t| t.min(end));
        if b <= a || b - a < min_gap {
            return;
        }
        let opens = from.is_none_or(|f| f < start);
        let closes = to.is_none_or(|t| t > end);
        let kind = match (opens, closes) {
            (true, true) => GapKind::WholeWindow,
            (true, false) => GapKind::WindowStart,
            (false, true) => GapKind::WindowEnd,
            (false, false) => GapKind::Interior,
        };
        let expected = rhythm.expected(a, b);
        if expected >= needed {
            gaps.push(Gap { start: a, end: b, kind, expected: Some(expected) });
        }
    };
    for cell in hist.cells.values() {
        if previous.is_none_or(|p| p < cell.first) {
            consider(previous, Some(cell.first), &mut gaps);
        }
        previous = Some(previous.map_or(cell.last, |p| p.max(cell.last)));
        if cell.first > end {
            // Every later stretch lies after the window.
            return gaps;
        }
    }
    consider(previous, None, &mut gaps);
    gaps
}

/// Total length of a set of sorted, non-overlapping periods.
pub fn total(periods: &[(Timestamp, Timestamp)]) -> Duration {
    periods.iter().fold(Duration::zero(), |acc, (a, b)| acc + (*b - *a))
}

/// Union of periods (any order) as sorted, non-overlapping periods.
pub fn union(mut periods: Vec<(Timestamp, Timestamp)>) -> Vec<(Timestamp, Timestamp)> {
    periods.sort();
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (a, b) in periods {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Intersection of two sorted, non-overlapping period lists.
pub fn intersect(x: &[(Timestamp, Timestamp)], y: &[(Timestamp, Timestamp)]) -> Vec<(Timestamp, Timestamp)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < x.len() && j < y.len() {
        let a = x[i].0.max(y[j].0);
        let b = x[i].1.min(y[j].1);
        if a < b {
            out.push((a, b));
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        crate::read::timefmt::parse_zoned(s).unwrap()
    }

    /// Weekdays 09:00-16:59, 4 events an hour, from Monday 2019-06-03 for `days` days, skipping `skip`.
    fn business(days: i64, skip: &[i64]) -> HourlyHistogram {
        let mut h = HourlyHistogram::default();
        let monday = t("2019-06-03T00:00:00Z");
        for day in 0..days {
            if day % 7 >= 5 || skip.contains(&day) {
                continue;
            }
            for hour in 9..17 {
                for m in 0..4 {
                    h.add(monday + Duration::days(day) + Duration::hours(hour) + Duration::minutes(m * 15));
                }
            }
        }
        h
    }

    fn gaps_of(h: &HourlyHistogram, start: &str, end: &str) -> Vec<Gap> {
        let (s, e) = (t(start), t(end));
        let r = Rhythm::learn(h, Some((s, e)));
        find_gaps(h, r.as_ref(), s, e, Duration::hours(2))
    }

    #[test]
    fn missing_weekday_is_a_gap_and_weekends_and_nights_are_not() {
        // Three weeks; Wednesday 2019-06-12 (day 9) is missing.
        let h = business(21, &[9]);
        let gaps = gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-21T23:59:59Z");
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let g = &gaps[0];
        assert_eq!(g.kind, GapKind::Interior);
        assert_eq!(g.start, t("2019-06-11T16:45:00Z"), "last event before");
        assert_eq!(g.end, t("2019-06-13T09:00:00Z"), "first event after");
        assert!(g.expected.unwrap() > 20.0);
    }

    #[test]
    fn window_opening_before_the_first_line_is_an_edge_gap() {
        let h = business(21, &[]);
        // The window opens on Wednesday 2019-05-29, five days before the log's first line.
        let gaps = gaps_of(&h, "2019-05-29T00:00:00Z", "2019-06-21T23:59:59Z");
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!((gaps[0].kind, gaps[0].start, gaps[0].end), (GapKind::WindowStart, t("2019-05-29T00:00:00Z"), t("2019-06-03T09:00:00Z")));
        // A window opening at midnight before the first (normal) working hour has no edge gap.
        assert!(gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-21T23:59:59Z").is_empty());
        // Nor one closing on Sunday after Friday's last line.
        assert!(gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-23T23:59:59Z").is_empty());
    }

    #[test]
    fn window_closing_after_the_last_line_is_an_edge_gap() {
        let h = business(21, &[]);
        let gaps = gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-26T23:59:59Z");
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].kind, gaps[0].start), (GapKind::WindowEnd, t("2019-06-21T16:45:00Z")));
    }

    #[test]
    fn a_single_week_cannot_call_its_weekend_quiet() {
        // Seen once, the weekend's silence cannot be told from a lost file: it is reported.
        let h = business(8, &[]);
        let gaps = gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-10T23:59:59Z");
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!((gaps[0].start, gaps[0].end), (t("2019-06-07T16:45:00Z"), t("2019-06-10T09:00:00Z")));
    }

    #[test]
    fn a_source_with_no_events_misses_the_whole_window() {
        let h = HourlyHistogram::default();
        let gaps = gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-04T00:00:00Z");
        assert_eq!(gaps, vec![Gap { start: t("2019-06-03T00:00:00Z"), end: t("2019-06-04T00:00:00Z"), kind: GapKind::WholeWindow, expected: None }]);
    }

    #[test]
    fn a_log_entirely_before_the_window_misses_all_of_it() {
        let h = business(21, &[]);
        let gaps = gaps_of(&h, "2019-07-01T00:00:00Z", "2019-07-31T23:59:59Z");
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].kind, gaps[0].start), (GapKind::WholeWindow, t("2019-07-01T00:00:00Z")));
    }

    #[test]
    fn short_silences_below_min_gap_are_not_gaps() {
        // Monday 2019-06-10 13:00-13:59 missing: 1 hour 15 minutes of silence, expected 4 events.
        let mut h = business(21, &[]);
        h.cells.remove(&super::super::histogram::hour_of(&t("2019-06-10T13:00:00Z")));
        assert!(gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-21T23:59:59Z").is_empty());
    }

    #[test]
    fn a_silent_working_afternoon_is_a_gap() {
        // Monday 2019-06-10 from 12:00 on is missing, until Tuesday's first event.
        let mut h = business(21, &[]);
        for hour in 12..17 {
            h.cells.remove(&super::super::histogram::hour_of(&(t("2019-06-10T00:00:00Z") + Duration::hours(hour))));
        }
        let gaps = gaps_of(&h, "2019-06-03T00:00:00Z", "2019-06-21T23:59:59Z");
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!((gaps[0].start, gaps[0].end), (t("2019-06-10T11:45:00Z"), t("2019-06-11T09:00:00Z")));
    }

    #[test]
    fn threshold_grows_with_volume() {
        assert_eq!(threshold(0), MIN_EXPECTED_EVENTS);
        assert_eq!(threshold(7), MIN_EXPECTED_EVENTS);
        assert!((threshold(10_000) - 12.206).abs() < 0.001);
    }

    /// Round-the-clock random traffic (3 an hour) has chance silences of two hours or more; none of
    /// them is a gap. A silence of a whole day is.
    #[test]
    fn chance_silences_in_steady_traffic_are_not_gaps() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let base = t("2019-06-01T00:00:00Z");
        let mut h = HourlyHistogram::default();
        let mut now = base;
        let end = t("2019-09-30T00:00:00Z");
        let (hole_start, hole_end) = (t("2019-08-01T00:00:00Z"), t("2019-08-02T00:00:00Z"));
        let mut longest = Duration::zero();
        let mut previous = base;
        while now < end {
            // Exponential waits with a mean of 20 minutes.
            let wait: f64 = -1200.0 * (1.0 - rng.random::<f64>()).ln();
            now += Duration::milliseconds((wait * 1000.0) as i64);
            if now >= hole_start && now < hole_end {
                continue;
            }
            if !(previous < hole_start && now > hole_end) {
                longest = longest.max(now - previous);
            }
            h.add(now);
            previous = now;
        }
        assert!(longest >= Duration::hours(2), "the test needs chance silences of 2h; longest {longest}");
        let r = Rhythm::learn(&h, Some((base, end)));
        let gaps = find_gaps(&h, r.as_ref(), base, end, Duration::hours(2));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].start <= hole_start && gaps[0].end >= hole_end);
    }

    #[test]
    fn period_algebra() {
        let p = |a: &str, b: &str| (t(a), t(b));
        let u = union(vec![p("2019-06-03T05:00:00Z", "2019-06-03T07:00:00Z"), p("2019-06-03T01:00:00Z", "2019-06-03T06:00:00Z")]);
        assert_eq!(u, vec![p("2019-06-03T01:00:00Z", "2019-06-03T07:00:00Z")]);
        assert_eq!(total(&u), Duration::hours(6));
        let i = intersect(&u, &[p("2019-06-03T00:00:00Z", "2019-06-03T02:00:00Z"), p("2019-06-03T06:30:00Z", "2019-06-03T09:00:00Z")]);
        assert_eq!(i, vec![p("2019-06-03T01:00:00Z", "2019-06-03T02:00:00Z"), p("2019-06-03T06:30:00Z", "2019-06-03T07:00:00Z")]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Gaps lie inside the window, are sorted and apart, last at least min_gap, and no event of the
        /// source falls strictly inside one (gaps never overlap covered time).
        #[test]
        fn gaps_are_inside_the_window_and_never_hold_an_event(
            offsets in proptest::collection::vec(0i64..(60 * 24 * 40), 0..400),
            window_start in 0i64..(60 * 24 * 45),
            window_len in 0i64..(60 * 24 * 30),
            min_gap_hours in 1i64..12,
        ) {
            let base = Utc.with_ymd_and_hms(2019, 6, 1, 0, 0, 0).unwrap();
            let events: Vec<Timestamp> = offsets.iter().map(|m| base + Duration::minutes(*m)).collect();
            let mut h = HourlyHistogram::default();
            events.iter().for_each(|e| h.add(*e));
            let (s, e) = (base + Duration::minutes(window_start), base + Duration::minutes(window_start + window_len));
            let rhythm = Rhythm::learn(&h, Some((s, e)));
            let min_gap = Duration::hours(min_gap_hours);
            let gaps = find_gaps(&h, rhythm.as_ref(), s, e, min_gap);
            for (i, g) in gaps.iter().enumerate() {
                prop_assert!(g.start >= s && g.end <= e, "gap {:?} outside window {} .. {}", g, s, e);
                prop_assert!(g.end > g.start);
                if g.kind != GapKind::WholeWindow || !events.is_empty() {
                    prop_assert!(g.duration() >= min_gap);
                }
                prop_assert!(!events.iter().any(|ev| *ev > g.start && *ev < g.end), "an event lies inside gap {:?}", g);
                // No hour with events lies wholly inside a gap either.
                prop_assert!(!h.cells.values().any(|c| c.first > g.start && c.last < g.end));
                if let Some(expected) = g.expected {
                    prop_assert!(expected >= threshold(h.count_between(s, e)));
                }
                if i > 0 {
                    prop_assert!(gaps[i - 1].end <= g.start, "gaps overlap or are unsorted");
                }
            }
        }
    }
}
