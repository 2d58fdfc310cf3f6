//! `breachscope inspect FILE`: "will it read my export?" — the detected format, the record counts, and the
//! first parsed events. Output on stdout (a table, or JSON Lines with --json).

use std::collections::BTreeMap;
use std::io::Write;


use crate::cli::InspectArgs;
use crate::error::{exit, Error, Result};
use crate::ingest;
use crate::ingest::event::{Parsed, ParserSettings, RawEvent, RecordPlace, Rejection};
use crate::read::input;
use crate::read::timefmt::format_utc;
use crate::ui::Ui;

pub fn run(args: &InspectArgs, ui: &Ui, inputs: &input::InputDefaults) -> Result<i32> {
    let source = match &args.case {
        Some(case_file) => Some(case_source(case_file, args, inputs)?),
        None => None,
    };
    // The case window dates syslog times written without a year.
    let (source, window) = match source {
        Some((log, window)) => (Some(log), Some(window)),
        None => (None, None),
    };
    let encoding = source.as_ref().map(|log| log.encoding).unwrap_or_else(|| inputs.encoding.unwrap_or_default());
    let sample = input::sample_encoded(&args.file, 64 * 1024, encoding)?;
    // Flags win over the case's settings for the source.
    let declared = args.format.as_deref().or(source.as_ref().and_then(|log| log.format.as_deref()));
    let log_format = args.log_format.clone().or(source.as_ref().and_then(|log| log.log_format.clone()));
    let format = match log_format {
        // The server's format string says what the lines are.
        Some(_) => match declared.map(crate::ingest::event::Format::parse_name) {
            None | Some(Some(crate::ingest::event::Format::Combined)) => crate::ingest::event::Format::Combined,
            Some(_) => return Err(Error::Usage("--log-format is for web access logs: leave out --format, or give --format combined".into())),
        },
        None => ingest::detect::resolve_format(declared, &sample, &args.file)?,
    };
    let time_zone = args
        .time_zone
        .as_deref()
        .map(|z| crate::read::timefmt::parse_zone(z).map_err(|e| Error::Usage(format!("--time-zone: {e}"))))
        .transpose()?
        // --time-zone (this log's zone) wins over the case's, then --assume-tz.
        .or(source.as_ref().and_then(|log| log.time_zone))
        .or(inputs.assume_tz);
    let users = match &args.users {
        Some(path) => crate::read::accounts::load(path)?,
        None => source.as_ref().map(|log| log.users.clone()).unwrap_or_default(),
    };
    if let Some(layout) = &log_format {
        ingest::formats::combined::LayoutParser::new(layout, time_zone).map_err(|m| Error::Usage(format!("--log-format: {m}")))?;
    }
    let settings = ParserSettings {
        log_line_prefix: args.log_line_prefix.clone().or(source.as_ref().and_then(|log| log.log_line_prefix.clone())),
        map: source.as_ref().map(|log| log.map.clone()).unwrap_or_default(),
        time_zone,
        users,
        log_format,
        window: window.unwrap_or_default(),
        record_path: args.record_path.clone().or(source.as_ref().and_then(|log| log.record_path.clone())),
        query_history: source.as_ref().and_then(|log| log.query_history.clone()),
    };
    let parser = ingest::detect::parser_for(format, &settings, &sample, &args.file)?;
    let bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let bar = ui.file_bar("inspect", bytes);
    let (mut reader, digest) = input::open_hashed(&args.file, encoding, &bar)?;
    // A Parquet file is parsed as the CSV text of its rows: records are named by their row.
    let rows = digest.row_lines();

    let (mut read, mut events, mut rejected) = (0u64, 0u64, 0u64);
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    let mut accounts: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_events: Vec<(RawEvent, Option<RecordPlace>)> = Vec::new();
    let mut first_rejects: Vec<Rejection> = Vec::new();
    parser
        .parse(&mut reader, &mut |mut p| {
            if let Some(rows) = &rows {
                ingest::files::as_row(&mut p, rows);
            }
            read += 1;
            let (event, place) = match p {
                Parsed::Event(e) => (e, None),
                Parsed::EventAt(e, place) => (e, Some(place)),
                Parsed::Ignored { reason, .. } => {
                    *ignored.entry(reason.to_string()).or_default() += 1;
                    return;
                }
                Parsed::Rejected(r) => {
                    rejected += 1;
                    if first_rejects.len() < 3 {
                        first_rejects.push(r);
                    }
                    return;
                }
                Parsed::OtherAccounts(_) => unreachable!("inspect's parser has no account prefilter"),
            };
            events += 1;
            *accounts.entry(event.actor.clone().unwrap_or_else(|| "(none)".into())).or_default() += 1;
            if first_events.len() < args.limit {
                first_events.push((event, place));
            }
        })
        .map_err(|source| Error::Read { path: args.file.clone(), source })?;
    bar.finish_and_clear();
    first_events.sort_by_key(|(e, place)| (e.line, place.as_ref().map_or(0, |p| p.index)));

    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| Error::Write { path: "<stdout>".into(), source: e };
    if args.json {
        for (e, place) in &first_events {
            let mut value = serde_json::to_value(e).expect("events serialise");
            if let (Some(place), Some(object)) = (place, value.as_object_mut()) {
                object.insert("record".into(), serde_json::to_value(place).expect("places serialise"));
            }
            writeln!(out, "{value}").map_err(w)?;
        }
        return Ok(exit::OK);
    }
    writeln!(out, "file:     {}", args.file.display()).map_err(w)?;
    writeln!(out, "format:   {} ({})", format, format.describe()).map_err(w)?;
    if let Some(seen) = args.format.is_some().then(|| ingest::detect::looks_unlike(format, &sample)).flatten() {
        writeln!(out, "note:     the file's start looks like `{seen}`, not the declared `{format}`: records that are not `{format}` are ignored or rejected").map_err(w)?;
    }
    if events == 0 {
        writeln!(out, "note:     no access event in this file as `{format}`: check the format (and, in a case, the log's `path` glob)").map_err(w)?;
    }
    writeln!(out, "records:  {read} read = {events} access events + {} ignored + {rejected} rejected", read - events - rejected).map_err(w)?;
    for (reason, n) in &ignored {
        writeln!(out, "          ignored: {reason}: {n}").map_err(w)?;
    }
    writeln!(out, "accounts: {} distinct", accounts.len()).map_err(w)?;
    let mut table = crate::ui::table(["line", "time (UTC)", "account", "outcome", "request"]);
    // stdout may be a file: a fixed width keeps the listing readable there.
    table.set_width(140);
    for (e, place) in &first_events {
        table.add_row([
            match place {
                Some(p) => format!("{} Records[{}]", e.line, p.index),
                None => e.line.to_string(),
            },
            format_utc(&e.time),
            e.actor.clone().unwrap_or_else(|| "-".into()),
            e.failure.clone().unwrap_or_else(|| "ok".into()),
            e.payload.describe(),
        ]);
    }
    writeln!(out, "{table}").map_err(w)?;
    for r in &first_rejects {
        writeln!(out, "rejected line {} column {}: {}", r.line, r.column, r.reason).map_err(w)?;
    }
    Ok(exit::OK)
}

