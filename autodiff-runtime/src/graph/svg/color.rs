//! Colours as Graphviz names them (X11 names, CSS names, `#rrggbb[aa]`, HSV triples, schemes
//! like `/x11/blue`), turned into what SVG reads.

/// Graphviz's colours where X11 and CSS disagree, and X11 names CSS lacks.
const X11: [(&str, &str); 9] = [
    ("gray", "#c0c0c0"),
    ("grey", "#c0c0c0"),
    ("green", "#00ff00"),
    ("maroon", "#b03060"),
    ("purple", "#a020f0"),
    ("navyblue", "#000080"),
    ("lightgoldenrod", "#eedd82"),
    ("violetred", "#d02090"),
    ("lightslateblue", "#8470ff"),
];

/// CSS's named colours (the X11 names Graphviz knows, mostly).
const CSS: [&str; 148] = [
    "aliceblue",
    "antiquewhite",
    "aqua",
    "aquamarine",
    "azure",
    "beige",
    "bisque",
    "black",
    "blanchedalmond",
    "blue",
    "blueviolet",
    "brown",
    "burlywood",
    "cadetblue",
    "chartreuse",
    "chocolate",
    "coral",
    "cornflowerblue",
    "cornsilk",
    "crimson",
    "cyan",
    "darkblue",
    "darkcyan",
    "darkgoldenrod",
    "darkgray",
    "darkgreen",
    "darkgrey",
    "darkkhaki",
    "darkmagenta",
    "darkolivegreen",
    "darkorange",
    "darkorchid",
    "darkred",
    "darksalmon",
    "darkseagreen",
    "darkslateblue",
    "darkslategray",
    "darkslategrey",
    "darkturquoise",
    "darkviolet",
    "deeppink",
    "deepskyblue",
    "dimgray",
    "dimgrey",
    "dodgerblue",
    "firebrick",
    "floralwhite",
    "forestgreen",
    "fuchsia",
    "gainsboro",
    "ghostwhite",
    "gold",
    "goldenrod",
    "gray",
    "grey",
    "green",
    "greenyellow",
    "honeydew",
    "hotpink",
    "indianred",
    "indigo",
    "ivory",
    "khaki",
    "lavender",
    "lavenderblush",
    "lawngreen",
    "lemonchiffon",
    "lightblue",
    "lightcoral",
    "lightcyan",
    "lightgoldenrodyellow",
    "lightgray",
    "lightgreen",
    "lightgrey",
    "lightpink",
    "lightsalmon",
    "lightseagreen",
    "lightskyblue",
    "lightslategray",
    "lightslategrey",
    "lightsteelblue",
    "lightyellow",
    "lime",
    "limegreen",
    "linen",
    "magenta",
    "maroon",
    "mediumaquamarine",
    "mediumblue",
    "mediumorchid",
    "mediumpurple",
    "mediumseagreen",
    "mediumslateblue",
    "mediumspringgreen",
    "mediumturquoise",
    "mediumvioletred",
    "midnightblue",
    "mintcream",
    "mistyrose",
    "moccasin",
    "navajowhite",
    "navy",
    "oldlace",
    "olive",
    "olivedrab",
    "orange",
    "orangered",
    "orchid",
    "palegoldenrod",
    "palegreen",
    "paleturquoise",
    "palevioletred",
    "papayawhip",
    "peachpuff",
    "peru",
    "pink",
    "plum",
    "powderblue",
    "purple",
    "rebeccapurple",
    "red",
    "rosybrown",
    "royalblue",
    "saddlebrown",
    "salmon",
    "sandybrown",
    "seagreen",
    "seashell",
    "sienna",
    "silver",
    "skyblue",
    "slateblue",
    "slategray",
    "slategrey",
    "snow",
    "springgreen",
    "steelblue",
    "tan",
    "teal",
    "thistle",
    "tomato",
    "turquoise",
    "violet",
    "wheat",
    "white",
    "whitesmoke",
    "yellow",
    "yellowgreen",
];

/// A DOT colour as an SVG one: `#rgb`, `#rrggbb` (`#rrggbbaa` without its alpha), an X11/CSS
/// name (`red`, `grey80`, `lightblue2` as `lightblue`), `transparent`, or HSV `"h s v"`; the
/// first of a colour list. `None` for what it cannot read.
pub(super) fn color(value: &str) -> Option<String> {
    let first = value.split([':', ';']).next()?.trim();
    // A colour scheme prefix: `/x11/red`.
    let v = first.rsplit('/').next()?.trim();
    if let Some(hex) = v.strip_prefix('#') {
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return match hex.len() {
            3 | 6 => Some(format!("#{}", hex.to_ascii_lowercase())),
            8 => hex.get(..6).map(|h| format!("#{}", h.to_ascii_lowercase())),
            _ => None,
        };
    }
    let parts: Vec<f64> =
        v.split([',', ' ']).filter(|p| !p.is_empty()).filter_map(|p| p.parse().ok()).collect();
    if parts.len() == 3 && parts.iter().all(|p| (0.0..=1.0).contains(p)) {
        return Some(hsv(parts[0], parts[1], parts[2]));
    }
    let name = v.to_ascii_lowercase();
    if name == "transparent" || name == "none" || name == "invis" {
        return Some("none".into());
    }
    if let Some((_, hex)) = X11.iter().find(|(n, _)| *n == name) {
        return Some((*hex).into());
    }
    if CSS.contains(&name.as_str()) {
        return Some(name);
    }
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &name[base.len()..];
    if (base == "gray" || base == "grey") && !digits.is_empty() {
        let level: f64 = digits.parse().ok()?;
        let v = (level.min(100.0) / 100.0 * 255.0).round() as u8;
        return Some(format!("#{v:02x}{v:02x}{v:02x}"));
    }
    if let Some((_, hex)) = X11.iter().find(|(n, _)| *n == base) {
        return Some((*hex).into());
    }
    CSS.contains(&base).then(|| base.to_string())
}

fn hsv(h: f64, s: f64, v: f64) -> String {
    let h6 = (h * 6.0) % 6.0;
    let i = h6.floor();
    let f = h6 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let (r, g, b) = match i as u8 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    let byte = |x: f64| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_names() {
        assert_eq!(color("red").as_deref(), Some("red"));
        assert_eq!(color("Red").as_deref(), Some("red"));
        assert_eq!(color("#ABCDEF").as_deref(), Some("#abcdef"));
        assert_eq!(color("#abcdef80").as_deref(), Some("#abcdef"));
        assert_eq!(color("grey80").as_deref(), Some("#cccccc"));
        assert_eq!(color("lightblue2").as_deref(), Some("lightblue"));
        assert_eq!(color("/x11/blue:red").as_deref(), Some("blue"));
        assert_eq!(color("transparent").as_deref(), Some("none"));
        assert_eq!(color("0 1 1").as_deref(), Some("#ff0000"));
        assert_eq!(color("\"><script>"), None);
        assert_eq!(color("#12"), None);
        assert_eq!(color("nosuchcolour"), None);
    }
}
