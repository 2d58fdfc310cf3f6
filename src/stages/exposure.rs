//! The exposure stage (after resolve; the order is in `analysis`): per affected customer, the exposed fields and data classes, first/last access, count and
//! sources; and for the whole case, what was exposed and what the tables hold that was not.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::case::Case;

use crate::case::schema::Role;
use crate::classes::DataClass;
use crate::evidence::access::Grade;
use crate::stages::collect::Collected;
use crate::stages::resolve::AffectedCustomer;
use crate::read::timefmt::{format_utc, Timestamp};

/// One affected customer, as the notification list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerExposure {
    pub customer_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub country: String,
    pub region: String,
    pub segment: String,
    pub data_classes: Vec<DataClass>,
    pub exposed_fields: Vec<String>,
    #[serde(serialize_with = "ser_time")]
    pub first_access: Timestamp,
    #[serde(serialize_with = "ser_time")]
    pub last_access: Timestamp,
    pub access_count: u64,
    pub sources: Vec<String>,
    /// The strongest evidence behind this customer (named > replayed > table).
    pub evidence: Grade,
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_utc(t))
}

/// A data class the case's tables hold, and whether any affected customer had it exposed.
#[derive(Clone, Debug, Serialize)]
pub struct ClassHolding {
    pub class: DataClass,
    pub columns: Vec<String>,
    pub customers_exposed: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ExposureSummary {
    pub customers_affected: usize,
    pub by_class: BTreeMap<String, usize>,
    pub by_segment: BTreeMap<String, usize>,
    pub by_source: BTreeMap<String, usize>,
    pub by_field: BTreeMap<String, usize>,
    pub by_evidence: BTreeMap<String, usize>,
    /// Every class some column holds, exposed or not.
    pub held: Vec<ClassHolding>,
    /// Classes the tables hold that no access reached: not exposed for a listed customer, not returned by
    /// a whole-table read or an unresolved query ("no card data was accessed").
    pub held_not_exposed: Vec<DataClass>,
    /// Classes returned by whole-table reads or unresolved queries (which rows is not known) and by no
    /// listed customer's exposure: they cannot be ruled out.
    pub possibly_exposed: Vec<DataClass>,
    /// Why no class can be called "not exposed", when that is so.
    pub not_exposed_blocked_by: Option<String>,
    /// Sensitive classes (cards, bank accounts, IDs, passwords, dates of birth) the tables do not hold at all.
    pub sensitive_not_held: Vec<DataClass>,
}

/// The affected customers' rows, made from `customers` (resolve's, taken over: their values move into the
/// rows).
pub fn expose(case: &Case, collected: &Collected, customers: Vec<AffectedCustomer>) -> (Vec<CustomerExposure>, ExposureSummary) {
    let schema = &case.schema;
    let mut rows = Vec::with_capacity(customers.len());
    for mut c in customers {
        let exposed_fields: Vec<String> = c.touch.fields.ones().map(|f| schema.field_names[f].clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let mut data_classes: Vec<DataClass> = c.touch.fields.ones().filter_map(|f| schema.field_classes[f]).collect::<BTreeSet<_>>().into_iter().collect();
        data_classes.sort_by_key(|c| c.as_str());
        let sources: Vec<String> = c.touch.sources.ones().map(|s| case.logs[s].name.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let mut role = |r: Role| c.roles.iter_mut().find(|(of, _)| *of == r).map(|(_, value)| std::mem::take(value)).unwrap_or_default();
        rows.push(CustomerExposure {
            customer_id: c.key,
            name: role(Role::Name),
            email: role(Role::Email),
            phone: role(Role::Phone),
            country: role(Role::Country),
            region: role(Role::Region),
            segment: role(Role::Segment),
            data_classes,
            exposed_fields,
            first_access: c.touch.first,
            last_access: c.touch.last,
            access_count: c.touch.count,
            sources,
            evidence: c.touch.grade,
        });
    }

    let mut summary = ExposureSummary { customers_affected: rows.len(), ..Default::default() };
    for row in &rows {
        for class in &row.data_classes {
            *summary.by_class.entry(class.to_string()).or_default() += 1;
        }
        let segment = if row.segment.is_empty() { "(none)".to_string() } else { row.segment.clone() };
        *summary.by_segment.entry(segment).or_default() += 1;
        for source in &row.sources {
            *summary.by_source.entry(source.clone()).or_default() += 1;
        }
        *summary.by_evidence.entry(row.evidence.as_str().to_string()).or_default() += 1;
        for field in &row.exposed_fields {
            *summary.by_field.entry(field.clone()).or_default() += 1;
        }
    }
    let mut held: BTreeMap<DataClass, Vec<String>> = BTreeMap::new();
    for (field, class) in schema.field_classes.iter().enumerate() {
        if let Some(class) = class {
            held.entry(*class).or_default().push(schema.field_names[field].clone());
        }
    }
    let possibly: BTreeSet<DataClass> = collected.possibly_exposed.ones().filter_map(|f| schema.field_classes[f]).collect();
    if collected.unresolved_without_fields > 0 {
        summary.not_exposed_blocked_by = Some(format!(
            "{} access(es) by the actors returned columns that the log does not show (see unresolved_queries): no data class can be ruled out",
            collected.unresolved_without_fields
        ));
    }
    for (class, columns) in held {
        let customers_exposed = summary.by_class.get(class.as_str()).copied().unwrap_or(0);
        if customers_exposed == 0 {
            if possibly.contains(&class) {
                summary.possibly_exposed.push(class);
            } else if summary.not_exposed_blocked_by.is_none() {
                summary.held_not_exposed.push(class);
            }
        }
        summary.held.push(ClassHolding { class, columns, customers_exposed });
    }
    summary.sensitive_not_held =
        DataClass::ALL.into_iter().filter(|c| c.is_sensitive() && !summary.held.iter().any(|h| h.class == *c)).collect();
    (rows, summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::resolve::resolve;
    use crate::stages::testing;

    #[test]
    fn exposed_fields_become_classes_and_what_was_held_but_not_reached_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let fields = [case.schema.field("customers.full_name").unwrap(), case.schema.field("customers.email").unwrap()];
        collected.touch(0, &["C1".into()], &fields, Grade::Named, testing::t("2019-06-03T10:00:00Z"), 0);
        let resolved = resolve(&case, &collected, &mut |_, _, _| {}).unwrap();
        let (rows, summary) = expose(&case, &collected, resolved.customers);

        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].customer_id, "C1");
        assert_eq!(rows[0].name, "Ann Lee");
        assert_eq!(rows[0].data_classes, vec![DataClass::EmailAddresses, DataClass::Names]);
        assert_eq!(summary.customers_affected, 1);
        assert!(summary.held_not_exposed.contains(&DataClass::PhoneNumbers), "{:?}", summary.held_not_exposed);
        assert!(!summary.held_not_exposed.contains(&DataClass::Names));
        assert!(summary.possibly_exposed.is_empty());
    }

    #[test]
    fn an_unresolved_query_without_fields_blocks_every_not_exposed_statement() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let query = crate::stages::collect::UnresolvedQuery {
            origin: testing::origin(4, "2019-06-03T12:00:00Z"),
            statement: "SELECT * FROM customers_view".into(),
            reason: "view not in the case".into(),
            fields: None,
        };
        collected.add_unresolved(query, None);
        let (rows, summary) = expose(&case, &collected, Vec::new());
        assert!(rows.is_empty());
        assert!(summary.held_not_exposed.is_empty(), "{:?}", summary.held_not_exposed);
        assert!(summary.not_exposed_blocked_by.is_some());
    }
}
