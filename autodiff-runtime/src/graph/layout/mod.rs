//! Layout: a position for every node, a box for every cluster and a curve for every edge, top
//! to bottom. This file holds what the SVG writer reads ([`Drawing`] and its parts), the types
//! the steps share, and the driver: [`layout`] lays out each level of the cluster tree, the
//! innermost first, then composes the levels into one drawing.
//!
//! The layout is layered (Sugiyama) and recursive on the cluster tree. At each level (the root
//! graph or a cluster) the *items* are the level's own nodes and its child clusters, each child
//! cluster laid out first into a rectangle and then placed as one big item; an edge belongs to
//! the level that holds both its ends' ancestors ([`context`]). Because a cluster is one item
//! of its parent, its box holds its members and nothing else.
//!
//! At each level: cycles are broken (edges with `constraint=false` are ignored, then the back
//! edges of a depth-first search in declaration order), items are layered by longest path
//! (sources without predecessors move down to just above their first successor), edges
//! spanning several layers get a *dummy* vertex in each layer between (so that they pass
//! beside the items, not through them), edges that leave the level's cluster end at a *port*
//! vertex on its top or bottom side ([`rank`]); barycenter sweeps and adjacent swaps reduce
//! crossings ([`order`]), and each layer is placed as close as it can be to the barycenter of
//! its neighbours without overlap (isotonic regression, [`place`]). All horizontal movement of
//! an edge happens in the gaps between layers, so a curve never crosses an item of its level
//! ([`route`]). Labels are measured by [`text`].

mod context;
mod order;
mod place;
mod rank;
mod route;
mod text;

pub(super) use text::{Align, Text};

use super::dot::{Attrs, Graph, Member, attr};
use std::collections::BTreeMap;

/// The default font size, in pixels.
const FONT_SIZE: f64 = 14.0;
/// Default font size of the graph's title and of edge labels.
const TITLE_SIZE: f64 = 16.0;
const EDGE_LABEL_SIZE: f64 = 12.0;
/// Horizontal gap between items, vertical gap between layers (Graphviz's `nodesep`,
/// `ranksep`, which override them, in inches).
const NODE_SEP: f64 = 24.0;
const RANK_SEP: f64 = 40.0;
/// Gap beside an edge passing through a layer.
const EDGE_SEP: f64 = 12.0;
/// Padding inside a cluster's box and around the whole drawing.
const CLUSTER_PAD: f64 = 12.0;
const ROOT_PAD: f64 = 16.0;
/// Room right of a node for its self-loop.
const LOOP_ROOM: f64 = 22.0;

/// A point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Pt {
    pub x: f64,
    pub y: f64,
}

impl Pt {
    pub(super) fn new(x: f64, y: f64) -> Pt {
        Pt { x, y }
    }

    fn add(self, o: Pt) -> Pt {
        Pt::new(self.x + o.x, self.y + o.y)
    }
}

/// A rectangle by its top-left corner and size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub(super) fn center(&self) -> Pt {
        Pt::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

/// A node's outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    Ellipse,
    Box,
    Circle,
    DoubleCircle,
    Point,
    Diamond,
    /// Text only (`plaintext`, `plain`, `none`).
    Plain,
}

impl Shape {
    fn of(attrs: &Attrs) -> Shape {
        match attr(attrs, "shape").map(str::to_ascii_lowercase).as_deref() {
            Some("box" | "rect" | "rectangle" | "square" | "record" | "mrecord") => Shape::Box,
            Some("circle") => Shape::Circle,
            Some("doublecircle") => Shape::DoubleCircle,
            Some("point") => Shape::Point,
            Some("diamond") => Shape::Diamond,
            Some("plaintext" | "plain" | "none" | "underline") => Shape::Plain,
            _ => Shape::Ellipse,
        }
    }

    /// How far below (or above) the centre the outline of a `w`×`h` shape is at `dx` from
    /// the centre.
    fn half_height_at(self, w: f64, h: f64, dx: f64) -> f64 {
        let t = if w > 0.0 { (2.0 * dx / w).abs().min(1.0) } else { 0.0 };
        match self {
            Shape::Ellipse | Shape::Circle | Shape::DoubleCircle | Shape::Point => {
                h / 2.0 * (1.0 - t * t).sqrt()
            }
            Shape::Diamond => h / 2.0 * (1.0 - t),
            Shape::Box | Shape::Plain => h / 2.0,
        }
    }
}

/// A placed node.
#[derive(Clone, Debug)]
pub(super) struct NodeGeom {
    pub rect: Rect,
    pub shape: Shape,
    /// Empty for `shape=point`.
    pub label: Text,
}

