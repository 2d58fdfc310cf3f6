//! The data-class vocabulary (HIBP-style, snake_case) and the guess from a column's role and name.

use serde::Serialize;

/// What kind of personal data a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    Names,
    EmailAddresses,
    PhoneNumbers,
    PhysicalAddresses,
    GeographicLocations,
    DatesOfBirth,
    SupportTickets,
    CreditCards,
    BankAccountNumbers,
    GovernmentIssuedIds,
    Passwords,
    Usernames,
    IpAddresses,
}

impl DataClass {
    pub const ALL: [DataClass; 13] = [
        DataClass::Names,
        DataClass::EmailAddresses,
        DataClass::PhoneNumbers,
        DataClass::PhysicalAddresses,
        DataClass::GeographicLocations,
        DataClass::DatesOfBirth,
        DataClass::SupportTickets,
        DataClass::CreditCards,
        DataClass::BankAccountNumbers,
        DataClass::GovernmentIssuedIds,
        DataClass::Passwords,
        DataClass::Usernames,
        DataClass::IpAddresses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Names => "names",
            DataClass::EmailAddresses => "email_addresses",
            DataClass::PhoneNumbers => "phone_numbers",
            DataClass::PhysicalAddresses => "physical_addresses",
            DataClass::GeographicLocations => "geographic_locations",
            DataClass::DatesOfBirth => "dates_of_birth",
            DataClass::SupportTickets => "support_tickets",
            DataClass::CreditCards => "credit_cards",
            DataClass::BankAccountNumbers => "bank_account_numbers",
            DataClass::GovernmentIssuedIds => "government_issued_ids",
            DataClass::Passwords => "passwords",
            DataClass::Usernames => "usernames",
            DataClass::IpAddresses => "ip_addresses",
        }
    }

    pub fn parse(text: &str) -> Option<DataClass> {
        DataClass::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Classes that single out a person (used to tell an aggregate `GROUP BY state` from a row listing).
    pub fn identifies_person(self) -> bool {
        !matches!(self, DataClass::GeographicLocations | DataClass::SupportTickets)
    }

    /// Classes whose exposure counsel asks about first ("no financial data was accessed").
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            DataClass::CreditCards
                | DataClass::BankAccountNumbers
                | DataClass::GovernmentIssuedIds
                | DataClass::Passwords
                | DataClass::DatesOfBirth
        )
    }
}

impl std::fmt::Display for DataClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The class of a column guessed from its name (and the table it sits in). `None`: not personal data.
pub fn guess(table: &str, column: &str) -> Option<DataClass> {
    let c = normalise(column);
    let has = |words: &[&str]| words.iter().any(|w| c == *w || c.split('_').any(|part| part == *w));
    let class = if has(&["card", "cc", "pan", "cvv", "cvc", "creditcard"]) || c.contains("card_number") {
        Some(DataClass::CreditCards)
    } else if has(&["iban", "bic", "swift", "routing", "sortcode"]) || c.contains("bank_account") || c == "account_number" {
        Some(DataClass::BankAccountNumbers)
    } else if has(&["ssn", "sin", "passport", "nino", "tin", "tax"]) || c.contains("national_id") || c.contains("driver") || c.contains("licence") || c.contains("license") {
        Some(DataClass::GovernmentIssuedIds)
    } else if has(&["password", "passwd", "pwd", "secret"]) || c.starts_with("password") {
        Some(DataClass::Passwords)
    } else if has(&["dob", "birthday", "birthdate"]) || c.contains("birth") {
        Some(DataClass::DatesOfBirth)
    } else if has(&["email", "mail", "e_mail"]) {
        Some(DataClass::EmailAddresses)
    } else if has(&["phone", "mobile", "tel", "telephone", "cell", "fax", "msisdn"]) {
        Some(DataClass::PhoneNumbers)
    } else if has(&["ip", "ipaddress"]) || c.contains("ip_address") {
        Some(DataClass::IpAddresses)
    } else if has(&["username", "handle", "userid"]) || c == "login" || c == "user_name" {
        Some(DataClass::Usernames)
    } else if has(&["address", "street", "addr", "zip", "zipcode", "postcode", "postal", "line1", "line2"]) {
        Some(DataClass::PhysicalAddresses)
    } else if has(&["country", "state", "region", "province", "city", "county", "location", "geo", "latitude", "longitude", "lat", "lon"]) {
        Some(DataClass::GeographicLocations)
    } else if has(&["name", "fullname", "firstname", "lastname", "surname", "forename", "given", "family"]) {
        Some(DataClass::Names)
    } else {
        None
    };
    if class.is_some() {
        return class;
    }
    let t = normalise(table);
    if t.contains("ticket") || t.contains("case") || t.contains("incident") || t.contains("request") {
        return Some(DataClass::SupportTickets);
    }
    None
}

/// `FullName` → `full_name`, `e-mail` → `e_mail`.
fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push('_');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_the_issue() {
        assert_eq!(guess("customers", "card_number"), Some(DataClass::CreditCards));
        assert_eq!(guess("customers", "dob"), Some(DataClass::DatesOfBirth));
        assert_eq!(guess("customers", "date_of_birth"), Some(DataClass::DatesOfBirth));
        assert_eq!(guess("tickets", "ticket_number"), Some(DataClass::SupportTickets));
        assert_eq!(guess("tickets", "subject"), Some(DataClass::SupportTickets));
        assert_eq!(guess("customers", "country"), Some(DataClass::GeographicLocations));
        assert_eq!(guess("customers", "state"), Some(DataClass::GeographicLocations));
        assert_eq!(guess("customers", "full_name"), Some(DataClass::Names));
        assert_eq!(guess("customers", "FirstName"), Some(DataClass::Names));
        assert_eq!(guess("customers", "email"), Some(DataClass::EmailAddresses));
        assert_eq!(guess("customers", "phone"), Some(DataClass::PhoneNumbers));
        assert_eq!(guess("customers", "street_address"), Some(DataClass::PhysicalAddresses));
        assert_eq!(guess("customers", "ssn"), Some(DataClass::GovernmentIssuedIds));
        assert_eq!(guess("customers", "iban"), Some(DataClass::BankAccountNumbers));
        assert_eq!(guess("customers", "password_hash"), Some(DataClass::Passwords));
        assert_eq!(guess("customers", "last_login_ip"), Some(DataClass::IpAddresses));
    }

    #[test]
    fn plain_columns_are_no_class() {
        assert_eq!(guess("customers", "account_type"), None);
        assert_eq!(guess("customers", "created_at"), None);
        assert_eq!(guess("customers", "tier"), None);
        assert_eq!(guess("customers", "last_login_at"), None);
    }

    #[test]
    fn names_round_trip() {
        for class in DataClass::ALL {
            assert_eq!(DataClass::parse(class.as_str()), Some(class));
        }
    }
}
