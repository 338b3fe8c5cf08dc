//! Companies, jobs and applications over GraphQL (issue 15): company
//! profiles approved by moderators, jobs paid for once and reviewed
//! before they go LIVE, applications the poster moves along, and the live
//! `jobApplicationReceived`. Resolvers parse, call one service function
//! and map; the services decide who may do what.

pub mod inputs;
pub mod types;

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, Subscription, ID};
use futures::{Stream, StreamExt};

use self::inputs::{
    ApplyToJobInput, CreateJobInput, JobFilter, SaveCompanyProfileInput, SubmitJobInput, UpdateJobApplicationInput,
    UpdateJobInput,
};
use self::types::{
    CompanyProfile, CompanyProfilePayload, Job, JobApplication, JobApplicationConnection, JobApplicationCount,
    JobApplicationPayload, JobConnection, JobCount, JobPayload, SubmitJobPayload,
};
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::approval::ApprovalRequest;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::live::deliveries;
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::marketplace::applications::{self, events, list as application_list};
use crate::service::marketplace::companies;
use crate::service::marketplace::jobs::{self as job_service, list as job_list, posting};

/// Job queries.
#[derive(Default)]
pub struct JobQuery;

/// Job queries.
#[Object]
impl JobQuery {
    /// Jobs, newest first: LIVE ones for everyone (anonymous too), your own
    /// in any state, every job for moderators.
    #[allow(clippy::too_many_arguments)]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which jobs to list.")] filter: Option<JobFilter>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only jobs after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only jobs before this cursor.")] before: Option<String>,
    ) -> Result<JobConnection> {
        let filter = filter.unwrap_or_default().service()?;
        let page = Page::<job_list::Cursor>::from_args(first, after, last, before)?;
        let paged = job_list::page(&app(ctx)?.db.read, viewer(ctx), &filter, &page).await?;
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, JobCount(filter));
        for row in paged.rows {
            conn.edges
                .push(Edge::new(encode_cursor(&job_list::cursor(&row)), Job::from(row)));
        }
        Ok(conn)
    }

    /// One job, if you may see it (LIVE, yours, or you moderate); null otherwise.
    async fn job(&self, ctx: &Context<'_>, #[graphql(desc = "The job's id.")] id: ID) -> Result<Option<Job>> {
        let id = parse_id(&id, "id")?;
        Ok(job_service::visible(&app(ctx)?.db.read, viewer(ctx), id)
            .await?
            .map(Job::from))
    }

    /// Your own applications, newest first (signed in).
    async fn my_job_applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only applications after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only applications before this cursor.")] before: Option<String>,
    ) -> Result<JobApplicationConnection> {
        let v = viewer(ctx);
        let scope = application_list::mine(v)?;
        let page = Page::<application_list::Cursor>::from_args(first, after, last, before)?;
        let db = &app(ctx)?.db.read;
        let paged = application_list::page(db, scope, &page).await?;
        // The page's jobs in one statement.
        let mut ids: Vec<_> = paged.rows.iter().map(|r| r.job_id).collect();
        ids.sort();
        ids.dedup();
        let jobs: HashMap<_, Job> = job_service::by_ids(db, v.user_id, &ids)
            .await?
            .into_iter()
            .map(|j| (j.job.id, Job::from(j)))
            .collect();
        let mut conn =
            Connection::with_additional_fields(paged.has_previous, paged.has_next, JobApplicationCount(scope));
        for row in paged.rows {
            let job = jobs.get(&row.job_id).cloned();
            conn.edges.push(Edge::new(
                encode_cursor(&application_list::cursor(&row)),
                JobApplication { row, job },
            ));
        }
        Ok(conn)
    }

    /// Your company profile in any state, if you have one (signed in).
    async fn my_company_profile(&self, ctx: &Context<'_>) -> Result<Option<CompanyProfile>> {
        Ok(companies::mine(&app(ctx)?.db.read, viewer(ctx))
            .await?
            .map(CompanyProfile))
    }
}

/// Job mutations.
#[derive(Default)]
pub struct JobMutation;

