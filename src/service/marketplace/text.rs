//! Free text of the marketplace, checked once for everyone: trimmed,
//! bounded, and refused when it carries contact details (URLs, emails,
//! phone numbers, disguised or not), because contacts are sold through
//! leads. Each problem names the input field.

use crate::error::{AppError, AppResult, FieldError};
use crate::service::marketplace::links;

/// Collects field problems so one answer names every bad field.
#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Records a problem with `field`.
    pub fn bad(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `text` trimmed, or a problem when it is longer than `max`
    /// characters or carries contact details. Empty text is `None`.
    pub fn text(&mut self, field: &str, text: Option<&str>, max: usize) -> Option<String> {
        let t = text.map(str::trim).filter(|t| !t.is_empty())?;
        if t.chars().count() > max {
            self.bad(field, format!("must be at most {max} characters"));
            return None;
        }
        if let Some(c) = links::find(t) {
            self.bad(field, c.message());
            return None;
        }
        Some(t.to_string())
    }

    /// Like [`text`](Self::text) but required.
    pub fn required(&mut self, field: &str, text: &str, max: usize) -> String {
        match self.text(field, Some(text), max) {
            Some(t) => t,
            None => {
                if text.trim().is_empty() {
                    self.bad(field, "must not be empty");
                }
                String::new()
            }
        }
    }

    /// Short labels: trimmed, lower-cased when `fold`, duplicates dropped,
    /// at most `max_items` of `max_len` characters, no contact details.
    pub fn labels(
        &mut self,
        field: &str,
        items: &[String],
        max_items: usize,
        max_len: usize,
        fold: bool,
    ) -> Vec<String> {
        if items.len() > max_items {
            self.bad(field, format!("at most {max_items} entries"));
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for raw in items {
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            let t = if fold { t.to_lowercase() } else { t.to_string() };
            if t.chars().count() > max_len {
                self.bad(field, format!("each entry is at most {max_len} characters"));
                return Vec::new();
            }
            if let Some(c) = links::find(&t) {
                self.bad(field, c.message());
                return Vec::new();
            }
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// A whole number in `0..=max`, or a problem.
    pub fn count(&mut self, field: &str, value: Option<i64>, max: i64) -> Option<i64> {
        let v = value?;
        if !(0..=max).contains(&v) {
            self.bad(field, format!("must be between 0 and {max}"));
            return None;
        }
        Some(v)
    }

    /// `BAD_USER_INPUT` naming every bad field, if any.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_contacts() {
        let mut c = Checks::default();
        assert_eq!(
            c.text("bio", Some("  Weddings and portraits  "), 50).as_deref(),
            Some("Weddings and portraits")
        );
        assert_eq!(c.text("bio", Some("   "), 50), None);
        assert!(c.finish().is_ok());
        let mut c = Checks::default();
        assert_eq!(c.text("bio", Some("mail me at a@b.co"), 50), None);
        assert_eq!(c.text("location", Some(&"x".repeat(51)), 50), None);
        let labels = c.labels("tags", &["Weddings".into(), "weddings".into(), " ".into()], 5, 20, true);
        assert_eq!(labels, vec!["weddings".to_string()]);
        match c.finish() {
            Err(AppError::BadUserInput { fields, .. }) => {
                let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["bio", "location"]);
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }
}
