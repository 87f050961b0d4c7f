//! The text form of a placement constraint: `field OPERATOR [value]`.
//!
//! * Pieces are separated by whitespace. The field and the operator are single words; the
//!   value is the **rest of the text after the operator, trimmed** (Marathon's dialect), so
//!   `rack IS a b` has the value `a b` and `rack LIKE r[12]` the value `r[12]`.
//! * The field or the value may be written in double quotes when it is empty, has spaces
//!   around it or starts with a quote: `"my rack" LIKE r1`, `rack LIKE ""`. Inside quotes
//!   `\"` is a quote and `\\` a backslash; any other backslash is kept as written, so regex
//!   escapes such as `"\[6-7\]"` need no doubling.
//!
//! This module only cuts the text into pieces (with spans); which operators exist and what
//! values they take is [`crate::constraint`]'s business.

use nom::bytes::complete::{take_till1, take_while};
use nom::IResult;

use crate::error::{ParseError, Span};

/// One piece of a constraint text: its (unquoted) text and where each byte came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The text, with quotes and escapes removed.
    pub(crate) text: String,
    /// Where the piece (including any quotes) sits in the input.
    pub(crate) outer: Span,
    /// Offset in the input of each byte of `text`; `None` when `text` is a verbatim slice
    /// starting at `outer.start`.
    map: Option<Vec<usize>>,
}

impl Piece {
    pub(crate) fn verbatim(text: &str, start: usize) -> Piece {
        Piece { text: text.to_owned(), outer: Span::new(start, start + text.len()), map: None }
    }

    /// Offset in the input of byte `at` of the piece's text (`at == len` maps past the end).
    fn original(&self, at: usize) -> usize {
        match &self.map {
            None => self.outer.start + at,
            Some(m) => match m.get(at) {
                Some(&o) => o,
                // Past the end of a quoted text: the closing quote.
                None => self.outer.end.saturating_sub(1).max(self.outer.start),
            },
        }
    }

    /// Maps a span inside the piece's text to a span of the input.
    pub(crate) fn span(&self, inner: Span) -> Span {
        if inner.end <= inner.start {
            let s = self.original(inner.start);
            return Span::new(s, s);
        }
        let last = inner.end - 1;
        let end = self.original(last) + self.text.get(last..).and_then(|r| r.chars().next()).map_or(1, char::len_utf8);
        Span::new(self.original(inner.start), end)
    }
}

/// A constraint text cut into its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextParts {
    pub(crate) field: Piece,
    pub(crate) operator: Piece,
    pub(crate) value: Option<Piece>,
}

fn offset(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

fn spaces(i: &str) -> IResult<&str, &str> {
    take_while(char::is_whitespace)(i)
}

fn word(i: &str) -> IResult<&str, &str> {
    take_till1(char::is_whitespace)(i)
}

/// A quoted text starting at `i` (which starts with `"`): the piece and the rest after the
/// closing quote.
fn quoted<'a>(whole: &'a str, i: &'a str) -> Result<(Piece, &'a str), ParseError> {
    let start = offset(whole, i);
    let mut text = String::new();
    let mut map = Vec::new();
    let mut chars = i.char_indices().skip(1).peekable();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => {
                // INVARIANT: `k` indexes an ASCII `"`, so `end` is a char boundary of `i`.
                let end = k + 1;
                let piece = Piece { text, outer: Span::new(start, start + end), map: Some(map) };
                return Ok((piece, i.get(end..).unwrap_or("")));
            }
            '\\' if matches!(chars.peek(), Some((_, '"' | '\\'))) => {
                if let Some((_, escaped)) = chars.next() {
                    text.push(escaped);
                    map.push(start + k);
                }
            }
            _ => {
                text.push(c);
                map.extend((0..c.len_utf8()).map(|b| start + k + b));
            }
        }
    }
    Err(ParseError::new(
        "constraint.syntax",
        "expected `\"` to close the quoted text, found end of input",
        whole,
        Span::new(whole.len(), whole.len()),
    )
    .with_help(format!(
        "the quote that opens it is at column {}",
        whole.get(..start).map_or(0, |p| p.chars().count()) + 1
    )))
}

