use crate::helpers::*;
use autodiff::prelude::*;

/// Game light falloff in f32 with min().
#[differentiable]
fn light_falloff(dist: f32, radius: f32, intensity: f32) -> f32 {
    let x = (dist / radius).min(1.0);
    intensity * (1.0 - x * x).powi(2)
}

#[test]
fn check() {
    let p = [2.0f32, 5.0, 3.0];
    let (v, (g0, g1, g2)) = light_falloff_grad(p[0], p[1], p[2]);
    let d = dir(3);
    let (jv, jd) = light_falloff_jvp(p[0], p[1], p[2], d[0] as f32, d[1] as f32, d[2] as f32);
    // analytic reference in f64 (f32 finite differences are too noisy)
    let (dd, r, i) = (2.0f64, 5.0f64, 3.0f64);
    let x = dd / r;
    let base = 1.0 - x * x;
    let want = [i * 2.0 * base * (-2.0 * x) / r, i * 2.0 * base * (2.0 * x * x / r), base * base];
    let got = [g0 as f64, g1 as f64, g2 as f64];
    println!("light_falloff: value={v} grad={got:?} want={want:?} jvp=({jv},{jd})");
    check_scalar("value", v as f64, i * base * base, 1e-5);
    check_scalar("jvp value", jv as f64, i * base * base, 1e-5);
    for k in 0..3 {
        assert!(
            (got[k] - want[k]).abs() < 1e-4 * (1.0 + want[k].abs()),
            "GRADCHECK light_falloff: grad[{k}] lib={} want={}",
            got[k],
            want[k]
        );
    }
    let dg = dot(&want, &d);
    assert!(
        (jd as f64 - dg).abs() < 1e-4 * (1.0 + dg.abs()),
        "GRADCHECK light_falloff: jvp {jd} vs {dg}"
    );
}
