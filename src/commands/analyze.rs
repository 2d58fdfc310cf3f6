//! `breachscope analyze CASE.toml`: the pipeline case → ingest → resolve → exposure → notification → report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::case::{Case, Overrides};
use crate::cli::AnalyzeArgs;
use crate::stages::collect;
use crate::read::input::display_path;
use crate::output::rejects::RejectsWriter;
use crate::error::{exit, Error, Result};
use crate::output::files::AtomicFile;
use crate::output::report;
use crate::output::report::Report;
use crate::ui::Ui;
use crate::{coverage, legal};
use crate::stages::{exposure, replay, resolve};
use crate::output::{manifest, notification};

/// Where the outputs go.
#[derive(Clone, Debug)]
pub struct OutputPaths {
    pub list: PathBuf,
    pub report: PathBuf,
    pub rejects: PathBuf,
    pub people: PathBuf,
    pub jurisdictions: PathBuf,
    /// The HTML report for people, when asked for.
    pub html: Option<PathBuf>,
    /// The chain-of-custody manifest (see [`crate::output::manifest`]).
    pub manifest: PathBuf,
}

/// How a run treats failures and existing outputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Overwrite existing outputs.
    pub force: bool,
    /// Any rejected record fails the run (exit 4), writing nothing.
    pub strict: bool,
    /// Write only a summary report without personal data (see [`crate::output::redact`]).
    pub redact: bool,
}

impl OutputPaths {
    pub fn for_case(case_dir: &Path, args: &AnalyzeArgs) -> OutputPaths {
        OutputPaths {
            list: args.out.clone().unwrap_or_else(|| case_dir.join("affected_customers.csv")),
            report: args.report.clone().unwrap_or_else(|| case_dir.join("report.json")),
            rejects: args.rejects.clone().unwrap_or_else(|| case_dir.join("rejects.csv")),
            people: args.legal.people.clone().unwrap_or_else(|| case_dir.join("affected_people.csv")),
            jurisdictions: args.legal.jurisdictions.clone().unwrap_or_else(|| case_dir.join("jurisdictions.csv")),
            html: args.html.clone(),
            // Beside the report (itself beside the case file by default).
            manifest: args.manifest.clone().unwrap_or_else(|| match args.report.as_deref().and_then(Path::parent) {
                Some(dir) => dir.join("manifest.json"),
                None => case_dir.join("manifest.json"),
            }),
        }
    }
}

pub fn run(args: &AnalyzeArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults) -> Result<i32> {
    let overrides = Overrides {
        actors: args.actors.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        disabled_at: args.disabled_at.clone(),
        all_accounts: false,
        inputs: *inputs,
    };
    let mut case = Case::load(&args.case, &overrides)?;
    if args.strict_coverage {
        case.coverage.strict = true;
    }
    if let Some(text) = &args.min_gap {
        case.coverage.min_gap = crate::case::settings::parse_min_gap(text).map_err(|e| Error::Usage(format!("--min-gap: {e}")))?;
    }
    let paths = OutputPaths::for_case(&case.dir, args);
    let legal = legal::report::Options { per: args.legal.per.into(), rules: args.legal.rules.clone(), excel: args.legal.excel };
    let report = analyze_with(&case, &paths, &legal, RunOptions { force: args.force, strict: args.strict, redact: args.redact }, ui)?;
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
    }
    Ok(exit::OK)
}

/// Runs the whole analysis and writes the outputs (list, report, rejects, legal CSVs, HTML); returns the report.
pub fn analyze(case: &Case, paths: &OutputPaths, legal_options: &legal::report::Options, force: bool, ui: &Ui) -> Result<Report> {
    analyze_with(case, paths, legal_options, RunOptions { force, ..Default::default() }, ui)
}

/// As [`analyze`], with all run options; also writes the manifest.
pub fn analyze_with(case: &Case, paths: &OutputPaths, legal_options: &legal::report::Options, run: RunOptions, ui: &Ui) -> Result<Report> {
    let manifest_dir = paths.manifest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // The case file and tables are hashed for the manifest while the logs are read.
    std::thread::scope(|scope| {
        let case_and_tables = scope.spawn(|| manifest::case_and_tables(case, manifest_dir));
        analyze_in(case, paths, legal_options, run, ui, manifest_dir, case_and_tables)
    })
}