/// The case's `[[logs]]` source for `args.file`: the one named by `--source`, else the one whose files
/// include the file.
fn case_source(case_file: &std::path::Path, args: &InspectArgs, inputs: &input::InputDefaults) -> Result<(crate::case::logs::LogSpec, crate::read::timefmt::Window)> {
    let overrides = crate::case::Overrides { all_accounts: true, inputs: *inputs, ..Default::default() };
    let case = crate::case::Case::load(case_file, &overrides)?;
    let names: Vec<&str> = case.logs.iter().map(|l| l.name.as_str()).collect();
    let found = match &args.source {
        Some(name) => case.logs.iter().find(|l| &l.name == name || &l.pattern == name).ok_or_else(|| {
            Error::Usage(format!("--source `{name}`: no such [[logs]] source in {} (sources: {})", case_file.display(), names.join(", ")))
        })?,
        None => {
            let file = std::fs::canonicalize(&args.file).unwrap_or_else(|_| args.file.clone());
            let holding: Vec<&crate::case::logs::LogSpec> = case
                .logs
                .iter()
                .filter(|l| l.files.iter().any(|f| std::fs::canonicalize(f).is_ok_and(|f| f == file)))
                .collect();
            match holding.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Error::Usage(format!(
                        "{} is not a file of any [[logs]] source of {}: name the source to read it as with --source (sources: {})",
                        args.file.display(),
                        case_file.display(),
                        names.join(", ")
                    )))
                }
                _ => {
                    let matching: Vec<&str> = holding.iter().map(|l| l.name.as_str()).collect();
                    return Err(Error::Usage(format!("{} is a file of several sources ({}): choose one with --source", args.file.display(), matching.join(", "))));
                }
            }
        }
    };
    Ok((found.clone(), case.window))
}
