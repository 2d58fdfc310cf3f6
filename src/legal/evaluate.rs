//! The legal stage, after exposure: free-text findings added to the rows, then customer rows grouped into
//! people, each person's jurisdiction, and under that jurisdiction's rule whether they must be notified,
//! why, by when and whom else to tell; a per-jurisdiction summary; and the statement.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::case::Case;
use crate::classes::DataClass;
use crate::legal::freetext::{Finding, Kind, ValueGuesses};
use crate::legal::people::{self, MergeStats, RowKeys};
use crate::legal::report::{AssumedDuty, FreeTextReport, JurisdictionSummary, LegalReport, Options, Outcome, Per, Person, DISCLAIMER};
use crate::legal::rules::{self, Counts, Decision, Exposed, Notify, Protected, Rule, RuleSet};
use crate::legal::{actions, deadline, jurisdiction, statement};
use crate::stages::exposure::{CustomerExposure, ExposureSummary};

/// Adds the classes found in free text to the customers' rows and corrects the summary: a class found
/// in a ticket note is exposed, whatever the columns say (resting on an assumed view where the note was
/// exposed only under one), and is held (in free text) even where no column holds it.
pub fn apply_findings(rows: &mut [CustomerExposure], summary: &mut ExposureSummary, findings: &[Finding]) {
    // Per customer: class → found where the column was exposed without an assumption.
    let mut by_customer: BTreeMap<&str, BTreeMap<DataClass, bool>> = BTreeMap::new();
    for f in findings {
        *by_customer.entry(&f.customer_id).or_default().entry(f.class).or_default() |= !f.assumed;
    }
    for row in rows.iter_mut() {
        if let Some(found) = by_customer.get(row.customer_id.as_str()) {
            let had: BTreeSet<DataClass> = row.data_classes.iter().copied().collect();
            let mut assumed: BTreeSet<DataClass> = row.assumed_classes.iter().copied().collect();
            for (class, confirmed) in found {
                if *confirmed {
                    assumed.remove(class);
                } else if !had.contains(class) {
                    assumed.insert(*class);
                }
            }
            let mut all = had;
            all.extend(found.keys());
            row.data_classes = all.into_iter().collect();
            row.data_classes.sort_by_key(|c| c.as_str());
            row.assumed_classes = assumed.into_iter().collect();
            row.assumed_classes.sort_by_key(|c| c.as_str());
        }
    }
    (summary.by_class, summary.by_class_assumed) = crate::stages::exposure::class_counts(rows);
    // A class found in free text is held, in that column, whatever the columns' names say.
    let mut found_in: BTreeMap<DataClass, BTreeSet<String>> = BTreeMap::new();
    for f in findings {
        found_in.entry(f.class).or_default().insert(format!("{} (free text)", f.found_in));
    }
    for (class, columns) in found_in {
        match summary.held.iter_mut().find(|h| h.class == class) {
            Some(held) => held.columns.extend(columns.into_iter().filter(|c| !held.columns.contains(c)).collect::<Vec<_>>()),
            None => summary.held.push(crate::stages::exposure::ClassHolding { class, columns: columns.into_iter().collect(), customers_exposed: 0, customers_assumed: 0 }),
        }
        summary.sensitive_not_held.retain(|c| *c != class);
    }
    summary.held.sort_by_key(|h| h.class);
    for held in &mut summary.held {
        held.customers_exposed = summary.by_class.get(held.class.as_str()).copied().unwrap_or(0);
        held.customers_assumed = summary.by_class_assumed.get(held.class.as_str()).copied().unwrap_or(0);
    }
    summary.sensitive_not_held.retain(|c| !summary.by_class.contains_key(c.as_str()));
    crate::stages::exposure::settle_not_exposed(summary);
}

/// The rules' elements one customer row exposed: from its exposed columns (by class and column name)
/// and the kinds found in its free text. An element that only hashed, encrypted or tokenised columns
/// gave (declared in `[protection]`, or guessed from the column's name) is marked so the statute's
/// encryption clause can be applied.
pub fn exposed_elements(case: &Case, row: &CustomerExposure, kinds: &BTreeSet<Kind>, values: &ValueGuesses) -> Exposed {
    let mut e = Exposed::default();
    // Element → (plain source seen, protected sources).
    let mut sources: BTreeMap<&'static str, (bool, Vec<Protected>)> = BTreeMap::new();
    fn add(sources: &mut BTreeMap<&'static str, (bool, Vec<Protected>)>, element: &'static str, protected: Option<Protected>) {
        let entry = sources.entry(element).or_default();
        match protected {
            Some(p) => entry.1.push(p),
            None => entry.0 = true,
        }
    }
    let mut login = false;
    let mut login_protected: Option<Protected> = None;
    for field in &row.exposed_fields {
        let Some(id) = case.schema.field(field) else { continue };
        let Some(class) = case.schema.field_classes[id] else { continue };
        let column = field.rsplit('.').next().unwrap_or(field).to_lowercase();
        let words: Vec<&str> = column.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let has = |parts: &[&str]| parts.iter().any(|w| column.contains(w));
        let word = |parts: &[&str]| parts.iter().any(|w| words.contains(w));
        // (Most cases guess no values: then no key, with its copy of the customer id, is made per field.)
        let looked = if values.is_empty() { None } else { values.get(&(row.customer_id.clone(), id)).copied() };
        let protected = protection_of(case, id, field, &words, looked);
        match class {
            DataClass::Names => e.name = true,
            DataClass::EmailAddresses | DataClass::Usernames => login = true,
            DataClass::CreditCards => {
                if has(&["cvv", "cvc", "csc", "security_code", "expir", "exp_"]) || word(&["pin"]) {
                    add(&mut sources, "credit_cards_with_code", protected);
                } else {
                    add(&mut sources, "credit_cards", protected);
                }
            }
            DataClass::BankAccountNumbers => {
                // A bank's identifier (BIC/SWIFT, routing or sort code) is no account number.
                if word(&["bic", "swift", "routing", "aba", "sort", "sortcode", "blz", "bsb"]) || has(&["sort_code", "bank_code", "bank_name", "routing", "swift"]) {
                    continue;
                }
                if word(&["pin", "code", "password", "passcode"]) {
                    add(&mut sources, "bank_account_numbers_with_code", protected);
                } else {
                    add(&mut sources, "bank_account_numbers", protected);
                }
            }
            DataClass::GovernmentIssuedIds => {
                let element = if has(&["ssn", "social"]) {
                    "social_security_numbers"
                } else if has(&["driver", "licen", "dl_number"]) || word(&["dl"]) {
                    "drivers_licenses"
                } else if has(&["passport"]) {
                    "passport_numbers"
                } else if has(&["military"]) {
                    "military_ids"
                } else if word(&["itin", "tin", "tax", "ein"]) || has(&["taxpayer", "tax_id"]) {
                    "taxpayer_ids"
                } else {
                    // A state or national id card, or an id of unknown type.
                    "government_issued_ids"
                };
                add(&mut sources, element, protected);
            }
            DataClass::Passwords => {
                e.secret = true;
                if let Some(p) = protected {
                    login_protected.get_or_insert(p);
                } else {
                    add(&mut sources, "online_credentials", None);
                }
            }
            DataClass::DatesOfBirth => add(&mut sources, "dates_of_birth", protected),
            DataClass::GeographicLocations => {
                // Coordinates, never a country, state, region or city.
                if word(&["lat", "latitude", "lon", "lng", "long", "longitude", "geo", "geolocation", "coordinates", "coords", "gps", "latlng", "latlon", "geohash"])
                    || has(&["latitude", "longitude", "geoloc", "coordinate"])
                {
                    add(&mut sources, "precise_geolocation", None);
                }
            }
            _ => {}
        }
    }
    for kind in kinds {
        match kind {
            Kind::CardNumber => add(&mut sources, "credit_cards", None),
            Kind::Ssn => add(&mut sources, "social_security_numbers", None),
            Kind::Iban => add(&mut sources, "bank_account_numbers", None),
            Kind::Password => {
                e.secret = true;
                add(&mut sources, "online_credentials", None);
            }
            Kind::DateOfBirth => add(&mut sources, "dates_of_birth", None),
        }
    }
    // A password column gives credentials only with a login (an e-mail or user name) beside it.
    let credentials = sources.remove("online_credentials");
    if e.secret && login {
        match credentials {
            Some((true, _)) => add(&mut sources, "online_credentials", None),
            _ => {
                if let Some(p) = login_protected {
                    add(&mut sources, "online_credentials", Some(p));
                }
            }
        }
    }
    for (element, (plain, protected)) in sources {
        e.elements.insert(element.to_string());
        if !plain {
            if let Some(p) = protected.into_iter().next() {
                e.protected.insert(element.to_string(), p);
            }
        }
    }
    e
}

