//! Where a person lives, as a jurisdiction code: `US-CA` for US states, DC and territories, the ISO
//! country code elsewhere (`GB`, `DE`); from the country and region columns, else from the phone number's
//! country, else `unknown` (counted, never dropped).

/// The code used when nothing tells where a person lives.
pub const UNKNOWN: &str = "unknown";

/// How the jurisdiction was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Address,
    /// A region cell holding a US state code, with no country column (inferred, named in the basis).
    UsStateCode,
    Phone,
    None,
}

const US_STATES: [(&str, &str); 56] = [
    ("AL", "alabama"), ("AK", "alaska"), ("AZ", "arizona"), ("AR", "arkansas"), ("CA", "california"), ("CO", "colorado"),
    ("CT", "connecticut"), ("DE", "delaware"), ("DC", "district of columbia"), ("FL", "florida"), ("GA", "georgia"), ("HI", "hawaii"),
    ("ID", "idaho"), ("IL", "illinois"), ("IN", "indiana"), ("IA", "iowa"), ("KS", "kansas"), ("KY", "kentucky"), ("LA", "louisiana"),
    ("ME", "maine"), ("MD", "maryland"), ("MA", "massachusetts"), ("MI", "michigan"), ("MN", "minnesota"), ("MS", "mississippi"),
    ("MO", "missouri"), ("MT", "montana"), ("NE", "nebraska"), ("NV", "nevada"), ("NH", "new hampshire"), ("NJ", "new jersey"),
    ("NM", "new mexico"), ("NY", "new york"), ("NC", "north carolina"), ("ND", "north dakota"), ("OH", "ohio"), ("OK", "oklahoma"),
    ("OR", "oregon"), ("PA", "pennsylvania"), ("RI", "rhode island"), ("SC", "south carolina"), ("SD", "south dakota"),
    ("TN", "tennessee"), ("TX", "texas"), ("UT", "utah"), ("VT", "vermont"), ("VA", "virginia"), ("WA", "washington"),
    ("WV", "west virginia"), ("WI", "wisconsin"), ("WY", "wyoming"), ("PR", "puerto rico"), ("GU", "guam"),
    ("VI", "u.s. virgin islands"), ("AS", "american samoa"), ("MP", "northern mariana islands"),
];

/// Country names and three-letter codes seen in customer tables → ISO 3166-1 alpha-2.
const COUNTRY_NAMES: [(&str, &str); 48] = [
    ("united states", "US"), ("united states of america", "US"), ("usa", "US"), ("u.s.", "US"), ("u.s.a.", "US"), ("america", "US"),
    ("united kingdom", "GB"), ("uk", "GB"), ("u.k.", "GB"), ("great britain", "GB"), ("england", "GB"), ("scotland", "GB"),
    ("wales", "GB"), ("northern ireland", "GB"), ("gbr", "GB"), ("germany", "DE"), ("deutschland", "DE"), ("deu", "DE"),
    ("france", "FR"), ("fra", "FR"), ("spain", "ES"), ("esp", "ES"), ("italy", "IT"), ("ita", "IT"), ("netherlands", "NL"),
    ("ireland", "IE"), ("irl", "IE"), ("canada", "CA"), ("can", "CA"), ("australia", "AU"), ("aus", "AU"), ("japan", "JP"),
    ("jpn", "JP"), ("brazil", "BR"), ("brasil", "BR"), ("bra", "BR"), ("singapore", "SG"), ("sgp", "SG"), ("india", "IN"),
    ("mexico", "MX"), ("sweden", "SE"), ("poland", "PL"), ("austria", "AT"), ("belgium", "BE"), ("portugal", "PT"),
    ("puerto rico", "PR"), ("guam", "GU"), ("greece", "GR"),
];

/// The ISO alpha-2 code for a country cell (`US`, `us`, `United States`, `USA`), or `None`.
pub fn country_code(cell: &str) -> Option<String> {
    let t = cell.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        let up = t.to_ascii_uppercase();
        // The EU's own code for Greece and the UK's common mislabel.
        return Some(match up.as_str() {
            "EL" => "GR".to_string(),
            "UK" => "GB".to_string(),
            _ => up,
        });
    }
    let lower = t.to_lowercase();
    COUNTRY_NAMES.iter().find(|(name, _)| *name == lower).map(|(_, code)| code.to_string())
}

