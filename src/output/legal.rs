//! The legal CSVs (`affected_people.csv`, `jurisdictions.csv`) and the terminal block. Cells go through
//! `output::neutralise`; `--excel` adds a UTF-8 BOM and CRLF line ends for spreadsheet users.

use std::collections::BTreeMap;
use std::io::Write;

use crate::legal::report::{Action, JurisdictionSummary, LegalReport, Person, DISCLAIMER};
use crate::output::files::neutralise;
use crate::read::timefmt::format_utc;

pub const PEOPLE_HEADER: [&str; 17] = [
    "person_id",
    "name",
    "email",
    "phone",
    "address",
    "jurisdiction",
    "data_classes",
    "assumed_classes",
    "notify",
    "basis",
    "deadline",
    "regulator",
    "customer_ids",
    "first_access",
    "last_access",
    "evidence",
    "note",
];

pub const JURISDICTIONS_HEADER: [&str; 21] = [
    "jurisdiction",
    "rule",
    "citation",
    "people",
    "notify_required",
    "notify_assess",
    "notify_not_required",
    "individual_deadline",
    "regulator",
    "regulator_threshold",
    "regulator_notice",
    "regulator_deadline",
    "cra_threshold",
    "cra_notice",
    "effective",
    "confidence",
    "last_checked",
    "rules_version",
    "rule_notes",
    "law_at_breach",
    "note",
];

pub const ACTIONS_HEADER: [&str; 16] = [
    "recipient",
    "duty",
    "status",
    "jurisdictions",
    "rule",
    "people",
    "due",
    "deadline",
    "basis",
    "channel",
    "channel_address",
    "contents",
    "citation",
    "last_checked",
    "rules_version",
    "note",
];

