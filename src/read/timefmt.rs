//! Timestamps as access logs write them, all turned into UTC.
//!
//! A timestamp without a zone is rejected: guessing the zone of an export silently shifts events in or out
//! of the case window. Where the zone is known (a log's `time_zone`, `--assume-tz`), the caller passes it to
//! the `*_in` functions as a [`Zone`]; there is no process-wide setting.
//!
//! Zones are fixed offsets (`UTC`, `+02:00`) or IANA names (`Europe/Berlin`, `America/Chicago`) whose
//! daylight-saving rules come from the tz database (the `chrono-tz` crate). A local time in an IANA zone is
//! read at that instant's offset; where the clocks go back (a fold: the local hour is lived twice) it is the
//! first of the two instants, and where they go forward (a gap: the local hour never happens) it is
//! rejected, since no instant has that local time. PostgreSQL's zone abbreviations (`CEST`, `CST`) are read
//! only with the log's IANA zone, and only when that zone uses that abbreviation at that time.

use chrono::{DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::OffsetName;

pub type Timestamp = DateTime<Utc>;

/// A time zone as a user gives it: a fixed offset from UTC, or an IANA zone with its daylight-saving rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Iana(chrono_tz::Tz),
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl From<FixedOffset> for Zone {
    fn from(offset: FixedOffset) -> Zone {
        Zone::Fixed(offset)
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Fixed(o) if o.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(o) => write!(f, "{o}"),
            Zone::Iana(tz) => f.write_str(tz.name()),
        }
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(0).expect("valid"))
    }

    /// A zone setting: `UTC`, `Z`, `+02:00`, `-0500`, or an IANA name (`Europe/Berlin`, `Asia/Singapore`).
    /// Abbreviations (`CET`, `EST`, `CST`) are refused: several zones share them, and the tz database's
    /// `EST` or `CET` have no or other daylight saving than the place meant.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let text = text.trim();
        if let Some(offset) = parse_offset(text) {
            return Ok(Zone::Fixed(offset));
        }
        let hint = "use an IANA zone name such as \"Europe/Berlin\" or \"America/Chicago\", UTC, or an offset such as +02:00";
        if looks_like_abbreviation(text) {
            return Err(format!("`{text}` is an abbreviation, which several zones share: {hint}"));
        }
        match text.parse::<chrono_tz::Tz>() {
            Ok(tz) => Ok(Zone::Iana(tz)),
            Err(_) => Err(format!("`{text}` is not a time zone: {hint}")),
        }
    }

    /// The instant of a local time in this zone. In an IANA zone, a time in the hour lived twice when the
    /// clocks go back is the first of the two instants; a time in the hour skipped when they go forward does
    /// not exist and is an error.
    pub fn resolve(&self, local: &NaiveDateTime) -> Result<Timestamp, String> {
        match self {
            Zone::Fixed(o) => o.from_local_datetime(local).single().map(|t| t.with_timezone(&Utc)).ok_or_else(|| format!("`{local}` is not a valid time")),
            Zone::Iana(tz) => match tz.from_local_datetime(local) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
                LocalResult::None => Err(format!(
                    "local time `{local}` does not exist in {} (the clocks went forward over it): the log's time_zone is not the zone it was written in",
                    tz.name()
                )),
            },
        }
    }

    /// The instant of a local time written with a zone abbreviation (`2019-06-03 09:15:22 CEST`), read with
    /// this zone (the log's): it must be an IANA zone that uses `abbreviation` at that time.
    fn resolve_abbreviation(zone: Option<&Zone>, local: &NaiveDateTime, abbreviation: &str, text: &str) -> Result<Timestamp, String> {
        let tz = match zone {
            Some(Zone::Iana(tz)) => tz,
            Some(Zone::Fixed(o)) => {
                return Err(format!(
                    "`{text}` has the zone abbreviation `{abbreviation}` and the log's time_zone is the fixed offset {o}: set time_zone to the server's IANA zone (its log_timezone), e.g. time_zone = \"America/Chicago\""
                ))
            }
            None => {
                return Err(format!(
                    "`{text}` has the zone abbreviation `{abbreviation}`, which is not a zone (CST is both US Central and China Standard Time): set time_zone for this log to the server's IANA zone (its log_timezone), e.g. time_zone = \"America/Chicago\""
                ))
            }
        };
        let candidates: Vec<DateTime<chrono_tz::Tz>> = match tz.from_local_datetime(local) {
            LocalResult::Single(t) => vec![t],
            LocalResult::Ambiguous(a, b) => vec![a, b],
            LocalResult::None => Vec::new(),
        };
        if let Some(t) = candidates.iter().find(|t| t.offset().abbreviation().is_some_and(|a| a.eq_ignore_ascii_case(abbreviation))) {
            return Ok(t.with_timezone(&Utc));
        }
        let used: Vec<&str> = candidates.iter().filter_map(|t| t.offset().abbreviation()).collect();
        if used.is_empty() {
            return Err(format!("`{text}`: that local time does not exist in {} (the clocks went forward over it)", tz.name()));
        }
        Err(format!(
            "`{text}`: {} uses {} at that time, not `{abbreviation}`: is the log's time_zone the server's log_timezone?",
            tz.name(),
            used.join(" or ")
        ))
    }

    /// The local date and time of an instant in this zone.
    pub fn local(&self, t: &Timestamp) -> NaiveDateTime {
        match self {
            Zone::Fixed(o) => t.with_timezone(o).naive_local(),
            Zone::Iana(tz) => t.with_timezone(tz).naive_local(),
        }
    }

    /// The offset from UTC in force at an instant.
    pub fn offset_at(&self, t: &Timestamp) -> FixedOffset {
        match self {
            Zone::Fixed(o) => *o,
            Zone::Iana(tz) => t.with_timezone(tz).offset().fix(),
        }
    }
}

