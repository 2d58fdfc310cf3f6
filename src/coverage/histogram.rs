//! A log source's own rhythm, kept small: one cell per UTC hour that has events (count, first and last
//! event time), never a list of events. From it come the expected events of any hour, by weekday and
//! hour of day, and how bursty the source is: how many events come together, as a database session's
//! queries do (see [`Rhythm::burst`]).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};
use serde::Serialize;

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
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
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

/// Expected events per hour, by weekday and hour of day (UTC), learnt from a histogram, and how many of
/// them come together.
#[derive(Clone, Debug, PartialEq)]
pub struct Rhythm {
    /// `rates[weekday][hour]`: mean events in that hour over the baseline's occurrences of it.
    pub rates: [[f64; 24]; 7],
    /// Events per burst: 1 when events come one by one (independent, Poisson), about a session's size
    /// when they come in sessions. An hour of a slot with mean `m` is then silent with probability
    /// e^(-m / burst), and a stretch that should have held `x` events is silent by chance with probability
    /// e^(-x / burst). Learnt from how often the source's own hours are empty (see [`fit_burst`]); 1 when
    /// the history is too short ([`Rhythm::learnt`]).
    pub burst: f64,
    /// How much more often the source's own long silences occur than the rates and burst size predict (at
    /// least 1, set by the gap finder's `calibrate`): the gap threshold is scaled by it. 1 when the history
    /// is too short, and until calibrated.
    pub calibration: f64,
    /// The hours (first, last) the rhythm was learnt from.
    pub baseline: (i64, i64),
    /// Hours of the source's own history the rhythm was learnt from (the baseline).
    pub history_hours: i64,
}

/// How far around the window the baseline reaches: far outliers (a line dated 1970) must not dilute it.
pub const BASELINE_MARGIN_DAYS: i64 = 35;

/// How often a (weekday, hour) must occur in the baseline to have its own rate. Seen once, a quiet
/// Saturday cannot be told from a lost Wednesday file; the hour's mean over all days is used instead, so
/// thin data errs towards reporting a gap, never towards calling a silence normal.
pub const MIN_SLOT_OCCURRENCES: u64 = 2;

/// The history needed to judge a source's silences: every (weekday, hour) seen [`MIN_SLOT_OCCURRENCES`]
/// times. With less, weekdays cannot be told apart and the source's burstiness is not learnt: its events
/// are taken as independent, which reports more gaps, not fewer, and the report says so.
pub const MIN_HISTORY_DAYS: i64 = 7 * MIN_SLOT_OCCURRENCES as i64;

impl Rhythm {
    /// Learns the rhythm from the hours between the source's first and last event, limited to the window
    /// widened by [`BASELINE_MARGIN_DAYS`] on each side (the whole span when that leaves nothing).
    /// A (weekday, hour) slot that occurs fewer than [`MIN_SLOT_OCCURRENCES`] times in the baseline takes
    /// the mean of its hour of day over all days, and failing that the mean of all hours: a slot not
    /// observed enough is not assumed quiet. With [`MIN_HISTORY_DAYS`] of baseline, the burst size is
    /// fitted to the slots' empty hours ([`fit_burst`]) and the source's own silences calibrate the
    /// threshold (the gap finder's `calibrate`); with less, both stay 1.
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
        let mut active = [[0u64; 24]; 7];
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
            active[d][hr] += 1;
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
        let mut rhythm = Rhythm { rates, burst: 1.0, calibration: 1.0, history_hours: hours, baseline: (from, to) };
        if rhythm.learnt() {
            let slots: Vec<SlotHours> = (0..7)
                .flat_map(|d| (0..24).map(move |hr| (d, hr)))
                .filter(|&(d, hr)| occurrences[d][hr] >= MIN_SLOT_OCCURRENCES && sums[d][hr] > 0)
                .map(|(d, hr)| SlotHours { mean: rates[d][hr], active: active[d][hr], silent: occurrences[d][hr] - active[d][hr] })
                .collect();
            rhythm.burst = fit_burst(&slots);
        }
        Some(rhythm)
    }

    /// Whether the history is long enough to judge the source's silences (see [`MIN_HISTORY_DAYS`]).
    pub fn learnt(&self) -> bool {
        self.history_hours >= MIN_HISTORY_DAYS * 24
    }

    /// Expected bursts between two times: the evidence a silence there holds against normal traffic
    /// (a silence is that unlikely: e^-bursts).
    pub fn expected_bursts(&self, from: Timestamp, to: Timestamp) -> f64 {
        self.expected(from, to) / self.burst
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

/// One (weekday, hour) slot of the baseline: its mean events per hour, and how many of its occurrences had
/// events and how many had none.
#[derive(Clone, Copy, Debug)]
pub struct SlotHours {
    pub mean: f64,
    pub active: u64,
    pub silent: u64,
}

/// The largest burst size [`fit_burst`] gives (a source writing a million events at once is no longer told
/// apart from one writing them in two bursts).
pub const MAX_BURST: f64 = 1e6;

/// The burst size `c` (at least 1) under which the slots' silent and active hours are most likely, when
/// events come in bursts of mean size `c` whose starts are independent (a compound Poisson process): an
/// hour of mean `m` is silent with probability e^(-m/c). Maximum likelihood over all slots at once (one
/// number per source, from its own hours): the log-likelihood
/// `sum(-silent * m * u + active * ln(1 - e^(-m * u)))` is concave in `u = 1/c`, so its one maximum is
/// found by bisection on the slope's sign. Steady traffic, with an empty hour about as rare as
/// independent events make it, gives 1 (the Poisson case, clamped: traffic more regular than that, such
/// as a job every five minutes, is judged as independent); sessions of 150 queries give about 150.
pub fn fit_burst(slots: &[SlotHours]) -> f64 {
    // The slope of the log-likelihood in u; it falls as u grows.
    let slope = |u: f64| -> f64 {
        slots
            .iter()
            .map(|s| {
                let x = s.mean * u;
                let busy = if x > 700.0 { 0.0 } else { s.active as f64 / x.exp_m1() };
                s.mean * (busy - s.silent as f64)
            })
            .sum()
    };
    if slots.iter().all(|s| s.silent == 0) || slope(1.0) >= 0.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = ((1.0 / MAX_BURST).ln(), 0.0f64);
    if slope(lo.exp()) <= 0.0 {
        return MAX_BURST;
    }
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if slope(mid.exp()) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (1.0 / ((lo + hi) / 2.0).exp()).clamp(1.0, MAX_BURST)
}

/// What the report says of a source's rhythm (`coverage.sources[].rhythm`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RhythmSummary {
    /// Days of the source's own history its rhythm was learnt from (one decimal).
    pub history_days: f64,
    /// Events per burst (one decimal): 1 for events that come one by one; null when the source has no events.
    pub burst_size: Option<f64>,
    /// How much more often the source's own long silences occur than its rates and burst size predict
    /// (two decimals, at least 1): the gap threshold is scaled by it. Null when the source has no events.
    pub calibration: Option<f64>,
    /// Whether the history was long enough (two weeks) to judge the source's silences.
    pub learnt: bool,
    /// The same for people.
    pub note: String,
}