/// Whether an exposed column's values are protected: as `[protection]` declares, else guessed from the
/// column's name (`password_hash`, `ssn_encrypted`, `card_token`, `enc_...`) or from the look of its exposed
/// cells (`looked`: bcrypt/argon2/SHA hex, `enc:`, `tok_`).
fn protection_of(case: &Case, id: crate::case::schema::FieldId, field: &str, words: &[&str], looked: Option<&'static str>) -> Option<Protected> {
    use crate::case::Protection;
    if let Some(p) = case.protection.get(&id) {
        return match p {
            Protection::Plain => None,
            _ => Some(Protected { what: format!("{field}: {} (declared in [protection])", p.as_str()), declared: true, key_exposed: *p == Protection::EncryptedKeyExposed }),
        };
    }
    let guessed = |how: &str| Some(Protected { what: format!("{field}: {how} (guessed from the column's name)"), declared: false, key_exposed: false });
    if words.iter().any(|w| ["hash", "hashed", "digest", "bcrypt", "argon2", "sha1", "sha256", "sha512", "md5", "pbkdf2", "scrypt"].contains(w)) {
        guessed("hashed")
    } else if words.iter().any(|w| ["enc", "encrypted", "cipher", "ciphertext", "crypt"].contains(w)) {
        guessed("encrypted")
    } else if words.iter().any(|w| ["token", "tokenised", "tokenized", "tok"].contains(w)) {
        guessed("tokenised")
    } else {
        looked.map(|how| Protected { what: format!("{field}: {how} (guessed from its values)"), declared: false, key_exposed: false })
    }
}

/// Groups the rows into people, finds their jurisdictions and decides their duties, in four phases: locate
/// each row, group rows into people, decide each person's duties, summarise.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    case: &Case,
    rows: &[CustomerExposure],
    summary: &ExposureSummary,
    findings: &[Finding],
    columns_scanned: Vec<String>,
    value_guesses: &ValueGuesses,
    rules: &RuleSet,
    options: &Options,
    people_final: &mut dyn FnMut(&Arc<Vec<Person>>),
) -> Outcome {
    let free_text = FreeTextByCustomer::new(findings);
    let located = locate(rows);
    // People are grouped one row after another (27 ms for 68,000 rows); the rows' common exposures are
    // found on the other core meanwhile.
    let ((members, person_of_row, merges), common) =
        rayon::join(|| group_people(rows, &located.keys, options.per), || CommonExposures::new(case, rows, &free_text, value_guesses));
    // The law in force on the date of the breach (its first access) decides.
    let breach_date = rows.iter().map(|r| r.first_access).min().map(|t| t.date_naive());
    let law = RulesAtBreach::new(rules, breach_date, &case.clock);
    // Each person decided on every core (a person's decision reads only shared data).
    let (mut persons, mut person_of): (Vec<Person>, Vec<usize>) = members
        .par_iter()
        .map_init(Decided::default, |decided, rows_of| {
            (decide_person(case, rows, &located, &free_text, value_guesses, &common, &law, decided, rows_of), person_of_row[rows_of[0]])
        })
        .unzip();
    // People in the order of their customer ids. Usually they come in it (rows are sorted by key): then no
    // person is moved (moving 68,000 people of some 500 bytes through a sort and back out of pairs was most
    // of 23 ms). Otherwise sorted as before, in pairs: an unstable sort is deterministic, and needs no buffer.
    if !persons.is_sorted_by(|a, b| a.customer_ids <= b.customer_ids) {
        let mut pairs: Vec<(Person, usize)> = persons.into_iter().zip(person_of).collect();
        pairs.sort_unstable_by(|a, b| a.0.customer_ids.cmp(&b.0.customer_ids));
        (persons, person_of) = pairs.into_iter().unzip();
    }
    let width = persons.len().to_string().len().max(4);
    persons.par_iter_mut().enumerate().for_each(|(i, p)| p.person_id = format!("P{:0width$}", i + 1));
    let jurisdictions = summarise(&persons, &person_of, rules, &case.clock, breach_date);
    fill_regulators(&mut persons, &jurisdictions, rules);
    // The people are final: `people_final` may start writing them while the report is made from them.
    let persons = Arc::new(persons);
    people_final(&persons);
    let report = summarise_report(case, rows, summary, findings, columns_scanned, rules, options, &persons, &free_text, located.rows_jurisdiction_from, merges, jurisdictions);
    Outcome { people: persons, report }
}

