//! Record views by id (Salesforce page views and REST retrievals) and table reads without rows (a MariaDB READ
//! record without its statement, a Salesforce API call with only a row count).

use crate::evidence::access::{Access, DefaultView, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::TableId;

/// The first of the log's names for the record type that maps to a case table.
fn table_of(it: &Interpreter<'_>, names: &[String]) -> Option<TableId> {
    names.iter().find_map(|n| it.table(n))
}

/// The record's fields are what the case declares such a view shows (`[logs.views]`), else every column of
/// its table (the built-in default, reported as an assumption).
pub fn record_view(it: &Interpreter<'_>, action: &str, tables: &[String], records: &[String]) -> Access {
    let Some(table) = table_of(it, tables) else {
        return Access::OtherTables(tables.iter().take(1).cloned().collect());
    };
    if records.is_empty() {
        return Access::Nothing("no record named".into());
    }
    let names: Vec<&str> = tables.iter().map(String::as_str).collect();
    Access::Records(vec![RecordAccess::viewed(table, records.to_vec(), it.view(table, &names, action, DefaultView::RecordPage))])
}

pub fn table_read(it: &Interpreter<'_>, action: &str, tables: &[String], rows: Option<u64>) -> Access {
    let mapped: Vec<TableId> = tables.iter().filter_map(|t| it.table(t)).collect();
    if !tables.is_empty() && mapped.is_empty() {
        return Access::OtherTables(tables.to_vec());
    }
    let on = if tables.is_empty() { String::new() } else { format!(" on {}", tables.join(", ")) };
    let counted = rows.map(|n| format!(" ({n} rows)")).unwrap_or_default();
    let fields = (!mapped.is_empty()).then(|| mapped.iter().flat_map(|t| it.schema.tables[*t].fields()).collect());
    Access::Unresolved {
        statement: format!("{action}{on}{counted}"),
        reason: "the log names the table but not the rows".into(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::logs::View;
    use crate::evidence::access::{DefaultView, FieldsFrom};
    use crate::evidence::interpreter::testing;

    fn shown(it: &Interpreter<'_>, action: &str, names: &[&str]) -> (Vec<usize>, FieldsFrom) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        match record_view(it, action, &names, &["C1".to_string()]) {
            Access::Records(r) => (r[0].fields.clone(), r[0].from.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_most_specific_declared_view_applies_else_every_column_is_assumed() {
        let schema = testing::schema();
        let mut log = testing::log();
        log.table_names.insert("Contact".into(), 0);
        log.table_names.insert("Lead".into(), 0);
        let it = Interpreter::new(&schema, &log);
        assert_eq!(shown(&it, "URI", &["Contact"]), ((0..6).collect(), FieldsFrom::Assumed(DefaultView::RecordPage)));

        let view = |key: &str, log_name: Option<&str>, action: Option<&str>, fields: &[usize]| View {
            key: key.into(),
            log_name: log_name.map(str::to_string),
            table: 0,
            action: action.map(str::to_string),
            fields: fields.to_vec(),
        };
        // Sorted as the case loader sorts them: the log's name with an action first, the table last.
        log.views = vec![
            view("Contact:LightningPageView", Some("Contact"), Some("LightningPageView"), &[1, 2, 5]),
            view("Contact", Some("Contact"), None, &[1, 2, 3]),
            view("customers:RestApi", None, Some("RestApi"), &[2]),
            view("customers", None, None, &[1]),
        ];
        let it = Interpreter::new(&schema, &log);
        let declared = |k: &str| FieldsFrom::Declared(format!("[logs.views] {k}"));
        assert_eq!(shown(&it, "lightningpageview", &["Contact"]), (vec![1, 2, 5], declared("Contact:LightningPageView")));
        assert_eq!(shown(&it, "URI", &["Contact", "003"]), (vec![1, 2, 3], declared("Contact")));
        // An action matches whole or by its first word (`RestApi GET`); another object type gets the table's.
        assert_eq!(shown(&it, "RestApi GET", &["Lead"]), (vec![2], declared("customers:RestApi")));
        assert_eq!(shown(&it, "URI", &["Lead"]), (vec![1], declared("customers")));
    }
}
