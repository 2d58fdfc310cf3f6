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

use sqlparser::ast::{InTarget, 
    BinaryOperator, CastKind, CopySource, DataType, Expr, GroupByExpr, Ident, ObjectName, ObjectNamePart, OrderByKind, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use crate::evidence::access::{Access, FieldsFrom, RecordAccess, ReplayQuery};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::{FieldId, TableId, CUSTOMERS};
use crate::ingest::event::{Parameters, StatementText};

/// Aggregates that return no stored value (so no record's data).
const COUNTING_AGGREGATES: [&str; 12] =
    ["count", "sum", "avg", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bool_and", "bool_or", "every"];

pub fn interpret(it: &Interpreter<'_>, statement: &StatementText, parameters: &Parameters, class: Option<&str>, rows: Option<u64>) -> Vec<Access> {
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
    let ctx = Context { it, parameters, text, rows: if statements.len() == 1 { rows } else { None } };
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
    /// Rows the log says the statement returned.
    rows: Option<u64>,
}

/// A table in a query's FROM clause.
struct ScopeTable {
    /// Lower-case alias (or the table's bare name).
    alias: String,
    /// The name as written in the statement.
    written: String,
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
                    Access::WholeTable { tables: vec![table], fields, statement: self.text.to_string(), from: FieldsFrom::Given }
                }
                CopySource::Query(q) => self.query(q),
            },
            Statement::Copy { to: false, .. } => Access::Nothing("COPY FROM writes rows".into()),
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) | Statement::Merge(_) => {
                Access::Nothing("write statement".into())
            }
            _ => Access::Nothing("not a read statement".into()),
        }
    }

    fn query(&self, query: &Query) -> Access {
        if query.with.is_some() {
            return self.unresolved("WITH (common table expression) queries are not analysed yet");
        }
        match query.body.as_ref() {
            SetExpr::Select(select) => self.select(select, Some(query)),
            body => self.set_expr(body),
        }
    }

    fn set_expr(&self, body: &SetExpr) -> Access {
        match body {
            SetExpr::Select(select) => self.select(select, None),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, right, .. } => merge(self.set_expr(left), self.set_expr(right), self),
            SetExpr::Values(_) => Access::Nothing("reads no case table".into()),
            _ => self.unresolved("unsupported query form"),
        }
    }

    /// `query` is the query whose body this SELECT is (for ORDER BY and LIMIT); `None` inside a UNION.
    fn select(&self, select: &Select, query: Option<&Query>) -> Access {
        let limited = query.is_some_and(|q| q.limit_clause.is_some() || q.fetch.is_some());
        let mut scope = Vec::new();
        for from in &select.from {
            for factor in std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation)) {
                match factor {
                    TableFactor::Table { name, alias, .. } => {
                        let bare = last_part(name);
                        scope.push(ScopeTable {
                            alias: alias.as_ref().map(|a| a.name.value.to_lowercase()).unwrap_or_else(|| bare.to_lowercase()),
                            written: name.to_string(),
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
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } | SelectItem::ExprWithAliases { expr: e, .. } => {
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
            Some(Constraint::Unconstrained) => self.replay(select, query, &scope, &fields),
            None if limited => self.replay(select, query, &scope, &fields),
            None => Access::WholeTable { tables: case_tables, fields, statement: self.text.to_string(), from: FieldsFrom::Given },
        }
    }

    /// A query whose filter names no key: rewritten to return the keys of the rows it selects, over the
    /// case's tables, to be re-run against them. Anything that cannot be rewritten faithfully is unresolved.
    fn replay(&self, select: &Select, query: Option<&Query>, scope: &[ScopeTable], fields: &[FieldId]) -> Access {
        let Some(query) = query else {
            return self.unresolved_rows("a filter inside a UNION is not replayed yet", fields);
        };
        if let Some(unknown) = scope.iter().find(|s| s.table.is_none()) {
            return self.unresolved_rows(format!("reads `{}`, which is not a case table", unknown.written), fields);
        }
        if select.having.is_some() || select.distinct.is_some() && !matches!(select.distinct, Some(sqlparser::ast::Distinct::Distinct)) {
            return self.unresolved_rows("HAVING / DISTINCT ON are not replayed", fields);
        }
        if query.fetch.is_some() || query.with.is_some() {
            return self.unresolved_rows("FETCH / WITH queries are not replayed yet", fields);
        }
        if query.limit_clause.is_some() {
            let orders_by_key = match query.order_by.as_ref().map(|o| &o.kind) {
                Some(OrderByKind::Expressions(exprs)) => exprs.iter().any(|o| {
                    self.column(&o.expr, scope).is_some_and(|(t, c)| self.it.schema.tables[t].key_index == c)
                }),
                _ => false,
            };
            if !orders_by_key {
                return self.unresolved_rows("LIMIT without ORDER BY on a key: which rows is not determined", fields);
            }
        }

        // Outputs: the key of each table whose fields were returned.
        let schema = self.it.schema;
        let mut outputs: Vec<(usize, TableId, Vec<FieldId>)> = Vec::new();
        for (i, s) in scope.iter().enumerate() {
            let t = s.table.expect("checked above");
            let own: Vec<FieldId> = fields.iter().copied().filter(|f| schema.tables[t].fields().contains(f)).collect();
            if !own.is_empty() && !outputs.iter().any(|(_, ot, _)| *ot == t) {
                outputs.push((i, t, own));
            }
        }

        let has_subquery = select.selection.as_ref().is_some_and(|sel| {
            sqlparser::ast::visit_expressions(sel, |e| match e {
                Expr::Subquery(_) | Expr::In { target: InTarget::Subquery(_) | InTarget::Table { .. }, .. } | Expr::Exists { .. } => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            })
            .is_break()
        });
        if has_subquery {
            return self.unresolved_rows("a subquery in the filter is not replayed yet", fields);
        }
        let mut columns = BTreeSet::new();
        let mut failure: Option<String> = None;
        let mut rewrite = |e: &mut Expr| {
            if failure.is_some() {
                return ControlFlow::<()>::Continue(());
            }
            match e {
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) => match self.column_in_scope(e, scope) {
                    Some((slot, t, c)) => {
                        columns.insert((t, c));
                        *e = qualified(slot, &schema.tables[t].file.columns[c]);
                    }
                    None => failure = Some(format!("`{e}` is not a column of the case's tables")),
                },
                Expr::Value(v) => {
                    if let Value::Placeholder(p) = &v.value {
                        match self.parameter(p) {
                            Ok(value) => *e = Expr::Value(Value::SingleQuotedString(value).into()),
                            Err(reason) => failure = Some(reason),
                        }
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        };
        let mut selection = select.selection.clone();
        let mut order_by = query.order_by.clone();
        let mut from_list: Vec<sqlparser::ast::TableWithJoins> = select.from.clone();
        if let Some(sel) = selection.as_mut() {
            let _ = sqlparser::ast::visit_expressions_mut(sel, &mut rewrite);
        }
        let _ = sqlparser::ast::visit_expressions_mut(&mut order_by, &mut rewrite);
        for from in &mut from_list {
            for join in &mut from.joins {
                let _ = sqlparser::ast::visit_expressions_mut(&mut join.join_operator, &mut rewrite);
            }
        }
        if let Some(reason) = failure {
            return self.unresolved_rows(reason, fields);
        }
        // Tables are loaded as text: compare numerically where the statement compares with a number.
        if let Some(sel) = selection.as_mut() {
            let _ = sqlparser::ast::visit_expressions_mut(sel, |e| {
                cast_for_numbers(e);
                ControlFlow::<()>::Continue(())
            });
        }
        // Every relation → the case table's name with a fixed alias `t{slot}`.
        let mut slot = 0;
        for from in &mut from_list {
            for factor in std::iter::once(&mut from.relation).chain(from.joins.iter_mut().map(|j| &mut j.relation)) {
                if let TableFactor::Table { name, alias, .. } = factor {
                    let t = scope[slot].table.expect("checked above");
                    *name = ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote('"', &schema.tables[t].name))]);
                    *alias = Some(TableAlias { explicit: true, name: Ident::new(format!("t{slot}")), columns: vec![], at: None });
                }
                slot += 1;
            }
        }
        let projection: Vec<String> =
            outputs.iter().enumerate().map(|(i, (s, t, _))| format!("{} AS \"__key{i}\"", qualified(*s, &schema.tables[*t].key))).collect();
        let mut sql = format!("SELECT {} FROM {}", projection.join(", "), from_list.iter().map(|j| j.to_string()).collect::<Vec<_>>().join(", "));
        if let Some(sel) = &selection {
            sql.push_str(&format!(" WHERE {sel}"));
        }
        if let Some(order) = &order_by {
            sql.push_str(&format!(" {order}"));
        }
        if let Some(limit) = &query.limit_clause {
            sql.push_str(&format!("{limit}"));
        }
        for (_, t, _) in &outputs {
            columns.insert((*t, schema.tables[*t].key_index));
        }
        Access::Replay(ReplayQuery {
            statement: self.text.to_string(),
            sql,
            outputs: outputs.into_iter().map(|(_, t, f)| (t, f)).collect(),
            columns,
            logged_rows: self.rows,
            fields: fields.to_vec(),
            from: FieldsFrom::Given,
        })
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
        self.column_in_scope(expr, scope).map(|(_, t, c)| (t, c))
    }

    /// A column reference resolved to (position in the FROM list, case table, column index).
    fn column_in_scope(&self, expr: &Expr, scope: &[ScopeTable]) -> Option<(usize, TableId, usize)> {
        let (qualifier, name) = match expr {
            Expr::Identifier(ident) => (None, ident.value.as_str()),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                (Some(parts[parts.len() - 2].value.to_lowercase()), parts[parts.len() - 1].value.as_str())
            }
            _ => return None,
        };
        for (slot, s) in scope.iter().enumerate() {
            if qualifier.as_ref().is_some_and(|q| *q != s.alias) {
                continue;
            }
            if let Some(t) = s.table {
                if let Some(i) = column_index(&self.it.schema.tables[t].file.columns, name) {
                    return Some((slot, t, i));
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
            (Parameters::NotLogged, _) => Err("the statement uses bind parameters and they were not logged".into()),
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
            Expr::In { expr, target: InTarget::List(list), negated: false, .. } => {
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

/// `t{slot}."column"`.
fn qualified(slot: usize, column: &str) -> Expr {
    Expr::CompoundIdentifier(vec![Ident::new(format!("t{slot}")), Ident::with_quote('"', column)])
}

fn is_number(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => is_number(expr),
        _ => false,
    }
}

fn try_cast_double(e: &mut Expr) {
    let inner = std::mem::replace(e, Expr::Value(Value::Null.into()));
    *e = Expr::Cast { kind: CastKind::TryCast, expr: Box::new(inner), data_type: DataType::Double(sqlparser::ast::ExactNumberInfo::None), format: None };
}

/// `col > 30` over text columns → `TRY_CAST(col AS DOUBLE) > 30` (and BETWEEN, IN of numbers).
fn cast_for_numbers(e: &mut Expr) {
    match e {
        Expr::BinaryOp { left, op, right }
            if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq | BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq) =>
        {
            if is_number(right) && matches!(**left, Expr::CompoundIdentifier(_)) {
                try_cast_double(left);
            } else if is_number(left) && matches!(**right, Expr::CompoundIdentifier(_)) {
                try_cast_double(right);
            }
        }
        Expr::Between { expr, low, high, .. } if is_number(low) && is_number(high) && matches!(**expr, Expr::CompoundIdentifier(_)) => {
            try_cast_double(expr);
        }
        Expr::In { expr, target: InTarget::List(list), .. } if !list.is_empty() && list.iter().all(is_number) && matches!(**expr, Expr::CompoundIdentifier(_)) => {
            try_cast_double(expr);
        }
        _ => {}
    }
}

/// Two parts of a UNION: both name records → one list; otherwise the weaker evidence wins.
fn merge(a: Access, b: Access, ctx: &Context<'_>) -> Access {
    match (a, b) {
        (Access::Records(mut x), Access::Records(y)) => {
            x.extend(y);
            Access::Records(x)
        }
        (Access::Nothing(_) | Access::NoRoute | Access::Aggregate, other) | (other, Access::Nothing(_) | Access::NoRoute | Access::Aggregate) => other,
        (Access::WholeTable { mut tables, mut fields, statement, from }, Access::WholeTable { tables: t2, fields: f2, from: f, .. }) => {
            tables.extend(t2);
            fields.extend(f2);
            Access::WholeTable { tables: dedup(tables), fields: dedup(fields), statement, from: from.max(f) }
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
    use crate::evidence::interpreter::testing;
    use crate::evidence::access::Grade;

    fn run(sql: &str, params: Parameters) -> Vec<Access> {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        interpret(&it, &StatementText::Logged(sql.into()), &params, Some("READ"), None)
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

    fn replay(sql: &str, params: Parameters) -> ReplayQuery {
        match run(sql, params).remove(0) {
            Access::Replay(q) => q,
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn no_key_filter_is_replayed_and_no_filter_is_a_whole_table() {
        let q = replay("SELECT full_name, phone FROM customers WHERE state = 'VT'", Parameters::None);
        assert_eq!(q.sql, r#"SELECT t0."customer_id" AS "__key0" FROM "customers" AS t0 WHERE t0."state" = 'VT'"#);
        assert_eq!(q.outputs.len(), 1);
        assert_eq!(names(&q.outputs[0].1), ["customers.full_name", "customers.phone"]);
        match one("select email from customers") {
            Access::WholeTable { tables, fields, .. } => {
                assert_eq!(tables, [0]);
                assert_eq!(names(&fields), ["customers.email"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(one("select email from customers limit 10"), Access::Unresolved { fields: Some(_), .. }));
        assert!(matches!(one("COPY customers TO STDOUT"), Access::WholeTable { .. }));
    }

    #[test]
    fn replay_rewrites_joins_parameters_numbers_and_ordered_limits() {
        let q = replay(
            "SELECT c.full_name, t.subject FROM tickets t JOIN customers c ON c.customer_id = t.customer_id WHERE c.State = $1 AND t.subject ILIKE '%card%'",
            Parameters::Values(vec!["VT".into()]),
        );
        assert_eq!(
            q.sql,
            r#"SELECT t0."ticket_number" AS "__key0", t1."customer_id" AS "__key1" FROM "tickets" AS t0 JOIN "customers" AS t1 ON t1."customer_id" = t0."customer_id" WHERE t1."state" = 'VT' AND t0."subject" ILIKE '%card%'"#
        );
        assert_eq!(q.outputs.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [1, 0]);
        let q = replay("SELECT email FROM customers WHERE card_number > 4000 AND phone BETWEEN 1 AND 9 ORDER BY customer_id LIMIT 5", Parameters::None);
        assert!(q.sql.contains(r#"TRY_CAST(t0."card_number" AS DOUBLE) > 4000"#), "{}", q.sql);
        assert!(q.sql.contains(r#"TRY_CAST(t0."phone" AS DOUBLE) BETWEEN 1 AND 9"#), "{}", q.sql);
        assert!(q.sql.ends_with(r#"ORDER BY t0."customer_id" LIMIT 5"#), "{}", q.sql);
    }

    #[test]
    fn what_cannot_be_replayed_faithfully_is_unresolved_with_a_reason() {
        for (sql, reason) in [
            ("SELECT email FROM customers WHERE state = 'VT' LIMIT 3", "LIMIT without ORDER BY on a key"),
            ("SELECT email FROM customers ORDER BY state LIMIT 3", "LIMIT without ORDER BY on a key"),
            ("SELECT email FROM customers WHERE nickname = 'x'", "is not a column"),
            ("SELECT c.email FROM customers c JOIN orders o ON o.cid = c.customer_id WHERE o.total > 5", "not a case table"),
            ("SELECT email FROM customers WHERE customer_id IN (SELECT customer_id FROM tickets WHERE subject LIKE '%x%')", "subquery"),
        ] {
            match one(sql) {
                Access::Unresolved { reason: r, fields: Some(_), .. } => assert!(r.contains(reason), "{sql}: {r}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        let v = run("SELECT email FROM customers WHERE state = $1", Parameters::NotLogged);
        assert!(matches!(&v[0], Access::Unresolved { reason, .. } if reason.contains("not logged")), "{v:?}");
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
        let read = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("READ"), None);
        assert!(matches!(&read[0], Access::Unresolved { fields: None, .. }));
        let write = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("WRITE"), None);
        assert!(matches!(&write[0], Access::Nothing(_)));
    }
}
