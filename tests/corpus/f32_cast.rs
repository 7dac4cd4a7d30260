use crate::helpers::*;
use autodiff::prelude::*;

/// Game code with f32 inputs that promotes to f64 for a stable computation and returns f64.
#[differentiable]
fn spring_energy_f32(stretch: f32, stiffness: f32) -> f64 {
    let s = stretch as f64;
    let k = stiffness as f64;
    0.5 * k * s * s + 0.25 * k * s.powi(4)
}

#[test]
fn check() {
    let (s, k) = (0.5f32, 3.0f32);
    let (v, (gs, gk)) = spring_energy_f32_grad(s, k);
    let (jv, jd) = spring_energy_f32_jvp(s, k, 1.0, 0.0);
    let (sd, kd) = (0.5f64, 3.0f64);
    let want = [kd * sd + kd * sd.powi(3), 0.5 * sd * sd + 0.25 * sd.powi(4)];
    println!("spring_energy_f32: v={v} g=({gs},{gk}) want={want:?} jvp=({jv},{jd})");
    check_scalar("value", v as f64, spring_energy_f32(s, k), 1e-12);
    assert!(
        ((gs as f64) - want[0]).abs() < 1e-5 * (1.0 + want[0].abs()),
        "GRADCHECK spring_energy_f32: d/ds lib={gs} want={}",
        want[0]
    );
    assert!(
        ((gk as f64) - want[1]).abs() < 1e-5 * (1.0 + want[1].abs()),
        "GRADCHECK spring_energy_f32: d/dk lib={gk} want={}",
        want[1]
    );
    assert!(
        ((jd as f64) - want[0]).abs() < 1e-5 * (1.0 + want[0].abs()),
        "GRADCHECK spring_energy_f32: jvp lib={jd} want={}",
        want[0]
    );
}
