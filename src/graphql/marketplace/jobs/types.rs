//! Output types of companies, jobs and applications. A job's row already
//! carries its company and the viewer's application (one statement a
//! page); an application carries its job when the list fetched the page's
//! jobs in bulk.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{
    ApprovalStatus, EmploymentType, JobApplicationStatus, JobStatus, ProfileStatus, VerificationStatus, WorkMode,
};
use rust_decimal::prelude::ToPrimitive;

use crate::error::AppError;
use crate::graphql::approval::ApprovalRequest;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{db_enum, id, ts};
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::marketplace::applications::{list as applications, ApplicationRow};
use crate::service::marketplace::companies::Company;
use crate::service::marketplace::jobs::{self, list as job_list, posting, JobRow};

/// A company that posts jobs: approved by moderators before its first job.
pub struct CompanyProfile(pub Company);

/// A company that posts jobs: approved by moderators before its first job.
#[Object]
impl CompanyProfile {
    /// Stable identifier of the company profile.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The company's name.
    async fn company_name(&self) -> &str {
        &self.0.company_name
    }
    /// What kind of business it is.
    async fn business_type(&self) -> Option<&str> {
        self.0.business_type.as_deref()
    }
    /// Its industry.
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }
    /// Who to address there (to its owner and moderators only).
    async fn contact_person_name(&self, ctx: &Context<'_>) -> Option<&str> {
        let v = viewer(ctx);
        (v.user_id == Some(self.0.user_id) || jobs::moderates(v))
            .then_some(self.0.contact_person_name.as_deref())
            .flatten()
    }
    /// Where it is.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// About the company (never contact details).
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }
    /// DRAFT until approved, then ACTIVE (or SUSPENDED by moderators).
    async fn status(&self) -> Result<ProfileStatus> {
        Ok(db_enum(&self.0.status)?)
    }
    /// The moderators' decision on the profile.
    async fn approval_status(&self) -> Result<ApprovalStatus> {
        Ok(db_enum(&self.0.approval_status)?)
    }
    /// Whether a verification confirmed the business.
    async fn verification_status(&self) -> Result<VerificationStatus> {
        Ok(db_enum(&self.0.verification_status)?)
    }
    /// Average of the published reviews (0 without any), two places.
    async fn rating(&self) -> f64 {
        self.0.rating.to_f64().unwrap_or(0.0)
    }
    /// How many reviews are published.
    async fn review_count(&self) -> i32 {
        self.0.review_count
    }
    /// When the profile was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.created_at)
    }
}

/// A job posting of a company: LIVE ones are public.
#[derive(Clone)]
pub struct Job(pub Arc<JobRow>);

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Job(Arc::new(row))
    }
}

/// A job posting of a company: LIVE ones are public.
#[Object]
impl Job {
    /// Stable identifier of the job.
    async fn id(&self) -> ID {
        id(self.0.job.id)
    }
    /// The company that posts it.
    async fn company(&self) -> CompanyProfile {
        CompanyProfile(self.0.company.clone())
    }
    /// The job's title.
    async fn title(&self) -> &str {
        &self.0.job.title
    }
    /// What the work is (never contact details).
    async fn description(&self) -> Option<&str> {
        self.0.job.description.as_deref()
    }
    /// Where the work is.
    async fn location(&self) -> Option<&str> {
        self.0.job.location.as_deref()
    }
    /// Full time, part time or a contract.
    async fn employment_type(&self) -> Result<EmploymentType> {
        Ok(db_enum(&self.0.job.employment_type)?)
    }
    /// On site, remote or hybrid.
    async fn mode_of_work(&self) -> Result<WorkMode> {
        Ok(db_enum(&self.0.job.mode_of_work)?)
    }
    /// The budget, in paise.
    async fn budget_inr(&self) -> Option<i64> {
        self.0.job.budget_inr
    }
    /// Where it is in its life cycle.
    async fn status(&self) -> Result<JobStatus> {
        Ok(self.0.status()?)
    }
    /// When a moderator approved it.
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.job.approved_at.map(ts)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        ts(self.0.job.created_at)
    }
    /// Applications to it, newest first: to its poster and job moderators
    /// only (`FORBIDDEN` for anyone else).
    async fn applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only applications after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only applications before this cursor.")] before: Option<String>,
    ) -> Result<JobApplicationConnection> {
        let scope = applications::of_job(viewer(ctx), &self.0.job)?;
        let page = Page::<applications::Cursor>::from_args(first, after, last, before)?;
        let paged = applications::page(&app(ctx)?.db.read, scope, &page).await?;
        let mut conn =
            Connection::with_additional_fields(paged.has_previous, paged.has_next, JobApplicationCount(scope));
        for row in paged.rows {
            conn.edges.push(Edge::new(
                encode_cursor(&applications::cursor(&row)),
                JobApplication::with_job(row, self.clone()),
            ));
        }
        Ok(conn)
    }
    /// The viewer's own application to it, if any.
    async fn viewer_application(&self) -> Option<JobApplication> {
        self.0
            .viewer_application
            .clone()
            .map(|row| JobApplication::with_job(row, self.clone()))
    }
}

