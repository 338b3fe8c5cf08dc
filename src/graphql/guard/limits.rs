//! The document analysis: sizes, aliases and depths with every fragment
//! spread expanded, computed in time linear in the document before
//! validation (which expands every spread) sees it.
//!
//! Depth is counted the way async-graphql's validation counts it (every
//! field but `__typename`; inline fragments and spreads add nothing), with
//! one difference: the subtree of a root `__schema` or `__type` field
//! (introspection) is measured apart. Its size is bounded by the schema,
//! not by the query limits, so it passes `max_depth` and is left out of
//! the complexity compared with `max_complexity`, while its own bounds
//! ([`MAX_INTROSPECTION_DEPTH`], [`MAX_INTROSPECTION_LISTS`]) refuse what
//! no schema needs: an `ofType` chain dozens deep, or `fields { type {
//! fields { type { fields … } } } }` whose answer grows with every level.

use std::collections::HashMap;

use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, Positioned};
use async_graphql_value::Value as DocValue;

use super::scan::check_value;
use super::{GuardLimits, Reason, Refusal, MAX_ARGUMENTS, MAX_RECURSIVE_DEPTH};

/// Deepest field nesting of an introspection selection, counted from its
/// root (`__schema` = 1). graphql-js's standard introspection query needs
/// 13 (`__schema types fields type` and nine `ofType`); no schema needs a
/// type wrapped in more than a few lists and non-nulls.
pub const MAX_INTROSPECTION_DEPTH: usize = 32;

/// Most list-valued introspection fields (`types`, `fields`, `args`, …) on
/// one path of an introspection selection. The standard query needs 3
/// (`types { fields { args } }`); each more level multiplies the answer
/// by the size of the schema again.
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// The list-valued fields of the introspection types.
const INTROSPECTION_LISTS: &[&str] = &[
    "types",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];

/// The root fields whose subtree is introspection.
fn is_introspection_root(name: &str) -> bool {
    name == "__schema" || name == "__type"
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
    /// Deepest field nesting outside introspection (what `max_depth`
    /// bounds), fragments expanded.
    pub depth: usize,
    /// Fields inside introspection selections, fragments expanded
    /// (saturating): their share of async-graphql's complexity, which
    /// counts each of them 1.
    pub introspection_fields: u64,
}

/// Field-level measures of a selection tree with fragments expanded.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// Deepest field nesting (a field without a selection set = 1).
    depth: usize,
    /// Most introspection list fields on one path.
    lists: usize,
    /// Fields, `__typename` aside (saturating).
    fields: u64,
}

impl Shape {
    fn merge(&mut self, other: Shape) {
        self.depth = self.depth.max(other.depth);
        self.lists = self.lists.max(other.lists);
        self.fields = self.fields.saturating_add(other.fields);
    }
}

/// The measures of a selection set at the root of an operation, with
/// ordinary fields and introspection subtrees apart.
#[derive(Clone, Copy, Debug, Default)]
struct RootShape {
    /// Deepest nesting of ordinary fields.
    plain_depth: usize,
    /// The introspection subtrees (`__schema`/`__type` included).
    introspection: Shape,
}

impl RootShape {
    fn merge(&mut self, other: RootShape) {
        self.plain_depth = self.plain_depth.max(other.plain_depth);
        self.introspection.merge(other.introspection);
    }
}

/// A fragment's measures, spread anywhere (`all`) or at an operation's
/// root (`root`).
#[derive(Clone, Copy, Debug, Default)]
struct FragmentShape {
    all: Shape,
    root: RootShape,
}

/// Measures `set` with its spreads taken from `done` (recursion bounded
/// by the text scan, like [`local_summary`]).
fn shape(set: &SelectionSet, done: &HashMap<&str, FragmentShape>) -> Shape {
    let mut s = Shape::default();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                // async-graphql's depth and complexity skip it too.
                if name == "__typename" {
                    continue;
                }
                let inner = shape(&f.node.selection_set.node, done);
                s.merge(Shape {
                    depth: 1 + inner.depth,
                    lists: inner.lists + usize::from(INTROSPECTION_LISTS.contains(&name)),
                    fields: inner.fields.saturating_add(1),
                });
            }
            Selection::InlineFragment(frag) => s.merge(shape(&frag.node.selection_set.node, done)),
            Selection::FragmentSpread(spread) => {
                if let Some(t) = done.get(spread.node.fragment_name.node.as_str()) {
                    s.merge(t.all);
                }
            }
        }
    }
    s
}

