//! Exposure hidden in free text: ticket subjects, notes and comments may hold card numbers, SSNs, IBANs,
//! passwords or dates of birth that customers typed. The exposed free-text columns of the touched records
//! are scanned (reading only the touched rows' cells); each finding names the class, the column and the
//! record, never the matched value.

use std::collections::{BTreeMap, BTreeSet};

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::case::Case;

use crate::case::schema::{FieldId, CUSTOMERS};
use crate::classes::DataClass;
use crate::stages::collect::{Collected, Touch};

/// What a detector found (never the value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CardNumber,
    Ssn,
    Iban,
    Password,
    DateOfBirth,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CardNumber => "card_number",
            Kind::Ssn => "ssn",
            Kind::Iban => "iban",
            Kind::Password => "password",
            Kind::DateOfBirth => "date_of_birth",
        }
    }

    pub fn class(self) -> DataClass {
        match self {
            Kind::CardNumber => DataClass::CreditCards,
            Kind::Ssn => DataClass::GovernmentIssuedIds,
            Kind::Iban => DataClass::BankAccountNumbers,
            Kind::Password => DataClass::Passwords,
            Kind::DateOfBirth => DataClass::DatesOfBirth,
        }
    }
}

/// One finding: where, of what kind. The matched text is not kept.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub customer_id: String,
    /// `table.column`
    pub found_in: String,
    /// The record's key in its table.
    pub record: String,
    pub kind: Kind,
    pub class: DataClass,
    /// The column was exposed only under an assumed view (see `[logs.views]`): the finding rests on it.
    pub assumed: bool,
}

/// Column names that hold free text.
pub fn is_free_text(column: &str) -> bool {
    let c = column.to_lowercase();
    ["subject", "note", "comment", "description", "body", "message", "text", "detail", "summary", "content", "remark", "memo", "title"]
        .iter()
        .any(|w| c.contains(w))
}

/// The kinds of sensitive data in `text` (sorted, each once).
pub fn scan(text: &str) -> BTreeSet<Kind> {
    scan_where(text, &Possible::of(text))
}

/// Which kinds an ASCII text can hold, told from its digits and words: each expression below needs at
/// least so many ASCII digits (a card 13, an SSN 9 whose area is read as a number, an IBAN 2 of its check
/// digits, a date of birth 4) or one of a password's words. Most cells scanned (a ticket's subject) hold
/// none, and seven searches of the regular expressions on each were most of what resolve did on one core
/// for a tickets table (1.2 µs a row). A text with any other character may hold what `\d` and `(?i)` read
/// past ASCII (another script's digits, `ſ` for `s`): every expression is searched.
struct Possible {
    card: bool,
    ssn: bool,
    iban: bool,
    password: bool,
    date_of_birth: bool,
}

impl Possible {
    fn of(text: &str) -> Possible {
        if !text.is_ascii() {
            return Possible::ALL;
        }
        let digits = text.bytes().filter(u8::is_ascii_digit).count();
        let bytes = text.as_bytes();
        let word = |w: &[u8]| bytes.windows(w.len()).any(|at| at.eq_ignore_ascii_case(w));
        Possible { card: digits >= 13, ssn: digits >= 9, iban: digits >= 2, password: word(b"pass") || word(b"pwd") || word(b"pin"), date_of_birth: digits >= 4 }
    }

    const ALL: Possible = Possible { card: true, ssn: true, iban: true, password: true, date_of_birth: true };
}

/// [`scan`] of the kinds `possible` lets through.
fn scan_where(text: &str, possible: &Possible) -> BTreeSet<Kind> {
    let mut found = BTreeSet::new();
    if possible.card && has_card(text) {
        found.insert(Kind::CardNumber);
    }
    if possible.ssn && has_ssn(text) {
        found.insert(Kind::Ssn);
    }
    if possible.iban && has_iban(text) {
        found.insert(Kind::Iban);
    }
    if !possible.password && !possible.date_of_birth {
        return found;
    }
    static PASSWORD: OnceLock<Regex> = OnceLock::new();
    let password = PASSWORD.get_or_init(|| {
        Regex::new(r"(?i)\b(?:password|passwort|passwd|pwd|passcode|pin)\b\s*(?:is\s*)?[:=]?\s*[^\s:=]{3,}").expect("static regex")
    });
    if possible.password && password.find_iter(text).any(|m| {
        // "password is" needs a word after; "password reset" is a topic, not a secret.
        let rest = m.as_str().to_lowercase();
        rest.contains(':') || rest.contains('=') || rest.contains(" is ")
    }) {
        found.insert(Kind::Password);
    }
    static DOB: OnceLock<Regex> = OnceLock::new();
    let dob = DOB.get_or_init(|| {
        Regex::new(concat!(
            r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born(?: on)?)\b\W{0,3}",
            r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}",
            r"|\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}",
            r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?,? \d{4})"
        ))
        .expect("static regex")
    });
    if possible.date_of_birth && dob.is_match(text) {
        found.insert(Kind::DateOfBirth);
    }
    found
}

