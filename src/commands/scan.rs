//! `breachscope scan CASE.toml --out DIR`: reads log files of the case (all, `--files`, or one file's
//! bytes on stdin, whole or a `--byte-range`) and writes one part per file for `analyze --parts` (see
//! [`crate::parts`]). Every part records the case file's SHA-256 and breachscope's version.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::case::{Case, Overrides};
use crate::cli::ScanArgs;
use crate::error::{exit, Error, Result};
use crate::ingest::event::Rejection;
use crate::ingest::files::{RangeBytes, RANGE_HEAD, RANGE_LOOKAHEAD};
use crate::parts::{Extent, NewPart, Reading};
use crate::stages::collect::{self, RejectSink};
use crate::ui::Ui;

pub fn run(args: &ScanArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults, reading: &Reading) -> Result<i32> {
    let listing = args.listing.as_deref().map(load_listing).transpose()?;
    let case = Case::load(&args.case, &Overrides { inputs: *inputs, listing, all_accounts: args.all_accounts, ..Default::default() })?;
    let reading = &Reading { all_accounts: args.all_accounts, ..reading.clone() };
    let case_sha256 = crate::parts::sha256_of(&case.file)?;
    let range = args.byte_range.as_deref().map(parse_range).transpose()?;
    let files = collect::case_files(&case);
    let shown: Vec<String> = files.iter().map(|(_, p)| crate::read::input::display_path(p, &case.dir)).collect();
    if args.list {
        let listed: Vec<serde_json::Value> = files
            .iter()
            .enumerate()
            .map(|(i, (source, path))| serde_json::json!({"index": i, "file": shown[i], "source": case.logs[*source].name, "pattern": case.logs[*source].pattern, "path": path.to_string_lossy()}))
            .collect();
        let text = serde_json::to_string_pretty(&listed).expect("a list serialises");
        std::io::Write::write_all(&mut std::io::stdout().lock(), format!("{text}\n").as_bytes()).map_err(|source| Error::Write { path: "<stdout>".into(), source })?;
        return Ok(exit::OK);
    }
    let out_dir = args.out.clone().expect("clap requires --out without --list");
    // The files to read, by their index in the case.
    let chosen: Vec<usize> = if args.stdin {
        let name = args.file_name.as_deref().expect("clap requires --file-name with --stdin");
        let index = find_file(&case, &shown, &files, Path::new(name))?;
        if let Some(source) = &args.source {
            let log = &case.logs[files[index].0].name;
            if source != log {
                return Err(Error::Usage(format!("--source {source}: {name} belongs to the log {log} of {}", case.file.display())));
            }
        }
        vec![index]
    } else if args.files.is_empty() {
        (0..files.len()).collect()
    } else {
        // In the case's order (the order they are read in), each once.
        let mut chosen = args.files.iter().map(|p| find_file(&case, &shown, &files, p)).collect::<Result<Vec<usize>>>()?;
        chosen.sort_unstable();
        chosen.dedup();
        chosen
    };
    if (range.is_some() || args.digest_only) && chosen.len() != 1 {
        let flag = if args.digest_only { "--digest-only" } else { "--byte-range" };
        return Err(Error::Usage(format!("{flag} reads one file: name it with --files PATH or --stdin --file-name NAME")));
    }
    std::fs::create_dir_all(&out_dir).map_err(|source| Error::Write { path: out_dir.clone(), source })?;
    let new_part = |index: usize, extent: Extent, collected, rejects, activity| NewPart {
        case: &case,
        case_sha256: &case_sha256,
        reading,
        file_index: index,
        file: &shown[index],
        extent,
        collected,
        rejects,
        activity,
    };

    if args.digest_only {
        let index = chosen[0];
        let (sha256, bytes) = if args.stdin { digest_of(&mut std::io::stdin().lock(), Path::new("<stdin>"))? } else { digest_of_path(files[index].1)? };
        let written = crate::parts::write(&out_dir, new_part(index, Extent::Digest { sha256, bytes }, None, Vec::new(), None), args.force)?;
        ui.note(&format!("scan: {} bytes of {} hashed: {}", bytes, shown[index], written.display()));
        return Ok(exit::OK);
    }

    // A file from stdin goes to a temporary file first (read as any file: compressed, Parquet...), unless
    // only a byte range of it is wanted (held in memory).
    let spool = tempfile::Builder::new().prefix("breachscope-scan").tempdir().map_err(|source| Error::Write { path: std::env::temp_dir(), source })?;
    let mut case_read = case.clone();
    let mut shown_as = BTreeMap::new();
    let mut temp_path: Option<PathBuf> = None;
    if args.stdin && range.is_none() {
        let index = chosen[0];
        let name = files[index].1.file_name().map_or_else(|| "log".into(), |n| n.to_os_string());
        let path = spool.path().join(name);
        let mut out = std::fs::File::create(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        std::io::copy(&mut std::io::stdin().lock(), &mut out).map_err(|source| Error::Read { path: "<stdin>".into(), source })?;
        replace_path(&mut case_read, index, &path);
        shown_as.insert(index, shown[index].clone());
        temp_path = Some(path);
    }
    let range_bytes = match range {
        Some((start, end)) => {
            let index = chosen[0];
            let bytes = if args.stdin {
                read_range(&mut std::io::stdin().lock(), start, end, true, Path::new("<stdin>"))?
            } else {
                let path = files[index].1;
                let mut file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
                read_range(&mut file, start, end, false, path)?
            };
            Some((index, bytes))
        }
        None => None,
    };
    let reading_spec = collect::Reading { only: Some(chosen.clone()), shown_as: shown_as.clone(), range: range_bytes.as_ref().map(|(i, r)| (*i, r)) };
    // --all-accounts: every account's activity, file by file (a second reading of each file).
    let mut activities: BTreeMap<usize, crate::insider::activity::AllActivity> = BTreeMap::new();
    if args.all_accounts {
        for &index in &chosen {
            let one = collect::Reading { only: Some(vec![index]), shown_as: shown_as.clone(), range: range_bytes.as_ref().map(|(i, r)| (*i, r)) };
            let all = crate::insider::activity::gather_in(&case_read, &case_read.profile, ui, &one).map_err(|e| named_as(e, &temp_path, args.file_name.as_deref()))?;
            activities.insert(index, all);
        }
    }

    // Each file's part is written as the file ends; its rejects are the ones sent since the last file.
    let mut next = chosen.iter();
    let mut written = 0usize;
    let mut write = |collected: crate::stages::collect::Collected, rejects: Vec<Rejection>| -> Result<()> {
        let index = *next.next().expect("one part per chosen file");
        let extent = match &range_bytes {
            Some((_, r)) => {
                let outcome = *r.outcome.get().expect("a range read has its outcome");
                Extent::Range { start: r.start, end: r.end, outcome }
            }
            None => {
                let (sha256, bytes) = collected.files[0].digest.clone().expect("a file read whole has its digest");
                Extent::Whole { sha256, bytes }
            }
        };
        crate::parts::write(&out_dir, new_part(index, extent, Some(collected), rejects, activities.remove(&index)), args.force)?;
        written += 1;
        Ok(())
    };
    let result = {
        let taken = std::cell::RefCell::new(Vec::new());
        let mut sink = Collecting(&taken);
        collect::collect_each(&case_read, ui, &mut sink, &reading_spec, &mut |c| write(c, std::mem::take(&mut *taken.borrow_mut())))
    };
    if let Err(e) = result {
        return Err(named_as(e, &temp_path, args.file_name.as_deref()));
    }
    ui.note(&format!("scan: {written} part(s) written to {}", out_dir.display()));
    Ok(exit::OK)
}

struct Collecting<'a>(&'a std::cell::RefCell<Vec<Rejection>>);

