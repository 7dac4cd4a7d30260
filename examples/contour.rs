//! Two pictures of gradient descent, written as SVG (SEEDS S4 and S12):
//!
//! - the contour lines of the bowl `x0² + 2·x1²` over [-6, 4]² with the gradient-descent path
//!   from (-5, -2) drawn on them;
//! - the non-convex `θ·cos(4θ) + 2|θ|` with the descent paths of three step sizes from θ = 0.5,
//!   beside the objective value at each step.
//!
//! Gradients come from `#[differentiable]`. The pictures are drawn with plotters' SVG backend: SVG
//! writes text as `<text>`, so the axes, tick labels, legends and titles need no font file and no
//! system library. Run with `cargo run --release --example contour [output-dir]` (default
//! `target/plots`).

use autodiff::prelude::*;
use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::{HashMap, VecDeque};
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

/// The local minimum of `wiggle` that gradient descent from 0.5 ends in: `(θ, objective)`.
const LOCAL_MIN: (f64, f64) = (0.683767, 0.739494);

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

/// A grid edge: the node `(i, j)` and whether the edge runs up to `(i, j + 1)` (else right, to
/// `(i + 1, j)`).
type Edge = (usize, usize, bool);

/// The contour lines `f = level` over `[lo, hi]²`, by marching squares on an `n`×`n`-cell grid:
/// one polyline per connected piece (closed pieces end where they start).
fn contour_lines(
    f: impl Fn(f64, f64) -> f64,
    level: f64,
    (lo, hi): (f64, f64),
    n: usize,
) -> Vec<Vec<(f64, f64)>> {
    let h = (hi - lo) / n as f64;
    let at = |i: usize| lo + h * i as f64;
    let v: Vec<Vec<f64>> =
        (0..=n).map(|i| (0..=n).map(|j| f(at(i), at(j)) - level).collect()).collect();
    let ends = |(i, j, up): Edge| (v[i][j], if up { v[i][j + 1] } else { v[i + 1][j] });
    let crosses = |e: Edge| {
        let (a, b) = ends(e);
        (a < 0.0) != (b < 0.0)
    };
    let point = |e: Edge| {
        let (a, b) = ends(e);
        let t = a / (a - b);
        let (i, j, up) = e;
        if up { (at(i), at(j) + t * h) } else { (at(i) + t * h, at(j)) }
    };

    // One or two segments per cell, each joining two edges the contour crosses.
    let mut segments: Vec<(Edge, Edge)> = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let [bottom, right, top, left] =
                [(i, j, false), (i + 1, j, true), (i, j + 1, false), (i, j, true)];
            let hit: Vec<Edge> =
                [bottom, right, top, left].into_iter().filter(|e| crosses(*e)).collect();
            match hit[..] {
                [a, b] => segments.push((a, b)),
                [_, _, _, _] => {
                    // A saddle: the value at the centre says which corners are joined.
                    let centre = (v[i][j] + v[i + 1][j] + v[i][j + 1] + v[i + 1][j + 1]) / 4.0;
                    if (centre < 0.0) == (v[i][j] < 0.0) {
                        segments.extend([(bottom, right), (top, left)]);
                    } else {
                        segments.extend([(left, bottom), (right, top)]);
                    }
                }
                _ => {}
            }
        }
    }

    // Chain the segments through their shared edges into polylines.
    let mut touching: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (k, (a, b)) in segments.iter().enumerate() {
        touching.entry(*a).or_default().push(k);
        touching.entry(*b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for k in 0..segments.len() {
        if used[k] {
            continue;
        }
        used[k] = true;
        let mut chain = VecDeque::from([segments[k].0, segments[k].1]);
        for at_front in [false, true] {
            loop {
                let end = if at_front { chain[0] } else { chain[chain.len() - 1] };
                let Some(&next) = touching[&end].iter().find(|s| !used[**s]) else { break };
                used[next] = true;
                let (a, b) = segments[next];
                let other = if a == end { b } else { a };
                if at_front { chain.push_front(other) } else { chain.push_back(other) }
            }
        }
        lines.push(chain.into_iter().map(point).collect());
    }
    lines
}

/// Marker shapes, drawn as closed outlines `size` pixels from their centre.
#[derive(Clone, Copy)]
enum Shape {
    Circle,
    Triangle,
    Square,
}

fn outline(shape: Shape, size: i32) -> Vec<(i32, i32)> {
    let (corners, turn) = match shape {
        Shape::Circle => (16, 0.0),
        Shape::Triangle => (3, -0.25),
        Shape::Square => (4, 0.125),
    };
    let r = f64::from(size);
    (0..=corners)
        .map(|k| {
            let a = std::f64::consts::TAU * (f64::from(k) / f64::from(corners) + turn);
            ((r * a.cos()).round() as i32, (r * a.sin()).round() as i32)
        })
        .collect()
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().into()
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).pos(Pos::new(h, v))
}