/// Who applied: their id and display name.
#[derive(SimpleObject)]
pub struct JobApplicant {
    /// The applicant's user id.
    pub id: ID,
    /// The applicant's display name.
    pub display_name: String,
}

/// An application to a job.
pub struct JobApplication {
    pub row: ApplicationRow,
    /// The job, when the list read it already.
    pub job: Option<Job>,
}

impl JobApplication {
    /// An application with its job.
    pub fn with_job(row: ApplicationRow, job: Job) -> Self {
        JobApplication { row, job: Some(job) }
    }
}

/// An application to a job.
#[Object]
impl JobApplication {
    /// Stable identifier of the application.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// The job applied to.
    async fn job(&self, ctx: &Context<'_>) -> Result<Job> {
        if let Some(job) = &self.job {
            return Ok(job.clone());
        }
        let found = jobs::by_ids(&app(ctx)?.db.read, viewer(ctx).user_id, &[self.row.job_id]).await?;
        found
            .into_iter()
            .next()
            .map(Job::from)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("an application's job is missing")).into())
    }
    /// Who applied.
    async fn applicant(&self) -> JobApplicant {
        JobApplicant {
            id: id(self.row.applicant_user_id),
            display_name: self.row.applicant_name.clone(),
        }
    }
    /// Where it is: APPLIED, then SHORTLISTED, INTERVIEW, OFFERED; or REJECTED.
    async fn status(&self) -> Result<JobApplicationStatus> {
        Ok(self.row.status()?)
    }
    /// The applicant's note to the employer.
    async fn cover_note(&self) -> Option<&str> {
        self.row.cover_note.as_deref()
    }
    /// When they applied.
    async fn applied_at(&self) -> DateTime<Utc> {
        ts(self.row.applied_at)
    }
    /// The applicant's candidate profile: always to the applicant; to the
    /// job's poster and job moderators only while it is ACTIVE and
    /// APPROVED (null otherwise). Batched across a page.
    async fn candidate(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::marketplace::people::CandidateProfile>> {
        let poster = self.job.as_ref().map(|j| j.0.job.posted_by_user_id);
        crate::graphql::marketplace::people::candidate_on_application(ctx, &self.row, poster).await
    }
}

/// `totalCount` of a job list, counted only when asked for.
pub struct JobCount(pub job_list::JobFilter);

/// `totalCount` of a job list, counted only when asked for.
#[Object]
impl JobCount {
    /// How many jobs match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(job_list::count(&app(ctx)?.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// `totalCount` of an application list, counted only when asked for.
pub struct JobApplicationCount(pub applications::Scope);

/// `totalCount` of an application list, counted only when asked for.
#[Object]
impl JobApplicationCount {
    /// How many applications the list holds, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(applications::count(&app(ctx)?.db.read, self.0).await? as i64)
    }
}

/// A page of jobs.
pub type JobConnection = Connection<String, Job, JobCount, EmptyFields>;
/// A page of applications.
pub type JobApplicationConnection = Connection<String, JobApplication, JobApplicationCount, EmptyFields>;

/// How a job's posting was paid.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobPaidWith {
    /// With a JOB_POSTING package the poster bought.
    Package,
    /// With tracecoins from the poster's wallet.
    Tracecoins,
}

impl From<posting::PaidWith> for JobPaidWith {
    fn from(p: posting::PaidWith) -> Self {
        match p {
            posting::PaidWith::Package => JobPaidWith::Package,
            posting::PaidWith::Tracecoins => JobPaidWith::Tracecoins,
        }
    }
}

/// The company profile a mutation saved.
#[derive(SimpleObject)]
pub struct CompanyProfilePayload {
    /// The company profile as it is now (an approved company keeps its
    /// approved text while an edit is reviewed).
    pub company: CompanyProfile,
    /// The review an edit of an approved company waits for (its payload is
    /// `{old, new}`); null when the save was written at once.
    pub pending_review: Option<ApprovalRequest>,
}

/// The job a mutation changed.
#[derive(SimpleObject)]
pub struct JobPayload {
    /// The job as it is now.
    pub job: Job,
}

/// The outcome of `submitJob`.
#[derive(SimpleObject)]
pub struct SubmitJobPayload {
    /// The job as it is now (PENDING review, or further along).
    pub job: Job,
    /// The job had been submitted already: nothing was paid now.
    pub replayed: bool,
    /// How its posting was paid (null when posting was free).
    pub paid_with: Option<JobPaidWith>,
}

/// The application a mutation changed.
#[derive(SimpleObject)]
pub struct JobApplicationPayload {
    /// The application as it is now.
    pub application: JobApplication,
}
