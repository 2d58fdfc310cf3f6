//! The report for people: one self-contained HTML file (inline CSS, inline SVG charts drawn here, no
//! script, nothing fetched from the network) that reads well on screen and printed to PDF. Every value from
//! the case or the logs is HTML-escaped: names and request paths may contain markup.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{Duration, NaiveDate};

use crate::stages::exposure::CustomerExposure;
use crate::output::report::Report;

/// How many notification-list rows the report shows.
pub const LIST_ROWS: usize = 20;
/// How many entries of a long list (unresolved keys, queries...) the report shows.
const LIST_LIMIT: usize = 50;

/// Escapes text for HTML element content and attribute values (the same escaping as the SVG charts).
pub fn esc(text: &str) -> String {
    crate::coverage::svg::escape(text)
}

/// Escaped text with its `backquoted` parts (account names, settings) set as code.
fn with_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() % 2 == 0 {
        return esc(text); // an unpaired backquote: shown as written
    }
    parts.iter().enumerate().map(|(i, p)| if i % 2 == 1 { format!("<code>{}</code>", esc(p)) } else { esc(p) }).collect()
}

const CSS: &str = r#"
:root { --ink: #1d2433; --muted: #5b6475; --line: #d9dee7; --accent: #2f5fb3; --warn: #b3261e; --ok: #1e7b45; --bg-soft: #f4f6fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, .muted { color: var(--muted); }
p.meta { margin: 2px 0; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; margin-top: 18px; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--bg-soft); }
.stat .n { font-size: 28px; font-weight: 700; line-height: 1.1; }
.stat .label { color: var(--muted); font-size: 13px; }
.stat.alert { border-color: var(--warn); background: #fdeceb; }
.stat.alert .n { color: var(--warn); }
.banner { border-radius: 8px; padding: 12px 16px; margin: 18px 0 0; font-weight: 600; }
.banner.bad { background: #fdeceb; border: 2px solid var(--warn); color: var(--warn); }
.banner.good { background: #e8f5ed; border: 1px solid var(--ok); color: var(--ok); }
.banner ul, .banner ol { font-weight: 400; color: var(--ink); margin: 6px 0 0; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 28px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.nw { white-space: nowrap; }
.scroll { max-width: 100%; overflow-x: auto; }
td { overflow-wrap: break-word; }
.caption { color: var(--muted); font-size: 13px; margin: 2px 0 8px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
ul.classes { margin: 4px 0; padding-left: 20px; }
.tag { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; margin: 1px 2px; }
.tag.no { background: #e8f5ed; color: var(--ok); }
.tag.maybe { background: #fff4e0; color: #8a5300; }
.tag.yes { background: #fdeceb; color: var(--warn); }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .bar { fill: var(--accent); }
svg .label { fill: var(--ink); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media (max-width: 760px) { .grid2 { grid-template-columns: 1fr; } }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section, .stat, .banner, svg, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .scroll { overflow: visible; }
  table { font-size: 8.5pt; table-layout: fixed; }
  td, th { padding: 3px 4px; }
  .stat, th, .banner, .tag { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The whole report as one HTML document.
pub fn render(report: &Report, rows: &[CustomerExposure]) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let case = &report.case;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{} — breach report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&case.name)
    );

    // The case and window.
    let _ = write!(h, "<header>\n<h1>{}</h1>\n", esc(&case.name));
    let _ = write!(
        h,
        "<p class=\"meta\">Accounts investigated: <strong>{}</strong></p>\n<p class=\"meta\">Window: <span id=\"window-since\">{}</span> to <span id=\"window-until\">{}</span> (UTC)</p>\n",
        esc(&case.actors.join(", ")),
        esc(&case.since.as_deref().map_or("(open)".to_string(), crate::ui::window_bound)),
        esc(&case.until.as_deref().map_or("(open)".to_string(), crate::ui::window_bound))
    );
    if let Some(d) = &case.discovered {
        let _ = writeln!(h, "<p class=\"meta\">Discovered: {}</p>", esc(d));
    }
    if let Some(d) = &case.determined {
        let _ = writeln!(h, "<p class=\"meta\">Determined (confirmed): {}</p>", esc(d));
    }
    if let Some(d) = &case.law_enforcement_delay_until {
        let _ = writeln!(h, "<p class=\"meta\">Law enforcement delay until: {}</p>", esc(d));
    }
    let _ = writeln!(h, "<p class=\"meta\">Case file: <span class=\"mono\">{}</span></p>\n</header>", esc(&case.file));

    warnings_section(&mut h, report, rows);
    containment_section(&mut h, report, rows);
    headline_and_days_section(&mut h, report, rows);
    customers_section(&mut h, report, rows);
    not_exposed_section(&mut h, report, rows);
    unresolved_section(&mut h, report, rows);
    list_section(&mut h, report, rows);
    replayed_section(&mut h, report);
    if let Some(coverage) = &report.coverage {
        coverage_section(&mut h, coverage);
    }
    if let Some(legal) = &report.legal {
        legal_section(&mut h, legal);
    }

    inputs_section(&mut h, report, rows);
    h
}

/// The warnings, first: while any applies, the figures below may be wrong or incomplete.
fn warnings_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    // Warnings first: while any applies, the figures below may be wrong or incomplete.
    if !report.warnings.is_empty() {
        let _ = write!(
            h,
            "<section id=\"warnings\">\n<h2>Warnings</h2>\n<div class=\"banner bad\">{} warning(s): the list and the statement below may be wrong or incomplete until they are fixed; no data class is called not exposed meanwhile.\n<ol>\n",
            report.warnings.len()
        );
        for w in &report.warnings {
            let _ = writeln!(
                h,
                "<li class=\"warning\" data-code=\"{0}\"><code>{0}</code> {1}<br><strong>Fix:</strong> {2}</li>",
                esc(w.code),
                with_code(&w.message),
                with_code(&w.fix)
            );
        }
        h.push_str("</ol></div>\n</section>\n");
    }

}

/// Containment, loudly when it failed.
fn containment_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    // Containment, loudly when it failed.
    if let Some(c) = &report.containment {
        if c.contained {
            let _ = writeln!(h, "<div class=\"banner good\" id=\"containment\">Containment: {}</div>", esc(&c.finding));
        } else {
            let _ = write!(h, "<div class=\"banner bad\" id=\"containment\">CONTAINMENT FAILED: {}\n<ul>\n", esc(&c.finding));
            for a in c.accesses_after_disabled.iter().take(10) {
                let _ = writeln!(
                    h,
                    "<li><span class=\"mono\">{}</span> {} — {} — <span class=\"mono\">{}</span></li>",
                    esc(&a.origin.time_utc()),
                    esc(&a.origin.actor),
                    esc(&a.origin.location()),
                    esc(&a.request)
                );
            }
            if c.accesses_after_disabled.len() > 10 {
                let _ = writeln!(h, "<li>and {} more (see report.json)</li>", c.accesses_after_disabled.len() - 10);
            }
            h.push_str("</ul></div>\n");
        }
    }

}

/// Headline numbers, and the accesses per day (with how their totals relate).
fn headline_and_days_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    let t = &report.totals;
    // Headline numbers.
    let events: u64 = report.events_by_actor.values().sum();
    h.push_str("<section>\n<div class=\"stats\">\n");
    stat(h, "stat-customers", t.customers_affected as u64, "customers affected", false);
    stat(h, "stat-events", events, "events by the accounts in the window", false);
    stat(h, "stat-days", report.events_per_day.len() as u64, "days with access", false);
    stat(h, "stat-table-reads", t.table_accesses as u64, "whole-table reads", t.table_accesses > 0);
    stat(h, "stat-unresolved-queries", t.unresolved_query_events as u64, "accesses naming no record", t.unresolved_queries > 0);
    stat(h, "stat-unresolved-keys", t.unresolved_keys as u64, "touched keys matching no row", t.unresolved_keys > 0);
    if report.containment.is_some() {
        stat(h, "stat-after-disabled", t.accesses_after_disabled as u64, "accesses after disabling", t.accesses_after_disabled > 0);
    }
    stat(h, "stat-records-read", t.records_read, "log records read", false);
    stat(h, "stat-rejected", t.records_rejected, "log records unreadable", t.records_rejected > 0);
    h.push_str("</div>\n</section>\n");

    // Accesses per day.
    h.push_str("<section>\n<h2>Accesses per day</h2>\n");
    if report.events_per_day.is_empty() {
        h.push_str("<p class=\"muted\">No access by the accounts in the window.</p>\n");
    } else {
        h.push_str(&day_chart(&report.events_per_day));
        let charted: u64 = report.events_per_day.values().sum();
        if charted != events {
            let _ = writeln!(
                h,
                "<p class=\"caption\" id=\"day-caption\">The headline's {} counts every successful event of the accounts in the window; the chart's {} are those that reached case records (the other {}: see the ignored reasons in report.json).</p>",
                thousands(events),
                thousands(charted),
                thousands(events.saturating_sub(charted))
            );
        }
    }
    h.push_str("</section>\n");

}

/// Customers affected: by class, segment, source, evidence; people by jurisdiction.
fn customers_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    let t = &report.totals;
    // Customers affected.
    let ex = &report.exposure;
    h.push_str("<section>\n<h2>Customers affected</h2>\n");
    let by_class: Vec<(String, u64)> = ex.held.iter().map(|c| (c.class.as_str().to_string(), c.customers_exposed as u64)).collect();
    h.push_str("<h3>By data class</h3>\n");
    h.push_str(&bar_chart("by-class", &by_class, t.customers_affected as u64));
    // Where the people live: the legal stage's jurisdictions (US states apart), people counted in each.
    let by_jurisdiction: BTreeMap<String, u64> =
        report.legal.as_ref().map(|l| l.jurisdictions.iter().map(|j| (j.jurisdiction.clone(), j.people as u64)).collect()).unwrap_or_default();
    h.push_str("<div class=\"grid2\">\n");
    for (id, title, map) in [
        ("by-segment", "By segment", to_u64(&ex.by_segment)),
        ("by-jurisdiction", "People by jurisdiction", by_jurisdiction),
        ("by-source", "By source", to_u64(&ex.by_source)),
        ("by-evidence", "By evidence grade", to_u64(&ex.by_evidence)),
    ] {
        if map.is_empty() {
            continue;
        }
        let items: Vec<(String, u64)> = map.into_iter().collect();
        let _ = writeln!(h, "<div><h3>{title}</h3>\n{}</div>", bar_chart(id, &items, t.customers_affected as u64));
    }
    h.push_str("</div>\n</section>\n");

}

/// What was not exposed, what cannot be ruled out, and the views assumed.
fn not_exposed_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    let ex = &report.exposure;
    // What was not exposed, what cannot be ruled out.
    h.push_str("<section id=\"not-exposed\">\n<h2>What was not exposed</h2>\n");
    tags(h, "Held in the tables; nothing the accounts did could have shown it", ex.held_not_exposed.iter().map(|c| c.as_str()), "no");
    tags(h, "Cannot be ruled out (exposed for no listed customer, but not excluded)", ex.possibly_exposed.iter().map(|c| c.as_str()), "maybe");
    if !ex.possibly_exposed.is_empty() {
        h.push_str("<div class=\"banner bad\" id=\"blocked-by\">Cannot be called not exposed, because of:\n<ul>\n");
        for b in ex.blockers.iter().filter(|b| b.classes.iter().any(|c| ex.possibly_exposed.contains(c))) {
            let classes: Vec<&str> = b.classes.iter().filter(|c| ex.possibly_exposed.contains(c)).map(|c| c.as_str()).collect();
            let _ = writeln!(h, "<li>{} <span class=\"muted\">[{}]</span></li>", esc(&b.reason), esc(&classes.join(", ")));
        }
        h.push_str("</ul></div>\n");
    }
    tags(h, "Sensitive data not held in any column of the case's tables", ex.sensitive_not_held.iter().map(|c| c.as_str()), "no");
    if let Some(basis) = report.legal.as_ref().map(|l| &l.statement.not_held_basis).filter(|_| !ex.sensitive_not_held.is_empty()) {
        let _ = writeln!(h, "<p class=\"muted\" id=\"not-held-basis\">{}</p>", esc(basis));
    }
    let exposed: Vec<&str> = ex.held.iter().filter(|c| c.customers_exposed > 0).map(|c| c.class.as_str()).collect();
    tags(h, "Exposed for at least one listed customer", exposed.into_iter(), "yes");
    h.push_str("</section>\n");

    // Views assumed: what each source's views were taken to show, and what rests on it.
    let assumed: Vec<&crate::stages::exposure::SourceViews> = ex.views.iter().filter(|v| !v.defaults.is_empty() || !v.declared_unused.is_empty()).collect();
    if !assumed.is_empty() {
        h.push_str("<section id=\"views-assumed\">\n<h2>Views assumed</h2>\n");
        for v in assumed {
            for d in &v.defaults {
                let _ = writeln!(
                    h,
                    "<div class=\"banner bad\">{}: {} of {} ({} accesses) were taken to show {}</div>",
                    esc(&v.source),
                    esc(d.views),
                    esc(&d.tables.join(", ")),
                    d.accesses,
                    esc(d.shows)
                );
            }
            if let Some(a) = &v.views_assumed {
                let classes: Vec<&str> = a.assumed_classes.iter().map(|c| c.as_str()).collect();
                let _ = writeln!(
                    h,
                    "<p>Resting only on this assumption, for {} customer(s): <strong>{}</strong>. Fix: <span class=\"mono\">{}</span></p>",
                    a.customers,
                    esc(&if classes.is_empty() { "nothing".to_string() } else { classes.join(", ") }),
                    esc(&a.fix)
                );
            }
            for key in &v.declared_unused {
                let _ = writeln!(h, "<p>{} in {} was never applied: check its table name and action.</p>", esc(key), esc(&v.source));
            }
        }
        if let Some(legal) = &report.legal {
            if !legal.duties_resting_on_assumed_views.is_empty() {
                let _ = writeln!(h, "<p><strong>{}</strong> people's duty depends on these assumptions (see the assumed_classes column).</p>", legal.duties_resting_on_assumed_views.len());
            }
        }
        h.push_str("</section>\n");
    }

}

/// Unresolved items: whole-table reads, accesses naming no record, keys matching no row, and the rest.
fn unresolved_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    let t = &report.totals;
    // Unresolved items.
    h.push_str("<section id=\"unresolved\">\n<h2>Unresolved items</h2>\n");
    let nothing_open = report.table_accesses.is_empty()
        && report.unresolved_queries.is_empty()
        && report.unresolved_keys.is_empty()
        && t.records_rejected == 0
        && report.unmatched_request_paths.is_empty()
        && report.unknown_actions.is_empty()
        && report.unknown_fields.is_empty()
        && report.tables_not_in_case.is_empty()
        && report.files_without_events.is_empty();
    if nothing_open {
        h.push_str("<p>None: every access named its records and every record was found.</p>\n");
    }
    if !report.table_accesses.is_empty() {
        let _ = writeln!(h, "<h3>Whole-table reads ({}): every row may be exposed; these rows are not in the list</h3>", report.table_accesses.len());
        table(
            h,
            &["time (UTC)", "account", "where", "tables", "statement"],
            report.table_accesses.iter().map(|a| {
                vec![when(&a.origin.time_utc()), esc(&a.origin.actor), esc(&a.origin.location()), esc(&a.tables.join(", ")), code(&a.statement)]
            }),
            report.table_accesses.len(),
        );
    }
    if !report.unresolved_queries.is_empty() {
        let _ = writeln!(h, "<h3>Accesses whose records the log does not name ({})</h3>", report.unresolved_queries.len());
        table(
            h,
            &["time (UTC)", "account", "where", "why", "statement"],
            report.unresolved_queries.iter().map(|q| vec![when(&q.origin.time_utc()), esc(&q.origin.actor), esc(&q.origin.location()), esc(&q.reason), code(&q.statement)]),
            report.unresolved_queries.len(),
        );
    }
    if !report.unresolved_keys.is_empty() {
        let _ = writeln!(h, "<h3>Touched keys that match no row ({})</h3>", report.unresolved_keys.len());
        table(
            h,
            &["table", "key", "why", "accesses", "first access"],
            report.unresolved_keys.iter().map(|k| {
                vec![esc(&k.table), code(&k.key), esc(&k.reason), k.access_count.to_string(), when(&k.first_access)]
            }),
            report.unresolved_keys.len(),
        );
    }
    if !report.unknown_actions.is_empty() {
        let _ = writeln!(h, "<h3>Actions the vocabulary does not know, read as reads ({})</h3>", report.unknown_actions.len());
        table(h, &["action", "events"], report.unknown_actions.iter().map(|(a, n)| vec![code(a), n.to_string()]), report.unknown_actions.len());
    }
    if !report.unmatched_request_paths.is_empty() {
        let _ = writeln!(h, "<h3>Request paths of the accounts that match no route ({})</h3>", report.unmatched_request_paths.len());
        table(h, &["path", "requests"], report.unmatched_request_paths.iter().map(|(p, n)| vec![code(p), n.to_string()]), report.unmatched_request_paths.len());
    }
    if !report.tables_not_in_case.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Tables the accounts read that are not case tables ({}): map one in [logs.tables] if it holds customer records</h3>",
            t.tables_not_in_case
        );
        table(h, &["table", "events"], report.tables_not_in_case.iter().map(|x| vec![code(&x.name), x.events.to_string()]), t.tables_not_in_case);
    }
    if !report.files_without_events.is_empty() {
        let _ = writeln!(h, "<h3>Log files that gave no access event ({})</h3>", report.files_without_events.len());
        table(
            h,
            &["file", "source", "format", "records", "what to check"],
            report.files_without_events.iter().map(|f| vec![esc(&f.path), esc(&f.source), esc(&f.format), f.records.to_string(), esc(&f.note)]),
            report.files_without_events.len(),
        );
    }
    if !report.unknown_fields.is_empty() {
        let _ = writeln!(h, "<h3>Field names in the logs that are no column of the case ({})</h3>", report.unknown_fields.len());
        table(h, &["field", "times"], report.unknown_fields.iter().map(|(f, n)| vec![code(f), n.to_string()]), report.unknown_fields.len());
    }
    if t.records_rejected > 0 {
        let _ = writeln!(h, "<p><strong>{}</strong> log record(s) could not be read: see the rejects file.</p>", t.records_rejected);
    }
    h.push_str("</section>\n");

}

