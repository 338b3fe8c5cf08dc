//! The request edge: cheap, linear checks that every operation passes
//! before anything recursive or super-linear touches it, on every
//! transport (GraphQL over HTTP, batches, WebSocket `subscribe`).
//!
//! - The query text is scanned iteratively for the nesting of `{ [ (`
//!   outside strings and comments, so the recursive parser never sees a
//!   document deep enough to overflow its stack.
//! - Variables and request extensions are walked with a depth bound (their
//!   JSON was already bounded by serde_json's own recursion limit of 128).
//! - The parsed document's size is computed with fragments expanded, in
//!   time linear in the document (one memoised pass over the fragment
//!   graph, cycles refused), before validation and complexity analysis,
//!   which expand every spread and would otherwise take exponential time.
//! - Every string input (variables, inline literals, defaults, directive
//!   arguments, JSON scalars, object keys) is refused if it holds a NUL
//!   character, which PostgreSQL cannot store.
//! - Large documents are parsed on a blocking thread and validated with
//!   `block_in_place`, so runtime threads keep serving other requests.
//! - The errors of one response are capped in number and message size.
//!
//! Every refusal is `BAD_USER_INPUT` with a stable `extensions.reason`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextSubscribe, NextValidation,
};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, Pos, Positioned, Request, Response, ServerError, ServerResult, ValidationResult, Value,
};
use async_graphql_value::{ConstValue, Value as DocValue};
use futures::stream::BoxStream;
use futures::StreamExt;

/// How deep selection sets may nest, fragments spreads included. Also given
/// to async-graphql's own `limit_recursive_depth`.
pub const MAX_RECURSIVE_DEPTH: usize = 64;

/// Most arguments one field or directive may take. No field of the schema
/// takes more than a handful; the bound keeps the argument comparisons of
/// validation (quadratic in the arguments of same-named fields) cheap.
pub const MAX_ARGUMENTS: usize = 64;

/// Longest error message sent; longer ones (an unknown name a megabyte
/// long echoed back) are cut on a character boundary.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// Query texts up to this size are parsed in place: that takes
/// microseconds, less than handing them to a blocking thread.
const INLINE_PARSE_BYTES: usize = 2 * 1024;

/// Documents up to this many selections (fragments expanded) are
/// validated in place; larger ones move off the runtime thread.
const INLINE_VALIDATION_SELECTIONS: u64 = 500;

/// The limits the guard enforces (from [`crate::config::Limits`]).
#[derive(Clone, Copy, Debug)]
pub struct GuardLimits {
    /// Deepest nesting of `{ [ (` in the query text and of lists and
    /// objects in variables and extensions.
    pub max_nesting: usize,
    /// Most selections (fields, fragment spreads, inline fragments) in one
    /// document with every fragment spread expanded.
    pub max_selections: usize,
    /// Most aliased fields in one document, fragments expanded.
    pub max_aliases: usize,
    /// Most errors in one response; the rest are counted in one more.
    pub max_errors: usize,
}

impl GuardLimits {
    /// The guard's share of the configured limits.
    pub fn from_limits(l: &crate::config::Limits) -> Self {
        GuardLimits {
            max_nesting: l.max_nesting,
            max_selections: l.max_selections,
            max_aliases: l.max_aliases,
            max_errors: l.max_errors,
        }
    }
}

/// Why a request was refused, in the stable `extensions.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Brackets or values nested deeper than `max_nesting`.
    NestingTooDeep,
    /// Too many selections with fragments expanded, spreads nested too
    /// deep, or too many arguments on one field.
    TooComplex,
    /// More aliases than `max_aliases`.
    TooManyAliases,
    /// A fragment spreads itself, directly or not.
    FragmentCycle,
    /// A string holds U+0000.
    NulCharacter,
}

impl Reason {
    /// The wire form of `extensions.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NestingTooDeep => "NESTING_TOO_DEEP",
            Reason::TooComplex => "TOO_COMPLEX",
            Reason::TooManyAliases => "TOO_MANY_ALIASES",
            Reason::FragmentCycle => "FRAGMENT_CYCLE",
            Reason::NulCharacter => "NUL_CHARACTER",
        }
    }
}

