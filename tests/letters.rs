//! End-to-end: `breachscope letters` after `analyze`, on the fixture case in testdata/cases/letters (one
//! person per content rule) and on the demo: the content rules per jurisdiction, what each person can do,
//! placeholders and warnings without `[notice]`, `--strict`, the filings, the index and manifest, and that
//! analyze's outputs are never rewritten. The PDF test needs Chromium and pdftotext (skipped without them
//! unless CI is set).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use predicates::str::contains;

use crate::common::{bin, case_copy, read_csv, read_json};

fn analyze(case: &Path) {
    bin().arg("analyze").arg(case).arg("--quiet").assert().success();
}

/// The fixture analysed, and its letters drafted with `extra` flags (no PDF unless asked).
fn drafted(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    analyze(&case);
    let mut cmd = bin();
    cmd.arg("letters").arg(&case).args(extra);
    if !extra.contains(&"--pdf-allowed") {
        cmd.arg("--no-pdf");
    }
    cmd.assert().success();
    (dir, case_dir)
}

fn rows(case_dir: &Path) -> Vec<BTreeMap<String, String>> {
    read_csv(&case_dir.join("letters/letters.csv"))
}

/// The letter of the person whose name starts with `name`, under `jurisdiction`.
fn letter(case_dir: &Path, name: &str, jurisdiction: &str) -> String {
    let all = rows(case_dir);
    let row = all.iter().find(|r| r["name"].starts_with(name) && r["jurisdiction"] == jurisdiction).unwrap_or_else(|| panic!("no letter for {name} in {jurisdiction}"));
    std::fs::read_to_string(case_dir.join("letters").join(&row["letter_file"])).unwrap()
}

fn texts(html: &str, tag: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!(r"(?s)<{tag}>(.*?)</{tag}>")).unwrap();
    re.captures_iter(html).map(|c| c[1].trim().to_string()).collect()
}

/// A count of people in a text, as Massachusetts and Illinois forbid.
fn states_a_count(html: &str) -> bool {
    regex::Regex::new(r"(?i)\b\d[\d,]*\s+(?:[a-z]+\s+)?(residents|customers|people|individuals|persons)\b").unwrap().is_match(html)
}

#[test]
fn california_letter_has_the_title_the_headings_in_order_and_the_type_size() {
    let (_dir, case_dir) = drafted(&[]);
    let ca = letter(&case_dir, "Ann Lee", "US-CA");
    assert_eq!(texts(&ca, "h1"), ["Notice of Data Breach"]);
    assert_eq!(texts(&ca, "h2"), ["What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"]);
    let sizes = regex::Regex::new(r"font-size:\s*([0-9.]+)pt").unwrap();
    let smallest = sizes.captures_iter(&ca).map(|c| c[1].parse::<f64>().unwrap()).fold(f64::MAX, f64::min);
    assert!(smallest >= 10.0, "type below 10 points: {smallest}");
    // The content California lists: what happened, dates, law enforcement, contact, the offer, the CRAs.
    assert!(ca.contains("looked up customer records without a business reason"));
    assert!(ca.contains("The access to your information took place between June 6, 2019 and July 1, 2019."), "{ca}");
    assert!(ca.contains("This notice was not delayed by a law enforcement investigation."));
    assert!(ca.contains("November 15, 2019"));
    assert!(ca.contains("24 months of credit monitoring and identity theft protection from ExampleWatch"), "SSN exposed: the offer is due");
    assert!(ca.contains("Equifax") && ca.contains("TransUnion"));
    assert!(ca.contains("1-800-555-0199"));
    assert!(ca.contains("DRAFT"));
    // Phone numbers were exposed: the warning about fake support calls.
    assert!(ca.contains("hang up"), "{ca}");
}