/// Cuts `input` into field, operator and optional value.
///
/// # Errors
/// `constraint.empty` for a blank text, `constraint.syntax` for a missing operator, an
/// unclosed quote or text after a closing quote.
pub(crate) fn split_constraint_text(input: &str) -> Result<TextParts, ParseError> {
    let err = |code, msg: String, span: Span| ParseError::new(code, msg, input, span);
    let (i, _) = spaces(input).unwrap_or((input, ""));
    if i.is_empty() {
        return Err(err("constraint.empty", "expected a constraint, found nothing".into(), Span::new(0, input.len()))
            .with_help("write `field OPERATOR [value]`, e.g. `rack LIKE r[12]` or `hostname UNIQUE`"));
    }
    let (field, i) = if i.starts_with('"') {
        let (p, rest) = quoted(input, i)?;
        if let Some(c) = rest.chars().next().filter(|c| !c.is_whitespace()) {
            let at = offset(input, rest);
            return Err(err(
                "constraint.syntax",
                format!("expected a space after the quoted field, found `{c}`"),
                Span::new(at, at + c.len_utf8()),
            ));
        }
        (p, rest)
    } else {
        match word(i) {
            Ok((rest, w)) => (Piece::verbatim(w, offset(input, w)), rest),
            Err(_) => return Err(err("constraint.syntax", "expected a field".into(), Span::new(0, input.len()))),
        }
    };
    let (i, _) = spaces(i).unwrap_or((i, ""));
    let operator = match word(i) {
        Ok((_, w)) => Piece::verbatim(w, offset(input, w)),
        Err(_) => {
            return Err(err(
                "constraint.missing_operator",
                format!("expected an operator after `{}`, found end of input", field.text),
                Span::new(input.len(), input.len()),
            )
            .with_help("write `field OPERATOR [value]`, e.g. `rack LIKE r[12]` or `hostname UNIQUE`"))
        }
    };
    let i = input.get(operator.outer.end..).unwrap_or("");
    let rest = i.trim();
    if rest.is_empty() {
        return Ok(TextParts { field, operator, value: None });
    }
    let at = offset(input, rest);
    let value = if rest.starts_with('"') {
        let (p, after) = quoted(input, rest)?;
        let extra = after.trim();
        if !extra.is_empty() {
            let at = offset(input, extra);
            return Err(err(
                "constraint.syntax",
                format!("expected the end of the constraint after the quoted value, found `{extra}`"),
                Span::new(at, at + extra.len()),
            )
            .with_help("write the whole value inside the quotes"));
        }
        p
    } else {
        Piece::verbatim(rest, at)
    };
    Ok(TextParts { field, operator, value: Some(value) })
}

/// True when `s` must be quoted to survive [`split_constraint_text`] as a field or a value.
pub(crate) fn needs_quotes(s: &str, is_field: bool) -> bool {
    s.is_empty() || s.starts_with('"') || if is_field { s.contains(char::is_whitespace) } else { s.trim() != s }
}

/// `s` in double quotes with `"` and `\` escaped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, Option<String>) {
        let p = split_constraint_text(s).unwrap();
        (p.field.text, p.operator.text, p.value.map(|v| v.text))
    }

    #[test]
    fn value_is_the_trimmed_rest() {
        assert_eq!(parts("rack LIKE r[12]"), ("rack".into(), "LIKE".into(), Some("r[12]".into())));
        assert_eq!(parts("  rack   IS  a b  "), ("rack".into(), "IS".into(), Some("a b".into())));
        assert_eq!(parts("hostname UNIQUE"), ("hostname".into(), "UNIQUE".into(), None));
        assert_eq!(parts("hostname\tUNIQUE \n"), ("hostname".into(), "UNIQUE".into(), None));
    }

    #[test]
    fn quotes() {
        assert_eq!(parts(r#""my rack" LIKE """#), ("my rack".into(), "LIKE".into(), Some(String::new())));
        assert_eq!(parts(r#"a LIKE "\[6-7\]""#).2.unwrap(), r"\[6-7\]");
        assert_eq!(parts(r#"a LIKE "say \"hi\" \\ ok""#).2.unwrap(), r#"say "hi" \ ok"#);
        assert_eq!(quote(r#"say "hi" \ ok"#), r#""say \"hi\" \\ ok""#);
    }

    #[test]
    fn spans_map_through_quotes() {
        let p = split_constraint_text(r#"a LIKE "x\"y(z""#).unwrap();
        let v = p.value.unwrap();
        assert_eq!(v.text, "x\"y(z");
        // `(` is byte 3 of the value text, byte 12 of the input.
        assert_eq!(v.span(Span::new(3, 4)), Span::new(12, 13));
        assert_eq!(v.outer, Span::new(7, 15));
        let p = split_constraint_text("rack LIKE ab(c").unwrap();
        assert_eq!(p.value.unwrap().span(Span::new(2, 3)), Span::new(12, 13));
    }

    #[test]
    fn errors() {
        let e = split_constraint_text("   ").unwrap_err();
        assert_eq!(e.code, "constraint.empty");
        let e = split_constraint_text("rack").unwrap_err();
        assert_eq!(e.render(), "rack\n    ^ expected an operator after `rack`, found end of input");
        let e = split_constraint_text(r#"rack LIKE "r1"#).unwrap_err();
        assert_eq!(e.message, "expected `\"` to close the quoted text, found end of input");
        let e = split_constraint_text(r#"rack LIKE "r1" x"#).unwrap_err();
        assert_eq!(e.span, Span::new(15, 16));
        let e = split_constraint_text(r#""rack"x LIKE r"#).unwrap_err();
        assert_eq!(e.span, Span::new(6, 7));
    }

    #[test]
    fn needs_quotes_rules() {
        assert!(needs_quotes("", false));
        assert!(needs_quotes(" a", false));
        assert!(!needs_quotes("a b", false));
        assert!(needs_quotes("a b", true));
        assert!(needs_quotes("\"a", true));
        assert!(!needs_quotes("a\"", false));
    }
}
