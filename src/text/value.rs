//! Mesos value text (`45.55`, `[1-10, 20-30]`, `{a,b}`, `r1`), parsed exactly as Mesos'
//! `internal::values::parse` does (`src/common/values.cpp`):
//!
//! 1. every space (`' '` only) is removed; an empty result is an error;
//! 2. `{}`, `[]` and `()` must balance;
//! 3. text starting with `[` is RANGES: split on `[ ] - , \n`, the bounds are non-negative
//!    integers taken in pairs, the result coalesced (nested brackets tolerated);
//! 4. text starting with `{` is a SET: split on `{ } , \n`, items kept in order;
//! 5. a `[` or `{` anywhere else is an error;
//! 6. a finite, non-negative number (decimal, exponent or `0x` hex) is a SCALAR; negative,
//!    infinite and NaN numbers fall through to TEXT; subnormal numbers are an error;
//! 7. anything else is TEXT.
//!
//! Errors carry spans into the *original* text, so the caret lands on the culprit even when
//! spaces were removed first.

use nom::bytes::complete::{take_till1, take_while1};
use nom::multi::many0;
use nom::IResult;

use crate::error::{ParseError, Result, Span};
use crate::model::{Range, Ranges, Set, Value};

/// Text with spaces removed, and where each remaining byte came from in the original.
pub(crate) struct Stripped<'a> {
    pub(crate) text: std::borrow::Cow<'a, str>,
    map: Option<Vec<usize>>,
    original_len: usize,
}

impl<'a> Stripped<'a> {
    pub(crate) fn new(original: &'a str) -> Stripped<'a> {
        if !original.contains(' ') {
            return Stripped { text: original.into(), map: None, original_len: original.len() };
        }
        let mut text = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len());
        for (i, c) in original.char_indices() {
            if c != ' ' {
                text.push(c);
                map.extend((0..c.len_utf8()).map(|k| i + k));
            }
        }
        Stripped { text: text.into(), map: Some(map), original_len: original.len() }
    }

    /// Maps a byte offset in the stripped text back to the original.
    pub(crate) fn original(&self, at: usize) -> usize {
        match &self.map {
            None => at,
            Some(m) => match m.get(at) {
                Some(&o) => o,
                None => m.last().map_or(self.original_len, |&l| (l + 1).min(self.original_len)),
            },
        }
    }

    /// Maps a stripped span `start..end` back to an original span.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        if end <= start {
            let s = self.original(start);
            return Span::new(s, s);
        }
        Span::new(self.original(start), self.original(end - 1) + 1)
    }
}

fn offset(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// The closing bracket for an opening one.
fn closing(open: char) -> char {
    match open {
        '[' => ']',
        '{' => '}',
        _ => ')',
    }
}

/// Checks that `{}`, `[]` and `()` balance; returns the span (in `s`) of the culprit.
pub(crate) fn check_brackets(s: &str) -> std::result::Result<(), (Span, String)> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '[' | '{' | '(' => stack.push((c, i)),
            ']' | '}' | ')' => match stack.pop() {
                Some((open, _)) if closing(open) == c => {}
                Some((open, at)) => {
                    return Err((
                        Span::new(i, i + 1),
                        format!("expected `{}` to close the `{open}` at column {}, found `{c}`", closing(open), at + 1),
                    ))
                }
                None => {
                    return Err((Span::new(i, i + 1), format!("unexpected `{c}` without a matching opening bracket")))
                }
            },
            _ => {}
        }
    }
    match stack.pop() {
        // A missing closing bracket belongs at the end of input.
        Some((open, _)) => Err((
            Span::new(s.len(), s.len()),
            format!("expected `{}` to close the `{open}`, found end of input", closing(open)),
        )),
        None => Ok(()),
    }
}

fn is_range_sep(c: char) -> bool {
    matches!(c, '[' | ']' | '-' | ',' | '\n')
}

fn is_set_sep(c: char) -> bool {
    matches!(c, '{' | '}' | ',' | '\n')
}

/// Tokens of a bracketed list: separators are skipped, everything else is a token.
fn tokens(sep: fn(char) -> bool) -> impl FnMut(&str) -> IResult<&str, Vec<&str>> {
    move |input| {
        let (rest, parts) = many0(|i| {
            let (i, _) = nom::combinator::opt(take_while1(sep))(i)?;
            take_till1(sep)(i)
        })(input)?;
        let (rest, _) = nom::combinator::opt(take_while1(sep))(rest)?;
        Ok((rest, parts))
    }
}

