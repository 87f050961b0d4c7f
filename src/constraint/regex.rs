//! Java regular expressions as Marathon, mesos-actor and OpenWhisk use them, compiled once.
//!
//! * **Whole-string match.** Java's `String.matches` succeeds only when the pattern matches
//!   the entire value, so a pattern `p` is compiled as `^(?:p)$` (`rack` does not match
//!   `rack-1`).
//! * **Two engines.** The `regex` crate (linear time, no backtracking) compiles every pattern
//!   it supports, so a pattern such as `(a+)+$` cannot blow up on a long value. Patterns that
//!   need a backtracking engine — look-around (`(?!att1value).*`, used by mesos-actor's own
//!   tests), backreferences, atomic groups — are compiled with `fancy-regex`, bounded by
//!   [`Limits::regex_backtrack`] steps per match. A match that runs out of steps (or of
//!   stack) is **undecided**: [`JavaRegex::whole_match`] returns `None` and constraint
//!   evaluation treats it as a failed constraint, for `LIKE` and `UNLIKE` alike (fail closed:
//!   a hostile value can never sneak through an `UNLIKE`, and one hostile value does not
//!   abort a whole placement). It is never silent: [`super::Constraint::regex_limit_hit`]
//!   tells the callers, and `check_constraints` warns `limit.regex_backtrack`, an unplaced
//!   task's `constraint` reason names the constraint and the limit.
//! * **Size bound.** The compiled program is bounded by [`Limits::regex_size`], charged by
//!   offerfit's own count from the parsed pattern ([`crate::limits::regex_cost`]), the same
//!   on every platform; a larger pattern (`a{1000}{1000}`) is refused with
//!   `limit.regex_size`, and the pattern text itself by [`Limits::string_bytes`].
//! * **Errors point inside the pattern.** Syntax errors carry the byte span of the culprit in
//!   the pattern (from `regex-syntax`), so the caller can draw the caret inside the regex.
//!
//! Known differences from `java.util.regex` that do not raise an error: `\d`, `\w`, `\s`
//! and `\b` are Unicode-aware (Java's are ASCII unless `(?U)`), `.` excludes only `\n`
//! (Java also excludes `\r`, `\u{85}`, `\u{2028}`, `\u{2029}`), and POSIX classes are written
//! `[[:alpha:]]` (Java reads that as a plain class).

use std::fmt;

use regex_syntax::ast::parse::ParserBuilder;
use regex_syntax::hir::translate::TranslatorBuilder;
use regex_syntax::hir::{Hir, Look};

use crate::error::Span;
use crate::limits::{regex_cost, LimitKind, Limits};

/// Nesting bound of the pattern parser (groups, repetitions, classes): deeper patterns are
/// refused before any recursion can exhaust the stack.
const NEST_LIMIT: u32 = 100;

/// A compiled Java regular expression.
#[derive(Clone)]
pub struct JavaRegex {
    source: String,
    engine: Engine,
    /// What it costs compiled, in bytes, charged to a request's regex budget
    /// ([`Limits::regex_budget`]).
    compiled_bytes: usize,
}

#[derive(Clone)]
enum Engine {
    Linear(regex_automata::meta::Regex),
    Backtracking(fancy_regex::Regex),
}

impl fmt::Debug for JavaRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JavaRegex")
            .field("source", &self.source)
            .field("backtracking", &self.is_backtracking())
            .finish()
    }
}

/// Why a pattern was refused: a code, a message, and the span of the culprit inside the
/// pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// `constraint.regex` for a syntax error, `limit.regex_size` / `limit.string_bytes` for a
    /// pattern over a limit.
    pub code: &'static str,
    /// One lowercase line.
    pub message: String,
    /// Advice.
    pub help: Option<String>,
    /// Byte span inside the pattern.
    pub span: Span,
}

/// What a pattern is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `^(?:p)$`.
    Whole,
    /// `p`, searched anywhere (a `String.split` delimiter).
    Search,
}

