//! The DOT parser: tokens to a [`Graph`] by recursive descent, with the `node`, `edge` and
//! `graph` defaults of each scope, clusters as they open (a node joins the innermost one where
//! it is first mentioned), chains of edges, and one edge per pair in a `strict` graph.

use super::lex::{Tok, Token, lex, shorten};
use super::{Attrs, Cluster, Edge, Graph, MAX_DEPTH, Member, Node, error};
use crate::Error;
use std::collections::{HashMap, HashSet};

/// Parses DOT text.
pub(in crate::graph) fn parse(text: &str) -> Result<Graph, Error> {
    let tokens = lex(text)?;
    let eof_line = tokens.last().map_or(1, |t| t.line);
    let mut parser = Parser {
        tokens,
        pos: 0,
        eof: Token { tok: Tok::Eof, line: eof_line },
        graph: Graph {
            directed: true,
            name: String::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
            clusters: Vec::new(),
        },
        node_ids: HashMap::new(),
        edge_ids: HashMap::new(),
        strict: false,
    };
    parser.graph_text()?;
    Ok(parser.graph)
}

/// What statements in a graph or subgraph body see: the defaults set so far.
#[derive(Clone)]
struct Scope {
    /// The innermost cluster (where new nodes go).
    cluster: usize,
    /// Whether `cluster` is this scope's own graph (graph attributes then set its attributes).
    own: bool,
    node_defaults: Attrs,
    edge_defaults: Attrs,
    graph_defaults: Attrs,
}

/// The nodes mentioned in a subgraph, in order, each once.
#[derive(Default)]
struct Mentioned {
    list: Vec<usize>,
    seen: HashSet<usize>,
}

impl Mentioned {
    fn add(&mut self, n: usize) {
        if self.seen.insert(n) {
            self.list.push(n);
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    eof: Token,
    graph: Graph,
    node_ids: HashMap<String, usize>,
    /// For `strict` graphs: the edge between two nodes.
    edge_ids: HashMap<(usize, usize), usize>,
    strict: bool,
}

const KEYWORDS: [&str; 6] = ["node", "edge", "graph", "digraph", "subgraph", "strict"];

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_at(&self, k: usize) -> &Token {
        self.tokens.get(self.pos + k).unwrap_or(&self.eof)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn line(&self) -> usize {
        self.peek().line
    }

    fn found(&self) -> String {
        self.peek().tok.describe()
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek().tok, Tok::Punct(q) if q == p)
    }

    /// The keyword (lower case) that the next token is, if it is one.
    fn keyword(&self) -> Option<&'static str> {
        match &self.peek().tok {
            Tok::Id { text, quoted: false } => {
                KEYWORDS.into_iter().find(|k| text.eq_ignore_ascii_case(k))
            }
            _ => None,
        }
    }

    fn unexpected(&self, expected: &str) -> Error {
        error(self.line(), format!("expected {expected}, found {}", self.found()))
    }

    /// `[strict] (graph | digraph) [ID] { stmt_list }`
    fn graph_text(&mut self) -> Result<(), Error> {
        if self.keyword() == Some("strict") {
            self.bump();
            self.strict = true;
        }
        match self.keyword() {
            Some("digraph") => self.graph.directed = true,
            Some("graph") => self.graph.directed = false,
            _ => return Err(self.unexpected("`digraph` or `graph` at the start of the text")),
        }
        self.bump();
        if matches!(self.peek().tok, Tok::Id { .. }) && self.keyword().is_none() {
            self.graph.name = self.id()?;
        }
        if !self.is_punct("{") {
            return Err(self.unexpected("`{` to open the graph"));
        }
        let open = self.bump().line;
        self.graph.clusters.push(Cluster {
            name: self.graph.name.clone(),
            parent: None,
            attrs: Attrs::new(),
            members: Vec::new(),
        });
        let mut scope = Scope {
            cluster: 0,
            own: true,
            node_defaults: Attrs::new(),
            edge_defaults: Attrs::new(),
            graph_defaults: Attrs::new(),
        };
        self.stmt_list(&mut scope, 0, open, "graph", &mut Mentioned::default())?;
        if self.peek().tok != Tok::Eof {
            return Err(error(
                self.line(),
                format!(
                    "unexpected {} after the end of the graph (one graph per text)",
                    self.found()
                ),
            ));
        }
        Ok(())
    }

