//! `breachscope analyze CASE.toml`: the flags turned into the case's settings and the outputs' paths, the
//! analysis run ([`crate::analysis`]), its outputs written ([`crate::output::write`]), the summary printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analysis::{self, Settings};
use crate::case::{Case, Overrides};
use crate::cli::AnalyzeArgs;
use crate::error::{exit, Error, Result};
use crate::output::report::{self, Report};
use crate::output::write::{self, OutputRole, Outputs, RunRecord, WriteOptions};
use crate::read::timefmt::format_utc;
use crate::ui::Ui;

pub fn run(args: &AnalyzeArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults, reading: &crate::parts::Reading) -> Result<i32> {
    if !args.parts.is_empty() {
        let overridden = [("--actor", !args.actors.is_empty()), ("--since", args.since.is_some()), ("--until", args.until.is_some()), ("--disabled-at", args.disabled_at.is_some())];
        if let Some((flag, _)) = overridden.iter().find(|(_, given)| *given) {
            return Err(Error::Usage(format!("--parts: {flag} changes what the scan kept; set it in the case file and scan again")));
        }
    }
    let overrides = Overrides {
        actors: args.actors.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        disabled_at: args.disabled_at.clone(),
        all_accounts: false,
        inputs: *inputs,
        listing: args.listing.as_deref().map(crate::commands::scan::load_listing).transpose()?,
    };
    let mut case = Case::load(&args.case, &overrides)?;
    if args.strict_coverage {
        case.coverage.strict = true;
    }
    if let Some(text) = &args.min_gap {
        case.coverage.min_gap = crate::case::settings::parse_min_gap(text).map_err(|e| Error::Usage(format!("--min-gap: {e}")))?;
    }
    let settings = Settings {
        legal: crate::legal::report::Options { per: args.legal.per.into(), rules: args.legal.rules.clone(), excel: args.legal.excel },
        strict: args.strict,
    };
    let options = WriteOptions { force: args.force, redact: args.redact, excel: args.legal.excel };
    let outputs = Outputs::plan(output_paths(&case.dir, args), options)?;
    let report = if args.parts.is_empty() {
        analyze_and_write(&case, &settings, &outputs, ui)?
    } else {
        // The parts are checked (case, version, one complete set per log file) before anything is written.
        let case_sha256 = crate::parts::sha256_of(&case.file)?;
        let parts = crate::parts::load(&case, &case_sha256, reading, &args.parts)?;
        let mut parts = Some(parts);
        analyze_and_write_from(&case, &settings, &outputs, ui, &mut |case, _ui, sink| {
            crate::parts::merge(case, parts.take().expect("merged once"), sink)
        })?
    };
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
    }
    Ok(exit::OK)
}

/// Each output's path: the flag's, else the default file beside the case file (the manifest beside the
/// report).
pub fn output_paths(case_dir: &Path, args: &AnalyzeArgs) -> BTreeMap<OutputRole, PathBuf> {
    let given = |role: OutputRole| match role {
        OutputRole::NotificationList => args.out.clone(),
        OutputRole::Report => args.report.clone(),
        OutputRole::Rejects => args.rejects.clone(),
        OutputRole::AffectedPeople => args.legal.people.clone(),
        OutputRole::Jurisdictions => args.legal.jurisdictions.clone(),
        OutputRole::Actions => args.legal.actions.clone(),
        OutputRole::HtmlReport => args.html.clone(),
        OutputRole::Manifest => args.manifest.clone().or_else(|| args.report.as_deref().and_then(Path::parent).map(|dir| dir.join("manifest.json"))),
    };
    OutputRole::ALL
        .into_iter()
        .filter_map(|role| Some((role, given(role).or_else(|| role.default_file().map(|name| case_dir.join(name)))?)))
        .collect()
}

/// Runs the analysis and writes every output of `outputs`; returns the report. The case file and tables are
/// hashed for the manifest while the logs are read.
pub fn analyze_and_write(case: &Case, settings: &Settings, outputs: &Outputs, ui: &Ui) -> Result<Report> {
    analyze_and_write_from(case, settings, outputs, ui, &mut |case, ui, sink| crate::stages::collect::collect(case, ui, sink))
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// As [`analyze_and_write`], with collect's result from `collect` (the logs read, or parts merged).
pub fn analyze_and_write_from(case: &Case, settings: &Settings, outputs: &Outputs, ui: &Ui, collect: analysis::Collect<'_>) -> Result<Report> {
    let started_at = format_utc(&chrono::Utc::now());
    let manifest_dir = outputs.manifest_dir();
    // The case file and tables are hashed for the manifest on a thread that runs only when a core has
    // nothing else to run (the analysis keeps both busy most of the time, but not all of it), and the
    // manifest's writer takes over what is left when it needs them, after the other outputs are written.
    // (At the lowest nice value instead, the hashing took a share of the cores from reading the logs: the
    // 1M benchmark 2 % slower.)
    let hashes_wanted = std::sync::atomic::AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        // However this closure ends, the hashing is then wanted (or no longer wanted) before the scope waits
        // for its thread: a failed run does not wait for the rest to be hashed on idle cores.
        let _stop = StopOnDrop(&hashes_wanted);
        let case_and_tables = scope.spawn(|| {
            #[cfg(target_os = "linux")]
            // SAFETY: sets this thread's own scheduling policy (Linux threads have their own).
            unsafe {
                libc::sched_setscheduler(0, libc::SCHED_IDLE, &libc::sched_param { sched_priority: 0 });
            }
            let mut hashing = crate::output::manifest::CaseAndTables::new(case, manifest_dir);
            // Stops within a megabyte of being asked to: a thread of this policy may wait long for a core.
            while !hashes_wanted.load(std::sync::atomic::Ordering::Relaxed) && hashing.step()? {}
            Ok::<_, crate::error::Error>(hashing)
        });
        let mut rejects = outputs.rejects()?;
        // The people list is written from when it is final, while the legal stage makes its summaries and
        // the other outputs are written (it is the longest to write).
        let mut people_writing = None;
        let analysis = analysis::analyze_from(case, settings, &mut rejects, ui, collect, &mut |people| people_writing = write::start_people(outputs, people))?;
        let record = RunRecord {
            started_at,
            rules_source: settings.legal.rules.as_ref().map_or("built-in".to_string(), |p| p.display().to_string()),
            case_and_tables: Box::new(|| {
                hashes_wanted.store(true, std::sync::atomic::Ordering::Relaxed);
                let hashing = case_and_tables.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                let in_background = hashing.hashed();
                let entries = hashing.finish()?;
                let all: u64 = entries.iter().map(|e| e.bytes).sum();
                crate::timings::note(&format!("case file and tables: {in_background} bytes hashed in the background, {} here", all - in_background));
                Ok(entries)
            }),
        };
        let _phase = ui.phase("writing outputs");
        write::write(case, analysis, outputs, rejects, record, people_writing)
    })?;
    if report.totals.records_rejected > 0 {
        if let Some(path) = outputs.path(OutputRole::Rejects) {
            ui.warn(&format!("{} record(s) rejected: see {}", report.totals.records_rejected, path.display()));
        }
    }
    Ok(report)
}
