//! Errors: one public [`Error`] for everything the core refuses, and [`ParseError`] for
//! problems inside a text, with a byte span, a 1-based line/column (in characters) and a
//! [`ParseError::render`] that draws the input with a caret under the culprit.
//!
//! Messages follow one style: one line, lowercase, no final period, user text in backticks,
//! "expected …, found `…`". Advice goes in a separate `help`.
//!
//! **One line, always.** Messages quote user text, which may hold a newline or another
//! control character. Every constructor here ([`ParseError::new`], [`Error::invalid`],
//! [`Error::limit`], the `with_help`s) and the contract's `WireError` pass the message and the
//! help through [`one_line`], which writes control characters the way Rust escapes them
//! (`\n`, `\r`, `\t`, `\u{1}`; also U+2028 / U+2029), so a message never spans lines. A
//! backslash in user text is kept as it is (messages are for people; the request itself is
//! the exact record).
//!
//! **Bounded rendering.** [`ParseError::render`] draws a window of the offending line around
//! the caret (at most [`RENDER_CONTEXT`] characters on either side, cut ends marked `…`), so
//! a 10 MB one-line request with a syntax error does not answer with 20 MB.
//!
//! **Bounded messages.** A message quotes user text between backticks; every constructor
//! here clips each quoted piece to [`QUOTE_CHARS`] characters and the whole message (or help)
//! to [`MESSAGE_CHARS`], marking the cut with `…(+N bytes)` (the bytes left out), so an
//! error is small whatever the input it quotes ([`clip_message`]).

use std::borrow::Cow;
use std::fmt;

/// Characters of the offending line [`ParseError::render`] shows on either side of the caret
/// (and of the culprit itself) before cutting the line with `…`.
pub const RENDER_CONTEXT: usize = 40;

/// Characters of user text a message quotes between backticks before it is cut (see
/// [`clip_message`]).
pub const QUOTE_CHARS: usize = 120;

/// Characters of a whole message or help before it is cut (see [`clip_message`]).
pub const MESSAGE_CHARS: usize = 1000;

/// `message` made fit for an error: each piece between backticks longer than
/// [`QUOTE_CHARS`] characters is cut there, the whole (once control characters are escaped,
/// see [`one_line`]) is cut after [`MESSAGE_CHARS`], each cut marked `…(+N bytes)` with the
/// bytes left out. Borrowed when nothing changes.
///
/// ```
/// use offerfit::error::clip_message;
/// let long = "x".repeat(500);
/// let text = format!("unknown field `{long}`, expected `id`");
/// let m = clip_message(&text);
/// assert_eq!(m, format!("unknown field `{}…(+380 bytes)`, expected `id`", "x".repeat(120)));
/// assert_eq!(clip_message("a\nb `c`"), "a\\nb `c`");
/// assert_eq!(clip_message(&m), m, "clipping twice changes nothing");
/// ```
pub fn clip_message(message: &str) -> Cow<'_, str> {
    let quotes_fit = message.split('`').skip(1).step_by(2).all(|piece| fits(piece, QUOTE_CHARS));
    let clipped: Cow<'_, str> = if quotes_fit {
        Cow::Borrowed(message)
    } else {
        let mut out = String::with_capacity(message.len().min(4 * MESSAGE_CHARS));
        for (i, piece) in message.split('`').enumerate() {
            if i > 0 {
                out.push('`');
            }
            // Odd pieces sit between backticks: user text.
            if i % 2 == 1 && !fits(piece, QUOTE_CHARS) {
                push_clipped(&mut out, piece, QUOTE_CHARS);
            } else {
                out.push_str(piece);
            }
        }
        Cow::Owned(out)
    };
    let escaped = match one_line(&clipped) {
        Cow::Borrowed(_) => clipped,
        Cow::Owned(o) => Cow::Owned(o),
    };
    if fits(&escaped, MESSAGE_CHARS) {
        return escaped;
    }
    let mut out = String::with_capacity(MESSAGE_CHARS * 4 + 16);
    push_clipped(&mut out, &escaped, MESSAGE_CHARS);
    Cow::Owned(out)
}

