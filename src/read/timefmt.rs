//! Timestamps as access logs write them, all turned into UTC.
//!
//! A timestamp without a zone is rejected: guessing the zone of an export silently shifts events in or out
//! of the case window. Where the zone is known (a log's `time_zone`, `--assume-tz`), the caller passes it to
//! the `*_in` functions; there is no process-wide setting.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub type Timestamp = DateTime<Utc>;

/// Reads an `--assume-tz` value (`UTC`, `Z`, `+02:00`, `-0500`): the zone the caller then passes to the
/// `*_in` functions for timestamps without one.
pub fn parse_assume_tz(text: &str) -> Result<FixedOffset, String> {
    parse_offset(text.trim()).ok_or_else(|| format!("--assume-tz: `{text}` is not UTC or an offset such as +02:00"))
}

/// RFC 3339 with a `Z` and whole seconds unless the value has sub-second digits.
pub fn format_utc(t: &Timestamp) -> String {
    if t.timestamp_subsec_nanos() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }
}

/// Which end of a day a bare date stands for, when a window bound is given as a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEnd {
    Start,
    End,
}

/// A window bound: RFC 3339 (or `YYYY-MM-DD HH:MM:SS` with zone) or a bare date (UTC day).
pub fn parse_bound(text: &str, end: DayEnd) -> Result<Timestamp, String> {
    parse_bound_in(text, end, None)
}

/// As [`parse_bound`], reading a time without a zone in `zoneless` (`--assume-tz`) when given.
pub fn parse_bound_in(text: &str, end: DayEnd, zoneless: Option<FixedOffset>) -> Result<Timestamp, String> {
    let text = text.trim();
    check_calendar_date(text)?;
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = match end {
            DayEnd::Start => NaiveTime::MIN,
            DayEnd::End => NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid time"),
        };
        return Ok(Utc.from_utc_datetime(&date.and_time(time)));
    }
    parse_zoned_in(text, zoneless)
}

/// A value that starts like a date (`YYYY-MM-DD`) but names no day of the calendar (`2019-06-31`,
/// `2023-02-30`) is said to be that, not a time without a zone.
pub fn check_calendar_date(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let shaped = b.len() >= 10 && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shaped || NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").is_ok() {
        return Ok(());
    }
    let (year, month, day): (i32, u32, u32) = (text[..4].parse().unwrap_or(0), text[5..7].parse().unwrap_or(0), text[8..10].parse().unwrap_or(0));
    if !(1..=12).contains(&month) {
        return Err(format!("`{text}` is not a date: there is no month {month:02}"));
    }
    let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    let days = next.and_then(|n| n.pred_opt()).map(|last| last.day()).unwrap_or(31);
    Err(format!("`{text}` is not a date: {year}-{month:02} has {days} days, not {day}"))
}

/// RFC 3339 / ISO 8601 with a zone: `2019-06-01T10:00:00Z`, `2019-06-01 10:00:00+02:00`,
/// `2019-06-01 10:00:00.123 UTC`, `2019-06-01T10:00:00.123-0500`.
pub fn parse_zoned(text: &str) -> Result<Timestamp, String> {
    parse_zoned_in(text, None)
}

/// As [`parse_zoned`]; a time without a zone (`2019-06-01 10:00:00`) is read in `zoneless` when given
/// (the log's `time_zone`, else `--assume-tz`), and rejected otherwise.
pub fn parse_zoned_in(text: &str, zoneless: Option<FixedOffset>) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(t) = parse_rfc3339_common(text.as_bytes()) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let Some((body, zone)) = split_zone(text) else {
        if let (Some(offset), Some(naive)) = (zoneless, parse_naive(text)) {
            return offset.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc)).ok_or_else(|| format!("`{text}` is not a valid time"));
        }
        return Err(format!("timestamp `{text}` has no time zone"));
    };
    let naive = parse_naive(body).ok_or_else(|| format!("`{text}` is not a timestamp"))?;
    let offset = parse_offset(zone).ok_or_else(|| format!("unknown time zone `{zone}` in `{text}`"))?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{text}` is not a valid time"))
}

/// Apache/nginx `%t`: `01/Jun/2019:01:30:00 +0200` (without the brackets).
pub fn parse_clf(text: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_str(text, "%d/%b/%Y:%H:%M:%S %z")
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{text}` is not a `dd/Mon/yyyy:HH:MM:SS +zzzz` time"))
}

/// Seconds, milliseconds or microseconds since the Unix epoch, told apart by magnitude.
pub fn parse_epoch(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = text.parse().ok()?;
    match text.len() {
        ..=11 => Utc.timestamp_opt(n, 0).single(),
        12..=14 => Utc.timestamp_millis_opt(n).single(),
        15..=17 => Some(Utc.timestamp_micros(n).single()?),
        _ => Some(Utc.timestamp_nanos(n)),
    }
}

