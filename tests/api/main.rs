//! Integration tests: the real server, over HTTP and WebSocket, against
//! real PostgreSQL (and Redis for fan-out). One binary, one module per area.

mod support;

mod cli;
mod graphiql;
mod http_conformance;
mod operations;
mod schema_file;
mod websocket;