impl RejectSink for Collecting<'_> {
    fn reject(&mut self, _file: &str, rejection: &Rejection) -> Result<()> {
        self.0.borrow_mut().push(rejection.clone());
        Ok(())
    }
}

/// `START:END` (bytes).
fn parse_range(text: &str) -> Result<(u64, u64)> {
    let bad = || Error::Usage(format!("--byte-range {text}: give START:END in bytes, START below END (e.g. 0:134217728)"));
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    let (start, end) = (a.trim().parse::<u64>().map_err(|_| bad())?, b.trim().parse::<u64>().map_err(|_| bad())?);
    if start >= end {
        return Err(bad());
    }
    Ok((start, end))
}

/// The index of the case's file `given` names (its path as the case shows it, or the same file).
fn find_file(case: &Case, shown: &[String], files: &[(usize, &Path)], given: &Path) -> Result<usize> {
    let text = given.to_string_lossy().replace('\\', "/");
    if let Some(i) = shown.iter().position(|s| *s == text) {
        return Ok(i);
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    if let Some(wanted) = canonical(given).or_else(|| canonical(&case.dir.join(given))) {
        if let Some(i) = files.iter().position(|(_, p)| canonical(p).as_ref() == Some(&wanted)) {
            return Ok(i);
        }
    }
    let some: Vec<&str> = shown.iter().take(5).map(String::as_str).collect();
    Err(Error::Usage(format!(
        "{}: not a log file of {} (its files are named as {}{})",
        given.display(),
        case.file.display(),
        some.join(", "),
        if shown.len() > 5 { ", ..." } else { "" }
    )))
}

/// The case with its file `index` read from `path`.
fn replace_path(case: &mut Case, index: usize, path: &Path) {
    let mut i = 0;
    for log in &mut case.logs {
        for p in &mut log.files {
            if i == index {
                *p = path.to_path_buf();
            }
            i += 1;
        }
    }
}

fn digest_of_path(path: &Path) -> Result<(String, u64)> {
    let mut file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    digest_of(&mut file, path)
}

fn digest_of(input: &mut dyn Read, path: &Path) -> Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(Error::Read { path: path.to_path_buf(), source }),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((format!("{:x}", hasher.finalize()), bytes))
}

