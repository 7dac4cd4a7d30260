//! Edges: where they attach to their nodes (spread along the side), their waypoints through
//! each level, joined across levels into Bézier curves that bend only between layers; edges
//! within one layer, self-loops, and where edge labels go.

use super::order::positions;
use super::place::Coords;
use super::rank::{Kind, Layered, attach};
use super::{Ctx, EdgeGeom, Flow, LOOP_ROOM, Local, NodeGeom, Pt, Same, Shape};
use crate::graph::dot::Member;
use std::collections::BTreeMap;

/// The waypoints of each edge that crosses layers at level `c` (`local.chains`) and the
/// centres of their labels (`local.labels`), in content coordinates.
pub(super) fn waypoints(
    cx: &Ctx<'_>,
    c: usize,
    locals: &[Local],
    lg: &Layered,
    order: &[Vec<usize>],
    coords: &Coords,
    local: &mut Local,
) {
    let members = &cx.g.clusters[c].members;
    let (verts, chains) = (&lg.verts, &lg.chains);
    let Coords { x, band_top, band_h, .. } = coords;
    let (content, h) = (local.content, local.h);

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
                let to = x[next] + attach(members, locals, &verts[next], ch.edge);
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
                        x[v] + attach(members, locals, vert, e),
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
}

/// How each edge between two items of one layer at level `c` is drawn (`local.same`):
/// neighbouring nodes are joined side to side, other items by an arc over the layer.
pub(super) fn same_layer(
    cx: &Ctx<'_>,
    c: usize,
    lg: &Layered,
    order: &[Vec<usize>],
    coords: &Coords,
    local: &mut Local,
) {
    let members = &cx.g.clusters[c].members;
    let (verts, top, band_top) = (&lg.verts, lg.top, &coords.band_top);
    let content = local.content;
    let pos = positions(order, verts.len());
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
}

/// Edge `e` as drawn: its waypoints at every level it passes through joined (`base`: where
/// each level's content starts in the drawing), or its arc or line within one layer, or its
/// self-loop; with its label.
pub(super) fn curve(
    cx: &Ctx<'_>,
    locals: &[Local],
    base: &[Pt],
    nodes: &[NodeGeom],
    e: usize,
) -> EdgeGeom {
    let edge = &cx.g.edges[e];
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
                    if pts.last().is_none_or(|q: &Pt| (q.x - p.x).abs() + (q.y - p.y).abs() > 0.01)
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
    geom
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
    use crate::graph::layout::tests::check_invariants;
    use crate::graph::tests::WAVE;

    #[test]
    fn edges_run_downward_from_tail_bottom_to_head_top() {
        let (g, d) = check_invariants(WAVE);
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
}