impl JavaRegex {
    /// Compiles `pattern` for whole-string matching.
    ///
    /// # Errors
    /// [`RegexError`] with code `constraint.regex` (span inside the pattern),
    /// `limit.regex_size` or `limit.string_bytes`.
    ///
    /// ```
    /// use offerfit::constraint::JavaRegex;
    /// let re = JavaRegex::new("r[12]", &offerfit::Limits::default()).unwrap();
    /// assert_eq!(re.whole_match("r1"), Some(true));
    /// assert_eq!(re.whole_match("r12"), Some(false));
    /// let look = JavaRegex::new("(?!att1value).*", &offerfit::Limits::default()).unwrap();
    /// assert_eq!(look.whole_match("att1value"), Some(false));
    /// assert_eq!(look.whole_match("att2value"), Some(true));
    /// let e = JavaRegex::new("ab(c", &offerfit::Limits::default()).unwrap_err();
    /// assert_eq!((e.span.start, e.span.end), (2, 3));
    /// ```
    pub fn new(pattern: &str, limits: &Limits) -> Result<JavaRegex, RegexError> {
        compile(pattern, limits, Mode::Whole)
    }

    /// Compiles `pattern` for searching (used to split OpenWhisk constraint strings).
    pub(crate) fn new_search(pattern: &str, limits: &Limits) -> Result<JavaRegex, RegexError> {
        compile(pattern, limits, Mode::Search)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// What it is charged, in bytes: a pure function of the pattern, the same on every
    /// platform ([`crate::limits::regex_cost`]: the states of its forward and reverse
    /// Thompson NFAs with repetitions expanded and classes by their UTF-8 sequences, as a
    /// 64-bit host holds them, plus 2 KiB). For a backtracking pattern, 64 bytes per pattern
    /// byte plus 1 KiB (fancy-regex's program) plus the charge of the parts it hands to the
    /// linear engine. What [`Limits::regex_size`] bounds and a request's regex budget
    /// ([`Limits::regex_budget`]) counts.
    ///
    /// ```
    /// use offerfit::constraint::JavaRegex;
    /// let re = JavaRegex::new("r1x1", &offerfit::Limits::default()).unwrap();
    /// assert_eq!(re.compiled_bytes(), 2048 + 6 * 48);
    /// ```
    pub fn compiled_bytes(&self) -> usize {
        self.compiled_bytes
    }

    /// True when the pattern needed the bounded backtracking engine.
    pub fn is_backtracking(&self) -> bool {
        matches!(self.engine, Engine::Backtracking(_))
    }

    /// Does the whole of `text` match? `None` when the backtracking bound was hit (only
    /// possible for backtracking patterns).
    pub fn whole_match(&self, text: &str) -> Option<bool> {
        match &self.engine {
            Engine::Linear(re) => Some(re.is_match(text)),
            Engine::Backtracking(re) => re.is_match(text).ok(),
        }
    }

    /// Every non-overlapping match in `text` (for splitting), as byte ranges. `None` when the
    /// backtracking bound was hit.
    pub(crate) fn find_all(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        match &self.engine {
            Engine::Linear(re) => Some(re.find_iter(text).map(|m| (m.start(), m.end())).collect()),
            Engine::Backtracking(re) => re.find_iter(text).map(|m| m.ok().map(|m| (m.start(), m.end()))).collect(),
        }
    }
}

/// Java `String.split` with limit 0, given the delimiter's matches in `text`: a
/// positive-width match at the start gives a leading empty field, a zero-width match there
/// does not; trailing empty fields are dropped; no match at all gives the whole text as the
/// one field (even when empty). Each field is a byte range of `text`.
pub(crate) fn java_split(text: &str, matches: impl IntoIterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut fields = Vec::new();
    let mut index = 0;
    for (start, end) in matches {
        if index == 0 && start == 0 && end == 0 {
            continue;
        }
        fields.push((index, start));
        index = end;
    }
    if index == 0 && fields.is_empty() {
        return vec![(0, text.len())];
    }
    fields.push((index, text.len()));
    while fields.last().is_some_and(|(s, e)| s == e) {
        fields.pop();
    }
    fields
}

/// Equal when written the same way.
impl PartialEq for JavaRegex {
    fn eq(&self, other: &JavaRegex) -> bool {
        self.source == other.source
    }
}

fn compile(pattern: &str, limits: &Limits, mode: Mode) -> Result<JavaRegex, RegexError> {
    let whole = Span::new(0, pattern.len());
    if pattern.len() > limits.string_bytes {
        let e = limits.exceeded(LimitKind::StringBytes, pattern.len());
        return Err(RegexError { code: e.code(), message: e.message().to_owned(), help: None, span: whole });
    }
    match syntax_check(pattern) {
        Ok(hir) => linear(pattern, hir, limits, mode),
        // regex-syntax refuses look-around, backreferences, atomic groups and possessive
        // repetitions, which Java accepts: try the backtracking engine before giving up.
        Err(syntax) => match backtracking(pattern, limits, mode) {
            Ok(re) => Ok(re),
            Err(Some(limit)) => Err(limit),
            Err(None) => Err(syntax),
        },
    }
}

/// Parses and translates the pattern with `regex-syntax` (the one parse of a pattern the
/// linear engine compiles).
fn syntax_check(pattern: &str) -> Result<Hir, RegexError> {
    let error = |kind: &dyn fmt::Display, span: &regex_syntax::ast::Span| {
        let (start, mut end) = (span.start.offset, span.end.offset);
        // An empty span (`*` alone) underlines the character at that place.
        if end <= start {
            end = pattern.get(start..).and_then(|r| r.chars().next()).map_or(start, |c| start + c.len_utf8());
        }
        RegexError {
            code: "constraint.regex",
            message: format!("invalid regular expression: {kind}"),
            help: None,
            span: Span::new(start, end),
        }
    };
    let parsed = ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse_with_comments(pattern)
        .map_err(|e| error(e.kind(), e.span()))?;
    TranslatorBuilder::new().build().translate(pattern, &parsed.ast).map_err(|e| error(e.kind(), e.span()))
}

fn wrap(body: &str, mode: Mode) -> String {
    match mode {
        Mode::Whole => format!("^(?:{body})$"),
        Mode::Search => body.to_owned(),
    }
}

fn too_big(pattern: &str, limits: &Limits) -> RegexError {
    RegexError {
        code: LimitKind::RegexSize.code(),
        message: format!(
            "regular expression is too large once compiled, the limit `regex_size` is {} bytes",
            limits.regex_size
        ),
        help: Some("split it into several constraints or simplify the repetitions".to_owned()),
        span: Span::new(0, pattern.len()),
    }
}

/// Compiles the parsed pattern with the linear engine (`regex-automata`'s meta regex, the
/// engine behind the `regex` crate, configured as `regex::RegexBuilder` configures it:
/// `regex-1.13`'s `builders.rs`), built from the one parse of [`syntax_check`]. Its charge
/// ([`regex_cost::matcher_cost`], a pure function of the pattern) decides `regex_size` before
/// anything is compiled; the crate's own limits sit at [`regex_cost::SAFETY_FACTOR`] ×
/// `regex_size`, a safety net that charge always decides before (their bytes differ between
/// wasm32 and 64-bit hosts).
fn linear(pattern: &str, hir: Hir, limits: &Limits, mode: Mode) -> Result<JavaRegex, RegexError> {
    let hir = match mode {
        // `^(?:p)$`.
        Mode::Whole => Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]),
        Mode::Search => hir,
    };
    let compiled_bytes = regex_cost::matcher_cost(&hir, limits.regex_size);
    if compiled_bytes > limits.regex_size {
        return Err(too_big(pattern, limits));
    }
    let config = regex_automata::meta::Config::new()
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .nfa_size_limit(Some(regex_cost::safety_net(limits.regex_size)))
        .hybrid_cache_capacity(limits.regex_size)
        .utf8_empty(true);
    match regex_automata::meta::Builder::new().configure(config).build_from_hir(&hir) {
        Ok(re) => Ok(JavaRegex { source: pattern.to_owned(), engine: Engine::Linear(re), compiled_bytes }),
        Err(e) if e.size_limit().is_some() => Err(too_big(pattern, limits)),
        Err(other) => Err(RegexError {
            code: "constraint.regex",
            message: format!("invalid regular expression: {}", last_line(&other.to_string())),
            help: None,
            span: Span::new(0, pattern.len()),
        }),
    }
}

