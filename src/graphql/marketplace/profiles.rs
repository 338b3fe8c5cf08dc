//! Professionals over GraphQL: search, one profile, your own, saving and
//! submitting them.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use entity::enums::DeveloperAvailability;
use sea_orm::ActiveEnum;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::professional::Professional;
use crate::graphql::approval::ApprovalRequest;
use crate::graphql::context::{app, viewer};
use crate::graphql::convert::parse_id;
use crate::graphql::pagination::{encode_cursor, Page};
use crate::service::marketplace::profiles::{self, SaveProfile};
use crate::service::marketplace::search::{self, Cursor, Filter, Order};

/// Which professionals to list (all conditions must hold).
#[derive(InputObject, Default)]
pub struct ProfessionalFilter {
    /// Only this profession (a role key such as `photographer`).
    pub role_key: Option<String>,
    /// Location containing this text (any case).
    pub location: Option<String>,
    /// Profiles carrying every one of these tags.
    pub tags: Option<Vec<String>>,
    /// Lowest "from" price, in paise.
    pub min_price_inr: Option<i64>,
    /// Highest "from" price, in paise.
    pub max_price_inr: Option<i64>,
    /// Only verified professionals.
    pub verified_only: Option<bool>,
    /// Words to find in the name, tags, location and bio.
    pub search: Option<String>,
}

/// The order of a professional list.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProfessionalOrder {
    /// Best match for `search` first (highest rated without search text).
    #[default]
    Relevance,
    /// Cheapest "from" price first; profiles without a price last.
    PriceLowToHigh,
    /// Highest rating first, then most reviews.
    Rating,
    /// Newest profiles first.
    Newest,
}

impl From<ProfessionalOrder> for Order {
    fn from(o: ProfessionalOrder) -> Self {
        match o {
            ProfessionalOrder::Relevance => Order::Relevance,
            ProfessionalOrder::PriceLowToHigh => Order::Price,
            ProfessionalOrder::Rating => Order::Rating,
            ProfessionalOrder::Newest => Order::Newest,
        }
    }
}

/// `totalCount` of a professional list, counted only when asked for.
pub struct ProfessionalCount(Filter);

/// `totalCount` of a professional list, counted only when asked for.
#[Object]
impl ProfessionalCount {
    /// How many professionals match the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(search::count(&app(ctx)?.db.read, &self.0).await? as i64)
    }
}

/// Professional queries.
#[derive(Default)]
pub struct ProfileQuery;

