//! Turning credentials on a request (a bearer token, an API key, or a
//! WebSocket `connection_init` payload) into a [`Viewer`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppContext;
use crate::error::AppError;
use crate::service::identity::{self, Credentials, Viewer};

pub use crate::service::identity::ClientInfo;

impl ClientInfo {
    /// From a request's headers and extensions. The peer comes from axum's
    /// `ConnectInfo`; `X-Forwarded-For` counts only when the peer is one of
    /// the [`TrustedProxies`] in the extensions (the router puts them
    /// there), so a client cannot pick its own address.
    pub fn from_parts(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Self {
        let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let trusted = extensions.get::<TrustedProxies>();
        let ip = peer.map(|peer| match trusted {
            Some(t) if !t.is_empty() => t.client_address(peer, headers),
            _ => peer,
        });
        ClientInfo {
            ip_address: ip.map(|ip| ip.to_string()),
            user_agent: header_text("user-agent").map(|ua| ua.chars().take(512).collect()),
            request_id: header_text("x-request-id"),
        }
    }
}

/// An address block (`10.0.0.0/8`, `fd00::/8`) or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// True when `ip` lies in the block (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has a bad prefix length (0 to {max})"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

/// The proxies (load balancers) whose `X-Forwarded-For` header is believed.
/// Empty by default: then the connecting address is the client, whatever
/// the headers say.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<Cidr>>);

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// A comma- or space-separated list of addresses and CIDR blocks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let list = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Cidr>, String>>()?;
        Ok(TrustedProxies(Arc::new(list)))
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client behind `peer`: `peer` itself unless it is trusted; else
    /// walking `X-Forwarded-For` from the right (each trusted hop appended
    /// the address it saw), the first address that is not a trusted proxy.
    /// Entries left of that one were written by the client and are ignored;
    /// an unreadable entry where a trusted hop should have written an
    /// address falls back to the last trusted hop.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port
/// (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::from_parts(&parts.headers, &parts.extensions))
    }
}

/// Reads `Authorization: Bearer` or `X-Api-Key` from HTTP headers.
pub fn credentials_from_headers(headers: &HeaderMap) -> Credentials {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    Credentials::from_parts(bearer.as_deref(), api_key.as_deref())
}

/// Reads credentials from a `connection_init` payload: `authorization`
/// (any case, with or without `Bearer `), a nested `headers` object, or
/// `apiKey` / `x-api-key`.
pub fn credentials_from_payload(payload: Option<&serde_json::Value>) -> Credentials {
    let Some(obj) = payload.and_then(|p| p.as_object()) else {
        return Credentials::None;
    };
    let find = |map: &serde_json::Map<String, serde_json::Value>, names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let nested = obj.get("headers").and_then(|h| h.as_object());
    let auth = find(obj, &["authorization", "authToken", "token"])
        .or_else(|| nested.and_then(|h| find(h, &["authorization"])));
    let key = find(obj, &["x-api-key", "apiKey"]).or_else(|| nested.and_then(|h| find(h, &["x-api-key"])));
    let auth = auth.map(|a| if a.contains(' ') { a } else { format!("Bearer {a}") });
    Credentials::from_parts(auth.as_deref(), key.as_deref())
}

/// The viewer of an HTTP request.
pub async fn viewer_from_headers(
    ctx: &AppContext,
    headers: &HeaderMap,
    client: ClientInfo,
) -> Result<Viewer, AppError> {
    identity::authenticate(ctx, credentials_from_headers(headers), client).await
}

/// A 401 (bad credentials) or 429 (rate limited) answer before execution.
pub fn refuse_credentials(err: AppError, content_type: HeaderValue) -> Response {
    let status = match err.code() {
        crate::error::ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        crate::error::ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        crate::error::ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let gql = err.to_graphql();
    let message = if status.is_server_error() {
        "internal error".to_string()
    } else {
        gql.message
    };
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": err.code().as_str() } }]
    });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.200.1.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!("0.0.0.0/0"
            .parse::<Cidr>()
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(none.is_empty());
        let t: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        // An untrusted peer is the client whatever it claims.
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(t.client_address(stranger, &xff("1.1.1.1")), stranger);
        // The right-most untrusted entry counts; spoofed entries left of it do not.
        assert_eq!(
            t.client_address(peer, &xff("6.6.6.6, 198.51.100.7, 10.1.2.3")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(t.client_address(peer, &HeaderMap::new()), peer);
        // Garbage where a trusted hop should have written: the last trusted hop.
        assert_eq!(
            t.client_address(peer, &xff("nonsense, 10.0.0.5")),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            t.client_address(peer, &xff("[2001:db8::1]:443")),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
    }
}
