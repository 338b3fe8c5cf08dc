//! The document cache: clients send the same few query texts over and
//! over, so each text is scanned, parsed and analysed once per instance,
//! and its validation result kept for requests without variables (with
//! variables, validation reads their values — argument types, connection
//! sizes in the complexity — so it runs again).
//!
//! Only documents that passed the guard are kept, at most
//! [`MAX_CACHED_TEXT_BYTES`] of text each and [`CAPACITY`] in all, least
//! recently used first out: a flood of distinct documents costs what it
//! cost before and evicts nothing but cache entries.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::ValidationResult;

use super::Report;

/// Documents kept per instance.
pub const CAPACITY: usize = 512;

/// Longest query text kept; longer ones are checked each time.
pub const MAX_CACHED_TEXT_BYTES: usize = 8 * 1024;

/// One checked document.
pub struct Checked {
    /// The parsed document; each request gets a copy (execution consumes it).
    pub doc: ExecutableDocument,
    /// What the guard measured.
    pub report: Report,
    /// Validation results of runs without variables, by operation name.
    validated: Mutex<Vec<(Option<String>, ValidationResult)>>,
}

impl Checked {
    /// The validation result of `operation` without variables, if known.
    pub fn validated(&self, operation: Option<&str>) -> Option<ValidationResult> {
        self.validated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(name, _)| name.as_deref() == operation)
            .map(|(_, r)| *r)
    }

    /// Remembers a passed validation of `operation` without variables.
    pub fn remember(&self, operation: Option<String>, result: ValidationResult) {
        let mut v = self.validated.lock().unwrap_or_else(|p| p.into_inner());
        // A document names few operations; bound it anyway.
        if v.len() < 16 && !v.iter().any(|(name, _)| *name == operation) {
            v.push((operation, result));
        }
    }
}

/// Checked documents by query text.
pub struct Documents(Mutex<lru::LruCache<Arc<str>, Arc<Checked>>>);

impl Default for Documents {
    fn default() -> Self {
        let cap = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Documents(Mutex::new(lru::LruCache::new(cap)))
    }
}

impl Documents {
    /// The checked document of `text`, if cached.
    pub fn get(&self, text: &str) -> Option<Arc<Checked>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(text).cloned()
    }

    /// Keeps `doc` (which passed the guard) for `text`, when small enough.
    pub fn insert(&self, text: &str, doc: &ExecutableDocument, report: Report) -> Option<Arc<Checked>> {
        if text.len() > MAX_CACHED_TEXT_BYTES {
            return None;
        }
        let checked = Arc::new(Checked {
            doc: doc.clone(),
            report,
            validated: Mutex::new(Vec::new()),
        });
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(Arc::from(text), checked.clone());
        Some(checked)
    }

    /// How many documents are cached.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
