//! Crossing reduction: the order of the vertices within each layer of a level, by barycenter
//! sweeps down and up and swaps of neighbours, keeping the order with the fewest crossings.

use super::rank::{LEdge, Vert};

/// Crossing-reduction iterations.
const ORDER_ROUNDS: usize = 8;

/// Orders each layer's vertices to reduce crossings: barycenter sweeps down and up, each
/// followed by swaps of neighbours; ties keep the current order (declaration order first).
pub(super) fn order_layers(
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
    let mut pos = positions(&order, verts.len());
    let set_pos = |layer: &[usize], pos: &mut [usize]| {
        for (p, &v) in layer.iter().enumerate() {
            pos[v] = p;
        }
    };
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

/// The position of each of `n` vertices within its layer, the layers in `order`.
pub(super) fn positions(order: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut pos = vec![0usize; n];
    for layer in order {
        for (p, &v) in layer.iter().enumerate() {
            pos[v] = p;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use crate::graph::layout::tests::check_invariants;

    #[test]
    fn crossings_are_removed_where_possible() {
        // Two parents whose children are declared crosswise.
        let (g, d) = check_invariants("digraph { a; b; c; d; a -> d; b -> c; }");
        let x = |s: &str| d.nodes[g.nodes.iter().position(|n| n.id == s).expect("node")].rect.x;
        assert_eq!(x("a") < x("b"), x("d") < x("c"), "crossing edges");
    }
}
