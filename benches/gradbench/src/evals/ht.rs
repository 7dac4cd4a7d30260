//! `ht`: hand tracking. A skinned hand model (bones in a tree, each vertex a weighted sum of
//! the bones' transforms) is posed by 26 parameters `theta`; the errors are the differences
//! between observed points and their corresponding model vertices ("simple"), or points on the
//! corresponding triangles at barycentric coordinates `us` ("complicated", where `us` are
//! parameters too). The jacobian is dense: one row per error, one column per `theta` and, in the
//! complicated variant, two more columns first: each error's derivative in its own `u`.
//!
//! The jacobian comes from batch forward mode (`f_jvp_batch`), four directions per pass (4
//! measured fastest: 2, 8 and 28 were slower), the columns compressed: the two `u` columns each
//! take all `u`s at once (every error depends only on its own), and `theta` columns whose rows
//! cannot meet (a translation's coordinates, different fingers) share a direction.

use crate::input::{rows, timed};
use autodiff::prelude::*;
use serde_json::Value;

/// The model and the observations; nothing here is differentiated.
pub struct Hand {
    /// Each bone's parent, or -1.
    pub parents: Vec<i64>,
    /// Each bone's base relative transform, 4 × 4 row-major.
    pub base_relatives: Vec<f64>,
    /// Each bone's inverse base absolute transform, 4 × 4 row-major.
    pub inverse_base_absolutes: Vec<f64>,
    /// Each vertex's homogeneous base position (4 numbers).
    pub base_positions: Vec<f64>,
    /// Each vertex's weight per bone (`vertex * bones + bone`).
    pub weights: Vec<f64>,
    /// Each triangle's three vertices.
    pub triangles: Vec<usize>,
    /// Whether the model is mirrored (x negated).
    pub mirrored: bool,
    /// Each observation's vertex (simple) or triangle (complicated).
    pub correspondences: Vec<usize>,
    /// Each observation's point (3 numbers).
    pub points: Vec<f64>,
}

