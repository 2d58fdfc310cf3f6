//! Deadlines: a date counted from the case's `discovered` or `determined` date (the one the statute names)
//! where the rule sets days or hours, otherwise the rule's own wording ("without unreasonable delay"). Business days skip Saturdays and
//! Sundays only (public holidays are not known to the tool, so the date may be early, never late).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::case::clock::Clock;
use crate::legal::rules::{ClockFrom, DayUnit, Rule};

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

/// A computed due date and how it was counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SSZ` for a deadline in hours; `None` where the law sets no days or
    /// the case gives no date to count from.
    pub date: Option<String>,
    /// The date and how it was counted, with the statute's wording (what the CSVs show).
    pub text: String,
}

/// The date a clock runs from, as the case gives it: the date and how to say it. A statute counting from
/// determination, in a case that gives only `discovered`, is counted from discovery (determination cannot
/// come earlier, so the date is never later than the law's), and says so.
fn start(clock: &Clock, from: ClockFrom) -> Option<(NaiveDate, String)> {
    match from {
        ClockFrom::Discovered => clock.discovered.map(|d| (d, format!("discovered {d}"))),
        ClockFrom::Determined => match (clock.determined, clock.discovered) {
            (Some(d), _) => Some((d, format!("determined {d}"))),
            (None, Some(d)) => Some((d, format!("discovered {d} (the statute counts from determination; no `determined` in the case, so it may allow later)"))),
            (None, None) => None,
        },
    }
}

fn from_name(from: ClockFrom) -> &'static str {
    match from {
        ClockFrom::Discovered => "discovered",
        ClockFrom::Determined => "determined",
    }
}

/// The deadline to notify individuals under `rule`. A law-enforcement delay moves the date to the end of the
/// delay where the rule says its statute allows one.
pub fn individual_due(rule: &Rule, clock: &Clock) -> Due {
    let Some(days) = rule.individual_deadline_days else {
        return Due { date: None, text: rule.individual_deadline.clone() };
    };
    let unit = unit_name(rule.individual_deadline_unit);
    let Some((from, label)) = start(clock, rule.individual_deadline_from) else {
        let key = from_name(rule.individual_deadline_from);
        return Due { date: None, text: format!("{days} {unit} days ({}); no `{key}` date in the case to count from", rule.individual_deadline) };
    };
    let date = add_days(from, days, rule.individual_deadline_unit);
    match clock.law_enforcement_delay_until {
        Some(until) if rule.law_enforcement_delay && until > date => Due {
            date: Some(until.to_string()),
            text: format!(
                "{until} (law enforcement delay until {until}; without it {date}: {days} {unit} days from {label}; the statute's clock: {})",
                rule.individual_deadline
            ),
        },
        Some(until) if !rule.law_enforcement_delay && until > date => Due {
            date: Some(date.to_string()),
            text: format!(
                "{date} ({days} {unit} days from {label}; the statute's clock: {}; a law enforcement delay until {until} is declared, but the rules file does not record that this statute allows one: the date is not moved)",
                rule.individual_deadline
            ),
        },
        _ => Due { date: Some(date.to_string()), text: format!("{date} ({days} {unit} days from {label}; the statute's clock: {})", rule.individual_deadline) },
    }
}

