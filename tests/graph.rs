//! `#[differentiable(graph)]`: the computation as Graphviz DOT text, written by the macro at
//! compile time (SEEDS S20), and rendered by `autodiff::graph::to_svg`.

use autodiff::prelude::*;

/// SEEDS S6: `c` constant.
#[differentiable(graph, wrt(x))]
fn wave(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

/// SEEDS S7: `c` active too.
#[differentiable(graph)]
fn wave_both(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

/// A loop and a branch, written as a physicist would.
#[differentiable(graph, hessian)]
fn damped(x0: f64, k: f64, steps: usize) -> f64 {
    let dt = 0.1;
    let mut x = x0;
    let mut v = 0.0;
    for _ in 0..steps {
        let a = -k * x - 0.5 * v;
        v += a * dt;
        x += v * dt;
        if x.abs() > 10.0 {
            x = x.signum() * 10.0;
        }
    }
    x * x
}

/// A helper called by name, a slice, a generic float type.
#[differentiable]
fn softplus<T: Real>(z: T) -> T {
    (T::from_f64(1.0) + z.exp()).ln()
}

#[differentiable(graph)]
#[allow(clippy::needless_range_loop)] // indexed, as people write it
fn total<T: Real>(w: &[T], bias: T) -> T {
    let mut s = bias;
    for i in 0..w.len() {
        s += softplus(w[i]) * w[i];
    }
    s
}

/// Methods of a type get `Type::method_graph()`.
struct Spring {
    k: f64,
}

#[differentiable(graph)]
impl Spring {
    fn energy(&self, x: f64, rest: f64) -> f64 {
        let d = x - rest;
        0.5 * self.k * d * d
    }
}

/// The attribute list of node `id` in `dot`, e.g. `label="x", shape=box, style=filled`.
fn attributes<'d>(dot: &'d str, id: &str) -> &'d str {
    let start = format!("  {id} [");
    let line = dot
        .lines()
        .find(|l| l.trim_start().starts_with(start.trim_start()))
        .unwrap_or_else(|| panic!("no node {id} in\n{dot}"));
    let open = line.find('[').expect("an attribute list");
    &line[open + 1..line.rfind(']').expect("a closed attribute list")]
}

/// The ids of the nodes labelled `label`.
fn labelled(dot: &str, label: &str) -> Vec<String> {
    let needle = format!("[label=\"{label}\"");
    dot.lines()
        .filter(|l| l.contains(&needle))
        .map(|l| l.trim_start().split(' ').next().unwrap_or_default().to_string())
        .collect()
}

/// Whether `dot` has an edge `from -> to`.
fn edge(dot: &str, from: &str, to: &str) -> bool {
    let start = format!("{from} -> {to}");
    dot.lines().any(|l| {
        let l = l.trim();
        l.strip_prefix(&start).is_some_and(|rest| rest.starts_with(';') || rest.starts_with(" ["))
    })
}

#[test]
fn s6_graph_is_exactly_the_computation() {
    // c * x.sin() + x + c with c constant: dashed c and dashed edges out of it.
    let expected = r##"digraph "wave" {
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
    assert_eq!(wave_graph(), expected);
}

#[test]
fn s7_marks_both_parameters_active() {
    let dot = wave_both_graph();
    for (id, name) in [("p0", "x"), ("p1", "c")] {
        let attrs = attributes(dot, id);
        assert!(attrs.contains(&format!("label=\"{name}\"")), "{attrs}");
        assert!(attrs.contains("style=filled"), "{name} is active: {attrs}");
    }
    assert!(!dot.contains("style=dashed"), "nothing is constant in\n{dot}");
    // The derivatives of the function itself are unchanged by `graph`.
    let (_, g) = wave_both_grad(5.0, 3.0);
    assert!((g.0 - (3.0 * 5f64.cos() + 1.0)).abs() < 1e-12);
    assert!((g.1 - (5f64.sin() + 1.0)).abs() < 1e-12);
}

