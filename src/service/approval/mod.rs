//! The approval engine: maker-checker requests that other domains submit
//! and reviewers decide.

pub mod perms;
