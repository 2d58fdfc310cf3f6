//! Logged SQL: which records a statement named and which columns it returned.
//!
//! - `WHERE key = v`, `WHERE key IN (...)`, joined by AND (and OR of key tests) name records. A linked
//!   table's customer column (`tickets.customer_id = 'C1'`) names the customer directly.
//! - The SELECT list gives the fields (`*` and `t.*`: every column of the table). Columns only used to
//!   filter or sort are not returned, so not exposed.
//! - A query returning only aggregates (`count(*)`, `avg(x)`, `GROUP BY state`) exposes no record, unless
//!   it returns a column that singles out a person (`GROUP BY email`): that is treated as a row listing.
//!   `min`/`max`/`array_agg`/`string_agg` return values themselves and count as returned columns.
//! - No WHERE and no LIMIT: the whole table was read. A filter that names no key is unresolved.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CopySource, Expr, GroupByExpr, ObjectName, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    Statement, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use super::{Access, Interpreter, RecordAccess};
use crate::case::{FieldId, TableId, CUSTOMERS};
use crate::ingest::{Parameters, StatementText};

/// Aggregates that return no stored value (so no record's data).
const COUNTING_AGGREGATES: [&str; 12] =
    ["count", "sum", "avg", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bool_and", "bool_or", "every"];

pub fn interpret(it: &Interpreter<'_>, statement: &StatementText, parameters: &Parameters, class: Option<&str>) -> Vec<Access> {
    let text = match statement {
        StatementText::Logged(t) => t,
        StatementText::NotLogged if class.is_some_and(|c| c != "READ") => {
            return vec![Access::Nothing(format!("statement not logged, audit class {}", class.unwrap_or_default()))];
        }
        StatementText::NotLogged => {
            return vec![Access::Unresolved { statement: "<not logged>".into(), reason: "statement text not logged".into(), fields: None }];
        }
    };
    let statements = match parse(text) {
        Ok(s) => s,
        Err(e) => return vec![Access::Unresolved { statement: text.clone(), reason: format!("SQL could not be parsed: {e}"), fields: None }],
    };
    let ctx = Context { it, parameters, text };
    let mut out: Vec<Access> = statements.iter().map(|s| ctx.statement(s)).collect();
    if out.is_empty() {
        out.push(Access::Nothing("empty statement".into()));
    }
    out
}

fn parse(text: &str) -> Result<Vec<Statement>, String> {
    Parser::parse_sql(&PostgreSqlDialect {}, text)
        .or_else(|_| Parser::parse_sql(&MySqlDialect {}, text))
        .or_else(|_| Parser::parse_sql(&GenericDialect {}, text))
        .map_err(|e| e.to_string())
}

struct Context<'a> {
    it: &'a Interpreter<'a>,
    parameters: &'a Parameters,
    text: &'a str,
}

/// A table in a query's FROM clause.
struct ScopeTable {
    /// Lower-case alias (or the table's bare name).
    alias: String,
    table: Option<TableId>,
}

enum Constraint {
    Keys(TableId, Vec<String>),
    Unconstrained,
    Failed(String),
}

