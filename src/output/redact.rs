//! `analyze --redact`: a summary-only report that can be shared widely. It keeps the counts (totals,
//! records per input, customers per data class, segment, source, jurisdiction, coverage) and drops every
//! list that names a customer or could quote one: unresolved keys, duplicate keys, rejected records' reasons, SQL statements (their
//! literals may be emails or names), request paths (they carry record keys), accesses after the account was
//! disabled and free-text findings. The notification list, legal CSVs and rejects are not written at all.

use crate::output::report::Report;
use crate::output::role::OutputRole;

pub const NOTE: &str = "summary only (--redact): counts without customer names, emails, phones, keys, statements or request paths; \
the notification list, legal CSVs and rejects were not written";

/// Removes every customer-level detail from `report`; the totals keep the counts of what was removed.
pub fn redact(report: &mut Report) {
    report.redacted = Some(NOTE);
    report.unresolved_keys.clear();
    report.unresolved_queries.clear();
    report.replayed_queries.clear();
    report.table_accesses.clear();
    report.duplicate_customer_keys.clear();
    report.customer_key_duplicates.listed.clear();
    // A rejected record's reason may quote its content.
    for r in &mut report.rejected_by_actor {
        r.first = "(withheld: --redact)".into();
    }
    report.warnings = report.warnings.iter().map(|w| w.redacted()).collect();
    report.unmatched_request_paths.clear();
    report.outputs.retain(|name, _| OutputRole::ALL.iter().any(|role| role.name() == name && role.kept_when_redacted()));
    if let Some(containment) = &mut report.containment {
        containment.accesses_after_disabled.clear();
    }
    if let Some(legal) = &mut report.legal {
        legal.free_text.findings.clear();
        legal.merges.shared_email_kept_apart.clear();
        legal.outputs.clear();
    }
}
