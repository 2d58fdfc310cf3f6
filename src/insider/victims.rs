//! The victims file for `suspects`: customers who reported scam contact, as a CSV with a customer key,
//! email or phone column (and optionally the date of the report), matched to customer rows: keys exactly,
//! emails without regard to case, phones by their digits.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::case::Case;

use crate::case::schema::Role;
use crate::error::{Error, Result};
use crate::read::table::TableFile;
use crate::read::timefmt;
use crate::read::timefmt::{DayEnd, Timestamp};

/// The customers table, indexed for matching.
#[derive(Debug, Default)]
pub struct CustomerIndex {
    pub keys: HashSet<String>,
    by_email: HashMap<String, Vec<String>>,
    by_phone: HashMap<String, Vec<String>>,
    has_email: bool,
    has_phone: bool,
}

pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A phone's digits; the last ten when there are more (a country code is written by some, not others).
pub fn normalise_phone(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > 10 {
        digits[digits.len() - 10..].to_string()
    } else {
        digits
    }
}

impl CustomerIndex {
    pub fn read(case: &Case) -> Result<CustomerIndex> {
        let customers = case.schema.customers();
        let email = case.schema.roles.get(&Role::Email).copied();
        let phone = case.schema.roles.get(&Role::Phone).copied();
        let mut index = CustomerIndex { has_email: email.is_some(), has_phone: phone.is_some(), ..Default::default() };
        customers.file.for_each_row(|_, row| {
            let key = customers.canonical_key(&row[customers.key_index]);
            if key.is_empty() {
                return Ok(());
            }
            index.keys.insert(key.to_string());
            if let Some(col) = email {
                let e = normalise_email(&row[col]);
                if !e.is_empty() {
                    index.by_email.entry(e).or_default().push(key.to_string());
                }
            }
            if let Some(col) = phone {
                let p = normalise_phone(&row[col]);
                if p.len() >= 7 {
                    index.by_phone.entry(p).or_default().push(key.to_string());
                }
            }
            Ok(())
        })?;
        for list in index.by_email.values_mut().chain(index.by_phone.values_mut()) {
            list.sort();
            list.dedup();
        }
        Ok(index)
    }
}

/// How a victim row was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchBy {
    Key,
    Email,
    Phone,
}

impl MatchBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchBy::Key => "customer key",
            MatchBy::Email => "email",
            MatchBy::Phone => "phone",
        }
    }
}

