//! Layout: a position for every node, a box for every cluster and a curve for every edge,
//! top to bottom.
//!
//! The layout is layered (Sugiyama) and recursive on the cluster tree. At each level (the root
//! graph or a cluster) the *items* are the level's own nodes and its child clusters, each child
//! cluster laid out first into a rectangle and then placed as one big item; an edge belongs to
//! the level that holds both its ends' ancestors. Because a cluster is one item of its parent,
//! its box holds its members and nothing else.
//!
//! At each level: cycles are broken (edges with `constraint=false` are ignored, then the back
//! edges of a depth-first search in declaration order), items are layered by longest path
//! (sources without predecessors move down to just above their first successor), edges
//! spanning several layers get a *dummy* vertex in each layer between (so that they pass
//! beside the items, not through them), edges that leave the level's cluster end at a *port*
//! vertex on its top or bottom side, barycenter sweeps and adjacent swaps reduce crossings,
//! and each layer is placed as close as it can be to the barycenter of its neighbours without
//! overlap (isotonic regression). All horizontal movement of an edge happens in the gaps
//! between layers, so a curve never crosses an item of its level.

use super::dot::{Attrs, Graph, Member};
use std::collections::BTreeMap;

/// The default font size, in pixels.
pub(super) const FONT_SIZE: f64 = 14.0;
/// Line height, in font sizes.
const LINE: f64 = 1.2;
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
/// Crossing-reduction and placement iterations.
const ORDER_ROUNDS: usize = 8;
const PLACE_ROUNDS: usize = 8;

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

/// How a line of a label is justified (`\n`, `\l`, `\r` in DOT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// A label: its lines and their estimated extent.
#[derive(Clone, Debug, Default)]
pub(super) struct Text {
    pub lines: Vec<(String, Align)>,
    /// Font size.
    pub size: f64,
    pub width: f64,
    pub height: f64,
}

impl Text {
    /// The label `raw` (DOT escapes: `\n`, `\l`, `\r` break lines, `\N` and the other
    /// `names` are replaced, `\\` is a backslash).
    pub(super) fn new(raw: &str, size: f64, names: &[(char, &str)]) -> Text {
        let lines = label_lines(raw, names);
        let width = lines.iter().map(|(l, _)| text_width(l, size)).fold(0.0, f64::max);
        let height = lines.len() as f64 * size * LINE;
        Text { lines, size, width, height }
    }

    pub(super) fn line_height(&self) -> f64 {
        self.size * LINE
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn label_lines(raw: &str, names: &[(char, &str)]) -> Vec<(String, Align)> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        let end = match c {
            '\\' => match chars.next() {
                Some('n') => Some(Align::Center),
                Some('l') => Some(Align::Left),
                Some('r') => Some(Align::Right),
                Some(k) => {
                    match names.iter().find(|(n, _)| *n == k) {
                        Some((_, name)) => line.push_str(name),
                        None => line.push(k),
                    }
                    None
                }
                None => {
                    line.push('\\');
                    None
                }
            },
            '\n' => Some(Align::Center),
            '\t' => {
                line.push(' ');
                None
            }
            c if c.is_control() => None,
            c => {
                line.push(c);
                None
            }
        };
        if let Some(align) = end {
            lines.push((std::mem::take(&mut line), align));
        }
    }
    if !line.is_empty() {
        lines.push((line, Align::Center));
    }
    lines
}

/// Estimated advance of `c` in ems, for Helvetica/Arial with some slack for fallback fonts.
fn char_em(c: char) -> f64 {
    let em = match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' | 'I' => 0.28,
        'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '"' | '/' | '\\' => 0.36,
        '*' | '^' | '`' => 0.4,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.88,
        'A'..='Z' => 0.7,
        c if c.is_ascii() => 0.57,
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{1f300}'..='\u{1faff}'
        | '\u{20000}'..='\u{3fffd}' => 1.0,
        _ => 0.62,
    };
    em * 1.08
}

fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(char_em).sum::<f64>() * size
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
    let cx = context(g);
    // Children have larger indices than their parents: lay out from the last cluster back.
    let mut locals: Vec<Local> = (0..g.clusters.len()).map(|_| Local::default()).collect();
    for c in (0..g.clusters.len()).rev() {
        let local = place_level(&cx, c, &locals);
        locals[c] = local;
    }
    compose(&cx, &locals)
}

fn node_look(g: &Graph, n: usize) -> NodeLook {
    let node = &g.nodes[n];
    let attrs = &node.attrs;
    let shape = Shape::of(attrs);
    let size = number(attrs, "fontsize", 1.0, 200.0).unwrap_or(FONT_SIZE);
    let label = if shape == Shape::Point {
        Text::default()
    } else {
        let raw = attr(attrs, "label").unwrap_or("\\N");
        Text::new(raw, size, &[('N', &node.id), ('G', &g.name)])
    };
    let (tw, th) = (label.width, label.height);
    let (mut w, mut h) = match shape {
        Shape::Box => ((tw + 24.0).max(54.0), (th + 14.0).max(36.0)),
        Shape::Ellipse => ((tw * 1.42 + 14.0).max(54.0), (th * 1.42 + 8.0).max(36.0)),
        Shape::Circle | Shape::DoubleCircle => {
            let d =
                (tw.hypot(th) + 12.0).max(36.0) + if shape == Shape::Circle { 0.0 } else { 8.0 };
            (d, d)
        }
        Shape::Diamond => ((tw * 2.0 + 12.0).max(54.0), (th * 2.0 + 8.0).max(36.0)),
        Shape::Point => (8.0, 8.0),
        Shape::Plain => (tw + 12.0, th + 8.0),
    };
    if let Some(min) = number(attrs, "width", 0.0, 30.0) {
        w = if shape == Shape::Point { min * 72.0 } else { w.max(min * 72.0) };
    }
    if let Some(min) = number(attrs, "height", 0.0, 30.0) {
        h = if shape == Shape::Point { min * 72.0 } else { h.max(min * 72.0) };
    }
    if attr(attrs, "shape").is_some_and(|s| s.eq_ignore_ascii_case("square")) {
        w = w.max(h);
        h = w;
    }
    NodeLook { shape, label, w: w.max(1.0), h: h.max(1.0), right: 0.0 }
}