/// Each person's `regulator` column: per jurisdiction where a duty may apply, the regulator when its
/// notice is due (or a question), and why not where the threshold is not reached.
fn fill_regulators(persons: &mut [Person], summaries: &[JurisdictionSummary], rules: &RuleSet) {
    // On every core: each person's column reads only the summaries.
    persons.par_iter_mut().for_each(|p| {
        p.regulator.clear();
        for (j, duty) in &p.duties {
            let (Some(rule), Some(s)) = (rules.for_jurisdiction(j), summaries.iter().find(|s| &s.jurisdiction == j)) else { continue };
            if *duty == Notify::NotRequired {
                continue;
            }
            let who = rule.regulator.as_deref().unwrap_or("none");
            let counted = format!("{} notified, {} to assess", s.notify_required, s.notify_assess);
            p.regulator.push(match s.regulator_notice.as_str() {
                "required" => format!("{}: {who}", rule.id),
                "assess" => format!("{}: {who} (assess: threshold {} people, {counted})", rule.id, s.regulator_threshold.unwrap_or(0)),
                "not_required" => format!("{}: {who} not required (threshold {} people, {counted})", rule.id, s.regulator_threshold.unwrap_or(0)),
                _ => format!("{}: none", rule.id),
            });
        }
    });
}

/// The free-text findings by customer: the rules' kinds found, and where.
struct FreeTextByCustomer<'a> {
    kinds: BTreeMap<&'a str, BTreeSet<Kind>>,
    /// The kinds found in columns exposed without an assumed view.
    confirmed: BTreeMap<&'a str, BTreeSet<Kind>>,
    found_in: BTreeMap<&'a str, BTreeSet<String>>,
}

impl<'a> FreeTextByCustomer<'a> {
    fn new(findings: &'a [Finding]) -> Self {
        let mut kinds: BTreeMap<&str, BTreeSet<Kind>> = BTreeMap::new();
        let mut confirmed: BTreeMap<&str, BTreeSet<Kind>> = BTreeMap::new();
        let mut found_in: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for f in findings {
            kinds.entry(&f.customer_id).or_default().insert(f.kind);
            if !f.assumed {
                confirmed.entry(&f.customer_id).or_default().insert(f.kind);
            }
            found_in.entry(&f.customer_id).or_default().insert(format!("{}[{}]: {}", f.found_in, f.record, f.class));
        }
        FreeTextByCustomer { kinds, confirmed, found_in }
    }
}

/// The exposed elements of the rows that only their exposed columns decide (no free-text finding, no value
/// guessed as protected), made once per list of columns: most rows share a handful of lists, and making
/// the elements (column names lower-cased and cut into words) was about a seventh of the legal phase's CPU (perf).
/// Each row's list is looked up here once: hashing the lists again while deciding each person was a tenth of
/// deciding them (perf).
struct CommonExposures {
    exposures: Vec<Exposed>,
    /// Per row, its index in `exposures`, or `NONE` when its free text or values decide too.
    of_row: Vec<u32>,
}

impl CommonExposures {
    const NONE: u32 = u32::MAX;

    fn new(case: &Case, rows: &[CustomerExposure], free_text: &FreeTextByCustomer<'_>, values: &ValueGuesses) -> CommonExposures {
        let mut exposures = Vec::new();
        let mut of_row = vec![Self::NONE; rows.len()];
        if values.is_empty() {
            let mut by_fields: foldhash::HashMap<&[String], u32> = foldhash::HashMap::default();
            for (i, row) in rows.iter().enumerate().filter(|(_, row)| !free_text.kinds.contains_key(row.customer_id.as_str())) {
                of_row[i] = *by_fields.entry(row.exposed_fields.as_slice()).or_insert_with(|| {
                    exposures.push(exposed_elements(case, row, &BTreeSet::new(), values));
                    (exposures.len() - 1) as u32
                });
            }
        }
        CommonExposures { exposures, of_row }
    }

    /// Row `i`'s exposed elements, if only its columns decide them (`kinds`: its free-text findings).
    fn of(&self, i: usize, kinds: &BTreeSet<Kind>) -> Option<&Exposed> {
        match self.of_row[i] {
            Self::NONE => None,
            _ if !kinds.is_empty() => None,
            index => Some(&self.exposures[index as usize]),
        }
    }
}

/// Per row: the keys that group rows into people, and where the person lives.
struct Located {
    keys: Vec<RowKeys>,
    jurisdiction: Vec<String>,
    rows_jurisdiction_from: BTreeMap<String, usize>,
    /// Rows whose state was inferred from a bare state code (row, `US-XX`), named in the basis.
    inferred_state: Vec<(usize, String)>,
}

/// Phase 1: each row's grouping keys and jurisdiction. Phone numbers are parsed and jurisdictions found on
/// every core (the costliest per-row steps), in row order; a phone's country is looked up only when the
/// address does not give the jurisdiction.
fn locate(rows: &[CustomerExposure]) -> Located {
    // The rows' grouping keys are made here too: normalising names and addresses one row after another
    // was a tenth of the legal phase.
    let places: Vec<(String, jurisdiction::Source, RowKeys)> = {
        rows.par_iter()
            .map(|row| {
                // Most numbers are North American in a common shape: their E.164 form without the parser,
                // which is then asked only when the address does not give the jurisdiction.
                let nanp = people::nanp_e164(&row.phone, &row.country);
                let mut phone = None;
                if nanp.is_none() {
                    phone = people::parse_phone(&row.phone, &row.country);
                }
                let (mut j, mut source) = jurisdiction::jurisdiction(&row.country, &row.region, None);
                if source == jurisdiction::Source::None {
                    let calling_code = if nanp.is_some() { Some(1) } else { phone.as_ref().map(|p| p.code().value()) };
                    if let Some(state) = jurisdiction::us_state_code_without_country(&row.country, &row.region, calling_code) {
                        (j, source) = (format!("US-{state}"), jurisdiction::Source::UsStateCode);
                    }
                }
                if source == jurisdiction::Source::None {
                    if nanp.is_some() {
                        phone = people::parse_phone(&row.phone, &row.country);
                    }
                    if let Some(country) = phone.as_ref().and_then(people::phone_country) {
                        (j, source) = jurisdiction::jurisdiction(&row.country, &row.region, Some(&country));
                    }
                }
                let phone = nanp.or_else(|| phone.as_ref().map(people::e164));
                (j, source, RowKeys { email: people::normalise_email(&row.email), phone, name: people::normalise_name(&row.name) })
            })
            .collect()
    };
    let mut located = Located {
        keys: Vec::with_capacity(rows.len()),
        jurisdiction: Vec::with_capacity(rows.len()),
        rows_jurisdiction_from: BTreeMap::new(),
        inferred_state: Vec::new(),
    };
    let mut from_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (j, source, keys)) in places.into_iter().enumerate() {
        if source == jurisdiction::Source::UsStateCode {
            located.inferred_state.push((i, j.clone()));
        }
        let from = match source {
            jurisdiction::Source::Address => "country/region column",
            jurisdiction::Source::UsStateCode => "region column's US state code (no country)",
            jurisdiction::Source::Phone => "phone number",
            jurisdiction::Source::None => "unknown",
        };
        *from_counts.entry(from).or_default() += 1;
        located.jurisdiction.push(j);
        located.keys.push(keys);
    }
    located.rows_jurisdiction_from = from_counts.into_iter().map(|(from, n)| (from.to_string(), n)).collect();
    located
}

