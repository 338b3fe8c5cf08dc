//! Verification and KYC inputs.

use async_graphql::{InputObject, Upload};
use chrono::NaiveDate;
use entity::enums::IdDocumentType;

/// A KYC submission: who you are, your ID document and three images
/// (sent as files through the GraphQL multipart request specification).
#[derive(InputObject)]
pub struct SubmitKycInput {
    /// Your full name as on the document.
    pub full_name: String,
    /// Your date of birth.
    pub date_of_birth: NaiveDate,
    /// Two-letter ISO 3166 country code of your address.
    pub country: String,
    /// Your address.
    pub address_line: String,
    /// Kind of the ID document.
    pub id_document_type: IdDocumentType,
    /// The document's number. Stored encrypted; shown back masked only.
    pub id_number: String,
    /// The document's front (PDF, PNG, JPEG or WebP, judged by content).
    pub front: Upload,
    /// The document's back.
    pub back: Upload,
    /// A photo of you holding the document.
    pub selfie: Upload,
}
