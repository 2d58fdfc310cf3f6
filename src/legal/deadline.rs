//! Deadlines: a date counted from the case's `discovered` date where the rule sets days or hours,
//! otherwise the rule's own wording ("without unreasonable delay"). Business days skip Saturdays and
//! Sundays only (public holidays are not known to the tool, so the date may be early, never late).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::legal::rules::{DayUnit, Rule};

/// `days` after `from`: calendar days, or business days (Monday to Friday).
pub fn add_days(from: NaiveDate, days: u32, unit: DayUnit) -> NaiveDate {
    match unit {
        DayUnit::Calendar => from + Duration::days(days as i64),
        DayUnit::Business => {
            let mut date = from;
            let mut left = days;
            while left > 0 {
                date += Duration::days(1);
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    left -= 1;
                }
            }
            date
        }
    }
}

fn unit_name(unit: DayUnit) -> &'static str {
    match unit {
        DayUnit::Calendar => "calendar",
        DayUnit::Business => "business",
    }
}

/// The deadline to notify individuals under `rule`.
pub fn individual(rule: &Rule, discovered: Option<NaiveDate>) -> String {
    match (rule.individual_deadline_days, discovered) {
        (Some(days), Some(from)) => format!(
            "{} ({days} {} days from discovered {from}; the statute's clock: {})",
            add_days(from, days, rule.individual_deadline_unit),
            unit_name(rule.individual_deadline_unit),
            rule.individual_deadline
        ),
        (Some(days), None) => format!(
            "{days} {} days ({}); no `discovered` date in the case to count from",
            unit_name(rule.individual_deadline_unit),
            rule.individual_deadline
        ),
        (None, _) => rule.individual_deadline.clone(),
    }
}

/// The deadline to notify the regulator under `rule` (empty when the rule has no regulator).
pub fn regulator(rule: &Rule, discovered: Option<NaiveDate>) -> String {
    if rule.regulator.is_none() {
        return String::new();
    }
    let wording = &rule.regulator_deadline;
    match (rule.regulator_deadline_hours, rule.regulator_deadline_days, discovered) {
        (Some(hours), _, Some(from)) => {
            let start = from.and_hms_opt(0, 0, 0).expect("midnight exists");
            let end = start + Duration::hours(hours as i64);
            format!("{}Z ({hours} hours counted from the start of discovered {from}; {wording})", end.format("%Y-%m-%dT%H:%M:%S"))
        }
        (None, Some(days), Some(from)) => format!(
            "{} ({days} {} days from discovered {from}; {wording})",
            add_days(from, days, rule.regulator_deadline_unit),
            unit_name(rule.regulator_deadline_unit)
        ),
        _ => wording.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legal::rules::RuleSet;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn calendar_and_business_days() {
        assert_eq!(add_days(date("2019-10-28"), 30, DayUnit::Calendar), date("2019-11-27"));
        assert_eq!(add_days(date("2024-02-15"), 15, DayUnit::Calendar), date("2024-03-01")); // leap year
        // Friday + 3 business days = Wednesday.
        assert_eq!(add_days(date("2019-11-01"), 3, DayUnit::Business), date("2019-11-06"));
        // Monday + 3 business days = Thursday.
        assert_eq!(add_days(date("2019-10-28"), 3, DayUnit::Business), date("2019-10-31"));
        assert_eq!(add_days(date("2019-10-28"), 0, DayUnit::Business), date("2019-10-28"));
    }

    #[test]
    fn rule_deadlines_from_discovered() {
        let rules = RuleSet::builtin();
        let d = Some(date("2019-10-28"));
        let ca = rules.for_jurisdiction("US-CA").unwrap();
        assert!(individual(ca, d).starts_with("2019-11-27 (30 calendar days"), "{}", individual(ca, d));
        assert!(individual(ca, None).starts_with("30 calendar days"));
        let ga = rules.for_jurisdiction("US-GA").unwrap();
        assert_eq!(individual(ga, d), "most expedient time possible, without unreasonable delay");
        let gdpr = rules.for_jurisdiction("DE").unwrap();
        assert!(regulator(gdpr, d).starts_with("2019-10-31T00:00:00Z (72 hours"), "{}", regulator(gdpr, d));
        let br = rules.for_jurisdiction("BR").unwrap();
        assert!(individual(br, d).starts_with("2019-10-31 (3 business days"));
        assert!(regulator(ga, d).is_empty());
    }
}
