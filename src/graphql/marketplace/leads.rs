//! Leads over GraphQL: posting, listing, unlocking the contact, lead
//! requests and their answers, and the live feed of new leads for
//! professionals. `contact` is decided from the row the list already read
//! (no statement per lead) and is null unless the viewer posted, moderates
//! or unlocked the lead.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, Subscription, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{LeadRequestStatus, LeadStatus};
use futures::{Stream, StreamExt};
use std::collections::HashMap;

use super::professional::{prime_at, Professional};
use crate::app::Ctx;
use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{id, parse_id};
use crate::graphql::live::deliveries;
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::{encode_cursor, NodeSelection, Page};
use crate::service::identity::{self, Viewer};
use crate::service::marketplace::lead_requests::{self, RequestRow};
use crate::service::marketplace::leads::{self, Filter, LeadRow, NewLead, Opened};
use crate::service::marketplace::perms::MARKETPLACE_USE;
use crate::service::marketplace::profiles::{self, utc, ProfileRow};
use crate::service::marketplace::unlock;
use crate::service::support::events::Delivery;

/// How to reach a lead's poster.
#[derive(SimpleObject)]
pub struct LeadContact {
    /// The poster's name.
    pub name: Option<String>,
    /// The poster's email address.
    pub email: Option<String>,
    /// The poster's phone number.
    pub phone: Option<String>,
}

/// A customer's request for a professional of one profession.
pub struct Lead(pub LeadRow);

/// A customer's request for a professional of one profession.
#[Object]
impl Lead {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What the customer needs.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The details (never contact details).
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// The budget, in paise.
    async fn budget_inr(&self) -> Option<i64> {
        self.0.budget_inr
    }
    /// When it is needed.
    async fn required_date(&self) -> Option<NaiveDate> {
        self.0.required_date
    }
    /// The profession wanted (a role key).
    async fn profession_key(&self) -> &str {
        &self.0.profession_key
    }
    /// PENDING (in review), OPEN, CLOSED, REJECTED or DRAFT.
    async fn status(&self) -> Result<LeadStatus> {
        Ok(leads::status_of(&self.0)?)
    }
    /// How to reach the poster: only for the poster, lead moderators and
    /// professionals who unlocked it; null otherwise.
    async fn contact(&self, ctx: &Context<'_>) -> Option<LeadContact> {
        self.0.contact_for(viewer(ctx)).map(|c| LeadContact {
            name: c.name,
            email: c.email,
            phone: c.phone,
        })
    }
    /// Whether you unlocked its contact.
    async fn unlocked(&self) -> bool {
        self.0.unlocked
    }
    /// Whether you posted it.
    async fn mine(&self, ctx: &Context<'_>) -> bool {
        self.0.is_mine(viewer(ctx))
    }
    /// When it was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        utc(self.0.created_at)
    }
    /// When moderators approved it.
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at.map(utc)
    }
    /// The professionals' requests for it (its poster and moderators only;
    /// empty for anyone else). Batched across a page of leads.
    async fn requests(&self, ctx: &Context<'_>) -> Result<Vec<LeadRequest>> {
        if !lead_requests::may_see_requests(viewer(ctx), &self.0) {
            return Ok(Vec::new());
        }
        let l = &loaders(ctx)?.marketplace;
        let rows = l
            .requests
            .load_one(self.0.id)
            .await
            .map_err(|e| e.to_graphql())?
            .unwrap_or_default();
        let profiles = l
            .profiles
            .load_many(rows.iter().map(|r| r.user_role_profile_id))
            .await
            .map_err(|e| e.to_graphql())?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let professional = profiles.get(&row.user_role_profile_id)?.clone();
                Some(LeadRequest {
                    row,
                    lead: self.0.clone(),
                    professional,
                })
            })
            .collect())
    }
}

