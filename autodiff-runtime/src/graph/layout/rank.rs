//! Layers: cycle removal and longest-path layering of a level's items ([`rank`]), then the
//! level's layered graph ([`layered`]): a vertex for each item, a dummy in each layer that an
//! edge passes through, a port where an edge leaves the cluster, and edges between adjacent
//! layers only.

use super::{Ctx, Flow, Local};
use crate::graph::dot::Member;

/// Layers for `n` items joined by `edges` (from, to): back edges of a depth-first search in
/// declaration order are dropped, each item goes one layer below all its predecessors, then
/// each source moves down to just above its first successor.
pub(super) fn rank(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
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
pub(super) enum Kind {
    /// An item (a node or a child cluster), by index.
    Item(usize),
    /// Where an edge passes through a layer.
    Dummy,
    /// Where an edge crosses the cluster's top or bottom side.
    Port,
}

pub(super) struct Vert {
    pub(super) layer: usize,
    pub(super) w: f64,
    pub(super) h: f64,
    /// Room kept free on its right (a self-loop, an edge label).
    pub(super) right: f64,
    pub(super) kind: Kind,
}

/// An edge between vertices of adjacent layers, `u` above `v`; `du` and `dv` are where it
/// attaches, from the vertices' centres.
pub(super) struct LEdge {
    pub(super) u: usize,
    pub(super) v: usize,
    pub(super) weight: f64,
    pub(super) du: f64,
    pub(super) dv: f64,
    /// `du`, `dv` as fractions of the vertices' positions in their layers (within ±0.45), so
    /// that ordering sees which side of a cluster an edge enters.
    pub(super) fu: f64,
    pub(super) fv: f64,
}

/// An edge at a level: its vertices from the upper end to the lower.
pub(super) struct Chain {
    pub(super) edge: usize,
    pub(super) verts: Vec<usize>,
    /// The dummy that carries its label.
    pub(super) label: Option<usize>,
}

/// A level's layered graph. Its first vertices are the level's items, in order.
pub(super) struct Layered {
    pub(super) verts: Vec<Vert>,
    pub(super) ledges: Vec<LEdge>,
    /// The edges (in `ledges`) from the layer above into each vertex.
    pub(super) ups: Vec<Vec<usize>>,
    /// The edges (in `ledges`) from each vertex into the layer below.
    pub(super) downs: Vec<Vec<usize>>,
    pub(super) chains: Vec<Chain>,
    /// The number of layers.
    pub(super) nl: usize,
    /// 1 when layer 0 holds only the ports on the cluster's top side, else 0.
    pub(super) top: usize,
    /// The number of layers from the first that holds items to the last.
    pub(super) real: usize,
    /// 2 when every other layer holds only edges (and their labels), else 1.
    pub(super) stretch: usize,
}

/// Where an edge attaches to vertex `v`, from its centre: a cluster's port, else the centre.
pub(super) fn attach(members: &[Member], locals: &[Local], v: &Vert, e: usize) -> f64 {
    match v.kind {
        Kind::Item(i) => match members.get(i) {
            Some(&Member::Cluster(k)) => {
                locals[k].ports.get(&e).map_or(0.0, |&x| x - locals[k].w / 2.0)
            }
            _ => 0.0,
        },
        Kind::Dummy | Kind::Port => 0.0,
    }
}

/// The layered graph of level `c`, its child clusters laid out in `locals`: the items in
/// their layers (with a layer of edges only between two layers of items when edges at this
/// level have labels), and each edge that crosses layers as a chain of vertices.
pub(super) fn layered(cx: &Ctx<'_>, c: usize, locals: &[Local]) -> Layered {
    let members = &cx.g.clusters[c].members;
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
            let du = attach(members, locals, &verts[u], ch.edge);
            let dv = attach(members, locals, &verts[v], ch.edge);
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

    Layered { verts, ledges, ups, downs, chains, nl, top, real, stretch }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_follow_the_edges_and_ignore_back_edges() {
        // a -> b -> c -> a: the back edge c -> a is dropped; d has no predecessor and sits
        // just above its successor c.
        assert_eq!(rank(4, &[(0, 1), (1, 2), (2, 0), (3, 2)]), [0, 1, 2, 1]);
        assert_eq!(rank(3, &[]), [0, 0, 0]);
        assert_eq!(rank(2, &[(0, 1), (0, 1), (1, 1)]), [0, 1]);
    }
}
