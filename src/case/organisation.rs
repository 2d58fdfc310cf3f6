//! `[organisation]`: who is notifying. Counsel's action list names the lead supervisory authority from the
//! main establishment; the letters (and regulator filings) print the names and contacts.

use crate::case::file::OrganisationSection;

/// The organisation that holds the data, as declared in the case file (every field optional: an action
/// list or letter without one says what is missing rather than inventing it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organisation {
    pub name: Option<String>,
    /// GDPR Art. 56: the country of the main establishment in the EU/EEA (ISO 3166-1 alpha-2, upper case),
    /// whose supervisory authority leads.
    pub main_establishment: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Postal address, as it should be printed (lines separated by `\n`).
    pub contact_address: Option<String>,
    pub website: Option<String>,
    /// The data protection officer (GDPR Art. 33(3)(b), 34(2)).
    pub dpo_name: Option<String>,
    pub dpo_contact: Option<String>,
}

impl Organisation {
    /// Checks the section: text trimmed (empty = absent), the main establishment a two-letter country code.
    pub fn from_section(section: &OrganisationSection) -> Result<Organisation, String> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let main_establishment = match text(&section.main_establishment) {
            None => None,
            Some(code) if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => Some(code.to_ascii_uppercase()),
            Some(other) => {
                return Err(format!(
                    "main_establishment = `{other}`: expected the country's two-letter ISO code (`IE`, `DE`, `FR`)"
                ))
            }
        };
        Ok(Organisation {
            name: text(&section.name),
            main_establishment,
            contact_email: text(&section.contact_email),
            contact_phone: text(&section.contact_phone),
            contact_address: text(&section.contact_address),
            website: text(&section.website),
            dpo_name: text(&section.dpo_name),
            dpo_contact: text(&section.dpo_contact),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(main: Option<&str>) -> OrganisationSection {
        OrganisationSection { name: Some(" Acme Ltd ".into()), main_establishment: main.map(String::from), ..Default::default() }
    }

    #[test]
    fn main_establishment_is_an_upper_case_country_code() {
        let org = Organisation::from_section(&section(Some("ie"))).unwrap();
        assert_eq!(org.main_establishment.as_deref(), Some("IE"));
        assert_eq!(org.name.as_deref(), Some("Acme Ltd"));
        assert_eq!(org.contact_email, None);
    }

    #[test]
    fn main_establishment_that_is_not_a_country_code_is_refused() {
        let err = Organisation::from_section(&section(Some("Ireland"))).unwrap_err();
        assert!(err.contains("two-letter ISO code"), "{err}");
    }
}
