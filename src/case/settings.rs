//! The case's checked settings that are not tables or logs: what to do with whole-table reads, coverage
//! (gap size, strictness), and `[profile]` (working hours and days, assignments, thresholds). Plain data;
//! the stages that use them own the behaviour.

use chrono::{Datelike, Duration, Timelike, Weekday};

use crate::case::file::ProfileSection;
use crate::case::schema::{Schema, TableId};
use crate::read::timefmt::{Timestamp, Zone};

/// What to do with the rows of a table the actors read whole (no filter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableAccessPolicy {
    /// State the table, time and row count in the report and summary; list no customer for it.
    #[default]
    Report,
    /// List every row of the table, with evidence grade `table`.
    Include,
}

/// `[case] min_gap` and `[case] coverage`, or `--min-gap` and `--strict-coverage`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoverageSettings {
    /// The shortest silence reported as a gap (at least an hour: the histogram's resolution).
    pub min_gap: Duration,
    /// `coverage = "strict"`: every gap is a finding, and no data class can be called not exposed.
    pub strict: bool,
}

pub const DEFAULT_MIN_GAP_HOURS: i64 = 2;

impl Default for CoverageSettings {
    fn default() -> Self {
        CoverageSettings { min_gap: Duration::hours(DEFAULT_MIN_GAP_HOURS), strict: false }
    }
}

impl CoverageSettings {
    /// From the case file's optional `min_gap` and `coverage` values.
    pub fn from_case(min_gap: Option<&str>, mode: Option<&str>) -> Result<CoverageSettings, String> {
        let mut s = CoverageSettings::default();
        if let Some(text) = min_gap {
            s.min_gap = parse_min_gap(text).map_err(|e| format!("min_gap: {e}"))?;
        }
        if let Some(mode) = mode {
            s.strict = match mode {
                "strict" => true,
                "report" => false,
                other => return Err(format!("coverage = `{other}`: use \"report\" (the default) or \"strict\"")),
            };
        }
        Ok(s)
    }
}

/// A duration such as `2h`, `90min`, `1h 30m`, `1d`; at least one hour.
pub fn parse_min_gap(text: &str) -> Result<Duration, String> {
    let std = humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration such as 2h, 90min or 1d ({e})"))?;
    let d = Duration::from_std(std).map_err(|_| format!("`{text}` is too long"))?;
    if d < Duration::hours(1) {
        return Err(format!("`{text}` is shorter than 1h, the resolution of the coverage histogram"));
    }
    Ok(d)
}

/// The checked `[profile]` settings.
#[derive(Clone, Debug)]
pub struct ProfileSettings {
    /// Minutes after local midnight: [start, end).
    pub work_start: u32,
    pub work_end: u32,
    /// Local time's zone (`utc_offset` or `time_zone`); with an IANA zone, working hours follow its daylight saving.
    pub zone: Zone,
    pub work_days: Vec<Weekday>,
    /// (table, column index) of the assignment column.
    pub assignment: Option<(TableId, usize)>,
    pub bulk_records: usize,
    pub z_threshold: f64,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        ProfileSettings {
            work_start: 8 * 60,
            work_end: 18 * 60,
            zone: Zone::utc(),
            work_days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            assignment: None,
            bulk_records: 100,
            z_threshold: 3.5,
        }
    }
}

impl ProfileSettings {
    pub fn from_section(section: &ProfileSection, schema: &Schema) -> std::result::Result<ProfileSettings, String> {
        let mut s = ProfileSettings::default();
        if let Some(hours) = &section.work_hours {
            let (a, b) = hours.split_once('-').ok_or_else(|| format!("work_hours `{hours}`: expected HH:MM-HH:MM"))?;
            s.work_start = minutes(a).ok_or_else(|| format!("work_hours `{hours}`: `{a}` is not HH:MM"))?;
            s.work_end = minutes(b).ok_or_else(|| format!("work_hours `{hours}`: `{b}` is not HH:MM"))?;
            if s.work_start == s.work_end {
                return Err(format!("work_hours `{hours}` is empty"));
            }
        }
        match (&section.utc_offset, &section.time_zone) {
            (Some(_), Some(_)) => return Err("give utc_offset or time_zone, not both (time_zone = \"Europe/Berlin\" follows daylight saving)".into()),
            (Some(offset), None) => {
                s.zone = Zone::Fixed(parse_offset(offset).ok_or_else(|| format!("utc_offset `{offset}`: expected +HH:MM or -HH:MM (or time_zone = \"Europe/Berlin\")"))?);
            }
            (None, Some(zone)) => s.zone = Zone::parse(zone).map_err(|e| format!("time_zone: {e}"))?,
            (None, None) => {}
        }
        if let Some(days) = &section.work_days {
            s.work_days = days
                .iter()
                .map(|d| d.trim().parse::<Weekday>().map_err(|_| format!("work_days: `{d}` is not a day (Mon, Tue, ...)")))
                .collect::<std::result::Result<_, _>>()?;
        }
        if let Some(field) = &section.assignment {
            let id = schema.field(field).ok_or_else(|| format!("assignment `{field}` is not a `table.column` of the case's tables"))?;
            let table = schema.table_of_field(id);
            s.assignment = Some((table, id - schema.tables[table].first_field));
        }
        if let Some(n) = section.bulk_records {
            if n == 0 {
                return Err("bulk_records must be at least 1".into());
            }
            s.bulk_records = n;
        }
        if let Some(z) = section.z_threshold {
            if !(z.is_finite() && z > 0.0) {
                return Err("z_threshold must be a positive number".into());
            }
            s.z_threshold = z;
        }
        Ok(s)
    }

