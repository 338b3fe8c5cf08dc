//! The approval engine: maker-checker requests that other domains submit
//! and reviewers decide. Only this module writes `approval_requests` and
//! `approval_logs`. A domain whose change needs review registers an
//! [`appliers::Applier`] for its entity type and calls [`submit`] inside
//! its own transaction; approving, rejecting, cancelling and expiry go
//! through [`requests::move_in`], which runs the applier in the same
//! transaction. Edits of approved entities wait as requests of their own
//! ([`edits`]).

pub mod appliers;
pub mod edits;
pub mod events;
pub mod live;
pub mod perms;
pub mod policy;
pub mod queue;
pub mod requests;

pub use appliers::{Applier, Appliers, Decision};
pub use edits::{edit_of, ensure_editable, submit_edit, submit_first, Saved};
pub use requests::{submit, Move, NewRequest};
