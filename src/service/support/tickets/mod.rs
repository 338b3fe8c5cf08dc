//! Tickets, split along their seams: how they come in ([`intake`]: opened
//! by customers or agents, inbound from channels), how they are read
//! ([`queries`]: lookups, the list, bulk reads for loaders) and how they
//! change ([`workflow`]: status, assignment, tags, transfers, edits).
//! Everything public is re-exported here, so callers say `tickets::create`.

pub mod intake;
pub mod queries;
pub mod system;
pub mod workflow;

pub use intake::{create, create_in, ingest, ingest_in, CreateTicket, Inbound, RelatedEntityType};
pub use queries::{
    assignees_of_many, count, cursor_of, get, get_in, list, list_in, of_many, tag_count, tags_of_many, tags_page,
    users_for_display, ListRelations, ListedTicket, TicketCursor, TicketFilter, TicketPage, TicketSort,
};
pub use workflow::{
    assign, assign_in, set_status, set_status_in, tag, tag_in, transfer, transfer_in, update, update_in, UpdateTicket,
};