fn context(g: &Graph) -> Ctx<'_> {
    let nc = g.clusters.len();
    let parent: Vec<usize> = g.clusters.iter().map(|c| c.parent.unwrap_or(0)).collect();
    let mut depth = vec![0usize; nc];
    for k in 1..nc {
        depth[k] = if parent[k] < k { depth[parent[k]] + 1 } else { 1 };
    }
    let mut node_item = vec![0; g.nodes.len()];
    let mut cluster_item = vec![0; nc];
    for cluster in &g.clusters {
        for (i, m) in cluster.members.iter().enumerate() {
            match *m {
                Member::Node(n) => node_item[n] = i,
                Member::Cluster(k) => cluster_item[k] = i,
            }
        }
    }
    let mut looks: Vec<NodeLook> = (0..g.nodes.len()).map(|n| node_look(g, n)).collect();

    // Where each edge lives, and which items it joins there.
    let mut info = Vec::with_capacity(g.edges.len());
    for edge in &g.edges {
        let (ct, ch) = (g.nodes[edge.tail].cluster, g.nodes[edge.head].cluster);
        let (mut a, mut b) = (ct, ch);
        let (mut tail_path, mut head_path) = (Vec::new(), Vec::new());
        while a != b {
            if depth[a] >= depth[b] && a != 0 {
                tail_path.push(a);
                a = parent[a];
            } else {
                head_path.push(b);
                b = parent[b];
            }
        }
        let item = |node: usize, path: &[usize]| match path.last() {
            Some(&k) => cluster_item[k],
            None => node_item[node],
        };
        let label = attr(&edge.attrs, "label").map(|raw| {
            let (t, h) = (&g.nodes[edge.tail].id, &g.nodes[edge.head].id);
            let name = format!("{t}{}{h}", if g.directed { "->" } else { "--" });
            let size = number(&edge.attrs, "fontsize", 1.0, 200.0).unwrap_or(EDGE_LABEL_SIZE);
            Text::new(raw, size, &[('E', &name), ('T', t), ('H', h), ('G', &g.name)])
        });
        info.push(EdgeInfo {
            level: a,
            tail_item: item(edge.tail, &tail_path),
            head_item: item(edge.head, &head_path),
            tail_path,
            head_path,
            flow: if edge.tail == edge.head { Flow::Loop } else { Flow::Same },
            label: label.filter(|t| !t.is_empty()),
        });
    }
    let mut level_edges = vec![Vec::new(); nc];
    for (e, i) in info.iter().enumerate() {
        level_edges[i.level].push(e);
    }

    // Layers at each level, then each edge's flow.
    let mut layers = Vec::with_capacity(nc);
    for (c, cluster) in g.clusters.iter().enumerate() {
        let constraint: Vec<(usize, usize)> = level_edges[c]
            .iter()
            .filter(|&&e| {
                !attr(&g.edges[e].attrs, "constraint").is_some_and(|v| {
                    matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0")
                })
            })
            .map(|&e| (info[e].tail_item, info[e].head_item))
            .collect();
        layers.push(rank(cluster.members.len(), &constraint));
    }
    for i in info.iter_mut() {
        if i.flow == Flow::Loop {
            continue;
        }
        let (lt, lh) = (layers[i.level][i.tail_item], layers[i.level][i.head_item]);
        i.flow = match lt.cmp(&lh) {
            std::cmp::Ordering::Less => Flow::Down,
            std::cmp::Ordering::Greater => Flow::Up,
            std::cmp::Ordering::Equal => Flow::Same,
        };
    }
    for i in &info {
        if i.flow == Flow::Loop
            && let Some(&Member::Node(n)) = g.clusters[i.level].members.get(i.tail_item)
        {
            let label = i.label.as_ref().map_or(0.0, |t| t.width + 8.0);
            looks[n].right = looks[n].right.max(LOOP_ROOM + label);
        }
    }

    // The edges that leave each cluster, with a port on its top or bottom side.
    let mut external = vec![Vec::new(); nc];
    for (e, i) in info.iter().enumerate() {
        if !matches!(i.flow, Flow::Down | Flow::Up) {
            continue;
        }
        let tail_upper = i.flow == Flow::Down;
        for (path, node, inside_upper) in [
            (&i.tail_path, g.edges[e].tail, tail_upper),
            (&i.head_path, g.edges[e].head, !tail_upper),
        ] {
            let mut inner = node_item[node];
            for &k in path {
                external[k].push((e, inner, inside_upper));
                inner = cluster_item[k];
            }
        }
    }
    let root = &g.clusters[0].attrs;
    Ctx {
        g,
        looks,
        node_item,
        cluster_item,
        info,
        level_edges,
        external,
        layers,
        node_sep: number(root, "nodesep", 0.02, 10.0).map_or(NODE_SEP, |v| v * 72.0),
        rank_sep: number(root, "ranksep", 0.02, 10.0).map_or(RANK_SEP, |v| v * 72.0),
    }
}

/// Layers for `n` items joined by `edges` (from, to): back edges of a depth-first search in
/// declaration order are dropped, each item goes one layer below all its predecessors, then
/// each source moves down to just above its first successor.
fn rank(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if a < n && b < n && a != b {
            adj[a].push((b, i));
        }
    }
    let mut back = vec![false; edges.len()];
    let mut state = vec![0u8; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        let mut stack = vec![(root, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (v, k) = *top;
            match adj[v].get(k) {
                Some(&(w, i)) => {
                    top.1 += 1;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => back[i] = true,
                        _ => {}
                    }
                }
                None => {
                    state[v] = 2;
                    stack.pop();
                }
            }
        }
    }
    let mut indeg = vec![0usize; n];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (v, out) in adj.iter().enumerate() {
        for &(w, i) in out {
            if !back[i] {
                indeg[w] += 1;
                succ[v].push(w);
            }
        }
    }
    let sources: Vec<bool> = indeg.iter().map(|&d| d == 0).collect();
    let mut layer = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut next = 0;
    while let Some(&v) = queue.get(next) {
        next += 1;
        for &w in &succ[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push(w);
            }
        }
    }
    for v in 0..n {
        if sources[v]
            && let Some(first) = succ[v].iter().map(|&w| layer[w]).min()
        {
            layer[v] = first.saturating_sub(1);
        }
    }
    // Number the layers in use 0, 1, 2, ...
    let mut used: Vec<usize> = layer.clone();
    used.sort_unstable();
    used.dedup();
    layer.iter().map(|l| used.binary_search(l).unwrap_or(0)).collect()
}

