//! The approval engine: maker-checker requests that other domains submit
//! and reviewers decide. Only this module writes `approval_requests` and
//! `approval_logs`; a domain whose change needs review calls
//! [`requests::submit`] and, when it decides, [`requests::close`], inside
//! its own transaction.

pub mod perms;
pub mod requests;

pub use requests::{close, submit, NewRequest, Target};