/// A placed cluster.
#[derive(Clone, Debug)]
pub(super) struct ClusterGeom {
    /// Its index in [`Graph::clusters`].
    pub cluster: usize,
    /// 1 for a cluster of the root graph, 2 inside it, ...
    pub depth: usize,
    pub rect: Rect,
    /// Its label and the label's centre.
    pub label: Option<(Text, Pt)>,
}

/// An edge's curve: cubic Bézier segments from `start`, each `[control, control, end]`.
#[derive(Clone, Debug, Default)]
pub(super) struct EdgeGeom {
    pub start: Pt,
    pub curves: Vec<[Pt; 3]>,
    /// Its label and the label's centre.
    pub label: Option<(Text, Pt)>,
}

/// Everything placed.
#[derive(Clone, Debug, Default)]
pub(super) struct Drawing {
    pub width: f64,
    pub height: f64,
    /// The graph's label and its centre.
    pub title: Option<(Text, Pt)>,
    /// Parents before their children.
    pub clusters: Vec<ClusterGeom>,
    /// By node index.
    pub nodes: Vec<NodeGeom>,
    /// By edge index.
    pub edges: Vec<EdgeGeom>,
}

/// How an edge runs at the level that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// From its tail's layer down to its head's.
    Down,
    /// From its tail's layer up to its head's (a back edge, or `constraint=false`).
    Up,
    /// Between two items of one layer.
    Same,
    /// From a node to itself.
    Loop,
}

struct EdgeInfo {
    /// The cluster whose level holds both ends.
    level: usize,
    tail_item: usize,
    head_item: usize,
    /// The clusters between the tail (head) and `level`, innermost first, `level` excluded.
    tail_path: Vec<usize>,
    head_path: Vec<usize>,
    flow: Flow,
    label: Option<Text>,
}

/// A node's look: what sizes it.
struct NodeLook {
    shape: Shape,
    label: Text,
    w: f64,
    h: f64,
    /// Extra room on its right (for a self-loop).
    right: f64,
}

/// The layout of one level, in its box's coordinates.
#[derive(Default)]
struct Local {
    w: f64,
    h: f64,
    /// Where the content (the items) starts inside the box.
    content: Pt,
    /// The top-left corner of each item, in content coordinates.
    item_pos: Vec<Pt>,
    /// The x (in box coordinates) where each edge leaving the cluster crosses its side.
    ports: BTreeMap<usize, f64>,
    /// The waypoints of each edge at this level, upper end first, in content coordinates.
    chains: BTreeMap<usize, Vec<Pt>>,
    /// The centre of each edge label placed at this level, in content coordinates.
    labels: BTreeMap<usize, Pt>,
    /// How each edge between two items of one layer is drawn.
    same: BTreeMap<usize, Same>,
    /// The level's label and its centre, in box coordinates.
    label: Option<(Text, Pt)>,
}

#[derive(Clone, Copy)]
enum Same {
    /// Neighbours: a straight line from side to side.
    Side,
    /// An arc whose control points are at this y (content coordinates).
    Arc(f64),
}

/// What the layout of every level reads ([`context::context`] makes it).
struct Ctx<'g> {
    g: &'g Graph,
    looks: Vec<NodeLook>,
    /// The index of each node among its cluster's members.
    node_item: Vec<usize>,
    /// The index of each cluster among its parent's members.
    cluster_item: Vec<usize>,
    info: Vec<EdgeInfo>,
    /// The edges held by each level.
    level_edges: Vec<Vec<usize>>,
    /// The edges leaving each cluster: (edge, item holding the inside end, whether the inside
    /// end is the upper one).
    external: Vec<Vec<(usize, usize, bool)>>,
    /// The layer of each item of each level.
    layers: Vec<Vec<usize>>,
    node_sep: f64,
    rank_sep: f64,
}

/// Lays out a parsed graph.
pub(super) fn layout(g: &Graph) -> Drawing {
    if g.clusters.is_empty() {
        return Drawing::default();
    }
    let cx = context::context(g);
    // Children have larger indices than their parents: lay out from the last cluster back.
    let mut locals: Vec<Local> = (0..g.clusters.len()).map(|_| Local::default()).collect();
    for c in (0..g.clusters.len()).rev() {
        let local = place_level(&cx, c, &locals);
        locals[c] = local;
    }
    compose(&cx, &locals)
}

