//! Verification and KYC inputs.

use async_graphql::{InputObject, Upload, ID};
use chrono::NaiveDate;
use entity::enums::{IdDocumentType, VerificationDocumentType, VerificationType};

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
    pub document_number: String,
    /// The document's front (PDF, PNG, JPEG or WebP, judged by content).
    /// Required; nullable only so that a missing file is an error that
    /// names its field.
    pub front: Option<Upload>,
    /// The document's back (required).
    pub back: Option<Upload>,
    /// A photo of you holding the document (required).
    pub selfie: Option<Upload>,
}

/// One document to upload: what it is and the file.
#[derive(InputObject)]
pub struct VerificationDocumentUpload {
    /// What the document is.
    pub document_type: VerificationDocumentType,
    /// The file (PDF, PNG, JPEG or WebP, judged by content). Required;
    /// nullable only so that a missing file is an error naming its field.
    pub file: Option<Upload>,
}

/// A verification request for you or one of your role profiles.
#[derive(InputObject)]
pub struct SubmitVerificationRequestInput {
    /// What is to be verified.
    pub verification_type: VerificationType,
    /// One of your role profiles; absent: yourself.
    pub user_role_profile_id: Option<ID>,
    /// The documents (at least one).
    pub documents: Vec<VerificationDocumentUpload>,
}

/// More documents for an open request of yours.
#[derive(InputObject)]
pub struct UploadVerificationDocumentsInput {
    /// The request.
    pub verification_request_id: ID,
    /// The documents (at least one).
    pub documents: Vec<VerificationDocumentUpload>,
}

/// A reviewer's verdict on one document.
#[derive(InputObject)]
pub struct ReviewVerificationDocumentInput {
    /// The document.
    pub document_id: ID,
    /// True approves it; false rejects it (remarks required).
    pub approve: bool,
    /// Why (shown to the user).
    pub remarks: Option<String>,
}

/// A reviewer asks the user for more documents.
#[derive(InputObject)]
pub struct RequestVerificationDocumentsInput {
    /// The request.
    pub verification_request_id: ID,
    /// Which documents are needed (shown to the user).
    pub remarks: String,
}
