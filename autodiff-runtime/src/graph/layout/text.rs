//! Label text ([`Text`]): a DOT label's lines (`\n`, `\l`, `\r` end them, `\N` and the other
//! names are replaced) and their extent, estimated from per-character widths for Helvetica or
//! Arial since there are no font metrics. Nodes are sized by it, and the SVG writer places each
//! line by it.

/// Line height, in font sizes.
const LINE: f64 = 1.2;

/// How a line of a label is justified (`\n`, `\l`, `\r` in DOT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::graph) enum Align {
    Left,
    Center,
    Right,
}

/// A label: its lines and their estimated extent.
#[derive(Clone, Debug, Default)]
pub(in crate::graph) struct Text {
    pub lines: Vec<(String, Align)>,
    /// Font size.
    pub size: f64,
    pub width: f64,
    pub height: f64,
}

impl Text {
    /// The label `raw` (DOT escapes: `\n`, `\l`, `\r` break lines, `\N` and the other
    /// `names` are replaced, `\\` is a backslash).
    pub(super) fn new(raw: &str, size: f64, names: &[(char, &str)]) -> Text {
        let lines = label_lines(raw, names);
        let width = lines.iter().map(|(l, _)| text_width(l, size)).fold(0.0, f64::max);
        let height = lines.len() as f64 * size * LINE;
        Text { lines, size, width, height }
    }

    pub(in crate::graph) fn line_height(&self) -> f64 {
        self.size * LINE
    }

    pub(super) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn label_lines(raw: &str, names: &[(char, &str)]) -> Vec<(String, Align)> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        let end = match c {
            '\\' => match chars.next() {
                Some('n') => Some(Align::Center),
                Some('l') => Some(Align::Left),
                Some('r') => Some(Align::Right),
                Some(k) => {
                    match names.iter().find(|(n, _)| *n == k) {
                        Some((_, name)) => line.push_str(name),
                        None => line.push(k),
                    }
                    None
                }
                None => {
                    line.push('\\');
                    None
                }
            },
            '\n' => Some(Align::Center),
            '\t' => {
                line.push(' ');
                None
            }
            c if c.is_control() => None,
            c => {
                line.push(c);
                None
            }
        };
        if let Some(align) = end {
            lines.push((std::mem::take(&mut line), align));
        }
    }
    if !line.is_empty() {
        lines.push((line, Align::Center));
    }
    lines
}

/// Estimated advance of `c` in ems, for Helvetica/Arial with some slack for fallback fonts.
fn char_em(c: char) -> f64 {
    let em = match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' | 'I' => 0.28,
        'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '"' | '/' | '\\' => 0.36,
        '*' | '^' | '`' => 0.4,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.88,
        'A'..='Z' => 0.7,
        c if c.is_ascii() => 0.57,
        '\u{1100}'..='\u{115f}'
        | '\u{2e80}'..='\u{a4cf}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}'
        | '\u{1f300}'..='\u{1faff}'
        | '\u{20000}'..='\u{3fffd}' => 1.0,
        _ => 0.62,
    };
    em * 1.08
}

fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(char_em).sum::<f64>() * size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_break_lines_and_replace_names() {
        let t = Text::new("a\\nbb\\lc\\\\\\N", 10.0, &[('N', "node")]);
        let lines: Vec<(&str, Align)> = t.lines.iter().map(|(s, a)| (s.as_str(), *a)).collect();
        assert_eq!(lines, [("a", Align::Center), ("bb", Align::Left), ("c\\node", Align::Center)]);
        assert!((t.height - 36.0).abs() < 1e-9);
        assert!(Text::new("", 14.0, &[]).is_empty());
        assert!(text_width("MMMM", 14.0) > text_width("iiii", 14.0));
    }
}
