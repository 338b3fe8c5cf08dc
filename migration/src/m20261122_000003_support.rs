//! Support desk (schema.md section 2).
//!
//! Tables: `clients`, `client_external_ids`, `support_tickets` (numbered
//! from the sequence `support_ticket_number_seq`, full-text `search_vector`),
//! `support_ticket_messages` (full-text `search_vector`), `tags`,
//! `ticket_tags`, `ticket_assignments`.
//!
//! Source tables that land here: 000 support_tickets (assigned_to becomes a
//! ticket_assignments row), 000 ticket_messages (message becomes body,
//! sender_id becomes sender_user_id; is_admin is derived from the sender's
//! roles); 001 support_tickets (assigned_to_user_id becomes a
//! ticket_assignments row), 001 support_ticket_messages (message_body
//! becomes body, attachment_url an entry of attachments); 003 tickets (title
//! becomes subject), messages (user_id/client_id become
//! sender_user_id/sender_client_id, is_system_message becomes is_system),
//! clients (name becomes display_name), client_external_ids (type becomes
//! kind), tags, ticket_tags, ticket_assignments.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- clients (003)
CREATE TABLE clients (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name TEXT NOT NULL,
    user_id      UUID,
    data         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT clients_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT clients_user_id_key UNIQUE (user_id)
);
CREATE TRIGGER clients_set_updated_at BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- client_external_ids (003)
CREATE TABLE client_external_ids (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id  UUID NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT client_external_ids_client_id_fkey FOREIGN KEY (client_id)
        REFERENCES clients (id) ON DELETE CASCADE,
    CONSTRAINT client_external_ids_kind_value_key UNIQUE (kind, value),
    CONSTRAINT client_external_ids_kind_check
        CHECK (kind IN ('EMAIL', 'PHONE', 'WHATSAPP', 'SLACK', 'TELEGRAM', 'OTHER'))
);
CREATE INDEX client_external_ids_client_id_idx ON client_external_ids (client_id);

-- support_tickets (000 support_tickets, 001 support_tickets, 003 tickets)
CREATE SEQUENCE support_ticket_number_seq AS BIGINT START WITH 1000 MINVALUE 1000;

