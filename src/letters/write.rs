//! Writing a [`Draft`]: `letters.csv` (mail-merge data, cells neutralised), the per-jurisdiction
//! templates, the printable letters (HTML, and PDF where Chromium is installed), the filing drafts (JSON
//! and Markdown), `index.html` linking them all, and `letters-manifest.json` (the analyze outputs read,
//! with their SHA-256, and every file written). All go to temporary files first and are renamed together;
//! none may be an input or output of the analyze run, and none overwrites a file without `--force`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::letters::inputs::AnalyzeOutputs;
use crate::letters::merge::FIELDS;
use crate::letters::{filings, render, Draft};
use crate::output::files::{check_writable, commit_all, neutralise, AtomicFile};
use crate::output::html::esc;
use crate::output::manifest::{self, stored_path};

/// The mark every file carries.
pub const DRAFT: &str = "DRAFT for counsel's review: not to be sent or filed as it stands";

/// How the files are written.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    pub force: bool,
    /// Chromium, to print the PDF letters (none: HTML only).
    pub chromium: Option<PathBuf>,
    pub command_line: Vec<String>,
    pub rules_source: String,
    pub rules_version: String,
    pub case_file: PathBuf,
}

#[derive(Serialize)]
struct FileRecord {
    role: String,
    path: String,
    bytes: u64,
    sha256: String,
}

#[derive(Serialize)]
struct LettersManifest<'a> {
    letters_manifest_format: u32,
    draft: &'static str,
    tool: manifest::Tool,
    command_line: &'a [String],
    working_directory: String,
    created_at: String,
    case_file: String,
    rules: manifest::Rules,
    /// The analyze run's outputs read (and its manifest), with their hashes as read.
    read: Vec<FileRecord>,
    /// Every file this run wrote (the manifest itself aside).
    written: Vec<FileRecord>,
    letters: usize,
    printable_letters: usize,
    filings: usize,
    warnings: &'a [crate::letters::Warning],
    note: &'static str,
}

/// What was written.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub pdfs: usize,
    /// Letters whose PDF could not be printed, with the reason.
    pub pdf_failures: Vec<String>,
}

fn paths_of_run(outputs: &AnalyzeOutputs) -> BTreeSet<PathBuf> {
    let base = outputs.manifest_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut set: BTreeSet<PathBuf> = outputs.manifest.inputs.iter().chain(&outputs.manifest.outputs).map(|e| canonical(&base.join(&e.path))).collect();
    set.insert(canonical(&outputs.manifest_path));
    set
}

/// The path with its folder made absolute (the file may not exist yet).
fn canonical(path: &Path) -> PathBuf {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf()).join(path.file_name().unwrap_or_default())
}

