//! Customer and candidate profiles over GraphQL: one of each per user. A
//! candidate profile is reviewed through the approval engine before
//! employers see it on applications ([`candidate_on_application`],
//! batched by [`CandidateByUser`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::candidate_profiles;
use entity::enums::{ApprovalStatus, CustomerProfileStatus, ProfileStatus};
use sea_orm::{ActiveEnum, DatabaseConnection};
use uuid::Uuid;

use crate::graphql::approval::ApprovalRequest;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::loaders::{loaders, LoadError};
use crate::service::marketplace::applications::ApplicationRow;
use crate::service::marketplace::jobs;
use crate::service::marketplace::people::{self, CandidateInput, CustomerInput};

/// Candidate profiles by user id, unfiltered: resolvers decide who sees
/// which ([`people::shown_on_application`]).
pub struct CandidateByUser(pub DatabaseConnection);

impl Loader<Uuid> for CandidateByUser {
    type Value = candidate_profiles::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        people::candidates_of_users(&self.0, keys).await.map_err(Arc::new)
    }
}

/// The candidate profile of an application's applicant as the viewer may
/// see it: the applicant always, the job's poster (`poster`: `None` when
/// the job was not read, `Some(None)` for a job without a poster) and job
/// moderators only while it is ACTIVE and APPROVED. Batched per request.
pub async fn candidate_on_application(
    ctx: &Context<'_>,
    row: &ApplicationRow,
    poster: Option<Option<Uuid>>,
) -> Result<Option<CandidateProfile>> {
    let v = viewer(ctx);
    let Some(found) = loaders(ctx)?
        .marketplace
        .candidates
        .load_one(row.applicant_user_id)
        .await
        .map_err(|e| e.to_graphql())?
    else {
        return Ok(None);
    };
    let poster = match poster {
        Some(p) => p,
        // Only an employer needs the poster, and only a live profile.
        None if v.user_id != Some(row.applicant_user_id) && people::is_live(&found) => {
            jobs::by_ids(&app(ctx)?.db.read, v.user_id, &[row.job_id])
                .await?
                .pop()
                .and_then(|j| j.job.posted_by_user_id)
        }
        None => None,
    };
    Ok(people::shown_on_application(v, &found, poster).then_some(CandidateProfile(found)))
}

/// Customer and candidate profile queries.
#[derive(Default)]
pub struct PeopleQuery;

/// Customer and candidate profile queries.
#[Object]
impl PeopleQuery {
    /// Your customer profile, if you have one.
    async fn my_customer_profile(&self, ctx: &Context<'_>) -> Result<Option<CustomerProfile>> {
        Ok(people::customer_of(&app(ctx)?.db.primary, viewer(ctx))
            .await?
            .map(CustomerProfile))
    }

    /// Your candidate profile in any state, if you have one.
    async fn my_candidate_profile(&self, ctx: &Context<'_>) -> Result<Option<CandidateProfile>> {
        Ok(people::candidate_of(&app(ctx)?.db.primary, viewer(ctx))
            .await?
            .map(CandidateProfile))
    }
}

/// A customer profile to create or edit.
#[derive(InputObject)]
pub struct SaveCustomerProfileInput {
    /// The name shown to professionals.
    pub display_name: String,
    /// Where you are.
    pub location: Option<String>,
}

/// A candidate profile to create or edit.
#[derive(InputObject)]
pub struct SaveCandidateProfileInput {
    /// The name shown to employers.
    pub display_name: String,
    /// About you (no contact details).
    pub bio: Option<String>,
    /// Where you are.
    pub location: Option<String>,
    /// Years of experience.
    pub experience_years: Option<i64>,
    /// Roles you want.
    pub preferred_roles: Option<Vec<String>>,
    /// Expected yearly salary, in paise.
    pub expected_salary_inr: Option<i64>,
}

/// Someone hiring professionals through leads.
pub struct CustomerProfile(pub entity::customer_profiles::Model);

/// Someone hiring professionals through leads.
#[Object]
impl CustomerProfile {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The name shown to professionals.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Where they are.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// Standing of the profile.
    async fn status(&self) -> Result<CustomerProfileStatus> {
        Ok(CustomerProfileStatus::try_from_value(&self.0.status)
            .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("bad status: {e}")))?)
    }
}

