//! SVG writing: the placed [`Drawing`] of a [`Graph`] as one `<svg>` element.
//!
//! Drawn in this order, so that later things sit on top: the background, the graph's title,
//! the clusters (parents before their children), the edges, the nodes. Every cluster, edge and
//! node is a `<g>` whose `<title>` (a hover tooltip) holds its DOT id.

use super::dot::{Attrs, Graph, attr, number};
use super::layout::{Align, Drawing, EdgeGeom, Pt, Shape, Text};
use std::fmt::Write as _;

mod color;

use color::color;

const FONT_FAMILY: &str = "Helvetica, Arial, sans-serif";
/// Fill of a `style=filled` node without a colour.
const NODE_FILL: &str = "#cfe2ff";
/// Fill of clusters by depth (deeper clusters darker, cycling).
const CLUSTER_FILLS: [&str; 3] = ["#f4f6fa", "#e8edf5", "#dce3ee"];
const CLUSTER_STROKE: &str = "#8c96a3";
/// Arrowhead length and half width.
const ARROW_LEN: f64 = 10.0;
const ARROW_HALF: f64 = 3.5;

/// The SVG text of a drawing.
pub(super) fn write(g: &Graph, d: &Drawing) -> String {
    let mut out = String::new();
    let (w, h) = (num(d.width.max(1.0)), num(d.height.max(1.0)));
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let root = g.clusters.first().map(|c| &c.attrs);
    let background =
        root.and_then(|a| attr(a, "bgcolor")).and_then(color).unwrap_or_else(|| "white".into());
    let _ = writeln!(out, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="{background}"/>"#);
    if let Some((t, at)) = &d.title {
        let fill = root.and_then(|a| attr(a, "fontcolor")).and_then(color);
        let _ = write!(out, r#"<g class="title">"#);
        text(&mut out, t, *at, fill.as_deref().unwrap_or("black"));
        let _ = writeln!(out, "</g>");
    }
    // Cluster labels go on top of the edges, with a halo of the cluster's fill.
    let mut labels = Vec::new();
    for cl in &d.clusters {
        let Some(cluster) = g.clusters.get(cl.cluster) else { continue };
        let st = Style::of(&cluster.attrs);
        if st.invis {
            continue;
        }
        let a = &cluster.attrs;
        let given = |keys: &[&str]| keys.iter().find_map(|k| attr(a, k).and_then(color));
        let shade = CLUSTER_FILLS[cl.depth.saturating_sub(1) % CLUSTER_FILLS.len()];
        let fill =
            if st.filled { given(&["fillcolor", "color", "bgcolor"]) } else { given(&["bgcolor"]) }
                .unwrap_or_else(|| shade.into());
        let stroke = given(&["pencolor", "color"]).unwrap_or_else(|| CLUSTER_STROKE.into());
        let r = cl.rect;
        let _ = write!(
            out,
            r#"<g class="cluster"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{fill}"{}/>"#,
            escape(&cluster.name),
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h),
            st.stroke(&stroke, number(a, "penwidth", 0.0, 20.0)),
        );
        let _ = writeln!(out, "</g>");
        if let Some((t, at)) = &cl.label {
            let ink = given(&["fontcolor"]).unwrap_or_else(|| "black".into());
            labels.push((t, *at, ink, fill));
        }
    }
    for (edge, geom) in g.edges.iter().zip(&d.edges) {
        let (Some(tail), Some(head)) = (g.nodes.get(edge.tail), g.nodes.get(edge.head)) else {
            continue;
        };
        let st = Style::of(&edge.attrs);
        if st.invis || geom.curves.is_empty() {
            continue;
        }
        let a = &edge.attrs;
        let stroke = attr(a, "color").and_then(color).unwrap_or_else(|| "black".into());
        let (head_arrow, tail_arrow) = arrows(g.directed, a);
        let mut geom = geom.clone();
        let mut heads = Vec::new();
        if head_arrow {
            heads.extend(trim_end(&mut geom));
        }
        if tail_arrow {
            let mut back = reversed(&geom);
            heads.extend(trim_end(&mut back));
            geom = reversed(&back);
        }
        let op = if g.directed { "-&gt;" } else { "--" };
        let _ = write!(
            out,
            r#"<g class="edge"><title>{}{op}{}</title><path d="{}" fill="none"{}/>"#,
            escape(&tail.id),
            escape(&head.id),
            path(&geom),
            st.stroke(&stroke, number(a, "penwidth", 0.0, 20.0)),
        );
        for (tip, dir) in heads {
            let base = Pt::new(tip.x - dir.x * ARROW_LEN, tip.y - dir.y * ARROW_LEN);
            let (px, py) = (-dir.y * ARROW_HALF, dir.x * ARROW_HALF);
            let _ = write!(
                out,
                r#"<polygon points="{},{} {},{} {},{}" fill="{stroke}" stroke="{stroke}"/>"#,
                num(tip.x),
                num(tip.y),
                num(base.x + px),
                num(base.y + py),
                num(base.x - px),
                num(base.y - py),
            );
        }
        if let Some((t, at)) = &geom.label {
            let fill = attr(a, "fontcolor").and_then(color).unwrap_or_else(|| "black".into());
            text(&mut out, t, *at, &fill);
        }
        let _ = writeln!(out, "</g>");
    }
    if !labels.is_empty() {
        let _ = write!(out, r#"<g class="cluster-labels">"#);
        for (t, at, ink, halo) in labels {
            text_with(&mut out, t, at, &ink, Some(&halo));
        }
        let _ = writeln!(out, "</g>");
    }
    for (node, geom) in g.nodes.iter().zip(&d.nodes) {
        let a = &node.attrs;
        let st = Style::of(a);
        if st.invis {
            continue;
        }
        let given = |keys: &[&str]| keys.iter().find_map(|k| attr(a, k).and_then(color));
        let line = given(&["color"]).unwrap_or_else(|| "black".into());
        let fill = if st.filled {
            given(&["fillcolor", "color"]).unwrap_or_else(|| NODE_FILL.into())
        } else if geom.shape == Shape::Point {
            given(&["fillcolor", "color"]).unwrap_or_else(|| "black".into())
        } else {
            "none".into()
        };
        let stroke = st.stroke(&line, number(a, "penwidth", 0.0, 20.0));
        let r = geom.rect;
        let c = r.center();
        let _ = write!(out, r#"<g class="node"><title>{}</title>"#, escape(&node.id));
        let ellipse = |out: &mut String, rx: f64, ry: f64| {
            let _ = write!(
                out,
                r#"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{fill}"{stroke}/>"#,
                num(c.x),
                num(c.y),
                num(rx),
                num(ry),
            );
        };
        match geom.shape {
            Shape::Ellipse | Shape::Point | Shape::Circle => {
                ellipse(&mut out, r.w / 2.0, r.h / 2.0);
            }
            Shape::DoubleCircle => {
                ellipse(&mut out, r.w / 2.0, r.h / 2.0);
                let _ = write!(
                    out,
                    r#"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="none"{stroke}/>"#,
                    num(c.x),
                    num(c.y),
                    num((r.w / 2.0 - 4.0).max(1.0)),
                    num((r.h / 2.0 - 4.0).max(1.0)),
                );
            }
            Shape::Box => {
                let round = if st.rounded { r#" rx="6""# } else { "" };
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}"{round} fill="{fill}"{stroke}/>"#,
                    num(r.x),
                    num(r.y),
                    num(r.w),
                    num(r.h),
                );
            }
            Shape::Diamond => {
                let _ = write!(
                    out,
                    r#"<polygon points="{},{} {},{} {},{} {},{}" fill="{fill}"{stroke}/>"#,
                    num(c.x),
                    num(r.y),
                    num(r.x + r.w),
                    num(c.y),
                    num(c.x),
                    num(r.y + r.h),
                    num(r.x),
                    num(c.y),
                );
            }
            Shape::Plain if st.filled => {
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="none"/>"#,
                    num(r.x),
                    num(r.y),
                    num(r.w),
                    num(r.h),
                );
            }
            Shape::Plain => {}
        }
        let ink = given(&["fontcolor"]).unwrap_or_else(|| "black".into());
        text(&mut out, &geom.label, c, &ink);
        let _ = writeln!(out, "</g>");
    }
    out.push_str("</svg>\n");
    out
}

/// The `style` attribute's words that the drawing honours.
#[derive(Default)]
struct Style {
    filled: bool,
    dashed: bool,
    dotted: bool,
    bold: bool,
    invis: bool,
    rounded: bool,
}

impl Style {
    fn of(attrs: &Attrs) -> Style {
        let mut st = Style::default();
        for word in attr(attrs, "style").unwrap_or("").split(',') {
            match word.trim().to_ascii_lowercase().as_str() {
                "filled" | "striped" | "wedged" | "radial" => st.filled = true,
                "dashed" => st.dashed = true,
                "dotted" => st.dotted = true,
                "bold" => st.bold = true,
                "invis" | "invisible" => st.invis = true,
                "rounded" => st.rounded = true,
                _ => {}
            }
        }
        st
    }

    /// ` stroke=".." stroke-width=".."` and the dash pattern.
    fn stroke(&self, color: &str, penwidth: Option<f64>) -> String {
        let width = penwidth.unwrap_or(if self.bold { 2.0 } else { 1.0 });
        let dash = if self.dashed {
            r#" stroke-dasharray="5,3""#
        } else if self.dotted {
            r#" stroke-dasharray="1,3""#
        } else {
            ""
        };
        format!(r#" stroke="{color}" stroke-width="{}"{dash}"#, num(width))
    }
}

/// Whether an edge has an arrowhead at its head, and at its tail (`dir`, `arrowhead`,
/// `arrowtail`).
fn arrows(directed: bool, attrs: &Attrs) -> (bool, bool) {
    let dir = attr(attrs, "dir").map(str::to_ascii_lowercase);
    let (head, tail) = match dir.as_deref() {
        Some("forward") => (true, false),
        Some("back") => (false, true),
        Some("both") => (true, true),
        Some("none") => (false, false),
        _ => (directed, false),
    };
    let none = |key: &str| attr(attrs, key).is_some_and(|v| v.eq_ignore_ascii_case("none"));
    (head && !none("arrowhead"), tail && !none("arrowtail"))
}

/// The curve reversed.
fn reversed(geom: &EdgeGeom) -> EdgeGeom {
    let mut ends: Vec<Pt> = vec![geom.start];
    ends.extend(geom.curves.iter().map(|c| c[2]));
    let curves: Vec<[Pt; 3]> =
        geom.curves.iter().zip(&ends).rev().map(|(c, &start)| [c[1], c[0], start]).collect();
    EdgeGeom {
        start: ends.last().copied().unwrap_or(geom.start),
        curves,
        label: geom.label.clone(),
    }
}

/// Ends the curve one arrowhead short of where it ended; returns the arrow's tip and its
/// unit direction.
fn trim_end(geom: &mut EdgeGeom) -> Option<(Pt, Pt)> {
    // A last piece shorter than the arrowhead merges into the one before.
    while geom.curves.len() >= 2 {
        let n = geom.curves.len();
        let (a, b) = (geom.curves[n - 2][2], geom.curves[n - 1][2]);
        if distance(a, b) >= ARROW_LEN * 1.5 {
            break;
        }
        let from = if n >= 3 { geom.curves[n - 3][2] } else { geom.start };
        geom.curves.truncate(n - 2);
        let dy = (b.y - from.y) / 2.0;
        geom.curves.push([Pt::new(from.x, from.y + dy), Pt::new(b.x, b.y - dy), b]);
    }
    let n = geom.curves.len();
    let from = if n >= 2 { geom.curves[n - 2][2] } else { geom.start };
    let last = geom.curves.last_mut()?;
    let tip = last[2];
    let dir = [last[1], last[0], from]
        .into_iter()
        .map(|p| Pt::new(tip.x - p.x, tip.y - p.y))
        .find(|d| d.x.hypot(d.y) > 1e-6)
        .map_or(Pt::new(0.0, 1.0), |d| {
            let len = d.x.hypot(d.y);
            Pt::new(d.x / len, d.y / len)
        });
    let back = ARROW_LEN.min(distance(from, tip));
    last[2] = Pt::new(tip.x - dir.x * back, tip.y - dir.y * back);
    last[1] = Pt::new(last[1].x - dir.x * back, last[1].y - dir.y * back);
    Some((tip, dir))
}

fn distance(a: Pt, b: Pt) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// A path's `d`.
fn path(geom: &EdgeGeom) -> String {
    let mut d = format!("M{},{}", num(geom.start.x), num(geom.start.y));
    for [c1, c2, b] in &geom.curves {
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            num(c1.x),
            num(c1.y),
            num(c2.x),
            num(c2.y),
            num(b.x),
            num(b.y)
        );
    }
    d
}

/// A label's lines as `<text>` elements around `center`.
fn text(out: &mut String, t: &Text, center: Pt, fill: &str) {
    text_with(out, t, center, fill, None);
}

/// [`text`], with a `halo` of that colour around the glyphs (over lines behind them).
fn text_with(out: &mut String, t: &Text, center: Pt, fill: &str, halo: Option<&str>) {
    let halo = halo.map_or(String::new(), |c| {
        format!(r#" stroke="{c}" stroke-width="4" stroke-linejoin="round" paint-order="stroke""#)
    });
    let lh = t.line_height();
    let top = center.y - t.height / 2.0;
    for (i, (line, align)) in t.lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let y = top + lh * (i as f64 + 0.5) + 0.35 * t.size;
        let (x, anchor) = match align {
            Align::Left => (center.x - t.width / 2.0, "start"),
            Align::Center => (center.x, "middle"),
            Align::Right => (center.x + t.width / 2.0, "end"),
        };
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="{anchor}" font-family="{FONT_FAMILY}" font-size="{}" fill="{fill}"{halo}>{}</text>"#,
            num(x),
            num(y),
            num(t.size),
            escape(line),
        );
    }
}

