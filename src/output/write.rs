//! Writing an [`Analysis`]: the set of outputs is named once ([`OutputRole`]), checked before the analysis
//! runs ([`Outputs::plan`]), and written all at once after it ([`write`]): every file to a temporary name,
//! then the manifest, then all renamed into place. Nothing is written when anything fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::Analysis;
use crate::case::Case;
use crate::error::{Error, Result};
use crate::legal::report::Person;
use crate::output::files::{check_writable, commit_all, AtomicFile};
use crate::output::manifest::{self, FileEntry};
use crate::output::rejects::RejectsWriter;
pub use crate::output::role::OutputRole;
use crate::output::report::{self, Report};
use crate::read::input::display_path;
use crate::read::timefmt::format_utc;

/// How the outputs are written (from the command line).
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Overwrite existing outputs.
    pub force: bool,
    /// Write only a summary report without personal data (see [`crate::output::redact`]).
    pub redact: bool,
    /// The legal CSVs for spreadsheets: UTF-8 BOM and CRLF line ends.
    pub excel: bool,
}

/// The outputs of one run: a path per role written.
#[derive(Clone, Debug)]
pub struct Outputs {
    paths: BTreeMap<OutputRole, PathBuf>,
    options: WriteOptions,
}

impl Outputs {
    /// The outputs to write, checked before anything runs: no path twice, none that exists without
    /// `--force`. `paths` has a path for every role that may be written (the HTML report only when asked
    /// for); `--redact` drops the roles it does not write.
    pub fn plan(paths: BTreeMap<OutputRole, PathBuf>, options: WriteOptions) -> Result<Outputs> {
        let paths: BTreeMap<OutputRole, PathBuf> = paths.into_iter().filter(|(role, _)| !options.redact || role.kept_when_redacted()).collect();
        for role in [OutputRole::Report, OutputRole::Manifest] {
            if !paths.contains_key(&role) {
                return Err(Error::Usage(format!("no path for the {} output", role.name())));
            }
        }
        let mut seen: BTreeMap<&PathBuf, OutputRole> = BTreeMap::new();
        for (role, path) in &paths {
            if seen.insert(path, *role).is_some() {
                return Err(Error::Usage(format!("{} is given for two outputs", path.display())));
            }
        }
        for path in paths.values() {
            check_writable(path, options.force)?;
        }
        Ok(Outputs { paths, options })
    }

    pub fn path(&self, role: OutputRole) -> Option<&Path> {
        self.paths.get(&role).map(PathBuf::as_path)
    }

    /// The notification list's and the people list's paths, when both are written (they go together).
    fn lists(&self) -> Option<(&Path, &Path)> {
        self.path(OutputRole::NotificationList).zip(self.path(OutputRole::AffectedPeople))
    }

    fn required(&self, role: OutputRole) -> &Path {
        self.path(role).expect("checked by plan")
    }

    /// Where the manifest's relative paths start from.
    pub fn manifest_dir(&self) -> &Path {
        self.required(OutputRole::Manifest).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    /// The rejects file, open while the logs are read (a sink that writes nothing under `--redact`).
    pub fn rejects(&self) -> Result<Rejects> {
        match self.path(OutputRole::Rejects) {
            Some(path) => Ok(Rejects::File(RejectsWriter::create(path)?)),
            None => Ok(Rejects::Discarded),
        }
    }
}

/// The rejects sink for a run: the rejects file, or nothing (`--redact` writes no rejects file).
pub enum Rejects {
    File(RejectsWriter),
    Discarded,
}

impl crate::stages::collect::RejectSink for Rejects {
    fn reject(&mut self, file: &str, rejection: &crate::ingest::event::Rejection) -> Result<()> {
        match self {
            Rejects::File(writer) => writer.reject(file, rejection),
            Rejects::Discarded => Ok(()),
        }
    }
}

/// What the run contributes to the manifest besides the files: when it started, the case file and
/// tables hashed.
pub struct RunRecord<'a> {
    pub started_at: String,
    /// `built-in` or the rules file as given.
    pub rules_source: String,
    /// The case file's and tables' entries, asked for when the manifest is made (they are hashed on
    /// another thread meanwhile, which the outputs written before leave room for).
    pub case_and_tables: Box<dyn FnOnce() -> Result<Vec<FileEntry>> + 'a>,
}

