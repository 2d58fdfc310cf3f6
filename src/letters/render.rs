//! Letter templates: the built-in one per jurisdiction (sections, headings, title and type size from the
//! rule's content rules, compiled in from `letter.html`), or the user's (`--template DIR`: `US-CA.html`,
//! the rule id `EU-GDPR.html`, or `default.html`), with `{{field}}` markers for the merge fields. Every
//! merged value is HTML-escaped. Each template is checked against its rule before any letter is drafted:
//! the title, the prescribed headings in order, the minimum type size, the markers of required clauses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};
use crate::legal::notice::NoticeRule;
use crate::letters::merge::{Letter, FIELDS};
use crate::output::html::esc;

const FRAME: &str = include_str!("letter.html");

/// The body text size of the built-in letters, in points (the small print is never below the rule's minimum).
const BODY_PT: u32 = 11;

/// A template ready to fill: its text and where it came from.
#[derive(Clone, Debug)]
pub struct Template {
    pub text: String,
    /// `built-in` or the file.
    pub source: String,
}

fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\{\{\s*([A-Za-z0-9_@.-]*)\s*\}\}").expect("static regex"))
}

/// The fields each section prints (a field whose section a rule leaves out goes to "Further information"
/// when it has content, so nothing is dropped silently).
fn section_fields(section: &str) -> &'static [&'static str] {
    match section {
        "what_happened" => &["what_happened", "breach_dates", "law_enforcement"],
        "information_involved" => &["information_involved"],
        "likely_consequences" => &["likely_consequences"],
        "what_we_are_doing" => &["what_we_are_doing", "credit_monitoring"],
        "what_you_can_do" => &["what_you_can_do", "agencies"],
        "your_rights" => &["your_rights"],
        "more_information" => &["organisation_contact", "dpo_contact"],
        _ => &[],
    }
}

const BODY_FIELDS: [&str; 13] = [
    "what_happened",
    "breach_dates",
    "law_enforcement",
    "information_involved",
    "likely_consequences",
    "what_we_are_doing",
    "credit_monitoring",
    "what_you_can_do",
    "agencies",
    "your_rights",
    "organisation_contact",
    "dpo_contact",
    "content_rules",
];

fn field(name: &str) -> String {
    format!("<div class=\"field\" data-field=\"{name}\">{{{{{name}}}}}</div>\n")
}

/// The built-in template of a jurisdiction whose content rules are `rule` (`us`: US letter paper and dates).
pub fn builtin(rule: &NoticeRule, rule_note: &str, us: bool) -> Template {
    let title = rule.title.clone().unwrap_or_else(|| "Notice of Data Breach".to_string());
    let mut body = String::new();
    body.push_str("<div class=\"sender\"><strong>{{organisation_name}}</strong></div>\n");
    body.push_str("<div class=\"date\">{{notice_date}}</div>\n");
    body.push_str("<div class=\"recipient\">{{name}}<br>\n{{address}}</div>\n");
    body.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    body.push_str("<p>Dear {{name}},</p>\n");
    body.push_str("<p>We are writing to tell you about an incident that involved some of your personal information, what we are doing about it and what you can do.</p>\n");
    let mut placed: Vec<&str> = vec!["content_rules"];
    for section in rule.sections() {
        body.push_str(&format!("<h2>{}</h2>\n", esc(&section.heading)));
        for f in section_fields(&section.id) {
            body.push_str(&field(f));
            placed.push(f);
        }
    }
    let left: Vec<&str> = BODY_FIELDS.iter().copied().filter(|f| !placed.contains(f) && *f != "what_happened" && *f != "breach_dates").collect();
    if !left.is_empty() {
        body.push_str("<div class=\"further\">\n");
        for f in left {
            body.push_str(&field(f));
        }
        body.push_str("</div>\n");
    }
    body.push_str("<p>Sincerely,</p>\n<p>{{signatory}}<br>{{organisation_name}}</p>\n");
    let small = rule.min_font_pt.unwrap_or(10).max(10);
    let text = FRAME
        .replace("@@TITLE@@", &esc(&title))
        .replace("@@PAGE@@", if us { "letter" } else { "A4" })
        .replace("@@BODY_PT@@", &BODY_PT.max(small).to_string())
        .replace("@@SMALL_PT@@", &small.to_string())
        .replace("@@RULE_NOTE@@", &if rule_note.is_empty() { String::new() } else { format!("<p>{}</p>", esc(rule_note)) })
        .replace("@@BODY@@", &body);
    Template { text, source: "built-in".to_string() }
}

