//! The services marketplace (issue 15, source 001). Landed so far: the
//! filter that keeps contact details out of profile, portfolio and service
//! text ([`links`]), since contacts are sold through leads.

pub mod links;
