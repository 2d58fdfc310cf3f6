//! Logged SQL: which records a statement named and which columns it returned.
//!
//! - `WHERE key = v`, `WHERE key IN (...)`, joined by AND (and OR of key tests) name records. A linked
//!   table's customer column (`tickets.customer_id = 'C1'`) names the customer directly.
//! - The SELECT list gives the fields (`*` and `t.*`: every column of the table). Columns only used to
//!   filter or sort are not returned, so not exposed.
//! - A query returning only aggregates (`count(*)`, `avg(x)`, `GROUP BY state`) exposes no record, unless
//!   it returns a column that singles out a person (`GROUP BY email`): that is treated as a row listing.
//!   `min`/`max`/`array_agg`/`string_agg` return values themselves and count as returned columns.
//! - No WHERE and no LIMIT: the whole table was read. A filter that names no key is replayed.
//! - Quoted names in every dialect (`` `crm`.`customers` ``, `"public"."customers"`, `[dbo].[customers]`) are
//!   names like any other; the parser's dialect follows the log's format (see [`SqlDialect`]).
//! - Administration statements (accounts and privileges, settings, SHOW, schema changes, plugins) return no
//!   table rows: ignored with their reason, told by MySQL's `sql_command` where the log gives it.
//! - A statement that reads only tables that are not the case's names them ([`Access::OtherTables`]).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{InTarget, 
    BinaryOperator, CastKind, CopySource, DataType, Expr, GroupByExpr, Ident, ObjectName, ObjectNamePart, OrderByKind, Query, Select,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::{BigQueryDialect, Dialect, GenericDialect, MsSqlDialect, MySqlDialect, OracleDialect, PostgreSqlDialect, SnowflakeDialect};
use sqlparser::parser::Parser;

use crate::evidence::access::{Access, FieldsFrom, RecordAccess, ReplayQuery};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::{FieldId, TableId, CUSTOMERS};
use crate::ingest::event::{Format, Parameters, StatementText};

/// Aggregates that return no stored value (so no record's data).
const COUNTING_AGGREGATES: [&str; 12] =
    ["count", "sum", "avg", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bool_and", "bool_or", "every"];

/// The SQL dialect a log writes, which decides what quotes mean: MySQL's `"x"` is a string and `` `x` `` a name,
/// PostgreSQL's `"x"` a name. Statements are parsed in the log's dialect first, then in the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlDialect {
    /// MySQL, MariaDB, Percona audit logs.
    MySql,
    /// PostgreSQL logs (pgaudit), and PartiQL (DynamoDB), whose quotes are PostgreSQL's.
    PostgreSql,
    /// A generic export (`query` column of a CSV or JSON Lines log): PostgreSQL, MySQL, SQL Server in turn.
    Unknown,
    /// SQL Server Audit (T-SQL: `[x]` is a name, `TOP n`, `@variables`).
    MsSql,
    /// Oracle Unified Auditing (`"X"` is a name, `:name` / `:1` binds).
    Oracle,
    /// Snowflake query text (`"X"` is a name).
    Snowflake,
    /// BigQuery GoogleSQL (`` `project.dataset.table` ``).
    BigQuery,
}

impl SqlDialect {
    /// The dialect of a log format's statements; `None` (not known): tried in turn.
    pub fn of(format: Option<Format>) -> SqlDialect {
        match format {
            Some(Format::MysqlAudit) => SqlDialect::MySql,
            Some(Format::Pgaudit | Format::Cloudtrail) => SqlDialect::PostgreSql,
            Some(Format::MssqlAudit) => SqlDialect::MsSql,
            Some(Format::OracleAudit) => SqlDialect::Oracle,
            Some(Format::SnowflakeAccess) => SqlDialect::Snowflake,
            Some(Format::BigqueryAudit) => SqlDialect::BigQuery,
            _ => SqlDialect::Unknown,
        }
    }