CREATE TABLE support_tickets (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    number              BIGINT NOT NULL DEFAULT nextval('support_ticket_number_seq'),
    subject             TEXT NOT NULL,
    description         TEXT NOT NULL,
    client_id           UUID,
    created_by_user_id  UUID,
    department_id       UUID,
    category            TEXT NOT NULL DEFAULT 'GENERAL',
    priority            TEXT NOT NULL DEFAULT 'NORMAL',
    status              TEXT NOT NULL DEFAULT 'OPEN',
    custom_fields       JSONB NOT NULL DEFAULT '{}'::jsonb,
    attachments         JSONB NOT NULL DEFAULT '[]'::jsonb,
    related_entity_type TEXT,
    related_entity_id   UUID,
    first_response_at   TIMESTAMPTZ,
    resolved_at         TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ,
    search_vector       TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, ''))
    ) STORED,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT support_tickets_client_id_fkey FOREIGN KEY (client_id)
        REFERENCES clients (id) ON DELETE SET NULL,
    CONSTRAINT support_tickets_created_by_user_id_fkey FOREIGN KEY (created_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT support_tickets_department_id_fkey FOREIGN KEY (department_id)
        REFERENCES departments (id) ON DELETE SET NULL,
    CONSTRAINT support_tickets_number_key UNIQUE (number),
    CONSTRAINT support_tickets_category_check
        CHECK (category IN ('GENERAL', 'BILLING', 'TECHNICAL', 'ACCOUNT')),
    CONSTRAINT support_tickets_priority_check
        CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
    CONSTRAINT support_tickets_status_check
        CHECK (status IN ('OPEN', 'IN_PROGRESS', 'WAITING_FOR_CUSTOMER', 'WAITING_FOR_AGENT',
                          'RESOLVED', 'CLOSED', 'UNRESOLVED')),
    CONSTRAINT support_tickets_related_entity_check
        CHECK ((related_entity_type IS NULL) = (related_entity_id IS NULL))
);
ALTER SEQUENCE support_ticket_number_seq OWNED BY support_tickets.number;
CREATE INDEX support_tickets_client_id_idx ON support_tickets (client_id);
CREATE INDEX support_tickets_created_by_user_id_idx ON support_tickets (created_by_user_id);
CREATE INDEX support_tickets_department_id_idx ON support_tickets (department_id);
CREATE INDEX support_tickets_status_idx ON support_tickets (status);
CREATE INDEX support_tickets_created_at_id_idx ON support_tickets (created_at DESC, id DESC);
CREATE INDEX support_tickets_updated_at_id_idx ON support_tickets (updated_at DESC, id DESC);
CREATE INDEX support_tickets_related_entity_idx ON support_tickets (related_entity_type, related_entity_id);
CREATE INDEX support_tickets_search_vector_idx ON support_tickets USING GIN (search_vector);
CREATE TRIGGER support_tickets_set_updated_at BEFORE UPDATE ON support_tickets
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- support_ticket_messages (000 ticket_messages, 001 support_ticket_messages, 003 messages)
-- Senders are RESTRICT, not SET NULL: nulling the only sender would break
-- the sender check, and the conversation is history.
CREATE TABLE support_ticket_messages (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id        UUID NOT NULL,
    sender_user_id   UUID,
    sender_client_id UUID,
    body             TEXT NOT NULL,
    attachments      JSONB NOT NULL DEFAULT '[]'::jsonb,
    is_internal      BOOLEAN NOT NULL DEFAULT false,
    is_system        BOOLEAN NOT NULL DEFAULT false,
    search_vector    TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', coalesce(body, ''))) STORED,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT support_ticket_messages_ticket_id_fkey FOREIGN KEY (ticket_id)
        REFERENCES support_tickets (id) ON DELETE CASCADE,
    CONSTRAINT support_ticket_messages_sender_user_id_fkey FOREIGN KEY (sender_user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT support_ticket_messages_sender_client_id_fkey FOREIGN KEY (sender_client_id)
        REFERENCES clients (id) ON DELETE RESTRICT,
    CONSTRAINT support_ticket_messages_sender_check
        CHECK (sender_user_id IS NOT NULL OR sender_client_id IS NOT NULL OR is_system),
    CONSTRAINT support_ticket_messages_internal_check
        CHECK (NOT is_internal OR sender_client_id IS NULL)
);
CREATE INDEX support_ticket_messages_ticket_id_created_at_id_idx
    ON support_ticket_messages (ticket_id, created_at, id);
CREATE INDEX support_ticket_messages_sender_user_id_idx ON support_ticket_messages (sender_user_id);
CREATE INDEX support_ticket_messages_sender_client_id_idx ON support_ticket_messages (sender_client_id);
CREATE INDEX support_ticket_messages_search_vector_idx
    ON support_ticket_messages USING GIN (search_vector);

-- tags (003)
CREATE TABLE tags (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT tags_name_key UNIQUE (name)
);

-- ticket_tags (003)
CREATE TABLE ticket_tags (
    ticket_id  UUID NOT NULL,
    tag_id     UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_tags_pkey PRIMARY KEY (ticket_id, tag_id),
    CONSTRAINT ticket_tags_ticket_id_fkey FOREIGN KEY (ticket_id)
        REFERENCES support_tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_tags_tag_id_fkey FOREIGN KEY (tag_id)
        REFERENCES tags (id) ON DELETE CASCADE
);
CREATE INDEX ticket_tags_tag_id_idx ON ticket_tags (tag_id);

-- ticket_assignments (003; 000 assigned_to and 001 assigned_to_user_id)
CREATE TABLE ticket_assignments (
    ticket_id           UUID NOT NULL,
    user_id             UUID NOT NULL,
    assigned_by_user_id UUID,
    assigned_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_assignments_pkey PRIMARY KEY (ticket_id, user_id),
    CONSTRAINT ticket_assignments_ticket_id_fkey FOREIGN KEY (ticket_id)
        REFERENCES support_tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_assignments_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ticket_assignments_assigned_by_user_id_fkey FOREIGN KEY (assigned_by_user_id)
        REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ticket_assignments_user_id_idx ON ticket_assignments (user_id);
CREATE INDEX ticket_assignments_assigned_by_user_id_idx ON ticket_assignments (assigned_by_user_id);
"#;

const DOWN: &str = r#"
DROP TABLE ticket_assignments;
DROP TABLE ticket_tags;
DROP TABLE tags;
DROP TABLE support_ticket_messages;
DROP TABLE support_tickets;
DROP SEQUENCE IF EXISTS support_ticket_number_seq;
DROP TABLE client_external_ids;
DROP TABLE clients;
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