/// Someone looking for a job.
pub struct CandidateProfile(pub candidate_profiles::Model);

/// Someone looking for a job.
#[Object]
impl CandidateProfile {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The name shown to employers.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// About them.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }
    /// Where they are.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// Years of experience.
    async fn experience_years(&self) -> Option<i32> {
        self.0.experience_years
    }
    /// Roles they want.
    async fn preferred_roles(&self) -> &[String] {
        &self.0.preferred_roles
    }
    /// Expected yearly salary, in paise.
    async fn expected_salary_inr(&self) -> Option<i64> {
        self.0.expected_salary_inr
    }
    /// DRAFT until approved, then ACTIVE (or SUSPENDED by moderators);
    /// an edit of an approved profile makes it DRAFT again.
    async fn status(&self) -> Result<ProfileStatus> {
        Ok(ProfileStatus::try_from_value(&self.0.status)
            .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("bad status: {e}")))?)
    }
    /// The moderators' decision: PENDING until reviewed (and again after
    /// an edit), then APPROVED or REJECTED.
    async fn approval_status(&self) -> Result<ApprovalStatus> {
        Ok(db_enum(&self.0.approval_status)?)
    }
    /// Why moderators rejected it (null unless REJECTED).
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    /// When moderators approved it (null until approved, and after an edit).
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at.map(ts)
    }
}

/// The saved customer profile.
#[derive(SimpleObject)]
pub struct CustomerProfilePayload {
    /// The profile as it now stands.
    pub profile: CustomerProfile,
}

/// The saved candidate profile.
#[derive(SimpleObject)]
pub struct CandidateProfilePayload {
    /// The profile as it now stands (an approved profile keeps its approved
    /// text while an edit is reviewed).
    pub profile: CandidateProfile,
    /// The review an edit of an approved profile waits for (its payload is
    /// `{old, new}`); null when the save was written at once.
    pub pending_review: Option<ApprovalRequest>,
}

/// Customer and candidate profile mutations.
#[derive(Default)]
pub struct PeopleMutation;

/// Customer and candidate profile mutations.
#[Object]
impl PeopleMutation {
    /// Creates or edits your customer profile.
    async fn save_customer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile.")] input: SaveCustomerProfileInput,
    ) -> Result<CustomerProfilePayload> {
        let m = people::save_customer(
            app(ctx)?,
            viewer(ctx),
            CustomerInput {
                display_name: input.display_name,
                location: input.location,
            },
        )
        .await?;
        Ok(CustomerProfilePayload {
            profile: CustomerProfile(m),
        })
    }

    /// Creates your candidate profile (DRAFT) or edits it. Refused while a
    /// review is pending (`CONFLICT`) or when suspended (`FORBIDDEN`).
    /// An edit of an approved profile waits for review (`pendingReview`)
    /// while employers keep seeing the approved text.
    async fn save_candidate_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile.")] input: SaveCandidateProfileInput,
    ) -> Result<CandidateProfilePayload> {
        let saved = people::save_candidate(
            app(ctx)?,
            viewer(ctx),
            CandidateInput {
                display_name: input.display_name,
                bio: input.bio,
                location: input.location,
                experience_years: input.experience_years,
                preferred_roles: input.preferred_roles,
                expected_salary_inr: input.expected_salary_inr,
            },
        )
        .await?;
        let pending_review = match saved.review {
            Some(r) => Some(ApprovalRequest::seen(ctx, r).await?),
            None => None,
        };
        Ok(CandidateProfilePayload {
            profile: CandidateProfile(saved.row),
            pending_review,
        })
    }

    /// Sends your candidate profile for review by moderators (never
    /// yourself); approval makes it ACTIVE and APPROVED, shown to the
    /// employers you apply to. `CONFLICT` while a review is pending or when
    /// already approved; `NOT_FOUND` without a profile.
    async fn submit_candidate_profile(&self, ctx: &Context<'_>) -> Result<CandidateProfilePayload> {
        let m = people::submit_candidate(app(ctx)?, viewer(ctx)).await?;
        Ok(CandidateProfilePayload {
            profile: CandidateProfile(m),
            pending_review: None,
        })
    }
}