impl Context<'_> {
    /// Rows unknown, and the returned columns unknown too.
    fn unresolved(&self, reason: impl Into<String>) -> Access {
        Access::Unresolved { statement: self.text.to_string(), reason: reason.into(), fields: None }
    }

    /// Rows unknown; the returned columns known.
    fn unresolved_rows(&self, reason: impl Into<String>, fields: &[FieldId]) -> Access {
        Access::Unresolved { statement: self.text.to_string(), reason: reason.into(), fields: Some(fields.to_vec()) }
    }

    fn statement(&self, statement: &Statement) -> Access {
        match statement {
            Statement::Query(q) => self.query(q),
            Statement::Copy { source, to: true, .. } => match source {
                CopySource::Table { table_name, columns } => {
                    let Some(table) = self.it.table(&table_name.to_string()) else {
                        return Access::Nothing("reads no case table".into());
                    };
                    let spec = &self.it.schema.tables[table];
                    let fields = if columns.is_empty() {
                        spec.fields().collect()
                    } else {
                        columns.iter().filter_map(|c| column_index(&spec.file.columns, &c.value).map(|i| spec.field(i))).collect()
                    };
                    Access::WholeTable { tables: vec![table], fields, statement: self.text.to_string() }
                }
                CopySource::Query(q) => self.query(q),
            },
            Statement::Copy { to: false, .. } => Access::Nothing("COPY FROM writes rows".into()),
            Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) | Statement::Merge { .. } => {
                Access::Nothing("write statement".into())
            }
            _ => Access::Nothing("not a read statement".into()),
        }
    }

    fn query(&self, query: &Query) -> Access {
        if query.with.is_some() {
            return self.unresolved("WITH (common table expression) queries are not analysed yet");
        }
        self.set_expr(&query.body, query.limit_clause.is_some() || query.fetch.is_some())
    }

    fn set_expr(&self, body: &SetExpr, limited: bool) -> Access {
        match body {
            SetExpr::Select(select) => self.select(select, limited),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, right, .. } => merge(self.set_expr(left, limited), self.set_expr(right, limited), self),
            SetExpr::Values(_) => Access::Nothing("reads no case table".into()),
            _ => self.unresolved("unsupported query form"),
        }
    }

    fn select(&self, select: &Select, limited: bool) -> Access {
        let mut scope = Vec::new();
        for from in &select.from {
            for factor in std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation)) {
                match factor {
                    TableFactor::Table { name, alias, .. } => {
                        let bare = last_part(name);
                        scope.push(ScopeTable {
                            alias: alias.as_ref().map(|a| a.name.value.to_lowercase()).unwrap_or_else(|| bare.to_lowercase()),
                            table: self.it.table(&name.to_string()),
                        });
                    }
                    TableFactor::Derived { .. } => return self.unresolved("subquery in FROM is not analysed yet"),
                    _ => return self.unresolved("unsupported FROM item"),
                }
            }
        }
        let case_tables: Vec<TableId> = dedup(scope.iter().filter_map(|s| s.table).collect());
        if case_tables.is_empty() {
            return Access::Nothing("reads no case table".into());
        }

        let mut fields = BTreeSet::new();
        let mut aggregated = match &select.group_by {
            GroupByExpr::All(_) => true,
            GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
        };
        for item in &select.projection {
            match item {
                SelectItem::Wildcard(_) => {
                    for t in &case_tables {
                        fields.extend(self.it.schema.tables[*t].fields());
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                    let alias = last_part(name).to_lowercase();
                    if let Some(t) = scope.iter().find(|s| s.alias == alias).and_then(|s| s.table) {
                        fields.extend(self.it.schema.tables[t].fields());
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::Expr(e), _) => self.returned_columns(e, &scope, &mut fields, &mut aggregated),
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    self.returned_columns(e, &scope, &mut fields, &mut aggregated)
                }
            }
        }
        let fields: Vec<FieldId> = fields.into_iter().collect();
        if aggregated && !fields.iter().any(|f| self.identifies_person(*f)) {
            return Access::Aggregate;
        }
        if fields.is_empty() {
            return Access::Nothing("returns no column of the case tables".into());
        }

        match select.selection.as_ref().map(|w| self.constraint(w, &scope)) {
            Some(Constraint::Keys(table, keys)) => Access::Records(vec![RecordAccess::named(table, keys, fields)]),
            Some(Constraint::Failed(reason)) => self.unresolved_rows(reason, &fields),
            Some(Constraint::Unconstrained) => self.unresolved_rows("the filter names no record key (predicate replay is not supported yet)", &fields),
            None if limited => self.unresolved_rows("reads a limited number of rows with no filter: which rows is not known", &fields),
            None => Access::WholeTable { tables: case_tables, fields, statement: self.text.to_string() },
        }
    }

    fn identifies_person(&self, field: FieldId) -> bool {
        let schema = self.it.schema;
        let table = &schema.tables[schema.table_of_field(field)];
        let column = field - table.first_field;
        column == table.key_index || schema.field_classes[field].is_some_and(|c| c.identifies_person())
    }

    /// Columns an expression returns; counting aggregates are cut out first (their inputs are not returned).
    fn returned_columns(&self, expr: &Expr, scope: &[ScopeTable], fields: &mut BTreeSet<FieldId>, aggregated: &mut bool) {
        let mut expr = expr.clone();
        let _ = sqlparser::ast::visit_expressions_mut(&mut expr, |e| {
            if let Expr::Function(f) = e {
                let name = last_part(&f.name).to_lowercase();
                if COUNTING_AGGREGATES.contains(&name.as_str()) {
                    *aggregated = true;
                    *e = Expr::Value(Value::Null.into());
                } else if matches!(name.as_str(), "min" | "max" | "array_agg" | "string_agg" | "json_agg" | "jsonb_agg" | "group_concat") {
                    *aggregated = true;
                }
            }
            ControlFlow::<()>::Continue(())
        });
        let _ = sqlparser::ast::visit_expressions(&expr, |e| {
            if let Some((table, column)) = self.column(e, scope) {
                fields.insert(self.it.schema.tables[table].field(column));
            }
            ControlFlow::<()>::Continue(())
        });
    }

    /// A column reference resolved to (case table, column index).
    fn column(&self, expr: &Expr, scope: &[ScopeTable]) -> Option<(TableId, usize)> {
        let (qualifier, name) = match expr {
            Expr::Identifier(ident) => (None, ident.value.as_str()),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                (Some(parts[parts.len() - 2].value.to_lowercase()), parts[parts.len() - 1].value.as_str())
            }
            _ => return None,
        };
        let candidates = scope.iter().filter(|s| qualifier.as_ref().is_none_or(|q| *q == s.alias));
        for s in candidates {
            if let Some(t) = s.table {
                if let Some(i) = column_index(&self.it.schema.tables[t].file.columns, name) {
                    return Some((t, i));
                }
            }
        }
        None
    }

    /// The key a column names: its own table's key, or (for a linked table's customer column) customers.
    fn key_target(&self, expr: &Expr, scope: &[ScopeTable]) -> Option<TableId> {
        let (table, column) = self.column(expr, scope)?;
        let spec = &self.it.schema.tables[table];
        if column == spec.key_index {
            Some(table)
        } else if spec.customer_column.as_ref().is_some_and(|(_, c)| *c == column) {
            Some(CUSTOMERS)
        } else {
            None
        }
    }

    fn literal(&self, expr: &Expr) -> Result<Option<String>, String> {
        match expr {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => Ok(Some(n.clone())),
                Value::SingleQuotedString(s)
                | Value::EscapedStringLiteral(s)
                | Value::NationalStringLiteral(s)
                | Value::UnicodeStringLiteral(s)
                | Value::DoubleQuotedString(s) => Ok(Some(s.clone())),
                Value::Placeholder(p) => self.parameter(p).map(Some),
                _ => Ok(None),
            },
            Expr::Cast { expr, .. } | Expr::Nested(expr) => self.literal(expr),
            Expr::UnaryOp { op: UnaryOperator::Minus, expr } => Ok(self.literal(expr)?.map(|v| format!("-{v}"))),
            _ => Ok(None),
        }
    }

    fn parameter(&self, placeholder: &str) -> Result<String, String> {
        let index: Option<usize> = placeholder.strip_prefix('$').and_then(|n| n.parse().ok());
        match (self.parameters, index) {
            (Parameters::Values(values), Some(i)) if i >= 1 && i <= values.len() => Ok(values[i - 1].clone()),
            (Parameters::NotLogged, _) => Err("the key is a bind parameter and parameters were not logged".into()),
            _ => Err(format!("bind parameter {placeholder} has no logged value")),
        }
    }

    fn constraint(&self, expr: &Expr, scope: &[ScopeTable]) -> Constraint {
        match expr {
            Expr::Nested(inner) => self.constraint(inner, scope),
            Expr::BinaryOp { left, op: BinaryOperator::Eq, right } => {
                for (col, val) in [(left, right), (right, left)] {
                    if let Some(table) = self.key_target(col, scope) {
                        return match self.literal(val) {
                            Ok(Some(v)) => Constraint::Keys(table, vec![v]),
                            Ok(None) => Constraint::Unconstrained,
                            Err(reason) => Constraint::Failed(reason),
                        };
                    }
                }
                Constraint::Unconstrained
            }
            Expr::InList { expr, list, negated: false } => {
                let Some(table) = self.key_target(expr, scope) else { return Constraint::Unconstrained };
                let mut keys = Vec::with_capacity(list.len());
                for item in list {
                    match self.literal(item) {
                        Ok(Some(v)) => keys.push(v),
                        Ok(None) => return Constraint::Unconstrained,
                        Err(reason) => return Constraint::Failed(reason),
                    }
                }
                Constraint::Keys(table, keys)
            }
            Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
                match (self.constraint(left, scope), self.constraint(right, scope)) {
                    (Constraint::Keys(a, ka), Constraint::Keys(b, kb)) if a == b => {
                        Constraint::Keys(a, ka.into_iter().filter(|k| kb.contains(k)).collect())
                    }
                    (k @ Constraint::Keys(..), _) | (_, k @ Constraint::Keys(..)) => k,
                    (f @ Constraint::Failed(_), _) | (_, f @ Constraint::Failed(_)) => f,
                    _ => Constraint::Unconstrained,
                }
            }
            Expr::BinaryOp { left, op: BinaryOperator::Or, right } => {
                match (self.constraint(left, scope), self.constraint(right, scope)) {
                    (Constraint::Keys(a, mut ka), Constraint::Keys(b, kb)) if a == b => {
                        ka.extend(kb);
                        Constraint::Keys(a, ka)
                    }
                    (f @ Constraint::Failed(_), _) | (_, f @ Constraint::Failed(_)) => f,
                    _ => Constraint::Unconstrained,
                }
            }
            _ => Constraint::Unconstrained,
        }
    }
}

