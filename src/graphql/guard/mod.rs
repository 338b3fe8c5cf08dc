//! The request edge: cheap, linear checks that every operation passes
//! before anything recursive or super-linear touches it, on every
//! transport (GraphQL over HTTP, batches, WebSocket `subscribe`).
//!
//! - The query text is scanned iteratively for the nesting of `{ [ (`
//!   outside strings and comments, so the recursive parser never sees a
//!   document deep enough to overflow its stack ([`scan`]).
//! - Variables and request extensions are walked with a depth bound (their
//!   JSON was already bounded by serde_json's own recursion limit of 128).
//! - The parsed document's size and depth are computed with fragments
//!   expanded, in time linear in the document (one memoised pass over the
//!   fragment graph, cycles refused), before validation and complexity
//!   analysis, which expand every spread and would otherwise take
//!   exponential time ([`limits`]). Introspection selections are measured
//!   apart, against bounds of their own: their size follows the schema.
//! - `max_complexity` is compared after validation with async-graphql's
//!   complexity (connections cost `first`) less the introspection fields.
//! - Every string input (variables, inline literals, defaults, directive
//!   arguments, JSON scalars, object keys) is refused if it holds a NUL
//!   character, which PostgreSQL cannot store.
//! - Large documents are parsed on a blocking thread and validated with
//!   `block_in_place`, so runtime threads keep serving other requests.
//! - The errors of one response are capped in number and message size.
//! - A text that passed is kept with its analysis (and, for requests
//!   without variables, its validation result) in [`documents`], so a
//!   repeated query is neither parsed nor validated again.
//!
//! Every refusal is `BAD_USER_INPUT` with a stable `extensions.reason`.

pub mod documents;
pub mod limits;
pub mod scan;

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensionValues, Pos, Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};
use futures::stream::BoxStream;
use futures::StreamExt;

use self::documents::{Checked, Documents};
use crate::graphql::extensions::{observe_document, observe_execution, RequestMeta};
use crate::graphql::persisted::{self, QueryStore};

pub use limits::{analyse, Report, MAX_INTROSPECTION_DEPTH, MAX_INTROSPECTION_LISTS};
pub use scan::{check_inputs, scan_text};

/// How deep selection sets may nest, fragments spreads included. Also given
/// to async-graphql's own `limit_recursive_depth`.
pub const MAX_RECURSIVE_DEPTH: usize = 64;

/// Most arguments one field or directive may take. No field of the schema
/// takes more than a handful; the bound keeps the argument comparisons of
/// validation (quadratic in the arguments of same-named fields) cheap.
pub const MAX_ARGUMENTS: usize = 64;

/// Longest error message sent; longer ones (an unknown name a megabyte
/// long echoed back) are cut on a character boundary.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// Query texts up to this size are parsed in place: that takes
/// microseconds, less than handing them to a blocking thread.
const INLINE_PARSE_BYTES: usize = 2 * 1024;

/// Documents up to this many selections (fragments expanded) are
/// validated in place; larger ones move off the runtime thread.
const INLINE_VALIDATION_SELECTIONS: u64 = 500;

/// The limits the guard enforces (from [`crate::config::Limits`]).
#[derive(Clone, Copy, Debug)]
pub struct GuardLimits {
    /// Deepest nesting of `{ [ (` in the query text and of lists and
    /// objects in variables and extensions.
    pub max_nesting: usize,
    /// Most selections (fields, fragment spreads, inline fragments) in one
    /// document with every fragment spread expanded.
    pub max_selections: usize,
    /// Most aliased fields in one document, fragments expanded.
    pub max_aliases: usize,
    /// Most errors in one response; the rest are counted in one more.
    pub max_errors: usize,
    /// Deepest field nesting outside introspection.
    pub max_depth: usize,
    /// Highest async-graphql complexity outside introspection.
    pub max_complexity: usize,
}

impl GuardLimits {
    /// The guard's share of the configured limits.
    pub fn from_limits(l: &crate::config::Limits) -> Self {
        GuardLimits {
            max_nesting: l.max_nesting,
            max_selections: l.max_selections,
            max_aliases: l.max_aliases,
            max_errors: l.max_errors,
            max_depth: l.max_depth,
            max_complexity: l.max_complexity,
        }
    }
}

/// Why a request was refused, in the stable `extensions.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Brackets or values nested deeper than `max_nesting`.
    NestingTooDeep,
    /// Too many selections with fragments expanded, spreads nested too
    /// deep, or too many arguments on one field.
    TooComplex,
    /// More aliases than `max_aliases`.
    TooManyAliases,
    /// A fragment spreads itself, directly or not.
    FragmentCycle,
    /// A string holds U+0000.
    NulCharacter,
}

