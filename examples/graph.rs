//! The computation graph of a function, as the macro sees it (what torchviz draws for PyTorch
//! users): `#[differentiable(graph)]` writes `f_graph()`, Graphviz DOT text built at compile
//! time, and `autodiff::graph::to_svg` renders it in pure Rust (no Graphviz needed).
//!
//! Active parameters are filled boxes, constant ones dashed; each operation is a node named as
//! the source wrote it (`mul`, `sin`, `exp`); a loop or a branch is a box holding its body.
//! `autodiff::graph::adjoint` turns each graph around into its reverse sweep (what `f_vjp`
//! computes): from the result's adjoint `seed` through each operation's derivative (`mul'`)
//! to the parameters' gradients (`x_bar`).
//! Run with `cargo run --release --example graph [output-dir]` (default `target/plots`).

use autodiff::prelude::*;
use std::error::Error;
use std::path::PathBuf;

/// `c·sin(x) + x + c` with `c` a constant: only `x` is differentiated.
#[differentiable(graph, wrt(x))]
fn wave(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

/// The same with `c` differentiated too.
#[differentiable(graph)]
fn wave_both(x: f64, c: f64) -> f64 {
    c * x.sin() + x + c
}

/// A damped spring stepped with semi-implicit Euler, its position clamped to ±10: a loop
/// whose body holds a branch.
#[differentiable(graph)]
fn spring(x0: f64, k: f64, steps: usize) -> f64 {
    let dt = 0.1;
    let mut x = x0;
    let mut v = 0.0;
    for _ in 0..steps {
        let a = -k * x - 0.5 * v;
        v += a * dt;
        x += v * dt;
        if x.abs() > 10.0 {
            x = x.signum() * 10.0;
        }
    }
    x * x
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args().nth(1).map_or_else(|| PathBuf::from("target/plots"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let graphs = [
        ("wave", wave_graph(), "c·sin(x) + x + c, only x differentiated (c dashed)"),
        ("wave_both", wave_both_graph(), "the same with x and c differentiated"),
        ("spring", spring_graph(), "a loop of spring steps with a clamping branch inside"),
    ];
    for (name, dot, what) in graphs {
        println!("{what}:");
        let reverse = autodiff::graph::adjoint(dot)?;
        let views = [
            (name.to_string(), dot, "computation"),
            (format!("{name}_reverse"), &*reverse, "reverse sweep"),
        ];
        for (file, text, which) in views {
            let (dot_file, svg_file) =
                (dir.join(format!("{file}.dot")), dir.join(format!("{file}.svg")));
            std::fs::write(&dot_file, text)?;
            std::fs::write(&svg_file, autodiff::graph::to_svg(text)?)?;
            println!("    {which:>13}: {} (DOT text: {})", svg_file.display(), dot_file.display());
        }
    }
    let (y, dy_dx) = wave_jvp(5.0, 3.0, 1.0);
    println!(
        "wave(5, 3) = {y:.4}, d/dx = {dy_dx:.4}: the graph is the code these numbers come from"
    );
    Ok(())
}
