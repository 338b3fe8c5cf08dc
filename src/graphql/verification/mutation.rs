//! Verification and KYC mutations.

use std::io::Read;

use async_graphql::{Context, Object, Result, Upload};

use super::inputs::SubmitKycInput;
use super::types::{Kyc, SubmitKycPayload};
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::service::verification::files::Incoming;
use crate::service::verification::kyc::{self, KycSubmission};

/// Verification and KYC mutations.
#[derive(Default)]
pub struct VerificationMutation;

/// Reads an uploaded file (already bounded by the upload limits).
fn incoming(ctx: &Context<'_>, upload: &Upload, field: &str) -> Result<Incoming, AppError> {
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
        let submission = KycSubmission {
            front: incoming(ctx, &input.front, "front")?,
            back: incoming(ctx, &input.back, "back")?,
            selfie: incoming(ctx, &input.selfie, "selfie")?,
            full_name: input.full_name,
            date_of_birth: input.date_of_birth,
            country: input.country,
            address_line: input.address_line,
            id_document_type: input.id_document_type,
            id_number: input.id_number,
        };
        let row = kyc::submit(app(ctx)?, viewer(ctx), submission).await?;
        Ok(SubmitKycPayload { kyc: Kyc(row) })
    }
}
