//! Record views by id (Salesforce page views and REST retrievals) and table reads without rows (a MariaDB READ
//! record without its statement, a Salesforce API call with only a row count).

use crate::evidence::access::{Access, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::TableId;

/// The first of the log's names for the record type that maps to a case table.
fn table_of(it: &Interpreter<'_>, names: &[String]) -> Option<TableId> {
    names.iter().find_map(|n| it.table(n))
}

pub fn record_view(it: &Interpreter<'_>, _action: &str, tables: &[String], records: &[String]) -> Access {
    let Some(table) = table_of(it, tables) else {
        return Access::OtherTables(tables.iter().take(1).cloned().collect());
    };
    if records.is_empty() {
        return Access::Nothing("no record named".into());
    }
    Access::Records(vec![RecordAccess::named(table, records.to_vec(), it.schema.tables[table].fields().collect())])
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