/// A refused request: always `BAD_USER_INPUT`, naming the offending input
/// when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The stable `extensions.reason`.
    pub reason: Reason,
    /// What the client reads: the limit, and where it was passed.
    pub message: String,
    /// The variable (`$input.subject`) or argument (`input.subject`) at fault.
    pub field: Option<String>,
    pub pos: Option<Pos>,
}

impl Refusal {
    fn new(reason: Reason, message: impl Into<String>) -> Self {
        Refusal {
            reason,
            message: message.into(),
            field: None,
            pos: None,
        }
    }

    fn at(mut self, pos: Pos) -> Self {
        self.pos = Some(pos);
        self
    }

    fn field(mut self, field: String) -> Self {
        self.field = Some(field);
        self
    }

    /// The GraphQL error sent to the client.
    pub fn into_server_error(self) -> ServerError {
        let mut err = ServerError::new(self.message, self.pos);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        ext.set("reason", self.reason.as_str());
        if let Some(f) = self.field {
            ext.set("fields", Value::List(vec![Value::String(f)]));
        }
        err.extensions = Some(ext);
        err
    }
}

impl From<Refusal> for ServerError {
    fn from(r: Refusal) -> Self {
        r.into_server_error()
    }
}

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
enum Seg<'a> {
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
trait InputNode {
    fn visit<'a>(&'a self, path: &mut Vec<Seg<'a>>, depth: usize, ctx: &WalkCtx<'_>) -> Result<(), Refusal>;
}

struct WalkCtx<'r> {
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
fn check_value<V: InputNode>(root: &str, value: &V, max_nesting: usize, pos: Option<Pos>) -> Result<(), Refusal> {
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

/// Selections of one selection set tree (one fragment or operation), with
/// the fragment spreads left unexpanded.
#[derive(Default)]
struct Local<'a> {
    selections: u64,
    aliases: u64,
    /// Deepest selection set below the root (root = 0).
    depth: usize,
    /// Fragment spreads with the depth of the set holding them.
    spreads: Vec<(&'a str, usize)>,
}

/// Totals with every fragment spread expanded.
#[derive(Clone, Copy, Default)]
struct Expanded {
    selections: u64,
    aliases: u64,
    depth: usize,
}

fn check_arguments(
    owner: &str,
    arguments: &[(Positioned<async_graphql::Name>, Positioned<DocValue>)],
    pos: Pos,
    max_nesting: usize,
) -> Result<(), Refusal> {
    if arguments.len() > MAX_ARGUMENTS {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!("`{owner}` is given more than {MAX_ARGUMENTS} arguments"),
        )
        .at(pos));
    }
    for (name, value) in arguments {
        check_value(name.node.as_str(), &value.node, max_nesting, Some(value.pos))?;
    }
    Ok(())
}

fn check_directives(directives: &[Positioned<Directive>], max_nesting: usize) -> Result<(), Refusal> {
    for d in directives {
        let owner = format!("@{}", d.node.name.node);
        check_arguments(&owner, &d.node.arguments, d.pos, max_nesting)?;
    }
    Ok(())
}

/// Walks one selection set tree (recursion bounded by the text scan),
/// counting and checking its arguments.
fn local_summary<'a>(
    set: &'a SelectionSet,
    level: usize,
    out: &mut Local<'a>,
    max_nesting: usize,
) -> Result<(), Refusal> {
    out.depth = out.depth.max(level);
    for item in &set.items {
        out.selections += 1;
        check_directives(item.node.directives(), max_nesting)?;
        match &item.node {
            Selection::Field(f) => {
                if f.node.alias.is_some() {
                    out.aliases += 1;
                }
                check_arguments(f.node.name.node.as_str(), &f.node.arguments, f.pos, max_nesting)?;
                if !f.node.selection_set.node.items.is_empty() {
                    local_summary(&f.node.selection_set.node, level + 1, out, max_nesting)?;
                }
            }
            Selection::InlineFragment(frag) => {
                local_summary(&frag.node.selection_set.node, level + 1, out, max_nesting)?;
            }
            Selection::FragmentSpread(spread) => {
                out.spreads.push((spread.node.fragment_name.node.as_str(), level));
            }
        }
    }
    Ok(())
}