/// Phase 2: the rows of each person (one person per row with `--per record`), and each row's person (the
/// people thresholds count, whatever `--per` says).
fn group_people(rows: &[CustomerExposure], keys: &[RowKeys], per: Per) -> (Vec<Vec<usize>>, Vec<usize>, MergeStats) {
    let (person_of_row, mut merges) = people::group(keys);
    merges.shared_email_kept_apart = merges
        .shared_email_rows
        .iter()
        .map(|people| people.iter().map(|rows_of| rows_of.iter().map(|i| rows[*i].customer_id.clone()).collect()).collect())
        .collect();
    let groups: Vec<usize> = match per {
        Per::Person => person_of_row.clone(),
        Per::Record => {
            merges.people = keys.len();
            merges.rows_merged = 0;
            merges.by_reason.clear();
            merges.people_with_different_names = 0;
            (0..keys.len()).collect()
        }
    };
    let group_count = groups.iter().copied().max().map(|m| m + 1).unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); group_count];
    for (row, g) in groups.iter().enumerate() {
        members[*g].push(row);
    }
    (members, person_of_row, merges)
}

/// The decisions made on one core, by jurisdiction: each exposure decided there, with its duty and its
/// basis (the reason and the note on the law at the breach). Most people share a jurisdiction and an
/// exposure with thousands of others (the benchmark: 68,000 people, 8 jurisdictions, a few exposures), and
/// deciding each again (the rule's sets, the reason and the note put into words) was about a fifth of
/// deciding a person (perf). A decision reads only the rule and the exposure, so one made once is the same.
#[derive(Default)]
struct Decided<'l> {
    by_jurisdiction: foldhash::HashMap<&'l str, Vec<(Exposed, Notify, String)>>,
}

impl<'l> Decided<'l> {
    /// Exposures kept per jurisdiction (they are compared one by one): people with more kinds of exposure
    /// than this in one jurisdiction are decided each time.
    const KEPT: usize = 16;

    /// The duty in `jurisdiction` for `exposed` under `law`, and its basis.
    fn decide(&mut self, law: &RulesAtBreach<'_>, jurisdiction: &'l str, exposed: &Exposed) -> (Notify, String) {
        let decided = self.by_jurisdiction.entry(jurisdiction).or_default();
        if let Some((_, notify, basis)) = decided.iter().find(|(e, _, _)| e == exposed) {
            return (*notify, basis.clone());
        }
        let in_force = law.of(jurisdiction);
        let decision = decide_in(in_force, jurisdiction, exposed);
        let mut basis = decision.reason;
        if let Some((_, Some(note))) = in_force {
            basis.reserve_exact(note.len() + 3);
            basis.push_str(" [");
            basis.push_str(note);
            basis.push(']');
        }
        if decided.len() < Self::KEPT {
            decided.push((exposed.clone(), decision.notify, basis.clone()));
        }
        (decision.notify, basis)
    }

    /// [`Decided::decide`]'s duty alone.
    fn notify(&mut self, law: &RulesAtBreach<'_>, jurisdiction: &'l str, exposed: &Exposed) -> Notify {
        match self.by_jurisdiction.get(jurisdiction).and_then(|decided| decided.iter().find(|(e, _, _)| e == exposed)) {
            Some((_, notify, _)) => *notify,
            None => self.decide(law, jurisdiction, exposed).0,
        }
    }
}