/// The deadline to notify the regulator under `rule` (empty when the rule has no regulator).
pub fn regulator_due(rule: &Rule, clock: &Clock) -> Due {
    if rule.regulator.is_none() {
        return Due { date: None, text: String::new() };
    }
    let wording = &rule.regulator_deadline;
    let from = start(clock, rule.regulator_deadline_from);
    match (rule.regulator_deadline_hours, rule.regulator_deadline_days, from) {
        (Some(hours), _, Some((from, label))) => {
            let start = from.and_hms_opt(0, 0, 0).expect("midnight exists");
            let end = (start + Duration::hours(hours as i64)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
            Due { text: format!("{end} ({hours} hours counted from the start of {label}; {wording})"), date: Some(end) }
        }
        (None, Some(days), Some((from, label))) => {
            let date = add_days(from, days, rule.regulator_deadline_unit).to_string();
            Due { text: format!("{date} ({days} {} days from {label}; {wording})", unit_name(rule.regulator_deadline_unit)), date: Some(date) }
        }
        _ => Due { date: None, text: wording.clone() },
    }
}

/// The date by which a suspected breach must be assessed (Australia's 30 days), where the rule sets one.
pub fn assessment_due(rule: &Rule, clock: &Clock) -> Option<Due> {
    let days = rule.assessment_days?;
    Some(match clock.discovered {
        Some(from) => {
            let date = add_days(from, days, DayUnit::Calendar).to_string();
            Due { text: format!("{date} ({days} calendar days from discovered {from}; {})", rule.assessment), date: Some(date) }
        }
        None => Due { date: None, text: format!("{days} calendar days ({}); no `discovered` date in the case to count from", rule.assessment) },
    })
}

/// The deadline to notify individuals under `rule`, as the CSVs show it.
pub fn individual(rule: &Rule, clock: &Clock) -> String {
    individual_due(rule, clock).text
}

/// The deadline to notify the regulator under `rule`, as the CSVs show it (empty when it has no regulator).
pub fn regulator(rule: &Rule, clock: &Clock) -> String {
    regulator_due(rule, clock).text
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

    fn clock(discovered: Option<&str>, determined: Option<&str>, delay: Option<&str>) -> Clock {
        Clock { discovered: discovered.map(date), determined: determined.map(date), law_enforcement_delay_until: delay.map(date) }
    }

    #[test]
    fn rule_deadlines_from_discovered() {
        let rules = RuleSet::builtin();
        let d = &clock(Some("2019-10-28"), None, None);
        let ca = rules.for_jurisdiction("US-CA").unwrap();
        assert!(individual(ca, d).starts_with("2019-11-27 (30 calendar days"), "{}", individual(ca, d));
        assert!(individual(ca, &Clock::default()).starts_with("30 calendar days"));
        let ga = rules.for_jurisdiction("US-GA").unwrap();
        assert_eq!(individual(ga, d), "most expedient time possible, without unreasonable delay");
        let gdpr = rules.for_jurisdiction("DE").unwrap();
        assert!(regulator(gdpr, d).starts_with("2019-10-31T00:00:00Z (72 hours"), "{}", regulator(gdpr, d));
        let br = rules.for_jurisdiction("BR").unwrap();
        assert!(individual(br, d).starts_with("2019-10-31 (3 business days"));
        assert!(regulator(ga, d).is_empty());
    }

    /// Issue 17 item 11: regulator deadlines are computed dates. Tex. Bus. & Com. Code 521.053(i): the AG
    /// within 30 days after determination; 9 V.S.A. 2435(b)(3): 14 business days after discovery;
    /// 10 L.P.R.A. 4052: DACO within 10 days after detection.
    #[test]
    fn us_regulator_deadlines_are_computed_dates() {
        let rules = RuleSet::builtin();
        let c = clock(Some("2019-10-28"), Some("2019-11-04"), None);
        let tx = regulator_due(rules.for_jurisdiction("US-TX").unwrap(), &c);
        assert_eq!(tx.date.as_deref(), Some("2019-12-04"), "{}", tx.text);
        assert!(tx.text.contains("30 calendar days from determined 2019-11-04"), "{}", tx.text);
        // Texas individuals: 60 days after determination.
        assert_eq!(individual_due(rules.for_jurisdiction("US-TX").unwrap(), &c).date.as_deref(), Some("2020-01-03"));
        // Monday 2019-10-28 + 14 business days = Friday 2019-11-15.
        assert_eq!(regulator_due(rules.for_jurisdiction("US-VT").unwrap(), &c).date.as_deref(), Some("2019-11-15"));
        assert_eq!(regulator_due(rules.for_jurisdiction("US-PR").unwrap(), &c).date.as_deref(), Some("2019-11-07"));
        // Ala. Code 8-38-6: 45 days after determination; NMSA 57-12C-10: 45 calendar days after discovery.
        for (j, due) in [("US-FL", "2019-12-04"), ("US-CO", "2019-12-04"), ("US-WA", "2019-11-27"), ("US-AL", "2019-12-19"), ("US-NM", "2019-12-12")] {
            assert_eq!(regulator_due(rules.for_jurisdiction(j).unwrap(), &c).date.as_deref(), Some(due), "{j}");
        }
        // Without `determined`, a determination clock counts from discovery (never later than the law's) and says so.
        let only_discovered = clock(Some("2019-10-28"), None, None);
        let tx = regulator_due(rules.for_jurisdiction("US-TX").unwrap(), &only_discovered);
        assert_eq!(tx.date.as_deref(), Some("2019-11-27"));
        assert!(tx.text.contains("no `determined` in the case"), "{}", tx.text);
        // Unverified deadlines stay text (Connecticut: no later than notice to residents).
        assert_eq!(regulator_due(rules.for_jurisdiction("US-CT").unwrap(), &c).date, None);
    }

    #[test]
    fn a_law_enforcement_delay_moves_individual_dates_where_the_statute_allows_it() {
        let rules = RuleSet::builtin();
        let c = clock(Some("2019-10-28"), None, Some("2020-01-15"));
        // Cal. Civ. Code 1798.82(c): notice after law enforcement says it no longer compromises the investigation.
        let ca = individual_due(rules.for_jurisdiction("US-CA").unwrap(), &c);
        assert_eq!(ca.date.as_deref(), Some("2020-01-15"));
        assert!(ca.text.contains("without it 2019-11-27"), "{}", ca.text);
        // A rule that does not record a delay keeps its date and says so (Brazil's 3 business days).
        let br = individual_due(rules.for_jurisdiction("BR").unwrap(), &c);
        assert_eq!(br.date.as_deref(), Some("2019-10-31"));
        assert!(br.text.contains("the date is not moved"), "{}", br.text);
        // A delay that ends before the due date changes nothing.
        let early = clock(Some("2019-10-28"), None, Some("2019-11-01"));
        assert_eq!(individual_due(rules.for_jurisdiction("US-CA").unwrap(), &early).date.as_deref(), Some("2019-11-27"));
    }

    /// Privacy Act 1988 (Cth) s. 26WH(2): a suspected eligible data breach assessed within 30 days.
    #[test]
    fn australia_assessment_date() {
        let rules = RuleSet::builtin();
        let au = assessment_due(rules.for_jurisdiction("AU").unwrap(), &clock(Some("2019-10-28"), None, None)).unwrap();
        assert_eq!(au.date.as_deref(), Some("2019-11-27"));
        assert!(assessment_due(rules.for_jurisdiction("US-CA").unwrap(), &Clock::default()).is_none());
    }
}