/// The notification list's first rows.
fn list_section(h: &mut String, report: &Report, rows: &[CustomerExposure]) {
    // The notification list's first rows.
    let _ = writeln!(
        h,
        "<section id=\"list\">\n<h2>Notification list</h2>\n<p class=\"muted\">The first {} of {} customers, by customer key. The full list: <span class=\"mono\">{}</span></p>",
        rows.len().min(LIST_ROWS),
        rows.len(),
        esc(report.outputs.get("notification_list").map(String::as_str).unwrap_or(""))
    );
    table(
        h,
        &["customer", "name", "email", "phone", "data classes", "first access", "last access", "accesses", "evidence"],
        rows.iter().take(LIST_ROWS).map(|r| {
            vec![
                code(&r.customer_id),
                esc(&r.name),
                esc(&r.email),
                format!("<span class=\"nw\">{}</span>", esc(&r.phone)),
                esc(&r.data_classes.iter().map(|c| if r.assumed_classes.contains(c) { format!("{} (assumed)", c.as_str()) } else { c.as_str().to_string() }).collect::<Vec<_>>().join(", ")),
                when(&crate::read::timefmt::format_utc(&r.first_access)),
                when(&crate::read::timefmt::format_utc(&r.last_access)),
                r.access_count.to_string(),
                esc(r.evidence.as_str()),
            ]
        }),
        LIST_ROWS,
    );
    h.push_str("</section>\n");

}

