//! Phase timings for profiling, printed to stderr when `BREACHSCOPE_TIMINGS` is set (for the benchmark and
//! for people tuning a run; not part of any output).

use std::time::Instant;

pub struct Stopwatch {
    enabled: bool,
    started: Instant,
    last: Instant,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        let now = Instant::now();
        Stopwatch { enabled: std::env::var_os("BREACHSCOPE_TIMINGS").is_some_and(|v| !v.is_empty()), started: now, last: now }
    }

    /// Prints the time since the previous lap (and since the start) with `phase`.
    pub fn lap(&mut self, phase: &str) {
        if self.enabled {
            let now = Instant::now();
            eprintln!(
                "timing: {phase:<14} {:>8.3} s (total {:.3} s, peak memory {})",
                (now - self.last).as_secs_f64(),
                (now - self.started).as_secs_f64(),
                peak_memory().unwrap_or_else(|| "?".into())
            );
            self.last = now;
        }
    }
}

/// Prints `note` (what a phase left to the next, for instance) when timings are on.
pub fn note(note: &str) {
    if std::env::var_os("BREACHSCOPE_TIMINGS").is_some_and(|v| !v.is_empty()) {
        eprintln!("timing: {note}");
    }
}

/// The process's peak resident memory so far (Linux: `VmHWM` of /proc/self/status).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(|v| v.trim().to_string())
}