/// The longest `…(+N bytes)` mark, in characters.
const MARK_CHARS: usize = "…(+18446744073709551615 bytes)".len();

/// Whether `text` is short enough to keep: at most `max` characters, plus room for the mark
/// of an earlier cut (so clipping twice changes nothing more).
fn fits(text: &str, max: usize) -> bool {
    text.len() <= max + MARK_CHARS || text.chars().count() <= max + MARK_CHARS
}

/// Appends `text` to `out`, cut after `max` characters with the `…(+N bytes)` mark.
fn push_clipped(out: &mut String, text: &str, max: usize) {
    match text.char_indices().nth(max) {
        None => out.push_str(text),
        Some((at, _)) => {
            out.push_str(text.get(..at).unwrap_or(""));
            use std::fmt::Write as _;
            let _ = write!(out, "…(+{} bytes)", text.len() - at);
        }
    }
}

/// A number as a message quotes it: exactly (the shortest text that reads back as the same
/// double) and briefly: with an exponent once the plain form would pass 21 characters or the
/// number is below 10⁻⁶ in size (`1e308`, not 309 digits; `1.5e-10`, not `0.00000000015`).
///
/// ```
/// use offerfit::error::number;
/// assert_eq!(number(1e308), "1e308");
/// assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(number(45.55), "45.55");
/// assert_eq!(number(-2.5e-12), "-2.5e-12");
/// assert_eq!(number(f64::INFINITY), "inf");
/// ```
pub fn number(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 21 && (v == 0.0 || v.abs() >= 1e-6 || !v.is_finite()) {
        plain
    } else {
        format!("{v:e}")
    }
}

/// `text` with every control character (and U+2028 / U+2029) escaped as Rust writes it:
/// `\n`, `\r`, `\t`, `\0`, otherwise `\u{…}` in lowercase hex. Borrowed when nothing needs
/// escaping.
///
/// ```
/// use offerfit::error::one_line;
/// assert_eq!(one_line("rack\nUNIQUE\t\u{1}"), "rack\\nUNIQUE\\t\\u{1}");
/// assert!(matches!(one_line("plain `text`"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if needs_escape(c) => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// [`clip_message`] on an owned message.
fn owned_one_line(text: String) -> String {
    match clip_message(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(o) => o,
    }
}

