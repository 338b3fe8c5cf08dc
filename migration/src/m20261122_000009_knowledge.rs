//! Knowledge base (schema.md section 7, columns as in source 001).
//!
//! Tables: `kb_categories`, `kb_sections`, `kb_articles` (generated
//! `search_vector` over title, summary and content_markdown, GIN indexed;
//! GIN index on tags), `kb_article_feedback`.
//!
//! Source tables that land here: the 001 tables of the same names.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- kb_categories (001)
CREATE TABLE kb_categories (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL,
    description   TEXT,
    display_order INTEGER NOT NULL DEFAULT 0,
    is_active     BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT kb_categories_slug_key UNIQUE (slug)
);
CREATE TRIGGER kb_categories_set_updated_at BEFORE UPDATE ON kb_categories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- kb_sections (001); slugs are unique within their category
CREATE TABLE kb_sections (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id   UUID NOT NULL,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL,
    description   TEXT,
    display_order INTEGER NOT NULL DEFAULT 0,
    is_active     BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT kb_sections_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES kb_categories (id) ON DELETE CASCADE,
    CONSTRAINT kb_sections_category_id_slug_key UNIQUE (category_id, slug)
);
CREATE TRIGGER kb_sections_set_updated_at BEFORE UPDATE ON kb_sections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- kb_articles (001; PENDING_REVIEW and ARCHIVED added for the KB_ARTICLE approval flow)
CREATE TABLE kb_articles (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id         UUID NOT NULL,
    section_id          UUID,
    title               TEXT NOT NULL,
    slug                TEXT NOT NULL,
    summary             TEXT,
    content_markdown    TEXT NOT NULL DEFAULT '',
    article_type        TEXT NOT NULL DEFAULT 'HOW_TO',
    status              TEXT NOT NULL DEFAULT 'DRAFT',
    audience_type       TEXT NOT NULL DEFAULT 'ALL',
    tags                TEXT[] NOT NULL DEFAULT '{}',
    author_user_id      UUID,
    reviewed_by_user_id UUID,
    published_at        TIMESTAMPTZ,
    search_vector       TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(summary, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(content_markdown, '')), 'C')
    ) STORED,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT kb_articles_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES kb_categories (id) ON DELETE RESTRICT,
    CONSTRAINT kb_articles_section_id_fkey FOREIGN KEY (section_id)
        REFERENCES kb_sections (id) ON DELETE SET NULL,
    CONSTRAINT kb_articles_author_user_id_fkey FOREIGN KEY (author_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT kb_articles_reviewed_by_user_id_fkey FOREIGN KEY (reviewed_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT kb_articles_slug_key UNIQUE (slug),
    CONSTRAINT kb_articles_article_type_check
        CHECK (article_type IN ('HOW_TO', 'TROUBLESHOOTING', 'FAQ', 'FEATURE', 'POLICY')),
    CONSTRAINT kb_articles_status_check
        CHECK (status IN ('DRAFT', 'PENDING_REVIEW', 'PUBLISHED', 'ARCHIVED')),
    CONSTRAINT kb_articles_audience_type_check CHECK (audience_type IN ('INTERNAL', 'EXTERNAL', 'ALL'))
);
CREATE INDEX kb_articles_category_id_idx ON kb_articles (category_id);
CREATE INDEX kb_articles_section_id_idx ON kb_articles (section_id);
CREATE INDEX kb_articles_author_user_id_idx ON kb_articles (author_user_id);
CREATE INDEX kb_articles_reviewed_by_user_id_idx ON kb_articles (reviewed_by_user_id);
CREATE INDEX kb_articles_status_published_at_idx ON kb_articles (status, published_at DESC);
CREATE INDEX kb_articles_tags_idx ON kb_articles USING GIN (tags);
CREATE INDEX kb_articles_search_vector_idx ON kb_articles USING GIN (search_vector);
CREATE TRIGGER kb_articles_set_updated_at BEFORE UPDATE ON kb_articles
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- kb_article_feedback (001); user_id NULL is anonymous feedback; a user may change their vote
CREATE TABLE kb_article_feedback (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    article_id    UUID NOT NULL,
    user_id       UUID,
    is_helpful    BOOLEAN NOT NULL,
    feedback_text TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT kb_article_feedback_article_id_fkey FOREIGN KEY (article_id)
        REFERENCES kb_articles (id) ON DELETE CASCADE,
    CONSTRAINT kb_article_feedback_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT kb_article_feedback_article_id_user_id_key UNIQUE (article_id, user_id)
);
CREATE INDEX kb_article_feedback_user_id_idx ON kb_article_feedback (user_id);
CREATE TRIGGER kb_article_feedback_set_updated_at BEFORE UPDATE ON kb_article_feedback
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
"#;

const DOWN: &str = r#"
DROP TABLE kb_article_feedback;
DROP TABLE kb_articles;
DROP TABLE kb_sections;
DROP TABLE kb_categories;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
