//! Test helper: the traffic of a database audit log that comes in sessions (a burst of queries over a few
//! minutes, then quiet for hours), as a MariaDB server_audit log shows it. Used by the gap model's unit
//! tests and, through `#[path]`, by the end-to-end test `tests/coverage_bursty.rs`, so it uses no item of
//! the crate.
//!
//! Session starts are a Poisson process whose rate varies by UTC hour of day and weekday (busy working
//! hours, quiet evenings, nearly silent nights, weekends at half); a session holds 20-300 queries over
//! 1-10 minutes. Over weeks this gives lines on every day and nightly silences of up to about 15 hours:
//! hourly counts far more dispersed than a Poisson count with the same mean.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The first hour (UTC) of traffic.
    pub start: DateTime<Utc>,
    pub days: i64,
    /// Lines lost (a missing file): no query in `[from, to)`.
    pub hole: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub seed: u64,
}

/// One session: its queries' times, sorted.
#[derive(Clone, Debug)]
pub struct Session {
    pub connection: u64,
    pub queries: Vec<DateTime<Utc>>,
}

/// Session starts per hour at `t`.
pub fn session_rate(t: DateTime<Utc>) -> f64 {
    let day = match t.hour() {
        7..=9 => 0.8,
        10..=15 => 1.5,
        16..=18 => 0.8,
        19..=22 => 0.4,
        _ => 0.08,
    };
    if t.weekday().num_days_from_monday() >= 5 {
        day * 0.5
    } else {
        day
    }
}

/// A Poisson draw (Knuth's method: the rates here are small).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut p = 1.0;
    let mut k = 0;
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// The sessions of the plan, in order of start; queries inside the hole are lost.
pub fn sessions(plan: &Plan) -> Vec<Session> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    let mut out = Vec::new();
    for hour in 0..plan.days * 24 {
        let h = plan.start + Duration::hours(hour);
        let mut starts: Vec<DateTime<Utc>> = (0..poisson(&mut rng, session_rate(h))).map(|_| h + Duration::seconds(rng.random_range(0..3600))).collect();
        starts.sort();
        for start in starts {
            let n = rng.random_range(20..=300);
            let length = rng.random_range(60..=600);
            let mut queries: Vec<DateTime<Utc>> = (0..n).map(|_| start + Duration::seconds(rng.random_range(0..=length))).collect();
            queries.sort();
            if let Some((from, to)) = plan.hole {
                queries.retain(|q| *q < from || *q >= to);
            }
            if !queries.is_empty() {
                out.push(Session { connection: 1000 + out.len() as u64, queries });
            }
        }
    }
    out
}

/// Every query time of the plan, sorted.
pub fn query_times(plan: &Plan) -> Vec<DateTime<Utc>> {
    let mut all: Vec<DateTime<Utc>> = sessions(plan).into_iter().flat_map(|s| s.queries).collect();
    all.sort();
    all
}

/// The longest silence between consecutive queries outside the hole (to check the log looks like the one
/// in the issue: lines every day, no silence much longer than 15 hours).
pub fn longest_silence(times: &[DateTime<Utc>], hole: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Duration {
    times
        .windows(2)
        .filter(|w| hole.is_none_or(|(from, to)| !(w[0] < from && w[1] >= to)))
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_else(Duration::zero)
}