    fn parsers(self) -> &'static [&'static dyn Dialect] {
        match self {
            SqlDialect::MySql => &[&MySqlDialect {}, &GenericDialect {}, &PostgreSqlDialect {}],
            SqlDialect::PostgreSql => &[&PostgreSqlDialect {}, &GenericDialect {}, &MySqlDialect {}],
            SqlDialect::Unknown => &[&PostgreSqlDialect {}, &MySqlDialect {}, &MsSqlDialect {}, &GenericDialect {}],
            SqlDialect::MsSql => &[&MsSqlDialect {}, &GenericDialect {}],
            SqlDialect::Oracle => &[&OracleDialect {}, &GenericDialect {}, &PostgreSqlDialect {}],
            SqlDialect::Snowflake => &[&SnowflakeDialect {}, &GenericDialect {}, &PostgreSqlDialect {}],
            SqlDialect::BigQuery => &[&BigQueryDialect {}, &GenericDialect {}, &MySqlDialect {}],
        }
    }
}

pub fn interpret(
    it: &Interpreter<'_>,
    statement: &StatementText,
    parameters: &Parameters,
    class: Option<&str>,
    rows: Option<u64>,
    dialect: SqlDialect,
) -> Vec<Access> {
    let text = match statement {
        StatementText::Logged(t) => t,
        StatementText::NotLogged if class.is_some_and(|c| c != "READ") => {
            return vec![Access::Nothing(format!("statement not logged, audit class {}", class.unwrap_or_default()))];
        }
        StatementText::NotLogged => {
            return vec![Access::Unresolved { statement: "<not logged>".into(), reason: "statement text not logged".into(), fields: None }];
        }
    };
    // The log's own word for the command (MySQL `sql_command`, Percona `command_class`) is trusted.
    if let Some(reason) = class.and_then(admin_command) {
        return vec![Access::Nothing(reason.into())];
    }
    let statements = match parse(text, dialect) {
        Ok(s) => s,
        // A statement the parser refuses may still be plainly an administration statement (MySQL writes a
        // password as `IDENTIFIED BY <secret>`, MariaDB as `*****`): told by its first words.
        Err(_) if admin_words(text).is_some() => return vec![Access::Nothing(admin_words(text).unwrap_or_default().into())],
        Err(_) if plsql_block(text) => {
            let reason = "a PL/SQL block or procedure call ran: the rows it returned are not in the log".to_string();
            return vec![Access::Unresolved { statement: text.clone(), reason, fields: None }];
        }
        Err(e) => return vec![Access::Unresolved { statement: text.clone(), reason: format!("SQL could not be parsed: {e}"), fields: None }],
    };
    let ctx = Context { it, parameters, text, rows: if statements.len() == 1 { rows } else { None } };
    let mut out: Vec<Access> = statements.iter().map(|s| ctx.statement(s)).collect();
    if out.is_empty() {
        out.push(Access::Nothing("empty statement".into()));
    }
    out
}

/// An Oracle PL/SQL block or call (`BEGIN pkg.proc(:1); END;`, `DECLARE ...`, `CALL ...`), which sqlparser does not read.
fn plsql_block(text: &str) -> bool {
    let first = without_comments(text).split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
    matches!(first.as_str(), "BEGIN" | "DECLARE" | "CALL")
}