/// Reads, for a page of leads, the requests the viewer may see and their
/// professionals (with what is selected under them) in one batch each, so
/// `requests` costs the same statements at any page size.
async fn prime_requests(ctx: &Context<'_>, rows: &[LeadRow]) -> Result<()> {
    let node = NodeSelection::of(ctx).field("requests");
    if !node.exists() {
        return Ok(());
    }
    let v = viewer(ctx);
    let ids: Vec<_> = rows
        .iter()
        .filter(|l| lead_requests::may_see_requests(v, l))
        .map(|l| l.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let l = &loaders(ctx)?.marketplace;
    let e = |e: std::sync::Arc<AppError>| e.to_graphql();
    let requests = l.requests.load_many(ids).await.map_err(e)?;
    let profile_ids: Vec<_> = requests.values().flatten().map(|r| r.user_role_profile_id).collect();
    let found = l.profiles.load_many(profile_ids).await.map_err(e)?;
    let profiles: Vec<ProfileRow> = found.into_values().collect();
    prime_at(ctx, &node.field("professional"), &profiles).await
}

/// A professional's offer to take a lead.
pub struct LeadRequest {
    row: RequestRow,
    lead: LeadRow,
    professional: ProfileRow,
}

/// A professional's offer to take a lead.
#[Object]
impl LeadRequest {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.row.id)
    }
    /// The lead asked for.
    async fn lead(&self) -> Lead {
        Lead(self.lead.clone())
    }
    /// Who asked.
    async fn professional(&self) -> Result<Professional> {
        Professional::from_row(self.professional.clone())
    }
    /// PENDING until the poster answers, then ACCEPTED or REJECTED.
    async fn status(&self) -> Result<LeadRequestStatus> {
        Ok(lead_requests::status_of_request(&self.row)?)
    }
    /// What was said with it.
    async fn remarks(&self) -> Option<&str> {
        self.row.remarks.as_deref()
    }
    /// When it was made.
    async fn requested_at(&self) -> DateTime<Utc> {
        utc(self.row.requested_at)
    }
}

/// Requests with their leads and professionals: two statements for any
/// number. A request whose lead the viewer may not see is dropped.
async fn assemble<C: sea_orm::ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    rows: Vec<RequestRow>,
) -> Result<Vec<LeadRequest>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut lead_ids: Vec<_> = rows.iter().map(|r| r.lead_id).collect();
    lead_ids.sort();
    lead_ids.dedup();
    let leads_by: HashMap<_, LeadRow> = leads::by_ids(conn, viewer, &lead_ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let profile_ids: Vec<_> = rows.iter().map(|r| r.user_role_profile_id).collect();
    let profiles_by: HashMap<_, ProfileRow> = profiles::by_ids(conn, &profile_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let lead = match leads_by.get(&row.lead_id) {
            Some(l) => l.clone(),
            None => continue,
        };
        let Some(professional) = profiles_by.get(&row.user_role_profile_id).cloned() else {
            continue;
        };
        out.push(LeadRequest {
            row,
            lead,
            professional,
        });
    }
    Ok(out)
}

/// Which leads to list.
#[derive(InputObject, Default)]
pub struct LeadFilter {
    /// Only this profession.
    pub profession_key: Option<String>,
    /// Only leads in this state.
    pub status: Option<LeadStatus>,
    /// Only the leads you posted.
    pub mine: Option<bool>,
}

/// `totalCount` of a lead list, counted only when asked for.
pub struct LeadCount(Filter);

/// `totalCount` of a lead list, counted only when asked for.
#[Object]
impl LeadCount {
    /// How many leads match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(leads::count(&app(ctx)?.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// `totalCount` of your lead requests, counted only when asked for.
pub struct LeadRequestCount;

/// `totalCount` of your lead requests, counted only when asked for.
#[Object]
impl LeadRequestCount {
    /// How many requests you made, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(lead_requests::count_mine(&app(ctx)?.db.read, viewer(ctx)).await? as i64)
    }
}

/// Lead queries.
#[derive(Default)]
pub struct LeadQuery;

