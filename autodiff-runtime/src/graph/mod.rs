//! Graphviz DOT text drawn as SVG, in pure Rust: [`to_svg`]; and the reverse sweep of a graph
//! that `f_graph()` wrote: [`adjoint`](fn@adjoint).
//!
//! Made for the DOT text that `#[differentiable(graph)]` writes (`f_graph()`), and it reads
//! reasonable hand-written DOT too, with no Graphviz installed. The drawing is top to bottom:
//! nodes in layers along the edges, clusters (`subgraph cluster_…`) as boxes that hold their
//! nodes and nothing else, edges as curves that pass beside the nodes rather than through them.
//!
//! ```
//! use autodiff_runtime::graph::to_svg;
//!
//! let svg = to_svg(
//!     r#"digraph "wave" {
//!         label="wave";
//!         x [shape=box, style=filled];
//!         c [shape=box, style=dashed];
//!         subgraph cluster_loop { label="for i in 0..n"; s [label="sin"]; m [label="mul"]; }
//!         x -> s -> m; c -> m [style=dashed];
//!     }"#,
//! )?;
//! assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
//! assert!(svg.contains("<title>x</title>") && svg.contains(">sin</text>"));
//! assert!(svg.contains(">for i in 0..n</text>"));
//!
//! // What it cannot read is an error that names the line.
//! let err = to_svg("digraph {\n  a -> b [color=red;\n").unwrap_err();
//! assert!(matches!(err, autodiff_runtime::Error::Graph { line: 3, .. }), "{err}");
//! # Ok::<(), autodiff_runtime::Error>(())
//! ```
//!
//! What is read: `digraph`/`graph` (optionally `strict`) with an optional id; node and edge
//! statements (chains `a -> b -> c`, `--` in a `graph`, anonymous `{ a b }` subgraphs as
//! ends), attribute lists (`[a=b, c="d"; e=f]`, several in a row), `graph`/`node`/`edge`
//! defaults (for later statements in their scope), `id = value` graph attributes, subgraphs to
//! any depth up to 100 (those named `cluster…` are drawn as boxes; the others only scope
//! defaults), quoted strings (`\"`, `+` to join them; `\n`, `\l`, `\r` break label lines;
//! `\N` is the node's id), comments (`//`, `/* */`, `#` lines). Ports (`a:p`) are ignored.
//! HTML labels (`<...>`) are an error. A node belongs to the innermost cluster where it is
//! first mentioned.
//!
//! What is drawn: the graph's `label` as a title (`labelloc=b` puts it at the bottom);
//! cluster `label`s top-left (top-right where edges enter on the left; `labeljust`,
//! `labelloc`), over the edges with a halo; edge `label`s beside their edge, in a layer of
//! their own; node `shape`s `ellipse` (the default), `box`/`rect`/`rectangle`/`square`,
//! `circle`, `doublecircle`, `point`, `diamond`, `plaintext`/`plain`/`none` (others are drawn
//! as ellipses); `style` `filled`, `dashed`, `dotted`, `bold`, `rounded`, `invis`; `color`,
//! `fillcolor`, `fontcolor`, `bgcolor`, `pencolor` (X11/CSS names, `#rrggbb`, HSV);
//! `fontsize`, `penwidth`, `width`/`height` (as minimum sizes); for edges `dir`,
//! `arrowhead=none`, `arrowtail=none`, `constraint=false` (not used to layer the nodes); the
//! graph's `nodesep`, `ranksep`. Other attributes (`rankdir`, `rank`, `splines`, record
//! labels, ...) are ignored. Text widths are estimated (no font metrics): the drawing leaves
//! room for Helvetica or Arial.

mod adjoint;
mod dot;
mod layout;
mod svg;

use crate::Error;

pub use adjoint::adjoint;