/// The errors: 3 per observation. `us` is empty for the simple variant.
#[differentiable(wrt(theta, us), batch)]
pub fn hand_errors(theta: &[f64], us: &[f64], hand: &Hand) -> Vec<f64> {
    let nb = hand.parents.len();
    let nv = hand.base_positions.len() / 4;
    let nc = hand.correspondences.len();
    let cols = nb + 3;
    let mut pose: Vec<f64> = vec![0.0; 3 * cols];
    let mut relative: Vec<f64> = vec![0.0; 16 * nb];
    let mut absolute: Vec<f64> = vec![0.0; 16 * nb];
    let mut transform: Vec<f64> = vec![0.0; 16 * nb];
    let mut skinned: Vec<f64> = vec![0.0; 3 * nv];
    let mut errors: Vec<f64> = vec![0.0; 3 * nc];

    // Pose parameters, 3 per column: global rotation, scale (ones), translation, then the
    // fingers' angles (each finger: two angles of its base bone, one of each of two more).
    for i in 0..3 {
        pose[i] = theta[i];
        pose[3 + i] = 1.0;
        pose[6 + i] = theta[3 + i];
    }
    for finger in 0..5 {
        let column = 5 + 4 * finger;
        let t = 6 + 4 * finger;
        pose[3 * column] = theta[t];
        pose[3 * column + 1] = theta[t + 1];
        pose[3 * (column + 1)] = theta[t + 2];
        pose[3 * (column + 2)] = theta[t + 3];
    }

    // Each bone's relative transform: its base transform times a rotation by Euler angles
    // (x, then y, then z: R = Rz Ry Rx; the column holds x, z, y).
    for b in 0..nb {
        let p = 3 * (b + 3);
        let (cx, sx) = (pose[p].cos(), pose[p].sin());
        let (cz, sz) = (pose[p + 1].cos(), pose[p + 1].sin());
        let (cy, sy) = (pose[p + 2].cos(), pose[p + 2].sin());
        let r = [
            cz * cy,
            -sz * cx + cz * sy * sx,
            sz * sx + cz * sy * cx,
            sz * cy,
            cz * cx + sz * sy * sx,
            -cz * sx + sz * sy * cx,
            -sy,
            cy * sx,
            cy * cx,
        ];
        for row in 0..4 {
            let base = 16 * b + 4 * row;
            for col in 0..3 {
                relative[base + col] = hand.base_relatives[base] * r[col]
                    + hand.base_relatives[base + 1] * r[3 + col]
                    + hand.base_relatives[base + 2] * r[6 + col];
            }
            relative[base + 3] = hand.base_relatives[base + 3];
        }
    }

    // Absolute transforms down the tree (a parent comes before its children), and each bone's
    // transform from the base pose.
    for b in 0..nb {
        let parent = hand.parents[b];
        for row in 0..4 {
            for col in 0..4 {
                let mut v = relative[16 * b + 4 * row + col];
                if parent >= 0 {
                    let q = 16 * parent as usize + 4 * row;
                    v = absolute[q] * relative[16 * b + col]
                        + absolute[q + 1] * relative[16 * b + 4 + col]
                        + absolute[q + 2] * relative[16 * b + 8 + col]
                        + absolute[q + 3] * relative[16 * b + 12 + col];
                }
                absolute[16 * b + 4 * row + col] = v;
            }
        }
        for row in 0..4 {
            for col in 0..4 {
                let q = 16 * b + 4 * row;
                transform[q + col] = absolute[q] * hand.inverse_base_absolutes[16 * b + col]
                    + absolute[q + 1] * hand.inverse_base_absolutes[16 * b + 4 + col]
                    + absolute[q + 2] * hand.inverse_base_absolutes[16 * b + 8 + col]
                    + absolute[q + 3] * hand.inverse_base_absolutes[16 * b + 12 + col];
            }
        }
    }

    // Linear blend skinning.
    for b in 0..nb {
        for v in 0..nv {
            let w = hand.weights[v * nb + b];
            let x = &hand.base_positions[4 * v..4 * v + 4];
            for i in 0..3 {
                let q = 16 * b + 4 * i;
                skinned[3 * v + i] += w
                    * (transform[q] * x[0]
                        + transform[q + 1] * x[1]
                        + transform[q + 2] * x[2]
                        + transform[q + 3] * x[3]);
            }
        }
    }

    // The global rotation (angle-axis; the identity below 1e-4), then the translation.
    let norm = (theta[0] * theta[0] + theta[1] * theta[1] + theta[2] * theta[2]).sqrt();
    let mut g = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    if norm >= 0.0001 {
        let (x, y, z) = (theta[0] / norm, theta[1] / norm, theta[2] / norm);
        let (s, c) = (norm.sin(), norm.cos());
        g = [
            x * x + (1.0 - x * x) * c,
            x * y * (1.0 - c) - z * s,
            x * z * (1.0 - c) + y * s,
            x * y * (1.0 - c) + z * s,
            y * y + (1.0 - y * y) * c,
            y * z * (1.0 - c) - x * s,
            x * z * (1.0 - c) - y * s,
            z * y * (1.0 - c) + x * s,
            z * z + (1.0 - z * z) * c,
        ];
    }
    let mirror = if hand.mirrored { -1.0 } else { 1.0 };

    // The errors, from the posed vertices each observation needs.
    for k in 0..nc {
        let c = hand.correspondences[k];
        for i in 0..3 {
            let mut at = 0.0;
            if us.is_empty() {
                at = g[3 * i] * skinned[3 * c] * mirror
                    + g[3 * i + 1] * skinned[3 * c + 1]
                    + g[3 * i + 2] * skinned[3 * c + 2];
            } else {
                let (v0, v1, v2) =
                    (hand.triangles[3 * c], hand.triangles[3 * c + 1], hand.triangles[3 * c + 2]);
                let (u0, u1) = (us[2 * k], us[2 * k + 1]);
                let u2 = 1.0 - u0 - u1;
                for j in 0..3 {
                    let sign = if j == 0 { mirror } else { 1.0 };
                    let blended = u0 * skinned[3 * v0 + j]
                        + u1 * skinned[3 * v1 + j]
                        + u2 * skinned[3 * v2 + j];
                    at += g[3 * i + j] * blended * sign;
                }
            }
            errors[3 * k + i] = hand.points[3 * k + i] - (at + theta[3 + i]);
        }
    }
    errors
}

/// How many directions one batch forward pass carries.
const BATCH: usize = 4;