/// Professional queries.
#[Object]
impl ProfileQuery {
    /// Public professionals (ACTIVE, APPROVED and listed by their owner),
    /// for anyone, signed in or not.
    #[allow(clippy::too_many_arguments)]
    async fn professionals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which professionals to list.")] filter: Option<ProfessionalFilter>,
        #[graphql(desc = "The order (RELEVANCE by default).")] order_by: Option<ProfessionalOrder>,
        #[graphql(desc = "How many from the start (after `after`); at most 100.")] first: Option<i32>,
        #[graphql(desc = "Only professionals after this cursor.")] after: Option<String>,
        #[graphql(desc = "How many from the end (before `before`); at most 100.")] last: Option<i32>,
        #[graphql(desc = "Only professionals before this cursor.")] before: Option<String>,
    ) -> Result<Connection<String, Professional, ProfessionalCount, EmptyFields>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            role_key: f.role_key,
            location: f.location,
            tags: f.tags.unwrap_or_default(),
            min_price_inr: f.min_price_inr,
            max_price_inr: f.max_price_inr,
            verified_only: f.verified_only.unwrap_or(false),
            search: f.search,
        }
        .checked()?;
        let order = search::effective(order_by.unwrap_or_default().into(), &filter);
        let page = Page::<Cursor>::from_args(first, after, last, before)?;
        let paged = search::page(&app(ctx)?.db.read, &filter, order, &page).await?;
        super::professional::prime(ctx, &paged.rows).await?;
        let mut conn =
            Connection::with_additional_fields(paged.has_previous, paged.has_next, ProfessionalCount(filter));
        for row in paged.rows {
            let cursor = encode_cursor(&search::cursor(order, &row));
            conn.edges.push(Edge::new(cursor, Professional::from_row(row)?));
        }
        Ok(conn)
    }

    /// One professional: public ones for anyone; the owner and moderators
    /// see any state. Null otherwise.
    async fn professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile's id.")] id: ID,
    ) -> Result<Option<Professional>> {
        let id = parse_id(&id, "id")?;
        match profiles::visible(&app(ctx)?.db.read, viewer(ctx), id).await? {
            Some(row) => Ok(Some(Professional::from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Your own professional profiles, in any state.
    async fn my_professional_profiles(&self, ctx: &Context<'_>) -> Result<Vec<Professional>> {
        profiles::mine(&app(ctx)?.db.primary, viewer(ctx))
            .await?
            .into_iter()
            .map(Professional::from_row)
            .collect()
    }
}

/// A professional profile to create or edit: the common fields and the
/// profession's own. A field of another profession is refused.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveProfessionalProfileInput {
    /// The profession (photographer, tutor, makeup_artist, developer,
    /// video_editor, graphic_designer, social_media_manager,
    /// fitness_trainer, catering_service, ugc_content_creator).
    #[serde(skip)]
    pub role_key: String,
    /// The name shown to customers (no contact details).
    #[serde(skip)]
    pub display_name: String,
    /// About you (no contact details).
    #[serde(skip)]
    pub bio: Option<String>,
    /// Where you work.
    #[serde(skip)]
    pub location: Option<String>,
    /// List the profile in search once approved (unchanged if omitted).
    #[serde(skip)]
    pub is_profile_public: Option<bool>,
    /// Search tags (replaces them when given).
    #[serde(skip)]
    pub tags: Option<Vec<String>>,
    /// Developers: how you are available.
    #[serde(skip)]
    pub availability: Option<DeveloperAvailability>,
    /// Photographers: kinds of shoot.
    pub specialties: Option<Vec<String>>,
    /// Photographers: camera brands.
    pub camera_brands: Option<Vec<String>>,
    /// Photographers, makeup artists: a studio of your own.
    pub studio_available: Option<bool>,
    /// Photographers: outdoor shoots.
    pub outdoor_shoots: Option<bool>,
    /// Photographers: how far you travel, in km.
    pub travel_radius_km: Option<i64>,
    /// Starting price in paise (photographers, makeup artists, video
    /// editors, designers, social media managers, UGC creators).
    pub starting_price_inr: Option<i64>,
    /// Tutors: subjects.
    pub subjects: Option<Vec<String>>,
    /// Tutors: boards.
    pub board_types: Option<Vec<String>>,
    /// Tutors: qualification.
    pub qualification: Option<String>,
    /// Tutors: online lessons.
    pub teaches_online: Option<bool>,
    /// Tutors: in-person lessons.
    pub teaches_offline: Option<bool>,
    /// Tutors, developers: years of experience.
    pub experience_years: Option<i64>,
    /// Tutors, developers: hourly rate in paise.
    pub hourly_rate_inr: Option<i64>,
    /// Makeup artists: specializations.
    pub specializations: Option<Vec<String>>,
    /// Makeup artists: kit brands.
    pub kit_brands: Option<Vec<String>>,
    /// Makeup artists: visits at home.
    pub home_service: Option<bool>,
    /// Developers: languages and frameworks.
    pub tech_stack: Option<Vec<String>>,
    /// Developers: remote work.
    pub remote_ok: Option<bool>,
    /// Video editors: software.
    pub software_skills: Option<Vec<String>>,
    /// Video editors, graphic designers: styles.
    pub style_tags: Option<Vec<String>>,
    /// Video editors, UGC creators: turnaround in days.
    pub turnaround_days: Option<i64>,
    /// Graphic designers: tools.
    pub design_tools: Option<Vec<String>>,
    /// Graphic designers: brand identity experience.
    pub brand_experience: Option<bool>,
    /// Social media managers, UGC creators: platforms.
    pub platforms: Option<Vec<String>>,
    /// Social media managers: industries.
    pub industries: Option<Vec<String>>,
    /// Social media managers: content types.
    pub content_types: Option<Vec<String>>,
    /// Social media managers: average follower growth, percent.
    pub avg_follower_growth_pct: Option<i64>,
    /// Fitness trainers: disciplines.
    pub disciplines: Option<Vec<String>>,
    /// Fitness trainers: certifications.
    pub certifications: Option<Vec<String>>,
    /// Fitness trainers: online sessions.
    pub online_sessions: Option<bool>,
    /// Fitness trainers: home visits.
    pub home_visits: Option<bool>,
    /// Fitness trainers: gym based.
    pub gym_based: Option<bool>,
    /// Fitness trainers: rate per session in paise.
    pub per_session_rate_inr: Option<i64>,
    /// Caterers: business name.
    pub business_name: Option<String>,
    /// Caterers: cuisines.
    pub cuisine_types: Option<Vec<String>>,
    /// Caterers: events.
    pub event_types: Option<Vec<String>>,
    /// Caterers: fewest guests.
    pub min_guests: Option<i64>,
    /// Caterers: most guests.
    pub max_guests: Option<i64>,
    /// Caterers: a setup team.
    pub has_setup_team: Option<bool>,
    /// Caterers: serving staff.
    pub has_serving_staff: Option<bool>,
    /// Caterers: price per guest in paise.
    pub price_per_head_inr: Option<i64>,
    /// UGC creators: niches.
    pub niche_tags: Option<Vec<String>>,
    /// UGC creators: formats.
    pub content_formats: Option<Vec<String>>,
}

impl SaveProfessionalProfileInput {
    fn service(self) -> Result<SaveProfile> {
        let mut fields: Map<String, Json> = match serde_json::to_value(&self) {
            Ok(Json::Object(m)) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => Map::new(),
        };
        if let Some(a) = self.availability {
            fields.insert("availability".into(), Json::String(a.to_value()));
        }
        Ok(SaveProfile {
            role_key: self.role_key,
            display_name: self.display_name,
            bio: self.bio,
            location: self.location,
            is_profile_public: self.is_profile_public,
            tags: self.tags,
            fields,
        })
    }
}

/// The saved or submitted profile.
#[derive(SimpleObject)]
pub struct ProfessionalProfilePayload {
    /// The profile as it now stands (an approved profile keeps its approved
    /// text while an edit is reviewed).
    pub profile: Professional,
    /// The review an edit of an approved profile waits for (its payload is
    /// `{old, new}`); null when the save was written at once.
    pub pending_review: Option<ApprovalRequest>,
}

/// Professional profile mutations.
#[derive(Default)]
pub struct ProfileMutation;

/// Professional profile mutations.
#[Object]
impl ProfileMutation {
    /// Creates (as DRAFT) or edits your profile of one profession. Text with
    /// contact details (links, emails, phone numbers) is refused.
    async fn save_professional_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile.")] input: SaveProfessionalProfileInput,
    ) -> Result<ProfessionalProfilePayload> {
        let saved = profiles::save(app(ctx)?, viewer(ctx), input.service()?).await?;
        let pending_review = match saved.review {
            Some(r) => Some(ApprovalRequest::seen(ctx, r).await?),
            None => None,
        };
        Ok(ProfessionalProfilePayload {
            profile: Professional::from_row(saved.row)?,
            pending_review,
        })
    }

    /// Sends your profile of `roleKey` to the moderators; once approved it
    /// is ACTIVE (and listed when public).
    async fn submit_professional_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profession of the profile to submit.")] role_key: String,
    ) -> Result<ProfessionalProfilePayload> {
        let row = profiles::submit(app(ctx)?, viewer(ctx), &role_key).await?;
        Ok(ProfessionalProfilePayload {
            profile: Professional::from_row(row)?,
            pending_review: None,
        })
    }
}