#[allow(clippy::too_many_arguments)]
/// Phase 3: one person's exposed elements, jurisdictions and duty in each (the person's id is set later).
fn decide_person<'l>(
    case: &Case,
    rows: &[CustomerExposure],
    located: &'l Located,
    free_text: &FreeTextByCustomer<'_>,
    value_guesses: &ValueGuesses,
    common: &CommonExposures,
    law: &RulesAtBreach<'_>,
    decided: &mut Decided<'l>,
    rows_of: &[usize],
) -> Person {
    let keys = &located.keys;
    // Every distinct value among the person's rows, in row order (same name, address or number
    // written differently counts once), so no address or name of a merged row is lost.
    let distinct = |value: &dyn Fn(&CustomerExposure) -> &str, key: &dyn Fn(usize) -> String| {
        if let [only] = rows_of {
            // Most people have one row: its value, with no key made to compare it with others.
            return crate::read::trim(value(&rows[*only])).to_string();
        }
        let mut seen = BTreeSet::new();
        let mut out: Vec<String> = Vec::new();
        for i in rows_of {
            let value = value(&rows[*i]);
            if !value.trim().is_empty() && seen.insert(key(*i)) {
                out.push(value.trim().to_string());
            }
        }
        out.join("; ")
    };
    let mut jurisdictions: BTreeSet<&'l str> = rows_of.iter().map(|i| located.jurisdiction[*i].as_str()).collect();
    // A specific place outranks "unknown" and a bare "US" from another row of the same person.
    if jurisdictions.len() > 1 {
        jurisdictions.remove(jurisdiction::UNKNOWN);
    }
    if jurisdictions.iter().any(|j| j.starts_with("US-")) {
        jurisdictions.remove("US");
    }
    let mut exposed = Exposed::default();
    // The same without what rests only on assumed views: whether the duty depends on the assumption.
    // `None` while it is the same as `exposed` (nearly always: copying it per person was a sixth of
    // deciding them, perf); from the first row that differs, both built alike.
    let mut confirmed: Option<Exposed> = None;
    let mut classes = BTreeSet::new();
    let mut confirmed_classes = BTreeSet::new();
    let mut customer_ids = BTreeSet::new();
    let mut found_in = BTreeSet::new();
    let mut segments = BTreeSet::new();
    for i in rows_of {
        let row = &rows[*i];
        let kinds = free_text.kinds.get(row.customer_id.as_str()).cloned().unwrap_or_default();
        let e = match common.of(*i, &kinds) {
            Some(e) => e.clone(),
            None => exposed_elements(case, row, &kinds, value_guesses),
        };
        let confirmed_kinds = free_text.confirmed.get(row.customer_id.as_str()).cloned().unwrap_or_default();
        if row.assumed_fields.is_empty() && confirmed_kinds == kinds {
            if let Some(confirmed) = &mut confirmed {
                confirmed.merge(e.clone());
            }
        } else {
            let mut without = row.clone();
            without.exposed_fields.retain(|f| !row.assumed_fields.contains(f));
            let e_confirmed = exposed_elements(case, &without, &confirmed_kinds, value_guesses);
            confirmed.get_or_insert_with(|| exposed.clone()).merge(e_confirmed);
        }
        exposed.merge(e);
        confirmed_classes.extend(row.data_classes.iter().filter(|c| !row.assumed_classes.contains(c)).copied());
        classes.extend(row.data_classes.iter().copied());
        customer_ids.insert(row.customer_id.clone());
        if let Some(f) = free_text.found_in.get(row.customer_id.as_str()) {
            found_in.extend(f.iter().cloned());
        }
        segments.insert(row.segment.clone());
    }
    let mut notify = Notify::NotRequired;
    let mut notify_without_assumed = Notify::NotRequired;
    let (mut basis, mut deadlines) = (Vec::new(), Vec::new());
    let mut duties = Vec::with_capacity(jurisdictions.len());
    for &j in &jurisdictions {
        let (notify_here, mut reason) = decided.decide(law, j, &exposed);
        notify = notify.min(notify_here);
        let without_assumed = match &confirmed {
            Some(confirmed) => decided.notify(law, j, confirmed),
            None => notify_here,
        };
        notify_without_assumed = notify_without_assumed.min(without_assumed);
        duties.push((j.to_string(), notify_here));
        if located.inferred_state.iter().any(|(i, state)| rows_of.contains(i) && state == j) {
            reason.push_str(&format!(" [{j} inferred from the region column's US state (no country column, no non-US phone)]"));
        }
        basis.push(reason);
        if notify_here != Notify::NotRequired {
            deadlines.extend(law.individual_deadline(j).map(str::to_string));
        }
    }
    let regulators = Vec::new();
    let mut assumed_classes: Vec<DataClass> = classes.iter().filter(|c| !confirmed_classes.contains(c)).copied().collect();
    assumed_classes.sort_by_key(|c| c.as_str());
    let mut data_classes: Vec<DataClass> = classes.into_iter().collect();
    data_classes.sort_by_key(|c| c.as_str());
    Person {
        person_id: String::new(),
        name: distinct(&|r| &r.name, &|i| keys[i].name.clone()),
        email: distinct(&|r| &r.email, &|i| keys[i].email.clone().unwrap_or_else(|| rows[i].email.trim().to_lowercase())),
        phone: distinct(&|r| &r.phone, &|i| keys[i].phone.clone().unwrap_or_else(|| rows[i].phone.trim().to_string())),
        address: distinct(&|r| &r.address, &|i| rows[i].address.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()),
        jurisdictions: jurisdictions.into_iter().map(str::to_string).collect(),
        data_classes,
        assumed_classes,
        notify,
        notify_without_assumed,
        basis,
        deadline: deadlines,
        regulator: regulators,
        customer_ids: customer_ids.into_iter().collect(),
        first_access: rows_of.iter().map(|i| rows[*i].first_access).min().expect("a group has rows"),
        last_access: rows_of.iter().map(|i| rows[*i].last_access).max().expect("a group has rows"),
        evidence: rows_of.iter().map(|i| rows[*i].evidence).max().expect("a group has rows"),
        found_in: found_in.into_iter().collect(),
        segments: segments.into_iter().collect(),
        duties,
        elements: exposed.elements.into_iter().collect(),
    }
}

/// Phase 4: the `legal` block of the report: duties per jurisdiction, counts, free-text findings, statement.
#[allow(clippy::too_many_arguments)]
fn summarise_report(
    case: &Case,
    rows: &[CustomerExposure],
    summary: &ExposureSummary,
    findings: &[Finding],
    columns_scanned: Vec<String>,
    rules: &RuleSet,
    options: &Options,
    persons: &[Person],
    free_text: &FreeTextByCustomer<'_>,
    rows_jurisdiction_from: BTreeMap<String, usize>,
    merges: MergeStats,
    jurisdictions: Vec<JurisdictionSummary>,
) -> LegalReport {
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for p in persons {
        *counted.entry(p.notify.as_str()).or_default() += 1;
    }
    let notify: BTreeMap<String, usize> = counted.into_iter().map(|(n, count)| (n.to_string(), count)).collect();
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    for (_, classes) in findings.iter().fold(BTreeMap::<&str, BTreeSet<DataClass>>::new(), |mut m, f| {
        m.entry(&f.customer_id).or_default().insert(f.class);
        m
    }) {
        for c in classes {
            *by_class.entry(c.to_string()).or_default() += 1;
        }
    }
    let free_text_report = FreeTextReport {
        columns_scanned,
        customers_with_findings: free_text.kinds.len(),
        by_class,
        findings: findings.to_vec(),
    };
    // Each reads every person: one on each core.
    let (statement, (actions, action_notes)) =
        rayon::join(|| statement::build(case, rows, summary, persons, &free_text_report.columns_scanned), || actions::build(case, rules, persons, &jurisdictions));
    LegalReport {
        note: DISCLAIMER,
        rules_source: rules.source.clone(),
        rules_version: rules.version.clone(),
        per: match options.per {
            Per::Person => "person",
            Per::Record => "record",
        },
        people: persons.len(),
        merges,
        rows_jurisdiction_from,
        notify,
        jurisdictions,
        free_text: free_text_report,
        statement,
        duties_resting_on_assumed_views: persons
            .iter()
            .filter(|p| p.notify != p.notify_without_assumed)
            .map(|p| AssumedDuty {
                person_id: p.person_id.clone(),
                notify: p.notify,
                notify_without_assumed: p.notify_without_assumed,
                assumed_classes: p.assumed_classes.clone(),
            })
            .collect(),
        actions,
        action_notes,
        outputs: BTreeMap::new(),
    }
}