/// Any of the zoned forms above, or an epoch number.
pub fn parse_any(text: &str) -> Result<Timestamp, String> {
    parse_any_in(text, None)
}

/// As [`parse_any`], reading a time without a zone in `zoneless` when given.
pub fn parse_any_in(text: &str, zoneless: Option<FixedOffset>) -> Result<Timestamp, String> {
    if let Some(t) = parse_epoch(text) {
        return Ok(t);
    }
    parse_zoned_in(text, zoneless).or_else(|e| parse_clf(text.trim().trim_start_matches('[').trim_end_matches(']')).map_err(|_| e))
}

/// The RFC 3339 form nearly every export writes, `2019-06-01T10:00:00Z` (optionally with 1 to 9 fraction
/// digits, and `±HH:MM` for `Z`), read at fixed positions: a log has one per record, and chrono's general
/// parser is a large part of reading one. Anything else (`t`, a space, leap seconds, other offsets) is
/// `None`, left to chrono. A property test checks it against chrono.
fn parse_rfc3339_common(text: &[u8]) -> Option<Timestamp> {
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    }
    if text.len() < 20 || text[4] != b'-' || text[7] != b'-' || text[10] != b'T' || text[13] != b':' || text[16] != b':' {
        return None;
    }
    let (year, month, day) = (number(&text[0..4])?, number(&text[5..7])?, number(&text[8..10])?);
    let (hour, minute, second) = (number(&text[11..13])?, number(&text[14..16])?, number(&text[17..19])?);
    if second > 59 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = number(&fraction[..digits])? * 10u32.pow(9 - digits as u32);
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (number(&[*h1, *h2])?, number(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = (h * 3600 + m * 60) as i64;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    if offset_seconds == 0 {
        return Some(Utc.from_utc_datetime(&local));
    }
    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))?;
    Some(Utc.from_utc_datetime(&utc))
}

fn parse_naive(body: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];
    FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())
}

/// Splits `2019-06-01 10:00:00.123 UTC` or `...+02:00` / `...-0500` / `...Z` into body and zone.
fn split_zone(text: &str) -> Option<(&str, &str)> {
    if let Some((body, zone)) = text.rsplit_once(' ') {
        if zone.chars().any(|c| c.is_ascii_alphabetic()) || zone.starts_with(['+', '-']) {
            return Some((body.trim_end(), zone));
        }
    }
    if let Some(body) = text.strip_suffix('Z') {
        return Some((body, "Z"));
    }
    // A numeric offset glued to the time: find the last + or - after the `T`/space separator.
    let time_start = text.find(['T', ' '])?;
    let sign = text[time_start..].rfind(['+', '-'])? + time_start;
    Some((&text[..sign], &text[sign..]))
}