    /// Statements up to and including the `}` that closes what opened on line `open`.
    fn stmt_list(
        &mut self,
        scope: &mut Scope,
        depth: usize,
        open: usize,
        what: &str,
        mentioned: &mut Mentioned,
    ) -> Result<(), Error> {
        loop {
            match &self.peek().tok {
                Tok::Punct("}") => {
                    self.bump();
                    return Ok(());
                }
                Tok::Punct(";") => {
                    self.bump();
                }
                Tok::Eof => {
                    return Err(
                        self.unexpected(&format!("`}}` to close the {what} opened on line {open}"))
                    );
                }
                _ => self.stmt(scope, depth, mentioned)?,
            }
        }
    }

    fn stmt(
        &mut self,
        scope: &mut Scope,
        depth: usize,
        mentioned: &mut Mentioned,
    ) -> Result<(), Error> {
        match self.keyword() {
            Some(kw @ ("graph" | "node" | "edge")) => {
                self.bump();
                if !self.is_punct("[") {
                    return Err(self.unexpected(&format!("`[` after `{kw}`")));
                }
                let attrs = self.attr_lists()?;
                let defaults = match kw {
                    "graph" => {
                        for (k, v) in attrs {
                            self.set_graph_attr(scope, k, v);
                        }
                        return Ok(());
                    }
                    "node" => &mut scope.node_defaults,
                    _ => &mut scope.edge_defaults,
                };
                defaults.extend(attrs);
                Ok(())
            }
            Some("subgraph") => {
                let nodes = self.subgraph(scope, depth, mentioned)?;
                self.edge_rest(scope, depth, nodes, mentioned)
            }
            Some(kw) => Err(error(
                self.line(),
                format!("unexpected keyword `{kw}` (quote it to use it as a name)"),
            )),
            None if self.is_punct("{") => {
                let nodes = self.subgraph(scope, depth, mentioned)?;
                self.edge_rest(scope, depth, nodes, mentioned)
            }
            None if matches!(self.peek().tok, Tok::Id { .. }) => {
                let id = self.id()?;
                if self.is_punct("=") {
                    self.bump();
                    let value = self.value(&id)?;
                    self.set_graph_attr(scope, id, value);
                    return Ok(());
                }
                self.port()?;
                let n = self.mention(id, scope, mentioned);
                if self.is_punct("->") || self.is_punct("--") {
                    return self.edge_rest(scope, depth, vec![n], mentioned);
                }
                let attrs = self.attr_lists()?;
                if let Some(node) = self.graph.nodes.get_mut(n) {
                    node.attrs.extend(attrs);
                }
                Ok(())
            }
            None => {
                Err(self.unexpected("a statement (a node, an edge, an attribute or a subgraph)"))
            }
        }
    }