impl Reason {
    /// The wire form of `extensions.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NestingTooDeep => "NESTING_TOO_DEEP",
            Reason::TooComplex => "TOO_COMPLEX",
            Reason::TooManyAliases => "TOO_MANY_ALIASES",
            Reason::FragmentCycle => "FRAGMENT_CYCLE",
            Reason::NulCharacter => "NUL_CHARACTER",
        }
    }
}

/// A refused request: always `BAD_USER_INPUT`, naming the offending input
/// when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The stable `extensions.reason`.
    pub reason: Reason,
    /// What the client reads: the limit, and where it was passed.
    pub message: String,
    /// The variable (`$input.subject`) or argument (`input.subject`) at fault.
    pub field: Option<String>,
    pub pos: Option<Pos>,
}

impl Refusal {
    pub(crate) fn new(reason: Reason, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            message: message.into(),
            field: None,
            pos: None,
        }
    }

    pub(crate) fn at(mut self, pos: Pos) -> Self {
        self.pos = Some(pos);
        self
    }

    pub(crate) fn field(mut self, field: String) -> Self {
        self.field = Some(field);
        self
    }

    /// The GraphQL error sent to the client.
    pub fn into_server_error(self) -> ServerError {
        let mut err = ServerError::new(self.message, self.pos);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        ext.set("reason", self.reason.as_str());
        if let Some(f) = self.field {
            ext.set("fields", Value::List(vec![Value::String(f)]));
        }
        err.extensions = Some(ext);
        err
    }
}

impl From<Refusal> for ServerError {
    fn from(r: Refusal) -> Self {
        r.into_server_error()
    }
}

/// Everything the guard checks on one request, in order: text nesting,
/// inputs, parse, document analysis. The parsed document is handed back
/// in the request so async-graphql does not parse it again.
pub fn check_request(mut request: Request, limits: &GuardLimits) -> ServerResult<(Request, Report)> {
    let (doc, report) = check_document(&request, limits)?;
    request.set_parsed_query(doc);
    Ok((request, report))
}

/// [`check_request`]'s checks, returning the parsed document.
fn check_document(request: &Request, limits: &GuardLimits) -> ServerResult<(ExecutableDocument, Report)> {
    scan_text(&request.query, limits.max_nesting)?;
    check_inputs(request, limits.max_nesting)?;
    let doc = async_graphql::parser::parse_query(&request.query).map_err(ServerError::from)?;
    let report = analyse(&doc, limits)?;
    Ok((doc, report))
}

/// Cuts `message` to [`MAX_ERROR_MESSAGE_BYTES`] on a character boundary.
fn cut_message(message: &mut String) {
    if message.len() <= MAX_ERROR_MESSAGE_BYTES {
        return;
    }
    let mut end = MAX_ERROR_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push('…');
}

/// Keeps the first `max` errors (messages cut to size) and replaces the
/// rest with one error saying how many were dropped, carrying the first
/// dropped error's code and `extensions.droppedErrors`.
pub fn cap_errors(errors: &mut Vec<ServerError>, max: usize) {
    let max = max.max(1);
    if errors.len() > max {
        let dropped = errors.len() - max;
        let code = errors[max]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned()
            .unwrap_or_else(|| Value::String("BAD_USER_INPUT".into()));
        errors.truncate(max);
        let mut summary = ServerError::new(format!("{dropped} more errors were left out of this response"), None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", code);
        ext.set("droppedErrors", dropped as u64);
        summary.extensions = Some(ext);
        errors.push(summary);
    }
    for e in errors.iter_mut() {
        cut_message(&mut e.message);
    }
}

/// True when the current runtime can hand its thread over with
/// `block_in_place` (the multi-threaded runtime; tests may run on the
/// current-thread one).
fn can_block_in_place() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// The schema's one extension: the guard, persisted queries and the
/// per-request bookkeeping of [`crate::graphql::extensions`] in one, since
/// async-graphql runs every field of a response through each extension
/// the schema has (one boxed future per extension per field).
pub struct Guard {
    limits: GuardLimits,
    introspection: bool,
    persisted: Option<QueryStore>,
    documents: Arc<Documents>,
}

impl Guard {
    /// The guard with `limits`; `persisted` answers APQ hashes (none: the
    /// extension is refused as unknown like any other).
    pub fn new(limits: GuardLimits, introspection: bool, persisted: Option<QueryStore>) -> Self {
        Guard {
            limits,
            introspection,
            persisted,
            documents: Arc::new(Documents::default()),
        }
    }
}

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension {
            limits: self.limits,
            introspection: self.introspection,
            persisted: self.persisted.clone(),
            documents: self.documents.clone(),
            state: Mutex::new(RequestState::default()),
        })
    }
}

