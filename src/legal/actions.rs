//! Counsel's action list: from the people's duties and the per-jurisdiction summaries, one row per
//! recipient and duty (each regulator, the consumer reporting agencies, the individuals of each
//! jurisdiction, credit monitoring, Australia's assessment), with the people it concerns, the computed due
//! date, how to file and what the filing holds. For GDPR, one lead supervisory authority when
//! `[organisation] main_establishment` names an EU/EEA country, otherwise the authority of each country
//! concerned.

use std::collections::{BTreeMap, BTreeSet};

use crate::case::Case;
use crate::legal::deadline::{self, Due};
use crate::legal::report::{Action, JurisdictionSummary, Person};
use crate::legal::rules::{Notify, Rule, RuleSet};

/// The action list and the notes on what it could not settle.
pub fn build(case: &Case, rules: &RuleSet, persons: &[Person], summaries: &[JurisdictionSummary]) -> (Vec<Action>, Vec<String>) {
    let clock = &case.clock;
    let mut actions = Vec::new();
    let mut notes = Vec::new();
    let by_jurisdiction = people_by_jurisdiction(persons);
    // Jurisdictions whose rule names supervisory authorities (GDPR), grouped per rule.
    let mut authority_groups: BTreeMap<&str, Vec<&JurisdictionSummary>> = BTreeMap::new();
    for j in summaries {
        let Some(rule) = j.rule.as_deref().and_then(|_| rules.for_jurisdiction(&j.jurisdiction)) else { continue };
        let people = by_jurisdiction.get(j.jurisdiction.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        actions.push(individual_notice(rule, j, clock));
        if rule.regulator.is_some() {
            if rule.authorities.is_empty() {
                actions.push(regulator_notice(rule, j, clock));
            } else {
                authority_groups.entry(rule.id.as_str()).or_default().push(j);
            }
        }
        if rule.cra_threshold.is_some() {
            actions.push(cra_notice(rule, j));
        }
        if let Some(action) = credit_monitoring(rule, j, people, clock) {
            actions.push(action);
        }
        if let Some(due) = deadline::assessment_due(rule, clock) {
            actions.push(Action {
                recipient: format!("{} itself: assessment of the suspected breach", organisation_name(case)),
                duty: "assessment",
                status: Notify::Required,
                jurisdictions: vec![j.jurisdiction.clone()],
                rule: rule.id.clone(),
                people: j.people,
                basis: format!("{} affected people in {}: a suspected eligible breach must be assessed before it is known whether the regulator and individuals are told", j.people, j.jurisdiction),
                contents: rule.assessment.clone(),
                ..from_rule(rule, due)
            });
        }
    }
    if let Some(main) = case.organisation.main_establishment.as_deref() {
        for rule in rules.rules.iter().filter(|r| !r.authorities.is_empty() && r.jurisdictions.iter().any(|j| j == main)) {
            if !authority_groups.contains_key(rule.id.as_str()) {
                notes.push(format!(
                    "{}: main_establishment = {main}, but no affected person lives in a country of the rule; the regulation may still reach the breach through the establishment (GDPR Art. 3(1)): counsel to decide whether {} is told",
                    rule.id,
                    rule.authorities.get(main).map_or("its authority", String::as_str)
                ));
            }
        }
    }
    for (rule_id, group) in authority_groups {
        let rule = rules.rules.iter().find(|r| r.id == rule_id).expect("grouped by an existing rule");
        authority_notices(case, rule, &group, persons, &mut actions, &mut notes);
    }
    for j in summaries.iter().filter(|j| j.rule.is_none()) {
        let people = j.people;
        notes.push(format!(
            "{people} people in `{}` have no rule: no action can be listed for them; counsel to establish where they live and which law applies",
            j.jurisdiction
        ));
    }
    if clock.discovered.is_none() {
        notes.push("no `discovered` date in [case]: no due date is computed; add `discovered = \"YYYY-MM-DD\"` (and `determined` where statutes count from it)".to_string());
    }
    // A duty that does not apply has no due date (its `deadline` still says how it would be counted).
    for a in actions.iter_mut().filter(|a| a.status == Notify::NotRequired) {
        a.due.clear();
    }
    actions.sort_by(|a, b| {
        (a.status, a.due.is_empty(), &a.due, &a.recipient, a.duty).cmp(&(b.status, b.due.is_empty(), &b.due, &b.recipient, b.duty))
    });
    (actions, notes)
}

fn organisation_name(case: &Case) -> String {
    case.organisation.name.clone().unwrap_or_else(|| "the organisation".to_string())
}

fn people_by_jurisdiction(persons: &[Person]) -> BTreeMap<&str, Vec<&Person>> {
    let mut out: BTreeMap<&str, Vec<&Person>> = BTreeMap::new();
    for p in persons {
        for j in &p.jurisdictions {
            out.entry(j.as_str()).or_default().push(p);
        }
    }
    out
}

fn duty_in(person: &Person, jurisdiction: &str) -> Notify {
    person.duties.iter().find(|(j, _)| j == jurisdiction).map_or(Notify::Assess, |(_, n)| *n)
}

fn status(text: &str) -> Notify {
    match text {
        "required" => Notify::Required,
        "assess" => Notify::Assess,
        _ => Notify::NotRequired,
    }
}

/// An action's fields that come from the rule, with its due date.
fn from_rule(rule: &Rule, due: Due) -> Action {
    Action {
        recipient: String::new(),
        duty: "",
        status: Notify::NotRequired,
        jurisdictions: Vec::new(),
        rule: rule.id.clone(),
        people: 0,
        due: due.date.unwrap_or_default(),
        deadline: due.text,
        basis: String::new(),
        channel: String::new(),
        channel_address: String::new(),
        contents: String::new(),
        citation: rule.citation.clone(),
        last_checked: Some(rule.last_checked),
    }
}

fn counts(j: &JurisdictionSummary) -> String {
    format!("{} required, {} to assess, {} not required", j.notify_required, j.notify_assess, j.notify_not_required)
}

fn individual_notice(rule: &Rule, j: &JurisdictionSummary, clock: &crate::case::clock::Clock) -> Action {
    let status = if j.notify_required > 0 {
        Notify::Required
    } else if j.notify_assess > 0 {
        Notify::Assess
    } else {
        Notify::NotRequired
    };
    Action {
        recipient: format!("individuals in {}", j.jurisdiction),
        duty: "individual_notice",
        status,
        jurisdictions: vec![j.jurisdiction.clone()],
        people: j.notify_required + j.notify_assess,
        basis: format!("{} people: {} (affected_people.csv lists them)", j.people, counts(j)),
        contents: "the notice the statute prescribes (see the citation); the people and their addresses are in affected_people.csv".to_string(),
        ..from_rule(rule, deadline::individual_due(rule, clock))
    }
}

fn regulator_filing(rule: &Rule, action: Action) -> Action {
    Action {
        channel: rule.regulator_channel.clone(),
        channel_address: rule.regulator_channel_address.clone(),
        contents: if rule.regulator_contents.is_empty() {
            "not recorded in the rules file: see the statute".to_string()
        } else {
            rule.regulator_contents.clone()
        },
        ..action
    }
}

fn regulator_notice(rule: &Rule, j: &JurisdictionSummary, clock: &crate::case::clock::Clock) -> Action {
    let (people, counted) = match rule.regulator_counts {
        crate::legal::rules::Counts::Affected => (j.people, "affected people count"),
        crate::legal::rules::Counts::Notified => (j.notify_required + j.notify_assess, "people to notify count"),
    };
    let threshold = match j.regulator_threshold {
        Some(0) | None => "any number".to_string(),
        Some(n) => format!("at least {n}"),
    };
    regulator_filing(
        rule,
        Action {
            // US rules name the office only ("AG"): the state says whose.
            recipient: match &rule.regulator {
                Some(r) if rule.id.starts_with("US-") => format!("{}: {r}", rule.name),
                other => other.clone().unwrap_or_default(),
            },
            duty: "regulator_notice",
            status: status(&j.regulator_notice),
            jurisdictions: vec![j.jurisdiction.clone()],
            people,
            basis: format!("threshold: {threshold} ({counted}); {}: {}", j.jurisdiction, counts(j)),
            ..from_rule(rule, deadline::regulator_due(rule, clock))
        },
    )
}

fn cra_notice(rule: &Rule, j: &JurisdictionSummary) -> Action {
    Action {
        recipient: "nationwide consumer reporting agencies".to_string(),
        duty: "cra_notice",
        status: status(&j.cra_notice),
        jurisdictions: vec![j.jurisdiction.clone()],
        people: j.notify_required + j.notify_assess,
        deadline: "the statute's wording (the rules file records no separate date for this notice)".to_string(),
        basis: format!("threshold: more than {} residents notified; {}: {}", j.cra_threshold.unwrap_or(0).saturating_sub(1), j.jurisdiction, counts(j)),
        contents: "the timing, distribution and content of the notices to residents (as most statutes ask; see the citation)".to_string(),
        ..from_rule(rule, Due { date: None, text: String::new() })
    }
}

/// Credit monitoring where the rule sets months: for the people whose duty is (or may be) required and who
/// had one of the rule's elements exposed; offered with the notice, so due with it.
fn credit_monitoring(rule: &Rule, j: &JurisdictionSummary, people: &[&Person], clock: &crate::case::clock::Clock) -> Option<Action> {
    let months = rule.credit_monitoring_months?;
    let has_element = |p: &&&Person| p.elements.iter().any(|e| rule.credit_monitoring_elements.contains(e));
    let required = people.iter().filter(|p| duty_in(p, &j.jurisdiction) == Notify::Required).filter(has_element).count();
    let assess = people.iter().filter(|p| duty_in(p, &j.jurisdiction) == Notify::Assess).filter(has_element).count();
    let status = if required > 0 {
        Notify::Required
    } else if assess > 0 {
        Notify::Assess
    } else {
        Notify::NotRequired
    };
    let due = deadline::individual_due(rule, clock);
    Some(Action {
        recipient: format!("individuals in {}: credit monitoring offer", j.jurisdiction),
        duty: "credit_monitoring",
        status,
        jurisdictions: vec![j.jurisdiction.clone()],
        people: required + assess,
        deadline: format!("with the notice to individuals: {}", due.text),
        basis: format!(
            "{required} people to notify (and {assess} to assess) had {} exposed",
            rule.credit_monitoring_elements.join(" or ")
        ),
        contents: format!("{months} months: {}", rule.credit_monitoring),
        ..from_rule(rule, due)
    })
}

/// GDPR: one notice to the lead supervisory authority when the main establishment is an EU/EEA country
/// of the rule, otherwise one to the authority of each country concerned.
fn authority_notices(case: &Case, rule: &Rule, group: &[&JurisdictionSummary], persons: &[Person], actions: &mut Vec<Action>, notes: &mut Vec<String>) {
    let clock = &case.clock;
    let due = || deadline::regulator_due(rule, clock);
    let authority = |country: &str| rule.authorities.get(country).cloned().unwrap_or_else(|| format!("the supervisory authority of {country}"));
    let strongest = |js: &[&JurisdictionSummary]| js.iter().map(|j| status(&j.regulator_notice)).min().unwrap_or(Notify::NotRequired);
    match case.organisation.main_establishment.as_deref() {
        Some(main) if rule.jurisdictions.iter().any(|j| j == main) => {
            let countries: BTreeSet<&str> = group.iter().map(|j| j.jurisdiction.as_str()).collect();
            let people = persons.iter().filter(|p| p.jurisdictions.iter().any(|j| countries.contains(j.as_str()))).count();
            let listed: Vec<String> = group.iter().map(|j| format!("{} {}", j.jurisdiction, j.people)).collect();
            actions.push(regulator_filing(
                rule,
                Action {
                    recipient: format!("{} ({main}): lead supervisory authority", authority(main)),
                    duty: "regulator_notice",
                    status: strongest(group),
                    jurisdictions: countries.iter().map(|c| c.to_string()).collect(),
                    people,
                    basis: format!(
                        "[organisation] main_establishment = {main}: one notice to its authority as lead (Art. 56(1)) for the people in {}",
                        listed.join(", ")
                    ),
                    ..from_rule(rule, due())
                },
            ));
        }
        other => {
            let why = match other {
                Some(main) => format!("main_establishment = {main} is not a country of {}: no lead authority", rule.id),
                None => "[organisation] names no main_establishment".to_string(),
            };
            notes.push(format!(
                "{}: {why}, so each authority concerned is listed ({} of them); if the organisation has its main establishment in the EU/EEA, set `main_establishment` in [organisation] to name the one lead authority",
                rule.id,
                group.len()
            ));
            for j in group {
                actions.push(regulator_filing(
                    rule,
                    Action {
                        recipient: format!("{} ({})", authority(&j.jurisdiction), j.jurisdiction),
                        duty: "regulator_notice",
                        status: status(&j.regulator_notice),
                        jurisdictions: vec![j.jurisdiction.clone()],
                        people: j.people,
                        basis: format!("{why}: the authority where the affected people live; {}: {}", j.jurisdiction, counts(j)),
                        ..from_rule(rule, due())
                    },
                ));
            }
        }
    }
}
