//! Access to the request's viewer and the app context from resolvers.

use async_graphql::Context;

use crate::app::{AppContext, Ctx};
use crate::error::AppError;
use crate::service::identity::Viewer;

/// The app context (schema data).
pub fn app<'a>(ctx: &'a Context<'_>) -> Result<&'a AppContext, AppError> {
    ctx.data::<Ctx>()
        .map(|c| c.as_ref())
        .map_err(|_| AppError::internal(anyhow::anyhow!("the schema has no app context")))
}

/// The viewer of this request (anonymous when the transport set none).
pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    static ANONYMOUS: std::sync::OnceLock<Viewer> = std::sync::OnceLock::new();
    ctx.data_opt::<Viewer>()
        .unwrap_or_else(|| ANONYMOUS.get_or_init(Viewer::anonymous))
}