/// The rows of the errors each `theta` column can reach, from the model alone (a structural
/// pattern: a superset of the nonzeros at any `theta`): the global rotation reaches every row,
/// a translation its own coordinate of every observation, a finger's angle the observations
/// whose vertices have weight on a bone at or below the one it turns.
fn theta_rows(hand: &Hand, complicated: bool) -> Vec<Vec<usize>> {
    let (nb, nc) = (hand.parents.len(), hand.correspondences.len());
    // below[a][b]: bone b is a or one of its descendants (parents come before children)
    let mut below = vec![vec![false; nb]; nb];
    for (b, &parent) in hand.parents.iter().enumerate() {
        below[b][b] = true;
        let mut p = parent;
        while p >= 0 {
            below[p as usize][b] = true;
            p = hand.parents[p as usize];
        }
    }
    let vertices = |k: usize| -> Vec<usize> {
        let c = hand.correspondences[k];
        if complicated { hand.triangles[3 * c..3 * c + 3].to_vec() } else { vec![c] }
    };
    let reaches = |k: usize, bone: usize| {
        vertices(k)
            .iter()
            .any(|&v| (0..nb).any(|b| below[bone][b] && hand.weights[v * nb + b] != 0.0))
    };
    (0..26)
        .map(|t| match t {
            0..3 => (0..3 * nc).collect(),
            3..6 => (0..nc).map(|k| 3 * k + t - 3).collect(),
            _ => {
                let (finger, j) = ((t - 6) / 4, (t - 6) % 4);
                let bone = 5 + 4 * finger + [0, 0, 1, 2][j] - 3;
                (0..nc).filter(|&k| reaches(k, bone)).flat_map(|k| 3 * k..3 * k + 3).collect()
            }
        })
        .collect()
}

/// Groups of `theta` columns whose rows do not meet (greedy colouring, in column order): one
/// direction of forward mode computes every column of a group at once.
fn column_groups(rows: &[Vec<usize>], n_rows: usize) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Vec<usize>, Vec<bool>)> = Vec::new();
    for (c, reach) in rows.iter().enumerate() {
        match groups.iter_mut().find(|(_, taken)| reach.iter().all(|&r| !taken[r])) {
            Some((columns, taken)) => {
                columns.push(c);
                reach.iter().for_each(|&r| taken[r] = true);
            }
            None => {
                let mut taken = vec![false; n_rows];
                reach.iter().for_each(|&r| taken[r] = true);
                groups.push((vec![c], taken));
            }
        }
    }
    groups.into_iter().map(|(columns, _)| columns).collect()
}