/// The user's template for a jurisdiction in `dir`: `<jurisdiction>.html`, `<rule id>.html`, else `default.html`.
pub fn custom(dir: &Path, jurisdiction: &str, rule_id: Option<&str>) -> Result<Option<Template>> {
    let mut names = vec![format!("{jurisdiction}.html")];
    if let Some(id) = rule_id {
        names.push(format!("{id}.html"));
    }
    names.push("default.html".to_string());
    for name in names {
        let path = dir.join(&name);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
            // Unknown markers are named at their place in the file as written (before the DRAFT mark is added).
            if let Some((line, column, name)) = unknown_marker(&Template { text: text.clone(), source: String::new() }) {
                return Err(Error::input_at(&path, line, column, format!("`{{{{{name}}}}}` is no merge field (fields: {})", FIELDS.join(", "))));
            }
            let text = with_draft_mark(text);
            return Ok(Some(Template { text, source: path.display().to_string() }));
        }
    }
    Ok(None)
}

/// A user's template without the word DRAFT gets the banner after `<body>` (every letter is a draft).
fn with_draft_mark(text: String) -> String {
    if text.contains("DRAFT") {
        return text;
    }
    let banner = "<div class=\"draft\" style=\"border:2pt solid #a00;color:#a00;font-weight:bold;text-align:center\">DRAFT for counsel's review: not to be sent as it stands</div>";
    match text.find("<body").and_then(|i| text[i..].find('>').map(|j| i + j + 1)) {
        Some(at) => format!("{}\n{banner}{}", &text[..at], &text[at..]),
        None => format!("{banner}\n{text}"),
    }
}

/// The field a clause is printed by (for the check that a template can print what its rule requires).
fn clause_field(clause: &str) -> Option<&'static str> {
    Some(match clause {
        "organisation_contact" => "organisation_contact",
        "information_involved" => "information_involved",
        "breach_dates" => "breach_dates",
        "notice_date" => "notice_date",
        "law_enforcement_delay" => "law_enforcement",
        "what_happened" => "what_happened",
        "what_we_are_doing" => "what_we_are_doing",
        "credit_monitoring" => "credit_monitoring",
        "dpo_contact" => "dpo_contact",
        "likely_consequences" => "likely_consequences",
        _ => return None,
    })
}

