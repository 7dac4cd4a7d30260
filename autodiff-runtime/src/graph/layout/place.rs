//! Coordinates within a level: an x for every vertex (each layer as close as it can be to
//! the barycenters of its neighbours, kept apart by isotonic regression), a band of y for every
//! layer, and the box around the level's content with its label and the ports where edges
//! cross its sides.

use super::order::positions;
use super::rank::{Chain, Kind, LEdge, Layered, Vert};
use super::text::Text;
use super::{CLUSTER_PAD, Ctx, EDGE_SEP, FONT_SIZE, Local, Pt, ROOT_PAD, TITLE_SIZE};
use crate::graph::dot::{attr, number};

/// Placement iterations.
const PLACE_ROUNDS: usize = 8;

/// Where a level's vertices are, in content coordinates.
pub(super) struct Coords {
    /// The centre of each vertex.
    pub(super) x: Vec<f64>,
    /// The top and the height of each layer's band.
    pub(super) band_top: Vec<f64>,
    pub(super) band_h: Vec<f64>,
    /// The content's extent (a self-loop's or an edge label's room included).
    pub(super) content_w: f64,
    pub(super) content_h: f64,
}

/// The coordinates of the layered graph `lg` with the layers in `order`: x by [`place_x`],
/// then the content moved to start at x = 0; y by layer, with more room under wide fans of
/// edges.
pub(super) fn coords(cx: &Ctx<'_>, lg: &Layered, order: &[Vec<usize>]) -> Coords {
    let Layered { verts, ledges, ups, downs, chains, .. } = lg;
    let (nl, top, real, stretch) = (lg.nl, lg.top, lg.real, lg.stretch);
    let mut x = place_x(order, verts, ledges, ups, downs, chains, cx.node_sep);

    // Vertical placement: the real layers' bands, with more room under wide fans of edges.
    let mut band_top = vec![0.0; nl];
    let mut band_h = vec![0.0; nl];
    let mut spread_below = vec![0.0f64; nl];
    for le in ledges {
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
    Coords { x, band_top, band_h, content_w, content_h }
}

/// The box of level `c` around its content (at least 40×30 for a cluster), with its label;
/// each item's top-left corner; and where each edge leaving the cluster crosses its side.
pub(super) fn frame(cx: &Ctx<'_>, c: usize, lg: &Layered, coords: &Coords) -> Local {
    let cluster = &cx.g.clusters[c];
    let members = &cluster.members;
    let (verts, chains) = (&lg.verts, &lg.chains);
    let Coords { x, band_top, band_h, .. } = coords;
    let (content_w, content_h) = (coords.content_w, coords.content_h);

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
    for ch in chains {
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
    local
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
    let pos = positions(order, verts.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_keeps_separations() {
        let x = isotonic(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]);
        assert_eq!(x, [-10.0, 0.0, 10.0]);
        let x = isotonic(&[0.0, 100.0], &[1.0, 1.0], &[10.0]);
        assert_eq!(x, [0.0, 100.0]);
    }
}
