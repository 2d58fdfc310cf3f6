//! The syslog header before a program's message, as syslog daemons write it to files or send it on:
//!
//! - RFC 3164 / BSD, as rsyslog's traditional file format and glibc's `syslog(3)` write it:
//!   `[<PRI>]Mmm dd HH:MM:SS [host] ident[[pid]]: message` (`Jun  3 10:00:00 db1 mysql-server_auditing: ...`;
//!   the day is padded with a space; the host is left out on the wire from a local program);
//! - rsyslog's high-precision file format (Debian 12's default): `2019-06-03T10:00:00.123456+01:00 host ident: message`;
//! - RFC 5424: `<PRI>1 2019-06-03T10:00:00.003Z host app procid msgid [structured data] message`.
//!
//! An RFC 3164 time has no year and no zone: [`SyslogTime::resolve`] takes the zone from the log's `time_zone`
//! (required, never guessed) and the year from the case window. The other two carry both.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::read::timefmt::{self, Timestamp, Window, Zone};

/// A syslog line split into its header and the program's message.
#[derive(Clone, Debug, PartialEq)]
pub struct SyslogLine<'a> {
    pub time: SyslogTime,
    pub host: Option<&'a str>,
    /// The program's name (`mysql-server_auditing`, `mongod`), without the process id.
    pub ident: &'a str,
    /// The message after `ident[pid]: ` (one space after the colon is the header's).
    pub message: &'a str,
    /// Byte offset of `message` in the line.
    pub offset: usize,
}

/// The header's time.
#[derive(Clone, Debug, PartialEq)]
pub enum SyslogTime {
    /// RFC 3164 `Mmm dd HH:MM:SS`: no year, no zone.
    Bsd { month: u32, day: u32, hour: u32, minute: u32, second: u32, text: String },
    /// A full timestamp with its zone (rsyslog's high-precision format, RFC 5424).
    Full(Timestamp),
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Splits a syslog line; `None` when the line does not start with a syslog header.
pub fn split(line: &str) -> Option<SyslogLine<'_>> {
    let mut at = 0;
    // `<PRI>` (one to three digits), as sent on the wire and kept by some relays.
    if let Some(rest) = line.strip_prefix('<') {
        let close = rest.find('>')?;
        if close == 0 || close > 3 || !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        at = close + 2;
        // RFC 5424: a version after the PRI.
        if let Some(after) = line[at..].strip_prefix("1 ") {
            return split_5424(line, at + line[at..].len() - after.len());
        }
    }
    let rest = &line[at..];
    let (time, used) = if rest.len() >= 15 && MONTHS.contains(&rest.get(..3)?) {
        (bsd_time(rest.get(..15)?)?, 15)
    } else {
        let end = rest.find(' ')?;
        let t = timefmt::parse_zoned(&rest[..end]).ok().filter(|_| rest.as_bytes().first().is_some_and(u8::is_ascii_digit) && rest[..end].contains('T'))?;
        (SyslogTime::Full(t), end)
    };
    at += used;
    let rest = line[at..].strip_prefix(' ')?;
    at += 1;
    // `host ident:` or `ident:` (the tag ends with a colon; a host never does).
    let first_end = rest.find(' ').unwrap_or(rest.len());
    let first = &rest[..first_end];
    let (host, tag, tag_start) = if first.ends_with(':') {
        (None, first, at)
    } else {
        let after = rest.get(first_end + 1..)?;
        let tag_end = after.find(' ').unwrap_or(after.len());
        (Some(first).filter(|h| !h.is_empty()), &after[..tag_end], at + first_end + 1)
    };
    let tag = tag.strip_suffix(':')?;
    let ident = match tag.find('[') {
        Some(open) if tag.ends_with(']') && tag[open + 1..tag.len() - 1].bytes().all(|b| b.is_ascii_digit()) => &tag[..open],
        _ => tag,
    };
    if ident.is_empty() {
        return None;
    }
    let mut offset = tag_start + tag.len() + 1;
    if line[offset..].starts_with(' ') {
        offset += 1;
    }
    Some(SyslogLine { time, host, ident, message: &line[offset..], offset })
}

/// `Jun  3 10:00:00` (or `Jun 03 10:00:00`).
fn bsd_time(text: &str) -> Option<SyslogTime> {
    let b = text.as_bytes();
    if b[3] != b' ' || b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| Some(*m) == text.get(..3))? as u32 + 1;
    let day: u32 = text.get(4..6)?.trim_start().parse().ok()?;
    let num = |r: std::ops::Range<usize>| text.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit())).and_then(|s| s.parse::<u32>().ok());
    let (hour, minute, second) = (num(7..9)?, num(10..12)?, num(13..15)?);
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(SyslogTime::Bsd { month, day, hour, minute, second, text: text.to_string() })
}

/// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`: `at` is where the timestamp starts.
fn split_5424(line: &str, mut at: usize) -> Option<SyslogLine<'_>> {
    fn field(line: &str, at: &mut usize) -> Option<(usize, usize)> {
        let rest = line.get(*at..)?;
        let end = rest.find(' ')?;
        let span = (*at, *at + end);
        *at += end + 1;
        Some(span)
    }
    let (ts, te) = field(line, &mut at)?;
    let time = SyslogTime::Full(timefmt::parse_zoned(&line[ts..te]).ok()?);
    let (hs, he) = field(line, &mut at)?;
    let (as_, ae) = field(line, &mut at)?;
    field(line, &mut at)?; // PROCID
    field(line, &mut at)?; // MSGID
    // Structured data: `-` or `[id k="v" ...]...` (a `]` inside a quoted value is escaped as `\]`).
    let rest = &line[at..];
    let sd_len = if rest.starts_with('-') {
        1
    } else if rest.starts_with('[') {
        let bytes = rest.as_bytes();
        let (mut i, mut in_value) = (0, false);
        loop {
            match bytes.get(i)? {
                b'\\' if in_value => i += 1,
                b'"' => in_value = !in_value,
                b']' if !in_value && bytes.get(i + 1) != Some(&b'[') => break i + 1,
                _ => {}
            }
            i += 1;
        }
    } else {
        return None;
    };
    let mut offset = at + sd_len;
    if line[offset..].starts_with(' ') {
        offset += 1;
    }
    let message = line[offset..].strip_prefix('\u{feff}').unwrap_or(&line[offset..]);
    let offset = line.len() - message.len();
    let host = Some(&line[hs..he]).filter(|h| *h != "-");
    let ident = Some(&line[as_..ae]).filter(|a| *a != "-" && !a.is_empty())?;
    Some(SyslogLine { time, host, ident, message, offset })
}

