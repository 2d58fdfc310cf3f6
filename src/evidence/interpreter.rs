//! The case's tables and a log source's settings at hand while deciding what an event exposes: columns and
//! tables by the names a log gives them. The interpreters of each kind of evidence (the sibling files)
//! take it; `evidence` picks the interpreter for an event.

use crate::case::logs::LogSpec;
use crate::case::schema::{FieldId, Schema, TableId};
use crate::evidence::access::{DefaultView, FieldsFrom};

/// Decides what events of one log source expose.
pub struct Interpreter<'a> {
    pub schema: &'a Schema,
    pub log: &'a LogSpec,
    /// The case's `[[exports]]`: what retrieved objects and reports held.
    pub exports: &'a [crate::case::exports::Export],
}

impl<'a> Interpreter<'a> {
    pub fn new(schema: &'a Schema, log: &'a LogSpec) -> Self {
        Interpreter { schema, log, exports: &[] }
    }

    /// With the case's exports, so that retrieving a declared object names its rows.
    pub fn with_exports(mut self, exports: &'a [crate::case::exports::Export]) -> Self {
        self.exports = exports;
        self
    }

    /// A column of a case table by the name a log gives it (exact, then ignoring case).
    pub fn column(&self, table: TableId, name: &str) -> Option<FieldId> {
        let spec = &self.schema.tables[table];
        spec.field_of(name).or_else(|| spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| spec.field(i)))
    }

    /// The table whose key a column of `table` holds: the table itself for its key column, customers for a
    /// linked table's customer column; `None` for any other column.
    pub fn key_owner(&self, table: TableId, column: &str) -> Option<TableId> {
        let spec = &self.schema.tables[table];
        let field = self.column(table, column)?;
        if field == spec.field(spec.key_index) {
            Some(table)
        } else if spec.customer_column.as_ref().is_some_and(|(_, c)| spec.field(*c) == field) {
            Some(crate::case::schema::CUSTOMERS)
        } else {
            None
        }
    }

    /// Field names → fields of `table`, and the names that are not its columns.
    pub fn columns(&self, table: TableId, names: &[String]) -> (Vec<FieldId>, Vec<String>) {
        let mut fields = Vec::new();
        let mut unknown = Vec::new();
        for n in names {
            match self.column(table, n) {
                Some(f) => fields.push(f),
                None => unknown.push(n.clone()),
            }
        }
        fields.sort_unstable();
        fields.dedup();
        (fields, unknown)
    }

    /// What a view of a `table` record shows where the log does not say: the most specific `[logs.views]`
    /// entry (the log's `names` for the record type with the `action`, those names, the table with the
    /// action, the table); for stored items and documents then the attributes the store keeps (the log's
    /// `[logs.attributes]`, the table's `attributes`); else every column of the table, as the built-in
    /// `default` (an assumption, reported as such).
    pub fn view(&self, table: TableId, names: &[&str], action: &str, default: DefaultView) -> (Vec<FieldId>, FieldsFrom) {
        if let Some(view) = self.log.views.iter().find(|v| v.applies(table, names, action)) {
            return (view.fields.clone(), FieldsFrom::Declared(format!("[logs.views] {}", view.key)));
        }
        if matches!(default, DefaultView::StoredItem | DefaultView::StoredDocument) {
            let spec = &self.schema.tables[table];
            if let Some(fields) = self.log.attributes.get(&table) {
                return (fields.clone(), FieldsFrom::Declared(format!("[logs.attributes] {}", spec.name)));
            }
            if let Some(fields) = &spec.attributes {
                return (fields.clone(), FieldsFrom::Declared(format!("{} attributes", spec.name)));
            }
        }
        (self.schema.tables[table].fields().collect(), FieldsFrom::Assumed(default))
    }

    /// A table name as the log writes it (`Customer`, `public.customers`, `"Tickets"`, `` `crm`.`customers` ``,
    /// `[dbo].[customers]`) → case table (see [`Interpreter::table_of`]).
    pub fn table(&self, name: &str) -> Option<TableId> {
        // The common case, an entry written exactly as the log writes the name, without building its parts.
        if let Some(id) = self.log.table_names.get(name) {
            return Some(*id);
        }
        self.table_of(&name_parts(name))
    }

    /// A table by the parts of its name, quotes removed (`["crm", "customers"]`). The whole name is looked up in
    /// the log's `[logs.tables]`, then without its leading parts (database, schema), so `crm.customers` is found by
    /// an entry `crm.customers` or `customers` (exact, then ignoring case; entries may be written with quotes);
    /// then the last part as a case table's name, ignoring case.
    pub fn table_of(&self, parts: &[String]) -> Option<TableId> {
        let bare = parts.last()?;
        for start in 0..parts.len() {
            let wanted = &parts[start..];
            let same = |entry: &String, ignore_case: bool| {
                let entry = name_parts(entry);
                entry.len() == wanted.len()
                    && entry.iter().zip(wanted).all(|(a, b)| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b })
            };
            if let Some((_, id)) = self.log.table_names.iter().find(|(k, _)| same(k, false)) {
                return Some(*id);
            }
            if let Some((_, id)) = self.log.table_names.iter().find(|(k, _)| same(k, true)) {
                return Some(*id);
            }
        }
        self.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(bare))
    }
}