/// Builds report.json from the analysis and writes every output of the plan, then the manifest; all are
/// renamed into place together. Returns the report (for the summary).
///
/// `people_writing`: the people list's writing, when [`start_people`] started it during the analysis; else
/// it is started here.
pub fn write(case: &Case, analysis: Analysis, outputs: &Outputs, rejects: Rejects, run: RunRecord<'_>, people_writing: Option<PeopleWriting>) -> Result<Report> {
    let mut clock = crate::timings::Stopwatch::start();
    let Analysis { mut collected, replayed, resolved, rows, exposure, coverage, mut legal, rules, table_rows, rejected: _, warnings } = analysis;
    // The touched keys (all read by now) go with what is freed in the background at the end: freed as the
    // report took the rest of `collected`, they held up the writing by a few milliseconds on one core.
    let touched = std::mem::take(&mut collected.touched);
    let shown: BTreeMap<OutputRole, String> = outputs.paths.iter().map(|(role, path)| (*role, display_path(path, &case.dir))).collect();
    legal.report.outputs = shown
        .iter()
        .filter(|(role, _)| matches!(role, OutputRole::AffectedPeople | OutputRole::Jurisdictions | OutputRole::Actions))
        .map(|(role, path)| (role.name().to_string(), path.clone()))
        .collect();
    let named = shown.iter().map(|(role, path)| (role.name().to_string(), path.clone())).collect();
    let mut report = report::build(case, collected, replayed, &resolved, exposure, named);
    report.coverage = Some(coverage);
    report.legal = Some(legal.report);
    report.warnings = warnings;
    if !report.totals.reconciles() || report.inputs.iter().any(|f| !f.reconciles()) {
        return Err(Error::Internal("record counts do not reconcile; no output written".into()));
    }
    if outputs.options.redact {
        crate::output::redact::redact(&mut report);
    }

    // Everything is computed: write to temporary files, then rename them all. The people list, the longest
    // to write, is usually being written on a thread of its own already (started when the legal stage had it
    // final); the other outputs are written here meanwhile.
    let excel = outputs.options.excel;
    let people_writing = people_writing.or_else(|| start_people(outputs, &legal.people));
    let report_path = outputs.required(OutputRole::Report);
    let mut files = Vec::new();
    let mut json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Write { path: report_path.to_path_buf(), source: e.into() })?;
    json.push(b'\n');
    files.push((OutputRole::Report, write_temp(report_path, &json)?));
    if let Some((list, _)) = outputs.lists() {
        let list_file = write_temp_with(list, |file| {
            crate::output::notification::write_csv(&rows, &mut *file)?;
            file.sync_now()
        })?;
        files.push((OutputRole::NotificationList, list_file));
    }
    if let Some(path) = outputs.path(OutputRole::Jurisdictions) {
        let legal_report = report.legal.as_ref().expect("set above");
        let csv = crate::output::legal::jurisdictions_csv(&legal_report.jurisdictions, &legal_report.rules_version, excel);
        files.push((OutputRole::Jurisdictions, write_temp(path, &csv)?));
    }
    if let Some(path) = outputs.path(OutputRole::Actions) {
        let legal_report = report.legal.as_ref().expect("set above");
        let csv = crate::output::legal::actions_csv(&legal_report.actions, &legal_report.rules_version, excel);
        files.push((OutputRole::Actions, write_temp(path, &csv)?));
    }
    if let Some(path) = outputs.path(OutputRole::HtmlReport) {
        let shown_rows = if outputs.options.redact { &[][..] } else { &rows[..] };
        files.push((OutputRole::HtmlReport, write_temp(path, crate::output::html::render(&report, shown_rows).as_bytes())?));
    }
    if let Some(people_writing) = people_writing {
        // After the notification list, where it always was in the manifest's outputs.
        let people_file = people_writing.finish()?;
        let at = files.iter().position(|(role, _)| *role == OutputRole::NotificationList).map_or(files.len(), |i| i + 1);
        files.insert(at, (OutputRole::AffectedPeople, people_file));
    }
    if let Rejects::File(writer) = rejects {
        files.push((OutputRole::Rejects, writer.finish()?));
    }
    clock.lap("write outputs");

    let manifest_dir = outputs.manifest_dir();
    let output_entries = files
        .iter()
        .map(|(role, file)| {
            let (sha256, bytes) = file.digest();
            FileEntry { role: role.name().to_string(), path: manifest::stored_path(outputs.required(*role), manifest_dir), bytes, sha256, records: BTreeMap::new() }
        })
        .collect();
    let manifest = manifest::Manifest {
        manifest_format: manifest::FORMAT,
        tool: manifest::Tool { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() },
        command_line: manifest::command_line(),
        working_directory: manifest::working_directory(),
        case_file: manifest::stored_path(&case.file, manifest_dir),
        case_contents: case.text.clone(),
        rules: manifest::Rules { source: run.rules_source, version: rules.version.clone() },
        started_at: run.started_at,
        finished_at: format_utc(&chrono::Utc::now()),
        inputs: manifest::inputs(case, &report.inputs, manifest_dir, (run.case_and_tables)()?, &table_rows)?,
        outputs: output_entries,
    };
    clock.lap("manifest");
    let manifest_path = outputs.required(OutputRole::Manifest);
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Write { path: manifest_path.to_path_buf(), source: e.into() })?;
    manifest_json.push(b'\n');
    let mut all: Vec<AtomicFile> = files.into_iter().map(|(_, f)| f).collect();
    all.push(write_temp(manifest_path, &manifest_json)?);
    commit_all(all)?;
    // What is left of the analysis is freed on a thread of its own, which the process does not wait for:
    // freeing its hundreds of thousands of values took 0.15 s after the outputs were in place (10M
    // benchmark).
    drop_in_background((resolved, rows, legal.people, rules, table_rows, touched));
    Ok(report)
}

