//! Errors: one public [`Error`] for everything the core refuses, and [`ParseError`] for
//! problems inside a text, with a byte span, a 1-based line/column (in characters) and a
//! [`ParseError::render`] that draws the input with a caret under the culprit.
//!
//! Messages follow one style: one line, lowercase, no final period, user text in backticks,
//! "expected …, found `…`". Advice goes in a separate `help`.

use std::fmt;

/// A half-open byte range `start..end` into the text an error talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    /// First byte of the culprit.
    pub start: usize,
    /// One past the last byte of the culprit (equal to `start` for a position).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given backwards).
    ///
    /// ```
    /// let s = offerfit::Span::new(3, 5);
    /// assert_eq!((s.start, s.end), (3, 5));
    /// ```
    pub fn new(start: usize, end: usize) -> Span {
        if start <= end {
            Span { start, end }
        } else {
            Span { start: end, end: start }
        }
    }

    /// The same span moved `by` bytes to the right (used when a text is parsed as a piece of a
    /// larger text).
    pub fn shift(self, by: usize) -> Span {
        Span { start: self.start.saturating_add(by), end: self.end.saturating_add(by) }
    }
}

/// An error inside a piece of text: what went wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// A stable machine-readable code such as `resources.syntax` or `constraint.unknown_operator`.
    pub code: &'static str,
    /// One lowercase line, without a final period.
    pub message: String,
    /// Optional advice on how to fix the input.
    pub help: Option<String>,
    /// The whole input text the span points into.
    pub input: String,
    /// Where in `input` the culprit is.
    pub span: Span,
}

impl ParseError {
    /// A new error about `span` of `input`.
    ///
    /// ```
    /// use offerfit::{ParseError, Span};
    /// let e = ParseError::new("value.syntax", "unexpected `]`", "[1-2]]", Span::new(5, 6));
    /// assert_eq!(e.column(), 6);
    /// ```
    pub fn new(code: &'static str, message: impl Into<String>, input: &str, span: Span) -> ParseError {
        let len = input.len();
        let mut start = span.start.min(len);
        let mut end = span.end.min(len).max(start);
        while start > 0 && !input.is_char_boundary(start) {
            start -= 1;
        }
        while end < len && !input.is_char_boundary(end) {
            end += 1;
        }
        ParseError { code, message: message.into(), help: None, input: input.to_owned(), span: Span { start, end } }
    }

    /// The same error with a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> ParseError {
        self.help = Some(help.into());
        self
    }

    /// 1-based line of the span's start.
    pub fn line(&self) -> usize {
        self.input.get(..self.span.start).map_or(0, |p| p.matches('\n').count()) + 1
    }

    /// 1-based column of the span's start, counted in characters.
    pub fn column(&self) -> usize {
        let before = self.input.get(..self.span.start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        before.get(line_start..).map_or(0, |l| l.chars().count()) + 1
    }

    /// Draws the offending line with a caret (`^`, one per character of the span, at least
    /// one) under the culprit, followed by the message:
    ///
    /// ```
    /// let e = offerfit::parse_value("[1-2b]").unwrap_err();
    /// let e = e.as_parse().unwrap();
    /// assert_eq!(e.render(), "[1-2b]\n   ^^ expected a non-negative integer, found `2b`");
    /// ```
    pub fn render(&self) -> String {
        let start = self.span.start;
        let line_start = self.input.get(..start).and_then(|p| p.rfind('\n')).map_or(0, |i| i + 1);
        let line_end = self.input.get(start..).and_then(|r| r.find('\n')).map_or(self.input.len(), |i| start + i);
        let line = self.input.get(line_start..line_end).unwrap_or("");
        let pad = self.input.get(line_start..start).map_or(0, |p| p.chars().count());
        let span_end = self.span.end.min(line_end);
        let width = self.input.get(start..span_end).map_or(0, |s| s.chars().count()).max(1);
        format!("{line}\n{}{} {}", " ".repeat(pad), "^".repeat(width), self.message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {}", self.message, self.line(), self.column())
    }
}

impl std::error::Error for ParseError {}

/// Everything the core can refuse: malformed text, malformed JSON, invalid values and
/// exceeded limits. Decisions (a declined offer, an unplaced task) are never errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A problem inside a text (resources, attributes, a value, a constraint).
    Parse(Box<ParseError>),
    /// A semantically invalid input that is not inside a text, e.g. a negative scalar in JSON.
    Invalid {
        /// Stable code, e.g. `resources.invalid`.
        code: &'static str,
        /// One lowercase line.
        message: String,
        /// Optional advice.
        help: Option<String>,
    },
    /// A configured limit was exceeded (`limit.*` codes).
    Limit {
        /// Stable code, e.g. `limit.offers`.
        code: &'static str,
        /// Which limit and by how much.
        message: String,
    },
}

impl Error {
    /// An [`Error::Invalid`] with a code and a message.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid { code, message: message.into(), help: None }
    }

    /// The same error with a help text (kept for every variant that has one).
    pub fn with_help(self, help: impl Into<String>) -> Error {
        match self {
            Error::Parse(mut p) => {
                p.help = Some(help.into());
                Error::Parse(p)
            }
            Error::Invalid { code, message, .. } => Error::Invalid { code, message, help: Some(help.into()) },
            other => other,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse(p) => p.code,
            Error::Invalid { code, .. } | Error::Limit { code, .. } => code,
        }
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        match self {
            Error::Parse(p) => &p.message,
            Error::Invalid { message, .. } | Error::Limit { message, .. } => message,
        }
    }

    /// The help text, if any.
    pub fn help(&self) -> Option<&str> {
        match self {
            Error::Parse(p) => p.help.as_deref(),
            Error::Invalid { help, .. } => help.as_deref(),
            Error::Limit { .. } => None,
        }
    }

    /// The text error inside, if this is one.
    pub fn as_parse(&self) -> Option<&ParseError> {
        match self {
            Error::Parse(p) => Some(p),
            _ => None,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(Box::new(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(p) => p.fmt(f),
            other => f.write_str(other.message()),
        }
    }
}

impl std::error::Error for Error {}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let e = ParseError::new("x", "bad", "ab\nçd:e", Span::new(6, 7));
        assert_eq!((e.line(), e.column()), (2, 3));
        assert_eq!(e.render(), "çd:e\n  ^ bad");
    }

    #[test]
    fn span_at_end_of_input_renders_one_caret() {
        let e = ParseError::new("x", "expected `]`, found end of input", "[1-2", Span::new(4, 4));
        assert_eq!(e.render(), "[1-2\n    ^ expected `]`, found end of input");
    }

    #[test]
    fn span_is_clamped_to_char_boundaries() {
        let e = ParseError::new("x", "m", "é", Span::new(1, 1));
        assert_eq!(e.span, Span::new(0, 2));
        let e = ParseError::new("x", "m", "abc", Span::new(10, 20));
        assert_eq!(e.span, Span::new(3, 3));
    }
}
