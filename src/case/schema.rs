//! The case's tables as checked: each table's columns (a field id per `table.column`), its key, its link to
//! the customers, the roles of the customer columns the notification list shows, and the data class of
//! every column.

use std::collections::BTreeMap;
use std::path::Path;

use crate::case::file::{CaseFile, ColumnNames};
use crate::classes::{self, DataClass};
use crate::error::{Error, Result};
use crate::read::table::{Declared, TableFile};

/// Roles of customer columns that the notification list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Name,
    Email,
    Phone,
    Country,
    Region,
    Segment,
    /// The postal address letters go to (affected_people.csv `address`).
    Address,
}

impl Role {
    pub const ALL: [Role; 7] = [Role::Name, Role::Email, Role::Phone, Role::Country, Role::Region, Role::Segment, Role::Address];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Name => "name",
            Role::Email => "email",
            Role::Phone => "phone",
            Role::Country => "country",
            Role::Region => "region",
            Role::Segment => "segment",
            Role::Address => "address",
        }
    }

    /// Column names tried, in order, when the case does not name the column for this role.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Name => &["full_name", "name", "customer_name", "display_name", "fullname"],
            Role::Email => &["email", "email_address", "e_mail", "mail"],
            Role::Phone => &["phone", "phone_number", "telephone", "mobile", "tel"],
            Role::Country => &["country", "country_code", "nation"],
            Role::Region => &["region", "state", "province", "county", "state_code"],
            Role::Segment => &["segment", "account_type", "customer_type", "type", "tier"],
            Role::Address => &["mailing_address", "postal_address", "address", "street_address", "home_address"],
        }
    }
}

/// Index of a case table: 0 is always the customers table.
pub type TableId = usize;
pub const CUSTOMERS: TableId = 0;

/// Index of a column across all case tables (`table.column`).
pub type FieldId = usize;

#[derive(Clone, Debug)]
pub struct TableSpec {
    pub name: String,
    pub file: TableFile,
    pub key: String,
    pub key_index: usize,
    /// For linked tables: the column holding the customers key.
    pub customer_column: Option<(String, usize)>,
    /// Field id of this table's first column.
    pub first_field: FieldId,
    /// How this table's keys are compared (`key_type`).
    pub key_type: crate::read::keys::KeyType,
    /// Columns holding other systems' ids of a row (`ids`): name and index.
    pub ids: Vec<(String, usize)>,
    /// The attributes a store keeps of a row (`attributes`, with the key): `None` when not declared.
    pub attributes: Option<Vec<FieldId>>,
}

impl TableSpec {
    pub fn field(&self, column: usize) -> FieldId {
        self.first_field + column
    }

    pub fn field_of(&self, column: &str) -> Option<FieldId> {
        self.file.column_index(column).map(|i| self.field(i))
    }

    /// `raw` as this table's keys are compared (see [`crate::read::keys`]).
    pub fn canonical_key<'a>(&self, raw: &'a str) -> std::borrow::Cow<'a, str> {
        self.key_type.canonical(raw)
    }

    pub fn fields(&self) -> std::ops::Range<FieldId> {
        self.first_field..self.first_field + self.file.columns.len()
    }
}

/// All tables of the case with their columns and the data class of each column.
#[derive(Clone, Debug)]
pub struct Schema {
    pub tables: Vec<TableSpec>,
    /// `table.column` for each field id.
    pub field_names: Vec<String>,
    /// Data class of each field id (`None`: identifies a row only, or is not personal data).
    pub field_classes: Vec<Option<DataClass>>,
    /// Customer columns by role.
    pub roles: BTreeMap<Role, usize>,
    /// The name's columns when it is written in parts (`first_name`, `last_name`): joined with a space.
    /// Empty when one column (the `name` role) holds it.
    pub name_parts: Vec<usize>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<TableId> {
        self.tables.iter().position(|t| t.name == name)
    }

    pub fn customers(&self) -> &TableSpec {
        &self.tables[CUSTOMERS]
    }

    pub fn field_count(&self) -> usize {
        self.field_names.len()
    }

    /// A `table.column` reference.
    pub fn field(&self, qualified: &str) -> Option<FieldId> {
        let (table, column) = qualified.split_once('.')?;
        self.tables.get(self.table(table)?)?.field_of(column)
    }

    pub fn table_of_field(&self, field: FieldId) -> TableId {
        self.tables.iter().rposition(|t| t.first_field <= field).unwrap_or(CUSTOMERS)
    }
}