/// The US state/territory code for a region cell (`CA`, `ca`, `California`, `US-CA`).
pub fn us_state(cell: &str) -> Option<&'static str> {
    let t = cell.trim();
    let t = t.strip_prefix("US-").or_else(|| t.strip_prefix("us-")).unwrap_or(t);
    let lower = t.to_lowercase();
    // Other common spellings of DC and the Virgin Islands.
    let alias = match lower.trim_end_matches('.').replace(['.', ','], "").as_str() {
        "washington dc" | "dc" | "district of columbia" | "washington district of columbia" => Some("DC"),
        "us virgin islands" | "virgin islands" | "usvi" => Some("VI"),
        _ => None,
    };
    if alias.is_some() {
        return alias;
    }
    US_STATES.iter().find(|(code, name)| code.eq_ignore_ascii_case(t) || *name == lower).map(|(code, _)| *code)
}

/// A two-letter region that is a US state code in a row without any country: the state, when no phone
/// number outside the North American plan contradicts it (`WA` with a +61 number is Western Australia).
/// `phone_calling_code` is the row's phone number's country calling code, where it could be read.
pub fn us_state_code_without_country(country: &str, region: &str, phone_calling_code: Option<u16>) -> Option<&'static str> {
    let code = region.trim();
    if !country.trim().is_empty() || code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if phone_calling_code.is_some_and(|c| c != 1) {
        return None;
    }
    us_state(code)
}

/// The jurisdiction of a person from their country and region cells and, failing those, the phone's
/// country (`phone_country`, ISO alpha-2).
pub fn jurisdiction(country: &str, region: &str, phone_country: Option<&str>) -> (String, Source) {
    let country = country_code(country);
    let from_country = match country.as_deref() {
        Some("US") => Some(match us_state(region) {
            Some(state) => format!("US-{state}"),
            None => "US".to_string(),
        }),
        // US territories with their own country code.
        Some(code @ ("PR" | "GU" | "VI" | "AS" | "MP")) => Some(format!("US-{code}")),
        Some(code) => Some(code.to_string()),
        // No country: a region that can only be a US state still says where.
        None => us_state(region).filter(|_| region.trim().len() > 2).map(|s| format!("US-{s}")),
    };
    if let Some(j) = from_country {
        return (j, Source::Address);
    }
    if let Some(code) = phone_country {
        return (if code == "US" { "US".to_string() } else { code.to_string() }, Source::Phone);
    }
    (UNKNOWN.to_string(), Source::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_country_and_region() {
        assert_eq!(jurisdiction("US", "CA", None).0, "US-CA");
        assert_eq!(jurisdiction("United States", "california", None).0, "US-CA");
        assert_eq!(jurisdiction("us", "US-VT", None).0, "US-VT");
        assert_eq!(jurisdiction("US", "", None).0, "US");
        assert_eq!(jurisdiction("GB", "", None).0, "GB");
        assert_eq!(jurisdiction("UK", "", None).0, "GB");
        assert_eq!(jurisdiction("Germany", "BY", None).0, "DE");
        assert_eq!(jurisdiction("CA", "ON", None).0, "CA");
        assert_eq!(jurisdiction("PR", "", None).0, "US-PR");
    }

    #[test]
    fn falls_back_to_the_phone_then_unknown() {
        assert_eq!(jurisdiction("", "", Some("GB")), ("GB".to_string(), Source::Phone));
        assert_eq!(jurisdiction("", "", None), (UNKNOWN.to_string(), Source::None));
        assert_eq!(jurisdiction("Atlantis", "", None).0, UNKNOWN);
        assert_eq!(jurisdiction("", "Texas", None).0, "US-TX");
    }

    #[test]
    fn full_state_names_and_dc_spellings() {
        assert_eq!(jurisdiction("US", "Washington DC", None).0, "US-DC");
        assert_eq!(jurisdiction("", "Washington, D.C.", None).0, "US-DC");
        assert_eq!(jurisdiction("", "New York", None).0, "US-NY");
        assert_eq!(jurisdiction("USA", "new york", None).0, "US-NY");
    }

    #[test]
    fn a_bare_state_code_is_the_state_unless_a_foreign_phone_says_otherwise() {
        assert_eq!(us_state_code_without_country("", "CA", None), Some("CA"));
        assert_eq!(us_state_code_without_country("", "wa", Some(1)), Some("WA"));
        // An Australian WA with a +61 number stays Australian.
        assert_eq!(us_state_code_without_country("", "WA", Some(61)), None);
        // A country column decides on its own; a non-state code is nothing.
        assert_eq!(us_state_code_without_country("AU", "WA", None), None);
        assert_eq!(us_state_code_without_country("", "ON", None), None);
    }
}
