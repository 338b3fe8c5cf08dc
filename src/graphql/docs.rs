//! What client tools read that no resolver states: descriptions and
//! `@specifiedBy` URLs of the scalars async-graphql defines, and of the
//! connection and edge types it generates.
//!
//! async-graphql offers no attribute for these, so [`SchemaDocs`] is
//! registered last on the schema builder: registering a type hands it the
//! registry, where it fills them in. It adds no type of its own and is
//! never resolved.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

/// The registration hook; see the module docs.
pub struct SchemaDocs;

impl OutputType for SchemaDocs {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("String")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        super::scalars::document(registry);
        super::pagination::document(registry);
        // An existing type: nothing new is registered.
        "String".to_string()
    }

    async fn resolve(&self, _ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        Ok(Value::Null)
    }
}
