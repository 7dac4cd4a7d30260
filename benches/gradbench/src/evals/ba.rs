//! `ba`: bundle adjustment. Each of `p` observations projects a 3-d point through a camera
//! (Rodrigues rotation, translation, radial distortion, focal length, principal point) and
//! compares it with a feature, weighted by `w`; each weight also has the error `1 - w²`. The
//! jacobian is sparse: per observation a dense 2 × 15 block (11 camera, 3 point and 1 weight
//! columns), in GradBench's CSR layout, then one `-2w` per weight.
//!
//! The input carries one camera, point, weight and feature; observation `i` uses copy `i mod n`
//! of the camera and `i mod m` of the point. Every observation is computed on its own (the copies
//! are not exploited).

use crate::input::{count, float, floats, timed};
use autodiff::prelude::*;
use serde_json::{Value, json};

/// Camera parameters: rotation (Rodrigues, 3), centre (3), focal length, principal point (2),
/// radial distortion (2).
const CAM: usize = 11;

/// The weighted reprojection error of point `x` seen by camera `cam` against `feat`.
#[differentiable(wrt(cam, x, w))]
pub fn reprojection(cam: [f64; 11], x: [f64; 3], w: f64, feat: [f64; 2]) -> [f64; 2] {
    let (p0, p1, p2) = (x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]);
    let (r0, r1, r2) = (cam[0], cam[1], cam[2]);
    let sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
    // A small rotation: the first-order form, exact at zero.
    let mut q0 = p0 + (r1 * p2 - r2 * p1);
    let mut q1 = p1 + (r2 * p0 - r0 * p2);
    let mut q2 = p2 + (r0 * p1 - r1 * p0);
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (cos, sin) = (theta.cos(), theta.sin());
        let inverse = 1.0 / theta;
        let (w0, w1, w2) = (r0 * inverse, r1 * inverse, r2 * inverse);
        let tmp = (w0 * p0 + w1 * p1 + w2 * p2) * (1.0 - cos);
        q0 = p0 * cos + (w1 * p2 - w2 * p1) * sin + w0 * tmp;
        q1 = p1 * cos + (w2 * p0 - w0 * p2) * sin + w1 * tmp;
        q2 = p2 * cos + (w0 * p1 - w1 * p0) * sin + w2 * tmp;
    }
    let (u, v) = (q0 / q2, q1 / q2);
    let rsq = u * u + v * v;
    let distortion = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
    let pu = u * distortion * cam[6] + cam[7];
    let pv = v * distortion * cam[6] + cam[8];
    [w * (pu - feat[0]), w * (pv - feat[1])]
}

/// The weight's error.
#[differentiable]
pub fn weight_error(w: f64) -> f64 {
    1.0 - w * w
}

/// The input: one camera, point, weight and feature, and how many of each there are.
struct Input {
    n: usize,
    m: usize,
    p: usize,
    cam: [f64; CAM],
    x: [f64; 3],
    w: f64,
    feat: [f64; 2],
}

fn read(input: &Value) -> Result<Input, String> {
    let array = |key: &str, len: usize| -> Result<Vec<f64>, String> {
        let v = floats(input, key)?;
        if v.len() == len {
            Ok(v)
        } else {
            Err(format!("`{key}` has {} numbers, not {len}", v.len()))
        }
    };
    let (cam, x, feat) = (array("cam", CAM)?, array("x", 3)?, array("feat", 2)?);
    let p = Input {
        n: count(input, "n")?,
        m: count(input, "m")?,
        p: count(input, "p")?,
        cam: std::array::from_fn(|i| cam[i]),
        x: std::array::from_fn(|i| x[i]),
        w: float(input, "w")?,
        feat: std::array::from_fn(|i| feat[i]),
    };
    if p.n == 0 || p.m == 0 {
        return Err("`n` and `m` must be positive".to_string());
    }
    Ok(p)
}

/// The replicated problem: `n` cameras, `m` points, `p` weights and features.
struct Problem {
    cams: Vec<[f64; CAM]>,
    points: Vec<[f64; 3]>,
    weights: Vec<f64>,
    feats: Vec<[f64; 2]>,
}

impl Problem {
    fn of(input: &Input) -> Problem {
        Problem {
            cams: vec![input.cam; input.n],
            points: vec![input.x; input.m],
            weights: vec![input.w; input.p],
            feats: vec![input.feat; input.p],
        }
    }
}

/// The jacobian in CSR form.
struct Sparse {
    rows: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
}

/// The sparse jacobian: per observation its two rows (one `f_vjp` each), then the weights'.
fn jacobian(pb: &Problem) -> Sparse {
    let (n, m, p) = (pb.cams.len(), pb.points.len(), pb.weights.len());
    let per_row = CAM + 3 + 1;
    let mut sp = Sparse {
        rows: Vec::with_capacity(3 * p + 1),
        cols: Vec::with_capacity(2 * per_row * p + p),
        vals: Vec::with_capacity(2 * per_row * p + p),
    };
    sp.rows.push(0);
    for i in 0..p {
        let (c, j) = (i % n, i % m);
        for row in 0..2 {
            let mut seed = [0.0; 2];
            seed[row] = 1.0;
            let (mut cam_bar, mut x_bar, mut w_bar) = ([0.0; CAM], [0.0; 3], 0.0);
            reprojection_vjp(
                pb.cams[c],
                pb.points[j],
                pb.weights[i],
                pb.feats[i],
                seed,
                &mut cam_bar,
                &mut x_bar,
                &mut w_bar,
            );
            sp.rows.push(sp.rows.len() * per_row);
            sp.cols.extend((0..CAM).map(|k| CAM * c + k));
            sp.cols.extend((0..3).map(|k| CAM * n + 3 * j + k));
            sp.cols.push(CAM * n + 3 * m + i);
            sp.vals.extend(cam_bar);
            sp.vals.extend(x_bar);
            sp.vals.push(w_bar);
        }
    }
    for i in 0..p {
        sp.rows.push(sp.rows[sp.rows.len() - 1] + 1);
        sp.cols.push(CAM * n + 3 * m + i);
        sp.vals.push(weight_error_grad(pb.weights[i]).1);
    }
    sp
}