/// The people list being written to its temporary file on a thread of its own (or written already, where no
/// thread could be started).
pub struct PeopleWriting(Option<Written>);

enum Written {
    OnThread(std::thread::JoinHandle<Result<AtomicFile>>),
    Here(Result<AtomicFile>),
}

/// Starts writing the people list (when the outputs have one: with the notification list, not under
/// `--redact`) on a thread of its own, which [`write`] waits for.
pub fn start_people(outputs: &Outputs, people: &Arc<Vec<Person>>) -> Option<PeopleWriting> {
    let path = outputs.lists()?.1.to_path_buf();
    let excel = outputs.options.excel;
    let write = |path: PathBuf, people: Arc<Vec<Person>>| {
        move || {
            write_temp_with(&path, |file| {
                crate::output::legal::write_people_csv(&people, excel, &mut *file)?;
                file.sync_now()
            })
        }
    };
    let thread = std::thread::Builder::new().name("people list".into()).spawn(write(path.clone(), Arc::clone(people)));
    Some(PeopleWriting(Some(match thread {
        Ok(thread) => Written::OnThread(thread),
        // No thread could be started: the list is written here, before the rest.
        Err(_) => Written::Here(write(path, Arc::clone(people))()),
    })))
}

impl PeopleWriting {
    /// The written temporary file (not yet committed).
    fn finish(mut self) -> Result<AtomicFile> {
        match self.0.take().expect("finished once") {
            Written::OnThread(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Written::Here(file) => file,
        }
    }
}

impl Drop for PeopleWriting {
    /// A run that fails after the writing started waits for it: the written file, dropped unfinished,
    /// removes its temporary file before the process ends.
    fn drop(&mut self) {
        if let Some(Written::OnThread(thread)) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// Drops `value` on a new thread (inline if none can be started).
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("drop".into()).spawn(move || drop(value));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(dir: &Path, roles: &[OutputRole]) -> Outputs {
        let paths = roles.iter().map(|role| (*role, dir.join(format!("{}.out", role.name())))).collect();
        Outputs::plan(paths, WriteOptions::default()).unwrap()
    }

    #[test]
    fn a_run_failing_after_the_people_list_was_started_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let plan = outputs(dir.path(), &[OutputRole::Report, OutputRole::Manifest, OutputRole::NotificationList, OutputRole::AffectedPeople]);
        let writing = start_people(&plan, &Arc::new(Vec::new())).expect("the people list is among the outputs");
        // What a failing run does with it: drops it unfinished.
        drop(writing);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn the_people_list_is_written_with_the_notification_list_only() {
        let dir = tempfile::tempdir().unwrap();
        let plan = outputs(dir.path(), &[OutputRole::Report, OutputRole::Manifest, OutputRole::AffectedPeople]);
        assert!(start_people(&plan, &Arc::new(Vec::new())).is_none());
        let plan = outputs(dir.path(), &[OutputRole::Report, OutputRole::Manifest, OutputRole::NotificationList, OutputRole::AffectedPeople]);
        let file = start_people(&plan, &Arc::new(Vec::new())).unwrap().finish().unwrap();
        assert_eq!(file.path(), dir.path().join("affected_people.out"), "written for its own path, not yet in place");
        assert!(!file.path().exists());
    }
}