/// The rules as in force on the date of the breach, with the note saying so where that is not the current
/// rule: made once for all people (a rule with earlier versions was rebuilt several times per person).
struct RulesAtBreach<'r> {
    rules: &'r RuleSet,
    /// Per rule of `rules.rules`: the rule in force, and the note from [`law_at_breach`].
    in_force: Vec<(std::borrow::Cow<'r, Rule>, Option<String>)>,
    /// Per rule in force: its deadline to notify a person ([`deadline::individual`]), the same for everyone.
    individual_deadlines: Vec<String>,
}

impl<'r> RulesAtBreach<'r> {
    fn new(rules: &'r RuleSet, breach_date: Option<NaiveDate>, clock: &crate::case::clock::Clock) -> RulesAtBreach<'r> {
        let in_force: Vec<(std::borrow::Cow<'r, Rule>, Option<String>)> = rules
            .rules
            .iter()
            .map(|rule| match breach_date {
                Some(date) => (rule.in_force_on(date).0, law_at_breach(rule, date)),
                None => (std::borrow::Cow::Borrowed(rule), None),
            })
            .collect();
        let individual_deadlines = in_force.iter().map(|(rule, _)| deadline::individual(rule, clock)).collect();
        RulesAtBreach { rules, in_force, individual_deadlines }
    }

    /// [`deadline::individual`] of `jurisdiction`'s rule as in force at the breach; `None`: no rule.
    fn individual_deadline(&self, jurisdiction: &str) -> Option<&str> {
        self.rules.index_of(jurisdiction).map(|i| self.individual_deadlines[i].as_str())
    }

    /// `jurisdiction`'s rule as in force at the breach, and the note; `None`: no rule.
    fn of(&self, jurisdiction: &str) -> Option<(&Rule, Option<&str>)> {
        self.rules.index_of(jurisdiction).map(|i| (&*self.in_force[i].0, self.in_force[i].1.as_deref()))
    }
}

/// The decision in one jurisdiction under `in_force` (see [`RulesAtBreach::of`]; none: no rule, `unknown`
/// or a bare `US`).
fn decide_in(in_force: Option<(&Rule, Option<&str>)>, jurisdiction: &str, exposed: &Exposed) -> Decision {
    match in_force {
        Some((rule, _)) => rules::decide(rule, exposed),
        None => {
            let reason = if jurisdiction == jurisdiction::UNKNOWN {
                "jurisdiction unknown (no country, region or readable phone number): counsel to establish where the person lives".to_string()
            } else if jurisdiction == "US" {
                "US resident, state unknown: the duty depends on the state".to_string()
            } else {
                format!("no rule for {jurisdiction} in the rules file")
            };
            Decision { notify: Notify::Assess, triggering: vec![], reason }
        }
    }
}

/// Where the law in force on the breach date differs from the current rule: which version decided, and
/// the current law beside it; or a warning where the rule took effect after the breach and the file has no
/// earlier version. `None` when the current rule was already in force.
fn law_at_breach(rule: &Rule, date: NaiveDate) -> Option<String> {
    let (_, version) = rule.in_force_on(date);
    match (version, rule.effective) {
        (Some(v), _) => {
            // Every change made since the breach, oldest first.
            let mut since: Vec<&rules::EarlierVersion> = rule.earlier.iter().filter(|e| date < e.until).collect();
            since.sort_by_key(|e| e.until);
            let changes: Vec<&str> = since.iter().map(|e| e.changed_by.as_str()).collect();
            Some(format!(
                "decided under the law in force at the breach (first access {date}): the version before {} ({}); changed since by: {}",
                v.until,
                v.sources,
                changes.join("; ")
            ))
        }
        (None, Some(effective)) if effective > date => Some(format!(
            "rule as in force from {effective}, after the breach (first access {date}): no earlier version in the rules file; check the law then in force"
        )),
        _ => None,
    }
}

fn summarise(persons: &[Person], person_of: &[usize], rules: &RuleSet, clock: &crate::case::clock::Clock, breach_date: Option<NaiveDate>) -> Vec<JurisdictionSummary> {
    // Grouped in a hash map, then put in jurisdiction order (an ordered map compared names for each of
    // 68,000 people: 5 ms of this summary, on one core).
    let mut grouped: foldhash::HashMap<&str, Vec<(&Person, usize)>> = foldhash::HashMap::default();
    for (p, person) in persons.iter().zip(person_of) {
        for j in &p.jurisdictions {
            grouped.entry(j).or_default().push((p, *person));
        }
    }
    let mut by_jurisdiction: Vec<(&str, Vec<(&Person, usize)>)> = grouped.into_iter().collect();
    by_jurisdiction.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // Per person (people are numbered from 0), their strongest duty: a vector, not a map (68,000 people:
    // the maps were most of this summary's 50 ms).
    let person_count = person_of.iter().max().map_or(0, |m| m + 1);
    // Everyone notified, wherever they live (a CRA threshold that counts all persons notified).
    let mut everyone: Vec<Option<Notify>> = vec![None; person_count];
    for (p, person) in persons.iter().zip(person_of) {
        let e = everyone[*person].get_or_insert(Notify::NotRequired);
        *e = (*e).min(p.notify);
    }
    let everyone_count = everyone.iter().flatten().count();
    let all_required = everyone.iter().flatten().filter(|n| **n == Notify::Required).count();
    let all_assess = everyone.iter().flatten().filter(|n| **n == Notify::Assess).count();
    // The same for the people of one jurisdiction at a time: the entries set are put back to `None` after it.
    let mut strongest: Vec<Option<Notify>> = vec![None; person_count];
    let mut out = Vec::new();
    for (j, people) in by_jurisdiction {
        let rule = rules.for_jurisdiction(j);
        let duty = |p: &Person| p.duties.iter().find(|(of, _)| of == j).map_or(Notify::Assess, |(_, notify)| *notify);
        // Thresholds count people, not rows (`--per record` lists one person's rows apart): a person's
        // strongest duty here counts once.
        let mut people_here: Vec<usize> = Vec::new();
        for (p, person) in &people {
            let d = &mut strongest[*person];
            if d.is_none() {
                people_here.push(*person);
            }
            let d = d.get_or_insert(Notify::NotRequired);
            *d = (*d).min(duty(p));
        }
        let count = |notify: Notify| people_here.iter().filter(|p| strongest[**p] == Some(notify)).count();
        let (required, assess) = (count(Notify::Required), count(Notify::Assess));
        let not_required = people_here.len() - required - assess;
        for p in &people_here {
            strongest[*p] = None;
        }
        let in_force = match (rule, breach_date) {
            (Some(r), Some(d)) => Some(r.in_force_on(d).0),
            (Some(r), None) => Some(std::borrow::Cow::Borrowed(r)),
            _ => None,
        };
        let (regulator_notice, cra_notice) = match in_force.as_deref() {
            Some(rule) => {
                let (cra_people, cra_required, cra_assess) =
                    if rule.cra_counts_all_persons { (everyone_count, all_required, all_assess) } else { (people_here.len(), required, assess) };
                (
                    threshold_status(rule.regulator.is_some(), rule.regulator_threshold, rule.regulator_counts, people_here.len(), required, assess),
                    threshold_status(rule.cra_threshold.is_some(), rule.cra_threshold.unwrap_or(0), Counts::Notified, cra_people, cra_required, cra_assess),
                )
            }
            None => ("assess".to_string(), "assess".to_string()),
        };
        let law_at_breach = match (rule, breach_date) {
            (Some(r), Some(d)) => law_at_breach(r, d).unwrap_or_default(),
            _ => String::new(),
        };
        let mut individual_deadline = in_force.as_deref().map(|r| deadline::individual(r, clock)).unwrap_or_default();
        if let (Some(current), Some(_)) = (rule, in_force.as_deref()) {
            let now = deadline::individual(current, clock);
            if now != individual_deadline {
                individual_deadline = format!("{individual_deadline} (law at the breach; current law: {})", now);
            }
        }
        out.push(JurisdictionSummary {
            jurisdiction: j.to_string(),
            rule: rule.map(|r| r.id.clone()),
            citation: rule.map(|r| r.citation.clone()).unwrap_or_default(),
            people: people_here.len(),
            notify_required: required,
            notify_assess: assess,
            notify_not_required: not_required,
            individual_deadline,
            regulator: rule.and_then(|r| r.regulator.clone()).unwrap_or_else(|| if rule.is_some() { "none".into() } else { String::new() }),
            regulator_threshold: rule.filter(|r| r.regulator.is_some()).map(|r| r.regulator_threshold),
            regulator_notice,
            regulator_deadline: in_force.as_deref().map(|r| deadline::regulator(r, clock)).unwrap_or_default(),
            cra_threshold: rule.and_then(|r| r.cra_threshold),
            cra_notice,
            effective: rule
                .map(|r| match r.effective {
                    Some(date) => date.to_string(),
                    None => format!("(no date) {}", r.amendment),
                })
                .unwrap_or_default(),
            confidence: rule.map(|r| r.confidence.clone()).unwrap_or_default(),
            last_checked: rule.map(|r| r.last_checked),
            rule_notes: rule.map(|r| r.notes.clone()).unwrap_or_default(),
            law_at_breach,
        });
    }
    out
}

/// Whether a notice with a head-count threshold is due: `none` when the law has no such notice.
fn threshold_status(exists: bool, threshold: u64, counts: Counts, affected: usize, required: usize, assess: usize) -> String {
    if !exists {
        return "none".to_string();
    }
    let status = match counts {
        // Every affected person counts towards the threshold; below it, a person whose data alone makes
        // the breach reportable (APPI card numbers, PDPA prescribed data) still does.
        Counts::Affected if affected > 0 && affected as u64 >= threshold => Notify::Required,
        Counts::Affected if required > 0 => Notify::Required,
        Counts::Affected if assess > 0 => Notify::Assess,
        Counts::Notified if required > 0 && required as u64 >= threshold => Notify::Required,
        Counts::Notified if required + assess > 0 && (required + assess) as u64 >= threshold => Notify::Assess,
        _ => Notify::NotRequired,
    };
    status.as_str().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(j: &str, notify: Notify) -> Person {
        let t = chrono::DateTime::parse_from_rfc3339("2019-06-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        Person {
            person_id: String::new(),
            name: "A".into(),
            email: String::new(),
            phone: String::new(),
            address: String::new(),
            jurisdictions: vec![j.to_string()],
            data_classes: vec![],
            assumed_classes: vec![],
            notify,
            notify_without_assumed: notify,
            basis: vec![],
            deadline: vec![],
            regulator: vec![],
            customer_ids: vec![],
            first_access: t,
            last_access: t,
            evidence: crate::evidence::access::Grade::Named,
            found_in: vec![],
            segments: vec![],
            duties: vec![(j.to_string(), notify)],
            elements: vec![],
        }
    }

    fn regulator_notice(j: &str, people: Vec<Person>) -> JurisdictionSummary {
        summarise(&people, &(0..people.len()).collect::<Vec<_>>(), &RuleSet::builtin(), &crate::case::clock::Clock { discovered: NaiveDate::from_ymd_opt(2019, 10, 28), ..Default::default() }, None).into_iter().find(|s| s.jurisdiction == j).unwrap()
    }

    fn fixture_case() -> Case {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/legal/case.toml");
        Case::load(&path, &crate::case::Overrides::default()).unwrap()
    }

    fn row(fields: &[&str]) -> CustomerExposure {
        crate::stages::exposure::test_row("C1", fields, vec![])
    }

    #[test]
    fn exposed_columns_and_free_text_become_rule_elements() {
        let case = fixture_case();
        let none = BTreeSet::new();
        // Name, e-mail, phone: no element at all.
        let e = exposed_elements(&case, &row(&["customers.full_name", "customers.email", "customers.phone"]), &none, &ValueGuesses::new());
        assert!(e.name && e.elements.is_empty() && !e.secret);
        // A card number column: the number, not the number with its code.
        let e = exposed_elements(&case, &row(&["customers.card_number"]), &none, &ValueGuesses::new());
        assert_eq!(e.elements.iter().collect::<Vec<_>>(), ["credit_cards"]);
        assert!(!e.name);
        // Free text: an SSN; a password with the e-mail is an online credential, without it only a secret.
        let kinds: BTreeSet<Kind> = [Kind::Ssn, Kind::Password].into_iter().collect();
        let e = exposed_elements(&case, &row(&["customers.email"]), &kinds, &ValueGuesses::new());
        assert_eq!(e.elements.iter().collect::<Vec<_>>(), ["online_credentials", "social_security_numbers"]);
        let e = exposed_elements(&case, &row(&["customers.full_name"]), &[Kind::Password].into_iter().collect(), &ValueGuesses::new());
        assert!(e.secret && e.elements.is_empty());
        let e = exposed_elements(&case, &row(&[]), &[Kind::Iban, Kind::DateOfBirth].into_iter().collect(), &ValueGuesses::new());
        assert_eq!(e.elements.iter().collect::<Vec<_>>(), ["bank_account_numbers", "dates_of_birth"]);
    }

    #[test]
    fn regulator_notice_per_regime() {
        // Singapore: significant scale is 500 or more affected people.
        assert_eq!(regulator_notice("SG", vec![person("SG", Notify::Assess); 499]).regulator_notice, "assess");
        assert_eq!(regulator_notice("SG", vec![person("SG", Notify::Assess); 500]).regulator_notice, "required");
        // Japan: more than 1,000 people, or one whose card number was exposed.
        assert_eq!(regulator_notice("JP", vec![person("JP", Notify::Assess); 1000]).regulator_notice, "assess");
        assert_eq!(regulator_notice("JP", vec![person("JP", Notify::Assess); 1001]).regulator_notice, "required");
        assert_eq!(regulator_notice("JP", vec![person("JP", Notify::Required)]).regulator_notice, "required");
        // GDPR: the authority for any breach (unless unlikely to result in a risk), 72 hours.
        let de = regulator_notice("DE", vec![person("DE", Notify::Assess)]);
        assert_eq!(de.regulator_notice, "required");
        assert!(de.regulator_deadline.starts_with("2019-10-31T00:00:00Z"));
        // PIPEDA, NDB, LGPD: the regulator only on the risk judgement.
        for j in ["CA", "AU", "BR"] {
            assert_eq!(regulator_notice(j, vec![person(j, Notify::Assess)]).regulator_notice, "assess", "{j}");
        }
        // Texas: AG at 250 residents notified; CRA above 10,000.
        let tx = regulator_notice("US-TX", vec![person("US-TX", Notify::Required); 249]);
        assert_eq!((tx.regulator_notice.as_str(), tx.cra_notice.as_str()), ("not_required", "not_required"));
        let tx = regulator_notice("US-TX", vec![person("US-TX", Notify::Required); 250]);
        assert_eq!(tx.regulator_notice, "required");
        // Georgia: no regulator notice at all; California: no CRA duty.
        assert_eq!(regulator_notice("US-GA", vec![person("US-GA", Notify::Required)]).regulator_notice, "none");
        assert_eq!(regulator_notice("US-CA", vec![person("US-CA", Notify::Required)]).cra_notice, "none");
        // Not-required residents never count towards a threshold.
        assert_eq!(regulator_notice("US-NY", vec![person("US-NY", Notify::NotRequired); 10]).regulator_notice, "not_required");
    }

    #[test]
    fn a_decision_made_once_is_the_one_made_each_time() {
        // Decisions kept by jurisdiction and exposure give each person the duty and basis decided afresh:
        // the note on the law at the breach included, for exposures beyond the number kept and for
        // jurisdictions without a rule.
        let rules = RuleSet::builtin();
        let clock = crate::case::clock::Clock::default();
        let law = RulesAtBreach::new(&rules, NaiveDate::from_ymd_opt(2019, 6, 1), &clock);
        let fresh = |j: &str, e: &Exposed| {
            let in_force = law.of(j);
            let mut decision = decide_in(in_force, j, e);
            if let Some((_, Some(note))) = in_force {
                decision.reason.push_str(&format!(" [{note}]"));
            }
            (decision.notify, decision.reason)
        };
        let elements = ["social_security_numbers", "credit_cards", "online_credentials", "drivers_licenses", "medical_information"];
        let mut exposures = vec![Exposed::default()];
        for mask in 1..(1 << elements.len()) {
            for name in [false, true] {
                let chosen = elements.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, e)| e.to_string());
                exposures.push(Exposed { name, elements: chosen.collect(), ..Default::default() });
            }
        }
        assert!(exposures.len() > Decided::KEPT * 2);
        let jurisdictions = ["US-NY", "US-CA", "US-TX", "DE", "US", jurisdiction::UNKNOWN, "XX"];
        assert!(jurisdictions.iter().any(|j| matches!(law.of(j), Some((_, Some(_))))), "a rule with a note on the law at the breach");
        let mut decided = Decided::default();
        let mut notes = 0;
        // Twice over, so that every decision kept is also read back.
        for _ in 0..2 {
            for e in &exposures {
                for j in jurisdictions {
                    let expected = fresh(j, e);
                    notes += usize::from(expected.1.contains(" [decided under") || expected.1.contains(" [rule as in force"));
                    assert_eq!(decided.notify(&law, j, e), expected.0, "{j} {e:?}");
                    assert_eq!(decided.decide(&law, j, e), expected, "{j} {e:?}");
                }
            }
        }
        assert!(notes > 0, "some bases carry the note");
        assert!(decided.by_jurisdiction.values().all(|kept| kept.len() == Decided::KEPT));
    }

