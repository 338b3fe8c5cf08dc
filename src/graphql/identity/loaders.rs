//! Identity's DataLoaders: users and departments by id, batched per request.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{departments, users};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::graphql::loaders::{cached, shared, Cached, LoadError};

/// Identity's loaders of one request.
pub struct IdentityLoaders {
    pub users: Cached<UserLoader>,
    pub departments: Cached<DepartmentLoader>,
}

impl IdentityLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        IdentityLoaders {
            users: cached(UserLoader(db.clone())),
            departments: cached(DepartmentLoader(db)),
        }
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {
        self.users.enable_all_cache(false);
        self.departments.enable_all_cache(false);
    }
}

/// Users by id.
pub struct UserLoader(DatabaseConnection);

impl Loader<Uuid> for UserLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// Departments by id.
pub struct DepartmentLoader(DatabaseConnection);

impl Loader<Uuid> for DepartmentLoader {
    type Value = departments::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = departments::Entity::find()
            .filter(departments::Column::Id.is_in(keys.to_vec()))
            .all(&self.0)
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|d| (d.id, d)).collect())
    }
}