/// Two parts of a UNION: both name records → one list; otherwise the weaker evidence wins.
fn merge(a: Access, b: Access, ctx: &Context<'_>) -> Access {
    match (a, b) {
        (Access::Records(mut x), Access::Records(y)) => {
            x.extend(y);
            Access::Records(x)
        }
        (Access::Nothing(_) | Access::Aggregate, other) | (other, Access::Nothing(_) | Access::Aggregate) => other,
        (Access::WholeTable { mut tables, mut fields, statement }, Access::WholeTable { tables: t2, fields: f2, .. }) => {
            tables.extend(t2);
            fields.extend(f2);
            Access::WholeTable { tables: dedup(tables), fields: dedup(fields), statement }
        }
        _ => ctx.unresolved("UNION of record lookups and other reads is not analysed yet"),
    }
}

fn last_part(name: &ObjectName) -> String {
    name.0.last().map(|p| p.to_string()).unwrap_or_default().trim_matches('"').trim_matches('`').to_string()
}

fn column_index(columns: &[String], name: &str) -> Option<usize> {
    columns.iter().position(|c| c == name).or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

fn dedup<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::testing;
    use crate::evidence::Grade;

    fn run(sql: &str, params: Parameters) -> Vec<Access> {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        interpret(&it, &StatementText::Logged(sql.into()), &params, Some("READ"))
    }

    fn one(sql: &str) -> Access {
        let mut v = run(sql, Parameters::None);
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    fn names(fields: &[FieldId]) -> Vec<String> {
        let schema = testing::schema();
        fields.iter().map(|f| schema.field_names[*f].clone()).collect()
    }

    fn records(access: Access) -> (TableId, Vec<String>, Vec<String>) {
        match access {
            Access::Records(mut r) => {
                assert_eq!(r.len(), 1);
                let r = r.remove(0);
                assert_eq!(r.grade, Grade::Named);
                (r.table, r.keys, names(&r.fields))
            }
            other => panic!("expected records, got {other:?}"),
        }
    }

    #[test]
    fn key_equality_and_in_list_name_records() {
        let (t, keys, fields) = records(one("SELECT full_name, email FROM customers WHERE customer_id = 'C1'"));
        assert_eq!((t, keys), (0, vec!["C1".to_string()]));
        assert_eq!(fields, ["customers.full_name", "customers.email"]);
        let (_, keys, _) = records(one("select email from public.customers c where c.customer_id in ('C1', 'C2') and c.state = 'VT'"));
        assert_eq!(keys, ["C1", "C2"]);
        let (_, keys, _) = records(one("SELECT email FROM customers WHERE customer_id = 'C1' OR customer_id = 'C3'"));
        assert_eq!(keys, ["C1", "C3"]);
        let (_, keys, _) = records(one("SELECT email FROM customers WHERE 'C9' = customer_id"));
        assert_eq!(keys, ["C9"]);
    }

    #[test]
    fn multi_line_join_through_tickets() {
        let (t, keys, fields) = records(one(
            "SELECT t.ticket_number, t.subject, c.full_name\n  FROM tickets t\n  JOIN customers c ON c.customer_id = t.customer_id\n WHERE t.ticket_number IN ('T-1','T-2')",
        ));
        assert_eq!(t, 1);
        assert_eq!(keys, ["T-1", "T-2"]);
        assert_eq!(fields, ["customers.full_name", "tickets.ticket_number", "tickets.subject"]);
    }

    #[test]
    fn linked_table_customer_column_names_the_customer() {
        let (t, keys, fields) = records(one("SELECT * FROM tickets WHERE customer_id = 'C7'"));
        assert_eq!((t, keys), (CUSTOMERS, vec!["C7".to_string()]));
        assert_eq!(fields, ["tickets.ticket_number", "tickets.customer_id", "tickets.subject"]);
    }

    #[test]
    fn star_is_every_column() {
        let (_, _, fields) = records(one("SELECT * FROM customers WHERE customer_id = 7"));
        assert_eq!(fields.len(), 6);
    }

    #[test]
    fn bind_parameters_are_used_or_the_query_is_unresolved() {
        let v = run("SELECT phone FROM customers WHERE customer_id = $1", Parameters::Values(vec!["C5".into()]));
        let (_, keys, _) = records(v.into_iter().next().unwrap());
        assert_eq!(keys, ["C5"]);
        let v = run("SELECT phone FROM customers WHERE customer_id = $1", Parameters::NotLogged);
        assert!(matches!(&v[0], Access::Unresolved { reason, fields: Some(f), .. } if reason.contains("not logged") && f.len() == 1), "{v:?}");
    }

    #[test]
    fn aggregates_expose_nothing_unless_they_return_identifying_values() {
        assert_eq!(one("SELECT count(*) FROM customers WHERE state = 'VT'"), Access::Aggregate);
        assert_eq!(one("SELECT state, count(*) FROM customers GROUP BY state"), Access::Aggregate);
        assert_eq!(one("SELECT round(avg(length(email))) FROM customers"), Access::Aggregate);
        assert!(matches!(one("SELECT email, count(*) FROM customers GROUP BY email"), Access::WholeTable { .. }));
        assert!(matches!(one("SELECT max(email) FROM customers WHERE customer_id = 'C1'"), Access::Records(_)));
    }

    #[test]
    fn no_key_filter_is_unresolved_and_no_filter_is_a_whole_table() {
        match one("SELECT full_name, phone FROM customers WHERE state = 'VT'") {
            Access::Unresolved { fields: Some(f), reason, .. } => {
                assert_eq!(names(&f), ["customers.full_name", "customers.phone"]);
                assert!(reason.contains("names no record key"));
            }
            other => panic!("{other:?}"),
        }
        match one("select email from customers") {
            Access::WholeTable { tables, fields, .. } => {
                assert_eq!(tables, [0]);
                assert_eq!(names(&fields), ["customers.email"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(one("select email from customers limit 10"), Access::Unresolved { .. }));
        assert!(matches!(one("COPY customers TO STDOUT"), Access::WholeTable { .. }));
    }

    #[test]
    fn statements_that_read_no_case_table_or_write() {
        assert!(matches!(one("select 1"), Access::Nothing(_)));
        assert!(matches!(one("SELECT * FROM pg_catalog.pg_tables"), Access::Nothing(_)));
        assert!(matches!(one("UPDATE customers SET email = 'x' WHERE customer_id = 'C1'"), Access::Nothing(_)));
        assert!(matches!(one("SELECT 1 FROM customers WHERE customer_id = 'C1'"), Access::Nothing(_)));
    }

    #[test]
    fn unparsable_sql_is_unresolved_not_dropped() {
        assert!(matches!(one("SELEKT email FROM customers"), Access::Unresolved { fields: None, .. }));
    }

    #[test]
    fn not_logged_statement_of_a_read_is_unresolved() {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        let read = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("READ"));
        assert!(matches!(&read[0], Access::Unresolved { fields: None, .. }));
        let write = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("WRITE"));
        assert!(matches!(&write[0], Access::Nothing(_)));
    }
}
