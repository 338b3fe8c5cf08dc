//! async-graphql marks an uploaded file in the variables with the string
//! `#__graphql_file__:<index>`, and panics on a malformed index (when the
//! `Upload` input is parsed, and again when an out-of-range one is read).
//! Only the multipart parser may write such strings: any other occurrence
//! (in the query text, in JSON or WebSocket variables, or naming a file
//! the request does not carry) is refused before execution.

use async_graphql::{Request, ServerError, ServerResult, Value};

const PREFIX: &str = "#__graphql_file__:";

fn valid(v: &Value, files: usize) -> bool {
    match v {
        Value::String(s) => match s.strip_prefix(PREFIX) {
            Some(i) => i.parse::<usize>().is_ok_and(|i| i < files),
            None => true,
        },
        Value::List(items) => items.iter().all(|i| valid(i, files)),
        Value::Object(fields) => fields.values().all(|f| valid(f, files)),
        _ => true,
    }
}

/// Refuses file placeholders that the multipart parser did not write.
pub fn check(request: &Request) -> ServerResult<()> {
    let files = request.uploads.len();
    if request.query.contains(PREFIX) || !request.variables.values().all(|v| valid(v, files)) {
        return Err(ServerError::new(
            "files are sent as parts of a multipart request (GraphQL multipart request specification)",
            None,
        ));
    }
    Ok(())
}