/// The logs read, and the footer.
fn inputs_section(h: &mut String, report: &Report, _rows: &[CustomerExposure]) {
    let t = &report.totals;
    // Inputs.
    h.push_str("<section id=\"inputs\">\n<h2>Logs read</h2>\n");
    table(
        h,
        &["source", "file", "format", "read", "used", "ignored", "rejected"],
        report.inputs.iter().map(|f| {
            vec![esc(&f.source), code(&f.path), esc(&f.format), f.read.to_string(), f.used.to_string(), f.ignored.to_string(), f.rejected.to_string()]
        }),
        usize::MAX,
    );
    let _ = writeln!(
        h,
        "<p class=\"muted\">Counts reconcile: read {} = used {} + ignored {} + rejected {}.</p>\n</section>",
        t.records_read, t.records_used, t.records_ignored, t.records_rejected
    );

    let _ = writeln!(
        h,
        "<footer>Written by {} {}. Every number here is in report.json; times are UTC.</footer>\n</main>\n</body>\n</html>",
        esc(report.tool.name),
        esc(report.tool.version)
    );
}

/// Queries without a key, re-run on the tables: how many rows and customers each selected.
fn replayed_section(h: &mut String, report: &Report) {
    if report.replayed_queries.is_empty() {
        return;
    }
    let _ = writeln!(h, "<section id=\"replayed\">\n<h2>Replayed queries ({})</h2>", thousands(report.replayed_queries.len() as u64));
    h.push_str("<p class=\"muted\">Queries whose filter names no key, re-run against the case's tables: the rows they select are on the list with evidence <em>replayed</em>.</p>\n");
    table(
        h,
        &["time (UTC)", "account", "where", "rows selected", "records per table", "statement"],
        report.replayed_queries.iter().map(|q| {
            let records: Vec<String> = q.records.iter().map(|(t, n)| format!("{}: {}", esc(t), thousands(*n))).collect();
            let mismatch = if q.rows_mismatch { format!(" <strong>(the log says {})</strong>", q.logged_rows.unwrap_or(0)) } else { String::new() };
            vec![
                when(&q.origin.time_utc()),
                esc(&q.origin.actor),
                format!("{}:{}", esc(&q.origin.file), q.origin.line),
                format!("{}{mismatch}", thousands(q.rows_selected)),
                records.join("<br>"),
                code(&q.statement),
            ]
        }),
        usize::MAX,
    );
    h.push_str("</section>\n");
}

