//! The dates the notification deadlines run from (`[case] discovered`, `determined`,
//! `law_enforcement_delay_until`): each rule's clock starts at the date its statute names.

use chrono::NaiveDate;

use crate::read::timefmt;

/// The case's clock dates, as declared (each optional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// When the breach was discovered (or the organisation was told of it).
    pub discovered: Option<NaiveDate>,
    /// When the breach was determined (confirmed): statutes such as Texas, Colorado, Florida and Delaware
    /// count from this date.
    pub determined: Option<NaiveDate>,
    /// Until when law enforcement asked that notice to individuals wait.
    pub law_enforcement_delay_until: Option<NaiveDate>,
}

/// One clock key's value read as a date (`YYYY-MM-DD`, or an RFC 3339 time whose date in UTC counts). The
/// error says what to write.
pub fn parse_date(key: &str, text: &str, assume_tz: Option<timefmt::Zone>) -> Result<NaiveDate, String> {
    let trimmed = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
        return Ok(date);
    }
    if let Ok(t) = timefmt::parse_zoned_in(trimmed, assume_tz) {
        return Ok(t.date_naive());
    }
    let why = timefmt::check_calendar_date(trimmed).err().map(|e| e.rsplit(": ").next().unwrap_or_default().to_string());
    Err(format!(
        "{key} = `{text}` is not a date{}: write it as YYYY-MM-DD, e.g. {key} = \"2019-10-28\"",
        why.map(|w| format!(" ({w})")).unwrap_or_default()
    ))
}

impl Clock {
    /// Checks the dates against each other: a breach is determined no earlier than it is discovered.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if let (Some(discovered), Some(determined)) = (self.discovered, self.determined) {
            if determined < discovered {
                return Err((
                    "determined",
                    format!(
                        "determined = {determined} is before discovered = {discovered}: a breach is confirmed no earlier than it is discovered; correct one of them"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Where `key = ...` is written in the case file's `[case]` section: (line, column), 1-based; (0, 0) when not
/// found.
pub fn key_position(text: &str, key: &str) -> (u64, u64) {
    let mut in_case = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_case = trimmed.starts_with("[case]");
            continue;
        }
        if in_case {
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return (i as u64 + 1, (line.len() - trimmed.len()) as u64 + 1);
                }
            }
        }
    }
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_their_errors() {
        assert_eq!(parse_date("determined", "2019-11-01", None).unwrap(), NaiveDate::from_ymd_opt(2019, 11, 1).unwrap());
        assert_eq!(parse_date("determined", "2019-11-01T10:00:00Z", None).unwrap(), NaiveDate::from_ymd_opt(2019, 11, 1).unwrap());
        let err = parse_date("determined", "2019-11-31", None).unwrap_err();
        assert_eq!(err, "determined = `2019-11-31` is not a date (2019-11 has 30 days, not 31): write it as YYYY-MM-DD, e.g. determined = \"2019-10-28\"");
        let err = parse_date("law_enforcement_delay_until", "next week", None).unwrap_err();
        assert!(err.starts_with("law_enforcement_delay_until = `next week` is not a date: write it as YYYY-MM-DD"), "{err}");
    }

    #[test]
    fn determined_before_discovered_is_refused() {
        let d = |s: &str| Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert!(Clock { discovered: d("2019-10-28"), determined: d("2019-11-01"), ..Default::default() }.check().is_ok());
        let (key, err) = Clock { discovered: d("2019-10-28"), determined: d("2019-10-01"), ..Default::default() }.check().unwrap_err();
        assert_eq!(key, "determined");
        assert!(err.contains("before discovered = 2019-10-28"), "{err}");
    }

    #[test]
    fn key_positions_are_found_in_the_case_section_only() {
        let text = "[case]\nname = \"x\"\n  determined = \"2019\"\n[organisation]\ndetermined_x = 1\n";
        assert_eq!(key_position(text, "determined"), (3, 3));
        assert_eq!(key_position(text, "discovered"), (0, 0));
    }
}
