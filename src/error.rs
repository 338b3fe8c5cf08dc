//! The one error type of the service layer, with the stable codes of the
//! API. Internal causes are logged here and never sent to a client.

use async_graphql::ErrorExtensions;

/// Stable, closed set of error codes that clients switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    InsufficientFunds,
    RateLimited,
    /// A dependency (the database) cannot be reached right now; retry.
    Unavailable,
    Internal,
}

/// Seconds a client is told to wait before retrying an `UNAVAILABLE`
/// answer (`retryAfterSeconds`, and HTTP `Retry-After` when nothing ran).
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

impl ErrorCode {
    /// The wire form, as in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InsufficientFunds => "INSUFFICIENT_FUNDS",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// A field that failed validation, named as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Errors a service returns. Each variant maps to one [`ErrorCode`].
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    BadUserInput { message: String, fields: Vec<FieldError> },
    #[error("{message}")]
    Conflict { message: String, field: Option<String> },
    #[error("insufficient funds")]
    InsufficientFunds,
    /// `INSUFFICIENT_FUNDS` that says what is short (a reserve's amount).
    #[error("{0}")]
    InsufficientFundsDetail(String),
    #[error("{reason}; retry in {retry_after_secs} s")]
    RateLimited {
        retry_after_secs: u64,
        reason: &'static str,
    },
    /// The database could not be reached in time; nothing is wrong with
    /// the request, which may be retried.
    #[error("the service is temporarily unavailable; retry in {UNAVAILABLE_RETRY_AFTER_SECS} s")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Result alias for service functions.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::BadUserInput { .. } => ErrorCode::BadUserInput,
            AppError::Conflict { .. } => ErrorCode::Conflict,
            AppError::InsufficientFunds | AppError::InsufficientFundsDetail(_) => ErrorCode::InsufficientFunds,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A validation failure on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::BadUserInput {
            message: format!("{field}: {message}"),
            fields: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }

    /// Validation failures on several fields at once.
    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        AppError::BadUserInput { message, fields }
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden("you are not allowed to do this".into())
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("sign in first".into())
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
            field: field.map(str::to_string),
        }
    }

    /// The database (or another dependency) cannot be reached right now.
    pub fn unavailable() -> Self {
        AppError::Unavailable
    }

    /// An unexpected failure. A database error that only means the database
    /// is unreachable becomes [`AppError::Unavailable`] here too, so callers
    /// that wrap errors generically still answer `UNAVAILABLE`.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if is_unavailable_cause(&err) {
            return AppError::Unavailable;
        }
        AppError::Internal(err)
    }

    /// Converts to a GraphQL error, logging internal causes with their chain.
    pub fn to_graphql(&self) -> async_graphql::Error {
        let code = self.code().as_str();
        match self {
            AppError::Internal(cause) if is_unavailable_cause(cause) => AppError::Unavailable.to_graphql(),
            AppError::Unavailable => async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
                e.set("code", code);
                e.set("retryAfterSeconds", UNAVAILABLE_RETRY_AFTER_SECS);
            }),
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                async_graphql::Error::new("internal error").extend_with(|_, e| e.set("code", code))
            }
            AppError::BadUserInput { message, fields } => {
                let names: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| async_graphql::Value::String(f.field.clone()))
                    .collect();
                let details: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::String(f.field.clone()),
                        );
                        m.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::String(f.message.clone()),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                async_graphql::Error::new(message.clone()).extend_with(move |_, e| {
                    e.set("code", code);
                    e.set("fields", async_graphql::Value::List(names.clone()));
                    e.set("fieldErrors", async_graphql::Value::List(details.clone()));
                })
            }
            AppError::Conflict { message, field } => {
                let field = field.clone();
                async_graphql::Error::new(message.clone()).extend_with(move |_, e| {
                    e.set("code", code);
                    if let Some(f) = &field {
                        e.set(
                            "fields",
                            async_graphql::Value::List(vec![async_graphql::Value::String(f.clone())]),
                        );
                    }
                })
            }
            AppError::RateLimited { retry_after_secs, .. } => {
                let secs = *retry_after_secs;
                async_graphql::Error::new(self.to_string()).extend_with(move |_, e| {
                    e.set("code", code);
                    e.set("retryAfterSeconds", secs);
                })
            }
            _ => async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", code)),
        }
    }
}

/// True when some error in `err`'s chain is a database error meaning the
/// database is unreachable (see [`crate::infra::db::is_unavailable`]).
fn is_unavailable_cause(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<sea_orm::DbErr>() {
            return crate::infra::db::is_unavailable(db);
        }
        if let Some(AppError::Unavailable) = cause.downcast_ref::<AppError>() {
            return true;
        }
        cause
            .downcast_ref::<sea_orm::sqlx::Error>()
            .is_some_and(crate::infra::db::sqlx_is_unavailable)
    })
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.to_graphql()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        crate::infra::db::map_db_error(e)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}