/// Coverage: the timeline, each source's gaps and blind spots, and the line for counsel.
fn coverage_section(h: &mut String, c: &crate::coverage::report::CoverageReport) {
    h.push_str("<section id=\"coverage\">\n<h2>Coverage of the logs</h2>\n");
    if let (Some(s), Some(e)) = (&c.window_start, &c.window_end) {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Window judged: {} to {} (UTC); gaps of {} or more; mode {}.</p>",
            when(&crate::ui::window_bound(s)),
            when(&crate::ui::window_bound(e)),
            esc(&c.min_gap),
            esc(c.mode)
        );
    }
    let class = if c.gaps > 0 { "banner bad" } else { "banner good" };
    let _ = writeln!(h, "<div class=\"{class}\" id=\"coverage-counsel\">For counsel: {}</div>", esc(&c.legal_summary));
    h.push_str(&crate::coverage::svg::timeline(c));
    let gaps: Vec<(&str, &crate::coverage::report::GapReport)> = c.sources.iter().flat_map(|s| s.gaps.iter().map(move |g| (s.source.as_str(), g))).collect();
    if !gaps.is_empty() {
        let _ = writeln!(h, "<h3>Gaps ({})</h3>", gaps.len());
        table(
            h,
            &["source", "start (UTC)", "end (UTC)", "length", "events expected", "where"],
            gaps.iter().map(|(source, g)| {
                vec![
                    esc(source),
                    when(&g.start),
                    when(&g.end),
                    esc(&g.duration),
                    g.expected_events.map_or("-".to_string(), |e| format!("{e:.1}")),
                    esc(g.kind.as_str()),
                ]
            }),
            usize::MAX,
        );
    }
    let blind: Vec<(&str, &crate::coverage::blind::BlindSpot)> = c
        .sources
        .iter()
        .flat_map(|s| s.blind_spots.iter().filter(|b| b.records.unwrap_or(0) > 0 || b.actor_events > 0).map(move |b| (s.source.as_str(), b)))
        .collect();
    if !blind.is_empty() {
        let _ = writeln!(h, "<h3>Blind spots ({})</h3>", blind.len());
        table(
            h,
            &["source", "kind", "records", "the accounts' events", "what it means"],
            blind.iter().map(|(source, b)| {
                vec![esc(source), esc(b.kind), b.records.map_or("-".to_string(), |n| n.to_string()), b.actor_events.to_string(), esc(b.description)]
            }),
            usize::MAX,
        );
    }
    h.push_str("</section>\n");
}

