//! SeaORM entities. `generated/` is written by sea-orm-cli from the
//! migrated schema (`scripts/generate-entities`; a test fails when it is
//! stale) and never edited by hand; hand-written behaviour lives beside it.

pub mod enums;
#[allow(clippy::all)]
pub mod generated;

pub use generated::*;