/// `s` as XML character data or attribute value: `& < > "` escaped, characters XML cannot
/// hold dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number with at most two decimals.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::{DAMPED, NESTED, WAVE, assert_well_formed};
    use crate::graph::to_svg;

    fn svg(text: &str) -> String {
        to_svg(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The `<g class="node">` element of node `id`.
    fn node_group<'s>(svg: &'s str, id: &str) -> &'s str {
        let start = svg
            .find(&format!(r#"<g class="node"><title>{}</title>"#, escape(id)))
            .unwrap_or_else(|| panic!("no node {id} in\n{svg}"));
        let end = svg[start..].find("</g>").expect("closed") + start;
        &svg[start..end]
    }

    #[test]
    fn every_node_has_its_title_and_its_label() {
        for text in [WAVE, DAMPED, NESTED] {
            let svg = svg(text);
            assert_well_formed(&svg);
            let g = crate::graph::dot::parse(text).expect("parses");
            assert_eq!(svg.matches(r#"<g class="node">"#).count(), g.nodes.len());
            assert_eq!(svg.matches(r#"<g class="edge">"#).count(), g.edges.len());
            assert_eq!(svg.matches(r#"<g class="cluster">"#).count(), g.clusters.len() - 1);
            for node in &g.nodes {
                let group = node_group(&svg, &node.id);
                let label = node.attrs.get("label").map_or(node.id.as_str(), String::as_str);
                for line in label.split("\\n") {
                    assert!(
                        group.contains(&format!(">{}</text>", escape(line))),
                        "{line}: {group}"
                    );
                }
            }
        }
    }

    #[test]
    fn styles_become_fills_and_dashes() {
        let svg = svg(WAVE);
        let filled = node_group(&svg, "p0");
        assert!(filled.contains("<rect") && !filled.contains(r#"fill="none""#), "{filled}");
        assert!(filled.contains(&format!(r#"fill="{NODE_FILL}""#)), "{filled}");
        let dashed = node_group(&svg, "p1");
        assert!(dashed.contains("stroke-dasharray"), "{dashed}");
        assert!(node_group(&svg, "n0").contains("<ellipse"));
        let plain = node_group(&svg, "n2");
        assert!(plain.contains(r#"fill="none""#) && !plain.contains("stroke-dasharray"));
        let edge = svg.find("<title>n4-&gt;v3</title>").expect("edge n4 -> v3");
        let edge = &svg[edge..edge + svg[edge..].find("</g>").expect("closed")];
        assert!(edge.contains("stroke-dasharray") && edge.contains("<polygon"), "{edge}");
        assert!(svg.contains(r#"<g class="cluster"><title>cluster_loop_0</title>"#));
        assert!(svg.contains(">for i in 0..n</text>") && svg.contains(">if s &gt; 1.0</text>"));
        assert!(svg.contains(r#"<g class="title">"#) && svg.contains(">wave</text>"));
        assert!(svg.contains(r#"font-family="Helvetica, Arial, sans-serif""#));
    }

    #[test]
    fn colours_shapes_and_undirected_edges() {
        let svg = svg(
            r##"graph { node [style=filled]; a [color=red, shape=diamond]; b [fillcolor="#00ff00",
                shape=circle, fontcolor=blue]; c [shape=point]; d [shape=plaintext, label="<&>"];
                e [style=invis]; a -- b [color="grey50", label="w = 1"]; b -- c -- d; }"##,
        );
        assert_well_formed(&svg);
        assert!(node_group(&svg, "a").contains(r#"<polygon"#));
        assert!(node_group(&svg, "a").contains(r#"fill="red" stroke="red""#));
        let b = node_group(&svg, "b");
        assert!(b.contains(r##"fill="#00ff00""##) && b.contains(r#"fill="blue">b</text>"#), "{b}");
        assert!(node_group(&svg, "d").contains(">&lt;&amp;&gt;</text>"));
        assert!(!svg.contains("<title>e</title>"), "invisible");
        let edge = &svg[svg.find("<title>a--b</title>").expect("edge")..];
        let edge = &edge[..edge.find("</g>").expect("closed")];
        assert!(!edge.contains("<polygon"), "no arrowhead in a `graph`: {edge}");
        assert!(edge.contains(r##"stroke="#808080""##) && edge.contains(">w = 1</text>"), "{edge}");
    }

    #[test]
    fn numbers_have_at_most_two_decimals() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn arrowheads_end_at_the_head() {
        let mut geom = EdgeGeom {
            start: Pt::new(0.0, 0.0),
            curves: vec![[Pt::new(0.0, 50.0), Pt::new(10.0, 50.0), Pt::new(10.0, 100.0)]],
            label: None,
        };
        let (tip, dir) = trim_end(&mut geom).expect("a curve");
        assert_eq!(tip, Pt::new(10.0, 100.0));
        assert!((dir.y - 1.0).abs() < 1e-9);
        assert!((geom.curves[0][2].y - 90.0).abs() < 1e-9);
        let back = reversed(&reversed(&geom));
        assert_eq!(back.start, geom.start);
        assert_eq!(back.curves, geom.curves);
    }
}