fn writer<W: Write>(excel: bool, mut out: W) -> std::io::Result<csv::Writer<W>> {
    if excel {
        out.write_all("\u{feff}".as_bytes())?;
    }
    Ok(csv::WriterBuilder::new().terminator(if excel { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') }).from_writer(out))
}

fn write_row<W: Write>(w: &mut csv::Writer<W>, cells: &[&str]) -> std::io::Result<()> {
    for cell in cells {
        w.write_field(neutralise(cell).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// The notification list, one row per person (or per record with `--per record`), written to `out` as it
/// is made.
pub fn write_people_csv(people: &[Person], excel: bool, out: impl Write) -> std::io::Result<()> {
    let mut w = writer(excel, out)?;
    w.write_record(PEOPLE_HEADER)?;
    for p in people {
        let mut evidence = vec![p.evidence.as_str().to_string()];
        evidence.extend(p.found_in.iter().map(|f| format!("found_in {f}")));
        let classes: Vec<&str> = p.data_classes.iter().map(|c| c.as_str()).collect();
        let assumed: Vec<&str> = p.assumed_classes.iter().map(|c| c.as_str()).collect();
        write_row(
            &mut w,
            &[
                &p.person_id,
                &p.name,
                &p.email,
                &p.phone,
                &p.address,
                &p.jurisdictions.join(";"),
                &classes.join(";"),
                &assumed.join(";"),
                p.notify.as_str(),
                &p.basis.join(" | "),
                &p.deadline.join(" | "),
                &p.regulator.join(" | "),
                &p.customer_ids.join(";"),
                &format_utc(&p.first_access),
                &format_utc(&p.last_access),
                &evidence.join("; "),
                DISCLAIMER,
            ],
        )?;
    }
    w.flush()
}

/// The regulator summary, one row per jurisdiction.
pub fn jurisdictions_csv(rows: &[JurisdictionSummary], rules_version: &str, excel: bool) -> Vec<u8> {
    let mut w = writer(excel, Vec::new()).expect("writing to memory");
    w.write_record(JURISDICTIONS_HEADER).expect("writing to memory");
    let opt = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    for j in rows {
        let cells = [
                j.jurisdiction.clone(),
                j.rule.clone().unwrap_or_default(),
                j.citation.clone(),
                j.people.to_string(),
                j.notify_required.to_string(),
                j.notify_assess.to_string(),
                j.notify_not_required.to_string(),
                j.individual_deadline.clone(),
                j.regulator.clone(),
                opt(j.regulator_threshold),
                j.regulator_notice.clone(),
                j.regulator_deadline.clone(),
                opt(j.cra_threshold),
                j.cra_notice.clone(),
                j.effective.clone(),
                j.confidence.clone(),
                j.last_checked.map(|d| d.to_string()).unwrap_or_default(),
                rules_version.to_string(),
                j.rule_notes.clone(),
                j.law_at_breach.clone(),
                DISCLAIMER.to_string(),
        ];
        write_row(&mut w, &cells.each_ref().map(String::as_str)).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Counsel's action list, one row per recipient and duty.
pub fn actions_csv(actions: &[Action], rules_version: &str, excel: bool) -> Vec<u8> {
    let mut w = writer(excel, Vec::new()).expect("writing to memory");
    w.write_record(ACTIONS_HEADER).expect("writing to memory");
    for a in actions {
        let cells = [
            a.recipient.clone(),
            a.duty.to_string(),
            a.status.as_str().to_string(),
            a.jurisdictions.join(";"),
            a.rule.clone(),
            a.people.to_string(),
            a.due.clone(),
            a.deadline.clone(),
            a.basis.clone(),
            a.channel.clone(),
            a.channel_address.clone(),
            a.contents.clone(),
            a.citation.clone(),
            a.last_checked.map(|d| d.to_string()).unwrap_or_default(),
            rules_version.to_string(),
            DISCLAIMER.to_string(),
        ];
        write_row(&mut w, &cells.each_ref().map(String::as_str)).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The legal block of the terminal summary.
pub fn summary(legal: &LegalReport) -> String {
    let mut out = String::new();
    out.push_str("\nStatement\n");
    for line in &legal.statement.lines {
        out.push_str(&format!("  {line}\n"));
    }
    let m = &legal.merges;
    out.push_str(&format!("\nPeople: {} from {} customer rows ({} rows merged", legal.people, m.rows, m.rows_merged));
    if !m.by_reason.is_empty() {
        let parts: Vec<String> = m.by_reason.iter().map(|(r, n)| format!("{n} by {r}")).collect();
        out.push_str(&format!(": {}", parts.join(", ")));
    }
    out.push_str(")\n");
    if m.people_with_different_names > 0 {
        out.push_str(&format!("{} person(s) merged from rows with different names: check them before letters go out\n", m.people_with_different_names));
    }
    if m.shared_emails > 0 {
        out.push_str(&format!(
            "{} e-mail address(es) shared by rows whose names disagree: kept as different people (report.json legal.merges.shared_email_kept_apart); check them before letters go out\n",
            m.shared_emails
        ));
    }
    let from: Vec<String> = legal.rows_jurisdiction_from.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if !from.is_empty() {
        out.push_str(&format!("Jurisdiction from (customer rows): {}\n", from.join(", ")));
    }
    let notify: Vec<String> = legal.notify.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if !notify.is_empty() {
        out.push_str(&format!("Notify: {}\n", notify.join(", ")));
    }
    if !legal.duties_resting_on_assumed_views.is_empty() {
        let mut changes: BTreeMap<String, usize> = BTreeMap::new();
        for d in &legal.duties_resting_on_assumed_views {
            *changes.entry(format!("{} (would be {})", d.notify.as_str(), d.notify_without_assumed.as_str())).or_default() += 1;
        }
        let parts: Vec<String> = changes.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let ids: Vec<&str> = legal.duties_resting_on_assumed_views.iter().take(10).map(|d| d.person_id.as_str()).collect();
        let more = legal.duties_resting_on_assumed_views.len().saturating_sub(ids.len());
        out.push_str(&format!(
            "!! The duty of {} people rests on ASSUMED views: {}; {}{}. See legal.duties_resting_on_assumed_views and the assumed_classes column; declare [logs.views] to settle it.\n",
            legal.duties_resting_on_assumed_views.len(),
            parts.join(", "),
            ids.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    if !legal.free_text.findings.is_empty() {
        let parts: Vec<String> = legal.free_text.by_class.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!(
            "Found in free text ({}): {} customer(s): {}\n",
            legal.free_text.columns_scanned.join(", "),
            legal.free_text.customers_with_findings,
            parts.join(", ")
        ));
    }
    let mut table = crate::ui::table(["jurisdiction", "people", "required", "assess", "not req.", "regulator notice", "CRA notice"]);
    for j in &legal.jurisdictions {
        table.add_row(vec![
            j.jurisdiction.clone(),
            j.people.to_string(),
            j.notify_required.to_string(),
            j.notify_assess.to_string(),
            j.notify_not_required.to_string(),
            j.regulator_notice.clone(),
            j.cra_notice.clone(),
        ]);
    }
    if !legal.jurisdictions.is_empty() {
        out.push_str(&format!("{table}\n"));
    }
    let required: Vec<&Action> = legal.actions.iter().filter(|a| a.status == crate::legal::rules::Notify::Required).collect();
    let assess = legal.actions.iter().filter(|a| a.status == crate::legal::rules::Notify::Assess).count();
    out.push_str(&format!("Actions for counsel: {} required, {assess} to assess (actions.csv)", required.len()));
    if let Some(first) = required.iter().filter(|a| !a.due.is_empty()).min_by(|a, b| a.due.cmp(&b.due)) {
        out.push_str(&format!("; first due {}: {} ({})", first.due, first.recipient, first.duty));
    }
    out.push('\n');
    for note in &legal.action_notes {
        out.push_str(&format!("!! {note}\n"));
    }
    out.push_str(&format!("Rules: {} (version {})\n", legal.rules_source, legal.rules_version));
    out.push_str(&format!("{DISCLAIMER}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_cells_are_neutralised() {
        let action = Action {
            recipient: "=HYPERLINK(\"x\")".into(),
            duty: "regulator_notice",
            status: crate::legal::rules::Notify::Required,
            jurisdictions: vec!["US-TX".into()],
            rule: "US-TX".into(),
            people: 250,
            due: "2019-12-04".into(),
            deadline: String::new(),
            basis: "+1".into(),
            channel: String::new(),
            channel_address: String::new(),
            contents: String::new(),
            citation: String::new(),
            last_checked: None,
        };
        let text = String::from_utf8(actions_csv(&[action], "1", false)).unwrap();
        assert!(text.starts_with("recipient,duty,status,jurisdictions,rule,people,due,"), "{text}");
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\",regulator_notice,required,US-TX,US-TX,250,2019-12-04,"), "{text}");
    }

    #[test]
    fn excel_mode_has_bom_and_crlf() {
        let bytes = jurisdictions_csv(&[], "1", true);
        assert!(bytes.starts_with("\u{feff}jurisdiction,".as_bytes()));
        assert!(bytes.ends_with(b"note\r\n"));
        let plain = jurisdictions_csv(&[], "1", false);
        assert!(plain.starts_with(b"jurisdiction,"));
        assert!(plain.ends_with(b"note\n"));
    }
}
