//! [`adjoint`]: the reverse sweep of a graph that `#[differentiable(graph)]` wrote.

use super::dot::{self, Attrs, Graph, Member};
use crate::Error;
use std::fmt::Write as _;

/// The reverse sweep (what `f_vjp` computes) of the forward graph `dot` that `f_graph()`
/// wrote, as DOT text: the result's adjoint (`seed`) at the top flows back through the
/// derivative of every operation that carries one (`mul'`, `sin'`) into the adjoint of every
/// active parameter (`x_bar`), each edge of the forward graph that carries a derivative turned
/// around. Constants, inactive expressions and operations without a derivative are left out;
/// loops and branches stay clusters (a loop's adjoint runs its iterations backwards).
///
/// It reads the conventions of `f_graph()`'s text: filled nodes carry a derivative, `result`
/// is the result, boxes are values (parameters, carried variables), dashed edges carry no
/// derivative unless they bring a loop's value to its next iteration (`constraint=false`).
///
/// # Errors
///
/// [`Error::Graph`] when `dot` is not DOT text (see [`super::to_svg`]).
///
/// ```
/// let forward = r#"digraph "wave" {
///   p0 [label="x", shape=box, style=filled];
///   p1 [label="c", shape=box, style=dashed];
///   n2 [label="sin", style=filled];
///   n3 [label="mul", style=filled];
///   result [label="result", shape=box, style=filled];
///   p0 -> n2; n2 -> n3; p1 -> n3 [style=dashed]; n3 -> result;
/// }"#;
/// let backward = autodiff_runtime::graph::adjoint(forward)?;
/// assert!(backward.contains(r#"result [label="seed""#));
/// assert!(backward.contains("result -> n3;") && backward.contains("n3 -> n2;"));
/// assert!(backward.contains(r#"p0 [label="x_bar""#) && !backward.contains("p1"));
/// # Ok::<(), autodiff_runtime::Error>(())
/// ```
pub fn adjoint(dot: &str) -> Result<String, Error> {
    let graph = dot::parse(dot)?;
    let carries = |attrs: &Attrs| {
        attrs.get("style").is_some_and(|s| s.split(',').any(|p| p.trim() == "filled"))
    };
    let active: Vec<bool> = graph.nodes.iter().map(|n| carries(&n.attrs)).collect();
    let kept_edges: Vec<&dot::Edge> = graph
        .edges
        .iter()
        .filter(|e| active[e.tail] && active[e.head] && e.tail != e.head)
        .filter(|e| {
            let dashed = e.attrs.get("style").is_some_and(|s| s.contains("dashed"));
            !dashed || e.attrs.get("constraint").is_some_and(|c| c == "false")
        })
        .collect();
    let mut kept = vec![false; graph.nodes.len()];
    for e in &kept_edges {
        kept[e.tail] = true;
        kept[e.head] = true;
    }
    let mut out = String::new();
    let name = &graph.name;
    let _ = writeln!(out, "digraph {} {{", quoted(&format!("{name} reverse")));
    let _ = writeln!(out, "  label={}; labelloc=t;", quoted(&format!("{name}: reverse sweep")));
    let _ = writeln!(out, "  node [fontname=\"Helvetica\"];");
    cluster(&graph, 0, &kept, 1, &mut out);
    for e in &kept_edges {
        let (from, to) = (&graph.nodes[e.head].id, &graph.nodes[e.tail].id);
        let attrs = if e.attrs.get("constraint").is_some_and(|c| c == "false") {
            " [constraint=false, style=dashed]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {} -> {}{attrs};", id(from), id(to));
    }
    out.push_str("}\n");
    Ok(out)
}