/// Job mutations.
#[Object]
impl JobMutation {
    /// Creates your company profile (DRAFT) or edits it; refused while a
    /// review is pending (`CONFLICT`).
    async fn save_company_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The whole profile.")] input: SaveCompanyProfileInput,
    ) -> Result<CompanyProfilePayload> {
        let saved = companies::save(app(ctx)?, viewer(ctx), input.into()).await?;
        let pending_review = match saved.review {
            Some(r) => Some(ApprovalRequest::seen(ctx, r).await?),
            None => None,
        };
        Ok(CompanyProfilePayload {
            company: CompanyProfile(saved.row),
            pending_review,
        })
    }

    /// Sends your company profile for review by moderators; approval makes
    /// it ACTIVE and APPROVED, able to post jobs. A second submit while one
    /// is pending is `CONFLICT`.
    async fn submit_company_profile(&self, ctx: &Context<'_>) -> Result<CompanyProfilePayload> {
        let c = companies::submit(app(ctx)?, viewer(ctx)).await?;
        Ok(CompanyProfilePayload {
            company: CompanyProfile(c),
            pending_review: None,
        })
    }

    /// Writes a DRAFT job of your company, which must be approved
    /// (`FORBIDDEN` otherwise).
    async fn create_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job.")] input: CreateJobInput,
    ) -> Result<JobPayload> {
        let j = job_service::create(app(ctx)?, viewer(ctx), input.into()).await?;
        Ok(JobPayload { job: j.into() })
    }

    /// Edits your DRAFT or REJECTED job (`CONFLICT` in any other state).
    async fn update_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job and the fields to change.")] input: UpdateJobInput,
    ) -> Result<JobPayload> {
        let id = parse_id(&input.id, "id")?;
        let j = job_service::update(app(ctx)?, viewer(ctx), id, input.fields()).await?;
        Ok(JobPayload { job: j.into() })
    }

    /// Sends your job for review (PENDING), paying for its posting once:
    /// with an unused JOB_POSTING package you bought, or else with
    /// tracecoins (`INSUFFICIENT_FUNDS` when short, nothing written).
    /// Retries answer `replayed: true` and pay nothing.
    async fn submit_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job and an idempotency key.")] input: SubmitJobInput,
    ) -> Result<SubmitJobPayload> {
        let id = parse_id(&input.id, "id")?;
        let s = posting::submit(app(ctx)?, viewer(ctx), id, &input.idempotency_key).await?;
        Ok(SubmitJobPayload {
            job: s.job.into(),
            replayed: s.replayed,
            paid_with: s.paid_with.map(Into::into),
        })
    }

    /// Closes a LIVE job (its poster, or `marketplace.jobs.manage`).
    async fn close_job(&self, ctx: &Context<'_>, #[graphql(desc = "The job.")] id: ID) -> Result<JobPayload> {
        let id = parse_id(&id, "id")?;
        let j = job_service::close(app(ctx)?, viewer(ctx), id).await?;
        Ok(JobPayload { job: j.into() })
    }

    /// Applies to a LIVE job of someone else, once (`CONFLICT` the second
    /// time); the poster is notified.
    async fn apply_to_job(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The job and your note.")] input: ApplyToJobInput,
    ) -> Result<JobApplicationPayload> {
        let job_id = parse_id(&input.job_id, "jobId")?;
        let (row, job) = applications::apply(app(ctx)?, viewer(ctx), job_id, input.cover_note.as_deref()).await?;
        Ok(JobApplicationPayload {
            application: JobApplication::with_job(row, job.into()),
        })
    }

    /// Moves an application to your job: APPLIED → SHORTLISTED → INTERVIEW
    /// → OFFERED, or any open one to REJECTED (`CONFLICT` otherwise); the
    /// applicant is notified.
    async fn update_job_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application and where it goes.")] input: UpdateJobApplicationInput,
    ) -> Result<JobApplicationPayload> {
        let id = parse_id(&input.id, "id")?;
        let row = applications::update(app(ctx)?, viewer(ctx), id, input.status).await?;
        Ok(JobApplicationPayload {
            application: JobApplication { row, job: None },
        })
    }
}

/// Job subscriptions.
#[derive(Default)]
pub struct JobSubscription;

/// Job subscriptions.
#[Subscription]
impl JobSubscription {
    /// New applications to your jobs, after each commits. Ends when your
    /// session does.
    async fn job_application_received(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<JobApplication>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        let topic = events::subscription_topic(&v)?;
        let stream = deliveries(app, v, &topic, |app, v, event| async move {
            events::received_for(&app, &v, &event).await
        });
        Ok(stream.map(|item| item.map(|(row, job)| JobApplication::with_job(row, job.into()))))
    }
}
