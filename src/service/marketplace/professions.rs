//! The ten professions and the fields of their extension tables, as data:
//! saving, reading and searching profiles walk this table instead of ten
//! copies of the same code, and the GraphQL types are generated from the
//! same column names.

use std::sync::LazyLock;

/// How a profession field is stored and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `TEXT[]`: short labels (at most [`MAX_LIST`] of [`MAX_LABEL`] chars).
    List,
    /// `BOOLEAN`.
    Bool,
    /// `INTEGER`, zero or more.
    Count,
    /// `BIGINT` paise, zero or more.
    Paise,
    /// `TEXT`, one line.
    Text,
    /// `TEXT` limited to FULL_TIME, PART_TIME or FREELANCE.
    Availability,
}

/// Most labels in one list field.
pub const MAX_LIST: usize = 20;
/// Longest label.
pub const MAX_LABEL: usize = 60;
/// Longest one-line text field.
pub const MAX_TEXT: usize = 200;
/// Largest count (years, guests, kilometres, days, percent).
pub const MAX_COUNT: i64 = 1_000_000;
/// Largest price: ten crore rupees in paise.
pub const MAX_PAISE: i64 = 10_000_000_000;

/// One column of an extension table.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The column (snake case).
    pub column: &'static str,
    /// The GraphQL input and output name (camel case).
    pub name: &'static str,
    pub kind: Kind,
}

/// A profession: its role key, its extension table and that table's fields.
#[derive(Debug)]
pub struct Profession {
    pub key: &'static str,
    /// Shown in messages ("a photographer").
    pub noun: &'static str,
    pub table: &'static str,
    pub fields: &'static [Field],
}

macro_rules! fields {
    ($( $column:literal $name:literal $kind:ident ),* $(,)?) => {
        &[ $( Field { column: $column, name: $name, kind: Kind::$kind } ),* ]
    };
}