/// A vertex of a level's layered graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An item (a node or a child cluster), by index.
    Item(usize),
    /// Where an edge passes through a layer.
    Dummy,
    /// Where an edge crosses the cluster's top or bottom side.
    Port,
}

struct Vert {
    layer: usize,
    w: f64,
    h: f64,
    /// Room kept free on its right (a self-loop, an edge label).
    right: f64,
    kind: Kind,
}

/// An edge between vertices of adjacent layers, `u` above `v`; `du` and `dv` are where it
/// attaches, from the vertices' centres.
struct LEdge {
    u: usize,
    v: usize,
    weight: f64,
    du: f64,
    dv: f64,
    /// `du`, `dv` as fractions of the vertices' positions in their layers (within ±0.45), so
    /// that ordering sees which side of a cluster an edge enters.
    fu: f64,
    fv: f64,
}

/// An edge at a level: its vertices from the upper end to the lower.
struct Chain {
    edge: usize,
    verts: Vec<usize>,
    /// The dummy that carries its label.
    label: Option<usize>,
}

fn place_level(cx: &Ctx<'_>, c: usize, locals: &[Local]) -> Local {
    let g = cx.g;
    let cluster = &g.clusters[c];
    let members = &cluster.members;
    let item_layer = &cx.layers[c];
    let m = item_layer.iter().map(|&l| l + 1).max().unwrap_or(0);

    // The edges drawn at this level, as (edge, upper end, lower end); `None` is a port.
    let mut links: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
    for &e in &cx.level_edges[c] {
        let i = &cx.info[e];
        match i.flow {
            Flow::Down => links.push((e, Some(i.tail_item), Some(i.head_item))),
            Flow::Up => links.push((e, Some(i.head_item), Some(i.tail_item))),
            Flow::Same | Flow::Loop => {}
        }
    }
    for &(e, inner, inside_upper) in &cx.external[c] {
        links.push(if inside_upper { (e, Some(inner), None) } else { (e, None, Some(inner)) });
    }
    let has_top = links.iter().any(|l| l.1.is_none());
    let has_bottom = links.iter().any(|l| l.2.is_none());
    let labelled = |e: usize| cx.info[e].level == c && cx.info[e].label.is_some();
    // With edge labels, every other layer holds only edges (and their labels).
    let stretch = if links.iter().any(|l| labelled(l.0)) { 2 } else { 1 };
    let top = usize::from(has_top);
    let real = if m == 0 { 0 } else { (m - 1) * stretch + 1 };
    let nl = top + real + usize::from(has_bottom);

    let mut verts: Vec<Vert> = members
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let (w, h, right) = match *member {
                Member::Node(n) => (cx.looks[n].w, cx.looks[n].h, cx.looks[n].right),
                Member::Cluster(k) => (locals[k].w, locals[k].h, 0.0),
            };
            Vert { layer: top + item_layer[i] * stretch, w, h, right, kind: Kind::Item(i) }
        })
        .collect();
    // Where an edge attaches to an item, from its centre: a cluster's port, else the centre.
    let attach = |v: &Vert, e: usize| match v.kind {
        Kind::Item(i) => match members.get(i) {
            Some(&Member::Cluster(k)) => {
                locals[k].ports.get(&e).map_or(0.0, |&x| x - locals[k].w / 2.0)
            }
            _ => 0.0,
        },
        Kind::Dummy | Kind::Port => 0.0,
    };

    let mut chains = Vec::with_capacity(links.len());
    for &(e, upper, lower) in &links {
        let port = |layer: usize, verts: &mut Vec<Vert>| {
            verts.push(Vert { layer, w: 0.0, h: 0.0, right: 0.0, kind: Kind::Port });
            verts.len() - 1
        };
        let u = match upper {
            Some(i) => i,
            None => port(0, &mut verts),
        };
        let v = match lower {
            Some(i) => i,
            None => port(nl.saturating_sub(1), &mut verts),
        };
        let (lu, lv) = (verts[u].layer, verts[v].layer);
        let mut chain = vec![u];
        for layer in lu + 1..lv {
            verts.push(Vert { layer, w: 0.0, h: 0.0, right: 0.0, kind: Kind::Dummy });
            chain.push(verts.len() - 1);
        }
        chain.push(v);
        // The label goes beside the middle dummy of those in layers of edges only.
        let mut label = None;
        if let Some(text) = cx.info[e].label.as_ref().filter(|_| labelled(e)) {
            let between: Vec<usize> = chain
                .iter()
                .copied()
                .filter(|&d| verts[d].layer.checked_sub(top).is_some_and(|l| l % 2 == 1))
                .collect();
            if let Some(&d) = between.get(between.len() / 2) {
                verts[d].h = text.height;
                verts[d].right = text.width + 8.0;
                label = Some(d);
            }
        }
        chains.push(Chain { edge: e, verts: chain, label });
    }

    let mut ledges = Vec::new();
    for ch in &chains {
        for pair in ch.verts.windows(2) {
            let (u, v) = (pair[0], pair[1]);
            let items = usize::from(matches!(verts[u].kind, Kind::Item(_)))
                + usize::from(matches!(verts[v].kind, Kind::Item(_)));
            let (du, dv) = (attach(&verts[u], ch.edge), attach(&verts[v], ch.edge));
            let frac = |d: f64, w: f64| if w > 0.0 { (d / w).clamp(-0.5, 0.5) * 0.9 } else { 0.0 };
            ledges.push(LEdge {
                u,
                v,
                weight: [8.0, 2.0, 1.0][items],
                du,
                dv,
                fu: frac(du, verts[u].w),
                fv: frac(dv, verts[v].w),
            });
        }
    }
    let mut ups = vec![Vec::new(); verts.len()];
    let mut downs = vec![Vec::new(); verts.len()];
    for (i, le) in ledges.iter().enumerate() {
        downs[le.u].push(i);
        ups[le.v].push(i);
    }

    let order = order_layers(nl, &verts, &ledges, &ups, &downs);
    let mut x = place_x(&order, &verts, &ledges, &ups, &downs, &chains, cx.node_sep);

    // Vertical placement: the real layers' bands, with more room under wide fans of edges.
    let mut band_top = vec![0.0; nl];
    let mut band_h = vec![0.0; nl];
    let mut spread_below = vec![0.0f64; nl];
    for le in &ledges {
        if let Some(s) = spread_below.get_mut(verts[le.u].layer) {
            *s = s.max((x[le.u] + le.du - x[le.v] - le.dv).abs());
        }
    }
    let mut y = 0.0;
    for l in top..top + real {
        band_h[l] = order[l].iter().map(|&v| verts[v].h).fold(0.0, f64::max);
        band_top[l] = y;
        let extra = ((spread_below[l] - 120.0) / 10.0).clamp(0.0, 30.0);
        let gap = cx.rank_sep / stretch as f64 + extra;
        y += band_h[l] + gap;
    }
    let content_h = if real == 0 { 0.0 } else { band_top[top + real - 1] + band_h[top + real - 1] };
    let min_x = verts.iter().zip(&x).map(|(v, &x)| x - v.w / 2.0).fold(f64::INFINITY, f64::min);
    let min_x = if min_x.is_finite() { min_x } else { 0.0 };
    for xv in &mut x {
        *xv -= min_x;
    }
    let content_w = verts.iter().zip(&x).map(|(v, &x)| x + v.w / 2.0 + v.right).fold(0.0, f64::max);

    // The box around the content, with the label.
    let root = c == 0;
    let pad = if root { ROOT_PAD } else { CLUSTER_PAD };
    let size = number(&cluster.attrs, "fontsize", 1.0, 200.0).unwrap_or(if root {
        TITLE_SIZE
    } else {
        FONT_SIZE
    });
    let label = attr(&cluster.attrs, "label")
        .map(|raw| Text::new(raw, size, &[('G', &cluster.name)]))
        .filter(|t| !t.is_empty());
    let label_h = label.as_ref().map_or(0.0, |t| t.height + if root { 8.0 } else { 4.0 });
    let label_w = label.as_ref().map_or(0.0, |t| t.width);
    let bottom_label = attr(&cluster.attrs, "labelloc").is_some_and(|l| l.starts_with(['b', 'B']));
    let inner_w = content_w.max(label_w);
    let w = (inner_w + 2.0 * pad).max(if root { 0.0 } else { 40.0 });
    let h = (content_h + 2.0 * pad + label_h).max(if root { 0.0 } else { 30.0 });
    let content = Pt::new(
        (w - content_w) / 2.0,
        if bottom_label { pad } else { pad + label_h }
            + (h - content_h - 2.0 * pad - label_h) / 2.0,
    );
    let mut local = Local { w, h, content, ..Local::default() };
    local.item_pos = (0..members.len())
        .map(|i| {
            let v = &verts[i];
            Pt::new(x[i] - v.w / 2.0, band_top[v.layer] + (band_h[v.layer] - v.h) / 2.0)
        })
        .collect();

    // Ports: where each edge leaving the cluster crosses its side.
    let mut crossing = Vec::new(); // the ports on the label's side
    for ch in &chains {
        for (end, &v) in [ch.verts.first(), ch.verts.last()].into_iter().flatten().enumerate() {
            if verts[v].kind == Kind::Port {
                local.ports.insert(ch.edge, content.x + x[v]);
                if (end == 1) == bottom_label {
                    crossing.push(content.x + x[v]);
                }
            }
        }
    }

    // The label: where it was asked for, else on the left (centred for the root), or on the
    // right when edges enter through the left.
    local.label = label.map(|t| {
        let just = attr(&cluster.attrs, "labeljust").map(str::to_ascii_lowercase);
        let (left, right) = (pad + t.width / 2.0, w - pad - t.width / 2.0);
        let clear = |x: f64| crossing.iter().all(|p| (p - x).abs() > t.width / 2.0 + 6.0);
        let x = match just.as_deref().and_then(|j| j.chars().next()) {
            Some('r') => right,
            Some('l') => left,
            Some('c') => w / 2.0,
            _ if root => w / 2.0,
            _ if !clear(left) && clear(right) => right,
            _ => left,
        };
        let y = if bottom_label {
            h - pad / 2.0 - t.height / 2.0
        } else {
            pad / 2.0 + t.height / 2.0 + if root { 2.0 } else { 0.0 }
        };
        (t, Pt::new(x, y))
    });

    // Where the edges attach to the nodes: spread along the side, ordered by where they go.
    // (node vertex, 0 for its bottom side or 1 for its top) -> (where the edge goes, chain)
    let mut sides: BTreeMap<(usize, usize), Vec<(f64, usize)>> = BTreeMap::new();
    for (k, ch) in chains.iter().enumerate() {
        let n = ch.verts.len();
        if n < 2 {
            continue;
        }
        for (end, at, next) in
            [(0, ch.verts[0], ch.verts[1]), (1, ch.verts[n - 1], ch.verts[n - 2])]
        {
            if matches!(verts[at].kind, Kind::Item(i) if matches!(members.get(i), Some(Member::Node(_))))
            {
                let to = x[next] + attach(&verts[next], ch.edge);
                sides.entry((at, end)).or_default().push((to, k));
            }
        }
    }
    let mut spread: BTreeMap<(usize, usize), f64> = BTreeMap::new(); // (chain, end) -> dx
    for ((v, end), mut ends) in sides {
        ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = ends.len();
        if n < 2 {
            continue;
        }
        let width = (verts[v].w * 0.5).min((n - 1) as f64 * 10.0);
        for (i, &(_, k)) in ends.iter().enumerate() {
            spread.insert((k, end), -width / 2.0 + width * i as f64 / (n - 1) as f64);
        }
    }

    // The waypoints of each chain, upper end first.
    let has_items: Vec<bool> =
        order.iter().map(|l| l.iter().any(|&v| matches!(verts[v].kind, Kind::Item(_)))).collect();
    let point = |v: usize, e: usize, k: usize, end: usize| -> Pt {
        let vert = &verts[v];
        let below = end == 0; // the upper end attaches on the vertex's bottom side
        match vert.kind {
            Kind::Item(i) => {
                let cy = band_top[vert.layer] + band_h[vert.layer] / 2.0;
                match members.get(i) {
                    Some(&Member::Node(n)) => {
                        let look = &cx.looks[n];
                        let dx = spread.get(&(k, end)).copied().unwrap_or(0.0);
                        let dy = look.shape.half_height_at(look.w, look.h, dx);
                        Pt::new(x[v] + dx, if below { cy + dy } else { cy - dy })
                    }
                    _ => Pt::new(
                        x[v] + attach(vert, e),
                        if below { cy + vert.h / 2.0 } else { cy - vert.h / 2.0 },
                    ),
                }
            }
            // An upper end that is a port is on the top side.
            Kind::Port => Pt::new(x[v], if below { -content.y } else { h - content.y }),
            Kind::Dummy => Pt::new(x[v], band_top[vert.layer]),
        }
    };
    for (k, ch) in chains.iter().enumerate() {
        let (Some(&first), Some(&last)) = (ch.verts.first(), ch.verts.last()) else {
            continue;
        };
        let mut pts = Vec::with_capacity(2 * ch.verts.len() + 2);
        let p = point(first, ch.edge, k, 0);
        pts.push(p);
        let lf = verts[first].layer;
        // Straight down to the bottom of the layer first, for an item shorter than its layer.
        if matches!(verts[first].kind, Kind::Item(_)) && verts[first].h < band_h[lf] - 2.0 {
            pts.push(Pt::new(p.x, band_top[lf] + band_h[lf]));
        }
        for &d in &ch.verts[1..ch.verts.len() - 1] {
            let l = verts[d].layer;
            // A layer of edges only (between the layers of items, for labels) without a label
            // has nothing to pass beside.
            if !has_items[l] && band_h[l] == 0.0 {
                continue;
            }
            pts.push(Pt::new(x[d], band_top[l]));
            if band_h[l] > 0.0 {
                pts.push(Pt::new(x[d], band_top[l] + band_h[l]));
            }
            if ch.label == Some(d) {
                let w = cx.info[ch.edge].label.as_ref().map_or(0.0, |t| t.width);
                local
                    .labels
                    .insert(ch.edge, Pt::new(x[d] + 6.0 + w / 2.0, band_top[l] + band_h[l] / 2.0));
            }
        }
        let q = point(last, ch.edge, k, 1);
        let ll = verts[last].layer;
        if matches!(verts[last].kind, Kind::Item(_)) && verts[last].h < band_h[ll] - 2.0 {
            pts.push(Pt::new(q.x, band_top[ll]));
        }
        pts.push(q);
        local.chains.insert(ch.edge, pts);
    }

    // Edges between two items of one layer.
    let mut pos = vec![0usize; verts.len()];
    for layer in &order {
        for (p, &v) in layer.iter().enumerate() {
            pos[v] = p;
        }
    }
    for &e in &cx.level_edges[c] {
        let i = &cx.info[e];
        if i.flow != Flow::Same {
            continue;
        }
        let (a, b) = (i.tail_item, i.head_item);
        let nodes = matches!(members.get(a), Some(Member::Node(_)))
            && matches!(members.get(b), Some(Member::Node(_)));
        let l = verts[a].layer;
        let room = if l == top { content.y } else { cx.rank_sep };
        let same = if nodes && pos[a].abs_diff(pos[b]) == 1 {
            Same::Side
        } else {
            Same::Arc(band_top[l] - (room * 0.8).min(32.0))
        };
        local.same.insert(e, same);
    }
    local
}