    /// After the first endpoint of a possible edge statement (`first`): the rest of the chain
    /// and its attributes. Without an edge operator (a lone subgraph), nothing.
    fn edge_rest(
        &mut self,
        scope: &mut Scope,
        depth: usize,
        first: Vec<usize>,
        mentioned: &mut Mentioned,
    ) -> Result<(), Error> {
        let mut ends = vec![first];
        while let Tok::Punct(op @ ("->" | "--")) = self.peek().tok {
            if self.graph.directed && op == "--" {
                return Err(error(self.line(), "`--` in a `digraph`; use `->` (or write `graph`)"));
            }
            if !self.graph.directed && op == "->" {
                return Err(error(
                    self.line(),
                    "`->` in an undirected `graph`; use `--` (or write `digraph`)",
                ));
            }
            self.bump();
            let end = match self.keyword() {
                Some("subgraph") => self.subgraph(scope, depth, mentioned)?,
                Some(kw) => {
                    return Err(error(
                        self.line(),
                        format!("expected a node after `{op}`, found the keyword `{kw}`"),
                    ));
                }
                None if self.is_punct("{") => self.subgraph(scope, depth, mentioned)?,
                None if matches!(self.peek().tok, Tok::Id { .. }) => {
                    let id = self.id()?;
                    self.port()?;
                    vec![self.mention(id, scope, mentioned)]
                }
                None => {
                    return Err(self.unexpected(&format!("a node or a subgraph after `{op}`")));
                }
            };
            ends.push(end);
        }
        if ends.len() == 1 {
            return Ok(());
        }
        let attrs = self.attr_lists()?;
        for pair in ends.windows(2) {
            for &tail in &pair[0] {
                for &head in &pair[1] {
                    self.add_edge(tail, head, scope, &attrs);
                }
            }
        }
        Ok(())
    }

    fn add_edge(&mut self, tail: usize, head: usize, scope: &Scope, attrs: &[(String, String)]) {
        let key = if self.graph.directed { (tail, head) } else { (tail.min(head), tail.max(head)) };
        if self.strict
            && let Some(edge) = self.edge_ids.get(&key).and_then(|&e| self.graph.edges.get_mut(e))
        {
            edge.attrs.extend(attrs.iter().cloned());
            return;
        }
        let mut all = scope.edge_defaults.clone();
        all.extend(attrs.iter().cloned());
        self.edge_ids.insert(key, self.graph.edges.len());
        self.graph.edges.push(Edge { tail, head, attrs: all });
    }