/// Parses in the dialect's parsers in turn; the error is the first parser's (the log's own dialect).
fn parse(text: &str, dialect: SqlDialect) -> Result<Vec<Statement>, String> {
    let mut first_error = None;
    for parser in dialect.parsers() {
        match Parser::parse_sql(*parser, text) {
            Ok(statements) => return Ok(statements),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Err(first_error.unwrap_or_default())
}

const ACCOUNTS: &str = "administration statement: accounts and privileges (CREATE USER, GRANT, SET PASSWORD...), no table rows returned";
const SETTING: &str = "administration statement: a setting (SET), no table rows returned";
const SHOW: &str = "administration statement: SHOW (server metadata), no table rows returned";
const SCHEMA: &str = "administration statement: schema change (ALTER TABLE, RENAME TABLE...), no table rows returned";
const PLUGIN: &str = "administration statement: plugin or component (INSTALL, UNINSTALL), no table rows returned";
const SESSION: &str = "administration statement: session or server command (USE, FLUSH, KILL, transaction control), no table rows returned";

/// MySQL's name for a command as its audit logs write it (`sql_command`, Percona's `command_class`:
/// `create_user`, `set_option`, `show_tables`...), when it is an administration command.
fn admin_command(command: &str) -> Option<&'static str> {
    Some(match command {
        "create_user" | "alter_user" | "drop_user" | "rename_user" | "grant" | "grant_roles" | "revoke" | "revoke_all" | "revoke_roles"
        | "set_password" | "create_role" | "drop_role" | "set_role" | "alter_user_default_role" => ACCOUNTS,
        "set_option" => SETTING,
        "alter_table" | "rename_table" => SCHEMA,
        "install_plugin" | "uninstall_plugin" | "install_component" | "uninstall_component" => PLUGIN,
        "change_db" | "flush" | "kill" | "begin" | "commit" | "rollback" | "savepoint" | "release_savepoint" | "rollback_to_savepoint" => SESSION,
        c if c.starts_with("show_") => SHOW,
        _ => return None,
    })
}

/// An administration statement as parsed.
fn admin_statement(statement: &Statement) -> Option<&'static str> {
    Some(match statement {
        Statement::CreateUser(_)
        | Statement::AlterUser(_)
        | Statement::CreateRole(_)
        | Statement::AlterRole { .. }
        | Statement::Grant(_)
        | Statement::GrantRole(_)
        | Statement::Deny(_)
        | Statement::Revoke(_)
        | Statement::RevokeRole(_)
        | Statement::AlterDefaultPrivileges(_) => ACCOUNTS,
        Statement::Set(sqlparser::ast::Set::SetRole { .. } | sqlparser::ast::Set::SetSessionAuthorization(_)) => ACCOUNTS,
        Statement::Set(_) | Statement::Reset(_) => SETTING,
        Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowProcessList { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCharset(_)
        | Statement::ShowObjects(_)
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCollation { .. } => SHOW,
        Statement::AlterTable(_) | Statement::RenameTable(_) => SCHEMA,
        Statement::Install { .. } => PLUGIN,
        Statement::Use(_)
        | Statement::Flush { .. }
        | Statement::Kill { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => SESSION,
        _ => return None,
    })
}

/// An administration statement told by its first words, for a statement the parser refuses. Never when the
/// text holds a SELECT (`SET @x = (SELECT ...)`): that may return rows and stays unresolved.
fn admin_words(text: &str) -> Option<&'static str> {
    let words: Vec<String> = without_comments(text)
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words.iter().any(|w| w == "SELECT") {
        return None;
    }
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
    Some(match (word(0), word(1)) {
        ("CREATE" | "ALTER" | "DROP" | "RENAME", "USER" | "ROLE") | ("GRANT" | "REVOKE", _) | ("SET", "PASSWORD" | "ROLE") => ACCOUNTS,
        ("SET", _) => SETTING,
        ("SHOW", _) => SHOW,
        ("ALTER" | "RENAME", "TABLE") => SCHEMA,
        ("INSTALL" | "UNINSTALL", "PLUGIN" | "COMPONENT" | "SONAME") => PLUGIN,
        ("USE" | "FLUSH" | "KILL", _) => SESSION,
        _ => return None,
    })
}

/// The statement with its comments blanked out (`/* */`, `-- `, `#`), quoted text kept.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
                out.push(' ');
            }
            '-' if chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '#' => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '\'' | '"' | '`' => {
                out.push(' ');
                for n in chars.by_ref() {
                    if n == c {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
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
                    let parts = name_parts(table_name);
                    let Some(table) = self.it.table_of(&parts) else {
                        return Access::OtherTables(vec![parts.join(".")]);
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
            // A stored procedure (T-SQL `EXEC`, `EXECUTE name`) may return any rows of any table: not "nothing".
            Statement::Execute { .. } => self.unresolved("a stored procedure or prepared statement ran: the rows it returned are not in the log"),
            other => Access::Nothing(admin_statement(other).unwrap_or("not a read statement").into()),
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
        let limited = select.top.is_some() || query.is_some_and(|q| q.limit_clause.is_some() || q.fetch.is_some());
        let mut scope = Vec::new();
        for from in &select.from {
            for factor in std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation)) {
                match factor {
                    TableFactor::Table { name, alias, .. } => {
                        let parts = name_parts(name);
                        let bare = parts.last().cloned().unwrap_or_default();
                        scope.push(ScopeTable {
                            alias: alias.as_ref().map(|a| a.name.value.to_lowercase()).unwrap_or_else(|| bare.to_lowercase()),
                            table: self.it.table_of(&parts),
                            written: parts.join("."),
                        });
                    }
                    TableFactor::Derived { .. } => return self.unresolved("subquery in FROM is not analysed yet"),
                    _ => return self.unresolved("unsupported FROM item"),
                }
            }
        }
        let case_tables: Vec<TableId> = dedup(scope.iter().filter_map(|s| s.table).collect());
        if case_tables.is_empty() {
            if scope.is_empty() {
                return Access::Nothing("reads no case table".into());
            }
            return Access::OtherTables(dedup(scope.iter().map(|s| s.written.clone()).collect()));
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
        // T-SQL `TOP n` is a LIMIT (replayed as one); `TOP n PERCENT` / `WITH TIES` are not replayed.
        let top = match &select.top {
            None => None,
            Some(top) if top.percent || top.with_ties => return self.unresolved_rows("TOP ... PERCENT / WITH TIES is not replayed", fields),
            Some(top) => match &top.quantity {
                Some(sqlparser::ast::TopQuantity::Constant(n)) => Some(*n),
                Some(sqlparser::ast::TopQuantity::Expr(e)) => match self.literal(e) {
                    Ok(Some(n)) if n.parse::<u64>().is_ok() => n.parse::<u64>().ok(),
                    _ => return self.unresolved_rows(format!("TOP {e}: the number of rows is not known"), fields),
                },
                None => return self.unresolved_rows("TOP without a number is not replayed", fields),
            },
        };
        if query.limit_clause.is_some() || top.is_some() {
            let orders_by_key = match query.order_by.as_ref().map(|o| &o.kind) {
                Some(OrderByKind::Expressions(exprs)) => exprs.iter().any(|o| {
                    self.column(&o.expr, scope).is_some_and(|(t, c)| self.it.schema.tables[t].key_index == c)
                }),
                _ => false,
            };
            if !orders_by_key {
                let limit = if top.is_some() { "TOP" } else { "LIMIT" };
                return self.unresolved_rows(format!("{limit} without ORDER BY on a key: which rows is not determined"), fields);
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
                    None if e.to_string().starts_with('@') => {
                        failure = Some(format!("`{e}` is a T-SQL variable or parameter: its value is not in the log"))
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
        } else if let Some(n) = top {
            sql.push_str(&format!(" LIMIT {n}"));
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
        if let Some(name) = placeholder.strip_prefix(':') {
            return named_bind(self.text, name, self.parameters);
        }
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
        (Access::OtherTables(mut x), Access::OtherTables(y)) => {
            x.extend(y);
            Access::OtherTables(dedup(x))
        }
        (Access::Nothing(_) | Access::NoRoute | Access::Aggregate | Access::OtherTables(_), other)
        | (other, Access::Nothing(_) | Access::NoRoute | Access::Aggregate | Access::OtherTables(_)) => other,
        (Access::WholeTable { mut tables, mut fields, statement, from }, Access::WholeTable { tables: t2, fields: f2, from: f, .. }) => {
            tables.extend(t2);
            fields.extend(f2);
            Access::WholeTable { tables: dedup(tables), fields: dedup(fields), statement, from: from.max(f) }
        }
        _ => ctx.unresolved("UNION of record lookups and other reads is not analysed yet"),
    }
}

/// The parts of a name, without their quotes (`` `crm`.`customers` `` → `crm`, `customers`).
/// An Oracle bind (`:name`, `:1`, `:b1`): Oracle binds by position, and its audit trail logs the values in the
/// order of the statement's bind positions (`SQL_BINDS` `#1(..):v #2(..):w`). The positions are the placeholders in
/// text order (quotes and comments skipped); where fewer values were logged than there are placeholders, one value
/// per distinct name (a name used twice is bound once). A name whose positions hold different values, or a count that
/// fits neither, is not guessed.
fn named_bind(text: &str, name: &str, parameters: &Parameters) -> Result<String, String> {
    let values = match parameters {
        Parameters::Values(values) => values,
        Parameters::NotLogged => return Err("the statement uses bind parameters and they were not logged".into()),
        Parameters::None => return Err(format!("bind parameter :{name} has no logged value")),
    };
    let occurrences = colon_binds(text);
    let mut distinct: Vec<&String> = Vec::new();
    for o in &occurrences {
        if !distinct.iter().any(|d| d.eq_ignore_ascii_case(o)) {
            distinct.push(o);
        }
    }
    let positions: Vec<usize> = if values.len() == occurrences.len() {
        occurrences.iter().enumerate().filter(|(_, o)| o.eq_ignore_ascii_case(name)).map(|(i, _)| i).collect()
    } else if values.len() == distinct.len() {
        distinct.iter().position(|d| d.eq_ignore_ascii_case(name)).into_iter().collect()
    } else {
        return Err(format!("{} bind value(s) logged for {} bind position(s): which value is :{name} is not known", values.len(), occurrences.len()));
    };
    let mut found = positions.iter().map(|i| &values[*i]);
    let first = found.next().ok_or_else(|| format!("bind parameter :{name} has no logged value"))?;
    if found.any(|v| v != first) {
        return Err(format!("bind parameter :{name} has different values at its positions"));
    }
    Ok(first.clone())
}

/// The `:name` placeholders of a statement in text order, outside quotes and comments (`::` casts are not binds).
fn colon_binds(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b':' if b.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && (b[end].is_ascii_alphanumeric() || matches!(b[end], b'_' | b'$' | b'#')) {
                    end += 1;
                }
                if end > start {
                    out.push(text[start..end].to_string());
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|p| match p {
            // BigQuery quotes a whole path in one pair of backticks: `project.dataset.table`.
            ObjectNamePart::Identifier(ident) if ident.quote_style == Some('`') && ident.value.contains('.') => {
                ident.value.split('.').map(str::to_string).collect::<Vec<_>>()
            }
            ObjectNamePart::Identifier(ident) => vec![ident.value.clone()],
            other => vec![other.to_string()],
        })
        .collect()
}

fn last_part(name: &ObjectName) -> String {
    name_parts(name).pop().unwrap_or_default()
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
        interpret(&it, &StatementText::Logged(sql.into()), &params, Some("READ"), None, SqlDialect::Unknown)
    }

    fn run_in(sql: &str, params: Parameters, dialect: SqlDialect) -> Vec<Access> {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        interpret(&it, &StatementText::Logged(sql.into()), &params, Some("SL"), None, dialect)
    }

    #[test]
    fn t_sql_brackets_top_variables_and_procedures() {
        let one_in = |sql: &str| run_in(sql, Parameters::None, SqlDialect::MsSql).remove(0);
        let (_, keys, fields) = records(one_in("SELECT TOP 1 [email] FROM [crm].[dbo].[customers] WHERE [customer_id] = N'C1'"));
        assert_eq!((keys, fields), (vec!["C1".to_string()], vec!["customers.email".to_string()]));
        // TOP is a LIMIT: replayed only when ordered by the key, and then with the same number of rows.
        match one_in("SELECT TOP 5 [email] FROM [dbo].[customers] WHERE [state] = 'VT' ORDER BY [customer_id]") {
            Access::Replay(q) => assert!(q.sql.ends_with(" LIMIT 5"), "{}", q.sql),
            other => panic!("{other:?}"),
        }
        let a = one_in("SELECT TOP 5 email FROM customers WHERE state = 'VT'");
        assert!(matches!(&a, Access::Unresolved { reason, fields: Some(_), .. } if reason.starts_with("TOP without ORDER BY")), "{a:?}");
        assert!(matches!(one_in("SELECT TOP 10 email FROM customers"), Access::Unresolved { .. }));
        let a = one_in("SELECT email FROM customers WHERE customer_id = @id");
        assert!(matches!(&a, Access::Unresolved { reason, .. } if reason.contains("`@id` is a T-SQL variable")), "{a:?}");
        // A stored procedure may return any rows: never "nothing".
        let a = one_in("EXEC dbo.get_customer @id = 5");
        assert!(matches!(&a, Access::Unresolved { reason, .. } if reason.contains("stored procedure")), "{a:?}");
    }

    #[test]
    fn oracle_binds_are_taken_by_position() {
        let run_o = |sql: &str, values: &[&str]| {
            run_in(sql, Parameters::Values(values.iter().map(|v| v.to_string()).collect()), SqlDialect::Oracle).remove(0)
        };
        let (_, keys, _) = records(run_o("SELECT email FROM crm.customers WHERE customer_id = :1", &["C5"]));
        assert_eq!(keys, ["C5"]);
        let (_, keys, _) = records(run_o("SELECT email FROM customers WHERE customer_id = :b OR customer_id = :a", &["C1", "C2"]));
        assert_eq!(keys, ["C1", "C2"]);
        // One value per distinct name, or one per position: both read; a ':' inside a string is no bind.
        let (_, keys, _) = records(run_o("SELECT email FROM customers WHERE customer_id IN (:x, :x) AND full_name <> 'a:b'", &["C3"]));
        assert_eq!(keys, ["C3", "C3"]);
        let a = run_o("SELECT email FROM customers WHERE customer_id = :x OR customer_id = :y", &["C1"]);
        assert!(matches!(&a, Access::Unresolved { reason, .. } if reason.contains("1 bind value(s) logged for 2")), "{a:?}");
        let a = run_o("SELECT email FROM customers WHERE customer_id IN (:x, :y, :x)", &["C1", "C2", "C9"]);
        assert!(matches!(&a, Access::Unresolved { reason, .. } if reason.contains("different values")), "{a:?}");
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
        assert_eq!(one("SELECT * FROM pg_catalog.pg_tables"), Access::OtherTables(vec!["pg_catalog.pg_tables".into()]));
        assert!(matches!(one("UPDATE customers SET email = 'x' WHERE customer_id = 'C1'"), Access::Nothing(_)));
        assert!(matches!(one("SELECT 1 FROM customers WHERE customer_id = 'C1'"), Access::Nothing(_)));
    }

    /// As `one`, in a dialect, with `[logs.tables]` entries and the log's command name (`class`).
    fn one_in(sql: &str, dialect: SqlDialect, tables: &[(&str, TableId)], class: Option<&str>) -> Access {
        let schema = testing::schema();
        let mut log = testing::log();
        for (name, table) in tables {
            log.table_names.insert(name.to_string(), *table);
        }
        let it = Interpreter::new(&schema, &log);
        let mut v = interpret(&it, &StatementText::Logged(sql.into()), &Parameters::None, class, None, dialect);
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    #[test]
    fn orm_statements_with_quoted_and_schema_qualified_names_name_their_records() {
        use SqlDialect::{MySql, PostgreSql, Unknown};
        let email_and_name = ["customers.full_name", "customers.email"];
        for (sql, dialect) in [
            // Hibernate 6 on MySQL with globally quoted identifiers (literal values: client-side prepared statements).
            ("select c1_0.`customer_id`,c1_0.`email`,c1_0.`full_name` from `crm`.`customers` c1_0 where c1_0.`customer_id`='C1'", MySql),
            // ActiveRecord (mysql2): `table`.* and `table`.`column`.
            ("SELECT `customers`.* FROM `customers` WHERE `customers`.`customer_id` = 'C1' LIMIT 1", MySql),
            // ActiveRecord (postgresql), parameters inlined by the server log.
            (r#"SELECT "customers".* FROM "customers" WHERE "customers"."customer_id" = 'C1' LIMIT 1"#, PostgreSql),
            // Sequelize (MySQL and PostgreSQL): schema-qualified table with a model alias.
            ("SELECT `customer_id`, `full_name`, `email` FROM `crm`.`customers` AS `Customer` WHERE `Customer`.`customer_id` = 'C1';", MySql),
            (r#"SELECT "customer_id", "full_name", "email" FROM "public"."customers" AS "Customer" WHERE "Customer"."customer_id" = 'C1';"#, PostgreSql),
            // Entity Framework Core (SQL Server): brackets, N'' strings; read from a generic export.
            ("SELECT TOP(1) [c].[customer_id], [c].[full_name], [c].[email] FROM [dbo].[customers] AS [c] WHERE [c].[customer_id] = N'C1'", Unknown),
            // Three-part names (database.schema.table).
            (r#"SELECT c."email", c."full_name" FROM "crm"."public"."customers" c WHERE c."customer_id" IN ('C1')"#, PostgreSql),
        ] {
            let (table, keys, mut fields) = records(one_in(sql, dialect, &[], None));
            assert_eq!((table, keys), (CUSTOMERS, vec!["C1".to_string()]), "{sql}");
            fields.retain(|f| email_and_name.contains(&f.as_str()));
            fields.sort();
            assert_eq!(fields, ["customers.email", "customers.full_name"], "{sql}");
        }
        // Django names tables app_model: found through [logs.tables], with or without the schema in the entry.
        let django = "SELECT `crm_customer`.`customer_id`, `crm_customer`.`email` FROM `crm_customer` WHERE `crm_customer`.`customer_id` = 'C2' LIMIT 21";
        assert_eq!(records(one_in(django, MySql, &[("crm_customer", 0)], None)).1, ["C2"]);
        let qualified = "SELECT `t`.`email` FROM `support`.`crm_customer` `t` WHERE `t`.`customer_id` = 'C3'";
        assert_eq!(records(one_in(qualified, MySql, &[("crm_customer", 0)], None)).1, ["C3"]);
        assert_eq!(records(one_in(qualified, MySql, &[("support.crm_customer", 0)], None)).1, ["C3"]);
        assert_eq!(records(one_in(qualified, MySql, &[("`support`.`crm_customer`", 0)], None)).1, ["C3"]);
        // An entry with another schema does not match.
        assert_eq!(one_in(qualified, MySql, &[("archive.crm_customer", 0)], None), Access::OtherTables(vec!["support.crm_customer".into()]));
        // MySQL's double quotes are strings: the key is named, not taken for a column.
        assert_eq!(records(one_in(r#"select email from customers where customer_id = "C4""#, MySql, &[], None)).1, ["C4"]);
    }

    proptest::proptest! {
        /// However a dialect quotes the names (and whether a schema is written), a key lookup names the same key and
        /// returns the same column.
        #[test]
        fn quoting_never_changes_the_records_named(key in "[A-Z][0-9]{1,6}", style in 0usize..4, schema in proptest::option::of("s_[a-z0-9_]{0,8}")) {
            let (dialect, q): (SqlDialect, fn(&str) -> String) = match style {
                0 => (SqlDialect::MySql, |n| format!("`{n}`")),
                1 => (SqlDialect::PostgreSql, |n| format!("\"{n}\"")),
                2 => (SqlDialect::Unknown, |n| format!("[{n}]")),
                _ => (SqlDialect::Unknown, |n| n.to_string()),
            };
            let table = match &schema {
                Some(s) => format!("{}.{}", q(s), q("customers")),
                None => q("customers"),
            };
            let sql = format!("SELECT {} FROM {table} WHERE {} = '{key}'", q("email"), q("customer_id"));
            let (t, keys, fields) = records(one_in(&sql, dialect, &[], None));
            proptest::prop_assert_eq!((t, keys, fields), (CUSTOMERS, vec![key.clone()], vec!["customers.email".to_string()]), "{}", sql);
        }
    }

    #[test]
    fn a_table_that_is_not_the_cases_is_named() {
        assert_eq!(
            one_in("SELECT `c`.`email` FROM `crm`.`customer` `c` WHERE `c`.`id` = 7", SqlDialect::MySql, &[], None),
            Access::OtherTables(vec!["crm.customer".into()])
        );
        assert_eq!(one("COPY crm.leads TO STDOUT"), Access::OtherTables(vec!["crm.leads".into()]));
        assert_eq!(
            one("SELECT a.x FROM leads a JOIN accounts b ON a.id = b.id UNION SELECT x FROM leads"),
            Access::OtherTables(vec!["accounts".into(), "leads".into()])
        );
    }

    #[test]
    fn administration_statements_are_ignored_with_their_reason() {
        // As MariaDB's server_audit and MySQL's audit log write them (passwords masked), and others.
        for (sql, reason) in [
            ("CREATE USER u1 IDENTIFIED BY *****", "accounts and privileges"),
            ("GRANT ALL ON sa_db TO u2 IDENTIFIED BY *****", "accounts and privileges"),
            ("SET PASSWORD FOR u1 = PASSWORD(*****)", "accounts and privileges"),
            ("SET PASSWORD FOR u1=<secret>", "accounts and privileges"),
            ("CREATE USER 'app'@'%' IDENTIFIED WITH 'caching_sha2_password' AS '<secret>'", "accounts and privileges"),
            ("grant select on crm.customers to 'report'@'%'", "accounts and privileges"),
            ("alter table t1 rename renamed_t1", "schema change"),
            ("uninstall plugin server_audit", "plugin"),
            ("install plugin server_audit soname 'server_audit'", "plugin"),
            ("set global server_audit_events='connect,query'", "a setting"),
            ("SET NAMES utf8mb4", "a setting"),
            ("show variables like 'server_audit%'", "SHOW"),
            ("SHOW WARNINGS", "SHOW"),
            ("show status like 'server_audit_current_log'", "SHOW"),
            ("/* ApplicationName=DBeaver 7.1.4 - SQLEditor <Script.sql> */ use guardium_qa", "session or server"),
        ] {
            match one_in(sql, SqlDialect::MySql, &[], None) {
                Access::Nothing(r) => assert!(r.starts_with("administration statement") && r.contains(reason), "{sql}: {r}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        // The log's own command name is trusted, whatever the text.
        assert!(matches!(one_in("CREATE USER x IDENTIFIED BY <secret>", SqlDialect::MySql, &[], Some("create_user")), Access::Nothing(r) if r.contains("accounts")));
        assert!(matches!(one_in("SHOW FULL PROCESSLIST", SqlDialect::MySql, &[], Some("show_processlist")), Access::Nothing(r) if r.contains("SHOW")));
        // A setting that selects rows is not waved through; text that merely looks odd stays unresolved.
        assert!(matches!(one_in("SET @e := (SELECT email FROM customers WHERE customer_id = 'C1' LIMIT 1) <secret>", SqlDialect::MySql, &[], None), Access::Unresolved { .. }));
        assert!(matches!(one_in("SELEKT email FROM customers", SqlDialect::MySql, &[], None), Access::Unresolved { .. }));
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
        let read = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("READ"), None, SqlDialect::PostgreSql);
        assert!(matches!(&read[0], Access::Unresolved { fields: None, .. }));
        let write = interpret(&it, &StatementText::NotLogged, &Parameters::NotLogged, Some("WRITE"), None, SqlDialect::PostgreSql);
        assert!(matches!(&write[0], Access::Nothing(_)));
    }
}
