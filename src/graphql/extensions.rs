//! Per-request bookkeeping that the HTTP and WebSocket layers read back:
//! the executed operation's name (for metrics) and the refusal of
//! mutations sent over GET (answered 405).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult};

/// Facts about one operation, shared between the transport and the schema.
#[derive(Debug, Default)]
pub struct RequestMeta {
    /// Only queries may run (GET requests: they must not change anything).
    pub queries_only: bool,
    /// The operation the client asked for by name, if any.
    pub requested_operation: Option<String>,
    executed_operation: Mutex<Option<String>>,
    refused_non_query: AtomicBool,
}

impl RequestMeta {
    pub fn new(queries_only: bool, requested_operation: Option<String>) -> Arc<Self> {
        Arc::new(RequestMeta {
            queries_only,
            requested_operation,
            ..Default::default()
        })
    }

    /// The name of the operation that ran (or was asked for).
    pub fn operation_name(&self) -> Option<String> {
        self.executed_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .or_else(|| self.requested_operation.clone())
    }

    /// True when a mutation or subscription was refused on a GET request.
    pub fn refused_non_query(&self) -> bool {
        self.refused_non_query.load(Ordering::Relaxed)
    }
}

fn selects_introspection(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(f) => {
            let name = f.node.name.node.as_str();
            name == "__schema" || name == "__type" || selects_introspection(&f.node.selection_set.node)
        }
        Selection::InlineFragment(frag) => selects_introspection(&frag.node.selection_set.node),
        Selection::FragmentSpread(_) => false,
    })
}

fn uses_introspection(doc: &ExecutableDocument) -> bool {
    doc.operations
        .iter()
        .any(|(_, op)| selects_introspection(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| selects_introspection(&f.node.selection_set.node))
}

fn document_operation_name(doc: &ExecutableDocument, requested: Option<&str>) -> Option<String> {
    match (&doc.operations, requested) {
        (_, Some(name)) => Some(name.to_string()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.keys().next().map(|n| n.to_string()),
        _ => None,
    }
}

fn selected_operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        _ => None,
    }
}

/// Reads the parsed document into [`RequestMeta`] (the operation's name,
/// for metrics), refuses mutations and subscriptions on GET requests, and
/// refuses introspection when it is switched off (async-graphql alone would
/// answer `null` silently). Called by the request guard once the document
/// is parsed.
pub fn observe_document(
    meta: Option<&Arc<RequestMeta>>,
    doc: &ExecutableDocument,
    introspection: bool,
) -> ServerResult<()> {
    if let Some(meta) = meta {
        if let Some(name) = document_operation_name(doc, meta.requested_operation.as_deref()) {
            *meta.executed_operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(name);
        }
        if meta.queries_only {
            let ty = selected_operation_type(doc, meta.requested_operation.as_deref());
            if matches!(ty, Some(OperationType::Mutation | OperationType::Subscription)) {
                meta.refused_non_query.store(true, Ordering::Relaxed);
                return Err(ServerError::new(
                    "only queries may be sent with GET; send mutations with POST",
                    None,
                ));
            }
        }
    }
    if !introspection && uses_introspection(doc) {
        return Err(ServerError::new("introspection is disabled on this server", None));
    }
    Ok(())
}

/// Records the name of the operation that runs.
pub fn observe_execution(meta: Option<&Arc<RequestMeta>>, operation_name: Option<&str>) {
    if let (Some(meta), Some(name)) = (meta, operation_name) {
        *meta.executed_operation.lock().unwrap_or_else(|p| p.into_inner()) = Some(name.to_string());
    }
}