#[derive(Debug, Default)]
pub struct Victims {
    /// Customer key → the latest report time for that customer (`None`: no date given; every access counts).
    pub customers: BTreeMap<String, Option<Timestamp>>,
    /// Rows matched, by how.
    pub matched_by: BTreeMap<&'static str, usize>,
    /// Rows that matched no customer: (line, the values tried).
    pub unmatched: Vec<(u64, String)>,
    /// Rows whose email or phone matched several customer rows (all are counted as victims).
    pub ambiguous: Vec<(u64, usize)>,
    /// The columns used: (role, column name).
    pub columns: Vec<(&'static str, String)>,
    pub rows: u64,
}

const KEY_NAMES: [&str; 6] = ["customer_id", "customer", "customer_key", "customer_number", "customer_no", "id"];
const EMAIL_NAMES: [&str; 4] = ["email", "email_address", "e_mail", "mail"];
const PHONE_NAMES: [&str; 7] = ["phone", "phone_number", "telephone", "mobile", "tel", "caller", "caller_phone"];
const DATE_NAMES: [&str; 9] =
    ["reported_at", "reported_on", "reported", "report_date", "report_time", "date_reported", "complaint_date", "received_at", "date"];

fn find(columns: &[String], names: &[&str]) -> Option<usize> {
    let lower: Vec<String> = columns.iter().map(|c| c.trim().to_lowercase()).collect();
    names.iter().find_map(|n| lower.iter().position(|c| c == n))
}

pub fn read(path: &Path, case: &Case, index: &CustomerIndex) -> Result<Victims> {
    let file = TableFile::open(path)?;
    let customers_key = case.schema.customers().key.to_lowercase();
    let key_col = find(&file.columns, &[customers_key.as_str()]).or_else(|| find(&file.columns, &KEY_NAMES));
    let email_col = find(&file.columns, &EMAIL_NAMES);
    let phone_col = find(&file.columns, &PHONE_NAMES);
    let date_col = find(&file.columns, &DATE_NAMES);
    if key_col.is_none() && email_col.is_none() && phone_col.is_none() {
        return Err(Error::input(
            path,
            format!(
                "no usable column: need a customer key (`{}`), email or phone column (columns: {})",
                case.schema.customers().key,
                file.columns.join(", ")
            ),
        ));
    }
    if email_col.is_some() && key_col.is_none() && phone_col.is_none() && !index.has_email {
        return Err(Error::input(path, "the victims file gives emails, but the case's customers table has no email column"));
    }
    if phone_col.is_some() && key_col.is_none() && email_col.is_none() && !index.has_phone {
        return Err(Error::input(path, "the victims file gives phones, but the case's customers table has no phone column"));
    }
    let mut v = Victims::default();
    for (role, col) in [("key", key_col), ("email", email_col), ("phone", phone_col), ("report date", date_col)] {
        if let Some(c) = col {
            v.columns.push((role, file.columns[c].clone()));
        }
    }
    file.for_each_row(|line, row| {
        v.rows += 1;
        let reported = match date_col.map(|c| row[c].trim()).filter(|s| !s.is_empty()) {
            // A bare date counts the whole day: the call came some time that day.
            Some(text) => Some(
                timefmt::parse_bound_in(text, DayEnd::End, case.assume_tz)
                    .map_err(|e| Error::input_at(path, line, date_col.unwrap_or(0) as u64 + 1, format!("report date: {e}")))?,
            ),
            None => None,
        };
        let mut found: Option<(MatchBy, Vec<String>)> = None;
        let mut tried = Vec::new();
        if let Some(c) = key_col.filter(|c| !row[*c].trim().is_empty()) {
            tried.push(row[c].trim().to_string());
            let key = case.schema.customers().canonical_key(&row[c]);
            if index.keys.contains(key.as_ref()) {
                found = Some((MatchBy::Key, vec![key.into_owned()]));
            }
        }
        if found.is_none() && index.has_email {
            if let Some(c) = email_col.filter(|c| !row[*c].trim().is_empty()) {
                tried.push(row[c].trim().to_string());
                if let Some(keys) = index.by_email.get(&normalise_email(&row[c])) {
                    found = Some((MatchBy::Email, keys.clone()));
                }
            }
        }
        if found.is_none() && index.has_phone {
            if let Some(c) = phone_col.filter(|c| !row[*c].trim().is_empty()) {
                tried.push(row[c].trim().to_string());
                let p = normalise_phone(&row[c]);
                if p.len() >= 7 {
                    if let Some(keys) = index.by_phone.get(&p) {
                        found = Some((MatchBy::Phone, keys.clone()));
                    }
                }
            }
        }
        match found {
            Some((by, keys)) => {
                *v.matched_by.entry(by.as_str()).or_default() += 1;
                if keys.len() > 1 {
                    v.ambiguous.push((line, keys.len()));
                }
                for key in keys {
                    let entry = v.customers.entry(key).or_insert(reported);
                    // The latest report counts: a customer may have been called more than once.
                    *entry = match (*entry, reported) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
            }
            None => v.unmatched.push((line, if tried.is_empty() { "(empty row)".into() } else { tried.join(" / ") })),
        }
        Ok(())
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_match_by_digits_with_or_without_country_code() {
        assert_eq!(normalise_phone("+1 (234) 555-0123"), "2345550123");
        assert_eq!(normalise_phone("234.555.0123"), "2345550123");
        assert_eq!(normalise_email("  Ann.Lee@Example.COM "), "ann.lee@example.com");
    }
}
