//! The wire vocabulary of both subprotocols: their names, the close codes
//! of graphql-transport-ws, and close frames that fit the WebSocket limit.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use axum::http::{header, HeaderMap};

/// The two subprotocols, newest first.
pub(super) const TRANSPORT_WS: &str = "graphql-transport-ws";
pub(super) const LEGACY_WS: &str = "graphql-ws";

/// Close codes of graphql-transport-ws.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const INTERNAL: u16 = 1011;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// The WebSocket limit on a close reason (125-byte control frame payload
/// less the 2-byte code).
pub const MAX_CLOSE_REASON: usize = 123;

/// Truncates `reason` to the close-frame limit on a character boundary.
pub fn close_reason(reason: &str) -> String {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason.to_string();
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

pub(super) fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(close_reason(reason)),
    }))
}

/// True when the request asks to become a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Protocol {
    Transport,
    Legacy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_the_frame() {
        let long = format!("Subscriber for {} already exists", "é".repeat(200));
        let r = close_reason(&long);
        assert!(r.len() <= MAX_CLOSE_REASON);
        assert!(long.starts_with(&r));
    }
}
