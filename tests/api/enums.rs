//! `entity::enums` mirrors the schema's enumerations: every `CHECK (col IN
//! (...))` of the migrated database has an entry in `ENUM_COLUMNS` whose
//! enum has exactly the same values, as SeaORM values and as GraphQL names;
//! and a `DeriveActiveEnum` value survives a trip through PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use entity::enums::{TicketCategory, TicketPriority, TicketStatus, ENUM_COLUMNS};
use entity::support_tickets;
use sea_orm::{ActiveEnum, ConnectionTrait, Database, DbBackend, EntityTrait, Iterable, Statement};

use crate::support::fresh_database;

/// `(table, column)` of an enum column.
type ColumnKey = (String, String);

/// Parses `pg_get_constraintdef` of a value-list CHECK, as PostgreSQL prints
/// `col IN ('A', 'B')`: `CHECK ((col = ANY (ARRAY['A'::text, 'B'::text])))`.
/// `None` when the constraint has another shape.
fn parse_value_list_check(def: &str) -> Option<(String, BTreeSet<String>)> {
    let inner = def.strip_prefix("CHECK ((")?.strip_suffix("))")?;
    let (column, rest) = inner.split_once(" = ANY (ARRAY[")?;
    let list = rest.strip_suffix("])")?;
    let column = column.trim_matches('"');
    if column.is_empty()
        || !column
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let mut values = BTreeSet::new();
    for item in list.split(", ") {
        let literal = item.strip_suffix("::text")?;
        let value = literal.strip_prefix('\'')?.strip_suffix('\'')?;
        if value.contains('\'') {
            return None;
        }
        values.insert(value.to_string());
    }
    Some((column.to_string(), values))
}

#[test]
fn the_parser_reads_what_postgres_prints() {
    let (column, values) =
        parse_value_list_check("CHECK ((status = ANY (ARRAY['OPEN'::text, 'IN_PROGRESS'::text])))").expect("parses");
    assert_eq!(column, "status");
    assert_eq!(values, BTreeSet::from(["OPEN".to_string(), "IN_PROGRESS".to_string()]));
    assert!(parse_value_list_check("CHECK ((amount > (0)::numeric))").is_none());
    assert!(parse_value_list_check("CHECK (((provider)::text ~ '^[A-Z]'::text))").is_none());
}

