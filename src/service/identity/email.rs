//! Email addresses, parsed once at the edge: trimmed, lower-cased and
//! checked, so a service that holds an [`Email`] never re-validates it and
//! never compares a raw, differently-cased address by mistake.

use crate::error::{AppError, AppResult};

/// A normalised email address (trimmed, lower-case, one `@`, a dotted
/// domain, at most 254 characters). Stored as it is here: the unique index
/// on `users` is on `lower(email)` as well.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Normalises and checks `raw`; `BAD_USER_INPUT` on `email` otherwise.
    pub fn parse(raw: &str) -> AppResult<Self> {
        Self::parse_field(raw, "email")
    }

    /// As [`Email::parse`], naming `field` in the error.
    pub fn parse_field(raw: &str, field: &str) -> AppResult<Self> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.matches('@').count() == 1
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Email(email))
        } else {
            Err(AppError::invalid(field, "is not a valid email address"))
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "", "alice", "alice@", "@x.io", "a@b", "a b@c.io", "a@@c.io", "a@.c.io", "a@c.io.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
