//! Inputs of companies, jobs and applications.

use async_graphql::{InputObject, ID};
use entity::enums::{EmploymentType, JobApplicationStatus, JobStatus, WorkMode};

use crate::error::AppError;
use crate::graphql::convert::parse_opt_id;
use crate::service::marketplace::companies::SaveCompany;
use crate::service::marketplace::jobs::list;
use crate::service::marketplace::jobs::JobFields;

/// The viewer's company profile, whole (unset optional fields are cleared).
#[derive(InputObject)]
pub struct SaveCompanyProfileInput {
    /// The company's name (at most 200 characters).
    pub company_name: String,
    /// What kind of business it is.
    pub business_type: Option<String>,
    /// Its industry.
    pub industry: Option<String>,
    /// Who to address there (shown to the owner and moderators only).
    pub contact_person_name: Option<String>,
    /// Where it is.
    pub location: Option<String>,
    /// About the company (at most 5000 characters; no links, emails or phone numbers).
    pub bio: Option<String>,
}

impl From<SaveCompanyProfileInput> for SaveCompany {
    fn from(i: SaveCompanyProfileInput) -> Self {
        SaveCompany {
            company_name: i.company_name,
            business_type: i.business_type,
            industry: i.industry,
            contact_person_name: i.contact_person_name,
            location: i.location,
            bio: i.bio,
        }
    }
}

/// A new job (a DRAFT until submitted).
#[derive(InputObject)]
pub struct CreateJobInput {
    /// The title (at most 200 characters).
    pub title: String,
    /// What the work is (at most 5000 characters; no links, emails or phone numbers).
    pub description: Option<String>,
    /// Where the work is.
    pub location: Option<String>,
    /// Full time (the default), part time or a contract.
    pub employment_type: Option<EmploymentType>,
    /// On site (the default), remote or hybrid.
    pub mode_of_work: Option<WorkMode>,
    /// The budget, in paise.
    pub budget_inr: Option<i64>,
}

impl From<CreateJobInput> for JobFields {
    fn from(i: CreateJobInput) -> Self {
        JobFields {
            title: Some(i.title),
            description: i.description,
            location: i.location,
            employment_type: i.employment_type,
            mode_of_work: i.mode_of_work,
            budget_inr: i.budget_inr,
        }
    }
}

/// Changes to a DRAFT or REJECTED job: unset fields keep their value,
/// empty text clears it.
#[derive(InputObject)]
pub struct UpdateJobInput {
    /// The job.
    pub id: ID,
    /// The title (at most 200 characters).
    pub title: Option<String>,
    /// What the work is (at most 5000 characters; no links, emails or phone numbers).
    pub description: Option<String>,
    /// Where the work is.
    pub location: Option<String>,
    /// Full time, part time or a contract.
    pub employment_type: Option<EmploymentType>,
    /// On site, remote or hybrid.
    pub mode_of_work: Option<WorkMode>,
    /// The budget, in paise.
    pub budget_inr: Option<i64>,
}

impl UpdateJobInput {
    /// The fields, apart from the id.
    pub fn fields(self) -> JobFields {
        JobFields {
            title: self.title,
            description: self.description,
            location: self.location,
            employment_type: self.employment_type,
            mode_of_work: self.mode_of_work,
            budget_inr: self.budget_inr,
        }
    }
}

/// Sending a job for review, paying for its posting once.
#[derive(InputObject)]
pub struct SubmitJobInput {
    /// The job (DRAFT, or REJECTED and edited).
    pub id: ID,
    /// Retries answer `replayed: true` and pay nothing.
    pub idempotency_key: String,
}

/// An application to a LIVE job.
#[derive(InputObject)]
pub struct ApplyToJobInput {
    /// The job.
    pub job_id: ID,
    /// A note to the employer (at most 5000 characters; no links, emails or phone numbers).
    pub cover_note: Option<String>,
}

/// The employer's move of an application.
#[derive(InputObject)]
pub struct UpdateJobApplicationInput {
    /// The application.
    pub id: ID,
    /// Where it goes: one step forward, or REJECTED while open.
    pub status: JobApplicationStatus,
}

/// Which jobs to list.
#[derive(InputObject, Default)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub status: Option<JobStatus>,
    /// Only this company's jobs.
    pub company_id: Option<ID>,
    /// Only the viewer's own jobs (signed in).
    pub mine: Option<bool>,
    /// Words to find in the title, description, location or company name.
    pub search: Option<String>,
}

impl JobFilter {
    /// The service's filter.
    pub fn service(self) -> Result<list::JobFilter, AppError> {
        Ok(list::JobFilter {
            status: self.status,
            company_id: parse_opt_id(self.company_id.as_ref(), "companyId")?,
            mine: self.mine.unwrap_or(false),
            search: self.search,
        })
    }
}