    #[test]
    fn thresholds_count_as_the_law_says() {
        // A US AG threshold of 501 residents notified.
        assert_eq!(threshold_status(true, 501, Counts::Notified, 900, 500, 0), "not_required");
        assert_eq!(threshold_status(true, 501, Counts::Notified, 900, 501, 0), "required");
        assert_eq!(threshold_status(true, 501, Counts::Notified, 900, 400, 200), "assess");
        // Any resident (threshold 0) but no one to notify.
        assert_eq!(threshold_status(true, 0, Counts::Notified, 10, 0, 0), "not_required");
        assert_eq!(threshold_status(false, 0, Counts::Notified, 10, 10, 0), "none");
        // GDPR: every affected person counts.
        assert_eq!(threshold_status(true, 0, Counts::Affected, 3, 0, 3), "required");
        // APPI: more than 1,000 affected, or a person whose data requires a report.
        assert_eq!(threshold_status(true, 1001, Counts::Affected, 1000, 0, 1000), "assess");
        assert_eq!(threshold_status(true, 1001, Counts::Affected, 1001, 0, 1001), "required");
        assert_eq!(threshold_status(true, 1001, Counts::Affected, 5, 1, 4), "required");
        assert_eq!(threshold_status(true, 1001, Counts::Affected, 5, 0, 0), "not_required");
    }
}
