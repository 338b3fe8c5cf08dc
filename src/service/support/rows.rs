//! Rows of the support desk's joined reads, decoded by position: a page of
//! tickets with its department, or a page of messages with each sender's
//! row, comes back as one wide row per item. Decoding by index (instead of
//! SeaORM's by-name `FromQueryResult`) skips a column-name lookup per cell,
//! and lets one statement carry several tables' columns side by side.
//! Each `*_COLUMNS` list and its decoder below name the same columns in the
//! same order; the unit tests check they agree with the entities.

use entity::{clients, departments, support_ticket_messages, support_tickets, users};
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Decode, Row, Type};
use sea_orm::{DbErr, QueryResult};
use uuid::Uuid;

/// Reads the columns of one row left to right, decoding each straight
/// from the driver's row (one type check and one decode per cell).
pub(crate) struct Cols<'a> {
    row: &'a PgRow,
    at: usize,
}

impl<'a> Cols<'a> {
    /// From the first column of `row`.
    pub(crate) fn new(row: &'a QueryResult) -> Result<Self, DbErr> {
        let row = row
            .try_as_pg_row()
            .ok_or_else(|| DbErr::Custom("a support read needs a PostgreSQL row".into()))?;
        Ok(Cols { row, at: 0 })
    }

    /// The next column.
    pub(crate) fn next<T>(&mut self) -> Result<T, DbErr>
    where
        T: for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        let at = self.at;
        self.at += 1;
        self.row
            .try_get::<T, _>(at)
            .map_err(|e| DbErr::Type(format!("column {at}: {e}")))
    }

    /// Skips `n` columns (a joined row that is absent).
    pub(crate) fn skip(&mut self, n: usize) {
        self.at += n;
    }
}