/// Draws DOT text as an SVG document (a `<svg>` element with a white background).
///
/// Each node, edge and cluster is a `<g class="node">`, `<g class="edge">` or
/// `<g class="cluster">` whose `<title>` holds its DOT id (`a->b` for an edge), shown as a
/// tooltip. The same text always gives the same SVG.
///
/// # Errors
///
/// [`Error::Graph`], with the line and what was wrong, for text that is not DOT or uses what
/// this renderer does not support (HTML labels, subgraphs nested more than 100 deep).
///
/// ```
/// let svg = autodiff_runtime::graph::to_svg("graph { a -- b -- c; a -- c }")?;
/// assert_eq!(svg.matches("<g class=\"node\">").count(), 3);
/// assert_eq!(svg.matches("<g class=\"edge\">").count(), 3);
/// # Ok::<(), autodiff_runtime::Error>(())
/// ```
pub fn to_svg(dot: &str) -> Result<String, Error> {
    let graph = dot::parse(dot)?;
    let drawing = layout::layout(&graph);
    Ok(svg::write(&graph, &drawing))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The kind of DOT text `#[differentiable(graph)]` writes.
    pub(crate) const WAVE: &str = r#"digraph "wave" {
  label="wave"; labelloc=t;
  node [fontname="Helvetica"];
  p0 [label="x", shape=box, style=filled];
  p1 [label="c", shape=box, style=dashed];
  n0 [label="sin", style=filled];
  n1 [label="mul", style=filled];
  n2 [label="add"];
  subgraph cluster_loop_0 {
    label="for i in 0..n";
    v3 [label="s", shape=box];
    n4 [label="mul"];
    subgraph cluster_branch_1 { label="if s > 1.0"; n5 [label="sqrt"]; }
  }
  r [label="result", shape=box, style=filled];
  p0 -> n0; n0 -> n1; p1 -> n1 -> n2 -> v3; n4 -> v3 [style=dashed, constraint=false];
  v3 -> r;
}
"#;

    /// A damped oscillator: a loop carrying `x` and `v`, a branch with two arms inside it.
    pub(crate) const DAMPED: &str = r##"digraph "damped" {
  label="damped"; labelloc=t;
  node [fontname="Helvetica"];
  p0 [label="x0", shape=box, style=filled];
  p1 [label="k", shape=box, style=filled];
  p2 [label="steps", shape=box, style=dashed];
  n3 [label="dt = 0.1", shape=plaintext, style=dashed];
  subgraph cluster_loop_0 {
    label="for _ in 0..steps";
    i0 [label="count", shape=plaintext];
    v4 [label="x", shape=box, style=filled, fillcolor="#cfe2ff"];
    k0 [label="0.0", shape=plaintext];
    v5 [label="v", shape=box, style=filled, fillcolor="#cfe2ff"];
    n6 [label="neg", style=filled, fillcolor="#cfe2ff"];
    n7 [label="mul", style=filled, fillcolor="#cfe2ff"];
    k1 [label="0.5", shape=plaintext];
    n8 [label="mul", style=filled, fillcolor="#cfe2ff"];
    n9 [label="sub", style=filled, fillcolor="#cfe2ff"];
    n10 [label="mul", style=filled, fillcolor="#cfe2ff"];
    n11 [label="add", style=filled, fillcolor="#cfe2ff"];
    n12 [label="mul", style=filled, fillcolor="#cfe2ff"];
    n13 [label="add", style=filled, fillcolor="#cfe2ff"];
    subgraph cluster_branch_1 {
      label="if x.abs() > 10.0";
      b1 [label="if", shape=diamond, style=dashed];
      subgraph cluster_branch_1_arm_0 {
        label="then";
        n14 [label="signum", style=dashed];
        k2 [label="10.0", shape=plaintext];
        n15 [label="mul", style=dashed];
      }
      subgraph cluster_branch_1_arm_1 {
        label="else";
        n16 [label="min", style=filled, fillcolor="#cfe2ff"];
      }
      v17 [label="x", shape=box, style=filled, fillcolor="#cfe2ff"];
    }
  }
  n18 [label="mul", style=filled, fillcolor="#cfe2ff"];
  result [label="result", shape=box, style=filled, fillcolor="#cfe2ff"];
  p2 -> i0 [style=dashed];
  p0 -> v4;
  k0 -> v5 [style=dashed];
  p1 -> n6;
  n6 -> n7;
  v4 -> n7;
  k1 -> n8 [style=dashed];
  v5 -> n8;
  n7 -> n9;
  n8 -> n9;
  n9 -> n10;
  n3 -> n10 [style=dashed];
  v5 -> n11;
  n10 -> n11;
  n11 -> n12;
  n3 -> n12 [style=dashed];
  v4 -> n13;
  n12 -> n13;
  n13 -> b1 [style=dashed];
  n13 -> n14 [style=dashed];
  n14 -> n15 [style=dashed];
  k2 -> n15 [style=dashed];
  n13 -> n16;
  n15 -> v17;
  n16 -> v17;
  v17 -> v4 [constraint=false, style=dashed];
  n11 -> v5 [constraint=false, style=dashed];
  v4 -> n18;
  v4 -> n18;
  n18 -> result;
}
"##;

    /// Hand-written: edges into and out of nested clusters, a back edge, a self-loop, labels.
    pub(crate) const NESTED: &str = r#"digraph nested {
  a -> b; a -> c;
  subgraph cluster_outer {
    label="outer";
    d; b2;
    b2 -> d;
    subgraph cluster_inner { label="inner"; e; f; d -> e; e -> f; f -> d [constraint=false]; }
    subgraph cluster_side { label="side\nof two lines"; g [shape=circle]; h [shape=diamond]; g -> h [label="g to h"]; }
  }
  b -> b2; c -> g;
  e -> i; h -> i; i -> a; i -> i; c -> j; j -> k [label="long\nlabel"]; k -> e [color=red];
  x; y; x -> y [constraint=false];
}
"#;

    /// Asserts that `svg` is one well-formed `<svg>` element: balanced tags, quoted
    /// attributes, escaped text.
    pub(crate) fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"), "{svg}");
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        let check_text = |text: &str| {
            assert!(!text.contains('>'), "a bare `>` in {text:?}");
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;"].iter().any(|e| entity.starts_with(e)),
                    "a bare `&` in {text:?}"
                );
            }
        };
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt]);
            assert!(!open.is_empty() || lt == 0, "text outside the root element");
            let gt = rest[lt..].find('>').expect("a closed tag") + lt;
            let tag = &rest[lt + 1..gt];
            assert!(!tag.contains('<'), "`<` inside the tag {tag:?}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in {tag:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name.trim()), "mismatched </{name}>");
            } else {
                let name = tag.split_whitespace().next().unwrap_or("").trim_end_matches('/');
                assert!(!name.is_empty(), "an empty tag");
                assert!(!open.is_empty() || name == "svg", "a second root element <{name}>");
                if !tag.ends_with('/') {
                    open.push(name);
                }
            }
            rest = &rest[gt + 1..];
            if open.is_empty() {
                break;
            }
        }
        assert!(open.is_empty(), "unclosed: {open:?}");
        assert_eq!(rest.trim(), "", "text after the root element");
    }

    #[test]
    fn the_well_formedness_check_catches_mistakes() {
        for bad in [
            "<svg ><g></svg>\n",
            "<svg ><g></g>\n",
            "<svg ><text>a & b</text></svg>\n",
            "<svg ><rect x=\"1/></svg>\n",
            "<svg ></svg>\n<svg ></svg>\n",
        ] {
            assert!(std::panic::catch_unwind(|| assert_well_formed(bad)).is_err(), "{bad}");
        }
        assert_well_formed("<svg a=\"b\"><g><title>x &amp; y</title><rect/></g></svg>\n");
    }

    #[test]
    fn errors_come_back_with_their_line() {
        let err = to_svg("digraph {\n  a -> b;\n  c [label=<b>];\n}").unwrap_err();
        assert_eq!(
            err,
            Error::Graph {
                line: 3,
                message: "HTML labels are not supported (found `<`); use a quoted string".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "DOT text, line 3: HTML labels are not supported (found `<`); use a quoted string"
        );
        assert!(matches!(to_svg(""), Err(Error::Graph { line: 1, .. })));
    }

    #[test]
    fn the_same_text_gives_the_same_svg() {
        for text in [WAVE, DAMPED, NESTED] {
            assert_eq!(to_svg(text).expect("draws"), to_svg(text).expect("draws"));
        }
    }

    #[test]
    fn no_input_panics() {
        // Every prefix of valid texts.
        for text in [WAVE, DAMPED, NESTED] {
            for (i, _) in text.char_indices() {
                if let Ok(svg) = to_svg(&text[..i]) {
                    assert_well_formed(&svg);
                }
            }
        }
        // Random statements from DOT's pieces: many parse, and are laid out and drawn.
        let pieces = [
            "a",
            "b",
            "c",
            "d",
            "e",
            " -> ",
            " -- ",
            "{",
            "}",
            "[",
            "]",
            "=",
            ";",
            ",",
            "\"x\\\"y\"",
            "subgraph ",
            "cluster_",
            "node ",
            "edge ",
            "graph ",
            "label",
            "constraint=false",
            "style=filled",
            "shape=point",
            "\n",
            "// c\n",
            "/*",
            "*/",
            ":p",
            "+",
            "\\n",
            "strict ",
            "0.5",
            "-",
            "x -> x",
            "{ a b }",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut drawn = 0;
        for round in 0..1500 {
            let mut text = String::from(if round % 2 == 0 {
                "digraph {"
            } else {
                "digraph { subgraph cluster_a {"
            });
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            text.push_str(if round % 2 == 0 { "}" } else { "}}" });
            if let Ok(svg) = to_svg(&text) {
                assert_well_formed(&svg);
                drawn += 1;
            }
        }
        assert!(drawn > 50, "only {drawn} random texts parsed");
    }
}
