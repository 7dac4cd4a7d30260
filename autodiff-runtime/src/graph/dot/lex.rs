//! The DOT lexer: text to tokens (identifiers, numbers, quoted strings with their escapes,
//! punctuation), skipping whitespace, comments and preprocessor lines; each token keeps its
//! line for the error messages.

use super::error;
use crate::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// An identifier, a number or a quoted string (keywords are unquoted identifiers).
    Id {
        text: String,
        quoted: bool,
    },
    /// `{ } [ ] ; , = : + -> --`
    Punct(&'static str),
    Eof,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) line: usize,
}

impl Tok {
    /// How an error message shows the token.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Id { text, quoted: true } => format!("\"{}\"", shorten(text)),
            Tok::Id { text, quoted: false } => format!("`{}`", shorten(text)),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "end of input".to_string(),
        }
    }
}

/// At most 30 characters of `text`, control characters escaped.
pub(super) fn shorten(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(30)
        .flat_map(|c| if c.is_control() { c.escape_debug().collect() } else { vec![c] })
        .collect();
    if text.chars().count() > 30 {
        out.push('…');
    }
    out
}

fn is_id_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || !c.is_ascii()
}

fn is_id_char(c: char) -> bool {
    is_id_start(c) || c.is_ascii_digit()
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut i = usize::from(at(0) == Some('\u{feff}'));
    let mut line = 1;
    let mut line_start = true;
    while let Some(c) = at(i) {
        let next = at(i + 1);
        if c == '\n' {
            line += 1;
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start_line = line;
        let mut push = |tok: Tok| tokens.push(Token { tok, line: start_line });
        match c {
            // A line from the C preprocessor.
            '#' if line_start => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if next == Some('/') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                i += 2;
                loop {
                    match at(i) {
                        None => {
                            return Err(error(
                                start_line,
                                "unterminated comment: `/*` without a closing `*/`",
                            ));
                        }
                        Some('*') if at(i + 1) == Some('/') => {
                            i += 2;
                            break;
                        }
                        Some(c) => {
                            line += usize::from(c == '\n');
                            i += 1;
                        }
                    }
                }
            }
            '"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    match at(i) {
                        None => {
                            return Err(error(
                                start_line,
                                "unterminated string: no closing `\"` for the string that \
                                 starts on this line",
                            ));
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => match at(i + 1) {
                            Some('"') => {
                                s.push('"');
                                i += 2;
                            }
                            // Kept for the label escapes (`\\` is a backslash there).
                            Some('\\') => {
                                s.push_str("\\\\");
                                i += 2;
                            }
                            // A line continuation.
                            Some('\n') => {
                                line += 1;
                                i += 2;
                            }
                            Some('\r') if at(i + 2) == Some('\n') => {
                                line += 1;
                                i += 3;
                            }
                            _ => {
                                s.push('\\');
                                i += 1;
                            }
                        },
                        Some(c) => {
                            line += usize::from(c == '\n');
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                push(Tok::Id { text: s, quoted: true });
            }
            '<' => {
                return Err(error(
                    line,
                    "HTML labels are not supported (found `<`); use a quoted string",
                ));
            }
            '-' if next == Some('>') => {
                push(Tok::Punct("->"));
                i += 2;
            }
            '-' if next == Some('-') => {
                push(Tok::Punct("--"));
                i += 2;
            }
            '-' | '.' | '0'..='9' => {
                let begin = i;
                if c == '-' {
                    i += 1;
                }
                let digits_before = count_while(&chars, &mut i, |c| c.is_ascii_digit());
                let mut digits_after = 0;
                if at(i) == Some('.') {
                    i += 1;
                    digits_after = count_while(&chars, &mut i, |c| c.is_ascii_digit());
                }
                if digits_before + digits_after == 0 {
                    return Err(error(line, format!("unexpected character `{c}`")));
                }
                push(Tok::Id { text: chars[begin..i].iter().collect(), quoted: false });
            }
            c if is_id_start(c) => {
                let begin = i;
                count_while(&chars, &mut i, is_id_char);
                push(Tok::Id { text: chars[begin..i].iter().collect(), quoted: false });
            }
            '{' | '}' | '[' | ']' | ';' | ',' | '=' | ':' | '+' => {
                let p = match c {
                    '{' => "{",
                    '}' => "}",
                    '[' => "[",
                    ']' => "]",
                    ';' => ";",
                    ',' => ",",
                    '=' => "=",
                    ':' => ":",
                    _ => "+",
                };
                push(Tok::Punct(p));
                i += 1;
            }
            c => {
                return Err(error(line, format!("unexpected character `{}`", c.escape_debug())));
            }
        }
        line_start = false;
    }
    tokens.push(Token { tok: Tok::Eof, line });
    Ok(tokens)
}

/// Advances `i` over the characters that satisfy `f`; returns how many.
fn count_while(chars: &[char], i: &mut usize, f: impl Fn(char) -> bool) -> usize {
    let start = *i;
    while chars.get(*i).is_some_and(|&c| f(c)) {
        *i += 1;
    }
    *i - start
}

#[cfg(test)]
mod tests {
    use super::super::tests::{edges, node, pairs, parse_err, parse_ok};

    #[test]
    fn strings_escapes_comments_and_the_rest_of_the_syntax() {
        let g = parse_ok(
            "/* leading\n comment */ strict DiGraph 42 {\n\
             # a preprocessor line\n\
             // a line comment\n\
             \"a b\" [label=\"say \\\"hi\\\"\\nthere\\\\\"] [shape = circle ; color=red]\n\
             a:p1:n -> b:sw\n\
             a -> b [color=blue]\n\
             c [label=\"x\" + \"y\", width=.5, height=-1.5]\n\
             NODE [shape=box] d\n\
             e [label=\"one \\\n two\"]\n\
             }",
        );
        assert_eq!(g.name, "42");
        let ab = node(&g, "a b");
        assert_eq!(ab.attrs["label"], "say \"hi\"\\nthere\\\\");
        assert_eq!(ab.attrs["shape"], "circle");
        assert_eq!(ab.attrs["color"], "red");
        assert_eq!(edges(&g), pairs(&[("a", "b")]), "strict: one edge a -> b");
        assert_eq!(g.edges[0].attrs["color"], "blue");
        assert_eq!(node(&g, "c").attrs["label"], "xy");
        assert_eq!(node(&g, "c").attrs["width"], ".5");
        assert_eq!(node(&g, "c").attrs["height"], "-1.5");
        assert_eq!(node(&g, "d").attrs["shape"], "box");
        assert_eq!(node(&g, "e").attrs["label"], "one  two");
    }

    #[test]
    fn lexical_errors_name_the_line_and_what_was_wrong() {
        let (line, msg) = parse_err("digraph {\n  a [label=\"open\n  b;\n}\n");
        assert_eq!(line, 2);
        assert!(msg.contains("unterminated string"), "{msg}");

        let (line, msg) = parse_err("digraph {\n a [label=<<b>bold</b>>];\n}");
        assert_eq!(line, 2);
        assert!(msg.contains("HTML labels are not supported"), "{msg}");

        let (line, msg) = parse_err("digraph {\n a @ b }");
        assert_eq!((line, msg.as_str()), (2, "unexpected character `@`"));
        let (line, msg) = parse_err("digraph {\n/* never closed\n}");
        assert_eq!(line, 2);
        assert!(msg.contains("unterminated comment"), "{msg}");
    }
}