/// `ids` columns, checked to be columns of the table.
fn id_columns(section: &str, file: &TableFile, names: &[String]) -> std::result::Result<Vec<(String, usize)>, String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for name in names {
        let index = file.column_index(name).ok_or_else(|| format!("{section} ids: `{name}` is not a column of {}", file.path.display()))?;
        if !out.iter().any(|(_, i)| *i == index) {
            out.push((name.clone(), index));
        }
    }
    Ok(out)
}

/// Attribute names (columns of `table`, bare or as `table.column`) → its fields, with the key (a stored item
/// always holds its key), sorted.
pub fn attribute_fields(table: &TableSpec, names: &[String]) -> std::result::Result<Vec<FieldId>, String> {
    let mut fields = vec![table.field(table.key_index)];
    for name in names {
        let column = match name.split_once('.') {
            Some((t, c)) if t == table.name => c,
            _ => name.as_str(),
        };
        let field = table.field_of(column).ok_or_else(|| format!("`{name}` is not a column of {} ({})", table.name, table.file.path.display()))?;
        fields.push(field);
    }
    fields.sort_unstable();
    fields.dedup();
    Ok(fields)
}

/// A table's `format` and `sheet` keys.
fn declared<'a>(format: &'a Option<String>, sheet: &'a Option<String>) -> Declared<'a> {
    Declared { format: format.as_deref(), sheet: sheet.as_deref() }
}

