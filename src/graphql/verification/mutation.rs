//! Verification and KYC mutations.

use std::io::Read;

use async_graphql::{Context, Object, Result, Upload};

use super::inputs::{
    RequestVerificationDocumentsInput, ReviewVerificationDocumentInput, SubmitKycInput, SubmitVerificationRequestInput,
    UploadVerificationDocumentsInput, VerificationDocumentUpload,
};
use super::types::{
    Kyc, ReviewVerificationDocumentPayload, SubmitKycPayload, VerificationDocument, VerificationRequest,
    VerificationRequestPayload,
};
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{parse_id, parse_opt_id};
use crate::service::verification::files::Incoming;
use crate::service::verification::kyc::{self, KycSubmission};
use crate::service::verification::perms::VERIFICATION_SUBMIT;
use crate::service::verification::requests::{self, NewVerification};

/// Verification and KYC mutations.
#[derive(Default)]
pub struct VerificationMutation;

/// Reads an uploaded file (already bounded by the upload limits).
fn incoming(ctx: &Context<'_>, upload: Option<&Upload>, field: &str) -> Result<Incoming, AppError> {
    let Some(upload) = upload else {
        return Err(AppError::invalid(field, "the file is required"));
    };
    // `Upload::value` indexes without a bounds check.
    if upload.0 >= ctx.query_env.uploads.len() {
        return Err(AppError::invalid(
            field,
            "send the file as a part of a multipart request",
        ));
    }
    let value = upload
        .value(ctx)
        .map_err(|_| AppError::invalid(field, "the file is missing from the request"))?;
    let file_name = Some(value.filename.clone());
    let mut bytes = Vec::new();
    value
        .into_read()
        .read_to_end(&mut bytes)
        .map_err(|_| AppError::invalid(field, "the file could not be read"))?;
    Ok(Incoming {
        field: field.to_string(),
        file_name,
        bytes: bytes.into(),
    })
}

fn documents(
    ctx: &Context<'_>,
    list: &[VerificationDocumentUpload],
) -> Result<Vec<(entity::enums::VerificationDocumentType, Incoming)>, AppError> {
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            Ok((
                d.document_type,
                incoming(ctx, d.file.as_ref(), &format!("documents.{i}.file"))?,
            ))
        })
        .collect()
}

#[Object]
impl VerificationMutation {
    /// Submits your KYC for review: a second submission while one is
    /// pending is a `CONFLICT`; after a rejection or expiry you may submit
    /// again. Send it as a multipart request with the three images.
    async fn submit_kyc(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your details and the three images.")] input: SubmitKycInput,
    ) -> Result<SubmitKycPayload> {
        // Credentials first: an anonymous caller learns nothing of the files.
        viewer(ctx).require_self_service(VERIFICATION_SUBMIT)?;
        let submission = KycSubmission {
            front: incoming(ctx, input.front.as_ref(), "front")?,
            back: incoming(ctx, input.back.as_ref(), "back")?,
            selfie: incoming(ctx, input.selfie.as_ref(), "selfie")?,
            full_name: input.full_name,
            date_of_birth: input.date_of_birth,
            country: input.country,
            address_line: input.address_line,
            id_document_type: input.id_document_type,
            id_number: input.document_number,
        };
        let row = kyc::submit(app(ctx)?, viewer(ctx), submission).await?;
        Ok(SubmitKycPayload { kyc: Kyc(row) })
    }

    /// Asks for verification of you or one of your role profiles, with
    /// documents (a multipart request). One open request per subject and
    /// type: another is a `CONFLICT`.
    async fn submit_verification_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to verify and the documents.")] input: SubmitVerificationRequestInput,
    ) -> Result<VerificationRequestPayload> {
        viewer(ctx).require_self_service(VERIFICATION_SUBMIT)?;
        let n = NewVerification {
            verification_type: input.verification_type,
            user_role_profile_id: parse_opt_id(input.user_role_profile_id.as_ref(), "userRoleProfileId")?,
            documents: documents(ctx, &input.documents)?,
        };
        let row = requests::submit(app(ctx)?, viewer(ctx), n).await?;
        Ok(VerificationRequestPayload {
            verification_request: VerificationRequest(row),
        })
    }

    /// Adds documents to an open request of yours; one waiting for
    /// documents returns to PENDING.
    async fn upload_verification_documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and the documents.")] input: UploadVerificationDocumentsInput,
    ) -> Result<VerificationRequestPayload> {
        viewer(ctx).require_self_service(VERIFICATION_SUBMIT)?;
        let id = parse_id(&input.verification_request_id, "verificationRequestId")?;
        let docs = documents(ctx, &input.documents)?;
        let row = requests::upload(app(ctx)?, viewer(ctx), id, docs).await?;
        Ok(VerificationRequestPayload {
            verification_request: VerificationRequest(row),
        })
    }

    /// Approves or rejects one document (reviewers; never your own).
    async fn review_verification_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document and the verdict.")] input: ReviewVerificationDocumentInput,
    ) -> Result<ReviewVerificationDocumentPayload> {
        let id = parse_id(&input.document_id, "documentId")?;
        let doc =
            requests::review_document(app(ctx)?, viewer(ctx), id, input.approve, input.remarks.as_deref()).await?;
        Ok(ReviewVerificationDocumentPayload {
            document: VerificationDocument(doc),
        })
    }

    /// Asks the user for more documents (reviewers): the request waits
    /// in DOCUMENTS_REQUESTED until they upload.
    async fn request_verification_documents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and what is needed.")] input: RequestVerificationDocumentsInput,
    ) -> Result<VerificationRequestPayload> {
        let id = parse_id(&input.verification_request_id, "verificationRequestId")?;
        let row = requests::request_documents(app(ctx)?, viewer(ctx), id, Some(&input.remarks)).await?;
        Ok(VerificationRequestPayload {
            verification_request: VerificationRequest(row),
        })
    }
}