/// Parses a Mesos value text. A SCALAR must also be one a resource can hold (what
/// [`crate::parse_resources`] takes: within ±2^53/1000, see [`crate::Scalar::from_f64`]), so
/// `1e308` or `0xFFFFFFFFFFFFFFFF` is refused here as it is there rather than taken as a
/// double that no resource, sum or message can carry exactly.
///
/// # Errors
/// A [`ParseError`] (codes `value.empty`, `value.syntax`, `value.number`, `value.reversed`,
/// `value.subnormal`, `scalar.out_of_range`) with the span of the culprit in `input`.
///
/// ```
/// use offerfit::{parse_value, Value};
/// assert_eq!(parse_value("[4-6, 7-7]").unwrap().to_string(), "[4-7]");
/// assert!(matches!(parse_value("45.55").unwrap(), Value::Scalar(v) if v == 45.55));
/// assert!(matches!(parse_value("-1").unwrap(), Value::Text(t) if t == "-1"));
/// assert_eq!(parse_value("[1-2-3]").unwrap_err().code(), "value.syntax");
/// ```
pub fn parse_value(input: &str) -> Result<Value> {
    let v = parse_value_at(input, input, 0)?;
    if let Value::Scalar(x) = v {
        if let Err(e) = crate::model::Scalar::from_f64(x) {
            let span = Span::new(0, input.len());
            return Err(ParseError::new(e.code(), e.message(), input, span)
                .with_help("a scalar holds at most 9007199254740.992 (2^53 thousandths)")
                .into());
        }
    }
    Ok(v)
}

/// Parses `input`, which sits at byte `base` of `whole`; errors point into `whole`.
pub(crate) fn parse_value_at(whole: &str, input: &str, base: usize) -> std::result::Result<Value, ParseError> {
    let st = Stripped::new(input);
    let s: &str = &st.text;
    let err = |code: &'static str, msg: String, start: usize, end: usize| {
        ParseError::new(code, msg, whole, st.span(start, end).shift(base))
    };
    if s.is_empty() {
        return Err(ParseError::new(
            "value.empty",
            "expected a value, found nothing",
            whole,
            Span::new(base, base + input.len()),
        )
        .with_help("write a number (`8`), ranges (`[31000-32000]`), a set (`{a,b}`) or a text"));
    }
    if let Err((span, msg)) = check_brackets(s) {
        return Err(err("value.syntax", msg, span.start, span.end));
    }
    if s.starts_with('[') {
        return parse_ranges_tokens(s).map(Value::Ranges).map_err(|(code, msg, a, b)| err(code, msg, a, b));
    }
    if let Some(i) = s.find('[') {
        return Err(err("value.syntax", "unexpected `[`: ranges must start the value".into(), i, i + 1)
            .with_help("write ranges as `[begin-end, ...]`"));
    }
    if s.starts_with('{') {
        let (_, items) =
            tokens(is_set_sep)(s).map_err(|_| err("value.syntax", "expected set items".into(), 0, s.len()))?;
        return Ok(Value::Set(Set::from_items(items)));
    }
    if let Some(i) = s.find('{') {
        return Err(err("value.syntax", "unexpected `{`: a set must start the value".into(), i, i + 1)
            .with_help("write a set as `{a,b}`"));
    }
    match parse_number(s) {
        Number::Finite(v) => Ok(Value::Scalar(v)),
        Number::Subnormal => {
            Err(err("value.subnormal", format!("number `{s}` is too small to be represented (subnormal)"), 0, s.len()))
        }
        Number::Text => Ok(Value::Text(s.to_owned())),
    }
}

enum Number {
    Finite(f64),
    Subnormal,
    Text,
}

/// boost `lexical_cast<double>` as Mesos uses it: decimals, exponents, hex integers; negative,
/// infinite and NaN numbers are not scalars.
fn parse_number(s: &str) -> Number {
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
    let parsed = match hex {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok().map(|v| v as f64)
        }
        Some(_) => None,
        // Rust accepts `inf`/`nan` spellings as numbers; Mesos turns them into text anyway.
        None if s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) => {
            s.parse::<f64>().ok()
        }
        None => None,
    };
    match parsed {
        Some(v) if v.is_finite() && v >= 0.0 => {
            if v != 0.0 && !v.is_normal() {
                Number::Subnormal
            } else {
                Number::Finite(v)
            }
        }
        Some(v) if v.is_finite() && v < 0.0 && v != 0.0 && !v.is_normal() => Number::Subnormal,
        _ => Number::Text,
    }
}