/// The backtracking engine; `Err(None)` when it cannot compile the pattern either (the
/// caller reports the more precise `regex-syntax` error), `Err(Some(_))` for a limit.
fn backtracking(pattern: &str, limits: &Limits, mode: Mode) -> Result<JavaRegex, Option<RegexError>> {
    // The regexes it hands to the linear engine are charged first (`regex_cost`); the
    // crate's own limits are the safety net above. The error is classified right away (it
    // is large; only "too big" matters).
    let net = regex_cost::safety_net(limits.regex_size);
    let build = |p: &str| {
        let delegated = regex_cost::backtracking_cost(p, limits.regex_size).ok_or(None)?;
        if delegated > limits.regex_size {
            return Err(Some(too_big(pattern, limits)));
        }
        let re = fancy_regex::RegexBuilder::new(p)
            .backtrack_limit(limits.regex_backtrack)
            .delegate_size_limit(net)
            .delegate_dfa_size_limit(net)
            .build()
            .map_err(|e| match e {
                fancy_regex::Error::CompileError(fancy_regex::CompileError::InnerError(inner))
                    if inner.size_limit().is_some() =>
                {
                    Some(too_big(pattern, limits))
                }
                _ => None,
            })?;
        Ok((re, delegated))
    };
    // The pattern alone must be valid: wrapping could otherwise hide an unbalanced `)`.
    build(pattern)?;
    let (re, delegated) = match build(&wrap(pattern, mode)) {
        Ok(built) => built,
        Err(Some(limit)) => return Err(Some(limit)),
        Err(None) => build(&wrap(&format!("{pattern}\n"), mode))?,
    };
    let compiled_bytes = pattern.len().saturating_mul(64).saturating_add(1024).saturating_add(delegated);
    Ok(JavaRegex { source: pattern.to_owned(), engine: Engine::Backtracking(re), compiled_bytes })
}

