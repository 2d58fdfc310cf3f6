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
    let encoding = inputs.encoding.unwrap_or_default();
    let sample = input::sample_encoded(&args.file, 64 * 1024, encoding)?;
    let format = match args.log_format {
        // The server's format string says what the lines are.
        Some(_) => match args.format.as_deref().map(crate::ingest::event::Format::parse_name) {
            None | Some(Some(crate::ingest::event::Format::Combined)) => crate::ingest::event::Format::Combined,
            Some(_) => return Err(Error::Usage("--log-format is for web access logs: leave out --format, or give --format combined".into())),
        },
        None => ingest::detect::resolve_format(args.format.as_deref(), &sample, &args.file)?,
    };
    let time_zone = args
        .time_zone
        .as_deref()
        .map(|z| crate::read::timefmt::parse_zone(z).ok_or_else(|| Error::Usage(format!("--time-zone `{z}`: use UTC or an offset such as +02:00"))))
        .transpose()?
        // --time-zone (this log's zone) wins over --assume-tz.
        .or(inputs.assume_tz);
    let users = match &args.users {
        Some(path) => crate::read::accounts::load(path)?,
        None => BTreeMap::new(),
    };
    if let Some(layout) = &args.log_format {
        ingest::formats::combined::LayoutParser::new(layout, time_zone).map_err(|m| Error::Usage(format!("--log-format: {m}")))?;
    }
    let settings =
        ParserSettings { log_line_prefix: args.log_line_prefix.clone(), map: BTreeMap::new(), time_zone, users, log_format: args.log_format.clone() };
    let parser = ingest::detect::parser_for(format, &settings, &sample, &args.file)?;
    let bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let bar = ui.file_bar("inspect", bytes);
    let mut reader = input::open_encoded(&args.file, encoding, &bar)?;

    let (mut read, mut events, mut rejected) = (0u64, 0u64, 0u64);
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    let mut accounts: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_events: Vec<(RawEvent, Option<RecordPlace>)> = Vec::new();
    let mut first_rejects: Vec<Rejection> = Vec::new();
    parser
        .parse(&mut reader, &mut |p| {
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