    /// Outside working hours or on a day off, in the case's local time.
    pub fn is_after_hours(&self, t: &Timestamp) -> bool {
        let local = self.zone.local(t);
        if !self.work_days.contains(&local.weekday()) {
            return true;
        }
        let m = local.hour() * 60 + local.minute();
        let inside = if self.work_start < self.work_end {
            m >= self.work_start && m < self.work_end
        } else {
            m >= self.work_start || m < self.work_end
        };
        !inside
    }
}

fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some((h * 60 + m) % (24 * 60))
}

fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let text = text.trim();
    if matches!(text, "Z" | "UTC" | "+00:00" | "0") {
        return chrono::FixedOffset::east_opt(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 14 && m < 60).then(|| chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_the_case() {
        let s = CoverageSettings::from_case(Some("1h 30m"), Some("strict")).unwrap();
        assert_eq!((s.min_gap, s.strict), (Duration::minutes(90), true));
        assert_eq!(CoverageSettings::from_case(None, None).unwrap(), CoverageSettings::default());
        assert_eq!(parse_min_gap("1d").unwrap(), Duration::days(1));
        assert!(parse_min_gap("45min").unwrap_err().contains("shorter than 1h"));
        assert!(parse_min_gap("two hours").is_err());
        assert!(CoverageSettings::from_case(None, Some("lenient")).unwrap_err().contains("strict"));
    }

    #[test]
    fn working_hours_in_local_time() {
        let schema_free = ProfileSection { work_hours: Some("08:00-18:00".into()), utc_offset: Some("+02:00".into()), ..Default::default() };
        let s = ProfileSettings {
            work_start: 8 * 60,
            work_end: 18 * 60,
            zone: Zone::Fixed(parse_offset(schema_free.utc_offset.as_deref().unwrap()).unwrap()),
            ..ProfileSettings::default()
        };
        let t = |x: &str| crate::read::timefmt::parse_zoned(x).unwrap();
        assert!(!s.is_after_hours(&t("2019-06-03T06:30:00Z"))); // Monday 08:30 local
        assert!(s.is_after_hours(&t("2019-06-03T05:59:00Z"))); // Monday 07:59 local
        assert!(s.is_after_hours(&t("2019-06-03T16:00:00Z"))); // Monday 18:00 local
        assert!(s.is_after_hours(&t("2019-06-01T10:00:00Z"))); // Saturday
        let night = ProfileSettings { work_start: 22 * 60, work_end: 6 * 60, ..ProfileSettings::default() };
        assert!(!night.is_after_hours(&t("2019-06-03T23:00:00Z")));
        assert!(night.is_after_hours(&t("2019-06-03T12:00:00Z")));
    }

    #[test]
    fn working_hours_follow_daylight_saving_in_an_iana_zone() {
        let schema = Schema { tables: vec![], field_names: vec![], field_classes: vec![], roles: Default::default(), name_parts: vec![] };
        let section = ProfileSection { time_zone: Some("Europe/Berlin".into()), ..Default::default() };
        let s = ProfileSettings::from_section(&section, &schema).unwrap();
        let t = |x: &str| crate::read::timefmt::parse_zoned(x).unwrap();
        // Summer (CEST, +2): 06:30Z is 08:30 local; winter (CET, +1): 06:30Z is 07:30 local.
        assert!(!s.is_after_hours(&t("2019-06-03T06:30:00Z")));
        assert!(s.is_after_hours(&t("2019-12-02T06:30:00Z")));
        assert!(!s.is_after_hours(&t("2019-12-02T07:30:00Z")));
        // 17:30Z on a winter Monday is 18:30 local: after hours; in summer it is 19:30.
        assert!(s.is_after_hours(&t("2019-12-02T17:30:00Z")));
        assert!(!s.is_after_hours(&t("2019-12-02T16:30:00Z")));
        let both = ProfileSection { time_zone: Some("Europe/Berlin".into()), utc_offset: Some("+01:00".into()), ..Default::default() };
        assert!(ProfileSettings::from_section(&both, &schema).unwrap_err().contains("not both"));
        let bad = ProfileSection { time_zone: Some("CET".into()), ..Default::default() };
        assert!(ProfileSettings::from_section(&bad, &schema).unwrap_err().contains("time_zone: `CET` is an abbreviation"));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(minutes("08:00"), Some(480));
        assert_eq!(minutes("24:00"), Some(0));
        assert_eq!(minutes("8h"), None);
        assert_eq!(parse_offset("-05:00"), chrono::FixedOffset::west_opt(5 * 3600));
        assert_eq!(parse_offset("+2"), None);
    }
}