fn has_card(text: &str) -> bool {
    static CARD: OnceLock<Regex> = OnceLock::new();
    let re = CARD.get_or_init(|| Regex::new(r"\b\d(?:[ \-]?\d){12,18}\b").expect("static regex"));
    re.find_iter(text).any(|m| {
        let digits: Vec<u32> = m.as_str().chars().filter_map(|c| c.to_digit(10)).collect();
        (13..=19).contains(&digits.len()) && digits.iter().any(|d| *d != 0) && luhn(&digits)
    })
}

/// The Luhn checksum over decimal digits.
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { *d })
        .sum();
    sum % 10 == 0
}

fn has_ssn(text: &str) -> bool {
    static DASHED: OnceLock<Regex> = OnceLock::new();
    static LABELLED: OnceLock<Regex> = OnceLock::new();
    let dashed = DASHED.get_or_init(|| Regex::new(r"\b(\d{3})-(\d{2})-(\d{4})\b").expect("static regex"));
    let labelled = LABELLED
        .get_or_init(|| Regex::new(r"(?i)\b(?:ssn|social security(?: number| no\.?| #)?)\W{0,3}(\d{3})[ ]?(\d{2})[ ]?(\d{4})\b").expect("static regex"));
    let valid = |area: &str, group: &str, serial: &str| {
        let area: u32 = area.parse().unwrap_or(0);
        area != 0 && area != 666 && area < 900 && group != "00" && serial != "0000"
    };
    dashed.captures_iter(text).chain(labelled.captures_iter(text)).any(|c| valid(&c[1], &c[2], &c[3]))
}

fn has_iban(text: &str) -> bool {
    static IBAN: OnceLock<Regex> = OnceLock::new();
    let re = IBAN.get_or_init(|| Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b").expect("static regex"));
    re.find_iter(text).any(|m| iban_valid(&m.as_str().replace(' ', "")))
}

/// ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1.
pub fn iban_valid(iban: &str) -> bool {
    if !(15..=34).contains(&iban.len()) {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        for digit in if value >= 10 { vec![value / 10, value % 10] } else { vec![value] } {
            remainder = (remainder * 10 + digit) % 97;
        }
    }
    remainder == 1
}

/// What a scan found, and the columns it scanned (`table.column`).
pub type Scan = (Vec<Finding>, Vec<String>);

/// Per (customer, column): how the exposed cells of a card, bank, id or password column look when every
/// one of them looks protected (`bcrypt hash`, `encrypted (enc: prefix)`, `token`...). A guess from the
/// values: it may only make a duty a question (see `legal::rules::decide`).
pub type ValueGuesses = BTreeMap<(String, FieldId), &'static str>;

/// How a cell's value looks when it is stored protected, or `None` (plain, or cannot tell).
pub fn looks_protected(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if ["$2a$", "$2b$", "$2x$", "$2y$"].iter().any(|p| v.starts_with(p)) {
        return Some("bcrypt hash");
    }
    if lower.starts_with("$argon2") {
        return Some("argon2 hash");
    }
    if ["$1$", "$5$", "$6$", "$pbkdf2", "pbkdf2_sha256$", "$scrypt$", "scrypt:", "sha1$", "sha256$"].iter().any(|p| lower.starts_with(p)) {
        return Some("crypt-style hash");
    }
    if [32, 40, 56, 64, 96, 128].contains(&v.len()) && v.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some("hex digest (MD5/SHA)");
    }
    if ["enc:", "enc(", "encrypted:", "vault:v", "aes:", "kms:", "-----begin pgp message"].iter().any(|p| lower.starts_with(p)) {
        return Some("encrypted value");
    }
    if ["tok_", "tkn_", "token_", "pm_", "card_", "src_"].iter().any(|p| lower.starts_with(p)) && v.len() >= 10 && !v.contains(' ') {
        return Some("token");
    }
    None
}

/// Scans the exposed free-text cells of the touched rows while resolve reads them (see
/// [`crate::stages::resolve::resolve`]): every table is read once, and only the cells a touch exposed are
/// looked at.
pub struct RowScanner<'c> {
    case: &'c Case,
    /// Per table, its free-text columns with their fields and `table.column` names (none for the key).
    free: Vec<Vec<(usize, FieldId, String)>>,
    findings: Vec<Finding>,
    scanned_columns: BTreeSet<String>,
    /// Per table, its card, bank, id and password columns (their cells are looked at for protection).
    protectable: Vec<Vec<(usize, FieldId)>>,
    /// (customer, field) → how every exposed cell looked (`None` once a plain one was seen).
    values: BTreeMap<(String, FieldId), Option<&'static str>>,
}