/// Orders each layer's vertices to reduce crossings: barycenter sweeps down and up, each
/// followed by swaps of neighbours; ties keep the current order (declaration order first).
fn order_layers(
    nl: usize,
    verts: &[Vert],
    ledges: &[LEdge],
    ups: &[Vec<usize>],
    downs: &[Vec<usize>],
) -> Vec<Vec<usize>> {
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); nl];
    for (v, vert) in verts.iter().enumerate() {
        if let Some(layer) = order.get_mut(vert.layer) {
            layer.push(v);
        }
    }
    let mut pos = vec![0usize; verts.len()];
    let set_pos = |layer: &[usize], pos: &mut [usize]| {
        for (p, &v) in layer.iter().enumerate() {
            pos[v] = p;
        }
    };
    for layer in &order {
        set_pos(layer, &mut pos);
    }
    let mut best = order.clone();
    let mut best_crossings = crossings(&order, &pos, verts, ledges);
    for _ in 0..ORDER_ROUNDS {
        if best_crossings == 0 {
            break;
        }
        for down in [true, false] {
            let layers: Vec<usize> =
                if down { (1..nl).collect() } else { (0..nl.saturating_sub(1)).rev().collect() };
            for l in layers {
                let mut keyed: Vec<(f64, usize)> = order[l]
                    .iter()
                    .map(|&v| {
                        let list = if down { &ups[v] } else { &downs[v] };
                        let others = list.iter().map(|&i| {
                            let le = &ledges[i];
                            if down { pos[le.u] as f64 + le.fu } else { pos[le.v] as f64 + le.fv }
                        });
                        let n = list.len();
                        let key =
                            if n == 0 { pos[v] as f64 } else { others.sum::<f64>() / n as f64 };
                        (key, v)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                order[l] = keyed.into_iter().map(|(_, v)| v).collect();
                set_pos(&order[l], &mut pos);
            }
            transpose(&mut order, &mut pos, ledges, ups, downs);
            let now = crossings(&order, &pos, verts, ledges);
            if now < best_crossings {
                best_crossings = now;
                best = order.clone();
            }
        }
    }
    best
}

/// Swaps neighbours in a layer while that removes crossings.
fn transpose(
    order: &mut [Vec<usize>],
    pos: &mut [usize],
    ledges: &[LEdge],
    ups: &[Vec<usize>],
    downs: &[Vec<usize>],
) {
    // Crossings between the edges of `a` and those of `b` with `a` left of `b`.
    let pair = |a: usize, b: usize, pos: &[usize]| -> usize {
        let mut n = 0;
        for (la, lb, up) in [(&ups[a], &ups[b], true), (&downs[a], &downs[b], false)] {
            for &i in la {
                for &j in lb {
                    let (ei, ej) = (&ledges[i], &ledges[j]);
                    let (oi, oj) = if up {
                        (pos[ei.u] as f64 + ei.fu, pos[ej.u] as f64 + ej.fu)
                    } else {
                        (pos[ei.v] as f64 + ei.fv, pos[ej.v] as f64 + ej.fv)
                    };
                    n += usize::from(oi > oj);
                }
            }
        }
        n
    };
    for _ in 0..4 {
        let mut improved = false;
        for layer in order.iter_mut() {
            for i in 0..layer.len().saturating_sub(1) {
                let (a, b) = (layer[i], layer[i + 1]);
                if pair(b, a, pos) < pair(a, b, pos) {
                    layer.swap(i, i + 1);
                    pos[a] = i + 1;
                    pos[b] = i;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// The number of edge crossings between adjacent layers.
fn crossings(order: &[Vec<usize>], pos: &[usize], verts: &[Vert], ledges: &[LEdge]) -> usize {
    // Positions within a layer, with the fractions for clusters' ports.
    let mut by_layer: Vec<Vec<(f64, f64)>> = vec![Vec::new(); order.len()];
    for le in ledges {
        if let Some(list) = by_layer.get_mut(verts[le.u].layer) {
            list.push((pos[le.u] as f64 + le.fu, pos[le.v] as f64 + le.fv));
        }
    }
    let mut total = 0;
    for mut pairs in by_layer {
        pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
        let mut keys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        keys.sort_by(f64::total_cmp);
        keys.dedup();
        let mut tree = vec![0usize; keys.len() + 1];
        for (seen, &(_, b)) in pairs.iter().enumerate() {
            // How many earlier edges end right of b: seen minus those ending at or left of b.
            let rank = keys.partition_point(|k| k.total_cmp(&b).is_lt());
            let mut at_or_left = 0;
            let mut i = rank + 1;
            while i > 0 {
                at_or_left += tree.get(i).copied().unwrap_or(0);
                i &= i - 1;
            }
            total += seen - at_or_left;
            let mut i = rank + 1;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// x coordinates (centres): each layer in turn as close as it can be to the barycenter of its
/// neighbours in the layer above (then below), keeping the vertices apart.
fn place_x(
    order: &[Vec<usize>],
    verts: &[Vert],
    ledges: &[LEdge],
    ups: &[Vec<usize>],
    downs: &[Vec<usize>],
    chains: &[Chain],
    node_sep: f64,
) -> Vec<f64> {
    let sep = |a: usize, b: usize| {
        let (va, vb) = (&verts[a], &verts[b]);
        let both_items = matches!(va.kind, Kind::Item(_)) && matches!(vb.kind, Kind::Item(_));
        (va.w + vb.w) / 2.0 + va.right + if both_items { node_sep } else { EDGE_SEP }
    };
    let mut x = vec![0.0; verts.len()];
    let widths: Vec<f64> = order
        .iter()
        .map(|layer| {
            let inner: f64 = layer.windows(2).map(|p| sep(p[0], p[1])).sum();
            let ends = layer.first().map_or(0.0, |&v| verts[v].w / 2.0)
                + layer.last().map_or(0.0, |&v| verts[v].w / 2.0 + verts[v].right);
            inner + ends
        })
        .collect();
    let widest = widths.iter().copied().fold(0.0, f64::max);
    for (layer, width) in order.iter().zip(&widths) {
        let mut at = (widest - width) / 2.0 + layer.first().map_or(0.0, |&v| verts[v].w / 2.0);
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += sep(layer[i - 1], v);
            }
            x[v] = at;
        }
    }
    let nl = order.len();
    // The weighted barycenter of `v`'s neighbours above and/or below, and their weight.
    let barycenter = |v: usize, above: bool, below: bool, x: &[f64]| {
        let (mut sum, mut total) = (0.0, 0.0);
        for &i in if above { ups[v].as_slice() } else { &[] } {
            let le = &ledges[i];
            sum += le.weight * (x[le.u] + le.du - le.dv);
            total += le.weight;
        }
        for &i in if below { downs[v].as_slice() } else { &[] } {
            let le = &ledges[i];
            sum += le.weight * (x[le.v] + le.dv - le.du);
            total += le.weight;
        }
        (total > 0.0).then(|| (sum / total, total))
    };
    // `sweep`: toward the neighbours above (`Some(true)`), below, or both (`None`).
    let relax = |l: usize, sweep: Option<bool>, x: &mut Vec<f64>| {
        let layer = &order[l];
        let seps: Vec<f64> = layer.windows(2).map(|p| sep(p[0], p[1])).collect();
        // Toward the neighbours on the side of the sweep, else on the other side; a vertex
        // with no neighbours at all keeps its distance to the one beside it.
        let targets: Vec<Option<(f64, f64)>> = layer
            .iter()
            .map(|&v| match sweep {
                Some(down) => {
                    barycenter(v, down, !down, x).or_else(|| barycenter(v, !down, down, x))
                }
                None => barycenter(v, true, true, x),
            })
            .collect();
        let mut desired: Vec<f64> = layer.iter().map(|&v| x[v]).collect();
        let mut weight = vec![0.1; layer.len()];
        for (i, t) in targets.iter().enumerate() {
            if let Some((d, w)) = *t {
                desired[i] = d;
                weight[i] = w;
            }
        }
        if let Some(first) = targets.iter().position(Option::is_some) {
            for i in first + 1..layer.len() {
                if targets[i].is_none() {
                    desired[i] = desired[i - 1] + seps[i - 1];
                }
            }
            for i in (0..first).rev() {
                desired[i] = desired[i + 1] - seps[i];
            }
        }
        for (&v, xv) in layer.iter().zip(isotonic(&desired, &weight, &seps)) {
            x[v] = xv;
        }
    };
    for _ in 0..PLACE_ROUNDS {
        for l in 1..nl {
            relax(l, Some(true), &mut x);
        }
        for l in (0..nl.saturating_sub(1)).rev() {
            relax(l, Some(false), &mut x);
        }
    }
    for _ in 0..PLACE_ROUNDS / 2 {
        for l in 0..nl {
            relax(l, None, &mut x);
        }
    }

    // Straighten each edge's run of dummies where its layers leave room: in line with where
    // it leaves its upper end, else with where it enters its lower end, else with its median.
    let mut pos = vec![0usize; verts.len()];
    for layer in order {
        for (p, &v) in layer.iter().enumerate() {
            pos[v] = p;
        }
    }
    // Twice: a run that moved may make room for another.
    for ch in chains.iter().chain(chains) {
        let n = ch.verts.len();
        if n < 3 {
            continue;
        }
        let (u, v, dummies) = (ch.verts[0], ch.verts[n - 1], &ch.verts[1..n - 1]);
        let from_upper = downs[u]
            .iter()
            .map(|&i| &ledges[i])
            .find(|le| le.v == ch.verts[1])
            .map(|le| x[u] + le.du);
        let from_lower = ups[v]
            .iter()
            .map(|&i| &ledges[i])
            .find(|le| le.u == ch.verts[n - 2])
            .map(|le| x[v] + le.dv);
        let mut xs: Vec<f64> = dummies.iter().map(|&d| x[d]).collect();
        xs.sort_by(f64::total_cmp);
        let median = xs.get(xs.len() / 2).copied();
        let fits = |d: usize, at: f64, x: &[f64]| {
            let Some(layer) = order.get(verts[d].layer) else { return false };
            let p = pos[d];
            let left = p.checked_sub(1).and_then(|q| layer.get(q));
            left.is_none_or(|&l| x[l] + sep(l, d) <= at + 1e-6)
                && layer.get(p + 1).is_none_or(|&r| at + sep(d, r) <= x[r] + 1e-6)
        };
        if let Some(at) = [from_upper, from_lower, median]
            .into_iter()
            .flatten()
            .find(|&at| dummies.iter().all(|&d| fits(d, at, &x)))
        {
            for &d in dummies {
                x[d] = at;
            }
        }
    }
    x
}

/// The positions closest (weighted least squares) to `desired` that keep each neighbour at
/// least `sep` to the right of the previous one: pool-adjacent-violators on the positions
/// minus the cumulative separations.
fn isotonic(desired: &[f64], weight: &[f64], sep: &[f64]) -> Vec<f64> {
    let mut offset = Vec::with_capacity(desired.len());
    let mut acc = 0.0;
    for i in 0..desired.len() {
        if i > 0 {
            acc += sep.get(i - 1).copied().unwrap_or(0.0);
        }
        offset.push(acc);
    }
    // Blocks of (total weight, weighted sum, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for ((&d, &w), &o) in desired.iter().zip(weight).zip(&offset) {
        let w = w.max(1e-9);
        let mut block = (w, w * (d - o), 1);
        while let Some(&last) = blocks.last() {
            if last.1 / last.0 > block.1 / block.0 {
                blocks.pop();
                block = (last.0 + block.0, last.1 + block.1, last.2 + block.2);
            } else {
                break;
            }
        }
        blocks.push(block);
    }
    let mut out = Vec::with_capacity(desired.len());
    for (w, s, n) in blocks {
        for _ in 0..n {
            let o = offset.get(out.len()).copied().unwrap_or(0.0);
            out.push(s / w + o);
        }
    }
    out
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

    let mut edges = Vec::with_capacity(g.edges.len());
    for (e, edge) in g.edges.iter().enumerate() {
        let i = &cx.info[e];
        let (t, h) = (&nodes[edge.tail], &nodes[edge.head]);
        let mut geom = match i.flow {
            Flow::Down | Flow::Up => {
                let (upper, lower) = if i.flow == Flow::Down {
                    (&i.tail_path, &i.head_path)
                } else {
                    (&i.head_path, &i.tail_path)
                };
                let mut pts: Vec<Pt> = Vec::new();
                let levels = upper.iter().chain([&i.level]).chain(lower.iter().rev());
                for &k in levels {
                    for p in locals[k].chains.get(&e).into_iter().flatten() {
                        let p = p.add(base[k]);
                        if pts
                            .last()
                            .is_none_or(|q: &Pt| (q.x - p.x).abs() + (q.y - p.y).abs() > 0.01)
                        {
                            pts.push(p);
                        }
                    }
                }
                if i.flow == Flow::Up {
                    pts.reverse();
                }
                through(&pts)
            }
            Flow::Same => match locals[i.level].same.get(&e) {
                Some(Same::Side) => side(t, h),
                Some(&Same::Arc(y)) => arc(t, h, y + base[i.level].y),
                None => side(t, h),
            },
            Flow::Loop => self_loop(t),
        };
        if let Some(text) = &i.label {
            let at = match locals[i.level].labels.get(&e) {
                Some(p) => p.add(base[i.level]),
                None => {
                    let mid = midpoint(&geom);
                    Pt::new(mid.x + 6.0 + text.width / 2.0, mid.y)
                }
            };
            geom.label = Some((text.clone(), at));
        }
        edges.push(geom);
    }

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

/// A smooth curve through `pts`: vertical at every waypoint between the ends (so that it
/// bends only between layers), straight out of its first point and into its last.
fn through(pts: &[Pt]) -> EdgeGeom {
    let Some(&start) = pts.first() else {
        return EdgeGeom::default();
    };
    let last = pts.len().saturating_sub(2);
    let curves = pts
        .windows(2)
        .enumerate()
        .map(|(i, p)| {
            let (a, b) = (p[0], p[1]);
            let half = (b.y - a.y) / 2.0;
            let third = Pt::new((b.x - a.x) / 3.0, (b.y - a.y) / 3.0);
            let c1 = if i == 0 { a.add(third) } else { Pt::new(a.x, a.y + half) };
            let c2 = if i == last {
                Pt::new(b.x - third.x, b.y - third.y)
            } else {
                Pt::new(b.x, b.y - half)
            };
            [c1, c2, b]
        })
        .collect();
    EdgeGeom { start, curves, label: None }
}

/// A straight line between the facing sides of two neighbours.
fn side(t: &NodeGeom, h: &NodeGeom) -> EdgeGeom {
    let (ct, ch) = (t.rect.center(), h.rect.center());
    let dir = if ch.x >= ct.x { 1.0 } else { -1.0 };
    let a = Pt::new(ct.x + dir * t.rect.w / 2.0, ct.y);
    let b = Pt::new(ch.x - dir * h.rect.w / 2.0, ch.y);
    let third = Pt::new((b.x - a.x) / 3.0, (b.y - a.y) / 3.0);
    EdgeGeom {
        start: a,
        curves: vec![[a.add(third), Pt::new(b.x - third.x, b.y - third.y), b]],
        label: None,
    }
}

/// An arc over the layer from the top of one node to the top of another.
fn arc(t: &NodeGeom, h: &NodeGeom, y: f64) -> EdgeGeom {
    let a = Pt::new(t.rect.center().x, t.rect.y);
    let b = Pt::new(h.rect.center().x, h.rect.y);
    let y = y.min(a.y.min(b.y) - 8.0);
    EdgeGeom { start: a, curves: vec![[Pt::new(a.x, y), Pt::new(b.x, y), b]], label: None }
}

/// A loop on the right side of a node.
fn self_loop(n: &NodeGeom) -> EdgeGeom {
    let c = n.rect.center();
    let (rx, ry) = (n.rect.w / 2.0, n.rect.h / 2.0);
    let (dx, dy) = match n.shape {
        Shape::Box | Shape::Plain => (rx, ry / 2.0),
        Shape::Diamond => (rx / 2.0, ry / 2.0),
        _ => (rx * 0.87, ry * 0.5),
    };
    let a = Pt::new(c.x + dx, c.y - dy);
    let b = Pt::new(c.x + dx, c.y + dy);
    let out = c.x + rx + LOOP_ROOM;
    EdgeGeom {
        start: a,
        curves: vec![[Pt::new(out, a.y - 10.0), Pt::new(out, b.y + 10.0), b]],
        label: None,
    }
}

/// The middle of a curve (the middle segment's point at t = 1/2).
fn midpoint(geom: &EdgeGeom) -> Pt {
    let n = geom.curves.len();
    let Some(seg) = geom.curves.get(n / 2) else {
        return geom.start;
    };
    let a = if n / 2 == 0 { geom.start } else { geom.curves[n / 2 - 1][2] };
    let [c1, c2, b] = *seg;
    Pt::new(
        (a.x + 3.0 * c1.x + 3.0 * c2.x + b.x) / 8.0,
        (a.y + 3.0 * c1.y + 3.0 * c2.y + b.y) / 8.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::dot::parse;

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

    fn check_invariants(text: &str) -> (Graph, Drawing) {
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
        for text in [
            super::super::tests::WAVE,
            super::super::tests::DAMPED,
            super::super::tests::NESTED,
            EDGE_LABELS,
        ] {
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
    fn edges_run_downward_from_tail_bottom_to_head_top() {
        let (g, d) = check_invariants(super::super::tests::WAVE);
        let id = |s: &str| g.nodes.iter().position(|n| n.id == s).expect("node");
        let (p0, n0) = (id("p0"), id("n0"));
        assert!(d.nodes[p0].rect.y + d.nodes[p0].rect.h <= d.nodes[n0].rect.y, "p0 above sin");
        let e = g.edges.iter().position(|e| e.tail == p0 && e.head == n0).expect("edge");
        let geom = &d.edges[e];
        let bottom = d.nodes[p0].rect.y + d.nodes[p0].rect.h;
        assert!((geom.start.y - bottom).abs() < 1e-6, "{:?}", geom.start);
        let end = geom.curves.last().expect("a curve")[2];
        assert!((end.y - d.nodes[n0].rect.y).abs() < 1e-6, "{end:?}");
        // The result sits below the loop cluster that feeds it.
        let r = id("r");
        let lp = d.clusters.iter().find(|c| c.cluster == 1).expect("loop");
        assert!(lp.rect.y + lp.rect.h <= d.nodes[r].rect.y);
    }

    #[test]
    fn layers_follow_the_edges_and_ignore_back_edges() {
        // a -> b -> c -> a: the back edge c -> a is dropped; d has no predecessor and sits
        // just above its successor c.
        assert_eq!(rank(4, &[(0, 1), (1, 2), (2, 0), (3, 2)]), [0, 1, 2, 1]);
        assert_eq!(rank(3, &[]), [0, 0, 0]);
        assert_eq!(rank(2, &[(0, 1), (0, 1), (1, 1)]), [0, 1]);
    }

    #[test]
    fn crossings_are_removed_where_possible() {
        // Two parents whose children are declared crosswise.
        let (g, d) = check_invariants("digraph { a; b; c; d; a -> d; b -> c; }");
        let x = |s: &str| d.nodes[g.nodes.iter().position(|n| n.id == s).expect("node")].rect.x;
        assert_eq!(x("a") < x("b"), x("d") < x("c"), "crossing edges");
    }

    #[test]
    fn isotonic_keeps_separations() {
        let x = isotonic(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]);
        assert_eq!(x, [-10.0, 0.0, 10.0]);
        let x = isotonic(&[0.0, 100.0], &[1.0, 1.0], &[10.0]);
        assert_eq!(x, [0.0, 100.0]);
    }

    #[test]
    fn labels_break_lines_and_replace_names() {
        let t = Text::new("a\\nbb\\lc\\\\\\N", 10.0, &[('N', "node")]);
        let lines: Vec<(&str, Align)> = t.lines.iter().map(|(s, a)| (s.as_str(), *a)).collect();
        assert_eq!(lines, [("a", Align::Center), ("bb", Align::Left), ("c\\node", Align::Center)]);
        assert!((t.height - 36.0).abs() < 1e-9);
        assert!(Text::new("", 14.0, &[]).is_empty());
        assert!(text_width("MMMM", 14.0) > text_width("iiii", 14.0));
    }

    #[test]
    fn layout_is_deterministic() {
        let g = parse(super::super::tests::DAMPED).expect("parses");
        let (a, b) = (layout(&g), layout(&g));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