    /// `[subgraph [ID]] { stmt_list }`; returns the nodes mentioned inside.
    fn subgraph(
        &mut self,
        scope: &mut Scope,
        depth: usize,
        mentioned: &mut Mentioned,
    ) -> Result<Vec<usize>, Error> {
        if depth >= MAX_DEPTH {
            return Err(error(
                self.line(),
                format!("subgraphs nested more than {MAX_DEPTH} deep are not supported"),
            ));
        }
        let mut name = None;
        if self.keyword() == Some("subgraph") {
            self.bump();
            if matches!(self.peek().tok, Tok::Id { .. }) && self.keyword().is_none() {
                name = Some(self.id()?);
            }
        }
        if !self.is_punct("{") {
            let what = match &name {
                Some(n) => format!("`{{` after `subgraph {}`", shorten(n)),
                None => "`{` after `subgraph`".to_string(),
            };
            return Err(self.unexpected(&what));
        }
        let open = self.bump().line;
        let mut graph_defaults = scope.graph_defaults.clone();
        graph_defaults.remove("label");
        let mut inner = Scope {
            cluster: scope.cluster,
            own: false,
            node_defaults: scope.node_defaults.clone(),
            edge_defaults: scope.edge_defaults.clone(),
            graph_defaults,
        };
        if let Some(name) =
            name.filter(|n| n.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("cluster")))
        {
            inner.cluster = self.cluster(name, scope.cluster, &inner.graph_defaults);
            inner.own = true;
        }
        let mut inside = Mentioned::default();
        self.stmt_list(&mut inner, depth + 1, open, "subgraph", &mut inside)?;
        for &n in &inside.list {
            mentioned.add(n);
        }
        Ok(inside.list)
    }

    /// The cluster `name` directly inside `parent`: the one opened before, or a new one.
    fn cluster(&mut self, name: String, parent: usize, defaults: &Attrs) -> usize {
        let existing = self.graph.clusters.get(parent).and_then(|p| {
            p.members.iter().find_map(|m| match *m {
                Member::Cluster(k)
                    if self.graph.clusters.get(k).is_some_and(|c| c.name == name) =>
                {
                    Some(k)
                }
                _ => None,
            })
        });
        if let Some(k) = existing {
            return k;
        }
        let k = self.graph.clusters.len();
        self.graph.clusters.push(Cluster {
            name,
            parent: Some(parent),
            attrs: defaults.clone(),
            members: Vec::new(),
        });
        if let Some(p) = self.graph.clusters.get_mut(parent) {
            p.members.push(Member::Cluster(k));
        }
        k
    }

    fn set_graph_attr(&mut self, scope: &mut Scope, key: String, value: String) {
        if scope.own
            && let Some(c) = self.graph.clusters.get_mut(scope.cluster)
        {
            c.attrs.insert(key.clone(), value.clone());
        }
        scope.graph_defaults.insert(key, value);
    }

    /// The node `id`, created in the scope's cluster with its node defaults if it is new.
    fn mention(&mut self, id: String, scope: &Scope, mentioned: &mut Mentioned) -> usize {
        let n = match self.node_ids.get(&id) {
            Some(&n) => n,
            None => {
                let n = self.graph.nodes.len();
                self.node_ids.insert(id.clone(), n);
                self.graph.nodes.push(Node {
                    id,
                    attrs: scope.node_defaults.clone(),
                    cluster: scope.cluster,
                });
                if let Some(c) = self.graph.clusters.get_mut(scope.cluster) {
                    c.members.push(Member::Node(n));
                }
                n
            }
        };
        mentioned.add(n);
        n
    }

    /// An ID, quoted strings joined by `+` included.
    fn id(&mut self) -> Result<String, Error> {
        let (mut text, quoted) = match self.bump().tok {
            Tok::Id { text, quoted } => (text, quoted),
            other => {
                self.pos -= 1;
                return Err(error(
                    self.line(),
                    format!("expected a name, found {}", other.describe()),
                ));
            }
        };
        while quoted && self.is_punct("+") {
            self.bump();
            match self.bump().tok {
                Tok::Id { text: more, quoted: true } => text.push_str(&more),
                other => {
                    self.pos -= 1;
                    return Err(error(
                        self.line(),
                        format!("expected a quoted string after `+`, found {}", other.describe()),
                    ));
                }
            }
        }
        Ok(text)
    }

    /// The value after `key =`.
    fn value(&mut self, key: &str) -> Result<String, Error> {
        if matches!(self.peek().tok, Tok::Id { .. }) {
            self.id()
        } else {
            Err(self.unexpected(&format!("a value after `{} =`", shorten(key))))
        }
    }

    /// `[: ID [: ID]]` after a node id (ignored).
    fn port(&mut self) -> Result<(), Error> {
        for _ in 0..2 {
            if !self.is_punct(":") {
                break;
            }
            self.bump();
            if !matches!(self.peek_at(0).tok, Tok::Id { .. }) {
                return Err(self.unexpected("a port name after `:`"));
            }
            self.bump();
        }
        Ok(())
    }

    /// `[a=b, c=d; e=f][...]...`, possibly none.
    fn attr_lists(&mut self) -> Result<Vec<(String, String)>, Error> {
        let mut attrs = Vec::new();
        while self.is_punct("[") {
            let open = self.bump().line;
            loop {
                match &self.peek().tok {
                    Tok::Punct("]") => {
                        self.bump();
                        break;
                    }
                    Tok::Id { .. } => {
                        let key = self.id()?;
                        if !self.is_punct("=") {
                            return Err(self.unexpected(&format!(
                                "`=` after attribute name `{}`",
                                shorten(&key)
                            )));
                        }
                        self.bump();
                        let value = self.value(&key)?;
                        attrs.push((key, value));
                        if self.is_punct(",") || self.is_punct(";") {
                            self.bump();
                        }
                    }
                    Tok::Eof => {
                        return Err(self.unexpected(&format!(
                            "`]` to close the attribute list opened on line {open}"
                        )));
                    }
                    _ => return Err(self.unexpected("an attribute name or `]`")),
                }
            }
        }
        Ok(attrs)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges, node, pairs, parse_err, parse_ok};
    use super::*;
    use crate::graph::tests::WAVE;

    #[test]
    fn nodes_edges_and_attributes() {
        let g = parse_ok(WAVE);
        assert!(g.directed);
        assert_eq!(g.name, "wave");
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["p0", "p1", "n0", "n1", "n2", "v3", "n4", "n5", "r"]);
        let p0 = node(&g, "p0");
        assert_eq!(p0.attrs["label"], "x");
        assert_eq!(p0.attrs["shape"], "box");
        assert_eq!(p0.attrs["style"], "filled");
        assert_eq!(p0.attrs["fontname"], "Helvetica", "node defaults apply");
        assert_eq!(
            edges(&g),
            pairs(&[
                ("p0", "n0"),
                ("n0", "n1"),
                ("p1", "n1"),
                ("n1", "n2"),
                ("n2", "v3"),
                ("n4", "v3"),
                ("v3", "r")
            ])
        );
        assert_eq!(g.edges[5].attrs["constraint"], "false");
        assert_eq!(g.edges[5].attrs["style"], "dashed");
        assert!(g.edges[0].attrs.is_empty());
        assert_eq!(g.clusters[0].attrs["label"], "wave");
        assert_eq!(g.clusters[0].attrs["labelloc"], "t");
    }

    #[test]
    fn clusters_nest_and_hold_their_nodes() {
        let g = parse_ok(WAVE);
        assert_eq!(g.clusters.len(), 3);
        let (lp, br) = (&g.clusters[1], &g.clusters[2]);
        assert_eq!((lp.name.as_str(), lp.parent), ("cluster_loop_0", Some(0)));
        assert_eq!((br.name.as_str(), br.parent), ("cluster_branch_1", Some(1)));
        assert_eq!(lp.attrs["label"], "for i in 0..n");
        assert_eq!(br.attrs["label"], "if s > 1.0");
        assert!(!lp.attrs.contains_key("labelloc") || lp.attrs["labelloc"] == "t");
        assert_eq!(node(&g, "v3").cluster, 1);
        assert_eq!(node(&g, "n4").cluster, 1);
        assert_eq!(node(&g, "n5").cluster, 2);
        assert_eq!(node(&g, "r").cluster, 0);
        assert_eq!(lp.members, [Member::Node(5), Member::Node(6), Member::Cluster(2)]);
        assert_eq!(
            g.clusters[0].members,
            [0, 1, 2, 3, 4]
                .map(Member::Node)
                .into_iter()
                .chain([Member::Cluster(1), Member::Node(8)])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_node_belongs_where_it_is_first_mentioned() {
        let g = parse_ok(
            "digraph { a; subgraph cluster_x { a; b; subgraph plain { c } } c -> d; \
             subgraph cluster_y { d; b } }",
        );
        assert_eq!(node(&g, "a").cluster, 0);
        assert_eq!(node(&g, "b").cluster, 1);
        assert_eq!(node(&g, "c").cluster, 1, "a non-cluster subgraph is only a scope");
        assert_eq!(node(&g, "d").cluster, 0);
        assert_eq!(g.clusters.len(), 3);
        assert!(g.clusters[2].members.is_empty());
    }

    #[test]
    fn defaults_apply_to_later_statements_in_their_scope() {
        let g = parse_ok(
            r#"digraph G {
                a;
                node [shape=box]; edge [color=red];
                b -> c;
                subgraph cluster_1 { node [style=filled]; d -> e [color=blue]; }
                f;
                graph [label="G"];
                subgraph cluster_2 { graph [color=grey] g }
            }"#,
        );
        assert!(!node(&g, "a").attrs.contains_key("shape"));
        for id in ["b", "c", "d", "e", "f", "g"] {
            assert_eq!(node(&g, id).attrs["shape"], "box", "{id}");
        }
        assert_eq!(node(&g, "d").attrs["style"], "filled");
        assert!(!node(&g, "f").attrs.contains_key("style"), "the cluster's default stays inside");
        assert_eq!(g.edges[0].attrs["color"], "red");
        assert_eq!(g.edges[1].attrs["color"], "blue");
        assert_eq!(g.clusters[0].attrs["label"], "G");
        assert!(!g.clusters[2].attrs.contains_key("label"), "no title inherited");
        assert_eq!(g.clusters[2].attrs["color"], "grey");
    }

    #[test]
    fn chains_and_subgraph_endpoints() {
        let g = parse_ok("graph { a -- b -- c [color=red]; a -- { x y } }");
        assert!(!g.directed);
        assert_eq!(edges(&g), pairs(&[("a", "b"), ("b", "c"), ("a", "x"), ("a", "y")]));
        assert_eq!(g.edges[0].attrs["color"], "red");
        assert_eq!(g.edges[1].attrs["color"], "red");
        assert!(g.edges[2].attrs.is_empty());
    }

    #[test]
    fn errors_name_the_line_and_what_was_wrong() {
        let (line, msg) = parse_err("digraph {\n  a -> b;\n  subgraph cluster_x { c\n");
        assert_eq!(line, 4);
        assert!(msg.contains("expected `}`") && msg.contains("line 3"), "{msg}");
        assert!(msg.contains("end of input"), "{msg}");

        let (line, msg) = parse_err("hello world");
        assert_eq!(line, 1);
        assert_eq!(msg, "expected `digraph` or `graph` at the start of the text, found `hello`");

        let (line, msg) = parse_err("digraph {\n\n a [color=red =];\n}");
        assert_eq!(line, 3);
        assert_eq!(msg, "expected an attribute name or `]`, found `=`");

        let (line, msg) = parse_err("digraph {\n a [color];\n}");
        assert_eq!(line, 2);
        assert_eq!(msg, "expected `=` after attribute name `color`, found `]`");

        let (line, msg) = parse_err("digraph { a [color=red\n");
        assert_eq!(line, 2);
        assert!(msg.contains("`]` to close the attribute list opened on line 1"), "{msg}");

        let (_, msg) = parse_err("digraph { a -- b }");
        assert!(msg.contains("`--` in a `digraph`"), "{msg}");
        let (_, msg) = parse_err("graph { a -> b }");
        assert!(msg.contains("`->` in an undirected `graph`"), "{msg}");
        let (_, msg) = parse_err("digraph { a -> ; }");
        assert_eq!(msg, "expected a node or a subgraph after `->`, found `;`");
        let (_, msg) = parse_err("digraph { a } digraph { b }");
        assert!(msg.contains("after the end of the graph"), "{msg}");
        let (_, msg) = parse_err("digraph { subgraph x y }");
        assert!(msg.contains("`{` after `subgraph x`"), "{msg}");
        let (_, msg) = parse_err("digraph { node }");
        assert!(msg.contains("`[` after `node`"), "{msg}");
        let (_, msg) = parse_err("digraph { a = }");
        assert!(msg.contains("a value after `a =`"), "{msg}");
    }

    #[test]
    fn nesting_has_a_limit_instead_of_a_stack_overflow() {
        let deep = format!("digraph {{ {} a {} }}", "{ ".repeat(1000), "} ".repeat(1000));
        let (_, msg) = parse_err(&deep);
        assert!(msg.contains("nested more than"), "{msg}");
        let fine = format!("digraph {{ {} a {} }}", "{ ".repeat(50), "} ".repeat(50));
        assert_eq!(parse_ok(&fine).nodes.len(), 1);
    }
}
