//! What the layout of every level reads, worked out once for the whole graph ([`Ctx`]): each
//! node's shape and size, the level that holds each edge and the items it joins there, the
//! layers of each level's items (by [`rank`]), how each edge runs between them, and the edges
//! that leave each cluster.

use super::rank::rank;
use super::text::Text;
use super::{
    Ctx, EDGE_LABEL_SIZE, EdgeInfo, FONT_SIZE, Flow, LOOP_ROOM, NODE_SEP, NodeLook, RANK_SEP, Shape,
};
use crate::graph::dot::{Graph, Member, attr, number};

/// Node `n`'s shape, label and size: room for the label inside its shape, at least the
/// `width` and `height` asked for.
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

/// Everything the levels' layouts share, for graph `g`.
pub(super) fn context(g: &Graph) -> Ctx<'_> {
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
