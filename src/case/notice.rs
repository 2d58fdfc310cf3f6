//! `[notice]`: what the letters to people say that the analysis cannot know (what happened in plain words,
//! what the organisation is doing, the contact line, the credit-monitoring offer, the signatory, the postal
//! address columns). Extends `[organisation]`. Every field is optional: `letters` drafts a visible
//! placeholder for each one a letter needs and warns about it.

use chrono::NaiveDate;

use crate::case::file::NoticeSection;

/// A credit-monitoring (identity-theft protection) offer, as the organisation arranged it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditMonitoring {
    pub provider: Option<String>,
    /// The months offered (compared with the months the law requires).
    pub months: Option<u32>,
    pub url: Option<String>,
    pub code: Option<String>,
    pub enrol_by: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    /// The incident in plain words (never printed where a law forbids stating the nature of the breach).
    pub what_happened: Option<String>,
    pub what_we_are_doing: Option<String>,
    /// Overrides the likely consequences drafted from the exposed classes (GDPR Art. 33(3)(c)).
    pub likely_consequences: Option<String>,
    /// The line telling people whom to call or write (`Call 1-800-555-0100, Mon-Fri 9-5 ET`).
    pub contact: Option<String>,
    pub notice_date: Option<NaiveDate>,
    /// Whether the notice was delayed at law enforcement's request (California asks the letter to say).
    pub law_enforcement_delayed: Option<bool>,
    pub signatory: Option<String>,
    /// Columns of the customers table that make up the postal address, in order (checked to exist).
    pub address: Vec<String>,
    pub credit_monitoring: CreditMonitoring,
}

impl Notice {
    /// Checks the section: text trimmed (empty = absent), dates `YYYY-MM-DD`, address columns among
    /// `columns` (the customers table's header).
    pub fn from_section(section: &NoticeSection, columns: &[String]) -> Result<Notice, String> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let date = |key: &str, v: &Option<String>| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| format!("{key} = `{d}`: expected a date (YYYY-MM-DD)"))).transpose()
        };
        let mut address = Vec::new();
        for column in &section.address {
            let column = column.trim();
            let column = column.strip_prefix("customers.").unwrap_or(column);
            if !columns.iter().any(|c| c == column) {
                return Err(format!("address: `{column}` is no column of the customers table (columns: {})", columns.join(", ")));
            }
            address.push(column.to_string());
        }
        Ok(Notice {
            what_happened: text(&section.what_happened),
            what_we_are_doing: text(&section.what_we_are_doing),
            likely_consequences: text(&section.likely_consequences),
            contact: text(&section.contact),
            notice_date: date("notice_date", &section.notice_date)?,
            law_enforcement_delayed: section.law_enforcement_delayed,
            signatory: text(&section.signatory),
            address,
            credit_monitoring: CreditMonitoring {
                provider: text(&section.credit_monitoring_provider),
                months: section.credit_monitoring_months,
                url: text(&section.credit_monitoring_url),
                code: text(&section.credit_monitoring_code),
                enrol_by: date("credit_monitoring_enrol_by", &section.credit_monitoring_enrol_by)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_address_columns_are_checked() {
        let columns = vec!["customer_id".to_string(), "street".to_string(), "city".to_string()];
        let section = NoticeSection {
            what_happened: Some("  ".into()),
            notice_date: Some("2019-11-15".into()),
            address: vec!["customers.street".into(), "city".into()],
            ..Default::default()
        };
        let notice = Notice::from_section(&section, &columns).unwrap();
        assert_eq!(notice.what_happened, None);
        assert_eq!(notice.notice_date, NaiveDate::from_ymd_opt(2019, 11, 15));
        assert_eq!(notice.address, ["street", "city"]);
        let bad = NoticeSection { address: vec!["zip".into()], ..Default::default() };
        assert!(Notice::from_section(&bad, &columns).unwrap_err().contains("`zip` is no column"));
        let bad = NoticeSection { notice_date: Some("15/11/2019".into()), ..Default::default() };
        assert!(Notice::from_section(&bad, &columns).unwrap_err().contains("notice_date"));
    }
}