/// What the guard learnt about the request in `prepare_request`.
#[derive(Default)]
struct RequestState {
    /// The document is large enough to validate off the runtime thread.
    heavy: bool,
    /// The introspection share of the complexity, left out of the limit.
    introspection_fields: u64,
    /// The cached document, when its validation result may be reused or
    /// remembered (no variables), with the operation asked for.
    reusable: Option<(Arc<Checked>, Option<String>)>,
}

struct GuardExtension {
    limits: GuardLimits,
    introspection: bool,
    persisted: Option<QueryStore>,
    documents: Arc<Documents>,
    state: Mutex<RequestState>,
}

impl GuardExtension {
    fn state(&self) -> std::sync::MutexGuard<'_, RequestState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Scans, parses and analyses `request` (or takes its cached result).
    async fn check(&self, request: Request) -> ServerResult<(Request, Report, Option<Arc<Checked>>)> {
        if let Some(checked) = self.documents.get(&request.query) {
            // The text passed before; its inputs are this request's own.
            check_inputs(&request, self.limits.max_nesting)?;
            let mut request = request;
            request.set_parsed_query(checked.doc.clone());
            let report = checked.report;
            return Ok((request, report, Some(checked)));
        }
        let limits = self.limits;
        let (mut request, (doc, report)) = if request.query.len() > INLINE_PARSE_BYTES {
            tokio::task::spawn_blocking(move || check_document(&request, &limits).map(|r| (request, r)))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "the request check failed");
                    let mut err = ServerError::new("internal error", None);
                    let mut ext = ErrorExtensionValues::default();
                    ext.set("code", "INTERNAL");
                    err.extensions = Some(ext);
                    err
                })??
        } else {
            let checked = check_document(&request, &limits)?;
            (request, checked)
        };
        let checked = self.documents.insert(&request.query, &doc, report);
        request.set_parsed_query(doc);
        Ok((request, report, checked))
    }
}

#[async_trait::async_trait]
impl Extension for GuardExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut res = next.run(ctx).await;
        cap_errors(&mut res.errors, self.limits.max_errors);
        res
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let max = self.limits.max_errors;
        let capped = stream
            .map(move |mut res| {
                cap_errors(&mut res.errors, max);
                res
            })
            .boxed();
        next.run(ctx, capped)
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // The text as sent, before a persisted query replaces it.
        if !request.query.is_empty() {
            scan_text(&request.query, self.limits.max_nesting)?;
        }
        let request = match &self.persisted {
            Some(store) => persisted::resolve(store, request).await?,
            None => request,
        };
        crate::graphql::verification::placeholders::check(&request)?;
        let large = request.query.len() > INLINE_PARSE_BYTES;
        let (request, report, checked) = self.check(request).await?;
        {
            let mut state = self.state();
            state.heavy = large || report.selections > INLINE_VALIDATION_SELECTIONS;
            state.introspection_fields = report.introspection_fields;
            state.reusable = checked
                .filter(|_| request.variables.is_empty())
                .map(|c| (c, request.operation_name.clone()));
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        observe_document(ctx.data_opt::<Arc<RequestMeta>>(), &doc, self.introspection)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let (heavy, introspection, reusable) = {
            let mut state = self.state();
            (state.heavy, state.introspection_fields, state.reusable.take())
        };
        if let Some(known) = reusable.as_ref().and_then(|(c, op)| c.validated(op.as_deref())) {
            return Ok(known);
        }
        let result = if heavy && can_block_in_place() {
            // Validation is synchronous work; let the runtime move its
            // other tasks to another thread meanwhile.
            tokio::task::block_in_place(|| futures::executor::block_on(next.run(ctx)))
        } else {
            next.run(ctx).await
        }?;
        // Each introspection field costs 1 in async-graphql's complexity;
        // the schema bounds them, not the query limit.
        let introspection = usize::try_from(introspection).unwrap_or(usize::MAX);
        if result.complexity.saturating_sub(introspection) > self.limits.max_complexity {
            // async-graphql's own message, as before the limit moved here.
            return Err(vec![ServerError::new("Query is too complex.", None)]);
        }
        if let Some((checked, operation)) = reusable {
            checked.remember(operation, result);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        observe_execution(ctx.data_opt::<Arc<RequestMeta>>(), operation_name);
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_in_number_and_size() {
        let mut errors: Vec<ServerError> = (0..1000)
            .map(|i| ServerError::new(format!("error {i} {}", "x".repeat(5000)), None))
            .collect();
        cap_errors(&mut errors, 5);
        assert_eq!(errors.len(), 6);
        assert!(errors.iter().all(|e| e.message.len() <= MAX_ERROR_MESSAGE_BYTES + 3));
        assert!(
            errors[5].message.starts_with("995 more errors"),
            "{}",
            errors[5].message
        );
    }
}