/// The legal block: people and duties per jurisdiction, deadlines and regulators.
fn legal_section(h: &mut String, l: &crate::legal::report::LegalReport) {
    h.push_str("<section id=\"legal\">\n<h2>Whom to notify</h2>\n");
    let _ = writeln!(h, "<p class=\"muted\">{} Rules {} ({}).</p>", esc(l.note), esc(&l.rules_version), esc(&l.rules_source));
    h.push_str("<div class=\"stats\">\n");
    stat(h, "stat-people", l.people as u64, "people (customer rows of one person merged)", false);
    for (status, label) in [("required", "notice required"), ("assess", "to assess"), ("not_required", "notice not required")] {
        stat(h, &format!("stat-notify-{status}"), l.notify.get(status).copied().unwrap_or(0) as u64, label, status == "assess" && l.notify.contains_key(status));
    }
    h.push_str("</div>\n");
    table(
        h,
        &["jurisdiction", "people", "required", "assess", "not req.", "individual deadline", "regulator", "regulator notice", "regulator deadline"],
        l.jurisdictions.iter().map(|j| {
            vec![
                esc(&j.jurisdiction),
                j.people.to_string(),
                j.notify_required.to_string(),
                j.notify_assess.to_string(),
                j.notify_not_required.to_string(),
                esc(&j.individual_deadline),
                esc(&j.regulator),
                esc(&j.regulator_notice),
                esc(&j.regulator_deadline),
            ]
        }),
        usize::MAX,
    );
    h.push_str("<h3 id=\"actions\">Action list for counsel</h3>\n");
    for note in &l.action_notes {
        let _ = writeln!(h, "<div class=\"banner bad\">{}</div>", esc(note));
    }
    table(
        h,
        &["status", "recipient", "duty", "jurisdictions", "people", "due", "deadline", "channel", "contents", "citation"],
        l.actions.iter().map(|a| {
            let channel = if a.channel_address.is_empty() { esc(&a.channel) } else { format!("{}<br><span class=\"mono\">{}</span>", esc(&a.channel), esc(&a.channel_address)) };
            vec![
                esc(a.status.as_str()),
                esc(&a.recipient),
                esc(a.duty),
                esc(&a.jurisdictions.join(", ")),
                a.people.to_string(),
                when(&a.due),
                esc(&a.deadline),
                channel,
                esc(&a.contents),
                esc(&a.citation),
            ]
        }),
        usize::MAX,
    );
    if !l.statement.lines.is_empty() {
        h.push_str("<h3>Statement</h3>\n<ul>\n");
        for line in &l.statement.lines {
            let _ = writeln!(h, "<li>{}</li>", esc(line));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn to_u64(map: &BTreeMap<String, usize>) -> BTreeMap<String, u64> {
    map.iter().map(|(k, v)| (k.clone(), *v as u64)).collect()
}

fn stat(h: &mut String, id: &str, n: u64, label: &str, alert: bool) {
    let class = if alert { "stat alert" } else { "stat" };
    let _ = writeln!(
        h,
        "<div class=\"{class}\" id=\"{id}\" data-value=\"{n}\"><div class=\"n\">{}</div><div class=\"label\">{}</div></div>",
        thousands(n),
        esc(label)
    );
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A UTC time that does not wrap inside the value.
fn when(time: &str) -> String {
    format!("<span class=\"nw\">{}</span>", esc(time))
}

fn code(text: &str) -> String {
    let cut: String = text.chars().take(300).collect();
    let more = if text.chars().count() > 300 { "…" } else { "" };
    format!("<span class=\"mono\">{}{more}</span>", esc(&cut))
}

fn tags<'a>(h: &mut String, title: &str, items: impl Iterator<Item = &'a str>, kind: &str) {
    let items: Vec<&str> = items.collect();
    let _ = write!(h, "<h3>{}</h3>\n<p>", esc(title));
    if items.is_empty() {
        h.push_str("<span class=\"muted\">none</span>");
    }
    for i in items {
        let _ = write!(h, "<span class=\"tag {kind}\">{}</span> ", esc(i));
    }
    h.push_str("</p>\n");
}

/// A table; cells are already escaped HTML. Shows at most `limit` rows (at most [`LIST_LIMIT`] unless
/// `limit` is `usize::MAX`: all) and says how many were left out.
fn table(h: &mut String, header: &[&str], rows: impl Iterator<Item = Vec<String>>, limit: usize) {
    let limit = if limit == usize::MAX { limit } else { limit.min(LIST_LIMIT) };
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for c in header {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut shown = 0;
    let mut total = 0;
    for row in rows {
        total += 1;
        if shown >= limit {
            continue;
        }
        shown += 1;
        h.push_str("<tr>");
        for cell in row {
            match cell.parse::<u64>() {
                Ok(n) if !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit()) => {
                    let _ = write!(h, "<td class=\"num\" data-value=\"{n}\">{}</td>", thousands(n));
                }
                _ => {
                    let _ = write!(h, "<td>{cell}</td>");
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
    if total > shown {
        let _ = writeln!(h, "<p class=\"muted\">and {} more (see report.json)</p>", total - shown);
    }
}

/// Horizontal bars, one per item, scaled to `total` (the customers affected).
fn bar_chart(id: &str, items: &[(String, u64)], total: u64) -> String {
    const W: f64 = 520.0;
    const LABEL: f64 = 170.0;
    const ROW: f64 = 24.0;
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(total).max(1) as f64;
    let height = ROW * items.len() as f64 + 6.0;
    let mut s = format!(
        "<svg id=\"{id}\" role=\"img\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    for (i, (label, n)) in items.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let bar = ((W - LABEL - 60.0) * *n as f64 / max).max(if *n > 0 { 1.5 } else { 0.0 });
        let _ = writeln!(
            s,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{LABEL}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" rx=\"2\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" data-value=\"{n}\">{}</text>",
            LABEL - 8.0,
            y + 13.0,
            esc(label),
            ROW - 8.0,
            esc(label),
            LABEL + bar + 6.0,
            y + 13.0,
            thousands(*n)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Vertical bars per UTC day from the first to the last day with access (days without access drawn as
/// gaps), with the peak and the dates on the axis.
fn day_chart(per_day: &BTreeMap<String, u64>) -> String {
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let days: Vec<(NaiveDate, u64)> = per_day.iter().filter_map(|(d, n)| parse(d).map(|d| (d, *n))).collect();
    let (Some(first), Some(last)) = (days.first().map(|d| d.0), days.last().map(|d| d.0)) else { return String::new() };
    let span = (last - first).num_days() as usize + 1;
    let counts: BTreeMap<NaiveDate, u64> = days.into_iter().collect();
    let peak = counts.values().copied().max().unwrap_or(1).max(1);
    const W: f64 = 1000.0;
    const H: f64 = 230.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 28.0;
    const TOP: f64 = 12.0;
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - BOTTOM - TOP;
    let step = plot_w / span as f64;
    let bar_w = (step * 0.8).max(0.6);
    let mut s = format!(
        "<svg id=\"per-day\" role=\"img\" aria-label=\"Accesses per day\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let axis_y = TOP + plot_h;
    let _ = writeln!(s, "<line x1=\"{LEFT}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#9aa3b2\"/>", W - 8.0);
    let _ = writeln!(s, "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{axis_y}\" stroke=\"#9aa3b2\"/>");
    let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{peak}</text>", LEFT - 6.0, TOP + 4.0);
    let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{axis_y}\" text-anchor=\"end\">0</text>", LEFT - 6.0);
    for i in 0..span {
        let day = first + Duration::days(i as i64);
        let x = LEFT + i as f64 * step + (step - bar_w) / 2.0;
        if let Some(n) = counts.get(&day) {
            let bh = plot_h * *n as f64 / peak as f64;
            let _ = writeln!(
                s,
                "<rect class=\"bar\" data-day=\"{day}\" data-value=\"{n}\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{bar_w:.2}\" height=\"{bh:.2}\"><title>{day}: {n}</title></rect>",
                axis_y - bh
            );
        }
        // Date labels: the first day, the first of each month, and the last day.
        use chrono::Datelike;
        let label = i == 0 || i + 1 == span || (day.day() == 1 && i > 3 && i + 4 < span);
        if label {
            let anchor = if i == 0 { "start" } else if i + 1 == span { "end" } else { "middle" };
            let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{day}</text>", x + bar_w / 2.0, H - 8.0);
        }
    }
    s.push_str("</svg>\n");
    let total: u64 = counts.values().sum();
    let _ = writeln!(s, "<p class=\"muted\">{total} events that reached case data, on {} days; the busiest day had {peak}.</p>", counts.len());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(68_000), "68,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(esc("<script>alert('x')</script> & \"q\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    }

    #[test]
    fn backquoted_names_in_warnings_are_code_and_still_escaped() {
        assert_eq!(with_code("actor `<K.Walsh>` in `crm`"), "actor <code>&lt;K.Walsh&gt;</code> in <code>crm</code>");
        assert_eq!(with_code("one ` only <b>"), "one ` only &lt;b&gt;");
    }

    #[test]
    fn day_chart_has_one_bar_per_day_with_access() {
        let days: BTreeMap<String, u64> = [("2019-06-01", 3), ("2019-06-03", 6), ("2019-07-02", 1)].iter().map(|(d, n)| (d.to_string(), *n)).collect();
        let svg = day_chart(&days);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3);
        assert!(svg.contains("data-day=\"2019-06-03\" data-value=\"6\""));
        assert!(svg.contains(">2019-06-01<") && svg.contains(">2019-07-02<"));
        assert!(svg.contains("10 events that reached case data, on 3 days; the busiest day had 6."));
    }

    #[test]
    fn bar_chart_escapes_labels() {
        let svg = bar_chart("x", &[("<b>".to_string(), 2)], 4);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }

    proptest::proptest! {
        #[test]
        fn escaped_text_has_no_markup(text in "\\PC*") {
            let e = esc(&text);
            proptest::prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
        }
    }
}