/// Writes the kept nodes of cluster `c` (its members in reverse order: the sweep runs
/// backwards) and its sub-clusters that hold any; whether it wrote anything.
fn cluster(graph: &Graph, c: usize, kept: &[bool], depth: usize, out: &mut String) -> bool {
    let pad = "  ".repeat(depth);
    let mut wrote = false;
    for member in graph.clusters[c].members.iter().rev() {
        match *member {
            Member::Node(n) if kept[n] => {
                let node = &graph.nodes[n];
                let label = node.attrs.get("label").cloned().unwrap_or_else(|| node.id.clone());
                let boxed = node.attrs.get("shape").is_some_and(|s| s == "box");
                let (label, shape) = if node.id == "result" {
                    ("seed".to_string(), ", shape=box")
                } else if boxed {
                    (format!("{label}_bar"), ", shape=box")
                } else {
                    (format!("{label}'"), "")
                };
                let _ = writeln!(
                    out,
                    "{pad}{} [label={}{shape}, style=filled, fillcolor=\"#ffe3c2\"];",
                    id(&node.id),
                    quoted(&label)
                );
                wrote = true;
            }
            Member::Node(_) => {}
            Member::Cluster(k) => {
                let mut inner = String::new();
                if cluster(graph, k, kept, depth + 1, &mut inner) {
                    let label = graph.clusters[k].attrs.get("label").cloned().unwrap_or_default();
                    let label = if graph.clusters[k].name.contains("loop") {
                        format!("{label}, backwards")
                    } else {
                        label
                    };
                    let _ = writeln!(out, "{pad}subgraph {} {{", id(&graph.clusters[k].name));
                    let _ = writeln!(out, "{pad}  label={};", quoted(&label));
                    out.push_str(&inner);
                    let _ = writeln!(out, "{pad}}}");
                    wrote = true;
                }
            }
        }
    }
    wrote
}

/// A DOT id: as is when it is a plain identifier, else quoted.
fn id(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with(|c: char| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { text.to_string() } else { quoted(text) }
}

/// `text` as a DOT string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::DAMPED;

    /// What `f_graph()` writes for `c * x.sin() + x + c` with `wrt(x)`.
    const WAVE: &str = r##"digraph "wave" {
  label="wave"; labelloc=t;
  node [fontname="Helvetica"];
  p0 [label="x", shape=box, style=filled];
  p1 [label="c", shape=box, style=dashed];
  n2 [label="sin", style=filled, fillcolor="#cfe2ff"];
  n3 [label="mul", style=filled, fillcolor="#cfe2ff"];
  n4 [label="add", style=filled, fillcolor="#cfe2ff"];
  n5 [label="add", style=filled, fillcolor="#cfe2ff"];
  result [label="result", shape=box, style=filled, fillcolor="#cfe2ff"];
  p0 -> n2;
  p1 -> n3 [style=dashed];
  n2 -> n3;
  n3 -> n4;
  p0 -> n4;
  n4 -> n5;
  p1 -> n5 [style=dashed];
  n5 -> result;
}
"##;

    #[test]
    fn reverses_the_edges_that_carry_derivatives() {
        let back = adjoint(WAVE).expect("reads");
        assert!(back.starts_with("digraph \"wave reverse\" {"), "{back}");
        // seed -> ... -> x_bar; c is constant: neither it nor its edges appear.
        assert!(back.contains("result [label=\"seed\", shape=box"), "{back}");
        assert!(back.contains("p0 [label=\"x_bar\", shape=box"), "{back}");
        assert!(!back.contains("p1"), "{back}");
        for (from, to) in [("result", "n5"), ("n5", "n4"), ("n4", "p0"), ("n2", "p0")] {
            assert!(back.contains(&format!("  {from} -> {to};")), "{from} -> {to} in\n{back}");
        }
        assert!(crate::graph::to_svg(&back).is_ok());
    }

    #[test]
    fn keeps_loops_as_clusters_running_backwards() {
        let back = adjoint(DAMPED).expect("reads");
        assert!(back.contains("subgraph cluster_loop_0 {"), "{back}");
        assert!(back.contains("label=\"for _ in 0..steps, backwards\";"), "{back}");
        // The carried values' edges back to the previous iteration are kept, turned around.
        assert!(back.contains("[constraint=false, style=dashed]"), "{back}");
        // Constants (dashed or plain text) are gone.
        assert!(!back.contains("dt = 0.1") && !back.contains("\"0.5\""), "{back}");
        crate::graph::tests::assert_well_formed(&crate::graph::to_svg(&back).expect("draws"));
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(matches!(adjoint("digraph { a -> }"), Err(Error::Graph { .. })));
    }
}