/// Columns `c` takes on a terminal once escaped: 0 for combining marks and zero-width
/// characters, 2 for East Asian wide and fullwidth characters and most emoji, the length of
/// its escape for a control character, 1 otherwise.
fn display_width(c: char) -> usize {
    let u = u32::from(c);
    if needs_escape(c) {
        let mut s = String::new();
        push_escaped(&mut s, c);
        return s.chars().count();
    }
    match u {
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05BD
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x200B..=0x200F
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F
        | 0xFEFF
        | 0xE0100..=0xE01EF => 0,
        0x1100..=0x115F
        | 0x231A..=0x231B
        | 0x2329..=0x232A
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE10..=0xFE19
        | 0xFE30..=0xFE6F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x2FFFD
        | 0x30000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Appends the escaped form of `text` to `out`; returns the columns it takes.
fn push_display(out: &mut String, text: &str) -> usize {
    let mut width = 0;
    for c in text.chars() {
        push_escaped(out, c);
        width += display_width(c);
    }
    width
}

/// A half-open byte range `start..end` into the text an error talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
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
        let message = owned_one_line(message.into());
        ParseError { code, message, help: None, input: input.to_owned(), span: Span { start, end } }
    }

    /// The same error with a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> ParseError {
        self.help = Some(owned_one_line(help.into()));
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

    /// Draws the offending line with a caret (`^`, one per column of the culprit, at least
    /// one) under the culprit, followed by the message:
    ///
    /// ```
    /// let e = offerfit::parse_value("[1-2b]").unwrap_err();
    /// let e = e.as_parse().unwrap();
    /// assert_eq!(e.render(), "[1-2b]\n   ^^ expected a non-negative integer, found `2b`");
    /// ```
    ///
    /// Only a window of the line is drawn: at most [`RENDER_CONTEXT`] characters before the
    /// culprit, of the culprit, and after it, each cut end marked `…`. Control characters in
    /// the line are escaped (`\t` shows as `\t`), and the caret is placed by terminal columns
    /// (a wide character takes two), so it stays under the culprit:
    ///
    /// ```
    /// let text = format!("{}x{}", "1".repeat(100), "2".repeat(100));
    /// let e = offerfit::ParseError::new("x", "bad", &text, offerfit::Span::new(100, 101));
    /// let r = e.render();
    /// assert_eq!(r, format!("…{}x{}…\n{}^ bad", "1".repeat(40), "2".repeat(40), " ".repeat(41)));
    /// ```
    pub fn render(&self) -> String {
        let input = self.input.as_str();
        let start = self.span.start.min(input.len());
        let line_start = input.get(..start).and_then(|p| p.rfind('\n')).map_or(0, |i| i + 1);
        let line_end = input.get(start..).and_then(|r| r.find('\n')).map_or(input.len(), |i| start + i);
        let span_end = self.span.end.clamp(start, line_end);
        let before = input.get(line_start..start).unwrap_or("");
        let culprit = input.get(start..span_end).unwrap_or("");
        let after = input.get(span_end..line_end).unwrap_or("");

        let mut line = String::new();
        // Before the culprit: its last RENDER_CONTEXT characters (cut only when that saves
        // more than the mark).
        let before_chars = before.chars().count();
        let mut pad = 0;
        if before_chars > RENDER_CONTEXT + 1 {
            let skip = before.char_indices().nth(before_chars - RENDER_CONTEXT).map_or(0, |(i, _)| i);
            line.push('…');
            pad += 1 + push_display(&mut line, before.get(skip..).unwrap_or(""));
        } else {
            pad += push_display(&mut line, before);
        }
        // The culprit: at most RENDER_CONTEXT characters; a longer one ends the window.
        let culprit_chars = culprit.chars().count();
        let (shown, cut) = if culprit_chars > RENDER_CONTEXT + 1 {
            let end = culprit.char_indices().nth(RENDER_CONTEXT).map_or(culprit.len(), |(i, _)| i);
            (culprit.get(..end).unwrap_or(""), true)
        } else {
            (culprit, false)
        };
        let width = push_display(&mut line, shown).max(1);
        if cut {
            line.push('…');
        } else if after.chars().count() > RENDER_CONTEXT + 1 {
            let end = after.char_indices().nth(RENDER_CONTEXT).map_or(after.len(), |(i, _)| i);
            push_display(&mut line, after.get(..end).unwrap_or(""));
            line.push('…');
        } else {
            push_display(&mut line, after);
        }
        format!("{line}\n{}{} {}", " ".repeat(pad), "^".repeat(width), one_line(&self.message))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {}", one_line(&self.message), self.line(), self.column())
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
    /// An [`Error::Invalid`] with a code and a message (control characters escaped, see
    /// [`one_line`]).
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid { code, message: owned_one_line(message.into()), help: None }
    }

    /// An [`Error::Limit`] with a `limit.*` code and a message (control characters escaped,
    /// see [`one_line`]).
    pub fn limit(code: &'static str, message: impl Into<String>) -> Error {
        Error::Limit { code, message: owned_one_line(message.into()) }
    }

    /// The same error with a help text (kept for every variant that has one).
    pub fn with_help(self, help: impl Into<String>) -> Error {
        let help = owned_one_line(help.into());
        match self {
            Error::Parse(mut p) => {
                p.help = Some(help);
                Error::Parse(p)
            }
            Error::Invalid { code, message, .. } => Error::Invalid { code, message, help: Some(help) },
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
            other => f.write_str(&one_line(other.message())),
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
    fn render_clips_long_lines_around_the_caret() {
        // Short lines are drawn whole.
        let line = "x".repeat(81);
        let e = ParseError::new("x", "m", &line, Span::new(40, 41));
        assert_eq!(e.render(), format!("{line}\n{}^ m", " ".repeat(40)));
        // A long line keeps 40 characters on either side, cut ends marked.
        let text = format!("{}é{}", "a".repeat(1000), "b".repeat(1000));
        let e = ParseError::new("x", "m", &text, Span::new(1000, 1002));
        assert_eq!(e.render(), format!("…{}é{}…\n{}^ m", "a".repeat(40), "b".repeat(40), " ".repeat(41)));
        // At the very start and the very end of a long line.
        let e = ParseError::new("x", "m", &text, Span::new(0, 1));
        assert_eq!(e.render(), format!("{}…\n^ m", "a".repeat(41)));
        let e = ParseError::new("x", "m", &text, Span::new(text.len(), text.len()));
        assert_eq!(e.render(), format!("…{}\n{}^ m", "b".repeat(40), " ".repeat(41)));
        // A huge culprit is cut after 40 characters, with as many carets.
        let e = ParseError::new("x", "m", &text, Span::new(0, text.len()));
        assert_eq!(e.render(), format!("{}…\n{} m", "a".repeat(40), "^".repeat(40)));
        // Other lines of a multi-line input are not drawn, and the output stays small.
        let big = format!("ok\n{}!{}\nnext", "z".repeat(10_000_000), "z".repeat(10));
        let e = ParseError::new("x", "m", &big, Span::new(10_000_003, 10_000_004));
        let r = e.render();
        assert!(r.len() < 200, "{} bytes", r.len());
        assert_eq!(r, format!("…{}!{}\n{}^ m", "z".repeat(40), "z".repeat(10), " ".repeat(41)));
    }

    #[test]
    fn render_keeps_the_caret_aligned() {
        // Wide characters take two columns; combining marks none.
        let e = ParseError::new("x", "m", "漢字:x", Span::new(6, 7));
        assert_eq!(e.render(), "漢字:x\n    ^ m");
        let e = ParseError::new("x", "m", "e\u{301}:x", Span::new(4, 5));
        assert_eq!(e.render(), "e\u{301}:x\n  ^ m");
        // A wide culprit gets two carets.
        let e = ParseError::new("x", "m", "a漢b", Span::new(1, 4));
        assert_eq!(e.render(), "a漢b\n ^^ m");
        // Control characters are drawn escaped, and the caret counts their escapes.
        let e = ParseError::new("x", "m", "a\tb\rc\u{1}d", Span::new(6, 7));
        assert_eq!(e.render(), "a\\tb\\rc\\u{1}d\n            ^ m");
        // Cutting never splits a character.
        let text = format!("{}é{}", "漢".repeat(100), "é".repeat(100));
        let e = ParseError::new("x", "m", &text, Span::new(300, 302));
        assert_eq!(e.render(), format!("…{}é{}…\n{}^ m", "漢".repeat(40), "é".repeat(40), " ".repeat(81)));
    }

    #[test]
    fn messages_are_one_line() {
        let e = ParseError::new("x", "found `a\nb`", "a\nb", Span::new(0, 1)).with_help("use `\r`");
        assert_eq!(e.message, "found `a\\nb`");
        assert_eq!(e.help.as_deref(), Some("use `\\r`"));
        assert_eq!(e.to_string(), "found `a\\nb` at line 1, column 1");
        assert_eq!(e.render(), "a\n^ found `a\\nb`");
        let e = Error::invalid("x", "`\u{7f}\u{85}\u{2028}\0`").with_help("\t");
        assert_eq!(e.message(), "`\\u{7f}\\u{85}\\u{2028}\\0`");
        assert_eq!(e.help(), Some("\\t"));
        assert_eq!(Error::limit("limit.x", "a\nb").to_string(), "a\\nb");
        // A backslash is kept as it is; nothing else changes.
        assert_eq!(one_line(r"\d+ `é`"), r"\d+ `é`");
    }

    #[test]
    fn span_is_clamped_to_char_boundaries() {
        let e = ParseError::new("x", "m", "é", Span::new(1, 1));
        assert_eq!(e.span, Span::new(0, 2));
        let e = ParseError::new("x", "m", "abc", Span::new(10, 20));
        assert_eq!(e.span, Span::new(3, 3));
    }
}
