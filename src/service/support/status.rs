//! The ticket status workflow: every allowed transition is in this one
//! table, and the side effects of messages on status live beside it.

/// Ticket statuses, as stored.
pub const STATUSES: &[&str] = &[
    "OPEN",
    "IN_PROGRESS",
    "WAITING_FOR_CUSTOMER",
    "WAITING_FOR_AGENT",
    "RESOLVED",
    "CLOSED",
    "UNRESOLVED",
];

/// Allowed transitions (from, to). CLOSED reopens only to OPEN (staff).
const TRANSITIONS: &[(&str, &[&str])] = &[
    (
        "OPEN",
        &[
            "IN_PROGRESS",
            "WAITING_FOR_CUSTOMER",
            "WAITING_FOR_AGENT",
            "RESOLVED",
            "CLOSED",
            "UNRESOLVED",
        ],
    ),
    (
        "IN_PROGRESS",
        &[
            "OPEN",
            "WAITING_FOR_CUSTOMER",
            "WAITING_FOR_AGENT",
            "RESOLVED",
            "CLOSED",
            "UNRESOLVED",
        ],
    ),
    (
        "WAITING_FOR_CUSTOMER",
        &["IN_PROGRESS", "WAITING_FOR_AGENT", "RESOLVED", "CLOSED", "UNRESOLVED"],
    ),
    (
        "WAITING_FOR_AGENT",
        &[
            "IN_PROGRESS",
            "WAITING_FOR_CUSTOMER",
            "RESOLVED",
            "CLOSED",
            "UNRESOLVED",
        ],
    ),
    ("RESOLVED", &["OPEN", "IN_PROGRESS", "WAITING_FOR_AGENT", "CLOSED"]),
    ("UNRESOLVED", &["OPEN", "IN_PROGRESS", "WAITING_FOR_AGENT", "CLOSED"]),
    ("CLOSED", &["OPEN"]),
];

/// Whether a ticket may go from `from` to `to`.
pub fn can_transition(from: &str, to: &str) -> bool {
    TRANSITIONS
        .iter()
        .find(|(f, _)| *f == from)
        .is_some_and(|(_, tos)| tos.contains(&to))
}

/// The statuses reachable from `from`.
pub fn next_statuses(from: &str) -> &'static [&'static str] {
    TRANSITIONS
        .iter()
        .find(|(f, _)| *f == from)
        .map(|(_, tos)| *tos)
        .unwrap_or(&[])
}

/// The status a customer's reply moves a ticket to: a waiting, resolved or
/// unresolved ticket reopens (waits for an agent); OPEN stays OPEN.
pub fn after_customer_reply(current: &str) -> Option<&'static str> {
    match current {
        "WAITING_FOR_CUSTOMER" | "RESOLVED" | "UNRESOLVED" | "IN_PROGRESS" => Some("WAITING_FOR_AGENT"),
        _ => None,
    }
}

/// The status an agent's public reply moves a ticket to: the customer's
/// turn.
pub fn after_agent_reply(current: &str) -> Option<&'static str> {
    match current {
        "OPEN" | "IN_PROGRESS" | "WAITING_FOR_AGENT" => Some("WAITING_FOR_CUSTOMER"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_row_and_targets_exist() {
        for s in STATUSES {
            assert!(TRANSITIONS.iter().any(|(f, _)| f == s), "{s} has no row");
        }
        for (from, tos) in TRANSITIONS {
            for to in *tos {
                assert!(STATUSES.contains(to), "{from} -> {to}");
                assert_ne!(from, to);
            }
        }
    }

    #[test]
    fn workflow_rules() {
        assert!(can_transition("OPEN", "RESOLVED"));
        assert!(!can_transition("CLOSED", "RESOLVED"));
        assert!(can_transition("CLOSED", "OPEN"));
        assert_eq!(after_customer_reply("RESOLVED"), Some("WAITING_FOR_AGENT"));
        assert_eq!(after_customer_reply("OPEN"), None);
        assert_eq!(after_customer_reply("CLOSED"), None);
        assert_eq!(after_agent_reply("OPEN"), Some("WAITING_FOR_CUSTOMER"));
        for s in STATUSES {
            if let Some(t) = after_customer_reply(s) {
                assert!(can_transition(s, t), "customer reply {s} -> {t}");
            }
            if let Some(t) = after_agent_reply(s) {
                assert!(can_transition(s, t), "agent reply {s} -> {t}");
            }
        }
    }
}