/// Lead queries.
#[Object]
impl LeadQuery {
    /// Leads, newest first: yours; the OPEN ones of professions you have an
    /// approved profile in (without contact details until you unlock
    /// them); every lead for moderators.
    #[allow(clippy::too_many_arguments)]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which leads to list.")] filter: Option<LeadFilter>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only leads after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only leads before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, Lead, LeadCount, EmptyFields>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            profession_key: f.profession_key,
            status: f.status,
            mine: f.mine.unwrap_or(false),
        };
        let page = Page::<leads::Cursor>::from_args(first, after, last, before)?;
        let paged = leads::page(&app(ctx)?.db.read, viewer(ctx), &filter, &page).await?;
        prime_requests(ctx, &paged.rows).await?;
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, LeadCount(filter));
        for row in paged.rows {
            conn.edges
                .push(Edge::new(encode_cursor(&leads::cursor(&row)), Lead(row)));
        }
        Ok(conn)
    }

    /// One lead you may see; null otherwise.
    async fn lead(&self, ctx: &Context<'_>, #[graphql(desc = "The lead's id.")] id: ID) -> Result<Option<Lead>> {
        let id = parse_id(&id, "id")?;
        Ok(leads::visible(&app(ctx)?.db.read, viewer(ctx), id).await?.map(Lead))
    }

    /// Your requests for leads (as a professional), newest first.
    async fn my_lead_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only requests after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only requests before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, LeadRequest, LeadRequestCount, EmptyFields>> {
        let page = Page::<lead_requests::Cursor>::from_args(first, after, last, before)?;
        let db = &app(ctx)?.db.read;
        let v = viewer(ctx);
        let paged = lead_requests::mine(db, v, &page).await?;
        let items = assemble(db, v, paged.rows).await?;
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, LeadRequestCount);
        for item in items {
            // The cursor comes from the item itself: `assemble` drops a
            // request whose lead the viewer may no longer see.
            conn.edges
                .push(Edge::new(encode_cursor(&lead_requests::cursor(&item.row)), item));
        }
        Ok(conn)
    }
}

/// A lead to post.
#[derive(InputObject)]
pub struct CreateLeadInput {
    /// The profession wanted (a role key such as `photographer`).
    pub profession_key: String,
    /// What you need (no contact details: professionals unlock those).
    pub title: String,
    /// The details.
    pub description: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// The budget, in paise.
    pub budget_inr: Option<i64>,
    /// When it is needed.
    pub required_date: Option<NaiveDate>,
}

/// The posted or changed lead.
#[derive(SimpleObject)]
pub struct LeadPayload {
    /// The lead as it now stands.
    pub lead: Lead,
}

/// Which lead to unlock.
#[derive(InputObject)]
pub struct UnlockLeadContactInput {
    /// The lead.
    pub lead_id: ID,
    /// Retries with the same key are answered without paying again.
    pub idempotency_key: String,
}

/// The unlocked lead.
#[derive(SimpleObject)]
pub struct UnlockLeadContactPayload {
    /// The lead, with its contact details.
    pub lead: Lead,
    /// It had been unlocked before: nothing was paid now.
    pub replayed: bool,
}

/// A request for a lead.
#[derive(InputObject)]
pub struct RequestLeadInput {
    /// The lead.
    pub lead_id: ID,
    /// A note to the customer (no contact details).
    pub remarks: Option<String>,
}

/// The poster's answer to a lead request.
#[derive(InputObject)]
pub struct RespondToLeadRequestInput {
    /// The request.
    pub id: ID,
    /// true to accept, false to decline.
    pub accept: bool,
    /// A note to the professional (no contact details).
    pub remarks: Option<String>,
}

/// The lead request as it now stands.
#[derive(SimpleObject)]
pub struct LeadRequestPayload {
    /// The request.
    pub request: LeadRequest,
}

async fn one_request(ctx: &Context<'_>, row: RequestRow) -> Result<LeadRequest> {
    let db = &app(ctx)?.db.primary;
    assemble(db, viewer(ctx), vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("lead request".into()).into())
}

/// Lead mutations.
#[derive(Default)]
pub struct LeadMutation;

