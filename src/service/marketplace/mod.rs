//! The services marketplace (issue 15, source 001): professionals of ten
//! professions ([`professions`], [`profiles`]) found through one search
//! statement per page ([`search`]); their services and portfolios with
//! re-encoded images ([`catalog`], [`portfolio`], [`images`]); companies,
//! jobs and applications ([`companies`], [`jobs`], [`applications`]);
//! leads whose contact details are sold once per professional
//! ([`leads`], [`unlock`]); reviews that keep each profile's rating
//! ([`reviews`]). Free text never carries contact details ([`links`]),
//! and profiles, jobs, leads and companies go live through the approval
//! engine ([`appliers`]).

pub mod applications;
pub mod appliers;
pub mod catalog;
pub mod companies;
pub mod edits;
pub mod images;
pub mod jobs;
pub mod lead_requests;
pub mod leads;
pub mod links;
pub mod people;
pub mod perms;
pub mod portfolio;
pub mod professions;
pub mod profiles;
pub mod reviews;
pub mod search;
pub mod text;
pub mod unlock;

pub use appliers::register_applier;