/// `style` in `colour`.
fn tinted(style: TextStyle<'static>, colour: RGBColor) -> TextStyle<'static> {
    TextStyle { color: colour.to_backend_color(), ..style }
}

/// A chart of the pictures: SVG, `f64` on both axes.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The axes' style every chart shares: their names, label fonts, a faint grid; the caller
/// adds its own labels and draws.
fn axes<'a, 'b, 'c>(
    chart: &'c mut Chart<'a, 'b>,
    x: &'c str,
    y: &'c str,
    font_size: u32,
) -> MeshStyle<'a, 'c, RangedCoordf64, RangedCoordf64, SVGBackend<'b>> {
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x)
        .y_desc(y)
        .axis_desc_style(font(font_size + 3))
        .label_style(font(font_size))
        .bold_line_style(BLACK.mix(0.08))
        .light_line_style(TRANSPARENT);
    mesh
}

/// The legend every chart shares, at `position`.
fn legend<'a>(
    chart: &mut Chart<'a, 'a>,
    position: SeriesLabelPosition,
) -> Result<(), Box<dyn Error>> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .draw()?;
    Ok(())
}

/// Contours of the bowl at these levels; their square roots are evenly spaced.
const LEVELS: [f64; 9] = [1.0, 4.0, 9.0, 16.0, 25.0, 36.0, 49.0, 64.0, 81.0];

/// The picture of the bowl: contour lines at `LEVELS` (labelled on the diagonal x0 = x1) and the
/// descent path in red, start and end marked, on square axes.
fn draw_bowl(file: &Path, path: &[(f64, f64)], lr: f64) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(file, (740, 760)).into_drawing_area();
    root.fill(&WHITE)?;
    let area = root.titled("Gradient descent on f(x0, x1) = x0² + 2·x1²", font(26))?;

    // Label areas on the left and at the bottom; the rest of the margins make the plot square.
    let (w, h) = area.dim_in_pixel();
    let (label_left, label_bottom, pad) = (70, 60, 20);
    let side = (w - label_left - pad).min(h - label_bottom - pad);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(pad / 2)
        .margin_bottom(0)
        .margin_right(w - label_left - side - pad / 2)
        .margin_top(h - label_bottom - side)
        .x_label_area_size(label_bottom)
        .y_label_area_size(label_left)
        .build_cartesian_2d(-6.0..4.0, -6.0..4.0)?;
    axes(&mut chart, "x0", "x1", 17)
        .axis_desc_style(font(20))
        .label_style(font(15))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;

    // Contour lines, from dark blue (low) to light teal (high), each labelled with its level
    // where it crosses the diagonal x0 = x1 in the lower left (away from the path).
    let colour = |k: usize| {
        let t = k as f64 / (LEVELS.len() - 1) as f64;
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        RGBColor(mix(25.0, 70.0), mix(50.0, 170.0), mix(140.0, 160.0))
    };
    for (k, level) in LEVELS.iter().enumerate() {
        let lines = contour_lines(bowl, *level, (-6.0, 4.0), 100);
        let style = colour(k).stroke_width(2);
        let series = chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, style)))?;
        if k == 0 {
            series
                .label("contours of f (levels labelled)")
                .legend(move |(x, y)| PathElement::new([(x - 10, y), (x + 10, y)], style));
        }
    }
    chart.draw_series(LEVELS.iter().enumerate().map(|(k, level)| {
        let t = -(level / 3.0).sqrt();
        let text = format!("{level}");
        let half = 4 * text.len() as i32 + 3;
        EmptyElement::at((t, t))
            + Rectangle::new([(-half, -8), (half, 8)], WHITE.filled())
            + Text::new(text, (0, 0), tinted(anchored(14, HPos::Center, VPos::Center), colour(k)))
    }))?;

    // The descent path: a red line through red dots, one per iterate.
    let steps = path.len() - 1;
    chart
        .draw_series(LineSeries::new(path.iter().copied(), RED.stroke_width(2)))?
        .label(format!("gradient descent, lr {lr}, {steps} steps"))
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(-10, 0), (10, 0)], RED.stroke_width(2))
                + Circle::new((0, 0), 3, RED.filled())
        });
    chart.draw_series(path.iter().map(|p| Circle::new(*p, 3, RED.filled())))?;

    let (start, end) = (path[0], path[steps]);
    chart
        .draw_series([EmptyElement::at(start)
            + Circle::new((0, 0), 9, BLACK.stroke_width(2))
            + Text::new("start", (0, -14), anchored(16, HPos::Center, VPos::Bottom))])?
        .label(format!("start ({}, {}), f = {}", start.0, start.1, bowl(start.0, start.1)))
        .legend(|(x, y)| Circle::new((x, y), 7, BLACK.stroke_width(2)));
    chart
        .draw_series([EmptyElement::at(end)
            + Cross::new((0, 0), 7, BLACK.stroke_width(2))
            + Rectangle::new([(10, 10), (44, 28)], WHITE.mix(0.85).filled())
            + Text::new("end", (12, 12), anchored(16, HPos::Left, VPos::Top))])?
        .label(format!("end ({:.1e}, {:.1e}); the minimum is f = 0 at (0, 0)", end.0, end.1))
        .legend(|(x, y)| Cross::new((x, y), 6, BLACK.stroke_width(2)));

    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}

