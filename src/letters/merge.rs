//! The merge data of one letter (one person under one jurisdiction): every field a template prints, in
//! plain words, with a visible placeholder (`[ORGANISATION NAME]`) for each thing the case does not say.
//! What the person can do follows from the classes exposed for them; the credit-monitoring offer from the
//! rule's duty and the elements that triggered it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::case::notice::Notice;
use crate::case::organisation::Organisation;
use crate::legal::notice::{agency, Agency, NoticeRule};
use crate::legal::rules::Rule;
use crate::letters::inputs::PersonRow;

/// The merge fields, in the order of `letters.csv`'s columns (after `letter_id`).
pub const FIELDS: [&str; 28] = [
    "person_id",
    "jurisdiction",
    "rule",
    "notify",
    "name",
    "address",
    "email",
    "phone",
    "data_classes",
    "information_involved",
    "breach_dates",
    "notice_date",
    "law_enforcement",
    "what_happened",
    "likely_consequences",
    "what_we_are_doing",
    "credit_monitoring",
    "what_you_can_do",
    "your_rights",
    "agencies",
    "organisation_name",
    "organisation_contact",
    "dpo_contact",
    "signatory",
    "content_rules",
    "placeholders",
    "letter_file",
    "pdf_file",
];

/// What a letter needs that the case file gives, by clause: the placeholder printed and the fix.
pub fn placeholder(clause: &str) -> (&'static str, &'static str) {
    match clause {
        "organisation_name" => ("[ORGANISATION NAME]", "set [organisation] name"),
        "organisation_contact" => ("[CONTACT: phone number, e-mail, postal address]", "set [notice] contact, or [organisation] contact_phone/contact_email"),
        "what_happened" => ("[WHAT HAPPENED: the incident in plain words]", "set [notice] what_happened"),
        "what_we_are_doing" => ("[WHAT WE ARE DOING: the measures taken]", "set [notice] what_we_are_doing"),
        "notice_date" => ("[DATE OF NOTICE]", "set [notice] notice_date = \"YYYY-MM-DD\""),
        "law_enforcement_delay" => ("[WHETHER THIS NOTICE WAS DELAYED BY A LAW ENFORCEMENT INVESTIGATION]", "set [notice] law_enforcement_delayed = true or false"),
        "dpo_contact" => ("[DATA PROTECTION OFFICER: name and contact details]", "set [organisation] dpo_name and dpo_contact"),
        "signatory" => ("[SIGNATORY: name and title]", "set [notice] signatory"),
        "address" => ("[POSTAL ADDRESS]", "set [notice] address = [\"street\", \"city\", ...] (columns of the customers table), or check the person's row"),
        "credit_monitoring_provider" => ("[CREDIT MONITORING PROVIDER]", "set [notice] credit_monitoring_provider"),
        "credit_monitoring_url" => ("[ENROLMENT WEBSITE]", "set [notice] credit_monitoring_url"),
        "credit_monitoring_code" => ("[ENROLMENT CODE]", "set [notice] credit_monitoring_code"),
        "credit_monitoring_enrol_by" => ("[ENROL BY DATE]", "set [notice] credit_monitoring_enrol_by = \"YYYY-MM-DD\""),
        _ => ("[MISSING]", "see the drafting note"),
    }
}

/// One letter's merge data.
#[derive(Clone, Debug)]
pub struct Letter {
    /// `P0001-US-CA`: the person and the jurisdiction (also the file name).
    pub id: String,
    pub person_id: String,
    pub jurisdiction: String,
    pub fields: BTreeMap<&'static str, String>,
    /// The clauses drafted as placeholders.
    pub placeholders: Vec<&'static str>,
    /// Problems counsel must settle (an offer with fewer months than the law's, a duty that may apply).
    pub problems: Vec<String>,
}