fn analyze_in(
    case: &Case,
    paths: &OutputPaths,
    legal_options: &legal::report::Options,
    run: RunOptions,
    ui: &Ui,
    manifest_dir: &Path,
    case_and_tables: std::thread::ScopedJoinHandle<'_, Result<Vec<manifest::FileEntry>>>,
) -> Result<Report> {
    let force = run.force;
    let mut clock = crate::timings::Stopwatch::start();
    let started_at = crate::read::timefmt::format_utc(&chrono::Utc::now());
    let rules = legal::rules::RuleSet::load(legal_options.rules.as_deref())?;
    let all: Vec<&PathBuf> = [&paths.list, &paths.report, &paths.rejects, &paths.people, &paths.jurisdictions, &paths.manifest]
        .into_iter()
        .chain(paths.html.as_ref())
        .filter(|p| !run.redact || *p == &paths.report || *p == &paths.manifest || Some(*p) == paths.html.as_ref())
        .collect();
    for (i, p) in all.iter().enumerate() {
        if all[..i].iter().any(|q| q == p) {
            return Err(Error::Usage(format!("{} is given for two outputs", p.display())));
        }
        crate::output::files::check_writable(p, force)?;
    }
    let mut rejects = RejectsWriter::create(&paths.rejects)?;
    let mut collected = collect::collect(case, ui, &mut rejects)?;
    clock.lap("read logs");
    if run.strict && rejects.count > 0 {
        return Err(Error::Strict(format!(
            "--strict: {} record(s) rejected, first: {}; no output written (run without --strict to get rejects.csv)",
            rejects.count,
            rejects.first.as_deref().unwrap_or("?")
        )));
    }
    let replayed = replay::run(case, &mut collected)?;
    clock.lap("replay");
    // The free-text scan looks at the touched rows as resolve reads them.
    let mut scanner = legal::freetext::RowScanner::new(case, &collected);
    let mut resolved = resolve::resolve(case, &collected, &mut |table, row, exposed| {
        if scanner.wants(table) {
            scanner.row(table, row, exposed)
        }
    })?;
    // Tables read whole by resolve: their row counts for the manifest.
    let table_rows: BTreeMap<String, u64> = resolved.tables.iter().filter(|t| t.rows_read > 0).map(|t| (t.table.clone(), t.rows_read)).collect();
    clock.lap("resolve");
    let (mut rows, mut summary) = exposure::expose(case, &collected, std::mem::take(&mut resolved.customers));
    let (findings, scanned) = scanner.finish();
    clock.lap("exposure+scan");
    legal::evaluate::apply_findings(&mut rows, &mut summary, &findings);
    let coverage = coverage::report::build(case, &collected, &rows);
    coverage::report::apply_strict(&mut summary, &coverage);
    clock.lap("coverage");
    let mut legal = legal::evaluate::evaluate(case, &rows, &summary, &findings, scanned, &rules, legal_options);
    clock.lap("legal");

    let mut outputs = BTreeMap::new();
    outputs.insert("report".to_string(), shown(&paths.report, &case.dir));
    if !run.redact {
        outputs.insert("notification_list".to_string(), shown(&paths.list, &case.dir));
        outputs.insert("rejects".to_string(), shown(&paths.rejects, &case.dir));
        outputs.insert("affected_people".to_string(), shown(&paths.people, &case.dir));
        outputs.insert("jurisdictions".to_string(), shown(&paths.jurisdictions, &case.dir));
    }
    if let Some(html) = &paths.html {
        outputs.insert("html_report".to_string(), shown(html, &case.dir));
    }
    legal.report.outputs = outputs.iter().filter(|(k, _)| matches!(k.as_str(), "affected_people" | "jurisdictions")).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut report = report::build(case, collected, replayed, &resolved, summary, outputs);
    report.coverage = Some(coverage);
    let jurisdictions_csv = crate::output::legal::jurisdictions_csv(&legal.report.jurisdictions, &legal.report.rules_version, legal_options.excel);
    report.legal = Some(legal.report);
    if !report.totals.reconciles() || report.inputs.iter().any(|f| !f.reconciles()) {
        return Err(Error::Usage("internal error: record counts do not reconcile; no output written".into()));
    }

    if run.redact {
        crate::output::redact::redact(&mut report);
    }

    // Everything is computed: write to temporary files, then rename them all.
    let mut json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Write { path: paths.report.clone(), source: e.into() })?;
    json.push(b'\n');
    let mut files = vec![(&paths.report, write_temp(&paths.report, &json)?)];
    if !run.redact {
        // The two long lists are written at the same time, one on each core.
        let (list, people) = std::thread::scope(|scope| {
            let list = scope.spawn(|| write_temp_with(&paths.list, |file| notification::write_csv(&rows, file)));
            let people = write_temp_with(&paths.people, |file| crate::output::legal::write_people_csv(&legal.people, legal_options.excel, file));
            (list.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), people)
        });
        files.push((&paths.list, list?));
        files.push((&paths.people, people?));
        files.push((&paths.jurisdictions, write_temp(&paths.jurisdictions, &jurisdictions_csv)?));
    }
    if let Some(path) = &paths.html {
        let shown_rows = if run.redact { &[][..] } else { &rows[..] };
        files.push((path, write_temp(path, crate::output::html::render(&report, shown_rows).as_bytes())?));
    }
    if !run.redact {
        files.push((&paths.rejects, rejects.finish()?));
    }
    clock.lap("write outputs");
    let names: BTreeMap<&PathBuf, &str> = [
        (&paths.list, "notification_list"),
        (&paths.report, "report"),
        (&paths.people, "affected_people"),
        (&paths.jurisdictions, "jurisdictions"),
        (&paths.rejects, "rejects"),
    ]
    .into_iter()
    .chain(paths.html.as_ref().map(|p| (p, "html_report")))
    .collect();
    let outputs = files
        .iter()
        .map(|(path, file)| {
            let (sha256, bytes) = file.digest();
            manifest::FileEntry {
                role: names[path].to_string(),
                path: manifest::stored_path(path, manifest_dir),
                bytes,
                sha256,
                records: BTreeMap::new(),
            }
        })
        .collect();
    let manifest = manifest::Manifest {
        manifest_format: manifest::FORMAT,
        tool: manifest::Tool { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() },
        command_line: manifest::command_line(),
        working_directory: manifest::working_directory(),
        case_file: manifest::stored_path(&case.file, manifest_dir),
        case_contents: case.text.clone(),
        rules: manifest::Rules {
            source: legal_options.rules.as_ref().map_or("built-in".to_string(), |p| p.display().to_string()),
            version: rules.version.clone(),
        },
        started_at,
        finished_at: crate::read::timefmt::format_utc(&chrono::Utc::now()),
        inputs: manifest::inputs(
            case,
            &report.inputs,
            manifest_dir,
            case_and_tables.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
            &table_rows,
        )?,
        outputs,
    };
    clock.lap("manifest");
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Write { path: paths.manifest.clone(), source: e.into() })?;
    manifest_json.push(b'\n');
    let mut manifest_file = AtomicFile::create(&paths.manifest)?;
    std::io::Write::write_all(&mut manifest_file, &manifest_json).map_err(|source| Error::Write { path: paths.manifest.clone(), source })?;
    let mut all_files: Vec<AtomicFile> = files.into_iter().map(|(_, f)| f).collect();
    all_files.push(manifest_file);
    crate::output::files::commit_all(all_files)?;
    if report.totals.records_rejected > 0 {
        ui.warn(&format!("{} record(s) rejected: see {}", report.totals.records_rejected, paths.rejects.display()));
    }
    Ok(report)
}

/// `bytes` in a temporary file for `path`, not yet committed.
fn write_temp(path: &Path, bytes: &[u8]) -> Result<AtomicFile> {
    write_temp_with(path, |file| std::io::Write::write_all(file, bytes))
}

/// A temporary file for `path` that `write` wrote to, not yet committed.
fn write_temp_with(path: &Path, write: impl FnOnce(&mut AtomicFile) -> std::io::Result<()>) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    write(&mut file).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    Ok(file)
}

fn shown(path: &Path, base: &Path) -> String {
    display_path(path, base)
}