impl SyslogTime {
    /// The instant. An RFC 3164 time is read in `zone` (the log's `time_zone`; without one the reason says
    /// "no time zone", like every zoneless time) and dated in the year that puts it in `window` (a window
    /// crossing New Year dates December in the first year and January in the next). A time the window cannot
    /// date (no window, or one longer than a year in which the date falls twice) is refused; one outside the
    /// window gets the year nearest to it, and counts as outside.
    pub fn resolve(&self, zone: Option<&Zone>, window: &Window) -> Result<Timestamp, String> {
        let SyslogTime::Bsd { month, day, hour, minute, second, text } = self else {
            let SyslogTime::Full(t) = self else { unreachable!() };
            return Ok(*t);
        };
        let Some(zone) = zone else {
            return Err(format!(
                "syslog time `{text}` has no time zone (nor year): set `time_zone` for this log to the zone of the host that wrote it (e.g. \"Europe/Dublin\" or \"UTC\")"
            ));
        };
        let (Some(since), Some(until)) = (window.since, window.until) else {
            return Err(format!(
                "syslog time `{text}` has no year: it is taken from the case window, so set both `since` and `until` in [case]"
            ));
        };
        let (first, last) = (zone.local(&since).year() - 1, zone.local(&until).year() + 1);
        let mut candidates: Vec<(i32, Timestamp)> = Vec::new();
        for year in first..=last {
            let Some(date) = NaiveDate::from_ymd_opt(year, *month, *day) else { continue };
            let Some(local) = date.and_hms_opt(*hour, *minute, (*second).min(59)) else { continue };
            candidates.push((year, zone.resolve(&NaiveDateTime::from(local)).map_err(|e| format!("syslog time `{text}` in {year}: {e}"))?));
        }
        let inside: Vec<&(i32, Timestamp)> = candidates.iter().filter(|(_, t)| window.contains(t)).collect();
        match inside.as_slice() {
            [(_, t)] => Ok(*t),
            [] => candidates
                .iter()
                .min_by_key(|(_, t)| if *t < since { since - *t } else { *t - until })
                .map(|(_, t)| *t)
                .ok_or_else(|| format!("syslog time `{text}` is not a date in any year near the case window")),
            several => {
                let years: Vec<String> = several.iter().map(|(y, _)| y.to_string()).collect();
                Err(format!(
                    "syslog time `{text}` has no year and falls in the case window in {}: read a window of at most a year per run (set [case] since and until)",
                    years.join(" and ")
                ))
            }
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(since: &str, until: &str) -> Window {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        Window { since: Some(t(since)), until: Some(t(until)) }
    }

    #[test]
    fn headers_of_files_and_of_the_wire() {
        // rsyslog's traditional file format, syslog_info set (MariaDB ColumnStore docs' layout).
        let l = split("Sep 14 17:46:51 centos mysql-server_auditing: columnstore-1 centos,root,localhost,11,117,QUERY,loans,'x',0").unwrap();
        assert_eq!((l.host, l.ident, l.message), (Some("centos"), "mysql-server_auditing", "columnstore-1 centos,root,localhost,11,117,QUERY,loans,'x',0"));
        // On the wire: PRI, no host.
        let l = split("<190>Apr 13 14:43:13 mysql-server_auditing: docker eff8,user1,172.18.0.3,13,0,CONNECT,,,0").unwrap();
        assert_eq!((l.host, l.ident), (None, "mysql-server_auditing"));
        assert!(matches!(l.time, SyslogTime::Bsd { month: 4, day: 13, hour: 14, .. }));
        // An empty syslog_info leaves the message's own leading space.
        let l = split("Jun  3 10:00:00 db1 mysql-server_auditing:  db1,k.walsh,10.0.0.9,62,515,QUERY,crm,'x',0").unwrap();
        assert_eq!(l.message, " db1,k.walsh,10.0.0.9,62,515,QUERY,crm,'x',0");
        // A process id, and rsyslog's high-precision format.
        let l = split("2019-06-03T10:00:00.123456+01:00 srv1 mongod[4369]: {\"atype\":\"authCheck\"}").unwrap();
        assert_eq!((l.host, l.ident, l.message), (Some("srv1"), "mongod", "{\"atype\":\"authCheck\"}"));
        assert_eq!(l.time, SyslogTime::Full(window("2019-06-03T09:00:00.123456Z", "2019-06-03T09:00:00Z").since.unwrap()));
        // RFC 5424 with structured data.
        let l = split("<165>1 2019-06-03T10:00:00.003Z db1 mongod 4369 - [meta seq=\"1\" x=\"a\\]b\"] {\"atype\":1}").unwrap();
        assert_eq!((l.host, l.ident, l.message), (Some("db1"), "mongod", "{\"atype\":1}"));
        assert_eq!(&"<165>1 2019-06-03T10:00:00.003Z db1 mongod 4369 - - hello"[split("<165>1 2019-06-03T10:00:00.003Z db1 mongod 4369 - - hello").unwrap().offset..], "hello");
        for not in ["20190603 10:00:00,db1,k.walsh", "{\"atype\":1}", "Jun 32 10:00:00 x y: z", "Jun  3 25:00:00 x y: z", "Jun  3 10:00:00 hostonly", "<1234>Jun  3 10:00:00 x y: z"] {
            assert_eq!(split(not), None, "{not}");
        }
    }

    #[test]
    fn the_year_comes_from_the_window_and_the_zone_from_the_log() {
        let dublin = Zone::parse("Europe/Dublin").unwrap();
        let summer = window("2019-06-01T00:00:00Z", "2019-09-30T23:59:59Z");
        let t = split("Jun  3 10:00:00 h i: m").unwrap().time;
        assert_eq!(t.resolve(Some(&dublin), &summer).unwrap().to_rfc3339(), "2019-06-03T09:00:00+00:00");
        // Outside the window: still dated (the nearest year), and then counted as outside.
        let oct = split("Oct  5 10:00:00 h i: m").unwrap().time;
        assert_eq!(oct.resolve(Some(&dublin), &summer).unwrap().to_rfc3339(), "2019-10-05T09:00:00+00:00");
        // A window across New Year: December is the first year's, January the next.
        let winter = window("2018-12-01T00:00:00Z", "2019-01-31T23:59:59Z");
        let dec = split("Dec 30 23:00:00 h i: m").unwrap().time;
        let jan = split("Jan  2 01:00:00 h i: m").unwrap().time;
        assert_eq!(dec.resolve(Some(&dublin), &winter).unwrap().to_rfc3339(), "2018-12-30T23:00:00+00:00");
        assert_eq!(jan.resolve(Some(&dublin), &winter).unwrap().to_rfc3339(), "2019-01-02T01:00:00+00:00");
        // No zone: refused with the missing-zone reason; no window, or one in which the date falls twice: refused.
        assert!(t.resolve(None, &summer).unwrap_err().contains("no time zone"));
        assert!(t.resolve(Some(&dublin), &Window::default()).unwrap_err().contains("set both `since` and `until`"));
        let long = window("2018-01-01T00:00:00Z", "2019-12-31T23:59:59Z");
        assert!(t.resolve(Some(&dublin), &long).unwrap_err().contains("2018 and 2019"));
        // A local time the clocks skipped is refused, not moved.
        let skipped = split("Mar 31 01:30:00 h i: m").unwrap().time;
        assert!(skipped.resolve(Some(&dublin), &window("2019-01-01T00:00:00Z", "2019-06-30T00:00:00Z")).is_err());
    }

    proptest! {
        /// Whatever the host, the ident, the process id and the PRI, the message after the header is the same.
        #[test]
        fn the_message_is_the_same_whatever_the_header(
            pri in proptest::option::of(0u32..192),
            host in proptest::option::of("[a-z0-9][a-z0-9.-]{0,20}"),
            ident in "[A-Za-z][A-Za-z0-9_./-]{0,24}",
            pid in proptest::option::of(1u32..99999),
            day in 1u32..29,
            message in "[ -~]{0,80}",
        ) {
            let pri = pri.map(|p| format!("<{p}>")).unwrap_or_default();
            let host = host.map(|h| format!("{h} ")).unwrap_or_default();
            let pid = pid.map(|p| format!("[{p}]")).unwrap_or_default();
            let line = format!("{pri}Jun {day:>2} 10:00:00 {host}{ident}{pid}: {message}");
            let l = split(&line).unwrap();
            prop_assert_eq!(l.ident, ident.as_str());
            prop_assert_eq!(l.message, message.as_str());
            prop_assert_eq!(&line[l.offset..], message.as_str());
        }

        #[test]
        fn never_panics(line in "\\PC{0,60}") {
            let _ = split(&line);
        }
    }
}