/// What every letter of the run shares.
pub struct Context<'a> {
    pub organisation: &'a Organisation,
    pub notice: &'a Notice,
    /// Customer key → postal address (empty map: no `[notice] address`).
    pub addresses: &'a BTreeMap<String, String>,
}

/// The content rules that apply: the rule's, else the plain-language default.
pub fn notice_rule(rule: Option<&Rule>) -> NoticeRule {
    rule.and_then(|r| r.notice.clone()).unwrap_or_default()
}

fn is_us(jurisdiction: &str) -> bool {
    jurisdiction == "US" || jurisdiction.starts_with("US-")
}

fn date_words(date: NaiveDate, us: bool) -> String {
    if us {
        date.format("%B %-d, %Y").to_string()
    } else {
        date.format("%-d %B %Y").to_string()
    }
}

fn day_of(timestamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(timestamp.get(..10)?, "%Y-%m-%d").ok()
}

/// The order classes are listed in a letter: who the person is, how to reach them, then the sensitive ones.
const CLASS_ORDER: [&str; 13] = [
    "names",
    "email_addresses",
    "phone_numbers",
    "physical_addresses",
    "geographic_locations",
    "dates_of_birth",
    "usernames",
    "passwords",
    "government_issued_ids",
    "credit_cards",
    "bank_account_numbers",
    "support_tickets",
    "ip_addresses",
];

/// A data class in plain words.
pub fn class_words(class: &str) -> String {
    match class {
        "names" => "your name",
        "email_addresses" => "your e-mail address",
        "phone_numbers" => "your phone number",
        "physical_addresses" => "your postal address",
        "geographic_locations" => "where you live (country or state)",
        "dates_of_birth" => "your date of birth",
        "support_tickets" => "your support requests to us (ticket numbers and their subjects)",
        "credit_cards" => "your payment card number",
        "bank_account_numbers" => "your bank account number",
        "government_issued_ids" => "a government-issued identification number (such as a Social Security, driver's licence or passport number)",
        "passwords" => "a password",
        "usernames" => "your user name",
        "ip_addresses" => "IP addresses you used",
        other => return other.replace('_', " "),
    }
    .to_string()
}