fn last_line(message: &str) -> String {
    let last = message.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(message).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> JavaRegex {
        JavaRegex::new(p, &Limits::default()).unwrap()
    }

    #[test]
    fn whole_string_semantics() {
        assert_eq!(re("rack").whole_match("rack-1"), Some(false));
        assert_eq!(re("rack.*").whole_match("rack-1"), Some(true));
        assert_eq!(re("a|ab").whole_match("ab"), Some(true));
        assert_eq!(re("").whole_match(""), Some(true));
        assert_eq!(re("").whole_match("x"), Some(false));
        assert_eq!(re(r"\[6-7\]").whole_match("[6-7]"), Some(true));
        assert_eq!(re(r"\{0,1\}").whole_match("{0,1}"), Some(true));
        assert_eq!(re("a$").whole_match("a\n"), Some(false));
    }

    #[test]
    fn lookaround_and_backreferences_use_the_backtracking_engine() {
        let r = re("(?!att1value).*");
        assert!(r.is_backtracking());
        assert_eq!(r.whole_match("att1value"), Some(false));
        assert_eq!(r.whole_match("att1value2"), Some(false), "the look-ahead sees the prefix");
        assert_eq!(r.whole_match("att2value"), Some(true));
        let b = re(r"(a)\1");
        assert_eq!(b.whole_match("aa"), Some(true));
        assert_eq!(b.whole_match("aaa"), Some(false));
        assert!(!re("(a+)+$").is_backtracking());
    }

    #[test]
    fn comment_at_the_end_in_extended_mode() {
        let r = re("(?x) a b # trailing comment");
        assert_eq!(r.whole_match("ab"), Some(true));
    }

    #[test]
    fn syntax_errors_carry_spans_inside_the_pattern() {
        let e = JavaRegex::new("*", &Limits::default()).unwrap_err();
        assert_eq!(e.code, "constraint.regex");
        assert_eq!(e.message, "invalid regular expression: repetition operator missing expression");
        assert_eq!(e.span, Span::new(0, 1));
        let e = JavaRegex::new("r[12", &Limits::default()).unwrap_err();
        assert_eq!(e.span.start, 1);
        let e = JavaRegex::new("a)(b", &Limits::default()).unwrap_err();
        assert_eq!(e.message, "invalid regular expression: unopened group");
        assert_eq!(e.span, Span::new(1, 2));
        let e = JavaRegex::new(r"\p{Nope}", &Limits::default()).unwrap_err();
        assert_eq!(e.code, "constraint.regex");
    }

    #[test]
    fn limits_are_enforced() {
        let l = Limits { regex_size: 10_000, ..Limits::default() };
        let e = JavaRegex::new("a{1000}{1000}", &l).unwrap_err();
        assert_eq!(e.code, "limit.regex_size");
        // The backtracking engine runs counted repetitions of its own parts without unrolling
        // them (charged once; each part it hands to the linear engine costs ~2 KiB)...
        let l2 = Limits { regex_size: 100_000, ..Limits::default() };
        let r = JavaRegex::new(r"(?=a)(a{1,3}){100}\1", &l2).unwrap();
        assert_eq!(r.whole_match("aaaa"), Some(false));
        let r = JavaRegex::new(r"(?=a)(?:(a)\1){100000}", &l2).unwrap();
        assert_eq!(r.whole_match("aaaa"), Some(false));
        // ... but what it hands to the linear engine is charged expanded, as that engine
        // compiles it (fancy-regex reads `a{1000}{1000}` as `a{1000}` and the text `{1000}`).
        let e = JavaRegex::new("(?=a)a{1000}{1000}", &l).unwrap_err();
        assert_eq!(e.code, "limit.regex_size");
        let e = JavaRegex::new(r"(?=a)(\w{1000}){1000}\1", &l2).unwrap_err();
        assert_eq!(e.code, "limit.regex_size");
        let l = Limits { string_bytes: 4, ..Limits::default() };
        assert_eq!(JavaRegex::new("abcde", &l).unwrap_err().code, "limit.string_bytes");
        let deep = format!("{}a{}", "(".repeat(500), ")".repeat(500));
        assert_eq!(JavaRegex::new(&deep, &Limits::default()).unwrap_err().code, "constraint.regex");
    }

    #[test]
    fn pathological_patterns_are_bounded() {
        let long = "a".repeat(50_000);
        assert_eq!(re("(a+)+$").whole_match(&format!("{long}b")), Some(false));
        assert_eq!(re("(a+)+$").whole_match(&long), Some(true));
        // A backreference forces backtracking; the bound makes the match undecided.
        let l = Limits { regex_backtrack: 10_000, ..Limits::default() };
        let r = JavaRegex::new(r"(a+)+\1b", &l).unwrap();
        assert_eq!(r.whole_match(&long), None);
    }

    #[test]
    fn java_split_semantics() {
        let split = |d: &str, t: &str| -> Vec<String> {
            let r = JavaRegex::new_search(d, &Limits::default()).unwrap();
            java_split(t, r.find_all(t).unwrap()).into_iter().map(|(a, b)| t[a..b].to_owned()).collect()
        };
        assert_eq!(split(" ", "a LIKE b"), ["a", "LIKE", "b"]);
        assert_eq!(split(" ", "a  b"), ["a", "", "b"]);
        assert_eq!(split(" ", " a"), ["", "a"]);
        assert_eq!(split(" ", "a b  "), ["a", "b"]);
        assert_eq!(split(" ", ""), [""]);
        assert_eq!(split(" ", "  "), Vec::<String>::new());
        assert_eq!(split(r"\|", "a|LIKE|v.*"), ["a", "LIKE", "v.*"]);
        assert_eq!(split("", "abc"), ["a", "b", "c"]);
        assert_eq!(split("(?=b)", "abab"), ["a", "ba", "b"]);
    }
}