/// Lays out level `c` (the root graph or a cluster), its child clusters laid out in `locals`.
fn place_level(cx: &Ctx<'_>, c: usize, locals: &[Local]) -> Local {
    let lg = rank::layered(cx, c, locals);
    let order = order::order_layers(lg.nl, &lg.verts, &lg.ledges, &lg.ups, &lg.downs);
    let coords = place::coords(cx, &lg, &order);
    let mut local = place::frame(cx, c, &lg, &coords);
    route::waypoints(cx, c, locals, &lg, &order, &coords, &mut local);
    route::same_layer(cx, c, &lg, &order, &coords, &mut local);
    local
}

/// Absolute positions: each cluster's box where its parent placed it, the edges' waypoints
/// joined across levels and turned into curves.
fn compose(cx: &Ctx<'_>, locals: &[Local]) -> Drawing {
    let g = cx.g;
    let nc = g.clusters.len();
    let mut origin = vec![Pt::default(); nc];
    for k in 1..nc {
        let p = g.clusters[k].parent.unwrap_or(0);
        if p < k {
            let at = locals[p].item_pos.get(cx.cluster_item[k]).copied().unwrap_or_default();
            origin[k] = origin[p].add(locals[p].content).add(at);
        }
    }
    let base: Vec<Pt> = (0..nc).map(|c| origin[c].add(locals[c].content)).collect();

    let nodes: Vec<NodeGeom> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let look = &cx.looks[n];
            let at =
                locals[node.cluster].item_pos.get(cx.node_item[n]).copied().unwrap_or_default();
            let p = base[node.cluster].add(at);
            NodeGeom {
                rect: Rect { x: p.x, y: p.y, w: look.w, h: look.h },
                shape: look.shape,
                label: look.label.clone(),
            }
        })
        .collect();

    let edges: Vec<EdgeGeom> =
        (0..g.edges.len()).map(|e| route::curve(cx, locals, &base, &nodes, e)).collect();

    let mut clusters = Vec::with_capacity(nc.saturating_sub(1));
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    while let Some((c, depth)) = stack.pop() {
        if c != 0 {
            let l = &locals[c];
            clusters.push(ClusterGeom {
                cluster: c,
                depth,
                rect: Rect { x: origin[c].x, y: origin[c].y, w: l.w, h: l.h },
                label: l.label.clone().map(|(t, p)| (t, p.add(origin[c]))),
            });
        }
        for m in g.clusters[c].members.iter().rev() {
            if let Member::Cluster(k) = *m
                && k > c
                && depth < super::dot::MAX_DEPTH + 1
            {
                stack.push((k, depth + 1));
            }
        }
    }

    Drawing {
        width: locals[0].w,
        height: locals[0].h,
        title: locals[0].label.clone(),
        clusters,
        nodes,
        edges,
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::dot::parse;
    use crate::graph::tests::{DAMPED, NESTED, WAVE};

    fn contains(outer: &Rect, inner: &Rect) -> bool {
        outer.x <= inner.x + 1e-9
            && outer.y <= inner.y + 1e-9
            && inner.x + inner.w <= outer.x + outer.w + 1e-9
            && inner.y + inner.h <= outer.y + outer.h + 1e-9
    }

    fn overlap(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    /// Whether node `n` is in cluster `c` or a cluster inside it.
    fn member(g: &Graph, n: usize, c: usize) -> bool {
        let mut k = Some(g.nodes[n].cluster);
        while let Some(at) = k {
            if at == c {
                return true;
            }
            k = g.clusters[at].parent;
        }
        false
    }

    /// Lays out `text` and checks what every layout must be: nodes, clusters and edge labels
    /// inside the drawing and apart, each cluster holding its own nodes and no other.
    pub(super) fn check_invariants(text: &str) -> (Graph, Drawing) {
        let g = parse(text).expect("parses");
        let d = layout(&g);
        assert_eq!(d.nodes.len(), g.nodes.len());
        assert_eq!(d.edges.len(), g.edges.len());
        assert_eq!(d.clusters.len(), g.clusters.len() - 1);
        let all = Rect { x: 0.0, y: 0.0, w: d.width, h: d.height };
        for (a, na) in d.nodes.iter().enumerate() {
            assert!(contains(&all, &na.rect), "{} outside the drawing", g.nodes[a].id);
            for (b, nb) in d.nodes.iter().enumerate().skip(a + 1) {
                assert!(
                    !overlap(&na.rect, &nb.rect),
                    "{} {:?} overlaps {} {:?}",
                    g.nodes[a].id,
                    na.rect,
                    g.nodes[b].id,
                    nb.rect
                );
            }
        }
        for cl in &d.clusters {
            let name = &g.clusters[cl.cluster].name;
            assert!(contains(&all, &cl.rect), "{name} outside the drawing");
            for (n, node) in d.nodes.iter().enumerate() {
                let id = &g.nodes[n].id;
                if member(&g, n, cl.cluster) {
                    assert!(contains(&cl.rect, &node.rect), "{name} does not hold its {id}");
                } else {
                    assert!(!overlap(&cl.rect, &node.rect), "{name} overlaps {id}, not its own");
                }
            }
            for other in &d.clusters {
                let (a, b) = (cl.cluster, other.cluster);
                let nested = |inner: usize, outer: usize| {
                    let mut k = Some(inner);
                    while let Some(at) = k {
                        if at == outer {
                            return true;
                        }
                        k = g.clusters[at].parent;
                    }
                    false
                };
                if a != b && !nested(a, b) && !nested(b, a) {
                    assert!(!overlap(&cl.rect, &other.rect), "clusters {a} and {b} overlap");
                }
                if a != b && nested(a, b) {
                    assert!(contains(&other.rect, &cl.rect), "cluster {b} does not hold {a}");
                }
            }
            if let Some((t, p)) = &cl.label {
                assert!(p.x - t.width / 2.0 >= cl.rect.x - 1e-9, "{name}'s label sticks out");
                assert!(p.x + t.width / 2.0 <= cl.rect.x + cl.rect.w + 1e-9);
            }
        }
        for (i, e) in d.edges.iter().enumerate() {
            for p in std::iter::once(&e.start).chain(e.curves.iter().flatten()) {
                assert!(p.x.is_finite() && p.y.is_finite());
            }
            if let Some((t, p)) = &e.label {
                let r = Rect {
                    x: p.x - t.width / 2.0,
                    y: p.y - t.height / 2.0,
                    w: t.width,
                    h: t.height,
                };
                assert!(contains(&all, &r), "edge {i}'s label outside the drawing");
                for (n, node) in d.nodes.iter().enumerate() {
                    assert!(!overlap(&r, &node.rect), "edge {i}'s label on {}", g.nodes[n].id);
                }
            }
        }
        (g, d)
    }

    /// Edge labels between layers, inside a cluster, on a back edge and on a self-loop.
    const EDGE_LABELS: &str = r#"digraph labels {
  label="edge labels"; labelloc=b;
  a -> b [label="short"]; b -> c [label="two\nlines"]; a -> c [label="skips b"];
  c -> a [label="back up"];
  subgraph cluster_k { label="in a cluster"; k1 -> k2 [label="inside"]; k2 -> k3; k1 -> k3 [label="long way"]; }
  c -> k1 [label="into"]; k3 -> d [label="out of"];
  d -> d [label="again"];
  e [shape=circle]; f [shape=diamond]; e -> f [label="e to f", dir=back]; f -> e [constraint=false];
}"#;

    #[test]
    fn clusters_hold_exactly_their_members_and_nothing_overlaps() {
        for text in [WAVE, DAMPED, NESTED, EDGE_LABELS] {
            check_invariants(text);
        }
    }

    #[test]
    fn random_nested_graphs_keep_the_invariants() {
        // xorshift: deterministic random graphs with clusters nested up to 4 deep.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |k: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % k
        };
        fn body(next: &mut dyn FnMut(u64) -> u64, depth: u32, nodes: u64, out: &mut String) {
            for _ in 0..next(6) + 1 {
                match next(8) {
                    0..=2 => {
                        out.push_str(&format!("n{} [label=\"node {}\"];\n", next(nodes), next(99)))
                    }
                    3..=5 => {
                        let attrs = ["", " [constraint=false]", " [label=\"e\"]", " [dir=both]"];
                        let (a, b) = (next(nodes), next(nodes));
                        out.push_str(&format!("n{a} -> n{b}{};\n", attrs[next(4) as usize]));
                    }
                    _ if depth < 4 => {
                        out.push_str(&format!("subgraph cluster_{} {{ label=\"c\";\n", next(1000)));
                        body(next, depth + 1, nodes, out);
                        out.push_str("}\n");
                    }
                    _ => out.push_str(&format!("n{} [shape=box, width=2];\n", next(nodes))),
                }
            }
        }
        for _ in 0..150 {
            let nodes = next(30) + 2;
            let mut text = String::from("digraph {\n");
            body(&mut next, 0, nodes, &mut text);
            text.push_str("}\n");
            check_invariants(&text);
        }
    }

    #[test]
    fn layout_is_deterministic() {
        let g = parse(DAMPED).expect("parses");
        let (a, b) = (layout(&g), layout(&g));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