/// Reads what a byte range needs: the file's head and its bytes from `start` through the first line start
/// at or after `end` and [`RANGE_LOOKAHEAD`] more. `streamed`: `input` holds the head (the file's first
/// min(`start`, [`RANGE_HEAD`]) bytes) then the bytes from `start` on; else `input` is the file itself.
fn read_range(input: &mut dyn ReadSeek, start: u64, end: u64, streamed: bool, path: &Path) -> Result<RangeBytes> {
    let failed = |source| Error::Read { path: path.to_path_buf(), source };
    let head_len = start.min(RANGE_HEAD as u64) as usize;
    let mut head = vec![0u8; head_len];
    let got = read_full(input, &mut head).map_err(failed)?;
    if got < head_len {
        return Err(Error::input(path, format!("--byte-range {start}:{end}: the file ends before byte {start}")));
    }
    if !streamed {
        input.seek_to(start).map_err(failed)?;
    }
    let own = (end - start) as usize;
    let mut bytes = vec![0u8; own];
    let n = read_full(input, &mut bytes).map_err(failed)?;
    bytes.truncate(n);
    let mut to_end = n < own;
    // On to the first newline at or after `end` (it ends the range's last record), then the lookahead.
    let mut scratch = vec![0u8; 64 * 1024];
    while !to_end && memchr::memchr(b'\n', &bytes[own.min(bytes.len())..]).is_none() {
        let n = read_full(input, &mut scratch).map_err(failed)?;
        bytes.extend_from_slice(&scratch[..n]);
        to_end = n < scratch.len();
        if bytes.len() - own > RANGE_LOOKAHEAD {
            break;
        }
    }
    if !to_end {
        let newline = memchr::memchr(b'\n', &bytes[own..]).map_or(bytes.len(), |i| own + i + 1);
        let want = newline + RANGE_LOOKAHEAD;
        if bytes.len() < want {
            let at = bytes.len();
            bytes.resize(want, 0);
            let n = read_full(input, &mut bytes[at..]).map_err(failed)?;
            bytes.truncate(at + n);
            to_end = at + n < want;
        }
    }
    Ok(RangeBytes { head, start, end, bytes, to_end, outcome: std::sync::OnceLock::new() })
}

fn read_full(input: &mut dyn ReadSeek, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A file (which can seek) or stdin (which is only read).
trait ReadSeek: Read {
    fn seek_to(&mut self, at: u64) -> std::io::Result<()>;
}

impl ReadSeek for std::fs::File {
    fn seek_to(&mut self, at: u64) -> std::io::Result<()> {
        std::io::Seek::seek(self, std::io::SeekFrom::Start(at)).map(|_| ())
    }
}

impl ReadSeek for std::io::StdinLock<'_> {
    fn seek_to(&mut self, _at: u64) -> std::io::Result<()> {
        Err(std::io::Error::other("stdin cannot seek"))
    }
}

/// A `--listing` file: each log's `path` as written in the case → its files.
pub fn load_listing(path: &Path) -> Result<BTreeMap<String, Vec<String>>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::input_at(path, e.line() as u64, e.column() as u64, format!("not a listing (a JSON object: each log's path as written in the case → a list of its files): {e}"))
    })
}

/// A file taken from stdin is named in errors as the case names it, not by its temporary copy.
fn named_as(e: Error, temp: &Option<PathBuf>, name: Option<&str>) -> Error {
    match (temp, name) {
        (Some(temp), Some(name)) => Error::Usage(e.to_string().replace(&temp.display().to_string(), name).replace("<stdin>", name)),
        _ => e,
    }
}

/// The activity `suspects` and `profile` rank, per person and alias: read from the logs, or from the parts in
/// `parts` when some are given (their rejected records warned about).
pub fn gather_activity(
    case: &Case,
    aliases: &[String],
    customer_keys: &std::collections::HashSet<String>,
    parts: &[PathBuf],
    reading: &Reading,
    ui: &crate::ui::Ui,
) -> Result<crate::insider::activity::Gathered> {
    use crate::insider::activity;
    if parts.is_empty() {
        return activity::gather_groups(case, aliases, customer_keys, ui);
    }
    let all = activity_from_parts(case, parts, reading)?;
    all.warn_rejected(ui);
    activity::gather_groups_from(case, aliases, customer_keys, ui, all)
}

/// Every account's activity from the parts in `dirs` (`suspects --parts`, `profile --parts`).
pub fn activity_from_parts(case: &Case, dirs: &[PathBuf], reading: &Reading) -> Result<crate::insider::activity::AllActivity> {
    let case_sha256 = crate::parts::sha256_of(&case.file)?;
    let parts = crate::parts::load(case, &case_sha256, reading, dirs)?;
    crate::parts::merge_activity(case, parts)
}
