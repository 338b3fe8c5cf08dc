//! Conversions every domain's resolvers share: ids, timestamps, database
//! enum values and "not found is null". One copy here, so each domain maps
//! the same way.

use async_graphql::{Result, ID};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::error::AppError;

/// Parses an `ID` argument as a UUID, naming the field on failure.
pub fn parse_id(id: &ID, field: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::invalid(field, "is not a valid id"))
}

/// Parses an optional `ID` argument.
pub fn parse_opt_id(id: Option<&ID>, field: &str) -> Result<Option<Uuid>, AppError> {
    id.map(|id| parse_id(id, field)).transpose()
}

/// A UUID as a GraphQL `ID`.
pub fn id(u: Uuid) -> ID {
    ID(u.to_string())
}

/// A stored timestamp in UTC.
pub fn ts(t: sea_orm::prelude::DateTimeWithTimeZone) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// A stored enum value as its enum; a value the enum lacks is a bug in the
/// data, reported as `INTERNAL`.
pub fn db_enum<E: ActiveEnum<Value = String>>(value: &str) -> Result<E, AppError> {
    E::try_from_value(&value.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad enum value in database: {e}")))
}

/// An enum as its stored value.
pub fn to_db<E: ActiveEnum<Value = String>>(e: E) -> String {
    e.to_value()
}

/// `NOT_FOUND` becomes `null`, for single-object queries.
pub fn not_found_is_none<T>(r: Result<T, AppError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