/// Error pieces for a ranges text: code, message, stripped start, stripped end.
type RangesError = (&'static str, String, usize, usize);

/// Ranges from text that starts with `[` (spaces already removed).
pub(crate) fn parse_ranges_tokens(s: &str) -> std::result::Result<Ranges, RangesError> {
    let (_, toks) = tokens(is_range_sep)(s).map_err(|_| ("value.syntax", "expected ranges".to_owned(), 0, s.len()))?;
    let mut bounds: Vec<(u64, usize, usize)> = Vec::with_capacity(toks.len());
    for t in &toks {
        let at = offset(s, t);
        match t.parse::<u64>() {
            Ok(v) if t.bytes().all(|b| b.is_ascii_digit()) => bounds.push((v, at, at + t.len())),
            Err(e)
                if t.bytes().all(|b| b.is_ascii_digit()) && matches!(e.kind(), std::num::IntErrorKind::PosOverflow) =>
            {
                return Err((
                    "value.number",
                    format!("range bound `{t}` is larger than {}", u64::MAX),
                    at,
                    at + t.len(),
                ))
            }
            _ => {
                return Err(("value.number", format!("expected a non-negative integer, found `{t}`"), at, at + t.len()))
            }
        }
    }
    if bounds.len() % 2 == 1 {
        let (_, a, b) = bounds.last().copied().unwrap_or((0, 0, s.len()));
        return Err(("value.syntax", "expected `begin-end` pairs, found a bound without a partner".to_owned(), a, b));
    }
    let mut ranges: Vec<Range> = Vec::with_capacity(bounds.len() / 2);
    for pair in bounds.chunks_exact(2) {
        if let [(b, a0, _), (e, _, e1)] = pair {
            if b > e {
                return Err(("value.reversed", format!("range `{b}-{e}` ends before it begins"), *a0, *e1));
            }
            ranges.push(Range { begin: *b, end: *e });
        }
    }
    Ok(Ranges::from_ranges(ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value) -> String {
        match v {
            Value::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn spaces_are_removed_everywhere() {
        assert_eq!(text(parse_value("a b").unwrap()), "ab");
        assert!(matches!(parse_value("1 0").unwrap(), Value::Scalar(v) if v == 10.0));
        assert_eq!(parse_value("  ").unwrap_err().code(), "value.empty");
    }

    #[test]
    fn ranges_follow_mesos() {
        assert_eq!(parse_value("[7-8, 1-4, [8-10], 4-5]").unwrap().to_string(), "[1-5, 7-10]");
        assert_eq!(parse_value("[]").unwrap().to_string(), "[]");
        let e = parse_value("[1-2-3]").unwrap_err();
        assert_eq!(
            e.as_parse().unwrap().render(),
            "[1-2-3]\n     ^ expected `begin-end` pairs, found a bound without a partner"
        );
        let e = parse_value("[1 - 2b]").unwrap_err();
        assert_eq!(e.as_parse().unwrap().span, Span::new(5, 7));
        assert_eq!(parse_value("[5-3]").unwrap_err().code(), "value.reversed");
        assert_eq!(parse_value("[0-99999999999999999999]").unwrap_err().code(), "value.number");
    }

    #[test]
    fn brackets_must_balance() {
        let e = parse_value("{aa,b}}").unwrap_err();
        assert_eq!(e.as_parse().unwrap().span, Span::new(6, 7));
        let e = parse_value("[1-2").unwrap_err();
        assert_eq!(e.message(), "expected `]` to close the `[`, found end of input");
        assert_eq!(parse_value("a[1-2]").unwrap_err().code(), "value.syntax");
        assert_eq!(parse_value("a{b}").unwrap_err().code(), "value.syntax");
    }

    #[test]
    fn numbers_follow_lexical_cast() {
        assert!(matches!(parse_value("1e3").unwrap(), Value::Scalar(v) if v == 1000.0));
        assert!(matches!(parse_value("0x1F").unwrap(), Value::Scalar(v) if v == 31.0));
        assert!(matches!(parse_value("0").unwrap(), Value::Scalar(v) if v == 0.0));
        for t in ["inf", "-inf", "infinity", "nan", "-nan", "-1", "123abc,s"] {
            assert_eq!(text(parse_value(t).unwrap()), t);
        }
        assert_eq!(parse_value("7.63918e-313").unwrap_err().code(), "value.subnormal");
        assert_eq!(parse_value("-7.63918e-313").unwrap_err().code(), "value.subnormal");
    }

    #[test]
    fn scalars_are_what_a_resource_can_hold() {
        for t in ["1e308", "0xFFFFFFFFFFFFFFFF", "9007199254741"] {
            let e = parse_value(t).unwrap_err();
            assert_eq!(e.code(), "scalar.out_of_range", "{t}");
            assert_eq!(
                crate::parse_resources(&format!("cpus:{t}"), "*").unwrap_err().code(),
                "scalar.out_of_range",
                "{t}"
            );
        }
        assert_eq!(
            parse_value("1e308").unwrap_err().message(),
            "scalar `1e308` is too large to be held exactly (at most 2^53/1000)"
        );
        assert!(matches!(parse_value("9007199254740.992").unwrap(), Value::Scalar(_)));
        assert!(matches!(parse_value("0x10").unwrap(), Value::Scalar(v) if v == 16.0));
    }

    #[test]
    fn sets_keep_order() {
        assert_eq!(parse_value("{sda1, sda2}").unwrap().to_string(), "{sda1, sda2}");
        assert_eq!(parse_value("{a,a}").unwrap().to_string(), "{a, a}");
    }
}
