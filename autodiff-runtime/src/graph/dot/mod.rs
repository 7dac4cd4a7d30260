//! DOT text to a [`Graph`] (<https://graphviz.org/doc/info/lang.html>): this file holds the
//! parsed graph's types, which the layout and the drawing read, and helpers to read their
//! attributes; `lex.rs` splits the text into tokens, `parse.rs` reads them by recursive descent.
//!
//! Every error is an [`Error::Graph`] with the 1-based line where the text stops making sense.

mod lex;
mod parse;

pub(super) use parse::parse;

use crate::Error;
use std::collections::BTreeMap;

/// Subgraphs nested deeper than this are refused, so that the recursive parser and layout stay
/// well within any thread's stack whatever the input.
pub(super) const MAX_DEPTH: usize = 100;

/// Attributes by name (a later value replaces an earlier one).
pub(super) type Attrs = BTreeMap<String, String>;

/// A parsed graph. Cluster 0 is the root graph itself; every other cluster is a
/// `subgraph cluster…` with the cluster that encloses it as parent.
#[derive(Debug)]
pub(super) struct Graph {
    /// `digraph` (edges have arrowheads) rather than `graph`.
    pub directed: bool,
    /// The graph's id, empty if it has none.
    pub name: String,
    /// In the order of their first mention.
    pub nodes: Vec<Node>,
    /// In the order of their statements.
    pub edges: Vec<Edge>,
    /// The root graph (index 0), then the clusters in the order they open.
    pub clusters: Vec<Cluster>,
}

/// A node.
#[derive(Debug)]
pub(super) struct Node {
    /// Its DOT id.
    pub id: String,
    /// Its attributes, the defaults in force at its first mention included.
    pub attrs: Attrs,
    /// The innermost cluster where it was first mentioned.
    pub cluster: usize,
}

/// An edge between two nodes (by index).
#[derive(Debug)]
pub(super) struct Edge {
    /// The node it leaves.
    pub tail: usize,
    /// The node it enters.
    pub head: usize,
    /// Its attributes, the defaults in force at its statement included.
    pub attrs: Attrs,
}

/// The root graph or a cluster.
#[derive(Debug)]
pub(super) struct Cluster {
    /// The subgraph's id (the graph's for the root).
    pub name: String,
    /// The enclosing cluster; `None` for the root.
    pub parent: Option<usize>,
    /// Its graph attributes (`label`, `style`, ...).
    pub attrs: Attrs,
    /// Its own nodes and its child clusters, in the order of their first mention.
    pub members: Vec<Member>,
}

/// What a cluster holds directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Member {
    /// A node, by index.
    Node(usize),
    /// A child cluster, by index.
    Cluster(usize),
}

/// The attribute `key`, if set.
pub(super) fn attr<'a>(attrs: &'a Attrs, key: &str) -> Option<&'a str> {
    attrs.get(key).map(String::as_str)
}

/// The attribute `key` as a finite number within `lo..=hi` (its first word: `ranksep="0.5
/// equally"`).
pub(super) fn number(attrs: &Attrs, key: &str, lo: f64, hi: f64) -> Option<f64> {
    let v: f64 = attr(attrs, key)?.split_whitespace().next()?.parse().ok()?;
    v.is_finite().then(|| v.clamp(lo, hi))
}

fn error(line: usize, message: impl Into<String>) -> Error {
    Error::Graph { line, message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::WAVE;

    pub(super) fn parse_ok(text: &str) -> Graph {
        match parse(text) {
            Ok(g) => g,
            Err(e) => panic!("{e}\nin\n{text}"),
        }
    }

    pub(super) fn parse_err(text: &str) -> (usize, String) {
        match parse(text) {
            Ok(g) => panic!("parsed {g:?}\nfrom\n{text}"),
            Err(Error::Graph { line, message }) => (line, message),
            Err(e) => panic!("not a graph error: {e}"),
        }
    }

    pub(super) fn node<'g>(g: &'g Graph, id: &str) -> &'g Node {
        g.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| panic!("no node {id}"))
    }

    pub(super) fn edges(g: &Graph) -> Vec<(String, String)> {
        g.edges.iter().map(|e| (g.nodes[e.tail].id.clone(), g.nodes[e.head].id.clone())).collect()
    }

    pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn every_prefix_parses_or_fails_without_panicking() {
        for text in [WAVE, "strict graph \"g\" { a -- {b c} [x=\"y\\\"\" + \"z\"]; /* c */ }"] {
            for (i, _) in text.char_indices() {
                let _ = parse(&text[..i]);
            }
        }
        let _ = parse("");
        let _ = parse("\u{feff}");
    }
}
