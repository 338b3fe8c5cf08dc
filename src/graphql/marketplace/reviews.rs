//! Reviews over GraphQL: submitting (after doing business), moderating,
//! and listing (published ones for everyone).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ReviewEntityType, ReviewStatus};
use sea_orm::ActiveEnum;

use crate::error::AppError;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::{id, parse_id, parse_opt_id};
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::marketplace::profiles::utc;
use crate::service::marketplace::reviews::{self, Filter, NewReview, ReviewRow};

/// Who wrote a review.
#[derive(SimpleObject)]
pub struct Reviewer {
    /// The reviewer's user id.
    pub id: ID,
    /// The reviewer's display name.
    pub display_name: String,
}

/// A rating with text about a professional or a company.
pub struct Review(pub ReviewRow);

/// A rating with text about a professional or a company.
#[Object]
impl Review {
    /// Stable identifier.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What is reviewed.
    async fn entity_type(&self) -> Result<ReviewEntityType> {
        Ok(ReviewEntityType::try_from_value(&self.0.entity_type)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad review entity type: {e}")))?)
    }
    /// The reviewed profile's id.
    async fn entity_id(&self) -> ID {
        id(self.0.entity_id)
    }
    /// 1 to 5.
    async fn rating(&self) -> i32 {
        i32::from(self.0.rating)
    }
    /// What the reviewer wrote.
    async fn text(&self) -> Option<&str> {
        self.0.review_text.as_deref()
    }
    /// PENDING until a moderator publishes or hides it.
    async fn status(&self) -> Result<ReviewStatus> {
        Ok(ReviewStatus::try_from_value(&self.0.status)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad review status: {e}")))?)
    }
    /// Who wrote it.
    async fn reviewer(&self) -> Reviewer {
        Reviewer {
            id: id(self.0.reviewer_user_id),
            display_name: self.0.reviewer_name.clone(),
        }
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        utc(self.0.created_at)
    }
}

/// Which reviews to list.
#[derive(InputObject, Default)]
pub struct ReviewFilter {
    /// Only reviews of this kind of entity.
    pub entity_type: Option<ReviewEntityType>,
    /// Only reviews of this profile.
    pub entity_id: Option<ID>,
    /// Only reviews in this state (moderators see every state).
    pub status: Option<ReviewStatus>,
}

/// `totalCount` of a review list, counted only when asked for.
pub struct ReviewCount(Filter);

/// `totalCount` of a review list, counted only when asked for.
#[Object]
impl ReviewCount {
    /// How many reviews match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(reviews::count(&app(ctx)?.db.read, viewer(ctx), &self.0).await? as i64)
    }
}

/// Review queries.
#[derive(Default)]
pub struct ReviewQuery;

/// Review queries.
#[Object]
impl ReviewQuery {
    /// Reviews, newest first: published ones for everyone, your own in any
    /// state, every one for moderators.
    #[allow(clippy::too_many_arguments)]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which reviews to list.")] filter: Option<ReviewFilter>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only reviews after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only reviews before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, Review, ReviewCount, EmptyFields>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            entity_type: f.entity_type,
            entity_id: parse_opt_id(f.entity_id.as_ref(), "filter.entityId")?,
            status: f.status,
        };
        let page = Page::<reviews::Cursor>::from_args(first, after, last, before)?;
        let paged = reviews::page(&app(ctx)?.db.read, viewer(ctx), &filter, &page).await?;
        let mut conn = Connection::with_additional_fields(paged.has_previous, paged.has_next, ReviewCount(filter));
        for row in paged.rows {
            conn.edges
                .push(Edge::new(encode_cursor(&reviews::cursor(&row)), Review(row)));
        }
        Ok(conn)
    }
}

/// A review to write.
#[derive(InputObject)]
pub struct SubmitReviewInput {
    /// What you review.
    pub entity_type: ReviewEntityType,
    /// The professional's or company's profile id.
    pub entity_id: ID,
    /// 1 to 5.
    pub rating: i32,
    /// What you want to say (no contact details).
    pub text: Option<String>,
}

/// A moderator's decision on a review.
#[derive(InputObject)]
pub struct ModerateReviewInput {
    /// The review.
    pub id: ID,
    /// PUBLISHED or HIDDEN.
    pub status: ReviewStatus,
}

/// The review as it now stands.
#[derive(SimpleObject)]
pub struct ReviewPayload {
    /// The review.
    pub review: Review,
}

/// Review mutations.
#[derive(Default)]
pub struct ReviewMutation;

/// Review mutations.
#[Object]
impl ReviewMutation {
    /// Reviews a professional (after they took your lead) or a company
    /// (after it made you an offer); moderators publish it.
    async fn submit_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] input: SubmitReviewInput,
    ) -> Result<ReviewPayload> {
        let row = reviews::submit(
            app(ctx)?,
            viewer(ctx),
            NewReview {
                entity_type: input.entity_type,
                entity_id: parse_id(&input.entity_id, "entityId")?,
                rating: input.rating,
                text: input.text,
            },
        )
        .await?;
        Ok(ReviewPayload { review: Review(row) })
    }

    /// Publishes or hides a review (`marketplace.reviews.moderate`); the
    /// reviewed profile's rating follows.
    async fn moderate_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review and the decision.")] input: ModerateReviewInput,
    ) -> Result<ReviewPayload> {
        let id = parse_id(&input.id, "id")?;
        let row = reviews::moderate(app(ctx)?, viewer(ctx), id, input.status).await?;
        Ok(ReviewPayload { review: Review(row) })
    }
}
