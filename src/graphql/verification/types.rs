//! Verification and KYC output types.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    ApprovalStatus, IdDocumentType, KycStatus, VerificationDocumentType, VerificationRequestStatus, VerificationType,
};
use entity::{user_kyc, verification_documents, verification_requests};

use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{db_enum, id, ts};
use crate::service::verification::{files, kyc_read, requests};

/// A user's KYC (know your customer) check.
pub struct Kyc(pub user_kyc::Model);

/// A user's KYC (know your customer) check.
#[Object]
impl Kyc {
    /// Stable identifier of the submission.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The user it belongs to.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// Where the check stands.
    async fn status(&self) -> Result<KycStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// Full name as submitted.
    async fn full_name(&self) -> Option<&str> {
        self.0.full_name.as_deref()
    }
    /// Date of birth as submitted.
    async fn date_of_birth(&self) -> Option<NaiveDate> {
        self.0.date_of_birth
    }
    /// Two-letter country code.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// Address as submitted.
    async fn address_line(&self) -> Option<&str> {
        self.0.address_line.as_deref()
    }
    /// Kind of the ID document.
    async fn id_document_type(&self) -> Result<Option<IdDocumentType>> {
        Ok(self.0.id_document_type.as_deref().map(db_enum).transpose()?)
    }
    /// The ID number masked to its last four characters (`****1234`).
    async fn masked_document_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(kyc_read::masked_id_number(app(ctx)?, viewer(ctx), &self.0))
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at.map(ts)
    }
    /// When a reviewer verified it.
    async fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at.map(ts)
    }
    /// When a verified check stops being valid (then EXPIRED).
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at.map(ts)
    }
    /// Why it was rejected (the reviewer's remarks).
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    /// The approval request reviewing it (decided with `approveRequest`
    /// or `rejectRequest`).
    async fn approval_request_id(&self) -> Option<ID> {
        self.0.approval_request_id.map(id)
    }
    /// The front, back and selfie images.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<VerificationDocument>> {
        let app = app(ctx)?;
        let docs = kyc_read::documents(&app.db.read, viewer(ctx), &self.0).await?;
        Ok(docs.into_iter().map(VerificationDocument).collect())
    }
}

/// What `submitKyc` returns.
#[derive(SimpleObject)]
pub struct SubmitKycPayload {
    /// The submission, now PENDING review.
    pub kyc: Kyc,
}

/// An uploaded document. Its bytes are reached only through `downloadUrl`.
pub struct VerificationDocument(pub verification_documents::Model);

/// An uploaded document. Its bytes are reached only through `downloadUrl`.
#[Object]
impl VerificationDocument {
    /// Stable identifier of the document.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What the document is.
    async fn document_type(&self) -> Result<VerificationDocumentType> {
        Ok(db_enum(&self.0.document_type)?)
    }
    /// Its review status.
    async fn status(&self) -> Result<ApprovalStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// The file name the client gave (shown only; never trusted).
    async fn file_name(&self) -> Option<&str> {
        self.0.file_name.as_deref()
    }
    /// The type judged from the file's bytes.
    async fn mime_type(&self) -> Option<&str> {
        self.0.mime_type.as_deref()
    }
    /// Size in bytes.
    async fn size_bytes(&self) -> Option<i64> {
        self.0.size_bytes
    }
    /// SHA-256 of the bytes, lower-case hex.
    async fn sha256(&self) -> Option<&str> {
        self.0.sha256.as_deref()
    }
    /// When it was uploaded.
    async fn uploaded_at(&self) -> DateTime<Utc> {
        ts(self.0.uploaded_at)
    }
    /// The reviewer's remarks on it.
    async fn remarks(&self) -> Option<&str> {
        self.0.remarks.as_deref()
    }
    /// A signed link to download it (a path on this server), valid for a
    /// few minutes and only with your own bearer token.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(files::link_for(app(ctx)?, viewer(ctx), self.0.id))
    }
}

/// A request to verify a user (or one of their role profiles) from
/// uploaded documents; decided through the approval engine.
pub struct VerificationRequest(pub verification_requests::Model);

/// A request to verify a user (or one of their role profiles) from
/// uploaded documents; decided through the approval engine.
#[Object]
impl VerificationRequest {
    /// Stable identifier of the request.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The user to verify.
    async fn user_id(&self) -> ID {
        id(self.0.user_id)
    }
    /// The role profile to verify (null: the user).
    async fn user_role_profile_id(&self) -> Option<ID> {
        self.0.user_role_profile_id.map(id)
    }
    /// What is verified.
    async fn verification_type(&self) -> Result<VerificationType> {
        Ok(db_enum(&self.0.verification_type)?)
    }
    /// Where it stands.
    async fn status(&self) -> Result<VerificationRequestStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        ts(self.0.submitted_at)
    }
    /// When it was decided.
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at.map(ts)
    }
    /// The reviewer's latest remarks (what documents are needed, or why
    /// it was rejected).
    async fn remarks(&self) -> Option<&str> {
        self.0.remarks.as_deref()
    }
    /// Its documents, oldest first.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<VerificationDocument>> {
        let docs = requests::documents(app(ctx)?, viewer(ctx), &self.0).await?;
        Ok(docs.into_iter().map(VerificationDocument).collect())
    }
}

/// What `submitVerificationRequest`, `uploadVerificationDocuments` and
/// `requestVerificationDocuments` return.
#[derive(SimpleObject)]
pub struct VerificationRequestPayload {
    /// The request as it now stands.
    pub verification_request: VerificationRequest,
}

/// What `reviewVerificationDocument` returns.
#[derive(SimpleObject)]
pub struct ReviewVerificationDocumentPayload {
    /// The document as reviewed.
    pub document: VerificationDocument,
}