/// The letters CSV: `letter_id` and every merge field.
pub fn letters_csv(draft: &Draft, pdf_done: &BTreeSet<usize>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let mut header = vec!["letter_id"];
    header.extend(FIELDS);
    header.push("draft");
    w.write_record(&header).expect("writing to memory");
    let printable: BTreeSet<usize> = draft.printable.iter().copied().collect();
    for (i, letter) in draft.letters.iter().enumerate() {
        let mut row = vec![letter.id.clone()];
        for f in FIELDS {
            let value = match f {
                "letter_file" if !printable.contains(&i) => String::new(),
                "pdf_file" if pdf_done.contains(&i) => format!("letters/{}.pdf", letter.id),
                _ => letter.fields.get(f).cloned().unwrap_or_default(),
            };
            row.push(value);
        }
        row.push(DRAFT.to_string());
        let cells: Vec<String> = row.iter().map(|c| neutralise(c).into_owned()).collect();
        w.write_record(&cells).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

fn index_html(draft: &Draft, outputs: &AnalyzeOutputs, pdf_done: &BTreeSet<usize>, case_name: &str, pdf_note: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!("<title>DRAFT letters: {}</title>\n", esc(case_name)));
    h.push_str("<style>body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2pt 6pt;text-align:left}.draft{border:2pt solid #a00;color:#a00;font-weight:bold;padding:4pt;text-align:center}.warn{color:#a00}</style>\n</head><body>\n");
    h.push_str(&format!("<div class=\"draft\">{}</div>\n", esc(DRAFT)));
    h.push_str(&format!("<h1>Letters and filings (DRAFT): {}</h1>\n", esc(case_name)));
    h.push_str(&format!("<p>Drafted from the analyze run of <code>{}</code> ({} letters, {} printable, {} filing drafts). {}</p>\n", esc(&outputs.manifest_path.display().to_string()), draft.letters.len(), draft.printable.len(), draft.filings.len(), esc(crate::legal::report::DISCLAIMER)));
    if !pdf_note.is_empty() {
        h.push_str(&format!("<p class=\"warn\">{}</p>\n", esc(pdf_note)));
    }
    h.push_str(&format!("<h2>Warnings ({})</h2>\n", draft.warnings.len()));
    if draft.warnings.is_empty() {
        h.push_str("<p>None: every clause is filled.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for w in &draft.warnings {
            h.push_str(&format!("<li class=\"warn\">{}. Fix: {}</li>\n", esc(&w.message), esc(&w.fix)));
        }
        h.push_str("</ul>\n");
    }
    if !draft.not_drafted.is_empty() {
        let parts: Vec<String> = draft.not_drafted.iter().map(|(k, v)| format!("{v} with notify = {k}")).collect();
        h.push_str(&format!("<p>People on the list with no letter: {}.</p>\n", esc(&parts.join(", "))));
    }
    h.push_str("<h2>Templates</h2>\n<table><tr><th>jurisdiction</th><th>template</th><th>content rules</th></tr>\n");
    for (j, t) in &draft.templates {
        let rules = draft.defaults.get(j).cloned().unwrap_or_else(|| "see the template's drafting note".to_string());
        h.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"templates/{}.html\">templates/{}.html</a> ({})</td><td>{}</td></tr>\n",
            esc(j),
            esc(j),
            esc(j),
            esc(&t.source),
            esc(&rules)
        ));
    }
    h.push_str("</table>\n<h2>Regulator filings</h2>\n");
    if draft.filings.is_empty() {
        h.push_str("<p>No regulator notice due or to assess (jurisdictions.csv).</p>\n");
    } else {
        h.push_str("<table><tr><th>jurisdiction</th><th>regulator</th><th>notice</th><th>files</th></tr>\n");
        for f in &draft.filings {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"filings/{j}.md\">filings/{j}.md</a>, <a href=\"filings/{j}.json\">filings/{j}.json</a></td></tr>\n",
                esc(&f.jurisdiction),
                esc(&f.regulator),
                esc(&f.regulator_notice),
                j = esc(&f.jurisdiction)
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Letters</h2>\n<table><tr><th>letter</th><th>person</th><th>name</th><th>jurisdiction</th><th>notify</th><th>placeholders</th><th>files</th></tr>\n");
    let printable: BTreeSet<usize> = draft.printable.iter().copied().collect();
    for (i, l) in draft.letters.iter().enumerate() {
        let mut files = String::new();
        if printable.contains(&i) {
            files.push_str(&format!("<a href=\"letters/{id}.html\">HTML</a>", id = esc(&l.id)));
        }
        if pdf_done.contains(&i) {
            files.push_str(&format!(" <a href=\"letters/{id}.pdf\">PDF</a>", id = esc(&l.id)));
        }
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&l.id),
            esc(&l.person_id),
            esc(l.fields.get("name").map_or("", String::as_str)),
            esc(&l.jurisdiction),
            esc(l.fields.get("notify").map_or("", String::as_str)),
            esc(&l.placeholders.join(", ")),
            files
        ));
    }
    h.push_str("</table>\n<h2>Read from the analyze run</h2>\n<ul>\n");
    for r in &outputs.read {
        h.push_str(&format!("<li>{}: <code>{}</code> SHA-256 {}</li>\n", esc(&r.role), esc(&r.path.display().to_string()), esc(&r.sha256)));
    }
    h.push_str("</ul>\n</body></html>\n");
    h
}

fn temp(path: &Path, bytes: &[u8]) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    Ok(file)
}