pub(crate) fn build_schema(case_path: &Path, dir: &Path, parsed: &CaseFile) -> Result<Schema> {
    let bad = |message: String| Error::input(case_path, message);
    let mut tables = Vec::new();
    let mut field_names = Vec::new();

    let table_encoding = |section: &str, name: &Option<String>| match name {
        Some(name) => crate::read::encoding::TextEncoding::parse(name).map_err(|m| bad(format!("{section} encoding: {m}"))),
        None => Ok(crate::read::encoding::TextEncoding::UTF8),
    };
    let customers_file = TableFile::open_declared(
        &dir.join(&parsed.customers.path),
        table_encoding("[customers]", &parsed.customers.encoding)?,
        declared(&parsed.customers.format, &parsed.customers.sheet),
    )?;
    let key_index = customers_file
        .column_index(&parsed.customers.key)
        .ok_or_else(|| bad(format!("[customers] key `{}` is not a column of {} ({})", parsed.customers.key, customers_file.path.display(), customers_file.columns_note())))?;
    let key_type = |section: &str, name: &Option<String>| match name {
        Some(name) => crate::read::keys::KeyType::parse(name).map_err(|m| bad(format!("{section} {m}"))),
        None => Ok(crate::read::keys::KeyType::Text),
    };
    tables.push(TableSpec {
        name: "customers".into(),
        key: parsed.customers.key.clone(),
        key_index,
        customer_column: None,
        first_field: 0,
        key_type: key_type("[customers]", &parsed.customers.key_type)?,
        ids: id_columns("[customers]", &customers_file, &parsed.customers.ids).map_err(bad)?,
        file: customers_file,
        attributes: None,
    });

    for section in &parsed.tables {
        if section.name == "customers" || tables.iter().any(|t: &TableSpec| t.name == section.name) {
            return Err(bad(format!("[[tables]] name `{}` is used twice", section.name)));
        }
        let encoding = table_encoding(&format!("[[tables]] {}:", section.name), &section.encoding)?;
        let file = TableFile::open_declared(&dir.join(&section.path), encoding, declared(&section.format, &section.sheet))?;
        let key_index = file
            .column_index(&section.key)
            .ok_or_else(|| bad(format!("[[tables]] {}: key `{}` is not a column of {} ({})", section.name, section.key, file.path.display(), file.columns_note())))?;
        let customer_index = file.column_index(&section.customer).ok_or_else(|| {
            bad(format!("[[tables]] {}: customer column `{}` is not a column of {} ({})", section.name, section.customer, file.path.display(), file.columns_note()))
        })?;
        tables.push(TableSpec {
            name: section.name.clone(),
            key: section.key.clone(),
            key_index,
            customer_column: Some((section.customer.clone(), customer_index)),
            first_field: 0,
            ids: id_columns(&format!("[[tables]] {}:", section.name), &file, &section.ids).map_err(bad)?,
            file,
            key_type: key_type(&format!("[[tables]] {}:", section.name), &section.key_type)?,
            attributes: None,
        });
    }

    for table in &mut tables {
        table.first_field = field_names.len();
        field_names.extend(table.file.columns.iter().map(|c| format!("{}.{}", table.name, c)));
    }
    let declared_attributes = std::iter::once(("[customers]".to_string(), &parsed.customers.attributes))
        .chain(parsed.tables.iter().map(|t| (format!("[[tables]] {}:", t.name), &t.attributes)));
    for (table, (section, names)) in tables.iter_mut().zip(declared_attributes) {
        if let Some(names) = names {
            table.attributes = Some(attribute_fields(table, names).map_err(|m| bad(format!("{section} attributes: {m}")))?);
        }
    }

    // Customer column roles: named in the case, else guessed from the header.
    let customers = &tables[CUSTOMERS];
    let mut roles = BTreeMap::new();
    let mut name_parts = Vec::new();
    let column_of = |role_name: &str, column: &str| {
        customers
            .file
            .column_index(column)
            .ok_or_else(|| bad(format!("[customers.columns] {role_name} = `{column}` is not a column of {} ({})", customers.file.path.display(), customers.file.columns_note())))
    };
    for (role_name, columns) in &parsed.customers.columns {
        let role = Role::ALL
            .into_iter()
            .find(|r| r.as_str() == role_name)
            .ok_or_else(|| bad(format!("[customers.columns] unknown role `{role_name}` (roles: name, email, phone, country, region, segment, address)")))?;
        let index = match columns {
            ColumnNames::One(column) => column_of(role_name, column)?,
            ColumnNames::Several(parts) if role == Role::Name && !parts.is_empty() => {
                name_parts = parts.iter().map(|c| column_of(role_name, c)).collect::<Result<Vec<usize>>>()?;
                name_parts[0]
            }
            ColumnNames::Several(_) => {
                return Err(bad(format!("[customers.columns] {role_name}: give one column (only `name` may list its parts)")));
            }
        };
        roles.insert(role, index);
    }
    let lower: Vec<String> = customers.file.columns.iter().map(|c| c.to_lowercase()).collect();
    for role in Role::ALL {
        if roles.contains_key(&role) {
            continue;
        }
        if let Some(i) = role.candidates().iter().find_map(|cand| lower.iter().position(|c| c == cand)) {
            roles.insert(role, i);
        }
    }
    // No column holds the whole name but its parts are there: the list shows them joined.
    if !roles.contains_key(&Role::Name) {
        const PARTS: [(&str, &str); 5] =
            [("first_name", "last_name"), ("firstname", "lastname"), ("given_name", "family_name"), ("forename", "surname"), ("first", "last")];
        if let Some((first, last)) =
            PARTS.iter().find_map(|(f, l)| Some((lower.iter().position(|c| c == f)?, lower.iter().position(|c| c == l)?)))
        {
            name_parts = vec![first, last];
            roles.insert(Role::Name, first);
        }
    }

    // Data classes: overrides, then roles, then names. Keys and customer links identify rows only.
    let mut field_classes: Vec<Option<DataClass>> = vec![None; field_names.len()];
    for table in &tables {
        for (i, column) in table.file.columns.iter().enumerate() {
            let is_link = table.customer_column.as_ref().is_some_and(|(_, c)| *c == i);
            let is_customer_key = table.first_field == 0 && i == table.key_index;
            field_classes[table.field(i)] = if is_link || is_customer_key { None } else { classes::guess(&table.name, column) };
        }
    }
    for (role, index) in &roles {
        let class = match role {
            Role::Name => Some(DataClass::Names),
            Role::Email => Some(DataClass::EmailAddresses),
            Role::Phone => Some(DataClass::PhoneNumbers),
            Role::Country | Role::Region => Some(DataClass::GeographicLocations),
            Role::Segment => None,
            Role::Address => Some(DataClass::PhysicalAddresses),
        };
        field_classes[*index] = class;
    }
    for part in &name_parts {
        field_classes[*part] = Some(DataClass::Names);
    }
    let schema_so_far = Schema { tables: tables.clone(), field_names: field_names.clone(), field_classes: vec![], roles: roles.clone(), name_parts: name_parts.clone() };
    for (field, class) in &parsed.classes {
        let id = schema_so_far
            .field(field)
            .ok_or_else(|| bad(format!("[classes] `{field}` is not a `table.column` of the case's tables")))?;
        field_classes[id] = match class.as_str() {
            "none" | "" => None,
            name => Some(DataClass::parse(name).ok_or_else(|| {
                let known: Vec<&str> = DataClass::ALL.iter().map(|c| c.as_str()).collect();
                bad(format!("[classes] `{field}` = `{name}`: unknown data class (known: {}, or none)", known.join(", ")))
            })?),
        };
    }

    Ok(Schema { tables, field_names, field_classes, roles, name_parts })
}