/// `NULL::type, ...` standing for an absent row of these column types (a
/// branch of a UNION that carries another table's columns).
pub(crate) fn nulls(types: &[&str]) -> String {
    types
        .iter()
        .map(|t| format!("NULL::{t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `alias.col, alias.col, ...` for a select list.
pub(crate) fn select_list(alias: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of `support_tickets`, in [`ticket`]'s order.
pub(crate) const TICKET_COLUMNS: [&str; 19] = [
    "id",
    "number",
    "subject",
    "description",
    "client_id",
    "created_by_user_id",
    "department_id",
    "category",
    "priority",
    "status",
    "custom_fields",
    "attachments",
    "related_entity_type",
    "related_entity_id",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
];

/// A ticket from [`TICKET_COLUMNS`].
pub(crate) fn ticket(c: &mut Cols<'_>) -> Result<support_tickets::Model, DbErr> {
    Ok(support_tickets::Model {
        id: c.next()?,
        number: c.next()?,
        subject: c.next()?,
        description: c.next()?,
        client_id: c.next()?,
        created_by_user_id: c.next()?,
        department_id: c.next()?,
        category: c.next()?,
        priority: c.next()?,
        status: c.next()?,
        custom_fields: c.next()?,
        attachments: c.next()?,
        related_entity_type: c.next()?,
        related_entity_id: c.next()?,
        first_response_at: c.next()?,
        resolved_at: c.next()?,
        closed_at: c.next()?,
        created_at: c.next()?,
        updated_at: c.next()?,
    })
}

/// The columns of `departments`, in [`department`]'s order.
pub(crate) const DEPARTMENT_COLUMNS: [&str; 11] = [
    "id",
    "name",
    "code",
    "description",
    "department_head",
    "department_email",
    "is_active",
    "visibility",
    "transfers_enabled",
    "created_at",
    "updated_at",
];

/// A department from [`DEPARTMENT_COLUMNS`] of a LEFT JOIN: `None` (and
/// its columns skipped) when the join found none.
pub(crate) fn department(c: &mut Cols<'_>) -> Result<Option<departments::Model>, DbErr> {
    let Some(id) = c.next::<Option<Uuid>>()? else {
        c.skip(DEPARTMENT_COLUMNS.len() - 1);
        return Ok(None);
    };
    Ok(Some(departments::Model {
        id,
        name: c.next()?,
        code: c.next()?,
        description: c.next()?,
        department_head: c.next()?,
        department_email: c.next()?,
        is_active: c.next()?,
        visibility: c.next()?,
        transfers_enabled: c.next()?,
        created_at: c.next()?,
        updated_at: c.next()?,
    }))
}

/// The columns of `users` a display needs, in [`user`]'s order: never the
/// password hash or the TOTP secret.
pub(crate) const USER_COLUMNS: [&str; 12] = [
    "id",
    "email",
    "phone",
    "display_name",
    "account_type",
    "status",
    "two_factor_enabled",
    "failed_login_attempts",
    "locked_until",
    "last_login_at",
    "created_at",
    "updated_at",
];

/// The SQL types of [`USER_COLUMNS`].
pub(crate) const USER_TYPES: [&str; 12] = [
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "text",
    "bool",
    "int4",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
];

/// A user for display from [`USER_COLUMNS`] of a LEFT JOIN (`None` when
/// absent). The secrets were not read: `password_hash` and
/// `totp_secret_encrypted` are `None` whatever the account holds, so such
/// a row must never be used to sign anyone in.
pub(crate) fn user(c: &mut Cols<'_>) -> Result<Option<users::Model>, DbErr> {
    let Some(id) = c.next::<Option<Uuid>>()? else {
        c.skip(USER_COLUMNS.len() - 1);
        return Ok(None);
    };
    Ok(Some(users::Model {
        id,
        email: c.next()?,
        phone: c.next()?,
        display_name: c.next()?,
        password_hash: None,
        account_type: c.next()?,
        status: c.next()?,
        two_factor_enabled: c.next()?,
        totp_secret_encrypted: None,
        failed_login_attempts: c.next()?,
        locked_until: c.next()?,
        last_login_at: c.next()?,
        created_at: c.next()?,
        updated_at: c.next()?,
    }))
}

/// The columns of `clients`, in [`client`]'s order.
pub(crate) const CLIENT_COLUMNS: [&str; 6] = ["id", "display_name", "user_id", "data", "created_at", "updated_at"];

/// The SQL types of [`CLIENT_COLUMNS`].
pub(crate) const CLIENT_TYPES: [&str; 6] = ["uuid", "text", "uuid", "jsonb", "timestamptz", "timestamptz"];

/// A client from [`CLIENT_COLUMNS`] of a LEFT JOIN (`None` when absent).
pub(crate) fn client(c: &mut Cols<'_>) -> Result<Option<clients::Model>, DbErr> {
    let Some(id) = c.next::<Option<Uuid>>()? else {
        c.skip(CLIENT_COLUMNS.len() - 1);
        return Ok(None);
    };
    Ok(Some(clients::Model {
        id,
        display_name: c.next()?,
        user_id: c.next()?,
        data: c.next()?,
        created_at: c.next()?,
        updated_at: c.next()?,
    }))
}

/// The columns of `support_ticket_messages`, in [`message`]'s order.
pub(crate) const MESSAGE_COLUMNS: [&str; 9] = [
    "id",
    "ticket_id",
    "sender_user_id",
    "sender_client_id",
    "body",
    "attachments",
    "is_internal",
    "is_system",
    "created_at",
];

/// The SQL types of [`MESSAGE_COLUMNS`].
pub(crate) const MESSAGE_TYPES: [&str; 9] = [
    "uuid",
    "uuid",
    "uuid",
    "uuid",
    "text",
    "jsonb",
    "bool",
    "bool",
    "timestamptz",
];

/// A message from [`MESSAGE_COLUMNS`].
pub(crate) fn message(c: &mut Cols<'_>) -> Result<support_ticket_messages::Model, DbErr> {
    Ok(support_ticket_messages::Model {
        id: c.next()?,
        ticket_id: c.next()?,
        sender_user_id: c.next()?,
        sender_client_id: c.next()?,
        body: c.next()?,
        attachments: c.next()?,
        is_internal: c.next()?,
        is_system: c.next()?,
        created_at: c.next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{EntityTrait, Iterable};

    fn names<E: EntityTrait>() -> Vec<String> {
        use sea_orm::IdenStatic;
        E::Column::iter().map(|c| c.as_str().to_string()).collect()
    }

    fn same(listed: &[&str], entity: Vec<String>, skipped: &[&str]) {
        let mut a: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
        let mut b: Vec<String> = entity.into_iter().filter(|c| !skipped.contains(&c.as_str())).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn column_lists_match_the_entities() {
        same(&TICKET_COLUMNS, names::<support_tickets::Entity>(), &[]);
        same(&DEPARTMENT_COLUMNS, names::<departments::Entity>(), &[]);
        same(&CLIENT_COLUMNS, names::<clients::Entity>(), &[]);
        same(&MESSAGE_COLUMNS, names::<support_ticket_messages::Entity>(), &[]);
        // Secrets are never read for display.
        same(
            &USER_COLUMNS,
            names::<users::Entity>(),
            &["password_hash", "totp_secret_encrypted"],
        );
    }
}
