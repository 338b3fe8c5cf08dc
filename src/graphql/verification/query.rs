//! Verification and KYC queries.

use async_graphql::{Context, Object, Result, ID};

use super::types::{Kyc, VerificationDocument, VerificationRequest};
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{not_found_is_none, parse_id};
use crate::service::verification::{files, kyc_read, requests};

/// Verification and KYC queries.
#[derive(Default)]
pub struct VerificationQuery;

#[Object]
impl VerificationQuery {
    /// A user's KYC submission, for reviewers (`kyc.review`,
    /// `verification.review` or `approvals.review`): the ID number masked,
    /// the documents behind signed links. Null when there is none.
    async fn kyc_submission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user whose KYC to read.")] user_id: ID,
    ) -> Result<Option<Kyc>> {
        let user = parse_id(&user_id, "userId")?;
        Ok(kyc_read::for_reviewer(app(ctx)?, viewer(ctx), user).await?.map(Kyc))
    }

    /// One uploaded document: yours, or any for reviewers. Null when it
    /// does not exist or is not yours to read.
    async fn verification_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document's id.")] id: ID,
    ) -> Result<Option<VerificationDocument>> {
        let doc = parse_id(&id, "id")?;
        let found = not_found_is_none(files::readable(&app(ctx)?.db.read, viewer(ctx), doc).await)?;
        Ok(found.map(|(d, _)| VerificationDocument(d)))
    }

    /// One verification request: yours, or any for reviewers. Null when
    /// it does not exist or is not yours to read.
    async fn verification_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's id.")] id: ID,
    ) -> Result<Option<VerificationRequest>> {
        let rid = parse_id(&id, "id")?;
        Ok(not_found_is_none(requests::get(app(ctx)?, viewer(ctx), rid).await)?.map(VerificationRequest))
    }

    /// Your verification requests, newest first (at most 100).
    async fn viewer_verification_requests(&self, ctx: &Context<'_>) -> Result<Vec<VerificationRequest>> {
        let rows = requests::mine(app(ctx)?, viewer(ctx)).await?;
        Ok(rows.into_iter().map(VerificationRequest).collect())
    }
}