/// Writes the draft into `dir`; returns what was written.
pub fn write(dir: &Path, draft: &Draft, outputs: &AnalyzeOutputs, case_name: &str, options: &WriteOptions) -> Result<Written> {
    // Every path, checked before anything is written.
    let mut plan: Vec<(String, PathBuf)> = vec![("letters_csv".into(), dir.join("letters.csv")), ("index".into(), dir.join("index.html"))];
    for j in draft.templates.keys() {
        plan.push(("template".into(), render::template_file(dir, j)));
    }
    for i in &draft.printable {
        plan.push(("letter".into(), dir.join("letters").join(format!("{}.html", draft.letters[*i].id))));
    }
    for f in &draft.filings {
        plan.push(("filing".into(), dir.join("filings").join(format!("{}.json", f.jurisdiction))));
        plan.push(("filing".into(), dir.join("filings").join(format!("{}.md", f.jurisdiction))));
    }
    let manifest_path = dir.join("letters-manifest.json");
    let run = paths_of_run(outputs);
    for (_, path) in plan.iter().chain(std::iter::once(&("manifest".to_string(), manifest_path.clone()))) {
        if run.contains(&canonical(path)) {
            return Err(Error::Usage(format!(
                "{} is a file of the analyze run ({}): letters never rewrites analyze's outputs; choose another --out folder",
                path.display(),
                outputs.manifest_path.display()
            )));
        }
        check_writable_in_plan(path, options.force)?;
    }
    for sub in ["templates", "letters", "filings"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|source| Error::Write { path: dir.join(sub), source })?;
    }

    // PDFs first (they take the time); a letter that cannot be printed is named, never dropped silently.
    let mut pdfs: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut pdf_failures = Vec::new();
    let mut letter_html: Vec<(usize, String)> = Vec::new();
    for i in &draft.printable {
        let letter = &draft.letters[*i];
        let html = render::fill(&draft.templates[&letter.jurisdiction], letter);
        if let Some(chrome) = &options.chromium {
            match crate::letters::pdf::print(chrome, &html) {
                Ok(bytes) => pdfs.push((*i, bytes)),
                Err(e) => pdf_failures.push(format!("{}: {e}", letter.id)),
            }
        }
        letter_html.push((*i, html));
    }
    for (i, _) in &pdfs {
        let path = dir.join("letters").join(format!("{}.pdf", draft.letters[*i].id));
        check_writable_in_plan(&path, options.force)?;
        plan.push(("letter_pdf".into(), path));
    }
    let pdf_done: BTreeSet<usize> = pdfs.iter().map(|(i, _)| *i).collect();
    let pdf_note = match (&options.chromium, pdf_failures.is_empty()) {
        (None, _) => "PDF letters not printed: no Chromium found (install chromium, or set BREACHSCOPE_CHROMIUM); the HTML letters print from any browser.".to_string(),
        (Some(_), false) => format!("{} letter(s) could not be printed to PDF: {}", pdf_failures.len(), pdf_failures.join("; ")),
        _ => String::new(),
    };

    let mut files: Vec<(String, AtomicFile)> = Vec::new();
    files.push(("letters_csv".into(), temp(&dir.join("letters.csv"), &letters_csv(draft, &pdf_done))?));
    for (j, t) in &draft.templates {
        files.push(("template".into(), temp(&render::template_file(dir, j), t.text.as_bytes())?));
    }
    for (i, html) in &letter_html {
        files.push(("letter".into(), temp(&dir.join("letters").join(format!("{}.html", draft.letters[*i].id)), html.as_bytes())?));
    }
    for (i, bytes) in &pdfs {
        files.push(("letter_pdf".into(), temp(&dir.join("letters").join(format!("{}.pdf", draft.letters[*i].id)), bytes)?));
    }
    for f in &draft.filings {
        let mut json = serde_json::to_vec_pretty(f).map_err(|e| Error::Internal(format!("filing as JSON: {e}")))?;
        json.push(b'\n');
        files.push(("filing".into(), temp(&dir.join("filings").join(format!("{}.json", f.jurisdiction)), &json)?));
        files.push(("filing".into(), temp(&dir.join("filings").join(format!("{}.md", f.jurisdiction)), filings::markdown(f).as_bytes())?));
    }
    files.push(("index".into(), temp(&dir.join("index.html"), index_html(draft, outputs, &pdf_done, case_name, &pdf_note).as_bytes())?));

    let written: Vec<FileRecord> = files
        .iter()
        .map(|(role, f)| {
            let (sha256, bytes) = f.digest();
            FileRecord { role: role.clone(), path: stored_path(f.path(), dir), bytes, sha256 }
        })
        .collect();
    let read = outputs.read.iter().map(|r| FileRecord { role: r.role.clone(), path: stored_path(&r.path, dir), bytes: r.bytes, sha256: r.sha256.clone() }).collect();
    let record = LettersManifest {
        letters_manifest_format: 1,
        draft: DRAFT,
        tool: manifest::Tool { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() },
        command_line: &options.command_line,
        working_directory: manifest::working_directory(),
        created_at: crate::read::timefmt::format_utc(&chrono::Utc::now()),
        case_file: stored_path(&options.case_file, dir),
        rules: manifest::Rules { source: options.rules_source.clone(), version: options.rules_version.clone() },
        read,
        written,
        letters: draft.letters.len(),
        printable_letters: draft.printable.len(),
        filings: draft.filings.len(),
        warnings: &draft.warnings,
        note: crate::legal::report::DISCLAIMER,
    };
    let mut json = serde_json::to_vec_pretty(&record).map_err(|e| Error::Internal(format!("letters manifest as JSON: {e}")))?;
    json.push(b'\n');
    let mut all: Vec<AtomicFile> = Vec::new();
    let mut paths = Vec::new();
    for (_, f) in files {
        paths.push(f.path().to_path_buf());
        all.push(f);
    }
    all.push(temp(&manifest_path, &json)?);
    paths.push(manifest_path);
    commit_all(all)?;
    Ok(Written { files: paths, pdfs: pdfs.len(), pdf_failures })
}

/// As `check_writable`, for a file whose folder this run creates.
fn check_writable_in_plan(path: &Path, force: bool) -> Result<()> {
    if path.parent().is_some_and(|p| !p.as_os_str().is_empty() && !p.exists()) {
        return Ok(());
    }
    check_writable(path, force)
}