/// What the analysis found, for the guard's later stages.
#[derive(Clone, Copy, Debug, Default)]
pub struct Report {
    /// Selections with fragments expanded (saturating).
    pub selections: u64,
    /// Aliased fields with fragments expanded (saturating).
    pub aliases: u64,
}

/// Expands `local` using the fragment totals in `done`.
fn expand(local: &Local<'_>, done: &HashMap<&str, Expanded>) -> Expanded {
    let mut e = Expanded {
        selections: local.selections,
        aliases: local.aliases,
        depth: local.depth,
    };
    for (name, level) in &local.spreads {
        // Unknown fragments are reported by validation.
        if let Some(t) = done.get(name) {
            e.selections = e.selections.saturating_add(t.selections);
            e.aliases = e.aliases.saturating_add(t.aliases);
            e.depth = e.depth.max(level + 1 + t.depth);
        }
    }
    e
}

/// Analyses a parsed document in time linear in its size: checks every
/// argument literal and default value, then computes, per operation, the
/// selections, aliases and depth it would have with every fragment spread
/// expanded (each fragment once, memoised; an iterative walk of the
/// fragment graph, so a long chain of fragments does not recurse).
pub fn analyse(doc: &ExecutableDocument, limits: &GuardLimits) -> Result<Report, Refusal> {
    let max_nesting = limits.max_nesting;
    let mut locals: HashMap<&str, Local<'_>> = HashMap::with_capacity(doc.fragments.len());
    let mut unexpanded = 0u64;
    for (name, frag) in &doc.fragments {
        let mut local = Local::default();
        check_directives(&frag.node.directives, max_nesting)?;
        local_summary(&frag.node.selection_set.node, 0, &mut local, max_nesting)?;
        unexpanded = unexpanded.saturating_add(local.selections);
        locals.insert(name.as_str(), local);
    }

    // Depth-first over the fragment graph with an explicit stack.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::with_capacity(locals.len());
    let mut done: HashMap<&str, Expanded> = HashMap::with_capacity(locals.len());
    for root in doc.fragments.keys() {
        let root = root.as_str();
        if marks.contains_key(root) {
            continue;
        }
        marks.insert(root, Mark::Open);
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        while let Some(&mut (name, ref mut next)) = stack.last_mut() {
            let Some(local) = locals.get(name) else {
                stack.pop();
                continue;
            };
            if let Some(&(target, _)) = local.spreads.get(*next) {
                *next += 1;
                if !locals.contains_key(target) {
                    continue;
                }
                match marks.get(target) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => {
                        let pos = doc.fragments.get(target).map(|f| f.pos);
                        let r = Refusal::new(
                            Reason::FragmentCycle,
                            format!("fragment `{target}` spreads itself (through `{name}`)"),
                        );
                        return Err(match pos {
                            Some(p) => r.at(p),
                            None => r,
                        });
                    }
                    None => {
                        marks.insert(target, Mark::Open);
                        stack.push((target, 0));
                    }
                }
            } else {
                let e = expand(local, &done);
                done.insert(name, e);
                marks.insert(name, Mark::Done);
                stack.pop();
            }
        }
    }

    let mut report = Report {
        selections: unexpanded,
        aliases: 0,
    };
    let mut depth = 0usize;
    for (_, op) in doc.operations.iter() {
        let mut local = Local::default();
        for v in &op.node.variable_definitions {
            check_directives(&v.node.directives, max_nesting)?;
            if let Some(default) = &v.node.default_value {
                let root = format!("${}", v.node.name.node);
                check_value(&root, &default.node, max_nesting, Some(default.pos))?;
            }
        }
        check_directives(&op.node.directives, max_nesting)?;
        local_summary(&op.node.selection_set.node, 0, &mut local, max_nesting)?;
        let e = expand(&local, &done);
        report.selections = report.selections.saturating_add(e.selections);
        report.aliases = report.aliases.saturating_add(e.aliases);
        depth = depth.max(e.depth);
    }
    if depth > MAX_RECURSIVE_DEPTH {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!("the query nests selections (fragments expanded) more than {MAX_RECURSIVE_DEPTH} levels deep"),
        ));
    }
    if report.selections > limits.max_selections as u64 {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!(
                "the query is too complex: it has more than {} selections with its fragments expanded",
                limits.max_selections
            ),
        ));
    }
    if report.aliases > limits.max_aliases as u64 {
        return Err(Refusal::new(
            Reason::TooManyAliases,
            format!(
                "the query has more than {} aliases with its fragments expanded",
                limits.max_aliases
            ),
        ));
    }
    Ok(report)
}