/// Every profession, in the catalogue's order.
pub const PROFESSIONS: &[Profession] = &[
    Profession {
        key: "photographer",
        noun: "photographer",
        table: "photographer_profiles",
        fields: fields![
            "specialties" "specialties" List, "camera_brands" "cameraBrands" List,
            "studio_available" "studioAvailable" Bool, "outdoor_shoots" "outdoorShoots" Bool,
            "travel_radius_km" "travelRadiusKm" Count, "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
    Profession {
        key: "tutor",
        noun: "tutor",
        table: "tutor_profiles",
        fields: fields![
            "subjects" "subjects" List, "board_types" "boardTypes" List,
            "qualification" "qualification" Text, "teaches_online" "teachesOnline" Bool,
            "teaches_offline" "teachesOffline" Bool, "experience_years" "experienceYears" Count,
            "hourly_rate_inr" "hourlyRateInr" Paise,
        ],
    },
    Profession {
        key: "makeup_artist",
        noun: "makeup artist",
        table: "makeup_artist_profiles",
        fields: fields![
            "specializations" "specializations" List, "kit_brands" "kitBrands" List,
            "home_service" "homeService" Bool, "studio_available" "studioAvailable" Bool,
            "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
    Profession {
        key: "developer",
        noun: "developer",
        table: "developer_profiles",
        fields: fields![
            "tech_stack" "techStack" List, "experience_years" "experienceYears" Count,
            "availability" "availability" Availability, "hourly_rate_inr" "hourlyRateInr" Paise,
            "remote_ok" "remoteOk" Bool,
        ],
    },
    Profession {
        key: "video_editor",
        noun: "video editor",
        table: "video_editor_profiles",
        fields: fields![
            "software_skills" "softwareSkills" List, "style_tags" "styleTags" List,
            "turnaround_days" "turnaroundDays" Count, "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
    Profession {
        key: "graphic_designer",
        noun: "graphic designer",
        table: "graphic_designer_profiles",
        fields: fields![
            "design_tools" "designTools" List, "style_tags" "styleTags" List,
            "brand_experience" "brandExperience" Bool, "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
    Profession {
        key: "social_media_manager",
        noun: "social media manager",
        table: "social_media_manager_profiles",
        fields: fields![
            "platforms" "platforms" List, "industries" "industries" List,
            "content_types" "contentTypes" List, "avg_follower_growth_pct" "avgFollowerGrowthPct" Count,
            "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
    Profession {
        key: "fitness_trainer",
        noun: "fitness trainer",
        table: "fitness_trainer_profiles",
        fields: fields![
            "disciplines" "disciplines" List, "certifications" "certifications" List,
            "online_sessions" "onlineSessions" Bool, "home_visits" "homeVisits" Bool,
            "gym_based" "gymBased" Bool, "per_session_rate_inr" "perSessionRateInr" Paise,
        ],
    },
    Profession {
        key: "catering_service",
        noun: "catering service",
        table: "catering_service_profiles",
        fields: fields![
            "business_name" "businessName" Text, "cuisine_types" "cuisineTypes" List,
            "event_types" "eventTypes" List, "min_guests" "minGuests" Count, "max_guests" "maxGuests" Count,
            "has_setup_team" "hasSetupTeam" Bool, "has_serving_staff" "hasServingStaff" Bool,
            "price_per_head_inr" "pricePerHeadInr" Paise,
        ],
    },
    Profession {
        key: "ugc_content_creator",
        noun: "UGC content creator",
        table: "ugc_content_creator_profiles",
        fields: fields![
            "niche_tags" "nicheTags" List, "content_formats" "contentFormats" List,
            "platforms" "platforms" List, "turnaround_days" "turnaroundDays" Count,
            "starting_price_inr" "startingPriceInr" Paise,
        ],
    },
];

/// The profession of `key`, if it is one.
pub fn profession(key: &str) -> Option<&'static Profession> {
    PROFESSIONS.iter().find(|p| p.key == key)
}

/// The role keys of every profession, for messages.
pub fn keys() -> String {
    PROFESSIONS.iter().map(|p| p.key).collect::<Vec<_>>().join(", ")
}

impl Profession {
    /// The field named `name` (camel case), if this profession has it.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Every field name any profession has (for telling a wrong-profession
/// field from an unknown one).
pub fn any_field(name: &str) -> bool {
    PROFESSIONS.iter().any(|p| p.field(name).is_some())
}

/// The SQL expression (over `user_role_profiles p`) of a profile's
/// extension row as JSON: one index look-up in its profession's table.
pub static FIELDS_SQL: LazyLock<String> = LazyLock::new(|| {
    let arms: String = PROFESSIONS
        .iter()
        .map(|p| {
            format!(
                " WHEN '{}' THEN (SELECT to_jsonb(e) FROM {} e WHERE e.user_role_profile_id = p.id)",
                p.key, p.table
            )
        })
        .collect();
    format!("CASE p.role_key{arms} END")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profession_is_a_catalogue_role_with_its_own_table() {
        assert_eq!(PROFESSIONS.len(), 10);
        for p in PROFESSIONS {
            assert_eq!(p.table, format!("{}_profiles", p.key));
            assert!(!p.fields.is_empty());
            for f in p.fields {
                let camel: String = f
                    .column
                    .split('_')
                    .enumerate()
                    .map(|(i, w)| {
                        if i == 0 {
                            w.to_string()
                        } else {
                            let mut c = w.chars();
                            c.next()
                                .map(|h| h.to_uppercase().chain(c).collect())
                                .unwrap_or_default()
                        }
                    })
                    .collect();
                assert_eq!(f.name, camel, "{}.{}", p.table, f.column);
            }
        }
        assert!(profession("photographer").is_some());
        assert!(profession("company").is_none());
        assert!(any_field("techStack") && !any_field("reelUrl"));
    }

    #[test]
    fn the_fields_expression_names_every_table_once() {
        for p in PROFESSIONS {
            assert_eq!(FIELDS_SQL.matches(&format!(" {} e ", p.table)).count(), 1);
        }
    }
}
