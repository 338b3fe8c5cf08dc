//! The `Professional` interface and its ten types, one per profession.
//! Every type carries the common fields and its profession's own, read
//! from the extension row the profile query already fetched as JSON (one
//! statement for any page); services and portfolios come batched.

use async_graphql::{Context, Interface, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{ApprovalStatus, DeveloperAvailability, ProfileStatus, VerificationStatus};
use rust_decimal::prelude::ToPrimitive;
use sea_orm::ActiveEnum;

use super::catalog::{self, PortfolioImage, PortfolioItem, Service};
use crate::error::AppError;
use crate::graphql::context::viewer;
use crate::graphql::convert::id;
use crate::graphql::loaders::loaders;
use crate::graphql::pagination::NodeSelection;
use crate::service::marketplace::perms::PROFILES_MANAGE;
use crate::service::marketplace::profiles::{utc, ProfileRow};

fn parse<E: ActiveEnum<Value = String>>(v: &str) -> Result<E> {
    E::try_from_value(&v.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad stored value {v:?}: {e}")).into())
}

fn list(p: &ProfileRow, col: &str) -> Vec<String> {
    p.field(col)
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn flag(p: &ProfileRow, col: &str) -> bool {
    p.field(col).as_bool().unwrap_or(false)
}

fn count(p: &ProfileRow, col: &str) -> Option<i32> {
    p.field(col).as_i64().and_then(|v| i32::try_from(v).ok())
}

fn paise(p: &ProfileRow, col: &str) -> Option<i64> {
    p.field(col).as_i64()
}

fn text(p: &ProfileRow, col: &str) -> Option<String> {
    p.field(col).as_str().map(str::to_string)
}

fn availability(p: &ProfileRow, col: &str) -> Option<DeveloperAvailability> {
    p.field(col)
        .as_str()
        .and_then(|v| DeveloperAvailability::try_from_value(&v.to_string()).ok())
}

/// Whether services that are switched off are shown: to the owner and
/// moderators only.
fn sees_everything(ctx: &Context<'_>, p: &ProfileRow) -> bool {
    let v = viewer(ctx);
    v.user_id == Some(p.user_id) || v.can(PROFILES_MANAGE)
}

macro_rules! kind_ty {
    (List) => { Vec<String> };
    (Bool) => { bool };
    (Count) => { Option<i32> };
    (Paise) => { Option<i64> };
    (Text) => { Option<String> };
    (Availability) => { Option<DeveloperAvailability> };
}

macro_rules! kind_get {
    (List, $p:expr, $c:expr) => {
        list($p, $c)
    };
    (Bool, $p:expr, $c:expr) => {
        flag($p, $c)
    };
    (Count, $p:expr, $c:expr) => {
        count($p, $c)
    };
    (Paise, $p:expr, $c:expr) => {
        paise($p, $c)
    };
    (Text, $p:expr, $c:expr) => {
        text($p, $c)
    };
    (Availability, $p:expr, $c:expr) => {
        availability($p, $c)
    };
}

macro_rules! professional {
    ($ty:ident, $doc:literal, { $( $desc:literal $field:ident : $kind:ident ),* $(,)? }) => {
        #[doc = $doc]
        pub struct $ty(pub ProfileRow);

        #[doc = $doc]
        #[Object]
        impl $ty {
            /// Stable identifier of the profile.
            async fn id(&self) -> ID {
                id(self.0.id)
            }
            /// The profession (a role key such as `photographer`).
            async fn role_key(&self) -> String {
                self.0.role_key.clone()
            }
            /// The name shown to customers.
            async fn display_name(&self) -> String {
                self.0.display_name.clone()
            }
            /// About the professional (never contact details).
            async fn bio(&self) -> Option<String> {
                self.0.bio.clone()
            }
            /// Where they work.
            async fn location(&self) -> Option<String> {
                self.0.location.clone()
            }
            /// Average of the published reviews (0 without any), two places.
            async fn rating(&self) -> f64 {
                self.0.rating.to_f64().unwrap_or(0.0)
            }
            /// How many reviews are published.
            async fn review_count(&self) -> i32 {
                self.0.review_count
            }
            /// Whether a verification request confirmed who they are.
            async fn verification_status(&self) -> Result<VerificationStatus> {
                parse(&self.0.verification_status)
            }
            /// DRAFT until approved, then ACTIVE (or SUSPENDED by moderators).
            async fn status(&self) -> Result<ProfileStatus> {
                parse(&self.0.status)
            }
            /// The moderators' decision on the profile.
            async fn approval_status(&self) -> Result<ApprovalStatus> {
                parse(&self.0.approval_status)
            }
            /// Why the profile was rejected (to its owner and moderators).
            async fn rejection_reason(&self, ctx: &Context<'_>) -> Option<String> {
                sees_everything(ctx, &self.0).then(|| self.0.rejection_reason.clone()).flatten()
            }
            /// Whether the owner lists the profile in search.
            async fn is_profile_public(&self) -> bool {
                self.0.is_profile_public
            }
            /// Search tags (lower case).
            async fn tags(&self) -> Vec<String> {
                self.0.tags.clone()
            }
            /// The lowest price of an active service, in paise.
            async fn price_from_inr(&self) -> Option<i64> {
                self.0.price_from_inr
            }
            /// When it was approved.
            async fn approved_at(&self) -> Option<DateTime<Utc>> {
                self.0.approved_at.map(utc)
            }
            /// When it was created.
            async fn created_at(&self) -> DateTime<Utc> {
                utc(self.0.created_at)
            }
            /// When it last changed.
            async fn updated_at(&self) -> DateTime<Utc> {
                utc(self.0.updated_at)
            }
            /// Services offered, cheapest first (the owner and moderators
            /// also see the switched-off ones).
            async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>> {
                catalog::services_of(ctx, self.0.id, sees_everything(ctx, &self.0)).await
            }
            /// Portfolio items in display order.
            async fn portfolio(&self, ctx: &Context<'_>) -> Result<Vec<PortfolioItem>> {
                catalog::portfolio_of(ctx, self.0.id).await
            }
            /// The first image of the first portfolio item.
            async fn cover_image(&self, ctx: &Context<'_>) -> Result<Option<PortfolioImage>> {
                catalog::cover_image_of(ctx, self.0.id).await
            }
            $(
                #[doc = $desc]
                async fn $field(&self) -> kind_ty!($kind) {
                    kind_get!($kind, &self.0, stringify!($field))
                }
            )*
        }
    };
}

professional!(PhotographerProfile, "A photographer's profile.", {
    "Kinds of shoot (weddings, portraits, ...)." specialties: List,
    "Camera brands used." camera_brands: List,
    "Whether they have a studio." studio_available: Bool,
    "Whether they shoot outdoors." outdoor_shoots: Bool,
    "How far they travel, in kilometres." travel_radius_km: Count,
    "Starting price, in paise." starting_price_inr: Paise,
});
professional!(TutorProfile, "A tutor's profile.", {
    "Subjects taught." subjects: List,
    "Boards taught for (CBSE, ICSE, ...)." board_types: List,
    "Highest qualification." qualification: Text,
    "Whether they teach online." teaches_online: Bool,
    "Whether they teach in person." teaches_offline: Bool,
    "Years of experience." experience_years: Count,
    "Hourly rate, in paise." hourly_rate_inr: Paise,
});
professional!(MakeupArtistProfile, "A makeup artist's profile.", {
    "Specializations (bridal, editorial, ...)." specializations: List,
    "Kit brands used." kit_brands: List,
    "Whether they come to the client." home_service: Bool,
    "Whether they have a studio." studio_available: Bool,
    "Starting price, in paise." starting_price_inr: Paise,
});
professional!(DeveloperProfile, "A software developer's profile.", {
    "Languages and frameworks." tech_stack: List,
    "Years of experience." experience_years: Count,
    "How they are available for work." availability: Availability,
    "Hourly rate, in paise." hourly_rate_inr: Paise,
    "Whether they work remotely." remote_ok: Bool,
});
professional!(VideoEditorProfile, "A video editor's profile.", {
    "Editing software used." software_skills: List,
    "Styles (documentary, reels, ...)." style_tags: List,
    "Usual turnaround, in days." turnaround_days: Count,
    "Starting price, in paise." starting_price_inr: Paise,
});
professional!(GraphicDesignerProfile, "A graphic designer's profile.", {
    "Design tools used." design_tools: List,
    "Styles (minimal, retro, ...)." style_tags: List,
    "Whether they have done brand identities." brand_experience: Bool,
    "Starting price, in paise." starting_price_inr: Paise,
});
professional!(SocialMediaManagerProfile, "A social media manager's profile.", {
    "Platforms managed." platforms: List,
    "Industries served." industries: List,
    "Content made (reels, carousels, ...)." content_types: List,
    "Average follower growth achieved, in percent." avg_follower_growth_pct: Count,
    "Starting price, in paise." starting_price_inr: Paise,
});
professional!(FitnessTrainerProfile, "A fitness trainer's profile.", {
    "Disciplines (yoga, strength, ...)." disciplines: List,
    "Certifications held." certifications: List,
    "Whether they train online." online_sessions: Bool,
    "Whether they come to the client." home_visits: Bool,
    "Whether they train at a gym." gym_based: Bool,
    "Rate per session, in paise." per_session_rate_inr: Paise,
});
professional!(CateringServiceProfile, "A catering service's profile.", {
    "The business's name." business_name: Text,
    "Cuisines cooked." cuisine_types: List,
    "Events catered." event_types: List,
    "Fewest guests served." min_guests: Count,
    "Most guests served." max_guests: Count,
    "Whether they bring a setup team." has_setup_team: Bool,
    "Whether they bring serving staff." has_serving_staff: Bool,
    "Price per guest, in paise." price_per_head_inr: Paise,
});
professional!(UgcContentCreatorProfile, "A user-generated-content creator's profile.", {
    "Niches (beauty, tech, ...)." niche_tags: List,
    "Formats made (unboxing, review, ...)." content_formats: List,
    "Platforms published on." platforms: List,
    "Usual turnaround, in days." turnaround_days: Count,
    "Starting price, in paise." starting_price_inr: Paise,
});

/// Someone offering work in one profession; each profession has its own
/// type with its own fields.
// The lint mistakes the repeated `ty = "String"` of the field list for
// duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID", desc = "Stable identifier of the profile."),
    field(
        name = "role_key",
        ty = "String",
        desc = "The profession (a role key such as `photographer`)."
    ),
    field(name = "display_name", ty = "String", desc = "The name shown to customers."),
    field(name = "bio", ty = "Option<String>", desc = "About the professional."),
    field(name = "location", ty = "Option<String>", desc = "Where they work."),
    field(
        name = "rating",
        ty = "f64",
        desc = "Average of the published reviews (0 without any)."
    ),
    field(name = "review_count", ty = "i32", desc = "How many reviews are published."),
    field(
        name = "verification_status",
        ty = "VerificationStatus",
        desc = "Whether a verification request confirmed who they are."
    )
)]
pub enum Professional {
    Photographer(PhotographerProfile),
    Tutor(TutorProfile),
    MakeupArtist(MakeupArtistProfile),
    Developer(DeveloperProfile),
    VideoEditor(VideoEditorProfile),
    GraphicDesigner(GraphicDesignerProfile),
    SocialMediaManager(SocialMediaManagerProfile),
    FitnessTrainer(FitnessTrainerProfile),
    CateringService(CateringServiceProfile),
    UgcContentCreator(UgcContentCreatorProfile),
}

/// Loads, one batch each, what a page of professionals selects below its
/// nodes (services, portfolio items and their images, cover images), so
/// the page costs the same statements at any size: each loader then
/// answers the per-row fields from its cache.
pub async fn prime(ctx: &Context<'_>, rows: &[ProfileRow]) -> Result<()> {
    prime_at(ctx, &NodeSelection::of(ctx), rows).await
}

/// [`prime`] for professionals selected at `node` (nested in another
/// list, such as a lead's requests).
pub async fn prime_at(ctx: &Context<'_>, node: &NodeSelection<'_>, rows: &[ProfileRow]) -> Result<()> {
    if rows.is_empty() || !node.exists() {
        return Ok(());
    }
    let l = &loaders(ctx)?.marketplace;
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    let e = |e: std::sync::Arc<AppError>| e.to_graphql();
    if node.field("services").exists() {
        l.services.load_many(ids.iter().copied()).await.map_err(e)?;
    }
    if node.field("coverImage").exists() {
        l.covers.load_many(ids.iter().copied()).await.map_err(e)?;
    }
    let portfolio = node.field("portfolio");
    if portfolio.exists() {
        let items = l.items.load_many(ids.iter().copied()).await.map_err(e)?;
        if portfolio.field("images").exists() {
            let item_ids: Vec<_> = items.values().flatten().map(|i| i.id).collect();
            l.images.load_many(item_ids).await.map_err(e)?;
        }
    }
    Ok(())
}

impl Professional {
    /// The type of `row`'s profession.
    pub fn from_row(row: ProfileRow) -> Result<Self> {
        Ok(match row.role_key.as_str() {
            "photographer" => Professional::Photographer(PhotographerProfile(row)),
            "tutor" => Professional::Tutor(TutorProfile(row)),
            "makeup_artist" => Professional::MakeupArtist(MakeupArtistProfile(row)),
            "developer" => Professional::Developer(DeveloperProfile(row)),
            "video_editor" => Professional::VideoEditor(VideoEditorProfile(row)),
            "graphic_designer" => Professional::GraphicDesigner(GraphicDesignerProfile(row)),
            "social_media_manager" => Professional::SocialMediaManager(SocialMediaManagerProfile(row)),
            "fitness_trainer" => Professional::FitnessTrainer(FitnessTrainerProfile(row)),
            "catering_service" => Professional::CateringService(CateringServiceProfile(row)),
            "ugc_content_creator" => Professional::UgcContentCreator(UgcContentCreatorProfile(row)),
            other => {
                return Err(AppError::internal(anyhow::anyhow!("profile {} has role {other:?}", row.id)).into());
            }
        })
    }
}