#[test]
fn massachusetts_letter_states_neither_the_nature_nor_the_number() {
    let (_dir, case_dir) = drafted(&[]);
    for name in ["Bob Stone", "Hal Ito"] {
        let ma = letter(&case_dir, name, "US-MA");
        assert!(!ma.contains("looked up customer records"), "{name}: the nature of the breach is in a Massachusetts letter");
        assert!(!texts(&ma, "h2").iter().any(|h| h == "What Happened"), "{name}");
        assert!(!ma.contains("took place between"), "{name}: no description of the breach");
        assert!(!states_a_count(&ma), "{name}: a count of residents");
        assert!(ma.contains("right to obtain a police report"), "{name}");
        assert!(ma.contains("security freeze") && ma.contains("no charge"), "{name}");
    }
    // The 18-month offer is due for the SSN, not for a card number.
    assert!(letter(&case_dir, "Bob Stone", "US-MA").contains("months of credit monitoring"));
    assert!(!letter(&case_dir, "Hal Ito", "US-MA").contains("months of credit monitoring"));
}

#[test]
fn illinois_letter_holds_the_ftc_and_cra_contacts_and_no_count() {
    let (_dir, case_dir) = drafted(&[]);
    let il = letter(&case_dir, "Cara Diaz", "US-IL");
    for needed in ["Federal Trade Commission", "1-877-438-4338", "600 Pennsylvania Avenue NW", "identitytheft.gov", "Equifax", "Experian", "TransUnion"] {
        assert!(il.contains(needed), "Illinois letter lacks {needed}");
    }
    assert!(il.contains("fraud alerts, security freezes"), "the statement about what these sources tell");
    assert!(!states_a_count(&il));
    // A card number and an e-mail address, no phone: phishing and statements, not the phone warning.
    assert!(il.contains("phishing") && il.contains("statements"));
    assert!(!il.contains("hang up"));
}

#[test]
fn new_york_and_north_carolina_letters_name_their_agencies() {
    let (_dir, case_dir) = drafted(&[]);
    let ny = letter(&case_dir, "Dan Roe", "US-NY");
    assert!(ny.contains("New York State Attorney General") && ny.contains("Division of Consumer Protection") && ny.contains("Federal Trade Commission"));
    assert!(ny.contains("a government-issued identification number"), "the categories of information, in plain words");
    let nc = letter(&case_dir, "Eve Poe", "US-NC");
    assert!(nc.contains("North Carolina Department of Justice") && nc.contains("Remain vigilant"));
}

#[test]
fn gdpr_letters_only_with_include_assess_and_with_the_art_34_content() {
    let (_dir, case_dir) = drafted(&[]);
    assert!(!rows(&case_dir).iter().any(|r| r["jurisdiction"] == "DE"), "assess is not drafted by default");
    assert!(!rows(&case_dir).iter().any(|r| r["name"] == "Gus Hill"), "not_required is never drafted");
    let (_dir, case_dir) = drafted(&["--include", "assess", "--force"]);
    let de = letter(&case_dir, "Fay Wu", "DE");
    assert_eq!(texts(&de, "h2"), ["What happened", "What information was involved", "What this may mean for you", "What we are doing", "What you can do", "Who to contact"]);
    assert!(de.contains("Dana Park") && de.contains("dpo@acme.example"), "the DPO (Art. 33(3)(b))");
    assert!(de.contains("calls from people posing as our staff"), "likely consequences from the classes (Art. 33(3)(c))");
    assert!(!de.contains("annualcreditreport"), "no US advice in a GDPR letter");
}