/// The first 30 entries of a CSR array and its last, as GradBench reports them.
fn repeated<T: Copy + Into<Value>>(all: &[T]) -> Value {
    let mut out: Vec<Value> = all.iter().take(30).map(|v| (*v).into()).collect();
    if let Some(last) = all.last() {
        out.push((*last).into());
    }
    Value::Array(out)
}

pub fn evaluate(function: &str, input: &Value) -> Result<(Value, Vec<u64>), String> {
    let data = read(input)?;
    let pb = Problem::of(&data);
    match function {
        "objective" => {
            let ((reproj, w_err), t) = timed(input, || {
                let (n, m) = (pb.cams.len(), pb.points.len());
                let reproj: Vec<[f64; 2]> = (0..pb.weights.len())
                    .map(|i| {
                        reprojection(pb.cams[i % n], pb.points[i % m], pb.weights[i], pb.feats[i])
                    })
                    .collect();
                let w_err: Vec<f64> = pb.weights.iter().map(|w| weight_error(*w)).collect();
                (reproj, w_err)
            });
            let first = reproj.first().copied().unwrap_or([0.0; 2]);
            Ok((
                json!({
                    "reproj_error": { "elements": first, "repeated": reproj.len() },
                    "w_err": { "element": w_err.first().copied().unwrap_or(0.0), "repeated": w_err.len() },
                }),
                t,
            ))
        }
        "jacobian" => {
            let (sp, t) = timed(input, || jacobian(&pb));
            let rows: Vec<u64> = sp.rows.iter().map(|&r| r as u64).collect();
            let cols: Vec<u64> = sp.cols.iter().map(|&c| c as u64).collect();
            let output = json!({
                "rows": repeated(&rows),
                "cols": repeated(&cols),
                "vals": repeated(&sp.vals),
            });
            Ok((output, t))
        }
        _ => Err(super::unknown("ba", function)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row of the 2 × 15 block against central finite differences, with and without
    /// rotation (the two branches of Rodrigues' formula).
    #[test]
    fn blocks_match_finite_differences() {
        let x = [0.3, -0.7, 4.5];
        let feat = [0.1, -0.2];
        for rot in [[0.1, -0.05, 0.2], [0.0, 0.0, 0.0]] {
            let mut cam = [0.0; CAM];
            cam[..3].copy_from_slice(&rot);
            cam[3..].copy_from_slice(&[0.2, 0.1, -0.3, 1.3, 0.05, -0.02, 0.01, 0.002]);
            let all: Vec<f64> = cam.iter().chain(&x).chain(&[0.8]).copied().collect();
            let split = |v: &[f64]| {
                (std::array::from_fn(|i| v[i]), std::array::from_fn(|i| v[CAM + i]), v[CAM + 3])
            };
            for row in 0..2 {
                let f = |v: &[f64]| {
                    let (c, p, w) = split(v);
                    reprojection(c, p, w, feat)[row]
                };
                let grad = |v: &[f64], g: &mut [f64]| {
                    let (c, p, w) = split(v);
                    let mut seed = [0.0; 2];
                    seed[row] = 1.0;
                    let (mut cb, mut pb, mut wb) = ([0.0; CAM], [0.0; 3], 0.0);
                    reprojection_vjp(c, p, w, feat, seed, &mut cb, &mut pb, &mut wb);
                    for (gi, b) in g.iter_mut().zip(cb.iter().chain(&pb).chain(&[wb])) {
                        *gi += b;
                    }
                };
                if let Err(e) = gradcheck(f, grad, &all) {
                    panic!("rotation {rot:?}, row {row}: {e}");
                }
            }
        }
    }

    /// The CSR layout: row pointers 0, 15, 30, ..., columns of camera `i mod n`, point
    /// `i mod m` and weight `i`, then one `-2w` per weight.
    #[test]
    fn sparse_layout() {
        let input = Input {
            n: 2,
            m: 3,
            p: 4,
            cam: [0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            x: [0.5, 0.5, 5.0],
            w: 0.75,
            feat: [0.0, 0.0],
        };
        let sp = jacobian(&Problem::of(&input));
        assert_eq!(sp.rows.len(), 3 * 4 + 1);
        assert_eq!(&sp.rows[..4], &[0, 15, 30, 45]);
        assert_eq!(*sp.rows.last().unwrap_or(&0), 8 * 15 + 4);
        // observation 3: camera 1, point 0, weight 3
        let start = 6 * 15;
        assert_eq!(sp.cols[start], CAM);
        assert_eq!(sp.cols[start + CAM], CAM * 2);
        assert_eq!(sp.cols[start + 14], CAM * 2 + 3 * 3 + 3);
        assert_eq!(*sp.vals.last().unwrap_or(&0.0), -1.5);
    }
}