/// The first step from which a path stays within 1e-6 of where it ends.
fn settled_after(path: &[(f64, f64)]) -> usize {
    let end = path[path.len() - 1].0;
    path.iter().rposition(|(theta, _)| (theta - end).abs() >= 1e-6).map_or(0, |k| k + 1)
}

/// How one step size's path is drawn.
struct Look {
    lr: f64,
    colour: RGBColor,
    shape: Shape,
    size: i32,
}

const LOOKS: [Look; 3] = [
    Look { lr: 0.05, colour: RGBColor(0, 90, 210), shape: Shape::Circle, size: 9 },
    Look { lr: 0.07, colour: RGBColor(0, 150, 60), shape: Shape::Triangle, size: 7 },
    Look { lr: 0.15, colour: RGBColor(215, 40, 30), shape: Shape::Square, size: 4 },
];

/// A `look` marker, `scale` times its size, in pixels around its position.
fn marker(look: &Look, scale: f64) -> PathElement<(i32, i32)> {
    let size = (f64::from(look.size) * scale).round() as i32;
    PathElement::new(outline(look.shape, size), look.colour.stroke_width(2))
}

/// The picture of the non-convex objective: on the left its curve on [-2, 2] (top) and, zoomed,
/// the points every step size visits (bottom); on the right the objective after each step.
fn draw_wiggle(file: &Path, paths: &[Vec<(f64, f64)>]) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(file, (1400, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Gradient descent on θ·cos(4θ) + 2|θ| from θ = 0.5: 100 steps for each of three step sizes",
        font(26),
    )?;
    let panels = root.split_evenly((1, 2));
    let (overview, zoom) = panels[0].split_vertically(290);
    let per_step = &panels[1];
    let value_label = |v: &f64| format!("{v:.3}");

    // Left, top: the whole curve; a box marks the zoomed window.
    let (zx, zy) = ((0.46, 0.74), (0.728, 0.805));
    let mut chart = ChartBuilder::on(&overview)
        .caption("The objective on [-2, 2]: global minimum 0 at θ = 0", font(19))
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(-2.0..2.0, -0.8..5.4)?;
    axes(&mut chart, "θ", "objective", 14).y_labels(6).draw()?;
    let curve = |(a, b): (f64, f64)| {
        (0..=1000).map(move |i| a + (b - a) * f64::from(i) / 1000.0).map(|t| (t, wiggle(t)))
    };
    chart.draw_series(LineSeries::new(curve((-2.0, 2.0)), BLACK.stroke_width(2)))?;
    chart.draw_series([EmptyElement::at((0.0, 0.0))
        + Circle::new((0, 0), 4, BLACK.filled())
        + Text::new("global minimum", (0, 8), anchored(14, HPos::Center, VPos::Top))])?;
    chart.draw_series([Rectangle::new(
        [(zx.0, zy.0), (zx.1, zy.1)],
        RGBColor(230, 120, 0).stroke_width(2),
    )])?;
    chart.draw_series([Text::new(
        "paths: zoomed below",
        (0.35, 1.0),
        tinted(anchored(14, HPos::Center, VPos::Bottom), RGBColor(200, 100, 0)),
    )])?;

    // Left, bottom: the window around the paths, each step's point on the curve.
    let mut chart = ChartBuilder::on(&zoom)
        .caption(
            format!("Zoom on θ in [{}, {}]: every step's point on the curve", zx.0, zx.1),
            font(19),
        )
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(zx.0..zx.1, zy.0..zy.1)?;
    axes(&mut chart, "θ", "objective", 14).y_label_formatter(&value_label).draw()?;
    chart
        .draw_series(LineSeries::new(curve(zx), BLACK.stroke_width(1)))?
        .label("objective")
        .legend(|(x, y)| PathElement::new([(x - 10, y), (x + 10, y)], BLACK));
    for (path, look) in paths.iter().zip(&LOOKS) {
        chart
            .draw_series(path.iter().map(|p| EmptyElement::at(*p) + marker(look, 1.0)))?
            .label(format!("lr {}", look.lr))
            .legend(move |(x, y)| EmptyElement::at((x, y)) + marker(look, 1.0));
    }
    let start = paths[0][0];
    chart.draw_series([EmptyElement::at(start)
        + Text::new(
            format!("start θ = {}", start.0),
            (14, -4),
            anchored(15, HPos::Left, VPos::Bottom),
        )])?;
    chart.draw_series([EmptyElement::at((zx.1, LOCAL_MIN.1))
        + Text::new(
            format!("local minimum θ = {}, objective {}", LOCAL_MIN.0, LOCAL_MIN.1),
            (-6, 14),
            anchored(15, HPos::Right, VPos::Top),
        )])?;
    legend(&mut chart, SeriesLabelPosition::LowerLeft)?;

    // Right: the objective after each step.
    let steps = paths[0].len() - 1;
    let mut chart = ChartBuilder::on(per_step)
        .caption("The objective after each step", font(19))
        .margin(10)
        .margin_left(20)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..steps as f64, zy.0..zy.1)?;
    axes(&mut chart, "step", "objective θ·cos(4θ) + 2|θ|", 14)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&value_label)
        .draw()?;
    for (path, look) in paths.iter().zip(&LOOKS) {
        let values = path.iter().enumerate().map(|(k, (_, v))| (k as f64, *v));
        let settled = settled_after(path);
        chart
            .draw_series(LineSeries::new(values.clone(), look.colour.stroke_width(2)))?
            .label(format!(
                "lr {}: θ within 1e-6 of {} from step {settled} on",
                look.lr, LOCAL_MIN.0
            ))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(-12, 0), (12, 0)], look.colour.stroke_width(2))
                    + marker(look, 0.6)
            });
        chart.draw_series(
            values.take(settled + 1).map(|p| EmptyElement::at(p) + marker(look, 0.6)),
        )?;
    }
    let dashes = BLACK.stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, LOCAL_MIN.1), (steps as f64, LOCAL_MIN.1)],
            8,
            6,
            dashes,
        ))?
        .label(format!("local minimum {}", LOCAL_MIN.1))
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(-12, 0), (-3, 0)], dashes)
                + PathElement::new([(3, 0), (12, 0)], dashes)
        });
    chart.draw_series([Text::new(
        format!("local minimum {} (θ = {})", LOCAL_MIN.1, LOCAL_MIN.0),
        (steps as f64, LOCAL_MIN.1),
        anchored(15, HPos::Right, VPos::Bottom),
    )])?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;

    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args().nth(1).map_or_else(|| PathBuf::from("target/plots"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;

    let (start, lr, steps) = ((-5.0, -2.0), 0.1, 30);
    let path = bowl_path(start, lr, steps);
    let last = path[steps];
    let bowl_file = dir.join("s4_bowl_contours.svg");
    draw_bowl(&bowl_file, &path, lr)?;
    println!(
        "Gradient descent on the bowl f(x0, x1) = x0² + 2·x1² (minimum 0 at the origin) from \
         ({}, {}), learning rate {lr}, {steps} steps:",
        start.0, start.1
    );
    println!(
        "    ends at ({:.2e}, {:.2e}), where f = {:.2e}",
        last.0,
        last.1,
        bowl(last.0, last.1)
    );
    println!("    picture: {}", bowl_file.display());
    println!(
        "    (contour lines of f over [-6, 4]² at levels {LEVELS:?}, the descent path in red, start \
         and end marked)"
    );

    let paths: Vec<Vec<(f64, f64)>> = LOOKS.iter().map(|look| wiggle_path(look.lr, 100)).collect();
    let wiggle_file = dir.join("s12_descent_paths.svg");
    draw_wiggle(&wiggle_file, &paths)?;
    println!(
        "Gradient descent on the non-convex θ·cos(4θ) + 2|θ| from θ = 0.5, 100 steps, three \
         learning rates (exact gradients):"
    );
    for (path, look) in paths.iter().zip(&LOOKS) {
        let (theta, value) = path[path.len() - 1];
        let (colour, shape) = match look.shape {
            Shape::Circle => ("blue", "circles"),
            Shape::Triangle => ("green", "triangles"),
            Shape::Square => ("red", "squares"),
        };
        println!(
            "    lr {:<4} ({colour} {shape}): ends at θ = {theta:.6}, objective {value:.6}; within \
             1e-6 of that θ from step {}",
            look.lr,
            settled_after(path)
        );
    }
    println!(
        "    all three end in the local minimum θ = {}, objective {}; the global minimum is 0 at \
         θ = 0",
        LOCAL_MIN.0, LOCAL_MIN.1
    );
    println!("    picture: {}", wiggle_file.display());
    println!(
        "    (left: the objective on [-2, 2], and zoomed around the paths with every step's point; \
         right: the objective after each step, per learning rate)"
    );
    Ok(())
}