/// Lead mutations.
#[Object]
impl LeadMutation {
    /// Posts a lead; moderators approve it before professionals see it.
    async fn create_lead(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lead.")] input: CreateLeadInput,
    ) -> Result<LeadPayload> {
        let row = leads::create(
            app(ctx)?,
            viewer(ctx),
            NewLead {
                profession_key: input.profession_key,
                title: input.title,
                description: input.description,
                location: input.location,
                budget_inr: input.budget_inr,
                required_date: input.required_date,
            },
        )
        .await?;
        Ok(LeadPayload { lead: Lead(row) })
    }

    /// Pays tracecoins (once per lead, however often asked) to see a lead's
    /// contact details; needs an approved profile of its profession.
    async fn unlock_lead_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which lead.")] input: UnlockLeadContactInput,
    ) -> Result<UnlockLeadContactPayload> {
        let lead_id = parse_id(&input.lead_id, "leadId")?;
        let u = unlock::unlock(app(ctx)?, viewer(ctx), lead_id, &input.idempotency_key).await?;
        Ok(UnlockLeadContactPayload {
            lead: Lead(u.lead),
            replayed: u.replayed,
        })
    }

    /// Offers to take an OPEN lead (once per lead); its poster is told.
    async fn request_lead(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which lead, and a note.")] input: RequestLeadInput,
    ) -> Result<LeadRequestPayload> {
        let lead_id = parse_id(&input.lead_id, "leadId")?;
        let row = lead_requests::request(app(ctx)?, viewer(ctx), lead_id, input.remarks.as_deref()).await?;
        Ok(LeadRequestPayload {
            request: one_request(ctx, row).await?,
        })
    }

    /// Accepts or declines a request for your lead; the professional is told.
    async fn respond_to_lead_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request and the answer.")] input: RespondToLeadRequestInput,
    ) -> Result<LeadRequestPayload> {
        let id = parse_id(&input.id, "id")?;
        let row = lead_requests::respond(app(ctx)?, viewer(ctx), id, input.accept, input.remarks.as_deref()).await?;
        Ok(LeadRequestPayload {
            request: one_request(ctx, row).await?,
        })
    }

    /// Closes your OPEN lead (or any, for moderators).
    async fn close_lead(&self, ctx: &Context<'_>, #[graphql(desc = "The lead's id.")] id: ID) -> Result<LeadPayload> {
        let id = parse_id(&id, "id")?;
        let row = leads::close(app(ctx)?, viewer(ctx), id).await?;
        Ok(LeadPayload { lead: Lead(row) })
    }
}

/// Lead subscriptions.
#[derive(Default)]
pub struct LeadSubscription;

/// Whether the subscriber should hear of the lead that opened.
async fn opened_for(app: &Ctx, v: &Viewer, event: &crate::infra::events::Event) -> Delivery<LeadRow> {
    let Some(opened) = event.decode::<Opened>() else {
        return Delivery::Skip;
    };
    let Some(me) = v.user_id else {
        return Delivery::Skip;
    };
    match identity::credentials_valid(&app.db.primary, v).await {
        Ok(true) => {}
        Ok(false) => return Delivery::End(AppError::Unauthenticated("the session has ended".into())),
        Err(e) => return Delivery::End(e),
    }
    match profiles::live_of(&app.db.primary, me, &opened.profession_key).await {
        Ok(Some(_)) => {}
        Ok(None) => return Delivery::Skip,
        Err(e) => return Delivery::End(e),
    }
    match leads::visible(&app.db.primary, v, opened.lead_id).await {
        Ok(Some(l)) if l.created_by_user_id != me => Delivery::Deliver(l),
        Ok(_) => Delivery::Skip,
        Err(e) => Delivery::End(e),
    }
}

#[Subscription]
impl LeadSubscription {
    /// Leads as moderators open them, in the professions you have an
    /// approved profile in (contact details stay hidden until unlocked).
    async fn lead_published(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Lead>> + use<>> {
        let app: Ctx = ctx
            .data::<Ctx>()
            .cloned()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no context")))?;
        let v = viewer(ctx).clone();
        v.require_self_service(MARKETPLACE_USE)?;
        let stream = deliveries(app, v, leads::OPENED_TOPIC, |app, v, event| async move {
            opened_for(&app, &v, &event).await
        });
        Ok(stream.map(|item| item.map(Lead)))
    }
}
