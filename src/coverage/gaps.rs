//! The gap finder: silent stretches of a source inside the case window that its own rhythm says should
//! not be silent.
//!
//! A silent stretch runs from one event of the source to its next event (or from the window's start to
//! its first event, or from its last event to the window's end), cut to the window. It is a gap when it
//! lasts at least `min_gap` and the source would normally have written at least [`rhythm_threshold`]
//! events in it (by weekday and hour of day, see [`Rhythm`]). A quiet weekend or night, where the source
//! normally writes nothing, is therefore not a gap, however long.
//!
//! The threshold: if events were independent (Poisson), a stretch that should hold `x` events is silent
//! by chance with probability e^-x, and a source with `n` events in the window has about `n` stretches.
//! Requiring `x >= ln(n / 0.05)` (and at least 5) keeps the gaps reported by chance alone below 0.05
//! per source: a busy log with 10,000 events in the window reports silences that should have held 12.2
//! events or more; a quiet one with 100 events, 7.6 or more.
//!
//! Events that come in bursts (a database session's queries: 150 in five minutes, then nothing for
//! hours) are not independent: such a source has hourly counts far more dispersed than Poisson, and
//! judged by its mean per hour, every quiet afternoon would be a gap. What counts is the number of bursts
//! a stretch should have held: with bursts of mean size `c` ([`Rhythm::burst`], learnt from how often the
//! source's own hours are empty), a stretch that should hold `x` events is silent by chance with
//! probability e^(-x/c), and there are about `n/c` stretches. The same rule, counted in bursts, needs
//! `x/c >= ln((n/c) / 0.05)`, and at least 5 bursts; for `c = 1` it is the rule above.
//!
//! Rates by weekday and hour learnt from a few weeks are uncertain, and real traffic has busy and quiet
//! days that hourly rates do not show; both make long silences more common than the model says. The
//! source's own long silences measure by how much ([`calibrate`]), and the threshold grows by that factor
//! ([`Rhythm::calibration`], never below 1).

use chrono::Duration;
use serde::Serialize;

use super::histogram::{HourlyHistogram, Rhythm};
use crate::read::timefmt::Timestamp;

/// The least expected events a silent stretch must reach to be reported as a gap, whatever the volume.
pub const MIN_EXPECTED_EVENTS: f64 = 5.0;

/// Gaps per source that chance alone may report (under independent events).
pub const CHANCE_GAPS: f64 = 0.05;

/// Expected events a silent stretch must reach to be a gap, for a source of independent events with
/// `events` in the window.
pub fn threshold(events: u64) -> f64 {
    needed(events as f64)
}

/// Expected events a silent stretch must reach to be a gap, for a source with `events` in the window that
/// come in bursts of `burst` events (1: independent events, [`threshold`]).
pub fn threshold_events(events: u64, burst: f64) -> f64 {
    let burst = burst.max(1.0);
    burst * needed(events as f64 / burst)
}

/// Expected independent occurrences (events, or bursts) a stretch must reach, with `chances` of them.
fn needed(chances: f64) -> f64 {
    MIN_EXPECTED_EVENTS.max((chances.max(1.0) / CHANCE_GAPS).ln())
}

/// Expected events a silent stretch must reach to be a gap, for a source with `events` in the window and
/// this rhythm: [`threshold_events`] scaled by the rhythm's [`Rhythm::calibration`].
pub fn rhythm_threshold(events: u64, rhythm: &Rhythm) -> f64 {
    rhythm.calibration.max(1.0) * threshold_events(events, rhythm.burst)
}

/// The source's rhythm ([`Rhythm::learn`]: rates and burst size), calibrated on its own long silences
/// ([`calibrate`]) when its history is long enough.
pub fn learn_rhythm(hist: &HourlyHistogram, window: Option<(Timestamp, Timestamp)>) -> Option<Rhythm> {
    let mut rhythm = Rhythm::learn(hist, window)?;
    if rhythm.learnt() {
        rhythm.calibration = calibrate(hist, &rhythm, rhythm.baseline);
    }
    Some(rhythm)
}

/// Silences whose excess reaches this many expected bursts take part in [`calibrate`].
pub const CALIBRATION_TAIL: f64 = 1.0;

/// Silences that follow the model exactly, assumed in [`calibrate`] before the source's own are seen (a
/// source with few long silences keeps a calibration near 1).
pub const CALIBRATION_PRIOR: f64 = 10.0;