/// Measures the root selection set of an operation (or a fragment spread
/// there): a `__schema`/`__type` field opens an introspection subtree.
fn root_shape(set: &SelectionSet, done: &HashMap<&str, FragmentShape>) -> RootShape {
    let mut r = RootShape::default();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                if name == "__typename" {
                    continue;
                }
                let inner = shape(&f.node.selection_set.node, done);
                if is_introspection_root(name) {
                    r.introspection.merge(Shape {
                        depth: 1 + inner.depth,
                        lists: inner.lists,
                        fields: inner.fields.saturating_add(1),
                    });
                } else {
                    r.plain_depth = r.plain_depth.max(1 + inner.depth);
                }
            }
            Selection::InlineFragment(frag) => r.merge(root_shape(&frag.node.selection_set.node, done)),
            Selection::FragmentSpread(spread) => {
                if let Some(t) = done.get(spread.node.fragment_name.node.as_str()) {
                    r.merge(t.root);
                }
            }
        }
    }
    r
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
    let mut shapes: HashMap<&str, FragmentShape> = HashMap::with_capacity(locals.len());
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
                if let Some(frag) = doc.fragments.get(name) {
                    let set = &frag.node.selection_set.node;
                    let s = FragmentShape {
                        all: shape(set, &shapes),
                        root: root_shape(set, &shapes),
                    };
                    shapes.insert(name, s);
                }
                marks.insert(name, Mark::Done);
                stack.pop();
            }
        }
    }

    let mut report = Report {
        selections: unexpanded,
        ..Report::default()
    };
    let mut depth = 0usize;
    let mut introspection = Shape::default();
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
        let root = root_shape(&op.node.selection_set.node, &shapes);
        report.depth = report.depth.max(root.plain_depth);
        introspection.merge(root.introspection);
    }
    report.introspection_fields = introspection.fields;
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
    if report.depth > limits.max_depth {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!(
                "Query is nested too deep: it nests fields more than {} levels deep \
                 (introspection aside)",
                limits.max_depth
            ),
        ));
    }
    if introspection.depth > MAX_INTROSPECTION_DEPTH {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!("the introspection selection nests fields more than {MAX_INTROSPECTION_DEPTH} levels deep"),
        ));
    }
    if introspection.lists > MAX_INTROSPECTION_LISTS {
        return Err(Refusal::new(
            Reason::TooComplex,
            format!(
                "the introspection selection nests more than {MAX_INTROSPECTION_LISTS} lists \
                 (such as `types {{ fields {{ args }} }}`) in one another"
            ),
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::super::scan::{check_inputs, scan_text};
    use super::*;
    use async_graphql::Request;

    fn limits() -> GuardLimits {
        GuardLimits {
            max_nesting: 32,
            max_selections: 1000,
            max_aliases: 10,
            max_errors: 5,
            max_depth: 12,
            max_complexity: 5000,
        }
    }

    fn check(q: &str) -> Result<Report, Refusal> {
        let l = limits();
        scan_text(q, l.max_nesting)?;
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        analyse(&doc, &l)
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

    /// Nested `{ f { f { … } } }`, `levels` fields deep.
    fn nested(levels: usize) -> String {
        format!("{{ {}x{} }}", "f { ".repeat(levels - 1), " }".repeat(levels - 1))
    }

    #[test]
    fn depth_counts_fields_like_validation_does() {
        // max_depth is 12 in these limits.
        assert_eq!(check(&nested(12)).unwrap().depth, 12);
        let e = check(&nested(13)).unwrap_err();
        assert_eq!(e.reason, Reason::TooComplex);
        assert!(e.message.contains("nested too deep"), "{}", e.message);
        // Inline fragments, spreads and __typename add nothing; fragments
        // count where they are spread.
        let q = "{ a { ... on T { b { __typename ...F } } } } fragment F on T { c { d } }";
        assert_eq!(check(q).unwrap().depth, 4);
    }

    /// The shape of graphql-js's `getIntrospectionQuery()`: 13 fields deep,
    /// 3 lists, fragments.
    const STANDARD: &str = "query IntrospectionQuery { __schema { queryType { name } types { ...FullType } \
        directives { name args(includeDeprecated: true) { ...InputValue } } } } \
        fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } \
        type { ...TypeRef } } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues { name } \
        possibleTypes { ...TypeRef } } \
        fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue } \
        fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name \
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name \
        ofType { kind name } } } } } } } } } }";

    #[test]
    fn introspection_is_bounded_by_its_own_limits() {
        let r = check(STANDARD).unwrap();
        assert_eq!(r.depth, 0, "introspection is not counted against max_depth");
        assert!(r.introspection_fields > 100, "{}", r.introspection_fields);
        // A plain selection beside it still counts.
        let beside = STANDARD.replacen(
            "__schema {",
            &format!("{} __schema {{", &nested(13)[1..nested(13).len() - 1]),
            1,
        );
        assert!(check(&beside).unwrap_err().message.contains("nested too deep"));

        // An ofType chain deeper than any schema needs (37 fields), through
        // fragments, which the text scan does not see.
        let mut q = String::from("{ __type(name: \"Query\") { ...T0 } }\n");
        for i in 0..9 {
            q.push_str(&format!(
                "fragment T{i} on __Type {{ ofType {{ ofType {{ ofType {{ ofType {{ ...T{} }} }} }} }} }}\n",
                i + 1
            ));
        }
        q.push_str("fragment T9 on __Type { name }\n");
        let e = check(&q).unwrap_err();
        assert_eq!(e.reason, Reason::TooComplex);
        assert!(e.message.contains("introspection"), "{}", e.message);

        // Lists in lists: every level multiplies the answer by the schema.
        let e =
            check("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }").unwrap_err();
        assert!(e.message.contains("lists"), "{}", e.message);
        assert!(check("{ __schema { types { fields { type { fields { name } } } } } }").is_ok());

        // `__schema` below another field is no introspection root: counted.
        assert!(check(&format!("{{ a {{ b {{ c {{ __schema {} }} }} }} }}", &nested(10))).is_err());
    }
}