/// The dense jacobian from batch forward mode, `BATCH` directions per pass (one primal for all
/// of them), as `rows × cols` rows. The `theta` columns are compressed: a direction carries a
/// group of columns whose rows do not meet ([`column_groups`]), and each row of its derivative
/// belongs to the one column of the group that reaches it. The complicated variant's two `u`
/// columns each take all `u`s at once (every error depends only on its own `u`).
fn jacobian(theta: &[f64], us: &[f64], hand: &Hand) -> Vec<Vec<f64>> {
    let n_rows = 3 * hand.correspondences.len();
    let first = if us.is_empty() { 0 } else { 2 };
    let n_cols = theta.len() + first;
    let mut out = vec![vec![0.0; n_cols]; n_rows];
    let reach = theta_rows(hand, !us.is_empty());
    let groups = column_groups(&reach, n_rows);
    // Each direction in `theta` and in `us`, and where its derivative goes.
    enum Target<'g> {
        U(usize),
        Group(&'g [usize]),
    }
    let mut directions: Vec<(Vec<f64>, Vec<f64>, Target<'_>)> = Vec::new();
    for which in 0..first {
        let u_dot = (0..us.len()).map(|i| if i % 2 == which { 1.0 } else { 0.0 }).collect();
        directions.push((vec![0.0; theta.len()], u_dot, Target::U(which)));
    }
    for group in &groups {
        let mut t_dot = vec![0.0; theta.len()];
        group.iter().for_each(|&c| t_dot[c] = 1.0);
        directions.push((t_dot, vec![0.0; us.len()], Target::Group(group)));
    }
    let zero = (vec![0.0; theta.len()], vec![0.0; us.len()]);
    for start in (0..directions.len()).step_by(BATCH) {
        let dir = |k: usize| -> (&[f64], &[f64]) {
            match directions.get(start + k) {
                Some((t, u, _)) => (t, u),
                None => (&zero.0, &zero.1),
            }
        };
        let t_dots: [&[f64]; BATCH] = std::array::from_fn(|k| dir(k).0);
        let u_dots: [&[f64]; BATCH] = std::array::from_fn(|k| dir(k).1);
        let (_, d) = hand_errors_jvp_batch(theta, us, hand, t_dots, u_dots);
        for (k, column) in d.iter().enumerate() {
            match directions.get(start + k).map(|(_, _, target)| target) {
                Some(Target::U(which)) => {
                    for (row, v) in out.iter_mut().zip(column) {
                        row[*which] = *v;
                    }
                }
                Some(Target::Group(group)) => {
                    for &c in group.iter() {
                        for &r in &reach[c] {
                            out[r][first + c] = column[r];
                        }
                    }
                }
                None => {}
            }
        }
    }
    out
}

fn read(input: &Value) -> Result<(Vec<f64>, Vec<f64>, Hand), String> {
    let theta = crate::input::floats(input, "theta")?;
    let us = rows(input, "us").unwrap_or_default();
    let data = input.get("data").ok_or("the input has no field `data`")?;
    let model = data.get("model").ok_or("`data` has no field `model`")?;
    let ints = |v: &Value, key: &str| -> Result<Vec<i64>, String> {
        v.get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_i64).collect())
            .ok_or_else(|| format!("`{key}` is not an array of integers"))
    };
    let indices = |v: &Value, key: &str| -> Result<Vec<usize>, String> {
        ints(v, key)?
            .into_iter()
            .map(|i| usize::try_from(i).map_err(|_| format!("negative `{key}`")))
            .collect()
    };
    let matrices = |key: &str| -> Result<Vec<f64>, String> {
        let bad = || format!("`{key}` is not an array of 4 × 4 matrices");
        let mut out = Vec::new();
        for m in model.get(key).and_then(Value::as_array).ok_or_else(bad)? {
            out.extend(rows(&serde_json::json!({ "m": m }), "m")?);
        }
        Ok(out)
    };
    let triangles: Vec<usize> = {
        let mut t = Vec::new();
        for tri in model.get("triangles").and_then(Value::as_array).ok_or("no `triangles`")? {
            t.extend(indices(&serde_json::json!({ "t": tri }), "t")?);
        }
        t
    };
    let hand = Hand {
        parents: ints(model, "parents")?,
        base_relatives: matrices("base_relatives")?,
        inverse_base_absolutes: matrices("inverse_base_absolutes")?,
        base_positions: rows(model, "base_positions")?,
        weights: rows(model, "weights")?,
        triangles,
        mirrored: model.get("is_mirrored").and_then(Value::as_bool).unwrap_or(false),
        correspondences: indices(data, "correspondences")?,
        points: rows(data, "points")?,
    };
    let (nb, nv, nc) =
        (hand.parents.len(), hand.base_positions.len() / 4, hand.correspondences.len());
    let limit = if us.is_empty() { nv } else { hand.triangles.len() / 3 };
    let ok = theta.len() == 26
        && nb + 3 >= 5 + 4 * 5
        && hand.parents.iter().enumerate().all(|(b, &p)| p < b as i64)
        && hand.base_relatives.len() == 16 * nb
        && hand.inverse_base_absolutes.len() == 16 * nb
        && hand.weights.len() == nv * nb
        && hand.points.len() == 3 * nc
        && (us.is_empty() || us.len() == 2 * nc)
        && hand.correspondences.iter().all(|&c| c < limit)
        && hand.triangles.iter().all(|&v| v < nv);
    if ok { Ok((theta, us, hand)) } else { Err("inconsistent ht input".to_string()) }
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let (theta, us, hand) = read(input)?;
    match function {
        "objective" => {
            let (e, t) = timed(input, || hand_errors(&theta, &us, &hand));
            Ok((Value::from(e), t))
        }
        "jacobian" => {
            let (j, t) = timed(input, || jacobian(&theta, &us, &hand));
            Ok((Value::from(j), t))
        }
        _ => Err(super::unknown("ht", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small synthetic hand: 22 bones in a chain (or, `tree`, a palm with five fingers of
    /// four bones, each vertex weighted on the bones of one finger only), 6 vertices, 4
    /// observations.
    fn hand(complicated: bool, tree: bool) -> (Vec<f64>, Vec<f64>, Hand) {
        let nb = 22;
        let wave =
            |len: usize, s: f64| (0..len).map(|i| (s * (i as f64 + 1.0)).sin()).collect::<Vec<_>>();
        let mut base_relatives = Vec::new();
        let mut inverse_base_absolutes = Vec::new();
        for b in 0..nb {
            let t = wave(3, 0.3 + b as f64);
            base_relatives.extend([
                1.0,
                0.0,
                0.0,
                0.1 * t[0],
                0.0,
                1.0,
                0.0,
                0.1 * t[1],
                0.0,
                0.0,
                1.0,
                0.1 * t[2],
                0.0,
                0.0,
                0.0,
                1.0,
            ]);
            inverse_base_absolutes.extend([
                1.0, 0.0, 0.0, -0.05, 0.0, 1.0, 0.0, 0.02, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
            ]);
        }
        let nv = 6;
        let mut base_positions = Vec::new();
        for v in wave(3 * nv, 0.7).chunks(3) {
            base_positions.extend([v[0], v[1], v[2], 1.0]);
        }
        let mut weights: Vec<f64> = wave(nv * nb, 1.9).iter().map(|w| 0.5 + 0.5 * w).collect();
        let mut parents: Vec<i64> = (0..nb as i64).map(|b| b - 1).collect();
        if tree {
            // bone 1 the palm; finger f's bones 2 + 4f .. 5 + 4f, the first on the palm
            for f in 0..5 {
                parents[2 + 4 * f] = 1;
            }
            for v in 0..nv {
                let finger = v % 5;
                for b in 0..nb {
                    if !(2 + 4 * finger..6 + 4 * finger).contains(&b) {
                        weights[v * nb + b] = 0.0;
                    }
                }
            }
        }
        let hand = Hand {
            parents,
            base_relatives,
            inverse_base_absolutes,
            base_positions,
            weights,
            triangles: vec![0, 1, 2, 3, 4, 5, 1, 3, 5],
            mirrored: true,
            correspondences: if complicated { vec![0, 2, 1, 2] } else { vec![0, 5, 3, 2] },
            points: wave(12, 1.3),
        };
        let theta = wave(26, 0.45).iter().map(|t| 0.4 * t).collect();
        let us = if complicated {
            wave(8, 2.3).iter().map(|u| 0.3 + 0.2 * u).collect()
        } else {
            Vec::new()
        };
        (theta, us, hand)
    }

    /// Every column of the jacobian against central finite differences of the errors, for a
    /// chain of bones (only the translations compress) and a hand whose fingers' columns share
    /// directions.
    #[test]
    fn jacobian_matches_finite_differences() {
        for (complicated, tree) in [(false, false), (true, false), (false, true), (true, true)] {
            let (theta, us, hand) = hand(complicated, tree);
            let groups = column_groups(&theta_rows(&hand, complicated), 3 * 4).len();
            assert!(if tree { groups < 24 } else { groups == 24 }, "{groups} groups");
            let j = jacobian(&theta, &us, &hand);
            let h = 1e-6;
            let n_cols = j[0].len();
            for col in 0..n_cols {
                let at = |d: f64| {
                    let (mut t, mut u) = (theta.clone(), us.clone());
                    let first = if complicated { 2 } else { 0 };
                    if col >= first {
                        t[col - first] += d;
                    } else {
                        for k in (col..u.len()).step_by(2) {
                            u[k] += d;
                        }
                    }
                    hand_errors(&t, &u, &hand)
                };
                let (up, down) = (at(h), at(-h));
                for (row, (a, b)) in up.iter().zip(&down).enumerate() {
                    let numeric = (a - b) / (2.0 * h);
                    assert!(
                        (j[row][col] - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                        "complicated {complicated}, ({row}, {col}): {} vs {numeric}",
                        j[row][col]
                    );
                }
            }
        }
    }
}