/// The parts of a (schema-qualified) name as a log or a statement writes it, each without its quotes: `crm.customers`,
/// `"public"."customers"`, `` `crm`.`customers` ``, `[dbo].[customers]` (a doubled quote inside quotes is one quote).
/// Whitespace around a part is dropped, whitespace inside quotes kept.
pub fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    // Unquoted whitespace, kept only when more of the part follows.
    let mut pending = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            if !current.is_empty() {
                pending.push(c);
            }
            continue;
        }
        if c != '.' {
            current.push_str(&std::mem::take(&mut pending));
        }
        let close = match c {
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            _ => None,
        };
        match close {
            Some(close) => {
                while let Some(q) = chars.next() {
                    if q == close {
                        if chars.peek() == Some(&close) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    current.push(q);
                }
            }
            None if c == '.' => {
                pending.clear();
                parts.push(std::mem::take(&mut current));
            }
            None => current.push(c),
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_quoting_and_with_or_without_their_schema() {
        assert_eq!(name_parts("crm.customers"), ["crm", "customers"]);
        assert_eq!(name_parts("`crm`.`cust.omers`"), ["crm", "cust.omers"]);
        assert_eq!(name_parts(r#""public"."Cus""tomers""#), ["public", "Cus\"tomers"]);
        assert_eq!(name_parts("[dbo].[customers]]x]"), ["dbo", "customers]x"]);
        assert_eq!(name_parts(" customers "), ["customers"]);

        let schema = testing::schema();
        let mut log = testing::log();
        log.table_names.insert("crm.customer".into(), 0);
        log.table_names.insert("[ticket]".into(), 1);
        let it = Interpreter::new(&schema, &log);
        for (written, expected) in [
            ("`crm`.`customer`", Some(0)),
            ("CRM.Customer", Some(0)),
            ("crm.public.customer", None),
            ("archive.customer", None),
            ("customer", None),
            ("[dbo].[ticket]", Some(1)),
            ("ticket", Some(1)),
            ("\"public\".\"customers\"", Some(0)),
            ("db.schema.TICKETS", Some(1)),
            ("orders", None),
        ] {
            assert_eq!(it.table(written), expected, "{written}");
        }
    }
}

/// A small schema (customers, tickets) for unit tests of the interpreters.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use crate::case::logs::LogSpec;

    use crate::case::schema::{Role, Schema, TableSpec};
    use crate::classes;
    use crate::read::table::TableFile;

    fn table(name: &str, columns: &[&str], key: usize, customer: Option<usize>, first_field: usize) -> TableSpec {
        TableSpec {
            name: name.into(),
            file: TableFile { path: format!("{name}.csv").into(), delimiter: b',', columns: columns.iter().map(|c| c.to_string()).collect(), encoding: Default::default(), kind: Default::default() },
            key: columns[key].into(),
            key_index: key,
            customer_column: customer.map(|c| (columns[c].to_string(), c)),
            first_field,
            key_type: Default::default(),
            ids: Vec::new(),
            attributes: None,
        }
    }

    pub fn schema() -> Schema {
        let customers = table("customers", &["customer_id", "full_name", "email", "phone", "state", "card_number"], 0, None, 0);
        let tickets = table("tickets", &["ticket_number", "customer_id", "subject"], 0, Some(1), 6);
        let mut field_names = Vec::new();
        let mut field_classes = Vec::new();
        for t in [&customers, &tickets] {
            for (i, c) in t.file.columns.iter().enumerate() {
                field_names.push(format!("{}.{}", t.name, c));
                let id_only = (t.name == "customers" && i == 0) || t.customer_column.as_ref().is_some_and(|(_, x)| *x == i);
                field_classes.push(if id_only { None } else { classes::guess(&t.name, c) });
            }
        }
        let mut roles = BTreeMap::new();
        roles.insert(Role::Name, 1);
        Schema { tables: vec![customers, tickets], field_names, field_classes, roles, name_parts: vec![] }
    }

    pub fn log() -> LogSpec {
        LogSpec {
            name: "test".into(),
            pattern: "test".into(),
            files: vec![],
            format: None,
            log_line_prefix: None,
            log_format: None,
            fields_separator: None,
            actions: BTreeMap::new(),
            writes_show: true,
            routes: vec![],
            map: BTreeMap::new(),
            table_names: BTreeMap::new(),
            time_zone: None,
            users: BTreeMap::new(),
            record_path: None,
            query_history: None,
            encoding: Default::default(),
            views: Vec::new(),
            attributes: BTreeMap::new(),
        }
    }
}
