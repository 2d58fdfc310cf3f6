//! The statement counsel reads first: what was exposed, what was not, which customer segments were and
//! were not affected, and the access window.

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

pub fn build(case: &Case, rows: &[CustomerExposure], summary: &ExposureSummary, people: &[Person]) -> Statement {
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
    if let Some(why) = &summary.not_exposed_blocked_by {
        lines.push(format!("No data class can be called not exposed: {why}."));
    } else if !summary.held_not_exposed.is_empty() {
        lines.push(format!("Held in the tables but NOT exposed: {}.", list(&summary.held_not_exposed)));
    }
    if !summary.possibly_exposed.is_empty() {
        lines.push(format!("Cannot be ruled out (whole-table reads or unresolved queries): {}.", list(&summary.possibly_exposed)));
    }
    if !summary.sensitive_not_held.is_empty() {
        lines.push(format!("Not held in any case table: {}.", list(&summary.sensitive_not_held)));
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