/// Everything the guard checks on one request, in order: text nesting,
/// inputs, parse, document analysis. The parsed document is handed back
/// in the request so async-graphql does not parse it again.
pub fn check_request(mut request: Request, limits: &GuardLimits) -> ServerResult<(Request, Report)> {
    scan_text(&request.query, limits.max_nesting)?;
    check_inputs(&request, limits.max_nesting)?;
    let doc = async_graphql::parser::parse_query(&request.query).map_err(ServerError::from)?;
    let report = analyse(&doc, limits)?;
    request.set_parsed_query(doc);
    Ok((request, report))
}

/// Cuts `message` to [`MAX_ERROR_MESSAGE_BYTES`] on a character boundary.
fn cut_message(message: &mut String) {
    if message.len() <= MAX_ERROR_MESSAGE_BYTES {
        return;
    }
    let mut end = MAX_ERROR_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push('…');
}

/// Keeps the first `max` errors (messages cut to size) and replaces the
/// rest with one error saying how many were dropped, carrying the first
/// dropped error's code and `extensions.droppedErrors`.
pub fn cap_errors(errors: &mut Vec<ServerError>, max: usize) {
    let max = max.max(1);
    if errors.len() > max {
        let dropped = errors.len() - max;
        let code = errors[max]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned()
            .unwrap_or_else(|| Value::String("BAD_USER_INPUT".into()));
        errors.truncate(max);
        let mut summary = ServerError::new(format!("{dropped} more errors were left out of this response"), None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", code);
        ext.set("droppedErrors", dropped as u64);
        summary.extensions = Some(ext);
        errors.push(summary);
    }
    for e in errors.iter_mut() {
        cut_message(&mut e.message);
    }
}

/// True when the current runtime can hand its thread over with
/// `block_in_place` (the multi-threaded runtime; tests may run on the
/// current-thread one).
fn can_block_in_place() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// The schema extension running the guard. Registered before the
/// persisted-query extension so that even the text it parses on
/// registration has been scanned.
pub struct Guard(pub GuardLimits);

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension {
            limits: self.0,
            heavy: AtomicBool::new(false),
        })
    }
}

struct GuardExtension {
    limits: GuardLimits,
    /// The document is large enough to validate off the runtime thread.
    heavy: AtomicBool,
}