/// "a, b and c".
fn listing(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn has(person: &PersonRow, class: &str) -> bool {
    person.data_classes.iter().any(|c| c == class)
}

/// What the person can do, from the classes exposed for them (paragraphs separated by a blank line).
pub fn advice(person: &PersonRow, jurisdiction: &str, organisation: &str, notice: &NoticeRule) -> Vec<String> {
    let us = is_us(jurisdiction);
    let mut out = Vec::new();
    if has(person, "phone_numbers") {
        out.push(format!(
            "Expect calls from people posing as {organisation} support staff. They may know your name and other details about you, which makes them sound convincing. We will never call to ask for a password, a card number, a one-time code or a payment. If such a call comes, hang up and call us back on the official number on our website or your statements, never on a number the caller gives you."
        ));
    }
    if has(person, "email_addresses") {
        out.push(format!(
            "Be wary of e-mails that appear to come from {organisation} or mention your support requests (phishing): do not open links or attachments in unexpected messages, and reach our website by typing its address yourself."
        ));
    }
    if has(person, "credit_cards") || has(person, "bank_account_numbers") {
        let mut text = "Check your card and bank statements for payments you do not recognise and report any to your bank at once; you can ask your bank for a new card or account number.".to_string();
        if us {
            text.push_str(" You can also place a free fraud alert on your credit file, which tells lenders to verify your identity before opening an account in your name: contact any one of the three consumer reporting agencies.");
        }
        out.push(text);
    }
    if has(person, "passwords") || has(person, "usernames") && notice.requires("change_credentials") {
        out.push(
            "Change your password for your account with us and everywhere else you used the same password (or the same security question and answer), use a different password for each account, and turn on two-step verification where it is offered."
                .to_string(),
        );
    }
    if has(person, "government_issued_ids") || has(person, "dates_of_birth") {
        if us {
            out.push("Watch for signs of identity theft: review your credit reports, which you can get free at www.annualcreditreport.com or 1-877-322-8228, and consider a fraud alert or a security freeze on your credit file.".to_string());
        } else {
            out.push("Watch for signs that someone is using your identity, such as letters about accounts or loans you did not open, and tell the organisation concerned at once.".to_string());
        }
    }
    if notice.requires("remain_vigilant") || us && !out.is_empty() {
        out.push("Remain vigilant: review your account statements and monitor your free credit reports for activity you do not recognise.".to_string());
    }
    if notice.requires("security_freeze") && !notice.sections().iter().any(|s| s.id == "your_rights") {
        out.push("You have the right to place a security freeze on your credit report free of charge, by contacting each of the consumer reporting agencies listed below.".to_string());
    }
    if out.is_empty() {
        out.push(format!("Be wary of unexpected messages or calls that refer to your dealings with {organisation}, and contact us on our official channels if anything seems wrong."));
    }
    out
}

/// The likely consequences of the exposure for the person (GDPR Art. 33(3)(c)), from their classes.
pub fn consequences(person: &PersonRow) -> String {
    let mut risks = Vec::new();
    if has(person, "phone_numbers") {
        risks.push("calls from people posing as our staff, trying to obtain more information or payments".to_string());
    }
    if has(person, "email_addresses") {
        risks.push("phishing e-mails that use your details to look genuine".to_string());
    }
    if has(person, "credit_cards") || has(person, "bank_account_numbers") {
        risks.push("fraudulent payments".to_string());
    }
    if has(person, "government_issued_ids") || has(person, "dates_of_birth") {
        risks.push("attempts to use your identity".to_string());
    }
    if has(person, "passwords") {
        risks.push("someone signing in to your accounts".to_string());
    }
    if risks.is_empty() {
        return "The information could be used to contact you under false pretences.".to_string();
    }
    format!("Someone holding this information could use it for {}.", listing(&risks))
}

fn agency_lines(agencies: &[Agency]) -> Vec<String> {
    agencies
        .iter()
        .map(|a| {
            let parts: Vec<&str> = [a.phone.as_str(), a.address.as_str(), a.website.as_str()].into_iter().filter(|p| !p.is_empty()).collect();
            format!("{}: {}", a.name, parts.join(", "))
        })
        .collect()
}

/// Whether the rule's credit-monitoring offer is due for the person: the rule sets months and the basis of
/// the person's duty under it names one of the offer's elements.
pub fn monitoring_due<'r>(rule: Option<&'r Rule>, person: &PersonRow) -> Option<(&'r Rule, u32)> {
    let rule = rule?;
    let months = rule.credit_monitoring_months?;
    // The same elements the action list's credit-monitoring item names (tools/rule-actions.toml).
    let elements = &rule.credit_monitoring_elements;
    let prefix = format!("{}:", rule.id);
    let basis = person.basis.iter().find(|b| b.starts_with(&prefix))?;
    let named = basis[prefix.len()..].split(['+', '(', ';', ' ', ',']).any(|word| elements.iter().any(|e| e == word.trim()));
    named.then_some((rule, months))
}