#[test]
fn merged_values_are_escaped_and_letters_csv_is_one_row_per_letter() {
    let (_dir, case_dir) = drafted(&[]);
    let all = rows(&case_dir);
    let mut ids: Vec<(&str, &str)> = all.iter().map(|r| (r["name"].as_str(), r["jurisdiction"].as_str())).collect();
    ids.sort();
    assert_eq!(
        ids,
        [("Ann Lee", "US-CA"), ("Bob Stone", "US-MA"), ("Cara Diaz", "US-IL"), ("Dan Roe", "US-NY"), ("Eve Poe", "US-NC"), ("Hal Ito", "US-MA"), ("Ida Kay <script>", "US-CA")]
    );
    let ann = all.iter().find(|r| r["name"] == "Ann Lee").unwrap();
    assert_eq!(ann["address"], "1 Market St\nSan Francisco\n94105");
    assert_eq!(ann["information_involved"], "The information involved was your name, your e-mail address, your phone number and a government-issued identification number (such as a Social Security, driver's licence or passport number).");
    assert_eq!(ann["placeholders"], "");
    assert!(all.iter().all(|r| r["draft"].starts_with("DRAFT")));
    let ida = letter(&case_dir, "Ida Kay", "US-CA");
    assert!(ida.contains("Ida Kay &lt;script&gt;") && !ida.contains("<script>"));
    // Ida's row has no postal address: a visible placeholder, and a warning.
    assert!(ida.contains("[POSTAL ADDRESS]"));
    let manifest = read_json(&case_dir.join("letters/letters-manifest.json"));
    let warnings = manifest["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w["jurisdiction"] == "US-CA" && w["clause"] == "address" && w["letters"] == 1), "{warnings:?}");
}

#[test]
fn without_notice_letters_carry_placeholders_and_each_missing_clause_is_named() {
    let (_dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap();
    let cut = text.find("[organisation]").unwrap();
    std::fs::write(&case, &text[..cut]).unwrap();
    analyze(&case);
    bin()
        .arg("letters")
        .arg(&case)
        .arg("--strict")
        .arg("--no-pdf")
        .assert()
        .code(4)
        .stderr(contains("US-CA: clause `what_happened`"))
        .stderr(contains("nothing written"));
    assert!(!case_dir.join("letters/letters.csv").exists(), "--strict writes nothing");
    let out = bin().arg("letters").arg(&case).arg("--no-pdf").assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    for expected in [
        "US-CA: clause `organisation_name`",
        "US-CA: clause `law_enforcement_delay`",
        "US-MA: clause `credit_monitoring_provider`",
        "US-NC: clause `what_we_are_doing`",
        "set [notice] what_happened",
    ] {
        assert!(stderr.contains(expected), "stderr lacks {expected}: {stderr}");
    }
    let ca = letter(&case_dir, "Ann Lee", "US-CA");
    assert!(ca.contains("[ORGANISATION NAME]") && ca.contains("[WHAT HAPPENED: the incident in plain words]") && ca.contains("[DATE OF NOTICE]"));
    let index = std::fs::read_to_string(case_dir.join("letters/index.html")).unwrap();
    assert!(index.contains("US-CA: clause `what_happened`"), "warnings in the index too");
}

#[test]
fn a_count_in_the_notice_text_is_flagged_where_the_law_forbids_it() {
    let (_dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap().replace("We disabled the employee's access", "We are writing to all 2,310 affected customers. We disabled the employee's access");
    std::fs::write(&case, text).unwrap();
    analyze(&case);
    bin()
        .arg("letters")
        .arg(&case)
        .arg("--no-pdf")
        .assert()
        .success()
        .stderr(contains("US-IL: [notice] what_we_are_doing states a number (`2,310 affected customers`), which 815 ILCS 530/10(a) forbids"))
        .stderr(contains("US-MA: [notice] what_we_are_doing states a number"));
}

#[test]
fn filings_have_the_forms_fields_for_each_regulator_due() {
    let (_dir, case_dir) = drafted(&[]);
    let ny = read_json(&case_dir.join("letters/filings/US-NY.json"));
    assert_eq!(ny["residents_affected"], 1);
    assert_eq!(ny["residents_notified"], 1);
    assert_eq!(ny["regulator_notice"], "required");
    assert_eq!(ny["discovered"], "2019-10-28");
    assert_eq!(ny["notice_date"], "2019-11-15");
    assert_eq!(ny["organisation"]["name"], "Acme Support Ltd");
    assert!(ny["draft"].as_str().unwrap().starts_with("DRAFT"));
    assert!(ny["data_classes"].as_array().unwrap().iter().any(|c| c == "government_issued_ids"));
    let ma = read_json(&case_dir.join("letters/filings/US-MA.json"));
    assert_eq!(ma["residents_affected"], 2);
    assert!(ma["form"].as_str().unwrap().contains("OCABR"));
    // California's AG is told only above 500 residents: no filing.
    assert!(!case_dir.join("letters/filings/US-CA.json").exists());
    let md = std::fs::read_to_string(case_dir.join("letters/filings/US-NY.md")).unwrap();
    assert!(md.starts_with("# DRAFT regulator filing: US-NY"));
}

#[test]
fn the_manifest_hashes_what_was_read_and_written_and_analyze_outputs_stay_as_they_were() {
    let (_dir, case_dir) = drafted(&[]);
    let manifest = read_json(&case_dir.join("letters/letters-manifest.json"));
    let base = case_dir.join("letters");
    let sha = |path: &Path| breachscope::output::manifest::hash_file(path).unwrap().0;
    let read: Vec<&str> = manifest["read"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(read, ["manifest", "affected_people", "jurisdictions", "report"]);
    for entry in manifest["read"].as_array().unwrap().iter().chain(manifest["written"].as_array().unwrap()) {
        let path = base.join(entry["path"].as_str().unwrap());
        assert_eq!(entry["sha256"], sha(&path), "{}", path.display());
    }
    let written: Vec<&str> = manifest["written"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert!(written.contains(&"index.html") && written.contains(&"letters.csv") && written.contains(&"templates/US-CA.html"), "{written:?}");
    // analyze's outputs are untouched: its manifest still verifies.
    bin().arg("verify").arg(&case_dir).assert().success();
    // The index links every letter and filing.
    let index = std::fs::read_to_string(base.join("index.html")).unwrap();
    for w in &written {
        if w.starts_with("letters/") || w.starts_with("filings/") {
            assert!(index.contains(&format!("href=\"{w}\"")), "index.html does not link {w}");
        }
    }
    assert!(index.contains("DRAFT"));
    for template in std::fs::read_dir(base.join("templates")).unwrap() {
        assert!(std::fs::read_to_string(template.unwrap().path()).unwrap().contains("DRAFT"));
    }
}

#[test]
fn letters_never_overwrite_analyze_outputs_or_their_own_files_without_force() {
    let (_dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    bin().arg("analyze").arg(&case).arg("--quiet").arg("--html").arg(case_dir.join("index.html")).assert().success();
    let before = std::fs::read(case_dir.join("index.html")).unwrap();
    bin()
        .arg("letters")
        .arg(&case)
        .arg("--no-pdf")
        .arg("--out")
        .arg(&case_dir)
        .arg("--force")
        .assert()
        .code(2)
        .stderr(contains("is a file of the analyze run"));
    assert_eq!(std::fs::read(case_dir.join("index.html")).unwrap(), before);
    bin().arg("letters").arg(&case).arg("--no-pdf").assert().success();
    bin().arg("letters").arg(&case).arg("--no-pdf").assert().code(2).stderr(contains("already exists"));
    bin().arg("letters").arg(&case).arg("--no-pdf").arg("--force").assert().success();
    bin().arg("verify").arg(&case_dir).assert().success();
}

#[test]
fn an_edited_people_list_is_refused() {
    let (_dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    analyze(&case);
    let people = case_dir.join("affected_people.csv");
    let text = std::fs::read_to_string(&people).unwrap().replace("Ann Lee", "Anne Lee");
    std::fs::write(&people, text).unwrap();
    bin().arg("letters").arg(&case).arg("--no-pdf").assert().code(2).stderr(contains("affected_people.csv")).stderr(contains("differs from"));
}

#[test]
fn a_template_that_drops_a_prescribed_heading_is_refused() {
    let (dir, case_dir) = case_copy("letters");
    let case = case_dir.join("case.toml");
    analyze(&case);
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("US-CA.html"),
        "<html><body><h1>Notice of Data Breach</h1><h2>What Happened</h2>{{what_happened}}{{breach_dates}}{{law_enforcement}}<h2>What We Are Doing</h2>{{what_we_are_doing}}{{credit_monitoring}}{{organisation_contact}}{{information_involved}}{{notice_date}}{{agencies}}</body></html>",
    )
    .unwrap();
    bin()
        .arg("letters")
        .arg(&case)
        .arg("--no-pdf")
        .arg("--template")
        .arg(&templates)
        .assert()
        .code(2)
        .stderr(contains("US-CA.html"))
        .stderr(contains("the heading `What Information Was Involved` is missing or out of order"));
    // A default template for the others, with a typo in a marker: named with its line and column.
    std::fs::remove_file(templates.join("US-CA.html")).unwrap();
    std::fs::write(templates.join("default.html"), "<html><body>\n<p>{{nmae}}</p></body></html>").unwrap();
    bin().arg("letters").arg(&case).arg("--no-pdf").arg("--template").arg(&templates).assert().code(2).stderr(contains("default.html:2:4")).stderr(contains("`{{nmae}}` is no merge field"));
}

fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/usr/local/bin"].iter().map(|d| Path::new(d).join(name)).find(|p| p.exists())
}

#[test]
fn the_demo_drafts_letters_for_its_jurisdictions_and_a_pdf_shows_the_headings() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    bin().arg("demo").arg(&demo).arg("--quiet").assert().success();
    let chromium = std::env::var_os("BREACHSCOPE_CHROMIUM").map(PathBuf::from).or_else(|| tool("chromium")).or_else(|| tool("chromium-browser"));
    let pdftotext = tool("pdftotext");
    let mut cmd = bin();
    cmd.arg("letters").arg(demo.join("case.toml")).args(["--include", "assess", "--sample", "5"]);
    if chromium.is_none() {
        cmd.arg("--no-pdf");
    }
    cmd.assert().success().stderr(contains("Letters drafted"));
    let all = read_csv(&demo.join("letters/letters.csv"));
    let mut jurisdictions: Vec<&str> = all.iter().map(|r| r["jurisdiction"].as_str()).collect();
    jurisdictions.sort();
    jurisdictions.dedup();
    // The demo's people are `assess` under GDPR, UK GDPR, PIPEDA and NDB (no US state duty).
    assert_eq!(jurisdictions, ["AU", "CA", "DE", "GB", "US-CA"], "the demo's letters");
    let printable: Vec<&BTreeMap<String, String>> = all.iter().filter(|r| !r["letter_file"].is_empty()).collect();
    assert_eq!(printable.len(), 5, "--sample 5: one of each jurisdiction");
    // Every demo letter carries placeholders (the demo case has no [notice]).
    assert!(all.iter().all(|r| r["placeholders"].contains("organisation_name")));
    let (Some(_), Some(pdftotext)) = (chromium, pdftotext) else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium and pdftotext are required in CI (apt-get install -y chromium poppler-utils)");
        }
        eprintln!("skipped the PDF check: no chromium or pdftotext (set CI=1 to make this a failure)");
        return;
    };
    let gb = printable.iter().find(|r| r["jurisdiction"] == "GB").expect("the sample takes a letter of each jurisdiction in turn");
    assert!(!gb["pdf_file"].is_empty(), "{gb:?}");
    let pdf = demo.join("letters").join(&gb["pdf_file"]);
    let out = Process::new(pdftotext).arg("-layout").arg(&pdf).arg("-").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in ["What happened", "What information was involved", "What this may mean for you", "What we are doing", "What you can do", "Who to contact", "DRAFT"] {
        assert!(text.contains(heading), "the PDF lacks {heading}: {text}");
    }
}