#[test]
fn loops_and_branches_are_clusters_holding_their_bodies() {
    let dot = damped_graph();
    assert!(attributes(dot, "p0").contains("style=filled"));
    assert!(attributes(dot, "p1").contains("style=filled"));
    assert!(attributes(dot, "p2").contains("style=dashed"), "steps is an integer");
    let loop_at = dot.find("subgraph cluster_loop_").expect("a loop cluster");
    assert!(dot[loop_at..].contains("label=\"for _ in 0..steps\";"));
    let branch_at = dot.find("subgraph cluster_branch_").expect("a branch cluster");
    assert!(branch_at > loop_at, "the branch is inside the loop:\n{dot}");
    assert!(dot[branch_at..].contains("label=\"if x.abs() > 10.0\";"));
    // The loop's body is inside its cluster: every `signum` and `neg` comes after it opens and
    // before the clusters close (the result's `mul` comes after).
    let closing = dot.rfind("\n  }\n").expect("the loop cluster closes");
    for op in ["neg", "signum"] {
        for id in labelled(dot, op) {
            let at = dot.find(&format!("  {id} [")).expect("declared");
            assert!(loop_at < at && at < closing, "{op} ({id}) outside the loop:\n{dot}");
        }
    }
    // The carried `x` starts from x0, its next value flows back (dashed), and the result
    // squares the value left after the loop.
    let x = labelled(dot, "x");
    assert!(x.iter().any(|id| edge(dot, "p0", id)), "x0 -> x in\n{dot}");
    assert!(dot.contains("[constraint=false, style=dashed]"));
    let square = labelled(dot, "mul").pop().expect("the result's mul");
    assert!(edge(dot, &square, "result"));
    // The constants are labelled by name.
    assert_eq!(labelled(dot, "dt = 0.1").len(), 1);
    // Derivatives still right: `graph` combines with `hessian`.
    let (y, g) = damped_grad(1.0, 2.0, 3);
    let h = 1e-6;
    let fd = (damped(1.0 + h, 2.0, 3) - damped(1.0 - h, 2.0, 3)) / (2.0 * h);
    assert!((g.0 - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{} vs {fd}", g.0);
    assert!(y > 0.0);
}

#[test]
fn calls_are_labelled_by_the_function_name_and_generics_need_no_type() {
    let dot = total_graph();
    assert_eq!(labelled(dot, "softplus").len(), 1, "{dot}");
    assert_eq!(labelled(dot, "index").len(), 1, "{dot}");
    assert!(attributes(dot, "p0").contains("label=\"w\""));
    assert!(attributes(dot, "p1").contains("label=\"bias\""));
    assert!(dot.contains("label=\"for i in 0..w.len()\";"), "{dot}");
}

#[test]
fn methods_get_an_associated_graph_function() {
    let dot = Spring::energy_graph();
    assert!(dot.starts_with("digraph \"energy\" {"));
    assert!(attributes(dot, "p0").contains("label=\"x\""));
    assert!(attributes(dot, "p1").contains("label=\"rest\""));
    // `self` is inactive: `0.5 * self.k` is one constant expression.
    assert_eq!(labelled(dot, "0.5 * self.k").len(), 1, "{dot}");
    assert!(attributes(dot, &labelled(dot, "0.5 * self.k")[0]).contains("style=dashed"));
    assert_eq!(labelled(dot, "sub").len(), 1, "{dot}");
    assert_eq!(labelled(dot, "mul").len(), 2, "{dot}");
    let spring = Spring { k: 4.0 };
    let (e, g) = spring.energy_grad(3.0, 1.0);
    assert_eq!((e, g), (8.0, (8.0, -8.0)));
}

/// The node ids declared in `dot`.
fn node_ids(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| !l.contains("->") && l.contains(" [label="))
        .filter_map(|l| l.split(' ').next())
        .collect()
}

#[test]
fn every_graph_renders_with_every_node() {
    let graphs =
        [wave_graph(), wave_both_graph(), damped_graph(), total_graph(), Spring::energy_graph()];
    for dot in graphs {
        let svg = autodiff::graph::to_svg(dot).unwrap_or_else(|e| panic!("{e} in\n{dot}"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let ids = node_ids(dot);
        assert!(ids.len() >= 5, "{dot}");
        for id in ids {
            assert!(svg.contains(&format!("<title>{id}</title>")), "{id} not drawn:\n{dot}");
        }
        let clusters = dot.matches("subgraph cluster_").count();
        assert_eq!(svg.matches("<g class=\"cluster\">").count(), clusters);
    }
}

#[test]
fn the_reverse_sweep_runs_from_the_seed_to_the_active_parameters() {
    let back = autodiff::graph::adjoint(wave_graph()).expect("f_graph's text reads");
    // seed -> add' -> add' -> (mul' -> sin' ->) x_bar; the constant c has no adjoint.
    assert!(back.contains("result [label=\"seed\""), "{back}");
    assert!(back.contains("p0 [label=\"x_bar\""), "{back}");
    assert!(!back.contains("p1 ["), "c is constant:\n{back}");
    for (from, to) in [("result", "n5"), ("n5", "n4"), ("n4", "n3"), ("n3", "n2"), ("n2", "p0")] {
        assert!(edge(&back, from, to), "{from} -> {to} in\n{back}");
    }
    assert!(edge(&back, "n4", "p0"), "x's second use: {back}");

    let back = autodiff::graph::adjoint(damped_graph()).expect("reads");
    for (id, name) in [("p0", "x0"), ("p1", "k")] {
        assert!(attributes(&back, id).contains(&format!("label=\"{name}_bar\"")), "{back}");
    }
    assert!(back.contains("for _ in 0..steps, backwards"), "{back}");
    assert!(!back.contains("dt = 0.1"), "constants have no adjoint:\n{back}");
    let svg = autodiff::graph::to_svg(&back).expect("draws");
    assert!(svg.contains(">x0_bar</text>"));
}

#[test]
fn text_that_is_not_dot_is_an_error_naming_the_line() {
    let err = autodiff::graph::to_svg("digraph {\n  a -> b [label=\"x\"\n}").unwrap_err();
    assert!(matches!(err, autodiff::Error::Graph { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");
}
