//! The ticket status workflow over [`TicketStatus`]: every allowed
//! transition is in this one table, and the side effects of messages on
//! status live beside it. Stored values are parsed once, at the edge of the
//! row ([`of`]); everything here is typed.

use entity::enums::{TicketPriority, TicketStatus};
use entity::support_tickets;
use sea_orm::ActiveEnum;

use crate::error::{AppError, AppResult};

use TicketStatus::*;

/// Every ticket status, in workflow order.
pub const STATUSES: &[TicketStatus] = &[
    Open,
    InProgress,
    WaitingForCustomer,
    WaitingForAgent,
    Resolved,
    Closed,
    Unresolved,
];

/// Allowed transitions (from, to). A closed ticket reopens only to `Open`
/// (staff).
const TRANSITIONS: &[(TicketStatus, &[TicketStatus])] = &[
    (
        Open,
        &[
            InProgress,
            WaitingForCustomer,
            WaitingForAgent,
            Resolved,
            Closed,
            Unresolved,
        ],
    ),
    (
        InProgress,
        &[Open, WaitingForCustomer, WaitingForAgent, Resolved, Closed, Unresolved],
    ),
    (
        WaitingForCustomer,
        &[InProgress, WaitingForAgent, Resolved, Closed, Unresolved],
    ),
    (
        WaitingForAgent,
        &[InProgress, WaitingForCustomer, Resolved, Closed, Unresolved],
    ),
    (Resolved, &[Open, InProgress, WaitingForAgent, Closed]),
    (Unresolved, &[Open, InProgress, WaitingForAgent, Closed]),
    (Closed, &[Open]),
];

/// Whether a ticket may go from `from` to `to`.
pub fn can_transition(from: TicketStatus, to: TicketStatus) -> bool {
    next_statuses(from).contains(&to)
}

/// The statuses reachable from `from`.
pub fn next_statuses(from: TicketStatus) -> &'static [TicketStatus] {
    TRANSITIONS
        .iter()
        .find(|(f, _)| *f == from)
        .map(|(_, tos)| *tos)
        .unwrap_or(&[])
}

/// The status a customer's reply moves a ticket to: a waiting, resolved or
/// unresolved ticket reopens (waits for an agent); an open one stays open.
pub fn after_customer_reply(current: TicketStatus) -> Option<TicketStatus> {
    match current {
        WaitingForCustomer | Resolved | Unresolved | InProgress => Some(WaitingForAgent),
        _ => None,
    }
}

/// The status an agent's public reply moves a ticket to: the customer's
/// turn.
pub fn after_agent_reply(current: TicketStatus) -> Option<TicketStatus> {
    match current {
        Open | InProgress | WaitingForAgent => Some(WaitingForCustomer),
        _ => None,
    }
}

/// A ticket's stored status; a value the enum lacks is a data bug
/// (`INTERNAL`), never guessed at.
pub fn of(ticket: &support_tickets::Model) -> AppResult<TicketStatus> {
    TicketStatus::try_from_value(&ticket.status)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad ticket status in database: {e}")))
}

/// A ticket's stored priority.
pub fn priority_of(ticket: &support_tickets::Model) -> AppResult<TicketPriority> {
    TicketPriority::try_from_value(&ticket.priority)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad ticket priority in database: {e}")))
}

/// Priorities from least to most urgent: the rank orders the ticket list.
pub const PRIORITIES: &[TicketPriority] = &[
    TicketPriority::Low,
    TicketPriority::Normal,
    TicketPriority::High,
    TicketPriority::Urgent,
];

/// The sort rank of a priority (0 = least urgent).
pub fn priority_rank(p: TicketPriority) -> i64 {
    PRIORITIES.iter().position(|x| *x == p).unwrap_or(1) as i64
}

/// Stored values of `list`, joined for messages ("OPEN, CLOSED").
pub fn names<E: ActiveEnum<Value = String> + Copy>(list: &[E]) -> String {
    list.iter().map(|e| e.to_value()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_status_has_a_row_and_targets_exist() {
        assert_eq!(STATUSES.len(), TicketStatus::iter().count());
        for s in TicketStatus::iter() {
            assert!(TRANSITIONS.iter().any(|(f, _)| *f == s), "{s:?} has no row");
        }
        for (from, tos) in TRANSITIONS {
            for to in *tos {
                assert_ne!(from, to);
            }
        }
        assert_eq!(PRIORITIES.len(), TicketPriority::iter().count());
    }

    #[test]
    fn workflow_rules() {
        assert!(can_transition(Open, Resolved));
        assert!(!can_transition(Closed, Resolved));
        assert!(can_transition(Closed, Open));
        assert_eq!(after_customer_reply(Resolved), Some(WaitingForAgent));
        assert_eq!(after_customer_reply(Open), None);
        assert_eq!(after_customer_reply(Closed), None);
        assert_eq!(after_agent_reply(Open), Some(WaitingForCustomer));
        for s in STATUSES {
            if let Some(t) = after_customer_reply(*s) {
                assert!(can_transition(*s, t), "customer reply {s:?} -> {t:?}");
            }
            if let Some(t) = after_agent_reply(*s) {
                assert!(can_transition(*s, t), "agent reply {s:?} -> {t:?}");
            }
        }
    }
}
