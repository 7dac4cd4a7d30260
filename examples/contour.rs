//! SEEDS S4 and S12 as pictures: the contours of the bowl `x0² + 2·x1²` over [-6, 4]² with the
//! gradient-descent path drawn on them, and the non-convex `θ·cos(4θ) + 2|θ|` with the paths of
//! three step sizes. Gradients come from `#[differentiable]`; the PNGs are drawn with plotters'
//! bitmap backend (no system libraries, so no text: the legend is printed instead).
//! Run with `cargo run --release --example contour [output-dir]` (default `target/plots`).

use autodiff::prelude::*;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};

/// SEEDS S1: a bowl with its minimum at the origin.
#[differentiable]
fn bowl(x0: f64, x1: f64) -> f64 {
    x0 * x0 + 2.0 * x1 * x1
}

/// SEEDS S12: a non-convex objective with a local minimum at θ = 0.683767.
#[differentiable]
fn wiggle(theta: f64) -> f64 {
    theta * (4.0 * theta).cos() + 2.0 * theta.abs()
}

/// Gradient descent on the bowl from `start`: the points visited.
fn bowl_path(start: (f64, f64), lr: f64, steps: usize) -> Vec<(f64, f64)> {
    let (mut x0, mut x1) = (Param::new(start.0), Param::new(start.1));
    let mut opt = Sgd::new(lr);
    let mut path = vec![start];
    for _ in 0..steps {
        x0.zero_grad();
        x1.zero_grad();
        bowl_vjp(x0.value, x1.value, 1.0, &mut x0.grad, &mut x1.grad);
        opt.step(&mut [&mut x0, &mut x1]);
        path.push((x0.value, x1.value));
    }
    path
}

/// Gradient descent on the S12 objective from 0.5: the points `(θ, objective)` visited.
fn wiggle_path(lr: f64, steps: usize) -> Vec<(f64, f64)> {
    let mut theta = Param::new(0.5);
    let mut opt = Sgd::new(lr);
    let mut path = vec![(theta.value, wiggle(theta.value))];
    for _ in 0..steps {
        theta.zero_grad();
        wiggle_vjp(theta.value, 1.0, &mut theta.grad);
        opt.step(&mut [&mut theta]);
        path.push((theta.value, wiggle(theta.value)));
    }
    path
}

/// S4: filled contour bands of the bowl (one band per level of `√f`, dark lines between them)
/// and the descent path in red.
fn draw_bowl(file: &Path, path: &[(f64, f64)]) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(file, (600, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root).margin(10).build_cartesian_2d(-6.0..4.0, -6.0..4.0)?;
    let n = 200;
    let cell = 10.0 / n as f64;
    let band = |x0: f64, x1: f64| (bowl(x0, x1).sqrt() / 0.75).floor();
    chart.draw_series((0..n * n).map(|k| {
        let (x0, x1) = (-6.0 + cell * (k % n) as f64, -6.0 + cell * (k / n) as f64);
        let level = band(x0 + cell / 2.0, x1 + cell / 2.0);
        let edge = band(x0 + cell * 1.5, x1 + cell / 2.0) != level
            || band(x0 + cell / 2.0, x1 + cell * 1.5) != level;
        let shade = (255.0 - 18.0 * level).clamp(60.0, 255.0) as u8;
        let color = if edge { RGBColor(40, 40, 90) } else { RGBColor(shade, shade, 255) };
        Rectangle::new([(x0, x1), (x0 + cell, x1 + cell)], color.filled())
    }))?;
    chart.draw_series(LineSeries::new(path.iter().copied(), RED.stroke_width(2)))?;
    chart.draw_series(path.iter().map(|p| Circle::new(*p, 3, RED.filled())))?;
    root.present()?;
    Ok(())
}

/// S12: the objective on [-2, 2] in black and the three descent paths (blue, green, red).
fn draw_wiggle(file: &Path, paths: &[(f64, Vec<(f64, f64)>)]) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(file, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root).margin(10).build_cartesian_2d(-2.0..2.0, -1.0..6.0)?;
    let curve = (0..=800).map(|i| -2.0 + 4.0 * f64::from(i) / 800.0).map(|t| (t, wiggle(t)));
    chart.draw_series(LineSeries::new(curve, BLACK.stroke_width(2)))?;
    chart.draw_series(LineSeries::new([(-2.0, 0.0), (2.0, 0.0)], BLACK.mix(0.3)))?;
    for ((_, path), color) in paths.iter().zip([BLUE, GREEN, RED]) {
        chart.draw_series(LineSeries::new(path.iter().copied(), color.stroke_width(1)))?;
        chart.draw_series(path.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
    }
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args().nth(1).map_or_else(|| PathBuf::from("target/plots"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;

    let path = bowl_path((-5.0, -2.0), 0.1, 30);
    let last = path.last().copied().unwrap_or_default();
    let s4 = dir.join("s4_bowl_contours.png");
    draw_bowl(&s4, &path)?;
    println!("S4  gradient descent on x0² + 2·x1² from (-5, -2), lr 0.1, 30 steps:");
    println!("    ends at ({:.2e}, {:.2e}); picture: {}", last.0, last.1, s4.display());

    let paths: Vec<(f64, Vec<(f64, f64)>)> =
        [0.05, 0.07, 0.15].iter().map(|lr| (*lr, wiggle_path(*lr, 100))).collect();
    let s12 = dir.join("s12_descent_paths.png");
    draw_wiggle(&s12, &paths)?;
    println!("S12 gradient descent on θ·cos(4θ) + 2|θ| from 0.5, 100 steps:");
    for ((lr, path), color) in paths.iter().zip(["blue", "green", "red"]) {
        let (theta, value) = path.last().copied().unwrap_or_default();
        println!("    lr {lr:<4} ({color:<5}): θ = {theta:.6}, objective {value:.6}");
    }
    println!(
        "    (the local minimum θ = 0.683767, objective 0.739494; picture: {})",
        s12.display()
    );
    Ok(())
}
