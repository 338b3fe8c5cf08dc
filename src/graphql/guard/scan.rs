//! The linear checks that run before the parser: the nesting of `{ [ (`
//! in the query text, and the depth and NUL characters of every input
//! value (variables, request extensions, and, from the document analysis,
//! argument literals and defaults).

use async_graphql::{Pos, Request};
use async_graphql_value::{ConstValue, Value as DocValue};

use super::{Reason, Refusal};

fn too_deep(max: usize) -> Refusal {
    Refusal::new(
        Reason::NestingTooDeep,
        format!("the query nests brackets or values more than {max} levels deep"),
    )
}

/// Line and column (1-based, in characters) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> Pos {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Pos { line, column }
}

/// Scans GraphQL source text, iteratively and in one pass, for the
/// deepest nesting of `{`, `[` and `(` outside strings, block strings and
/// comments. Refuses nesting deeper than `max` at its first bracket.
pub fn scan_text(text: &str, max: usize) -> Result<(), Refusal> {
    let b = text.as_bytes();
    let len = b.len();
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < len {
        match b[i] {
            b'#' => {
                while i < len && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < len {
                    if b[i] == b'\\' && b[i + 1..].starts_with(b"\"\"\"") {
                        i += 4;
                    } else if b[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < len {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        // A string ends at the line; the parser reports it.
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return Err(too_deep(max).at(position(text, i)));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// One step of a path to an input value.
pub(super) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn format_path(root: &str, path: &[Seg<'_>]) -> String {
    let mut s = root.to_string();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

fn nul_refusal(what: String) -> Refusal {
    Refusal::new(
        Reason::NulCharacter,
        format!("`{what}` contains a NUL character (U+0000), which text may not hold"),
    )
    .field(what)
}

/// A value the walk can descend: variables and defaults are `ConstValue`,
/// literals in the document are `Value`.
pub(super) trait InputNode {
    fn visit<'a>(&'a self, path: &mut Vec<Seg<'a>>, depth: usize, ctx: &WalkCtx<'_>) -> Result<(), Refusal>;
}

pub(super) struct WalkCtx<'r> {
    /// `$name` for variables, the argument name for literals.
    root: &'r str,
    max_nesting: usize,
    pos: Option<Pos>,
}

impl WalkCtx<'_> {
    fn refuse(&self, r: Refusal) -> Refusal {
        match self.pos {
            Some(p) => r.at(p),
            None => r,
        }
    }

    fn deeper(&self, depth: usize, path: &[Seg<'_>]) -> Result<(), Refusal> {
        if depth > self.max_nesting {
            let what = format_path(self.root, path);
            return Err(self.refuse(
                Refusal::new(
                    Reason::NestingTooDeep,
                    format!(
                        "`{what}` nests lists or objects more than {} levels deep",
                        self.max_nesting
                    ),
                )
                .field(what),
            ));
        }
        Ok(())
    }

    fn text(&self, s: &str, path: &[Seg<'_>]) -> Result<(), Refusal> {
        if s.contains('\0') {
            return Err(self.refuse(nul_refusal(format_path(self.root, path))));
        }
        Ok(())
    }
}

macro_rules! input_node {
    ($ty:ty) => {
        impl InputNode for $ty {
            fn visit<'a>(&'a self, path: &mut Vec<Seg<'a>>, depth: usize, ctx: &WalkCtx<'_>) -> Result<(), Refusal> {
                match self {
                    Self::String(s) => ctx.text(s, path),
                    Self::List(items) => {
                        ctx.deeper(depth + 1, path)?;
                        for (i, item) in items.iter().enumerate() {
                            path.push(Seg::Index(i));
                            item.visit(path, depth + 1, ctx)?;
                            path.pop();
                        }
                        Ok(())
                    }
                    Self::Object(fields) => {
                        ctx.deeper(depth + 1, path)?;
                        for (key, item) in fields {
                            path.push(Seg::Key(key.as_str()));
                            ctx.text(key.as_str(), path)?;
                            item.visit(path, depth + 1, ctx)?;
                            path.pop();
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        }
    };
}

input_node!(ConstValue);
input_node!(DocValue);

/// Checks one input value: nesting at most `max_nesting`, no NUL in any
/// string or object key. The walk never descends past the bound, so its
/// own recursion is bounded whatever the value.
pub(super) fn check_value<V: InputNode>(
    root: &str,
    value: &V,
    max_nesting: usize,
    pos: Option<Pos>,
) -> Result<(), Refusal> {
    let ctx = WalkCtx { root, max_nesting, pos };
    let mut path = Vec::new();
    value.visit(&mut path, 0, &ctx)
}

/// Checks every variable (named `$name…` in refusals) and request
/// extension value (`persistedQuery…`).
pub fn check_inputs(request: &Request, max_nesting: usize) -> Result<(), Refusal> {
    for (name, value) in request.variables.iter() {
        check_value(&format!("${name}"), value, max_nesting, None)?;
    }
    for (name, value) in &request.extensions.0 {
        check_value(name, value, max_nesting, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_nesting_counts_brackets_outside_strings_and_comments() {
        assert!(scan_text(&format!("{}{}", "[".repeat(32), "]".repeat(32)), 32).is_ok());
        let e = scan_text(&format!("{{ a(x: {}) }}", "[".repeat(40)), 32).unwrap_err();
        assert_eq!(e.reason, Reason::NestingTooDeep);
        assert_eq!(e.pos.map(|p| p.column), Some(38));
        let hidden = format!(
            "{{ a(x: \"{0}\\\"{0}\", y: \"\"\"{0}\\\"\"\"{0}\"\"\") # {0}\n }}",
            "[".repeat(100)
        );
        assert!(scan_text(&hidden, 32).is_ok());
        // Closing brackets never go below zero.
        assert!(scan_text(&format!("{}{}", "]".repeat(100), "[".repeat(32)), 32).is_ok());
    }

    #[test]
    fn variables_are_depth_bounded() {
        let mut deep = serde_json::json!(1);
        for _ in 0..33 {
            deep = serde_json::json!([deep]);
        }
        let mut req = Request::new("{ f }");
        req.variables = async_graphql::Variables::from_json(serde_json::json!({ "v": deep }));
        let e = check_inputs(&req, 32).unwrap_err();
        assert_eq!(e.reason, Reason::NestingTooDeep);
        assert!(e.message.contains("$v"), "{}", e.message);
    }
}