/// Builds the letter to `person` under `jurisdiction` (`rule`: its rule, if the rules file has one).
pub fn build(person: &PersonRow, jurisdiction: &str, rule: Option<&Rule>, ctx: &Context<'_>) -> Letter {
    let notice_rule = notice_rule(rule);
    let us = is_us(jurisdiction);
    let mut placeholders = Vec::new();
    let mut problems = Vec::new();
    let mut need = |clause: &'static str, value: Option<String>| -> String {
        value.unwrap_or_else(|| {
            if !placeholders.contains(&clause) {
                placeholders.push(clause);
            }
            placeholder(clause).0.to_string()
        })
    };
    let org = ctx.organisation;
    let n = ctx.notice;
    let organisation_name = need("organisation_name", org.name.clone());
    let shown_name = org.name.clone().unwrap_or_else(|| "us".to_string());
    let sections: Vec<String> = notice_rule.sections().into_iter().map(|s| s.id).collect();
    let section = |id: &str| sections.iter().any(|s| s == id);

    let mut ordered: Vec<&String> = person.data_classes.iter().collect();
    ordered.sort_by_key(|c| CLASS_ORDER.iter().position(|o| o == c).unwrap_or(CLASS_ORDER.len()));
    let classes: Vec<String> = ordered.into_iter().map(|c| class_words(c)).collect();
    let information_involved = if classes.is_empty() { String::new() } else { format!("The information involved was {}.", listing(&classes)) };
    let (first, last) = (day_of(&person.first_access), day_of(&person.last_access));
    let breach_dates = match (first, last) {
        (Some(f), Some(l)) if f == l => format!("The access to your information took place on {}.", date_words(f, us)),
        (Some(f), Some(l)) => format!("The access to your information took place between {} and {}.", date_words(f, us), date_words(l, us)),
        _ => String::new(),
    };
    let what_happened = if notice_rule.forbids("nature_of_breach") || !section("what_happened") { String::new() } else { need("what_happened", n.what_happened.clone()) };
    let law_enforcement = if notice_rule.requires("law_enforcement_delay") {
        need(
            "law_enforcement_delay",
            n.law_enforcement_delayed.map(|delayed| {
                if delayed {
                    "This notice was delayed because a law enforcement agency determined that notice would impede its criminal investigation.".to_string()
                } else {
                    "This notice was not delayed by a law enforcement investigation.".to_string()
                }
            }),
        )
    } else {
        String::new()
    };
    let likely_consequences = if section("likely_consequences") || notice_rule.requires("likely_consequences") {
        n.likely_consequences.clone().unwrap_or_else(|| consequences(person))
    } else {
        String::new()
    };
    let what_we_are_doing = need("what_we_are_doing", n.what_we_are_doing.clone());

    let mut credit_monitoring = String::new();
    let mut monitoring_note = String::new();
    if let Some((rule, months)) = monitoring_due(rule, person) {
        let cm = &n.credit_monitoring;
        let offered = cm.months.unwrap_or(months);
        if offered < months {
            problems.push(format!("{}: [notice] credit_monitoring_months = {offered}, but {} requires at least {months} months", jurisdiction, rule.id));
        }
        let provider = need("credit_monitoring_provider", cm.provider.clone());
        let url = need("credit_monitoring_url", cm.url.clone());
        let code = need("credit_monitoring_code", cm.code.clone());
        let enrol_by = need("credit_monitoring_enrol_by", cm.enrol_by.map(|d| date_words(d, us)));
        credit_monitoring = format!(
            "We are offering you {offered} months of credit monitoring and identity theft protection from {provider}, at no cost to you. To enrol, visit {url} and enter the code {code} by {enrol_by}."
        );
        if let Some(condition) = rule.notice.as_ref().map(|n| n.credit_monitoring_condition.as_str()).filter(|c| !c.is_empty()) {
            monitoring_note = format!(" Credit monitoring offer drafted ({}): {condition}.", rule.id);
        }
    } else if rule.is_some_and(|r| r.credit_monitoring_months.is_some()) && has(person, "government_issued_ids") {
        problems.push(format!(
            "{jurisdiction}: a government id of unknown type was exposed; if it is a Social Security (or other listed) number, {} requires a credit-monitoring offer, which this draft does not make",
            rule.map_or("", |r| r.id.as_str())
        ));
    }

    let what_you_can_do = advice(person, jurisdiction, &shown_name, &notice_rule).join("\n\n");
    let mut agencies: Vec<Agency> = notice_rule.agencies.iter().flat_map(|a| agency(a)).collect();
    if us && notice_rule.agencies.is_empty() && notice_rule.state_agencies.is_empty() {
        agencies.extend(agency("ftc"));
    }
    agencies.extend(notice_rule.state_agencies.iter().cloned());
    let mut agency_text = agency_lines(&agencies);
    if !agency_text.is_empty() {
        agency_text.push("You can obtain information from these sources about fraud alerts, security freezes and preventing identity theft.".to_string());
    }
    let your_rights = if section("your_rights") {
        let mut lines = Vec::new();
        if notice_rule.requires("police_report") {
            lines.push("You have the right to obtain a police report regarding this incident. If you are the victim of identity theft, you also have the right to file a police report and obtain a copy of it.".to_string());
        }
        if notice_rule.requires("security_freeze") {
            lines.push("You have the right to place a security freeze on your credit report, which stops a consumer reporting agency from releasing your credit report without your consent. There is no charge to place, lift or remove a freeze. Contact each of the three consumer reporting agencies listed above; you may be asked for your full name, Social Security number, date of birth, your addresses over the past five years, proof of your current address and a copy of a government-issued identity card.".to_string());
        }
        lines.join("\n\n")
    } else {
        String::new()
    };

    let contact_parts: Vec<String> = [n.contact.clone().or_else(|| org.contact_phone.clone()), org.contact_email.clone(), org.website.clone()]
        .into_iter()
        .flatten()
        .collect();
    let organisation_contact = need(
        "organisation_contact",
        (!contact_parts.is_empty()).then(|| {
            let mut text = format!("If you have questions, please contact {shown_name}: {}.", contact_parts.join("; "));
            if let Some(address) = &org.contact_address {
                text.push_str(&format!("\nBy post: {}", address.replace('\n', ", ")));
            }
            text
        }),
    );
    let dpo_known = org.dpo_name.is_some() || org.dpo_contact.is_some();
    let dpo_contact = if notice_rule.requires("dpo_contact") || dpo_known {
        need(
            "dpo_contact",
            dpo_known.then(|| {
                let who = org.dpo_name.clone().map_or("Our data protection officer".to_string(), |name| format!("Our data protection officer, {name},"));
                format!("{who} can be reached at {}.", org.dpo_contact.clone().unwrap_or_else(|| "the contact above".to_string()))
            }),
        )
    } else {
        String::new()
    };
    let notice_date = need("notice_date", n.notice_date.map(|d| date_words(d, us)));
    let signatory = need("signatory", n.signatory.clone());
    let address = if ctx.notice.address.is_empty() {
        need("address", None)
    } else {
        need("address", person.customer_ids.iter().filter_map(|id| ctx.addresses.get(id)).find(|a| !a.is_empty()).cloned())
    };
    let content_rules = rule.map_or_else(
        || format!("no rule for {jurisdiction} in the rules file: plain-language default"),
        |r| match &r.notice {
            Some(nr) => format!("{} ({}).{monitoring_note}", nr.citation, r.id),
            None => format!("{}: no content rule in the rules file; plain-language default", r.id),
        },
    );

    let id = format!("{}-{}", person.person_id, jurisdiction);
    let mut fields = BTreeMap::new();
    let mut set = |k: &'static str, v: String| {
        fields.insert(k, v);
    };
    set("person_id", person.person_id.clone());
    set("jurisdiction", jurisdiction.to_string());
    set("rule", rule.map(|r| r.id.clone()).unwrap_or_default());
    set("notify", person.notify.clone());
    set("name", person.name.clone());
    set("address", address);
    set("email", person.email.clone());
    set("phone", person.phone.clone());
    set("data_classes", person.data_classes.join(";"));
    set("information_involved", information_involved);
    set("breach_dates", if notice_rule.forbids("nature_of_breach") { String::new() } else { breach_dates });
    set("notice_date", notice_date);
    set("law_enforcement", law_enforcement);
    set("what_happened", what_happened);
    set("likely_consequences", likely_consequences);
    set("what_we_are_doing", what_we_are_doing);
    set("credit_monitoring", credit_monitoring);
    set("what_you_can_do", what_you_can_do);
    set("your_rights", your_rights);
    set("agencies", agency_text.join("\n"));
    set("organisation_name", organisation_name);
    set("organisation_contact", organisation_contact);
    set("dpo_contact", dpo_contact);
    set("signatory", signatory);
    set("content_rules", content_rules);
    set("placeholders", placeholders.join(";"));
    set("letter_file", format!("letters/{id}.html"));
    set("pdf_file", String::new());
    Letter { id, person_id: person.person_id.clone(), jurisdiction: jurisdiction.to_string(), fields, placeholders, problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(classes: &[&str], jurisdiction: &str, basis: &str) -> PersonRow {
        PersonRow {
            person_id: "P0001".into(),
            name: "Ann Lee".into(),
            jurisdictions: vec![jurisdiction.into()],
            data_classes: classes.iter().map(|c| c.to_string()).collect(),
            notify: "required".into(),
            basis: vec![basis.into()],
            customer_ids: vec!["C1".into()],
            first_access: "2019-06-06T09:00:00Z".into(),
            last_access: "2019-09-30T10:00:00Z".into(),
            ..Default::default()
        }
    }

    #[test]
    fn advice_follows_the_classes_exposed() {
        let rule = NoticeRule::default();
        let phone = advice(&person(&["names", "phone_numbers"], "US-TX", ""), "US-TX", "Acme", &rule).join("\n");
        assert!(phone.contains("posing as Acme support staff") && phone.contains("hang up"), "{phone}");
        assert!(!phone.contains("phishing"));
        let email = advice(&person(&["email_addresses"], "GB", ""), "GB", "Acme", &rule).join("\n");
        assert!(email.contains("phishing") && !email.contains("hang up"), "{email}");
        assert!(!email.contains("annualcreditreport"), "no US advice outside the US: {email}");
        let card = advice(&person(&["credit_cards"], "US-MA", ""), "US-MA", "Acme", &rule).join("\n");
        assert!(card.contains("fraud alert") && card.contains("statements"), "{card}");
        let creds = advice(&person(&["passwords", "usernames"], "US-IL", ""), "US-IL", "Acme", &rule).join("\n");
        assert!(creds.contains("everywhere else you used the same password"), "{creds}");
    }

    #[test]
    fn placeholders_name_what_the_case_does_not_say() {
        let org = Organisation::default();
        let notice = Notice::default();
        let addresses = BTreeMap::new();
        let ctx = Context { organisation: &org, notice: &notice, addresses: &addresses };
        let letter = build(&person(&["names", "phone_numbers"], "US-TX", "US-TX: no listed data element exposed"), "US-TX", None, &ctx);
        assert_eq!(letter.fields["organisation_name"], "[ORGANISATION NAME]");
        assert!(letter.placeholders.contains(&"organisation_name") && letter.placeholders.contains(&"what_happened"));
        assert!(letter.placeholders.contains(&"address"));
        assert_eq!(letter.fields["breach_dates"], "The access to your information took place between June 6, 2019 and September 30, 2019.");
        assert!(letter.fields["information_involved"].contains("your name and your phone number"));
    }

    #[test]
    fn monitoring_is_due_only_for_the_named_elements() {
        let rules = crate::legal::rules::RuleSet::builtin();
        let ma = rules.for_jurisdiction("US-MA");
        let ssn = person(&["names", "government_issued_ids"], "US-MA", "US-MA: name + social_security_numbers");
        assert_eq!(monitoring_due(ma, &ssn).map(|(_, m)| m), Some(18));
        let card = person(&["names", "credit_cards"], "US-MA", "US-MA: name + credit_cards");
        assert!(monitoring_due(ma, &card).is_none());
        assert!(monitoring_due(rules.for_jurisdiction("US-TX"), &ssn).is_none());
    }
}