/// How much more often the source's own long silences occur than its rhythm predicts: the source's
/// silences compared with the model, on the source's own history (the rhythm's baseline hours).
///
/// If the rates and burst size were right, the bursts a silence should have held beyond its first hour
/// (its *excess*; only silences of an hour or more, which always cross an hour of the histogram and so
/// are all seen) would be exponentially distributed with mean 1, whatever the time of week (time
/// rescaling: a Poisson process's stretches without events, measured in expected events, are), and so
/// would the excess beyond [`CALIBRATION_TAIL`] of those that pass it. Their mean over the source's own
/// silences, with [`CALIBRATION_PRIOR`] silences at 1 added, is the factor by which the source's long
/// silences outrun the model: traffic with busy and quiet days, or rates learnt from few weeks, give more
/// than 1. Silences that are gaps themselves are left out (three rounds: the threshold moves with the
/// factor), so a lost file does not excuse itself. Never below 1: a source is never judged more strictly
/// than its rhythm says.
pub fn calibrate(hist: &HourlyHistogram, rhythm: &Rhythm, baseline: (i64, i64)) -> f64 {
    let hour = Duration::hours(1);
    // (expected bursts of the whole silence, of its excess) for each silence of an hour or more.
    let mut silences: Vec<(f64, f64)> = Vec::new();
    let mut previous: Option<Timestamp> = None;
    for cell in hist.cells.range(baseline.0..=baseline.1).map(|(_, c)| c) {
        if let Some(p) = previous.filter(|p| cell.first - *p >= hour) {
            silences.push((rhythm.expected_bursts(p, cell.first), rhythm.expected_bursts(p + hour, cell.first)));
        }
        previous = Some(previous.map_or(cell.last, |p| p.max(cell.last)));
    }
    let events = hist.cells.range(baseline.0..=baseline.1).map(|(_, c)| c.count).sum::<u64>();
    let gap = needed(events as f64 / rhythm.burst);
    let mut factor = 1.0f64;
    for _ in 0..3 {
        let (n, sum) = silences
            .iter()
            .filter(|(whole, excess)| *excess >= CALIBRATION_TAIL && *whole < factor * gap)
            .fold((0.0, 0.0), |(n, sum), (_, excess)| (n + 1.0, sum + excess - CALIBRATION_TAIL));
        factor = ((sum + CALIBRATION_PRIOR) / (n + CALIBRATION_PRIOR)).max(1.0);
    }
    factor
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
    let Some(rhythm) = rhythm.filter(|_| !hist.is_empty()) else {
        gaps.push(Gap { start, end, kind: GapKind::WholeWindow, expected: None });
        return gaps;
    };
    let needed = rhythm_threshold(hist.count_between(start, end), rhythm);
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

/// The session traffic generator, shared with the end-to-end test `tests/coverage_bursty.rs` (which uses
/// the parts these tests do not).
#[cfg(test)]
#[allow(dead_code)]
#[path = "bursty_log.rs"]
mod bursty_log;

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
        let r = learn_rhythm(h, Some((s, e)));
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
        let r = learn_rhythm(&h, Some((base, end)));
        let gaps = find_gaps(&h, r.as_ref(), base, end, Duration::hours(2));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].start <= hole_start && gaps[0].end >= hole_end);
    }

    /// A database audit log in sessions (see `bursty_log`), 75 days from Monday 2019-06-03, as the
    /// histogram keeps it; with `hole`, the lines of Tuesday 2019-07-16 10:00 to Thursday 10:00 are lost.
    fn sessions_log(seed: u64, hole: bool) -> (HourlyHistogram, Vec<Timestamp>, (Timestamp, Timestamp)) {
        use super::bursty_log::{query_times, Plan};
        let hole = hole.then(|| (t("2019-07-16T10:00:00Z"), t("2019-07-18T10:00:00Z")));
        let plan = Plan { start: t("2019-06-03T00:00:00Z"), days: 75, hole, seed };
        let times = query_times(&plan);
        let mut h = HourlyHistogram::default();
        times.iter().for_each(|e| h.add(*e));
        (h, times, (plan.start, plan.start + Duration::days(plan.days)))
    }

    #[test]
    fn session_traffic_has_no_gap_and_two_lost_days_are_one() {
        let (h, times, (s, e)) = sessions_log(3, false);
        // The log looks like the issue's: lines every day, long nightly silences.
        let longest = super::bursty_log::longest_silence(&times, None);
        assert!(longest > Duration::hours(14), "{longest}");
        let r = learn_rhythm(&h, Some((s, e))).unwrap();
        assert!(r.learnt());
        assert!((100.0..170.0).contains(&r.burst), "sessions hold 160 queries on average: {}", r.burst);
        assert!(find_gaps(&h, Some(&r), s, e, Duration::hours(2)).is_empty());
        // Judged as independent events (the model before bursts), the same log has well over a hundred gaps.
        let poisson = Rhythm { burst: 1.0, calibration: 1.0, ..r.clone() };
        assert!(find_gaps(&h, Some(&poisson), s, e, Duration::hours(2)).len() > 100);

        let (h, times, (s, e)) = sessions_log(3, true);
        let r = learn_rhythm(&h, Some((s, e))).unwrap();
        let gaps = find_gaps(&h, Some(&r), s, e, Duration::hours(2));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        let g = &gaps[0];
        // From the last query before the hole to the first after it, each within an hour of the hole's ends.
        let before = *times.iter().filter(|q| **q < t("2019-07-16T10:00:00Z")).next_back().unwrap();
        let after = *times.iter().find(|q| **q >= t("2019-07-18T10:00:00Z")).unwrap();
        assert_eq!((g.kind, g.start, g.end), (GapKind::Interior, before, after));
        assert!(t("2019-07-16T10:00:00Z") - g.start < Duration::hours(1), "{g:?}");
        assert!(g.end - t("2019-07-18T10:00:00Z") < Duration::hours(1), "{g:?}");
        assert!(g.expected.unwrap() / r.burst > 25.0, "two working days hold about 30 sessions: {g:?}");
    }

    /// Over many logs of the same traffic: chance silences stay rare (they are designed to stay below 0.05
    /// per log, and a few more come from rates learnt from eleven weeks), every lost two days is found.
    #[test]
    fn session_traffic_false_gaps_are_rare_and_lost_days_always_found() {
        let (mut chance, mut found) = (0, 0);
        for seed in 20..32 {
            for hole in [false, true] {
                let (h, _, (s, e)) = sessions_log(seed, hole);
                let r = learn_rhythm(&h, Some((s, e))).unwrap();
                let gaps = find_gaps(&h, Some(&r), s, e, Duration::hours(2));
                let lost = |g: &Gap| g.start <= t("2019-07-16T10:00:00Z") && g.end >= t("2019-07-18T10:00:00Z");
                found += gaps.iter().filter(|g| hole && lost(g)).count();
                chance += gaps.iter().filter(|g| !(hole && lost(g))).count();
            }
        }
        assert_eq!(found, 12);
        assert!(chance <= 3, "{chance} chance gaps in 24 logs");
    }

    #[test]
    fn calibration_is_near_one_for_steady_traffic_and_a_lost_file_does_not_raise_it() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (base, end) = (t("2019-06-03T00:00:00Z"), t("2019-08-26T00:00:00Z"));
        let mut h = HourlyHistogram::default();
        let mut now = base;
        while now < end {
            now += Duration::milliseconds((-1_200_000.0 * (1.0 - rng.random::<f64>()).ln()) as i64);
            h.add(now);
        }
        let r = learn_rhythm(&h, Some((base, end))).unwrap();
        assert!(r.burst < 1.2 && r.calibration < 1.2, "{} {}", r.burst, r.calibration);

        let (h, _, (s, e)) = sessions_log(5, false);
        let without = learn_rhythm(&h, Some((s, e))).unwrap().calibration;
        let (h, _, (s, e)) = sessions_log(5, true);
        let with = learn_rhythm(&h, Some((s, e))).unwrap().calibration;
        assert!(with <= without + 0.05, "{with} {without}");
    }

    #[test]
    fn busy_and_quiet_days_raise_the_calibration() {
        // Steady traffic, but every third day at a tenth of the rate: hourly rates by weekday miss it, and
        // the quiet days' silences outrun the model; the calibration says by how much.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let (base, end) = (t("2019-06-03T00:00:00Z"), t("2019-08-26T00:00:00Z"));
        let mut h = HourlyHistogram::default();
        let mut now = base;
        while now < end {
            let quiet = (now - base).num_days() % 3 == 0;
            let mean_ms = if quiet { 6_000_000.0 } else { 600_000.0 };
            now += Duration::milliseconds((-mean_ms * (1.0 - rng.random::<f64>()).ln()) as i64);
            h.add(now);
        }
        let r = learn_rhythm(&h, Some((base, end))).unwrap();
        assert!(r.calibration > 1.3, "{} {}", r.burst, r.calibration);
        assert!(find_gaps(&h, Some(&r), base, end, Duration::hours(2)).is_empty());
    }

    #[test]
    fn a_short_history_is_judged_strictly_and_says_so() {
        // Ten days of sessions: the burst size is not learnt (events taken as independent) and the summary
        // says the rhythm could not be judged.
        let (h, _, _) = sessions_log(3, false);
        let (s, e) = (t("2019-06-03T00:00:00Z"), t("2019-06-13T00:00:00Z"));
        let mut short = HourlyHistogram::default();
        for (hour, cell) in h.cells.range(super::super::histogram::hour_of(&s)..super::super::histogram::hour_of(&e)) {
            short.add_cell(*hour, *cell);
        }
        let r = learn_rhythm(&short, Some((s, e))).unwrap();
        assert!(!r.learnt());
        assert_eq!((r.burst, r.calibration), (1.0, 1.0));
        let summary = super::super::histogram::RhythmSummary::of(Some(&r));
        assert!(!summary.learnt && summary.note.contains("cannot be judged"), "{summary:?}");
        assert!(!find_gaps(&short, Some(&r), s, e, Duration::hours(2)).is_empty(), "thin data errs towards gaps");
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
            let rhythm = learn_rhythm(&h, Some((s, e)));
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
                    prop_assert!(expected >= rhythm_threshold(h.count_between(s, e), rhythm.as_ref().unwrap()));
                }
                if i > 0 {
                    prop_assert!(gaps[i - 1].end <= g.start, "gaps overlap or are unsorted");
                }
            }
        }
    }
}