impl RhythmSummary {
    pub fn of(rhythm: Option<&Rhythm>) -> RhythmSummary {
        let Some(r) = rhythm else {
            return RhythmSummary {
                history_days: 0.0,
                burst_size: None,
                calibration: None,
                learnt: false,
                note: "no events: no rhythm to learn; the whole window is a gap".to_string(),
            };
        };
        let days = (r.history_hours as f64 / 24.0 * 10.0).round() / 10.0;
        let burst = (r.burst * 10.0).round() / 10.0;
        let note = if !r.learnt() {
            format!(
                "{days} days of history, fewer than the {MIN_HISTORY_DAYS} needed to see every weekday hour twice: its rhythm \
                 cannot be judged; silences are weighed as if weekdays were alike and events independent (more gaps, not fewer)"
            )
        } else if r.burst < 1.5 {
            format!("learnt from {days} days: events come one by one; a silence is weighed by the events it should have held")
        } else {
            format!(
                "learnt from {days} days: events come in bursts of about {burst:.0} (its hours are empty more often than independent events \
                 leave them); a silence is weighed by the bursts it should have held"
            )
        };
        let calibration = (r.calibration * 100.0).round() / 100.0;
        RhythmSummary { history_days: days, burst_size: Some(burst), calibration: Some(calibration), learnt: r.learnt(), note }
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
    fn burst_size_from_empty_hours() {
        // Independent events: an hour of mean m is empty e^-m of the time, as observed.
        let poisson = |m: f64, n: u64| {
            let silent = (n as f64 * (-m).exp()).round() as u64;
            SlotHours { mean: m, active: n - silent, silent }
        };
        let c = fit_burst(&[poisson(0.5, 1000), poisson(2.0, 1000), poisson(4.0, 1000)]);
        assert!((c - 1.0).abs() < 0.05, "{c}");
        // Sessions of 150 events at 0.5 and 2 sessions an hour: hours of mean 75 and 300 empty e^-0.5
        // and e^-2 of the time.
        let session = |sessions: f64, n: u64| {
            let silent = (n as f64 * (-sessions).exp()).round() as u64;
            SlotHours { mean: 150.0 * sessions, active: n - silent, silent }
        };
        let c = fit_burst(&[session(0.5, 1000), session(2.0, 1000)]);
        assert!((c - 150.0).abs() < 3.0, "{c}");
        // No empty hour, or hours emptier than nothing explains: the bounds.
        assert_eq!(fit_burst(&[SlotHours { mean: 3.0, active: 10, silent: 0 }]), 1.0);
        assert_eq!(fit_burst(&[]), 1.0);
        assert!(fit_burst(&[SlotHours { mean: 1e9, active: 1, silent: 1000 }]) > 1e5);
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
