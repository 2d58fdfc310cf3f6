//! The statement counsel reads first: what was exposed (and what of it rests on assumed views), what was
//! not (only where nothing the actors did could have exposed it; otherwise what cannot be ruled out and
//! why), what no table holds (and what was looked at to say so), which customer segments were and were not
//! affected, and the access window.

use std::collections::BTreeMap;

use crate::case::Case;
use crate::classes::DataClass;
use crate::stages::exposure::{CustomerExposure, ExposureSummary};
use crate::legal::report::{Person, Statement};
use crate::read::timefmt::format_utc;

/// The three segments counsel asks about.
pub const SEGMENTS: [&str; 3] = ["consumer", "business", "government"];


/// The segment a segment cell belongs to.
pub fn segment_of(cell: &str) -> &'static str {
    let c = cell.trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| c.contains(w));
    if c.is_empty() {
        "(none)"
    } else if has(&["gov", "public sector", "agency", "municipal", "federal", "state agency"]) {
        "government"
    } else if has(&["business", "company", "corporate", "enterprise", "commercial", "smb", "b2b", "organisation", "organization"]) {
        "business"
    } else if has(&["consumer", "personal", "individual", "retail", "private", "household", "b2c"]) {
        "consumer"
    } else {
        "other"
    }
}

fn list(classes: &[DataClass]) -> String {
    classes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

/// For each sensitive class no column holds: what the free-text scan looks for, and what it does not.
fn free_text_patterns(class: DataClass) -> (&'static str, &'static str) {
    match class {
        DataClass::CreditCards => ("card numbers (13-19 digits, Luhn-checked)", ""),
        DataClass::GovernmentIssuedIds => ("US social security numbers", "passport, driver's licence or other national ID numbers"),
        DataClass::BankAccountNumbers => ("IBANs", "account numbers in other formats (US account and routing numbers)"),
        DataClass::Passwords => ("secrets after a `password:`/`pin is` label", "unlabelled secrets"),
        DataClass::DatesOfBirth => ("dates after a DOB/born label", "unlabelled dates"),
        _ => ("", ""),
    }
}

/// What "not held" rests on: the columns looked at, and the free text scanned (and not scanned) for the
/// classes no column holds.
pub fn not_held_basis(case: &Case, not_held: &[DataClass], columns_scanned: &[String]) -> String {
    let tables: Vec<String> = case.schema.tables.iter().map(|t| format!("{} ({} columns)", t.name, t.file.columns.len())).collect();
    let mut text = format!("looked at: the column names of the case's tables {}", tables.join(", "));
    let scanned: Vec<&str> = not_held.iter().map(|c| free_text_patterns(*c).0).filter(|p| !p.is_empty()).collect();
    let not_scanned: Vec<&str> = not_held.iter().map(|c| free_text_patterns(*c).1).filter(|p| !p.is_empty()).collect();
    if columns_scanned.is_empty() {
        text.push_str("; no free-text column was exposed, so no free text was scanned");
    } else {
        text.push_str(&format!(
            "; free text ({}) of the records the actors reached, in the cells their accesses exposed, scanned for {}",
            columns_scanned.join(", "),
            if scanned.is_empty() { "nothing of these classes".to_string() } else { scanned.join(", ") }
        ));
    }
    if !columns_scanned.is_empty() {
        let mut unscanned = vec!["free text of records the actors did not reach".to_string()];
        unscanned.extend(not_scanned.iter().map(|s| s.to_string()));
        text.push_str(&format!("; not scanned: {}", unscanned.join("; ")));
    }
    text
}

pub fn build(case: &Case, rows: &[CustomerExposure], summary: &ExposureSummary, people: &[Person], columns_scanned: &[String]) -> Statement {
    let mut segments_affected: BTreeMap<String, usize> = BTreeMap::new();
    for p in people {
        let mut seen: Vec<&str> = p.segments.iter().map(|s| segment_of(s)).collect();
        seen.sort();
        seen.dedup();
        for s in seen {
            *segments_affected.entry(s.to_string()).or_default() += 1;
        }
    }
    let segments_not_affected: Vec<String> = SEGMENTS.iter().filter(|s| !segments_affected.contains_key(**s)).map(|s| s.to_string()).collect();
    let first = rows.iter().map(|r| r.first_access).min();
    let last = rows.iter().map(|r| r.last_access).max();
    let mut exposed: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        for c in &row.data_classes {
            *exposed.entry(c.to_string()).or_default() += 1;
        }
    }

    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push("No customer record was reached by the actors in the window.".to_string());
    } else {
        let parts: Vec<String> = exposed.iter().map(|(c, n)| format!("{c} ({n})")).collect();
        lines.push(format!("Exposed, for {} people ({} customer rows): {}.", people.len(), rows.len(), parts.join(", ")));
    }
    let assumed: Vec<String> = summary.by_class_assumed.iter().map(|(c, n)| format!("{c} ({n})")).collect();
    if !assumed.is_empty() {
        let sources: Vec<String> = summary
            .views
            .iter()
            .filter_map(|v| v.views_assumed.as_ref().map(|a| format!("{} ({})", v.source, a.tables.join(", "))))
            .collect();
        let depending = people.iter().filter(|p| p.notify != p.notify_without_assumed).count();
        lines.push(format!(
            "ASSUMED: no view was declared for {}, so each view there was taken to show every column; resting only on that assumption: {} (customer rows); the duty of {} people depends on it.",
            sources.join(", "),
            assumed.join(", "),
            depending
        ));
    }
    if !summary.held_not_exposed.is_empty() {
        lines.push(format!("Held in the tables but NOT exposed: {}.", list(&summary.held_not_exposed)));
    }
    if !summary.possibly_exposed.is_empty() {
        lines.push(format!(
            "Held in the tables, not exposed for any listed customer, but CANNOT be ruled out: {} ({}).",
            list(&summary.possibly_exposed),
            summary.not_exposed_blocked_by.as_deref().unwrap_or("see blockers")
        ));
    }
    let not_held_basis = not_held_basis(case, &summary.sensitive_not_held, columns_scanned);
    if !summary.sensitive_not_held.is_empty() {
        lines.push(format!("Not held in any column of the case's tables: {} ({not_held_basis}).", list(&summary.sensitive_not_held)));
    }
    if !segments_affected.is_empty() {
        let parts: Vec<String> = segments_affected.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let mut line = format!("Segments affected (people): {}", parts.join(", "));
        if !segments_not_affected.is_empty() {
            line.push_str(&format!("; not affected: {}", segments_not_affected.join(", ")));
        }
        line.push('.');
        lines.push(line);
    }
    if let (Some(f), Some(l)) = (first, last) {
        lines.push(format!("Accesses from {} to {}.", format_utc(&f), format_utc(&l)));
    }
    Statement {
        exposed,
        not_exposed: summary.held_not_exposed.clone(),
        cannot_be_ruled_out: summary.possibly_exposed.clone(),
        not_exposed_blocked_by: summary.not_exposed_blocked_by.clone(),
        not_held: summary.sensitive_not_held.clone(),
        not_held_basis,
        segments_affected,
        segments_not_affected,
        first_access: first.map(|t| format_utc(&t)),
        last_access: last.map(|t| format_utc(&t)),
        window_since: case.window.since.map(|t| format_utc(&t)),
        window_until: case.window.until.map(|t| format_utc(&t)),
        discovered: case.discovered.map(|d| d.to_string()),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_map_to_the_three_counsel_asks_about() {
        assert_eq!(segment_of("consumer"), "consumer");
        assert_eq!(segment_of("Personal"), "consumer");
        assert_eq!(segment_of("SMB"), "business");
        assert_eq!(segment_of("Government agency"), "government");
        assert_eq!(segment_of("gold"), "other");
        assert_eq!(segment_of(""), "(none)");
    }
}