/// A zone setting: `UTC`, `Z`, `+02:00`, `-0500`.
pub fn parse_zone(zone: &str) -> Option<FixedOffset> {
    parse_offset(zone.trim())
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    match zone {
        "Z" | "UTC" | "GMT" | "UT" | "Etc/UTC" | "+00" | "-00" => return FixedOffset::east_opt(0),
        _ => {}
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// A time window, as the case sets it (both ends inclusive; open where not set).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    pub fn contains(&self, t: &Timestamp) -> bool {
        self.since.is_none_or(|s| *t >= s) && self.until.is_none_or(|u| *t <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_date_that_is_not_in_the_calendar_is_named_as_one() {
        assert_eq!(parse_bound("2019-06-31", DayEnd::Start).unwrap_err(), "`2019-06-31` is not a date: 2019-06 has 30 days, not 31");
        assert_eq!(parse_bound("2023-02-30", DayEnd::End).unwrap_err(), "`2023-02-30` is not a date: 2023-02 has 28 days, not 30");
        assert_eq!(parse_bound("2024-13-01", DayEnd::Start).unwrap_err(), "`2024-13-01` is not a date: there is no month 13");
        assert!(parse_bound("2019-06-31T10:00:00Z", DayEnd::Start).unwrap_err().contains("2019-06 has 30 days"));
        assert!(parse_bound("2024-02-29", DayEnd::Start).is_ok());
    }

    #[test]
    fn clf_offset_moves_event_into_previous_utc_day() {
        assert_eq!(parse_clf("01/Jun/2019:01:30:00 +0200").unwrap(), utc("2019-05-31T23:30:00Z"));
    }

    #[test]
    fn postgres_log_time_with_zone_name() {
        assert_eq!(parse_zoned("2019-06-03 09:15:22.123 UTC").unwrap(), utc("2019-06-03T09:15:22.123Z"));
        assert_eq!(parse_zoned("2019-06-03 09:15:22 +02").unwrap(), utc("2019-06-03T07:15:22Z"));
        assert_eq!(parse_zoned("2020-01-14T10:14:43.130-0500").unwrap(), utc("2020-01-14T15:14:43.130Z"));
    }

    #[test]
    fn timestamp_without_zone_is_refused() {
        assert!(parse_zoned("2019-06-03 09:15:22").unwrap_err().contains("no time zone"));
        assert!(parse_zoned("2019-06-03 09:15:22 CST").unwrap_err().contains("unknown time zone"));
    }

    #[test]
    fn zoneless_times_are_read_in_the_zone_given_and_only_then() {
        let plus2 = parse_assume_tz("+02:00").unwrap();
        assert_eq!(parse_zoned_in("2019-06-03 09:15:22", Some(plus2)).unwrap(), utc("2019-06-03T07:15:22Z"));
        assert_eq!(parse_any_in("2019-06-03T09:15:22", Some(plus2)).unwrap(), utc("2019-06-03T07:15:22Z"));
        assert_eq!(parse_bound_in("2019-06-03 09:15:22", DayEnd::Start, Some(plus2)).unwrap(), utc("2019-06-03T07:15:22Z"));
        // A written zone wins over the one given for zoneless times.
        assert_eq!(parse_zoned_in("2019-06-03 09:15:22 UTC", Some(plus2)).unwrap(), utc("2019-06-03T09:15:22Z"));
        // No state is left behind: without a zone given, the same text is rejected.
        assert!(parse_zoned("2019-06-03 09:15:22").unwrap_err().contains("no time zone"));
        assert!(parse_assume_tz("CEST").unwrap_err().contains("--assume-tz"));
    }

    #[test]
    fn date_bounds_cover_the_whole_day() {
        assert_eq!(parse_bound("2019-06-01", DayEnd::Start).unwrap(), utc("2019-06-01T00:00:00Z"));
        assert_eq!(parse_bound("2019-09-30", DayEnd::End).unwrap(), utc("2019-09-30T23:59:59.999999999Z"));
    }

    #[test]
    fn epoch_magnitudes() {
        assert_eq!(parse_epoch("1653053459").unwrap(), utc("2022-05-20T13:30:59Z"));
        assert_eq!(parse_epoch("1653053459680").unwrap(), utc("2022-05-20T13:30:59.680Z"));
        assert_eq!(parse_epoch("1653053459680124").unwrap(), utc("2022-05-20T13:30:59.680124Z"));
        assert!(parse_epoch("12a").is_none());
    }

    proptest::proptest! {
        /// The fixed-position reader gives chrono's answer, and answers nothing chrono refuses.
        #[test]
        fn common_rfc3339_reader_agrees_with_chrono(
            year in 0u32..10000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in proptest::option::of("[0-9]{0,11}"), zone in "(Z|z|[+-][0-9]{2}:?[0-9]{2}|[+-]2[3-5]:[0-9]{2}|)",
            separator in "(T|t| )", noise in proptest::option::of(0usize..30),
        ) {
            let mut text = format!("{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}");
            if let Some(f) = fraction {
                text = format!("{text}.{f}");
            }
            text.push_str(&zone);
            if let Some(at) = noise {
                // A stray character somewhere.
                let at = at.min(text.len());
                text.insert(at, 'x');
            }
            let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
            if let Some(fast) = parse_rfc3339_common(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(fast), chrono, "{}", text);
            }
            // Whoever reads it, parse_zoned gives chrono's answer when chrono has one.
            if let Some(t) = chrono {
                proptest::prop_assert_eq!(parse_zoned(&text).ok(), Some(t), "{}", text);
            }
        }
    }

    #[test]
    fn common_rfc3339_form_is_read_at_fixed_positions() {
        assert_eq!(parse_rfc3339_common(b"2019-06-01T10:00:00Z"), Some(utc("2019-06-01T10:00:00Z")));
        assert_eq!(parse_rfc3339_common(b"2019-06-01T00:30:00.25+02:00"), Some(utc("2019-05-31T22:30:00.25Z")));
        assert_eq!(parse_rfc3339_common(b"2019-06-01T23:30:00.000000001-05:30"), Some(utc("2019-06-02T05:00:00.000000001Z")));
        // Left to chrono: leap second, lower-case separators, ten fraction digits, no zone.
        for other in ["2016-12-31T23:59:60Z", "2019-06-01t10:00:00Z", "2019-06-01T10:00:00.1234567890Z", "2019-06-01T10:00:00"] {
            assert_eq!(parse_rfc3339_common(other.as_bytes()), None, "{other}");
        }
        // Impossible dates are nobody's.
        assert!(parse_zoned("2019-02-29T10:00:00Z").is_err());
    }

    #[test]
    fn utc_formatting_is_rfc3339_z() {
        assert_eq!(format_utc(&utc("2019-05-31T23:30:00Z")), "2019-05-31T23:30:00Z");
        assert_eq!(format_utc(&utc("2019-05-31T23:30:00.5Z")), "2019-05-31T23:30:00.500Z");
    }
}
