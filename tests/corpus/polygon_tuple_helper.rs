use crate::helpers::*;
use autodiff::prelude::*;
use std::f64::consts::PI;

#[differentiable]
fn polar_to_cartesian(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

/// Shoelace area of a star-shaped polygon; a tuple-returning helper collected into Vec<(f64, f64)>.
#[differentiable]
fn polygon_area(radii: &[f64], phase: f64) -> f64 {
    let n = radii.len();
    let pts: Vec<(f64, f64)> = radii
        .iter()
        .enumerate()
        .map(|(i, &r)| polar_to_cartesian(r, phase + 2.0 * PI * i as f64 / n as f64))
        .collect();
    let mut area = 0.0;
    for i in 0..n {
        let (x0, y0) = pts[i];
        let (x1, y1) = pts[(i + 1) % n];
        area += x0 * y1 - x1 * y0;
    }
    0.5 * area.abs()
}

#[test]
fn check() {
    let r = [1.0, 1.4, 0.8, 1.2, 0.9];
    let ph = 0.3;
    let mut p = r.to_vec();
    p.push(ph);
    let f = |q: &[f64]| polygon_area(&q[..5], q[5]);
    let (v, (gr, gp)) = polygon_area_grad(&r, ph);
    let mut g = gr.clone();
    g.push(gp);
    let d = dir(6);
    let (jv, jd) = polygon_area_jvp(&r, ph, &d[..5], d[5]);
    verify("polygon_area", &f, &p, v, &g, jv, jd, &d);
}