impl<'c> RowScanner<'c> {
    pub fn new(case: &'c Case, collected: &Collected) -> RowScanner<'c> {
        let free: Vec<Vec<(usize, FieldId, String)>> = case
            .schema
            .tables
            .iter()
            .map(|spec| {
                (0..spec.file.columns.len())
                    .filter(|c| *c != spec.key_index && is_free_text(&spec.file.columns[*c]))
                    .map(|c| (c, spec.field(c), format!("{}.{}", spec.name, spec.file.columns[c])))
                    .collect()
            })
            .collect();
        // A linked table's column counts as scanned when a touch exposed it (even if its row is missing); the
        // customers' columns when a resolved customer's touch did (see `row`).
        let mut scanned_columns = BTreeSet::new();
        for (table_id, columns) in free.iter().enumerate().filter(|(t, _)| *t != CUSTOMERS) {
            for (_, field, name) in columns {
                if collected.touched[table_id].values().any(|t| t.fields.contains(*field)) {
                    scanned_columns.insert(name.clone());
                }
            }
        }
        let protectable = case
            .schema
            .tables
            .iter()
            .map(|spec| {
                (0..spec.file.columns.len())
                    .filter(|c| *c != spec.key_index)
                    .filter(|c| {
                        matches!(
                            case.schema.field_classes[spec.field(*c)],
                            Some(DataClass::Passwords | DataClass::CreditCards | DataClass::BankAccountNumbers | DataClass::GovernmentIssuedIds)
                        )
                    })
                    .map(|c| (c, spec.field(c)))
                    .collect()
            })
            .collect();
        RowScanner { case, free, findings: Vec::new(), scanned_columns, protectable, values: BTreeMap::new() }
    }

    /// Whether rows of `table_id` need showing to [`RowScanner::row`].
    pub fn wants(&self, table_id: usize) -> bool {
        !self.free[table_id].is_empty() || !self.protectable[table_id].is_empty()
    }

    /// The columns whose every exposed cell looked protected, per customer (taken before `finish`).
    pub fn take_value_guesses(&mut self) -> ValueGuesses {
        std::mem::take(&mut self.values).into_iter().filter_map(|(k, v)| v.map(|how| (k, how))).collect()
    }

    /// A touched row of `table_id`, and its touch (the fields it exposed, and which only under an assumption).
    pub fn row(&mut self, table_id: usize, row: &csv::StringRecord, touch: &Touch) {
        let exposed = &touch.fields;
        let spec = &self.case.schema.tables[table_id];
        let key = row[spec.key_index].trim();
        let customer = match &spec.customer_column {
            Some((_, i)) => row[*i].trim(),
            None => key,
        };
        if !customer.is_empty() {
            for (c, field) in &self.protectable[table_id] {
                if !exposed.contains(*field) || row[*c].trim().is_empty() {
                    continue;
                }
                let looks = looks_protected(&row[*c]);
                let entry = self.values.entry((customer.to_string(), *field)).or_insert(looks);
                if looks.is_none() {
                    *entry = None;
                }
            }
        }
        for (c, field, found_in) in &self.free[table_id] {
            if !exposed.contains(*field) {
                continue;
            }
            if table_id == CUSTOMERS && !self.scanned_columns.contains(found_in) {
                self.scanned_columns.insert(found_in.clone());
            }
            if customer.is_empty() {
                continue;
            }
            for kind in scan(&row[*c]) {
                self.findings.push(Finding {
                    customer_id: customer.to_string(),
                    found_in: found_in.clone(),
                    record: key.to_string(),
                    kind,
                    class: kind.class(),
                    assumed: touch.assumed.contains(*field),
                });
            }
        }
    }

    /// The findings, sorted and without repeats, and the columns scanned.
    pub fn finish(mut self) -> Scan {
        self.findings.sort();
        self.findings.dedup();
        (self.findings, self.scanned_columns.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        scan(text).into_iter().map(|k| k.as_str()).collect()
    }

    #[test]
    fn card_numbers_must_pass_luhn() {
        assert_eq!(kinds("my card 4111 1111 1111 1111 was declined"), ["card_number"]);
        assert_eq!(kinds("card 4111-1111-1111-1111"), ["card_number"]);
        assert!(kinds("order 4111 1111 1111 1112").is_empty());
        assert!(kinds("ticket 1234567890123").is_empty());
        assert!(kinds("0000 0000 0000 0000").is_empty());
    }

    #[test]
    fn ssns_dashed_or_labelled_and_plausible() {
        assert_eq!(kinds("SSN 123-45-6789"), ["ssn"]);
        assert_eq!(kinds("my social security number: 123 45 6789"), ["ssn"]);
        assert!(kinds("call 555-12-0000").is_empty());
        assert!(kinds("id 000-12-3456").is_empty());
        assert!(kinds("ref 123456789").is_empty());
    }

    #[test]
    fn ibans_need_their_checksum() {
        assert_eq!(kinds("pay to GB82 WEST 1234 5698 7654 32 please"), ["iban"]);
        assert_eq!(kinds("DE89370400440532013000"), ["iban"]);
        assert!(kinds("GB82 WEST 1234 5698 7654 33").is_empty());
        // Only its two check digits are digits.
        assert_eq!(kinds("GB83WESTABCDEFGHIJ"), ["iban"]);
    }

    #[test]
    fn passwords_and_dates_of_birth_need_their_label() {
        assert_eq!(kinds("my password: hunter22"), ["password"]);
        assert_eq!(kinds("Password is Tr0ub4dor"), ["password"]);
        assert!(kinds("password reset does not work").is_empty());
        assert_eq!(kinds("DOB 02/01/1980, please update"), ["date_of_birth"]);
        assert_eq!(kinds("I was born on 2 March 1980"), ["date_of_birth"]);
        assert!(kinds("opened 2019-06-05").is_empty());
    }

    /// Texts made of the pieces each kind is found by (and near misses, other scripts' digits, `ſ`).
    fn drawn_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("4111 1111 1111 1111"), Just("4111-1111-1111-111"), Just("123-45-6789"), Just("SSN 123 45 6789"), Just("ssn: 12345678"),
            Just("GB82 WEST 1234 5698 7654 32"), Just("DE89370400440532013000"), Just("DE8"), Just("Password: hunter22"), Just("PIN=1234"),
            Just("pwd is abc"), Just("paſſword: hunter22"), Just("DOB 02/01/1980"), Just("born on 2 March 1980"), Just("birthday 1/2/80"),
            Just("\u{0661}\u{0662}\u{0663}-45-6789"), Just("dob \u{0661}\u{0662}/01/1980"), Just("1"), Just("12"), Just("-"), Just(" "),
            Just("refund"), Just("Firewall blocks printer"), Just("order 1234567890123"), Just("4222222222222"), Just("GB83WESTABCDEFGHIJ"), Just("é"),
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #[test]
        fn any_text_scans_without_panic(text in "\\PC{0,200}") {
            let _ = scan(&text);
        }

        /// What the digits and words let through finds what every expression finds.
        #[test]
        fn the_scan_told_from_digits_and_words_finds_what_the_full_scan_finds(text in drawn_text()) {
            proptest::prop_assert_eq!(scan(&text), scan_where(&text, &Possible::ALL), "{:?}", text);
        }

        #[test]
        fn a_luhn_valid_card_in_any_sentence_is_found(prefix in "[a-z ]{0,30}", body in proptest::collection::vec(0u32..10, 15), suffix in "[a-z ]{0,30}") {
            // Complete 15 digits to a 16-digit Luhn-valid number.
            let mut digits = body.clone();
            digits.insert(0, 4);
            let check = (0..10).find(|c| { let mut d = digits.clone(); d.push(*c); luhn(&d) }).unwrap();
            digits.push(check);
            let number: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
            let text = format!("{prefix} {number} {suffix}");
            proptest::prop_assert!(scan(&text).contains(&Kind::CardNumber));
        }
    }

    // Issue 17, item 4: hashed, encrypted and tokenised values are told from their look.
    #[test]
    fn protected_values_are_recognised_4() {
        assert_eq!(looks_protected("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"), Some("bcrypt hash"));
        assert_eq!(looks_protected("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"), Some("argon2 hash"));
        assert_eq!(looks_protected("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"), Some("hex digest (MD5/SHA)"));
        assert_eq!(looks_protected("enc:AQICAHh..."), Some("encrypted value"));
        assert_eq!(looks_protected("tok_1N3T00LkdIwHu7ixt44h1F8k"), Some("token"));
        for plain in ["hunter22", "4111111111111111", "123-45-6789", "GB82WEST12345698765432", "X1234567", "", "tok_ en"] {
            assert_eq!(looks_protected(plain), None, "{plain}");
        }
    }

    #[test]
    fn findings_never_hold_the_value() {
        let f = Finding {
            customer_id: "C1".into(),
            found_in: "tickets.subject".into(),
            record: "T-1".into(),
            kind: Kind::CardNumber,
            class: DataClass::CreditCards,
            assumed: false,
        };
        let json = serde_json::to_string(&f).unwrap();
        assert!(!json.contains("4111"));
    }
}