/// The text between the tags of every `<tag>` element, markup removed.
fn elements(html: &str, tag: &str) -> Vec<String> {
    let re = Regex::new(&format!(r"(?is)<{tag}(?:\s[^>]*)?>(.*?)</{tag}>")).expect("tag regex");
    let strip = Regex::new(r"(?s)<[^>]*>").expect("static regex");
    re.captures_iter(html).map(|c| unescape(&strip.replace_all(&c[1], "")).split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&#x27;", "'").replace("&amp;", "&")
}

/// Checks a template against its content rules; each problem names the rule's citation.
pub fn check(template: &Template, rule: &NoticeRule, has_agencies: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let cite = if rule.citation.is_empty() { String::new() } else { format!(" ({})", rule.citation) };
    if let Some(title) = &rule.title {
        if !elements(&template.text, "h1").iter().any(|h| h == title) {
            problems.push(format!("the title `{title}` is not the letter's <h1>{cite}"));
        }
    }
    if rule.headings_prescribed {
        let wanted: Vec<String> = rule.sections().into_iter().map(|s| s.heading).collect();
        let found = elements(&template.text, "h2");
        let mut at = 0;
        for heading in &wanted {
            match found[at..].iter().position(|h| h == heading) {
                Some(i) => at += i + 1,
                None => {
                    problems.push(format!("the heading `{heading}` is missing or out of order (the headings must be, in order: {}){cite}", wanted.join(", ")));
                    break;
                }
            }
        }
    }
    if let Some(min) = rule.min_font_pt {
        let re = Regex::new(r"font-size\s*:\s*([0-9.]+)\s*(pt|px)").expect("static regex");
        for c in re.captures_iter(&template.text) {
            let size: f64 = c[1].parse().unwrap_or(0.0);
            let pt = if &c[2] == "px" { size * 0.75 } else { size };
            if pt + 1e-9 < f64::from(min) {
                problems.push(format!("type size {}{} is below the minimum of {min} points{cite}", &c[1], &c[2]));
            }
        }
    }
    let markers: Vec<String> = marker_re().captures_iter(&template.text).map(|c| c[1].to_string()).collect();
    for clause in &rule.require {
        if let Some(f) = clause_field(clause) {
            if !markers.iter().any(|m| m == f) {
                problems.push(format!("the required clause `{clause}` has no `{{{{{f}}}}}` marker{cite}"));
            }
        }
    }
    if has_agencies && !markers.iter().any(|m| m == "agencies") {
        problems.push(format!("the agencies' contacts the rule requires have no `{{{{agencies}}}}` marker{cite}"));
    }
    if !template.text.contains("DRAFT") {
        problems.push("the template is not marked DRAFT".to_string());
    }
    problems
}

/// Markers that are no merge field (a typo would print nothing): the first, as (line, column, name).
pub fn unknown_marker(template: &Template) -> Option<(u64, u64, String)> {
    marker_re().captures_iter(&template.text).find(|c| !FIELDS.contains(&&c[1])).map(|c| {
        let (line, column) = crate::legal::rules::line_col(&template.text, c.get(0).expect("whole match").start());
        (line, column, c[1].to_string())
    })
}

/// A merged value as HTML: escaped, blank lines as paragraphs, single line breaks as `<br>`.
pub fn html_value(value: &str) -> String {
    let paragraphs: Vec<String> = value.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(|p| esc(p).replace('\n', "<br>\n")).collect();
    match paragraphs.len() {
        0 => String::new(),
        1 if !value.contains("\n\n") => paragraphs[0].clone(),
        _ => format!("<p>{}</p>", paragraphs.join("</p>\n<p>")),
    }
}

/// The letter: the template with every marker replaced by the letter's value, escaped.
pub fn fill(template: &Template, letter: &Letter) -> String {
    marker_re()
        .replace_all(&template.text, |c: &regex::Captures<'_>| letter.fields.get(&c[1]).map(|v| html_value(v)).unwrap_or_default())
        .into_owned()
}

/// Where a template came from, for the index and the manifest.
pub fn template_file(dir: &Path, jurisdiction: &str) -> PathBuf {
    dir.join("templates").join(format!("{jurisdiction}.html"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legal::notice::Section;

    fn california() -> NoticeRule {
        NoticeRule {
            citation: "Cal. Civ. Code §1798.82(d)".into(),
            title: Some("Notice of Data Breach".into()),
            sections: ["What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"]
                .iter()
                .zip(["what_happened", "information_involved", "what_we_are_doing", "what_you_can_do", "more_information"])
                .map(|(h, id)| Section { id: id.into(), heading: h.to_string() })
                .collect(),
            headings_prescribed: true,
            min_font_pt: Some(10),
            require: vec!["what_happened".into(), "notice_date".into()],
            ..Default::default()
        }
    }

    #[test]
    fn the_builtin_template_passes_its_own_checks() {
        let t = builtin(&california(), "", true);
        assert_eq!(check(&t, &california(), false), Vec::<String>::new());
        assert_eq!(unknown_marker(&t), None);
        assert_eq!(elements(&t.text, "h2")[..2], ["What Happened".to_string(), "What Information Was Involved".to_string()]);
    }

    #[test]
    fn a_template_that_breaks_the_rule_is_named() {
        let mut t = builtin(&california(), "", true);
        t.text = t.text.replace("<h2>What We Are Doing</h2>", "<h2>Our Response</h2>").replace("font-size: 10pt", "font-size: 8pt");
        let problems = check(&t, &california(), false);
        assert!(problems.iter().any(|p| p.contains("`What We Are Doing` is missing or out of order")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("8pt is below the minimum of 10")), "{problems:?}");
        t.text = t.text.replace("{{what_happened}}", "").replace("{{notice_date}}", "{{notice_dat}}");
        assert!(check(&t, &california(), false).iter().any(|p| p.contains("`what_happened` has no")));
        assert_eq!(unknown_marker(&t).map(|m| m.2), Some("notice_dat".to_string()));
    }

    #[test]
    fn values_are_escaped_and_paragraphs_kept() {
        assert_eq!(html_value("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(html_value("a\n\nb & c"), "<p>a</p>\n<p>b &amp; c</p>");
        assert_eq!(html_value("1 Main St\nBoston"), "1 Main St<br>\nBoston");
        assert_eq!(with_draft_mark("<html><body><p>x</p></body></html>".into()).matches("DRAFT").count(), 1);
    }
}