#[test]
fn graphql_names_are_the_database_values() {
    let mut mismatches = BTreeSet::new();
    for c in ENUM_COLUMNS {
        let (values, names) = ((c.values)(), (c.graphql_names)());
        if values != names {
            mismatches.insert(format!(
                "{}: database values {values:?}, GraphQL names {names:?}",
                c.enum_name
            ));
        }
    }
    let mismatches: Vec<String> = mismatches.into_iter().collect();
    assert!(
        mismatches.is_empty(),
        "enums whose GraphQL names drift:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn enum_columns_mirror_the_check_constraints() {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT cls.relname AS table_name, con.conname AS constraint_name,
                    pg_get_constraintdef(con.oid) AS definition
             FROM pg_constraint con
             JOIN pg_class cls ON cls.oid = con.conrelid
             JOIN pg_namespace ns ON ns.oid = cls.relnamespace
             WHERE con.contype = 'c' AND ns.nspname = 'public'
             ORDER BY 1, 2",
        ))
        .await
        .expect("read CHECK constraints");
    assert!(!rows.is_empty(), "the migrated schema has no CHECK constraint at all");

    let mut mismatches = Vec::new();
    let mut in_database: BTreeMap<ColumnKey, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        let table: String = row.try_get("", "table_name").expect("table_name");
        let name: String = row.try_get("", "constraint_name").expect("constraint_name");
        let def: String = row.try_get("", "definition").expect("definition");
        if let Some((column, values)) = parse_value_list_check(&def) {
            let previous = in_database.insert((table.clone(), column.clone()), values);
            if previous.is_some() {
                mismatches.push(format!("{table}.{column}: more than one value-list CHECK"));
            }
        } else if def.contains("ANY (ARRAY[") {
            // A list of values in any other shape (a nullable or VARCHAR
            // enum, a list inside a larger expression) needs a look.
            mismatches.push(format!(
                "{table}: CHECK {name} has a value list in an unrecognised shape: {def}"
            ));
        }
    }
    assert!(
        in_database.len() > 10,
        "suspiciously few enum CHECKs found: {in_database:?}"
    );

    let mut in_registry: BTreeMap<ColumnKey, (&str, BTreeSet<String>)> = BTreeMap::new();
    for c in ENUM_COLUMNS {
        let values: Vec<String> = (c.values)();
        let set: BTreeSet<String> = values.iter().cloned().collect();
        if set.len() != values.len() {
            mismatches.push(format!("{}: duplicate database values {values:?}", c.enum_name));
        }
        let key = (c.table.to_string(), c.column.to_string());
        if in_registry.insert(key, (c.enum_name, set)).is_some() {
            mismatches.push(format!("{}.{}: listed twice in ENUM_COLUMNS", c.table, c.column));
        }
    }

    for ((table, column), values) in &in_database {
        match in_registry.get(&(table.clone(), column.clone())) {
            None => mismatches.push(format!(
                "{table}.{column}: CHECK IN {values:?} but no entry in ENUM_COLUMNS"
            )),
            Some((enum_name, mirrored)) if mirrored != values => mismatches.push(format!(
                "{table}.{column}: {enum_name} is missing {:?} and has extra {:?}",
                values.difference(mirrored).collect::<Vec<_>>(),
                mirrored.difference(values).collect::<Vec<_>>()
            )),
            Some(_) => {}
        }
    }
    for ((table, column), (enum_name, _)) in &in_registry {
        if !in_database.contains_key(&(table.clone(), column.clone())) {
            mismatches.push(format!(
                "{table}.{column}: in ENUM_COLUMNS ({enum_name}) but the database has no value-list CHECK on it"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} enum mismatch(es) between entity::enums and the migrated schema:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    db.close().await.expect("close");
}

#[tokio::test]
async fn ticket_enums_round_trip_through_postgres() {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");

    // The column default is a valid variant.
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "INSERT INTO support_tickets (subject, description) VALUES ('default', 'x')
             RETURNING status, priority, category",
        ))
        .await
        .expect("insert")
        .expect("returned row");
    assert_eq!(
        row.try_get::<TicketStatus>("", "status").expect("status"),
        TicketStatus::Open
    );
    assert_eq!(
        row.try_get::<TicketPriority>("", "priority").expect("priority"),
        TicketPriority::Normal
    );
    assert_eq!(
        row.try_get::<TicketCategory>("", "category").expect("category"),
        TicketCategory::General
    );

    // Every variant, bound as a SeaORM value, is accepted by the CHECK and
    // read back as itself, through a raw row and through the entity.
    for status in TicketStatus::iter() {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO support_tickets (subject, description, status, priority, category)
                 VALUES ('round trip', 'x', $1, $2, $3) RETURNING id, status",
                [
                    status.into(),
                    TicketPriority::Urgent.into(),
                    TicketCategory::Billing.into(),
                ],
            ))
            .await
            .unwrap_or_else(|e| panic!("insert {status:?}: {e}"))
            .expect("returned row");
        assert_eq!(row.try_get::<TicketStatus>("", "status").expect("status"), status);
        let id: uuid::Uuid = row.try_get("", "id").expect("id");
        let model = support_tickets::Entity::find_by_id(id)
            .one(&db)
            .await
            .expect("find ticket")
            .expect("ticket exists");
        assert_eq!(model.status, status.to_value());
        assert_eq!(
            TicketStatus::try_from_value(&model.status).expect("known status"),
            status
        );
        assert_eq!(
            TicketPriority::try_from_value(&model.priority).expect("known priority"),
            TicketPriority::Urgent
        );
        assert_eq!(
            TicketCategory::try_from_value(&model.category).expect("known category"),
            TicketCategory::Billing
        );
    }
    // The string form is the UPPER_SNAKE database value.
    assert_eq!(TicketStatus::WaitingForCustomer.to_value(), "WAITING_FOR_CUSTOMER");
    // A value outside the enum does not parse.
    assert!(TicketStatus::try_from_value(&"PENDING".to_string()).is_err());
    db.close().await.expect("close");
}