#[async_trait::async_trait]
impl Extension for GuardExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut res = next.run(ctx).await;
        cap_errors(&mut res.errors, self.limits.max_errors);
        res
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let max = self.limits.max_errors;
        let capped = stream
            .map(move |mut res| {
                cap_errors(&mut res.errors, max);
                res
            })
            .boxed();
        next.run(ctx, capped)
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // The text as sent, before the persisted-query extension parses it.
        let sent_text = !request.query.is_empty();
        if sent_text {
            scan_text(&request.query, self.limits.max_nesting)?;
        }
        let request = next.run(ctx, request).await?;
        let limits = self.limits;
        let large = request.query.len() > INLINE_PARSE_BYTES;
        let (request, report) = if large {
            tokio::task::spawn_blocking(move || check_request(request, &limits))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "the request check failed");
                    let mut err = ServerError::new("internal error", None);
                    let mut ext = ErrorExtensionValues::default();
                    ext.set("code", "INTERNAL");
                    err.extensions = Some(ext);
                    err
                })??
        } else {
            check_request(request, &limits)?
        };
        self.heavy.store(
            large || report.selections > INLINE_VALIDATION_SELECTIONS,
            Ordering::Relaxed,
        );
        Ok(request)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        if self.heavy.load(Ordering::Relaxed) && can_block_in_place() {
            // Validation is synchronous work; let the runtime move its
            // other tasks to another thread meanwhile.
            tokio::task::block_in_place(|| futures::executor::block_on(next.run(ctx)))
        } else {
            next.run(ctx).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> GuardLimits {
        GuardLimits {
            max_nesting: 32,
            max_selections: 1000,
            max_aliases: 10,
            max_errors: 5,
        }
    }

    fn check(q: &str) -> Result<Report, Refusal> {
        let l = limits();
        scan_text(q, l.max_nesting)?;
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        analyse(&doc, &l)
    }

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
    fn fragment_fan_out_is_counted_without_expanding() {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..60 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}\n", n = i + 1));
        }
        q.push_str("fragment F60 on Query { __typename }\n");
        let e = check(&q).unwrap_err();
        assert_eq!(e.reason, Reason::TooComplex, "{e:?}");
    }

    #[test]
    fn long_fragment_chains_and_cycles() {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..100 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F100 on Query { __typename }\n");
        let e = check(&q).unwrap_err();
        assert_eq!(e.reason, Reason::TooComplex, "{e:?}");
        assert!(e.message.contains("levels deep"), "{}", e.message);
        let e = check("{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A }").unwrap_err();
        assert_eq!(e.reason, Reason::FragmentCycle, "{e:?}");
        let small =
            check("{ ...A ...A } fragment A on Query { a: __typename ...B } fragment B on Query { __typename }")
                .unwrap();
        // 2 spreads + 2 × (alias + spread + 1) + unexpanded definitions (2 + 1).
        assert_eq!(small.selections, 2 + 2 * 3 + 3);
        assert_eq!(small.aliases, 2);
    }

    #[test]
    fn aliases_and_arguments_are_capped() {
        let q = format!(
            "{{ {} }}",
            (0..11)
                .map(|i| format!("a{i}: __typename"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(check(&q).unwrap_err().reason, Reason::TooManyAliases);
        let q = format!(
            "{{ f({}) }}",
            (0..65).map(|i| format!("a{i}: 1")).collect::<Vec<_>>().join(" ")
        );
        assert_eq!(check(&q).unwrap_err().reason, Reason::TooComplex);
    }

    #[test]
    fn nul_characters_are_named() {
        let e = check(r#"mutation { f(input: { tags: ["ok", "b\u0000d"] }) { id } }"#).unwrap_err();
        assert_eq!(e.reason, Reason::NulCharacter);
        assert_eq!(e.field.as_deref(), Some("input.tags[1]"));
        let e = check(r#"query($q: String = "\u0000") { f(q: $q) }"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("$q"));
        let e = check(r#"{ f @skip(if: false) @d(x: "\u0000") }"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("x"));
        let mut req = Request::new("{ f }");
        req.variables = async_graphql::Variables::from_json(serde_json::json!({"data": {"k\u{0}": 1}}));
        let e = check_inputs(&req, 32).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("$data.k\u{0}"));
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

    #[test]
    fn errors_are_capped_in_number_and_size() {
        let mut errors: Vec<ServerError> = (0..1000)
            .map(|i| ServerError::new(format!("error {i} {}", "x".repeat(5000)), None))
            .collect();
        cap_errors(&mut errors, 5);
        assert_eq!(errors.len(), 6);
        assert!(errors.iter().all(|e| e.message.len() <= MAX_ERROR_MESSAGE_BYTES + 3));
        assert!(
            errors[5].message.starts_with("995 more errors"),
            "{}",
            errors[5].message
        );
    }
}