/// `CET`, `EST`, `PDT`: three to five capital letters that are not UTC/GMT.
fn looks_like_abbreviation(text: &str) -> bool {
    (3..=5).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_uppercase()) && !matches!(text, "UTC" | "GMT" | "UCT" | "ZULU")
}

/// Reads an `--assume-tz` value (`UTC`, `Z`, `+02:00`, `-0500`, `Europe/Berlin`): the zone the caller then
/// passes to the `*_in` functions for timestamps without one.
pub fn parse_assume_tz(text: &str) -> Result<Zone, String> {
    Zone::parse(text).map_err(|e| format!("--assume-tz: {e}"))
}

/// RFC 3339 with a `Z` and whole seconds unless the value has sub-second digits.
pub fn format_utc(t: &Timestamp) -> String {
    if t.timestamp_subsec_nanos() == 0 {
        if (0..=9999).contains(&t.year()) {
            // The same text as the strftime form below, written directly: strftime parses its pattern on
            // every call, and a run formats a time per person and row.
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        } else {
            t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
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
pub fn parse_bound_in(text: &str, end: DayEnd, zoneless: Option<Zone>) -> Result<Timestamp, String> {
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
pub fn parse_zoned_in(text: &str, zoneless: Option<Zone>) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Some(t) = parse_common(text.as_bytes()) {
        return Ok(t);
    }
    if let Some(Zone::Fixed(offset)) = zoneless {
        if let Some(t) = parse_zoneless_fixed(text.as_bytes(), offset) {
            return Ok(t);
        }
    }
    parse_zoned_general(text, zoneless)
}

/// [`parse_zoned_in`] without its fast paths, of a trimmed `text`.
fn parse_zoned_general(text: &str, zoneless: Option<Zone>) -> Result<Timestamp, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let Some((body, zone)) = split_zone(text) else {
        if let (Some(z), Some(naive)) = (zoneless, parse_naive(text)) {
            return z.resolve(&naive).map_err(|e| format!("`{text}`: {e}"));
        }
        return Err(format!("timestamp `{text}` has no time zone"));
    };
    let naive = parse_naive(body).ok_or_else(|| format!("`{text}` is not a timestamp"))?;
    if let Some(offset) = parse_offset(zone) {
        return Zone::Fixed(offset).resolve(&naive).map_err(|_| format!("`{text}` is not a valid time"));
    }
    if zone.bytes().all(|b| b.is_ascii_alphabetic()) && (2..=6).contains(&zone.len()) {
        // PostgreSQL's %m/%t with a named log_timezone: `CEST`, `PDT`, `CST`.
        return Zone::resolve_abbreviation(zoneless.as_ref(), &naive, zone, text);
    }
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => Zone::Iana(tz).resolve(&naive).map_err(|e| format!("`{text}`: {e}")),
        Err(_) => Err(format!("unknown time zone `{zone}` in `{text}`")),
    }
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
pub fn parse_any_in(text: &str, zoneless: Option<Zone>) -> Result<Timestamp, String> {
    // The common forms first, as they are (no digits-only check, no trimming): a log has one per record.
    // Such a text is never an epoch number and has nothing to trim, so the answer is the one below.
    if let Some(t) = parse_common(text.as_bytes()) {
        return Ok(t);
    }
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
    rfc3339_unix(text).map(UnixTime::timestamp)
}

/// [`parse_rfc3339_common`]'s reading as a [`UnixTime`], reckoned from the fields without a calendar date in
/// between (making one and taking the seconds back out of it were a third of reading a time).
fn rfc3339_unix(text: &[u8]) -> Option<UnixTime> {
    let (time, rest) = date_time_unix(text, |separator| separator == b'T')?;
    Some(time.less(rfc3339_offset(rest)?))
}

/// [`parse_sql_utc`]'s reading as a [`UnixTime`].
fn sql_utc_unix(text: &[u8]) -> Option<UnixTime> {
    let (time, rest) = date_time_unix(text, |separator| separator == b' ')?;
    Some(time.less(sql_utc_offset(rest)?))
}

/// The leading `YYYY-MM-DD?HH:MM:SS` of `text` (`?` a byte `separator` takes), with 1 to 9 fraction digits
/// after a `.`, read at fixed positions as a UTC time, and the text after it.
#[inline]
fn date_time_unix(text: &[u8], separator: impl Fn(u8) -> bool) -> Option<(UnixTime, &[u8])> {
    fn number(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    }
    if text.len() < 19 || text[4] != b'-' || text[7] != b'-' || !separator(text[10]) || text[13] != b':' || text[16] != b':' {
        return None;
    }
    // The two digits at `at` (`text` is at least 19 bytes long).
    let two = |at: usize| {
        let (tens, ones) = (text[at].wrapping_sub(b'0'), text[at + 1].wrapping_sub(b'0'));
        (tens < 10 && ones < 10).then(|| u32::from(tens) * 10 + u32::from(ones))
    };
    let (year, month, day) = (two(0)? * 100 + two(2)?, two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    if hour > 23 || minute > 59 || second > 59 {
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
    let days = days_from_civil(year, month, day)?;
    Some((UnixTime { secs: days * 86_400 + i64::from(hour * 3600 + minute * 60 + second), nanos }, rest))
}

/// The seconds east of UTC of an RFC 3339 time's zone: `Z` or `±HH:MM`.
#[inline]
fn rfc3339_offset(zone: &[u8]) -> Option<i64> {
    fn two(tens: u8, ones: u8) -> Option<i64> {
        (tens.is_ascii_digit() && ones.is_ascii_digit()).then(|| i64::from(tens - b'0') * 10 + i64::from(ones - b'0'))
    }
    match zone {
        b"Z" => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// The offset of a database's UTC text's zone, ` UTC` or `+00`: none.
#[inline]
fn sql_utc_offset(zone: &[u8]) -> Option<i64> {
    matches!(zone, b" UTC" | b"+00").then_some(0)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`);
/// `None` for a month or day that is not in it.
fn days_from_civil(year: u32, month: u32, day: u32) -> Option<i64> {
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if day > DAYS[month as usize - 1] + u32::from(month == 2 && leap) {
        return None;
    }
    // Counted from March of the year 400 years back (years from 0 stay positive: unsigned divisions by
    // constants, which compile to multiplications).
    let year = year + 400 - u32::from(month <= 2);
    let (era, year_of_era) = (year / 400, year % 400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(i64::from(era) * 146_097 + i64::from(day_of_era) - 719_468 - 146_097)
}

/// A time as whole seconds since the Unix epoch and the nanoseconds past them (a leap second's 10^9 or
/// more, as chrono keeps it), which order as the times do: how other accounts' records are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime {
    pub secs: i64,
    pub nanos: u32,
}

impl UnixTime {
    /// The time `seconds` earlier: a local time's reading less its zone's offset east of UTC.
    #[inline]
    fn less(self, seconds: i64) -> UnixTime {
        UnixTime { secs: self.secs - seconds, nanos: self.nanos }
    }

    pub fn of(t: &Timestamp) -> UnixTime {
        UnixTime { secs: t.timestamp(), nanos: t.timestamp_subsec_nanos() }
    }

    pub fn timestamp(self) -> Timestamp {
        Timestamp::from_timestamp(self.secs, self.nanos).expect("a unix time taken from a time")
    }
}

/// [`parse_common`]'s answer as a [`UnixTime`] (the forms nearly every export writes).
#[inline]
pub fn parse_common_unix(text: &[u8]) -> Option<UnixTime> {
    // Read once for both forms (a database's text went through the RFC 3339 reader first, then was copied
    // into the RFC 3339 text it stands for and read again: a tenth of reading such a log's lines).
    let (time, rest) = date_time_unix(text, |separator| matches!(separator, b'T' | b' '))?;
    Some(time.less(if text[10] == b'T' { rfc3339_offset(rest)? } else { sql_utc_offset(rest)? }))
}

/// The forms nearly every export writes, read at fixed positions: RFC 3339 (see [`parse_rfc3339_common`])
/// and the UTC text of databases (see [`parse_sql_utc`]).
#[inline]
fn parse_common(text: &[u8]) -> Option<Timestamp> {
    parse_rfc3339_common(text).or_else(|| parse_sql_utc(text))
}

/// A database's text of a UTC time: PostgreSQL's csvlog `2019-07-13 08:15:38.123 UTC`, a `timestamptz` as
/// text `2019-07-13 08:15:38.123+00`: a space for the `T` (0 to 9 fraction digits), read at fixed positions
/// as RFC 3339 is. Anything else (other zones, no zone) is `None`, left to the general reader, which
/// gives the same answers (a property test checks them); through it such a log took twice as long to read.
fn parse_sql_utc(text: &[u8]) -> Option<Timestamp> {
    sql_utc_unix(text).map(UnixTime::timestamp)
}

/// A time without a zone (MySQL's `2019-07-13 08:15:38`, `2019-07-13T08:15:38.5`) in a fixed `offset` (a log's
/// `time_zone` or `--assume-tz` such as `UTC` or `+02:00`), read at fixed positions as RFC 3339 is.
/// Anything else is `None`, left to the general reader, which gives the same answers (a property
/// test checks them).
fn parse_zoneless_fixed(text: &[u8], offset: FixedOffset) -> Option<Timestamp> {
    let (time, rest) = date_time_unix(text, |separator| matches!(separator, b'T' | b' '))?;
    if !rest.is_empty() {
        return None;
    }
    let as_if_utc = time.timestamp();
    as_if_utc.checked_sub_signed(chrono::TimeDelta::seconds(i64::from(offset.local_minus_utc())))
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

/// A zone setting: `UTC`, `Z`, `+02:00`, `-0500`, `Europe/Berlin` (see [`Zone::parse`]).
pub fn parse_zone(zone: &str) -> Result<Zone, String> {
    Zone::parse(zone)
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

    /// The window with its ends as [`UnixTime`]s, to hold many such times against it.
    pub fn unix(&self) -> UnixWindow {
        UnixWindow { since: self.since.as_ref().map(UnixTime::of), until: self.until.as_ref().map(UnixTime::of) }
    }
}

/// A [`Window`] with its ends as [`UnixTime`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnixWindow {
    since: Option<UnixTime>,
    until: Option<UnixTime>,
}

impl UnixWindow {
    pub fn contains(&self, t: UnixTime) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn format_utc_writes_whole_seconds_as_strftime_does() {
        for text in ["2019-06-01T10:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"] {
            let t = parse_zoned(text).unwrap();
            assert_eq!(format_utc(&t), t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(format_utc(&t), text);
        }
        let far = chrono::NaiveDate::from_ymd_opt(12345, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap().and_utc();
        assert_eq!(format_utc(&far), far.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        assert_eq!(far.year(), 12345);
    }

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
        // An abbreviation without the log's zone is never guessed: the message names the key to set.
        let err = parse_zoned("2019-06-03 09:15:22 CST").unwrap_err();
        assert!(err.contains("time_zone = \"America/Chicago\"") && err.contains("China"), "{err}");
        assert!(parse_zoned("2019-06-03 09:15:22 Mars/Olympus").unwrap_err().contains("unknown time zone"));
    }

    fn zone(name: &str) -> Option<Zone> {
        Some(Zone::parse(name).unwrap())
    }

    #[test]
    fn zone_settings() {
        assert_eq!(Zone::parse("+02:00").unwrap(), Zone::Fixed(FixedOffset::east_opt(7200).unwrap()));
        assert_eq!(Zone::parse(" UTC ").unwrap(), Zone::utc());
        assert_eq!(Zone::parse("Europe/Berlin").unwrap(), Zone::Iana(chrono_tz::Europe::Berlin));
        assert_eq!(Zone::parse("America/Chicago").unwrap().to_string(), "America/Chicago");
        assert!(Zone::parse("EST").unwrap_err().contains("abbreviation"));
        assert!(Zone::parse("CEST").unwrap_err().contains("abbreviation"));
        assert!(Zone::parse("Europe/Berln").unwrap_err().contains("IANA zone name"));
        assert!(parse_assume_tz("Asia/Singapore").is_ok());
    }

    #[test]
    fn iana_zone_follows_daylight_saving() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(parse_zoned_in("2019-06-03 09:15:22", berlin).unwrap(), utc("2019-06-03T07:15:22Z"));
        assert_eq!(parse_zoned_in("2019-12-03 09:15:22", berlin).unwrap(), utc("2019-12-03T08:15:22Z"));
        let chicago = zone("America/Chicago");
        assert_eq!(parse_any_in("2019-07-04T12:00:00", chicago).unwrap(), utc("2019-07-04T17:00:00Z"));
        assert_eq!(parse_bound_in("2019-01-04 12:00:00", DayEnd::Start, chicago).unwrap(), utc("2019-01-04T18:00:00Z"));
    }

    #[test]
    fn fold_is_the_first_instant_and_gap_is_refused() {
        let berlin = zone("Europe/Berlin");
        // 2019-10-27 02:30 happened twice in Berlin (CEST, then CET): the first.
        assert_eq!(parse_zoned_in("2019-10-27 02:30:00", berlin).unwrap(), utc("2019-10-27T00:30:00Z"));
        // 2019-03-31 02:30 never happened in Berlin.
        let err = parse_zoned_in("2019-03-31 02:30:00", berlin).unwrap_err();
        assert!(err.contains("does not exist in Europe/Berlin"), "{err}");
        // A fixed offset has neither.
        assert_eq!(parse_zoned_in("2019-03-31 02:30:00", zone("+01:00")).unwrap(), utc("2019-03-31T01:30:00Z"));
    }

    #[test]
    fn postgres_abbreviations_are_read_with_the_logs_zone() {
        let berlin = zone("Europe/Berlin");
        assert_eq!(parse_zoned_in("2019-06-03 09:15:22.123 CEST", berlin).unwrap(), utc("2019-06-03T07:15:22.123Z"));
        assert_eq!(parse_zoned_in("2019-12-03 09:15:22 CET", berlin).unwrap(), utc("2019-12-03T08:15:22Z"));
        // In the fold the abbreviation says which of the two instants.
        assert_eq!(parse_zoned_in("2019-10-27 02:30:00 CEST", berlin).unwrap(), utc("2019-10-27T00:30:00Z"));
        assert_eq!(parse_zoned_in("2019-10-27 02:30:00 CET", berlin).unwrap(), utc("2019-10-27T01:30:00Z"));
        // The abbreviation must be the zone's at that time.
        let err = parse_zoned_in("2019-06-03 09:15:22 CET", berlin).unwrap_err();
        assert!(err.contains("Europe/Berlin uses CEST"), "{err}");
        let chicago = zone("America/Chicago");
        assert_eq!(parse_zoned_in("2019-01-15 10:00:00 CST", chicago).unwrap(), utc("2019-01-15T16:00:00Z"));
        assert_eq!(parse_zoned_in("2019-07-15 10:00:00 CDT", chicago).unwrap(), utc("2019-07-15T15:00:00Z"));
        assert!(parse_zoned_in("2019-07-15 10:00:00 CST", chicago).unwrap_err().contains("uses CDT"));
        assert_eq!(parse_zoned_in("2019-07-15 10:00:00 CST", zone("Asia/Shanghai")).unwrap(), utc("2019-07-15T02:00:00Z"));
        assert_eq!(parse_zoned_in("2019-07-15 10:00:00 JST", zone("Asia/Tokyo")).unwrap(), utc("2019-07-15T01:00:00Z"));
        assert_eq!(parse_zoned_in("2019-07-15 10:00:00 EEST", zone("Europe/Helsinki")).unwrap(), utc("2019-07-15T07:00:00Z"));
        // A fixed offset cannot say what an abbreviation means.
        assert!(parse_zoned_in("2019-07-15 10:00:00 CDT", zone("-05:00")).unwrap_err().contains("fixed offset"));
        // UTC and GMT need no zone.
        assert_eq!(parse_zoned_in("2019-07-15 10:00:00 GMT", chicago).unwrap(), utc("2019-07-15T10:00:00Z"));
    }

    #[test]
    fn numeric_zone_after_a_space() {
        assert_eq!(parse_zoned("2026-08-28 11:20:44.118 +08").unwrap(), utc("2026-08-28T03:20:44.118Z"));
        assert_eq!(parse_zoned("2026-08-28 11:20:44 -03").unwrap(), utc("2026-08-28T14:20:44Z"));
        assert_eq!(parse_zoned("2026-08-28 11:20:44 +0545").unwrap(), utc("2026-08-28T05:35:44Z"));
    }

    const PG_ZONES: [&str; 8] =
        ["Europe/Berlin", "America/Chicago", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "America/Sao_Paulo", "Asia/Singapore", "Europe/Helsinki"];

    proptest::proptest! {
        /// A time as PostgreSQL's %m writes it in a named zone (local time and the zone's abbreviation, or
        /// its numeric offset where the zone has no abbreviation) reads back as the same instant.
        #[test]
        fn postgres_local_time_with_abbreviation_round_trips(seconds in 1_262_304_000i64..1_893_456_000, millis in 0u32..1000, z in 0usize..PG_ZONES.len()) {
            let t = Utc.timestamp_opt(seconds, millis * 1_000_000).unwrap();
            let tz: chrono_tz::Tz = PG_ZONES[z].parse().unwrap();
            let text = t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S%.3f %Z").to_string();
            proptest::prop_assert_eq!(parse_zoned_in(&text, Some(Zone::Iana(tz))), Ok(t), "{}", text);
        }

        /// A zoneless local time in an IANA zone reads as the instant it was, except in the second pass of
        /// a fold, where it reads as the first (one hour earlier).
        #[test]
        fn zoneless_local_time_in_iana_zone(seconds in 1_262_304_000i64..1_893_456_000, z in 0usize..PG_ZONES.len()) {
            let t = Utc.timestamp_opt(seconds, 0).unwrap();
            let zone = Zone::parse(PG_ZONES[z]).unwrap();
            let text = zone.local(&t).format("%Y-%m-%d %H:%M:%S").to_string();
            let read = parse_zoned_in(&text, Some(zone)).unwrap();
            proptest::prop_assert!(read == t || (zone.local(&read) == zone.local(&t) && read < t), "{} read as {}", text, read);
        }
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

    /// A time text drawn by the property tests below: the date, `separator`, the time, `.fraction` if any and
    /// `zone`, written as they are, then a stray `x` at `noise` (if any).
    fn drawn_time(date: (u32, u32, u32), separator: &str, time: (u32, u32, u32), fraction: Option<String>, zone: &str, noise: Option<usize>) -> String {
        let ((year, month, day), (hour, minute, second)) = (date, time);
        let mut text = format!("{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}");
        if let Some(f) = fraction {
            text = format!("{text}.{f}");
        }
        text.push_str(zone);
        if let Some(at) = noise {
            let at = at.min(text.len());
            text.insert(at, 'x');
        }
        text
    }

    proptest::proptest! {
        /// The fixed-position reader gives chrono's answer, and answers nothing chrono refuses.
        #[test]
        fn common_rfc3339_reader_agrees_with_chrono(
            year in 0u32..10000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in proptest::option::of("[0-9]{0,11}"), zone in "(Z|z|[+-][0-9]{2}:?[0-9]{2}|[+-]2[3-5]:[0-9]{2}|)",
            separator in "(T|t| )", noise in proptest::option::of(0usize..30),
        ) {
            let text = drawn_time((year, month, day), &separator, (hour, minute, second), fraction, &zone, noise);
            let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
            // Reckoned without a calendar date, the same instant, and nothing the other refuses.
            proptest::prop_assert_eq!(parse_common_unix(text.as_bytes()), parse_common(text.as_bytes()).map(|t| UnixTime::of(&t)), "{}", text);
            if let Some(fast) = parse_rfc3339_common(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(fast), chrono, "{}", text);
            }
            // Whoever reads it, parse_zoned gives chrono's answer when chrono has one.
            if let Some(t) = chrono {
                proptest::prop_assert_eq!(parse_zoned(&text).ok(), Some(t), "{}", text);
            }
        }
    }

    proptest::proptest! {
        // Most texts drawn are not such a text: enough draws that a few dozen are.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// The fixed-position reader of databases' UTC texts gives the general reader's answer, and answers
        /// nothing it refuses.
        #[test]
        fn sql_utc_reader_agrees_with_the_general_reader(
            year in 0u32..10000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in proptest::option::of("[0-9]{0,11}"), zone in "( UTC|\\+00| utc|UTC| UTC |\\+00:00| \\+00|Z UTC|\\+02 UTC|)",
            separator in "(T| |  )", noise in proptest::option::of(0usize..32),
        ) {
            let text = drawn_time((year, month, day), &separator, (hour, minute, second), fraction, &zone, noise);
            proptest::prop_assert_eq!(parse_common_unix(text.as_bytes()), parse_common(text.as_bytes()).map(|t| UnixTime::of(&t)), "{}", text);
            if let Some(fast) = parse_sql_utc(text.as_bytes()) {
                proptest::prop_assert_eq!(Ok(fast), parse_zoned_general(text.trim(), None), "{}", text);
            }
            // Through every entry point, the answer is the general reader's.
            proptest::prop_assert_eq!(parse_zoned(&text), parse_zoned_general(text.trim(), None), "{}", text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Times without a zone in a fixed offset: the fixed-position reader gives the general reader's
        /// answer, and answers nothing it refuses.
        #[test]
        fn zoneless_fixed_reader_agrees_with_the_general_reader(
            year in 0u32..10000, month in 0u32..14, day in 0u32..33, hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in proptest::option::of("[0-9]{0,11}"), tail in "(|Z| |\\+02)", separator in "(T|t| )",
            offset_minutes in -(26 * 60)..(26 * 60i32), noise in proptest::option::of(0usize..32),
        ) {
            let text = drawn_time((year, month, day), &separator, (hour, minute, second), fraction, &tail, noise);
            let Some(offset) = FixedOffset::east_opt(offset_minutes * 60) else { return Ok(()) };
            if let Some(fast) = parse_zoneless_fixed(text.as_bytes(), offset) {
                proptest::prop_assert_eq!(Ok(fast), parse_zoned_general(text.trim(), Some(Zone::Fixed(offset))), "{} {}", text, offset);
            }
            proptest::prop_assert_eq!(parse_zoned_in(&text, Some(Zone::Fixed(offset))), parse_zoned_general(text.trim(), Some(Zone::Fixed(offset))), "{}", text);
        }
    }

    #[test]
    fn zoneless_times_in_a_fixed_offset_are_read_at_fixed_positions() {
        let plus2 = FixedOffset::east_opt(7200).unwrap();
        assert_eq!(parse_zoneless_fixed(b"2019-07-13 08:15:38", plus2), Some(utc("2019-07-13T06:15:38Z")));
        assert_eq!(parse_zoneless_fixed(b"2019-07-13T08:15:38.25", FixedOffset::east_opt(0).unwrap()), Some(utc("2019-07-13T08:15:38.25Z")));
        assert_eq!(parse_any_in("2019-07-13 08:15:38", Some(Zone::Fixed(plus2))), Ok(utc("2019-07-13T06:15:38Z")));
        // A zone written in the text is the text's own: not this reader's.
        for other in ["2019-07-13 08:15:38Z", "2019-07-13 08:15:38+02", "2019-07-13 08:15:38 UTC", "2016-12-31 23:59:60"] {
            assert_eq!(parse_zoneless_fixed(other.as_bytes(), plus2), None, "{other}");
        }
    }

    #[test]
    fn databases_utc_texts_are_read_at_fixed_positions() {
        assert_eq!(parse_sql_utc(b"2019-07-13 08:15:38.123 UTC"), Some(utc("2019-07-13T08:15:38.123Z")));
        assert_eq!(parse_sql_utc(b"2019-07-13 08:15:38+00"), Some(utc("2019-07-13T08:15:38Z")));
        assert_eq!(parse_any("2019-07-13 08:15:38.000 UTC"), Ok(utc("2019-07-13T08:15:38Z")));
        // Left to the general reader: other zones, a leap second, no zone, ten fraction digits.
        for other in ["2019-07-13 08:15:38 CEST", "2019-07-13 08:15:38+02", "2016-12-31 23:59:60 UTC", "2019-07-13 08:15:38", "2019-07-13 08:15:38.1234567890 UTC"] {
            assert_eq!(parse_sql_utc(other.as_bytes()), None, "{other}");
        }
        assert!(parse_zoned("2019-02-29 10:00:00 UTC").is_err());
    }

    /// Days from the epoch reckoned without chrono are chrono's, for every day of four centuries and more
    /// (leap years of every kind) and of the first and last years four digits write; a day not in the
    /// calendar has none.
    #[test]
    fn days_from_the_epoch_are_chronos() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for year in (0..4).chain(1599..2402).chain(9996..10_000) {
            for month in 0..=13 {
                for day in 0..=32 {
                    let chrono = NaiveDate::from_ymd_opt(year as i32, month, day).map(|d| (d - epoch).num_days());
                    assert_eq!(days_from_civil(year, month, day), chrono, "{year:04}-{month:02}-{day:02}");
                }
            }
        }
    }

    /// Dates at the edges of months and years, and digits that are not a month or a day.
    #[test]
    fn the_fixed_position_reader_knows_the_calendar() {
        let read = |text: &str| parse_rfc3339_common(text.as_bytes());
        for _ in 0..2 {
            assert_eq!(read("2019-02-28T10:00:00Z"), Some(utc("2019-02-28T10:00:00Z")));
            assert_eq!(read("2019-02-28T23:59:59Z"), Some(utc("2019-02-28T23:59:59Z")));
            assert_eq!(read("2019-02-29T10:00:00Z"), None);
            assert_eq!(read("2020-02-29T10:00:00Z"), Some(utc("2020-02-29T10:00:00Z")));
            assert_eq!(read("2019-02-29T10:00:00Z"), None);
            assert_eq!(read("2019-03-28T10:00:00Z"), Some(utc("2019-03-28T10:00:00Z")));
            assert_eq!(read("2019-00-00T10:00:00Z"), None);
            assert_eq!(read("2019-12-31T10:00:00Z"), Some(utc("2019-12-31T10:00:00Z")));
            assert_eq!(read("2019-12-32T10:00:00Z"), None);
            assert_eq!(read("2019-16-01T10:00:00Z"), None);
            assert_eq!(read("0000-01-01T00:00:00Z"), Some(utc("0000-01-01T00:00:00Z")));
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
