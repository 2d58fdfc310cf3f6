//! Everything for people goes to stderr: progress (only on a terminal), warnings, the summary.
//! `--quiet` silences all but errors; NO_COLOR turns colour off.

use std::io::IsTerminal;

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone, Copy, Debug)]
pub struct Ui {
    pub quiet: bool,
    pub color: bool,
    pub progress: bool,
}

impl Ui {
    pub fn from_env(quiet: bool) -> Ui {
        let terminal = std::io::stderr().is_terminal();
        let no_color = no_color();
        Ui { quiet, color: terminal && !no_color && !quiet, progress: terminal && !quiet }
    }

    /// A byte progress bar for one file (hidden when not on a terminal or quiet), labelled with the file's
    /// name, with bytes, speed and time left.
    pub fn file_bar(&self, label: &str, bytes: u64) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        // Styled while hidden: a bar drawn before it joins the bars drawn together leaves a stale line.
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar
    }

    /// The case's bar over all its log files: bytes of the files finished, out of all, and how many files.
    pub fn case_bar(&self, bytes: u64, files: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {msg} elapsed {elapsed} ETA {eta}")
                .expect("static template")
                .progress_chars("#- "),
        );
        bar.set_prefix("all logs");
        bar.set_message(format!("0/{files} files"));
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar
    }

    /// A phase after the logs (replay, resolve...): a spinner with the phase's elapsed time, cleared when the
    /// returned guard is dropped.
    pub fn phase(&self, name: &str) -> Phase {
        if !self.progress {
            return Phase(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"));
        bar.set_message(name.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Phase(bar)
    }

    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    pub fn warn(&self, text: &str) {
        if !self.quiet {
            if self.color {
                eprintln!("\x1b[1;33mwarning:\x1b[0m {text}");
            } else {
                eprintln!("warning: {text}");
            }
        }
    }
}

/// `NO_COLOR` set to a non-empty value (<https://no-color.org>): an empty value does not count.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// A table for the terminal: every command's tables are drawn this one way (condensed borders, as wide as
/// the terminal, no styling under `NO_COLOR`).
pub fn table<S: ToString>(header: impl IntoIterator<Item = S>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if no_color() {
        t.force_no_tty();
    }
    t.set_header(header.into_iter().map(|h| Cell::new(h.to_string())));
    t
}

/// A right-aligned number cell.
pub fn num(n: impl ToString) -> Cell {
    Cell::new(n.to_string()).set_alignment(CellAlignment::Right)
}

/// `n` and the noun, in the singular for one: `1 query`, `2 queries`.
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A window bound for people: a bound given as a date (the end of that UTC day, 23:59:59.999999999) is
/// shown as the day's last second with "end of day", not with nine nines.
pub fn window_bound(bound: &str) -> String {
    match bound.strip_suffix("T23:59:59.999999999Z") {
        Some(day) => format!("{day}T23:59:59Z (end of day)"),
        None => bound.to_string(),
    }
}

/// A phase's spinner; cleared from the terminal when dropped (the phase ended, or failed).
pub struct Phase(ProgressBar);

impl Drop for Phase {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
