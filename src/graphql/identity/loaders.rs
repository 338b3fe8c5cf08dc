//! Identity's DataLoaders, batched per request: users, roles, departments,
//! designations and employees by id; a user's grants (roles, permissions,
//! staff) and departments. Each batch is one service call
//! (`service::identity::...::*_by_ids`, `grants_of_many`,
//! `departments_of_many`): no SQL here.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{departments, designations, employees, roles, users};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::graphql::loaders::{cached, shared, Cached, LoadError};
use crate::service::identity::{self, accounts, org, Grants};

/// Identity's loaders of one request.
pub struct IdentityLoaders {
    pub users: Cached<UserLoader>,
    pub departments: Cached<DepartmentLoader>,
    pub roles: Cached<RoleLoader>,
    pub designations: Cached<DesignationLoader>,
    pub employees: Cached<EmployeeLoader>,
    /// A user's approved roles, their permissions and staff standing.
    pub grants: Cached<GrantsLoader>,
    /// The departments a user works in (ids).
    pub user_departments: Cached<UserDepartmentsLoader>,
}

impl IdentityLoaders {
    /// Fresh loaders reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        IdentityLoaders {
            users: cached(UserLoader(db.clone())),
            departments: cached(DepartmentLoader(db.clone())),
            roles: cached(RoleLoader(db.clone())),
            designations: cached(DesignationLoader(db.clone())),
            employees: cached(EmployeeLoader(db.clone())),
            grants: cached(GrantsLoader(db.clone())),
            user_departments: cached(UserDepartmentsLoader(db)),
        }
    }

    /// Turns every cache off (subscriptions read current rows per event).
    pub fn disable_caches(&self) {
        self.users.enable_all_cache(false);
        self.departments.enable_all_cache(false);
        self.roles.enable_all_cache(false);
        self.designations.enable_all_cache(false);
        self.employees.enable_all_cache(false);
        self.grants.enable_all_cache(false);
        self.user_departments.enable_all_cache(false);
    }
}

/// A loader of rows by id through one bulk service function.
macro_rules! by_id_loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, $bulk:path) => {
        $(#[$doc])*
        pub struct $name(DatabaseConnection);

        impl Loader<Uuid> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                $bulk(&self.0, keys).await.map_err(shared)
            }
        }
    };
}

by_id_loader!(
    /// Users by id.
    UserLoader,
    users::Model,
    accounts::users_by_ids
);
by_id_loader!(
    /// Departments by id.
    DepartmentLoader,
    departments::Model,
    org::departments_by_ids
);
by_id_loader!(
    /// Roles by id.
    RoleLoader,
    roles::Model,
    identity::roles::roles_by_ids
);
by_id_loader!(
    /// Designations by id.
    DesignationLoader,
    designations::Model,
    org::designations_by_ids
);
by_id_loader!(
    /// Employee records by id.
    EmployeeLoader,
    employees::Model,
    org::employees_by_ids
);
by_id_loader!(
    /// Grants by user id (users with no row are absent: no grants).
    GrantsLoader,
    Grants,
    identity::grants_of_many
);
by_id_loader!(
    /// Department ids by user id (empty for users in none).
    UserDepartmentsLoader,
    Vec<Uuid>,
    org::departments_of_many
);
