use crate::helpers::*;
use autodiff::prelude::*;

/// De Casteljau on a cubic Bezier with control points as [[f64; 2]; 4]; distance to a target.
#[differentiable]
fn bezier_miss_distance(ctrl: [[f64; 2]; 4], t: f64, target: [f64; 2]) -> f64 {
    let mut pts = ctrl;
    for level in 1..4 {
        for i in 0..(4 - level) {
            for d in 0..2 {
                pts[i][d] = (1.0 - t) * pts[i][d] + t * pts[i + 1][d];
            }
        }
    }
    let dx = pts[0][0] - target[0];
    let dy = pts[0][1] - target[1];
    (dx * dx + dy * dy).sqrt()
}

fn unflat(q: &[f64]) -> [[f64; 2]; 4] {
    [[q[0], q[1]], [q[2], q[3]], [q[4], q[5]], [q[6], q[7]]]
}

#[test]
fn check() {
    let p = [0.0, 0.0, 1.0, 2.0, 3.0, 2.5, 4.0, 0.5, 0.37, 1.0, 3.0];
    let f = |q: &[f64]| bezier_miss_distance(unflat(q), q[8], [q[9], q[10]]);
    let (v, (gc, gt, gtarget)) = bezier_miss_distance_grad(unflat(&p), p[8], [p[9], p[10]]);
    let mut g = Vec::new();
    for row in gc.iter() {
        g.push(row[0]);
        g.push(row[1]);
    }
    g.push(gt);
    g.push(gtarget[0]);
    g.push(gtarget[1]);
    let d = dir(11);
    let (jv, jd) =
        bezier_miss_distance_jvp(unflat(&p), p[8], [p[9], p[10]], unflat(&d), d[8], [d[9], d[10]]);
    verify("bezier_miss_distance", &f, &p, v, &g, jv, jd, &d);
}
